"""Why did net revenue or gross profit change between two periods?

Two answers that each add up exactly to the total change:

* **effects**: volume (more or fewer units at the old average value per unit), mix (the units
  moved between SKUs of different value) and price (the value per unit of each SKU changed;
  for gross profit that is price and cost together), plus refunds;
* **contributions** by category, SKU and channel: each group's own change, largest first.

The volume/mix/price split is the standard one, computed over SKUs:

    volume = (Q₁ − Q₀) · v̄₀           v̄₀ = V₀ / Q₀, the base value per unit
    mix    = Σᵢ (q₁ᵢ/Q₁ − q₀ᵢ/Q₀) · Q₁ · v₀ᵢ
    price  = Σᵢ q₁ᵢ · (v₁ᵢ − v₀ᵢ)

A SKU new in the current period has no base value: its own value is used, so its whole effect
shows as mix, not as a price change.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from shopkeeper import metrics
from shopkeeper.finance.statements import Period, one_money
from shopkeeper.store import Warehouse

EXPLAINABLE = ("net_revenue", "gross_profit")
DEFAULT_DIMENSIONS = ("category", "sku", "channel")
# per explained metric: the per-unit value's numerator, and what the effects leave out
_VALUE = {"net_revenue": "gmv - discounts", "gross_profit": "gmv - discounts - cogs"}


@dataclass
class Variance:
    """The change of ``metric`` from ``previous`` to ``current``, explained two ways.

    ``effects`` has ``effect, amount`` (volume, mix, price, refunds) summing to ``change``;
    ``contributions[dim]`` has ``<dim>, previous, current, change, share_of_change`` per group,
    largest absolute change first, also summing to ``change``.
    """

    metric: str
    current: Period
    previous: Period
    total_current: float
    total_previous: float
    effects: pd.DataFrame
    contributions: dict[str, pd.DataFrame]

    @property
    def change(self) -> float:
        return self.total_current - self.total_previous

    def top_movers(self, dim: str, n: int = 3) -> pd.DataFrame:
        """The ``n`` groups that moved the total most, in either direction."""
        return self.contributions[dim].head(n)


def explain_change(
    warehouse: Warehouse,
    current: Period,
    previous: Period,
    metric: str = "net_revenue",
    dimensions: tuple[str, ...] = DEFAULT_DIMENSIONS,
    money: metrics.Money | None = None,
) -> Variance:
    """Decompose the change of ``metric`` (net revenue or gross profit) between two periods,
    in one currency (``money``; needed when the store has several)."""
    if metric not in EXPLAINABLE:
        raise metrics.MetricError(
            f"can explain {', '.join(EXPLAINABLE)}; not {metric!r}")
    money = one_money(warehouse, money)
    needed = ["gmv", "discounts", "cogs", "refunds", "units"]
    cur = _by_sku(warehouse, needed, current, money)
    prev = _by_sku(warehouse, needed, previous, money)
    both = cur.join(prev, how="outer", lsuffix="_1", rsuffix="_0").fillna(0.0)
    value = {
        k: both[f"gmv_{k}"] - both[f"discounts_{k}"]
        - (both[f"cogs_{k}"] if metric == "gross_profit" else 0.0)
        for k in ("0", "1")
    }
    effects = _volume_mix_price(both["units_0"].to_numpy(), both["units_1"].to_numpy(),
                                value["0"].to_numpy(), value["1"].to_numpy())
    refunds_change = -(both["refunds_1"].sum() - both["refunds_0"].sum())
    effects = pd.DataFrame(
        [*effects.items(), ("refunds", refunds_change)], columns=["effect", "amount"])
    totals = {k: float(value[k].sum() - both[f"refunds_{k}"].sum()) for k in ("0", "1")}
    contributions = {d: _contributions(warehouse, metric, d, current, previous, money)
                     for d in dimensions}
    return Variance(metric, current, previous, totals["1"], totals["0"], effects, contributions)


def _by_sku(warehouse: Warehouse, names: list[str], period: Period,
            money: metrics.Money | None) -> pd.DataFrame:
    df = metrics.query(warehouse, names, by="sku", start=period.start, end=period.end,
                       money=money).df
    return df.set_index("sku")[names]


def _volume_mix_price(q0: np.ndarray, q1: np.ndarray, v0: np.ndarray,
                      v1: np.ndarray) -> dict[str, float]:
    """Volume, mix and price effects over items; they sum to Σv₁ − Σv₀ (values are totals)."""
    Q0, Q1 = q0.sum(), q1.sum()
    # value per unit; an item without base units takes its current value per unit
    with np.errstate(divide="ignore", invalid="ignore"):
        u1 = np.where(q1 > 0, v1 / np.where(q1 > 0, q1, 1), 0.0)
        u0 = np.where(q0 > 0, v0 / np.where(q0 > 0, q0, 1), u1)
    # value without units (a refund-only or cost-only line) is a price effect of its own
    stray = np.where(q0 > 0, 0.0, v0).sum() * -1 + np.where(q1 > 0, 0.0, v1).sum()
    if Q0 == 0:  # nothing sold before: everything is volume
        return {"volume": float(v1.sum() - v0.sum()), "mix": 0.0, "price": 0.0}
    base_unit = (u0 * q0).sum() / Q0
    volume = (Q1 - Q0) * base_unit
    share1 = q1 / Q1 if Q1 > 0 else np.zeros_like(q1)
    mix = ((share1 - q0 / Q0) * Q1 * u0).sum()
    price = (q1 * (u1 - u0)).sum() + stray
    return {"volume": float(volume), "mix": float(mix), "price": float(price)}


def _contributions(warehouse: Warehouse, metric: str, dim: str, current: Period,
                   previous: Period, money: metrics.Money | None) -> pd.DataFrame:
    cur = metrics.query(warehouse, metric, by=dim, start=current.start, end=current.end,
                        money=money).df
    prev = metrics.query(warehouse, metric, by=dim, start=previous.start, end=previous.end,
                         money=money).df
    out = (cur.set_index(dim)[[metric]].rename(columns={metric: "current"})
           .join(prev.set_index(dim)[[metric]].rename(columns={metric: "previous"}), how="outer")
           .fillna(0.0))
    out["change"] = out["current"] - out["previous"]
    total = out["change"].sum()
    out["share_of_change"] = out["change"] / total if total else np.nan
    out = out.reindex(out["change"].abs().sort_values(ascending=False).index)
    return out.reset_index()[[dim, "previous", "current", "change", "share_of_change"]]
