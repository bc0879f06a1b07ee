"""Tuning: the search space comes from the declarations, studies are reproducible, scores are CDnet's."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import optuna
import pytest

from bgapp.config import Config
from bgapp.errors import BgappError
from bgapp.evaluate import evaluate, report
from bgapp.methods import METHODS
from bgapp.metrics import HIGHER_IS_BETTER
from bgapp.postprocess import POST_PARAMS
from bgapp.presets import get_preset, list_presets
from bgapp.sequences import Sequence
from bgapp.synthetic import SyntheticScene
from bgapp.tuning import (
    WORST,
    search_space,
    suggest,
    sweep_values,
    threshold_sweep,
    tune,
    tune_range,
)

from .conftest import ROOT
from .factories import cdnet_sequence


@pytest.fixture(scope="session")
def seq_tree(tmp_path_factory) -> Path:
    """Two categories: rooms/a, rooms/b (two videos) and hall/c (one), 40 frames each."""
    root = tmp_path_factory.mktemp("tree")
    cdnet_sequence(root / "rooms" / "a", seed=1)
    cdnet_sequence(root / "rooms" / "b", seed=2)
    cdnet_sequence(root / "hall" / "c", seed=3)
    return root


@pytest.fixture(scope="session")
def empty_seq(tmp_path_factory) -> Path:
    """Nothing ever moves: recall, and so F-measure, are undefined (NaN) on it."""
    return cdnet_sequence(tmp_path_factory.mktemp("static") / "empty", n=30, warmup=30)


def test_search_space_is_the_declarations():
    for name, cls in METHODS.items():
        space = search_space(name)
        expected = [p for p in cls.params if p.tune] + [p for p in POST_PARAMS if p.tune]
        by_key = {d.key: d for d in space}
        for p in expected:
            key = p.name if p in cls.params else f"post.{p.name}"
            if p.kind in ("int", "float") and tune_range(p)[0] == tune_range(p)[1]:
                assert key not in by_key
                continue
            d = by_key.pop(key)
            dist = d.distribution
            if p.kind == "bool":
                assert set(dist.choices) == {True, False}
            elif p.kind == "choice":
                assert tuple(dist.choices) == p.choices
            else:
                lo, hi = tune_range(p)
                assert lo <= dist.low and dist.high <= hi
                assert (p.tune_min if p.tune_min is not None else p.min) == lo
                assert getattr(dist, "log", False) == (p.log and lo > 0)
                if p.odd:
                    assert dist.step == 2 and dist.low % 2 == 1 and dist.high % 2 == 1
        assert not by_key, f"{name}: searched values no declaration asks for: {list(by_key)}"
        assert all(not p.tune for p in cls.params if p.name not in {d.param.name for d in space}
                   and p.kind in ("bool", "choice"))
    assert [d.key for d in search_space("mog2", tune_post=False)] == [
        "history", "var_threshold", "detect_shadows", "shadow_threshold", "n_mixtures", "background_ratio"]


def test_exclude_and_unknown_keys():
    keys = [d.key for d in search_space("knn", exclude=["history", "post.open"])]
    assert "history" not in keys and "post.open" not in keys and "dist2_threshold" in keys
    with pytest.raises(BgappError, match="bogus"):
        search_space("knn", exclude=["bogus"])


def test_suggest_asks_only_active_values():
    space = search_space("mog2", tune_post=False)
    base = Config("mog2")
    off = {"history": 300, "var_threshold": 25.0, "detect_shadows": False, "n_mixtures": 3, "background_ratio": 0.8}
    cfg = suggest(optuna.trial.FixedTrial(off), base, space)  # FixedTrial fails if asked for shadow_threshold
    assert cfg.params["detect_shadows"] is False and cfg.params["shadow_threshold"] == base.params["shadow_threshold"]
    with pytest.raises(ValueError):
        suggest(optuna.trial.FixedTrial({**off, "detect_shadows": True}), base, space)
    on = suggest(optuna.trial.FixedTrial({**off, "detect_shadows": True, "shadow_threshold": 0.3}), base, space)
    assert on.params["shadow_threshold"] == 0.3
    # a value controlled by an untuned one follows the base config (absdiff's avg_rate needs running_average)
    abs_space = search_space("absdiff", tune_post=False)
    fixed = {"threshold": 20, "distance": "grey", "blur": 3}
    assert suggest(optuna.trial.FixedTrial(fixed), Config("absdiff"), abs_space).params["threshold"] == 20
    ra = Config("absdiff", {"reference": "running_average"})
    with pytest.raises(ValueError):
        suggest(optuna.trial.FixedTrial(fixed), ra, abs_space)


def test_study_is_reproducible_and_scored_the_cdnet_way(seq_tree):
    specs = [str(seq_tree)]
    a = tune(specs, "mog2", trials=4, seed=7, batch=2, workers=1)
    b = tune(specs, "mog2", trials=4, seed=7, batch=2, workers=1)
    assert [r.config.to_dict() for r in a.records] == [r.config.to_dict() for r in b.records]
    assert [repr(r.value) for r in a.records] == [repr(r.value) for r in b.records]  # NaN compares too
    assert a.to_dict() == b.to_dict() and a.to_dict()["trials"] == 4
    assert a.records[0].config == Config("mog2")  # the starting config is the first trial
    assert a.value == max(r.value for r in a.records)
    # the best value is exactly what eval reports for the best config: mean over categories of means
    seqs = [Sequence(p) for p in sorted(seq_tree.glob("*/*"))]
    doc = report([evaluate(s, a.best) for s in seqs])
    assert doc["overall"]["f_measure"] == a.value
    per_cat = {c: v["f_measure"] for c, v in doc["categories"].items()}
    assert math.isclose(a.value, (per_cat["hall"] + per_cat["rooms"]) / 2, rel_tol=1e-12)
    assert set(a.records[0].sequences) == {"rooms/a", "rooms/b", "hall/c"}
    c = tune(specs, "mog2", trials=2, seed=8, batch=2, workers=1)
    assert c.records[1].config != a.records[1].config  # another seed, another study


def test_lower_is_better_metrics_are_minimised(seq_tree):
    res = tune([str(seq_tree / "hall")], "absdiff", trials=4, metric="pwc", seed=1, batch=4, workers=1,
               tune_post=False)
    assert res.study.direction == optuna.study.StudyDirection.MINIMIZE
    assert res.value == min(r.value for r in res.records)
    assert "pwc" not in HIGHER_IS_BETTER


def test_nan_counts_as_the_worst_value(empty_seq):
    res = tune([str(empty_seq)], "frame_diff", trials=3, seed=0, batch=3, workers=1, tune_post=False)
    assert all(math.isnan(r.value) for r in res.records)
    assert all(t.value == WORST["f_measure"] == 0.0 for t in res.study.trials)
    assert math.isnan(res.value) and res.best == res.records[0].config
    low = tune([str(empty_seq)], "frame_diff", trials=2, metric="fnr", seed=0, batch=2, workers=1, tune_post=False)
    assert all(t.value == WORST["fnr"] == 1.0 for t in low.study.trials)


def test_study_progress_counts_up_to_the_total(seq_tree):
    """The page's progress bar is driven by these reports: one as soon as the workers are ready,
    one when each batch starts and per finished task, one per told batch; counts only grow."""
    seen = []
    res = tune([str(seq_tree / "rooms")], "mog2", trials=5, seed=3, batch=2, workers=1, progress=seen.append)
    assert seen[0].done == 0 and seen[0].tasks_total == 0 and math.isnan(seen[0].best_value)
    assert [p.done for p in seen] == sorted(p.done for p in seen)  # never goes back
    assert seen[-1].done == seen[-1].total == res.trials == 5 and seen[-1].best_value == res.value
    told = [p for p in seen if p.last]
    assert [p.done for p in told] == [2, 4, 5]  # batches of 2, 2 and 1 trials
    assert sum(len(p.last) for p in told) == 5
    for first, second in zip(told, told[1:]):
        assert second.best_value >= first.best_value  # best F so far, maximised
    during = [p for p in seen if p.tasks_total]
    assert [(p.done, p.running, p.tasks_done, p.tasks_total) for p in during[:3]] == \
        [(0, 2, 0, 4), (0, 2, 1, 4), (0, 2, 2, 4)]  # two trials on two sequences: four tasks
    assert all(p.tasks_done <= p.tasks_total for p in during)
    elapsed = [p.elapsed for p in seen]
    assert elapsed == sorted(elapsed) and elapsed[-1] > 0 and res.seconds >= elapsed[-1]


def test_bad_arguments_are_bgapp_errors(seq_tree):
    with pytest.raises(BgappError, match="metric"):
        tune(["demo"], trials=1, metric="accuracy")
    with pytest.raises(BgappError, match="trials"):
        tune(["demo"], trials=0)
    with pytest.raises(BgappError, match="unknown method"):
        tune(["demo"], "nope", trials=1)
    with pytest.raises(BgappError, match="no such"):
        tune(["/no/such/folder"], trials=1, workers=1)


def test_threshold_sweep_covers_the_range(seq_tree):
    p = next(q for q in METHODS["mog2"].params if q.name == "var_threshold")
    values = sweep_values(p, 5)
    assert values[0] == p.tune_min and values[-1] == p.tune_max and values == sorted(values)
    rows = threshold_sweep([str(seq_tree / "hall")], Config("mog2"), n=3, workers=1)
    assert [r["value"] for r in rows] == sweep_values(p, 3)
    assert rows[0]["recall"] >= rows[-1]["recall"]  # a higher threshold finds less foreground


def bgapp(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bgapp", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)


def test_cli_tune_json_out_and_reload(seq_tree, tmp_path):
    out = tmp_path / "best.json"
    seq = str(seq_tree / "hall" / "c")
    proc = bgapp("tune", seq, "--method", "knn", "--trials", "3", "--batch", "2", "--workers", "1", "--seed", "3",
                 "--json", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)  # exactly one JSON object on stdout
    assert set(doc) == {"best", "value", "trials"} and doc["trials"] == 3
    assert Config.from_dict(doc["best"]) == Config.load(out) and Config.load(out).method == "knn"
    again = bgapp("eval", seq, "--config", str(out), "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["overall"]["f_measure"] == doc["value"]
    text = bgapp("tune", seq, "--config", str(out), "--trials", "1", "--workers", "1")  # trial 0: the config
    assert text.returncode == 0 and f"best f_measure (highest): {doc['value']:.4f}" in text.stdout


@pytest.mark.parametrize("args, words", [
    (["tune", "demo", "--trials", "0"], "--trials"),
    (["tune", "demo", "--metric", "accuracy"], "--metric"),
    (["tune", "/no/such/folder", "--workers", "1"], "no such"),
    (["tune", "demo", "--method", "nope", "--workers", "1"], "unknown method"),
    (["tune", "demo", "--exclude", "bogus", "--workers", "1"], "bogus"),
    (["tune", "demo", "--workers", "-2"], "--workers"),
    (["tune", "demo", "--config", "/no/such.json", "--workers", "1"], "not found"),
])
def test_cli_tune_bad_input_exits_2_with_one_line(args, words):
    proc = bgapp(*args)
    assert proc.returncode == 2 and proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], proc.stderr


def test_presets_load_and_say_what_they_were_tuned_on():
    presets = list_presets()
    assert {p.name for p in presets} >= {"indoor_webcam", "road_traffic", "water_and_trees", "strong_shadows"}
    for p in presets:
        assert p.description and p.tuned_on and p.trials > 0 and p.metric == "f_measure"
        assert p.value is not None and 0.0 < p.value <= 1.0
        assert get_preset(p.name).config == p.config
        assert Config.from_dict(p.to_dict()["best"]) == p.config
    with pytest.raises(BgappError, match="preset"):
        get_preset("no_such_preset")


def test_demo_preset_reproduces_its_score():
    shadows = get_preset("strong_shadows")
    if shadows.tuned_on != ["demo"]:
        pytest.skip("strong_shadows was not tuned on the demo scene")
    doc = report([evaluate(SyntheticScene(), shadows.config)])
    assert doc["overall"]["f_measure"] == pytest.approx(shadows.value, abs=1e-12)
