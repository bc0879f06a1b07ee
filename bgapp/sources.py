"""Open what a user names: ``demo``, a gallery case (``case:shadows``), a video file, an
image-sequence folder or a zip of one."""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import tempfile
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol, TypeVar

from .errors import BgappError, printable
from .registry import Registry
from .source import Source

if TYPE_CHECKING:
    from .sequences import Sequence, Skipped

T = TypeVar("T")

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


# The kinds of source: one class each, in SOURCE_KINDS ------------------------------------------------
# A kind holds all there is to it: how open_source recognises and opens its specs, what evaluation
# takes from them, and what the app's source picker (ui.sources, which draws any kind the same way)
# asks for and opens. A new kind of source is one class with ``@SOURCE_KINDS.register``.

VIDEO_TYPES = ("mp4", "avi", "mov", "mkv", "webm")  # what the picker's video upload accepts
# The longest side anything is processed at in the app: a 4K or 8K upload is scaled down to this
# (with a note), so one session's frames stay a few MB and a shared server keeps up.
APP_MAX_SIDE = 1920
ZIP_LIMIT_MB = 1024  # an uploaded zip may expand to at most this much on disk
_NOT_SCORABLE = "{spec} is a file: evaluation needs a sequence folder (or a zip of one) with ground truth"


def working_side(max_side: int | None) -> int:
    """The processing size for a size choice (0/None, "original", is capped at APP_MAX_SIDE)."""
    return min(max_side or APP_MAX_SIDE, APP_MAX_SIDE)


@dataclass
class SourceChoice:
    """A source the picker opened and what identifies it (a new ``ident`` means a new clip for the players)."""

    kind: str  # the name of its SourceKind
    ident: str
    source: Source
    label: str
    path: str | None = None  # the video file, to reopen at another size
    max_side: int | None = None
    upload: str | None = None  # the uploaded file's name (an upload widget forgets it on another page)


def describe(src: Source) -> str:
    """One line: name, size, rate, frames and whether ground truth exists."""
    from .video import VideoSource

    w, h = src.size
    parts = [f"{w}x{h}"]
    if isinstance(src, VideoSource):
        if src.scaled:
            parts[0] += f" (from {src.source_size[0]}x{src.source_size[1]})"
        parts += [f"{src.fps:g} fps", f"~{len(src)} frames", src.codec]
    else:
        parts += [f"{len(src)} frames"]
    parts.append("ground truth" if src.has_ground_truth else "no ground truth")
    return f"{src.name}: " + ", ".join(parts)


def extract_zip(data: bytes, dest: Path, name: str, limit_mb: int = ZIP_LIMIT_MB) -> Path:
    """Extract an uploaded zip into ``dest`` safely (no paths outside it, no links, size-capped);
    a refusal is a BgappError that names the upload."""
    from .archive import safe_extract

    try:
        return safe_extract(io.BytesIO(data), dest, max_total=limit_mb * 1024**2, name=name)
    except BgappError as exc:
        raise BgappError(f"{printable(name)}: {exc}") from None


def demo_choice() -> SourceChoice:
    from .synthetic import SyntheticScene

    src = SyntheticScene()
    return SourceChoice("demo", "demo", src, describe(src) + " (synthetic room, exact labels)")


def case_choice(name: str) -> SourceChoice:
    """A failure case of the gallery (``shadows`` or ``case:shadows``); raises BgappError naming
    the cases for another name."""
    from .gallery import get_case

    case = get_case(name)
    src = case.scene()
    return SourceChoice("case", src.path, src, describe(src) + f" ({case.title.lower()}, exact labels)")


def study_choice(spec: str) -> SourceChoice:
    """A sequence a study ran on (a spec from ``bgapp.distributed.list_sequences``) as a source:
    the demo, a sample or local folder, or a folder unpacked from an uploaded zip."""
    from .sequences import Sequence

    if spec == "demo":
        return demo_choice()
    seq = Sequence(spec, max_side=APP_MAX_SIDE)
    seq.check_ground_truth()
    return SourceChoice("study", f"study:{seq.path}", seq, describe(seq))


