"""Finance: periods, the P&L, the KPI pack and the variance decomposition."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from shopkeeper import finance, metrics
from shopkeeper.finance.variance import _volume_mix_price


def test_periods(shop):
    feb = finance.last_complete_period(shop, "month")  # last order 2024-02-25: January
    assert (feb.start, feb.end, feb.label) == (dt.date(2024, 1, 1), dt.date(2024, 1, 31), "2024-01")
    assert finance.last_complete_period(shop, "month", as_of="2024-02-29").label == "2024-02"
    week = finance.last_complete_period(shop, "week", as_of="2024-02-25")  # a Sunday
    assert (week.start, week.end, week.label) == (dt.date(2024, 2, 19), dt.date(2024, 2, 25),
                                                  "2024-W08")
    assert finance.previous_period(week).start == dt.date(2024, 2, 12)
    assert finance.previous_period(feb).label == "2023-12"


def test_pnl_reads_top_down_and_adds_up(shop):
    feb = finance.Period("month", dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    p = finance.pnl(shop, feb).set_index("metric")
    cur = p["current"]
    assert cur["net_revenue"] == pytest.approx(cur["gmv"] - cur["discounts"] - cur["refunds"])
    assert cur["gross_profit"] == pytest.approx(cur["net_revenue"] - cur["cogs"])
    assert cur["contribution"] == pytest.approx(
        cur["gross_profit"] - cur["fees"] - cur["logistics"] - cur["ad_spend"])
    assert cur["operating_profit"] == pytest.approx(-53.60)  # by hand in test_metrics
    assert p.loc["gmv", "previous"] == pytest.approx(95.50)  # January
    assert p.loc["gmv", "change_pct"] == pytest.approx(61.00 / 95.50 - 1)
    assert np.isnan(p.loc["gmv", "yoy_pct"])  # nothing a year ago
    assert list(p.index[:4]) == ["gmv", "discounts", "refunds", "net_revenue"]
    kpis = finance.kpi_pack(shop, feb).set_index("metric")
    assert kpis.loc["orders", "current"] == 2 and not kpis.loc["refund_rate", "higher_is_better"]


@pytest.mark.parametrize("metric", ["net_revenue", "gross_profit"])
def test_variance_parts_add_up_to_the_change_exactly(shop, metric):
    jan = finance.Period("month", dt.date(2024, 1, 1), dt.date(2024, 1, 31))
    feb = finance.Period("month", dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    v = finance.explain_change(shop, feb, jan, metric=metric)
    direct = {p: metrics.query(shop, metric, start=p.start, end=p.end).df[metric].iloc[0]
              for p in (jan, feb)}
    assert v.total_previous == pytest.approx(direct[jan], abs=1e-9)
    assert v.total_current == pytest.approx(direct[feb], abs=1e-9)
    assert v.effects["amount"].sum() == pytest.approx(v.change, abs=1e-9)
    for dim, table in v.contributions.items():
        assert table["change"].sum() == pytest.approx(v.change, abs=1e-9), dim
    movers = v.top_movers("category", 1)
    assert movers["change"].abs().iloc[0] == v.contributions["category"]["change"].abs().max()


def test_volume_mix_price_on_a_textbook_case():
    # two items; base: 10 × 5 and 10 × 1; now: 15 × 5.5 (dearer) and 5 × 1
    q0, q1 = np.array([10.0, 10.0]), np.array([15.0, 5.0])
    v0, v1 = np.array([50.0, 10.0]), np.array([82.5, 5.0])
    e = _volume_mix_price(q0, q1, v0, v1)
    assert e["volume"] == pytest.approx(0.0)  # 20 units both times
    assert e["price"] == pytest.approx(15 * 0.5)
    assert e["mix"] == pytest.approx((0.75 - 0.5) * 20 * 5 + (0.25 - 0.5) * 20 * 1)
    assert sum(e.values()) == pytest.approx(v1.sum() - v0.sum())
    # a new item and a dropped one: still exact, the new one is mix, not price
    e = _volume_mix_price(np.array([4.0, 0.0]), np.array([0.0, 3.0]),
                          np.array([8.0, 0.0]), np.array([0.0, 9.0]))
    assert sum(e.values()) == pytest.approx(1.0) and e["price"] == pytest.approx(0.0)


def test_unknown_metric_to_explain(shop):
    p = finance.Period("month", dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    with pytest.raises(metrics.MetricError, match="can explain"):
        finance.explain_change(shop, p, p, metric="orders")
