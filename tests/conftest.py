"""Shared fixtures: where the real data lives, and how to skip cleanly when it does not."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from bgapp.metrics import Counts, confusion
from bgapp.sequences import Sequence

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


def pytest_configure(config: pytest.Config) -> None:
    """The server state the tests make (the class challenge's SQLite file) goes to a folder of this run,
    never the user's home; the servers the tests start inherit it."""
    if "BGAPP_STATE_DIR" not in os.environ:
        state = tempfile.mkdtemp(prefix="bgapp-test-state-")
        os.environ["BGAPP_STATE_DIR"] = state
        config.add_cleanup(lambda: shutil.rmtree(state, ignore_errors=True))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` beside the clone; tests that need it skip with the reason when absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data not found at {SHARED_DATA} (only present beside the CI clone)")
    return SHARED_DATA


def need(path: Path) -> Path:
    """Skip the calling test unless ``path`` exists."""
    if not path.exists():
        pytest.skip(f"real data missing: {path}")
    return path


def bare_loop_counts(path: Path, apply: Callable[[np.ndarray], np.ndarray]) -> Counts:
    """The confusion counts of a bare loop over the CDnet sequence at ``path``: ``apply`` (a library's
    own call) gives each frame's mask, summed the CDnet way over the frames in temporalROI.txt, read
    here directly; what bgapp's parity tests compare ``bgapp eval --no-post`` with."""
    seq = Sequence(path)
    roi = cv2.imread(str(path / "ROI.bmp"), cv2.IMREAD_GRAYSCALE)
    first, last = (int(x) for x in (path / "temporalROI.txt").read_text().split())
    total = Counts()
    for i, f in enumerate(seq.frame_files):
        mask = apply(cv2.imread(str(f)))
        if first <= i + 1 <= last:
            total += confusion(mask, cv2.imread(str(seq.gt_files[i]), cv2.IMREAD_GRAYSCALE), roi)
    return total
