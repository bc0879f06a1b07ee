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
