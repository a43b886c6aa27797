"""A tiny hand-checkable shop: two months, two channels, discounts, a refund, costs, expenses."""

from __future__ import annotations

import pandas as pd
import pytest

TS = pd.Timestamp


@pytest.fixture
def shop(warehouse):
    """Two months, two channels, one order-level discount, a refund, costs and expenses."""
    orders = pd.DataFrame([
        # order, customer, channel, when, order-level discount, status
        ("o1", "c1", "web", TS("2024-01-05 10:00", tz="UTC"), 0.0, "completed"),
        ("o2", "c2", "app", TS("2024-01-20 10:00", tz="UTC"), 5.0, "completed"),
        ("o3", "c1", "web", TS("2024-02-03 10:00", tz="UTC"), 0.0, "completed"),
        ("o4", "c3", "web", TS("2024-02-10 10:00", tz="UTC"), 0.0, "cancelled"),
        ("o5", "c1", "web", TS("2024-02-25 10:00", tz="UTC"), 0.0, "completed"),
    ], columns=["order_id", "customer_id", "channel", "ordered_at", "discount_amount", "status"])
    orders["currency"] = "EUR"
    lines = pd.DataFrame([
        ("o1", 1, "A", 2, 10.00, 0.00),
        ("o1", 2, "B", 1, 25.50, 0.50),
        ("o2", 1, "A", 3, 10.00, 0.00),
        ("o2", 2, "B", 1, 20.00, 0.00),  # o2 gross 50.00: the 5.00 order discount is 3.00 + 2.00
        ("o3", 1, "B", 2, 25.50, 0.00),
        ("o4", 1, "A", 9, 10.00, 0.00),  # cancelled: counts nowhere
        ("o5", 1, "A", 1, 10.00, 1.00),
    ], columns=["order_id", "line_number", "product_id", "quantity", "unit_price",
                "discount_amount"])
    lines["line_amount"] = lines["quantity"] * lines["unit_price"] - lines["discount_amount"]
    lines["currency"] = "EUR"
    products = pd.DataFrame([("A", "toys", 4.00), ("B", "books", None)],
                            columns=["product_id", "category", "unit_cost"])
    products["title"], products["currency"] = products["product_id"], "EUR"
    suppliers = pd.DataFrame([("B", "s1", 11.25, True), ("B", "s2", 9.00, False)],
                             columns=["product_id", "supplier_id", "unit_cost", "is_primary"])
    suppliers["currency"], suppliers["lead_time_days"] = "EUR", 7
    refunds = pd.DataFrame([("r1", "o1", "B", "c1", 1, 25.00, TS("2024-02-02", tz="UTC"))],
                           columns=["refund_id", "order_id", "product_id", "customer_id",
                                    "quantity", "amount", "refunded_at"])
    refunds["currency"], refunds["kind"], refunds["status"] = "EUR", "return", "completed"
    expenses = pd.DataFrame([
        ("e1", "2024-01-31", "ads", "web", 12.00),
        ("e2", "2024-02-29", "ads", "web", 8.00),
        ("e3", "2024-02-29", "payment_fee", None, 1.10),
        ("e4", "2024-02-29", "logistics", None, 3.00),
        ("e5", "2024-02-29", "rent", None, 50.00),
    ], columns=["expense_id", "incurred_on", "category", "channel", "amount"])
    expenses["incurred_on"] = pd.to_datetime(expenses["incurred_on"]).dt.date
    expenses["currency"] = "EUR"
    with warehouse.transaction():
        for table, df in [("orders", orders), ("order_lines", lines), ("products", products),
                          ("sku_suppliers", suppliers), ("refunds", refunds),
                          ("expenses", expenses)]:
            warehouse.insert_df(table, df)
    return warehouse
