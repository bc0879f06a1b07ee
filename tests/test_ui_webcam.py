"""The webcam page without a browser: ICE configuration, the callback object, and the page under AppTest.

Not marked ``browser``: these run everywhere, in a second or two.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from bgapp.config import Config
from bgapp.pipeline import Pipeline
from bgapp.synthetic import SyntheticScene
from ui.webcam import (
    DEFAULT_ICE_SERVERS,
    ICE_ENV,
    VIEW_MODES,
    FpsMeter,
    IceConfigError,
    LiveStats,
    WebcamProcessor,
    parse_ice_servers,
    read_secret,
    resolve_ice_servers,
)

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "app_pages" / "webcam.py"


class NoSecretsFile:
    """Behaves like ``st.secrets`` without a secrets.toml: any access raises FileNotFoundError."""

    def __contains__(self, key):
        raise FileNotFoundError("No secrets found")

    def __getitem__(self, key):
        raise FileNotFoundError("No secrets found")


# ICE configuration --------------------------------------------------------------------------------

def test_env_empty_list_means_no_ice_servers():
    ice = resolve_ice_servers({ICE_ENV: "[]"}, NoSecretsFile())
    assert ice.servers == [] and ice.source == "environment"
    assert ice.rtc_configuration() == {"iceServers": []} == ice.browser_configuration()
    assert "No ICE servers" in ice.describe()


def test_env_wins_over_secrets():
    env = {ICE_ENV: '[{"urls": "stun:stun.example.org:3478"}]'}
    ice = resolve_ice_servers(env, {"ice_servers": [{"urls": "stun:other:1"}]})
    assert ice.servers == [{"urls": "stun:stun.example.org:3478"}] and ice.source == "environment"


def test_secrets_then_default():
    turn = [{"urls": ["turn:turn.example.org:3478"], "username": "u", "credential": "pa55w0rd"}]
    ice = resolve_ice_servers({}, {"ice_servers": turn})
    assert ice.source == "secrets" and ice.servers == turn
    assert "pa55w0rd" not in ice.describe() and "TURN" in ice.describe()
    as_json = resolve_ice_servers({}, {"ice_servers": '[{"urls": "stun:a.example:1"}]'})
    assert as_json.servers == [{"urls": "stun:a.example:1"}]
    for secrets in (NoSecretsFile(), {}, None):
        ice = resolve_ice_servers({ICE_ENV: "  "}, secrets)
        assert ice.source == "default" and ice.servers == DEFAULT_ICE_SERVERS


def test_read_secret_never_raises():
    assert read_secret(NoSecretsFile(), "ice_servers") is None
    assert read_secret({"ice_servers": []}, "ice_servers") == []


@pytest.mark.parametrize("text, words", [
    ("[{bad", "not valid JSON"),
    ('{"urls": "stun:x"}', "must be a JSON list"),
    ("[1]", "must be an object"),
    ('[{"url": "stun:x:1"}]', "did you mean 'urls'"),
    ('[{"username": "u"}]', "needs a 'urls' key"),
    ('[{"urls": []}]', "non-empty"),
    ('[{"urls": "http://x"}]', "must start with"),
    ('[{"urls": "turn:x:3478"}]', "needs 'username' and 'credential'"),
    ('[{"urls": "stun:x", "username": 5}]', "must be a string"),
])
def test_bad_ice_json_explains(text, words):
    with pytest.raises(IceConfigError, match=words.replace("(", r"\(")) as info:
        parse_ice_servers(text)
    assert ICE_ENV in str(info.value)


# Measurements ---------------------------------------------------------------------------------------

class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_fps_meter_counts_a_steady_rate_and_goes_stale():
    clock = Clock()
    meter = FpsMeter(window=2.0, clock=clock)
    assert meter.tick() == 0.0
    for _ in range(90):
        clock.t += 1 / 30
        fps = meter.tick()
    assert fps == pytest.approx(30.0, rel=0.02)
    clock.t += 5
    assert meter.fps() == 0.0


def test_live_stats_is_consistent_across_threads():
    stats = LiveStats()

    def work():
        for i in range(500):
            stats.record(model_frames=i + 1, model_ms=2.0, total_ms=3.0, fg_fraction=0.1, learning=False, size=(8, 6))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    snap = stats.snapshot()
    assert snap.frames == 2000 and snap.model_ms == pytest.approx(2.0) and snap.size == (8, 6)
    stats.reset()
    assert stats.snapshot().since_reset == 0 and stats.snapshot().frames == 2000


# The callback object ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def frames():
    scene = SyntheticScene(160, 120, n_frames=80)
    return [scene.frame(i) for i in range(0, 80, 2)]


@pytest.mark.parametrize("mode", VIEW_MODES)
def test_every_view_keeps_the_frame_size(frames, mode):
    proc = WebcamProcessor(Pipeline({"method": "mog2", "composite": {"mode": "overlay"}}), mode=mode)
    for f in frames[:5]:
        out = proc.process_bgr(f)
        assert out.shape == f.shape and out.dtype == np.uint8
    snap = proc.stats.snapshot()
    assert snap.frames == 5 and snap.since_reset == 5 and snap.size == (160, 120) and snap.error is None


def test_mode_sets_the_views_the_pipeline_computes():
    proc = WebcamProcessor(Pipeline(), mode="clean mask")
    assert not proc.pipeline.views.composite
    proc.mode = "grid"
    assert proc.pipeline.views.composite
    with pytest.raises(ValueError, match="unknown view mode"):
        proc.mode = "sideways"


def test_settings_change_keeps_the_model_and_reset_restarts(frames):
    proc = WebcamProcessor(Pipeline({"method": "mog2"}), mode="clean mask")
    for f in frames[:10]:
        proc.process_bgr(f)
    model = proc.pipeline.method.model
    assert not proc.pipeline.update(params={"var_threshold": 40.0}).rebuilt
    proc.process_bgr(frames[10])
    assert proc.pipeline.method.model is model and proc.stats.snapshot().since_reset == 11
    proc.reset()
    proc.process_bgr(frames[11])
    assert proc.stats.snapshot().since_reset == 1 and proc.stats.snapshot().frames == 12


def test_a_failing_frame_is_reported_and_passed_through(frames):
    proc = WebcamProcessor(Pipeline(), mode="clean mask")

    def boom(frame):
        raise RuntimeError("camera hiccup")

    proc.pipeline.process = boom  # type: ignore[method-assign]
    out = proc.process_bgr(frames[0])
    assert out is frames[0]
    assert "camera hiccup" in proc.stats.snapshot().error


def test_av_frames_round_trip_through_the_worker_and_the_source_callback(frames):
    """The path the page wires up: a camera av.VideoFrame in, the processed view out as an
    av.VideoFrame carrying the source track's timestamp."""
    import time
    from fractions import Fraction

    pytest.importorskip("av")
    import av

    from bgapp.live import NewestFrameWorker
    from ui.webrtc_stream import av_to_bgr, source_callback, to_picture

    proc = WebcamProcessor(Pipeline(), mode="grid")
    worker = NewestFrameWorker(proc, to_bgr=av_to_bgr, from_bgr=to_picture)
    send = source_callback(worker)
    waiting = send(0, Fraction(1, 90000))
    assert (waiting.width, waiting.height) == (640, 480), "before the first frame: the waiting picture"
    worker.submit(av.VideoFrame.from_ndarray(frames[0], format="bgr24"))
    deadline = time.monotonic() + 10
    while proc.stats.snapshot().frames == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    out = send(3000, Fraction(1, 90000))
    assert (out.width, out.height) == (160, 120) and out.pts == 3000
    assert out.format.name == "yuv420p", "converted once in the worker, not by the encoder on the event loop"
    again = send(6000, Fraction(1, 90000))
    assert again is not out and again.pts == 6000 and out.pts == 3000, "a repeat is a new frame object"
    expected = WebcamProcessor(Pipeline(), mode="grid").process_bgr(frames[0])
    diff = np.abs(out.to_ndarray(format="bgr24").astype(int) - expected.astype(int))
    assert diff.mean() < 3, "the view survives the YUV round trip"
    worker.stop()


