"""Policy edges of the customer-service agent: item conditions (opened or sealed, used or not),
the last day of a window on a multi-item order, whole-order returns, refusals that say the rule
in words, and the messages that must go to a person at once (injury, violence, the press)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shopkeeper.service import ServiceAgent, build_index, parse_policy
from shopkeeper.service.handoff import message_handoff_reason
from shopkeeper.service.policy import condition_allows, decide_return, item_condition
from tests.service_fixtures import AS_OF, add_beauty_order, make_service_store


@pytest.fixture
def beauty_store(warehouse):
    """The service fixture store plus c1's lipstick order and the rule on opened cosmetics."""
    make_service_store(warehouse)
    add_beauty_order(warehouse)
    return warehouse


# --- the rules ------------------------------------------------------------------------------

@pytest.mark.parametrize("sentence, kind, requirement", [
    ("Opened cosmetics cannot be returned.", "cosmetics", "sealed"),
    ("Cosmetics cannot be returned once opened.", "cosmetics", "sealed"),
    ("Skincare products can only be returned unopened.", "cosmetics", "sealed"),
    ("Used items cannot be returned.", None, "unused"),
    ("化妆品一经拆封不支持退货。", "cosmetics", "sealed"),
    ("护肤品需未拆封方可退货。", "cosmetics", "sealed"),
    ("已拆封的商品不支持退货。", None, "sealed"),
])
def test_condition_rules_are_read_in_both_languages(sentence, kind, requirement):
    rules = parse_policy([("D", sentence)])
    assert [r.value for r in rules.of("condition")] == [(kind, requirement)]
    # "opened cosmetics cannot be returned" does not make every cosmetic non-returnable
    assert rules.of("not_returnable") == []


@pytest.mark.parametrize("message, said", [
    ("I opened it but the shade is wrong", "opened"),
    ("It's still sealed", "sealed"),
    ("I haven't opened it", "sealed"),
    ("never opened, still in the box", "sealed"),
    ("I used it once", "used"),
    ("I tried it on and it doesn't suit me", "used"),
    ("没拆封", "sealed"),
    ("已经拆开了", "opened"),
    ("用过一次", "used"),
    ("没用过，只是拆开看了", "unused"),
    ("I want to return it", None),
    ("退货", None),
])
def test_what_the_customer_says_of_the_item(message, said):
    assert item_condition(message) == said


def test_conditions_against_requirements():
    assert condition_allows("sealed", "sealed") is True
    assert condition_allows("sealed", "opened") is False
    assert condition_allows("sealed", "unused") is None  # opened or not is still unknown
    assert condition_allows("unused", "unused") is True
    assert condition_allows("unused", "used") is False
    assert condition_allows("unused", None) is None


def test_decide_return_asks_about_an_unknown_condition_and_never_assumes():
    rules = parse_policy([("P", "You can return any item within 30 days of delivery. "
                                "Opened cosmetics cannot be returned.")])
    ask = decide_return(rules, days=3, item_text="Rose lipstick (cosmetics)")
    assert ask.allowed is None and ask.needs == "condition"
    opened = decide_return(rules, days=3, item_text="Rose lipstick (cosmetics)",
                           condition="opened")
    assert opened.allowed is False and opened.code == "condition_not_met"
    sealed = decide_return(rules, days=3, item_text="Rose lipstick (cosmetics)",
                           condition="sealed")
    assert sealed.allowed is True
    # the rule is about cosmetics: a mug needs no answer about its seal
    assert decide_return(rules, days=3, item_text="White mug").allowed is True
    # a damaged lipstick is judged by the damage rules, opened or not
    assert decide_return(rules, days=3, item_text="Rose lipstick (cosmetics)", damaged=True,
                         condition="opened").code != "condition_not_met"


# --- the agent --------------------------------------------------------------------------------

def _signed_in(wh, days_after_delivery: int = 7) -> ServiceAgent:
    agent = ServiceAgent(wh, customer_id="c1",
                         as_of=AS_OF + timedelta(days=days_after_delivery - 7))
    agent.reply("alice.smith@example.com")
    return agent


def test_an_opened_lipstick_is_refused_with_the_rule_and_no_request(beauty_store):
    agent = _signed_in(beauty_store)
    turn = agent.reply("I want to return the lipstick from order 100009, I opened it "
                       "but the colour is wrong")
    assert turn.flow == "return" and "RR-" not in turn.text
    assert "opened cosmetics cannot be returned" in turn.text.lower()
    assert "POL-BEAUTY-EN" in turn.citations
    assert len(beauty_store.query("SELECT * FROM return_requests")) == 0


