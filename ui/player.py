"""The Video lab's player on the page: its metrics, status line and playback loop.

The playback state (:class:`bgapp.player.Player`) has no Streamlit in it and lives in the engine;
this module draws it into Streamlit placeholders and runs the timed loop of a playing clip.
"""

from __future__ import annotations

import time
from typing import Any

import streamlit as st

from bgapp.metrics import METRIC_HELP, METRIC_SHORT
from bgapp.player import Player

from .views import Html, counts_line, fmt, inline_jpeg, scored_note, too_few_scored


def show_metrics(where: Any, player: Player) -> None:
    """Running CDnet figures over the frames processed so far (or what is known without GT)."""
    box = where.container()
    if not player.clip.has_gt:
        cols = box.columns(3)
        cols[0].metric("Foreground", f"{100 * player.shown.fraction:.1f} %" if player.shown else "–",
                       help="Share of the frame's pixels in the clean mask.")
        cols[1].metric("Time per frame", f"{player.shown.ms:.1f} ms" if player.shown else "–",
                       help="Method, post-processing and views for one frame.")
        cols[2].metric("Frames processed", f"{len(player.fraction)}")
        box.caption("This clip has no ground truth, so there are no accuracy scores; a sequence with a "
                    "groundtruth/ folder (or the demo) adds them.")
        return
    t = player.total
    cols = box.columns(4)
    for col, m in zip(cols, ("f_measure", "precision", "recall", "pwc")):
        col.metric(METRIC_SHORT[m], fmt(getattr(t, m), 2 if m == "pwc" else 3),
                   help=METRIC_HELP[m] + " Over the scored frames processed so far.")
    note = f"{len(player.counts)} scored frames · {counts_line(t)}"
    if player.mixed:
        note += " · settings changed on the way: **Re-run from start** for a clean score"
    box.caption(note)
    span = scored_note(player.clip.source, player.next)
    (box.warning if too_few_scored(player.clip.source, player.next) else box.caption)(span)


FOLLOW_SECONDS = 1.0  # while playing, the stage (a fragment) reruns this often so the Frame slider follows
FOLLOW_TICK = 0.25  # the stage's run_every while playing: shorter than FOLLOW_SECONDS, so a rerun is waiting
SLICE_SECONDS = 0.4  # the stage works towards a dropped Frame in slices this long, then looks for a newer drop


def show_status(status: Any, pace_box: Any | None, player: Player, playing: bool) -> None:
    """The status line under the picture; while playing, the rate reached and, into ``pace_box``
    (None: leave it as it is), why it falls short."""
    status.caption(f"{player.status()} · {player.playing_text()}" if playing else player.status())
    if pace_box is None:
        return
    note = player.pace_warning() if playing else None
    if note:
        pace_box.warning(note, icon=":material/speed:")
    else:
        pace_box.empty()


def play(player: Player, image: Any, status: Any, pace_box: Any, metrics: Any, running_key: str) -> None:
    """Play from the current frame at the clip's rate for FOLLOW_SECONDS, until the end of the clip,
    or until a whole-page run interrupts it.

    Each frame replaces the contents of the placeholders (one inline JPEG, one status line). A
    change that reruns the page (the sidebar, Play/Pause, Next frame, Re-run) interrupts this loop
    at its next frame; the rerun applies it and, still playing, comes back here with the model kept.
    Called from a fragment (the lab's stage) that reruns every FOLLOW_TICK while playing: the
    browser's timed reruns wait for the run in progress, so returning after FOLLOW_SECONDS lets one
    of them rerun the stage alone, which moves its Frame slider to the frame shown (a drag of that
    slider, a widget of the stage, waits for the same moment). The rate reached is measured and,
    when a slow method holds it down, said under the picture. At the end of the clip it pauses and
    reruns the page.
    """
    period = 1.0 / player.clip.fps
    start = due = time.perf_counter()
    shown = 0
    while st.session_state.get(running_key):
        s = player.step()
        if s is None:
            st.session_state[running_key] = False
            break
        player.played(s)
        image.html(Html(inline_jpeg(s.jpeg, "lab frame")))
        shown += 1
        # the rate note changes slowly: redrawing it every frame only flickers
        show_status(status, pace_box if shown % 5 == 1 else None, player, True)
        if shown % 10 == 0:
            show_metrics(metrics, player)
        due += period
        wait = due - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        elif wait < -1.0:  # far behind (a slow method): stop trying to catch up
            due = time.perf_counter()
        if due - start >= FOLLOW_SECONDS or time.perf_counter() - start >= FOLLOW_SECONDS:
            return
    st.rerun()
