"""Compositing behaviour: exact pixels where the mask is hard, soft values only near edges."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from bgapp import composite
from bgapp.composite import (
    COMPOSITE_PARAMS,
    COMPOSITES,
    GREEN,
    MODES,
    Composite,
    Compositor,
    alpha_from_mask,
    blend,
    blur_background,
    draw_contours,
    green_screen,
    overlay,
    register,
    replace_background,
    uses_image,
    vertical_gradient,
)
from bgapp.errors import BgappError
from bgapp.params import Param

H, W = 120, 160


@pytest.fixture
def frame() -> np.ndarray:
    rng = np.random.default_rng(1)
    return rng.integers(0, 256, (H, W, 3), np.uint8)


@pytest.fixture
def mask() -> np.ndarray:
    m = np.zeros((H, W), np.uint8)
    m[30:90, 40:120] = 255
    return m


def test_green_screen_hard_edge_is_exact(frame, mask):
    out = green_screen(frame, mask, feather=0)
    fg = mask == 255
    assert np.array_equal(out[fg], frame[fg])
    assert (out[~fg] == np.array(GREEN, np.uint8)).all()


def test_feather_soft_only_near_edges_and_monotone(mask):
    feather = 6
    alpha = alpha_from_mask(mask, feather)
    assert alpha.dtype == np.float32 and alpha.shape == mask.shape
    assert alpha.min() >= 0.0 and alpha.max() <= 1.0
    soft = (alpha > 0) & (alpha < 1)
    assert soft.any()
    # Every soft pixel lies within `feather` pixels of the mask edge (rows 30..89, cols 40..119).
    ys, xs = np.nonzero(soft)
    assert ys.min() >= 30 - feather and ys.max() <= 89 + feather
    assert xs.min() >= 40 - feather and xs.max() <= 119 + feather
    inner = (ys > 30 + feather) & (ys < 89 - feather) & (xs > 40 + feather) & (xs < 119 - feather)
    assert not inner.any()
    # Rising across the left edge, falling across the right one, on a middle row.
    row = alpha[60]
    assert (np.diff(row[:80]) >= 0).all() and (np.diff(row[80:]) <= 0).all()
    assert row[0] == 0.0 and row[80] == 1.0 and 0 < row[40] < 1


def test_wide_feather_stays_local_and_monotone():
    m = np.zeros((240, 320), np.uint8)
    m[:, 160:] = 255
    alpha = alpha_from_mask(m, 50)
    row = alpha[120]
    assert (np.diff(row) >= 0).all()
    assert row[100] == 0.0 and row[220] == 1.0  # ~50 px each side of the edge at most
    assert 0.3 < row[160] < 0.7


def test_feather_zero_is_hard(mask):
    alpha = alpha_from_mask(mask, 0)
    assert set(np.unique(alpha)) == {0.0, 1.0}


def test_feathered_green_screen_blends_near_edges_only(frame, mask):
    out = green_screen(frame, mask, feather=5)
    assert np.array_equal(out[50:70, 60:100], frame[50:70, 60:100])  # deep inside: the frame
    assert (out[:20] == np.array(GREEN, np.uint8)).all()  # far outside: pure green
    edge = out[60, 36:45].astype(int)
    assert not np.array_equal(edge, frame[60, 36:45]) and not (edge == GREEN).all()


def test_blend_matches_reference():
    rng = np.random.default_rng(2)
    fg = rng.integers(0, 256, (H, W, 3), np.uint8)
    bg = rng.integers(0, 256, (H, W, 3), np.uint8)
    alpha = rng.random((H, W), dtype=np.float32)
    out = blend(fg, bg, alpha)
    ref = bg + alpha[..., None] * (fg.astype(np.float32) - bg)
    assert out.dtype == np.uint8 and out.shape == fg.shape
    assert np.abs(out.astype(float) - ref).max() <= 0.6  # rounding, plus blendLinear epsilon
    assert np.array_equal(blend(fg, bg, np.ones((H, W), np.float32)), fg)
    assert np.array_equal(blend(fg, bg, np.zeros((H, W), np.float32)), bg)


@pytest.mark.parametrize("feather", [0, 4])
def test_blur_keeps_foreground_identical(frame, mask, feather):
    out = blur_background(frame, mask, feather=feather, strength=31)
    inside = np.zeros_like(mask, bool)
    inside[30 + feather : 90 - feather, 40 + feather : 120 - feather] = True
    assert np.array_equal(out[inside], frame[inside])
    # The background really is blurred: far less pixel-to-pixel variation than the noise frame.
    assert np.abs(np.diff(out[:20].astype(int), axis=1)).mean() < 0.2 * np.abs(
        np.diff(frame[:20].astype(int), axis=1)
    ).mean()


def test_blur_even_strength_accepted(frame, mask):
    assert blur_background(frame, mask, 0, 30).shape == frame.shape


def test_replace_background_resizes_other_size_image(frame, mask):
    image = np.zeros((300, 500, 3), np.uint8)
    image[:] = (10, 20, 30)
    out = replace_background(frame, mask, image, feather=0)
    assert out.shape == frame.shape and out.dtype == np.uint8
    assert (out[mask == 0] == (10, 20, 30)).all()
    assert np.array_equal(out[mask == 255], frame[mask == 255])


def test_replace_background_keeps_aspect(frame, mask):
    # A wide image with a red left half and blue right half: covering crops the sides, keeps halves.
    image = np.zeros((100, 400, 3), np.uint8)
    image[:, :200] = (0, 0, 255)
    image[:, 200:] = (255, 0, 0)
    out = replace_background(frame, np.zeros_like(mask), image, feather=0)
    assert (out[:, :75] == (0, 0, 255)).all() and (out[:, 85:] == (255, 0, 0)).all()


def test_overlay_leaves_background_untouched(frame, mask):
    out = overlay(frame, mask, GREEN, opacity=0.5)
    bg = mask == 0
    assert np.array_equal(out[bg], frame[bg])
    fg = mask == 255
    expected = 0.5 * frame[fg].astype(float) + 0.5 * np.array(GREEN)
    assert np.abs(out[fg].astype(float) - expected).max() <= 1.0


def test_contours_boxes_two_blobs():
    frame = np.zeros((H, W, 3), np.uint8)
    m = np.zeros((H, W), np.uint8)
    cv2.circle(m, (40, 60), 20, 255, -1)  # bbox x 20..60, y 40..80
    cv2.circle(m, (120, 60), 15, 255, -1)  # bbox x 105..135, y 45..75
    colour = (0, 0, 255)
    out = draw_contours(frame, m, boxes=True, colour=colour, thickness=1)
    for x0, y0, x1, y1 in ((20, 40, 60, 80), (105, 45, 135, 75)):
        # Corners are outside a circle, so only a box can colour them.
        for x, y in ((x0, y0), (x1, y0), (x0, y1), (x1, y1)):
            assert tuple(out[y, x]) == colour
    assert (out[:, 80] == 0).all()  # nothing between the blobs
    assert (out[5] == 0).all()


def test_contours_min_area_drops_small_blob():
    frame = np.zeros((H, W, 3), np.uint8)
    m = np.zeros((H, W), np.uint8)
    m[10:50, 10:50] = 255
    m[100:104, 140:144] = 255
    out = draw_contours(frame, m, min_area=100, colour=(0, 0, 255), thickness=1)
    assert tuple(out[10, 10]) == (0, 0, 255)
    assert (out[95:110, 135:150] == 0).all()


def test_vertical_gradient():
    g = vertical_gradient(50, 7, (0, 0, 0), (200, 100, 50))
    assert g.shape == (50, 7, 3) and g.dtype == np.uint8
    assert tuple(g[0, 3]) == (0, 0, 0) and tuple(g[-1, 3]) == (200, 100, 50)
    assert (np.diff(g[:, 0, 0].astype(int)) >= 0).all()
    assert (g == g[:, :1]).all()


@pytest.mark.parametrize("mode", MODES)
def test_every_mode_gives_uint8_frame(frame, mask, mode):
    comp = Compositor({"mode": mode, "feather": 3})
    out = comp(frame, mask)
    assert out.dtype == np.uint8 and out.shape == frame.shape


def test_mode_none_returns_frame(frame, mask):
    assert Compositor()(frame, mask) is frame


def test_unknown_mode_and_bad_values_raise():
    with pytest.raises(BgappError):
        Compositor({"mode": "sepia"})
    with pytest.raises(BgappError):
        Compositor({"feather": 51})
    with pytest.raises(BgappError):
        Compositor({"colour": "red"})


def test_params_declared_untuned():
    names = {p.name for p in COMPOSITE_PARAMS}
    assert {"mode", "feather", "blur_strength", "opacity", "box_min_area"} <= names
    assert all(not p.tune for p in COMPOSITE_PARAMS)
    assert all(p.help for p in COMPOSITE_PARAMS)


def test_image_mode_falls_back_then_uses_cached_resized_image(frame, mask):
    comp = Compositor({"mode": "image"})
    out = comp(frame, mask)
    assert comp.note and "gradient" in comp.note
    assert np.array_equal(out, Compositor({"mode": "gradient"})(frame, mask))
    image = np.full((40, 40, 3), 77, np.uint8)
    comp.set_image(image)
    out = comp(frame, mask)
    assert comp.note is None
    assert (out[mask == 0] == 77).all()
    first = comp.context._cache["image"][1]
    comp(frame, mask)
    assert comp.context._cache["image"][1] is first  # resized once, not per frame
    comp.set_image(np.full((40, 40, 3), 9, np.uint8))
    assert (comp(frame, mask)[mask == 0] == 9).all()
    comp.set_image(None)
    comp(frame, mask)
    assert comp.note


def test_blur_mode_notes_even_kernel(frame, mask):
    comp = Compositor({"mode": "blur", "blur_strength": 30})
    comp(frame, mask)
    assert comp.note == "kernel size 30 is even; using 31"


def test_mask_shape_mismatch_raises(frame):
    with pytest.raises(BgappError):
        green_screen(frame, np.zeros((10, 10), np.uint8))


@pytest.mark.parametrize("mode", ["green", "gradient", "blur", "image"])
def test_compositor_reuses_work_buffers_without_aliasing_outputs(frame, mask, mode):
    comp = Compositor({"mode": mode, "feather": 5, "blur_strength": 21})
    comp.set_image(np.full((60, 60, 3), 200, np.uint8))
    first = comp(frame, mask)
    kept = first.copy()
    other = np.ascontiguousarray(frame[::-1])
    second = comp(other, mask)
    assert second is not first and np.array_equal(first, kept)  # a later frame never overwrites
    if mode == "green":
        assert np.array_equal(comp(frame, mask), green_screen(frame, mask, 5))
    if mode == "blur":
        assert np.array_equal(comp(frame, mask), blur_background(frame, mask, 5, 21))
    # A new frame size rebuilds caches and buffers.
    small, small_mask = frame[:60, :80].copy(), mask[:60, :80].copy()
    assert comp(small, small_mask).shape == small.shape


def test_inputs_are_never_modified(frame, mask):
    image = np.full_like(frame, 50)
    before_frame, before_image = frame.copy(), image.copy()
    for feather in (0, 3):
        replace_background(frame, mask, image, feather)
        green_screen(frame, mask, feather)
        blur_background(frame, mask, feather, 11)
        overlay(frame, mask)
        draw_contours(frame, mask)
    assert np.array_equal(frame, before_frame) and np.array_equal(image, before_image)


def test_registry_declares_modes_and_which_controls_each_mode_shows():
    assert MODES == tuple(COMPOSITES) == ("none", "overlay", "contours", "green", "gradient", "blur", "image")
    by_name = {p.name: p for p in COMPOSITE_PARAMS}
    assert by_name["mode"].choices == MODES
    for name, comp in COMPOSITES.items():
        assert comp.name == name and comp.summary.endswith(".")
        assert f"{name}: {comp.summary}" in by_name["mode"].help
        for p in comp.params:  # each setting is shown exactly for the modes that read it
            assert by_name[p.name].visible_if == ("mode", tuple(m for m, c in COMPOSITES.items() if p in c.params))
    assert by_name["feather"].visible_if == ("mode", ("green", "gradient", "blur", "image"))
    assert "(green, gradient, blur, image)" in by_name["feather"].help
    assert [m for m in MODES if uses_image({"mode": m})] == ["image"]


def test_a_new_composite_is_one_class(monkeypatch, frame, mask):
    """A class registered in COMPOSITES gets a mode choice, its controls and a Compositor path."""
    inverted = Param("invert_strength", "float", 1.0, "How much of the inversion shows.", min=0.0, max=1.0)

    class Invert(Composite):
        name = "invert"
        summary = "foreground pixels inverted."
        params = (inverted,)

        def apply(self, frame, mask, values, ctx):
            out = frame.copy()
            out[mask > 0] = 255 - out[mask > 0]
            return out

    monkeypatch.setitem(COMPOSITES, "invert", Invert())
    monkeypatch.setattr(composite, "COMPOSITE_PARAMS", composite._declare())
    params = {p.name: p for p in composite.COMPOSITE_PARAMS}
    assert "invert" in params["mode"].choices and "invert: foreground pixels inverted." in params["mode"].help
    assert params["invert_strength"].visible_if == ("mode", ("invert",))
    out = Compositor({"mode": "invert"})(frame, mask)
    assert np.array_equal(out[mask > 0], 255 - frame[mask > 0]) and np.array_equal(out[mask == 0], frame[mask == 0])


def test_a_setting_declared_twice_is_refused(monkeypatch):
    class Twice(Composite):
        name = "twice"
        summary = "a second feather."
        params = (Param("feather", "int", 0, "Another feather.", min=0, max=5),)

    monkeypatch.setitem(COMPOSITES, "twice", Twice())
    with pytest.raises(ValueError, match="feather"):
        composite._declare()
    with pytest.raises(ValueError, match="twice"):
        register(Twice)
