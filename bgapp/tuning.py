"""Tune a method's settings on sequences with ground truth: an Optuna study over the declarations.

The search space comes from the parameter declarations alone (``bgapp.params.Param``): every
parameter with ``tune=True``, over ``tune_min..tune_max`` (else ``min..max``), on a log scale
where ``log`` says so, odd-only for kernel sizes, choices and booleans as categories; and only
when it matters given the others (``visible_if``, checked with :func:`bgapp.params.is_active`).
Post-processing (``POST_PARAMS``) is searched the same way. Values the study does not search
come from a base config (the user's current settings).

Each trial is scored the CDnet way (confusion counts summed per sequence, mean over the
sequences of a category, mean over categories) by the same ``evaluate``/``report`` calls as
``bgapp eval``. Lower-is-better metrics are minimised; an undefined (NaN) metric counts as the
worst possible value.

Settings that generalise: tuned on one minute of one scene, a study happily finds settings that
fit those frames and nothing else (a 60-trial study on CDnet highway alone chose history 30 and
heavy morphology, which then scored below the defaults on a scene of people waiting). So a study
holds back part of its labels as a *check set* (:class:`Holdout`): other sequences, or, by
default, every other block of each sequence's labelled frames. The sampler is told the tuning
score only; the check score is reported beside it for every trial, and the result is the trial
that does best by :data:`SELECT` (default: on the worse of the two), with warnings where the two
part (:meth:`TuneResult.warnings`).

Reproducibility: trials are asked in fixed-size batches (``batch``, independent of the number of
workers) with Optuna's ask/tell interface, the batch is evaluated (in this process or as Dask
tasks, one per trial and sequence) and told back in trial order, and the TPE sampler is seeded.
So a seed gives the same study, and the same best config, with 1 worker or 20.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .config import Config
from .distributed import (
    DaskRunner,
    Found,
    SerialRunner,
    evaluate_spec,
    find_specs,
    list_sequences,
    longest_first,
    map_longest_first,
    runner,
    sequence_lengths,
)
from .errors import BgappError
from .evaluate import SequenceResult, report
from .methods import get_method
from .metrics import HIGHER_IS_BETTER, METRIC_LABELS, METRIC_NAMES
from .params import Param, is_active
from .postprocess import POST_PARAMS

DEFAULT_METRIC = "f_measure"
DEFAULT_BATCH = 4
# Below this many trials no parameter importance is computed (see TuneResult.importances).
MIN_TRIALS_FOR_IMPORTANCE = 10
# In-process runs report a running sequence about this many times (every 1/FRAME_REPORTS of its frames).
FRAME_REPORTS = 20
# How a study picks its result among the trials (see Holdout): the best tuning score, the best check
# score, or the best of the worse of the two (default: a setting must do well on both).
SELECT: dict[str, str] = {
    "worse": "best on the worse of the tuning and check scores",
    "check": "best on the check set",
    "tune": "best on the tuning labels (the check score is only reported)",
}
DEFAULT_SELECT = "worse"
CHECK_BLOCKS = 10  # a sequence's labelled frames split into this many runs of frames, every other one held back
# Tuning and check scores further apart than this (F-measure points) are worth a warning.
PART = 0.05
# Trials this close to the best pick score (in the metric's units; PWC's are percent) are ties the
# labels cannot separate: with 5 labels on CDnet highway, settings within 0.02 of each other there
# ranged from 0.77 to 0.94 over all of its labels. Among them the study takes the consensus (see
# consensus) when there are at least MIN_CONSENSUS.
TIE: dict[str, float] = {m: (0.2 if m == "pwc" else 0.02) for m in METRIC_NAMES}
MIN_CONSENSUS = 3
# The worst value each metric can take: what a NaN (undefined) metric is told to the study.
WORST: dict[str, float] = {m: (0.0 if m in HIGHER_IS_BETTER else 100.0 if m == "pwc" else 1.0) for m in METRIC_NAMES}


def _optuna():
    try:
        import optuna
    except ImportError:  # pragma: no cover - optuna is a declared extra
        raise BgappError("tuning needs optuna: pip install optuna") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def check_metric(metric: str) -> str:
    if metric not in METRIC_NAMES:
        raise BgappError(f"unknown metric {metric!r}; choose one of: {', '.join(METRIC_NAMES)}")
    return metric


def direction(metric: str) -> str:
    """``maximize`` for recall, precision, F-measure, specificity; ``minimize`` for fpr, fnr, pwc."""
    return "maximize" if check_metric(metric) in HIGHER_IS_BETTER else "minimize"


def better(a: float, b: float, metric: str) -> bool:
    """Whether ``a`` beats ``b`` (NaN loses to everything)."""
    if math.isnan(a):
        return False
    if math.isnan(b):
        return True
    return a > b if metric in HIGHER_IS_BETTER else a < b


# Search space ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Dimension:
    """One searched value: where it lives in a Config, its declaration and its Optuna distribution."""

    section: str  # "params" or "post"
    param: Param
    distribution: Any  # optuna.distributions.BaseDistribution

    @property
    def key(self) -> str:
        """The study's name for it: the method parameter's name, or ``post.NAME``."""
        return self.param.name if self.section == "params" else f"post.{self.param.name}"

    def describe(self) -> str:
        d, p = self.distribution, self.param
        if p.kind in ("bool", "choice"):
            return " | ".join(str(c).lower() if isinstance(c, bool) else str(c) for c in d.choices)
        lo, hi = _fmt(d.low), _fmt(d.high)
        extra = " (log)" if getattr(d, "log", False) else " (odd)" if p.odd else ""
        return f"{lo} .. {hi}{extra}"

    def snap(self, value: Any) -> Any:
        """A suggested float made readable: on the slider's step grid for a linear range, four
        significant digits on a log range (well below what the metric can tell apart)."""
        p, d = self.param, self.distribution
        if p.kind != "float":
            return value
        value = float(value)
        if getattr(d, "step", None):
            value = round(value, _decimals(d.step))
        else:
            value = float(f"{value:.4g}") if getattr(d, "log", False) else float(f"{value:.6g}")
        return min(max(value, d.low), d.high)


def _decimals(step: float) -> int:
    text = f"{step:.10f}".rstrip("0")
    return len(text.split(".")[1]) if "." in text else 0


def _suggest(trial: Any, name: str, dist: Any) -> Any:
    """Optuna's public suggest_* call for a distribution."""
    d = _optuna().distributions
    if isinstance(dist, d.CategoricalDistribution):
        return trial.suggest_categorical(name, list(dist.choices))
    if isinstance(dist, d.IntDistribution):
        return trial.suggest_int(name, dist.low, dist.high, step=dist.step, log=dist.log)
    return trial.suggest_float(name, dist.low, dist.high, step=dist.step, log=dist.log)


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def tune_range(p: Param) -> tuple[float, float]:
    """The searched range: ``tune_min..tune_max`` where declared, else ``min..max``."""
    lo = p.tune_min if p.tune_min is not None else p.min
    hi = p.tune_max if p.tune_max is not None else p.max
    if lo is None or hi is None:
        raise BgappError(f"{p.name}: a tuned number needs a range (min/max or tune_min/tune_max)")
    return float(lo), float(hi)


