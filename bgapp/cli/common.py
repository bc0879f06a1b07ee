"""What the commands share as a command line: the parser class, argument types and groups."""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any, NoReturn

from ..config import Config
from ..documents import build_config
from ..errors import BgappError

# The object ``ArgumentParser.add_subparsers`` returns (argparse names its class privately).
SubParsers = Any


@contextlib.contextmanager
def native_output_to_stderr() -> Iterator[None]:
    """Send what native libraries print to file descriptor 1 (BGSLibrary's algorithms print progress
    lines while they run) to stderr, so that stdout carries only the command's own output, one JSON
    object with ``--json``. Python's ``sys.stdout`` keeps writing where stdout went."""
    try:
        python_on_fd1 = sys.stdout.fileno() == 1
    except (AttributeError, OSError, ValueError):  # replaced by a test's capture or a notebook
        python_on_fd1 = False
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    real = sys.stdout
    if python_on_fd1:
        sys.stdout = io.TextIOWrapper(io.FileIO(saved, "w", closefd=False), encoding=real.encoding,
                                      errors=real.errors, line_buffering=True)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stdout = real
        os.dup2(saved, 1)
        os.close(saved)


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
