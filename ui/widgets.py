"""Widgets generated from the engine's parameter declarations: nothing here retypes a range.

Each widget's value lives in ``st.session_state[widget key]``. A value that comes from elsewhere
(a loaded settings file, "Apply best", "Reset to defaults") is written there *before* the widget
is created: Streamlit then sends it to the browser as the widget's new value. Passing it only as
``value=`` changes the default, which a browser that already shows the widget ignores, sending its
old value back at the next click. The same value is also passed as ``value=``: a browser that
mounts the widget afresh (after a run that did not draw it, such as the one that waits for an
upload, was interrupted) starts from that default, and without it would start from the slider's
minimum and send that back. (Streamlit logs a warning for a value given both ways; config.toml
turns it off, since here both are always the same value.)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import streamlit as st

from bgapp.composite import COMPOSITE_PARAMS
from bgapp.config import Config
from bgapp.errors import BgappError
from bgapp.methods import METHODS, TAGS, guide, tag_of
from bgapp.params import Param, is_active
from bgapp.postprocess import POST_PARAMS

SHAPES = "bgapp.widget_shapes"  # widget key -> how it was drawn last (kind, range, step)
MAX_DECIMALS = 8
SECTIONS = ("post", "composite", "method")  # plus one per method name: the widget key's second part


def _decimals(x: float) -> int:
    """Decimal places ``x`` needs (0..MAX_DECIMALS)."""
    for k in range(MAX_DECIMALS + 1):
        if abs(round(x, k) - x) <= 1e-9 * max(1.0, abs(x)):
            return k
    return MAX_DECIMALS


def _on_grid(value: float, lo: float, step: float) -> bool:
    n = (value - lo) / step
    return abs(n - round(n)) < 1e-6


def fit_value(p: Param, value: Any) -> Any:
    """``value`` as ``p``'s type, or the default where it is not a valid value of ``p``."""
    try:
        value = p.coerce(value)
    except BgappError:
        return p.default
    return round(value, MAX_DECIMALS) if p.kind == "float" else value


def slider_spec(p: Param, value: float) -> tuple[float, float, float]:
    """(low, high, step) of the slider that shows ``value`` exactly.

    The track covers the declared typical range, stretched to the full declared range on the side
    where ``value`` lies outside it. The step is always the declared one for a number with decimals,
    so that each arrow press moves by a step whose effect shows: a value between its notches (a
    C++ default of 0.333 on a 0.01 grid, a tuned 44.69 on a 0.5 grid) moves the track's low end up
    by less than a step, so that the notches pass through the value and the slider neither shows
    nor returns a snapped one. A whole number off its grid (an even kernel size) gets a step of 1.
    """
    lo, hi = p.track
    if value < lo:
        lo = p.min
    if value > hi:
        hi = p.max
    step = p.step or (1 if p.kind == "int" else 0.01)
    if not _on_grid(value, lo, step):
        if p.kind == "int":
            step = 1
        else:
            notches = math.floor((value - lo) / step + 1e-9)
            lo = max(lo, round(value - notches * step, max(_decimals(value), _decimals(lo), _decimals(step))))
    if p.kind == "int":
        return int(lo), int(hi), int(step)
    return float(lo), float(hi), float(step)


def number_format(p: Param, value: Any, step: float | None = None) -> str | None:
    """A printf format that shows every decimal of ``value`` and of the step."""
    if p.kind != "float":
        return None
    digits = max(_decimals(step or p.step or 0.01), _decimals(float(value)))
    return f"%.{digits}f"


def _shape(p: Param, value: Any, typed: bool) -> tuple[Any, ...]:
    if p.kind in ("bool", "choice"):
        return (p.kind,)
    if typed:
        return ("number",)
    return ("slider", *slider_spec(p, value))


def _range_help(p: Param, shape: tuple[Any, ...]) -> str:
    if p.typical is None:
        return p.help
    if shape[0] == "number":
        return f"{p.help}\n\nAny value from {_num(p.min)} to {_num(p.max)}."
    return (f"{p.help}\n\nThe slider covers typical values, {_num(p.typical[0])} to {_num(p.typical[1])}; "
            f"turn on **Type exact values** to enter anything from {_num(p.min)} to {_num(p.max)}.")


def _num(x: float) -> str:
    return f"{int(x):,}" if float(x).is_integer() else f"{x:g}"


