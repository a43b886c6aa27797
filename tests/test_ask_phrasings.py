"""How the reader reads merchant phrasings, written apart from bench/ask/ (a second set, so a
rule tuned to one wording shows here): each question → the metric query it must become."""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import replace

import pandas as pd
import pytest

from shopkeeper import metrics
from shopkeeper.ask.periods import Period
from shopkeeper.ask.query import AskQuery
from shopkeeper.ask.reader import AskBack, StoreValues, Unread, read
from shopkeeper.ask.vocabulary import Vocabulary

AS_OF = dt.date(2011, 12, 9)
VALUES = StoreValues(countries=["United Kingdom", "France", "EIRE", "Germany", "Spain"],
                     product_ids={"85123A", "22423", "POST", "DOT"},
                     product_names="\n".join([
                         "WHITE HANGING HEART T-LIGHT HOLDER", "RED HANGING HEART T-LIGHT HOLDER",
                         "JUMBO BAG RED RETROSPOT", "LUNCH BAG RED RETROSPOT",
                         "REGENCY CAKESTAND 3 TIER", "PICK UP STICKS GAME"]),
                     home_country="United Kingdom")
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
    ("How much money did we make selling in Q3?", ("gmv",), Q3, (), None, {}),
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
    # named days, weeks and seasons
    ("上周三的订单数", ("orders",), ("2011-11-30", "2011-11-30"), (), None, {}),
    ("Revenue last Wednesday", ("gmv",), ("2011-11-30", "2011-11-30"), (), None, {}),
    ("周二卖了多少钱", ("gmv",), ("2011-12-06", "2011-12-06"), (), None, {}),
    ("本周二和上周二的订单数对比", ("orders",), ("2011-12-06", "2011-12-06"), (), None,
     {"compare_start": "2011-11-29"}),
    ("上周一共卖了多少钱", ("gmv",), ("2011-11-28", "2011-12-04"), (), None, {}),
    ("Orders the week before last", ("orders",), ("2011-11-21", "2011-11-27"), (), None,
     {"compare": None}),
    ("上上周的客单价", ("aov",), ("2011-11-21", "2011-11-27"), (), None, {}),
    ("五天前的销售额", ("gmv",), ("2011-12-04", "2011-12-04"), (), None, {}),
    ("How many orders came in two days ago?", ("orders",), ("2011-12-07", "2011-12-07"), (),
     None, {}),
    ("万圣节那天的订单数", ("orders",), ("2011-10-31", "2011-10-31"), (), None, {}),
    ("Units sold on Halloween 2011", ("units",), ("2011-10-31", "2011-10-31"), (), None, {}),
    ("去年平安夜的销售额", ("gmv",), ("2010-12-24", "2010-12-24"), (), None, {}),
    ("Autumn (September to November) orders versus summer", ("orders",),
     ("2011-09-01", "2011-11-30"), (), None, {"compare_start": "2011-06-01"}),
    ("10月上旬的销量跟下旬比", ("units",), ("2011-10-21", "2011-10-31"), (), None,
     {"compare_start": "2011-10-01"}),
    ("昨天的订单和去年的今天相比", ("orders",), ("2011-12-08", "2011-12-08"), (), None,
     {"compare": "year"}),
    # the store's home country: abroad and domestic
    ("海外客户上个月贡献了多少销售额", ("gmv",), NOV, (), None,
     {"exclude": {"country": ("United Kingdom",)}}),
    ("What were overseas sales in Q3?", ("gmv",), Q3, (), None,
     {"exclude": {"country": ("United Kingdom",)}}),
    ("国内订单上个月有多少", ("orders",), NOV, (), None,
     {"filters": {"country": ("United Kingdom",)}}),
    # codes listed in brackets, "orders" naming which orders, money said with a verb
    ("三季度销售额，不含运费类（POST、DOT）", ("gmv",), Q3, (), None,
     {"exclude": {"sku": ("POST", "DOT")}}),
    ("Q3 revenue leaving out the fees (POST, DOT)", ("gmv",), Q3, (), None,
     {"exclude": {"sku": ("POST", "DOT")}}),
    ("三季度法国订单的客单价", ("aov",), Q3, (), None, {"filters": {"country": ("France",)}}),
    ("Units per order on French orders in Q3", ("units_per_order",), Q3, (), None,
     {"filters": {"country": ("France",)}}),
    ("How much did German shoppers buy last month?", ("gmv",), NOV, (), None,
     {"filters": {"country": ("Germany",)}}),
    ("How much did we bring in during Q3?", ("gmv",), Q3, (), None, {}),
    ("上个月接了几张单子", ("orders",), NOV, (), None, {}),
    ("Revenue by new vs returning customers last month", ("gmv",), NOV, ("customer_type",),
     None, {}),
    # Black Friday, weekends, runs of weekdays, the first ten days, listed months
    ("黑五的销售额", ("gmv",), ("2011-11-25", "2011-11-25"), (), None, {}),
    ("Orders on Cyber Monday 2010", ("orders",), ("2010-11-29", "2010-11-29"), (), None, {}),
    ("Revenue by day in Black Friday week", ("gmv",), ("2011-11-21", "2011-11-27"), ("day",),
     None, {}),
    ("这个周末的订单数", ("orders",), ("2011-12-10", "2011-12-11"), (), None, {}),
    ("上周二到周四的客单价", ("aov",), ("2011-11-29", "2011-12-01"), (), None, {}),
    ("Units Tuesday to Thursday last week", ("units",), ("2011-11-29", "2011-12-01"), (), None,
     {}),
    ("11月前十天的订单数", ("orders",), ("2011-11-01", "2011-11-10"), (), None, {}),
    ("6月、7月、8月分别的销售额", ("gmv",), ("2011-06-01", "2011-08-31"), ("month",), None, {}),
    ("Orders in each of September, October and November", ("orders",),
     ("2011-09-01", "2011-11-30"), ("month",), None, {}),
    ("从年初到现在的件数", ("units",), YTD, (), None, {}),
    ("Customers so far this month versus this time last year", ("customers",),
     ("2011-12-01", "2011-12-09"), (), None, {"compare": "year"}),
    # metrics said as verbs and sentences
    ("What did we make in October?", ("gmv",), ("2011-10-01", "2011-10-31"), (), None, {}),
    ("10月份扣除退款后的收入", ("net_revenue",), ("2011-10-01", "2011-10-31"), (), None, {}),
    ("Q3 revenue after refunds", ("net_revenue",), Q3, (), None, {}),
    ("三季度退回去多少钱", ("refunds",), Q3, (), None, {}),
    ("上个月每张订单里平均有多少件", ("units_per_order",), NOV, (), None, {}),
    ("今年每个月新增了多少顾客", ("new_customers",), YTD, ("month",), None, {}),
    ("上个月下单最频繁的3个客户", ("orders",), NOV, ("customer",), ("top", 3), {}),
    ("How many of 22423 did we sell last month?", ("units",), NOV, (), None,
     {"filters": {"sku": ("22423",)}}),
    ("上个月卖了多少个", ("units",), NOV, (), None, {}),
    ("法国、德国加起来占上个月销售额多少", ("gmv",), NOV, (), None,
     {"share": True, "filters": {"country": ("France", "Germany")}}),
    ("上个月的销售额里新客贡献了几成", ("gmv",), NOV, (), None,
     {"share": True, "filters": {"customer_type": ("new",)}}),
    # product words: checked against the store's product names
    ("上个月 RETROSPOT 卖了多少件", ("units",), NOV, (), None,
     {"name_words": ("RETROSPOT",)}),
    ("How many orders included a jumbo bag last month?", ("orders",), NOV, (), None,
     {"name_words": ("JUMBO BAG",)}),
    ("Revenue from any regency cakestand in Q3", ("gmv",), Q3, (), None,
     {"name_words": ("REGENCY CAKESTAND",)}),
    ("How many customers did we pick up last month?", ("customers",), NOV, (), None,
     {"name_words": ()}),
    ("How many lunch bags did we sell last month?", ("units",), NOV, (), None,
     {"name_words": ("LUNCH BAG",)}),
    ("Top 3 RETROSPOT products by revenue in Q3", ("gmv",), Q3, ("sku",), ("top", 3),
     {"name_words": ("RETROSPOT",)}),
    ("Top 2 cakestand items by units last month", ("units",), NOV, ("sku",), ("top", 2),
     {"name_words": ("CAKESTAND",)}),
    # a product word in brackets or "in the name", several words long
    ("午餐袋（LUNCH BAG）上个月卖了多少件", ("units",), NOV, (), None,
     {"name_words": ("LUNCH BAG",)}),
    ("Units of cake stands (CAKESTAND in the name) last month", ("units",), NOV, (), None,
     {"name_words": ("CAKESTAND",)}),
    # distinct products and countries; customers who came back within the period
    ("上个月卖出了多少种商品", ("products_sold",), NOV, (), None, {}),
    ("How many different products did we sell in Q3?", ("products_sold",), Q3, (), None, {}),
    ("今年有几个国家下过单", ("countries",), YTD, (), None, {}),
    ("How many countries ordered from us last month?", ("countries",), NOV, (), None, {}),
    ("上个月买过不止一次的顾客有多少", ("repeat_customers",), NOV, (), None, {}),
    ("How many customers bought at least twice in Q3?", ("repeat_customers",), Q3, (), None,
     {}),
    ("三季度买过不止一次的客户占比", ("repeat_purchase_rate",), Q3, (), None, {}),
    ("ringed-up takings? no: what did we ring up last month", ("gmv",), NOV, (), None, {}),
    ("上个月的进账", ("gmv",), NOV, (), None, {}),
    ("上个月出了多少货", ("units",), NOV, (), None, {}),
    ("上个月一共下了几次单", ("orders",), NOV, (), None, {}),
    ("三季度的接单量", ("orders",), Q3, (), None, {}),
    ("Who was our biggest spender in Q3?", ("gmv",), Q3, ("customer",), ("top", 1), {}),
    ("上个月的爆款前三是哪些（按件数）", ("units",), NOV, ("sku",), ("top", 3), {}),
    ("Last month's top 5 best sellers by revenue", ("gmv",), NOV, ("sku",), ("top", 5), {}),
    ("How many units did we ship in Q3?", ("units",), Q3, (), None, {}),
    # merchant words, and shapes a sixth question set taught (in other words here)
    ("上个月走了多少货", ("units",), NOV, (), None, {}),
    ("How many pieces went out the door in Q3?", ("units",), Q3, (), None, {}),
    ("What was the average ticket last month?", ("aov",), NOV, (), None, {}),
    ("三季度的单均件数", ("units_per_order",), Q3, (), None, {}),
    ("上个月来了多少客人", ("customers",), NOV, (), None, {}),
    ("How many new faces did we see in Q3?", ("new_customers",), Q3, (), None, {}),
    ("上个月动销的货号有多少", ("products_sold",), NOV, (), None, {}),
    ("What was the refund bill last month?", ("refunds",), NOV, (), None, {}),
    ("Q3 的前五大金主", ("gmv",), Q3, ("customer",), ("top", 5), {}),
    ("上个月卖得最好的三款（按件数）", ("units",), NOV, ("sku",), ("top", 3), {}),
    ("Last month's top three sellers by revenue", ("gmv",), NOV, ("sku",), ("top", 3), {}),
    ("法国、德国、西班牙上个月各有多少订单", ("orders",), NOV, ("country",), None,
     {"filters": {"country": ("France", "Germany", "Spain")}}),
    ("Rank France, Germany and Spain by sales last month", ("gmv",), NOV, ("country",),
     ("top", 1000), {"filters": {"country": ("France", "Germany", "Spain")}}),
    ("货号85123A上个月每周卖了几件", ("units",), NOV, ("week",), None,
     {"filters": {"sku": ("85123A",)}}),
    ("How many units of 22423, the regency cakestand, did we move last month?", ("units",),
     NOV, (), None, {"filters": {"sku": ("22423",)}}),
    ("What did the REGENCY line bring in last month?", ("gmv",), NOV, (), None,
     {"name_words": ("REGENCY",)}),
    ("三季度英国以外下了不止一单的客户有几个", ("repeat_customers",), Q3, (), None,
     {"exclude": {"country": ("United Kingdom",)}}),
    ("How many customers placed two or more orders last month?", ("repeat_customers",), NOV,
     (), None, {}),
    ("Overseas orders only: what was the average ticket last month?", ("aov",), NOV, (), None,
     {"exclude": {"country": ("United Kingdom",)}}),
    ("Last month, how much did new and returning customers each spend?", ("gmv",), NOV,
     ("customer_type",), None, {}),
    ("三季度每天的笔单价", ("aov",), Q3, ("day",), None, {}),
    ("Counting only returning customers' orders, what was the average ticket in Q3?",
     ("aov",), Q3, (), None, {"filters": {"customer_type": ("returning",)}}),
    ("Units per order from new customers, people buying for the first time, last month",
     ("units_per_order",), NOV, (), None, {"filters": {"customer_type": ("new",)}}),
    # days of the week kept, not one day: "on Fridays", "每个星期五", "weekends"
    ("上个月每个星期五加起来的销售额", ("gmv",), NOV, (), None,
     {"filters": {"weekday": ("Friday",)}}),
    ("Sales on Saturdays last month", ("gmv",), NOV, (), None,
     {"filters": {"weekday": ("Saturday",)}}),
    ("三季度周末加起来的订单占多少", ("orders",), Q3, (), None,
     {"share": True, "filters": {"weekday": ("Saturday", "Sunday")}}),
    ("What share of Q3 revenue came in at weekends?", ("gmv",), Q3, (), None,
     {"share": True, "filters": {"weekday": ("Saturday", "Sunday")}}),
    ("Friday takings: were October's Fridays higher or lower than September's?", ("gmv",),
     ("2011-10-01", "2011-10-31"), (), None,
     {"filters": {"weekday": ("Friday",)}, "compare_start": "2011-09-01"}),
    ("9月的星期二，订单数和8月的星期二比怎么样", ("orders",), ("2011-09-01", "2011-09-30"), (), None,
     {"filters": {"weekday": ("Tuesday",)}, "compare_start": "2011-08-01"}),
    ("上周二的订单数", ("orders",), ("2011-11-29", "2011-11-29"), (), None, {"filters": {}}),
    # per customer; one customer named by id; "aside"; "slowest"
    ("三季度的人均消费", ("spend_per_customer",), Q3, (), None, {}),
    ("What was revenue per customer last month?", ("spend_per_customer",), NOV, (), None, {}),
    ("上个月平均每个顾客下了几单", ("orders_per_customer",), NOV, (), None, {}),
    ("How many orders did the typical French customer place in Q3?", ("orders_per_customer",),
     Q3, (), None, {"filters": {"country": ("France",)}}),
    ("Orders per head by month in Q3", ("orders_per_customer",), Q3, ("month",), None, {}),
    ("顾客号 12346 上个月买了多少钱", ("gmv",), NOV, (), None,
     {"filters": {"customer": ("12346",)}}),
    ("How many orders did customer 17850 place in Q3?", ("orders",), Q3, (), None,
     {"filters": {"customer": ("17850",)}}),
    ("客户2011年第三季度的订单数", ("orders",), Q3, (), None, {"filters": {}}),  # a year, no id
    ("Putting the UK aside, which 3 countries bought the most units last month?", ("units",),
     NOV, ("country",), ("top", 3), {"exclude": {"country": ("United Kingdom",)}}),
    ("Which two countries were slowest for orders last month?", ("orders",), NOV,
     ("country",), ("bottom", 2), {}),
    # counting the products, customers or countries past a threshold
    ("How many customers spent more than 500 last month?", ("gmv",), NOV, ("customer",), None,
     {"over": (">", 500.0)}),
    ("上个月销量超过500件的货号有几个", ("units",), NOV, ("sku",), None, {"over": (">", 500.0)}),
    ("三季度下单至少3次的客户有多少", ("orders",), Q3, ("customer",), None,
     {"over": (">=", 3.0)}),
    ("How many countries bought less than £1,000 in Q3?", ("gmv",), Q3, ("country",), None,
     {"over": ("<", 1000.0)}),
    # the top N taken together; the days traded as the grain; days restated in brackets;
    # the same days of another month; a named week compared whole
    ("What share of September's orders did the 5 customers with the most orders place "
     "between them?", ("orders",), ("2011-09-01", "2011-09-30"), ("customer",), ("top", 5),
     {"share": True, "each": False}),
    ("上个月的交易日里哪五天销售额最低", ("gmv",), NOV, ("day",), ("bottom", 5), {}),
    ("Orders over the two weeks to 14 November (1st to 14th) vs the two weeks before?",
     ("orders",), ("2011-11-01", "2011-11-14"), (), None, {"compare": "previous"}),
    ("units in early September (1st to 10th) compared with the same days of August", ("units",),
     ("2011-09-01", "2011-09-10"), (), None,
     {"compare_start": "2011-08-01", "compare_end": "2011-08-10"}),
    ("this week vs last week, orders", ("orders",), ("2011-12-05", "2011-12-09"), (), None,
     {"compare_start": "2011-11-28", "compare_end": "2011-12-04"}),
    ("去年12月中旬（11号到20号）每天的件数", ("units",), ("2010-12-11", "2010-12-20"), ("day",),
     None, {"compare": None}),
    ("上周出了多少单", ("orders",), ("2011-11-28", "2011-12-04"), (), None, {}),
    # one set of days against another in the same period; days joined by 和 are one set
    ("10月周末的订单数跟工作日比怎么样", ("orders",), ("2011-10-01", "2011-10-31"), (), None,
     {"filters": {"weekday": ("Saturday", "Sunday")},
      "compare_filters": {"weekday": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")},
      "compare": None}),
    ("Q3 sales: Saturdays vs Sundays", ("gmv",), Q3, (), None,
     {"filters": {"weekday": ("Saturday",)}, "compare_filters": {"weekday": ("Sunday",)}}),
    ("10月份礼拜三的营业额加起来，跟礼拜四比差多少", ("gmv",), ("2011-10-01", "2011-10-31"), (), None,
     {"filters": {"weekday": ("Wednesday",)}, "compare_filters": {"weekday": ("Thursday",)},
      "compare": None}),
    # money said as "made the most money"; two countries and "which of them"; "top customer"
    ("Which 3 products made the most money last month?", ("gmv",), NOV, ("sku",), ("top", 3), {}),
    ("英国和法国三季度谁的销售额高", ("gmv",), Q3, ("country",), None,
     {"filters": {"country": ("United Kingdom", "France")}}),
    ("Who was the top customer by orders in Q3?", ("orders",), Q3, ("customer",), ("top", 1), {}),
    # whose money ("德国客户花了"); the share of repeat buyers is the repeat-purchase rate
    ("上个月德国客户花了多少钱", ("gmv",), NOV, (), None, {"filters": {"country": ("Germany",)}}),
    ("德国客户上个月花了多少", ("gmv",), NOV, (), None, {"filters": {"country": ("Germany",)}}),
    ("上个月新客、老客，人均各花了多少", ("spend_per_customer",), NOV, ("customer_type",), None, {}),
    ("上个月新客平均花了多少", ("spend_per_customer",), NOV, (), None,
     {"filters": {"customer_type": ("new",)}}),
    ("上个月每单平均消费多少", ("aov",), NOV, (), None, {}),  # per order, not per customer
    ("Which 3 SKUs have overseas orders taken the most units of in Q3?", ("units",), Q3, ("sku",),
     ("top", 3), {"exclude": {"country": ("United Kingdom",)}}),
    ("Q3: what's the share of repeat buyers?", ("repeat_purchase_rate",), Q3, (), None,
     {"share": False}),
    # batch 8's lessons, in other words: items per order; accounts; a customer id said
    # before 客户; guests' share; new customers of a country; which single week; one country
    # against another; each Saturday one by one
    ("上个月一单多少件", ("units_per_order",), NOV, (), None, {}),
    ("10月第一个工作日的件单价", ("unit_price",), ("2011-10-03", "2011-10-03"), (), None,
     {"filters": {}}),  # a working day named, not Monday to Friday as a filter
    ("Which 2 accounts by GMV led in Q3?", ("gmv",), Q3, ("customer",), ("top", 2), {}),
    ("17850这位客户上个月下了几单", ("orders",), NOV, (), None,
     {"filters": {"customer": ("17850",)}}),
    ("上季度没有客户编号的散单贡献了百分之多少的订单", ("orders",), Q3, (), None,
     {"share": True, "filters": {"customer_type": ("guest",)}}),
    ("How many new French customers did we win in Q3?", ("new_customers",), Q3, (), None,
     {"filters": {"country": ("France",)}}),
    ("How many repeat German buyers did we have in Q3?", ("repeat_customers",), Q3, (), None,
     {"filters": {"country": ("Germany",)}}),
    ("Over Q3, which single week had the most orders?", ("orders",), Q3, ("week",), ("top", 1),
     {}),
    ("France vs Germany: AOV in Q3", ("aov",), Q3, (), None,
     {"filters": {"country": ("France",)}, "compare_filters": {"country": ("Germany",)}}),
    ("How far behind the UK was France on orders in Q3?", ("orders",), Q3, (), None,
     {"filters": {"country": ("France",)}, "compare_filters": {"country": ("United Kingdom",)}}),
    ("10月每个星期六，各卖了多少件", ("units",), ("2011-10-01", "2011-10-31"), ("day",), None,
     {"filters": {"weekday": ("Saturday",)}}),
    ("上个月周六和周日的订单", ("orders",), NOV, (), None,
     {"filters": {"weekday": ("Saturday", "Sunday")}, "compare_filters": {}}),
    ("unit volume last month", ("units",), NOV, (), None, {}),
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
        if key in ("compare_start", "compare_end"):
            assert str(getattr(q.compare, key.removeprefix("compare_"))) == value
        else:
            assert getattr(q, key) == value, key


OPEN_QUESTIONS = [
    "最近卖得怎么样", "How are we doing?", "哪个商品最好", "Which country is best?",
    "上次大促的销售额", "sales during the last campaign",
    # no metric, but about the store: which metric?
    "How is France performing?", "How are things going in Spain?", "西班牙上个月",
    # losing customers is measured several ways
    "Are we losing buyers?", "客户在减少吗", "顾客流失严重吗",
    # one product said while several names hold the words
    "How many units did the hanging heart t-light holder sell in Q3?",
    # money or units; an average over which days; how big is big; which countries are a region
    "How much did we sell in Q3?", "上个月日均销售额是多少", "How many large orders came in last week?",
    "亚洲市场上个月的订单数",
    # basket size (money or items per order); an average price (per order or per item)
    "上周平均每个购物篮多大", "What was the basket size in Q3?", "三季度的均价",
    "What was the average price in Q3?",
    # before or after refunds; which customers are regulars; what is slow; when the year starts
    "三季度的收入是多少", "What was our income in Q3?", "上个月有多少熟客", "How many regulars came back last month?",
    "哪些商品卖不动", "Which products are slow movers?", "What are orders for the fiscal year to date?",
    "How many orders came in during the last week of last month?",
    # a season without its months: whole months, from the solstice, or by 节气?
    "秋天的客单价", "What was revenue this autumn?",
    "What was our sales volume in Q3?",
    # a customer pointed at but never named; a share of customers, orders or sales?
    "我们那位VIP客户上周买了多少钱", "How much has that regular client spent this year?",
    "本季度新客占比是多少", "Q3: what was the new-customer share?",
    # the year's first or last week: seven days, or a Monday-to-Sunday (ISO) week?
    "2010年第一周来了多少单", "GMV in the last week of 2010",
    # against which baseline; profit or money taken?
    "这个月的订单量比往常多吗", "Were November's orders higher than usual?", "上个月每单能赚多少",
    # whole months or a rolling window; which days end a month; which days last year
    "最近三个月的销售额", "sales in the last 3 months", "月底那几天的订单", "orders at the end of the month",
    "去年这个时候的销售额", "How were sales this time last year?",
    # money or items per order, the noun unsaid
    "What was the average per order in October?", "10月平均每单多少",
    # "biggest" customer with another measure asked: biggest by spend, or by orders?
    "How many orders has our biggest customer placed this year?", "我们最大的客户今年下了几单",
    "上个月海外卖得最好的那个国家，客单价多少", "Last month's best overseas market - what was its average order value?",
    # this week is not over: against the same days of last week, or all of it?
    "这周销售额周环比多少", "How's this week's takings looking week on week?",
]


@pytest.mark.parametrize("question", OPEN_QUESTIONS)
def test_open_questions_are_asked_back(question):
    assert isinstance(read(question, AS_OF, Vocabulary(), VALUES), AskBack)


@pytest.mark.parametrize("question", OPEN_QUESTIONS)
def test_a_choice_offered_back_settles_what_it_asked(question):
    # the faces ask again with the choice added to the question: it must not ask the same
    back = read(question, AS_OF, Vocabulary(), VALUES)
    for choice in (*back.choices_en, *back.choices_zh):
        again = read(f"{question} {choice}", AS_OF, Vocabulary(), VALUES)
        assert not (isinstance(again, AskBack) and again.reason_en == back.reason_en), choice


@pytest.mark.parametrize(("question", "span"), [
    ("What was revenue this autumn? whole months: spring Mar–May, summer Jun–Aug, autumn Sep–Nov, "
     "winter Dec–Feb", ("2011-09-01", "2011-11-30")),
    ("秋天的客单价 按二分二至（秋天：9月23日至12月21日）", ("2011-09-23", "2011-12-21")),
    ("秋天的客单价 按节气（秋天：立秋到立冬，约8月8日至11月7日）", ("2011-08-08", "2011-11-07")),
    ("2010年冬天的订单 按整月：春3–5月、夏6–8月、秋9–11月、冬12–2月", ("2010-12-01", "2011-02-28")),
    ("What are orders for the fiscal year to date? 1 April", ("2011-04-01", "2011-12-09")),
    ("上个财年的销售额 7月1日", ("2010-07-01", "2011-06-30")),
    ("GMV in the last week of 2010 the first or last 7 days of the year", ("2010-12-25", "2010-12-31")),
    ("2010年第一周来了多少单 第一个或最后一个完整的周（周一至周日）", ("2010-01-04", "2010-01-10")),
    ("上个月第二周的订单 从1号数起的7天（第二周：8号到14号）", ("2011-11-08", "2011-11-14")),
    ("上个月第二周的订单 当月完整的一周（周一至周日）", ("2011-11-14", "2011-11-20")),
    ("How many orders came in during the last week of last month? a whole week of the month "
     "(Monday to Sunday)", ("2011-11-21", "2011-11-27")),
    ("最近三个月的销售额 最近几个完整的自然月", ("2011-09-01", "2011-11-30")),
    ("sales in the last 3 months a rolling window of days ending today", ("2011-09-10", "2011-12-09")),
    ("月底那几天的订单 月底最后3天", ("2011-11-28", "2011-11-30")),
    ("去年这个时候的销售额 去年同月", ("2010-12-01", "2010-12-31")),
    ("How were sales this time last year? the same 7 days last year", ("2010-12-03", "2010-12-09")),
    # the words of a choice with no vague period before them are the question's own
    ("How many orders since 1 April", ("2011-04-01", "2011-12-09")),
    ("sales from 1 January to 1 July", ("2011-01-01", "2011-07-01")),
])
def test_a_chosen_way_of_counting_settles_the_period(question, span):
    # the choice is no period of its own: "the first or last 7 days" is not the last 7 days
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery), q
    assert (str(q.period.start), str(q.period.end)) == span


