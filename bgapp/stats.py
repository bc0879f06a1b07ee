"""Per-pixel statistics of a video: running mean/variance, a sampled median background, and the
foreground fraction over time.

These explain *why* a method struggles on a scene (flickering leaves, a parked car, noise) rather
than segment it. Per-frame updates use cv2 in-place float32 ops (NOTES: Welford 1.2 ms at 640x480,
within 0.005 of float64); the expensive summaries are computed only when asked for.
"""

from __future__ import annotations

import cv2
import numpy as np


def foreground_fraction(mask: np.ndarray) -> float:
    """Fraction of pixels that are exactly 255; shadow (127) counts as background, as in CDnet."""
    if mask.size == 0:
        return 0.0
    # numpy, not cv2.compare(mask, 255): OpenCV takes a 1x1 mask for the scalar operand and fails
    return np.count_nonzero(mask == 255) / mask.size


def kth_smallest(stack: np.ndarray, k: int) -> np.ndarray:
    """Per-pixel k-th smallest (0-based) of a uint8 stack N x H x W [x C], exact.

    A bitwise binary search: for each of the 8 bits, count the samples below the candidate with
    cv2 compares. 8 x N passes of cheap integer ops beat sorting along the strided first axis.
    """
    n = stack.shape[0]
    flat = stack.reshape(n, stack.shape[1], -1)  # 2-D planes: cv2 masks need one channel
    shape = flat.shape[1:]
    res = np.zeros(shape, np.uint8)
    cand = np.empty(shape, np.uint8)
    count = np.empty(shape, np.uint8)
    below = np.empty(shape, np.uint8)
    # array operands, not Python scalars: OpenCV mistakes a tiny plane (1x1, 1x3) for the scalar
    one = np.ones(shape, np.uint8)
    kth = np.full(shape, min(k, 255), np.uint8)
    for bit in range(7, -1, -1):
        np.bitwise_or(res, np.uint8(1 << bit), out=cand)
        count[:] = 0
        for plane in flat:
            cv2.compare(plane, cand, cv2.CMP_LT, dst=below)
            cv2.add(count, one, dst=count, mask=below)
        cv2.compare(count, kth, cv2.CMP_LE, dst=below)  # at most k samples below: the answer >= cand
        cv2.copyTo(cand, below, res)
    return res.reshape(stack.shape[1:])


class RunningStats:
    """Welford running per-pixel mean and population variance, float32, updated in place.

    Welford rather than sums of squares: sum(x^2)/n - mean^2 cancels catastrophically in float32
    on bright static pixels. A frame of another shape (size or channels) starts the statistics over.
    """

    def __init__(self) -> None:
        self.count = 0
        self._mean: np.ndarray | None = None
        self._m2: np.ndarray | None = None
        self._delta: np.ndarray | None = None  # scratch buffer, reused every frame

    def reset(self) -> None:
        """Forget every frame seen (the buffers are dropped too)."""
        self.count = 0
        self._mean = self._m2 = self._delta = None

    def update(self, frame: np.ndarray) -> None:
        """Add one frame: four cv2 passes over preallocated float32 buffers, no allocation."""
        mean, m2, delta = self._mean, self._m2, self._delta
        if mean is None or m2 is None or delta is None or mean.shape != frame.shape:
            mean = self._mean = np.zeros(frame.shape, np.float32)
            m2 = self._m2 = np.zeros(frame.shape, np.float32)
            delta = self._delta = np.empty(frame.shape, np.float32)
            self.count = 0
        self.count += 1
        n = self.count
        cv2.subtract(frame, mean, dst=delta, dtype=cv2.CV_32F)  # d = x - mean_old
        cv2.scaleAdd(delta, 1.0 / n, mean, dst=mean)  # mean += d / n
        # M2 += d * (x - mean_new) = d^2 * (n - 1) / n
        cv2.multiply(delta, delta, dst=delta, scale=(n - 1) / n)
        cv2.add(m2, delta, dst=m2)

    @property
    def mean(self) -> np.ndarray | None:
        """Per-pixel mean, float32 frame-shaped (the live buffer: do not modify); None before a frame."""
        return self._mean

    @property
    def variance(self) -> np.ndarray | None:
        """Per-pixel population variance (divides by n), float32 frame-shaped; None before a frame."""
        if self._m2 is None or self.count == 0:
            return None
        return self._m2 * np.float32(1.0 / self.count)

    def mean_image(self) -> np.ndarray | None:
        """The mean as a uint8 image (rounded): what a plain averaging background looks like."""
        return None if self._mean is None else cv2.convertScaleAbs(self._mean)

    def variance_grey(self) -> np.ndarray | None:
        """Per-pixel variance averaged over channels, float32 HxW: a heatmap of how busy each pixel is."""
        var = self.variance
        if var is None or var.ndim == 2:
            return var
        return cv2.transform(var, np.full((1, var.shape[2]), 1.0 / var.shape[2], np.float32))