def distribution(p: Param) -> Any:
    """The Optuna distribution a declaration asks for (None when the range is a single value)."""
    d = _optuna().distributions
    if p.kind == "bool":
        return d.CategoricalDistribution((True, False))
    if p.kind == "choice":
        return d.CategoricalDistribution(tuple(p.choices or ()))
    lo, hi = tune_range(p)
    if p.kind == "int":
        lo_i, hi_i = math.ceil(lo), math.floor(hi)
        if p.odd:
            lo_i += lo_i % 2 == 0  # kernels: odd sizes only
            hi_i -= hi_i % 2 == 0
            return d.IntDistribution(lo_i, hi_i, step=2) if hi_i > lo_i else None
        if hi_i <= lo_i:
            return None
        return d.IntDistribution(lo_i, hi_i, log=p.log and lo_i >= 1)
    if hi <= lo:
        return None
    if p.log and lo > 0:
        return d.FloatDistribution(lo, hi, log=True)
    step = p.step
    if step and abs((hi - lo) / step - round((hi - lo) / step)) < 1e-9:
        return d.FloatDistribution(lo, hi, step=step)
    return d.FloatDistribution(lo, hi)


def search_space(method: str, tune_post: bool = True, exclude: Iterable[str] = ()) -> list[Dimension]:
    """Every value a study of ``method`` may search, in declaration order (method, then post).

    ``exclude`` holds study keys (``history``, ``post.open``) to leave at the base config's value.
    Whether a dimension is searched in a given trial also depends on the others (``visible_if``).
    """
    skip = set(exclude)
    dims: list[Dimension] = []
    sections = [("params", get_method(method).params)] + ([("post", POST_PARAMS)] if tune_post else [])
    for section, params in sections:
        for p in params:
            if not p.tune:
                continue
            dim = Dimension(section, p, None)
            if dim.key in skip:
                continue
            dist = distribution(p)
            if dist is not None:
                dims.append(Dimension(section, p, dist))
    unknown = skip - {Dimension(s, p, None).key for s, ps in sections for p in ps}
    if unknown:
        raise BgappError(f"cannot exclude {sorted(unknown)[0]!r}: not a parameter of {method} or post-processing")
    return dims


def suggest(trial: Any, base: Config, space: Sequence[Dimension]) -> Config:
    """The config a trial proposes: the base config with each searched value that is active."""
    values = {"params": dict(base.params), "post": dict(base.post)}
    for dim in space:
        current = values[dim.section]
        if not is_active(dim.param, current):
            continue  # e.g. shadow_threshold when detect_shadows is off: not part of this trial
        v = _suggest(trial, dim.key, dim.distribution)
        if dim.param.kind == "int":
            v = int(v)
        current[dim.param.name] = dim.snap(v)
    return Config(base.method, values["params"], values["post"], dict(base.composite))


def base_params(base: Config, space: Sequence[Dimension]) -> dict[str, Any]:
    """The base config's values that lie in the search space (to enqueue it as the first trial)."""
    out: dict[str, Any] = {}
    values = {"params": base.params, "post": base.post}
    for dim in space:
        if not is_active(dim.param, values[dim.section]):
            continue
        v = values[dim.section][dim.param.name]
        try:
            if dim.distribution._contains(dim.distribution.to_internal_repr(v)):
                out[dim.key] = v
        except (ValueError, TypeError):
            pass
    return out


def main_threshold(method: str) -> Param | None:
    """The parameter that most directly trades recall for precision (for the threshold plot)."""
    numeric = [p for p in get_method(method).params if p.kind in ("int", "float") and p.tune]
    named = [p for p in numeric if "threshold" in p.name]
    candidates = named or numeric
    return candidates[0] if candidates else None


