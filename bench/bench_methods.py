"""Per-frame cost of each method through the Pipeline versus the same library calls in a bare loop.

    python bench/bench_methods.py [--frames 120] [--repeats 3] [--sizes 320x240,640x480,1280x720]
                                  [--methods mog2,subsense,...] [--inspect]

Both loops run in the same process on the same frames (the synthetic demo scene rendered at
each size, held in memory so decoding is not measured). The ratio pipeline/bare is the
overhead bgapp adds; the target is at most 1.10 for mog2 and knn with post-processing, 1.05 for
BGSLibrary's methods (their bare loop calls pybgs directly, built from the same config file).
Absolute milliseconds vary between machines; the ratio is what to compare. ``--inspect`` adds a
third loop, the pipeline following one pixel (the pixel inspector open), and its ratio to the bare loop.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bgapp import Config, Pipeline  # noqa: E402
from bgapp.methods import METHODS, BGSLibraryMethod  # noqa: E402
from bgapp.params import defaults  # noqa: E402
from bgapp.ssim import ReferenceStats  # noqa: E402
from bgapp.standalone import SigmaDelta, write_bgs_config  # noqa: E402
from bgapp.synthetic import SyntheticScene  # noqa: E402

POST = {"open": 3, "close": 5}


def _morph():
    ko = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
    kc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))

    def post(m):
        return cv2.morphologyEx(cv2.morphologyEx(m, cv2.MORPH_OPEN, ko), cv2.MORPH_CLOSE, kc)

    return post


def bare_pybgs(cls: type[BGSLibraryMethod]):
    """A pybgs object as a hand-written script makes one: its config file in ./config, built there."""
    import pybgs

    fields, _ = cls.config_fields(defaults(cls.params))
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as folder:
        write_bgs_config(folder, cls.algorithm, fields)
        os.chdir(folder)
        try:
            return getattr(pybgs, cls.algorithm)()
        finally:
            os.chdir(cwd)


def bare_loop(name: str, frames: list[np.ndarray]) -> float:
    """Seconds for the library calls a hand-written script would make for ``name``."""
    post = _morph()
    cv2.setRNGSeed(0)
    cls = METHODS[name]
    if name == "sigma_delta":  # bgapp's own numpy model, called directly
        sd = SigmaDelta(1, 15, 255)
        t = time.perf_counter()
        for f in frames:
            post(sd.apply(f))
        return time.perf_counter() - t
    if name == "bmn_bsn":  # the two ONNX files through cv2.dnn (bench_bmn_bsn.py times the networks apart)
        from bench_bmn_bsn import bare_bmn, bare_bsn, bare_nets

        bmn, bsn = bare_nets()
        model = bare_bmn(bmn, frames[:: max(1, len(frames) // 16)][:16])  # fitted before the timer, as the pipeline's
        t = time.perf_counter()
        for f in frames:
            bare_bsn(bsn, model, f, post)
        return time.perf_counter() - t
    if issubclass(cls, BGSLibraryMethod):
        model = bare_pybgs(cls)
        model.apply(frames[0])  # built and initialised before the timer, as the pipeline's model is
        t = time.perf_counter()
        for f in frames:
            post(model.apply(f))
        return time.perf_counter() - t
    if name in ("mog2", "knn", "gmg", "cnt", "gsoc", "lsbp", "mog"):
        factory = {
            "mog2": lambda: cv2.createBackgroundSubtractorMOG2(500, 16, True),
            "knn": lambda: cv2.createBackgroundSubtractorKNN(500, 400, True),
            "gmg": lambda: cv2.bgsegm.createBackgroundSubtractorGMG(120, 0.8),
            "cnt": lambda: cv2.bgsegm.createBackgroundSubtractorCNT(15, True, 900, True),
            "gsoc": lambda: cv2.bgsegm.createBackgroundSubtractorGSOC(),
            "lsbp": lambda: cv2.bgsegm.createBackgroundSubtractorLSBP(),
            "mog": lambda: cv2.bgsegm.createBackgroundSubtractorMOG(200, 5, 0.7, 0),
        }[name]
        model = factory()
        t = time.perf_counter()
        for f in frames:
            m = model.apply(f, learningRate=-1) if name in ("mog2", "knn") else model.apply(f)
            m = cv2.threshold(m, 254, 255, cv2.THRESH_BINARY)[1]
            post(m)
        return time.perf_counter() - t
    if name in ("absdiff", "median"):
        ref = cv2.GaussianBlur(frames[0], (5, 5), 0)
        ref_g = cv2.cvtColor(ref, cv2.COLOR_BGR2GRAY)
        t = time.perf_counter()
        for f in frames:
            g = cv2.cvtColor(cv2.GaussianBlur(f, (5, 5), 0), cv2.COLOR_BGR2GRAY)
            post(cv2.threshold(cv2.absdiff(g, ref_g), 30, 255, cv2.THRESH_BINARY)[1])
        return time.perf_counter() - t
    if name == "frame_diff":
        prev: list[np.ndarray] = []
        t = time.perf_counter()
        for f in frames:
            g = cv2.GaussianBlur(cv2.cvtColor(f, cv2.COLOR_BGR2GRAY), (5, 5), 0)
            if len(prev) == 2:
                d = cv2.min(cv2.absdiff(g, prev[-1]), cv2.absdiff(g, prev[-2]))
                post(cv2.threshold(d, 20, 255, cv2.THRESH_BINARY)[1])
            prev = (prev + [g])[-2:]
        return time.perf_counter() - t
    if name == "ssim":
        stats = ReferenceStats(cv2.cvtColor(frames[0], cv2.COLOR_BGR2GRAY))
        t = time.perf_counter()
        for f in frames:
            s = 1.0 - stats.ssim_map(cv2.cvtColor(f, cv2.COLOR_BGR2GRAY))
            post(cv2.threshold(s, 0.3, 255, cv2.THRESH_BINARY)[1].astype(np.uint8))
        return time.perf_counter() - t
    raise KeyError(name)


def pipeline_loop(name: str, frames: list[np.ndarray], source: SyntheticScene, inspect: bool = False) -> float:
    """Seconds for bgapp's pipeline on ``frames``, primed from ``source`` as the app and the CLI do
    (``inspect``: following the middle pixel). Its reference is ready before the timer, as the bare
    loop's is: a median is computed from its samples at the first frame, so one frame before
    ``frames`` runs untimed."""
    p = Pipeline(Config(name, post=POST))
    if inspect:
        w, h = source.size
        p.inspect(w // 2, h // 2)
    p.prime(source)
    p.process(source.frame(39))
    t = time.perf_counter()
    for f in frames:
        p.process(f)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--frames", type=int, default=120)
    ap.add_argument("--repeats", type=int, default=3, help="best of N runs for each loop")
    ap.add_argument("--sizes", default="320x240,640x480,1280x720")
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--inspect", action="store_true", help="also time the pipeline with the pixel inspector open")
    args = ap.parse_args()
    print(f"OpenCV {cv2.__version__}, {cv2.getNumThreads()} threads, {args.frames} frames (a quarter for lsbp and "
          f"the LBSP family), best of {args.repeats}")
    extra = f" {'inspected':>9s} {'ratio':>7s}" if args.inspect else ""
    print(f"{'method':11s} {'size':>10s} {'bare ms':>9s} {'bgapp ms':>9s} {'ratio':>7s}{extra}")
    for size in args.sizes.split(","):
        w, h = (int(x) for x in size.split("x"))
        scene = SyntheticScene(w, h, n_frames=args.frames + 40)
        frames = [scene.frame(i) for i in range(40, 40 + args.frames)]
        for name in args.methods.split(","):
            if not METHODS[name].available():
                print(f"{name:11s} {size:>10s}   unavailable")
                continue
            slow = name in ("lsbp", "pawcs", "subsense", "lobster")
            n = len(frames) if not slow else max(10, len(frames) // 4)
            bare, ours, inspected = [], [], []
            for _ in range(args.repeats):  # interleaved so drifts in machine load hit both
                bare.append(bare_loop(name, frames[:n]))
                ours.append(pipeline_loop(name, frames[:n], scene))
                if args.inspect:
                    inspected.append(pipeline_loop(name, frames[:n], scene, inspect=True))
            b, o = min(bare) / n * 1000, min(ours) / n * 1000
            i = f" {min(inspected) / n * 1000:9.2f} {min(inspected) / n * 1000 / b:7.2f}" if inspected else ""
            print(f"{name:11s} {size:>10s} {b:9.2f} {o:9.2f} {o / b:7.2f}{i}", flush=True)


if __name__ == "__main__":
    main()
