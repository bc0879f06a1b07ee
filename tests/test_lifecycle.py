"""A session's end (ui/lifecycle.py) and the one module with private Streamlit access (ui/st_runtime.py).

* The adapter's three private calls work on the installed Streamlit, which is the version the
  requirements and pyproject pin; when one breaks, the adapter logs a warning and answers "none".
* On a real Streamlit ``Runtime`` (started in a child process, no browser: a fake client connects a
  session and reruns a small page that calls ``ui.session``), with ``disconnectedSessionTTL`` = 1 s:
  a closed session's folder and pipeline outlive the disconnect for the reconnect window, then the
  session ends (folder deleted, Streamlit's session closed, the pipeline its state and a widget
  callback held is freed); a session that comes back within the window keeps them, and ends only
  after its next disconnect.
* Without an event loop (the server stopping) a release ends the session at once; a webcam worker
  stops at the disconnect.
* The adapter's one access to streamlit-webrtc: its shared aiortc relay, made to hand a slow consumer
  the newest frame instead of queueing every frame.

Run as a script (``python tests/test_lifecycle.py TMPDIR SCENARIO``) it is that child process.
"""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TTL = 1  # seconds


# the child process: a real Runtime with one session ---------------------------------------------------

class _Client:
    client_context = None

    def write_forward_msg(self, msg) -> None:
        pass


async def _drive(tmp: Path, scenario: str) -> dict:
    from streamlit import config

    config.set_option("server.fileWatcherType", "none")
    config.set_option("server.disconnectedSessionTTL", TTL)
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.runtime import Runtime, RuntimeConfig
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
    from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager

    from tests import census
    from ui import st_runtime

    census.install()  # counts ended sessions
    marker = tmp / "workdir.txt"
    main = tmp / "main.py"  # like app.py: the page runs through st.navigation, in a module of its own
    main.write_text("import streamlit as st\nst.navigation([st.Page('page.py')]).run()\n")
    page = tmp / "page.py"
    page.write_text("from pathlib import Path\nimport streamlit as st\nfrom bgapp.config import Config\n"
                    "from bgapp.pipeline import Pipeline\nfrom ui.session import keep, visit, workdir\n"
                    "visit('probe')\n"
                    "pipe = keep('probe.pipe', lambda: Pipeline(Config('mog2')))\n"
                    "st.button('reset', on_click=lambda: pipe.reset())  # a callback naming it, as the pages have\n"
                    f"Path({str(marker)!r}).write_text(str(workdir().path))\n")
    rt = Runtime(RuntimeConfig(script_path=str(main), media_file_storage=MemoryMediaFileStorage("/media"),
                               uploaded_file_manager=MemoryUploadedFileManager("/upload")))
    await rt.start()

    async def run(sid: str) -> Path:
        marker.unlink(missing_ok=True)
        msg = BackMsg()
        msg.rerun_script.query_string = ""
        rt.handle_backmsg(sid, msg)
        for _ in range(400):
            if marker.exists():
                await asyncio.sleep(0.2)  # let the run finish
                return Path(marker.read_text())
            await asyncio.sleep(0.05)
        raise AssertionError("the page never ran")

    def counts() -> dict:
        s = census.stats()
        return {k: s[k] for k in ("sessions_active", "sessions_disconnected", "sessions_ended", "pipelines")}

    out: dict = {}
    sid = rt.connect_session(_Client(), user_info={})
    out["session_id_in_run"] = bool(sid)
    out["connected"] = st_runtime.is_connected(sid)
    folder = await run(sid)
    out["running"] = {"folder": folder.is_dir(), **counts()}
    rt.disconnect_session(sid)
    out["connected_after_disconnect"] = st_runtime.is_connected(sid)
    await asyncio.sleep(0.3)
    out["disconnected"] = {"folder": folder.is_dir(), **counts()}
    if scenario == "back":
        assert rt.connect_session(_Client(), user_info={}, existing_session_id=sid) == sid
        again = await run(sid)
        out["same_folder"] = again == folder
        await asyncio.sleep(TTL + 2.0)
        out["back_after_window"] = {"folder": folder.is_dir(), **counts()}
        rt.disconnect_session(sid)
    await asyncio.sleep(TTL + 2.0)
    out["after_window"] = {"folder": folder.is_dir(), **counts()}
    out["resumable"] = rt.connect_session(_Client(), user_info={}, existing_session_id=sid) == sid
    rt.stop()
    return out


