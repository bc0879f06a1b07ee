"""Image-diff page logic: two pictures of one place, what changed between them, and where.

The knobs are the engine's own declarations (the absdiff and SSIM methods' threshold, distance,
blur and sigma; post-processing; the compositor's minimum blob area), so their ranges, defaults
and help texts are not retyped here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from bgapp.composite import COMPOSITE_PARAMS, draw_contours
from bgapp.frames import decode_image
from bgapp.methods import METHODS
from bgapp.params import Param, odd_kernel
from bgapp.postprocess import PostProcessor
from bgapp.reference import distance, grey
from bgapp.ssim import ssim_map, ssim_score
from bgapp.synthetic import SyntheticScene

DEMO_FRAME = 170  # a busy moment of the demo: several objects and a shadow
MODES = {"difference": "Colour difference", "ssim": "Structure (SSIM)"}


def _params(method: str, names: tuple[str, ...]) -> list[Param]:
    return [p for p in METHODS[method].params if p.name in names]


DIFF_PARAMS = _params("absdiff", ("distance", "threshold", "blur"))
SSIM_PARAMS = _params("ssim", ("threshold", "sigma"))
BOX_PARAMS = [p for p in COMPOSITE_PARAMS if p.name == "box_min_area"]


def demo_pair() -> tuple[np.ndarray, np.ndarray]:
    """The demo's empty room and a busy frame of it (same lighting): something to show at once."""
    scene = SyntheticScene()
    return scene.background(DEMO_FRAME), scene.frame(DEMO_FRAME)


def load_pair(a: Any, b: Any) -> tuple[np.ndarray, np.ndarray, str | None]:
    """Decode two uploads (grey, RGBA, 16-bit all become 8-bit BGR); the second is resized to the
    first when their sizes differ, with a note saying so."""
    img_a = decode_image(a.getvalue(), a.name)
    img_b = decode_image(b.getvalue(), b.name)
    note = None
    if img_a.shape[:2] != img_b.shape[:2]:
        (ha, wa), (hb, wb) = img_a.shape[:2], img_b.shape[:2]
        img_b = cv2.resize(img_b, (wa, ha), interpolation=cv2.INTER_AREA if hb * wb > ha * wa else cv2.INTER_LINEAR)
        note = f"{b.name} is {wb}x{hb} and {a.name} is {wa}x{ha}: {b.name} was resized to {wa}x{ha} to compare them."
    return img_a, img_b, note


@dataclass
class Diff:
    score: np.ndarray  # what was thresholded (distance, or 1 - SSIM)
    dissimilarity: np.ndarray  # 1 - SSIM map
    ssim: float
    mask: np.ndarray
    boxed: np.ndarray
    regions: int
    changed: float  # share of pixels in the mask


def _blur(img: np.ndarray, k: int) -> np.ndarray:
    k, _ = odd_kernel(k)
    return cv2.GaussianBlur(img, (k, k), 0) if k > 1 else img


def compare(a: np.ndarray, b: np.ndarray, mode: str, values: dict[str, Any], post: dict[str, Any],
            box_min_area: int) -> Diff:
    """Threshold the difference (or 1 - SSIM), clean the mask, box each region big enough."""
    dissimilarity = 1.0 - ssim_map(grey(b), grey(a), values.get("sigma", 1.5))
    if mode == "ssim":
        score = dissimilarity
    else:
        score = distance(_blur(b, values["blur"]), _blur(a, values["blur"]), values["distance"])
    mask = cv2.threshold(score, values["threshold"], 255, cv2.THRESH_BINARY)[1].astype(np.uint8)
    mask = PostProcessor(post)(mask)
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    regions = sum(1 for c in contours if cv2.contourArea(c) >= box_min_area)
    return Diff(score=score, dissimilarity=dissimilarity, ssim=ssim_score(grey(b), grey(a), values.get("sigma", 1.5)),
                mask=mask, boxed=draw_contours(b, mask, min_area=box_min_area), regions=regions,
                changed=float(np.count_nonzero(mask)) / mask.size)
