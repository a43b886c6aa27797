"""Data that reads fine but must not load as it is: duplicated lines, impossible dates, lines of a
rejected order, and days cut at the wrong midnight. Fixtures: tests/data/ (see its README.md).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shopkeeper import metrics
from shopkeeper.forecast.series import build_series
from shopkeeper.store.ingest.loader import ingest
from shopkeeper.store.warehouse import Warehouse

DATA = Path(__file__).parent / "data"


def _quarantine(wh: Warehouse) -> list[tuple]:
    return wh.query("SELECT source_row, reason, value FROM quarantine "
                    "ORDER BY source_file, source_row")


def _lines(wh: Warehouse) -> list[tuple]:
    return wh.query("SELECT order_id, product_id, quantity, _source_row FROM order_lines "
                    "ORDER BY order_id, line_number")


# -- duplicates -----------------------------------------------------------------------------
def test_a_redownload_appended_to_the_export_loads_each_line_once(warehouse):
    report = ingest(warehouse, [DATA / "orders_export_duplicated.csv"], preset="shopify_orders")
    f = report.files[0]
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (9, 6, 3)
    assert f.duplicates == 3
    assert _lines(warehouse) == [
        ("#2001", "TEE", 2, 2), ("#2001", "MUG", 1, 3),
        ("#2002", "CAP", 1, 4),
        # the same tee twice in one order is two real lines, not a duplicate
        ("#2003", "CAP", 1, 5), ("#2003", "TEE", 1, 6), ("#2003", "TEE", 1, 7),
    ]
    assert _quarantine(warehouse) == [
        (8, "order_lines: repeats an earlier row of the same file", "row 2"),
        (9, "order_lines: repeats an earlier row of the same file", "row 3"),
        (10, "order_lines: repeats an earlier row of the same file", "row 4"),
    ]
    assert metrics.query(warehouse, ["units", "orders"]).df.iloc[0].tolist() == [7.0, 3.0]
    notes = json.loads(warehouse.query("SELECT notes FROM loads")[0][0])
    assert (notes["duplicates"], notes["orphans"]) == (3, 0)
    assert report.notes()[0] == ("3 rows repeat a line of the same file or of an earlier load: "
                                 "quarantined, each line is loaded once")


def test_lines_already_loaded_from_another_file_are_quarantined(warehouse, tmp_path):
    """Two exports that number the same order's lines differently: the second adds nothing."""
    first = tmp_path / "order_lines.csv"
    first.write_text("order_id,line_number,product_id,quantity,unit_price,currency\n"
                     "A1,1,TEE,2,20.00,USD\nA1,2,MUG,1,12.00,USD\n")
    second = tmp_path / "erp" / "order_lines.csv"
    second.parent.mkdir()
    second.write_text("order_id,line_number,product_id,quantity,unit_price,currency\n"
                      "A1,10,TEE,2,20.00,USD\nA1,20,MUG,1,12.00,USD\nA1,30,CAP,1,15.00,USD\n")
    ingest(warehouse, [first], preset="canonical_order_lines")
    report = ingest(warehouse, [second], preset="canonical_order_lines")
    f = report.files[0]
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined, f.duplicates) == (3, 1, 2, 2)
    assert warehouse.query("SELECT line_number, product_id FROM order_lines ORDER BY 1") == [
        (1, "TEE"), (2, "MUG"), (30, "CAP")]
    assert warehouse.query(
        "SELECT source_row, reason, value FROM quarantine WHERE load_id = ? ORDER BY 1",
        [report.load_id]) == [
        (2, "order_lines: already loaded from another file", f"{first.resolve()} row 2"),
        (3, "order_lines: already loaded from another file", f"{first.resolve()} row 3"),
    ]


def test_loading_the_same_file_again_stays_idempotent(warehouse, tmp_path):
    path = shutil.copy(DATA / "orders_export_duplicated.csv", tmp_path / "orders_export.csv")
    ingest(warehouse, [path], preset="shopify_orders")
    before = (_lines(warehouse), _quarantine(warehouse))
    assert ingest(warehouse, [path], preset="shopify_orders").load_id is None  # same bytes
    forced = ingest(warehouse, [path], preset="shopify_orders", force=True)
    assert (forced.rows_loaded, forced.rows_quarantined) == (6, 3)
    assert (_lines(warehouse), _quarantine(warehouse)) == before


