"""Every business metric and dimension, defined once.

A *measure* is an additive aggregate over one fact source (order lines, refunds, expenses, or
customers' orders). A *metric* is what people ask for: either a measure itself or a formula
over measures (net revenue, margin, AOV …). Finance, the dashboard, ask-your-data and the MCP
server all read these definitions through :func:`shopkeeper.metrics.query`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Dimension:
    """Something to group or filter by. ``sql`` per source; a source without it can't be split."""

    name: str
    label_en: str
    label_zh: str
    sql: dict[str, str]
    is_time: bool = False


@dataclass(frozen=True)
class Metric:
    """A business metric: a measure (``source`` + ``sql`` aggregate) or a ``formula`` over
    other metrics. ``unit`` is ``money``, ``count``, ``ratio`` or ``number``."""

    name: str
    label_en: str
    label_zh: str
    unit: str
    higher_is_better: bool
    description: str
    source: str | None = None
    sql: str | None = None
    formula: str | None = None
    description_zh: str = ""  # the definition in Chinese, where answers in Chinese cite it

    @property
    def is_measure(self) -> bool:
        return self.formula is None


# -- what counts as a sale, stated once.
# An order is a *sale* when it is not cancelled and has a value: its lines' gross value
# (quantity × unit price, before discounts) is not zero. A zero-value order (a stock
# adjustment, a "damaged" note, a free replacement) is not a sale: it counts in no sales
# measure (orders, customers, units, COGS …), and a customer's first order is their first sale.
CANCELLED = "cancelled"
# A refund counts unless its order was cancelled: a cancelled order is already out of GMV, so
# taking its refund off as well would subtract the same money twice.
REFUND_COUNTS = f"coalesce(o.status, '') <> '{CANCELLED}'"

# -- the fact sources: table, time column, and the joins a measure or dimension may need (made
# only when the query reads their alias). ``sales`` is one row per order line of a sale (see
# above), with its order's fields, currency, category, resolved unit cost (NULL when unknown,
# or in another currency than the line's with no rate to convert it), gross value and its share
# of order-level discounts, built by the engine.
SOURCES: dict[str, tuple[str, str, dict[str, str]]] = {
    "sales": ("sales l", "l.ordered_at",
              {"f": "LEFT JOIN first_orders f ON f.customer_id = l.customer_id",
               "rk": "LEFT JOIN order_ranks rk ON rk.order_id = l.order_id"}),
    "refunds": ("refunds r", "r.refunded_at",
                {"o": "LEFT JOIN orders o USING (order_id)",
                 "p": "LEFT JOIN products p ON p.product_id = r.product_id",
                 # a refund without its order (a cancellation note) still names its customer
                 "rc": "LEFT JOIN customers rc ON rc.customer_id = r.customer_id"}),
    "expenses": ("expenses e", "e.incurred_on",
                 {"p": "LEFT JOIN products p ON p.product_id = e.product_id"}),
}
# rows a source always leaves out (its joins are made for them)
SOURCE_CONDITIONS: dict[str, str] = {"refunds": REFUND_COUNTS}
# sources computed per customer first, then counted: ``customer_orders`` is sales per group
# and customer with ``n_orders``
NESTED_SOURCES = {"customer_orders": "sales"}

_NONE = "'(none)'"
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _weekday_of(time_col: str) -> str:
    """The day's English name, from its distance to a Monday (portable to every engine)."""
    cases = " ".join(f"WHEN {i} THEN '{name}'" for i, name in enumerate(WEEKDAYS))
    return (f"CASE ((date_diff('day', DATE '1970-01-05', CAST({time_col} AS DATE)) % 7) + 7) "
            f"% 7 {cases} END")


