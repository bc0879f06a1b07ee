"""Score a configuration on sequences with ground truth, the CDnet 2014 way.

The app's evaluate page, ``bgapp eval`` and the tuner all call :func:`evaluate`, so the
numbers they show are the same numbers.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from .config import Config
from .errors import BgappError, SourceError
from .metrics import Counts, confusion, summarize
from .pipeline import Pipeline
from .sequences import Sequence
from .source import Source

Progress = Callable[[int, int], None]
# What a signature keeps (see evaluate's ``signature``): about this many frames, this wide.
SIGNATURE_FRAMES = 100
SIGNATURE_WIDTH = 64
# A sequence scored on fewer frames than this gets a warning: a figure from a handful of labelled
# frames moves a lot with which frames they are (sparse labels, see bgapp.labels).
FEW_SCORED = 10


@dataclass
class SequenceResult:
    """Confusion counts summed over a sequence's scored frames, plus per-frame counts."""

    name: str
    path: str
    category: str
    frames: int
    counts: Counts
    fps: float
    frame_index: list[int] = field(default_factory=list)
    per_frame: list[Counts] = field(default_factory=list)
    scored: int = 0  # frames whose counts are in ``counts``
    error: str = ""  # why this sequence could not be scored (then it is left out of every figure)
    signature: np.ndarray | None = None  # coarse masks of frames spread over the clip (see evaluate)

    @classmethod
    def failed(cls, path: str, error: str) -> SequenceResult:
        """A sequence a run over many left out, with why (named from its path, ``category/name``)."""
        parts = path.replace("\\", "/").rstrip("/").split("/")
        return cls(parts[-1], path, parts[-2] if len(parts) > 1 else "", 0, Counts(), 0.0, error=error)

    @property
    def label(self) -> str:
        return f"{self.category}/{self.name}" if self.category else self.name

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name, "path": self.path, "frames": self.frames, "scored": self.scored}
        d.update(self.counts.as_dict())
        d["fps"] = round(self.fps, 2)
        return d


def evaluate(source: Source, config: Config, post: bool = True, progress: Progress | None = None,
             per_frame: bool = False, on_frame: Callable[[int, Any, np.ndarray | None], None] | None = None,
             stop: Callable[[], bool] | None = None, signature: bool = False) -> SequenceResult:
    """Run ``config`` over ``source`` and sum the confusion counts of its scored frames.

    ``post=False`` scores the method's own mask (no post-processing). ``per_frame`` keeps the
    counts of each scored frame for plots. ``on_frame(i, result, gt)`` lets a viewer see each
    frame; ``stop()`` returning True ends the run early (counts so far are kept). ``signature``
    keeps the masks of :func:`signature_frames`, labelled or not, scaled down and packed as bits
    (a few KB): how a tuner compares settings where there are no labels.

    Parameters
    ----------
    source : Source
        Frames with ground truth: :func:`bgapp.sources.open_source`'s ``demo``, a ``case:<name>``,
        a CDnet sequence folder, or a :class:`bgapp.synthetic.SyntheticScene` of any size.
    config : Config
        The method, its parameters and the post-processing to score.
    post : bool, default True
        Score the post-processed mask; False scores the method's own.
    progress : callable ``(frames done, frames in all) -> None``, optional
    per_frame : bool, default False
        Keep each scored frame's counts in ``per_frame`` and its index in ``frame_index``.
    on_frame : callable ``(index, FrameResult, gt or None) -> None``, optional
    stop : callable ``() -> bool``, optional
    signature : bool, default False

    Returns
    -------
    SequenceResult
        ``counts`` summed over the scored frames (those with a label inside the temporal ROI;
        the warm-up before it is processed, never scored), ``frames`` processed, ``scored``.

    Raises
    ------
    SourceError
        When a frame or label cannot be read (a :class:`BgappError`).

    Examples
    --------
    >>> from bgapp.config import Config
    >>> from bgapp.evaluate import evaluate
    >>> from bgapp.synthetic import SyntheticScene
    >>> scene = SyntheticScene(width=160, height=120, n_frames=80, warmup=30)  # 30 frames to learn
    >>> result = evaluate(scene, Config("mog2"))
    >>> result.frames, result.scored
    (80, 50)
    >>> round(result.counts.f_measure, 2), round(result.counts.precision, 2)
    (0.8, 0.97)
    >>> raw = evaluate(scene, Config("mog2"), post=False, per_frame=True)
    >>> len(raw.per_frame), raw.frame_index[0], round(raw.counts.f_measure, 2)
    (50, 30, 0.84)
    """
    pipeline = Pipeline(config if post else config.without_post())
    pipeline.prime(source)
    roi = source.roi
    total = Counts()
    result = SequenceResult(source.name, source.shown_path, source.category, 0, total, 0.0)
    n = len(source)
    kept = set(signature_frames(source)) if signature else set()
    coarse: list[np.ndarray] = []
    t0 = time.perf_counter()
    for i, (frame, gt, scored) in enumerate(_read(source.pairs())):
        res = pipeline.process(frame)
        if i in kept:
            coarse.append(_coarse(res.clean))
        if scored and gt is not None:
            c = confusion(res.clean, gt, roi)
            total += c
            result.scored += 1
            if per_frame:
                result.frame_index.append(i)
                result.per_frame.append(c)
        if on_frame is not None:
            on_frame(i, res, gt)
        result.frames = i + 1
        if progress is not None:
            progress(i + 1, n)
        if stop is not None and stop():
            break
    elapsed = time.perf_counter() - t0
    result.counts = total
    result.fps = result.frames / elapsed if elapsed > 0 else 0.0
    if coarse:
        result.signature = np.stack(coarse)
    return result


