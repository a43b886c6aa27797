"""Store policy documents parsed into rules that code evaluates.

A policy is written for people ("You can return any item within 30 days of delivery",
"签收后30天内可退货", "Silver members: return possible within the last 6 months <or> ... receipt").
:func:`parse_policy` reads it, sentence by sentence, into :class:`Rule` objects — return, damage
and exchange windows (per membership tier where the policy has tiers), the free-shipping
threshold, non-returnable kinds of item, refund methods, and the remedies it allows or refuses —
each keeping the sentence and document it came from so an answer can cite it.

:func:`decide_return` and :func:`shipping_fee_decision` apply those rules. A language model never
decides whether a return is allowed: when the rules cannot decide, the decision says so and the
conversation goes to a person.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from shopkeeper.llm.remedies import NEGATION as _NEGATION
from shopkeeper.llm.remedies import REMEDY_TERMS
from shopkeeper.store.warehouse import Warehouse

_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                 "eight": 8, "nine": 9, "ten": 10, "twelve": 12, "fourteen": 14, "thirty": 30,
                 "sixty": 60, "ninety": 90}
_ZH_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9, "十": 10, "十五": 15, "三十": 30}
_UNIT_DAYS = {"day": 1, "days": 1, "week": 7, "weeks": 7, "month": 30, "months": 30,
              "天": 1, "日": 1, "周": 7, "个月": 30, "月": 30}
_EN_WINDOW = re.compile(
    r"within(?: the last| the first)?\s+(\d+|" + "|".join(_NUMBER_WORDS) + r")[\s-]*"
    r"(days?|weeks?|months?)", re.I)
_ZH_WINDOW = re.compile(r"(\d+|十五|三十|[一二两三四五六七八九十])\s*(天|日|周|个月)(?:之内|以内|内)")
_TIER = re.compile(r"\b(gold|silver|bronze|guest|vip|regular)\s+members?\b|"
                   r"(金卡|银卡|铜卡|普通|VIP)会员", re.I)
_ZH_TIER = {"金卡": "gold", "银卡": "silver", "铜卡": "bronze", "普通": "guest", "VIP": "vip"}
_SPLIT = re.compile(r"(?<=[.!?。！？；;\n])\s*|\s*<or>\s*|\s+>\s+")
_CURRENCY = {"£": "GBP", "$": "USD", "€": "EUR", "¥": "CNY", "￥": "CNY", "英镑": "GBP",
             "美元": "USD", "欧元": "EUR", "元": "CNY", "块": "CNY"}
_EN_THRESHOLD = re.compile(r"(over|above|of at least|at least|from)\s*([£$€¥])\s?(\d+(?:\.\d+)?)", re.I)
_ZH_FREE_SHIPPING = re.compile(r"(满|超过|高于)\s*([£$€¥￥])?\s*(\d+(?:\.\d+)?)\s*(英镑|美元|欧元|元|块)?"
                               r"\s*(?:以上)?\s*(?:即可|可)?(?:免运费|包邮)")
_EN_NOT_RETURNABLE = re.compile(
    r"([A-Za-z][A-Za-z \-]{2,40}?)\s+(?:items?|products?|goods)?\s*(?:cannot|can't|can not|are not|"
    r"aren't|is not|isn't)\s+(?:be\s+)?(?:returned|returnable|eligible for (?:a )?return)", re.I)
_ZH_NOT_RETURNABLE = re.compile(r"([\u4e00-\u9fff]{1,8}?)(?:类)?(?:商品|产品|物品)?(?:不支持|不予|不能|不可)(?:退货|退换|无理由退货)")
_REFUND_METHODS = {
    "original_payment": ("original payment", "original method", "原路返回", "原支付方式"),
    "store_credit": ("store credit", "add value", "account credit", "余额"),
    "gift_card": ("gift card",),
    "paper_check": ("paper check", "cheque"),
    "credit_card": ("credit card",),
}
# words of the same kind of item, so "personalised items cannot be returned" also covers a
# "custom name mug" and 定制
ITEM_SYNONYMS = {
    "personalised": ("personalised", "personalized", "personalisation", "personalization",
                     "custom", "engraved", "monogram", "定制", "刻字"),
    "perishable": ("perishable", "food", "fresh", "生鲜", "食品"),
    "underwear": ("underwear", "lingerie", "swimwear", "内衣", "泳衣"),
    "digital": ("digital", "download", "gift card", "虚拟", "充值卡"),
    "clearance": ("clearance", "final sale", "清仓"),
    "cosmetics": ("cosmetic", "makeup", "make-up", "skincare", "skin care", "beauty",
                  "lipstick", "perfume", "fragrance", "lotion", "serum", "moisturi", "化妆品",
                  "护肤品", "彩妆", "口红", "香水", "面霜", "精华", "美妆"),
}
# everyday product nouns in both languages, so "杯子" finds the "White ceramic mug" of an order
# (they name kinds of goods; no policy rule is written about them)
PRODUCT_NOUNS = {
    "drinkware": ("mug", "cup", "tumbler", "beaker", "杯"),
    "lighting": ("lantern", "lamp", "light", "candle holder", "灯"),
    "vase": ("vase", "花瓶"),
    "cake stand": ("cake stand", "蛋糕架", "蛋糕托"),
    "candle": ("candle", "蜡烛"),
    "bag": ("bag", "tote", "包", "袋"),
    "tableware": ("plate", "bowl", "dish", "盘", "碗", "碟"),
    "teapot": ("teapot", "kettle", "茶壶", "水壶"),
    "clock": ("clock", "钟"),
    "frame": ("photo frame", "picture frame", "frame", "相框", "画框"),
    "cushion": ("cushion", "pillow", "靠垫", "抱枕", "枕"),
    "textile": ("blanket", "throw", "towel", "毯", "毛巾"),
    "doormat": ("doormat", "mat", "地垫", "门垫"),
    "jewellery": ("necklace", "bracelet", "earring", "ring", "jewellery", "jewelry", "项链",
                  "手链", "耳环", "戒指", "首饰"),
    "box": ("box", "tin", "盒", "罐"),
    "bottle": ("bottle", "flask", "瓶"),
}

# What a policy asks of an item's condition before it is returned, and what a customer says of
# it. A requirement is "sealed" (never opened) or "unused" (opened is fine, used is not).
_EN_CONDITION_RULE = re.compile(
    r"\b(?:(?P<opened>opened|unsealed)|(?P<used>used|worn))\s+(?P<kind1>[A-Za-z][A-Za-z \-]{2,40}?)"
    r"\s+(?:items?\s+|products?\s+)?(?:cannot|can't|can not|are not|aren't|is not|isn't)\s+"
    r"(?:be\s+)?(?:returned|returnable|accepted)"
    r"|(?P<kind2>[A-Za-z][A-Za-z \-]{2,40}?)\s+(?:items?\s+|products?\s+)?(?:cannot|can't|can not|"
    r"are not|aren't|is not|isn't)\s+(?:be\s+)?(?:returned|returnable|accepted)\s+"
    r"(?:once|if|after|when)\s+(?:they\s+have\s+been\s+|it\s+has\s+been\s+|they\s+are\s+|"
    r"it\s+is\s+|being\s+)?(?:(?P<opened2>opened|unsealed|unwrapped)|(?P<used2>used|worn))"
    r"|(?P<kind3>[A-Za-z][A-Za-z \-]{2,40}?)\s+(?:items?\s+|products?\s+)?(?:can only be returned|"
    r"must be|are returnable only|may only be returned)\s+(?:returned\s+)?(?:if\s+|when\s+|while\s+)?"
    r"(?:they\s+are\s+|it\s+is\s+|still\s+)?(?:(?P<sealed3>unopened|sealed|unsealed)|(?P<unused3>unused|unworn))",
    re.I)
_ZH_CONDITION_RULE = re.compile(
    r"(?:已|一经|如已|如果已)?(?P<opened>拆封|开封|拆开)(?:的|后)?(?P<kind1>[\u4e00-\u9fff]{0,8}?)(?:类)?(?:商品|产品)?"
    r"(?:后)?(?:一律)?(?:不支持|不予|不能|不可)(?:退货|退换|无理由退货)"
    r"|(?P<kind2>[\u4e00-\u9fff]{1,8}?)(?:类)?(?:商品|产品)?(?:一经|如已|已|如果已)?(?:(?P<opened2>拆封|开封|拆开)|"
    r"(?P<used2>使用|试用))(?:过)?(?:后)?(?:一律)?(?:不支持|不予|不能|不可)(?:退货|退换|无理由退货)"
    r"|(?P<kind3>[\u4e00-\u9fff]{1,8}?)(?:类)?(?:商品|产品)?(?:需|须|必须|应)(?:保持)?(?:(?P<sealed3>未拆封|未开封|包装完好)|"
    r"(?P<unused3>未使用|未经使用))")
_SEALED_SAID = re.compile(
    r"\b(?:unopened|still sealed|(?:is|are|it's|still) sealed|factory sealed|not (?:been )?opened|"
    r"(?:still )?(?:shrink|cling)[- ]?wrapped|in (?:its|the) (?:cellophane|wrapper|seal)|"
    r"(?:never|not) (?:been )?touched|untouched|seal (?:is )?(?:still )?intact|"
    r"never (?:been )?opened|(?:haven't|hasn't|have not|has not|didn't|did not) (?:been )?open(?:ed)?|"
    r"in (?:its|the|their) (?:original )?(?:sealed )?(?:packaging|wrapping|box) still)\b|"
    r"未拆封|没拆|没有拆|未开封|没开封|没有开封|没打开|没有打开|塑封还在|全新未拆|(?:膜|封膜|塑封|封口)"
    r"(?:都|还)?(?:在|完好)|(?:一点|完全|根本)?没动过|没碰过", re.I)
# the parcel opened, not the item: "opened the parcel", "快递盒子我拆开了"
_PARCEL_OPENED = re.compile(
    r"\b(?:opened|unwrapped|unboxed) (?:the |my )?(?:parcel|package|box|delivery|outer box|"
    r"shipping box|mailer)\b|\b(?:parcel|package|box|delivery) (?:was |got )?opened\b|"
    r"(?:快递|包裹|外箱|纸箱|快递盒子?|外包装|箱子)(?:我)?(?:已经)?(?:拆开|拆了|打开|拆)了?", re.I)
_UNUSED_SAID = re.compile(
    r"\b(?:unused|not used|(?:haven't|hasn't|have not|has not|didn't|did not|never) "
    r"(?:been |even )?(?:use|used|try|tried|wear|worn|test|tested|swatch|swatched|apply|applied)|"
    r"unworn|(?:never|not|haven't|hasn't|didn't) (?:been )?(?:opened|unsealed) or (?:used|tried|"
    r"worn|tested|swatched|applied))\b|"
    r"没用过|没有用过|未使用|没使用|没有使用|没试用|没穿过|未穿", re.I)
_OPENED_SAID = re.compile(
    r"\b(?:opened|unsealed|broke the seal|broken the seal|took (?:it|them) out of the "
    r"(?:box|packaging)|unwrapped)\b|拆封|拆开|开封|打开了|打开过", re.I)
_USED_SAID = re.compile(
    r"\b(?:used|tried(?!\s+to\b)|(?:did|have|only|just) (?:try|use|test|swatch|wear)"
    r"|tested|swatched|applied|wore|worn|washed)\b|"
    r"用过|使用过|试用过|用了|穿过|洗过|涂了|抹了", re.I)


@dataclass(frozen=True)
class Rule:
    """One rule read from a policy, with the sentence (and document) that says it."""

    name: str  # return_window, damage_window, exchange_window, free_shipping, not_returnable,
    #            refund_method, alternative, allows, refuses
    value: Any
    doc_id: str
    sentence: str
    tier: str | None = None
    base: str = "delivery"  # what a window counts from: delivery or purchase


@dataclass(frozen=True)
class Decision:
    """What the rules say: ``allowed`` is None when they cannot decide (ask, or hand off)."""

    allowed: bool | None
    code: str
    rules: tuple[Rule, ...] = ()
    remedies: tuple[str, ...] = ()
    needs: str | None = None  # what to ask for when allowed is None and asking can settle it

    @property
    def citations(self) -> list[str]:
        return sorted({r.doc_id for r in self.rules})


@dataclass(frozen=True)
class PolicyRules:
    rules: tuple[Rule, ...] = field(default_factory=tuple)

    def of(self, name: str) -> list[Rule]:
        return [r for r in self.rules if r.name == name]

    def window(self, name: str, tier: str | None) -> Rule | None:
        """The ``name`` window for ``tier``: the tier's own, else the untiered one."""
        rules = self.of(name)
        own = [r for r in rules if r.tier == tier and tier is not None]
        general = [r for r in rules if r.tier is None]
        return (own or general or [None])[0]

    @property
    def tiers(self) -> set[str]:
        return {r.tier for r in self.rules if r.tier}

    @property
    def allowed_remedies(self) -> set[str]:
        return {r.value for r in self.of("allows")}

    @property
    def refused_remedies(self) -> set[str]:
        return {r.value for r in self.of("refuses")} - self.allowed_remedies

    def free_shipping(self, currency: str | None = None) -> Rule | None:
        for r in self.of("free_shipping"):
            if currency is None or r.value[1] == currency:
                return r
        return None

    def not_returnable(self, item_text: str) -> Rule | None:
        """The rule that makes an item non-returnable, judged by its title or category."""
        return next((r for r in self.of("not_returnable") if _names_kind(item_text, r.value)),
                    None)

    def condition(self, item_text: str) -> Rule | None:
        """The rule on the condition this item must be in to be returned (its kind's own, else
        one for every item), or None. ``value`` is (kind or None, "sealed" or "unused")."""
        rules = self.of("condition")
        own = [r for r in rules if r.value[0] and _names_kind(item_text, r.value[0])]
        return (own or [r for r in rules if r.value[0] is None] or [None])[0]


