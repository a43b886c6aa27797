"""The deterministic reader: a question in Chinese or English → an :class:`AskQuery`, or a
question back when the words allow more than one reading. No model is involved.

It reads the metric from the merchant vocabulary, the period (:mod:`shopkeeper.ask.periods`),
the grouping, ranking and share words, and filters on values the store really has (its
countries, channels, categories and product codes), so it never invents one.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace

from shopkeeper.ask.periods import ALL_TIME, en_number, read_period, zh_number
from shopkeeper.ask.query import AskQuery
from shopkeeper.ask.vocabulary import (
    COUNTRY_ALIASES,
    DIMENSION_PHRASES,
    GRAIN_PHRASES,
    Vocabulary,
    find_phrases,
)

CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class StoreValues:
    """The values the store's data holds, so filters match real ones only."""

    countries: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    product_ids: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class AskBack:
    """The question can be read more than one way: ask which one, never guess."""

    reason_en: str
    reason_zh: str
    choices_en: tuple[str, ...]
    choices_zh: tuple[str, ...]
    language: str = "en"

    @property
    def reason(self) -> str:
        return self.reason_zh if self.language == "zh" else self.reason_en

    @property
    def choices(self) -> tuple[str, ...]:
        return self.choices_zh if self.language == "zh" else self.choices_en


@dataclass(frozen=True)
class Unread:
    """The reader found nothing it can answer from the semantic layer."""

    reason: str
    language: str = "en"


Reading = AskQuery | AskBack | Unread


def language_of(text: str) -> str:
    return "zh" if CJK.search(text) else "en"


METRIC_CHOICES = ("gmv", "net_revenue", "orders", "aov", "customers", "units")
_METRIC_LABELS = {
    "gmv": ("GMV (sales before refunds)", "销售额（GMV，未扣退款）"),
    "net_revenue": ("net revenue (after refunds)", "净收入（扣除退款）"),
    "orders": ("orders", "订单数"), "aov": ("average order value", "客单价"),
    "customers": ("customers", "客户数"), "units": ("units sold", "销量（件数）"),
}
PERIOD_CHOICES = (("all data", "全部数据"), ("last month", "上个月"),
                  ("this year to date", "今年以来"), ("the last 30 days", "最近30天"))

_NUMBER = r"(\d+|[一二三四五六七八九十两]+|one|two|three|four|five|six|seven|eight|nine|ten|twenty)"
_GROUP_CUES = re.compile(
    r"哪个|哪些|哪一个|哪家|哪位|哪[一二三四五六七八九十两\d]+个|各个|各|每个|每一个|按|分别|分布|排名|排行|明细|"
    r"拆分|构成|前\s*\d|前[一二三四五六七八九十]+|倒数|最高|最低|最多|最少|最好|最差|最大|畅销|"
    r"\bby\b|\bper\b|\beach\b|\bwhich\b|\bwhat (?:country|product|customer|channel|category|"
    r"market)|\bbreakdown\b|\bbroken down\b|\bsplit\b|\brank|\bacross\b|\btop\b|\bbottom\b|"
    r"\bbest\b|\bworst\b|\blist\b|\bhighest\b|\blowest\b|\bmost\b|\bleast\b|\bbiggest\b"
    r"|\blargest\b|\bamong\b")
_GRAIN_WORDS = {"month": (r"月", r"months?"), "day": (r"天|日", r"days?|dates?"),
                "week": (r"周|星期", r"weeks?"), "quarter": (r"季度", r"quarters?")}
_WHICH_GRAIN = [
    (re.compile(rf"哪[一二三四五六七八九十两\d]*个?(?:{zh})|(?:which|what)(?: {_NUMBER})? (?:{en})\b"
                rf"|\b(?:best|worst|biggest|busiest|highest|lowest|top|strongest|weakest)"
                rf"(?: \w+)? (?:{en})\b|最(?:好|差|高|低|多|少|大)的(?:{zh})", re.I), grain)
    for grain, (zh, en) in _GRAIN_WORDS.items()]
