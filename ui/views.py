"""Small display helpers shared by the pages: one combined JPEG per frame, the error legend,
and number formatting for metrics."""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

from bgapp.display import jpeg, tile
from bgapp.metrics import ERROR_COLOURS, ERROR_LABELS, Counts

MAX_WIDTH = 1400  # px: wider combined images are scaled down before encoding


def combined(views: Sequence[np.ndarray | None], labels: Sequence[str], cols: int, max_width: int = MAX_WIDTH,
             quality: int = 80) -> bytes:
    """Labelled views in one grid, scaled to ``max_width``, as JPEG bytes (what st.image shows fastest)."""
    img = tile(views, labels, cols=cols)
    if img.shape[1] > max_width:
        scale = max_width / img.shape[1]
        img = cv2.resize(img, (max_width, max(1, round(img.shape[0] * scale))), interpolation=cv2.INTER_AREA)
    return jpeg(img, quality)


def error_legend() -> str:
    """HTML swatches for the error image, from the engine's colours and labels."""
    items = []
    for key, (b, g, r) in ERROR_COLOURS.items():
        items.append(
            f"<span style='display:inline-block;width:0.9em;height:0.9em;background:rgb({r},{g},{b});"
            f"border:1px solid #888;vertical-align:middle;margin:0 0.3em 0 0.8em'></span>{ERROR_LABELS[key]}"
        )
    return "<div style='font-size:0.85em'>Errors image: " + "".join(items) + "</div>"


def fmt(x: float, digits: int = 3) -> str:
    """A metric for display; NaN (undefined, e.g. no foreground at all yet) shows as a dash."""
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def counts_line(c: Counts) -> str:
    return f"TP {c.tp:,} · FP {c.fp:,} · FN {c.fn:,} · TN {c.tn:,}"
