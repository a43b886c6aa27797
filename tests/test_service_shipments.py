"""Fulfilment (issue 23): the `shipments` table, the presets that fill it (Shopify, Olist,
Taobao/Tmall), the generator's parcels, and "where is my parcel" answered from them for the
asker's own orders only, in every order-number format, in English and Chinese."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from shopkeeper.service import ServiceAgent
from shopkeeper.service.tools import CustomerTools
from shopkeeper.store import migrations, schema
from shopkeeper.store.generate import generate_store
from shopkeeper.store.ingest.loader import ingest
from shopkeeper.store.warehouse import Warehouse
from tests.conftest import shared_file
from tests.robustness.kills import build_at_version
from tests.service_fixtures import AS_OF, make_service_store

TS = pd.Timestamp
TAOBAO = "412345678901234567"  # 18 digits, as a Tmall export writes it
AMAZON_OWN, AMAZON_OTHER = "111-2222222-3333333", "123-1234567-1234567"
# c1's parcels: (order, parcel, carrier, tracking number, status, shipped, delivered, ETA)
OWN_PARCELS = [
    ("#1001", 1, "Royal Mail", "RM482913570GB", "delivered", "2024-03-02 15:00",
     "2024-03-04 11:00", "2024-03-06 18:00"),
    ("O-5001", 1, "DPD", "15502468013579", "in_transit", "2024-03-08 10:00", None,
     "2024-03-12 18:00"),
    (TAOBAO, 1, "顺丰速运", "SF7362918450362", "in_transit", "2024-03-02 09:00", None,
     "2024-03-06 18:00"),  # late: the ETA has passed, not delivered
    (AMAZON_OWN, 1, "UPS", "1Z9827364519283746", "delivered", "2024-03-08 20:00",
     "2024-03-10 08:00", "2024-03-07 18:00"),  # delivered three days late
    ("100002", 1, "Evri", "H00472819365027", "out_for_delivery", "2024-03-09 09:00", None,
     "2024-03-10 18:00"),
]
# c2's: must never reach c1
OTHER_PARCELS = [
    ("#1002", 1, "Parcelforce", "PF937261845GB", "in_transit", "2024-03-03 09:00", None,
     "2024-03-11 18:00"),
    ("O-5002", 1, "Hermes", "H99918273645511", "in_transit", "2024-03-08 09:00", None,
     "2024-03-12 18:00"),
    (AMAZON_OTHER, 1, "FedEx", "771234598761", "in_transit", "2024-03-08 09:00", None,
     "2024-03-12 18:00"),
]
OTHER_SECRETS = ["Parcelforce", "PF937261845GB", "Hermes", "H99918273645511", "FedEx",
                 "771234598761"]


def _ts(text):
    return TS(text, tz="UTC") if text else None


@pytest.fixture
def parcels_store(warehouse):
    """The service shop plus orders in every platform's format, with parcels: c1 owns #1001,
    O-5001, a Taobao and an Amazon order (and 100002 from the shop), O-5003 paid and not
    shipped; c2 owns #1002, O-5002 and another Amazon order."""
    make_service_store(warehouse)
    rows = [("#1001", "c1", "completed", "2024-03-02"), ("O-5001", "c1", "shipped", "2024-03-07"),
            (TAOBAO, "c1", "shipped", "2024-03-01"), (AMAZON_OWN, "c1", "completed", "2024-03-08"),
            ("O-5003", "c1", "paid", "2024-03-09"),
            ("#1002", "c2", "shipped", "2024-03-02"), ("O-5002", "c2", "shipped", "2024-03-07"),
            (AMAZON_OTHER, "c2", "shipped", "2024-03-08")]
    orders = pd.DataFrame([(oid, cid, st, _ts(o), 10.0) for oid, cid, st, o in rows],
                          columns=["order_id", "customer_id", "status", "ordered_at",
                                   "total_amount"])
    orders["currency"] = "GBP"
    lines = pd.DataFrame([(oid, 1, "P1", 1, 10.0) for oid, *_ in rows],
                         columns=["order_id", "line_number", "product_id", "quantity",
                                  "unit_price"])
    lines["line_amount"], lines["currency"] = 10.0, "GBP"
    parcels = pd.DataFrame(
        [(o, p, c, n, s, _ts(sh), _ts(d), _ts(e), f"https://track.example/{n}")
         for o, p, c, n, s, sh, d, e in OWN_PARCELS + OTHER_PARCELS],
        columns=["order_id", "parcel", "carrier", "tracking_number", "status", "shipped_at",
                 "delivered_at", "estimated_delivery_at", "tracking_url"])
    with warehouse.transaction():
        warehouse.insert_df("orders", orders)
        warehouse.insert_df("order_lines", lines)
        warehouse.insert_df("shipments", parcels)
    return warehouse


