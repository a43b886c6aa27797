"""The replenishment plan as a team reviews it: lines filtered by supplier and ABC/XYZ class,
order quantities a person edits, lines or the whole plan approved, an export, excess stock,
and a SKU finder.

A stored plan's lines (``plan_lines``) never change. A person's decisions live beside them in
``plan_line_reviews``: the quantity they set (``order_qty``, replacing ``suggested_qty``) and
the line's status (``draft`` or ``approved``). A line without a decision is a draft of its
plan, or approved with it. When every line that orders something is approved, so is the plan.

Writes take an ``audit(target, before, after)`` callback, called inside the write's own
transaction, so a face records the change in its audit log and both stand or fall together
(this capability does not know the audit log).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel

from shopkeeper import metrics
from shopkeeper.inventory.plan import PlanError
from shopkeeper.store import Warehouse
from shopkeeper.store.exports import inert

Audit = Callable[[str, dict[str, Any], dict[str, Any]], None]
LineStatus = Literal["draft", "approved"]
MAX_QTY = 1e9
SORTS = {
    "order_value": "order_value DESC NULLS LAST, product_id",
    "order_qty": "order_qty DESC NULLS LAST, product_id",
    "product_id": "product_id",
    "supplier_id": "supplier_id NULLS LAST, product_id",
    "order_by": "order_by NULLS LAST, product_id",
    "days_of_cover": "days_of_cover NULLS LAST, product_id",
}


class PlanNotFoundError(PlanError, LookupError):
    """No such plan, or no plan at all yet."""


class PlanLineNotFoundError(PlanError, LookupError):
    """The plan has no line with that number."""


class PlanConflictError(PlanError):
    """The change does not fit the plan's state (an approved line or plan cannot be edited)."""


class PlanLine(BaseModel):
    """One SKU of a plan as it stands now: what the plan suggested, the quantity to order
    (a person's edit, else the suggestion), and whether it is approved."""

    plan_id: str
    line_no: int
    product_id: str
    title: str | None = None
    supplier_id: str | None = None
    abc: str | None = None
    xyz: str | None = None
    service_level: float | None = None
    on_hand: float | None = None
    on_order: float | None = None
    lead_time_days: float | None = None
    demand_per_day: float | None = None
    safety_stock: float | None = None
    reorder_point: float | None = None
    order_up_to: float | None = None
    suggested_qty: float
    order_qty: float
    unit_cost: float | None = None
    order_value: float
    currency: str | None = None
    order_by: dt.date | None = None
    days_of_cover: float | None = None
    expected_fill_rate: float | None = None
    note: str | None = None
    status: LineStatus
    edited: bool = False
    edited_by: str | None = None
    edited_at: dt.datetime | None = None
    approved_by: str | None = None
    approved_at: dt.datetime | None = None


class PlanSummary(BaseModel):
    """A plan: its state, how many lines order something, edited and approved lines, what it
    orders per currency (never added across currencies), its suppliers and excess stock."""

    plan_id: str
    created_at: dt.datetime | None
    status: str
    forecast_run_id: str | None
    currency: str | None
    approved_at: dt.datetime | None = None
    approved_by: str | None = None
    lines: int
    order_lines: int
    approved_lines: int
    edited_lines: int
    order_values: dict[str, float]
    suppliers: list[str]
    excess_lines: int
    params: dict[str, Any] = {}


class PlanLines(BaseModel):
    """A page of a plan's lines after the filters, and how many matched."""

    plan: PlanSummary
    total: int
    items: list[PlanLine]


class LineChange(BaseModel):
    """A line before and after an edit."""

    before: PlanLine
    after: PlanLine


class Approval(BaseModel):
    """What an approval did: the lines it approved, those that already were, and the plan's
    status before and after."""

    plan_id: str
    approved: list[int]
    already_approved: list[int]
    plan_status_before: str
    plan_status_after: str


class ExcessLine(BaseModel):
    product_id: str
    title: str | None = None
    on_hand: float | None = None
    unit_cost: float | None = None
    stock_value: float | None = None
    days_of_cover: float | None = None
    days_since_last_sale: float | None = None
    excess_units: float | None = None
    excess_value: float | None = None
    currency: str | None = None
    status: str
    suggestion: str | None = None