@pytest.mark.parametrize("question", ["上个月31号的订单", "How many orders on 31 November 2011?"])
def test_a_day_that_does_not_exist_is_refused_by_name(question):
    reading = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(reading, Unread) and "31" in reading.reason


@pytest.mark.parametrize(("question", "metric"), [
    ("What was the basket size in Q3? units per order", "units_per_order"),
    ("上周平均每个购物篮多大 客单价", "aov"),
    ("What was our sales volume in Q3? units sold", "units"),  # not sales and units
    ("How many products were in an average order last month? distinct products per order",
     "products_per_order"),
    ("上个月平均每张订单有几个商品 连带率（每单件数）", "units_per_order"),
])
def test_a_chosen_metric_is_the_metric_read(question, metric):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.metrics == (metric,), q


@pytest.mark.parametrize(("question", "over"), [
    ("How many large orders came in last week? orders above 1,000 in value", (">", 1000.0)),
    ("How many large orders came in last week? orders of at least 100 units", (">=", 100.0)),
    ("上周有多少大单？金额超过 1000 的订单", (">", 1000.0)),
    ("上周有多少大单？100 件及以上的订单", (">=", 100.0)),
    ("How many orders of 100 units or more came in last week?", (">=", 100.0)),
    ("How many orders came in last week with £1,000 or more?", (">=", 1000.0)),
    ("上周有多少金额超过1000的订单", (">", 1000.0)),
])
def test_a_big_order_chosen_or_said_in_either_order_counts_orders_past_it(question, over):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.by == ("order",) and q.over == over, q
    assert q.period.start == dt.date(2011, 11, 28)


