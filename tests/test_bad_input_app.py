"""Bad input through the app (AppTest driving the real pages and upload widgets): each gets one
clear message and no exception, and the session carries on — switching back to the demo
processes frames again. The same inputs go through the CLI in test_bad_input_cli.py; the real
browser covers the upload size limit and HTML in file names (tests/browser/test_sessions.py).
"""

from __future__ import annotations

import re
from pathlib import Path
from tempfile import gettempdir

import pytest
from streamlit.testing.v1 import AppTest

from bgapp.config import Config
from bgapp.errors import BgappError
from tests import badfiles as bf
from tests.apphelpers import APP, TIMEOUT, assert_clean, captions, metrics, open_page
from tests.conftest import ROOT
from tests.factories import zip_folder
from ui.errors import plain


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def one_error(at: AppTest) -> str:
    assert not at.exception, [e.value for e in at.exception]
    found = errors(at)
    assert len(found) == 1, found
    assert "Traceback" not in found[0] and "Something went wrong" not in found[0], found[0]
    return found[0]


def demo_still_works(at: AppTest) -> None:
    """After a bad input the session goes on: the demo plays and is scored."""
    at.radio(key="src.kind").set_value("demo").run()
    assert_clean(at)
    assert "frame 101 / 300" in captions(at)
    assert metrics(at)["F-measure"] not in ("", "–")


def lab_with(kind: str) -> AppTest:
    at = open_page("app_pages/video_lab.py")
    at.radio(key="src.kind").set_value(kind).run()
    assert_clean(at)
    return at


def upload_video(at: AppTest, name: str, data: bytes) -> AppTest:
    return at.file_uploader(key="src.video").set_value((name, data, "video/mp4")).run()


def upload_zip(at: AppTest, name: str, data: bytes) -> AppTest:
    return at.file_uploader(key="src.zip").set_value((name, data, "application/zip")).run()


# videos ------------------------------------------------------------------------------------------------

def _zero(tmp: Path) -> Path:
    (tmp / "empty.mp4").touch()
    return tmp / "empty.mp4"


def _cut(tmp: Path) -> Path:
    return bf.truncated(tmp / "cut.mp4", bf.mp4(tmp / "whole.mp4", faststart=False))


BAD_VIDEOS = {
    "zero-byte": (_zero, "empty.mp4: the file is empty"),
    "text as mp4": (lambda tmp: bf.text_as_mp4(tmp / "notes.mp4"), "not a readable media file"),
    "truncated, no index": (_cut, "truncated"),
    "unknown codec": (lambda tmp: bf.unknown_codec(tmp / "odd.avi"), "codec 'ZQZQ' is not supported"),
}


@pytest.mark.parametrize("case", list(BAD_VIDEOS))
def test_unreadable_videos(tmp_path, case):
    make, words = BAD_VIDEOS[case]
    path = make(tmp_path)
    at = upload_video(lab_with("video"), path.name, path.read_bytes())
    assert words in one_error(at)
    demo_still_works(at)


def test_truncated_video_with_index_plays_what_is_there_and_says_so(tmp_path):
    cut = bf.truncated(tmp_path / "cut.mp4", bf.mp4(tmp_path / "whole.mp4", n=60), keep=0.5)
    at = upload_video(lab_with("video"), "cut.mp4", cut.read_bytes())
    assert_clean(at)
    at.button(key="lab.rerun").click().run()
    assert_clean(at)
    n = at.session_state["lab.player"][1].clip.n
    assert 1 <= n < 60 and f"frame {n} / {n}" in captions(at)
    assert f"ended after {n} frames" in captions(at) and "truncated" in captions(at)
    demo_still_works(at)


def test_one_frame_video(tmp_path):
    one = bf.mp4(tmp_path / "one.mp4", n=1)
    at = upload_video(lab_with("video"), "one.mp4", one.read_bytes())
    assert_clean(at)
    assert "frame 1 / 1" in captions(at)
    at.button(key="lab.step").click().run()  # past the end: nothing to show, no error
    assert_clean(at)
    at.button(key="lab.rerun").click().run()
    assert_clean(at)
    assert "1 frames rendered with the current settings" in captions(at)
    demo_still_works(at)


