"""Anomalies in daily metrics: a robust seasonal baseline, and an alert with its likely drivers.

The rule is the one of R's ``forecast::tsoutliers`` (Hyndman): decompose the series with a
robust STL (statsforecast's MSTL, weekly season), and flag a day whose remainder lies more than
``threshold`` (3) interquartile ranges outside the remainders' quartiles. Robust fitting and
quartiles keep one big spike from hiding itself, or from leaking into the same weekday of the
neighbouring weeks. Every alert says how big it is, the range that was expected, and which
categories, channels and countries moved most that day against their own same-weekday average
of the four weeks before.

An alert is only raised where it can mean something, and what cannot be judged is said:

* a metric with no value in the period (no cost data for a margin, a zero denominator) is a
  ``cannot_compute`` finding with the reason, not an anomaly;
* a value no real store can have (a margin outside −100%…100%, a negative refund rate) is an
  ``implausible`` finding: a data problem to fix, left out of the baseline;
* a metric with under four weeks of values before the period is not judged
  (``short_history``);
* an expected range narrower than ``MIN_BAND`` of the series' usual level ("100%–100%") flags
  nothing: rounding noise is not news.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from shopkeeper import metrics
from shopkeeper.finance.statements import Period, one_money
from shopkeeper.store import Warehouse

DAILY_METRICS = ("net_revenue", "orders", "refund_rate", "gross_margin")
DRIVER_DIMENSIONS = ("category", "channel", "country")
DEFAULT_THRESHOLD = 3.0
DEFAULT_HISTORY_DAYS = 365
SEASON = 7
MIN_HISTORY = 4 * SEASON
MIN_BAND = 0.01
# values outside these bounds are a data problem (costs, refunds or quantities), not news
PLAUSIBLE: dict[str, tuple[float, float]] = {
    "gross_margin": (-1.0, 1.0), "costed_margin": (-1.0, 1.0),
    "contribution_rate": (-math.inf, 1.0), "cost_coverage": (0.0, 1.0),
    "refund_rate": (0.0, math.inf), "orders": (0.0, math.inf), "units": (0.0, math.inf),
    "customers": (0.0, math.inf), "gmv": (0.0, math.inf),
}
# what each ratio is divided by, for "cannot be computed: <why>"
_DENOMINATOR = {"gross_margin": "net_revenue", "contribution_rate": "net_revenue",
                "refund_rate": "gmv", "costed_margin": "gmv", "repeat_purchase_rate": "orders",
                "aov": "orders"}


@dataclass
class Alert:
    """One anomalous day of one metric."""

    metric: str
    day: dt.date
    actual: float
    expected: float
    low: float
    high: float
    drivers: list[dict] = field(default_factory=list)

    @property
    def size(self) -> float:
        """Actual minus expected, in the metric's unit."""
        return self.actual - self.expected

    @property
    def direction(self) -> str:
        return "up" if self.actual > self.expected else "down"


@dataclass
class Finding:
    """A metric the anomaly check could not judge, and why. ``kind``: ``cannot_compute`` (no
    value in the period), ``implausible`` (values no store can have, on ``days``: a data
    problem) or ``short_history`` (too few days before the period for a baseline)."""

    metric: str
    kind: str
    reason_en: str
    reason_zh: str
    days: list[dt.date] = field(default_factory=list)
    values: list[float] = field(default_factory=list)


@dataclass
class AnomalyCheck:
    """The alerts, and the findings on what could not be judged."""

    alerts: list[Alert]
    findings: list[Finding]


def detect_series_anomalies(
    df: pd.DataFrame, *, threshold: float = DEFAULT_THRESHOLD, season_length: int = SEASON
) -> pd.DataFrame:
    """Flag outliers in long-format series (``unique_id, ds, y``, complete daily rows).

    Returns the rows with ``expected`` (the baseline plus the median remainder), ``low``,
    ``high`` (the band outside which a day is an anomaly) and ``anomaly``. Series shorter
    than four seasons are returned unflagged: there is no baseline to judge them by.
    """
    from statsforecast import StatsForecast
    from statsforecast.models import MSTL

    df = df.sort_values(["unique_id", "ds"]).reset_index(drop=True)
    lengths = df.groupby("unique_id")["y"].transform("size")
    long_enough = df[lengths >= max(MIN_HISTORY, 2 * season_length)]
    out = df.assign(expected=np.nan, low=np.nan, high=np.nan, anomaly=False)
    if long_enough.empty:
        return out
    # a robust STL, so the spike being looked for does not leak into the weekly pattern
    sf = StatsForecast(models=[MSTL(season_length=season_length, stl_kwargs={"robust": True})],
                       freq="D")
    sf.forecast(df=long_enough[["unique_id", "ds", "y"]], h=1, fitted=True)
    fitted = sf.forecast_fitted_values()[["unique_id", "ds", "MSTL"]]
    fitted = fitted.rename(columns={"MSTL": "fit"})
    merged = out.merge(fitted, on=["unique_id", "ds"], how="left")
    resid = (merged["y"] - merged["fit"]).groupby(merged["unique_id"])
    q1, q3 = resid.transform(lambda r: r.quantile(0.25)), resid.transform(lambda r: r.quantile(0.75))
    spread = q3 - q1
    merged["expected"] = merged["fit"] + (q1 + q3) / 2
    merged["low"] = merged["fit"] + q1 - threshold * spread
    merged["high"] = merged["fit"] + q3 + threshold * spread
    # a band narrower than MIN_BAND of the usual level ("expected 100%–100%") is no baseline
    band = merged["high"] - merged["low"]
    level = merged["y"].abs().groupby(merged["unique_id"]).transform("median")
    meaningful = band.gt(0) & band.ge(MIN_BAND * level)
    merged["anomaly"] = merged["fit"].notna() & meaningful & (
        (merged["y"] > merged["high"]) | (merged["y"] < merged["low"]))
    return merged.drop(columns="fit")


