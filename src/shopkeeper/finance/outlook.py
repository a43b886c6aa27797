"""What comes next: net revenue and gross profit forecast for the coming weeks, and the cash view
of the replenishment plan's purchases against that revenue.

The forecast reuses ``shopkeeper.forecast``: the daily series are forecast with the same model
choice by backtest as demand, then summed to Monday weeks. A week's interval is the sum of its
days' bounds, which assumes the days' errors move together: a wide, cautious range.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from shopkeeper.finance.anomalies import daily_metric_series
from shopkeeper.forecast import AutoForecaster
from shopkeeper.store import Warehouse

OUTLOOK_METRICS = ("net_revenue", "gross_profit")
DEFAULT_WEEKS = 8
HISTORY_DAYS = 365


def revenue_outlook(warehouse: Warehouse, as_of: dt.date, weeks: int = DEFAULT_WEEKS,
                    history_days: int = HISTORY_DAYS) -> pd.DataFrame:
    """Weekly forecast after ``as_of``: ``metric, week, yhat, lo_80, hi_80, lo_95, hi_95``.

    Empty when there is too little history (under eight weeks) to backtest a model."""
    start = as_of - dt.timedelta(days=history_days - 1)
    series = daily_metric_series(warehouse, OUTLOOK_METRICS, start, as_of)
    if series.empty or series.groupby("unique_id").size().min() < 56:
        return pd.DataFrame(columns=["metric", "week", "yhat", "lo_80", "hi_80", "lo_95",
                                     "hi_95"])
    # through the end of the last whole week ahead
    horizon = weeks * 7 + (6 - as_of.weekday())
    forecaster = AutoForecaster(horizon, freq="D", season_length=7, n_windows=2)
    daily = forecaster.fit(series).predict()
    daily["week"] = daily["ds"] - pd.to_timedelta(daily["ds"].dt.weekday, unit="D")
    value_cols = ["yhat", "lo_80", "hi_80", "lo_95", "hi_95"]
    weekly = daily.groupby(["unique_id", "week"], as_index=False)[value_cols].sum()
    first_full = pd.Timestamp(as_of) + pd.Timedelta(days=7 - as_of.weekday())
    weekly = weekly[weekly["week"] >= first_full] if as_of.weekday() != 6 else weekly
    return weekly.rename(columns={"unique_id": "metric"}).reset_index(drop=True)


def planned_purchases(warehouse: Warehouse) -> pd.DataFrame:
    """Purchases of the latest replenishment plan by Monday week of their order-by date:
    ``week, purchases, plan_id, status``. Empty when no plan was made."""
    rows = warehouse.query_df(
        """WITH latest AS (SELECT plan_id, status FROM replenishment_plans
                           ORDER BY created_at DESC LIMIT 1)
           SELECT CAST(date_trunc('week', l.order_by) AS DATE) AS week,
                  sum(l.order_value) AS purchases, any_value(p.plan_id) AS plan_id,
                  any_value(p.status) AS status
           FROM plan_lines l JOIN latest p USING (plan_id)
           WHERE l.suggested_qty > 0 AND l.order_by IS NOT NULL
           GROUP BY 1 ORDER BY 1""")
    rows["week"] = pd.to_datetime(rows["week"])
    return rows


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
