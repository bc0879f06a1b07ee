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


def _still(**kw) -> SyntheticScene:
    """A clip with no objects (the warm-up lasts it all), no sensor noise and no drift."""
    return SyntheticScene(160, 120, 120, seed=5, noise_sigma=0, drift=0, warmup=120, **kw)


@pytest.mark.parametrize("kind", ["vegetation", "water"])
def test_a_moving_background_moves_and_stays_background(kind: str) -> None:
    plain, moving = _still(), _still(dynamic=kind)
    assert np.array_equal(plain.frame(10), plain.frame(30))
    changed = cv2.absdiff(moving.frame(10), moving.frame(30)).max(axis=2) > 20
    assert changed.sum() > 100, "the vegetation or water did not move"
    assert not any(moving.ground_truth(i).any() for i in (10, 30, 60))
    with pytest.raises(ValueError, match="dynamic"):
        SyntheticScene(dynamic="lava")


def test_camera_shake_moves_frame_and_labels_together() -> None:
    plain = SyntheticScene(160, 120, 200, seed=2, noise_sigma=0)
    shaky = SyntheticScene(160, 120, 200, seed=2, noise_sigma=0, jitter=2.0)
    moved = 0
    for i in range(60, 200, 10):
        a, b = plain.ground_truth(i) == 255, shaky.ground_truth(i) == 255
        if not a.any():
            continue
        ya, xa = np.argwhere(a).mean(axis=0)
        yb, xb = np.argwhere(b).mean(axis=0)
        assert abs(ya - yb) <= 2.5 and abs(xa - xb) <= 2.5
        moved += not np.array_equal(a, b)
        # the objects' pixels in the shaken frame are where its labels say
        inside = np.abs(shaky.frame(i).astype(int) - plain.background(i).astype(int)).max(axis=2) > 40
        assert (inside & b).sum() >= 0.5 * (inside & a).sum()
    assert moved >= 5


def test_sudden_light_changes_step_the_whole_frame() -> None:
    scene = _still(light_steps=3)
    means = np.array([scene.frame(i).mean() for i in range(120)])
    jumps = np.flatnonzero(np.abs(np.diff(means)) > 0.5)
    assert 1 <= len(jumps) <= 3  # two steps may fall on one frame
    assert np.allclose(means[: jumps[0] + 1], means[0])


def test_stopping_objects_stand_still_and_stay_foreground() -> None:
    def longest_stand(scene: SyntheticScene) -> tuple[int, int]:
        """(frames, first frame) of the walker's longest stay at one spot."""
        spots = [scene._sprites[3].position(t, 160) for t in range(360)]
        best, run = (0, 0), 0
        for t in range(1, 360):
            run = run + 1 if spots[t] is not None and spots[t] == spots[t - 1] else 0
            if run > best[0]:
                best = (run, t - run)
        return best

    plain = SyntheticScene(160, 120, 400, seed=1, noise_sigma=0)
    scene = SyntheticScene(160, 120, 400, seed=1, noise_sigma=0, stops=True)
    pause = scene._sprites[3].pause
    frames, first = longest_stand(scene)
    assert pause >= 30 and frames >= pause > 2 * longest_stand(plain)[0]
    walker = scene._sprites[3]
    x, y = walker.position(first + frames // 2, 160)
    h, w = walker.mask.shape
    labels = scene.ground_truth(scene.warmup + first + frames // 2)[max(y, 0):y + h, max(x, 0):x + w]
    seen = walker.mask[max(-y, 0):, max(-x, 0):][:labels.shape[0], :labels.shape[1]]
    assert (labels == 255).sum() >= 0.9 * seen.sum()


def test_any_image_can_be_the_scene() -> None:
    grey = np.full((60, 80, 3), 123, np.uint8)
    scene = SyntheticScene(160, 120, 100, seed=3, noise_sigma=0, drift=0, background=grey)
    assert (scene.frame(0) == 123).all()
    assert scene.frame(90).shape == (120, 160, 3)
