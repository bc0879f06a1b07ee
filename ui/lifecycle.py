"""The end of a session: what a closed browser tab leaves behind is released.

Streamlit keeps a disconnected session for ``server.disconnectedSessionTTL`` seconds (120 by
default) so that a reload or a network blip can resume it. After that it forgets the session
without calling ``AppSession.shutdown()``: its state (players, pipelines, decoded frames), its
uploaded files and a webcam worker would live on until some later garbage collection, and
nothing would tell the app to delete its temp folder.

So every script run registers its session here (:func:`track`, via ``ui.session.visit``), and one
watcher thread per server process checks the registered sessions every few seconds. A session
that has been disconnected for longer than the TTL (or that Streamlit shut down) *ended*: its
temp folders are deleted, its state is cleared (dropping every pipeline it held) and its
``AppSession`` is shut down on Streamlit's event loop, which also makes streamlit-webrtc stop
the session's camera worker and frees its uploaded files.

``BGAPP_DEBUG_STATS=1`` (or a file path) makes the watcher write, every tick, a small JSON file
with live counts (sessions, pipelines, camera processors and workers, session folders) and the
server's memory: ``<tempdir>/bgapp-debug-stats-<pid>.json`` for ``1``. Tests read it; users never
see it. Nothing here does anything under ``AppTest`` (no Streamlit runtime).
"""

from __future__ import annotations

import gc
import json
import logging
import os
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger("bgapp.ui")
DEBUG_ENV = "BGAPP_DEBUG_STATS"


@dataclass
class _Session:
    id: str
    app: Any = None  # weakref to the AppSession
    cleanups: list[Any] = field(default_factory=list)  # callables, e.g. SessionDir.cleanup
    gone_since: float | None = None


_lock = threading.Lock()
_sessions: dict[str, _Session] = {}
_ended = 0
_thread: threading.Thread | None = None


def _runtime() -> Any:
    """Streamlit's runtime in a real server; None otherwise (AppTest installs a mock one per run)."""
    try:
        from streamlit.runtime import Runtime
    except ImportError:
        return None
    rt = Runtime.instance() if Runtime.exists() else None
    if rt is None or type(rt).__module__.startswith("unittest"):
        return None
    return rt


def _session_id() -> str | None:
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx
    except ImportError:
        return None
    ctx = get_script_run_ctx()
    return getattr(ctx, "session_id", None)


def track(cleanup: Any = None) -> None:
    """Register the running session (and ``cleanup``, called once when it ends)."""
    rt = _runtime()
    sid = _session_id()
    if rt is None or sid is None:
        return
    with _lock:
        entry = _sessions.get(sid)
        if entry is None:
            app = rt.get_app_session(sid)
            entry = _sessions[sid] = _Session(sid, weakref.ref(app) if app is not None else None)
        if cleanup is not None and cleanup not in entry.cleanups:
            entry.cleanups.append(cleanup)
    _start()


def _start() -> None:
    global _thread
    with _lock:
        if _thread is not None and _thread.is_alive():
            return
        _thread = threading.Thread(target=_watch, name="bgapp-session-watcher", daemon=True)
        _thread.start()


def _ttl() -> float:
    try:
        from streamlit import config

        return float(config.get_option("server.disconnectedSessionTTL"))
    except Exception:  # noqa: BLE001 - an option renamed in some Streamlit: use its default
        return 120.0


def _on_event_loop(rt: Any, fn: Any) -> None:
    """Run ``fn`` on Streamlit's event loop (where AppSession methods belong), else right here."""
    try:
        rt._get_async_objs().eventloop.call_soon_threadsafe(fn)
    except Exception:  # noqa: BLE001 - private API moved, or the runtime is stopping
        fn()


def _shutdown(app: Any) -> None:
    try:
        app.shutdown()
    except Exception:  # noqa: BLE001 - the session is gone either way
        log.debug("shutting down an ended session failed", exc_info=True)


