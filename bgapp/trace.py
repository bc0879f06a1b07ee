"""One pixel followed through the frames a model sees: the data behind the pixel inspector.

A :class:`PixelTrace` is attached to a :class:`bgapp.pipeline.Pipeline` only while someone
inspects a pixel (nothing is recorded otherwise). For each frame it keeps the pixel's value, what
the method compared it with (:meth:`bgapp.methods.Method.inspect`: the background value, a band,
the score and its threshold), the decision before and after post-processing and, where the source
has it, the ground-truth label. It holds at most ``max_frames`` frames (a live stream never ends).

>>> import numpy as np
>>> from bgapp.pipeline import Pipeline
>>> pipe = Pipeline({"method": "absdiff"})
>>> trace = pipe.inspect(5, 3)
>>> frame = np.zeros((8, 10, 3), np.uint8)
>>> _ = pipe.process(frame); frame[:] = 200; _ = pipe.process(frame)  # everything changed
>>> [s.decision for s in trace.samples]
['background', 'foreground']
>>> trace.samples[-1].score > trace.samples[-1].threshold
True
"""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np

from .methods.base import Method, pixel_of

MAX_FRAMES = 3000  # frames a trace keeps (the oldest go first)
DECISIONS = ("background", "shadow", "foreground")
TRUTH = {0: "background", 50: "shadow", 85: "outside the ROI", 170: "unknown", 255: "foreground"}


@dataclass(frozen=True)
class PixelSample:
    """The pixel on one frame. Channel tuples are (B, G, R); see :class:`bgapp.methods.PixelState`."""

    index: int  # the frame's number in its source
    value: tuple[float, ...]
    background: tuple[float, ...] | None
    low: tuple[float, ...] | None
    high: tuple[float, ...] | None
    score: float | None
    threshold: float | None
    decision: str  # the method's: one of DECISIONS
    clean: bool  # foreground after post-processing
    truth: int | None = None  # the ground-truth label (CDnet values, see TRUTH), where known


class Processed(Protocol):
    """What :meth:`PixelTrace.record` reads of a frame's result (a :class:`bgapp.pipeline.FrameResult`)."""

    index: int
    frame: np.ndarray
    raw: np.ndarray
    clean: np.ndarray
    score: np.ndarray | None
    background: np.ndarray | None


@dataclass(frozen=True)
class Event:
    """A change of settings between two frames (drawn as a line on the chart)."""

    index: int  # the first frame with the new settings
    text: str


class PixelTrace:
    """The recorded history of pixel (``x``, ``y``); see the module docstring."""

    def __init__(self, x: int, y: int, max_frames: int = MAX_FRAMES) -> None:
        self.x, self.y = int(x), int(y)
        self.samples: deque[PixelSample] = deque(maxlen=max_frames)
        self.events: deque[Event] = deque(maxlen=64)
        self._lock = threading.Lock()  # a live stream records on its own thread while the page reads

    def latest(self) -> tuple[list[PixelSample], list[Event]]:
        """A consistent copy of the samples and events (safe while another thread records)."""
        with self._lock:
            return list(self.samples), list(self.events)

    def record(self, result: Processed, method: Method) -> None:
        """Add ``result``'s frame, reading the method's state right after it processed that frame."""
        x, y = self.x, self.y
        value = pixel_of(result.frame, x, y)
        if value is None:  # a stream whose frames shrank below the pixel: nothing to show for this frame
            return
        state = method.inspect(x, y, result.background)
        score = pixel_of(result.score, x, y)
        fg = result.raw[y, x] > 0
        decision = "shadow" if state.shadow else "foreground" if fg else "background"
        sample = PixelSample(
            index=result.index, value=value, background=state.background, low=state.low, high=state.high,
            score=None if score is None else score[0], threshold=state.threshold, decision=decision,
            clean=bool(result.clean[y, x] > 0))
        with self._lock:
            self.samples.append(sample)

    def redraw(self, result: Processed) -> None:
        """The post-processing changed and ``result`` (the last frame) was drawn again: update its decision."""
        with self._lock:
            if self.samples and self.samples[-1].index == result.index:
                self.samples[-1] = replace(self.samples[-1], clean=bool(result.clean[self.y, self.x] > 0))

    def set_truth(self, index: int, gt: np.ndarray | None) -> None:
        """The ground-truth label of frame ``index`` at the pixel (None: no label for that frame)."""
        label = pixel_of(gt, self.x, self.y)
        with self._lock:
            if label is not None and self.samples and self.samples[-1].index == index:
                self.samples[-1] = replace(self.samples[-1], truth=int(label[0]))

    def mark(self, index: int, text: str) -> None:
        with self._lock:
            self.events.append(Event(index, text))

    def clear(self) -> None:
        """Forget everything (the model restarted from nothing)."""
        with self._lock:
            self.samples.clear()
            self.events.clear()

    def rows(self) -> list[dict[str, Any]]:
        """One row per frame (a table for pandas or a chart): ``frame``, the value (``B``/``G``/``R``, or
        ``grey``), ``background B``..., ``low B``/``high B``..., ``score``, ``threshold``, ``decision``,
        ``clean`` and ``truth`` (a name from TRUTH, or empty). Missing values are NaN."""
        rows: list[dict[str, Any]] = []
        for s in self.latest()[0]:
            row: dict[str, Any] = {"frame": s.index}
            for name, vals in (("", s.value), ("background ", s.background), ("low ", s.low), ("high ", s.high)):
                for c, ch in enumerate(_channels(s.value)):
                    row[f"{name}{ch}"] = math.nan if vals is None or c >= len(vals) else vals[c]
            row.update(score=math.nan if s.score is None else s.score,
                       threshold=math.nan if s.threshold is None else s.threshold,
                       decision=s.decision, clean="foreground" if s.clean else "background",
                       truth="" if s.truth is None else TRUTH.get(s.truth, str(s.truth)))
            rows.append(row)
        return rows


def _channels(value: tuple[float, ...]) -> tuple[str, ...]:
    return ("grey",) if len(value) == 1 else ("B", "G", "R")[: len(value)]
