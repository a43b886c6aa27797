"""Replay a demand matrix through an inventory policy, every SKU at once.

The loop runs over periods; each step is vectorised over SKUs. Within a period, in order:

1. **receive** the orders due this period;
2. **serve demand** from on-hand stock: unmet demand is lost (``lost_sales=True``) or
   backordered and served first, oldest first, from later receipts;
3. **review and order**: SKUs whose review falls in this period look at their inventory position
   (on hand + on order - backlog) and order; an order placed in period t with lead time L is
   received at the start of period t + L + 1, so lead time 0 means "on the shelf tomorrow" and
   the protection interval of an order-up-to level is L + R periods, as in
   :func:`~shopkeeper.inventory.policies.reorder_point`;
4. **charge holding** on end-of-period on hand.

Reviews happen in periods t with ``t % review_period == 0``. Units are whatever the demand is
in (fractional demand is fine); only pack sizes round quantities.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

__all__ = ["PolicyKind", "PolicyParams", "SimulationResult", "simulate"]

PolicyKind = Literal["sS", "rQ", "base_stock", "naive"]


@dataclass(frozen=True, eq=False)
class PolicyParams:
    """One replenishment policy for a set of SKUs; parameters are scalars or one per SKU.

    Build one with the constructors rather than directly:

    - :meth:`ss` — periodic review (R, s, S): if position ≤ s, order up to S;
    - :meth:`rq` — if position ≤ r, order the smallest multiple of Q lifting it above r;
    - :meth:`base_stock` — order up to S at every review;
    - :meth:`naive` — every ``interval`` periods, order the sales of the last ``interval``
      periods (the "reorder last month's sales" rule merchants use, as a baseline).

    Parameters are checked when :func:`simulate` runs.
    """

    kind: PolicyKind
    review_period: ArrayLike = 1
    s: ArrayLike | None = None
    S: ArrayLike | None = None
    r: ArrayLike | None = None
    Q: ArrayLike | None = None
    history: ArrayLike | None = None

    @classmethod
    def ss(cls, s: ArrayLike, S: ArrayLike, review_period: ArrayLike = 1) -> PolicyParams:
        """(R, s, S): every ``review_period`` periods, if position ≤ s, order up to S."""
        return cls(kind="sS", s=s, S=S, review_period=review_period)

    @classmethod
    def rq(cls, r: ArrayLike, Q: ArrayLike, review_period: ArrayLike = 1) -> PolicyParams:
        """(r, Q): if position ≤ r, order n·Q with the smallest n lifting position above r."""
        return cls(kind="rQ", r=r, Q=Q, review_period=review_period)

    @classmethod
    def base_stock(cls, S: ArrayLike, review_period: ArrayLike = 1) -> PolicyParams:
        """Order up to S every ``review_period`` periods."""
        return cls(kind="base_stock", S=S, review_period=review_period)

    @classmethod
    def naive(cls, history: ArrayLike | None = None, interval: int = 28) -> PolicyParams:
        """Every ``interval`` periods, order what sold in the last ``interval`` periods.

        Sales are what the merchant observes: units sold under lost sales (so stockouts
        depress the next order), demand under backorders. ``history`` (SKUs × periods, before
        the simulation) supplies the sales preceding period 0; missing periods count as 0.
        """
        return cls(kind="naive", review_period=interval, history=history)


@dataclass(frozen=True, eq=False)
class SimulationResult:
    """Per-SKU outcomes of :func:`simulate` (arrays of length n_sku unless noted).

    Definitions:

    - ``units_sold``: units shipped to customers (under backorders this includes backorders
      filled later); ``units_short``: demand not met from stock in the period it occurred
      (lost, or backordered); ``fill_rate`` = 1 - units_short / units_demanded (1.0 with no
      demand);
    - ``stockout_days``: periods in which some demand went unmet;
    - ``shortage_cost`` is charged once per unit short; ``purchase_cost`` on units ordered;
      ``total_cost`` = holding + shortage + ordering (purchase cost excluded);
    - ``average_on_hand``: mean end-of-period on hand.

    Conservation: ``start_on_hand + units_received - units_sold == end_on_hand``, and
    ``units_demanded == units_sold + units_short`` (lost sales) or
    ``units_demanded == units_sold + end_backlog`` (backorders).
    """

    holding_cost: np.ndarray
    shortage_cost: np.ndarray
    ordering_cost: np.ndarray
    purchase_cost: np.ndarray
    units_demanded: np.ndarray
    units_sold: np.ndarray
    units_short: np.ndarray
    stockout_days: np.ndarray
    average_on_hand: np.ndarray
    orders_placed: np.ndarray
    units_ordered: np.ndarray
    units_received: np.ndarray
    start_on_hand: np.ndarray
    end_on_hand: np.ndarray
    on_order_end: np.ndarray
    end_backlog: np.ndarray
    #: end-of-period on hand, n_sku × T, float32 (for charts)
    trajectory: np.ndarray
    #: quantity ordered in each period, n_sku × T (0 where no order)
    orders: np.ndarray
    lost_sales: bool

    @property
    def total_cost(self) -> np.ndarray:
        """Holding + shortage + ordering cost per SKU (purchase cost excluded)."""
        return self.holding_cost + self.shortage_cost + self.ordering_cost

    @property
    def fill_rate(self) -> np.ndarray:
        """Fraction of each SKU's demand met from stock when it occurred; 1.0 with no demand."""
        demanded = np.where(self.units_demanded > 0, self.units_demanded, 1.0)
        return np.where(self.units_demanded > 0, 1.0 - self.units_short / demanded, 1.0)

    def per_sku(self, sku_ids: ArrayLike | None = None) -> pd.DataFrame:
        """One row per SKU (indexed by ``sku_ids`` when given) with every per-SKU outcome."""
        columns = {
            "holding_cost": self.holding_cost,
            "shortage_cost": self.shortage_cost,
            "ordering_cost": self.ordering_cost,
            "purchase_cost": self.purchase_cost,
            "total_cost": self.total_cost,
            "units_demanded": self.units_demanded,
            "units_sold": self.units_sold,
            "units_short": self.units_short,
            "fill_rate": self.fill_rate,
            "stockout_days": self.stockout_days,
            "average_on_hand": self.average_on_hand,
            "orders_placed": self.orders_placed,
            "units_ordered": self.units_ordered,
            "units_received": self.units_received,
            "start_on_hand": self.start_on_hand,
            "end_on_hand": self.end_on_hand,
            "on_order_end": self.on_order_end,
            "end_backlog": self.end_backlog,
        }
        index = None if sku_ids is None else pd.Index(np.asarray(sku_ids), name="sku")
        return pd.DataFrame(columns, index=index)

    def totals(self) -> dict[str, Any]:
        """Portfolio summary: sums over SKUs, with the unit-weighted fill rate."""
        demanded = float(self.units_demanded.sum())
        short = float(self.units_short.sum())
        return {
            "n_sku": int(self.trajectory.shape[0]),
            "periods": int(self.trajectory.shape[1]),
            "holding_cost": float(self.holding_cost.sum()),
            "shortage_cost": float(self.shortage_cost.sum()),
            "ordering_cost": float(self.ordering_cost.sum()),
            "purchase_cost": float(self.purchase_cost.sum()),
            "total_cost": float(self.total_cost.sum()),
            "units_demanded": demanded,
            "units_sold": float(self.units_sold.sum()),
            "units_short": short,
            "fill_rate": 1.0 - short / demanded if demanded > 0 else 1.0,
            "stockout_days": int(self.stockout_days.sum()),
            "average_on_hand": float(self.average_on_hand.sum()),
            "orders_placed": int(self.orders_placed.sum()),
            "units_received": float(self.units_received.sum()),
        }


