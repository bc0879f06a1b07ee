"""``python -m bgapp`` / ``bgapp``: one module per command, and :func:`main`.

Contract other tools rely on: ``--json`` prints exactly one JSON object on stdout; any bad
path, value or unreadable media exits with status 2 and one clear line on stderr.

Each command module has ``register(sub)``, which adds its sub-parser and sets ``func`` to the
function that runs it (``run``); :data:`COMMANDS` is their :class:`~bgapp.registry.Registry`, by
sub-command name, and :func:`build_parser` calls them in its order. What the
commands share with the pages (JSON documents, config resolution) lives in the engine
(:mod:`bgapp.documents`); what they share as a command line lives in :mod:`.common`.
"""

from __future__ import annotations

import argparse
import sys
from typing import Protocol

from ..errors import BgappError
from ..pybgs_adapter import close_all
from ..registry import Registry
from . import bench_table, export, host, methods, process, tune
from . import eval as eval_command
from .common import Parser, SubParsers, native_output_to_stderr


class Command(Protocol):
    """What a command module holds: ``register`` adds its sub-parser, ``run`` runs it."""

    def register(self, sub: SubParsers) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


def _command_name(module: Command) -> str:
    """A command's name is its module's (``bench_table.py`` is ``bench-table``)."""
    return str(getattr(module, "__name__", "")).rsplit(".", 1)[-1].replace("_", "-")


COMMANDS: Registry[Command] = Registry("command", (methods, eval_command, process, tune, export, bench_table, host),
                                       name_of=_command_name)


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="bgapp", description="Background-subtraction lab: evaluate, tune and process from the shell.")
    sub = p.add_subparsers(dest="command", parser_class=Parser)
    sub.required = True
    for command in COMMANDS.values():
        command.register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        with native_output_to_stderr():
            try:
                return int(args.func(args) or 0)
            finally:
                close_all()  # while stdout still points at stderr: a stray native print stays off --json's
    except BgappError as exc:
        print(f"bgapp: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("bgapp: interrupted", file=sys.stderr)
        return 130
    except (OSError, MemoryError) as exc:
        print(f"bgapp: error: {exc}", file=sys.stderr)
        return 2


__all__ = ["COMMANDS", "build_parser", "main"]
