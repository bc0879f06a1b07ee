"""The class challenge's engine (bgapp.challenge over bgapp.store), on both backends: SQLite on a temp
file and PostgreSQL on a real server started for these tests (tests/pgkit.py; skipped, with the
reason, without the Debian package postgresql). Host-only control, scores computed by the server,
names owned by their session, hostile input refused with nothing written, and several processes
submitting at once."""

from __future__ import annotations

import contextlib
import json
import multiprocessing as mp
import sqlite3
import sys
import types
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from bgapp.challenge import (
    NAME_MAX,
    Board,
    NotHost,
    PasscodeGuard,
    is_host_login,
    is_host_passcode,
    new_owner_token,
    open_clip,
    owner_hash,
)
from bgapp.config import Config
from bgapp.errors import BgappError
from bgapp.evaluate import evaluate
from bgapp.sources import open_source
from bgapp.store import DATABASE_URL_ENV, STATE_DIR_ENV, database_url, open_store
from tests.pgkit import PostgresServer, missing_reason

FRAMES = 60  # the demo's first 60 frames: 40 of warm-up, 20 scored (a submission takes a few hundredths of a s)
ABSDIFF = {"method": "absdiff", "params": {"threshold": 40}}


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    why = missing_reason()
    if why:
        pytest.skip(why)
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'challenges.sqlite3'}"
    return request.getfixturevalue("postgres").new_database()


@pytest.fixture
def board(url: str) -> Board:
    return Board.open(url)


@pytest.fixture
def demo(board: Board):
    return board.create("Demo", "demo", None, FRAMES, host=True)


def rows(board: Board, challenge_id: int) -> list[tuple]:
    return [(e.name, e.owner, e.method, e.settings, e.f_measure, e.submitted) for e in board.leaderboard(challenge_id)]


# Who may do what ------------------------------------------------------------------------------------

def test_only_the_host_creates_closes_clears_and_deletes(board: Board):
    with pytest.raises(NotHost, match="only the teacher"):
        board.create("Mine", "demo", host=False)
    assert board.challenges() == []
    ch = board.create("Week 3", "demo", "absdiff", FRAMES, host=True)
    assert (ch.title, ch.clip, ch.method, ch.max_frames, ch.open) == ("Week 3", "demo", "absdiff", FRAMES, True)
    board.submit(ch.id, "ann", new_owner_token(), ABSDIFF)
    for call in (lambda: board.set_open(ch.id, False, host=False), lambda: board.clear(ch.id, host=False),
                 lambda: board.delete(ch.id, host=False)):
        with pytest.raises(NotHost):
            call()
    assert board.get(ch.id).open and len(board.leaderboard(ch.id)) == 1

    board.set_open(ch.id, False, host=True)
    assert not board.get(ch.id).open
    with pytest.raises(BgappError, match="closed"):
        board.submit(ch.id, "ben", new_owner_token(), ABSDIFF)
    board.set_open(ch.id, True, host=True)
    assert board.get(ch.id).open
    assert board.clear(ch.id, host=True) == 1
    assert board.leaderboard(ch.id) == []
    board.submit(ch.id, "ann", new_owner_token(), ABSDIFF)
    board.delete(ch.id, host=True)
    assert board.challenges() == []
    assert board.store.entries(ch.id) == []  # its rows went with it
    with pytest.raises(BgappError, match="no longer exists"):
        board.submit(ch.id, "ann", new_owner_token(), ABSDIFF)
    again = board.create("Week 4", "demo", host=True)
    assert again.id != ch.id  # a deleted challenge's id never comes back


def test_host_credentials():
    env = {"BGAPP_TEACHER_PASSCODE": "correct horse"}
    assert is_host_passcode("correct horse", env)
    assert is_host_passcode(" correct horse ", env)  # pasted with a space
    for wrong in ("correct hors", "correct horse!", "", None, "CORRECT HORSE"):
        assert not is_host_passcode(wrong, env)
    assert not is_host_passcode("", {}) and not is_host_passcode("anything", {"BGAPP_TEACHER_PASSCODE": "  "})
    teachers = {"BGAPP_TEACHERS": "ada@school.org, Grace@School.org"}
    assert is_host_login("grace@school.org", teachers) and is_host_login("ada@school.org", teachers)
    assert not is_host_login("eve@school.org", teachers) and not is_host_login(None, teachers)
    assert not is_host_login("ada@school.org", {})


