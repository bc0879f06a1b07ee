"""Frames pushed by a live callback (a webcam): the session pipeline plus what the page shows.

streamlit-webrtc calls a function from its worker thread for every camera frame; the page runs
in another thread. :class:`LiveProcessor` holds the session's :class:`Pipeline`, turns each
frame into the chosen view, and records frame rate and timings in a lock-protected
:class:`LiveStats` that the page reads. Nothing here imports Streamlit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import cv2
import numpy as np

from .config import Config
from .display import label, tile
from .pace import FpsMeter, Pace
from .pipeline import Pipeline, UpdateResult, Views

VIEW_MODES = ("clean mask", "raw mask", "composite", "grid")
GRID_LABELS = ("input", "raw mask", "clean mask", "composite")


# Measurements that flow from the callback thread to the page ------------------------------------

@dataclass(frozen=True)
class StatsSnapshot:
    """One consistent reading of the live measurements, for the page."""

    frames: int = 0  # frames processed since the page opened
    received: int = 0  # camera frames that reached the server
    dropped: int = 0  # frames skipped because a newer one arrived before they could be processed
    latency_ms: float = 0.0  # a frame's arrival on the server to its processed view leaving, smoothed
    since_reset: int = 0  # frames the current model has seen: 0 after a reset and after a rebuild
    fps: float = 0.0
    arrival_fps: float = 0.0  # camera frames reaching the server per second (last 2 s)
    peak_arrival_fps: float = 0.0  # the highest arrival rate of this stream: what the camera can send
    model_ms: float = 0.0  # model + post-processing (+ composite), smoothed
    total_ms: float = 0.0  # whole callback including conversions and the output view, smoothed
    fg_fraction: float = 0.0
    learning: bool = False
    size: tuple[int, int] | None = None  # (width, height) of the camera frames
    largest_size: tuple[int, int] | None = None  # the largest size of this stream (browsers lower it when busy)
    error: str | None = None  # the last error raised in the callback, as text

    def pace(self) -> Pace | None:
        """Processing against what the camera sends, once both rates rest on a measurement."""
        if not self.frames or self.peak_arrival_fps <= 0 or self.fps <= 0:
            return None
        return Pace(self.peak_arrival_fps, self.fps, self.model_ms)


class LiveStats:
    """Lock-protected measurements written by the callback thread and read by the page."""

    def __init__(self, window: float = 2.0, clock: Callable[[], float] = time.monotonic,
                 smoothing: float = 0.1) -> None:
        self._lock = threading.Lock()
        self._meter = FpsMeter(window, clock)
        self._arrivals = FpsMeter(window, clock)
        self._alpha = float(smoothing)
        self._snap = StatsSnapshot()

    def record(self, *, model_frames: int, model_ms: float, total_ms: float, fg_fraction: float,
               learning: bool, size: tuple[int, int]) -> None:
        """One processed frame; ``model_frames`` is how many frames the current model has seen."""
        with self._lock:
            s, a = self._snap, self._alpha
            first = s.frames == 0
            self._snap = replace(
                s, frames=s.frames + 1, since_reset=model_frames, fps=self._meter.tick(),
                model_ms=model_ms if first else (1 - a) * s.model_ms + a * model_ms,
                total_ms=total_ms if first else (1 - a) * s.total_ms + a * total_ms,
                fg_fraction=fg_fraction, learning=learning, size=size, error=None,
                largest_size=size if s.largest_size is None or size[0] * size[1] > s.largest_size[0] * s.largest_size[1]
                else s.largest_size,
            )

    def record_arrival(self, dropped: bool) -> None:
        """A camera frame arrived; ``dropped`` when it replaced one still waiting (never processed)."""
        with self._lock:
            s = self._snap
            rate = self._arrivals.tick()
            peak = max(s.peak_arrival_fps, rate) if self._arrivals.span() >= 1.0 else s.peak_arrival_fps
            self._snap = replace(s, received=s.received + 1, dropped=s.dropped + int(dropped), arrival_fps=rate,
                                 peak_arrival_fps=peak)

    def record_latency(self, ms: float) -> None:
        """How long the frame just sent back took from its arrival."""
        with self._lock:
            s, a = self._snap, self._alpha
            self._snap = replace(s, latency_ms=ms if not s.latency_ms else (1 - a) * s.latency_ms + a * ms)

    def record_error(self, message: str) -> None:
        with self._lock:
            self._snap = replace(self._snap, error=message)

    def snapshot(self) -> StatsSnapshot:
        with self._lock:
            snap = self._snap
            return replace(snap, fps=self._meter.fps(), arrival_fps=self._arrivals.fps()) if snap.frames else snap

    def reset(self) -> None:
        """Forget the frame-rate history (after a model reset the counters restart from the pipeline)."""
        with self._lock:
            self._meter.reset()
            self._snap = replace(self._snap, since_reset=0, fps=0.0, learning=True)

    def model_restarted(self) -> None:
        """A setting rebuilt the model: its frame count starts again now, not at the next frame."""
        with self._lock:
            self._snap = replace(self._snap, since_reset=0)

    def new_stream(self) -> None:
        """A stream (re)started: what described the last one (rates, latency, sizes, an error) goes;
        the totals since the page opened and the model's own count stay."""
        with self._lock:
            self._meter.reset()
            self._arrivals.reset()
            self._snap = replace(self._snap, fps=0.0, arrival_fps=0.0, peak_arrival_fps=0.0, latency_ms=0.0,
                                 size=None, largest_size=None, error=None)


