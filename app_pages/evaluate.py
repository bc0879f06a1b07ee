# Evaluate & tune: CDnet scores of a method on sequences with ground truth, an Optuna study of its
# settings, and exports of the result. Same engine calls as `bgapp eval` and `bgapp tune`.
from __future__ import annotations

import os
from dataclasses import replace

import streamlit as st

from bgapp.config import Config
from bgapp.distributed import open_spec
from bgapp.documents import dumps
from bgapp.errors import BgappError
from bgapp.evaluate import skipped_lines
from bgapp.export import EXPORT_FORMATS
from bgapp.metrics import METRIC_LABELS, METRIC_SHORT
from bgapp.tuning import (
    DEFAULT_BATCH,
    DEFAULT_SELECT,
    SELECT,
    TIE,
    TrialRecord,
    TuneProgress,
    choose_holdout,
    direction,
    duration_text,
    main_threshold,
    search_space,
    threshold_sweep,
    tune,
)
from ui.errors import guard, plain
from ui.eval_inputs import LiveProgress, choose_specs, describe, sequence_label, start_choices, study_sequence
from ui.evaluate import (
    METRIC_CHOICES,
    busiest_frame,
    ended_trials_frame,
    eval_progress_line,
    frame_label,
    importance_note,
    metric_text,
    per_frame_figure,
    results_table,
    run_evaluation,
    searched_changes,
    study_figure,
    study_progress_line,
    threshold_figure,
    top_params,
    trials_frame,
    viewer_images,
)
from ui.keys import APPLIED_CONFIG, LAB_CONFIG
from ui.session import flag, set_flag
from ui.sources import open_study_sequence
from ui.views import combined, error_legend, fmt, scored_note
from ui.widgets import config_controls

KEY = "eval"
state = st.session_state


st.title("Evaluate & tune")
st.caption("Score a method on sequences with ground truth the CDnet 2014 way (counts summed per sequence, "
           "mean over the sequences of a category, mean over categories), let an Optuna study search its "
           "settings, and export the result. The numbers are those of `python -m bgapp eval` and "
           "`python -m bgapp tune`: the same engine calls.")


# Sequences -----------------------------------------------------------------------------------------

with st.container(border=True):
    specs = choose_specs(KEY)
    if specs:
        with guard("reading the sequences"):
            st.dataframe(describe(tuple(specs)), hide_index=True, width="stretch")


# Settings (sidebar) ------------------------------------------------------------------------------

starts = start_choices(state)


def _bump() -> None:
    state[f"{KEY}.version"] = state.get(f"{KEY}.version", 0) + 1


with st.sidebar:
    st.header("Settings")
    start = st.selectbox("Start from", list(starts), format_func=lambda k: starts[k].label, key=f"{KEY}.start",
                         on_change=_bump,
                         help="Load a preset, the settings applied from a study, or the Video lab's settings "
                              "into the controls below.")
    if starts[start].note:
        st.caption(starts[start].note)
    version = state.get(f"{KEY}.version", 0)
    try:
        config = config_controls(f"{KEY}.v{version}", starts[start].config, where=st.sidebar, composite=False)
    except BgappError as exc:
        st.error(str(exc))
        config = Config()

tab_eval, tab_tune, tab_export = st.tabs(["Evaluate", "Tune", "Export"])


# Evaluate ----------------------------------------------------------------------------------------