def test_the_passcode_guard_locks_a_guessing_session_then_forgets_it_and_caps_the_process():
    env = {"BGAPP_TEACHER_PASSCODE": "correct horse"}
    now = [0.0]
    guard = PasscodeGuard(per_session=3, lockout=30.0, per_process=5, clock=lambda: now[0])
    assert [guard.check("a", f"guess {i}", env) for i in range(3)] == [False, False, False]
    with pytest.raises(BgappError, match=r"from this page: try again in 30 s"):
        guard.check("a", "correct horse", env)
    assert guard.check("b", "correct horse", env)  # another session; a right passcode is never counted
    assert guard.check("b", "correct horse", env)
    now[0] = 29.5
    with pytest.raises(BgappError, match=r"try again in 1 s"):
        guard.check("a", "correct horse", env)
    now[0] = 30.0  # the lockout is over and forgotten
    assert guard.check("a", "correct horse", env)
    assert [guard.check(s, "guess", env) for s in ("c", "d")] == [False, False]  # 5 wrong in the last minute
    with pytest.raises(BgappError, match=r"on this server: try again in 30 s"):
        guard.check("e", "correct horse", env)  # the cap holds every session, a new one included
    now[0] = 60.0  # a minute after the first three
    assert guard.check("e", "correct horse", env)


def test_the_passcode_guard_counts_every_wrong_try_of_threads_at_once():
    env = {"BGAPP_TEACHER_PASSCODE": "correct horse"}
    guard = PasscodeGuard(per_session=1000, per_process=100)
    with ThreadPoolExecutor(8) as pool:
        verdicts = list(pool.map(lambda i: _try(guard, f"s{i % 8}", f"guess {i}", env), range(200)))
    assert verdicts.count(False) == 100 and verdicts.count(None) == 100  # checked, then refused: never more


def _try(guard: PasscodeGuard, session: str, given: str, env: dict[str, str]) -> bool | None:
    try:
        return guard.check(session, given, env)
    except BgappError:
        return None


def test_create_refuses_what_cannot_be_scored(board: Board, tmp_path: Path):
    for clip in ("../etc", "/etc", "a\\b", "~/x", "", "nowhere/at/all"):
        with pytest.raises(BgappError):
            board.create("X", clip, host=True)
    with pytest.raises(BgappError, match="unknown method"):
        board.create("X", "demo", "nosuch", host=True)
    with pytest.raises(BgappError, match="first scored frame is frame 41"):
        board.create("X", "demo", None, 30, host=True)  # the demo's 40 warm-up frames are never scored
    with pytest.raises(BgappError, match="frames to score"):
        board.create("X", "demo", None, 0, host=True)
    with pytest.raises(BgappError, match="title"):
        board.create("<b>\x00</b>", "demo", host=True)
    assert board.challenges() == []


def test_a_gallery_case_is_a_clip(board: Board):
    from bgapp.gallery import case_names

    name = "case:" + case_names()[0]
    ch = board.create("Case", name, None, 80, host=True)
    e = board.submit(ch.id, "ann", new_owner_token(), ABSDIFF).entry
    assert e.frames == 80 and e.scored > 0 and e.f_measure is not None
    with pytest.raises(BgappError, match="no gallery case"):
        board.create("Case", "case:nosuch", host=True)


def test_a_clip_is_a_shared_sample_under_the_data_root_only(tmp_path: Path):
    from tests.factories import cdnet_sequence

    root = tmp_path / "data"
    cdnet_sequence(root / "cdnet" / "baseline" / "tiny")
    src = open_clip("cdnet/baseline/tiny", root)
    assert src.has_ground_truth and len(src) > 0
    outside = tmp_path / "outside"
    cdnet_sequence(outside)
    (root / "link").symlink_to(outside)
    for spec in ("../outside", "link", str(outside)):
        with pytest.raises(BgappError):
            open_clip(spec, root)
    with pytest.raises(BgappError, match="no shared sample data"):
        open_clip("cdnet/baseline/tiny", None)


# Scores ---------------------------------------------------------------------------------------------

