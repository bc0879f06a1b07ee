"""Mask clean-up: morphology, small-blob removal, hole filling and a region of interest.

Order: opening then closing (opening removes speckle noise first so closing cannot merge it
into objects; the order the literature recommends), then dilate, erode, the minimum blob area,
hole filling, and finally the ROI. Every value a slider or config can hold is accepted: an even
kernel size is rounded up to the next odd one with a note rather than refused. The steps
themselves live in :mod:`bgapp.standalone` (which the script export copies); this module adds
validation, notes and the ROI.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import cv2
import numpy as np

from .errors import BgappError
from .params import Notes, Param, odd_kernel, validate
from .standalone import MORPHOLOGY, SHAPES, clean_mask, fill_holes, remove_small, structuring_elements

__all__ = ["NO_POST", "POST_PARAMS", "SHAPES", "PostProcessor", "fill_holes", "remove_small"]



def _kernel(name: str, what: str, default: int, tune_max: int = 9) -> Param:
    return Param(name, "int", default, what + " Kernel size in pixels; 1 turns it off.",
                 min=1, max=31, step=2, odd=True, tune_min=1, tune_max=tune_max)


POST_PARAMS: tuple[Param, ...] = (
    _kernel("open", "Opening (erode then dilate) removes specks smaller than the kernel: isolated "
            "noise pixels and thin lines vanish, larger objects keep their size.", 3),
    _kernel("close", "Closing (dilate then erode) fills gaps and holes smaller than the kernel and "
            "joins nearby fragments of one object.", 5, 15),
    _kernel("dilate", "Dilation grows every object by half the kernel: covers ragged edges, also "
            "adds false positives around objects.", 1, 7),
    _kernel("erode", "Erosion shrinks every object by half the kernel: trims halos, can break "
            "thin objects apart.", 1, 7),
    Param("kernel_shape", "choice", "ellipse",
          "Shape of the structuring element: ellipse rounds corners (natural for people and "
          "cars), rect keeps straight edges, cross acts only along rows and columns.",
          choices=tuple(SHAPES)),
    Param("iterations", "int", 1,
          "How many times each morphological step is repeated; two passes of a 3-kernel act "
          "roughly like one of a 5-kernel.",
          min=1, max=5, step=1, tune_min=1, tune_max=3),
    Param("min_area", "int", 0,
          "Changes the mask: blobs (8-connected) with fewer pixels than this are deleted, so they "
          "count as background in the scores and in every view (0 keeps all). Drops leftover noise "
          "that morphology kept, and small objects too. The composite's 'Outline blobs of at least' "
          "only hides small blobs from the drawing.",
          min=0, max=20000, step=1, tune_min=0, tune_max=400, typical=(0, 1000), label="Remove blobs under (px)"),
    Param("fill_holes", "bool", False,
          "Fill background regions completely enclosed by foreground (a car's windows, a "
          "shirt the colour of the wall)."),
)

NO_POST: dict[str, Any] = {"open": 1, "close": 1, "dilate": 1, "erode": 1, "min_area": 0, "fill_holes": False}


class PostProcessor:
    """Applies the declared clean-up to 0/255 masks; kernels are built once per setting."""

    def __init__(self, values: Mapping[str, Any] | None = None, roi: np.ndarray | None = None) -> None:
        self.notes = Notes()
        self.roi: np.ndarray | None = None
        self.update(values or {})
        self.set_roi(roi)

    def update(self, values: Mapping[str, Any]) -> None:
        """Change settings by name, validating them against ``POST_PARAMS``; never needs a model rebuild."""
        base = getattr(self, "values", None) or {}
        self.change(validate(POST_PARAMS, {**base, **dict(values)}, "post."))

    def change(self, values: Mapping[str, Any]) -> None:
        """Apply values already validated (a :class:`~bgapp.config.Change`'s ``post``)."""
        self.values = {**(getattr(self, "values", None) or {}), **values}
        self.notes = Notes()
        for name in MORPHOLOGY:
            note = odd_kernel(self.values[name])[1]
            self.notes.add(note and f"post.{name}: {note}")
        self._kernels: dict[str, np.ndarray | None] = structuring_elements(self.values)

    def set_roi(self, roi: np.ndarray | None) -> None:
        """Restrict foreground to the non-zero pixels of ``roi`` (None: whole frame)."""
        if roi is None:
            self.roi = None
            return
        if roi.ndim == 3:
            roi = cv2.cvtColor(roi, cv2.COLOR_BGR2GRAY)
        self.roi = np.where(roi > 0, 255, 0).astype(np.uint8)

    @property
    def active(self) -> bool:
        """False when every step is off (the mask passes through untouched)."""
        v = self.values
        return any(self._kernels.values()) or v["min_area"] > 1 or v["fill_holes"] or self.roi is not None

    def __call__(self, mask: np.ndarray) -> np.ndarray:
        v = self.values
        out = clean_mask(mask, self._kernels, v["iterations"], v["min_area"], v["fill_holes"])
        if self.roi is not None:
            if self.roi.shape != out.shape:
                raise BgappError(f"ROI mask is {self.roi.shape[1]}x{self.roi.shape[0]} but frames are "
                                 f"{out.shape[1]}x{out.shape[0]}")
            out = cv2.bitwise_and(out, self.roi)
        return out if out is not mask else mask.copy()
