"""``bgapp bench-table``: every method's CDnet F-measure per sequence, per category and overall on a
dataset, beside the published figures of GMM, SuBSENSE, PAWCS and BMN-BSN; one task per (method,
sequence), in this process or on a Dask cluster."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..benchtable import entries, estimate, run_bench, sequence_shapes
from ..distributed import default_workers
from ..documents import dumps
from ..tuning import duration_text
from .common import SubParsers, add_cluster_args


def register(sub: SubParsers) -> None:
    b = sub.add_parser("bench-table", help="a table of every method's F-measure on a dataset, beside the literature")
    b.add_argument("sources", nargs="+", metavar="SOURCE",
                   help="a sequence folder, a folder of them (CDnet category or dataset), a zip of either, 'demo', "
                        "or a gallery case such as 'case:shadows'")
    b.add_argument("--methods", default=None, metavar="A,B,...",
                   help="the methods to run, at their defaults (default: every method available here)")
    b.add_argument("--presets", action="store_true", help="add a row for each shipped preset")
    b.add_argument("--no-post", action="store_true", help="score the methods' masks without post-processing")
    b.add_argument("--csv", type=Path, default=None, metavar="FILE", help="also write every figure as CSV")
    b.add_argument("--markdown", type=Path, default=None, metavar="FILE", help="also write the tables as Markdown")
    b.add_argument("--json", action="store_true", help="print one JSON object instead of the Markdown tables")
    add_cluster_args(b, "Default: in this process.")
    b.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    names = [m.strip() for m in args.methods.split(",") if m.strip()] if args.methods else None
    rows, skipped = entries(names, args.presets)
    for name, why in skipped.items():
        print(f"note: {name} is left out: {why}", file=sys.stderr)

    if args.scheduler is None:  # a remote cluster's speed is unknown here
        guess = estimate(sequence_shapes(args.sources), [e.config.method for e in rows],
                         1 if args.workers is None else args.workers or default_workers())
        print(guess.text(), file=sys.stderr, flush=True)
    t0 = time.perf_counter()

    def show(done: int, total: int) -> None:
        print(f"evaluated {done}/{total} (method, sequence) pairs · {duration_text(time.perf_counter() - t0)}",
              file=sys.stderr, flush=True)

    table = run_bench(args.sources, rows, post=not args.no_post, workers=args.workers, scheduler=args.scheduler,
                      progress=show, skipped=skipped)
    if args.csv:
        args.csv.write_text(table.to_csv(), encoding="utf-8")
    if args.markdown:
        args.markdown.write_text(table.to_markdown(), encoding="utf-8")
    print(dumps(table.to_dict()) if args.json else table.to_markdown(), end="" if not args.json else "\n")
    for path, why in table.left_out.items():
        print(f"warning: {path} left out: {why}", file=sys.stderr)
    for line in table.few_scored():
        print(f"warning: {line}", file=sys.stderr)
    return 0
