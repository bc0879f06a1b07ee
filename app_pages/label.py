# Label frames: ground truth for a clip that has none. A method's masks are the starting point;
# paint corrections on a few frames spread over the clip, save them as a CDnet sequence, score it.
from __future__ import annotations

import streamlit as st

from bgapp.clip import Clip
from bgapp.config import Config
from bgapp.methods import METHODS
from ui.errors import guard, plain
from ui.keys import LAB_CONFIG
from ui.labeling import (
    add_frame,
    draw,
    editor_for,
    frame_picker,
    legend,
    load,
    save,
    suggest,
    tag_of,
    tool_bar,
    view_controls,
)
from ui.session import keep
from ui.sources import choose_source

st.title("Label frames")
st.caption("Your own video has no ground truth, so nothing can score a method on it: label a few frames here. "
           "Each starts from the method's mask; paint what it got wrong. Save them as a CDnet sequence, and "
           "**Evaluate & tune** scores methods on exactly those frames.")

with st.sidebar:
    choice = choose_source()
if choice is None:
    st.stop()

config = st.session_state.get(LAB_CONFIG) or Config()
clip = keep("label.clip", lambda: Clip(choice.source), choice.ident)
tag = tag_of(choice.ident)
with st.sidebar:
    st.divider()
    view, count = view_controls(choice.source.size)
editor = editor_for(choice, clip, count)

with guard("finding the method's masks"):
    suggest(editor, choice, config, st)
with st.sidebar:
    if editor.suggested_with is not None and editor.suggested_with != config.to_dict():
        def _again() -> None:
            editor.suggestions.clear()
            editor.suggested_with = None

        st.caption(":material/info: The Video lab's settings changed since the suggestions were made.")
        st.button("Suggest again with the lab's settings", key="label.resuggest", on_click=_again,
                  help="Frames not labelled yet get the mask of the lab's current method and settings.")
    else:
        st.caption(f"Suggested masks: {METHODS[config.method].title} with the Video lab's settings "
                   "(change them there).")

if not editor.chosen:
    st.info("This clip has no frame to label.")
    st.stop()
frame_picker(editor)
i = editor.current
assert i is not None
frame = clip.frame(i)
if frame is None:
    st.error(plain(f"Frame {i + 1} cannot be read: the clip has {clip.n} frames."))
    st.stop()
tool = tool_bar(editor, i)
with guard("drawing"):
    draw(editor, frame, i, view, tool, tag)
st.caption(legend(editor, i))
add_frame(editor, clip, tag)

st.subheader("Save or load")
left, right = st.columns(2, gap="large")
with left:
    save(editor, choice, tag)
with right:
    load(editor, choice)
