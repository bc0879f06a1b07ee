"""Small display helpers shared by the pages: one combined JPEG per frame, the error legend,
number formatting for metrics, and the sentence saying which frames are scored."""

from __future__ import annotations

import base64
import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from bgapp.display import jpeg, tile
from bgapp.evaluate import FEW_SCORED, scored_span
from bgapp.metrics import ERROR_COLOURS, ERROR_LABELS, Counts
from bgapp.source import Source

MAX_WIDTH = 1400  # px: wider combined images are scaled down before encoding
GAP = 4  # px between views


@dataclass(frozen=True)
class Grid:
    """Where the views of a :func:`combined` picture lie: ``cols`` columns of ``tile`` (w, h) views
    with ``gap`` px between them, each a view of a ``frame`` (w, h) scaled down to fit."""

    frame: tuple[int, int]
    tile: tuple[int, int]
    cols: int
    rows: int
    gap: int = GAP

    @classmethod
    def of(cls, frame: tuple[int, int], n: int, cols: int, max_width: int = MAX_WIDTH) -> Grid:
        cols = max(1, min(cols, n))
        fit = (max_width - GAP * (cols - 1)) // cols
        w, h = frame
        tile = (fit, max(1, round(h * fit / w))) if w > fit else (w, h)
        return cls(frame, tile, cols, (n + cols - 1) // cols)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the whole picture."""
        (w, h), g = self.tile, self.gap
        return self.cols * w + (self.cols - 1) * g, self.rows * h + (self.rows - 1) * g

    def places(self, x: int, y: int) -> list[tuple[int, int]]:
        """Where frame pixel (``x``, ``y``) lies in each view of the picture."""
        (w, h), g = self.tile, self.gap
        fw, fh = self.frame
        cx, cy = int((x + 0.5) * w / fw), int((y + 0.5) * h / fh)
        return [(c * (w + g) + cx, r * (h + g) + cy) for r in range(self.rows) for c in range(self.cols)]

    def pixel(self, x: float, y: float, shown: tuple[float, float] | None = None) -> tuple[int, int] | None:
        """The frame pixel under point (``x``, ``y``) of the picture, whichever view it falls in, or
        None on a gap or outside; ``shown``: the (width, height) the picture was drawn at, when scaled."""
        if shown is not None and shown[0] > 0 and shown[1] > 0:
            x, y = x * self.size[0] / shown[0], y * self.size[1] / shown[1]
        (w, h), g = self.tile, self.gap
        col, cx = divmod(x, w + g)
        row, cy = divmod(y, h + g)
        if not (0 <= col < self.cols and 0 <= row < self.rows) or cx >= w or cy >= h:
            return None
        fw, fh = self.frame
        return min(fw - 1, int(cx * fw / w)), min(fh - 1, int(cy * fh / h))


def combined(views: Sequence[np.ndarray | None], labels: Sequence[str], cols: int, max_width: int = MAX_WIDTH,
             quality: int = 80) -> bytes:
    """Labelled views in one grid at most ``max_width`` wide, as JPEG bytes (what st.image shows fastest).

    Large frames are scaled down view by view before tiling, so a grid of 1080p views never
    exists at full size. :meth:`Grid.of` says where each view lies.
    """
    first = next((v for v in views if v is not None), None)
    if first is not None:
        grid = Grid.of((first.shape[1], first.shape[0]), len(views), cols, max_width)
        cols = grid.cols
        if grid.tile[0] != first.shape[1]:
            views = [None if v is None else cv2.resize(v, grid.tile, interpolation=cv2.INTER_AREA) for v in views]
    return jpeg(tile(views, labels, cols=cols, gap=GAP), quality)


def inline_jpeg(jpeg: bytes, alt: str = "frame") -> str:
    """An ``<img>`` carrying ``jpeg`` inline (a data URI), for ``st.html`` during playback.

    ``st.image`` stores each frame on the media endpoint and the browser fetches it over HTTP: at
    video rate the next frame replaces the element before the fetch ends, and about half the
    frames are never seen (12 of 25 per second measured with bench/bench_playback.py). Inline
    bytes arrive with the message that shows them, so every frame sent is drawn.
    """
    data = base64.b64encode(jpeg).decode("ascii")
    return f'<img alt="{alt}" style="width:100%;display:block" src="data:image/jpeg;base64,{data}">'


class Html:
    """A ready HTML body for ``st.html``, which uses an object's ``_repr_html_`` as it is: a plain
    ``str`` body is dedented and checked against the file system first, 0.7 ms for a 640x480
    frame's 40 KB, every frame of playback (0.05 ms this way)."""

    def __init__(self, body: str) -> None:
        self.body = body

    def _repr_html_(self) -> str:
        return self.body


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


def scored_note(source: Source, processed: int | None = None) -> str:
    """Which frames of ``source`` are scored and why the first ones show no score (CDnet's
    temporal ROI), plus, given the number of frames ``processed`` from the start, how many of
    those count. Frames are numbered from 1 by position, as the pages' frame sliders are.
    Empty for a clip without ground truth. One sentence for every page that shows scores.
    """
    if not source.has_ground_truth:
        return ""
    span = scored_span(source)
    if span is None:
        return "No frame of this clip is scored: none has ground truth inside its temporal ROI."
    a, b = span.first + 1, span.last + 1
    if span.from_file:
        where = " (temporalROI.txt"
        if span.numbers is not None and span.numbers != (a, b):
            where += f": files {span.numbers[0]}–{span.numbers[1]} in their own numbering"
        where += ")"
    elif span.temporal_roi is not None:
        where = " (the demo's temporal ROI)" if source.path == "demo" else " (temporal ROI)"
    else:
        where = " (every frame with ground truth: there is no temporalROI.txt)"
    text = f"Scored: frames {a}–{b}{where}"
    if span.count != b - a + 1:
        text += f", the {span.count} of them with ground truth"
    if span.warmup:
        text += "; earlier frames are the model's warm-up and CDnet does not score them."
    elif span.first:
        text += "; earlier frames have no ground truth and are not scored."
    else:
        text += "; every frame counts, the model's first ones (while it learns the background) included."
    if processed is not None:
        processed = min(processed, span.frames)
        k = span.scored_within(processed)
        if k == 0:
            text += f" None of the {processed} frames processed so far is scored: scoring starts at frame {a}."
        elif k < FEW_SCORED:
            text += (f" Only {k} of the {processed} processed frames {'is' if k == 1 else 'are'} scored: "
                     "an F-measure over so few frames says little; process more frames.")
        else:
            text += f" {k} of the {processed} processed frames are scored."
    return text


def too_few_scored(source: Source, processed: int) -> bool:
    """Whether a score over the first ``processed`` frames rests on fewer than FEW_SCORED frames."""
    span = scored_span(source)
    return span is not None and span.scored_within(processed) < FEW_SCORED
