"""Background-subtraction methods, each declaring its parameters once.

A method turns a BGR uint8 frame into a raw mask (uint8, 255 = foreground, 0 = background),
with where it has them a score map (what was thresholded) and a background image. Shadow
pixels that OpenCV marks 127 become background unless the user asks to keep them, so every
mask downstream holds only 0 and 255.

Changing a parameter goes through :meth:`Method.update`, which applies what OpenCV can change
on a running model and rebuilds the model for the rest (``Param.rebuild``): calling
``setNMixtures``/``setNSamples`` on a running model crashes the process (NOTES).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import cv2
import numpy as np

from .frames import to_bgr8
from .params import Notes, Param, validate
from .reference import DISTANCES, REFERENCE_MODES, Reference, distance, grey, median_image
from .ssim import ReferenceStats

RNG_SEED = 0x5EED


@dataclass
class MethodOutput:
    """What a method yields for one frame."""

    mask: np.ndarray  # uint8 0/255
    score: np.ndarray | None = None  # the map that was thresholded (distance, 1 - SSIM...)


def binarise(mask: np.ndarray, keep_shadows: bool = False) -> np.ndarray:
    """0/255 mask from an OpenCV subtractor's 0/127/255 output; 127 is background unless kept."""
    return cv2.threshold(mask, 0 if keep_shadows else 254, 255, cv2.THRESH_BINARY)[1]


def _blur(img: np.ndarray, k: int) -> np.ndarray:
    if k <= 1:
        return img
    k = k + 1 if k % 2 == 0 else k
    return cv2.GaussianBlur(img, (k, k), 0)


# Shared declarations ---------------------------------------------------------------------------

def _learning_rate(default: float = -1.0) -> Param:
    return Param(
        "learning_rate", "float", default,
        "How fast the background model absorbs new frames. -1 lets OpenCV choose "
        "(1/min(2*frames, history)); 0 freezes the model so nothing new becomes background; "
        "larger values make stopped objects fade into the background sooner.",
        min=-1.0, max=1.0, step=0.001, tune=False,
    )


def _shadow_params() -> tuple[Param, ...]:
    return (
        Param("detect_shadows", "bool", True,
              "Mark pixels that look like a darker copy of the background as shadow (grey 127 in "
              "OpenCV) instead of foreground. Costs a little speed; helps where objects cast shadows."),
        Param("shadow_threshold", "float", 0.5,
              "How much darker than the background a pixel may be and still count as shadow "
              "(0.5: down to half the brightness). Lower values call more dark pixels shadow.",
              min=0.0, max=1.0, step=0.01, visible_if=("detect_shadows", (True,))),
        Param("keep_shadows", "bool", False,
              "Count shadow pixels as foreground. Off (the CDnet convention): shadows are background.",
              tune=False, visible_if=("detect_shadows", (True,))),
    )


def _reference_params(threshold: Param) -> tuple[Param, ...]:
    return (
        Param("reference", "choice", "first",
              "What the frame is compared with: the first frame, a snapshot you capture, an image "
              "you upload, a running average that slowly follows the scene, or the per-pixel median "
              "of frames sampled from the clip (moving objects vanish from a median).",
              choices=REFERENCE_MODES, tune=False),
        threshold,
        Param("avg_rate", "float", 0.02,
              "Running-average speed: each frame contributes this fraction. High values adapt to "
              "lighting fast but also absorb slow objects.",
              min=0.001, max=0.5, step=0.001, log=True, typical=(0.001, 0.1),
              visible_if=("reference", ("running_average",))),
        Param("median_frames", "int", 25,
              "How many frames the median reference is built from. More frames remove busier "
              "traffic from the background but take longer to compute.",
              min=3, max=199, step=2, tune=False, visible_if=("reference", ("median",))),
    )


def _blur_param(default: int = 5) -> Param:
    return Param("blur", "int", default,
                 "Gaussian pre-blur kernel size applied before differencing (1 = off). Smooths "
                 "sensor noise so fewer isolated pixels cross the threshold, at the cost of "
                 "softer object edges.",
                 min=1, max=21, step=2, odd=True)


# Base class ------------------------------------------------------------------------------------

