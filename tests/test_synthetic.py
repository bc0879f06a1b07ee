"""The demo scene: repeatable, exact labels, and a fair but non-trivial test for MOG2."""

from __future__ import annotations

import time

import cv2
import numpy as np
import pytest

from bgapp.synthetic import SyntheticScene


@pytest.fixture(scope="module")
def scene() -> SyntheticScene:
    return SyntheticScene()


def test_protocol(scene: SyntheticScene) -> None:
    assert (scene.name, scene.path, scene.category) == ("demo", "demo", "synthetic")
    assert scene.size == (320, 240) and scene.fps == 25.0 and len(scene) == 300
    assert scene.has_ground_truth and scene.roi is None
    assert scene.temporal_roi == (41, 300)
    assert not scene.scored(39) and scene.scored(40)
    f, g = scene.frame(0), scene.ground_truth(0)
    assert f.shape == (240, 320, 3) and f.dtype == np.uint8
    assert g.shape == (240, 320) and g.dtype == np.uint8
    with pytest.raises(IndexError):
        scene.frame(300)


def test_deterministic(scene: SyntheticScene) -> None:
    again = SyntheticScene()
    for i in (0, 41, 150, 299):
        assert np.array_equal(scene.frame(i), again.frame(i))
        assert np.array_equal(scene.ground_truth(i), again.ground_truth(i))
    assert np.array_equal(scene.frame(77), scene.frame(77))
    for i, f in enumerate(scene):
        if i in (0, 60, 61, 200):
            assert np.array_equal(f, scene.frame(i))
    assert not np.array_equal(SyntheticScene(seed=1).frame(100), scene.frame(100))
    # the noise changes from frame to frame
    assert not np.array_equal(scene.frame(1), scene.frame(2))


def test_pairs_and_sample(scene: SyntheticScene) -> None:
    pairs = list(SyntheticScene(n_frames=50, warmup=10).pairs())
    assert len(pairs) == 50 and [s for _, _, s in pairs] == [i >= 10 for i in range(50)]
    picks = scene.sample(4)
    assert len(picks) == 4
    assert np.array_equal(picks[0], scene.frame(0)) and np.array_equal(picks[-1], scene.frame(299))


def test_ground_truth_labels(scene: SyntheticScene) -> None:
    fg = []
    for i in range(len(scene)):
        g = scene.ground_truth(i)
        assert set(np.unique(g).tolist()) <= {0, 50, 255}
        if i < scene.warmup:
            assert not g.any()
        fg.append(np.count_nonzero(g == 255))
    later = np.array(fg[scene.warmup :])
    assert (later > 0).mean() > 0.9
    assert any(np.count_nonzero(scene.ground_truth(i) == 50) for i in range(scene.warmup, len(scene)))


def test_objects_differ_in_size(scene: SyntheticScene) -> None:
    sizes = scene.object_sizes()
    assert len(sizes) >= 4
    areas = [w * h for w, h in sizes]
    assert len(set(areas)) == len(areas)
    assert min(min(s) for s in sizes) <= 10 and max(max(s) for s in sizes) >= 60


def test_shadow_is_darker(scene: SyntheticScene) -> None:
    checked = 0
    for i in range(scene.warmup, len(scene), 10):
        shadow = scene.ground_truth(i) == 50
        if shadow.sum() < 30:
            continue
        lit = scene.background(i)[shadow].astype(float).mean()
        seen = scene.frame(i)[shadow].astype(float).mean()
        assert 0.5 < seen / lit < 0.7
        checked += 1
    assert checked >= 5


def test_no_shadow_option() -> None:
    sc = SyntheticScene(shadow=False)
    assert not any((sc.ground_truth(i) == 50).any() for i in range(sc.warmup, len(sc), 7))


def test_frames_are_fast(scene: SyntheticScene) -> None:
    scene.frame(100)
    t = time.perf_counter()
    for i in range(100, 200):
        scene.frame(i)
    ms = (time.perf_counter() - t) * 10
    assert ms < 2.0, f"{ms:.2f} ms per frame"


def f_measure(subtractor: cv2.BackgroundSubtractor, scene: SyntheticScene) -> float:
    """CDnet counting: only 255 is foreground in the mask; GT 255 positive, 0 and 50 negative."""
    tp = fp = fn = 0
    for frame, gt, scored in scene.pairs():
        mask = subtractor.apply(frame)
        if not scored:
            continue
        pred, pos = mask == 255, gt == 255
        tp += np.count_nonzero(pred & pos)
        fp += np.count_nonzero(pred & ~pos)
        fn += np.count_nonzero(~pred & pos)
    return 2 * tp / max(2 * tp + fp + fn, 1)


def test_mog2_is_challenged_but_works(scene: SyntheticScene) -> None:
    f = f_measure(cv2.createBackgroundSubtractorMOG2(), scene)
    print(f"MOG2 default F-measure on the demo scene: {f:.3f}")
    assert 0.6 < f < 0.99


def test_knn_is_challenged_but_works(scene: SyntheticScene) -> None:
    f = f_measure(cv2.createBackgroundSubtractorKNN(), scene)
    print(f"KNN default F-measure on the demo scene: {f:.3f}")
    assert 0.6 < f < 0.99
