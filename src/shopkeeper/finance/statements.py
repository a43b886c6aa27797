"""The P&L statement and the KPI pack for a period, against the period before and a year ago.

Both are read through the metrics engine, so every figure has exactly the definition that
``shopkeeper metrics`` shows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from shopkeeper import metrics
from shopkeeper.store import Warehouse

PERIODS = ("week", "month", "quarter")
# an order dated after today (plus this many days, for time zones) is not real activity yet
FUTURE_TOLERANCE_DAYS = 1
# the last order days, when this many days or more after the rest and holding this share of
# the orders or less, are stray dates (a typo, a test order), not where the store's history ends
STRAY_GAP_DAYS = 60
STRAY_SHARE = 0.01
# by default, a period with fewer orders than this share of the median of the periods before it
# is the trickle after the store's data ends (late stragglers, test orders), not its last period
THIN_SHARE = 0.1
THIN_LOOKBACK = 6
_PANDAS_PERIOD = {"week": "W-SUN", "month": "M", "quarter": "Q"}  # weeks run Monday–Sunday

# (metric, sign in the statement, indent): the P&L reads top to bottom like an income statement
PNL_LINES: tuple[tuple[str, int, int], ...] = (
    ("gmv", 1, 0),
    ("discounts", -1, 1),
    ("refunds", -1, 1),
    ("net_revenue", 1, 0),
    ("cogs", -1, 1),
    ("cost_coverage", 1, 1),
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
    "net_revenue", "gross_margin", "costed_margin", "cost_coverage", "orders", "units", "aov", "units_per_order", "customers",
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


def last_activity_day(warehouse: Warehouse, today: dt.date | None = None) -> dt.date | None:
    """The last day of real trading: the last order date, leaving out dates after ``today``
    (default: the clock's) and a stray tail: last days at least ``STRAY_GAP_DAYS`` after the
    rest that hold at most ``STRAY_SHARE`` of the orders. None when there are no orders."""
    limit = (today or dt.date.today()) + dt.timedelta(days=FUTURE_TOLERANCE_DAYS)
    rows = warehouse.query(
        """SELECT CAST(ordered_at AS DATE) AS day, count(*) AS n,
                  sum(count(*)) OVER () AS total
           FROM orders WHERE CAST(ordered_at AS DATE) <= CAST(? AS DATE)
           GROUP BY 1 ORDER BY 1""", [str(limit)])
    if not rows:
        return None
    days = [r[0] for r in rows]
    counts = [int(r[1]) for r in rows]
    total = int(rows[0][2])
    end, tail = len(days), 0
    # walk back while the tail is tiny: everything after a long gap in it is stray
    for i in range(len(days) - 1, 0, -1):
        tail += counts[i]
        if tail > STRAY_SHARE * total:
            break
        if (days[i] - days[i - 1]).days >= STRAY_GAP_DAYS:
            end = i
    return days[end - 1]


def last_complete_period(warehouse: Warehouse, kind: str = "month",
                         as_of: dt.date | str | None = None) -> Period:
    """The last whole week (Monday–Sunday), month or quarter on or before ``as_of`` (a period
    that ends on that date counts as complete). By default ``as_of`` is the last day of real
    activity (:func:`last_activity_day`), and a thin last period, with fewer sales than
    ``THIN_SHARE`` of the median of the ``THIN_LOOKBACK`` periods before it, is passed over
    for the one before: a trickle of late orders is not the store's last month."""
    if kind not in PERIODS:
        raise metrics.MetricError(f"period must be one of {', '.join(PERIODS)}")
    first = warehouse.query("SELECT min(CAST(ordered_at AS DATE)) FROM orders")[0][0]
    last = last_activity_day(warehouse)
    if first is None or last is None:
        raise metrics.MetricError("no orders in the warehouse; load some first")
    default = as_of is None
    day = pd.Timestamp(str(last if default else as_of))
    period = day.to_period(_PANDAS_PERIOD[kind])
    if period.end_time.normalize() > day:
        period -= 1
    if period.end_time.date() < first:
        raise metrics.MetricError(
            f"no complete {kind} with orders on or before {day.date()}: the orders start on "
            f"{first}")
    if default:
        period = _skip_thin(warehouse, period, first)
    return Period(kind, period.start_time.date(), period.end_time.date())


def _skip_thin(warehouse: Warehouse, period: pd.Period, first: dt.date) -> pd.Period:
    """``period``, or the last one before it that is not a thin trickle (see
    :func:`last_complete_period`)."""
    start = (period - THIN_LOOKBACK * 2).start_time.date()
    rows = warehouse.query(
        "SELECT CAST(ordered_at AS DATE), count(*) FROM orders WHERE coalesce(status, '') <> "
        "'cancelled' AND CAST(ordered_at AS DATE) BETWEEN CAST(? AS DATE) AND CAST(? AS DATE) "
        "GROUP BY 1", [str(start), str(period.end_time.date())])
    counts: dict[pd.Period, int] = {}
    for day, n in rows:
        key = pd.Timestamp(day).to_period(period.freq)
        counts[key] = counts.get(key, 0) + int(n)
    while period.start_time.date() > first:
        usual = float(np.median([counts.get(period - k, 0) for k in range(1, THIN_LOOKBACK + 1)]))
        if usual == 0 or counts.get(period, 0) >= THIN_SHARE * usual:
            break
        period -= 1
    return period


def previous_period(period: Period) -> Period:
    """The week, month or quarter just before ``period``."""
    before = pd.Timestamp(period.start) - pd.Timedelta(days=1)
    p = before.to_period(_PANDAS_PERIOD[period.kind])
    return Period(period.kind, p.start_time.date(), p.end_time.date())


def one_money(warehouse: Warehouse, money: metrics.Money | None) -> metrics.Money | None:
    """``money``, or None for a store with one currency; a store with several must say which
    (a finance table of a single row cannot add currencies up)."""
    if money is not None:
        return money
    found = metrics.currencies(warehouse)
    if len(found) > 1:
        raise metrics.MetricError(
            f"the store sells in {', '.join(found)}: report one currency at a time "
            f"(money=metrics.Money('{found[0]}')) or convert with exchange rates "
            "(fx_rates in the config)")
    return None


def _compare_table(warehouse: Warehouse, names: list[str], period: Period,
                   money: metrics.Money | None = None) -> pd.DataFrame:
    money = one_money(warehouse, money)
    prev = metrics.query(warehouse, names, start=period.start, end=period.end,
                         compare="previous", money=money).df.iloc[0]
    year = metrics.query(warehouse, list(dict.fromkeys([*names, "orders"])),
                         start=period.start, end=period.end, compare="year",
                         money=money).df.iloc[0]
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


def pnl(warehouse: Warehouse, period: Period,
        money: metrics.Money | None = None) -> pd.DataFrame:
    """The P&L for ``period``: one row per line (``metric``, ``label_en``, ``label_zh``,
    ``sign``, ``indent``) with current, previous, change, change %, year-ago and YoY values.
    Costs are positive numbers; ``sign`` says whether the line is added or taken away. COGS is
    followed by its cost coverage; gross margin is empty when some sales have no known cost.
    ``money``: which currency (needed when the store has several; see metrics.Money)."""
    table = _compare_table(warehouse, [m for m, _, _ in PNL_LINES], period, money)
    layout = pd.DataFrame(PNL_LINES, columns=["metric", "sign", "indent"])
    out = layout.merge(table, on="metric")
    out.insert(1, "label_en", out["metric"].map(lambda m: metrics.METRICS[m].label_en))
    out.insert(2, "label_zh", out["metric"].map(lambda m: metrics.METRICS[m].label_zh))
    return out


def kpi_pack(warehouse: Warehouse, period: Period,
             money: metrics.Money | None = None) -> pd.DataFrame:
    """The KPIs for ``period`` with the same comparison columns as :func:`pnl`, plus the
    unit and whether a rise is good news."""
    out = _compare_table(warehouse, list(KPIS), period, money)
    out.insert(1, "label_en", out["metric"].map(lambda m: metrics.METRICS[m].label_en))
    out.insert(2, "label_zh", out["metric"].map(lambda m: metrics.METRICS[m].label_zh))
    out["unit"] = out["metric"].map(lambda m: metrics.METRICS[m].unit)
    out["higher_is_better"] = out["metric"].map(lambda m: metrics.METRICS[m].higher_is_better)
    return out
