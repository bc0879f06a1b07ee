"""The pixel inspector in a real Chromium: a click on the paused picture, in any of its views, follows
that pixel; the chart covers every frame the model saw and grows while the clip plays."""

from __future__ import annotations

import re

import pytest

from tests.browser import browserkit as bk
from ui.views import Grid

OVER = re.compile(r"Pixel \((\d+), (\d+)\) over (\d+) frames")


def _chart_title(page, timeout: float = 120.0) -> tuple[int, int, int]:
    """(x, y, frames) from the inspector chart's title, once the page is idle."""
    bk.wait_idle(page, timeout=timeout)
    title = page.locator(".js-plotly-plot .gtitle").filter(has_text=OVER).first
    title.wait_for(timeout=timeout * 1000)
    x, y, n = OVER.search(title.text_content() or "").groups()
    return int(x), int(y), int(n)


def _click_pixel(page, grid: Grid, view: int, x: int, y: int) -> None:
    """Click frame pixel (x, y) in view ``view`` of the lab's clickable picture."""
    img = page.frame_locator('iframe[title*="streamlit_image_coordinates"]').locator("img")
    img.wait_for(timeout=60_000)
    box = img.bounding_box()
    assert box is not None
    px, py = grid.places(x, y)[view]
    scale = box["width"] / grid.size[0]
    img.click(position={"x": px * scale, "y": py * scale})


@pytest.mark.browser
def test_a_click_in_any_view_follows_that_pixel_from_the_start(page, app_server) -> None:
    bk.open_lab(page, app_server)
    frame = bk.lab_status(page)[0]
    page.get_by_text("Pixel inspector").click()
    assert _chart_title(page) == (160, 120, frame)  # the middle pixel, every frame the model saw

    grid = Grid.of((320, 240), 8, 4)  # the demo's lab picture: 8 views of 320x240, 4 a row
    _click_pixel(page, grid, 0, 100, 180)  # on the input
    x, y, n = _chart_title(page)
    assert abs(x - 100) <= 1 and abs(y - 180) <= 1 and n == frame
    _click_pixel(page, grid, 6, 150, 200)  # on the ground truth, bottom row: where the walker passes
    x, y, n = _chart_title(page)
    assert abs(x - 150) <= 1 and abs(y - 200) <= 1 and n == frame
    main = page.locator('[data-testid="stMain"]')
    assert main.get_by_label("x", exact=True).input_value() == str(x)
    assert main.get_by_label("y", exact=True).input_value() == str(y)
    bk.screenshot(page, "inspector-paused")
    assert not bk.page_problems(page), bk.page_problems(page)

    page.get_by_role("button", name=re.compile(r"Play$")).click()
    page.wait_for_function(  # the chart follows playback
        f"""() => [...document.querySelectorAll('.js-plotly-plot .gtitle')].some(t => {{
                const m = t.textContent.match(/over (\\d+) frames/); return m && +m[1] > {n + 10}; }})""",
        timeout=120_000)
    page.get_by_role("button", name=re.compile(r"Pause$")).click()
    x2, y2, n2 = _chart_title(page)
    assert (x2, y2) == (x, y) and n2 == bk.lab_status(page)[0]
    bk.screenshot(page, "inspector-after-play")

    # another method while paused: the model replays to the frame, and the pixel's history with it
    side = page.locator('[data-testid="stSidebar"]')
    side.get_by_role("combobox", name="Method", exact=True).click()
    page.get_by_role("option", name="Sigma-Delta", exact=True).click()
    side.get_by_text("Amp factor").first.wait_for(timeout=60_000)
    bk.wait_idle(page, timeout=120)
    x3, y3, n3 = _chart_title(page)
    assert (x3, y3, n3) == (x, y, n2)
    legend = page.locator(".js-plotly-plot .legendtext").all_text_contents()
    assert {"band B", "band G", "band R", "background B", "pixel R"} <= set(legend), legend
    bk.screenshot(page, "inspector-sigma-delta")
    assert not bk.page_problems(page), bk.page_problems(page)