def test_the_score_is_the_engines_evaluate_on_the_clip(board: Board, demo):
    cfg = Config("absdiff", {"threshold": 40, "distance": "max"}, {"open": 5})
    done = board.submit(demo.id, "ann", new_owner_token(), cfg.to_json())
    seen = [0]

    def count(i: int, n: int) -> None:
        seen[0] = i

    ref = evaluate(open_source("demo"), cfg, progress=count, stop=lambda: seen[0] >= FRAMES)
    e = done.entry
    assert (e.scored, e.frames) == (ref.scored, ref.frames) == (20, FRAMES)
    assert (e.f_measure, e.precision, e.recall) == (ref.counts.f_measure, ref.counts.precision, ref.counts.recall)
    assert 0 < e.f_measure < 1
    assert Config.from_json(e.settings) == cfg
    # another setting, another score: the number comes from the settings, nothing else
    other = board.submit(demo.id, "ben", new_owner_token(), Config("absdiff", {"threshold": 90})).entry
    assert other.f_measure != e.f_measure
    assert [r.name for r in board.leaderboard(demo.id)] == sorted(["ann", "ben"], key=lambda n: -{
        "ann": e.f_measure, "ben": other.f_measure}[n])


def test_the_client_cannot_send_a_score(board: Board, demo):
    with pytest.raises(BgappError, match="unknown config key 'f_measure'"):
        board.submit(demo.id, "ann", new_owner_token(), {**ABSDIFF, "f_measure": 1.0})
    assert board.leaderboard(demo.id) == []


# Names and owners -----------------------------------------------------------------------------------

def test_a_resubmission_replaces_only_the_owners_row(board: Board, demo):
    ann, ben = new_owner_token(), new_owner_token()
    first = board.submit(demo.id, "Ann", ann, Config("absdiff", {"threshold": 20}))
    assert first.outcome == "inserted"
    board.submit(demo.id, "Ben", ben, ABSDIFF)
    bens = [r for r in rows(board, demo.id) if r[0] == "Ben"]
    second = board.submit(demo.id, "  ann ", ann, Config("absdiff", {"threshold": 60}))
    assert second.outcome == "replaced" and second.entry.id == first.entry.id
    entries = board.leaderboard(demo.id)
    assert sorted(e.name for e in entries) == ["Ben", "ann"]  # the latest spelling, one row
    mine = next(e for e in entries if e.name == "ann")
    assert json.loads(mine.settings)["params"]["threshold"] == 60  # the latest, not the best
    assert mine.owner == owner_hash(ann) != ann  # only the token's hash is stored
    assert [r for r in rows(board, demo.id) if r[0] == "Ben"] == bens  # untouched
    assert [e.name for e in board.mine(demo.id, ann)] == ["ann"]


@pytest.mark.parametrize("taken", ["ann", "ANN", " Ann  ", "Ａｎｎ"])
def test_another_owner_can_neither_take_change_nor_delete_a_row(board: Board, demo, taken: str):
    ann, eve = new_owner_token(), new_owner_token()
    board.submit(demo.id, "Ann", ann, ABSDIFF)
    before = rows(board, demo.id)
    with pytest.raises(BgappError, match="is taken"):
        board.submit(demo.id, taken, eve, Config("absdiff", {"threshold": 99}))
    with pytest.raises(BgappError, match="not a row of yours"):
        board.withdraw(demo.id, taken, eve)
    assert rows(board, demo.id) == before
    assert not board.store.delete_entry(demo.id, "ann", owner_hash(eve))
    board.withdraw(demo.id, "ann", ann)
    assert board.leaderboard(demo.id) == []


# Hostile input --------------------------------------------------------------------------------------

HOSTILE_NAMES = {
    "empty": ("", "empty"),
    "spaces": ("   \t ", "empty"),
    "too long": ("x" * (NAME_MAX + 1), f"at most {NAME_MAX}"),
    "huge": ("x" * 10_000_000, "at most"),
    "NUL": ("ann\x00", "control character"),
    "escape": ("\x1b[31mred", "control character"),
    "bidi override": ("ann\u202egpj.exe", "U\\+202E"),
    "zero-width": ("a\u200bnn", "U\\+200B"),
    "not text": (12345, "must be text"),
}


@pytest.mark.parametrize("case", list(HOSTILE_NAMES))
def test_hostile_names_are_refused_with_nothing_written(board: Board, demo, case: str):
    name, message = HOSTILE_NAMES[case]
    with pytest.raises(BgappError, match=message):
        board.submit(demo.id, name, new_owner_token(), ABSDIFF)  # type: ignore[arg-type]
    assert board.leaderboard(demo.id) == []


