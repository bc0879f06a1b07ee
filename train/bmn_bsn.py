"""Train the learned background model (BMN-BSN) from scratch and write what bgapp ships.

    .venv/bin/python train/bmn_bsn.py            # the shipped model: bgapp/models/, about 70 min on 2 cores
    .venv/bin/python train/bmn_bsn.py --quick --out /tmp/m   # a few minutes: checks that training works

Mondéjar-Guerra et al. (BMVC 2019) train two U-Nets end to end: the BMN turns N reference frames
into an M-channel background model that is never supervised, the BSN turns that model plus a target
frame into foreground/background, with cross-entropy on the target's ground truth only (CDnet's
shadow, outside-ROI and unknown pixels left out; we label shadows background, below). Ours is sized
for a 2-core CPU (README, "The learned model"): both U-Nets run at 160x120, the BMN with K=16
first-level channels, the BSN with K=8, three poolings each. Two cues the paper's full-size networks
do not need are added: the BSN also reads the references' per-pixel median (a robust background no
U-Net computes easily), and its 160x120 answer is upsampled and corrected pixel by pixel at 320x240
from the frame's difference from that median there (a 1x1 network: the detail small objects need,
for about 2 ms a frame). Its loss is the cross-entropy at 320x240 plus half that of the U-Net's own
answer.

Data (all of it scene-disjoint from what the card reports on): the real scenes in
``../shared/data/train/`` (SBI2015, UCSD) and clips from :class:`bgapp.synthetic.SyntheticScene`
with moving vegetation and water, camera shake, light changes, stopping objects and real scenes'
backgrounds. Half the targets also get objects pasted in, cut from the real scenes' labelled frames
along their ground truth (:func:`cutouts`, :func:`paste`): the real scenes alone show too few objects on
too few backgrounds, and the model stayed shy of small ones on unseen scenes (README, "Issue 21").
Half of them cast a shadow first, and every hard shadow (CDnet 50, the synthetic scenes' too) is
labelled background, as CDnet scores it: left out of the loss, shadows were called foreground.
``--validate`` leaves some training scenes out of everything (training, cutouts, backgrounds, the
threshold) and scores them after, so two runs can be compared without the held-out sequences;
``--ema`` ships an exponential moving average of the weights (``--ema-start`` begins it late), and
``--keep-last`` exports the last step's weights of the same run beside it, so the two are compared
free of the seed's noise;
``--spread`` makes the BMN's last three channels the references' per-colour standard deviation;
``--ensemble DIR DIR`` trains nothing and writes finished runs as one pair of files that averages
their probabilities (:class:`EnsembleBMN`, :class:`EnsembleBSN`); ``--init DIR`` starts from a finished
run's weights and ``--teacher DIR DIR`` adds the runs' mean probability as soft targets
(:func:`step_loss`), so one pair can learn what such an ensemble knows at one pair's cost.
The decision threshold is then chosen on the training scenes, and quality measured
through bgapp's own evaluation (``bgapp eval``'s code) on the sequences directly under
``../shared/data``, none of which training reads. Given ``--readme``, the README's model-card
block is rewritten from the new card (:mod:`bgapp.modelcard`).

Needs the ``train`` extra (``torch==2.13.0+cpu`` and ``onnx``: requirements-train.txt).
Everything random draws from ``--seed`` (numpy's generator and torch's); with the same versions and
thread count a rerun should rebuild the same weights (not checked bit for bit: a full run is an hour).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bgapp import bmn_bsn  # noqa: E402
from bgapp.sequences import Sequence, find_sequences  # noqa: E402
from bgapp.standalone import median_image  # noqa: E402
from bgapp.synthetic import SyntheticScene  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
W, H = bmn_bsn.NET_SIZE
FW, FH = bmn_bsn.FINE_SIZE  # clips, crops and labels are kept at this size; the U-Nets see them halved
IGNORE = 2  # label of pixels left out of the loss (CDnet 50, 85, 170 and outside the ROI)
# the sequences the card reports on: never read by training
HELD_OUT = ("cdnet/baseline/highway", "sbi/Board", "sbi/Foliage", "sbi/IBMtest2", "ucsd/boats", "ucsd/ocean",
            "ucsd/peds")
BASELINES = ("mog2", "knn", "median")


# -- networks --------------------------------------------------------------------------------------

def block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(inplace=True),
                         nn.Conv2d(cout, cout, 3, padding=1), nn.ReLU(inplace=True))


class UNet(nn.Module):
    """Ronneberger's U-Net, small: ``levels`` poolings, ``k`` channels at the first level, doubled
    per level; 2x2 max-pool down, 2x2 up-convolution and skip concatenation up."""

    def __init__(self, cin: int, cout: int, k: int, levels: int = 3) -> None:
        super().__init__()
        w = [k * 2**i for i in range(levels + 1)]
        self.enc = nn.ModuleList([block(cin if i == 0 else w[i - 1], w[i]) for i in range(levels)])
        self.mid = block(w[levels - 1], w[levels])
        self.up = nn.ModuleList([nn.ConvTranspose2d(w[i + 1], w[i], 2, stride=2) for i in reversed(range(levels))])
        self.dec = nn.ModuleList([block(2 * w[i], w[i]) for i in reversed(range(levels))])
        self.out = nn.Conv2d(w[0], cout, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for enc in self.enc:
            x = enc(x)
            skips.append(x)
            x = F.max_pool2d(x, 2)
        x = self.mid(x)
        for up, dec in zip(self.up, self.dec):
            x = dec(torch.cat([up(x), skips.pop()], 1))
        return self.out(x)


SPREAD_CHANNELS = 3  # with --spread: one per colour
SPREAD_GAIN = 4.0  # a standard deviation of 0.25 (in [0, 1] units) becomes 1, the scale of the other inputs


class SpreadBMN(nn.Module):
    """A modeler whose background model ends with the references' per-pixel spread, given rather than
    learned: a U-Net makes the first ``M_CHANNELS - 3`` channels, the last three are each colour's
    standard deviation over the references (times ``SPREAD_GAIN``). A variance is what GMM and SuBSENSE
    set each pixel's tolerance from, and a few convolutions and ReLUs approximate squares and roots
    poorly; most of the model's errors on the validation scenes are false alarms (README). The channel
    count, so bgapp's engine, is unchanged. Built from 1x1 convolutions with fixed weights, so
    OpenCV's DNN module reads it as any other layer."""

    def __init__(self, k: int) -> None:
        super().__init__()
        self.unet = UNet(3 * bmn_bsn.N_REF, bmn_bsn.M_CHANNELS - SPREAD_CHANNELS, k)
        mean = torch.zeros(SPREAD_CHANNELS, 3 * bmn_bsn.N_REF, 1, 1)
        for c in range(SPREAD_CHANNELS):
            mean[c, c::3] = 1.0 / bmn_bsn.N_REF
        self.register_buffer("mean", mean)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mu = F.conv2d(x, self.mean)
        var = F.relu(F.conv2d(x * x, self.mean) - mu * mu)
        return torch.cat([self.unet(x), SPREAD_GAIN * torch.sqrt(var + 1e-6)], 1)


