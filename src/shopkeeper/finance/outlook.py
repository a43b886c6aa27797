"""What comes next: net revenue and gross profit forecast for the coming weeks and months, and
the cash view of the replenishment plan's purchases against that revenue.

The forecast reuses ``shopkeeper.forecast``: the daily series are forecast with the same model
choice by backtest as demand, then summed to Monday weeks and calendar months. A week's or
month's interval is the sum of its days' bounds, which assumes the days' errors move together:
a wide, cautious range.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from shopkeeper import metrics
from shopkeeper.finance.anomalies import daily_metric_series
from shopkeeper.forecast import AutoForecaster
from shopkeeper.store import Warehouse

OUTLOOK_METRICS = ("net_revenue", "gross_profit")
DEFAULT_WEEKS = 8
DEFAULT_MONTHS = 3
HISTORY_DAYS = 365


def revenue_outlook(
    warehouse: Warehouse,
    as_of: dt.date,
    weeks: int = DEFAULT_WEEKS,
    months: int = DEFAULT_MONTHS,
    history_days: int = HISTORY_DAYS,
    money: metrics.Money | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The forecast after ``as_of`` for the next ``weeks`` whole Monday weeks and ``months``
    whole calendar months: two frames, ``metric, week|month, yhat, lo_80, hi_80, lo_95,
    hi_95``, from one daily forecast. The backtest needs two horizons of history: with less,
    the months are left out, and with less than that for the weeks, both frames are empty.
    ``money``: which currency, when the store has several."""
    value_cols = ["yhat", "lo_80", "hi_80", "lo_95", "hi_95"]
    empty = (pd.DataFrame(columns=["metric", "week", *value_cols]),
             pd.DataFrame(columns=["metric", "month", *value_cols]))
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
    daily["week"] = daily["ds"] - pd.to_timedelta(daily["ds"].dt.weekday, unit="D")
    daily["month"] = daily["ds"].dt.to_period("M").dt.start_time
    weekly = daily.groupby(["metric", "week"], as_index=False)[value_cols].sum()
    monthly = daily.groupby(["metric", "month"], as_index=False)[value_cols].sum()
    weekly = weekly[weekly["week"].between(first_week, first_week + pd.Timedelta(weeks=weeks - 1))]
    monthly = monthly[monthly["month"].between(first_month,
                                               first_month + pd.DateOffset(months=months - 1))
                      & (months > 0)]
    return weekly.reset_index(drop=True), monthly.reset_index(drop=True)


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
    spend["week"] = spend["week"].clip(lower=revenue["week"].min())
    spend = spend.groupby("week", as_index=False)["purchases"].sum()
    out = revenue.merge(spend, on="week", how="left").fillna({"purchases": 0.0})
    out["net"] = out["revenue"] - out["purchases"]
    return out
