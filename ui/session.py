"""Per-session state: a private temp folder, and objects that live as long as the browser tab.

Everything a session owns is kept in ``st.session_state`` (never module globals or
``st.cache_resource``, which every session would share).
"""

from __future__ import annotations

import shutil
import tempfile
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import streamlit as st

from . import lifecycle

T = TypeVar("T")
_WORKDIR_KEY = "bgapp.workdir"


_DIRS: weakref.WeakSet = weakref.WeakSet()


class SessionDir:
    """A temp folder deleted when the session ends (see :mod:`ui.lifecycle`), when its state is
    dropped, or at interpreter exit at the latest."""

    def __init__(self) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="bgapp-session-"))
        self._cleanup = weakref.finalize(self, shutil.rmtree, str(self.path), ignore_errors=True)
        _DIRS.add(self)

    def sub(self, name: str) -> Path:
        """A sub-folder (created on demand)."""
        p = self.path / name
        p.mkdir(parents=True, exist_ok=True)
        return p

    def cleanup(self) -> None:
        self._cleanup()


def live_session_dirs() -> list[Path]:
    """Session folders of this process that still exist on disk (a debug figure)."""
    return [d.path for d in list(_DIRS) if d.path.is_dir()]


def workdir() -> SessionDir:
    """This session's temp folder (uploads, extracted sequences, rendered downloads)."""
    d = st.session_state.get(_WORKDIR_KEY)
    if d is None or not d.path.is_dir():
        d = SessionDir()
        st.session_state[_WORKDIR_KEY] = d
        lifecycle.track(d.cleanup)
    return d


def keep(key: str, make: Callable[[], T], ident: Any = None) -> T:
    """The session's object under ``key``, made again with ``make()`` when ``ident`` changes."""
    held = st.session_state.get(key)
    if held is None or held[0] != ident:
        held = (ident, make())
        st.session_state[key] = held
    return held[1]


def visit(page: str) -> None:
    """Record the page being shown (app.py calls this before running it)."""
    lifecycle.track()
    st.session_state["bgapp.previous_page"] = st.session_state.get("bgapp.page")
    st.session_state["bgapp.page"] = page


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
