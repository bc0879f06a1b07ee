"""bgapp.labels: sparse hand labels of a clip, the labelling work on them, and the CDnet sequence they make.

Everything runs on small synthetic scenes (exact, repeatable); the round trip goes through the real
files: written, zipped, extracted the way an upload is, read back by the sequence reader.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from bgapp.archive import safe_extract
from bgapp.config import Config
from bgapp.errors import BgappError
from bgapp.evaluate import evaluate
from bgapp.labels import (
    BACKGROUND,
    FOREGROUND,
    PALETTE,
    UNDO_DEPTH,
    UNKNOWN,
    LabelEditor,
    Labels,
    apply_strokes,
    first_to_label,
    label_name,
    overlay,
    read_labels,
    spread,
    starting_masks,
    to_levels,
    write_sequence,
    zip_sequence,
)
from bgapp.pipeline import Pipeline
from bgapp.sequences import Sequence, find_sequences
from bgapp.synthetic import SyntheticScene

W, H = 64, 48


def scene(n: int = 40) -> SyntheticScene:
    return SyntheticScene(W, H, n_frames=n, warmup=5)


def square(level: int, x: int = 10, y: int = 8, side: int = 12) -> np.ndarray:
    m = np.zeros((H, W), np.uint8)
    m[y:y + side, x:x + side] = level
    return m


def strokes(size: tuple[int, int], box: tuple[int, int, int, int], level: int) -> np.ndarray:
    """A canvas's picture of the strokes alone: transparent, with one filled box in ``level``'s colour."""
    w, h = size
    rgba = np.zeros((h, w, 4), np.uint8)
    x0, y0, x1, y1 = box
    rgba[y0:y1, x0:x1, :3] = PALETTE.colour(level)
    rgba[y0:y1, x0:x1, 3] = 255
    return rgba


# which frames ----------------------------------------------------------------------------------------

def test_spread_takes_the_middle_of_equal_parts_from_start() -> None:
    assert spread(100, 4) == [12, 37, 62, 87]
    assert spread(100, 4, start=20) == [30, 50, 70, 90]
    assert spread(5, 10) == [0, 1, 2, 3, 4], "never more than the frames there are"
    assert spread(100, 0) == []
    picks = spread(795, 10, 40)
    assert len(picks) == 10 and picks[0] > 40 and picks[-1] < 795
    gaps = np.diff(picks)
    assert gaps.max() - gaps.min() <= 1, "evenly spread"


def test_labelling_starts_after_the_first_seconds_but_within_a_tenth_of_a_short_clip() -> None:
    assert first_to_label(795, 10.0) == 40  # four seconds at 10 fps
    assert first_to_label(300, 25.0) == 30  # four seconds would be a third of it: a tenth
    assert first_to_label(5, 25.0) == 0


# starting masks --------------------------------------------------------------------------------------

def test_starting_masks_are_a_bare_pipelines_clean_masks_at_those_frames() -> None:
    src = SyntheticScene(160, 120, n_frames=80, warmup=10)  # big enough for objects past the clean-up
    config = Config()
    wanted = [30, 45, 75]
    seen: list[int] = []
    got = starting_masks(src, config, wanted, progress=lambda done, total: seen.append(done))
    pipeline = Pipeline(config)
    pipeline.prime(src)
    expected = {}
    for i in range(max(wanted) + 1):
        res = pipeline.process(src.frame(i))
        if i in wanted:
            expected[i] = res.clean
    assert sorted(got) == wanted
    for i in wanted:
        assert set(np.unique(got[i])) <= {BACKGROUND, FOREGROUND}
        np.testing.assert_array_equal(got[i] == FOREGROUND, expected[i] == 255)
    assert any((got[i] == FOREGROUND).any() for i in wanted), "the scene has moving objects by then"
    assert seen[-1] == max(wanted) + 1, "the pass stops at the last frame wanted"


def test_to_levels_keeps_cdnet_levels_as_labels() -> None:
    gt = np.array([[0, 50, 85, 170, 255, 127]], np.uint8)
    assert to_levels(gt).tolist() == [[0, 0, 170, 170, 255, 0]]


# strokes ---------------------------------------------------------------------------------------------

def test_apply_strokes_at_twice_the_display_size_paints_those_frame_pixels() -> None:
    mask = np.zeros((H, W), np.uint8)
    # a box drawn on a 2x canvas over frame pixels x 10..19, y 6..13
    rgba = strokes((2 * W, 2 * H), (20, 12, 40, 28), FOREGROUND)
    out = apply_strokes(mask, rgba)
    expected = np.zeros_like(mask)
    expected[6:14, 10:20] = FOREGROUND
    np.testing.assert_array_equal(out, expected)
    assert not mask.any(), "the mask passed in is not changed"
    # an eraser stroke over part of it, a don't-care one beside
    out2 = apply_strokes(out, strokes((2 * W, 2 * H), (20, 12, 30, 28), BACKGROUND))
    out2 = apply_strokes(out2, strokes((2 * W, 2 * H), (60, 60, 70, 70), UNKNOWN))
    assert (out2[6:14, 10:15] == BACKGROUND).all() and (out2[6:14, 15:20] == FOREGROUND).all()
    assert (out2[30:35, 30:35] == UNKNOWN).all()


def test_apply_strokes_takes_the_nearest_palette_colour_and_ignores_faint_edges() -> None:
    mask = np.zeros((H, W), np.uint8)
    rgba = np.zeros((H, W, 4), np.uint8)
    rgba[0:4, 0:4] = (240, 20, 10, 255)  # off-red (a browser's colour management): foreground
    rgba[10:14, 10:14] = (250, 190, 20, 200)  # off-yellow, mostly opaque: don't care
    rgba[20:24, 20:24] = (255, 0, 0, 60)  # a faint anti-aliased edge: nothing
    out = apply_strokes(mask, rgba)
    assert (out[0:4, 0:4] == FOREGROUND).all() and (out[10:14, 10:14] == UNKNOWN).all()
    assert not out[20:24, 20:24].any()
    with pytest.raises(BgappError, match="RGBA"):
        apply_strokes(mask, rgba[:, :, :3])


def test_overlay_tints_foreground_and_dont_care_only() -> None:
    frame = np.full((H, W, 3), 100, np.uint8)
    mask = square(FOREGROUND)
    mask[40:44, 40:44] = UNKNOWN
    out = overlay(frame, mask, 0.5)
    assert (out[mask == BACKGROUND] == 100).all()
    b, g, r = out[10, 12]
    assert r > 150 and b < 100, "foreground tinted red (BGR)"
    assert tuple(out[41, 41]) != (100, 100, 100)


# the labelling work ----------------------------------------------------------------------------------

def test_editor_a_frame_is_labelled_once_drawn_on_or_accepted_and_undo_goes_back() -> None:
    ed = LabelEditor.start((W, H), 40, 25.0, count=5)
    assert ed.chosen == spread(40, 5, first_to_label(40, 25.0)) and ed.current == ed.chosen[0]
    i, j = ed.chosen[0], ed.chosen[1]
    ed.suggest({i: square(FOREGROUND), j: square(FOREGROUND, x=30)})
    assert ed.labelled == 0 and ed.mask(i).any(), "a suggestion shows but is not a label"

    assert not ed.draw(i, np.zeros((2 * H, 2 * W, 4), np.uint8)), "an empty picture changes nothing"
    assert ed.draw(i, strokes((2 * W, 2 * H), (0, 0, 10, 10), FOREGROUND))
    assert ed.is_labelled(i) and ed.labelled == 1
    assert (ed.mask(i)[0:5, 0:5] == FOREGROUND).all() and (ed.mask(i)[8:20, 10:22] == FOREGROUND).all()
    assert ed.draw(i, strokes((2 * W, 2 * H), (20, 16, 44, 40), BACKGROUND))  # erase most of the suggestion
    assert not ed.mask(i)[10:20, 12:22].any()

    assert ed.undo(i) and (ed.mask(i)[8:20, 10:22] == FOREGROUND).all(), "the eraser stroke undone"
    assert ed.undo(i) and not ed.is_labelled(i), "the first stroke undone: a suggestion again"
    assert not ed.undo(i) and not ed.can_undo(i)
    np.testing.assert_array_equal(ed.mask(i), square(FOREGROUND))

    ed.accept(j)
    np.testing.assert_array_equal(ed.labels.masks[j], square(FOREGROUND, x=30))
    assert not ed.can_undo(i), "each frame has its own history"
    ed.reset(j)
    assert not ed.is_labelled(j) and ed.undo(j) and ed.is_labelled(j), "reset is undoable"


def test_editor_keeps_labelled_frames_when_spread_again_and_adds_any_frame() -> None:
    ed = LabelEditor.start((W, H), 40, 25.0, count=5)
    i, shown = ed.chosen[2], ed.current
    ed.accept(i)
    ed.respread(2)
    assert ed.chosen == sorted(set(spread(40, 2, first_to_label(40, 25.0))) | {i, shown}), \
        "the labelled frame and the one on screen stay"
    ed.add(1)
    assert ed.current == 1 and ed.chosen[0] == 1
    assert ed.step(-1) == 1 and ed.step(1) == ed.chosen[1] and ed.step(99) == ed.chosen[-1]
    with pytest.raises(BgappError, match="frame 41 is outside"):
        ed.add(40)
    ed.shorten(i)
    assert i not in ed.chosen and i not in ed.labels and ed.labels.frames == i


def test_editor_history_is_capped() -> None:
    ed = LabelEditor.start((W, H), 40, 25.0, count=2)
    i = ed.chosen[0]
    for k in range(UNDO_DEPTH + 5):
        assert ed.draw(i, strokes((W, H), (k % W, k // W, k % W + 1, k // W + 1), FOREGROUND)), k
    assert len(ed.history[i]) == UNDO_DEPTH and ed.changes == UNDO_DEPTH + 5
    assert not ed.draw(i, strokes((W, H), (0, 0, 1, 1), FOREGROUND)), "painting what is there changes nothing"


def test_editor_merges_labels_of_the_same_size_and_refuses_others() -> None:
    ed = LabelEditor.start((W, H), 40, 25.0, count=3)
    loaded = Labels((W, H), 40, {2: square(FOREGROUND), 39: square(UNKNOWN)})
    assert ed.merge(loaded) == 2
    assert {2, 39} <= set(ed.chosen) and ed.is_labelled(39) and ed.current == 2
    with pytest.raises(BgappError, match=r"loaded labels are 32x24 but this clip is labelled at 64x48"):
        ed.merge(Labels((32, 24), 40, {0: np.zeros((24, 32), np.uint8)}))
    with pytest.raises(BgappError, match="reach frame 50 but this clip has 40 frames"):
        ed.merge(Labels((W, H), 60, {49: square(FOREGROUND)}))


def test_labels_refuse_other_values_and_sizes() -> None:
    labels = Labels((W, H), 10)
    with pytest.raises(BgappError, match=r"values \[7\]"):
        labels.put(0, np.full((H, W), 7, np.uint8))
    with pytest.raises(BgappError, match="must be a 64x48 grey mask"):
        labels.put(0, np.zeros((H, W + 1), np.uint8))


# the CDnet sequence ----------------------------------------------------------------------------------

def test_write_and_read_back_round_trip_scores_only_the_labelled_frames(tmp_path: Path) -> None:
    src = scene(30)
    labels = Labels(src.size, len(src))
    labels.put(8, square(FOREGROUND))
    labels.put(20, square(UNKNOWN, x=30) | square(FOREGROUND, y=30))  # 170 | 255 = 255 where they meet
    folder = write_sequence(src, labels, tmp_path / "mine")
    assert len(list((folder / "input").glob("in*.jpg"))) == 30
    assert sorted(p.name for p in (folder / "groundtruth").iterdir()) == [label_name(8), label_name(20)]
    assert (folder / "temporalROI.txt").read_text().split() == ["1", "30"]

    seq = Sequence(folder)
    assert len(seq) == 30 and seq.size == src.size
    assert seq.scored_indices == [8, 20], "frames without a label are not scored"
    back = read_labels(seq)
    assert back.indices == [8, 20]
    for i in back.indices:
        np.testing.assert_array_equal(back.masks[i], labels.masks[i])
    result = evaluate(seq, Config())
    assert result.scored == 2 and result.frames == 30

    # saving again keeps the frames (same count and names) and replaces the labels
    stamp = (folder / "input" / "in000001.jpg").stat().st_mtime_ns
    labels.drop(20)
    write_sequence(src, labels, folder)
    assert (folder / "input" / "in000001.jpg").stat().st_mtime_ns == stamp
    assert [p.name for p in (folder / "groundtruth").iterdir()] == [label_name(8)]


def test_write_sequence_refuses_no_labels_or_another_size(tmp_path: Path) -> None:
    src = scene(10)
    with pytest.raises(BgappError, match="no frame is labelled"):
        write_sequence(src, Labels(src.size, 10), tmp_path / "a")
    other = Labels((32, 24), 10, {0: np.zeros((24, 32), np.uint8)})
    with pytest.raises(BgappError, match="labels are 32x24 but the clip is processed at 64x48"):
        write_sequence(src, other, tmp_path / "b")


def _zip_round_trip(tmp_path: Path, data: bytes) -> Labels:
    """``data`` unpacked as an upload is (named, for messages) and its labels read."""
    dest = safe_extract(io.BytesIO(data), tmp_path / "unzipped", name="mine-labels.zip")
    (seq,) = find_sequences(dest)
    return read_labels(seq)


def test_zip_of_a_saved_sequence_reads_back(tmp_path: Path) -> None:
    src = scene(12)
    labels = Labels(src.size, len(src), {5: square(FOREGROUND)})
    folder = write_sequence(src, labels, tmp_path / "mine")
    data = zip_sequence(folder)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
    assert "mine/groundtruth/gt000006.png" in names and "mine/input/in000012.jpg" in names
    back = _zip_round_trip(tmp_path, data)
    assert back.indices == [5] and (back.masks[5] == labels.masks[5]).all()


@pytest.mark.parametrize("bad, message", [
    (cv2.imencode(".png", np.zeros((10, 10), np.uint8))[1].tobytes(),
     r"ground truth gt000006\.png is 10x10 but frame in000006\.jpg is 64x48"),
    (b"these are not the labels you are looking for\n",
     r"cannot decode ground truth mine-labels\.zip:mine/groundtruth/gt000006\.png: not a readable image"),
])
def test_a_zip_with_a_wrong_size_or_non_image_label_names_the_file(tmp_path: Path, bad: bytes, message: str) -> None:
    src = scene(12)
    folder = write_sequence(src, Labels(src.size, len(src), {2: square(FOREGROUND), 5: square(FOREGROUND)}),
                            tmp_path / "mine")
    (folder / "groundtruth" / "gt000006.png").write_bytes(bad)
    with pytest.raises(BgappError, match=message):
        _zip_round_trip(tmp_path, zip_sequence(folder))
