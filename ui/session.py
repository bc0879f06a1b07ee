"""Per-session state: a private temp folder, and objects that live as long as the browser tab.

Everything a session owns is kept in ``st.session_state`` (never module globals or a global
``st.cache_resource``, which every session would share) and registered with the session's owner
(:mod:`ui.lifecycle`), which releases it when the tab is gone.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st

from . import lifecycle
from .lifecycle import SessionDir

T = TypeVar("T")
_WORKDIR_KEY = "bgapp.workdir"


def workdir() -> SessionDir:
    """This session's temp folder (uploads, extracted sequences, rendered downloads), deleted when
    the session ends."""
    d = st.session_state.get(_WORKDIR_KEY)
    if d is None or not d.path.is_dir():
        d = SessionDir()
        st.session_state[_WORKDIR_KEY] = d
    own = lifecycle.owner()
    if own is not None:
        own.clean_up_at_end(d)
    return d


def keep(key: str, make: Callable[[], T], ident: Any = None) -> T:
    """The session's object under ``key``, made again with ``make()`` when ``ident`` changes."""
    held = st.session_state.get(key)
    if held is None or held[0] != ident:
        if held is not None:  # the old object (a player: model, frames, buffers) goes now
            del st.session_state[key], held
            gc.collect()  # page globals form cycles, and Streamlit's collection after each run is off
        held = (ident, make())
        st.session_state[key] = held
    return held[1]


def visit(page: str) -> None:
    """Record the page being shown (app.py calls this before running it); every session that runs
    gets its owner here, so its end is noticed."""
    lifecycle.owner()
    st.session_state["bgapp.previous_page"] = st.session_state.get("bgapp.page")
    st.session_state["bgapp.page"] = page


def first_run() -> bool:
    """True on the session's first run. A browser tab that reconnects after its session expired
    (``server.disconnectedSessionTTL``) starts one with the widget values it still holds."""
    return st.session_state.get("bgapp.previous_page") is None


def just_arrived() -> bool:
    """True on the first run of a page after the session showed another one."""
    return st.session_state.get("bgapp.previous_page") != st.session_state.get("bgapp.page")


def flag(key: str) -> bool:
    """Read and clear a one-shot flag set by a widget callback."""
    return bool(st.session_state.pop(key, False))


def set_flag(key: str, value: Any = True) -> Callable[[], None]:
    """A widget callback that sets ``key`` (for :func:`flag`)."""

    def cb() -> None:
        st.session_state[key] = value

    return cb
