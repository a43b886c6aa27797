"""The Olist family of presets loads the whole real sample folder with exact counts and intact joins.

Expected numbers are computed here straight from the raw CSVs with DuckDB, independently of the
ingestion engine, and also pinned to the figures the data's README publishes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from shopkeeper.store.ingest.loader import ingest
from tests.conftest import shared_file

FOLDER = "transactions/olist_sample_15k"
FILES = {
    "olist_orders": "olist_orders_dataset.csv",
    "olist_order_items": "olist_order_items_dataset.csv",
    "olist_payments": "olist_order_payments_dataset.csv",
    "olist_reviews": "olist_order_reviews_dataset.csv",
    "olist_customers": "olist_customers_dataset.csv",
    "olist_products": "olist_products_dataset.csv",
    "olist_sellers": "olist_sellers_dataset.csv",
    "olist_geolocation": "olist_geolocation_dataset.csv",
    "olist_category_translation": "product_category_name_translation.csv",
}


def _raw(folder: Path, name: str) -> str:
    return f"read_csv('{folder / name}', all_varchar = true, header = true)"


def _one(sql: str):
    return duckdb.connect().execute(sql).fetchone()


@pytest.fixture(scope="module")
def olist(tmp_path_factory):
    """The sample folder loaded once with preset='olist': (folder, report, warehouse)."""
    folder = shared_file(FOLDER)
    for name in FILES.values():
        shared_file(f"{FOLDER}/{name}")
    from shopkeeper.store.warehouse import Warehouse

    wh = Warehouse(tmp_path_factory.mktemp("olist") / "w.duckdb")
    report = ingest(wh, [folder], preset="olist")
    yield folder, report, wh
    wh.close()


def test_every_file_gets_its_own_preset(olist):
    folder, report, _ = olist
    chosen = {Path(f.path).name: f.mapping for f in report.files}
    assert chosen == {file: preset for preset, file in FILES.items()}


def test_rows_read_equal_loaded_plus_quarantined_and_nothing_is_quarantined(olist):
    folder, report, wh = olist
    for f in report.files:
        assert f.rows_read == f.rows_loaded + f.rows_quarantined, f.path
        assert f.rows_quarantined == 0, f.path
        assert f.encoding == "utf-8"
    assert wh.query("SELECT count(*) FROM quarantine")[0][0] == 0


def test_exact_counts_match_the_raw_files(olist):
    folder, report, wh = olist
    by_file = {Path(f.path).name: f for f in report.files}
    raw_rows = {
        file: _one(f"SELECT count(*) FROM {_raw(folder, file)}")[0] for file in FILES.values()
    }
    # the figures the data set's README states, and the raw files agree
    assert raw_rows["olist_orders_dataset.csv"] == 15_000
    assert raw_rows["olist_order_items_dataset.csv"] == 17_071
    assert raw_rows["olist_order_reviews_dataset.csv"] == 14_944
    for file, n in raw_rows.items():
        assert by_file[file].rows_read == n, file

    expected = {
        "orders": 15_000,
        "order_lines": 17_071,
        "payments": 15_733,
        "reviews": 14_944,
        "customers": 15_000,
        "products": 9_255,
        "sellers": 1_904,
        "categories": 71,
    }
    for table, n in expected.items():
        assert wh.count(table) == n, table
    assert by_file["olist_geolocation_dataset.csv"].rows_read == 50_000
    assert by_file["olist_geolocation_dataset.csv"].rows_loaded == 50_000

    # exact duplicate coordinates collapse; the distinct count comes from the raw file
    distinct_geo = _one(
        "SELECT count(*) FROM (SELECT DISTINCT lpad(geolocation_zip_code_prefix, 5, '0'), "
        "geolocation_lat::DOUBLE, geolocation_lng::DOUBLE FROM "
        f"{_raw(folder, 'olist_geolocation_dataset.csv')})"
    )[0]
    assert distinct_geo == 47_900
    assert wh.count("geolocations") == distinct_geo
    assert report.table_rows["geolocations"] == distinct_geo


def test_review_ids_are_made_unique_and_keep_the_original(olist):
    folder, _, wh = olist
    raw = _raw(folder, "olist_order_reviews_dataset.csv")
    distinct_ids, reused = _one(
        f"SELECT count(DISTINCT review_id), count(*) - count(DISTINCT review_id) FROM {raw}"
    )
    assert reused == 20  # review_id is not unique in Olist: 20 ids sit on two orders
    assert wh.query("SELECT count(DISTINCT review_id) FROM reviews")[0][0] == 14_944
    assert wh.query(
        "SELECT count(DISTINCT attributes->>'review_id') FROM reviews"
    )[0][0] == distinct_ids
    bad = wh.query(
        "SELECT count(*) FROM reviews WHERE review_id <> (attributes->>'review_id') || '-' || order_id"
    )[0][0]
    assert bad == 0
    assert wh.query("SELECT DISTINCT language FROM reviews") == [("pt",)]
    # the score distribution survives
    raw_scores = duckdb.connect().execute(
        f"SELECT review_score::INT, count(*) FROM {raw} GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert wh.query("SELECT rating, count(*) FROM reviews GROUP BY 1 ORDER BY 1") == raw_scores


def test_order_statuses_are_mapped_and_the_original_kept(olist):
    folder, _, wh = olist
    raw = dict(
        duckdb.connect().execute(
            f"SELECT order_status, count(*) FROM {_raw(folder, 'olist_orders_dataset.csv')} GROUP BY 1"
        ).fetchall()
    )
    assert raw == {"delivered": 14_552, "shipped": 159, "canceled": 113, "unavailable": 89,
                   "invoiced": 49, "processing": 37, "approved": 1}
    loaded = dict(wh.query("SELECT status, count(*) FROM orders GROUP BY 1"))
    assert loaded == {"completed": 14_552, "shipped": 159, "cancelled": 113 + 89,
                      "paid": 49 + 37 + 1}
    kept = dict(wh.query("SELECT attributes->>'order_status', count(*) FROM orders GROUP BY 1"))
    assert kept == raw
    assert wh.query("SELECT DISTINCT channel, currency, country FROM orders") == [
        ("olist", "BRL", "BR")
    ]


def test_timestamps_are_read_in_sao_paulo_time(olist):
    _, _, wh = olist
    # raw row: b9a6c5f5…, purchased 2018-06-12 20:07:44 in São Paulo (UTC-3)
    ordered_at, delivered_at = wh.query(
        "SELECT ordered_at, delivered_at FROM orders WHERE order_id = 'b9a6c5f5df52c7226ac85aee7524c27f'"
    )[0]
    assert ordered_at == datetime(2018, 6, 12, 23, 7, 44, tzinfo=UTC)
    assert delivered_at == datetime(2018, 6, 19, 15, 44, 8, tzinfo=UTC)


def test_money_and_lines_match_the_raw_files(olist):
    folder, _, wh = olist
    items = _raw(folder, "olist_order_items_dataset.csv")
    price, freight = _one(
        f"SELECT sum(price::DECIMAL(18, 4)), sum(freight_value::DECIMAL(18, 4)) FROM {items}"
    )
    assert wh.query("SELECT sum(unit_price), sum(shipping_amount) FROM order_lines")[0] == (
        price, freight
    )
    assert wh.query("SELECT DISTINCT quantity FROM order_lines") == [(1,)]
    paid = _one(
        "SELECT sum(payment_value::DECIMAL(18, 4)) FROM "
        f"{_raw(folder, 'olist_order_payments_dataset.csv')}"
    )[0]
    assert wh.query("SELECT sum(amount) FROM payments")[0][0] == paid
    # one known line, field by field
    line = wh.query(
        "SELECT line_number, product_id, seller_id, unit_price, shipping_amount, "
        "attributes->>'shipping_limit_date', _source_row FROM order_lines "
        "WHERE order_id = '000229ec398224ef6ca0657da4fc703e'"
    )
    assert line == [(1, "c777355d18b72b67abbeef9df44fd0fd", "5b51032eddd242adc84c38acab88f23d",
                     Decimal("199.0000"), Decimal("17.8700"), "2018-01-18 14:48:30", 2)]


def test_joins_are_intact(olist):
    _, _, wh = olist
    orphans = {
        "order_lines.order_id": "SELECT count(*) FROM order_lines l ANTI JOIN orders o USING (order_id)",
        "order_lines.product_id": "SELECT count(*) FROM order_lines l ANTI JOIN products p USING (product_id)",
        "order_lines.seller_id": "SELECT count(*) FROM order_lines l ANTI JOIN sellers s USING (seller_id)",
        "orders.customer_id": "SELECT count(*) FROM orders o ANTI JOIN customers c USING (customer_id)",
        "payments.order_id": "SELECT count(*) FROM payments p ANTI JOIN orders o USING (order_id)",
        "reviews.order_id": "SELECT count(*) FROM reviews r ANTI JOIN orders o USING (order_id)",
    }
    for name, sql in orphans.items():
        assert wh.query(sql)[0][0] == 0, name


def test_customers_products_sellers_and_categories_fields(olist):
    _, _, wh = olist
    # raw: b2b6027b…, 259dac75…, 8775, mogi das cruzes, SP  (the zip prefix lost its leading 0)
    assert wh.query(
        "SELECT postal_code, city, region, country, attributes->>'customer_unique_id' FROM customers "
        "WHERE customer_id = 'b2b6027bc5c5109e529d4dc6358b12c3'"
    ) == [("08775", "mogi das cruzes", "SP", "BR", "259dac757896d24d7702b9acbbff3f3c")]
    assert wh.query(
        "SELECT category, (attributes->>'weight_g')::DOUBLE, (attributes->>'photos_qty')::DOUBLE "
        "FROM products WHERE product_id = '37cc742be07708b53a98702e77a21a02'"
    ) == [("eletrodomesticos", 400.0, 1.0)]
    assert wh.query(
        "SELECT postal_code, city, region FROM sellers WHERE seller_id = '3442f8959a84dea7ee197c632cb2df15'"
    ) == [("13023", "campinas", "SP")]
    assert wh.query(
        "SELECT name, name_en FROM categories WHERE category_id = 'beleza_saude'"
    ) == [("beleza_saude", "health_beauty")]
    assert wh.query("SELECT min(length(postal_code)), max(length(postal_code)) FROM geolocations") == [
        (5, 5)
    ]


def test_auto_detection_picks_the_same_presets(tmp_path):
    folder = shared_file(FOLDER)
    from shopkeeper.store.warehouse import Warehouse

    with Warehouse(tmp_path / "auto.duckdb") as wh:
        report = ingest(wh, [folder])
        chosen = {Path(f.path).name: f.mapping for f in report.files}
        assert chosen == {file: preset for preset, file in FILES.items()}
        assert report.rows_quarantined == 0
        assert wh.count("order_lines") == 17_071