def _agent(wh, customer="c1", verified=True) -> ServiceAgent:
    agent = ServiceAgent(wh, customer_id=customer, as_of=AS_OF, record=False)
    if verified:
        agent.tools.verify("alice.smith@example.com" if customer == "c1" else "bob.jones@example.com")
    return agent


# -- the schema ---------------------------------------------------------------------------------
def test_shipments_table_is_canonical_and_migrated(tmp_path):
    table = schema.get_table("shipments")
    assert table.key == ("order_id", "parcel")
    assert {"carrier", "tracking_number", "tracking_url", "status", "shipped_at", "delivered_at",
            "estimated_delivery_at"} <= set(table.column_names)
    # a warehouse made before migration 11 gets the table when it is next opened for writing
    current, path = tmp_path / "current.duckdb", tmp_path / "old.duckdb"
    with Warehouse(current):
        pass
    build_at_version(current, path, 10)
    with duckdb.connect(str(path)) as con:  # migration 1 builds today's canonical tables
        con.execute("DROP TABLE shipments")
    with Warehouse(path) as wh:
        assert migrations.current_version(wh.connection) == migrations.latest_version()
        assert wh.count("shipments") == 0


def test_an_old_warehouse_without_the_table_still_answers(parcels_store):
    with parcels_store.transaction() as con:
        con.execute("DROP TABLE shipments")
    turn = _agent(parcels_store).reply("where is #1001?")
    assert turn.flow == "order_status" and "#1001" in turn.text, turn.text


# -- where is my parcel, every order-number format ---------------------------------------------
@pytest.mark.parametrize(("message", "order_id", "number"), [
    ("where is O-5001?", "O-5001", "15502468013579"),
    ("where is my parcel o5001", "O-5001", "15502468013579"),
    ("has #1001 arrived?", "#1001", "RM482913570GB"),
    ("what's the tracking number for order 1001?", "#1001", "RM482913570GB"),
    (f"where is {AMAZON_OWN}?", AMAZON_OWN, "1Z9827364519283746"),
    (f"where is {' '.join([TAOBAO[:6], TAOBAO[6:12], TAOBAO[12:]])}?", TAOBAO,
     "SF7362918450362"),
    ("when will order 100002 arrive?", "100002", "H00472819365027"),
])
def test_where_is_my_parcel_in_english_in_every_format(parcels_store, message, order_id, number):
    turn = _agent(parcels_store).reply(message)
    assert turn.flow == "order_status", (turn.flow, turn.text)
    assert order_id in turn.text and number in turn.text, turn.text
    assert "track_order" in [c["name"] for c in turn.tool_calls]
    assert not any(s in turn.text for s in OTHER_SECRETS)


