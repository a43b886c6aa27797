"""What changed: aspect sentiment by week, and alerts when the negative share of an aspect
jumps — a packaging complaint spike after a supplier change, say.

An alert needs enough mentions, a jump of at least ``min_jump`` in the negative share over the
weeks before, and a one-sided binomial test against that baseline below ``alpha``, so a
product with three reviews does not page anyone. Each alert carries the dates, the counts and
example reviews.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import pandas as pd
from scipy.stats import binomtest

from shopkeeper.reviews.aspects import load_taxonomy
from shopkeeper.store.warehouse import Warehouse


def aspect_label(aspect: str | None, lang: str = "en") -> str:
    """A reader's name for an aspect id, from the taxonomy: 'size & fit', '尺码'. An aspect
    discovered from data is its own name."""
    if not aspect:
        return ""
    known = _taxonomy().aspects.get(aspect)
    if known is None:
        return aspect
    return known.zh_name if lang == "zh" else known.en_name


@functools.cache
def _taxonomy():
    return load_taxonomy()


@dataclass(frozen=True)
class ReviewAlert:
    """A jump in the negative share of one aspect (of one product, or store-wide)."""

    product_id: str | None
    aspect: str
    week: dt.date
    negative: int
    mentions: int
    baseline_negative: int
    baseline_mentions: int
    p_value: float
    examples: tuple[tuple[str, str], ...]  # (review_id, evidence)

    @property
    def share(self) -> float:
        return self.negative / self.mentions

    @property
    def baseline_share(self) -> float:
        return self.baseline_negative / self.baseline_mentions if self.baseline_mentions else 0.0

    def explain(self, lang: str = "en") -> str:
        """One paragraph: what, when, how much against the weeks before, and examples."""
        quotes = "; ".join(f"“{text}” ({rid})" for rid, text in self.examples)
        where = self.product_id or ("全店" if lang == "zh" else "all products")
        if lang == "zh":
            aspect = aspect_label(self.aspect, "zh")
            return (f"{where} · {aspect}：{self.week:%Y-%m-%d} 这一周 {self.mentions} 次提及中有 "
                    f"{self.negative} 次负面（{self.share:.0%}），此前几周为 "
                    f"{self.baseline_negative}/{self.baseline_mentions}（{self.baseline_share:.0%}）"
                    f"；p={self.p_value:.3g}。例如：{quotes}")
        return (f"{where} · {aspect_label(self.aspect)}: {self.negative} of {self.mentions} mentions negative "
                f"in the week of {self.week:%Y-%m-%d} ({self.share:.0%}), against "
                f"{self.baseline_negative} of {self.baseline_mentions} "
                f"({self.baseline_share:.0%}) in the weeks before; p={self.p_value:.3g}. "
                f"For example: {quotes}")


def aspect_trends(wh: Warehouse, *, product_id: str | None = None) -> pd.DataFrame:
    """Weekly mentions, negative mentions and negative share per aspect (and product)."""
    where, params = ("WHERE product_id = ?", [product_id]) if product_id else ("", [])
    return wh.query_df(
        f"""SELECT CAST(date_trunc('week', created_at) AS DATE) AS week, product_id, aspect,
                   count(*) AS mentions,
                   count(*) FILTER (WHERE polarity = 'negative') AS negative,
                   count(*) FILTER (WHERE polarity = 'negative') / count(*) AS negative_share
            FROM review_aspects {where}
            GROUP BY ALL ORDER BY week, product_id, aspect""", params)


def detect_review_alerts(wh: Warehouse, *, as_of: str | dt.date | None = None, weeks: int = 1,
                         baseline_weeks: int = 8, min_mentions: int = 5,
                         min_jump: float = 0.2, alpha: float = 0.01,
                         by_product: bool = True) -> list[ReviewAlert]:
    """Alerts for the last ``weeks`` weeks up to ``as_of`` (default: the latest review),
    store-wide per aspect and, with ``by_product``, per product and aspect."""
    latest = wh.query("SELECT max(created_at) FROM review_aspects")[0][0]
    if latest is None:
        return []
    end = pd.Timestamp(as_of).date() if as_of else pd.Timestamp(latest).date()
    last_week = end - dt.timedelta(days=end.weekday())
    first_week = last_week - dt.timedelta(weeks=weeks - 1)
    base_start = first_week - dt.timedelta(weeks=baseline_weeks)
    keys = ["product_id", "aspect"] if by_product else ["aspect"]
    levels = [keys, ["aspect"]] if by_product else [keys]
    alerts: list[ReviewAlert] = []
    for group in levels:
        cols = ", ".join(group)
        counts = wh.query_df(
            f"""SELECT {cols}, CAST(date_trunc('week', created_at) AS DATE) AS week,
                       count(*) AS mentions,
                       count(*) FILTER (WHERE polarity = 'negative') AS negative
                FROM review_aspects
                WHERE created_at >= CAST(? AS DATE) AND created_at < CAST(? AS DATE) + 1
                GROUP BY ALL""", [base_start, end])
        if counts.empty:
            continue
        counts["week"] = pd.to_datetime(counts["week"]).dt.date
        # vectorised: each group's baseline sums, then only the rows that jumped enough are
        # tested (a loop over thousands of product groups took seconds)
        in_base = counts["week"] < first_week
        base = (counts[in_base].groupby(group, dropna=False)[["mentions", "negative"]].sum()
                .rename(columns={"mentions": "bn", "negative": "bneg"}).reset_index())
        recent = counts[~in_base].merge(base, how="left", on=group)
        recent[["bn", "bneg"]] = recent[["bn", "bneg"]].fillna(0).astype(int)
        base_share = (recent["bneg"] / recent["bn"].where(recent["bn"] > 0)).fillna(0.0)
        jumped = recent[(recent["mentions"] >= min_mentions)
                        & (recent["negative"] / recent["mentions"] - base_share >= min_jump)]
        for row in jumped.sort_values([*group, "week"], na_position="last").itertuples(
                index=False):
            n, neg, bn, bneg = int(row.mentions), int(row.negative), int(row.bn), int(row.bneg)
            p0 = (bneg + 1) / (bn + 2)  # Laplace: an aspect never criticised is not a certainty
            p = binomtest(neg, n, p0, alternative="greater").pvalue
            if p >= alpha:
                continue
            product = row.product_id if len(group) == 2 else None
            alerts.append(ReviewAlert(
                product, row.aspect, row.week, neg, n, bneg, bn, float(p),
                _examples(wh, product, row.aspect, row.week)))
    return sorted(alerts, key=lambda a: (a.p_value, -a.negative))


def _examples(wh: Warehouse, product_id: str | None, aspect: str, week: dt.date,
              limit: int = 3) -> tuple[tuple[str, str], ...]:
    product = "AND product_id = ?" if product_id else ""
    params = [aspect, week, week] + ([product_id] if product_id else [])
    rows = wh.query(
        f"""SELECT review_id, evidence FROM review_aspects
            WHERE aspect = ? AND polarity = 'negative' AND created_at >= CAST(? AS DATE)
              AND created_at < CAST(? AS DATE) + 7 {product}
            ORDER BY created_at, review_id LIMIT {limit}""", params)
    return tuple((rid, text) for rid, text in rows)