with tab_eval:
    left, right = st.columns([1, 4], vertical_alignment="center")
    # Buttons set a flag in a callback, as the Video lab's do: st.button's own True lives for one run
    # only, and a rerun may land before the button is reached.
    left.button("Run evaluation", type="primary", key=f"{KEY}.run", disabled=not specs,
                on_click=set_flag(f"{KEY}.run_req"),
                help="Runs every chosen sequence from its first frame with the settings in the sidebar.")
    run_eval = flag(f"{KEY}.run_req")
    use_post = right.checkbox("Score after post-processing", value=True, key=f"{KEY}.post",
                              help="Score the cleaned mask (as bgapp eval does); off scores the method's own mask "
                                   "(bgapp eval --no-post).")
    if not specs:
        st.info("Choose at least one sequence above.")
    elif state.get(f"{KEY}.result") is None and not run_eval:
        st.caption("Results appear here: the CDnet metrics per sequence, per category and overall, per-frame "
                   "F-measure, precision and recall, and a frame viewer colouring every pixel by its outcome.")
    if run_eval and specs:  # progress right here, under the button; the results replace it
        with LiveProgress(st, "Evaluating") as show, guard("evaluating"):
            state[f"{KEY}.result"] = run_evaluation(specs, config, post=use_post,
                                                    progress=lambda p: show(*eval_progress_line(p)))

    ev = state.get(f"{KEY}.result")
    if ev is not None:
        doc = ev.doc
        if ev.config.to_dict() != config.to_dict():
            st.caption("These results are for the settings of the last run; the sidebar has changed since.")
        o = doc["overall"]
        for line in skipped_lines(doc):
            st.warning(plain(line), icon=":material/block:")
        for line in doc["warnings"]:
            st.warning(plain(line), icon=":material/warning:")
        if not ev.results:
            st.stop()
        st.caption(f"{len(ev.results)} sequence(s), {sum(r.frames for r in ev.results):,} frames, "
                   f"{doc['scored']:,} of them scored, evaluated in {duration_text(ev.seconds)}. Only frames with "
                   "ground truth inside each sequence's temporal ROI count (the model sees every frame): the "
                   "sequence view below says which.")
        cols = st.columns(5)
        for col, m in zip(cols, ("f_measure", "precision", "recall", "specificity", "pwc")):
            col.metric(METRIC_SHORT[m], fmt(o[m], 4 if m != "pwc" else 3), help=METRIC_LABELS[m] + " (CDnet overall)")
        table = results_table(doc, [r.category or r.name for r in ev.results])
        st.dataframe(table, hide_index=True, width="stretch",
                     column_config={m: st.column_config.NumberColumn(m, format="%.4f") for m in
                                    ("recall", "precision", "f_measure", "specificity", "fpr", "fnr", "pwc")})
        st.download_button("Download report (JSON, as bgapp eval --json)", dumps(doc), "bgapp-eval.json",
                           "application/json", key=f"{KEY}.dl_report")

        names = [r.label for r in ev.results]
        k = st.selectbox("Sequence", range(len(names)), format_func=lambda i: names[i], key=f"{KEY}.seq") \
            if len(names) > 1 else 0
        result = ev.results[k]
        masks = ev.masks.get(k)
        chart = st.empty()
        with guard("reading the sequence"):
            st.caption(scored_note(open_spec(ev.specs[k])))
        i = None
        if masks:
            n = len(masks)
            i = st.slider("Frame", 1, n, min(busiest_frame(result) + 1, n), key=f"{KEY}.frame.{k}",
                          help="Scrub through the sequence: the frame, the mask that was scored, and each pixel "
                               "coloured by its outcome.") - 1
        if result.per_frame:
            chart.plotly_chart(per_frame_figure(result, None if i is None else i + 1), width="stretch",
                               key=f"{KEY}.perframe")
        else:
            chart.info("No frame of this sequence is scored (none has ground truth inside temporalROI).")
        if masks:
            with guard("showing the frame"):
                frame, mask, err, scored = viewer_images(ev.specs[k], i, masks[i])
                label = frame_label(ev.specs[k], i)
                views = [frame, mask] + ([err] if err is not None else [])
                names_ = [label, "mask", "errors" if scored else "errors (frame not scored)"][:len(views)]
                st.image(combined(views, names_, cols=3), width="stretch")
                st.markdown(error_legend(), unsafe_allow_html=True)
                c = dict(zip(result.frame_index, result.per_frame)).get(i)
                if c is not None:
                    st.caption(f"Frame {i + 1}: F {fmt(c.f_measure)} · precision {fmt(c.precision)} · recall "
                               f"{fmt(c.recall)} · TP {c.tp:,} · FP {c.fp:,} · FN {c.fn:,}")
                elif not scored:
                    st.caption(f"Frame {i + 1} is not scored (outside temporalROI or without ground truth).")
        elif not ev.kept_all:
            st.info("Too many frames to keep every mask for the viewer: it covers the first sequences only.")


