"""Replenishment plan: from the latest demand forecast to a draft purchase list per SKU.

Per SKU the plan is a periodic-review (R, s, S) policy:

* protection interval ``P = L + R`` (supplier lead time plus review period, in days);
* ``safety stock = z·√(P σ_d² + d² σ_L²)``, with ``d`` the forecast daily demand, ``σ_d`` the
  chosen model's backtest RMSE and ``z`` from the SKU class's service level (ABC/XYZ) or from
  a fill-rate target;
* reorder point ``s`` = forecast demand over ``P`` + safety stock;
* order-up-to ``S = s + max(EOQ − d·R, 0)``, so an ordering cost lengthens the cycle as EOQ says;
* at the review, if the inventory position (on hand − reserved + on order) is at or below ``s``,
  order ``S − position``, raised to the supplier's MOQ and rounded up to its case pack.

A budget cap spends the money where the expected shortage cost saved per unit of money is
largest. The plan is a draft: nothing is ordered until a person approves it.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.stats import norm

from shopkeeper import forecast
from shopkeeper.errors import ShopkeeperError
from shopkeeper.inventory import policies
from shopkeeper.inventory.simulate import PolicyParams, simulate
from shopkeeper.store import Warehouse
from shopkeeper.store.exports import inert_frame

ORDER_BY_MAX_DAYS = 3650  # ten years

DEFAULT_SERVICE_LEVELS = {"A": 0.98, "B": 0.95, "C": 0.90}


class PlanError(ShopkeeperError):
    """The plan cannot be made (no forecast, no such plan, bad settings)."""


@dataclass(frozen=True)
class PlanSettings:
    """How to plan. Service levels are keyed by ABC class ("A") or ABC×XYZ class ("AZ")."""

    review_days: float = 7.0
    service_levels: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_SERVICE_LEVELS))
    fill_rate_target: float | None = None
    holding_rate: float = 0.25
    ordering_cost: float = 0.0
    shortage_cost_ratio: float = 0.5
    budget: float | None = None
    excess_days: float = 180.0
    dead_days: int = 90
    default_lead_time_days: float | None = None


@dataclass
class Plan:
    """A replenishment plan: one line per SKU, the excess-stock list and the settings used."""

    plan_id: str
    forecast_run_id: str
    created_on: dt.date
    currency: str
    lines: pd.DataFrame
    excess: pd.DataFrame
    settings: PlanSettings
    gaps: list[str] = field(default_factory=list)  # missing inputs, and how to load them

    @property
    def orders(self) -> pd.DataFrame:
        """Only the lines that order something now."""
        return self.lines[self.lines["suggested_qty"] > 0]

    @property
    def order_value(self) -> float:
        """What the plan orders, in ``currency`` (lines in other currencies: ``order_values``)."""
        return self.order_values.get(self.currency, 0.0)

    @property
    def order_values(self) -> dict[str, float]:
        """What the plan orders per currency of the suppliers' costs: never added together."""
        by = self.lines.groupby(self.lines["currency"].fillna(self.currency))["order_value"].sum()
        return {str(c): float(v) for c, v in by.items()} or {self.currency: 0.0}

    @property
    def excess_values(self) -> dict[str, float]:
        """Stock value tied up in excess per currency of the suppliers' costs."""
        by = self.excess.groupby(self.excess["currency"].fillna(self.currency))["excess_value"].sum()
        return {str(c): float(v) for c, v in by.items()}

    def export(self, path: str) -> str:
        """Write the plan to CSV (lines only) or XLSX (plan, excess stock, settings)."""
        if path.endswith(".xlsx"):
            with pd.ExcelWriter(path, engine="openpyxl") as xl:
                inert_frame(self.lines).to_excel(xl, sheet_name="plan", index=False)
                inert_frame(self.excess).to_excel(xl, sheet_name="excess stock", index=False)
                inert_frame(pd.DataFrame(
                    [(k, json.dumps(v)) for k, v in asdict(self.settings).items()],
                    columns=["setting", "value"],
                )).to_excel(xl, sheet_name="settings", index=False)
        elif path.endswith(".csv"):
            inert_frame(self.lines).to_csv(path, index=False)
        else:
            raise PlanError(f"cannot export to {path}: use a .csv or .xlsx file name")
        return path