# a plural time word that is what to rank ("Rank 2011's quarters by sales")
_GRAIN_PLURAL = re.compile(r"\b(months|quarters|weeks)\b")
_COUNT = [re.compile(p, re.I) for p in (
    rf"(?:前|top|best|bottom|worst|排名前|倒数|后|which|哪)\s*{_NUMBER}(?![\d年月日])",
    rf"(?:最高|最多|最大|最好|最差|最低|最少|畅销)的?\s*{_NUMBER}\s*(?:名|个|位|款|家|大)",
    rf"(?<![\d年月第])\b{_NUMBER}\s*(?:名|个|位|款|家)(?:国家|商品|产品|客户|顾客|买家|渠道|类目|月|季度|周|天)",
    rf"\b{_NUMBER}\s+(?:biggest|best|top|largest|worst|highest|lowest|most|least|best-selling|"
    r"top-selling|countries|products|customers|items|skus|buyers|spenders|months|quarters"
    r"|markets)\b")]
_HIGH = re.compile(r"最高|最多|最大|最好|最贵|最强|第一|冠军|畅销|\bhighest\b|\bmost\b|\blargest\b|"
                   r"\bbiggest\b|\bbest\b|\btop\b|\bgreatest\b|\bleading\b|best-selling|"
                   r"top-selling|\bbusiest\b", re.I)
_LOW = re.compile(r"最低|最少|最小|最差|最便宜|最弱|垫底|倒数|\blowest\b|\bleast\b|\bsmallest\b|"
                  r"\bworst\b|\bbottom\b|\bfewest\b|\bweakest\b|\bslowest\b", re.I)
_RANK_ALL = re.compile(r"排名|排行|排序|\brank(?:ed|ing)?\b|\bsorted\b|\bin order\b", re.I)
_SINGULAR = re.compile(r"哪个|哪一个|哪家|哪位|哪一|哪款|\bwhich\b(?! \w+s\b)|\bwhat\b(?! \w+s\b)"
                       r"|\bthe (?:best|worst|top|highest|lowest|biggest)\b(?! \d)", re.I)
_SHARE = re.compile(r"占比|比例|比重|份额|占了?(?:总|全部|整体|所有|全年)?.{0,8}?(?:多少|百分之几|几成)|"
                    r"\bshare\b|\bpercentage\b|\bproportion\b|\bpercent of\b|% of|\bwhat fraction"
                    r"|\bhow much of\b", re.I)
_EACH = re.compile(r"各|每个|分别|\beach\b|\bevery\b|\bper\b|\bby\b", re.I)
_EXCLUDE = re.compile(r"除了|除去|除|不含|不包括|不算|排除|刨除|去掉|excluding|exclude|except|"
                      r"other than|outside(?: of)?|not including|not counting|apart from|"
                      r"without|besides|\bnon-", re.I)
_EXCLUDE_AFTER = re.compile(r"^\s*(?:以外|之外|除外)")
# a product-name word: quoted in any case, or written in capitals
_NAME_WORDS = [re.compile(p) for p in (
    r"(?:含|包含|含有|带有?|带着|名称含|名字含|名称包含|名字里有|名字带|描述含|描述包含)\s*[\"“'‘「]?"
    r"([A-Za-z][A-Za-z0-9\- ]*?)[\"”'’」]?\s*(?:字样|这个词|一词)?的",
    r"(?i:containing|contain|contains|with|named|called|mention(?:ing)?)\s+(?:the\s+)?"
    r"(?:word\s+)?[\"“'‘]([A-Za-z][A-Za-z0-9\- ]*?)[\"”'’]",
    r"[\"“'‘]([A-Za-z][A-Za-z0-9\- ]*?)[\"”'’]\s+(?:in (?:the |their |its )?(?:name|description|"
    r"title)|products?|items?)",
    r"(?i:containing|contain|contains|with|named|mentioning|included?|including)\s+(?:the\s+|an?\s+)?"
    r"(?:word\s+)?([A-Z][A-Z0-9\-]{2,}(?: [A-Z][A-Z0-9\-]{2,})*)\b",
    r"\b([A-Z][A-Z0-9\-]{2,}(?: [A-Z][A-Z0-9\-]{2,})*)\s+(?:products?|items?|range|series|line)\b",
    r"([A-Z][A-Z0-9\-]{2,}(?: [A-Z][A-Z0-9\-]{2,})*)\s*(?:系列|类商品|类产品|款)",
    r"(?:含|包含|带)\s*([A-Z][A-Z0-9\-]{2,})",
    r"(?i:among (?:the |our )?)([a-z][a-z\- ]+?)s?(?:,| which| what| who)")]
_FOLLOW_UP = re.compile(r"^\s*(?:那|那么|那按|那如果|换成|改成|再|and\b|what about\b|how about\b|"
                        r"now\b|same (?:for|but)\b|then\b|ok,? )", re.I)
