"""Fixtures for the real-browser tests: one Streamlit server and one headless Chromium per session.

Every test here is marked ``browser``; they all skip, with the reason, when /usr/bin/chromium or
the playwright package is missing. Playwright's own browsers are never used or downloaded.
Screenshots go to ``artifacts/browser/`` (one per page, and ``FAILED-<test>.png`` on failure).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import browserkit as bk

HERE = Path(__file__).resolve().parent


def pytest_sessionstart(session: pytest.Session) -> None:
    """Drop failure screenshots of an earlier run (not from the re-executed netns run: that one
    runs inside a session whose failures must stay)."""
    if not os.environ.get(bk.NETNS_ENV) and bk.ARTIFACTS.is_dir():
        for old in bk.ARTIFACTS.glob("FAILED-*.png"):
            old.unlink(missing_ok=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = bk.missing_browser_reason()
    if reason is None:
        return
    for item in items:
        if item.get_closest_marker("browser") is not None and HERE in Path(item.path).parents:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Keep each phase's report on the item so the page fixture can screenshot failures."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def app_path() -> Path:
    """The app under test: ``app.py`` at the repo root (``BGAPP_BROWSER_APP`` overrides it)."""
    return Path(os.environ.get("BGAPP_BROWSER_APP") or bk.APP)


@pytest.fixture(scope="session")
def app_server() -> Iterator[bk.Server]:
    """``streamlit run app.py`` on a free local port with ``BGAPP_ICE_SERVERS=[]``; stopped after."""
    app = app_path()
    assert app.exists(), f"the app is missing: {app}"
    log = bk.ARTIFACTS / ("server-netns.log" if bk.only_loopback() else "server.log")
    with bk.streamlit_server(app, log=log) as server:
        yield server


@pytest.fixture(scope="session")
def playwright_session():
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    try:
        yield pw
    finally:
        pw.stop()


@pytest.fixture(scope="session")
def browser(playwright_session):
    """Debian's Chromium, headless, no sandbox (root), no background traffic."""
    b = playwright_session.chromium.launch(executable_path=str(bk.CHROMIUM), headless=True, args=bk.CHROMIUM_ARGS)
    try:
        yield b
    finally:
        b.close()


@pytest.fixture
def page(browser, request: pytest.FixtureRequest):
    """A fresh page (own context) per test; a screenshot is saved when the test fails."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    try:
        yield pg
    finally:
        rep = getattr(request.node, "rep_call", None)
        if rep is not None and rep.failed:
            try:
                bk.screenshot(pg, f"FAILED-{request.node.name}")
            except Exception as exc:  # noqa: BLE001 - never hide the real failure
                print(f"could not save the failure screenshot: {exc}")
        context.close()
