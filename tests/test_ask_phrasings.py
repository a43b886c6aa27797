"""How the reader reads merchant phrasings, written apart from bench/ask/ (a second set, so a
rule tuned to one wording shows here): each question → the metric query it must become."""

from __future__ import annotations

import datetime as dt

import pytest

from shopkeeper.ask.reader import AskBack, StoreValues, Unread, read
from shopkeeper.ask.vocabulary import Vocabulary

AS_OF = dt.date(2011, 12, 9)
VALUES = StoreValues(countries=["United Kingdom", "France", "EIRE", "Germany", "Spain"],
                     product_ids={"85123A", "22423", "POST", "DOT"})
NOV = ("2011-11-01", "2011-11-30")
Q3 = ("2011-07-01", "2011-09-30")
YTD = ("2011-01-01", "2011-12-09")

# question, metrics, (start, end), by, rank, extra checks
CASES = [
    ("11月份卖了多少钱", ("gmv",), NOV, (), None, {}),
    ("How much revenue did we make in November?", ("gmv",), NOV, (), None, {}),
    ("上月净收入", ("net_revenue",), NOV, (), None, {}),
    ("net sales for last month please", ("net_revenue",), NOV, (), None, {}),
    ("三季度一共多少个订单", ("orders",), Q3, (), None, {}),
    ("How many orders did we get in the third quarter?", ("orders",), Q3, (), None, {}),
    ("今年到现在的客单价", ("aov",), YTD, (), None, {}),
    ("AOV year to date", ("aov",), YTD, (), None, {}),
    ("上个月的连带率是多少", ("units_per_order",), NOV, (), None, {}),
    ("items per order last month", ("units_per_order",), NOV, (), None, {}),
    ("上个月卖得最好的三个商品是哪些（按销售额）", ("gmv",), NOV, ("sku",), ("top", 3), {}),
    ("Our 3 best-selling products by revenue last month", ("gmv",), NOV, ("sku",), ("top", 3),
     {}),
    ("上个月订单最少的国家", ("orders",), NOV, ("country",), ("bottom", 1), {}),
    ("Which country placed the fewest orders last month?", ("orders",), NOV, ("country",),
     ("bottom", 1), {}),
    ("今年以来按月看销售额", ("gmv",), YTD, ("month",), None, {}),
    ("Monthly revenue this year", ("gmv",), YTD, ("month",), None, {}),
    ("第三季度每周的订单数", ("orders",), Q3, ("week",), None, {}),
    ("Weekly orders in Q3", ("orders",), Q3, ("week",), None, {}),
    ("上个月法国的销售额", ("gmv",), NOV, (), None, {"filters": {"country": ("France",)}}),
    ("France's sales last month", ("gmv",), NOV, (), None,
     {"filters": {"country": ("France",)}}),
    ("不算英国，上个月的订单数", ("orders",), NOV, (), None,
     {"exclude": {"country": ("United Kingdom",)}}),
    ("Orders last month outside the UK", ("orders",), NOV, (), None,
     {"exclude": {"country": ("United Kingdom",)}}),
    ("上个月英国占总销售额的比例", ("gmv",), NOV, (), None,
     {"share": True, "filters": {"country": ("United Kingdom",)}}),
    ("What percentage of last month's sales came from Germany?", ("gmv",), NOV, (), None,
     {"share": True, "filters": {"country": ("Germany",)}}),
    ("上个月新客的订单数", ("orders",), NOV, (), None,
     {"filters": {"customer_type": ("new",)}}),
    ("Orders from returning customers last month", ("orders",), NOV, (), None,
     {"filters": {"customer_type": ("returning",)}}),
    ("上个月销售额环比增长了多少", ("gmv",), NOV, (), None, {"compare": "previous"}),
    ("How did November revenue compare with October?", ("gmv",), NOV, (), None,
     {"compare_start": "2011-10-01"}),
    ("本月至今的订单数和去年同期比", ("orders",), ("2011-12-01", "2011-12-09"), (), None,
     {"compare": "year"}),
    ("Orders month to date vs the same period last year", ("orders",),
     ("2011-12-01", "2011-12-09"), (), None, {"compare": "year"}),
    ("85123A 上个月卖了多少件", ("units",), NOV, (), None,
     {"filters": {"sku": ("85123A",)}}),
    ("Units sold of 22423 in Q3", ("units",), Q3, (), None, {"filters": {"sku": ("22423",)}}),
    ("上个月消费最多的10位客户", ("gmv",), NOV, ("customer",), ("top", 10), {}),
    ("Top 10 customers by spend last month", ("gmv",), NOV, ("customer",), ("top", 10), {}),
    ("今年以来哪个月的客单价最低", ("aov",), YTD, ("month",), ("bottom", 1), {}),
    ("Which month this year had the lowest AOV?", ("aov",), YTD, ("month",), ("bottom", 1),
     {}),
    # metrics said in a sentence
    ("上个月平均每单多少钱", ("aov",), NOV, (), None, {}),
    ("Average amount per order last month", ("aov",), NOV, (), None, {}),
    ("三季度每笔订单平均几件", ("units_per_order",), Q3, (), None, {}),
    ("How many units are in the average order this year?", ("units_per_order",), YTD, (), None,
     {}),
    ("上个月有多少人下单", ("customers",), NOV, (), None, {}),
    ("How many people bought from us last month?", ("customers",), NOV, (), None, {}),
    ("今年以来新增顾客有多少", ("new_customers",), YTD, (), None, {}),
    ("How much did we sell in Q3?", ("gmv",), Q3, (), None, {}),
    ("11月新客户平均每单多少钱", ("aov",), NOV, (), None,
     {"filters": {"customer_type": ("new",)}}),
    ("What was the average value of a returning customer's order in Q3?", ("aov",), Q3, (),
     None, {"filters": {"customer_type": ("returning",)}}),
    ("How many orders came from new customers versus existing ones last month?", ("orders",),
     NOV, ("customer_type",), None, {}),
    # product codes as a dimension; counts and bottom ranks
    ("按货号看上个月的销量", ("units",), NOV, ("sku",), None, {}),
    ("Which 4 stock codes sold the most units last month?", ("units",), NOV, ("sku",),
     ("top", 4), {}),
    ("三季度订单数垫底的两个国家", ("orders",), Q3, ("country",), ("bottom", 2), {}),
    ("11月销售额最高的两天", ("gmv",), NOV, ("day",), ("top", 2), {}),
    # exclusions: a list, a word after the value, "leaving … out", product codes
    ("除了英国和德国以外，上个月的订单数", ("orders",), NOV, (), None,
     {"exclude": {"country": ("United Kingdom", "Germany")}}),
    ("Orders last month, excluding the UK, France and Germany", ("orders",), NOV, (), None,
     {"exclude": {"country": ("United Kingdom", "France", "Germany")}}),
    ("上个月西班牙、法国之外的销售额", ("gmv",), NOV, (), None,
     {"exclude": {"country": ("Spain", "France")}}),
    ("英国不算，上个月的销售额", ("gmv",), NOV, (), None,
     {"exclude": {"country": ("United Kingdom",)}}),
    ("How many orders did we take last month, leaving Spain out?", ("orders",), NOV, (), None,
     {"exclude": {"country": ("Spain",)}}),
    ("除了英国，法国上个月的订单数", ("orders",), NOV, (), None,
     {"exclude": {"country": ("United Kingdom",)}, "filters": {"country": ("France",)}}),
    ("Revenue in Q3 without StockCode POST", ("gmv",), Q3, (), None,
     {"exclude": {"sku": ("POST",)}}),
    ("上个月的销售额，不算货号 DOT", ("gmv",), NOV, (), None, {"exclude": {"sku": ("DOT",)}}),
    ("三季度卖得最多的3个商品（按件数），运输费用（POST）除外", ("units",), Q3, ("sku",),
     ("top", 3), {"exclude": {"sku": ("POST",)}}),
    ("上个月85123A的销售额", ("gmv",), NOV, (), None, {"filters": {"sku": ("85123A",)}}),
    # guests: the words of the guest phrase name who bought, not the metric
    ("上个月游客的订单一共卖了多少钱", ("gmv",), NOV, (), None,
     {"filters": {"customer_type": ("guest",)}}),
    ("How much did guest buyers spend in Q3?", ("gmv",), Q3, (), None,
     {"filters": {"customer_type": ("guest",)}}),
    ("How many guest orders did we get last month?", ("orders",), NOV, (), None,
     {"filters": {"customer_type": ("guest",)}}),
]


