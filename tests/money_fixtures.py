"""A hand-checkable shop that sells in two currencies, with a zero-value order, a refunded
cancelled order and a product without a cost: the traps that make money wrong silently."""

from __future__ import annotations

import pandas as pd
import pytest

TS = pd.Timestamp


@pytest.fixture
def two_currency_shop(warehouse):
    """March 2024. USD: u1 (c1, 2 × P1 at 50.00), u2 (c2, 1 × P2 at 50.00, P2 has no cost),
    z1 (a stock adjustment: 3 × P1 at 0.00, no customer). EUR: e1 (c3, 4 × P1 at 50.00),
    x1 (c4, cancelled, 1 × P1 at 80.00, refunded 80.00 all the same). P1 costs 40.00 USD.
    Refunds: 10.00 USD on u1. Ads: 20.00 USD and 30.00 EUR."""
    orders = pd.DataFrame([
        ("u1", "c1", "web", TS("2024-03-04 10:00", tz="UTC"), "completed", "USD"),
        ("u2", "c2", "web", TS("2024-03-10 10:00", tz="UTC"), "completed", "USD"),
        ("z1", None, "web", TS("2024-03-06 10:00", tz="UTC"), "completed", "USD"),
        ("e1", "c3", "web", TS("2024-03-05 10:00", tz="UTC"), "completed", "EUR"),
        ("x1", "c4", "web", TS("2024-03-07 10:00", tz="UTC"), "cancelled", "EUR"),
    ], columns=["order_id", "customer_id", "channel", "ordered_at", "status", "currency"])
    orders["discount_amount"] = 0.0
    lines = pd.DataFrame([
        ("u1", 1, "P1", 2, 50.00, "USD"),
        ("u2", 1, "P2", 1, 50.00, "USD"),
        ("z1", 1, "P1", 3, 0.00, "USD"),
        ("e1", 1, "P1", 4, 50.00, "EUR"),
        ("x1", 1, "P1", 1, 80.00, "EUR"),
    ], columns=["order_id", "line_number", "product_id", "quantity", "unit_price", "currency"])
    lines["discount_amount"] = 0.0
    lines["line_amount"] = lines["quantity"] * lines["unit_price"]
    products = pd.DataFrame([("P1", "toys", 40.00, "USD"), ("P2", "toys", None, "USD")],
                            columns=["product_id", "category", "unit_cost", "currency"])
    products["title"] = products["product_id"]
    refunds = pd.DataFrame([
        ("r1", "u1", "P1", "c1", 1, 10.00, TS("2024-03-12", tz="UTC"), "USD"),
        ("r2", "x1", "P1", "c4", 1, 80.00, TS("2024-03-08", tz="UTC"), "EUR"),
    ], columns=["refund_id", "order_id", "product_id", "customer_id", "quantity", "amount",
                "refunded_at", "currency"])
    refunds["kind"], refunds["status"] = "return", "completed"
    expenses = pd.DataFrame([
        ("a1", "2024-03-31", "ads", "web", 20.00, "USD"),
        ("a2", "2024-03-31", "ads", "web", 30.00, "EUR"),
    ], columns=["expense_id", "incurred_on", "category", "channel", "amount", "currency"])
    expenses["incurred_on"] = pd.to_datetime(expenses["incurred_on"]).dt.date
    with warehouse.transaction():
        for table, df in [("orders", orders), ("order_lines", lines), ("products", products),
                          ("refunds", refunds), ("expenses", expenses)]:
            warehouse.insert_df(table, df)
    return warehouse
