"""Malformed inputs: each gives a clear error or quarantine, and read = loaded + quarantined."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import openpyxl
import pytest

from shopkeeper.errors import (
    EmptyFileError,
    EncodingError,
    InvalidMappingError,
    MissingColumnsError,
    UnknownPresetError,
)
from shopkeeper.store import ingest, load_mapping

MAPPING_TOML = """
name = "shop_export"
[source]
timezone = "Asia/Shanghai"
currency = "CNY"

[[tables]]
table = "order_lines"
[tables.fields]
order_id = "Order No"
line_number = "Line"
product_id = "SKU"
title = { column = "Title", optional = true }
quantity = "Qty"
unit_price = "Price"

[[tables]]
table = "orders"
grain = "dedupe"
[tables.fields]
order_id = "Order No"
ordered_at = { column = "Date", format = ["%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M"] }
customer_id = { column = "Customer", optional = true }
status = { column = "Status", optional = true, map = { "交易成功" = "completed", "交易关闭" = "cancelled" } }
"""

HEADER = "Order No,Line,SKU,Title,Qty,Price,Date,Customer,Status\n"


@pytest.fixture
def mapping(tmp_path: Path):
    path = tmp_path / "shop.toml"
    path.write_text(MAPPING_TOML, encoding="utf-8")
    return load_mapping(path)


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def balanced(report) -> bool:
    return all(f.rows_read == f.rows_loaded + f.rows_quarantined for f in report.files)


def quarantine(wh) -> list[tuple]:
    return wh.query("SELECT source_row, column_name, reason, value FROM quarantine "
                    "ORDER BY source_row")


def test_clean_file_loads_with_lineage(warehouse, mapping, tmp_path):
    path = write(tmp_path, "ok.csv", HEADER + "A1,1,S1,杯子,2,9.90,2024-01-05 10:00,u1,交易成功\n"
                 "A1,2,S2,碗,1,19.5,2024-01-05 10:00,u1,交易成功\nA2,1,S1,杯子,3,9.90,2024/01/06 09:30,u2,交易关闭\n")
    report = ingest(warehouse, [path], mapping=mapping)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (3, 3, 0)
    assert report.table_rows == {"order_lines": 3, "orders": 2}
    rows = warehouse.query(
        "SELECT order_id, status, currency, strftime(ordered_at AT TIME ZONE 'Asia/Shanghai', "
        "'%Y-%m-%d %H:%M'), _source_row FROM orders ORDER BY order_id"
    )
    assert rows == [("A1", "completed", "CNY", "2024-01-05 10:00", 2),
                    ("A2", "cancelled", "CNY", "2024-01-06 09:30", 4)]
    assert warehouse.query("SELECT title FROM order_lines WHERE product_id = 'S2'") == [("碗",)]


def test_missing_required_column_is_a_clear_error_and_writes_nothing(warehouse, mapping, tmp_path):
    path = write(tmp_path, "noqty.csv", "Order No,Line,SKU,Price,Date\nA1,1,S1,9.9,2024-01-05 10:00\n")
    with pytest.raises(MissingColumnsError, match=r"noqty.csv: the following columns are missing: \['Qty'\]"):
        ingest(warehouse, [path], mapping=mapping)
    assert warehouse.count("order_lines") == 0
    assert warehouse.query("SELECT count(*) FROM loads") == [(0,)]


def test_bad_dates_numbers_and_negative_quantities_are_quarantined(warehouse, mapping, tmp_path):
    path = write(tmp_path, "bad.csv", HEADER
                 + "A1,1,S1,,2,9.90,2024-01-05 10:00,u1,\n"
                 + "A2,1,S1,,two,9.90,2024-01-05 10:00,u1,\n"
                 + "A3,1,S1,,1,9.9x,2024-01-05 10:00,u1,\n"
                 + "A4,1,S1,,1,9.90,31/02/2024,u1,\n"
                 + "A5,1,S1,,-3,9.90,2024-01-05 10:00,u1,\n"
                 + "A6,1,S1,,1,9.90,2024-01-05 10:00,u1,lost\n"
                 + "A7,1,,,1,9.90,2024-01-05 10:00,u1,\n")
    report = ingest(warehouse, [path], mapping=mapping)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (7, 1, 6)
    assert balanced(report)
    assert quarantine(warehouse) == [
        (3, "Qty", "order_lines.quantity: not a valid whole number", "two"),
        (4, "Price", "order_lines.unit_price: not a valid number", "9.9x"),
        (5, "Date", "orders.ordered_at: not a valid timestamp "
                    "(expected %Y-%m-%d %H:%M or %Y/%m/%d %H:%M)", "31/02/2024"),
        (6, "Qty", "order_lines.quantity must be more than 0 for an order line "
                   "(returns belong in refunds)", "-3"),
        (7, "Status", "orders.status: not one of pending, paid, shipped, completed, "
                      "cancelled, refunded, partially_refunded, unknown", "lost"),
        (8, "SKU", "order_lines.product_id: required value is empty", None),
    ]
    assert warehouse.query("SELECT order_id FROM orders") == [("A1",)]


def test_duplicate_keys_keep_the_first_and_quarantine_the_rest(warehouse, mapping, tmp_path):
    path = write(tmp_path, "dups.csv", HEADER
                 + "A1,1,S1,,1,9.9,2024-01-05 10:00,u1,\n"
                 + "A1,2,S2,,1,9.9,2024-01-05 10:00,u1,\n"
                 + "A1,1,S3,,5,9.9,2024-01-05 10:00,u1,\n")
    report = ingest(warehouse, [path], mapping=mapping)
    assert (report.rows_loaded, report.rows_quarantined) == (2, 1)
    assert quarantine(warehouse) == [
        (4, "order_id", "order_lines: duplicate key (order_id, line_number)",
         "(A1, 1), first at row 2")]
    assert warehouse.query("SELECT product_id FROM order_lines ORDER BY line_number") == [("S1",), ("S2",)]


def test_truncated_file_keeps_the_cut_row_in_quarantine(warehouse, mapping, tmp_path):
    path = write(tmp_path, "cut.csv", HEADER
                 + "A1,1,S1,,1,9.9,2024-01-05 10:00,u1,\n"
                 + "A2,1,S1,,1,9.9,2024-01-05 10:00,u1,\n"
                 + "A3,1,S1,\"Blue")
    report = ingest(warehouse, [path], mapping=mapping)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (3, 2, 1)
    (row, column, reason, _value), = quarantine(warehouse)
    assert row == 4 and column is None and reason.startswith("malformed CSV row")


def test_malformed_row_in_the_middle_keeps_later_row_numbers_exact(warehouse, mapping, tmp_path):
    path = write(tmp_path, "mid.csv", HEADER
                 + "A1,1,S1,,1,9.9,2024-01-05 10:00,u1,\n"
                 + "A2,1,S1,,1,9.9,2024-01-05 10:00,u1,,EXTRA,FIELDS\n"
                 + "A3,1,S1,,1,9.9,2024-01-05 10:00,u1,\n"
                 + "A4,1,S1,,-1,9.9,2024-01-05 10:00,u1,\n")
    report = ingest(warehouse, [path], mapping=mapping)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (4, 2, 2)
    assert [(r, c) for r, c, *_ in quarantine(warehouse)] == [(3, None), (5, "Qty")]
    assert warehouse.query("SELECT order_id, _source_row FROM order_lines ORDER BY 1") == [
        ("A1", 2), ("A3", 4)]


def test_every_quarantined_row_keeps_its_source_row_and_number(warehouse, mapping, tmp_path):
    """A UTF-8 file is typed as it is read (no staged copy): a row rejected while typing, a
    duplicate found after it and a row the parser could not read each keep their own row."""
    lines = ["A1,1,S1,,1,9.9,2024-01-05 10:00,u1,",
             "A2,1,S1,,-2,9.9,2024-01-05 10:00,u2,",  # rejected while typing
             "A3,1,S1,,1,9.9,2024-01-05 10:00,u3,,extra,extra",  # the parser's reject
             "A4,1,S4,,1,9.9,2024-01-05 10:00,u4,",
             "A1,1,S9,,3,9.9,2024-01-05 10:00,u1,"]  # a duplicate key, found after typing
    path = write(tmp_path, "mixed.csv", HEADER + "\n".join(lines) + "\n")
    report = ingest(warehouse, [path], mapping=mapping)
    assert balanced(report) and (report.rows_loaded, report.rows_quarantined) == (2, 3)
    raw = dict(warehouse.query("SELECT source_row, raw FROM quarantine"))
    assert sorted(raw) == [3, 4, 6]
    assert json.loads(raw[3])["Qty"] == "-2" and json.loads(raw[3])["Order No"] == "A2"
    assert "extra" in raw[4]
    assert json.loads(raw[6])["SKU"] == "S9" and json.loads(raw[6])["Customer"] == "u1"
    assert warehouse.query("SELECT order_id, _source_row FROM order_lines ORDER BY 2") == [
        ("A1", 2), ("A4", 5)]


def test_a_file_that_stops_being_utf8_after_its_start_is_transcoded(warehouse, mapping, tmp_path):
    filler = "".join(f"B{i},1,S1,,1,9.9,2024-01-05 10:00,u{i},\n" for i in range(3000))
    text = HEADER + filler + "C1,1,S2,杯子,1,9.9,2024-01-05 10:00,u1,\n"
    path = write(tmp_path, "late_gbk.csv", text, encoding="gb18030")
    assert len(filler.encode()) > 1 << 16  # the start that is read as UTF-8
    report = ingest(warehouse, [path], mapping=mapping)
    assert report.files[0].encoding == "gb18030"
    assert (report.rows_read, report.rows_loaded) == (3001, 3001)
    assert warehouse.query("SELECT title, _source_row FROM order_lines WHERE order_id = 'C1'") \
        == [("杯子", 3002)]


def test_gbk_file_is_detected_and_wrong_declared_encoding_is_a_clear_error(warehouse, mapping, tmp_path):
    path = write(tmp_path, "gbk.csv", HEADER + "A1,1,S1,保温杯,1,59,2024-01-05 10:00,张三,交易成功\n",
                 encoding="gbk")
    with pytest.raises(EncodingError, match=r"gbk.csv: not valid utf-8 at row 2 .*--encoding gb18030"):
        ingest(warehouse, [path], mapping=mapping, encoding="utf-8")
    assert warehouse.count("orders") == 0
    report = ingest(warehouse, [path], mapping=mapping)
    assert report.files[0].encoding == "gb18030"
    assert warehouse.query("SELECT title FROM order_lines") == [("保温杯",)]
    assert warehouse.query("SELECT customer_id, status FROM orders") == [("张三", "completed")]


def test_utf8_bom_header_is_read_cleanly(warehouse, mapping, tmp_path):
    path = write(tmp_path, "bom.csv", "\ufeff" + HEADER + "A1,1,S1,,1,9.9,2024-01-05 10:00,u1,\n")
    report = ingest(warehouse, [path], mapping=mapping)
    assert report.rows_loaded == 1


def test_empty_file_is_an_error_and_header_only_loads_nothing(warehouse, mapping, tmp_path):
    with pytest.raises(EmptyFileError, match="empty.csv: the file is empty"):
        ingest(warehouse, [write(tmp_path, "empty.csv", "")], mapping=mapping)
    report = ingest(warehouse, [write(tmp_path, "header.csv", HEADER)], mapping=mapping)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (0, 0, 0)


def test_excel_with_extra_header_rows_finds_the_header(warehouse, mapping, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["店铺订单导出 Shop order export"])
    ws.append(["导出时间: 2024-02-01"])
    ws.append([])
    ws.append(HEADER.strip().split(","))
    ws.append(["A1", 1, "S1", "杯子", 2, 9.9, "2024-01-05 10:00", "u1", "交易成功"])
    ws.append(["A2", 1, "S2", "碗", -1, 9.9, "2024-01-05 10:00", "u1", "交易成功"])
    path = tmp_path / "export.xlsx"
    wb.save(path)
    report = ingest(warehouse, [path], mapping=mapping)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (2, 1, 1)
    assert quarantine(warehouse)[0][:2] == (6, "Qty")  # the row number Excel shows
    assert warehouse.query("SELECT _source_row FROM order_lines") == [(5,)]


def test_jsonl_broken_line_is_quarantined(warehouse, mapping, tmp_path):
    path = write(tmp_path, "orders.jsonl", textwrap.dedent("""\
        {"Order No": "A1", "Line": 1, "SKU": "S1", "Qty": 2, "Price": 9.9, "Date": "2024-01-05 10:00"}
        {"Order No": "A2", "Line": 1, "SKU": "S1", "Qty": 2,
        {"Order No": "A3", "Line": 1, "SKU": "S2", "Qty": 1, "Price": 5, "Date": "2024-01-06 11:00"}
        """))
    report = ingest(warehouse, [path], mapping=mapping)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (3, 2, 1)
    assert quarantine(warehouse)[0][0] == 2


def test_unknown_file_without_preset_names_the_closest_presets(warehouse, tmp_path):
    path = write(tmp_path, "mystery.csv", "foo,bar\n1,2\n")
    with pytest.raises(UnknownPresetError, match="mystery.csv: no preset matches"):
        ingest(warehouse, [path])


def test_invalid_mapping_names_the_field(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('name = "x"\n[[tables]]\ntable = "orders"\n[tables.fields]\norder_id = "A"\ncolour = "B"\n')
    with pytest.raises(InvalidMappingError, match=r"bad.toml: invalid mapping at tables.0: .*has no columns \['colour'\]"):
        load_mapping(path)


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])  # read in one pass, or staged first
@pytest.mark.parametrize(("field", "error"), [
    ("quantity = { expr = \"no_such_fn({Qty})\" }", "order_lines.quantity .*no_such_fn"),
    ("quantity = { expr = \"({Qty} +* 2\" }", "order_lines.quantity .*syntax error"),
    ("quantity = \"Qty\"\nunit_price = { expr = \"{Price} || nope\" }",
     "order_lines.unit_price .*nope"),
    ("quantity = { expr = \"CAST({SKU} AS INTEGER)\" }", "a field .*Conversion.*TRY_CAST"),
])
def test_a_mapping_expression_that_cannot_run_is_named_and_nothing_is_written(
        warehouse, tmp_path, field, error, encoding):
    path = tmp_path / "m.toml"
    path.write_text(textwrap.dedent("""\
        name = "erp"
        [[tables]]
        table = "order_lines"
        [tables.fields]
        order_id = "Order No"
        line_number = "Line"
        product_id = "SKU"
        """) + field + ("\nunit_price = \"Price\"\n" if "unit_price" not in field else "\n"),
        encoding="utf-8")
    data = write(tmp_path, "o.csv", "Order No,Line,SKU,Qty,Price\nA1,1,S1,2,3.5\nA2,1,绿茶,1,4\n",
                 encoding)
    with pytest.raises(InvalidMappingError,
                       match=rf"o.csv: mapping 'erp': the SQL of {error}") as caught:
        ingest(warehouse, [data], mapping=load_mapping(path))
    assert "cannot read as CSV" not in str(caught.value)
    assert warehouse.query("SELECT count(*) FROM order_lines") == [(0,)]
    assert warehouse.query("SELECT count(*) FROM load_files") == [(0,)]


@pytest.mark.parametrize("expr", ["count(*) OVER (PARTITION BY {SKU})",
                                  "rowid * 0 + 1"])
def test_rows_keep_their_file_numbers_under_expressions_that_read_other_rows(
        warehouse, tmp_path, expr):
    path = tmp_path / "m.toml"
    path.write_text(textwrap.dedent(f"""\
        name = "erp"
        [[tables]]
        table = "order_lines"
        [tables.fields]
        order_id = "Order No"
        line_number = "Line"
        product_id = "SKU"
        quantity = {{ expr = "{expr}" }}
        unit_price = "Price"
        """), encoding="utf-8")
    rows = "".join(f"A{i},1,S{i % 7},1,{'x' if i % 997 == 0 else 2}\n" for i in range(1, 30_001))
    data = write(tmp_path, "o.csv", "Order No,Line,SKU,Qty,Price\n" + rows)
    ingest(warehouse, [data], mapping=load_mapping(path))
    # the file's row n (header = row 1) holds order A{n - 1}
    assert warehouse.query("SELECT count(*) FROM order_lines WHERE order_id <> "
                           "'A' || (_source_row - 1)") == [(0,)]
    assert warehouse.query("SELECT count(*) FROM order_lines") == [(30_000 - 30,)]
    assert warehouse.query("SELECT count(*) FROM quarantine WHERE source_row % 997 <> 1 "
                           "OR raw->>'Order No' <> 'A' || (source_row - 1)") == [(0,)]


def test_yaml_mapping_works_like_toml(warehouse, tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text(textwrap.dedent("""\
        name: yaml_products
        tables:
          - table: products
            fields:
              product_id: SKU
              title: Name
              price: {column: Price}
        """), encoding="utf-8")
    data = write(tmp_path, "p.csv", "SKU,Name,Price\nS1,Mug,\"1,299.50\"\n")
    report = ingest(warehouse, [data], mapping=load_mapping(path))
    assert report.rows_loaded == 1
    assert warehouse.query("SELECT CAST(price AS DOUBLE), currency FROM products") == [(1299.5, "USD")]
