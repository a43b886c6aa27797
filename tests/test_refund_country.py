"""A refund's own country (schema version 14): a cancellation invoice that names no order and no
known customer is counted under the country its row gives, not under "(none)"; a refund without
one still takes its order's country, else its customer's. A warehouse at version 13 gains the
column when it is next opened for writing, in the same place as in a new warehouse, and the
other engines answer as DuckDB does."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from shopkeeper import metrics
from shopkeeper.store import Warehouse, check_warehouse, migrations
from shopkeeper.store.ingest.loader import ingest
from tests import test_engine_conformance as conformance
from tests import test_spark_engine as spark_engine
from tests.robustness.kills import build_at_version
from tests.test_engine_conformance import assert_same, needs_server

# the other engines' fixtures: a private PostgreSQL server, a local Spark session
pg_server, pg_url = conformance.pg_server, conformance.pg_url
spark, on_spark = spark_engine.spark, spark_engine.on_spark
needs_spark = spark_engine.pytestmark

DATA = Path(__file__).parent / "data"
TS = pd.Timestamp

# refund, order, customer, its own country, amount
REFUNDS = [
    ("r1", None, None, "United Kingdom", 10.00),  # a guest's cancellation note: its own country
    ("r2", "o1", "c1", None, 20.00),              # its order's country (FR)
    ("r3", None, "c2", None, 40.00),              # no order: its customer's country (NL)
    ("r4", None, None, None, 80.00),              # nothing names a country
    ("r5", "o1", "c1", "BE", 160.00),             # its own country before its order's
]
BY_COUNTRY = {"United Kingdom": 10.00, "FR": 20.00, "NL": 40.00, "(none)": 80.00, "BE": 160.00}


def _fill(wh: Warehouse, *, own_country: bool = True) -> None:
    orders = pd.DataFrame([("o1", "c1", TS("2024-01-05 10:00", tz="UTC"), "FR", "completed")],
                          columns=["order_id", "customer_id", "ordered_at", "country", "status"])
    orders["currency"] = "EUR"
    lines = pd.DataFrame([("o1", 1, "A", 1, 500.00, 500.00, "EUR")],
                         columns=["order_id", "line_number", "product_id", "quantity",
                                  "unit_price", "line_amount", "currency"])
    customers = pd.DataFrame([("c1", "DE"), ("c2", "NL")], columns=["customer_id", "country"])
    refunds = pd.DataFrame(REFUNDS, columns=["refund_id", "order_id", "customer_id", "country",
                                             "amount"])
    if not own_country:  # a warehouse older than the column
        refunds = refunds.drop(columns="country")
    refunds["refunded_at"] = TS("2024-01-10 10:00", tz="UTC")
    refunds["currency"], refunds["kind"], refunds["status"] = "EUR", "cancellation", "completed"
    with wh.transaction():
        for table, df in [("orders", orders), ("order_lines", lines), ("customers", customers),
                          ("refunds", refunds)]:
            wh.insert_df(table, df)


def _refunds_by_country(wh) -> dict[str, float]:
    df = metrics.query(wh, ["refunds"], by="country").df
    return {row.country: pytest.approx(row.refunds) for row in df.itertuples()}


def test_a_refund_is_counted_under_its_own_country_else_its_orders_else_its_customers(
        warehouse):
    _fill(warehouse)
    assert _refunds_by_country(warehouse) == BY_COUNTRY
    # a filter reads the same country
    uk = metrics.query(warehouse, "refunds", filters={"country": "United Kingdom"}).df
    assert uk["refunds"].tolist() == [pytest.approx(10.00)]


def test_uci_cancellation_invoices_keep_their_country(warehouse, tmp_path):
    path = tmp_path / "online_retail.csv"
    path.write_text(
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
        "536365,85123A,HEART,6,12/1/2010 8:26,2.55,17850,United Kingdom\n"
        "C536380,85123A,HEART,-2,12/3/2010 9:00,2.55,,France\n"  # a guest's
        "C536381,85123A,HEART,-1,12/3/2010 9:10,2.55,17850,EIRE\n"  # a known UK customer's
        "C536382,85123A,HEART,-4,12/3/2010 9:20,2.55,17850,\n",  # no country: the customer's
        encoding="utf-8")
    ingest(warehouse, [path], preset="uci_online_retail")
    stored = dict(warehouse.query("SELECT refund_id, country FROM refunds"))
    assert stored == {"C536380-1": "France", "C536381-1": "EIRE", "C536382-1": None}
    assert _refunds_by_country(warehouse) == {
        "France": 5.10, "EIRE": 2.55, "United Kingdom": 10.20}


def test_shopify_refunds_take_the_orders_shipping_else_billing_country(warehouse, tmp_path):
    with open(DATA / "orders_export_money.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        if row["Name"] == "#5002":
            row["Shipping Country"], row["Billing Country"] = "CA", "US"
        elif row["Name"] == "#5003":
            row["Billing Country"] = "US"
    path = tmp_path / "orders_export_1.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    ingest(warehouse, [path], preset="shopify_orders")
    assert dict(warehouse.query("SELECT order_id, country FROM refunds")) == {
        "#5002": "CA", "#5003": "US"}


def _refund_columns(path: Path) -> list[str]:
    with duckdb.connect(str(path), read_only=True) as con:
        return [r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'refunds' "
            "ORDER BY ordinal_position").fetchall()]


def test_a_version_13_warehouse_gains_the_column_where_a_new_one_has_it(tmp_path):
    assert migrations.latest_version() == 14
    current, old, fresh = (tmp_path / f"{n}.duckdb" for n in ("current", "old", "fresh"))
    with Warehouse(current) as wh:
        _fill(wh, own_country=False)
    build_at_version(current, old, 13)
    assert "country" not in _refund_columns(old)
    report = check_warehouse(old)  # an older schema, not damage
    assert report.healthy and report.schema_version == 13, report.findings
    with Warehouse(old) as wh:  # opening it for writing migrates it
        assert migrations.current_version(wh.connection) == 14
        assert wh.query("SELECT count(*), count(country) FROM refunds")[0] == (5, 0)
        # no refund names its own country yet: the order's, else the customer's
        assert _refunds_by_country(wh) == {"FR": 20.00 + 160.00, "NL": 40.00,
                                           "(none)": 10.00 + 80.00}
    with Warehouse(fresh):
        pass
    assert _refund_columns(old) == _refund_columns(fresh)
    assert _refund_columns(fresh)[-4:] == ["_load_id", "_source_file", "_source_row", "country"]
    assert check_warehouse(old).healthy


@needs_server
def test_postgresql_counts_a_refund_under_the_same_country(warehouse, pg_url):
    _fill(warehouse)
    from shopkeeper.store.copy import copy_warehouse

    with Warehouse(pg_url) as pg:
        copy_warehouse(warehouse, pg)
        assert_same(metrics.query(warehouse, ["refunds"], by="country").df,
                    metrics.query(pg, ["refunds"], by="country").df, "refunds by country")
        assert _refunds_by_country(pg) == BY_COUNTRY


@needs_spark
def test_spark_counts_a_refund_under_the_same_country(warehouse, on_spark):
    _fill(warehouse)
    sw = on_spark(warehouse)
    assert_same(metrics.query(warehouse, ["refunds"], by="country").df,
                metrics.query(sw, ["refunds"], by="country").df, "refunds by country")
    assert _refunds_by_country(sw) == BY_COUNTRY


@needs_spark
def test_a_lake_written_before_the_column_reads_it_as_empty(warehouse, on_spark, tmp_path):
    _fill(warehouse)
    lake = tmp_path / "lake"
    lake.mkdir()
    for table in ("orders", "order_lines", "customers"):
        warehouse.query(f"COPY {table} TO '{lake / table}.parquet' (FORMAT parquet)")
    warehouse.query(f"COPY (SELECT * EXCLUDE (country) FROM refunds) TO "
                    f"'{lake / 'refunds'}.parquet' (FORMAT parquet)")
    sw = on_spark(lake, timezone="UTC")
    assert _refunds_by_country(sw) == {"FR": 20.00 + 160.00, "NL": 40.00,
                                       "(none)": 10.00 + 80.00}
