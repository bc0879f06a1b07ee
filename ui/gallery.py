"""The Failure gallery's cards: a case's picture, why methods fail there, a table of F at defaults
computed on the spot (cached for every session: the clips and methods are fixed), and "Open in the lab".

The figures come from :func:`bgapp.gallery.case_scores`, the engine's evaluation, so they equal
``bgapp eval case:<name> --method <m>``.
"""

from __future__ import annotations

import streamlit as st

from bgapp.config import Config
from bgapp.display import jpeg, label, tile
from bgapp.gallery import METHODS_SCORED, SLOW_METHODS, Case, case_scores
from bgapp.methods import METHODS
from bgapp.metrics import METRIC_SHORT

from .errors import guard, plain
from .links import link_query, open_in_lab
from .sources import case_choice

FIGURES = ("f_measure", "precision", "recall")
COLUMNS = {"method": "Method"} | {m: METRIC_SHORT[m] for m in FIGURES}


def scored_methods(slow: bool) -> tuple[str, ...]:
    """The methods the tables score: the fast ones, plus the slow classics where asked for and available."""
    return METHODS_SCORED + tuple(m for m in SLOW_METHODS if slow and METHODS[m].available())


def slow_available() -> bool:
    return any(METHODS[m].available() for m in SLOW_METHODS)


@st.cache_data(show_spinner=False, max_entries=64)
def score_rows(name: str, methods: tuple[str, ...]) -> list[dict[str, object]]:
    """The F table of case ``name``: one row per method, CDnet figures at the method's defaults."""
    return [{"method": r.title, "f_measure": r.f_measure, "precision": r.precision, "recall": r.recall}
            for r in case_scores(name, methods)]


@st.cache_data(show_spinner=False, max_entries=16)
def thumbnail(name: str) -> bytes:
    """JPEG of the case's telling frame beside its ground truth."""
    from bgapp.gallery import BY_NAME

    case = BY_NAME[name]
    scene = case.scene()
    i = case.look_at
    return jpeg(tile([label(scene.frame(i), f"frame {i + 1}"),
                      label(scene.ground_truth(i), "ground truth")], cols=2))


def _lab_methods() -> list[str]:
    return [m for m, cls in METHODS.items() if cls.available()]


def card(case: Case, number: int, methods: tuple[str, ...]) -> None:
    """One case: picture, why, the F table, and a method to open it with in the Video lab."""
    with st.container(border=True):
        st.subheader(f"{number}. {case.title}", anchor=case.name)
        st.caption(f"Stands for: {plain(case.stands_for)}. Source name: `case:{case.name}`")
        left, right = st.columns(2, gap="medium")
        with left:
            with guard(f"drawing {case.title}"):
                st.image(thumbnail(case.name), width="stretch",
                         caption="A frame and its exact labels: white is foreground, grey a cast shadow "
                                 "(scored as background).")
            st.markdown(case.why)
        with right:
            with guard(f"scoring {case.title}"), st.spinner(f"Scoring {len(methods)} methods on this clip..."):
                rows = score_rows(case.name, methods)
                st.dataframe(
                    [{COLUMNS[k]: v for k, v in row.items()} for row in rows], hide_index=True, width="stretch",
                    column_config={c: st.column_config.NumberColumn(c, format="%.3f")
                                   for c in (METRIC_SHORT[m] for m in FIGURES)},
                    key=f"gallery.{case.name}.table")
                st.caption("CDnet 2014 rules, each method at its defaults with default post-processing, on the "
                           "160 frames after a 40-frame warm-up.")
            names = _lab_methods()
            method = st.selectbox("Method", names, index=names.index("mog2"), key=f"gallery.{case.name}.method",
                                  format_func=lambda m: METHODS[m].title)
            if st.button("Open in the lab", key=f"gallery.{case.name}.open", icon=":material/movie:",
                         help="The Video lab on this clip, with this method at its defaults."):
                open_in_lab(link_query(case_choice(case.name), Config(method)))
