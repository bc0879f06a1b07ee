"""Image-sequence folders (CDnet, SBI, UCSD layouts) with optional ground truth.

A sequence folder holds ``input/`` (or ``in/``) frames, optionally ``groundtruth/``, ``ROI.bmp``
and ``temporalROI.txt``. Frames are streamed from disk one at a time, so a 1700-frame video never
sits in memory. Ground truth pairs with frames by the number in their names when both carry
numbers (``in000007.jpg`` with ``gt000007.png``, so a missing GT file leaves only its own frame
unscored), else by sorted position; temporalROI numbers are the frame numbers written in the
file names (SBI counts from 0, CDnet and UCSD from 1). Gaps and unpaired files are reported in
``notes``, not refused: what is there is processed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from .archive import shown_path, zip_origin
from .errors import BgappError, printable
from .frames import fit_to, read_image
from .source import sample_indices
from .standalone import IMAGE_EXTS, INPUT_DIRS, natural_key

GT_DIRS = ("groundtruth",)
# ROI.jpg in CDnet is an illustration (the frame overlaid), not a mask: never read it.
ROI_FILES = ("ROI.bmp", "ROI.png")
GT_LEVELS = (0, 50, 85, 170, 255)
_GT_BAD = np.ones(256, dtype=bool)
_GT_BAD[list(GT_LEVELS)] = False
_DIGITS = re.compile(r"(\d+)")


def list_images(folder: Path) -> list[Path]:
    """Image files of ``folder`` in natural order; hidden files (.DS_Store, ._x.jpg) and others skipped."""
    files = [
        p for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in IMAGE_EXTS
    ]
    return sorted(files, key=lambda p: natural_key(p.name))


def _child_dir(folder: Path, names: tuple[str, ...]) -> Path | None:
    """The first sub-folder of ``folder`` named one of ``names`` (case-insensitive), in that order."""
    try:
        children = {p.name.lower(): p for p in folder.iterdir() if p.is_dir()}
    except OSError:
        return None
    for name in names:
        if name in children:
            return children[name]
    return None


def is_sequence_dir(path: str | Path) -> bool:
    """True when ``path`` has an ``input/`` or ``in/`` sub-folder."""
    path = Path(path)
    return path.is_dir() and _child_dir(path, INPUT_DIRS) is not None


def _named_numbers(files: list[Path]) -> list[int] | None:
    """The numbers written in the names (last digit group of the stem), or None when some name
    has no number or two files share one."""
    numbers = []
    for p in files:
        groups = re.findall(r"\d+", p.stem)
        if not groups:
            return None
        numbers.append(int(groups[-1]))
    if any(b <= a for a, b in zip(numbers, numbers[1:])):
        return None  # names do not number the frames uniquely
    return numbers


def _few(items: list, n: int = 3) -> str:
    shown = ", ".join(printable(x) for x in items[:n])
    return shown + (f" and {len(items) - n} more" if len(items) > n else "")


def _read_grey_levels(path: Path) -> np.ndarray:
    """Read a label image (GT) as 2-D uint8 without any colour arithmetic.

    OpenCV expands a palette PNG to its palette colours; CDnet palettes are a grey ramp, so the
    three channels are equal and channel 0 is the grey level exactly (no BGR->grey rounding).
    """
    try:
        data = np.fromfile(str(path), dtype=np.uint8)
    except OSError as exc:
        raise BgappError(f"cannot read ground truth {shown_path(path)}: {exc.strerror or exc}") from None
    img = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    if img is None:
        raise BgappError(f"cannot decode ground truth {shown_path(path)}: not a readable image file")
    if img.ndim == 3:
        b = img[:, :, 0]
        if img.shape[2] >= 3 and not (np.array_equal(b, img[:, :, 1]) and np.array_equal(b, img[:, :, 2])):
            raise BgappError(f"ground truth {shown_path(path)} is a colour image: expected grey levels {GT_LEVELS}")
        img = img[:, :, 0]
    if img.dtype == np.uint16:
        img = ((img.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    elif img.dtype != np.uint8:
        raise BgappError(f"ground truth {shown_path(path)} has pixel type {img.dtype}: expected 8-bit grey levels")
    return np.ascontiguousarray(img)


def _size_str(size: tuple[int, int]) -> str:
    return f"{size[0]}x{size[1]}"


class Sequence:
    """One video stored as numbered image files, with optional ground truth, ROI and temporal ROI;
    a :class:`bgapp.source.IndexedSource`.

    ``max_side`` scales frames down (never up) so their longer side is at most that many pixels;
    ground truth and ROI are scaled with them (nearest neighbour, so labels stay labels).
    """

    def __init__(self, path: str | Path, category: str | None = None, fps: float = 25.0,
                 max_side: int | None = None) -> None:
        folder = Path(path)
        if not folder.is_dir():
            raise BgappError(f"sequence folder not found: {shown_path(folder)}")
        input_dir = _child_dir(folder, INPUT_DIRS)
        if input_dir is None:
            raise BgappError(f"no input/ or in/ folder of frames in {shown_path(folder)}")
        self.frame_files: list[Path] = list_images(input_dir)
        if not self.frame_files:
            raise BgappError(f"no images ({', '.join(sorted(IMAGE_EXTS))}) in {shown_path(input_dir)}")
        gt_dir = _child_dir(folder, GT_DIRS)
        self.gt_files: list[Path] = list_images(gt_dir) if gt_dir is not None else []

        self.path = str(folder)  # where the files are (a temporary folder for a zip)
        self.shown_path = shown_path(folder)  # where the user put them: reports and messages
        here = folder.resolve()
        origin = zip_origin(folder)
        if origin is None:
            name, parent = here.name, (here.parent.name if here.parent != here else "")  # "" at a root
        else:  # named from the zip's folders; no folder above it in the zip: "uploaded"
            zip_name, inside = origin
            name, parent = inside.name or Path(zip_name).stem, inside.parent.name or "uploaded"
        self.name = printable(name)  # shown on pages and terminals: never a broken name
        self.category = printable(parent if category is None else category)
        self.fps = float(fps)
        self.notes: list[str] = []  # what the user should know (gaps, unpaired files, scaling)
        self.keep_alive: object | None = None  # what must live as long as this (a zip's extracted folder)
        named = _named_numbers(self.frame_files)
        self.frame_numbers: list[int] = named or list(range(1, len(self.frame_files) + 1))
        self._gt_of: list[int | None] = self._pair_ground_truth(named)

        first = read_image(self.frame_files[0])
        self.source_size: tuple[int, int] = (first.shape[1], first.shape[0])  # (w, h) on disk
        self.max_side = max_side or None
        shown = fit_to(first, self.max_side)
        self.size: tuple[int, int] = (shown.shape[1], shown.shape[0])  # (w, h) as processed
        self.scaled: bool = self.size != self.source_size
        if self.scaled:
            self.notes.append(f"frames are {_size_str(self.source_size)}: processed at {_size_str(self.size)} "
                              f"(longer side at most {self.max_side} px)")

        self.roi_file: Path | None = next((folder / n for n in ROI_FILES if (folder / n).is_file()), None)
        self.roi: np.ndarray | None = None
        if self.roi_file is not None:
            roi = read_image(self.roi_file, grey=True)
            roi_size = (roi.shape[1], roi.shape[0])
            if roi_size != self.source_size:
                raise BgappError(
                    f"{self.roi_file.name} is {_size_str(roi_size)} but the frames are "
                    f"{_size_str(self.source_size)}"
                )
            self.roi = self._labels(np.where(roi != 0, 255, 0).astype(np.uint8))

        self.temporal_roi: tuple[int, int] | None = self._read_temporal_roi(folder / "temporalROI.txt")
        self._scored = [self._in_temporal_roi(i) and self._gt_of[i] is not None for i in range(len(self))]

    def _pair_ground_truth(self, frame_numbers: list[int] | None) -> list[int | None]:
        """For each frame, the index of its GT file (or None), with notes on gaps and strays."""
        n, m = len(self.frame_files), len(self.gt_files)
        if frame_numbers is not None:
            gaps = sum(b - a - 1 for a, b in zip(frame_numbers, frame_numbers[1:]) if b - a > 1)
            if gaps:
                first_gap = next(a + 1 for a, b in zip(frame_numbers, frame_numbers[1:]) if b - a > 1)
                self.notes.append(f"{gaps} frame number(s) missing from {self.frame_files[0].parent.name}/, "
                                  f"the first is {first_gap}: the frames that are there are processed "
                                  f"one after the other")
        if not m:
            return [None] * n
        gt_numbers = _named_numbers(self.gt_files)
        if frame_numbers is not None and gt_numbers is not None and set(frame_numbers) & set(gt_numbers):
            by_number = {num: k for k, num in enumerate(gt_numbers)}
            pairs = [by_number.get(num) for num in frame_numbers]
            without = [self.frame_files[i].name for i, g in enumerate(pairs) if g is None]
            used = {g for g in pairs if g is not None}
            strays = [self.gt_files[k].name for k in range(m) if k not in used]
            if without:
                self.notes.append(f"{len(without)} of {n} frames have no ground truth with their number "
                                  f"({_few(without)}): they are processed but not scored")
            if strays:
                self.notes.append(f"{len(strays)} ground-truth file(s) match no frame number "
                                  f"({_few(strays)}): ignored")
            return pairs
        if m != n:
            self.notes.append(f"{m} ground-truth files for {n} frames, paired by position (their names do not "
                              f"share frame numbers): "
                              + ("frames past the last one are not scored" if m < n else "the extra ones are ignored"))
        return [k if k < m else None for k in range(n)]

    def check_ground_truth(self) -> None:
        """Read the first ground-truth file (size, levels) so that a wrong groundtruth/ folder is
        reported before a run, not a few hundred frames into it. Raises a BgappError."""
        first = next((i for i, g in enumerate(self._gt_of) if g is not None), None)
        if first is not None:
            self.ground_truth(first)

    def _labels(self, img: np.ndarray) -> np.ndarray:
        """A label image (GT, ROI) at the processing size: nearest neighbour keeps its levels."""
        if (img.shape[1], img.shape[0]) == self.size:
            return img
        return cv2.resize(img, self.size, interpolation=cv2.INTER_NEAREST)

    def _read_temporal_roi(self, file: Path) -> tuple[int, int] | None:
        if not file.is_file():
            return None
        text = file.read_text(errors="replace").strip()
        parts = text.split()
        try:
            first, last = (int(p) for p in parts)
        except ValueError:
            raise BgappError(
                f"{shown_path(file)} must hold two frame numbers 'first last', found {text[:40]!r}"
            ) from None
        if first < 0 or last < first:
            raise BgappError(f"{shown_path(file)} holds first={first} last={last}: expected 0 <= first <= last")
        if not any(first <= n <= last for n in self.frame_numbers):
            raise BgappError(
                f"{shown_path(file)} selects frames {first}..{last} but the frames are numbered "
                f"{self.frame_numbers[0]}..{self.frame_numbers[-1]}: no frame would be scored"
            )
        return (first, last)

    def _in_temporal_roi(self, i: int) -> bool:
        if self.temporal_roi is None:
            return True
        return self.temporal_roi[0] <= self.frame_numbers[i] <= self.temporal_roi[1]

    def __len__(self) -> int:
        return len(self.frame_files)

    def ended_early(self, frames_read: int) -> str | None:
        """Never: every frame is there (a missing or unreadable one raises a BgappError instead)."""
        return None

    def __repr__(self) -> str:
        return f"Sequence({self.path!r}, frames={len(self)}, gt={len(self.gt_files)})"

    @property
    def has_ground_truth(self) -> bool:
        return bool(self.gt_files)

    @property
    def scored_indices(self) -> list[int]:
        return [i for i, s in enumerate(self._scored) if s]

    def scored(self, i: int) -> bool:
        """Whether frame ``i`` counts in the score: it has GT and lies inside temporalROI."""
        return self._scored[i]

    def frame(self, i: int) -> np.ndarray:
        """Frame ``i`` as BGR uint8, whatever the file held (grey, RGBA, 16-bit)."""
        path = self.frame_files[i]
        img = read_image(path)
        size = (img.shape[1], img.shape[0])
        if size != self.source_size:
            raise BgappError(
                f"frame {path.name} is {_size_str(size)} but {self.frame_files[0].name} is "
                f"{_size_str(self.source_size)}: all frames of {self.name} must have one size"
            )
        return fit_to(img, self.max_side) if self.scaled else img

    def ground_truth_file(self, i: int) -> Path | None:
        """The ground-truth file of frame ``i``, or None when it has none (nothing is read)."""
        k = self._gt_of[i]
        return None if k is None else self.gt_files[k]

    def ground_truth(self, i: int) -> np.ndarray | None:
        """GT of frame ``i`` as 2-D uint8 CDnet levels, or None when that frame has none."""
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(f"frame index {i} out of range for {len(self)} frames")
        k = self._gt_of[i]
        if k is None:
            return None
        path = self.gt_files[k]
        gt = _read_grey_levels(path)
        size = (gt.shape[1], gt.shape[0])
        if size != self.source_size:
            raise BgappError(
                f"ground truth {path.name} is {_size_str(size)} but frame {self.frame_files[i].name} "
                f"is {_size_str(self.source_size)}: ground truth must have the frames' size"
            )
        bad = _GT_BAD[gt]
        if bad.any():
            values = np.unique(gt[bad])[:5].tolist()
            raise BgappError(
                f"ground truth {path.name} holds values {values} outside the CDnet levels {GT_LEVELS} "
                f"(0 static, 50 shadow, 85 outside the ROI, 170 unknown, 255 moving)"
            )
        return self._labels(gt)

    def __iter__(self) -> Iterator[np.ndarray]:
        for i in range(len(self)):
            yield self.frame(i)

    def pairs(self) -> Iterator[tuple[np.ndarray, np.ndarray | None, bool]]:
        """Yield ``(frame, gt or None, scored)`` in order, reading one file pair at a time."""
        for i in range(len(self)):
            yield self.frame(i), self.ground_truth(i), self._scored[i]

    def frames_from(self, start: int) -> Iterator[np.ndarray]:
        for i in range(max(start, 0), len(self)):
            yield self.frame(i)

    def sample(self, n: int) -> list[np.ndarray]:
        """Up to ``n`` frames spread evenly from first to last (the :mod:`bgapp.source` contract),
        e.g. to seed a background or a preview."""
        return [self.frame(i) for i in sample_indices(n, len(self))]

    def frame_label(self, i: int) -> str:
        return self.frame_files[i].name


def find_sequences(path: str | Path, max_depth: int = 3, max_side: int | None = None,
                   skipped: list[Skipped] | None = None) -> list[Sequence]:
    """Sequences under ``path``: a sequence folder, a category of sequences, or a dataset tree.

    Searches down to ``max_depth`` levels and does not descend into a sequence once found. With a
    ``skipped`` list, a sequence that cannot be opened (an ROI of another size, an unreadable
    temporalROI.txt) is added to it and left out, so one bad copy in a dataset does not stop a run
    over the others; when none can be opened the first one's error is raised.
    """
    root = Path(path)
    if not root.is_dir():
        raise BgappError(f"folder not found: {root}")
    found: list[Path] = []

    def walk(folder: Path, depth: int) -> None:
        if is_sequence_dir(folder):
            found.append(folder)
            return
        if depth >= max_depth:
            return
        try:
            children = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
        except OSError:
            return
        for child in children:
            walk(child, depth + 1)

    walk(root, 0)
    if not found:
        raise BgappError(
            f"no image sequence under {shown_path(root)}: expected SEQ/input/ (or SEQ/in/) with frames, "
            f"as a sequence, category/SEQ or dataset/category/SEQ folder"
        )
    if skipped is None:
        return [Sequence(p, max_side=max_side) for p in sorted(found)]
    out: list[Sequence] = []
    errors: list[Skipped] = []
    for p in sorted(found):
        try:
            out.append(Sequence(p, max_side=max_side))
        except BgappError as exc:
            errors.append(Skipped(shown_path(p), str(exc)))
    if not out:
        raise BgappError(errors[0].reason if len(errors) == 1 else "; ".join(e.line() for e in errors))
    skipped.extend(errors)
    return out


@dataclass(frozen=True)
class Skipped:
    """A sequence a run over many left out, and why (what the run's report says about it)."""

    path: str  # as the user named it (NAME.zip:member for an upload)
    reason: str

    def line(self) -> str:
        return f"{self.path}: {self.reason}"
