"""Sparse hand labels of a clip's frames, and the CDnet-layout sequence they make.

An engineer's own footage has no ground truth; labelling five or ten frames makes it scoreable.
A :class:`Labels` holds one mask per labelled frame in three levels, CDnet's: 0 background, 170
"don't care" (never scored: a tree that moves, a screen) and 255 foreground. :func:`write_sequence`
writes the clip as a CDnet sequence: every frame under ``input/`` (the model must see them all),
a ``groundtruth/`` file for the labelled frames only, so scoring (``bgapp eval``, tuning) counts
exactly those while the model runs over the whole clip. :func:`read_labels` loads such a sequence
back for more labelling.

Labelling starts from a method's clean masks (:func:`starting_masks`), so it is correcting, not
drawing from nothing; :func:`apply_strokes` turns a drawing canvas's picture of the strokes into
label levels at the frame's size.
"""

from __future__ import annotations

import io
import shutil
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from .config import Config
from .errors import BgappError
from .pipeline import Pipeline
from .sequences import Sequence
from .source import Source

BACKGROUND, UNKNOWN, FOREGROUND = 0, 170, 255
LEVELS = (BACKGROUND, UNKNOWN, FOREGROUND)
LEVEL_NAMES = {BACKGROUND: "background", UNKNOWN: "don't care", FOREGROUND: "foreground"}
# CDnet's other levels as a label editor keeps them: a hard shadow (50) is background to the
# scorer, outside the ROI (85) is never scored, like "don't care".
_FROM_CDNET = np.zeros(256, dtype=np.uint8)
_FROM_CDNET[85] = _FROM_CDNET[170] = UNKNOWN
_FROM_CDNET[255] = FOREGROUND
JPEG_QUALITY = 95  # input frames: CDnet's own are JPEG; the model sees these, so keep them close
PREROLL_SECONDS = 4  # frames this early show what a model has not learnt yet: not worth labelling first
DEFAULT_COUNT = 10  # frames offered for labelling: enough for a rough score, few enough for ten minutes' work
UNDO_DEPTH = 50  # undo steps kept per frame (each a compressed mask, a few KB)

Progress = Callable[[int, int], None]


def spread(frames: int, count: int, start: int = 0) -> list[int]:
    """``count`` frame indices spread evenly over ``start .. frames - 1``: the middle of each of
    ``count`` equal parts, so neither the first frame (the model has learnt nothing yet) nor the
    last is favoured. Fewer when the range holds fewer frames."""
    start = max(0, min(start, frames - 1))
    span = frames - start
    count = max(0, min(count, span))
    return sorted({start + int((k + 0.5) * span / count) for k in range(count)})


