"""Open what a user names: ``demo``, a video file, or an image-sequence folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import BgappError

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".y4m")


def open_source(spec: str | Path, max_side: int | None = None) -> Any:
    """A frame source for ``spec``: ``demo`` (the synthetic scene), a video file or a sequence folder."""
    if str(spec) == "demo":
        from .synthetic import SyntheticScene

        return SyntheticScene()
    path = Path(spec)
    if path.is_dir():
        from .sequences import Sequence

        return Sequence(path)
    if path.is_file():
        from .video import VideoSource

        return VideoSource(path, max_side=max_side)
    raise BgappError(f"no such file or folder: {spec}")


def open_scored_sources(specs: list[str]) -> list[Any]:
    """Sources with ground truth for evaluation: ``demo``, sequence folders, or trees of them."""
    from .sequences import find_sequences

    out: list[Any] = []
    for spec in specs:
        if str(spec) == "demo":
            out.append(open_source("demo"))
            continue
        path = Path(spec)
        if not path.exists():
            raise BgappError(f"no such folder: {spec}")
        if not path.is_dir():
            raise BgappError(f"{spec} is a file: evaluation needs a sequence folder with ground truth")
        seqs = find_sequences(path)
        out.extend(seqs)
    without_gt = [s.name for s in out if not s.has_ground_truth]
    if without_gt:
        raise BgappError(f"no ground truth in {', '.join(without_gt[:3])}: evaluation needs a groundtruth/ folder")
    return out