def _end(rt: Any, entry: _Session) -> None:
    """Release everything an ended session held."""
    global _ended
    app = entry.app() if entry.app is not None else None
    if app is not None:
        try:
            state = app.session_state
            state.clear()  # drops players, pipelines, the webcam processor
            # clear() keeps the widgets' callbacks, whose page globals still name the player
            state._new_widget_state.widget_metadata.clear()
            # and a fragment (the webcam page's live statistics) still names the camera processor
            app._fragment_storage.clear()
        except Exception:  # noqa: BLE001 - private layout changed: the GC still gets it, later
            log.debug("clearing an ended session's state failed", exc_info=True)
        _on_event_loop(rt, lambda: _shutdown(app))
    for cleanup in entry.cleanups:
        try:
            cleanup()
        except Exception:  # noqa: BLE001
            log.debug("a session cleanup failed", exc_info=True)
    _ended += 1


def check(now: float | None = None) -> int:
    """One pass over the registered sessions; returns how many ended in it."""
    rt = _runtime()
    if rt is None:
        return 0
    now = time.monotonic() if now is None else now
    ttl = _ttl()
    ended = []
    with _lock:
        for sid, entry in list(_sessions.items()):
            app = entry.app() if entry.app is not None else None
            shut = entry.app is not None and (
                app is None or getattr(getattr(app, "_state", None), "name", "") == "SHUTDOWN_REQUESTED")
            if not shut and rt.is_active_session(sid):
                entry.gone_since = None
                continue
            entry.gone_since = entry.gone_since or now
            # past the TTL Streamlit no longer resumes the session (plus a margin for its clock)
            if shut or now - entry.gone_since > ttl + 1.0:
                ended.append(_sessions.pop(sid))
    for entry in ended:
        _end(rt, entry)
    if ended:
        gc.collect()  # pipelines and frames held in reference cycles go now, not some day
    return len(ended)


def _watch() -> None:
    while True:
        interval = min(5.0, max(0.5, _ttl() / 4))
        try:
            check()
            if os.environ.get(DEBUG_ENV, "").strip() not in ("", "0"):
                write_stats()
        except Exception:  # noqa: BLE001 - the watcher must outlive any one problem
            log.exception("session watcher")
        time.sleep(interval)


# Debug statistics (BGAPP_DEBUG_STATS) ------------------------------------------------------------

def stats_path() -> Path:
    value = os.environ.get(DEBUG_ENV, "").strip()
    if value in ("", "0", "1"):
        return Path(tempfile.gettempdir()) / f"bgapp-debug-stats-{os.getpid()}.json"
    return Path(value)


def _memory() -> dict[str, float]:
    out = {}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out["rss_mb" if key == "VmRSS" else "peak_rss_mb"] = int(value.split()[0]) / 1024
    except OSError:
        pass
    return out


def stats() -> dict[str, Any]:
    """Live counts (after a garbage collection) for tests and operators."""
    from bgapp.live import WORKER_PREFIX, live_processors
    from bgapp.pipeline import live_pipelines

    from .session import live_session_dirs

    gc.collect()
    rt = _runtime()
    with _lock:
        ids = list(_sessions)
    active = sum(1 for sid in ids if rt is not None and rt.is_active_session(sid))
    return {
        "time": time.time(),
        "pid": os.getpid(),
        "sessions_tracked": len(ids),
        "sessions_active": active,
        "sessions_disconnected": len(ids) - active,
        "sessions_ended": _ended,
        "pipelines": live_pipelines(),
        "live_processors": live_processors(),
        "webrtc_workers": sum(1 for t in threading.enumerate()
                              if t.name.startswith(("async_media_processor", WORKER_PREFIX))),
        "session_dirs": [str(p) for p in live_session_dirs()],
        **_memory(),
    }


def write_stats() -> Path:
    path = stats_path()
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(stats()))
    tmp.replace(path)
    return path
