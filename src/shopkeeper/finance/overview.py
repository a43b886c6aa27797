"""The overview's finance part: KPI tiles against the period before and a year ago, with a
sparkline, and the anomalies of the last days; typed for a dashboard, cached per load.

Every number is the metrics layer's (:func:`shopkeeper.metrics.query`); nothing here defines a
metric. Money follows the finance reports (:func:`~shopkeeper.finance.report_money`): with
exchange rates, one set of tiles with every amount converted into the report currency; without
them, one set per currency the store sells in (amounts are never added across currencies), each
counting only that currency's orders.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from shopkeeper import metrics
from shopkeeper.finance.anomalies import check_anomalies
from shopkeeper.finance.report import report_money
from shopkeeper.finance.statements import (
    Period,
    last_activity_day,
    last_complete_period,
    previous_period,
)
from shopkeeper.finance.summary import AnomalousDay
from shopkeeper.store import Warehouse

TILE_METRICS = ("net_revenue", "orders", "aov", "gross_margin", "refund_rate")
TILE_PERIODS = ("day", "week", "month", "quarter")
SPARKLINE_PERIODS = 12
_STEP = {"day": pd.DateOffset(days=1), "week": pd.DateOffset(weeks=1),
         "month": pd.DateOffset(months=1), "quarter": pd.DateOffset(months=3)}


class SparkPoint(BaseModel):
    """One period of a sparkline: its first day and the metric's value (None: no value, e.g.
    a ratio of a period without sales, or a period before the store's first order)."""

    model_config = ConfigDict(frozen=True)  # cached and shared: read-only

    start: dt.date
    value: float | None


class KpiTile(BaseModel):
    """One KPI: its value in the period, the period before and the same period a year ago, the
    changes (``change_*``: difference in the metric's unit; ``*_pct``: that difference as a
    fraction of the earlier value, None when it is 0 or unknown), and its recent history."""

    model_config = ConfigDict(frozen=True)  # cached and shared: read-only

    metric: str
    label_en: str
    label_zh: str
    unit: str  # money, count or ratio
    higher_is_better: bool
    value: float | None
    previous: float | None
    year_ago: float | None  # None when the store had no sales a year before
    change_prev: float | None
    change_prev_pct: float | None
    change_year: float | None
    change_year_pct: float | None
    sparkline: list[SparkPoint]


class CurrencyTiles(BaseModel):
    """The tiles of one currency (or of every currency converted into one)."""

    model_config = ConfigDict(frozen=True)  # cached and shared: read-only

    currency: str
    money: str  # "EUR", or "USD (converted at 1 EUR = 1.08 USD)"
    tiles: list[KpiTile]

    def tile(self, metric: str) -> KpiTile:
        return next(t for t in self.tiles if t.metric == metric)


class KpiTiles(BaseModel):
    """The overview's KPI tiles for one period, per currency view (see the module)."""

    model_config = ConfigDict(frozen=True)  # cached and shared: read-only

    period: str  # day, week, month or quarter
    label: str  # 2011-11, 2011-W47, 2011-Q4, 2011-11-30
    start: dt.date
    end: dt.date
    previous_start: dt.date
    previous_end: dt.date
    year_ago_start: dt.date
    year_ago_end: dt.date
    converted: bool  # True: one view, every amount converted at the given rates
    groups: list[CurrencyTiles]
    other_currencies: list[str] = Field(default_factory=list)  # sold in, no money moving

    def for_currency(self, currency: str) -> CurrencyTiles:
        return next(g for g in self.groups if g.currency == currency)


def tile_period(wh: Warehouse, period: str = "month",
                as_of: dt.date | str | None = None) -> Period:
    """The period the tiles show: the last complete week, month or quarter (finance's rule,
    :func:`last_complete_period`), or for ``day`` ``as_of`` itself (default: the last day of
    real trading)."""
    if period not in TILE_PERIODS:
        raise metrics.MetricError(f"period must be one of {', '.join(TILE_PERIODS)}")
    if period != "day":
        return last_complete_period(wh, period, as_of)
    day = pd.Timestamp(str(as_of)).date() if as_of is not None else last_activity_day(wh)
    if day is None:
        raise metrics.MetricError("no orders in the warehouse; load some first")
    return Period("day", day, day)


def _previous(p: Period) -> Period:
    if p.kind == "day":
        day = p.start - dt.timedelta(days=1)
        return Period("day", day, day)
    return previous_period(p)


def _label(p: Period) -> str:
    return p.start.isoformat() if p.kind == "day" else p.label