HOSTILE_SETTINGS: dict[str, tuple[Any, str]] = {
    "out of range": ({"method": "absdiff", "params": {"threshold": 9999}}, "threshold"),
    "wrong type": ({"method": "absdiff", "params": {"threshold": "lots"}}, "threshold"),
    "unknown method": ({"method": "nosuch"}, "unknown method"),
    "unknown key": ({"method": "absdiff", "bogus": 1}, "unknown config key"),
    "not an object": ("[1, 2]", "JSON object"),
    "malformed JSON": ('{"method": "absdiff",', "not valid JSON"),
    "empty JSON": ("", "empty"),
    "too big": ("{" + " " * 200_000 + "}", "bytes"),
    "deep": ("[" * 50_000 + "]" * 50_000, "nested too deeply"),
}


@pytest.mark.parametrize("case", list(HOSTILE_SETTINGS))
def test_hostile_settings_are_refused_with_nothing_written(board: Board, demo, case: str):
    settings, message = HOSTILE_SETTINGS[case]
    with pytest.raises(BgappError, match=message) as err:
        board.submit(demo.id, "ann", new_owner_token(), settings)
    assert "\n" not in str(err.value)
    assert board.leaderboard(demo.id) == []


def test_a_fixed_method_a_closed_challenge_and_a_bad_token_are_refused(board: Board):
    fixed = board.create("MOG2 only", "demo", "mog2", FRAMES, host=True)
    with pytest.raises(BgappError, match=r"is for MOG2 \(Gaussian mixture\); your settings use Absolute difference"):
        board.submit(fixed.id, "ann", new_owner_token(), ABSDIFF)
    board.set_open(fixed.id, False, host=True)
    with pytest.raises(BgappError, match="closed"):
        board.submit(fixed.id, "ann", new_owner_token(), {"method": "mog2"})
    board.set_open(fixed.id, True, host=True)
    for token in ("", "short", None):
        with pytest.raises(BgappError, match="submission key"):
            board.submit(fixed.id, "ann", token, {"method": "mog2"})  # type: ignore[arg-type]
    with pytest.raises(BgappError, match="no longer exists"):
        board.submit(fixed.id + 1000, "ann", new_owner_token(), {"method": "mog2"})
    assert board.leaderboard(fixed.id) == []


@pytest.mark.parametrize("name", [
    "<script>alert(1)</script>",
    "Robert'); DROP TABLE bgapp_entries;--",
    "' OR '1'='1",
    "%s %(x)s ? $1",
    "名前 ✓ 🙂",
])
def test_markup_and_sql_are_stored_as_text(board: Board, demo, name: str):
    token = new_owner_token()
    board.submit(demo.id, name, token, ABSDIFF)
    board.submit(demo.id, "other", new_owner_token(), ABSDIFF)
    assert sorted(e.name for e in board.leaderboard(demo.id)) == sorted([name, "other"])
    board.withdraw(demo.id, name, token)
    assert [e.name for e in board.leaderboard(demo.id)] == ["other"]  # the tables are still there


# Backends -------------------------------------------------------------------------------------------

def test_the_database_comes_from_the_servers_configuration(tmp_path: Path):
    assert database_url({STATE_DIR_ENV: str(tmp_path)}) == f"sqlite:///{tmp_path / 'challenges.sqlite3'}"
    assert database_url({"XDG_STATE_HOME": "/srv/state"}) == "sqlite:////srv/state/bgapp/challenges.sqlite3"
    assert database_url({DATABASE_URL_ENV: " postgresql://u@db/class ", STATE_DIR_ENV: "/x"}) == \
        "postgresql://u@db/class"
    with pytest.raises(BgappError, match=DATABASE_URL_ENV):
        open_store("mysql://u@db/class")
    store = open_store(f"sqlite:///{tmp_path / 'deep' / 'c.sqlite3'}")  # its folder is made
    with sqlite3.connect(store.path) as conn:  # type: ignore[attr-defined]
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # several processes share it


def test_an_unreachable_postgresql_is_one_clear_line(tmp_path: Path):
    if missing_reason() and "psycopg" in (missing_reason() or ""):
        pytest.skip(missing_reason())
    with pytest.raises(BgappError, match=f"cannot reach the challenge database \\({DATABASE_URL_ENV}\\)") as err:
        open_store(f"postgresql://nobody@/none?host={tmp_path}&connect_timeout=2")
    assert "\n" not in str(err.value)


