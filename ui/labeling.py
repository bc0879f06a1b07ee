"""The Streamlit parts of the Label page: which frames to label, the drawing canvas, saving and
loading the labels. The work itself (levels, undo, the CDnet files) is :mod:`bgapp.labels`.

Drawing goes through ``streamlit-drawable-canvas``: its background is the frame with the current
mask tinted on it, and the labeller paints opaque palette colours over it. The canvas sends a
picture of the strokes alone when the mouse is released; :meth:`LabelEditor.draw` turns it into
levels, and the canvas is drawn again empty (a new key) on the updated background. So the mask
is always the one truth, and undo, reset and saving never need the canvas's own objects.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from bgapp.clip import Clip
from bgapp.config import Config
from bgapp.errors import BgappError, printable
from bgapp.evaluate import FEW_SCORED
from bgapp.labels import (
    BACKGROUND,
    DEFAULT_COUNT,
    FOREGROUND,
    LEVEL_NAMES,
    PALETTE,
    UNKNOWN,
    LabelEditor,
    Labels,
    overlay,
    read_labels,
    starting_masks,
    write_sequence,
    zip_sequence,
)
from bgapp.methods import METHODS
from bgapp.sequences import Sequence, find_sequences

from .errors import guard, plain
from .keys import LABELLED
from .lab import progress_bar
from .session import keep, workdir
from .sources import APP_MAX_SIDE, SourceChoice, describe, extract_zip, select_source, upload_limit_mb

KEY = "label"
EDITORS = f"{KEY}.editors"  # {source ident: LabelEditor}, the session's labelling, newest last
KEEP_CLIPS = 4  # labelling of this many clips is kept when the source changes (a few MB each)
PRELOAD_MAX = 200  # a sequence with ground truth on at most this many frames is hand labels to go on with
ZOOMS = (1.0, 1.5, 2.0, 3.0, 4.0)
FIT_WIDTH = 900  # the default zoom makes the frame about this wide (the main column of a wide page)
MAX_DISPLAY_HEIGHT = 720  # a taller canvas scrolls inside this box
JPEG_QUALITY = 90


@dataclass(frozen=True)
class Tool:
    """A drawing tool: what it paints (None: the polygon level chosen beside it), the canvas's
    mode, and its keyboard shortcut."""

    title: str
    level: int | None
    mode: str
    shortcut: str
    icon: str


TOOLS = {
    "fg": Tool("Foreground brush", FOREGROUND, "freedraw", "B", ":material/brush:"),
    "bg": Tool("Eraser (background)", BACKGROUND, "freedraw", "E", ":material/ink_eraser:"),
    "unknown": Tool("Don't care brush", UNKNOWN, "freedraw", "D", ":material/blur_on:"),
    "polygon": Tool("Fill polygon", None, "polygon", "G", ":material/pentagon:"),
}


@dataclass(frozen=True)
class View:
    zoom: float
    opacity: float
    brush: int  # in frame pixels


# state -----------------------------------------------------------------------------------------

def tag_of(ident: str) -> str:
    """A short, key-safe tag for a source ident (widget keys, folder names)."""
    return hashlib.sha1(ident.encode("utf-8", "surrogateescape")).hexdigest()[:10]


def clip_stem(name: str) -> str:
    """A clip's name as a folder and file name: ``vtest.avi`` -> ``vtest``."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(printable(name)).stem).strip("._")
    return stem or "clip"


def editor_for(choice: SourceChoice, clip: Clip, count: int) -> LabelEditor:
    """The session's labelling of ``choice``: the same object across reruns and page switches (and
    after labelling another clip meanwhile), new for a new clip. A sequence whose ground truth
    covers only a few frames (labels saved here, say) starts from them."""
    editors: OrderedDict[str, LabelEditor] = keep(EDITORS, OrderedDict)
    editor = editors.get(choice.ident)
    if editor is not None and editor.count != count:
        editor.respread(count)
    if editor is None:
        editor = LabelEditor.start(choice.source.size, clip.n, clip.fps, count)
        src = choice.source
        if isinstance(src, Sequence) and src.has_ground_truth:
            with_gt = sum(1 for i in range(len(src)) if src.ground_truth_file(i) is not None)
            if with_gt <= PRELOAD_MAX:
                with guard("reading the sequence's labels"):
                    editor.merge(read_labels(src))
                    editor.history.clear()  # they are where labelling starts: nothing to undo
        editors[choice.ident] = editor
        while len(editors) > KEEP_CLIPS:
            editors.popitem(last=False)
    editors.move_to_end(choice.ident)
    return editor


def canvas_key(tag: str, i: int) -> str:
    """The canvas's key for frame ``i``: a new one after each change, so it starts empty again on
    the updated background."""
    return f"{KEY}.canvas.{tag}.{i}.{st.session_state.get(f'{KEY}.canvas_n', 0)}"


