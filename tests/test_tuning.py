"""Tuning: the search space comes from the declarations, studies are reproducible, scores are CDnet's."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import optuna
import pytest

from bgapp.config import Config
from bgapp.errors import BgappError
from bgapp.evaluate import evaluate, report
from bgapp.methods import METHODS
from bgapp.metrics import HIGHER_IS_BETTER, Counts
from bgapp.postprocess import POST_PARAMS
from bgapp.presets import get_preset, list_presets
from bgapp.sequences import Sequence
from bgapp.synthetic import SyntheticScene
from bgapp.tuning import (
    FRAME_REPORTS,
    MIN_TRIALS_FOR_IMPORTANCE,
    NO_HOLDOUT,
    TIE,
    WORST,
    Holdout,
    TrialRecord,
    TuneProgress,
    check_positions,
    choose_holdout,
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
    a = tune(specs, "mog2", trials=4, seed=7, batch=2, workers=1, holdout=NO_HOLDOUT)
    b = tune(specs, "mog2", trials=4, seed=7, batch=2, workers=1, holdout=NO_HOLDOUT)
    assert [r.config.to_dict() for r in a.records] == [r.config.to_dict() for r in b.records]
    assert [repr(r.value) for r in a.records] == [repr(r.value) for r in b.records]  # NaN compares too
    assert a.to_dict() == b.to_dict() and a.to_dict()["trials"] == 4
    assert a.records[0].config == Config("mog2")  # the starting config is the first trial
    assert a.value == max(r.value for r in a.records) or (a.best_trial in a.weighed and  # consensus among ties
                                                          max(r.value for r in a.records) - a.value <= TIE["f_measure"])
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
    worse = [max(r.value, r.check) for r in res.records]  # for a lower-is-better metric, the worse is the larger
    picked = max(res.value, res.check_value)
    assert picked == min(worse) or (res.best_trial in res.weighed and picked - min(worse) <= TIE["pwc"])
    assert "pwc" not in HIGHER_IS_BETTER


def test_nan_counts_as_the_worst_value(empty_seq):
    res = tune([str(empty_seq)], "frame_diff", trials=3, seed=0, batch=3, workers=1, tune_post=False)
    assert all(math.isnan(r.value) for r in res.records)
    assert all(t.value == WORST["f_measure"] == 0.0 for t in res.study.trials)
    assert math.isnan(res.value) and res.best == res.records[0].config
    low = tune([str(empty_seq)], "frame_diff", trials=2, metric="fnr", seed=0, batch=2, workers=1, tune_post=False)
    assert all(t.value == WORST["fnr"] == 1.0 for t in low.study.trials)


def test_study_progress_counts_up_to_the_total(seq_tree):
    """The page's progress bar and `bgapp tune`'s lines are driven by these reports: one as soon as
    the workers are ready, one when each batch starts, one per finished task, one per told batch;
    counts only grow."""
    seen = []
    res = tune([str(seq_tree / "rooms")], "mog2", trials=5, seed=3, batch=2, workers=1, progress=seen.append)
    assert seen[0].done == 0 and seen[0].finished == 0 and seen[0].tasks_total == 0 and math.isnan(seen[0].best_value)
    for field in ("done", "finished", "fraction", "elapsed"):
        values = [getattr(p, field) for p in seen]
        assert values == sorted(values), field  # never goes back
    assert seen[-1].done == seen[-1].finished == seen[-1].total == res.trials == 5
    assert seen[-1].best_value == res.value and seen[-1].fraction == 1.0 and seen[-1].remaining == 0.0
    told = [p for p in seen if p.last]
    assert [p.done for p in told] == [2, 4, 5]  # batches of 2, 2 and 1 trials
    assert sum(len(p.last) for p in told) == 5
    for first, second in zip(told, told[1:]):
        assert second.best_value >= first.best_value  # best F so far, maximised
    tasks = [(p.done, p.running, p.tasks_done, p.tasks_total) for p in seen if p.tasks_total and p.trial is None]
    assert tasks[:4] == [(0, 2, 0, 4), (0, 2, 1, 4), (0, 1, 2, 4), (0, 1, 3, 4)]  # two trials on two sequences
    assert all(p.tasks_done <= p.tasks_total for p in seen)
    elapsed = [p.elapsed for p in seen]
    assert elapsed[-1] > 0 and res.seconds >= elapsed[-1]


def test_each_trial_is_reported_as_it_ends_with_its_time_and_an_estimate(seq_tree):
    """A trial ends (score, time, best so far, estimate) as soon as its last sequence is in, before
    its batch is told; the running trial reports its frames, so a long first trial is not silent."""
    seen = []
    res = tune([str(seq_tree / "rooms")], "mog2", trials=4, seed=3, batch=4, workers=1, progress=seen.append)
    ended = [(p, r) for p in seen for r in p.ended]
    assert [r.number for _, r in ended] == [0, 1, 2, 3]  # each once, in this process in trial order
    assert [r.value for _, r in ended] == [r.value for r in res.records]
    assert all(p.done == 0 for p, _ in ended)  # one batch of 4: none is told before the last ends
    assert [p.finished for p, _ in ended] == [1, 2, 3, 4]
    for k, (p, r) in enumerate(ended):
        so_far = [e for _, e in ended[:k + 1]]
        assert r.seconds > 0 and not r.cached
        assert p.trial_seconds == pytest.approx(sum(e.seconds for e in so_far) / len(so_far))
        leader = max(so_far, key=lambda e: e.value)
        assert p.best_value == leader.value and p.best_trial == leader.number
        assert p.remaining is not None and (p.remaining > 0) == (k < 3)
    first_end = seen.index(ended[0][0])
    during = [p for p in seen[:first_end] if p.trial == 0]
    assert [(p.sequence, p.frame) for p in during][:3] == [("rooms/a", 0), ("rooms/a", 2), ("rooms/a", 4)]
    assert {p.frames for p in during} == {40} and {p.sequence for p in during} == {"rooms/a", "rooms/b"}
    assert len(during) == 2 * FRAME_REPORTS  # every 1/20 of each sequence's frames
    assert during[-1].remaining is not None and 0 < during[-1].fraction < 0.25  # an estimate before any trial ends
    assert "trial 0 running: rooms/b frame 38 of 40" in during[-1].line("f_measure")


def test_a_config_seen_before_ends_at_once_and_is_not_run_again(seq_tree):
    """One boolean searched: 6 trials can only be 2 configs; the repeats end without running."""
    seen = []
    keep = ["detect_shadows"]
    exclude = [d.key for d in search_space("mog2", tune_post=False) if d.key not in keep]
    res = tune([str(seq_tree / "hall")], "mog2", trials=6, seed=1, batch=3, workers=1, tune_post=False,
               exclude=exclude, progress=seen.append)
    distinct = {json.dumps(r.config.to_dict(), sort_keys=True) for r in res.records}
    ran = [r for r in res.records if not r.cached]
    assert len(ran) == len(distinct) <= 2 and all(r.seconds > 0 for r in ran)
    assert all(r.seconds == 0.0 for r in res.records if r.cached)
    assert sorted(r.number for p in seen for r in p.ended) == list(range(6))  # every trial ends once
    runs = {p.trial for p in seen if p.trial is not None}
    assert runs == {r.number for r in ran}  # only new configs run frames
    assert seen[-1].fraction == 1.0


def test_progress_line_says_what_runs_the_best_the_pace_and_what_is_left():
    cfg = Config("mog2")
    start = TuneProgress(0, 4, float("nan"), None, elapsed=12.3, running=4, tasks_total=4, trial=0, sequence="demo",
                         frame=150, frames=300, fraction=0.125, remaining=86.0)
    assert start.line("f_measure") == ("0 of 4 trials done · trial 0 running: demo frame 150 of 300 · best F-measure "
                                       "so far: none yet · about 1 min 26 s left · 12 s")
    rec = TrialRecord(1, 0.81234, cfg, {}, {}, {}, seconds=21.4)
    later = TuneProgress(0, 4, 0.81234, cfg, elapsed=43.0, running=2, tasks_done=2, tasks_total=4, finished=2,
                         best_trial=1, trial_seconds=21.0, remaining=42.5, ended=[rec], fraction=0.5)
    assert later.line("pwc") == ("2 of 4 trials done · 2 running (2 of 4 sequence runs finished) · best Percentage "
                                 "of wrong classifications so far: 0.8123 (trial 1) · 21 s a trial · about 42 s left "
                                 "· 43 s")
    assert later.ended_lines("f_measure") == ["trial 1 ended (2 of 4 done): F-measure 0.8123 in 21 s"]
    reused = replace(rec, cached=True, seconds=0.0, value=float("nan"))
    assert replace(later, ended=[reused]).ended_lines("f_measure") == [
        "trial 1 ended (2 of 4 done): F-measure – (same settings as an earlier trial)"]


def test_importances_need_ten_trials(seq_tree):
    """Below MIN_TRIALS_FOR_IMPORTANCE no ranking is computed, even when the trials differ."""
    few = tune([str(seq_tree / "hall")], "absdiff", trials=4, seed=2, batch=4, workers=1, tune_post=False)
    assert len({r.value for r in few.records}) > 1 and few.importances() == {}
    enough = tune([str(seq_tree / "hall")], "absdiff", trials=MIN_TRIALS_FOR_IMPORTANCE, seed=2, batch=5, workers=1,
                  tune_post=False)
    ranked = enough.importances()
    assert ranked and set(ranked) <= {d.key for d in search_space("absdiff", tune_post=False)}


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
    assert set(doc) == {"best", "value", "check", "all_labels", "trials", "best_trial", "select", "holdout",
                        "warnings", "weighed"}
    assert doc["trials"] == 3 and doc["select"] == "worse" and "every other run" in doc["holdout"]
    assert 0 < doc["check"] <= 1  # the check set: every other run of hall/c's labelled frames
    ended = [line for line in proc.stderr.splitlines() if " ended (" in line]  # each trial as it ends, on stderr
    assert [line.split(" ended")[0] for line in ended] == ["trial 0", "trial 1", "trial 2"]
    assert ended[0].startswith("trial 0 ended (1 of 3 done): F-measure 0.") and " in " in ended[0]
    assert "  1 of 3 trials done · " in proc.stderr and " a trial · about " in proc.stderr
    assert Config.from_dict(doc["best"]) == Config.load(out) and Config.load(out).method == "knn"
    again = bgapp("eval", seq, "--config", str(out), "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["overall"]["f_measure"] == doc["all_labels"]  # tuning and check frames
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
    (["tune", "demo", "--check", "case:shadows", "--no-check", "--workers", "1"], "contradict"),
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


# The check set ---------------------------------------------------------------------------------

def test_check_positions_hold_back_every_other_run():
    assert check_positions(0) == [] and check_positions(1) == [False]
    assert check_positions(2) == [False, True]
    assert check_positions(5) == [False, True, False, True, False]  # 5 labels: 3 tune, 2 check
    held = check_positions(100)  # 10 runs of 10 frames, every other one held back
    assert held == [(k // 10) % 2 == 1 for k in range(100)] and sum(held) == 50


def test_holdout_splits_each_sequences_labelled_frames_and_picks_on_the_worse(seq_tree):
    seq = seq_tree / "hall" / "c"
    res = tune([str(seq)], "mog2", trials=6, seed=2, batch=3, workers=1)
    assert res.select == "worse" and res.holdout == Holdout()
    # the two parts are exactly the full evaluation's per-frame counts, cut by check_positions
    full = evaluate(Sequence(seq), res.best, per_frame=True)
    held = check_positions(len(full.per_frame))
    tune_counts = sum((c for c, h in zip(full.per_frame, held) if not h), Counts())
    check_counts = sum((c for c, h in zip(full.per_frame, held) if h), Counts())
    assert tune_counts + check_counts == full.counts
    assert res.chosen.whole == full.counts.f_measure
    assert res.value == tune_counts.f_measure and res.check_value == check_counts.f_measure
    assert all(not math.isnan(r.check) for r in res.records)
    # the chosen trial is the best on the worse of the two scores, not on the tuning score alone
    worse = [min(r.value, r.check) for r in res.records]
    if res.weighed:  # at least three settings tied within TIE: the consensus among them
        assert res.best_trial in res.weighed and max(worse) - min(res.value, res.check_value) <= TIE["f_measure"]
    else:
        assert min(res.value, res.check_value) == max(worse)
    assert "check f_measure" in res.table()[0]


def test_check_sequences_are_scored_in_full_and_never_tuned_on(seq_tree):
    tune_seq, check_seq = seq_tree / "rooms" / "a", seq_tree / "hall" / "c"
    res = tune([str(tune_seq)], "mog2", trials=4, seed=1, batch=2, workers=1, holdout=Holdout((str(check_seq),)),
               select="check")
    assert res.sequences == [str(tune_seq)] and set(res.records[0].sequences) == {"rooms/a"}
    best = max(res.records, key=lambda r: r.check)
    assert res.best_trial == best.number
    assert res.check_value == evaluate(Sequence(check_seq), res.best).counts.f_measure
    assert res.value == evaluate(Sequence(tune_seq), res.best).counts.f_measure  # all of its labels tune
    with pytest.raises(BgappError, match="both a tuning and a check sequence"):
        tune([str(tune_seq)], "mog2", trials=1, workers=1, holdout=Holdout((str(tune_seq),)))


def test_a_study_warns_when_the_best_on_tuning_frames_fails_the_check(seq_tree):
    """Built so: a trial that fits the tuning frames and not the check ones, against a steadier one."""
    from bgapp.tuning import TuneResult

    cfg = Config("mog2")
    steady = TrialRecord(0, 0.80, cfg, {}, {}, {}, check=0.78)
    overfit = TrialRecord(1, 0.95, cfg, {}, {}, {}, check=0.58)
    res = TuneResult("mog2", "f_measure", cfg, 0.80, [steady, overfit], ["x"], 0, best_trial=0, holdout=Holdout(),
                     select="worse", check_value=0.78)
    warnings = res.warnings()
    assert len(warnings) == 1 and "trial 1: 0.9500) scores 0.5800 on the check set" in warnings[0]
    res.best_trial, res.value, res.check_value = 1, 0.95, 0.58  # had it picked the overfit one: they part
    assert any("part: F-measure 0.9500 on the tuning labels, 0.5800 on the check set" in w for w in res.warnings())


def test_one_labelled_frame_cannot_be_held_back_and_the_study_says_so(tmp_path):
    seq = cdnet_sequence(tmp_path / "cat" / "one", n=30, warmup=5, skip_gt=[k for k in range(1, 31) if k != 20])
    res = tune([str(seq)], "absdiff", trials=2, workers=1)
    assert math.isnan(res.check_value) and res.records[0].overall["tp"] > 0
    assert any("Nothing could be held back" in w for w in res.warnings())


def test_a_sequence_that_cannot_be_scored_is_left_out_of_a_study(seq_tree, tmp_path):
    import shutil

    import cv2

    tree = tmp_path / "tree"
    shutil.copytree(seq_tree / "hall", tree / "hall")
    bad = cdnet_sequence(tree / "rooms" / "bad", n=20)
    cv2.imwrite(str(bad / "ROI.bmp"), np.full((240, 352), 255, np.uint8))  # CDnet copy with a wrong-size ROI
    res = tune([str(tree)], "mog2", trials=2, workers=1)
    assert res.sequences == [str(tree / "hall" / "c")]
    assert [r.label for r in res.skipped] == ["rooms/bad"] and "352x240" in res.skipped[0].error
    assert any(w.startswith("Left out (could not be scored): rooms/bad (ROI.bmp is 352x240") for w in res.warnings())


def test_among_tied_trials_the_one_the_others_agree_with_is_picked():
    """Signatures built so: three settings tie on the labels; two of them give the same masks over the
    clip, the third floods frames the labels do not cover. The consensus picks one of the two."""
    from bgapp.evaluate import _coarse, agreement
    from bgapp.tuning import consensus

    empty, car, flood = (np.zeros((48, 64), np.uint8) for _ in range(3))
    car[10:20, 10:30] = 255
    flood[:, :] = 255

    def sig(*frames):
        return np.stack([_coarse(f) for f in frames])

    good = sig(car, car, empty, car)
    assert agreement(good, good) == 1.0  # two frames alike, a flooded empty one (0), a car in a flood (200 px of 3072)
    assert agreement(good, sig(car, car, flood, flood)) == pytest.approx((1 + 1 + 0 + 200 / 3072) / 4)
    recs = [TrialRecord(0, 0.70, Config("mog2"), {}, {}, {}, signatures=[good]),
            TrialRecord(1, 0.95, Config("mog2", {"history": 30}), {}, {}, {}, signatures=[sig(car, car, flood, flood)]),
            TrialRecord(2, 0.94, Config("mog2", {"history": 200}), {}, {}, {}, signatures=[good]),
            TrialRecord(3, 0.94, Config("mog2", {"history": 250}), {}, {}, {}, signatures=[sig(car, car, empty, car)])]
    chosen, weighed = consensus(recs, "f_measure", "tune")
    assert weighed == [1, 2, 3] and chosen.number == 2  # trial 0 is no tie; 2 and 3 agree, ties go to the earlier
    chosen, weighed = consensus(recs[:3], "f_measure", "tune")  # two ties only: the best score stands
    assert weighed == [] and chosen.number == 1


def test_the_check_set_asked_for_is_the_one_a_study_gets() -> None:
    """One rule for ``bgapp tune --check/--no-check`` and the page's two controls."""
    assert choose_holdout() == Holdout() and choose_holdout().active
    assert choose_holdout(["a", "b"]) == Holdout(("a", "b"))
    assert choose_holdout(hold_nothing=True) == NO_HOLDOUT and not NO_HOLDOUT.active
    with pytest.raises(BgappError, match="contradict"):
        choose_holdout(["a"], hold_nothing=True)
