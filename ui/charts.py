"""Plotly figures shared by the pages (built from DataFrames and arrays the engine produced)."""

from __future__ import annotations

import cv2
import numpy as np
import pandas as pd
import plotly.colors
import plotly.express as px
import plotly.graph_objects as go
from plotly.subplots import make_subplots

HEATMAP_MAX_SIDE = 320  # plotly heatmaps larger than this are slow to send and draw


def _colorscale(colors: list[str]) -> list[list]:
    """A plotly colorscale with rgb() strings: Streamlit's frontend treats the hex codes #000001..
    #00000f as placeholders for its theme colours, and Inferno starts at #000004."""
    out = []
    for k, c in enumerate(colors):
        rgb = "rgb({}, {}, {})".format(*plotly.colors.hex_to_rgb(c)) if c.startswith("#") else c
        out.append([k / (len(colors) - 1), rgb])
    return out


INFERNO = _colorscale(px.colors.sequential.Inferno)


def over_time(df: pd.DataFrame, metrics: list[str], color: str | None = None, marker: int | None = None,
              height: int = 360) -> go.Figure:
    """One stacked panel per metric against ``frame``; one line per ``color`` group."""
    metrics = [m for m in metrics if m in df.columns and df[m].notna().any()]
    fig = make_subplots(rows=max(1, len(metrics)), cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=metrics)
    groups = [(None, df)] if color is None else list(df.groupby(color, sort=False))
    palette = px.colors.qualitative.Plotly
    for k, (name, part) in enumerate(groups):
        for row, m in enumerate(metrics, start=1):
            fig.add_trace(go.Scatter(
                x=part["frame"], y=part[m], mode="lines", name=str(name or m), legendgroup=str(name),
                showlegend=row == 1 and name is not None, line={"color": palette[k % len(palette)], "width": 1.5},
                hovertemplate=f"frame %{{x}}<br>{m} %{{y:.3f}}<extra>{name or ''}</extra>",
            ), row=row, col=1)
    for row, m in enumerate(metrics, start=1):
        if m.endswith("%"):  # a learning model's first frames (100 % foreground) would flatten the rest
            top = float(np.nanpercentile(df[m], 98)) if df[m].notna().any() else 1.0
            fig.update_yaxes(range=[0, max(1.0, min(100.0, 1.25 * top))], row=row, col=1)
    if marker is not None:
        fig.add_vline(x=marker, line_dash="dot", line_color="grey")
    fig.update_layout(height=height * max(1, len(metrics)) // 2 + 80, margin={"l": 10, "r": 10, "t": 30, "b": 10},
                      legend={"orientation": "h", "y": -0.12})
    fig.update_xaxes(title_text="frame", row=max(1, len(metrics)), col=1)
    return fig


def _shrink(values: np.ndarray, max_side: int = HEATMAP_MAX_SIDE) -> tuple[np.ndarray, float]:
    h, w = values.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    if scale >= 1.0:
        return values, 1.0
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(values, size, interpolation=cv2.INTER_AREA), scale


