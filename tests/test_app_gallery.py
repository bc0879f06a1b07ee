"""The Failure gallery page and the ways into a case (issue 19): the page renders every case with its
picture, why text and F table (the engine's figures); "Open in the lab" opens the Video lab on the case
with the method picked, at its defaults, every time; the lab's source picker offers the cases; a link
``?source=case:shadows&method=knn`` opens the case, and a bad case name opens with one note.
The engine side is tested in test_gallery.py.
"""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from bgapp.config import Config
from bgapp.gallery import CASES, case_scores
from bgapp.methods import METHODS
from tests.apphelpers import APP, TIMEOUT, assert_clean, captions, images, open_page

LAB = "app_pages/video_lab.py"
GALLERY = "app_pages/gallery.py"


def lab_config(at: AppTest) -> Config:
    return at.session_state["lab.player"][1].pipeline.config


def test_the_gallery_shows_every_case_with_its_picture_why_and_scores() -> None:
    at = open_page(GALLERY)
    assert at.title[0].value == "Failure gallery"
    assert [h.value for h in at.subheader] == [f"{k}. {c.title}" for k, c in enumerate(CASES, start=1)]
    assert len(images(at)) == len(CASES) and len(at.dataframe) == len(CASES)
    text = "\n".join(m.value for m in at.markdown)
    for case in CASES:
        assert case.why in text, case.name
        assert f"`case:{case.name}`" in captions(at)
    offered = [t.key for t in at.toggle] == ["gallery.slow"]
    assert offered == METHODS["subsense"].available(), "SuBSENSE is offered where BGSLibrary is importable"
    table = at.dataframe[-1].value  # night
    assert list(table.columns) == ["Method", "F-measure", "Precision", "Recall"]
    assert list(table["Method"]) == ["MOG2 (Gaussian mixture)", "KNN (sample-based)", "Temporal median",
                                     "Sigma-Delta", "Absolute difference"]
    (mog2,) = case_scores("night", ("mog2",))
    assert table["F-measure"].iloc[0] == mog2.f_measure, "the engine's figure, not another"


def test_open_in_the_lab_opens_the_case_with_the_method_at_its_defaults_every_time() -> None:
    at = open_page(GALLERY)
    at.selectbox(key="gallery.left_behind.method").set_value("knn").run()
    at.button(key="gallery.left_behind.open").click().run()
    assert_clean(at)
    assert at.session_state["bgapp.page"] == "video_lab"
    assert dict(at.query_params) == {"source": "case:left_behind", "method": "knn"}
    assert at.radio(key="src.kind").value == "case" and at.selectbox(key="src.case").value == "left_behind"
    assert at.session_state["bgapp.source"].source.name == "left_behind"
    assert lab_config(at) == Config("knn") and at.selectbox(key="lab.method").value == "knn"
    assert "left_behind: 320x240, 200 frames, ground truth" in captions(at)
    # change a setting, leave, open the same case again: the lab starts over from the defaults.
    # (AppTest runs the page it was last switched to: the browser's address is the lab now.)
    at.switch_page(LAB)
    at.slider(key="lab.knn.history").set_value(200).run()
    assert lab_config(at).params["history"] == 200
    at.switch_page(GALLERY).run()
    at.selectbox(key="gallery.left_behind.method").set_value("knn").run()
    at.button(key="gallery.left_behind.open").click().run()
    assert_clean(at)
    assert lab_config(at) == Config("knn") and at.slider(key="lab.knn.history").value == 500


def test_the_source_picker_offers_the_cases() -> None:
    at = open_page(LAB)
    at.radio(key="src.kind").set_value("case").run()
    assert_clean(at)
    box = at.selectbox(key="src.case")
    assert box.options == [c.title for c in CASES] and box.value == "shadows"
    assert at.session_state["bgapp.source"].source.name == "shadows"
    box.set_value("night").run()
    assert_clean(at)
    assert at.session_state["bgapp.source"].source.name == "night"
    assert "night: 320x240, 200 frames, ground truth (night, exact labels)" in captions(at)
    assert at.query_params["source"] == "case:night", "the address names the case, so Copy link carries it"


def _link(query: dict[str, str]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params.update(query)
    at.switch_page(LAB).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_link_opens_a_case_with_its_method() -> None:
    at = _link({"source": "case:shadows", "method": "knn"})
    assert_clean(at)
    assert not at.warning
    assert at.session_state["bgapp.source"].source.name == "shadows"
    assert at.radio(key="src.kind").value == "case" and at.selectbox(key="src.case").value == "shadows"
    assert lab_config(at) == Config("knn")
    assert dict(at.query_params) == {"source": "case:shadows", "method": "knn"}


def test_a_link_to_no_such_case_names_the_cases_and_keeps_the_demo() -> None:
    at = _link({"source": "case:nope", "method": "knn"})
    assert not at.exception and not at.error
    assert len(at.warning) == 1
    note = at.warning[0].value
    assert "no gallery case 'nope'; the cases are shadows, dynamic_background" in note and "night" in note
    assert at.radio(key="src.kind").value == "demo" and lab_config(at).method == "knn"
