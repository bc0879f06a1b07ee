"""Which way the foreground differs from the background, and what a method finds of each.

For each labelled sequence: its foreground pixels (scored frames, inside the ROI) split into those
brighter than the background, darker, or within ``--margin`` grey levels of it, the background being
the per-pixel median of 16 frames sampled across the clip (what ``median`` and ``bmn_bsn`` compare
with); and the share of each that a method, run as ``bgapp eval`` runs it (post-processing at its
defaults), marks foreground.

Why: in the real training scenes most foreground is darker than its ground (people and cars on lit
floors and roads, birds and boats on bright water), and a model fitted to them can learn that polarity
as a cue and miss bright objects (a white bottle on grey water). This measures both.

    python train/polarity.py ../shared/data/train/ucsd/bottle --method bmn_bsn
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bgapp.config import Config  # noqa: E402
from bgapp.evaluate import evaluate  # noqa: E402
from bgapp.pipeline import FrameResult  # noqa: E402
from bgapp.sequences import find_sequences  # noqa: E402
from bgapp.source import Source  # noqa: E402
from bgapp.standalone import median_image  # noqa: E402

BUCKETS = ("brighter", "darker", "similar")


def polarity(source: Source, config: Config, margin: float = 15.0) -> dict[str, tuple[int, int]]:
    """``{bucket: (foreground pixels, of which found)}`` over ``source``'s scored frames: a pixel is
    ``brighter`` or ``darker`` when its grey level differs from the background's by more than
    ``margin``, else ``similar``; ``found`` counts those ``config``'s post-processed mask marks (the
    true positives ``bgapp eval`` counts, split three ways)."""
    background = cv2.cvtColor(median_image(source.sample(16)), cv2.COLOR_BGR2GRAY).astype(np.float32)
    roi = source.roi
    totals = {b: [0, 0] for b in BUCKETS}

    def count(i: int, res: FrameResult, gt: np.ndarray | None) -> None:
        if gt is None or not source.scored(i):
            return
        fg = gt == 255
        if roi is not None:
            fg &= roi != 0
        d = cv2.cvtColor(res.frame, cv2.COLOR_BGR2GRAY).astype(np.float32) - background
        found = res.clean == 255  # what confusion() counts as foreground
        for b, where in zip(BUCKETS, (d > margin, d < -margin, np.abs(d) <= margin)):
            sel = fg & where
            totals[b][0] += int(sel.sum())
            totals[b][1] += int((sel & found).sum())

    evaluate(source, config, on_frame=count)
    return {b: (n, k) for b, (n, k) in totals.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="+", type=Path, help="sequence folders, or folders of them")
    ap.add_argument("--method", default="median", help="the method to run (at its defaults)")
    ap.add_argument("--margin", type=float, default=15.0, help="grey levels within which a pixel is 'similar'")
    args = ap.parse_args(argv)
    print(f"{'sequence':24s}" + "".join(f"{b + ' px':>12s}{'found':>8s}" for b in BUCKETS))
    for path in args.paths:
        for seq in find_sequences(path):
            if not seq.has_ground_truth:
                continue
            counts = polarity(seq, Config(args.method), args.margin)
            print(f"{seq.category + '/' + seq.name:24s}" + "".join(
                f"{n:12d}{k / n if n else float('nan'):8.2f}" for n, k in counts.values()), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
