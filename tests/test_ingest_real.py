"""Real UCI Online Retail files load with exact, independently computed counts."""

from __future__ import annotations

import duckdb
import pytest

from shopkeeper.store import ingest
from tests.conftest import shared_file

FILTERED = "transactions/online_retail/online_retail_I_2010-2011_pos_qty.parquet"
RAW = "transactions/online_retail/online_retail_I_first240k.parquet"


def _one(sql: str):
    return duckdb.connect().execute(sql).fetchone()


def test_filtered_online_retail_loads_every_row(warehouse):
    path = shared_file(FILTERED)
    report = ingest(warehouse, [path], default_currency="GBP")
    f = report.files[0]
    assert f.mapping == "uci_online_retail"
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (531_282, 531_282, 0)
    invoices, skus, customers = _one(
        f"SELECT count(DISTINCT InvoiceNo), count(DISTINCT StockCode), "
        f"count(DISTINCT CustomerID) FILTER (WHERE CustomerID <> 0) FROM '{path}'"
    )
    assert warehouse.count("order_lines") == 531_282
    assert warehouse.count("orders") == invoices == 20_725
    assert warehouse.count("products") == skus == 3_940
    assert warehouse.count("customers") == customers == 4_339
    assert warehouse.count("refunds") == 0
    # money and time zone survive: revenue matches the source to the penny
    source_revenue = _one(f"SELECT round(sum(Quantity * UnitPrice), 2) FROM '{path}'")[0]
    loaded = warehouse.query("SELECT round(sum(line_amount), 2) FROM order_lines")[0][0]
    assert float(loaded) == pytest.approx(source_revenue, abs=0.01)
    first = warehouse.query(
        "SELECT strftime(ordered_at AT TIME ZONE 'Europe/London', '%Y-%m-%d %H:%M') FROM orders "
        "WHERE order_id = '536365'"
    )[0][0]
    assert first == "2010-12-01 08:26"
    # guests (CustomerID 0 in this copy) have no customer
    guests = _one(f"SELECT count(DISTINCT InvoiceNo) FROM '{path}' WHERE CustomerID = 0")[0]
    assert warehouse.query("SELECT count(*) FROM orders WHERE customer_id IS NULL")[0][0] == guests


def test_raw_online_retail_turns_cancellations_into_refunds(warehouse):
    path = shared_file(RAW)
    report = ingest(warehouse, [path], default_currency="GBP")
    f = report.files[0]
    cancellations, bad_adjustments, invoices = _one(
        f"SELECT count(*) FILTER (WHERE InvoiceNo LIKE 'C%'), "
        f"count(*) FILTER (WHERE InvoiceNo NOT LIKE 'C%' AND Quantity <= 0), "
        f"count(DISTINCT InvoiceNo) FILTER (WHERE InvoiceNo NOT LIKE 'C%' AND Quantity > 0) "
        f"FROM '{path}'"
    )
    assert (cancellations, bad_adjustments) == (4_350, 737)
    assert f.rows_read == 240_007
    assert f.rows_quarantined == bad_adjustments
    assert f.rows_loaded == 240_007 - 737
    assert f.rows_read == f.rows_loaded + f.rows_quarantined
    assert warehouse.count("refunds") == cancellations
    assert warehouse.count("order_lines") == 240_007 - cancellations - bad_adjustments
    # invoices whose only rows were adjustments have no order
    assert warehouse.count("orders") == invoices
    refund = warehouse.query(
        "SELECT kind, quantity, amount > 0, status FROM refunds ORDER BY refunded_at LIMIT 1"
    )[0]
    assert refund[0] == "cancellation" and refund[1] > 0 and refund[2] and refund[3] == "completed"
    # each quarantined row keeps its exact source row number and the reason
    row, column, reason, value, raw = warehouse.query(
        "SELECT source_row, column_name, reason, value, raw FROM quarantine "
        "ORDER BY source_row LIMIT 1")[0]
    expected_row = _one(
        f"SELECT r FROM (SELECT row_number() OVER () AS r, * FROM '{path}') "
        f"WHERE InvoiceNo NOT LIKE 'C%' AND Quantity <= 0 ORDER BY r LIMIT 1"
    )[0]
    assert row == expected_row == 2407
    assert column == "Quantity"
    assert reason.startswith("order_lines.quantity must be more than 0") and value == "-10"
    assert '"InvoiceNo":"536589"' in raw


def test_online_retail_ii_spelling_in_excel_loads_the_same(warehouse, tmp_path):
    """Online Retail II ships as .xlsx with Invoice/Price/Customer ID and real datetime cells."""
    import openpyxl

    path = shared_file(RAW)
    rows = duckdb.connect().execute(
        f"SELECT InvoiceNo, StockCode, Description, Quantity, "
        f"strptime(InvoiceDate, '%m/%d/%y %H:%M'), UnitPrice, CustomerID, Country "
        f"FROM '{path}' LIMIT 300"
    ).fetchall()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Year 2010-2011"
    ws.append(["Invoice", "StockCode", "Description", "Quantity", "InvoiceDate", "Price",
               "Customer ID", "Country"])
    for r in rows:
        ws.append([*r[:6], float(r[6]) if r[6] is not None else None, r[7]])
    xlsx = tmp_path / "online_retail_II.xlsx"
    wb.save(xlsx)
    report = ingest(warehouse, [xlsx], default_currency="GBP")
    f = report.files[0]
    assert f.mapping == "uci_online_retail"
    cancellations = sum(1 for r in rows if r[0].startswith("C"))
    negatives = sum(1 for r in rows if not r[0].startswith("C") and r[3] <= 0)
    assert f.rows_read == 300 and f.rows_quarantined == negatives
    assert warehouse.count("refunds") == cancellations
    assert warehouse.count("order_lines") == 300 - cancellations - negatives
    # Excel floats like 17850.0 become the id '17850', and the datetime cell keeps its minute
    assert warehouse.query(
        "SELECT customer_id, strftime(ordered_at AT TIME ZONE 'Europe/London', '%Y-%m-%d %H:%M') "
        "FROM orders WHERE order_id = '536365'"
    ) == [("17850", "2010-12-01 08:26")]