class Method:
    """Base class: holds validated parameter values and a model that may need rebuilding."""

    name: ClassVar[str]
    title: ClassVar[str]
    summary: ClassVar[str]
    params: ClassVar[tuple[Param, ...]]
    uses_reference: ClassVar[bool] = False  # accepts capture_reference/set_reference_image
    wants_samples: ClassVar[int] = 0  # frames to sample from the clip before running (0: none)
    warmup_param: ClassVar[str | None] = None

    def __init__(self, values: Mapping[str, Any] | None = None) -> None:
        self.values = validate(self.params, values, f"{self.name}.")
        self.notes = Notes()
        self.frames_seen = 0
        self._start()

    def _start(self) -> None:
        """(Re)build the model from a fixed random seed.

        KNN, GMG, GSOC and LSBP draw random samples from OpenCV's per-thread generator; seeding
        it at every (re)start makes a re-run of the same clip give the same masks.
        """
        cv2.setRNGSeed(RNG_SEED)
        self._build()

    @classmethod
    def available(cls) -> bool:
        return True

    @classmethod
    def unavailable_reason(cls) -> str | None:
        return None

    def _build(self) -> None:
        """Create the model from ``self.values``."""

    def _configure(self, changed: set[str]) -> None:
        """Apply changed values that do not need a rebuild."""

    def update(self, values: Mapping[str, Any]) -> bool:
        """Change parameters; returns True when the model had to be rebuilt (and so restarts)."""
        new = validate(self.params, {**self.values, **dict(values)}, f"{self.name}.")
        changed = {k for k in new if new[k] != self.values[k]}
        if not changed:
            return False
        self.values = new
        by_name = {p.name: p for p in self.params}
        if any(by_name[k].rebuild for k in changed):
            self.frames_seen = 0
            self._start()
            return True
        self._configure(changed)
        return False

    def reset(self) -> None:
        """Start learning from scratch with the same parameters."""
        self.frames_seen = 0
        self._start()

    def apply(self, frame: np.ndarray) -> MethodOutput:
        out = self._apply(frame)
        self.frames_seen += 1
        return out

    def _apply(self, frame: np.ndarray) -> MethodOutput:
        raise NotImplementedError

    def background(self) -> np.ndarray | None:
        """The current background image (BGR uint8) where the method has one."""
        return None

    @property
    def learning(self) -> bool:
        """True while the model is still warming up (its masks are not yet meaningful)."""
        return False

    # reference-based methods override these
    def prime(self, samples: list[np.ndarray]) -> None:
        """Frames sampled across the clip (only for methods with ``wants_samples``)."""

    def capture_reference(self, frame: np.ndarray) -> None:
        """Use ``frame`` as the reference background."""

    def set_reference_image(self, img: np.ndarray | None) -> None:
        """Use a user's image as the reference background."""


# OpenCV MOG2 and KNN ---------------------------------------------------------------------------