def labelled_choice(folder: str) -> SourceChoice:
    """The sequence saved on the Label frames page as a source: the Video lab then scores, and shows
    the errors of, its labelled frames. A new save is a new clip."""
    from .sequences import Sequence

    seq = Sequence(folder, max_side=APP_MAX_SIDE)
    seq.check_ground_truth()
    saved = Path(folder, "groundtruth").stat().st_mtime_ns
    return SourceChoice("labelled", f"labelled:{seq.path}:{saved}", seq, describe(seq) + " (labelled here)")


class Upload(Protocol):
    """An uploaded file as the picker hands it over (Streamlit's UploadedFile is one)."""

    name: str
    file_id: str

    def getvalue(self) -> bytes: ...


class Picking(Protocol):
    """What a kind's :meth:`SourceKind.pick` may ask of the picker drawing it (ui.sources answers
    with Streamlit; the engine never imports it)."""

    current: SourceChoice | None  # the session's source so far
    local_files: bool  # whether this visitor may name paths on the server
    saved_labels: str | None  # the folder the Label frames page saved, while it exists

    @property
    def folder(self) -> Path:
        """The session's private folder: uploads go under it."""

    def remembered(self, kind: str) -> SourceChoice | None:
        """The last source of a ``remembered`` kind this session chose."""

    def keep(self, key: str, make: Callable[[], T], ident: Any) -> T:
        """``make()``'s result, kept for the session until ``ident`` changes."""

    def pick_sequence(self, seqs: list[Sequence]) -> Sequence:
        """One of several sequences found, as the user picks it."""

    def in_use(self, name: str) -> None:
        """Say that an upload made earlier (its widget is empty again) is still the source."""

    def prompt(self, text: str) -> None:
        """Say what to do: nothing is chosen yet."""


@dataclass(frozen=True)
class SourceInput:
    """One widget the picker draws for a kind, declared without Streamlit: an ``upload``, a line of
    ``text``, a ``choice`` among options, or the processing ``size`` (the picker's one slider).
    Its value reaches :meth:`SourceKind.pick` under ``key``, which is also the widget's key."""

    key: str
    widget: Literal["upload", "text", "choice", "size"]
    label: str = ""  # "{limit}" becomes the server's upload limit in MB
    help: str = ""
    types: tuple[str, ...] = ()  # upload: the file endings taken
    placeholder: str = ""  # text
    options: Callable[[], list[str]] | None = None  # choice: its values
    option_label: Callable[[str], str] | None = None  # choice: how a value reads
    of_choice: Callable[[SourceChoice], str] | None = None  # choice: its value for a source of this kind


SIZE = SourceInput("src.max_side", "size", "Processing size (longest side)",
                   "Videos are scaled down to this before processing: smaller is faster and smooths noise; larger "
                   "keeps small objects. Image sequences keep their size so the ground truth lines up. Nothing is "
                   f"processed larger than {APP_MAX_SIDE} px on its longest side (sequences included, with their "
                   "ground truth).")


class SourceKind:
    """One kind of source. For the engine: :meth:`matches` a spec of open_source, :meth:`open` it,
    and what evaluation takes from it (:meth:`scored`). For the picker: its ``label``, the
    ``inputs`` it draws, whether it is ``offered`` and what it opens from the inputs' values
    (:meth:`pick`, run under a guard that reports errors as ``doing``)."""

    name: ClassVar[str]  # SourceChoice.kind, the picker's radio value
    label: ClassVar[str]  # what the picker's radio shows
    doing: ClassVar[str]  # "opening the video": what failed, in an error shown by the picker
    inputs: ClassVar[tuple[SourceInput, ...]] = ()
    remembered: ClassVar[bool] = False  # the picker keeps its last choice for the session (Picking.remembered)

    def matches(self, spec: str | Path) -> bool:
        """Whether ``spec`` names a source of this kind (kinds are asked in registration order)."""
        return False

    def open(self, spec: str | Path, max_side: int | None = None) -> Source:
        raise BgappError(f"no such file or folder: {spec}")

    def scored(self, spec: str | Path, skipped: list[Skipped] | None) -> list[Source]:
        """The sources with ground truth ``spec`` holds, for evaluation (see open_scored_sources)."""
        return [self.open(spec)]

    def offered(self, picking: Picking) -> bool:
        return True

    def title(self, picking: Picking) -> str:
        return self.label

    def pick(self, values: Mapping[str, Any], picking: Picking) -> SourceChoice | None:
        """The source the inputs' ``values`` choose (the current one when they choose it again), or None."""
        raise NotImplementedError

    def discard(self, old: SourceChoice, new: SourceChoice, picking: Picking) -> None:
        """Delete the files of ``old`` that ``new``, of this kind too, replaced (in the session's folder only)."""

    def link_name(self, choice: SourceChoice, shared: Path) -> str | None:
        """How a link names ``choice``, a source of this kind, or None where it cannot travel (an upload,
        a local folder); ``shared``: the server's shared data, whose sequences a link names by path."""
        return None