def _renew_canvas() -> None:
    st.session_state[f"{KEY}.canvas_n"] = st.session_state.get(f"{KEY}.canvas_n", 0) + 1


def suggest(editor: LabelEditor, choice: SourceChoice, config: Config, where: Any) -> None:
    """The method's masks for the chosen frames that have neither (one pass of the pipeline, with a
    progress bar in ``where``)."""
    todo = editor.needs_suggestion()
    if not todo:
        return
    bar = where.empty()
    masks = starting_masks(choice.source, config, todo,
                           progress_bar(bar, f"{METHODS[config.method].title} suggests masks"))
    bar.empty()
    editor.suggest(masks, config)
    missing = [i for i in todo if i not in masks]
    if missing:  # a video shorter than its header said: those frames do not exist
        editor.shorten(missing[0])
        where.caption(f":material/info: The clip ended before frame {missing[0] + 1} (its header promised more "
                      "frames): the frames to label are those before it.")


def background(frame: np.ndarray, mask: np.ndarray, opacity: float, zoom: float) -> bytes:
    """The canvas's background: the frame with the mask tinted on it (:func:`overlay`), scaled by
    ``zoom`` (nearest neighbour: one frame pixel is a crisp square), as JPEG."""
    img = overlay(frame, mask, opacity)
    if zoom != 1:
        h, w = mask.shape
        img = cv2.resize(img, (round(w * zoom), round(h * zoom)), interpolation=cv2.INTER_NEAREST)
    return cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])[1].tobytes()


def default_zoom(width: int) -> float:
    """The largest zoom that keeps the frame within FIT_WIDTH (1x at least)."""
    fits = [z for z in ZOOMS if width * z <= FIT_WIDTH]
    return max(fits) if fits else ZOOMS[0]


# widgets ---------------------------------------------------------------------------------------