def make_plan(
    warehouse: Warehouse,
    settings: PlanSettings | None = None,
    *,
    run_id: str | None = None,
    save: bool = True,
    engine: str = "local",
    source: str | None = None,
) -> Plan:
    """Build a draft replenishment plan from the latest daily SKU forecast (or ``run_id``).

    ``engine="spark"`` reads the store with Spark SQL (from ``warehouse``, or from the
    Parquet/Delta folder ``source`` with the forecast run from ``warehouse``) and computes the
    SKUs' levels in grouped pandas UDFs with the same functions (see
    :mod:`shopkeeper.inventory.spark`); the plan is the same, and is stored in ``warehouse``.
    """
    settings = settings or PlanSettings()
    _check(settings)
    if engine not in ("local", "spark"):
        raise PlanError(f"unknown engine {engine!r}; choose local or spark")
    if source is not None and engine != "spark":
        raise PlanError("a source folder of tables is read with Spark: add engine='spark' "
                        "(--engine spark)")
    run_id = run_id or forecast.latest_run_id(warehouse, level="sku", freq="D")
    cutoff = warehouse.query("SELECT cutoff FROM forecast_runs WHERE run_id = ?", [run_id])
    if not cutoff:
        raise PlanError(f"no forecast run {run_id!r}")
    today = cutoff[0][0]
    if engine == "spark":
        from shopkeeper.inventory.spark import plan_lines_on_spark

        sku, lines, currency = plan_lines_on_spark(warehouse, run_id, today, settings,
                                                   source=source)
    else:
        sku = _sku_facts(warehouse, run_id, today, settings)
        if sku.empty:
            raise PlanError(f"forecast run {run_id} has no SKUs to plan")
        lines = sku_plan_lines(sku, settings, today)
        currency = plan_currency(warehouse)
    currencies = sorted(lines["currency"].dropna().unique())
    if settings.budget is not None:
        if len(currencies) > 1:
            raise PlanError(f"a budget cap needs costs in one currency; the suppliers quote in "
                            f"{', '.join(currencies)}: plan without --budget, or load the "
                            "costs in one currency")
        lines = _apply_budget(lines, settings.budget)
    plan = Plan(uuid.uuid4().hex[:12], run_id, today, currency, lines,
                _excess(sku, lines, settings, today), settings,
                _gaps(sku, lines, currencies))
    if save:
        save_plan(warehouse, plan)
    return plan


def _check(settings: PlanSettings) -> None:
    for key, level in settings.service_levels.items():
        if not 0 < level < 1:
            raise PlanError(f"service level for class {key} must be between 0 and 1, got {level}")
    if settings.fill_rate_target is not None and not 0 < settings.fill_rate_target < 1:
        raise PlanError(f"fill-rate target must be between 0 and 1, got {settings.fill_rate_target}")
    if settings.review_days <= 0:
        raise PlanError(f"review period must be positive, got {settings.review_days} days")
    if settings.budget is not None and settings.budget < 0:
        raise PlanError(f"budget must be zero or more, got {settings.budget}")


_HOW_TO_LOAD = "with 'shopkeeper ingest' (see docs/inventory.md)"
NO_SUPPLIERS = ("no suppliers loaded: no SKU has a supplier with a lead time, so nothing can be "
                "ordered; load sku_suppliers (product_id, supplier_id, unit_cost, "
                f"lead_time_days) {_HOW_TO_LOAD}")
NO_STOCK = ("no stock levels loaded: stock is taken as 0 for every SKU; load a stock snapshot "
            f"(inventory_snapshots: product_id, location, snapshot_at, on_hand) {_HOW_TO_LOAD}")


def _gaps(sku: pd.DataFrame, lines: pd.DataFrame, currencies: list[str]) -> list[str]:
    """What the plan is missing, said once for the whole plan, with how to load it: a plan
    that orders nothing for want of suppliers must not look like a plan with nothing to
    order."""
    gaps = []
    plannable = lines["supplier_id"].notna() & sku["lead_time_days"].notna()
    if not plannable.any():
        gaps.append(NO_SUPPLIERS)
    elif not plannable.all():
        gaps.append(f"{int((~plannable).sum()):,} of {len(lines):,} SKUs have no supplier or "
                    "lead time and are not planned (e.g. "
                    f"{', '.join(map(str, lines.loc[~plannable, 'product_id'].head(3)))}); "
                    f"add them to sku_suppliers {_HOW_TO_LOAD}")
    counted = sku["counted"].astype(bool)
    if not counted.any():
        gaps.append(NO_STOCK)
    elif not counted.all():
        gaps.append(f"{int((~counted).sum()):,} of {len(lines):,} SKUs have no stock count "
                    "and are taken as 0 (e.g. "
                    f"{', '.join(map(str, lines.loc[~counted, 'product_id'].head(3)))}); add "
                    f"them to the stock snapshot {_HOW_TO_LOAD}")
    if len(currencies) > 1:
        gaps.append(f"the suppliers quote in {', '.join(currencies)}: each line's order value is "
                    "in its own currency (the currency column), and totals are given per "
                    "currency, never added together")
    return gaps