@pytest.mark.parametrize(("message", "order_id", "number"), [
    ("订单１２３４５６７８９０１２３４５６７８物流到哪了".replace(
        "１２３４５６７８９０１２３４５６７８", "４１２３４５６７８９０１２３４５６７"), TAOBAO,
     "SF7362918450362"),
    ("O-5001的快递单号是多少", "O-5001", "15502468013579"),
    ("订单 1001 到了吗", "#1001", "RM482913570GB"),
    (f"{AMAZON_OWN} 什么时候到", AMAZON_OWN, "1Z9827364519283746"),
    ("订单100002什么时候到", "100002", "H00472819365027"),
])
def test_where_is_my_parcel_in_chinese(parcels_store, message, order_id, number):
    turn = _agent(parcels_store).reply(message)
    assert turn.flow == "order_status", (turn.flow, turn.text)
    assert order_id in turn.text and number in turn.text and "快递单号" in turn.text, turn.text
    assert not any(s in turn.text for s in OTHER_SECRETS)


def test_in_transit_says_carrier_shipped_date_and_eta(parcels_store):
    text = _agent(parcels_store).reply("where is O-5001?").text
    assert "DPD" in text and "2024-03-08" in text and "2024-03-12" in text, text
    assert "https://track.example/15502468013579" in text and "late" not in text
    zh = _agent(parcels_store).reply("O-5001物流到哪了").text
    assert "DPD" in zh and "预计2024-03-12送达" in zh and "2024-03-08" in zh, zh


def test_delivered_order_says_when(parcels_store):
    text = _agent(parcels_store).reply("has #1001 arrived?").text
    assert "delivered on 2024-03-04" in text and "Royal Mail" in text, text
    assert "late" not in text and "after the estimated" not in text
    zh = _agent(parcels_store).reply("订单1001到了吗").text
    assert "已于2024-03-04签收" in zh, zh


def test_late_parcel_says_it_is_late(parcels_store):
    text = _agent(parcels_store).reply(f"where is my order {TAOBAO}?").text
    assert "late" in text and "2024-03-06" in text and "顺丰速运" in text, text
    zh = _agent(parcels_store).reply(f"订单{TAOBAO}怎么还没到").text
    assert "已超过预计送达时间2024-03-06" in zh, zh
    delivered_late = _agent(parcels_store).reply(f"where is {AMAZON_OWN}?").text
    assert "delivered on 2024-03-10" in delivered_late and "3 days after the estimated " \
        "2024-03-07" in delivered_late, delivered_late


def test_out_for_delivery(parcels_store):
    text = _agent(parcels_store).reply("where is order 100002?").text
    assert "out for delivery" in text and "Evri" in text, text


def test_unshipped_order_says_not_yet_and_quotes_the_dispatch_policy(parcels_store):
    turn = _agent(parcels_store).reply("where is O-5003?")
    assert turn.flow == "order_status"
    assert "has not shipped yet" in turn.text and "ship within 2 working days" in turn.text, \
        turn.text
    assert turn.citations == ["FAQ-SHIPPING-EN"]
    zh = _agent(parcels_store).reply("O-5003发货了吗")
    assert "还没有发货" in zh.text and "2个工作日内发货" in zh.text, zh.text
    assert zh.citations == ["FAQ-SHIPPING-ZH"]


def test_unshipped_without_a_dispatch_policy_still_says_not_yet(warehouse):
    make_service_store(warehouse, policies=False)
    orders = pd.DataFrame([("O-7001", "c1", "paid", _ts("2024-03-09"), 10.0, "GBP")],
                          columns=["order_id", "customer_id", "status", "ordered_at",
                                   "total_amount", "currency"])
    with warehouse.transaction():
        warehouse.insert_df("orders", orders)
    turn = _agent(warehouse).reply("where is order O-7001?")
    assert "has not shipped yet" in turn.text and "policy" not in turn.text, turn.text


