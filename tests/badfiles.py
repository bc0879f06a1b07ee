"""Bad inputs made on the fly, shared by the CLI and app bad-input tests (tests/test_bad_input_*.py).

Everything is small (a few KB to a few MB) and deterministic; nothing is read from the network or
the shared data folder.
"""

from __future__ import annotations

import io
import os
import stat
import struct
import zipfile
import zlib
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from bgapp.synthetic import SyntheticScene
from bgapp.video import Mp4Writer
from tests.factories import cdnet_sequence

XSS_NAME = "<img src=x onerror=alert(1)>.mp4"


# videos ----------------------------------------------------------------------------------------------

def frames(n: int = 30, w: int = 96, h: int = 72) -> list[np.ndarray]:
    """The demo scene at a small size: moving objects, so masks are not empty."""
    scene = SyntheticScene(w, h, n_frames=n + 10, warmup=5)
    return [scene.frame(i) for i in range(n)]


def mp4(path: Path, n: int = 30, w: int = 96, h: int = 72, fps: float = 10, faststart: bool = True) -> Path:
    """An H.264 MP4; ``faststart=False`` leaves the index (moov) at the end, as most cameras do."""
    if faststart:
        with Mp4Writer(path, fps=fps) as out:
            for f in frames(n, w, h):
                out.write(f)
        return path
    with av.open(str(path), "w", format="mp4") as c:
        s = c.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        s.options = {"preset": "ultrafast"}
        for f in frames(n, w, h):
            for pkt in s.encode(av.VideoFrame.from_ndarray(f, format="bgr24").reformat(format="yuv420p")):
                c.mux(pkt)
        for pkt in s.encode(None):
            c.mux(pkt)
    return path


def truncated(path: Path, src: Path, keep: float = 0.5) -> Path:
    data = src.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def text_as_mp4(path: Path) -> Path:
    path.write_text("These are my lecture notes, not a video.\n" * 40)
    return path


def unknown_codec(path: Path) -> Path:
    """An AVI whose fourcc no decoder knows (a real MJPG AVI with the tag rewritten)."""
    tmp = path.with_name(path.stem + "-mjpg.avi")
    w = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"MJPG"), 10, (32, 24))
    assert w.isOpened(), "cv2 cannot write MJPG AVI here"
    for i in range(3):
        w.write(np.full((24, 32, 3), 40 * i, np.uint8))
    w.release()
    path.write_bytes(tmp.read_bytes().replace(b"MJPG", b"ZQZQ"))
    tmp.unlink()
    return path


# images ----------------------------------------------------------------------------------------------