def plan_currency(warehouse: Warehouse) -> str:
    """The currency most supplier costs are quoted in (the plan's headline currency)."""
    row = warehouse.query(
        "SELECT currency FROM sku_suppliers GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
    )
    return row[0][0] if row else ""


def _sku_facts(
    warehouse: Warehouse, run_id: str, today: dt.date, settings: PlanSettings
) -> pd.DataFrame:
    """One row per forecast SKU: forecast rate, error, stock, supplier, prices, classes."""
    return classify_skus(warehouse.query_df(*sku_facts_query(run_id, today)), settings)


def classify_skus(facts: pd.DataFrame, settings: PlanSettings) -> pd.DataFrame:
    """ABC (by revenue over all the SKUs) and XYZ classes, and the default lead time."""
    if settings.default_lead_time_days is not None:
        facts["lead_time_days"] = facts["lead_time_days"].fillna(settings.default_lead_time_days)
    facts["abc"] = abc_classes(facts["revenue_365d"])
    facts["xyz"] = np.select([facts["weekly_cv"] < 0.5, facts["weekly_cv"] < 1.0], ["X", "Y"], "Z")
    return facts


def sku_facts_query(run_id: str, today: dt.date) -> tuple[str, list]:
    """The statement (and its parameters) for one row per forecast SKU, in product order."""
    return (
        """
        WITH fc AS (
            SELECT unique_id AS product_id, list(yhat ORDER BY ds) AS path, avg(yhat) AS daily
            FROM forecasts WHERE run_id = ? GROUP BY 1),
        err AS (
            SELECT c.unique_id AS product_id, c.model, c.demand_class, s.rmse
            FROM model_choices c LEFT JOIN backtest_scores s
              ON s.run_id = c.run_id AND s.unique_id = c.unique_id AND s.model = c.model
            WHERE c.run_id = ?),
        counts AS (
            SELECT product_id, location, arg_max(on_hand, snapshot_at) AS on_hand,
                   arg_max(coalesce(on_order, 0), snapshot_at) AS on_order,
                   arg_max(coalesce(reserved, 0), snapshot_at) AS reserved
            FROM inventory_snapshots WHERE CAST(snapshot_at AS DATE) <= CAST(? AS DATE)
            GROUP BY ALL),
        stock AS (
            SELECT product_id, sum(on_hand) AS on_hand, sum(on_order) AS on_order,
                   sum(reserved) AS reserved FROM counts GROUP BY 1),
        supplier AS (  -- the primary supplier, else the cheapest (ties: the lowest id)
            SELECT * FROM (
                SELECT product_id, supplier_id, unit_cost, lead_time_days, lead_time_std_days,
                       moq, order_multiple, currency,
                       row_number() OVER (PARTITION BY product_id ORDER BY
                           NOT coalesce(is_primary, false), unit_cost NULLS LAST, supplier_id)
                           AS pick
                FROM sku_suppliers) ranked
            WHERE pick = 1),
        sales AS (
            SELECT l.product_id, sum(l.line_amount) AS revenue_365d,
                   max(CAST(o.ordered_at AS DATE)) AS last_sale
            FROM order_lines l JOIN orders o USING (order_id)
            WHERE CAST(o.ordered_at AS DATE) > CAST(? AS DATE) - INTERVAL 365 DAY
              AND CAST(o.ordered_at AS DATE) <= CAST(? AS DATE)
              AND coalesce(o.status, '') <> 'cancelled'
            GROUP BY 1),
        weekly AS (
            SELECT l.product_id, date_trunc('week', o.ordered_at) AS wk, sum(l.quantity) AS q
            FROM order_lines l JOIN orders o USING (order_id)
            WHERE CAST(o.ordered_at AS DATE) > CAST(? AS DATE) - INTERVAL 182 DAY
              AND CAST(o.ordered_at AS DATE) <= CAST(? AS DATE)
              AND coalesce(o.status, '') <> 'cancelled'
            GROUP BY ALL),
        xyz AS (
            SELECT product_id, sqrt(sum(q * q) / 26 - pow(sum(q) / 26, 2)) / (sum(q) / 26) AS cv
            FROM weekly GROUP BY 1)
        SELECT fc.product_id, p.title, p.category, CAST(p.price AS DOUBLE) AS price,
               fc.daily, fc.path, err.model, err.demand_class, err.rmse,
               coalesce(stock.on_hand, 0) AS on_hand, coalesce(stock.on_order, 0) AS on_order,
               coalesce(stock.reserved, 0) AS reserved, stock.product_id IS NOT NULL AS counted,
               supplier.supplier_id,
               CAST(coalesce(supplier.unit_cost, p.unit_cost) AS DOUBLE) AS unit_cost,
               CASE WHEN supplier.unit_cost IS NOT NULL THEN supplier.currency
                    WHEN p.unit_cost IS NOT NULL THEN p.currency END AS cost_currency,
               supplier.lead_time_days AS lead_time_days,
               coalesce(supplier.lead_time_std_days, 0) AS lead_time_std_days,
               coalesce(supplier.moq, 1) AS moq,
               coalesce(supplier.order_multiple, 1) AS order_multiple,
               coalesce(sales.revenue_365d, 0) AS revenue_365d, sales.last_sale,
               coalesce(xyz.cv, 99) AS weekly_cv
        FROM fc LEFT JOIN err USING (product_id) LEFT JOIN products p USING (product_id)
             LEFT JOIN stock USING (product_id) LEFT JOIN supplier USING (product_id)
             LEFT JOIN sales USING (product_id) LEFT JOIN xyz USING (product_id)
        ORDER BY fc.product_id""",
        [run_id, run_id, str(today), str(today), str(today), str(today), str(today)],
    )


