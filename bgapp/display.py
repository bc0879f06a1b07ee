"""Turn engine outputs into pictures for a screen: colour maps, labelled tiles, JPEG bytes, one
combined picture of several views (and where each lies in it), numbers formatted for display.

Streamlit shows JPEG bytes several times faster than numpy arrays (NOTES), and one combined
wide image updates faster than several separate ones, so the pages compose views here.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np


def to_bgr(img: np.ndarray | None, shape: tuple[int, int] | None = None) -> np.ndarray:
    """Any view (mask, score map, frame, None) as a BGR uint8 image of ``shape`` (h, w)."""
    if img is None:
        h, w = shape or (240, 320)
        return np.full((h, w, 3), 32, np.uint8)
    if img.dtype != np.uint8:
        img = heat(img)
    if img.ndim == 2:
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    if shape is not None and img.shape[:2] != shape:
        img = cv2.resize(img, (shape[1], shape[0]), interpolation=cv2.INTER_NEAREST)
    return img


def heat(score: np.ndarray, vmax: float | None = None) -> np.ndarray:
    """A float score map as a colour heat map (inferno), scaled to ``vmax`` or its 99th percentile."""
    s = np.asarray(score, np.float32)
    if vmax is None:
        vmax = float(np.percentile(s, 99.5)) if s.size else 1.0
    vmax = vmax if vmax > 1e-9 else 1.0
    u8 = cv2.convertScaleAbs(s, alpha=255.0 / vmax)
    return cv2.applyColorMap(u8, cv2.COLORMAP_INFERNO)


@functools.lru_cache(maxsize=512)
def _text_band(text: str, px: int) -> np.ndarray:
    """``text`` in white on a black band, ``px`` pixels high type, as a grey image. Drawn with
    Pillow's built-in FreeType font: OpenCV's Hershey fonts set brackets and other punctuation with
    wide gaps ("MOG2 ( Gaussian mixture )"). Cached: the same few labels come back every frame."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default(px)
    left, top, right, bottom = font.getbbox(text)
    pad = max(2, px // 4)
    band = Image.new("L", (int(right) + 2 * pad, int(max(bottom, px)) + 2 * pad), 0)
    ImageDraw.Draw(band).text((pad, pad), text, fill=255, font=font)
    return np.asarray(band)


def label(img: np.ndarray, text: str) -> np.ndarray:
    """Write ``text`` in the top-left corner on a dark band (readable on any content)."""
    out = img.copy()
    px = int(round(13 * max(0.9, min(out.shape[1] / 400.0, 1.8))))
    band = _text_band(text, px)
    h, w = min(band.shape[0], out.shape[0]), min(band.shape[1], out.shape[1])
    if out.ndim == 2:
        out[:h, :w] = band[:h, :w]
    else:
        out[:h, :w] = band[:h, :w, None]
    return out


def tile(images: Sequence[np.ndarray | None], labels: Sequence[str] | None = None, cols: int = 3,
         gap: int = 4) -> np.ndarray:
    """Labelled views side by side in a grid, all at the size of the first real one."""
    first = next((i for i in images if i is not None), None)
    shape = first.shape[:2] if first is not None else (240, 320)
    views = [to_bgr(i, shape) for i in images]
    if labels:
        views = [label(v, t) for v, t in zip(views, labels)]
    cols = max(1, min(cols, len(views)))
    rows = (len(views) + cols - 1) // cols
    h, w = shape
    canvas = np.full((rows * h + (rows - 1) * gap, cols * w + (cols - 1) * gap, 3), 255, np.uint8)
    for k, v in enumerate(views):
        r, c = divmod(k, cols)
        canvas[r * (h + gap): r * (h + gap) + h, c * (w + gap): c * (w + gap) + w] = v
    return canvas


def jpeg(img: np.ndarray, quality: int = 80) -> bytes:
    """JPEG bytes of a BGR or grey image (what ``st.image`` shows fastest)."""
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:  # pragma: no cover - imencode only fails on empty input
        raise ValueError("cannot encode image")
    return buf.tobytes()


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


def fmt(x: float, digits: int = 3) -> str:
    """A metric for display; NaN (undefined, e.g. no foreground at all yet) shows as a dash."""
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def rgb(img: np.ndarray) -> np.ndarray:
    """BGR to RGB for libraries that expect RGB (plotly, PIL)."""
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB) if img.ndim == 3 else img
