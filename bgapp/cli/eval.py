"""``bgapp eval``: CDnet 2014 scores of a config on sequences with ground truth, in this process
or on a Dask cluster (``--workers``/``--scheduler``; the same document either way)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..config import Config
from ..documents import dumps
from ..evaluate import skipped_lines
from .common import SubParsers, add_cluster_args, add_config_args, config_from_args, print_notes


def register(sub: SubParsers) -> None:
    e = sub.add_parser("eval", help="score a method on sequences with ground truth (CDnet 2014 rules)")
    e.add_argument("sources", nargs="+", metavar="SOURCE",
                   help="a sequence folder, a folder of them (CDnet category or dataset), a zip of either, 'demo', "
                        "or a gallery case such as 'case:shadows'")
    add_config_args(e)
    e.add_argument("--no-post", action="store_true", help="score the method's mask without post-processing")
    e.add_argument("--json", action="store_true", help="print one JSON object")
    add_cluster_args(e, "Default: in this process.")
    e.set_defaults(func=run)


def print_table(doc: dict[str, Any]) -> None:
    cols = ["frames", "scored", "recall", "precision", "f_measure", "specificity", "pwc", "fps"]
    print(f"{'sequence':24s}" + "".join(f"{c:>12s}" for c in cols))
    for row in doc["sequences"] + [dict(doc["overall"], name="overall", frames="", scored=doc["scored"], fps="")]:
        cells = []
        for c in cols:
            v = row.get(c, "")
            cells.append(f"{v:12.4f}" if isinstance(v, float) else f"{v!s:>12s}")
        print(f"{row['name'][:24]:24s}" + "".join(cells))


def run(args: argparse.Namespace) -> int:
    cfg = config_from_args(args)
    if args.workers in (None, 1) and not args.scheduler:
        doc = _serial(args, cfg)
    else:
        from ..distributed import eval_document

        def show(done: int, total: int) -> None:
            if not args.json:
                print(f"evaluated {done}/{total} sequences", file=sys.stderr, flush=True)

        doc = eval_document(args.sources, cfg, post=not args.no_post, workers=args.workers,
                            scheduler=args.scheduler, progress=show)
    if args.json:
        print(dumps(doc))
    else:
        print_table(doc)
    for line in doc["warnings"] + skipped_lines(doc):  # on stderr, so --json stays one document
        print(f"warning: {line}", file=sys.stderr)
    return 0


def _serial(args: argparse.Namespace, cfg: Config) -> dict[str, Any]:
    from ..errors import SourceError
    from ..evaluate import SequenceResult, evaluate, report
    from ..sequences import Skipped
    from ..sources import open_scored_sources

    results = []
    skipped: list[Skipped] = []
    for src in open_scored_sources(args.sources, skipped):
        if not args.json:
            print(f"evaluating {src.name} ({len(src)} frames)...", file=sys.stderr)
        print_notes(src.name, src.notes)
        try:
            results.append(evaluate(src, cfg, post=not args.no_post))
        except SourceError as exc:  # one bad sequence of many: reported, the others still scored
            results.append(SequenceResult.failed(src.shown_path, str(exc)))
    results += [SequenceResult.failed(s.path, s.reason) for s in skipped]
    return report(results)
