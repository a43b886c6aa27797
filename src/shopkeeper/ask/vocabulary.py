"""The words merchants use for metrics and dimensions, in Chinese and English.

Each metric of the semantic layer (:data:`shopkeeper.metrics.METRICS`) has its phrases here;
a merchant adds more, and whole new metrics written as formulas over existing ones, in a TOML
file (``ask_vocabulary`` in the config, see ``docs/ask.md``)::

    [synonyms]
    "营收" = "net_revenue"
    "takings" = "gmv"

    [metrics.basket_value]
    label_en = "basket value"
    label_zh = "篮子金额"
    formula = "gmv / nullif(orders, 0)"
    unit = "money"
    synonyms = ["篮子金额", "basket value"]
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from shopkeeper.errors import ShopkeeperError
from shopkeeper.metrics import METRICS, Metric

# phrase -> metric; longer phrases win over shorter ones they contain ("净销售额" over "销售额")
METRIC_PHRASES: dict[str, str] = {
    # net revenue
    "净收入": "net_revenue", "净销售额": "net_revenue", "净营收": "net_revenue",
    "净营业额": "net_revenue", "net revenue": "net_revenue", "net sales": "net_revenue",
    "sales net of": "net_revenue", "revenue net of": "net_revenue", "takings net of": "net_revenue",
    "净的是多少": "net_revenue", "净额": "net_revenue", "单均金额": "aov",
    "revenue after refunds": "net_revenue",
    # GMV
    "销售额": "gmv", "营业额": "gmv", "成交额": "gmv", "成交金额": "gmv", "销售金额": "gmv",
    "gmv": "gmv", "营收": "gmv", "销售收入": "gmv", "流水": "gmv", "卖了多少钱": "gmv", "卖了几块钱": "gmv", "卖了多少块钱": "gmv", "卖的钱": "gmv", "卖了的钱": "gmv",
    "revenue": "gmv", "sales": "gmv", "turnover": "gmv", "gross merchandise value": "gmv",
    "总成交": "gmv", "rev": "gmv", "sales total": "gmv", "total sales": "gmv",
    "top line": "gmv", "top-line": "gmv", "revenu": "gmv", "revenues": "gmv",
    "平均每张订单": "aov", "每张订单平均": "aov", "客单": "aov", "平均每张订单多少金额": "aov",
    "平均每单多少金额": "aov", "平均一单多少金额": "aov", "平均一单金额": "aov",
    "每单买几件": "units_per_order", "每单各买几件": "units_per_order", "一单买几件": "units_per_order",
    "pcs": "units", "出货量": "units",
    "二次购买率": "repeat_purchase_rate", "二次复购率": "repeat_purchase_rate",
    "单数": "orders", "定单": "orders", "多少定单": "orders",
    "首购": "new_customers", "first-time purchasers": "new_customers",
    "first-timers": "new_customers",
    "newly acquired customers": "new_customers", "new custmers": "new_customers",
    "custmers": "customers", "costumers": "customers",
    "credit back": "refunds", "credited back": "refunds", "money back": "refunds",
    "order counts": "orders", "new customer count": "new_customers",
    "new customer counts": "new_customers", "new-customer count": "new_customers",
    "退给客人": "refunds", "给客人退": "refunds",
    "客户平均下单次数": "orders_per_customer", "平均下单次数": "orders_per_customer",
    "ordered most often on average": "orders_per_customer",
    "fattest average order": "aov", "biggest average order": "aov",
    "in £ on average": "aov", "bigger on average": "aov", "smaller on average": "aov",
    "larger on average": "aov",
    # per order, per item, per head, said in other words
    "每单平均消费": "aov", "平均每单消费": "aov", "每单平均花": "aov", "平均一单花": "aov",
    "一单平均花": "aov", "average basket value": "aov", "basket value": "aov",
    "件均价": "unit_price",
    "人均花钱": "spend_per_customer", "客户人均花钱": "spend_per_customer",
    "客户人均消费": "spend_per_customer", "客户平均消费": "spend_per_customer", "人均花了": "spend_per_customer",
    "人均花费": "spend_per_customer",
    # orders and units
    "baskets": "orders", "下单最勤": "orders", "qty": "units",
    # refunds said as what is paid back
    "credit notes": "refunds", "credit note": "refunds", "paid out in refunds": "refunds",
    "退款合计": "refunds",
    # customers said as users
    "新用户": "new_customers", "老用户": "returning_customers",
    "takings": "gmv", "gross sales": "gmv", "进账": "gmv", "进了多少钱": "gmv", "ring up": "gmv",
    "rang up": "gmv", "rung up": "gmv", "money came in": "gmv", "brought in the most money": "gmv",
    "brought in the least money": "gmv", "made the most money": "gmv",
    "made the least money": "gmv", "most money": "gmv", "least money": "gmv",
    "money taken": "gmv", "took the most money": "gmv", "卖钱最多": "gmv", "最卖钱": "gmv",
    "买单金额": "gmv", "spender": "gmv", "top earners": "gmv",
    "top earner": "gmv", "sold for": "gmv", "花钱": "gmv", "花了多少钱": "gmv", "花的钱": "gmv", "# of orders": "orders", "# orders": "orders",
    "orders by value": "gmv", "by value": "gmv", "# of customers": "customers",
    "# of units": "units", "多几件": "units", "走得多": "units",
    "单的平均金额": "aov", "单平均金额": "aov", "first-order value": "aov",
    "消费金额": "gmv", "消费额": "gmv", "消费": "gmv", "spend": "gmv", "spent": "gmv",
    "spenders": "gmv", "big spenders": "gmv", "金主": "gmv", "大金主": "gmv", "花钱最多的客户": "gmv", "买了多少钱": "gmv",
    # average order value
    "客单价": "aov", "平均单值": "aov", "平均订单金额": "aov", "平均订单价值": "aov", "笔单价": "aov",
    "average order value": "aov", "aov": "aov", "average basket": "aov",
    "average ticket": "aov", "avg ticket": "aov", "ticket size": "aov", "average transaction value": "aov",
    "average order": "aov", "avg order value": "aov", "平均订单额": "aov",
    "average spend per order": "aov", "spend per order": "aov", "average order spend": "aov",
    "订单均价": "aov", "订单平均金额": "aov", "平均每单金额": "aov",
    # per customer
    "人均消费": "spend_per_customer", "客均消费": "spend_per_customer",
    "人均消费额": "spend_per_customer", "每个客户平均消费": "spend_per_customer",
    "units per customer": "units_per_customer", "人均件数": "units_per_customer",
    "人均买了多少件": "units_per_customer", "人均购买件数": "units_per_customer",
    "spend per customer": "spend_per_customer", "average spend per customer": "spend_per_customer",
    "spend per head": "spend_per_customer", "revenue per customer": "spend_per_customer",
    "sales per customer": "spend_per_customer", "average customer spend": "spend_per_customer",
    "人均下单次数": "orders_per_customer", "人均下单": "orders_per_customer",
    "人均订单数": "orders_per_customer", "orders per customer": "orders_per_customer",
    "orders per head": "orders_per_customer", "average orders per customer": "orders_per_customer",
    # units per order
    "连带率": "units_per_order", "每单件数": "units_per_order", "平均每单件数": "units_per_order",
    "单均商品种数": "products_per_order", "每单商品种数": "products_per_order",
    "单均sku数": "products_per_order", "每单sku数": "products_per_order",
    "skus per order": "products_per_order", "sku per order": "products_per_order",
    "distinct products per order": "products_per_order",
    "different products per order": "products_per_order", "basket breadth": "products_per_order",
    "basket width": "products_per_order", "product lines per order": "products_per_order",
    "units per order": "units_per_order", "items per order": "units_per_order",
    "items per basket": "units_per_order", "units per basket": "units_per_order",
    "upt": "units_per_order", "单均件数": "units_per_order", "units per transaction": "units_per_order",
    "items per transaction": "units_per_order", "一单几件": "units_per_order",
    "每单几件": "units_per_order", "一张单子里有几件": "units_per_order", "一张单几件": "units_per_order",
    "一单多少件": "units_per_order", "每单多少件": "units_per_order", "一张单子几件": "units_per_order",
    "items in an order": "units_per_order", "units in an order": "units_per_order",
    # average unit price
    "件单价": "unit_price", "每件货卖多少钱": "unit_price", "一件货卖多少钱": "unit_price",
    "平均每件多少钱": "unit_price", "平均单价": "unit_price", "平均售价": "unit_price",
    "每件的售价": "unit_price", "平均每件的售价": "unit_price", "每件售价": "unit_price",
    "平均每件售价": "unit_price", "每件平均售价": "unit_price",
    "average unit price": "unit_price", "average selling price": "unit_price",
    "average price per unit": "unit_price", "price per unit": "unit_price", "asp": "unit_price",
    "average price per item": "unit_price", "average item price": "unit_price",
    "平均一件": "unit_price", "平均一件货": "unit_price", "每件卖多少钱": "unit_price", "一件卖多少钱": "unit_price",
    "每件多少钱": "unit_price", "一件多少钱": "unit_price", "price per item": "unit_price",
    # repeat purchase
    "复购率": "repeat_purchase_rate", "回购率": "repeat_purchase_rate",
    "重复购买率": "repeat_purchase_rate", "repeat purchase rate": "repeat_purchase_rate",
    "repeat-purchase rate": "repeat_purchase_rate", "repurchase rate": "repeat_purchase_rate",
    "repeat rate": "repeat_purchase_rate", "repeat customer rate": "repeat_purchase_rate",
    "复购客户": "repeat_customers", "复购的客户": "repeat_customers",
    "repeat customers": "repeat_customers", "repeat buyers": "repeat_customers",
    # refunds
    "退货率": "refund_rate", "退款率": "refund_rate", "return rate": "refund_rate",
    "refund rate": "refund_rate", "returns rate": "refund_rate",
    "退款额": "refunds", "退款金额": "refunds", "退货金额": "refunds", "退款": "refunds",
    "退货额": "refunds", "退了多少钱": "refunds", "按金额": "gmv", "金额": "gmv", "退的钱": "refunds", "退掉的钱": "refunds", "refunds": "refunds", "refunded": "refunds",
    "refund amount": "refunds", "returns": "refunds", "refund": "refunds",
    "refund bill": "refunds", "refunds bill": "refunds", "money refunded": "refunds",
    # orders
    "订单数": "orders", "订单量": "orders", "单量": "orders", "多少单": "orders",
    "订单": "orders", "几单": "orders", "下单次数": "orders", "购买次数": "orders",
    "下单数": "orders", "单子": "orders", "下了多少次单": "orders", "下了几次单": "orders",
    "接的单": "orders", "接了多少单": "orders", "接了几单": "orders", "接单量": "orders", "多少张单": "orders", "几张单": "orders", "number of purchases": "orders", "purchases": "orders", "orders": "orders", "order count": "orders",
    "number of orders": "orders", "invoices": "orders", "transactions": "orders",
    "how many times": "orders", "下过几次单": "orders", "下了几次": "orders",
    "出的单": "orders", "出单": "orders", "出了多少单": "orders", "出了几单": "orders",
    # customers
    "新客户数": "new_customers", "游客单": "orders", "散客单": "orders", "guest checkouts": "orders", "新客户": "new_customers", "新来的客户": "new_customers", "新来的顾客": "new_customers", "新客": "new_customers",
    "新顾客": "new_customers", "新买家": "new_customers", "首购客户": "new_customers",
    "新增客户": "new_customers", "新增顾客": "new_customers", "新增买家": "new_customers",
    "new customers": "new_customers", "new buyers": "new_customers", "new customer": "new_customers",
    "first-time customers": "new_customers", "first-time buyers": "new_customers",
    "新面孔": "new_customers", "新客人": "new_customers", "new faces": "new_customers",
    "brand-new customers": "new_customers", "brand new customers": "new_customers",
    "新开的客户": "new_customers", "新开客户": "new_customers", "新开的户": "new_customers",
    "new accounts": "new_customers", "new accounts opened": "new_customers",
    "first-time shoppers": "new_customers", "new shoppers": "new_customers",
    "首次下单的客户": "new_customers", "首次购买的客户": "new_customers", "第一次下单的客户": "new_customers",
    "老客户": "returning_customers", "老客": "returning_customers",
    "回头客": "returning_customers", "老顾客": "returning_customers", "老主顾": "returning_customers",
    "returning customers": "returning_customers", "existing customers": "returning_customers",
    "returning ones": "returning_customers", "existing ones": "returning_customers",
    "returning customer": "returning_customers", "老客人": "returning_customers",
    "客户数": "customers", "顾客数": "customers", "买家数": "customers", "下单客户": "customers",
    "下单人数": "customers", "购买人数": "customers", "客户": "customers", "顾客": "customers",
    "买家": "customers", "customers": "customers", "buyers": "customers", "shoppers": "customers",
    "custs": "customers",
    "客人": "customers", "客人数": "customers", "unique customers": "customers",
    "unique shoppers": "customers", "unique buyers": "customers",
    "customer count": "customers", "number of customers": "customers",
    "买单的客户": "customers", "买过单的客户": "customers", "paying customers": "customers",
    "下单的人": "customers", "下过单的人": "customers", "买过的人": "customers",
    "购买的人": "customers", "how many people": "customers", "买的人": "customers",
    "下单的人数": "customers", "几个人买": "customers", "多少人买": "customers",
    # distinct products and countries
    "不同的货号": "products_sold", "不同货号": "products_sold", "不同的商品": "products_sold",
    "多少种商品": "products_sold", "几种商品": "products_sold", "多少个货号": "products_sold",
    "distinct skus": "products_sold", "different skus": "products_sold",
    "distinct products": "products_sold", "different products": "products_sold",
    "how many skus": "products_sold", "动销": "products_sold", "动过销": "products_sold",
    "货号种类": "products_sold", "商品种类": "products_sold", "产品种类": "products_sold",
    "range of skus": "products_sold", "range of products": "products_sold",
    "动销的货号": "products_sold", "动销商品": "products_sold", "active skus": "products_sold",
    "active products": "products_sold", "skus that sold": "products_sold",
    "多少个国家": "countries", "几个国家": "countries", "多少国家": "countries",
    "how many countries": "countries", "number of countries": "countries",
    # units
    "件数": "units", "销量": "units", "销售件数": "units", "卖了多少件": "units",
    "多少件": "units", "售出件数": "units", "units": "units", "units sold": "units",
    "items sold": "units", "quantity sold": "units", "pieces": "units", "quantity": "units",
    "出货": "units", "出了多少件": "units", "出的货": "units", "出了多少货": "units",
    "出货件数": "units", "units shifted": "units", "shifted": "units", "shift": "units",
    "shipped": "units", "ship": "units", "走了多少货": "units", "走货": "units",
    "走了多少件": "units", "走的货": "units", "gone out the door": "units",
    "went out the door": "units", "out the door": "units", "unit volume": "units",
    "volume of units": "units", "unit sales": "units",
    # margin and costs
    "毛利率": "gross_margin", "gross margin": "gross_margin", "margin": "gross_margin",
    "毛利": "gross_profit", "毛利润": "gross_profit", "gross profit": "gross_profit",
    "折扣": "discounts", "优惠金额": "discounts", "discounts": "discounts",
    "广告费": "ad_spend", "ad spend": "ad_spend", "advertising": "ad_spend",
    "物流费": "logistics", "运费": "logistics", "logistics": "logistics", "shipping cost": "logistics",
    "经营利润": "operating_profit", "operating profit": "operating_profit",
    "净利润": "operating_profit", "profit": "operating_profit",
    "销售成本": "cogs", "cogs": "cogs", "cost of goods": "cogs",
    "roas": "roas", "获客成本": "cac", "cac": "cac",
}

# metrics said in a sentence rather than one phrase; a match wins over the phrases it covers
METRIC_PATTERNS: list[tuple[re.Pattern[str], str]] = [(re.compile(p, re.I), m) for p, m in (
    # "退款相当于销售额的百分之几", "refunds as a % of sales": the refund rate
    (r"退款[，,]?[^，,。？?]{0,12}?(?:相当于|占)[^，,。？?]{0,10}?(?:销售额|营业额|成交额|gmv)的?"
     r"(?:百分之几|多少|比例|几成|比重)|\brefunds?\b[^?]{0,20}?\bas (?:a )?(?:%|percent(?:age)?|"
     r"share|proportion|fraction|ratio) of\b[^?]{0,20}?\b(?:sales|gmv|revenue|turnover)\b",
     "refund_rate"),
    # "平均每张单子几件货", "一笔订单里平均有多少件": pieces per order
    (r"(?:每|一|平均)(?:张|笔|个)?(?:单子|订单|单)(?:里|中|里面)?(?:平均)?(?:有|买了?|卖了?|含|装)?"
     r"(?:几|多少)件", "units_per_order"),
    # "平均一张订单里有几种不同的货", "how many different SKUs did an average order contain":
    # the kinds of product in an order, not its pieces
    (r"(?:每|一|平均)(?:张|笔|个)?(?:单子|订单|单)(?:里|中|里面)?(?:平均)?(?:有|买了?|卖了?|含|包含|装)?"
     r"(?:几|多少)(?:种|款|个不同的?)(?:不同的?)?(?:货号|货|商品|产品|sku)?|"
     r"\b(?:how many|number of) (?:different|distinct|separate|unique) (?:products|skus|items|"
     r"stock ?codes|product lines)\b[^?]{0,40}?\b(?:an?|the|each|every|per)\s+(?:average\s+|"
     r"typical\s+|single\s+)?(?:order|basket)\b", "products_per_order"),
    # "how many different products did we sell", "卖出了多少种商品"
    (r"\b(?:how many|number of) (?:different|distinct) (?:products|skus|items|stock ?codes|"
     r"lines)\b(?:[^?]{0,30}?\b(?:sell|sold|ship|shipped|shift|shifted)\b)?|"
     r"(?:多少|几)(?:种|个|款)(?:不同的?)?(?:商品|货号|产品|sku)"
     # "the broadest mix of SKUs", "买的商品种类最多": how many different products, ranked
     r"|\b(?:broadest|widest|largest|biggest|most varied|greatest) (?:mix|range|variety|spread|"
     r"assortment) of (?:different )?(?:products|skus|items|stock ?codes|lines)\b"
     r"|\bthe most (?:different|distinct) (?:products|skus|items|stock ?codes)\b"
     r"|(?:商品|货品|产品|货号|sku)(?:的)?(?:种类|品种|款式)(?:最多|最少|最丰富|最杂|多少)"
     r"|(?:最多|最少)(?:种|款)(?:不同的?)?(?:商品|货号|产品|货)", "products_sold"),
    # "下了两单或更多的客户", "customers who ordered more than once"; as a share of customers,
    # the repeat-purchase rate
    (r"(?:(?:客户|顾客|买家)(?:里|中|当中)?[，,]?)?(?:(?:下|买)(?:了|过)?(?:两|2)(?:单|次)(?:或|及)"
     r"(?:更多|以上)|(?:买|下单|购买)过?不止一次)(?:的(?:客户|顾客|买家|人))?"
     r"(?=.{0,12}(?:比例|占比|几成|百分之))", "repeat_purchase_rate"),
    (r"\b(?:fraction|share|percentage|proportion)\b.{0,40}\b(?:more than once|two or more times|"
     r"at least twice|twice or more)\b", "repeat_purchase_rate"),
    # "下了第二单", "came back for a second order" (as a share: the repeat-purchase rate)
    (r"(?:下|买|购买|订)了?第(?:二|2)(?:单|次|笔)|\b(?:came back for|returned for|placed|made|"
     r"ordered|bought) a second (?:order|purchase|time)\b", "repeat_customers"),
    (r"(?:(?:客户|顾客|买家)(?:里|中|当中)?[，,]?)?(?:(?:下|买)(?:了|过)?(?:两|2)(?:单|次)(?:或|及)"
     r"(?:更多|以上)|(?:买|下单|购买)过?不止一次)(?:的(?:客户|顾客|买家|人))?"
     r"|(?:\b(?:customers|buyers|shoppers)\b[^?]{0,30}?)?"
     r"\b(?:two or more times|more than once|at least twice|twice or more|two or more orders|"
     r"more than one order|at least two orders|2\+ orders)\b"
     r"|(?:(?:客户|顾客|买家|客人)(?:里|中|当中)?[，,]?)?(?:(?:下|买)了?(?:不止一|两|2)(?:单|次)"
     r"(?:以上|或以上)?|下过不止一(?:单|次))(?:的(?:客户|顾客|买家|客人|人))?", "repeat_customers"),
    # "平均每个客户下了几单", "how many orders has the average customer placed", "each German
    # customer … on average"
    (r"(?:平均)?每(?:个|位|名)?(?:客户|顾客|买家|人)(?:平均)?(?:都)?(?:[今去本上]年|这个?月|上个?月|本月|"
     r"这一?年)?(?:都)?下了?(?:几|多少)(?:单|次)|"
     r"\bhow many orders (?:did )?(?:each|every)(?: one| of them| customer| buyer)?(?: place| make)?\b"
     r"[^?]{0,30}?\bon average\b|"
     r"(?:客户|顾客|买家)[^，,。？?]{0,12}平均每人下了?(?:几|多少)(?:单|次)|"
     r"\bhow many orders (?:has|did|does|have) (?:the|an|each|every) (?:average |typical )?"
     r"(?:\w+ )?(?:customer|buyer|shopper)\b|\b(?:each|every|the average) (?:\w+ )?"
     r"(?:customer|buyer|shopper)\b[^?]{0,30}?\border(?:s|ed)?\b", "orders_per_customer"),
    # "11月份平均一个客户买了多少件", "how many units did the average customer buy"
    (r"(?:平均)?(?:每|一)(?:个|位|名)?(?:客户|顾客|买家)(?:平均)?(?:买|购买|拿|下)了?(?:多少|几)(?:件|个)|"
     r"\bhow many (?:units|items|pieces) (?:does|did|has) (?:the|an|each|every) (?:average |typical )?"
     r"(?:customer|buyer|shopper) (?:buy|bought|purchase|purchased|order|ordered|take|taken)\b",
     "units_per_customer"),
    (r"(?:平均)?每(?:个|位|名)?(?:客户|顾客|买家|人)(?:平均)?花了?(?:多少|几)(?:钱)?|"
     r"\bhow much (?:does|did|has) (?:the|an|each|every) (?:average |typical )?(?:customer|buyer|"
     r"shopper) (?:spend|spent)\b", "spend_per_customer"),
    # "平均一单买几件", "每笔订单平均有多少件", "how many items go into an average order"
    (r"(?:平均(?:每|一)(?:笔|单|个订单)(?:订单)?|(?:每|一)(?:笔|单)(?:订单)?平均)"
     r"(?:都|会|要)?(?:买|有|包含|含)?了?(?:几|多少)件", "units_per_order"),
    (r"\b(?:how many|number of) (?:items|units|pieces)\b(?:\s+[\w']+){0,4}?\s+"
     r"(?:an?|the|each|every|per)\s+(?:average\s+|typical\s+|single\s+)?(?:order|basket)\b",
     "units_per_order"),
    # "平均每笔订单多少钱", "新客户的第一单平均多少钱", "average spend per order"
    (r"(?:平均(?:每|一)(?:笔|单)(?:订单)?|(?:每|一|第一)(?:笔|单)(?:订单)?(?:的)?平均)"
     r"(?:的)?(?:是)?(?:多少钱|金额|价值|花(?:了)?多少钱?)", "aov"),
    (r"\baverage (?:value|spend|amount|size|ticket)\b(?=(?:\s+[\w']+){0,5}?\s+orders?\b)",
     "aov"),
    # "how many customers placed orders": the orders are what they did, not a second measure
    (r"\b(?:customers|buyers|shoppers|clients)\b (?:placed|made|put in) (?:an? |any )?orders?\b",
     "customers"),
    # "people who ordered", "did more people order from us"
    (r"\bpeople\b(?=\s+(?:who\s+|that\s+)?(?:have\s+|had\s+)?(?:order(?:ed)?|buy|bought|"
     r"purchased?|shopped|placed)\b)", "customers"),
    (r"(?:多少|几)个?人(?:下单|下过单|买|购买)", "customers"),
    # "how much did we sell / take / make", "how much did everyone else buy": money, where
    # "how many" would be units
    (r"\bhow much (?:money )?(?:did|do|does|have|has|had) (?!units\b|items\b|pieces\b)"
     r"(?!we sell\b|we sold\b)(?!(?:our|the) (?:top|biggest|largest|best) )"  # a ranking
     # "the customer with the most orders": the ranking's own measure, no part of the money
     r"(?:(?!\b(?:most|fewest|least|highest|lowest)\b)[^?]){1,80}?\b(?:sell|sold|take|taken|make|"
     r"made|earn|earned|"
     r"bring in|brought in|buy|bought|purchase|purchased|spend|spent)\b", "gmv"),
    (r"\bwhat (?:did|do|does|have|has) (?:we|you|they|it|(?:the|our)(?: [\w'-]+){1,3}) (?:take|taken|"
     r"make|made|bring in|brought in|earn|earned)\b", "gmv"),
    # net of refunds: "扣掉退款", "once refunds are taken off", "after refunds"
    (r"(?:扣掉|扣除|减去|减掉|去掉|刨去|除去)(?:了)?退款(?:后|之后|以后)?|实际到手", "net_revenue"),
    (r"\b(?:once|after|net of|less|minus)\s+(?:the\s+)?(?:(?:that|the|this) (?:day|week|"
     r"month)'s\s+)?refunds(?:\s+(?:are|were|have been|is)\s+(?:taken off|deducted|subtracted|"
     r"removed|taken out)|\s+(?:came|come|comes) off)?", "net_revenue"),
    # "周中下的单占全月几成": the orders themselves counted (not "老客下的单，笔单价是多少")
    (r"下的单(?=(?:占|有多少|有几|一共|多少|几))(?![^，,。？?]{0,8}(?:贡献|带来|销售额|金额|多少钱))", "orders"),
    # "新客、老客，人均各花了多少", "新客平均花了多少": spend per customer
    (r"(?:人均|(?<![单笔])平均)(?:每人)?(?:各|分别|都)?(?:消费|花)了?(?:多少|几多)(?:钱)?",
     "spend_per_customer"),
    # "这个客户每个月在我们这花了多少": what a customer spent, in money
    (r"花了?(?:多少|几多)(?![件单次个天张笔种款位人时小分])", "gmv"),
    # "the average overseas order", "海外的平均订单比英国的大多少": an order's average value
    (r"\bthe average (?!(?:daily|weekly|monthly|number|count|size|quantity|units?|items?)\b)"
     r"(?:[\w'-]+ ){1,2}order\b(?!s|[ -](?:count|number|volume|size|quantity))"
     r"|(?<![日周月])平均(?:一|每)?(?:笔|张|个)?订单(?!数|量|个数|笔数|件数|里|中)(?:的)?(?:是)?(?:多少)?"
     r"(?:金额|钱|价值|价钱)?", "aov"),
    # "平均每件卖的价钱", "一件卖出的价格": what one piece sold for
    (r"(?:每|一)件(?:货|商品)?(?:平均)?(?:卖|售|卖出)的?(?:价钱|价格|价|钱)", "unit_price"),
    # "平均一天卖多少钱", "一共卖多少钱": money taken (一件卖多少钱 is a unit price, read first)
    (r"(?<![件货])卖(?:了|出)?(?:多少|几多)(?:块)?钱", "gmv"),
    # "采购了多少钱的货", "拿了多少钱的货": what a customer bought, in money
    (r"(?:采购|进|拿|买|订)了?多少钱的货", "gmv"),
    # "how many different countries", "No. of countries ordering"
    (r"\b(?:how many|number of|no\.? of|# of) (?:different |distinct |separate )?countries\b",
     "countries"),
    # "new non-UK customers", "new German buyers": new customers of a place
    (r"\bnew (?:(?:non|ex)-)?[A-Z][\w-]* (?:customers|buyers|accounts|shoppers)\b", "new_customers"),
    # "avg first order of new customers": the value of their first orders
    (r"\b(?:avg|average)\.? (?:value of (?:the |their |a )?)?first orders?\b", "aov"),
    # "how many of 84077 has customer 12901 taken": units of a product
    (r"\bhow many of (?=\d{5}[A-Za-z]?\b)", "units"),
    # money sent back: "退出去的钱", "退给客户多少钱"
    (r"退(?:了|出去|回去|掉|还)?(?:给(?:客户|顾客|买家))?(?:的|了)?(?:多少|几)?钱", "refunds"),
    # "一张订单里有几件货", "每单平均几件"
    (r"(?:平均)?(?:每|一)(?:张|笔|个)?(?:订单|单)(?:里|中)?(?:平均)?(?:都|会)?(?:有|包含|含|买)?了?"
     r"(?:几|多少)件", "units_per_order"),
    # "第一次在我们这买东西的", "buying from us for the very first time": new customers
    (r"第一次(?:在我们这里?|在本店|来)?(?:买东西|买|下单|购买|消费)|首次(?:买东西|购买|消费)|"
     r"\b(?:for the (?:very )?first time|first[- ]ever (?:order|purchase))\b", "new_customers"),
    # "new German customers", "returning French buyers": a word between the type and the noun
    (r"\bnew (?:[A-Z][a-z]+|[a-z]+ish|[a-z]+ese|[a-z]+ian|[a-z]+ch) (?:customers|buyers|shoppers|"
     r"clients|accounts)\b", "new_customers"),
    (r"\b(?:returning|existing) (?:[A-Z][a-z]+|[a-z]+ish|[a-z]+ese|[a-z]+ian|[a-z]+ch) "
     r"(?:customers|buyers|shoppers|clients|accounts)\b", "returning_customers"),
    (r"\brepeat (?:[A-Z][a-z]+|[a-z]+ish|[a-z]+ese|[a-z]+ian|[a-z]+ch) (?:customers|buyers|"
     r"shoppers|clients|accounts)\b", "repeat_customers"),
    # "新增了多少客户", "拉新"
    (r"新增(?:了)?(?:多少|几)(?:个|位|名)?(?:客户|顾客|买家)|拉新", "new_customers"),
    # "下单最频繁的客户": ranked by orders
    (r"(?<!平均)下单(?:最频繁|次数最多|最多)|\bordered (?:the )?most (?:often|frequently)\b"
     r"(?! on average)", "orders"),
    # "how many of 84879 have we sold", "how many paper chain kits did we sell": units
    (r"\bhow many\b(?!\s+(?:orders|customers|buyers|shoppers|people|new|returning|refunds)\b)"
     r"[^?]{1,80}?\b(?:have|has|did|do)\s+(?:we|you|they)\s+(?:sell|sold)\b", "units"),
    # "what was order 536365 worth", "订单536365多少钱"
    (r"\bwhat (?:was|were|is|are)\b(?=[^?]{1,40}\bworth\b)|(?:订单|单号)\s*\d{5,}[^，,。？?]{0,4}多少钱|"
     r"\b(?:the )?value of (?:the )?(?:order|invoice)\b", "gmv"),
    # "卖出去的闹钟里…占几成": what went out, counted
    (r"卖出去?的(?![钱金额])", "units"),
    # a measure word counts pieces ("卖了几块" of a metal sign); "几块钱" is money
    (r"卖(?:了|出去|出)?(?:多少|几)(?:套|个|只|件|条|盒|包|支|瓶|本|张|块|把|双|对|袋|罐|份|台|顶|副)"
     r"(?![钱元])", "units"),
    # "the average price we got per item"
    (r"\baverage (?:selling |sale )?(?:price|amount)\b(?:\s+[\w']+){0,4}?\s+(?:per|for each|for an?|each)\s+"
     r"(?:item|unit|piece)\b", "unit_price"),
)]

# phrase -> dimension to group or rank by
DIMENSION_PHRASES: dict[str, str] = {
    "一笔单子": "order", "一笔订单": "order", "单笔订单": "order", "哪一单": "order", "哪张订单": "order",
    "哪个订单": "order", "哪笔订单": "order", "单笔最大订单": "order", "单笔最大的订单": "order",
    "最大的订单": "order", "最大一笔订单": "order", "最大的一笔订单": "order", "最大的一单": "order",
    "最大的一张单子": "order", "最大的一张订单": "order", "最大的单子": "order", "最大一张单子": "order",
    "single biggest order": "order",
    "biggest single order": "order", "largest single order": "order", "biggest order": "order",
    "largest order": "order", "which order": "order", "which orders": "order",
    "国家": "country", "各国": "country", "国别": "country", "地区": "country", "市场": "country", "country": "country",
    "countries": "country", "market": "country", "markets": "country",
    "商品": "sku", "产品": "sku", "单品": "sku", "货品": "sku", "sku": "sku", "skus": "sku",
    "货号": "sku", "商品编号": "sku", "商品编码": "sku", "stockcode": "sku", "stockcodes": "sku",
    "stock code": "sku", "stock codes": "sku", "product code": "sku", "product codes": "sku",
    "宝贝": "sku", "个货": "sku", "款货": "sku", "product": "sku", "products": "sku", "item": "sku", "items": "sku",
    "best sellers": "sku", "best-sellers": "sku", "bestsellers": "sku", "top sellers": "sku",
    "畅销品": "sku", "畅销商品": "sku", "爆款": "sku",
    "客户": "customer", "顾客": "customer", "买家": "customer", "customer": "customer",
    "spenders": "customer", "big spenders": "customer", "花钱最多的客户": "customer",
    "spender": "customer", "金主": "customer", "大金主": "customer",
    "biggest accounts": "customer", "top accounts": "customer", "largest accounts": "customer",
    "key accounts": "customer", "accounts by": "customer", "which accounts": "customer",
    "which account": "customer", "accounts": "customer", "clients": "customer",
    "client": "customer",
    "customers": "customer", "buyer": "customer", "buyers": "customer",
    "渠道": "channel", "channel": "channel", "channels": "channel",
    "类目": "category", "品类": "category", "分类": "category", "category": "category",
    "categories": "category",
    "新老客": "customer_type", "new vs returning": "customer_type",
    "new and returning": "customer_type", "new versus returning": "customer_type",
    "new vs. returning": "customer_type",
    "new or returning": "customer_type", "新客和老客": "customer_type", "新客与老客": "customer_type",
    "新老客户": "customer_type", "新老顾客": "customer_type",
}
# phrase -> time grain ("每月", "by month", "weekly")
GRAIN_PHRASES: dict[str, str] = {
    "每天": "day", "每日": "day", "按天": "day", "按日": "day", "逐日": "day", "日度": "day",
    "daily": "day", "by day": "day", "per day": "day", "each day": "day", "day by day": "day",
    "days we traded": "day", "trading days": "day", "days of trading": "day",
    "days we were open": "day", "营业日": "day", "交易日": "day", "开张的日子": "day",
    "营业的日子": "day",
    # "11月哪个礼拜出货量最大": which of the weeks
    "哪个礼拜": "week", "哪个星期": "week", "哪一周": "week", "哪周": "week", "哪个周": "week",
    "which week": "week",
    # "四个季度各占多少", "each of the four quarters": one row each
    "四个季度": "quarter", "各个季度": "quarter",
    "each of the four quarters": "quarter", "十二个月": "month",
    "每周": "week", "按周": "week", "逐周": "week", "周度": "week", "weekly": "week",
    "by week": "week", "per week": "week", "each week": "week", "week by week": "week",
    "每月": "month", "按月": "month", "各个月": "month", "各个月份": "month", "逐月": "month", "月度": "month", "各月": "month",
    "每个月": "month", "monthly": "month", "by month": "month", "per month": "month",
    "each month": "month", "month by month": "month",
    "每季度": "quarter", "按季度": "quarter", "各季度": "quarter", "每个季度": "quarter",
    "quarterly": "quarter", "by quarter": "quarter", "per quarter": "quarter",
    "each quarter": "quarter",
}
# canonical English country name -> other ways to say it (the data may store any of them)
# groups of countries whose members are fixed by their name (not "Europe" or "the EU": which
# countries those hold, and whether the home country is in, is asked back)
COUNTRY_GROUPS: dict[str, tuple[str, ...]] = {
    "benelux": ("Belgium", "Netherlands", "Luxembourg"),
    "比荷卢": ("Belgium", "Netherlands", "Luxembourg"),
    "dach": ("Germany", "Austria", "Switzerland"),
    "nordics": ("Denmark", "Finland", "Iceland", "Norway", "Sweden"),
    "nordic countries": ("Denmark", "Finland", "Iceland", "Norway", "Sweden"),
    "北欧五国": ("Denmark", "Finland", "Iceland", "Norway", "Sweden"),
}
COUNTRY_ALIASES: dict[str, tuple[str, ...]] = {
    "United Kingdom": ("英国", "uk", "u.k.", "britain", "great britain", "england", "gb", "gbr", "british"),
    "France": ("法国", "fr", "french"), "Germany": ("德国", "de", "german"), "Netherlands": ("荷兰", "holland", "nl", "dutch"),
    "EIRE": ("爱尔兰", "ireland", "ie", "eire", "irish"), "Spain": ("西班牙", "es", "spanish"),
    "Belgium": ("比利时", "be", "belgian"), "Switzerland": ("瑞士", "ch", "swiss"), "Portugal": ("葡萄牙", "pt", "portuguese"),
    "Australia": ("澳大利亚", "澳洲", "au", "australian"), "Norway": ("挪威", "no", "norwegian"), "Italy": ("意大利", "it", "italian"),
    "Channel Islands": ("海峡群岛",), "Finland": ("芬兰", "fi", "finnish"), "Cyprus": ("塞浦路斯", "cy"),
    "Sweden": ("瑞典", "se", "swedish"), "Austria": ("奥地利", "at", "austrian"), "Denmark": ("丹麦", "dk", "danish"),
    "Japan": ("日本", "jp", "japanese"), "Poland": ("波兰", "pl", "polish"), "Israel": ("以色列", "il"),
    "USA": ("美国", "us", "u.s.", "united states", "america", "usa", "american"),
    "Hong Kong": ("香港", "hk"), "Singapore": ("新加坡", "sg"), "Iceland": ("冰岛", "is"),
    "Canada": ("加拿大", "ca", "canadian"), "Greece": ("希腊", "gr", "greek"), "Malta": ("马耳他", "mt"),
    "United Arab Emirates": ("阿联酋", "uae", "ae"), "European Community": ("欧共体", "欧盟"),
    "RSA": ("南非", "south africa", "za"), "Lebanon": ("黎巴嫩", "lb"),
    "Lithuania": ("立陶宛", "lt"), "Brazil": ("巴西", "br"), "Czech Republic": ("捷克", "cz"),
    "Bahrain": ("巴林", "bh"), "Saudi Arabia": ("沙特", "沙特阿拉伯", "sa"),
    "China": ("中国", "cn", "中国大陆"), "Unspecified": ("未指定",),
}


def _with_labels(phrases: dict[str, str]) -> dict[str, str]:
    """The phrases, plus every metric's own labels ("成交总额", "average order value"), so an
    answer's choices can be asked again as they are written."""
    out = {m.label_zh.lower(): name for name, m in METRICS.items()}
    out.update({m.label_en.lower(): name for name, m in METRICS.items() if len(m.label_en) > 3})
    out.update(phrases)
    return out


