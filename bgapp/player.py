"""The Video lab's player: a session's pipeline walking through a clip, one shown frame at a time.

:class:`Player` holds no Streamlit state and no whole video: a :class:`bgapp.clip.Clip` reads
frames on demand, the pipeline keeps what it has learned, and per-frame numbers (foreground
fraction, confusion counts) are kept by frame index so replays overwrite rather than add up.
It lives in the engine so that tests and benchmarks drive it without Streamlit; the page's
widgets and its playback loop are in ``ui/player.py``.
"""

from __future__ import annotations

import functools
import math
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from bgapp.clip import Clip  # absolute imports: test_imports matches the relative one as the command line
from bgapp.config import Change, Config
from bgapp.display import Grid, combined, fmt
from bgapp.methods import METHODS
from bgapp.metrics import METRIC_SHORT, Counts, confusion, error_image
from bgapp.pace import FpsMeter, Pace, explain, rate_text
from bgapp.pipeline import FrameResult, Pipeline, UpdateResult, Views
from bgapp.source import Source
from bgapp.trace import PixelTrace
from bgapp.video import Mp4Writer, ZipPngWriter

if TYPE_CHECKING:
    import pandas as pd

Progress = Callable[[int, int], None]
MAX_REPLAY = 1500  # a jump replays at most this many frames before its target (long clips stay responsive)


@dataclass
class Shown:
    """What is on screen: one frame's combined views and numbers."""

    index: int
    jpeg: bytes
    fraction: float
    ms: float
    learning: bool
    counts: Counts | None
    grid: Grid | None = None  # where each view lies in the picture (a click there names a frame pixel)


@dataclass
class Kept:
    """The shown frame's pipeline output and ground truth, kept so that a change of the view or
    of the post-processing can be drawn again without the model seeing the frame twice."""

    index: int  # in the clip (the pipeline counts frames since its last reset)
    result: FrameResult
    gt: np.ndarray | None
    scored: bool


@dataclass
class Outputs:
    """Files of the last full run, and the settings that made them."""

    config: Config
    files: dict[str, Path] = field(default_factory=dict)
    frames: int = 0


def _minus(a: Counts, b: Counts) -> Counts:
    return Counts(a.tp - b.tp, a.fp - b.fp, a.fn - b.fn, a.tn - b.tn)


def _locked(method: Callable) -> Callable:
    """One caller at a time: with Streamlit's fast reruns, a new script run can start while the
    previous one is still finishing a frame (config.toml turns fast reruns off; this is the net)."""

    @functools.wraps(method)
    def wrapper(self: Player, *args: Any, **kwargs: Any) -> Any:
        with self.lock:
            return method(self, *args, **kwargs)

    return wrapper


@dataclass
class Pending:
    """A frame the user asked to see that the model has not reached yet.

    It outlives an interrupted run: whatever stops the work on the way (another change, a click,
    a rerun), the next run goes on to the same frame, so quick hands never lose their place."""

    target: int  # the clip index to show
    start: int  # where the model's pass towards it began (for the progress bar)
    why: str  # what the page says while it works ("Replaying with the new settings", ...)


CATCH_UP = "Catching up"
REPLAY = "Replaying with the new settings"
WARM_UP = "Warming up"
TRACE = "Following the pixel from the start"


