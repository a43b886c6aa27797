"""What comes next: net revenue and gross profit forecast for the coming weeks and months, and
the cash view of the replenishment plan's purchases against that revenue.

The forecast reuses ``shopkeeper.forecast``: the daily series are forecast with the same model
choice by backtest as demand, then summed to Monday weeks and calendar months. A week's or
month's interval is the sum of its days' bounds, which assumes the days' errors move together:
a wide, cautious range.

Beside the forecast stands its own track record (:class:`OutlookCheck`): the same forecaster's
most recent backtest window, the outlook's horizon just before ``as_of``, forecast from the data
before it and set against what was sold ("over the 120 days to 23 Apr this outlook was off by
6%").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

import pandas as pd

from shopkeeper import metrics
from shopkeeper.finance.anomalies import daily_metric_series
from shopkeeper.forecast import AutoForecaster
from shopkeeper.store import Warehouse

OUTLOOK_METRICS = ("net_revenue", "gross_profit")
DEFAULT_WEEKS = 8
DEFAULT_MONTHS = 3
HISTORY_DAYS = 365


@dataclass(frozen=True)
class OutlookCheck:
    """How far the outlook's method was off when it last could be checked: the total of
    ``metric`` forecast for ``start``..``end`` from the data before ``start`` (the forecaster's
    most recent backtest window), against the actual total."""

    metric: str
    start: dt.date
    end: dt.date
    forecast: float
    actual: float

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def error(self) -> float:
        """Relative error of the total, ``|forecast - actual| / |actual|`` (inf if nothing sold)."""
        return abs(self.forecast - self.actual) / abs(self.actual) if self.actual else float("inf")


class Outlook(NamedTuple):
    weeks: pd.DataFrame  # metric, week, yhat, lo_80, hi_80, lo_95, hi_95
    months: pd.DataFrame  # metric, month, yhat, ...
    check: OutlookCheck | None  # net revenue's last backtest window; None without a forecast


def revenue_outlook(
    warehouse: Warehouse,
    as_of: dt.date,
    weeks: int = DEFAULT_WEEKS,
    months: int = DEFAULT_MONTHS,
    history_days: int = HISTORY_DAYS,
    money: metrics.Money | None = None,
) -> Outlook:
    """The forecast after ``as_of`` for the next ``weeks`` whole Monday weeks and ``months``
    whole calendar months: two frames, ``metric, week|month, yhat, lo_80, hi_80, lo_95,
    hi_95``, from one daily forecast, and how far that forecaster was off on net revenue in
    its last backtest window. The backtest needs two horizons of history: with less, the
    months are left out, and with less than that for the weeks, both frames are empty.
    ``money``: which currency, when the store has several."""
    value_cols = ["yhat", "lo_80", "hi_80", "lo_95", "hi_95"]
    empty = Outlook(pd.DataFrame(columns=["metric", "week", *value_cols]),
                    pd.DataFrame(columns=["metric", "month", *value_cols]), None)
    start = as_of - dt.timedelta(days=history_days - 1)
    series = daily_metric_series(warehouse, OUTLOOK_METRICS, start, as_of, money)
    if series.empty or series.groupby("unique_id").size().min() < 56:
        return empty
    day = pd.Timestamp(as_of)
    first_week = day + pd.Timedelta(days=7 - day.weekday())
    first_month = day + pd.offsets.MonthBegin(1)
    weeks_end = first_week + pd.Timedelta(weeks=weeks) - pd.Timedelta(days=1)
    months_end = first_month + pd.DateOffset(months=months) - pd.Timedelta(days=1)
    # the backtest needs two horizons of history and some to train on: with a short history
    # the months are left out rather than judged on nothing
    history = int(series.groupby("unique_id").size().min())
    horizon = (max(weeks_end, months_end) - day).days
    if history < 2 * horizon + 28:
        horizon, months = (weeks_end - day).days, 0
    if history < 2 * horizon + 28:
        return empty
    forecaster = AutoForecaster(horizon, freq="D", season_length=7, n_windows=2)
    daily = forecaster.fit(series).predict().rename(columns={"unique_id": "metric"})
    check = _last_window_check(forecaster, "net_revenue")
    daily["week"] = daily["ds"] - pd.to_timedelta(daily["ds"].dt.weekday, unit="D")
    daily["month"] = daily["ds"].dt.to_period("M").dt.start_time
    weekly = daily.groupby(["metric", "week"], as_index=False)[value_cols].sum()
    monthly = daily.groupby(["metric", "month"], as_index=False)[value_cols].sum()
    weekly = weekly[weekly["week"].between(first_week, first_week + pd.Timedelta(weeks=weeks - 1))]
    monthly = monthly[monthly["month"].between(first_month,
                                               first_month + pd.DateOffset(months=months - 1))
                      & (months > 0)]
    return Outlook(weekly.reset_index(drop=True), monthly.reset_index(drop=True), check)


def _last_window_check(forecaster: AutoForecaster, metric: str) -> OutlookCheck | None:
    """The chosen model's total over the most recent backtest window against the actual one."""
    result = forecaster.result_
    chosen = result.choices.set_index("unique_id")["model"].get(metric)
    bt = result.backtest
    if chosen is None or bt.empty or chosen not in bt.columns:
        return None  # too short to backtest: nothing to check against
    rows = bt[(bt["unique_id"] == metric) & (bt["cutoff"] == bt["cutoff"].max())]
    if rows.empty or rows[chosen].isna().any():
        return None
    return OutlookCheck(metric, rows["ds"].min().date(), rows["ds"].max().date(),
                        float(rows[chosen].clip(lower=0).sum()), float(rows["y"].sum()))


