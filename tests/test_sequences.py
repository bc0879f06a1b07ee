"""Sequence folders: the real CDnet/SBI/UCSD layouts and small synthetic ones written to tmp_path."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from bgapp.errors import BgappError
from bgapp.sequences import GT_LEVELS, Sequence, find_sequences, natural_key

from .conftest import need
from .factories import noise_sequence

# name: (frames, GT files, (first scored index, last scored index), scored count, ROI present)
REAL = {
    "cdnet/baseline/highway": (1700, 1700, (469, 1699), 1231, True),
    "sbi/Board": (228, 228, (1, 227), 227, True),
    "sbi/IBMtest2": (90, 90, (0, 89), 90, True),
    "sbi/Foliage": (389, 389, (0, 388), 389, False),
    "ucsd/boats": (31, 31, (0, 30), 31, True),
    "ucsd/ocean": (30, 30, (0, 29), 30, True),
    "ucsd/peds": (25, 25, (0, 24), 25, True),
}
# name: [(index, frame file, GT file)]
PAIRS = {
    "cdnet/baseline/highway": [(0, "in000001.jpg", "gt000001.png"), (469, "in000470.jpg", "gt000470.png")],
    "sbi/Board": [(0, "in000000.png", "gt000000.png"), (227, "in000227.png", "gt000227.png")],
    "sbi/IBMtest2": [(89, "in000089.png", "gt000089.png")],
    "sbi/Foliage": [(388, "in000388.jpg", "gt000388.png")],
    "ucsd/boats": [(1, "frame_2.jpg", "gt0002.png"), (9, "frame_10.jpg", "gt0010.png")],
    "ucsd/ocean": [(9, "frame_10.jpg", "gt0010.png"), (29, "frame_30.jpg", "gt0030.png")],
    "ucsd/peds": [(9, "frame_10.jpg", "gt0010.png"), (24, "frame_25.jpg", "gt0025.png")],
}


# ---------------------------------------------------------------- real data


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_sequence_layout(shared_data: Path, name: str):
    n_frames, n_gt, (lo, hi), n_scored, has_roi = REAL[name]
    seq = Sequence(need(shared_data / name))
    assert len(seq) == n_frames and len(seq.gt_files) == n_gt and seq.has_ground_truth
    assert seq.name == Path(name).name and seq.category == Path(name).parent.name
    scored = [i for i in range(len(seq)) if seq.scored(i)]
    assert scored == list(range(lo, hi + 1)) and len(scored) == n_scored
    assert (seq.roi is not None) == has_roi
    if has_roi:
        assert seq.roi.shape == (seq.size[1], seq.size[0]) and set(np.unique(seq.roi)) <= {0, 255}
    for i, frame_name, gt_name in PAIRS[name]:
        assert seq.frame_files[i].name == frame_name and seq.gt_files[i].name == gt_name
    frame = seq.frame(lo)
    assert frame.dtype == np.uint8 and frame.shape == (seq.size[1], seq.size[0], 3)
    for i in (lo, (lo + hi) // 2, hi):
        gt = seq.ground_truth(i)
        assert gt.ndim == 2 and gt.shape == frame.shape[:2]
        assert set(np.unique(gt).tolist()) <= set(GT_LEVELS)


def test_real_temporal_rois(shared_data: Path):
    assert Sequence(need(shared_data / "cdnet/baseline/highway")).temporal_roi == (470, 1700)
    assert Sequence(need(shared_data / "sbi/IBMtest2")).temporal_roi == (0, 90)
    assert Sequence(need(shared_data / "sbi/Foliage")).temporal_roi is None


def test_real_palette_gt_reads_as_cdnet_levels(shared_data: Path):
    """highway GT PNGs are palette images; the levels must come out as written (incl. 50 and 85)."""
    seq = Sequence(need(shared_data / "cdnet/baseline/highway"))
    assert set(np.unique(seq.ground_truth(0)).tolist()) == {85}  # before temporalROI: all outside
    assert set(np.unique(seq.ground_truth(1699)).tolist()) == {0, 50, 170, 255}


def test_real_grey_frames_become_bgr(shared_data: Path):
    seq = Sequence(need(shared_data / "ucsd/peds"))
    frame = seq.frame(0)
    assert frame.shape == (152, 232, 3)
    assert np.array_equal(frame[:, :, 0], frame[:, :, 2])


def test_real_pairs_and_sample(shared_data: Path):
    seq = Sequence(need(shared_data / "ucsd/peds"))
    pairs = list(seq.pairs())
    assert len(pairs) == 25 and all(s for _, _, s in pairs)
    assert all(gt is not None and gt.shape == f.shape[:2] for f, gt, _ in pairs)
    assert np.array_equal(pairs[9][0], seq.frame(9))
    sample = seq.sample(3)
    assert len(sample) == 3
    assert np.array_equal(sample[0], seq.frame(0)) and np.array_equal(sample[2], seq.frame(24))
    assert np.array_equal(sample[1], seq.frame(12))


def test_real_find_sequences(shared_data: Path):
    seqs = find_sequences(shared_data)
    held_out = [f"{s.category}/{s.name}" for s in seqs if "train" not in Path(s.path).relative_to(shared_data).parts]
    assert held_out == ["baseline/highway", "sbi/Board", "sbi/Foliage", "sbi/IBMtest2",
                        "ucsd/boats", "ucsd/ocean", "ucsd/peds"]
    # the training scenes below train/ (data README) are sequences of the same tree, found as well
    train = shared_data / "train"
    if train.is_dir():
        expected = sorted(p.parent for p in train.glob("*/*/*") if p.name in ("input", "in"))
        assert sorted(Path(s.path) for s in seqs if train in Path(s.path).parents) == expected and expected
    assert [s.name for s in find_sequences(shared_data / "ucsd")] == ["boats", "ocean", "peds"]


# ---------------------------------------------------------------- synthetic sequences


def _write(path: Path, img: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), img)


def test_natural_sort_and_ignored_files(tmp_path: Path):
    root = tmp_path / "cat" / "seq"
    for k in (1, 2, 10, 11, 3):
        _write(root / "in" / f"frame_{k}.jpg", np.zeros((8, 8, 3), np.uint8))
    (root / "in" / "Thumbs.db").write_bytes(b"junk")
    (root / "in" / ".DS_Store").write_bytes(b"junk")
    (root / "in" / "._frame_1.jpg").write_bytes(b"AppleDouble junk")
    (root / "in" / "notes.txt").write_text("x")
    seq = Sequence(root)
    assert [p.name for p in seq.frame_files] == [f"frame_{k}.jpg" for k in (1, 2, 3, 10, 11)]
    assert seq.name == "seq" and seq.category == "cat" and seq.size == (8, 8) and seq.fps == 25.0
    assert not seq.has_ground_truth and seq.roi is None and seq.temporal_roi is None
    assert not any(seq.scored(i) for i in range(len(seq)))
    assert all(gt is None and not s for _, gt, s in seq.pairs())
    assert sorted(["a10", "a2", "A1"], key=natural_key) == ["A1", "a2", "a10"]


def test_grey_16bit_and_rgba_frames_become_bgr8(tmp_path: Path):
    root = tmp_path / "seq"
    grey = np.full((6, 5), 200, np.uint8)
    deep = np.full((6, 5), 65535, np.uint16)
    rgba = np.zeros((6, 5, 4), np.uint8)
    rgba[..., 2] = 255  # red in BGRA order
    rgba[..., 3] = 0  # fully transparent: alpha is dropped, colour kept
    _write(root / "input" / "in1.png", grey)
    _write(root / "input" / "in2.png", deep)
    _write(root / "input" / "in3.png", rgba)
    seq = Sequence(root)
    frames = list(seq)
    assert all(f.shape == (6, 5, 3) and f.dtype == np.uint8 for f in frames)
    assert (frames[0] == 200).all()
    assert (frames[1] == 255).all()
    assert (frames[2][..., 2] == 255).all() and (frames[2][..., :2] == 0).all()


def test_synthetic_pairs_temporal_roi_and_roi(tmp_path: Path):
    root = noise_sequence(tmp_path / "seq", n=5, start=0, temporal="1 3\n")
    roi = np.zeros((12, 16), np.uint8)
    roi[:, :8] = 1  # any non-zero value is inside
    _write(root / "ROI.bmp", roi)
    seq = Sequence(root)
    assert [seq.scored(i) for i in range(5)] == [False, True, True, True, False]
    assert seq.temporal_roi == (1, 3)
    assert seq.roi is not None and set(np.unique(seq.roi).tolist()) == {0, 255}
    assert (seq.roi[:, :8] == 255).all() and (seq.roi[:, 8:] == 0).all()
    gt = seq.ground_truth(2)
    assert gt[0, 0] == 255 and gt[-1, -1] == 170 and gt[-1, 0] == 0


def test_roi_png_fallback_and_bmp_preferred(tmp_path: Path):
    root = noise_sequence(tmp_path / "seq", n=2)
    _write(root / "ROI.png", np.zeros((12, 16), np.uint8))
    assert Sequence(root).roi.max() == 0
    _write(root / "ROI.bmp", np.full((12, 16), 255, np.uint8))
    assert Sequence(root).roi.min() == 255


def test_temporal_roi_past_the_end_and_without_digits(tmp_path: Path):
    seq = Sequence(noise_sequence(tmp_path / "a", n=4, start=0, temporal="0 4"))  # one past the last
    assert all(seq.scored(i) for i in range(4))
    root = tmp_path / "b"
    for k, name in enumerate(["alpha.png", "beta.png", "gamma.png"]):
        _write(root / "input" / name, np.full((4, 4, 3), k, np.uint8))
    (root / "temporalROI.txt").write_text("2 3")
    _write(root / "groundtruth" / "x.png", np.zeros((4, 4), np.uint8))
    _write(root / "groundtruth" / "y.png", np.zeros((4, 4), np.uint8))
    seq = Sequence(root)  # no digits: 1-based positions; only 2 GT files for 3 frames
    assert len(seq.gt_files) == 2
    assert [seq.scored(i) for i in range(3)] == [False, True, False]
    assert seq.ground_truth(2) is None


@pytest.mark.parametrize("text", ["", "470", "a b", "5 2", "1 2 3", "-1 4"])
def test_malformed_temporal_roi(tmp_path: Path, text: str):
    root = noise_sequence(tmp_path / "seq", temporal=text)
    with pytest.raises(BgappError, match="temporalROI.txt") as exc:
        Sequence(root)
    assert "\n" not in str(exc.value)


def test_temporal_roi_selecting_nothing(tmp_path: Path):
    root = noise_sequence(tmp_path / "seq", n=4, temporal="100 200")
    with pytest.raises(BgappError, match=r"temporalROI.txt.*100\.\.200"):
        Sequence(root)


def test_fewer_gt_than_frames(tmp_path: Path):
    seq = Sequence(noise_sequence(tmp_path / "seq", n=5, gt=3))
    assert len(seq) == 5 and len(seq.gt_files) == 3
    assert [seq.scored(i) for i in range(5)] == [True, True, True, False, False]
    assert [gt is None for _, gt, _ in seq.pairs()] == [False, False, False, True, True]


def test_gt_size_mismatch(tmp_path: Path):
    root = noise_sequence(tmp_path / "seq", n=2)
    _write(root / "groundtruth" / "gt000002.png", np.zeros((5, 7), np.uint8))
    seq = Sequence(root)
    seq.ground_truth(0)
    with pytest.raises(BgappError, match=r"gt000002\.png is 7x5.*in000002\.png is 16x12"):
        seq.ground_truth(1)


def test_gt_bad_values(tmp_path: Path):
    root = noise_sequence(tmp_path / "seq", n=2)
    bad = np.zeros((12, 16), np.uint8)
    bad[0, 0] = 100
    _write(root / "groundtruth" / "gt000001.png", bad)
    with pytest.raises(BgappError, match=r"gt000001\.png.*\[100\]"):
        Sequence(root).ground_truth(0)


def test_gt_colour_image_rejected(tmp_path: Path):
    root = noise_sequence(tmp_path / "seq", n=1)
    colour = np.zeros((12, 16, 3), np.uint8)
    colour[..., 2] = 255
    _write(root / "groundtruth" / "gt000001.png", colour)
    with pytest.raises(BgappError, match="colour"):
        Sequence(root).ground_truth(0)


def test_palette_gt_uses_grey_colours(tmp_path: Path):
    """A palette PNG is read by its (grey) colours, so a 2-entry palette 0->black, 1->white gives 0/255."""
    image = pytest.importorskip("PIL.Image")
    root = noise_sequence(tmp_path / "seq", n=2)
    idx = np.zeros((12, 16), np.uint8)
    idx[:4] = 1
    two = image.frombytes("P", (16, 12), idx.tobytes())
    two.putpalette([0, 0, 0, 255, 255, 255])
    two.save(root / "groundtruth" / "gt000001.png")
    ramp = image.frombytes("P", (16, 12), np.full((12, 16), 50, np.uint8).tobytes())
    ramp.putpalette([v for k in range(256) for v in (k, k, k)])  # CDnet style: index == grey
    ramp.save(root / "groundtruth" / "gt000002.png")
    seq = Sequence(root)
    assert set(np.unique(seq.ground_truth(0)).tolist()) == {0, 255}
    assert set(np.unique(seq.ground_truth(1)).tolist()) == {50}


def test_frame_size_change_raises_on_that_frame(tmp_path: Path):
    root = noise_sequence(tmp_path / "seq", n=3)
    _write(root / "input" / "in000003.png", np.zeros((20, 20, 3), np.uint8))
    seq = Sequence(root)
    seq.frame(1)
    with pytest.raises(BgappError, match=r"in000003\.png is 20x20"):
        seq.frame(2)


def test_roi_size_mismatch(tmp_path: Path):
    root = noise_sequence(tmp_path / "seq", n=2)
    _write(root / "ROI.bmp", np.zeros((3, 3), np.uint8))
    with pytest.raises(BgappError, match=r"ROI\.bmp is 3x3.*16x12"):
        Sequence(root)


def test_missing_folder_and_missing_input(tmp_path: Path):
    with pytest.raises(BgappError, match="not found"):
        Sequence(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(BgappError, match="no input/ or in/"):
        Sequence(tmp_path / "empty")
    (tmp_path / "noimg" / "input").mkdir(parents=True)
    (tmp_path / "noimg" / "input" / "Thumbs.db").write_bytes(b"x")
    with pytest.raises(BgappError, match="no images"):
        Sequence(tmp_path / "noimg")
    with pytest.raises(BgappError, match="not found"):
        find_sequences(tmp_path / "nope")
    with pytest.raises(BgappError, match="expected"):
        find_sequences(tmp_path / "empty")


def test_unreadable_frame_names_the_file(tmp_path: Path):
    root = noise_sequence(tmp_path / "seq", n=2)
    (root / "input" / "in000002.png").write_bytes(b"not a png")
    with pytest.raises(BgappError, match=r"in000002\.png"):
        Sequence(root).frame(1)


def test_sample_spacing(tmp_path: Path):
    seq = Sequence(noise_sequence(tmp_path / "seq", n=10))
    assert len(seq.sample(0)) == 0
    assert len(seq.sample(50)) == 10
    picked = seq.sample(4)  # indices 0, 3, 6, 9
    assert len(picked) == 4
    for img, i in zip(picked, (0, 3, 6, 9)):
        assert np.array_equal(img, seq.frame(i))


def test_find_sequences_layouts(tmp_path: Path):
    data = tmp_path / "data"
    noise_sequence(data / "cdnet" / "baseline" / "highway")
    noise_sequence(data / "cdnet" / "baseline" / "office")
    noise_sequence(data / "sbi" / "Board")
    (data / "sbi" / "README.txt").write_text("not a sequence")
    noise_sequence(data / "cdnet" / "baseline" / "highway" / "input" / "nested")  # inside a sequence: skipped

    as_tree = find_sequences(data)
    assert [(s.category, s.name) for s in as_tree] == [
        ("baseline", "highway"), ("baseline", "office"), ("sbi", "Board"),
    ]
    assert [s.name for s in find_sequences(data / "cdnet" / "baseline")] == ["highway", "office"]
    single = find_sequences(data / "sbi" / "Board")
    assert len(single) == 1 and single[0].name == "Board" and len(single[0]) == 4

    too_deep = tmp_path / "deep" / "a" / "b" / "c"
    noise_sequence(too_deep / "seq")
    with pytest.raises(BgappError, match="no image sequence"):
        find_sequences(tmp_path / "deep")