class MOG2(Method):
    name = "mog2"
    title = "MOG2 (Gaussian mixture)"
    summary = ("Models each pixel as a mixture of Gaussians learned over the recent history; "
               "pixels no Gaussian of the background explains are foreground (Zivkovic 2004/2006).")
    params = (
        Param("history", "int", 500,
              "Number of recent frames the model mainly reflects. Short: adapts fast to lighting "
              "but stopped objects melt into the background; long: stable but slow to adapt.",
              min=1, max=10000, step=1, tune_min=20, tune_max=2000, log=True, typical=(10, 1000)),
        Param("var_threshold", "float", 16.0,
              "Squared Mahalanobis distance beyond which a pixel is foreground. Lower: more "
              "sensitive (fainter objects, more noise); higher: cleaner masks that miss "
              "camouflaged objects.",
              min=1.0, max=400.0, step=0.5, tune_min=4.0, tune_max=200.0, log=True,
              typical=(4.0, 64.0)),
        *_shadow_params(),
        Param("n_mixtures", "int", 5,
              "Gaussians per pixel. More lets a pixel remember several backgrounds (waving "
              "trees, water) at a cost in speed. Changing it rebuilds the model.",
              min=1, max=10, step=1, rebuild=True, tune_min=2, tune_max=7),
        Param("background_ratio", "float", 0.9,
              "Share of the model's weight that counts as background. Lower: only the most "
              "frequent colours are background, so rarer ones (a swaying branch) become foreground.",
              min=0.05, max=1.0, step=0.01, tune_min=0.5, tune_max=0.99),
        _learning_rate(),
        Param("warmup_frames", "int", 0,
              "Frames at the start (and after a reset) that learn at the faster warm-up rate, so "
              "the first masks are usable sooner. 0 = no warm-up.",
              min=0, max=2000, step=1, tune=False, typical=(0, 300)),
        Param("warmup_rate", "float", 0.05,
              "Learning rate during the warm-up frames.",
              min=0.001, max=1.0, step=0.001, tune=False, typical=(0.001, 0.2),
              visible_if=("warmup_frames", (">0",))),
    )
    warmup_param = "warmup_frames"

    def _build(self) -> None:
        v = self.values
        m = cv2.createBackgroundSubtractorMOG2(v["history"], v["var_threshold"], v["detect_shadows"])
        m.setNMixtures(v["n_mixtures"])  # safe on a fresh model: it has not allocated yet
        m.setBackgroundRatio(v["background_ratio"])
        m.setShadowThreshold(v["shadow_threshold"])
        self.model = m

    def _configure(self, changed: set[str]) -> None:
        v, m = self.values, self.model
        m.setHistory(v["history"])
        m.setVarThreshold(v["var_threshold"])
        m.setDetectShadows(v["detect_shadows"])
        m.setShadowThreshold(v["shadow_threshold"])
        m.setBackgroundRatio(v["background_ratio"])

    def _rate(self) -> float:
        v = self.values
        return v["warmup_rate"] if self.frames_seen < v["warmup_frames"] else v["learning_rate"]

    def _apply(self, frame: np.ndarray) -> MethodOutput:
        raw = self.model.apply(frame, learningRate=self._rate())
        return MethodOutput(binarise(raw, self.values["keep_shadows"]))

    def background(self) -> np.ndarray | None:
        return self.model.getBackgroundImage() if self.frames_seen else None

    @property
    def learning(self) -> bool:
        return self.frames_seen < max(self.values["warmup_frames"], 1)


class KNN(MOG2):
    name = "knn"
    title = "KNN (sample-based)"
    summary = ("Keeps a few recent samples per pixel; a pixel is background when enough samples "
               "lie within a distance of it (Zivkovic & van der Heijden 2006).")
    params = (
        Param("history", "int", 500,
              "Number of recent frames the samples are drawn from. Short adapts fast; long keeps "
              "stopped objects in the foreground longer.",
              min=1, max=10000, step=1, tune_min=20, tune_max=2000, log=True, typical=(10, 1000)),
        Param("dist2_threshold", "float", 400.0,
              "Squared colour distance within which a sample matches the pixel. Lower: more "
              "sensitive and noisier; higher: cleaner but misses objects close to the background colour.",
              min=1.0, max=10000.0, step=1.0, tune_min=50.0, tune_max=3000.0, log=True,
              typical=(50.0, 1500.0)),
        *_shadow_params(),
        Param("n_samples", "int", 7,
              "Samples stored per pixel. More samples describe busier backgrounds at a cost in "
              "memory and speed. Changing it rebuilds the model.",
              min=2, max=30, step=1, rebuild=True, tune_min=3, tune_max=15),
        Param("knn_samples", "int", 2,
              "How many stored samples must match for a pixel to be background. Higher is "
              "stricter (more foreground). Clamped to n_samples.",
              min=1, max=30, step=1, tune_min=1, tune_max=5),
        _learning_rate(),
    )
    warmup_param = None

    def _build(self) -> None:
        v = self.values
        m = cv2.createBackgroundSubtractorKNN(v["history"], v["dist2_threshold"], v["detect_shadows"])
        m.setNSamples(v["n_samples"])  # safe on a fresh model
        m.setkNNSamples(self._knn())
        m.setShadowThreshold(v["shadow_threshold"])
        self.model = m

    def _knn(self) -> int:
        v = self.values
        if v["knn_samples"] > v["n_samples"]:
            self.notes.add(f"knn_samples {v['knn_samples']} exceeds n_samples {v['n_samples']}: using {v['n_samples']}")
            return v["n_samples"]
        return v["knn_samples"]

    def _configure(self, changed: set[str]) -> None:
        v, m = self.values, self.model
        m.setHistory(v["history"])
        m.setDist2Threshold(v["dist2_threshold"])
        m.setDetectShadows(v["detect_shadows"])
        m.setShadowThreshold(v["shadow_threshold"])
        m.setkNNSamples(self._knn())

    def _rate(self) -> float:
        return self.values["learning_rate"]

    @property
    def learning(self) -> bool:
        return self.frames_seen < 1