# Tune --------------------------------------------------------------------------------------------

with tab_tune:
    method = config.method
    tune_post = st.checkbox("Also tune post-processing", value=True, key=f"{KEY}.tune_post",
                            help="Search the morphology, minimum blob area and hole filling too.")
    space = search_space(method, tune_post)
    keys = [d.key for d in space]
    c1, c2, c3 = st.columns(3)
    metric = c1.selectbox("Metric", METRIC_CHOICES, index=METRIC_CHOICES.index("f_measure"),
                          format_func=lambda m: METRIC_LABELS[m] + (" (minimised)" if direction(m) == "minimize"
                                                                     else ""), key=f"{KEY}.metric",
                          help="What the study optimises, CDnet-averaged over the chosen sequences. An undefined "
                               "value (e.g. precision with nothing detected) counts as the worst.")
    trials = int(c2.number_input("Trials", 1, 1000, 30, key=f"{KEY}.trials",
                                 help="Each trial runs every chosen sequence once."))
    seed = int(c3.number_input("Seed", 0, 2**31 - 1, 0, key=f"{KEY}.seed",
                               help="The same seed and batch give the same study, whatever the number of workers."))
    c4, c5 = st.columns(2)
    batch = int(c4.number_input("Batch", 1, 64, DEFAULT_BATCH, key=f"{KEY}.batch",
                                help="Trials proposed together before their results come back (run in parallel "
                                     "on several workers)."))
    cores = os.cpu_count() or 1
    workers = int(c5.number_input("Workers", 1, max(1, cores * 2), 1, key=f"{KEY}.workers",
                                  help=f"1 runs in this server process; more starts a local Dask cluster of that "
                                       f"many processes for the study ({cores} cores here)."))
    with st.expander(f"Search space: {len(space)} values from the declarations", expanded=False):
        chosen = st.multiselect("Searched", keys, default=keys, key=f"{KEY}.space.{method}.{tune_post}",
                                help="Values left out keep the sidebar's setting.")
        st.dataframe([{"value": d.key, "range": d.describe(),
                       "only when": (f"{d.param.visible_if[0]} in {list(d.param.visible_if[1])}"
                                     if d.param.visible_if else ""), "what it does": d.param.help}
                      for d in space], hide_index=True, width="stretch")
    exclude = [k for k in keys if k not in chosen]
    h1, h2 = st.columns(2)
    checks = h1.multiselect("Check on these sequences", specs, key=f"{KEY}.checks", format_func=sequence_label,
                            help="Sequences held back from tuning: scored for every trial, never tuned on, so they "
                                 "show whether the settings carry to other footage. With none picked, every "
                                 "other run of each sequence's labelled frames is held back instead.")
    hold_none = h1.checkbox("Hold nothing back", key=f"{KEY}.no_check", disabled=bool(checks),
                            help="Tune on every label and pick the best tuning score: settings that fit these "
                                 "frames, which may not carry to other footage.")
    select = h2.radio("Pick the trial that does best", list(SELECT), format_func=SELECT.get,
                      index=list(SELECT).index(DEFAULT_SELECT), key=f"{KEY}.select", disabled=hold_none,
                      help="The sampler always learns from the tuning score; this only chooses the result.")
    holdout = choose_holdout(checks, hold_none and not checks)  # the box is disabled, not cleared, by checks
    tuning_specs = [s_ for s_ in specs if s_ not in checks]
    if checks and not tuning_specs:
        st.warning("Every chosen sequence is a check sequence: leave at least one to tune on.")
    st.button("Run study", type="primary", key=f"{KEY}.tune", disabled=not tuning_specs or not chosen,
              on_click=set_flag(f"{KEY}.tune_req"),
              help="Starts from the sidebar's settings (the first trial) and searches the chosen values.")
    start_study = flag(f"{KEY}.tune_req")
    if not specs:
        st.info("Choose at least one sequence above.")
    if start_study and specs:  # progress right here, under the button; the results replace it
        where = f"on a local Dask cluster of {workers} workers" if workers > 1 else "in this process"
        with LiveProgress(st, f"Study of {trials} trials {where}") as show, guard("tuning"):
            ended: list[TrialRecord] = []

            def on_progress(p: TuneProgress) -> None:
                show(*study_progress_line(p, metric))
                if p.ended:  # each trial as it ends, newest first, under the bar
                    ended.extend(p.ended)
                    show.table(ended_trials_frame(ended, metric))

            result = tune(tuning_specs, method, trials=trials, metric=metric, seed=seed, batch=batch, base=config,
                          tune_post=tune_post, exclude=exclude, workers=workers, progress=on_progress,
                          holdout=holdout, select=select)
            state[f"{KEY}.tuned"] = (result, config, list(specs))
            state.pop(f"{KEY}.sweep", None)

    tuned = state.get(f"{KEY}.tuned")
    if tuned is not None:
        result, started, tuned_specs = tuned
        label = METRIC_LABELS[result.metric]
        if result.holdout.active:
            st.subheader(f"{label}: {metric_text(result.value, result.metric)} tuning · "
                         f"{metric_text(result.check_value, result.metric)} check")
        else:
            st.subheader(f"Best {label}: {metric_text(result.value, result.metric)}")
        st.caption(f"Trial {result.best_trial} of {result.trials}, picked {SELECT[result.select]} · {result.method} · "
                   f"{len(result.sequences)} sequence(s) · {result.holdout.describe()} · seed {result.seed} · "
                   f"took {duration_text(result.seconds)}")
        if result.weighed:
            st.caption(f"Trials {', '.join(map(str, result.weighed))} came within {TIE[result.metric]:g} of each "
                       f"other, closer than the labels can tell apart: trial {result.best_trial} is the one whose "
                       "masks over the whole clip, labelled frames or not, agree most with the others'.")
        for line in result.warnings():
            st.warning(plain(line), icon=":material/warning:")
        if result.best == started:
            st.info("No trial beat the starting settings (trial 0). More trials, another seed, or a narrower "
                    "search space (expander above) may help.")
        a, b, c = st.columns([1, 2, 3])
        a.button("Apply best", type="primary", key=f"{KEY}.apply", on_click=set_flag(f"{KEY}.apply_req"),
                 help="Carry these settings to the Video lab and the other pages, and open the study's sequence "
                      "there.")
        lab_spec = study_sequence(result.sequences, KEY, c)
        if flag(f"{KEY}.apply_req"):
            state[APPLIED_CONFIG] = replace(result.best)  # a new object: each page takes each Apply once
            state[LAB_CONFIG] = result.best
            with guard("opening the study's sequence") as g:  # the clip the study ran on, not the last one
                opened = open_study_sequence(lab_spec)
            if g.ok:
                st.success(f"Applied: the Video lab and the other pages now start from the best settings, on "
                           f"{plain(opened.source.name)}, the study's sequence (and 'Start from' here offers them "
                           "as 'Applied settings').")
        b.download_button("Download best config (JSON)", result.best.to_json() + "\n", f"best_{result.method}.json",
                          "application/json", key=f"{KEY}.dl_best",
                          help="Reload it with bgapp eval --config, or in the app.")
        changes = searched_changes(result, started)
        st.dataframe(changes, hide_index=True, width="stretch", height=min(38 + 35 * len(changes), 600))
        with st.expander("All trials", expanded=False):
            df = trials_frame(result)
            st.dataframe(df, width="stretch")
        f1, f2 = st.columns(2)
        with f1:
            fig = study_figure(result, "importances")
            if fig is not None:
                fig.update_layout(height=380)
                st.plotly_chart(fig, width="stretch", key=f"{KEY}.importances")
            else:
                st.info(importance_note(result))
        p = main_threshold(result.method)
        with f2:
            fig = threshold_figure(result, state.get(f"{KEY}.sweep")) if p is not None else None
            if fig is not None:
                st.plotly_chart(fig, width="stretch", key=f"{KEY}.threshold")
                st.button(f"Sweep {p.name} for the best config", key=f"{KEY}.sweep_btn",
                          on_click=set_flag(f"{KEY}.sweep_req"),
                          help="Re-evaluates the best config with nine values of its main threshold across "
                               "the search range: how F-measure, precision and recall trade off.")
                if flag(f"{KEY}.sweep_req"):
                    with LiveProgress(st, f"Sweeping {p.name}") as show, guard("sweeping the threshold"):
                        state[f"{KEY}.sweep"] = threshold_sweep(
                            tuned_specs, result.best, n=9, workers=workers,
                            progress=lambda d, t: show(d / max(t, 1), f"Sweep: run {d} of {t}"))
                        st.rerun()
        kind = st.radio("Plot the most important values", ["slice", "parallel"], horizontal=True,
                        key=f"{KEY}.plotkind", format_func={"slice": "Slice (one panel each)",
                                                            "parallel": "Parallel coordinates"}.get)
        fig = study_figure(result, kind, top_params(result, 4 if kind == "slice" else 6))
        if fig is not None:
            st.plotly_chart(fig, width="stretch", key=f"{KEY}.studyplot")


