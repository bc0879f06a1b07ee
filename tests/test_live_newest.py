"""Live frames never queue: the worker processes the newest frame, counts what it skipped and
how long a frame took from arrival to being sent back. (The relay adapter that keeps only the newest
frame for each consumer is tested with the adapter, in tests/test_lifecycle.py.)"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from bgapp.live import WORKER_PREFIX, LiveProcessor, NewestFrameWorker
from bgapp.pipeline import Pipeline
from bgapp.synthetic import SyntheticScene


class SlowProcessor(LiveProcessor):
    """A real processor that also takes ``delay`` seconds per frame (a slow method on a busy machine)."""

    def __init__(self, delay: float) -> None:
        super().__init__(Pipeline({"method": "mog2"}), mode="clean mask")
        self.delay = delay
        self.inputs: list[int] = []

    def process_bgr(self, img: np.ndarray) -> np.ndarray:
        self.inputs.append(int(img[0, 0, 0]))  # frames are tagged in their first pixel
        time.sleep(self.delay)
        return super().process_bgr(img)


def tagged(scene: SyntheticScene, i: int) -> np.ndarray:
    f = scene.frame(i % len(scene)).copy()
    f[0, 0, 0] = i % 256
    return f


def wait_until(cond, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.005)


def test_a_slow_method_skips_frames_instead_of_falling_behind() -> None:
    proc = SlowProcessor(delay=0.05)  # 20 fps of work against a 100 fps camera
    worker = NewestFrameWorker(proc)
    scene = SyntheticScene()
    for i in range(60):
        worker.submit(tagged(scene, i))
        time.sleep(0.01)
    wait_until(lambda: proc.inputs and proc.inputs[-1] == 59 and proc.stats.snapshot().frames == len(proc.inputs))
    s = proc.stats.snapshot()
    assert s.received == 60
    assert s.frames == len(proc.inputs) < 30, "every frame was processed: frames queued"
    assert s.dropped == s.received - s.frames, "each frame is either processed or counted as dropped"
    assert proc.inputs == sorted(proc.inputs), "frames are processed in order, newest first available"
    assert proc.inputs[-1] == 59, "the last frame processed is the newest one"
    worker.stop()


def test_latency_is_arrival_to_sent_and_counted_once_per_view() -> None:
    clock = [0.0]
    proc = SlowProcessor(delay=0.0)
    worker = NewestFrameWorker(proc, clock=lambda: clock[0])
    worker.submit(tagged(SyntheticScene(), 1))
    wait_until(lambda: proc.stats.snapshot().frames == 1)
    clock[0] = 0.040
    assert worker.take() is not None
    assert proc.stats.snapshot().latency_ms == pytest.approx(40.0)
    clock[0] = 0.500
    worker.take()  # the same view sent again: not a new latency figure
    assert proc.stats.snapshot().latency_ms == pytest.approx(40.0)
    worker.stop()


def test_a_settings_change_shows_on_the_next_processed_frame() -> None:
    proc = SlowProcessor(delay=0.0)
    worker = NewestFrameWorker(proc)
    scene = SyntheticScene()
    worker.submit(tagged(scene, 120))
    wait_until(lambda: proc.stats.snapshot().frames == 1)
    grey = worker.take()
    assert grey.ndim == 3 and np.array_equal(grey[..., 0], grey[..., 1]), "clean mask view is grey"
    proc.mode = "composite"
    worker.submit(tagged(scene, 121))
    wait_until(lambda: proc.stats.snapshot().frames == 2)
    colour = worker.take()
    assert not np.array_equal(colour[..., 0], colour[..., 1]), "the very next frame shows the new view"
    worker.stop()


def test_the_worker_thread_ends_when_frames_stop_and_restarts_with_them() -> None:
    worker = NewestFrameWorker(SlowProcessor(delay=0.0), idle=0.2)
    worker.submit(tagged(SyntheticScene(), 1))
    assert worker.running
    wait_until(lambda: not worker.running, timeout=5)
    assert not any(t.name.startswith(WORKER_PREFIX) and t.is_alive() and t is not threading.current_thread()
                   for t in threading.enumerate() if f"{id(worker):x}" in t.name)
    worker.submit(tagged(SyntheticScene(), 2))
    wait_until(lambda: worker.processor.stats.snapshot().frames == 2)
    worker.stop()
    wait_until(lambda: not worker.running, timeout=5)


def test_a_failing_frame_is_reported_and_the_stream_goes_on() -> None:
    proc = SlowProcessor(delay=0.0)
    calls = [0]

    def convert(frame):
        calls[0] += 1
        if calls[0] == 1:
            raise ValueError("corrupt frame")
        return frame

    worker = NewestFrameWorker(proc, to_bgr=convert)
    worker.submit(tagged(SyntheticScene(), 1))
    wait_until(lambda: proc.stats.snapshot().error is not None)
    assert "corrupt frame" in proc.stats.snapshot().error
    worker.submit(tagged(SyntheticScene(), 2))
    wait_until(lambda: proc.stats.snapshot().frames == 1)
    assert worker.take() is not None, "the next good frame is processed and sent"
    worker.stop()


# the relay adapter -----------------------------------------------------------------------------------

def test_a_lowered_camera_size_is_said_and_a_raised_one_is_not() -> None:
    from bgapp.live import LiveStats
    from ui.webrtc_stream import resize_note

    stats = LiveStats()

    def frame(w: int, h: int) -> str | None:
        stats.record(model_frames=1, model_ms=1.0, total_ms=1.0, fg_fraction=0.0, learning=False, size=(w, h))
        s = stats.snapshot()
        return resize_note(s.largest_size, s.size)

    assert frame(320, 240) is None
    assert frame(640, 480) is None, "browsers start small and ramp up: nothing to say"
    note = frame(320, 240)
    assert note and "320x240 instead of 640x480" in note
