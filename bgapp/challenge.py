"""A class challenge: a teacher sets a clip with ground truth, students submit settings, a leaderboard.

The server scores every submission itself, from the settings alone, with the same
:func:`bgapp.evaluate.evaluate` that ``bgapp eval`` and the Evaluate page run: a client never sends a
score, so a row's F is what those settings give on that clip. Only the host creates, closes, reopens,
clears and deletes a challenge (every such call takes an explicit ``host`` flag, which the page sets
from the teacher passcode in the server's configuration or from Streamlit's login). A student's
session holds a random token; a row stores its hash, and only that token replaces or deletes the row.
A name's row holds its owner's latest submission (not the best): opening it in the lab gives what
they last tried.

The rows live in a :class:`bgapp.store.Store` (SQLite by default, PostgreSQL where
``BGAPP_DATABASE_URL`` names one).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import os
import secrets
import threading
import time
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from .config import Config
from .errors import BgappError, brief
from .evaluate import SequenceResult, evaluate
from .methods import METHODS
from .source import Source
from .sources import open_source
from .store import Challenge, Entry, Outcome, Store, open_store

TEACHER_PASSCODE_ENV = "BGAPP_TEACHER_PASSCODE"  # who knows it is the host of every challenge
TEACHERS_ENV = "BGAPP_TEACHERS"  # comma-separated e-mail addresses that Streamlit's login makes hosts
NAME_MAX = 40  # characters of a student's name
TITLE_MAX = 80
RAW_MAX = 1_000  # longer input is refused before it is looked at
SETTINGS_MAX = 100_000  # bytes of a settings document
MAX_FRAMES_LIMIT = 100_000
TOKEN_MIN = 16  # an owner token shorter than this is not one this module made

Progress = Callable[[int, int], None]


class NotHost(BgappError):
    """Only the host (the teacher) may do this."""


def new_owner_token() -> str:
    """A session's secret: it proves which rows are its own; only its hash is stored."""
    return secrets.token_urlsafe(32)


def owner_hash(token: str) -> str:
    if not isinstance(token, str) or len(token) < TOKEN_MIN or len(token) > RAW_MAX:
        raise BgappError("this session has no valid submission key; reload the page")
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def passcode_configured(environ: Mapping[str, str] | None = None) -> bool:
    return bool((os.environ if environ is None else environ).get(TEACHER_PASSCODE_ENV, "").strip())