@pytest.mark.parametrize("message", [
    "where is O-5002?", "tracking number for #1002?", f"where is {AMAZON_OTHER}?",
    "where is O-9999?", "订单号 1002 物流到哪了", "O-5002的快递单号是多少",
])
def test_someone_elses_or_a_missing_order_is_not_on_your_account(parcels_store, message):
    turn = _agent(parcels_store).reply(message)
    assert turn.flow == "not_yours", (turn.flow, turn.text)
    assert not any(s in turn.text for s in OTHER_SECRETS), turn.text
    assert "track_order" not in [c["name"] for c in turn.tool_calls]


def test_the_other_customer_sees_their_own_parcel(parcels_store):
    turn = _agent(parcels_store, "c2").reply("where is O-5002?")
    assert "H99918273645511" in turn.text and "Hermes" in turn.text
    assert not any(n in turn.text for _, _, _, n, *_ in OWN_PARCELS)


def test_unverified_customer_is_asked_to_verify_first(parcels_store):
    agent = _agent(parcels_store, verified=False)
    turn = agent.reply("what's the tracking number of O-5002?")
    assert turn.flow in ("verify", "not_yours") and not any(s in turn.text for s in OTHER_SECRETS)


def test_when_will_my_order_arrive_uses_the_order_and_general_questions_the_faq(parcels_store):
    agent = _agent(parcels_store)
    assert agent.reply("where is O-5001?").flow == "order_status"
    follow = agent.reply("how many days until it arrives?")  # the order being discussed
    assert follow.flow == "order_status" and "2024-03-12" in follow.text, follow.text
    assert agent.reply("How long does delivery take?").flow == "faq"  # in general
    zh = agent.reply("还要几天到？")
    assert zh.flow == "order_status" and "预计2024-03-12送达" in zh.text, zh.text
    general = _agent(parcels_store).reply("How long does delivery take?")
    assert general.flow == "faq", (general.flow, general.text)
    assert _agent(parcels_store).reply("我的快递几天到？").flow == "order_status"


def test_several_parcels_are_listed(parcels_store):
    extra = pd.DataFrame([("O-5001", 2, "DPD", "15509999999999", "delivered",
                           _ts("2024-03-08 10:00"), _ts("2024-03-09 10:00"),
                           _ts("2024-03-12 18:00"))],
                         columns=["order_id", "parcel", "carrier", "tracking_number", "status",
                                  "shipped_at", "delivered_at", "estimated_delivery_at"])
    with parcels_store.transaction():
        parcels_store.insert_df("shipments", extra)
    text = _agent(parcels_store).reply("where is O-5001?").text
    assert "parcel 1 of 2" in text and "parcel 2 of 2" in text and "15509999999999" in text
    zh = _agent(parcels_store).reply("O-5001物流到哪了").text
    assert "第2个包裹（共2个）" in zh, zh


def test_tools_track_only_the_customers_own_orders(parcels_store):
    tools = CustomerTools(parcels_store, "c1")
    assert tools.verify("alice.smith@example.com")
    order = tools.track_order("o-5001")
    assert order.order_id == "O-5001" and order.shipments[0].tracking_number == "15502468013579"
    assert order.shipments[0].late(AS_OF) is False
    assert tools.track_order(TAOBAO).shipments[0].late(AS_OF) is True
    assert tools.track_order("O-5002") is None and tools.track_order("1002") is None


def test_order_ids_are_worked_out_once_per_message(parcels_store, monkeypatch):
    agent = _agent(parcels_store)
    calls = []
    real = agent.tools.own_order_id
    monkeypatch.setattr(agent.tools, "own_order_id", lambda key: calls.append(key) or real(key))
    agent.reply("where is O-5001?")
    assert calls == ["O5001"], calls
    calls.clear()
    agent.reply("and #1001?")
    assert calls == ["1001"], calls


def test_returns_count_days_from_the_parcels_delivery(parcels_store):
    agent = _agent(parcels_store)
    order = agent.tools.find_order("#1001")
    assert order.delivered_at is None and order.received_at == order.shipments[0].delivered_at


# -- presets ------------------------------------------------------------------------------------
def _write_csv(path: Path, header: list[str], rows: list[list[str]], encoding="utf-8") -> Path:
    with open(path, "w", newline="", encoding=encoding) as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