# --------------------------------------------------------------------------- validation


def _fmt(value: float) -> str:
    return f"{float(value):g}"


_RULES = {
    ">= 0": lambda a: a >= 0,
    "> 0": lambda a: a > 0,
    "finite": np.isfinite,
    "a whole number >= 0": lambda a: (a >= 0) & (a == np.floor(a)),
    "a whole number >= 1": lambda a: (a >= 1) & (a == np.floor(a)),
}


def _per_sku(name: str, value: ArrayLike, n_sku: int, rule: str = ">= 0") -> np.ndarray:
    """Broadcast a scalar or per-SKU parameter to ``(n_sku,)`` and check ``rule``."""
    arr = np.asarray(value, dtype=float)
    if arr.ndim > 1 or (arr.ndim == 1 and arr.shape[0] != n_sku):
        raise ValueError(
            f"{name} must be a scalar or have one value per SKU ({n_sku}), got shape {arr.shape}"
        )
    arr = np.broadcast_to(arr, (n_sku,)).astype(float)
    with np.errstate(invalid="ignore"):
        bad = ~(_RULES[rule](arr) & np.isfinite(arr))
    if np.any(bad):
        raise ValueError(f"{name} must be {rule}, got {_fmt(arr[bad][0])}")
    return arr


@dataclass(frozen=True)
class _Plan:
    """Validated policy arrays, one entry per SKU."""

    kind: str
    review: np.ndarray
    s: np.ndarray
    S: np.ndarray
    r: np.ndarray
    Q: np.ndarray


