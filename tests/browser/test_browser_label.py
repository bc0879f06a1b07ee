"""The Label frames page in a real Chromium: a real clip uploaded, two frames labelled by drawing on
the canvas with the mouse, saved, and scored on Evaluate & tune on exactly those two frames; a
labels zip with a wrong-size mask, and one with a mask that is not an image, are refused with a
message naming the file.

Screenshots: ``label_drawn``, ``label_saved``, ``label_evaluated``, ``label_bad_size``,
``label_bad_image`` in ``artifacts/browser/``.
"""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.browser import browserkit as bk

VTEST = bk.ROOT.parent / "shared" / "data" / "video" / "vtest.avi"


def _sidebar(page):
    return page.locator('[data-testid="stSidebar"]')


def _clip(tmp_path: Path) -> Path:
    """The shared sample video, else the demo scene written as an MJPEG AVI (what an upload takes)."""
    if VTEST.exists():
        return VTEST
    from bgapp.synthetic import SyntheticScene

    scene = SyntheticScene(320, 240, n_frames=150)
    path = tmp_path / "scene.avi"
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25, (320, 240))
    for i in range(150):
        out.write(scene.frame(i))
    out.release()
    return path


def _count(page) -> tuple[int, int]:
    text = page.get_by_text(re.compile(r"^\d+ of \d+ frames labelled$")).first.inner_text()
    done, total = re.findall(r"\d+", text)
    return int(done), int(total)


def _canvas(page):
    """The drawing surface: the top canvas of the component (Fabric's, which takes the mouse)."""
    box = page.locator(".canvas-root canvas").last
    box.wait_for(state="visible")
    box.scroll_into_view_if_needed()
    return box


def _stroke(page, points: list[tuple[float, float]]) -> None:
    """Press at the first point, drag through the others, release: a real mouse stroke."""
    box = _canvas(page).bounding_box()
    assert box and box["width"] > 100, box
    page.mouse.move(box["x"] + points[0][0], box["y"] + points[0][1])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(box["x"] + x, box["y"] + y, steps=4)
    page.mouse.up()


def _current_frame(page) -> int:
    """The frame on the canvas, from the line under it (1-based)."""
    text = page.get_by_text(re.compile(r"^Frame \d+ is ")).first.inner_text()
    return int(re.search(r"Frame (\d+)", text).group(1))


