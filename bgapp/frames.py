"""Normalise whatever image arrives (grey, RGBA, 16-bit, float) to 8-bit BGR."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from .errors import BgappError


def to_bgr8(img: np.ndarray) -> np.ndarray:
    """Return ``img`` as a contiguous HxWx3 uint8 BGR array.

    Grey images are replicated to three channels, a fourth (alpha) channel is dropped,
    16-bit images are scaled by 1/257 (so 65535 maps to 255), float images in [0, 1]
    are scaled by 255. The engine only ever sees uint8 BGR, so every method behaves the
    same whatever the file held.
    """
    if img is None or not isinstance(img, np.ndarray) or img.size == 0:
        raise BgappError("empty image: no pixels to process")
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    if img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[2] not in (3, 4)):
        raise BgappError(f"unsupported image shape {img.shape}: expected grey, BGR or BGRA")
    if img.dtype == np.uint16:
        img = (img.astype(np.uint32) * 255 + 32767) // 65535
        img = img.astype(np.uint8)
    elif img.dtype in (np.float32, np.float64):
        img = np.clip(np.nan_to_num(img) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    elif img.dtype == np.bool_:
        img = img.astype(np.uint8) * 255
    elif img.dtype != np.uint8:
        raise BgappError(f"unsupported pixel type {img.dtype}: expected 8- or 16-bit images")
    if img.ndim == 2:
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    elif img.shape[2] == 4:
        img = cv2.cvtColor(img, cv2.COLOR_BGRA2BGR)
    return np.ascontiguousarray(img)


def to_gray8(img: np.ndarray) -> np.ndarray:
    """Return ``img`` as a 2-D uint8 grey image (via :func:`to_bgr8` for odd inputs)."""
    if img.ndim == 2 and img.dtype == np.uint8:
        return img
    return cv2.cvtColor(to_bgr8(img), cv2.COLOR_BGR2GRAY)


def read_image(path: str | Path, grey: bool = False) -> np.ndarray:
    """Read an image file as BGR uint8 (or grey uint8), whatever its depth or channel count.

    Raises :class:`BgappError` with the file name when it cannot be decoded.
    """
    path = Path(path)
    try:
        data = np.fromfile(str(path), dtype=np.uint8)
    except OSError as exc:
        raise BgappError(f"cannot read image {path.name}: {exc.strerror or exc}") from None
    if data.size == 0:
        raise BgappError(f"cannot read image {path.name}: the file is empty")
    return decode_image(data.tobytes(), path.name, grey=grey)


def decode_image(data: bytes, name: str = "image", grey: bool = False) -> np.ndarray:
    """Decode image bytes (PNG, JPEG, BMP, TIFF...) to BGR uint8 or grey uint8."""
    buf = np.frombuffer(data, dtype=np.uint8)
    img = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED) if buf.size else None
    if img is None:
        raise BgappError(f"cannot decode image {name}: not a readable image file")
    return to_gray8(img) if grey else to_bgr8(img)


def fit_to(img: np.ndarray, max_side: int | None) -> np.ndarray:
    """Scale ``img`` down (never up) so its longer side is at most ``max_side`` pixels."""
    if not max_side:
        return img
    h, w = img.shape[:2]
    scale = max_side / max(h, w)
    if scale >= 1.0:
        return img
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(img, size, interpolation=cv2.INTER_AREA)