def param_widget(p: Param, value: Any, key: str, where: Any = st, typed: bool = False) -> Any:
    """One widget for one declared parameter (slider, number box, checkbox or select box).

    The widget shows, and returns, its own value from session state, else ``value``. Sliders cover
    the typical range (see :func:`slider_spec`); ``typed`` gives a number box over the full range.
    """
    state = st.session_state
    current = fit_value(p, state[key] if key in state else value)
    shape = _shape(p, current, typed)
    shapes = state.setdefault(SHAPES, {})
    if key not in state or shapes.get(key) != shape or state[key] != current:
        state[key] = current  # new widget, new range or step, or a value it cannot hold: say so to the browser
    shapes[key] = shape
    text = _range_help(p, shape)
    if p.kind == "bool":
        return bool(where.checkbox(p.title, value=bool(current), help=text, key=key))
    if p.kind == "choice":
        return where.selectbox(p.title, p.choices, index=p.choices.index(current), help=text, key=key)
    if shape[0] == "number":
        if p.kind == "int":
            return int(where.number_input(p.title, int(p.min), int(p.max), value=int(current), step=int(p.step or 1),
                                          help=text, key=key))
        return float(where.number_input(p.title, float(p.min), float(p.max), value=float(current),
                                        step=float(p.step or 0.01), format=number_format(p, current), help=text,
                                        key=key))
    _, lo, hi, step = shape
    if p.kind == "int":
        return int(where.slider(p.title, lo, hi, value=int(current), step=step, help=text, key=key))
    return float(where.slider(p.title, lo, hi, value=float(current), step=step,
                              format=number_format(p, current, step), help=text, key=key))


def param_controls(params: Iterable[Param], values: Mapping[str, Any], key: str, where: Any = st,
                   typed: bool = False) -> dict[str, Any]:
    """Widgets for ``params``; controls that have no effect given the others are hidden."""
    out = dict(values)
    for p in params:
        if not is_active(p, out):
            continue
        out[p.name] = param_widget(p, out.get(p.name, p.default), f"{key}.{p.name}", where, typed)
    return out


def clear_widgets(key: str, keep_method: bool = False) -> None:
    """Forget the settings widgets under ``key`` so that the next ones show the values given to them."""
    sections = set(METHODS) | set(SECTIONS)
    if keep_method:
        sections.discard("method")
    state = st.session_state
    for k in [k for k in state if isinstance(k, str) and k.startswith(f"{key}.") and k.split(".")[1] in sections]:
        del state[k]


def method_select(key: str, default: str = "mog2", where: Any = st) -> str:
    """Pick a method; unavailable ones (no cv2.bgsegm) are listed but explained, never crash."""
    names = list(METHODS)
    state = st.session_state
    if state.get(key) not in names:
        state[key] = default if default in names else names[0]
    name = where.selectbox(
        "Method", names, index=names.index(state[key]), key=key,
        format_func=lambda n: METHODS[n].title + ("" if METHODS[n].available() else " (unavailable)"),
        help=f"The background-subtraction algorithm; the Home page explains each one. {guide()}",
    )
    cls = METHODS[name]
    tag = tag_of(cls)
    if not cls.available():
        where.warning(cls.unavailable_reason())
    else:
        where.caption(cls.summary)
        if tag:
            where.caption(f"({tag}): {TAGS[tag][1]}.")
        if cls.params and all(p.rebuild for p in cls.params):
            where.caption(":material/restart_alt: This method cannot change a running model: every change of its "
                          "settings restarts it (the frame count and statistics carry on).")
    return name


def _reset(key: str) -> None:
    st.session_state[f"{key}.defaults_req"] = True


def config_controls(key: str, config: Config | None = None, where: Any = st, composite: bool = True,
                    method: str | None = None) -> Config:
    """Method, its parameters, post-processing and composite controls; returns a validated Config.

    ``config`` fills widgets that have no value yet (first run, or after :func:`clear_widgets`).
    "Reset to defaults" puts the chosen method's parameters, post-processing and (with
    ``composite``) the composite back to their declared defaults.
    """
    config = config or Config()
    state = st.session_state
    if state.pop(f"{key}.defaults_req", False):
        clear_widgets(key, keep_method=True)
        config = Config(method or state.get(f"{key}.method", config.method))
    name = method or method_select(f"{key}.method", config.method, where)
    params = config.params if name == config.method else {}
    defaults = Config(name, params).params
    typed = where.toggle("Type exact values", key=f"{key}.typed",
                        help="Number boxes instead of sliders, each taking any value in the parameter's full "
                             "range. The sliders cover the values that usually make sense.")
    what = "parameters, post-processing" + (" and composite" if composite else "")
    where.button("Reset to defaults", key=f"{key}.defaults", on_click=_reset, args=(key,),
                 icon=":material/restart_alt:", width="stretch",
                 help=f"The method's {what} back to their defaults (the method stays).")
    with where.expander("Method parameters", expanded=True):
        values = param_controls(METHODS[name].params, defaults, f"{key}.{name}", typed=typed)
    with where.expander("Post-processing", expanded=False):
        post = param_controls(POST_PARAMS, config.post, f"{key}.post", typed=typed)
    comp = config.composite
    if composite:
        with where.expander("Composite", expanded=False):
            comp = param_controls(COMPOSITE_PARAMS, config.composite, f"{key}.composite", typed=typed)
    return Config(name, values, post, comp)