SHOPIFY = ["Name", "Email", "Financial Status", "Paid at", "Fulfillment Status", "Fulfilled at",
           "Currency", "Subtotal", "Total", "Created at", "Lineitem quantity", "Lineitem name",
           "Lineitem price", "Lineitem sku", "Refunded Amount"]


def _shopify_rows():
    return [
        ["#1001", "a@example.com", "paid", "2024-03-05 14:25:00 -0500", "fulfilled",
         "2024-03-06 09:00:00 -0500", "USD", "20.00", "20.00", "2024-03-05 14:22:10 -0500", "1",
         "Tee", "20.00", "TEE", "0.00"],
        ["#1001", "a@example.com", "", "", "", "", "", "", "", "2024-03-05 14:22:10 -0500", "1",
         "Mug", "10.00", "MUG", ""],
        ["#1002", "b@example.com", "paid", "2024-03-07 10:01:00 -0500", "unfulfilled", "", "USD",
         "10.00", "10.00", "2024-03-07 10:00:00 -0500", "1", "Mug", "10.00", "MUG", "0.00"],
        ["#1003", "b@example.com", "paid", "2024-03-08 10:01:00 -0500", "partial",
         "2024-03-09 08:00:00 -0500", "USD", "10.00", "10.00", "2024-03-08 10:00:00 -0500", "1",
         "Mug", "10.00", "MUG", "0.00"],
        # an unreadable Fulfilled at: quarantined with the reason the order header always gave
        ["#1004", "c@example.com", "paid", "2024-03-08 10:01:00 -0500", "fulfilled",
         "yesterday", "USD", "10.00", "10.00", "2024-03-08 10:00:00 -0500", "1", "Mug", "10.00",
         "MUG", "0.00"],
    ]


def test_shopify_fulfilment_becomes_shipments(warehouse, tmp_path):
    path = _write_csv(tmp_path / "orders_export_1.csv", SHOPIFY, _shopify_rows())
    report = ingest(warehouse, [path])
    f = report.files[0]
    assert f.mapping == "shopify_orders" and f.table_rows["shipments"] == 2
    rows = warehouse.query("SELECT order_id, parcel, status, shipped_at, carrier, "
                           "tracking_number FROM shipments ORDER BY order_id")
    assert rows == [("#1001", 1, "shipped", datetime(2024, 3, 6, 14, tzinfo=UTC), None, None),
                    ("#1003", 1, "shipped", datetime(2024, 3, 9, 13, tzinfo=UTC), None, None)]
    assert warehouse.query("SELECT source_row, column_name, reason, value FROM quarantine") == [
        (6, "Fulfilled at", "orders.shipped_at: not a valid timestamp (expected "
                            "%Y-%m-%d %H:%M:%S %z or %Y-%m-%dT%H:%M:%S%z)", "yesterday")]


def test_shopify_tracking_columns_are_read_where_exported(warehouse, tmp_path):
    header = SHOPIFY + ["Tracking Company", "Tracking Number", "Tracking URL"]
    rows = [r + ["UPS", "1Z999AA10123456784", "https://www.ups.com/track?tracknum=1Z999AA1012"
                 "3456784"] if r[4] == "fulfilled" and r[0] == "#1001" else r + ["", "", ""]
            for r in _shopify_rows()[:3]]
    rows.append(["#1005", "d@example.com", "paid", "", "", "", "USD", "5.00", "5.00",
                 "2024-03-09 10:00:00 -0500", "1", "Pin", "5.00", "PIN", "0.00", "USPS",
                 "9400111899223344556677", ""])  # a tracking number and no status: shipped
    path = _write_csv(tmp_path / "orders_export_2.csv", header, rows)
    ingest(warehouse, [path], preset="shopify_orders")
    assert warehouse.query("SELECT order_id, carrier, tracking_number, tracking_url IS NOT NULL "
                           "FROM shipments ORDER BY order_id") == [
        ("#1001", "UPS", "1Z999AA10123456784", True), ("#1005", "USPS",
                                                       "9400111899223344556677", False)]


