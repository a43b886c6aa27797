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
# a weekday is judged closed only after it has been seen this many times
CLOSED_MIN_WEEKS = 4
GRID_ROWS_PER_BATCH = 2_000_000
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
    short would look like a demand drop. The filling, imputing and summing run in DuckDB, so
    10,000 SKUs × 2 years never become a per-day Python frame before the final one.
    """
    query = series_query(warehouse, level=level, freq=freq, cutoff=cutoff,
                         history_days=history_days, products=products,
                         handle_stockouts=handle_stockouts)
    frames = [warehouse.query_df(query.sql, params) for params in query.batches]
    warehouse.release_memory()  # the forecast that follows needs it more than DuckDB's cache
    df = pd.concat(frames, ignore_index=True)
    if len(query.batches) > 1:
        df = df.groupby(["unique_id", "ds"], as_index=False, sort=True)[["y", "stockout_days"]].sum()
    df = finish_series(df, query.end, freq)
    return DemandSeries(df.reset_index(drop=True), level, freq, query.end.date(),
                        series_categories(warehouse))


@dataclass(frozen=True)
class SeriesQuery:
    """The statement that builds the series, once per batch of parameters, and its cut-off."""

    sql: str
    batches: list[list]
    end: pd.Timestamp


def series_query(
    warehouse: Warehouse,
    *,
    level: str = "sku",
    freq: str = "D",
    cutoff: dt.date | str | None = None,
    history_days: int | None = None,
    products: list[str] | None = None,
    handle_stockouts: bool = True,
) -> SeriesQuery:
    """The series statement for ``warehouse``'s engine (see :func:`build_series`); clear
    errors when there is nothing to forecast."""
    check_level_freq(level, freq)
    filters, params = ["coalesce(o.status, '') <> 'cancelled'"], []
    if cutoff is not None:
        filters.append("CAST(o.ordered_at AS DATE) <= CAST(? AS DATE)")
        params.append(str(cutoff))
    if products:
        filters.append("l.product_id IN (SELECT unnest(?))")
        params.append(list(products))
    where = " AND ".join(filters)
    last, keys, first = warehouse.query(
        f"SELECT max(CAST(o.ordered_at AS DATE)), count(DISTINCT (l.product_id, CAST("
        f"{'o.channel' if level == 'sku_channel' else 'NULL'} AS VARCHAR))), "
        f"min(CAST(o.ordered_at AS DATE)) FROM order_lines l JOIN orders o "
        f"USING (order_id) WHERE {where}",
        params,
    )[0]
    if last is None and products:
        raise ForecastError(
            f"no sales of {', '.join(products)}"
            + (f" up to {cutoff}" if cutoff is not None else "")
            + ": check the SKU id (shopkeeper sql \"SELECT product_id FROM products\")"
        )
    if last is None:
        raise ForecastError(
            "no sales to forecast: the warehouse has no order lines"
            + (" before the cut-off" if cutoff is not None else "")
            + "; load orders first (shopkeeper ingest …)"
        )
    end = pd.Timestamp(cutoff if cutoff is not None else last)
    start = end - pd.Timedelta(days=history_days - 1) if history_days else None
    unit = FREQS[freq][1]
    days = (end - max(pd.Timestamp(first), start if start is not None else pd.Timestamp(first))).days
    # the SKU-day grid is the statement's working set: past a few million rows DuckDB needs
    # more than its default memory limit, so large stores run as SKU batches
    batches = max(1, -(-keys * (days + 1) // GRID_ROWS_PER_BATCH)) if warehouse.batched_scans else 1
    sql = _series_sql(where, level, unit, start is not None, handle_stockouts, batches > 1)
    return SeriesQuery(sql, [
        [*params, *([batches, batch] if batches > 1 else []),
         *([str(start.date())] if start is not None else []), str(end.date()), str(end.date())]
        for batch in range(batches)], end)


def finish_series(df: pd.DataFrame, end: pd.Timestamp, freq: str) -> pd.DataFrame:
    """The statement's rows as the forecaster takes them: typed, and for weeks and months
    without the period the cut-off cuts short. Applies to any subset of whole series (every
    series runs to the cut-off), so a cluster can finish each partition on its own."""
    df["ds"] = pd.to_datetime(df["ds"]).astype("datetime64[us]")  # as DuckDB gives dates
    df["y"] = df["y"].astype("float64")
    df["stockout_days"] = df["stockout_days"].astype("int64")
    if freq != "D":
        df = _drop_incomplete_last_period(df, end, freq)
        if df.empty:
            unit = FREQS[freq][1]
            raise ForecastError(
                f"no complete {unit} of sales up to {end.date()}: the history is shorter than "
                f"one {unit}; forecast by day (--freq D) or wait for more sales"
            )
    return df


def series_categories(warehouse: Warehouse) -> dict[str, str]:
    """Each SKU's category (``uncategorised`` without one)."""
    return dict(warehouse.query(
        "SELECT product_id, coalesce(category, 'uncategorised') FROM products"))


