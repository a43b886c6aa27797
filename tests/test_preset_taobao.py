"""A Taobao / Tmall order export (GBK CSV with Excel ="…" text guards) loads via taobao_orders.

The fixture is written by the test the way the seller centre exports it: GBK bytes, Chinese
headers, long order numbers wrapped as ="3870…" so Excel keeps them as text, and amounts such as
￥88.00.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from shopkeeper.store.ingest.loader import ingest

HEADER = ["订单编号", "子订单编号", "买家会员名", "商品标题", "商家编码", "商品ID", "宝贝数量",
          "商品单价", "实付金额", "买家应付邮费", "订单状态", "订单创建时间", "订单付款时间",
          "收货人姓名", "收货地址", "联系手机", "退款金额", "买家留言"]

O1, O2 = "3870123456789012345", "3870123456789099999"


def g(value: str) -> str:
    """An Excel text guard, as Taobao writes long numbers."""
    return f'="{value}"'


# Each tuple follows HEADER. The file's row numbers (header = 1) are in the comments.
ROWS = [
    # 2: order 1, line 1
    (g(O1), g("3870123456789012346"), "tb_alice", "纯棉T恤 男款 短袖", "TS-001", g("612345678901"),
     "2", "59.00", "108.00", "0.00", "交易成功", "2024-03-05 14:22:10", "2024-03-05 14:23:00",
     "张三", "浙江省 杭州市 西湖区 文三路100号", "13800000000", "0.00", ""),
    # 3: order 1, line 2: no 商家编码 (falls back to 商品ID), refunded in full
    (g(O1), g("3870123456789012347"), "tb_alice", "陶瓷马克杯", "", g("623456789012"), "1",
     "29.90", "29.90", "0.00", "交易成功", "2024-03-05 14:22:10", "2024-03-05 14:23:00", "张三",
     "浙江省 杭州市 西湖区 文三路100号", "13800000000", "29.90", ""),
    # 4: order 2: no product code at all (md5 of the title), a comma in the title, ￥ amounts
    (g(O2), g("3870123456789100000"), "tb_bob", "保温杯,500ml", "", "", "1", "￥88.00", "￥80.00",
     "10.00", "卖家已发货，等待买家确认", "2024-03-06 09:00:00", "2024-03-06 09:05:00", "李四",
     "广东省 深圳市 南山区 科技园", "13900000000", "0.00", "请尽快发货"),
    # 5: order 3: not paid yet
    (g("3870000000000000003"), "", "tb_carol", "纯棉T恤 男款 短袖", "TS-001", "", "1", "59.00",
     "59.00", "0.00", "等待买家付款", "2024-03-07 20:00:00", "", "王五", "北京 北京市 朝阳区",
     "", "0.00", ""),
    # 6: order 4: closed; no unit price (price = paid / quantity)
    (g("3870000000000000004"), "", "tb_alice", "不锈钢水杯", "CUP-9", "", "3", "", "45.00",
     "0.00", "交易关闭", "2024-03-08 10:00:00", "2024-03-08 10:01:00", "张三",
     "浙江省 杭州市 西湖区 文三路100号", "", "0.00", ""),
    # 7: order 5: closed before payment
    (g("3870000000000000005"), "", "tb_dave", "纯棉T恤 男款 短袖", "TS-001", "", "1", "59.00",
     "59.00", "0.00", "付款以前，卖家或买家主动关闭交易", "2024-03-09 10:00:00", "", "赵六", "",
     "", "0.00", ""),
    # 8: order 6: paid, waiting to ship
    (g("3870000000000000006"), "", "tb_erin", "不锈钢水杯", "CUP-9", "", "1", "15.00", "15.00",
     "0.00", "买家已付款，等待卖家发货", "2024-03-10 10:00:00", "2024-03-10 10:00:05", "孙七", "",
     "", "0.00", ""),
    # 9: an unknown status -> quarantined
    (g("3870000000000000007"), "", "tb_frank", "帆布包", "BAG-1", "", "1", "39.00", "39.00",
     "0.00", "奇怪的状态", "2024-03-11 10:00:00", "", "", "", "", "0.00", ""),
    # 10: quantity 0 -> quarantined
    (g("3870000000000000008"), "", "tb_gina", "帆布包", "BAG-1", "", "0", "39.00", "0.00",
     "0.00", "交易成功", "2024-03-12 10:00:00", "2024-03-12 10:00:00", "", "", "", "0.00", ""),
]


def _csv_field(value: str) -> str:
    return f'"{value}"' if "," in value else value  # Taobao quotes only when it must


def write_export(path: Path, header=HEADER, rows=ROWS) -> Path:
    lines = [",".join(header)] + [",".join(_csv_field(v) for v in row) for row in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    return path


def test_gbk_export_is_detected_and_counted(warehouse, tmp_path):
    path = write_export(tmp_path / "ExportOrderDetailList20240312.csv")
    assert b"\xb6\xa9\xb5\xa5" in path.read_bytes()  # 订单 in GBK: really not UTF-8
    report = ingest(warehouse, [path])  # no preset, no encoding: both recognised
    f = report.files[0]
    assert f.mapping == "taobao_orders"
    assert f.encoding == "gb18030"
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (9, 7, 2)
    assert f.table_rows == {"orders": 6, "order_lines": 7, "products": 4, "customers": 5,
                            "refunds": 1}
    assert warehouse.query(
        "SELECT source_row, column_name, reason, value FROM quarantine ORDER BY source_row"
    ) == [
        (9, "orders.status", "orders.status: not one of pending, paid, shipped, "
                    "completed, cancelled, refunded, partially_refunded, unknown", "奇怪的状态"),
        (10, "宝贝数量", "order_lines.quantity must be more than 0 for an order line "
                     "(returns belong in refunds)", "0"),
    ]


def test_orders_statuses_times_and_totals(warehouse, tmp_path):
    ingest(warehouse, [write_export(tmp_path / "orders.csv")], preset="taobao_orders")
    rows = warehouse.query(
        "SELECT order_id, customer_id, channel, status, ordered_at, paid_at, currency, "
        "shipping_amount, total_amount, country, region, city, attributes->>'订单状态' "
        "FROM orders ORDER BY ordered_at"
    )
    assert rows == [
        # its mug came back (退款金额 29.90): still a sale, partly refunded
        (O1, "tb_alice", "taobao", "partially_refunded",
         datetime(2024, 3, 5, 6, 22, 10, tzinfo=UTC),
         datetime(2024, 3, 5, 6, 23, tzinfo=UTC), "CNY", Decimal("0"), Decimal("137.9"), "CN",
         "浙江省", "杭州市", "交易成功"),
        (O2, "tb_bob", "taobao", "shipped", datetime(2024, 3, 6, 1, 0, tzinfo=UTC),
         datetime(2024, 3, 6, 1, 5, tzinfo=UTC), "CNY", Decimal("10"), Decimal("80"), "CN",
         "广东省", "深圳市", "卖家已发货，等待买家确认"),
        ("3870000000000000003", "tb_carol", "taobao", "pending",
         datetime(2024, 3, 7, 12, 0, tzinfo=UTC), None, "CNY", Decimal("0"), Decimal("59"), "CN",
         "北京", "北京市", "等待买家付款"),
        ("3870000000000000004", "tb_alice", "taobao", "cancelled",
         datetime(2024, 3, 8, 2, 0, tzinfo=UTC), datetime(2024, 3, 8, 2, 1, tzinfo=UTC), "CNY",
         Decimal("0"), Decimal("45"), "CN", "浙江省", "杭州市", "交易关闭"),
        ("3870000000000000005", "tb_dave", "taobao", "cancelled",
         datetime(2024, 3, 9, 2, 0, tzinfo=UTC), None, "CNY", Decimal("0"), Decimal("59"), "CN",
         None, None, "付款以前，卖家或买家主动关闭交易"),
        ("3870000000000000006", "tb_erin", "taobao", "paid",
         datetime(2024, 3, 10, 2, 0, tzinfo=UTC), datetime(2024, 3, 10, 2, 0, 5, tzinfo=UTC),
         "CNY", Decimal("0"), Decimal("15"), "CN", None, None, "买家已付款，等待卖家发货"),
    ]


def test_lines_products_customers_and_refunds(warehouse, tmp_path):
    ingest(warehouse, [write_export(tmp_path / "orders.csv")], preset="taobao_orders")
    md5 = hashlib.md5("保温杯,500ml".encode()).hexdigest()
    lines = warehouse.query(
        "SELECT order_id, line_number, product_id, title, quantity, unit_price, discount_amount, "
        "line_amount, currency, attributes->>'子订单编号', _source_row FROM order_lines "
        "ORDER BY _source_row"
    )
    assert lines == [
        (O1, 1, "TS-001", "纯棉T恤 男款 短袖", 2, Decimal("59"), Decimal("10"), Decimal("108"), "CNY",
         "3870123456789012346", 2),
        (O1, 2, "623456789012", "陶瓷马克杯", 1, Decimal("29.9"), Decimal("0"), Decimal("29.9"),
         "CNY", "3870123456789012347", 3),
        (O2, 1, md5, "保温杯,500ml", 1, Decimal("88"), Decimal("8"), Decimal("80"), "CNY",
         "3870123456789100000", 4),
        ("3870000000000000003", 1, "TS-001", "纯棉T恤 男款 短袖", 1, Decimal("59"), Decimal("0"),
         Decimal("59"), "CNY", None, 5),
        ("3870000000000000004", 1, "CUP-9", "不锈钢水杯", 3, Decimal("15"), Decimal("0"), Decimal("45"),
         "CNY", None, 6),
        ("3870000000000000005", 1, "TS-001", "纯棉T恤 男款 短袖", 1, Decimal("59"), Decimal("0"),
         Decimal("59"), "CNY", None, 7),
        ("3870000000000000006", 1, "CUP-9", "不锈钢水杯", 1, Decimal("15"), Decimal("0"),
         Decimal("15"), "CNY", None, 8),
    ]
    products = warehouse.query(
        "SELECT product_id, parent_id, title, price, attributes FROM products ORDER BY _source_row"
    )
    assert [(p[0], p[1], p[2], p[3], json.loads(p[4])["id_from"]) for p in products] == [
        ("TS-001", "612345678901", "纯棉T恤 男款 短袖", Decimal("59"), "商家编码"),
        ("623456789012", "623456789012", "陶瓷马克杯", Decimal("29.9"), "商品ID"),
        (md5, None, "保温杯,500ml", Decimal("88"), "md5(title)"),
        ("CUP-9", None, "不锈钢水杯", Decimal("15"), "商家编码"),
    ]
    assert warehouse.query(
        "SELECT customer_id, name, phone, country, region, city FROM customers ORDER BY _source_row"
    ) == [
        ("tb_alice", "张三", "13800000000", "CN", "浙江省", "杭州市"),
        ("tb_bob", "李四", "13900000000", "CN", "广东省", "深圳市"),
        ("tb_carol", "王五", None, "CN", "北京", "北京市"),
        ("tb_dave", "赵六", None, "CN", None, None),
        ("tb_erin", "孙七", None, "CN", None, None),
    ]
    assert warehouse.query(
        "SELECT refund_id, order_id, product_id, customer_id, amount, currency, refunded_at, kind, "
        "status, _source_row FROM refunds"
    ) == [
        ("3870123456789012347", O1, "623456789012", "tb_alice", Decimal("29.9"), "CNY",
         datetime(2024, 3, 5, 6, 23, tzinfo=UTC), "refund", "completed", 3),
    ]


def test_order_report_without_optional_columns(warehouse, tmp_path):
    """The older one-row-per-order report: 宝贝标题 / 购买数量 / 买家实际支付金额, no 退款金额."""
    header = ["订单编号", "买家会员名", "买家实际支付金额", "订单状态", "订单创建时间", "订单付款时间",
              "宝贝标题", "购买数量"]
    rows = [
        (g("1001"), "tb_x", "100.00", "交易成功", "2024/3/5 14:22", "2024/3/5 14:30", "羽绒服", "2"),
        (g("1002"), "tb_y", "50.00", "等待买家确认收货", "2024/3/6 8:00", "2024/3/6 8:01", "围巾", "1"),
    ]
    path = write_export(tmp_path / "report.csv", header, rows)
    report = ingest(warehouse, [path])
    f = report.files[0]
    assert (f.mapping, f.encoding) == ("taobao_orders", "gb18030")
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (2, 2, 0)
    assert f.table_rows == {"orders": 2, "order_lines": 2, "products": 2, "customers": 2}
    assert warehouse.query("SELECT order_id, status, ordered_at FROM orders ORDER BY 1") == [
        ("1001", "completed", datetime(2024, 3, 5, 6, 22, tzinfo=UTC)),
        ("1002", "shipped", datetime(2024, 3, 6, 0, 0, tzinfo=UTC)),
    ]
    assert warehouse.query("SELECT unit_price, line_amount FROM order_lines ORDER BY order_id") == [
        (Decimal("50"), Decimal("100")), (Decimal("50"), Decimal("50")),
    ]
