"""bgapp.clip.Clip, the players' frame access, on each kind of source; no Streamlit involved."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest

from bgapp.clip import SEEK_AHEAD, Clip
from bgapp.sequences import Sequence
from bgapp.synthetic import SyntheticScene
from bgapp.video import Mp4Writer, VideoSource

from .conftest import ROOT
from .factories import noise_sequence

N = SEEK_AHEAD + 30  # long enough for a forward jump that seeks


class HeaderSaysMore(VideoSource):
    """A video whose header announces 40 frames more than the file holds."""

    def _count(self, container: av.container.InputContainer, stream: av.VideoStream) -> int:
        return super()._count(container, stream) + 40


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("clip") / "clip.mp4"
    with Mp4Writer(path, fps=25) as w:
        for frame in SyntheticScene(width=64, height=48, n_frames=N, warmup=0):
            w.write(frame)
    return path


def test_video_frames_in_any_order_match_a_full_decode(video: Path) -> None:
    src = VideoSource(video)
    frames = list(src)
    clip = Clip(src, keep=3)
    assert not clip.random and clip.n == N and clip.fps == 25.0 and clip.name == "clip.mp4"
    for i in (0, 1, 2, 10, 5, N - 1, 3, 3, SEEK_AHEAD + 20, 0):  # forward, back, far ahead, back to 0
        assert np.array_equal(clip.frame(i), frames[i]), i
    assert clip.frame(N) is None and clip.frame(-1) is None
    assert clip.truth(0) == (None, False) and clip.note is None
    clip.close()


def test_a_stream_shorter_than_its_header_shrinks_n_and_says_so(video: Path) -> None:
    clip = Clip(HeaderSaysMore(video))
    assert clip.n == N + 40
    assert clip.frame(N + 5) is None
    assert clip.n == N
    assert clip.note is not None and f"ended after {N} frames" in clip.note
    assert clip.frame(N - 1) is not None  # what exists is still there


def test_demo_and_sequence_are_read_directly(tmp_path: Path) -> None:
    demo = SyntheticScene(width=64, height=48, n_frames=30, warmup=10)
    clip = Clip(demo)
    assert clip.random and clip.has_gt and clip.roi is None and clip.name == "demo"
    assert np.array_equal(clip.frame(17), demo.frame(17)) and np.array_equal(clip.frame(3), demo.frame(3))
    gt, scored = clip.truth(5)
    assert np.array_equal(gt, demo.ground_truth(5)) and not scored  # the warm-up is not scored
    assert clip.truth(12)[1]

    seq = Sequence(noise_sequence(tmp_path / "seq", n=4, gt=2))
    clip = Clip(seq)
    assert clip.random and clip.n == 4
    assert np.array_equal(clip.frame(3), seq.frame(3)) and clip.frame(4) is None
    assert clip.truth(1)[1] and clip.truth(3) == (None, False)  # frames 3-4 have no ground truth


def test_the_clip_module_needs_no_streamlit() -> None:
    code = "import sys, bgapp.clip; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"
