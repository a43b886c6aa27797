"""The metrics layer: hand-computed values to the cent, comparisons, and real Online Retail."""

from __future__ import annotations

import pandas as pd
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
        "aov": 60.00 / 2, "units_per_order": 1.5, "products_per_order": 1.0, "refund_rate": 25.00 / 61.00,
        "returning_customers": 1, "repeat_purchase_rate": 1.0, "roas": 60.00 / 8.00,
        "gross_margin": 8.50 / 35.00, "contribution_rate": -3.60 / 35.00,
    }
    assert got["cac"] != got["cac"]  # NaN: ad spend but no new customer to divide it by
    for name, value in expected.items():
        assert got[name] == pytest.approx(value, abs=0.005), name


def test_products_per_order_counts_kinds_not_pieces(shop, warehouse):
    # January: o1 holds A ×2 and B ×1, o2 holds A ×3 and B ×1: two kinds an order, 3.5 pieces
    jan = _one(metrics.query(shop, ["products_per_order", "units_per_order"],
                             start="2024-01-01", end="2024-01-31"))
    assert jan["products_per_order"] == pytest.approx(2.0)
    assert jan["units_per_order"] == pytest.approx(3.5)
    # A on a second line of o5 is still one kind of product in that order
    warehouse.insert_df("order_lines", pd.DataFrame([{
        "order_id": "o5", "line_number": 2, "product_id": "A", "quantity": 1,
        "unit_price": 10.00, "discount_amount": 0.0, "line_amount": 10.00, "currency": "EUR"}]))
    feb = _one(metrics.query(shop, ["products_per_order", "order_products"],
                             start="2024-02-01", end="2024-02-29"))
    assert feb["order_products"] == 2 and feb["products_per_order"] == pytest.approx(1.0)


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


def test_repeat_purchase_reads_the_customer_type_per_customer(shop):
    """c1 is new in January and orders again in February; c2 orders once, in January."""
    names = ["repeat_customers", "ordering_customers", "repeat_purchase_rate"]
    both_months = _one(metrics.query(shop, names, filters={"customer_type": "new"}))
    # per order, c1's later orders are returning ones and no new customer could ever repeat
    assert both_months == {"repeat_customers": 1, "ordering_customers": 2,
                           "repeat_purchase_rate": 0.5}
    february = metrics.query(shop, names, by="customer_type", start="2024-02-01",
                             end="2024-02-29").df.set_index("customer_type")
    assert february.loc["returning", "repeat_purchase_rate"] == 1.0
    assert "new" not in february.index or february.loc["new", "ordering_customers"] == 0
    split = metrics.query(shop, names, by="customer_type").df.set_index("customer_type")
    total = _one(metrics.query(shop, names))
    assert split["repeat_customers"].sum() == total["repeat_customers"] == 1
    assert split["ordering_customers"].sum() == total["ordering_customers"] == 2
    returning = metrics.query(shop, names, exclude={"customer_type": ["new"]}).df
    assert returning["ordering_customers"].sum() == 0  # both customers' first orders are in it


