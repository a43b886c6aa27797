"""Inventory policies: closed-form and dynamic-programming answers to "how much, and when?".

Everything here is plain numpy/scipy and follows the notation of Snyder & Shen, *Fundamentals
of Supply Chain Theory* (the book behind stockpyl, against which the tests check every number):

- ``h`` holding cost per unit per period, ``p`` stockout (shortage) cost per unit,
  ``K`` fixed cost per order, ``c`` purchase cost per unit, ``λ`` demand per period.
- Normal demand throughout; ``L(z)`` is the standard normal first-order loss function.

Functions taking arrays broadcast them elementwise (one SKU per element) and return arrays;
given only scalars they return floats. Bad inputs raise ``ValueError`` naming the parameter and
the offending value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import brentq
from scipy.stats import norm

__all__ = [
    "EOQResult",
    "LotSizingResult",
    "NewsvendorResult",
    "RQResult",
    "SSResult",
    "base_stock_level",
    "cycle_service_level",
    "eoq",
    "fill_rate",
    "finite_horizon_ss",
    "newsvendor_empirical",
    "newsvendor_normal",
    "normal_loss",
    "reorder_point",
    "rq_policy",
    "safety_factor_for_fill_rate",
    "safety_stock",
    "wagner_whitin",
]

FloatOrArray = float | np.ndarray

#: Largest safety factor ``safety_factor_for_fill_rate`` returns (L(10) ≈ 8e-25).
MAX_SAFETY_FACTOR = 10.0


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, eq=False)
class EOQResult:
    """Optimal order quantity and its cost per period (ordering + holding)."""

    order_quantity: FloatOrArray
    cost: FloatOrArray


@dataclass(frozen=True, eq=False)
class NewsvendorResult:
    """Optimal base-stock level, the critical ratio p/(p+h) and the expected cost at it."""

    base_stock: FloatOrArray
    critical_ratio: FloatOrArray
    expected_cost: FloatOrArray


@dataclass(frozen=True, eq=False)
class LotSizingResult:
    """Optimal total cost and the order placed in each period (index 0 = period 1)."""

    cost: float
    order_quantities: np.ndarray


@dataclass(frozen=True, eq=False)
class SSResult:
    """Optimal (s_t, S_t) for each period (index 0 = period 1) and the expected total cost."""

    s: np.ndarray
    S: np.ndarray
    cost: float


@dataclass(frozen=True, eq=False)
class RQResult:
    """A continuous-review (r, Q) policy and its long-run performance per period."""

    reorder_point: FloatOrArray
    order_quantity: FloatOrArray
    safety_stock: FloatOrArray
    cycle_service_level: FloatOrArray
    fill_rate: FloatOrArray
    expected_cost: FloatOrArray


# --------------------------------------------------------------------------- validation


def _fmt(value: float) -> str:
    return f"{float(value):g}"


def _checked(
    name: str, value: ArrayLike, ok: Callable[[np.ndarray], np.ndarray], rule: str
) -> np.ndarray:
    """Return ``value`` as a float array, or raise naming the first value breaking ``rule``."""
    arr = np.asarray(value, dtype=float)
    with np.errstate(invalid="ignore"):
        bad = ~ok(arr)  # NaN fails every comparison, so it is reported too
    if np.any(bad):
        raise ValueError(f"{name} must be {rule}, got {_fmt(arr[bad].flat[0])}")
    return arr


def _positive(name: str, value: ArrayLike) -> np.ndarray:
    return _checked(name, value, lambda a: a > 0, "> 0")


def _nonnegative(name: str, value: ArrayLike) -> np.ndarray:
    return _checked(name, value, lambda a: a >= 0, ">= 0")


def _finite(name: str, value: ArrayLike) -> np.ndarray:
    return _checked(name, value, np.isfinite, "finite")


def _probability(name: str, value: ArrayLike) -> np.ndarray:
    return _checked(name, value, lambda a: (a > 0) & (a < 1), "in the open interval (0, 1)")


def _out(value: np.ndarray) -> FloatOrArray:
    """Scalars back as ``float``, arrays as arrays."""
    value = np.asarray(value, dtype=float)
    return float(value) if value.ndim == 0 else value


# --------------------------------------------------------------------------- loss functions


def normal_loss(z: ArrayLike) -> FloatOrArray:
    """Standard normal first-order loss ``L(z) = E[(Z - z)+] = φ(z) - z(1 - Φ(z))``.

    Expected units short per unit of standard deviation when stocking ``z`` deviations above
    the mean; the building block of expected shortages, fill rates and newsvendor costs.
    """
    return _out(_loss(_checked("z", z, lambda a: ~np.isnan(a), "a number")))


def _loss(z: np.ndarray) -> np.ndarray:
    return norm.pdf(z) - z * norm.sf(z)


def _second_loss(z: np.ndarray) -> np.ndarray:
    """Standard normal second-order loss ``L2(z) = ½ E[((Z - z)+)²]``."""
    return 0.5 * ((z**2 + 1) * norm.sf(z) - z * norm.pdf(z))


def _shortfall(x: np.ndarray, mean: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """``E[(D - x)+]`` for ``D ~ N(mean, sd²)``; deterministic ``(mean - x)+`` where sd is 0."""
    safe_sd = np.where(sd > 0, sd, 1.0)
    random = safe_sd * _loss((x - mean) / safe_sd)
    return np.where(sd > 0, random, np.maximum(mean - x, 0.0))


def _shortfall_integral(x: np.ndarray, mean: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """``∫_x^∞ E[(D - y)+] dy = E[((D - x)+)²] / 2`` for normal ``D`` (sd 0 allowed)."""
    safe_sd = np.where(sd > 0, sd, 1.0)
    random = safe_sd**2 * _second_loss((x - mean) / safe_sd)
    return np.where(sd > 0, random, 0.5 * np.maximum(mean - x, 0.0) ** 2)


# --------------------------------------------------------------------------- deterministic


def eoq(fixed_cost: ArrayLike, holding_cost: ArrayLike, demand_rate: ArrayLike) -> EOQResult:
    """Economic order quantity ``Q* = √(2Kλ/h)`` and its cost per period ``√(2Kλh)``.

    The order size that balances fixed ordering cost against cycle-stock holding cost when
    demand is steady (Snyder & Shen eq. 3.4-3.5).
    """
    k = _nonnegative("fixed_cost", fixed_cost)
    h = _positive("holding_cost", holding_cost)
    lam = _nonnegative("demand_rate", demand_rate)
    q = np.sqrt(2 * k * lam / h)
    return EOQResult(order_quantity=_out(q), cost=_out(q * h))


def wagner_whitin(
    demand: Sequence[float],
    fixed_cost: float,
    holding_cost: float,
    purchase_cost: float = 0.0,
) -> LotSizingResult:
    """Cheapest order plan for known, time-varying demand (Wagner-Whitin, O(T²) DP).

    Each order covers the demand of a run of consecutive periods; a unit ordered in period t and
    used in period i pays ``h·(i - t)`` holding (end-of-period inventory, as in stockpyl) and
    ``c`` purchase cost. Periods with zero demand in the covered run pay no fixed cost.
    """
    d = _nonnegative("demand", _finite("demand", demand))
    if d.ndim != 1 or d.size == 0:
        raise ValueError(f"demand must be a non-empty 1-D sequence, got shape {d.shape}")
    k = float(_nonnegative("fixed_cost", fixed_cost))
    h = float(_nonnegative("holding_cost", holding_cost))
    c = float(_nonnegative("purchase_cost", purchase_cost))

    n = d.size
    units = np.concatenate([[0.0], np.cumsum(d)])  # units[j] = d_0 + … + d_{j-1}
    weighted = np.concatenate([[0.0], np.cumsum(np.arange(n) * d)])
    theta = np.zeros(n + 1)  # theta[t] = optimal cost of periods t..n-1
    next_order = np.zeros(n, dtype=int)
    for t in range(n - 1, -1, -1):
        ends = np.arange(t + 1, n + 1)  # the order in t covers periods t..end-1
        covered = units[ends] - units[t]
        carried = (weighted[ends] - weighted[t]) - t * covered  # Σ (i - t) d_i
        cost = k * (covered > 0) + c * covered + h * carried + theta[ends]
        best = int(np.argmin(cost))  # first minimum, as stockpyl breaks ties
        theta[t] = cost[best]
        next_order[t] = ends[best]

    orders = np.zeros(n)
    t = 0
    while t < n:
        orders[t] = units[next_order[t]] - units[t]
        t = next_order[t]
    return LotSizingResult(cost=float(theta[0]), order_quantities=orders)


# --------------------------------------------------------------------------- single period


def newsvendor_normal(
    holding_cost: ArrayLike, stockout_cost: ArrayLike, mean: ArrayLike, sd: ArrayLike
) -> NewsvendorResult:
    """Newsvendor optimum for normal demand: ``S* = μ + σ Φ⁻¹(p/(p+h))``.

    The expected cost ``h E[(S-D)+] + p E[(D-S)+] = σ(h(z + L(z)) + p L(z))`` is computed from
    the normal loss function, so it is also correct where σ is 0 (cost 0, ``S* = μ``).
    """
    h = _positive("holding_cost", holding_cost)
    p = _positive("stockout_cost", stockout_cost)
    mu = _finite("mean", mean)
    sigma = _nonnegative("sd", sd)
    ratio = p / (p + h)
    base = mu + sigma * norm.ppf(ratio)
    cost = _newsvendor_cost(base, h, p, mu, sigma)
    return NewsvendorResult(
        base_stock=_out(base), critical_ratio=_out(ratio), expected_cost=_out(cost)
    )


def newsvendor_empirical(
    holding_cost: ArrayLike, stockout_cost: ArrayLike, samples: ArrayLike
) -> NewsvendorResult:
    """Newsvendor optimum for demand given as samples (for example forecast sample paths).

    The base stock is the smallest sample whose empirical CDF reaches the critical ratio (the
    exact optimum for the empirical distribution; numpy's ``inverted_cdf`` quantile), and the
    expected cost is the sample mean of ``h(S-D)+ + p(D-S)+``. A 2-D ``samples`` holds one SKU
    per row; costs may then be scalars or one per row, and the result holds arrays.
    """
    x = _finite("samples", samples)
    if x.ndim not in (1, 2) or x.shape[-1] == 0:
        raise ValueError(f"samples must be a non-empty 1-D or 2-D array, got shape {x.shape}")
    rows = np.atleast_2d(x)
    n_rows = rows.shape[0]
    h = _per_row("holding_cost", _positive("holding_cost", holding_cost), n_rows)
    p = _per_row("stockout_cost", _positive("stockout_cost", stockout_cost), n_rows)
    ratio = p / (p + h)

    ordered = np.sort(rows, axis=1)
    ecdf = np.arange(1, rows.shape[1] + 1) / rows.shape[1]
    first = np.argmax(ecdf[None, :] >= ratio[:, None], axis=1)
    base = ordered[np.arange(n_rows), first]
    gap = base[:, None] - rows
    cost = (h[:, None] * np.maximum(gap, 0) + p[:, None] * np.maximum(-gap, 0)).mean(axis=1)
    if x.ndim == 1:
        return NewsvendorResult(float(base[0]), float(ratio[0]), float(cost[0]))
    return NewsvendorResult(base_stock=base, critical_ratio=ratio, expected_cost=cost)


def _per_row(name: str, value: np.ndarray, rows: int, what: str = "one value per row") -> np.ndarray:
    """A scalar broadcast to ``rows`` values, or exactly ``rows`` values."""
    if value.ndim == 0:
        return np.full(rows, float(value))
    if value.shape != (rows,):
        raise ValueError(
            f"{name} must be a scalar or have {what} ({rows}), got shape {value.shape}"
        )
    return value


# --------------------------------------------------------------------------- service levels


def base_stock_level(mean: ArrayLike, sd: ArrayLike, service_level: ArrayLike) -> FloatOrArray:
    """Order-up-to level ``S = μ + z σ`` meeting a cycle service level over the protection
    interval (lead time plus review period) whose demand has mean ``mean`` and sd ``sd``."""
    mu = _finite("mean", mean)
    sigma = _nonnegative("sd", sd)
    z = norm.ppf(_probability("service_level", service_level))
    return _out(mu + z * sigma)


def _protection_demand(
    demand_mean: ArrayLike,
    demand_sd: ArrayLike,
    lead_time_mean: ArrayLike,
    lead_time_sd: ArrayLike,
    review_period: ArrayLike,
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sd of demand over the protection interval L + R with random lead time."""
    d = _nonnegative("demand_mean", demand_mean)
    sd_d = _nonnegative("demand_sd", demand_sd)
    lead = _nonnegative("lead_time_mean", lead_time_mean)
    sd_lead = _nonnegative("lead_time_sd", lead_time_sd)
    review = _nonnegative("review_period", review_period)
    span = lead + review
    return d * span, np.sqrt(span * sd_d**2 + d**2 * sd_lead**2)


def safety_stock(
    service_level: ArrayLike,
    demand_mean: ArrayLike,
    demand_sd: ArrayLike,
    lead_time_mean: ArrayLike,
    lead_time_sd: ArrayLike = 0.0,
    review_period: ArrayLike = 0.0,
) -> FloatOrArray:
    """Safety stock ``z √((L+R)σ_d² + d²σ_L²)`` for a cycle service level.

    Demand mean/sd are per period, lead time and review period in periods; the second term
    protects against lead-time variability (independent demand and lead time).
    """
    z = norm.ppf(_probability("service_level", service_level))
    _, sd = _protection_demand(demand_mean, demand_sd, lead_time_mean, lead_time_sd, review_period)
    return _out(z * sd)


def reorder_point(
    service_level: ArrayLike,
    demand_mean: ArrayLike,
    demand_sd: ArrayLike,
    lead_time_mean: ArrayLike,
    lead_time_sd: ArrayLike = 0.0,
    review_period: ArrayLike = 0.0,
) -> FloatOrArray:
    """Reorder point (or order-up-to level when ``review_period`` > 0): expected demand over
    L + R plus :func:`safety_stock` with the same arguments."""
    mean, _ = _protection_demand(
        demand_mean, demand_sd, lead_time_mean, lead_time_sd, review_period
    )
    buffer = safety_stock(
        service_level, demand_mean, demand_sd, lead_time_mean, lead_time_sd, review_period
    )
    return _out(mean + buffer)


def cycle_service_level(
    reorder_point: ArrayLike, lt_demand_mean: ArrayLike, lt_demand_sd: ArrayLike
) -> FloatOrArray:
    """Probability of no stockout in an order cycle, ``Φ((r - μ_L)/σ_L)`` (type-1 service)."""
    r = _finite("reorder_point", reorder_point)
    mu = _finite("lt_demand_mean", lt_demand_mean)
    sigma = _nonnegative("lt_demand_sd", lt_demand_sd)
    safe = np.where(sigma > 0, sigma, 1.0)
    return _out(np.where(sigma > 0, norm.cdf((r - mu) / safe), (r >= mu).astype(float)))


def fill_rate(
    reorder_point: ArrayLike,
    order_quantity: ArrayLike,
    lt_demand_mean: ArrayLike,
    lt_demand_sd: ArrayLike,
) -> FloatOrArray:
    """Type-2 service (fraction of demand met from stock) of a continuous-review (r, Q) policy.

    Uses the exact formula for normal lead-time demand with backorders,
    ``1 - σ(L(z_r) - L(z_{r+Q}))/Q`` with ``z_x = (x - μ_L)/σ_L``, rather than the common
    approximation ``1 - σL(z_r)/Q``, which undercounts service (and can go negative) when
    ``Q`` is small relative to ``σ_L``.
    """
    r = _finite("reorder_point", reorder_point)
    q = _positive("order_quantity", order_quantity)
    mu = _finite("lt_demand_mean", lt_demand_mean)
    sigma = _nonnegative("lt_demand_sd", lt_demand_sd)
    short = _shortfall(r, mu, sigma) - _shortfall(r + q, mu, sigma)
    return _out(1.0 - short / q)


def safety_factor_for_fill_rate(
    fill_rate_target: ArrayLike,
    order_quantity: ArrayLike,
    lt_demand_sd: ArrayLike,
    *,
    min_z: float = 0.0,
) -> FloatOrArray:
    """Safety factor ``z`` at which :func:`fill_rate` equals the target.

    Solves ``L(z) - L(z + Q/σ) = (1 - β)Q/σ`` with ``scipy.optimize.brentq`` (the exact
    counterpart of the textbook ``L(z) = (1 - β)Q/σ``). The answer is clamped to
    ``[min_z, MAX_SAFETY_FACTOR]``: by default no negative safety stock is planned even when a
    large ``Q`` alone would meet the target; pass ``min_z=-np.inf`` for the unclamped root.
    Where ``σ`` is 0 any ``z`` serves, and ``max(min_z, 0)`` is returned.
    """
    beta = _probability("fill_rate_target", fill_rate_target)
    q = _positive("order_quantity", order_quantity)
    sigma = _nonnegative("lt_demand_sd", lt_demand_sd)
    beta, q, sigma = np.broadcast_arrays(beta, q, sigma)
    z = np.empty(beta.shape)
    for i in np.ndindex(beta.shape):
        z[i] = _fill_rate_root(float(beta[i]), float(q[i]), float(sigma[i]))
    return _out(np.clip(z, min_z, MAX_SAFETY_FACTOR))


def _fill_rate_root(beta: float, q: float, sigma: float) -> float:
    if sigma == 0:
        return 0.0
    ratio = q / sigma

    def gap(z: float) -> float:
        return float(_loss(z) - _loss(z + ratio) - (1 - beta) * ratio)

    low, high = -(ratio + 10.0), MAX_SAFETY_FACTOR  # gap(low) ≈ β·ratio > 0
    if gap(high) >= 0:
        return MAX_SAFETY_FACTOR
    return brentq(gap, low, high, xtol=1e-12)


# --------------------------------------------------------------------------- (r, Q)


def rq_policy(
    *,
    fixed_cost: ArrayLike,
    holding_cost: ArrayLike,
    demand_mean: ArrayLike,
    demand_sd: ArrayLike,
    lead_time: ArrayLike,
    stockout_cost: ArrayLike | None = None,
    service_level: ArrayLike | None = None,
    fill_rate_target: ArrayLike | None = None,
) -> RQResult:
    """Continuous-review (r, Q) policy for normal demand with backorders.

    Demand mean/sd are per period and ``lead_time`` is in periods, so lead-time demand is
    ``N(λL, σ²L)``. The target decides how r and Q are set:

    - ``service_level`` (cycle service, type 1): ``Q`` = EOQ, ``r = μ_L + Φ⁻¹(α)σ_L``;
    - ``fill_rate_target`` (type 2): ``Q`` = EOQ, ``r = μ_L + zσ_L`` with ``z`` from
      :func:`safety_factor_for_fill_rate` (never below 0);
    - only ``stockout_cost`` (per unit backordered per period): ``Q`` = EOQ with backorders and
      ``r`` solving ``g(r) = g(r + Q)`` (stockpyl's ``r_q_eoqb_approximation``).

    ``expected_cost`` is ``Kλ/Q + h·E[on hand] + p·E[backorders]`` per period (Snyder & Shen
    eq. 5.7); with a service target and no ``stockout_cost`` the backorder term is 0.
    """
    targets = [t for t in (service_level, fill_rate_target) if t is not None]
    if len(targets) > 1:
        raise ValueError("give service_level or fill_rate_target, not both")
    if not targets and stockout_cost is None:
        raise ValueError("give one target: service_level, fill_rate_target or stockout_cost")
    k = _positive("fixed_cost", fixed_cost)
    h = _positive("holding_cost", holding_cost)
    lam = _positive("demand_mean", demand_mean)
    sd = _nonnegative("demand_sd", demand_sd)
    lead = _nonnegative("lead_time", lead_time)
    p = np.asarray(0.0) if stockout_cost is None else _positive("stockout_cost", stockout_cost)
    mu_l, sd_l = lam * lead, sd * np.sqrt(lead)

    if service_level is not None:
        q = np.sqrt(2 * k * lam / h)
        r = mu_l + norm.ppf(_probability("service_level", service_level)) * sd_l
    elif fill_rate_target is not None:
        q = np.sqrt(2 * k * lam / h)
        r = mu_l + safety_factor_for_fill_rate(fill_rate_target, q, sd_l) * sd_l
    else:
        q = np.sqrt(2 * k * lam * (h + p) / (h * p))
        r = _optimal_r_for_q(q, h, p, mu_l, sd_l)

    r, q = np.broadcast_arrays(np.asarray(r, float), np.asarray(q, float))
    backorders = (_shortfall_integral(r, mu_l, sd_l) - _shortfall_integral(r + q, mu_l, sd_l)) / q
    on_hand = r + q / 2 - mu_l + backorders
    cost = k * lam / q + h * on_hand + p * backorders
    return RQResult(
        reorder_point=_out(r),
        order_quantity=_out(q),
        safety_stock=_out(r - mu_l),
        cycle_service_level=cycle_service_level(r, mu_l, sd_l),
        fill_rate=fill_rate(r, q, mu_l, sd_l),
        expected_cost=_out(cost),
    )


def _newsvendor_cost(
    y: ArrayLike, h: ArrayLike, p: ArrayLike, mu: ArrayLike, sd: ArrayLike
) -> np.ndarray:
    """``g(y) = h E[(y - D)+] + p E[(D - y)+]`` for ``D ~ N(mu, sd²)``; convex in y."""
    y, mu, sd = np.asarray(y, float), np.asarray(mu, float), np.asarray(sd, float)
    short = _shortfall(y, mu, sd)
    return h * (y - mu + short) + p * short


def _optimal_r_for_q(
    q: ArrayLike, h: ArrayLike, p: ArrayLike, mu: ArrayLike, sd: ArrayLike
) -> np.ndarray:
    """The r with ``g(r) = g(r + Q)``: it lies within Q below the newsvendor point."""
    q, h, p, mu, sd = np.broadcast_arrays(*(np.asarray(a, float) for a in (q, h, p, mu, sd)))
    peak = mu + sd * norm.ppf(p / (p + h))
    r = np.empty(q.shape)
    for i in np.ndindex(q.shape):
        args = (h[i], p[i], mu[i], sd[i])

        def gap(y: float, i=i, args=args) -> float:
            return float(_newsvendor_cost(y, *args) - _newsvendor_cost(y + q[i], *args))

        r[i] = brentq(gap, peak[i] - q[i], peak[i], xtol=1e-10)
    return r


# --------------------------------------------------------------------------- stochastic DP


def finite_horizon_ss(
    periods: int,
    holding_cost: ArrayLike,
    stockout_cost: ArrayLike,
    purchase_cost: ArrayLike,
    fixed_cost: ArrayLike,
    mean: ArrayLike,
    sd: ArrayLike,
    terminal_holding_cost: float | None = None,
    terminal_stockout_cost: float | None = None,
    discount: ArrayLike = 1.0,
    *,
    initial_inventory: int = 0,
    d_spread: float = 4.0,
    s_spread: float = 5.0,
) -> SSResult:
    """Optimal (s_t, S_t) for a finite horizon with normal demand and backorders (DP).

    Solves ``θ_t(x) = min_{y ≥ x} K·1[y > x] + c(y - x) + g_t(y) + γ E θ_{t+1}(y - D)`` with
    terminal cost ``θ_{T+1}(x) = h_T x⁺ + p_T x⁻`` (Snyder & Shen Algorithm 4.1). Per-period
    parameters may be scalars or sequences of length ``periods``. ``terminal_holding_cost`` and
    ``terminal_stockout_cost`` default to the last period's holding and stockout costs.

    The discretisation reproduces stockpyl's ``finite_horizon_dp``: integer inventory levels,
    demand rounded to integers within ``μ ± d_spread·σ``, and the same starting grid, widened
    if an order-up-to level reaches its top. ``s_t`` is the largest level at which one orders
    (order when ``x ≤ s_t``); ``cost`` is ``θ_1(initial_inventory)``.
    """
    if isinstance(periods, bool) or not isinstance(periods, int | np.integer) or periods < 1:
        raise ValueError(f"periods must be a positive integer, got {periods!r}")
    h = _per_row("holding_cost", _positive("holding_cost", holding_cost), periods, "one value per period")
    p = _per_row("stockout_cost", _positive("stockout_cost", stockout_cost), periods, "one value per period")
    c = _per_row("purchase_cost", _nonnegative("purchase_cost", purchase_cost), periods, "one value per period")
    k = _per_row("fixed_cost", _nonnegative("fixed_cost", fixed_cost), periods, "one value per period")
    mu = _per_row("mean", _nonnegative("mean", mean), periods, "one value per period")
    sigma = _per_row("sd", _positive("sd", sd), periods, "one value per period")
    gamma = _per_row(
        "discount",
        _checked("discount", discount, lambda a: (a > 0) & (a <= 1), "in (0, 1]"),
        periods,
        "one value per period",
    )
    h_end = float(
        h[-1]
        if terminal_holding_cost is None
        else _nonnegative("terminal_holding_cost", terminal_holding_cost)
    )
    p_end = float(
        p[-1]
        if terminal_stockout_cost is None
        else _nonnegative("terminal_stockout_cost", terminal_stockout_cost)
    )

    d_min = int(max(0, round(mu.min() - d_spread * sigma.max())))
    d_max = int(round(mu.max() + d_spread * sigma.max()))
    demand = np.arange(d_min, d_max + 1)
    eoqb = np.sqrt(2 * k * mu * (h + p) / (h * p))
    x_min = int(round(mu.min() - mu.max() - sigma.max() * (s_spread + d_spread)))
    x_max = int(round(mu.max() + eoqb.max() + sigma.max() * s_spread))

    while True:
        solved = _ss_dp(x_min, x_max, demand, h, p, c, k, mu, sigma, gamma, h_end, p_end)
        if solved is not None:
            break
        x_max += max(x_max - x_min, 1)  # an order-up-to level hit the top: widen and redo
    theta1, s, big_s = solved
    start = int(round(initial_inventory))
    if not x_min <= start <= x_max:
        raise ValueError(
            f"initial_inventory must lie in the DP grid [{x_min}, {x_max}], got {initial_inventory}"
        )
    return SSResult(s=s, S=big_s, cost=float(theta1[start - x_min]))


def _ss_dp(
    x_min: int,
    x_max: int,
    demand: np.ndarray,
    h: np.ndarray,
    p: np.ndarray,
    c: np.ndarray,
    k: np.ndarray,
    mu: np.ndarray,
    sigma: np.ndarray,
    gamma: np.ndarray,
    h_end: float,
    p_end: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Backward recursion on the integer grid ``x_min..x_max``; returns ``(θ_1, s, S)``, or
    None when some optimal order-up-to level sits at the top of the grid (grid too narrow)."""
    x = np.arange(x_min, x_max + 1)
    n = x.size
    theta = h_end * np.maximum(x, 0) + p_end * np.maximum(-x, 0)
    # next-period level y - d, kept inside the grid as stockpyl does
    landing = np.maximum(np.minimum(demand[None, :], x[:, None] - x_min), x[:, None] - x_max)
    landing = x[:, None] - landing - x_min
    s_out, big_s_out = np.zeros(len(mu)), np.zeros(len(mu))
    for t in range(len(mu) - 1, -1, -1):
        prob = norm.cdf(demand + 0.5, mu[t], sigma[t]) - norm.cdf(demand - 0.5, mu[t], sigma[t])
        stage = _newsvendor_cost(x.astype(float), h[t], p[t], mu[t], sigma[t])
        big_h = stage + gamma[t] * (theta[landing] @ prob)

        # best order-up-to level strictly above each x: first argmin of c*y + H(y) over y > x
        g = c[t] * x + big_h
        suffix_min = np.minimum.accumulate(g[::-1])[::-1]
        record = np.where(g == suffix_min, np.arange(n), n)
        suffix_arg = np.minimum.accumulate(record[::-1])[::-1]
        order_cost = np.full(n, np.inf)
        order_cost[:-1] = k[t] - c[t] * x[:-1] + suffix_min[1:]
        target = np.arange(n)
        target[:-1] = np.where(order_cost[:-1] < big_h[:-1], suffix_arg[1:], target[:-1])
        if np.any(target[:-1] == n - 1):
            return None
        theta = np.minimum(big_h, order_cost)

        big_s_out[t] = x[target[0]]
        run = np.cumprod(target == target[0])  # the first run ordering up to S_t
        s_out[t] = x[int(run.sum()) - 1]
    return theta, s_out, big_s_out
