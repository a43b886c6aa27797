"""Generated complements for a store whose real data lacks some tables.

UCI Online Retail has orders, products and customers but no unit costs, stock, suppliers,
expenses, reviews or policies. These functions derive plausible ones from the real sales, deterministically
(a seeded hash of each id, no randomness between runs), and write them as canonical files so they
load through the normal ingestion path, labelled ``generated:`` in the warehouse.
"""

from __future__ import annotations

from pathlib import Path

from shopkeeper.store.warehouse import Warehouse

SUPPLIERS = [
    ("S01", "Generated: Brightway Giftware Ltd", "United Kingdom", "GBP"),
    ("S02", "Generated: Yiwu Happy Crafts Co.", "China", "GBP"),
    ("S03", "Generated: Jaipur Textiles Export", "India", "GBP"),
    ("S04", "Generated: Nordic Home Supply AB", "Sweden", "GBP"),
    ("S05", "Generated: Ningbo Kitchenware Co.", "China", "GBP"),
    ("S06", "Generated: Leeds Paper & Print", "United Kingdom", "GBP"),
    ("S07", "Generated: Porto Ceramics Lda", "Portugal", "GBP"),
    ("S08", "Generated: Shenzhen Lights Factory", "China", "GBP"),
]

# Percent of customers who leave a review, and templates by star rating.
REVIEW_TEMPLATES = {
    5: ["Lovely {t}, exactly as pictured. Will buy again.", "Great quality {t}, arrived quickly and well packed.",
        "My customers love the {t}. Excellent value."],
    4: ["Nice {t}, good value for money.", "Good {t}, delivery took a few days longer than expected."],
    3: ["The {t} is OK, a bit smaller than I thought.", "Average {t}; packaging could be better."],
    2: ["The {t} arrived with a scratch. Disappointed.", "Colour of the {t} differs from the photo."],
    1: ["The {t} arrived broken, the box was crushed.", "Poor quality {t}, would not recommend."],
}


# The store's own policy documents (generated: UCI has none), in English and Chinese. Reply
# drafts and customer service may offer only the remedies these allow.
POLICY_DOCUMENTS = [
    ("POL-RETURNS-EN", "policy", "Returns, refunds and damaged items (generated for the demo)",
     "You can return any item within 30 days of delivery "
     "for a refund to the original payment method. If an item arrives damaged or faulty, send "
     "us a photo within 7 days of delivery and we send a free replacement, or a refund if you "
     "prefer. Items in the wrong size or colour can be exchanged within 30 days. Personalised "
     "items cannot be returned. We do not offer discount vouchers as compensation.", "en"),
    ("POL-RETURNS-ZH", "policy", "退货、退款与破损商品（演示店铺生成）",
     "签收后30天内可退货，退款原路返回。商品到货破损或有质量问题，请在签收后7天内"
     "拍照联系我们，我们免费补发新品，您也可以选择退款。尺码或颜色不合适的商品可在30天内换货。定制商品"
     "不支持退货。我们不提供优惠券作为补偿。", "zh"),
    ("FAQ-SHIPPING-EN", "faq", "How long does delivery take? (generated for the demo)",
     "Orders ship within 2 working days; UK delivery takes "
     "3 to 5 working days. Delivery is free on orders over £50.", "en"),
    ("FAQ-SHIPPING-ZH", "faq", "多久能收到货？（演示店铺生成）",
     "订单在2个工作日内发货，英国境内3到5个工作日送达。订单金额超过50英镑免运费。", "zh"),
]


def _h(expr: str, salt: str, modulo: int) -> str:
    """A deterministic pseudo-random integer in [0, modulo) from an expression."""
    return f"CAST(hash({expr} || '{salt}') % {modulo} AS BIGINT)"


