"""Post-processing: order, kernels, blob area, hole filling, ROI, and odd-size rounding."""

import numpy as np
import pytest

from bgapp.errors import BgappError
from bgapp.postprocess import NO_POST, POST_PARAMS, PostProcessor, fill_holes, remove_small


def _mask():
    m = np.zeros((60, 80), np.uint8)
    m[10:40, 10:40] = 255  # an object
    m[20:25, 20:25] = 0  # a hole inside it
    m[50, 70] = 255  # an isolated noise pixel
    return m


def test_no_post_is_identity():
    m = _mask()
    out = PostProcessor(NO_POST)(m)
    assert np.array_equal(out, m) and out is not m


def test_opening_removes_speck_and_closing_fills_small_hole():
    out = PostProcessor({**NO_POST, "open": 3, "close": 7})(_mask())
    assert out[50, 70] == 0
    assert (out[20:25, 20:25] == 255).all()
    assert out[25, 25] == 255 and out[5, 5] == 0


def test_even_kernel_is_rounded_with_a_note():
    pp = PostProcessor({**NO_POST, "open": 4})
    assert any("even" in n and "5" in n for n in pp.notes.items)
    ref = PostProcessor({**NO_POST, "open": 5})
    m = _mask()
    assert np.array_equal(pp(m), ref(m))


def test_min_area_and_fill_holes():
    m = _mask()
    assert remove_small(m, 2)[50, 70] == 0 and remove_small(m, 2)[15, 15] == 255
    assert (fill_holes(m)[20:25, 20:25] == 255).all()
    # a region touching the border is not a hole
    edge = np.zeros((20, 20), np.uint8)
    edge[:, 5] = 255
    assert np.array_equal(fill_holes(edge), edge)


def test_roi_restricts_and_wrong_size_is_refused():
    roi = np.zeros((60, 80), np.uint8)
    roi[:, :20] = 255
    out = PostProcessor(NO_POST, roi=roi)(_mask())
    assert out[:, 20:].max() == 0 and out[15, 15] == 255
    with pytest.raises(BgappError, match="ROI"):
        PostProcessor(NO_POST, roi=np.zeros((10, 10), np.uint8))(_mask())


def test_declarations_have_help_and_defaults_in_range():
    for p in POST_PARAMS:
        assert len(p.help) > 30
        if p.kind in ("int", "float"):
            assert p.min <= p.default <= p.max