def abc_classes(value: pd.Series, a: float = 0.8, b: float = 0.95) -> pd.Series:
    """ABC by cumulative share of ``value``: the items making the first 80% are A, to 95% B."""
    order = value.sort_values(ascending=False)
    total = order.sum()
    if total <= 0:
        return pd.Series("C", index=value.index)
    share = order.cumsum().shift(fill_value=0) / total
    cls = pd.Series(np.select([share < a, share < b], ["A", "B"], "C"), index=order.index)
    return cls.reindex(value.index)


def _service_level(abc: pd.Series, xyz: pd.Series, levels: dict[str, float]) -> pd.Series:
    base = abc.map(lambda c: levels.get(c, DEFAULT_SERVICE_LEVELS.get(c, 0.9)))
    pair = (abc + xyz).map(levels)
    return pair.fillna(base).astype(float)


def policy_levels(
    paths: Sequence[np.ndarray],
    sigma_daily: ArrayLike,
    lead_time_days: ArrayLike,
    review_days: float,
    service_level: ArrayLike,
    *,
    lead_time_std_days: ArrayLike = 0.0,
    fill_rate_target: float | None = None,
    ordering_cost: float = 0.0,
    holding_per_year: ArrayLike = 0.0,
) -> pd.DataFrame:
    """The (R, s, S) levels of each SKU from its daily forecast path (see the module doc).

    ``sigma_daily`` is the one-day forecast error (the backtest RMSE). Returns per SKU:
    ``demand_per_day, forecast_protection, sigma_protection, safety_stock, reorder_point,
    order_up_to, lot`` (the typical order size: EOQ, or a review period's demand).
    """
    lead = np.asarray(lead_time_days, dtype=float)
    span = lead + review_days
    d = np.array([float(np.mean(p)) if len(p) else 0.0 for p in paths]).clip(min=0)
    span = np.broadcast_to(span, d.shape)
    protection = np.array([_sum_days(p, t) for p, t in zip(paths, span, strict=True)])
    sigma_d = np.asarray(sigma_daily, dtype=float)
    sigma_p = np.sqrt(span * sigma_d**2 + d**2 * np.asarray(lead_time_std_days, dtype=float) ** 2)
    holding = np.broadcast_to(np.asarray(holding_per_year, dtype=float), d.shape)
    cycle_q = d * review_days
    eoq_q = cycle_q
    if ordering_cost > 0:
        ok = (holding > 0) & (d > 0)
        eoq_q = np.where(ok, np.sqrt(2 * ordering_cost * d * 365 / np.where(ok, holding, 1)),
                         cycle_q)
    lot = np.maximum(eoq_q, cycle_q)
    if fill_rate_target is not None:
        z = np.asarray(policies.safety_factor_for_fill_rate(
            fill_rate_target, np.maximum(lot, 1e-6), sigma_p))
    else:
        z = norm.ppf(np.asarray(service_level, dtype=float))
    safety = z * sigma_p
    reorder = protection + safety
    return pd.DataFrame({
        "demand_per_day": d, "forecast_protection": protection, "sigma_protection": sigma_p,
        "safety_stock": safety, "reorder_point": reorder,
        "order_up_to": reorder + np.maximum(eoq_q - cycle_q, 0), "lot": lot,
    })


