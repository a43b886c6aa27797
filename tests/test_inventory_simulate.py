"""The vectorised inventory simulator: hand-checked scenarios, conservation, rounding, edge cases."""

from __future__ import annotations

import numpy as np
import pytest

from shopkeeper.inventory.policies import base_stock_level
from shopkeeper.inventory.simulate import PolicyParams, SimulationResult, simulate

TINY_DEMAND = [[3, 2, 4, 0, 5, 1]]
TINY_COSTS = {"holding_cost": 1.0, "shortage_cost": 10.0, "ordering_cost": 5.0, "unit_cost": 2.0}

POLICIES = {
    "sS": PolicyParams.ss(s=12, S=40, review_period=1),
    "sS_weekly": PolicyParams.ss(s=30, S=70, review_period=7),
    "rQ": PolicyParams.rq(r=15, Q=25),
    "base_stock": PolicyParams.base_stock(S=45, review_period=3),
    "naive": PolicyParams.naive(history=np.full((50, 28), 5.0), interval=28),
}


def _random_demand(n_sku: int = 50, periods: int = 200, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    demand = rng.poisson(rng.uniform(0.5, 9.0, size=(n_sku, 1)), size=(n_sku, periods))
    demand[::7] = 0  # a few SKUs never sell
    return demand.astype(float)


def test_tiny_scenario_lost_sales_by_hand():
    """(s=4, S=8), lead time 1: an order placed on day t is on the shelf from day t + 2.

    day  demand  on hand after demand  position  order  end on hand
     0      3            5                5        -        5
     1      2            3                3        5        3
     2      4     0 (1 lost)              5        -        0
     3      0      5 (5 arrive)           5        -        5
     4      5            0                0        8        0
     5      1     0 (1 lost)              8        -        0
    """
    result = simulate(TINY_DEMAND, PolicyParams.ss(s=4, S=8), lead_time=1, **TINY_COSTS)
    np.testing.assert_array_equal(result.trajectory, [[5, 3, 0, 5, 0, 0]])
    np.testing.assert_array_equal(result.orders, [[0, 5, 0, 0, 8, 0]])
    row = result.per_sku().iloc[0]
    assert row.holding_cost == 13  # 5 + 3 + 0 + 5 + 0 + 0
    assert row.shortage_cost == 20
    assert row.ordering_cost == 10
    assert row.purchase_cost == 26  # 13 units ordered at 2
    assert row.total_cost == 43
    assert (row.units_demanded, row.units_sold, row.units_short) == (15, 13, 2)
    assert row.fill_rate == pytest.approx(13 / 15)
    assert row.stockout_days == 2
    assert (row.start_on_hand, row.units_received, row.end_on_hand, row.on_order_end) == (
        8,
        5,
        0,
        8,
    )
    assert row.average_on_hand == pytest.approx(13 / 6)
    assert row.orders_placed == 2


def test_tiny_scenario_backorders_by_hand():
    """Same data with backorders: the 1 unit short on day 2 is shipped when stock lands on day 3,
    and the backlog lowers the position, so day 2 reorders (position 0 + 5 - 1 = 4 <= s)."""
    result = simulate(
        TINY_DEMAND, PolicyParams.ss(s=4, S=8), lead_time=1, lost_sales=False, **TINY_COSTS
    )
    np.testing.assert_array_equal(result.trajectory, [[5, 3, 0, 4, 3, 2]])
    np.testing.assert_array_equal(result.orders, [[0, 5, 4, 0, 5, 0]])
    assert result.units_sold[0] == 15  # every unit demanded was shipped in the end
    assert result.units_short[0] == 1
    assert result.stockout_days[0] == 1
    assert result.end_backlog[0] == 0
    assert result.holding_cost[0] == 17
    assert result.shortage_cost[0] == 10


@pytest.mark.parametrize("lost_sales", [True, False], ids=["lost_sales", "backorders"])
@pytest.mark.parametrize("name", list(POLICIES))
def test_stock_is_conserved_for_every_policy(name, lost_sales):
    demand = _random_demand()
    lead = np.random.default_rng(1).integers(0, 6, size=demand.shape[0])
    result = simulate(
        demand,
        POLICIES[name],
        lead_time=lead,
        lost_sales=lost_sales,
        moq=4,
        pack_size=3,
        **TINY_COSTS,
    )
    np.testing.assert_allclose(
        result.start_on_hand + result.units_received - result.units_sold, result.end_on_hand
    )
    np.testing.assert_allclose(result.units_received + result.on_order_end, result.units_ordered)
    unmet = result.units_short if lost_sales else result.end_backlog
    np.testing.assert_allclose(result.units_sold + unmet, result.units_demanded)
    np.testing.assert_allclose(result.trajectory[:, -1], result.end_on_hand)
    assert np.all(result.trajectory >= 0)
    assert result.orders_placed.sum() > 0


def test_lost_sales_and_backorders_differ_as_expected():
    demand = _random_demand(seed=4)
    policy = PolicyParams.rq(r=6, Q=20)
    lost = simulate(demand, policy, lead_time=3, lost_sales=True)
    back = simulate(demand, policy, lead_time=3, lost_sales=False)
    np.testing.assert_allclose(lost.units_sold + lost.units_short, lost.units_demanded)
    assert np.all(lost.end_backlog == 0)
    # backorders are shipped later, so more units are sold and more are ordered
    assert back.units_sold.sum() > lost.units_sold.sum()
    assert back.units_ordered.sum() > lost.units_ordered.sum()


def test_every_order_respects_moq_and_pack_size():
    demand = _random_demand(seed=5)
    n_sku = demand.shape[0]
    moq = np.where(np.arange(n_sku) % 2 == 0, 10.0, 0.0)
    pack = np.where(np.arange(n_sku) % 3 == 0, 6.0, 4.0)
    result = simulate(demand, PolicyParams.base_stock(S=30), lead_time=2, moq=moq, pack_size=pack)
    placed = result.orders > 0
    assert placed.any()
    assert np.all(result.orders[placed] >= np.broadcast_to(moq[:, None], placed.shape)[placed])
    packs = result.orders / pack[:, None]
    np.testing.assert_allclose(packs, np.round(packs))


def test_lead_time_zero_is_on_the_shelf_next_period():
    result = simulate([[3.0] * 10], PolicyParams.base_stock(S=5), lead_time=0)
    np.testing.assert_array_equal(result.trajectory, [[2.0] * 10])
    assert result.units_short[0] == 0
    assert result.orders_placed[0] == 10


def test_zero_demand_sku_never_stocks_out():
    demand = np.zeros((2, 30))
    demand[1] = 2.0
    result = simulate(demand, PolicyParams.ss(s=5, S=20), lead_time=2)
    assert result.stockout_days[0] == 0
    assert result.fill_rate[0] == 1.0
    assert result.orders_placed[0] == 0
    assert result.end_on_hand[0] == 20


def test_rq_orders_enough_multiples_of_q_to_clear_r():
    result = simulate(np.zeros((1, 3)), PolicyParams.rq(r=10, Q=4), lead_time=1, initial_on_hand=0)
    np.testing.assert_array_equal(result.orders, [[12, 0, 0]])  # position 0 → 12 > 10


def test_periodic_review_orders_only_on_review_periods():
    result = simulate(
        np.full((1, 12), 4.0), PolicyParams.ss(s=30, S=40, review_period=4), lead_time=1
    )
    ordered_on = np.flatnonzero(result.orders[0])
    assert set(ordered_on) <= {0, 4, 8}
    assert len(ordered_on) > 0


def test_naive_policy_orders_last_interval_sales():
    """Reviews on days 0 and 3 order the sales of the 3 days ending that day; the default start
    stock is average history sales × (lead time + 1) = 2 × 2 = 4."""
    policy = PolicyParams.naive(history=[[1, 2, 3]], interval=3)
    result = simulate([[2.0] * 6], policy, lead_time=1)
    np.testing.assert_array_equal(result.orders, [[7, 0, 0, 6, 0, 0]])  # 2+3+2, then 2+2+2
    np.testing.assert_array_equal(result.trajectory, [[2, 0, 5, 3, 1, 5]])
    assert result.start_on_hand[0] == 4


def test_naive_policy_reorders_censored_sales_under_lost_sales():
    policy = PolicyParams.naive(interval=2)
    result = simulate([[5.0, 5.0, 0.0, 0.0]], policy, lead_time=0, initial_on_hand=3)
    assert result.orders[0, 0] == 3  # only 3 of the 5 demanded could be sold


def test_base_stock_for_95pct_cycle_service_stocks_out_about_5pct_of_days():
    """Links the simulator's lead-time convention to the policy formulas: with daily review the
    protection interval is L + 1 periods, so S = base_stock_level(μ(L+1), σ√(L+1), 0.95)."""
    rng = np.random.default_rng(11)
    demand = np.maximum(rng.normal(20, 5, size=(200, 600)), 0)
    for lead in (0, 3):
        level = base_stock_level(20 * (lead + 1), 5 * np.sqrt(lead + 1), 0.95)
        result = simulate(demand, PolicyParams.base_stock(level), lead_time=lead, lost_sales=False)
        assert result.stockout_days.sum() / demand.size == pytest.approx(0.05, abs=0.006)


def test_result_frames_and_totals():
    demand = _random_demand(n_sku=5, periods=40)
    result = simulate(demand, PolicyParams.ss(s=10, S=30), lead_time=[0, 1, 2, 3, 4], **TINY_COSTS)
    assert isinstance(result, SimulationResult)
    frame = result.per_sku(sku_ids=list("abcde"))
    assert list(frame.index) == list("abcde")
    for column in (
        "holding_cost",
        "shortage_cost",
        "ordering_cost",
        "purchase_cost",
        "total_cost",
        "units_demanded",
        "units_sold",
        "units_short",
        "fill_rate",
        "stockout_days",
        "average_on_hand",
        "orders_placed",
        "units_received",
        "end_on_hand",
        "start_on_hand",
        "on_order_end",
    ):
        assert column in frame.columns
    np.testing.assert_allclose(
        frame.total_cost, frame.holding_cost + frame.shortage_cost + frame.ordering_cost
    )
    totals = result.totals()
    assert totals["total_cost"] == pytest.approx(frame.total_cost.sum())
    assert totals["fill_rate"] == pytest.approx(
        1 - frame.units_short.sum() / frame.units_demanded.sum()
    )
    assert result.trajectory.dtype == np.float32
    assert result.trajectory.shape == demand.shape


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"demand": [[1.0, -2.0]]}, "demand must be finite and >= 0, got -2"),
        ({"lead_time": 1.5}, "lead_time must be a whole number >= 0, got 1.5"),
        ({"lead_time": [1, 2, 3]}, r"lead_time must be a scalar or have one value per SKU \(1\)"),
        ({"holding_cost": -1}, "holding_cost must be >= 0, got -1"),
        ({"pack_size": 0}, "pack_size must be > 0, got 0"),
        ({"policy": PolicyParams.ss(s=9, S=8)}, "s must be <= S"),
        ({"policy": PolicyParams(kind="sS", S=8)}, "needs s"),
        ({"policy": PolicyParams(kind="Qr")}, "policy.kind must be one of"),
        ({"policy": PolicyParams.rq(r=2, Q=0)}, "Q must be > 0, got 0"),
        (
            {"policy": PolicyParams.ss(s=2, S=8, review_period=0)},
            "review_period must be a whole number >= 1",
        ),
        ({"policy": PolicyParams.naive()}, "needs history"),
    ],
)
def test_invalid_input_raises_value_error(kwargs, message):
    arguments = {"demand": [[1.0, 2.0]], "policy": PolicyParams.ss(s=2, S=8), "lead_time": 1}
    arguments.update(kwargs)
    demand, policy = arguments.pop("demand"), arguments.pop("policy")
    with pytest.raises(ValueError, match=message):
        simulate(demand, policy, **arguments)


def test_replanning_schedule_switches_parameters_and_conserves_stock():
    demand = np.full((2, 20), 4.0)
    low = PolicyParams.base_stock(S=np.array([10.0, 10.0]))
    high = PolicyParams.base_stock(S=np.array([30.0, 30.0]))
    result = simulate(demand, {0: low, 10: high}, lead_time=0, initial_on_hand=10.0)
    constant = simulate(demand, low, lead_time=0, initial_on_hand=10.0)
    # the first ten days are identical, then the higher order-up-to level holds more stock
    np.testing.assert_array_equal(result.trajectory[:, :10], constant.trajectory[:, :10])
    assert (result.trajectory[:, 12:] > constant.trajectory[:, 12:]).all()
    np.testing.assert_allclose(
        result.start_on_hand + result.units_received - result.units_sold, result.end_on_hand)
    with pytest.raises(ValueError, match="must include period 0"):
        simulate(demand, {5: low}, lead_time=0)
    with pytest.raises(ValueError, match="one kind of policy"):
        simulate(demand, {0: low, 5: PolicyParams.rq(r=1.0, Q=5.0)}, lead_time=0)
