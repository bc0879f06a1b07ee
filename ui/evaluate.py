"""Evaluate & tune page helpers: choosing sequences, running the engine's evaluation with the
masks kept for the viewer, tables and figures of the results.

Numbers come from ``bgapp.evaluate.evaluate``/``report`` and ``bgapp.tuning.tune``: the same
calls as ``bgapp eval`` and ``bgapp tune``, so the page and the CLI always agree.
"""

from __future__ import annotations

import hashlib
import io
import math
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from bgapp.archive import safe_extract
from bgapp.config import Config
from bgapp.distributed import find_specs, open_spec
from bgapp.errors import BgappError, SourceError
from bgapp.evaluate import SequenceResult, evaluate, report
from bgapp.metrics import ERROR_COLOURS, METRIC_LABELS, METRIC_NAMES, error_image
from bgapp.tuning import (
    MIN_TRIALS_FOR_IMPORTANCE,
    TrialRecord,
    TuneProgress,
    TuneResult,
    duration_text,
    main_threshold,
)

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
SPARSE_POINTS = 60  # below this many scored frames the per-frame chart marks each one
MAX_KEPT_FRAMES = 20_000  # masks kept for the viewer (PNG, a few KB each)
TABLE_METRICS = ("recall", "precision", "f_measure", "specificity", "fpr", "fnr", "pwc")


# Choosing sequences ----------------------------------------------------------------------------

def sample_sequences(root: Path = SHARED_DATA) -> list[tuple[str, str]]:
    """``(label, spec)`` of the sequences with ground truth under the shared sample data (if present)."""
    if not root.is_dir():
        return []
    try:
        specs = find_specs([str(root)]).specs  # a copy that cannot be scored is not offered
    except BgappError:
        return []
    return [(Path(s).relative_to(root).as_posix(), s) for s in specs]


def describe_specs(specs: list[str]) -> pd.DataFrame:
    """One row per sequence: category, name, size, frames, scored frames."""
    rows = []
    for spec in specs:
        src = open_spec(spec)
        w, h = src.size
        rows.append({"category": src.category, "sequence": src.name, "size": f"{w}x{h}",
                     "frames": len(src), "scored": len(src.scored_indices),
                     "ROI": "yes" if src.roi is not None else "no"})
    return pd.DataFrame(rows)


def unpack_zip(data: bytes, workdir: Path, name: str) -> Path:
    """Extract an uploaded zip once per content (safely: no ``..``, absolute paths or symlinks,
    size capped; see ``bgapp.archive.safe_extract``); ``name``, the upload's file name, is what
    reports and messages call it."""
    tag = hashlib.sha1(data).hexdigest()[:16]
    dest = workdir / f"eval-zip-{tag}"
    if not (dest / ".complete").exists():
        shutil.rmtree(dest, ignore_errors=True)
        try:
            safe_extract(io.BytesIO(data), dest, name=name)
        except BgappError:
            shutil.rmtree(dest, ignore_errors=True)
            raise
        (dest / ".complete").touch()
    return dest


# Running an evaluation with the viewer's masks -------------------------------------------------

@dataclass
class EvalRun:
    """An evaluation's results, its report document and the masks the viewer shows."""

    specs: list[str]
    config: Config
    post: bool
    results: list[SequenceResult]
    doc: dict[str, Any]
    masks: dict[int, list[bytes]] = field(default_factory=dict)  # by sequence position
    kept_all: bool = True
    seconds: float = 0.0  # wall time of the run


@dataclass
class EvalProgress:
    """Where an evaluation stands: what :func:`run_evaluation` reports after every frame."""

    sequences_done: int  # sequences finished
    sequences: int
    name: str  # the sequence being run
    frame: int  # its frames processed so far
    frames: int  # its length
    done: int  # frames processed over all sequences
    total: int
    elapsed: float  # seconds since the run started


