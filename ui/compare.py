"""Compare page logic: run several configurations over the same frames, keep only numbers and
compressed masks, and redo only the configurations that changed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
import pandas as pd

from bgapp.config import Config
from bgapp.evaluate import scored_span
from bgapp.methods import METHODS
from bgapp.metrics import METRIC_SHORT, Counts, confusion, error_image
from bgapp.pipeline import Pipeline

from .sources import Clip
from .views import combined

Progress = Callable[[int, int], None]
DEFAULT_METHODS = ("mog2", "knn", "absdiff", "frame_diff")
DEFAULT_FRAMES = 300  # frames processed by default from the start of a clip
SCORED_FRAMES = 200  # with ground truth, the default reaches this many frames into the scored range


def default_frames(source: Any, n: int) -> int:
    """How many frames Compare processes by default: DEFAULT_FRAMES, or, on a clip with ground
    truth whose scored range (CDnet's temporal ROI) starts late, enough to reach SCORED_FRAMES
    frames into it; never more than the clip's ``n`` frames."""
    want = DEFAULT_FRAMES
    span = scored_span(source)
    if span is not None:
        want = max(want, span.first + SCORED_FRAMES)
    return max(1, min(n, want))


def tab_to_keep(chosen: str | None, previous: list[str] | None, labels: list[str]) -> str:
    """The method tab to show: the one at the position the user chose, whatever its label now
    says (a label names the method, so changing the method renames the open tab)."""
    if previous and chosen in previous:
        k = previous.index(chosen)
    elif chosen in labels:
        k = labels.index(chosen)
    else:
        k = 0
    return labels[min(k, len(labels) - 1)]


def short_title(method: str) -> str:
    """'MOG2 (Gaussian mixture)' -> 'MOG2': fits a tile label."""
    return METHODS[method].title.split(" (")[0]


@dataclass
class MethodRun:
    """One configuration over the first ``len(masks)`` frames of a clip."""

    key: tuple
    config: Config
    fraction: list[float] = field(default_factory=list)
    counts: list[Counts | None] = field(default_factory=list)
    ms: list[float] = field(default_factory=list)
    masks: list[bytes] = field(default_factory=list)  # PNG: a 320x240 mask is 1-3 KB
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> Counts:
        out = Counts()
        for c in self.counts:
            if c is not None:
                out += c
        return out

    def mask(self, i: int) -> np.ndarray:
        return cv2.imdecode(np.frombuffer(self.masks[i], np.uint8), cv2.IMREAD_GRAYSCALE)


def run_key(ident: str, frames: int, config: Config) -> tuple:
    return (ident, frames, config.to_json())


def run_configs(clip: Clip, configs: list[Config], keys: list[tuple], frames: int,
                progress: Progress | None = None) -> list[MethodRun]:
    """Process ``frames`` frames once, feeding each to one fresh pipeline per configuration."""
    pipes = [Pipeline(c) for c in configs]
    for p in pipes:
        p.prime(clip.source)
    runs = [MethodRun(k, c) for k, c in zip(keys, configs)]
    png = [cv2.IMWRITE_PNG_COMPRESSION, 1]
    for i in range(frames):
        frame = clip.frame(i)
        if frame is None:
            break
        gt, scored = clip.truth(i)
        for pipe, run in zip(pipes, runs):
            res = pipe.process(frame)
            run.fraction.append(res.fg_fraction)
            run.ms.append(res.ms)
            run.counts.append(confusion(res.clean, gt, clip.roi) if scored else None)
            run.masks.append(cv2.imencode(".png", res.clean, png)[1].tobytes())
        if progress is not None:
            progress(i + 1, frames)
    for pipe, run in zip(pipes, runs):
        run.notes = pipe.notes
    return runs


TABLE_METRICS = ("f_measure", "precision", "recall", "pwc")  # the scores column of the table


def table(runs: list[MethodRun], has_gt: bool) -> pd.DataFrame:
    """One row per configuration: CDnet figures over the scored frames, foreground and speed."""
    rows = []
    for k, r in enumerate(runs):
        row = {"#": k + 1, "method": short_title(r.config.method)}
        if has_gt:
            t = r.total
            row.update({METRIC_SHORT[m]: getattr(t, m) for m in TABLE_METRICS})
        row.update({"foreground %": 100 * float(np.mean(r.fraction)) if r.fraction else np.nan,
                    "ms / frame": float(np.mean(r.ms)) if r.ms else np.nan})
        rows.append(row)
    return pd.DataFrame(rows)


def timeline(runs: list[MethodRun]) -> pd.DataFrame:
    """Long form (frame, method, foreground %, F-measure) for the chart."""
    parts = []
    for k, r in enumerate(runs):
        parts.append(pd.DataFrame({
            "frame": np.arange(len(r.fraction)),
            "method": f"{k + 1}. {short_title(r.config.method)}",
            "foreground %": 100 * np.asarray(r.fraction),
            METRIC_SHORT["f_measure"]: [c.f_measure if c is not None else np.nan for c in r.counts],
        }))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def frame_view(clip: Clip, runs: list[MethodRun], i: int) -> bytes:
    """Input and each clean mask in a row; with ground truth, GT and each error image below."""
    frame = clip.frame(i)
    names = [f"{k + 1}. {short_title(r.config.method)}" for k, r in enumerate(runs)]
    masks = [r.mask(i) for r in runs]
    views, labels = [frame, *masks], [f"input, frame {i + 1}", *names]
    if clip.has_gt:
        gt, scored = clip.truth(i)
        errors = [error_image(m, gt, clip.roi) if gt is not None else None for m in masks]
        views += [gt, *errors]
        labels += ["ground truth" + ("" if scored else " (not scored)"), *[f"{n} errors" for n in names]]
    return combined(views, labels, cols=len(runs) + 1)