def sku_plan_lines(sku: pd.DataFrame, s: PlanSettings, today: dt.date) -> pd.DataFrame:
    """Each SKU's levels, quantity and note; row by row, so any split of the SKUs gives the
    same lines."""
    lead = sku["lead_time_days"].astype(float)
    plannable = lead.notna() & sku["supplier_id"].notna()
    lead = lead.fillna(0.0)
    review = s.review_days
    paths = [np.asarray(p if p is not None else [], dtype=float) for p in sku["path"]]
    d_mean = sku["daily"].fillna(0.0).clip(lower=0)
    # backtest RMSE is the one-day forecast error; fall back to Poisson noise
    sigma_d = sku["rmse"].where(sku["rmse"].notna(), np.sqrt(d_mean)).astype(float)
    service = _service_level(sku["abc"], sku["xyz"], s.service_levels)
    unit_cost = sku["unit_cost"].astype(float)
    levels = policy_levels(
        paths, sigma_d.to_numpy(), lead.to_numpy(), review, service.to_numpy(),
        lead_time_std_days=sku["lead_time_std_days"].astype(float).to_numpy(),
        fill_rate_target=s.fill_rate_target, ordering_cost=s.ordering_cost,
        holding_per_year=(s.holding_rate * unit_cost.fillna(0.0)).to_numpy(),
    )
    d = levels["demand_per_day"].to_numpy()
    protection = levels["forecast_protection"].to_numpy()
    sigma_p = levels["sigma_protection"].to_numpy()
    safety = levels["safety_stock"].to_numpy()
    reorder = levels["reorder_point"].to_numpy()
    up_to = levels["order_up_to"].to_numpy()
    lot = levels["lot"].to_numpy()
    position = sku["on_hand"] - sku["reserved"] + sku["on_order"]
    need = np.where(position <= reorder, up_to - position, 0.0)
    # a SKU too young to backtest gets levels but no automatic quantity: a person decides
    young = (sku["model"] == forecast.SHORT_HISTORY_MODEL).to_numpy()
    raw = np.where(plannable & ~young, need, 0.0)
    moq = sku["moq"].astype(float).clip(lower=1)
    pack = sku["order_multiple"].astype(float).clip(lower=1)
    qty = np.where(raw > 0, np.ceil(np.maximum(raw, moq) / pack - 1e-9) * pack, 0.0)
    days_until = np.where(d > 0, np.floor((position - reorder) / np.where(d > 0, d, 1)), np.nan)
    # a forecast of a few millionths of a unit a day puts the order-by date past any calendar:
    # beyond ORDER_BY_MAX_DAYS there is no date to order by, as for no demand at all
    days_until = np.where(days_until > ORDER_BY_MAX_DAYS, np.nan, days_until)
    order_by = [
        (today + dt.timedelta(days=int(max(k, 0)))) if q > 0 or np.isfinite(k) else None
        for q, k in zip(qty, np.where(qty > 0, 0, days_until), strict=True)
    ]
    available = (sku["on_hand"] - sku["reserved"]).clip(lower=0)
    fill = policies.fill_rate(reorder, np.maximum(lot, 1e-6),
                              protection, np.maximum(sigma_p, 1e-9))
    lines = pd.DataFrame({
        "product_id": sku["product_id"], "title": sku["title"], "supplier_id": sku["supplier_id"],
        "abc": sku["abc"], "xyz": sku["xyz"], "demand_class": sku["demand_class"],
        "service_level": service, "on_hand": sku["on_hand"].astype(float),
        "on_order": sku["on_order"].astype(float), "lead_time_days": lead,
        "review_days": review, "demand_per_day": d, "forecast_protection": protection,
        "safety_stock": safety, "reorder_point": reorder, "order_up_to": up_to,
        "inventory_position": position.astype(float), "suggested_qty": qty,
        "unit_cost": unit_cost, "order_value": qty * unit_cost.fillna(0.0),
        "currency": sku["cost_currency"],
        "order_by": order_by,
        "days_of_cover": np.where(d > 0, available / np.where(d > 0, d, 1), np.nan),
        "expected_fill_rate": np.clip(fill, 0, 1), "sigma_protection": sigma_p,
        "price": sku["price"], "moq": sku["moq"].astype(float),
        "pack": sku["order_multiple"].astype(float),
    })
    lines["note"] = _notes(lines, raw, need, moq, pack, plannable, sku)
    return lines


