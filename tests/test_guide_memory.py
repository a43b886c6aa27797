"""The shopping guide's memory and judgement: a conversation log per customer that a returning
shopper is remembered by, a recipient that filters the picks, budgets converted at the store's
rates, and "bought together" only on real support (zh and en)."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from shopkeeper.recommend import GuideCatalogue, RecommendError, ShoppingGuide, open_guide, train
from shopkeeper.recommend.guide import MEMORY_DAYS, guide_history, last_conversation, need_json
from shopkeeper.recommend.needs import audiences_in, meant_for_someone_else, understand

TS = pd.Timestamp
# id, title, category, price, attributes: a small gift shop with products marked for men,
# women, children and babies, and unmarked ones
PRODUCTS = [
    ("F1", "男士真皮钱包", "配饰", 199.0, {"材质": "真皮"}),
    ("F2", "Men's leather belt", "配饰", 159.0, {"material": "leather"}),
    ("F3", "女士真丝围巾", "服饰配件", 168.0, {"材质": "真丝"}),
    ("F4", "Wool scarf for women", "服饰配件", 139.0, {"material": "wool"}),
    ("F5", "儿童积木 100块", "玩具", 99.0, {}),
    ("F6", "Baby soft blanket", "婴儿用品", 129.0, {}),
    ("F7", "陶瓷茶具套装", "家居", 188.0, {"材质": "陶瓷"}),
    ("F8", "不锈钢保温杯 500ml", "家居", 89.0, {"材质": "不锈钢"}),
    ("F9", "护手霜礼盒", "个护", 59.0, {"规格": "3支装"}),
    ("F10", "按摩颈枕", "个护", 129.0, {"功能": "按摩"}),
    ("F11", "Scented candle gift set", "家居", 79.0, {}),
    ("F12", "Leather notebook", "文具", 69.0, {"material": "leather"}),
    ("F13", "Ceramic coffee mug", "厨房", 49.0, {"material": "ceramic"}),
    ("F14", "Unisex cotton socks", "服饰", 39.0, {"material": "cotton"}),
    ("F15", "Bamboo cutting board", "厨房", 99.0, {}),
    ("F16", "Silk pillowcase", "床品", 149.0, {"material": "silk"}),
    ("F17", "Kids' rain boots", "鞋", 119.0, {}),
]
ORDERS = {  # order -> (customer, products): F9 shares three orders with F8, F13 only one
    "o1": ("c1", ["F8"]), "o2": ("c2", ["F8", "F9"]), "o3": ("c3", ["F8", "F9"]),
    "o4": ("c4", ["F8", "F9", "F11"]), "o5": ("c5", ["F8", "F13"]), "o6": ("c6", ["F15"]),
    "o7": ("c2", ["F1", "F2"]), "o8": ("c3", ["F3", "F4"]),
}
TITLE = {p[0]: p[1] for p in PRODUCTS}
MARKED = {"men": {"F1", "F2"}, "women": {"F3", "F4"}, "kids": {"F5", "F17"}, "baby": {"F6"}}


@pytest.fixture
def gifts(warehouse):
    products = pd.DataFrame([(p[0], p[1], p[2], p[3], json.dumps(p[4], ensure_ascii=False),
                              "active", "CNY") for p in PRODUCTS],
                            columns=["product_id", "title", "category", "price", "attributes",
                                     "status", "currency"])
    stock = pd.DataFrame([(p[0], 10) for p in PRODUCTS], columns=["product_id", "on_hand"])
    stock["location"], stock["snapshot_at"] = "main", TS("2024-05-01", tz="UTC")
    price = {p[0]: p[3] for p in PRODUCTS}
    orders, lines = [], []
    for n, (oid, (cid, items)) in enumerate(ORDERS.items()):
        orders.append((oid, cid, TS("2024-04-01", tz="UTC") + pd.Timedelta(days=n),
                       "completed"))
        lines += [(oid, i + 1, pid, 1, price[pid]) for i, pid in enumerate(items)]
    with warehouse.transaction():
        warehouse.insert_df("products", products)
        warehouse.insert_df("inventory_snapshots", stock)
        warehouse.insert_df("orders", pd.DataFrame(orders, columns=[
            "order_id", "customer_id", "ordered_at", "status"]))
        warehouse.insert_df("order_lines", pd.DataFrame(lines, columns=[
            "order_id", "line_number", "product_id", "quantity", "unit_price"]))
    return warehouse


@pytest.fixture
def shop(gifts, tmp_path):
    return GuideCatalogue.from_warehouse(gifts, cache_dir=tmp_path / "models")


def _ids(turn) -> set[str]:
    return {p.product_id for p in turn.picks}


# -- who a product is meant for --------------------------------------------------------------
@pytest.mark.parametrize("text, markers", [
    ("Leather wallet for men", {"men"}), ("WOMEN'S GLOVES", {"women"}),
    ("Silk scarf for mum, rose red", {"women"}), ("男士真皮钱包", {"men"}),
    ("女士真丝围巾", {"women"}), ("儿童积木 100块", {"kids"}), ("CHILDRENS CUTLERY", {"kids"}),
    ("Baby soft blanket", {"baby"}), ("婴儿口水巾", {"baby"}), ("Kids' rain boots", {"kids"}),
    ("DOLLY GIRL LUNCH BOX", {"girls"}), ("Unisex cotton socks", {"unisex"}),
    ("MOTHER OF PEARL NECKLACE", set()), ("SPACEBOY LUNCH BOX", set()), ("LADYBIRD MUG", set()),
    ("陶瓷茶具套装", set()),
])
def test_audience_markers_come_from_general_catalogue_words(text, markers):
    assert audiences_in(text) == markers


@pytest.mark.parametrize("message, recipient, gender", [
    ("a present for my grandma", "grandparent", "female"), ("给爷爷买个礼物", "grandparent", "male"),
    ("a toy for my son", "child", "male"), ("给女儿买个玩具", "child", "female"),
    ("something for my dad", "father", None), ("送朋友", "friend", None),
])
def test_the_recipients_own_word_says_who_they_are(message, recipient, gender):
    need = understand(message)
    assert (need.recipient, need.gender) == (recipient, gender)


@pytest.mark.parametrize("message", ["a gift for my dad under 200 yuan", "给爸爸买个200元以内的礼物"])
def test_a_gift_for_dad_leaves_out_what_is_meant_for_someone_else(gifts, shop, message):
    turn = ShoppingGuide(gifts, shop=shop, picks=8).reply(message)
    assert turn.picks and turn.need.recipient == "father"
    assert not _ids(turn) & (MARKED["women"] | MARKED["kids"] | MARKED["baby"])
    assert _ids(turn) & MARKED["men"]  # what is for him is still offered
    assert all(p.price <= 200 for p in turn.picks)


@pytest.mark.parametrize("message", ["a present for my mother under 200 yuan",
                                     "给妈妈买个礼物，200元以内"])
def test_a_gift_for_mum_leaves_out_mens_and_childrens_things(gifts, shop, message):
    turn = ShoppingGuide(gifts, shop=shop, picks=8).reply(message)
    assert turn.picks and turn.need.recipient == "mother"
    assert not _ids(turn) & (MARKED["men"] | MARKED["kids"] | MARKED["baby"])


@pytest.mark.parametrize("message", ["a present for my son", "给儿子买个礼物"])
def test_a_gift_for_a_child_leaves_out_grown_ups_things(gifts, shop, message):
    guide = ShoppingGuide(gifts, shop=shop, picks=8)
    turn = guide.reply(message)
    if turn.question:  # the budget question: no budget
        turn = guide.reply("any" if message.isascii() else "随便")
    assert turn.picks and turn.need.recipient == "child"
    assert not _ids(turn) & (MARKED["men"] | MARKED["women"])
    assert _ids(turn) & MARKED["kids"]


@pytest.mark.parametrize("message, who, marked", [
    ("a scarf for my dad", "Nothing matching “scarf” is meant for your father", "marked for women"),
    ("给爸爸买条围巾", "没有找到适合爸爸的“围巾”", "标明适合女士"),
])
def test_when_only_someone_elses_products_match_it_says_so(gifts, shop, message, who, marked):
    from shopkeeper.llm.grounding import check_grounding

    guide = ShoppingGuide(gifts, shop=shop)
    turn = guide.reply(message)
    assert who in turn.text
    assert turn.picks and _ids(turn) <= MARKED["women"]  # the scarves, each said to be women's
    assert all(p.marked_for and any(marked in r for r in p.reasons) for p in turn.picks)
    assert check_grounding(turn.text, guide.facts(turn), lang=turn.language).ok


def test_an_audience_the_shopper_names_is_not_left_out(gifts, shop):
    baby = audiences_in(TITLE["F6"])
    assert meant_for_someone_else(baby, understand("a blanket for my mum"))
    assert not meant_for_someone_else(baby, understand("baby blanket for my mum"))
    assert not meant_for_someone_else(audiences_in(TITLE["F4"]), understand("a scarf for myself"))
    turn = ShoppingGuide(gifts, shop=shop, picks=5).reply("kids' rain boots for my husband")
    assert "F17" in _ids(turn) and not turn.picks[0].marked_for


# -- budgets in another currency -------------------------------------------------------------
RATES = {"GBP": 9.2, "USD": 7.1}  # into CNY, the report currency


@pytest.mark.parametrize("message, note, limit", [
    ("a silk scarf under 20 pounds", "20 GBP ≈ 184.00 CNY at the store's rate.", 184.0),
    ("给妈妈买礼物，30美元以内", "按本店汇率，30 USD ≈ 213.00 CNY。", 213.0),
])
def test_a_budget_in_another_currency_is_converted_at_the_stores_rate(gifts, shop, message,
                                                                      note, limit):
    from shopkeeper.llm.grounding import check_grounding

    guide = ShoppingGuide(gifts, shop=shop, fx_rates=RATES, report_currency="CNY")
    turn = guide.reply(message)
    assert turn.text.startswith(note) and turn.notes == [note]
    assert turn.picks and not re.search("budget|预算", turn.question or "")  # not asked again
    assert turn.need.budget_max == limit and turn.need.currency == "CNY"
    assert all(p.price <= limit for p in turn.picks)
    assert check_grounding(turn.text, guide.facts(turn), lang=turn.language).ok


def test_a_rewording_that_drops_the_conversion_is_not_kept(gifts, shop, tmp_path):
    from shopkeeper.llm import LLM, Journal
    from tests.llm_fixtures import ScriptedProvider

    message = "a silk scarf under 20 pounds"
    draft = ShoppingGuide(gifts, shop=shop, fx_rates=RATES, report_currency="CNY").reply(message)
    without_note = draft.text.split("\n", 1)[1]
    llm = LLM(ScriptedProvider(without_note), Journal(tmp_path / "llm"))
    turn = ShoppingGuide(gifts, shop=shop, fx_rates=RATES, report_currency="CNY",
                         llm=llm).reply(message)
    assert turn.method == "grounded" and turn.text == draft.text
    assert any(f.startswith("model_rejected") and "dropped fact" in f for f in turn.flags)


def test_a_conversion_goes_through_the_report_currency(gifts, shop):
    guide = ShoppingGuide(gifts, shop=shop, fx_rates={"GBP": 1.25, "CNY": 0.125},
                          report_currency="USD")  # 1 GBP = 1.25 USD = 10 CNY
    turn = guide.reply("between £5 and £10 for my mum")
    assert "5–10 GBP ≈ 50.00–100.00 CNY" in turn.text
    assert (turn.need.budget_min, turn.need.budget_max) == (50.0, 100.0)
    assert turn.picks and all(50 <= p.price <= 100 for p in turn.picks)


def test_without_a_rate_for_that_currency_it_still_asks(gifts, shop):
    guide = ShoppingGuide(gifts, shop=shop, fx_rates={"EUR": 7.8}, report_currency="CNY")
    turn = guide.reply("a silk scarf under 20 pounds")
    assert not turn.picks and "prices are in CNY" in turn.text and "≈" not in turn.text
    turn = guide.reply("150")
    assert turn.picks and all(p.price <= 150 for p in turn.picks)


# -- "bought together" -----------------------------------------------------------------------
def _shared_orders(a: str, b: str) -> int:
    return sum({a, b} <= set(items) for _, items in ORDERS.values())


@pytest.mark.parametrize("message, strong, thin", [
    ("a gift for my friend under 60 yuan", "bought together with 不锈钢保温杯 500ml, which you "
     "bought before", "bought together with 不锈钢保温杯 500ml only once (you bought it before)"),
    ("送朋友的礼物，60元以内", "常与您买过的不锈钢保温杯 500ml一起购买",
     "仅有一笔订单同时买了它和您买过的不锈钢保温杯 500ml"),
])
def test_bought_together_needs_more_than_one_shared_order(gifts, shop, message, strong, thin):
    rec = train(gifts, model="ItemKNN")
    guide = ShoppingGuide(gifts, customer_id="c1", recommender=rec, shop=shop)
    assert guide.together(["F9", "F13", "F7"]) == {"F9": ("F8", 3), "F13": ("F8", 1)}
    turn = guide.reply(message)
    assert {"F9", "F13"} <= _ids(turn)  # the only products within 60 with a co-purchase
    for pick in turn.picks:
        if pick.bought_with is None:
            assert not any(strong in r or thin in r for r in pick.reasons)
            continue
        assert pick.together_orders == _shared_orders(pick.product_id, pick.bought_with)
        wording = strong if pick.together_orders > 1 else thin
        assert wording in pick.reasons and wording in turn.text
        assert (strong if wording == thin else thin) not in pick.reasons


def test_bought_together_does_not_need_a_recommender(gifts, shop):
    guide = ShoppingGuide(gifts, customer_id="c1", shop=shop)
    assert guide.together(["F9", "F13", "F7"]) == {"F9": ("F8", 3), "F13": ("F8", 1)}
    turn = guide.reply("护手霜")
    pick = next(p for p in turn.picks if p.product_id == "F9")
    assert "常与您买过的不锈钢保温杯 500ml一起购买" in pick.reasons


# -- the conversation log and the returning customer -----------------------------------------
MUM = "a gift for my mum under 200 yuan"


def test_every_turn_is_logged_and_read_back(gifts, shop):
    guide = ShoppingGuide(gifts, customer_id="c6", shop=shop, record=True)
    first, second = guide.reply("a present for my mum"), guide.reply("200")
    history = guide_history(gifts, "c6")
    assert list(history["turn"]) == [1, 2]
    assert set(history["session_id"]) == {guide.session_id}
    assert list(history["message"]) == ["a present for my mum", "200"]
    assert list(history["reply"]) == [first.text, second.text]
    assert history["picks"].iloc[0] == [] and history["picks"].iloc[1] == [
        p.product_id for p in second.picks] and second.picks
    assert history["need"].iloc[1]["recipient"] == "mother"
    assert history["need"].iloc[1]["budget_max"] == 200.0
    assert history["question"].iloc[0] == first.question
    assert all(t.tzinfo is not None for t in history["created_at"])
    assert guide_history(gifts, "c1").empty


def test_an_anonymous_shopper_is_not_logged_under_a_customer(gifts, shop):
    guide = ShoppingGuide(gifts, shop=shop, record=True)
    guide.reply(MUM)
    rows = gifts.query("SELECT customer_id, message FROM guide_turns WHERE session_id = ?",
                       [guide.session_id])
    assert rows == [(None, MUM)]
    assert all(guide_history(gifts, c).empty for c in ("c1", "c6", ""))
    assert ShoppingGuide(gifts, shop=shop, record=True).memory is None


def test_a_guide_that_does_not_record_writes_nothing(gifts, shop):
    ShoppingGuide(gifts, customer_id="c6", shop=shop).reply(MUM)
    assert gifts.query("SELECT count(*) FROM guide_turns")[0][0] == 0


def test_a_turn_is_written_whole_or_not_at_all(gifts, shop, monkeypatch):
    from shopkeeper.recommend import guide as guide_module

    guide = ShoppingGuide(gifts, customer_id="c6", shop=shop, record=True)
    guide.reply("a present for my mum")

    def broken(need):
        raise RuntimeError("disk full")

    monkeypatch.setattr(guide_module, "need_json", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        guide.reply("200")
    assert list(guide_history(gifts, "c6")["turn"]) == [1]  # the first turn, nothing of the 2nd


def _first_visit(gifts, shop, message=MUM):
    guide = ShoppingGuide(gifts, customer_id="c6", shop=shop, record=True)
    return guide.reply(message)


@pytest.mark.parametrize("message, welcome", [
    ("something else for her", "Welcome back! As last time: ideas for your mother within "
                               "200.00 CNY."),
    ("还是给妈妈买，再看看别的", "欢迎回来！和上次一样：送妈妈、200.00 CNY以内的商品。"),
])
def test_a_returning_customer_is_remembered(gifts, shop, message, welcome):
    before = _first_visit(gifts, shop)
    assert before.picks
    guide = ShoppingGuide(gifts, customer_id="c6", shop=shop, record=True)
    assert guide.memory is not None and guide.memory.shown == _ids(before)
    turn = guide.reply(message)
    assert turn.text.startswith(welcome)
    assert (turn.need.recipient, turn.need.budget_max) == ("mother", 200.0)
    assert turn.picks and not _ids(turn) & _ids(before)  # not what was shown and not bought
    assert not _ids(turn) & MARKED["men"] and all(p.price <= 200 for p in turn.picks)
    again = guide.reply("a scented candle")  # the welcome is said once
    assert "Welcome back" not in again.text and "欢迎回来" not in again.text
    sessions = guide_history(gifts, "c6")["session_id"]
    assert sessions.nunique() == 2 and list(sessions).count(guide.session_id) == 2


def test_a_request_for_someone_else_is_greeted_but_not_carried_over(gifts, shop):
    _first_visit(gifts, shop)
    turn = ShoppingGuide(gifts, customer_id="c6", shop=shop, record=True).reply(
        "a gift for my dad")
    assert turn.text.startswith("Welcome back! Last time you were looking for ideas for your "
                                "mother within 200.00 CNY.")
    assert turn.need.recipient == "father" and not turn.need.has_budget
    assert turn.question and "budget" in turn.question


def test_him_is_not_last_times_mother(gifts, shop):
    _first_visit(gifts, shop)
    turn = ShoppingGuide(gifts, customer_id="c6", shop=shop, record=True).reply(
        "something else for him")
    assert turn.text.startswith("Welcome back! Last time you were looking for ideas for your "
                                "mother")
    assert turn.need.recipient is None and not turn.need.has_budget


def test_an_old_conversation_is_greeted_but_not_carried_over(gifts, shop):
    before = _first_visit(gifts, shop)
    old = pd.Timestamp.now(tz="UTC") - pd.Timedelta(days=MEMORY_DAYS + 5)
    with gifts.transaction() as con:
        con.execute("UPDATE guide_turns SET created_at = ?", [old])
    guide = ShoppingGuide(gifts, customer_id="c6", shop=shop, record=True)
    assert not guide.memory.recent()
    turn = guide.reply("something else for her, under 200 yuan")
    assert turn.text.startswith("Welcome back! Last time you were looking for")
    assert turn.need.recipient is None
    ok = guide._allowed(turn.need, with_budget=True)  # what was shown may be offered again
    assert all(ok[shop.products.index.get_loc(pid)] for pid in _ids(before))


def test_a_last_visit_that_said_nothing_is_not_mentioned(gifts, shop):
    _first_visit(gifts, shop, "hello")
    turn = ShoppingGuide(gifts, customer_id="c6", shop=shop, record=True).reply(MUM)
    assert turn.picks and not turn.notes and turn.text.startswith("Here are 3 ideas")


def test_what_was_shown_comes_back_when_nothing_else_fits(gifts, shop):
    before = _first_visit(gifts, shop, "a gift for my mum under 60 yuan")
    assert _ids(before) == {"F9", "F13", "F14"}  # everything for her within 60
    turn = ShoppingGuide(gifts, customer_id="c6", shop=shop, record=True).reply(
        "something else for her")
    assert turn.need.budget_max == 60 and _ids(turn) == _ids(before)


def test_a_product_bought_since_is_no_longer_held_back(gifts, shop):
    before = _first_visit(gifts, shop)
    bought = sorted(_ids(before))[0]
    later = pd.Timestamp.now(tz="UTC") + pd.Timedelta(minutes=1)
    with gifts.transaction():
        gifts.insert_df("orders", pd.DataFrame([("o9", "c6", later, "completed")], columns=[
            "order_id", "customer_id", "ordered_at", "status"]))
        gifts.insert_df("order_lines", pd.DataFrame([("o9", 1, bought, 1, 10.0)], columns=[
            "order_id", "line_number", "product_id", "quantity", "unit_price"]))
    memory = last_conversation(gifts, "c6")
    assert memory.shown == _ids(before) - {bought}


def test_a_need_survives_the_log():
    from shopkeeper.recommend.guide import need_from_json

    need = understand("baby socks for my grandma under 30 pounds")
    need.asked.add("budget")
    back = need_from_json(need_json(need))
    assert back == need and isinstance(back.asked, set) and back.audiences == {"baby"}


# -- the faces: the server's sessions and the command ----------------------------------------
def test_the_servers_guide_sessions_log_remember_and_convert(gifts):
    from shopkeeper.recommend import GuideSessions

    sessions = GuideSessions()
    started = sessions.start(gifts, "staff", customer_id="c6", fx_rates=RATES,
                             report_currency="CNY")
    assert started.last_visit is None
    reply = sessions.send(started.guide_id, "staff", "a silk scarf under 20 pounds", wh=gifts)
    assert reply.text.startswith("20 GBP ≈ 184.00 CNY at the store's rate.")
    assert reply.picks and all(p.price <= 184 for p in reply.picks)
    with pytest.raises(RecommendError, match="pass wh="):  # a request's handle is not kept
        sessions.send(started.guide_id, "staff", "cheaper")
    history = guide_history(gifts, "c6")
    assert list(history["session_id"]) == [started.guide_id]
    assert history["picks"].iloc[0] == [p.product_id for p in reply.picks]
    again = sessions.start(gifts, "staff", customer_id="c6")
    assert again.last_visit == history["created_at"].iloc[0]
    reply = sessions.send(again.guide_id, "staff", "something else", wh=gifts)
    assert reply.text.startswith("Welcome back! As last time: “silk scarf” within 184.00 CNY.")


def _run_guide(path, tmp_path, monkeypatch, script: str, *args: str):
    from typer.testing import CliRunner

    from shopkeeper.cli import app

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SHOPKEEPER_CONFIG", raising=False)
    monkeypatch.setenv("SHOPKEEPER_MODEL_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("SHOPKEEPER_FX_RATES", json.dumps(RATES))
    monkeypatch.setenv("SHOPKEEPER_REPORT_CURRENCY", "CNY")
    file = tmp_path / "guide.txt"
    file.write_text(script, encoding="utf-8")
    result = CliRunner().invoke(app, ["-w", path, "guide", "--customer", "c6", "--script",
                                      str(file), "--no-model", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_the_guide_command_converts_logs_and_remembers(gifts, tmp_path, monkeypatch):
    from shopkeeper.store.warehouse import Warehouse

    path = str(gifts.path)
    gifts.close()
    first = _run_guide(path, tmp_path, monkeypatch, "给妈妈买礼物，30美元以内\nquit\n")
    assert "按本店汇率，30 USD ≈ 213.00 CNY。" in first and "为您挑了" in first
    second = _run_guide(path, tmp_path, monkeypatch, "还是给妈妈买，再看看别的\nquit\n")
    assert "欢迎回来！和上次一样：送妈妈、213.00 CNY以内的商品。" in second
    third = _run_guide(path, tmp_path, monkeypatch, "a gift for my dad\n", "--no-log")
    assert "budget do you have in mind" in third and "Welcome back" not in third
    with Warehouse(path, read_only=True) as wh:
        history = guide_history(wh, "c6")
    assert list(history["message"]) == ["给妈妈买礼物，30美元以内", "还是给妈妈买，再看看别的"]
    shown = [set(p) for p in history["picks"]]
    assert shown[0] and shown[1] and not shown[0] & shown[1]


def test_the_guide_commands_help_says_it_logs(monkeypatch):
    from typer.testing import CliRunner

    from shopkeeper.cli import app

    monkeypatch.setenv("COLUMNS", "200")
    text = CliRunner().invoke(app, ["guide", "--help"]).output
    assert "--no-log" in text and "fx_rates" in text and "guide_turns" in text


def test_open_guide_records_unless_told_not_to(gifts, tmp_path):
    guide, _ = open_guide(gifts, customer_id="c6", model_dir=tmp_path)
    guide.reply(MUM)
    quiet, _ = open_guide(gifts, customer_id="c6", model_dir=tmp_path, record=False)
    quiet.reply(MUM)
    assert guide.record and not quiet.record and quiet.memory is None
    assert len(guide_history(gifts, "c6")) == 1


def test_the_api_guide_logs_remembers_and_converts_with_the_configs_rates(gifts, tmp_path):
    from fastapi.testclient import TestClient

    from shopkeeper import accounts, store
    from shopkeeper.api.app import create_app

    path = gifts.path
    gifts.close()
    settings = store.load_settings(warehouse=path, model_dir=tmp_path / "models",
                                   output_dir=tmp_path / "out", llm_provider="builtin",
                                   fx_rates=RATES, report_currency="CNY")
    with store.Warehouse.from_settings(settings) as wh:
        accounts.add_user(wh, "analyst1", "correct horse battery", "analyst")
        token = accounts.create_token(wh, "analyst1", "test", scope="write", actor="test",
                                      via="cli").secret
    headers = {"Authorization": f"Bearer {token}"}
    app = create_app(settings, workers=1, mcp=False, web=False)
    with TestClient(app) as client:
        started = client.post("/api/v1/customers/guide", json={"customer_id": "c6"},
                              headers=headers)
        assert started.status_code == 201, started.text
        assert started.json()["last_visit"] is None
        gid = started.json()["guide_id"]
        r = client.post(f"/api/v1/customers/guide/{gid}/messages",
                        json={"text": "a silk scarf under 20 pounds"}, headers=headers)
        assert r.status_code == 200, r.text
        assert r.json()["text"].startswith("20 GBP ≈ 184.00 CNY at the store's rate.")
        again = client.post("/api/v1/customers/guide", json={"customer_id": "c6"},
                            headers=headers).json()
        assert again["last_visit"] is not None
        r = client.post(f"/api/v1/customers/guide/{again['guide_id']}/messages",
                        json={"text": "还有别的吗"}, headers=headers)
        assert r.status_code == 200, r.text
        assert r.json()["text"].startswith("欢迎回来！和上次一样：184.00 CNY以内的“silk scarf”")
        with app.state.server.session() as wh:
            history = guide_history(wh, "c6")
    assert list(history["session_id"]) == [gid, again["guide_id"]]
