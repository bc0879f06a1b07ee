"""Links that open an exercise, in a real Chromium (issue 17, item 5): a link to the Video lab opens
with its values on the sliders, the address follows a slider (quick presses included: none is
reverted by an older address), and the Copy link control shows the link. The rules themselves are
tested headless in tests/test_app_links.py.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlparse

import pytest

from tests.browser import browserkit as bk

LINK = "source=demo&method=mog2&history=300&post.open=5&composite.mode=blur"


def _query(page) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlparse(page.url).query, keep_blank_values=True).items()}


def _wait_query(page, key: str, value: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while _query(page).get(key) != value:
        if time.monotonic() > deadline:
            raise AssertionError(f"the address did not get {key}={value}: {page.url}")
        page.wait_for_timeout(100)


@pytest.mark.browser
def test_a_link_opens_at_its_values_and_the_address_follows_the_sliders(page, app_server) -> None:
    lab = bk.page_url(page, app_server.url, "video_lab")
    page.goto(f"{lab}?{LINK}")  # a page load: a new session, whose first request is the link
    page.get_by_text(bk.LAB_STATUS).first.wait_for(timeout=90_000)
    bk.wait_for_image(page)
    bk.wait_idle(page)
    assert not bk.page_problems(page), bk.page_problems(page)
    history = bk.method_slider(page, "History")
    assert float(history.input_value()) == 300
    assert _query(page) == {k: v[-1] for k, v in parse_qs(LINK).items()}, page.url

    page.get_by_role("button", name="Copy link").click()
    code = page.locator('[data-testid="stPopoverBody"] [data-testid="stCode"]')
    code.wait_for()
    shown = code.inner_text().strip()
    assert shown == f"{lab.rstrip('/')}?{LINK}", shown
    bk.screenshot(page, "video_lab_copy_link")
    page.keyboard.press("Escape")

    history.focus()
    for _ in range(5):  # quick presses: each interrupts the run of the one before
        history.press("ArrowRight")
        page.wait_for_timeout(60)
    _wait_query(page, "history", "305")
    bk.wait_idle(page, timeout=120)
    assert float(history.input_value()) == 305, "a slider moved back"
    assert _query(page)["history"] == "305" and _query(page)["post.open"] == "5"
    assert not bk.page_problems(page), bk.page_problems(page)
