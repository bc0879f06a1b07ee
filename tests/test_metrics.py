"""CDnet 2014 scoring checked against counts and ratios worked out by hand."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from bgapp.documents import dumps
from bgapp.errors import BgappError
from bgapp.metrics import (
    ERROR_COLOURS,
    HIGHER_IS_BETTER,
    METRIC_NAMES,
    Counts,
    confusion,
    error_image,
    mean_figures,
    summarize,
)

# Every CDnet GT level, predicted 0 / 127 (shadow) / 255, and one pixel outside the ROI.
GT = np.array(
    [
        [255, 255, 255, 0],
        [0, 50, 85, 170],
        [255, 0, 50, 0],
    ],
    dtype=np.uint8,
)
PRED = np.array(
    [
        [255, 0, 127, 255],
        [127, 255, 255, 255],
        [255, 0, 0, 255],
    ],
    dtype=np.uint8,
)
ROI = np.full(GT.shape, 255, dtype=np.uint8)
ROI[2, 3] = 0
# By hand, pixel by pixel (row, col): verdict
# (0,0) GT255 P255 TP | (0,1) GT255 P0 FN | (0,2) GT255 P127 FN (shadow is background) | (0,3) GT0 P255 FP
# (1,0) GT0 P127 TN   | (1,1) GT50 P255 FP (foreground on a shadow) | (1,2) GT85 -- | (1,3) GT170 --
# (2,0) GT255 P255 TP | (2,1) GT0 P0 TN | (2,2) GT50 P0 TN | (2,3) GT0 P255: FP, but outside the ROI
EXPECTED_WITH_ROI = Counts(tp=2, fp=2, fn=2, tn=3)
EXPECTED_NO_ROI = Counts(tp=2, fp=3, fn=2, tn=3)


def test_confusion_by_hand():
    assert confusion(PRED, GT, ROI) == EXPECTED_WITH_ROI
    assert confusion(PRED, GT) == EXPECTED_NO_ROI
    assert confusion(PRED, GT, ROI > 0) == EXPECTED_WITH_ROI  # a boolean ROI works too


def test_confusion_counts_are_python_ints():
    c = confusion(PRED, GT, ROI)
    assert all(type(v) is int for v in (c.tp, c.fp, c.fn, c.tn))


def test_confusion_ignores_85_and_170_even_when_predicted():
    gt = np.array([[85, 170], [85, 170]], dtype=np.uint8)
    pred = np.array([[255, 255], [0, 127]], dtype=np.uint8)
    assert confusion(pred, gt) == Counts()


def test_metric_formulas_by_hand():
    c = Counts(tp=30, fp=10, fn=20, tn=940)
    assert c.recall == pytest.approx(0.6)  # 30 / 50
    assert c.specificity == pytest.approx(940 / 950)
    assert c.fpr == pytest.approx(10 / 950)
    assert c.fnr == pytest.approx(0.4)  # 20 / 50
    assert c.pwc == pytest.approx(3.0)  # 100 * 30 / 1000
    assert c.precision == pytest.approx(0.75)  # 30 / 40
    assert c.f_measure == pytest.approx(2 / 3)  # 2 * 0.75 * 0.6 / 1.35

    hand = EXPECTED_WITH_ROI  # tp 2 fp 2 fn 2 tn 3
    assert hand.pwc == pytest.approx(100 * 4 / 9)
    assert hand.specificity == pytest.approx(0.6)


def test_undefined_metrics_are_nan():
    empty = Counts()
    for name in METRIC_NAMES:
        assert math.isnan(getattr(empty, name)), name
    no_fg = Counts(tp=0, fp=5, fn=0, tn=95)
    assert math.isnan(no_fg.recall) and math.isnan(no_fg.fnr) and math.isnan(no_fg.f_measure)
    assert no_fg.precision == 0.0
    assert no_fg.specificity == pytest.approx(0.95)
    assert Counts(tp=0, fp=3, fn=4, tn=1).precision == 0.0


def test_f_is_zero_when_every_object_is_missed_and_undefined_only_with_nothing_to_find():
    missed = Counts(tp=0, fp=3, fn=4, tn=1)  # Pr = Re = 0: the formula's 0/0, but F1 = 2TP/(2TP+FP+FN) = 0
    assert missed.precision == 0.0 and missed.recall == 0.0
    assert missed.f_measure == 0.0
    silent = Counts(tp=0, fp=0, fn=4, tn=6)  # nothing predicted: precision undefined, F still 0
    assert math.isnan(silent.precision) and silent.recall == 0.0 and silent.f_measure == 0.0
    assert math.isnan(Counts(tp=0, fp=5, fn=0, tn=95).f_measure)  # nothing to find: undefined
    assert math.isnan(Counts(tn=100).f_measure)
    found = Counts(tp=30, fp=10, fn=20, tn=940)
    pr, re = 30 / 40, 30 / 50
    assert found.f_measure == 2.0 * pr * re / (pr + re)  # bit for bit the comparator's formula
    # a video's F comes from its summed counts (the comparator's way), not from its frames' F
    video = missed + found
    assert video.f_measure == pytest.approx(2 * 30 / (2 * 30 + 13 + 24))
    assert video.f_measure != pytest.approx((missed.f_measure + found.f_measure) / 2)
    doc = json.loads(dumps({"missed": missed.as_dict(), "empty": Counts(tp=0, fp=5, fn=0, tn=95).as_dict()}))
    assert doc["missed"]["f_measure"] == 0.0
    assert doc["empty"]["f_measure"] is None and doc["empty"]["recall"] is None  # truly 0/0: null


def test_counts_add():
    a = Counts(1, 2, 3, 4)
    b = Counts(10, 20, 30, 40)
    assert a + b == Counts(11, 22, 33, 44)
    assert a == Counts(1, 2, 3, 4)
    a += b
    assert a == Counts(11, 22, 33, 44)
    total = Counts()
    for _ in range(3):
        total += confusion(PRED, GT, ROI)
    assert total == Counts(6, 6, 6, 9)


def test_as_dict_keys_and_types():
    d = Counts(tp=30, fp=10, fn=20, tn=940).as_dict()
    assert list(d) == ["tp", "fp", "fn", "tn", *METRIC_NAMES]
    assert all(type(d[k]) is int for k in ("tp", "fp", "fn", "tn"))
    assert all(type(d[k]) is float for k in METRIC_NAMES)
    assert d["f_measure"] == pytest.approx(2 / 3)
    assert HIGHER_IS_BETTER == {"recall", "specificity", "precision", "f_measure"}


def test_mismatched_shapes_raise_one_line():
    with pytest.raises(BgappError, match=r"\(3, 4\).*\(4, 3\)") as exc:
        confusion(PRED, GT.T.copy())
    assert "\n" not in str(exc.value)
    with pytest.raises(BgappError, match="ROI"):
        confusion(PRED, GT, ROI[:2])
    with pytest.raises(BgappError):
        error_image(PRED, GT[:2])


def test_error_image_colours():
    img = error_image(PRED, GT, ROI)
    assert img.shape == (3, 4, 3) and img.dtype == np.uint8
    c = ERROR_COLOURS
    assert len(set(c.values())) == 5, "the five classes need five distinct colours"
    expected = [
        ["tp", "fn", "fn", "fp"],
        ["tn", "fp", "not_scored", "not_scored"],
        ["tp", "tn", "tn", "not_scored"],
    ]
    for r, row in enumerate(expected):
        for col, key in enumerate(row):
            assert tuple(img[r, col]) == c[key], (r, col, key)


def test_mean_figures_and_summarize_by_hand():
    a1 = Counts(tp=30, fp=10, fn=20, tn=940)  # Re .6, Pr .75, F 2/3, PWC 3
    a2 = Counts(tp=10, fp=0, fn=0, tn=90)  # Re 1, Pr 1, F 1, PWC 0
    b1 = Counts(tp=0, fp=5, fn=0, tn=95)  # Re NaN, Pr 0, F NaN, PWC 5, Sp .95
    out = summarize([("A", a1), ("B", b1), ("A", a2)])
    cat_a, cat_b, overall = out["categories"]["A"], out["categories"]["B"], out["overall"]
    assert list(out["categories"]) == ["A", "B"]

    # Category A: mean of its two videos' figures, not the figure of the pooled counts.
    assert cat_a["recall"] == pytest.approx(0.8)  # (0.6 + 1) / 2; pooled would be 40/60
    assert cat_a["precision"] == pytest.approx(0.875)
    assert cat_a["f_measure"] == pytest.approx(5 / 6)
    assert cat_a["pwc"] == pytest.approx(1.5)
    assert (cat_a["tp"], cat_a["fp"], cat_a["fn"], cat_a["tn"]) == (40, 10, 20, 1030)
    assert math.isnan(cat_b["recall"]) and cat_b["precision"] == 0.0

    # Overall: mean over categories, NaN left out; counts summed over everything.
    assert overall["recall"] == pytest.approx(0.8)
    assert overall["f_measure"] == pytest.approx(5 / 6)
    assert overall["precision"] == pytest.approx(0.4375)  # (0.875 + 0) / 2
    assert overall["pwc"] == pytest.approx(3.25)  # (1.5 + 5) / 2
    assert overall["specificity"] == pytest.approx(((940 / 950 + 1.0) / 2 + 0.95) / 2)
    assert (overall["tp"], overall["fp"], overall["fn"], overall["tn"]) == (40, 15, 20, 1125)

    assert mean_figures([a1.as_dict()]) == a1.as_dict()
    empty = mean_figures([])
    assert empty["tp"] == 0 and math.isnan(empty["f_measure"])


def test_every_metric_has_one_label_short_label_and_help():
    from bgapp.metrics import METRIC_HELP, METRIC_LABELS, METRIC_SHORT

    for names in (METRIC_LABELS, METRIC_SHORT, METRIC_HELP):
        assert set(names) == set(METRIC_NAMES)
    assert METRIC_SHORT["f_measure"] == METRIC_LABELS["f_measure"] == "F-measure"
    assert METRIC_SHORT["pwc"] == "PWC (%)"


def test_labels_and_shared_keys_are_spelled_in_one_place():
    """Pages and ui modules name metrics and shared session keys through bgapp.metrics and ui.keys."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    spelled = {'"F-measure"': "bgapp/metrics.py", '"PWC (%)"': "bgapp/metrics.py",
               '"Precision"': "bgapp/metrics.py", '"applied_config"': "ui/keys.py", '"lab.config"': "ui/keys.py"}
    files = [*root.glob("bgapp/**/*.py"), *root.glob("ui/*.py"), *root.glob("app_pages/*.py"), root / "app.py"]
    for literal, home in spelled.items():
        found = sorted(str(f.relative_to(root)) for f in files if re.search(re.escape(literal), f.read_text()))
        assert found == [home], (literal, found)