def daily_metric_series(warehouse: Warehouse, names: tuple[str, ...], start: dt.date,
                        end: dt.date, money: metrics.Money | None = None) -> pd.DataFrame:
    """Long-format daily values of ``names`` from the first active day; days without sales
    are 0 for amounts and counts and left out for ratios (a rate of nothing is not a low
    rate). ``money``: which currency, when the store has several."""
    df = metrics.query(warehouse, list(names), by="day", start=start, end=end,
                       money=one_money(warehouse, money)).df
    if df.empty:
        return pd.DataFrame({"unique_id": pd.Series(dtype=str),
                             "ds": pd.Series(dtype="datetime64[ns]"),
                             "y": pd.Series(dtype=float)})
    # from the first day with any activity: the days before the store existed are not zeros
    days = pd.date_range(max(pd.Timestamp(start), df["day"].min()), end, freq="D")
    frames = []
    for name in names:
        s = df.set_index("day")[name].reindex(days)
        if metrics.METRICS[name].unit != "ratio":
            s = s.fillna(0.0)
        frames.append(pd.DataFrame({"unique_id": name, "ds": days, "y": s.to_numpy()}))
    return pd.concat(frames, ignore_index=True)


def detect_anomalies(
    warehouse: Warehouse,
    start: dt.date | str,
    end: dt.date | str,
    *,
    names: tuple[str, ...] = DAILY_METRICS,
    threshold: float = DEFAULT_THRESHOLD,
    history_days: int = DEFAULT_HISTORY_DAYS,
    drivers: int = 3,
    money: metrics.Money | None = None,
) -> list[Alert]:
    """Alerts for days ``start``..``end``; see :func:`check_anomalies` (which also says what
    could not be judged)."""
    return check_anomalies(warehouse, start, end, names=names, threshold=threshold,
                           history_days=history_days, drivers=drivers, money=money).alerts


