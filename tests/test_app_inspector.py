"""The pixel inspector on the Video lab and the webcam pages, headless (AppTest)."""

from __future__ import annotations

import numpy as np

from bgapp.methods import METHODS
from bgapp.synthetic import SyntheticScene
from tests.apphelpers import assert_clean, captions, open_page


def _charts(at) -> int:
    return len(at.get("plotly_chart"))


def _chart_spec(at) -> str:
    """The inspector's figure as JSON (the page's one chart titled after a pixel)."""
    specs = [c.proto.spec for c in at.get("plotly_chart") if '"text":"Pixel (' in c.proto.spec]
    assert len(specs) == 1, len(specs)
    return specs[0]


def test_lab_inspector_follows_the_pixel_asked_for_over_every_frame_seen() -> None:
    at = open_page("app_pages/video_lab.py")
    player = at.session_state["lab.player"][1]
    assert player.pipeline.trace is None  # closed: nothing recorded
    charts = _charts(at)
    at.toggle(key="lab.inspect").set_value(True).run()
    assert_clean(at)
    frame = player.shown.index
    trace = player.pipeline.trace
    assert (trace.x, trace.y) == (160, 120)  # the middle of the demo's 320x240 frames
    assert [s.index for s in trace.samples] == list(range(frame + 1))  # replayed: every frame the model saw
    assert _charts(at) == charts + 1
    assert f"Pixel (160, 120) over {frame + 1} frames" in _chart_spec(at)
    assert METHODS["mog2"].inspect_note in captions(at)

    at.number_input(key="lab.px").set_value(100).run()
    at.number_input(key="lab.py").set_value(180).run()
    assert_clean(at)
    trace = player.pipeline.trace
    assert (trace.x, trace.y) == (100, 180) and len(trace.samples) == frame + 1
    scene = SyntheticScene()
    assert [s.truth for s in trace.samples] == [int(scene.ground_truth(i)[180, 100]) for i in range(frame + 1)]
    assert [s.value for s in trace.samples][-1] == tuple(float(c) for c in scene.frame(frame)[180, 100])
    assert "method: " in captions(at)

    at.toggle(key="lab.inspect").set_value(False).run()
    assert_clean(at)
    assert player.pipeline.trace is None and _charts(at) == charts


def test_webcam_inspector_follows_a_pixel_of_the_live_stream() -> None:
    at = open_page("app_pages/webcam.py")
    at.toggle(key="webcam.inspect").set_value(True).run()
    assert_clean(at)
    assert "Press START" in captions(at)  # no frame yet: nothing to pick
    processor = at.session_state["webcam.processor"]
    frame = np.full((48, 64, 3), 90, np.uint8)
    processor.process_bgr(frame)
    at.run()
    pipeline = processor.pipeline
    assert pipeline.trace is not None and (pipeline.trace.x, pipeline.trace.y) == (32, 24)
    for k in range(5):
        frame[20:30, 25:40] = 90 + 40 * (k % 2)  # something comes and goes over the pixel
        processor.process_bgr(frame)
    at.run()
    assert_clean(at)
    samples = list(pipeline.trace.samples)
    assert [s.value[0] for s in samples] == [90.0, 130.0, 90.0, 130.0, 90.0]  # from the pick on
    assert "Pixel (32, 24) over 5 frames since you picked it" in _chart_spec(at)