SOURCE_KINDS: Registry[SourceKind] = Registry("kind of source", make=lambda cls: cls())


def kind_of(spec: str | Path) -> SourceKind | None:
    """The kind of source ``spec`` names, or None."""
    return next((kind for kind in SOURCE_KINDS.values() if kind.matches(spec)), None)


def _sequences_in(folder: Path, picking: Picking, ident: str) -> list[Sequence]:
    """The sequences under ``folder``, each with usable ground truth if any, found once per ``ident``."""
    from .sequences import find_sequences

    def find() -> list[Sequence]:
        seqs = find_sequences(folder, max_side=APP_MAX_SIDE)
        for seq in seqs:
            seq.check_ground_truth()
        return seqs

    return picking.keep("bgapp.sequences", find, ident)


def _case_names() -> list[str]:
    from .gallery import case_names

    return case_names()


def _case_title(name: str) -> str:
    from .gallery import BY_NAME

    return BY_NAME[name].title


@SOURCE_KINDS.register
class DemoKind(SourceKind):
    """The synthetic room, ``demo``."""

    name, label, doing = "demo", "Built-in demo", "opening the demo"

    def matches(self, spec: str | Path) -> bool:
        return str(spec) == "demo"

    def open(self, spec: str | Path, max_side: int | None = None) -> Source:
        from .synthetic import SyntheticScene

        return SyntheticScene()

    def pick(self, values: Mapping[str, Any], picking: Picking) -> SourceChoice | None:
        current = picking.current
        return current if current is not None and current.kind == self.name else demo_choice()

    def link_name(self, choice: SourceChoice, shared: Path) -> str | None:
        return "demo"


@SOURCE_KINDS.register
class CaseKind(SourceKind):
    """A failure case of the gallery, ``case:<name>``."""

    name, label, doing = "case", "A failure case (Gallery)", "opening the failure case"
    inputs = (SourceInput("src.case", "choice", "Failure case",
                          "A short synthetic clip per classic challenge, with exact ground truth: the Failure "
                          "gallery page explains each and scores a few methods on it.",
                          options=_case_names, option_label=_case_title, of_choice=lambda c: c.source.name),)

    def matches(self, spec: str | Path) -> bool:
        return is_case(spec)

    def open(self, spec: str | Path, max_side: int | None = None) -> Source:
        from .gallery import open_case

        return open_case(str(spec))

    def pick(self, values: Mapping[str, Any], picking: Picking) -> SourceChoice | None:
        current, name = picking.current, values["src.case"]
        if current is not None and current.kind == self.name and current.source.name == name:
            return current
        return case_choice(name)

    def link_name(self, choice: SourceChoice, shared: Path) -> str | None:
        return f"case:{choice.source.name}"