# The check set --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Holdout:
    """What a study keeps back to check that its settings generalise.

    ``sequences``: check sequences (specs), scored in full for every trial; the tuning sequences
    then keep all their labels. Without them and with ``frames``, each tuning sequence's scored
    frames are cut into :data:`CHECK_BLOCKS` runs (fewer where it has fewer labelled frames) and
    every other run is held back: with 10 labels spread over a clip, 5 tune and 5 check, spread
    over the clip alike. A sequence with one labelled frame keeps it for tuning. ``frames=False``
    and no sequences: nothing is held back (every label tunes).
    """

    sequences: tuple[str, ...] = ()
    frames: bool = True

    @property
    def active(self) -> bool:
        return bool(self.sequences) or self.frames

    def describe(self) -> str:
        if self.sequences:
            return f"check set: {len(self.sequences)} other sequence(s), scored in full"
        if self.frames:
            return "check set: every other run of each sequence's labelled frames"
        return "no check set: every label tunes"


NO_HOLDOUT = Holdout(frames=False)


def choose_holdout(checks: Iterable[str] = (), hold_nothing: bool = False) -> Holdout:
    """The check set a user asked for: the sequences ``checks`` names, else, with ``hold_nothing``,
    none (:data:`NO_HOLDOUT`), else every other run of the labelled frames (``bgapp tune --check``
    and ``--no-check``, the page's two controls). Asking for both is refused: it has no meaning.

    >>> choose_holdout(["sbi/Board"]).describe(), choose_holdout().frames, choose_holdout(hold_nothing=True).active
    ('check set: 1 other sequence(s), scored in full', True, False)
    """
    checks = tuple(str(c) for c in checks)
    if checks and hold_nothing:
        raise BgappError("check sequences (--check) and holding nothing back (--no-check) contradict each other: "
                         "give one")
    return NO_HOLDOUT if hold_nothing else Holdout(checks)