def item_kinds(text: str) -> set[str]:
    """The kinds of item (``ITEM_SYNONYMS`` and ``PRODUCT_NOUNS``) that a title or a message
    names, in any of its languages: "lipstick" and "口红" are both cosmetics, "mug" and "杯子"
    drinkware."""
    low = text.casefold()
    nouns = {kind for kind, words in PRODUCT_NOUNS.items()
             if any(re.search(rf"\b{re.escape(w)}(?:s|es)?\b" if w.isascii() else re.escape(w), low)
                    for w in words)}
    return {kind for kind in ITEM_SYNONYMS if _names_kind(text, kind)} | nouns


def _names_kind(item_text: str, kind: str) -> bool:
    """Whether an item's title or category names ``kind`` or one of its synonyms."""
    low = item_text.casefold()
    words = ITEM_SYNONYMS.get(kind) or next(
        (syn for syn in ITEM_SYNONYMS.values() if kind in syn), (kind,))
    return any(w.casefold() in low for w in words)


def item_condition(message: str) -> str | None:
    """What a customer says of an item's condition: "sealed" (never opened), "unused" (not
    used, opened or not said), "opened" (opened, not said whether used), "used", or None when
    the message does not say. Denials ("not opened", "没拆") are read before the words they
    deny."""
    message = _PARCEL_OPENED.sub(" ", message)
    sealed, unused = _SEALED_SAID.search(message), _UNUSED_SAID.search(message)
    rest = _SEALED_SAID.sub(" ", _UNUSED_SAID.sub(" ", message))
    if _USED_SAID.search(rest):
        return "used"
    if _OPENED_SAID.search(rest):
        return "opened" if not unused else "unused"
    if sealed:
        return "sealed"
    return "unused" if unused else None


