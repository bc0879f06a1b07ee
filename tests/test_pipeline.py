"""The session pipeline: live updates, rebuilds, threads, references and views."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from bgapp import Config, Pipeline, Views
from bgapp.errors import BgappError
from bgapp.synthetic import SyntheticScene


@pytest.fixture(scope="module")
def scene():
    return SyntheticScene(n_frames=120)


def test_outputs_per_frame(scene):
    p = Pipeline(Config("mog2", composite={"mode": "green"}), Views(background=True, composite=True, stats=True))
    for i in range(50):
        r = p.process(scene.frame(i))
    assert r.index == 49 and r.raw.shape == r.clean.shape == scene.frame(0).shape[:2]
    assert r.background.shape == scene.frame(0).shape and r.composite.shape == scene.frame(0).shape
    assert 0.0 <= r.fg_fraction <= 1.0 and r.ms > 0
    assert p.running.count == 50 and len(p.series.values) == 50


def test_update_keeps_model_unless_rebuild_needed(scene):
    p = Pipeline(Config("mog2"))
    for i in range(30):
        p.process(scene.frame(i))
    model = p.method.model
    assert p.update(params={"var_threshold": 30}).rebuilt is False
    assert p.method.model is model and p.method.frames_seen == 30
    assert p.update(post={"open": 5}).rebuilt is False
    assert p.update(params={"n_mixtures": 8}).rebuilt is True
    assert p.method.model is not model and p.method.frames_seen == 0
    assert p.update(method="knn").rebuilt is True and p.config.method == "knn"
    assert p.config.post["open"] == 5  # post-processing survives a change of method


def test_same_frames_same_masks_after_reset(scene):
    p = Pipeline(Config("knn"))
    first = [p.process(scene.frame(i)).clean for i in range(40, 70)]
    p.reset()
    second = [p.process(scene.frame(i)).clean for i in range(40, 70)]
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))


def test_updates_from_another_thread_while_processing(scene):
    """The webcam case: a callback thread processes while the page thread changes sliders."""
    p = Pipeline(Config("mog2"))
    errors: list[BaseException] = []
    done = threading.Event()

    def feed():
        try:
            i = 0
            while not done.is_set():
                r = p.process(scene.frame(i % len(scene)))
                assert set(np.unique(r.clean)) <= {0, 255}
                i += 1
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    t = threading.Thread(target=feed)
    t.start()
    for k in range(40):
        p.update(params={"var_threshold": 10 + k, "n_mixtures": 2 + k % 6}, post={"close": 1 + 2 * (k % 4)})
    done.set()
    t.join(10)
    assert not errors, errors
    assert p.method.values["var_threshold"] == 49


def test_capture_reference_uses_last_frame(scene):
    p = Pipeline(Config("absdiff", {"reference": "snapshot", "blur": 1}, post={"open": 1, "close": 1}))
    assert p.capture_reference() is False  # nothing seen yet
    p.process(scene.frame(0))
    assert p.capture_reference() is True
    r = p.process(scene.frame(0))
    assert r.clean.max() == 0


def test_median_reference_primed_from_source_and_resampled_on_change(scene):
    p = Pipeline(Config("absdiff", {"reference": "median", "median_frames": 5}))
    p.prime(scene)
    assert len(p._samples) == 5
    p.update(params={"median_frames": 9})
    assert len(p._samples) == 9
    r = p.process(scene.frame(100))
    gt = scene.ground_truth(100) == 255
    assert r.clean[gt].mean() > 100


def test_notes_report_rounded_kernels_and_bad_values_raise(scene):
    p = Pipeline(Config("mog2"))
    res = p.update(post={"close": 6})
    assert any("even" in n for n in res.notes)
    with pytest.raises(BgappError, match="var_threshold"):
        p.update(params={"var_threshold": "lots"})
    p.process(scene.frame(0))  # still usable after a refused value


def test_grey_and_16_bit_frames_are_accepted(scene):
    p = Pipeline(Config("mog2"))
    grey = scene.frame(0)[:, :, 0]
    deep = grey.astype(np.uint16) * 257
    assert p.process(grey).clean.shape == grey.shape
    assert p.process(deep).clean.shape == grey.shape


def test_a_refused_update_changes_nothing(scene):
    p = Pipeline(Config("mog2"))
    p.process(scene.frame(0))
    with pytest.raises(BgappError, match="open"):
        p.update(params={"var_threshold": 40}, post={"open": 999})
    assert p.config.params["var_threshold"] == 16.0 and p.method.model.model.getVarThreshold() == 16.0


# Temporal median fed by a stream (a webcam: no frames sampled ahead) -----------------------------

def _noise(n: int, seed: int = 1) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (24, 32, 3), dtype=np.uint8) for _ in range(n)]


def _median(frames: list[np.ndarray]) -> np.ndarray:
    return np.median(np.stack(frames), axis=0).astype(np.uint8)


def test_median_in_a_stream_collects_its_frames_then_stops_learning():
    frames = _noise(40)
    p = Pipeline(Config("median", {"n_frames": 5, "sample_every": 3, "blur": 1}), Views(background=True))
    results = [p.process(f) for f in frames[:13]]  # samples at frames 0, 3, 6, 9, 12
    assert [r.learning for r in results] == [True] * 12 + [False]
    assert np.array_equal(results[-1].background, _median(frames[0:13:3]))
    for f in frames[13:]:
        r = p.process(f)
    assert not r.learning
    assert np.array_equal(r.background, _median(frames[0:13:3]))  # refresh 0: kept for ever
    assert len(p.method.model.recent) <= 5  # memory: N frames, not the stream


def test_median_in_a_stream_refreshes_every_k_frames_from_recent_samples():
    frames = _noise(30, seed=2)
    p = Pipeline(Config("median", {"n_frames": 3, "sample_every": 2, "refresh": 6, "blur": 1}),
                 Views(background=True))
    for f in frames[:10]:  # samples 0, 2, 4 complete the median at frame 4
        r = p.process(f)
    assert not r.learning and np.array_equal(r.background, _median([frames[0], frames[2], frames[4]]))
    r = p.process(frames[10])  # six frames later: refreshed from the last three samples
    assert np.array_equal(r.background, _median([frames[6], frames[8], frames[10]]))
    assert len(p.method.model.recent) == 3


def test_median_in_a_stream_collects_again_for_a_larger_n():
    frames = _noise(20, seed=3)
    p = Pipeline(Config("median", {"n_frames": 3, "sample_every": 1, "blur": 1}), Views(background=True))
    for f in frames[:3]:
        r = p.process(f)
    assert not r.learning
    p.update(params={"n_frames": 5})
    assert p.process(frames[3]).learning
    r = p.process(frames[4])
    assert not r.learning and np.array_equal(r.background, _median(frames[:5]))


def test_median_primed_from_a_source_is_ready_at_the_first_frame(scene):
    p = Pipeline(Config("median", {"n_frames": 5, "blur": 1}), Views(background=True))
    p.prime(scene)
    r = p.process(scene.frame(0))
    assert not r.learning and np.array_equal(r.background, _median(scene.sample(5)))