# Difference against a reference -------------------------------------------------------------

class AbsDiff(Method):
    name = "absdiff"
    title = "Absolute difference"
    summary = ("Thresholds the per-pixel distance between the frame and a reference background "
               "(first frame, snapshot, image, running average or sampled median).")
    params = (
        *_reference_params(Param(
            "threshold", "int", 30,
            "Distance (grey levels) above which a pixel is foreground. Lower catches faint "
            "changes and more noise; higher keeps only strong changes.",
            min=1, max=255, step=1, tune_min=5, tune_max=100, typical=(1, 100))),
        Param("distance", "choice", "grey",
              "How the difference is measured: grey-level difference; colour (Euclidean) "
              "distance; the largest channel difference; or HSV, where colour changes count "
              "fully and brightness changes half (softer on shadows).",
              choices=DISTANCES),
        _blur_param(5),
    )
    uses_reference = True

    def _build(self) -> None:
        v = self.values
        self.ref = getattr(self, "ref", None) or Reference()
        self.ref.configure(v["reference"], v["avg_rate"], v["median_frames"])
        self.ref.reset()

    def _configure(self, changed: set[str]) -> None:
        v = self.values
        self.ref.configure(v["reference"], v["avg_rate"], v["median_frames"])

    @property
    def wants_samples(self) -> int:  # type: ignore[override]
        return self.values["median_frames"] if self.values["reference"] == "median" else 0

    def _pre(self, img: np.ndarray) -> np.ndarray:
        """What a frame goes through before comparison; references get the same treatment."""
        return _blur(img, self.values.get("blur", 1))

    def prime(self, samples: list[np.ndarray]) -> None:
        self.ref.prime([self._pre(s) for s in samples])

    def capture_reference(self, frame: np.ndarray) -> None:
        self.ref.capture(self._pre(to_bgr8(frame)))

    def set_reference_image(self, img: np.ndarray | None) -> None:
        self.ref.set_image(None if img is None else self._pre(to_bgr8(img)))

    def _score(self, frame: np.ndarray, ref: np.ndarray) -> np.ndarray:
        return distance(frame, ref, self.values["distance"])

    def _apply(self, frame: np.ndarray) -> MethodOutput:
        f = self._pre(frame)
        ref = self.ref.update(f)
        score = self._score(f, ref)
        self.notes.add(self.ref.note)
        return MethodOutput(_threshold(score, self.values["threshold"]), score)

    def background(self) -> np.ndarray | None:
        return self.ref.image


def _threshold(score: np.ndarray, t: float) -> np.ndarray:
    """255 where score > t."""
    mask = cv2.threshold(score, t, 255, cv2.THRESH_BINARY)[1]
    return mask if mask.dtype == np.uint8 else mask.astype(np.uint8)


class SSIM(AbsDiff):
    name = "ssim"
    title = "SSIM dissimilarity"
    summary = ("Thresholds 1 - SSIM between the frame and a reference: compares local structure "
               "(mean, contrast, correlation) rather than raw intensity, so it tolerates some "
               "lighting change.")
    params = (
        *_reference_params(Param(
            "threshold", "float", 0.3,
            "Dissimilarity (1 - SSIM) above which a pixel is foreground: 0 identical structure, "
            "1 unrelated. Lower is more sensitive.",
            min=0.01, max=1.5, step=0.01, tune_min=0.05, tune_max=0.9)),
        Param("sigma", "float", 1.5,
              "Width of the Gaussian window SSIM compares (1.5: an 11-pixel window, as in Wang "
              "et al.). Wider windows ignore fine noise but blur object outlines.",
              min=0.5, max=5.0, step=0.1, tune_min=0.8, tune_max=3.0),
    )

    def _build(self) -> None:
        super()._build()
        self._stats: ReferenceStats | None = None
        self._stats_key: tuple | None = None

    def _apply(self, frame: np.ndarray) -> MethodOutput:
        ref = self.ref.update(frame)
        key = (self.ref.version, id(ref), self.values["sigma"])
        if self._stats is None or self._stats_key != key:
            self._stats = ReferenceStats(grey(ref), self.values["sigma"])
            self._stats_key = key
        score = np.float32(1.0) - self._stats.ssim_map(grey(frame))
        self.notes.add(self.ref.note)
        return MethodOutput(_threshold(score, self.values["threshold"]), score)