def condition_allows(requirement: str, condition: str | None) -> bool | None:
    """Whether an item in ``condition`` meets a policy's ``requirement`` ("sealed" or
    "unused"); None when the customer has not said enough to tell."""
    if condition is None:
        return None
    if requirement == "sealed":
        return {"sealed": True, "opened": False, "used": False}.get(condition)
    return {"sealed": True, "unused": True, "used": False}.get(condition)


def _days(number: str, unit: str) -> int:
    n = int(number) if number.isdigit() else _NUMBER_WORDS.get(number.lower(),
                                                               _ZH_DIGITS.get(number, 0))
    return n * _UNIT_DAYS[unit.lower()]


def _item_kind(phrase: str) -> str:
    phrase = phrase.strip().lower()
    for kind, words in ITEM_SYNONYMS.items():
        if any(w in phrase for w in words):
            return kind
    return phrase.split()[-1] if phrase.split() else phrase


def _sentences(text: str) -> list[str]:
    return [s.strip(" >-•\t") for s in _SPLIT.split(text) if s and s.strip(" >-•\t")]


def parse_policy(documents: Iterable[tuple[str, str]]) -> PolicyRules:
    """Rules from ``(doc_id, text)`` policy documents, in English or Chinese."""
    rules: list[Rule] = []
    for doc_id, text in documents:
        tier: str | None = None
        for line in text.splitlines() or [text]:
            line_tier = _tier(line)
            tier = line_tier  # a tier heads its own line ("Silver members: …")
            for sentence in _sentences(line):
                tier = _tier(sentence) or tier
                rules.extend(_sentence_rules(doc_id, sentence, tier))
    return PolicyRules(tuple(rules))


