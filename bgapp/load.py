"""How busy the server machine is: what a student's webcam page shows when frames are skipped.

Every session's own worker drops the frames it has no time for (:class:`bgapp.live.NewestFrameWorker`),
so an overloaded server keeps each picture live rather than queueing; the page says whether the
cause is the method (its own ms per frame) or the machine (every session competing for its cores).
One sample is shared by all sessions of a process and taken at most once a second.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass

BUSY = 0.9  # the share of the machine's cores above which it is at its limit


@dataclass(frozen=True)
class Load:
    """CPU in use on the whole machine over the last interval: ``busy`` of ``cores`` cores."""

    busy: float
    cores: int

    @property
    def share(self) -> float:
        return self.busy / self.cores if self.cores else 0.0

    @property
    def at_limit(self) -> bool:
        return self.share >= BUSY

    def text(self) -> str:
        return f"{self.busy:.1f} of {self.cores} cores busy ({100 * self.share:.0f} %)"


def _cpu_times() -> tuple[float, float] | None:
    """(busy, total) CPU seconds of the machine since boot, or None where they cannot be read."""
    try:
        import psutil
    except ImportError:
        return None
    t = psutil.cpu_times()
    idle = t.idle + getattr(t, "iowait", 0.0)
    total = sum(t)
    return total - idle, total


class _Sampler:
    def __init__(self, every: float = 1.0) -> None:
        self.every = every
        self._lock = threading.Lock()
        self._last: tuple[float, float, float] | None = None  # (monotonic, busy, total)
        self._load: Load | None = None

    def load(self) -> Load | None:
        now = time.monotonic()
        with self._lock:
            if self._last is not None and now - self._last[0] < self.every:
                return self._load
            times = _cpu_times()
            if times is None:
                return None
            cores = os.cpu_count() or 1
            if self._last is not None and times[1] > self._last[2]:
                share = (times[0] - self._last[1]) / (times[1] - self._last[2])
                self._load = Load(max(0.0, min(1.0, share)) * cores, cores)
            self._last = (now, *times)
            return self._load


_sampler = _Sampler()


def machine_load() -> Load | None:
    """The machine's load since the previous sample (None on the very first call or without psutil)."""
    return _sampler.load()
