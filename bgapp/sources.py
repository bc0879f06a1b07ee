"""Open what a user names: ``demo``, a gallery case (``case:shadows``), a video file, an
image-sequence folder or a zip of one."""

from __future__ import annotations

import shutil
import tempfile
import weakref
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import BgappError
from .source import Source

if TYPE_CHECKING:
    from .sequences import Sequence, Skipped

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".y4m")


class _Extracted:
    """A zip extracted (safely, see :mod:`bgapp.archive`) into a private temp folder, deleted when
    the process exits: the sequences in it are opened again by path (``--workers`` hands paths to
    worker processes), so the folder must outlive the objects that first read it."""

    def __init__(self, archive: Path) -> None:
        from .archive import safe_extract

        self.path = Path(tempfile.mkdtemp(prefix="bgapp-zip-"))
        self._cleanup = weakref.finalize(self, shutil.rmtree, str(self.path), ignore_errors=True)
        try:
            safe_extract(archive, self.path)
        except BaseException:
            self._cleanup()
            raise


_EXTRACTED: dict[tuple, _Extracted] = {}  # one extraction per zip (path, size, mtime) and process


def zip_sequences(path: str | Path, max_side: int | None = None, skipped: list[Skipped] | None = None) \
        -> list[Sequence]:
    """The sequences in a zip of a sequence folder (or of a category or dataset of them); with
    ``skipped``, those that cannot be opened are listed there (see ``find_sequences``)."""
    from .sequences import find_sequences

    path = Path(path)
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    extracted = _EXTRACTED.get(key)
    if extracted is None or not extracted.path.is_dir():
        extracted = _EXTRACTED[key] = _Extracted(path)
    try:
        seqs = find_sequences(extracted.path, max_side=max_side, skipped=skipped)
    except BgappError as exc:  # its message names files inside the zip as NAME.zip:member already
        message = str(exc)
        raise BgappError(message if path.name in message else f"{path.name}: {message}") from None
    for seq in seqs:
        seq.keep_alive = extracted  # keeps the files as long as the sequence lives
    return seqs


def open_source(spec: str | Path, max_side: int | None = None) -> Source:
    """A frame source for ``spec``: ``demo`` (the synthetic scene), ``case:<name>`` (a failure case
    of :mod:`bgapp.gallery`), a video file, a sequence folder or a zip holding one sequence folder.

    One entry point for the CLI, the pages and the tuner, so a spec means the same thing everywhere.

    Parameters
    ----------
    spec : str or Path
        ``demo``, ``case:<name>``, or a path.
    max_side : int, optional
        Scale a video's or a sequence's frames down (never up) so their longer side is at most this
        many pixels; the synthetic scenes ignore it.

    Returns
    -------
    Source
        Frames as (H, W, 3) uint8 BGR arrays, ``len()`` of them; ``size`` is ``(W, H)``.
        ``demo`` and the cases also have ground truth: (H, W) uint8 CDnet grey levels.

    Raises
    ------
    BgappError
        When the path does not exist, a zip holds several sequences, or the file cannot be read.

    Examples
    --------
    >>> from bgapp.sources import open_source
    >>> demo = open_source("demo")
    >>> demo, len(demo), demo.size
    (SyntheticScene(320x240, 300 frames, seed=0), 300, (320, 240))
    >>> frame, gt, scored = next(demo.pairs())
    >>> frame.shape, frame.dtype, gt.shape, scored  # the first frames are warm-up: not scored
    ((240, 320, 3), dtype('uint8'), (240, 320), False)
    >>> open_source("case:shadows")
    SyntheticScene(320x240, 200 frames, seed=11)
    >>> open_source("no/such/clip.mp4")
    Traceback (most recent call last):
    ...
    bgapp.errors.BgappError: no such file or folder: no/such/clip.mp4
    """
    if str(spec) == "demo":
        from .synthetic import SyntheticScene

        return SyntheticScene()
    if is_case(spec):
        from .gallery import open_case

        return open_case(str(spec))
    path = Path(spec)
    if path.is_dir():
        from .sequences import Sequence

        return Sequence(path, max_side=max_side)
    if path.is_file() and path.suffix.lower() == ".zip":
        seqs = zip_sequences(path, max_side)
        if len(seqs) > 1:
            names = ", ".join(f"{s.category}/{s.name}" for s in seqs[:4])
            raise BgappError(f"{path.name} holds {len(seqs)} sequences ({names}...): process takes one; "
                             "unzip it and name a sequence folder")
        return seqs[0]
    if path.is_file():
        from .video import VideoSource

        return VideoSource(path, max_side=max_side)
    raise BgappError(f"no such file or folder: {spec}")


def is_case(spec: str | Path) -> bool:
    """Whether ``spec`` names a gallery case, ``case:<name>`` (a folder of that name is ``./case:...``)."""
    return isinstance(spec, str) and spec.startswith("case:")


def open_scored_sources(specs: list[str], skipped: list[Skipped] | None = None) -> list[Source]:
    """Sources with ground truth for evaluation: ``demo``, gallery cases (``case:<name>``), sequence
    folders, or trees of them.

    With a ``skipped`` list, a sequence that cannot be scored (it cannot be opened, has no ground
    truth, or its first label is unreadable or of another size) is added to it and left out, and
    the others are returned; an error is raised only when none is left. Without it, the first
    problem is raised.
    """
    from .sequences import Skipped, find_sequences

    out: list[Source] = []
    found: list[Skipped] = []
    for spec in specs:
        if str(spec) == "demo" or is_case(spec):
            out.append(open_source(spec))
            continue
        path = Path(spec)
        if not path.exists():
            raise BgappError(f"no such folder: {spec}")
        if path.is_file() and path.suffix.lower() == ".zip":
            out.extend(zip_sequences(path, skipped=found if skipped is not None else None))
            continue
        if not path.is_dir():
            raise BgappError(f"{spec} is a file: evaluation needs a sequence folder (or a zip of one) with "
                             "ground truth")
        out.extend(find_sequences(path, skipped=found if skipped is not None else None))
    if skipped is None:
        without_gt = [s.name for s in out if not s.has_ground_truth]
        if without_gt:
            raise BgappError(f"no ground truth in {', '.join(without_gt[:3])}: evaluation needs a groundtruth/ folder")
        for src in out:
            src.check_ground_truth()
        return out
    usable: list[Source] = []
    for src in out:
        try:
            if not src.has_ground_truth:
                raise BgappError("no ground truth: evaluation needs a groundtruth/ folder")
            src.check_ground_truth()
        except BgappError as exc:
            found.append(Skipped(src.shown_path, str(exc)))
            continue
        usable.append(src)
    if not usable:
        raise BgappError("nothing to score: " + "; ".join(s.line() for s in found))
    skipped.extend(found)
    return usable
