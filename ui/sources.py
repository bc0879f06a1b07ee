"""Choosing what to process (demo, a failure case of the gallery, uploaded video, zipped image
sequence, local folder) and reading its frames one at a time.

The kinds of source are :data:`bgapp.sources.SOURCE_KINDS`, one class each: the picker here draws
whichever kinds there are from what each declares (its label, its ``inputs``, whether it is
``offered``) and lets the kind open the source (``pick``), so a new kind needs nothing here.

The chosen source is shared by the pages of a session (``bgapp.source``), so a clip uploaded
in the Video lab is also there on Compare and Background statistics, and stays chosen until the
user picks another. Evaluate & tune's "Apply best" makes the study's sequence the source
(:func:`open_study_sequence`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import streamlit as st

from bgapp.errors import printable
from bgapp.hosting import LOCAL_FILES_ENV
from bgapp.sequences import Sequence
from bgapp.sources import (
    APP_MAX_SIDE,
    SOURCE_KINDS,
    VIDEO_TYPES,
    ZIP_LIMIT_MB,
    SourceChoice,
    SourceInput,
    SourceKind,
    case_choice,
    demo_choice,
    describe,
    extract_zip,
    labelled_choice,
    study_choice,
    working_side,
)
from bgapp.video import VideoSource

from .errors import guard, plain
from .keys import LABELLED
from .session import first_run, keep, workdir
from .visitor import visitor_is_local

__all__ = ["APP_MAX_SIDE", "DEFAULT_MAX_SIDE", "MAX_SIDES", "SOURCE_KEY", "SOURCE_KINDS", "STUDY_KEY", "VIDEO_TYPES",
           "ZIP_LIMIT_MB", "SourceChoice", "case_choice", "choose_source", "demo_choice", "describe", "extract_zip",
           "labelled_choice", "local_paths_allowed", "open_study_sequence", "select_source", "source_notes",
           "study_choice", "upload_limit_mb", "working_side"]

T = TypeVar("T")
SOURCE_KEY = "bgapp.source"
_KIND_KEY = "src.kind"  # the Source radio
_UPLOADS_KEY = "src.uploads"  # bumped to empty the upload boxes: an upload widget of a new key holds no file
LOST_UPLOAD = ("The connection to the server was lost for longer than the server keeps a session, so this is a "
               "new session: the file you uploaded, and what the model learned from it, are gone. Upload it again.")
MAX_SIDES = (240, 320, 480, 640, 960, 1280, 0)  # 0: the video's own size, up to APP_MAX_SIDE
DEFAULT_MAX_SIDE = 640
STUDY_KEY = "bgapp.study_source"  # the sequence "Apply best" opened, offered as a source from then on
LOCAL_ENV = LOCAL_FILES_ENV  # "1" allows local paths anywhere, "0" nowhere


def _remembered_key(kind: str) -> str:
    """Where the session keeps the last choice of a ``remembered`` kind (the study's is STUDY_KEY)."""
    return f"bgapp.{kind}_source"


def upload_limit_mb() -> int:
    return int(st.get_option("server.maxUploadSize"))


def source_notes(choice: SourceChoice) -> list[str]:
    """What the user should know about the chosen source: a size cap, gaps, unpaired files."""
    src = choice.source
    notes = list(src.notes)
    if isinstance(src, VideoSource) and src.scaled and not choice.max_side and max(src.source_size) > APP_MAX_SIDE:
        w, h = src.size
        notes.insert(0, f"This video is {src.source_size[0]}x{src.source_size[1]}: it is processed at {w}x{h}, "
                        f"since this server caps the longest side at {APP_MAX_SIDE} px.")
    return notes


def select_source(choice: SourceChoice) -> SourceChoice:
    """Make ``choice`` the session's source, and the Source radio show its kind where it is already
    drawn (a radio left on another kind would win over it on the next run)."""
    st.session_state[SOURCE_KEY] = choice
    kind = SOURCE_KINDS[choice.kind]
    if kind.remembered:
        st.session_state[_remembered_key(kind.name)] = choice
    if _KIND_KEY in st.session_state:
        st.session_state[_KIND_KEY] = choice.kind
    for inp in kind.inputs:  # a choice the kind draws shows the new source too
        if inp.of_choice is not None and inp.key in st.session_state:
            st.session_state[inp.key] = inp.of_choice(choice)
    return choice


def open_study_sequence(spec: str) -> SourceChoice:
    """Make the study's sequence the session's source: the Video lab, Compare and Background
    statistics open it next (Evaluate & tune's "Apply best"). Raises BgappError."""
    return select_source(study_choice(spec))


def local_paths_allowed() -> bool:
    """Local paths only for someone at this machine (:func:`ui.visitor.visitor_is_local`), or as the
    environment says (``BGAPP_LOCAL_FILES=0``, which a hosted deployment sets, wins over everything)."""
    env = os.environ.get(LOCAL_ENV)
    if env is not None and env.strip():
        return env.strip().lower() in ("1", "true", "yes")
    return visitor_is_local()


# the picker: any kind of SOURCE_KINDS, drawn from what it declares ---------------------------------

class _Picker:
    """The picker's side of :class:`bgapp.sources.Picking`: what a kind's ``pick`` may ask, in ``where``."""

    def __init__(self, where: Any, current: SourceChoice | None, saved_labels: str | None) -> None:
        self.where = where
        self.current = current
        self.saved_labels = saved_labels
        self.local_files = local_paths_allowed()

    @property
    def folder(self) -> Path:
        return workdir().path

    def remembered(self, kind: str) -> SourceChoice | None:
        return st.session_state.get(_remembered_key(kind))

    def keep(self, key: str, make: Callable[[], T], ident: Any) -> T:
        return keep(key, make, ident)

    def pick_sequence(self, seqs: list[Sequence]) -> Sequence:
        if len(seqs) == 1:
            return seqs[0]
        by_path = {printable(s.path): s for s in seqs}  # printable: option values are hashed as UTF-8
        paths = list(by_path)
        chosen = self.where.selectbox("Sequence", paths, key="src.seq",
                                      format_func=lambda p: f"{by_path[p].category}/{by_path[p].name}",
                                      help="The folder holds several sequences: pick one.")
        return by_path[chosen]

    def in_use(self, name: str) -> None:
        self.where.caption(f":material/upload_file: In use: **{plain(name)}**, uploaded earlier in this session. "
                           "Upload another file to replace it.")

    def prompt(self, text: str) -> None:
        self.where.info(text)


def _draw(inp: SourceInput, kind: SourceKind, where: Any, current: SourceChoice | None) -> Any:
    """One declared input as its widget; returns the widget's value (the size: None for "original")."""
    if inp.widget == "size":
        remembered = current.max_side or 0 if current is not None and current.path else DEFAULT_MAX_SIDE
        return where.select_slider(
            inp.label, MAX_SIDES, value=remembered, key=inp.key, help=inp.help,
            format_func=lambda v: f"original (up to {APP_MAX_SIDE} px)" if v == 0 else f"{v} px") or None
    label = inp.label.replace("{limit}", str(upload_limit_mb())) if "{limit}" in inp.label else inp.label
    if inp.widget == "upload":
        emptied = st.session_state.get(_UPLOADS_KEY, 0)
        return where.file_uploader(label, type=list(inp.types), key=f"{inp.key}.{emptied}" if emptied else inp.key,
                                   help=inp.help)
    if inp.widget == "text":
        return where.text_input(label, key=inp.key, placeholder=inp.placeholder, help=inp.help)
    assert inp.widget == "choice" and inp.options is not None
    options = inp.options()
    mine = current is not None and current.kind == kind.name and inp.of_choice is not None
    shown = inp.of_choice(current) if mine and inp.of_choice is not None and current is not None else options[0]
    # the widget's own value wins where it has one (select_source keeps it in step with the source)
    at = {} if inp.key in st.session_state else {"index": options.index(shown)}
    return where.selectbox(label, options, **at, key=inp.key, format_func=inp.option_label or str, help=inp.help)


def choose_source(where: Any = st.sidebar) -> SourceChoice | None:
    """The source widgets; returns the session's chosen source (None until one is usable)."""
    current: SourceChoice | None = st.session_state.get(SOURCE_KEY)
    labelled: str | None = st.session_state.get(LABELLED)
    if labelled is not None and not Path(labelled, "groundtruth").is_dir():
        labelled = None  # its session folder is gone
    picker = _Picker(where, current, labelled)
    # the titles now: a radio's format_func may be called again outside this run (no session state then)
    titles = {kind.name: kind.title(picker) for kind in SOURCE_KINDS.values() if kind.offered(picker)}
    kinds = list(titles)
    default = current.kind if current is not None and current.kind in kinds else "demo"
    name = where.radio("Source", kinds, index=kinds.index(default), key=_KIND_KEY, format_func=titles.__getitem__,
                       help="The built-in demo is a synthetic room with exact ground truth, so every "
                            "score is shown. Uploads are private to your session.")
    kind = SOURCE_KINDS[name]
    if first_run() and name != default and any(inp.widget == "upload" for inp in kind.inputs):
        # Only a browser tab can start a session on an upload kind: its session expired while it was
        # disconnected, and its upload box still lists a file this session never received. Empty the
        # box, so the page does not show a file it does not have, and say what happened.
        st.session_state[_UPLOADS_KEY] = st.session_state.get(_UPLOADS_KEY, 0) + 1
        where.warning(LOST_UPLOAD, icon=":material/cloud_off:")
    values = {inp.key: _draw(inp, kind, where, current) for inp in kind.inputs}
    choice: SourceChoice | None = None
    with guard(kind.doing, where):
        choice = kind.pick(values, picker)
    if choice is not None:
        if current is not None and current.kind == choice.kind and current.ident != choice.ident:
            kind.discard(current, choice, picker)  # an upload another one replaced
        st.session_state[SOURCE_KEY] = choice
        where.caption(plain(choice.label))
        for note in source_notes(choice):
            where.caption(f":material/info: {plain(note)}")
    return choice
