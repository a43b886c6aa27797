"""Finance: periods, the P&L, the KPI pack and the variance decomposition."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from shopkeeper import finance, metrics
from shopkeeper.finance.narrative import checked_narrative, unsupported_numbers
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


def _daily_store(warehouse, spike_day: int | None = 110, days: int = 120) -> None:
    """``days`` days of web and app orders; on ``spike_day`` the app channel sells 40 more."""
    rng = np.random.default_rng(5)
    start = pd.Timestamp("2024-01-01 12:00", tz="UTC")
    orders, lines = [], []
    for day in range(days):
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
    outlook, months, check = revenue_outlook(warehouse, as_of, weeks=4, months=1)
    # its track record: the last backtest window ends on as_of, and a steady store is
    # forecast within a few percent
    assert check is not None and check.metric == "net_revenue" and check.end == as_of
    assert check.days == (check.end - check.start).days + 1 > 28
    assert check.actual > 0 and check.error < 0.1
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


@pytest.mark.parametrize("lang, words", [("en", "this outlook was off by"), ("zh", "该预测偏差")])
def test_the_report_states_how_far_its_outlook_was_off(warehouse, lang, words):
    from shopkeeper.finance.report import build_report

    _daily_store(warehouse, spike_day=None, days=400)  # long enough for a 3-month outlook
    report = build_report(warehouse, "month", lang=lang)
    check = report.outlook_check
    last_day = dt.date(2024, 1, 1) + dt.timedelta(days=399)
    assert check is not None and check.end == last_day and check.days > 90
    assert words in report.narrative.text
    assert f"{check.error * 100:.1f}%" in report.narrative.text
    assert unsupported_numbers(report.narrative.text, report.facts) == []


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


# -- money that must not be wrong silently -----------------------------------------------------
MARCH = finance.Period("month", dt.date(2024, 3, 1), dt.date(2024, 3, 31))


def test_default_period_ignores_a_stray_far_future_order(shop):
    shop.insert_df("orders", pd.DataFrame([{
        "order_id": "typo", "customer_id": "c1", "status": "completed", "currency": "EUR",
        "ordered_at": pd.Timestamp("2031-06-15 10:00", tz="UTC")}]))
    shop.insert_df("order_lines", pd.DataFrame([{
        "order_id": "typo", "line_number": 1, "product_id": "A", "quantity": 1,
        "unit_price": 10.0, "line_amount": 10.0, "currency": "EUR"}]))
    assert finance.last_complete_period(shop, "month").label == "2024-01"
    report = finance.build_report(shop, "month")
    assert report.period.label == "2024-01" and "nan" not in report.narrative.text


def test_stray_tail_after_a_long_gap_is_not_the_end_of_history(warehouse):
    _daily_store(warehouse, spike_day=None)  # Jan–Apr 2024, about 18 orders a day
    warehouse.insert_df("orders", pd.DataFrame([{
        "order_id": "late", "status": "completed", "currency": "EUR",
        "ordered_at": pd.Timestamp("2024-11-20 10:00", tz="UTC")}]))
    assert finance.statements.last_activity_day(warehouse) == dt.date(2024, 4, 29)


def test_a_trickle_of_late_orders_is_not_the_default_period(warehouse):
    _daily_store(warehouse, spike_day=None)  # Jan–Apr 2024, about 18 orders a day
    late = [("may", "2024-05-10"), ("jun", "2024-06-20"), ("jul", "2024-07-02")]
    warehouse.insert_df("orders", pd.DataFrame([{
        "order_id": oid, "status": "completed", "currency": "EUR", "channel": "web",
        "ordered_at": pd.Timestamp(f"{day} 10:00", tz="UTC")} for oid, day in late]))
    warehouse.insert_df("order_lines", pd.DataFrame([{
        "order_id": oid, "line_number": 1, "product_id": "A", "quantity": 1,
        "unit_price": 10.0, "line_amount": 10.0, "currency": "EUR"} for oid, _ in late]))
    assert finance.last_complete_period(warehouse, "month").label == "2024-04"
    # asked for explicitly, a thin month is still reported
    assert finance.last_complete_period(warehouse, "month", as_of="2024-06-30").label == "2024-06"


def test_the_narrative_of_a_fall_keeps_its_signs_in_both_languages(shop):
    feb = finance.Period("month", dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    en = finance.build_report(shop, feb, lang="en")
    zh = finance.build_report(shop, feb, lang="zh")
    assert en.facts["net_revenue_change_pct"].value < 0  # 35.00 after January's 90.00
    assert "down 61.1% on January 2024" in en.narrative.text
    assert "fell by EUR 55.00" in en.narrative.text
    assert "Operating profit was EUR −53.60" in en.narrative.text
    assert "较2024年1月下降 61.1%" in zh.narrative.text and "净收入减少 EUR 55.00" in zh.narrative.text
    assert "经营利润 EUR −53.60" in zh.narrative.text
    for report in (en, zh):
        assert unsupported_numbers(report.narrative.text, report.facts) == []
    # a rewrite that turns the fall into a rise, or drops a minus sign, is refused
    for lang, report, lie in (
            ("en", en, en.narrative.text.replace("down 61.1%", "up 61.1%")),
            ("en", en, en.narrative.text.replace("EUR −53.60", "EUR 53.60")),
            ("en", en, en.narrative.text.replace("down 61.1%", "61.1%")),
            ("zh", zh, zh.narrative.text.replace("下降 61.1%", "增长 61.1%"))):
        checked = checked_narrative(report.facts, lang, lambda t, lang, lie=lie: lie)
        assert checked.path == "template" and checked.rejected_numbers, lie
    kept = checked_narrative(en.facts, "en", lambda t, lang: t.replace(
        "down 61.1%", "a 61.1% drop").replace("EUR −53.60", "a loss of EUR 53.60"))
    assert kept.path == "model"


def test_a_negative_value_is_written_with_its_minus_sign():
    from shopkeeper.finance.narrative import fmt, magnitude

    assert fmt(-1234.5, "money") == "−1,234.50" and fmt(-0.123, "ratio") == "−12.3%"
    assert magnitude(-0.123, "ratio") == "12.3%"


def test_missing_costs_are_stated_not_turned_into_a_margin(two_currency_shop):
    report = finance.build_report(two_currency_shop, MARCH, money=metrics.Money("USD"))
    pnl = report.pnl.set_index("metric")["current"]
    assert np.isnan(pnl["gross_margin"])
    assert pnl["cost_coverage"] == pytest.approx(100.00 / 150.00)
    text = report.narrative.text
    assert "Cost is known for only 66.7% of sales" in text
    assert "margin was 20.0%" in text and "Gross margin was" not in text
    zh = finance.build_report(two_currency_shop, MARCH, lang="zh", money=metrics.Money("USD"))
    assert "仅 66.7% 的销售额有成本数据，无法计算毛利率" in zh.narrative.text
    eur = finance.build_report(two_currency_shop, MARCH, money=metrics.Money("EUR"))
    assert "No sale has a known cost" in eur.narrative.text  # P1's cost is in USD


def test_two_currencies_give_two_reports_or_one_converted_at_stated_rates(two_currency_shop,
                                                                          tmp_path):
    with pytest.raises(metrics.MetricError, match="sells in USD, EUR|sells in EUR, USD"):
        finance.build_report(two_currency_shop, MARCH)
    reports = finance.build_reports(two_currency_shop, MARCH)
    by_currency = {r.currency: r for r in reports}
    assert set(by_currency) == {"USD", "EUR"}
    assert by_currency["USD"].pnl.set_index("metric").loc["gmv", "current"] == pytest.approx(150)
    assert by_currency["EUR"].pnl.set_index("metric").loc["gmv", "current"] == pytest.approx(200)
    assert "covers the sales in EUR only; amounts in USD are never added in" in by_currency[
        "EUR"].narrative.text
    files = [finance.write_report(r, tmp_path, ("xlsx",))["xlsx"].name for r in reports]
    assert sorted(files) == ["report-2024-03-en-EUR.xlsx", "report-2024-03-en-USD.xlsx"]
    [converted] = finance.build_reports(two_currency_shop, MARCH, report_currency="USD",
                                        fx_rates={"EUR": 1.10})
    assert converted.pnl.set_index("metric").loc["gmv", "current"] == pytest.approx(370.00)
    assert converted.money == "USD (converted at 1 EUR = 1.1 USD)"
    assert "converted to USD at the configured rates: 1 EUR = 1.1 USD" in converted.narrative.text
    tables = finance.report.report_tables(converted)
    about = dict(tables["about"].to_numpy())
    assert about["money"] == "USD (converted at 1 EUR = 1.1 USD)"
    pnl = tables["P&L"].set_index("metric")  # every money line says its currency
    assert pnl.loc["gmv", "currency"] == "USD" and pnl.loc["gross_margin", "currency"] == ""


def test_a_degenerate_band_flags_nothing():
    from shopkeeper.finance.anomalies import detect_series_anomalies

    ds = pd.date_range("2024-01-01", periods=120, freq="D")
    rng = np.random.default_rng(0)
    y = 1.0 + rng.normal(0, 1e-9, 120)  # a margin of 100% every day, to rounding noise
    y[110] = 1.0 + 1e-6
    flagged = detect_series_anomalies(pd.DataFrame({"unique_id": "m", "ds": ds, "y": y}))
    assert not flagged["anomaly"].any()


def _costed_refunds(warehouse, big_refund_day: int = 110) -> None:
    """A unit cost for A, small refunds most days, and one refund bigger than the day's sales."""
    rng = np.random.default_rng(9)
    warehouse.insert_df("products", pd.DataFrame([{"product_id": "A", "title": "A",
                                                   "unit_cost": 4.0, "currency": "EUR"}]))
    start = pd.Timestamp("2024-01-01 15:00", tz="UTC")
    rows = [{"refund_id": f"r{day}", "order_id": f"web-{day}-0", "currency": "EUR",
             "amount": 250.0 if day == big_refund_day else float(rng.integers(0, 30)),
             "refunded_at": start + pd.Timedelta(days=day), "kind": "return",
             "status": "completed"} for day in range(120)]
    warehouse.insert_df("refunds", pd.DataFrame(rows))


