"""The P&L statement and the KPI pack for a period, against the period before and a year ago.

Both are read through the metrics engine, so every figure has exactly the definition that
``shopkeeper metrics`` shows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from shopkeeper import metrics
from shopkeeper.store import Warehouse

PERIODS = ("week", "month", "quarter")
_PANDAS_PERIOD = {"week": "W-SUN", "month": "M", "quarter": "Q"}  # weeks run Monday–Sunday

# (metric, sign in the statement, indent): the P&L reads top to bottom like an income statement
PNL_LINES: tuple[tuple[str, int, int], ...] = (
    ("gmv", 1, 0),
    ("discounts", -1, 1),
    ("refunds", -1, 1),
    ("net_revenue", 1, 0),
    ("cogs", -1, 1),
    ("gross_profit", 1, 0),
    ("gross_margin", 1, 1),
    ("fees", -1, 1),
    ("logistics", -1, 1),
    ("ad_spend", -1, 1),
    ("contribution", 1, 0),
    ("contribution_rate", 1, 1),
    ("other_expenses", -1, 1),
    ("operating_profit", 1, 0),
)
KPIS = (
    "net_revenue", "gross_margin", "orders", "units", "aov", "units_per_order", "customers",
    "new_customers", "returning_customers", "repeat_purchase_rate", "refund_rate", "ad_spend",
    "roas", "cac",
)


@dataclass(frozen=True)
class Period:
    """A closed date range with a name people use for it (``2011-11``, ``2011-W47``)."""

    kind: str
    start: dt.date
    end: dt.date

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start} – {self.end}"


def last_complete_period(warehouse: Warehouse, kind: str = "month",
                         as_of: dt.date | str | None = None) -> Period:
    """The last whole week (Monday–Sunday), month or quarter on or before ``as_of`` (default:
    the last order date; a period that ends on that date counts as complete)."""
    if kind not in PERIODS:
        raise metrics.MetricError(f"period must be one of {', '.join(PERIODS)}")
    first, last = warehouse.query(
        "SELECT min(CAST(ordered_at AS DATE)), max(CAST(ordered_at AS DATE)) FROM orders")[0]
    if last is None:
        raise metrics.MetricError("no orders in the warehouse; load some first")
    if as_of is None:
        as_of = last
    day = pd.Timestamp(str(as_of))
    period = day.to_period(_PANDAS_PERIOD[kind])
    if period.end_time.normalize() > day:
        period -= 1
    if period.end_time.date() < first:
        raise metrics.MetricError(
            f"no complete {kind} with orders on or before {day.date()}: the orders start on "
            f"{first}")
    return Period(kind, period.start_time.date(), period.end_time.date())


def previous_period(period: Period) -> Period:
    """The week, month or quarter just before ``period``."""
    before = pd.Timestamp(period.start) - pd.Timedelta(days=1)
    p = before.to_period(_PANDAS_PERIOD[period.kind])
    return Period(period.kind, p.start_time.date(), p.end_time.date())


def _compare_table(warehouse: Warehouse, names: list[str], period: Period) -> pd.DataFrame:
    prev = metrics.query(warehouse, names, start=period.start, end=period.end,
                         compare="previous").df.iloc[0]
    year = metrics.query(warehouse, list(dict.fromkeys([*names, "orders"])),
                         start=period.start, end=period.end, compare="year").df.iloc[0]
    if not year["orders_prev"] > 0:  # no sales a year ago: the store's history is shorter
        year = year.copy()
        for name in names:
            year[[f"{name}_prev", f"{name}_change", f"{name}_change_pct"]] = float("nan")
    rows = []
    for name in names:
        rows.append({
            "metric": name,
            "current": prev[name],
            "previous": prev[f"{name}_prev"],
            "change": prev[f"{name}_change"],
            "change_pct": prev[f"{name}_change_pct"],
            "year_ago": year[f"{name}_prev"],
            "yoy_change": year[f"{name}_change"],
            "yoy_pct": year[f"{name}_change_pct"],
        })
    return pd.DataFrame(rows)


def pnl(warehouse: Warehouse, period: Period) -> pd.DataFrame:
    """The P&L for ``period``: one row per line (``metric``, ``label_en``, ``label_zh``,
    ``sign``, ``indent``) with current, previous, change, change %, year-ago and YoY values.
    Costs are positive numbers; ``sign`` says whether the line is added or taken away."""
    table = _compare_table(warehouse, [m for m, _, _ in PNL_LINES], period)
    layout = pd.DataFrame(PNL_LINES, columns=["metric", "sign", "indent"])
    out = layout.merge(table, on="metric")
    out.insert(1, "label_en", out["metric"].map(lambda m: metrics.METRICS[m].label_en))
    out.insert(2, "label_zh", out["metric"].map(lambda m: metrics.METRICS[m].label_zh))
    return out


def kpi_pack(warehouse: Warehouse, period: Period) -> pd.DataFrame:
    """The KPIs for ``period`` with the same comparison columns as :func:`pnl`, plus the
    unit and whether a rise is good news."""
    out = _compare_table(warehouse, list(KPIS), period)
    out.insert(1, "label_en", out["metric"].map(lambda m: metrics.METRICS[m].label_en))
    out.insert(2, "label_zh", out["metric"].map(lambda m: metrics.METRICS[m].label_zh))
    out["unit"] = out["metric"].map(lambda m: metrics.METRICS[m].unit)
    out["higher_is_better"] = out["metric"].map(lambda m: metrics.METRICS[m].higher_is_better)
    return out