def test_spend_per_customer_counts_each_customers_every_order_to_their_type(shop):
    """Per customer, c1's February orders are a new customer's (c1's first order is in the
    period): spend per new customer is (c1 45.50 + 51.00 + 10.00 + c2 50.00) / 2."""
    names = ["spend_per_customer", "orders_per_customer", "customer_gmv", "customer_order_count",
             "units_per_customer"]
    split = metrics.query(shop, names, by="customer_type").df.set_index("customer_type")
    assert split.loc["new", "spend_per_customer"] == pytest.approx(78.25)
    assert split.loc["new", "orders_per_customer"] == 2.0
    assert split.loc["new", "units_per_customer"] == 5.0  # c1 2 + 1 + 2 + 1, c2 3 + 1
    assert split.loc["new", "customer_gmv"] == pytest.approx(156.50)
    assert "returning" not in split.index or pd.isna(split.loc["returning", "spend_per_customer"])
    new_only = _one(metrics.query(shop, ["customer_gmv"], filters={"customer_type": "new"}))
    assert new_only["customer_gmv"] == pytest.approx(156.50)  # not the first orders' 95.50
    # with no split the figures are the plain ones: customers' GMV over all customers
    assert _one(metrics.query(shop, ["spend_per_customer"]))["spend_per_customer"] == \
        pytest.approx(78.25)


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
        got = _one(metrics.query(wh, ["gmv", "orders", "units", "aov"],
                                 start="2011-11-01", end="2011-11-30"))
        monthly = metrics.query(wh, "gmv", by="month", start="2011-10-01", end="2011-11-30",
                                compare="previous").df
        # November's previous bucket is all of October, the 31st included
        assert monthly["gmv_prev"].iloc[1] == pytest.approx(monthly["gmv"].iloc[0])
        # zero-value invoices (stock adjustments, notes with no price) are not sales
        in_warehouse = wh.query(
            "SELECT sum(v), count(*), sum(q) FROM (SELECT l.order_id, "
            "sum(l.quantity * l.unit_price) AS v, sum(quantity) AS q "
            "FROM order_lines l JOIN orders o USING (order_id) "
            "WHERE CAST(o.ordered_at AS DATE) BETWEEN DATE '2011-11-01' AND DATE '2011-11-30' "
            "GROUP BY 1 HAVING v <> 0)")[0]
    in_file = duckdb.sql(
        f"SELECT sum(v), count(*), sum(q), count(*) FILTER (WHERE v <> 0) FROM ("
        f"SELECT InvoiceNo, sum(Quantity * UnitPrice) AS v, sum(Quantity) AS q "
        f"FROM '{raw}' WHERE InvoiceDate LIKE '2011-11-%' GROUP BY 1) "
        f"WHERE v <> 0").fetchall()[0]
    assert round(got["gmv"], 2) == round(float(in_warehouse[0]), 2) == round(in_file[0], 2)
    assert got["orders"] == in_warehouse[1] == in_file[1] == 2769  # of 2,884 invoices
    assert got["units"] == in_warehouse[2] == in_file[2]
    # AOV over sales only: zero-value invoices no longer pull it down
    assert got["aov"] == pytest.approx(in_file[0] / in_file[1], abs=0.005)


# -- money that must not be wrong silently (the two_currency_shop fixture) ----------------------
def _by_currency(result: metrics.MetricResult) -> dict[str, dict[str, float]]:
    return result.df.set_index("currency").to_dict("index")


def test_two_currencies_are_never_added_together(two_currency_shop):
    r = metrics.query(two_currency_shop, ["gmv", "net_revenue", "ad_spend", "orders"],
                      start="2024-03-01", end="2024-03-31")
    assert "currency" in r.query.by  # split automatically: the store sells in USD and EUR
    got = _by_currency(r)
    assert set(got) == {"EUR", "USD"}
    assert got["USD"]["gmv"] == pytest.approx(150.00)
    assert got["EUR"]["gmv"] == pytest.approx(200.00)
    assert got["USD"]["net_revenue"] == pytest.approx(140.00)
    assert got["EUR"]["ad_spend"] == pytest.approx(30.00)
    assert "by currency" in r.money
    # counts alone are not money: no split
    assert "currency" not in metrics.query(two_currency_shop, "orders").query.by