def png(img: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", img)
    assert ok
    return buf.tobytes()


def huge_png(width: int = 30000, height: int = 30000) -> bytes:
    """A valid-looking PNG of a few hundred bytes whose header claims ``width`` x ``height``
    (a decompression bomb: decoding it would need gigabytes)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = chunk(b"IDAT", zlib.compress(b"\0" * 4096))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + idat + chunk(b"IEND", b"")


def as_kind(img: np.ndarray, kind: str) -> np.ndarray:
    """``img`` (BGR uint8) stored as ``kind``: bgr8, grey8, bgra8, grey16, bgr16."""
    if kind == "grey8":
        return cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    if kind == "bgra8":
        return np.dstack([img, np.full(img.shape[:2], 200, np.uint8)])
    if kind == "grey16":
        return cv2.cvtColor(img, cv2.COLOR_BGR2GRAY).astype(np.uint16) * 257
    if kind == "bgr16":
        return img.astype(np.uint16) * 257
    return img


# sequences -------------------------------------------------------------------------------------------

def sequence(root: Path, n: int = 40, size: tuple[int, int] = (96, 72), kinds: tuple[str, ...] = ("bgr8",),
             skip_frames: tuple[int, ...] = (), skip_gt: tuple[int, ...] = (), temporal: str | None = None,
             gt_size: tuple[int, int] | None = None, gt_value: int | None = None, start: int = 1) -> Path:
    """A small sequence of the demo scene (:func:`tests.factories.cdnet_sequence`) with bad parts.

    ``kinds`` cycle over the frames (grey, RGBA, 16-bit...); ``skip_frames``/``skip_gt`` leave out
    those frame numbers; ``gt_size`` writes the GT at another size, ``gt_value`` paints a stray
    level into every GT.
    """

    def gt_as(gt: np.ndarray) -> np.ndarray:
        if gt_size is not None:
            gt = cv2.resize(gt, gt_size, interpolation=cv2.INTER_NEAREST)
        if gt_value is not None:
            gt = gt.copy()
            gt[0, :8] = gt_value
        return gt

    return cdnet_sequence(root, n, width=size[0], height=size[1], scene_frames=n + 10, start=start,
                          temporal=temporal, skip_frames=skip_frames, skip_gt=skip_gt,
                          frame_as=lambda i, img: as_kind(img, kinds[i % len(kinds)]), gt_as=gt_as)


def nonutf8_sequence(parent: Path, n: int = 12) -> Path:
    """A sequence whose folder and frame names are not valid UTF-8 (Latin-1 bytes, as old
    cameras and Windows zips leave them). Returns the folder as Python sees it (surrogates)."""
    root = os.fsencode(parent) + b"/caf\xe9"
    scene = SyntheticScene(64, 48, n_frames=n + 10, warmup=5)
    for sub in (b"/input", b"/groundtruth"):
        os.makedirs(root + sub, exist_ok=True)
    for i in range(n):
        with open(root + b"/input/in%06d-\xe9t\xe9.png" % (i + 1), "wb") as f:
            f.write(png(scene.frame(i)))
        with open(root + b"/groundtruth/gt%06d.png" % (i + 1), "wb") as f:
            f.write(png(scene.ground_truth(i)))
    return Path(os.fsdecode(root))


# zips ------------------------------------------------------------------------------------------------

def zip_of(entries: list[tuple[str | zipfile.ZipInfo, bytes]], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in entries:
            zf.writestr(name, data)
    return buf.getvalue()


def _frame_entries(folder: str = "seq", n: int = 3) -> list[tuple[str, bytes]]:
    return [(f"{folder}/input/in{i:06d}.png", png(np.full((8, 8, 3), 40 * i, np.uint8))) for i in range(1, n + 1)]


def symlink_entry(name: str, target: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def evil_zips() -> dict[str, tuple[bytes, str]]:
    """name: (zip bytes, words the refusal must contain)."""
    utf8_flagged = bytearray(zip_of(_frame_entries(n=1), zipfile.ZIP_STORED))
    good, bad = b"seq/input/in000001.png", b"seq/input/in00000\xff.png"
    utf8_flagged = bytearray(bytes(utf8_flagged).replace(good, bad))
    for sig, off in ((b"PK\x03\x04", 7), (b"PK\x01\x02", 9)):  # general-purpose bit 11: names are UTF-8
        i = bytes(utf8_flagged).index(sig)
        utf8_flagged[i + off] |= 0x08
    return {
        "dotdot": (zip_of(_frame_entries() + [("../evil.txt", b"gotcha")]), "unsafe path"),
        "absolute": (zip_of(_frame_entries() + [("/tmp/evil.txt", b"gotcha")]), "unsafe path"),
        "symlink": (zip_of(_frame_entries() + [(symlink_entry("seq/input/in000009.png", "/etc/passwd"),
                                                b"/etc/passwd")]), "symbolic link"),
        "bomb": (zip_of(_frame_entries() + [("seq/input/filler.bin", b"\0" * (40 * 1024**2))]), "zip bomb"),
        "not_utf8_names": (bytes(utf8_flagged), "UTF-8"),
        "not_a_zip": (b"PK\x03\x04 but nothing else", "not a readable zip"),
    }


# configs ---------------------------------------------------------------------------------------------

# (config file content, words the one-line refusal must contain)
BAD_CONFIGS: list[tuple[bytes, str]] = [
    (b'{"method": "mog2", "params": {"history": "lots"}}', "history"),
    (b'{"method": "mog2", "params": {"history": 3.5}}', "whole number"),
    (b'{"method": "mog2", "params": {"history": -5}}', "out of range"),
    (b'{"method": "mog2", "params": {"history": 1e400}}', "history"),
    (b'{"method": "mog2", "params": {"var_threshold": NaN}}', "var_threshold"),
    (b'{"method": "mog2", "params": {"var_threshold": true}}', "var_threshold"),
    (b'{"method": "mog2", "params": {"detect_shadows": "maybe"}}', "detect_shadows"),
    (b'{"method": "mog2", "params": {"n_mixtures": [5]}}', "n_mixtures"),
    (b'{"method": "mog2", "post": {"open": 1000}}', "open"),
    (b'{"method": "mog2", "composite": {"mode": "sparkles"}}', "mode"),
    (b'{"method": 5}', "method"),
    (b'{"method": "nope"}', "unknown method"),
    (b'{"method": "mog2", "params": [1, 2]}', "params"),
    (b'{"method": "mog2", "colour": "red"}', "unknown config key"),
    (b'[1, 2, 3]', "JSON object"),
    (b'{"method": "mog2", ', "the file ends at line 1, column 20 before the JSON document is complete"),
    (b'\xff\xfe{\x00}\x00', "UTF-8"),
    # what a person reads: the problem in words, and where; huge values described, not printed
    (b"", "the file is empty"),
    (b"\xef\xbb\xbf \r\n\t\n", "the file is empty"),
    (b'{"method": "mog2",\n "params": {"history": 20,}}', "not valid JSON at line 2, column 27: expected a name"),
    (b'{"method": "mog2" "params": {}}', "not valid JSON at line 1, column 19: expected ',' between two items"),
    (b'{"method": "mog2", "params": {"history": 1' + b"0" * 308 + b"}}", "a number 309 digits long is out of range"),
    (b'{"method": "mog2", "params": {"history": 1' + b"0" * 400 + b"}}", "a number 401 digits long is out of range"),
    (b'{"method": "mog2", "params": {"history": 1' + b"0" * 5000 + b"}}", "a number thousands of digits long"),
    (b'{"method": "' + b"x" * 5000 + b'"}', "unknown method 'xxxxxxxxxx"),
    (b'{"method": "mog2", "params": {"history": "' + b"9" * 5000 + b'"}}', "(5,000 characters)"),
]
LONGEST_MESSAGE = 400  # characters: two lines of a terminal or of the sidebar, whatever the file holds

# (--set value, words)
BAD_SETS: list[tuple[str, str]] = [
    ("history=lots", "history"),
    ("history=1e9", "out of range"),
    ("history=nan", "history"),
    ("var_threshold=inf", "var_threshold"),
    ("var_threshold=", "var_threshold"),
    ("detect_shadows=maybe", "detect_shadows"),
    ("post.open=-1", "open"),
    ("composite.mode=sparkles", "mode"),
    ("=5", "unknown parameter"),
    ("history", "KEY=VALUE"),
]