@pytest.mark.parametrize("question, metrics, span, by, rank, extra", CASES,
                         ids=[c[0] for c in CASES])
def test_reading(question, metrics, span, by, rank, extra):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert not isinstance(q, AskBack), q
    assert q.metrics == metrics
    assert (str(q.period.start), str(q.period.end)) == span
    assert q.by == by and q.rank == rank
    for key, value in extra.items():
        if key == "compare_start":
            assert str(q.compare.start) == value
        else:
            assert getattr(q, key) == value, key


@pytest.mark.parametrize("question", [
    "最近卖得怎么样", "How are we doing?", "哪个商品最好", "Which country is best?",
    "上次大促的销售额", "sales during the last campaign",
    # no metric, but about the store: which metric?
    "How is France performing?", "How are things going in Spain?", "西班牙上个月",
    # losing customers is measured several ways
    "Are we losing buyers?", "客户在减少吗", "顾客流失严重吗",
])
def test_open_questions_are_asked_back(question):
    assert isinstance(read(question, AS_OF, Vocabulary(), VALUES), AskBack)


@pytest.mark.parametrize("question", [
    "哪些客户流失了", "Which customers did we lose this year?", "去年买过今年没买的客户有哪些",
    "What's the weather like?",
])
def test_questions_beyond_the_metrics_are_refused(question):
    assert isinstance(read(question, AS_OF, Vocabulary(), VALUES), Unread)


def test_a_name_word_matches_the_name_each_line_was_sold_under(shop):
    """A product renamed over time counts where a line's own name has the word; a line with
    no name of its own has its product's."""
    from shopkeeper import ask

    with shop.transaction() as con:
        con.execute("UPDATE order_lines SET title = 'RED HEART MUG' WHERE order_id = 'o1' "
                    "AND product_id = 'B'")
        con.execute("UPDATE products SET title = 'HEART TOY' WHERE product_id = 'A'")
    answer = ask.ask(shop, 'How many units of products with "HEART" in the name did we sell '
                     "in January 2024?", as_of=dt.date(2024, 2, 29))
    # o1: 2 A (no line name: "HEART TOY") + 1 B sold as "RED HEART MUG"; o2: 3 A, B unnamed
    assert answer.value == 6