@SOURCE_KINDS.register
class VideoKind(SourceKind):
    """A video file: a path in a spec, an upload in the picker."""

    name, label, doing = "video", "Upload a video", "opening the video"
    inputs = (SIZE, SourceInput(
        "src.video", "upload", f"Video file ({', '.join(VIDEO_TYPES)}), up to {{limit}} MB", types=VIDEO_TYPES,
        help="Frames are decoded one at a time, so long clips are fine. Nothing leaves this server; the file is "
             "deleted when your session ends."))

    def matches(self, spec: str | Path) -> bool:
        path = Path(spec)
        return path.is_file() and path.suffix.lower() != ".zip"

    def open(self, spec: str | Path, max_side: int | None = None) -> Source:
        from .video import VideoSource

        return VideoSource(Path(spec), max_side=max_side)

    def scored(self, spec: str | Path, skipped: list[Skipped] | None) -> list[Source]:
        raise BgappError(_NOT_SCORABLE.format(spec=spec))

    def pick(self, values: Mapping[str, Any], picking: Picking) -> SourceChoice | None:
        from .video import VideoSource, open_video_bytes

        current, max_side, up = picking.current, values["src.max_side"], values["src.video"]
        if up is not None:
            ident = f"video:{up.file_id}:{max_side}"
            if current is not None and current.ident == ident:
                return current
            uploads = picking.folder / "uploads"
            uploads.mkdir(parents=True, exist_ok=True)
            src = open_video_bytes(up.getvalue(), Path(up.name).suffix, uploads, max_side=working_side(max_side),
                                   name=up.name)
            return SourceChoice(self.name, ident, src, describe(src), src.path, max_side, up.name)
        if current is not None and current.kind == self.name and current.path:
            picking.in_use(current.upload or current.source.name)
            if current.max_side == max_side:
                return current
            src = VideoSource(current.path, max_side=working_side(max_side))
            src.name = current.source.name
            ident = re.sub(r":[^:]*$", f":{max_side}", current.ident)
            return SourceChoice(self.name, ident, src, describe(src), current.path, max_side, current.upload)
        picking.prompt("Upload a video to start, or pick the built-in demo.")
        return None

    def discard(self, old: SourceChoice, new: SourceChoice, picking: Picking) -> None:
        if old.path and old.path != new.path:
            path = Path(old.path).resolve()
            if path.is_relative_to(picking.folder.resolve()):
                path.unlink(missing_ok=True)


@SOURCE_KINDS.register
class ZipKind(SourceKind):
    """A zip of a sequence folder (or of a category of them): a path in a spec, an upload in the picker."""

    name, label, doing = "zip", "Upload an image sequence (zip)", "unpacking the zip"
    inputs = (SourceInput(
        "src.zip", "upload", "Zipped sequence folder, up to {limit} MB", types=("zip",),
        help="A CDnet-style folder: input/ with numbered frames and, for scores, groundtruth/ (0 static, 50 shadow, "
             "85 outside ROI, 170 unknown, 255 moving), optionally ROI.bmp and temporalROI.txt. The zip may hold one "
             "sequence or a category of them."),)

    def matches(self, spec: str | Path) -> bool:
        path = Path(spec)
        return path.is_file() and path.suffix.lower() == ".zip"

    def open(self, spec: str | Path, max_side: int | None = None) -> Source:
        path = Path(spec)
        seqs = zip_sequences(path, max_side)
        if len(seqs) > 1:
            names = ", ".join(f"{s.category}/{s.name}" for s in seqs[:4])
            raise BgappError(f"{path.name} holds {len(seqs)} sequences ({names}...): process takes one; "
                             "unzip it and name a sequence folder")
        return seqs[0]

    def scored(self, spec: str | Path, skipped: list[Skipped] | None) -> list[Source]:
        return list(zip_sequences(Path(spec), skipped=skipped))

    def pick(self, values: Mapping[str, Any], picking: Picking) -> SourceChoice | None:
        current, up = picking.current, values["src.zip"]
        if up is None:
            if current is not None and current.kind == self.name:
                picking.in_use(current.upload or current.source.name)
                return current
            picking.prompt("Upload a zip of a sequence folder, or pick the built-in demo.")
            return None
        tag = hashlib.sha1(up.file_id.encode()).hexdigest()[:12]
        dest = picking.folder / f"zip-{tag}"
        if not (dest / ".complete").exists():
            shutil.rmtree(dest, ignore_errors=True)
            extract_zip(up.getvalue(), dest, up.name)
            (dest / ".complete").touch()
        seq = picking.pick_sequence(_sequences_in(dest, picking, tag))
        ident = f"zip:{tag}:{seq.path}"
        if current is not None and current.ident == ident:
            return current
        return SourceChoice(self.name, ident, seq, describe(seq), upload=up.name)

    def discard(self, old: SourceChoice, new: SourceChoice, picking: Picking) -> None:
        tag = old.ident.split(":")[1]
        if new.ident.split(":")[1] != tag:
            shutil.rmtree(picking.folder.resolve() / f"zip-{tag}", ignore_errors=True)


