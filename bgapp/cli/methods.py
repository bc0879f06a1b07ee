"""``bgapp methods``: the methods, their parameters, post-processing and composite settings."""

from __future__ import annotations

import argparse
from typing import Any

from ..documents import dumps
from .common import SubParsers


def register(sub: SubParsers) -> None:
    m = sub.add_parser("methods", help="list the methods and their parameters")
    m.add_argument("--json", action="store_true", help="print one JSON object")
    m.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..composite import COMPOSITE_PARAMS
    from ..methods import METHODS
    from ..postprocess import POST_PARAMS

    doc: dict[str, Any] = {
        "methods": [
            {"name": m.name, "available": m.available(), "title": m.title, "summary": m.summary,
             "params": [p.to_dict() for p in m.params]}
            for m in METHODS.values()
        ],
        "post": [p.to_dict() for p in POST_PARAMS],
        "composite": [p.to_dict() for p in COMPOSITE_PARAMS],
    }
    if args.json:
        print(dumps(doc))
        return 0
    for m in METHODS.values():
        flag = "" if m.available() else "  (unavailable: " + (m.unavailable_reason() or "") + ")"
        print(f"{m.name:11s} {m.title}{flag}")
        print(f"{'':11s} {m.summary}")
        for p in m.params:
            rng = f"[{p.min}, {p.max}]" if p.kind in ("int", "float") else (
                "|".join(p.choices) if p.choices else "true|false")
            print(f"{'':13s}{p.name}={p.default} {rng}")
        print()
    print("post-processing:")
    for p in POST_PARAMS:
        print(f"  {p.name}={p.default}  {p.help}")
    return 0
