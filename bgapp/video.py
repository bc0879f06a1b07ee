"""Video files in and out with PyAV: a streamed frame source, H.264 MP4 and PNG/zip writers.

PyAV rather than cv2 because cv2 here can neither write browser-playable H.264 nor decode AV1,
and PyAV lets us tell the user *why* a file cannot be read instead of returning no frames.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import av.logging
import cv2
import numpy as np

from .errors import BgappError, printable
from .frames import check_pixels, fit_to, to_bgr8, to_gray8
from .standalone import spaced

DEFAULT_FPS = 25.0


def _sane_fps(rate: Fraction | float | None) -> float:
    """Stream rates are sometimes missing or absurd (1000 fps, 90000 tbr): fall back to 25."""
    try:
        fps = float(rate) if rate else 0.0
    except (TypeError, ZeroDivisionError, OverflowError):
        fps = 0.0
    return fps if 0.5 <= fps <= 240.0 else DEFAULT_FPS


def _unknown_codec(path: Path) -> str:
    """Name the codec FFmpeg has no decoder for (PyAV exposes no codec context in that case).

    Only FFmpeg's probe log carries the name/fourcc, so we reopen once with logging captured.
    Called on the error path only, so the brief change of the global log level is harmless.
    """
    previous, skip = av.logging.get_level(), av.logging.get_skip_repeated()
    text = ""
    try:
        # PyAV drops a message equal to the previous one: the second bad file of a session would
        # otherwise come back "unknown"
        av.logging.set_skip_repeated(False)
        with av.logging.Capture(True) as logs:
            av.logging.set_level(av.logging.INFO)
            try:
                av.open(str(path)).close()
            except av.FFmpegError:
                pass
        text = " ".join(msg for _level, _name, msg in logs)
    finally:
        av.logging.set_level(previous)
        av.logging.set_skip_repeated(skip)
    match = re.search(r"Video: (\w+)(?: \((\w{2,8})\s*/)?", text)
    if not match:
        return "unknown"
    name, tag = match.groups()
    return tag if name in ("none", "unknown") and tag else name


class VideoSource:
    """A video file read frame by frame (never held whole in memory), as BGR uint8.

    Every ``__iter__`` opens its own container, so a source can be iterated any number of
    times, concurrently too. A file damaged part-way simply ends at its last decodable frame:
    the user keeps what could be read.
    """

    def __init__(self, path: str | Path, max_side: int | None = None):
        self.path = str(path)
        self.name = printable(Path(path).name)
        self.max_side = max_side
        p = Path(path)
        if not p.exists():
            raise BgappError(f"video file not found: {self.path}")
        if p.is_dir():
            raise BgappError(f"{self.path} is a folder, not a video file")
        if p.stat().st_size == 0:
            raise BgappError(f"cannot open video {self.name}: the file is empty")
        try:
            container = av.open(self.path)
        except av.FFmpegError:
            raise BgappError(
                f"cannot open video {self.name}: not a readable media file (wrong format or truncated)"
            ) from None
        try:
            if not container.streams.video:
                raise BgappError(f"cannot open video {self.name}: the file has no video stream")
            stream = container.streams.video[0]
            if stream.codec_context is None:
                raise BgappError(
                    f"cannot decode video {self.name}: its codec '{_unknown_codec(p)}' is not supported"
                )
            self.codec: str = stream.codec_context.name
            check_pixels(stream.codec_context.width or 0, stream.codec_context.height or 0, self.name, "video")
            self.fps: float = _sane_fps(stream.average_rate or stream.guessed_rate)
            frames = self._decode(container)
            first = next(frames, None)
            frames.close()
            if first is None:
                raise BgappError(
                    f"cannot decode video {self.name}: no {self.codec} frame could be decoded "
                    "(damaged or truncated file)"
                )
            self.source_size: tuple[int, int] = (first.shape[1], first.shape[0])
            self._frames = self._count(container, stream)
        finally:
            container.close()
        shown = fit_to(first, max_side)
        self.size: tuple[int, int] = (shown.shape[1], shown.shape[0])
        self.scaled: bool = self.size != self.source_size

    def _count(self, container: av.container.InputContainer, stream: av.VideoStream) -> int:
        """The container's frame count, else an estimate from the duration; at least 1."""
        if stream.frames and stream.frames > 0:
            return int(stream.frames)
        seconds = 0.0
        if stream.duration and stream.time_base:
            seconds = float(stream.duration * stream.time_base)
        elif container.duration:
            seconds = container.duration / av.time_base
        return max(1, round(seconds * self.fps))

    def _decode(self, container: av.container.InputContainer) -> Iterator[np.ndarray]:
        """Decode BGR frames at source size; a decode/demux error ends the stream quietly."""
        for frame in self._decode_raw(container):
            try:
                yield frame.to_ndarray(format="bgr24")
            except (av.FFmpegError, ValueError):
                return

    @staticmethod
    def _decode_raw(container: av.container.InputContainer) -> Iterator[av.VideoFrame]:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        try:
            yield from container.decode(stream)
        except (av.FFmpegError, EOFError):
            return

    def _fit(self, img: np.ndarray) -> np.ndarray:
        """Apply ``max_side``; a mid-stream resolution change is resized to the reported ``size``."""
        img = fit_to(img, self.max_side)
        if (img.shape[1], img.shape[0]) != self.size:
            img = cv2.resize(img, self.size, interpolation=cv2.INTER_AREA)
        return img

    def __len__(self) -> int:
        return self._frames

    def ended_early(self, frames_read: int) -> str | None:
        """A note when a full pass read clearly fewer frames than the header announced."""
        if frames_read < len(self) * 0.9 - 1:
            return (f"{self.name} ended after {frames_read} frames although its header announces about "
                    f"{len(self)}: the file is probably truncated or damaged (the frames that could be "
                    "read were processed)")
        return None

    def __iter__(self) -> Iterator[np.ndarray]:
        with av.open(self.path) as container:
            for img in self._decode(container):
                yield self._fit(img)

    def frames_from(self, start: int) -> Iterator[np.ndarray]:
        """Frames from index ``start`` on, for scrubbing: seeks to the keyframe before ``start``
        and decodes forward from there instead of decoding the whole clip from frame 0.

        Frame indices are derived from timestamps (constant frame rate assumed); a stream without
        usable timestamps, or one that refuses to seek, is decoded from the start and skipped.
        """
        if start <= 0:
            yield from self
            return
        with av.open(self.path) as container:
            stream = container.streams.video[0]
            tb = float(stream.time_base) if stream.time_base else 0.0
            t0 = stream.start_time or 0
            target = None
            if tb > 0:
                target = t0 + int(round(start / self.fps / tb))
                try:
                    container.seek(target, stream=stream, backward=True, any_frame=False)
                except (av.FFmpegError, OSError):
                    target = None
            if target is not None:
                half = 0.5 / self.fps / tb
                for frame in self._decode_raw(container):
                    if frame.pts is None:
                        target = None
                        break
                    if frame.pts < target - half:
                        continue
                    try:
                        yield self._fit(frame.to_ndarray(format="bgr24"))
                    except (av.FFmpegError, ValueError):
                        return
                if target is not None:
                    return
        for i, img in enumerate(self):  # no timestamps: decode and skip
            if i >= start:
                yield img

    def sample(self, n: int) -> list[np.ndarray]:
        """``n`` frames evenly spaced over the clip, in one streaming pass (memory: n frames).

        Only the wanted frames are converted to arrays. When the clip proves shorter than its
        header claims, a second pass spaces the picks over the frames that really exist.
        """
        if n <= 0:
            return []
        picks, total = self._sample_pass(n, len(self))
        if len(picks) < n and total > 0:
            picks, _ = self._sample_pass(n, total)
        while picks and len(picks) < n:  # only if the file changed under us
            picks.append(picks[-1])
        return picks

    def _sample_pass(self, n: int, count: int) -> tuple[list[np.ndarray], int]:
        wanted = spaced(count, n)
        picks: list[np.ndarray] = []
        total = 0
        with av.open(self.path) as container:
            for i, frame in enumerate(self._decode_raw(container)):
                total = i + 1
                if i == wanted[len(picks)]:
                    try:
                        img = self._fit(frame.to_ndarray(format="bgr24"))
                    except (av.FFmpegError, ValueError):
                        break
                    while len(picks) < n and wanted[len(picks)] == i:
                        picks.append(img)
                    if len(picks) == n:
                        break
        return picks, total

    def __repr__(self) -> str:
        w, h = self.size
        return f"VideoSource({self.name!r}, {w}x{h}, {self.fps:g} fps, ~{len(self)} frames, {self.codec})"


