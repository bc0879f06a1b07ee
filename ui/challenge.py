"""The Class challenge page's parts: pick a challenge, submit the lab's settings, the leaderboard,
and the teacher's controls. Every rule (who may do what, the score) is :mod:`bgapp.challenge`'s; this
module only lays out widgets. Names and titles are people's input: tables show them as text, and
markdown only through :func:`ui.errors.plain`."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from bgapp.challenge import (
    NAME_MAX,
    TEACHER_PASSCODE_ENV,
    TEACHERS_ENV,
    TITLE_MAX,
    Board,
    Challenge,
    PasscodeGuard,
    is_host_login,
    new_owner_token,
    owner_hash,
    passcode_configured,
    settings_summary,
)
from bgapp.config import Config
from bgapp.errors import BgappError
from bgapp.gallery import PREFIX, case_names
from bgapp.methods import METHODS
from bgapp.metrics import METRIC_SHORT
from bgapp.store import DATABASE_URL_ENV, Entry, database_url, open_store

from .errors import attempt, guard, plain
from .eval_inputs import LiveProgress
from .evaluate import SHARED_DATA, sample_sequences
from .keys import LAB_CONFIG
from .links import open_in_lab

KEY = "challenge"
CHECKED = f"{KEY}.checked"  # (passcode, verdict): the value this session last had checked
PASSCODES = PasscodeGuard()  # one per server process: every session's guesses count against it
OWNER = f"{KEY}.owner"  # this session's secret: its rows are the ones whose owner is its hash
REFRESH_S = 5  # the leaderboard reloads this often
LAB_URL = "video_lab"  # the lab's address (st.navigation names a page after its file)
F, PRECISION, RECALL = (METRIC_SHORT[m] for m in ("f_measure", "precision", "recall"))  # the table's columns


@st.cache_resource(show_spinner=False)
def _board(url: str) -> Board:
    return Board(open_store(url), SHARED_DATA)


def board() -> Board:
    """The server's board (its schema made once per process and database)."""
    return _board(database_url())


def owner() -> str:
    return st.session_state.setdefault(OWNER, new_owner_token())


def lab_config() -> tuple[Config, bool]:
    """The Video lab's current settings, and whether the lab has any (else the defaults)."""
    cfg = st.session_state.get(LAB_CONFIG)
    return (cfg, True) if isinstance(cfg, Config) else (Config(), False)


def lab_query(ch: Challenge, e: Entry) -> dict[str, str]:
    """The lab's address for a row: the challenge's clip and the row's settings."""
    return {"source": ch.clip} | Config.from_json(e.settings, "settings").to_query()


def describe(ch: Challenge) -> str:
    method = METHODS[ch.method].title if ch.method in METHODS else "any method"
    frames = f"first {ch.max_frames} frames" if ch.max_frames else "whole clip"
    return f"{ch.title} · {ch.clip} · {method} · {frames}" + ("" if ch.open else " · closed")


@st.fragment(run_every=REFRESH_S)
def _waiting(b: Board) -> None:
    """Until the teacher creates a challenge: the page shows it within REFRESH_S, no reload needed."""
    if b.challenges():
        st.rerun()
    st.info("No challenge yet: the teacher creates one below. It appears here by itself.",
            icon=":material/emoji_events:")


def pick(b: Board) -> Challenge | None:
    challenges = b.challenges()
    if not challenges:
        _waiting(b)
        return None
    ids = [c.id for c in sorted(challenges, key=lambda c: (not c.open, -c.id))]
    by_id = {c.id: c for c in challenges}
    chosen = st.selectbox("Challenge", ids, key=f"{KEY}.pick", format_func=lambda i: describe(by_id[i]))
    return by_id.get(chosen)