# -- impossible dates -----------------------------------------------------------------------
def test_dates_in_the_future_or_before_1990_are_quarantined(warehouse):
    report = ingest(warehouse, [DATA / "online_retail_dates.csv"], preset="uci_online_retail")
    f = report.files[0]
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (8, 6, 2)
    reasons = {row: (reason, value) for row, reason, value in _quarantine(warehouse)}
    assert set(reasons) == {5, 6}
    assert reasons[5][0] == "orders.ordered_at is in the future (after the load plus one day)"
    assert reasons[5][1].startswith("2031-06-01")
    assert reasons[6][0] == ("orders.ordered_at is before 1990-01-01, earlier than any store "
                             "could have sold online")
    assert reasons[6][1].startswith("1899-12-30")
    assert warehouse.query("SELECT max(ordered_at)::DATE FROM orders")[0][0] == dt.date(2010, 12, 2)


# -- a rejected order header takes its lines with it ----------------------------------------
def test_lines_of_a_rejected_header_are_quarantined_with_it(warehouse):
    report = ingest(warehouse, [DATA / "orders_export_rejected_header.csv"],
                    preset="shopify_orders")
    f = report.files[0]
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (4, 2, 2)
    assert warehouse.query("SELECT order_id FROM orders ORDER BY 1") == [("#3001",), ("#3003",)]
    assert [o for o, *_ in _lines(warehouse)] == ["#3001", "#3003"]
    header = ("orders.ordered_at: not a valid timestamp "
              "(expected %Y-%m-%d %H:%M:%S %z or %Y-%m-%dT%H:%M:%S%z)")
    assert _quarantine(warehouse) == [
        (3, header, "yesterday-ish"),
        (4, "order header rejected: " + header, "#3002 (row 3)"),
    ]
    assert report.rows_read == report.rows_loaded + report.rows_quarantined
    before = _quarantine(warehouse), _lines(warehouse)
    again = ingest(warehouse, [DATA / "orders_export_rejected_header.csv"],
                   preset="shopify_orders", force=True)
    assert (again.rows_loaded, again.rows_quarantined) == (2, 2)
    assert (_quarantine(warehouse), _lines(warehouse)) == before


def test_olist_items_and_payments_of_a_rejected_order_leave_with_it(warehouse):
    report = ingest(warehouse, [DATA / "olist"], preset="olist")
    by_file = {Path(f.path).name: (f.rows_read, f.rows_loaded, f.rows_quarantined)
               for f in report.files}
    assert by_file == {"olist_orders_dataset.csv": (4, 3, 1),
                       "olist_order_items_dataset.csv": (5, 4, 1),
                       "olist_order_payments_dataset.csv": (4, 3, 1)}
    assert warehouse.query("SELECT count(*) FROM order_lines WHERE order_id = 'o4'")[0][0] == 0
    assert warehouse.query("SELECT count(*) FROM payments WHERE order_id = 'o4'")[0][0] == 0
    reasons = warehouse.query(
        "SELECT regexp_extract(source_file, '[^/]+$'), source_row, reason, value "
        "FROM quarantine ORDER BY 1")
    assert [(file, row) for file, row, *_ in reasons] == [
        ("olist_order_items_dataset.csv", 6), ("olist_order_payments_dataset.csv", 5),
        ("olist_orders_dataset.csv", 5)]
    assert reasons[0][2] == ("order header rejected: orders.ordered_at is in the future "
                             "(after the load plus one day)")
    assert reasons[0][3] == "o4 (olist_orders_dataset.csv row 5)"
    assert warehouse.query("SELECT sum(rows_read) - sum(rows_loaded) - sum(rows_quarantined) "
                           "FROM load_files")[0][0] == 0


