"""What the commands share as a command line: the parser class, argument types and groups."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from ..config import Config
from ..documents import build_config
from ..errors import BgappError

# The object ``ArgumentParser.add_subparsers`` returns (argparse names its class privately).
SubParsers = Any


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, status 2, no usage dump
        raise BgappError(f"{self.prog}: {message}")


def int_at_least(minimum: int, what: str = "a whole number") -> Callable[[str], int]:
    """An argparse ``type`` for whole numbers >= ``minimum``, with a one-line message otherwise."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected at least {minimum}, got {value}")
        return value

    return parse


def add_config_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--method", help="method name (see 'bgapp methods'); default mog2 or the config's")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="set a method or post-processing parameter (repeatable); post.KEY/composite.KEY to be explicit")
    p.add_argument("--config", help="a config JSON file (as saved by the app or 'bgapp tune --out'), a "
                                    "'bgapp tune --json' document, or a preset name (road_traffic, ...)")


def config_from_args(args: argparse.Namespace) -> Config:
    """The config a command works with: --config, then --method, then --set."""
    return build_config(args.config, args.method, args.set or [])


def add_cluster_args(p: argparse.ArgumentParser, default_help: str) -> None:
    p.add_argument("--workers", type=int_at_least(0, "a whole number of workers (0: one per core)"), default=None,
                   metavar="K", help=f"run on a local Dask cluster of K worker processes (0: one per core; 1: in "
                                     f"this process). {default_help}")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run on an existing Dask cluster, e.g. tcp://10.0.0.5:8786 (give absolute paths: "
                        "the workers open the sequences)")


def print_notes(name: str, notes: list[str]) -> None:
    for note in notes:
        print(f"note: {name}: {note}", file=sys.stderr)