_NEEDS = {
    "sS": (("s", "S"), "PolicyParams.ss(s=..., S=...)"),
    "rQ": (("r", "Q"), "PolicyParams.rq(r=..., Q=...)"),
    "base_stock": (("S",), "PolicyParams.base_stock(S=...)"),
    "naive": ((), "PolicyParams.naive(history=...)"),
}


def _plan(policy: PolicyParams, n_sku: int) -> _Plan:
    if policy.kind not in _NEEDS:
        raise ValueError(f"policy.kind must be one of {tuple(_NEEDS)}, got {policy.kind!r}")
    needed, builder = _NEEDS[policy.kind]
    for name in needed:
        if getattr(policy, name) is None:
            raise ValueError(f"a {policy.kind!r} policy needs {name}; build it with {builder}")
    whole = "a whole number >= 1"
    review = _per_sku("review_period", policy.review_period, n_sku, whole).astype(int)
    if policy.kind == "naive" and np.ndim(policy.review_period) != 0:
        raise ValueError("a naive policy's interval must be one whole number for all SKUs")
    empty = np.zeros(n_sku)
    s = empty if policy.s is None else _per_sku("s", policy.s, n_sku, "finite")
    big_s = empty if policy.S is None else _per_sku("S", policy.S, n_sku, "finite")
    if policy.kind == "sS" and np.any(s > big_s):
        i = int(np.argmax(s > big_s))
        raise ValueError(
            f"s must be <= S for every SKU, got s={_fmt(s[i])} > S={_fmt(big_s[i])} (SKU {i})"
        )
    r = empty if policy.r is None else _per_sku("r", policy.r, n_sku, "finite")
    q = empty if policy.Q is None else _per_sku("Q", policy.Q, n_sku, "> 0")
    return _Plan(policy.kind, review, s, big_s, r, q)


def _sales_window(history: ArrayLike | None, n_sku: int, interval: int) -> np.ndarray:
    """The last ``interval`` periods of history, placed so period j sits at ``j % interval``."""
    window = np.zeros((n_sku, interval))
    if history is None:
        return window
    past = np.asarray(history, dtype=float)
    if past.ndim == 1:
        past = past[None, :]
    if past.ndim != 2 or past.shape[0] != n_sku:
        raise ValueError(f"history must be n_sku × periods ({n_sku} rows), got shape {past.shape}")
    if not np.all(np.isfinite(past) & (past >= 0)):
        raise ValueError("history must hold finite sales >= 0")
    m = past.shape[1]
    for c in range(max(0, m - interval), m):
        window[:, (c - m) % interval] = past[:, c]
    return window