def test_shopify_export_without_fulfilment_columns_still_loads(warehouse, tmp_path):
    header = [c for c in SHOPIFY if c not in ("Fulfillment Status", "Fulfilled at")]
    rows = [[v for c, v in zip(SHOPIFY, r, strict=True) if c in header]
            for r in _shopify_rows()[:3]]
    report = ingest(warehouse, [_write_csv(tmp_path / "orders_export_3.csv", header, rows)],
                    preset="shopify_orders")
    assert "shipments" not in report.files[0].table_rows and report.rows_quarantined == 0


def test_olist_delivery_dates_become_shipments(warehouse):
    folder = Path(__file__).parent / "data" / "olist"
    ingest(warehouse, [folder / "olist_orders_dataset.csv"], preset="olist_orders")
    rows = warehouse.query("SELECT order_id, parcel, status, shipped_at IS NOT NULL, "
                           "delivered_at IS NOT NULL, CAST(estimated_delivery_at AS DATE) "
                           "FROM shipments ORDER BY order_id")
    assert [r[:5] for r in rows] == [("o1", 1, "delivered", True, True),
                                     ("o3", 1, "shipped", True, False)]
    assert str(rows[0][5]) == "2018-01-25"
    # o4's header (dated 2031) is quarantined as before, and no shipment is left behind
    assert warehouse.query("SELECT count(*) FROM quarantine WHERE reason LIKE "
                           "'orders.ordered_at is in the future%'")[0][0] == 1


def test_olist_real_sample_shipments_match_the_raw_dates(tmp_path):
    path = shared_file("transactions/olist_sample_15k/olist_orders_dataset.csv")
    with Warehouse(tmp_path / "w.duckdb") as wh:
        report = ingest(wh, [path], preset="olist_orders")
        raw = duckdb.connect().execute(
            f"SELECT count(*) FILTER (WHERE order_delivered_carrier_date IS NOT NULL OR "
            f"order_delivered_customer_date IS NOT NULL), count(*) FILTER (WHERE "
            f"order_delivered_customer_date IS NOT NULL) FROM read_csv('{path}', "
            f"all_varchar = true)").fetchone()
        loaded = wh.query("SELECT count(*), count(*) FILTER (WHERE status = 'delivered') "
                          "FROM shipments")[0]
        quarantined_orders = report.rows_quarantined
        assert raw[0] - quarantined_orders <= loaded[0] <= raw[0]
        assert raw[1] - quarantined_orders <= loaded[1] <= raw[1]
        late = wh.query("SELECT count(*) FROM shipments WHERE delivered_at > "
                        "estimated_delivery_at + INTERVAL 1 DAY")[0][0]
        assert 0 < late < loaded[1] * 0.2  # Olist's known share of late deliveries


TAOBAO_HEADER = ["订单编号", "子订单编号", "买家会员名", "商品标题", "商家编码", "宝贝数量", "商品单价",
                 "实付金额", "订单状态", "订单创建时间", "订单付款时间", "发货时间", "物流公司", "物流单号",
                 "确认收货时间"]


