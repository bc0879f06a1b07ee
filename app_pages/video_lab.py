# Video lab: one clip, one method, every view; change settings while it plays.
from __future__ import annotations

import streamlit as st

from bgapp.config import SCOPES, Config
from bgapp.display import jpeg, label
from bgapp.metrics import METRIC_SHORT
from bgapp.player import MAX_REPLAY, WARM_UP, Player
from ui import inspector
from ui.charts import over_time
from ui.errors import guard, plain
from ui.keys import LAB_CONFIG
from ui.lab import downloads, load_settings, picture_controls, progress_bar, take_applied
from ui.links import open_link
from ui.player import FOLLOW_TICK, SLICE_SECONDS, play, show_metrics, show_status
from ui.session import flag, just_arrived, keep, set_flag, workdir
from ui.sources import choose_source
from ui.views import Html, error_legend, inline_jpeg, scored_note
from ui.widgets import config_controls

PREROLL_SECONDS = 4  # a new clip opens this far in, so the model has learned something to show


st.title("Video lab")
st.caption("Pick a source and a method in the sidebar. **Play** runs the clip at its own rate, or as fast as "
           "the method allows (the line under the picture says which); move any "
           "slider while it plays and the next frame uses it, with what the model learned kept. "
           "Drag **Frame** to jump (the model sees every frame on the way, so jumping back replays from "
           "the start). **Re-run from start** scores the whole clip with the current settings and "
           "renders the downloads.")

link = open_link("lab")  # a link's source and settings, on arrival; the address then follows the settings
with st.sidebar:
    choice = choose_source()
if choice is None:
    st.stop()

player = keep("lab.player", lambda: Player(choice.source, st.session_state.get(LAB_CONFIG, Config())),
              choice.ident)
with st.sidebar:
    st.divider()
    loaded = load_settings("lab") or take_applied("lab") or link.config
    cfg = config_controls("lab", loaded or player.pipeline.config, where=st.sidebar)
    pictures = picture_controls(player, cfg, "lab")
st.session_state[LAB_CONFIG] = cfg
link.follow(choice, cfg)
n = player.clip.n
if just_arrived():
    st.session_state["lab.playing"] = False  # coming back from another page: paused where it was
playing = bool(st.session_state.get("lab.playing"))

controls = st.container()  # Play/Pause, Next frame, Re-run: whole-page runs, which stop a playing loop at once
top = st.container()  # progress and the warm-up picture, while the page works
progress = top.empty()
image = top.empty()
# The requests of the controls are read before anything can fail: a failing settings change must not
# leave a request behind for every later run to find again.
seek = st.session_state.pop("lab.seek", None)
rerun_req, step_req = flag("lab.rerun_req"), flag("lab.step_req")
with guard("processing the clip"):
    update = player.apply(cfg)
    if update is not None and update.rebuilt and playing:
        st.toast("That change needs a new model: it learns again from this frame.", icon=":material/restart_alt:")
    if rerun_req:
        st.session_state["lab.playing"] = playing = False
        player.run_all(workdir().sub("lab"), progress_bar(progress, "Re-running from the start"),
                       lambda s: image.image(s.jpeg, width="stretch"))
    else:
        # Every request says which frame to end on (Player.aim); the work itself is one call, and an
        # interruption (a quicker change, a click) leaves that frame pending for the next run.
        if seek is not None:
            player.aim(seek)
        elif step_req and player.goal is not None:
            player.aim(player.goal + 1)
        elif player.goal is None:
            player.aim(min(n - 1, round(PREROLL_SECONDS * player.clip.fps)), WARM_UP)
        if (update is not None or pictures) and not playing:
            scopes = [c for c in (update and update.scope, pictures) if c]
            player.changed(max(scopes, key=SCOPES.index))
        inspector.follow(player, player.pipeline.trace, inspector.wanted("lab", player.clip.source.size))
        if player.shown is None:  # something to look at while the model learns its first seconds
            first = player.clip.frame(0)
            if first is not None:
                image.image(jpeg(label(first, "input: the model is warming up")), width="stretch")
        if player.pending is not None:
            player.work(progress_bar(progress, player.pending.why))
progress.empty()
image.empty()
if player.interrupted:
    progress.warning(player.interrupted, icon=":material/warning:")
    player.interrupted = None
n = player.clip.n


def _toggle() -> None:
    start = not st.session_state.get("lab.playing", False)
    st.session_state["lab.playing"] = start
    if start:
        player.rate.reset()
        if player.goal is not None and player.goal >= player.clip.n - 1:
            st.session_state["lab.seek"] = 0  # Play at the end starts again


def _seek() -> None:
    st.session_state["lab.seek"] = st.session_state["lab.frame"] - 1