class FrameDiff(Method):
    name = "frame_diff"
    title = "Frame differencing"
    summary = ("Thresholds the difference between consecutive frames (two-frame), or keeps pixels "
               "that changed against both of the last two frames (three-frame), which removes "
               "the ghost an object leaves where it just was.")
    params = (
        Param("mode", "choice", "three",
              "two: |f(t) - f(t-1)|, sees moving edges and leaves a trailing ghost; three: a "
              "pixel must differ from both f(t-1) and f(t-2), which suppresses the ghost.",
              choices=("two", "three")),
        Param("threshold", "int", 20,
              "Grey-level difference above which a pixel is foreground. Lower catches slow or "
              "faint motion and more noise.",
              min=1, max=255, step=1, tune_min=5, tune_max=80, typical=(1, 80)),
        _blur_param(5),
    )

    def _build(self) -> None:
        self.prev: list[np.ndarray] = []

    def _configure(self, changed: set[str]) -> None:
        if "blur" in changed:
            self.prev = []

    def _apply(self, frame: np.ndarray) -> MethodOutput:
        g = _blur(grey(frame), self.values["blur"])
        if self.prev and self.prev[-1].shape != g.shape:
            self.prev = []
        if not self.prev:
            score = np.zeros_like(g)
        elif self.values["mode"] == "two" or len(self.prev) < 2:
            score = cv2.absdiff(g, self.prev[-1])
        else:
            score = cv2.min(cv2.absdiff(g, self.prev[-1]), cv2.absdiff(g, self.prev[-2]))
        self.prev = (self.prev + [g])[-2:]
        return MethodOutput(_threshold(score, self.values["threshold"]), score)

    @property
    def learning(self) -> bool:
        return self.frames_seen < (3 if self.values["mode"] == "three" else 2)


class TemporalMedian(Method):
    name = "median"
    title = "Temporal median"
    summary = ("The background is the per-pixel median of frames sampled from the clip, or of the "
               "first frames of a live stream (moving objects vanish from a median), optionally "
               "refreshed from recent frames; pixels far from it are foreground.")
    params = (
        Param("n_frames", "int", 25,
              "Frames the median is taken over. More frames tolerate busier scenes; each "
              "refresh costs more. In a live stream (a webcam) the model learns until it has "
              "collected this many.",
              min=3, max=199, step=2, tune=False),
        Param("refresh", "int", 0,
              "Recompute the median every K frames from recently seen frames, to follow slow "
              "changes (0 = keep the first median: sampled from the clip, or collected from a "
              "live stream).",
              min=0, max=5000, step=1, tune_min=0, tune_max=500, typical=(0, 500)),
        Param("sample_every", "int", 10,
              "Keep one frame in this many for the median, while collecting it from a live "
              "stream and while refreshing: spreads the samples over time so a slow object does "
              "not dominate them.",
              min=1, max=200, step=1, tune=False),
        Param("threshold", "int", 30,
              "Distance (grey levels) from the median above which a pixel is foreground.",
              min=1, max=255, step=1, tune_min=5, tune_max=100, typical=(1, 100)),
        Param("distance", "choice", "grey",
              "How the difference from the median is measured (see absdiff).",
              choices=DISTANCES),
        _blur_param(5),
    )

    @property
    def wants_samples(self) -> int:  # type: ignore[override]
        return self.values["n_frames"]

    def _build(self) -> None:
        self.primed: list[np.ndarray] | None = getattr(self, "primed", None)
        self._restart()

    def _restart(self, keep: list[np.ndarray] | None = None) -> None:
        """Forget the median; ``keep`` are samples still valid (at most n_frames are held)."""
        from collections import deque

        self.recent: deque[np.ndarray] = deque(keep or (), maxlen=self.values["n_frames"])
        self.bg: np.ndarray | None = None
        self.current: np.ndarray | None = None  # what frames are compared with, also while learning
        self.count = 0  # frames seen since the restart: picks one in sample_every
        self.since_refresh = 0

    def _configure(self, changed: set[str]) -> None:
        if "blur" in changed or "sample_every" in changed:
            self._restart()
        elif "n_frames" in changed:
            self._restart(list(self.recent))

    def prime(self, samples: list[np.ndarray]) -> None:
        self.primed = [s.copy() for s in samples] if samples else None
        self.bg = None

    def _set_background(self, bg: np.ndarray) -> None:
        self.bg = self.current = bg
        self.since_refresh = 0

    def _apply(self, frame: np.ndarray) -> MethodOutput:
        v = self.values
        f = _blur(frame, v["blur"])
        if self.recent and self.recent[-1].shape != f.shape:
            self.primed = None
            self._restart()
        sampled = self.count % v["sample_every"] == 0
        if sampled:
            self.recent.append(f)
        self.count += 1
        if self.bg is None:
            if self.primed and self.primed[0].shape == frame.shape:
                self._set_background(median_image([_blur(s, v["blur"]) for s in self.primed]))
            elif len(self.recent) == self.recent.maxlen:  # a stream: the N samples are in
                self._set_background(median_image(list(self.recent)))
            elif sampled or self.current is None:  # still learning: the median of what is in
                self.current = median_image(list(self.recent))
        elif v["refresh"] and self.since_refresh >= v["refresh"]:
            self._set_background(median_image(list(self.recent)))
        self.since_refresh += 1
        score = distance(f, self.current, v["distance"])
        return MethodOutput(_threshold(score, v["threshold"]), score)

    def background(self) -> np.ndarray | None:
        return self.current

    @property
    def learning(self) -> bool:
        """True until the median exists: at once when primed, after n_frames samples in a stream."""
        return self.bg is None


