"""A synthetic store: realistic, reproducible data for every canonical table.

``generate_store(out_dir, orders=...)`` writes one file per canonical table, its columns named
exactly like the schema (so a folder loads with ``preset="canonical"``). The same arguments and
seed always give byte-identical files.

What makes it look like a real shop:

* demand with a growth trend, a weekly cycle (busier Friday to Sunday), a yearly cycle (peak in
  December) and day-to-day noise; orders placed mostly in the afternoon and evening;
* promotion days (New Year, spring sale, 618, summer sale, Singles' Day, Black Friday to Cyber
  Monday, holiday sale, one flash sale a month) with price discounts recorded in
  ``order_lines.discount_amount`` and ``orders.attributes`` and a volume uplift, and a dip in the
  days before the big ones; clearance discounts before a product is archived;
* Zipf-like product popularity with a long tail of SKUs that sell on few days, seasonal
  categories (outerwear in winter, swimwear in summer, toys before Christmas), products launched
  and archived during the period, list-price increases;
* 2-4 lines per order on average, repeat customers (a few buy very often), guest checkouts,
  several markets and currencies (each order in one currency), coupons, free shipping over a
  threshold, cancellations, deliveries that arrive late;
* returns and refunds of about 5% of lines, more for poor-quality SKUs and late deliveries, and
  reviews whose ratings follow the same quality (and are low for returned lines), in English and
  Chinese;
* daily ad spend per ad network that follows revenue and ramps up before promotions, monthly
  platform, payment, logistics, packaging and software costs; shipments (carrier, tracking number
  and link, shipped, delivered, ETA: most delivered, recent ones in transit or out for delivery,
  a few delayed or lost, some orders in two parcels); suppliers with lead times, MOQs and
  case packs; an end-of-period stock count; sampled browsing events; return, shipping and FAQ
  documents.

Every amount is computed in integer minor units, so ``line_amount = quantity * unit_price -
discount_amount`` and ``total_amount = subtotal_amount - discount_amount + shipping_amount`` hold
exactly. Timestamps are ISO 8601 with the market's UTC offset (``2024-03-05T14:22:10+08:00``).
Generation is vectorised with numpy and written with pyarrow: a million order lines take a few
seconds.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from shopkeeper.store import schema

ProgressFn = Callable[[str, float | None], None]

#: Tables written by :func:`generate_store`, in writing order.
GENERATED_TABLES: tuple[str, ...] = (
    "categories", "products", "customers", "orders", "order_lines", "shipments", "refunds",
    "inventory_snapshots", "suppliers", "sku_suppliers", "expenses", "reviews", "events",
    "knowledge_documents",
)

DAY = 86_400
EVENT_LINES_CAP = 100_000  # browsing events are generated for at most this many order lines


# -- markets ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Market:
    currency: str
    offset_min: int  # UTC offset of the market's local time
    fx: float  # units of this currency per USD
    decimals: int
    places: tuple[tuple[str, str, str], ...]  # (country, region, city)
    phone: str
    zh: float  # share of Chinese-language reviews
    chinese_names: bool = False


_MARKETS = {
    m.currency: m
    for m in (
        _Market("USD", -300, 1.0, 2, (("US", "NY", "New York"), ("US", "CA", "Los Angeles"),
                ("US", "IL", "Chicago"), ("US", "TX", "Houston"), ("US", "WA", "Seattle"),
                ("US", "MA", "Boston"), ("US", "FL", "Miami")), "+1 555 ", 0.08),
        _Market("EUR", 60, 0.92, 2, (("DE", "BE", "Berlin"), ("DE", "BY", "Munich"),
                ("FR", "IDF", "Paris"), ("NL", "NH", "Amsterdam"), ("ES", "MD", "Madrid"),
                ("IT", "LOM", "Milan")), "+49 30 ", 0.05),
        _Market("GBP", 0, 0.79, 2, (("GB", "ENG", "London"), ("GB", "ENG", "Manchester"),
                ("GB", "SCT", "Edinburgh"), ("GB", "ENG", "Bristol")), "+44 20 ", 0.06),
        _Market("CNY", 480, 7.2, 2, (("CN", "上海", "上海"), ("CN", "北京", "北京"),
                ("CN", "广东", "深圳"), ("CN", "广东", "广州"), ("CN", "浙江", "杭州"),
                ("CN", "四川", "成都")), "+86 138 ", 0.92, True),
        _Market("HKD", 480, 7.8, 2, (("HK", "HK", "Hong Kong"), ("HK", "KLN", "Kowloon")),
                "+852 5", 0.7, True),
        _Market("TWD", 480, 32.0, 0, (("TW", "台北", "台北"), ("TW", "高雄", "高雄")),
                "+886 9", 0.9, True),
        _Market("SGD", 480, 1.35, 2, (("SG", "SG", "Singapore"),), "+65 8", 0.4),
        _Market("JPY", 540, 150.0, 0, (("JP", "Tokyo", "Tokyo"), ("JP", "Osaka", "Osaka")),
                "+81 90 ", 0.05),
        _Market("KRW", 540, 1350.0, 0, (("KR", "Seoul", "Seoul"), ("KR", "Busan", "Busan")),
                "+82 10 ", 0.05),
        _Market("CAD", -300, 1.36, 2, (("CA", "ON", "Toronto"), ("CA", "BC", "Vancouver"),
                ("CA", "QC", "Montreal")), "+1 555 ", 0.08),
        _Market("AUD", 600, 1.52, 2, (("AU", "NSW", "Sydney"), ("AU", "VIC", "Melbourne")),
                "+61 4 ", 0.08),
        _Market("BRL", -180, 5.0, 2, (("BR", "SP", "São Paulo"), ("BR", "RJ", "Rio de Janeiro")),
                "+55 11 ", 0.02),
        _Market("INR", 330, 83.0, 2, (("IN", "MH", "Mumbai"), ("IN", "KA", "Bengaluru")),
                "+91 98 ", 0.02),
        _Market("CHF", 60, 0.88, 2, (("CH", "ZH", "Zürich"), ("CH", "GE", "Geneva")),
                "+41 79 ", 0.04),
    )
}


def _market(code: str) -> _Market:
    if not re.fullmatch(r"[A-Z]{3}", code or ""):
        raise ValueError(f"currency {code!r} is not a 3-letter ISO 4217 code")
    if code in _MARKETS:
        return _MARKETS[code]
    country = code[:2]  # most ISO 4217 codes start with the country's ISO 3166 code
    return _Market(code, 0, 1.0, 2, ((country, "", ""),), "+00 ", 0.05)


# -- carriers ---------------------------------------------------------------------------------
# (name, tracking number prefix, random digits, suffix, tracking page with {} for the number)
_CARRIER_INFO = {
    "ups": ("UPS", "1Z9", 15, "", "https://www.ups.com/track?tracknum={}"),
    "usps": ("USPS", "9400", 18, "", "https://tools.usps.com/go/TrackConfirmAction?tLabels={}"),
    "royal_mail": ("Royal Mail", "RM", 9, "GB",
                   "https://www.royalmail.com/track-your-item#/tracking-results/{}"),
    "evri": ("Evri", "H00", 13, "", "https://www.evri.com/track/parcel/{}"),
    "dpd": ("DPD", "0", 13, "", "https://tracking.dpd.de/status/en_US/parcel/{}"),
    "dhl": ("DHL Paket", "00340", 15, "", "https://www.dhl.de/en/privatkunden/dhl-sendungsverfolgung.html?piececode={}"),
    "sf": ("顺丰速运", "SF", 13, "", "https://www.sf-express.com/chn/sc/waybill/list?billNo={}"),
    "zto": ("中通快递", "7", 14, "", "https://www.zto.com/express/expressCheck.html?txtBill={}"),
    "yto": ("圆通速递", "YT", 13, "", "https://www.yto.net.cn/query?waybill={}"),
    "dhl_express": ("DHL Express", "", 10, "",
                    "https://www.dhl.com/global-en/home/tracking.html?tracking-id={}"),
}
_CARRIERS_BY_CURRENCY = {
    "USD": ("ups", "usps"), "CAD": ("ups",), "GBP": ("royal_mail", "evri", "dpd"),
    "EUR": ("dhl", "dpd"), "CHF": ("dpd",), "CNY": ("sf", "zto", "yto"), "HKD": ("sf",),
    "TWD": ("sf",),
}
_SHIPMENT_STATUS = ("label_created", "shipped", "in_transit", "out_for_delivery", "delivered",
                    "delayed", "exception", "lost", "returned")


# -- catalogue vocabulary ---------------------------------------------------------------------
# (id, English name, Chinese name, median USD price, seasonal profile, nouns)
_CATEGORIES = (
    ("outerwear", "Outerwear", "外套", 89.0, "winter", ("Down Jacket", "Wool Coat", "Rain Shell",
                                                       "Fleece Jacket", "Puffer Vest")),
    ("tops", "Tops", "上衣", 29.0, "flat", ("T-Shirt", "Linen Shirt", "Polo", "Hoodie",
                                            "Knit Sweater")),
    ("swimwear", "Swimwear", "泳装", 35.0, "summer", ("Swim Shorts", "Bikini Set", "Rash Guard",
                                                      "One-Piece Swimsuit")),
    ("footwear", "Footwear", "鞋履", 69.0, "flat", ("Sneakers", "Sandals", "Chelsea Boots",
                                                    "Slip-Ons")),
    ("accessories", "Accessories", "配饰", 19.0, "flat", ("Cap", "Scarf", "Tote Bag",
                                                          "Sunglasses", "Belt")),
    ("home", "Home", "家居", 39.0, "holiday", ("Ceramic Mug", "Throw Blanket", "Scented Candle",
                                               "Linen Napkins", "Vase")),
    ("kitchen", "Kitchen", "厨房", 25.0, "flat", ("Chef Knife", "Cutting Board",
                                                  "Pour-Over Kettle", "Spice Jar Set")),
    ("beauty", "Beauty", "美妆", 22.0, "flat", ("Face Serum", "Lip Balm", "Hand Cream",
                                                "Sheet Mask Pack")),
    ("outdoor", "Outdoor", "户外", 59.0, "summer", ("Camping Lantern", "Hammock",
                                                    "Water Bottle", "Daypack")),
    ("electronics", "Electronics", "数码", 79.0, "holiday", ("Wireless Earbuds", "Phone Stand",
                                                             "Power Bank", "Smart Plug")),
    ("toys", "Toys", "玩具", 27.0, "holiday", ("Building Blocks", "Plush Bear",
                                               "1000-Piece Puzzle", "Wooden Train")),
    ("stationery", "Stationery", "文具", 12.0, "flat", ("Notebook", "Gel Pen Set",
                                                        "Desk Planner", "Washi Tape")),
)
_CATEGORY_WEIGHTS = np.array([6, 12, 4, 7, 9, 8, 6, 7, 5, 6, 5, 6], dtype=float)
_ADJECTIVES = ("Classic", "Everyday", "Organic", "Urban", "Coastal", "Nordic", "Vintage",
               "Essential", "Premium", "Lightweight", "Cozy", "Minimal", "Heritage", "Studio")
_COLOURS = (("BLK", "Black"), ("WHT", "White"), ("NAV", "Navy"), ("OLV", "Olive"),
            ("SND", "Sand"), ("RED", "Red"), ("GRY", "Grey"), ("BLU", "Sky Blue"))
_SIZES = ("XS", "S", "M", "L", "XL")
_SIZED = {"outerwear", "tops", "swimwear", "footwear"}
_MATERIALS = ("cotton", "linen", "recycled polyester", "merino wool", "stainless steel",
              "stoneware", "bamboo", "vegan leather", "beechwood", "glass")
_BRANDS = ("Maple & Thread", "Northwind", "Lumen", "Kiko Goods", "Harbor Lane", "Tidewater")

_FIRST = ("Emma", "Liam", "Olivia", "Noah", "Ava", "Elijah", "Sophia", "James", "Mia", "Lucas",
          "Amelia", "Mateo", "Harper", "Leo", "Ella", "Oliver", "Chloe", "Ethan", "Zoe", "Jack",
          "Nora", "Henry", "Lena", "Felix", "Clara", "Hugo", "Alice", "Luca", "Marta", "Sam")
_LAST = ("Smith", "Johnson", "Brown", "Garcia", "Miller", "Davis", "Martin", "Müller",
         "Schmidt", "Dubois", "Rossi", "Silva", "Taylor", "Wilson", "Moore", "Clark", "Lewis",
         "Walker", "Young", "King", "Wright", "Lopez", "Hill", "Green", "Baker")
_CN_SURNAMES = (("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"),
                ("杨", "yang"), ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"),
                ("徐", "xu"), ("孙", "sun"), ("马", "ma"), ("朱", "zhu"), ("胡", "hu"))
_CN_GIVEN = (("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"),
             ("磊", "lei"), ("洋", "yang"), ("艳", "yan"), ("勇", "yong"), ("杰", "jie"),
             ("婷", "ting"), ("强", "qiang"), ("雪", "xue"), ("晨", "chen"), ("欣怡", "xinyi"),
             ("子涵", "zihan"), ("浩然", "haoran"), ("梓萱", "zixuan"), ("宇轩", "yuxuan"),
             ("佳琪", "jiaqi"))

_HOURS = np.array([0.6, 0.35, 0.2, 0.15, 0.12, 0.15, 0.3, 0.6, 0.9, 1.1, 1.2, 1.3, 1.4, 1.3, 1.2,
                   1.2, 1.25, 1.3, 1.4, 1.6, 1.8, 1.9, 1.6, 1.1])
_WEEKDAYS = np.array([0.93, 0.91, 0.93, 0.97, 1.06, 1.12, 1.10])  # Monday first
_CHANNELS = ("online_store", "mobile_app", "marketplace", "social")
_CHANNEL_P = np.array([0.55, 0.25, 0.12, 0.08])

# (name, month, day, length in days, discount, volume uplift); Black Friday is computed.
_PROMOTIONS = (
    ("new_year_sale", 1, 1, 3, 0.15, 1.6),
    ("spring_sale", 3, 20, 4, 0.15, 1.7),
    ("mid_year_618", 6, 16, 3, 0.20, 2.2),
    ("summer_sale", 7, 10, 5, 0.15, 1.6),
    ("singles_day", 11, 11, 1, 0.25, 3.0),
    ("holiday_sale", 12, 12, 5, 0.10, 1.5),
)

_RETURN_REASONS = ("Wrong size", "Changed my mind", "Not as described", "Item damaged",
                   "Defective", "Arrived late")
_REFUND_REASONS = ("Partial refund for a defect", "Missing item", "Price adjustment",
                   "Goodwill refund", "Damaged packaging")
_CANCEL_REASONS = ("Cancelled by customer", "Out of stock", "Payment review failed")

# Review templates per sentiment (negative, neutral, positive) and language.
_REVIEW_TITLES = {
    ("neg", "en"): ("Disappointed", "Not worth it", "Poor quality", "Would not buy again"),
    ("mid", "en"): ("It's okay", "Average", "Decent for the price", "Mixed feelings"),
    ("pos", "en"): ("Love it", "Great quality", "Exactly as pictured", "Highly recommend"),
    ("neg", "zh"): ("很失望", "不值这个价", "质量差", "不会回购"),
    ("mid", "zh"): ("还可以", "一般般", "性价比还行", "有好有坏"),
    ("pos", "zh"): ("非常喜欢", "质量很好", "和图片一样", "强烈推荐"),
}
_REVIEW_OPENERS = {
    ("neg", "en"): ("Not what I expected.", "The quality is poor.", "Had to send it back.",
                    "Fell apart after a week."),
    ("mid", "en"): ("It's fine overall.", "Does the job.", "Okay, nothing special.",
                    "Good but not great."),
    ("pos", "en"): ("Really happy with this.", "Excellent quality.", "Looks even better in person.",
                    "My second purchase, still great."),
    ("neg", "zh"): ("和描述不符。", "质量很差。", "已经退货了。", "用了一周就坏了。"),
    ("mid", "zh"): ("整体还行。", "能用。", "中规中矩。", "不错但不算惊艳。"),
    ("pos", "zh"): ("非常满意。", "质量很好。", "实物比图片还好看。", "第二次购买了，依然很好。"),
}
_REVIEW_DETAILS = {
    ("neg", "en"): ("The size runs small.", "Shipping took forever.", "Colour is off.",
                    "Customer service was slow."),
    ("mid", "en"): ("Shipping was a bit slow.", "Sizing is slightly off.", "Packaging was basic.",
                    "Colour is a little different."),
    ("pos", "en"): ("Fast shipping.", "Fits perfectly.", "Great value for money.",
                    "Nicely packaged."),
    ("neg", "zh"): ("尺码偏小。", "物流太慢了。", "颜色有色差。", "客服回复很慢。"),
    ("mid", "zh"): ("物流有点慢。", "尺码略有偏差。", "包装比较简单。", "颜色有一点差别。"),
    ("pos", "zh"): ("发货很快。", "尺码刚好。", "性价比很高。", "包装很用心。"),
}
_REPLIES = {
    ("neg", "en"): "We're sorry to hear this. Please contact us and we'll make it right.",
    ("mid", "en"): "Thanks for the feedback. We're always working to improve.",
    ("pos", "en"): "Thank you for your kind words! We hope to see you again.",
    ("neg", "zh"): "非常抱歉给您带来不好的体验，请联系客服，我们会尽快为您处理。",
    ("mid", "zh"): "感谢您的反馈，我们会继续改进。",
    ("pos", "zh"): "感谢您的好评，期待您再次光临！",
}
_SEARCH_TERMS = ("gift", "sale", "new arrivals", "black", "cotton", "linen", "organic",
                 "礼物", "新品", "打折")
_SUPPLIER_COUNTRIES = (("CN", 0.42, ("Shenzhen", "Ningbo", "Yiwu", "Guangzhou", "Xiamen")),
                       ("VN", 0.14, ("Hanoi", "Saigon", "Da Nang")),
                       ("IN", 0.10, ("Tiruppur", "Jaipur", "Delhi")),
                       ("TR", 0.08, ("Istanbul", "Izmir", "Bursa")),
                       ("PT", 0.08, ("Porto", "Braga")),
                       ("US", 0.10, ("Portland", "Austin", "Denver")),
                       ("DE", 0.08, ("Hamburg", "Cologne")))
_SUPPLIER_WORDS = ("Textile", "Homeware", "Trading", "Manufacturing", "Crafts", "Goods",
                   "Industrial", "Design")
_SUPPLIER_SUFFIXES = ("Co., Ltd.", "Ltd.", "Group", "& Sons", "Works", "Supply")
_AD_CHANNELS = (("google_ads", 0.45, 7.5), ("meta_ads", 0.35, 9.0), ("tiktok_ads", 0.20, 5.0))


# -- column helpers ---------------------------------------------------------------------------
@dataclass
class _Stamp:
    """Timestamps as UTC epoch seconds plus each row's UTC offset in minutes; None = null."""

    epoch: np.ndarray
    offset_min: np.ndarray
    valid: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.epoch)

    def to_arrow(self, fmt: str) -> pa.Array:
        n = len(self.epoch)
        valid = np.ones(n, bool) if self.valid is None else self.valid
        if fmt == "parquet":
            return pa.array(self.epoch.astype(np.int64), pa.timestamp("s", tz="UTC"), mask=~valid)
        if not valid.any():
            return pa.nulls(n, pa.string())
        offs = np.broadcast_to(self.offset_min, (n,)).astype(np.int64)
        local = self.epoch.astype(np.int64) + offs * 60
        local = np.where(valid, local, local[valid][0])
        day = local // DAY
        first = int(day.min())
        days = np.arange(first, int(day.max()) + 1, dtype=np.int64)
        date_pool = pc.strftime(pa.array((days * DAY).astype("datetime64[s]")), format="%Y-%m-%dT")
        uniq, inverse = np.unique(offs, return_inverse=True)
        off_pool = pa.array([_offset_text(int(o)) for o in uniq])
        text = pc.binary_join_element_wise(
            date_pool.take(pa.array(day - first)),
            _time_pool().take(pa.array(local % DAY)),
            off_pool.take(pa.array(inverse.astype(np.int64))),
            "",
        )
        if self.valid is not None:
            text = pc.if_else(pa.array(valid), text, pa.scalar(None, pa.string()))
        return text


