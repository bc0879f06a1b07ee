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
    if (SHARED / "sbi").is_dir():
        eval_specs = [str(SHARED / "sbi"), str(SHARED / "ucsd"), str(SHARED / "cdnet")]
        study_specs = [str(SHARED / "sbi" / "Board"), str(SHARED / "sbi" / "IBMtest2")]
    else:
        tree = demo_tree()
        eval_specs, study_specs = [tree], [str(Path(tree) / "demo" / "room0")]
    cfg = Config("mog2")
    print(f"{os.cpu_count()} cores; evaluating {eval_specs}")
    t0 = time.perf_counter()
    serial = evaluate_many(eval_specs, cfg, run=SerialRunner())
    t_serial = time.perf_counter() - t0
    print(f"in-process serial: {len(serial)} sequences, {sum(r.frames for r in serial)} frames, {t_serial:.1f} s")
    reference = strip(report(serial))
    study_ref = None
    times: dict[int, tuple[float, float]] = {}
    for n in (int(w) for w in args.workers.split(",")):
        t0 = time.perf_counter()
        with DaskRunner(workers=n) as run:
            start = time.perf_counter() - t0
            t0 = time.perf_counter()
            results = evaluate_many(eval_specs, cfg, run=run)
            t_eval = time.perf_counter() - t0
            assert strip(report(results)) == reference, "cluster results differ from the serial run"
            t0 = time.perf_counter()
            study = tune(study_specs, "mog2", trials=args.trials, batch=args.batch, seed=0, run=run)
            t_study = time.perf_counter() - t0
        if study_ref is None:
            study_ref = study.to_dict()
        assert study.to_dict() == study_ref, "the study depends on the number of workers"
        times[n] = (t_eval, t_study)
        print(f"{n} worker(s): start {start:.1f} s, evaluation {t_eval:.1f} s, study of {args.trials} trials "
              f"{t_study:.1f} s (best F {study.value:.4f})")
    if 1 in times and len(times) > 1:
        for n, (te, ts) in times.items():
            if n != 1:
                print(f"speed-up of {n} workers over 1: evaluation x{times[1][0] / te:.2f}, "
                      f"study x{times[1][1] / ts:.2f}")
    print("results equal the serial run: yes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