@pytest.mark.parametrize("question", [
    "8月份平均一张订单里有几种不同的货（按货号算）", "In August, how many different SKUs did an average order contain?",
    "8月每单几种商品", "August basket breadth", "SKUs per order in August",
])
def test_kinds_of_product_per_order_are_not_pieces(question):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.metrics == ("products_per_order",) and not q.by, q
    assert q.period.start == dt.date(2011, 8, 1)


@pytest.mark.parametrize("question", [
    "上个月平均每张订单有几个商品", "How many products were in an average order last month?",
])
def test_products_in_an_order_asks_pieces_or_kinds(question):
    back = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(back, AskBack) and "distinct products per order" in back.choices_en


@pytest.mark.parametrize("question", [
    "Which customers did we lose this year?",  # lost in the year: which window of no orders?
    # one-time buyers; returning customers who lapsed; products not sold
    "which customers never ordered again after their first order", "3月的老客有多少后来再也没来过",
    "Which products haven't sold in the last 30 days?", "哪些商品最近一个月一件都没卖出去",
    "What's the weather like?",
    # customers in two periods at once; a ranking kept to groups past a minimum
    "How many shoppers ordered in both September and October?", "9月和10月都买过的客户有几个",
    "三季度客单价最高的国家（订单数至少50）",
    "Which product had the best refund rate with at least 100 orders in Q3?",
    # a band of values of no group said; customers of both periods of a span; customers of one
    # period also found in another, under a filter; one side against the other
    "Sales between £50 and £200 this year?",  # a band of whose values? (orders, customers …)
    "How many customers ordered in both October and November?",
    "10月法国的客户里有几成9月也买过",
    "85123A今年英国的件数是英国以外的几倍",
])
def test_questions_beyond_the_metrics_are_refused(question):
    assert isinstance(read(question, AS_OF, Vocabulary(), VALUES), Unread)


@pytest.mark.parametrize("question", ["哪个国家掉得最厉害", "Which product grew the most?"])
def test_a_ranking_by_change_without_a_metric_asks_which_metric(question):
    assert isinstance(read(question, AS_OF, Vocabulary(), VALUES), AskBack)


@pytest.mark.parametrize(("question", "rank", "rank_by", "by", "compare"), [
    ("三季度比二季度，订单数增长最快的是哪五个商品", ("top", 5), "change_pct", ("sku",), "Q2"),
    ("Which 5 products' units rose the most in Q3 vs Q2?", ("top", 5), "change", ("sku",), "Q2"),
    ("上个月哪个国家的销售额跌得最多", ("bottom", 1), "change", ("country",), "previous"),
    ("which customers' spend dropped the most last month", ("bottom", 10), "change",
     ("customer",), "previous"),
])
def test_a_ranking_by_change_ranks_each_group_by_its_change(question, rank, rank_by, by,
                                                            compare):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery), q
    assert q.rank == rank and q.rank_by == rank_by and q.by == by
    assert (q.compare.start.month == 4) if compare == "Q2" else q.compare == compare
    q.check(set(metrics.METRICS))


def test_a_ranking_by_change_counts_a_group_gone_from_one_period(shop):
    from shopkeeper import ask

    # orders by channel: January 2024 web 1, app 1; February web 2 (o4 cancelled), app none
    fell = ask.ask(shop, "Which channel's orders fell the most in February 2024 vs January 2024?",
                   as_of=dt.date(2024, 2, 29))
    assert fell.kind == "table" and fell.rows[0][0] == "app", fell.rows
    assert fell.columns == ["channel", "orders", "orders_prev", "orders_change",
                            "orders_change_pct"]
    assert fell.rows[0][1:4] == [0, 1, -1] and "fell the most" in fell.text
    # units by product: A 5 → 1, B 2 → 2
    rose = ask.ask(shop, "2024年2月比1月，件数增长最多的两个商品", as_of=dt.date(2024, 2, 29))
    assert [r[0] for r in rose.rows] == ["B", "A"] and "增加最多" in rose.text


@pytest.mark.parametrize(("question", "share"), [
    ("10月的客户里有几成9月也买过", True),
    ("What share of October's buyers had also bought in September?", True),
    ("How many of October's customers had also ordered in September?", False),
])
def test_customers_also_found_in_another_period(question, share):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery), q
    assert q.metrics == ("customers",) and q.share is share
    assert q.period.start == dt.date(2011, 10, 1) and q.also_in.start == dt.date(2011, 9, 1)
    q.check(set(metrics.METRICS))


@pytest.mark.parametrize(("question", "share", "listed", "base", "window"), [
    # a window up to today: the customers who ordered before it and not in it
    ("哪些客户最近90天没下过单", False, True, (None, "2011-09-10"), ("2011-09-11", "2011-12-09")),
    ("How many customers haven't ordered since October?", False, False, (None, "2011-09-30"),
     ("2011-10-01", "2011-12-09")),
    ("有多少客户三个月没下单了", False, False, (None, "2011-09-09"), ("2011-09-10", "2011-12-09")),
    ("What share of our buyers have not placed an order for 2 months?", True, False,
     (None, "2011-10-09"), ("2011-10-10", "2011-12-09")),
    # two periods: the one the negation governs has no order
    ("5月下过单的客户里，6月一单都没再下的占多少", True, False, ("2011-05-01", "2011-05-31"),
     ("2011-06-01", "2011-06-30")),
    ("customers who ordered in Q1 but not in Q2", False, False, ("2011-01-01", "2011-03-31"),
     ("2011-04-01", "2011-06-30")),
    ("Of November's shoppers, how many had not ordered in October?", False, False,
     ("2011-11-01", "2011-11-30"), ("2011-10-01", "2011-10-31")),
    ("去年买过今年没买的客户有哪些", False, True, ("2010-01-01", "2010-12-31"),
     ("2011-01-01", "2011-12-09")),
    # one period and no order after it
    ("how many customers who bought in March never came back", False, False,
     ("2011-03-01", "2011-03-31"), ("2011-04-01", "2011-12-09")),
    # a past window alone: every customer on record against it
    ("How many customers didn't order in November?", False, False, (None, None),
     ("2011-11-01", "2011-11-30")),
    ("Count the shoppers who bought in September yet placed nothing in October", False, False,
     ("2011-09-01", "2011-09-30"), ("2011-10-01", "2011-10-31")),
    ("9月下过单、10月却一次没买的买家有几个", False, False, ("2011-09-01", "2011-09-30"),
     ("2011-10-01", "2011-10-31")),
])
def test_customers_without_an_order_in_a_period_are_the_lapsed(question, share, listed, base,
                                                                window):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery), q
    assert q.metrics == ("customers",) and q.share is share and q.by == (
        ("customer",) if listed else ())
    iso = lambda d: d.isoformat() if d else None  # noqa: E731
    assert (iso(q.period.start), iso(q.period.end)) == base
    assert (iso(q.not_in.start), iso(q.not_in.end)) == window
    q.check(set(metrics.METRICS))


@pytest.mark.parametrize("question", [
    "What were October's units from buyers who hadn't ordered in September?",
    "上个月那些9月没下过单的客户，10月一共买了多少件",  # 上个月 and 10月: one period, said twice
])
def test_a_metric_of_the_customers_without_an_order_in_another_period(question):
    q = read(question, AS_OF.replace(month=11, day=15), Vocabulary(), VALUES)
    assert isinstance(q, AskQuery), q
    assert q.metrics == ("units",) and q.period.start == dt.date(2011, 10, 1)
    assert q.not_in.start == dt.date(2011, 9, 1) and q.not_in.end == dt.date(2011, 9, 30)
    q.check(set(metrics.METRICS))


@pytest.mark.parametrize("question", [
    "下半年还回来买东西的，占上半年客户的几成",
    "What share of Q2's buyers came back and ordered again in Q3?",
])
def test_customers_who_came_back_are_customers_also_found_in_another_period(question):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.also_in is not None and q.share, q


@pytest.mark.parametrize("question", [
    "有哪些老客户好久没来下单了", "Which of our regulars haven't ordered in ages?", "哪些客户流失了",
    "which customers have gone quiet lately?", "有哪些买家很久没来买了",
    "卖了多少？",  # money or units, as "how much did we sell?"
])
def test_a_lapse_with_no_window_is_asked_back(question):
    back = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(back, AskBack), back


def test_a_lapse_asked_back_is_answered_once_a_window_is_chosen():
    for question, lang in (("哪些客户流失了", "zh"), ("Which customers have churned?", "en")):
        back = read(question, AS_OF, Vocabulary(), VALUES)
        assert isinstance(back, AskBack)
        choices = back.choices_zh if lang == "zh" else back.choices_en
        q = read(f"{question} {choices[1]}", AS_OF, Vocabulary(), VALUES)
        assert isinstance(q, AskQuery) and q.not_in.start == dt.date(2011, 9, 11), (choices, q)


def test_the_lapsed_customers_are_counted_and_listed(shop):
    from shopkeeper import ask

    # January 2024: c1 and c2 ordered; February: c1 (c3's order was cancelled)
    count = ask.ask(shop, "How many customers haven't ordered since February 2024?",
                    as_of=dt.date(2024, 2, 29))
    assert count.kind == "number" and count.value == 1 and count.unit == "count", count.text
    assert "Of the 2 customers who ordered up to 2024-01-31, 1 (50.00%)" in count.text
    assert any(d.startswith("Customers who placed no order: those who ordered up to 2024-01-31")
               for d in count.definitions), count.definitions
    share = ask.ask(shop, "2024年1月下过单的客户里，2月没再下单的占多少", as_of=dt.date(2024, 2, 29))
    assert share.value == pytest.approx(0.5) and share.unit == "ratio", share.text
    listed = ask.ask(shop, "Which customers have not ordered since February 2024?",
                     as_of=dt.date(2024, 2, 29))
    assert listed.kind == "table" and [r[0] for r in listed.rows] == ["c2"], listed.rows
    assert listed.columns[0] == "customer" and "gmv" in listed.columns
    # February 2024's units from customers with no January order: c3's was cancelled, so none
    units = ask.ask(shop, "February 2024 units from customers who hadn't ordered in January 2024",
                    as_of=dt.date(2024, 2, 29))
    assert units.kind == "number" and units.value in (0, None), units.text
    units = ask.ask(shop, "January 2024 units from customers who didn't order in February 2024",
                    as_of=dt.date(2024, 2, 29))
    assert units.kind == "number" and units.value == 4, units.text  # c2's o2: 3 A and 1 B


@pytest.mark.parametrize("question", [
    "Which customers haven't ordered in the last 90 days?",
    "Of November's customers, what % had also ordered in October?",
    "11月比10月，销售额涨得最多的三个国家", "上个月有多少单在100到500镑之间",
])
def test_a_query_survives_its_json_form(question):
    from shopkeeper.ask.query import query_from_dict

    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery), q
    assert query_from_dict(q.to_dict()) == q  # a follow-up reads the query back from JSON


def test_the_share_of_customers_also_found_in_another_period_is_computed(shop):
    from shopkeeper import ask

    # January 2024: c1 and c2 ordered; February: c1 (c3's order was cancelled)
    jan = ask.ask(shop, "2024年1月的客户里，有几成2月也买过", as_of=dt.date(2024, 2, 29))
    assert jan.kind == "number" and jan.value == pytest.approx(0.5), jan.text
    assert "2 个客户中，有 1 个" in jan.text
    feb = ask.ask(shop, "How many of February 2024's customers had also ordered in January 2024?",
                  as_of=dt.date(2024, 2, 29))
    assert feb.value == 1 and feb.unit == "count", feb.text


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


def test_abroad_without_a_home_country_is_asked_back():
    """No country holds most orders: "abroad" has no meaning until the merchant says which
    country is home."""
    values = StoreValues(countries=["France", "Germany", "Spain"])
    answer = read("How many orders came from abroad last month?", AS_OF, Vocabulary(), values)
    assert isinstance(answer, AskBack) and "France" in answer.choices


def test_a_capitals_word_no_product_name_holds_is_not_a_filter():
    q = read("上个月 ZEBRA 卖了多少件", AS_OF, Vocabulary(), VALUES)
    assert not isinstance(q, AskBack | Unread) and q.name_words == ()


