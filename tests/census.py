"""What a bgapp process holds, counted from outside: the tests' proof that sessions leak nothing.

The product keeps no registry or counter for tests. :func:`install` wraps, in this process only,
the ``__init__`` of the classes a session must release (pipelines, webcam processors, session
folders) so each new instance joins a weak set, and ``SessionOwner.end`` so ended sessions are
counted; :func:`stats` counts what is still alive after a garbage collection and reads
:mod:`ui.lifecycle`'s own session tables.

Why weak sets, not ``gc.get_objects()``: that list can take a reference to a tuple another thread is
still building, and CPython then fails the builder with ``SystemError: bad argument to internal
function`` (seen once in the server, in a page's ``tuple(...)``). A census must not break the app it
measures.

A server gets the same figures through this file as its launcher (browserkit's ``prefix``, see
:func:`launcher`): ``python tests/census.py STATS.json python -m streamlit run app.py ...`` starts
a thread that writes :func:`stats` to ``STATS.json`` about every second, then runs Streamlit in this
same process (so the server's pid is this one's).
"""

from __future__ import annotations

import functools
import gc
import json
import os
import runpy
import sys
import threading
import time
import weakref
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
_ended = 0
_ended_lock = threading.Lock()


_live: dict[str, weakref.WeakSet[Any]] = {}
_live_lock = threading.Lock()


def _tracked() -> dict[str, type]:
    """The classes whose live instances :func:`stats` reports, by the key it reports them under."""
    from bgapp.live import LiveProcessor
    from bgapp.pipeline import Pipeline
    from ui import lifecycle

    return {"pipelines": Pipeline, "live_processors": LiveProcessor, "session_dirs": lifecycle.SessionDir}


def _track(key: str, cls: type) -> None:
    """Wrap ``cls.__init__`` so each instance (subclasses' included) joins ``_live[key]``."""
    init = cls.__init__  # type: ignore[misc]
    if getattr(init, "_census", False):
        return
    _live.setdefault(key, weakref.WeakSet())

    @functools.wraps(init)
    def counted_init(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        with _live_lock:
            _live[key].add(self)

    counted_init._census = True  # type: ignore[attr-defined]
    cls.__init__ = counted_init  # type: ignore[misc]


def live(key: str) -> list[Any]:
    """The instances tracked under ``key`` that are still alive (after :func:`stats`' collection)."""
    with _live_lock:
        return list(_live.get(key, ()))


def install() -> None:
    """Count from now on: new pipelines, webcam processors and session folders, and ended sessions
    (wraps their ``__init__`` and ``SessionOwner.end``, once per process)."""
    from ui import lifecycle

    for key, cls in _tracked().items():
        _track(key, cls)
    end = lifecycle.SessionOwner.end
    if getattr(end, "_census", False):
        return

    def counted_end(self: Any) -> None:
        global _ended
        try:
            end(self)
        finally:
            with _ended_lock:
                _ended += 1

    counted_end._census = True  # type: ignore[attr-defined]
    lifecycle.SessionOwner.end = counted_end  # type: ignore[method-assign]


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
    """Live counts after a garbage collection (the keys the browser and lifecycle tests read)."""
    from bgapp.live import WORKER_PREFIX
    from ui import lifecycle

    gc.collect()
    dirs = [str(o.path) for o in live("session_dirs") if o.path.is_dir()]
    with lifecycle._lock:
        active, leaving = len(lifecycle._owners), len(lifecycle._leaving)
    with _ended_lock:
        ended = _ended
    return {
        "time": time.time(),
        "pid": os.getpid(),
        "sessions_tracked": active + leaving,
        "sessions_active": active,
        "sessions_disconnected": leaving,
        "sessions_ended": ended,
        "pipelines": len(live("pipelines")),
        "live_processors": len(live("live_processors")),
        "webrtc_workers": sum(1 for t in threading.enumerate()
                              if t.name.startswith(("async_media_processor", WORKER_PREFIX))),
        "session_dirs": dirs,
        **_memory(),
    }


def write_stats(path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(stats()))
    tmp.replace(path)


def _write_forever(path: Path) -> None:
    """Write :func:`stats` every ``min(1, max(0.25, TTL / 4))`` s, once the app has run a page (before
    that there is nothing to count, and the test's reader waits for the file)."""
    from ui import lifecycle

    while True:
        if "ui.session" in sys.modules:
            try:
                write_stats(path)
            except Exception as exc:  # noqa: BLE001 - one bad tick must not end the figures
                print(f"census: {type(exc).__name__}: {exc}", file=sys.stderr)
        time.sleep(min(1.0, max(0.25, lifecycle.ttl() / 4)))


def launcher(stats_file: Path) -> list[str]:
    """The ``prefix`` for ``browserkit.streamlit_server`` that runs the server with the census."""
    return [sys.executable, str(Path(__file__).resolve()), str(stats_file)]


def main(argv: list[str]) -> None:
    """``census.py STATS.json PYTHON -m streamlit ARGS...``: the census thread, then Streamlit here."""
    path, command = Path(argv[1]), argv[2:]
    if command[1:3] != ["-m", "streamlit"]:
        raise SystemExit(f"census.py: expected PYTHON -m streamlit ..., got {command}")
    sys.path[0] = str(ROOT)  # the repository, not tests/, as if run with -m
    install()
    threading.Thread(target=_write_forever, args=(path,), name="census", daemon=True).start()
    sys.argv = ["streamlit", *command[3:]]
    runpy.run_module("streamlit", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv)