def _num(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _change(now: float | None, before: float | None) -> tuple[float | None, float | None]:
    if now is None or before is None:
        return None, None
    return now - before, ((now - before) / abs(before) if before != 0 else None)


def _spark_buckets(p: Period, spark_n: int) -> list[pd.Timestamp]:
    step = _STEP[p.kind]
    return [(pd.Timestamp(p.start) - k * step) for k in range(spark_n - 1, -1, -1)]


def _fetch(wh: Warehouse, p: Period, prev: Period, money: metrics.Money | None,
           spark_n: int, split: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two metric queries: the tiles by period over the sparkline's range, and the same period
    a year before; ``split``: both by currency (one scan for every currency, the same
    numbers as one ``Money(currency)`` query per currency)."""
    first = min(_spark_buckets(p, spark_n)[0], pd.Timestamp(prev.start))
    by = [p.kind, "currency"] if split else [p.kind]
    history = metrics.query(wh, list(TILE_METRICS), by=by, start=first.date(), end=p.end,
                            money=money).df
    # the same period a year ago, on the dates metrics' own comparison uses (the current
    # period's row is in the history already)
    year_start, year_end, _ = _year_ago(p)
    year = metrics.query(wh, list(TILE_METRICS), by=["currency"] if split else [],
                         start=year_start, end=year_end, money=money).df
    return history, year


def _year_ago(p: Period) -> tuple[dt.date, dt.date, pd.DateOffset]:
    return metrics.comparison_range(metrics.MetricQuery(("orders",), start=p.start, end=p.end,
                                                        compare="year"))


def _view_tiles(p: Period, prev: Period, history: pd.DataFrame, year: pd.DataFrame,
                spark_n: int, opened: dt.date | None) -> tuple[list[KpiTile], bool]:
    """The tiles of one money view from its rows of :func:`_fetch`'s tables, and whether any
    money moved in it (current or previous period). A period without rows is 0 for amounts
    and counts (nothing sold) and None for ratios, or for every metric when it ended before
    the store's first order (``opened``)."""
    buckets, step = _spark_buckets(p, spark_n), _STEP[p.kind]
    history = history.set_index(p.kind)
    year_row = year.iloc[0] if len(year) else None
    had_year = year_row is not None and (_num(year_row["orders"]) or 0) > 0
    tiles, moving = [], False
    for name in TILE_METRICS:
        m = metrics.METRICS[name]

        def at(bucket: pd.Timestamp, name: str = name, unit: str = m.unit) -> float | None:
            if bucket in history.index:
                return _num(history.at[bucket, name])
            if unit == "ratio" or opened is None or (bucket + step).date() <= opened:
                return None
            return 0.0  # no sales that period: nothing sold, no money

        value, before = at(pd.Timestamp(p.start)), at(pd.Timestamp(prev.start))
        year_ago = _num(year_row[name]) if had_year else None
        moving |= name in ("net_revenue", "orders") and bool(value or before)
        change_prev, change_prev_pct = _change(value, before)
        change_year, change_year_pct = _change(value, year_ago)
        tiles.append(KpiTile(
            metric=name, label_en=m.label_en, label_zh=m.label_zh, unit=m.unit,
            higher_is_better=m.higher_is_better, value=value, previous=before,
            year_ago=year_ago, change_prev=change_prev, change_prev_pct=change_prev_pct,
            change_year=change_year, change_year_pct=change_year_pct,
            sparkline=[SparkPoint(start=b.date(), value=at(b)) for b in buckets]))
    return tiles, moving


def _compute_tiles(wh: Warehouse, period: str, as_of: dt.date | str | None,
                   report_currency: str, fx_rates: dict[str, float] | None,
                   sparkline: int) -> KpiTiles:
    p = tile_period(wh, period, as_of)
    prev = _previous(p)
    views = report_money(wh, report_currency, fx_rates)
    if not views:
        raise metrics.MetricError("no orders in the warehouse; load some first")
    converted = len(views) == 1 and views[0].converts
    split = len(views) > 1
    opened = wh.query("SELECT min(CAST(ordered_at AS DATE)) FROM orders")[0][0]
    history, year = _fetch(wh, p, prev, None if split else views[0], sparkline, split)
    groups, idle = [], []
    for money in views:
        h, y = history, year
        if split:
            h = history[history["currency"] == money.currency].drop(columns="currency")
            y = year[year["currency"] == money.currency]
        tiles, moving = _view_tiles(p, prev, h, y, sparkline, opened)
        group = CurrencyTiles(currency=money.currency, money=money.describe(), tiles=tiles)
        (groups if moving or not split else idle).append(group)
    if not groups:  # nothing moved anywhere: show the most used currency, as finance does
        groups.append(idle.pop(0))
    year_start, year_end, _ = _year_ago(p)
    return KpiTiles(period=p.kind, label=_label(p), start=p.start, end=p.end,
                    previous_start=prev.start, previous_end=prev.end,
                    year_ago_start=year_start, year_ago_end=year_end, converted=converted,
                    groups=groups, other_currencies=[g.currency for g in idle])


def kpi_tiles(wh: Warehouse, *, period: str = "month", as_of: dt.date | str | None = None,
              report_currency: str = "", fx_rates: dict[str, float] | None = None,
              sparkline: int = SPARKLINE_PERIODS) -> KpiTiles:
    """Net revenue, orders, AOV, gross margin and refund rate for the last complete ``period``
    (``day``, ``week``, ``month``, ``quarter``; see :func:`tile_period`) up to ``as_of``,
    against the period before and the same period a year ago, each with the last
    ``sparkline`` periods' values. Money as in finance's reports: converted into
    ``report_currency`` at ``fx_rates`` when given, else one group of tiles per currency with
    money moving in the period or the one before. Computed once per data version (see
    :func:`shopkeeper.metrics.cached`); treat the result as read-only."""
    if sparkline < 2:
        raise metrics.MetricError("a sparkline needs at least 2 periods")
    today = dt.date.today() if as_of is None else None  # the default period moves with today
    key = "finance.kpi_tiles:" + json.dumps(
        [period, str(as_of), str(today), report_currency.upper(), sorted((fx_rates or {}).items()),
         sparkline])
    return metrics.cached(wh, key, lambda: _compute_tiles(wh, period, as_of, report_currency,
                                                          fx_rates, sparkline))


class AnomalyAlert(AnomalousDay):
    """One anomalous day of one metric, in one currency view (see :class:`Alert`)."""

    currency: str


class AnomalyFinding(BaseModel):
    """A metric the check could not judge in one currency view, and why (see :class:`Finding`)."""

    model_config = ConfigDict(frozen=True)  # cached and shared: read-only

    currency: str
    metric: str
    kind: str  # cannot_compute, implausible, short_history
    reason_en: str
    reason_zh: str


class RecentAnomalies(BaseModel):
    """The daily anomalies of the last days, per currency view, newest first."""

    model_config = ConfigDict(frozen=True)  # cached and shared: read-only

    start: dt.date
    end: dt.date
    alerts: list[AnomalyAlert]
    findings: list[AnomalyFinding]


def _compute_anomalies(wh: Warehouse, days: int, as_of: dt.date | str | None,
                       report_currency: str, fx_rates: dict[str, float] | None
                       ) -> RecentAnomalies:
    end = pd.Timestamp(str(as_of)).date() if as_of is not None else last_activity_day(wh)
    if end is None:
        raise metrics.MetricError("no orders in the warehouse; load some first")
    start = end - dt.timedelta(days=days - 1)
    views = report_money(wh, report_currency, fx_rates)
    if len(views) > 1:  # a currency without orders in the window has nothing to judge
        active = metrics.query(wh, "orders", by="currency", start=start, end=end).df
        sold = set(active.loc[active["orders"] > 0, "currency"])
        views = [v for v in views if v.currency in sold]
    alerts, findings = [], []
    for money in views:
        check = check_anomalies(wh, start, end, money=money)
        for a in check.alerts:
            m = metrics.METRICS[a.metric]
            alerts.append(AnomalyAlert(
                currency=money.currency, metric=a.metric, label_en=m.label_en,
                label_zh=m.label_zh, unit=m.unit, day=a.day, actual=a.actual,
                expected=a.expected, low=a.low, high=a.high, direction=a.direction,
                drivers=a.drivers))
        findings += [AnomalyFinding(currency=money.currency, metric=f.metric, kind=f.kind,
                                    reason_en=f.reason_en, reason_zh=f.reason_zh)
                     for f in check.findings]
    alerts.sort(key=lambda a: (a.day, a.currency, a.metric), reverse=True)
    return RecentAnomalies(start=start, end=end, alerts=alerts, findings=findings)


def recent_anomalies(wh: Warehouse, *, days: int = 7, as_of: dt.date | str | None = None,
                     report_currency: str = "", fx_rates: dict[str, float] | None = None
                     ) -> RecentAnomalies:
    """Anomalous days among the last ``days`` up to ``as_of`` (default: the last day of real
    trading), by :func:`check_anomalies`, per currency view as in :func:`kpi_tiles`. Computed
    once per data version."""
    if days < 1:
        raise metrics.MetricError("days must be 1 or more")
    today = dt.date.today() if as_of is None else None
    key = "finance.recent_anomalies:" + json.dumps(
        [days, str(as_of), str(today), report_currency.upper(),
         sorted((fx_rates or {}).items())])
    return metrics.cached(wh, key, lambda: _compute_anomalies(wh, days, as_of, report_currency,
                                                              fx_rates))
