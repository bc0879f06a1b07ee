# Compare: two to four methods (each with its own settings) on the same clip, side by side.
from __future__ import annotations

import streamlit as st

from bgapp.clip import Clip
from bgapp.config import Config
from bgapp.metrics import METRIC_SHORT
from ui.charts import over_time
from ui.compare import (
    DEFAULT_METHODS,
    TABLE_METRICS,
    default_frames,
    frame_view,
    run_configs,
    run_key,
    short_title,
    tab_to_keep,
    table,
    timeline,
)
from ui.errors import guard
from ui.lab import progress_bar, take_applied
from ui.session import keep
from ui.sources import choose_source
from ui.views import error_legend, scored_note, too_few_scored
from ui.widgets import config_controls

st.title("Compare methods")
st.caption("Every method sees the same frames from the start of the clip. Change any setting and only that "
           "column is processed again. With ground truth, the table scores each one the CDnet way over the "
           "scored frames.")

with st.sidebar:
    choice = choose_source()
if choice is None:
    st.stop()
clip = keep("cmp.clip", lambda: Clip(choice.source), choice.ident)  # kept: a video is not decoded again per rerun
if st.session_state.get("cmp.frames_for") != choice.ident:  # a new clip: its own default
    st.session_state.pop("cmp.frames", None)
    st.session_state["cmp.frames_for"] = choice.ident
with st.sidebar:
    frames = st.slider("Frames to process", 1, max(clip.n, 2), default_frames(choice.source, clip.n), key="cmp.frames",
                       help="From the start of the clip. Fewer frames answer faster; background models "
                            "need a few hundred frames to settle. With ground truth, only frames inside the "
                            "clip's temporal ROI are scored, so the default reaches well into it.")

settings, results = st.columns([1, 2.6], gap="large")
with settings:
    count = st.radio("Methods to compare", [2, 3, 4], index=1, horizontal=True, key="cmp.count")
    saved: list[Config] = st.session_state.get("cmp.configs") or [Config(m) for m in DEFAULT_METHODS]
    applied = take_applied("cmp0", " as method 1")
    if applied is not None:
        saved = [applied, *saved[1:]]
    names = [short_title(st.session_state.get(f"cmp{k}.method", saved[k].method)) for k in range(count)]
    labels = [f"{k + 1}. {n}" for k, n in enumerate(names)]
    # The open tab is remembered by position: a method change renames it, which would reopen tab 1.
    st.session_state["cmp.tab"] = tab_to_keep(st.session_state.get("cmp.tab"), st.session_state.get("cmp.tab_labels"),
                                              labels)
    st.session_state["cmp.tab_labels"] = labels
    configs = []
    for k, tab in enumerate(st.tabs(labels, key="cmp.tab", on_change="rerun")):
        configs.append(config_controls(f"cmp{k}", saved[k], where=tab, composite=False))
st.session_state["cmp.configs"] = configs + saved[count:]
runs = st.session_state.get("cmp.runs", {})
keys = [run_key(choice.ident, frames, c) for c in configs]
stale = [k for k, key in enumerate(keys) if runs.get(k) is None or runs[k].key != key]
with results:
    progress = st.empty()
    with guard("comparing the methods") as g:
        if stale:
            fresh = run_configs(Clip(choice.source), [configs[k] for k in stale], [keys[k] for k in stale], frames,
                                progress_bar(progress, f"Running {len(stale)} method(s)"))
            runs.update(zip(stale, fresh))
            st.session_state["cmp.runs"] = runs
    progress.empty()
    if not g.ok:
        st.stop()
    shown = [runs[k] for k in range(count)]
    done = min(len(r.masks) for r in shown)
    if done == 0:
        st.warning("No frame could be read from this clip.")
        st.stop()

    i = st.slider("Show frame", 1, max(done, 2), max(1, round(0.66 * done)), key="cmp.frame",
                  help="Which frame the images show; the numbers below cover every processed frame.") - 1
    i = min(i, done - 1)
    st.image(frame_view(clip, shown, i), width="stretch")
    if clip.has_gt:
        st.html(error_legend())
    for k, r in enumerate(shown):
        for note in r.notes:
            st.caption(f":material/info: {k + 1}: {note}")

    st.subheader("Scores" if clip.has_gt else "Numbers")
    df = table(shown, clip.has_gt)
    fmt = {METRIC_SHORT[m]: st.column_config.NumberColumn(format="%.2f" if m == "pwc" else "%.3f")
           for m in TABLE_METRICS}
    fmt.update({
                "foreground %": st.column_config.NumberColumn(format="%.2f"),
                "ms / frame": st.column_config.NumberColumn(format="%.1f")})
    st.dataframe(df, hide_index=True, column_config=fmt, key="cmp.table")
    if clip.has_gt:
        note = scored_note(choice.source, done)
        if too_few_scored(choice.source, done):
            st.warning(note, icon=":material/warning:")
        else:
            st.caption(note)
        st.caption("F-measure, precision, recall and PWC (percentage of wrong classifications) from "
                   "confusion counts summed over the scored frames; ms / frame is the method plus post-processing.")
    else:
        st.caption("No ground truth for this clip, so no accuracy scores: compare the masks and the foreground curves.")
    st.plotly_chart(over_time(timeline(shown), ["foreground %", METRIC_SHORT["f_measure"]], color="method", marker=i),
                    key="cmp.chart")