# opencv-contrib (cv2.bgsegm) -----------------------------------------------------------------

def _bgsegm():
    return getattr(cv2, "bgsegm", None)


class _Contrib(Method):
    factory: ClassVar[str]

    @classmethod
    def available(cls) -> bool:
        return _bgsegm() is not None and hasattr(_bgsegm(), cls.factory)

    @classmethod
    def unavailable_reason(cls) -> str | None:
        if cls.available():
            return None
        return f"{cls.name} needs cv2.bgsegm (install opencv-contrib-python-headless)"

    def _build(self) -> None:
        if not self.available():
            from .errors import BgappError

            raise BgappError(self.unavailable_reason())
        args, notes = self.factory_args(self.values)
        for note in notes:
            self.notes.add(note)
        self.model = getattr(_bgsegm(), self.factory)(*args)

    @classmethod
    def factory_args(cls, v: Mapping[str, Any]) -> tuple[tuple, list[str]]:
        """The OpenCV factory's arguments for values ``v``, and a note for each value adjusted to
        fit OpenCV. A plain function of the values, so the script export derives the very same
        arguments without building a model."""
        raise NotImplementedError

    def _apply(self, frame: np.ndarray) -> MethodOutput:
        try:
            return MethodOutput(binarise(self.model.apply(frame)))
        except cv2.error:
            if not self.values.get("motion_compensation"):
                raise
            # Lucas-Kanade compensation needs trackable features (findHomography wants 4 points);
            # a flat or noisy frame has none. Report no motion for that frame instead of failing.
            self.notes.add("camera motion compensation found too few features in some frames; "
                           "those frames show no foreground")
            return MethodOutput(np.zeros(frame.shape[:2], np.uint8))

    def background(self) -> np.ndarray | None:
        if not self.frames_seen:
            return None
        try:
            return self.model.getBackgroundImage()
        except cv2.error:  # GMG and a few others have none
            return None


_REBUILD = "Changing it restarts the model."
_MOTION_LK = 1  # cv2.bgsegm.LSBP_CAMERA_MOTION_COMPENSATION_LK, known without cv2.bgsegm (export)


