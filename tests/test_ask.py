"""Ask your data: periods, the reader, answers on the hand-checkable shop, ask-backs,
follow-ups, the merchant's vocabulary and the model path's checks."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from shopkeeper import ask
from shopkeeper.ask.reader import AskBack, StoreValues, Unread, read
from shopkeeper.ask.vocabulary import Vocabulary, load_vocabulary
from shopkeeper.llm import LLM
from tests.llm_fixtures import ScriptedProvider

AS_OF = dt.date(2011, 12, 9)


@pytest.mark.parametrize("text, start, end", [
    ("上个月", "2011-11-01", "2011-11-30"),
    ("last month", "2011-11-01", "2011-11-30"),
    ("本月至今", "2011-12-01", "2011-12-09"),
    ("month to date", "2011-12-01", "2011-12-09"),
    ("今年以来", "2011-01-01", "2011-12-09"),
    ("YTD", "2011-01-01", "2011-12-09"),
    ("第三季度", "2011-07-01", "2011-09-30"),
    ("Q3", "2011-07-01", "2011-09-30"),
    ("上半年", "2011-01-01", "2011-06-30"),
    ("H1 2011", "2011-01-01", "2011-06-30"),
    ("最近30天", "2011-11-10", "2011-12-09"),
    ("the last 30 days", "2011-11-10", "2011-12-09"),
    ("2011年3月", "2011-03-01", "2011-03-31"),
    ("March 2011", "2011-03-01", "2011-03-31"),
    ("2011年第40周", "2011-10-03", "2011-10-09"),
    ("week 40 of 2011", "2011-10-03", "2011-10-09"),
    ("2011-05-01 到 2011-05-15", "2011-05-01", "2011-05-15"),
    ("between May 1 and May 15, 2011", "2011-05-01", "2011-05-15"),
    ("去年", "2010-01-01", "2010-12-31"),
    ("上周", "2011-11-28", "2011-12-04"),
    ("10月", "2011-10-01", "2011-10-31"),
])
def test_periods_in_both_languages(text, start, end):
    period = ask.read_period(text, AS_OF).period
    assert period is not None, text
    assert (str(period.start), str(period.end)) == (start, end)


@pytest.mark.parametrize("text, compare", [
    ("本月至今订单数同比", "year"), ("GMV last month vs the same period last year", "year"),
    ("上个月销售额环比", "previous"), ("GMV last month month over month", "previous"),
    ("GMV last month vs the month before", "previous"),
])
def test_comparisons(text, compare):
    assert ask.read_period(text, AS_OF).compare == compare


def test_two_named_months_compare_the_later_with_the_earlier():
    reading = ask.read_period("11月和10月的销售额对比", AS_OF)
    assert str(reading.period.start) == "2011-11-01"
    assert str(reading.compare.start) == "2011-10-01"


VALUES = StoreValues(countries=["United Kingdom", "France", "EIRE", "Germany"],
                     channels=["web", "app"], categories=["toys"],
                     product_ids={"85123A", "22423", "A"})


def _read(text, previous=None):
    return read(text, AS_OF, Vocabulary(), VALUES, previous)


def test_reader_ranking_filters_and_exclusions():
    q = _read("上个月哪个国家的客单价最高？")
    assert (q.metrics, q.by, q.rank) == (("aov",), ("country",), ("top", 1))
    q = _read("除了英国以外，上个月销售额最高的5个国家")
    assert q.exclude == {"country": ("United Kingdom",)} and q.rank == ("top", 5)
    q = _read("Revenue last month excluding the UK")
    assert q.exclude == {"country": ("United Kingdom",)} and not q.by
    q = _read("只看法国，今年以来的订单数")
    assert q.filters == {"country": ("France",)} and q.metrics == ("orders",)
    q = _read("What share of revenue came from the top 10 products in Q3?")
    assert q.share and q.rank == ("top", 10) and q.by == ("sku",)
    q = _read("上个月含 HEART 的商品销售额")
    assert q.name_words == ("HEART",) and not q.by
    q = _read("Units of 85123A in 2011")
    assert q.filters == {"sku": ("85123A",)} and q.metrics == ("units",)
    q = _read("爱尔兰上个月的退货率")
    assert q.filters == {"country": ("EIRE",)} and q.metrics == ("refund_rate",)


@pytest.mark.parametrize("text", [
    "上个月怎么样？", "How did we do last month?", "best product last month",
    "上次的订单数", "最近的销售额", "What is our AOV?", "退货率比去年同期高了多少？",
])
def test_open_questions_are_asked_back(text):
    reading = _read(text)
    assert isinstance(reading, AskBack), (text, reading)
    assert len(reading.choices) >= 2


@pytest.mark.parametrize("text", [
    "Which suppliers have the longest lead time?",
    "哪些客户只买过一次就没再来了？",  # "客户" alone would read as all customers
    "Which products were never sold in November?",
    "Customers who never ordered again after their first order",
])
def test_a_question_outside_the_semantic_layer_is_not_read(text):
    assert isinstance(_read(text), Unread)


def test_follow_up_refines_the_previous_question():
    first = _read("上个月哪个国家的客单价最高？")
    then = _read("那按月呢？", previous=first)
    assert then.metrics == ("aov",) and then.by == ("month",) and then.rank is None
    assert then.period == first.period
    other = _read("and for France only?", previous=_read("GMV last month by channel"))
    assert other.filters == {"country": ("France",)} and other.by == ("channel",)


def test_answers_on_the_hand_checkable_shop(shop):
    a = ask.ask(shop, "2024年2月的销售额是多少？")
    assert a.kind == "number" and a.value == pytest.approx(61.00)
    assert "61.00" in a.text and "EUR" in a.text  # every number in the sentence is the result's
    assert any("(gmv)" in d for d in a.definitions)
    assert "?" not in a.sql and "2024-02-01" in a.sql  # the query, runnable as shown
    a = ask.ask(shop, "GMV in February 2024 vs January 2024")
    assert a.value == pytest.approx(61.00) and a.previous == pytest.approx(95.50)
    assert a.change_pct == pytest.approx(61 / 95.5 - 1)
    a = ask.ask(shop, "Net revenue by channel in 2024")
    got = dict((row[0], row[1]) for row in a.rows)
    assert a.kind == "table" and got["app"] == pytest.approx(45.00)
    a = ask.ask(shop, "2024年1月只看 web 渠道的订单数")
    assert a.value == 1
    a = ask.ask(shop, "What share of GMV in January 2024 came from the app channel?")
    assert a.unit == "ratio" and a.value == pytest.approx(50.00 / 95.50)


def test_a_top_group_answered_in_another_metric(shop):
    # ranked by what the superlative is said of, the number in the metric asked for
    a = ask.ask(shop, "How many orders did our top spender place in January 2024?")
    assert (a.kind, a.value, a.unit) == ("number", 1, "count")  # c2: 50.00 against c1's 45.50
    assert "c2" in a.text
    a = ask.ask(shop, "2024年下单最多的客户一共花了多少钱")
    assert a.kind == "number" and a.value == pytest.approx(45.50 + 51.00 + 10.00)  # c1's 3 orders
    assert a.unit == "money" and "c1" in a.text


def test_answer_json_contract(shop):
    a = ask.ask(shop, "Top 1 product by units in 2024")
    data = json.loads(json.dumps(a.to_dict()))
    for key in ("kind", "value", "columns", "rows", "text", "choices", "definitions",
                "metric_query", "sql"):
        assert key in data
    assert data["kind"] == "table" and data["rows"][0][0] == "A"
    assert data["metric_query"]["rank"] == ["top", 1]
    back = ask.ask(shop, "How did we do last month?")
    assert back.kind == "ask_back" and back.choices and back.value is None


@pytest.mark.parametrize(("question", "lang"), [
    ("2024年一件都没卖出去的商品有多少", "zh"), ("帮我写一首诗", "zh"),
    ("How many products did not sell in 2024?", "en"),
])
def test_a_refusal_gives_its_reason_in_the_language_asked(shop, question, lang):
    a = ask.ask(shop, question)
    assert a.kind == "refused"
    latin_words = re.findall(r"[A-Za-z]{3,}", a.text)
    assert (not latin_words) if lang == "zh" else len(latin_words) > 10


def test_merchant_vocabulary(tmp_path, shop):
    path = tmp_path / "words.toml"
    path.write_text('[synonyms]\n"takings" = "net_revenue"\n\n[metrics.discount_share]\n'
                    'label_en = "discount share"\nlabel_zh = "折扣占比"\nunit = "ratio"\n'
                    'formula = "discounts / nullif(gmv, 0)"\nsynonyms = ["discount share"]\n',
                    encoding="utf-8")
    vocab = load_vocabulary(path)
    a = ask.ask(shop, "takings in January 2024", vocabulary=vocab)
    assert a.metric_query["metrics"] == ["net_revenue"]
    a = ask.ask(shop, "discount share in January 2024", vocabulary=vocab)
    assert a.value == pytest.approx((5.00 + 0.50) / 95.50)
    bad = tmp_path / "bad.toml"
    bad.write_text('[metrics.x]\nformula = "gmv / nosuchthing"\n', encoding="utf-8")
    with pytest.raises(Exception, match="nosuchthing"):
        load_vocabulary(bad)


def _llm(reply: dict) -> LLM:
    return LLM(ScriptedProvider(*[json.dumps(reply)] * 3), None, use_cache=False,
               max_retries=0)


def test_the_model_path_is_checked_against_the_data(shop):
    question = "Which of our sales channels did best in January 2024, by revenue?"
    # the model may only name values the data has: a made-up channel is refused
    made_up = _llm({"metrics": ["gmv"], "filters": {"channel": ["tiktok"]},
                    "start": "2024-01-01", "end": "2024-01-31"})
    a = ask.ask(shop, "Quelle est la tendance des ventes?", llm=made_up)
    assert a.kind == "refused" and "tiktok" in a.text
    good = _llm({"metrics": ["gmv"], "by": ["channel"], "rank": "top", "rank_n": 1,
                 "start": "2024-01-01", "end": "2024-01-31"})
    a = ask.ask(shop, "Quelle chaîne a le plus vendu en janvier 2024 ?", llm=good)
    assert a.kind == "table" and a.source == "model" and a.rows[0][0] == "app"
    # the reader answers what it can read: the model is not asked at all
    unused = ScriptedProvider()
    a = ask.ask(shop, question, llm=LLM(unused, None, use_cache=False))
    assert a.source == "reader" and unused.calls == []


def test_the_command(shop, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from shopkeeper.cli import app

    path = shop.path
    shop.close()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SHOPKEEPER_CONFIG", raising=False)
    monkeypatch.setenv("SHOPKEEPER_WAREHOUSE", str(path))
    runner = CliRunner()
    got = runner.invoke(app, ["ask", "Net revenue by channel in 2024", "--json", "--chart",
                              "c.html", "--csv", "c.csv"], catch_exceptions=False)
    assert got.exit_code == 0, got.output
    data = json.loads(got.stdout[got.stdout.index("{"):])
    assert data["kind"] == "table" and data["chart"]["type"] == "bar"
    assert (tmp_path / "c.html").stat().st_size > 1000
    assert (tmp_path / "c.csv").read_text().startswith("channel,net_revenue")
    # a follow-up reads the previous question kept beside the warehouse
    got = runner.invoke(app, ["ask", "and only web?", "--json"], catch_exceptions=False)
    follow = json.loads(got.stdout[got.stdout.index("{"):])
    assert follow["metric_query"]["filters"] == {"channel": ["web"]}
    assert follow["metric_query"]["by"] == ["channel"] and len(follow["rows"]) == 1
    refused = runner.invoke(app, ["ask", "Which suppliers have the longest lead time?"])
    assert refused.exit_code == 2 and "can't answer" in refused.stdout