def view_controls(size: tuple[int, int], where: Any = st.sidebar) -> tuple[View, int]:
    """Zoom, overlay opacity, brush size and how many frames to offer (sidebar)."""
    w, _ = size
    where.subheader("Labelling")
    count = int(where.number_input(
        "Frames to label", 1, 500, DEFAULT_COUNT, key=f"{KEY}.count",
        help="Spread evenly over the clip, after its first seconds (a model has learnt nothing there yet). "
             "Labelled frames always stay in the list; add any other frame under the canvas."))
    zoom = where.select_slider("Zoom", ZOOMS, value=default_zoom(w), key=f"{KEY}.zoom",
                               format_func=lambda z: f"{z:g}x",
                               help="Larger draws finer edges; a canvas taller than the window scrolls.")
    opacity = where.slider("Overlay opacity", 0.0, 1.0, 0.45, 0.05, key=f"{KEY}.opacity",
                           help="How strongly the mask's colours tint the frame.")
    brush = where.slider("Brush size (frame pixels)", 1, 60, max(3, w // 60), key=f"{KEY}.brush",
                         help="In pixels of the frame, whatever the zoom.")
    return View(float(zoom), float(opacity), int(brush)), count


def count_line(editor: LabelEditor) -> str:
    """``"3 of 10 frames labelled"``: the visible progress."""
    return f"{editor.labelled} of {len(editor.chosen)} frames labelled"


def frame_picker(editor: LabelEditor) -> None:
    """The count of labelled frames with previous/next beside it, and the chosen frames (a tick on
    labelled ones) to jump to."""
    pick = f"{KEY}.pick"

    def picked() -> None:
        if st.session_state.get(pick) is not None:
            editor.current = st.session_state[pick]

    def step(by: int) -> None:
        editor.step(by)

    k = editor.chosen.index(editor.current) if editor.current in editor.chosen else 0
    head, c1, c2 = st.columns([4, 1, 1], vertical_alignment="center")
    head.subheader(count_line(editor))
    c1.button("Previous", key=f"{KEY}.prev", on_click=step, args=(-1,), disabled=k == 0, shortcut="P",
              icon=":material/arrow_back:", width="stretch")
    c2.button("Next", key=f"{KEY}.next", on_click=step, args=(1,), disabled=k >= len(editor.chosen) - 1,
              shortcut="N", icon=":material/arrow_forward:", width="stretch")
    st.session_state[pick] = editor.current
    st.pills("Frames to label", editor.chosen, key=pick, on_change=picked, required=True,
             format_func=lambda i: f"✓ {i + 1}" if editor.is_labelled(i) else f"{i + 1}",
             help="Frame numbers from 1; a tick marks a labelled frame. Until you draw on a frame or accept it, "
                  "the method's mask is only a suggestion and the frame is not saved or scored.")


def tool_bar(editor: LabelEditor, i: int) -> Tool:
    """The tools (one button each, the active one highlighted), the polygon's level, and the edits:
    undo, accept as is, reset to the method's mask. Returns the active tool."""
    tool_key = f"{KEY}.tool"
    active = st.session_state.get(tool_key, "fg")

    def choose(name: str) -> None:
        st.session_state[tool_key] = name

    cols = st.columns(len(TOOLS))
    for col, (name, tool) in zip(cols, TOOLS.items()):
        col.button(tool.title, key=f"{KEY}.tool.{name}", on_click=choose, args=(name,), icon=tool.icon,
                   type="primary" if name == active else "secondary", shortcut=tool.shortcut, width="stretch")
    tool = TOOLS[active]
    if tool.level is None:
        level = st.segmented_control(
            "Polygon fills with", [FOREGROUND, BACKGROUND, UNKNOWN], default=FOREGROUND, key=f"{KEY}.poly_level",
            format_func=lambda v: LEVEL_NAMES[v], required=True,
            help="Click the corners; click the first one again to close the polygon and fill it.")
        tool = Tool(tool.title, int(level if level is not None else FOREGROUND), tool.mode, tool.shortcut, tool.icon)

    def undo() -> None:
        if editor.undo(i):
            _renew_canvas()

    def accept() -> None:
        editor.accept(i)

    def reset() -> None:
        editor.reset(i)
        _renew_canvas()

    c1, c2, c3, _ = st.columns([1, 1.3, 1.6, 2])
    c1.button("Undo", key=f"{KEY}.undo", on_click=undo, disabled=not editor.can_undo(i), shortcut="Z",
              icon=":material/undo:", width="stretch", help="Undo this frame's last change (each frame has its own).")
    c2.button("Accept as is", key=f"{KEY}.accept", on_click=accept, disabled=editor.is_labelled(i), shortcut="A",
              icon=":material/check:", width="stretch",
              help="Label this frame with the mask shown, without drawing on it.")
    c3.button("Reset to method's mask", key=f"{KEY}.reset", on_click=reset, disabled=not editor.is_labelled(i),
              icon=":material/restart_alt:", width="stretch",
              help="Drop this frame's label: the method's mask is shown again, as a suggestion (undo brings it back).")
    return tool


def draw(editor: LabelEditor, frame: np.ndarray, i: int, view: View, tool: Tool, tag: str) -> None:
    """The canvas for frame ``i``; strokes it sends are laid on the frame's mask at once."""
    assert tool.level is not None
    mask = editor.mask(i)
    h, w = mask.shape
    width, height = round(w * view.zoom), round(h * view.zoom)
    colour = PALETTE.hex(tool.level)
    result = st_canvas(
        fill_color=colour, stroke_color=colour,
        stroke_width=max(1, round(view.brush * view.zoom)) if tool.mode == "freedraw" else 1,
        background_image=background(frame, mask, view.opacity, view.zoom), update_streamlit=True,
        width=width, height=height, drawing_mode=tool.mode, return_image_data=True, key=canvas_key(tag, i),
        max_display_height=MAX_DISPLAY_HEIGHT if height > MAX_DISPLAY_HEIGHT else None)
    rgba = result.image_data
    if rgba is not None and editor.draw(i, np.asarray(rgba)):
        _renew_canvas()
        st.rerun()


def legend(editor: LabelEditor, i: int) -> str:
    """The colours, and what the frame is now."""
    shares = editor.labels.shares(i) if editor.is_labelled(i) else None
    state = ("**labelled**: " + ", ".join(f"{k} {v:.1%}" for k, v in shares.items())) if shares else \
        "not labelled yet: the method's mask is a suggestion (draw on it, or Accept as is)"
    return (f"Frame {i + 1} is {state}. :red[■ foreground] · background is left untinted (the eraser paints "
            ":blue[■ blue] while you draw) · :yellow[■ don't care], never scored. Keys: **B** brush, **E** eraser, "
            "**D** don't care, **G** polygon, **Z** undo, **A** accept, **N**/**P** next/previous frame.")


def add_frame(editor: LabelEditor, clip: Clip, tag: str) -> None:
    """Scrub the whole clip and add the frame shown to the frames to label."""
    n = clip.n
    with st.expander("Add a frame from anywhere in the clip"):
        j = st.slider("Frame", 1, max(n, 2), (editor.current or 0) + 1, key=f"{KEY}.scrub.{tag}",
                      disabled=n < 2) - 1
        frame = clip.frame(j)
        if frame is not None:
            st.image(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), width=min(480, frame.shape[1]),
                     caption=f"frame {j + 1} of {n}" + (" (in the list)" if j in editor.chosen else ""))

        def add() -> None:
            editor.add(j)

        st.button("Add this frame", key=f"{KEY}.add", on_click=add, icon=":material/add:",
                  disabled=frame is None or j in editor.chosen)


