"""The live-webcam page's logic as plain Python: ICE configuration and the frame callback.

Nothing here calls ``st.*`` at import time or from the callback thread, so it is unit-testable
without a browser: :func:`resolve_ice_servers` takes the environment and a secrets getter,
:class:`WebcamProcessor` turns BGR frames into output frames and keeps its FPS meter and
counters in a lock-protected :class:`LiveStats`, which the page reads once a second.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import cv2
import numpy as np

from bgapp.display import label, tile
from bgapp.pipeline import Pipeline, Views

ICE_ENV = "BGAPP_ICE_SERVERS"
DEFAULT_ICE_SERVERS: list[dict[str, Any]] = [{"urls": ["stun:stun.l.google.com:19302"]}]
ICE_SCHEMES = ("stun:", "stuns:", "turn:", "turns:")
ICE_KEYS = ("urls", "username", "credential")

VIEW_MODES = ("clean mask", "raw mask", "composite", "grid")
VIEW_HELP = {
    "clean mask": "the mask after post-processing (white = foreground)",
    "raw mask": "the method's own mask before any clean-up",
    "composite": "the frame with the mask applied (choose the style under Composite)",
    "grid": "input, raw mask, clean mask and composite in a 2x2 grid",
}
GRID_LABELS = ("input", "raw mask", "clean mask", "composite")


# ICE configuration ------------------------------------------------------------------------------

class IceConfigError(ValueError):
    """The ICE server list is malformed; the message says where and how, in one line."""


@dataclass(frozen=True)
class IceConfig:
    """ICE servers for both the browser and the server, and where they came from."""

    servers: list[dict[str, Any]]
    source: str  # "environment", "secrets" or "default"

    @property
    def rtc_configuration(self) -> dict[str, Any]:
        """What ``webrtc_streamer(rtc_configuration=...)`` takes (``[]`` stays empty: no STUN)."""
        return {"iceServers": [dict(s) for s in self.servers]}

    def describe(self) -> str:
        """A line for the page; never shows credentials."""
        if not self.servers:
            return f"No ICE servers ({self.source}): only direct connections (same machine or LAN)."
        urls = [u for s in self.servers for u in ([s["urls"]] if isinstance(s["urls"], str) else s["urls"])]
        kinds = sorted({u.split(":", 1)[0].upper() for u in urls})
        return f"ICE servers from {self.source}: {len(self.servers)} ({', '.join(kinds)})."


def _plain(value: Any) -> Any:
    """Streamlit's secrets AttrDicts and tuples as plain dicts and lists."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def validate_ice_servers(value: Any, where: str = "ICE servers") -> list[dict[str, Any]]:
    """Check a list of RTCIceServer objects (``urls`` plus optional ``username``/``credential``)."""
    value = _plain(value)
    if not isinstance(value, list):
        raise IceConfigError(f"{where} must be a JSON list of objects like "
                             f'{{"urls": "stun:stun.l.google.com:19302"}}, got {type(value).__name__}')
    out = []
    for i, server in enumerate(value):
        item = f"{where}[{i}]"
        if not isinstance(server, dict):
            raise IceConfigError(f"{item} must be an object with a 'urls' key, got {type(server).__name__}")
        unknown = [k for k in server if k not in ICE_KEYS]
        if unknown:
            hint = " (did you mean 'urls'?)" if unknown[0] == "url" else ""
            raise IceConfigError(f"{item} has unknown key {unknown[0]!r}{hint}; allowed: {', '.join(ICE_KEYS)}")
        if "urls" not in server:
            raise IceConfigError(f"{item} needs a 'urls' key (a string or a list of strings)")
        urls = server["urls"]
        url_list = [urls] if isinstance(urls, str) else urls
        if not isinstance(url_list, list) or not url_list or not all(isinstance(u, str) for u in url_list):
            raise IceConfigError(f"{item}.urls must be a non-empty string or list of strings")
        for u in url_list:
            if not u.lower().startswith(ICE_SCHEMES):
                raise IceConfigError(f"{item}.urls: {u!r} must start with one of {', '.join(ICE_SCHEMES)}")
        for key in ("username", "credential"):
            if key in server and not isinstance(server[key], str):
                raise IceConfigError(f"{item}.{key} must be a string")
        if any(u.lower().startswith(("turn:", "turns:")) for u in url_list) and not (
                "username" in server and "credential" in server):
            raise IceConfigError(f"{item} is a TURN server: it needs 'username' and 'credential'")
        out.append(dict(server))
    return out