# Export ------------------------------------------------------------------------------------------

with tab_export:
    tuned = state.get(f"{KEY}.tuned")
    sources = {"sidebar": "Sidebar settings"}
    if tuned is not None:
        sources["best"] = "Best config of the study"
    if len(sources) > 1:
        which = st.radio("Export", list(sources), format_func=sources.get, horizontal=True, key=f"{KEY}.export_src")
    else:
        which = "sidebar"
        st.caption("Exports the sidebar's settings; after a study (Tune tab) you can export its best config too.")
    cfg = tuned[0].best if which == "best" and tuned is not None else config
    fmt_ = st.radio("Format", list(EXPORT_FORMATS), horizontal=True, key=f"{KEY}.format",
                    format_func=lambda f: EXPORT_FORMATS[f].label,
                    help="JSON reloads in the app and with bgapp eval --config; the Roboflow Workflow runs MOG2 "
                         "in Roboflow's blocks; the script reproduces the masks anywhere OpenCV runs.")
    form = EXPORT_FORMATS[fmt_]
    options = {}
    for option, choices in form.options.items():  # e.g. the Roboflow block
        options[option] = st.selectbox(option.replace("_", " ").capitalize(), list(choices),
                                       key=f"{KEY}.{option}", format_func=choices.get)
    with guard("exporting"):
        out = form.export(cfg, f"bgapp_{cfg.method}", **options)  # the file: bgapp_METHOD + the format's ending
        if out.notes:
            st.warning(f"{form.notes_heading}:\n\n" + "\n".join(f"- {plain(n)}" for n in out.notes))
        st.download_button(f"Download {out.filename}", out.text, out.filename, out.mime, type="primary",
                           key=f"{KEY}.dl_export")
        usage = form.usage(out.filename)
        if usage:
            st.caption(usage)
        st.code(out.text, language=form.language, height=420)
    st.caption(f"The same exports from the shell: `python -m bgapp export CONFIG --format {'|'.join(EXPORT_FORMATS)}` "
               "(CONFIG: a config file, a `bgapp tune --json` document or a preset name).")
