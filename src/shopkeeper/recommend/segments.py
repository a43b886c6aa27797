"""Customer segments: RFM scores and named segments, BG/NBD + Gamma-Gamma lifetime value, churn
risk, and audiences exported for campaigns.

- **RFM**: recency (days since the last order), frequency (orders) and monetary value (net spend)
  as of a date, each scored 1–5 by quintile (5 best), and the usual named segments (champions,
  loyal, at risk, hibernating…) from the recency score and the mean of the frequency and monetary
  scores.
- **Lifetime value**: the BG/NBD model of repeat purchases (Fader, Hardie & Lee 2005) and the
  Gamma-Gamma model of order value, fitted with the ``lifetimes`` package on daily
  transactions. ``clv`` is the expected discounted spend over the horizon; ``p_alive`` the
  probability the customer is still active; ``churn_risk`` the probability of no purchase in
  the next 90 days.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from shopkeeper.errors import ShopkeeperError
from shopkeeper.store.exports import write_frame
from shopkeeper.store.warehouse import Warehouse

# (segment, recency scores, frequency-monetary scores), first match wins; after Putler's map
SEGMENT_RULES: tuple[tuple[str, tuple[int, ...], tuple[int, ...]], ...] = (
    ("champions", (5,), (4, 5)),
    ("loyal", (3, 4, 5), (3, 4, 5)),
    ("potential loyalists", (4, 5), (2, 3)),
    ("new customers", (5,), (1,)),
    ("promising", (4,), (1,)),
    ("need attention", (3,), (2,)),
    ("about to sleep", (3,), (1,)),
    ("cannot lose them", (1, 2), (5,)),
    ("at risk", (1, 2), (3, 4)),
    ("hibernating", (2,), (1, 2)),
    ("lost", (1,), (1, 2)),
)


class SegmentError(ShopkeeperError, ValueError):
    """Segments cannot be computed as asked."""


def customer_transactions(wh: Warehouse, *, as_of: datetime | None = None) -> pd.DataFrame:
    """One row per customer and order day: ``customer_id, day, amount`` (net of refunds and
    cancelled orders), up to ``as_of``."""
    where = "AND o.ordered_at <= ?" if as_of is not None else ""
    params = [as_of] if as_of is not None else []
    return wh.query_df(
        f"""WITH lines AS (
                SELECT order_id, sum(coalesce(line_amount, quantity * unit_price)) AS amount
                FROM order_lines GROUP BY order_id),
            refunded AS (SELECT order_id, sum(amount) AS amount FROM refunds
                         WHERE order_id IS NOT NULL GROUP BY order_id)
            SELECT o.customer_id, CAST(o.ordered_at AS DATE) AS day,
                   sum(coalesce(o.total_amount, l.amount, 0) - coalesce(r.amount, 0)) AS amount
            FROM orders o LEFT JOIN lines l USING (order_id) LEFT JOIN refunded r USING (order_id)
            WHERE o.customer_id IS NOT NULL AND coalesce(o.status, '') <> 'cancelled' {where}
            GROUP BY ALL ORDER BY 1, 2""",
        params,
    )


def rfm(transactions: pd.DataFrame, as_of: datetime | pd.Timestamp) -> pd.DataFrame:
    """RFM values, 1–5 scores and the named segment per customer."""
    if transactions.empty:
        raise SegmentError("no customer orders to segment (orders need a customer_id)")
    end = pd.Timestamp(as_of).tz_localize(None).normalize()
    day = pd.to_datetime(transactions["day"])
    grouped = transactions.assign(day=day).groupby("customer_id")
    out = pd.DataFrame(
        {
            "recency_days": (end - grouped["day"].max()).dt.days,
            "frequency": grouped["day"].nunique(),
            "monetary": grouped["amount"].sum().round(2),
        }
    )
    out["r_score"] = _quintile(-out["recency_days"])
    out["f_score"] = _quintile(out["frequency"])
    out["m_score"] = _quintile(out["monetary"])
    fm = np.round((out["f_score"] + out["m_score"]) / 2).astype(int)
    out["segment"] = [_segment(r, f) for r, f in zip(out["r_score"], fm, strict=True)]
    return out.reset_index()


def _quintile(values: pd.Series) -> pd.Series:
    """Scores 1–5 by rank quintile (ties share the lower rank, so equal values score alike)."""
    ranks = values.rank(method="min", pct=True)
    return np.ceil(ranks * 5).clip(1, 5).astype(int)


def _segment(r: int, fm: int) -> str:
    for name, rs, fms in SEGMENT_RULES:
        if r in rs and fm in fms:
            return name
    return "others"


@dataclass(frozen=True)
class LifetimeModel:
    """The fitted BG/NBD and Gamma-Gamma parameters, with what they were fitted on."""

    bgnbd: dict[str, float]
    gamma_gamma: dict[str, float] | None
    customers: int
    repeat_customers: int


def fit_bg_nbd(summary: pd.DataFrame, *, penalizer: float = 0.0):
    """A BG/NBD model (``lifetimes.BetaGeoFitter``) fitted on per-customer ``frequency`` (repeat
    purchases), ``recency`` and ``T`` (age), in any one time unit; its ``params_`` hold r, alpha,
    a and b."""
    from lifetimes import BetaGeoFitter

    return _fit_penalised(lambda c: BetaGeoFitter(penalizer_coef=c).fit(
        summary["frequency"], summary["recency"], summary["T"]), penalizer, "BG/NBD")


# lifetimes' optimiser can fail to converge on small or unusual stores; a little L2 penalty
# (lifetimes' own advice) makes it converge at the cost of slightly shrunk parameters
PENALIZERS = (0.001, 0.01, 0.1)


def _fit_penalised(fit, penalizer: float, name: str):
    """Fit with ``penalizer``, then with growing penalties if it does not converge."""
    from lifetimes.fitters import ConvergenceError

    for coef in (penalizer, *(c for c in PENALIZERS if c > penalizer)):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return fit(coef)
        except ConvergenceError:
            continue
    raise SegmentError(f"the {name} model did not converge on this store's purchases, even "
                       f"with a penalty of {PENALIZERS[-1]}: segments are shown without CLV")


def lifetime_value(
    transactions: pd.DataFrame,
    as_of: datetime | pd.Timestamp,
    *,
    horizon_days: int = 365,
    churn_days: int = 90,
    monthly_discount: float = 0.01,
    penalizer: float = 0.0,
) -> tuple[pd.DataFrame, LifetimeModel]:
    """Expected purchases, P(alive) and CLV over ``horizon_days`` per customer, and churn risk:
    the probability of no purchase in the next ``churn_days``."""
    from lifetimes import GammaGammaFitter
    from lifetimes.utils import summary_data_from_transaction_data

    end = pd.Timestamp(as_of).tz_localize(None).normalize()
    tx = transactions.assign(day=pd.to_datetime(transactions["day"]))
    tx = tx[tx["day"] <= end]
    summary = summary_data_from_transaction_data(
        tx, "customer_id", "day", "amount", observation_period_end=end, freq="D"
    )
    if len(summary) < 20 or (summary["frequency"] > 0).sum() < 5:
        raise SegmentError(
            f"too few customers ({len(summary)}) or repeat customers to fit "
            f"BG/NBD; it needs at least 20 customers and 5 repeat buyers"
        )
    bgf = fit_bg_nbd(summary, penalizer=penalizer)
    out = summary.copy()
    out["expected_purchases"] = bgf.conditional_expected_number_of_purchases_up_to_time(
        horizon_days, summary["frequency"], summary["recency"], summary["T"]
    )
    out["p_alive"] = bgf.conditional_probability_alive(
        summary["frequency"], summary["recency"], summary["T"]
    )
    # no purchase in the next churn_days: gone, or alive with the posterior purchase rate
    # Gamma(r + x, alpha + T) producing no event (BG/NBD drops customers only after a purchase)
    r, alpha = bgf.params_["r"], bgf.params_["alpha"]
    quiet = ((alpha + summary["T"]) / (alpha + summary["T"] + churn_days)) ** (
        r + summary["frequency"]
    )
    out["churn_risk"] = 1 - out["p_alive"] * (1 - quiet)
    repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    gg_params = None
    out["clv"] = np.nan
    if len(repeat) >= 5:
        ggf = _fit_penalised(lambda c: GammaGammaFitter(penalizer_coef=c).fit(
            repeat["frequency"], repeat["monetary_value"]), penalizer, "Gamma-Gamma")
        gg_params = {k: float(v) for k, v in ggf.params_.items()}
        # one-time buyers have no repeat order value: they get the population mean p·v/(q−1)
        p, q, v = gg_params["p"], gg_params["q"], gg_params["v"]
        value = summary["monetary_value"].where(
            summary["monetary_value"] > 0, p * v / (q - 1) if q > 1 else np.nan
        )
        out["clv"] = ggf.customer_lifetime_value(
            bgf,
            summary["frequency"],
            summary["recency"],
            summary["T"],
            value,
            time=horizon_days / 30.0,
            freq="D",
            discount_rate=monthly_discount,
        ).fillna(0.0)
    model = LifetimeModel(
        {k: float(v) for k, v in bgf.params_.items()},
        gg_params,
        len(summary),
        int((summary["frequency"] > 0).sum()),
    )
    return out.reset_index(), model


def segment_customers(
    wh: Warehouse, *, as_of: datetime | None = None, horizon_days: int = 365
) -> tuple[pd.DataFrame, LifetimeModel | None]:
    """RFM segments joined with lifetime value and churn risk, one row per customer (as of the
    last order date when ``as_of`` is None)."""
    tx = customer_transactions(wh, as_of=as_of)
    if tx.empty:
        raise SegmentError("no customer orders to segment (orders need a customer_id)")
    end = pd.Timestamp(as_of) if as_of is not None else pd.to_datetime(tx["day"]).max()
    table = rfm(tx, end)
    try:
        clv, model = lifetime_value(tx, end, horizon_days=horizon_days)
    except SegmentError:
        return table, None
    keep = ["customer_id", "expected_purchases", "p_alive", "churn_risk", "clv"]
    return table.merge(clv[keep], on="customer_id", how="left"), model


def segment_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per segment, largest first: customers, median recency, mean orders and spend, and mean
    CLV and churn risk when the table has them."""
    aggs = {"customers": ("customer_id", "size"), "recency": ("recency_days", "median"),
            "orders": ("frequency", "mean"), "spend": ("monetary", "mean")}
    if "clv" in table:
        aggs |= {"clv": ("clv", "mean"), "churn": ("churn_risk", "mean")}
    return table.groupby("segment").agg(**aggs).sort_values("customers", ascending=False)


def export_audience(
    table: pd.DataFrame,
    path: Path,
    *,
    segment: str | None = None,
    min_churn_risk: float | None = None,
) -> int:
    """Write the customers of ``segment`` (and/or above a churn risk) as CSV or XLSX."""
    rows = table
    if segment is not None:
        if segment not in set(table["segment"]):
            raise SegmentError(
                f"no customers in segment {segment!r}; segments here: "
                f"{', '.join(sorted(set(table['segment'])))}"
            )
        rows = rows[rows["segment"] == segment]
    if min_churn_risk is not None:
        if "churn_risk" not in rows:
            raise SegmentError("churn risk needs a lifetime model (too little data to fit one)")
        rows = rows[rows["churn_risk"] >= min_churn_risk]
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() not in {".xlsx", ".csv"}:
        raise SegmentError(f"{path}: export as .csv or .xlsx")
    write_frame(rows, path, sheet_name="audience", encoding="utf-8")  # for mailing tools too
    return len(rows)