def submit_section(b: Board, ch: Challenge, token: str) -> None:
    cfg, from_lab = lab_config()
    with st.container(border=True):
        st.markdown("**Submit your settings**")
        where = "the Video lab's current settings" if from_lab else "the defaults (open the Video lab to tune first)"
        st.caption(plain(f"You send {where}: {METHODS[cfg.method].title}, {settings_summary(cfg)}. The server "
                         f"scores them itself on {ch.clip}; your name's row holds your latest submission, even "
                         "when it scores lower than an earlier one."))
        if ch.method is not None and cfg.method != ch.method:
            st.warning(plain(f"This challenge is for {METHODS[ch.method].title}; the lab's method is "
                             f"{METHODS[cfg.method].title}. Switch the method in the Video lab first."),
                       icon=":material/rule:")
        name = st.text_input("Your name on the leaderboard", key=f"{KEY}.name", max_chars=NAME_MAX,
                             placeholder="plain text, up to 40 characters")
        go = st.button("Submit", type="primary", key=f"{KEY}.submit", disabled=not ch.open,
                       help=None if ch.open else "This challenge is closed.")
        if go:
            with LiveProgress(st, "Scoring your settings on the server") as show, guard("scoring your settings") as g:
                done = b.submit(ch.id, name, token, cfg,
                                progress=lambda i, n: show(i / max(n, 1), f"frame {i} of {n}"))
            if g.ok:
                e = done.entry
                f = "undefined" if e.f_measure is None else f"{e.f_measure:.4f}"
                st.success(plain(f"{'Replaced' if done.outcome == 'replaced' else 'Added'} {e.name}'s row: F = {f} "
                                 f"on {e.scored} scored frames."), icon=":material/check:")


def _rows(ch: Challenge, entries: list[Entry], mine: str) -> pd.DataFrame:
    rows = []
    for rank, e in enumerate(entries, 1):
        when = dt.datetime.fromtimestamp(e.submitted).strftime("%H:%M:%S")
        try:
            summary = settings_summary(Config.from_json(e.settings, "settings"))
            link = f"{LAB_URL}?{urlencode(lab_query(ch, e))}"
        except BgappError:  # a row from an older version whose settings no longer load
            summary, link = "(settings no longer load)", None
        rows.append({"Rank": rank, "Name": e.name, F: e.f_measure, PRECISION: e.precision, RECALL: e.recall,
                     "Method": METHODS[e.method].title if e.method in METHODS else e.method, "Settings": summary,
                     "Lab": link, "Scored frames": e.scored, "Submitted": when, "Yours": e.owner == mine})
    return pd.DataFrame(rows, columns=["Rank", "Name", F, PRECISION, RECALL, "Method", "Settings", "Lab",
                                       "Scored frames", "Submitted", "Yours"])


def leaderboard(b: Board, ch: Challenge, token: str) -> None:
    """The table and the row actions, reloaded every few seconds (a fragment: the rest of the page does
    not rerun), so a row another student submits can be opened as soon as it shows."""

    @st.fragment(run_every=REFRESH_S)
    def table() -> None:
        entries: list[Entry] = []
        with guard("reading the leaderboard"):
            entries = b.leaderboard(ch.id)
            if not entries:
                st.caption("No submission yet.")
                return
            st.dataframe(_rows(ch, entries, owner_hash(token)), hide_index=True, width="stretch",
                         key=f"{KEY}.table.{ch.id}", column_config={
                             **{c: st.column_config.NumberColumn(format="%.4f") for c in (F, PRECISION, RECALL)},
                             "Lab": st.column_config.LinkColumn(display_text="Open in lab",
                                                                help="Opens the clip with these settings in a new "
                                                                     "tab")})
        if entries:
            row_actions(b, ch, token, entries)

    st.subheader("Leaderboard")
    table()


def row_actions(b: Board, ch: Challenge, token: str, entries: list[Entry]) -> None:
    """Open a row's settings in the lab (this tab); delete one of your own rows."""
    c1, c2 = st.columns(2)
    with c1:
        labels = {e.id: f"{rank}. {e.name}" for rank, e in enumerate(entries, 1)}
        chosen = st.selectbox("Open a row's settings in the Video lab", list(labels), key=f"{KEY}.open_row",
                              format_func=labels.__getitem__)
        if st.button("Open in the Video lab", key=f"{KEY}.open", icon=":material/movie:"):
            with guard("opening the row"):
                row = next(e for e in entries if e.id == chosen)
                open_in_lab(lab_query(ch, row))  # afresh, even where this tab opened the same row before
    mine = owner_hash(token)
    own = [e for e in entries if e.owner == mine]
    with c2:
        if not own:
            st.caption("Rows you submit from this tab can be deleted here (only by you).")
            return
        names = [e.name for e in own]
        gone = st.selectbox("Delete one of your rows", names, key=f"{KEY}.own_row")
        if st.button("Delete my row", key=f"{KEY}.delete_row", icon=":material/delete:"):
            with guard("deleting your row") as g:
                b.withdraw(ch.id, gone, token)
            if g.ok:
                st.rerun()


# The teacher's -----------------------------------------------------------------------------------------

def _login_email() -> str | None:
    """The signed-in user's e-mail where the host configured Streamlit's login, else None."""
    try:
        user = st.user
        if not user.is_logged_in:
            return None
        return str(user.get("email") or "") or None
    except Exception:  # noqa: BLE001 - no login configured: nobody is signed in
        return None