class ExcessStock(BaseModel):
    """A plan's dead and slow stock, largest excess value first; ``kept`` is False for a plan
    made before excess stock was stored (plan again to see it)."""

    plan_id: str
    kept: bool
    total: int
    dead: int
    slow: int
    excess_values: dict[str, float]
    items: list[ExcessLine]


class SkuMatch(BaseModel):
    product_id: str
    title: str | None = None
    category: str | None = None
    on_hand: float | None = None
    forecast: bool


class SkuMatches(BaseModel):
    total: int
    items: list[SkuMatch]


# -- reading -------------------------------------------------------------------------------
def _clean(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def resolve_plan(wh: Warehouse, plan_id: str | None = None) -> str:
    """``plan_id`` checked to exist, or the newest plan for None / ``"latest"``."""
    if plan_id in (None, "", "latest"):
        rows = wh.query("SELECT plan_id FROM replenishment_plans "
                        "ORDER BY created_at DESC, plan_id DESC LIMIT 1")
        if not rows:
            raise PlanNotFoundError("no plan yet: run a plan (shopkeeper plan, or the "
                                    "workspace's Demand & stock page)")
        return rows[0][0]
    if not wh.query("SELECT 1 FROM replenishment_plans WHERE plan_id = ?", [plan_id]):
        raise PlanNotFoundError(f"no plan {plan_id!r}")
    return plan_id


_LINES_SQL = """
WITH plan AS (SELECT * FROM replenishment_plans WHERE plan_id = ?),
numbered AS (
    SELECT row_number() OVER (ORDER BY product_id) AS line_no, *
    FROM plan_lines WHERE plan_id = ?),
titles AS (
    SELECT product_id, any_value(title) AS title FROM products
    WHERE product_id IN (SELECT product_id FROM numbered) GROUP BY 1),
sup AS (
    SELECT product_id, supplier_id, any_value(currency) AS currency FROM sku_suppliers
    GROUP BY ALL)
SELECT * FROM (
    SELECT n.plan_id, CAST(n.line_no AS INTEGER) AS line_no, n.product_id, t.title,
           n.supplier_id, n.abc, n.xyz, n.service_level, n.on_hand, n.on_order,
           n.lead_time_days, n.demand_per_day, n.safety_stock, n.reorder_point, n.order_up_to,
           coalesce(n.suggested_qty, 0) AS suggested_qty,
           coalesce(r.order_qty, n.suggested_qty, 0) AS order_qty, n.unit_cost,
           coalesce(r.order_qty, n.suggested_qty, 0) * coalesce(n.unit_cost, 0) AS order_value,
           coalesce(sup.currency, plan.currency) AS currency, n.order_by, n.days_of_cover,
           n.expected_fill_rate, n.note,
           coalesce(r.status, CASE WHEN plan.status = 'approved' THEN 'approved'
                                   ELSE 'draft' END) AS status,
           r.order_qty IS NOT NULL AS edited, r.edited_by, r.edited_at,
           coalesce(r.approved_by, CASE WHEN plan.status = 'approved'
                                        THEN plan.approved_by END) AS approved_by,
           coalesce(r.approved_at, CASE WHEN plan.status = 'approved'
                                        THEN plan.approved_at END) AS approved_at
    FROM numbered n CROSS JOIN plan
         LEFT JOIN plan_line_reviews r ON r.plan_id = n.plan_id AND r.product_id = n.product_id
         LEFT JOIN titles t ON t.product_id = n.product_id
         LEFT JOIN sup ON sup.product_id = n.product_id AND sup.supplier_id = n.supplier_id
) lines"""


def _classes(value: str | Sequence[str] | None) -> list[str]:
    items = value.split(",") if isinstance(value, str) else list(value or [])
    return [c.strip().upper() for c in items if c and c.strip()]


def _line_filters(supplier: str | None, abc: str | Sequence[str] | None,
                  xyz: str | Sequence[str] | None, status: str | None, orders_only: bool,
                  edited: bool | None, q: str | None) -> tuple[str, list[Any]]:
    where, params = [], []
    if supplier:
        where.append("supplier_id = ?")
        params.append(supplier)
    for column, value in (("abc", abc), ("xyz", xyz)):
        classes = _classes(value)
        if classes:
            where.append(f"{column} IN (SELECT unnest(?))")
            params.append(classes)
    if status:
        if status not in ("draft", "approved"):
            raise PlanError(f"status {status!r}: use draft or approved")
        where.append("status = ?")
        params.append(status)
    if orders_only:
        where.append("order_qty > 0")
    if edited is not None:
        where.append("edited = ?")
        params.append(bool(edited))
    if q:
        where.append("(contains(lower(product_id), lower(?)) OR "
                     "contains(lower(coalesce(title, '')), lower(?)))")
        params += [q, q]
    return (" WHERE " + " AND ".join(where)) if where else "", params


def _query_lines(wh: Warehouse, plan_id: str, where: str = "", params: Sequence[Any] = (),
                 tail: str = "", tail_params: Sequence[Any] = ()) -> list[PlanLine]:
    df = wh.query_df(_LINES_SQL + where + tail, [plan_id, plan_id, *params, *tail_params])
    return [PlanLine(**{k: _clean(v) for k, v in rec.items()})
            for rec in df.astype(object).where(df.notna(), None).to_dict("records")]


def _plan_stamp(wh: Warehouse, plan_id: str) -> str:
    """A text that changes whenever the plan's state or any of its reviewed lines does (every
    edit and approval stamps the line's time), so its lines can be cached per state."""
    row = wh.query(
        "SELECT p.status, epoch_us(p.approved_at), count(r.product_id), "
        "count(r.product_id) FILTER (WHERE r.status = 'approved'), sum(r.order_qty), "
        "epoch_us(max(greatest(coalesce(r.edited_at, r.approved_at), "
        "coalesce(r.approved_at, r.edited_at)))) "
        "FROM replenishment_plans p LEFT JOIN plan_line_reviews r USING (plan_id) "
        "WHERE p.plan_id = ? GROUP BY p.status, p.approved_at", [plan_id])
    return json.dumps([plan_id, *(row[0] if row else [])], default=str)


def plan_summary(wh: Warehouse, plan_id: str | None = None) -> PlanSummary:
    """The plan (the newest for None or ``"latest"``) and its totals as it stands now; computed
    once per state of the plan and data version (read-only: it is shared)."""
    plan_id = resolve_plan(wh, plan_id)
    return metrics.cached(wh, f"inventory.plan_summary:{_plan_stamp(wh, plan_id)}",
                          lambda: _plan_summary(wh, plan_id))


def _plan_summary(wh: Warehouse, plan_id: str) -> PlanSummary:
    created, status, run_id, currency, approved_at, approved_by, params = wh.query(
        "SELECT created_at, status, forecast_run_id, currency, approved_at, approved_by, "
        "params FROM replenishment_plans WHERE plan_id = ?", [plan_id])[0]
    counts = wh.query(
        "SELECT count(*), count(*) FILTER (WHERE order_qty > 0), "
        "count(*) FILTER (WHERE order_qty > 0 AND status = 'approved'), "
        "count(*) FILTER (WHERE edited), "
        "list(DISTINCT supplier_id ORDER BY supplier_id) FILTER (WHERE supplier_id IS NOT NULL) "
        "FROM (" + _LINES_SQL + ")", [plan_id, plan_id])[0]
    values = wh.query("SELECT coalesce(currency, ''), sum(order_value) FROM (" + _LINES_SQL
                      + ") WHERE order_qty > 0 GROUP BY 1 ORDER BY 1", [plan_id, plan_id])
    excess = wh.query("SELECT count(*) FROM plan_excess WHERE plan_id = ?", [plan_id])[0][0]
    return PlanSummary(
        plan_id=plan_id, created_at=created, status=status, forecast_run_id=run_id,
        currency=currency, approved_at=approved_at, approved_by=approved_by,
        lines=int(counts[0]), order_lines=int(counts[1]), approved_lines=int(counts[2]),
        edited_lines=int(counts[3]), order_values={str(c or currency or ""): float(v or 0)
                                                   for c, v in values},
        suppliers=[str(s) for s in counts[4] or []], excess_lines=int(excess),
        params=json.loads(params) if isinstance(params, str) else (params or {}))


def plans(wh: Warehouse, *, limit: int = 20, offset: int = 0) -> tuple[int, list[PlanSummary]]:
    """Stored plans, newest first: (how many in all, this page's summaries)."""
    total = int(wh.query("SELECT count(*) FROM replenishment_plans")[0][0])
    ids = wh.query("SELECT plan_id FROM replenishment_plans ORDER BY created_at DESC, "
                   "plan_id DESC LIMIT ? OFFSET ?", [int(limit), int(offset)])
    return total, [plan_summary(wh, r[0]) for r in ids]


def plan_lines(
    wh: Warehouse,
    plan_id: str | None = None,
    *,
    supplier: str | None = None,
    abc: str | Sequence[str] | None = None,
    xyz: str | Sequence[str] | None = None,
    status: str | None = None,
    orders_only: bool = False,
    edited: bool | None = None,
    q: str | None = None,
    sort: str = "order_value",
    limit: int | None = 100,
    offset: int = 0,
) -> PlanLines:
    """A plan's lines (the newest plan for None), filtered by supplier, ABC and XYZ class
    (one, or several as ``"A,B"``), status, lines that order something, edited lines and a
    SKU id or title substring; sorted by ``sort`` (one of :data:`SORTS`). Without ``q``,
    computed once per state of the plan and data version (read-only: it is shared); a search
    is not cached (so searches cannot crowd the cache)."""
    if sort not in SORTS:
        raise PlanError(f"sort {sort!r}: use one of {', '.join(SORTS)}")
    if q:
        return _plan_lines(wh, plan_id, supplier, abc, xyz, status, orders_only, edited, q,
                           sort, limit, offset)
    plan_id = resolve_plan(wh, plan_id)
    key = "inventory.plan_lines:" + json.dumps(
        [_plan_stamp(wh, plan_id), supplier, _classes(abc), _classes(xyz), status,
         bool(orders_only), edited, sort, limit, offset], default=str)
    return metrics.cached(wh, key, lambda: _plan_lines(
        wh, plan_id, supplier, abc, xyz, status, orders_only, edited, None, sort, limit, offset))


def _plan_lines(wh: Warehouse, plan_id: str | None, supplier: str | None,
                abc: str | Sequence[str] | None, xyz: str | Sequence[str] | None,
                status: str | None, orders_only: bool, edited: bool | None, q: str | None,
                sort: str, limit: int | None, offset: int) -> PlanLines:
    summary = plan_summary(wh, plan_id)
    where, params = _line_filters(supplier, abc, xyz, status, orders_only, edited, q)
    total = int(wh.query("SELECT count(*) FROM (" + _LINES_SQL + where + ")",
                         [summary.plan_id, summary.plan_id, *params])[0][0])
    tail, tail_params = f" ORDER BY {SORTS[sort]}", []
    if limit is not None:
        tail += " LIMIT ? OFFSET ?"
        tail_params = [int(limit), int(offset)]
    items = _query_lines(wh, summary.plan_id, where, params, tail, tail_params)
    return PlanLines(plan=summary, total=total, items=items)


def plan_line(wh: Warehouse, plan_id: str | None, line_no: int) -> PlanLine:
    """One line of a plan by its number (1… in SKU order)."""
    plan_id = resolve_plan(wh, plan_id)
    found = _query_lines(wh, plan_id, " WHERE line_no = ?", [int(line_no)])
    if not found:
        raise PlanLineNotFoundError(f"plan {plan_id} has no line {line_no}")
    return found[0]


# -- writing -------------------------------------------------------------------------------
def _audit_view(line: PlanLine) -> dict[str, Any]:
    return {"product_id": line.product_id, "order_qty": line.order_qty,
            "suggested_qty": line.suggested_qty, "order_value": line.order_value,
            "status": line.status}


def _plan_status(wh: Warehouse, plan_id: str) -> str:
    return wh.query("SELECT status FROM replenishment_plans WHERE plan_id = ?", [plan_id])[0][0]


def set_order_quantity(wh: Warehouse, plan_id: str | None, line_no: int, qty: float, *,
                       actor: str, audit: Audit | None = None) -> LineChange:
    """Set the quantity to order on a draft line of a draft plan (0 orders nothing); returns
    the line before and after. ``audit(target, before, after)`` runs in the same transaction."""
    try:
        qty = float(qty)
    except (TypeError, ValueError):
        raise PlanError(f"order quantity {qty!r} is not a number") from None
    if not math.isfinite(qty) or qty < 0 or qty > MAX_QTY:
        raise PlanError(f"order quantity must be between 0 and {MAX_QTY:,.0f}, got {qty}")
    if not actor:
        raise PlanError("an edit needs the name of who made it")
    plan_id = resolve_plan(wh, plan_id)
    with wh.transaction():
        before = plan_line(wh, plan_id, line_no)
        plan_status = _plan_status(wh, plan_id)
        if plan_status != "draft":
            raise PlanConflictError(f"plan {plan_id} is {plan_status}: its lines can no longer "
                                    "be edited")
        if before.status == "approved":
            raise PlanConflictError(f"line {line_no} ({before.product_id}) is already approved: "
                                    "it can no longer be edited")
        now = dt.datetime.now(dt.UTC)
        exists = wh.query("SELECT 1 FROM plan_line_reviews WHERE plan_id = ? AND product_id = ?",
                          [plan_id, before.product_id])
        if exists:
            wh.query("UPDATE plan_line_reviews SET order_qty = ?, edited_by = ?, edited_at = ? "
                     "WHERE plan_id = ? AND product_id = ?",
                     [qty, actor, now, plan_id, before.product_id])
        else:
            wh.query("INSERT INTO plan_line_reviews (plan_id, product_id, order_qty, status, "
                     "edited_by, edited_at) VALUES (?, ?, ?, 'draft', ?, ?)",
                     [plan_id, before.product_id, qty, actor, now])
        after = plan_line(wh, plan_id, line_no)
        if audit is not None:
            audit(f"plan:{plan_id}/line:{line_no}", _audit_view(before), _audit_view(after))
    return LineChange(before=before, after=after)


def approve_lines(wh: Warehouse, plan_id: str | None, line_nos: Sequence[int] | None, *,
                  actor: str, audit: Audit | None = None) -> Approval:
    """Approve some lines of a draft plan by number, or the whole plan with None. When every
    line that orders something is approved, the plan is approved too. ``audit(target, before,
    after)`` runs in the same transaction."""
    if not actor:
        raise PlanError("an approval needs the name of who gives it")
    plan_id = resolve_plan(wh, plan_id)
    wanted = None if line_nos is None else sorted({int(n) for n in line_nos})
    if wanted is not None and not wanted:
        raise PlanError("name the lines to approve, or approve the whole plan")
    with wh.transaction():
        status_before = _plan_status(wh, plan_id)
        if status_before != "draft":
            raise PlanConflictError(f"plan {plan_id} is {status_before}, not a draft")
        if wanted is None:
            lines = _query_lines(wh, plan_id)
        else:
            lines = _query_lines(wh, plan_id, " WHERE line_no IN (SELECT unnest(?))", [wanted])
            missing = sorted(set(wanted) - {line.line_no for line in lines})
            if missing:
                raise PlanLineNotFoundError(
                    f"plan {plan_id} has no line {', '.join(map(str, missing))}")
        now = dt.datetime.now(dt.UTC)
        todo = [line for line in lines if line.status != "approved"]
        done = [line.line_no for line in lines if line.status == "approved"]
        if todo:
            ids = [line.product_id for line in todo]
            existing = {r[0] for r in wh.query(
                "SELECT product_id FROM plan_line_reviews WHERE plan_id = ? "
                "AND product_id IN (SELECT unnest(?))", [plan_id, ids])}
            wh.query("UPDATE plan_line_reviews SET status = 'approved', approved_by = ?, "
                     "approved_at = ? WHERE plan_id = ? AND product_id IN (SELECT unnest(?))",
                     [actor, now, plan_id, sorted(existing)])
            new = [p for p in ids if p not in existing]
            if new:
                wh.query("INSERT INTO plan_line_reviews (plan_id, product_id, status, "
                         "approved_by, approved_at) SELECT ?, unnest(?), 'approved', ?, ?",
                         [plan_id, new, actor, now])
        left = wh.query("SELECT count(*) FROM (" + _LINES_SQL + ") WHERE order_qty > 0 "
                        "AND status <> 'approved'", [plan_id, plan_id])[0][0]
        status_after = status_before
        if wanted is None or left == 0:
            wh.query("UPDATE replenishment_plans SET status = 'approved', approved_at = ?, "
                     "approved_by = ? WHERE plan_id = ?", [now, actor, plan_id])
            status_after = "approved"
        result = Approval(plan_id=plan_id, approved=[line.line_no for line in todo],
                          already_approved=done, plan_status_before=status_before,
                          plan_status_after=status_after)
        if audit is not None:
            target = f"plan:{plan_id}" + ("" if wanted is None else
                                          "/lines:" + ",".join(map(str, wanted)))
            audit(target,
                  {"plan_status": status_before,
                   "lines": [_audit_view(line) for line in todo[:200]]},
                  {"plan_status": status_after, "approved_lines": len(todo),
                   "line_nos": result.approved[:500]})
    return result


# -- export --------------------------------------------------------------------------------
EXPORT_COLUMNS = ["line_no", "product_id", "title", "supplier_id", "abc", "xyz", "on_hand",
                  "on_order", "lead_time_days", "demand_per_day", "safety_stock",
                  "reorder_point", "order_up_to", "suggested_qty", "order_qty", "unit_cost",
                  "order_value", "currency", "order_by", "days_of_cover", "status", "edited_by",
                  "approved_by", "note"]


def export_plan(wh: Warehouse, plan_id: str | None, path: str | Path, **filters: Any) -> int:
    """Write the plan's lines as they stand (edited quantities, statuses), after the same
    filters as :func:`plan_lines`, to ``.csv`` or ``.xlsx`` (with its excess stock and
    summary sheets); returns the number of lines written. Text that looks like a formula
    is written inert."""
    path = Path(path)
    if path.suffix not in (".csv", ".xlsx"):
        raise PlanError(f"cannot export to {path.name}: use .csv or .xlsx")
    lines = plan_lines(wh, plan_id, limit=None, **filters)
    frame = pd.DataFrame([line.model_dump() for line in lines.items],
                         columns=list(PlanLine.model_fields))[EXPORT_COLUMNS]
    frame = frame.map(inert)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".csv":
        frame.to_csv(path, index=False, quoting=csv.QUOTE_MINIMAL, encoding="utf-8-sig")
        return len(frame)
    excess = excess_stock(wh, lines.plan.plan_id, limit=None)
    summary = lines.plan.model_dump(exclude={"params"})
    summary["order_values"] = json.dumps(summary["order_values"])
    summary["suppliers"] = ", ".join(summary["suppliers"])
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        frame.to_excel(xl, sheet_name="plan", index=False)
        pd.DataFrame([item.model_dump() for item in excess.items],
                     columns=list(ExcessLine.model_fields)).map(inert).to_excel(
            xl, sheet_name="excess stock", index=False)
        pd.DataFrame([(k, inert(str(v) if v is not None else "")) for k, v in summary.items()],
                     columns=["field", "value"]).to_excel(xl, sheet_name="summary", index=False)
    return len(frame)


# -- excess stock and the SKU finder ---------------------------------------------------------
def excess_stock(wh: Warehouse, plan_id: str | None = None, *, status: str | None = None,
                 q: str | None = None, limit: int | None = 100, offset: int = 0) -> ExcessStock:
    """The plan's dead and slow stock (the newest plan for None), filtered by ``status``
    (dead or slow) and a SKU id or title substring, largest excess value first. Without
    ``q``, computed once per plan and data version (a plan's excess is written once, with the
    plan; read-only: it is shared)."""
    plan_id = resolve_plan(wh, plan_id)
    if status not in (None, "", "dead", "slow"):
        raise PlanError(f"status {status!r}: use dead or slow")
    if q:
        return _excess_stock(wh, plan_id, status, q, limit, offset)
    key = "inventory.excess_stock:" + json.dumps([plan_id, status or None, limit, offset])
    return metrics.cached(wh, key, lambda: _excess_stock(wh, plan_id, status, None, limit,
                                                         offset))


def _excess_stock(wh: Warehouse, plan_id: str, status: str | None, q: str | None,
                  limit: int | None, offset: int) -> ExcessStock:
    where, params = ["e.plan_id = ?"], [plan_id]
    if status:
        where.append("e.status = ?")
        params.append(status)
    if q:
        where.append("(contains(lower(e.product_id), lower(?)) OR "
                     "contains(lower(coalesce(t.title, '')), lower(?)))")
        params += [q, q]
    base = ("FROM plan_excess e LEFT JOIN (SELECT product_id, any_value(title) AS title "
            "FROM products GROUP BY 1) t USING (product_id) WHERE " + " AND ".join(where))
    counts = wh.query(f"SELECT count(*), count(*) FILTER (WHERE e.status = 'dead'), "
                      f"count(*) FILTER (WHERE e.status = 'slow') {base}", params)[0]
    values = wh.query(f"SELECT coalesce(e.currency, ''), sum(e.excess_value) {base} "
                      "GROUP BY 1 ORDER BY 1", params)
    page = " LIMIT ? OFFSET ?" if limit is not None else ""
    df = wh.query_df(f"SELECT e.product_id, t.title, e.on_hand, e.unit_cost, e.stock_value, "
                     f"e.days_of_cover, e.days_since_last_sale, e.excess_units, e.excess_value, "
                     f"e.currency, e.status, e.suggestion {base} "
                     f"ORDER BY e.excess_value DESC NULLS LAST, e.product_id{page}",
                     [*params, *([int(limit), int(offset)] if limit is not None else [])])
    items = [ExcessLine(**{k: _clean(v) for k, v in rec.items()})
             for rec in df.astype(object).where(df.notna(), None).to_dict("records")]
    kept = bool(wh.query("SELECT 1 FROM plan_excess WHERE plan_id = ? LIMIT 1", [plan_id])
                ) or _made_after_excess(wh, plan_id)
    return ExcessStock(plan_id=plan_id, kept=kept, total=int(counts[0]), dead=int(counts[1]),
                       slow=int(counts[2]),
                       excess_values={str(c): float(v or 0) for c, v in values}, items=items)


def _made_after_excess(wh: Warehouse, plan_id: str) -> bool:
    """Whether the plan was made after its excess stock began to be stored (migration 8)."""
    rows = wh.query(
        "SELECT p.created_at >= m.applied_at FROM replenishment_plans p, _migrations m "
        "WHERE p.plan_id = ? AND m.name LIKE 'replenishment review:%'", [plan_id])
    return bool(rows and rows[0][0])


def find_skus(wh: Warehouse, query: str = "", *, limit: int = 20,
              offset: int = 0) -> SkuMatches:
    """Products whose id or title contains ``query`` (any case; no wildcards: the text is
    matched as written), exact ids first; with their stock on hand and whether a stored
    daily forecast holds them."""
    q = (query or "").strip()
    where, params = "", []
    if q:
        where = ("WHERE contains(lower(product_id), lower(?)) OR "
                 "contains(lower(coalesce(title, '')), lower(?))")
        params = [q, q]
    products = (f"SELECT product_id, any_value(title) AS title, any_value(category) AS category "
                f"FROM products {where} GROUP BY 1")
    total = int(wh.query(f"SELECT count(*) FROM ({products})", params)[0][0])
    rows = wh.query_df(
        f"""WITH m AS ({products}
                ORDER BY lower(product_id) = lower(?) DESC,
                         starts_with(lower(product_id), lower(?)) DESC, product_id
                LIMIT ? OFFSET ?),
            runs AS (SELECT run_id FROM forecast_runs WHERE kind IN ('forecast', 'chart')
                     AND level IN ('sku', 'hierarchy') AND freq = 'D'),
            stock AS (
                SELECT product_id, sum(on_hand) AS on_hand FROM (
                    SELECT product_id, location, arg_max(on_hand, snapshot_at) AS on_hand
                    FROM inventory_snapshots WHERE product_id IN (SELECT product_id FROM m)
                    GROUP BY ALL) GROUP BY 1)
            SELECT m.product_id, m.title, m.category, stock.on_hand,
                   m.product_id IN (SELECT DISTINCT unique_id FROM forecasts
                                    WHERE run_id IN (SELECT run_id FROM runs)
                                      AND unique_id IN (SELECT product_id FROM m)) AS forecast
            FROM m LEFT JOIN stock USING (product_id)
            ORDER BY lower(m.product_id) = lower(?) DESC,
                     starts_with(lower(m.product_id), lower(?)) DESC, m.product_id""",
        [*params, q, q, int(limit), int(offset), q, q])
    items = [SkuMatch(**{k: _clean(v) for k, v in rec.items()})
             for rec in rows.astype(object).where(rows.notna(), None).to_dict("records")]
    return SkuMatches(total=total, items=items)
