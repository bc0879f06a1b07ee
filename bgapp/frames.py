"""Normalise whatever image arrives (grey, RGBA, 16-bit, float) to 8-bit BGR."""

from __future__ import annotations

import struct
from pathlib import Path

import cv2
import numpy as np

from . import standalone
from .errors import BgappError

# Largest image accepted, in pixels: a 48-megapixel photo passes; a small PNG that claims to be
# 30000x30000 (several GB once decoded) is refused before decoding. bgapp/__init__ also hands
# this to OpenCV (OPENCV_IO_MAX_IMAGE_PIXELS) for the formats sniff_size does not read.
MAX_IMAGE_PIXELS = 50_000_000


def sniff_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG, JPEG, BMP, GIF or WebP header without decoding; None if unknown."""
    try:
        if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
            return struct.unpack(">II", data[16:24])
        if data[:2] == b"BM" and len(data) >= 26:
            w, h = struct.unpack("<ii", data[18:26])
            return abs(w), abs(h)
        if data[:6] in (b"GIF87a", b"GIF89a"):
            return struct.unpack("<HH", data[6:10])
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            kind = data[12:16]
            if kind == b"VP8X":
                return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
            if kind == b"VP8L":
                bits = int.from_bytes(data[21:25], "little")
                return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
            if kind == b"VP8 ":
                w, h = struct.unpack("<HH", data[26:30])
                return w & 0x3FFF, h & 0x3FFF
        if data[:2] == b"\xff\xd8":
            i = 2
            while i + 9 < len(data):
                if data[i] != 0xFF:
                    return None
                marker = data[i + 1]
                if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                    i += 2
                    continue
                length = struct.unpack(">H", data[i + 2:i + 4])[0]
                if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                    h, w = struct.unpack(">HH", data[i + 5:i + 9])
                    return w, h
                i += 2 + length
    except struct.error:
        return None
    return None


def check_pixels(width: int, height: int, name: str, what: str = "image") -> None:
    """Refuse an image (or video frame) too large to decode safely on a shared server."""
    if width * height > MAX_IMAGE_PIXELS:
        raise BgappError(f"{what} {name} is {width}x{height} ({width * height / 1e6:.0f} megapixels): at most "
                         f"{MAX_IMAGE_PIXELS / 1e6:.0f} megapixels are accepted")


def to_bgr8(img: np.ndarray) -> np.ndarray:
    """Return ``img`` as a contiguous HxWx3 uint8 BGR array.

    Grey images are replicated to three channels, a fourth (alpha) channel is dropped,
    16-bit images are scaled by 1/257 (so 65535 maps to 255), float images in [0, 1]
    are scaled by 255. The engine only ever sees uint8 BGR, so every method behaves the
    same whatever the file held. (:func:`bgapp.standalone.to_bgr8`, whose errors become BgappErrors.)
    """
    try:
        return standalone.to_bgr8(img)
    except standalone.InputError as exc:
        raise BgappError(str(exc)) from None


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
    size = sniff_size(data[:1 << 16])
    if size is not None:
        check_pixels(*size, name)
    buf = np.frombuffer(data, dtype=np.uint8)
    try:
        img = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED) if buf.size else None
    except cv2.error as exc:  # OpenCV's own size limit (formats sniff_size does not read)
        if "MAX_IMAGE_PIXELS" in str(exc):
            raise BgappError(f"image {name} is too large: at most {MAX_IMAGE_PIXELS / 1e6:.0f} megapixels "
                             "are accepted") from None
        img = None
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
