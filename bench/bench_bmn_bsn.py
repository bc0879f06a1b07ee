"""Milliseconds of the learned model's two networks, and bgapp's pipeline against a bare cv2.dnn loop.

    python bench/bench_bmn_bsn.py [--frames 100] [--repeats 3] [--sizes 320x240,640x480] [--threads 1]

BMN: one refresh of the background model (16 reference frames resized to the networks' size, one forward
pass, and their per-pixel median at the BSN's fine size), as the method runs it once per clip or every
``refresh`` frames. BSN: one frame (resize, forward pass with the model and the median, probability
resized back, threshold). Both with the shipped ONNX files through
OpenCV's DNN module on ``--threads`` threads (1: "one loaded core", what the issue budgets: BSN
<= about 30 ms per 320x240 frame, BMN <= about 1 s). The pipeline row is bgapp's whole per-frame
path with post-processing; its ratio to the bare BSN loop is the overhead bgapp adds.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bgapp import Config, Pipeline, bmn_bsn  # noqa: E402
from bgapp.synthetic import SyntheticScene  # noqa: E402

POST = {"open": 3, "close": 5}


def _fine(frame: np.ndarray) -> np.ndarray:
    return cv2.resize(frame, bmn_bsn.FINE_SIZE, interpolation=cv2.INTER_AREA)


def _blob(frames: list[np.ndarray], size: tuple[int, int] = bmn_bsn.NET_SIZE) -> np.ndarray:
    return np.concatenate([cv2.resize(f, size, interpolation=cv2.INTER_AREA).transpose(2, 0, 1)
                           for f in frames]).astype(np.float32)[None] / np.float32(255)


def bare_nets() -> tuple[cv2.dnn.Net, cv2.dnn.Net]:
    folder = bmn_bsn.model_dir()
    return (cv2.dnn.readNetFromONNX(str(folder / bmn_bsn.BMN_FILE)),
            cv2.dnn.readNetFromONNX(str(folder / bmn_bsn.BSN_FILE)))


def bare_bmn(bmn: cv2.dnn.Net, refs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The model and the references' median, both from the references at the BSN's fine size."""
    fine = [_fine(r) for r in refs]
    bmn.setInput(_blob(fine))
    return bmn.forward(), np.median(np.stack(fine), axis=0).astype(np.uint8)


def bare_bsn(bsn: cv2.dnn.Net, fit: tuple[np.ndarray, np.ndarray], frame: np.ndarray, post) -> np.ndarray:
    """What a hand-written script does per frame with the two files."""
    model, median = fit
    f = _fine(frame)
    bsn.setInput(np.concatenate([model, _blob([median, f])], axis=1), "coarse")
    bsn.setInput(_blob([f, median], bmn_bsn.FINE_SIZE), "fine")
    p = cv2.resize(bsn.forward()[0, 0], (frame.shape[1], frame.shape[0]), interpolation=cv2.INTER_LINEAR)
    return post(cv2.threshold(p, bmn_bsn.default_threshold(), 255, cv2.THRESH_BINARY)[1].astype(np.uint8))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--frames", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=3, help="best of N runs for each loop")
    ap.add_argument("--sizes", default="320x240,640x480")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    cv2.setNumThreads(args.threads)
    ko = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
    kc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))

    def post(m: np.ndarray) -> np.ndarray:
        return cv2.morphologyEx(cv2.morphologyEx(m, cv2.MORPH_OPEN, ko), cv2.MORPH_CLOSE, kc)

    print(f"OpenCV {cv2.__version__} DNN, {cv2.getNumThreads()} thread(s), networks at "
          f"{bmn_bsn.NET_SIZE[0]}x{bmn_bsn.NET_SIZE[1]} (the BSN's last stage at "
          f"{bmn_bsn.FINE_SIZE[0]}x{bmn_bsn.FINE_SIZE[1]}), {args.frames} frames, best of {args.repeats}")
    print(f"{'size':>9s} {'BMN ms':>8s} {'BSN ms':>8s} {'bgapp ms':>9s} {'ratio':>6s}")
    bmn, bsn = bare_nets()
    for size in args.sizes.split(","):
        w, h = (int(x) for x in size.split("x"))
        scene = SyntheticScene(w, h, n_frames=args.frames + 40)
        frames = [scene.frame(i) for i in range(40, 40 + args.frames)]
        refs = scene.sample(bmn_bsn.N_REF)
        model = bare_bmn(bmn, refs)
        b_bmn, b_bsn, ours = [], [], []
        for _ in range(args.repeats):  # interleaved so drifts in machine load hit all three
            t = time.perf_counter()
            for _ in range(5):
                bare_bmn(bmn, refs)
            b_bmn.append((time.perf_counter() - t) / 5)
            t = time.perf_counter()
            for f in frames:
                bare_bsn(bsn, model, f, post)
            b_bsn.append((time.perf_counter() - t) / len(frames))
            p = Pipeline(Config("bmn_bsn", post=POST))
            p.prime(scene)
            p.process(scene.frame(39))  # the model is fitted at the first frame, untimed as the bare one is
            t = time.perf_counter()
            for f in frames:
                p.process(f)
            ours.append((time.perf_counter() - t) / len(frames))
        print(f"{size:>9s} {min(b_bmn) * 1000:8.1f} {min(b_bsn) * 1000:8.2f} {min(ours) * 1000:9.2f} "
              f"{min(ours) / min(b_bsn):6.2f}", flush=True)


if __name__ == "__main__":
    main()