def _png(mask: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", mask, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    return buf.tobytes() if ok else b""


def run_evaluation(specs: list[str], config: Config, post: bool = True,
                   progress: Callable[[EvalProgress], None] | None = None,
                   max_kept: int = MAX_KEPT_FRAMES) -> EvalRun:
    """Evaluate every sequence in this process (the engine's ``evaluate``), keeping the masks.

    ``progress`` receives an :class:`EvalProgress` before the first frame and after every frame.
    """
    t0 = time.perf_counter()
    found = find_specs(specs)  # sequences that cannot be scored are reported, the others run
    sources = [open_spec(s) for s in found.specs]
    total = sum(len(s) for s in sources)
    done = 0
    kept = 0
    ok: list[str] = []
    results: list[SequenceResult] = []
    failed: list[SequenceResult] = list(found.skipped)
    masks: dict[int, list[bytes]] = {}
    kept_all = True
    for k, (spec, src) in enumerate(zip(found.specs, sources)):
        store: list[bytes] | None = [] if kept + len(src) <= max_kept else None
        if store is None:
            kept_all = False

        def on_frame(i: int, res: Any, gt: Any, store: list[bytes] | None = store) -> None:
            if store is not None:
                store.append(_png(res.clean))

        def step(i: int, n: int, k: int = k, base: int = done, name: str = src.name) -> None:
            if progress is not None:
                progress(EvalProgress(k + (i >= n), len(sources), name, i, n, base + i, total,
                                      time.perf_counter() - t0))

        step(0, len(src))
        try:
            result = evaluate(src, config, post=post, progress=step, per_frame=True, on_frame=on_frame)
        except SourceError as exc:  # one bad sequence of many: reported, the others still scored
            failed.append(SequenceResult.failed(src.shown_path, str(exc)))
        else:
            if store is not None:
                masks[len(ok)] = store
                kept += len(src)
            ok.append(spec)
            results.append(result)
        done += len(src)
    return EvalRun(ok, config, post, results, report(results + failed), masks, kept_all, time.perf_counter() - t0)


# Progress lines --------------------------------------------------------------------------------

def eval_progress_line(p: EvalProgress) -> tuple[float, str]:
    """(fraction done, text) for an evaluation's progress bar."""
    seq = f"{p.sequences_done} of {p.sequences} sequences done"
    if p.sequences_done < p.sequences:
        seq += f" · {p.name}: frame {p.frame:,} of {p.frames:,}"
    return min(1.0, p.done / max(p.total, 1)), f"{seq} · {duration_text(p.elapsed)}"


def study_progress_line(p: TuneProgress, metric: str) -> tuple[float, str]:
    """(fraction done, text) for a study's progress bar: the share of the study's frames processed,
    and the line ``bgapp tune`` prints (trials done, the running trial and its frame, the best so
    far, time per trial, the time left and the time spent)."""
    return min(max(p.fraction, 0.0), 1.0), p.line(metric)


def ended_trials_frame(records: list[TrialRecord], metric: str) -> pd.DataFrame:
    """The finished trials of a running study, newest first: its number, score and time."""
    label = METRIC_LABELS.get(metric, metric)
    rows = [{"trial": r.number, label: r.value, f"check {label}": r.check,
             "seconds": None if r.cached else round(r.seconds, 1),
             "note": "same settings as an earlier trial" if r.cached else ""} for r in reversed(records)]
    return pd.DataFrame(rows, columns=["trial", label, f"check {label}", "seconds", "note"])


# Tables ----------------------------------------------------------------------------------------

def results_table(doc: dict[str, Any], categories: list[str]) -> pd.DataFrame:
    """Per sequence, per category and overall, CDnet figures (NaN where undefined).

    ``categories`` gives each sequence's category as ``report`` grouped it (category, else name).
    """
    rows = []
    for s in doc["sequences"]:
        rows.append({"level": "sequence", "name": s["name"], "frames": s["frames"], "scored": s["scored"],
                     **{m: s[m] for m in TABLE_METRICS}, "fps": s["fps"]})
    cats = {c: [r for r, k in zip(rows, categories) if k == c] for c in doc["categories"]}
    for cat, c in doc["categories"].items():
        rows.append({"level": "category", "name": cat, **_frames_fps(cats[cat]), **{m: c[m] for m in TABLE_METRICS}})
    seqs = [r for r in rows if r["level"] == "sequence"]
    rows.append({"level": "overall", "name": "overall", **_frames_fps(seqs),
                 **{m: doc["overall"][m] for m in TABLE_METRICS}})
    cols = ["level", "name", "frames", "scored", *TABLE_METRICS, "fps"]
    return pd.DataFrame(rows)[cols]


def _frames_fps(rows: list[dict[str, Any]]) -> dict[str, Any]:
    frames = sum(int(r["frames"]) for r in rows)
    secs = sum(r["frames"] / r["fps"] for r in rows if r["fps"])
    return {"frames": frames, "scored": sum(int(r["scored"]) for r in rows),
            "fps": round(frames / secs, 2) if secs else float("nan")}


def per_frame_frame(result: SequenceResult) -> pd.DataFrame:
    """Per scored frame: frame number (1-based position), F-measure, precision, recall."""
    rows = [{"frame": i + 1, "f_measure": c.f_measure, "precision": c.precision, "recall": c.recall}
            for i, c in zip(result.frame_index, result.per_frame)]
    return pd.DataFrame(rows, columns=["frame", "f_measure", "precision", "recall"])


def busiest_frame(result: SequenceResult) -> int:
    """The scored frame with the most moving pixels (0-based), a telling first view for the viewer."""
    if not result.per_frame:
        return 0
    return max(zip(result.frame_index, result.per_frame), key=lambda fc: (fc[1].tp + fc[1].fn, -fc[0]))[0]


def per_frame_figure(result: SequenceResult, marker: int | None = None) -> go.Figure:
    """F-measure, precision and recall per scored frame; ``marker`` (1-based) draws the viewer's frame."""
    df = per_frame_frame(result)
    fig = go.Figure()
    colours = {"f_measure": "#1f77b4", "precision": "#2ca02c", "recall": "#d62728"}
    sparse = len(df) < SPARSE_POINTS  # a few labelled frames: points, a line between them would invent the rest
    for m, colour in colours.items():
        fig.add_trace(go.Scatter(x=df["frame"], y=df[m], mode="markers" if sparse else "lines",
                                 name=METRIC_LABELS[m], marker={"size": 8},
                                 line={"color": colour, "width": 1.4},
                                 hovertemplate=f"frame %{{x}}<br>{METRIC_LABELS[m]} %{{y:.3f}}<extra></extra>"))
    fig.update_layout(height=320, margin={"l": 10, "r": 10, "t": 30, "b": 10}, yaxis={"range": [0, 1.02]},
                      legend={"orientation": "h", "y": 1.12}, xaxis_title="frame",
                      title={"text": f"{result.name}: per-frame scores (scored frames only)", "font": {"size": 14}})
    if marker is not None:
        fig.add_vline(x=marker, line_dash="dot", line_color="grey")
    return fig


def viewer_images(spec: str, i: int, mask_png: bytes | None) -> tuple[np.ndarray, np.ndarray | None,
                                                                       np.ndarray | None, bool]:
    """Frame ``i``, its mask, the error-coded image and whether the frame is scored."""
    src = open_spec(spec)
    frame = src.frame(i)
    mask = cv2.imdecode(np.frombuffer(mask_png, np.uint8), cv2.IMREAD_GRAYSCALE) if mask_png else None
    gt = src.ground_truth(i)
    scored = bool(src.scored(i)) and gt is not None
    if mask is None or gt is None:
        return frame, mask, None, False
    if not scored:  # outside temporalROI: no pixel of this frame counts
        err = np.empty(frame.shape, np.uint8)
        err[:] = ERROR_COLOURS["not_scored"]
    else:
        err = error_image(mask, gt, src.roi)
    return frame, mask, err, scored


def frame_label(spec: str, i: int) -> str:
    return open_spec(spec).frame_label(i)


# Tuning figures --------------------------------------------------------------------------------

def trials_frame(result: TuneResult) -> pd.DataFrame:
    df = pd.DataFrame(result.table())
    return df.set_index("trial") if "trial" in df else df


def threshold_figure(result: TuneResult, sweep: list[dict[str, Any]] | None = None) -> go.Figure | None:
    """The metric of every trial against the main threshold, plus a sweep of the best config if run."""
    p = main_threshold(result.method)
    if p is None:
        return None
    xs = [r.config.params.get(p.name) for r in result.records]
    ys = [r.value for r in result.records]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="markers", name="trials",
                             marker={"size": 7, "color": [r.number for r in result.records], "colorscale": "Viridis",
                                     "showscale": True, "colorbar": {"title": "trial"}},
                             hovertemplate=f"{p.name} %{{x}}<br>{result.metric} %{{y:.4f}}<extra></extra>"))
    best = result.best.params.get(p.name)
    fig.add_trace(go.Scatter(x=[best], y=[result.value], mode="markers", name="best",
                             marker={"size": 14, "symbol": "star", "color": "#d62728"}))
    if sweep:
        for m, colour in (("f_measure", "#1f77b4"), ("precision", "#2ca02c"), ("recall", "#ff7f0e")):
            fig.add_trace(go.Scatter(x=[r["value"] for r in sweep], y=[r[m] for r in sweep], mode="lines+markers",
                                     name=f"best config, {METRIC_LABELS[m].lower()}", line={"color": colour}))
    fig.update_layout(height=380, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      title={"text": f"{METRIC_LABELS.get(result.metric, result.metric)} against {p.name}",
                             "font": {"size": 14}},
                      xaxis={"title": p.name, "type": "log" if p.log else "linear"},
                      yaxis={"title": METRIC_LABELS.get(result.metric, result.metric)},
                      legend={"orientation": "h", "y": -0.2})
    return fig