def is_host_passcode(given: str | None, environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``given`` is the configured teacher passcode (compared in constant time); never
    without one configured."""
    expected = (os.environ if environ is None else environ).get(TEACHER_PASSCODE_ENV, "").strip()
    if not expected or not given:
        return False
    return hmac.compare_digest(given.strip().encode("utf-8", "surrogatepass"), expected.encode("utf-8"))


class PasscodeGuard:
    """Slows guessing at the teacher passcode: a session that gives ``per_session`` wrong ones waits
    ``lockout`` seconds before the next is checked, and the process checks at most ``per_process``
    wrong ones a minute in all (a reload is a new session), so a class cannot try a dictionary.
    A right passcode is never counted; one session's lockout leaves the others' tries alone, while
    the process-wide cap, reached only by many sessions guessing at once, holds every session.

    >>> guard = PasscodeGuard(per_session=2, lockout=30.0, clock=lambda: 0.0)
    >>> env = {TEACHER_PASSCODE_ENV: "correct horse"}
    >>> [guard.check("s1", "guess", env), guard.check("s1", "guess 2", env)]
    [False, False]
    >>> guard.check("s1", "correct horse", env)
    Traceback (most recent call last):
    ...
    bgapp.errors.BgappError: too many wrong passcodes from this page: try again in 30 s
    >>> guard.check("s2", "correct horse", env)
    True
    """

    def __init__(self, per_session: int = 5, lockout: float = 30.0, per_process: int = 60,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.per_session, self.lockout, self.per_process, self.clock = per_session, lockout, per_process, clock
        self._wrong: dict[str, list[float]] = {}  # a session's recent wrong tries (within ``lockout``)
        self._all: list[float] = []  # every session's, within the last minute
        self._lock = threading.Lock()

    def check(self, session: str, given: str | None, environ: Mapping[str, str] | None = None) -> bool:
        """Whether ``given`` is the passcode (:func:`is_host_passcode`); raises BgappError, saying how
        long to wait, while ``session`` or the process is over its limit (nothing is checked then)."""
        with self._lock:
            now = self.clock()
            self._all = [t for t in self._all if now - t < 60.0]
            for key in [k for k, ts in self._wrong.items() if now - ts[-1] >= self.lockout]:
                del self._wrong[key]  # forgotten once its lockout is over: the table stays small
            mine = self._wrong.get(session, [])
            if len(mine) >= self.per_session:
                raise BgappError(f"too many wrong passcodes from this page: try again in "
                                 f"{math.ceil(mine[-1] + self.lockout - now)} s")
            if len(self._all) >= self.per_process:
                raise BgappError(f"too many wrong passcodes on this server: try again in "
                                 f"{math.ceil(self._all[0] + 60.0 - now)} s")
            if is_host_passcode(given, environ):
                return True
            self._wrong.setdefault(session, []).append(now)
            self._all.append(now)
            return False


def is_host_login(email: str | None, environ: Mapping[str, str] | None = None) -> bool:
    """Whether a user Streamlit's login vouches for is one of the configured teachers."""
    listed = (os.environ if environ is None else environ).get(TEACHERS_ENV, "")
    allowed = {e.strip().casefold() for e in listed.split(",") if e.strip()}
    return bool(email) and isinstance(email, str) and email.strip().casefold() in allowed


# Plain text -------------------------------------------------------------------------------------------

def plain_text(raw: object, what: str, limit: int) -> str:
    """``raw`` as one line of plain text: stripped, inner spaces collapsed, at most ``limit``
    characters; control, format (bidi overrides, zero-width) and unassigned characters refused."""
    if not isinstance(raw, str):
        raise BgappError(f"{what} must be text")
    if len(raw) > RAW_MAX:
        raise BgappError(f"{what} is {len(raw):,} characters long; at most {limit}")
    text = " ".join(raw.split())
    if not text:
        raise BgappError(f"{what} is empty: type one")
    bad = next((c for c in text if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")), None)
    if bad is not None:
        raise BgappError(f"{what} holds an invisible or control character (U+{ord(bad):04X}): use plain text")
    if len(text) > limit:
        raise BgappError(f"{what} is {len(text)} characters long; at most {limit}")
    return text


def name_key(name: str) -> str:
    """What makes two names the same name: compatibility forms, case and spacing folded, so
    ``Ａｌｉｃｅ`` or ``ALICE`` cannot pose as ``alice``."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def parse_settings(settings: Config | Mapping[str, Any] | str | bytes) -> Config:
    """A submission's settings, validated by the declarations (:meth:`Config.from_dict`); a JSON
    document as text too. A method must also run on this server."""
    if isinstance(settings, (str, bytes)):
        if len(settings) > SETTINGS_MAX:
            raise BgappError(f"settings: {len(settings):,} bytes; a settings document is a few hundred")
        cfg = Config.from_json(settings, "settings")
    elif isinstance(settings, Config):
        cfg = Config.from_dict(settings.to_dict())  # checked again: the object may have been changed since
    else:
        try:
            cfg = Config.from_dict(settings)
        except BgappError as exc:
            raise BgappError(f"settings: {exc}") from None
    cls = METHODS[cfg.method]
    if not cls.available():
        reason = cls.unavailable_reason()
        raise BgappError(f"{cls.title} is not available on this server" + (f" ({reason})" if reason else ""))
    return cfg


def settings_summary(cfg: Config) -> str:
    """The values that differ from their defaults, as the lab's link writes them; "defaults"."""
    query = cfg.to_query()
    query.pop("method")
    return ", ".join(f"{k}={v}" for k, v in query.items()) or "defaults"


# Clips ------------------------------------------------------------------------------------------------

def open_clip(spec: str, data_root: Path | None) -> Source:
    """The source a challenge names: ``demo``, ``case:NAME``, or a sequence's path relative to the
    shared data folder (never outside it: no absolute paths, no ``..``)."""
    if spec == "demo" or spec.startswith("case:"):
        return open_source(spec)
    rel = PurePosixPath(spec)
    if not spec or "\\" in spec or rel.is_absolute() or ".." in rel.parts or spec.startswith("~"):
        raise BgappError(f"clip {brief(spec)}: expected demo, case:NAME or a shared sample's path such as "
                         "cdnet/baseline/highway")
    if data_root is None or not data_root.is_dir():
        raise BgappError(f"clip {brief(spec)}: this server has no shared sample data")
    root = data_root.resolve()
    path = (root / rel).resolve()
    if not path.is_relative_to(root) or not path.is_dir():
        raise BgappError(f"clip {brief(spec)} is not one of this server's shared samples")
    return open_source(path)


# Scoring ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Score:
    f_measure: float | None
    precision: float | None
    recall: float | None
    scored: int
    frames: int


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def run_scoring(source: Source, cfg: Config, max_frames: int | None, progress: Progress | None = None) \
        -> SequenceResult:
    """:func:`bgapp.evaluate.evaluate` of ``cfg`` on ``source``, stopped after ``max_frames``."""
    total = len(source) if max_frames is None else min(len(source), max_frames)
    done = [0]

    def seen(i: int, n: int) -> None:
        done[0] = i
        if progress is not None:
            progress(i, total)

    return evaluate(source, cfg, progress=seen, stop=lambda: max_frames is not None and done[0] >= max_frames)


def score(challenge: Challenge, cfg: Config, data_root: Path | None, progress: Progress | None = None) -> Score:
    r = run_scoring(open_clip(challenge.clip, data_root), cfg, challenge.max_frames, progress)
    c = r.counts
    return Score(_finite(c.f_measure), _finite(c.precision), _finite(c.recall), r.scored, r.frames)


# The service ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Submitted:
    """What a submission did: ``inserted`` a new row or ``replaced`` the owner's row."""

    outcome: Outcome
    entry: Entry


@dataclass
class Board:
    """Challenges and leaderboards over one store; every rule of who may do what is checked here."""

    store: Store
    data_root: Path | None = None  # the shared data folder that clips' relative paths name

    @classmethod
    def open(cls, url: str | None = None, data_root: Path | None = None) -> Board:
        return cls(open_store(url), data_root)

    # The host's -----------------------------------------------------------------------------------

    def create(self, title: str, clip: str, method: str | None = None, max_frames: int | None = None, *,
               host: bool) -> Challenge:
        """A new open challenge; the clip must open and have scored frames within ``max_frames``."""
        _need_host(host, "create a challenge")
        title = plain_text(title, "the title", TITLE_MAX)
        if not isinstance(clip, str) or not clip or len(clip) > RAW_MAX:
            raise BgappError("choose a clip with ground truth")
        if method is not None:
            if method not in METHODS:
                raise BgappError(f"unknown method {brief(method)}; choose one of: {', '.join(METHODS)}")
            if not METHODS[method].available():
                raise BgappError(f"{METHODS[method].title} is not available on this server")
        if max_frames is not None and (isinstance(max_frames, bool) or not isinstance(max_frames, int)
                                       or not 1 <= max_frames <= MAX_FRAMES_LIMIT):
            raise BgappError(f"frames to score: a whole number from 1 to {MAX_FRAMES_LIMIT:,}, or none for "
                             "the whole clip")
        src = open_clip(clip, self.data_root)
        scored = src.scored_indices if src.has_ground_truth else []
        if not scored:
            raise BgappError(f"clip {brief(clip)} has no ground truth to score against")
        if max_frames is not None and scored[0] >= max_frames:
            raise BgappError(f"clip {brief(clip)}: its first scored frame is frame {scored[0] + 1}; score at "
                             f"least {scored[0] + 1} frames")
        return self.store.add_challenge(title, clip, method, max_frames)

    def set_open(self, challenge_id: int, is_open: bool, *, host: bool) -> None:
        _need_host(host, "close or reopen a challenge")
        if not self.store.set_open(challenge_id, is_open):
            raise BgappError("that challenge no longer exists")

    def clear(self, challenge_id: int, *, host: bool) -> int:
        """Delete every row of a challenge; how many."""
        _need_host(host, "clear a leaderboard")
        return self.store.clear(challenge_id)

    def delete(self, challenge_id: int, *, host: bool) -> None:
        _need_host(host, "delete a challenge")
        if not self.store.delete_challenge(challenge_id):
            raise BgappError("that challenge no longer exists")

    # Everyone's -----------------------------------------------------------------------------------

    def challenges(self) -> list[Challenge]:
        return self.store.challenges()

    def get(self, challenge_id: int) -> Challenge:
        found = self.store.challenge(challenge_id)
        if found is None:
            raise BgappError("that challenge no longer exists")
        return found

    def leaderboard(self, challenge_id: int) -> list[Entry]:
        return self.store.entries(challenge_id)

    def submit(self, challenge_id: int, name: str, owner: str, settings: Config | Mapping[str, Any] | str | bytes,
               progress: Progress | None = None) -> Submitted:
        """Score ``settings`` on the challenge's clip here and store the row under ``name``.

        Everything is checked before anything is run or written: the name, the owner's token, the
        challenge (open), the settings (declared ranges, a method this server has, the challenge's
        fixed method). A name another owner holds is refused; the owner's own name is replaced."""
        name = plain_text(name, "your name", NAME_MAX)
        key = name_key(name)
        who = owner_hash(owner)
        challenge = self.get(challenge_id)
        if not challenge.open:
            raise BgappError(f"the challenge {brief(challenge.title)} is closed: it takes no more submissions")
        cfg = parse_settings(settings)
        if challenge.method is not None and cfg.method != challenge.method:
            raise BgappError(f"this challenge is for {METHODS[challenge.method].title}; your settings use "
                             f"{METHODS[cfg.method].title}")
        held = self.store.entry(challenge_id, key)
        if held is not None and held.owner != who:
            raise _taken(name)  # early, before scoring; the store decides again when it writes
        s = score(challenge, cfg, self.data_root, progress)
        entry = Entry(0, challenge_id, name, key, who, cfg.method, json_settings(cfg), s.f_measure, s.precision,
                      s.recall, s.scored, s.frames, time.time())
        outcome, stored = self.store.put(entry)
        if outcome == "taken":
            raise _taken(name)
        if outcome == "closed":
            raise BgappError(f"the challenge {brief(challenge.title)} was closed while your settings were scored")
        if stored is None:
            raise BgappError("that challenge was deleted while your settings were scored")
        return Submitted(outcome, stored)

    def withdraw(self, challenge_id: int, name: str, owner: str) -> None:
        """Delete the row of ``name`` where ``owner`` submitted it; refused for anyone else's row."""
        if not self.store.delete_entry(challenge_id, name_key(name) if isinstance(name, str) else "",
                                       owner_hash(owner)):
            raise BgappError(f"{brief(name)} is not a row of yours: only whoever submitted a row can delete it")

    def mine(self, challenge_id: int, owner: str) -> list[Entry]:
        who = owner_hash(owner)
        return [e for e in self.leaderboard(challenge_id) if e.owner == who]


def json_settings(cfg: Config) -> str:
    return json.dumps(cfg.to_dict(), sort_keys=True)


def _need_host(host: bool, what: str) -> None:
    if host is not True:
        raise NotHost(f"only the teacher can {what}: enter the teacher passcode")


def _taken(name: str) -> BgappError:
    return BgappError(f"the name {brief(name)} is taken in this challenge: choose another")
