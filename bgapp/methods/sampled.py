"""Backgrounds fitted to a set of frames: the temporal median and the learned model (BMN-BSN).

Both take N frames sampled across a clip before it runs, or, in a live stream, collect the first
N (one kept in ``sample_every``) and then may refit from recent frames every ``refresh`` frames.
That bookkeeping is the model's (:class:`bgapp.standalone.Sampled`); here are the declarations
and what a change of them does to a running model.
"""

from __future__ import annotations

from .. import standalone
from ..params import Param
from .base import Method


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
    """A method whose model (a :class:`bgapp.standalone.Sampled`) fits its background to ``n_frames``
    frames: sampled across a clip (:meth:`prime`), or the first ones of a stream; refitted every
    ``refresh`` frames from the recent samples. Here: which changes forget the samples, and learning."""

    model: standalone.Sampled
    restart_on: frozenset[str] = frozenset({"sample_every"})  # values whose change forgets the samples

    def _carry(self, old: standalone.Sampled) -> None:
        self.model.primed = old.primed  # frames sampled from the clip outlive a reset

    def _configure(self, changed: set[str]) -> None:
        super()._configure(changed)
        if changed & self.restart_on:
            self.model.restart()
        elif "n_frames" in changed:
            self.model.restart(list(self.model.recent))

    @property
    def learning(self) -> bool:
        """True until the full fit exists: at once when primed, after n_frames samples in a stream."""
        return not self.model.fitted