class BSN(nn.Module):
    """The subtractor: a U-Net at the networks' size on [model, median, frame] gives a logit map; upsampled
    bilinearly to twice that size, it is corrected from itself and the frame's absolute difference from
    the median at that size by two convolutions (``hidden`` units between): pixel by pixel where
    ``kernel`` is 1; with 3, each pixel also sees its neighbours, so a halo the coarse map spreads
    around a small object can be trimmed where the difference beside it is small. ``forward`` gives the
    probability (what is exported); :meth:`logits` both logit maps (what training scores)."""

    def __init__(self, k: int, hidden: int = 16, kernel: int = 1) -> None:
        super().__init__()
        self.unet = UNet(bmn_bsn.M_CHANNELS + 6, 1, k)
        pad = kernel // 2
        self.refine = nn.Sequential(nn.Conv2d(4, hidden, kernel, padding=pad), nn.ReLU(inplace=True),
                                    nn.Conv2d(hidden, 1, kernel, padding=pad))
        nn.init.zeros_(self.refine[2].weight)  # it starts as the upsampled U-Net's answer
        nn.init.zeros_(self.refine[2].bias)

    def logits(self, coarse: torch.Tensor, full: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        c = self.unet(coarse)
        up = F.interpolate(c, scale_factor=2.0, mode="bilinear", align_corners=False)
        diff = torch.abs(full[:, :3] - full[:, 3:])
        return up + self.refine(torch.cat([up, diff], 1)), c

    def forward(self, coarse: torch.Tensor, full: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.logits(coarse, full)[0])


class EnsembleBMN(nn.Module):
    """Several trained modelers as one: their background models side by side, ``M_CHANNELS`` each, in
    the members' order (what :class:`EnsembleBSN` splits again)."""

    def __init__(self, members: list[nn.Module]) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([m(x) for m in self.members], 1)


class EnsembleBSN(nn.Module):
    """Several trained subtractors as one: the mean of their probabilities, each member reading its own
    ``M_CHANNELS`` of the ensemble's background model and the shared median and frame. Exported as one
    pair of files with :class:`EnsembleBMN`, bgapp's engine runs an ensemble as it runs one pair. Runs
    trained alike from different seeds disagree where one run's luck decides (a seed moved a water
    clip's F by 0.3: README), and their mean keeps what they agree on."""

    def __init__(self, members: list[BSN]) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)

    def forward(self, coarse: torch.Tensor, full: torch.Tensor) -> torch.Tensor:
        m, n = bmn_bsn.M_CHANNELS, len(self.members)
        shared = coarse[:, n * m:]
        probs = [bsn(torch.cat([coarse[:, i * m:(i + 1) * m], shared], 1), full) for i, bsn in enumerate(self.members)]
        return torch.stack(probs).mean(0)


def load_pair(folder: Path) -> tuple[nn.Module, BSN]:
    """The BMN and BSN a run wrote to ``folder``, back as torch modules: the ONNX files' initialisers
    carry the modules' state names and tensors (how :func:`export` writes them). Runs with ``--spread``
    (fixed layers the export folds) and ensembles are refused."""
    from onnx import load, numpy_helper

    net = bmn_bsn.card(folder).get("networks", {})
    if net.get("members") or net.get("bmn", {}).get("spread"):
        raise SystemExit(f"error: {folder} holds an ensemble or a --spread run; give plain runs")
    states = []
    for name in (bmn_bsn.BMN_FILE, bmn_bsn.BSN_FILE):
        try:
            graph = load(str(folder / name)).graph
        except OSError as e:
            raise SystemExit(f"error: {folder / name}: {e.strerror or e}") from None
        states.append({i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in graph.initializer})
    bmn = UNet(3 * bmn_bsn.N_REF, bmn_bsn.M_CHANNELS, int(states[0]["enc.0.0.weight"].shape[0]))
    bsn = BSN(int(states[1]["unet.enc.0.0.weight"].shape[0]), kernel=int(states[1]["refine.0.weight"].shape[-1]))
    bmn.load_state_dict(states[0])
    bsn.load_state_dict(states[1])
    return bmn, bsn


# -- data ------------------------------------------------------------------------------------------

@dataclass
class Clip:
    """One scene at the networks' size: frames, labels (0 bg, 1 fg, 2 ignored) and scored frames."""

    name: str
    frames: np.ndarray  # T x H x W x 3 uint8
    labels: np.ndarray  # T x H x W uint8
    scored: np.ndarray  # indices with ground truth


def labels_of(gt: np.ndarray | None, roi: np.ndarray | None) -> np.ndarray:
    """CDnet levels at ``FINE_SIZE`` as 0/1/IGNORE (nearest neighbour keeps labels labels). A hard
    shadow (50) is background, as CDnet scores it: foreground there is a false positive."""
    if gt is None:
        return np.full((FH, FW), IGNORE, np.uint8)
    out = np.full(gt.shape, IGNORE, np.uint8)
    out[(gt == 0) | (gt == 50)] = 0
    out[gt == 255] = 1
    if roi is not None:
        out[roi == 0] = IGNORE
    return cv2.resize(out, (FW, FH), interpolation=cv2.INTER_NEAREST)


def fine(frame: np.ndarray) -> np.ndarray:
    """A frame at ``FINE_SIZE``, as the method keeps its samples and frames."""
    return cv2.resize(frame, (FW, FH), interpolation=cv2.INTER_AREA)


def training_scenes(root: Path, leave_out: tuple[str, ...] = ()) -> list[Sequence]:
    """The scenes under ``root`` (``../shared/data/train``) that training and calibration read: all but
    ``leave_out`` (``category/name``, the validation scenes); a name that is not there is an error."""
    seqs = find_sequences(root)
    missing = set(leave_out) - {f"{s.category}/{s.name}" for s in seqs}
    if missing:
        raise SystemExit(f"--validate: no training scene {', '.join(sorted(missing))} under {root}")
    return [s for s in seqs if f"{s.category}/{s.name}" not in leave_out]