# a dimension word that is also a metric ("客户", "customers"): a dimension after these
_DIM_AMBIGUOUS = {"customers", "customer"}
# words that name both what to rank and the metric ("top 5 spenders": customers by GMV)
_DIM_AND_METRIC = {"spenders", "big spenders", "花钱最多的客户"}
# new / returning / guest buyers as a filter on the other metric ("新客贡献的销售额")
_CUSTOMER_TYPES = {"new_customers": "new", "returning_customers": "returning"}
_GUEST = re.compile(r"游客|访客|匿名|没有客户编号|无客户编号|\bguests?\b|no customer id|"
                    r"without a customer", re.I)
_WERE_TYPE = re.compile(r"\b(?:were|are|was|is) (new|returning)\b", re.I)
# what the metric layer cannot express: negation and set logic over customers or products
# ("哪些客户去年买过今年没买？", "products never sold in November"); answering the metric the
# words also name would be a confident wrong answer
_BEYOND = re.compile(r"没买|没有买|没下单|没有下单|未下单|未购买|没卖|没有卖|未售出|卖不出|从未|从没|不再|"
                     r"流失|\bnever\b|\bdidn'?t\b|\bdid not\b|\bhaven'?t\b|\bhave not\b|"
                     r"\bhasn'?t\b|\bno longer\b|\bstopped (?:buying|ordering|selling)|"
                     r"\bchurn", re.I)
# phrases that name no single metric: asked back with the metrics they could mean
AMBIGUOUS_METRICS: dict[str, tuple[str, ...]] = {
    "平均一单多大": ("aov", "units_per_order"), "一单多大": ("aov", "units_per_order"),
    "订单大小": ("aov", "units_per_order"), "order size": ("aov", "units_per_order"),
    "average order size": ("aov", "units_per_order"), "big is an order": ("aov", "units_per_order"),
    "performance": METRIC_CHOICES, "表现": METRIC_CHOICES, "业绩": ("gmv", "net_revenue"),
    "怎么样": METRIC_CHOICES, "如何": METRIC_CHOICES, "情况": METRIC_CHOICES,
    "how are we doing": METRIC_CHOICES, "how did we do": METRIC_CHOICES,
    "how is business": METRIC_CHOICES, "how's business": METRIC_CHOICES,
}