# The page under AppTest (which cannot run webrtc_streamer) ------------------------------------------

def _app(monkeypatch, ice: str | None = "[]"):
    from streamlit.testing.v1 import AppTest

    if ice is None:
        monkeypatch.delenv(ICE_ENV, raising=False)
    else:
        monkeypatch.setenv(ICE_ENV, ice)
    monkeypatch.chdir(ROOT)
    return AppTest.from_file(str(PAGE), default_timeout=30).run()


def test_page_renders_without_a_webrtc_session(monkeypatch):
    at = _app(monkeypatch)
    assert not at.exception
    assert any("browser session" in i.value for i in at.info)
    # no stream: no rates that would describe nothing (they show while a stream runs; the browser test)
    assert not at.metric
    assert any(c.value.startswith("Press START") for c in at.caption)
    assert any("frames processed since the page opened: 0 · received: 0 · dropped: 0" in c.value for c in at.caption)
    assert any("No ICE servers" in c.value for c in at.caption)


def test_page_without_env_or_secrets_uses_public_stun(monkeypatch):
    at = _app(monkeypatch, ice=None)
    assert not at.exception and not at.error
    assert any("From the default: 1 ICE server (STUN)" in c.value for c in at.caption)


def test_page_bad_ice_json_is_an_error_not_a_traceback(monkeypatch):
    at = _app(monkeypatch, ice='[{"url": "stun:x"}]')
    assert not at.exception
    assert any("did you mean 'urls'" in e.value for e in at.error)


