"""CDnet 2014 scoring, exactly as the official comparator does it.

Confusion counts are summed over a video before any ratio is taken; a category's figure is the
mean of its videos' figures and the overall figure is the mean over categories. Only 255 in a
predicted mask is foreground (MOG2's shadow value 127 is background), and a pixel counts only
inside the ROI where the ground truth is not 85 (outside ROI) or 170 (unknown motion).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import cv2
import numpy as np

from .errors import BgappError

METRIC_NAMES = ("recall", "specificity", "fpr", "fnr", "pwc", "precision", "f_measure")
COUNT_NAMES = ("tp", "fp", "fn", "tn")
# Tuning maximises these and minimises the others (fpr, fnr, pwc).
HIGHER_IS_BETTER = frozenset({"recall", "specificity", "precision", "f_measure"})
# What people read, the one home for every table, card, chart and menu that names a metric.
METRIC_LABELS: dict[str, str] = {  # in full: menus, chart titles and axes, help texts
    "f_measure": "F-measure", "precision": "Precision", "recall": "Recall", "specificity": "Specificity",
    "fpr": "False positive rate", "fnr": "False negative rate", "pwc": "Percentage of wrong classifications",
}
METRIC_SHORT: dict[str, str] = {  # short: column headers, metric cards, chart series
    "f_measure": "F-measure", "precision": "Precision", "recall": "Recall", "specificity": "Specificity",
    "pwc": "PWC (%)", "fpr": "FPR", "fnr": "FNR",
}
METRIC_HELP: dict[str, str] = {  # what each figure means, for a card's tooltip
    "f_measure": "Harmonic mean of precision and recall (CDnet's main figure).",
    "precision": "Of the pixels called foreground, the share that are.",
    "recall": "Of the truly moving pixels, the share found.",
    "specificity": "Of the background pixels, the share left as background.",
    "pwc": "Percentage of wrong classifications (lower is better).",
    "fpr": "Of the background pixels, the share wrongly called foreground.",
    "fnr": "Of the truly moving pixels, the share missed.",
}

# BGR colours of the error image; ordered as the app's legend should list them.
ERROR_COLOURS: dict[str, tuple[int, int, int]] = {
    "tp": (255, 255, 255),  # white
    "fp": (0, 0, 255),  # red
    "fn": (255, 144, 0),  # azure blue: tells apart from red for red-green colour blindness
    "tn": (0, 0, 0),  # black
    "not_scored": (128, 128, 128),  # mid grey: outside ROI, GT 85 or 170
}
ERROR_LABELS: dict[str, str] = {
    "tp": "true positive",
    "fp": "false positive",
    "fn": "false negative",
    "tn": "true negative",
    "not_scored": "not scored",
}
# cv2.LUT table indexed by code = 4*predicted_fg + 2*negative + positive (see error_image).
_ERROR_LUT = np.zeros((1, 256, 3), dtype=np.uint8)
for _code, _key in {0: "not_scored", 4: "not_scored", 1: "fn", 5: "tp", 2: "tn", 6: "fp"}.items():
    _ERROR_LUT[0, _code] = ERROR_COLOURS[_key]


def _ratio(num: float, den: float) -> float:
    """num/den, NaN when undefined (0/0), as CDnet's float division gives."""
    return num / den if den else float("nan")