def read(question: str, as_of: dt.date, vocab: Vocabulary, values: StoreValues,
         previous: AskQuery | None = None) -> Reading:
    """Read ``question`` into a query; ``previous`` is the question before, for follow-ups
    ("那按国家分呢？", "and by country?")."""
    text = question.strip()
    lang = language_of(text)
    low = text.lower()
    when = read_period(text, as_of)
    metric_hits = vocab.find_metrics(text)
    dim_hits = find_phrases(text, DIMENSION_PHRASES)
    grain_hits = find_phrases(text, GRAIN_PHRASES)
    grouped = bool(_GROUP_CUES.search(low))
    if _BEYOND.search(text):
        return Unread("it asks for customers or products that did not do something, which "
                      "the metrics cannot express", lang)
    unclear = find_phrases(text, {k: k for k in AMBIGUOUS_METRICS})
    if unclear and not metric_hits:
        options = AMBIGUOUS_METRICS[unclear[0][1]]
        return AskBack("Which metric do you mean?", "请问您指的是哪个指标？",
                       tuple(_label(m, "en", vocab) for m in options),
                       tuple(_label(m, "zh", vocab) for m in options), lang)

    guest = [(m.start(), m.end()) for m in _GUEST.finditer(text)]
    if guest:  # "没有客户编号" names guests, not the customers metric
        metric_hits = [h for h in metric_hits if h[1] != "customers"
                       or not any(a <= h[0] < b for a, b in guest)]
    metrics = list(dict.fromkeys(m for _, m, _ in metric_hits))
    by: list[str] = []
    filters: dict[str, tuple[str, ...]] = {}
    # new / returning customers beside another metric: a filter on it, or a split by them
    types = [m for m in metrics if m in _CUSTOMER_TYPES]
    others = [m for m in metrics if m not in _CUSTOMER_TYPES]
    were = _WERE_TYPE.search(low)
    if were and others:
        types.append("new_customers" if were[1].lower() == "new" else "returning_customers")
    if types and others:
        metrics = others
        if len(set(types)) > 1 or any(d == "customer_type" for _, d, _ in dim_hits):
            by.append("customer_type")
        else:
            filters["customer_type"] = (_CUSTOMER_TYPES[types[0]],)
    if guest:
        filters["customer_type"] = ("guest",)
    for pos, dim, phrase in dim_hits:
        as_metric = [h for h in metric_hits if h[0] <= pos < h[0] + len(h[2])]
        if phrase.lower() in _DIM_AND_METRIC:
            by.append(dim)
            continue
        if as_metric and dim in _DIM_AMBIGUOUS:
            rest = [m for m in metrics if m != as_metric[0][1]]
            if grouped and rest and "customer_type" not in by and "customer_type" not in filters:
                metrics = [m for m in metrics if m != as_metric[0][1] or
                           sum(1 for h in metric_hits if h[1] == m) > 1]
                by.append(dim)
            continue
        if grouped and not as_metric:
            by.append(dim)
    for pattern, grain in _WHICH_GRAIN:
        if pattern.search(text):
            by.append(grain)
    by += [g for _, g, _ in grain_hits]
    if grouped:
        spent = " ".join(when.matched).lower()
        by += [m[1][:-1] for m in _GRAIN_PLURAL.finditer(low) if m[1] not in spent]
    by = list(dict.fromkeys(by))
    if "customer_type" in by and "customer" in by:
        by.remove("customer")
    grains = [d for d in by if d in GRAIN_PHRASES.values()]
    if len(grains) > 1:
        by = [d for d in by if d not in grains[1:]]

    found, exclude = _value_filters(text, values, by)
    filters.update(found)
    name_words = _name_words(text)
    if name_words and "sku" in by and not _rank(low, by):
        by.remove("sku")
    for sku in _product_codes(text, values):
        filters["sku"] = (*filters.get("sku", ()), sku)

    if name_words and not by and (_HIGH.search(low) or _LOW.search(low)):
        by.append("sku")  # "LUNCH BAG 系列里卖得最多的5个": the products of the range
    rank = _rank(low, by)
    share = bool(_SHARE.search(low))
    each = share and bool(by) and bool(_EACH.search(low))

    is_follow_up = previous is not None and (
        bool(_FOLLOW_UP.search(text)) or (not metrics and (by or filters or exclude
                                                           or when.period)))
    if is_follow_up and previous is not None:
        return _refine(previous, lang, metrics, by, filters, exclude, name_words, when, rank,
                       share)

    if not metrics and not (when.period or by or rank or _HIGH.search(low) or _LOW.search(low)
                            or when.vague):
        return Unread("no metric of the semantic layer is named in the question", lang)
    if not metrics:
        what = "rank by" if rank or _HIGH.search(low) or _LOW.search(low) else "measure"
        return AskBack(
            f"Which metric should I {what}?", f"请问按哪个指标{'排名' if what == 'rank by' else '来看'}？",
            tuple(_METRIC_LABELS[m][0] for m in METRIC_CHOICES),
            tuple(_METRIC_LABELS[m][1] for m in METRIC_CHOICES), lang)
    period = when.period
    if period is None:
        if when.vague:
            zh = {"last time": "上次", "recently": "最近", "the promotion": "那次活动"}[when.vague]
            return AskBack(
                f"Which period do you mean by \"{when.vague}\"?", f"“{zh}”指哪段时间？",
                ("the last 7 days", "the last 30 days", "last month", "this year to date"),
                ("最近7天", "最近30天", "上个月", "今年以来"), lang)
        if grains:
            period = ALL_TIME
        else:
            return AskBack(
                "Which period should I use?", "请问看哪段时间？",
                tuple(p[0] for p in PERIOD_CHOICES), tuple(p[1] for p in PERIOD_CHOICES), lang)
    if when.compare is not None and period.is_all:
        return AskBack("Which period should I compare?", "请问对比哪段时间？",
                       ("last month", "this month to date", "this year to date"),
                       ("上个月", "本月至今", "今年以来"), lang)
    compare = when.compare
    if share and compare is None and len(when.periods) > 1 and when.periods[1] != period:
        compare = when.periods[1]  # "本月至今占今年以来的比例": one period's share of another
    return AskQuery(tuple(metrics), period, tuple(by), filters, exclude, name_words,
                    compare, rank, share, lang, each)


def _label(metric: str, lang: str, vocab: Vocabulary) -> str:
    m = vocab.metric(metric)
    return m.label_zh if lang == "zh" else m.label_en


