"""Sigma-Delta background estimation (Manzanera & Richefeu 2007), in numpy.

BGSLibrary ships it too, but its wrapper's SigmaDelta reads variances it never initialised (two
thirds of each row), so its masks are not a function of the video; this is the same update rule,
written once in :mod:`bgapp.standalone` and run by the engine and by exported scripts alike.
Every value changes on the running model: nothing rebuilds.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .. import standalone
from ..params import Param
from .base import Method, PixelState, pixel_of


class SigmaDelta(Method):
    name = "sigma_delta"
    title = "Sigma-Delta"
    summary = ("A background and a variance per pixel that each step one grey level a frame, like a "
               "sigma-delta converter: integer arithmetic, very cheap, and the variance adapts so busy "
               "pixels need a bigger change (Manzanera & Richefeu 2007).")
    params = (
        Param("amp_factor", "int", 1,
              "The variance follows this many times the pixel's difference from the background. Higher: "
              "a pixel that keeps changing needs a bigger change to be foreground (fewer false alarms on "
              "busy backgrounds, more missed objects).",
              min=1, max=10, step=1, tune_min=1, tune_max=6),
        Param("min_var", "int", 15,
              "The smallest variance: the noise floor below which no change is foreground. Higher: "
              "cleaner masks, faint objects lost.",
              min=1, max=255, step=1, tune_min=2, tune_max=60, typical=(1, 100)),
        Param("max_var", "int", 255,
              "The largest variance. Lower caps how far a busy pixel can desensitise itself.",
              min=1, max=255, step=1, tune=False),
    )
    model_class = standalone.SigmaDelta
    inspect_note = ("The background line is the mean M, which steps one grey level a frame towards the pixel; "
                    "the band is M \u00b1 V, V the variance, which steps towards amp_factor times the distance "
                    "and stays within [min_var, max_var]. The pixel is foreground where any channel leaves "
                    "its band (the edge included).")

    @classmethod
    def model_args(cls, values: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """``max_var`` raised to ``min_var`` where it is lower, with a note."""
        lo, hi = values["min_var"], values["max_var"]
        notes = [f"max_var {hi} is below min_var {lo}: using {lo}"] if hi < lo else []
        return {"amp_factor": values["amp_factor"], "min_var": lo, "max_var": max(hi, lo)}, notes

    def background(self) -> np.ndarray | None:
        return None if self.model.m is None else self.model.m.astype(np.uint8)

    def inspect(self, x: int, y: int, background: np.ndarray | None = None) -> PixelState:
        m, v = self.model.m, self.model.v
        mean, var = pixel_of(m, x, y), pixel_of(v, x, y)
        if mean is None or var is None:
            return PixelState()
        return PixelState(background=mean, low=tuple(a - b for a, b in zip(mean, var)),
                          high=tuple(a + b for a, b in zip(mean, var)))