def test_an_impossible_margin_is_a_data_problem_not_an_anomaly(warehouse):
    _daily_store(warehouse, spike_day=None)
    _costed_refunds(warehouse)
    check = finance.check_anomalies(warehouse, "2024-04-01", "2024-04-29")
    assert not [a for a in check.alerts if a.metric == "gross_margin"]
    [problem] = [f for f in check.findings if f.metric == "gross_margin"]
    assert problem.kind == "implausible" and problem.days == [dt.date(2024, 4, 20)]
    assert problem.values[0] > 1 and "a data problem" in problem.reason_en
    assert "数据问题" in problem.reason_zh
    # the refund that day is a real spike; its expected range stops at what a rate can be
    [refund] = [a for a in check.alerts if a.metric == "refund_rate"]
    assert refund.day == dt.date(2024, 4, 20) and refund.low == 0.0 < refund.high < refund.actual


def test_a_margin_without_costs_cannot_be_computed_and_is_said_so(warehouse):
    _daily_store(warehouse, spike_day=None)  # product A has no cost anywhere
    check = finance.check_anomalies(warehouse, "2024-04-01", "2024-04-29")
    assert not [a for a in check.alerts if a.metric == "gross_margin"]
    [missing] = [f for f in check.findings if f.metric == "gross_margin"]
    assert missing.kind == "cannot_compute"
    assert missing.reason_en == ("gross margin cannot be computed: cost is known for only 0.0% "
                                 "of sales; load unit costs (products.unit_cost or "
                                 "sku_suppliers) to compute it")
    short = finance.check_anomalies(warehouse, "2024-01-10", "2024-01-20", names=("orders",))
    assert [f.kind for f in short.findings] == ["short_history"] and not short.alerts


def test_a_currency_without_money_in_the_period_gets_no_report(two_currency_shop):
    two_currency_shop.insert_df("orders", pd.DataFrame([{
        "order_id": "g1", "customer_id": "c9", "status": "completed", "currency": "GBP",
        "ordered_at": pd.Timestamp("2023-01-10 10:00", tz="UTC")}]))
    two_currency_shop.insert_df("order_lines", pd.DataFrame([{
        "order_id": "g1", "line_number": 1, "product_id": "P1", "quantity": 1,
        "unit_price": 5.0, "line_amount": 5.0, "currency": "GBP"}]))
    assert {r.currency for r in finance.build_reports(two_currency_shop, MARCH)} == {"USD", "EUR"}
    february = finance.Period("month", dt.date(2023, 2, 1), dt.date(2023, 2, 28))
    [only] = finance.build_reports(two_currency_shop, february)  # only GBP moved, in January
    assert only.currency == "GBP" and only.other_currencies == ["USD", "EUR"]
    idle = finance.build_report(two_currency_shop, MARCH, money=metrics.Money("GBP"))
    assert idle.facts["net_revenue"].value == 0 and "nan" not in idle.narrative.text
    assert unsupported_numbers(idle.narrative.text, idle.facts) == []
