"""Helpers for the headless page tests (``streamlit.testing.v1.AppTest``); a helper module, not a test module."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

APP = str(ROOT / "app.py")
TIMEOUT = 60


def open_page(page: str) -> AppTest:
    """``page`` opened through the app (as a fresh server's first request does), with no error on it."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.switch_page(page).run()
    assert_clean(at)
    return at


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def images(at: AppTest) -> list[str]:
    """Media URLs of the page's images: they name the content, so new pixels give a new URL."""
    return [url for img in at.image for url in img.value]


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def captions(at: AppTest) -> str:
    return "\n".join(c.value for c in at.caption)