def _read(pairs: Iterator[tuple[np.ndarray, np.ndarray | None, bool]]) \
        -> Iterator[tuple[np.ndarray, np.ndarray | None, bool]]:
    """The source's frames, a problem reading them raised as a :class:`SourceError` (so a run over
    many sequences can tell it from a problem of the method)."""
    while True:
        try:
            item = next(pairs)
        except StopIteration:
            return
        except SourceError:
            raise
        except BgappError as exc:
            raise SourceError(str(exc)) from None
        yield item


def signature_frames(source: Source) -> list[int]:
    """About :data:`SIGNATURE_FRAMES` frames spread evenly from the first scored frame to the end
    (the model's warm-up before it says nothing), labelled or not."""
    scored = source.scored_indices
    first = scored[0] if scored else 0
    n = len(source)
    step = max(1, (n - first) // SIGNATURE_FRAMES)
    return list(range(first, n, step))


def _coarse(mask: np.ndarray) -> np.ndarray:
    """A mask's foreground (255) at :data:`SIGNATURE_WIDTH` pixels wide, packed as bits."""
    h, w = mask.shape[:2]
    size = (SIGNATURE_WIDTH, max(1, round(h * SIGNATURE_WIDTH / w)))
    small = cv2.resize((mask == 255).astype(np.uint8) * 255, size, interpolation=cv2.INTER_AREA)
    return np.packbits(small >= 128, axis=None)


def agreement(a: np.ndarray, b: np.ndarray) -> float:
    """How alike two signatures are: the mean over their frames of the foreground's intersection
    over union (a frame empty in both counts as full agreement)."""
    x, y = np.unpackbits(a, axis=1), np.unpackbits(b, axis=1)
    inter = np.count_nonzero(x & y, axis=1)
    union = np.count_nonzero(x | y, axis=1)
    return float(np.mean(np.where(union > 0, inter / np.maximum(union, 1), 1.0)))


def report(results: list[SequenceResult]) -> dict[str, Any]:
    """The ``bgapp eval --json`` document: per sequence, per category and overall (CDnet means).

    Sequences that could not be scored (``error``) are listed under ``skipped`` and left out of
    every figure; ``scored`` counts the frames the figures come from, and ``warnings`` says where
    they are few (:data:`FEW_SCORED`).
    """
    ok = [r for r in results if not r.error]
    summary = summarize([(r.category or r.name, r.counts) for r in ok])
    return {
        "sequences": [r.as_dict() for r in ok],
        "categories": summary["categories"],
        "overall": summary["overall"],
        "scored": sum(r.scored for r in ok),
        "warnings": scoring_warnings(ok),
        "skipped": [{"name": r.label, "path": r.path, "reason": r.error} for r in results if r.error],
    }


def scoring_warnings(results: list[SequenceResult]) -> list[str]:
    """One line per sequence scored on fewer than :data:`FEW_SCORED` frames (none scored included)."""
    out = []
    for r in results:
        if r.error or r.scored >= FEW_SCORED:
            continue
        if r.scored == 0:
            out.append(f"{r.label}: no frame was scored (none of the {r.frames} frames processed has a label "
                       "inside the temporal ROI), so its figures are undefined")
        else:
            out.append(f"{r.label}: scored on only {r.scored} labelled frame{'s' if r.scored > 1 else ''} of "
                       f"{r.frames}: a rough figure, which a few more labels would steady")
    return out


def skipped_lines(doc: dict[str, Any]) -> list[str]:
    """What a report says of the sequences it left out, one line each."""
    return [f"{s['name']} left out: {s['reason']}" for s in doc.get("skipped", [])]


# Which frames count ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ScoredSpan:
    """The frames of a source that CDnet scores: inside its temporal ROI and with ground truth."""

    indices: tuple[int, ...]  # 0-based positions of the scored frames, ascending
    frames: int  # frames in the source
    temporal_roi: tuple[int, int] | None  # (first, last) as written, in the files' own numbering
    from_file: bool  # the temporal ROI was read from temporalROI.txt
    numbers: tuple[int, int] | None = None  # the file numbers of the first and last scored frames
    warmup: int = 0  # frames before the temporal ROI starts: the model's warm-up, never scored

    @property
    def first(self) -> int:
        return self.indices[0]

    @property
    def last(self) -> int:
        return self.indices[-1]

    @property
    def count(self) -> int:
        return len(self.indices)

    def scored_within(self, processed: int) -> int:
        """How many of the first ``processed`` frames are scored."""
        return bisect.bisect_left(self.indices, processed)


def scored_span(source: Source) -> ScoredSpan | None:
    """The scored frames of ``source`` (a sequence, the demo); None without ground truth or when
    no frame is scored."""
    if not source.has_ground_truth:
        return None
    indices = source.scored_indices
    if not indices:
        return None
    roi = source.temporal_roi
    from_file = roi is not None and isinstance(source, Sequence)  # only a sequence reads temporalROI.txt
    numbers = source.frame_numbers
    warmup = sum(1 for k in numbers if k < roi[0]) if roi else 0
    return ScoredSpan(tuple(indices), len(source), roi, from_file, (numbers[indices[0]], numbers[indices[-1]]),
                      warmup)
