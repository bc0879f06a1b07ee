"""Video I/O: what we write plays in a browser (H.264 yuv420p) and reads back; bad files fail in one line."""

from __future__ import annotations

import zipfile
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from bgapp.errors import BgappError
from bgapp.video import Mp4Writer, PngWriter, VideoSource, ZipPngWriter, open_video_bytes

from .conftest import need

W, H, N = 160, 120, 30


def clip_frames(n: int = N, w: int = W, h: int = H) -> list[np.ndarray]:
    """A smooth gradient with a moving block: easy for H.264, so read-back error stays small."""
    base = np.zeros((h, w, 3), np.uint8)
    base[..., 0] = np.linspace(30, 200, w, dtype=np.uint8)[None, :]
    base[..., 1] = np.linspace(60, 180, h, dtype=np.uint8)[:, None]
    base[..., 2] = 90
    frames = []
    for i in range(n):
        f = base.copy()
        x = 5 + 3 * i
        f[40:70, x : x + 24] = (20, 230, 240)
        frames.append(f)
    return frames


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    path = tmp_path / "clip.mp4"
    with Mp4Writer(path, fps=25) as w:
        for f in clip_frames():
            w.write(f)
    assert w.frames_written == N
    return path


def test_roundtrip_pyav(clip: Path) -> None:
    src = VideoSource(clip)
    assert (src.name, src.size, src.fps, src.codec, src.scaled) == ("clip.mp4", (W, H), 25.0, "h264", False)
    assert len(src) == N
    got = list(src)
    assert len(got) == N
    for a, b in zip(got, clip_frames()):
        assert a.shape == (H, W, 3) and a.dtype == np.uint8
        assert np.abs(a.astype(int) - b).mean() < 3.0
    assert len(list(src)) == N  # a second pass opens its own container


def test_roundtrip_cv2(clip: Path) -> None:
    cap = cv2.VideoCapture(str(clip))
    frames = []
    while True:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(f)
    cap.release()
    assert len(frames) == N
    assert frames[0].shape == (H, W, 3)
    assert np.abs(frames[10].astype(int) - clip_frames()[10]).mean() < 3.0


def test_stream_is_browser_playable(clip: Path) -> None:
    with av.open(str(clip)) as c:
        s = c.streams.video[0]
        assert s.codec_context.name == "h264"
        assert s.codec_context.pix_fmt == "yuv420p"
    data = clip.read_bytes()
    assert 0 <= data.find(b"moov") < data.find(b"mdat")  # faststart: playable while downloading


def test_odd_size_is_padded_and_masks_accepted(tmp_path: Path) -> None:
    path = tmp_path / "odd.mp4"
    with Mp4Writer(path, fps=10) as w:
        for i in range(5):
            mask = np.zeros((45, 61), np.uint8)
            mask[10:30, 5 + i : 25 + i] = 255
            w.write(mask)
    assert w.size == (62, 46)
    src = VideoSource(path)
    assert src.size == (62, 46) and len(list(src)) == 5
    first = next(iter(src))
    assert first[20, 15].min() > 200 and first[40, 50].max() < 30


def test_writer_without_frames_writes_nothing(tmp_path: Path) -> None:
    with Mp4Writer(tmp_path / "none.mp4") as w:
        pass
    assert w.frames_written == 0 and not (tmp_path / "none.mp4").exists()


def test_png_writer(tmp_path: Path) -> None:
    out = tmp_path / "masks"
    pw = PngWriter(out)
    for i in range(3):
        pw.write(np.full((8, 10), i * 100, np.uint8))
    assert pw.count == 3
    assert sorted(p.name for p in out.iterdir()) == ["mask000001.png", "mask000002.png", "mask000003.png"]
    back = cv2.imread(str(out / "mask000002.png"), cv2.IMREAD_UNCHANGED)
    assert back.shape == (8, 10) and back.max() == 100  # masks stay single-channel
    with PngWriter(out, prefix="in", start=0) as pw2:
        pw2.write(np.zeros((4, 4, 3), np.uint8))
    pw2.close()
    assert (out / "in000000.png").exists()


def test_zip_png_writer(tmp_path: Path) -> None:
    path = tmp_path / "out.zip"
    with ZipPngWriter(path, prefix="gt", start=5) as zw:
        for i in range(3):
            zw.write(np.full((6, 7), 50 * i, np.uint8))
    assert zw.count == 3
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        assert [i.filename for i in infos] == ["gt000005.png", "gt000006.png", "gt000007.png"]
        assert all(i.compress_type == zipfile.ZIP_STORED for i in infos)
        img = cv2.imdecode(np.frombuffer(zf.read("gt000007.png"), np.uint8), cv2.IMREAD_UNCHANGED)
    assert img.shape == (6, 7) and (img == 100).all()
    assert list(tmp_path.iterdir()) == [path]  # no temp files


def test_sample_count_and_spacing(clip: Path) -> None:
    src = VideoSource(clip)
    picks = src.sample(4)
    assert len(picks) == 4
    # the block moves 3 px/frame, so its x position tells which frame was picked: 0, 10, 19, 29
    xs = [int(np.argmax(p[55, :, 2].astype(int) > 200)) for p in picks]
    assert xs == pytest.approx([5 + 3 * i for i in (0, 10, 19, 29)], abs=2)
    assert len(src.sample(1)) == 1 and src.sample(0) == []
    assert len(src.sample(N + 5)) == N + 5