def _sum_days(path, days: float) -> float:
    """Forecast demand over ``days`` (fractional), extending the path by its mean if short."""
    values = np.asarray(path if path is not None else [], dtype=float)
    if values.size == 0:
        return 0.0
    whole = int(math.floor(days))
    part = days - whole
    mean = float(values.mean())
    total = values[:whole].sum() + max(whole - values.size, 0) * mean
    nxt = values[whole] if whole < values.size else mean
    return float(total + part * nxt)


def _notes(lines, raw, need, moq, pack, plannable, sku) -> list[str]:
    notes = []
    for i in range(len(lines)):
        if not plannable.iloc[i]:
            notes.append("no supplier or lead time: add it to sku_suppliers to plan this SKU")
        elif lines["suggested_qty"].iloc[i] > 0:
            msg = "order now: position at or below reorder point"
            if raw[i] < moq.iloc[i]:
                msg += f"; raised to MOQ {int(moq.iloc[i])}"
            elif pack.iloc[i] > 1:
                msg += f"; rounded to packs of {int(pack.iloc[i])}"
            if not sku["counted"].iloc[i]:
                msg += "; no stock count on record, assumed 0"
            notes.append(msg)
        elif sku["model"].iloc[i] == forecast.SHORT_HISTORY_MODEL and need[i] > 0:
            notes.append("below reorder point, but the sales history is too short to size an "
                         "order automatically: set the quantity by hand")
        else:
            notes.append("")
    return notes


def _apply_budget(lines: pd.DataFrame, budget: float) -> pd.DataFrame:
    """Trim orders to ``budget``: buy the increments that save most shortage cost per money."""
    if lines["order_value"].sum() <= budget:
        return lines
    rows = []
    for i, line in lines[lines["suggested_qty"] > 0].iterrows():
        cost = float(line["unit_cost"]) if pd.notna(line["unit_cost"]) else 0.0
        margin = (float(line["price"]) - cost) if pd.notna(line["price"]) else np.nan
        per_unit_short = margin if margin > 0 else 0.5 * cost
        steps = _budget_steps(float(line["suggested_qty"]), float(line["moq"]), float(line["pack"]))
        sd = max(float(line["sigma_protection"]), 1e-9)
        z = (line["inventory_position"] + steps - line["forecast_protection"]) / sd
        short = sd * np.asarray(policies.normal_loss(z))
        for k in range(1, len(steps)):
            units = steps[k] - steps[k - 1]
            saved = (short[k - 1] - short[k]) * per_unit_short
            rows.append((i, steps[k], units * cost, saved / max(units * cost, 1e-9)))
    inc = pd.DataFrame(rows, columns=["row", "qty", "cost", "ratio"])
    inc["ratio"] = inc.groupby("row")["ratio"].cummin()
    inc = inc.sort_values("ratio", ascending=False, kind="stable")
    inc["spent"] = inc["cost"].cumsum()
    funded = inc[inc["spent"] <= budget].groupby("row")["qty"].max()
    lines = lines.copy()
    before = lines["suggested_qty"].copy()
    lines["suggested_qty"] = funded.reindex(lines.index).fillna(0.0)
    lines["order_value"] = lines["suggested_qty"] * lines["unit_cost"].fillna(0.0)
    cut = before > lines["suggested_qty"]
    lines.loc[cut, "note"] = lines.loc[cut, "note"] + (
        "; budget cap: " + before[cut].astype(int).astype(str) + " → "
        + lines.loc[cut, "suggested_qty"].astype(int).astype(str)
    )
    return lines