def test_days_of_the_week_are_answered_from_the_data(shop):
    from shopkeeper import ask

    # January 2024: o1 on Friday the 5th, o2 on Saturday the 20th
    share = ask.ask(shop, "What share of orders in January 2024 came in at weekends?",
                    as_of=dt.date(2024, 2, 29))
    assert share.kind == "number" and share.value == pytest.approx(0.5)
    assert "weekends" in share.text
    fridays = ask.ask(shop, "2024年1月所有星期五加起来的订单数", as_of=dt.date(2024, 2, 29))
    assert fridays.value == 1 and "星期五" in fridays.text


def test_products_and_customers_past_a_threshold_are_counted(shop):
    from shopkeeper import ask

    # January 2024: A sold 2 + 3 units, B 1 + 1; c1 spent 45.50, c2 50.00
    products = ask.ask(shop, "How many products sold more than 3 units in January 2024?",
                       as_of=dt.date(2024, 2, 29))
    assert products.kind == "number" and products.value == 1
    assert "1 of 2 products" in products.text
    customers = ask.ask(shop, "2024年1月消费至少50元的客户有几个", as_of=dt.date(2024, 2, 29))
    assert customers.value == 1 and customers.metric_query["over"] == [">=", 50.0]


def test_spend_and_orders_per_customer_leave_guests_out(shop):
    with shop.transaction() as con:  # a guest order in January: no customer, so in neither
        con.execute("UPDATE orders SET customer_id = NULL WHERE order_id = 'o2'")
    jan = metrics.query(shop, ["spend_per_customer", "orders_per_customer", "gmv"],
                        start="2024-01-01", end="2024-01-31").df.iloc[0]
    assert jan["spend_per_customer"] == pytest.approx(2 * 10.00 + 25.50)  # c1's o1 alone
    assert jan["orders_per_customer"] == pytest.approx(1.0)
    assert jan["gmv"] == pytest.approx(45.50 + 50.00)  # the guest order still sold
    feb = metrics.query(shop, "orders_per_customer", start="2024-02-01", end="2024-02-29").df
    assert feb["orders_per_customer"].iloc[0] == pytest.approx(2.0)  # c1: o3 and o5


def test_each_day_is_compared_with_the_day_as_far_into_the_other_period(shop):
    from shopkeeper import ask

    # o3 on 3 February; January's only early order, o1, on the 5th: no order on 3 January
    answer = ask.ask(shop, "Orders each day, 1 to 10 February 2024, against the same days of "
                     "January", as_of=dt.date(2024, 2, 29))
    assert answer.kind == "table" and answer.columns[:2] == ["day", "orders"]
    assert [(str(r[0]), r[1], r[2]) for r in answer.rows] == [("2024-02-03", 1.0, None)]


def test_an_open_question_about_a_day_without_sales_says_so_instead_of_asking(shop):
    from shopkeeper import ask

    answer = ask.ask(shop, "How did we do on 14 January 2024?", as_of=dt.date(2024, 2, 29))
    assert answer.kind != "ask_back" and answer.value in (None, 0)
    assert ask.ask(shop, "How did we do on 20 January 2024?",
                   as_of=dt.date(2024, 2, 29)).kind == "ask_back"


def test_a_set_of_days_is_compared_with_another_in_the_same_period(shop):
    from shopkeeper import ask

    # January 2024: o1 on Friday the 5th, o2 on Saturday the 20th
    answer = ask.ask(shop, "Orders in January 2024 at weekends against weekdays (Mon-Fri)?",
                     as_of=dt.date(2024, 2, 29))
    assert answer.kind == "number" and (answer.value, answer.previous) == (1, 1)
    assert answer.change_pct == 0 and "Monday to Friday" in answer.text
    assert answer.metric_query["compare_filters"] == {
        "weekday": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]}
    again = ask.ask(shop, "那二月呢？", previous=answer.metric_query, as_of=dt.date(2024, 2, 29))
    assert again.metric_query["compare_filters"] == answer.metric_query["compare_filters"]


def test_days_before_the_first_order_have_no_data_not_zero(shop):
    from shopkeeper import ask

    # the orders run from 5 January to 25 February 2024
    before = ask.ask(shop, "How many orders did we take in December 2023?",
                     as_of=dt.date(2024, 2, 29))
    assert before.kind == "number" and before.value is None
    assert "2024-01-05" in before.text and "2024-02-25" in before.text
    year_ago = ask.ask(shop, "Orders in February 2024 against the same month a year earlier",
                       as_of=dt.date(2024, 2, 29))
    assert year_ago.value == 2 and year_ago.previous is None and year_ago.change_pct is None
    inside = ask.ask(shop, "How many orders did we take on 14 January 2024?",
                     as_of=dt.date(2024, 2, 29))
    assert inside.value == 0  # a day inside the record without an order: honestly none


# pieces of the phrasings above, and broken ones: impossible days and weeks, unclosed brackets
_PIECES = ["上个月", "第41周到第45周", "（7号到20号）", "(27-31 Dec)", "the week of 14 November",
           "昨天加今天", "Q3的", "父亲节", "最后一个工作日", "the first week of 2010", "(1st to 35th)",
           "weeks 45 to 41", "荷兰比澳洲", "France vs Germany", "Sundays", "工作日（周一到周五）",
           "周六和周日", "比", "vs", "销售额", "orders", "AOV", "占比", "between them", "top 3",
           "12415这个客户", "那个客户", "跟平时比", "in both", "每个礼拜天，各",
           "the back half of November", "9月后半个月", "去年最后一天", "2011年第一周", "和", "than",
           "beat", "（", "）", "(", ")", "0号到99号", "第0周到第99周", "week 0", "2月30号",
           "the last business day of February 2012"]


@pytest.mark.parametrize("seed", range(3))
def test_any_mix_of_phrasings_is_read_without_an_error(seed):
    rng = random.Random(seed)
    for _ in range(60):
        question = "".join(rng.choice(_PIECES) + rng.choice(["", " ", "，"])
                           for _ in range(rng.randint(1, 6)))
        reading = read(question, AS_OF, Vocabulary(), VALUES)
        assert isinstance(reading, AskQuery | AskBack | Unread), question
        if isinstance(reading, AskQuery) and reading.metrics:
            reading.check(set(metrics.METRICS))  # never a name the metrics do not have


def test_a_table_sentence_names_the_filters_it_was_computed_under(shop):
    from shopkeeper import ask

    # January 2024: o1 (web) on Friday the 5th, o2 (app) on Saturday the 20th
    answer = ask.ask(shop, "Orders on each Saturday of January 2024", as_of=dt.date(2024, 2, 29))
    assert answer.kind == "table" and [str(r[0]) for r in answer.rows] == ["2024-01-20"]
    assert "(Saturdays)" in answer.text


@pytest.mark.parametrize(("question", "metric", "op", "number"), [
    ("How many orders were over £500 last month?", "gmv", ">", 500),
    ("上个月金额超过500元的订单有几个", "gmv", ">", 500),
    ("上个月单笔金额超过500镑的订单有几单？", "gmv", ">", 500),
    ("How many orders had more than 100 units in November?", "units", ">", 100),
    ("上个月超过1000的订单有多少", "gmv", ">", 1000),
])
def test_orders_past_a_value_are_counted_by_order(question, metric, op, number):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery), q
    assert (q.metrics, q.by, q.over) == ((metric,), ("order",), (op, number))
    assert (q.period.start.isoformat(), q.period.end.isoformat()) == NOV


def test_orders_past_a_number_of_orders_are_not_one_order():
    """"订单超过5单的客户": customers past five orders, not an order past a size."""
    q = read("上个月订单超过5单的客户有几个", AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.by == ("customer",) and q.over == (">", 5)


@pytest.mark.parametrize(("question", "filters", "exclude"), [
    ("What was the value of order 536365?", {"order": ("536365",)}, {}),
    ("536365那一单卖了多少钱", {"order": ("536365",)}, {}),
    ("What was order #1001 worth?", {"order": ("1001",)}, {}),
    ("订单号 TB2024001 卖了多少钱", {"order": ("TB2024001",)}, {}),
    ("把581483那一单刨掉，上个月的客单价是多少？", {}, {"order": ("581483",)}),
    ("Leaving out order 581483, what was last month's AOV?", {}, {"order": ("581483",)}),
    # a number that is one of the store's product codes is that product
    ("把22423那一单刨掉，上个月的客单价是多少？", {}, {"sku": ("22423",)}),
])
def test_one_order_is_named_by_its_number(question, filters, exclude):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery), q
    assert (q.filters, q.exclude) == (filters, exclude)


@pytest.mark.parametrize("question", ["订单12月的数量", "Orders in 2011 by month",
                                      "order Q3 sales"])
def test_numbers_that_are_no_order_are_not_read_as_one(question):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert not isinstance(q, AskQuery) or "order" not in q.filters


@pytest.mark.parametrize("question", [
    "What percentage of last month's orders carried a POST (postage) line?",
    "What share of last month's orders included POST (postage)?",
    "Sales of POST last month",
])
def test_a_code_said_plainly_or_glossed_is_the_code(question):
    """"POST (postage)", "a POST line", "sales of POST": the store's code POST, not every
    product whose name holds the letters."""
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery), q
    assert q.filters == {"sku": ("POST",)} and q.name_words == ()


def test_a_part_of_a_longer_period_of_new_customers_is_no_ask_back():
    """"今年的新客里，下半年来的占多少": new customers of H2 within the year's, not a share to
    ask about."""
    for question in ("今年的新客里，有多大比例是下半年才来的？",
                     "What fraction of this year's new customers came in the second half?"):
        q = read(question, AS_OF, Vocabulary(), VALUES)
        assert isinstance(q, AskQuery) and q.metrics == ("new_customers",) and q.share
        assert isinstance(q.compare, Period)  # which holds which is the answer's to see
        assert {q.period.start, q.compare.start} == {dt.date(2011, 1, 1), dt.date(2011, 7, 1)}


@pytest.mark.parametrize(("question", "metric"), [
    ("22423 那款蛋糕架，上半年卖了几块？", "units"), ("上个月卖了几块钱", "gmv"),
    ("今年卖出去的 HEART 里，22423 占了几成", "units")])
def test_measure_words_count_pieces_and_money_is_money(question, metric):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.metrics == (metric,)


def test_orders_are_counted_past_a_value_and_named_by_number(shop):
    from shopkeeper import ask

    as_of = dt.date(2024, 2, 29)
    # January 2024: o1 is worth 45.50 (2 × 10.00 + 25.50), o2 50.00
    over = ask.ask(shop, "How many orders in January 2024 were over 45?", as_of=as_of)
    assert over.value == 2
    at_least = ask.ask(shop, "How many orders in January 2024 were at least 50?", as_of=as_of)
    assert at_least.value == 1
    one = ask.ask(shop, "What was order o1 worth?", as_of=as_of)
    assert one.kind == "number" and one.value == pytest.approx(45.50)
    assert "o1" in one.text
    without = ask.ask(shop, "Leaving out order o2, how many units did we sell in January 2024?",
                      as_of=as_of)
    assert without.value == 3
    missing = ask.ask(shop, "What was order o99 worth?", as_of=as_of)
    assert missing.value is None and "o99" in missing.text


def test_a_products_share_within_the_name_words_is_of_those_products(shop):
    """"Of the HEART products, B's share": the whole is the named products, not the store."""
    from shopkeeper import ask

    with shop.transaction() as con:
        for table in ("products", "order_lines", "refunds", "sku_suppliers"):
            con.execute(f"UPDATE {table} SET product_id = 'B1000' WHERE product_id = 'B'")
        con.execute("UPDATE products SET title = 'HEART MUG' WHERE product_id = 'B1000'")
        con.execute("UPDATE products SET title = 'HEART TOY' WHERE product_id = 'A'")
    shop.insert_df("products", pd.DataFrame([{"product_id": "C", "title": "TOY CAR",
                                             "category": "toys", "currency": "EUR"}]))
    shop.insert_df("order_lines", pd.DataFrame([{
        "order_id": "o1", "line_number": 3, "product_id": "C", "quantity": 5,
        "unit_price": 1.0, "discount_amount": 0.0, "line_amount": 5.0, "currency": "EUR"}]))
    answer = ask.ask(shop, 'Of the products with "HEART" in the name, what share of January '
                     "2024's units was B1000?", as_of=dt.date(2024, 2, 29))
    # January's HEART units: A 2 + 3, B1000 1 + 1 (the 5 TOY CARs are not of the whole)
    assert answer.value == pytest.approx(2 / 7)


def test_two_countries_said_with_a_difference_are_compared():
    for question in ("今年法国和德国的客单价差了多少",
                     "What's the gap between France and Germany on AOV this year?"):
        q = read(question, AS_OF, Vocabulary(), VALUES)
        assert isinstance(q, AskQuery), q
        assert (q.filters, q.compare_filters) == ({"country": ("France",)},
                                                  {"country": ("Germany",)}), question


@pytest.mark.parametrize(("question", "customer"), [
    ("冰岛那位客户12347，今年平均一单花多少钱", "12347"),
    ("14911 这个爱尔兰大客户，下半年以来的下单次数", "14911")])
def test_a_customer_pointed_at_and_numbered_is_that_customer(question, customer):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.filters["customer"] == (customer,)


def test_the_top_customer_pointed_at_by_a_superlative_is_ranked_not_asked_back():
    q = read("下半年到现在，德国花钱最多的那个客户占了德国销售额的几成", AS_OF, Vocabulary(),
             VALUES)
    assert isinstance(q, AskQuery) and q.rank == ("top", 1) and q.by == ("customer",) and q.share


@pytest.mark.parametrize("question", ["Which Monday in November had the most orders?",
                                      "上个月哪个礼拜一单子最多"])
