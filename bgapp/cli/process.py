"""``bgapp process``: write the masks (or a composite) of a video, a sequence or the demo."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import BgappError
from .common import SubParsers, add_config_args, config_from_args, int_at_least, print_notes


def register(sub: SubParsers) -> None:
    from ..composite import COMPOSITES

    r = sub.add_parser("process", help="write masks or a composite of a video or sequence")
    r.add_argument("source", metavar="SOURCE",
                   help="a video file, an image-sequence folder (or a zip of one), 'demo', "
                        "or a gallery case such as 'case:shadows'")
    add_config_args(r)
    r.add_argument("--composite", choices=[m for m in COMPOSITES if m != "none"],
                   help="write this composite instead of masks")
    r.add_argument("--background-image", help="replacement background for --composite image")
    r.add_argument("--max-side", type=int_at_least(16, "a whole number of pixels"), default=None,  # 0: no picture
                   help="scale frames down so the longer side is at most this many pixels (default: full size)")
    r.add_argument("--out", required=True, help="an .mp4 file, a .zip of PNGs, or a folder for PNGs")
    r.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..pipeline import Pipeline, Views
    from ..sources import open_source
    from ..video import Mp4Writer, PngWriter, ZipPngWriter

    cfg = config_from_args(args)
    if args.composite:
        cfg = cfg.with_sets([f"composite.mode={args.composite}"])
    use_composite = cfg.composite.get("mode", "none") != "none"
    source = open_source(args.source, max_side=args.max_side)
    print_notes(source.name, source.notes)
    pipeline = Pipeline(cfg, Views(composite=use_composite))
    if args.background_image:
        from ..frames import read_image

        pipeline.set_background_image(read_image(args.background_image))
    pipeline.prime(source)
    out = Path(args.out)
    writer: Mp4Writer | ZipPngWriter | PngWriter
    if out.suffix.lower() == ".mp4":
        writer = Mp4Writer(out, fps=source.fps or 25.0)
    elif out.suffix.lower() == ".zip":
        writer = ZipPngWriter(out)
    elif out.suffix:
        raise BgappError(f"--out must be an .mp4 file, a .zip file or a folder; got {out.name}")
    else:
        writer = PngWriter(out, prefix="composite" if use_composite else "mask")
    n = 0
    try:
        for res in pipeline.run(source):
            writer.write(res.composite if use_composite and res.composite is not None else res.clean)
            n += 1
    finally:
        writer.close()
    if n == 0:
        raise BgappError(f"{args.source}: no frames could be read")
    early = source.ended_early(n)
    if early:
        print(f"note: {early}", file=sys.stderr)
    for note in pipeline.notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"wrote {n} frames to {out}", file=sys.stderr)
    return 0