def _budget_steps(qty: float, moq: float, pack: float) -> np.ndarray:
    """Order sizes a budget may stop at: 0, the smallest valid order, then whole packs up to
    ``qty`` (at most about 20 steps per SKU)."""
    smallest = min(qty, math.ceil(max(moq, pack) / pack - 1e-9) * pack)
    step = pack * max(1, math.ceil((qty - smallest) / pack / 20))
    sizes = np.arange(smallest, qty, step) if qty > smallest else np.array([])
    return np.unique(np.concatenate([[0.0, smallest], sizes, [qty]]))


def _excess(
    sku: pd.DataFrame, lines: pd.DataFrame, s: PlanSettings, today: dt.date
) -> pd.DataFrame:
    """Dead and slow stock with its value, days of cover and a suggested markdown."""
    d = lines["demand_per_day"]
    available = (sku["on_hand"] - sku["reserved"]).clip(lower=0).astype(float)
    last_sale = pd.to_datetime(sku["last_sale"])
    idle = (pd.Timestamp(today) - last_sale).dt.days
    cover = np.where(d > 0, available / np.where(d > 0, d, 1), np.inf)
    dead = (available > 0) & (idle.isna() | (idle >= s.dead_days))
    slow = (available > 0) & ~dead & (cover > s.excess_days)
    excess_units = np.where(dead, available, np.maximum(available - d * s.excess_days, 0))
    out = pd.DataFrame({
        "product_id": sku["product_id"], "title": sku["title"], "on_hand": available,
        "unit_cost": sku["unit_cost"], "stock_value": available * sku["unit_cost"].fillna(0),
        "days_of_cover": np.where(np.isfinite(cover), cover, np.nan),
        "days_since_last_sale": idle, "excess_units": excess_units,
        "excess_value": excess_units * sku["unit_cost"].fillna(0),
        "currency": sku["cost_currency"],
        "status": np.select([dead, slow], ["dead", "slow"], ""),
    })
    out["suggestion"] = np.select(
        [out["status"] == "dead", out["days_of_cover"] > 365, out["status"] == "slow"],
        ["clearance: 50% off, bundle, or return to supplier",
         "markdown 35% and stop reordering", "markdown 20% until cover is under "
         f"{int(s.excess_days)} days"],
        "",
    )
    return out[out["status"] != ""].sort_values("excess_value", ascending=False).reset_index(drop=True)


def save_plan(warehouse: Warehouse, plan: Plan) -> None:
    """Store the plan as a draft with all its lines, in one transaction."""
    meta = pd.DataFrame([{
        "plan_id": plan.plan_id, "created_at": pd.Timestamp.now(tz="UTC"),
        "forecast_run_id": plan.forecast_run_id, "status": "draft",
        "params": json.dumps(asdict(plan.settings)), "order_value": plan.order_value,
        "currency": plan.currency,
    }])
    cols = [c for c in (
        "product_id", "supplier_id", "abc", "xyz", "service_level", "on_hand", "on_order",
        "lead_time_days", "review_days", "demand_per_day", "forecast_protection", "safety_stock",
        "reorder_point", "order_up_to", "suggested_qty", "unit_cost", "order_value", "order_by",
        "days_of_cover", "expected_fill_rate", "note")]
    excess_cols = [c for c in (
        "product_id", "on_hand", "unit_cost", "stock_value", "days_of_cover",
        "days_since_last_sale", "excess_units", "excess_value", "currency", "status",
        "suggestion") if c in plan.excess.columns]
    with warehouse.transaction():
        warehouse.insert_df("replenishment_plans", meta)
        warehouse.insert_df("plan_lines", plan.lines[cols].assign(plan_id=plan.plan_id))
        if len(plan.excess):  # kept so that the workspace shows it without planning again
            excess = plan.excess[excess_cols].assign(plan_id=plan.plan_id)
            excess["days_since_last_sale"] = excess["days_since_last_sale"].astype(float)
            warehouse.insert_df("plan_excess", excess)