def test_very_large_frames_are_capped_with_a_notice(tmp_path):
    big = bf.mp4(tmp_path / "big.mp4", n=5, w=2560, h=1440)
    at = lab_with("video")
    at.select_slider(key="src.max_side").set_value(0).run()  # "original"
    upload_video(at, "big.mp4", big.read_bytes())
    assert_clean(at)
    text = captions(at)
    assert "big.mp4: 1920x1080 (from 2560x1440)" in text
    assert "processed at 1920x1080" in text and "caps the longest side at 1920 px" in text
    player = at.session_state["lab.player"][1]
    assert player.clip.frame(0).shape == (1080, 1920, 3)


def test_decompression_bomb_image_is_refused(tmp_path):
    at = open_page("app_pages/image_diff.py")
    at.file_uploader(key="diff.a").set_value(("before.png", bf.png(bf.frames(1)[0]), "image/png"))
    at.file_uploader(key="diff.b").set_value(("after.png", bf.huge_png(), "image/png")).run()
    assert "after.png is 30000x30000" in one_error(at) and "megapixels" in one_error(at)
    at.file_uploader(key="diff.b").set_value(("after.png", bf.png(bf.frames(2)[1]), "image/png")).run()
    assert_clean(at)


# zipped sequences --------------------------------------------------------------------------------------

def test_grey_rgba_and_16bit_png_frames(tmp_path):
    seq = bf.sequence(tmp_path / "mixed", n=30, kinds=("grey8", "bgra8", "grey16", "bgr16", "bgr8"))
    at = upload_zip(lab_with("zip"), "mixed.zip", zip_folder(seq))
    assert_clean(at)
    assert "mixed: 96x72, 30 frames, ground truth" in captions(at)
    assert "F-measure" in metrics(at)


@pytest.mark.parametrize("case, kwargs, words", [
    ("gt size", {"gt_size": (48, 36)}, "gt000001.png is 48x36"),
    ("gt values", {"gt_value": 128}, "[128] outside the CDnet levels"),
    ("temporalROI beyond", {"temporal": "100 200"}, "no frame would be scored"),
    ("temporalROI reversed", {"temporal": "30 5"}, "expected 0 <= first <= last"),
])
def test_bad_sequences(tmp_path, case, kwargs, words):
    seq = bf.sequence(tmp_path / "seq", n=10, **kwargs)
    at = upload_zip(lab_with("zip"), "seq.zip", zip_folder(seq))
    msg = one_error(at).replace("\\", "")  # the page escapes markdown: \[128\]
    assert words in msg
    assert gettempdir() not in msg and "zip-" not in msg, msg  # the user's file, not the server's folder
    if "temporal" in kwargs:
        assert "seq.zip:seq/temporalROI.txt" in msg
    demo_still_works(at)


def test_a_zip_without_a_sequence_names_the_zip_not_a_server_folder(tmp_path):
    at = upload_zip(lab_with("zip"), "notes.zip", bf.zip_of([("notes/readme.txt", b"no frames here")]))
    msg = one_error(at)
    assert "no image sequence under notes.zip" in msg and gettempdir() not in msg, msg
    demo_still_works(at)


def test_missing_frames_and_ground_truth_are_reported_and_paired_by_number(tmp_path):
    seq = bf.sequence(tmp_path / "gappy", n=40, skip_frames=(8, 9), skip_gt=(15, 20))
    at = upload_zip(lab_with("zip"), "gappy.zip", zip_folder(seq))
    assert_clean(at)
    text = captions(at)
    assert "gappy: 96x72, 38 frames, ground truth" in text
    assert "2 frame number(s) missing" in text and "2 of 38 frames have no ground truth" in text
    assert "F-measure" in metrics(at)


def test_large_sequence_frames_are_capped_with_their_ground_truth(tmp_path):
    seq = bf.sequence(tmp_path / "large", n=6, size=(2400, 1800))
    at = upload_zip(lab_with("zip"), "large.zip", zip_folder(seq))
    assert_clean(at)
    assert "processed at 1920x1440" in captions(at)
    src = at.session_state["lab.player"][1].clip.source
    assert src.frame(0).shape == (1440, 1920, 3) and src.ground_truth(0).shape == (1440, 1920)


@pytest.mark.parametrize("name", list(bf.evil_zips()))
def test_hostile_zips(tmp_path, name):
    data, words = bf.evil_zips()[name]
    at = upload_zip(lab_with("zip"), f"{name}.zip", data)
    msg = one_error(at)
    assert words in msg and f"{name}.zip" in msg
    assert not Path("/tmp/evil.txt").exists()
    demo_still_works(at)


# local folders -----------------------------------------------------------------------------------------

