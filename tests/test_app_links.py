"""Links that open an exercise (issue 17, item 5): the Video lab's source and settings live in the
page's address, follow the widgets, and a link opened in a new session reproduces them; a bad link
opens with defaults for what it could not use and one note. Keys the lab does not own (``s``) stay.

AppTest sends back, on each run, the query string the previous run left (as a browser's address does).
The real-browser check is tests/browser/test_browser_links.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from bgapp.config import Config
from bgapp.synthetic import SyntheticScene
from tests.apphelpers import APP, TIMEOUT, assert_clean, captions
from ui.keys import APPLIED_CONFIG
from ui.links import link_query, source_name
from ui.sources import SourceChoice

LAB = "app_pages/video_lab.py"
LINK = {"source": "demo", "method": "knn", "dist2_threshold": "333.3333333", "detect_shadows": "false",
        "post.open": "5", "post.min_area": "40", "composite.mode": "blur", "composite.blur_strength": "15"}
SESSION = {"s": "marker-of-another-engineer"}


def open_link(query: dict[str, str], url: str | None = None) -> AppTest:
    """A new session whose first request is the lab's address with ``query``."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params.update(query)
    if url:
        at.context["url"] = url
    at.switch_page(LAB).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def lab_config(at: AppTest) -> Config:
    return at.session_state["lab.player"][1].pipeline.config


def ours(at: AppTest) -> dict[str, Any]:
    return {k: v for k, v in at.query_params.items() if k not in SESSION}


def test_a_link_opens_its_source_method_and_every_setting_and_keeps_them() -> None:
    at = open_link({**LINK, **SESSION})
    assert_clean(at)
    assert not at.warning, "a good link has nothing to say"
    want = Config("knn", {"dist2_threshold": 333.3333333, "detect_shadows": False}, {"open": 5, "min_area": 40},
                  {"mode": "blur", "blur_strength": 15})
    assert lab_config(at) == want and at.session_state["lab.config"] == want
    assert at.selectbox(key="lab.method").value == "knn"
    assert at.slider(key="lab.knn.dist2_threshold").value == 333.3333333
    assert at.checkbox(key="lab.knn.detect_shadows").value is False
    assert (at.slider(key="lab.post.open").value, at.slider(key="lab.post.min_area").value) == (5, 40)
    assert at.selectbox(key="lab.composite.mode").value == "blur"
    assert at.slider(key="lab.composite.blur_strength").value == 15
    assert at.radio(key="src.kind").value == "demo"
    assert at.query_params == {**LINK, **SESSION}, "the address stays the link, the session's key kept"
    at.button(key="lab.step").click().run()  # later runs find the same address: nothing is read again
    assert_clean(at)
    assert lab_config(at) == want and at.query_params == {**LINK, **SESSION}


def test_moving_a_slider_writes_only_the_changed_values_and_leaves_other_keys() -> None:
    at = open_link(SESSION, url="http://example.org:8501/video_lab")
    assert at.query_params == {**SESSION, "source": "demo", "method": "mog2"}, "defaults are left out"
    at.slider(key="lab.mog2.history").set_value(300).run()
    at.slider(key="lab.post.open").set_value(5).run()
    assert_clean(at)
    assert at.query_params == {**SESSION, "source": "demo", "method": "mog2", "history": "300", "post.open": "5"}
    assert list(ours(at)) == ["source", "method", "history", "post.open"], "in declaration order"
    assert at.code[0].value == "http://example.org:8501/video_lab?source=demo&method=mog2&history=300&post.open=5", \
        "Copy link: the page's address and the lab's keys, not the session's"
    at.slider(key="lab.mog2.history").set_value(500).run()  # back to the default: the key goes
    assert at.query_params == {**SESSION, "source": "demo", "method": "mog2", "post.open": "5"}
    at.selectbox(key="lab.method").set_value("knn").run()
    assert ours(at) == {"source": "demo", "method": "knn", "post.open": "5"}


def test_an_address_the_session_wrote_earlier_never_reverts_a_setting() -> None:
    """A run requested before the browser took the newest address sends an older one: it is the
    session's own, not a link, so the setting in effect stays and the address is written again."""
    at = open_link({"source": "demo", "method": "mog2", "history": "300"})
    at.slider(key="lab.mog2.history").set_value(700).run()
    assert at.query_params["history"] == "700"
    at.query_params["history"] = "300"  # the address of the run before
    at.run()
    assert_clean(at)
    assert at.slider(key="lab.mog2.history").value == 700 and lab_config(at).params["history"] == 700
    assert at.query_params["history"] == "700"


