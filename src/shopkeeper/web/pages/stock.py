"""The Demand & stock page: find a SKU and see its history, forecast with intervals and the model
chosen and why; the replenishment plan's lines (filter, edit, approve, export); excess and
dead stock; forecast and plan runs as background jobs with live progress."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from shopkeeper import accounts, forecast, inventory, store
from shopkeeper.api.app import warehouse
from shopkeeper.api.security import Principal, requires
from shopkeeper.web.render import render

router = APIRouter(include_in_schema=False)
P = accounts.Permission
Wh = Annotated[store.Warehouse, Depends(warehouse)]
# rows rendered per table (the page says how many of how many; filters narrow, export has all):
# escaping 500 + 500 rows of cells and inline forms took ~100 ms of a request's CPU
PLAN_ROWS = 200
EXCESS_ROWS = 200
Text = Annotated[str, Query(max_length=200)]
Classes = Annotated[str, Query(max_length=10, pattern=r"^[A-Za-z,]*$")]


@router.get("/stock", response_class=HTMLResponse)
def stock_page(request: Request, wh: Wh, sku: Text = "", q: Text = "", supplier: Text = "",
               abc: Classes = "", xyz: Classes = "",
               status: Literal["", "draft", "approved"] = "",
               orders: Literal["", "1", "0"] = "",
               principal: Principal = requires(P.STOCK_READ, web=True)) -> HTMLResponse:
    orders_only = orders != "0"
    matches = inventory.find_skus(wh, q, limit=20) if q else None
    detail = figure = None
    sku_missing = False
    if sku:
        try:
            detail = forecast.sku_forecast(wh, sku)
        except forecast.UnknownSkuError:
            sku_missing = True
        else:
            figure = forecast.sku_figure(detail) if detail.history or detail.forecast else None
    try:
        lines = inventory.plan_lines(wh, None, supplier=supplier or None, abc=abc or None,
                                     xyz=xyz or None, status=status or None,
                                     orders_only=orders_only, limit=PLAN_ROWS)
        excess = inventory.excess_stock(wh, lines.plan.plan_id, limit=EXCESS_ROWS)
    except inventory.PlanNotFoundError:
        lines = excess = None
    runner = request.app.state.server.jobs
    running = runner.active(("forecast", "plan"))
    filters = {"supplier": supplier, "abc": abc, "xyz": xyz, "status": status,
               "orders_only": "true" if orders_only else "false"}
    export_query = urlencode({k: v for k, v in filters.items() if v})
    return render(request, principal, "stock/index.html", title="nav.stock", sku=sku, q=q,
                  matches=matches, detail=detail, figure=figure, sku_missing=sku_missing,
                  lines=lines, excess=excess, running=running, supplier=supplier, abc=abc,
                  xyz=xyz, status=status, orders=orders, orders_only=orders_only,
                  export_filters=filters, export_query=export_query,
                  plan_rows=PLAN_ROWS, excess_rows=EXCESS_ROWS,
                  can_approve=principal.may(P.STOCK_APPROVE))
