"""The Home page's generated content: a looping demo video and a tour of the methods.

Both are built from the engine (the synthetic scene, the method and parameter declarations),
so nothing is retyped here.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import streamlit as st

from bgapp.config import Config
from bgapp.display import jpeg, label, tile
from bgapp.methods import METHODS, Method
from bgapp.params import Param
from bgapp.pipeline import Pipeline, Views
from bgapp.synthetic import SyntheticScene
from bgapp.video import Mp4Writer

DEMO_CONFIG = Config("mog2", {"history": 200}, {}, {"mode": "blur"})


def _demo_pictures(first: int, last: int) -> Iterator[np.ndarray]:
    """The demo's combined pictures (input | clean mask | composite), frames ``first`` to ``last - 1``;
    the model sees every frame from 0."""
    scene = SyntheticScene()
    pipe = Pipeline(DEMO_CONFIG, Views(composite=True))
    for i in range(min(last, len(scene))):
        res = pipe.process(scene.frame(i))
        if i >= first:
            yield tile([label(res.frame, "input"), label(res.clean, f"mask: {METHODS[DEMO_CONFIG.method].title}"),
                        label(res.composite, "composite: blurred background")], cols=3)


@st.cache_data(show_spinner=False, max_entries=1)
def demo_still(first: int = 40) -> bytes:
    """JPEG of the loop's first picture (0.2 s): shown while a server's first visitor waits for the loop."""
    return jpeg(next(_demo_pictures(first, first + 1)))


@st.cache_data(show_spinner=False, max_entries=1)
def demo_loop(first: int = 40, last: int = 300) -> bytes:
    """H.264 MP4 bytes of the demo's pictures, MOG2 with a blurred-background composite.

    Identical for everyone (no session data in it), hence safe to cache for all sessions. A server's
    first visitor waits for it (about 2.2 s here, with :func:`demo_still` on screen meanwhile), so a
    second thread encodes frame i while the next one is processed (2.55 s with one thread).
    """
    with tempfile.TemporaryDirectory(prefix="bgapp-demo-") as tmp:
        path = Path(tmp) / "demo.mp4"
        with Mp4Writer(path, SyntheticScene().fps, crf=23) as out, ThreadPoolExecutor(1) as encoder:
            pending: Future | None = None
            for picture in _demo_pictures(first, last):
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