# saving and loading ----------------------------------------------------------------------------

def save(editor: LabelEditor, choice: SourceChoice, tag: str) -> None:
    """Save the labelled sequence (CDnet layout) in the session folder, offer its zip, and leave
    its folder for Evaluate & tune (``ui.keys.LABELLED``)."""
    saved_key = f"{KEY}.saved.{tag}"
    name = clip_stem(choice.source.name)
    requested = st.button("Save labelled sequence", key=f"{KEY}.save", type="primary", icon=":material/save:",
                          disabled=not editor.labels.masks,
                          help="Writes every frame (input/) and a ground-truth mask for each labelled frame "
                               "(groundtruth/); frames without a label are not scored.")
    if requested:
        bar = st.empty()
        with guard("saving the labels"):
            folder = write_sequence(choice.source, editor.labels, workdir().sub("labels") / name,
                                    progress_bar(bar, "Writing the frames"))
            st.session_state[saved_key] = (str(folder), editor.changes)
            st.session_state[LABELLED] = str(folder)
        bar.empty()
    saved = st.session_state.get(saved_key)
    if saved is None or not Path(saved[0]).is_dir():
        if len(editor.labels) and len(editor.labels) < FEW_SCORED:
            st.caption(f"A score over fewer than {FEW_SCORED} labelled frames says little: label a few more "
                       "if you can.")
        return
    folder, at = Path(saved[0]), saved[1]
    kept = sorted(folder.joinpath("groundtruth").glob("gt*.png"))
    line = (f":material/check_circle: Saved **{plain(folder.name)}**: {len(kept)} labelled frame(s) of "
            f"{sum(1 for _ in folder.joinpath('input').glob('in*.jpg'))}. Evaluate & tune offers it as "
            "**Labelled here**; unlabelled frames are not scored.")
    if at != editor.changes:
        line += " The labels changed since: save again to include the changes."
    st.caption(line)
    st.download_button("Download labels (zip)", partial(zip_sequence, folder), file_name=f"{name}-labels.zip",
                       mime="application/zip", key=f"{KEY}.download", icon=":material/download:")


def load(editor: LabelEditor, choice: SourceChoice) -> None:
    """Load a labels zip (CDnet layout, e.g. one saved here) into this clip's labelling, or open its
    frames as the source to label further."""
    up = st.file_uploader(f"Load labels (zip), up to {upload_limit_mb()} MB", type=["zip"], key=f"{KEY}.load",
                          help="A zip saved here, or any CDnet-layout sequence: input/ frames and groundtruth/ "
                               "masks (0 background, 170 don't care, 255 foreground) for the labelled frames.")
    if up is None:
        return
    ztag = hashlib.sha1(up.file_id.encode()).hexdigest()[:12]
    seq: Sequence | None = None
    labels: Labels | None = None
    with guard("reading the labels zip"):
        try:
            dest = workdir().path / f"zip-{ztag}"
            if not (dest / ".complete").exists():
                extract_zip(up.getvalue(), dest, up.name)
                (dest / ".complete").touch()
            seqs = keep(f"{KEY}.load_seqs", lambda: find_sequences(dest, max_side=APP_MAX_SIDE), ztag)
            seq = seqs[0]
            if len(seqs) > 1:
                st.caption(f"The zip holds {len(seqs)} sequences: the first, {plain(seq.name)}, is read.")
            if not seq.has_ground_truth:
                raise BgappError(f"{up.name} has no groundtruth/ folder: there are no labels in it")
            labels = read_labels(seq)
        except BgappError as exc:  # say which upload, where the message names only a file inside it
            raise BgappError(str(exc) if up.name in str(exc) else f"{up.name}: {exc}") from None
    if seq is None or labels is None:
        return
    done = f"{KEY}.loaded"
    merged: dict = st.session_state.setdefault(done, {})
    mark = (up.file_id, choice.ident)
    if mark not in merged:
        with guard("loading the labels") as g:
            merged[mark] = editor.merge(labels)
        if g.ok:
            _renew_canvas()
            st.rerun()  # the count, the frames and the canvas above show them
        st.caption("To label that zip's own frames further, open it as the source:")
    if mark in merged:
        st.caption(f":material/check_circle: {merged[mark]} labelled frame(s) from **{plain(up.name)}** are in "
                   "this clip's labels.")
    zip_choice = SourceChoice("zip", f"zip:{ztag}:{seq.path}", seq, describe(seq), upload=up.name)
    if zip_choice.ident != choice.ident:
        st.button("Label the zip's own frames", key=f"{KEY}.use_zip", on_click=select_source, args=(zip_choice,),
                  icon=":material/folder_zip:",
                  help="Make the zip's sequence the source (here and on the other pages) and go on labelling it.")
