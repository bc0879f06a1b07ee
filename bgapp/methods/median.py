"""The temporal median background: sampled across a clip, or collected from a live stream."""

from __future__ import annotations

import numpy as np

from ..params import Param
from ..reference import DISTANCES, distance, median_image
from .base import MethodOutput, blur, blur_param, threshold
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
    # A script always samples its median from the input (the engine's live-stream collection never
    # runs there), so it has its own simpler model; tests/test_export.py checks both give the same masks.
    script = "TemporalMedian"
    score_threshold = "threshold"
    inspect_note = ("The background line is the median of the sampled (blurred) frames at this pixel; the score "
                    "is the blurred frame's distance from it, foreground above the threshold.")

    def _restart(self, keep: list[np.ndarray] | None = None) -> None:
        super()._restart(keep)
        self.current: np.ndarray | None = None  # what frames are compared with, also while learning

    def _prepare(self, frame: np.ndarray) -> np.ndarray:
        return blur(frame, self.values["blur"])

    def _fit(self, samples: list[np.ndarray]) -> None:
        self.current = median_image(samples)

    def _score(self, prepared: np.ndarray, frame: np.ndarray) -> MethodOutput:
        assert self.current is not None  # the first frame after a restart is always sampled, so one is fitted
        score = distance(prepared, self.current, self.values["distance"])
        return MethodOutput(threshold(score, self.values["threshold"]), score)

    def background(self) -> np.ndarray | None:
        return self.current
