"""How each preset's order states and refund columns become gross, cancelled and refunded.

One rule for every preset (docs/presets.md, "Order states and money"): an order never paid, or
voided, is *cancelled*: it is out of GMV and has no refund. A paid order stays in GMV whatever
happens later; money paid back is a refund, subtracted once. Each test loads a small fixture from
tests/data/ and checks the totals of the metrics entry against figures worked out by hand in the
comments.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from shopkeeper import metrics
from shopkeeper.store.ingest.loader import ingest

DATA = Path(__file__).parent / "data"
TOTALS = ["gmv", "discounts", "refunds", "net_revenue", "orders"]


def _totals(wh) -> dict[str, float]:
    row = metrics.query(wh, TOTALS).df.iloc[0]
    return {m: round(float(row[m]), 2) for m in TOTALS}


def test_taobao_closed_after_payment_is_a_paid_order_refunded_once(warehouse):
    report = ingest(warehouse, [DATA / "taobao_closed_refunded.csv"], preset="taobao_orders")
    assert report.files[0].encoding == "gb18030"
    # GMV: T1 2×59 + 29.90, T2 3×15, T4 39 + 59, T5 88 = 378.90 (T3 closed before payment and
    # T6 closed unpaid are cancelled); discounts: T1 118 − 108 = 10, T5 88 − 80 = 8;
    # refunds: T1's mug 29.90 + T2 45 + T4 39 + 59 = 172.90; net: what was paid and kept.
    assert _totals(warehouse) == {"gmv": 378.90, "discounts": 18.0, "refunds": 172.90,
                                  "net_revenue": 188.0, "orders": 4.0}
    assert warehouse.query("SELECT order_id[-1:], status FROM orders ORDER BY 1") == [
        ("1", "partially_refunded"), ("2", "refunded"), ("3", "cancelled"), ("4", "refunded"),
        ("5", "completed"), ("6", "cancelled")]
    assert warehouse.query("SELECT count(*) FROM refunds r JOIN orders o USING (order_id) "
                           "WHERE o.status = 'cancelled'")[0][0] == 0


def test_shopify_cancelled_after_payment_is_refunded_and_voided_is_cancelled(warehouse):
    ingest(warehouse, [DATA / "orders_export_money.csv"], preset="shopify_orders")
    # GMV: #5001 2×20 + 12, #5002 2×15, #5003 20 (paid, then cancelled and refunded) = 102;
    # #5004 voided: cancelled. Discounts: 2 on #5001's mug. Refunds: 10 + 20.
    assert _totals(warehouse) == {"gmv": 102.0, "discounts": 2.0, "refunds": 30.0,
                                  "net_revenue": 70.0, "orders": 3.0}
    assert warehouse.query("SELECT order_id, status FROM orders ORDER BY 1") == [
        ("#5001", "completed"), ("#5002", "partially_refunded"), ("#5003", "refunded"),
        ("#5004", "cancelled")]


def test_olist_canceled_orders_are_out_of_gmv(warehouse):
    ingest(warehouse, [DATA / "olist"], preset="olist")
    # o1 two items of 100, o3 30.50; o2 canceled; o4 (dated 2031) is quarantined with its item
    assert _totals(warehouse) == {"gmv": 230.50, "discounts": 0.0, "refunds": 0.0,
                                  "net_revenue": 230.50, "orders": 2.0}


def test_uci_cancellation_invoices_are_refunds_and_zero_value_orders_are_flagged(warehouse):
    report = ingest(warehouse, [DATA / "online_retail_dates.csv"], preset="uci_online_retail")
    # GMV: 536365 6×2.55 + 6×3.39 = 35.64, 536366 6×1.85 = 11.10; refunds: C536370 2×1.85;
    # 536369 holds only zero-price lines ("damaged", "check"): kept, but no sale
    assert report.files[0].zero_value_orders == 1
    assert warehouse.query("SELECT count(*) FROM orders WHERE order_id = '536369'")[0][0] == 1
    assert _totals(warehouse) == {"gmv": 46.74, "discounts": 0.0, "refunds": 3.70,
                                  "net_revenue": 43.04, "orders": 2.0}


@pytest.mark.parametrize("state, refund, status", [
    ("交易成功", "0.00", "completed"), ("交易成功", "10.00", "partially_refunded"),
    ("交易关闭", "20.00", "refunded"), ("交易关闭", "0.00", "cancelled"),
    ("付款以前，卖家或买家主动关闭交易", "0.00", "cancelled"),
])
def test_taobao_state_and_refund_give_one_status(warehouse, tmp_path, state, refund, status):
    path = tmp_path / "ExportOrderList.csv"
    path.write_bytes(("订单编号,买家会员名,商品标题,宝贝数量,商品单价,实付金额,订单状态,订单创建时间,退款金额\r\n"
                      f"9001,tb_x,T恤,1,20.00,20.00,{state},2024-03-05 10:00:00,{refund}\r\n")
                     .encode("gbk"))
    ingest(warehouse, [path], preset="taobao_orders")
    assert warehouse.query("SELECT status FROM orders")[0][0] == status
