"""Steps a person can see: every declared number moves by a step whose effect shows, on the slider
(arrow keys, drag notches) and in tuning, whatever value it starts from."""

from __future__ import annotations

import pytest

from bgapp.composite import COMPOSITE_PARAMS
from bgapp.methods import METHODS
from bgapp.params import Param
from bgapp.postprocess import POST_PARAMS
from ui.imagediff import BOX_PARAMS, DIFF_PARAMS, SSIM_PARAMS
from ui.widgets import slider_spec

MAX_STEPS = 200  # across a slider's track: more and one arrow press changes nothing a person can see
MIN_STEPS = 10  # fewer and the slider cannot reach the values in between

DECLARED: list[tuple[str, Param]] = [
    *((f"{name}.{p.name}", p) for name, cls in METHODS.items() for p in cls.params),
    *((f"post.{p.name}", p) for p in POST_PARAMS),
    *((f"composite.{p.name}", p) for p in COMPOSITE_PARAMS),
    *((f"image_diff.{p.name}", p) for p in (*DIFF_PARAMS, *SSIM_PARAMS, *BOX_PARAMS)),
]
FLOATS = [(key, p) for key, p in DECLARED if p.kind == "float"]


def test_every_declared_float_is_checked():
    assert len(FLOATS) > 30 and {"subsense.lbsp_threshold", "mog2.learning_rate", "knn.dist2_threshold"} <= {
        key for key, _ in FLOATS}


@pytest.mark.parametrize("key, p", FLOATS, ids=[key for key, _ in FLOATS])
def test_a_float_slider_has_steps_a_person_can_see(key: str, p: Param) -> None:
    lo, hi = p.track
    steps = (hi - lo) / p.step
    assert MIN_STEPS <= steps <= MAX_STEPS, (
        f"{key}: {steps:.0f} steps of {p.step} across the slider's {lo}..{hi}; declare a coarser step "
        f"(or a narrower typical range) so that one arrow press shows")


@pytest.mark.parametrize("key, p", FLOATS, ids=[key for key, _ in FLOATS])
def test_the_slider_keeps_the_declared_step_at_any_value(key: str, p: Param) -> None:
    """At the default (some are C++ defaults off the grid, such as 0.333), at a tuned value between
    the notches and at both ends, an arrow press moves by the declared step, and the value is a notch."""
    lo, hi = p.track
    for value in (p.default, lo, hi, lo + 0.37 * p.step, round(lo + (hi - lo) * 0.613, 6)):
        s_lo, s_hi, step = slider_spec(p, value)
        assert step == p.step, (key, value)
        notches = (value - s_lo) / step
        assert abs(notches - round(notches)) < 1e-6 and s_lo <= value <= s_hi, (key, value, s_lo)
        assert lo <= s_lo < lo + step + 1e-9, "the track loses less than a step at its low end"


def test_the_reported_slider_moves_a_visible_step():
    """The issue's example: SuBSENSE's "Lbsp threshold" moved 0.001 a press from its default 0.333."""
    p = next(p for p in METHODS["subsense"].params if p.name == "lbsp_threshold")
    assert p.default == 0.333, "the C++ default stays"
    lo, _, step = slider_spec(p, p.default)
    assert step == 0.01 and round((p.default - lo) / step, 9).is_integer()
