"""The overview's inventory part: SKUs about to stock out (cached per data version and plan),
and the latest draft plan's order lines waiting for approval (never cached).

Two sources for "about to stock out", the better one first:

* a stored replenishment plan (the latest one, draft or approved): a line whose stock covers
  fewer than ``days`` days of its forecast demand, or that orders now (``suggested_qty > 0``);
* without a plan, a coverage rule: available stock (``on_hand - reserved`` of the latest count of
  each location, at or before the day judged) against the units sold per day over the
  ``demand_days`` days before (units from the metrics layer); a SKU that sold and whose stock
  covers fewer than ``days`` days is flagged. SKUs that did not sell in that window, or were
  never counted, are not judged.
"""

from __future__ import annotations

import datetime as dt
import json
import math

import pandas as pd
from pydantic import BaseModel, ConfigDict

from shopkeeper import metrics
from shopkeeper.store import Warehouse

DEMAND_DAYS = 28


class StockoutAlert(BaseModel):
    """A SKU whose stock will not last: its stock, demand per day, days of cover, and, from a
    plan, whether to order now, how much and by when."""

    model_config = ConfigDict(frozen=True)  # cached and shared: read-only

    product_id: str
    title: str | None
    available: float  # on hand less reserved
    on_order: float
    demand_per_day: float | None
    days_of_cover: float | None  # available / demand per day
    reorder_now: bool  # a plan orders it now
    suggested_qty: float | None
    order_by: dt.date | None
    supplier_id: str | None


class StockoutAlerts(BaseModel):
    """The SKUs at risk, fewest days of cover first, and how they were found (``source``:
    ``plan`` or ``coverage``; see the module)."""

    model_config = ConfigDict(frozen=True)  # cached and shared: read-only

    source: str
    plan_id: str | None
    as_of: dt.date | None  # the day judged (a plan: its forecast's cutoff)
    days: int
    demand_days: int
    count: int
    items: list[StockoutAlert]


def _latest_plan(wh: Warehouse) -> tuple | None:
    rows = wh.query("SELECT plan_id, created_at FROM replenishment_plans "
                    "ORDER BY created_at DESC, plan_id DESC LIMIT 1")
    return rows[0] if rows else None


def _num(value: object) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(
        value)


def _from_plan(wh: Warehouse, plan_id: str, days: int, limit: int) -> StockoutAlerts:
    df = wh.query_df(
        """SELECT l.product_id, p.title, greatest(l.on_hand, 0) AS available,
                  coalesce(l.on_order, 0) AS on_order, l.demand_per_day, l.days_of_cover,
                  coalesce(l.suggested_qty, 0) > 0 AS reorder_now, l.suggested_qty,
                  l.order_by, l.supplier_id, f.cutoff
           FROM plan_lines l JOIN replenishment_plans r USING (plan_id)
                LEFT JOIN forecast_runs f ON f.run_id = r.forecast_run_id
                LEFT JOIN products p USING (product_id)
           WHERE l.plan_id = ? AND (l.days_of_cover < ? OR coalesce(l.suggested_qty, 0) > 0)
           ORDER BY l.days_of_cover NULLS LAST, l.product_id""", [plan_id, days])
    # the plan judged the stock as of its forecast's cutoff (the last day of history)
    cutoff = df["cutoff"].dropna() if len(df) else pd.Series(dtype=object)
    as_of = pd.Timestamp(cutoff.iloc[0]).date() if len(cutoff) else None
    return StockoutAlerts(source="plan", plan_id=plan_id, as_of=as_of, days=days,
                          demand_days=0, count=len(df), items=_items(df.head(limit)))


def _items(df: pd.DataFrame) -> list[StockoutAlert]:
    out = []
    for r in df.to_dict("records"):
        order_by = r.get("order_by")
        out.append(StockoutAlert(
            product_id=str(r["product_id"]),
            title=r["title"] if isinstance(r.get("title"), str) else None,
            available=float(r["available"]), on_order=float(r["on_order"] or 0),
            demand_per_day=_num(r["demand_per_day"]), days_of_cover=_num(r["days_of_cover"]),
            reorder_now=bool(r["reorder_now"]), suggested_qty=_num(r.get("suggested_qty")),
            order_by=None if order_by is None or pd.isna(order_by)
            else pd.Timestamp(order_by).date(),
            supplier_id=r["supplier_id"] if isinstance(r.get("supplier_id"), str) else None))
    return out


