"""The Streamlit pages, driven headless with ``streamlit.testing.v1.AppTest``.

Every page renders on the built-in demo without an exception or an error box, and moving a
slider changes what the page shows. Uploads go through the real widgets: the Video lab takes the
shared sample clip, a zipped CDnet-style sequence and a local folder, and refuses bad files with
a message (the extraction rules themselves are tested in test_archive.py).
Playback is never started here (it loops until the clip ends); the browser tests cover it.
"""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from bgapp.methods import METHODS
from bgapp.synthetic import SyntheticScene
from tests.apphelpers import APP, TIMEOUT, assert_clean, captions, images, metrics, open_page
from tests.conftest import need
from tests.factories import png, sequence_zip

PAGES = ["app_pages/home.py", "app_pages/video_lab.py", "app_pages/label.py", "app_pages/compare.py",
         "app_pages/background_stats.py", "app_pages/image_diff.py", "app_pages/benchmark.py"]


# every page -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_the_demo(page: str) -> None:
    at = open_page(page)
    assert at.title, "every page has a title"
    # opened directly (as a fresh server's first request is), the page still ran inside app.py
    assert at.session_state["bgapp.page"] == ("" if page == "app_pages/home.py" else Path(page).stem)


def test_app_starts_on_home_with_the_demo_and_the_method_tour() -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert_clean(at)
    assert "background-subtraction lab" in at.title[0].value
    assert at.get("video"), "the demo loop plays at once"
    titles = [e.label for e in at.expander]
    for cls in METHODS.values():
        assert any(cls.title in t for t in titles), cls.title


# video lab ------------------------------------------------------------------------------------------

def test_video_lab_opens_paused_on_a_scored_frame() -> None:
    at = open_page("app_pages/video_lab.py")
    assert len(images(at)) == 1
    assert at.button(key="lab.play").label == "Play"
    assert "frame 101 / 300" in captions(at)
    assert set(metrics(at)) >= {"F-measure", "Precision", "Recall"}


def test_video_lab_slider_change_redraws_the_paused_frame() -> None:
    at = open_page("app_pages/video_lab.py")
    before_img, before = images(at), metrics(at)
    at.slider(key="lab.mog2.var_threshold").set_value(60.0).run()  # within the slider (typical 4-64)
    assert_clean(at)
    assert images(at) != before_img
    assert metrics(at)["F-measure"] != before["F-measure"]
    assert "frame 101 / 300" in captions(at), "the model is kept: same frame, new settings"


def test_video_lab_post_processing_and_composite_change_the_view() -> None:
    at = open_page("app_pages/video_lab.py")
    first = images(at)
    at.slider(key="lab.post.open").set_value(7).run()
    second = images(at)
    at.selectbox(key="lab.composite.mode").set_value("overlay").run()
    assert_clean(at)
    assert len({first[0], second[0], images(at)[0]}) == 3


def test_video_lab_scrub_step_and_method_change() -> None:
    at = open_page("app_pages/video_lab.py")
    at.slider(key="lab.frame").set_value(201).run()
    assert "frame 201 / 300" in captions(at)
    at.button(key="lab.step").click().run()
    assert "frame 202 / 300" in captions(at)
    at.slider(key="lab.frame").set_value(51).run()  # back: replayed from the start
    assert "frame 51 / 300" in captions(at)
    before = images(at)
    at.selectbox(key="lab.method").set_value("frame_diff").run()
    assert_clean(at)
    assert "frame 51 / 300" in captions(at)
    assert images(at) != before


def test_video_lab_rerun_from_start_renders_the_downloads() -> None:
    at = open_page("app_pages/video_lab.py")
    at.button(key="lab.rerun").click().run()
    assert_clean(at)
    assert {b.key for b in at.get("download_button")} >= {"lab.dl.mask", "lab.dl.composite", "lab.dl.zip",
                                                          "lab.dl.config"}
    assert "frame 300 / 300" in captions(at)
    player = at.session_state["lab.player"][1]
    files = player.outputs.files
    assert all(p.stat().st_size > 0 for p in files.values())
    with zipfile.ZipFile(files["zip"]) as zf:
        names = zf.namelist()
    assert len(names) == 300 and names[0] == "bin000001.png"
    assert "300 frames rendered with the current settings" in captions(at)


def test_video_lab_refuses_a_text_file_named_mp4() -> None:
    at = open_page("app_pages/video_lab.py")
    at.radio(key="src.kind").set_value("video").run()
    at.file_uploader(key="src.video").set_value(("notes.mp4", b"this is not a video\n", "video/mp4")).run()
    assert not at.exception
    assert at.error and "notes.mp4" in at.error[0].value


