"""The Home page's generated content: a looping demo video and a tour of the methods.

Both are built from the engine (the synthetic scene, the method and parameter declarations),
so nothing is retyped here.
"""

from __future__ import annotations

import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import streamlit as st

from bgapp.config import Config
from bgapp.display import label, tile
from bgapp.methods import METHODS, Method
from bgapp.params import Param
from bgapp.pipeline import Pipeline, Views
from bgapp.synthetic import SyntheticScene
from bgapp.video import Mp4Writer

DEMO_CONFIG = Config("mog2", {"history": 200}, {}, {"mode": "blur"})


@st.cache_data(show_spinner="Preparing the demo…", max_entries=1)
def demo_loop(first: int = 40, last: int = 300) -> bytes:
    """H.264 MP4 bytes: input | clean mask | composite of the synthetic scene, MOG2 on defaults.

    Identical for everyone (no session data in it), hence safe to cache for all sessions. A server's
    first visitor waits for it, so a second thread encodes frame i while the next one is processed
    (the H.264 encoder releases the GIL): about 1.4 s instead of 2.5 s here.
    """
    scene = SyntheticScene()
    pipe = Pipeline(DEMO_CONFIG, Views(composite=True))
    with tempfile.TemporaryDirectory(prefix="bgapp-demo-") as tmp:
        path = Path(tmp) / "demo.mp4"
        with Mp4Writer(path, scene.fps, crf=23) as out, ThreadPoolExecutor(1) as encoder:
            pending: Future | None = None
            for i in range(min(last, len(scene))):
                res = pipe.process(scene.frame(i))
                if i >= first:
                    views = [label(res.frame, "input"), label(res.clean, f"mask: {METHODS[DEMO_CONFIG.method].title}"),
                             label(res.composite, "composite: blurred background")]
                    picture = tile(views, cols=3)
                    if pending is not None:
                        pending.result()  # one frame in flight: the order stays, errors surface here
                    pending = encoder.submit(out.write, picture)
            if pending is not None:
                pending.result()
        return path.read_bytes()


def _range(p: Param) -> str:
    if p.kind == "choice":
        return "one of " + ", ".join(f"`{c}`" for c in p.choices)
    if p.kind == "bool":
        return "on/off"
    lo = int(p.min) if p.kind == "int" else p.min
    hi = int(p.max) if p.kind == "int" else p.max
    return f"{lo} to {hi}"


def describe_params(params: tuple[Param, ...]) -> str:
    """A markdown list of parameters with their range, default and help."""
    lines = []
    for p in params:
        default = p.default if p.kind != "bool" else ("on" if p.default else "off")
        lines.append(f"- **{p.title}** ({_range(p)}; default {default}): {p.help}")
    return "\n".join(lines)


def method_tour(where=st) -> None:
    """One expander per method: what it does, whether it is available here, its parameters."""
    for name, cls in METHODS.items():
        m: type[Method] = cls
        avail = m.available()
        with where.expander(f"{m.title}" + ("" if avail else " — not available on this server")):
            st.markdown(m.summary)
            if not avail:
                st.warning(m.unavailable_reason())
            st.markdown(describe_params(m.params))
            st.caption(f"Name in configs and the CLI: `{name}`")