def _tier(text: str) -> str | None:
    m = _TIER.search(text)
    if not m:
        return None
    return (m.group(1) or "").lower() or _ZH_TIER.get(m.group(2), m.group(2))


def _sentence_rules(doc_id: str, sentence: str, tier: str | None) -> list[Rule]:
    low = sentence.lower()
    out: list[Rule] = []

    def add(name: str, value: Any, **kw: Any) -> None:
        out.append(Rule(name, value, doc_id, sentence, tier=kw.get("tier", tier),
                        base=kw.get("base", "delivery")))

    negated = bool(_NEGATION.search(sentence))
    base = "purchase" if re.search(r"purchase|bought|order date|下单|购买|付款", low) else "delivery"
    windows = [(_days(n, u)) for n, u in _EN_WINDOW.findall(sentence)]
    windows += [_days(n, u) for n, u in _ZH_WINDOW.findall(sentence)]
    if windows and not negated:
        if re.search(r"damag|faulty|defect|broken|破损|质量问题|损坏|故障", low):
            add("damage_window", windows[0], base=base)
        elif re.search(r"exchang|换货|调换", low) and not re.search(r"return|退货", low):
            add("exchange_window", windows[0], base=base)
        elif re.search(r"return|refund|退货|退款|退换", low):
            add("return_window", windows[0], base=base)
    if re.search(r"unlimited returns?|return(?:s)? at any time|无限期退货|随时退货", low):
        add("return_window", None)
    if re.search(r"\breceipt\b|小票|发票", low) and re.search(r"return|退", low):
        add("alternative", "receipt")
    if re.search(r"original packaging|原包装", low) and re.search(r"return|退", low):
        add("alternative", "original_packaging")
    if re.search(r"\bfree\b", low) and re.search(r"deliver|shipping|postage", low):
        for word, symbol, amount in _EN_THRESHOLD.findall(sentence):
            inclusive = word.lower() not in ("over", "above")
            add("free_shipping", (float(amount), _CURRENCY[symbol], inclusive))
    for m in _ZH_FREE_SHIPPING.finditer(sentence):
        unit = m.group(2) or m.group(4) or "元"
        add("free_shipping", (float(m.group(3)), _CURRENCY.get(unit, "CNY"), m.group(1) == "满"))
    conditions = [*_EN_CONDITION_RULE.finditer(sentence), *_ZH_CONDITION_RULE.finditer(sentence)]
    for m in conditions:
        groups = {k: v for k, v in m.groupdict().items() if v}
        phrase = next((v for k, v in groups.items() if k.startswith("kind")), "")
        kind = _item_kind(phrase) if phrase.strip() else None
        if kind in ("item", "items", "商品", "产品", "所有商品") or (kind and len(kind) < 2):
            kind = None  # "opened items cannot be returned": every item
        used = any(k.startswith(("used", "unused")) for k in groups)
        add("condition", (kind, "unused" if used else "sealed"))
    if not conditions:  # "opened cosmetics cannot be returned" is a condition, not a kind
        for m in _EN_NOT_RETURNABLE.finditer(sentence):
            add("not_returnable", _item_kind(m.group(1)))
        for m in _ZH_NOT_RETURNABLE.finditer(sentence):
            add("not_returnable", _item_kind(m.group(1)))
    if re.search(r"refund|退款", low) and not negated:
        for method, words in _REFUND_METHODS.items():
            if any(w in low for w in words):
                add("refund_method", method)
    for remedy, words in REMEDY_TERMS.items():
        if any(w in low for w in words):
            if negated and not windows:
                add("refuses", remedy)
            elif not negated:
                add("allows", remedy)
    return out


