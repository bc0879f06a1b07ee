"""Speed-up of Dask workers: evaluation of several sequences and a small study, 1 worker vs 2.

    python bench/bench_distributed.py [--workers 1,2] [--trials 8] [--batch 4]

Both cluster sizes run in the same process on the same inputs, after their cluster has started
(start-up time is printed apart). Results are checked equal to the in-process serial run. Uses
the shared sample sequences when present (../shared/data), else copies of the demo scene.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import cv2  # noqa: E402

from bgapp.config import Config  # noqa: E402
from bgapp.distributed import DaskRunner, SerialRunner, evaluate_many  # noqa: E402
from bgapp.evaluate import report  # noqa: E402
from bgapp.synthetic import SyntheticScene  # noqa: E402
from bgapp.tuning import tune  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


def demo_tree(n: int = 4) -> str:
    root = Path(tempfile.mkdtemp(prefix="bgapp-bench-"))
    for k in range(n):
        folder = root / "demo" / f"room{k}"
        (folder / "input").mkdir(parents=True)
        (folder / "groundtruth").mkdir()
        scene = SyntheticScene(n_frames=200, seed=k)
        for i in range(len(scene)):
            cv2.imwrite(str(folder / "input" / f"in{i + 1:06d}.png"), scene.frame(i))
            cv2.imwrite(str(folder / "groundtruth" / f"gt{i + 1:06d}.png"), scene.ground_truth(i))
        (folder / "temporalROI.txt").write_text(f"{scene.warmup + 1} {len(scene)}\n")
    return str(root)


def strip(doc: dict) -> dict:
    doc = json.loads(json.dumps(doc))
    for s in doc["sequences"]:
        s.pop("fps")
    return doc


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--trials", type=int, default=8)
    ap.add_argument("--batch", type=int, default=4)
    args = ap.parse_args()
    tree = demo_tree()
    try:
        return _run(args, tree)
    finally:
        shutil.rmtree(tree, ignore_errors=True)


def _run(args: argparse.Namespace, tree: str) -> int:
    sets = {"4 demo copies, 200 frames each (even tasks)": [tree]}
    if (SHARED / "sbi").is_dir():
        sets["shared data: 7 sequences, highway holds 1700 of 2493 frames (uneven)"] = [
            str(SHARED / "sbi"), str(SHARED / "ucsd"), str(SHARED / "cdnet")]
        study_specs = [str(SHARED / "sbi" / "Board"), str(SHARED / "sbi" / "IBMtest2")]
    else:
        study_specs = [str(Path(tree) / "demo" / "room0")]
    cfg = Config("mog2")
    print(f"{os.cpu_count()} cores")
    references = {}
    for name, specs in sets.items():
        t0 = time.perf_counter()
        serial = evaluate_many(specs, cfg, run=SerialRunner())
        references[name] = strip(report(serial))
        print(f"in-process serial, {name}: {sum(r.frames for r in serial)} frames, {time.perf_counter() - t0:.1f} s")
    study_ref = None
    times: dict[int, dict[str, float]] = {}
    for n in (int(w) for w in args.workers.split(",")):
        t0 = time.perf_counter()
        with DaskRunner(workers=n) as run:
            start = time.perf_counter() - t0
            times[n] = {}
            for name, specs in sets.items():
                t0 = time.perf_counter()
                results = evaluate_many(specs, cfg, run=run)
                times[n][name] = time.perf_counter() - t0
                assert strip(report(results)) == references[name], "cluster results differ from the serial run"
            t0 = time.perf_counter()
            study = tune(study_specs, "mog2", trials=args.trials, batch=args.batch, seed=0, run=run)
            times[n]["study"] = time.perf_counter() - t0
        if study_ref is None:
            study_ref = study.to_dict()
        assert study.to_dict() == study_ref, "the study depends on the number of workers"
        shown = ", ".join(f"{k}: {v:.1f} s" for k, v in times[n].items())
        print(f"{n} worker(s) (start {start:.1f} s): {shown}; study best F {study.value:.4f}")
    if 1 in times:
        for n in times:
            if n != 1:
                for k in times[n]:
                    label = (f"study of {args.trials} trials (batch {args.batch})" if k == "study"
                             else f"evaluation, {k}")
                    print(f"speed-up of {n} workers over 1, {label}: x{times[1][k] / times[n][k]:.2f}")
    print("results equal the serial run (evaluations and study): yes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
