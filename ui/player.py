"""The Video lab's player: a session's pipeline walking through a clip, one shown frame at a time.

:class:`Player` holds no Streamlit state and no whole video: a :class:`ui.sources.Clip` reads
frames on demand, the pipeline keeps what it has learned, and per-frame numbers (foreground
fraction, confusion counts) are kept by frame index so replays overwrite rather than add up.
"""

from __future__ import annotations

import functools
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from bgapp.config import Config
from bgapp.metrics import Counts, confusion, error_image
from bgapp.pipeline import FrameResult, Pipeline, UpdateResult, Views
from bgapp.video import Mp4Writer, ZipPngWriter

from .sources import Clip
from .views import combined, counts_line, fmt

Progress = Callable[[int, int], None]
REFRESH_FRAMES = 3  # frames replayed to show a paused frame with new settings (frame differencing needs 3)
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


class Player:
    """A pipeline and a cursor over a clip; see the module docstring."""

    def __init__(self, source: Any, config: Config) -> None:
        self.clip = Clip(source)
        self.pipeline = Pipeline(config, Views(background=True, composite=True))
        self.pipeline.prime(source)
        self.next = 0  # the next frame index the model has not seen
        self.shown: Shown | None = None
        self.fraction: dict[int, float] = {}
        self.counts: dict[int, Counts] = {}
        self.total = Counts()
        self.mixed = False  # settings changed since the last start: totals mix settings
        self.outputs: Outputs | None = None
        self.lock = threading.RLock()

    # settings -------------------------------------------------------------------------------------
    @_locked
    def apply(self, config: Config) -> UpdateResult | None:
        """Move the pipeline to ``config``; None when nothing changed."""
        if config == self.pipeline.config:
            return None
        result = self.pipeline.set_config(config)
        self.mixed = self.mixed or self.next > 0
        return result

    # processing -----------------------------------------------------------------------------------
    def _process(self, i: int) -> tuple[int, FrameResult, np.ndarray | None, bool] | None:
        frame = self.clip.frame(i)
        if frame is None:
            return None
        res = self.pipeline.process(frame)
        self.next = i + 1
        gt, scored = self.clip.truth(i)
        self.fraction[i] = res.fg_fraction
        old = self.counts.pop(i, None)
        if old is not None:
            self.total = _minus(self.total, old)
        if scored:
            c = confusion(res.clean, gt, self.clip.roi)
            self.counts[i] = c
            self.total += c
        return i, res, gt, scored

    def _render(self, i: int, res: FrameResult, gt: np.ndarray | None, scored: bool) -> Shown:
        mode = self.pipeline.config.composite["mode"]
        views = [res.frame, res.raw, res.clean, res.composite, res.background, res.score]
        labels = ["input", "raw mask", "clean mask", f"composite: {mode}",
                  "background model" if res.background is not None else "background model (none)",
                  "score map" if res.score is not None else "score map (none for this method)"]
        cols = 3
        if self.clip.has_gt:
            err = error_image(res.clean, gt, self.clip.roi) if gt is not None else None
            views += [gt, err]
            labels += ["ground truth" if gt is not None else "no ground truth",
                       "errors" if scored else "errors (frame not scored)"]
            cols = 4
        return Shown(i, combined(views, labels, cols), res.fg_fraction, res.ms, res.learning, self.counts.get(i))

    @_locked
    def step(self) -> Shown | None:
        """Process and show the next frame; None at the end of the clip."""
        out = self._process(self.next)
        if out is None:
            return None
        self.shown = self._render(*out)
        return self.shown

    @_locked
    def advance_to(self, i: int, progress: Progress | None = None) -> Shown | None:
        """Process frames up to ``i`` (the model sees each), showing only the last."""
        i = min(i, self.clip.n - 1)
        start, out = self.next, None
        while self.next <= i:
            out = self._process(self.next)
            if out is None:
                break
            if progress is not None:
                progress(self.next - start, i + 1 - start)
        if out is not None:
            self.shown = self._render(*out)
        return self.shown

    @_locked
    def restart(self) -> None:
        """Forget what the model learned and every per-frame number."""
        self.pipeline.reset()
        self.next = 0
        self.fraction.clear()
        self.counts.clear()
        self.total = Counts()
        self.mixed = False

    def _replay_to(self, i: int, progress: Progress | None) -> Shown | None:
        """Restart the model and learn it on the frames before ``i`` (at most MAX_REPLAY of them)."""
        self.restart()
        self.next = max(0, i - MAX_REPLAY)
        return self.advance_to(i, progress)

    @_locked
    def seek(self, i: int, progress: Progress | None = None) -> Shown | None:
        """Show frame ``i`` as the model sees it there: forward processes the frames between,
        backward replays from the start, which gives the same masks as playing up to ``i``.
        On long clips a jump processes only the MAX_REPLAY frames before ``i``."""
        if i < self.next or i - self.next > MAX_REPLAY:
            return self._replay_to(i, progress)
        return self.advance_to(i, progress)

    @_locked
    def refresh(self, rebuilt: bool, progress: Progress | None = None) -> Shown | None:
        """Show the current frame again after a settings change made while paused.

        A restarted model (new method, or a value that needs one) replays from the start (at most
        MAX_REPLAY frames); any other change replays the last few frames on the learned model.
        """
        i = self.shown.index if self.shown is not None else 0
        if rebuilt:
            return self._replay_to(i, progress)
        self.next = max(0, i + 1 - REFRESH_FRAMES)
        return self.advance_to(i)

    @_locked
    def run_all(self, folder: Path, progress: Progress, preview: Callable[[Shown], None] | None = None) -> Outputs:
        """Process the whole clip from the start with the current settings, writing the downloads."""
        self.restart()
        self.outputs = None
        folder.mkdir(parents=True, exist_ok=True)
        files = {"mask": folder / "mask.mp4", "composite": folder / "composite.mp4", "zip": folder / "masks.zip"}
        out = None
        with (Mp4Writer(files["mask"], self.clip.fps) as mask_w,
              Mp4Writer(files["composite"], self.clip.fps) as comp_w,
              ZipPngWriter(files["zip"], prefix="bin") as zip_w):
            while True:
                res = self._process(self.next)
                if res is None:
                    break
                out = res
                mask_w.write(res[1].clean)
                comp_w.write(res[1].composite)
                zip_w.write(res[1].clean)
                if preview is not None and self.next % 15 == 1:
                    preview(self._render(*res))
                progress(self.next, self.clip.n)
        if out is not None:
            self.shown = self._render(*out)
        self.outputs = Outputs(self.pipeline.config, files, self.next)
        return self.outputs

    # numbers --------------------------------------------------------------------------------------
    def timeline(self) -> pd.DataFrame:
        """Per-frame foreground fraction and, where scored, F-measure (for a chart)."""
        idx = sorted(self.fraction)
        data: dict[str, Any] = {"frame": idx, "foreground %": [100 * self.fraction[i] for i in idx]}
        if self.clip.has_gt:
            data["F-measure"] = [self.counts[i].f_measure if i in self.counts else math.nan for i in idx]
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
        return " · ".join(parts)