# -- the store's time zone ------------------------------------------------------------------
def test_a_plus_eight_store_counts_orders_on_their_local_day(tmp_path):
    path = tmp_path / "w.duckdb"
    with Warehouse(path) as wh:
        ingest(wh, [DATA / "orders_export_0800.csv"], preset="shopify_orders")
        assert wh.timezone == "Asia/Shanghai"
    with Warehouse(path) as wh:  # the detected zone is the store's from now on
        assert wh.timezone == "Asia/Shanghai"
        assert wh.status().timezone == ("Asia/Shanghai", "detected from +08:00 offsets in "
                                        "orders_export_0800.csv")
        by_day = metrics.query(wh, "orders", by="day").df
        assert [(d.date(), n) for d, n in zip(by_day["day"], by_day["orders"], strict=True)] == [
            (dt.date(2024, 2, 29), 1.0), (dt.date(2024, 3, 1), 2.0)]
        series = build_series(wh, level="total", freq="D", handle_stockouts=False).df
        assert series[["ds", "y"]].values.tolist() == [[dt.datetime(2024, 2, 29), 1],
                                                       [dt.datetime(2024, 3, 1), 2]]


def test_taobao_naive_times_are_china_time_and_set_the_store_zone(warehouse):
    ingest(warehouse, [DATA / "taobao_closed_refunded.csv"], preset="taobao_orders")
    assert warehouse.timezone == "Asia/Shanghai"
    day = metrics.query(warehouse, "gmv", by="day", start="2024-03-09", end="2024-03-10").df
    assert [(d.date(), v) for d, v in zip(day["day"], day["gmv"], strict=True)] == [
        (dt.date(2024, 3, 10), 88.0)]  # ordered 06:30 Beijing time on 10 March


def test_a_configured_zone_wins_over_the_detected_one(tmp_path):
    path = tmp_path / "w.duckdb"
    with Warehouse(path, timezone="Europe/London") as wh:
        ingest(wh, [DATA / "orders_export_0800.csv"], preset="shopify_orders")
        assert wh.timezone == "Europe/London"
    with Warehouse(path) as wh:  # without a setting, the first detection is the store's
        assert wh.timezone == "Asia/Shanghai"


def test_status_shows_the_time_zone(tmp_path, monkeypatch):
    from shopkeeper.cli import app

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SHOPKEEPER_WAREHOUSE", str(tmp_path / "w.duckdb"))
    monkeypatch.delenv("SHOPKEEPER_TIMEZONE", raising=False)
    runner = CliRunner()
    result = runner.invoke(app, ["ingest", str(DATA / "taobao_closed_refunded.csv")])
    assert result.exit_code == 0, result.output
    assert "the store's time zone is now Asia/Shanghai (from preset taobao_orders" in \
        " ".join(result.output.split())
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 0, result.output
    assert "time zone: Asia/Shanghai (from preset taobao_orders" in result.output


@pytest.mark.parametrize("offset, zone", [("+0800", "Asia/Shanghai"), ("-0500", "Etc/GMT+5"),
                                          ("+05:30", "Asia/Kolkata"), ("+0000", "UTC")])
def test_offsets_name_a_zone(offset, zone):
    from shopkeeper.store.timezone import zone_for_offset

    assert zone_for_offset(offset) == zone


def test_a_mapping_with_a_line_id_quarantines_any_repeat(warehouse, tmp_path):
    from shopkeeper.store.ingest.mapping import load_mapping

    mapping = tmp_path / "erp.toml"
    mapping.write_text('''name = "erp"
[[tables]]
table = "order_lines"
duplicates = { line_id = "{Sub Order No}" }
[tables.fields]
order_id = "Order No"
line_number = { expr = "row_number() OVER (PARTITION BY {Order No} ORDER BY rowid)" }
product_id = "SKU"
quantity = "Qty"
unit_price = "Price"
attributes = { columns = ["Sub Order No"] }
''')
    export = tmp_path / "erp.csv"
    export.write_text("Order No,Sub Order No,SKU,Qty,Price\n"
                      "E1,E1-1,TEE,1,20\nE1,E1-1,TEE,1,20\nE1,E1-2,TEE,1,20\n")
    report = ingest(warehouse, [export], mapping=load_mapping(mapping))
    assert (report.rows_loaded, report.rows_quarantined, report.duplicates) == (2, 1, 1)
    assert _quarantine(warehouse) == [
        (3, "order_lines: repeats an earlier row of the same file", "row 2")]
