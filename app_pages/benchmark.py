# Benchmark: every method's CDnet F-measure on a dataset, per sequence, per category and overall,
# beside the published figures of GMM, SuBSENSE, PAWCS and BMN-BSN where the data's categories are
# CDnet's. The engine call of `python -m bgapp bench-table`: one task per (method, sequence), here or
# on local Dask workers.
from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from bgapp.benchtable import entries, estimate, run_bench, sequence_shapes
from bgapp.distributed import default_workers
from bgapp.methods import METHODS, get_method
from bgapp.presets import list_presets
from bgapp.tuning import duration_text
from ui.errors import guard, plain
from ui.eval_inputs import LiveProgress, choose_specs

KEY = "bench"
state = st.session_state


@st.cache_data(show_spinner=False, max_entries=32)
def shapes(specs: tuple[str, ...]) -> list[tuple[int, int]]:
    return sequence_shapes(list(specs))


st.title("Benchmark")
st.caption("Every method at its defaults on the sequences you choose, scored the CDnet 2014 way, best overall "
           "F-measure first. Where your sequences' categories are CDnet 2014 categories (baseline, shadow, ...), "
           "the published per-category figures of GMM, SuBSENSE, PAWCS and BMN-BSN sit beside them: the paper's "
           "table for your own data. The numbers are those of `python -m bgapp bench-table`.")

with st.container(border=True):
    specs = choose_specs(KEY)

available = [n for n, c in METHODS.items() if c.available()]
with st.container(border=True):
    methods = st.multiselect("Methods (at their defaults)", available, default=available, key=f"{KEY}.methods",
                             format_func=lambda n: METHODS[n].title,
                             help="PAWCS and SuBSENSE take 50-100 ms a frame: a long dataset takes minutes.")
    missing = {n: c.unavailable_reason() for n, c in METHODS.items() if not c.available()}
    if missing:
        st.caption("Not available on this server: " + "; ".join(f"{METHODS[n].title} ({why})"
                                                              for n, why in missing.items()))
    c1, c2, c3 = st.columns(3)
    presets = c1.toggle("Add the shipped presets", key=f"{KEY}.presets",
                        help="One more row per preset; a preset's score on the sequence it was tuned on is marked *.")
    post = c2.toggle("Post-processing", value=True, key=f"{KEY}.post",
                     help="Each method's default clean-up (opening, closing) before scoring; off scores its raw mask.")
    workers = c3.number_input("Worker processes", 1, 64, value=default_workers(), key=f"{KEY}.workers",
                              help="Each (method, sequence) pair is one task on a local Dask cluster; 1 runs them "
                                   "one after another in the server.")
    guess = None
    if specs and methods:
        with guard("reading the sequences") as g:
            runs = list(methods) + ([p.config.method for p in list_presets() if get_method(p.config.method).available()]
                                    if presets else [])
            guess = estimate(shapes(tuple(specs)), runs, int(workers))
        if g.ok and guess is not None:
            st.caption(guess.text())
    go = st.button("Run benchmark", type="primary", disabled=not specs or not methods, key=f"{KEY}.run")

if go:
    t0 = time.perf_counter()
    about = f" · estimate about {duration_text(guess.seconds)}" if guess is not None else ""

    def on_progress(done: int, total: int) -> None:
        spent = duration_text(time.perf_counter() - t0)
        show(done / total, f"{done} of {total} (method, sequence) pairs done · {spent}{about}")

    with LiveProgress(st, "Running the benchmark") as show, guard("running the benchmark"):
        rows, skipped = entries(methods, presets)
        state[f"{KEY}.table"] = run_bench(specs, rows, post=post, workers=int(workers), skipped=skipped,
                                          progress=on_progress)

table = state.get(f"{KEY}.table")
if table is not None:
    for path, why in table.left_out.items():
        st.warning(plain(f"{path} left out: {why}"), icon=":material/block:")
    for line in table.few_scored():
        st.warning(plain(line), icon=":material/warning:")
    st.subheader("F-measure per category")
    header, rows = table.category_table()
    st.dataframe(pd.DataFrame(rows, columns=header), hide_index=True, width="stretch")
    note = table.published_note()
    if note:
        st.caption(note)
    for p in table.published():
        st.caption(f"{p.method} (published): {p.source}")
    st.subheader("F-measure per sequence")
    header, rows = table.sequence_table()
    st.dataframe(pd.DataFrame(rows, columns=header), hide_index=True, width="stretch")
    c1, c2 = st.columns(2)
    c1.download_button("Download CSV", table.to_csv(), "bgapp-benchmark.csv", "text/csv", key=f"{KEY}.csv")
    c2.download_button("Download Markdown", table.to_markdown(), "bgapp-benchmark.md", "text/markdown",
                       key=f"{KEY}.md")