class Player:
    """A pipeline and a cursor over a clip; see the module docstring.

    Invariant, also when a multi-frame operation is interrupted (a rerun or a page change raises
    inside its progress callback): the model has seen exactly the frames before ``next``. The
    picture (``shown``) changes only when a requested frame is reached: until then it stays on the
    frame the user was on, and ``pending`` says where the model is going.
    """

    def __init__(self, source: Source, config: Config) -> None:
        self.clip = Clip(source)
        self.pipeline = Pipeline(config, Views(background=True, composite=True))
        self.pipeline.prime(source)
        self.next = 0  # the next frame index the model has not seen
        self.shown: Shown | None = None
        self.kept: Kept | None = None
        self.pending: Pending | None = None
        self.fraction: dict[int, float] = {}
        self.counts: dict[int, Counts] = {}
        self.total = Counts()
        self.mixed = False  # settings changed since the last start: totals mix settings
        self.outputs: Outputs | None = None
        self.interrupted: str | None = None  # what a stopped full run left, for the page to say once
        self.rate = FpsMeter(window=2.0)  # frames shown per second while playing
        self._work_ms = 0.0  # their processing time, smoothed
        self.lock = threading.RLock()

    # settings -------------------------------------------------------------------------------------
    @_locked
    def apply(self, config: Config) -> UpdateResult | None:
        """Move the pipeline to ``config``; None when nothing changed (see :class:`bgapp.config.Change`)."""
        change = Change(self.pipeline.config, config)
        if change.scope is None:
            return None
        result = self.pipeline.apply(change)
        self.mixed = self.mixed or (self.next > 0 and change.scope != "view")
        return result

    # processing -----------------------------------------------------------------------------------
    def _score(self, i: int, res: FrameResult, gt: np.ndarray | None, scored: bool) -> None:
        """Record frame ``i``'s numbers, replacing any it had (replays overwrite, never add up)."""
        clean = res.clean
        self.fraction[i] = res.fg_fraction
        old = self.counts.pop(i, None)
        if old is not None:
            self.total = _minus(self.total, old)
        if scored and gt is not None:
            c = confusion(clean, gt, self.clip.roi)
            self.counts[i] = c
            self.total += c

    def _process(self, i: int) -> Kept | None:
        frame = self.clip.frame(i)
        if frame is None:
            return None
        res = self.pipeline.process(frame)
        self.next = i + 1
        gt, scored = self.clip.truth(i)
        self._score(i, res, gt, scored)
        if self.pipeline.trace is not None:
            self.pipeline.trace.set_truth(i, gt)
        return Kept(i, res, gt, scored)

    def _render(self, kept: Kept) -> Shown:
        res, gt, scored = kept.result, kept.gt, kept.scored
        mode = self.pipeline.config.composite["mode"]
        views = [res.frame, res.raw, res.clean, res.composite, res.background, res.score]
        labels = ["input", "raw mask", "clean mask", f"composite: {mode}",
                  "background model" if res.background is not None else "background model: none for this method",
                  "score map" if res.score is not None else "score map: none for this method"]
        cols = 3
        if self.clip.has_gt:
            err = error_image(res.clean, gt, self.clip.roi) if gt is not None else None
            views += [gt, err]
            labels += ["ground truth" if gt is not None else "no ground truth",
                       "errors" if scored else "errors: frame not scored"]
            cols = 4
        i = kept.index
        grid = Grid.of((res.frame.shape[1], res.frame.shape[0]), len(views), cols)
        return Shown(i, combined(views, labels, cols), res.fg_fraction, res.ms, res.learning, self.counts.get(i), grid)

    def _show(self, kept: Kept) -> Shown:
        self.kept = kept
        self.shown = self._render(kept)
        return self.shown

    @property
    def goal(self) -> int | None:
        """The frame the user is on: the one asked for while the model works towards it, else the one shown."""
        if self.pending is not None:
            return self.pending.target
        return None if self.shown is None else self.shown.index

    @_locked
    def aim(self, i: int, why: str = CATCH_UP, replay: bool = False) -> None:
        """Ask for frame ``i``; :meth:`work` gets there. Going back, ``replay``, or a jump of more
        than MAX_REPLAY frames restarts the model now (at most MAX_REPLAY frames before ``i``); the
        picture stays until ``i`` is reached. A later aim replaces an earlier one."""
        i = max(0, min(i, self.clip.n - 1))
        if not replay and self.pending is None and self.shown is not None and i == self.shown.index:
            return  # already there
        if replay or i < self.next or i - self.next > MAX_REPLAY:
            self._forget(max(0, i - MAX_REPLAY))
        self.pending = Pending(i, self.next, why)

    @_locked
    def inspect(self, x: int, y: int) -> PixelTrace:
        """Follow pixel (``x``, ``y``): the model replays the clip up to the user's frame so that the
        pixel's history covers every frame it has seen (a replay gives the same masks as playing)."""
        trace = self.pipeline.inspect(x, y)
        goal = self.goal
        if goal is not None:
            self.aim(goal, TRACE, replay=True)
        return trace

    @_locked
    def stop_inspecting(self) -> None:
        self.pipeline.stop_inspecting()

    @_locked
    def changed(self, scope: str) -> None:
        """Plan what a change made while paused needs, so that the result is what one change to the
        final values gives, however many came before and whatever interrupted them.

        A change of the view or of the post-processing redraws the kept frame: the model is not
        touched. A change of the model (method, parameter, reference picture) replays the clip up
        to the user's frame with the new settings (at most MAX_REPLAY frames). While a replay is
        under way, a change of the post-processing starts it again too (every frame's score then
        comes from the final settings)."""
        goal = self.goal
        if goal is None:
            return
        if self.pending is not None:
            if scope != "view":
                self.aim(goal, REPLAY, replay=True)
            return
        if scope == "model":
            self.aim(goal, REPLAY, replay=True)
            return
        assert self.kept is not None
        kept = self.kept
        res = self.pipeline.redraw(kept.result)
        if scope == "post":
            self._score(kept.index, res, kept.gt, kept.scored)
        self._show(Kept(kept.index, res, kept.gt, kept.scored))

    @_locked
    def work(self, progress: Progress | None = None, budget: float | None = None) -> bool:
        """Process frames towards the pending frame, showing it when reached; True when nothing is
        left to do. ``budget`` (seconds) bounds one call, so a page can check for newer requests
        between calls. Interrupted (``progress`` raises), the pending frame stays pending."""
        p = self.pending
        if p is None:
            return True
        end = None if budget is None else time.perf_counter() + budget
        kept = None
        while self.next <= p.target:
            kept = self._process(self.next)
            if kept is None:  # the clip ended early (a video whose length was an estimate)
                break
            if progress is not None:
                progress(self.next - p.start, p.target + 1 - p.start)
            if end is not None and self.next <= p.target and time.perf_counter() >= end:
                return False
        self.pending = None
        if kept is not None:
            self._show(kept)
        return True

    @_locked
    def step(self) -> Shown | None:
        """Process and show the next frame; None at the end of the clip."""
        self.work()
        kept = self._process(self.next)
        return None if kept is None else self._show(kept)

    @_locked
    def advance_to(self, i: int, progress: Progress | None = None) -> Shown | None:
        """Process frames up to ``i`` (the model sees each), showing only the last."""
        self.aim(i)
        self.work(progress)
        return self.shown

    def _forget(self, start: int = 0) -> None:
        """Forget what the model learned and every per-frame number (the picture stays); the model
        goes on from frame ``start``."""
        self.pipeline.reset(start)
        self.next = start
        self.pending = None
        self.fraction.clear()
        self.counts.clear()
        self.total = Counts()
        self.mixed = False

    @_locked
    def restart(self) -> None:
        """Forget what the model learned, every per-frame number and the picture."""
        self._forget()
        self.shown = None
        self.kept = None

    @_locked
    def seek(self, i: int, progress: Progress | None = None) -> Shown | None:
        """Show frame ``i`` as the model sees it there: forward processes the frames between,
        backward replays from the start, which gives the same masks as playing up to ``i``.
        On long clips a jump processes only the MAX_REPLAY frames before ``i``."""
        self.aim(i)
        self.work(progress)
        return self.shown

    @_locked
    def refresh(self, scope: str, progress: Progress | None = None) -> Shown | None:
        """Show the user's frame again after a change made while paused (see :meth:`changed`)."""
        self.changed(scope)
        self.work(progress)
        return self.shown

    @_locked
    def run_all(self, folder: Path, progress: Progress, preview: Callable[[Shown], None] | None = None) -> Outputs:
        """Process the whole clip from the start with the current settings, writing the downloads.

        The files go to a new sub-folder and replace the previous run's only when the run
        completes. Stopped part-way (the user left the page), the partial files are deleted, the
        player shows the last frame it processed and :attr:`interrupted` says what happened.
        """
        self.restart()
        old = self.outputs
        folder.mkdir(parents=True, exist_ok=True)
        run = Path(tempfile.mkdtemp(prefix="run-", dir=folder))
        files = {"mask": run / "mask.mp4", "composite": run / "composite.mp4", "zip": run / "masks.zip"}
        kept = None
        done = False
        try:
            with (Mp4Writer(files["mask"], self.clip.fps) as mask_w,
                  Mp4Writer(files["composite"], self.clip.fps) as comp_w,
                  ZipPngWriter(files["zip"], prefix="bin") as zip_w):
                while True:
                    got = self._process(self.next)
                    if got is None:
                        break
                    kept = got
                    mask_w.write(got.result.clean)
                    comp_w.write(cast(np.ndarray, got.result.composite))  # Views(composite=True): always made
                    zip_w.write(got.result.clean)
                    if preview is not None and self.next % 15 == 1:
                        preview(self._render(got))
                    progress(self.next, self.clip.n)
            done = True
        finally:
            if kept is not None:
                self._show(kept)
            if done:
                self.outputs = Outputs(self.pipeline.config, files, self.next)
                if old is not None and old.files:
                    shutil.rmtree(next(iter(old.files.values())).parent, ignore_errors=True)
            else:
                shutil.rmtree(run, ignore_errors=True)
                self.interrupted = (f"The re-run from the start stopped at frame {self.next} of {self.clip.n} "
                                    "(the page was left or reloaded): its partial files were discarded. The "
                                    "scores cover the frames it processed; press Re-run from start again for "
                                    "the whole clip.")
        assert self.outputs is not None  # set above: the run completed (an interrupted one raised)
        return self.outputs

    # numbers --------------------------------------------------------------------------------------
    def played(self, shown: Shown) -> None:
        """Count a frame shown while playing (for :meth:`pace`)."""
        first = self.rate.span() == 0.0
        self.rate.tick()
        self._work_ms = shown.ms if first else 0.9 * self._work_ms + 0.1 * shown.ms

    def pace(self) -> Pace | None:
        """The rate playback reaches against the clip's own, once a second of it has been measured."""
        if self.rate.span() < 1.0:
            return None
        return Pace(self.clip.fps, self.rate.fps(), self._work_ms)

    def timeline(self) -> pd.DataFrame:
        """Per-frame foreground fraction and, where scored, F-measure (for a chart); ``frame`` counts from
        1, as the status line and the Frame slider do. (pandas comes with the app, not the engine.)"""
        import pandas as pd

        idx = sorted(self.fraction)
        data: dict[str, Any] = {"frame": [i + 1 for i in idx], "foreground %": [100 * self.fraction[i] for i in idx]}
        if self.clip.has_gt:
            data[METRIC_SHORT["f_measure"]] = [self.counts[i].f_measure if i in self.counts else math.nan for i in idx]
        return pd.DataFrame(data)

    def status(self) -> str:
        s = self.shown
        if s is None:
            return "No frame processed yet."
        parts = [f"frame {s.index + 1} / {self.clip.n}", f"{s.ms:.1f} ms", f"foreground {100 * s.fraction:.1f}%"]
        if s.learning:
            parts.append("model still learning")
        if s.counts is not None:
            parts.append(f"F this frame {fmt(s.counts.f_measure)}")
        if self.pending is not None:
            parts.append(f"{self.pending.why.lower()} to frame {self.pending.target + 1}")
        return " · ".join(parts)

    def playing_text(self) -> str:
        """``playing at 9.8 of 25 fps`` once a second of playing has been measured, else ``playing``."""
        pace = self.pace()
        return "playing" if pace is None else f"playing at {rate_text(pace)}"

    def pace_warning(self) -> str | None:
        """Why playing falls short of the clip's rate and what would help; None while it keeps up."""
        pace = self.pace()
        if pace is None:
            return None
        size = None if self.kept is None else (self.kept.result.frame.shape[1], self.kept.result.frame.shape[0])
        return explain(pace, METHODS[self.pipeline.config.method].title, "the clip", "drawing and sending the views",
                       size)