@SOURCE_KINDS.register
class FolderKind(SourceKind):
    """A sequence folder (or a category or dataset of them) named by path; in the picker, a video file too."""

    name, label, doing = "folder", "Folder or file on this computer", "opening the path"
    inputs = (SIZE, SourceInput(
        "src.folder", "text", "Path", placeholder="/data/cdnet2014/baseline/highway",
        help="A sequence folder (with input/), a category or dataset folder of them, or a video file "
             f"({', '.join(VIDEO_SUFFIXES)})."))

    def matches(self, spec: str | Path) -> bool:
        return Path(spec).is_dir()

    def open(self, spec: str | Path, max_side: int | None = None) -> Source:
        from .sequences import Sequence

        return Sequence(Path(spec), max_side=max_side)

    def scored(self, spec: str | Path, skipped: list[Skipped] | None) -> list[Source]:
        from .sequences import find_sequences

        return list(find_sequences(Path(spec), skipped=skipped))

    def offered(self, picking: Picking) -> bool:
        return picking.local_files

    def pick(self, values: Mapping[str, Any], picking: Picking) -> SourceChoice | None:
        from .video import VideoSource

        current, max_side, text = picking.current, values["src.max_side"], (values["src.folder"] or "").strip()
        if not text:
            if current is not None and current.kind == self.name:
                return current
            picking.prompt("Type the path of a sequence folder or a video file.")
            return None
        path = Path(text).expanduser().absolute()  # BGSLibrary may change the working directory for an instant
        if path.is_file():
            ident = f"folder:{path}:{max_side}"
            if current is not None and current.ident == ident:
                return current
            src = VideoSource(path, max_side=working_side(max_side))
            return SourceChoice(self.name, ident, src, describe(src), str(path), max_side)
        if not path.exists():
            raise BgappError(f"no such file or folder: {path}")
        seq = picking.pick_sequence(_sequences_in(path, picking, str(path)))
        ident = f"folder:{seq.path}"
        if current is not None and current.ident == ident:
            return current
        return SourceChoice(self.name, ident, seq, describe(seq))


@SOURCE_KINDS.register
class StudyKind(SourceKind):
    """The sequence a study of Evaluate & tune ran on, once "Apply best" opened it (never a spec)."""

    name, label, doing = "study", "The sequence of the study (Evaluate & tune)", "opening the study's sequence"
    remembered = True

    def offered(self, picking: Picking) -> bool:
        return picking.remembered(self.name) is not None

    def title(self, picking: Picking) -> str:
        study = picking.remembered(self.name)
        return f"The study's sequence: {study.source.name}" if study is not None else self.label

    def pick(self, values: Mapping[str, Any], picking: Picking) -> SourceChoice | None:
        return picking.remembered(self.name)

    def link_name(self, choice: SourceChoice, shared: Path) -> str | None:
        """The sequence's path under the shared data, where it is one of them."""
        path = getattr(choice.source, "path", None)
        if not path:
            return None
        here, root = Path(path).resolve(), shared.resolve()
        return here.relative_to(root).as_posix() if here.is_relative_to(root) and here != root else None


@SOURCE_KINDS.register
class LabelledKind(SourceKind):
    """The frames labelled on the Label frames page, while their folder exists (never a spec)."""

    name, label, doing = "labelled", "Your labelled frames (Label frames)", "opening your labelled frames"

    def offered(self, picking: Picking) -> bool:
        return picking.saved_labels is not None

    def pick(self, values: Mapping[str, Any], picking: Picking) -> SourceChoice | None:
        assert picking.saved_labels is not None
        choice, current = labelled_choice(picking.saved_labels), picking.current
        return current if current is not None and current.ident == choice.ident else choice  # the same save


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
    kind = kind_of(spec)  # the kinds of SOURCE_KINDS, asked in order
    if kind is None:
        raise BgappError(f"no such file or folder: {spec}")
    return kind.open(spec, max_side)


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
    from .sequences import Skipped

    out: list[Source] = []
    found: list[Skipped] = []
    for spec in specs:
        kind = kind_of(spec)  # each kind says what it gives evaluation (SourceKind.scored)
        if kind is None:
            raise BgappError(_NOT_SCORABLE.format(spec=spec) if Path(spec).exists() else f"no such folder: {spec}")
        out.extend(kind.scored(spec, found if skipped is not None else None))
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
