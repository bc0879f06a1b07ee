"""What a source of frames offers: the one interface the video file, the image sequence and the
synthetic demo implement, and that the pipeline, the evaluator, the CLI and the pages rely on.

Every source has the same members, ground truth included: a clip without ground truth (a video)
says so with ``has_ground_truth`` False, ``ground_truth(i)`` None and no scored frame, rather than
by lacking the members. Sources that read any frame directly (a sequence, the demo) are also
:class:`IndexedSource`; a video streams, and jumps with :meth:`Source.frames_from`.

``sample(n)``, one contract for every source
    Up to ``n`` distinct frames spread evenly over the clip, first and last included, in clip
    order: the frames at :func:`sample_indices` ``(n, length)``. Never padded and never repeated:
    a clip shorter than ``n`` frames gives each of its frames once (fewer than ``n``), ``n <= 0``
    or an empty clip gives ``[]``. A video whose header announces more frames than the file
    holds spaces its picks over the frames that really exist.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, runtime_checkable

import numpy as np

from .standalone import sample_indices

__all__ = ["IndexedSource", "Source", "sample_indices"]


@runtime_checkable
class Source(Protocol):
    """A clip: frames in order (BGR uint8, all of ``size``), what it is, and its ground truth."""

    @property
    def name(self) -> str:
        """Short name for pages and terminals (a file or folder name, ``demo``)."""
        ...

    @property
    def path(self) -> str:
        """Where the frames are read from (a temporary folder for a sequence from a zip; ``demo``)."""
        ...

    @property
    def shown_path(self) -> str:
        """Where the user put it, for reports and messages (``NAME.zip:member`` for a zipped sequence)."""
        ...

    @property
    def category(self) -> str:
        """The CDnet category (the folder above a sequence); ``""`` where there is none."""
        ...

    @property
    def fps(self) -> float:
        ...

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of every frame, as processed (after any ``max_side`` scaling)."""
        ...

    @property
    def notes(self) -> list[str]:
        """What the user should know about the clip (gaps, unpaired files, scaling)."""
        ...

    def __len__(self) -> int:
        """The number of frames (for a video: its header's count, possibly an estimate)."""
        ...

    def __iter__(self) -> Iterator[np.ndarray]:
        """Every frame from the first, one at a time (nothing else is held)."""
        ...

    def frames_from(self, start: int) -> Iterator[np.ndarray]:
        """Frames from index ``start`` on (a video seeks to the keyframe before it)."""
        ...

    def sample(self, n: int) -> list[np.ndarray]:
        """Up to ``n`` frames spread evenly over the clip; see the module's contract."""
        ...

    def ended_early(self, frames_read: int) -> str | None:
        """A note when a full pass read clearly fewer frames than ``len`` announced, else None."""
        ...

    # ground truth (CDnet levels: 0 static, 50 shadow, 85 outside the ROI, 170 unknown, 255 moving)

    @property
    def has_ground_truth(self) -> bool:
        ...

    @property
    def roi(self) -> np.ndarray | None:
        """The spatial ROI (2-D uint8, 255 inside) at ``size``, or None: every pixel counts."""
        ...

    @property
    def temporal_roi(self) -> tuple[int, int] | None:
        """(first, last) frame numbers scored, in :attr:`frame_numbers`' numbering, or None."""
        ...

    @property
    def frame_numbers(self) -> list[int]:
        """Each frame's number: from its file name for a sequence, else its position from 1."""
        ...

    @property
    def scored_indices(self) -> list[int]:
        """0-based positions of the frames scored: with ground truth, inside the temporal ROI."""
        ...

    def scored(self, i: int) -> bool:
        ...

    def ground_truth(self, i: int) -> np.ndarray | None:
        """Labels of frame ``i`` (2-D uint8 at ``size``), or None when that frame has none."""
        ...

    def pairs(self) -> Iterator[tuple[np.ndarray, np.ndarray | None, bool]]:
        """``(frame, ground truth or None, scored)`` for every frame, in order."""
        ...

    def check_ground_truth(self) -> None:
        """Raise a BgappError now if the ground truth cannot be scored (wrong size, levels)."""
        ...

    def frame_label(self, i: int) -> str:
        """How to name frame ``i`` to a user: its file name, else ``frame N`` (from 1)."""
        ...


@runtime_checkable
class IndexedSource(Source, Protocol):
    """A source that reads any frame directly, at the cost of one frame."""

    def frame(self, i: int) -> np.ndarray:
        ...