_time_pool_cache: list[pa.Array] = []


def _time_pool() -> pa.Array:
    if not _time_pool_cache:
        secs = np.arange(DAY, dtype=np.int64).astype("datetime64[s]")
        _time_pool_cache.append(pc.strftime(pa.array(secs), format="%H:%M:%S"))
    return _time_pool_cache[0]


def _offset_text(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    h, m = divmod(abs(minutes), 60)
    return f"{sign}{h:02d}:{m:02d}"


def _money(cents: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Integer minor units -> DECIMAL(18,2), exact (written as 12.34 in CSV)."""
    cents = np.ascontiguousarray(cents, dtype=np.int64)
    n = len(cents)
    words = np.empty((n, 2), np.int64)
    words[:, 0] = cents
    words[:, 1] = cents >> 63  # sign extension to 128 bits
    bitmap = None
    if valid is not None:
        bitmap = pa.array(np.asarray(valid, bool)).buffers()[1]
    return pa.Array.from_buffers(pa.decimal128(18, 2), n, [bitmap, pa.py_buffer(words)],
                                 null_count=-1 if valid is not None else 0)


def _ints(values: np.ndarray, valid: np.ndarray | None = None, type_=pa.int64()) -> pa.Array:
    return pa.array(values, type_, mask=None if valid is None else ~np.asarray(valid, bool))


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    text = pc.utf8_lpad(pc.cast(pa.array(np.asarray(numbers, np.int64)), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, text, "")


def _pick(pool: Sequence[str | None], index: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    idx = pa.array(np.asarray(index, np.int64),
                   mask=None if valid is None else ~np.asarray(valid, bool))
    return pa.array(list(pool), pa.string()).take(idx)


def _const(value: str | None, n: int) -> pa.Array:
    return _pick([value], np.zeros(n, np.int64))


def _text(values: np.ndarray | pa.Array) -> pa.Array:
    if isinstance(values, pa.Array):
        return pc.cast(values, pa.string())
    return pc.cast(pa.array(values), pa.string())


def _group_starts(group: np.ndarray, n_groups: int) -> np.ndarray:
    """First index of each group in an array sorted by group (groups must be non-empty)."""
    return np.searchsorted(group, np.arange(n_groups))


def _null_type(column: schema.Column, fmt: str) -> pa.DataType:
    if fmt == "csv":
        return pa.string()
    kind = column.kind
    if kind == "number":
        return pa.float64() if column.type == "DOUBLE" else pa.decimal128(18, 2)
    return {"integer": pa.int64(), "timestamp": pa.timestamp("s", tz="UTC"),
            "date": pa.date32(), "boolean": pa.bool_()}.get(kind, pa.string())


def _write(out_dir: Path, name: str, cols: dict[str, object], n: int, fmt: str) -> Path:
    table = schema.get_table(name)
    unknown = set(cols) - set(table.column_names)
    if unknown:  # pragma: no cover - a programming error
        raise AssertionError(f"{name}: not canonical columns {sorted(unknown)}")
    arrays = []
    for column in table.columns:
        value = cols.get(column.name)
        if value is None:
            arr = pa.nulls(n, _null_type(column, fmt))
        elif isinstance(value, _Stamp):
            arr = value.to_arrow(fmt)
        else:
            arr = value
        if len(arr) != n:  # pragma: no cover - a programming error
            raise AssertionError(f"{name}.{column.name}: {len(arr)} values for {n} rows")
        arrays.append(arr)
    data = pa.table(arrays, names=list(table.column_names))
    path = out_dir / f"{name}.{fmt}"
    if fmt == "csv":
        pacsv.write_csv(data, path)
    else:
        pq.write_table(data, path, compression="zstd")
    return path


# -- the generator ----------------------------------------------------------------------------
class _Store:
    """All the random draws of one store; tables are built from it one at a time."""

    def __init__(self, *, orders: int, seed: int, currencies: Sequence[str], start: date,
                 days: int, skus: int | None) -> None:
        if orders < 1:
            raise ValueError("orders must be 1 or more")
        if days < 7:
            raise ValueError("days must be 7 or more")
        if isinstance(currencies, str):
            currencies = (currencies,)
        codes = [c.upper() for c in currencies]
        if not codes or len(set(codes)) != len(codes):
            raise ValueError("currencies must be one or more distinct ISO 4217 codes")
        self.markets = [_market(c) for c in codes]
        self.rng = np.random.default_rng(seed)
        self.seed = seed
        self.n_orders = int(orders)
        self.days = int(days)
        self.start = start
        self.start_day = (start - date(1970, 1, 1)).days
        self.n_skus = int(skus) if skus else int(np.clip(round(3 * orders ** 0.55), 30, 5000))
        if self.n_skus < 2:
            raise ValueError("skus must be 2 or more")
        m = self.markets
        self.fx = np.array([x.fx for x in m])
        self.decimals = np.array([x.decimals for x in m])
        self.offsets = np.array([x.offset_min for x in m], np.int64)
        # the window ends at midnight after the last day, in the westernmost market's time
        self.now = (self.start_day + self.days) * DAY - int(self.offsets.min()) * 60
        self._calendar()
        self._catalogue()
        self._orders()
        self._lines()
        self._fulfilment()
        self._returns()

    # -- helpers ------------------------------------------------------------------------------
    def _round_minor(self, cents: np.ndarray, market: np.ndarray) -> np.ndarray:
        """Round amounts in cents to what each market's currency can express."""
        zero_dec = self.decimals[market] == 0
        return np.where(zero_dec, np.round(cents / 100.0) * 100, np.round(cents)).astype(np.int64)

    def _base_minor(self, cents: np.ndarray) -> np.ndarray:
        """Round amounts in the home currency's cents to what it can express."""
        return self._round_minor(np.asarray(cents, float), np.zeros(len(cents), np.int64))

    def _usd_to_minor(self, usd: float, market: np.ndarray) -> np.ndarray:
        return self._round_minor(usd * self.fx[market] * 100.0, market)

    def _sample_products(self, n: int, pool: np.ndarray | None = None) -> np.ndarray:
        if pool is None:
            return np.searchsorted(self.pop_cdf, self.rng.random(n) * self.pop_cdf[-1], side="right")
        return pool[np.searchsorted(self.ever_cdf, self.rng.random(n) * self.ever_cdf[-1],
                                    side="right")]

    # -- calendar -----------------------------------------------------------------------------
    def _calendar(self) -> None:
        rng, days = self.rng, self.days
        d = np.arange(days)
        dates = (self.start_day + d).astype("datetime64[D]")
        self.dow = (self.start_day + d + 3) % 7
        self.doy = (dates - dates.astype("datetime64[Y]")).astype(np.int64)
        years = dates.astype("datetime64[Y]").astype(np.int64) + 1970
        self.promo = np.full(days, -1, np.int64)
        self.promo_pct = np.zeros(days)
        uplift = np.ones(days)
        dip = np.ones(days)
        names: list[str] = []

        def place(name: str, first: date, length: int, pct: float, lift: float) -> None:
            i0 = (first - self.start).days
            idx = [i for i in range(i0, i0 + length) if 0 <= i < days and self.promo[i] < 0]
            if not idx:
                return
            self.promo[idx] = len(names)
            names.append(name)
            self.promo_pct[idx] = pct
            uplift[idx] = lift
            if lift >= 2.0:  # shoppers wait for the big sales
                before = [i for i in range(i0 - 3, i0) if 0 <= i < days and self.promo[i] < 0]
                dip[before] = 0.85

        for y in range(int(years.min()), int(years.max()) + 1):
            nov1 = date(y, 11, 1)
            thanksgiving = nov1 + timedelta(days=(3 - nov1.weekday()) % 7 + 21)
            place(f"black_friday_{y}", thanksgiving + timedelta(days=1), 4, 0.25, 2.6)
            for name, month, day, length, pct, lift in _PROMOTIONS:
                place(f"{name}_{y}", date(y, month, day), length, pct, lift)
        month_index = (dates.astype("datetime64[M]") - dates[0].astype("datetime64[M]")).astype(int)
        for mi in range(int(month_index.max()) + 1):
            free = np.flatnonzero((month_index == mi) & (self.promo < 0))
            if len(free) >= 5:
                i = int(free[rng.integers(0, len(free))])
                day = self.start + timedelta(days=i)
                place(f"flash_sale_{day:%Y_%m_%d}", day, 1, float(rng.choice([0.10, 0.15, 0.20])),
                      float(rng.uniform(1.3, 1.8)))
        self.promo_names = names
        yearly = 1 + 0.18 * np.cos(2 * np.pi * (self.doy - 350) / 365.25)
        trend = np.exp(0.25 * d / 365.25)
        noise = rng.gamma(25.0, 1 / 25.0, days)
        weight = trend * yearly * _WEEKDAYS[self.dow] * uplift * dip * noise
        self.orders_per_day = rng.multinomial(self.n_orders, weight / weight.sum())
        self.month_index = month_index
        self.month_starts = np.unique(dates.astype("datetime64[M]"))

        profiles = {
            "flat": np.ones(366),
            "winter": 1 + 0.75 * np.cos(2 * np.pi * (np.arange(366) - 15) / 365.25),
            "summer": 1 + 0.75 * np.cos(2 * np.pi * (np.arange(366) - 196) / 365.25),
            "holiday": 1 + 1.4 * np.exp(-(((np.arange(366) - 340) / 24.0) ** 2)),
        }
        self.season = np.stack([profiles[c[4]] / profiles[c[4]].max() for c in _CATEGORIES])

    # -- catalogue ----------------------------------------------------------------------------
    def _catalogue(self) -> None:
        rng, S, days = self.rng, self.n_skus, self.days
        cat_p = _CATEGORY_WEIGHTS / _CATEGORY_WEIGHTS.sum()
        parent, cat, title, colour, size, price_usd, material = [], [], [], [], [], [], []
        product_ids: list[str] = []
        p = 0
        while len(product_ids) < S:
            c = int(rng.choice(len(_CATEGORIES), p=cat_p))
            cid, _, _, median, _, nouns = _CATEGORIES[c]
            noun = nouns[int(rng.integers(len(nouns)))]
            adj = _ADJECTIVES[int(rng.integers(len(_ADJECTIVES)))]
            base = max(3.0, median * float(rng.lognormal(0.0, 0.45)))
            mat = _MATERIALS[int(rng.integers(len(_MATERIALS)))]
            n_var = min(int(rng.integers(1, 5)), S - len(product_ids))
            colours = rng.choice(len(_COLOURS), size=n_var, replace=False)
            sized = cid in _SIZED
            p += 1
            pid = f"P{p:05d}"
            for k in range(n_var):
                code, cname = _COLOURS[int(colours[k])]
                sz = _SIZES[int(rng.integers(len(_SIZES)))] if sized else None
                product_ids.append(f"{pid}-{code}" + (f"-{sz}" if sz else ""))
                parent.append(pid)
                cat.append(c)
                title.append(f"{adj} {noun} - {cname}" + (f" / {sz}" if sz else ""))
                colour.append(cname)
                size.append(sz)
                price_usd.append(base * (1.0 + 0.04 * k))
                material.append(mat)
        self.product_ids, self.parent_ids, self.titles = product_ids, parent, title
        self.colour, self.size, self.material = colour, size, material
        self.cat = np.array(cat, np.int64)
        usd = np.array(price_usd)
        self.price_usd = usd
        # list prices per market (charm pricing; whole units for currencies without cents)
        M = len(self.markets)
        self.list_price = np.empty((S, M), np.int64)
        self.old_price = np.empty((S, M), np.int64)
        for mi, mk in enumerate(self.markets):
            for target, factor in ((self.list_price, 1.0), (self.old_price, 1 / 1.06)):
                v = usd * factor * mk.fx
                if mk.decimals == 0:
                    step = 10.0 ** max(0, math.floor(math.log10(mk.fx)) - 1)
                    target[:, mi] = (np.maximum(np.round(v / step), 1) * step * 100).astype(np.int64)
                else:
                    target[:, mi] = np.maximum(np.ceil(v) * 100 - 1, 99).astype(np.int64)
        self.unit_cost = self._base_minor(self.list_price[:, 0] * rng.uniform(0.28, 0.55, S))
        self.price_change_day = np.where(rng.random(S) < 0.5, rng.integers(0, days, S), -1)
        # life cycle: most products exist before the window; some launch or are archived in it
        launched_in = rng.random(S) < 0.25
        self.launch_day = np.where(launched_in, rng.integers(0, max(1, int(days * 0.85)), S),
                                   -rng.integers(30, 600, S))
        n_draft = S // 60
        archived = rng.random(S) < 0.08
        end = self.launch_day + 60 + (rng.random(S) * (days - 30 - self.launch_day - 60)).astype(np.int64)
        archived &= end < days - 30
        archived[S - n_draft:] = False
        self.end_day = np.where(archived, end, days + 1)
        self.status = np.where(archived, 1, 0)  # 0 active, 1 archived, 2 draft
        self.status[S - n_draft:] = 2
        self.launch_day[S - n_draft:] = days - rng.integers(1, 20, n_draft)
        self.archived = archived
        # Zipf-like popularity over a random order of the SKUs
        rank = rng.permutation(S)
        pop = (rank + 2.0) ** -1.1
        pop[S - n_draft:] = 0.0
        self.pop = pop
        self.pop_cdf = np.cumsum(pop)
        self.evergreen = np.flatnonzero((self.launch_day < 0) & ~archived & (self.status != 2))
        if len(self.evergreen) == 0:
            self.evergreen = np.flatnonzero(self.status != 2)
        self.ever_cdf = np.cumsum(pop[self.evergreen])
        # quality drives both returns and ratings
        self.quality = np.clip(rng.normal(4.3, 0.35, S), 3.0, 4.95)
        self.return_rate = np.clip(0.038 * np.exp(-1.3 * (self.quality - 4.3))
                                   * rng.lognormal(0.0, 0.3, S), 0.005, 0.35)
        self.in_promos = rng.random(S) < 0.8

    # -- orders -------------------------------------------------------------------------------
    def _orders(self) -> None:
        rng, N = self.rng, self.n_orders
        M = len(self.markets)
        market_p = 1.0 / np.arange(1, M + 1)
        market_p /= market_p.sum()
        day = np.repeat(np.arange(self.days), self.orders_per_day)
        sec = rng.choice(24, N, p=_HOURS / _HOURS.sum()) * 3600 + rng.integers(0, 3600, N)
        # customers: a heavy-tailed propensity to buy, so some come back often
        C = max(20, round(N * 0.62))
        self.n_customers = C
        self.cust_market = rng.choice(M, C, p=market_p)
        propensity = rng.lognormal(0.0, 1.25, C)
        cust = np.searchsorted(np.cumsum(propensity), rng.random(N) * propensity.sum(), side="right")
        guest = rng.random(N) < 0.03
        market = np.where(guest, rng.choice(M, N, p=market_p), self.cust_market[cust])
        cust = np.where(guest, -1, cust)
        epoch = (self.start_day + day) * DAY + sec - self.offsets[market] * 60
        order = np.argsort(epoch, kind="stable")
        self.o_day, self.o_epoch = day[order], epoch[order]
        self.o_market, self.o_cust = market[order], cust[order]
        self.o_channel = rng.choice(len(_CHANNELS), N, p=_CHANNEL_P)
        self.o_promo = self.promo[self.o_day]

    def _lines(self) -> None:
        rng, N, S = self.rng, self.n_orders, self.n_skus
        on_promo = self.o_promo >= 0
        k = np.minimum(1 + rng.poisson(1.75 + 0.45 * on_promo), 10)
        L = int(k.sum())
        self.n_lines = L
        o = np.repeat(np.arange(N), k)
        self.l_order = o
        self.o_first_line = np.concatenate([[0], np.cumsum(k)[:-1]])
        self.o_n_lines = k
        self.l_number = np.arange(L) - self.o_first_line[o] + 1
        day = self.o_day[o]
        doy = self.doy[day]
        prod = self._sample_products(L)
        for _ in range(2):  # seasonal categories sell less out of season
            reject = rng.random(L) > self.season[self.cat[prod], doy]
            if not reject.any():
                break
            prod[reject] = self._sample_products(int(reject.sum()))
        for _ in range(4):  # not yet launched, or archived: the buyer takes an evergreen SKU
            bad = (day < self.launch_day[prod]) | (day > self.end_day[prod])
            if not bad.any():
                break
            prod[bad] = self._sample_products(int(bad.sum()), self.evergreen)
        for _ in range(4):  # one line per product within an order, mostly
            key = o * S + prod
            srt = np.argsort(key, kind="stable")
            dup = np.zeros(L, bool)
            dup[srt[1:][key[srt][1:] == key[srt][:-1]]] = True
            if not dup.any():
                break
            prod[dup] = self._sample_products(int(dup.sum()), self.evergreen)
        self.l_product = prod
        m = self.o_market[o]
        cheap = self.price_usd[prod] < 15
        qty = 1 + rng.poisson(0.15 + 0.35 * cheap + 0.15 * on_promo[o])
        bulk = rng.random(L) < 0.003
        qty = np.where(bulk, rng.integers(5, 25, L), qty)
        self.l_qty = np.minimum(qty, 60).astype(np.int64)
        old = day < self.price_change_day[prod]
        self.l_price = np.where(old, self.old_price[prod, m], self.list_price[prod, m])
        pct = np.where(self.in_promos[prod], self.promo_pct[day], 0.0)
        clearance = self.archived[prod] & (self.end_day[prod] - day < 45)
        self.l_clearance = clearance & (pct < 0.3)
        pct = np.where(self.l_clearance, 0.3, pct)
        self.l_promo_line = pct > 0
        gross = self.l_qty * self.l_price
        self.l_discount = np.minimum(self._round_minor(gross * pct, m), gross)
        self.l_amount = gross - self.l_discount
        # order totals: coupons, free shipping over a threshold
        self.o_subtotal = np.add.reduceat(self.l_amount, self.o_first_line)
        mo = self.o_market
        self.o_coupon = rng.random(N) < 0.05
        self.o_discount = np.where(self.o_coupon, self._round_minor(self.o_subtotal * 0.10, mo), 0)
        threshold = self._usd_to_minor(50.0, mo)
        fee = self._usd_to_minor(4.99, mo)
        self.o_shipping = np.where(self.o_subtotal - self.o_discount >= threshold, 0, fee)
        self.o_total = self.o_subtotal - self.o_discount + self.o_shipping

    def _fulfilment(self) -> None:
        rng, N, now = self.rng, self.n_orders, self.now
        domestic = self.o_market == 0
        self.o_cancelled = rng.random(N) < 0.012
        paid = self.o_epoch + rng.integers(20, 900, N)
        paid_ok = (rng.random(N) < 0.8) | ~self.o_cancelled
        ship = paid + ((0.3 + rng.gamma(2.0, 0.45, N)) * DAY).astype(np.int64)
        transit = np.where(domestic, 1.0 + rng.gamma(2.0, 1.0, N), 4.0 + rng.gamma(3.0, 1.5, N))
        deliver = ship + (transit * DAY).astype(np.int64)
        self.o_promised = self.o_epoch + np.where(domestic, 6, 12) * DAY
        self.o_paid, self.o_shipped, self.o_delivered = paid, ship, deliver
        self.o_paid_ok = paid_ok & (paid <= now)
        live = ~self.o_cancelled
        self.o_shipped_ok = live & (ship <= now)
        self.o_delivered_ok = live & (deliver <= now)
        # status: 0 pending 1 paid 2 shipped 3 completed 4 cancelled 5 refunded 6 partially_refunded
        status = np.where(self.o_delivered_ok, 3, np.where(self.o_shipped_ok, 2,
                          np.where(self.o_paid_ok, 1, 0)))
        self.o_status = np.where(self.o_cancelled, 4, status)

    def _returns(self) -> None:
        rng, now = self.rng, self.now
        o = self.l_order
        late = self.o_delivered > self.o_promised
        p = self.return_rate[self.l_product] * np.where(late[o], 1.6, 1.0)
        hit = self.o_delivered_ok[o] & (rng.random(self.n_lines) < p)
        at = self.o_delivered[o] + (rng.uniform(2, 25, self.n_lines) * DAY).astype(np.int64)
        hit &= at <= now
        lines = np.flatnonzero(hit)
        n = len(lines)
        is_return = rng.random(n) < 0.72
        qty = self.l_qty[lines]
        partial = (qty > 1) & (rng.random(n) < 0.25)
        r_qty = np.where(partial, rng.integers(1, np.maximum(qty, 2)), qty)
        share = np.where(is_return, r_qty / qty, rng.uniform(0.2, 1.0, n))
        amount = np.where(share >= 1.0, self.l_amount[lines],
                          self._round_minor(self.l_amount[lines] * share, self.o_market[o[lines]]))
        at = at[lines]
        recent = at > now - 5 * DAY
        status = np.where(rng.random(n) < 0.03, 3, np.where(recent, rng.integers(0, 2, n), 2))
        reason_idx = np.where(
            is_return,
            np.where(late[o[lines]] & (rng.random(n) < 0.5), 5, rng.integers(0, 5, n)),
            len(_RETURN_REASONS) + rng.integers(0, len(_REFUND_REASONS), n),
        )
        full = (amount == self.l_amount[lines]) & (status != 3)
        self.returned_line = np.zeros(self.n_lines, bool)
        self.returned_line[lines[status != 3]] = True
        # order status after returns
        ok = status != 3
        touched = np.bincount(o[lines[ok]], minlength=self.n_orders) > 0
        fully = np.bincount(o[lines[full]], minlength=self.n_orders) == self.o_n_lines
        self.o_status = np.where(touched & (self.o_status == 3), np.where(fully, 5, 6), self.o_status)
        # cancellations of paid orders
        cancelled = np.flatnonzero(self.o_cancelled & self.o_paid_ok)
        c_at = self.o_paid[cancelled] + rng.integers(600, DAY, len(cancelled))
        keep = c_at <= now
        cancelled, c_at = cancelled[keep], c_at[keep]
        nc = len(cancelled)
        # paid, then cancelled with the money back: a sale refunded in full, never 'cancelled'
        # (that would take it out of GMV and subtract its refund as well)
        self.o_status[cancelled] = 5
        self.r = {
            "order": np.concatenate([o[lines], cancelled]),
            "line": np.concatenate([lines, np.full(nc, -1)]),
            "qty": np.concatenate([np.where(is_return, r_qty, -1), np.full(nc, -1)]),
            "amount": np.concatenate([amount, self.o_total[cancelled]]),
            "at": np.concatenate([at, c_at]),
            "kind": np.concatenate([np.where(is_return, 1, 0), np.full(nc, 2)]),
            "status": np.concatenate([status, np.full(nc, 2)]),
            "reason": np.concatenate([reason_idx, len(_RETURN_REASONS) + len(_REFUND_REASONS)
                                      + rng.integers(0, len(_CANCEL_REASONS), nc)]),
        }

    # -- shared columns -----------------------------------------------------------------------
    def order_ids(self, index: np.ndarray | None = None) -> pa.Array:
        width = max(7, len(str(self.n_orders)))
        nums = np.arange(1, self.n_orders + 1) if index is None else np.asarray(index) + 1
        return _ids("SO-", nums, width)

    def customer_ids(self, cust: np.ndarray) -> pa.Array:
        width = max(6, len(str(self.n_customers)))
        valid = cust >= 0
        ids = _ids("C", self.customer_number[np.where(valid, cust, 0)], width)
        return pc.if_else(pa.array(valid), ids, pa.scalar(None, pa.string()))

    def currency(self, market: np.ndarray) -> pa.Array:
        return _pick([m.currency for m in self.markets], market)

    def products(self, prod: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
        return _pick(self.product_ids, np.where(prod >= 0, prod, 0), valid)

    def stamp(self, epoch: np.ndarray, market: np.ndarray | int, valid=None) -> _Stamp:
        offs = self.offsets[market]
        return _Stamp(np.asarray(epoch, np.int64), np.asarray(offs, np.int64), valid)

    # -- tables -------------------------------------------------------------------------------
    def t_categories(self):
        zh = self.markets[0].chinese_names
        return {
            "category_id": pa.array([c[0] for c in _CATEGORIES]),
            "name": pa.array([c[2] if zh else c[1] for c in _CATEGORIES]),
            "name_en": pa.array([c[1] for c in _CATEGORIES]),
        }, len(_CATEGORIES)

    def t_products(self):
        rng, S = self.rng, self.n_skus
        created = ((self.start_day + self.launch_day) * DAY + rng.integers(8 * 3600, 20 * 3600, S)
                   - self.offsets[0] * 60)
        brand = rng.integers(0, len(_BRANDS), S)
        attrs = [json.dumps({"colour": c, "material": m, **({"size": s} if s else {})},
                            ensure_ascii=False, sort_keys=True)
                 for c, m, s in zip(self.colour, self.material, self.size, strict=True)]
        descriptions = [f"{t.split(' - ')[0]} in {m}. Ships in 1-2 business days; free returns "
                        f"within 30 days." for t, m in zip(self.titles, self.material, strict=True)]
        return {
            "product_id": pa.array(self.product_ids),
            "parent_id": pa.array(self.parent_ids),
            "title": pa.array(self.titles),
            "description": pa.array(descriptions),
            "category": _pick([c[0] for c in _CATEGORIES], self.cat),
            "brand": _pick(_BRANDS, brand),
            "price": _money(self.list_price[:, 0]),
            "unit_cost": _money(self.unit_cost),
            "currency": _const(self.markets[0].currency, S),
            "status": _pick(("active", "archived", "draft"), self.status),
            "created_at": self.stamp(created, 0),
            "attributes": pa.array(attrs),
        }, S

    def t_customers(self):
        rng, C = self.rng, self.n_customers
        first = np.full(C, np.iinfo(np.int64).max)
        has = self.o_cust >= 0
        np.minimum.at(first, self.o_cust[has], self.o_epoch[has])
        bought = first < np.iinfo(np.int64).max
        signup = np.where(bought, first - rng.integers(60, 14 * DAY, C),
                          self.start_day * DAY + rng.integers(0, self.days * DAY, C))
        # customer numbers follow sign-up order
        order = np.argsort(signup, kind="stable")
        self.customer_number = np.empty(C, np.int64)
        self.customer_number[order] = np.arange(1, C + 1)
        m = self.cust_market[order]
        signup = signup[order]
        cn = np.array([self.markets[i].chinese_names for i in range(len(self.markets))])[m]
        latin_names = [f"{f} {s}" for f in _FIRST for s in _LAST]
        latin_mail = [f"{f.lower()}.{s.lower().replace('ü', 'ue')}" for f in _FIRST for s in _LAST]
        cn_names = [s + g for s, _ in _CN_SURNAMES for g, _ in _CN_GIVEN]
        cn_mail = [f"{sp}.{gp}" for _, sp in _CN_SURNAMES for _, gp in _CN_GIVEN]
        idx = np.where(cn, len(latin_names) + rng.integers(0, len(cn_names), C),
                       rng.integers(0, len(latin_names), C))
        email = pc.binary_join_element_wise(
            _pick(latin_mail + cn_mail, idx), _text(rng.integers(1, 1000, C)), "@example.com", "")
        phone = pc.binary_join_element_wise(
            _pick([mk.phone for mk in self.markets], m),
            pc.utf8_lpad(_text(rng.integers(0, 10 ** 7, C)), 7, "0"), "")
        places = [(mi, p) for mi, mk in enumerate(self.markets) for p in mk.places]
        place_start = np.searchsorted([mi for mi, _ in places], np.arange(len(self.markets)))
        place_n = np.array([len(mk.places) for mk in self.markets])
        pidx = place_start[m] + (rng.random(C) * place_n[m]).astype(np.int64)
        self.cust_place = np.empty(C, np.int64)
        self.cust_place[order] = pidx
        self.places = places
        has_phone = rng.random(C) < 0.7
        return {
            "customer_id": _ids("C", np.arange(1, C + 1), max(6, len(str(C)))),
            "name": _pick(latin_names + cn_names, idx),
            "email": email,
            "phone": pc.if_else(pa.array(has_phone), phone, pa.scalar(None, pa.string())),
            "country": _pick([p[0] for _, p in places], pidx),
            "region": _pick([p[1] or None for _, p in places], pidx),
            "city": _pick([p[2] or None for _, p in places], pidx),
            "postal_code": pc.utf8_lpad(_text(rng.integers(1000, 99999, C)), 5, "0"),
            "created_at": self.stamp(signup, m),
            "attributes": _pick(('{"accepts_marketing":false}', '{"accepts_marketing":true}'),
                                (rng.random(C) < 0.45).astype(np.int64)),
        }, C

    def t_orders(self):
        N, mo = self.n_orders, self.o_market
        cust = self.o_cust
        guest_place = self.rng.integers(0, 1 << 30, N)
        place_start = np.searchsorted([mi for mi, _ in self.places], np.arange(len(self.markets)))
        place_n = np.array([len(mk.places) for mk in self.markets])
        place = np.where(cust >= 0, self.cust_place[np.maximum(cust, 0)],
                         place_start[mo] + guest_place % place_n[mo])
        pool: list[str | None] = [None, '{"coupon":"WELCOME10"}']
        for name, pct in zip(self.promo_names, self._promo_pcts(), strict=True):
            body = f'"promotion":"{name}","promotion_discount_pct":{round(pct * 100)}'
            pool += ["{" + body + "}", "{" + body + ',"coupon":"WELCOME10"}']
        attr = (self.o_promo + 1) * 2 + self.o_coupon
        status_names = ("pending", "paid", "shipped", "completed", "cancelled", "refunded",
                        "partially_refunded")
        return {
            "order_id": self.order_ids(),
            "customer_id": self.customer_ids(cust),
            "channel": _pick(_CHANNELS, self.o_channel),
            "status": _pick(status_names, self.o_status),
            "ordered_at": self.stamp(self.o_epoch, mo),
            "paid_at": self.stamp(self.o_paid, mo, self.o_paid_ok),
            "shipped_at": self.stamp(self.o_shipped, mo, self.o_shipped_ok),
            "delivered_at": self.stamp(self.o_delivered, mo, self.o_delivered_ok),
            "promised_at": self.stamp(self.o_promised, mo),
            "currency": self.currency(mo),
            "subtotal_amount": _money(self.o_subtotal),
            "discount_amount": _money(self.o_discount),
            "shipping_amount": _money(self.o_shipping),
            "total_amount": _money(self.o_total),
            "country": _pick([p[0] for _, p in self.places], place),
            "region": _pick([p[1] or None for _, p in self.places], place),
            "city": _pick([p[2] or None for _, p in self.places], place),
            "attributes": _pick(pool, attr),
        }, N

    def _promo_pcts(self) -> list[float]:
        out = []
        for i in range(len(self.promo_names)):
            out.append(float(self.promo_pct[np.flatnonzero(self.promo == i)[0]]))
        return out

    def t_order_lines(self, limit: int | None = None):
        n = self.n_lines if limit is None else limit
        sl = slice(0, n)
        o = self.l_order[sl]
        day = self.o_day[o]
        promo = self.promo[day]
        pool: list[str | None] = [None, '{"promotion":"clearance"}']
        pool += [f'{{"promotion":"{name}"}}' for name in self.promo_names]
        attr = np.where(self.l_clearance[sl], 1, np.where(self.l_promo_line[sl], promo + 2, 0))
        return {
            "order_id": self.order_ids(o),
            "line_number": _ints(self.l_number[sl], type_=pa.int32()),
            "product_id": self.products(self.l_product[sl]),
            "title": _pick(self.titles, self.l_product[sl]),
            "quantity": _ints(self.l_qty[sl], type_=pa.int32()),
            "unit_price": _money(self.l_price[sl]),
            "discount_amount": _money(self.l_discount[sl]),
            "line_amount": _money(self.l_amount[sl]),
            "currency": self.currency(self.o_market[o]),
            "attributes": _pick(pool, attr),
        }, n

    def t_shipments(self):
        """One parcel per shipped order (two for some larger orders), from the order's own
        shipped, delivered and promised times; its own random stream, so the other tables are
        the same with or without it."""
        rng, now = np.random.default_rng([self.seed, 23]), self.now
        shipped = np.flatnonzero(self.o_shipped_ok)
        two = (self.o_n_lines[shipped] >= 3) & (rng.random(len(shipped)) < 0.08)
        o = np.repeat(shipped, np.where(two, 2, 1))
        n = len(o)
        parcel = np.ones(n, np.int64)
        parcel[1:][o[1:] == o[:-1]] = 2
        # the carrier: the home market's own (domestic), DHL Express abroad
        keys = list(_CARRIER_INFO)
        home = _CARRIERS_BY_CURRENCY.get(self.markets[0].currency, ("dhl_express",))
        pick = np.full(len(shipped), keys.index("dhl_express"))
        domestic = self.o_market[shipped] == 0
        home_idx = np.array([keys.index(k) for k in home])
        pick[domestic] = home_idx[rng.integers(0, len(home_idx), int(domestic.sum()))]
        carrier = np.repeat(pick, np.where(two, 2, 1))
        info = [_CARRIER_INFO[k] for k in keys]
        digits = np.array([c[2] for c in info])[carrier]
        raw = np.floor(rng.random(n) * 10.0 ** digits).astype(np.int64)
        tracking = [f"{info[c][1]}{r:0{d}d}{info[c][3]}" for c, r, d in
                    zip(carrier.tolist(), raw.tolist(), digits.tolist(), strict=True)]
        url = pa.array([info[c][4].format(t) for c, t in
                        zip(carrier.tolist(), tracking, strict=True)])
        tracking = pa.array(tracking)
        delivered = self.o_delivered_ok[o]
        ship, deliver, promised = self.o_shipped[o], self.o_delivered[o], self.o_promised[o]
        # 1 shipped .. 4 delivered, 5 delayed, 7 lost (_SHIPMENT_STATUS)
        status = np.where(delivered, 4, np.where(deliver - now < DAY // 2, 3, 2))
        status = np.where(~delivered & (now > promised), 5, status)
        status = np.where(~delivered & (rng.random(n) < 0.03), 7, status)
        status = np.where(~delivered & (now - ship < DAY // 4), 1, status)
        attrs = pa.array([None if s != 7 else '{"note":"no carrier scan for days"}'
                          for s in status.tolist()], pa.string())
        mo = self.o_market[o]
        return {
            "order_id": self.order_ids(o),
            "parcel": _ints(parcel, type_=pa.int32()),
            "carrier": _pick([_CARRIER_INFO[k][0] for k in keys], carrier),
            "tracking_number": tracking,
            "tracking_url": url,
            "status": _pick(_SHIPMENT_STATUS, status),
            "shipped_at": self.stamp(ship, mo),
            "delivered_at": self.stamp(deliver, mo, delivered),
            "estimated_delivery_at": self.stamp(promised, mo),
            "attributes": attrs,
        }, n

    def t_refunds(self):
        r = self.r
        n = len(r["order"])
        srt = np.argsort(r["at"], kind="stable")
        r = {k: v[srt] for k, v in r.items()}
        line = r["line"]
        has_line = line >= 0
        prod = np.where(has_line, self.l_product[np.maximum(line, 0)], -1)
        mo = self.o_market[r["order"]]
        attrs = pc.binary_join_element_wise(
            '{"line_number":', _text(self.l_number[np.maximum(line, 0)]), "}", "")
        return {
            "refund_id": _ids("RF-", np.arange(1, n + 1), 7),
            "order_id": self.order_ids(r["order"]),
            "product_id": self.products(prod, has_line),
            "customer_id": self.customer_ids(self.o_cust[r["order"]]),
            "quantity": _ints(r["qty"], r["qty"] >= 0, pa.int32()),
            "amount": _money(r["amount"]),
            "currency": self.currency(mo),
            "refunded_at": self.stamp(r["at"], mo),
            "kind": _pick(("refund", "return", "cancellation"), r["kind"]),
            "reason": _pick(_RETURN_REASONS + _REFUND_REASONS + _CANCEL_REASONS, r["reason"]),
            "status": _pick(("requested", "approved", "completed", "rejected"), r["status"]),
            "attributes": pc.if_else(pa.array(has_line), attrs, pa.scalar(None, pa.string())),
        }, n

    def t_inventory_snapshots(self):
        rng, S, now = self.rng, self.n_skus, self.now
        recent = self.o_epoch[self.l_order] > now - 90 * DAY
        sold = np.bincount(self.l_product[recent], weights=self.l_qty[recent], minlength=S)
        per_day = sold / 90.0
        cover = rng.uniform(3, 80, S)
        on_hand = np.round(per_day * cover + rng.poisson(2, S)).astype(np.int64)
        on_hand = np.where(rng.random(S) < 0.07, 0, on_hand)
        on_hand = np.where(self.archived, np.where(rng.random(S) < 0.7, 0, rng.integers(0, 5, S)),
                           on_hand)
        on_hand = np.where(self.status == 2, rng.integers(20, 200, S), on_hand)
        on_order = np.where((rng.random(S) < 0.3) & ~self.archived, self.moq * rng.integers(1, 4, S), 0)
        open_ = np.isin(self.o_status, (0, 1))[self.l_order]
        reserved = np.bincount(self.l_product[open_], weights=self.l_qty[open_],
                               minlength=S).astype(np.int64)
        prod = [np.arange(S)]
        loc = [np.zeros(S, np.int64)]
        locations = ["main"]
        for mi, mk in enumerate(self.markets[1:], start=1):  # a 3PL per foreign market
            top = np.flatnonzero((self.pop >= np.quantile(self.pop, 0.85)) & ~self.archived)
            prod.append(top)
            loc.append(np.full(len(top), mi))
            locations.append(f"3pl-{mk.currency.lower()}")
        prod_all, loc_all = np.concatenate(prod), np.concatenate(loc)
        share = np.where(loc_all == 0, 1.0, 0.25)
        n = len(prod_all)
        snap = np.full(n, now - 60)
        return {
            "product_id": self.products(prod_all),
            "location": _pick(locations, loc_all),
            "snapshot_at": _Stamp(snap, np.full(n, self.offsets[0])),
            "on_hand": _ints(np.round(on_hand[prod_all] * share).astype(np.int64), type_=pa.int32()),
            "on_order": _ints(np.where(loc_all == 0, on_order[prod_all], 0), type_=pa.int32()),
            "reserved": _ints(np.where(loc_all == 0, reserved[prod_all], 0), type_=pa.int32()),
        }, n

    def _suppliers(self) -> None:
        rng = self.rng
        n = int(np.clip(3 + self.n_skus // 150, 3, 40))
        weights = np.array([c[1] for c in _SUPPLIER_COUNTRIES])
        country = rng.choice(len(_SUPPLIER_COUNTRIES), n, p=weights / weights.sum())
        names, emails, countries = [], [], []
        for i in range(n):
            code, _, cities = _SUPPLIER_COUNTRIES[int(country[i])]
            city = cities[int(rng.integers(len(cities)))]
            word = _SUPPLIER_WORDS[int(rng.integers(len(_SUPPLIER_WORDS)))]
            suffix = _SUPPLIER_SUFFIXES[int(rng.integers(len(_SUPPLIER_SUFFIXES)))]
            names.append(f"{city} {word} {suffix}")
            emails.append(f"sales@{city.lower()}-{word.lower()}-{i + 1}.example.com")
            countries.append(code)
        home = self.markets[0].places[0][0]
        domestic = np.array([c == home for c in countries])
        self.sup_lead = np.where(domestic, rng.uniform(4, 10, n), rng.uniform(18, 45, n))
        self.sup_names, self.sup_emails, self.sup_countries = names, emails, countries
        self.n_suppliers = n
        # each category buys from one to three suppliers
        cat_sups = [rng.choice(n, size=min(n, int(rng.integers(1, 4))), replace=False)
                    for _ in _CATEGORIES]
        S = self.n_skus
        pick = rng.random(S)
        self.primary = np.array([cat_sups[c][int(p * len(cat_sups[c]))]
                                 for c, p in zip(self.cat, pick, strict=True)], np.int64)
        cost_usd = self.unit_cost / 100.0 / self.markets[0].fx
        choices = np.where(cost_usd < 5, 2, np.where(cost_usd < 20, 1, np.where(cost_usd < 60, 0, 3)))
        table = np.array([[10, 20, 50], [20, 50, 100], [100, 200, 500], [1, 5, 10]])
        self.moq = table[choices, rng.integers(0, 3, S)]
        om = np.array([1, 5, 10])[rng.integers(0, 3, S)]
        self.order_multiple = np.where(self.moq % om == 0, om, 1)

    def t_suppliers(self):
        n = self.n_suppliers
        terms = ('{"payment_terms":"NET30"}', '{"payment_terms":"NET60"}',
                 '{"payment_terms":"50% deposit"}')
        return {
            "supplier_id": _ids("SUP-", np.arange(1, n + 1), 3),
            "name": pa.array(self.sup_names),
            "country": pa.array(self.sup_countries),
            "contact_email": pa.array(self.sup_emails),
            "currency": _const(self.markets[0].currency, n),
            "attributes": _pick(terms, self.rng.integers(0, 3, n)),
        }, n

    def t_sku_suppliers(self):
        rng, S = self.rng, self.n_skus
        second = (rng.random(S) < 0.25) & (self.n_suppliers > 1)
        alt = (self.primary + rng.integers(1, max(2, self.n_suppliers), S)) % self.n_suppliers
        prod = np.concatenate([np.arange(S), np.flatnonzero(second)])
        sup = np.concatenate([self.primary, alt[second]])
        primary = np.concatenate([np.ones(S, bool), np.zeros(int(second.sum()), bool)])
        cost = np.where(primary, self.unit_cost[prod],
                        self._base_minor(self.unit_cost[prod] * rng.uniform(1.04, 1.15, len(prod))))
        lead = self.sup_lead[sup] * rng.lognormal(0.0, 0.15, len(prod))
        lead = np.where(primary, lead, lead * 0.7)
        srt = np.lexsort((~primary, prod))
        prod, sup, primary, cost, lead = prod[srt], sup[srt], primary[srt], cost[srt], lead[srt]
        n = len(prod)
        return {
            "product_id": self.products(prod),
            "supplier_id": _ids("SUP-", sup + 1, 3),
            "unit_cost": _money(cost.astype(np.int64)),
            "currency": _const(self.markets[0].currency, n),
            "lead_time_days": pa.array(np.round(lead, 1)),
            "lead_time_std_days": pa.array(np.round(lead * rng.uniform(0.15, 0.35, n), 1)),
            "moq": _ints(self.moq[prod], type_=pa.int32()),
            "order_multiple": _ints(self.order_multiple[prod], type_=pa.int32()),
            "is_primary": pa.array(primary),
        }, n

    def t_expenses(self):
        rng, D = self.rng, self.days
        base_fx = self.markets[0].fx
        live = ~self.o_cancelled
        to_base = self.o_total * base_fx / self.fx[self.o_market]
        revenue = np.bincount(self.o_day[live], weights=to_base[live], minlength=D)  # cents
        orders = np.bincount(self.o_day[live], minlength=D).astype(float)
        smooth = np.convolve(np.pad(revenue, 3, mode="edge"), np.ones(7) / 7, mode="valid")
        soon = np.zeros(D, bool)
        for i in range(1, 4):
            soon[:-i] |= self.promo[i:] >= 0
        ramp = np.where((self.promo >= 0) | soon, 1.5, 1.0)
        floor = 5.0 * base_fx * 100
        rows: dict[str, list[np.ndarray]] = {k: [] for k in ("day", "cat", "chan", "amount", "desc")}
        ad_attrs = []
        for ci, (_, share, cpm) in enumerate(_AD_CHANNELS):
            spend = self._base_minor(np.maximum(smooth * 0.09 * share * ramp
                                                * rng.lognormal(0.0, 0.15, D), floor))
            impressions = np.round(spend / 100.0 / base_fx / cpm * 1000).astype(np.int64)
            clicks = rng.binomial(impressions, 0.012)
            conversions = rng.binomial(clicks, 0.025)
            ad_attrs.append(pc.binary_join_element_wise(
                '{"clicks":', _text(clicks), ',"conversions":', _text(conversions),
                ',"impressions":', _text(impressions), "}", ""))
            rows["day"].append(np.arange(D))
            rows["cat"].append(np.zeros(D, np.int64))
            rows["chan"].append(np.full(D, ci))
            rows["amount"].append(spend)
            rows["desc"].append(np.full(D, ci))
        # monthly costs on each month's last day in the window
        month_end = np.flatnonzero(np.r_[self.month_index[1:] != self.month_index[:-1], True])
        mrev = np.bincount(self.month_index, weights=revenue)
        morders = np.bincount(self.month_index, weights=orders)
        mdays = np.bincount(self.month_index).astype(float)
        nm = len(month_end)
        monthly = (
            # (category index, channel index, amount in base cents)
            (1, 3, np.round((79.0 * base_fx * 100) * mdays / 30.4 + mrev * 0.005)),
            (2, 4, np.round(mrev * 0.029 + morders * 30 * base_fx)),
            (3, 5, np.round(morders * 620 * base_fx * rng.lognormal(0.0, 0.05, nm))),
            (4, 6, np.round(morders * 55 * base_fx * rng.lognormal(0.0, 0.05, nm))),
            (5, 7, np.round(np.full(nm, 45.0 * base_fx * 100))),
        )
        for cat, chan, amount in monthly:
            rows["day"].append(month_end)
            rows["cat"].append(np.full(nm, cat))
            rows["chan"].append(np.full(nm, chan))
            rows["amount"].append(self._base_minor(amount))
            rows["desc"].append(np.full(nm, chan))
        day = np.concatenate(rows["day"])
        srt = np.lexsort((np.concatenate(rows["chan"]), day))
        n = len(day)
        channels = [c[0] for c in _AD_CHANNELS] + ["shopify", "stripe", "dhl", "packaging",
                                                   "klaviyo"]
        descriptions = [f"{c[0].replace('_', ' ').title()} daily spend" for c in _AD_CHANNELS] + [
            "Store platform subscription and transaction fees", "Card processing fees",
            "Outbound shipping (carrier invoice)", "Boxes, mailers and tape",
            "Email marketing software"]
        chan = np.concatenate(rows["chan"])[srt]
        attrs = pa.concat_arrays(ad_attrs + [pa.nulls(nm * len(monthly), pa.string())]).take(
            pa.array(srt))
        return {
            "expense_id": _ids("EX-", np.arange(1, n + 1), 6),
            "incurred_on": pa.array((self.start_day + day[srt]).astype(np.int32), pa.date32()),
            "category": _pick(("ads", "platform_fee", "payment_fee", "logistics", "packaging",
                               "software"), np.concatenate(rows["cat"])[srt]),
            "channel": _pick(channels, chan),
            "amount": _money(np.concatenate(rows["amount"])[srt]),
            "currency": _const(self.markets[0].currency, n),
            "description": _pick(descriptions, np.concatenate(rows["desc"])[srt]),
            "attributes": attrs,
        }, n

    def t_reviews(self):
        rng, now, L = self.rng, self.now, self.n_lines
        o = self.l_order
        delivered = self.o_delivered_ok[o]
        returned = self.returned_line
        hit = delivered & (rng.random(L) < np.where(returned, 0.3, 0.09))
        at = self.o_delivered[o] + (rng.uniform(1, 21, L) * DAY).astype(np.int64)
        hit &= at <= now
        lines = np.flatnonzero(hit)
        n = len(lines)
        at = at[lines]
        ret = returned[lines]
        q = self.quality[self.l_product[lines]]
        rating = np.where(ret, rng.choice([1, 2, 3], n, p=[0.45, 0.4, 0.15]),
                          np.clip(np.round(q + rng.normal(0.0, 0.9, n)), 1, 5)).astype(np.int64)
        mo = self.o_market[o[lines]]
        zh_share = np.array([m.zh for m in self.markets])[mo]
        lang = (rng.random(n) < zh_share).astype(np.int64)  # 0 en, 1 zh
        mood = np.where(rating <= 2, 0, np.where(rating == 3, 1, 2))
        group = mood * 2 + lang
        keys = [(s, lg) for s in ("neg", "mid", "pos") for lg in ("en", "zh")]
        k = 4
        titles = [t for key in keys for t in _REVIEW_TITLES[key]]
        openers = [t for key in keys for t in _REVIEW_OPENERS[key]]
        details = [t for key in keys for t in _REVIEW_DETAILS[key]]
        sep = _pick((" ", ""), lang)
        body = pc.binary_join_element_wise(
            _pick(openers, group * k + rng.integers(0, k, n)), sep,
            _pick(details, group * k + rng.integers(0, k, n)), "")
        replied = rng.random(n) < np.array([0.8, 0.3, 0.12])[mood]
        reply_at = at + rng.integers(2 * 3600, 48 * 3600, n)
        replied &= reply_at <= now
        srt = np.argsort(at, kind="stable")
        lines, at, rating, lang, group, mo = (x[srt] for x in (lines, at, rating, lang, group, mo))
        replied, reply_at = replied[srt], reply_at[srt]
        title_idx = (group * k + rng.integers(0, k, n))
        return {
            "review_id": _ids("RV-", np.arange(1, n + 1), 7),
            "product_id": self.products(self.l_product[lines]),
            "order_id": self.order_ids(o[lines]),
            "customer_id": self.customer_ids(self.o_cust[o[lines]]),
            "rating": _ints(rating, type_=pa.int32()),
            "title": _pick(titles, title_idx),
            "body": body.take(pa.array(srt)),
            "language": _pick(("en", "zh"), lang),
            "created_at": self.stamp(at, mo),
            "reply": _pick([_REPLIES[key] for key in keys], group, replied),
            "replied_at": self.stamp(reply_at, mo, replied),
            "attributes": _const('{"verified_purchase":true}', n),
        }, n

    def t_events(self):
        rng, L = self.rng, self.n_lines
        rate = min(1.0, EVENT_LINES_CAP / L)
        lines = np.flatnonzero(rng.random(L) < rate)
        n = len(lines)
        nv, nc, ns = rng.poisson(3.0, n), rng.poisson(0.5, n), rng.binomial(1, 0.3, n)
        parts = []  # (line, type, product, seconds before the order)
        for etype, count, same, lo, hi in ((0, nv, 0.5, 300, 3600), (1, nc, 0.7, 30, 600),
                                           (2, np.ones(n, np.int64), 1.0, 0, 1),
                                           (3, ns, 0.0, 3600, 5400)):
            ln = np.repeat(lines, count)
            prod = np.where(rng.random(len(ln)) < same, self.l_product[ln],
                            self._sample_products(len(ln), self.evergreen))
            if etype == 3:
                prod = np.full(len(ln), -1)
            before = rng.integers(lo, hi, len(ln)) if hi > 1 else np.zeros(len(ln), np.int64)
            parts.append((ln, np.full(len(ln), etype), prod, before))
        ln = np.concatenate([p[0] for p in parts])
        etype = np.concatenate([p[1] for p in parts])
        prod = np.concatenate([p[2] for p in parts])
        o = self.l_order[ln]
        at = self.o_epoch[o] - np.concatenate([p[3] for p in parts])
        srt = np.lexsort((etype, at))
        ln, etype, prod, o, at = ln[srt], etype[srt], prod[srt], o[srt], at[srt]
        m = len(ln)
        width = max(8, len(str(m)))
        query = rng.integers(0, len(_SEARCH_TERMS) + len(_CATEGORIES), m)
        terms = list(_SEARCH_TERMS) + [c[1].lower() for c in _CATEGORIES]
        return {
            "event_id": _ids("EV-", np.arange(1, m + 1), width),
            "customer_id": self.customer_ids(self.o_cust[o]),
            "session_id": _ids("SS-", o + 1, max(7, len(str(self.n_orders)))),
            "product_id": self.products(prod, prod >= 0),
            "event_type": _pick(("view", "cart", "purchase", "search"), etype),
            "occurred_at": self.stamp(at, self.o_market[o]),
            "query": _pick(terms, query, etype == 3),
            "channel": _pick(("web", "app"), (self.o_channel[o] == 1).astype(np.int64)),
            "attributes": _const(json.dumps({"sample_rate": round(rate, 6)}), m),
        }, m

    def t_knowledge_documents(self):
        mk = self.markets[0]
        cur = mk.currency
        threshold = int(self._usd_to_minor(50.0, np.array([0]))[0]) / 100
        fee = int(self._usd_to_minor(4.99, np.array([0]))[0]) / 100
        thr = f"{threshold:,.0f} {cur}" if mk.decimals == 0 else f"{threshold:,.2f} {cur}"
        fee_s = f"{fee:,.0f} {cur}" if mk.decimals == 0 else f"{fee:,.2f} {cur}"
        others = ", ".join(m.currency for m in self.markets[1:]) or "none"
        docs = [
            ("policy-returns-en", "policy", "Return policy", "en",
             "You can return unused items in their original packaging within 30 days of delivery "
             "for a full refund. Start a return from your order page; we email a prepaid label. "
             "Refunds reach your original payment method within 5-7 business days after the "
             "return arrives. Sale items are returnable; gift cards are not. Damaged or defective "
             "items can be refunded without a return."),
            ("policy-returns-zh", "policy", "退货政策", "zh",
             "收货后 30 天内，未使用且包装完好的商品可申请全额退款。在订单页面发起退货，我们会通过"
             "邮件发送预付运单。退货到仓后 5-7 个工作日内原路退款。促销商品同样可退，礼品卡不可退。"
             "商品破损或有质量问题可直接退款，无需退回。"),
            ("policy-shipping-en", "policy", "Shipping policy", "en",
             f"Orders ship within 1-2 business days. Shipping is free on orders of {thr} or more; "
             f"otherwise it costs {fee_s}. Domestic delivery takes 2-5 business days, "
             "international 5-14. You get a tracking link by email when your order ships."),
            ("policy-shipping-zh", "policy", "配送政策", "zh",
             f"订单在 1-2 个工作日内发货。订单满 {thr} 免运费，否则收取 {fee_s} 运费。国内配送 "
             "2-5 个工作日，国际配送 5-14 个工作日。发货后您会收到带有物流单号的邮件。"),
            ("faq-tracking-en", "faq", "Where is my order?", "en",
             "Open the tracking link in your shipping email, or sign in and open Orders. Tracking "
             "can take 24 hours to update after the parcel is handed to the carrier."),
            ("faq-tracking-zh", "faq", "我的订单到哪里了？", "zh",
             "请打开发货邮件中的物流链接，或登录后进入“我的订单”查看。包裹交给快递后，物流信息最多需要 "
             "24 小时更新。"),
            ("faq-address-en", "faq", "Can I change my shipping address?", "en",
             "Yes, until the order ships. Reply to your order confirmation email or contact us "
             "with the order number and the new address."),
            ("faq-address-zh", "faq", "可以修改收货地址吗？", "zh",
             "订单发货前可以修改。请回复订单确认邮件或联系客服，并提供订单号和新地址。"),
            ("faq-payment-en", "faq", "Which payment methods do you accept?", "en",
             f"We accept major credit cards, PayPal and Apple Pay. Prices are shown in {cur}; "
             f"other currencies we sell in: {others}."),
            ("faq-payment-zh", "faq", "支持哪些付款方式？", "zh",
             f"支持主流信用卡、PayPal、Apple Pay 以及支付宝。价格以 {cur} 显示；其他可用币种：{others}。"),
            ("faq-sizing-en", "faq", "How do I choose my size?", "en",
             "Each clothing and footwear page has a size chart. If you are between sizes, take "
             "the larger one; exchanges for a different size are free."),
            ("faq-sizing-zh", "faq", "如何选择尺码？", "zh",
             "每个服装和鞋类商品页面都有尺码表。如果介于两个尺码之间，建议选择大一码；换码免费。"),
        ]
        n = len(docs)
        updated = np.full(n, self.start_day * DAY + 10 * 3600 - self.offsets[0] * 60)
        attrs = [json.dumps({"generated": True, "template": d[0].rsplit("-", 1)[0]})
                 for d in docs]
        return {
            "doc_id": pa.array([d[0] for d in docs]),
            "kind": pa.array([d[1] for d in docs]),
            "title": pa.array([d[2] for d in docs]),
            "body": pa.array([d[4] for d in docs]),
            "language": pa.array([d[3] for d in docs]),
            "updated_at": _Stamp(updated, np.full(n, self.offsets[0])),
            "attributes": pa.array(attrs),
        }, n


def generate_store(
    out_dir: Path,
    *,
    orders: int,
    seed: int = 0,
    currencies: Sequence[str] = ("USD",),
    start: date = date(2024, 1, 1),
    days: int = 730,
    skus: int | None = None,
    fmt: Literal["csv", "parquet"] = "csv",
    progress: ProgressFn | None = None,
) -> dict[str, int]:
    """Write a synthetic store to ``out_dir`` (one ``<table>.<fmt>`` per table).

    ``orders`` orders over ``days`` days from ``start``, in ``currencies`` (the first is the
    store's home market and the currency of products, costs and expenses). ``skus`` defaults to
    a number that grows with the order count. Returns the rows written per table.
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', not {fmt!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if progress:
        progress("generating orders", None)
    store = _Store(orders=orders, seed=seed, currencies=currencies, start=start, days=days,
                   skus=skus)
    store._suppliers()
    counts: dict[str, int] = {}
    for i, name in enumerate(GENERATED_TABLES):
        if progress:
            progress(f"writing {name}", i / len(GENERATED_TABLES))
        cols, n = getattr(store, f"t_{name}")()
        _write(out_dir, name, cols, n, fmt)
        counts[name] = n
    if progress:
        progress("done", 1.0)
    return counts


def write_order_lines_csv(path: str | Path, lines: int, seed: int) -> int:
    """Write a canonical ``order_lines`` CSV of exactly ``lines`` rows to ``path``; returns it."""
    if lines < 1:
        raise ValueError("lines must be 1 or more")
    orders = math.ceil(lines / 2.8 * 1.02) + 10
    while True:
        store = _Store(orders=orders, seed=seed, currencies=("USD",), start=date(2024, 1, 1),
                       days=730, skus=None)
        if store.n_lines >= lines:
            break
        orders = math.ceil(orders * lines / store.n_lines * 1.02) + 10
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    cols, n = store.t_order_lines(limit=lines)
    table = schema.get_table("order_lines")
    arrays = [cols.get(c.name, pa.nulls(n, pa.string())) for c in table.columns]
    pacsv.write_csv(pa.table(arrays, names=list(table.column_names)), path)
    return n