def test_file_names_that_are_not_utf8(tmp_path, monkeypatch):
    seq = bf.nonutf8_sequence(tmp_path)
    monkeypatch.setenv("BGAPP_LOCAL_FILES", "1")
    at = lab_with("folder")
    at.text_input(key="src.folder").set_value(str(tmp_path)).run()
    assert_clean(at)
    assert "caf\\\\xe9: 64x48, 12 frames, ground truth" in captions(at)  # markdown-escaped backslash
    assert "F-measure" in metrics(at)
    broken = Path(str(seq) + "/input/in000002-\udce9t\udce9.png")
    broken.write_bytes(b"not a png")
    at.radio(key="src.kind").set_value("demo").run()
    at.radio(key="src.kind").set_value("folder").run()
    at.session_state["bgapp.sequences"] = None  # forget the opened folder: read it again
    at.text_input(key="src.folder").set_value(str(tmp_path) + "/").run()
    msg = one_error(at)
    assert "in000002-\\\\xe9t\\\\xe9.png" in msg
    demo_still_works(at)


# settings files ----------------------------------------------------------------------------------------

def toasts(at: AppTest) -> list[str]:
    return [t.value for t in at.toast]


def test_bad_settings_files_then_a_good_one(tmp_path):
    """Each refusal is the CLI's message (the same Config.from_json), short, in a toast (seen
    wherever the page is scrolled) and in the sidebar; a good file loads with a toast saying so."""
    at = open_page("app_pages/video_lab.py")
    for k, (content, words) in enumerate(bf.BAD_CONFIGS):
        at.file_uploader(key="lab.settings").set_value((f"bad{k}.json", content, "application/json")).run()
        msg = one_error(at)
        with pytest.raises(BgappError) as cli_side:
            Config.from_json(content, f"bad{k}.json")
        assert msg == plain(f"Settings not loaded: {cli_side.value}"), (content, msg)
        assert f"bad{k}.json" in msg and words in msg.replace("\\", ""), (content, msg)
        assert len(msg) <= bf.LONGEST_MESSAGE and "\n" not in msg, msg
        assert toasts(at) == [msg], "said where the user looks, not only in the sidebar"
        assert at.sidebar.error[0].value == msg
        assert "frame 101 / 300" in captions(at), "the lab keeps working with its current settings"
    at.run()
    assert not toasts(at) and one_error(at), "the toast comes once; the sidebar keeps the error while the file is there"
    good = b'{"method": "knn", "params": {"dist2_threshold": 900}, "post": {"open": 5}}'
    at.file_uploader(key="lab.settings").set_value(("good.json", good, "application/json")).run()
    assert_clean(at)
    assert toasts(at) == ["Loaded good.json: KNN (sample-based), with its parameters, post-processing and composite."]
    assert at.selectbox(key="lab.method").value == "knn"
    assert at.slider(key="lab.knn.dist2_threshold").value == 900.0
    assert at.slider(key="lab.post.open").value == 5
    assert at.session_state["lab.player"][1].pipeline.config.params["dist2_threshold"] == 900.0
    at.slider(key="lab.knn.dist2_threshold").set_value(500.0).run()  # the widgets are live again
    assert_clean(at)
    assert at.session_state["lab.player"][1].pipeline.config.params["dist2_threshold"] == 500.0


# limits and names --------------------------------------------------------------------------------------

def test_upload_limit_is_configured_and_stated():
    config = (ROOT / ".streamlit" / "config.toml").read_text()
    limit = int(re.search(r"^maxUploadSize\s*=\s*(\d+)", config, re.M).group(1))
    assert limit == 200
    at = lab_with("video")
    assert f"up to {limit} MB" in at.file_uploader(key="src.video").label
    at.radio(key="src.kind").set_value("zip").run()
    assert f"up to {limit} MB" in at.file_uploader(key="src.zip").label
    home = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert any(f"upload limit is {limit} MB" in i.value for i in home.info)


def test_html_in_a_file_name_is_escaped(tmp_path):
    at = upload_video(lab_with("video"), bf.XSS_NAME, b"not a video at all\n" * 20)
    msg = one_error(at)
    assert "\\<img src=x onerror=alert(1)\\>.mp4" in msg and "<img" not in msg.replace("\\<img", "")
    good = bf.mp4(tmp_path / "ok.mp4", n=10)
    upload_video(at, bf.XSS_NAME, good.read_bytes())
    assert_clean(at)
    label = [c for c in captions(at).splitlines() if "onerror" in c][0]
    assert label.startswith("\\<img src=x onerror=alert(1)\\>.mp4: 96x72")