def test_an_unknown_condition_is_asked_then_decided(beauty_store):
    agent = _signed_in(beauty_store)
    ask = agent.reply("I'd like to return the lipstick from order 100009")
    assert ask.flow == "which_condition" and "RR-" not in ask.text and "sealed" in ask.text
    done = agent.reply("it's still sealed")
    assert done.flow == "return" and "RR-" in done.text
    drafted = beauty_store.query("SELECT order_id, product_id FROM return_requests")
    assert drafted == [("100009", "P9")]


def test_chinese_opened_cosmetic_is_refused_and_sealed_one_is_drafted(beauty_store):
    agent = ServiceAgent(beauty_store, customer_id="c1", as_of=AS_OF)
    agent.reply("alice.smith@example.com")
    refused = agent.reply("订单100009里的口红我想退货，已经拆封用过了")
    assert refused.flow == "return" and "RR-" not in refused.text
    assert "拆封" in refused.text
    other = ServiceAgent(beauty_store, customer_id="c1", as_of=AS_OF)
    other.reply("alice.smith@example.com")
    ok = other.reply("订单100009的口红还没拆封，想退货")
    assert ok.flow == "return" and "RR-" in ok.text


def test_last_day_of_the_window_on_a_multi_item_order_is_decided(beauty_store):
    agent = _signed_in(beauty_store, days_after_delivery=30)
    first = agent.reply("I want to return something from order 100001")
    assert first.flow == "which_item"
    turn = agent.reply("the white ceramic mug")
    assert turn.flow == "return" and "RR-" in turn.text
    assert "last day" in turn.text


def test_a_whole_order_return_decides_every_item(beauty_store):
    agent = _signed_in(beauty_store, days_after_delivery=10)
    turn = agent.reply("I want to return both items of order 100001")
    # the plain mug can go back; the personalised one cannot
    assert turn.flow == "return" and "RR-" in turn.text
    assert "White ceramic mug" in turn.text and "Personalised name mug" in turn.text
    assert "cannot be returned" in turn.text
    assert beauty_store.query("SELECT product_id FROM return_requests") == [("P1",)]


def test_a_whole_order_with_a_cosmetic_asks_once_about_its_condition(beauty_store):
    agent = _signed_in(beauty_store)
    ask = agent.reply("please return the whole order 100009")
    assert ask.flow == "which_condition" and "Rose matte lipstick" in ask.text
    done = agent.reply("never opened")
    assert done.flow == "return"
    assert sorted(beauty_store.query("SELECT product_id FROM return_requests")) == [
        ("P1",), ("P9",)]


@pytest.mark.parametrize("lang, message, words", [
    ("en", "I want to return the white ceramic mug from order 100001", ["40 days", "30 days",
                                                                         "10 days ago"]),
    ("zh", "订单100001整单退货", ["40天", "30天", "10天"]),
])
def test_a_refusal_after_the_window_says_the_window_and_the_days(beauty_store, lang, message,
                                                                 words):
    agent = ServiceAgent(beauty_store, customer_id="c1", as_of=AS_OF + timedelta(days=33))
    agent.reply("alice.smith@example.com")
    turn = agent.reply(message)
    assert turn.flow == "return" and "RR-" not in turn.text
    for word in words:
        assert word in turn.text, (word, turn.text)


# --- messages that go to a person at once -------------------------------------------------------

@pytest.mark.parametrize("message, reason", [
    ("The kettle gave my son an electric shock", "injury reported"),
    ("my daughter came out in a rash after using the cream", "injury reported"),
    ("the lantern caught fire in our living room", "injury reported"),
    ("孩子被这个杯子烫伤了", "injury reported"),
    ("用了你们的面霜过敏了，脸上起红疹", "injury reported"),
    ("I'm going to the press with this", "media threat"),
    ("I'll post this all over social media", "media threat"),
    ("再不解决我就发微博、发小红书", "media threat"),
    ("我要找记者", "media threat"),
    ("I know where you work and I will hurt you", "threat of violence"),
    ("I'll come and smash up your shop", "threat of violence"),
    ("再不退款我弄死你", "threat of violence"),
    ("我去砸了你们的店", "threat of violence"),
])
def test_injury_violence_and_the_press_go_to_a_person(service_store, message, reason):
    assert message_handoff_reason(message, "") == reason
    turn = ServiceAgent(service_store, customer_id="c1", as_of=AS_OF).reply(message)
    assert turn.handoff == reason


