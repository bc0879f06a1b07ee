"""The one interface every source follows (bgapp.source), and sample(n)'s one contract, per kind:
up to n distinct frames spread evenly over the clip, never padded or repeated."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bgapp.config import Config
from bgapp.pipeline import Pipeline, Views
from bgapp.sequences import Sequence
from bgapp.source import IndexedSource, Source, sample_indices
from bgapp.sources import open_source
from bgapp.standalone import median_image
from bgapp.synthetic import SyntheticScene
from bgapp.video import Mp4Writer, VideoSource

from .factories import noise_sequence

N = 7  # frames in every clip below


def _video(tmp_path: Path) -> VideoSource:
    path = tmp_path / "clip.mp4"
    with Mp4Writer(path, fps=10) as w:
        for frame in SyntheticScene(width=64, height=48, n_frames=N, warmup=0).sample(N):
            w.write(frame)
    return VideoSource(path)


def _sequence(tmp_path: Path) -> Sequence:
    return Sequence(noise_sequence(tmp_path / "cat" / "seq", n=N))


def _demo(tmp_path: Path) -> SyntheticScene:
    return SyntheticScene(width=64, height=48, n_frames=N, warmup=2)


KINDS = {"video": _video, "sequence": _sequence, "demo": _demo}


@pytest.fixture(params=sorted(KINDS))
def source(request: pytest.FixtureRequest, tmp_path: Path) -> Source:
    return KINDS[request.param](tmp_path)


def test_sample_indices() -> None:
    assert sample_indices(4, 10) == [0, 3, 6, 9]
    assert sample_indices(1, 10) == [0]
    assert sample_indices(10, 10) == list(range(10))
    assert sample_indices(50, 3) == [0, 1, 2]  # never more than the clip holds, never repeated
    assert sample_indices(0, 10) == [] and sample_indices(-2, 10) == [] and sample_indices(5, 0) == []
    for length in range(1, 40):
        for n in range(1, 45):
            picks = sample_indices(n, length)
            assert len(picks) == min(n, length) and picks == sorted(set(picks))
            assert picks[0] == 0 and (n == 1 or picks[-1] == length - 1)


def test_every_kind_is_a_source(source: Source) -> None:
    assert isinstance(source, Source)
    assert isinstance(source, IndexedSource) == (not isinstance(source, VideoSource))
    frames = list(source)
    assert len(frames) == len(source) == N
    assert all(f.shape == (source.size[1], source.size[0], 3) and f.dtype == np.uint8 for f in frames)
    assert [np.array_equal(a, b) for a, b in zip(source.frames_from(4), frames[4:])] == [True] * (N - 4)
    assert source.fps > 0 and source.name and isinstance(source.notes, list)
    assert source.ended_early(N) is None
    assert len(source.frame_numbers) == N


@pytest.mark.parametrize("n", [1, 3, N])
def test_sample_spreads_n_frames_over_the_clip(source: Source, n: int) -> None:
    frames = list(source)
    picks = source.sample(n)
    assert len(picks) == n
    want = [0] if n == 1 else np.linspace(0, N - 1, n).round().astype(int).tolist()
    for pick, i in zip(picks, want):
        assert np.array_equal(pick, frames[i])


def test_sample_is_never_padded_or_repeated(source: Source) -> None:
    frames = list(source)
    for n in (N + 1, 3 * N):
        picks = source.sample(n)
        assert len(picks) == N  # each frame once, in order: fewer than asked
        assert all(np.array_equal(a, b) for a, b in zip(picks, frames))
    assert source.sample(0) == [] and source.sample(-1) == []


def test_ground_truth_members(source: Source) -> None:
    pairs = list(source.pairs())
    assert len(pairs) == N
    source.check_ground_truth()
    if isinstance(source, VideoSource):
        assert not source.has_ground_truth and source.roi is None and source.temporal_roi is None
        assert source.scored_indices == [] and not source.scored(0) and source.ground_truth(0) is None
        assert all(gt is None and not scored for _, gt, scored in pairs)
        assert source.frame_label(2) == "frame 3" and source.category == ""
        return
    assert source.has_ground_truth
    assert source.scored_indices == [i for i in range(N) if source.scored(i)]
    assert [scored for _, _, scored in pairs] == [source.scored(i) for i in range(N)]
    for i, (_, gt, _) in enumerate(pairs):
        assert gt is not None and gt.shape == (source.size[1], source.size[0])
        assert np.array_equal(gt, source.ground_truth(i))
    if isinstance(source, Sequence):
        assert source.frame_label(2) == "in000003.png" and source.category == "cat"
    else:
        assert source.scored_indices == list(range(2, N))  # the demo's warm-up is not scored
        assert source.temporal_roi == (3, N) and source.frame_label(2) == "frame 3"


def test_open_source_gives_sources(tmp_path: Path) -> None:
    _video(tmp_path)
    seq = noise_sequence(tmp_path / "seq", n=3)
    for spec in ("demo", tmp_path / "clip.mp4", seq):
        assert isinstance(open_source(spec), Source)


class CountingScene(SyntheticScene):
    """The demo, counting its sample() calls."""

    calls = 0

    def sample(self, n: int) -> list[np.ndarray]:
        self.calls += 1
        return super().sample(n)


def test_median_primed_from_a_clip_shorter_than_its_sample() -> None:
    """The median asks for more frames than the clip has: it gets each frame once (padding would
    weigh the last frame more), and a change that keeps the sample size does not sample again."""
    scene = CountingScene(width=64, height=48, n_frames=5, warmup=0)
    p = Pipeline(Config("median", {"n_frames": 9, "blur": 1}), Views(background=True))
    p.prime(scene)
    assert scene.calls == 1
    r = p.process(scene.frame(0))
    assert not r.learning and np.array_equal(r.background, median_image(list(scene)))
    scene.calls = 0
    p.update(params={"threshold": 40})  # same sample size: the samples it has serve
    p.reset()
    assert scene.calls == 0
    p.update(params={"n_frames": 3})
    assert scene.calls == 1
    r = p.process(scene.frame(0))
    assert np.array_equal(r.background, median_image(scene.sample(3)))


def test_the_exported_script_samples_as_the_engine_does() -> None:
    """The standalone script (bgapp export --format python) primes a median from the same frames."""
    from bgapp.export import python_script

    ns: dict = {"__name__": "exported"}
    exec(compile(python_script(Config("median")), "exported.py", "exec"), ns)
    for length in range(0, 30):
        for n in range(-1, 35):
            assert ns["sample_indices"](n, length) == sample_indices(n, length), (n, length)