def load_policy_rules(wh: Warehouse) -> PolicyRules:
    """The rules of the store's ``policy`` and ``faq`` documents in the warehouse."""
    docs = wh.query("SELECT doc_id, coalesce(title, '') || '\n' || body FROM knowledge_documents "
                    "WHERE kind IN ('policy', 'faq') ORDER BY doc_id")
    return parse_policy((str(d), str(t)) for d, t in docs)


def decide_return(rules: PolicyRules, *, days: int | None, tier: str | None = None,
                  item_text: str = "", damaged: bool = False, exchange: bool = False,
                  has_receipt: bool = False, original_packaging: bool = False,
                  condition: str | None = None) -> Decision:
    """Whether a return (or, with ``damaged``, a replacement or refund; with ``exchange``, an
    exchange) is allowed ``days`` days after delivery (or purchase, as the rule counts).

    A window of N days includes day N: day 7 of a 7-day window is inside, day 8 is not.
    ``condition`` is what the customer said of the item (:func:`item_condition`); where the
    policy asks for a sealed or unused item, a return the other rules allow is refused for an
    opened or used one, and asked about (``needs="condition"``) when the customer has not said,
    never assumed; a return the window already refuses asks nothing. Damaged items are judged
    without it.
    """
    if item_text and (rule := rules.not_returnable(item_text)) and not damaged:
        return Decision(False, "not_returnable", (rule,))
    decision = _window_decision(rules, days, tier, damaged, exchange, has_receipt,
                                original_packaging)
    if decision.allowed and not damaged and (rule := rules.condition(item_text)) is not None:
        meets = condition_allows(rule.value[1], condition)
        if meets is False:
            return Decision(False, "condition_not_met", (rule,))
        if meets is None:
            return Decision(None, "need_condition", (rule,), needs="condition")
    return decision