def test_page_controls_drive_the_session_pipeline(monkeypatch):
    at = _app(monkeypatch)
    proc = at.session_state["webcam.processor"]
    model = proc.pipeline.method
    at.radio(key="webcam.view").set_value("grid").run()
    assert proc.mode == "grid" and proc.pipeline.views.composite
    at.slider(key="webcam.mog2.var_threshold").set_value(40.0).run()
    assert at.session_state["webcam.processor"] is proc
    assert proc.pipeline.method is model and proc.pipeline.config.params["var_threshold"] == 40.0
    at.slider(key="webcam.mog2.n_mixtures").set_value(3).run()
    assert proc.pipeline.method.values["n_mixtures"] == 3
    assert any("restarted" in t.value for t in at.toast)
    assert at.button(key="webcam.capture").disabled
    at.selectbox(key="webcam.method").set_value("absdiff").run()
    assert not at.exception and not at.button(key="webcam.capture").disabled
    at.button(key="webcam.capture").click().run()
    assert any("press START" in w.value for w in at.warning)


def test_webcam_median_learns_from_the_stream_and_says_so(frames):
    proc = WebcamProcessor(Pipeline({"method": "median", "params": {"n_frames": 3, "sample_every": 2}}),
                           mode="clean mask")
    learning = []
    for f in frames[:6]:  # samples at frames 0, 2, 4
        proc.process_bgr(f)
        learning.append(proc.stats.snapshot().learning)
    assert learning == [True] * 4 + [False] * 2


def test_the_model_frame_count_restarts_with_a_rebuild_as_with_a_reset(frames):
    """Issue 16: "The model restarted" and the page's count of frames in the model agree."""
    proc = WebcamProcessor(Pipeline({"method": "mog2"}), mode="clean mask")
    for f in frames[:10]:
        proc.process_bgr(f)
    assert proc.stats.snapshot().since_reset == 10
    assert not proc.update(Config("mog2", {"var_threshold": 30})).rebuilt  # a live value: the count goes on
    assert proc.stats.snapshot().since_reset == 10
    assert proc.update(Config("mog2", {"n_mixtures": 3})).rebuilt  # cannot change on a running model
    assert proc.stats.snapshot().since_reset == 0, "the count restarts with the model, not at the next frame"
    proc.process_bgr(frames[10])
    assert proc.stats.snapshot().since_reset == 1 and proc.stats.snapshot().frames == 11


def test_a_new_stream_forgets_the_last_ones_rates_and_sizes():
    clock = Clock()
    stats = LiveStats(clock=clock)
    for i in range(60):  # 30 frames a second arrive, 10 a second are processed at 90 ms each
        clock.t += 1 / 30
        stats.record_arrival(dropped=i % 3 != 0)
        if i % 3 == 0:
            stats.record(model_frames=i // 3 + 1, model_ms=90.0, total_ms=95.0, fg_fraction=0.1, learning=False,
                         size=(640, 480))
    snap = stats.snapshot()
    assert snap.arrival_fps == pytest.approx(30, rel=0.05) and snap.peak_arrival_fps == pytest.approx(30, rel=0.05)
    pace = snap.pace()
    assert pace is not None and pace.reached_fps == pytest.approx(10, rel=0.1) and not pace.keeping_up
    assert pace.method_bound and pace.work_ms == pytest.approx(90.0)
    stats.new_stream()
    snap = stats.snapshot()
    assert snap.frames == 20 and snap.received == 60, "totals since the page opened stay"
    assert snap.peak_arrival_fps == 0 and snap.largest_size is None and snap.size is None and snap.pace() is None
