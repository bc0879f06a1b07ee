"""The pixel inspector's engine (bgapp.trace): its series equal the methods' own values at the pixel."""

from __future__ import annotations

import doctest

import cv2
import numpy as np
import pandas as pd
import pytest

import bgapp.trace
from bgapp import standalone
from bgapp.methods import METHODS
from bgapp.pipeline import Pipeline
from bgapp.player import Player
from bgapp.postprocess import NO_POST
from bgapp.synthetic import SyntheticScene
from ui.views import Grid

FRAMES = 200
WALKER = (100, 180)  # the demo's walker crosses this pixel in 15 frames of 300
SHADOW = (150, 210)  # the walker's shadow falls here


@pytest.fixture(scope="module")
def scene() -> SyntheticScene:
    return SyntheticScene(n_frames=FRAMES)


def _trace(scene: SyntheticScene, config: dict, pixel: tuple[int, int]):
    pipe = Pipeline(config)
    trace = pipe.inspect(*pixel)
    for i in range(FRAMES):
        pipe.process(scene.frame(i))
    return trace


def test_the_module_example_runs() -> None:
    assert doctest.testmod(bgapp.trace).failed == 0


def test_sigma_delta_mean_band_and_decision_are_the_models(scene: SyntheticScene) -> None:
    x, y = WALKER
    trace = _trace(scene, {"method": "sigma_delta"}, WALKER)
    model = standalone.SigmaDelta(amp_factor=1, min_var=15, max_var=255)
    fg = 0
    for i, s in zip(range(FRAMES), trace.samples, strict=True):
        frame = scene.frame(i)
        mask = model.apply(frame)
        m, v = model.m[y, x].astype(float), model.v[y, x].astype(float)
        assert s.index == i and s.value == tuple(float(c) for c in frame[y, x])
        assert s.background == tuple(m) and s.low == tuple(m - v) and s.high == tuple(m + v)
        outside = any(abs(p - c) >= d for p, c, d in zip(frame[y, x].astype(float), m, v))
        assert (s.decision == "foreground") == bool(mask[y, x]) == outside
        fg += s.decision == "foreground"
    assert fg >= 5  # the walker was seen: the comparison covered both decisions


def test_absdiff_score_threshold_and_reference_are_the_models(scene: SyntheticScene) -> None:
    x, y = WALKER
    trace = _trace(scene, {"method": "absdiff", "params": {"threshold": 25}}, WALKER)
    ref = None
    fg = 0
    for i, s in zip(range(FRAMES), trace.samples, strict=True):
        f = standalone.blur(scene.frame(i), 5)
        ref = f.copy() if ref is None else ref
        score = float(standalone.distance(f, ref, "grey")[y, x])
        assert s.score == score and s.threshold == 25
        assert s.background == tuple(float(c) for c in ref[y, x])
        assert (s.decision == "foreground") == (score > 25)
        fg += s.decision == "foreground"
    assert fg >= 5


def test_mog2_background_and_shadow_marks_are_opencvs(scene: SyntheticScene) -> None:
    cv2.setRNGSeed(standalone.RNG_SEED)
    model = standalone.create_mog2(500, 16.0, True, 5, 0.9, 0.5)
    trace = _trace(scene, {"method": "mog2"}, SHADOW)
    x, y = SHADOW
    seen = set()
    for i, s in zip(range(FRAMES), trace.samples, strict=True):
        raw = model.apply(scene.frame(i))
        assert s.background == tuple(float(c) for c in model.getBackgroundImage()[y, x])
        want = {255: "foreground", 127: "shadow", 0: "background"}[int(raw[y, x])]
        assert s.decision == want
        assert s.threshold is None and s.score is None  # MOG2 exposes neither
        seen.add(s.decision)
    assert {"background", "shadow"} <= seen  # the walker's shadow passed over it


def test_scores_follow_a_threshold_moved_mid_clip_and_the_change_is_marked(scene: SyntheticScene) -> None:
    pipe = Pipeline({"method": "ssim"})
    trace = pipe.inspect(*WALKER)
    for i in range(60):
        if i == 30:
            pipe.update(params={"threshold": 0.5})
        r = pipe.process(scene.frame(i))
        assert trace.samples[-1].score == pytest.approx(float(r.score[WALKER[1], WALKER[0]]))
    assert [s.threshold for s in trace.samples] == [0.3] * 30 + [0.5] * 30
    assert [(e.index, e.text) for e in trace.events] == [(30, "settings changed")]
    pipe.update(method="knn")
    assert trace.events[-1].text == "new model"