def first_to_label(frames: int, fps: float) -> int:
    """Where labelling starts: after :data:`PREROLL_SECONDS` (the model learns the empty scene
    then, so its masks say little and a score there says less), but never past a tenth of a short
    clip, so its frames are still spread over most of it."""
    return max(0, min(round(PREROLL_SECONDS * (fps or 25.0)), frames // 10))


def to_levels(mask: np.ndarray) -> np.ndarray:
    """A mask as label levels: a method's mask (255 foreground, anything else, MOG2's shadow 127
    included, background) or CDnet ground truth (50 to background, 85 to don't care)."""
    if mask.dtype != np.uint8 or mask.ndim != 2:
        raise BgappError(f"a label mask must be 2-D uint8, got {mask.dtype} of shape {mask.shape}")
    return cv2.LUT(mask, _FROM_CDNET)


@dataclass
class Labels:
    """The labelled frames of one clip: frame index (0-based) to a mask of :data:`LEVELS` at the
    clip's processing size ``(w, h)``. ``frames`` is the clip's length."""

    size: tuple[int, int]
    frames: int
    masks: dict[int, np.ndarray] = field(default_factory=dict)

    def put(self, i: int, mask: np.ndarray) -> None:
        """Label frame ``i``; the mask must have the clip's size and only :data:`LEVELS`."""
        if not 0 <= i < self.frames:
            raise BgappError(f"frame {i + 1} is outside the clip's {self.frames} frames")
        if (mask.shape[1], mask.shape[0]) != self.size or mask.ndim != 2 or mask.dtype != np.uint8:
            raise BgappError(f"a label for frame {i + 1} must be a {self.size[0]}x{self.size[1]} grey mask, "
                             f"got shape {mask.shape}")
        bad = np.setdiff1d(np.unique(mask), LEVELS)
        if bad.size:
            raise BgappError(f"a label for frame {i + 1} holds values {bad[:5].tolist()}: expected {LEVELS}")
        self.masks[i] = mask.copy()

    def drop(self, i: int) -> None:
        self.masks.pop(i, None)

    @property
    def indices(self) -> list[int]:
        return sorted(self.masks)

    def __len__(self) -> int:
        return len(self.masks)

    def __contains__(self, i: object) -> bool:
        return i in self.masks

    def shares(self, i: int) -> dict[str, float]:
        """Frame ``i``'s share of pixels at each level, by :data:`LEVEL_NAMES`."""
        m = self.masks[i]
        return {LEVEL_NAMES[v]: float(np.count_nonzero(m == v)) / m.size for v in LEVELS}


def starting_masks(source: Source, config: Config, indices: Iterable[int], progress: Progress | None = None,
                   stop: Callable[[], bool] | None = None) -> dict[int, np.ndarray]:
    """``config``'s clean masks at ``indices``, as label levels: one pass of the pipeline from the
    first frame to the last index wanted, so each mask is what the model gives there after seeing
    every frame before it (as when it is scored). ``stop()`` ends early with the masks so far."""
    wanted = set(indices)
    if not wanted:
        return {}
    last = max(wanted)
    pipeline = Pipeline(config)
    pipeline.prime(source)
    out: dict[int, np.ndarray] = {}
    for i, frame in enumerate(source):
        res = pipeline.process(frame)
        if i in wanted:
            out[i] = np.where(res.clean == 255, FOREGROUND, BACKGROUND).astype(np.uint8)
        if progress is not None:
            progress(i + 1, last + 1)
        if i >= last or (stop is not None and stop()):
            break
    return out


@dataclass(frozen=True)
class Palette:
    """The colours a drawing canvas paints each level with (RGB), for :func:`apply_strokes`."""

    colours: tuple[tuple[int, int, int], ...] = ((0, 0, 255), (255, 200, 0), (255, 0, 0))
    levels: tuple[int, ...] = LEVELS

    def colour(self, level: int) -> tuple[int, int, int]:
        return self.colours[self.levels.index(level)]

    def hex(self, level: int) -> str:
        return "#{:02x}{:02x}{:02x}".format(*self.colour(level))


PALETTE = Palette()


def apply_strokes(mask: np.ndarray, rgba: np.ndarray, palette: Palette = PALETTE) -> np.ndarray:
    """``mask`` with the strokes of a canvas picture laid on it: where ``rgba`` (the strokes alone,
    transparent elsewhere, at any display size) is mostly opaque, the level whose palette colour is
    nearest. The picture is scaled to the mask's size first (area averaging, so a stroke thinner
    than a mask pixel still counts where it covers half of it)."""
    if rgba.ndim != 3 or rgba.shape[2] != 4:
        raise BgappError(f"expected an RGBA picture of the strokes, got shape {rgba.shape}")
    h, w = mask.shape
    img = rgba if rgba.shape[:2] == (h, w) else cv2.resize(rgba, (w, h), interpolation=cv2.INTER_AREA)
    alpha = img[:, :, 3].astype(np.float32)
    drawn = alpha >= 128
    if not drawn.any():
        return mask.copy()
    rgb = img[:, :, :3].astype(np.float32)
    dist = np.stack([np.sum((rgb - np.array(c, np.float32)) ** 2, axis=2) for c in palette.colours])
    nearest = np.asarray(palette.levels, dtype=np.uint8)[np.argmin(dist, axis=0)]
    out = mask.copy()
    out[drawn] = nearest[drawn]
    return out


def overlay(frame: np.ndarray, mask: np.ndarray, opacity: float, palette: Palette = PALETTE) -> np.ndarray:
    """The frame (BGR) with the label levels tinted in their palette colours at ``opacity``
    (background left untinted), for the labeller to see what the mask says."""
    out = frame.copy()
    for level in (UNKNOWN, FOREGROUND):
        where = mask == level
        if where.any():
            r, g, b = palette.colour(level)
            tint = np.array((b, g, r), np.float32)
            out[where] = (frame[where] * (1 - opacity) + tint * opacity).astype(np.uint8)
    return out


# The labelling work --------------------------------------------------------------------------------

def _pack(mask: np.ndarray | None) -> bytes | None:
    """A mask as PNG bytes for the undo history: a label mask compresses to a few KB, so fifty
    steps on ten 640x480 frames take a few MB rather than 150."""
    return None if mask is None else cv2.imencode(".png", mask)[1].tobytes()


def _unpack(data: bytes | None) -> np.ndarray | None:
    return None if data is None else cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)


@dataclass
class LabelEditor:
    """One clip's labelling in progress, free of any user interface so it is tested as it is.

    ``chosen`` are the frames offered for labelling (sorted); ``suggestions`` a method's clean mask
    for each (:func:`starting_masks`), which the labeller corrects. A frame is *labelled* (in
    ``labels``, saved and scored) only once drawn on or accepted as it is: until then the method's
    mask is a suggestion, and saving it as truth would score the method against itself. Each frame
    has its own undo history of what it was before each change (``None``: not labelled).
    """

    labels: Labels
    chosen: list[int] = field(default_factory=list)
    suggestions: dict[int, np.ndarray] = field(default_factory=dict)
    suggested_with: dict | None = None  # the Config (as a dict) the suggestions came from
    history: dict[int, list[bytes | None]] = field(default_factory=dict)
    current: int | None = None  # the frame being labelled
    fps: float = 25.0
    count: int = 0  # how many spread frames were asked for (:meth:`respread`)
    changes: int = 0  # counts every change of the labels, so a saved copy knows it is out of date

    @classmethod
    def start(cls, size: tuple[int, int], frames: int, fps: float, count: int = DEFAULT_COUNT) -> LabelEditor:
        """``count`` frames spread over the clip from :func:`first_to_label` on."""
        editor = cls(Labels((int(size[0]), int(size[1])), frames), fps=float(fps or 25.0))
        editor.respread(count)
        return editor

    # which frames ---------------------------------------------------------------------------------

    def respread(self, count: int) -> None:
        """Offer ``count`` evenly spread frames, keeping every labelled one and the current one (work
        is never dropped, and the frame on screen stays)."""
        n = self.labels.frames
        self.count = count
        keep = set(self.labels.indices) | ({self.current} if self.current is not None else set())
        self.chosen = sorted(set(spread(n, count, first_to_label(n, self.fps))) | keep)
        if self.current not in self.chosen:
            self.current = self.chosen[0] if self.chosen else None

    def shorten(self, frames: int) -> None:
        """The clip proved to hold only ``frames`` frames (a video's header promised more): frames
        past them leave the list and the labels."""
        self.labels.frames = frames
        for i in [i for i in self.labels.indices if i >= frames]:
            self.labels.drop(i)
        self.chosen = [i for i in self.chosen if i < frames]
        if self.current not in self.chosen:
            self.current = self.chosen[-1] if self.chosen else None

    def add(self, i: int) -> None:
        """Offer frame ``i`` too and make it the current one."""
        if not 0 <= i < self.labels.frames:
            raise BgappError(f"frame {i + 1} is outside the clip's {self.labels.frames} frames")
        if i not in self.chosen:
            self.chosen = sorted([*self.chosen, i])
        self.current = i

    def step(self, by: int) -> int | None:
        """Move ``by`` places along the chosen frames (clamped at either end); the new current frame."""
        if not self.chosen:
            return None
        k = self.chosen.index(self.current) if self.current in self.chosen else 0
        self.current = self.chosen[max(0, min(len(self.chosen) - 1, k + by))]
        return self.current

    @property
    def labelled(self) -> int:
        """How many of the chosen frames are labelled."""
        return sum(1 for i in self.chosen if i in self.labels)

    def needs_suggestion(self) -> list[int]:
        """Chosen frames with neither a label nor a method's mask yet."""
        return [i for i in self.chosen if i not in self.labels and i not in self.suggestions]

    def suggest(self, masks: dict[int, np.ndarray], config: Config | None = None) -> None:
        """Take a method's masks as suggestions (labelled frames keep their labels)."""
        self.suggestions.update(masks)
        if config is not None:
            self.suggested_with = config.to_dict()

    # one frame's mask ------------------------------------------------------------------------------

    def mask(self, i: int) -> np.ndarray:
        """Frame ``i`` as it stands: its label, else the method's mask, else all background."""
        if i in self.labels.masks:
            return self.labels.masks[i]
        if i in self.suggestions:
            return self.suggestions[i]
        w, h = self.labels.size
        return np.zeros((h, w), np.uint8)

    def is_labelled(self, i: int) -> bool:
        return i in self.labels

    def _remember(self, i: int) -> None:
        self.changes += 1
        steps = self.history.setdefault(i, [])
        steps.append(_pack(self.labels.masks.get(i)))
        del steps[:-UNDO_DEPTH]

    def draw(self, i: int, rgba: np.ndarray) -> bool:
        """Lay a canvas's strokes (:func:`apply_strokes`) on frame ``i``, which becomes labelled.
        False, with nothing changed, when the picture holds no stroke."""
        before = self.mask(i)
        after = apply_strokes(before, rgba)
        if i in self.labels and np.array_equal(after, before):
            return False
        if i not in self.labels and not (rgba[:, :, 3] >= 128).any():
            return False
        self._remember(i)
        self.labels.put(i, after)
        return True

    def accept(self, i: int) -> None:
        """Label frame ``i`` with what it shows now (the method's mask, when nothing was drawn)."""
        if i not in self.labels:
            self._remember(i)
            self.labels.put(i, self.mask(i))

    def reset(self, i: int) -> None:
        """Back to the method's mask, not labelled (undoable)."""
        if i in self.labels:
            self._remember(i)
            self.labels.drop(i)

    def can_undo(self, i: int) -> bool:
        return bool(self.history.get(i))

    def undo(self, i: int) -> bool:
        """Frame ``i`` as it was before its last change; False when there is nothing to undo."""
        steps = self.history.get(i)
        if not steps:
            return False
        before = _unpack(steps.pop())
        self.changes += 1
        if before is None:
            self.labels.drop(i)
        else:
            self.labels.masks[i] = before
        return True

    def merge(self, loaded: Labels) -> int:
        """Take the labels of a loaded sequence (read back by :func:`read_labels`) into this clip's:
        they must have its size and lie within its frames. Returns how many frames they label."""
        if tuple(loaded.size) != tuple(self.labels.size):
            raise BgappError(f"the loaded labels are {loaded.size[0]}x{loaded.size[1]} but this clip is labelled at "
                             f"{self.labels.size[0]}x{self.labels.size[1]}: they belong to another clip (or another "
                             f"processing size)")
        outside = [i for i in loaded.indices if i >= self.labels.frames]
        if outside:
            raise BgappError(f"the loaded labels reach frame {outside[-1] + 1} but this clip has "
                             f"{self.labels.frames} frames: they belong to another clip")
        for i in loaded.indices:
            self._remember(i)
            self.labels.put(i, loaded.masks[i])
        self.chosen = sorted(set(self.chosen) | set(loaded.indices))
        if loaded.indices:
            self.current = loaded.indices[0]
        return len(loaded)


# The CDnet layout ------------------------------------------------------------------------------

def frame_name(i: int) -> str:
    """``in000001.jpg`` for frame index 0: CDnet numbers from 1."""
    return f"in{i + 1:06d}.jpg"


def label_name(i: int) -> str:
    return f"gt{i + 1:06d}.png"


def write_sequence(source: Source, labels: Labels, folder: str | Path, progress: Progress | None = None) -> Path:
    """Write ``source`` with ``labels`` as a CDnet sequence in ``folder``: ``input/`` holds every
    frame (written once: a folder that already holds them all keeps them), ``groundtruth/`` a
    mask for each labelled frame and nothing else, ``temporalROI.txt`` the whole clip. Returns
    the folder. Frames are streamed, never held together."""
    if not labels.masks:
        raise BgappError("no frame is labelled yet: label at least one before saving")
    if tuple(source.size) != tuple(labels.size):
        raise BgappError(f"the labels are {labels.size[0]}x{labels.size[1]} but the clip is processed at "
                         f"{source.size[0]}x{source.size[1]}")
    root = Path(folder)
    inputs, truth = root / "input", root / "groundtruth"
    have = sorted(inputs.glob("in*.jpg")) if inputs.is_dir() else []
    written = len(have)
    if written != labels.frames or not all(p.name == frame_name(k) for k, p in enumerate(have)):
        shutil.rmtree(inputs, ignore_errors=True)
        inputs.mkdir(parents=True)
        written = 0
        for i, frame in enumerate(source):
            cv2.imwrite(str(inputs / frame_name(i)), frame, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
            written = i + 1
            if progress is not None:
                progress(written, len(source))
    last = max(labels.masks)
    if last >= written:
        raise BgappError(f"frame {last + 1} is labelled but the clip ended after {written} frames")
    shutil.rmtree(truth, ignore_errors=True)
    truth.mkdir()
    for i, mask in labels.masks.items():
        cv2.imwrite(str(truth / label_name(i)), mask)
    (root / "temporalROI.txt").write_text(f"1 {written}\n")
    return root


def zip_sequence(folder: str | Path) -> bytes:
    """The sequence folder as a zip (its own name as the top folder), for a download. JPEG frames
    are stored as they are; the label PNGs are already compressed too."""
    root = Path(folder)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                zf.write(path, f"{root.name}/{path.relative_to(root).as_posix()}")
    return buf.getvalue()


def read_labels(sequence: Sequence, progress: Progress | None = None) -> Labels:
    """The labels a sequence's ground truth holds, in :data:`LEVELS` (for more labelling). Every
    ground-truth file is read, so one of the wrong size or not an image is reported now, by name."""
    labels = Labels(sequence.size, len(sequence))
    with_gt = [i for i in range(len(sequence)) if sequence.ground_truth_file(i) is not None]
    for k, i in enumerate(with_gt):
        gt = sequence.ground_truth(i)
        assert gt is not None
        labels.masks[i] = to_levels(gt)
        if progress is not None:
            progress(k + 1, len(with_gt))
    return labels