def test_taobao_tracking_numbers_become_parcels(warehouse, tmp_path):
    rows = [
        # one order, two sub-orders in one parcel
        ['="3900000000000000001"', '="3900000000000000011"', "tb_alice", "纯棉T恤", "TS-001", "1",
         "59.00", "59.00", "交易成功", "2024-03-05 14:22:10", "2024-03-05 14:23:00",
         "2024-03-06 10:00:00", "中通快递", '="No:75123456789012"', "2024-03-09 12:00:00"],
        ['="3900000000000000001"', '="3900000000000000012"', "tb_alice", "陶瓷马克杯", "MUG-1", "1",
         "29.90", "29.90", "交易成功", "2024-03-05 14:22:10", "2024-03-05 14:23:00",
         "2024-03-06 10:00:00", "中通快递", '="No:75123456789012"', "2024-03-09 12:00:00"],
        # sent in two parcels
        ['="3900000000000000002"', '="3900000000000000021"', "tb_bob", "玻璃水杯", "CUP-9", "1",
         "15.00", "15.00", "卖家已发货，等待买家确认", "2024-03-07 09:00:00", "2024-03-07 09:01:00",
         "2024-03-07 18:00:00", "顺丰速运", "SF1234567890123", ""],
        ['="3900000000000000002"', '="3900000000000000022"', "tb_bob", "杯垫", "PAD-1", "1",
         "5.00", "5.00", "卖家已发货，等待买家确认", "2024-03-07 09:00:00", "2024-03-07 09:01:00",
         "2024-03-08 18:00:00", "顺丰速运", "SF1234567890999", ""],
        # paid, not shipped yet: no parcel
        ['="3900000000000000003"', '="3900000000000000031"', "tb_carol", "纯棉T恤", "TS-001", "1",
         "59.00", "59.00", "买家已付款，等待卖家发货", "2024-03-08 20:00:00", "2024-03-08 20:01:00",
         "", "", "", ""],
    ]
    path = _write_csv(tmp_path / "ExportOrderList_1.csv", TAOBAO_HEADER, rows, encoding="gb18030")
    report = ingest(warehouse, [path])
    assert report.files[0].mapping == "taobao_orders" and report.rows_quarantined == 0
    got = warehouse.query("SELECT order_id, parcel, carrier, tracking_number, status, "
                          "strftime(shipped_at AT TIME ZONE 'Asia/Shanghai', '%Y-%m-%d %H:%M'), "
                          "delivered_at IS NOT NULL FROM shipments ORDER BY order_id, parcel")
    assert got == [
        ("3900000000000000001", 1, "中通快递", "75123456789012", "delivered", "2024-03-06 10:00",
         True),
        ("3900000000000000002", 1, "顺丰速运", "SF1234567890123", "shipped", "2024-03-07 18:00",
         False),
        ("3900000000000000002", 2, "顺丰速运", "SF1234567890999", "shipped", "2024-03-08 18:00",
         False),
    ]


def test_taobao_report_without_logistics_columns_has_no_shipments(warehouse):
    path = Path(__file__).parent / "data" / "taobao_closed_refunded.csv"
    report = ingest(warehouse, [path], preset="taobao_orders")
    assert "shipments" not in report.files[0].table_rows
    assert warehouse.count("shipments") == 0


# -- the generator ------------------------------------------------------------------------------
def test_generated_store_has_consistent_deterministic_shipments(tmp_path):
    generate_store(tmp_path / "a", orders=400, seed=3, currencies=("GBP", "EUR"), days=120)
    generate_store(tmp_path / "b", orders=400, seed=3, currencies=("GBP", "EUR"), days=120)
    a = (tmp_path / "a" / "shipments.csv").read_bytes()
    assert a == (tmp_path / "b" / "shipments.csv").read_bytes()
    with Warehouse(tmp_path / "w.duckdb") as wh:
        report = ingest(wh, [tmp_path / "a"], preset="canonical", generated=True,
                        source_label="generated:test")
        assert report.rows_quarantined == 0
        bad = wh.query("""SELECT count(*) FILTER (WHERE s.shipped_at < o.ordered_at
                                                   OR s.delivered_at < s.shipped_at),
                                 count(*) FILTER (WHERE o.order_id IS NULL),
                                 count(*) FILTER (WHERE (s.status = 'delivered')
                                                  <> (s.delivered_at IS NOT NULL)),
                                 count(*) FILTER (WHERE o.status = 'cancelled')
                          FROM shipments s LEFT JOIN orders o USING (order_id)""")[0]
        assert bad == (0, 0, 0, 0)
        statuses = {r[0] for r in wh.query("SELECT DISTINCT status FROM shipments")}
        assert {"delivered", "in_transit"} <= statuses
        carriers = {r[0] for r in wh.query("SELECT DISTINCT carrier FROM shipments")}
        assert "DHL Express" in carriers and carriers & {"Royal Mail", "Evri", "DPD"}
        shipped_orders = wh.query("SELECT count(*) FROM orders WHERE shipped_at IS NOT NULL")[0][0]
        assert wh.query("SELECT count(DISTINCT order_id) FROM shipments")[0][0] == shipped_orders
        late = wh.query("SELECT count(*) FROM shipments WHERE delivered_at > "
                        "estimated_delivery_at")[0][0]
        assert late > 0


