"""Inference for the learned background model (BMN-BSN, Mondéjar-Guerra et al., BMVC 2019).

Two small U-Nets, trained by ``train/bmn_bsn.py`` and shipped as ONNX files in ``bgapp/models/``,
run through OpenCV's DNN module (no other runtime):

- the background modeler (BMN) turns ``N_REF`` reference frames of a scene into an
  ``M_CHANNELS``-channel background model, once per scene or per refresh;
- the background subtractor (BSN) turns that model, the references' per-pixel median and one
  frame into the probability that each pixel is foreground.

Both U-Nets run at ``NET_SIZE`` whatever the video's size (a 2-core CPU cannot afford more at video
rate); the BSN's last stage decides each pixel at ``FINE_SIZE`` (twice that) from its U-Net's
answer and the frame's difference from the median there, so small objects and edges keep the detail
a 160x120 map loses; the probability map is resized back to the frame. An ensemble (several pairs
trained alike from different seeds, ``train/bmn_bsn.py --ensemble``) ships as one pair of files whose
model holds ``M_CHANNELS`` channels per member and whose probability is the members' mean: nothing
here tells the two apart. The array functions are
:mod:`bgapp.standalone`'s (a script export runs the same ones); here are where the files are
found, why they may be unusable, the false-colour view, and one small class that holds a
session's two networks (an OpenCV ``Net`` is not shared across threads).
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from .errors import BgappError
from .standalone import (
    BMN_BSN_FILES,
    BMN_BSN_FINE,
    BMN_BSN_REFS,
    BMN_BSN_SIZE,
    bmn_bsn_blob,
    bmn_bsn_model,
    bmn_bsn_probability,
    bmn_bsn_slots,
)

NET_SIZE = BMN_BSN_SIZE  # (w, h) both U-Nets run at: divisible by 8 for their 3 poolings
FINE_SIZE = BMN_BSN_FINE  # (w, h) the BSN's per-pixel last stage runs at, and samples are kept at
N_REF = BMN_BSN_REFS  # reference frames the BMN takes (3 channels each); fewer are repeated to fill
M_CHANNELS = 12  # channels of one modeler's background model (an ensemble's has this many per member)
BMN_FILE, BSN_FILE = BMN_BSN_FILES
CARD_FILE = "card.json"
MODELS_ENV = "BGAPP_MODELS"  # a folder with retrained files to use instead of the shipped ones


def model_dir() -> Path:
    """Where the ONNX files and the card are read from: ``$BGAPP_MODELS`` or the package's own."""
    return Path(os.environ.get(MODELS_ENV) or Path(__file__).parent / "models")


@cache
def _read_nets(folder: Path, stamp: tuple[float, ...]) -> tuple[bytes, bytes]:
    """Both files' bytes, checked once per folder and modification time: OpenCV parses them."""
    data = []
    for name in (BMN_FILE, BSN_FILE):
        path = folder / name
        try:
            raw = path.read_bytes()
            cv2.dnn.readNetFromONNX(np.frombuffer(raw, np.uint8))
        except OSError as e:
            raise BgappError(f"the learned model's {name} cannot be read from {folder}: {e.strerror or e}") from None
        except cv2.error:
            raise BgappError(f"the learned model's {name} in {folder} is not a readable ONNX network") from None
        data.append(raw)
    return data[0], data[1]


def read_nets(folder: Path | None = None) -> tuple[bytes, bytes]:
    """The BMN's and BSN's ONNX bytes; a one-line BgappError says what is missing or broken."""
    folder = folder or model_dir()
    stamp = tuple((folder / n).stat().st_mtime if (folder / n).exists() else -1.0 for n in (BMN_FILE, BSN_FILE))
    return _read_nets(folder, stamp)


def unavailable_reason(folder: Path | None = None) -> str | None:
    """Why the learned model cannot run here (None when it can)."""
    try:
        read_nets(folder)
    except BgappError as e:
        return f"{e} (train/bmn_bsn.py rebuilds it)"
    return None


def card(folder: Path | None = None) -> dict[str, Any]:
    """The model card training wrote (data, held-out scenes, scores), or {} where there is none."""
    try:
        return json.loads(((folder or model_dir()) / CARD_FILE).read_text())
    except (OSError, ValueError):
        return {}


def default_threshold(folder: Path | None = None) -> float:
    """The decision threshold training calibrated on its own scenes (the card's), else 0.5."""
    value = card(folder).get("threshold", 0.5)
    return round(float(value), 2) if isinstance(value, (int, float)) and 0.01 <= value <= 0.99 else 0.5


# the primitives live in bgapp.standalone, which a script export copies verbatim: written once
to_blob = bmn_bsn_blob
reference_slots = bmn_bsn_slots


def false_colour(model: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The M-channel model as a 2 x 2 mosaic of RGB images (channels 1-3, 4-6, ...), each channel
    stretched to its own range: how the paper shows the maps; ``size`` is the mosaic's (w, h). Of an
    ensemble's model, the first member's 12 channels."""
    w, h = size
    tw, th = max(1, w // 2), max(1, h // 2)
    tiles = []
    for k in range(0, min(len(model), 12), 3):
        rgb = model[k:k + 3]
        lo = rgb.min(axis=(1, 2), keepdims=True)
        span = np.maximum(rgb.max(axis=(1, 2), keepdims=True) - lo, 1e-6)
        img = ((rgb - lo) / span * 255).astype(np.uint8)
        tiles.append(cv2.resize(np.ascontiguousarray(np.moveaxis(img, 0, 2)), (tw, th),
                                interpolation=cv2.INTER_LINEAR))
    while len(tiles) < 4:
        tiles.append(np.zeros_like(tiles[0]))
    mosaic = np.vstack([np.hstack(tiles[:2]), np.hstack(tiles[2:4])])
    return mosaic if mosaic.shape[:2] == (h, w) else cv2.resize(mosaic, (w, h), interpolation=cv2.INTER_NEAREST)


class Networks:
    """One session's BMN and BSN, read from ``folder`` (default :func:`model_dir`)."""

    def __init__(self, folder: Path | None = None) -> None:
        bmn, bsn = read_nets(folder)
        self.bmn = cv2.dnn.readNetFromONNX(np.frombuffer(bmn, np.uint8))
        self.bsn = cv2.dnn.readNetFromONNX(np.frombuffer(bsn, np.uint8))

    def model(self, refs: list[np.ndarray]) -> np.ndarray:
        """The M x H x W background model of the reference frames (repeated to fill ``N_REF``); M is
        ``M_CHANNELS`` times the members of an ensemble."""
        return bmn_bsn_model(self.bmn, refs)

    def probability(self, frame: np.ndarray, model: np.ndarray, median: np.ndarray) -> np.ndarray:
        """Each pixel's probability of being foreground, float32 in [0, 1] at ``FINE_SIZE``, against
        the BMN's ``model`` and the references' per-pixel ``median``."""
        return bmn_bsn_probability(self.bsn, model, median, frame)
