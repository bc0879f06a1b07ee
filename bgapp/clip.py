"""Frame ``i`` of any source, for players and scrubbing, holding only a few decoded frames."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Generator, Iterator

import numpy as np

from .source import IndexedSource, Source

SEEK_AHEAD = 50  # a forward jump longer than this seeks instead of decoding the frames between


class Clip:
    """Frame ``i`` of any source: random access for an :class:`~bgapp.source.IndexedSource`
    (a sequence, the demo), otherwise (a video) a streamed cursor that seeks with
    ``frames_from`` to go back or jump far ahead, plus a few recent frames.

    Only ``keep`` decoded frames are held, never the whole video. ``n`` starts as the source's
    count (an estimate for some videos) and shrinks to the truth when the stream ends early,
    with the source's note on it in ``note`` (a seek that lands past the real end decodes from
    the start once to find it).
    """

    def __init__(self, source: Source, keep: int = 4) -> None:
        self.source = source
        self.indexed: IndexedSource | None = source if isinstance(source, IndexedSource) else None
        self.n = max(1, len(source))
        self.fps = float(source.fps or 25.0)
        self.has_gt = source.has_ground_truth
        self.roi = source.roi
        self.name = source.name
        self._keep = keep
        self._recent: OrderedDict[int, np.ndarray] = OrderedDict()
        self._it: Iterator[np.ndarray] | None = None
        self._pos = 0
        self._start = 0  # where the cursor was opened
        self.note: str | None = None  # set when the stream proves shorter than its header said

    @property
    def random(self) -> bool:
        """Whether any frame is read directly (no cursor)."""
        return self.indexed is not None

    def frame(self, i: int) -> np.ndarray | None:
        """Frame ``i`` (BGR uint8), or None past the end."""
        if i >= self.n or i < 0:
            return None
        if self.indexed is not None:
            return self.indexed.frame(i)
        if i in self._recent:
            return self._recent[i]
        if self._it is None or i < self._pos or i - self._pos > SEEK_AHEAD:
            self._open(i)  # a video seeks to the keyframe before i
        img = None
        while self._pos <= i:
            assert self._it is not None
            try:
                img = next(self._it)
            except StopIteration:
                if self._pos == self._start > 0:  # a seek past the real end tells nothing about where it is
                    self._open(0)
                    continue
                self.n = max(1, self._pos)
                self.note = self.source.ended_early(self._pos)
                self.close()
                return None
            self._recent[self._pos] = img
            if len(self._recent) > self._keep:
                self._recent.popitem(last=False)
            self._pos += 1
        return img

    def truth(self, i: int) -> tuple[np.ndarray | None, bool]:
        """Ground truth of frame ``i`` and whether it is scored (CDnet temporal ROI)."""
        if not self.has_gt:
            return None, False
        gt = self.source.ground_truth(i)
        return gt, gt is not None and self.source.scored(i)

    def _open(self, start: int) -> None:
        self.close()
        self._it = self.source.frames_from(start)
        self._pos = self._start = start

    def close(self) -> None:
        """Stop the cursor (a video's container closes); the next frame opens a new one."""
        if isinstance(self._it, Generator):
            self._it.close()
        self._it = None
        self._pos = 0
