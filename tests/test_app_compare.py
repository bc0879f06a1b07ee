"""The Compare page, driven with AppTest: which frames are scored is said where the scores are, the
default frame count reaches into a late temporal ROI, and the open method tab survives a method change."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from ui.views import FEW_SCORED

from .apphelpers import APP
from .factories import cdnet_sequence, zip_folder


def open_compare() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.switch_page("app_pages/compare.py").run()
    assert not at.exception and not at.error, [e.value for e in at.exception or at.error]
    return at


def texts(at: AppTest) -> str:
    return "\n".join([c.value for c in at.caption] + [w.value for w in at.warning])


def test_default_frames_reach_into_a_late_temporal_roi_and_the_scored_frames_are_explained(tmp_path, monkeypatch):
    folder = cdnet_sequence(tmp_path / "busStation", 400, width=160, height=120, warmup=299, unscored_before=300,
                            temporal="300 400\n")  # scored late, as SBI/CDnet busStation (300 1250)
    monkeypatch.setenv("BGAPP_LOCAL_FILES", "1")
    at = open_compare()
    assert at.slider(key="cmp.frames").value == 300  # the demo: 300 frames
    at.radio(key="src.kind").set_value("folder").run()
    at.text_input(key="src.folder").set_value(str(folder)).run()
    assert not at.exception and not at.error, [e.value for e in at.exception or at.error]
    frames = at.slider(key="cmp.frames").value
    assert frames == 400  # up to the clip's end: 101 scored frames, not the 1 that 300 frames would score
    shown = texts(at)
    assert ("Scored: frames 300–400 (temporalROI.txt); earlier frames are the model's warm-up and CDnet "
            "does not score them. 101 of the 400 processed frames are scored.") in shown
    assert not at.warning
    f = at.dataframe[0].value["F-measure"]
    assert f.notna().all() and (f > 0).all()

    at.slider(key="cmp.frames").set_value(300).run()  # what the old default scored: one frame
    assert not at.exception
    assert at.warning and "Only 1 of the 300 processed frames is scored: an F-measure over so few frames says " \
        "little" in at.warning[0].value
    assert 1 < FEW_SCORED


def test_demo_scores_are_explained():
    at = open_compare()
    assert "Scored: frames 41–300 (the demo's temporal ROI); earlier frames are the model's warm-up and CDnet " \
           "does not score them. 260 of the 300 processed frames are scored." in texts(at)


def _open_tab(at: AppTest) -> int:
    """Index of the tab the browser is told to show."""
    found = []

    def walk(node) -> None:
        if getattr(node, "type", None) == "tab_container":
            found.append(node.proto.tab_container.default_tab_index)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    assert len(found) == 1
    return found[0]


def test_the_open_method_tab_stays_open_when_its_method_changes():
    at = open_compare()
    assert [t.label for t in at.tabs] == ["1. MOG2", "2. KNN", "3. Absolute difference"] and _open_tab(at) == 0
    at.session_state["cmp.tab"] = "2. KNN"  # what the browser sends when the user opens tab 2
    at.run()
    assert _open_tab(at) == 1
    at.selectbox(key="cmp1.method").set_value("mog2").run()  # renames the tab to "2. MOG2"
    assert not at.exception and not at.error
    assert [t.label for t in at.tabs] == ["1. MOG2", "2. MOG2", "3. Absolute difference"]
    assert _open_tab(at) == 1 and at.session_state["cmp.tab"] == "2. MOG2"
    at.slider(key="cmp1.mog2.var_threshold").set_value(40.0).run()  # another setting: still there
    assert _open_tab(at) == 1
    at.radio(key="cmp.count").set_value(4).run()  # more methods: the open one stays open
    assert _open_tab(at) == 1 and len(at.tabs) == 4


def test_an_uploaded_clip_stays_chosen_and_named_on_every_page(tmp_path):
    """Upload widgets are per page, so the Compare page's is empty: the upload is still the source,
    and the sidebar names it next to that empty widget, until the user picks another source."""

    seq = cdnet_sequence(tmp_path / "hall" / "corridor", n=30)
    at = AppTest.from_file(APP, default_timeout=180)
    at.switch_page("app_pages/video_lab.py").run()
    at.radio(key="src.kind").set_value("zip").run()
    at.file_uploader(key="src.zip").set_value(("my_clip.zip", zip_folder(seq), "application/zip")).run()
    assert not at.exception and not at.error, [e.value for e in at.exception or at.error]
    ident = at.session_state["bgapp.source"].ident
    for page in ("app_pages/compare.py", "app_pages/background_stats.py", "app_pages/video_lab.py",
                 "app_pages/compare.py"):
        at.switch_page(page).run()
        assert not at.exception and not at.error, (page, [e.value for e in at.exception or at.error])
        assert at.session_state["bgapp.source"].ident == ident, page
        assert at.radio(key="src.kind").value == "zip" and at.file_uploader(key="src.zip").value is None
        shown = [c.value for c in at.sidebar.caption]
        assert any("In use: **my_clip.zip**, uploaded earlier in this session" in c for c in shown), (page, shown)
        assert any(c.startswith("corridor: 320x240, 30 frames, ground truth") for c in shown), page
    at.radio(key="src.kind").set_value("demo").run()  # the user picks another: now that one stays
    assert at.session_state["bgapp.source"].kind == "demo"
    at.switch_page("app_pages/video_lab.py").run()
    assert at.session_state["bgapp.source"].kind == "demo" and at.radio(key="src.kind").value == "demo"
