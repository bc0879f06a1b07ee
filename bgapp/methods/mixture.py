"""OpenCV's Gaussian-mixture (MOG2) and sample-based (KNN) subtractors, with shadow marking."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from ..params import Param
from ..standalone import create_knn, create_mog2
from .base import Method, MethodOutput, PixelState, binarise, learning_rate_param, pixel_of, shadow_params


class _Subtractor(Method):
    """An OpenCV ``BackgroundSubtractor`` that marks shadows 127: applied at ``_rate()`` and binarised
    (shadows are background unless ``keep_shadows``)."""

    model: Any

    def _rate(self) -> float:
        return self.values["learning_rate"]

    def _apply(self, frame: np.ndarray) -> MethodOutput:
        raw = self.model.apply(frame, learningRate=self._rate())
        self._raw = raw  # OpenCV's 0/127/255 (127: shadow), for inspect
        return MethodOutput(binarise(raw, self.values["keep_shadows"]))

    def inspect(self, x: int, y: int, background: np.ndarray | None = None) -> PixelState:
        raw = pixel_of(getattr(self, "_raw", None), x, y)
        return replace(super().inspect(x, y, background), shadow=raw is not None and raw[0] == 127)

    def background(self) -> np.ndarray | None:
        return self.model.getBackgroundImage() if self.frames_seen else None

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
    script = "MOG2"

    def _build(self) -> None:
        v = self.values
        self.model = create_mog2(v["history"], v["var_threshold"], v["detect_shadows"], v["n_mixtures"],
                                 v["background_ratio"], v["shadow_threshold"])

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
    script = "KNN"

    @classmethod
    def script_model(cls, values: Mapping[str, Any]) -> tuple[str, dict[str, Any], list[str]]:
        name, args, notes = super().script_model(values)
        args["knn_samples"], note = cls._clamped_knn(values)
        return name, args, notes + ([note] if note else [])

    def _build(self) -> None:
        v = self.values
        self.model = create_knn(v["history"], v["dist2_threshold"], v["detect_shadows"], v["n_samples"],
                                self._knn(), v["shadow_threshold"])

    @staticmethod
    def _clamped_knn(v: Mapping[str, Any]) -> tuple[int, str | None]:
        """knn_samples as OpenCV gets it (at most n_samples), and a note when it was clamped."""
        k, n = v["knn_samples"], v["n_samples"]
        if k > n:
            return n, f"knn_samples {k} exceeds n_samples {n}: using {n}"
        return v["knn_samples"], None

    def _knn(self) -> int:
        k, note = self._clamped_knn(self.values)
        if note:
            self.notes.add(note)
        return k

    def _configure(self, changed: set[str]) -> None:
        v, m = self.values, self.model
        m.setHistory(v["history"])
        m.setDist2Threshold(v["dist2_threshold"])
        m.setDetectShadows(v["detect_shadows"])
        m.setShadowThreshold(v["shadow_threshold"])
        m.setkNNSamples(self._knn())
