"""The pixel inspector's widgets: which pixel (a click on a picture, or its coordinates), and its chart.

The engine does the work (:mod:`bgapp.trace`): a pipeline follows a pixel only while the inspector
is open, so a closed inspector costs nothing. The pages call :func:`wanted` for the pixel asked
for, hand it to their pipeline's owner, draw a clickable picture with :func:`clickable`, and the
history with :func:`show`.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import pandas as pd
import streamlit as st
from PIL import Image
from streamlit_image_coordinates import streamlit_image_coordinates

from bgapp.methods import METHODS
from bgapp.trace import PixelTrace

from .charts import pixel_history
from .views import Grid

MARK = (0, 255, 255)  # BGR: where the inspected pixel is, on the clickable picture


def _keys(key: str) -> tuple[str, str, str, str]:
    return f"{key}.inspect", f"{key}.px", f"{key}.py", f"{key}.pick"


def wanted(key: str, size: tuple[int, int] | None) -> tuple[int, int] | None:
    """The pixel the inspector's widgets ask for (None: closed, or no frame size known yet), read from
    the session before the widgets are drawn, so a page can act on it first."""
    on, kx, ky, pick = _keys(key)
    clicked = st.session_state.pop(f"{pick}.clicked", None)
    if clicked is not None:  # the coordinates' widgets show a click from now on (see clickable)
        st.session_state[kx], st.session_state[ky] = clicked
    if not st.session_state.get(on) or size is None:
        return None
    w, h = size
    x, y = st.session_state.get(kx, w // 2), st.session_state.get(ky, h // 2)
    return min(max(int(x), 0), w - 1), min(max(int(y), 0), h - 1)


def follow(owner: Any, trace: PixelTrace | None, pixel: tuple[int, int] | None) -> bool:
    """Make ``owner`` (a :class:`bgapp.player.Player` or a :class:`bgapp.pipeline.Pipeline`) follow
    ``pixel``, or nothing when None; True when that changed what it follows."""
    if pixel is None:
        if trace is None:
            return False
        owner.stop_inspecting()
        return True
    if trace is not None and (trace.x, trace.y) == pixel:
        return False
    owner.inspect(*pixel)
    return True


def controls(key: str, size: tuple[int, int] | None, where: Any = st, clicks: str = "any picture above") -> bool:
    """The inspector's toggle and, when it is on, the pixel's coordinates; returns whether it is on."""
    on, kx, ky, _ = _keys(key)
    where.toggle("Pixel inspector", key=on,
                 help="Follow one pixel over the frames the model has seen: its value, the background the method "
                      "compares it with, the threshold or band, the decision and the ground truth. Costs "
                      "nothing while off.")
    if not st.session_state.get(on) or size is None:
        return False
    w, h = size
    for k, default in ((kx, w // 2), (ky, h // 2)):
        st.session_state.setdefault(k, default)
    a, b, c = where.columns([1, 1, 3], vertical_alignment="bottom")
    a.number_input("x", 0, w - 1, key=kx, step=1, help=f"Column, 0 to {w - 1}.")
    b.number_input("y", 0, h - 1, key=ky, step=1, help=f"Row, 0 to {h - 1}.")
    c.caption(f"Click a pixel on {clicks} to follow it, or type its coordinates.")
    return True


def clickable(where: Any, key: str, picture: bytes, grid: Grid, pixel: tuple[int, int] | None) -> bool:
    """Draw ``picture`` (a :func:`ui.views.combined` JPEG laid out as ``grid``) into ``where``, a
    container used for nothing else, so that a click picks
    the pixel under it in any view; the followed ``pixel`` is ringed in each view. Returns True on
    the run a new click arrives: the caller reruns, and :func:`wanted` hands the pixel to the coordinates'
    widgets."""
    img = cv2.imdecode(np.frombuffer(picture, np.uint8), cv2.IMREAD_COLOR)
    if pixel is not None:
        for px, py in grid.places(*pixel):
            cv2.circle(img, (px, py), 6, MARK, 1, cv2.LINE_AA)
            cv2.circle(img, (px, py), 1, MARK, -1)
    rgb = Image.fromarray(cv2.cvtColor(img, cv2.COLOR_BGR2RGB))
    pick = _keys(key)[3]
    with where:  # a container of its own (see the lab's stage)
        value = streamlit_image_coordinates(rgb, key=pick, width="stretch", image_format="JPEG", jpeg_quality=85,
                                            cursor="crosshair")
    if not value or value.get("unix_time") == st.session_state.get(f"{pick}.seen"):
        return False
    st.session_state[f"{pick}.seen"] = value.get("unix_time")
    hit = grid.pixel(value["x"], value["y"], (value.get("width", 0), value.get("height", 0)))
    if hit is None:
        return False
    # The coordinates' widgets take the click on the next run, in :func:`wanted`, before they are drawn
    # (the caller reruns): set here, a widget drawn outside this fragment would get its old value back
    # from the browser.
    st.session_state[f"{pick}.clicked"] = hit
    return True


def show(where: Any, trace: PixelTrace | None, method: str, marker: int | None = None, since: str = "") -> None:
    """The followed pixel's chart and what the method's model lets it show (see the engine's notes); ``marker``:
    the index of the frame shown, drawn as a line."""
    box = where.container()
    if trace is None:
        return
    samples, events = trace.latest()
    if not samples:
        box.caption(f"Pixel ({trace.x}, {trace.y}): no frame yet{since}.")
        return
    df = pd.DataFrame(trace.rows())
    df["frame"] += 1  # counted from 1, as the pages' status lines and sliders count
    title = f"Pixel ({trace.x}, {trace.y}) over {len(df)} frames{since}"
    fig = pixel_history(df, [(e.index + 1, e.text) for e in events], None if marker is None else marker + 1, title)
    box.plotly_chart(fig, key=f"inspector.chart.{id(trace)}.{len(df)}", config={"displayModeBar": False})
    last = samples[-1]
    value = ", ".join(f"{c} {v:.0f}" for c, v in zip(("B", "G", "R"), last.value))
    parts = [f"frame {last.index + 1}: {value}", f"method: {last.decision}",
             f"after clean-up: {'foreground' if last.clean else 'background'}"]
    if last.score is not None and last.threshold is not None:
        parts.insert(1, f"score {last.score:.3f} against threshold {last.threshold:g}")
    box.caption(" · ".join(parts))
    box.caption(f":material/info: {METHODS[method].inspect_note}")

