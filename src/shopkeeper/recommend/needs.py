"""What a shopper asks the shopping guide for, read with rules in Chinese and English: the
budget (with its currency), who it is for, the occasion, and the product words left over; and
who a product is meant for, from the audience words of its catalogue text ("women's", "男士",
"儿童", "baby"), so that a gift for a father leaves out what is clearly meant for someone else.

>>> need = understand("给我妈妈买个200元以内的礼物")
>>> (need.recipient, need.occasion, need.budget_max, need.currency)
('mother', 'gift', 200.0, 'CNY')
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from shopkeeper.llm.retrieval import tokenize

AROUND = 0.2  # "around 20" means 16 to 24
_CURRENCY_WORDS = {
    "CNY": r"yuan|rmb|cny|人民币|元|块钱|块|¥|￥", "GBP": r"pounds?|gbp|quid|英镑|镑|£",
    "USD": r"dollars?|usd|bucks|美元|美金|\$", "EUR": r"euros?|eur|欧元|€"}
_CUR = "|".join(_CURRENCY_WORDS.values())
_NUM = r"(\d+(?:\.\d+)?)"
_BUDGET_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("range", re.compile(rf"(?:between\s+|从)?(?P<pre>[£$€¥￥])?\s*{_NUM}\s*(?P<mid>{_CUR})?\s*"
                         rf"(?:-|–|~|to|and|到|至)\s*[£$€¥￥]?\s*{_NUM}\s*(?P<post>{_CUR})?"
                         r"(?:\s*(?:之间|以内))?", re.I)),
    ("max", re.compile(rf"(?:under|below|less than|up to|no more than|not more than|at most|"
                       rf"max(?:imum)?|within|cheaper than|budget(?: is| of)?:?|不超过|低于|不到|"
                       rf"少于|最多|预算(?:是|在)?)\s*(?P<pre>[£$€¥￥])?\s*{_NUM}\s*"
                       rf"(?P<post>{_CUR})?(?:\s*(?:以内|以下|之内))?", re.I)),
    ("max", re.compile(rf"(?P<pre>[£$€¥￥])?\s*{_NUM}\s*(?P<post>{_CUR})?\s*(?:以内|以下|之内|内|"
                       r"or less|max\b)", re.I)),
    ("around", re.compile(rf"(?:around|about|roughly|approximately|~)\s*(?P<pre>[£$€¥￥])?\s*"
                          rf"{_NUM}\s*(?P<post>{_CUR})?", re.I)),
    ("around", re.compile(rf"(?P<pre>[£$€¥￥])?\s*{_NUM}\s*(?P<post>{_CUR})?\s*(?:左右|上下)",
                          re.I)),
    ("min", re.compile(rf"(?:over|above|more than|at least|超过|高于)\s*(?P<pre>[£$€¥￥])?\s*"
                       rf"{_NUM}\s*(?P<post>{_CUR})?", re.I)),
    ("min", re.compile(rf"(?P<pre>[£$€¥￥])?\s*{_NUM}\s*(?P<post>{_CUR})?\s*以上", re.I)),
    ("amount", re.compile(rf"(?P<pre>[£$€¥￥])\s*{_NUM}|{_NUM}\s*(?P<post>{_CUR})(?![a-z])",
                          re.I)),
]
_BARE_NUMBER = re.compile(r"^\s*[£$€¥￥]?\s*(\d+(?:\.\d+)?)\s*\S{0,4}\s*$")
NO_PREFERENCE = re.compile(r"^\s*(?:any|anything|whatever|no (?:budget|limit|preference)|doesn'?t matter|"
                  r"not sure|随便|都行|都可以|不限|无所谓|没有预算|不知道)\W*$", re.I)

# canonical recipient: (English pattern, Chinese words, retrieval hint, en label, zh label)
RECIPIENTS: dict[str, tuple[str, tuple[str, ...], str, str, str]] = {
    "mother": (r"mum|mom|mother|mummy|mommy|mama", ("妈妈", "母亲", "老妈", "婆婆", "岳母"),
               "mum mother 妈妈", "your mother", "妈妈"),
    "father": (r"dad|father|daddy|papa", ("爸爸", "父亲", "老爸", "公公", "岳父"),
               "dad father 爸爸", "your father", "爸爸"),
    "grandparent": (r"grandma|grandmother|granny|nan|nana|grandpa|grandfather|grandparents?",
                    ("奶奶", "外婆", "姥姥", "爷爷", "外公", "姥爷"),
                    "grandma grandad 奶奶 爷爷", "your grandparent", "长辈"),
    "wife": (r"wife", ("老婆", "妻子", "太太", "媳妇"), "wife her 老婆", "your wife", "老婆"),
    "husband": (r"husband", ("老公", "丈夫"), "husband him 老公", "your husband", "老公"),
    "girlfriend": (r"girlfriend", ("女朋友", "女友"), "girlfriend her 女朋友", "your girlfriend",
                   "女朋友"),
    "boyfriend": (r"boyfriend", ("男朋友", "男友"), "boyfriend him 男朋友", "your boyfriend",
                  "男朋友"),
    "baby": (r"baby|newborn|toddler", ("宝宝", "婴儿", "新生儿"), "baby 宝宝",
             "the baby", "宝宝"),
    "child": (r"kids?|child|children|son|daughter|boy|girl|nephew|niece",
              ("孩子", "小孩", "儿子", "女儿", "儿童", "侄子", "外甥"), "children kids 儿童",
              "the child", "孩子"),
    "friend": (r"friends?|bestie|mate", ("朋友", "闺蜜", "兄弟"), "friend 朋友",
               "your friend", "朋友"),
    "colleague": (r"colleagues?|co-?workers?|boss|team", ("同事", "领导", "老板"),
                  "colleague office 同事", "your colleague", "同事"),
    "teacher": (r"teachers?", ("老师",), "teacher 老师", "your teacher", "老师"),
    "self": (r"myself|for me", ("自己", "自用"), "", "you", "您自己"),
}
OCCASIONS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "birthday": (r"birthday|bday", ("生日",), "birthday 生日"),
    "christmas": (r"christmas|xmas", ("圣诞",), "christmas 圣诞"),
    "wedding": (r"wedding|marriage", ("婚礼", "结婚", "新婚"), "wedding 婚礼"),
    "anniversary": (r"anniversary", ("纪念日",), "anniversary 纪念日"),
    "housewarming": (r"housewarming|new home", ("乔迁", "新家", "新居"), "home 家居"),
    "mothers_day": (r"mother'?s day", ("母亲节",), "mother 妈妈"),
    "valentine": (r"valentine'?s?", ("情人节",), "love heart 爱心"),
    "gift": (r"gifts?|presents?", ("礼物", "礼品", "送礼", "送给"), "gift 礼物"),
}
_GENERIC = {
    "gift", "gifts", "present", "presents", "want", "wants", "need", "needs", "buy", "buying",
    "looking", "look", "find", "something", "anything", "some", "any", "nice", "good", "great",
    "recommend", "recommendation", "suggest", "suggestion", "ideas", "idea", "please", "help",
    "get", "give", "could", "would", "like", "under", "below", "budget", "around", "about",
    "between", "less", "than", "more", "over", "up", "max", "within", "cheap", "cheaper",
    "shopping", "shop", "hi", "hello", "thanks", "ok", "yes", "no", "not", "sure", "whatever",
    "i'd", "i'm", "i'll", "i've", "we'd", "we're", "im", "id", "let", "show", "see",
    "her", "him", "them", "she", "he", "who", "which", "one", "new", "special", "lovely",
    "yuan", "rmb", "pounds", "pound", "gbp", "dollars", "dollar", "usd", "euro", "euros", "quid",
    "礼物", "礼品", "送礼", "送给", "送", "买", "想", "想要", "给", "一个", "个", "推荐", "什么",
    "好", "东西", "帮", "帮我", "找", "有没有", "预算", "以内", "以下", "之内", "左右", "元",
    "块", "块钱", "一些", "一件", "件", "合适", "适合", "可以", "好的", "需要", "挑", "选",
    "您好", "你好", "谢谢", "随便", "都行", "不限", "特别", "惊喜", "最好", "之间", "到", "便宜",
    "买个", "买点", "送个", "送点", "我妈", "给我", "一份", "份", "款",
    "else", "other", "others", "another", "again", "same", "last", "time", "before",
    "别的", "其他", "其它", "另外", "再", "上次", "还是", "一样", "看看", "再看看", "还",
    "买条", "一条", "条", "买件", "买双", "一双", "双", "买套", "一套", "买只", "一只", "只",
    "还有", "吗", "呢", "吧", "啊", "呀",
}


# who the recipient's own word says they are, where the canonical recipient does not
_FEMALE_WORDS = {"grandma", "grandmother", "granny", "nana", "daughter", "girl", "niece",
                 "奶奶", "外婆", "姥姥", "女儿", "侄女", "外甥女"}
_MALE_WORDS = {"grandpa", "grandfather", "son", "boy", "nephew", "爷爷", "外公", "姥爷", "儿子",
               "侄子", "外甥"}
_RECIPIENT_GENDER = {"mother": "female", "wife": "female", "girlfriend": "female",
                     "father": "male", "husband": "male", "boyfriend": "male"}
# the age group each recipient is: adult, child or baby (self: none, the shopper knows)
_RECIPIENT_AGE = {"mother": "adult", "father": "adult", "grandparent": "adult", "wife": "adult",
                  "husband": "adult", "girlfriend": "adult", "boyfriend": "adult",
                  "friend": "adult", "colleague": "adult", "teacher": "adult", "child": "child",
                  "baby": "baby"}
# ages a recipient's gift may be marked for: a child's age is not known, so baby things may
# suit a child and children's things a baby; an adult's gift is never marked for children
_AGES_FOR = {"adult": {"adult"}, "child": {"child", "baby"}, "baby": {"baby", "child"}}

# audience markers in a product's title, category or attributes: name -> (English pattern on
# the lowercased text, Chinese words, the ages and genders it marks, en label, zh label).
# General words only; a product with markers of several audiences is for all of them.
AUDIENCES: dict[str, tuple[str, tuple[str, ...], frozenset[str], str, str]] = {
    "women": (r"wom[ae]n(?:'s|’s|s)?|ladies|lady's|ladys|female|for her|hers|mum(?:my)?s?|"
              r"moms?|mommy|mother(?!\s+of\s+pearl)s?|grandma|granny|wife|girlfriend",
              ("女士", "女款", "女式", "女装", "女性", "女人", "妇女", "女鞋", "妈妈", "母亲",
               "老婆", "妻子", "女朋友", "女友", "奶奶", "外婆", "姥姥"),
              frozenset({"adult", "female"}), "women", "女士"),
    "men": (r"men(?:'s|’s|s)?|gents?|gentlem[ae]n|male|for him|dads?|daddy|fathers?|"
            r"grand(?:d)?ad|grandpa|husband|boyfriend",
            ("男士", "男款", "男式", "男装", "男性", "男人", "男鞋", "爸爸", "父亲", "老公",
             "丈夫", "男朋友", "男友", "爷爷", "外公", "姥爷"),
            frozenset({"adult", "male"}), "men", "男士"),
    "unisex": (r"unisex|his and hers|his & hers", ("男女通用", "中性", "情侣"),
               frozenset({"female", "male"}), "everyone", "男女通用"),
    "girls": (r"girls?(?:'s|’s)?", ("女童", "女孩", "女宝"), frozenset({"child", "female"}),
              "girls", "女童"),
    "boys": (r"boys?(?:'s|’s)?", ("男童", "男孩", "男宝"), frozenset({"child", "male"}),
             "boys", "男童"),
    "kids": (r"kids?(?:'s|’s)?|child(?:ren)?(?:'s|’s|s)?|kiddies|junior|toddlers?",
             ("儿童", "童装", "童鞋", "孩子", "小孩", "少儿", "幼儿"), frozenset({"child"}),
             "children", "儿童"),
    "baby": (r"bab(?:y|ies)(?:'s|’s|s)?|infants?|newborns?",
             ("婴儿", "宝宝", "新生儿", "婴幼儿", "婴童"), frozenset({"baby"}), "babies", "婴儿"),
}
_AUDIENCE_PATTERNS = {name: re.compile(rf"(?<![\w'’-])(?:{en})(?![\w-])")
                      for name, (en, *_) in AUDIENCES.items()}


def audiences_in(text: str) -> frozenset[str]:
    """The audience markers (``AUDIENCES`` names) found in ``text``: "Leather wallet for men"
    → {"men"}; "儿童积木" → {"kids"}; "His and hers mugs" → {"unisex"}."""
    low = text.lower()
    return frozenset(name for name, (_, zh, *_) in AUDIENCES.items()
                     if _AUDIENCE_PATTERNS[name].search(low) or any(w in text for w in zh))


def meant_for_someone_else(markers: frozenset[str], need: Need) -> bool:
    """Whether a product with audience ``markers`` is clearly meant for someone else than the
    recipient of ``need``: it is marked only for another age group (children's things for a
    father, women's things for a child) or only for the other gender (women's things for a
    father, men's for a mother). Unmarked products are for anyone; a product marked for the
    recipient as well is kept ("for him and her"); an audience the shopper asked for in so many
    words ("baby socks for my mum") is never left out; and a purchase for oneself is not
    filtered (the shopper knows whom it is for)."""
    age = _RECIPIENT_AGE.get(need.recipient or "")
    if age is None or not markers:
        return False
    asked = need.audiences | audiences_in(" ".join(need.wants))
    tags = set().union(*(AUDIENCES[m][2] for m in markers - asked)) if markers - asked else set()
    if not tags:
        return False
    ages = tags & {"adult", "child", "baby"}
    if ages and not ages & (_AGES_FOR[age] | {a for m in asked for a in AUDIENCES[m][2]}):
        return True
    gender = recipient_gender(need)
    genders = tags & {"female", "male"}
    return bool(gender and genders and gender not in genders)


def recipient_gender(need: Need) -> str | None:
    """The recipient's gender where their word says it: "female", "male" or None."""
    return need.gender or _RECIPIENT_GENDER.get(need.recipient or "")


def audience_label(markers: frozenset[str], lang: str) -> str:
    """Who ``markers`` say a product is for, in words: "women" / "女士"."""
    column = 4 if lang == "zh" else 3
    return ("、" if lang == "zh" else " and ").join(
        AUDIENCES[m][column] for m in AUDIENCES if m in markers)


@dataclass
class Need:
    """What the customer is looking for, gathered over the conversation."""

    wants: list[str] = field(default_factory=list)  # product words, in the order said
    recipient: str | None = None
    occasion: str | None = None
    budget_min: float | None = None
    budget_max: float | None = None
    currency: str | None = None  # the currency the customer named, if any
    gender: str | None = None  # "female" / "male" when the recipient's word says ("grandma")
    audiences: set[str] = field(default_factory=set)  # audiences named besides the recipient
    #                                                  ("baby socks for my mum": baby)
    asked: set[str] = field(default_factory=set)
    pending: str | None = None  # the question the last turn asked

    @property
    def has_budget(self) -> bool:
        return self.budget_min is not None or self.budget_max is not None


def parse_budget(message: str) -> tuple[str, float, float | None, str | None, tuple[int, int]] | None:
    """The first budget phrase in ``message``: (kind, first amount, second amount, currency,
    span); kind is range, max, around, min or amount (a bare amount with a currency)."""
    for kind, pattern in _BUDGET_PATTERNS:
        m = pattern.search(message)
        if not m:
            continue
        numbers = [float(g) for g in m.groups() if g and re.fullmatch(r"\d+(?:\.\d+)?", g)]
        if not numbers:
            continue
        marks = " ".join(g for g in m.groups() if g and not re.fullmatch(r"\d+(?:\.\d+)?", g))
        second = numbers[1] if kind == "range" and len(numbers) > 1 else None
        return kind, numbers[0], second, _currency(marks), m.span()
    return None


def _currency(marks: str) -> str | None:
    """The currency ``marks`` name; the longest word wins, so 美元 is USD, not the 元 in it."""
    found = [(len(m.group(0)), code) for code, pattern in _CURRENCY_WORDS.items()
             for m in re.finditer(pattern, marks, re.I)]
    return max(found)[1] if found else None


def understand(message: str, need: Need | None = None) -> Need:
    """``need`` updated with what ``message`` says; a new Need when none is given or when the
    message is for someone else than the request so far ("and for my dad?")."""
    need = need or Need()
    rest = message
    budget = parse_budget(message)
    if budget is None and need.pending == "budget":
        bare = _BARE_NUMBER.match(message)
        if bare:
            budget = ("max", float(bare.group(1)), None, _currency(message), bare.span())
    if budget is not None:
        kind, first, second, currency, (start, end) = budget
        need.budget_min, need.budget_max = {
            "range": (min(first, second or first), max(first, second or first)),
            "max": (None, first), "amount": (None, first), "min": (first, None),
            "around": (first * (1 - AROUND), first * (1 + AROUND)),
        }[kind]
        need.currency = currency
        rest = message[:start] + " " + message[end:]
    low = rest.lower()
    for name, (en, zh, *_) in RECIPIENTS.items():
        found = re.search(rf"\b(?:{en})\b", low)
        word = found.group(0) if found else next((w for w in zh if w in rest), None)
        if word is not None:
            if need.recipient not in (None, name):  # someone else: a new request
                fresh = Need()
                if budget is not None:
                    fresh.budget_min, fresh.budget_max = need.budget_min, need.budget_max
                    fresh.currency = need.currency
                need = fresh
            gender = ("female" if word in _FEMALE_WORDS else "male" if word in _MALE_WORDS
                      else None)
            if need.recipient != name or gender:
                need.gender = gender
            need.recipient = name
            break
    else:
        word = None
    others = re.sub(re.escape(word), " ", rest, count=1, flags=re.I) if word else rest
    need.audiences |= audiences_in(others)
    for name, (en, zh, _) in OCCASIONS.items():
        if re.search(rf"\b(?:{en})\b", low) or any(w in rest for w in zh):
            if name != "gift" or need.occasion is None:
                need.occasion = name
            break
    words = [w for w in (re.sub(r"'s$", "", t) for t in tokenize(rest)) if _is_product_word(w)]
    if words:
        need.wants.append(" ".join(words))
    return need


def _is_product_word(token: str) -> bool:
    if token in _GENERIC or token.isdigit() or len(token) < 2 and not re.match(r"[\u4e00-\u9fff]",
                                                                               token):
        return False
    for en, zh, *_ in (*RECIPIENTS.values(), *OCCASIONS.values()):
        if re.fullmatch(rf"(?:{en})", token) or token in zh:
            return False
    return True