@pytest.mark.browser
def test_label_two_frames_by_drawing_save_and_score_them(page, app_server, tmp_path: Path) -> None:
    clip = _clip(tmp_path)
    bk.open_page(page, app_server.url, "label")
    _sidebar(page).get_by_text("Upload a video", exact=True).click()
    bk.wait_idle(page)
    _sidebar(page).locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(clip))
    _sidebar(page).get_by_text(re.compile(rf"^{re.escape(clip.name)}: \d+x\d+")).wait_for(timeout=60_000)
    page.get_by_text("0 of 10 frames labelled").wait_for(timeout=180_000)  # the method's masks, one pass
    bk.wait_idle(page, timeout=180)
    assert not bk.page_problems(page), bk.page_problems(page)
    size = re.search(r": (\d+)x(\d+)", _sidebar(page).get_by_text(re.compile(rf"^{re.escape(clip.name)}: "))
                     .first.inner_text())
    width, height = int(size.group(1)), int(size.group(2))
    box = _canvas(page).bounding_box()
    zoom = box["width"] / width
    assert zoom >= 1 and abs(box["height"] - height * zoom) < 2, (box, width, height)

    # frame one: a foreground stroke across the middle
    first = _current_frame(page)
    y = box["height"] * 0.5
    _stroke(page, [(box["width"] * x, y) for x in (0.3, 0.4, 0.5, 0.6)])
    page.get_by_text("1 of 10 frames labelled").wait_for(timeout=30_000)
    bk.wait_idle(page)
    assert page.get_by_role("radio", name=re.compile(rf"✓ {first}$")).count() == 1, "the frame's pill has a tick"

    # frame two: the next one, through the Next button; a don't-care stroke, by its keyboard shortcut
    page.get_by_role("button", name=re.compile("^Next")).click()
    page.get_by_text(re.compile(r"^Frame \d+ is not labelled yet")).wait_for()
    bk.wait_idle(page)
    second = _current_frame(page)
    assert second > first
    page.locator("body").press("d")
    page.get_by_role("button", name=re.compile("^Don't care brush")).and_(
        page.locator('[data-testid="stBaseButton-primary"]')).wait_for()
    bk.wait_idle(page)
    _stroke(page, [(box["width"] * 0.5, box["height"] * y0) for y0 in (0.3, 0.4, 0.5, 0.6)])
    page.get_by_text("2 of 10 frames labelled").wait_for(timeout=30_000)
    bk.wait_idle(page)
    assert _count(page) == (2, 10)
    assert not bk.page_problems(page), bk.page_problems(page)
    bk.screenshot(page, "label_drawn")

    # save, and the zip holds the two labels where they were drawn
    page.get_by_role("button", name="Save labelled sequence").click()
    page.get_by_text(re.compile(r"Saved .*: 2 labelled frame\(s\) of \d+")).wait_for(timeout=180_000)
    bk.wait_idle(page)
    with page.expect_download() as dl:
        page.get_by_role("button", name="Download labels (zip)").click()
    stem = clip.stem
    assert dl.value.suggested_filename == f"{stem}-labels.zip"
    with zipfile.ZipFile(dl.value.path()) as zf:
        gts = sorted(n for n in zf.namelist() if "/groundtruth/" in n)
        assert gts == [f"{stem}/groundtruth/gt{first:06d}.png", f"{stem}/groundtruth/gt{second:06d}.png"], gts
        one = cv2.imdecode(np.frombuffer(zf.read(gts[0]), np.uint8), cv2.IMREAD_UNCHANGED)
        two = cv2.imdecode(np.frombuffer(zf.read(gts[1]), np.uint8), cv2.IMREAD_UNCHANGED)
    assert one.shape == (height, width)
    row, col = round(height * 0.5), round(width * 0.45)
    assert one[row, col] == 255, "the foreground stroke is in the label"
    assert two[round(height * 0.45), round(width * 0.5)] == 170, "the don't-care stroke is in the label"
    assert not bk.page_problems(page), bk.page_problems(page)
    bk.screenshot(page, "label_saved")

    # Evaluate & tune, in the same session: the labelled sequence, scored on its two labelled frames
    page.locator('[data-testid="stSidebarNav"] a, a[data-testid="stSidebarNavLink"]').filter(
        has_text="Evaluate & tune").first.click()
    page.wait_for_url(re.compile(r"/evaluate$"))
    bk.wait_idle(page)
    page.get_by_text("Labelled here", exact=True).click()
    page.get_by_text(re.compile(rf"^{re.escape(stem)}, saved on the Label frames page")).wait_for()
    bk.wait_idle(page)
    page.get_by_role("button", name="Run evaluation").click()
    page.locator('[data-testid="stMetric"]').first.wait_for(timeout=300_000)
    bk.wait_idle(page, timeout=300)
    value = page.locator('[data-testid="stMetric"]').filter(has_text="F-measure").locator(
        '[data-testid="stMetricValue"]').first.inner_text().strip()
    assert 0.0 <= float(value) <= 1.0, value
    assert page.get_by_text(re.compile(r"1 sequence\(s\), [\d,]+ frames, 2 of them scored")).count() == 1
    assert not bk.page_problems(page), bk.page_problems(page)
    bk.screenshot(page, "label_evaluated")


def _labels_zip(bad: bytes) -> bytes:
    """A labels zip of the demo's size (320x240) whose label for frame 5 is ``bad``."""
    from bgapp.labels import Labels, write_sequence
    from bgapp.synthetic import SyntheticScene

    src = SyntheticScene(n_frames=40)
    with tempfile.TemporaryDirectory() as tmp:
        mask = np.zeros((240, 320), np.uint8)
        folder = write_sequence(src, Labels(src.size, len(src), {2: mask, 4: mask}), Path(tmp) / "mine")
        (folder / "groundtruth" / "gt000005.png").write_bytes(bad)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            for p in sorted(folder.rglob("*")):
                if p.is_file():
                    zf.write(p, p.relative_to(folder.parent).as_posix())
        return buf.getvalue()


@pytest.mark.browser
def test_a_labels_zip_with_a_wrong_size_or_non_image_mask_is_refused_by_name(page, app_server,
                                                                           tmp_path: Path) -> None:
    bk.open_page(page, app_server.url, "label")
    page.get_by_text(re.compile(r"^0 of \d+ frames labelled$")).wait_for(timeout=120_000)
    bk.wait_idle(page)
    uploader = page.locator('[data-testid="stMain"] [data-testid="stFileUploader"] input[type="file"]')
    cases = [
        ("wrong-size.zip", cv2.imencode(".png", np.zeros((10, 10), np.uint8))[1].tobytes(),
         "wrong-size.zip: ground truth gt000005.png is 10x10 but frame in000005.jpg is 320x240", "label_bad_size"),
        ("not-an-image.zip", b"this is a text file, not a mask\n",
         "cannot decode ground truth not-an-image.zip:mine/groundtruth/gt000005.png: not a readable image file",
         "label_bad_image"),
    ]
    for name, bad, message, shot in cases:
        path = tmp_path / name
        path.write_bytes(_labels_zip(bad))
        uploader.set_input_files(str(path))
        alert = page.locator('[data-testid="stAlert"]').filter(has_text=message)
        alert.wait_for(timeout=60_000)
        bk.wait_idle(page)
        assert "Traceback" not in alert.inner_text()
        assert _count(page)[0] == 0, "nothing of a refused zip is loaded"
        assert not bk.page_problems(page), bk.page_problems(page)
        bk.screenshot(page, shot)