def parse_ice_servers(text: str, where: str = ICE_ENV) -> list[dict[str, Any]]:
    """Parse and check a JSON list of RTCIceServer objects (``"[]"`` means no ICE servers)."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise IceConfigError(f"{where} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}. "
                             f'Expected a list such as [{{"urls": "stun:stun.l.google.com:19302"}}] or [].'
                             ) from None
    return validate_ice_servers(value, where)


def read_secret(secrets: Any, key: str) -> Any:
    """``secrets[key]``, or None when there is no secrets file or no such key (never raises)."""
    if secrets is None:
        return None
    try:
        return secrets[key] if key in secrets else None
    except Exception:  # no secrets.toml (FileNotFoundError) or an unparsable one: treat as absent
        return None


def resolve_ice_servers(environ: Mapping[str, str] | None = None, secrets: Any = None) -> IceConfig:
    """ICE servers from ``BGAPP_ICE_SERVERS`` (JSON), else ``secrets["ice_servers"]``, else public STUN.

    ``secrets["ice_servers"]`` may be a TOML array of tables or a JSON string. An empty or blank
    environment variable counts as unset. Raises :class:`IceConfigError` for a malformed value.
    """
    environ = os.environ if environ is None else environ
    text = environ.get(ICE_ENV, "")
    if text.strip():
        return IceConfig(parse_ice_servers(text, ICE_ENV), "environment")
    secret = read_secret(secrets, "ice_servers")
    if secret is not None:
        where = 'secrets["ice_servers"]'
        servers = parse_ice_servers(secret, where) if isinstance(secret, str) else validate_ice_servers(secret, where)
        return IceConfig(servers, "secrets")
    return IceConfig([dict(s) for s in DEFAULT_ICE_SERVERS], "default")


# Measurements that flow from the callback thread to the page ------------------------------------

class FpsMeter:
    """Frames per second over the last ``window`` seconds (0 until two frames arrived)."""

    def __init__(self, window: float = 2.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.window = float(window)
        self.clock = clock
        self._times: deque[float] = deque()

    def tick(self) -> float:
        now = self.clock()
        self._times.append(now)
        while len(self._times) > 2 and now - self._times[0] > self.window:
            self._times.popleft()
        return self.fps(now)

    def fps(self, now: float | None = None) -> float:
        if len(self._times) < 2:
            return 0.0
        now = self.clock() if now is None else now
        if now - self._times[-1] > self.window:  # the stream stopped: do not show a stale rate
            return 0.0
        span = self._times[-1] - self._times[0]
        return (len(self._times) - 1) / span if span > 0 else 0.0

    def reset(self) -> None:
        self._times.clear()


@dataclass(frozen=True)
class StatsSnapshot:
    """One consistent reading of the live measurements, for the page."""

    frames: int = 0  # frames processed since the page opened
    since_reset: int = 0  # frames the current model has seen (the pipeline's frame index)
    fps: float = 0.0
    model_ms: float = 0.0  # model + post-processing (+ composite), smoothed
    total_ms: float = 0.0  # whole callback including conversions and the output view, smoothed
    fg_fraction: float = 0.0
    learning: bool = False
    size: tuple[int, int] | None = None  # (width, height) of the camera frames
    error: str | None = None  # the last error raised in the callback, as text


class LiveStats:
    """Lock-protected measurements written by the callback thread and read by the page."""

    def __init__(self, window: float = 2.0, clock: Callable[[], float] = time.monotonic,
                 smoothing: float = 0.1) -> None:
        self._lock = threading.Lock()
        self._meter = FpsMeter(window, clock)
        self._alpha = float(smoothing)
        self._snap = StatsSnapshot()

    def record(self, *, index: int, model_ms: float, total_ms: float, fg_fraction: float,
               learning: bool, size: tuple[int, int]) -> None:
        with self._lock:
            s, a = self._snap, self._alpha
            first = s.frames == 0
            self._snap = StatsSnapshot(
                frames=s.frames + 1, since_reset=index + 1, fps=self._meter.tick(),
                model_ms=model_ms if first else (1 - a) * s.model_ms + a * model_ms,
                total_ms=total_ms if first else (1 - a) * s.total_ms + a * total_ms,
                fg_fraction=fg_fraction, learning=learning, size=size, error=None,
            )

    def record_error(self, message: str) -> None:
        with self._lock:
            self._snap = replace(self._snap, error=message)

    def snapshot(self) -> StatsSnapshot:
        with self._lock:
            snap = self._snap
            return replace(snap, fps=self._meter.fps()) if snap.frames else snap

    def reset(self) -> None:
        """Forget the frame-rate history (after a model reset the counters restart from the pipeline)."""
        with self._lock:
            self._meter.reset()
            self._snap = replace(self._snap, since_reset=0, fps=0.0, learning=True)


# The frame callback ------------------------------------------------------------------------------

def views_for(mode: str) -> Views:
    """The optional pipeline outputs a view mode needs (the composite only where it is shown)."""
    return Views(composite=mode in ("composite", "grid"))


def _bgr(img: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR) if img.ndim == 2 else img


class WebcamProcessor:
    """Feeds one session's :class:`Pipeline` with camera frames and returns the chosen view.

    Created once per session (kept in ``st.session_state``); the page changes ``mode`` and the
    pipeline's settings between frames, the callback thread calls :meth:`process_bgr` (or the
    ``av.VideoFrame`` wrapper :meth:`__call__`). An exception inside a frame is recorded in the
    stats for the page and the input frame is sent back, so one bad frame never kills the stream.
    """

    def __init__(self, pipeline: Pipeline, mode: str = "composite", stats: LiveStats | None = None) -> None:
        self.pipeline = pipeline
        self.stats = stats or LiveStats()
        self._mode = "composite"
        self.mode = mode

    @property
    def mode(self) -> str:
        return self._mode

    @mode.setter
    def mode(self, value: str) -> None:
        if value not in VIEW_MODES:
            raise ValueError(f"unknown view mode {value!r}; choose one of {', '.join(VIEW_MODES)}")
        self._mode = value
        self.pipeline.views = views_for(value)  # one reference swap: the next frame sees it

    def reset(self) -> None:
        self.pipeline.reset()
        self.stats.reset()

    def render(self, result: Any, mode: str) -> np.ndarray:
        """The output frame for ``mode``, the same size as the input frame."""
        frame = result.frame
        h, w = frame.shape[:2]
        if mode == "raw mask":
            out = _bgr(result.raw)
        elif mode == "clean mask":
            out = _bgr(result.clean)
        elif mode == "composite":
            out = result.composite if result.composite is not None else frame
        else:
            half = (max(1, w // 2), max(1, h // 2))
            small = cv2.resize(frame, half, interpolation=cv2.INTER_AREA)
            comp = result.composite if result.composite is not None else frame
            views = [small, result.raw, result.clean, cv2.resize(comp, half, interpolation=cv2.INTER_AREA)]
            out = tile(views, GRID_LABELS, cols=2)
            if out.shape[:2] != (h, w):
                out = cv2.resize(out, (w, h), interpolation=cv2.INTER_AREA)
        if result.learning:
            out = label(out if out is not frame else frame.copy(), "learning the background...")
        return np.ascontiguousarray(out)

    def process_bgr(self, img: np.ndarray) -> np.ndarray:
        """One BGR frame in, the view out; records FPS, timings and the foreground share."""
        t0 = time.perf_counter()
        mode = self._mode  # read once: the page may change it meanwhile
        try:
            result = self.pipeline.process(img)
            out = self.render(result, mode)
        except Exception as exc:  # noqa: BLE001 - reported on the page, the stream keeps going
            self.stats.record_error(f"{type(exc).__name__}: {exc}")
            return img
        total = (time.perf_counter() - t0) * 1000.0
        self.stats.record(index=result.index, model_ms=result.ms, total_ms=total,
                          fg_fraction=result.fg_fraction, learning=result.learning,
                          size=(img.shape[1], img.shape[0]))
        return out

    def __call__(self, frame: Any) -> Any:
        """streamlit-webrtc's ``video_frame_callback``: ``av.VideoFrame`` in and out."""
        import av

        out = self.process_bgr(frame.to_ndarray(format="bgr24"))
        new = av.VideoFrame.from_ndarray(out, format="bgr24")
        new.pts = frame.pts
        if frame.time_base is not None:
            new.time_base = frame.time_base
        return new


def format_ms(ms: float) -> str:
    return "-" if not ms or math.isnan(ms) else f"{ms:.1f}"
