"""OpenCV's Gaussian-mixture (MOG2) and sample-based (KNN) subtractors, with shadow marking."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from .. import standalone
from ..params import Param
from .base import Method, PixelState, learning_rate_param, pixel_of, shadow_params


class _Subtractor(Method):
    """An OpenCV ``BackgroundSubtractor`` that marks shadows 127 (:class:`bgapp.standalone.Subtractor`);
    here its live setters, shadows for the inspector and the background view."""

    model: standalone.Subtractor

    def _configure(self, changed: set[str]) -> None:
        super()._configure(changed)  # the learning schedule and keep_shadows
        v, m = self.values, self.model.model
        m.setHistory(v["history"])
        m.setDetectShadows(v["detect_shadows"])
        m.setShadowThreshold(v["shadow_threshold"])

    def inspect(self, x: int, y: int, background: np.ndarray | None = None) -> PixelState:
        raw = pixel_of(self.model.raw, x, y)  # OpenCV's 0/127/255 (127: shadow)
        return replace(super().inspect(x, y, background), shadow=raw is not None and raw[0] == 127)

    def background(self) -> np.ndarray | None:
        return self.model.model.getBackgroundImage() if self.frames_seen else None

    @property
    def learning(self) -> bool:
        return self.frames_seen < 1


class MOG2(_Subtractor):
    name = "mog2"
    title = "MOG2 (Gaussian mixture)"
    summary = ("Models each pixel as a mixture of Gaussians learned over the recent history; "
               "pixels no Gaussian of the background explains are foreground (Zivkovic 2004/2006).")
    inspect_note = ("OpenCV keeps MOG2's per-pixel Gaussians (their weights, means and variances) private: no "
                    "call returns them, so the band a pixel is compared with cannot be drawn. Shown: the "
                    "background image OpenCV gives (the weighted mean of the Gaussians it counts as "
                    "background), the pixel, and the decision, with shadows (OpenCV marks them apart).")
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
        *shadow_params(),
        Param("n_mixtures", "int", 5,
              "Gaussians per pixel. More lets a pixel remember several backgrounds (waving "
              "trees, water) at a cost in speed. Changing it rebuilds the model.",
              min=1, max=10, step=1, rebuild=True, tune_min=2, tune_max=7),
        Param("background_ratio", "float", 0.9,
              "Share of the model's weight that counts as background. Lower: only the most "
              "frequent colours are background, so rarer ones (a swaying branch) become foreground.",
              min=0.05, max=1.0, step=0.01, tune_min=0.5, tune_max=0.99),
        learning_rate_param(),
        Param("warmup_frames", "int", 0,
              "Frames at the start (and after a reset) that learn at the faster warm-up rate, so "
              "the first masks are usable sooner. 0 = no warm-up.",
              min=0, max=2000, step=1, tune=False, typical=(0, 300)),
        Param("warmup_rate", "float", 0.05,
              "Learning rate during the warm-up frames.",
              min=0.001, max=1.0, step=0.001, tune=False, typical=(0.001, 0.2),
              visible_if=("warmup_frames", (">0",))),
    )
    model_class = standalone.MOG2

    def _configure(self, changed: set[str]) -> None:
        super()._configure(changed)
        v, m = self.values, self.model.model
        m.setVarThreshold(v["var_threshold"])
        m.setBackgroundRatio(v["background_ratio"])

    @property
    def learning(self) -> bool:
        return self.frames_seen < max(self.values["warmup_frames"], 1)


class KNN(_Subtractor):
    name = "knn"
    title = "KNN (sample-based)"
    summary = ("Keeps a few recent samples per pixel; a pixel is background when enough samples "
               "lie within a distance of it (Zivkovic & van der Heijden 2006).")
    inspect_note = ("OpenCV keeps KNN's per-pixel samples private: no call returns them, so the samples a pixel "
                    "is matched against cannot be drawn. Shown: the background image OpenCV gives (built from "
                    "the samples), the pixel, and the decision, with shadows (OpenCV marks them apart).")
    params = (
        Param("history", "int", 500,
              "Number of recent frames the samples are drawn from. Short adapts fast; long keeps "
              "stopped objects in the foreground longer.",
              min=1, max=10000, step=1, tune_min=20, tune_max=2000, log=True, typical=(10, 1000)),
        Param("dist2_threshold", "float", 400.0,
              "Squared colour distance within which a sample matches the pixel. Lower: more "
              "sensitive and noisier; higher: cleaner but misses objects close to the background colour.",
              min=0.0, max=10000.0, step=10.0, tune_min=50.0, tune_max=3000.0, log=True,
              typical=(50.0, 1500.0)),
        *shadow_params(),
        Param("n_samples", "int", 7,
              "Samples stored per pixel. More samples describe busier backgrounds at a cost in "
              "memory and speed. Changing it rebuilds the model.",
              min=2, max=30, step=1, rebuild=True, tune_min=3, tune_max=15),
        Param("knn_samples", "int", 2,
              "How many stored samples must match for a pixel to be background. Higher is "
              "stricter (more foreground). Clamped to n_samples.",
              min=1, max=30, step=1, tune_min=1, tune_max=5),
        learning_rate_param(),
    )
    model_class = standalone.KNN

    @classmethod
    def model_args(cls, values: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """``knn_samples`` at most ``n_samples`` (OpenCV's limit), with a note where it was clamped."""
        args, notes = super().model_args(values)
        k, n = values["knn_samples"], values["n_samples"]
        if k > n:
            args["knn_samples"] = n
            notes.append(f"knn_samples {k} exceeds n_samples {n}: using {n}")
        return args, notes

    def _configure(self, changed: set[str]) -> None:
        super()._configure(changed)
        v, m = self.values, self.model.model
        m.setDist2Threshold(v["dist2_threshold"])
        m.setkNNSamples(self._args()["knn_samples"])
