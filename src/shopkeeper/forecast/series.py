"""Demand series from the warehouse, in the long format ``unique_id, ds, y``.

Demand is units ordered (cancelled orders excluded), per day in the store's time zone. Every
series is filled explicitly from its first sale to the cut-off date, so a day with no row is a
day with zero sales, never a missing day. Days on which the SKU was out of stock are *not* zero
demand: their sales are censored, so they are replaced by the SKU's recent in-stock rate and
flagged in ``stockout_days``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from shopkeeper.errors import ShopkeeperError
from shopkeeper.store import Warehouse

LEVELS = ("sku", "sku_channel", "category", "total")
# pandas offset used by statsforecast/mlforecast, DuckDB date_trunc unit, season length
FREQS: dict[str, tuple[str, str, int]] = {
    "D": ("D", "day", 7),
    "W": ("W-MON", "week", 52),
    "M": ("MS", "month", 12),
}
STOCKOUT_WINDOW_DAYS = 28
TOTAL_ID = "total"


class ForecastError(ShopkeeperError, ValueError):
    """The warehouse has no demand to forecast, or the request is invalid."""


@dataclass(frozen=True)
class DemandSeries:
    """Long-format demand plus what it was built from.

    ``df`` has ``unique_id, ds, y, stockout_days``: ``y`` is demand (censored days imputed),
    ``stockout_days`` how many days of the period the SKU was out of stock. ``categories`` maps a
    SKU to its category (for the hierarchy).
    """

    df: pd.DataFrame
    level: str
    freq: str
    cutoff: dt.date
    categories: dict[str, str]

    @property
    def pandas_freq(self) -> str:
        return FREQS[self.freq][0]

    @property
    def season_length(self) -> int:
        return FREQS[self.freq][2]

    @property
    def n_series(self) -> int:
        return int(self.df["unique_id"].nunique())


def check_level_freq(level: str, freq: str) -> None:
    if level not in LEVELS:
        raise ForecastError(f"unknown level {level!r}; choose one of {', '.join(LEVELS)}")
    if freq not in FREQS:
        raise ForecastError(f"unknown frequency {freq!r}; choose one of {', '.join(FREQS)}")


def build_series(
    warehouse: Warehouse,
    *,
    level: str = "sku",
    freq: str = "D",
    cutoff: dt.date | str | None = None,
    history_days: int | None = None,
    products: list[str] | None = None,
    handle_stockouts: bool = True,
) -> DemandSeries:
    """Build demand series at ``level`` and ``freq`` from orders up to ``cutoff`` (inclusive).

    ``cutoff`` defaults to the last order date. ``history_days`` keeps only the most recent
    days. Weekly and monthly series keep complete periods only: a period that the cut-off cuts
    short would look like a demand drop.
    """
    check_level_freq(level, freq)
    daily = _daily_sku_demand(warehouse, cutoff, history_days, products)
    if daily.empty:
        raise ForecastError(
            "no sales to forecast: the warehouse has no order lines"
            + (" before the cut-off" if cutoff else "")
            + "; load orders first (shopkeeper ingest …)"
        )
    end = daily["ds"].max() if cutoff is None else pd.Timestamp(cutoff)
    daily = _fill_gaps(daily, end)
    if handle_stockouts:
        daily = _impute_stockouts(daily, _stockout_days(warehouse, end))
    else:
        daily["stockout_days"] = 0
    categories = dict(
        daily[["product_id", "category"]].drop_duplicates("product_id").itertuples(index=False)
    )
    daily["unique_id"] = _level_id(daily, level)
    trunc = FREQS[freq][1]
    if trunc != "day":
        daily["ds"] = daily["ds"].dt.to_period("W-SUN" if trunc == "week" else "M").dt.start_time
    df = (
        daily.groupby(["unique_id", "ds"], sort=True, observed=True)
        .agg(y=("y", "sum"), stockout_days=("stockout_days", "sum"))
        .reset_index()
    )
    if trunc != "day":
        df = _drop_incomplete_last_period(df, end, freq)
    df = df[["unique_id", "ds", "y", "stockout_days"]].reset_index(drop=True)
    return DemandSeries(df, level, freq, end.date(), categories)


def _daily_sku_demand(
    warehouse: Warehouse,
    cutoff: dt.date | str | None,
    history_days: int | None,
    products: list[str] | None,
) -> pd.DataFrame:
    where = ["coalesce(o.status, '') <> 'cancelled'"]
    params: list = []
    if cutoff is not None:
        where.append("CAST(o.ordered_at AS DATE) <= CAST(? AS DATE)")
        params.append(str(cutoff))
    if products:
        where.append("l.product_id IN (SELECT unnest(?))")
        params.append(list(products))
    # a cancelled line is not demand: net line-level cancellations out on the day they happen
    sql = f"""
        WITH lines AS (
            SELECT l.product_id, coalesce(o.channel, 'unknown') AS channel,
                   CAST(o.ordered_at AS DATE) AS ds, sum(l.quantity) AS y
            FROM order_lines l JOIN orders o USING (order_id)
            WHERE {' AND '.join(where)}
            GROUP BY ALL),
        cancelled AS (
            SELECT r.product_id, coalesce(o.channel, 'unknown') AS channel,
                   CAST(r.refunded_at AS DATE) AS ds, sum(r.quantity) AS q
            FROM refunds r LEFT JOIN orders o USING (order_id)
            WHERE r.kind = 'cancellation' AND r.product_id IS NOT NULL
              AND r.quantity IS NOT NULL
            GROUP BY ALL)
        SELECT lines.product_id, lines.channel, lines.ds,
               greatest(lines.y - coalesce(cancelled.q, 0), 0) AS y,
               coalesce(p.category, 'uncategorised') AS category
        FROM lines LEFT JOIN cancelled USING (product_id, channel, ds)
             LEFT JOIN products p USING (product_id)"""
    df = warehouse.query_df(sql, params)
    if df.empty:
        return df
    df["ds"] = pd.to_datetime(df["ds"])
    df["y"] = df["y"].astype("float64")
    if history_days:
        start = (pd.Timestamp(cutoff) if cutoff else df["ds"].max()) - pd.Timedelta(
            days=history_days - 1
        )
        df = df[df["ds"] >= start]
    return df


def _fill_gaps(daily: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    """One row per product, channel and day from the first sale to ``end``; no sale = 0."""
    first = daily.groupby(["product_id", "channel"], sort=True)["ds"].min()
    lengths = ((end - first).dt.days + 1).to_numpy()
    keys = first.index.to_frame(index=False)
    grid = keys.loc[keys.index.repeat(lengths)].reset_index(drop=True)
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    grid["ds"] = np.repeat(first.to_numpy(), lengths) + pd.to_timedelta(offsets, unit="D")
    sales = daily.groupby(["product_id", "channel", "ds"], sort=False)["y"].sum()
    grid = grid.join(sales, on=["product_id", "channel", "ds"])
    grid["y"] = grid["y"].fillna(0.0)
    cats = daily.drop_duplicates("product_id").set_index("product_id")["category"]
    grid["category"] = grid["product_id"].map(cats)
    return grid


def _stockout_days(warehouse: Warehouse, end: pd.Timestamp) -> pd.DataFrame:
    """(product_id, ds) of days whose last stock count, over all locations, was zero."""
    return warehouse.query_df(
        """
        WITH last_count AS (
            SELECT product_id, location, CAST(snapshot_at AS DATE) AS ds,
                   arg_max(on_hand, snapshot_at) AS on_hand
            FROM inventory_snapshots WHERE CAST(snapshot_at AS DATE) <= CAST(? AS DATE)
            GROUP BY ALL)
        SELECT product_id, ds FROM last_count GROUP BY ALL HAVING sum(on_hand) <= 0""",
        [str(end.date())],
    )


def _impute_stockouts(daily: pd.DataFrame, stockouts: pd.DataFrame) -> pd.DataFrame:
    daily["stockout_days"] = 0
    if stockouts.empty:
        return daily
    stockouts["ds"] = pd.to_datetime(stockouts["ds"])
    flagged = pd.MultiIndex.from_frame(stockouts[["product_id", "ds"]])
    out = pd.MultiIndex.from_frame(daily[["product_id", "ds"]]).isin(flagged)
    if not out.any():
        return daily
    daily = daily.sort_values(["product_id", "channel", "ds"]).reset_index(drop=True)
    out = pd.MultiIndex.from_frame(daily[["product_id", "ds"]]).isin(flagged)
    in_stock = daily["y"].where(~out)
    rate = (
        in_stock.groupby([daily["product_id"], daily["channel"]])
        .transform(lambda s: s.shift().rolling(STOCKOUT_WINDOW_DAYS, min_periods=1).mean())
        .groupby([daily["product_id"], daily["channel"]])
        .ffill()
        .fillna(0.0)
    )
    daily.loc[out, "y"] = np.maximum(daily.loc[out, "y"], rate[out])
    daily["stockout_days"] = out.astype(int)
    return daily


def _level_id(daily: pd.DataFrame, level: str) -> pd.Series:
    if level == "sku":
        return daily["product_id"]
    if level == "sku_channel":
        return daily["product_id"] + " @ " + daily["channel"]
    if level == "category":
        return daily["category"]
    return pd.Series(TOTAL_ID, index=daily.index)


def _drop_incomplete_last_period(df: pd.DataFrame, end: pd.Timestamp, freq: str) -> pd.DataFrame:
    offset = pd.tseries.frequencies.to_offset(FREQS[freq][0])
    last_start = df["ds"].max()
    if last_start + offset - pd.Timedelta(days=1) > end:
        df = df[df["ds"] < last_start]
    return df


def closed_weekdays(warehouse: Warehouse, cutoff: dt.date, share: float = 0.9) -> list[int]:
    """Weekdays (Monday = 0) on which the whole store took no order on at least ``share`` of
    the dates up to ``cutoff``: days it is closed, like Saturdays in UCI Online Retail."""
    rows = warehouse.query_df(
        """SELECT CAST(ordered_at AS DATE) AS ds, count(*) AS n FROM orders
           WHERE coalesce(status, '') <> 'cancelled' AND CAST(ordered_at AS DATE) <= CAST(? AS DATE)
           GROUP BY 1""",
        [str(cutoff)],
    )
    if rows.empty:
        return []
    days = pd.to_datetime(rows["ds"])
    calendar = pd.date_range(days.min(), days.max())
    open_days = pd.Series(calendar.isin(days), index=calendar)
    zero_share = (~open_days).groupby(calendar.dayofweek).mean()
    return sorted(int(d) for d in zero_share.index[zero_share >= share])


def apply_closed_weekdays(forecasts: pd.DataFrame, closed: list[int]) -> pd.DataFrame:
    """Move each series' forecast demand off closed weekdays onto its open days.

    Models that know the weekday already forecast about zero there; flat ones (the
    intermittent family) spread the weekly demand over all seven days. Either way the closed
    days become zero and the open days of the series are scaled so its total is unchanged.
    """
    if not closed or len(closed) >= 7:
        return forecasts
    out = forecasts.copy()
    shut = out["ds"].dt.dayofweek.isin(closed)
    total = out.groupby("unique_id")["yhat"].transform("sum")
    open_total = out["yhat"].where(~shut, 0.0).groupby(out["unique_id"]).transform("sum")
    factor = np.where(open_total > 0, total / open_total.where(open_total > 0, 1.0), 1.0)
    for col in [c for c in out.columns if c == "yhat" or c.startswith(("lo_", "hi_"))]:
        out[col] = np.where(shut, 0.0, out[col] * factor)
    return out