def heatmap(values: np.ndarray, title: str, colorbar: str, zmax: float | None = None) -> go.Figure:
    """A per-pixel map with hover values; large maps are averaged down (the axes keep pixel units)."""
    small, scale = _shrink(values.astype(np.float32))
    h, w = small.shape
    x = (np.arange(w) + 0.5) / scale - 0.5
    y = (np.arange(h) + 0.5) / scale - 0.5
    fig = go.Figure(go.Heatmap(
        z=small, x=x, y=y, colorscale=INFERNO, zmin=0, zmax=zmax,
        colorbar={"title": {"text": colorbar}},
        hovertemplate="x %{x:.0f}, y %{y:.0f}<br>" + colorbar + " %{z:.1f}<extra></extra>",
    ))
    fig.update_yaxes(autorange="reversed", scaleanchor="x", constrain="domain")
    fig.update_xaxes(constrain="domain")
    fig.update_layout(title=title, height=420, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return fig


def histogram(values: np.ndarray, title: str, xlabel: str) -> go.Figure:
    """Histogram of per-pixel values, log count axis (most pixels sit near zero)."""
    v = values.ravel()
    top = float(np.percentile(v, 99.5)) if v.size else 1.0
    counts, edges = np.histogram(np.clip(v, 0, top), bins=80, range=(0.0, max(top, 1e-6)))
    fig = go.Figure(go.Bar(x=(edges[:-1] + edges[1:]) / 2, y=counts, width=np.diff(edges),
                           marker_color="#d95f02",
                           hovertemplate=xlabel + " %{x:.1f}<br>pixels %{y}<extra></extra>"))
    fig.update_yaxes(type="log", title_text="pixels")
    fig.update_xaxes(title_text=xlabel + " (top 0.5% clipped)")
    fig.update_layout(title=title, height=320, margin={"l": 10, "r": 10, "t": 40, "b": 10}, bargap=0)
    return fig


_CHANNEL_COLOURS = {"B": "#1f77b4", "G": "#2ca02c", "R": "#d62728", "grey": "#555555"}
_DECISION_Y = {"background": 0, "shadow": 1, "foreground": 2}
_DECISION_COLOURS = {"background": "#9e9e9e", "shadow": "#7e57c2", "foreground": "#ff9800",
                     "outside the ROI": "#e0e0e0", "unknown": "#bdbdbd"}


def pixel_history(df: pd.DataFrame, events: list[tuple[int, str]] | None = None, marker: int | None = None,
                  title: str = "") -> go.Figure:
    """The pixel inspector's chart from :meth:`bgapp.trace.PixelTrace.rows`: the pixel's value per
    channel with the background model's value (dashed) and, where the method decides on one, the band
    it must stay in (shaded); the score against its threshold; and the decisions (the method's, after
    post-processing, and the ground truth) as rows of marks. ``events``: (frame, text) of settings changes."""
    channels = [c for c in ("B", "G", "R", "grey") if c in df.columns]
    has_score = "score" in df.columns and df["score"].notna().any()
    rows = 3 if has_score else 2
    titles = ["value (grey levels)"] + (["score and threshold"] if has_score else []) + ["decision"]
    fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.07, subplot_titles=titles,
                        row_heights=[0.45, 0.3, 0.25][:rows] if has_score else [0.65, 0.35])
    x = df["frame"] if "frame" in df.columns else []
    for ch in channels:
        colour = _CHANNEL_COLOURS[ch]
        low, high = df.get(f"low {ch}"), df.get(f"high {ch}")
        if low is not None and high is not None and low.notna().any():
            fig.add_trace(go.Scatter(x=x, y=high, mode="lines", line={"width": 0}, showlegend=False,
                                     hoverinfo="skip", legendgroup=ch), row=1, col=1)
            fig.add_trace(go.Scatter(x=x, y=low, mode="lines", line={"width": 0}, fill="tonexty",
                                     fillcolor=_alpha(colour, 0.15), name=f"band {ch}", legendgroup=ch,
                                     hovertemplate=f"frame %{{x}}<br>band {ch} low %{{y:.1f}}<extra></extra>"),
                          row=1, col=1)
        bg = df.get(f"background {ch}")
        if bg is not None and bg.notna().any():
            fig.add_trace(go.Scatter(x=x, y=bg, mode="lines", name=f"background {ch}", legendgroup=ch,
                                     line={"color": colour, "dash": "dash", "width": 1.5},
                                     hovertemplate=f"frame %{{x}}<br>background {ch} %{{y:.1f}}<extra></extra>"),
                          row=1, col=1)
        fig.add_trace(go.Scatter(x=x, y=df[ch], mode="lines", name=f"pixel {ch}", legendgroup=ch,
                                 line={"color": colour, "width": 1.5},
                                 hovertemplate=f"frame %{{x}}<br>pixel {ch} %{{y:.0f}}<extra></extra>"), row=1, col=1)
    fig.update_yaxes(range=[0, 255], row=1, col=1)
    if has_score:
        fig.add_trace(go.Scatter(x=x, y=df["score"], mode="lines", name="score",
                                 line={"color": "#000000", "width": 1.5},
                                 hovertemplate="frame %{x}<br>score %{y:.3f}<extra></extra>"), row=2, col=1)
        fig.add_trace(go.Scatter(x=x, y=df["threshold"], mode="lines", name="threshold", line_shape="hv",
                                 line={"color": "#e53935", "dash": "dot", "width": 1.5},
                                 hovertemplate="frame %{x}<br>threshold %{y:.3f}<extra></extra>"), row=2, col=1)
    lanes = [("method", "decision"), ("after clean-up", "clean")]
    if "truth" in df.columns and (df["truth"] != "").any():
        lanes.append(("ground truth", "truth"))
    named: set[str] = set()  # each decision in the legend once
    for name, column in lanes:
        for value, colour in _DECISION_COLOURS.items():
            part = df[df[column] == value] if column in df.columns else df.iloc[:0]
            if part.empty:
                continue
            fig.add_trace(go.Scatter(
                x=part["frame"], y=[name] * len(part), mode="markers", name=value, legendgroup=f"d-{value}",
                showlegend=value not in named,
                marker={"color": colour, "symbol": "line-ns-open" if len(df) > 200 else "square", "size": 9,
                        "line": {"color": colour, "width": 2}},
                hovertemplate=f"frame %{{x}}<br>{name}: {value}<extra></extra>"), row=rows, col=1)
            named.add(value)
    fig.update_yaxes(categoryorder="array", categoryarray=[n for n, _ in reversed(lanes)], row=rows, col=1)
    for frame, text in events or []:
        fig.add_vline(x=frame - 0.5, line_dash="dot", line_color="#757575")
        fig.add_annotation(x=frame - 0.5, y=1.0, yref="paper", text=text, showarrow=False, font={"size": 10},
                           xanchor="left", yanchor="bottom")
    if marker is not None:
        fig.add_vline(x=marker, line_color="#424242", line_width=1)
    fig.update_layout(height=520 if has_score else 420, margin={"l": 10, "r": 10, "t": 50, "b": 10},
                      legend={"orientation": "h", "y": -0.12}, title=title or None)
    fig.update_xaxes(title_text="frame", row=rows, col=1)
    return fig


def _alpha(hex_colour: str, a: float) -> str:
    r, g, b = plotly.colors.hex_to_rgb(hex_colour)
    return f"rgba({r}, {g}, {b}, {a})"