class SampledMedian:
    """A sampled median background with its stable-pixel mask and a variance heatmap.

    Every ``every``-th frame given to :meth:`update` is kept in a ring buffer of at most
    ``max_samples`` frames (memory bounded: 30 samples of 640x480 BGR is 28 MB). The median of the
    samples recovers the static scene as long as a moving object covers a pixel in fewer than half
    of them. Pixels whose grey level spreads by more than ``stable_threshold`` across the samples
    are *unstable*: flickering leaves, water, a screen. Their median is not a background, so
    :meth:`background` fills them from nearby stable pixels with ``cv2.inpaint`` (Telea), which
    propagates the surrounding colours smoothly into the hole.

    The spread is a robust standard deviation, IQR / 1.349 (equal to the std for Gaussian noise),
    not the plain std: a passer-by seen in a few samples inflates the std along its whole path and
    would get a correct median inpainted away, while the interquartile range ignores anything
    present in under a quarter of the samples. :meth:`variance_map` keeps the plain variance, a
    heatmap of all activity. Summaries are computed on demand and cached until the next sample.
    """

    def __init__(self, every: int = 10, max_samples: int = 30, stable_threshold: float = 20.0) -> None:
        if every < 1 or max_samples < 1:
            raise ValueError("every and max_samples must be at least 1")
        self.every = int(every)
        self.max_samples = int(max_samples)
        self.stable_threshold = float(stable_threshold)
        self.inpaint_radius = 5
        self.reset()

    def set_stable_threshold(self, threshold: float) -> None:
        """Change the stable-pixel threshold; summaries that depend on it are recomputed on demand."""
        threshold = float(threshold)
        if threshold != self.stable_threshold:
            self.stable_threshold = threshold
            for key in ("stable", "background"):
                self._cache.pop(key, None)

    def reset(self) -> None:
        """Drop every sample and the frame count."""
        self._frames: np.ndarray | None = None  # max_samples x H x W x C uint8
        self._greys: np.ndarray | None = None  # max_samples x H x W uint8
        self._seen = 0
        self._stored = 0
        self._cache: dict[str, np.ndarray] = {}

    @property
    def n_samples(self) -> int:
        """How many samples the buffer holds now (at most ``max_samples``)."""
        return min(self._stored, self.max_samples)

    def update(self, frame: np.ndarray) -> bool:
        """Offer a frame; keep it if it is the every-th one (the first is kept). Returns whether kept."""
        if self._frames is not None and self._frames.shape[1:] != frame.shape:
            self.reset()
        take = self._seen % self.every == 0
        self._seen += 1
        if not take:
            return False
        frames, greys = self._frames, self._greys
        if frames is None or greys is None:
            frames = self._frames = np.empty((self.max_samples, *frame.shape), np.uint8)
            greys = self._greys = np.empty((self.max_samples, *frame.shape[:2]), np.uint8)
        slot = self._stored % self.max_samples
        frames[slot] = frame
        if frame.ndim == 3:
            cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY, dst=greys[slot])
        else:
            greys[slot] = frame
        self._stored += 1
        self._cache.clear()
        return True

    def _samples(self) -> tuple[np.ndarray, np.ndarray]:
        """The frames and grey images held (n_samples of each); a ValueError when there are none."""
        n = self.n_samples
        if n == 0 or self._frames is None or self._greys is None:
            raise ValueError("no samples yet: call update() with frames first")
        return self._frames[:n], self._greys[:n]

    def median(self) -> np.ndarray:
        """Raw per-pixel median of the samples, uint8; for an even count the lower middle value.

        Always a value some sample had (no averaging across an object edge). 35 ms for 30 samples
        at 640x480 against 480 ms for ``np.median`` (see :func:`kth_smallest`).
        """
        if "median" not in self._cache:
            frames, _ = self._samples()
            self._cache["median"] = kth_smallest(frames, (len(frames) - 1) // 2)
        return self._cache["median"]

    def variance_map(self) -> np.ndarray:
        """Grey-level variance across the samples, float32 HxW (0 where the scene never changed)."""
        if "variance" not in self._cache:
            _, greys = self._samples()
            self._cache["variance"] = np.var(greys, axis=0, dtype=np.float32)
        return self._cache["variance"]

    def spread(self) -> np.ndarray:
        """Robust grey-level spread across the samples, float32 HxW: IQR / 1.349, in std units."""
        if "spread" not in self._cache:
            _, greys = self._samples()
            n = len(greys)
            q1 = kth_smallest(greys, round(0.25 * (n - 1)))
            q3 = kth_smallest(greys, round(0.75 * (n - 1)))
            self._cache["spread"] = cv2.subtract(q3, q1, dtype=cv2.CV_32F) * np.float32(1 / 1.349)
        return self._cache["spread"]

    def stable_mask(self) -> np.ndarray:
        """uint8 HxW: 255 where the :meth:`spread` is at most ``stable_threshold`` grey levels."""
        if "stable" not in self._cache:
            limit = self.stable_threshold
            self._cache["stable"] = np.where(self.spread() <= limit, np.uint8(255), np.uint8(0))
        return self._cache["stable"]

    def background(self) -> np.ndarray:
        """The median with unstable pixels inpainted from stable neighbours (uint8, frame-shaped).

        If no pixel is stable there is nothing to fill from, and the raw median is returned.
        """
        if "background" not in self._cache:
            med = self.median()
            unstable = cv2.bitwise_not(self.stable_mask())
            if cv2.countNonZero(unstable) in (0, unstable.size):
                self._cache["background"] = med
            else:
                self._cache["background"] = cv2.inpaint(med, unstable, self.inpaint_radius, cv2.INPAINT_TELEA)
        return self._cache["background"]


class ForegroundSeries:
    """Foreground fraction per processed frame with its frame index, for a plot over time.

    Appending is O(1) amortised (arrays that double when full). A worker thread may append while the
    page reads: :meth:`arrays` returns matching copies, taken at one length.
    """

    def __init__(self, capacity: int = 1024, max_points: int = 200_000) -> None:
        self.max_points = max(2, int(max_points))  # a webcam left running keeps the latest ones
        self._indices = np.empty(max(1, capacity), np.int64)
        self._values = np.empty(max(1, capacity), np.float64)
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def append(self, index: int, fraction: float) -> None:
        """Record ``fraction`` (0..1) of foreground pixels at frame ``index``."""
        n = self._n
        if n >= self.max_points:  # drop the oldest half: memory stays bounded on endless streams
            keep = self.max_points // 2
            self._indices[:keep] = self._indices[n - keep:n]
            self._values[:keep] = self._values[n - keep:n]
            n = keep
        elif n == len(self._values):
            self._indices = np.concatenate([self._indices, np.empty_like(self._indices)])
            self._values = np.concatenate([self._values, np.empty_like(self._values)])
        self._indices[n] = index
        self._values[n] = fraction
        self._n = n + 1

    def reset(self) -> None:
        """Forget every value (the storage is kept)."""
        self._n = 0

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """``(indices, values)`` copies of equal length (the length is read before the arrays)."""
        n = self._n
        return self._indices[:n].copy(), self._values[:n].copy()

    @property
    def values(self) -> np.ndarray:
        """Foreground fractions, float64, in the order appended (a copy)."""
        n = self._n
        return self._values[:n].copy()

    @property
    def indices(self) -> np.ndarray:
        """Frame indices matching :attr:`values`, int64 (a copy)."""
        n = self._n
        return self._indices[:n].copy()
