"""The learned background model: BMN-BSN's two networks (:mod:`bgapp.bmn_bsn`) as a method."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .. import bmn_bsn, standalone
from ..params import Param
from .base import MethodOutput, PixelState
from .sampled import SampledBackground, sample_params


class BMNBSN(SampledBackground):
    name = "bmn_bsn"
    title = "Learned model (BMN-BSN)"
    summary = ("Two small neural networks trained here (Mondéjar-Guerra et al., BMVC 2019): one "
               "learns a 12-channel background model from frames sampled across the clip (or the "
               "first frames of a live stream), the other gives each pixel of a frame its "
               "probability of being foreground against that model and the frames' per-pixel median, "
               "deciding the last step at 320x240 so small objects keep their detail. Trained on other "
               "scenes than the ones it is scored on.")
    params = (
        *sample_params(bmn_bsn.N_REF, 2, bmn_bsn.N_REF, 1,
                       f"More frames (up to the network's {bmn_bsn.N_REF}) show the modeler more of the "
                       "scene behind moving objects; fewer are repeated to fill its inputs.", every=5),
        Param("threshold", "float", bmn_bsn.default_threshold(),
              "Foreground probability above which a pixel is foreground. Lower finds more of "
              "each object and more false alarms. The default is the value training chose on its "
              "own scenes (the model card's).",
              min=0.01, max=0.99, step=0.01, tune_min=0.1, tune_max=0.9),
        Param("smoothing", "float", 0.0,
              "Weight of the past in each pixel's probability (an exponential moving average over "
              "frames, 0 = this frame's alone). Higher steadies flicker (waves, leaves, noise) and a "
              "slow or briefly still object; it also drags a trail behind a fast one.",
              min=0.0, max=0.9, step=0.05, tune_min=0.0, tune_max=0.8),
    )

    @classmethod
    def available(cls) -> bool:
        return bmn_bsn.unavailable_reason() is None

    @classmethod
    def unavailable_reason(cls) -> str | None:
        return bmn_bsn.unavailable_reason()

    model_class = standalone.BMNBSN
    model: standalone.BMNBSN
    size: tuple[int, int] = bmn_bsn.NET_SIZE  # (w, h) of the last frame: the false-colour view's
    score_threshold = "threshold"
    inspect_note = ("The score is the subtraction network's probability that the pixel is foreground, "
                    "foreground above the threshold. The learned background is 12 channels of features, not "
                    "colours, so no background value is drawn for the pixel.")
    script_needs = ("the learned model's two network files, bmn.onnx and bsn.onnx (bgapp/models/ in a bgapp "
                    "install, about 2.5 MB): it looks for them in $BGAPP_MODELS, then next to the script, then "
                    "where they were when it was exported (CONFIG's model_args)")

    @classmethod
    def script_model(cls, values: Mapping[str, Any]) -> tuple[str, dict[str, Any], list[str]]:
        """The script's model reads the ONNX files; it is told where this install keeps them."""
        name, args, notes = super().script_model(values)
        return name, {**args, "models": str(bmn_bsn.model_dir().resolve())}, notes

    def _make(self, args: dict[str, Any]) -> standalone.BMNBSN:
        nets = bmn_bsn.Networks()  # read once per folder and checked, with a clear message where broken
        return standalone.BMNBSN(**args, nets=(nets.bmn, nets.bsn))

    def _apply(self, frame: np.ndarray) -> MethodOutput:
        self.size = (frame.shape[1], frame.shape[0])
        return super()._apply(frame)

    def inspect(self, x: int, y: int, background: np.ndarray | None = None) -> PixelState:
        return PixelState(threshold=float(self.values["threshold"]))

    def background(self) -> np.ndarray | None:
        """The learned model's 12 channels as four false-colour images (2 x 2), as the paper shows them."""
        features = self.model.features
        return None if features is None else bmn_bsn.false_colour(features, self.size)