def _child(tmp: str, scenario: str) -> None:
    sys.path.insert(0, str(ROOT))
    print(json.dumps(asyncio.run(_drive(Path(tmp), scenario))))


if __name__ == "__main__":
    _child(sys.argv[1], sys.argv[2])
    sys.exit(0)


# the tests ------------------------------------------------------------------------------------------------

import pytest  # noqa: E402 - the child process runs without pytest

from ui import lifecycle, st_runtime  # noqa: E402


def _drive_in_child(tmp_path: Path, scenario: str) -> dict:
    proc = subprocess.run([sys.executable, __file__, str(tmp_path), scenario], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_streamlit_is_pinned_to_the_version_the_adapter_was_tested_with():
    import streamlit

    assert streamlit.__version__ == st_runtime.TESTED_WITH
    pin = f"streamlit=={st_runtime.TESTED_WITH}"
    assert pin in [line.split("#")[0].strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    app_extra = next(line for line in (ROOT / "pyproject.toml").read_text().splitlines() if line.startswith("app ="))
    assert f'"{pin}"' in app_extra, app_extra


def test_a_closed_session_ends_after_the_reconnect_window(tmp_path):
    out = _drive_in_child(tmp_path, "closed")
    assert out["session_id_in_run"] and out["connected"] is True
    assert out["running"] == {"folder": True, "sessions_active": 1, "sessions_disconnected": 0, "sessions_ended": 0,
                              "pipelines": 1}
    assert out["connected_after_disconnect"] is False
    # released at the disconnect, but the folder waits: a reconnect could still resume the session
    assert out["disconnected"] == {"folder": True, "sessions_active": 0, "sessions_disconnected": 1,
                                   "sessions_ended": 0, "pipelines": 1}
    # ended: Streamlit closed the session and its state (the pipeline, the callback naming it) is gone
    assert out["after_window"] == {"folder": False, "sessions_active": 0, "sessions_disconnected": 0,
                                   "sessions_ended": 1, "pipelines": 0}
    assert out["resumable"] is False


def test_a_session_back_within_the_window_keeps_its_folder(tmp_path):
    out = _drive_in_child(tmp_path, "back")
    assert out["same_folder"] is True
    assert out["back_after_window"] == {"folder": True, "sessions_active": 1, "sessions_disconnected": 0,
                                        "sessions_ended": 0, "pipelines": 1}
    assert out["after_window"] == {"folder": False, "sessions_active": 0, "sessions_disconnected": 0,
                                   "sessions_ended": 1, "pipelines": 0}
    assert out["resumable"] is False


class _Worker:
    def __init__(self) -> None:
        self.stopped = 0

    def stop(self) -> None:
        self.stopped += 1


def _count_ends(own: lifecycle.SessionOwner) -> list[str]:
    """The ids of ``own``'s session each time it ends (its ``end`` wrapped on the instance)."""
    ended: list[str] = []
    end = own.end

    def counted() -> None:
        end()
        ended.append(own.session_id)

    own.end = counted  # type: ignore[method-assign]
    return ended


def _in_fresh_thread(fn):
    """``fn()`` in a new thread, which has no running event loop (the browser tests' Playwright keeps
    one running in the main thread for the whole session), and its result."""
    out: dict = {}

    def run() -> None:
        try:
            out["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised below, in the test's thread
            out["error"] = exc

    t = threading.Thread(target=run)
    t.start()
    t.join()
    if "error" in out:
        raise out["error"]
    return out["value"]


def test_a_release_off_the_event_loop_ends_the_session_at_once():
    own = lifecycle.SessionOwner("no-loop-session")
    d = lifecycle.SessionDir()
    worker = _Worker()
    own.clean_up_at_end(d)
    own.stop_on_disconnect(worker)
    ended = _count_ends(own)
    _in_fresh_thread(lambda: lifecycle._release(own))
    assert worker.stopped == 1
    assert not d.path.exists()
    assert ended == [own.session_id]


def test_a_release_on_the_event_loop_stops_the_worker_now_and_ends_later(monkeypatch):
    monkeypatch.setattr(lifecycle, "ttl", lambda: 0.0)
    closed = []
    monkeypatch.setattr(st_runtime, "is_connected", lambda sid: False)
    monkeypatch.setattr(st_runtime, "close_session", lambda sid, app=None: closed.append(sid) or True)
    own = lifecycle.SessionOwner("loop-session")
    d = lifecycle.SessionDir()
    worker = _Worker()
    own.clean_up_at_end(d)
    own.stop_on_disconnect(worker)

    async def disconnect() -> tuple[bool, int]:
        lifecycle._release(own)
        now = (d.path.exists(), worker.stopped)
        await asyncio.sleep(0.3)  # the window: 0 s here
        return now

    assert _in_fresh_thread(lambda: asyncio.run(disconnect())) == (True, 1)
    for _ in range(50):  # the end runs in a short thread
        if not d.path.exists():
            break
        time.sleep(0.05)
    assert closed == ["loop-session"]
    assert not d.path.exists()


def test_a_broken_private_call_logs_a_warning_and_answers_none(monkeypatch, caplog):
    class OldRuntime:  # a Streamlit whose Runtime lost the methods
        pass

    monkeypatch.setattr(st_runtime, "_runtime", lambda: OldRuntime())
    monkeypatch.setattr(st_runtime, "_warned", set())
    with caplog.at_level(logging.WARNING, logger=st_runtime.__name__):
        assert st_runtime.is_connected("x") is None
        assert st_runtime.close_session("x") is False
    messages = [r.getMessage() for r in caplog.records]
    assert any("is_active_session" in m and st_runtime.TESTED_WITH in m for m in messages), messages
    assert any("close_session" in m for m in messages), messages


def test_a_moved_script_context_logs_a_warning(monkeypatch, caplog):
    import streamlit.runtime.scriptrunner as scriptrunner

    monkeypatch.delattr(scriptrunner, "get_script_run_ctx")
    monkeypatch.setattr(st_runtime, "_warned", set())
    with caplog.at_level(logging.WARNING, logger=st_runtime.__name__):
        assert st_runtime.session_id() is None
    assert any("get_script_run_ctx" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("name", ["is_active_session", "close_session", "instance", "exists"])
def test_the_runtime_has_what_the_adapter_calls(name):
    from streamlit.runtime import Runtime

    assert callable(getattr(Runtime, name, None)), f"streamlit.runtime.Runtime.{name} is gone"


def test_lifecycle_and_session_import_one_way():
    """ui.session uses ui.lifecycle; ui.lifecycle never imports ui.session (no import circle)."""
    import ast

    def imported(module) -> set[str]:
        names = set()
        for node in ast.walk(ast.parse(Path(module.__file__).read_text())):
            if isinstance(node, ast.ImportFrom):
                names.add("." * node.level + (node.module or ""))
                names.update("." * node.level + a.name for a in node.names if not node.module)
            elif isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
        return names

    from ui import session

    assert not {".session", "ui.session"} & imported(lifecycle), imported(lifecycle)
    assert ".lifecycle" in imported(session), imported(session)


def test_streamlit_webrtc_still_routes_tracks_through_one_aiortc_relay() -> None:
    """The adapter's private access to streamlit-webrtc: fails when an upgrade moves it."""
    from aiortc.contrib.media import MediaRelay
    from streamlit_webrtc import relay as webrtc_relay

    assert callable(webrtc_relay.get_global_relay)
    assert webrtc_relay.MediaRelay is MediaRelay


def test_the_adapted_relay_hands_a_slow_consumer_the_newest_frame() -> None:
    from aiortc import MediaStreamTrack
    from aiortc.contrib.media import MediaRelay

    class Counter(MediaStreamTrack):
        kind = "video"

        def __init__(self) -> None:
            super().__init__()
            self.n = 0

        async def recv(self):
            await asyncio.sleep(0.002)
            self.n += 1
            return self.n

    async def gap(relay: MediaRelay) -> int:
        proxy = relay.subscribe(Counter())
        first = await proxy.recv()
        await asyncio.sleep(0.2)  # a slow consumer: the source made many frames meanwhile
        second = await proxy.recv()
        proxy.stop()
        return second - first

    def run(relay: MediaRelay) -> int:
        """``gap`` on a fresh event loop in its own thread (another test may leave one running here)."""
        out: list[int] = []
        t = threading.Thread(target=lambda: out.append(asyncio.run(gap(relay))))
        t.start()
        t.join(30)
        return out[0]

    assert run(MediaRelay()) == 1, "aiortc's default relay queues every frame"
    adapted = MediaRelay()
    assert st_runtime.newest_frames_only(adapted)
    assert run(adapted) > 10, "the adapted relay skips to the newest frame"