def approve_plan(warehouse: Warehouse, plan_id: str, approved_by: str) -> None:
    """Mark a draft plan approved, every line with it: the explicit human step before any
    purchase order (line by line: :func:`shopkeeper.inventory.approve_lines`)."""
    from shopkeeper.inventory.review import approve_lines

    rows = warehouse.query("SELECT status FROM replenishment_plans WHERE plan_id = ?", [plan_id])
    if not rows:
        raise PlanError(f"no plan {plan_id!r}; 'shopkeeper plan' lists the latest")
    if rows[0][0] != "draft":
        raise PlanError(f"plan {plan_id} is {rows[0][0]}, not a draft")
    approve_lines(warehouse, plan_id, None, actor=approved_by)


def parse_service_levels(text: str | dict[str, float] | None) -> dict[str, float]:
    """Service levels by class from ``"A=0.98,B=0.95,AZ=0.95"`` (or a dict), over the
    defaults."""
    levels = dict(DEFAULT_SERVICE_LEVELS)
    items = text.items() if isinstance(text, dict) else (
        item.partition("=")[::2] for item in (text or "").split(",") if item.strip())
    for key, value in items:
        try:
            levels[str(key).strip().upper()] = float(value)
        except (TypeError, ValueError):
            raise PlanError(f"service level {key}={value!r}: write CLASS=LEVEL, e.g. "
                            "A=0.98") from None
    return levels


def simulate_line(
    line: pd.Series, path: np.ndarray, sigma_daily: float, *, n_paths: int = 200, seed: int = 0
) -> pd.DataFrame:
    """Stock on hand under the plan's (R, s, S) policy over the forecast horizon.

    Demand paths are sampled around the forecast (normal with the backtest error, clipped at
    zero); returns the 10th, 50th and 90th percentile of on-hand stock per day and the mean
    fill rate.
    """
    rng = np.random.default_rng(seed)
    mean = np.asarray(path, dtype=float)
    demand = np.clip(rng.normal(mean, max(sigma_daily, 0.0), size=(n_paths, mean.size)), 0, None)
    demand = np.round(demand)
    start = max(float(line["on_hand"]), 0.0)
    result = simulate(
        demand,
        PolicyParams.ss(
            np.full(n_paths, line["reorder_point"]),
            np.full(n_paths, max(line["order_up_to"], line["reorder_point"])),
            review_period=max(1, int(round(line["review_days"]))),
        ),
        lead_time=int(round(line["lead_time_days"])),
        initial_on_hand=np.full(n_paths, start),
    )
    traj = result.trajectory
    return pd.DataFrame({
        "day": np.arange(1, mean.size + 1),
        "p10": np.percentile(traj, 10, axis=0),
        "p50": np.percentile(traj, 50, axis=0),
        "p90": np.percentile(traj, 90, axis=0),
        "fill_rate": float(np.mean(result.fill_rate)),
    })


def chart_sku(warehouse: Warehouse, product_id: str, path: str, *, plan: Plan | None = None,
              history_days: int = 180) -> str:
    """Write a chart for one SKU: sales history, forecast with intervals, and (with a plan) the
    simulated stock on hand under the plan's policy. HTML (interactive) unless ``path`` ends
    in ``.png``."""
    from shopkeeper import reports

    run_id = plan.forecast_run_id if plan else forecast.latest_run_id(warehouse, level="sku",
                                                                      freq="D")
    fc = forecast.load_forecasts(warehouse, run_id)
    fc = fc[fc["unique_id"] == product_id]
    if fc.empty:
        raise PlanError(f"SKU {product_id!r} is not in forecast run {run_id}")
    series = forecast.build_series(warehouse, products=[product_id], history_days=history_days)
    stock = None
    if plan is not None:
        line = plan.lines[plan.lines["product_id"] == product_id]
        if not line.empty and pd.notna(line["lead_time_days"].iloc[0]):
            choices = forecast.load_choices(warehouse, run_id)
            rmse = choices.loc[choices["unique_id"] == product_id, "rmse"]
            sim = simulate_line(line.iloc[0], fc["yhat"].to_numpy(),
                                float(rmse.iloc[0]) if len(rmse) and pd.notna(rmse.iloc[0]) else 0.0)
            stock = sim.assign(ds=fc["ds"].to_numpy()[: len(sim)])
    title = f"{product_id}: forecast run {run_id}"
    fig = reports.demand_chart(title, series.df, fc, stock)
    if str(path).lower().endswith(".png"):
        return str(reports.write_png(fig, path))
    return str(reports.write_html(fig, path))
