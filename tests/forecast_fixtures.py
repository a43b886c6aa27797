"""A tiny store written straight into a warehouse: known demand, suppliers and stock."""

from __future__ import annotations

import numpy as np
import pandas as pd

START = pd.Timestamp("2024-01-01", tz="UTC")


def demand_store(warehouse, series: dict[str, np.ndarray], *, categories=None, suppliers=None,
                 stock=None, snapshots=None) -> None:
    """One order per SKU and day with the given daily quantities (zero days have no order)."""
    orders, lines = [], []
    for sku, qty in series.items():
        for day, q in enumerate(qty):
            if q <= 0:
                continue
            oid = f"{sku}-{day}"
            orders.append({"order_id": oid, "ordered_at": START + pd.Timedelta(days=day, hours=12),
                           "currency": "EUR", "status": "completed", "channel": "web"})
            lines.append({"order_id": oid, "line_number": 1, "product_id": sku,
                          "quantity": int(q), "unit_price": 10.0, "line_amount": 10.0 * q,
                          "currency": "EUR"})
    products = [{"product_id": sku, "title": f"Product {sku}", "price": 10.0, "unit_cost": 4.0,
                 "currency": "EUR", "category": (categories or {}).get(sku, "cat")}
                for sku in series]
    with warehouse.transaction():
        warehouse.insert_df("orders", pd.DataFrame(orders))
        warehouse.insert_df("order_lines", pd.DataFrame(lines))
        warehouse.insert_df("products", pd.DataFrame(products))
        if suppliers is not None:
            warehouse.insert_df("sku_suppliers", pd.DataFrame(suppliers))
        if stock is not None:
            warehouse.insert_df("inventory_snapshots", pd.DataFrame(stock))
        if snapshots is not None:
            warehouse.insert_df("inventory_snapshots", pd.DataFrame(snapshots))