def check_anomalies(
    warehouse: Warehouse,
    start: dt.date | str,
    end: dt.date | str,
    *,
    names: tuple[str, ...] = DAILY_METRICS,
    threshold: float = DEFAULT_THRESHOLD,
    history_days: int = DEFAULT_HISTORY_DAYS,
    drivers: int = 3,
    money: metrics.Money | None = None,
) -> AnomalyCheck:
    """Alerts for days ``start``..``end``, judged against ``history_days`` of baseline before
    ``end``; each with up to ``drivers`` groups per dimension that moved most that day. A
    metric that cannot be computed, has implausible values or too short a history gives a
    :class:`Finding` instead."""
    start, end = pd.Timestamp(str(start)).date(), pd.Timestamp(str(end)).date()
    money = one_money(warehouse, money)
    first = end - dt.timedelta(days=history_days - 1)
    series = daily_metric_series(warehouse, names, min(first, start), end, money)
    judged, findings = [], []
    for name in names:
        s = series[series["unique_id"] == name]
        in_period = (s["ds"].dt.date >= start) & (s["ds"].dt.date <= end)
        if not s.loc[in_period, "y"].notna().any():
            findings.append(_cannot_compute(warehouse, name, start, end, money))
            continue
        low, high = PLAUSIBLE.get(name, (-math.inf, math.inf))
        wrong = s["y"].notna() & ((s["y"] < low) | (s["y"] > high))
        if (wrong & in_period).any():
            findings.append(_implausible(name, s[wrong & in_period], low, high))
        # ratios skip days without sales; the baseline runs over the days that have a value
        s = s.assign(y=s["y"].where(~wrong)).dropna(subset=["y"])
        history = int((s["ds"].dt.date < start).sum())
        if history < MIN_HISTORY:
            findings.append(Finding(
                name, "short_history",
                f"not judged: {history} days with a value before {start}; a baseline needs "
                f"{MIN_HISTORY}",
                f"未判断：{start} 之前只有 {history} 天有数据，建立基线至少需要 {MIN_HISTORY} 天"))
            continue
        s = s.assign(ds=pd.date_range(s["ds"].min(), periods=len(s), freq="D"), real_ds=s["ds"])
        flagged = detect_series_anomalies(s[["unique_id", "ds", "y"]], threshold=threshold)
        judged.append(flagged.assign(ds=s["real_ds"].to_numpy()))
    if not judged:
        return AnomalyCheck([], findings)
    found = pd.concat(judged)
    found = found[found["anomaly"] & (found["ds"].dt.date >= start) & (found["ds"].dt.date <= end)]
    alerts = []
    for r in found.itertuples():  # the range within what the metric can be (no −4 orders)
        low, high = PLAUSIBLE.get(str(r.unique_id), (-math.inf, math.inf))
        alerts.append(Alert(str(r.unique_id), r.ds.date(), float(r.y),
                            float(np.clip(r.expected, low, high)), float(np.clip(r.low, low, high)),
                            float(np.clip(r.high, low, high))))
    by_metric: dict[str, list[Alert]] = {}
    for alert in alerts:
        by_metric.setdefault(alert.metric, []).append(alert)
    for metric, group in by_metric.items():  # one query per metric and dimension
        tables = _driver_tables(warehouse, metric, [a.day for a in group], money)
        for alert in group:
            alert.drivers = likely_drivers(warehouse, alert, n=drivers, tables=tables,
                                           money=money)
    return AnomalyCheck(sorted(alerts, key=lambda a: (a.day, a.metric)), findings)


def _cannot_compute(warehouse: Warehouse, name: str, start: dt.date, end: dt.date,
                    money: metrics.Money | None) -> Finding:
    """Why ``name`` has no value from ``start`` to ``end``: no cost data, no sales, or a zero
    denominator."""
    row = metrics.query(warehouse, ["gmv", "net_revenue", "orders", "cost_coverage"],
                        start=start, end=end, money=money).df.iloc[0]
    m = metrics.METRICS[name]
    if not row["gmv"] and not row["orders"]:
        en, zh = "there are no sales in the period", "本期没有销售"
    elif name in ("gross_margin", "contribution_rate") and not row["cost_coverage"] >= 1:
        share = float(row["cost_coverage"]) if pd.notna(row["cost_coverage"]) else 0.0
        en = (f"cost is known for only {share:.1%} of sales; load unit costs (products.unit_cost "
              f"or sku_suppliers) to compute it")
        zh = (f"仅 {share:.1%} 的销售额有成本数据；请导入商品成本（products.unit_cost 或 "
              f"sku_suppliers）")
    elif name in _DENOMINATOR:
        d = metrics.METRICS[_DENOMINATOR[name]]
        en, zh = f"its denominator, {d.label_en}, is zero", f"分母（{d.label_zh}）为零"
    else:
        en, zh = "no value in the period", "本期没有数值"
    return Finding(name, "cannot_compute", f"{m.label_en} cannot be computed: {en}",
                   f"{m.label_zh}无法计算：{zh}")


def _implausible(name: str, rows: pd.DataFrame, low: float, high: float) -> Finding:
    """Days whose value no real store can have: a data problem, stated as one."""
    m = metrics.METRICS[name]
    unit = m.unit

    def show(v: float) -> str:
        if math.isinf(v):
            return "∞" if v > 0 else "−∞"
        return f"{v:.0%}" if unit == "ratio" else f"{v:,.2f}"

    days = [d.date() for d in rows["ds"]]
    values = [float(v) for v in rows["y"]]
    worst = max(values, key=lambda v: max(v - high, low - v))
    span = f"{show(low)}…{show(high)}"
    en = (f"{m.label_en} is {show(worst)} on {days[values.index(worst)]}"
          + (f" ({len(days)} days in all)" if len(days) > 1 else "")
          + f", outside {span}: a data problem (check costs, refunds and quantities), "
          "not an anomaly")
    zh = (f"{m.label_zh}在 {days[values.index(worst)]} 为 {show(worst)}"
          + (f"（共 {len(days)} 天）" if len(days) > 1 else "")
          + f"，超出 {span}：这是数据问题（请检查成本、退款和数量），不是经营异常")
    return Finding(name, "implausible", en, zh, days, values)