def test_demo_store_parcels_follow_the_real_orders(warehouse, tmp_path):
    """The demo's generated fulfilment (UCI has none): one parcel or two per order, consistent
    with the order dates, seen from the data's last day, deterministic."""
    from shopkeeper.store.demo import write_demo_shipments

    make_service_store(warehouse)
    many = pd.DataFrame([(f"5{i:05d}", "c1", "completed", _ts("2024-01-01") + pd.Timedelta(
        hours=7 * i), "United Kingdom" if i % 3 else "France") for i in range(400)],
        columns=["order_id", "customer_id", "status", "ordered_at", "country"])
    with warehouse.transaction():
        warehouse.insert_df("orders", many)
    first = write_demo_shipments(warehouse, tmp_path / "a")
    again = write_demo_shipments(warehouse, tmp_path / "b")
    assert pd.read_parquet(first).equals(pd.read_parquet(again))
    report = ingest(warehouse, [first], preset="canonical", generated=True,
                    source_label="generated:demo")
    assert report.rows_quarantined == 0 and report.files[0].mapping == "canonical_shipments"
    bad, foreign_carrier = warehouse.query(
        """SELECT count(*) FILTER (WHERE s.shipped_at < o.ordered_at OR s.delivered_at <
                                   s.shipped_at OR s.shipped_at > (SELECT max(ordered_at)
                                   FROM orders)),
                  count(*) FILTER (WHERE o.country = 'France' AND s.carrier <> 'DHL Express')
           FROM shipments s JOIN orders o USING (order_id)""")[0]
    assert (bad, foreign_carrier) == (0, 0)
    statuses = {r[0] for r in warehouse.query("SELECT DISTINCT status FROM shipments")}
    assert {"delivered", "in_transit"} <= statuses
    assert warehouse.query("SELECT count(*) FROM shipments WHERE tracking_url NOT LIKE "
                           "'https://%' || tracking_number")[0][0] == 0


def test_another_customers_postcode_inside_a_tracking_number_is_not_masked(parcels_store):
    """c3's postcode is 100000: the digits inside one's own tracking number are not it, while
    the postcode written on its own still is removed."""
    with parcels_store.transaction() as con:
        con.execute("UPDATE shipments SET tracking_number = 'SF1000009876543' "
                    "WHERE order_id = 'O-5001'")
    agent = _agent(parcels_store)
    assert "SF1000009876543" in agent.reply("where is O-5001?").text
    assert agent.guard.filter("post it to 100000 please")[1] == ["personal data"]


def test_a_cancelled_order_is_not_waiting_to_ship(parcels_store):
    orders = pd.DataFrame([("O-5004", "c1", "cancelled", _ts("2024-03-09"), 10.0, "GBP")],
                          columns=["order_id", "customer_id", "status", "ordered_at",
                                   "total_amount", "currency"])
    with parcels_store.transaction():
        parcels_store.insert_df("orders", orders)
    text = _agent(parcels_store).reply("where is O-5004?").text
    assert "cancelled" in text and "not shipped" not in text and "policy" not in text, text
