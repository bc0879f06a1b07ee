"""Quick hands in the Video lab, in a real Chromium (issue 16).

Several slider changes in a row while paused each interrupt the replay the one before started; the
lab must still end on the frame the user was on, with exactly the numbers of one change to the final
value (computed here by the engine, which the page runs). A Frame drag while playing lands where it
was dropped, and a later drag replaces one still under way.
"""

from __future__ import annotations

import re
import time

import pytest

from bgapp.config import Config
from bgapp.methods import METHODS
from bgapp.metrics import Counts
from bgapp.player import Player
from bgapp.synthetic import SyntheticScene
from tests.browser import browserkit as bk

COUNTS = re.compile(r"TP ([\d,]+) · FP ([\d,]+) · FN ([\d,]+) · TN ([\d,]+)")


def _settled(page, frame: int, timeout: float = 180.0) -> str:
    """Wait until the lab shows ``frame`` with nothing pending and the page is idle; its main text."""
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        bk.wait_idle(page, timeout=timeout)
        text = page.locator('[data-testid="stMain"]').inner_text()
        m = bk.LAB_STATUS.search(text)
        if m and int(m.group(1)) == frame and " to frame " not in text and COUNTS.search(text):
            return text
        page.wait_for_timeout(200)
    raise AssertionError(f"the lab did not settle on frame {frame}: {text[:600]}")


def _counts(text: str) -> Counts:
    tp, fp, fn, tn = (int(g.replace(",", "")) for g in COUNTS.search(text).groups())
    return Counts(tp, fp, fn, tn)


def _one_change(method: str, param: str, value: float, frame: int) -> Counts:
    """The engine's totals for one change to ``value`` while paused on ``frame`` (1-based)."""
    player = Player(SyntheticScene(), Config(method))
    player.seek(frame - 1)
    player.refresh(player.apply(Config(method, {param: value})).scope)
    return player.total


def _press_quickly(page, thumb, key: str, times: int) -> None:
    """``times`` presses, each sent as soon as the page has started working on the one before (so that
    it interrupts that run), as quick hands do."""
    app = page.locator('[data-testid="stApp"]')
    thumb.focus()
    for _ in range(times):
        thumb.press(key)
        deadline = time.monotonic() + 5
        while app.get_attribute("data-test-script-state") != "running" and time.monotonic() < deadline:
            page.wait_for_timeout(20)


@pytest.mark.browser
@pytest.mark.parametrize("method,slider", [
    ("mog2", "Var threshold"),  # changed on the running model
    ("sigma_delta", "Min var"),  # numpy, changed on the running model
    ("subsense", "Min color dist"),  # every change rebuilds the model
])
def test_quick_changes_while_paused_end_where_one_change_does(page, app_server, method: str, slider: str) -> None:
    cls = METHODS[method]
    if not cls.available():
        pytest.skip(cls.unavailable_reason())
    if method == "mog2":
        bk.open_lab(page, app_server)
        frame = bk.lab_status(page)[0]
    else:
        frame, _, _ = bk.pick_method(page, app_server, cls.title, slider)
    param = slider.lower().replace(" ", "_")
    thumb = bk.method_slider(page, slider)
    for times, key in ((2, "ArrowRight"), (3, "ArrowLeft"), (10, "ArrowRight")):
        _press_quickly(page, thumb, key, times)
        text = _settled(page, frame)
        value = float(thumb.input_value())
        expected = _one_change(method, param, value, frame)
        assert _counts(text) == expected, f"{times} quick changes to {param}={value} on {method}"
        assert not bk.page_problems(page), bk.page_problems(page)
    bk.screenshot(page, f"video_lab_quick_{method}")


def _frame_slider(page):
    return page.locator('[data-testid="stMain"]').get_by_role("slider", name="Frame")


def _wait_frame(page, ok, what: str, timeout: float = 60.0) -> int:
    deadline = time.monotonic() + timeout
    frame = -1
    while time.monotonic() < deadline:
        try:
            frame = bk.lab_status(page)[0]
        except Exception:  # noqa: BLE001 - the placeholder is being replaced right now
            frame = -1
        if frame > 0 and ok(frame):
            return frame
        page.wait_for_timeout(100)
    raise AssertionError(f"{what}: the lab is on frame {frame}")


@pytest.mark.browser
def test_frame_drags_while_playing_land_where_dropped(page, app_server) -> None:
    """A drag while playing lands where it was dropped and plays on from there; a drag to the end stops
    there (it once restarted the clip at frame 1); with a slow method a second drag replaces a first
    one still catching up (it once waited for it)."""
    bk.open_lab(page, app_server)
    total = bk.lab_status(page)[1]
    page.get_by_role("button", name=re.compile(r"Play$")).click()
    _wait_frame(page, lambda f: f > 105, "playback did not start")
    frame = _frame_slider(page)
    frame.focus()
    frame.press("Home")  # back to frame 1: a replay, then it plays on from there
    _wait_frame(page, lambda f: 1 < f < 40, "a drag back while playing did not land")
    frame.focus()
    frame.press("End")
    _wait_frame(page, lambda f: f == total, "a drag to the end did not land on the last frame")
    page.get_by_role("button", name=re.compile(r"Play$")).wait_for(timeout=30_000)  # the clip ended: paused
    bk.wait_idle(page)
    assert bk.lab_status(page)[0] == total, "the lab left the last frame after a drag to the end"
    assert not bk.page_problems(page), bk.page_problems(page)

    cls = METHODS["subsense"]
    if not cls.available():
        pytest.skip(cls.unavailable_reason())
    bk.pick_method(page, app_server, cls.title, "Min color dist")
    page.get_by_role("button", name=re.compile(r"Play$")).click()
    start = _wait_frame(page, lambda f: f > 101, "playback did not start")
    frame = _frame_slider(page)
    frame.focus()
    frame.press("End")  # SuBSENSE needs seconds to catch up on about 200 frames
    page.get_by_text(re.compile("Catching up")).first.wait_for(timeout=30_000)
    frame.focus()
    frame.press("Home")  # replaces the drag under way
    landed = _wait_frame(page, lambda f: f < start, "a second drag did not replace the first", timeout=90)
    assert landed < 60, landed
    # the rate reached, and why it falls short (SuBSENSE takes longer than the demo's 40 ms a frame here)
    main = page.locator('[data-testid="stMain"]')
    main.get_by_text(re.compile(r"playing at [\d.]+ of 25 fps")).first.wait_for(timeout=30_000)
    main.get_by_text(re.compile(r"SuBSENSE \(BGSLibrary\) needs about \d+ ms a frame")).first.wait_for(timeout=30_000)
    bk.screenshot(page, "video_lab_drag_while_playing")
    page.get_by_role("button", name=re.compile(r"Pause$")).click()
    bk.wait_idle(page)
    assert not bk.page_problems(page), bk.page_problems(page)