def _series_sql(
    where: str, level: str, unit: str, since: bool, stockouts: bool, batched: bool = False
) -> str:
    """One statement: daily SKU × channel demand, gaps filled, stock-outs imputed, summed.

    ``batched`` adds two parameters (batch count, batch number) that keep one hash-slice of the
    SKUs.
    """
    level_id = {
        "sku": "product_id",
        "sku_channel": "product_id || ' @ ' || channel",
        "category": "coalesce(p.category, 'uncategorised')",
        "total": f"'{TOTAL_ID}'",
    }[level]
    out_days = (
        """SELECT product_id, ds FROM (
               SELECT product_id, location, CAST(snapshot_at AS DATE) AS ds,
                      arg_max(on_hand, snapshot_at) AS on_hand
               FROM inventory_snapshots WHERE CAST(snapshot_at AS DATE) <= CAST(? AS DATE)
               GROUP BY ALL)
           GROUP BY ALL HAVING sum(on_hand) <= 0"""
        if stockouts
        else "SELECT NULL::VARCHAR AS product_id, NULL::DATE AS ds WHERE CAST(? AS DATE) IS NULL"
    )
    # only the SKU × channel level needs the channel split: everywhere else one row per SKU-day
    # keeps the day grid (and the memory DuckDB needs for it) a channel-count times smaller
    channel = "coalesce(o.channel, 'unknown')" if level == "sku_channel" else "'all'"
    # a cancelled line is not demand: net line-level cancellations out on the day they happen
    return f"""
        WITH lines AS (
            SELECT l.product_id, {channel} AS channel,
                   CAST(o.ordered_at AS DATE) AS ds, sum(l.quantity) AS y
            FROM order_lines l JOIN orders o USING (order_id)
            WHERE {where}{" AND hash(l.product_id) % ? = ?" if batched else ""}
            GROUP BY ALL),
        cancelled AS (
            SELECT r.product_id, {channel} AS channel,
                   CAST(r.refunded_at AS DATE) AS ds, sum(r.quantity) AS q
            FROM refunds r LEFT JOIN orders o USING (order_id)
            WHERE r.kind = 'cancellation' AND r.product_id IS NOT NULL
              AND r.quantity IS NOT NULL
            GROUP BY ALL),
        daily AS (
            SELECT product_id, channel, ds, greatest(y - coalesce(q, 0), 0) AS y
            FROM lines LEFT JOIN cancelled USING (product_id, channel, ds)
            {"WHERE ds >= CAST(? AS DATE)" if since else ""}),
        bounds AS (SELECT product_id, channel, min(ds) AS first FROM daily GROUP BY ALL),
        grid AS (
            SELECT product_id, channel,
                   CAST(unnest(generate_series(first, CAST(? AS DATE), INTERVAL 1 DAY)) AS DATE)
                       AS ds
            FROM bounds),
        out_days AS ({out_days}),
        filled AS (
            SELECT g.product_id, g.channel, g.ds, coalesce(d.y, 0) AS y,
                   o.product_id IS NOT NULL AS stockout
            FROM grid g LEFT JOIN daily d USING (product_id, channel, ds)
                 LEFT JOIN out_days o USING (product_id, ds)),
        censored AS (SELECT DISTINCT product_id FROM out_days),
        imputed AS (
            SELECT product_id, channel, ds, stockout, y FROM filled
            WHERE product_id NOT IN (SELECT product_id FROM censored)
            UNION ALL
            SELECT product_id, channel, ds, stockout,
                   CASE WHEN stockout THEN greatest(y, coalesce(
                        avg(CASE WHEN NOT stockout THEN y END) OVER recent, 0)) ELSE y END
            FROM filled WHERE product_id IN (SELECT product_id FROM censored)
            WINDOW recent AS (PARTITION BY product_id, channel ORDER BY ds
                              ROWS BETWEEN {STOCKOUT_WINDOW_DAYS} PRECEDING AND 1 PRECEDING))
        SELECT {level_id} AS unique_id, CAST(date_trunc('{unit}', ds) AS DATE) AS ds,
               sum(y) AS y, CAST(sum(CAST(stockout AS INTEGER)) AS BIGINT) AS stockout_days
        FROM imputed i LEFT JOIN products p USING (product_id)
        GROUP BY ALL ORDER BY unique_id, ds"""


