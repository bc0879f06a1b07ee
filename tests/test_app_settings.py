"""Settings widgets: values that arrive from outside them (a loaded JSON, "Apply best", "Reset to
defaults") become the widgets' own values and stay; sliders cover the typical values, typed entry
the full range; a slider shows and returns the value in effect; dead controls are hidden.

AppTest on its own sends back whatever the server last computed for each widget, so it cannot see
the bug class tested here: a browser keeps its own value for a widget it already shows and sends
that back on the next rerun. It takes the server's value only when the message says
``set_value`` (st.session_state written before the widget is made), and the message's default for
a widget it has not seen (a new id). :class:`Browser` replays what a browser would send.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from bgapp.config import Config
from bgapp.methods import METHODS
from bgapp.params import Param
from tests.apphelpers import assert_clean, captions, open_page
from ui.keys import APPLIED_CONFIG

KINDS = ("slider", "number_input", "selectbox", "checkbox", "toggle", "radio", "select_slider", "text_input")
LOADED = Config("mog2", {"var_threshold": 40.0, "history": 200}, post={"open": 5})
SHOWN = {"var_threshold": 40.0, "history": 200}


class Browser:
    """Drives an AppTest the way a browser does: widget values live on the client."""

    def __init__(self, at: AppTest) -> None:
        self.at = at
        self.held: dict[str, Any] = {}
        self._observe()

    def _widgets(self) -> list[Any]:
        return [w for kind in KINDS for w in self.at.get(kind)]

    @staticmethod
    def _first_seen(w: Any) -> Any:
        """What a browser shows for a widget id it has not seen: the value the message sets, else
        the message's default (not whatever the server holds under the widget's key)."""
        if w.proto.set_value:
            return w.value
        if w.type == "slider":
            return type(w.value)(w.proto.default[0])
        if w.type == "number_input" and w.proto.HasField("default"):
            return type(w.value)(w.proto.default)
        return w.value

    def _observe(self) -> None:
        held = {}
        for w in self._widgets():
            keep = w.id in self.held and not w.proto.set_value
            held[w.id] = self.held[w.id] if keep else self._first_seen(w)
        self.held = held  # the client forgets widgets that were not drawn

    def run(self) -> Browser:
        for w in self._widgets():
            if w.id in self.held:
                w.set_value(self.held[w.id])
        self.at.run()
        assert_clean(self.at)
        self._observe()
        return self

    def widget(self, kind: str, key: str) -> Any:
        return getattr(self.at, kind)(key=key)

    def shown(self, kind: str, key: str) -> Any:
        """What the browser shows (and will send back) for the widget with ``key``."""
        return self.held[self.widget(kind, key).id]

    def set(self, kind: str, key: str, value: Any) -> Browser:
        self.held[self.widget(kind, key).id] = value
        return self.run()

    def click(self, key: str) -> Browser:
        self.at.button(key=key).click()
        return self.run()

    def upload(self, key: str, name: str, data: bytes, mime: str = "application/json") -> Browser:
        self.at.file_uploader(key=key).set_value((name, data, mime))
        return self.run()

    def keys(self) -> set[str]:
        return {w.key for w in self._widgets() if w.key}


def lab_config(at: AppTest) -> Config:
    return at.session_state["lab.player"][1].pipeline.config


def assert_lab_shows(b: Browser, params: dict[str, Any], post: dict[str, Any] | None = None) -> None:
    cfg = lab_config(b.at)
    for name, value in params.items():
        assert b.shown("slider", f"lab.{cfg.method}.{name}") == value, name
        assert cfg.params[name] == value, name
    for name, value in (post or {}).items():
        assert b.shown("slider", f"lab.post.{name}") == value, name
        assert cfg.post[name] == value, name


# 2. loaded and applied settings stay -----------------------------------------------------------------

def test_loaded_settings_become_the_sliders_values_and_stay() -> None:
    b = Browser(open_page("app_pages/video_lab.py"))
    b.upload("lab.settings", "best.json", LOADED.to_json().encode())
    assert_lab_shows(b, SHOWN, {"open": 5})
    b.click("lab.step")
    assert_lab_shows(b, SHOWN, {"open": 5})
    b.set("slider", "lab.post.close", 7)
    assert_lab_shows(b, SHOWN, {"open": 5, "close": 7})


def test_apply_best_reaches_the_lab_and_stays_and_a_second_apply_counts_again() -> None:
    b = Browser(open_page("app_pages/video_lab.py"))
    b.at.session_state[APPLIED_CONFIG] = LOADED  # what Evaluate & tune's "Apply best" leaves
    b.run()
    assert_lab_shows(b, SHOWN, {"open": 5})
    b.click("lab.step")
    b.set("slider", "lab.mog2.var_threshold", 30.0)
    assert_lab_shows(b, {"var_threshold": 30.0, "history": 200}, {"open": 5})
    b.at.session_state[APPLIED_CONFIG] = replace(LOADED)  # Apply best clicked again
    b.run()
    assert_lab_shows(b, SHOWN, {"open": 5})


def test_webcam_page_loads_settings_and_keeps_them() -> None:
    b = Browser(open_page("app_pages/webcam.py"))
    b.upload("webcam.settings", "best.json", LOADED.to_json().encode())
    b.set("slider", "webcam.post.close", 7)
    pipeline = b.at.session_state["webcam.processor"].pipeline
    assert b.shown("slider", "webcam.mog2.var_threshold") == 40.0
    assert b.shown("slider", "webcam.post.open") == 5
    assert (pipeline.config.params["var_threshold"], pipeline.config.post["open"], pipeline.config.post["close"]) \
        == (40.0, 5, 7)


def test_compare_takes_applied_settings_as_method_one() -> None:
    b = Browser(open_page("app_pages/compare.py"))
    b.at.session_state[APPLIED_CONFIG] = Config("knn", {"dist2_threshold": 900.0})
    b.run()
    assert b.shown("selectbox", "cmp0.method") == "knn"
    b.set("slider", "cmp1.knn.dist2_threshold", 1500.0)
    assert b.shown("slider", "cmp0.knn.dist2_threshold") == 900.0
    assert b.at.session_state["cmp.configs"][0] == Config("knn", {"dist2_threshold": 900.0})


# 14a. typical range on the track, the full range typed -----------------------------------------------

def test_sliders_cover_typical_values_and_typed_values_reach_the_full_range() -> None:
    b = Browser(open_page("app_pages/video_lab.py"))
    history, var = b.widget("slider", "lab.mog2.history"), b.widget("slider", "lab.mog2.var_threshold")
    assert (history.proto.min, history.proto.max) == (10, 1000)
    assert (var.proto.min, var.proto.max) == (4.0, 64.0)
    assert (history.value - 10) / (1000 - 10) > 0.4, "the default sits inside the track, not at its edge"
    b.set("toggle", "lab.typed", True)
    box = b.widget("number_input", "lab.mog2.history")
    assert (box.proto.min, box.proto.max) == (1, 10000)
    assert b.shown("number_input", "lab.mog2.history") == 500
    b.set("number_input", "lab.mog2.history", 5000)
    assert lab_config(b.at).params["history"] == 5000
    b.set("toggle", "lab.typed", False)
    assert b.widget("slider", "lab.mog2.history").proto.max == 10000, "stretched to hold the value in effect"
    assert_lab_shows(b, {"history": 5000})
    b.set("slider", "lab.mog2.history", 300)
    assert b.widget("slider", "lab.mog2.history").proto.max == 1000
    b.click("lab.step")
    assert_lab_shows(b, {"history": 300})


def test_the_full_declared_range_stays_valid_outside_the_app() -> None:
    """A typical range narrows the slider only: --set, configs and tuning keep min..max."""
    from bgapp.tuning import tune_range

    history = next(p for p in METHODS["mog2"].params if p.name == "history")
    assert history.typical == (10, 1000) and history.to_dict()["typical"] == [10, 1000]
    cfg = Config("mog2").with_sets(["params.history=10000", "params.var_threshold=400", "post.min_area=20000",
                                    "composite.box_min_area=100000"])
    assert (cfg.params["history"], cfg.params["var_threshold"], cfg.post["min_area"]) == (10000, 400.0, 20000)
    assert Config.from_json(cfg.to_json()) == cfg
    assert tune_range(history) == (20.0, 2000.0), "tuning searches its own declared range, beyond the slider's"


# 14b. the slider shows, and returns, the value in effect ---------------------------------------------

def test_a_tuned_value_between_the_steps_shows_and_stays_exactly() -> None:
    b = Browser(open_page("app_pages/video_lab.py"))
    tuned = Config("mog2", {"var_threshold": 44.69, "history": 1234})
    b.upload("lab.settings", "tuned.json", tuned.to_json().encode())
    for _ in range(2):
        assert_lab_shows(b, {"var_threshold": 44.69, "history": 1234})
        s = b.widget("slider", "lab.mog2.var_threshold").proto
        steps = (44.69 - s.min) / s.step
        assert abs(steps - round(steps)) < 1e-6, f"44.69 is not a notch of a {s.step} step"
        assert s.format % 44.69 == "44.69"
        b.click("lab.step")


@pytest.mark.parametrize(("kind", "step", "value"), [("float", 0.5, 44.69), ("float", 0.001, 0.0005123),
                                                     ("float", 0.5, 16.0), ("int", 2, 4), ("int", 1, 7)])
def test_slider_spec_puts_the_value_on_a_notch_and_formats_every_digit(kind: str, step: float, value: float) -> None:
    from ui.widgets import number_format, slider_spec

    p = Param("x", kind, value, "", min=0, max=1000, step=step)
    lo, hi, got = slider_spec(p, value)
    n = (value - lo) / got
    assert abs(n - round(n)) < 1e-6 and lo <= value <= hi
    if (value - p.min) / step == int((value - p.min) / step):
        assert got == step, "values on the declared grid keep the declared step"
    if kind == "float":
        assert float(number_format(p, value, got) % value) == value


# 14c. one reset --------------------------------------------------------------------------------------

def test_reset_puts_method_post_and_composite_back_to_defaults_and_keeps_the_method() -> None:
    b = Browser(open_page("app_pages/video_lab.py"))
    b.set("selectbox", "lab.method", "knn")
    b.set("slider", "lab.knn.dist2_threshold", 900.0)
    b.set("slider", "lab.post.open", 7)
    b.set("selectbox", "lab.composite.mode", "overlay")
    b.set("slider", "lab.composite.opacity", 0.8)
    assert lab_config(b.at) != Config("knn")
    b.click("lab.defaults")
    assert lab_config(b.at) == Config("knn")
    assert b.shown("selectbox", "lab.method") == "knn"
    assert b.shown("slider", "lab.knn.dist2_threshold") == 400.0
    assert b.shown("slider", "lab.post.open") == Config().post["open"]
    assert b.shown("selectbox", "lab.composite.mode") == "none"
    b.click("lab.step")
    assert lab_config(b.at) == Config("knn")


# 14d/e. composite controls only when on; the two minimum areas -----------------------------------------

def test_composite_controls_appear_only_for_the_mode_they_affect() -> None:
    b = Browser(open_page("app_pages/video_lab.py"))
    extra = {"lab.composite.feather", "lab.composite.blur_strength", "lab.composite.opacity",
             "lab.composite.box_min_area"}
    assert "lab.composite.mode" in b.keys() and not extra & b.keys()
    for mode, shown in [("overlay", {"opacity"}), ("blur", {"feather", "blur_strength"}),
                        ("contours", {"box_min_area"}), ("green", {"feather"}), ("none", set())]:
        b.set("selectbox", "lab.composite.mode", mode)
        assert extra & b.keys() == {f"lab.composite.{n}" for n in shown}, mode


def test_the_two_minimum_areas_say_how_they_differ() -> None:
    b = Browser(open_page("app_pages/video_lab.py"))
    b.set("selectbox", "lab.composite.mode", "contours")
    post, box = b.widget("slider", "lab.post.min_area"), b.widget("slider", "lab.composite.box_min_area")
    assert post.label != box.label
    assert "Remove" in post.label and "mask" in post.help.split(".")[0]
    assert "Drawing only" in box.help and "scores do not change" in box.help
    old = Config.from_dict({"post": {"min_area": 50}, "composite": {"mode": "contours", "box_min_area": 400}})
    assert (old.post["min_area"], old.composite["box_min_area"]) == (50, 400), "config keys unchanged"


# 14f. F of a frame where every object is missed ------------------------------------------------------

def test_f_this_frame_reads_zero_when_every_object_is_missed() -> None:
    b = Browser(open_page("app_pages/video_lab.py"))
    b.set("selectbox", "lab.method", "absdiff")
    b.set("toggle", "lab.typed", True)
    b.set("number_input", "lab.absdiff.threshold", 255)  # no grey difference exceeds 255: an empty mask
    counts = b.at.session_state["lab.player"][1].shown.counts
    assert counts.tp == 0 and counts.fn > 0
    assert "F this frame 0.000" in captions(b.at)


def test_image_diff_takes_typed_values_beyond_its_sliders() -> None:
    b = Browser(open_page("app_pages/image_diff.py"))
    assert b.widget("slider", "diff.difference.threshold").proto.max == 100
    b.set("toggle", "diff.typed", True)
    b.set("number_input", "diff.difference.threshold", 250)
    b.set("number_input", "diff.box.box_min_area", 50000)
    assert b.shown("number_input", "diff.difference.threshold") == 250
    assert b.at.metric[0].value == "no change", "a threshold of 250 leaves no region"
