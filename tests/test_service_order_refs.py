"""Order numbers as customers write them (issue 23): Shopify's #1001, O-5001, Taobao's 18-19
digits, Amazon's 123-1234567-1234567, spaces and full-width digits; matched against the orders
the store really has, the asker's own first, and never a way into someone else's order."""

from __future__ import annotations

import pandas as pd
import pytest

from shopkeeper.service import ServiceAgent
from shopkeeper.service.tools import CustomerTools
from shopkeeper.service.understand import order_key, order_refs, order_shape
from tests.service_fixtures import AS_OF, make_service_store

TS = pd.Timestamp
TAOBAO = "412345678901234567"  # 18 digits, as a Tmall export writes it
AMAZON_OWN, AMAZON_OTHER = "111-2222222-3333333", "123-1234567-1234567"


@pytest.fixture
def formats_store(warehouse):
    """The service shop plus orders in the formats of other platforms: c1 owns #1001, O-5001,
    a Taobao and an Amazon order; c2 owns #1002, O-5002 and another Amazon order."""
    make_service_store(warehouse)
    rows = [("#1001", "c1", "completed", "2024-03-02", "2024-03-04"),
            ("O-5001", "c1", "shipped", "2024-03-07", None),
            (TAOBAO, "c1", "completed", "2024-03-01", "2024-03-05"),
            (AMAZON_OWN, "c1", "shipped", "2024-03-08", None),
            ("#1002", "c2", "completed", "2024-03-02", "2024-03-04"),
            ("O-5002", "c2", "shipped", "2024-03-07", None),
            (AMAZON_OTHER, "c2", "shipped", "2024-03-08", None)]
    orders = pd.DataFrame([(oid, cid, st, TS(o, tz="UTC"), TS(o, tz="UTC") + pd.Timedelta("1D"),
                            TS(d, tz="UTC") if d else None, 10.0) for oid, cid, st, o, d in rows],
                          columns=["order_id", "customer_id", "status", "ordered_at",
                                   "shipped_at", "delivered_at", "total_amount"])
    orders["currency"] = "GBP"
    lines = pd.DataFrame([(oid, 1, "P1", 1, 10.0) for oid, *_ in rows],
                         columns=["order_id", "line_number", "product_id", "quantity",
                                  "unit_price"])
    lines["line_amount"], lines["currency"] = 10.0, "GBP"
    with warehouse.transaction():
        warehouse.insert_df("orders", orders)
        warehouse.insert_df("order_lines", lines)
    return warehouse


@pytest.mark.parametrize(("text", "expected"), [
    ("where is O-5001?", [("O-5001", False)]),  # a candidate: the store decides
    ("#1001 hasn't arrived", [("#1001", True)]),
    ("订单号：４１２３４５６７８９０１２３４５６７ 到哪了", [(TAOBAO, True)]),  # full-width
    (f"my amazon order {AMAZON_OTHER}", [(AMAZON_OTHER, True)]),
    ("order number 2938 4756 1029", [("2938 4756 1029", True)]),
    ("订单300001到哪了", [("300001", True)]),
    ("Taobao 1234567890123456789", [("1234567890123456789", True)]),
    ("order #SO-1001 please", [("#SO-1001", True)]),
    ("I paid 1200 for it", [("1200", False)]),
    ("i have part # 297366104. Will this board work", []),
    ("型号：12345678 能用吗", []),
    ("It costs 12.500000", []),
    ("delivered on 2024-03-01?", []),  # a date is not an order
    ("my email is a12345@x.com", []),
])
def test_order_refs_read_everyday_formats(text, expected):
    assert [(r.text, r.strong) for r in order_refs(text)] == expected


def test_keys_and_shapes_ignore_case_punctuation_and_width():
    assert order_key("#1001") == order_key("1001") == "1001"
    assert order_key("o-5001") == order_key("Ｏ５００１") == "O5001"
    assert order_shape("O-5001") == order_shape("o5001") == "O9"
    assert order_shape("#1001") == "#9" != order_shape("1001")


def test_tools_resolve_the_customers_own_orders_in_any_writing(formats_store):
    tools = CustomerTools(formats_store, "c1")
    assert tools.verify("it's #1001")  # an own order number in another writing proves the customer
    assert not CustomerTools(formats_store, "c1").verify("#1002")  # someone else's proves nothing
    assert tools.own_order_id("O5001") == "O-5001" and tools.own_order_id("1001") == "#1001"
    assert tools.own_order_id("O5002") is None  # c2's
    assert tools.find_order("o-5001").order_id == "O-5001"
    assert tools.find_order("O-5002") is None and tools.find_order("1002") is None
    assert tools.has_order_shape("O-9999") and tools.has_order_shape("#2000")
    assert not tools.has_order_shape("1200") and not tools.has_order_shape("X-5001")


@pytest.mark.parametrize(("message", "order_id"), [
    ("where is O-5001?", "O-5001"),
    ("where is my order o5001", "O-5001"),
    ("has #1001 arrived?", "#1001"),
    ("订单 1001 到了吗", "#1001"),
    ("订单１２３４５６７８９０１２３４５６７８到哪了".replace("１２３４５６７８９０１２３４５６７８",
                                                "４１２３４５６７８９０１２３４５６７"), TAOBAO),
    (f"where is {AMAZON_OWN}?", AMAZON_OWN),
    (f"where is {' '.join([TAOBAO[:6], TAOBAO[6:12], TAOBAO[12:]])}?", TAOBAO),
])
def test_where_is_my_order_in_every_format(formats_store, message, order_id):
    agent = ServiceAgent(formats_store, customer_id="c1", as_of=AS_OF, record=False)
    agent.tools.verify("alice.smith@example.com")
    turn = agent.reply(message)
    assert turn.flow == "order_status" and order_id in turn.text, (turn.flow, turn.text)


@pytest.mark.parametrize("message", ["where is O-5002?", "has #1002 arrived?",
                                     f"where is {AMAZON_OTHER}?", "where is O-9999?",
                                     "订单号 1002 到哪了"])
def test_someone_elses_or_a_missing_order_is_not_on_your_account(formats_store, message):
    agent = ServiceAgent(formats_store, customer_id="c1", as_of=AS_OF, record=False)
    agent.tools.verify("alice.smith@example.com")
    turn = agent.reply(message)
    assert turn.flow == "not_yours", (turn.flow, turn.text)
    assert "Bob" not in turn.text and "2024-03-07" not in turn.text


def test_a_bare_own_number_answers_which_order(formats_store):
    agent = ServiceAgent(formats_store, customer_id="c1", as_of=AS_OF, record=False)
    agent.tools.verify("alice.smith@example.com")
    assert agent.reply("I'd like to return something").flow == "which_order"
    turn = agent.reply("1001")  # Shopify's #1001, written without the #
    assert turn.flow not in ("which_order", "not_yours", "clarify") and "#1001" in turn.text, (
        turn.flow, turn.text)


def test_a_price_is_not_an_order(formats_store):
    agent = ServiceAgent(formats_store, customer_id="c1", as_of=AS_OF, record=False)
    assert agent._order_ids("I paid 1200 for the mug") == []
    assert agent._order_ids("I paid 1200 for order O-5001") == ["O-5001"]
