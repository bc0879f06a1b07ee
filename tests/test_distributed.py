"""Dask distributed: a real LocalCluster(n_workers=2) gives exactly the serial results."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bgapp.config import Config
from bgapp.distributed import DaskRunner, SerialRunner, evaluate_many, list_sequences, runner
from bgapp.errors import BgappError
from bgapp.evaluate import report
from bgapp.tuning import tune

from .conftest import ROOT
from .factories import cdnet_sequence


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("dtree")
    cdnet_sequence(root / "rooms" / "a", seed=11)
    cdnet_sequence(root / "rooms" / "b", seed=12)
    cdnet_sequence(root / "hall" / "c", seed=13, n=50)
    return root


@pytest.fixture(scope="module")
def cluster():
    run = DaskRunner(workers=2)
    try:
        yield run
    finally:
        run.close()


def _without_fps(doc: dict) -> dict:
    doc = json.loads(json.dumps(doc))
    for s in doc["sequences"]:
        s.pop("fps")
    return doc


def test_runner_choice():
    assert isinstance(runner(), SerialRunner) and isinstance(runner(1), SerialRunner)
    with pytest.raises(BgappError, match="workers"):
        runner(-1)
    with pytest.raises(BgappError, match="cannot reach"):
        DaskRunner(scheduler="tcp://127.0.0.1:9", timeout=1)


def test_cluster_evaluation_equals_serial(tree, cluster):
    assert cluster.workers == 2
    specs = [str(tree), "demo"]
    cfg = Config("knn", {"dist2_threshold": 500}, post={"open": 3, "min_area": 20})
    serial = evaluate_many(specs, cfg)
    parallel = evaluate_many(specs, cfg, run=cluster)
    assert [r.name for r in parallel] == ["c", "a", "b", "demo"]  # eval's order: sorted folders, then demo
    assert [(r.name, r.category, r.path, r.frames, r.counts) for r in parallel] == \
        [(r.name, r.category, r.path, r.frames, r.counts) for r in serial]
    assert _without_fps(report(parallel)) == _without_fps(report(serial))
    raw = evaluate_many(specs[:1], cfg, post=False, run=cluster)
    assert [r.counts for r in raw] == [r.counts for r in evaluate_many(specs[:1], cfg, post=False)]
    assert raw[0].counts != parallel[0].counts


def test_cluster_study_equals_serial(tree, cluster):
    kw = {"trials": 6, "seed": 5, "batch": 3}
    serial = tune([str(tree / "rooms")], "mog2", workers=1, **kw)
    seen = []
    parallel = tune([str(tree / "rooms")], "mog2", run=cluster, progress=seen.append, **kw)
    # progress as the futures complete: per batch of 3 trials on 2 sequences, 0..6 tasks finished
    during = [(p.done, p.tasks_done) for p in seen if p.tasks_total]
    assert during == [(d, t) for d in (0, 3) for t in range(7)], during
    assert [p.done for p in seen if not p.tasks_total] == [0, 3, 6]
    assert [r.config for r in parallel.records] == [r.config for r in serial.records]
    assert [repr(r.value) for r in parallel.records] == [repr(r.value) for r in serial.records]  # NaN too
    assert parallel.to_dict() == serial.to_dict()


def test_existing_scheduler_and_worker_errors(tree, cluster):
    with runner(scheduler=cluster.address) as remote:  # what --scheduler does
        assert remote.workers == 2 and remote.cluster is None
        assert remote.call(list_sequences, [str(tree / "hall")]) == [str(tree / "hall" / "c")]
        with pytest.raises(BgappError, match="no such"):  # raised on a worker, still a BgappError here
            evaluate_many(["/no/such/folder"], Config(), run=remote)


def test_cli_eval_with_workers_equals_serial(tree):
    def run(*extra: str) -> dict:
        proc = subprocess.run([sys.executable, "-m", "bgapp", "eval", str(tree), "--method", "absdiff", "--json",
                               *extra], capture_output=True, text=True, cwd=ROOT, timeout=300)
        assert proc.returncode == 0, proc.stderr
        return _without_fps(json.loads(proc.stdout))

    assert run("--workers", "2") == run()
