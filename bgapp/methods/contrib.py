"""The opencv-contrib subtractors (``cv2.bgsegm``): GMG, CNT, GSOC, LSBP and MOG.

Each is built by its OpenCV factory from :meth:`ContribMethod.factory_args`, a plain function of the
values, so that other code (the script export) derives the very same arguments.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import cv2
import numpy as np

from .. import standalone
from ..params import Param
from .base import Method, MethodOutput


def _bgsegm():
    return getattr(cv2, "bgsegm", None)


class ContribMethod(Method):
    factory: ClassVar[str]
    model_class = standalone.Contrib
    model: standalone.Contrib

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
            from ..errors import BgappError

            raise BgappError(self.unavailable_reason())
        super()._build()

    @classmethod
    def factory_args(cls, v: Mapping[str, Any]) -> tuple[tuple, list[str]]:
        """The OpenCV factory's arguments for values ``v``, and a note for each value adjusted to
        fit OpenCV. A plain function of the values, so the script export derives the very same
        arguments without building a model."""
        raise NotImplementedError

    @classmethod
    def model_args(cls, values: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
        args, notes = cls.factory_args(values)
        kwargs: dict[str, Any] = {"factory": cls.factory, "args": list(args)}
        if values.get("motion_compensation"):
            kwargs["motion_compensation"] = True  # frames it cannot track show no motion
        return kwargs, notes

    def _configure(self, changed: set[str]) -> None:
        """Only a few of the factories' values have setters: each method sets its own."""

    def _apply(self, frame: np.ndarray) -> MethodOutput:
        untracked = self.model.untracked
        out = super()._apply(frame)
        if self.model.untracked > untracked:
            self.notes.add("camera motion compensation found too few features in some frames; "
                           "those frames show no foreground")
        return out

    def background(self) -> np.ndarray | None:
        if not self.frames_seen:
            return None
        try:
            return self.model.model.getBackgroundImage()
        except cv2.error:  # GMG and a few others have none
            return None


_REBUILD = "Changing it restarts the model."
_MOTION_LK = 1  # cv2.bgsegm.LSBP_CAMERA_MOTION_COMPENSATION_LK, known without cv2.bgsegm (export)


class GMG(ContribMethod):
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
        self.model.model.setDecisionThreshold(self.values["decision_threshold"])

    @property
    def learning(self) -> bool:
        return self.frames_seen < self.values["initialization_frames"]


class CNT(ContribMethod):
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


class GSOC(ContribMethod):
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


class LSBP(ContribMethod):
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
              min=1.0, max=255.0, step=1.0, rebuild=True, tune_min=16.0, tune_max=128.0,
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


class MOG(ContribMethod):
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