DIMENSIONS: dict[str, Dimension] = {
    d.name: d
    for d in [
        Dimension("day", "day", "日", {}, is_time=True),
        Dimension("week", "week (from Monday)", "周", {}, is_time=True),
        Dimension("month", "month", "月", {}, is_time=True),
        Dimension("quarter", "quarter", "季度", {}, is_time=True),
        Dimension("year", "year", "年", {}, is_time=True),
        Dimension("sku", "SKU", "商品", {
            "sales": "l.product_id", "refunds": f"coalesce(r.product_id, {_NONE})",
            "expenses": f"coalesce(e.product_id, {_NONE})"}),
        # the name a line was sold under (an export may rename a product over time), else its
        # product's; a refund or expense has its product's name
        Dimension("title", "product name as sold", "成交时的商品名称", {
            "sales": "l.title", "refunds": "p.title", "expenses": "p.title"}),
        Dimension("category", "category", "类目", {
            "sales": "coalesce(l.category, 'uncategorised')",
            "refunds": "coalesce(p.category, 'uncategorised')",
            "expenses": "coalesce(p.category, 'uncategorised')"}),
        Dimension("channel", "channel", "渠道", {
            "sales": "coalesce(l.channel, 'unknown')", "refunds": "coalesce(o.channel, 'unknown')",
            "expenses": "coalesce(e.channel, 'unknown')"}),
        Dimension("country", "country", "国家/地区", {
            "sales": f"coalesce(l.country, {_NONE})",
            # the refund's own country (a cancellation invoice's), else its order's, else its
            # customer's
            "refunds": f"coalesce(r.country, o.country, rc.country, {_NONE})"}),
        Dimension("region", "region", "区域", {
            "sales": f"coalesce(l.region, {_NONE})", "refunds": f"coalesce(o.region, {_NONE})"}),
        Dimension("customer", "customer", "客户", {
            "sales": f"coalesce(l.customer_id, {_NONE})",
            "refunds": f"coalesce(r.customer_id, o.customer_id, {_NONE})"}),
        # one order (its number): to count the orders past a value, or leave one out
        Dimension("order", "order", "订单", {
            "sales": "l.order_id", "refunds": f"coalesce(r.order_id, {_NONE})"}),
        Dimension("currency", "currency", "币种", {
            "sales": "l.currency", "refunds": "r.currency", "expenses": "e.currency"}),
        Dimension("weekday", "day of the week", "星期", {
            "sales": _weekday_of("l.ordered_at"), "refunds": _weekday_of("r.refunded_at"),
            "expenses": _weekday_of("e.incurred_on")}),
        Dimension("customer_type", "new or returning customer (or guest)", "新老客", {
            "sales": "CASE WHEN l.customer_id IS NULL THEN 'guest' "
                     "WHEN l.order_id = f.first_order_id THEN 'new' ELSE 'returning' END"}),
        Dimension("customer_segment", "customer segment (by the order's place in their history)",
                  "客户分层", {
            "sales": "CASE WHEN rk.order_rank IS NULL THEN 'guest' WHEN rk.order_rank = 1 "
                     "THEN 'new' WHEN rk.order_rank <= 4 THEN 'returning' ELSE 'loyal' END"}),
    ]
}
TIME_GRAINS = tuple(name for name, d in DIMENSIONS.items() if d.is_time)