def test_loaded_settings_and_apply_best_win_and_the_address_follows_them() -> None:
    at = open_link(LINK)
    loaded = Config("mog2", {"var_threshold": 40.0}, {"open": 7})
    at.file_uploader(key="lab.settings").set_value(("best.json", loaded.to_json().encode(), "application/json")).run()
    assert_clean(at)
    assert lab_config(at) == loaded
    assert ours(at) == {"source": "demo", "method": "mog2", "var_threshold": "40", "post.open": "7"}
    at.session_state[APPLIED_CONFIG] = Config("knn", {"history": 200})  # Evaluate & tune's "Apply best"
    at.run()
    assert lab_config(at) == Config("knn", {"history": 200})
    assert ours(at) == {"source": "demo", "method": "knn", "history": "200"}


def test_leaving_the_lab_and_coming_back_keeps_the_settings() -> None:
    at = open_link(LINK)
    at.slider(key="lab.post.open").set_value(9).run()
    at.switch_page("app_pages/compare.py").run()
    at.switch_page(LAB).run()
    assert_clean(at)
    assert lab_config(at).post["open"] == 9 and lab_config(at).method == "knn"
    assert at.query_params["post.open"] == "9"


def test_a_bad_link_opens_with_defaults_for_exactly_those_and_one_note() -> None:
    at = open_link({"source": "nowhere/at/all", "method": "mog2", "history": "lots", "var_threshold": "30",
                    "post.open": "99", "post.close": "7", "colour": "red", "detect_shadows": "maybe", **SESSION})
    assert not at.exception and not at.error
    assert len(at.warning) == 1, [w.value for w in at.warning]
    note = at.warning[0].value
    for named in ("source: 'nowhere/at/all'", "history:", "post.open:", "'colour'", "detect_shadows:"):
        assert named in note, named
    assert "var_threshold" not in note and "post.close" not in note
    cfg = lab_config(at)
    assert cfg == Config("mog2", {"var_threshold": 30.0}, {"close": 7})
    assert at.radio(key="src.kind").value == "demo"
    assert ours(at) == {"source": "demo", "method": "mog2", "var_threshold": "30", "post.close": "7",
                        "colour": "red"}, "the lab rewrites its own keys; one it does not know is not its to remove"
    assert at.query_params["s"] == SESSION["s"]
    at.button(key="lab.step").click().run()
    assert len(at.warning) == 1, "the note stays while the link's settings do"
    at.slider(key="lab.mog2.var_threshold").set_value(20.0).run()
    assert not at.warning, "and goes with the first change"


@pytest.mark.parametrize("query, named", [
    ({"method": "no_such_method", "history": "300", "post.open": "5"}, "method: 'no_such_method': no such method"),
    ({"method": "mog2", "composite.mode": "sparkles", "history": "1e999"}, "composite.mode:"),
    ({"source": "../../etc", "method": "mog2"}, "source: '../../etc'"),
    ({"method": "mog2", **{f"junk{i}": "1" for i in range(12)}}, "and 4 more"),
])
def test_any_bad_link_gives_one_note_and_no_traceback(query: dict[str, str], named: str) -> None:
    at = open_link(query)
    assert not at.exception and not at.error
    assert len(at.warning) == 1 and named in at.warning[0].value, [w.value for w in at.warning]
    assert lab_config(at).method == "mog2"


def test_a_shared_sample_travels_by_its_path_under_the_shared_data(shared_data) -> None:
    at = open_link({"source": "cdnet/baseline/highway", "method": "mog2", "history": "300"})
    assert_clean(at)
    assert "highway" in captions(at) and at.radio(key="src.kind").value == "study"
    assert ours(at) == {"source": "cdnet/baseline/highway", "method": "mog2", "history": "300"}
    assert "source=cdnet%2Fbaseline%2Fhighway&method=mog2&history=300" in at.code[0].value


def test_uploads_and_folders_do_not_travel() -> None:
    scene = SyntheticScene()
    assert source_name(SourceChoice("demo", "demo", scene, "")) == "demo"
    for kind in ("video", "zip", "folder"):
        choice = SourceChoice(kind, f"{kind}:x", scene, "")
        assert source_name(choice) is None
        assert link_query(choice, Config("knn")) == {"method": "knn"}
    assert source_name(SourceChoice("study", "study:/tmp/x", scene, "")) is None
