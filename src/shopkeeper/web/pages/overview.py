"""The Overview page (``/``): KPI tiles with sparklines against the period before and a year
ago, alerts, and what waits for the visitor's approval. Its data is the overview API's
(computed once per load)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from shopkeeper import accounts, finance, store
from shopkeeper.api.app import settings as server_settings
from shopkeeper.api.app import warehouse
from shopkeeper.api.routers.overview import overview_data
from shopkeeper.api.security import Principal, requires
from shopkeeper.web.render import render

router = APIRouter(include_in_schema=False)
P = accounts.Permission
Wh = Annotated[store.Warehouse, Depends(warehouse)]


def sparkline(tile: finance.KpiTile) -> dict[str, Any]:
    """A tiny Plotly line of a tile's last periods (no axes: the shape is the message)."""
    color = "#0e7c66"
    return {
        "data": [{"type": "scatter", "mode": "lines", "x": [p.start.isoformat()
                                                            for p in tile.sparkline],
                  "y": [p.value for p in tile.sparkline], "line": {"color": color, "width": 2},
                  "fill": "tozeroy", "fillcolor": "rgba(14,124,102,0.08)",
                  "hovertemplate": "%{x}: %{y:,.4~g}<extra></extra>", "connectgaps": False}],
        "layout": {"height": 48, "margin": {"l": 0, "r": 0, "t": 2, "b": 2},
                   "xaxis": {"visible": False}, "yaxis": {"visible": False},
                   "showlegend": False},
    }


@router.get("/", response_class=HTMLResponse)
def overview_page(request: Request, wh: Wh,
                  settings: Annotated[store.Settings, Depends(server_settings)],
                  period: Literal["day", "week", "month", "quarter"] = "month",
                  principal: Principal = requires(P.OVERVIEW_READ, web=True)) -> HTMLResponse:
    data = overview_data(wh, settings, principal, period)
    sparks = {}
    if data.tiles is not None:
        sparks = {(g.currency, t.metric): sparkline(t) for g in data.tiles.groups
                  for t in g.tiles}
    return render(request, principal, "overview/index.html", title="nav.overview", data=data,
                  sparks=sparks, period=period, can_data=principal.may(P.DATA_READ))