class GMG(_Contrib):
    name = "gmg"
    title = "GMG (Bayesian, contrib)"
    summary = ("Per-pixel colour histograms and Bayesian inference (Godbehere et al. 2012); the "
               "mask stays empty during its initialisation frames.")
    factory = "createBackgroundSubtractorGMG"
    params = (
        Param("initialization_frames", "int", 120,
              "Frames used to learn the background before any foreground is reported (the mask "
              f"is black until then). {_REBUILD}",
              min=1, max=1000, step=1, rebuild=True, tune_min=10, tune_max=200, typical=(1, 300)),
        Param("decision_threshold", "float", 0.8,
              "Posterior probability of foreground above which a pixel is foreground. Lower is "
              "more sensitive.",
              min=0.0, max=1.0, step=0.01, tune_min=0.5, tune_max=0.99),
    )

    @classmethod
    def factory_args(cls, v: Mapping[str, Any]) -> tuple[tuple, list[str]]:
        return (v["initialization_frames"], v["decision_threshold"]), []

    def _configure(self, changed: set[str]) -> None:
        self.model.setDecisionThreshold(self.values["decision_threshold"])

    @property
    def learning(self) -> bool:
        return self.frames_seen < self.values["initialization_frames"]


class CNT(_Contrib):
    name = "cnt"
    title = "CNT (counting, contrib)"
    summary = ("Counts how many frames each pixel has kept the same colour; stable pixels are "
               "background. Very fast, suited to low-power devices.")
    factory = "createBackgroundSubtractorCNT"
    params = (
        Param("min_pixel_stability", "int", 15,
              "Frames a colour must stay unchanged to become background (the default assumes "
              f"15 fps: about one second). {_REBUILD}",
              min=1, max=500, step=1, rebuild=True, tune_min=2, tune_max=120, typical=(1, 120)),
        Param("max_pixel_stability", "int", 900,
              f"Maximum stability credit a pixel can build up (with history on). {_REBUILD}",
              min=1, max=10000, step=1, rebuild=True, tune_min=30, tune_max=3000, log=True,
              typical=(30, 3000)),
        Param("use_history", "bool", True,
              "Give pixels credit for being stable a long time, so brief changes do not flip "
              f"them to foreground. {_REBUILD}", rebuild=True),
    )

    @classmethod
    def factory_args(cls, v: Mapping[str, Any]) -> tuple[tuple, list[str]]:
        return (v["min_pixel_stability"], v["use_history"], v["max_pixel_stability"], True), []


class GSOC(_Contrib):
    name = "gsoc"
    title = "GSOC (contrib)"
    summary = ("Sample-based model with neighbour propagation and blinking suppression, written "
               "for Google Summer of Code; robust on dynamic backgrounds, slower.")
    factory = "createBackgroundSubtractorGSOC"
    params = (
        Param("motion_compensation", "bool", False,
              f"Compensate camera motion (Lucas-Kanade) before comparing. {_REBUILD}", rebuild=True, tune=False),
        Param("n_samples", "int", 20,
              f"Samples kept per pixel. {_REBUILD}", min=2, max=100, step=1, rebuild=True,
              tune_min=5, tune_max=40),
        Param("replace_rate", "float", 0.003,
              f"Probability of replacing an old sample: how fast the model updates. {_REBUILD}",
              min=0.0, max=1.0, step=0.001, rebuild=True, tune_min=0.0005, tune_max=0.05, log=True,
              typical=(0.0, 0.05)),
        Param("propagation_rate", "float", 0.01,
              f"Probability of propagating a sample to a neighbour. {_REBUILD}",
              min=0.0, max=1.0, step=0.001, rebuild=True, tune_min=0.001, tune_max=0.1, log=True,
              typical=(0.0, 0.1)),
        Param("hits_threshold", "int", 32,
              f"Matches a sample needs before it can replace another. {_REBUILD}",
              min=1, max=500, step=1, rebuild=True, tune_min=4, tune_max=100, typical=(1, 100)),
    )

    @classmethod
    def factory_args(cls, v: Mapping[str, Any]) -> tuple[tuple, list[str]]:
        mc = _MOTION_LK if v["motion_compensation"] else 0
        return (mc, v["n_samples"], v["replace_rate"], v["propagation_rate"], v["hits_threshold"]), []