def write_complements(warehouse: Warehouse, out_dir: Path, *, currency: str = "GBP") -> list[Path]:
    """Write generated suppliers, SKU suppliers, stock, expenses, reviews and policy documents
    as Parquet files."""
    out_dir.mkdir(parents=True, exist_ok=True)
    con = warehouse.connection
    files: list[Path] = []

    def copy(table: str, sql: str) -> None:
        path = out_dir / f"{table}.parquet"
        con.execute(f"COPY ({sql}) TO '{path}' (FORMAT parquet)")
        files.append(path)

    values = ", ".join(f"('{i}', '{n}', '{c}', '{cur}')" for i, n, c, cur in SUPPLIERS)
    copy("suppliers", f"SELECT * FROM (VALUES {values}) v(supplier_id, name, country, currency) "
                      "ORDER BY supplier_id")

    con.execute(
        """CREATE OR REPLACE TEMP TABLE _sales AS
        SELECT product_id, median(unit_price) AS price, sum(quantity) AS units,
               count(DISTINCT CAST(o.ordered_at AS DATE)) AS days_sold
        FROM order_lines l JOIN orders o USING (order_id) GROUP BY product_id"""
    )
    n = len(SUPPLIERS)
    copy(
        "sku_suppliers",
        f"""SELECT product_id,
               'S0' || (1 + {_h('product_id', 'sup', n)}) AS supplier_id,
               round(greatest(coalesce(price, 1), 0.05) * (0.35 + {_h('product_id', 'cost', 30)} / 100.0), 2)
                   AS unit_cost,
               '{currency}' AS currency,
               CAST(5 + {_h('product_id', 'lead', 40)} AS DOUBLE) AS lead_time_days,
               round((5 + {_h('product_id', 'lead', 40)}) * 0.25, 1) AS lead_time_std_days,
               [1, 6, 12, 24, 48][1 + {_h('product_id', 'moq', 5)}] AS moq,
               [1, 6, 12, 24, 48][1 + {_h('product_id', 'moq', 5)}] AS order_multiple,
               true AS is_primary
        FROM _sales ORDER BY product_id""",
    )
    copy(
        "inventory_snapshots",
        f"""WITH last AS (SELECT max(ordered_at) AS t FROM orders),
        recent AS (
            SELECT l.product_id, sum(l.quantity) / 90.0 AS daily
            FROM order_lines l JOIN orders o USING (order_id), last
            WHERE o.ordered_at > last.t - INTERVAL 90 DAY GROUP BY ALL)
        SELECT s.product_id, 'main' AS location,
               date_trunc('day', last.t) + INTERVAL 23 HOUR AS snapshot_at,
               CAST(round(coalesce(r.daily, 0) * {_h('s.product_id', 'cover', 75)}) AS INTEGER) AS on_hand,
               CAST(CASE WHEN {_h('s.product_id', 'po', 4)} = 0
                    THEN round(coalesce(r.daily, 0) * 30) ELSE 0 END AS INTEGER) AS on_order,
               0 AS reserved
        FROM _sales s LEFT JOIN recent r USING (product_id), last ORDER BY s.product_id""",
    )
    copy(
        "expenses",
        f"""WITH daily AS (
            SELECT CAST(o.ordered_at AS DATE) AS d, sum(l.line_amount) AS revenue,
                   count(DISTINCT o.order_id) AS orders
            FROM orders o JOIN order_lines l USING (order_id) GROUP BY 1),
        ads AS (
            SELECT 'ADS-' || ch || '-' || strftime(d, '%Y%m%d') AS expense_id, d AS incurred_on,
                   'ads' AS category, ch AS channel,
                   round(revenue * share * (0.8 + {_h("CAST(d AS VARCHAR) || ch", 'ads', 40)} / 100.0), 2) AS amount,
                   'Generated daily ad spend' AS description
            FROM daily, (VALUES ('google_ads', 0.05), ('facebook_ads', 0.03)) c(ch, share)),
        logistics AS (
            SELECT 'LOG-' || strftime(d, '%Y%m%d'), d, 'logistics', 'royal_mail',
                   round(orders * 4.20, 2), 'Generated outbound shipping cost' FROM daily),
        months AS (
            SELECT date_trunc('month', d) AS m, sum(revenue) AS revenue FROM daily GROUP BY 1),
        fees AS (
            SELECT 'PAY-' || strftime(m, '%Y%m'), CAST(m AS DATE), 'payment_fee', 'card_processor',
                   round(revenue * 0.019, 2), 'Generated card processing fees' FROM months
            UNION ALL
            SELECT 'SW-' || strftime(m, '%Y%m'), CAST(m AS DATE), 'software', 'online_store',
                   299.00, 'Generated e-commerce platform plan' FROM months
            UNION ALL
            SELECT 'RENT-' || strftime(m, '%Y%m'), CAST(m AS DATE), 'rent', NULL,
                   4500.00, 'Generated warehouse rent' FROM months)
        SELECT *, '{currency}' AS currency FROM (
            SELECT * FROM ads UNION ALL SELECT * FROM logistics UNION ALL SELECT * FROM fees)
        ORDER BY expense_id""",
    )
    cases = []
    for stars, texts in REVIEW_TEMPLATES.items():
        options = ", ".join("'" + t.replace("'", "''") + "'" for t in texts)
        cases.append(f"WHEN {stars} THEN [{options}][1 + {_h('order_id || product_id', 'txt', len(texts))}]")
    copy(
        "reviews",
        f"""WITH picked AS (
            SELECT DISTINCT l.order_id, l.product_id, o.customer_id, o.ordered_at,
                   lower(coalesce(p.title, 'item')) AS t,
                   {_h('l.order_id || l.product_id', 'stars', 100)} AS roll
            FROM order_lines l JOIN orders o USING (order_id) LEFT JOIN products p USING (product_id)
            WHERE o.customer_id IS NOT NULL AND {_h('l.order_id || l.product_id', 'review', 100)} < 3)
        SELECT 'RV-' || order_id || '-' || product_id AS review_id, product_id, order_id, customer_id,
               rating, replace(CASE rating {' '.join(cases)} END, '{{t}}', t) AS body,
               'en' AS language,
               ordered_at + to_days(CAST(3 + {_h('order_id || product_id', 'delay', 12)} AS INTEGER)) AS created_at
        FROM (SELECT *, CASE WHEN roll < 55 THEN 5 WHEN roll < 80 THEN 4 WHEN roll < 90 THEN 3
                             WHEN roll < 95 THEN 2 ELSE 1 END AS rating FROM picked)
        ORDER BY review_id""",
    )
    docs = ", ".join("(" + ", ".join("'" + v.replace("'", "''") + "'" for v in doc) + ")"
                     for doc in POLICY_DOCUMENTS)
    copy("knowledge_documents",
         f"SELECT * FROM (VALUES {docs}) v(doc_id, kind, title, body, language) ORDER BY doc_id")
    con.execute("DROP TABLE _sales")
    return files