def test_which_monday_ranks_the_mondays(question):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.filters == {"weekday": ("Monday",)}
    assert q.by == ("day",) and q.rank == ("top", 1) and q.metrics == ("orders",)


@pytest.mark.parametrize("question", ["今年的新用户里，英国以外的占多少",
                                      "What fraction of this year's new customers came from "
                                      "outside the UK?"])
def test_a_share_among_new_customers_is_of_new_customers(question):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.share and q.metrics == ("new_customers",)
    assert q.exclude == {"country": ("United Kingdom",)}


@pytest.mark.parametrize(("question", "over"), [
    ("上个月金额不到20镑的小单有几张", ("<", 20)),
    ("What share of this year's customers placed just one order this year?", ("<", 2)),
    ("今年下过单的客户里，全年只下了一单的占多少", ("<", 2))])
def test_small_orders_and_one_order_customers_are_counted(question, over):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.over == over
    assert q.by == (("order",) if over[1] == 20 else ("customer",))


@pytest.mark.parametrize("question", [
    "上个月新客贡献了多少？", "How much did new customers contribute last month?",
    "上个月卖了多少个单品？", "How many lines did we sell last month?"])
def test_contributions_and_lines_without_a_measure_are_asked_back(question):
    assert isinstance(read(question, AS_OF, Vocabulary(), VALUES), AskBack)


def test_customers_split_into_new_and_returning_count_each_customer_once(shop):
    """c1's first order (5 January) makes c1 new in January–February, although c1 ordered
    again in February: each customer is counted once, and the rows add up."""
    from shopkeeper import ask

    answer = ask.ask(shop, "Customers from January to February 2024 split into new and "
                     "returning: how many of each?", as_of=dt.date(2024, 2, 29))
    rows = {r[0]: r[1] for r in answer.rows}
    assert rows["new"] == 2 and rows.get("returning", 0) == 0


@pytest.mark.parametrize(("question", "metric", "rank"), [
    ("Mar-May: which month had the worst return rate?", "refund_rate", ("top", 1)),
    ("Which country had the worst AOV last month?", "aov", ("bottom", 1))])
def test_the_worst_of_a_metric_where_lower_is_better_is_the_highest(question, metric, rank):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.metrics == (metric,) and q.rank == rank


@pytest.mark.parametrize(("question", "over", "filters"), [
    ("德国今年1500镑以上的单子有几张", (">", 1500), {"country": ("Germany",)}),
    ("How many German orders over £1.5k this year?", (">", 1500), {"country": ("Germany",)})])
def test_orders_past_a_value_said_after_it_or_in_thousands(question, over, filters):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.over == over and q.by == ("order",)
    assert q.filters == filters


@pytest.mark.parametrize(("question", "customers", "by"), [
    ("18102、13694、13089 这三个客户7月往后各买了多少钱", ("18102", "13694", "13089"), ("customer",)),
    ("Spend since 1 July for customers 18102, 13694 and 13089, each?",
     ("18102", "13694", "13089"), ("customer",)),
    ("17949和17511这俩客户今年一共下了几单", ("17949", "17511"), ())])
def test_customers_listed_by_id(question, customers, by):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.filters["customer"] == customers and q.by == by


@pytest.mark.parametrize("question", ["Give me last month's sales ranking", "上个月销售额排个名",
                                      "What's our priciest product?", "最贵的商品是哪个"])
def test_a_ranking_of_nothing_and_the_priciest_are_asked_back(question):
    assert isinstance(read(question, AS_OF, Vocabulary(), VALUES), AskBack)


