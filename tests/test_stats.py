"""Per-pixel statistics: Welford accuracy, median background recovery, stability, fill."""

from __future__ import annotations

import numpy as np
import pytest

from bgapp.stats import ForegroundSeries, RunningStats, SampledMedian, foreground_fraction, kth_smallest

H, W = 48, 64


def test_welford_matches_numpy():
    rng = np.random.default_rng(0)
    stack = rng.integers(0, 256, (60, H, W, 3), np.uint8)
    rs = RunningStats()
    for f in stack:
        rs.update(f)
    assert rs.count == 60
    assert rs.mean.dtype == np.float32 and rs.mean.shape == (H, W, 3)
    assert np.abs(rs.mean - stack.mean(axis=0)).max() < 0.005
    assert np.abs(rs.variance - stack.var(axis=0)).max() < 0.005
    assert np.abs(rs.variance_grey() - stack.var(axis=0).mean(axis=2)).max() < 0.005
    assert rs.variance_grey().shape == (H, W)
    img = rs.mean_image()
    assert img.dtype == np.uint8 and np.abs(img - stack.mean(axis=0)).max() <= 0.501


def test_welford_bright_static_pixels_have_zero_variance():
    rs = RunningStats()
    for _ in range(500):
        rs.update(np.full((H, W, 3), 250, np.uint8))
    assert np.abs(rs.variance).max() < 1e-3
    assert np.abs(rs.mean - 250).max() < 1e-3


def test_running_stats_resets_on_size_change_and_reset():
    rs = RunningStats()
    assert rs.mean is None and rs.variance is None and rs.count == 0
    for _ in range(5):
        rs.update(np.full((H, W, 3), 10, np.uint8))
    rs.update(np.full((20, 30, 3), 90, np.uint8))
    assert rs.count == 1 and rs.mean.shape == (20, 30, 3)
    assert (rs.mean == 90).all() and (rs.variance == 0).all()
    rs.reset()
    assert rs.count == 0 and rs.mean is None


def test_running_stats_grey_frames():
    rng = np.random.default_rng(3)
    stack = rng.integers(0, 256, (10, H, W), np.uint8)
    rs = RunningStats()
    for f in stack:
        rs.update(f)
    assert np.abs(rs.variance_grey() - stack.var(axis=0)).max() < 0.005


def test_kth_smallest_exact():
    rng = np.random.default_rng(4)
    stack = rng.integers(0, 256, (9, 10, 12, 3), np.uint8)
    ref = np.sort(stack, axis=0)
    for k in range(9):
        assert np.array_equal(kth_smallest(stack, k), ref[k])


def test_sampled_median_samples_every_nth_and_caps():
    sm = SampledMedian(every=3, max_samples=4)
    kept = [sm.update(np.full((H, W, 3), i, np.uint8)) for i in range(20)]
    assert kept == [i % 3 == 0 for i in range(20)]
    assert sm.n_samples == 4
    # The ring holds the last four kept frames: 9, 12, 15, 18 -> lower median 12.
    assert (sm.median() == 12).all()
    assert sm._frames.shape[0] == 4  # memory bounded


def test_sampled_median_recovers_background_under_moving_object():
    rng = np.random.default_rng(5)
    bg = rng.integers(0, 256, (H, W, 3), np.uint8)
    sm = SampledMedian(every=1, max_samples=10)
    for i in range(10):
        f = bg.copy()
        x = 6 * i
        f[10:40, x : x + 10] = rng.integers(0, 256, (30, 10, 3), np.uint8)  # moving right: <= 2 samples
        if i < 4:
            f[0:8] = 255  # a band covered in 4 of 10 samples: still under half
        sm.update(f)
    assert np.array_equal(sm.median(), bg)
    # The passer-by's path stays stable (robust spread), so the filled background keeps it exact.
    assert (sm.stable_mask()[10:40] == 255).all()
    assert np.array_equal(sm.background()[8:], bg[8:])
    # The plain variance heatmap still shows where things moved.
    assert sm.variance_map()[10:40, :60].mean() > 100 * max(sm.variance_map()[40:].max(), 1)


