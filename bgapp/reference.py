"""Reference backgrounds and colour distances for the difference-based methods.

``absdiff``, ``ssim`` and ``median`` compare each frame with a reference image; this module
holds how that reference is obtained (first frame, a captured snapshot, a user image, a
running average, the median of sampled frames) and how a difference is measured.
"""

from __future__ import annotations

from collections import deque

import cv2
import numpy as np

from .frames import to_bgr8

REFERENCE_MODES = ("first", "snapshot", "image", "running_average", "median")
DISTANCES = ("grey", "euclidean", "max", "hsv")


def grey(img: np.ndarray) -> np.ndarray:
    """BGR uint8 to grey uint8."""
    return cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)


def distance(frame: np.ndarray, ref: np.ndarray, kind: str) -> np.ndarray:
    """Per-pixel distance between two BGR uint8 images, in grey levels.

    - ``grey``: |grey(a) - grey(b)|, uint8; blind to changes of hue at equal brightness.
    - ``euclidean``: length of the BGR difference vector, float32 in [0, 441].
    - ``max``: largest per-channel absolute difference, uint8; catches a change in any channel.
    - ``hsv``: chroma change (distance between the two colours on the hue/saturation disc, 0..255)
      or half the change in value, whichever is larger, float32. Brightness counts half, so
      shadows and lighting changes matter less than a change of colour.
    """
    if kind == "grey":
        return cv2.absdiff(grey(frame), grey(ref))
    if kind == "max":
        d = cv2.absdiff(frame, ref)
        return cv2.max(cv2.max(d[:, :, 0], d[:, :, 1]), d[:, :, 2])
    if kind == "euclidean":
        d = cv2.absdiff(frame, ref).astype(np.float32)
        sq = cv2.transform(cv2.multiply(d, d), np.ones((1, 3), np.float32))
        return cv2.sqrt(sq)[..., 0] if sq.ndim == 3 else cv2.sqrt(sq)
    if kind == "hsv":
        return _hsv_distance(frame, ref)
    raise ValueError(f"unknown distance {kind!r}")


_ANGLE = np.arange(256, dtype=np.float64) * (2 * np.pi / 256)
_COS = np.cos(_ANGLE).astype(np.float32)
_SIN = np.sin(_ANGLE).astype(np.float32)


def _hsv_distance(frame: np.ndarray, ref: np.ndarray) -> np.ndarray:
    # Element-wise numpy float32 arithmetic only (table look-ups, products, one sqrt): each is
    # correctly rounded, so the result never depends on memory layout or SIMD paths, and a
    # pixel cannot flip at the threshold between two runs.
    ha, sa, va = cv2.split(cv2.cvtColor(frame, cv2.COLOR_BGR2HSV_FULL))
    hb, sb, vb = cv2.split(cv2.cvtColor(ref, cv2.COLOR_BGR2HSV_FULL))
    sa, sb = sa.astype(np.float32), sb.astype(np.float32)
    dx = sa * cv2.LUT(ha, _COS) - sb * cv2.LUT(hb, _COS)
    dy = sa * cv2.LUT(ha, _SIN) - sb * cv2.LUT(hb, _SIN)
    dx *= dx
    dy *= dy
    dx += dy
    chroma = np.sqrt(dx, out=dx)
    chroma *= np.float32(0.5)  # disc diameter 510 -> 255
    value = cv2.absdiff(va, vb).astype(np.float32)
    value *= np.float32(0.5)
    return np.maximum(chroma, value)


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
        self._live_size = max(1, self.n_frames)  # frames a live stream's median collects
        self._live: deque[np.ndarray] = deque(maxlen=self._live_size)
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
            elif len(self._live) < self._live_size:
                self._live.append(frame.copy())
                self._set(median_image(list(self._live)))
                n, total = len(self._live), self._live_size
                self.note = f"median reference from {n}/{total} frames so far" if n < total else None
        else:
            raise ValueError(f"unknown reference mode {mode!r}")
        if self.image is None:  # every mode above sets one by the first frame
            raise RuntimeError(f"reference mode {mode!r} gave no reference")
        return self.image


def median_image(frames: list[np.ndarray]) -> np.ndarray:
    """Per-pixel median of a list of same-size uint8 images."""
    if len(frames) == 1:
        return frames[0].copy()
    stack = np.stack(frames)
    return np.median(stack, axis=0).astype(np.uint8)
