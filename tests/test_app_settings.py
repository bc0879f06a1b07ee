"""Settings that arrive from outside the sliders (a loaded JSON, "Apply best", reset) become the
widgets' own values and stay; the sliders show, and return, the value in effect.

AppTest sends back whatever the server last computed for each widget, so on its own it cannot see
the bug class tested here: a browser keeps its own value for a widget it already shows and sends
that back on the next rerun, taking the server's value only for a widget it has not seen (a new
id) or one whose message says ``set_value`` (st.session_state written before the widget is
made). :class:`Browser` replays what a browser would send.
"""

from __future__ import annotations

from typing import Any

from streamlit.testing.v1 import AppTest

from bgapp.config import Config
from tests.test_app_pages import assert_clean, open_page

KINDS = ("slider", "number_input", "selectbox", "checkbox", "toggle", "radio", "select_slider", "text_input")
LOADED = Config("mog2", {"var_threshold": 40.0, "history": 200}, post={"open": 5})


class Browser:
    """Drives an AppTest the way a browser does: widget values live on the client."""

    def __init__(self, at: AppTest) -> None:
        self.at = at
        self.held: dict[str, Any] = {}
        self._observe()

    def _widgets(self) -> list[Any]:
        return [w for kind in KINDS for w in self.at.get(kind)]

    def _observe(self) -> None:
        held = {}
        for w in self._widgets():
            keep = w.id in self.held and not w.proto.set_value
            held[w.id] = self.held[w.id] if keep else w.value
        self.held = held  # the client forgets widgets that were not drawn

    def run(self) -> Browser:
        for w in self._widgets():
            if w.id in self.held:
                w.set_value(self.held[w.id])
        self.at.run()
        assert_clean(self.at)
        self._observe()
        return self

    def shown(self, kind: str, key: str) -> Any:
        """What the browser shows (and will send back) for the widget with ``key``."""
        return self.held[getattr(self.at, kind)(key=key).id]

    def set(self, kind: str, key: str, value: Any) -> Browser:
        self.held[getattr(self.at, kind)(key=key).id] = value
        return self.run()

    def click(self, key: str) -> Browser:
        self.at.button(key=key).click()
        return self.run()

    def upload(self, key: str, name: str, data: bytes, mime: str = "application/json") -> Browser:
        self.at.file_uploader(key=key).set_value((name, data, mime))
        return self.run()


def lab_config(at: AppTest) -> Config:
    return at.session_state["lab.player"][1].pipeline.config


def assert_lab_shows(b: Browser, params: dict[str, Any], post: dict[str, Any]) -> None:
    cfg = lab_config(b.at)
    for name, value in params.items():
        assert b.shown("slider", f"lab.mog2.{name}") == value, name
        assert cfg.params[name] == value, name
    for name, value in post.items():
        assert b.shown("slider", f"lab.post.{name}") == value, name
        assert cfg.post[name] == value, name


def test_loaded_settings_become_the_sliders_values_and_stay() -> None:
    b = Browser(open_page("pages/video_lab.py"))
    b.upload("lab.settings", "best.json", LOADED.to_json().encode())
    want = {"var_threshold": 40.0, "history": 200}
    assert_lab_shows(b, want, {"open": 5})
    b.click("lab.step")
    assert_lab_shows(b, want, {"open": 5})
    b.set("slider", "lab.post.close", 7)
    assert_lab_shows(b, want, {"open": 5, "close": 7})