@dataclass
class Vocabulary:
    """Phrases → metrics, plus the merchant's own metrics (name → :class:`Metric`)."""

    metric_phrases: dict[str, str] = field(
        default_factory=lambda: _with_labels(METRIC_PHRASES))
    extra_metrics: dict[str, Metric] = field(default_factory=dict)

    def metric(self, name: str) -> Metric:
        return self.extra_metrics.get(name) or METRICS[name]

    def find_metrics(self, text: str) -> list[tuple[int, str, str]]:
        """(position, metric, phrase) for each metric phrase in ``text``, longest phrases
        first and never overlapping."""
        spans = [(m.start(), m.end(), metric) for pattern, metric in METRIC_PATTERNS
                 for m in pattern.finditer(text)]
        kept: list[tuple[int, int, str]] = []
        for start, end, metric in sorted(spans, key=lambda s: s[0] - s[1]):  # longest first
            if not any(start < b and a < end for a, b, _ in kept):
                kept.append((start, end, metric))
        masked = text
        for start, end, _ in kept:
            masked = masked[:start] + " " * (end - start) + masked[end:]
        found = find_phrases(masked, self.metric_phrases)
        return sorted([*found, *((a, m, text[a:b]) for a, b, m in kept)])


def find_phrases(text: str, phrases: dict[str, str]) -> list[tuple[int, str, str]]:
    """(position, value, phrase) of each phrase in ``text`` (case-insensitive; Latin phrases
    match whole words), longest first and never overlapping, in text order."""
    t = text.lower()
    taken: list[tuple[int, int]] = []
    out = []
    for phrase in sorted(phrases, key=len, reverse=True):
        p = phrase.lower()
        pattern = (rf"(?<![a-z0-9]){re.escape(p)}(?![a-z0-9])" if p.isascii()
                   else re.escape(p))
        for m in re.finditer(pattern, t):
            if any(m.start() < b and a < m.end() for a, b in taken):
                continue
            taken.append((m.start(), m.end()))
            out.append((m.start(), phrases[phrase], m.group()))
    return sorted(out)