def _window_decision(rules: PolicyRules, days: int | None, tier: str | None, damaged: bool,
                     exchange: bool, has_receipt: bool, original_packaging: bool) -> Decision:
    """The windows' part of :func:`decide_return`."""
    if days is None:
        return Decision(None, "need_date", needs="order")
    if damaged and (rule := rules.window("damage_window", tier)) and days <= rule.value:
        remedies = tuple(r for r in ("replacement", "refund") if r in rules.allowed_remedies)
        return Decision(True, "damage_in_window", (rule,), remedies or ("refund",))
    if exchange and (rule := rules.window("exchange_window", tier)):
        if days <= rule.value:
            return Decision(True, "exchange_in_window", (rule,), ("exchange",))
        return Decision(False, "exchange_window_passed", (rule,))
    window = rules.window("return_window", tier)
    if window is None and tier is None and rules.tiers:
        return Decision(None, "need_tier", needs="tier")
    if window is None:
        return Decision(None, "no_rule")
    remedies = tuple(r for r in ("return", "refund") if r in rules.allowed_remedies) or ("return",)
    if window.value is None or days <= window.value:
        return Decision(True, "in_window", (window,), remedies)
    alternatives = [r for r in rules.of("alternative") if r.tier == window.tier]
    for alt in alternatives:
        if (alt.value == "receipt" and has_receipt) or (
                alt.value == "original_packaging" and original_packaging):
            return Decision(True, f"with_{alt.value}", (window, alt), remedies)
    return Decision(False, "window_passed", (window, *alternatives))


def shipping_fee_decision(rules: PolicyRules, order_value: float, currency: str) -> Decision:
    """Whether an order of ``order_value`` ships free under the policy's threshold."""
    rule = rules.free_shipping(currency)
    if rule is None:
        return Decision(None, "no_rule")
    threshold, _currency, inclusive = rule.value
    free = order_value >= threshold if inclusive else order_value > threshold
    return Decision(free, "free_shipping" if free else "below_threshold", (rule,))