def _drop_incomplete_last_period(df: pd.DataFrame, end: pd.Timestamp, freq: str) -> pd.DataFrame:
    offset = pd.tseries.frequencies.to_offset(FREQS[freq][0])
    last_start = df["ds"].max()
    if last_start + offset - pd.Timedelta(days=1) > end:
        df = df[df["ds"] < last_start]
    return df


def closed_weekdays(warehouse: Warehouse, cutoff: dt.date, share: float = 0.9) -> list[int]:
    """Weekdays (Monday = 0) on which the whole store took no order on at least ``share`` of
    the dates up to ``cutoff``: days it is closed, like Saturdays in UCI Online Retail.

    A weekday seen fewer than ``CLOSED_MIN_WEEKS`` times is not judged: one quiet Sunday in a
    store's first week does not close every Sunday to come."""
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
    by_weekday = (~open_days).groupby(calendar.dayofweek)
    zero_share = by_weekday.mean()[by_weekday.size() >= CLOSED_MIN_WEEKS]
    return sorted(int(d) for d in zero_share.index[zero_share >= share])


CALENDAR_FEATURES = ("closed", "holiday", "promotion")
# a closed day's sales are read as missing and filled with the mean of this many days before it
CLOSED_FILL_DAYS = 28


def store_calendar(warehouse: Warehouse, start: dt.date, end: dt.date) -> pd.DataFrame:
    """The merchant's calendar (table ``store_calendar``) for every day ``start``..``end``:
    ``ds`` and 0/1 columns ``closed``, ``holiday``, ``promotion``. Empty when no day in the
    range is marked (a store that loaded no calendar)."""
    rows = warehouse.query_df(
        """SELECT day AS ds, bool_or(coalesce(closed, false)) AS closed,
                  bool_or(coalesce(holiday, '') <> '') AS holiday,
                  bool_or(coalesce(promotion, '') <> '') AS promotion
           FROM store_calendar WHERE day BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)
           GROUP BY 1""", [str(start), str(end)])
    if rows.empty:
        return pd.DataFrame(columns=["ds", *CALENDAR_FEATURES])
    rows["ds"] = pd.to_datetime(rows["ds"])
    days = pd.DataFrame({"ds": pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq="D")})
    out = days.merge(rows, on="ds", how="left")
    for col in CALENDAR_FEATURES:
        out[col] = out[col].astype("boolean").fillna(False).astype("float64")
    return out


def fill_closed_days(df: pd.DataFrame, closed: pd.Series) -> tuple[pd.DataFrame, int]:
    """Sales on the days the store was closed are missing, not zero demand: each such day of
    a series gets the mean of its open days among the ``CLOSED_FILL_DAYS`` before it (0 for a
    series with none). Returns the filled frame and how many days of history were closed."""
    shut = df["ds"].isin(pd.DatetimeIndex(closed))
    if not shut.any():
        return df, 0
    out = df.sort_values(["unique_id", "ds"]).copy()
    shut = out["ds"].isin(pd.DatetimeIndex(closed))
    y = out["y"].where(~shut)
    before = y.groupby(out["unique_id"].to_numpy()).transform(
        lambda s: s.rolling(CLOSED_FILL_DAYS, min_periods=1).mean().shift(1))
    out["y"] = y.fillna(before).fillna(0.0)
    return out.reset_index(drop=True), int(out.loc[shut, "ds"].nunique())


def zero_closed_days(forecasts: pd.DataFrame, closed: pd.Series) -> pd.DataFrame:
    """A day the calendar marks closed sells nothing: forecast and interval are zero."""
    shut = forecasts["ds"].isin(pd.DatetimeIndex(closed))
    if not shut.any():
        return forecasts
    out = forecasts.copy()
    for col in [c for c in out.columns if c == "yhat" or c.startswith(("lo_", "hi_"))]:
        out.loc[shut, col] = 0.0
    return out


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
