"""The Overview page (``/``): KPI tiles with sparklines against the period before and a year
ago, alerts, what waits for the visitor's approval, and the ask box. Its data is the overview
API's (computed once per load); the ask box's answer is the ask API's (``POST /api/v1/ask``).

The ask box is a GET form, as the metrics explorer is: the question lives in the address
(``/?ask=…``), so an answer can be shared and reloaded. A follow-up carries the last answer's
metric query in a hidden field (``previous``); an ask-back's choices are links that ask again
with the choice added to the question.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from shopkeeper import accounts, finance, metrics, store
from shopkeeper.api.app import settings as server_settings
from shopkeeper.api.app import warehouse
from shopkeeper.api.routers.ask import MAX_QUESTION, AskAnswer, MetricQuery, answer_question
from shopkeeper.api.routers.overview import overview_data
from shopkeeper.api.security import Principal, requires
from shopkeeper.errors import ShopkeeperError
from shopkeeper.web.i18n import translator
from shopkeeper.web.pages.metrics import BAR_GROUPS, column_headings
from shopkeeper.web.render import page_lang, render

router = APIRouter(include_in_schema=False)
P = accounts.Permission
Wh = Annotated[store.Warehouse, Depends(warehouse)]
MAX_PREVIOUS = 20_000  # characters of the hidden metric query
ASK_COLUMNS = ("metric", "value", "share", "product")  # columns an answer adds to the metrics'


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


def _previous(raw: str) -> dict[str, Any] | None:
    """The hidden field's metric query; one that does not parse is dropped (a new question)."""
    if not raw.strip():
        return None
    try:
        return MetricQuery.model_validate(json.loads(raw)).model_dump(mode="json")
    except (ValueError, ValidationError):
        return None


def column_units(answer: AskAnswer) -> dict[str, str]:
    """How to write each numeric column of an answer's table: money, count, ratio or number."""
    units = {}
    for col in answer.columns:
        base = col
        for end in ("_change_pct", "_change", "_prev"):
            if col.endswith(end) and col[: -len(end)] in metrics.METRICS:
                base = col[: -len(end)]
                break
        if col.endswith("_change_pct") or col == "share":
            units[col] = "ratio"
        elif base in metrics.METRICS:
            units[col] = metrics.METRICS[base].unit
    return units


def ask_chart(answer: AskAnswer, heads: list[str], units: dict[str, str]) -> dict[str, Any] | None:
    """The answer's chart hint as a Plotly figure: a line over time, else bars (the first
    ``BAR_GROUPS`` rows, in the answer's order)."""
    hint = answer.chart or {}
    x, y = hint.get("x"), hint.get("y")
    if answer.kind != "table" or x not in answer.columns or y not in answer.columns:
        return None
    xi, yi = answer.columns.index(x), answer.columns.index(y)
    line = hint.get("type") == "line"
    rows = answer.rows if line else answer.rows[:BAR_GROUPS]
    return {"data": [{"type": "scatter" if line else "bar", "x": [str(r[xi]) for r in rows],
                      "y": [r[yi] for r in rows], "name": heads[yi],
                      "marker": {"color": "#0e7c66"}, "line": {"color": "#0e7c66", "width": 2}}],
            "layout": {"height": 280, "showlegend": False,
                       "yaxis": {"tickformat": ".1%" if units.get(y) == "ratio" else ",.3~s"}}}


def _ask(wh: store.Warehouse, settings: store.Settings, lang: str, period: str, question: str,
         raw_previous: str) -> dict[str, Any]:
    """The ask box's context: the question, its answer (or the error), and the links and
    hidden field a follow-up needs."""
    previous = _previous(raw_previous)
    out: dict[str, Any] = {"question": question, "answer": None, "error": None,
                           "previous": json.dumps(previous, ensure_ascii=False)
                           if previous else ""}
    if not question.strip():
        return out
    try:
        answer = answer_question(wh, settings, question, previous=previous)
    except ShopkeeperError as exc:
        out["error"] = str(exc)
        return out
    follow = answer.metric_query or previous
    out["previous"] = json.dumps(follow, ensure_ascii=False) if follow else ""
    t = translator(lang)
    heads = column_headings(answer.columns, t, lang)
    heads = [t(f"overview.ask_col.{c}") if c in ASK_COLUMNS else h
             for c, h in zip(answer.columns, heads, strict=True)]
    units = column_units(answer)

    def again(choice: str) -> str:
        query = {"ask": f"{answer.question} {choice}", "period": period}
        if out["previous"]:
            query["previous"] = out["previous"]
        return "/?" + urlencode(query) + "#ask"

    out.update(answer=answer, heads=heads, units=units,
               figure=ask_chart(answer, heads, units),
               choices=[(c, again(c)) for c in answer.choices],
               query_json=json.dumps(answer.metric_query, ensure_ascii=False, indent=2)
               if answer.metric_query else "")
    return out


@router.get("/", response_class=HTMLResponse)
def overview_page(request: Request, wh: Wh,
                  settings: Annotated[store.Settings, Depends(server_settings)],
                  period: Literal["day", "week", "month", "quarter"] = "month",
                  question: Annotated[str, Query(alias="ask", max_length=MAX_QUESTION)] = "",
                  previous: Annotated[str, Query(max_length=MAX_PREVIOUS)] = "",
                  principal: Principal = requires(P.OVERVIEW_READ, web=True)) -> HTMLResponse:
    data = overview_data(wh, settings, principal, period)
    sparks = {}
    if data.tiles is not None:
        sparks = {(g.currency, t.metric): sparkline(t) for g in data.tiles.groups
                  for t in g.tiles}
    can_ask = principal.may(P.METRICS_READ) and not data.empty
    asked = (_ask(wh, settings, page_lang(request, principal), period, question, previous)
             if can_ask else None)
    return render(request, principal, "overview/index.html", title="nav.overview", data=data,
                  sparks=sparks, period=period, can_data=principal.may(P.DATA_READ),
                  asked=asked)
