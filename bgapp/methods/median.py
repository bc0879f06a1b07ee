"""The temporal median background: sampled across a clip, or collected from a live stream."""

from __future__ import annotations

from collections import deque

import numpy as np

from ..params import Param
from ..reference import DISTANCES, distance, median_image
from .base import Method, MethodOutput, blur, blur_param, threshold


class TemporalMedian(Method):
    name = "median"
    title = "Temporal median"
    summary = ("The background is the per-pixel median of frames sampled from the clip, or of the "
               "first frames of a live stream (moving objects vanish from a median), optionally "
               "refreshed from recent frames; pixels far from it are foreground.")
    params = (
        Param("n_frames", "int", 25,
              "Frames the median is taken over. More frames tolerate busier scenes; each "
              "refresh costs more. In a live stream (a webcam) the model learns until it has "
              "collected this many.",
              min=3, max=199, step=2, tune=False),
        Param("refresh", "int", 0,
              "Recompute the median every K frames from recently seen frames, to follow slow "
              "changes (0 = keep the first median: sampled from the clip, or collected from a "
              "live stream).",
              min=0, max=5000, step=1, tune_min=0, tune_max=500, typical=(0, 500)),
        Param("sample_every", "int", 10,
              "Keep one frame in this many for the median, while collecting it from a live "
              "stream and while refreshing: spreads the samples over time so a slow object does "
              "not dominate them.",
              min=1, max=200, step=1, tune=False),
        Param("threshold", "int", 30,
              "Distance (grey levels) from the median above which a pixel is foreground.",
              min=1, max=255, step=1, tune_min=5, tune_max=100, typical=(1, 100)),
        Param("distance", "choice", "grey",
              "How the difference from the median is measured (see absdiff).",
              choices=DISTANCES),
        blur_param(5),
    )
    # A script always samples its median from the input (the engine's live-stream collection never
    # runs there), so it has its own simpler model; tests/test_export.py checks both give the same masks.
    script = "TemporalMedian"

    @property
    def wants_samples(self) -> int:  # type: ignore[override]
        return self.values["n_frames"]

    def _build(self) -> None:
        self.primed: list[np.ndarray] | None = getattr(self, "primed", None)
        self._restart()

    def _restart(self, keep: list[np.ndarray] | None = None) -> None:
        """Forget the median; ``keep`` are samples still valid (at most n_frames are held)."""
        self.recent: deque[np.ndarray] = deque(keep or (), maxlen=self.values["n_frames"])
        self.bg: np.ndarray | None = None
        self.current: np.ndarray | None = None  # what frames are compared with, also while learning
        self.count = 0  # frames seen since the restart: picks one in sample_every
        self.since_refresh = 0

    def _configure(self, changed: set[str]) -> None:
        if "blur" in changed or "sample_every" in changed:
            self._restart()
        elif "n_frames" in changed:
            self._restart(list(self.recent))

    def prime(self, samples: list[np.ndarray]) -> None:
        self.primed = [s.copy() for s in samples] if samples else None
        self.bg = None

    def _set_background(self, bg: np.ndarray) -> None:
        self.bg = self.current = bg
        self.since_refresh = 0

    def _apply(self, frame: np.ndarray) -> MethodOutput:
        v = self.values
        f = blur(frame, v["blur"])
        if self.recent and self.recent[-1].shape != f.shape:
            self.primed = None
            self._restart()
        sampled = self.count % v["sample_every"] == 0
        if sampled:
            self.recent.append(f)
        self.count += 1
        if self.bg is None:
            if self.primed and self.primed[0].shape == frame.shape:
                self._set_background(median_image([blur(s, v["blur"]) for s in self.primed]))
            elif len(self.recent) == self.recent.maxlen:  # a stream: the N samples are in
                self._set_background(median_image(list(self.recent)))
            elif sampled or self.current is None:  # still learning: the median of what is in
                self.current = median_image(list(self.recent))
        elif v["refresh"] and self.since_refresh >= v["refresh"]:
            self._set_background(median_image(list(self.recent)))
        self.since_refresh += 1
        score = distance(f, self.current, v["distance"])
        return MethodOutput(threshold(score, v["threshold"]), score)

    def background(self) -> np.ndarray | None:
        return self.current

    @property
    def learning(self) -> bool:
        """True until the median exists: at once when primed, after n_frames samples in a stream."""
        return self.bg is None