_M = Metric
METRICS: dict[str, Metric] = {
    m.name: m
    for m in [
        # -- measures ---------------------------------------------------------------------
        _M("gmv", "GMV", "成交总额", "money", True,
           "Quantity × unit price of every line of every order not cancelled, before discounts.",
           source="sales", sql="sum(l.line_gross)",
           description_zh="未取消订单所有明细的 数量 × 单价 之和，未扣折扣和退款。"),
        _M("discounts", "discounts", "折扣", "money", False,
           "Line discounts plus order-level discounts (spread over the order's lines by value).",
           source="sales", sql="sum(coalesce(l.discount_amount, 0) + l.order_discount_share)",
           description_zh="明细折扣加订单级折扣（按金额分摊到各明细）。"),
        _M("refunds", "refunds", "退款", "money", False,
           "Money paid back: refunds, returns and cancellations after the order was placed, "
           "on the day they were paid.",
           source="refunds", sql="sum(coalesce(r.amount, 0))",
           description_zh="退还给买家的钱：退款、退货及下单后取消，计入退款支付当天。"),
        _M("cogs", "COGS", "销售成本", "money", False,
           "Units sold × unit cost (the product's, else its primary supplier's), over the lines "
           "whose cost is known: see cost coverage.",
           source="sales", sql="sum(l.quantity * l.unit_cost)",
           description_zh="售出件数 × 单位成本（商品成本，否则主供应商成本），只算已知成本的明细。"),
        _M("costed_sales", "sales with a known cost", "有成本数据的销售额", "money", True,
           "GMV − discounts of the lines whose unit cost is known.",
           source="sales",
           sql="sum(l.line_gross - coalesce(l.discount_amount, 0) - l.order_discount_share) "
               "FILTER (WHERE l.unit_cost IS NOT NULL)"),
        _M("uncosted_lines", "lines without a known cost", "无成本数据的明细行", "count", False,
           "Order lines with a value whose unit cost is unknown.",
           source="sales", sql="count(*) FILTER (WHERE l.unit_cost IS NULL AND l.line_gross <> 0)"),
        _M("units", "units", "件数", "count", True, "Units sold.",
           source="sales", sql="sum(l.quantity)",
           description_zh="售出件数。"),
        _M("orders", "orders", "订单数", "count", True,
           "Sales: orders not cancelled and with a value (zero-value orders are not counted).",
           source="sales", sql="count(DISTINCT l.order_id)",
           description_zh="销售订单数：未取消且金额不为零的订单（零金额订单不计）。"),
        _M("customers", "customers", "下单客户", "count", True,
           "Customers with a sale (a zero-value order does not make a customer).",
           source="sales", sql="count(DISTINCT l.customer_id)",
           description_zh="有销售的客户数（零金额订单不算客户；游客订单没有客户）。"),
        _M("products_sold", "distinct products sold", "售出商品数", "count", True,
           "Distinct products (SKUs) with a sale.",
           source="sales", sql="count(DISTINCT l.product_id)",
           description_zh="有销售的不同商品（货号）数。"),
        _M("order_products", "products summed over orders", "各单商品种数合计", "count", True,
           "Distinct products of each order, added up over the orders (a product on two lines "
           "of one order counts once).",
           source="sales", sql="count(DISTINCT (l.order_id, l.product_id))",
           description_zh="每张订单里不同商品（货号）的个数，按订单加总（同一订单两行同一商品只算一次）。"),
        _M("countries", "countries with sales", "下单国家数", "count", True,
           "Distinct countries with a sale (orders with no country are not counted).",
           source="sales", sql="count(DISTINCT l.country)",
           description_zh="有销售的不同国家/地区数（没有国家的订单不计）。"),
        _M("customer_gmv", "GMV of customers' orders", "客户订单成交额", "money", True,
           "GMV of the orders that have a customer (guest orders left out); by customer type, "
           "every order of a customer counts to the customer's type.",
           source="customer_orders", sql="sum(gross) FILTER (WHERE customer_id IS NOT NULL)",
           description_zh="有客户的订单的成交额（游客订单不计）；按新老客分时，客户的每一单都算在该客户的类型下。"),
        _M("customer_order_count", "orders of customers", "客户订单数", "count", True,
           "Orders that have a customer (guest orders left out); by customer type, every order "
           "of a customer counts to the customer's type.",
           source="customer_orders", sql="sum(n_orders) FILTER (WHERE customer_id IS NOT NULL)",
           description_zh="有客户的订单数（游客订单不计）；按新老客分时，客户的每一单都算在该客户的类型下。"),
        _M("customer_units", "units of customers' orders", "客户订单件数", "count", True,
           "Units of the orders that have a customer (guest orders left out); by customer type, "
           "every order of a customer counts to the customer's type.",
           source="customer_orders", sql="sum(qty) FILTER (WHERE customer_id IS NOT NULL)",
           description_zh="有客户的订单的件数（游客订单不计）；按新老客分时，客户的每一单都算在该客户的类型下。"),
        _M("new_customers", "new customers", "新客户", "count", True,
           "Customers whose first order ever is in the group.",
           source="sales",
           sql="count(DISTINCT CASE WHEN l.order_id = f.first_order_id THEN l.customer_id END)",
           description_zh="首单落在该分组内的客户数。"),
        _M("repeat_customers", "repeat customers", "复购客户", "count", True,
           "Customers with two or more orders in the group.",
           source="customer_orders",
           sql="count(*) FILTER (WHERE n_orders > 1 AND customer_id IS NOT NULL)",
           description_zh="该分组内下单两次及以上的客户数（游客订单没有客户）。"),
        _M("ordering_customers", "customers (repeat-rate base)", "客户数（复购率口径）", "count", True,
           "Customers with an order in the group, as the repeat-purchase rate counts them: "
           "by customer type, a customer is new when their first order ever is in the group "
           "and returning otherwise, never both.",
           source="customer_orders", sql="count(*) FILTER (WHERE customer_id IS NOT NULL)",
           description_zh="该分组内有订单的客户数，按复购率的口径：按新老客分时，首单在该分组内的客户"
                          "算新客，其余算老客，不重复计。"),
        _M("ad_spend", "ad spend", "广告费", "money", False, "Expenses of category 'ads'.",
           source="expenses", sql="sum(e.amount) FILTER (WHERE e.category = 'ads')"),
        _M("logistics", "logistics", "物流费", "money", False,
           "Expenses of category 'logistics' (shipping, fulfilment).",
           source="expenses", sql="sum(e.amount) FILTER (WHERE e.category = 'logistics')"),
        _M("fees", "platform and payment fees", "平台及支付费用", "money", False,
           "Expenses whose category ends in 'fee' or 'fees' (payment_fee, platform_fee …).",
           source="expenses",
           sql="sum(e.amount) FILTER (WHERE regexp_matches(e.category, 'fees?$'))"),
        _M("other_expenses", "other expenses", "其他费用", "money", False,
           "Every other expense (rent, software, salaries …).",
           source="expenses",
           sql="sum(e.amount) FILTER (WHERE e.category NOT IN ('ads', 'logistics') "
               "AND NOT regexp_matches(e.category, 'fees?$'))"),
        # -- formulas ---------------------------------------------------------------------
        _M("net_revenue", "net revenue", "净收入", "money", True,
           "GMV after discounts and refunds.", formula="gmv - discounts - refunds",
           description_zh="GMV 减折扣再减退款。"),
        _M("gross_profit", "gross profit", "毛利", "money", True, "Net revenue − COGS.",
           formula="net_revenue - cogs",
           description_zh="净收入 − 销售成本。"),
        _M("uncosted_sales", "sales without a known cost", "无成本数据的销售额", "money", False,
           "GMV − discounts of the lines whose unit cost is unknown (none loaded, or in another "
           "currency with no exchange rate).", formula="gmv - discounts - costed_sales"),
        _M("cost_coverage", "cost coverage", "成本覆盖率", "ratio", True,
           "Share of sales (GMV − discounts) whose unit cost is known.",
           formula="greatest(0.0, least(1.0, costed_sales / nullif(gmv - discounts, 0)))"),
        _M("gross_margin", "gross margin", "毛利率", "ratio", True,
           "Gross profit / net revenue; empty (unknown) unless every line's cost is known.",
           formula="CASE WHEN uncosted_lines = 0 THEN gross_profit / nullif(net_revenue, 0) END",
           description_zh="毛利 / 净收入；只有每条明细的成本都已知时才计算。"),
        _M("costed_margin", "gross margin on costed sales", "有成本部分的毛利率", "ratio", True,
           "(Sales − COGS) / sales over the lines whose cost is known, before refunds.",
           formula="(costed_sales - cogs) / nullif(costed_sales, 0)"),
        _M("contribution", "contribution margin", "边际贡献", "money", True,
           "Gross profit − fees − logistics − ad spend.",
           formula="gross_profit - fees - logistics - ad_spend"),
        _M("contribution_rate", "contribution margin rate", "边际贡献率", "ratio", True,
           "Contribution / net revenue; empty (unknown) unless every line's cost is known.",
           formula="CASE WHEN uncosted_lines = 0 THEN contribution / nullif(net_revenue, 0) END"),
        _M("operating_profit", "operating profit", "经营利润", "money", True,
           "Contribution − other expenses.", formula="contribution - other_expenses"),
        _M("aov", "average order value", "客单价", "money", True,
           "(GMV − discounts) / orders.", formula="(gmv - discounts) / nullif(orders, 0)",
           description_zh="（GMV − 折扣）/ 订单数。"),
        _M("spend_per_customer", "spend per customer", "人均消费", "money", True,
           "GMV of customers' orders / customers (guest orders are in neither). By customer "
           "type, per customer: a new customer's every order counts to the new ones.",
           formula="customer_gmv / nullif(ordering_customers, 0)",
           description_zh="客户订单成交额 / 客户数（游客订单两边都不计）。按新老客分时按客户算：新客的每一单都算新客。"),
        _M("orders_per_customer", "orders per customer", "人均下单次数", "number", True,
           "Orders of customers / customers (guest orders are in neither). By customer type, "
           "per customer: a new customer's every order counts to the new ones.",
           formula="customer_order_count / nullif(ordering_customers, 0)",
           description_zh="客户订单数 / 客户数（游客订单两边都不计）。按新老客分时按客户算：新客的每一单都算新客。"),
        _M("units_per_customer", "units per customer", "人均件数", "number", True,
           "Units of customers' orders / customers (guest orders are in neither). By customer "
           "type, per customer: a new customer's every order counts to the new ones.",
           formula="customer_units / nullif(ordering_customers, 0)",
           description_zh="客户订单件数 / 客户数（游客订单两边都不计）。按新老客分时按客户算：新客的每一单都算新客。"),
        _M("units_per_order", "units per order", "连带率（件/单）", "number", True, "Units / orders.",
           formula="units / nullif(orders, 0)",
           description_zh="件数 / 订单数。"),
        _M("products_per_order", "distinct products per order", "单均商品种数", "number", True,
           "Distinct products (SKUs) in an order, on average: how broad a basket is, where "
           "units per order is how big.", formula="order_products / nullif(orders, 0)",
           description_zh="平均每张订单包含几种不同的商品（货号）：衡量购物篮的宽度；连带率衡量的是件数。"),
        _M("unit_price", "average selling price per unit", "件单价", "money", True,
           "(GMV − discounts) / units.", formula="(gmv - discounts) / nullif(units, 0)",
           description_zh="（GMV − 折扣）/ 件数。"),
        _M("refund_rate", "refund rate", "退款率", "ratio", False, "Refunds / GMV.",
           formula="refunds / nullif(gmv, 0)",
           description_zh="退款 / GMV。"),
        _M("returning_customers", "returning customers", "老客户", "count", True,
           "Customers − new customers.", formula="customers - new_customers",
           description_zh="客户数 − 新客户数。"),
        _M("repeat_purchase_rate", "repeat-purchase rate", "复购率", "ratio", True,
           "Repeat customers / ordering customers. New customers' rate: of the customers "
           "whose first order is in the period, the share who ordered again within it.",
           formula="repeat_customers / nullif(ordering_customers, 0)",
           description_zh="复购客户数 / 下单客户数。新客复购率：首单在该期间内的客户中，期间内再次下单的比例。"),
        _M("roas", "ROAS", "广告投入产出比", "ratio", True, "(GMV − discounts) / ad spend.",
           formula="(gmv - discounts) / nullif(ad_spend, 0)"),
        _M("cac", "customer acquisition cost", "获客成本", "money", False,
           "Ad spend / new customers.", formula="ad_spend / nullif(new_customers, 0)"),
    ]
}
