"""The Live webcam page with a real camera stream: Chromium's fake camera plays a Y4M clip of the
demo scene, WebRTC carries it to the server's callback and the processed view back.

WebRTC must pair over loopback only, so the test runs inside a network namespace that has
nothing but ``lo`` (``unshare -n`` + ``ip link set lo up``; NOTES "streamlit-webrtc"). When
pytest is not already isolated, this test re-executes itself under ``unshare -n`` (server,
browser and all) and reports the inner result; it skips with the reason when ``unshare`` is
not permitted. The frame count is read from the page ("frames processed: N"), not from the
server's internals.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import browserkit as bk
from tests.browser import webcamkit as wk

MIN_FRAMES = 100
CLIP_FRAMES = 120  # 4 s at 30 fps; Chromium loops the file


def _since_reset(page) -> int:
    text = page.get_by_text(re.compile(r"frames in this model: \d+")).first.inner_text()
    m = re.search(r"frames in this model: (\d+)", text)
    return int(m.group(1)) if m else 0


def _metric(page, name: str) -> str:
    box = page.locator('[data-testid="stMetric"]').filter(has=page.get_by_text(name, exact=True)).first
    return box.locator('[data-testid="stMetricValue"]').inner_text().strip()


@contextlib.contextmanager
def _webcam(request: pytest.FixtureRequest, tmp_path: Path, method: str | None, slider: str,
            shot: str) -> Iterator[tuple[Any, Any] | None]:
    """The Live webcam page in a Chromium whose fake camera plays the demo, with ``method``'s title
    picked in the sidebar (if given) and START pressed: yields (page, the component's frame), or None
    when this run only re-executed the test inside a loopback-only namespace. A screenshot ``shot``
    is saved either way (``FAILED-`` first when the test failed)."""
    if not bk.only_loopback():
        if os.environ.get(bk.NETNS_ENV):
            pytest.fail("re-executed under unshare -n but interfaces other than lo are still visible")
        wk.run_isolated(request.node.nodeid, tmp_path)
        yield None
        return
    server = request.getfixturevalue("app_server")
    pw = request.getfixturevalue("playwright_session")
    clip = bk.synthetic_clip(tmp_path / "camera.y4m", CLIP_FRAMES)
    browser = pw.chromium.launch(executable_path=str(bk.CHROMIUM), headless=True,
                                 args=bk.CHROMIUM_ARGS + bk.fake_camera_args(clip))
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    ok = False
    try:
        bk.open_page(page, server.url, "webcam")
        assert not bk.page_problems(page), bk.page_problems(page)
        if method is not None:
            side = page.locator('[data-testid="stSidebar"]')
            side.get_by_role("combobox", name="Method", exact=True).click()
            page.get_by_role("option", name=method, exact=True).click()
            bk.method_slider(page, slider).wait_for()
            bk.wait_idle(page)
        frame = page.frame_locator('iframe[title*="webrtc"]').first
        frame.get_by_role("button", name=re.compile("start", re.I)).click()
        yield page, frame
        assert not bk.page_problems(page), bk.page_problems(page)
        bk.screenshot(page, shot)
        ok = True
    finally:
        if not ok:
            try:
                bk.screenshot(page, f"FAILED-{shot}")
            except Exception as exc:  # noqa: BLE001
                print(f"could not save the failure screenshot: {exc}")
        context.close()
        browser.close()


def _wait_frames(page, at_least: int, timeout: float = 90.0) -> float:
    """Wait until the page says ``at_least`` frames were processed; the seconds it took."""
    t0, n = time.monotonic(), 0
    while time.monotonic() - t0 < timeout:
        page.wait_for_timeout(1000)
        n = wk.frames_processed(page)
        if n >= at_least:
            return time.monotonic() - t0
    raise AssertionError(f"only {n} frames processed {timeout:.0f} s after START")


def _stream(request: pytest.FixtureRequest, tmp_path: Path, method: str | None, slider: str, shot: str) -> None:
    """START the camera on the Live webcam page (after picking ``method``'s title in the sidebar, if
    given), check frames flow and FPS shows, then move ``slider`` while streaming: a live value
    tunes the running model, so the frames in this model keep counting."""
    with _webcam(request, tmp_path, method, slider, shot) as got:
        if got is None:
            return
        page, frame = got
        elapsed = _wait_frames(page, MIN_FRAMES)
        page.wait_for_timeout(1200)  # one more stats refresh so FPS covers a full window
        fps = float(_metric(page, "FPS"))
        ms = _metric(page, "ms per frame")
        print(f"webcam: {wk.frames_processed(page)} frames, {fps:.1f} FPS, {ms} ms per frame, "
              f"{elapsed:.1f} s after START")
        assert fps > 1.0, f"FPS shown on the page is {fps}"
        assert ms not in ("", "-"), "no per-frame milliseconds on the page"
        if method is not None:  # its warm-up (16 samples, one in 5 frames) is over by MIN_FRAMES
            assert not page.get_by_text("Learning the background").count(), "still learning after the warm-up"

        # a slider moved while streaming tunes the running model: no restart, frames keep counting
        before = _since_reset(page)
        thumb = bk.method_slider(page, slider)
        thumb.focus()
        for _ in range(8):
            thumb.press("ArrowRight")
        page.locator('[data-testid="stRadio"]').get_by_text("grid", exact=True).click()
        bk.wait_idle(page)
        page.wait_for_timeout(2500)
        after = _since_reset(page)
        assert after > before + 10, f"frames in this model went from {before} to {after} after a slider change"

        # the processed stream comes back to the browser (SENDRECV): the output video plays
        size = frame.locator("video").last.evaluate("v => [v.videoWidth, v.videoHeight, v.paused]")
        assert size[0] > 0 and size[1] > 0 and not size[2], f"output video not playing: {size}"
        if method is None:
            _inspect_live_pixel(page)


def _inspector_frames(page, x: int, y: int, more_than: int, timeout: float = 60.0) -> int:
    """Wait until the inspector's chart follows pixel (x, y) over more than ``more_than`` frames."""
    pattern = rf"Pixel \({x}, {y}\) over (\d+) frames since you picked it"
    handle = page.wait_for_function(
        f"""() => {{ for (const t of document.querySelectorAll('.js-plotly-plot .gtitle')) {{
                const m = t.textContent.match(/{pattern}/); if (m && +m[1] > {more_than}) return +m[1]; }}
                return null; }}""", timeout=timeout * 1000)
    return int(handle.json_value())


def _inspect_live_pixel(page) -> None:
    """The pixel inspector on the live stream: it follows the middle pixel from the moment it is opened,
    the chart grows every second, and a click on the latest frame follows another pixel."""
    page.get_by_text("Pixel inspector").click()
    n = _inspector_frames(page, 320, 240, 5)  # the fake camera's 640x480 frames
    assert _inspector_frames(page, 320, 240, n) > n  # it follows the stream
    still = page.frame_locator('iframe[title*="streamlit_image_coordinates"]').locator("img")
    box = still.bounding_box()
    assert box is not None
    still.click(position={"x": 100.5 * box["width"] / 640, "y": 400.5 * box["width"] / 640})
    _inspector_frames(page, 100, 400, 2)


@pytest.mark.browser
def test_webcam_processes_live_frames(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    _stream(request, tmp_path, None, "Var threshold", "webcam_live")


@pytest.mark.browser
def test_webcam_runs_the_learned_model(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """BMN-BSN learns from the stream's first 16 samples (one in 5 frames), then runs at video rate."""
    from bgapp.methods import METHODS

    cls = METHODS["bmn_bsn"]
    if not cls.available():
        pytest.skip(cls.unavailable_reason())
    _stream(request, tmp_path, cls.title, "Threshold", "webcam_bmn_bsn")


@pytest.mark.browser
def test_webcam_says_when_a_method_cannot_keep_up_and_when_the_stream_stops(request: pytest.FixtureRequest,
                                                                             tmp_path: Path) -> None:
    """SuBSENSE at 640x480 takes several times the 33 ms a camera frame allows: the page says so, with
    what would help; a rebuild resets the model's frame count; after STOP the page says the stream
    stopped instead of showing its last rates."""
    from bgapp.methods import METHODS

    cls = METHODS["subsense"]
    if not cls.available():
        pytest.skip(cls.unavailable_reason())
    with _webcam(request, tmp_path, cls.title, "Min color dist", "webcam_slow_method") as got:
        if got is None:
            return
        page, frame = got
        _wait_frames(page, 10)
        note = page.get_by_text(re.compile(r"SuBSENSE \(BGSLibrary\) needs about \d+ ms a frame at \d+x\d+"))
        note.first.wait_for(timeout=60_000)
        assert "faster method" in note.first.inner_text()
        # a change that rebuilds the model: the count of frames in the model starts again
        _wait_frames(page, 25)
        before = _since_reset(page)
        thumb = bk.method_slider(page, "Min color dist")
        thumb.focus()
        thumb.press("ArrowRight")
        bk.wait_idle(page)
        deadline = time.monotonic() + 30
        after = _since_reset(page)
        while after >= before and time.monotonic() < deadline:  # the statistics refresh every second
            page.wait_for_timeout(250)
            after = _since_reset(page)
        assert after < before, f"frames in this model went from {before} to {after} across a restart"
        bk.screenshot(page, "webcam_slow_method_streaming")
        frame.get_by_role("button", name=re.compile("stop", re.I)).click()
        page.get_by_text("The stream is stopped").first.wait_for(timeout=30_000)
        bk.wait_idle(page)
        page.wait_for_timeout(1500)  # one more statistics refresh (every second): it must not bring them back
        assert not page.locator('[data-testid="stMetric"]').count(), "rates still shown after STOP"
        assert not page.get_by_text("The browser now sends").count(), "the resolution warning outlived the stream"