def _round_orders(q: np.ndarray, moq: np.ndarray, pack: np.ndarray | None) -> np.ndarray:
    """Lift positive orders to at least the MOQ, then up to a whole number of packs."""
    q = np.where(q > 0, np.maximum(q, moq), 0.0)
    if pack is None:
        return q
    return np.where(q > 0, np.ceil(q / pack - 1e-9) * pack, 0.0)  # 1e-9: 3.0000000001 packs is 3


def _desired(plan: _Plan, position: np.ndarray, window: np.ndarray) -> np.ndarray:
    """Quantity each SKU would order at a review, before MOQ and pack rounding."""
    if plan.kind == "sS":
        return np.where(position <= plan.s, plan.S - position, 0.0)
    if plan.kind == "base_stock":
        return np.maximum(plan.S - position, 0.0)
    if plan.kind == "rQ":
        batches = np.where(position <= plan.r, np.floor((plan.r - position) / plan.Q) + 1, 0.0)
        return batches * plan.Q
    return window.sum(axis=1)  # naive: the last `interval` periods of sales


def _default_start(
    plan: _Plan, lead: np.ndarray, window: np.ndarray, history_given: bool
) -> np.ndarray:
    """Order-up-to level (S, or r + Q); for naive, average history sales over L + 1 periods."""
    if plan.kind in ("sS", "base_stock"):
        return np.maximum(plan.S, 0.0)
    if plan.kind == "rQ":
        return np.maximum(plan.r + plan.Q, 0.0)
    if not history_given:
        raise ValueError("a naive policy needs history (past sales) or an explicit initial_on_hand")
    return window.mean(axis=1) * (lead + 1)


# --------------------------------------------------------------------------- simulation


