"""Shopify order and product exports load through the shopify_orders / shopify_products presets.

The fixtures are written here with the exact column lists of Shopify's admin exports ("Export
orders": one row per line item, order-level fields on the first row only; "Export products": one
row per variant plus image-only rows).
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from shopkeeper.store.ingest.loader import ingest

ORDER_COLUMNS = [
    "Name", "Email", "Financial Status", "Paid at", "Fulfillment Status", "Fulfilled at",
    "Accepts Marketing", "Currency", "Subtotal", "Shipping", "Taxes", "Total", "Discount Code",
    "Discount Amount", "Shipping Method", "Created at", "Lineitem quantity", "Lineitem name",
    "Lineitem price", "Lineitem compare at price", "Lineitem sku", "Lineitem requires shipping",
    "Lineitem taxable", "Lineitem fulfillment status", "Billing Name", "Billing Street",
    "Billing Address1", "Billing Address2", "Billing Company", "Billing City", "Billing Zip",
    "Billing Province", "Billing Country", "Billing Phone", "Shipping Name", "Shipping Street",
    "Shipping Address1", "Shipping Address2", "Shipping Company", "Shipping City", "Shipping Zip",
    "Shipping Province", "Shipping Country", "Shipping Phone", "Notes", "Note Attributes",
    "Cancelled at", "Payment Method", "Payment Reference", "Refunded Amount", "Vendor",
    "Outstanding Balance", "Employee", "Location", "Device ID", "Id", "Tags", "Risk Level",
    "Source", "Lineitem discount", "Tax 1 Name", "Tax 1 Value", "Tax 2 Name", "Tax 2 Value",
    "Tax 3 Name", "Tax 3 Value", "Tax 4 Name", "Tax 4 Value", "Tax 5 Name", "Tax 5 Value",
    "Phone", "Receipt Number", "Duties", "Billing Province Name", "Shipping Province Name",
    "Payment ID", "Payment Terms Name", "Next Payment Due At", "Payment References",
]

PRODUCT_COLUMNS = [
    "Handle", "Title", "Body (HTML)", "Vendor", "Product Category", "Type", "Tags", "Published",
    "Option1 Name", "Option1 Value", "Option2 Name", "Option2 Value", "Option3 Name",
    "Option3 Value", "Variant SKU", "Variant Grams", "Variant Inventory Tracker",
    "Variant Inventory Qty", "Variant Inventory Policy", "Variant Fulfillment Service",
    "Variant Price", "Variant Compare At Price", "Variant Requires Shipping", "Variant Taxable",
    "Variant Barcode", "Image Src", "Image Position", "Image Alt Text", "Gift Card", "SEO Title",
    "SEO Description", "Google Shopping / Google Product Category", "Variant Image",
    "Variant Weight Unit", "Variant Tax Code", "Cost per item", "Status",
]


def _first(name, email, created, **more):
    """The first row of an order: every order-level field filled."""
    row = {"Name": name, "Email": email, "Created at": created, "Currency": "USD",
           "Accepts Marketing": "no", "Refunded Amount": "0.00", "Lineitem requires shipping": "true",
           "Lineitem taxable": "true", "Risk Level": "Low", "Source": "web",
           "Lineitem discount": "0.00"}
    row.update(more)
    return row


def _next(name, email, created, **more):
    """A further line of the same order: only the order name, email, date and line fields."""
    row = {"Name": name, "Email": email, "Created at": created, "Lineitem requires shipping": "true",
           "Lineitem taxable": "true", "Lineitem discount": "0.00"}
    row.update(more)
    return row


ORDER_ROWS = [
    # row 2
    _first("#1001", "Alice@Example.com", "2024-03-05 14:22:10 -0500",
           **{"Financial Status": "paid", "Paid at": "2024-03-05 14:25:00 -0500",
              "Fulfillment Status": "fulfilled", "Fulfilled at": "2024-03-06 09:00:00 -0500",
              "Subtotal": "45.00", "Shipping": "5.00", "Taxes": "3.60", "Total": "53.60",
              "Discount Code": "SPRING", "Discount Amount": "5.00", "Shipping Method": "Standard",
              "Lineitem quantity": "2", "Lineitem name": "Classic Tee - M / Black",
              "Lineitem price": "20.00", "Lineitem compare at price": "25.00",
              "Lineitem sku": "TEE-M-BLK", "Lineitem fulfillment status": "fulfilled",
              "Billing Name": "Alice Smith", "Billing City": "Boston", "Billing Zip": "02108",
              "Billing Province": "MA", "Billing Country": "US", "Billing Phone": "+1 555 0100",
              "Shipping City": "Cambridge", "Shipping Province": "MA", "Shipping Country": "US",
              "Payment Method": "Shopify Payments", "Vendor": "Acme", "Id": "5550001",
              "Tags": "vip"}),
    # row 3: a second line with no SKU (product falls back to the line name) and a line discount
    _next("#1001", "Alice@Example.com", "2024-03-05 14:22:10 -0500",
          **{"Lineitem quantity": "1", "Lineitem name": "Mug", "Lineitem price": "10.00",
             "Lineitem discount": "5.00", "Lineitem fulfillment status": "fulfilled",
             "Vendor": "Acme"}),
    # row 4
    _first("#1002", "bob@example.com", "2024-03-07 10:00:00 -0500",
           **{"Financial Status": "partially_refunded", "Paid at": "2024-03-07 10:01:00 -0500",
              "Fulfillment Status": "fulfilled", "Subtotal": "30.00", "Shipping": "0.00",
              "Taxes": "0.00", "Total": "30.00", "Lineitem quantity": "1",
              "Lineitem name": "Hoodie - L", "Lineitem price": "30.00", "Lineitem sku": "HOOD-L",
              "Billing Name": "Bob Jones", "Billing Country": "CA", "Shipping Country": "CA",
              "Refunded Amount": "12.50", "Vendor": "Acme", "Id": "5550002"}),
    # row 5: Bob again, from a +0100 timezone
    _first("#1003", "bob@example.com", "2024-03-08 18:30:00 +0100",
           **{"Financial Status": "pending", "Fulfillment Status": "unfulfilled",
              "Subtotal": "20.00", "Total": "20.00", "Lineitem quantity": "1",
              "Lineitem name": "Classic Tee - M / Black", "Lineitem price": "20.00",
              "Lineitem sku": "TEE-M-BLK", "Billing Name": "Bob Jones", "Id": "5550003"}),
    # row 6: broken quantity -> quarantined
    _next("#1003", "bob@example.com", "2024-03-08 18:30:00 +0100",
          **{"Lineitem quantity": "two", "Lineitem name": "Mug", "Lineitem price": "10.00",
             "Lineitem sku": "MUG-1"}),
    # row 7: cancelled and refunded
    _first("#1004", "carol@example.com", "2024-03-09 11:00:00 -0500",
           **{"Financial Status": "refunded", "Paid at": "2024-03-09 11:00:30 -0500",
              "Fulfillment Status": "unfulfilled", "Subtotal": "15.00", "Total": "15.00",
              "Lineitem quantity": "1", "Lineitem name": "Mug", "Lineitem price": "15.00",
              "Lineitem sku": "MUG-1", "Cancelled at": "2024-03-09 12:00:00 -0500",
              "Refunded Amount": "15.00", "Id": "5550004"}),
    # row 8: a guest checkout at the till (no email)
    _first("#1005", "", "2024-03-10 09:00:00 -0500",
           **{"Financial Status": "paid", "Fulfillment Status": "fulfilled",
              "Subtotal": "6.00", "Total": "6.00", "Lineitem quantity": "3",
              "Lineitem name": "Sticker", "Lineitem price": "2.00", "Lineitem sku": "STK",
              "Source": "pos", "Id": "5550005"}),
]


def _product(handle, **more):
    row = {"Handle": handle}
    row.update(more)
    return row


PRODUCT_ROWS = [
    # row 2: first row of a product = product fields + first variant + first image
    _product("classic-tee", **{
        "Title": "Classic Tee", "Body (HTML)": "<p>Soft cotton.</p>", "Vendor": "Acme",
        "Product Category": "Apparel & Accessories > Clothing > Shirts & Tops", "Type": "T-Shirt",
        "Tags": "cotton, summer", "Published": "true", "Option1 Name": "Size",
        "Option1 Value": "S", "Option2 Name": "Color", "Option2 Value": "Black",
        "Variant SKU": "TEE-S-BLK", "Variant Grams": "200", "Variant Inventory Tracker": "shopify",
        "Variant Inventory Qty": "14", "Variant Inventory Policy": "deny",
        "Variant Fulfillment Service": "manual", "Variant Price": "20.00",
        "Variant Compare At Price": "25.00", "Variant Requires Shipping": "true",
        "Variant Taxable": "true", "Image Src": "https://cdn.example.com/tee-1.jpg",
        "Image Position": "1", "Image Alt Text": "Front", "Gift Card": "false",
        "Cost per item": "7.50", "Status": "active"}),
    # row 3: another variant, carrying the second image
    _product("classic-tee", **{
        "Option1 Value": "M", "Option2 Value": "Black", "Variant SKU": "TEE-M-BLK",
        "Variant Inventory Qty": "0", "Variant Price": "20.00", "Cost per item": "7.50",
        "Image Src": "https://cdn.example.com/tee-2.jpg", "Image Position": "2"}),
    # row 4: a variant without a SKU -> handle + option values
    _product("classic-tee", **{
        "Option1 Value": "L", "Option2 Value": "Black", "Variant Price": "22.00"}),
    # row 5: an image-only row
    _product("classic-tee", **{
        "Image Src": "https://cdn.example.com/tee-3.jpg", "Image Position": "3",
        "Image Alt Text": "Back"}),
    # row 6: a single-variant product ("Default Title"), draft, no SKU
    _product("mug", **{
        "Title": "Mug", "Vendor": "Acme", "Type": "Kitchen", "Published": "false",
        "Option1 Name": "Title", "Option1 Value": "Default Title", "Variant Price": "12.50",
        "Cost per item": "4.00", "Image Src": "https://cdn.example.com/mug-1.jpg",
        "Image Position": "1", "Status": "draft"}),
    # row 7: image-only
    _product("mug", **{"Image Src": "https://cdn.example.com/mug-2.jpg", "Image Position": "2"}),
    # row 8: a broken price -> quarantined
    _product("poster", **{
        "Title": "Poster", "Option1 Name": "Title", "Option1 Value": "Default Title",
        "Variant SKU": "POSTER-1", "Variant Price": "abc", "Status": "active"}),
]


def _write(path: Path, columns: list[str], rows: list[dict]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})
    return path


def _quarantine(wh) -> list[tuple]:
    return wh.query("SELECT source_row, column_name, reason, value FROM quarantine "
                    "ORDER BY source_row")


# -- orders ---------------------------------------------------------------------------------
def test_orders_export_is_recognised_and_counted(warehouse, tmp_path):
    path = _write(tmp_path / "orders_export_1.csv", ORDER_COLUMNS, ORDER_ROWS)
    report = ingest(warehouse, [path])  # no preset: recognised from the columns
    f = report.files[0]
    assert f.mapping == "shopify_orders"
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (7, 6, 1)
    assert f.table_rows == {"orders": 5, "order_lines": 6, "products": 5, "customers": 3,
                            "refunds": 2, "shipments": 3}  # #1001, #1002, #1005 fulfilled
    assert _quarantine(warehouse) == [
        (6, "Lineitem quantity", "order_lines.quantity: not a valid whole number", "two")
    ]


def test_orders_statuses_amounts_and_times(warehouse, tmp_path):
    path = _write(tmp_path / "orders_export_1.csv", ORDER_COLUMNS, ORDER_ROWS)
    ingest(warehouse, [path], preset="shopify_orders")
    rows = warehouse.query(
        "SELECT order_id, customer_id, status, ordered_at, currency, subtotal_amount, "
        "discount_amount, shipping_amount, tax_amount, total_amount, country, city, _source_row "
        "FROM orders ORDER BY order_id"
    )
    assert rows == [
        ("#1001", "alice@example.com", "completed", datetime(2024, 3, 5, 19, 22, 10, tzinfo=UTC),
         "USD", Decimal("45"), Decimal("5"), Decimal("5"), Decimal("3.6"), Decimal("53.6"), "US",
         "Cambridge", 2),
        ("#1002", "bob@example.com", "partially_refunded",
         datetime(2024, 3, 7, 15, 0, tzinfo=UTC), "USD", Decimal("30"), None, Decimal("0"),
         Decimal("0"), Decimal("30"), "CA", None, 4),
        ("#1003", "bob@example.com", "pending", datetime(2024, 3, 8, 17, 30, tzinfo=UTC), "USD",
         Decimal("20"), None, None, None, Decimal("20"), None, None, 5),
        # paid, then cancelled and refunded in full: a sale refunded once, not a cancellation
        ("#1004", "carol@example.com", "refunded", datetime(2024, 3, 9, 16, 0, tzinfo=UTC),
         "USD", Decimal("15"), None, None, None, Decimal("15"), None, None, 7),
        ("#1005", None, "completed", datetime(2024, 3, 10, 14, 0, tzinfo=UTC), "USD",
         Decimal("6"), None, None, None, Decimal("6"), None, None, 8),
    ]
    paid_at, shipped_at, attrs = warehouse.query(
        "SELECT paid_at, shipped_at, attributes FROM orders WHERE order_id = '#1001'"
    )[0]
    assert paid_at == datetime(2024, 3, 5, 19, 25, tzinfo=UTC)
    assert shipped_at == datetime(2024, 3, 6, 14, 0, tzinfo=UTC)
    assert '"Financial Status":"paid"' in attrs and '"Discount Code":"SPRING"' in attrs


def test_order_lines_number_within_the_order(warehouse, tmp_path):
    path = _write(tmp_path / "orders_export_1.csv", ORDER_COLUMNS, ORDER_ROWS)
    ingest(warehouse, [path], preset="shopify_orders")
    lines = warehouse.query(
        "SELECT order_id, line_number, product_id, title, quantity, unit_price, discount_amount, "
        "line_amount, currency, _source_row FROM order_lines ORDER BY order_id, line_number"
    )
    assert lines == [
        ("#1001", 1, "TEE-M-BLK", "Classic Tee - M / Black", 2, Decimal("20"), Decimal("0"),
         Decimal("40"), "USD", 2),
        ("#1001", 2, "Mug", "Mug", 1, Decimal("10"), Decimal("5"), Decimal("5"), "USD", 3),
        ("#1002", 1, "HOOD-L", "Hoodie - L", 1, Decimal("30"), Decimal("0"), Decimal("30"),
         "USD", 4),
        ("#1003", 1, "TEE-M-BLK", "Classic Tee - M / Black", 1, Decimal("20"), Decimal("0"),
         Decimal("20"), "USD", 5),
        ("#1004", 1, "MUG-1", "Mug", 1, Decimal("15"), Decimal("0"), Decimal("15"), "USD", 7),
        ("#1005", 1, "STK", "Sticker", 3, Decimal("2"), Decimal("0"), Decimal("6"), "USD", 8),
    ]
    products = warehouse.query("SELECT product_id, title, brand, price FROM products ORDER BY 1")
    assert products == [
        ("HOOD-L", "Hoodie - L", "Acme", Decimal("30")),
        ("MUG-1", "Mug", None, Decimal("15")),  # from row 7: row 6 (10.00) is quarantined
        ("Mug", "Mug", "Acme", Decimal("10")),  # no SKU: keyed by the line name
        ("STK", "Sticker", None, Decimal("2")),
        ("TEE-M-BLK", "Classic Tee - M / Black", "Acme", Decimal("20")),  # first seen wins
    ]


def test_customers_and_refunds(warehouse, tmp_path):
    path = _write(tmp_path / "orders_export_1.csv", ORDER_COLUMNS, ORDER_ROWS)
    ingest(warehouse, [path], preset="shopify_orders")
    assert warehouse.query(
        "SELECT customer_id, email, name, phone, country, city, postal_code FROM customers "
        "ORDER BY 1"
    ) == [
        ("alice@example.com", "Alice@Example.com", "Alice Smith", "+1 555 0100", "US", "Boston",
         "02108"),
        ("bob@example.com", "bob@example.com", "Bob Jones", None, "CA", None, None),
        ("carol@example.com", "carol@example.com", None, None, None, None, None),
    ]
    assert warehouse.query(
        "SELECT refund_id, order_id, customer_id, amount, currency, refunded_at, kind, status, "
        "attributes->>'refunded_at_from', _source_row FROM refunds ORDER BY 1"
    ) == [
        ("#1002-refund", "#1002", "bob@example.com", Decimal("12.5"), "USD",
         datetime(2024, 3, 7, 15, 0, tzinfo=UTC), "refund", "completed", "Created at", 4),
        ("#1004-refund", "#1004", "carol@example.com", Decimal("15"), "USD",
         datetime(2024, 3, 9, 17, 0, tzinfo=UTC), "cancellation", "completed", "Cancelled at", 7),
    ]


def test_trimmed_orders_export_without_optional_columns(warehouse, tmp_path):
    """Hand-trimmed exports (no Refunded Amount, Cancelled at, …) still load; refunds are skipped."""
    columns = ["Name", "Email", "Financial Status", "Paid at", "Fulfillment Status", "Currency",
               "Subtotal", "Created at", "Lineitem quantity", "Lineitem name", "Lineitem price",
               "Lineitem sku", "Billing Name", "Shipping Name"]
    rows = [
        {"Name": "#AA1", "Email": "x@example.com", "Financial Status": "paid",
         "Paid at": "2026-05-14 11:23:45 +0100", "Fulfillment Status": "unfulfilled",
         "Currency": "GBP", "Subtotal": "540.00", "Created at": "2026-05-14 11:23:45 +0100",
         "Lineitem quantity": "1", "Lineitem name": "Falling Light - Framed",
         "Lineitem price": "540.00", "Lineitem sku": "FL-F", "Billing Name": "X"},
        {"Name": "#AA1", "Lineitem quantity": "1", "Lineitem name": "Frame",
         "Lineitem price": "60.00", "Lineitem sku": "FR-1"},
    ]
    path = _write(tmp_path / "export.csv", columns, rows)
    report = ingest(warehouse, [path], preset="shopify")  # the family
    f = report.files[0]
    assert f.mapping == "shopify_orders"
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (2, 2, 0)
    assert f.table_rows == {"orders": 1, "order_lines": 2, "products": 2, "customers": 1,
                            "shipments": 0}  # unfulfilled
    assert warehouse.query("SELECT status, currency, total_amount FROM orders") == [
        ("paid", "GBP", None)
    ]
    assert warehouse.query(
        "SELECT line_number, product_id, currency, line_amount FROM order_lines ORDER BY 1"
    ) == [(1, "FL-F", "GBP", Decimal("540")), (2, "FR-1", "GBP", Decimal("60"))]


# -- products -------------------------------------------------------------------------------
def test_products_export_variants_and_images(warehouse, tmp_path):
    path = _write(tmp_path / "products_export_1.csv", PRODUCT_COLUMNS, PRODUCT_ROWS)
    report = ingest(warehouse, [path], default_currency="USD")
    f = report.files[0]
    assert f.mapping == "shopify_products"
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (7, 6, 1)
    assert f.table_rows == {"products": 4, "product_media": 5}
    assert _quarantine(warehouse) == [
        (8, "Variant Price", "products.price: not a valid number", "abc")
    ]
    products = warehouse.query(
        "SELECT product_id, parent_id, title, category, brand, price, unit_cost, currency, status, "
        "_source_row FROM products ORDER BY _source_row"
    )
    assert products == [
        ("TEE-S-BLK", "classic-tee", "Classic Tee - S / Black", "T-Shirt", "Acme",
         Decimal("20"), Decimal("7.5"), "USD", "active", 2),
        ("TEE-M-BLK", "classic-tee", "Classic Tee - M / Black", "T-Shirt", "Acme",
         Decimal("20"), Decimal("7.5"), "USD", "active", 3),
        ("classic-tee/L/Black", "classic-tee", "Classic Tee - L / Black", "T-Shirt", "Acme",
         Decimal("22"), None, "USD", "active", 4),
        ("mug", "mug", "Mug", "Kitchen", "Acme", Decimal("12.5"), Decimal("4"), "USD", "draft", 6),
    ]
    desc, attrs = warehouse.query(
        "SELECT description, attributes FROM products WHERE product_id = 'TEE-M-BLK'"
    )[0]
    assert desc == "<p>Soft cotton.</p>"
    assert json.loads(attrs) == {
        "option1_name": "Size", "option1_value": "M", "option2_name": "Color",
        "option2_value": "Black", "tags": "cotton, summer", "inventory_qty": 0,
    }
    media = warehouse.query(
        "SELECT parent_id, position, url, alt_text, _source_row FROM product_media ORDER BY 1, 2"
    )
    assert media == [
        ("classic-tee", 1, "https://cdn.example.com/tee-1.jpg", "Front", 2),
        ("classic-tee", 2, "https://cdn.example.com/tee-2.jpg", None, 3),
        ("classic-tee", 3, "https://cdn.example.com/tee-3.jpg", "Back", 5),
        ("mug", 1, "https://cdn.example.com/mug-1.jpg", None, 6),
        ("mug", 2, "https://cdn.example.com/mug-2.jpg", None, 7),
    ]


def test_every_products_row_feeds_a_table(warehouse, tmp_path):
    """No row is quarantined for matching no table: image-only rows go to product_media."""
    good = [r for r in PRODUCT_ROWS if r.get("Variant Price") != "abc"]
    path = _write(tmp_path / "products_export_1.csv", PRODUCT_COLUMNS, good)
    report = ingest(warehouse, [path], preset="shopify_products")
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (6, 6, 0)
    fed = warehouse.query(
        "SELECT count(DISTINCT r) FROM (SELECT _source_row r FROM products "
        "UNION ALL SELECT _source_row FROM product_media)"
    )[0][0]
    assert fed == 6


def test_catalogue_replaces_products_made_from_orders(warehouse, tmp_path):
    """A folder with both exports: orders load first (alphabetical), the catalogue wins anyway."""
    _write(tmp_path / "orders_export_1.csv", ORDER_COLUMNS, ORDER_ROWS)
    _write(tmp_path / "products_export_1.csv", PRODUCT_COLUMNS, PRODUCT_ROWS)
    report = ingest(warehouse, [tmp_path], preset="shopify")
    assert [(Path(f.path).name, f.mapping) for f in report.files] == [
        ("orders_export_1.csv", "shopify_orders"), ("products_export_1.csv", "shopify_products"),
    ]
    assert warehouse.query(
        "SELECT parent_id, title, price, unit_cost, status, _source_file LIKE '%products_export_1.csv' "
        "FROM products WHERE product_id = 'TEE-M-BLK'"
    ) == [("classic-tee", "Classic Tee - M / Black", Decimal("20"), Decimal("7.5"), "active", True)]
    # products only seen in orders stay; the catalogue adds its own
    assert warehouse.count("products") == 5 + 3  # 5 from orders + TEE-S-BLK, classic-tee/L/Black, mug


def test_repeated_sku_in_a_catalogue_is_quarantined(warehouse, tmp_path):
    rows = PRODUCT_ROWS[:4] + [_product("classic-tee", **{
        "Option1 Value": "XL", "Option2 Value": "Black", "Variant SKU": "TEE-M-BLK",
        "Variant Price": "24.00"})]
    path = _write(tmp_path / "products_export_1.csv", PRODUCT_COLUMNS, rows)
    report = ingest(warehouse, [path], preset="shopify_products")
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (5, 4, 1)
    assert _quarantine(warehouse) == [
        (6, "product_id", "products: duplicate key (product_id)", "(TEE-M-BLK), first at row 3")
    ]