def planned_purchases(warehouse: Warehouse,
                      money: metrics.Money | None = None) -> pd.DataFrame:
    """Purchases of the latest replenishment plan by Monday week of their order-by date:
    ``week, purchases, plan_id, status, currency``. Empty when no plan was made, and, with
    ``money``, when the plan's currency is neither ``money``'s nor convertible at its rates
    (purchases in one currency are never set against revenue in another)."""
    rows = warehouse.query_df(
        """WITH latest AS (SELECT plan_id, status, currency FROM replenishment_plans
                           ORDER BY created_at DESC LIMIT 1)
           SELECT CAST(date_trunc('week', l.order_by) AS DATE) AS week,
                  sum(l.order_value) AS purchases, any_value(p.plan_id) AS plan_id,
                  any_value(p.status) AS status, any_value(p.currency) AS currency
           FROM plan_lines l JOIN latest p USING (plan_id)
           WHERE l.suggested_qty > 0 AND l.order_by IS NOT NULL
           GROUP BY 1 ORDER BY 1""")
    rows["week"] = pd.to_datetime(rows["week"])
    if money is None or rows.empty:
        return rows
    plan_currency = str(rows["currency"].iloc[0] or money.currency)
    if plan_currency == money.currency:
        return rows
    if money.converts and plan_currency in money.rates:
        return rows.assign(purchases=rows["purchases"] * float(money.rates[plan_currency]),
                           currency=money.currency)
    return rows.iloc[0:0]


def cash_view(outlook: pd.DataFrame, purchases: pd.DataFrame) -> pd.DataFrame:
    """Per week: forecast net revenue (with its 80% range) against planned purchases.

    Purchases due before the first forecast week (orders to place now) count in that week."""
    revenue = outlook[outlook["metric"] == "net_revenue"][["week", "yhat", "lo_80", "hi_80"]]
    revenue = revenue.rename(columns={"yhat": "revenue", "lo_80": "revenue_lo_80",
                                      "hi_80": "revenue_hi_80"})
    if revenue.empty:
        return revenue.assign(purchases=pd.Series(dtype=float), net=pd.Series(dtype=float))
    spend = purchases[["week", "purchases"]].copy()
    spend["purchases"] = spend["purchases"].astype(float)  # none planned: an empty object column
    spend["week"] = spend["week"].clip(lower=revenue["week"].min())
    spend = spend.groupby("week", as_index=False)["purchases"].sum()
    out = revenue.merge(spend, on="week", how="left").fillna({"purchases": 0.0})
    out["net"] = out["revenue"] - out["purchases"]
    return out