def test_max_side_scales(clip: Path) -> None:
    src = VideoSource(clip, max_side=80)
    assert src.size == (80, 60) and src.scaled
    assert all(f.shape == (60, 80, 3) for f in src)
    assert all(f.shape == (60, 80, 3) for f in src.sample(3))


def test_open_video_bytes(clip: Path, tmp_path: Path) -> None:
    src = open_video_bytes(clip.read_bytes(), ".mp4", tmp_path / "uploads", name="holiday.mp4")
    assert src.name == "holiday.mp4" and len(list(src)) == N
    with pytest.raises(BgappError, match="holiday.mp4.*empty"):
        open_video_bytes(b"", ".mp4", tmp_path / "uploads", name="holiday.mp4")
    with pytest.raises(BgappError, match="notes.mp4"):
        open_video_bytes(b"not a video\n" * 50, "mp4", tmp_path / "uploads", name="notes.mp4")


def one_line(exc: pytest.ExceptionInfo) -> str:
    msg = str(exc.value)
    assert "\n" not in msg and msg
    return msg


def test_zero_byte_file(tmp_path: Path) -> None:
    p = tmp_path / "empty.mp4"
    p.touch()
    with pytest.raises(BgappError) as exc:
        VideoSource(p)
    assert "empty.mp4" in one_line(exc) and "is empty" in one_line(exc)


def test_text_renamed_mp4(tmp_path: Path) -> None:
    p = tmp_path / "notes.mp4"
    p.write_text("these are not frames\n" * 100)
    with pytest.raises(BgappError) as exc:
        VideoSource(p)
    assert "notes.mp4" in one_line(exc)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(BgappError) as exc:
        VideoSource(tmp_path / "nope.mp4")
    assert "nope.mp4" in one_line(exc) and "not found" in one_line(exc)


def test_unknown_codec_is_named(tmp_path: Path) -> None:
    p = tmp_path / "odd.avi"
    w = cv2.VideoWriter(str(p), cv2.VideoWriter_fourcc(*"MJPG"), 10, (32, 24))
    if not w.isOpened():
        pytest.skip("cv2 cannot write MJPG AVI here")
    for i in range(3):
        w.write(np.full((24, 32, 3), 40 * i, np.uint8))
    w.release()
    p.write_bytes(p.read_bytes().replace(b"MJPG", b"ZQZQ"))  # a fourcc no decoder knows
    with pytest.raises(BgappError) as exc:
        VideoSource(p)
    assert "odd.avi" in one_line(exc) and "ZQZQ" in one_line(exc)


def test_audio_only_has_no_video_stream(tmp_path: Path) -> None:
    p = tmp_path / "sound.mkv"
    with av.open(str(p), "w") as c:
        s = c.add_stream("pcm_s16le", rate=8000)
        s.layout = "mono"
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 800), np.int16), format="s16", layout="mono")
        frame.sample_rate = 8000
        for pkt in s.encode(frame):
            c.mux(pkt)
        for pkt in s.encode(None):
            c.mux(pkt)
    with pytest.raises(BgappError) as exc:
        VideoSource(p)
    assert "sound.mkv" in one_line(exc) and "no video stream" in one_line(exc)


def test_truncated_mp4(clip: Path, tmp_path: Path) -> None:
    data = clip.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: int(len(data) * 0.6)])
    try:
        src = VideoSource(cut)
    except BgappError as exc:
        assert "cut.mp4" in str(exc) and "\n" not in str(exc)
        return
    frames = list(src)  # must end quietly at the last decodable frame
    assert 1 <= len(frames) < N
    assert all(f.shape == (H, W, 3) for f in frames)
    assert len(src.sample(5)) == 5


def test_one_frame_video(tmp_path: Path) -> None:
    p = tmp_path / "one.mp4"
    with Mp4Writer(p) as w:
        w.write(clip_frames(1)[0])
    src = VideoSource(p)
    assert len(src) == 1 and len(list(src)) == 1
    assert len(src.sample(3)) == 3


def test_vtest_avi(shared_data: Path) -> None:
    path = need(shared_data / "video" / "vtest.avi")
    src = VideoSource(path, max_side=384)
    assert src.source_size == (768, 576)
    assert src.size == (384, 288) and src.scaled
    assert src.fps == pytest.approx(10.0)
    assert 780 <= len(src) <= 810
    assert src.codec  # the header says XVID; FFmpeg decodes it as msmpeg4
    n = 0
    for f in src:
        assert f.shape == (288, 384, 3)
        n += 1
        if n == 50:
            break
    picks = src.sample(5)
    assert len(picks) == 5 and all(p.shape == (288, 384, 3) for p in picks)


def test_frames_from_seeks_to_the_same_frames_as_decoding(tmp_path):
    import itertools

    from bgapp.synthetic import SyntheticScene
    from bgapp.video import Mp4Writer, VideoSource

    scene = SyntheticScene(n_frames=90)
    path = tmp_path / "clip.mp4"
    with Mp4Writer(path, fps=25) as w:
        for f in scene:
            w.write(f)
    v = VideoSource(path)
    every = list(v)
    for start in (0, 1, 31, 62, 88):
        got = list(itertools.islice(v.frames_from(start), 2))
        assert all(np.array_equal(g, every[start + j]) for j, g in enumerate(got)), start
    assert list(v.frames_from(500)) == []