# The frame callback ------------------------------------------------------------------------------

def views_for(mode: str) -> Views:
    """The optional pipeline outputs a view mode needs (the composite only where it is shown)."""
    return Views(composite=mode in ("composite", "grid"))


def _bgr(img: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR) if img.ndim == 2 else img


class LiveProcessor:
    """Feeds one session's :class:`Pipeline` with camera frames and returns the chosen view.

    Created once per session (kept in ``st.session_state``); the page changes ``mode`` and the
    pipeline's settings between frames, the worker thread (:class:`NewestFrameWorker`) calls
    :meth:`process_bgr`. An exception inside a frame is recorded in the
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

    def update(self, config: Config) -> UpdateResult:
        """Move the pipeline to ``config`` (see :meth:`Pipeline.set_config`); a rebuild restarts the
        count of frames in the model at once, as a reset does, not at the next frame."""
        result = self.pipeline.set_config(config)
        if result.rebuilt:
            self.stats.model_restarted()
        return result

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
        self.stats.record(model_frames=result.model_frames, model_ms=result.ms, total_ms=total,
                          fg_fraction=result.fg_fraction, learning=result.learning,
                          size=(img.shape[1], img.shape[0]))
        return out


WebcamProcessor = LiveProcessor  # the name the webcam page grew up with


# Newest frame only -----------------------------------------------------------------------------------

WORKER_PREFIX = "bgapp-live-worker"


@dataclass(frozen=True)
class Arrival:
    """A frame as it reached the server, with the monotonic time it did."""

    frame: Any
    at: float


class NewestFrameWorker:
    """Processes the newest camera frame and nothing older: frames never queue.

    The receiving side calls :meth:`submit` for every frame (it never blocks); a frame that
    arrives while another is still waiting replaces it, and the one replaced is counted as
    dropped. One worker thread processes whatever is newest, so the picture is at most one
    frame behind the camera however slow the method is. The sending side takes the latest
    result with :meth:`take` at its own pace; each result's arrival-to-sent time is the latency.
    ``to_bgr`` converts what the receiver hands over (an ``av.VideoFrame``) to a BGR array, and
    ``from_bgr`` the view to what the sender takes, both in the worker thread: once per processed
    frame (a sender that repeats a view does not convert it again) and never on the event loop.
    The thread starts with the first frame and ends on :meth:`stop` or after ``idle`` seconds
    without frames (a closed tab leaves nothing running).
    """

    def __init__(self, processor: LiveProcessor, to_bgr: Callable[[Any], np.ndarray] = lambda f: f,
                 idle: float = 3.0, clock: Callable[[], float] = time.monotonic,
                 from_bgr: Callable[[np.ndarray], Any] = lambda v: v) -> None:
        self.processor = processor
        self.to_bgr, self.from_bgr = to_bgr, from_bgr
        self.idle, self.clock = float(idle), clock
        self._cond = threading.Condition()
        self._waiting: Arrival | None = None
        self._result: tuple[int, Any, float] | None = None  # (sequence, view as from_bgr made it, arrival time)
        self._taken = -1
        self._seq = 0
        self._thread: threading.Thread | None = None
        self._stopped = False

    @property
    def stats(self) -> LiveStats:
        return self.processor.stats

    def submit(self, frame: Any) -> None:
        """A frame arrived (receiving thread or event loop): keep it as the newest, never block."""
        with self._cond:
            replaced = self._waiting is not None
            self._waiting = Arrival(frame, self.clock())
            self._stopped = False
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name=f"{WORKER_PREFIX}-{id(self):x}", daemon=True)
                self._thread.start()
            self._cond.notify()
        self.stats.record_arrival(replaced)

    def _next(self) -> Arrival | None:
        with self._cond:
            deadline = time.monotonic() + self.idle  # real time: ``clock`` only times latency
            while self._waiting is None and not self._stopped:
                left = deadline - time.monotonic()
                if left <= 0:
                    self._thread = None  # a later submit starts a new thread
                    return None
                self._cond.wait(left)
            if self._stopped:
                self._thread = None
                return None
            got, self._waiting = self._waiting, None
            return got

    def _run(self) -> None:
        while (got := self._next()) is not None:
            try:
                out = self.from_bgr(self.processor.process_bgr(self.to_bgr(got.frame)))
            except Exception as exc:  # noqa: BLE001 - a bad frame is reported, the stream goes on
                self.stats.record_error(f"{type(exc).__name__}: {exc}")
                continue
            with self._cond:
                self._seq += 1
                self._result = (self._seq, out, got.at)

    def take(self) -> Any:
        """The latest processed view, as ``from_bgr`` made it (None before the first); records
        latency once per result."""
        with self._cond:
            result = self._result
            fresh = False
            if result is not None and result[0] != self._taken:
                self._taken, fresh = result[0], True
        if result is None:
            return None
        if fresh:
            self.stats.record_latency((self.clock() - result[2]) * 1000.0)
        return result[1]

    def stop(self) -> None:
        """End the worker thread (the stream ended); a later frame starts it again."""
        with self._cond:
            self._stopped = True
            self._waiting = None
            self._cond.notify_all()

    @property
    def running(self) -> bool:
        t = self._thread
        return t is not None and t.is_alive()