def _from_coverage(wh: Warehouse, days: int, as_of: dt.date | None, demand_days: int,
                   limit: int) -> StockoutAlerts:
    if as_of is None:  # the last day with sales: the demand window ends there
        last = wh.query("SELECT max(CAST(ordered_at AS DATE)) FROM orders")[0][0]
        as_of = last
    if as_of is None:
        return StockoutAlerts(source="coverage", plan_id=None, as_of=None, days=days,
                              demand_days=demand_days, count=0, items=[])
    start = as_of - dt.timedelta(days=demand_days - 1)
    units = metrics.query(wh, "units", by="sku", start=start, end=as_of).df
    if "currency" in units:  # a store in several currencies: units of every currency count
        units = units.groupby("sku", as_index=False)["units"].sum()
    units = units[units["units"] > 0]
    stock = wh.query_df(
        """WITH counts AS (
               SELECT product_id, location, arg_max(on_hand, snapshot_at) AS on_hand,
                      arg_max(coalesce(on_order, 0), snapshot_at) AS on_order,
                      arg_max(coalesce(reserved, 0), snapshot_at) AS reserved
               FROM inventory_snapshots WHERE CAST(snapshot_at AS DATE) <= CAST(? AS DATE)
               GROUP BY ALL)
           SELECT c.product_id, any_value(p.title) AS title,
                  greatest(sum(c.on_hand) - sum(c.reserved), 0) AS available,
                  sum(c.on_order) AS on_order
           FROM counts c LEFT JOIN products p USING (product_id) GROUP BY 1""", [str(as_of)])
    df = stock.merge(units.rename(columns={"sku": "product_id"}), on="product_id")
    df["demand_per_day"] = df["units"].astype(float) / demand_days
    df["days_of_cover"] = df["available"].astype(float) / df["demand_per_day"]
    df = df[df["days_of_cover"] < days].sort_values(["days_of_cover", "product_id"])
    df = df.assign(reorder_now=False, suggested_qty=None, order_by=None, supplier_id=None)
    return StockoutAlerts(source="coverage", plan_id=None, as_of=as_of, days=days,
                          demand_days=demand_days, count=len(df), items=_items(df.head(limit)))


def stockout_alerts(wh: Warehouse, days: int = 14, *, as_of: dt.date | str | None = None,
                    demand_days: int = DEMAND_DAYS, limit: int = 20) -> StockoutAlerts:
    """SKUs whose stock covers fewer than ``days`` days of demand, or that the latest plan
    orders now; at most ``limit`` listed, fewest days of cover first (see the module for the
    two rules). ``as_of`` and ``demand_days`` apply to the coverage rule only. Computed once
    per data version and plan."""
    if days < 1 or demand_days < 1:
        raise metrics.MetricError("days and demand_days must be 1 or more")
    day = pd.Timestamp(str(as_of)).date() if as_of is not None else None
    plan = _latest_plan(wh)
    key = "inventory.stockout_alerts:" + json.dumps(
        [days, str(day), demand_days, limit, plan and [plan[0], str(plan[1])]])
    if plan is not None:
        return metrics.cached(wh, key, lambda: _from_plan(wh, plan[0], days, limit))
    return metrics.cached(wh, key, lambda: _from_coverage(wh, days, day, demand_days, limit))


class PendingPlanLine(BaseModel):
    """An order line of a draft plan: what to buy, from whom, by when, for how much."""

    product_id: str
    supplier_id: str | None
    suggested_qty: float
    order_value: float | None
    order_by: dt.date | None


class PendingPlanLines(BaseModel):
    """The latest draft plan's order lines (a plan is approved as a whole, not line by line):
    the plan, how many lines order something, their value per currency, the largest
    ``limit`` lines, and how many older draft plans there are."""

    plan_id: str | None
    created_at: dt.datetime | None
    currency: str | None
    count: int
    order_values: dict[str, float]
    older_drafts: int
    items: list[PendingPlanLine]


def pending_plan_lines(wh: Warehouse, limit: int = 5) -> PendingPlanLines:
    """The order lines of the latest plan still in ``draft`` (approve it with
    :func:`approve_plan`). Not cached."""
    drafts = wh.query("SELECT plan_id, created_at, currency FROM replenishment_plans "
                      "WHERE status = 'draft' ORDER BY created_at DESC, plan_id DESC")
    if not drafts:
        return PendingPlanLines(plan_id=None, created_at=None, currency=None, count=0,
                                order_values={}, older_drafts=0, items=[])
    plan_id, created_at, currency = drafts[0]
    values = wh.query(
        "SELECT coalesce(l.currency, ?), count(*), sum(l.order_value) FROM "
        "(SELECT pl.*, s.currency FROM plan_lines pl LEFT JOIN (SELECT product_id, supplier_id, "
        "any_value(currency) AS currency FROM sku_suppliers GROUP BY ALL) s "
        "USING (product_id, supplier_id) WHERE pl.plan_id = ? AND pl.suggested_qty > 0) l "
        "GROUP BY 1", [currency, plan_id])
    rows = wh.query(
        "SELECT product_id, supplier_id, suggested_qty, order_value, order_by FROM plan_lines "
        "WHERE plan_id = ? AND suggested_qty > 0 "
        "ORDER BY order_value DESC NULLS LAST, product_id LIMIT ?", [plan_id, int(limit)])
    keys = ("product_id", "supplier_id", "suggested_qty", "order_value", "order_by")
    return PendingPlanLines(
        plan_id=plan_id, created_at=created_at, currency=currency,
        count=sum(int(v[1]) for v in values),
        order_values={str(v[0]): float(v[2] or 0) for v in values},
        older_drafts=len(drafts) - 1,
        items=[PendingPlanLine(**dict(zip(keys, r, strict=True))) for r in rows])