def test_one_currency_only_and_converted_at_the_merchants_rates(two_currency_shop):
    eur = _one(metrics.query(two_currency_shop, ["gmv", "orders"],
                             money=metrics.Money("EUR")))
    assert eur == {"gmv": pytest.approx(200.00), "orders": 1}
    assert _one(metrics.query(two_currency_shop, "units", money=metrics.Money("EUR"))) == {
        "units": 4}  # a count alone is read in the one currency too
    usd = metrics.Money("USD", {"EUR": 1.10})
    r = metrics.query(two_currency_shop, ["gmv", "refunds", "cogs", "ad_spend", "orders", "aov"],
                      money=usd)
    got = _one(r)
    assert got["gmv"] == pytest.approx(150.00 + 200.00 * 1.10)
    assert got["ad_spend"] == pytest.approx(20.00 + 30.00 * 1.10)
    assert got["cogs"] == pytest.approx(2 * 40.00 + 4 * 40.00)  # P1's USD cost on EUR sales
    assert got["aov"] == pytest.approx(370.00 / 3)
    assert r.money == "USD (converted at 1 EUR = 1.1 USD)"
    with pytest.raises(metrics.MetricError, match="no exchange rate for EUR"):
        metrics.query(two_currency_shop, "gmv", money=metrics.Money("GBP", {"USD": 0.8}))


def test_a_cost_in_another_currency_is_unknown_not_zero(two_currency_shop):
    got = _by_currency(metrics.query(
        two_currency_shop, ["cogs", "cost_coverage", "gross_margin", "costed_margin"],
        by="currency"))
    # USD: P2 (50.00 of 150.00) has no cost; EUR: P1's cost is in USD, with no rate to convert
    assert got["USD"]["cost_coverage"] == pytest.approx(100.00 / 150.00)
    assert got["USD"]["costed_margin"] == pytest.approx((100.00 - 80.00) / 100.00)
    assert got["EUR"]["cost_coverage"] == pytest.approx(0.0)
    assert got["EUR"]["costed_margin"] != got["EUR"]["costed_margin"]  # no costed sale: unknown
    assert got["EUR"]["cogs"] == pytest.approx(0.0)
    for currency in ("USD", "EUR"):  # never a 100% margin made of missing costs
        assert got[currency]["gross_margin"] != got[currency]["gross_margin"]


def test_zero_value_orders_are_not_orders(two_currency_shop):
    usd = _one(metrics.query(two_currency_shop, ["orders", "customers", "units", "aov", "cogs"],
                             money=metrics.Money("USD")))
    # z1 (3 units at 0.00, no customer) is a stock adjustment, not a sale
    assert usd["orders"] == 2 and usd["customers"] == 2 and usd["units"] == 3
    assert usd["aov"] == pytest.approx(75.00)
    assert usd["cogs"] == pytest.approx(80.00)


def test_refunds_of_cancelled_orders_are_not_subtracted_again(two_currency_shop):
    eur = _one(metrics.query(two_currency_shop, ["gmv", "refunds", "net_revenue"],
                             money=metrics.Money("EUR")))
    # x1 is cancelled (out of GMV): its 80.00 refund must not come off e1's revenue too
    assert eur == {"gmv": pytest.approx(200.00), "refunds": pytest.approx(0.0),
                   "net_revenue": pytest.approx(200.00)}


def test_by_and_filtered_to_days_of_the_week(shop):
    # o1 Fri 5 Jan, o2 Sat 20 Jan, o3 Sat 3 Feb, o5 Sun 25 Feb; the refund Fri 2 Feb
    r = metrics.query(shop, ["gmv", "orders", "refunds"], by="weekday").df.set_index("weekday")
    assert r.loc["Friday", "gmv"] == pytest.approx(2 * 10.00 + 25.50)
    assert r.loc["Saturday", "gmv"] == pytest.approx(50.00 + 2 * 25.50)
    assert r.loc["Sunday", "orders"] == 1 and r.loc["Friday", "refunds"] == pytest.approx(25.00)
    assert "Monday" not in r.index
    weekend = metrics.query(shop, "orders", filters={"weekday": ["Saturday", "Sunday"]},
                            start="2024-01-01", end="2024-02-29")
    assert _one(weekend)["orders"] == 3
    assert metrics.DIMENSIONS["weekday"].label_zh == "星期"