def test_video_lab_plays_an_uploaded_video(shared_data: Path) -> None:
    clip = need(shared_data / "video" / "vtest.avi")
    at = open_page("app_pages/video_lab.py")
    at.radio(key="src.kind").set_value("video").run()
    at.select_slider(key="src.max_side").set_value(320).run()
    at.file_uploader(key="src.video").set_value(("vtest.avi", clip.read_bytes(), "video/x-msvideo")).run()
    assert_clean(at)
    text = captions(at)
    assert "vtest.avi: 320x240 (from 768x576)" in text
    assert "frame 41 / 795" in text  # opened 4 s in at 10 fps
    assert "Foreground" in metrics(at), "no ground truth: no F-measure"
    before = images(at)
    at.slider(key="lab.mog2.var_threshold").set_value(60.0).run()
    assert_clean(at)
    assert images(at) != before
    at.select_slider(key="src.max_side").set_value(640).run()  # reopened at another size, no re-upload
    assert_clean(at)
    assert "vtest.avi: 640x480 (from 768x576)" in captions(at)


def test_video_lab_opens_a_local_sequence_folder(shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = need(shared_data / "cdnet" / "baseline" / "highway")
    monkeypatch.setenv("BGAPP_LOCAL_FILES", "1")
    at = open_page("app_pages/video_lab.py")
    at.radio(key="src.kind").set_value("folder").run()
    at.text_input(key="src.folder").set_value(str(folder)).run()
    assert_clean(at)
    assert "highway: 320x240, 1700 frames, ground truth" in captions(at)
    assert set(metrics(at)) >= {"F-measure", "Precision", "Recall"}
    at.text_input(key="src.folder").set_value(str(folder / "nowhere")).run()
    assert not at.exception
    assert at.error and "nowhere" in at.error[0].value


def test_local_paths_are_not_offered_to_remote_users(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BGAPP_LOCAL_FILES", "0")
    at = open_page("app_pages/video_lab.py")
    assert "folder" not in at.radio(key="src.kind").options


def test_video_lab_scores_an_uploaded_sequence_zip() -> None:
    at = open_page("app_pages/video_lab.py")
    at.radio(key="src.kind").set_value("zip").run()
    at.file_uploader(key="src.zip").set_value(("demo_seq.zip", sequence_zip(), "application/zip")).run()
    assert_clean(at)
    assert "demo_seq: 320x240, 60 frames, ground truth" in captions(at)
    assert "F-measure" in metrics(at)


def test_video_lab_refuses_a_zip_that_escapes_its_folder() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("seq/input/in000001.png", png(np.zeros((8, 8, 3), np.uint8)))
        zf.writestr("../evil.txt", "gotcha")
    at = open_page("app_pages/video_lab.py")
    at.radio(key="src.kind").set_value("zip").run()
    at.file_uploader(key="src.zip").set_value(("evil.zip", buf.getvalue(), "application/zip")).run()
    assert not at.exception
    assert at.error and "unsafe path" in at.error[0].value


def test_video_lab_refuses_a_zip_with_a_symlink_or_without_a_sequence() -> None:
    link = zipfile.ZipInfo("seq/input/in000001.png")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(link, "/etc/passwd")
    at = open_page("app_pages/video_lab.py")
    at.radio(key="src.kind").set_value("zip").run()
    at.file_uploader(key="src.zip").set_value(("link.zip", buf.getvalue(), "application/zip")).run()
    assert not at.exception
    assert at.error and "symbolic link" in at.error[0].value
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("photos/cat.png", png(np.zeros((8, 8, 3), np.uint8)))
    at.file_uploader(key="src.zip").set_value(("photos.zip", buf.getvalue(), "application/zip")).run()
    assert not at.exception
    assert at.error and "no image sequence" in at.error[0].value


# the other pages ------------------------------------------------------------------------------------

def test_compare_redoes_only_the_changed_method() -> None:
    at = open_page("app_pages/compare.py")
    assert len(images(at)) == 1
    df = at.dataframe[0].value
    assert list(df["method"]) == ["MOG2", "KNN", "Absolute difference"]
    before_img = images(at)
    at.slider(key="cmp1.knn.dist2_threshold").set_value(1500.0).run()
    assert_clean(at)
    after = at.dataframe[0].value
    assert after.loc[0, "F-measure"] == df.loc[0, "F-measure"]
    assert after.loc[1, "F-measure"] != df.loc[1, "F-measure"]
    assert images(at) != before_img
    at.radio(key="cmp.count").set_value(4).run()
    assert_clean(at)
    assert len(at.dataframe[0].value) == 4


def test_background_stats_threshold_changes_the_stable_mask() -> None:
    at = open_page("app_pages/background_stats.py")
    before_img, before = images(at), metrics(at)
    assert len(at.get("plotly_chart")) == 3
    at.slider(key="bgs.threshold").set_value(2.0).run()
    assert_clean(at)
    assert images(at) != before_img
    assert metrics(at)["Stable pixels"] != before["Stable pixels"]


def test_image_diff_shows_the_demo_and_reacts_to_the_threshold() -> None:
    at = open_page("app_pages/image_diff.py")
    before_img, before = images(at), metrics(at)
    assert before["Verdict"] == "changed"
    at.slider(key="diff.difference.threshold").set_value(90).run()  # within the slider (typical 1-100)
    assert_clean(at)
    assert images(at) != before_img
    assert metrics(at)["Changed pixels"] != before["Changed pixels"]
    at.radio(key="diff.mode").set_value("ssim").run()
    assert_clean(at)
    assert at.slider(key="diff.ssim.threshold")


def test_image_diff_resizes_the_second_upload_and_reports_bad_files() -> None:
    at = open_page("app_pages/image_diff.py")
    scene = SyntheticScene()
    grey16 = (cv2.cvtColor(scene.frame(170), cv2.COLOR_BGR2GRAY).astype(np.uint16) * 257)
    at.file_uploader(key="diff.a").set_value(("before.png", png(scene.background(170)), "image/png"))
    at.file_uploader(key="diff.b").set_value(("after.png", png(cv2.resize(grey16, (480, 360))), "image/png")).run()
    assert_clean(at)
    assert any("resized to 320x240" in i.value for i in at.info)
    at.file_uploader(key="diff.b").set_value(("after.png", b"not an image", "image/png")).run()
    assert not at.exception
    assert at.error and "after.png" in at.error[0].value


def test_video_lab_is_paused_when_coming_back_from_another_page() -> None:
    at = open_page("app_pages/video_lab.py")
    at.switch_page("app_pages/home.py").run()
    at.session_state["lab.playing"] = True  # left while playing
    at.switch_page("app_pages/video_lab.py").run()
    assert_clean(at)
    assert at.button(key="lab.play").label == "Play"
    assert "frame 101 / 300" in captions(at), "the session's player and its position are kept"


# benchmark ------------------------------------------------------------------------------------------

def test_benchmark_page_shows_the_engine_table_with_downloads() -> None:
    from bgapp.benchtable import entries, run_bench

    at = open_page("app_pages/benchmark.py")
    at.multiselect(key="bench.methods").set_value(["mog2", "absdiff"])
    at.number_input(key="bench.workers").set_value(1)
    at.button(key="bench.run").click().run()
    assert_clean(at)
    expected = run_bench(["demo"], entries(["mog2", "absdiff"])[0])
    shown = at.dataframe[0].value
    assert list(shown.columns) == expected.category_table()[0]
    assert shown.values.tolist() == expected.category_table()[1]
    assert at.dataframe[1].value.values.tolist() == expected.sequence_table()[1]
    assert {b.label for b in at.get("download_button")} == {"Download CSV", "Download Markdown"}


def test_video_lab_runs_subsense_and_says_every_change_restarts_it() -> None:
    if not METHODS["subsense"].available():
        pytest.skip(METHODS["subsense"].unavailable_reason())
    at = open_page("app_pages/video_lab.py")
    before = images(at)
    at.selectbox(key="lab.method").set_value("subsense").run()
    assert_clean(at)
    assert images(at) != before
    assert "every change of its settings restarts it" in captions(at)
    assert "frame 101 / 300" in captions(at)


# home: the list of pages, where to start --------------------------------------------------------------

def _app_pages() -> list[tuple[str, str]]:
    """(file, title) of the sidebar's pages, in its order (ui.pages, which app.py's navigation is built from)."""
    from ui.pages import PAGES

    return [(path, title) for path, title, _ in PAGES.values()]


def test_home_lists_every_page_in_the_sidebars_order_and_says_where_to_start() -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert_clean(at)
    howto = next(m.value for m in at.markdown if m.value.startswith("1. "))
    items = howto.splitlines()
    pages = [(path, title) for path, title in _app_pages() if path != "app_pages/home.py"]
    assert len(items) == len(pages) and "Benchmark" in {t for _, t in pages}
    for k, ((_, title), item) in enumerate(zip(pages, items), start=1):
        assert item.startswith(f"{k}. **{title}** — ") and len(item) > len(title) + 30, item
    text = "\n".join(m.value for m in at.markdown)
    assert "Try these first" in text and "**(contrib)**" in text and "`cv2.bgsegm`" in text
    assert "**(BGSLibrary)**" in text and "C++ library" in text
    guide = text[text.index("Try these first"):]
    places = [guide.find(f"- **{METHODS[n].title}**") for n in ("mog2", "knn", "median", "subsense")]
    assert -1 not in places and places == sorted(places), "beginners' methods, in the order to try them"


def test_the_method_picker_says_what_to_try_first_and_explains_its_tags() -> None:
    at = open_page("app_pages/video_lab.py")
    help_text = at.selectbox(key="lab.method").help
    assert "Try these first" in help_text and f"**{METHODS['mog2'].title}** — start here" in help_text
    assert "**(contrib)**" in help_text and "**(BGSLibrary)**" in help_text
    assert "(contrib)" not in captions(at)
    at.selectbox(key="lab.method").set_value("cnt").run()
    assert_clean(at)
    assert "(contrib): methods from OpenCV's extra (contrib) module, `cv2.bgsegm`." in captions(at)