def top_params(result: TuneResult, n: int) -> list[str]:
    """The ``n`` searched values that mattered most (by importance; declaration order without one)."""
    ranked = list(result.importances())
    for r in result.records:
        for k in r.params:
            if k not in ranked:
                ranked.append(k)
    return ranked[:n]


def study_figure(result: TuneResult, kind: str, params: list[str] | None = None) -> go.Figure | None:
    """Optuna's own plotly figures: importances, slice or parallel coordinates (of ``params``)."""
    import warnings

    import optuna.visualization as vis

    study = result.study
    if study is None or result.trials < 2:
        return None
    label = METRIC_LABELS.get(result.metric, result.metric)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if kind == "importances":
                if not result.importances():  # none below MIN_TRIALS_FOR_IMPORTANCE: see importance_note
                    return None
                fig = vis.plot_param_importances(study, target_name=label)
            elif kind == "slice":
                fig = vis.plot_slice(study, params=params, target_name=label)
            else:
                fig = vis.plot_parallel_coordinate(study, params=params, target_name=label)
    except (ValueError, RuntimeError, ZeroDivisionError):
        return None
    fig.update_layout(margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return fig


def importance_note(result: TuneResult) -> str:
    """Why a study has no parameter-importance chart (see ``TuneResult.importances``)."""
    searched = len({k for r in result.records for k in r.params})
    if result.trials < MIN_TRIALS_FOR_IMPORTANCE:
        return (f"No parameter-importance chart: with {result.trials} trial(s) over {searched} searched values, a "
                f"ranking would mean little (it is fitted to one point per trial). It appears from "
                f"{MIN_TRIALS_FOR_IMPORTANCE} trials; the plots below keep the declaration order.")
    return "No parameter-importance chart: the trials' results hardly differ, so there is nothing to rank."


def searched_changes(result: TuneResult, start: Config) -> pd.DataFrame:
    """The searched values of the best config next to where the study started."""
    keys = []
    for r in result.records:
        for k in r.params:
            if k not in keys:
                keys.append(k)
    rows = []
    for k in keys:
        section, _, name = k.rpartition(".")
        best = (result.best.post if section == "post" else result.best.params).get(name)
        was = (start.post if section == "post" else start.params).get(name) if start.method == result.method else None
        rows.append({"setting": k, "best": str(best), "start": "" if was is None else str(was),
                     "changed": "" if was == best else "yes"})
    return pd.DataFrame(rows)


def metric_text(value: float, metric: str) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.4f}"


METRIC_CHOICES = list(METRIC_NAMES)