# Streamlit side ---------------------------------------------------------------------------------------

def show_metrics(where: Any, player: Player) -> None:
    """Running CDnet figures over the frames processed so far (or what is known without GT)."""
    box = where.container()
    if not player.clip.has_gt:
        cols = box.columns(3)
        cols[0].metric("Foreground", f"{100 * player.shown.fraction:.1f} %" if player.shown else "–",
                       help="Share of the frame's pixels in the clean mask.")
        cols[1].metric("Time per frame", f"{player.shown.ms:.1f} ms" if player.shown else "–",
                       help="Method, post-processing and views for one frame.")
        cols[2].metric("Frames processed", f"{len(player.fraction)}")
        box.caption("This clip has no ground truth, so there are no accuracy scores; a sequence with a "
                    "groundtruth/ folder (or the demo) adds them.")
        return
    t = player.total
    cols = box.columns(4)
    cols[0].metric("F-measure", fmt(t.f_measure), help="Harmonic mean of precision and recall (CDnet's "
                   "main figure), over the scored frames processed so far.")
    cols[1].metric("Precision", fmt(t.precision), help="Of the pixels called foreground, the share that are.")
    cols[2].metric("Recall", fmt(t.recall), help="Of the truly moving pixels, the share found.")
    cols[3].metric("PWC", fmt(t.pwc, 2), help="Percentage of wrong classifications (lower is better).")
    note = f"{len(player.counts)} scored frames · {counts_line(t)}"
    if player.mixed:
        note += " · settings changed on the way: **Re-run from start** for a clean score"
    box.caption(note)


def play(player: Player, image: Any, status: Any, metrics: Any, running_key: str) -> None:
    """Play from the current frame at the clip's rate until the end or until a widget reruns the page.

    Each frame replaces the contents of the placeholders (one JPEG, one status line). A widget
    change interrupts this loop; the rerun applies the new settings and, still playing, comes
    back here: the next frame uses them, with the model kept.
    """
    period = 1.0 / player.clip.fps
    due = time.perf_counter()
    shown = 0
    while st.session_state.get(running_key):
        s = player.step()
        if s is None:
            break
        image.image(s.jpeg, width="stretch")
        status.caption(player.status())
        shown += 1
        if shown % 10 == 0:
            show_metrics(metrics, player)
        due += period
        wait = due - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        elif wait < -1.0:  # far behind (a slow method): stop trying to catch up
            due = time.perf_counter()
    st.session_state[running_key] = False
    st.rerun()