def simulate(
    demand: ArrayLike,
    policy: PolicyParams | Mapping[int, PolicyParams],
    *,
    lead_time: ArrayLike,
    initial_on_hand: ArrayLike | None = None,
    holding_cost: ArrayLike = 0.0,
    shortage_cost: ArrayLike = 0.0,
    ordering_cost: ArrayLike = 0.0,
    unit_cost: ArrayLike = 0.0,
    lost_sales: bool = True,
    moq: ArrayLike | None = None,
    pack_size: ArrayLike | None = None,
) -> SimulationResult:
    """Simulate ``policy`` against ``demand`` (n_sku × T, or a 1-D series for one SKU).

    ``lead_time`` is whole periods (scalar or per SKU). ``initial_on_hand`` defaults to the
    policy's order-up-to level (S, or r + Q; for the naive rule, average history sales times
    L + 1, the stock it holds at a review in steady state). Costs are per SKU or scalars:
    holding per unit per period, shortage per unit short, ordering per order placed, purchase
    per unit ordered. ``moq`` and ``pack_size`` (None: no constraint) round every order up to
    at least the MOQ and then to whole packs. See the module docstring for the event order.

    ``policy`` may also be a re-planning schedule ``{period: PolicyParams}`` (it must start at
    period 0, with one kind of policy): from each listed period on, that policy's parameters
    apply, as when a planner re-runs the forecast and the plan every few weeks.
    """
    d = np.asarray(demand, dtype=float)
    if d.ndim == 1:
        d = d[None, :]
    if d.ndim != 2 or d.shape[1] == 0:
        raise ValueError(f"demand must be n_sku × T with T >= 1, got shape {np.shape(demand)}")
    if not np.all(np.isfinite(d) & (d >= 0)):
        bad = d[~(np.isfinite(d) & (d >= 0))][0]
        raise ValueError(f"demand must be finite and >= 0, got {_fmt(bad)}")
    n_sku, periods = d.shape

    schedule = dict(policy) if isinstance(policy, Mapping) else {0: policy}
    if 0 not in schedule:
        raise ValueError("a re-planning schedule must include period 0")
    if len({p.kind for p in schedule.values()}) > 1:
        raise ValueError("a re-planning schedule must use one kind of policy throughout")
    plans = {t: _plan(p, n_sku) for t, p in schedule.items()}
    plan = plans[0]
    policy = schedule[0]
    lead = _per_sku("lead_time", lead_time, n_sku, "a whole number >= 0").astype(int)
    h = _per_sku("holding_cost", holding_cost, n_sku)
    p = _per_sku("shortage_cost", shortage_cost, n_sku)
    k = _per_sku("ordering_cost", ordering_cost, n_sku)
    c = _per_sku("unit_cost", unit_cost, n_sku)
    min_order = np.zeros(n_sku) if moq is None else _per_sku("moq", moq, n_sku)
    pack = None if pack_size is None else _per_sku("pack_size", pack_size, n_sku, "> 0")
    # naive: sales of the last `interval` periods, period j at column j % interval
    window = _sales_window(
        policy.history, n_sku, int(plan.review[0]) if plan.kind == "naive" else 0
    )
    if initial_on_hand is None:
        start = _default_start(plan, lead, window, policy.history is not None)
    else:
        start = _per_sku("initial_on_hand", initial_on_hand, n_sku)

    slots = int(lead.max()) + 1  # ring buffer of receipts: slot (t + L + 1) % slots
    pipeline = np.zeros((n_sku, slots))
    rows = np.arange(n_sku)
    on_hand, on_order, backlog = start.copy(), np.zeros(n_sku), np.zeros(n_sku)
    sold, short, received = np.zeros(n_sku), np.zeros(n_sku), np.zeros(n_sku)
    held = np.zeros(n_sku)  # Σ end-of-period on hand
    stockout_days, n_orders = np.zeros(n_sku, dtype=int), np.zeros(n_sku, dtype=int)
    trajectory = np.empty((n_sku, periods), dtype=np.float32)
    orders = np.zeros((n_sku, periods))

    for t in range(periods):
        plan = plans.get(t, plan)
        arriving = pipeline[:, t % slots].copy()
        pipeline[:, t % slots] = 0.0
        on_hand += arriving
        on_order -= arriving
        received += arriving

        today = d[:, t]
        available = np.maximum(on_hand - backlog, 0.0)  # stock left after older backorders
        missed = np.maximum(today - available, 0.0)
        shipped = np.minimum(on_hand, today if lost_sales else backlog + today)
        on_hand -= shipped
        if not lost_sales:
            backlog += today - shipped
        sold += shipped
        short += missed
        stockout_days += missed > 0

        if plan.kind == "naive":
            window[:, t % window.shape[1]] = shipped if lost_sales else today
        due = t % plan.review == 0
        if np.any(due):
            want = np.where(due, _desired(plan, on_hand + on_order - backlog, window), 0.0)
            want = _round_orders(want, min_order, pack)
            pipeline[rows, (t + lead + 1) % slots] += want
            on_order += want
            orders[:, t] = want
            n_orders += want > 0

        held += on_hand
        trajectory[:, t] = on_hand

    units_ordered = orders.sum(axis=1)
    return SimulationResult(
        holding_cost=h * held,
        shortage_cost=p * short,
        ordering_cost=k * n_orders,
        purchase_cost=c * units_ordered,
        units_demanded=d.sum(axis=1),
        units_sold=sold,
        units_short=short,
        stockout_days=stockout_days,
        average_on_hand=held / periods,
        orders_placed=n_orders,
        units_ordered=units_ordered,
        units_received=received,
        start_on_hand=start,
        end_on_hand=on_hand,
        on_order_end=on_order,
        end_backlog=backlog,
        trajectory=trajectory,
        orders=orders,
        lost_sales=lost_sales,
    )
