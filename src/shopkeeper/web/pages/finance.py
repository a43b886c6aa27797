"""The Finance page: the P&L and KPI pack of any week, month or quarter, why net revenue moved
(a waterfall), anomalies, the outlook, downloads (HTML, PDF, XLSX) and report schedules.

The report forecasts its outlook, so a period's first computation takes seconds: when it is not
in the per-load cache yet the page starts it as a job and shows its progress, then reloads.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from shopkeeper import accounts, finance, store
from shopkeeper.api.app import settings as server_settings
from shopkeeper.api.app import warehouse
from shopkeeper.api.routers.finance import REPORT_KIND, summary_job
from shopkeeper.api.routers.overview import has_orders
from shopkeeper.api.security import Principal, requires
from shopkeeper.web.render import page_lang, render

router = APIRouter(include_in_schema=False)
P = accounts.Permission
Wh = Annotated[store.Warehouse, Depends(warehouse)]
RECENT_REPORTS = 5
WEEKDAYS = range(7)


@router.get("/finance", response_class=HTMLResponse)
def finance_page(request: Request, wh: Wh,
                 settings: Annotated[store.Settings, Depends(server_settings)],
                 period: Literal["week", "month", "quarter"] = "month",
                 as_of: Annotated[dt.date | None, Query()] = None,
                 principal: Principal = requires(P.FINANCE_READ, web=True)) -> HTMLResponse:
    lang = page_lang(request, principal)
    server = request.app.state.server
    context = {"period": period, "as_of": as_of, "summary": None, "job": None, "charts": [],
               "empty": False, "schedules": finance.list_schedules(wh),
               "can_schedule": principal.may(P.SETTINGS_WRITE),
               "can_data": principal.may(P.DATA_READ), "weekdays": WEEKDAYS,
               "formats": finance.FORMATS,
               "recent": [j for j in server.jobs.list(kind=REPORT_KIND, limit=20)
                          if j.status in ("done", "running", "queued")][:RECENT_REPORTS]}
    if not has_orders(wh):
        context["empty"] = True
    else:
        summary = finance.report_summary(wh, period, lang=lang, as_of=as_of,
                                         report_currency=settings.report_currency,
                                         fx_rates=settings.fx_rates, wait=False)
        if summary is None:
            params = {"period": period, "lang": lang,
                      "as_of": as_of.isoformat() if as_of else None}
            context["job"] = summary_job(server, params, principal.actor)
        else:
            context["summary"] = summary
            context["charts"] = finance.report_charts(
                wh, period, lang=lang, as_of=as_of, report_currency=settings.report_currency,
                fx_rates=settings.fx_rates) or []
    return render(request, principal, "finance/index.html", title="nav.finance", **context)
