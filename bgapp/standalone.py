# bgapp's standalone pipeline: background subtraction with OpenCV and numpy only (BGSLibrary's
# methods import its wrapper, pybgs, when their first frame comes).
#
# This module imports nothing but cv2, numpy and the standard library, so that `bgapp export
# --format python` can copy it verbatim into a script that runs anywhere OpenCV runs; the script
# adds a CONFIG (which model, its values, the post-processing) and calls main(sys.argv, CONFIG).
# Its model classes are the algorithms: bgapp's methods (bgapp.methods) each hold one and add only
# what the lab needs on top (declared parameters, live changes, views, notes), and the engine imports
# the primitives below (reading frames, distances, SSIM, post-processing), so each is written once.
#
# On purpose: no `from __future__` import and no module docstring (the exported script's own
# docstring comes first), no bgapp or relative import.

import ctypes
import os
import re
import sys
import tempfile
from collections import deque

import cv2
import numpy as np

USAGE = """Usage: python SCRIPT INPUT OUTDIR

INPUT   a video file, or a folder of images read in natural order (frame_2 before frame_10); a
        CDnet-style sequence folder (with input/ or in/) works too.
OUTDIR  receives one PNG mask per frame, in order: mask000001.png, mask000002.png, ...
        (255 = foreground, 0 = background).

Needs OpenCV and numpy (a BGSLibrary method also pybgs). On image folders the masks equal bgapp's
pixel for pixel; on video files OpenCV's decoder may differ from bgapp's (PyAV) by a grey level here
and there."""

RNG_SEED = 0x5EED  # bgapp seeds OpenCV's generator at every model start (KNN, GMG, GSOC, LSBP draw from it)
IMAGE_EXTS = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"})
INPUT_DIRS = ("input", "in")
DISTANCES = ("grey", "euclidean", "max", "hsv")
SHAPES = {"ellipse": cv2.MORPH_ELLIPSE, "rect": cv2.MORPH_RECT, "cross": cv2.MORPH_CROSS}
MORPHOLOGY = ("open", "close", "dilate", "erode")  # in the order they run


class InputError(Exception):
    """A problem with the input (a path, a file, a pixel type), said in one line."""


# Reading frames ----------------------------------------------------------------------------------

def natural_key(name):
    """Sort key that puts frame_2 before frame_10 (UCSD names are not zero-padded)."""
    return [int(tok) if tok.isdigit() else tok.lower() for tok in re.split(r"(\d+)", name)]