with controls:
    c1, c2, c3, _, c4 = st.columns([1.1, 1.6, 2.3, 1.4, 1.6], vertical_alignment="bottom")
    c1.button("Pause" if playing else "Play", key="lab.play", on_click=_toggle, type="primary", width="stretch",
              icon=":material/pause:" if playing else ":material/play_arrow:")
    c2.button("Next frame", key="lab.step", on_click=set_flag("lab.step_req"), disabled=playing, width="stretch",
              icon=":material/skip_next:")
    c3.button("Re-run from start", key="lab.rerun", on_click=set_flag("lab.rerun_req"), width="stretch",
              icon=":material/replay:",
              help="Forget the model and process the whole clip with the current settings: a reproducible "
                   "score, and the files under Downloads.")
    link.copy_control(c4)

in_fragment = False  # True once this run's page is drawn: later runs of the stage are its own (fragment) runs


@st.fragment(run_every=FOLLOW_TICK if playing else None)
def stage() -> None:
    """Frame slider, picture and scores. While playing, only this part reruns (see ``play``) so the
    slider follows the picture: a whole-page rerun took a few frames' time.

    A drag of the Frame slider runs this part alone, which no other request can interrupt, so it works
    towards the frame dropped in slices of SLICE_SECONDS and reruns itself in between: a later drag
    (or a sidebar change, which reruns the page) takes over where it was."""
    dropped = st.session_state.pop("lab.seek", None)
    if dropped is not None:
        with guard("jumping to the frame"):
            player.aim(dropped)
    size = player.clip.source.size
    with guard("following the pixel"):
        inspector.follow(player, player.pipeline.trace, inspector.wanted("lab", size))
    bar = st.empty()
    if player.pending is not None and in_fragment:
        done = True
        with guard("jumping to the frame"):
            done = player.work(progress_bar(bar, player.pending.why), SLICE_SECONDS)
        if not done:
            st.rerun(scope="fragment")  # the next slice; a newer drag, queued meanwhile, comes with it
        bar.empty()
        if not playing:
            st.rerun()  # the chart and the downloads follow the frame reached
    goal = player.goal
    if goal is not None:
        st.session_state["lab.frame"] = min(goal, n - 1) + 1
    st.slider("Frame", 1, max(n, 2), key="lab.frame", on_change=_seek, disabled=n < 2,
              help="Jump to a frame. The model sees the frames on the way: going forward processes those "
                   f"between, going back replays from the start (at most {MAX_REPLAY:,} frames before the target). "
                   "A later jump replaces one still under way; while playing, it plays on from there.")
    # The clickable picture has a slot of its own, always a container: a placeholder that holds an
    # element on one run and a container on the next broke Streamlit's frontend under quick fragment
    # reruns (a blank page: "'setIn' cannot be called on an ElementNode").
    picture, clicker, status, pace_box = st.empty(), st.container(), st.empty(), st.empty()
    trace = player.pipeline.trace
    shown = player.shown
    if shown is not None:
        if playing:
            picture.html(Html(inline_jpeg(shown.jpeg, "lab frame")))  # the element playback updates
        elif trace is not None and shown.grid is not None:
            if inspector.clickable(clicker, "lab", shown.jpeg, shown.grid, (trace.x, trace.y)):
                st.rerun(scope="fragment")  # follow the pixel clicked (from the start: the model replays)
        else:
            picture.image(shown.jpeg, width="stretch")
        show_status(status, pace_box, player, playing)
    if inspector.controls("lab", size, clicks="the paused picture, in any view"):
        inspector.show(st, trace, player.pipeline.config.method, shown.index if shown is not None else None)
    if player.clip.has_gt:
        st.html(error_legend())
    for note in player.pipeline.notes + ([player.clip.note] if player.clip.note else []):
        st.caption(f":material/info: {plain(note)}")
    st.subheader("Scores" if player.clip.has_gt else "Numbers")
    metrics = st.empty()
    show_metrics(metrics, player)
    if playing and player.shown is not None and player.pending is None:
        play(player, picture, status, pace_box, metrics, "lab.playing")


stage()
in_fragment = True
if playing:
    st.caption("The chart and the downloads come back when you pause.")
else:
    with st.expander("Foreground and F-measure over time" if player.clip.has_gt else "Foreground over time",
                     expanded=True):
        df = player.timeline()
        marker = player.shown.index + 1 if player.shown is not None else None
        st.plotly_chart(over_time(df, ["foreground %", METRIC_SHORT["f_measure"]], marker=marker), key="lab.chart")
        if player.clip.has_gt:
            st.caption("Per processed frame; F-measure only on scored frames. " + scored_note(player.clip.source))
    st.subheader("Downloads")
    downloads(player)