@pytest.mark.parametrize("message", [
    "Is this cream suitable for sensitive skin?",
    "过敏体质可以用这款面霜吗？",
    "Can I share the product link on Instagram?",
    "this lipstick is a killer colour",
    "do you sell fire blankets?",
    "I cut the tags off already, can I still exchange?",
    "a photo shoot prop that arrived broken",
    "媒体柜有货吗？",
    "the colour is bleeding in the wash",
    "the blister pack was already open",
    "the stitches on the cushion came loose",
    "洗发水起泡吗？",
    "that was a rash decision, can I return it?",
    "这款相机曝光怎么调？",
    "你们家东西太好看了，我要发小红书夸夸你们",
    "does the off button cancel the cycle?",
])
def test_words_that_only_look_like_those_stay_with_the_agent(message):
    from shopkeeper.service.asks import about_others, asks_change, asks_remedy

    assert message_handoff_reason(message, "") is None
    assert not (about_others(message) or asks_change(message) or asks_remedy(message))


# --- documents that speak to the assistant: the merchant is told ------------------------------

def test_a_poisoned_document_is_named_to_the_merchant_everywhere(service_store, tmp_path,
                                                                 monkeypatch):
    from typer.testing import CliRunner

    from shopkeeper.cli import app
    from shopkeeper.service import suspicious_documents
    from tests.server_fixtures import make_workspace, serve, sign_in

    found = suspicious_documents(service_store)
    assert [d.doc_id for d in found] == ["QA-P3-1"]  # the planted injection, nothing else
    assert "override" in found[0].findings and found[0].kind == "product_qa"
    assert build_index(service_store).suspicious == tuple(found)
    # an agent that retrieves it still never quotes it
    turn = ServiceAgent(service_store, customer_id="c1", as_of=AS_OF).reply(
        "do the red heart lantern batteries come included?")
    assert "admin mode" not in turn.text and "retrieved_injection:QA-P3-1" in turn.flags

    path = service_store.path
    service_store.close()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SHOPKEEPER_CONFIG", raising=False)
    index = CliRunner().invoke(app, ["-w", str(path), "service", "index"])
    assert index.exit_code == 0, index.output
    assert "warning: QA-P3-1" in index.output and "never quoted" in index.output

    ws = make_workspace(path)
    with serve(ws, workers=1, mcp=False) as client:
        r = client.get("/api/v1/service/knowledge/suspicious",
                       headers={"Authorization": f"Bearer {ws.read_tokens['agent']}"})
        assert r.status_code == 200, r.text
        assert [d["doc_id"] for d in r.json()] == ["QA-P3-1"]
        sign_in(client, "owner")
        page = client.get("/service")
        assert page.status_code == 200 and 'data-testid="suspicious-documents"' in page.text
        assert "QA-P3-1" in page.text


def test_a_return_the_window_refuses_asks_nothing_about_the_condition():
    rules = parse_policy([("P", "You can return any item within 30 days of delivery. "
                                "Opened cosmetics cannot be returned.")])
    late = decide_return(rules, days=45, item_text="Rose lipstick (cosmetics)")
    assert late.allowed is False and late.code == "window_passed"


def test_a_rewording_that_drops_a_quote_number_or_request_id_is_rejected():
    from shopkeeper.service.agent import _lost_facts

    draft = ("Good news: order 100001 can be returned. Our policy says: “You can return any item "
             "within 30 days of delivery.” I have drafted return request RR-0123456789.")
    kept = ("Order 100001 can go back. Our policy says: “You can return any item within 30 days "
            "of delivery.” Request RR-0123456789 is drafted.")
    assert _lost_facts(draft, kept) == []
    assert _lost_facts(draft, kept.replace("RR-0123456789", "your request")) == ["dropped fact"]
    assert _lost_facts(draft, kept.replace("100001", "your order")) == ["dropped fact"]
    assert _lost_facts(draft, kept.replace("within 30 days", "soon")) == ["dropped fact"]
    # the prompt's words echoed are rejected; the answer's own "drafted" is not an echo
    assert _lost_facts(draft, "Draft answer: " + kept) == ["prompt echo"]
    zh = "好消息：订单100001可以退货。我已为您创建退货申请草稿RR-0123456789。"
    assert _lost_facts(zh, "订单100001可以退货哦，退货申请草稿RR-0123456789已创建。") == []