def check_positions(scored: int, blocks: int = CHECK_BLOCKS) -> list[bool]:
    """For each of a sequence's ``scored`` frames in order, whether it is held back for the check
    set: ``min(blocks, scored)`` runs of about equal length, every other one (the second, fourth,
    ...). One frame alone is never held back."""
    if scored < 2:
        return [False] * scored
    n = min(blocks, scored)
    return [(k * n // scored) % 2 == 1 for k in range(scored)]


def split_result(result: SequenceResult) -> tuple[SequenceResult, SequenceResult]:
    """A result with per-frame counts cut into its tuning and check parts (:func:`check_positions`)."""
    from .metrics import Counts

    held = check_positions(len(result.per_frame))
    parts = []
    for keep in (False, True):
        counts = Counts()
        n = 0
        for c, h in zip(result.per_frame, held):
            if h == keep:
                counts += c
                n += 1
        parts.append(dataclasses.replace(result, counts=counts, scored=n, frame_index=[], per_frame=[]))
    return parts[0], parts[1]


def consensus(records: Sequence[TrialRecord], metric: str, select: str) -> tuple[TrialRecord, list[int]]:
    """The trial a study returns, and the trials it weighed (empty when there was no choice).

    The best by ``select`` (ties to the earliest), unless at least :data:`MIN_CONSENSUS` distinct
    settings come within :data:`TIE` of it: then, of those, the one whose masks over the whole clip
    (the evaluation's signature: frames spread from the first scored one, labelled or not) agree
    most with the others' (mean intersection over union, averaged over the tuning sequences).
    Why: a handful of labels cannot tell such settings apart, but a setting that fails between the
    labels (a burst of false positives where no frame is labelled) fails its own way, and so
    disagrees with the rest there; those that are right agree with each other.
    """
    from .evaluate import agreement

    best = records[0]
    for r in records[1:]:
        if better(r.score(metric, select), best.score(metric, select), metric):
            best = r
    top = best.score(metric, select)
    if math.isnan(top):
        return best, []
    seen: set[str] = set()
    ties = []
    for r in records:
        key = _config_key(r.config)
        v = r.score(metric, select)
        if key in seen or math.isnan(v) or abs(v - top) > TIE[metric] or not r.signatures \
                or any(sig is None for sig in r.signatures):
            continue
        seen.add(key)
        ties.append(r)
    if len(ties) < MIN_CONSENSUS:
        return best, []
    agree = np.zeros((len(ties), len(ties)))
    for a in range(len(ties)):
        for b in range(a + 1, len(ties)):
            pairs = zip(ties[a].signatures, ties[b].signatures)
            agree[a, b] = agree[b, a] = float(np.mean([agreement(x, y) for x, y in pairs]))
    mean = agree.sum(axis=1) / (len(ties) - 1)
    pick = max(range(len(ties)), key=lambda k: (round(float(mean[k]), 12), ties[k].score(metric, select)
                                                 if metric in HIGHER_IS_BETTER else -ties[k].score(metric, select),
                                                 -ties[k].number))
    return ties[pick], [r.number for r in ties]


# Results -------------------------------------------------------------------------------------

@dataclass
class TrialRecord:
    """One evaluated trial."""

    number: int
    value: float  # the metric as measured (NaN when undefined)
    config: Config
    overall: dict[str, Any]  # CDnet overall figures (all seven metrics and the counts)
    sequences: dict[str, float]  # the metric per sequence
    params: dict[str, Any]  # the study's own view (keys as in the search space)
    cached: bool = False  # same config as an earlier trial: its result was reused
    seconds: float = 0.0  # time its sequence runs took (0 when cached; see TuneProgress.trial_seconds)
    check: float = float("nan")  # the metric on the check set (NaN without one)
    check_overall: dict[str, Any] = field(default_factory=dict)  # CDnet overall figures on the check set
    # the metric on every label of the tuning sequences, held-back frames included: what bgapp eval
    # reports for them (equal to ``value`` when no frame is held back)
    whole: float = float("nan")
    signatures: list[Any] = field(default_factory=list, repr=False)  # coarse masks per tuning sequence

    def score(self, metric: str, select: str) -> float:
        """What :data:`SELECT` ranks this trial by (NaN where undefined)."""
        if select == "tune" or math.isnan(self.check):
            return self.value
        if select == "check":
            return self.check
        if math.isnan(self.value):
            return self.value
        return min(self.value, self.check) if metric in HIGHER_IS_BETTER else max(self.value, self.check)


@dataclass
class TuneProgress:
    """What a progress callback receives. Reports come:

    - once when the workers are ready and the sequences found (``finished`` 0, nothing run yet);
    - when each batch starts (its trials show as ``running``; a config seen before ends at once);
    - after every finished task (one trial on one sequence), with ``ended`` holding the trials
      that task completed: each trial is reported as it ends, not when its batch is told;
    - in this process (one worker), also every 1/:data:`FRAME_REPORTS` of a running sequence's
      frames (``trial``, ``sequence``, ``frame``/``frames``), so a long first trial is not silent
      (a Dask worker cannot report frames cheaply: there only finished tasks count);
    - after each batch is told to the study (``last``).

    ``best_*`` is the best of the finished trials (those of the running batch included), so it
    moves as soon as a trial ends. ``fraction`` is the share of the study's frames processed;
    ``remaining`` extrapolates the time spent since the workers were ready over the frames left.
    """

    done: int  # trials told to the study so far (whole batches)
    total: int
    best_value: float
    best_config: Config | None
    tasks_done: int = 0  # tasks of the running batch finished so far
    tasks_total: int = 0  # tasks of the running batch (0 between batches)
    last: list[TrialRecord] = field(default_factory=list)  # the trials the batch just told
    elapsed: float = 0.0  # seconds since tune() was called (starting a cluster included)
    running: int = 0  # trials of the running batch still being evaluated
    finished: int = 0  # trials evaluated so far (at least ``done``: a trial ends before its batch is told)
    ended: list[TrialRecord] = field(default_factory=list)  # the trials that ended with this report
    best_trial: int | None = None  # the number of the best finished trial
    trial_seconds: float = float("nan")  # mean time of the finished trials that ran (cached ones excluded)
    fraction: float = 0.0  # share of the study's frames processed (finished trials count whole)
    remaining: float | None = None  # estimated seconds left; None until some work is done
    trial: int | None = None  # in this process: the trial whose sequence is running
    sequence: str = ""  # in this process: that sequence
    frame: int = 0  # its frames processed so far
    frames: int = 0  # its length

    def line(self, metric: str) -> str:
        """The one-line state of the study that the page's progress bar and ``bgapp tune`` print:
        trials done, what runs now, the best so far, time per trial, the estimate, time spent."""
        parts = [f"{self.finished} of {self.total} trials done"]
        if self.trial is not None and self.frames:
            parts.append(f"trial {self.trial} running: {self.sequence} frame {self.frame:,} of {self.frames:,}")
        elif self.running and self.tasks_total:
            parts.append(f"{self.running} running ({self.tasks_done} of {self.tasks_total} sequence runs finished)")
        best = "none yet" if self.best_config is None else \
            f"{value_text(self.best_value)} (trial {self.best_trial})"
        parts.append(f"best {METRIC_LABELS.get(metric, metric)} so far: {best}")
        if not math.isnan(self.trial_seconds):
            parts.append(f"{duration_text(self.trial_seconds)} a trial")
        if self.remaining is not None and self.finished < self.total:
            parts.append(f"about {duration_text(self.remaining)} left")
        parts.append(duration_text(self.elapsed))
        return " · ".join(parts)

    def ended_lines(self, metric: str) -> list[str]:
        """One line per trial that ended with this report (what ``bgapp tune`` prints as each ends)."""
        label = METRIC_LABELS.get(metric, metric)
        return [f"trial {r.number} ended ({self.finished} of {self.total} done): {label} {value_text(r.value)}"
                + (" (same settings as an earlier trial)" if r.cached else f" in {duration_text(r.seconds)}")
                for r in self.ended]


def value_text(value: float) -> str:
    """A metric as the progress lines print it (``–`` when undefined)."""
    return "–" if math.isnan(value) else f"{value:.4f}"


def duration_text(seconds: float) -> str:
    """``0.8 s``, ``42 s``, ``3 min 05 s``, ``1 h 02 min``."""
    if seconds < 10:
        return f"{max(seconds, 0.0):.1f} s"
    s = int(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


@dataclass
class TuneResult:
    method: str
    metric: str
    best: Config
    value: float
    records: list[TrialRecord]
    sequences: list[str]
    seed: int
    study: Any = None  # optuna.Study (for importances and plots)
    best_trial: int = 0
    seconds: float = 0.0  # wall time of the whole study
    holdout: Holdout = NO_HOLDOUT
    select: str = "tune"
    check_value: float = float("nan")  # the chosen trial's metric on the check set
    skipped: list[SequenceResult] = field(default_factory=list)  # sequences left out, with why
    weighed: list[int] = field(default_factory=list)  # the tied trials the consensus chose among (see consensus)

    @property
    def trials(self) -> int:
        return len(self.records)

    @property
    def direction(self) -> str:
        return direction(self.metric)

    @property
    def chosen(self) -> TrialRecord:
        return next(r for r in self.records if r.number == self.best_trial)

    def best_on_tuning(self) -> TrialRecord:
        """The trial with the best tuning score (what a study without a check set would pick)."""
        best = self.records[0]
        for r in self.records[1:]:
            if better(r.value, best.value, self.metric):
                best = r
        return best

    def warnings(self) -> list[str]:
        """What the user should know about how far the result carries: the tuning and check
        scores of the chosen trial part by more than :data:`PART`, or the trial best on the
        tuning labels does clearly worse on the check set than the one chosen (it overfits)."""
        out = []
        label = METRIC_LABELS.get(self.metric, self.metric)
        left = [f"{r.label} ({r.error})" for r in self.skipped]
        if left:
            out.append("Left out (could not be scored): " + "; ".join(left))
        if self.holdout.active and math.isnan(self.check_value) and not math.isnan(self.value):
            out.append("Nothing could be held back to check the result (too few labelled frames): the score "
                       "is on the very frames it was tuned on.")
        if math.isnan(self.check_value) or not self.records:
            return out
        chosen, top = self.chosen, self.best_on_tuning()
        if abs(chosen.value - chosen.check) > PART:
            out.append(f"The tuning and check scores part: {label} {value_text(chosen.value)} on the tuning labels, "
                       f"{value_text(chosen.check)} on the check set. Expect the check figure where the "
                       "settings are deployed; " + ("the check sequences differ from the tuning ones: tune on some "
                       "of each kind of scene the settings will meet." if self.holdout.sequences else
                       "more labels, or labels from more of the footage, narrow the gap."))
        if top.number != chosen.number and better(chosen.check, top.check, self.metric) \
                and abs(chosen.check - top.check) > PART / 2:
            out.append(f"The trial best on the tuning labels (trial {top.number}: {value_text(top.value)}) scores "
                       f"{value_text(top.check)} on the check set: it fits the tuning frames, not the scene. "
                       f"Chose trial {chosen.number} ({value_text(chosen.value)} tuning, {value_text(chosen.check)} "
                       "check) instead.")
        return out

    def to_dict(self) -> dict[str, Any]:
        """The ``bgapp tune --json`` document."""
        return {"best": self.best.to_dict(), "value": self.value, "check": self.check_value,
                "all_labels": self.chosen.whole if self.records else float("nan"), "trials": self.trials,
                "weighed": self.weighed,
                "best_trial": self.best_trial, "select": self.select, "holdout": self.holdout.describe(),
                "warnings": self.warnings()}

    def table(self) -> list[dict[str, Any]]:
        """One row per trial: number, metric, precision/recall/F, and the searched values."""
        rows = []
        keys: list[str] = []
        for r in self.records:
            for k in r.params:
                if k not in keys:
                    keys.append(k)
        for r in self.records:
            row: dict[str, Any] = {"trial": r.number, self.metric: r.value}
            if self.holdout.active:
                row[f"check {self.metric}"] = r.check
            for m in ("f_measure", "precision", "recall"):
                if m != self.metric:
                    row[m] = r.overall.get(m, float("nan"))
            for k in keys:  # blank where the value had no effect in that trial (visible_if)
                row[k] = _config_value(r.config, k) if k in r.params else None
            rows.append(row)
        return rows

    def importances(self) -> dict[str, float]:
        """Parameter importances (Optuna's default evaluator, fANOVA on a random forest); empty when
        too few trials differ, and below :data:`MIN_TRIALS_FOR_IMPORTANCE` trials.

        Why nothing rather than a chart with a warning: the forest is fitted to one point per
        trial, over as many dimensions as the search space has (a dozen with post-processing), so
        from 4 trials the ranking mostly reflects where the sampler happened to step; a bar chart
        states a ranking whatever its caption says, and the slice plot (ordered by importance)
        would pass the same noise on. Below the threshold, callers say how many trials it needs
        and keep declaration order.
        """
        if self.study is None or self.trials < max(3, MIN_TRIALS_FOR_IMPORTANCE):
            return {}
        optuna = _optuna()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return dict(optuna.importance.get_param_importances(self.study))
        except (RuntimeError, ValueError, ZeroDivisionError):
            return {}


def _config_value(cfg: Config, key: str) -> Any:
    section, _, name = key.rpartition(".")
    return (cfg.post if section == "post" else cfg.params).get(name)


def _overall_value(results: list[SequenceResult], metric: str) -> tuple[float, dict[str, Any], dict[str, float]]:
    doc = report(results)
    value = float(doc["overall"][metric])
    per_seq = {r.label: float(r.counts.as_dict()[metric]) for r in results if not r.error}
    return value, doc["overall"], per_seq


@dataclass
class _Scores:
    """One config's figures: on the tuning labels, and on the check set (NaN without one)."""

    value: float
    overall: dict[str, Any]
    per_seq: dict[str, float]
    check: float = float("nan")
    check_overall: dict[str, Any] = field(default_factory=dict)
    whole: float = float("nan")
    signatures: list[Any] = field(default_factory=list)  # the tuning sequences' (see consensus)


def _scores(results: list[SequenceResult], tuning: int, holdout: Holdout, metric: str) -> _Scores:
    """Score a config's results (the ``tuning`` sequences first, then any check sequences) on its
    tuning part and its check part, as ``holdout`` splits them."""
    tune_rs, check_rs = results[:tuning], results[tuning:]
    whole = _overall_value(tune_rs, metric)[0]
    signatures = [r.signature for r in tune_rs]
    if not holdout.sequences and holdout.frames:
        halves = [split_result(r) for r in tune_rs]
        tune_rs, check_rs = [h[0] for h in halves], [h[1] for h in halves]
    value, overall, per_seq = _overall_value(tune_rs, metric)
    out = _Scores(value, overall, per_seq, whole=whole, signatures=signatures)
    if any(r.scored for r in check_rs if not r.error):
        out.check, out.check_overall, _ = _overall_value([r for r in check_rs if r.scored or r.error], metric)
    return out


def _config_key(cfg: Config) -> str:
    return json.dumps(cfg.to_dict(), sort_keys=True)


def _sampler(seed: int):
    optuna = _optuna()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # multivariate/group are flagged experimental
        return optuna.samplers.TPESampler(seed=seed, multivariate=True, group=True, constant_liar=True)


def sequence_name(spec: str) -> str:
    """``category/name`` of a sequence spec as :func:`~bgapp.distributed.list_sequences` gives it
    (``demo`` stays ``demo``)."""
    if spec == "demo":
        return spec
    parts = spec.replace("\\", "/").rstrip("/").split("/")
    return "/".join(p for p in parts[-2:] if p not in ("", "."))


class _Tracker:
    """A study's progress: the trials finished (in the order they ended), the best of them, the
    frames done; it makes the :class:`TuneProgress` reports."""

    def __init__(self, progress: Callable[[TuneProgress], None] | None, trials: int, metric: str,
                 frames_per_trial: int, t0: float, select: str = "tune") -> None:
        self.progress, self.trials, self.metric, self.t0 = progress, trials, metric, t0
        self.select = select
        self.per_trial = max(1, frames_per_trial)
        self.work_total = trials * self.per_trial
        self.work = 0  # frames of finished tasks (a reused trial counts whole)
        self.finished: list[TrialRecord] = []
        self.leader: TrialRecord | None = None
        self.t_ready = time.perf_counter()  # the clock of the estimate starts once the workers are up

    def end(self, rec: TrialRecord) -> None:
        self.finished.append(rec)
        if rec.cached:  # its frames count as done without running
            self.work += self.per_trial
        if self.leader is None or better(rec.score(self.metric, self.select),
                                         self.leader.score(self.metric, self.select), self.metric):
            self.leader = rec

    def report(self, told: int, partial: int = 0, **kw: Any) -> None:
        if self.progress is None:
            return
        now = time.perf_counter()
        done = min(self.work + partial, self.work_total)
        ran = [r.seconds for r in self.finished if not r.cached]
        lead = self.leader
        self.progress(TuneProgress(
            told, self.trials, lead.score(self.metric, self.select) if lead else float("nan"),
            lead.config if lead else None,
            elapsed=now - self.t0, finished=len(self.finished), best_trial=lead.number if lead else None,
            trial_seconds=sum(ran) / len(ran) if ran else float("nan"), fraction=done / self.work_total,
            remaining=(now - self.t_ready) * (self.work_total - done) / done if done else None, **kw))


class _Batch:
    """One batch of asked trials: the new configs as tasks (one per config and sequence), each
    trial ended as soon as its config's last task is in (at once for a config seen before)."""

    def __init__(self, asked: list[Any], configs: list[Config], seqs: list[str], lengths: list[int],
                 cache: dict[str, _Scores], metric: str, track: _Tracker, told: int, worker: bool,
                 tuning: int, holdout: Holdout) -> None:
        self.asked, self.configs, self.seqs, self.lengths = asked, configs, seqs, lengths
        self.cache, self.metric, self.track, self.told = cache, metric, track, told
        self.tuning, self.holdout = tuning, holdout  # the first ``tuning`` of seqs tune, the others check
        self.keys = [_config_key(c) for c in configs]
        self.todo = list(dict.fromkeys(k for k in self.keys if k not in cache))  # new configs, each run once
        split = holdout.frames and not holdout.sequences  # per-frame counts, to cut into tune and check frames
        # (spec, config, post, per_frame, worker, progress, signature): evaluate_spec's arguments
        self.calls = [(s, json.loads(k), True, split and j < tuning, worker, None, j < tuning) for k in self.todo
                      for j, s in enumerate(seqs)]
        self.weights = [float(lengths[j % len(seqs)]) for j in range(len(self.calls))]
        self.first = {k: self.keys.index(k) for k in self.todo}  # the trial that runs a new config
        self.pending = {k: len(seqs) for k in self.todo}
        self.seconds = dict.fromkeys(self.todo, 0.0)
        self.results: list[Any] = [None] * len(self.calls)
        self.tasks = 0
        self.ended: dict[int, TrialRecord] = {}  # by position in the batch

    def _report(self, **kw: Any) -> None:
        self.track.report(self.told, tasks_done=self.tasks, tasks_total=len(self.calls),
                          running=len(self.asked) - len(self.ended), **kw)

    def _end(self, key: str, seconds: float) -> list[TrialRecord]:
        sc = self.cache[key]
        out = []
        for j, (t, cfg, k) in enumerate(zip(self.asked, self.configs, self.keys)):
            if k == key and j not in self.ended:
                reused = self.first.get(key) != j
                rec = TrialRecord(t.number, sc.value, cfg, sc.overall, sc.per_seq, dict(t.params), reused,
                                  0.0 if reused else seconds, sc.check, sc.check_overall, sc.whole,
                                  sc.signatures)
                self.ended[j] = rec
                self.track.end(rec)
                out.append(rec)
        return out

    def start(self) -> None:
        seen = [r for k in dict.fromkeys(k for k in self.keys if k in self.cache) for r in self._end(k, 0.0)]
        self._report(ended=seen)  # the batch has started: its trials show as running

    def on_frame(self, i: int, frame: int, frames: int) -> None:
        if frame < frames and frame % max(1, frames // FRAME_REPORTS) == 0:
            trial = self.asked[self.first[self.todo[i // len(self.seqs)]]].number
            self._report(partial=frame, trial=trial, sequence=sequence_name(self.calls[i][0]), frame=frame,
                         frames=frames)

    def on_task(self, i: int, result: SequenceResult, seconds: float) -> None:
        n = len(self.seqs)
        self.tasks += 1
        self.track.work += self.lengths[i % n]
        self.results[i] = result
        key = self.todo[i // n]
        self.pending[key] -= 1
        self.seconds[key] += seconds
        out: list[TrialRecord] = []
        if self.pending[key] == 0:
            k0 = self.todo.index(key) * n
            self.cache[key] = _scores(self.results[k0:k0 + n], self.tuning, self.holdout, self.metric)
            out = self._end(key, self.seconds[key])
        self._report(ended=out)


def _run_tasks(run: SerialRunner | DaskRunner, calls: Sequence[tuple], weights: Sequence[float],
               on_task: Callable[[int, SequenceResult, float], None],
               on_frame: Callable[[int, int, int], None]) -> None:
    """Run the :func:`~bgapp.distributed.evaluate_spec` ``calls``, telling ``on_task(i, result,
    seconds)`` as each ends (in any order on a cluster).

    ``weights`` are the calls' frame counts. In this process each call is ``evaluate_spec``, with
    its start and its frames reported to ``on_frame(i, frame, frames)`` and its wall time measured.
    On Dask, heaviest calls go first (as :func:`~bgapp.distributed.map_longest_first` does), and a
    task's time is its frames over its measured rate (the model's set-up left out: the worker's
    clock is not ours).
    """
    if isinstance(run, DaskRunner):
        for i, res in run.as_done(evaluate_spec, calls, longest_first(weights)):
            on_task(i, res, res.frames / res.fps if res.fps else 0.0)
        return
    for i, (spec, cfg, post, per_frame, _worker, _progress, signature) in enumerate(calls):
        t = time.perf_counter()
        on_frame(i, 0, int(weights[i]))  # it starts: which trial, which sequence
        res = evaluate_spec(spec, cfg, post, per_frame, False, functools.partial(on_frame, i), signature)
        on_task(i, res, time.perf_counter() - t)


# The study ------------------------------------------------------------------------------------

def tune(specs: Iterable[str], method: str = "mog2", trials: int = 40, metric: str = DEFAULT_METRIC, seed: int = 0,
         batch: int = DEFAULT_BATCH, base: Config | None = None, tune_post: bool = True, exclude: Iterable[str] = (),
         workers: int | None = None, scheduler: str | None = None, start_from_base: bool = True,
         progress: Callable[[TuneProgress], None] | None = None, stop: Callable[[], bool] | None = None,
         run: SerialRunner | DaskRunner | None = None, holdout: Holdout | None = None,
         select: str = DEFAULT_SELECT) -> TuneResult:
    """Run a study of ``method`` on the sequences ``specs`` names and return the chosen config.

    ``base`` gives every value the study does not search (default: the declared defaults);
    with ``start_from_base`` the base config itself is the first trial, so the result is never
    worse than where the user started (by more than :data:`TIE`, where :func:`consensus` picks).
    ``holdout`` is the check set (default: every other run of each sequence's labelled frames,
    see :class:`Holdout`; :data:`NO_HOLDOUT` tunes on every label); ``select`` names how the
    result is chosen (:data:`SELECT`, then :func:`consensus` among ties). The sampler is told
    the tuning score only. ``stop()`` returning True ends the study after the current batch.
    Pass ``run`` to reuse a runner (a cluster) across calls. Sequences that cannot be scored are
    left out and listed in ``skipped``.

    Parameters
    ----------
    specs : iterable of str
        Sequences with ground truth: ``demo``, ``case:<name>``, CDnet sequence folders or trees
        of them, zips of them.
    method : str, default "mog2"
        A name of :data:`bgapp.methods.METHODS`.
    trials : int, default 40
        Settings to try (the base config counts as one).
    metric : str, default "f_measure"
        One of :data:`bgapp.metrics.METRIC_NAMES`; fpr, fnr and pwc are minimised.
    seed : int, default 0
        The sampler's seed: the same seed gives the same study whatever ``workers`` is.
    batch, workers, scheduler
        Trials asked at a time; where they run (see :func:`bgapp.distributed.runner`).
    base, tune_post, exclude, start_from_base, holdout, select, progress, stop, run
        As above.

    Returns
    -------
    TuneResult
        ``best`` (the chosen :class:`Config`), ``value`` (its tuning score), ``check_value``
        (its score on the check set), every trial in ``records``; ``to_dict()`` is the
        ``bgapp tune --json`` document.

    Raises
    ------
    BgappError
        For an unknown method, metric or ``select``, ``trials`` or ``batch`` below 1, no
        tunable parameter, or when no sequence can be scored.

    Examples
    --------
    >>> from bgapp.tuning import tune
    >>> result = tune(["case:shadows"], "mog2", trials=2, seed=0, tune_post=False)
    >>> [round(r.value, 2) for r in result.records]  # trial 0: the defaults, trial 1: the sampler's
    [0.95, 0.9]
    >>> result.best.method, result.best_trial, round(result.value, 2), round(result.check_value, 2)
    ('mog2', 0, 0.95, 0.95)
    >>> result.warnings()
    []
    """
    t0 = time.perf_counter()
    optuna = _optuna()
    metric = check_metric(metric)
    if select not in SELECT:
        raise BgappError(f"unknown selection {select!r}; choose one of: {', '.join(SELECT)}")
    holdout = Holdout() if holdout is None else holdout
    if not holdout.active:
        select = "tune"
    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 1:
        raise BgappError(f"--trials must be a whole number of at least 1, got {trials!r}")
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise BgappError(f"--batch must be a whole number of at least 1, got {batch!r}")
    specs = [str(s) for s in specs]
    if not specs:
        raise BgappError("tuning needs at least one sequence with ground truth")
    get_method(method)
    if base is None:
        base = Config(method)
    elif base.method != method:
        base = Config(method, {}, base.post, base.composite)
    space = search_space(method, tune_post, exclude)
    if not space:
        raise BgappError(f"nothing to tune: {method} declares no tunable parameter and post-processing is off")

    study = optuna.create_study(direction=direction(metric), sampler=_sampler(seed))
    if start_from_base:
        fixed = base_params(base, space)
        if fixed:
            study.enqueue_trial(fixed)

    owned = run is None
    run = run or runner(workers, scheduler)
    records: list[TrialRecord] = []
    cache: dict[str, _Scores] = {}
    best: TrialRecord | None = None  # of the told trials, ties to the earliest: what the study returns
    try:
        found: Found = run.call(find_specs, specs)
        checks: Found = run.call(find_specs, list(holdout.sequences)) if holdout.sequences else Found([], [])
        overlap = set(found.specs) & set(checks.specs)
        if overlap:
            raise BgappError(f"{sequence_name(sorted(overlap)[0])} is both a tuning and a check sequence: a check "
                             "set must be labels the study does not tune on")
        seqs = found.specs + checks.specs
        lengths = run.call(sequence_lengths, seqs)
        track = _Tracker(progress, trials, metric, sum(lengths), t0, select)
        track.report(0)  # ready: the workers are up and the sequences found
        while len(records) < trials:
            n = min(batch, trials - len(records))
            asked = [study.ask() for _ in range(n)]
            job = _Batch(asked, [suggest(t, base, space) for t in asked], seqs, lengths, cache, metric, track,
                         len(records), isinstance(run, DaskRunner), len(found.specs), holdout)
            job.start()
            _run_tasks(run, job.calls, job.weights, job.on_task, job.on_frame)
            told = []
            for j, t in enumerate(asked):  # tell in trial order: reproducible whatever ran first
                rec = job.ended[j]
                study.tell(t, rec.value if not math.isnan(rec.value) else WORST[metric])
                records.append(rec)
                told.append(rec)
                if best is None or better(rec.score(metric, select), best.score(metric, select), metric):
                    best = rec
            track.leader = best  # ties resolved in trial order, as the result is
            track.report(len(records), last=told)
            if stop is not None and stop():
                break
    finally:
        if owned:
            run.close()
    assert best is not None
    best, weighed = consensus(records, metric, select)
    return TuneResult(method, metric, best.config, best.value, records, found.specs, seed, study, best.number,
                      time.perf_counter() - t0, holdout, select, best.check, found.skipped + checks.skipped,
                      weighed)


# Threshold sweep --------------------------------------------------------------------------------

def sweep_values(p: Param, n: int = 9) -> list[Any]:
    """``n`` values of ``p`` across its tuning range (log-spaced where declared)."""
    lo, hi = tune_range(p)
    if p.log and lo > 0:
        vals = np.geomspace(lo, hi, n)
    else:
        vals = np.linspace(lo, hi, n)
    if p.kind == "int":
        return sorted({int(round(v)) for v in vals})
    return sorted({float(round(v, 6)) for v in vals})


def threshold_sweep(specs: Iterable[str], config: Config, n: int = 9, param: str | None = None,
                    workers: int | None = None, scheduler: str | None = None,
                    progress: Callable[[int, int], None] | None = None,
                    run: SerialRunner | DaskRunner | None = None) -> list[dict[str, Any]]:
    """Overall CDnet figures of ``config`` with its main threshold set to ``n`` values in turn.

    Returns one row per value: ``{"value": v, "f_measure": ..., "precision": ..., "recall": ...}``.
    """
    p = next((q for q in get_method(config.method).params if q.name == param), None) if param \
        else main_threshold(config.method)
    if p is None:
        raise BgappError(f"{config.method} has no threshold parameter to sweep")
    values = sweep_values(p, n)
    owned = run is None
    run = run or runner(workers, scheduler)
    try:
        seqs = run.call(list_sequences, [str(s) for s in specs])
        worker = isinstance(run, DaskRunner)
        lengths = run.call(sequence_lengths, seqs) if worker else None
        cfgs = [Config(config.method, {**config.params, p.name: v}, config.post, config.composite) for v in values]
        calls = [(s, c.to_dict(), True, False, worker) for c in cfgs for s in seqs]
        weights = [lengths[j % len(seqs)] for j in range(len(calls))] if lengths else None
        results = map_longest_first(run, evaluate_spec, calls, weights, progress)
    finally:
        if owned:
            run.close()
    rows = []
    for i, v in enumerate(values):
        doc = report(results[i * len(seqs):(i + 1) * len(seqs)])
        rows.append({"value": v, **{m: doc["overall"][m] for m in METRIC_NAMES}})
    return rows
