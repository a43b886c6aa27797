"""The Metrics explorer: pick metrics, a dimension, a period and a comparison; see a table, a
chart per metric and a CSV link. The question lives in the URL (a GET form), so it can be
shared; the answer is the metrics API's (cached per load)."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from shopkeeper import accounts, metrics, store
from shopkeeper.api.app import settings as server_settings
from shopkeeper.api.app import warehouse
from shopkeeper.api.routers.metrics import MetricTable, parse_question, run_query
from shopkeeper.api.routers.overview import has_orders
from shopkeeper.api.security import Principal, requires
from shopkeeper.errors import ShopkeeperError
from shopkeeper.web.i18n import translator
from shopkeeper.web.render import page_lang, render

router = APIRouter(include_in_schema=False)
P = accounts.Permission
Wh = Annotated[store.Warehouse, Depends(warehouse)]
DEFAULT_METRICS = ["net_revenue", "orders"]
CHARTED = 4
BAR_GROUPS = 30
COLORS = ("#0e7c66", "#1f77b4", "#ff7f0e", "#9467bd")
Date = Annotated[str | None, Query(pattern=r"^(\d{4}-\d{2}-\d{2})?$")]


def headings(table: MetricTable, t: Any, lang: str) -> list[str]:
    """Column headings in the page's language: a metric's label, with what a comparison
    column is (the comparison period, the change, the change in %)."""
    return column_headings(table.columns, t, lang)


def column_headings(columns: list[str], t: Any, lang: str) -> list[str]:
    """:func:`headings` for any list of column names (an unknown one stays as it is)."""
    suffix = {"_change_pct": "metrics.col_change_pct", "_change": "metrics.col_change",
              "_prev": "metrics.col_prev"}
    out = []
    for col in columns:
        base, key = col, None
        for end, k in suffix.items():
            if col.endswith(end) and col[: -len(end)] in metrics.METRICS:
                base, key = col[: -len(end)], k
                break
        if base in metrics.METRICS:
            m = metrics.METRICS[base]
            label = m.label_zh if lang == "zh" else m.label_en
            out.append(f"{label} · {t(key)}" if key else label)
        elif col in metrics.DIMENSIONS:
            out.append(t(f"metrics.dim.{col}"))
        else:
            out.append(col)
    return out


def charts(table: MetricTable, lang: str, compare: str | None) -> list[dict[str, Any]]:
    """One Plotly figure per metric (at most ``CHARTED``): a line over a time dimension, bars
    over any other (the largest ``BAR_GROUPS``), with the comparison as a grey trace."""
    if not table.rows:
        return []
    cols = {c: i for i, c in enumerate(table.columns)}
    dim = table.by[0] if table.by else None
    timed = dim in metrics.TIME_GRAINS
    rows = table.rows
    if dim is not None and not timed:
        first = cols[table.metrics[0]]
        rows = sorted(rows, key=lambda r: -(r[first] or 0))[:BAR_GROUPS]
    out = []
    for n, name in enumerate(table.metrics[:CHARTED]):
        m = metrics.METRICS[name]
        label = m.label_zh if lang == "zh" else m.label_en
        x = [str(r[cols[dim]]) for r in rows] if dim else [label]
        kind = "scatter" if timed else "bar"
        traces = [{"type": kind, "x": x, "y": [r[cols[name]] for r in rows], "name": label,
                   "marker": {"color": COLORS[n % len(COLORS)]},
                   "line": {"color": COLORS[n % len(COLORS)], "width": 2}}]
        if compare and f"{name}_prev" in cols:
            traces.append({"type": kind, "x": x, "y": [r[cols[f"{name}_prev"]] for r in rows],
                           "name": ("对比期" if lang == "zh" else "comparison"),
                           "marker": {"color": "#b0b7c3"},
                           "line": {"color": "#b0b7c3", "width": 2, "dash": "dot"}})
        tick = ".1%" if m.unit == "ratio" else ",.3~s"
        out.append({"data": traces, "layout": {
            "title": {"text": label, "font": {"size": 14}}, "height": 300, "barmode": "group",
            "yaxis": {"tickformat": tick}, "legend": {"orientation": "h", "y": -0.2},
            "showlegend": bool(compare)}})
    return out


@router.get("/metrics", response_class=HTMLResponse)
def metrics_page(request: Request, wh: Wh,
                 settings: Annotated[store.Settings, Depends(server_settings)],
                 names: Annotated[list[str] | None, Query(alias="metrics", max_length=500)]
                 = None,
                 by: Annotated[str, Query(max_length=100)] = "month",
                 where: Annotated[str, Query(max_length=500)] = "",
                 start: Annotated[str | None, Query(alias="from",
                                                    pattern=r"^(\d{4}-\d{2}-\d{2})?$")] = None,
                 end: Annotated[str | None, Query(alias="to",
                                                  pattern=r"^(\d{4}-\d{2}-\d{2})?$")] = None,
                 compare: Literal["", "previous", "year"] = "",
                 principal: Principal = requires(P.METRICS_READ, web=True)) -> HTMLResponse:
    lang = page_lang(request, principal)
    chosen = [n for item in (names or DEFAULT_METRICS) for n in item.split(",") if n.strip()]
    question = {"metrics": ",".join(chosen), "by": by, "from": start or "", "to": end or "",
                "compare": compare}
    if where:
        question["where"] = where
    table, error, figures = None, None, []
    empty = not has_orders(wh)
    if not empty:
        try:
            split, dims, filters = parse_question(",".join(chosen), by,
                                                  [where] if where else None)
            table = run_query(wh, settings, split, dims, filters, start or None, end or None,
                              compare or None)
            figures = charts(table, lang, compare or None)
        except ShopkeeperError as exc:
            error = str(exc)
    csv_url = "/api/v1/metrics/export?" + urlencode({k: v for k, v in question.items() if v})
    units = {n: m.unit for n, m in metrics.METRICS.items()}
    for n in list(units):
        units[f"{n}_prev"] = units[n]
        units[f"{n}_change"] = units[n]
        units[f"{n}_change_pct"] = "ratio"
    heads = headings(table, translator(lang), lang) if table is not None else []
    return render(request, principal, "metrics/index.html", title="nav.metrics", heads=heads,
                  all_metrics=list(metrics.METRICS.values()), dimensions=list(metrics.DIMENSIONS),
                  chosen=chosen, by=by, where=where, start=start or "", end=end or "",
                  compare=compare, table=table, error=error, figures=figures, csv_url=csv_url,
                  units=units, empty=empty, can_data=principal.may(P.DATA_READ))