def looks_like_follow_up(question: str) -> bool:
    """Whether the question starts like a follow-up ("那按国家分呢？", "and by country?")."""
    return bool(_FOLLOW_UP.search(question))


def _refine(previous: AskQuery, lang: str, metrics: list[str], by: list[str],
            filters: dict, exclude: dict, name_words: tuple[str, ...], when, rank, share
            ) -> AskQuery:
    """The previous question with what the follow-up changes."""
    return replace(
        previous,
        metrics=tuple(metrics) or previous.metrics,
        by=tuple(by) or previous.by,
        filters={**previous.filters, **filters},
        exclude={**previous.exclude, **exclude},
        name_words=name_words or previous.name_words,
        period=when.period or previous.period,
        compare=when.compare if when.compare is not None else previous.compare,
        rank=rank if rank is not None else (previous.rank if not by else None),
        share=share or previous.share,
        language=lang,
    )


def _rank(low: str, by: list[str]) -> tuple[str, int] | None:
    if not by:
        return None
    side = "bottom" if _LOW.search(low) else "top"
    for pattern in _COUNT:
        m = pattern.search(low)
        if m:
            n = m.group(1)
            count = int(n) if n.isdigit() else (zh_number(n.replace("两", "二"))
                                                if CJK.search(n) else en_number(n))
            return side, count
    # "订单最少的国家" is one country; "哪些国家…最多" several; English says it with a plural
    singular = bool(_SINGULAR.search(low)) or (bool(CJK.search(low)) and not re.search(
        r"哪些|几个|一些|些|们|都", low))
    if _LOW.search(low) or _HIGH.search(low):
        return side, 1 if singular else 10
    if _RANK_ALL.search(low):
        return "top", 1000
    return None


def _value_filters(text: str, values: StoreValues, by: list[str]
                   ) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """Countries, channels and categories the question names, kept or left out."""
    filters: dict[str, list[str]] = {}
    exclude: dict[str, list[str]] = {}
    phrases: dict[str, tuple[str, str]] = {}
    for country in values.countries:
        for alias in (country, *COUNTRY_ALIASES.get(country, ())):
            if len(alias) >= 2:
                phrases[alias.lower()] = ("country", country)
    for canonical, aliases in COUNTRY_ALIASES.items():  # the data may store an alias
        for stored in values.countries:
            if stored.lower() in {a.lower() for a in aliases}:
                for alias in (canonical, *aliases):
                    phrases.setdefault(alias.lower(), ("country", stored))
    for dim, names in (("channel", values.channels), ("category", values.categories)):
        for name in names:
            if len(name) >= 3:
                phrases.setdefault(name.lower(), (dim, name))
    # two-letter codes only in capitals ("UK", "US"), never inside words
    hits = []
    for pos, (dim, value), phrase in find_phrases(text, {k: v for k, v in phrases.items()}):
        is_code = len(phrase) <= 3 and phrase.isascii() and phrase != value.lower()
        if is_code and text[pos:pos + len(phrase)] != phrase.upper():
            continue
        hits.append((pos, len(phrase), dim, value))
    for pos, size, dim, value in hits:
        before = text[max(0, pos - 24):pos]
        after = text[pos + size:]
        target = exclude if _EXCLUDE.search(before) or _EXCLUDE_AFTER.search(after) else filters
        target.setdefault(dim, [])
        if value not in target[dim]:
            target[dim].append(value)
    return ({k: tuple(v) for k, v in filters.items()}, {k: tuple(v) for k, v in exclude.items()})


def _name_words(text: str) -> tuple[str, ...]:
    for pattern in _NAME_WORDS:
        m = pattern.search(text)
        if m:
            word = m.group(1).strip()
            if word and word.upper() not in {"GMV", "AOV", "SKU", "ASP", "UPT", "ROAS", "CAC"}:
                return (word,)
    return ()


def _product_codes(text: str, values: StoreValues) -> list[str]:
    """Product codes the store has that the question names ("85123A")."""
    if not values.product_ids:
        return []
    found = []
    for token in re.findall(r"(?<![A-Za-z0-9])([A-Za-z0-9]*\d[A-Za-z0-9]*)(?![A-Za-z0-9])", text):
        for candidate in (token, token.upper()):
            if candidate in values.product_ids and not re.fullmatch(r"\d{1,4}", candidate):
                found.append(candidate)
                break
    return list(dict.fromkeys(found))
