"""Image-diff page logic: two pictures of one place, what changed between them, and where.

The knobs are the engine's own declarations (the absdiff and SSIM methods' threshold, distance,
blur and sigma; post-processing; the compositor's minimum blob area), so their ranges, defaults
and help texts are not retyped here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import cv2
import numpy as np

from bgapp.composite import COMPOSITE_PARAMS, draw_contours
from bgapp.frames import decode_image, fit_to
from bgapp.methods import METHODS
from bgapp.params import Param, odd_kernel
from bgapp.postprocess import PostProcessor
from bgapp.ssim import ssim_map, ssim_score
from bgapp.standalone import distance, grey
from bgapp.synthetic import SyntheticScene

DEMO_FRAME = 170  # a busy moment of the demo: several objects and a shadow
MODES = {"difference": "Colour difference", "ssim": "Structure (SSIM)"}


def _params(method: str, names: tuple[str, ...]) -> list[Param]:
    return [p for p in METHODS[method].params if p.name in names]


DIFF_PARAMS = _params("absdiff", ("distance", "threshold", "blur"))
SSIM_PARAMS = _params("ssim", ("threshold", "sigma"))
# the compositor's declaration, shown here whatever the composite mode (this page has none)
BOX_PARAMS = [replace(p, visible_if=None) for p in COMPOSITE_PARAMS if p.name == "box_min_area"]
DIFF_DEFAULTS = {p.name: p.default for p in DIFF_PARAMS}
SSIM_DEFAULTS = {p.name: p.default for p in SSIM_PARAMS}


def demo_pair() -> tuple[np.ndarray, np.ndarray]:
    """The demo's empty room and a busy frame of it (same lighting): something to show at once."""
    scene = SyntheticScene()
    return scene.background(DEMO_FRAME), scene.frame(DEMO_FRAME)


def load_pair(a: Any, b: Any, max_side: int | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Decode two uploads (grey, RGBA, 16-bit all become 8-bit BGR), scale the first down to
    ``max_side`` and the second to the first's size, with notes saying what was resized."""
    img_a = decode_image(a.getvalue(), a.name)
    img_b = decode_image(b.getvalue(), b.name)
    notes = []
    scaled = fit_to(img_a, max_side)
    if scaled.shape != img_a.shape:
        notes.append(f"Compared at {scaled.shape[1]}x{scaled.shape[0]} (the reference is "
                     f"{img_a.shape[1]}x{img_a.shape[0]}): see Processing size.")
        img_a = scaled
    if img_a.shape[:2] != img_b.shape[:2]:
        (ha, wa), (hb, wb) = img_a.shape[:2], img_b.shape[:2]
        img_b = cv2.resize(img_b, (wa, ha), interpolation=cv2.INTER_AREA if hb * wb > ha * wa else cv2.INTER_LINEAR)
        if not notes:
            notes.append(f"{b.name} is {wb}x{hb} and {a.name} is {wa}x{ha}: {b.name} was resized to {wa}x{ha} "
                         "to compare them.")
    return img_a, img_b, notes


@dataclass
class Diff:
    difference: np.ndarray  # colour distance (the declared defaults when comparing by SSIM)
    distance: str  # how ``difference`` was measured
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
    """Threshold the difference (or 1 - SSIM), clean the mask, box each region big enough.

    Both maps are computed whatever the mode, so the page can show them side by side.
    """
    sigma = values.get("sigma", SSIM_DEFAULTS["sigma"])
    dissimilarity = 1.0 - ssim_map(grey(b), grey(a), sigma)
    dv = values if mode == "difference" else DIFF_DEFAULTS
    difference = distance(_blur(b, dv["blur"]), _blur(a, dv["blur"]), dv["distance"])
    score = dissimilarity if mode == "ssim" else difference
    mask = cv2.threshold(score, values["threshold"], 255, cv2.THRESH_BINARY)[1].astype(np.uint8)
    mask = PostProcessor(post)(mask)
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    regions = sum(1 for c in contours if cv2.contourArea(c) >= box_min_area)
    return Diff(difference=difference, distance=dv["distance"], dissimilarity=dissimilarity,
                ssim=ssim_score(grey(b), grey(a), sigma), mask=mask,
                boxed=draw_contours(b, mask, min_area=box_min_area), regions=regions,
                changed=float(np.count_nonzero(mask)) / mask.size)