# Several processes at once --------------------------------------------------------------------------

SESSIONS = 6


def _session(url: str, challenge_id: int, i: int, barrier: Any, out: Any) -> None:
    """One student's session in its own process: five submissions, the first for a name everybody wants."""
    try:
        board = Board.open(url)
        token = new_owner_token()
        plan = [("shared", 10 + i), (f"s{i}-a", 20), (f"s{i}-b", 25), (f"s{i}-a", 30 + i), (f"s{i}-c", 35)]
        barrier.wait(120)
        done = []
        for name, threshold in plan:
            try:
                r = board.submit(challenge_id, name, token, {"method": "absdiff", "params": {"threshold": threshold}})
                done.append((name, threshold, r.outcome))
            except BgappError as exc:
                done.append((name, threshold, f"refused: {exc}"))
        out.put((i, owner_hash(token), done))
    except BaseException as exc:  # noqa: BLE001 - the parent reports it
        out.put((i, None, repr(exc)))


@contextlib.contextmanager
def _no_main_to_rerun() -> Iterator[None]:
    """A spawned child first runs the parent's ``__main__`` again; in a whole test run an AppTest has left
    the app's script there, which cannot run outside Streamlit. The children need nothing of it."""
    saved = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = saved


def _run_sessions(target: Any, *args: Any) -> list[tuple]:
    ctx = mp.get_context("spawn")  # separate interpreters, as replicas are
    barrier, out = ctx.Barrier(SESSIONS), ctx.Queue()
    procs = [ctx.Process(target=target, args=(*args, i, barrier, out)) for i in range(SESSIONS)]
    with _no_main_to_rerun():
        for p in procs:
            p.start()
    try:
        results = [out.get(timeout=180) for _ in procs]
    finally:
        for p in procs:
            p.join(30)
            if p.is_alive():
                p.kill()
    bad = [r for r in results if r[1] is None]
    assert not bad, bad
    return sorted(results)


def test_concurrent_submissions_lose_and_duplicate_nothing(url: str):
    board = Board.open(url)
    ch = board.create("Race", "demo", "absdiff", 45, host=True)  # 5 scored frames: the writes collide
    results = _run_sessions(_session, url, ch.id)
    entries = board.leaderboard(ch.id)
    names = sorted(e.name for e in entries)
    expected = sorted(["shared"] + [f"s{i}-{x}" for i in range(SESSIONS) for x in "abc"])
    assert names == expected  # none lost, none twice
    assert len({e.id for e in entries}) == len(entries)
    owners = {i: who for i, who, _ in results}
    by_name = {e.name: e for e in entries}
    for i, who, done in results:
        outcomes = {(name, t): o for name, t, o in done}
        assert outcomes[(f"s{i}-a", 20)] == "inserted" and outcomes[(f"s{i}-a", 30 + i)] == "replaced"
        assert outcomes[(f"s{i}-b", 25)] == outcomes[(f"s{i}-c", 35)] == "inserted"
        for x in "abc":
            assert by_name[f"s{i}-{x}"].owner == who
        assert json.loads(by_name[f"s{i}-a"].settings)["params"]["threshold"] == 30 + i  # the latest
    shared = [(i, dict(((n, o) for n, _, o in done))["shared"]) for i, _, done in results]
    winners = [i for i, o in shared if o == "inserted"]
    assert len(winners) == 1, shared
    assert all("is taken" in o for i, o in shared if i != winners[0]), shared
    assert by_name["shared"].owner == owners[winners[0]]
    assert json.loads(by_name["shared"].settings)["params"]["threshold"] == 10 + winners[0]


def _first_use(url: str, i: int, barrier: Any, out: Any) -> None:
    try:
        barrier.wait(120)
        board = Board.open(url)  # every process creates the schema at once
        ch = board.create(f"from {i}", "demo", None, 45, host=True)
        out.put((i, ch.id, "ok"))
    except BaseException as exc:  # noqa: BLE001
        out.put((i, None, repr(exc)))


def test_several_processes_can_start_on_a_new_database_at_once(url: str):
    results = _run_sessions(_first_use, url)
    assert len({cid for _, cid, _ in results}) == SESSIONS
    assert sorted(c.title for c in Board.open(url).challenges()) == sorted(f"from {i}" for i in range(SESSIONS))