def test_a_region_with_its_countries_listed_is_those_countries():
    q = read("中东那几个国家（法国、德国）今年各订了多少件", AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.filters == {"country": ("France", "Germany")}


def test_a_product_word_in_brackets_after_its_chinese_name():
    q = read("上个月下单的客户里，买过心形挂灯（HEART）的占多少", AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.name_words == ("HEART",) and q.share


@pytest.mark.parametrize(("question", "metrics", "by"), [
    ("今年哪三个国家的客户平均下单次数最多", ("orders_per_customer",), ("country",)),
    ("Which three countries' customers ordered most often on average this yr?",
     ("orders_per_customer",), ("country",)),
    ("上周四平均每张订单多少金额", ("aov",), ()),
    ("1月10号到16号那个礼拜，一共给客人退了多少钱", ("refunds",), ()),
    ("11月哪个礼拜出货量最大", ("units",), ("week",)),
    ("Nov pcs for SKUs 85123A, 22423?", ("units",), ("sku",)),
])
def test_per_customer_measures_refunds_to_customers_and_which_week(question, metrics, by):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and (q.metrics, q.by) == (metrics, by)


def test_two_countries_said_with_gen_bi_are_compared():
    q = read("今年法国的出货件数跟德国比差多少", AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery)
    assert (q.filters, q.compare_filters) == ({"country": ("France",)}, {"country": ("Germany",)})


def test_each_named_groups_share_of_what_is_left_after_an_exclusion(shop):
    """"Of web sales, each of A's and B's share": the whole is everything but what is left
    out, not just the groups named."""
    from shopkeeper.ask.answer import run

    shop.insert_df("order_lines", pd.DataFrame([{
        "order_id": "o1", "line_number": 3, "product_id": "C", "quantity": 5,
        "unit_price": 1.0, "discount_amount": 0.0, "line_amount": 5.0, "currency": "EUR"}]))
    january = Period(dt.date(2024, 1, 1), dt.date(2024, 1, 31), "January 2024", "2024年1月")
    q = AskQuery(("gmv",), january, by=("sku",), filters={"sku": ("A", "B")},
                 exclude={"channel": ("app",)}, share=True, each=True)
    answer = run(shop, q, Vocabulary(), as_of=dt.date(2024, 2, 29))
    shares = {row[0]: row[-1] for row in answer.rows}
    # January on the web (o1): A 20.00, B 25.50, C 5.00; o2 came through the app
    assert shares["A"] == pytest.approx(20 / 50.5) and shares["B"] == pytest.approx(25.5 / 50.5)


@pytest.mark.parametrize("question", ["这个月头5个工作日一共出了多少pcs",
                                      "How many pcs went out in the first 5 working days of this "
                                      "month?"])
def test_the_first_working_days_of_a_month_are_its_days_monday_to_friday(question):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.metrics == ("units",)
    # December 2011 starts on a Thursday: the 1st, 2nd, 5th, 6th and 7th
    assert (str(q.period.start), str(q.period.end)) == ("2011-12-01", "2011-12-07")
    assert q.filters == {"weekday": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")}


@pytest.mark.parametrize("question", ["How many days in February 2024 did we sell anything?",
                                      "2024年2月有几天出了单"])
def test_days_with_a_sale_are_counted_out_of_the_calendar_days(shop, question):
    """February 2024: sales on the 3rd and the 25th (o4 on the 10th was cancelled)."""
    from shopkeeper import ask

    answer = ask.ask(shop, question, as_of=dt.date(2024, 2, 29))
    assert answer.value == 2
    assert ("29" in answer.text) and answer.metric_query["by"] == ["day"]


@pytest.mark.parametrize(("question", "value"), [
    # January 2024: o1 45.50, o2 50.00; only o2 is over 46
    ("What % of January 2024 sales came from orders over €46?", 50 / 95.5),
    ("2024年1月金额超过46元的订单贡献了百分之多少的销售额", 50 / 95.5),
    ("What share of January 2024 orders were over €46?", 1 / 2)])
def test_a_share_past_a_value_is_of_the_metric_when_the_metric_is_the_whole(shop, question,
                                                                              value):
    from shopkeeper import ask

    answer = ask.ask(shop, question, as_of=dt.date(2024, 2, 29))
    assert answer.unit == "ratio" and answer.value == pytest.approx(value)


@pytest.mark.parametrize(("question", "dim", "pair"), [
    ("Who spent more last month, 18102 or 13694, and by how much?", "customer",
     ("18102", "13694")),
    ("18102和13694上个月谁花的钱多，多多少", "customer", ("18102", "13694")),
    ("上个月新客的客单价比老客高还是低", "customer_type", ("new", "returning")),
    ("Did returning customers' orders run larger on average than new customers' last month?",
     "customer_type", ("returning", "new"))])
def test_two_customers_or_new_and_returning_set_against_each_other(question, dim, pair):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.by == ()
    assert (q.filters[dim], q.compare_filters[dim]) == ((pair[0],), (pair[1],))


def test_the_ranking_metric_after_by_is_no_split_of_each_share():
    q = read("Top 5 products by units last month: what % of all units is that?", AS_OF,
             Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.share and not q.each and q.rank == ("top", 5)


def test_dang_yue_after_a_month_is_that_month():
    q = read("上个月卖得最好的5个商品，占当月销售额的多少", AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.compare is None
    assert (str(q.period.start), str(q.period.end)) == NOV


@pytest.mark.parametrize(("question", "filters", "exclude"), [
    ("85123A今年卖出去的件数里，英国以外占几成", {"sku": ("85123A",)},
     {"country": ("United Kingdom",)}),
    ("Of the 85123A units sold this year, what share went to France?",
     {"sku": ("85123A",), "country": ("France",)}, {})])
def test_a_share_within_a_product_named_first_keeps_the_product_in_the_whole(question, filters,
                                                                            exclude):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.share and q.whole_dims == ("sku",)
    assert (q.filters, q.exclude) == (filters, exclude)


def test_the_whole_of_a_share_within_a_product_is_that_product(shop):
    """January 2024: A sold 5 units (2 on the web, 3 in the app); the app's share of A."""
    from shopkeeper.ask.answer import run

    january = Period(dt.date(2024, 1, 1), dt.date(2024, 1, 31), "January 2024", "2024年1月")
    q = AskQuery(("units",), january, filters={"sku": ("A",)}, exclude={"channel": ("web",)},
                 share=True, whole_dims=("sku",))
    answer = run(shop, q, Vocabulary(), as_of=dt.date(2024, 2, 29))
    assert answer.value == pytest.approx(3 / 5)


@pytest.mark.parametrize("question", ["上周的销售额里，周末两天占了多少",
                                      "What share of last week's sales came in over the weekend?"])
def test_the_weekend_as_a_part_of_a_week(question):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.share and q.filters == {"weekday": ("Saturday", "Sunday")}
    assert (str(q.period.start), str(q.period.end)) == ("2011-11-28", "2011-12-04")



VALUES_EU = StoreValues(countries=["United Kingdom", "Belgium", "Netherlands", "Germany", "Austria",
                                   "Switzerland", "France"],
                        product_ids={"85123A", "22423", "23203"}, home_country="United Kingdom")


@pytest.mark.parametrize(("question", "countries"), [
    ("Benelux orders last month", ("Belgium", "Netherlands")),
    ("上个月比荷卢的销售额", ("Belgium", "Netherlands")),
    ("DACH sales in Q3", ("Germany", "Austria", "Switzerland"))])
def test_a_named_group_of_countries_is_its_countries_the_store_has(question, countries):
    q = read(question, AS_OF, Vocabulary(), VALUES_EU)
    assert isinstance(q, AskQuery) and q.filters == {"country": countries}


@pytest.mark.parametrize(("question", "over", "by"), [
    ("上个月买了5单及以上的客户有几个", (">=", 5), ("customer",)),
    ("How many buyers made 4+ purchases last month?", (">=", 4), ("customer",)),
    ("上个月单笔超过1000件的大单有几张", (">", 1000), ("order",))])
def test_at_least_n_and_a_big_order_with_its_size_said_are_counted(question, over, by):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.over == over and q.by == by


@pytest.mark.parametrize("question", ["上个月法国的销售额，除去12680这个客户",
                                      "France's sales last month excluding customer 12680"])
def test_a_customer_named_after_an_exclusion_word_is_left_out(question):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.exclude == {"customer": ("12680",)}
    assert q.filters == {"country": ("France",)}


@pytest.mark.parametrize("question", ["85123A和22423这两款今年谁卖得多，多几件",
                                      "This year, which moved more units, 85123A or 22423, and by "
                                      "how many?"])
def test_two_products_set_against_each_other(question):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.metrics == ("units",)
    assert (q.filters, q.compare_filters) == ({"sku": ("85123A",)}, {"sku": ("22423",)})


@pytest.mark.parametrize(("question", "metrics", "by", "rank"), [
    ("客户12680今年每个月下了几单", ("orders",), ("month",), None),
    ("上个月金额最大的一笔订单是多少", ("gmv",), ("order",), ("top", 1)),
    ("What was the largest single order in November?", ("gmv",), ("order",), ("top", 1)),
    ("第四季度哪三周的单量最高", ("orders",), ("week",), ("top", 3)),
    ("Which 3 months this year had the lowset AOV?", ("aov",), ("month",), ("bottom", 3)),
    ("上个月的新客里，花钱最多的是哪两位", ("gmv",), ("customer",), ("top", 2))])
def test_one_customers_months_the_largest_order_and_which_n_weeks(question, metrics, by, rank):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and (q.metrics, q.by, q.rank) == (metrics, by, rank)


@pytest.mark.parametrize("question", ["上个月的转化率是多少", "What was our conversion rate in Q3?",
                                      "平均每单的运费多少", "shipping cost per order last month",
                                      "上半年和下半年的客户重合度", "How much do Q3 and Q4 customers "
                                      "overlap?"])
def test_visits_shipping_and_overlap_are_asked_back(question):
    assert isinstance(read(question, AS_OF, Vocabulary(), VALUES), AskBack)


@pytest.mark.parametrize(("question", "metrics", "exclude"), [
    ("上个月的销售额扣掉退款，净的是多少", ("net_revenue",), {}),
    ("Last month's takings net of refunds?", ("net_revenue",), {}),
    ("AOV on International Women's Day", ("aov",), {}),
    ("Ex-UK orders last month", ("orders",), {"country": ("United Kingdom",)})])
def test_net_of_refunds_womens_day_and_ex_uk(question, metrics, exclude):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.metrics == metrics and q.exclude == exclude


@pytest.mark.parametrize("question", ["What share of all sales ever came in November 2011?",
                                      "有史以来的销售额里，今年11月占多少"])
def test_a_periods_share_of_everything_on_record(question):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.share and q.compare is not None
    assert q.compare.is_all and (str(q.period.start), str(q.period.end)) == NOV


def test_how_many_were_new_and_how_many_returning_is_a_split():
    q = read("Last month, how many of the buyers were new and how many returning?", AS_OF,
             Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.by == ("customer_type",)


@pytest.mark.parametrize("question", ["上个月老客户的订单加起来一共多少钱",
                                      "What did returning customers' orders add up to last month?"])
def test_what_orders_add_up_to_is_their_value(question):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.metrics == ("gmv",)
    assert q.filters == {"customer_type": ("returning",)}


def test_a_postage_codes_share_is_no_shipping_question():
    q = read("这个月到现在的销售额里，POST 邮费占了多少", AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.share and q.filters == {"sku": ("POST",)}


@pytest.mark.parametrize("question", [
    "What % of sales from January to February 2024 came from customers who ordered more than "
    "once?", "2024年1月到2月下了不止一单的客户，贡献了总销售额的百分之几"])
def test_the_sales_share_of_customers_past_a_number_of_orders(shop, question):
    """January–February 2024: c1 ordered three times (45.50, 51.00, 10.00), c2 once (50.00)."""
    from shopkeeper import ask

    answer = ask.ask(shop, question, as_of=dt.date(2024, 2, 29))
    assert answer.unit == "ratio" and answer.value == pytest.approx(106.5 / 156.5)


def test_customers_who_ordered_more_than_twice_are_counted():
    q = read("How many customers ordered more than twice last month?", AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.over == (">", 2) and q.by == ("customer",)


@pytest.mark.parametrize(("question", "filters", "exclude", "compare_filters", "compare_exclude"), [
    ("上个月英国客户的客单价跟海外客户比差多少", {"country": ("United Kingdom",)}, {}, {},
     {"country": ("United Kingdom",)}),
    ("Overseas orders vs domestic orders last month?", {}, {"country": ("United Kingdom",)},
     {"country": ("United Kingdom",)}, {})])
def test_home_set_against_abroad(question, filters, exclude, compare_filters, compare_exclude):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.other_side
    assert (q.filters, q.exclude) == (filters, exclude)
    assert (q.compare_filters, q.compare_exclude) == (compare_filters, compare_exclude)


@pytest.mark.parametrize("question", ["三季度英国客户的复购率比海外客户高还是低",
                                      "Q3 repeat purchase rate - UK customers vs customers abroad?"])
def test_customers_on_both_sides_are_no_second_measure(question):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.metrics == ("repeat_purchase_rate",)
    assert q.filters == {"country": ("United Kingdom",)}
    assert q.compare_exclude == {"country": ("United Kingdom",)}


@pytest.mark.parametrize(("question", "said"), [
    ("What was the gross margin this month vs last month?", "28.49 percentage points lower"),
    ("这个月的毛利率比上个月高还是低", "低 28.49 个百分点")])
def test_a_rate_compared_moves_in_points(shop, question, said):
    from shopkeeper import ask

    # February 2024: 8.50 / 35.00 = 24.29%; January: (90.00 − 42.50) / 90.00 = 52.78%
    answer = ask.ask(shop, question, as_of=dt.date(2024, 2, 29))
    assert answer.value == pytest.approx(8.5 / 35) and answer.previous == pytest.approx(47.5 / 90)
    assert said in answer.text


def test_the_other_side_swaps_the_condition_of_its_dimension(shop):
    """January 2024: the web (o1, 45.50) against everything but the web (o2 in the app, 50.00)."""
    from shopkeeper.ask.answer import run

    january = Period(dt.date(2024, 1, 1), dt.date(2024, 1, 31), "January 2024", "2024年1月")
    q = AskQuery(("gmv",), january, filters={"channel": ("web",)},
                 compare_exclude={"channel": ("web",)})
    answer = run(shop, q, Vocabulary(), as_of=dt.date(2024, 2, 29))
    assert (answer.value, answer.previous) == (pytest.approx(45.5), pytest.approx(50.0))


def test_spend_per_customer_is_no_split_by_customer():
    q = read("Q3 spend per customer for French customers?", AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.metrics == ("spend_per_customer",) and q.by == ()


def test_one_customer_named_with_yi_ge_is_no_top_one():
    q = read("今年以来，12680这一个客户占了总销售额的几成", AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.share and q.by == () and q.rank is None
    assert q.filters == {"customer": ("12680",)}


@pytest.mark.parametrize("question", [
    "上个月的新客，有多大比例当月就下了第二单",
    "What share of last month's new customers came back for a second order?",
    "上个月新客复购率占比",
])
def test_new_customers_second_order_share_is_their_repeat_rate(question):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.metrics == ("repeat_purchase_rate",)
    assert not q.share and q.filters == {"customer_type": ("new",)}
    assert (q.period.start, q.period.end) == tuple(dt.date.fromisoformat(d) for d in NOV)


@pytest.mark.parametrize(("question", "by", "top_value"), [
    ("上周最大的一笔单子是多少钱", "order", True),
    ("What was our single biggest order last week, in £?", "order", True),
    ("11月单笔最大订单金额是多少", "order", True),
    ("How much did our top customer spend last month?", "customer", True),
    ("上周哪一单最大", "order", False),
    ("Which order was the biggest last week?", "order", False),
])
def test_the_amount_of_the_top_one_or_which_one_it_is(question, by, top_value):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.metrics == ("gmv",)
    assert q.by[0] == by and q.rank == ("top", 1) and q.top_value is top_value


def test_the_top_value_answers_a_number_and_names_its_group(shop):
    """January 2024: o1 45.50 (web), o2 45.00 (app, after its 5.00 discount; GMV 50.00)."""
    from shopkeeper.ask.answer import run

    january = Period(dt.date(2024, 1, 1), dt.date(2024, 1, 31), "January 2024", "2024年1月")
    q = AskQuery(("gmv",), january, by=("order",), rank=("top", 1), top_value=True)
    answer = run(shop, q, Vocabulary(), as_of=dt.date(2024, 2, 29))
    assert (answer.kind, answer.value) == ("number", pytest.approx(50.0))
    assert "o2" in answer.text and answer.rows[0][0] == "o2"
    with pytest.raises(metrics.MetricError, match="top or bottom 1"):
        AskQuery(("gmv",), january, by=("order",), rank=("top", 3), top_value=True).check(
            set(metrics.METRICS))


TRADING = replace(VALUES, order_days=(dt.date(2010, 12, 1), dt.date(2010, 12, 22),
                                      dt.date(2011, 1, 4), dt.date(2011, 3, 1),
                                      dt.date(2011, 3, 31), dt.date(2011, 12, 9)))


@pytest.mark.parametrize(("question", "day"), [
    ("去年最后一个营业日，有几个客户来下单", "2010-12-22"),
    ("On our last trading day of 2010, how many customers placed orders?", "2010-12-22"),
    ("今年第一个营业日卖了多少钱", "2011-01-04"),
    ("What were sales on the first business day of March?", "2011-03-01"),
    ("3月最后一个交易日的订单数", "2011-03-31"),
    ("2011年开张营业的第一天卖了多少钱", "2011-01-04"),
    ("How many orders did we get on our first business day?", "2010-12-01"),
])
def test_a_trading_day_is_found_in_the_data_not_the_calendar(question, day):
    q = read(question, AS_OF, Vocabulary(), TRADING)
    assert isinstance(q, AskQuery) and len(q.metrics) == 1
    assert q.period.start == q.period.end == dt.date.fromisoformat(day)
    assert q.by == () and q.rank is None


def test_a_period_without_a_trading_day_keeps_its_days():
    q = read("2月最后一个营业日的销售额", AS_OF, Vocabulary(), TRADING)
    assert isinstance(q, AskQuery)
    assert (q.period.start, q.period.end) == (dt.date(2011, 2, 1), dt.date(2011, 2, 28))


@pytest.mark.parametrize(("question", "kept", "left_out"), [
    ("名称带HEART但不含HOLDER的商品上个月卖了多少钱", ("HEART",), ("HOLDER",)),
    ("Last month's sales of RETROSPOT lines, excluding anything with JUMBO in the name",
     ("RETROSPOT",), ("JUMBO",)),
    ("11月除了EIRE以外的销售额", (), ()),  # a country, not a word of product names
])
def test_words_of_names_left_out(question, kept, left_out):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.metrics == ("gmv",)
    assert q.name_words == kept and q.exclude_words == left_out


@pytest.mark.parametrize(("question", "metric", "filters"), [
    ("法国今年有多少单是星期六下的", "orders", {"country": ("France",), "weekday": ("Saturday",)}),
    ("How many French orders this year came in on a Saturday?", "orders",
     {"country": ("France",), "weekday": ("Saturday",)}),
    ("今年德国新开的客户有几个", "new_customers", {"country": ("Germany",)}),
    ("How many new German accounts did we open this year?", "new_customers",
     {"country": ("Germany",)}),
    ("Number of distinct countries that bought from us this year", "countries", {}),
    ("How many of 85123A did customer 17850 buy this year?", "units",
     {"customer": ("17850",), "sku": ("85123A",)}),
    ("This year's average value of first orders from French customers", "aov",
     {"country": ("France",)}),
])
def test_days_of_any_week_new_accounts_countries_and_units_of_a_code(question, metric, filters):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.metrics == (metric,)
    assert (q.period.start, q.period.end) == tuple(dt.date.fromisoformat(d) for d in YTD)
    assert {k: v for k, v in q.filters.items() if k != "customer_type"} == filters


def test_refunds_that_came_off_leave_net_revenue():
    q = read("What did we clear on 5 May once the day's refunds came off?", AS_OF, Vocabulary(),
             VALUES)
    assert isinstance(q, AskQuery) and q.metrics == ("net_revenue",)


@pytest.mark.parametrize(("question", "grain"), [
    ("Units for each of the last 6 full weeks", "week"),
    ("Refunds in each of the last 14 days?", "day"),
])
def test_each_of_the_last_n_units_is_one_row_each(question, grain):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.by == (grain,)


@pytest.mark.parametrize(("question", "metric"), [
    ("上个月的平均单值", "aov"),
    ("客户12583今年从我们这拿了多少钱的货", "gmv"),
    ("How many ordering custs did France have last month?", "customers"),
    ("今年哪个国家买的商品种类最多", "products_sold"),
    ("Which country bought the widest range of products this year?", "products_sold"),
])
def test_trade_words_for_known_metrics(question, metric):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.metrics == (metric,)


def test_a_day_of_the_week_set_against_another_is_a_comparison_of_days():
    q = read("上个月礼拜二的订单数，比礼拜四多还是少", AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.metrics == ("orders",)
    assert (q.period.start, q.period.end) == tuple(dt.date.fromisoformat(d) for d in NOV)
    assert q.filters == {"weekday": ("Tuesday",)}
    assert q.compare_filters == {"weekday": ("Thursday",)}


def test_guest_orders_have_no_customer_to_split_by():
    q = read("上个月散客订单（没有客户号的）里卖得最多的五个商品（按件数）", AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.filters == {"customer_type": ("guest",)}
    assert q.by == ("sku",) and q.rank == ("top", 5)


@pytest.mark.parametrize(("question", "days"), [
    ("今年一周中间那几天（周三到周五）下的单有多少", ("Wednesday", "Thursday", "Friday")),
    ("Orders this year early in the week (Mon-Wed)", ("Monday", "Tuesday", "Wednesday")),
])
def test_a_run_of_days_restated_in_brackets_keeps_those_days(question, days):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.metrics == ("orders",)
    assert q.filters == {"weekday": days}


@pytest.mark.parametrize(("question", "metric", "days"), [
    ("11月份平均每个出单日能接几单", "orders", "trading"),
    ("Avg orders per trading day in Nov?", "orders", "trading"),
    ("上个月有销售的日子平均每天几单", "orders", "trading"),
    ("Orders per day on average last month, counting only days with sales", "orders", "trading"),
    ("How many units did we ship per business day in Q3?", "units", "trading"),
    ("日均销售额（按营业日）上个月", "gmv", "trading"),
    ("上个月平均每个营业日卖了多少钱", "gmv", "trading"),
    ("What were our average sales per trading day last month?", "gmv", "trading"),
    ("上个月按自然日平均每天销售额多少", "gmv", "calendar"),
    ("Average daily sales last month, over every calendar day", "gmv", "calendar"),
])
def test_an_average_per_day_says_which_days_it_divides_by(question, metric, days):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.metrics == (metric,)
    assert q.per_day == days and q.by == ("day",) and q.compare is None


@pytest.mark.parametrize("question", ["上个月平均每天多少单", "average daily sales last month"])
def test_an_average_per_day_without_its_days_is_asked_back(question):
    back = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(back, AskBack) and "days with sales" in " ".join(back.choices_en)


def test_a_ratio_per_trading_day_is_refused_not_averaged():
    unread = read("average daily AOV on trading days last month", AS_OF, Vocabulary(), VALUES)
    assert isinstance(unread, Unread) and "ratio" in unread.reason


def test_an_average_per_day_divides_by_trading_or_calendar_days(shop):
    """February 2024: o3 (3rd, GMV 51.00) and o5 (25th, GMV 10.00 before its 1.00 discount), o4
    cancelled on the 10th; the
    orders on record end on the 25th, so the calendar days are the 1st to the 25th."""
    from shopkeeper.ask.answer import run

    february = Period(dt.date(2024, 2, 1), dt.date(2024, 2, 29), "February 2024", "2024年2月")
    for days, gmv_a_day, orders_a_day in (("trading", 30.5, 1.0), ("calendar", 2.44, 0.08)):
        for metric, expected in (("gmv", gmv_a_day), ("orders", orders_a_day)):
            q = AskQuery((metric,), february, by=("day",), per_day=days)
            answer = run(shop, q, Vocabulary(), as_of=dt.date(2024, 2, 29))
            assert (answer.kind, answer.value) == ("number", pytest.approx(expected)), (days, metric)
    with pytest.raises(metrics.MetricError, match="average per day"):
        AskQuery(("gmv",), february, by=("day",), per_day="trading", compare="previous").check(
            set(metrics.METRICS))


@pytest.mark.parametrize(("question", "by", "metric", "band"), [
    ("今年订单金额介于50到200英镑之间的有几单", "order", "gmv", (50, 200)),
    ("How many orders this year were between £50 and £200?", "order", "gmv", (50, 200)),
    ("上个月金额在100到500镑之间的单子有多少张", "order", "gmv", (100, 500)),
    ("上个月买了10到20单之间的客户有几个", "customer", "orders", (10, 20)),
    ("How many customers bought between 100 and 500 units last month?", "customer", "units",
     (100, 500)),
    ("11月份卖了1000到5000件之间的商品有多少个", "sku", "units", (1000, 5000)),
    ("上个月2000到3000镑之间的客户有几个", "customer", "gmv", (2000, 3000)),
    # orders said only by the count asked, after the band or before it; money said in 块
    ("上个月金额在100到500块之间的有几单", "order", "gmv", (100, 500)),
    ("上个月有多少单在100到500镑之间", "order", "gmv", (100, 500)),
])
def test_a_band_of_values_counts_the_groups_inside_it(question, by, metric, band):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.metrics[0] == metric and q.by == (by,)
    assert (q.over, q.over_to) == ((">=", band[0]), band[1])


def test_a_band_includes_both_ends(shop):
    """GMV per order: o1 45.50, o2 50.00, o3 51.00, o5 10.00 (o4 cancelled)."""
    from shopkeeper.ask.answer import run

    both = Period(dt.date(2024, 1, 1), dt.date(2024, 2, 29), "Jan-Feb 2024", "2024年1-2月")
    q = AskQuery(("gmv",), both, by=("order",), over=(">=", 45.5), over_to=50.0)
    answer = run(shop, q, Vocabulary(), as_of=dt.date(2024, 2, 29))
    assert (answer.kind, answer.value) == ("number", 2.0) and "of 4 orders" in answer.text
    share = run(shop, replace(q, share=True), Vocabulary(), as_of=dt.date(2024, 2, 29))
    assert share.value == pytest.approx(0.5)
    with pytest.raises(metrics.MetricError, match="band"):
        AskQuery(("gmv",), both, by=("order",), over=(">", 45.5), over_to=50.0).check(
            set(metrics.METRICS))


@pytest.mark.parametrize(("question", "op", "n"), [
    ("Q3至少下过3单的客户，这季度一共花了多少钱", ">=", 3.0),
    ("Customers with at least 3 orders in Q3: their total spend?", ">=", 3.0),
    ("上个月下了不止一单的那批客户一共花了多少钱", ">", 1.0),
])
def test_the_spend_of_customers_past_a_number_of_orders_is_their_total(question, op, n):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.metrics == ("orders", "gmv") and q.by == ("customer",)
    assert q.over == (op, n) and q.over_share == "metric" and not q.share


def test_the_total_of_the_groups_past_a_threshold(shop):
    """c1 ordered three times (o1 45.50, o3 51.00, o5 10.00), c2 once (o2 50.00)."""
    from shopkeeper.ask.answer import run

    both = Period(dt.date(2024, 1, 1), dt.date(2024, 2, 29), "Jan-Feb 2024", "2024年1-2月")
    q = AskQuery(("orders", "gmv"), both, by=("customer",), over=(">=", 3.0),
                 over_share="metric")
    answer = run(shop, q, Vocabulary(), as_of=dt.date(2024, 2, 29))
    assert (answer.kind, answer.value, answer.unit) == ("number", pytest.approx(106.5), "money")
    share = run(shop, replace(q, share=True), Vocabulary(), as_of=dt.date(2024, 2, 29))
    assert share.value == pytest.approx(106.5 / 156.5)


@pytest.mark.parametrize("question", [
    "2011-05-01 到 2011-05-15 之间有多少订单？", "How many orders were there between 2011-05-01 and 2011-05-15?",
    "5月1日到5月15日之间有多少订单", "How many orders between 2010 and 2011?",
])
def test_dates_and_years_are_no_band_of_values(question):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert not isinstance(q, Unread)
    if "2010" not in question:  # the two years alone: which period is asked back
        assert isinstance(q, AskQuery) and q.metrics == ("orders",)
        assert q.over is None and q.over_to is None and q.by == ()


@pytest.mark.parametrize(("question", "by", "metric", "over", "share"), [
    ("上个月的订单里，一单超过800件的占多少", "order", "units", (">", 800.0), True),
    ("上个月的订单里，超过800件的有几张", "order", "units", (">", 800.0), False),
    ("今年的客户中消费超过5000镑的有几个", "customer", "gmv", (">", 5000.0), False),
    ("上个月的商品里，卖了超过1000件的有多少个", "sku", "units", (">", 1000.0), False),
])
def test_a_threshold_after_the_groups_it_counts(question, by, metric, over, share):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.metrics[0] == metric and q.by == (by,)
    assert q.over == over and q.share is share


@pytest.mark.parametrize(("question", "by", "metric", "n"), [
    ("上个月去掉前十大客户（按消费金额），剩下的销售额是多少", "customer", "gmv", 10),
    ("Nov sales excluding our top 10 customers by spend?", "customer", "gmv", 10),
    ("Units sold this year, not counting our top five products", "sku", "units", 5),
    ("上个月除了前三个国家，其他国家的订单数", "country", "orders", 3),
])
def test_what_is_left_without_the_top_groups(question, by, metric, n):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.metrics == (metric,) and q.by == (by,)
    assert q.rank == ("top", n) and q.rest and not q.share


def test_a_ratio_left_without_the_top_groups_is_refused():
    unread = read("上个月除了前三个国家，其他国家的客单价", AS_OF, Vocabulary(), VALUES)
    assert isinstance(unread, Unread) and "比率" in unread.reason


def test_the_rest_is_the_total_less_the_top_groups(shop):
    """Jan-Feb GMV 156.50: c1 106.50 (o1, o3, o5), c2 50.00; without the top customer, 50.00;
    by order, without the top two (o3 51.00, o2 50.00), 55.50."""
    from shopkeeper.ask.answer import run

    both = Period(dt.date(2024, 1, 1), dt.date(2024, 2, 29), "Jan-Feb 2024", "2024年1-2月")
    for by, n, left in (("customer", 1, 50.0), ("order", 2, 55.5)):
        q = AskQuery(("gmv",), both, by=(by,), rank=("top", n), rest=True)
        answer = run(shop, q, Vocabulary(), as_of=dt.date(2024, 2, 29))
        assert (answer.kind, answer.value) == ("number", pytest.approx(left)), by


@pytest.mark.parametrize(("question", "whole"), [
    ("三季度带JUMBO BAG的订单，整单平均金额是多少", True),
    ("Q3 orders with a jumbo bag in them - average value of the whole order?", True),
    ("Q3 AOV of JUMBO BAG products", False),
])
def test_orders_that_hold_a_product_measured_whole(question, whole):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.metrics == ("aov",) and q.name_words == ("JUMBO BAG",)
    assert q.whole_orders is whole


def test_whole_orders_count_every_line_of_the_orders_holding_the_product(shop):
    """B is on o1 (A+B, 45.50), o2 (A+B, 50.00) and o3 (B, 51.00): whole, 146.50; B's own
    lines 96.50."""
    from shopkeeper.ask.answer import run

    both = Period(dt.date(2024, 1, 1), dt.date(2024, 2, 29), "Jan-Feb 2024", "2024年1-2月")
    q = AskQuery(("gmv",), both, filters={"sku": ("B",)}, whole_orders=True)
    answer = run(shop, q, Vocabulary(), as_of=dt.date(2024, 2, 29))
    assert answer.value == pytest.approx(146.5) and "whole orders holding B" in answer.text
    lines = run(shop, replace(q, whole_orders=False), Vocabulary(), as_of=dt.date(2024, 2, 29))
    assert lines.value == pytest.approx(96.5)
    # compared with the month before, each month measures its own orders that hold B
    february = Period(dt.date(2024, 2, 1), dt.date(2024, 2, 29), "February 2024", "2024年2月")
    both_months = run(shop, replace(q, period=february, compare="previous"), Vocabulary(),
                      as_of=dt.date(2024, 2, 29))
    assert (both_months.value, both_months.previous) == (pytest.approx(51.0), pytest.approx(95.5))


@pytest.mark.parametrize(("question", "each"), [
    ("Spend per customer this yr: NL, DE, FR and Ireland?", True),
    ("今年客单价：法国、德国、西班牙？", True),
    ("Sales this year: France, Germany and Spain combined?", False),
    ("今年法国、德国、西班牙的销售额", False),
])
def test_countries_listed_after_a_colon_are_one_row_each(question, each):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and len(q.filters["country"]) >= 3
    assert (q.by == ("country",)) is each


@pytest.mark.parametrize("question", ["What's our average customer lifetime value?",
                                      "客户终身价值是多少", "what is our LTV"])
def test_lifetime_value_is_asked_back_as_spend_so_far(question):
    back = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(back, AskBack) and "spend per customer over all the data" in back.choices_en
    for choice in (*back.choices_en, *back.choices_zh):  # every choice offered is answerable
        q = read(choice, AS_OF, Vocabulary(), VALUES)
        assert isinstance(q, AskQuery) and q.metrics == ("spend_per_customer",), choice


@pytest.mark.parametrize(("question", "by", "filters"), [
    ("Top 3 new customers last month by sales", ("customer",), {"customer_type": ("new",)}),
    ("Since the start of July, our top 3 jumbo bag buyers by units?", ("customer",), {}),
])
def test_the_people_ranked_after_top_n(question, by, filters):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.by == by and q.rank == ("top", 3)
    assert {k: v for k, v in q.filters.items() if k != "sku"} == filters


@pytest.mark.parametrize("question", ["Who were our top 5 customers last month?",
                                      "top 5 lunch bag customers last month"])
def test_top_customers_with_no_measure_ask_which_one(question):
    back = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(back, AskBack) and "rank by" in back.reason_en


def test_customers_as_the_ranking_measure_still_rank():
    q = read("top 10 countries by customers last month", AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.metrics == ("customers",) and q.by == ("country",)


@pytest.mark.parametrize(("question", "metrics_asked"), [
    ("October's orders came from how many different countries?", ("countries",)),
    ("How many different countries did October's orders come from?", ("countries",)),
    ("How many orders and how many countries in October?", ("orders", "countries")),
])
def test_the_countries_orders_came_from_are_counted_alone(question, metrics_asked):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.metrics == metrics_asked


@pytest.mark.parametrize("question", [
    "How far behind last month's full sales are we this month so far?",
    "How far ahead of last week is this week in units?",
    "How far short of last week's full order count is this week so far?",
])
def test_how_far_short_or_ahead_compares_the_later_period_with_the_earlier(question):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and isinstance(q.compare, Period), q
    assert q.period.end == AS_OF and q.compare.end < q.period.start  # the later against the earlier


def test_a_one_letter_code_counts_when_said_as_a_code(shop):
    from shopkeeper import ask

    # January 2024: product A sold 2 + 3 units, B 1 + 1
    said = ask.ask(shop, "2024年1月货号A卖了多少件", as_of=dt.date(2024, 2, 29))
    assert said.metric_query["filters"] == {"sku": ["A"]} and said.value == 5, said.text
    share = ask.ask(shop, "What share of January 2024's units went through code B?",
                    as_of=dt.date(2024, 2, 29))
    assert share.value == pytest.approx(2 / 7), share.text
    plain = ask.ask(shop, "A quick one: units in January 2024?", as_of=dt.date(2024, 2, 29))
    assert plain.metric_query["filters"] == {} and plain.value == 7, plain.text


@pytest.mark.parametrize(("question", "start", "end"), [
    ("从双十一到今天一共来了多少单", "2011-11-11", "2011-12-09"),
    ("GMV from Cyber Monday through yesterday", "2011-11-28", "2011-12-08"),
    ("units sold from 15 Nov to now", "2011-11-15", "2011-12-09"),
])
def test_a_day_joined_to_another_is_one_span(question, start, end):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.compare is None, q
    assert (q.period.start.isoformat(), q.period.end.isoformat()) == (start, end)


@pytest.mark.parametrize("question", [
    "三季度单量最多的那一天出了多少单", "What was the most units we shipped on any single day in Q3?",
])
def test_the_most_in_a_single_day_is_the_top_day_as_a_number(question):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery), q
    assert q.by == ("day",) and q.rank == ("top", 1) and q.top_value


@pytest.mark.parametrize(("question", "metric", "op", "value"), [
    ("上个月有几天销售额过了3万镑", "gmv", ">", 30000.0),
    ("How many days in October topped 2,000 units?", "units", ">", 2000.0),
    ("10月有多少天订单少于50单", "orders", "<", 50.0),
])
def test_days_past_a_daily_value_are_counted(question, metric, op, value):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery), q
    assert q.by == ("day",) and q.metrics == (metric,) and q.over == (op, value)
    q.check(set(metrics.METRICS))


@pytest.mark.parametrize("question", [
    "今年下过5单及以上的买家占几成", "What fraction of this year's buyers placed 5 or more orders?",
    "share of customers this year who bought 5 times or more",
])
def test_customers_with_a_number_of_orders_or_more(question):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery), q
    assert q.by == ("customer",) and q.over == (">=", 5.0) and q.share


@pytest.mark.parametrize("question", [
    "今年英国的销售额是德国的多少倍", "This year, UK sales as a multiple of Germany's?",
])
def test_one_value_as_a_multiple_of_another_is_set_against_it(question):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery), q
    assert q.filters == {"country": ("United Kingdom",)}
    assert q.compare_filters == {"country": ("Germany",)}


def test_a_multiple_is_said_in_the_answer(shop):
    from shopkeeper import ask

    a = ask.ask(shop, "2024年1月web渠道的单量是app的几倍", as_of=dt.date(2024, 2, 29))
    assert a.kind == "number" and a.value == 1 and a.previous == 1, a.text
    assert "是其 1.00 倍" in a.text


@pytest.mark.parametrize(("question", "rank"), [
    ("our 5 slowest days by units in November", ("bottom", 5)),
    ("上个月订单最冷清的三天", ("bottom", 3)),
])
def test_quiet_days_rank_from_the_bottom(question, rank):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery), q
    assert q.by == ("day",) and q.rank == rank


@pytest.mark.parametrize("question", ["11月的爆款有哪些", "Which were our hit items in Q3?"])
def test_hit_products_ask_which_measure(question):
    back = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(back, AskBack), back


@pytest.mark.parametrize("question", ["上个月平均每单有几件", "10月一张订单里平均买了多少件"])
def test_pieces_in_an_order_are_units_per_order(question):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.metrics == ("units_per_order",), q


@pytest.mark.parametrize("question", [
    "二季度比一季度多卖最多金额的五个国家", "Which 5 countries added the most sales in Q2 over Q1?",
])
def test_added_the_most_ranks_by_the_rise(question):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery), q
    assert q.rank == ("top", 5) and q.rank_by == "change" and q.by == ("country",)


@pytest.mark.parametrize("question", ["今年订单数垫底的三个月", "今年件单价倒数的两个季度"])
def test_the_bottom_months_are_ranked(question):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery), q
    assert q.rank[0] == "bottom" and q.by[0] in ("month", "quarter")


@pytest.mark.parametrize("question", [
    "今年德国的退款，相当于德国销售额的百分之几", "This year: refunds as a percentage of sales in Germany?",
])
def test_refunds_as_a_share_of_sales_are_the_refund_rate(question):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery), q
    assert q.metrics == ("refund_rate",) and not q.share
    assert q.filters == {"country": ("Germany",)}


@pytest.mark.parametrize("question", [
    "除了85123A和22423这两个货号，上个月一共卖了多少件", "Units last month, leaving out these two SKUs: 85123A and 22423",
])
def test_the_values_named_again_are_no_split(question):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery), q
    assert not q.by and q.exclude == {"sku": ("85123A", "22423")}


def test_the_orders_of_a_day_of_the_week_keep_that_day():
    q = read("What was the AOV of our Monday orders in Q3?", AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery), q
    assert q.filters == {"weekday": ("Monday",)} and q.period.start == dt.date(2011, 7, 1)


@pytest.mark.parametrize(("question", "start", "end"), [
    ("上个月12号的订单数", "2011-11-12", "2011-11-12"),
    ("上个月5号到10号卖了多少件", "2011-11-05", "2011-11-10"),
    ("本月2号以来的销售额", "2011-12-02", "2011-12-09"),
    ("这个月3号到今天来了几单", "2011-12-03", "2011-12-09"),
    ("What were orders on the 2nd of last month?", "2011-11-02", "2011-11-02"),
])
def test_a_day_of_a_month_said_relative_to_today(question, start, end):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery), q
    assert (q.period.start.isoformat(), q.period.end.isoformat()) == (start, end)


@pytest.mark.parametrize(("question", "metrics", "over"), [
    ("How much did orders worth more than 2,000 bring in during October?", ("gmv",), (">", 2000.0)),
    ("10月500镑以上的订单一共卖了多少钱", ("gmv",), (">", 500.0)),
    ("Average basket value for October orders of at least 50 units", ("units", "aov"),
     (">=", 50.0)),
    ("十月份金额超过800镑的订单，平均一单几件", ("gmv", "units_per_order"), (">", 800.0)),
    ("units sold in October through orders below £100", ("gmv", "units"), ("<", 100.0)),
])
def test_orders_past_a_value_are_kept_and_the_metric_measured_over_them(question, metrics, over):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery), q
    assert (q.metrics, q.by, q.over, q.over_share) == (metrics, ("order",), over, "metric")


def test_a_metric_over_the_orders_past_a_value_is_summed_or_averaged_per_order(shop):
    from shopkeeper import ask

    # orders of January and February 2024 worth over 40: o1 (3 units), o2 (4), o3 (2); o5 (9.00,
    # 1 unit) is not; o4 was cancelled
    as_of = dt.date(2024, 2, 29)
    units = ask.ask(shop, "Units per order of orders over 40 in Jan-Feb 2024?", as_of=as_of)
    assert units.value == pytest.approx(3.0) and "3 orders" in units.text, units.text
    sold = ask.ask(shop, "2024年1到2月超过40的订单一共卖了多少件", as_of=as_of)
    assert sold.value == pytest.approx(9.0), sold.text
    small = ask.ask(shop, "units sold in Jan-Feb 2024 through orders below 40", as_of=as_of)
    assert small.value == pytest.approx(1.0), small.text


@pytest.mark.parametrize(("question", "metric"), [
    ("What was the average French order this year?", "aov"),
    ("去年德国的平均订单是多少钱", "aov"),
    ("Which 5 customers bought the widest range of products last month?", "products_sold"),
    ("上个月商品品种最多的国家", "products_sold"),
    ("上周一共卖多少钱", "gmv"),
    ("11月每件货卖出的价格跟10月比", "unit_price"),
    ("上个月平均订单里有几件", "units_per_order"),
    ("Which customers got the most money back last month?", "refunds"),
    ("new customer count by month this year", "new_customers"),
    ("Weekly order counts for October", "orders"),
])
def test_more_ways_to_name_a_metric(question, metric):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.metrics == (metric,), q


@pytest.mark.parametrize("question", [
    "11月里去掉没出单的日子，平均每天卖多少钱", "Average daily orders in November, ignoring days with "
    "no orders", "What share of October orders had at least one JUMBO BAG item?",
    "10月含有圣诞（CHRISTMAS）商品的订单占几成"])
def test_days_without_sales_left_out_and_orders_holding_a_product(question):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery), q
    if words := re.findall(r"[A-Z]{3,}(?: [A-Z]{3,})*", question):
        # "圣诞（CHRISTMAS）商品" names the products, not Christmas Day
        assert q.name_words == tuple(words) and q.share and not q.rank and not q.by, q
        assert q.compare is None and q.period.start == dt.date(2011, 10, 1), q
    else:
        assert q.per_day == "trading", q


@pytest.mark.parametrize(("question", "metrics"), [
    ("去年下过不止一单的客户平均每人花了多少", ("orders", "spend_per_customer")),
    ("Of last month's customers who ordered more than once, how many orders did each place on "
     "average last month?", ("orders", "orders_per_customer")),
])
def test_a_per_customer_average_over_the_customers_past_a_number_of_orders(question, metrics):
    # the period said twice is one period, and "more than once" is no comparison
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.compare is None, q
    assert (q.metrics, q.by, q.over, q.over_share) == (metrics, ("customer",), (">", 1.0), "metric")


def test_orders_per_customer_among_repeat_customers_is_their_mean(shop):
    from shopkeeper import ask

    # January and February 2024: c1 placed o1, o3 and o5; c2 placed o2 only
    a = ask.ask(shop, "Jan-Feb 2024: customers who ordered more than once - how many orders did "
                      "each place on average?", as_of=dt.date(2024, 2, 29))
    assert a.value == pytest.approx(3.0) and "1 customer" in a.text, a.text


@pytest.mark.parametrize(("question", "reading"), [
    ("What was the biggest order in September worth?",
     {"metrics": ("gmv",), "by": ("order",), "rank": ("top", 1), "top_value": True}),
    ("9月份金额最大的一张单子是多少钱",
     {"metrics": ("gmv",), "by": ("order",), "rank": ("top", 1), "top_value": True}),
    ("What were French orders worth in Q2?", {"metrics": ("gmv",), "by": ()}),
    ("二季度老客下的单一共贡献了多少销售额",
     {"metrics": ("gmv",), "filters": {"customer_type": ("returning",)}}),
    ("Q2 revenue from loyal (returning) customers",
     {"metrics": ("gmv",), "filters": {"customer_type": ("returning",)}}),
])
def test_what_an_order_was_worth_and_whose_orders(question, reading):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery), q
    for key, value in reading.items():
        assert getattr(q, key) == value, (key, q)


