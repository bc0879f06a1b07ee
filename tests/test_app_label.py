"""The Label frames page, driven headless with ``streamlit.testing.v1.AppTest`` on the built-in demo.

The drawing canvas is a custom component, which AppTest renders but cannot draw on: strokes are
covered by tests/test_labels.py (LabelEditor.draw) and the browser test (a real mouse on the real
canvas). Here: frames offered and stepped through, accept, undo and reset, labels kept across page
switches, saving (files, the key Evaluate & tune reads, the zip), and loading zips, good and bad.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from bgapp.labels import spread
from tests.apphelpers import assert_clean, open_page
from tests.factories import cdnet_sequence, png, zip_folder
from ui.keys import LAB_CONFIG, LABELLED

PAGE = "app_pages/label.py"
DEMO_FRAMES = 300
DEMO_START = 30  # first_to_label(300 frames, 25 fps): a tenth of the clip


def _count(at: AppTest) -> str:
    return next(s.value for s in at.subheader if "frames labelled" in s.value)


def _editor(at: AppTest):
    editors = at.session_state["label.editors"][1]
    return editors["demo"]


def _pills(at: AppTest):
    return next(w for w in at.get("button_group") if w.label == "Frames to label")


def test_the_page_offers_ten_spread_frames_with_the_methods_masks_as_suggestions() -> None:
    at = open_page(PAGE)
    assert at.title[0].value == "Label frames"
    assert _count(at) == "0 of 10 frames labelled"
    ed = _editor(at)
    assert ed.chosen == spread(DEMO_FRAMES, 10, DEMO_START)
    assert sorted(ed.suggestions) == ed.chosen, "every offered frame has the method's mask"
    assert any(m.any() for m in ed.suggestions.values()), "MOG2 finds the demo's moving objects"
    assert _pills(at).options == [str(i + 1) for i in ed.chosen]
    keys = {b.key for b in at.button}
    assert {"label.prev", "label.next", "label.undo", "label.accept", "label.reset", "label.save",
            "label.tool.fg", "label.tool.bg", "label.tool.unknown", "label.tool.polygon"} <= keys
    assert at.button(key="label.save").disabled, "nothing to save before a frame is labelled"
    assert at.button(key="label.prev").disabled and at.button(key="label.undo").disabled
    assert "MOG2" in "\n".join(c.value for c in at.sidebar.caption)


def test_accept_next_undo_and_reset() -> None:
    at = open_page(PAGE)
    ed = _editor(at)
    first, second = ed.chosen[0], ed.chosen[1]
    at.button(key="label.accept").click().run()
    assert_clean(at)
    assert _count(at) == "1 of 10 frames labelled"
    assert np.array_equal(ed.labels.masks[first], ed.suggestions[first]), "accepted as the method's mask"
    assert _pills(at).options[0] == f"✓ {first + 1}"
    assert at.button(key="label.accept").disabled and not at.button(key="label.undo").disabled

    at.button(key="label.next").click().run()
    assert ed.current == second and at.button(key="label.undo").disabled, "the next frame has its own history"
    assert f"Frame {second + 1} is not labelled yet" in "\n".join(c.value for c in at.caption)
    at.button(key="label.prev").click().run()
    assert ed.current == first
    at.button(key="label.reset").click().run()
    assert _count(at) == "0 of 10 frames labelled"
    at.button(key="label.undo").click().run()
    assert _count(at) == "1 of 10 frames labelled", "reset is undone"
    at.button(key="label.undo").click().run()
    assert _count(at) == "0 of 10 frames labelled", "and then the accept"
    assert_clean(at)


def test_picking_a_frame_and_adding_one_from_anywhere() -> None:
    at = open_page(PAGE)
    ed = _editor(at)
    _pills(at).set_value(ed.chosen[4]).run()
    assert ed.current == ed.chosen[4]
    at.slider(key=next(s.key for s in at.slider if s.key.startswith("label.scrub."))).set_value(3).run()
    at.button(key="label.add").click().run()
    assert_clean(at)
    assert ed.current == 2 and ed.chosen[0] == 2 and _count(at) == "0 of 11 frames labelled"
    assert 2 in ed.suggestions
    at.number_input(key="label.count").set_value(4).run()
    assert_clean(at)
    assert set(spread(DEMO_FRAMES, 4, DEMO_START)) <= set(ed.chosen) and 2 in ed.chosen


def test_labels_survive_a_page_switch_and_new_lab_settings_offer_new_suggestions() -> None:
    at = open_page(PAGE)
    at.button(key="label.accept").click().run()
    at.switch_page("app_pages/video_lab.py").run()
    assert_clean(at)
    at.selectbox(key="lab.method").set_value("knn").run()
    assert at.session_state[LAB_CONFIG].method == "knn"
    at.switch_page(PAGE).run()
    assert_clean(at)
    assert _count(at) == "1 of 10 frames labelled"
    assert at.button(key="label.resuggest")
    ed = _editor(at)
    kept = ed.labels.masks[ed.chosen[0]].copy()
    at.button(key="label.resuggest").click().run()
    assert_clean(at)
    assert ed.suggested_with["method"] == "knn" and np.array_equal(ed.labels.masks[ed.chosen[0]], kept)
    assert "KNN" in "\n".join(c.value for c in at.sidebar.caption)


def test_save_writes_the_sequence_for_evaluate_and_offers_the_zip() -> None:
    at = open_page(PAGE)
    at.button(key="label.accept").click().run()
    at.button(key="label.next").click().run()
    at.button(key="label.accept").click().run()
    ed = _editor(at)
    at.button(key="label.save").click().run()
    assert_clean(at)
    folder = Path(at.session_state[LABELLED])
    assert folder.name == "demo" and folder.parent.name == "labels"
    assert len(list((folder / "input").glob("in*.jpg"))) == DEMO_FRAMES
    assert sorted(p.name for p in (folder / "groundtruth").iterdir()) == \
        [f"gt{i + 1:06d}.png" for i in ed.chosen[:2]]
    assert at.get("download_button")[0].proto.label == "Download labels (zip)"
    assert "Saved **demo**: 2 labelled frame(s) of 300" in "\n".join(c.value for c in at.caption)
    assert "A score over fewer than" not in "\n".join(c.value for c in at.caption)

    assert at.button(key="label.accept").disabled, "a labelled frame is accepted already"
    at.button(key="label.reset").click().run()
    assert "The labels changed since: save again" in "\n".join(c.value for c in at.caption)

    at.switch_page("app_pages/evaluate.py").run()
    assert_clean(at)
    radio = at.radio(key="eval.kind")
    assert "labelled" in radio.options or "Labelled here" in radio.options
    radio.set_value("labelled").run()
    assert_clean(at)
    table = at.dataframe[0].value
    assert table["scored"].tolist() == [2] and table["frames"].tolist() == [DEMO_FRAMES]


def test_the_video_lab_opens_the_labelled_frames_and_scores_them() -> None:
    at = open_page(PAGE)
    at.button(key="label.accept").click().run()
    ed = _editor(at)
    at.button(key="label.save").click().run()
    at.switch_page("app_pages/video_lab.py").run()
    assert_clean(at)
    radio = at.sidebar.radio(key="src.kind")
    assert "Your labelled frames (Label frames)" in radio.options
    radio.set_value("labelled").run()
    assert_clean(at)
    player = at.session_state["lab.player"][1]
    assert player.clip.has_gt and player.clip.source.scored_indices == [ed.chosen[0]]
    assert "(labelled here)" in "\n".join(c.value for c in at.sidebar.caption)
    k = ed.chosen[0] + 1
    assert f"Scored: frames {k}–{k}" in "\n".join(c.value for c in at.caption)  # the one labelled frame
    assert "1 scored frames · TP " in "\n".join(c.value for c in at.caption)


# loading a labels zip ----------------------------------------------------------------------------

def _upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader(key="label.load").set_value((name, data, "application/zip")).run()
    return at


def _demo_labels_zip(tmp_path: Path, labelled: list[int], bad: bytes | None = None) -> bytes:
    """A saved-here zip of the demo (its frames, a label at each of ``labelled``); ``bad`` replaces
    the label file gt000005.png (frame 5) with those bytes."""
    from bgapp.labels import Labels, write_sequence
    from bgapp.synthetic import SyntheticScene

    src = SyntheticScene()
    labels = Labels(src.size, len(src), {i: np.where(src.ground_truth(i) == 255, 255, 0).astype(np.uint8)
                                         for i in labelled})
    folder = write_sequence(src, labels, tmp_path / "demo")
    if bad is not None:
        (folder / "groundtruth" / "gt000005.png").write_bytes(bad)
    return zip_folder(folder)


def test_loading_a_zip_of_this_clips_labels_adds_them(tmp_path: Path) -> None:
    at = open_page(PAGE)
    _upload(at, "demo-labels.zip", _demo_labels_zip(tmp_path, [4, 150]))
    assert_clean(at)
    ed = _editor(at)
    assert {4, 150} <= set(ed.chosen) and ed.is_labelled(4) and ed.is_labelled(150)
    assert _count(at) == "2 of 12 frames labelled"
    assert "2 labelled frame(s) from **demo-labels.zip** are in this clip's labels" in \
        "\n".join(c.value for c in at.caption)
    at.run()
    assert _count(at) == "2 of 12 frames labelled", "loaded once, not again on every run"


@pytest.mark.parametrize("bad, message", [
    (png(np.zeros((10, 10), np.uint8)),
     "bad.zip: ground truth gt000005.png is 10x10 but frame in000005.jpg is 320x240"),
    (b"not a picture at all\n", "cannot decode ground truth bad.zip:demo/groundtruth/gt000005.png"),
])
def test_a_zip_with_a_wrong_size_or_non_image_mask_says_which_file(tmp_path: Path, bad: bytes, message: str) -> None:
    at = open_page(PAGE)
    _upload(at, "bad.zip", _demo_labels_zip(tmp_path, [4, 150], bad=bad))
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and message in errors[0], errors
    assert "Traceback" not in errors[0]
    assert _count(at) == "0 of 10 frames labelled", "nothing half-loaded"


def test_labels_of_another_size_are_refused_and_their_zip_can_be_labelled_itself(tmp_path: Path) -> None:
    seq = cdnet_sequence(tmp_path / "small", 30, width=64, height=48, skip_gt=range(1, 30), temporal=None)
    assert [p.name for p in (seq / "groundtruth").iterdir()] == ["gt000030.png"]
    at = open_page(PAGE)
    _upload(at, "small.zip", zip_folder(seq))
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "loaded labels are 64x48 but this clip is labelled at 320x240" in errors[0]
    assert _count(at) == "0 of 10 frames labelled"

    at.button(key="label.use_zip").click().run()
    assert_clean(at)
    assert at.radio(key="src.kind").value == "zip"
    editors = at.session_state["label.editors"][1]
    ed = editors[next(k for k in editors if k.startswith("zip:"))]
    assert ed.labels.size == (64, 48) and ed.is_labelled(29), "the zip's own label is where labelling goes on"
    assert _count(at).startswith("1 of ")
    assert all(b.key != "label.use_zip" for b in at.button), "the zip is the source now"


def test_a_zip_without_labels_says_so(tmp_path: Path) -> None:
    seq = cdnet_sequence(tmp_path / "plain", 12, width=64, height=48, ground_truth=False, temporal=None)
    at = open_page(PAGE)
    _upload(at, "plain.zip", zip_folder(seq))
    errors = [e.value for e in at.error]
    assert errors == ["plain.zip has no groundtruth/ folder: there are no labels in it"]


def test_a_zip_that_is_not_a_zip_is_refused_by_name() -> None:
    at = open_page(PAGE)
    _upload(at, "labels.zip", b"PK but not really")
    assert not at.exception
    assert at.error and "labels.zip" in at.error[0].value


def test_the_zip_download_holds_the_saved_sequence() -> None:
    at = open_page(PAGE)
    at.button(key="label.accept").click().run()
    at.button(key="label.save").click().run()
    folder = Path(at.session_state[LABELLED])
    from bgapp.labels import zip_sequence

    with zipfile.ZipFile(io.BytesIO(zip_sequence(folder))) as zf:
        names = set(zf.namelist())
    first = _editor(at).chosen[0]
    assert f"demo/groundtruth/gt{first + 1:06d}.png" in names and "demo/temporalROI.txt" in names
    assert sum(n.startswith("demo/input/") for n in names) == DEMO_FRAMES
    gt = cv2.imdecode(np.frombuffer((folder / "groundtruth" / f"gt{first + 1:06d}.png").read_bytes(), np.uint8),
                      cv2.IMREAD_UNCHANGED)
    assert gt.shape == (240, 320) and set(np.unique(gt)) <= {0, 170, 255}


def test_the_tools_switch_and_the_polygon_asks_for_its_level() -> None:
    at = open_page(PAGE)
    assert at.button(key="label.tool.fg").proto.type == "primary"
    assert not [w for w in at.get("button_group") if w.label == "Polygon fills with"]
    at.button(key="label.tool.polygon").click().run()
    assert_clean(at)
    assert at.button(key="label.tool.polygon").proto.type == "primary"
    assert at.button(key="label.tool.fg").proto.type == "secondary"
    level = next(w for w in at.get("button_group") if w.label == "Polygon fills with")
    assert level.options == ["foreground", "background", "don't care"]
    at.button(key="label.tool.bg").click().run()
    assert at.button(key="label.tool.bg").proto.type == "primary"
    assert not [w for w in at.get("button_group") if w.label == "Polygon fills with"]
