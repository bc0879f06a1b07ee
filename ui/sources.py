"""Choosing what to process (demo, a failure case of the gallery, uploaded video, zipped image
sequence, local folder) and reading its frames one at a time.

The chosen source is shared by the pages of a session (``bgapp.source``), so a clip uploaded
in the Video lab is also there on Compare and Background statistics, and stays chosen until the
user picks another. Evaluate & tune's "Apply best" makes the study's sequence the source
(:func:`open_study_sequence`).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from bgapp.archive import safe_extract
from bgapp.errors import BgappError, printable
from bgapp.gallery import BY_NAME, case_names, get_case
from bgapp.hosting import LOCAL_FILES_ENV
from bgapp.sequences import Sequence, find_sequences
from bgapp.source import Source
from bgapp.sources import VIDEO_SUFFIXES
from bgapp.synthetic import SyntheticScene
from bgapp.video import VideoSource, open_video_bytes

from .errors import guard, plain
from .keys import LABELLED
from .session import keep, workdir
from .visitor import visitor_is_local

SOURCE_KEY = "bgapp.source"
_KIND_KEY = "src.kind"  # the Source radio
_CASE_KEY = "src.case"  # the failure case's selectbox
VIDEO_TYPES = ("mp4", "avi", "mov", "mkv", "webm")
MAX_SIDES = (240, 320, 480, 640, 960, 1280, 0)  # 0: the video's own size, up to APP_MAX_SIDE
DEFAULT_MAX_SIDE = 640
# The longest side anything is processed at in the app: a 4K or 8K upload is scaled down to this
# (with a note), so one session's frames stay a few MB and a shared server keeps up.
APP_MAX_SIDE = 1920
ZIP_LIMIT_MB = 1024  # an uploaded zip may expand to at most this much on disk
KINDS = {
    "demo": "Built-in demo",
    "case": "A failure case (Gallery)",
    "video": "Upload a video",
    "zip": "Upload an image sequence (zip)",
    "folder": "Folder or file on this computer",
    "study": "The sequence of the study (Evaluate & tune)",
    "labelled": "Your labelled frames (Label frames)",
}
STUDY_KEY = "bgapp.study_source"  # the sequence "Apply best" opened, offered as a source from then on
LOCAL_ENV = LOCAL_FILES_ENV  # "1" allows local paths anywhere, "0" nowhere


@dataclass
class SourceChoice:
    """A source and what identifies it (a new ``ident`` means a new clip for the players)."""

    kind: str
    ident: str
    source: Source
    label: str
    path: str | None = None  # the video file, to reopen at another size
    max_side: int | None = None
    upload: str | None = None  # the uploaded file's name (an upload widget forgets it on another page)


def upload_limit_mb() -> int:
    return int(st.get_option("server.maxUploadSize"))


def working_side(max_side: int | None) -> int:
    """The processing size for a slider value (0/None, "original", is capped at APP_MAX_SIDE)."""
    return min(max_side or APP_MAX_SIDE, APP_MAX_SIDE)


def extract_zip(data: bytes, dest: Path, name: str, limit_mb: int = ZIP_LIMIT_MB) -> Path:
    """Extract an uploaded zip into ``dest`` safely (no paths outside it, no links, size-capped);
    a refusal is a BgappError that names the upload."""
    try:
        return safe_extract(io.BytesIO(data), dest, max_total=limit_mb * 1024**2, name=name)
    except BgappError as exc:
        raise BgappError(f"{printable(name)}: {exc}") from None


def source_notes(choice: SourceChoice) -> list[str]:
    """What the user should know about the chosen source: a size cap, gaps, unpaired files."""
    src = choice.source
    notes = list(src.notes)
    if isinstance(src, VideoSource) and src.scaled and not choice.max_side and max(src.source_size) > APP_MAX_SIDE:
        w, h = src.size
        notes.insert(0, f"This video is {src.source_size[0]}x{src.source_size[1]}: it is processed at {w}x{h}, "
                        f"since this server caps the longest side at {APP_MAX_SIDE} px.")
    return notes


def describe(src: Source) -> str:
    """One line: name, size, rate, frames and whether ground truth exists."""
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


def demo_choice() -> SourceChoice:
    src = SyntheticScene()
    return SourceChoice("demo", "demo", src, describe(src) + " (synthetic room, exact labels)")


def case_choice(name: str) -> SourceChoice:
    """A failure case of the gallery (``shadows`` or ``case:shadows``); raises BgappError naming
    the cases for another name."""
    case = get_case(name)
    src = case.scene()
    return SourceChoice("case", src.path, src, describe(src) + f" ({case.title.lower()}, exact labels)")


def study_choice(spec: str) -> SourceChoice:
    """A sequence a study ran on (a spec from ``bgapp.distributed.list_sequences``) as a source:
    the demo, a sample or local folder, or a folder unpacked from an uploaded zip."""
    if spec == "demo":
        return demo_choice()
    seq = Sequence(spec, max_side=APP_MAX_SIDE)
    seq.check_ground_truth()
    return SourceChoice("study", f"study:{seq.path}", seq, describe(seq))


def labelled_choice(folder: str) -> SourceChoice:
    """The sequence saved on the Label frames page (``ui.keys.LABELLED``) as a source: the Video lab
    then scores, and shows the errors of, its labelled frames. A new save is a new clip."""
    seq = Sequence(folder, max_side=APP_MAX_SIDE)
    seq.check_ground_truth()
    saved = Path(folder, "groundtruth").stat().st_mtime_ns
    return SourceChoice("labelled", f"labelled:{seq.path}:{saved}", seq, describe(seq) + " (labelled here)")


def select_source(choice: SourceChoice) -> SourceChoice:
    """Make ``choice`` the session's source, and the Source radio show its kind where it is already
    drawn (a radio left on another kind would win over it on the next run)."""
    st.session_state[SOURCE_KEY] = choice
    if choice.kind == "study":
        st.session_state[STUDY_KEY] = choice
    if _KIND_KEY in st.session_state:
        st.session_state[_KIND_KEY] = choice.kind
    if choice.kind == "case" and _CASE_KEY in st.session_state:
        st.session_state[_CASE_KEY] = choice.source.name
    return choice


def open_study_sequence(spec: str) -> SourceChoice:
    """Make the study's sequence the session's source: the Video lab, Compare and Background
    statistics open it next (Evaluate & tune's "Apply best"). Raises BgappError."""
    return select_source(study_choice(spec))


def _uploaded_earlier(where: Any, current: SourceChoice) -> None:
    """An upload widget is empty again on another page: say which upload is still in use."""
    name = current.upload or current.source.name
    where.caption(f":material/upload_file: In use: **{plain(name)}**, uploaded earlier in this session. "
                  "Upload another file to replace it.")


def local_paths_allowed() -> bool:
    """Local paths only for someone at this machine (:func:`ui.visitor.visitor_is_local`), or as the
    environment says (``BGAPP_LOCAL_FILES=0``, which a hosted deployment sets, wins over everything)."""
    env = os.environ.get(LOCAL_ENV)
    if env is not None and env.strip():
        return env.strip().lower() in ("1", "true", "yes")
    return visitor_is_local()


# the picker -------------------------------------------------------------------------------------

def _discard(old: SourceChoice | None, new: SourceChoice | None) -> None:
    """Delete the files of an upload that another upload replaced (the session folder only)."""
    if old is None or new is None or old.ident == new.ident:
        return
    root = workdir().path.resolve()
    if old.kind == "video" and old.path and old.path != new.path:
        path = Path(old.path).resolve()
        if path.is_relative_to(root):
            path.unlink(missing_ok=True)
    elif old.kind == "zip":
        folder = root / f"zip-{old.ident.split(':')[1]}"
        if new.kind != "zip" or new.ident.split(":")[1] != old.ident.split(":")[1]:
            shutil.rmtree(folder, ignore_errors=True)


def _pick_sequence(seqs: list[Sequence], where: Any) -> Sequence:
    if len(seqs) == 1:
        return seqs[0]
    by_path = {printable(s.path): s for s in seqs}  # printable: option values are hashed as UTF-8
    paths = list(by_path)
    chosen = where.selectbox("Sequence", paths, key="src.seq",
                             format_func=lambda p: f"{by_path[p].category}/{by_path[p].name}",
                             help="The folder holds several sequences: pick one.")
    return by_path[chosen]


def _sequences_in(folder: Path, ident: str) -> list[Sequence]:
    def find() -> list[Sequence]:
        seqs = find_sequences(folder, max_side=APP_MAX_SIDE)
        for seq in seqs:
            seq.check_ground_truth()
        return seqs

    return keep("bgapp.sequences", find, ident)


def _video(where: Any, current: SourceChoice | None, max_side: int | None) -> SourceChoice | None:
    limit = upload_limit_mb()
    up = where.file_uploader(
        f"Video file ({', '.join(VIDEO_TYPES)}), up to {limit} MB", type=list(VIDEO_TYPES), key="src.video",
        help="Frames are decoded one at a time, so long clips are fine. Nothing leaves this server; "
             "the file is deleted when your session ends.")
    if up is not None:
        ident = f"video:{up.file_id}:{max_side}"
        if current is not None and current.ident == ident:
            return current
        with guard("opening the video", where) as g:
            src = open_video_bytes(up.getvalue(), Path(up.name).suffix, workdir().sub("uploads"),
                                   max_side=working_side(max_side), name=up.name)
        return SourceChoice("video", ident, src, describe(src), src.path, max_side, up.name) if g.ok else None
    if current is not None and current.kind == "video" and current.path:
        _uploaded_earlier(where, current)
        if current.max_side == max_side:
            return current
        with guard("opening the video", where) as g:
            src = VideoSource(current.path, max_side=working_side(max_side))
            src.name = current.source.name
        ident = re.sub(r":[^:]*$", f":{max_side}", current.ident)
        return SourceChoice("video", ident, src, describe(src), current.path, max_side, current.upload) \
            if g.ok else None
    where.info("Upload a video to start, or pick the built-in demo.")
    return None


def _zip(where: Any, current: SourceChoice | None) -> SourceChoice | None:
    up = where.file_uploader(
        f"Zipped sequence folder, up to {upload_limit_mb()} MB", type=["zip"], key="src.zip",
        help="A CDnet-style folder: input/ with numbered frames and, for scores, groundtruth/ "
             "(0 static, 50 shadow, 85 outside ROI, 170 unknown, 255 moving), optionally ROI.bmp and "
             "temporalROI.txt. The zip may hold one sequence or a category of them.")
    if up is None:
        if current is not None and current.kind == "zip":
            _uploaded_earlier(where, current)
            return current
        where.info("Upload a zip of a sequence folder, or pick the built-in demo.")
        return None
    tag = hashlib.sha1(up.file_id.encode()).hexdigest()[:12]
    with guard("unpacking the zip", where) as g:
        dest = workdir().path / f"zip-{tag}"
        if not (dest / ".complete").exists():
            shutil.rmtree(dest, ignore_errors=True)
            extract_zip(up.getvalue(), dest, up.name)
            (dest / ".complete").touch()
        seq = _pick_sequence(_sequences_in(dest, tag), where)
    if not g.ok:
        return None
    ident = f"zip:{tag}:{seq.path}"
    if current is not None and current.ident == ident:
        return current
    return SourceChoice("zip", ident, seq, describe(seq), upload=up.name)


def _folder(where: Any, current: SourceChoice | None, max_side: int | None) -> SourceChoice | None:
    text = where.text_input("Path", key="src.folder", placeholder="/data/cdnet2014/baseline/highway",
                            help="A sequence folder (with input/), a category or dataset folder of them, "
                                 f"or a video file ({', '.join(VIDEO_SUFFIXES)}).")
    text = (text or "").strip()
    if not text:
        if current is not None and current.kind == "folder":
            return current
        where.info("Type the path of a sequence folder or a video file.")
        return None
    path = Path(text).expanduser().absolute()  # BGSLibrary may change the working directory for an instant
    with guard("opening the path", where) as g:
        if path.is_file():
            ident = f"folder:{path}:{max_side}"
            if current is not None and current.ident == ident:
                return current
            src = VideoSource(path, max_side=working_side(max_side))
            return SourceChoice("folder", ident, src, describe(src), str(path), max_side)
        if not path.exists():
            raise BgappError(f"no such file or folder: {path}")
        seq = _pick_sequence(_sequences_in(path, str(path)), where)
        ident = f"folder:{seq.path}"
        if current is not None and current.ident == ident:
            return current
        return SourceChoice("folder", ident, seq, describe(seq))
    return None if not g.ok else current


def _case(where: Any, current: SourceChoice | None) -> SourceChoice:
    names = case_names()
    shown = current.source.name if current is not None and current.kind == "case" else names[0]
    # the widget's own value wins where it has one (select_source keeps it in step with the source)
    at = {} if _CASE_KEY in st.session_state else {"index": names.index(shown)}
    name = where.selectbox("Failure case", names, **at, key=_CASE_KEY,
                           format_func=lambda n: BY_NAME[n].title,
                           help="A short synthetic clip per classic challenge, with exact ground truth: the "
                                "Failure gallery page explains each and scores a few methods on it.")
    if current is not None and current.kind == "case" and current.source.name == name:
        return current
    return case_choice(name)


def choose_source(where: Any = st.sidebar) -> SourceChoice | None:
    """The source widgets; returns the session's chosen source (None until one is usable)."""
    current: SourceChoice | None = st.session_state.get(SOURCE_KEY)
    study: SourceChoice | None = st.session_state.get(STUDY_KEY)
    labelled: str | None = st.session_state.get(LABELLED)
    if labelled is not None and not Path(labelled, "groundtruth").is_dir():
        labelled = None  # its session folder is gone
    kinds = [k for k in KINDS if (k != "folder" or local_paths_allowed()) and (k != "study" or study is not None)
             and (k != "labelled" or labelled is not None)]
    default = current.kind if current is not None and current.kind in kinds else "demo"
    kind = where.radio("Source", kinds, index=kinds.index(default), key=_KIND_KEY,
                       format_func=lambda k: f"The study's sequence: {study.source.name}" if k == "study" and study
                       else KINDS[k],
                       help="The built-in demo is a synthetic room with exact ground truth, so every "
                            "score is shown. Uploads are private to your session.")
    max_side = None
    if kind in ("video", "folder"):
        remembered = current.max_side or 0 if current is not None and current.path else DEFAULT_MAX_SIDE
        max_side = where.select_slider(
            "Processing size (longest side)", MAX_SIDES, value=remembered, key="src.max_side",
            format_func=lambda v: f"original (up to {APP_MAX_SIDE} px)" if v == 0 else f"{v} px",
            help="Videos are scaled down to this before processing: smaller is faster and smooths "
                 "noise; larger keeps small objects. Image sequences keep their size so the ground "
                 f"truth lines up. Nothing is processed larger than {APP_MAX_SIDE} px on its longest "
                 "side (sequences included, with their ground truth).") or None
    if kind == "demo":
        choice = current if current is not None and current.kind == "demo" else demo_choice()
    elif kind == "case":
        choice = _case(where, current)
    elif kind == "video":
        choice = _video(where, current, max_side)
    elif kind == "zip":
        choice = _zip(where, current)
    elif kind == "study":
        choice = study
    elif kind == "labelled":
        assert labelled is not None
        choice = None
        with guard("opening your labelled frames", where):
            choice = labelled_choice(labelled)
        if choice is not None and current is not None and current.ident == choice.ident:
            choice = current  # the same save: keep the open clip
    else:
        choice = _folder(where, current, max_side)
    if choice is not None:
        if current is not None and current.kind in ("video", "zip") and choice.kind == current.kind:
            _discard(current, choice)
        st.session_state[SOURCE_KEY] = choice
        where.caption(plain(choice.label))
        for note in source_notes(choice):
            where.caption(f":material/info: {plain(note)}")
    return choice