def to_bgr8(img):
    """``img`` as a contiguous HxWx3 uint8 BGR array.

    Grey images are replicated to three channels, a fourth (alpha) channel is dropped, 16-bit
    images are scaled by 1/257 (65535 maps to 255), float images in [0, 1] by 255.
    """
    if img is None or not isinstance(img, np.ndarray) or img.size == 0:
        raise InputError("empty image: no pixels to process")
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    if img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[2] not in (3, 4)):
        raise InputError(f"unsupported image shape {img.shape}: expected grey, BGR or BGRA")
    if img.dtype == np.uint16:
        img = ((img.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    elif img.dtype in (np.float32, np.float64):
        img = np.clip(np.nan_to_num(img) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    elif img.dtype == np.bool_:
        img = img.astype(np.uint8) * 255
    elif img.dtype != np.uint8:
        raise InputError(f"unsupported pixel type {img.dtype}: expected 8- or 16-bit images")
    if img.ndim == 2:
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    elif img.shape[2] == 4:
        img = cv2.cvtColor(img, cv2.COLOR_BGRA2BGR)
    return np.ascontiguousarray(img)


def read_image(path):
    data = np.fromfile(path, dtype=np.uint8)
    img = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    if img is None:
        raise InputError(f"cannot decode image {os.path.basename(path)}")
    return to_bgr8(img)


def sample_indices(n, length):
    """The frames ``sample(n)`` picks from ``length``: ``min(n, length)`` distinct indices from 0 to
    ``length - 1``, evenly spaced (rounded), ascending; ``[]`` when either is 0 or less. Never padded
    or repeated, so a shorter clip gives fewer (the engine's sources follow the same contract)."""
    k = min(n, length)
    if k <= 0:
        return []
    if k == 1:
        return [0]
    return np.unique(np.linspace(0, length - 1, k).round().astype(int)).tolist()


class Frames:
    """The frames of a video file or an image folder (a sequence folder's input/ or in/ too)."""

    def __init__(self, path):
        self.path = path
        self.files = None
        if os.path.isdir(path):
            folder = path
            subdirs = {d.lower(): d for d in os.listdir(path) if os.path.isdir(os.path.join(path, d))}
            for name in INPUT_DIRS:
                if name in subdirs:
                    folder = os.path.join(path, subdirs[name])
                    break
            names = [n for n in os.listdir(folder) if not n.startswith(".")
                     and os.path.splitext(n)[1].lower() in IMAGE_EXTS and os.path.isfile(os.path.join(folder, n))]
            if not names:
                raise InputError(f"no images in {folder}")
            self.files = [os.path.join(folder, n) for n in sorted(names, key=natural_key)]
            self.size = read_image(self.files[0]).shape[:2]
        elif os.path.isfile(path):
            cap = cv2.VideoCapture(path)
            ok = cap.isOpened()
            self.count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) if ok else 0
            cap.release()
            if not ok:
                raise InputError(f"cannot open video {path}")
        else:
            raise InputError(f"no such file or folder: {path}")

    def __len__(self):
        return len(self.files) if self.files is not None else max(self.count, 1)

    def frame(self, i):
        if self.files is None:
            raise InputError("only an image folder reads frames by number")
        img = read_image(self.files[i])
        if img.shape[:2] != self.size:
            raise InputError(f"frame {os.path.basename(self.files[i])} is not the size of the first frame")
        return img

    def __iter__(self):
        if self.files is not None:
            for i in range(len(self.files)):
                yield self.frame(i)
            return
        cap = cv2.VideoCapture(self.path)
        try:
            while True:
                ok, img = cap.read()
                if not ok:
                    return
                yield to_bgr8(img)
        finally:
            cap.release()

    def sample(self, n):
        """Up to ``n`` frames evenly spaced from first to last, as bgapp picks them (sample_indices)."""
        if self.files is not None:
            return [self.frame(i) for i in sample_indices(n, len(self))]
        picks, total = self._sample_pass(sample_indices(n, len(self)))
        if len(picks) < min(n, len(self)) and total > 0:  # shorter than its header said
            picks, _ = self._sample_pass(sample_indices(n, total))
        return picks

    def _sample_pass(self, wanted):
        picks: list = []
        total = 0
        if not wanted:
            return picks, total
        for i, img in enumerate(self):
            total = i + 1
            if i == wanted[len(picks)]:
                picks.append(img)
                if len(picks) == len(wanted):
                    break
        return picks, total


# Image primitives --------------------------------------------------------------------------------

def odd(size):
    """A kernel size rounded up to the next odd number (OpenCV's blurs and bgapp's morphology want odd)."""
    size = int(size)
    return size + 1 if size > 0 and size % 2 == 0 else size


def blur(img, k):
    """Gaussian blur with a ``k`` x ``k`` kernel (an even ``k`` is rounded up; 1 or less: none)."""
    if k <= 1:
        return img
    k = odd(k)
    return cv2.GaussianBlur(img, (k, k), 0)


def threshold(score, t):
    """255 where score > t, uint8."""
    mask = cv2.threshold(score, t, 255, cv2.THRESH_BINARY)[1]
    return mask if mask.dtype == np.uint8 else mask.astype(np.uint8)


def binarise(mask, keep_shadows=False):
    """0/255 mask from an OpenCV subtractor's 0/127/255 output; 127 (shadow) is background unless kept."""
    return cv2.threshold(mask, 0 if keep_shadows else 254, 255, cv2.THRESH_BINARY)[1]


def grey(img):
    """BGR uint8 to grey uint8."""
    return cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)


def distance(frame, ref, kind):
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
        return hsv_distance(frame, ref)
    raise ValueError(f"unknown distance {kind!r}")


_ANGLE = np.arange(256, dtype=np.float64) * (2 * np.pi / 256)
_COS = np.cos(_ANGLE).astype(np.float32)
_SIN = np.sin(_ANGLE).astype(np.float32)


def hsv_distance(frame, ref):
    """The ``hsv`` distance (see :func:`distance`)."""
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


def median_image(frames):
    """Per-pixel median of a list of same-size uint8 images."""
    if len(frames) == 1:
        return frames[0].copy()
    return np.median(np.stack(frames), axis=0).astype(np.uint8)


def frame_difference(g, prev, mode):
    """Frame differencing of grey ``g`` against the previous grey frames ``prev`` (oldest first):
    ``two`` |g - prev[-1]|; ``three`` the smaller of the differences with the last two frames."""
    if not prev:
        return np.zeros_like(g)
    if mode == "two" or len(prev) < 2:
        return cv2.absdiff(g, prev[-1])
    return cv2.min(cv2.absdiff(g, prev[-1]), cv2.absdiff(g, prev[-2]))


# SSIM (Wang et al. 2004), matching scikit-image's Gaussian map (BORDER_REFLECT makes the borders agree)

C1 = (0.01 * 255) ** 2
C2 = (0.03 * 255) ** 2


def window_size(sigma):
    """Gaussian window width scikit-image uses for ``sigma`` (truncate 3.5): 11 taps at 1.5."""
    return 2 * int(3.5 * sigma + 0.5) + 1


class ReferenceStats:
    """Local mean and variance of one grey reference image, reused for every frame."""

    def __init__(self, ref, sigma=1.5):
        self.sigma = float(sigma)
        self.ksize = window_size(self.sigma)
        self.y = ref.astype(np.float32) - 128.0  # centering cuts float32 error
        self.mu = self._blur(self.y)
        self.var = self._blur(self.y * self.y) - self.mu * self.mu
        self.mu_raw = self.mu + 128.0  # the luminance term needs the uncentred mean

    def _blur(self, img):
        return cv2.GaussianBlur(img, (self.ksize, self.ksize), self.sigma, borderType=cv2.BORDER_REFLECT)

    def ssim_map(self, frame_grey):
        """Per-pixel SSIM between ``frame_grey`` (uint8) and the reference, float32 in [-1, 1]."""
        x = frame_grey.astype(np.float32) - 128.0
        mu_x = self._blur(x)
        var_x = self._blur(x * x) - mu_x * mu_x
        cov = self._blur(x * self.y) - mu_x * self.mu
        mx = mu_x + 128.0
        my = self.mu_raw
        num = (2.0 * mx * my + C1) * (2.0 * cov + C2)
        den = (mx * mx + my * my + C1) * (var_x + self.var + C2)
        return num / den


# Post-processing: opening, closing, dilate, erode, minimum blob area, hole filling ---------------

def structuring_elements(post):
    """The kernel of each morphology step of ``post`` (None where the step is off)."""
    shape = SHAPES[post.get("kernel_shape", "ellipse")]
    out = {}
    for name in MORPHOLOGY:
        size = odd(post.get(name, 1))
        out[name] = cv2.getStructuringElement(shape, (size, size)) if size > 1 else None
    return out


def remove_small(mask, min_area):
    """Drop 8-connected blobs with fewer than ``min_area`` pixels."""
    if min_area <= 1:
        return mask
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if n <= 1:
        return mask
    keep = (stats[:, cv2.CC_STAT_AREA] >= min_area).astype(np.uint8) * 255
    keep[0] = 0
    return keep[labels]


def fill_holes(mask):
    """Set to 255 every background region not connected to the image border."""
    h, w = mask.shape
    flood = cv2.copyMakeBorder(mask, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    cv2.floodFill(flood, np.zeros((h + 4, w + 4), np.uint8), (0, 0), 255)
    return cv2.bitwise_or(mask, cv2.bitwise_not(flood)[1:-1, 1:-1])


def clean_mask(mask, kernels, iterations=1, min_area=0, fill=False):
    """Opening, closing, dilate, erode (with ``kernels`` from :func:`structuring_elements`), then
    the minimum blob area and hole filling. May return ``mask`` itself when every step is off."""
    out = mask
    if kernels["open"] is not None:
        out = cv2.morphologyEx(out, cv2.MORPH_OPEN, kernels["open"], iterations=iterations)
    if kernels["close"] is not None:
        out = cv2.morphologyEx(out, cv2.MORPH_CLOSE, kernels["close"], iterations=iterations)
    if kernels["dilate"] is not None:
        out = cv2.dilate(out, kernels["dilate"], iterations=iterations)
    if kernels["erode"] is not None:
        out = cv2.erode(out, kernels["erode"], iterations=iterations)
    out = remove_small(out, min_area)
    return fill_holes(out) if fill else out


class PostProcess:
    """bgapp's post-processing for the values ``post`` (kernels are built once)."""

    def __init__(self, post):
        self.post = dict(post)
        self.kernels = structuring_elements(self.post)

    def __call__(self, mask):
        p = self.post
        return clean_mask(mask, self.kernels, int(p.get("iterations", 1)), int(p.get("min_area", 0)),
                          bool(p.get("fill_holes", False)))


# Models: each turns a BGR uint8 frame into a 0/255 mask ------------------------------------------

def create_mog2(history, var_threshold, detect_shadows, n_mixtures, background_ratio, shadow_threshold):
    """A fresh OpenCV MOG2 subtractor."""
    m = cv2.createBackgroundSubtractorMOG2(history, var_threshold, detect_shadows)
    m.setNMixtures(n_mixtures)  # safe on a fresh model only: it has not allocated yet
    m.setBackgroundRatio(background_ratio)
    m.setShadowThreshold(shadow_threshold)
    return m


def create_knn(history, dist2_threshold, detect_shadows, n_samples, knn_samples, shadow_threshold):
    """A fresh OpenCV KNN subtractor."""
    m = cv2.createBackgroundSubtractorKNN(history, dist2_threshold, detect_shadows)
    m.setNSamples(n_samples)  # safe on a fresh model only
    m.setkNNSamples(knn_samples)
    m.setShadowThreshold(shadow_threshold)
    return m


def create_bgsegm(factory, args):
    """A fresh opencv-contrib subtractor: ``cv2.bgsegm.<factory>(*args)``."""
    bgsegm = getattr(cv2, "bgsegm", None)
    if bgsegm is None or not hasattr(bgsegm, factory):
        raise InputError(f"{factory} needs cv2.bgsegm: pip install opencv-contrib-python-headless")
    return getattr(bgsegm, factory)(*args)


class Model:
    """A background model: :meth:`apply` turns a BGR uint8 frame into a 0/255 mask.

    ``wants_samples`` frames sampled across the input go to :meth:`prime` before the first
    :meth:`apply`; ``score`` is the map the last mask thresholded, where the model has one. These
    classes are the algorithms: bgapp's methods hold one each and change its attributes live.
    """

    score = None

    @property
    def wants_samples(self):
        """How many frames sampled across the input :meth:`prime` wants (0: none)."""
        return 0

    def prime(self, samples):
        """Frames sampled evenly across the input (only when ``wants_samples``)."""

    def apply(self, frame):
        """The 0/255 mask of one BGR uint8 frame."""
        raise NotImplementedError


class Subtractor(Model):
    """An OpenCV subtractor that marks shadows 127, applied at :meth:`rate` and binarised (shadows are
    background unless ``keep_shadows``); ``raw`` keeps its last 0/127/255 output."""

    def __init__(self, model, keep_shadows, learning_rate):
        self.model, self.keep_shadows, self.learning_rate = model, keep_shadows, learning_rate
        self.raw = None
        self.frames_seen = 0

    def rate(self):
        """The learning rate of the next frame."""
        return self.learning_rate

    def apply(self, frame):
        rate = self.rate()
        self.frames_seen += 1
        self.raw = self.model.apply(frame, learningRate=rate)
        return binarise(self.raw, self.keep_shadows)


class MOG2(Subtractor):
    """OpenCV MOG2 with bgapp's learning-rate schedule (``warmup_rate`` for the first ``warmup_frames``)."""

    def __init__(self, history, var_threshold, detect_shadows, shadow_threshold, keep_shadows, n_mixtures,
                 background_ratio, learning_rate, warmup_frames, warmup_rate):
        super().__init__(create_mog2(history, var_threshold, detect_shadows, n_mixtures, background_ratio,
                                     shadow_threshold), keep_shadows, learning_rate)
        self.warmup_frames, self.warmup_rate = warmup_frames, warmup_rate

    def rate(self):
        return self.warmup_rate if self.frames_seen < self.warmup_frames else self.learning_rate


class KNN(Subtractor):
    """OpenCV KNN."""

    def __init__(self, history, dist2_threshold, detect_shadows, shadow_threshold, keep_shadows, n_samples,
                 knn_samples, learning_rate):
        super().__init__(create_knn(history, dist2_threshold, detect_shadows, n_samples, knn_samples,
                                    shadow_threshold), keep_shadows, learning_rate)


REFERENCE_MODES = ("first", "snapshot", "image", "running_average", "median")


class Reference:
    """The reference background a frame is compared with, and how it evolves.

    Modes: ``first`` (the first frame after a reset), ``snapshot`` (a frame given to :meth:`capture`),
    ``image`` (a picture given to :meth:`set_image`, resized to the frames), ``running_average``
    (exponential average with ``rate``), ``median`` (per-pixel median of ``n_frames`` frames: those
    given to :meth:`prime`, sampled across the input, else the first frames seen). Until a snapshot or
    image exists the first frame stands in, and ``note`` says so; ``version`` bumps with each new image,
    so that callers can cache what they derive from it.
    """

    def __init__(self, mode="first", rate=0.02, n_frames=25):
        if mode not in REFERENCE_MODES:
            raise InputError(f"unknown reference {mode!r}: use one of {', '.join(REFERENCE_MODES)}")
        self.mode, self.rate, self.n_frames = mode, float(rate), int(n_frames)
        self.user_image = self.snapshot = self.primed = None
        self.reset()

    def reset(self):
        """Forget the learned reference (a snapshot, image or primed samples are kept)."""
        self.image = self.avg = None
        self.live_size = max(1, self.n_frames)
        self.live: deque = deque(maxlen=self.live_size)  # frames a stream's median collects
        self.version = 0
        self.note = None

    def configure(self, mode, rate, n_frames):
        """New settings; a new mode or sample count restarts the reference."""
        restart = mode != self.mode or int(n_frames) != self.n_frames
        self.mode, self.rate, self.n_frames = mode, float(rate), int(n_frames)
        if restart:
            self.reset()

    def keep(self, other):
        """Take ``other``'s snapshot, user image and primed samples (they outlive a restart)."""
        self.snapshot, self.user_image, self.primed = other.snapshot, other.user_image, other.primed

    def prime(self, samples):
        """Frames sampled across the input, for the ``median`` mode."""
        self.primed = [to_bgr8(s) for s in samples] if samples else None
        self.reset()

    def capture(self, frame):
        """Use ``frame`` as the snapshot reference."""
        self.snapshot = to_bgr8(frame).copy()
        self.reset()

    def set_image(self, img):
        """Use a picture as the reference (resized to the frames where they differ); None forgets it."""
        self.user_image = None if img is None else to_bgr8(img)
        self.reset()

    def _set(self, img):
        self.image = img
        self.version += 1

    def update(self, frame):
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
                self._set(src if src.shape == shape else cv2.resize(src, (shape[1], shape[0])))
        elif mode == "running_average":
            if self.avg is None:
                self.avg = frame.astype(np.float32)
            else:
                cv2.accumulateWeighted(frame, self.avg, self.rate)
            self._set(cv2.convertScaleAbs(self.avg))
        elif self.primed and self.primed[0].shape == shape:  # median of the sampled frames
            if self.image is None:
                self._set(median_image(self.primed))
        elif len(self.live) < self.live_size:  # median of the first frames of a stream
            self.live.append(frame.copy())
            self._set(median_image(list(self.live)))
            n, total = len(self.live), self.live_size
            self.note = f"median reference from {n}/{total} frames so far" if n < total else None
        return self.image


class AgainstReference(Model):
    """Thresholds the :meth:`dissimilarity` of each (:meth:`prepare`-d) frame and a :class:`Reference`;
    references get the same preparation."""

    def __init__(self, reference, threshold, avg_rate, median_frames):
        self.ref = Reference(reference, avg_rate, median_frames)
        self.threshold = threshold

    @property
    def wants_samples(self):
        return self.ref.n_frames if self.ref.mode == "median" else 0

    def prepare(self, img):
        """What a frame goes through before the comparison."""
        return img

    def dissimilarity(self, frame, ref):
        """The map thresholded: how far the prepared frame is from the reference, per pixel."""
        raise NotImplementedError

    def prime(self, samples):
        self.ref.prime([self.prepare(s) for s in samples])

    def capture(self, frame):
        """Use ``frame`` (prepared) as the reference: the snapshot mode's."""
        self.ref.capture(self.prepare(to_bgr8(frame)))

    def set_image(self, img):
        """Use a picture (prepared) as the reference: the image mode's."""
        self.ref.set_image(None if img is None else self.prepare(to_bgr8(img)))

    def apply(self, frame):
        f = self.prepare(frame)
        self.score = self.dissimilarity(f, self.ref.update(f))
        return threshold(self.score, self.threshold)


class AbsDiff(AgainstReference):
    """The :func:`distance` between the blurred frame and the blurred reference."""

    def __init__(self, reference, threshold, avg_rate, median_frames, distance, blur):
        super().__init__(reference, threshold, avg_rate, median_frames)
        self.distance, self.blur = distance, blur

    def prepare(self, img):
        return blur(img, self.blur)

    def dissimilarity(self, frame, ref):
        return distance(frame, ref, self.distance)


class SSIM(AgainstReference):
    """1 - SSIM between the frame and the reference (grey); the reference's statistics are computed
    once per reference image."""

    def __init__(self, reference, threshold, avg_rate, median_frames, sigma):
        super().__init__(reference, threshold, avg_rate, median_frames)
        self.sigma = sigma
        self.stats = self.stats_key = None

    def dissimilarity(self, frame, ref):
        key = (self.ref.version, id(ref), self.sigma)
        if self.stats is None or self.stats_key != key:
            self.stats, self.stats_key = ReferenceStats(grey(ref), self.sigma), key
        return np.float32(1.0) - self.stats.ssim_map(grey(frame))


class FrameDiff(Model):
    """Frame differencing (:func:`frame_difference`) of blurred grey frames."""

    def __init__(self, mode, threshold, blur):
        self.mode, self.threshold, self.blur = mode, threshold, blur
        self.prev = []

    def apply(self, frame):
        g = blur(grey(frame), self.blur)
        if self.prev and self.prev[-1].shape != g.shape:
            self.prev = []
        self.score = frame_difference(g, self.prev, self.mode)
        self.prev = (self.prev + [g])[-2:]
        return threshold(self.score, self.threshold)


class Sampled(Model):
    """A background fitted to ``n_frames`` frames: those given to :meth:`prime` (sampled across the
    input), else the first ones seen (one kept in ``sample_every``) while :attr:`fitted` is False;
    refitted every ``refresh`` frames (0: never) from the recent samples. Subclasses say how a frame is
    prepared, how samples are fitted and how a frame is scored against the fit."""

    def __init__(self, n_frames, refresh, sample_every):
        self.n_frames, self.refresh, self.sample_every = n_frames, refresh, sample_every
        self.primed = None
        self.restart()

    @property
    def wants_samples(self):
        return self.n_frames

    def restart(self, keep=None):
        """Forget the fit; ``keep``: samples still valid (the last ``n_frames`` of them are held)."""
        self.recent: deque = deque(keep or (), maxlen=self.n_frames)
        self.fitted = False  # fitted to the full sample (primed, or n_frames collected)
        self.has_fit = False  # some fit exists, also a partial one while a stream collects
        self.count = 0  # frames seen since the restart: picks one in sample_every
        self.since_refresh = 0

    def prime(self, samples):
        self.primed = [s.copy() for s in samples] if samples else None
        self.fitted = False

    def prepare(self, frame):
        """What is kept of a frame as a sample and scored."""
        return frame

    def fit(self, samples):
        """Fit the background to prepared ``samples`` (also to a partial set while a stream collects)."""
        raise NotImplementedError

    def detect(self, prepared, frame):
        """The mask of ``frame`` against the fit (setting ``score``)."""
        raise NotImplementedError

    def _refit(self, samples):
        self.fit(samples)
        self.fitted = self.has_fit = True
        self.since_refresh = 0

    def apply(self, frame):
        f = self.prepare(frame)
        if self.recent and self.recent[-1].shape != f.shape:
            self.primed = None
            self.restart()
        sampled = self.count % self.sample_every == 0
        if sampled:
            self.recent.append(f)
        self.count += 1
        if not self.fitted:
            if self.primed and self.primed[0].shape == frame.shape:
                self._refit([self.prepare(s) for s in self.primed])
            elif len(self.recent) == self.n_frames:  # a stream: the N samples are in
                self._refit(list(self.recent))
            elif sampled or not self.has_fit:  # still learning: fit what is in
                self.fit(list(self.recent))
                self.has_fit = True
        elif self.refresh and self.since_refresh >= self.refresh:
            self._refit(list(self.recent))
        self.since_refresh += 1
        return self.detect(f, frame)


class TemporalMedian(Sampled):
    """The per-pixel median of the (blurred) samples; a pixel is foreground where the blurred frame's
    :func:`distance` from it exceeds ``threshold``."""

    def __init__(self, n_frames, refresh, sample_every, threshold, distance, blur):
        self.threshold, self.distance, self.blur = threshold, distance, blur
        super().__init__(n_frames, refresh, sample_every)

    def restart(self, keep=None):
        super().restart(keep)
        self.background = None

    def prepare(self, frame):
        return blur(frame, self.blur)

    def fit(self, samples):
        self.background = median_image(samples)

    def detect(self, prepared, frame):
        self.score = distance(prepared, self.background, self.distance)
        return threshold(self.score, self.threshold)


class SigmaDelta(Model):
    """Sigma-Delta background estimation (Manzanera & Richefeu 2007), per colour channel as BGSLibrary's
    LaMa091 code steps it: the background M moves one grey level a frame towards the frame, the variance
    V one level towards ``amp_factor`` times the difference O = |M - frame|, kept within
    [``min_var``, ``max_var``]; a pixel is foreground where any channel's O reaches its V."""

    def __init__(self, amp_factor, min_var, max_var):
        self.amp_factor, self.min_var, self.max_var = amp_factor, min_var, max_var
        self.m = self.v = None

    def apply(self, frame):
        f = frame.astype(np.int16)
        if self.m is None or self.m.shape != f.shape:
            self.m, self.v = f.copy(), np.full_like(f, self.min_var)
        else:
            self.m += np.sign(f - self.m).astype(np.int16)
        o = np.abs(self.m - f)
        self.v += np.sign(self.amp_factor * o - self.v).astype(np.int16)
        np.clip(self.v, self.min_var, self.max_var, out=self.v)
        return np.where((o >= self.v).any(axis=2), 255, 0).astype(np.uint8)


class Contrib(Model):
    """An opencv-contrib subtractor (``cv2.bgsegm``): ``factory`` called with ``args``. With camera
    motion compensation, a frame with too few features to track (Lucas-Kanade and findHomography need 4
    points; a flat or nearly empty frame has none) shows no motion rather than failing; ``untracked``
    counts those frames."""

    def __init__(self, factory, args, motion_compensation=False):
        self.model = create_bgsegm(factory, args)
        self.motion_compensation = motion_compensation
        self.untracked = 0

    def apply(self, frame):
        try:
            return binarise(self.model.apply(frame))
        except cv2.error:
            if not self.motion_compensation:
                raise
        self.untracked += 1
        return np.zeros(frame.shape[:2], np.uint8)


# BGSLibrary ---------------------------------------------------------------------------------------

def seed_c_rand(value=RNG_SEED):
    """Seed C's ``rand()``, which ViBe, PBAS, TwoPoints and BGSLibrary's LBSP family draw from."""
    ctypes.CDLL(None).srand(ctypes.c_uint(value))


def write_bgs_config(folder, algorithm, fields):
    """Write ``folder/config/<algorithm>.xml``, the only place a BGSLibrary object reads its parameters
    (``./config`` of the working directory, when it is built), with ``showOutput`` off. Each field is
    written as the C++ reads it: bools and ints as integers, floats as reals. Returns the path."""
    os.makedirs(os.path.join(folder, "config"), exist_ok=True)
    path = os.path.join(folder, "config", algorithm + ".xml")
    fs = cv2.FileStorage(path, cv2.FILE_STORAGE_WRITE)
    try:
        for key, value in {**fields, "showOutput": False}.items():
            fs.write(key, int(value) if isinstance(value, (bool, int)) else float(value))
    finally:
        fs.release()
    return path


def bgs_mask(raw, size, first=False):
    """A BGSLibrary output as a 0/255 mask of ``size`` (h, w), cropping what :func:`pad_to` added:
    one channel (the LB* family returns three equal ones); values of 128 and up are foreground (IMBS
    marks persistent foreground 180), lower ones, such as IMBS's shadow 80, background. The model's
    ``first`` frame shows none: it only initialises the model, and PBAS returns uninitialised memory
    for it."""
    if first:
        return np.zeros(size, np.uint8)
    raw = raw[: size[0], : size[1]]
    if raw.ndim == 3:
        b, g, r = cv2.split(raw)[:3]
        raw = cv2.max(cv2.max(b, g), r)  # 50 times numpy's max over the channel axis
    return cv2.threshold(raw, 127, 255, cv2.THRESH_BINARY)[1]


def pad_to(frame, side):
    """``frame`` grown to at least ``side`` pixels each way by repeating its edges (the LBSP methods
    read a 5x5 neighbourhood and fail on smaller frames); crop the mask back to the frame's size."""
    h, w = frame.shape[:2]
    if h >= side and w >= side:
        return frame
    return cv2.copyMakeBorder(frame, 0, max(0, side - h), 0, max(0, side - w), cv2.BORDER_REPLICATE)


class BGSLibrary(Model):
    """A BGSLibrary algorithm through its Python wrapper, this script's one extra dependency
    (``pip install pybgs``). Built at the first frame, as bgapp builds it: its config written in a
    temporary folder it is constructed in, C's ``rand()`` seeded; ``native``: an object already built
    (bgapp's own builder). Frames smaller than ``min_side`` are padded (:func:`pad_to`)."""

    def __init__(self, algorithm, fields, min_side=1, native=None):
        self.algorithm, self.fields, self.min_side, self.model = algorithm, fields, min_side, native
        self.frames = 0

    def _build(self):
        try:
            import pybgs
        except ImportError:
            raise InputError("this script needs BGSLibrary's Python wrapper: pip install pybgs") from None
        cwd = os.getcwd()
        with tempfile.TemporaryDirectory() as folder:
            write_bgs_config(folder, self.algorithm, self.fields)
            os.chdir(folder)
            try:
                seed_c_rand()
                return getattr(pybgs, self.algorithm)()
            finally:
                os.chdir(cwd)

    def apply(self, frame):
        if self.model is None:
            self.model = self._build()
        raw = self.model.apply(pad_to(frame, self.min_side))
        self.frames += 1
        return bgs_mask(raw, frame.shape[:2], first=self.frames == 1)


BMN_BSN_SIZE = (160, 120)  # (w, h) the learned model's two U-Nets run at, whatever the video's size
BMN_BSN_FINE = (320, 240)  # (w, h) of the subtractor's last, per-pixel stage: twice BMN_BSN_SIZE
BMN_BSN_REFS = 16  # reference frames its modeler (BMN) takes; fewer are repeated in order to fill them
BMN_BSN_FILES = ("bmn.onnx", "bsn.onnx")


def bmn_bsn_blob(frames, size=BMN_BSN_SIZE):
    """BGR uint8 frames as one 1 x 3k x H x W float32 network input at ``size``, scaled to [0, 1].
    Written into one preallocated array: concatenating transposed views first cost ten times more,
    and this runs on every frame."""
    w, h = size
    out = np.empty((1, 3 * len(frames), h, w), np.float32)
    for i, f in enumerate(frames):
        small = f if (f.shape[1], f.shape[0]) == size else cv2.resize(f, size, interpolation=cv2.INTER_AREA)
        out[0, 3 * i:3 * i + 3] = small.transpose(2, 0, 1)
    out /= np.float32(255)
    return out


def bmn_bsn_slots(refs, n=BMN_BSN_REFS):
    """``refs`` repeated in order to fill the modeler's ``n`` inputs (training fills them alike)."""
    if not refs:
        raise ValueError("the background model needs at least one reference frame")
    return [refs[i % len(refs)] for i in range(n)]


def bmn_bsn_model(bmn, refs):
    """The M x H x W background model the BMN makes of ``refs`` (see :func:`bmn_bsn_slots`)."""
    bmn.setInput(bmn_bsn_blob(bmn_bsn_slots(refs)))
    return np.asarray(bmn.forward()[0], np.float32)


def bmn_bsn_probability(bsn, model, median, frame):
    """Each pixel's foreground probability (float32 in [0, 1], at BMN_BSN_FINE) that the BSN gives
    ``frame`` against the BMN's ``model`` and the references' per-pixel ``median``: its U-Net reads
    [model, median, frame] at BMN_BSN_SIZE, its last stage [frame, median] at BMN_BSN_FINE."""
    bsn.setInput(np.concatenate([model[None], bmn_bsn_blob([median, frame])], axis=1), "coarse")
    bsn.setInput(bmn_bsn_blob([frame, median], BMN_BSN_FINE), "fine")
    return np.asarray(bsn.forward()[0, 0], np.float32)


def find_bmn_bsn(models=None):
    """The folder holding bmn.onnx and bsn.onnx: $BGAPP_MODELS, this script's folder, or ``models``."""
    here = os.path.dirname(os.path.abspath(sys.argv[0])) if sys.argv and sys.argv[0] else None
    for folder in (os.environ.get("BGAPP_MODELS"), here, models):
        if folder and all(os.path.isfile(os.path.join(folder, n)) for n in BMN_BSN_FILES):
            return folder
    raise InputError("the learned model needs bmn.onnx and bsn.onnx (bgapp/models/ in a bgapp install): "
                     "put them next to this script or name their folder in BGAPP_MODELS")


class BMNBSN(Sampled):
    """The learned model (BMN-BSN): the modeler's background model (``features``) and the per-pixel
    ``median`` of the samples (kept at BMN_BSN_FINE); a pixel is foreground where the subtractor's
    probability, averaged over time with weight ``smoothing`` on the past (an exponential moving
    average; 0: this frame's alone), exceeds ``threshold``. ``nets``: the two networks already read
    (bgapp's), else read from :func:`find_bmn_bsn`'s folder."""

    def __init__(self, n_frames, refresh, sample_every, threshold, smoothing=0.0, models=None, nets=None):
        if nets is None:
            folder = find_bmn_bsn(models)
            nets = [cv2.dnn.readNetFromONNX(os.path.join(folder, n)) for n in BMN_BSN_FILES]
        self.bmn, self.bsn = nets
        self.threshold, self.smoothing = threshold, smoothing
        self.features = self.median = None
        super().__init__(n_frames, refresh, sample_every)

    def restart(self, keep=None):
        super().restart(keep)
        self.average = None  # the smoothed probability, at BMN_BSN_FINE

    def prepare(self, frame):
        return cv2.resize(frame, BMN_BSN_FINE, interpolation=cv2.INTER_AREA)

    def fit(self, samples):
        self.features = bmn_bsn_model(self.bmn, samples)
        self.median = median_image(samples)

    def detect(self, prepared, frame):
        p = bmn_bsn_probability(self.bsn, self.features, self.median, prepared)
        if self.smoothing and self.average is not None:
            p = cv2.addWeighted(p, 1.0 - self.smoothing, self.average, self.smoothing, 0.0)
        self.average = p
        h, w = frame.shape[:2]
        self.score = p if p.shape == (h, w) else cv2.resize(p, (w, h), interpolation=cv2.INTER_LINEAR)
        return threshold(self.score, self.threshold)


MODELS = {cls.__name__: cls for cls in (MOG2, KNN, AbsDiff, SSIM, FrameDiff, TemporalMedian, SigmaDelta, Contrib,
                                        BGSLibrary, BMNBSN)}


def make_model(config):
    """The model ``config["model"]`` with the arguments ``config["model_args"]`` (default: the params),
    OpenCV's random generator seeded as bgapp seeds it."""
    cv2.setRNGSeed(RNG_SEED)
    return MODELS[config["model"]](**config.get("model_args", config["params"]))


# The script --------------------------------------------------------------------------------------

def run(src, outdir, config):
    """Write one PNG mask per frame of ``src`` into ``outdir``; returns the number written."""
    frames = Frames(src)
    model = make_model(config)
    post = PostProcess(config["post"])
    if model.wants_samples:
        model.prime(frames.sample(model.wants_samples))
    os.makedirs(outdir, exist_ok=True)
    n = 0
    for frame in frames:
        mask = post(model.apply(frame))
        n += 1
        ok, buf = cv2.imencode(".png", mask)
        if not ok:
            raise InputError(f"cannot encode mask {n} as PNG")
        buf.tofile(os.path.join(outdir, f"mask{n:06d}.png"))
    return n


def main(argv, config):
    """``SCRIPT INPUT OUTDIR``: exit status 0, or 2 with one line on stderr."""
    if len(argv) != 3 or argv[1] in ("-h", "--help"):
        print(USAGE, file=sys.stderr)
        return 2
    src, outdir = argv[1], argv[2]
    try:
        n = run(src, outdir, config)
    except (InputError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if n == 0:
        print(f"error: no frames could be read from {src}", file=sys.stderr)
        return 2
    print(f"wrote {n} masks to {outdir}", file=sys.stderr)
    return 0
