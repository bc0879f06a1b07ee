"""The temporal median background: sampled across a clip, or collected from a live stream."""

from __future__ import annotations

import numpy as np

from .. import standalone
from ..params import Param
from ..standalone import DISTANCES
from .base import blur_param
from .sampled import SampledBackground, sample_params


class TemporalMedian(SampledBackground):
    name = "median"
    title = "Temporal median"
    summary = ("The background is the per-pixel median of frames sampled from the clip, or of the "
               "first frames of a live stream (moving objects vanish from a median), optionally "
               "refreshed from recent frames; pixels far from it are foreground.")
    params = (
        *sample_params(25, 3, 199, 2, "More frames tolerate busier scenes; each refresh costs more."),
        Param("threshold", "int", 30,
              "Distance (grey levels) from the median above which a pixel is foreground.",
              min=1, max=255, step=1, tune_min=5, tune_max=100, typical=(1, 100)),
        Param("distance", "choice", "grey",
              "How the difference from the median is measured (see absdiff).",
              choices=DISTANCES),
        blur_param(5),
    )
    restart_on = frozenset({"sample_every", "blur"})
    model_class = standalone.TemporalMedian
    model: standalone.TemporalMedian
    score_threshold = "threshold"
    inspect_note = ("The background line is the median of the sampled (blurred) frames at this pixel; the score "
                    "is the blurred frame's distance from it, foreground above the threshold.")

    def background(self) -> np.ndarray | None:
        return self.model.background
