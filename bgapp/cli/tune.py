"""``bgapp tune``: search a method's settings for the best CDnet score (Optuna), here or on Dask.

The flags come from the declarations: metric names from :mod:`bgapp.metrics`, the defaults from
:mod:`bgapp.tuning`.
"""

from __future__ import annotations

import argparse
import math
import sys
import time

from ..documents import dumps
from ..errors import BgappError
from .common import SubParsers, add_cluster_args, config_from_args, int_at_least

_positive = int_at_least(1)
SELECT_TEXT = {"worse": "on the worse of the two", "check": "on the check set", "tune": "on the tuning labels"}
PROGRESS_EVERY = 10.0  # seconds between progress lines while a trial runs


def register(sub: SubParsers) -> None:
    from ..metrics import METRIC_NAMES
    from ..tuning import DEFAULT_BATCH, DEFAULT_METRIC, DEFAULT_SELECT, SELECT

    t = sub.add_parser("tune", help="search a method's settings for the best score on sequences with ground truth")
    t.add_argument("sources", nargs="+", metavar="SOURCE",
                   help="a sequence folder, a folder of them (CDnet category or dataset), 'demo', "
                        "or a gallery case such as 'case:shadows'")
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
    t.add_argument("--check", action="append", metavar="SOURCE",
                   help="hold these sequences back as the check set (repeatable): scored for every trial, never "
                        "tuned on. Default: every other run of each tuning sequence's labelled frames")
    t.add_argument("--no-check", action="store_true",
                   help="hold nothing back: tune on every label and pick the best tuning score (overfits easily)")
    t.add_argument("--select", choices=list(SELECT), default=DEFAULT_SELECT,
                   help="how the result is picked among the trials: " + "; ".join(f"{k}: {v}" for k, v in
                                                                                  SELECT.items())
                        + f" (default {DEFAULT_SELECT})")
    add_cluster_args(t, "Default: 0 (one worker per core).")
    t.add_argument("--json", action="store_true",
                   help='print one JSON object: {"best": config, "value": metric, "trials": N}')
    t.add_argument("--out", help="write the best config here (reloadable by 'bgapp eval --config')")
    t.add_argument("--quiet", action="store_true",
                   help="no progress lines on stderr (by default: each trial as it ends, with the best so far, "
                        "time per trial and an estimate of the time left)")
    t.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..tuning import TIE, TuneProgress, choose_holdout, direction, tune, value_text

    base = config_from_args(args)
    metric = args.metric
    workers = args.workers if args.workers is not None else 0  # tuning is long: every core by default

    shown = [0.0]  # when the last line was printed

    def show(p: TuneProgress) -> None:
        """Each trial as it ends, with the study's state (the page's progress line); during a long
        trial, where it stands every ``PROGRESS_EVERY`` seconds; nothing with --quiet."""
        if args.quiet:
            return
        now = time.monotonic()
        if p.ended:
            for line in p.ended_lines(metric):
                print(line, file=sys.stderr)
        elif p.trial is None or now - shown[0] < PROGRESS_EVERY:
            return
        print(f"  {p.line(metric)}", file=sys.stderr, flush=True)
        shown[0] = now

    holdout = choose_holdout(args.check or (), args.no_check)
    result = tune(args.sources, base.method, trials=args.trials, metric=metric, seed=args.seed, batch=args.batch,
                  base=base, tune_post=not args.no_post, exclude=args.exclude or (), workers=workers,
                  scheduler=args.scheduler, progress=show, holdout=holdout, select=args.select)
    for line in result.warnings():  # on stderr, so --json stays one document
        print(f"warning: {line}", file=sys.stderr)
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
    if result.holdout.active:
        print(f"  on the check set: {value_text(result.check_value)} ({result.holdout.describe()}; "
              f"picked {SELECT_TEXT[result.select]}); on every label of the tuning sequences: "
              f"{value_text(result.chosen.whole)}")
    if result.weighed:
        print(f"  chosen by consensus among trials {', '.join(map(str, result.weighed))} (within "
              f"{TIE[metric]:g} of the best): its masks over the whole clip agree most with theirs")
    searched = {d for r in result.records for d in r.params}
    sections = (("", result.best.params), ("post.", result.best.post))
    for prefix, values in sections:
        for name, v in values.items():
            key = prefix + name
            if key in searched:
                print(f"  {key} = {v}")
    if args.out:
        print(f"saved to {args.out} (use: bgapp eval SOURCE --config {args.out})")
    return 0
