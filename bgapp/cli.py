"""``python -m bgapp`` / ``bgapp``: methods, eval, process (and tune, export).

Contract other tools rely on: ``--json`` prints exactly one JSON object on stdout; any bad
path, value or unreadable media exits with status 2 and one clear line on stderr.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from .errors import BgappError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, status 2, no usage dump
        raise BgappError(f"{self.prog}: {message}")


def _clean(obj: Any) -> Any:
    """NaN (an undefined metric, e.g. precision with no detections) becomes JSON null."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj


def dumps(obj: Any) -> str:
    return json.dumps(_clean(obj), allow_nan=False)


def _config(args: argparse.Namespace):
    """The config the command works with: --config (a file, a tune document or a preset name), then
    --method (a different method keeps the post-processing and composite), then --set."""
    from .config import Config, resolve_config

    if getattr(args, "config", None):
        cfg = resolve_config(args.config)
        if args.method and args.method != cfg.method:
            cfg = Config(args.method, {}, cfg.post, cfg.composite)
    else:
        cfg = Config(args.method or "mog2")
    return cfg.with_sets(args.set or [])


def int_at_least(minimum: int, what: str = "a whole number"):
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


_max_side = int_at_least(16, "a whole number of pixels")  # 0 or less would mean no picture


def _notes(source: Any) -> None:
    for note in getattr(source, "notes", None) or ():
        print(f"note: {getattr(source, 'name', 'source')}: {note}", file=sys.stderr)


def _add_config_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--method", help="method name (see 'bgapp methods'); default mog2 or the config's")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="set a method or post-processing parameter (repeatable); post.KEY/composite.KEY to be explicit")
    p.add_argument("--config", help="a config JSON file (as saved by the app or 'bgapp tune --out'), a "
                                    "'bgapp tune --json' document, or a preset name (road_traffic, ...)")


def cmd_methods(args: argparse.Namespace) -> int:
    from .methods import METHODS
    from .postprocess import POST_PARAMS

    doc = {
        "methods": [
            {"name": m.name, "available": m.available(), "title": m.title, "summary": m.summary,
             "params": [p.to_dict() for p in m.params]}
            for m in METHODS.values()
        ],
        "post": [p.to_dict() for p in POST_PARAMS],
    }
    from .composite import COMPOSITE_PARAMS

    doc["composite"] = [p.to_dict() for p in COMPOSITE_PARAMS]
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


def _print_table(doc: dict[str, Any]) -> None:
    cols = ["frames", "recall", "precision", "f_measure", "specificity", "pwc", "fps"]
    print(f"{'sequence':24s}" + "".join(f"{c:>12s}" for c in cols))
    for row in doc["sequences"] + [dict(doc["overall"], name="overall", frames="", fps="")]:
        cells = []
        for c in cols:
            v = row.get(c, "")
            cells.append(f"{v:12.4f}" if isinstance(v, float) else f"{v!s:>12s}")
        print(f"{row['name'][:24]:24s}" + "".join(cells))


def cmd_eval(args: argparse.Namespace) -> int:
    from .evaluate import evaluate, report
    from .sources import open_scored_sources

    cfg = _config(args)
    sources = open_scored_sources(args.sources)
    results = []
    for src in sources:
        if not args.json:
            print(f"evaluating {src.name} ({len(src)} frames)...", file=sys.stderr)
        _notes(src)
        results.append(evaluate(src, cfg, post=not args.no_post))
    doc = report(results)
    if args.json:
        print(dumps(doc))
    else:
        _print_table(doc)
    return 0


def cmd_process(args: argparse.Namespace) -> int:
    from .pipeline import Pipeline, Views
    from .sources import open_source
    from .video import Mp4Writer, PngWriter, ZipPngWriter

    cfg = _config(args)
    if args.composite:
        cfg = cfg.with_sets([f"composite.mode={args.composite}"])
    use_composite = cfg.composite.get("mode", "none") != "none"
    source = open_source(args.source, max_side=args.max_side)
    _notes(source)
    pipeline = Pipeline(cfg, Views(composite=use_composite))
    if args.background_image:
        from .frames import read_image

        pipeline.set_background_image(read_image(args.background_image))
    pipeline.prime(source)
    out = Path(args.out)
    if out.suffix.lower() == ".mp4":
        writer: Any = Mp4Writer(out, fps=getattr(source, "fps", 25.0) or 25.0)
    elif out.suffix.lower() == ".zip":
        writer = ZipPngWriter(out)
    elif out.suffix:
        raise BgappError(f"--out must be an .mp4 file, a .zip file or a folder; got {out.name}")
    else:
        writer = PngWriter(out, prefix="composite" if use_composite else "mask")
    n = 0
    try:
        for res in pipeline.run(source):
            writer.write(res.composite if use_composite else res.clean)
            n += 1
    finally:
        writer.close()
    if n == 0:
        raise BgappError(f"{args.source}: no frames could be read")
    early = source.ended_early(n) if hasattr(source, "ended_early") else None
    if early:
        print(f"note: {early}", file=sys.stderr)
    for note in pipeline.notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"wrote {n} frames to {out}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="bgapp", description="Background-subtraction lab: evaluate, tune and process from the shell.")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)
    sub.required = True

    m = sub.add_parser("methods", help="list the methods and their parameters")
    m.add_argument("--json", action="store_true", help="print one JSON object")
    m.set_defaults(func=cmd_methods)

    e = sub.add_parser("eval", help="score a method on sequences with ground truth (CDnet 2014 rules)")
    e.add_argument("sources", nargs="+", metavar="SOURCE",
                   help="a sequence folder, a folder of them (CDnet category or dataset), a zip of either, or 'demo'")
    _add_config_args(e)
    e.add_argument("--no-post", action="store_true", help="score the method's mask without post-processing")
    e.add_argument("--json", action="store_true", help="print one JSON object")
    e.set_defaults(func=cmd_eval)

    r = sub.add_parser("process", help="write masks or a composite of a video or sequence")
    r.add_argument("source", metavar="SOURCE",
                   help="a video file, an image-sequence folder (or a zip of one), or 'demo'")
    _add_config_args(r)
    r.add_argument("--composite", help="write this composite instead of masks (overlay, green, blur, ...)")
    r.add_argument("--background-image", help="replacement background for --composite image")
    r.add_argument("--max-side", type=_max_side, default=None,
                   help="scale frames down so the longer side is at most this many pixels (default: full size)")
    r.add_argument("--out", required=True, help="an .mp4 file, a .zip of PNGs, or a folder for PNGs")
    r.set_defaults(func=cmd_process)

    try:
        from . import tune_cli

        tune_cli.add_commands(sub)
    except ImportError:
        pass
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return int(args.func(args) or 0)
    except BgappError as exc:
        print(f"bgapp: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("bgapp: interrupted", file=sys.stderr)
        return 130
    except (OSError, MemoryError) as exc:
        print(f"bgapp: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
