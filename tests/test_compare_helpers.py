"""The Compare page's helpers (ui/compare.py) called directly, without Streamlit: one pass over the
frames feeds every configuration, scores only scored frames, and the table, timeline and frame
view report exactly what the runs hold."""

from __future__ import annotations

import cv2
import numpy as np
import pandas as pd
import pytest

from bgapp.config import Config
from bgapp.metrics import METRIC_SHORT, confusion
from bgapp.pipeline import Pipeline
from bgapp.synthetic import SyntheticScene
from ui.compare import (
    TABLE_METRICS,
    MethodRun,
    default_frames,
    frame_view,
    run_configs,
    run_key,
    short_title,
    tab_to_keep,
    table,
    timeline,
)
from ui.sources import Clip

N = 24  # frames processed; the scene scores from frame 11 (1-based) on
CONFIGS = [Config("mog2"), Config("absdiff", post={"open": 3})]


@pytest.fixture(scope="module")
def scene() -> SyntheticScene:
    return SyntheticScene(96, 72, n_frames=40, warmup=10)


@pytest.fixture(scope="module")
def runs(scene) -> list[MethodRun]:
    return run_configs(Clip(scene), CONFIGS, [run_key("demo", N, c) for c in CONFIGS], N)


def test_each_configuration_matches_its_own_pipeline_frame_by_frame(scene, runs):
    for config, run in zip(CONFIGS, runs):
        assert run.config == config and run.key == ("demo", N, config.to_json())
        pipe = Pipeline(config)
        pipe.prime(scene)
        for i in range(N):
            res = pipe.process(scene.frame(i))
            assert np.array_equal(run.mask(i), res.clean), (config.method, i)  # PNG round trip is lossless
            assert run.fraction[i] == pytest.approx(res.fg_fraction)
            if scene.scored(i):
                assert run.counts[i] == confusion(res.clean, scene.ground_truth(i), scene.roi)
            else:
                assert run.counts[i] is None
        assert len(run.masks) == len(run.ms) == N and all(ms >= 0 for ms in run.ms)


def test_total_sums_only_the_scored_frames(runs):
    run = runs[0]
    scored = [c for c in run.counts if c is not None]
    assert len(scored) == N - 10
    assert (run.total.tp, run.total.fp, run.total.fn, run.total.tn) == tuple(
        sum(getattr(c, k) for c in scored) for k in ("tp", "fp", "fn", "tn"))


def test_progress_counts_every_frame_and_a_short_clip_stops_early(scene):
    seen = []
    short = SyntheticScene(96, 72, n_frames=5, warmup=2)
    got = run_configs(Clip(short), CONFIGS[:1], [("k",)], 8, progress=lambda done, total: seen.append((done, total)))
    assert len(got[0].masks) == 5  # the clip ends after 5 of the 8 frames asked for
    assert seen == [(i, 8) for i in range(1, 6)]


def test_table_reports_the_runs_totals_and_means(runs):
    df = table(runs, has_gt=True)
    assert list(df["#"]) == [1, 2] and list(df["method"]) == ["MOG2", short_title("absdiff")]
    for k, run in enumerate(runs):
        for m in TABLE_METRICS:
            assert df.loc[k, METRIC_SHORT[m]] == pytest.approx(getattr(run.total, m), nan_ok=True)
        assert df.loc[k, "foreground %"] == pytest.approx(100 * np.mean(run.fraction))
        assert df.loc[k, "ms / frame"] == pytest.approx(np.mean(run.ms))
    without = table(runs, has_gt=False)
    assert not any(METRIC_SHORT[m] in without.columns for m in TABLE_METRICS)
    assert np.isnan(table([MethodRun(("k",), Config())], has_gt=False).loc[0, "foreground %"])  # no frames


def test_timeline_has_one_row_per_frame_and_method_with_nan_before_scoring(runs):
    df = timeline(runs)
    assert len(df) == 2 * N and set(df["method"]) == {"1. MOG2", f"2. {short_title('absdiff')}"}
    first = df[df["method"] == "1. MOG2"]
    f = first[METRIC_SHORT["f_measure"]].to_numpy()
    assert np.isnan(f[:10]).all()  # before the temporal ROI: not scored
    assert f[10:] == pytest.approx([c.f_measure for c in runs[0].counts[10:]], nan_ok=True)  # 0/0 stays NaN
    assert first["foreground %"].to_numpy() == pytest.approx(100 * np.asarray(runs[0].fraction))
    assert timeline([]).empty and isinstance(timeline([]), pd.DataFrame)


def test_frame_view_tiles_input_masks_ground_truth_and_errors(scene, runs):
    img = cv2.imdecode(np.frombuffer(frame_view(Clip(scene), runs, 15), np.uint8), cv2.IMREAD_COLOR)
    with_gt = img.shape
    no_gt = cv2.imdecode(np.frombuffer(frame_view(Clip(_no_truth(scene)), runs, 15), np.uint8), cv2.IMREAD_COLOR).shape
    assert with_gt[1] == no_gt[1] and with_gt[0] > 1.8 * no_gt[0]  # a second row: ground truth and errors


def _no_truth(scene: SyntheticScene):
    class Frames:
        fps, name = scene.fps, "frames"

        def __len__(self) -> int:
            return len(scene)

        def frame(self, i: int) -> np.ndarray:
            return scene.frame(i)

    return Frames()


@pytest.mark.parametrize(("chosen", "previous", "labels", "kept"), [
    ("1. MOG2", ["1. MOG2", "2. KNN"], ["1. KNN", "2. KNN"], "1. KNN"),  # tab 1's method changed: tab 1 stays
    ("2. KNN", ["1. MOG2", "2. KNN"], ["1. MOG2", "2. KNN", "3. CNT"], "2. KNN"),  # a tab added
    ("3. CNT", ["1. MOG2", "2. KNN", "3. CNT"], ["1. MOG2", "2. KNN"], "2. KNN"),  # the open tab removed
    ("2. KNN", None, ["1. MOG2", "2. KNN"], "2. KNN"),  # first run: the chosen label
    (None, None, ["1. MOG2", "2. KNN"], "1. MOG2"),  # nothing chosen: the first
])
def test_tab_to_keep_follows_the_position(chosen, previous, labels, kept):
    assert tab_to_keep(chosen, previous, labels) == kept


@pytest.mark.parametrize("n, first, expected", [(1700, 470, 669), (400, 300, 400), (300, 41, 300), (90, 1, 90)])
def test_default_frames(n, first, expected):
    scene = SyntheticScene(width=32, height=24, n_frames=n, warmup=first - 1)
    assert default_frames(scene, n) == expected
