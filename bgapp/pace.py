"""Whether processing keeps up with its source, and why not.

The lab plays a clip at the clip's rate and the webcam page processes what the camera sends; a
slow method quietly falls behind in both. :class:`Pace` holds the three numbers that tell a user
what is happening (the rate wanted, the rate reached, the cost of one frame) and :func:`explain`
turns them into a sentence that names the cause and what would help. Both pages use it, so the
lab and the webcam say the same thing for the same numbers.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

KEEP_UP = 0.9  # reaching 90 % of the wanted rate counts as keeping up (timers and JPEGs jitter)
METHOD_BOUND = 0.8  # a frame's processing above 80 % of its time slot leaves too little for the rest


@dataclass(frozen=True)
class Pace:
    """The rate a source wants, the rate reached, and what one frame costs."""

    wanted_fps: float  # the clip's own rate, or the rate the camera sends at
    reached_fps: float  # frames actually processed and shown per second
    work_ms: float  # method, post-processing and views for one frame (smoothed)

    @property
    def budget_ms(self) -> float:
        """The time one frame may take at the wanted rate."""
        return 1000.0 / self.wanted_fps if self.wanted_fps > 0 else math.inf

    @property
    def keeping_up(self) -> bool:
        return self.wanted_fps <= 0 or self.reached_fps >= KEEP_UP * self.wanted_fps

    @property
    def method_bound(self) -> bool:
        """The processing alone takes (nearly) the whole time slot of a frame."""
        return self.work_ms > METHOD_BOUND * self.budget_ms


def rate_text(pace: Pace) -> str:
    """``24.8 of 25 fps``: the rate reached beside the rate wanted."""
    return f"{pace.reached_fps:.1f} of {pace.wanted_fps:.0f} fps"


def explain(pace: Pace, method: str, what: str, overhead: str, size: tuple[int, int] | None = None) -> str | None:
    """Why ``what`` (``"the clip"``, ``"the camera"``) runs below its rate, and what would help;
    None while it keeps up. ``method`` is the method's title, ``overhead`` names the work besides
    the method (``"drawing and sending the views"``), ``size`` is (width, height) of the frames.

    For example ``Pace(25, 10.5, 95)`` for SuBSENSE on a clip says: "SuBSENSE needs about 95 ms a frame
    here, and 25 fps leaves 40 ms: the clip runs at 10.5 fps instead. Smaller frames or a faster method
    (MOG2, KNN: a few ms) keep up."
    """
    if pace.keeping_up:
        return None
    at = f" at {size[0]}x{size[1]}" if size else " here"
    if pace.method_bound:
        return (f"{method} needs about {pace.work_ms:.0f} ms a frame{at}, and {pace.wanted_fps:.0f} fps leaves "
                f"{pace.budget_ms:.0f} ms: {what} runs at {pace.reached_fps:.1f} fps instead. Smaller frames or a "
                "faster method (MOG2, KNN: a few ms) keep up.")
    return (f"{what[:1].upper() + what[1:]} runs at {pace.reached_fps:.1f} of {pace.wanted_fps:.0f} fps: {method} "
            f"takes {pace.work_ms:.0f} ms of the {pace.budget_ms:.0f} ms a frame allows, and {overhead} takes "
            "the rest (a busy machine, or large frames).")


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

    def span(self) -> float:
        """Seconds between the oldest and newest tick in the window (how much the rate rests on)."""
        return self._times[-1] - self._times[0] if len(self._times) > 1 else 0.0

    def reset(self) -> None:
        self._times.clear()
