"""The overview: KPI tiles against the period before and a year ago, alerts, and what waits for
the caller's approval.

Everything that reads loaded data comes from the capabilities' cached functions (computed once
per load, see ``metrics.cached``); the waiting-for-you lists read drafts and are small queries.
A list is shown only to a role that may act on it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel

from shopkeeper import accounts, content, finance, inventory, metrics, reviews, service, store
from shopkeeper.api.app import settings as server_settings
from shopkeeper.api.app import warehouse
from shopkeeper.api.security import Principal, requires

router = APIRouter(tags=["overview"])
P = accounts.Permission
Wh = Annotated[store.Warehouse, Depends(warehouse)]
TilePeriod = Literal["day", "week", "month", "quarter"]
WAITING_ITEMS = 5


class Waiting(BaseModel):
    """Drafts waiting for the caller's approval; a list is None when their role cannot act on
    it."""

    content_drafts: content.PendingDrafts | None = None
    review_replies: reviews.PendingReplies | None = None
    plan_lines: inventory.PendingPlanLines | None = None
    handoffs: service.OpenHandoffs | None = None
    returns: service.PendingReturns | None = None

    @property
    def total(self) -> int:
        return sum(x.count for x in (self.content_drafts, self.review_replies, self.plan_lines,
                                     self.handoffs, self.returns) if x is not None)


class Overview(BaseModel):
    """The overview page's data. ``tiles`` and ``anomalies`` are None when no orders are
    loaded (``empty``)."""

    empty: bool
    tiles: finance.KpiTiles | None
    anomalies: finance.RecentAnomalies | None
    review_alerts: reviews.ReviewAlerts | None
    stockouts: inventory.StockoutAlerts | None
    waiting: Waiting


def has_orders(wh: store.Warehouse) -> bool:
    """Whether any order is loaded: one cached look per load."""
    return metrics.cached(wh, "overview.has_orders", lambda: bool(
        wh.query("SELECT EXISTS (SELECT 1 FROM orders)")[0][0]))


def overview_data(wh: store.Warehouse, settings: store.Settings, principal: Principal,
                  period: str = "month") -> Overview:
    """What the overview shows this caller (the API and the web page share it); one data
    version check for all its cached parts."""
    with metrics.one_version(wh):
        return _overview(wh, settings, principal, period)


def _overview(wh: store.Warehouse, settings: store.Settings, principal: Principal,
              period: str) -> Overview:
    may = principal.may
    waiting = Waiting(
        content_drafts=content.pending_drafts(wh, WAITING_ITEMS)
        if may(P.CONTENT_WRITE) else None,
        review_replies=reviews.pending_replies(wh, WAITING_ITEMS)
        if may(P.REVIEWS_APPROVE) else None,
        plan_lines=inventory.pending_plan_lines(wh, WAITING_ITEMS)
        if may(P.STOCK_APPROVE) else None,
        handoffs=service.open_handoffs(wh, WAITING_ITEMS) if may(P.SERVICE_REPLY) else None,
        returns=service.pending_returns(wh, WAITING_ITEMS) if may(P.SERVICE_APPROVE) else None)
    if not has_orders(wh):
        return Overview(empty=True, tiles=None, anomalies=None, review_alerts=None,
                        stockouts=None, waiting=waiting)
    money = {"report_currency": settings.report_currency, "fx_rates": settings.fx_rates}
    return Overview(
        empty=False,
        tiles=finance.kpi_tiles(wh, period=period, **money),
        anomalies=finance.recent_anomalies(wh, **money),
        review_alerts=reviews.recent_alerts(wh) if may(P.REVIEWS_READ) else None,
        stockouts=inventory.stockout_alerts(wh) if may(P.STOCK_READ) else None,
        waiting=waiting)


@router.get("/overview", summary="KPI tiles, alerts and what waits for approval",
            response_model=Overview)
def overview(wh: Wh, settings: Annotated[store.Settings, Depends(server_settings)],
             period: TilePeriod = "month",
             principal: Principal = requires(P.OVERVIEW_READ)) -> Response:
    """Net revenue, orders, AOV, gross margin and refund rate for the last complete period
    against the one before and a year ago, with 12-period sparklines; anomalous days of the
    last week, review alerts and SKUs about to stock out; drafts waiting for the caller.
    Computed once per load; every later request is served from the cache."""
    data = overview_data(wh, settings, principal, period)
    # already validated models: serialise them directly (FastAPI would validate them again)
    return Response(data.model_dump_json(), media_type="application/json")