def _driver_tables(warehouse: Warehouse, metric: str, days: list[dt.date],
                   money: metrics.Money | None = None) -> dict[str, pd.DataFrame]:
    """Per driver dimension: ``metric`` by group (rows) and day (columns), covering the four
    weeks before each of ``days``; dimensions with one group (or none) are left out."""
    start = min(days) - dt.timedelta(weeks=4)
    out = {}
    for dim in DRIVER_DIMENSIONS:
        result = metrics.query(warehouse, metric, by=[dim, "day"], start=start, end=max(days),
                               money=one_money(warehouse, money))
        if metric in result.unavailable:
            continue
        df = result.df.pivot_table(index=dim, columns="day", values=metric, aggfunc="sum")
        if len(df) < 2:  # one category or one channel explains nothing
            continue
        df.columns = [c.date() for c in df.columns]
        if metrics.METRICS[metric].unit != "ratio":  # no sales is 0, not unknown
            df = df.fillna(0.0)
        out[dim] = df
    return out


def likely_drivers(warehouse: Warehouse, alert: Alert, n: int = 3,
                   tables: dict[str, pd.DataFrame] | None = None,
                   money: metrics.Money | None = None) -> list[dict]:
    """Groups whose value that day moved most, in the alert's direction, against their own
    average on the same weekday of the four weeks before. ``tables`` (from one query for many
    alerts of a metric) saves querying again."""
    if tables is None:
        tables = _driver_tables(warehouse, alert.metric, [alert.day], money)
    day = pd.Timestamp(alert.day)
    weeks_before = [(day - pd.Timedelta(weeks=k)).date() for k in range(1, 5)]
    out = []
    for dim, df in tables.items():
        fill = 0.0 if metrics.METRICS[alert.metric].unit != "ratio" else np.nan
        today = df.get(alert.day, pd.Series(fill, index=df.index))
        usual = df.reindex(columns=weeks_before, fill_value=fill).mean(axis=1)
        moved = (today - usual).dropna().sort_values(ascending=alert.direction == "down")
        moved = moved[moved > 0] if alert.direction == "up" else moved[moved < 0]
        out += [{"dimension": dim, "group": str(g), "actual": float(today[g]),
                 "usual": float(usual[g]), "change": float(c)}
                for g, c in moved.head(n).items()]
    return out


def sku_anomalies(
    warehouse: Warehouse,
    period: Period,
    *,
    periods: int = 8,
    threshold: float = 3.5,
    min_units: float = 5.0,
    money: metrics.Money | None = None,
) -> pd.DataFrame:
    """SKUs whose units sold in ``period`` are out of line with their own recent past.

    The past is the ``periods`` weeks, months or quarters just before; a SKU is flagged by the
    Hampel rule: more than ``threshold`` robust standard deviations (1.4826 × MAD, at least the
    Poisson spread √median) from its median, and by at least half of it. Only established SKUs
    (sold in three of four past periods) are judged, and SKUs selling under ``min_units`` both
    now and usually are left out. Returns ``sku, actual, expected, low, high, z`` by |z|.
    ``money``: judge only the sales in its currency (a report of one currency).
    """
    step = {"week": pd.DateOffset(weeks=1), "month": pd.DateOffset(months=1),
            "quarter": pd.DateOffset(months=3)}[period.kind]
    first = (pd.Timestamp(period.start) - periods * step).date()
    df = metrics.query(warehouse, "units", by=["sku", period.kind], start=first,
                       end=period.end, money=money).df
    columns = ["sku", "actual", "expected", "low", "high", "z"]
    if df.empty:
        return pd.DataFrame(columns=columns)
    buckets = [(pd.Timestamp(period.start) - k * step) for k in range(periods + 1)]
    per = df.pivot_table(index="sku", columns=period.kind, values="units", aggfunc="sum",
                         fill_value=0.0).reindex(columns=buckets, fill_value=0.0)
    now, past = per[buckets[0]], per[buckets[1:]]
    median = past.median(axis=1)
    spread = np.maximum(1.4826 * past.sub(median, axis=0).abs().median(axis=1),
                        np.sqrt(median.clip(lower=1.0)))
    out = pd.DataFrame({"sku": per.index, "actual": now.to_numpy(),
                        "expected": median.to_numpy(),
                        "low": (median - threshold * spread).clip(lower=0).to_numpy(),
                        "high": (median + threshold * spread).to_numpy(),
                        "z": ((now - median) / spread).to_numpy()})
    busy = (out["actual"] >= min_units) | (out["expected"] >= min_units)
    # a new or seasonal SKU has no usual level to leave: judge only SKUs that sold in at least
    # three in four of the past periods, and only changes of at least half their usual level
    established = ((past > 0).sum(axis=1) >= 0.75 * periods).to_numpy()
    material = (out["actual"] - out["expected"]).abs() >= 0.5 * out["expected"]
    flagged = out[busy & established & material & (out["z"].abs() > threshold)]
    return flagged.reindex(flagged["z"].abs().sort_values(ascending=False).index).reset_index(
        drop=True)[columns]
