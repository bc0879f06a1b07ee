"""Widgets generated from the engine's parameter declarations: nothing here retypes a range."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import streamlit as st

from bgapp.composite import COMPOSITE_PARAMS
from bgapp.config import Config
from bgapp.methods import METHODS
from bgapp.params import Param, is_active
from bgapp.postprocess import POST_PARAMS


def _fmt(p: Param) -> str | None:
    if p.kind != "float":
        return None
    step = p.step or 0.01
    digits = max(0, min(4, len(f"{step:.10f}".rstrip("0").split(".")[1])))
    return f"%.{digits}f"


def param_widget(p: Param, value: Any, key: str, where: Any = st) -> Any:
    """One widget for one declared parameter (slider, checkbox or select box) with its help."""
    if p.kind == "bool":
        return where.checkbox(p.title, value=bool(value), help=p.help, key=key)
    if p.kind == "choice":
        return where.selectbox(p.title, p.choices, index=p.choices.index(value), help=p.help, key=key)
    if p.kind == "int":
        return int(where.slider(p.title, int(p.min), int(p.max), int(value), int(p.step or 1), help=p.help,
                                key=key))
    return float(where.slider(p.title, float(p.min), float(p.max), float(value), float(p.step or 0.01),
                              format=_fmt(p), help=p.help, key=key))


def param_controls(params: Iterable[Param], values: Mapping[str, Any], key: str, where: Any = st) -> dict[str, Any]:
    """Widgets for ``params``; controls that have no effect given the others are hidden."""
    out = dict(values)
    for p in params:
        if not is_active(p, out):
            continue
        out[p.name] = param_widget(p, out.get(p.name, p.default), f"{key}.{p.name}", where)
    return out


def method_select(key: str, default: str = "mog2", where: Any = st) -> str:
    """Pick a method; unavailable ones (no cv2.bgsegm) are listed but explained, never crash."""
    names = list(METHODS)
    name = where.selectbox(
        "Method", names, index=names.index(default) if default in names else 0, key=key,
        format_func=lambda n: METHODS[n].title + ("" if METHODS[n].available() else " (unavailable)"),
        help="The background-subtraction algorithm. The Home page explains each one.",
    )
    cls = METHODS[name]
    if not cls.available():
        where.warning(cls.unavailable_reason())
    else:
        where.caption(cls.summary)
    return name


def config_controls(key: str, config: Config | None = None, where: Any = st, composite: bool = True,
                    method: str | None = None) -> Config:
    """Method, its parameters, post-processing and composite controls; returns a validated Config."""
    config = config or Config()
    name = method or method_select(f"{key}.method", config.method, where)
    params = config.params if name == config.method else {}
    defaults = Config(name, params).params
    with where.expander("Method parameters", expanded=True):
        values = param_controls(METHODS[name].params, defaults, f"{key}.{name}")
    with where.expander("Post-processing", expanded=False):
        post = param_controls(POST_PARAMS, config.post, f"{key}.post")
    comp = config.composite
    if composite:
        with where.expander("Composite", expanded=False):
            comp = param_controls(COMPOSITE_PARAMS, config.composite, f"{key}.composite")
    return Config(name, values, post, comp)
