"""The only place the app reaches into Streamlit's private runtime (tested against streamlit==1.67.0)
and into streamlit-webrtc's private relay.

Streamlit's public API has no session id and no way to end a session; the app needs both for one
job (:mod:`ui.lifecycle`): once a closed tab's reconnect window is over, shut its session down
so that Streamlit drops its state and uploaded files. These calls do that:

* ``get_script_run_ctx().session_id``: the id of the session running this script;
* ``Runtime.instance()``: the server's runtime; its ``get_app_session(id)`` (the session object,
  while a browser is connected), ``is_active_session(id)`` (whether one is connected now) and
  ``close_session(id)`` (shut it down for good, on Streamlit's event loop; it only finds a
  disconnected session while Streamlit still keeps it, i.e. before ``disconnectedSessionTTL``);
* on the closed session: ``session_state.clear()``, its widgets' callbacks
  (``session_state._new_widget_state.widget_metadata``) and its fragments (``_fragment_storage``).
  A shut-down session is not always unreferenced: Streamlit's runtime loop keeps the last session
  it sent messages to in a local variable until it sends to another one, so without this one
  closed tab's players and pipelines would stay in memory on a quiet server.

Each function logs one warning the first time a call fails (a Streamlit upgrade moved something)
and then answers as if there were no runtime: the app keeps working and its own clean-up still
runs, only Streamlit's side of a closed session stays until Streamlit drops it. ``tests/test_lifecycle.py``
checks every call against the installed Streamlit (a real runtime, no browser), so an upgrade
that breaks one fails there first. Under ``AppTest`` there is no runtime (it installs a mock):
everything here answers "none".

streamlit-webrtc routes every track through one shared aiortc ``MediaRelay`` (``streamlit_webrtc.relay.
get_global_relay``; its track factories take no relay of their own) whose consumers each get an unbounded
queue by default (``buffered=True``). When a consumer (the video encoder on a busy machine) is slower
than its source, that queue grows without end and the webcam picture lags by seconds, then minutes.
aiortc's own ``buffered=False`` keeps only the newest frame; :func:`newest_frames_only` makes it the
default for that shared relay. If a streamlit-webrtc upgrade moves the relay, it logs a warning and the
page keeps working, with the old buffering (``tests/test_lifecycle.py`` fails on that change).
"""

from __future__ import annotations

import logging
import weakref
from typing import Any

log = logging.getLogger(__name__)
TESTED_WITH = "1.67.0"
_warned: set[str] = set()


def _broken(what: str, exc: BaseException) -> None:
    if what not in _warned:
        _warned.add(what)
        import streamlit

        log.warning("Streamlit's private %s is not where streamlit==%s had it (%s: %s; installed: %s): "
                    "closed sessions are released by the app only, Streamlit keeps their state until it drops "
                    "them", what, TESTED_WITH, type(exc).__name__, exc, getattr(streamlit, "__version__", "?"))


def _runtime() -> Any:
    """Streamlit's running server runtime, or None (no server, or AppTest's mock one)."""
    try:
        from streamlit.runtime import Runtime

        rt = Runtime.instance() if Runtime.exists() else None
    except (ImportError, AttributeError, RuntimeError) as exc:
        _broken("Runtime.instance()", exc)
        return None
    if rt is None or type(rt).__module__.startswith("unittest"):
        return None
    return rt


def session_id() -> str | None:
    """The id of the session whose script is running in this thread (None outside a script run)."""
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx(suppress_warning=True)
    except (ImportError, AttributeError, TypeError) as exc:
        _broken("get_script_run_ctx()", exc)
        return None
    return None if ctx is None else ctx.session_id


def is_connected(sid: str) -> bool | None:
    """Whether a browser is connected to session ``sid`` now; None when that cannot be told."""
    rt = _runtime()
    if rt is None:
        return None
    try:
        return bool(rt.is_active_session(sid))
    except AttributeError as exc:
        _broken("Runtime.is_active_session()", exc)
        return None


def app_session(sid: str) -> weakref.ref | None:
    """A weak reference to session ``sid``'s object while a browser is connected to it, else None."""
    rt = _runtime()
    if rt is None:
        return None
    try:
        app = rt.get_app_session(sid)
    except AttributeError as exc:
        _broken("Runtime.get_app_session()", exc)
        return None
    return None if app is None else weakref.ref(app)


def close_session(sid: str, app: weakref.ref | None = None) -> bool:
    """Shut session ``sid`` down (its state, uploaded files and media go), then empty the state of
    its object ``app`` (from :func:`app_session`). Call on Streamlit's event loop, before the
    session's reconnect window is over. True when the runtime took the call."""
    rt = _runtime()
    if rt is None:
        return False
    try:
        rt.close_session(sid)
    except AttributeError as exc:
        _broken("Runtime.close_session()", exc)
        return False
    session = app() if app is not None else None
    if session is not None:
        try:
            state = session.session_state
            state.clear()  # players, pipelines, the webcam processor
            state._new_widget_state.widget_metadata.clear()  # callbacks: their page globals name the player
            session._fragment_storage.clear()  # a fragment (the webcam statistics) names the processor
        except AttributeError as exc:
            _broken("AppSession state", exc)
    return True


def newest_frames_only(relay: Any = None) -> bool:
    """Make ``relay`` (default: streamlit-webrtc's shared one) give every consumer only the newest
    frame. Returns True when it is (now) unbuffered, False when it could not be reached."""
    try:
        if relay is None:
            from streamlit_webrtc.relay import get_global_relay

            relay = get_global_relay()
        if getattr(relay, "_bgapp_newest_only", False):
            return True
        subscribe = type(relay).subscribe

        def newest_only(track: Any, buffered: bool = False) -> Any:
            return subscribe(relay, track, buffered=False)

        relay.subscribe = newest_only
        relay._bgapp_newest_only = True
        return True
    except Exception as exc:  # noqa: BLE001 - the page must work without it
        log.warning("could not make streamlit-webrtc's relay unbuffered (%s: %s); the webcam view may lag "
                    "on a busy machine", type(exc).__name__, exc)
        return False
