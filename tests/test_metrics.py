"""The metrics layer: hand-computed values to the cent, comparisons, and real Online Retail."""

from __future__ import annotations

import pytest

from shopkeeper import metrics
from shopkeeper.store import Warehouse


def _one(result: metrics.MetricResult) -> dict[str, float]:
    assert len(result.df) == 1
    return result.df.iloc[0].to_dict()


def test_february_by_hand_to_the_cent(shop):
    got = _one(metrics.query(shop, list(metrics.METRICS), start="2024-02-01", end="2024-02-29"))
    # February: o3 (B 2 × 25.50) and o5 (A 1 × 10.00 − 1.00); o4 is cancelled
    expected = {
        "gmv": 61.00, "discounts": 1.00, "refunds": 25.00, "net_revenue": 35.00,
        "cogs": 2 * 11.25 + 4.00, "gross_profit": 35.00 - 26.50,
        "units": 3, "orders": 2, "customers": 1, "new_customers": 0, "repeat_customers": 1,
        "ad_spend": 8.00, "fees": 1.10, "logistics": 3.00, "other_expenses": 50.00,
        "contribution": 8.50 - 1.10 - 3.00 - 8.00, "operating_profit": 8.50 - 12.10 - 50.00,
        "aov": 60.00 / 2, "units_per_order": 1.5, "refund_rate": 25.00 / 61.00,
        "returning_customers": 1, "repeat_purchase_rate": 1.0, "roas": 60.00 / 8.00,
        "gross_margin": 8.50 / 35.00, "contribution_rate": -3.60 / 35.00,
    }
    assert got["cac"] != got["cac"]  # NaN: ad spend but no new customer to divide it by
    for name, value in expected.items():
        assert got[name] == pytest.approx(value, abs=0.005), name


def test_order_discount_is_spread_over_lines_and_channels_split(shop):
    r = metrics.query(shop, ["gmv", "discounts", "net_revenue", "orders", "new_customers"],
                      by=["channel", "sku"], start="2024-01-01", end="2024-01-31")
    got = r.df.set_index(["channel", "sku"])
    assert got.loc[("app", "A"), "discounts"] == pytest.approx(3.00)
    assert got.loc[("app", "B"), "discounts"] == pytest.approx(2.00)
    assert got.loc[("web", "B"), "discounts"] == pytest.approx(0.50)
    assert got["gmv"].sum() == pytest.approx(20.00 + 25.50 + 30.00 + 20.00)
    # distinct counts are per group: c1 is new in web/A and web/B, c2 in app/A and app/B
    assert got["new_customers"].sum() == 4


def test_month_over_month_comparison_and_grain(shop):
    r = metrics.query(shop, ["gmv", "orders"], start="2024-02-01", end="2024-02-29",
                      compare="previous")
    row = _one(r)
    assert row["gmv_prev"] == pytest.approx(95.50)  # all of January, not the 29 days before
    assert row["gmv_change"] == pytest.approx(61.00 - 95.50)
    assert row["orders_change_pct"] == pytest.approx(0.0)
    by_month = metrics.query(shop, "gmv", by="month", start="2024-01-01", end="2024-02-29",
                             compare="previous").df
    assert by_month["gmv_prev"].isna().tolist() == [True, False]
    assert by_month["gmv_prev"].iloc[1] == pytest.approx(95.50)


def test_a_measure_that_cannot_be_split_is_empty_and_said(shop):
    r = metrics.query(shop, ["gmv", "ad_spend", "roas"], by="country")
    assert r.df["ad_spend"].isna().all() and r.df["roas"].isna().all()
    assert r.df["gmv"].sum() == pytest.approx(156.50)
    assert r.unavailable == {"ad_spend": ["country"], "roas": ["country"]}


def test_nothing_computable_is_empty_not_an_error(shop):
    r = metrics.query(shop, "ad_spend", by="country")
    assert r.df.empty and r.unavailable == {"ad_spend": ["country"]}
    total = metrics.query(shop, "ad_spend", filters={"country": "(none)"}).df
    assert len(total) == 1 and total["ad_spend"].isna().all()


def test_customer_segment_by_the_orders_place_in_history(shop):
    got = metrics.query(shop, ["orders", "gmv"], by="customer_segment").df.set_index(
        "customer_segment")
    # c1: o1 (1st), o3 (2nd), o5 (3rd); c2: o2 (1st); o4 is cancelled
    assert got.loc["new", "orders"] == 2 and got.loc["returning", "orders"] == 2
    assert got.loc["returning", "gmv"] == pytest.approx(61.00)
    assert "loyal" not in got.index


def test_filters_and_customer_type(shop):
    r = metrics.query(shop, ["gmv", "customers"], by="customer_type", filters={"channel": "web"})
    got = r.df.set_index("customer_type")
    assert got.loc["new", "gmv"] == pytest.approx(45.50)  # o1
    assert got.loc["returning", "gmv"] == pytest.approx(61.00)  # o3 + o5


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"metrics": ["profit"]}, "unknown metric 'profit'"),
    ({"metrics": ["gmv"], "by": ["colour"]}, "unknown dimension 'colour'"),
    ({"metrics": ["gmv"], "by": ["month", "week"]}, "at most one time grain"),
    ({"metrics": ["gmv"], "compare": "previous"}, "needs both a start and an end"),
    ({"metrics": ["gmv"], "start": "2024-13-01"}, "not a date"),
])
def test_bad_requests_say_what_is_wrong(shop, kwargs, message):
    with pytest.raises(metrics.MetricError, match=message):
        metrics.query(shop, **kwargs)


def test_every_metric_has_labels_and_a_unit():
    for m in metrics.METRICS.values():
        assert m.label_en and m.label_zh and m.description
        assert m.unit in {"money", "count", "ratio", "number"}
        assert (m.source is None) == (m.sql is None) == (m.formula is not None)


def test_online_retail_gmv_for_november_2011_equals_direct_sql(tmp_path):
    """The real UCI Online Retail file that ships with the demo, loaded as the demo loads it."""
    import duckdb

    from shopkeeper.store import ingest
    from shopkeeper.store.demo import demo_data_files

    raw = demo_data_files()[0]
    with Warehouse(tmp_path / "w.duckdb") as wh:
        ingest(wh, [raw], preset="uci_online_retail", default_currency="GBP")
        got = _one(metrics.query(wh, ["gmv", "orders", "units"],
                                 start="2011-11-01", end="2011-11-30"))
        monthly = metrics.query(wh, "gmv", by="month", start="2011-10-01", end="2011-11-30",
                                compare="previous").df
        # November's previous bucket is all of October, the 31st included
        assert monthly["gmv_prev"].iloc[1] == pytest.approx(monthly["gmv"].iloc[0])
        in_warehouse = wh.query(
            "SELECT sum(l.quantity * l.unit_price), count(DISTINCT order_id), sum(quantity) "
            "FROM order_lines l JOIN orders o USING (order_id) "
            "WHERE CAST(o.ordered_at AS DATE) BETWEEN DATE '2011-11-01' AND DATE '2011-11-30'")[0]
    in_file = duckdb.sql(
        f"SELECT sum(Quantity * UnitPrice), count(DISTINCT InvoiceNo), sum(Quantity) "
        f"FROM '{raw}' WHERE InvoiceDate LIKE '2011-11-%'").fetchall()[0]
    assert round(got["gmv"], 2) == round(float(in_warehouse[0]), 2) == round(in_file[0], 2)
    assert got["orders"] == in_warehouse[1] == in_file[1]
    assert got["units"] == in_warehouse[2] == in_file[2]