def _even(img: np.ndarray) -> np.ndarray:
    """yuv420p needs even width and height: replicate the last row/column when odd."""
    h, w = img.shape[:2]
    if h % 2 == 0 and w % 2 == 0:
        return img
    return cv2.copyMakeBorder(img, 0, h % 2, 0, w % 2, cv2.BORDER_REPLICATE)


class Mp4Writer:
    """Browser-playable H.264 MP4 (libx264, yuv420p, faststart), sized by the first frame.

    cv2.VideoWriter only writes mp4v here, which Chromium refuses, hence PyAV. Writing
    nothing leaves no file behind.
    """

    def __init__(self, path: str | Path, fps: float = 25.0, crf: int = 20):
        self.path = Path(path)
        self.fps = _sane_fps(fps)
        self.crf = int(crf)
        self.frames_written = 0
        self.size: tuple[int, int] | None = None  # (width, height) as encoded, after padding
        self._container: av.container.OutputContainer | None = None
        self._stream: av.VideoStream | None = None

    def _open(self, width: int, height: int) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._container = av.open(
                str(self.path), mode="w", format="mp4", options={"movflags": "+faststart"}
            )
        except (OSError, av.FFmpegError) as exc:
            raise BgappError(f"cannot write video {self.path.name}: {exc}") from None
        stream = self._container.add_stream("libx264", rate=Fraction(self.fps).limit_denominator(1001))
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": str(self.crf), "preset": "veryfast"}
        self._stream = stream
        self.size = (width, height)

    def write(self, frame: np.ndarray) -> None:
        """Append a BGR uint8 frame or a 2-D grey mask (shown as grey)."""
        img = _even(to_bgr8(frame))
        h, w = img.shape[:2]
        if self._container is None:
            self._open(w, h)
        elif (w, h) != self.size:
            raise BgappError(
                f"cannot write video {self.path.name}: frame size {w}x{h} differs from the first "
                f"frame's {self.size[0]}x{self.size[1]}"
            )
        vf = av.VideoFrame.from_ndarray(img, format="bgr24").reformat(format="yuv420p")
        for packet in self._stream.encode(vf):
            self._container.mux(packet)
        self.frames_written += 1

    def close(self) -> None:
        """Flush the encoder and finish the file; safe to call twice."""
        if self._container is None:
            return
        try:
            for packet in self._stream.encode(None):
                self._container.mux(packet)
        finally:
            self._container.close()
            self._container = None

    def __enter__(self) -> Mp4Writer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def png_bytes(img: np.ndarray) -> bytes:
    """PNG-encode a mask (2-D, kept grey: CDnet-style and small) or a colour frame."""
    img = to_gray8(img) if img.ndim == 2 else to_bgr8(img)
    ok, buf = cv2.imencode(".png", img)
    if not ok:
        raise BgappError("cannot encode image as PNG")
    return buf.tobytes()