@pytest.mark.parametrize(("question", "ranked", "valued", "n"), [
    # ranked by one metric, answered in another, whichever comes first in the question
    ("花钱最多的客户今年下了几单", "gmv", "orders", 1),
    ("How many orders did our top spender place this year?", "gmv", "orders", 1),
    ("今年下单最多的客户花了多少钱", "orders", "gmv", 1),
    ("How much did the customer with the most orders spend this year?", "orders", "gmv", 1),
    ("How many orders has our biggest customer placed this year? by spend", "gmv", "orders", 1),
    ("我们最大的客户今年下了几单 按订单数", "orders", None, 1),
    ("How many units did our best-selling product sell last month?", "units", None, 1),
    # one metric only: its own ranking, its own value
    ("How much did our biggest customer spend this year?", "gmv", None, 1),
    # the best market by a measure chosen, the value asked in another
    ("上个月海外卖得最好的那个国家，客单价多少 按订单数", "orders", "aov", 1),
    ("Last month's best overseas market - what was its average order value? by sales", "gmv",
     "aov", 1),
    # which one, then its amount in a question of its own
    ("10月份哪天出单最多？那天一共出了多少单", "orders", None, 1),
    ("October's busiest day by order count - how many orders was that?", "orders", None, 1),
])
def test_a_ranking_is_by_the_metric_its_superlative_is_said_of(question, ranked, valued, n):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery), q
    assert (q.metrics[0], q.value_metric, q.rank) == (ranked, valued, ("top", n))
    assert q.top_value


