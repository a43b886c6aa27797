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

from shopkeeper.ask.periods import ALL_TIME, Period, en_number, read_period, zh_number
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

_GROUP_CUES = re.compile(
    r"哪个|哪些|哪一个|哪家|哪位|各个|各|每个|每一个|按|分别|分布|排名|排行|明细|拆分|构成|前\s*\d|"
    r"前[一二三四五六七八九十]+|最高|最低|最多|最少|最好|最差|最大|\bby\b|\bper\b|\beach\b|\bwhich\b|\bwhat (?:country|product|"
    r"customer|channel|category|market)|\bbreakdown\b|\bbroken down\b|\bsplit\b|\brank|\bacross\b"
    r"|\btop\b|\bbottom\b|\bbest\b|\bworst\b|\blist\b|\bhighest\b|\blowest\b|\bmost\b|\bleast\b")
_WHICH_GRAIN = [(re.compile(p), g) for p, g in (
    (r"哪个月|哪一个月|哪月|which month|what month|best month|worst month", "month"),
    (r"哪天|哪一天|哪日|which day|what day|best day|worst day|which date", "day"),
    (r"哪周|哪一周|哪个星期|which week|what week|best week|worst week", "week"),
    (r"哪个季度|哪一季度|which quarter|what quarter", "quarter"))]
_TOP = re.compile(
    r"(?:前|top\s*|best\s*|排名前|头部?|(?:最高|最多|最大|最好)的?)\s*(\d+|[一二三四五六七八九十]+|ten|five|three|twenty)"
    r"\s*(?:名|个|大|位|款|家)?", re.I)
_BOTTOM = re.compile(
    r"(?:后|倒数|bottom\s*|worst\s*|最差的?|最低的?|最少的?)\s*(\d+|[一二三四五六七八九十]+|ten|five|"
    r"three)\s*(?:名|个|位|款|家)?", re.I)
_HIGH = re.compile(r"最高|最多|最大|最好|最贵|最强|第一|冠军|\bhighest\b|\bmost\b|\blargest\b|"
                   r"\bbiggest\b|\bbest\b|\btop\b|\bgreatest\b|\bleading\b", re.I)
_LOW = re.compile(r"最低|最少|最小|最差|最便宜|最弱|垫底|\blowest\b|\bleast\b|\bsmallest\b|"
                  r"\bworst\b|\bbottom\b|\bfewest\b|\bweakest\b", re.I)
_RANK_ALL = re.compile(r"排名|排行|排序|\brank(?:ed|ing)?\b|\bsorted\b|\bin order\b", re.I)
_SINGULAR = re.compile(r"哪个|哪一个|哪家|哪位|哪一|哪款|\bwhich\b(?! \w+s\b)|\bwhat\b(?! \w+s\b)"
                       r"|\bthe (?:best|worst|top|highest|lowest)\b(?! \d)", re.I)
_SHARE = re.compile(r"占比|比例|份额|占了?(?:总|全部|整体|所有)?.{0,8}?(?:多少|百分之几|几成)|"
                    r"\bshare\b|\bpercentage\b|\bproportion\b|\bpercent of\b|% of|\bwhat fraction"
                    r"|\bhow much of\b", re.I)
_EXCLUDE = re.compile(r"除了|除去|除|不含|不包括|不算|排除|刨除|去掉|excluding|exclude|except|"
                      r"other than|outside(?: of)?|not including|apart from|without|besides|"
                      r"\bnon-", re.I)
_ONLY = re.compile(r"只看|仅看|只算|仅限|只要|\bonly\b|\bjust\b", re.I)
_NAME_WORDS = [re.compile(p, re.I) for p in (
    r"(?:含|包含|含有|带有?|带着|名称含|名字含|名称包含|名字里有|名字带|描述含|描述包含)\s*[\"“'‘「]?"
    r"([A-Za-z][A-Za-z0-9\- ]*?)[\"”'’」]?\s*(?:字样|这个词|一词)?的",
    r"(?:containing|contain|contains|with|named|called|mention(?:ing)?)\s+(?:the\s+)?"
    r"(?:word\s+)?[\"“'‘]([A-Za-z][A-Za-z0-9\- ]*?)[\"”'’]",
    r"[\"“'‘]([A-Za-z][A-Za-z0-9\- ]*?)[\"”'’]\s+(?:in (?:the |their |its )?(?:name|description|"
    r"title)|products|items)",
    r"(?:containing|contain|contains|with|named|mentioning)\s+(?:the\s+)?(?:word\s+)?"
    r"([A-Z][A-Z0-9\-]{2,})\b",
    r"\b([A-Z][A-Z0-9\-]{2,})\s+(?:products|items)\b",
    r"(?:含|包含|带)\s*([A-Z][A-Z0-9\-]{2,})")]
_FOLLOW_UP = re.compile(r"^\s*(?:那|那么|那按|那如果|换成|改成|再|and\b|what about\b|how about\b|"
                        r"now\b|same (?:for|but)\b|then\b|ok,? )", re.I)
# a dimension word that is also a metric ("客户", "customers"): a dimension after these
_DIM_AMBIGUOUS = {"customers", "customer"}


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

    # metric words that are really what to rank by ("which customer", "top 5 customers by GMV")
    metrics = list(dict.fromkeys(m for _, m, _ in metric_hits))
    by: list[str] = []
    for pos, dim, _phrase in dim_hits:
        as_metric = [h for h in metric_hits if h[0] <= pos < h[0] + len(h[2])]
        if as_metric and dim in _DIM_AMBIGUOUS:
            others = [m for m in metrics if m != as_metric[0][1]]
            if grouped and others:
                metrics = [m for m in metrics if m != as_metric[0][1] or
                           sum(1 for h in metric_hits if h[1] == m) > 1]
                by.append(dim)
            continue
        if grouped and not as_metric:
            by.append(dim)
    for pattern, grain in _WHICH_GRAIN:
        if pattern.search(low):
            by.append(grain)
    by += [g for _, g, _ in grain_hits]
    by = list(dict.fromkeys(by))
    grains = [d for d in by if d in GRAIN_PHRASES.values()]
    if len(grains) > 1:
        by = [d for d in by if d not in grains[1:]]

    filters, exclude = _value_filters(text, values, by)
    name_words = _name_words(text)
    if name_words and "sku" in by and not (grouped and _GROUP_CUES.search(low)):
        by.remove("sku")
    for sku in _product_codes(text, values):
        filters.setdefault("sku", ())
        filters["sku"] = (*filters["sku"], sku)

    rank = _rank(low, by)
    share = bool(_SHARE.search(low))

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
            return AskBack(
                f"Which period do you mean by \"{when.vague}\"?",
                f"“{'上次' if when.vague == 'last time' else '最近'}”指哪段时间？",
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
    return AskQuery(tuple(metrics), period, tuple(by), filters, exclude, name_words,
                    when.compare, rank, share, lang)


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
    for pattern, side in ((_BOTTOM, "bottom"), (_TOP, "top")):
        m = pattern.search(low)
        if m:
            n = m.group(1)
            count = int(n) if n.isdigit() else (zh_number(n) if CJK.search(n) else en_number(n))
            return side, count
    singular = bool(_SINGULAR.search(low))
    if _LOW.search(low):
        return "bottom", 1 if singular else 10
    if _HIGH.search(low):
        return "top", 1 if singular else 10
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
        hits.append((pos, dim, value))
    for pos, dim, value in hits:
        before = text[max(0, pos - 24):pos]
        target = exclude if _EXCLUDE.search(before) else filters
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


def with_period(query: AskQuery, period: Period) -> AskQuery:
    return replace(query, period=period)
