"""The Failure gallery in a real Chromium (issue 19): every card draws its picture and its F table, and
"Open in the lab" with a method picked lands on the Video lab playing that case with that method, the
address naming both. The same flows are tested headless in tests/test_app_gallery.py.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlparse

import pytest

from bgapp.gallery import CASES
from tests.browser import browserkit as bk


def _query(page) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlparse(page.url).query, keep_blank_values=True).items()}


def _wait_count(locator, n: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while locator.count() < n:
        if time.monotonic() > deadline:
            raise AssertionError(f"{locator.count()} of {n} after {timeout:.0f} s")
        locator.page.wait_for_timeout(200)


@pytest.mark.browser
def test_open_in_the_lab_plays_the_case_with_the_method_picked(page, app_server) -> None:
    bk.open_page(page, app_server.url, "gallery")
    main = page.locator('[data-testid="stMain"]')
    # a server's first visitor waits for the scores: five methods on seven clips, a few seconds each
    _wait_count(main.locator('[data-testid="stDataFrame"]'), len(CASES), timeout=300)
    bk.wait_idle(page, timeout=120)
    assert not bk.page_problems(page), bk.page_problems(page)
    assert len(bk.image_sources(page)) == len(CASES)
    bk.screenshot(page, "gallery")

    card = 1  # the second card: Rippling water
    picker = main.get_by_role("combobox", name="Method").nth(card)
    picker.scroll_into_view_if_needed()
    picker.click()
    page.keyboard.type("KNN (sample")
    page.get_by_role("option", name="KNN (sample-based)", exact=True).click()
    bk.wait_idle(page)
    assert picker.input_value() == "KNN (sample-based)"
    main.get_by_role("button", name="Open in the lab").nth(card).click()
    page.get_by_text(bk.LAB_STATUS).first.wait_for(timeout=90_000)
    bk.wait_for_image(page)
    bk.wait_idle(page, timeout=120)
    assert not bk.page_problems(page), bk.page_problems(page)
    assert urlparse(page.url).path.rstrip("/").endswith("video_lab"), page.url
    assert _query(page) == {"source": "case:dynamic_background", "method": "knn"}, page.url
    side = page.locator('[data-testid="stSidebar"]')
    assert side.get_by_role("radio", name="A failure case (Gallery)").is_checked()
    assert side.get_by_role("combobox", name="Failure case").input_value() == "Rippling water"
    assert side.get_by_role("combobox", name="Method", exact=True).input_value() == "KNN (sample-based)"
    assert side.get_by_text("dynamic_background: 320x240, 200 frames").count() >= 1
    frame, frames, _ = bk.lab_status(page)
    assert frames == 200 and frame > 1
    bk.screenshot(page, "gallery_opened_in_lab")