def _png_name(prefix: str, index: int) -> str:
    return f"{prefix}{index:06d}.png"


class PngWriter:
    """Numbered PNGs (``mask000001.png``...) in a folder, CDnet's naming."""

    def __init__(self, folder: str | Path, prefix: str = "mask", start: int = 1):
        self.folder = Path(folder)
        self.prefix = prefix
        self.start = start
        self.count = 0
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BgappError(f"cannot create folder {self.folder}: {exc.strerror or exc}") from None

    def write(self, img: np.ndarray) -> Path:
        path = self.folder / _png_name(self.prefix, self.start + self.count)
        try:
            path.write_bytes(png_bytes(img))
        except OSError as exc:
            raise BgappError(f"cannot write {path.name}: {exc.strerror or exc}") from None
        self.count += 1
        return path

    def close(self) -> None:
        """Nothing to flush (each PNG is complete); here so every writer closes the same way."""

    def __enter__(self) -> PngWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ZipPngWriter:
    """Numbered PNGs written straight into a zip (stored, not deflated: PNG is compressed)."""

    def __init__(self, zip_path: str | Path, prefix: str = "mask", start: int = 1):
        self.path = Path(zip_path)
        self.prefix = prefix
        self.start = start
        self.count = 0
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._zip: zipfile.ZipFile | None = zipfile.ZipFile(self.path, "w", zipfile.ZIP_STORED)
        except OSError as exc:
            raise BgappError(f"cannot write {self.path.name}: {exc.strerror or exc}") from None

    def write(self, img: np.ndarray) -> str:
        if self._zip is None:
            raise BgappError(f"cannot write to {self.path.name}: the zip is already closed")
        name = _png_name(self.prefix, self.start + self.count)
        self._zip.writestr(name, png_bytes(img))
        self.count += 1
        return name

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
            self._zip = None

    def __enter__(self) -> ZipPngWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()




def open_video_bytes(
    data: bytes, suffix: str, workdir: str | Path, max_side: int | None = None, name: str | None = None
) -> VideoSource:
    """Save an upload to ``workdir`` (named by content hash, so re-uploads reuse it) and open it.

    ``name`` (the user's file name) replaces the hashed name in messages and in ``source.name``.
    """
    shown = name or f"upload{suffix}"
    if not data:
        raise BgappError(f"cannot open video {shown}: the file is empty")
    suffix = "." + re.sub(r"[^A-Za-z0-9]", "", suffix)[:8].lower() if suffix.strip(".") else ".bin"
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"upload-{hashlib.sha1(data).hexdigest()[:16]}{suffix}"
    if not path.exists() or path.stat().st_size != len(data):
        path.write_bytes(data)
    try:
        src = VideoSource(path, max_side=max_side)
    except BgappError as exc:
        raise BgappError(str(exc).replace(path.name, shown)) from None
    if name:
        src.name = name
    return src
