"""``bgapp tune`` and ``bgapp export``, and ``--workers``/``--scheduler`` for ``bgapp eval``.

``bgapp.cli.build_parser`` calls :func:`add_commands` with its sub-parsers. The flags are
derived from the declarations: metric names from ``bgapp.metrics``, method names from the
registry, search-space keys from ``bgapp.tuning.search_space``.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

from .cli import int_at_least
from .errors import BgappError

_workers = int_at_least(0, "a whole number of workers (0: one per core)")
_positive = int_at_least(1)


def _add_cluster_args(p: argparse.ArgumentParser, default_help: str) -> None:
    p.add_argument("--workers", type=_workers, default=None, metavar="K",
                   help=f"run on a local Dask cluster of K worker processes (0: one per core; 1: in this "
                        f"process). {default_help}")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run on an existing Dask cluster, e.g. tcp://10.0.0.5:8786 (give absolute paths: "
                        "the workers open the sequences)")


def _base_config(args: argparse.Namespace):
    """The starting config: --config (a file, a tune document or a preset name), --method, --set."""
    from .cli import _config

    return _config(args)


# tune ------------------------------------------------------------------------------------------

def cmd_tune(args: argparse.Namespace) -> int:
    from .cli import dumps
    from .tuning import TuneProgress, direction, tune

    base = _base_config(args)
    metric = args.metric
    workers = args.workers if args.workers is not None else 0  # tuning is long: every core by default

    def show(p: TuneProgress) -> None:
        if p.last and not args.quiet:
            best = "n/a" if math.isnan(p.best_value) else f"{p.best_value:.4f}"
            print(f"trial {p.done}/{p.total}: best {metric} {best}", file=sys.stderr, flush=True)

    result = tune(args.sources, base.method, trials=args.trials, metric=metric, seed=args.seed, batch=args.batch,
                  base=base, tune_post=not args.no_post, exclude=args.exclude or (), workers=workers,
                  scheduler=args.scheduler, progress=show)
    if args.out:
        try:
            result.best.save(args.out)
        except OSError as exc:
            raise BgappError(f"cannot write {args.out}: {exc.strerror or exc}") from None
    if args.json:
        print(dumps(result.to_dict()))
        return 0
    goal = "highest" if direction(metric) == "maximize" else "lowest"
    value = "n/a (undefined on every trial)" if math.isnan(result.value) else f"{result.value:.4f}"
    print(f"best {metric} ({goal}): {value}  [trial {result.best_trial} of {result.trials}, "
          f"{len(result.sequences)} sequence(s)]")
    searched = {d for r in result.records for d in r.params}
    for section in ("params", "post"):
        values = getattr(result.best, section)
        for name, v in values.items():
            key = name if section == "params" else f"post.{name}"
            if key in searched:
                print(f"  {key} = {v}")
    if args.out:
        print(f"saved to {args.out} (use: bgapp eval SOURCE --config {args.out})")
    return 0


# export ----------------------------------------------------------------------------------------

def cmd_export(args: argparse.Namespace) -> int:
    from .export import EXPORT_FORMATS, export, resolve_config

    cfg = resolve_config(args.config).with_sets(args.set or [])
    name = Path(args.config).stem or "bgapp"
    out = export(cfg, args.format, roboflow_block=args.roboflow_block, name=name)
    for note in out.notes:
        print(f"note: {note}", file=sys.stderr)
    if args.out:
        path = Path(args.out)
        try:
            path.write_text(out.text, encoding="utf-8")
            if EXPORT_FORMATS[args.format].executable:
                path.chmod(path.stat().st_mode | 0o111)
        except OSError as exc:
            raise BgappError(f"cannot write {args.out}: {exc.strerror or exc}") from None
        print(f"wrote {args.format} export to {path}", file=sys.stderr)
    else:
        sys.stdout.write(out.text)
    return 0


# eval on a cluster -----------------------------------------------------------------------------

def cmd_eval(args: argparse.Namespace) -> int:
    """``bgapp eval`` with --workers/--scheduler; the same document as the serial command."""
    from .cli import _print_table, dumps
    from .cli import cmd_eval as serial_eval
    from .distributed import eval_document

    if args.workers in (None, 1) and not args.scheduler:
        return serial_eval(args)
    from .cli import _config

    cfg = _config(args)

    def show(done: int, total: int) -> None:
        if not args.json:
            print(f"evaluated {done}/{total} sequences", file=sys.stderr, flush=True)

    doc = eval_document(args.sources, cfg, post=not args.no_post, workers=args.workers, scheduler=args.scheduler,
                        progress=show)
    if args.json:
        print(dumps(doc))
    else:
        _print_table(doc)
    return 0


def _extend_eval(sub: Any) -> None:
    """Give the existing ``eval`` command --workers and --scheduler (serial when neither is given)."""
    e = getattr(sub, "choices", {}).get("eval")
    if e is None or any("--workers" in a.option_strings for a in e._actions):
        return
    _add_cluster_args(e, "Default: in this process.")
    e.set_defaults(func=cmd_eval)


def add_commands(sub: Any) -> None:
    """Register ``tune`` and ``export`` (called by ``bgapp.cli.build_parser``)."""
    from .export import EXPORT_FORMATS, ROBOFLOW_BLOCKS
    from .metrics import METRIC_NAMES
    from .tuning import DEFAULT_BATCH, DEFAULT_METRIC

    t = sub.add_parser("tune", help="search a method's settings for the best score on sequences with ground truth")
    t.add_argument("sources", nargs="+", metavar="SOURCE",
                   help="a sequence folder, a folder of them (CDnet category or dataset), or 'demo'")
    t.add_argument("--method", help="method to tune (see 'bgapp methods'); default mog2 or the config's")
    t.add_argument("--config", help="starting config: values not searched come from it (a config file, a "
                                    "'bgapp tune --json' document, or a preset name)")
    t.add_argument("--set", action="append", metavar="KEY=VALUE", help="change a starting value (repeatable)")
    t.add_argument("--trials", type=_positive, default=40, help="number of trials (default 40)")
    t.add_argument("--metric", choices=METRIC_NAMES, default=DEFAULT_METRIC,
                   help="what to optimise, CDnet-averaged over the sequences (default f_measure; "
                        "fpr, fnr and pwc are minimised)")
    t.add_argument("--seed", type=int, default=0, help="sampler seed: the same seed gives the same result "
                                                       "whatever the number of workers (default 0)")
    t.add_argument("--batch", type=_positive, default=DEFAULT_BATCH,
                   help=f"trials proposed together before their results are told (default {DEFAULT_BATCH}); part "
                        "of what a seed reproduces, unlike --workers")
    t.add_argument("--no-post", action="store_true", help="keep post-processing as configured (do not search it)")
    t.add_argument("--exclude", action="append", metavar="KEY",
                   help="leave this value as configured (a method parameter, or post.NAME; repeatable)")
    _add_cluster_args(t, "Default: 0 (one worker per core).")
    t.add_argument("--json", action="store_true",
                   help='print one JSON object: {"best": config, "value": metric, "trials": N}')
    t.add_argument("--out", help="write the best config here (reloadable by 'bgapp eval --config')")
    t.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    t.set_defaults(func=cmd_tune)

    x = sub.add_parser("export", help="export a config as JSON, a Roboflow Workflow, or a standalone Python script")
    x.add_argument("config", metavar="CONFIG",
                   help="a config file, a 'bgapp tune --json' document, or a preset name")
    x.add_argument("--format", choices=list(EXPORT_FORMATS), default="json",
                   help="what to write: " + "; ".join(f"{n}, {f.label}" for n, f in EXPORT_FORMATS.items())
                        + " (default json)")
    x.add_argument("--roboflow-block", choices=ROBOFLOW_BLOCKS, default=ROBOFLOW_BLOCKS[0],
                   help="for --format roboflow: the mask block (default) or the motion detector")
    x.add_argument("--set", action="append", metavar="KEY=VALUE", help="change a value first (repeatable)")
    x.add_argument("--out", help="write here instead of stdout")
    x.set_defaults(func=cmd_export)

    _extend_eval(sub)
