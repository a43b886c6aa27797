"""How the reader reads merchant phrasings, written apart from bench/ask/ (a second set, so a
rule tuned to one wording shows here): each question → the metric query it must become."""

from __future__ import annotations

import datetime as dt

import pytest

from shopkeeper.ask.reader import AskBack, StoreValues, read
from shopkeeper.ask.vocabulary import Vocabulary

AS_OF = dt.date(2011, 12, 9)
VALUES = StoreValues(countries=["United Kingdom", "France", "EIRE", "Germany", "Spain"],
                     product_ids={"85123A", "22423"})
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
])
def test_open_questions_are_asked_back(question):
    assert isinstance(read(question, AS_OF, Vocabulary(), VALUES), AskBack)
