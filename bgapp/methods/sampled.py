"""Backgrounds fitted to a set of frames: the temporal median and the learned model (BMN-BSN).

Both take N frames sampled across a clip before it runs, or, in a live stream, collect the first
N (one kept in ``sample_every``) and then may refit from recent frames every ``refresh`` frames.
That bookkeeping is written once here; a subclass says how it fits and how it scores.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from ..params import Param
from .base import Method, MethodOutput


def sample_params(default: int, low: int, high: int, step: int, more: str, every: int = 10) -> tuple[Param, ...]:
    """``n_frames`` (``default`` in ``low..high``), ``refresh`` and ``sample_every`` (``every``);
    ``more`` says what more frames buy."""
    return (
        Param("n_frames", "int", default,
              f"Frames the background is fitted to. {more} In a live stream (a webcam) the model "
              "learns until it has collected this many.",
              min=low, max=high, step=step, tune=False),
        Param("refresh", "int", 0,
              "Refit the background every K frames from recently seen frames, to follow slow "
              "changes (0 = keep the first fit: sampled from the clip, or collected from a "
              "live stream).",
              min=0, max=5000, step=1, tune_min=0, tune_max=500, typical=(0, 500)),
        Param("sample_every", "int", every,
              "Keep one frame in this many for the fit, while collecting it from a live stream "
              "and while refreshing: spreads the samples over time so a slow object does not "
              "dominate them.",
              min=1, max=200, step=1, tune=False),
    )


class SampledBackground(Method):
    """A background fitted to ``n_frames`` frames: sampled across a clip (:meth:`prime`), or the
    first ones of a stream; refitted every ``refresh`` frames from the recent samples."""

    restart_on: frozenset[str] = frozenset({"sample_every"})  # values whose change forgets the samples

    @property
    def wants_samples(self) -> int:  # type: ignore[override]
        return self.values["n_frames"]

    def _prepare(self, frame: np.ndarray) -> np.ndarray:
        """What is kept of a frame as a sample and scored (the median blurs it)."""
        return frame

    def _fit(self, samples: list[np.ndarray]) -> None:
        """Fit the background to prepared ``samples`` (also while a stream is still collecting)."""
        raise NotImplementedError

    def _score(self, prepared: np.ndarray, frame: np.ndarray) -> MethodOutput:
        """The mask (and score) of ``frame`` against the current fit."""
        raise NotImplementedError

    def _build(self) -> None:
        self.primed: list[np.ndarray] | None = getattr(self, "primed", None)
        self._restart()

    def _restart(self, keep: list[np.ndarray] | None = None) -> None:
        """Forget the fit; ``keep`` are samples still valid (at most n_frames are held)."""
        self.recent: deque[np.ndarray] = deque(keep or (), maxlen=self.values["n_frames"])
        self.fitted = False  # fitted to the full sample (primed, or n_frames collected)
        self.has_fit = False  # some fit exists, also a partial one while a stream collects
        self.count = 0  # frames seen since the restart: picks one in sample_every
        self.since_refresh = 0

    def _configure(self, changed: set[str]) -> None:
        if changed & self.restart_on:
            self._restart()
        elif "n_frames" in changed:
            self._restart(list(self.recent))

    def prime(self, samples: list[np.ndarray]) -> None:
        self.primed = [s.copy() for s in samples] if samples else None
        self.fitted = False

    def _refit(self, samples: list[np.ndarray]) -> None:
        self._fit(samples)
        self.fitted = self.has_fit = True
        self.since_refresh = 0

    def _apply(self, frame: np.ndarray) -> MethodOutput:
        v = self.values
        f = self._prepare(frame)
        if self.recent and self.recent[-1].shape != f.shape:
            self.primed = None
            self._restart()
        sampled = self.count % v["sample_every"] == 0
        if sampled:
            self.recent.append(f)
        self.count += 1
        if not self.fitted:
            if self.primed and self.primed[0].shape == frame.shape:
                self._refit([self._prepare(s) for s in self.primed])
            elif len(self.recent) == self.recent.maxlen:  # a stream: the N samples are in
                self._refit(list(self.recent))
            elif sampled or not self.has_fit:  # still learning: fit what is in
                self._fit(list(self.recent))
                self.has_fit = True
        elif v["refresh"] and self.since_refresh >= v["refresh"]:
            self._refit(list(self.recent))
        self.since_refresh += 1
        return self._score(f, frame)

    @property
    def learning(self) -> bool:
        """True until the full fit exists: at once when primed, after n_frames samples in a stream."""
        return not self.fitted
