"""The webcam page's connection to streamlit-webrtc: the newest frame only, from camera to screen.

The camera frames go to a sink track (streamlit-webrtc's ``create_video_sink_track``), which
hands each one to a :class:`bgapp.live.NewestFrameWorker`; the view goes back through a source
track (``create_video_source_track``) that sends the latest processed view at the camera's
rate. Nothing between the two queues frames, so the picture follows the camera and the controls.

One private access remains: streamlit-webrtc's shared relay would queue every frame for a slow
consumer; :func:`ui.st_runtime.newest_frames_only` (the adapter for private library calls) makes it
keep only the newest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import av
import cv2
import numpy as np

from bgapp.display import label
from bgapp.live import LiveProcessor, NewestFrameWorker

from . import lifecycle, st_runtime

FPS = 30  # the rate the view is sent back at by default (the usual camera rate; frames repeat when slower)
WAITING_SIZE = (640, 480)


def waiting_frame(size: tuple[int, int] = WAITING_SIZE) -> np.ndarray:
    """What is sent back before the first camera frame has been processed."""
    return label(np.zeros((size[1], size[0], 3), np.uint8), "waiting for the camera...")


def av_to_bgr(frame: Any) -> np.ndarray:
    """An ``av.VideoFrame`` from the camera as a BGR array (done in the worker thread)."""
    return frame.to_ndarray(format="bgr24")


@dataclass
class LiveStream:
    """The session's worker plus the two tracks streamlit-webrtc connects it with."""

    worker: NewestFrameWorker
    sink: Any
    source: Any


@dataclass(frozen=True)
class Picture:
    """A view ready for the VP8 encoder: its pixels in ``fmt`` (``yuv420p``, or ``bgr24`` for an odd size)."""

    pixels: np.ndarray
    fmt: str

    def frame(self) -> Any:
        return av.VideoFrame.from_ndarray(self.pixels, format=self.fmt)


def to_picture(image: np.ndarray) -> Picture:
    """A BGR view as the encoder's ``yuv420p``, converted once, in the worker thread. OpenCV's
    conversion costs 0.37 ms at 640x480 where the encoder's own ``reformat`` costs 1.2 ms, on the
    event loop, for every frame it sends; odd sizes, which I420 cannot hold, stay BGR."""
    h, w = image.shape[:2]
    if h % 2 or w % 2:
        return Picture(np.ascontiguousarray(image), "bgr24")
    return Picture(cv2.cvtColor(image, cv2.COLOR_BGR2YUV_I420), "yuv420p")


def source_callback(worker: NewestFrameWorker) -> Callable[[int, Fraction], Any]:
    """``(pts, time_base) -> av.VideoFrame`` for the source track: the latest view, never a queue.
    Each call makes a new frame object (a copy of the converted pixels): a repeated view is sent
    again while the encoder may still hold the previous one."""
    waiting = to_picture(waiting_frame())

    def next_frame(pts: int, time_base: Fraction) -> Any:
        out = worker.take()
        frame = (out if isinstance(out, Picture) else waiting).frame()
        frame.pts, frame.time_base = pts, time_base
        return frame

    return next_frame


def live_stream(key: str, processor: LiveProcessor, state: Any, fps: int = FPS) -> LiveStream:
    """The session's :class:`LiveStream` (worker kept in ``state``; tracks from streamlit-webrtc's
    factories, which keep them for one WebRTC session and make new ones for the next). The view goes
    back at ``fps``, the rate the camera was asked for: a faster one would encode repeats."""
    from streamlit_webrtc import create_video_sink_track, create_video_source_track

    st_runtime.newest_frames_only()
    worker = state.get(f"{key}.worker")
    if not isinstance(worker, NewestFrameWorker) or worker.processor is not processor:
        worker = NewestFrameWorker(processor, to_bgr=av_to_bgr, from_bgr=to_picture)
        state[f"{key}.worker"] = worker
    own = lifecycle.owner()
    if own is not None:
        own.stop_on_disconnect(worker)  # a closed tab's worker stops at once, not after an idle wait
    sink = create_video_sink_track(worker.submit, key=f"{key}.sink", on_ended=worker.stop)
    source = create_video_source_track(source_callback(worker), key=f"{key}.source", fps=fps)
    return LiveStream(worker, sink, source)


def resize_note(largest: tuple[int, int] | None, now: tuple[int, int] | None) -> str | None:
    """A line for the page when the browser sends smaller frames than it did earlier in the stream."""
    if not largest or not now or now[0] * now[1] >= largest[0] * largest[1]:
        return None
    return (f"The browser now sends {now[0]}x{now[1]} instead of {largest[0]}x{largest[1]}: browsers lower a "
            "stream's resolution when the computer or the network is busy. The masks are computed at the "
            "size that arrives.")
