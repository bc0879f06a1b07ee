"""Sparse ground truth as a first-class case: sequences labelled on a few frames only, and runs
over many sequences where one cannot be scored (it is reported and left out, the rest completes)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from bgapp.benchtable import entries, run_bench
from bgapp.config import Config
from bgapp.distributed import evaluate_many, find_specs
from bgapp.errors import BgappError
from bgapp.evaluate import FEW_SCORED, evaluate, report
from bgapp.metrics import Counts, confusion
from bgapp.pipeline import Pipeline
from bgapp.sequences import Sequence
from bgapp.synthetic import SyntheticScene

from .conftest import ROOT
from .factories import cdnet_sequence

LABELLED = (12, 20, 28, 36, 44)  # frame numbers with a label file (1-based, as written)


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    """cat/sparse: 50 frames, 5 labelled; cat/full: 40 frames, all labelled; cat/bad: a CDnet copy
    whose ROI.bmp is 352x240 for 320x240 frames."""
    root = tmp_path_factory.mktemp("sparse")
    cdnet_sequence(root / "cat" / "sparse", n=50, warmup=5, temporal=None,
                   skip_gt=[k for k in range(1, 51) if k not in LABELLED])
    cdnet_sequence(root / "cat" / "full", seed=4)
    bad = cdnet_sequence(root / "cat" / "bad", n=20)
    cv2.imwrite(str(bad / "ROI.bmp"), np.full((240, 352), 255, np.uint8))
    return root


def test_sparse_labels_score_exactly_those_frames_while_the_model_sees_all(tree):
    seq = Sequence(tree / "cat" / "sparse")
    cfg = Config("mog2")
    res = evaluate(seq, cfg, per_frame=True)
    assert res.frames == 50 and res.scored == len(LABELLED) and [i + 1 for i in res.frame_index] == list(LABELLED)
    bare = Pipeline(cfg)  # a bare loop over every frame, scored on the labelled ones only
    total = Counts()
    for i, (frame, gt, scored) in enumerate(seq.pairs()):
        clean = bare.process(frame).clean
        if i + 1 in LABELLED:
            assert scored and gt is not None
            total += confusion(clean, gt, None)
    assert res.counts == total
    doc = report([res])
    assert doc["scored"] == 5 and doc["sequences"][0]["scored"] == 5
    assert len(LABELLED) < FEW_SCORED and doc["warnings"] == [
        "cat/sparse: scored on only 5 labelled frames of 50: a rough figure, which a few more labels would steady"]


def test_a_sequence_that_cannot_be_scored_is_left_out_and_reported(tree):
    found = find_specs([str(tree)])
    assert [Path(s).name for s in found.specs] == ["full", "sparse"]
    assert [r.label for r in found.skipped] == ["cat/bad"]
    assert found.skipped[0].error == "ROI.bmp is 352x240 but the frames are 320x240"
    doc = report(evaluate_many([str(tree)], Config("absdiff")))
    assert [s["name"] for s in doc["sequences"]] == ["full", "sparse"]
    assert doc["skipped"] == [{"name": "cat/bad", "path": str(tree / "cat" / "bad"),
                               "reason": "ROI.bmp is 352x240 but the frames are 320x240"}]
    with pytest.raises(BgappError, match="352x240"):  # alone, it is an error: there is nothing left to score
        find_specs([str(tree / "cat" / "bad")])


def test_bench_table_completes_without_the_bad_copy_and_counts_scored_frames(tree):
    rows, _ = entries(["absdiff", "mog2"])
    bench = run_bench([str(tree)], rows)
    assert [r.name for r in bench.sequences] == ["full", "sparse"]
    assert bench.left_out == {str(tree / "cat" / "bad"): "ROI.bmp is 352x240 but the frames are 320x240"}
    header, table = bench.sequence_table()
    assert table[-1] == ["(frames scored)", "30 of 40", "5 of 50"]
    md = bench.to_markdown()
    assert "Left out (could not be scored): " in md and "cat/sparse: scored on only 5 labelled frames" in md
    assert bench.to_dict()["left_out"] == bench.left_out


def _bgapp(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bgapp", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)


def test_cli_eval_and_bench_table_report_the_left_out_and_the_few(tree):
    proc = _bgapp("eval", str(tree), "--method", "absdiff", "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["scored"] == 35 and [s["scored"] for s in doc["sequences"]] == [30, 5]
    assert "warning: cat/bad left out: ROI.bmp is 352x240 but the frames are 320x240" in proc.stderr
    assert "warning: cat/sparse: scored on only 5 labelled frames of 50" in proc.stderr
    table = _bgapp("eval", str(tree), "--method", "absdiff")
    assert table.returncode == 0 and "scored" in table.stdout.splitlines()[0]
    bench = _bgapp("bench-table", str(tree), "--methods", "absdiff")
    assert bench.returncode == 0, bench.stderr
    assert "| (frames scored) | 30 of 40 | 5 of 50 |" in bench.stdout
    assert f"warning: {tree / 'cat' / 'bad'} left out: ROI.bmp is 352x240" in bench.stderr


def test_a_problem_of_the_method_stops_the_run_a_bad_file_leaves_its_sequence_out(tree, tmp_path, monkeypatch):
    """A label of the wrong size half-way is the sequence's problem: that sequence is left out. A method
    that cannot run fails on every sequence: the run stops with its message (exit status 2 in the CLI)."""
    import shutil

    from bgapp.methods import METHODS

    root = tmp_path / "t"
    shutil.copytree(tree / "cat" / "full", root / "cat" / "full")
    shutil.copytree(tree / "cat" / "sparse", root / "cat" / "late")
    cv2.imwrite(str(root / "cat" / "late" / "groundtruth" / f"gt{LABELLED[-1]:06d}.png"),
                np.zeros((10, 10), np.uint8))  # the first label is fine, so it is found mid-way
    doc = report(evaluate_many([str(root)], Config("absdiff")))
    assert [s["name"] for s in doc["sequences"]] == ["full"]
    assert doc["skipped"][0]["name"] == "cat/late" and "is 10x10 but frame" in doc["skipped"][0]["reason"]
    monkeypatch.setattr(METHODS["mog2"], "_build", lambda self: (_ for _ in ()).throw(BgappError("cannot build")))
    with pytest.raises(BgappError, match="cannot build"):
        evaluate_many([str(root)], Config("mog2"))


def test_the_per_frame_chart_marks_sparse_labels_as_points_and_dense_ones_as_lines(tree):
    from ui.evaluate import SPARSE_POINTS, per_frame_figure

    sparse = evaluate(Sequence(tree / "cat" / "sparse"), Config("absdiff"), per_frame=True)
    fig = per_frame_figure(sparse)
    assert [t.mode for t in fig.data] == ["markers"] * 3 and list(fig.data[0].x) == list(LABELLED)
    dense = evaluate(SyntheticScene(), Config("absdiff"), per_frame=True)
    assert dense.scored >= SPARSE_POINTS and [t.mode for t in per_frame_figure(dense).data] == ["lines"] * 3