def load_vocabulary(path: str | Path | None) -> Vocabulary:
    """The built-in vocabulary, extended by the merchant's TOML file when there is one."""
    vocab = Vocabulary()
    if not path:
        return vocab
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ShopkeeperError(f"{path}: cannot read the ask vocabulary: {exc}") from None
    for name, spec in (data.get("metrics") or {}).items():
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name) or name in METRICS:
            raise ShopkeeperError(f"{path}: [metrics.{name}]: a new metric needs a new "
                                  "lower-case name (letters, digits, _)")
        formula = str(spec.get("formula", ""))
        unknown = [w for w in re.findall(r"\b[a-z_]+\b", formula)
                   if w not in METRICS and w not in {"nullif", "greatest", "least", "abs"}]
        if not formula or unknown:
            raise ShopkeeperError(
                f"{path}: [metrics.{name}]: formula {formula!r} must be written over existing "
                f"metrics" + (f"; unknown: {', '.join(unknown)}" if unknown else ""))
        vocab.extra_metrics[name] = Metric(
            name, str(spec.get("label_en", name)), str(spec.get("label_zh", name)),
            str(spec.get("unit", "number")), bool(spec.get("higher_is_better", True)),
            str(spec.get("description", f"{name} = {formula}")), formula=formula)
        for phrase in spec.get("synonyms", []):
            vocab.metric_phrases[str(phrase).lower()] = name
    for phrase, metric in (data.get("synonyms") or {}).items():
        if metric not in METRICS and metric not in vocab.extra_metrics:
            raise ShopkeeperError(f"{path}: synonym {phrase!r} names unknown metric {metric!r}")
        vocab.metric_phrases[str(phrase).lower()] = metric
    return vocab
