"""What the learned model's training (``train/bmn_bsn.py``) feeds its networks: labels as CDnet scores
them, augmentations that keep the labels on the pixels they label, short clips that stay short."""

from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pytest

from .conftest import ROOT

pytest.importorskip("torch", reason="training needs the train extra (requirements-train.txt)")


@pytest.fixture(scope="module")
def train():
    spec = importlib.util.spec_from_file_location("train_bmn_bsn", ROOT / "train" / "bmn_bsn.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_labels_follow_cdnet_scoring_a_cast_shadow_is_background(train):
    """255 foreground; 0 and hard shadow (50) background, as CDnet counts them; 85, 170 and outside
    the ROI left out; at twice the networks' size, resized down with nearest neighbour."""
    levels = [0, 50, 85, 170, 255, 255]
    band = 2 * train.W // 6
    gt = np.zeros((2 * train.H, 2 * train.W), np.uint8)
    for k, level in enumerate(levels):
        gt[:, k * band:(k + 1) * band] = level
    roi = np.ones_like(gt)
    roi[:, 5 * band:] = 0
    labels = train.labels_of(gt, roi)
    assert labels.shape == (train.H, train.W)
    middles = [int((k + 0.5) * train.W / 6) for k in range(6)]
    assert labels[train.H // 2, middles].tolist() == [0, 0, train.IGNORE, train.IGNORE, 1, train.IGNORE]
    assert (train.labels_of(None, None) == train.IGNORE).all()  # a frame without ground truth teaches nothing


def test_shaking_moves_the_labels_with_the_frame_and_leaves_out_what_came_in(train):
    labels = np.zeros((train.H, train.W), np.uint8)
    labels[40:80, 60:110] = 1
    frame = np.dstack([labels * 200 + 20] * 3).astype(np.uint8)
    moved, moved_labels = train.warp(frame, np.random.default_rng(7), shift=3.0, angle=2.0, labels=labels)
    again, _ = train.warp(frame, np.random.default_rng(7), shift=3.0, angle=2.0)
    assert np.array_equal(moved, again)  # one draw moves frame and labels alike
    assert not np.array_equal(moved_labels == 1, labels == 1)  # it did move
    inside = moved_labels != train.IGNORE
    agree = (moved[..., 0] > 120) == (moved_labels == 1)
    assert agree[inside].mean() > 0.995  # the labels sit on the object's pixels (edges interpolate)
    assert (moved_labels == train.IGNORE).any()  # pixels from outside the frame


def test_a_short_window_gives_references_and_targets_from_a_few_consecutive_frames(train):
    n = 200
    frames = np.stack([np.full((train.H, train.W, 3), i, np.uint8) for i in range(n)])
    clip = train.Clip("counting", frames, np.zeros((n, train.H, train.W), np.uint8), np.arange(n))
    steady = dict(flip=0, gain=(1, 1), light=0, steady=(1, 1), colour=0, shake=0, ref_shake=0)
    aug = train.Augment(**steady, short=1.0, window=(20, 50))
    rng = np.random.default_rng(0)
    for _ in range(20):
        refs, tgts, _ = train.batch([clip], rng, scenes=1, targets=4, crop=32, aug=aug)
        ids = np.round(np.concatenate([refs[0, ::3, 0, 0].numpy(), tgts[:, 0, 0, 0].numpy()]) * 255)
        assert ids.max() - ids.min() < 50
    full = train.Augment(**steady, short=0.0)
    spans = []
    for _ in range(20):
        refs, _, _ = train.batch([clip], rng, scenes=1, targets=1, crop=32, aug=full)
        ids = np.round(refs[0, ::3, 0, 0].numpy() * 255)
        spans.append(ids.max() - ids.min())
    assert max(spans) > 100  # without the window, references spread across the clip
