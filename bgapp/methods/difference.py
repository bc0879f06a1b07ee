"""Methods that threshold a difference: against a reference (absolute difference, SSIM) or
against the previous frames (frame differencing). The algorithms are :mod:`bgapp.standalone`'s
``AbsDiff``, ``SSIM`` and ``FrameDiff``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .. import standalone
from ..errors import BgappError
from ..params import Param
from ..standalone import DISTANCES
from .base import Method, MethodOutput, blur_param, reference_params


class _AgainstReference(Method):
    """Compares each frame with a :class:`~bgapp.standalone.Reference` (first frame, snapshot, image,
    running average or sampled median) and thresholds the model's dissimilarity."""

    model: standalone.AgainstReference

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

    def _carry(self, old: standalone.AgainstReference) -> None:
        self.model.ref.keep(old.ref)  # a snapshot, an uploaded image and sampled frames outlive a reset

    def _configure(self, changed: set[str]) -> None:
        super()._configure(changed)
        v = self.values
        self.model.ref.configure(v["reference"], v["avg_rate"], v["median_frames"])

    def capture_reference(self, frame: np.ndarray) -> None:
        self.model.capture(frame)

    def set_reference_image(self, img: np.ndarray | None) -> None:
        self.model.set_image(img)

    def _apply(self, frame: np.ndarray) -> MethodOutput:
        out = super()._apply(frame)
        self.notes.add(self.model.ref.note)
        return out

    def background(self) -> np.ndarray | None:
        return self.model.ref.image


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
    model_class = standalone.AbsDiff
    inspect_note = ("The score is the distance between the blurred frame and the reference (the background "
                    "line: the blurred reference's value); the pixel is foreground where the score exceeds "
                    "the threshold.")


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
    model_class = standalone.SSIM
    inspect_note = ("The score is 1 - SSIM between the window around the pixel in the frame and in the "
                    "reference (grey levels); the pixel is foreground where it exceeds the threshold. A pixel "
                    "whose own value hardly changes can still score high when its neighbourhood does.")


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
    model_class = standalone.FrameDiff
    score_threshold = "threshold"
    inspect_note = ("Frame differencing keeps no background: the score is the pixel's grey-level change from "
                    "the previous frame (three-frame: the smaller change of the last two), foreground above "
                    "the threshold. A pixel inside a still object scores 0.")

    def _configure(self, changed: set[str]) -> None:
        super()._configure(changed)
        if "blur" in changed:
            self.model.prev = []  # frames blurred otherwise are not comparable

    @property
    def learning(self) -> bool:
        return self.frames_seen < (3 if self.values["mode"] == "three" else 2)
