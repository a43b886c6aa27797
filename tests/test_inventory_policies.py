"""Inventory policies against the textbook reference numbers, and against stockpyl itself.

The reference numbers (Snyder & Shen, *Fundamentals of Supply Chain Theory*, the examples in
stockpyl's docstrings) need nothing but numpy/scipy. The cross-checks import stockpyl, a dev-only
dependency, and are skipped without it.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.stats import norm

from shopkeeper.inventory.policies import (
    base_stock_level,
    cycle_service_level,
    eoq,
    fill_rate,
    finite_horizon_ss,
    newsvendor_empirical,
    newsvendor_normal,
    normal_loss,
    reorder_point,
    rq_policy,
    safety_factor_for_fill_rate,
    safety_stock,
    wagner_whitin,
)

ABS = 0.01
STOCKPYL = "stockpyl is a dev-only dependency used for cross-checks"


def _stockpyl(module: str):
    return pytest.importorskip(f"stockpyl.{module}", reason=STOCKPYL)


# --------------------------------------------------------------------------- reference numbers


def test_eoq_reference():
    result = eoq(fixed_cost=8, holding_cost=0.225, demand_rate=1300)
    assert result.order_quantity == pytest.approx(304.05, abs=ABS)
    assert result.cost == pytest.approx(68.41, abs=ABS)


@pytest.mark.parametrize(
    ("h", "p", "mean", "sd", "base", "cost"),
    [(0.18, 0.70, 50, 8, 56.60, 2.00), (2, 18, 120, 10, 132.82, 35.10)],
)
def test_newsvendor_normal_reference(h, p, mean, sd, base, cost):
    result = newsvendor_normal(h, p, mean, sd)
    assert result.base_stock == pytest.approx(base, abs=ABS)
    assert result.critical_ratio == pytest.approx(p / (p + h))
    assert result.expected_cost == pytest.approx(cost, abs=ABS)
    # at the optimum the cost is (h + p) σ φ(z*)
    z = norm.ppf(p / (p + h))
    assert result.expected_cost == pytest.approx((h + p) * sd * norm.pdf(z))


def test_wagner_whitin_reference():
    result = wagner_whitin([90, 120, 80, 70], fixed_cost=500, holding_cost=2)
    assert result.cost == pytest.approx(1380, abs=ABS)
    np.testing.assert_allclose(result.order_quantities, [210, 0, 150, 0])


def test_wagner_whitin_purchase_cost_adds_c_per_unit_and_covers_demand():
    demand = [20, 0, 35, 10, 0, 50]
    plain = wagner_whitin(demand, fixed_cost=40, holding_cost=1)
    priced = wagner_whitin(demand, fixed_cost=40, holding_cost=1, purchase_cost=3)
    assert priced.cost == pytest.approx(plain.cost + 3 * sum(demand))
    assert priced.order_quantities.sum() == pytest.approx(sum(demand))


def test_finite_horizon_ss_reference():
    """Snyder & Shen Example 4.2 (stockpyl's finite_horizon_dp doctest)."""
    result = finite_horizon_ss(
        periods=5, holding_cost=1, stockout_cost=20, purchase_cost=2, fixed_cost=50, mean=100, sd=20
    )
    assert result.s[0] == pytest.approx(110, abs=ABS)
    assert result.S[0] == pytest.approx(133, abs=ABS)
    np.testing.assert_allclose(result.s, [110, 110, 110, 110, 111])
    np.testing.assert_allclose(result.S, [133, 133, 133, 133, 126])
    assert result.cost == pytest.approx(1558.69, abs=ABS)


def test_rq_policy_stockout_cost_reference():
    """Snyder & Shen Example 5.2: EOQB approximation, r = 128.64, Q = 308.57."""
    result = rq_policy(
        fixed_cost=8,
        holding_cost=0.225,
        stockout_cost=7.5,
        demand_mean=1300,
        demand_sd=150,
        lead_time=1 / 12,
    )
    assert result.reorder_point == pytest.approx(128.64, abs=ABS)
    assert result.order_quantity == pytest.approx(308.57, abs=ABS)
    assert result.safety_stock == pytest.approx(128.64 - 1300 / 12, abs=ABS)
    # with r solving g(r) = g(r + Q), the fill rate is exactly p / (p + h)
    assert result.fill_rate == pytest.approx(7.5 / 7.725)


# --------------------------------------------------------------------------- safety stock and service


def test_safety_stock_includes_lead_time_variance():
    # z(0.95) · sqrt((L + R)·σ_d² + d²·σ_L²) = 1.6449 · sqrt(7·9 + 100·1)
    expected = norm.ppf(0.95) * np.sqrt(7 * 9 + 100 * 1)
    got = safety_stock(
        0.95, demand_mean=10, demand_sd=3, lead_time_mean=5, lead_time_sd=1, review_period=2
    )
    assert got == pytest.approx(expected)
    assert got == pytest.approx(21.00, abs=ABS)
    fixed = safety_stock(0.95, demand_mean=10, demand_sd=3, lead_time_mean=5)
    assert fixed == pytest.approx(norm.ppf(0.95) * 3 * np.sqrt(5))


def test_reorder_point_is_protection_demand_plus_safety_stock_vectorised():
    got = reorder_point(
        0.95, demand_mean=[10, 20], demand_sd=[3, 0], lead_time_mean=5, review_period=2
    )
    assert isinstance(got, np.ndarray)
    np.testing.assert_allclose(got, [70 + norm.ppf(0.95) * 3 * np.sqrt(7), 140])


def test_base_stock_level_and_cycle_service_level_are_inverse():
    s = base_stock_level(mean=[100, 50], sd=[20, 5], service_level=0.9)
    np.testing.assert_allclose(cycle_service_level(s, [100, 50], [20, 5]), 0.9)
    assert cycle_service_level(10, 10, 0) == 1.0
    assert cycle_service_level(9, 10, 0) == 0.0


def test_normal_loss_matches_definition_and_vectorises():
    z = np.array([-2.0, 0.0, 1.3])
    np.testing.assert_allclose(normal_loss(z), norm.pdf(z) - z * (1 - norm.cdf(z)))
    assert normal_loss(1.3) == pytest.approx(0.0455, abs=1e-4)  # Snyder & Shen table value
    assert isinstance(normal_loss(0.0), float)


@pytest.mark.parametrize("target", [0.8, 0.95, 0.99, 0.999])
def test_fill_rate_target_round_trip(target):
    q, mu, sd = 100.0, 400.0, 60.0
    z = safety_factor_for_fill_rate(target, q, sd)
    assert z > 0
    assert fill_rate(mu + z * sd, q, mu, sd) == pytest.approx(target, abs=1e-9)


def test_fill_rate_round_trip_vectorised_and_clamped_at_zero():
    targets = np.array([0.5, 0.9, 0.99])
    sd = np.array([10.0, 30.0, 80.0])
    z = safety_factor_for_fill_rate(targets, 200.0, sd, min_z=-np.inf)
    np.testing.assert_allclose(fill_rate(z * sd, 200.0, 0.0, sd), targets, atol=1e-9)
    assert z[0] < 0  # a big Q alone beats a 50% fill rate...
    assert (
        safety_factor_for_fill_rate(0.5, 200.0, 10.0) == 0.0
    )  # ...but by default no negative buffer


def test_fill_rate_exact_formula_and_deterministic_limit():
    r, q, mu, sd = 120.0, 50.0, 100.0, 15.0
    expected = 1 - sd * (normal_loss((r - mu) / sd) - normal_loss((r + q - mu) / sd)) / q
    assert fill_rate(r, q, mu, sd) == pytest.approx(expected)
    assert fill_rate(100.0, 50.0, 100.0, 0.0) == 1.0
    assert fill_rate(90.0, 50.0, 100.0, 0.0) == pytest.approx(0.8)


@pytest.mark.parametrize(
    ("target", "field"),
    [({"service_level": 0.95}, "cycle_service_level"), ({"fill_rate_target": 0.98}, "fill_rate")],
)
def test_rq_policy_meets_service_target_with_eoq(target, field):
    result = rq_policy(
        fixed_cost=50, holding_cost=2, demand_mean=20, demand_sd=6, lead_time=4, **target
    )
    assert result.order_quantity == pytest.approx(eoq(50, 2, 20).order_quantity)
    assert getattr(result, field) == pytest.approx(next(iter(target.values())), abs=1e-9)
    assert result.safety_stock == pytest.approx(result.reorder_point - 80)
    assert result.expected_cost > eoq(50, 2, 20).cost  # safety stock costs something


def test_newsvendor_empirical_matches_sorted_quantile_and_vectorises():
    rng = np.random.default_rng(7)
    samples = rng.gamma(4.0, 25.0, size=(3, 500))
    result = newsvendor_empirical(1.0, 3.0, samples)
    expected = np.quantile(samples, 0.75, axis=1, method="inverted_cdf")
    np.testing.assert_allclose(result.base_stock, expected)
    np.testing.assert_allclose(result.critical_ratio, 0.75)
    # the sample quantile attains the minimum sample-average cost over every candidate level
    for row, cost in zip(samples, result.expected_cost, strict=True):
        costs = [np.mean(np.maximum(c - row, 0) + 3 * np.maximum(row - c, 0)) for c in row]
        assert cost == pytest.approx(min(costs))
    per_row = newsvendor_empirical([1.0, 1.0, 9.0], 3.0, samples)
    assert per_row.base_stock[2] == np.quantile(samples[2], 0.25, method="inverted_cdf")


def test_newsvendor_empirical_one_series_returns_floats_close_to_normal_answer():
    samples = np.random.default_rng(3).normal(120, 10, 20_000)
    result = newsvendor_empirical(2, 18, samples)
    assert isinstance(result.base_stock, float)
    assert result.base_stock == pytest.approx(132.82, abs=0.5)


# --------------------------------------------------------------------------- invalid input


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: eoq(8, -1, 1300), "holding_cost must be > 0, got -1"),
        (lambda: eoq(-8, 1, 1300), "fixed_cost must be >= 0, got -8"),
        (lambda: newsvendor_normal(1, 0, 50, 8), "stockout_cost must be > 0, got 0"),
        (lambda: newsvendor_normal(1, 2, 50, -8), "sd must be >= 0, got -8"),
        (lambda: newsvendor_empirical(1, 2, []), "samples must be a non-empty"),
        (lambda: newsvendor_empirical(1, 2, [1.0, np.nan]), "samples must be finite, got nan"),
        (lambda: wagner_whitin([10, -5], 100, 1), "demand must be >= 0, got -5"),
        (
            lambda: safety_stock(1.0, 10, 3, 5),
            r"service_level must be in the open interval \(0, 1\), got 1",
        ),
        (lambda: safety_stock(0.9, 10, 3, -5), "lead_time_mean must be >= 0, got -5"),
        (lambda: fill_rate(10, 0, 5, 1), "order_quantity must be > 0, got 0"),
        (
            lambda: safety_factor_for_fill_rate([0.9, 1.2], 10, 5),
            r"fill_rate_target must be in the open interval \(0, 1\), got 1.2",
        ),
        (
            lambda: finite_horizon_ss(0, 1, 20, 2, 50, 100, 20),
            "periods must be a positive integer, got 0",
        ),
        (
            lambda: finite_horizon_ss(3, 1, 20, 2, 50, [100, 90], 20),
            "mean must be a scalar or have one value per period \\(3\\)",
        ),
        (
            lambda: finite_horizon_ss(3, 1, 20, 2, 50, 100, 20, discount=0),
            r"discount must be in \(0, 1\], got 0",
        ),
        (
            lambda: rq_policy(
                fixed_cost=8, holding_cost=1, demand_mean=10, demand_sd=2, lead_time=1
            ),
            "give one target",
        ),
        (
            lambda: rq_policy(
                fixed_cost=8,
                holding_cost=1,
                demand_mean=10,
                demand_sd=2,
                lead_time=1,
                service_level=0.9,
                fill_rate_target=0.9,
            ),
            "not both",
        ),
    ],
)
def test_invalid_input_raises_value_error_naming_the_value(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --------------------------------------------------------------------------- stockpyl cross-checks


def test_eoq_matches_stockpyl():
    sp = _stockpyl("eoq")
    cases = np.random.default_rng(1).uniform([0.5, 0.05, 1.0], [200, 5.0, 5000], size=(20, 3))
    for k, h, lam in cases:
        q, cost = sp.economic_order_quantity(k, h, lam)
        result = eoq(k, h, lam)
        assert result.order_quantity == pytest.approx(q, abs=ABS)
        assert result.cost == pytest.approx(cost, abs=ABS)


def test_newsvendor_normal_matches_stockpyl():
    sp = _stockpyl("newsvendor")
    rng = np.random.default_rng(2)
    for _ in range(20):
        h, p = rng.uniform(0.05, 20, size=2)
        mean, sd = rng.uniform(1, 500), rng.uniform(0.5, 100)
        base, cost = sp.newsvendor_normal(h, p, mean, sd)
        result = newsvendor_normal(h, p, mean, sd)
        assert result.base_stock == pytest.approx(base, abs=ABS)
        assert result.expected_cost == pytest.approx(cost, abs=ABS)


def test_wagner_whitin_matches_stockpyl():
    sp = _stockpyl("wagner_whitin")
    rng = np.random.default_rng(3)
    for _ in range(15):
        demand = rng.integers(0, 200, size=int(rng.integers(1, 13))).tolist()
        k, h, c = float(rng.uniform(10, 800)), float(rng.uniform(0.1, 5)), float(rng.uniform(0, 3))
        quantities, cost, _, _ = sp.wagner_whitin(len(demand), h, k, demand, c)
        result = wagner_whitin(demand, fixed_cost=k, holding_cost=h, purchase_cost=c)
        assert result.cost == pytest.approx(cost, abs=ABS)
        np.testing.assert_allclose(result.order_quantities, quantities[1:])


@pytest.mark.parametrize(
    "args",
    [
        # periods, h, p, h_T, p_T, c, K, mean, sd
        (4, 0.5, 10, 0, 0, 1, 30, 40, 8),
        (3, 2, 15, 2, 15, 0, 0, 60, 12),
        (4, 1, 8, 0, 5, 1, 80, [30, 45, 20, 35], [6, 9, 4, 7]),
    ],
)
def test_finite_horizon_ss_matches_stockpyl(args):
    """Other cases than the reference one, including time-varying demand."""
    sp = _stockpyl("finite_horizon")
    periods, h, p, h_end, p_end, c, k, mean, sd = args
    with warnings.catch_warnings():  # stockpyl warns about its own truncation settings
        warnings.simplefilter("ignore")
        s, big_s, cost, *_ = sp.finite_horizon_dp(periods, h, p, h_end, p_end, c, k, mean, sd)
    result = finite_horizon_ss(periods, h, p, c, k, mean, sd, h_end, p_end)
    np.testing.assert_allclose(result.s, s[1:], atol=ABS)
    np.testing.assert_allclose(result.S, big_s[1:], atol=ABS)
    assert result.cost == pytest.approx(cost, abs=ABS)


def test_rq_policy_matches_stockpyl_eoqb_and_cost():
    sp = _stockpyl("rq")
    h, p, k, lam, sd, lead = 0.225, 7.5, 8, 1300, 150, 1 / 12
    r, q = sp.r_q_eoqb_approximation(h, p, k, lam, sd, lead)
    result = rq_policy(
        fixed_cost=k, holding_cost=h, stockout_cost=p, demand_mean=lam, demand_sd=sd, lead_time=lead
    )
    assert result.reorder_point == pytest.approx(r, abs=ABS)
    assert result.order_quantity == pytest.approx(q, abs=ABS)
    cost = sp.r_q_cost(result.reorder_point, result.order_quantity, h, p, k, lam, sd, lead)
    assert result.expected_cost == pytest.approx(cost, abs=ABS)
