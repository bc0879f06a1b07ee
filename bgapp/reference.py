"""Reference backgrounds and colour distances for the difference-based methods.

``absdiff``, ``ssim`` and ``median`` compare each frame with a reference image; this module
holds how that reference is obtained (first frame, a captured snapshot, a user image, a
running average, the median of sampled frames). How a difference is measured (:func:`distance`)
and the median itself live in :mod:`bgapp.standalone`, which the script export copies; its own
``Reference`` knows only the modes a script can run, and tests/test_export.py checks the two
give the same masks.
"""

from __future__ import annotations

from collections import deque

import cv2
import numpy as np

from .frames import to_bgr8
from .standalone import DISTANCES, distance, grey, median_image

REFERENCE_MODES = ("first", "snapshot", "image", "running_average", "median")
__all__ = ["DISTANCES", "REFERENCE_MODES", "Reference", "distance", "grey", "median_image"]


class Reference:
    """The reference background of a difference method, and how it evolves.

    Modes: ``first`` (first frame after a reset), ``snapshot`` (a frame the user captured),
    ``image`` (an uploaded picture, resized to the frame), ``running_average`` (exponential
    average with ``rate``), ``median`` (per-pixel median of ``n_frames`` frames: sampled from the
    whole clip when :meth:`prime` is given them, otherwise gathered from the first frames seen).
    Until a snapshot or image exists the first frame stands in, and :attr:`note` says so.
    """

    def __init__(self, mode: str = "first", rate: float = 0.02, n_frames: int = 25) -> None:
        self.mode = mode
        self.rate = float(rate)
        self.n_frames = int(n_frames)
        self.user_image: np.ndarray | None = None
        self.snapshot: np.ndarray | None = None
        self.primed: list[np.ndarray] | None = None
        self.reset()

    def reset(self) -> None:
        """Forget the learned reference (a snapshot, image or primed samples are kept)."""
        self.image: np.ndarray | None = None
        self._avg: np.ndarray | None = None
        self._live: deque[np.ndarray] = deque(maxlen=max(1, self.n_frames))
        self.version = 0  # bumps whenever the image changes, so callers can cache derived data
        self.note: str | None = None

    def configure(self, mode: str, rate: float, n_frames: int) -> None:
        """Apply new settings; a new mode or sample count restarts the reference."""
        restart = mode != self.mode or int(n_frames) != self.n_frames
        self.mode, self.rate, self.n_frames = mode, float(rate), int(n_frames)
        if restart:
            self.reset()

    def prime(self, samples: list[np.ndarray]) -> None:
        """Give frames sampled across the clip, for the ``median`` mode."""
        self.primed = [to_bgr8(s) for s in samples] if samples else None
        self.reset()

    def capture(self, frame: np.ndarray) -> None:
        """Use ``frame`` as the snapshot reference."""
        self.snapshot = to_bgr8(frame).copy()
        self.reset()

    def set_image(self, img: np.ndarray | None) -> None:
        """Use a user's image as the reference (resized to the frames when they differ)."""
        self.user_image = None if img is None else to_bgr8(img)
        self.reset()

    def _set(self, img: np.ndarray) -> None:
        self.image = img
        self.version += 1

    def update(self, frame: np.ndarray) -> np.ndarray:
        """Advance with ``frame`` and return the reference to compare it with (BGR uint8)."""
        shape = frame.shape
        if self.image is not None and self.image.shape != shape:
            self.reset()
        mode = self.mode
        if mode == "first":
            if self.image is None:
                self._set(frame.copy())
        elif mode in ("snapshot", "image"):
            src = self.snapshot if mode == "snapshot" else self.user_image
            if src is None:
                if self.image is None:
                    self._set(frame.copy())
                    what = "snapshot captured" if mode == "snapshot" else "reference image given"
                    self.note = f"no {what} yet: using the first frame"
            elif self.image is None:
                fitted = src if src.shape == shape else cv2.resize(src, (shape[1], shape[0]))
                self._set(fitted)
        elif mode == "running_average":
            if self._avg is None:
                self._avg = frame.astype(np.float32)
            else:
                cv2.accumulateWeighted(frame, self._avg, self.rate)
            self._set(cv2.convertScaleAbs(self._avg))
        elif mode == "median":
            if self.primed and self.primed[0].shape == shape:
                if self.image is None:
                    self._set(median_image(self.primed))
            elif len(self._live) < self._live.maxlen:
                self._live.append(frame.copy())
                self._set(median_image(list(self._live)))
                n, total = len(self._live), self._live.maxlen
                self.note = f"median reference from {n}/{total} frames so far" if n < total else None
        else:
            raise ValueError(f"unknown reference mode {mode!r}")
        return self.image

