"""Finance: periods, the P&L, the KPI pack and the variance decomposition."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from shopkeeper import finance, metrics
from shopkeeper.finance.variance import _volume_mix_price
from tests.forecast_fixtures import START, demand_store


def test_periods(shop):
    feb = finance.last_complete_period(shop, "month")  # last order 2024-02-25: January
    assert (feb.start, feb.end, feb.label) == (dt.date(2024, 1, 1), dt.date(2024, 1, 31), "2024-01")
    assert finance.last_complete_period(shop, "month", as_of="2024-02-29").label == "2024-02"
    week = finance.last_complete_period(shop, "week", as_of="2024-02-25")  # a Sunday
    assert (week.start, week.end, week.label) == (dt.date(2024, 2, 19), dt.date(2024, 2, 25),
                                                  "2024-W08")
    assert finance.previous_period(week).start == dt.date(2024, 2, 12)
    assert finance.previous_period(feb).label == "2023-12"
    with pytest.raises(metrics.MetricError, match="orders start on 2024-01-05"):
        finance.last_complete_period(shop, "month", as_of="2023-06-30")


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


def _weekly(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 200 + 0.2 * t + 40 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 6, n)


def test_injected_anomalies_are_found_and_a_clean_series_raises_nothing():
    from shopkeeper.finance.anomalies import detect_series_anomalies

    ds = pd.date_range("2024-01-01", periods=210, freq="D")
    clean = _weekly(210, seed=1)
    dirty = clean.copy()
    dirty[[90, 150, 200]] += [120.0, -110.0, 90.0]
    frame = pd.concat([pd.DataFrame({"unique_id": "clean", "ds": ds, "y": clean}),
                       pd.DataFrame({"unique_id": "dirty", "ds": ds, "y": dirty})])
    flagged = detect_series_anomalies(frame)
    found = flagged[flagged["anomaly"]]
    assert found["unique_id"].eq("dirty").all()
    assert sorted(found["ds"]) == [ds[90], ds[150], ds[200]]
    row = found[found["ds"] == ds[150]].iloc[0]
    assert row["y"] < row["low"] < row["expected"] < row["high"]
    short = detect_series_anomalies(frame[frame["ds"] < ds[10]])
    assert not short["anomaly"].any()  # ten days are no baseline


def _daily_store(warehouse, spike_day: int | None = 110) -> None:
    """120 days of web and app orders; on ``spike_day`` the app channel sells 40 more."""
    rng = np.random.default_rng(5)
    start = pd.Timestamp("2024-01-01 12:00", tz="UTC")
    orders, lines = [], []
    for day in range(120):
        for channel, mean in (("web", 12), ("app", 6)):
            n = rng.poisson(mean) + (40 if (day == spike_day and channel == "app") else 0)
            for k in range(n):
                oid = f"{channel}-{day}-{k}"
                orders.append({"order_id": oid, "ordered_at": start + pd.Timedelta(days=day),
                               "channel": channel, "status": "completed", "currency": "EUR",
                               "customer_id": f"c{k}"})
                lines.append({"order_id": oid, "line_number": 1, "product_id": "A",
                              "quantity": 1, "unit_price": 10.0, "line_amount": 10.0,
                              "currency": "EUR"})
    with warehouse.transaction():
        warehouse.insert_df("orders", pd.DataFrame(orders))
        warehouse.insert_df("order_lines", pd.DataFrame(lines))


def test_store_alert_names_its_size_range_and_driver(warehouse):
    _daily_store(warehouse)
    alerts = finance.detect_anomalies(warehouse, "2024-04-01", "2024-04-29",
                                      names=("net_revenue", "orders"))
    spike = [a for a in alerts if a.day == dt.date(2024, 4, 20)]
    assert {a.metric for a in spike} == {"net_revenue", "orders"}
    revenue = next(a for a in spike if a.metric == "net_revenue")
    assert revenue.direction == "up" and revenue.actual > revenue.high > revenue.expected
    assert revenue.size == pytest.approx(revenue.actual - revenue.expected)
    channel = [d for d in revenue.drivers if d["dimension"] == "channel"]
    assert channel[0]["group"] == "app" and channel[0]["change"] > 300
    assert all(a.day == dt.date(2024, 4, 20) for a in alerts)  # nothing else in April


def test_outlook_forecasts_whole_weeks_and_the_cash_view_adds_up(warehouse):
    from shopkeeper.finance.outlook import cash_view, revenue_outlook

    _daily_store(warehouse, spike_day=None)
    as_of = dt.date(2024, 4, 24)  # a Wednesday
    outlook, months = revenue_outlook(warehouse, as_of, weeks=4, months=1)
    assert sorted(outlook["metric"].unique()) == ["gross_profit", "net_revenue"]
    revenue = outlook[outlook["metric"] == "net_revenue"]
    monthly = months[months["metric"] == "net_revenue"]
    assert list(monthly["month"].dt.date) == [dt.date(2024, 5, 1)]
    # May's total is about 31/7 of a forecast week
    assert monthly["yhat"].iloc[0] == pytest.approx(revenue["yhat"].mean() * 31 / 7, rel=0.1)
    # 115 days of history cannot back-test three months ahead: the months are left out
    assert revenue_outlook(warehouse, as_of, weeks=4, months=3)[1].empty
    assert list(revenue["week"].dt.date) == [dt.date(2024, 4, 29) + dt.timedelta(weeks=k)
                                             for k in range(4)]
    # about 18 orders a day at 10.00: some 1,260 a week
    assert revenue["yhat"].between(900, 1600).all()
    assert (revenue["lo_80"] <= revenue["yhat"]).all() and (revenue["yhat"] <= revenue["hi_80"]).all()
    purchases = pd.DataFrame({"week": pd.to_datetime(["2024-04-22", "2024-05-06"]),
                              "purchases": [500.0, 300.0]})
    cash = cash_view(outlook, purchases)
    assert cash["purchases"].tolist() == [500.0, 300.0, 0.0, 0.0]  # due now counts in week one
    assert np.allclose(cash["net"], cash["revenue"] - cash["purchases"])


def test_sku_anomalies_flag_a_collapse_and_a_spike_but_not_steady_skus(warehouse):
    from shopkeeper.finance.anomalies import sku_anomalies

    rng = np.random.default_rng(2)
    days = 9 * 7
    series = {f"S{i}": rng.poisson(4, days).astype(float) for i in range(6)}
    series["S0"][-7:] = 0.0  # stopped selling in the last week (a stock-out or a broken listing)
    series["S1"][-7:] += 30.0  # a spike
    demand_store(warehouse, series)
    end = (START + pd.Timedelta(days=days - 1)).date()  # a Sunday: the last week is whole
    flagged = sku_anomalies(warehouse, finance.Period("week", end - dt.timedelta(days=6), end))
    assert set(flagged["sku"]) == {"S0", "S1"}
    row = flagged.set_index("sku").loc["S0"]
    assert row["actual"] == 0 and row["z"] < -3.5 and row["low"] > 0