def real_clips(root: Path, limit: int | None = None, leave_out: tuple[str, ...] = ()) -> list[Clip]:
    """The training scenes under ``root`` (``../shared/data/train``) but ``leave_out``: every frame, at
    320x240."""
    clips = []
    for seq in training_scenes(root, leave_out)[:limit]:
        frames, labels, scored = [], [], []
        for i, (frame, gt, is_scored) in enumerate(seq.pairs()):
            frames.append(fine(frame))
            labels.append(labels_of(gt, seq.roi))
            if is_scored:
                scored.append(i)
        clips.append(Clip(f"{seq.category}/{seq.name}", np.stack(frames), np.stack(labels), np.array(scored)))
    return clips


SYNTHETIC_KINDS = ({}, {"dynamic": "vegetation"}, {"dynamic": "water"}, {"jitter": 1.5}, {"light_steps": 3},
                   {"stops": True}, {"dynamic": "vegetation", "jitter": 1.0, "light_steps": 2},
                   {"dynamic": "water", "stops": True})


def synthetic_clips(n: int, rng: np.random.Generator, backgrounds: list[np.ndarray], frames: int = 160) -> list[Clip]:
    """``n`` generated scenes cycling through the cases the real data lacks; every other one is set
    in a real training scene's background (its median) instead of the demo room."""
    clips = []
    for k in range(n):
        opts = dict(SYNTHETIC_KINDS[k % len(SYNTHETIC_KINDS)])
        bg = backgrounds[int(rng.integers(len(backgrounds)))] if backgrounds and k % 2 else None
        scene = SyntheticScene(FW, FH, frames, seed=int(rng.integers(1 << 30)), noise_sigma=float(rng.uniform(1, 6)),
                               drift=float(rng.uniform(0, 0.1)), warmup=int(rng.integers(0, 30)), background=bg,
                               **opts)
        gt = [scene.ground_truth(i) for i in range(frames)]
        clips.append(Clip(f"synthetic/{k}", np.stack([scene.frame(i) for i in range(frames)]),
                          np.stack([labels_of(g, None) for g in gt]), np.array(scene.scored_indices)))
    return clips


@dataclass
class Cutout:
    """One labelled object cut from a real training frame: its pixels and its mask."""

    pixels: np.ndarray  # h x w x 3 uint8
    mask: np.ndarray  # h x w bool