class LSBP(_Contrib):
    name = "lsbp"
    title = "LSBP (local SVD binary pattern, contrib)"
    summary = ("Sample-based model that compares local texture descriptors as well as colour "
               "(Guo et al. 2016); tolerant of illumination change, the slowest method here.")
    factory = "createBackgroundSubtractorLSBP"
    params = (
        Param("motion_compensation", "bool", False,
              f"Compensate camera motion (Lucas-Kanade) before comparing. {_REBUILD}", rebuild=True, tune=False),
        Param("n_samples", "int", 20, f"Samples kept per pixel. {_REBUILD}",
              min=2, max=100, step=1, rebuild=True, tune_min=5, tune_max=40),
        Param("lsbp_radius", "int", 16, f"Radius of the texture descriptor. {_REBUILD}",
              min=1, max=64, step=1, rebuild=True, tune_min=4, tune_max=32),
        Param("t_lower", "float", 2.0, f"Lower bound of the adaptive decision threshold. {_REBUILD}",
              min=0.5, max=255.0, step=0.5, rebuild=True, tune_min=1.0, tune_max=20.0,
              typical=(0.5, 30.0)),
        Param("t_upper", "float", 32.0, f"Upper bound of the adaptive decision threshold. {_REBUILD}",
              min=1.0, max=255.0, step=0.5, rebuild=True, tune_min=16.0, tune_max=128.0,
              typical=(1.0, 128.0)),
        Param("min_count", "int", 2,
              f"Matching samples needed for a pixel to be background. {_REBUILD}",
              min=1, max=20, step=1, rebuild=True, tune_min=1, tune_max=6),
    )

    @classmethod
    def factory_args(cls, v: Mapping[str, Any]) -> tuple[tuple, list[str]]:
        mc = _MOTION_LK if v["motion_compensation"] else 0
        t_upper, notes = v["t_upper"], []
        if t_upper <= v["t_lower"]:  # OpenCV asserts Tlower < Tupper
            t_upper = v["t_lower"] + 1.0
            notes.append(f"lsbp: t_upper must exceed t_lower; using {t_upper:g}")
        return (mc, v["n_samples"], v["lsbp_radius"], v["t_lower"], t_upper, 1.0, 0.05, 10.0, 0.005,
                0.0004, 0.0008, 8, v["min_count"]), notes


class MOG(_Contrib):
    name = "mog"
    title = "MOG (KaewTraKulPong, contrib)"
    summary = ("The original per-pixel Gaussian mixture (KaewTraKulPong & Bowden 2001) that MOG2 "
               "improved on: a fixed number of Gaussians, no shadow detection.")
    factory = "createBackgroundSubtractorMOG"
    params = (
        Param("history", "int", 200, f"Length of the history. {_REBUILD}",
              min=1, max=10000, step=1, rebuild=True, tune_min=20, tune_max=2000, log=True,
              typical=(10, 1000)),
        Param("n_mixtures", "int", 5, f"Gaussians per pixel. {_REBUILD}",
              min=1, max=10, step=1, rebuild=True, tune_min=2, tune_max=7),
        Param("background_ratio", "float", 0.7,
              f"Share of the model's weight that counts as background. {_REBUILD}",
              min=0.05, max=1.0, step=0.01, rebuild=True, tune_min=0.3, tune_max=0.99),
        Param("noise_sigma", "float", 0.0,
              f"Assumed noise standard deviation (0: automatic). {_REBUILD}",
              min=0.0, max=100.0, step=0.5, rebuild=True, tune_min=0.0, tune_max=30.0,
              typical=(0.0, 30.0)),
    )

    @classmethod
    def factory_args(cls, v: Mapping[str, Any]) -> tuple[tuple, list[str]]:
        return (v["history"], v["n_mixtures"], v["background_ratio"], v["noise_sigma"]), []


METHODS: dict[str, type[Method]] = {
    m.name: m for m in (MOG2, KNN, AbsDiff, FrameDiff, SSIM, TemporalMedian, GMG, CNT, GSOC, LSBP, MOG)
}


def get_method(name: str) -> type[Method]:
    """The method class called ``name``; a BgappError lists the known names otherwise."""
    from .errors import BgappError

    try:
        return METHODS[name]
    except KeyError:
        raise BgappError(f"unknown method {name!r}; choose one of: {', '.join(METHODS)}") from None


def create(name: str, values: Mapping[str, Any] | None = None) -> Method:
    """A ready method; raises BgappError when it is unknown or unavailable here."""
    cls = get_method(name)
    if not cls.available():
        from .errors import BgappError

        raise BgappError(cls.unavailable_reason() or f"{name} is not available")
    return cls(values)