@dataclass
class Counts:
    """Confusion counts of one frame, video or category; add them up before taking ratios.

    CDnet sums counts over a video before any ratio is taken, so a frame's ratios are never
    averaged: ``+`` is how counts combine. Every ratio is NaN where it is 0/0.

    Parameters
    ----------
    tp, fp, fn, tn : int
        True positives, false positives, false negatives and true negatives, in pixels.

    Examples
    --------
    >>> from bgapp.metrics import Counts
    >>> total = Counts(tp=8, fp=2, fn=2, tn=88) + Counts(tp=0, fp=0, fn=0, tn=100)
    >>> total
    Counts(tp=8, fp=2, fn=2, tn=188)
    >>> round(total.precision, 3), round(total.recall, 3), round(total.pwc, 3)
    (0.8, 0.8, 2.0)
    >>> Counts(tn=100).recall  # nothing to find: undefined, not zero
    nan
    """

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def __add__(self, other: Counts) -> Counts:
        if not isinstance(other, Counts):
            return NotImplemented
        return Counts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn, self.tn + other.tn)

    def __iadd__(self, other: Counts) -> Counts:
        if not isinstance(other, Counts):
            return NotImplemented
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        self.tn += other.tn
        return self

    @property
    def total(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    @property
    def recall(self) -> float:
        return _ratio(self.tp, self.tp + self.fn)

    @property
    def specificity(self) -> float:
        return _ratio(self.tn, self.tn + self.fp)

    @property
    def fpr(self) -> float:
        return _ratio(self.fp, self.fp + self.tn)

    @property
    def fnr(self) -> float:
        return _ratio(self.fn, self.tp + self.fn)

    @property
    def pwc(self) -> float:
        return _ratio(100.0 * (self.fn + self.fp), self.total)

    @property
    def precision(self) -> float:
        return _ratio(self.tp, self.tp + self.fp)

    @property
    def f_measure(self) -> float:
        """CDnet's 2·Pr·Re/(Pr+Re) from these (summed) counts.

        With objects to find but none found (TP = 0 < FN) the formula reads 0/0, yet F is 0 there:
        it is 2·TP/(2·TP+FP+FN), the limit every nearby count gives, and a frame where every object
        is missed has scored as badly as it can. F is undefined (NaN) only when there is nothing to
        find (TP + FN = 0), as recall is; callers that rank must treat NaN as worst.
        """
        if self.tp == 0 and self.fn > 0:
            return 0.0
        pr, re = self.precision, self.recall
        return _ratio(2.0 * pr * re, pr + re)

    def as_dict(self) -> dict[str, int | float]:
        """Counts (int) and the seven CDnet metrics (float), keyed as in METRIC_NAMES."""
        out: dict[str, int | float] = {f.name: int(getattr(self, f.name)) for f in fields(self)}
        out.update({name: float(getattr(self, name)) for name in METRIC_NAMES})
        return out


def _check_shapes(pred: np.ndarray, gt: np.ndarray, roi: np.ndarray | None) -> None:
    if pred.shape != gt.shape:
        raise BgappError(f"mask shape {pred.shape} differs from ground-truth shape {gt.shape}")
    if gt.ndim != 2:
        raise BgappError(f"ground truth must be a 2-D grey image, got shape {gt.shape}")
    if roi is not None and roi.shape != gt.shape:
        raise BgappError(f"ROI shape {roi.shape} differs from ground-truth shape {gt.shape}")


def _classes(pred: np.ndarray, gt: np.ndarray, roi: np.ndarray | None):
    """Boolean maps: predicted foreground, scored positives (GT 255), scored negatives (GT 0/50)."""
    _check_shapes(pred, gt, roi)
    fg = pred if pred.dtype == np.bool_ else pred == 255
    pos = gt == 255
    neg = gt == 0
    neg |= gt == 50
    if roi is not None:
        inside = roi if roi.dtype == np.bool_ else roi != 0
        pos &= inside
        neg &= inside
    return fg, pos, neg


def confusion(pred: np.ndarray, gt: np.ndarray, roi: np.ndarray | None = None) -> Counts:
    """CDnet confusion counts of one frame.

    Only 255 is foreground in ``pred``, so MOG2's shadow value (127) counts as background, as
    the official comparator counts it.

    Parameters
    ----------
    pred : (H, W) uint8 array, 0 or 255 (any other value is background), or (H, W) bool array
        The predicted mask.
    gt : (H, W) uint8 array of CDnet grey levels
        255 foreground, 0 background, 50 shadow (background), 85 outside the ROI and 170 unknown
        motion (neither is scored).
    roi : (H, W) uint8 array (non-zero inside) or bool array, optional
        Only pixels inside it are scored.

    Returns
    -------
    Counts
        The frame's TP, FP, FN and TN.

    Raises
    ------
    BgappError
        When the shapes differ or ``gt`` is not 2-D.

    Examples
    --------
    >>> import numpy as np
    >>> from bgapp.metrics import confusion
    >>> gt = np.zeros((4, 4), np.uint8)
    >>> gt[:2, :2] = 255  # a 2x2 object
    >>> gt[3, :] = 170  # a row of unknown motion: not scored
    >>> pred = np.zeros((4, 4), np.uint8)
    >>> pred[:2, :3] = 255  # found it, and a column too many
    >>> c = confusion(pred, gt)
    >>> c
    Counts(tp=4, fp=2, fn=0, tn=6)
    >>> round(c.precision, 3), round(c.recall, 3), round(c.f_measure, 3)
    (0.667, 1.0, 0.8)
    >>> roi = np.zeros((4, 4), np.uint8)
    >>> roi[:, :2] = 255  # score the left half only
    >>> confusion(pred, gt, roi)
    Counts(tp=4, fp=0, fn=0, tn=2)
    """
    fg, pos, neg = _classes(pred, gt, roi)
    n_pos = int(np.count_nonzero(pos))
    n_neg = int(np.count_nonzero(neg))
    pos &= fg  # in place: these arrays are ours
    neg &= fg
    tp = int(np.count_nonzero(pos))
    fp = int(np.count_nonzero(neg))
    return Counts(tp=tp, fp=fp, fn=n_pos - tp, tn=n_neg - fp)


def error_image(pred: np.ndarray, gt: np.ndarray, roi: np.ndarray | None = None) -> np.ndarray:
    """Each pixel coloured by what :func:`confusion` counts it as, so errors can be seen.

    Parameters
    ----------
    pred, gt, roi
        As for :func:`confusion`.

    Returns
    -------
    (H, W, 3) uint8 BGR array
        :data:`ERROR_COLOURS`: white TP, red FP, blue FN, black TN, grey not scored.

    Raises
    ------
    BgappError
        When the shapes differ or ``gt`` is not 2-D.

    Examples
    --------
    >>> import numpy as np
    >>> from bgapp.metrics import error_image
    >>> gt = np.zeros((4, 4), np.uint8)
    >>> gt[:2, :2] = 255
    >>> gt[3, :] = 170
    >>> pred = np.zeros((4, 4), np.uint8)
    >>> pred[:2, :3] = 255
    >>> img = error_image(pred, gt)
    >>> img.shape, img.dtype
    ((4, 4, 3), dtype('uint8'))
    >>> img[0, 0].tolist(), img[0, 2].tolist(), img[3, 0].tolist()  # TP, FP, not scored
    ([255, 255, 255], [0, 0, 255], [128, 128, 128])
    """
    fg, pos, neg = _classes(pred, gt, roi)
    # One code per pixel and a table lookup: 10x faster than boolean-mask assignments at 720p.
    code = fg.view(np.uint8) << 2
    code |= neg.view(np.uint8) << 1
    code |= pos.view(np.uint8)
    return cv2.LUT(cv2.merge([code, code, code]), _ERROR_LUT)


def _nanmean(values: list[float]) -> float:
    kept = [v for v in values if not math.isnan(v)]
    return math.fsum(kept) / len(kept) if kept else float("nan")


def mean_figures(rows: list[dict]) -> dict[str, int | float]:
    """CDnet averaging of several figures: metrics are means ignoring NaN, counts are summed.

    A NaN (e.g. recall of a video with no foreground at all) says "undefined", not "zero",
    so it is left out of the mean rather than dragging it down.

    Parameters
    ----------
    rows : list of dict
        Figures as :meth:`Counts.as_dict` gives them (the counts and :data:`METRIC_NAMES`).

    Returns
    -------
    dict
        The four counts (int, summed) and the seven metrics (float, NaN where every row's is).

    Examples
    --------
    >>> from bgapp.metrics import Counts, mean_figures
    >>> busy = Counts(tp=8, fp=2, fn=2, tn=88).as_dict()
    >>> empty = Counts(tn=100).as_dict()  # no foreground: recall and F-measure are NaN
    >>> m = mean_figures([busy, empty])
    >>> m["tp"], m["tn"], round(m["f_measure"], 3), round(m["specificity"], 3)
    (8, 188, 0.8, 0.989)
    """
    out: dict[str, int | float] = {k: int(sum(int(r[k]) for r in rows)) for k in COUNT_NAMES}
    out.update({m: _nanmean([float(r[m]) for r in rows]) for m in METRIC_NAMES})
    return out


def summarize(results: list[tuple[str, Counts]]) -> dict[str, dict]:
    """Per-category figures (mean over videos) and overall (mean over categories).

    Means of means, as CDnet's tables are: a category with many videos weighs no more overall
    than one with few.

    Parameters
    ----------
    results : list of (str, Counts)
        One ``(category, counts summed over the video)`` per video.

    Returns
    -------
    dict
        ``{"categories": {name: figures}, "overall": figures}``, each figures dict as
        :func:`mean_figures` gives it; categories sorted by name.

    Examples
    --------
    >>> from bgapp.metrics import Counts, summarize
    >>> s = summarize([("baseline", Counts(8, 2, 2, 88)), ("baseline", Counts(4, 0, 4, 92)),
    ...                ("shadow", Counts(5, 5, 0, 90))])
    >>> sorted(s["categories"])
    ['baseline', 'shadow']
    >>> round(s["categories"]["baseline"]["f_measure"], 3), round(s["overall"]["f_measure"], 3)
    (0.733, 0.7)
    """
    by_cat: dict[str, list[dict]] = {}
    for cat, counts in results:
        by_cat.setdefault(cat, []).append(counts.as_dict())
    categories = {cat: mean_figures(by_cat[cat]) for cat in sorted(by_cat)}
    return {"categories": categories, "overall": mean_figures(list(categories.values()))}
