"""Background-statistics page logic: one pass over a clip collecting the pipeline's running
statistics, sampled median and foreground series."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bgapp.clip import Clip
from bgapp.config import Config
from bgapp.pipeline import Pipeline, Views
from bgapp.stats import ForegroundSeries, RunningStats, SampledMedian

Progress = Callable[[int, int], None]
SAMPLER_DEFAULTS = {k: v.default for k, v in inspect.signature(SampledMedian).parameters.items()}


@dataclass
class StatsRun:
    key: tuple
    frames: int
    running: RunningStats
    sampled: SampledMedian
    series: ForegroundSeries


def run_stats(clip: Clip, key: tuple, method: str, frames: int, every: int, max_samples: int,
              progress: Progress | None = None) -> StatsRun:
    """Process ``frames`` frames with ``method`` (default settings), collecting statistics."""
    pipe = Pipeline(Config(method), Views(stats=True))
    pipe.sampled = SampledMedian(every=every, max_samples=max_samples)
    pipe.prime(clip.source)
    done = 0
    for i in range(frames):
        frame = clip.frame(i)
        if frame is None:
            break
        pipe.process(frame)
        done = i + 1
        if progress is not None:
            progress(done, frames)
    return StatsRun(key, done, pipe.running, pipe.sampled, pipe.series)


def set_stable_threshold(sampled: SampledMedian, threshold: float) -> None:
    """Change the stable-pixel threshold of a filled sampler (summaries recompute on demand)."""
    sampled.set_stable_threshold(threshold)


def stable_share(sampled: SampledMedian) -> float:
    return float(np.count_nonzero(sampled.stable_mask())) / sampled.stable_mask().size