def _login_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no secrets file
        return False


def _passcode_ok() -> bool:
    """Whether the passcode typed in this session is the teacher's. Each new value typed is one try
    (:data:`PASSCODES` throttles them); a rerun with the same value reuses its verdict, so the page's
    reloads never count as guesses. Raises BgappError while this page or the server must wait."""
    code = st.session_state.get(f"{KEY}.passcode")
    if not code:
        return False
    last = st.session_state.get(CHECKED)
    if last is None or last[0] != code:
        last = (code, PASSCODES.check(owner(), code))
        st.session_state[CHECKED] = last
    return bool(last[1])


def is_host() -> bool:
    """Whether this session is the host: the passcode typed here, or a configured teacher signed in."""
    if is_host_login(_login_email()):
        return True
    try:
        return _passcode_ok()
    except BgappError:
        return False


def teacher_section(b: Board, ch: Challenge | None) -> None:
    with st.expander("Teacher", icon=":material/school:", expanded=False):
        email = _login_email()
        if is_host_login(email):
            st.caption(plain(f"Signed in as {email}: you are the host."))
        elif not passcode_configured():
            st.info(f"No teacher passcode is set on this server. Start it with `{TEACHER_PASSCODE_ENV}` in its "
                    f"environment (a long random string, e.g. `openssl rand -hex 16`), or configure Streamlit's "
                    f"login and list the teachers' e-mails in `{TEACHERS_ENV}`.")
            if _login_configured() and st.button("Log in", key=f"{KEY}.login"):
                st.login()
            return
        else:
            code = st.text_input("Teacher passcode", type="password", key=f"{KEY}.passcode")
            if not code:
                return
            ok = attempt(_passcode_ok, what="checking the passcode")
            if ok is None:  # this page or the server must wait: said in the error shown
                return
            if not ok:
                st.error("That is not the teacher passcode.")
                return
        host = is_host()
        st.markdown("**New challenge**")
        title = st.text_input("Title", key=f"{KEY}.title", max_chars=TITLE_MAX)
        clips = ["demo", *(PREFIX + n for n in case_names()), *(label for label, _ in sample_sequences())]
        clip = st.selectbox("Clip (with ground truth)", clips, key=f"{KEY}.clip")
        methods = [None, *(n for n, c in METHODS.items() if c.available())]
        method = st.selectbox("Method", methods, key=f"{KEY}.method",
                              format_func=lambda n: "any (students choose)" if n is None else METHODS[n].title)
        frames = st.number_input("Frames to score (0: the whole clip)", 0, 100_000, 0, key=f"{KEY}.frames",
                                 help="A short run keeps every submission quick; frames before the clip's first "
                                      "labelled frame only warm the model up.")
        if st.button("Create challenge", type="primary", key=f"{KEY}.create"):
            with guard("creating the challenge") as g:
                made = b.create(title, clip, method, int(frames) or None, host=host)
            if g.ok:
                st.session_state[f"{KEY}.pick"] = made.id
                st.rerun()
        if ch is None:
            return
        st.markdown(plain(f"**This challenge:** {ch.title}"))
        c1, c2, c3 = st.columns(3)
        if c1.button("Reopen" if not ch.open else "Close", key=f"{KEY}.toggle"):
            with guard("changing the challenge") as g:
                b.set_open(ch.id, not ch.open, host=host)
            if g.ok:
                st.rerun()
        if c2.button("Clear its rows", key=f"{KEY}.clear"):
            with guard("clearing the leaderboard") as g:
                b.clear(ch.id, host=host)
            if g.ok:
                st.rerun()
        if c3.button("Delete the challenge", key=f"{KEY}.drop"):
            with guard("deleting the challenge") as g:
                b.delete(ch.id, host=host)
            if g.ok:
                st.session_state.pop(f"{KEY}.pick", None)
                st.rerun()
        st.caption(f"Rows are stored in {'PostgreSQL' if b.store.kind == 'postgresql' else 'a SQLite file'} "
                   f"(`{DATABASE_URL_ENV}` chooses).")


def page_intro() -> Any:
    st.title("Class challenge")
    st.caption("The teacher sets a clip with ground truth; you tune a method in the **Video lab**, then submit "
               "your settings here under a name. The server runs them on the clip and scores them the CDnet "
               "way (the numbers of Evaluate & tune): the leaderboard shows F, method and settings, and any "
               "row opens in the lab.")
