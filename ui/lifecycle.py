"""What a session owns, and its release when the browser tab is gone.

Each session that runs a page gets one :class:`SessionOwner` from
``st.cache_resource(scope="session", on_release=...)`` (:func:`owner`). What the session owns
registers with it: its temp folders (:class:`SessionDir`, via ``ui.session.workdir``) and its
webcam worker (``ui.webrtc_stream``). Streamlit releases that resource when the session
disconnects (tab closed or reloaded, network gone) and when it shuts down, and calls
:func:`_release` on Streamlit's event loop. In Streamlit 1.67 (checked in its source):

* the release comes at the disconnect itself, not after ``server.disconnectedSessionTTL``;
* but Streamlit keeps the session's *state* for that TTL (120 s by default) so that a reconnect
  resumes it, and then only forgets it (no ``AppSession.shutdown()``, so its uploaded files stay).

So a release does two things. At once: the webcam worker stops (the connection that fed it is
gone; a resumed session's next frame starts it again). At the end of the reconnect window (the
TTL less a margin of at most a second, see :func:`window`), on the event loop, unless the session
came back: the session has *ended*. Streamlit is asked to close it (through :mod:`ui.st_runtime`,
the one module with private access: its state, players, pipelines and uploaded files go), its
temp folders are deleted and a garbage collection runs.
A session that came back and ran again gets a new owner, which takes over what the old one held.
Under ``AppTest`` nothing is ever released (there is no disconnect); temp folders then go when
their session state is dropped, or at interpreter exit.

The module keeps no figures for tests: ``tests/census.py`` counts live sessions, pipelines and
folders from outside (the garbage collector, this module's session tables).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import shutil
import tempfile
import threading
import weakref
from pathlib import Path
from typing import Any

import streamlit as st

from . import st_runtime

log = logging.getLogger("bgapp.ui")
DEFAULT_TTL = 120.0  # Streamlit's default server.disconnectedSessionTTL

_lock = threading.Lock()
_owners: dict[str, SessionOwner] = {}  # sessions connected since their last run
_leaving: dict[str, SessionOwner] = {}  # released at a disconnect, waiting out the reconnect window


# What a session owns -----------------------------------------------------------------------------------

class SessionDir:
    """A temp folder deleted when its session ends, when it is dropped, or at interpreter exit."""

    def __init__(self) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="bgapp-session-"))
        self._cleanup = weakref.finalize(self, shutil.rmtree, str(self.path), ignore_errors=True)

    def sub(self, name: str) -> Path:
        """A sub-folder (created on demand)."""
        p = self.path / name
        p.mkdir(parents=True, exist_ok=True)
        return p

    def cleanup(self) -> None:
        self._cleanup()


class SessionOwner:
    """One session's claim on what it owns; held weakly, so a dropped object is not kept alive."""

    def __init__(self, session_id: str, app: Any = None) -> None:
        self.session_id = session_id
        self.app = app  # weak reference to Streamlit's session object (ui.st_runtime.app_session)
        self._at_end: weakref.WeakSet = weakref.WeakSet()  # objects with cleanup(): at the session's end
        self._at_disconnect: weakref.WeakSet = weakref.WeakSet()  # objects with stop(): at every disconnect

    def clean_up_at_end(self, obj: Any) -> None:
        """Call ``obj.cleanup()`` when the session ends (e.g. a :class:`SessionDir`)."""
        self._at_end.add(obj)

    def stop_on_disconnect(self, obj: Any) -> None:
        """Call ``obj.stop()`` when the session disconnects (e.g. a webcam worker)."""
        self._at_disconnect.add(obj)

    def take_over(self, old: SessionOwner) -> None:
        self._at_end.update(old._at_end)

    def disconnected(self) -> None:
        for obj in list(self._at_disconnect):
            _quietly(obj.stop, "stopping a worker of a disconnected session")

    def end(self) -> None:
        for obj in list(self._at_end):
            _quietly(obj.cleanup, "a session clean-up")


def _quietly(fn: Any, what: str) -> None:
    try:
        fn()
    except Exception:  # noqa: BLE001 - one failed clean-up must not stop the others
        log.warning("%s failed", what, exc_info=True)


def _new_owner() -> SessionOwner:
    sid = st_runtime.session_id() or ""
    own = SessionOwner(sid, st_runtime.app_session(sid) if sid else None)
    with _lock:
        old = _leaving.pop(sid, None)  # the session came back within the TTL: its folders stay its own
        if old is not None:
            own.take_over(old)
        _owners[sid] = own
    return own


def _release(own: SessionOwner) -> None:
    """Streamlit's ``on_release``: the session disconnected or shut down (on Streamlit's event loop)."""
    try:
        with _lock:
            if _owners.get(own.session_id) is own:
                del _owners[own.session_id]
        own.disconnected()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not on an event loop: the server is stopping; nothing will reconnect
            loop = None
        if loop is None or not own.session_id:
            _end(own, close=False)
            return
        with _lock:
            _leaving[own.session_id] = own
        loop.call_later(window(), _check, loop, own)
    except Exception:  # noqa: BLE001 - never break Streamlit's own disconnect
        log.exception("releasing a session's resources")


def window() -> float:
    """Seconds from a disconnect to the session's end: Streamlit's reconnect window, less a margin.
    The end must come *before* Streamlit's TTL runs out, or ``close_session`` no longer finds the
    session (Streamlit treats an expired entry as absent, yet keeps it until some later write)."""
    t = ttl()
    return max(0.0, t - min(1.0, t / 4))


def _check(loop: asyncio.AbstractEventLoop, own: SessionOwner) -> None:
    """The reconnect window of a released session is over (on the event loop)."""
    sid = own.session_id
    with _lock:
        if _leaving.get(sid) is not own:
            return  # the session came back and ran: its new owner took over
    if st_runtime.is_connected(sid):  # back, but it has not run since: look again later
        loop.call_later(window(), _check, loop, own)
        return
    with _lock:
        _leaving.pop(sid, None)
    _end(own, close=True)


def _end(own: SessionOwner, close: bool) -> None:
    """The session ended: Streamlit drops it (state, uploads), its folders go, the GC runs."""
    if close:
        st_runtime.close_session(own.session_id, own.app)

    def finish() -> None:
        own.end()
        gc.collect()  # players and frames held in reference cycles go now, not some day

    if close:  # off the event loop: deleting folders and a collection take a while
        threading.Thread(target=finish, name="bgapp-session-end", daemon=True).start()
    else:
        finish()


@st.cache_resource(scope="session", on_release=_release, show_spinner=False)
def _session_owner() -> SessionOwner:
    return _new_owner()


def owner() -> SessionOwner | None:
    """The running session's owner (None outside a script run)."""
    if st_runtime.session_id() is None:
        return None
    return _session_owner()


def ttl() -> float:
    try:
        return float(st.get_option("server.disconnectedSessionTTL"))
    except (KeyError, RuntimeError, TypeError, ValueError) as exc:
        log.warning("cannot read server.disconnectedSessionTTL (%s); assuming %.0f s", exc, DEFAULT_TTL)
        return DEFAULT_TTL

