"""Methods that threshold a difference: against a reference (absolute difference, SSIM) or
against the previous frames (frame differencing)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..errors import BgappError
from ..frames import to_bgr8
from ..params import Param
from ..reference import DISTANCES, Reference, distance, grey
from ..ssim import ReferenceStats
from ..standalone import frame_difference
from .base import Method, MethodOutput, blur, blur_param, reference_params, threshold


class _AgainstReference(Method):
    """Compares each frame with a :class:`~bgapp.reference.Reference` (first frame, snapshot, image,
    running average or sampled median) and thresholds the dissimilarity ``_score``."""

    uses_reference = True
    score_threshold = "threshold"

    @classmethod
    def script_model(cls, values: Mapping[str, Any]) -> tuple[str, dict[str, Any], list[str]]:
        ref = values["reference"]
        if ref in ("snapshot", "image"):
            what = "a snapshot captured in the app" if ref == "snapshot" else "an uploaded image"
            raise BgappError(f"cannot export {cls.name} with reference {ref!r} as a script: it compares "
                             f"frames with {what}, which the config does not hold; use reference first, "
                             "running_average or median")
        return super().script_model(values)

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
        return img

    def prime(self, samples: list[np.ndarray]) -> None:
        self.ref.prime([self._pre(s) for s in samples])

    def capture_reference(self, frame: np.ndarray) -> None:
        self.ref.capture(self._pre(to_bgr8(frame)))

    def set_reference_image(self, img: np.ndarray | None) -> None:
        self.ref.set_image(None if img is None else self._pre(to_bgr8(img)))

    def _score(self, frame: np.ndarray, ref: np.ndarray) -> np.ndarray:
        """The dissimilarity map of a (pre-processed) frame and the reference."""
        raise NotImplementedError

    def _apply(self, frame: np.ndarray) -> MethodOutput:
        f = self._pre(frame)
        ref = self.ref.update(f)
        score = self._score(f, ref)
        self.notes.add(self.ref.note)
        return MethodOutput(threshold(score, self.values["threshold"]), score)

    def background(self) -> np.ndarray | None:
        return self.ref.image


class AbsDiff(_AgainstReference):
    name = "absdiff"
    title = "Absolute difference"
    summary = ("Thresholds the per-pixel distance between the frame and a reference background "
               "(first frame, snapshot, image, running average or sampled median).")
    params = (
        *reference_params(Param(
            "threshold", "int", 30,
            "Distance (grey levels) above which a pixel is foreground. Lower catches faint "
            "changes and more noise; higher keeps only strong changes.",
            min=1, max=255, step=1, tune_min=5, tune_max=100, typical=(1, 100))),
        Param("distance", "choice", "grey",
              "How the difference is measured: grey-level difference; colour (Euclidean) "
              "distance; the largest channel difference; or HSV, where colour changes count "
              "fully and brightness changes half (softer on shadows).",
              choices=DISTANCES),
        blur_param(5),
    )
    script = "AbsDiff"
    inspect_note = ("The score is the distance between the blurred frame and the reference (the background "
                    "line: the blurred reference's value); the pixel is foreground where the score exceeds "
                    "the threshold.")

    def _pre(self, img: np.ndarray) -> np.ndarray:
        return blur(img, self.values["blur"])

    def _score(self, frame: np.ndarray, ref: np.ndarray) -> np.ndarray:
        return distance(frame, ref, self.values["distance"])


class SSIM(_AgainstReference):
    name = "ssim"
    title = "SSIM dissimilarity"
    summary = ("Thresholds 1 - SSIM between the frame and a reference: compares local structure "
               "(mean, contrast, correlation) rather than raw intensity, so it tolerates some "
               "lighting change.")
    params = (
        *reference_params(Param(
            "threshold", "float", 0.3,
            "Dissimilarity (1 - SSIM) above which a pixel is foreground: 0 identical structure, "
            "1 unrelated. Lower is more sensitive.",
            min=0.01, max=1.5, step=0.01, tune_min=0.05, tune_max=0.9)),
        Param("sigma", "float", 1.5,
              "Width of the Gaussian window SSIM compares (1.5: an 11-pixel window, as in Wang "
              "et al.). Wider windows ignore fine noise but blur object outlines.",
              min=0.5, max=5.0, step=0.1, tune_min=0.8, tune_max=3.0),
    )
    script = "SSIM"
    inspect_note = ("The score is 1 - SSIM between the window around the pixel in the frame and in the "
                    "reference (grey levels); the pixel is foreground where it exceeds the threshold. A pixel "
                    "whose own value hardly changes can still score high when its neighbourhood does.")

    def _build(self) -> None:
        super()._build()
        self._stats: ReferenceStats | None = None
        self._stats_key: tuple | None = None

    def _score(self, frame: np.ndarray, ref: np.ndarray) -> np.ndarray:
        key = (self.ref.version, id(ref), self.values["sigma"])
        if self._stats is None or self._stats_key != key:  # the reference's statistics, once per reference
            self._stats = ReferenceStats(grey(ref), self.values["sigma"])
            self._stats_key = key
        return np.float32(1.0) - self._stats.ssim_map(grey(frame))


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
        blur_param(5),
    )
    script = "FrameDiff"
    score_threshold = "threshold"
    inspect_note = ("Frame differencing keeps no background: the score is the pixel's grey-level change from "
                    "the previous frame (three-frame: the smaller change of the last two), foreground above "
                    "the threshold. A pixel inside a still object scores 0.")

    def _build(self) -> None:
        self.prev: list[np.ndarray] = []

    def _configure(self, changed: set[str]) -> None:
        if "blur" in changed:
            self.prev = []

    def _apply(self, frame: np.ndarray) -> MethodOutput:
        g = blur(grey(frame), self.values["blur"])
        if self.prev and self.prev[-1].shape != g.shape:
            self.prev = []
        score = frame_difference(g, self.prev, self.values["mode"])
        self.prev = (self.prev + [g])[-2:]
        return MethodOutput(threshold(score, self.values["threshold"]), score)

    @property
    def learning(self) -> bool:
        return self.frames_seen < (3 if self.values["mode"] == "three" else 2)
