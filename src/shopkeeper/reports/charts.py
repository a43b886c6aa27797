"""Charts as self-contained HTML: plotly with its JavaScript inlined, so no CDN is needed."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots


def demand_chart(
    title: str,
    history: pd.DataFrame,
    forecast: pd.DataFrame,
    stock: pd.DataFrame | None = None,
    levels: tuple[int, ...] = (95, 80),
) -> go.Figure:
    """History (``ds, y``), forecast (``ds, yhat, lo_*, hi_*``) and, optionally, simulated
    stock on hand (``ds, p10, p50, p90``) in a second panel."""
    rows = 2 if stock is not None else 1
    fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=["demand (units)", "stock on hand under the plan"][:rows])
    fig.add_trace(go.Scatter(x=history["ds"], y=history["y"], name="sales", mode="lines",
                             line={"color": "#444"}), row=1, col=1)
    for level, alpha in zip(levels, (0.15, 0.3), strict=False):
        if f"lo_{level}" not in forecast:
            continue
        fig.add_trace(go.Scatter(
            x=list(forecast["ds"]) + list(forecast["ds"][::-1]),
            y=list(forecast[f"hi_{level}"]) + list(forecast[f"lo_{level}"][::-1]),
            fill="toself", fillcolor=f"rgba(31,119,180,{alpha})", line={"width": 0},
            name=f"{level}% interval", hoverinfo="skip"), row=1, col=1)
    fig.add_trace(go.Scatter(x=forecast["ds"], y=forecast["yhat"], name="forecast",
                             line={"color": "#1f77b4", "width": 2}), row=1, col=1)
    if stock is not None:
        fig.add_trace(go.Scatter(
            x=list(stock["ds"]) + list(stock["ds"][::-1]),
            y=list(stock["p90"]) + list(stock["p10"][::-1]), fill="toself",
            fillcolor="rgba(44,160,44,0.2)", line={"width": 0}, name="stock 10–90%",
            hoverinfo="skip"), row=2, col=1)
        fig.add_trace(go.Scatter(x=stock["ds"], y=stock["p50"], name="stock (median)",
                                 line={"color": "#2ca02c"}), row=2, col=1)
    fig.update_layout(title=title, template="plotly_white", height=420 * rows,
                      legend={"orientation": "h"})
    return fig


def table_chart(title: str, frame: pd.DataFrame, x: str, y: str, kind: str = "bar") -> go.Figure:
    """One metric (``y``) over a dimension (``x``): bars for categories, a line over time."""
    trace = (go.Scatter(x=frame[x], y=frame[y], mode="lines+markers", name=y) if kind == "line"
             else go.Bar(x=frame[x].astype(str), y=frame[y], name=y))
    fig = go.Figure(trace)
    fig.update_layout(title=title, template="plotly_white", height=420,
                      xaxis_title=x, yaxis_title=y)
    return fig


def write_html(fig: go.Figure, path: str | Path) -> Path:
    """Write one self-contained HTML file (plotly.js inlined, works offline)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.write_html(path, include_plotlyjs=True, full_html=True)
    return path
