"""Streamlit inputs of the Evaluate & tune page: which sequences to score, and a progress bar."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from bgapp.archive import shown_path, zip_origin
from bgapp.config import Config
from bgapp.presets import list_presets
from ui.errors import guard, plain
from ui.evaluate import describe_specs, sample_sequences, unpack_zip
from ui.keys import APPLIED_CONFIG, LAB_CONFIG, LABELLED
from ui.session import workdir
from ui.sources import local_paths_allowed, upload_limit_mb


@st.cache_data(show_spinner=False)
def _samples() -> list[tuple[str, str]]:
    return sample_sequences()


@st.cache_data(show_spinner=False, max_entries=32)
def describe(specs: tuple[str, ...]):
    return describe_specs(list(specs))


@dataclass(frozen=True)
class Start:
    """One settings the page's controls can start from: its label, config and a line about it."""

    label: str
    config: Config
    note: str = ""


def start_choices(state: Mapping[str, Any]) -> dict[str, Start]:
    """What the page's settings can start from, by key: the declared defaults, the settings applied
    from a study and the Video lab's (where this session has them), and each preset."""
    starts = {"defaults": Start("Declared defaults", Config())}
    for key, name, label in (("applied", APPLIED_CONFIG, "Applied settings"),
                             ("lab", LAB_CONFIG, "Video lab settings")):
        if isinstance(state.get(name), Config):
            starts[key] = Start(label, state[name])
    starts.update({f"preset:{p.name}": Start(f"Preset: {p.title}", p.config, p.description) for p in list_presets()})
    return starts


def choose_specs(key: str) -> list[str]:
    """The sequences to score: the sample data, an uploaded zip, a local folder, or the sequence the
    Label page saved (spec strings)."""
    kinds = {"sample": "Sample data", "zip": "Upload a zip", "folder": "Folder on this computer"}
    if not local_paths_allowed():
        kinds.pop("folder")
    labelled = st.session_state.get(LABELLED)
    if labelled and Path(labelled).is_dir():
        kinds["labelled"] = "Labelled here"
    kind = st.radio("Sequences from", list(kinds), format_func=kinds.get, horizontal=True, key=f"{key}.kind",
                    help="Every sequence needs ground truth (a groundtruth/ folder, CDnet levels). The built-in "
                         "demo is a synthetic room with exact labels, including a cast shadow (label 50).")
    if kind == "sample":
        samples = _samples()
        options = ["demo"] + [spec for _, spec in samples]
        labels = {"demo": "demo (synthetic room, 300 frames)", **{spec: label for label, spec in samples}}
        chosen = st.multiselect("Sequences", options, default=["demo"], format_func=labels.get, key=f"{key}.samples",
                                help="Pick one or more: scores are averaged the CDnet way.")
        if not samples:
            st.caption("The shared sample data (CDnet, SBI, UCSD sequences) is not installed beside this copy "
                       "of bgapp; the demo scene is always available.")
        return chosen
    if kind == "labelled":
        st.caption(f"**{Path(labelled).name}**, saved on the Label frames page: only its labelled frames are "
                   "scored, while the model runs over every frame.")
        return [labelled]
    if kind == "zip":
        up = st.file_uploader(f"Zip of a sequence folder or a dataset tree, up to {upload_limit_mb()} MB",
                              type=["zip"], key=f"{key}.zip",
                              help="CDnet layout: SEQ/input/ frames, SEQ/groundtruth/ labels, optional ROI.bmp and "
                                   "temporalROI.txt; the zip may hold one sequence, a category or a dataset.")
        if up is None:
            return []
        with guard("unpacking the zip") as g:
            root = unpack_zip(up.getvalue(), workdir().path, up.name)
            specs = _found(str(root), key)
        return specs if g.ok else []
    text = st.text_input("Folder", key=f"{key}.folder", placeholder="/data/cdnet2014/baseline",
                         help="A sequence folder, a category folder of them, or a whole dataset.").strip()
    if not text:
        return []
    with guard("reading the folder") as g:
        specs = _found(str(Path(text).expanduser().absolute()), key)  # absolute: see ui.sources
    return specs if g.ok else []


def _found(root: str, key: str) -> list[str]:
    from bgapp.distributed import find_specs

    found = find_specs([root])  # a sequence that cannot be scored is named and left out, the others offered
    for r in found.skipped:
        st.warning(plain(f"{r.label} left out: {r.error}"), icon=":material/block:")
    specs = found.specs
    base = Path(root)
    if zip_origin(base) is not None:  # an upload: NAME.zip:member, never the server's folder
        labels = {s: shown_path(s) for s in specs}
    else:
        labels = {s: (Path(s).relative_to(base).as_posix() if Path(s) != base else base.name) for s in specs}
    return st.multiselect("Sequences", specs, default=specs, format_func=labels.get, key=f"{key}.found.{root}")


def sequence_label(spec: str) -> str:
    """``category/name`` of a sequence spec (``demo`` stays ``demo``)."""
    if spec == "demo":
        return spec
    path = Path(spec)
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


def study_sequence(sequences: list[str], key: str, where: Any = st) -> str:
    """The sequence of a study that "Apply best" opens in the Video lab: its only one, or the one
    picked here when it ran on several."""
    if len(sequences) == 1:
        return sequences[0]
    return where.selectbox("Open in the Video lab", sequences, format_func=sequence_label, key=f"{key}.apply_seq",
                           help="The study ran on several sequences: Apply best opens this one in the Video lab, "
                                "Compare and Background statistics.")


class LiveProgress:
    """A job's progress, drawn in place (call it right under the button that started the job).

    A spinner with a running clock shows the job is alive between updates (a long trial on a
    cluster may report nothing for minutes); the bar under it carries the counts, and ``table``
    draws rows under the bar (a study's trials as they end). ``draw`` is called at most once per
    whole percent, per new text, or per second. Leaving the ``with`` block clears all of it, so the
    results drawn next take their place.
    """

    def __init__(self, where: Any, text: str) -> None:
        self.text = text
        self.box = where.empty()
        self._last: tuple[int, str] | None = None
        self._drawn = 0.0
        self._spin: Any = None

    def __enter__(self) -> LiveProgress:
        inner = self.box.container()
        self._spin = inner.spinner(self.text, show_time=True)
        self._spin.__enter__()
        self.bar = inner.empty()
        self.bar.progress(0.0, text=self.text)
        self.rows = inner.empty()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._spin is not None:
            self._spin.__exit__(None, None, None)
        self.box.empty()

    def __call__(self, fraction: float, text: str) -> None:
        key = (int(100 * fraction), text.split(" · ")[0])
        now = time.monotonic()
        if key != self._last or now - self._drawn >= 1.0:
            self._last, self._drawn = key, now
            self.draw(min(max(fraction, 0.0), 1.0), text)

    def draw(self, fraction: float, text: str) -> None:
        self.bar.progress(fraction, text=text)

    def table(self, frame: Any) -> None:
        """Rows under the bar (replacing the previous ones), e.g. the trials finished so far."""
        self.rows.dataframe(frame, hide_index=True, width="stretch")