def cutouts(clips: list[Clip], rng: np.random.Generator, limit: int = 800, min_area: int = 40) -> list[Cutout]:
    """Up to ``limit`` objects (8-connected foreground blobs of at least ``min_area`` pixels, no larger
    than a quarter of the frame, clear of ignored pixels) from the real clips' labelled frames."""
    found = []
    for c in clips:
        if c.name.startswith("synthetic/"):
            continue
        for i in c.scored[:: max(1, len(c.scored) // 40)]:
            fg = (c.labels[i] == 1).astype(np.uint8)
            n, cc, stats, _ = cv2.connectedComponentsWithStats(fg, connectivity=8)
            for j in range(1, n):
                x, y, w, h, area = (int(v) for v in stats[j])
                box = (slice(y, y + h), slice(x, x + w))
                if area < min_area or w > FW // 2 or h > FH // 2:
                    continue
                if (c.labels[i][max(0, y - 1):y + h + 1, max(0, x - 1):x + w + 1] == IGNORE).any():
                    continue  # a shadow or an unlabelled rim next to it: the cut would carry it
                found.append(Cutout(c.frames[i][box].copy(), cc[box] == j))
    keep = rng.permutation(len(found))[:limit]
    return [found[k] for k in sorted(keep)]


def cast_shadow(img: np.ndarray, mask: np.ndarray, y: int, x: int, rng: np.random.Generator) -> None:
    """Darken ``img`` in place (to 0.4-0.75 of its light, edges softened) under the silhouette ``mask``
    laid on the ground from its bottom row at (``y``, ``x``): flattened to 20-60% and sheared to either
    side, as a low light throws it. Labels are left as they are: a cast shadow is background."""
    h, w = mask.shape
    ky, shear = float(rng.uniform(0.2, 0.6)), float(rng.uniform(-0.8, 0.8))
    out_w, out_h = int(w + abs(shear) * h) + 2, int(ky * h) + 2
    left = int(min(0.0, shear) * h)  # a shadow sheared left starts left of the object
    warp = np.array([[1, -shear, shear * h - left], [0, -ky, ky * h]], np.float32)
    shade = cv2.warpAffine(mask.astype(np.float32), warp, (out_w, out_h), flags=cv2.INTER_LINEAR)
    shade = cv2.GaussianBlur(shade, (0, 0), float(rng.uniform(0.5, 2.0)))
    top, x0 = y + h - 1, x + left
    ys, xs = slice(max(0, top), min(img.shape[0], top + out_h)), slice(max(0, x0), min(img.shape[1], x0 + out_w))
    if ys.stop <= ys.start or xs.stop <= xs.start:
        return
    cut = shade[ys.start - top:ys.stop - top, xs.start - x0:xs.stop - x0, None]
    dark = float(rng.uniform(0.4, 0.75))
    region = img[ys, xs].astype(np.float32)
    img[ys, xs] = np.clip(region * (1 - (1 - dark) * cut), 0, 255).astype(np.uint8)


def placed(objects: list[Cutout], shape: tuple[int, ...], rng: np.random.Generator, negative: float = 0.0
           ) -> tuple[np.ndarray, np.ndarray, int, int] | None:
    """One random object of ``objects`` scaled 0.4-1.2, as its photographic negative with chance
    ``negative``, relit 0.7-1.3, at a random place in a window of ``shape``: its pixels (uint8), mask
    and top-left corner; None where it came out too large for the window."""
    o = objects[int(rng.integers(len(objects)))]
    s = float(rng.uniform(0.4, 1.2))
    h, w = max(2, round(o.mask.shape[0] * s)), max(2, round(o.mask.shape[1] * s))
    if h >= shape[0] or w >= shape[1]:
        return None
    pix = cv2.resize(o.pixels, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32)
    if negative and rng.random() < negative:  # drawn only when asked: runs without it replay as before
        pix = 255 - pix
    pix *= rng.uniform(0.7, 1.3)
    mask = cv2.resize(o.mask.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST).astype(bool)
    y, x = int(rng.integers(0, shape[0] - h + 1)), int(rng.integers(0, shape[1] - w + 1))
    return np.clip(pix, 0, 255).astype(np.uint8), mask, y, x


def lay(img: np.ndarray, lab: np.ndarray | None, pix: np.ndarray, mask: np.ndarray, y: int, x: int) -> None:
    """Put ``pix`` where ``mask`` is set, its top-left corner at (``y``, ``x``), into ``img`` (and mark it
    foreground in ``lab``), in place."""
    h, w = mask.shape
    img[y:y + h, x:x + w][mask] = pix[mask]
    if lab is not None:
        lab[y:y + h, x:x + w][mask] = 1


def paste(img: np.ndarray, lab: np.ndarray, objects: list[Cutout], rng: np.random.Generator,
          shadows: float = 0.0, negative: float = 0.0) -> None:
    """Paste one or two random ``objects`` (:func:`placed`) into the window ``img`` and mark them
    foreground in ``lab``, in place: something the references never saw, on any background, at sizes
    down to a few pixels. With chance ``shadows`` an object first casts a shadow (:func:`cast_shadow`)
    that stays background in ``lab``. With chance ``negative`` an object is pasted as its photographic
    negative: the real scenes' objects are mostly darker than their ground, and a model fitted to them
    can learn to miss bright ones (it did on water: README)."""
    for _ in range(int(rng.integers(1, 3))):
        obj = placed(objects, img.shape, rng, negative)
        if obj is None:
            continue
        if rng.random() < shadows:
            cast_shadow(img, obj[1], obj[2], obj[3], rng)
        lay(img, lab, *obj)


def lingering(obj: tuple[np.ndarray, np.ndarray, int, int], shape: tuple[int, ...], rng: np.random.Generator
              ) -> tuple[np.ndarray, np.ndarray, int, int]:
    """``obj`` (:func:`placed`) shifted by up to 2 pixels each way, kept inside a window of ``shape``: an
    object that stays a while is seldom perfectly still (a person standing, a moored boat)."""
    pix, mask, y, x = obj
    h, w = mask.shape
    dy, dx = (int(v) for v in rng.integers(-2, 3, 2))
    return pix, mask, min(max(0, y + dy), shape[0] - h), min(max(0, x + dx), shape[1] - w)


def batch(clips: list[Clip], rng: np.random.Generator, scenes: int, targets: int, crop: int,
          real_share: float | None = None, grey: float = 0.0, objects: list[Cutout] | None = None,
          pasted: float = 0.0, shadows: float = 0.0, negative: float = 0.0,
          negative_objects: float = 0.0, linger: float = 0.0
          ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """``scenes`` random scenes, each with its reference stack (3*N_REF channels), the references'
    per-pixel median (as the method takes it: :func:`bgapp.standalone.median_image`) and ``targets``
    target frames and labels, cut to one random ``crop`` x ``crop`` window per scene at ``FINE_SIZE``
    (even offsets: halving keeps the pixel grid the method's resize gives).

    References are 2..N_REF frames spread across the clip with random offsets, repeated to fill
    the N_REF inputs as the method does; the light of a target may differ a little from its
    references' (the network must not call a global change foreground).

    ``real_share``: the chance a scene is drawn from the real clips (the rest from the synthetic
    ones); None draws uniformly from all. ``grey``: the chance a scene is turned grey (as UCSD's are).
    ``pasted``: the chance a target gets one or two of ``objects`` pasted in (:func:`paste`), each
    casting a shadow with chance ``shadows`` and pasted as its negative with chance ``negative_objects``.
    ``negative``: the chance a scene's references, median and targets all become their photographic
    negative (1 - x), labels kept: in the real training scenes most foreground is darker than the
    background (measured: README), and the model learns that polarity as a cue; tried, this took the cue
    away everywhere and fitted worse (README). ``linger``: the chance a scene gets one of ``objects``
    at one place (shifting by up to 2 pixels, :func:`lingering`) in all its targets, labelled
    foreground, and in 1 to n-1 of its n distinct references: an object that stays a while, which the
    references (and their median, where it is in most of them) also hold."""
    real = [c for c in clips if not c.name.startswith("synthetic/")]
    synth = [c for c in clips if c.name.startswith("synthetic/")]
    refs, meds, tgts, labs = [], [], [], []
    for _ in range(scenes):
        pool = clips if real_share is None or not real or not synth else real if rng.random() < real_share else synth
        c = pool[int(rng.integers(len(pool)))]
        to_grey = rng.random() < grey
        invert = bool(negative) and rng.random() < negative  # drawn only when asked: old runs replay
        t = len(c.frames)
        n = int(rng.integers(2, bmn_bsn.N_REF + 1))
        idx = np.clip((np.linspace(0, t, n, endpoint=False) + rng.uniform(0, t / n, n)).astype(int), 0, t - 1)
        which = rng.choice(c.scored, targets)
        y0, x0 = 2 * int(rng.integers(0, (FH - crop) // 2 + 1)), 2 * int(rng.integers(0, (FW - crop) // 2 + 1))
        win = (slice(y0, y0 + crop), slice(x0, x0 + crop))
        window = {i: c.frames[i][win] for i in sorted(set(idx.tolist()))}
        still = None
        if linger and objects and len(window) > 1 and rng.random() < linger:  # drawn only when asked
            still = placed(objects, (crop, crop), rng)
            if still is not None:
                for i in rng.choice(list(window), int(rng.integers(1, len(window))), replace=False):
                    window[i] = window[i].copy()
                    lay(window[i], None, *lingering(still, window[i].shape, rng))
        flip = rng.random() < 0.5
        gain = rng.uniform(0.7, 1.3)

        def prep(img: np.ndarray, g: float, flip: bool = flip, to_grey: bool = to_grey,
                 invert: bool = invert) -> np.ndarray:
            out = img.astype(np.float32) * np.float32(g / 255)
            if to_grey:
                out = np.repeat(out.mean(axis=2, keepdims=True), 3, axis=2)
            out = np.clip(out[:, ::-1] if flip else out, 0, 1)
            return 1 - out if invert else out

        refs.append(np.concatenate([prep(window[i], gain) for i in bmn_bsn.reference_slots(list(idx))], axis=2))
        meds.append(prep(median_image([window[i] for i in idx]), gain))
        for i in which:
            img, lab = c.frames[i][win], c.labels[i][win]
            if still is not None:
                img, lab = img.copy(), lab.copy()
                lay(img, lab, *lingering(still, img.shape, rng))
            if objects and rng.random() < pasted:
                img, lab = img.copy(), lab.copy()
                paste(img, lab, objects, rng, shadows, negative_objects)
            tgts.append(prep(img, gain * rng.uniform(0.92, 1.08)))
            labs.append(lab[:, ::-1] if flip else lab)

    def chw(a: list[np.ndarray]) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(np.stack(a).transpose(0, 3, 1, 2)))

    return chw(refs), chw(meds), chw(tgts), torch.from_numpy(np.ascontiguousarray(np.stack(labs)))


# -- training ----------------------------------------------------------------------------------------

def inputs(model: torch.Tensor, med: torch.Tensor, tgts: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The BSN's two inputs, as :func:`bgapp.standalone.bmn_bsn_probability` builds them: [model,
    median, frame] halved (a 2x2 mean, what INTER_AREA gives) and [frame, median] at full size."""
    return torch.cat([model, F.avg_pool2d(med, 2), F.avg_pool2d(tgts, 2)], 1), torch.cat([tgts, med], 1)


def ce(logits: torch.Tensor, labs: torch.Tensor) -> torch.Tensor:
    keep = labs != IGNORE
    return F.binary_cross_entropy_with_logits(logits[keep], labs[keep].float())


def answer(bmn: nn.Module, refs: torch.Tensor, med: torch.Tensor,
           tgts: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The BSN's two inputs for every target, each scene's background model made once by ``bmn`` and
    shared by its targets (``tgts`` holds the same number for each scene, in scene order)."""
    t = tgts.shape[0] // refs.shape[0]
    model = bmn(F.avg_pool2d(refs, 2)).repeat_interleave(t, 0)
    return inputs(model, med.repeat_interleave(t, 0), tgts)


def step_loss(bmn: nn.Module, bsn: BSN, refs: torch.Tensor, med: torch.Tensor, tgts: torch.Tensor,
              labs: torch.Tensor, teacher: tuple[nn.Module, nn.Module] | None = None,
              distil: float = 1.0) -> torch.Tensor:
    """Cross-entropy of the BSN's full-size answer on the targets' labelled pixels, plus half that of
    its U-Net's (so the U-Net's map stays a probability the last stage can lean on); one BMN pass per
    scene serves its targets (the background model itself has no loss).

    With a ``teacher`` (a BMN and BSN, e.g. an ensemble's), plus ``distil`` times the cross-entropy of
    the full-size answer against the teacher's probability on every pixel: soft targets carry what the
    teacher is unsure of (water, shadows' edges) and cover the pixels the labels leave out."""
    full, coarse = bsn.logits(*answer(bmn, refs, med, tgts))
    loss = ce(full[:, 0], labs) + 0.5 * ce(coarse[:, 0], labs[:, ::2, ::2])
    if teacher is None:
        return loss
    with torch.no_grad():
        soft = teacher[1](*answer(teacher[0], refs, med, tgts))
    return loss + distil * F.binary_cross_entropy_with_logits(full, soft)


def started_from(folder: Path) -> dict:
    """What a card records of a run another one starts from or learns from: its seed, length, time and
    threshold, and where it started itself, so a continued run's whole training can be read back."""
    card = bmn_bsn.card(folder)
    t = card.get("training", {})
    return {**{k: t[k] for k in ("seed", "steps", "train_seconds", "init") if k in t},
            "threshold": card.get("threshold")}


def ensemble_of(folders: list[Path]) -> tuple[EnsembleBMN, EnsembleBSN]:
    """The runs in ``folders`` as one pair, the mean of their probabilities, fixed (eval, no grad): what
    ``--ensemble`` exports and what ``--teacher`` learns from."""
    pairs = [load_pair(f) for f in folders]
    nets = EnsembleBMN([p[0] for p in pairs]), EnsembleBSN([p[1] for p in pairs])
    for net in nets:
        net.eval().requires_grad_(False)
    return nets


class Averages:
    """Exponential moving averages of the networks' weights (decay ``decay`` a step), begun at step
    ``start``: steps before it weigh nothing, since the average's first update copies the weights
    (AveragedModel's rule). Begun at step 0 on a short run, the early, poor weights keep a large share
    (0.999 a step over 2,000 steps leaves 13% on the first step's); begun late, only the settled ones count."""

    def __init__(self, nets: tuple[nn.Module, ...], decay: float, start: int = 0) -> None:
        self.nets, self.start = nets, start
        self.averages = [AveragedModel(net, multi_avg_fn=get_ema_multi_avg_fn(decay)) for net in nets]

    def update(self, step: int) -> None:
        """After optimiser step ``step`` (from 0)."""
        if step >= self.start:
            for avg, net in zip(self.averages, self.nets):
                avg.update_parameters(net)

    def modules(self) -> list[nn.Module]:
        """The averaged networks, in the order given."""
        return [a.module for a in self.averages]


# -- export and evaluation ---------------------------------------------------------------------------

def export(bmn: nn.Module, bsn: nn.Module, out: Path, members: int = 1) -> None:
    """Both networks as ONNX (opset 17, as cv2.dnn reads it): the BMN at the networks' size; the BSN
    with its two inputs, ``coarse`` at that size and ``fine`` at twice it, giving probabilities.
    ``members``: how many pairs an ensemble holds (its model has ``M_CHANNELS`` channels for each)."""
    out.mkdir(parents=True, exist_ok=True)
    bmn.eval()
    bsn.eval()
    coarse = (1, members * bmn_bsn.M_CHANNELS + 6, H, W)
    torch.onnx.export(bmn, (torch.zeros(1, 3 * bmn_bsn.N_REF, H, W),), str(out / bmn_bsn.BMN_FILE), opset_version=17,
                      dynamo=False, input_names=["input"], output_names=["output"])
    torch.onnx.export(bsn, (torch.zeros(*coarse), torch.zeros(1, 6, FH, FW)),
                      str(out / bmn_bsn.BSN_FILE), opset_version=17, dynamo=False, input_names=["coarse", "fine"],
                      output_names=["output"])
    check_export(bmn, out / bmn_bsn.BMN_FILE, {"input": (1, 3 * bmn_bsn.N_REF, H, W)})
    check_export(bsn, out / bmn_bsn.BSN_FILE, {"coarse": coarse, "fine": (1, 6, FH, FW)})


def check_export(net: nn.Module, path: Path, shapes: dict[str, tuple[int, ...]]) -> None:
    """Fail loudly unless OpenCV's DNN module reads the exported network as torch runs it (the BSN's
    upsampling and two inputs, the BMN's fixed spread layers are where an importer could differ):
    random inputs of ``shapes`` (by input name, in the order ``net`` takes them), outputs within 1e-4."""
    gen = torch.Generator().manual_seed(0)
    args = {name: torch.rand(*shape, generator=gen) for name, shape in shapes.items()}
    with torch.no_grad():
        want = net(*args.values()).numpy()
    dnn = cv2.dnn.readNetFromONNX(str(path))
    for name, value in args.items():
        dnn.setInput(value.numpy(), name)
    gap = float(np.abs(dnn.forward() - want).max())
    if gap > 1e-4:
        raise SystemExit(f"error: OpenCV reads the exported {path.name} differently from torch (max gap {gap:.2g})")


THRESHOLDS = (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7)


def calibrate(out: Path, data: Path, quick: bool, leave_out: tuple[str, ...] = ()) -> None:
    """Choose the decision threshold the card ships (the method's default): the one with the best mean
    F-measure over the *training* scenes, through bgapp's evaluation; the validation scenes
    (``leave_out``) and the held-out ones play no part.

    Plain cross-entropy on frames that are mostly background leaves the probabilities shy of 0.5 on
    objects the networks are unsure of, so the best threshold is usually below 0.5."""
    from bgapp.config import Config
    from bgapp.distributed import evaluate_grid

    os.environ[bmn_bsn.MODELS_ENV] = str(out)
    specs = [s.path for s in training_scenes(data / "train", leave_out)][: 1 if quick else None]
    card = json.loads((out / bmn_bsn.CARD_FILE).read_text())
    if not specs:
        card["threshold"] = 0.5
    else:
        runs = evaluate_grid(specs, [Config("bmn_bsn", {"threshold": t}) for t in THRESHOLDS], workers=2)
        means = {t: float(np.mean([r.counts.f_measure for r in results])) for t, results in zip(THRESHOLDS, runs)}
        card["threshold"] = max(means, key=lambda t: means[t])
        card["calibration"] = {"scenes": len(specs), "mean_f_by_threshold": {str(t): f for t, f in means.items()}}
        print("threshold " + "  ".join(f"{t}: {f:.3f}" for t, f in means.items()) + f" -> {card['threshold']}",
              flush=True)
    write_card(out, card)


Known = dict[tuple[str, tuple[str, ...]], dict[str, float]]  # a baseline's scores by (method, sequences)


def evaluate(out: Path, specs: list[str], methods: tuple[str, ...], known: Known | None = None
             ) -> dict[str, dict[str, float]]:
    """F-measure (CDnet rules, post-processing at its defaults, as ``bgapp eval``) of each method at
    its defaults on each held-out sequence; ``bmn_bsn`` runs the files just written to ``out``, at
    the threshold its card says (its default where those files are the ones in use). The baselines
    do not depend on ``out``: what ``known`` holds is reused, what is measured is added to it."""
    os.environ[bmn_bsn.MODELS_ENV] = str(out)
    from bgapp.config import Config
    from bgapp.distributed import evaluate_many

    threshold = bmn_bsn.card(out)["threshold"]
    scores: dict[str, dict[str, float]] = {}
    for m in methods:
        key = (m, tuple(specs))
        if m != "bmn_bsn" and known is not None and key in known:
            named = known[key]
        else:
            results = evaluate_many(specs, Config(m, {"threshold": threshold} if m == "bmn_bsn" else {}), workers=1)
            named = {f"{r.category}/{r.name}": float(r.counts.f_measure) for r in results}
            named["mean"] = float(np.mean(list(named.values())))
            if m != "bmn_bsn" and known is not None:
                known[key] = named
        scores[m] = named
        print(f"  {m:8s} mean F {named['mean']:.3f}  " + "  ".join(f"{k}: {v:.3f}" for k, v in named.items()
                                                                    if k != "mean"), flush=True)
    return scores


def validate(out: Path, data: Path, scenes: tuple[str, ...], known: Known | None = None) -> None:
    """Add the validation scenes' F-measures to the card in ``out``: training scenes left out of
    training and calibration, so runs can be compared, and one chosen, without the held-out data."""
    if not scenes:
        return
    card = json.loads((out / bmn_bsn.CARD_FILE).read_text())
    print("validation scenes (left out of training):", flush=True)
    card["validation"] = evaluate(out, [str(data / "train" / s) for s in scenes], ("bmn_bsn", "median"), known)
    write_card(out, card)


def write_card(out: Path, card: dict) -> None:
    (out / bmn_bsn.CARD_FILE).write_text(json.dumps(card, indent=1) + "\n")


def score(out: Path, data: Path, quick: bool, known: Known | None = None) -> None:
    """Add the held-out F-measures to the card in ``out`` (quick: bmn_bsn on one short clip)."""
    if quick:
        specs = [str(data / "ucsd/boats")] if (data / "ucsd/boats").is_dir() else []
    else:
        specs = [str(data / s) for s in HELD_OUT if (data / s).is_dir()]
    card = json.loads((out / bmn_bsn.CARD_FILE).read_text())
    card["evaluation"] = "F-measure, CDnet rules, post-processing at defaults, methods at defaults (bgapp eval)"
    methods = ("bmn_bsn",) if quick else ("bmn_bsn", *BASELINES)
    card["f_measure"] = evaluate(out, specs, methods, known) if specs else {}
    write_card(out, card)


MEMBER_FIELDS = ("seed", "train_seconds", "total_seconds", "loss_first", "loss_last")  # what differs between members


def alike(a: object, b: object) -> bool:
    """Whether two cards' entries say the same, a key one card lacks counting as off (0, empty): cards
    written before an option existed leave it out, and a run that did not use it is the same recipe."""
    if isinstance(a, dict) and isinstance(b, dict):
        return all(alike(a[k], b[k]) if k in a and k in b else not (a.get(k) or b.get(k)) for k in {*a, *b})
    return a == b


def filled(a: dict, b: dict) -> dict:
    """``a`` with the keys only ``b`` has (nested), so an older card reads as a newer one."""
    return {**b, **{k: filled(v, b[k]) if isinstance(v, dict) and isinstance(b.get(k), dict) else v
                    for k, v in a.items()}}


def ensemble_card(cards: list[dict]) -> dict:
    """The card of an ensemble of runs (their cards, in the members' order): the runs' networks, data
    and recipe, which every member must share (:func:`alike`: a mix would not be one recipe to report),
    with each member's seed, times, losses and own threshold under ``training["members"]``; times add
    up, losses are the members' means. Calibration and scores are the ensemble's own, measured after."""
    def recipe(c: dict) -> dict:
        return {k: v for k, v in c["training"].items() if k not in MEMBER_FIELDS}

    first = cards[0]
    for c in cards[1:]:
        if not (alike(recipe(c), recipe(first)) and alike(c["networks"], first["networks"])
                and alike(c["data"], first["data"])):
            raise SystemExit("--ensemble: the runs were not trained alike (their networks, recipe or data differ)")
        first = filled(first, c)
    members = [{**{k: c["training"][k] for k in MEMBER_FIELDS}, "threshold": c.get("threshold")} for c in cards]
    training = {**first["training"], "members": members,
                "train_seconds": sum(m["train_seconds"] for m in members),
                "total_seconds": sum(m["total_seconds"] for m in members),
                "loss_first": float(np.mean([m["loss_first"] for m in members])),
                "loss_last": float(np.mean([m["loss_last"] for m in members]))}
    del training["seed"]
    return {"model": first["model"], "networks": {**first["networks"], "members": len(cards)},
            "combine": "mean of the members' probabilities", "training": training, "data": first["data"],
            "held_out": first["held_out"]}


def make_ensemble(folders: list[Path], out: Path) -> tuple[str, ...]:
    """Write the ensemble of the runs in ``folders`` to ``out`` as one pair of ONNX files and its card
    (uncalibrated); returns the validation scenes the runs left out."""
    cards = [bmn_bsn.card(f) for f in folders]
    if not all(cards):
        raise SystemExit(f"--ensemble: no card in {', '.join(str(f) for f, c in zip(folders, cards) if not c)}")
    card = ensemble_card(cards)
    export(*ensemble_of(folders), out, members=len(folders))
    write_card(out, card)
    print(f"ensemble of {len(folders)} runs ({', '.join(str(f) for f in folders)}) written to {out}", flush=True)
    return tuple(card["data"].get("validation", []))


def finish(args: argparse.Namespace, outs: list[Path], leave_out: tuple[str, ...]) -> None:
    """Calibrate, validate and score (unless ``--no-held-out``) each of ``outs``, then ``--readme``."""
    started = time.time()
    known: Known = {}  # the baselines, measured for the first of outs only
    for out in outs:
        calibrate(out, args.data, args.quick, leave_out)
        validate(out, args.data, leave_out, known)
        if not args.no_held_out:
            score(out, args.data, args.quick, known)
        print(f"wrote {out}: {bmn_bsn.BMN_FILE}, {bmn_bsn.BSN_FILE}, {bmn_bsn.CARD_FILE} "
              f"(calibrated and scored in {time.time() - started:.0f} s)", flush=True)
    readme(args)


def readme(args: argparse.Namespace) -> None:
    """With ``--readme``: that README's model-card block rewritten from the card in ``--out``."""
    if args.readme is not None:
        from bgapp import modelcard

        text = modelcard.rewrite(args.readme.read_text(), bmn_bsn.card(args.out))
        args.readme.write_text(text)
        print(f"rewrote the model card's block in {args.readme}", flush=True)


# -- main ------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "bgapp" / "models", help="where the ONNX files and card go")
    ap.add_argument("--data", type=Path, default=DATA, help="the shared data folder (train/ inside it)")
    ap.add_argument("--steps", type=int, default=None, help="optimiser steps (default 6000, --quick 60)")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--quick", action="store_true", help="a few minutes: little data, few steps, one held-out clip")
    ap.add_argument("--bmn-k", type=int, default=16)
    ap.add_argument("--bsn-k", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--real-share", type=float, default=0.5,
                    help="chance a batch scene is a real clip rather than a synthetic one")
    ap.add_argument("--grey", type=float, default=0.3, help="chance a batch scene is turned grey")
    ap.add_argument("--paste", type=float, default=0.5,
                    help="chance a target gets objects cut from the real training frames pasted in")
    ap.add_argument("--shadows", type=float, default=0.5,
                    help="chance a pasted object casts a shadow (labelled background) on the scene")
    ap.add_argument("--negative", type=float, default=0.0,
                    help="chance a batch scene is turned into its photographic negative (labels kept): most "
                         "objects in the real training scenes are darker than their ground")
    ap.add_argument("--negative-objects", type=float, default=0.0,
                    help="chance a pasted object is pasted as its photographic negative")
    ap.add_argument("--linger", type=float, default=0.0,
                    help="chance a batch scene gets an object that stays a while: pasted at one place into its "
                         "targets (foreground) and into some of its references, which may then hold it")
    ap.add_argument("--spread", action="store_true",
                    help="the modeler's last three channels are each colour's standard deviation over the "
                         "references, given rather than learned (SpreadBMN)")
    ap.add_argument("--refine-kernel", type=int, default=1, choices=(1, 3),
                    help="the subtractor's last stage: 1, pixel by pixel; 3, each pixel with its neighbours")
    ap.add_argument("--ema", type=float, default=0.0, metavar="DECAY",
                    help="ship an exponential moving average of the weights with this decay per step (e.g. "
                         "0.999) instead of the last step's; 0: the last step's")
    ap.add_argument("--ema-start", type=float, default=0.0, metavar="FRACTION",
                    help="with --ema, begin the average at this fraction of the steps (e.g. 0.5: the second half)")
    ap.add_argument("--keep-last", type=Path, default=None, metavar="DIR",
                    help="with --ema, also export the last step's weights to DIR, calibrated, validated and "
                         "scored as --out is: the two compared on one run, free of the seed's noise")
    ap.add_argument("--validate", nargs="+", default=[], metavar="CATEGORY/NAME",
                    help="training scenes to leave out of training and calibration and score after (e.g. "
                         "ucsd/surf ucsd/zodiac): the figure to compare runs on without the held-out data")
    ap.add_argument("--no-held-out", action="store_true",
                    help="leave the held-out sequences unscored (a run made to compare recipes on --validate)")
    ap.add_argument("--readme", type=Path, nargs="?", const=ROOT / "README.md", default=None,
                    help="then rewrite this README's model-card block from the new card (default README.md)")
    ap.add_argument("--ensemble", type=Path, nargs="+", default=[], metavar="DIR",
                    help="instead of training, write to --out the mean of these runs' probabilities (each an --out "
                         "of this script, trained alike from different seeds) as one pair of files, then "
                         "calibrate and score it as a run")
    ap.add_argument("--init", type=Path, default=None, metavar="DIR",
                    help="start from the weights of the run in DIR (its networks' sizes) instead of at random")
    ap.add_argument("--teacher", type=Path, nargs="+", default=[], metavar="DIR",
                    help="also learn the mean probability of these runs (distillation: one pair of files "
                         "learning what an ensemble of them knows)")
    ap.add_argument("--distil", type=float, default=1.0, metavar="WEIGHT",
                    help="with --teacher, the weight of the teacher's cross-entropy beside the labels' (1: equal)")
    ap.add_argument("--lr", type=float, default=1e-3, help="Adam's learning rate at the start (cosine to 2%%)")
    ap.add_argument("--score-only", action="store_true",
                    help="only (re)calibrate the threshold and score the files in --out on the held-out data")
    args = ap.parse_args(argv)
    if args.keep_last and not args.ema:
        ap.error("--keep-last compares the last step's weights with their average: it needs --ema")
    if not 0.0 <= args.ema_start < 1.0:
        ap.error("--ema-start is a fraction of the steps: at least 0, below 1")
    if args.init and args.spread:
        ap.error("--init takes the networks of the run it starts from: leave out --spread")
    leave_out = tuple(args.validate)
    if args.ensemble:
        finish(args, [args.out], make_ensemble(args.ensemble, args.out))
        return 0
    if args.score_only:
        leave_out = leave_out or tuple(bmn_bsn.card(args.out).get("data", {}).get("validation", []))
        finish(args, [args.out], leave_out)
        return 0
    steps = args.steps or (60 if args.quick else 6000)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    cv2.setNumThreads(1)
    rng = np.random.default_rng(args.seed)
    started = time.time()

    train_root = args.data / "train"
    real = real_clips(train_root, limit=1 if args.quick else None, leave_out=leave_out) if train_root.is_dir() else []
    backgrounds = [np.median(c.frames[:: max(1, len(c.frames) // 25)], axis=0).astype(np.uint8) for c in real]
    synth = synthetic_clips(3 if args.quick else 32, rng, backgrounds, frames=80 if args.quick else 160)
    clips = real + synth
    objects = cutouts(real, rng) if args.paste else []
    print(f"data: {len(real)} real training scenes ({sum(len(c.frames) for c in real)} frames), "
          f"{len(synth)} synthetic ({sum(len(c.frames) for c in synth)} frames), {len(objects)} objects to paste, "
          f"{time.time() - started:.0f} s",
          flush=True)

    bmn: nn.Module
    if args.init:
        bmn, bsn = load_pair(args.init)
        args.bmn_k, args.bsn_k = int(bmn.out.in_channels), int(bsn.unet.out.in_channels)
        args.refine_kernel = int(bsn.refine[0].kernel_size[0])
    else:
        bmn = SpreadBMN(args.bmn_k) if args.spread else UNet(3 * bmn_bsn.N_REF, bmn_bsn.M_CHANNELS, args.bmn_k)
        bsn = BSN(args.bsn_k, kernel=args.refine_kernel)
    teacher = ensemble_of(args.teacher) if args.teacher else None
    params = list(bmn.parameters()) + list(bsn.parameters())
    ema_start = round(args.ema_start * steps)
    averages = Averages((bmn, bsn), args.ema, ema_start) if args.ema else None
    opt = torch.optim.Adam(params, lr=args.lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda i: 0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * i / steps)))
    losses: list[float] = []
    t_train = time.time()
    for i in range(steps):
        loss = step_loss(bmn, bsn, *batch(clips, rng, scenes=4, targets=4, crop=192, real_share=args.real_share,
                                          grey=args.grey, objects=objects, pasted=args.paste,
                                          shadows=args.shadows, negative=args.negative,
                                          negative_objects=args.negative_objects, linger=args.linger),
                         teacher, args.distil)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if averages is not None:
            averages.update(i)
        losses.append(loss.item())
        if (i + 1) % max(1, steps // 20) == 0 or i == steps - 1:
            print(f"step {i + 1}/{steps}  loss {np.mean(losses[-50:]):.4f}  {time.time() - t_train:.0f} s", flush=True)
    train_s = time.time() - t_train
    shipped = averages.modules() if averages is not None else [bmn, bsn]
    export(shipped[0], shipped[1], args.out)
    outs = [args.out]
    if averages is not None and args.keep_last:
        export(bmn, bsn, args.keep_last)
        outs.append(args.keep_last)

    n = max(1, len(losses) // 10)
    card = {
        "model": "BMN-BSN (Mondéjar-Guerra et al., BMVC 2019), small CPU variant",
        "networks": {"input_size": [W, H], "fine_size": [FW, FH], "reference_frames": bmn_bsn.N_REF,
                     "model_channels": bmn_bsn.M_CHANNELS,
                     "bmn": {"k": args.bmn_k, "levels": 3, "parameters": sum(p.numel() for p in bmn.parameters()),
                             "spread": SPREAD_CHANNELS if args.spread else 0},
                     "bsn": {"k": args.bsn_k, "levels": 3, "inputs": "model, median, frame; frame, median at fine_size",
                             "refine": f"{args.refine_kernel}x{args.refine_kernel}, 16 hidden, at fine_size",
                             "parameters": sum(p.numel() for p in bsn.parameters())}},
        "training": {"steps": steps, "batch": "4 scenes x 4 targets, 192x192 crops at fine_size",
                     "real_share": args.real_share, "grey": args.grey, "paste": args.paste,
                     "pasted_objects": len(objects), "shadows": args.shadows,
                     "negative": args.negative, "negative_objects": args.negative_objects,
                     **({"linger": args.linger} if args.linger else {}),
                     "shadow_label": "background",
                     "loss": "cross-entropy at fine_size + 0.5 x the U-Net's at input_size"
                             + (f" + {args.distil:g} x cross-entropy against the teacher's probability at fine_size"
                                if args.teacher else ""),
                     "optimiser": f"Adam {np.format_float_scientific(args.lr, trim='-', exp_digits=1)}, cosine",
                     **({"init": started_from(args.init)} if args.init else {}),
                     **({"teacher": [started_from(f) for f in args.teacher], "distil": args.distil}
                        if args.teacher else {}),
                     "ema": args.ema,  # the shipped weights' average's decay per step; 0: the last step's weights
                     "ema_start": ema_start if args.ema else 0,  # the step the average began at
                     "seed": args.seed, "quick": args.quick, "train_seconds": round(train_s),
                     "total_seconds": round(time.time() - started), "threads": args.threads,
                     "machine": f"{platform.machine()}, {os.cpu_count()} cores", "torch": torch.__version__,
                     "loss_first": float(np.mean(losses[:n])), "loss_last": float(np.mean(losses[-n:]))},
        "data": {"real": [c.name for c in real], "real_frames": int(sum(len(c.frames) for c in real)),
                 "validation": list(leave_out),
                 "synthetic_clips": len(synth), "synthetic_kinds": [k or {"plain": True} for k in SYNTHETIC_KINDS]},
        "held_out": list(HELD_OUT),
    }
    for out in outs:
        weights = {"ema": 0.0, "ema_start": 0} if out != args.out else {}
        write_card(out, {**card, "training": {**card["training"], **weights}})
    finish(args, outs, leave_out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
