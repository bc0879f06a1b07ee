"""``bgapp export``: a config as JSON, a Roboflow Workflow, or a standalone Python script."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..documents import build_config
from ..errors import BgappError
from .common import SubParsers


def register(sub: SubParsers) -> None:
    from ..export import EXPORT_FORMATS, ROBOFLOW_BLOCKS

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
    x.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..export import EXPORT_FORMATS, export

    cfg = build_config(args.config, None, args.set or [])
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
