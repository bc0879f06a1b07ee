"""The one factory for CDnet-style test sequences, and zips of them (a helper module, not a test module).

A sequence folder holds ``input/inNNNNNN.png`` frames of the built-in synthetic scene, optionally
``groundtruth/gtNNNNNN.png`` and ``temporalROI.txt``. Everything is deterministic: the same
arguments write the same pixels.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections.abc import Callable, Collection
from pathlib import Path

import cv2
import numpy as np

from bgapp.synthetic import SyntheticScene

WARMUP = "warmup"  # temporal= default: score from the frame after the scene's warm-up to the last


def png(img: np.ndarray) -> bytes:
    return cv2.imencode(".png", img)[1].tobytes()


def cdnet_sequence(
    root: Path,
    n: int = 40,
    *,
    width: int = 320,
    height: int = 240,
    seed: int = 0,
    warmup: int = 10,
    scene_frames: int | None = None,
    start: int = 1,
    ground_truth: bool = True,
    temporal: str | None = WARMUP,
    unscored_before: int = 0,
    skip_frames: Collection[int] = (),
    skip_gt: Collection[int] = (),
    frame_as: Callable[[int, np.ndarray], np.ndarray] | None = None,
    gt_as: Callable[[np.ndarray], np.ndarray] | None = None,
) -> Path:
    """Write ``n`` frames of ``SyntheticScene(width, height, scene_frames or n, seed, warmup)`` under ``root``.

    Files are numbered from ``start``. ``ground_truth`` writes the scene's masks; ``temporal`` is
    the temporalROI.txt text (``WARMUP``: ``"{warmup + 1} {n}"``, capped at n; None: no file);
    ``unscored_before`` paints the GT of earlier frame numbers 85 (outside the ROI), as CDnet
    does before its temporal ROI. ``skip_frames``/``skip_gt`` leave out those frame numbers;
    ``frame_as(i, frame)`` and ``gt_as(gt)`` change what is written (other depths, sizes, values).
    """
    scene = SyntheticScene(width, height, n_frames=scene_frames or n, seed=seed, warmup=warmup)
    (root / "input").mkdir(parents=True, exist_ok=True)
    if ground_truth:
        (root / "groundtruth").mkdir(parents=True, exist_ok=True)
    for i in range(n):
        num = start + i
        if num not in skip_frames:
            img = scene.frame(i) if frame_as is None else frame_as(i, scene.frame(i))
            (root / "input" / f"in{num:06d}.png").write_bytes(png(img))
        if ground_truth and num not in skip_gt:
            gt = scene.ground_truth(i)
            if num < unscored_before:
                gt = np.full_like(gt, 85)
            if gt_as is not None:
                gt = gt_as(gt)
            (root / "groundtruth" / f"gt{num:06d}.png").write_bytes(png(gt))
    if temporal == WARMUP:
        temporal = f"{min(warmup + 1, n)} {n}\n"
    if temporal is not None:
        (root / "temporalROI.txt").write_text(temporal)
    return root


def noise_sequence(
    root: Path,
    n: int = 4,
    size: tuple[int, int] = (16, 12),
    start: int = 1,
    gt: int | None = None,
    temporal: str | None = None,
) -> Path:
    """A tiny :func:`cdnet_sequence` of random-noise frames (fixed seed) for the reader's own rules:
    its ground truth is the top-left quarter with one unknown (170) pixel, in the first ``gt`` frames
    (default all, 0: no groundtruth/ folder); ``temporal`` as there (default: no temporalROI.txt)."""
    w, h = size
    rng = np.random.default_rng(0)
    block = np.zeros((h, w), np.uint8)
    block[: h // 2, : w // 2] = 255
    block[-1, -1] = 170
    with_gt = n if gt is None else gt
    return cdnet_sequence(root, n, width=w, height=h, start=start, temporal=temporal, ground_truth=with_gt > 0,
                          skip_gt=range(start + with_gt, start + n),
                          frame_as=lambda i, frame: rng.integers(0, 256, (h, w, 3), dtype=np.uint8),
                          gt_as=lambda gt: block.copy())


def zip_folder(folder: Path, prefix: str = "", flat: bool = False) -> bytes:
    """``folder`` zipped with its own name as the top folder (as a user's "compress" does), under
    ``prefix``; ``flat`` puts its contents at the zip's root instead (input/ with no folder above)."""
    base = folder if flat else folder.parent
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                zf.write(p, prefix + p.relative_to(base).as_posix())
    return buf.getvalue()


def sequence_zip(n: int = 60, folder: str = "demo_seq", **kwargs) -> bytes:
    """A zipped sequence folder named ``folder`` (default: the demo scene at full size, scored from frame 21)."""
    kwargs.setdefault("warmup", 20)
    kwargs.setdefault("temporal", f"21 {n}")
    with tempfile.TemporaryDirectory() as tmp:
        return zip_folder(cdnet_sequence(Path(tmp) / folder, n, **kwargs))


def square_scene(contrast: int) -> tuple[np.ndarray, np.ndarray]:
    """A textured 64x48 background and the same with a square brighter by ``contrast`` grey levels."""
    rng = np.random.default_rng(1)
    bg = cv2.GaussianBlur(rng.integers(60, 160, (48, 64, 3), np.uint8), (5, 5), 0)
    fg = bg.copy()
    fg[12:36, 16:48] = np.clip(fg[12:36, 16:48].astype(int) + contrast, 0, 255).astype(np.uint8)
    return bg, fg
