"""The personalised shopping guide: budgets and recipients understood in zh and en, clarifying
questions, picks within budget, in stock and new to the customer, explanations from real
co-purchases, and no price or attribute that is not in the catalogue, model or no model."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from shopkeeper.llm import LLM, Journal
from shopkeeper.llm.grounding import check_grounding
from shopkeeper.recommend import (
    GuideCatalogue,
    RecommendError,
    ShoppingGuide,
    converse,
    open_guide,
    train,
)
from shopkeeper.recommend.needs import parse_budget, understand
from tests.llm_fixtures import ScriptedProvider

TS = pd.Timestamp
PRODUCTS = [  # id, title, category, price, attributes, on hand, status
    ("G1", "真丝围巾 玫瑰红", "服饰配件", 168.0, {"材质": "真丝", "颜色": "玫瑰红"}, 10, "active"),
    ("G2", "羊毛披肩 米白色", "服饰配件", 299.0, {"材质": "羊毛", "颜色": "米白色"}, 5, "active"),
    ("G3", "陶瓷茶具套装", "家居", 188.0, {"材质": "陶瓷"}, 8, "active"),
    ("G4", "按摩颈枕", "个护", 129.0, {"功能": "按摩"}, 0, "active"),  # out of stock
    ("G5", "不锈钢保温杯 500ml", "家居", 89.0, {"材质": "不锈钢", "容量": "500ml"}, 20,
     "active"),
    ("G6", "护手霜礼盒", "个护", 59.0, {"规格": "3支装"}, 30, "active"),
    ("G7", "Leather wallet for men", "配饰", 159.0, {"material": "leather", "colour": "brown"},
     4, "active"),
    ("G8", "儿童积木 100块", "玩具", 99.0, {}, 12, "active"),
    ("G9", "康乃馨鲜花礼盒", "鲜花", 199.0, {"花材": "康乃馨"}, 6, "archived"),
    ("G10", "Silk scarf for mum, rose red", "服饰配件", 145.0, {"material": "silk"}, 7,
     "active"),
]
ORDERS = {  # order -> (customer, products)
    "o1": ("m1", ["G3", "G5"]), "o2": ("m2", ["G5", "G6"]), "o3": ("m3", ["G5", "G6", "G1"]),
    "o4": ("m2", ["G1", "G10"]), "o5": ("m4", ["G8"]), "o6": ("m3", ["G7"]),
}


@pytest.fixture
def shop(warehouse):
    products = pd.DataFrame([(p[0], p[1], p[2], p[3], json.dumps(p[4], ensure_ascii=False),
                              p[6]) for p in PRODUCTS],
                            columns=["product_id", "title", "category", "price", "attributes",
                                     "status"])
    products["currency"] = "CNY"
    stock = pd.DataFrame([(p[0], p[5]) for p in PRODUCTS], columns=["product_id", "on_hand"])
    stock["location"], stock["snapshot_at"] = "main", TS("2024-05-01", tz="UTC")
    orders, lines = [], []
    for n, (oid, (cid, items)) in enumerate(ORDERS.items()):
        orders.append((oid, cid, TS("2024-04-01", tz="UTC") + pd.Timedelta(days=n), "completed"))
        price = {p[0]: p[3] for p in PRODUCTS}
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
def catalogue(shop, tmp_path):
    return GuideCatalogue.from_warehouse(shop, cache_dir=tmp_path / "models")


CATALOGUE = {p[0]: p for p in PRODUCTS}
MONEY = re.compile(r"(\d+(?:\.\d+)?) CNY")


@pytest.mark.parametrize("message, kind, first, second, currency", [
    ("a gift for my mother under 200 yuan", "max", 200, None, "CNY"),
    ("给我妈妈买个200元以内的礼物", "max", 200, None, "CNY"),
    ("预算300", "max", 300, None, None),
    ("不超过150块", "max", 150, None, "CNY"),
    ("between £10 and £20 for my dad", "range", 10, 20, "GBP"),
    ("100到200元之间", "range", 100, 200, "CNY"),
    ("around 30 pounds", "around", 30, None, "GBP"),
    ("200左右", "around", 200, None, None),
    ("500元以上", "min", 500, None, "CNY"),
    ("over $50", "min", 50, None, "USD"),
    ("£15", "amount", 15, None, "GBP"),
])
def test_budgets_in_both_languages(message, kind, first, second, currency):
    found = parse_budget(message)
    assert found is not None and found[:4] == (kind, first, second, currency)


def test_no_budget_in_sizes_or_plain_words():
    assert parse_budget("a blue mug please") is None
    assert understand("一个500ml的保温杯").budget_max is None


def test_recipient_occasion_and_product_words():
    need = understand("a birthday present for my wife's kitchen")
    assert (need.recipient, need.occasion) == ("wife", "birthday")
    assert need.wants == ["kitchen"]
    need = understand("给我妈妈买个200元以内的礼物")
    assert (need.recipient, need.occasion, need.budget_max, need.wants) == (
        "mother", "gift", 200, [])


def test_a_gift_for_mum_in_chinese_stays_in_budget_stock_and_catalogue(shop, catalogue):
    guide = ShoppingGuide(shop, shop=catalogue)
    turn = guide.reply("给我妈妈买个200元以内的礼物")
    assert turn.language == "zh" and turn.picks
    offered = re.findall(r"[：、](\w+)", turn.question.split("比如")[1])  # a real category each
    assert offered and set(offered) <= {p[2] for p in PRODUCTS}
    assert "为您挑了" in turn.text and "200.00 CNY以内" in turn.text
    for pick in turn.picks:
        _, title, _, price, attributes, on_hand, status = CATALOGUE[pick.product_id]
        assert pick.price == price <= 200 and on_hand > 0 and status == "active"
        assert f"{title}：{price:.2f} CNY" in turn.text
        assert pick.attributes == {k: str(v) for k, v in attributes.items()}


def test_vague_requests_get_a_clarifying_question_then_picks(shop, catalogue):
    guide = ShoppingGuide(shop, shop=catalogue)
    first = guide.reply("hello")
    assert first.question and not first.picks and "What are you looking for" in first.text
    second = guide.reply("I'd like a present")
    assert second.question and not second.picks and "budget" in second.text
    low, high = (float(x) for x in MONEY.findall(second.text))
    allowed = [p[3] for p in PRODUCTS if p[5] > 0 and p[6] == "active"]
    assert min(allowed) <= low <= high <= max(allowed)  # a real price range
    third = guide.reply("100")
    assert third.picks and all(p.price <= 100 for p in third.picks)
    assert third.language == "en"


def test_a_request_for_someone_else_starts_afresh(shop, catalogue):
    guide = ShoppingGuide(shop, shop=catalogue)
    guide.reply("a ceramic tea set for my mum under 200 yuan")
    turn = guide.reply("and something for my dad?")
    assert turn.need.recipient == "father" and not turn.need.wants
    assert not turn.need.has_budget and turn.question and "budget" in turn.question


def test_an_answer_of_any_budget_moves_on(shop, catalogue):
    guide = ShoppingGuide(shop, shop=catalogue)
    assert guide.reply("想给爸爸送个礼物").question
    turn = guide.reply("随便")
    assert turn.picks and turn.language == "zh"


def test_a_budget_in_another_currency_is_asked_again(shop, catalogue):
    guide = ShoppingGuide(shop, shop=catalogue)
    turn = guide.reply("a silk scarf under 20 pounds")
    assert not turn.picks and "prices are in CNY" in turn.text
    turn = guide.reply("150")
    assert turn.picks and all(p.price <= 150 for p in turn.picks)
    assert turn.picks[0].product_id in {"G1", "G10"}  # the silk scarves


def test_nothing_within_budget_names_the_closest_real_product(shop, catalogue):
    guide = ShoppingGuide(shop, shop=catalogue)
    turn = guide.reply("a wool shawl under 10 yuan")
    assert not turn.picks
    assert "Nothing in stock within 10.00 CNY" in turn.text
    closest = MONEY.findall(turn.text)[-1]
    assert float(closest) in {p[3] for p in PRODUCTS}


def test_picks_leave_out_what_the_customer_bought_and_explain_real_co_purchases(shop, catalogue):
    rec = train(shop, model="ItemKNN")
    guide = ShoppingGuide(shop, customer_id="m1", recommender=rec, shop=catalogue)
    turn = guide.reply("推荐点家居用品，300元以内")
    ids = {p.product_id for p in turn.picks}
    assert not ids & {"G3", "G5"}  # m1 bought both
    together = [p for p in turn.picks if any("常与您买过的" in r for r in p.reasons)]
    assert together
    baskets = [set(items) for _, items in ORDERS.values()]
    for pick in together:  # "常与…一起购买" only on at least two orders holding both
        named = [pid for pid in ("G3", "G5") if CATALOGUE[pid][1] in " ".join(pick.reasons)]
        assert named and sum({pick.product_id, named[0]} <= b for b in baskets) >= 2


MESSAGES = [
    ["给我妈妈买个200元以内的礼物"], ["a gift for my mum under 200 yuan"],
    ["想送老婆一条真丝围巾", "150以内"], ["something for my dad", "any"],
    ["儿童玩具"], ["a leather wallet for my husband, around 150 yuan"],
    ["有没有陶瓷的东西", "预算300"], ["I want a present", "between 50 and 200 yuan"],
]


@pytest.mark.parametrize("customer", [None, "m1", "m2"])
def test_the_guide_never_cites_a_price_or_attribute_outside_the_catalogue(shop, catalogue,
                                                                           customer):
    rec = train(shop, model="EASE")
    for script in MESSAGES:
        guide = ShoppingGuide(shop, customer_id=customer, recommender=rec, shop=catalogue)
        for turn in converse(guide, script):
            _assert_grounded(turn, guide, script)


def _assert_grounded(turn, guide, script):
    prices = {p[3] for p in PRODUCTS}
    said = {float(x) for m in script for x in re.findall(r"\d+(?:\.\d+)?", m)}
    budgets = {v for v in (turn.need.budget_min, turn.need.budget_max) if v is not None}
    for amount in MONEY.findall(turn.text):
        assert float(amount) in prices | said | budgets, (amount, turn.text)
    for pick in turn.picks:
        assert pick.product_id in CATALOGUE and CATALOGUE[pick.product_id][6] == "active"
        assert pick.price == CATALOGUE[pick.product_id][3]
        for key, value in pick.attributes.items():
            assert CATALOGUE[pick.product_id][4][key] == value
    report = check_grounding(turn.text, guide.facts(turn), lang=turn.language)
    assert report.ok, (turn.text, report.violations)


def test_a_model_that_invents_a_price_or_material_is_not_believed(shop, catalogue, tmp_path):
    draft = ShoppingGuide(shop, shop=catalogue).reply("a silk scarf under 200 yuan")
    real = f"{draft.picks[0].price:.2f} CNY"
    lie = draft.text.replace(real, "9.90 CNY") + " Made of cashmere, 20% off today!"
    llm = LLM(ScriptedProvider(lie), Journal(tmp_path / "llm"))
    guide = ShoppingGuide(shop, shop=catalogue, llm=llm)
    turn = guide.reply("a silk scarf under 200 yuan")
    assert turn.method == "grounded" and turn.text == draft.text
    assert any(f.startswith("model_rejected") for f in turn.flags)
    assert "cashmere" not in turn.text and "9.90" not in turn.text and real in turn.text


def test_a_faithful_rewording_is_kept(shop, catalogue, tmp_path):
    draft = ShoppingGuide(shop, shop=catalogue).reply("a silk scarf under 200 yuan")
    lines = draft.text.splitlines()
    reworded = "Good choice! " + lines[0] + "\n" + "\n".join(lines[1:])
    llm = LLM(ScriptedProvider(reworded), Journal(tmp_path / "llm"))
    turn = ShoppingGuide(shop, shop=catalogue, llm=llm).reply("a silk scarf under 200 yuan")
    assert turn.method == "model" and turn.text == reworded


def test_catalogue_embeddings_are_reused_from_the_cache(shop, tmp_path):
    calls = []
    GuideCatalogue.from_warehouse(shop, cache_dir=tmp_path, progress=lambda *a: calls.append(a))
    assert calls  # embedded once
    calls.clear()
    again = GuideCatalogue.from_warehouse(shop, cache_dir=tmp_path,
                                          progress=lambda *a: calls.append(a))
    assert not calls and len(again.passages) == len(PRODUCTS)


def test_open_guide_checks_the_customer_and_personalises(shop, tmp_path):
    with pytest.raises(RecommendError, match="no customer 'nobody'"):
        open_guide(shop, customer_id="nobody", model_dir=tmp_path)
    guide, note = open_guide(shop, customer_id="m2", model_dir=tmp_path)
    assert guide.recommender is not None and "trained now" in note


def test_the_guide_command_runs_a_scripted_conversation(shop, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from shopkeeper.cli import app

    path = str(shop.path)
    shop.close()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SHOPKEEPER_CONFIG", raising=False)
    monkeypatch.setenv("SHOPKEEPER_MODEL_DIR", str(tmp_path / "models"))
    script = tmp_path / "guide.txt"
    script.write_text("给我妈妈买个礼物\n200\nquit\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["-w", path, "guide", "--customer", "m2", "--script",
                                      str(script), "--no-model", "--explain"])
    assert result.exit_code == 0, result.output
    assert "请问您的预算" in result.output and "为您挑了" in result.output
    assert "guide --customer" not in result.output
