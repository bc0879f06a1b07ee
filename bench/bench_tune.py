"""Quality benchmark: how far a study lifts MOG2 and KNN on CDnet highway (target F >= 0.90).

    python bench/bench_tune.py [--trials 100] [--workers 2] [--seed 0] [--methods mog2,knn]
                               [--sequence ../shared/data/cdnet/baseline/highway] [--out-dir DIR]

For each method it prints the F-measure of the declared defaults (with the default
post-processing), then tunes the method and its post-processing with at most ``--trials``
trials on Dask workers (the default study: every other run of highway's labelled frames held back as
the check set, the result picked on the worse of the two scores) and prints the chosen settings'
F-measure on every labelled frame, their check score, the time taken and the settings.
``--out-dir`` saves each best config as ``best_<method>.json`` (reloadable by ``bgapp eval --config``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bgapp.config import Config  # noqa: E402
from bgapp.distributed import eval_document, runner  # noqa: E402
from bgapp.tuning import TuneProgress, tune  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
HIGHWAY = ROOT.parent / "shared" / "data" / "cdnet" / "baseline" / "highway"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--methods", default="mog2,knn")
    ap.add_argument("--sequence", default=str(HIGHWAY))
    ap.add_argument("--out-dir", default=None)
    args = ap.parse_args()
    if not Path(args.sequence).is_dir():
        print(f"skipped: {args.sequence} not found (the shared data sits beside the clone)")
        return 0
    out_dir = Path(args.out_dir) if args.out_dir else None
    if out_dir:
        out_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    with runner(args.workers) as run:
        print(f"running on {run.description}; batch {args.batch}, seed {args.seed}", flush=True)
        for method in args.methods.split(","):
            base = eval_document([args.sequence], Config(method), workers=None)["overall"]["f_measure"]
            t0 = time.perf_counter()

            def show(p: TuneProgress, method: str = method, t0: float = t0) -> None:
                if p.last:
                    print(f"  {method}: {p.done:3d}/{p.total} trials, best F {p.best_value:.4f} "
                          f"({time.perf_counter() - t0:.0f} s)", flush=True)

            result = tune([args.sequence], method, trials=args.trials, seed=args.seed, batch=args.batch,
                          progress=show, run=run)
            secs = time.perf_counter() - t0
            tuned = result.chosen.whole  # on every labelled frame, the held-back ones included
            rows.append((method, base, tuned, result.trials, secs))
            print(f"{method}: defaults F {base:.4f} -> tuned F {tuned:.4f} (check set {result.check_value:.4f}; "
                  f"trial {result.best_trial} of {result.trials}, {secs:.0f} s)")
            print("  best:", json.dumps({"params": result.best.params, "post": result.best.post}))
            if out_dir:
                (out_dir / f"best_{method}.json").write_text(json.dumps(result.to_dict(), indent=2) + "\n")
    print()
    print(f"{'method':8s} {'defaults F':>11s} {'tuned F':>9s} {'trials':>7s} {'seconds':>8s}  target >= 0.90")
    for method, base, best, n, secs in rows:
        flag = "ok" if best >= 0.90 else "below target"
        print(f"{method:8s} {base:11.4f} {best:9.4f} {n:7d} {secs:8.0f}  {flag}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