@pytest.mark.parametrize(("question", "metrics_", "filters", "over"), [
    # each new customer's every order in the period, not only their first
    ("9月份新来的客户，9月里一共花了多少钱（不光首单，9月的单都算）", ("customer_gmv",),
     {"customer_type": ("new",)}, None),
    ("Customers who were new in September: what did they spend in September altogether - all "
     "their September orders, not just the first?", ("customer_gmv",),
     {"customer_type": ("new",)}, None),
    # the customers who ordered once, measured: their sales
    ("三季度只下过一单的那些客户，一共花了多少钱", ("orders", "gmv"), {}, ("<", 2.0)),
    ("Q3: total spend of customers who ordered just once that quarter?", ("orders", "gmv"), {},
     ("<", 2.0)),
    # 游客单 are guests' orders; 客户号 is the id they lack, no count of customers
    ("今年没留客户号的游客单，哪三个国家最多", ("orders",), {"customer_type": ("guest",)}, None),
    ("四季度以来每个月有多少张游客单", ("orders",), {"customer_type": ("guest",)}, None),
    ("爱尔兰那边没登记客户号的单子，下半年一共多少钱", ("gmv",),
     {"country": ("EIRE",), "customer_type": ("guest",)}, None),
    ("Irish guest orders (no customer ID) since July - what do they add up to?", ("gmv",),
     {"country": ("EIRE",), "customer_type": ("guest",)}, None),
    # "how many" of products named: pieces of them
    ("How many 22423 cake stands went outside the UK in November?", ("units",),
     {"sku": ("22423",)}, None),
    ("22423蛋糕架上个月卖到英国以外的有几个", ("units",), {"sku": ("22423",)}, None),
    ("11月份平均一个客户买了多少件", ("units_per_customer",), {}, None),
    ("How many units did the average customer buy in November?", ("units_per_customer",), {},
     None),
])
def test_whose_orders_are_measured(question, metrics_, filters, over):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery), q
    assert (q.metrics, q.filters, q.over) == (metrics_, filters, over)


@pytest.mark.parametrize(("question", "span"), [
    ("国庆节当天（10月1号）卖了多少钱", ("2011-10-01", "2011-10-01")),
    ("国庆节期间卖了多少钱", ("2011-10-01", "2011-10-07")),
])
def test_national_day_itself_or_its_week(question, span):
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery), q
    assert (str(q.period.start), str(q.period.end)) == span


@pytest.mark.parametrize(("question", "part", "whole"), [
    # a day's share of the week it lies in: both periods kept, the day the part
    ("今天一天的营业额占了这周到现在的多少", ("2011-12-09", "2011-12-09"), ("2011-12-05", "2011-12-09")),
    ("What share of this week's sales so far came in today alone?", ("2011-12-09", "2011-12-09"),
     ("2011-12-05", "2011-12-09")),
])
def test_a_period_as_a_share_of_the_period_it_lies_in(question, part, whole):
    # both periods kept (the answer takes the shorter as the part, whichever is said first)
    q = read(question, AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery) and q.share and isinstance(q.compare, Period), q
    spans = {(str(p.start), str(p.end)) for p in (q.period, q.compare)}
    assert spans == {part, whole}


@pytest.mark.parametrize(("choice", "span"), [
    ("the same days of last week", ("2011-11-28", "2011-12-02")),
    ("上周整周", ("2011-11-28", "2011-12-04")),
])
def test_week_on_week_settled_by_the_choice(choice, span):
    q = read(f"这周销售额周环比多少 {choice}", AS_OF, Vocabulary(), VALUES)
    assert isinstance(q, AskQuery), q
    assert (str(q.compare.start), str(q.compare.end)) == span