def test_closed_inspector_records_nothing_and_reset_forgets(scene: SyntheticScene) -> None:
    pipe = Pipeline({"method": "mog2"})
    assert pipe.trace is None
    trace = pipe.inspect(10, 10)
    for i in range(5):
        pipe.process(scene.frame(i))
    assert len(trace.samples) == 5
    pipe.reset(start=40)
    assert not trace.samples
    pipe.process(scene.frame(40))
    assert [s.index for s in trace.samples] == [40]
    pipe.stop_inspecting()
    pipe.process(scene.frame(41))
    assert pipe.trace is None and len(trace.samples) == 1


def test_a_post_processing_change_redraws_the_decision_after_clean_up() -> None:
    pipe = Pipeline({"method": "absdiff", "params": {"blur": 1}, "post": NO_POST})
    trace = pipe.inspect(5, 5)
    frame = np.zeros((12, 12, 3), np.uint8)
    pipe.process(frame)
    frame[5, 5] = 255  # one lone pixel: foreground raw, removed by an opening
    res = pipe.process(frame)
    assert trace.samples[-1].decision == "foreground" and trace.samples[-1].clean
    pipe.update(post={"open": 3})
    pipe.redraw(res)
    assert trace.samples[-1].decision == "foreground" and not trace.samples[-1].clean


def test_a_trace_keeps_at_most_its_frames() -> None:
    pipe = Pipeline({"method": "frame_diff"})
    pipe.trace = bgapp.trace.PixelTrace(0, 0, max_frames=10)
    for _ in range(25):
        pipe.process(np.zeros((4, 4, 3), np.uint8))
    assert [s.index for s in pipe.trace.samples] == list(range(15, 25))


def test_player_follows_from_the_start_with_the_ground_truth(scene: SyntheticScene) -> None:
    """Picking a pixel part-way replays the clip, so the history covers every frame the model saw and
    equals that of a pipeline that followed the pixel from the first frame."""
    player = Player(scene, Pipeline({"method": "knn"}).config)
    player.seek(150)
    player.inspect(*WALKER)
    player.work()
    got = player.pipeline.trace
    assert got is not None and [s.index for s in got.samples] == list(range(151))
    want = _trace(SyntheticScene(n_frames=FRAMES), {"method": "knn"}, WALKER)
    assert [s.decision for s in got.samples] == [s.decision for s in list(want.samples)[:151]]
    assert [s.truth for s in got.samples] == [int(scene.ground_truth(i)[WALKER[1], WALKER[0]]) for i in range(151)]
    table = pd.DataFrame(got.rows())
    assert list(table["truth"]).count("foreground") >= 5
    assert {"B", "G", "R", "background B", "decision", "clean", "truth"} <= set(table.columns)


def test_grid_maps_a_click_in_any_view_to_the_frame_pixel() -> None:
    grid = Grid.of((1920, 1080), 8, 4)  # scaled down: 347 px wide views
    for view, (px, py) in enumerate(grid.places(700, 500)):
        x, y = grid.pixel(px, py)
        assert abs(x - 700) <= 6 and abs(y - 500) <= 6, view  # within one picture pixel's worth
    w, h = grid.size
    assert grid.pixel(grid.tile[0] + 1, 10) is None  # on the gap between two views
    assert grid.pixel(200, 100, shown=(w / 2, h / 2)) == grid.pixel(400, 200)  # drawn at half size


@pytest.mark.parametrize("name", sorted(METHODS))
def test_every_method_can_be_inspected(scene: SyntheticScene, name: str) -> None:
    """Each method gives the inspector what it has (never raising), and says what it cannot show."""
    if not METHODS[name].available():
        pytest.skip(METHODS[name].unavailable_reason() or "unavailable")
    pipe = Pipeline({"method": name})
    trace = pipe.inspect(*WALKER)
    results = [pipe.process(scene.frame(i)) for i in range(6)]
    assert [s.index for s in trace.samples] == list(range(6))
    for r, s in zip(results, trace.samples, strict=True):
        assert s.value == tuple(float(c) for c in r.frame[WALKER[1], WALKER[0]])
        assert (s.decision == "foreground") == bool(r.raw[WALKER[1], WALKER[0]]) or s.decision == "shadow"
        if r.score is not None:
            assert s.score == pytest.approx(float(r.score[WALKER[1], WALKER[0]])) and s.threshold is not None
    assert METHODS[name].inspect_note