def _flicker_scene(n: int = 12):
    """A smooth gradient background, a 12x12 square flickering 0/255, and +-2 sensor noise."""
    rng = np.random.default_rng(6)
    ramp = np.linspace(60, 180, W).astype(np.uint8)
    bg = np.repeat(np.repeat(ramp[None, :, None], H, axis=0), 3, axis=2)
    frames = []
    for i in range(n):
        f = np.clip(bg.astype(int) + rng.integers(-2, 3, bg.shape), 0, 255).astype(np.uint8)
        f[18:30, 26:38] = 0 if i % 2 else 255
        frames.append(f)
    return bg, frames


def test_flicker_unstable_static_stable():
    bg, frames = _flicker_scene()
    sm = SampledMedian(every=1, max_samples=12, stable_threshold=20.0)
    for f in frames:
        sm.update(f)
    stable = sm.stable_mask()
    assert stable.dtype == np.uint8 and stable.shape == (H, W)
    assert (stable[18:30, 26:38] == 0).all()
    outside = np.ones((H, W), bool)
    outside[18:30, 26:38] = False
    assert (stable[outside] == 255).all()
    var = sm.variance_map()
    assert var.dtype == np.float32 and var.shape == (H, W)
    assert var[18:30, 26:38].min() > 100**2  # 0/255 alternation: std about 127
    assert var[outside].max() < 9


def test_background_fills_unstable_from_stable_neighbours():
    bg, frames = _flicker_scene()
    sm = SampledMedian(every=1, max_samples=12)
    for f in frames:
        sm.update(f)
    raw, filled = sm.median().astype(int), sm.background().astype(int)
    hole = (slice(18, 30), slice(26, 38))
    # The raw median there is one of the flicker values (0), nothing like the scene.
    assert np.abs(raw[hole] - bg[hole]).min() > 50
    # The fill continues the surrounding gradient: close to the true background, within its range.
    assert np.abs(filled[hole] - bg[hole]).max() <= 12
    assert filled[hole].min() >= bg[:, 24:40].min() - 3 and filled[hole].max() <= bg[:, 24:40].max() + 3
    # Stable pixels are the raw median, untouched by the fill.
    stable = sm.stable_mask() == 255
    assert np.array_equal(filled[stable], raw[stable])


def test_sampled_median_resets_on_size_change():
    sm = SampledMedian(every=1, max_samples=5)
    for _ in range(3):
        sm.update(np.zeros((H, W, 3), np.uint8))
    sm.update(np.full((20, 30, 3), 7, np.uint8))
    assert sm.n_samples == 1 and sm.median().shape == (20, 30, 3) and (sm.median() == 7).all()
    sm.reset()
    assert sm.n_samples == 0
    with pytest.raises(ValueError):
        sm.median()


def test_sampled_median_cache_refreshes_after_new_sample():
    sm = SampledMedian(every=1, max_samples=1)
    sm.update(np.zeros((H, W, 3), np.uint8))
    assert (sm.background() == 0).all()
    sm.update(np.full((H, W, 3), 5, np.uint8))
    assert (sm.background() == 5).all()


def test_foreground_fraction():
    m = np.zeros((10, 20), np.uint8)
    assert foreground_fraction(m) == 0.0
    m[:5] = 255
    assert foreground_fraction(m) == 0.5
    m[5:, :10] = 127  # shadow counts as background
    assert foreground_fraction(m) == 0.5
    assert foreground_fraction(np.full((4, 4), 255, np.uint8)) == 1.0


def test_foreground_series():
    s = ForegroundSeries(capacity=2)
    for i in range(5):
        s.append(i * 2, i / 10)
    assert len(s) == 5
    assert np.array_equal(s.indices, [0, 2, 4, 6, 8])
    assert np.allclose(s.values, [0, 0.1, 0.2, 0.3, 0.4])
    idx, val = s.arrays()
    assert len(idx) == len(val) == 5
    s.reset()
    assert len(s.values) == 0


def test_foreground_series_stays_bounded_on_an_endless_stream():
    from bgapp.stats import ForegroundSeries

    s = ForegroundSeries(capacity=4, max_points=10)
    for i in range(95):
        s.append(i, i / 100)
    idx, vals = s.arrays()
    assert len(idx) <= 10 and idx[-1] == 94 and np.all(np.diff(idx) == 1)
    assert np.allclose(vals, idx / 100)
