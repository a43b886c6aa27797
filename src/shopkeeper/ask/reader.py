"""The deterministic reader: a question in Chinese or English → an :class:`AskQuery`, or a
question back when the words allow more than one reading. No model is involved.

It reads the metric from the merchant vocabulary, the period (:mod:`shopkeeper.ask.periods`),
the grouping, ranking and share words, and filters on values the store really has (its
countries, channels, categories and product codes), so it never invents one.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from shopkeeper.ask.periods import (
    ALL_TIME,
    EN_WEEKDAYS,
    ZH_WEEKDAYS,
    Period,
    PeriodReading,
    en_number,
    last_n,
    read_period,
    years_named,
    zh_number,
)
from shopkeeper.ask.query import AskQuery, summable
from shopkeeper.ask.vocabulary import (
    COUNTRY_ALIASES,
    COUNTRY_GROUPS,
    DIMENSION_PHRASES,
    GRAIN_PHRASES,
    Vocabulary,
    find_phrases,
)
from shopkeeper.metrics import METRICS, TIME_GRAINS, WEEKDAYS

CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class StoreValues:
    """The values the store's data holds, so filters match real ones only."""

    countries: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    product_ids: set[str] = field(default_factory=set)
    # the products' names in capitals, one per line: a product word in a question counts as a
    # filter only when some name has it
    product_names: str = ""
    home_country: str | None = None  # the country most orders come from, when most do
    # the days with an order, in order (its trading days); a callable is read on first use by
    # trading_days(), since only a question about a trading day needs them
    order_days: tuple[dt.date, ...] | Callable[[], tuple[dt.date, ...]] = ()

    def trading_days(self) -> tuple[dt.date, ...]:
        """The days with an order, in order (``order_days``, read once)."""
        if callable(self.order_days):
            self.order_days = self.order_days()
        return self.order_days

    def names_with(self, phrase: str) -> list[str]:
        """The product names that contain ``phrase`` as whole words (a plural "s" dropped)."""
        form = self.name_form(phrase)
        if form is None:
            return []
        pattern = rf"(?<![A-Z0-9]){re.escape(form)}S?(?![A-Z0-9])"
        return re.findall(rf"^.*{pattern}.*$", self.product_names, re.M)

    def name_form(self, phrase: str) -> str | None:
        """``phrase`` as the product names write it ("jumbo bags" → "JUMBO BAG"), or None."""
        if not self.product_names or not phrase.strip():
            return None
        words = phrase.upper().split()
        variants = [" ".join(words)]
        if words[-1].endswith("S") and len(words[-1]) > 3:
            variants.append(" ".join([*words[:-1], words[-1][:-1]]))
        for v in variants:
            if re.search(rf"(?<![A-Z0-9]){re.escape(v)}(?![A-Z0-9])", self.product_names):
                return v
        return None


@dataclass(frozen=True)
class AskBack:
    """The question can be read more than one way: ask which one, never guess."""

    reason_en: str
    reason_zh: str
    choices_en: tuple[str, ...]
    choices_zh: tuple[str, ...]
    language: str = "en"
    # what every reading shares, when the period is known: if it holds no data, each reading
    # gives the same answer ("no data"), so there is nothing to ask
    fallback: AskQuery | None = None

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


# the words the reading leans on, so that a letter typed out or swapped ("higest", "Averge",
# "agianst") still reads; any other word is left as typed
_KEY_WORDS = ("highest", "lowest", "average", "against", "customers", "customer", "revenue",
              "quantity", "compared", "compare", "between", "returning", "weekend", "weekends",
              "weekly", "monthly", "quarter", "quarterly", "orders",
              "refunds", "refund", "countries", "country", "versus", "percentage", "percent",
              "biggest", "largest", "smallest", "fewest", "previous", "yesterday", "excluding",
              "including", "units", "sales", "total", "share", "buyers", "shoppers",
              "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


# "orders of 100 units or more", "orders with £1,000 or more in them": the bound said after
# the number, read as the bound said before it
_OR_MORE = re.compile(r"\b(of|with|containing|having|holding)\s+([£$€¥]?\s*[\d,.]+k?\s*"
                      r"(?:units?|items|pieces|pounds|dollars|euros|yuan)?)\s+or (?:more|above|over)\b",
                      re.I)

# "有多少金额超过1000的订单": the count asked before the groups, read as after them
_ASKED_FIRST_ZH = re.compile(r"(有|一共有|共有)(多少|几)(?:个|张|笔|位)?([^，,。？?]{2,20}?"
                             r"(?:\d|以上|以下)[^，,。？?]{0,4}?的(?:订单|单子|客户|顾客|买家|商品|产品))"
                             r"(?=\s*(?:[，,。？?]|$))")


def _fix_typos(text: str) -> str:
    """Key words typed with a letter out or swapped, as the word: the same first letter and
    nine in ten of the rest agree (a real word near one, "higher", "worse", is left); 上各月,
    typed for 上个月 (the same sound), as 上个月."""
    text = re.sub(r"([上这本])各(月|季度|星期|礼拜)", r"\1个\2", text)
    text = text.replace("以经", "已经")
    def fixed(m: re.Match) -> str:
        word = m[0].lower()
        if word in _KEY_WORDS:
            return m[0]
        swapped = [w for i in range(len(word) - 1)  # two letters swapped: "lowset"
                   if (w := word[:i] + word[i + 1] + word[i] + word[i + 2:]) in _KEY_WORDS]
        if swapped:
            return swapped[0].capitalize() if m[0][0].isupper() else swapped[0]
        close = difflib.get_close_matches(word, [w for w in _KEY_WORDS if w[0] == word[0]], 1,
                                          0.85)
        if not close or close[0].startswith(word) or word.startswith(close[0]) or (
                word.rstrip("sd") == close[0].rstrip("sd")):  # "order", "totals", "shared"
            return m[0]
        return close[0].capitalize() if m[0][0].isupper() else close[0]

    return re.sub(r"\b[A-Za-z][a-z]{4,11}\b", fixed, text)


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
    r"拆分|构成|前\s*\d|前[一二三四五六七八九十]+|倒数|最高|最低|最多|最少|最好|最差|最大|畅销|垫底|"
    r"[一二三四五六七八九十两\d]+\s*[个家位款](?:国家|市场|商品|产品|货号|客户|顾客|买家|渠道|类目)|"
    r"\bby\b|\bper\b|\beach\b|\bwhich\b|\bwhat (?:country|product|customer|channel|category|"
    r"market)|\bbreakdown\b|\bbroken down\b|\bsplit\b|\brank|\bacross\b|\btop\b|\bbottom\b|"
    r"\bbest\b|\bworst\b|\blist\b|\bhighest\b|\blowest\b|\bmost\b|\bleast\b|\bbiggest\b"
    r"|\blargest\b|\bamong\b|\b(?:two|three|four|five|six|seven|eight|nine|ten|\d+) (?:countries|"
    r"markets|products|customers|channels|categories|stock ?codes)\b")
_GRAIN_WORDS = {"month": (r"月", r"months?"), "day": (r"天|日", r"days?|dates?"),
                "week": (r"周|星期", r"weeks?"), "quarter": (r"季度", r"quarters?")}
_WHICH_GRAIN = [
    (re.compile(rf"哪[一二三四五六七八九十两\d]*个?(?:{zh})|(?:which|what)(?: {_NUMBER})?"
                rf"(?: single| one| particular| individual)? (?:{en})\b"
                rf"|\b(?:best|worst|biggest|busiest|highest|lowest|top|strongest|weakest|quietest|"
                rf"slowest)"
                rf"(?: \w+)? (?:{en})\b|(?:最(?:好|差|高|低|多|少|大|冷清|淡|忙|火)|垫底|倒数)的那?[一二三四五六七八九十两\d]*个?(?:{zh})"
                # "the most we refunded in a single day"
                rf"|\b(?:most|highest|biggest|largest|best|busiest)\b[^?.]{{0,40}}?\b(?:in|on) "
                rf"(?:a|one|any(?: one)?)(?: single)? (?:{en})\b", re.I),
     grain)
    for grain, (zh, en) in _GRAIN_WORDS.items()]
# a plural time word that is what to rank ("Rank 2011's quarters by sales")
_GRAIN_PLURAL = re.compile(r"\b(months|quarters|weeks)\b")
_COUNT = [re.compile(p, re.I) for p in (
    rf"(?:前|top|best|bottom|worst|排名前|倒数|后|which|哪)\s*{_NUMBER}(?![\d年月日])"
    r"(?!\s*(?:个?周|个?星期|个?礼拜|个月|年|weeks?\b|months?\b))",
    rf"(?:哪|which)\s*{_NUMBER}\s*(?=个?(?:周|星期|礼拜|月|天|季度)|个月|\s*(?:weeks|months|days|quarters)\b)",
    rf"(?:最高|最多|最大|最好|最差|最低|最少|最冷清|最淡|最忙|最火|畅销|垫底)的?\s*{_NUMBER}\s*"
    r"(?:名|个|位|款|家|大|天|周|日)",
    rf"(?<![\d年月第A-Za-z]){_NUMBER}\s*(?:名|个|位|款|家)(?:国家|商品|产品|货号|客户|顾客|买家|渠道|类目|月|"
    r"季度|周|天)",
    rf"\b{_NUMBER}\s+(?:biggest|best|top|largest|worst|highest|lowest|most|least|best-selling|busiest|"
    r"quietest|slowest|weakest|strongest|"
    r"top-selling|countries|products|customers|items|skus|buyers|spenders|months|quarters"
    r"|markets)\b")]
_HIGH = re.compile(r"最高|最多|最大|最好|最贵|最强|第一|冠军|畅销|\bhighest\b|\bmost\b|\blargest\b|"
                   r"\bbiggest\b|\bbest\b|\btop\b|\bgreatest\b|\bleading\b|best-selling|"
                   r"top-selling|\bbusiest\b|\bfattest\b", re.I)
_LOW = re.compile(r"最低|最少|最小|最差|最便宜|最弱|垫底|倒数|最冷清|最淡|\blowest\b|\bleast\b|\bsmallest\b|"
                  r"\bworst\b|\bbottom\b|\bfewest\b|\bweakest\b|\bslowest\b|\bquietest\b", re.I)
_RANK_ALL = re.compile(r"排名|排行|排序|排个?名|排一下|排个序|\brank(?:ed|ing)?\b|\bsorted\b|\bin order\b", re.I)
_SINGULAR = re.compile(r"哪个|哪一个|哪家|哪位|哪一|哪款|\bwhich\b(?! \w+s\b)|\bwhat\b(?! \w+s\b)"
                       r"|\bwho(?:'s| was| is)\b|\b(?:top|best|biggest|largest|worst|best-selling|top-selling|"
                       r"busiest|quietest|slowest|strongest|weakest) "
                       r"(?:(?:overseas|foreign|export|international) )?(?:single )?"
                       r"(?:customer|product|country|seller|item|sku|day|week|month|buyer|client|"
                       r"market|order|spender|earner)\b(?!s)|\bsingle (?:biggest|largest) order\b"
                       r"|\bthe (?:best|worst|top|highest|lowest|biggest)\b(?! \d)"
                       r"|\bthe (?:customer|client|buyer|product|item|sku|country|market|order|day|"
                       r"week|month) (?:with|who|that|which|whose)\b"
                       r"|\b(?:in|on) (?:a|one|any(?: one)?)(?: single)? (?:day|week|month)\b", re.I)
# "最大的一笔单子是多少钱", "our single biggest order, in £": the top group's amount, not which
_AMOUNT = re.compile(r"多少钱|\bhow many\b|金额(?:是|为|有)?多少|多少(?:英镑|镑|元|块|美元|欧元)|值多少|\bhow much\b|"
                     r"(?:出|卖|来|下|退)了?(?:多少|几)(?:单|件)|"
                     r"\bin (?:£|\$|€|gbp|usd|eur|pounds|dollars|euros)\b|\bworth\b|"
                     r"\bwhat (?:was|is) (?:our|the) (?:single )?(?:biggest|largest|smallest) "
                     r"(?:single )?order\b|\bwhat (?:was|is) the (?:most|highest|biggest|largest)\b",
                     re.I)
# "our biggest customer", "last month's best overseas market" with no measure said: by
# spend, or by orders? (asked back, with the choices that settle it, and the metric each ranks by)
_BIGGEST_GROUP = {
    "customer": (re.compile(
        r"(?:最大|最好|头号|第一大|最重要)的?(?:那个|那位)?(?:客户|顾客|买家|客人)|"
        r"\b(?:biggest|largest|best|top|most valuable|most important|number one|no\. ?1)\s+"
        r"(?:single\s+)?(?:customer|client|buyer|account)\b(?!s)", re.I),
        ("by spend", "by number of orders"), ("按消费金额", "按订单数"), ("gmv", "orders"),
        "Biggest by what: by what they spent, or by how many orders they placed?",
        "请问“最大”按什么算：按消费金额，还是按订单数？"),
    "country": (re.compile(
        r"(?:卖得最好|最大|最好|头号|第一大)的?(?:那个)?(?:国家|市场)|"
        r"\b(?:biggest|largest|best|top|number one|no\. ?1)\s+(?:overseas\s+|foreign\s+|export\s+)?"
        r"(?:single\s+)?(?:country|market)\b(?!s)", re.I),
        ("by sales", "by number of orders"), ("按销售额", "按订单数"), ("gmv", "orders"),
        "Best by what: by sales, or by number of orders?",
        "请问“最好”按什么算：按销售额，还是按订单数？"),
}
# the words between a superlative and the metric it ranks by ("花钱最多", "spent the most",
# "top spender", "下单最多", "most orders")
_TOUCHING = re.compile(r"\s*(?:the\s+)?|得|的", re.I)
_WHICH = re.compile(r"哪|(?<!product )(?<!item )(?<!country )(?<!order )\bwhich\b|"
                    r"(?<!customer )(?<!client )(?<!buyer )(?<!shopper )\bwho\b|\bwhose\b|\bwhat (?:order|customer|product|country)\b",
                    re.I)
_SHARE = re.compile(r"占比|比例|比重|份额|几成|占了?(?:总|全部|整体|所有|全年)?.{0,8}?(?:多少|百分之几|几成)|"
                    r"\bshares?\b|\bpercentage\b|\bproportion\b|\bpercent of\b|% of|\bwhat fraction"
                    r"|\b(?:split|divided) (?:between|across|among)\b"
                    r"|\bhow much of\b|贡献了?[^，。？?,]{0,12}?(?:百分之多少|百分之几|多少比例|几成)|\bslice\b"
                    r"|\bwhat percent\b", re.I)
_EACH = re.compile(r"各|每个|分别|\beach\b|\bevery\b|\bper\b|\bby\b|"
                   r"\b(?:split|divided) (?:between|across|among)\b", re.I)
# the groups taken together: "加起来", "between them"
_COMBINED = re.compile(r"加起来|合计|一共|总共|合起来|\btogether\b|\bcombined\b|\bin total\b|"
                       r"\bbetween them\b|\ball told\b", re.I)
_EXCLUDE = re.compile(r"除了|除去|除|不含|不包括|不算|不计|排除|刨除|去掉|扣掉|扣除|excluding|exclude|"
                      r"except|other than|outside(?: of)?|not including|not counting|apart from|"
                      r"without|besides|\bleav(?:e|ing) out\b|\bnon-|\bex-", re.I)
_EXCLUDE_REACH = 32  # how far before a value an exclusion word applies to it
# "英国以外", "把23843那一单刨掉"
_EXCLUDE_AFTER = re.compile(r"^[\s)）]*(?:(?:那|这)(?:一|1)?(?:单|笔|款|个)\s*)?(?:以外|之外|除外|不算|"
                            r"不计|不包括在内|刨掉|刨除|去掉|扣掉|拿掉|剔除|排除)")
# "leaving the UK out", "leave Ireland out"
_LEAVE_BEFORE = re.compile(r"\b(?:leav(?:e|ing)|put(?:ting)?|set(?:ting)?|keep(?:ing)?)\s+(?:the\s+)?$", re.I)
_OUT_AFTER = re.compile(r"^[\s)]*(?:out|aside)\b", re.I)
# what joins the items of a list ("英国、德国、法国", "the UK, Germany and France"): an
# exclusion word before or after the list applies to every item
_LIST_JOIN = re.compile(r"^\s*(?:、|,|/|&|和|与|及|以及|或|,?\s*(?:and|or)\b)\s*(?:the\s+)?$", re.I)
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
    r"([A-Z][A-Z0-9\-]{2,}(?: [A-Z][A-Z0-9\-]{2,})*)\s*(?:系列|类商品|类产品|款|[)）]?\s*(?:的)?(?:商品|产品|货品))",
    r"\b([A-Z][A-Z0-9\-]{2,}(?: [A-Z][A-Z0-9\-]{2,})*)\s+in (?:the |their |its )?(?:product )?"
    r"(?:name|description|title)s?\b",
    r"(?:含|包含|带)\s*([A-Z][A-Z0-9\-]{2,}(?: [A-Z][A-Z0-9\-]{2,})*)",
    r"(?i:among (?:the |our )?)([a-z][a-z\- ]+?)s?(?:,| which| what| who)")]
_CODE_TOKEN = re.compile(r"(?<![A-Za-z0-9])([A-Za-z0-9]+)(?![A-Za-z0-9])")
# a code of letters only ("POST") counts when it is said as a code: "(POST)", "StockCode POST"
_CODE_BEFORE = re.compile(r"(?:stock ?code|product code|item code|\bcode|\bsku|货号|商品编号|编码)\s*[:：]?\s*$",
                          re.I)
_BRACKET_BEFORE = re.compile(r"[(（]\s*$")
_BRACKET_AFTER = re.compile(r"^\s*[)）]")
# "POST (postage)", "a POST line": a code glossed in brackets, or said as an order line
_CODE_AFTER = re.compile(r"\s*[(（]\s*[a-z\u4e00-\u9fff][^)）]{0,30}[)）]|\s+lines?\b")
_FOLLOW_UP = re.compile(r"^\s*(?:那|那么|那按|那如果|换成|改成|再|and\b|what about\b|how about\b|"
                        r"now\b|same (?:for|but)\b|then\b|ok,? )", re.I)
# a dimension word that is also a metric ("客户", "customers"): a dimension after these
_DIM_AMBIGUOUS = {"customers", "customer"}
# words that name both what to rank and the metric ("top 5 spenders": customers by GMV)
_DIM_AND_METRIC = {"spender", "spenders", "big spenders", "花钱最多的客户", "大金主", "金主"}
# new / returning / guest buyers as a filter on the other metric ("新客贡献的销售额")
_CUSTOMER_TYPES = {"new_customers": "new", "returning_customers": "returning"}
# a guest phrase with the words it carries ("游客订单", "guest shoppers"): they name who bought,
# not the metric, when the question names another one
_GUEST = re.compile(r"(?:游客|访客|匿名)(?:客户|顾客|买家|用户)?(?:的)?(?:订单)?|没(?:有)?(?:登记|留|填|留下)?(?:过)?客户(?:编)?号的?(?:散单|订单|单子)?|"
                    r"无客户编?号的?(?:散单|订单)?|散单|散客|"
                    r"\bguests?(?: (?:shoppers|customers|buyers|users|orders|checkouts?))?\b|"
                    r"no customer id|without a customer(?: id)?", re.I)
_CUSTOMER_ID = re.compile(r"(?:\bcustomer|\bbuyer|\bclient|\baccount|客户|顾客|买家)\s*(?:id|no\.?|number|"
                          r"#|号|编号|ID)?\s*[:：#]?\s*(\d{4,})(?![\d,.])(?!\s*[年月日号])"
                          # "12415这个客户", "12415号客户"
                          r"|(?<![\d.])(\d{4,})\s*(?:这一?个|这一?位|那一?个|那一?位|号)\s*[\u4e00-\u9fff]{0,6}?"
                          r"(?:客户|顾客|买家)", re.I)
# several customers by id: "18102、13694、13089 这三个客户", "customers 18102, 13694 and 13089"
_CUSTOMER_LIST = re.compile(
    r"((?:\d{4,}\s*(?:、|,|，|和|与|跟|及)\s*)+\d{4,})\s*(?:这|那)?(?:两|俩|三|四|五|几)?个?位?(?:客户|顾客|买家)"
    r"|\b(?:customers|accounts|clients|buyers)\s+((?:\d{4,}\s*(?:,|and|or|&)\s*)+\d{4,})", re.I)
# what orders are worth, not how many: "新客户的首单加起来一共多少钱", "first orders add up to"
_ORDERS_WORTH = re.compile(r"(?:首单|订单|单子)[^，,。？?]{0,10}(?:多少钱|多少金额|金额是?多少)"
                           r"|(?:订单|单子)[^。？?]{0,16}?(?:一共|总共|合计|加起来)是?多少钱"
                           r"|\borders?\b[^?.]{0,50}\b(?:add(?:ed)? up to|come to|came to|worth)\b",
                           re.I)
# the whole of a share is everything on record: "到现在为止所有订单里", "all our orders to date"
_ALL_TIME_WHOLE = re.compile(r"到现在为止|至今为止|迄今|历来|有史以来|一直以来|\bto date\b|\bever\b|"
                             r"\bof all time\b|\ball[- ]time\b", re.I)
# "哪三位", "which three placed …": people, the customers
_WHICH_PEOPLE = re.compile(r"哪\s*[一二三四五六七八九十两\d]+\s*位|\bwhich (?:\w+ )?(?:placed|spent|ordered|"
                           r"bought)\b", re.I)
# "who's placed more orders this year, 17949 or 17511": two customers by number
_WHO_OF_IDS = re.compile(r"\bwho(?:'s|'d| has| had| did| was| is)?\b[^?]{0,60}?(?<![\d.])(\d{4,})\s*"
                         r"(?:,\s*)?(?:or|vs\.?|versus)\s*(\d{4,})(?![\d.])"
                         r"|(?<![\d.])(\d{4,})\s*(?:和|与|跟|还是)\s*(\d{4,})(?![\d.])[^，,。？?]{0,12}?谁",
                         re.I)
# "今年的新用户里，英国以外的占多少", "of this year's new customers, what fraction …": the
# customers of the type are the whole, a share of the same count
_AMONG_TYPE = re.compile(r"(?:新|老)(?:客|客户|用户|顾客|买家)(?:里|中|当中|之中|里面)|\b(?:of|among) "
                         r"(?:all )?(?:(?:this|last) (?:year|month|quarter|week)'s |the |our )?"
                         r"(?:new|returning) (?:customers|buyers|shoppers|users)\b", re.I)
# "which Monday in November", "哪个礼拜一": one of the days, ranked
_WHICH_DAY = re.compile(r"\b(?:which|what) (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
                        r"|哪(?:个|一个|几个|一|天)?(?:周|星期|礼拜)[一二三四五六日天]", re.I)
_WERE_TYPE = re.compile(r"\b(?:were|are|was|is) (new|returning)\b", re.I)
# what the metric layer cannot express: negation and set logic over customers or products
# ("哪些客户去年买过今年没买？", "products never sold in November"); answering the metric the
# words also name would be a confident wrong answer
_BEYOND = re.compile(r"没买|没有买|没下单|没有下单|未下单|未购买|没卖|没有卖|未售出|卖不出|从未|从没|不再|"
                     r"没有?再(?:下|买|来|购|回购|复购|光顾)|没有?(?:下过|买过)|[一1][单次件笔](?:都|也)没|"
                     r"再也没|未再|"
                     r"流失|\bnever\b|\bdidn'?t\b|\bdid not\b|\bhaven'?t\b|\bhave not\b|"
                     r"\bhasn'?t\b|\bno longer\b|\bstopped (?:buying|ordering|selling)|"
                     r"\bchurn", re.I)
# "are we losing customers?": a trend the metrics measure several ways, asked back; "which
# customers did we lose" stays beyond them
_CHURN = re.compile(r"流失|\bchurn(?:ing|ed)?\b|\blos(?:e|ing|t)\b(?=.{0,40}\b(?:customers|buyers|"
                    r"shoppers|clients)\b)|\b(?:customers|buyers|shoppers|clients)\b.{0,40}\blos(?:e|ing|t)\b"
                    r"|(?:客户|顾客|买家)(?:在|是不是在|越来越)?(?:减少|变少)", re.I)
# "老外", "abroad": outside the store's home country; "国内", "domestic": inside it
_ABROAD = re.compile(r"老外|海外|国外|境外|外国|\babroad\b|\boverseas\b|\binternational(?:ly)?\b"
                     r"(?! women'?s day)(?! children'?s day)|"
                     r"\bforeign\b|\boutside (?:the )?home (?:country|market)\b", re.I)
_DOMESTIC = re.compile(r"国内|本土|本国|\bdomestic(?:ally)?\b|\bhome (?:country|market)\b", re.I)
# an English product phrase in lower case ("a lunch bag", "the hanging heart t-light holder"):
# words of two or more, the longest run that a product's name holds
_PHRASE_WORD = re.compile(r"[a-z0-9][a-z0-9'\-]*", re.I)
# a product pointed at but not named: "心形挂灯烛台那款", "这个商品", "that item"
_THAT_PRODUCT = re.compile(r"(?:那|这)(?:一)?(?:款|个商品|个产品|件商品|个单品|个宝贝)|"
                           r"\b(?:that|this) (?:product|item|one)\b(?! (?:of|in|by)\b)", re.I)
_NUMBER_WORDS = {"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                 "eleven", "twelve", "fifteen", "twenty", "fifty", "hundred", "dozen"}
_NOT_NAME_WORDS = {
    "the", "a", "an", "of", "in", "on", "for", "to", "and", "or", "by", "with", "from", "at",
    "how", "many", "much", "what", "which", "who", "did", "do", "does", "we", "our", "us", "you",
    "was", "were", "is", "are", "be", "been", "has", "have", "had", "that", "this", "these",
    "those", "it", "its", "their", "they", "me", "my", "i", "so", "far", "last", "next",
    "month", "months", "year", "years", "week", "weeks", "day", "days", "today", "yesterday",
    "quarter", "sales", "sell", "sold", "orders", "order", "units", "unit", "customers", "revenue",
    "share", "total", "number", "all", "any", "some", "every", "each", "per", "than", "more",
    "less", "top", "bottom", "best", "worst", "most", "least", "vs", "versus", "compared",
    "include", "included", "includes", "including", "contain", "contained", "contains",
    "containing", "bought", "buy", "item", "items", "product", "products", "something",
    "anything", "thing", "things", "line", "lines", "range", "named", "called", "got", "get",
    "moved", "selling", "best-selling", "top-selling", "popular", *_NUMBER_WORDS}
# what comes before a product named in lower case: a determiner or a buying word ("did we
# pick up …" is a verb, "included a lunch bag" a product)
_PRODUCT_CUE_BEFORE = re.compile(
    r"\b(?:a|an|the|any|some|our|that|this|these|those|of|with|containing|contain|contains|many|"
    r"were|was|are|is|"
    r"including|included|includes|bought|buy|buying|sold|sell|selling|on|for)\s+$", re.I)
# the orders (or sales, customers) as where the countries are counted: "October's orders came
# from how many different countries?", "10月的订单来自多少个国家"
_CAME_FROM = re.compile(r"\b(?:came|come|coming|were|was)\s+from\s+how many\b|\bdid\b[^?]{0,40}"
                        r"\b(?:orders?|sales|customers)\s+come\s+from\b|来自(?:多少|几)个?国家", re.I)
# "top 3 new customers": the ranking right before the people ranked
_RANKED_BEFORE = re.compile(r"\b(?:top|bottom)\s+(?:\d+|one|two|three|four|five|ten)\s+$", re.I)
# "our top 3 jumbo bag buyers": the product said before the people who buy it
_BUYERS_AFTER = re.compile(r"\s+(?:buyers|customers|shoppers|purchasers)\b", re.I)
# a definite single product ("the …", "that …", "这款/那款"): several matches are asked back
_ONE_PRODUCT_BEFORE = re.compile(r"\b(?:the|that|this)\s+$", re.I)
_WHO = re.compile(r"哪些|哪几|哪个|哪位|名单|\bwhich\b|\bwho\b|\blist\b", re.I)
# lapsed customers: "which customers haven't ordered in the last 90 days", "10月买过但11月没再买的
#客户有多少", "customers who ordered in Q1 but not in Q2"
_NOT_ORDERED = re.compile(
    r"没有?再?来?(?:下单|下过单|下过|买|购买|回购|复购|光顾|消费|来过|来)|未再?(?:下单|购买|消费)|"
    r"没有?再(?:下|买|来|购)|[一1][单次件笔](?:都|也)?没|却?没(?:有)?(?:下|买|购)|不再(?:下单|购买|买|来)|再也没|"
    r"\b(?:placed|ordered|bought|purchased) nothing\b|\b(?:placed|made) no (?:orders?|purchases?)\b|"
    r"\bnever (?:came back|come back|returned|been back|(?:ordered|bought|shopped) (?:again|since))\b|"
    r"\b(?:haven'?t|hasn'?t|hadn'?t|have not|has not|had not|didn'?t|did not|not)\b(?: \w+){0,2}? (?:ordered|order|"
    r"bought|buy|purchased|purchase|shopped|shop|been back|come back|returned|placed)\b|"
    r"\bbut not (?:in|during|since)\b|\bno orders? (?:in|during|since)\b|\bgone quiet\b|"
    r"\blapsed\b|\bchurned\b|"
    r"\bstopped (?:buying|ordering|shopping)\b", re.I)
_LAPSED_WHO = re.compile(r"客户|顾客|买家|客人|老客|熟客|回头客|用户|会员|谁|\b(?:customers?|buyers?|"
                         r"shoppers?|regulars|clients?|who|anyone|people)\b", re.I)
# "never ordered", "after their first order": no lapse from a period (one-time buyers …)
_NEVER = re.compile(r"(?:从未|从没|从来没)(?!再)|\bnever\b(?! (?:came|come|returned|been|ordered again|"
                    r"bought again|shopped again|ordered since|bought since))|\bever\b|\bfirst\b|"
                    r"第一|首|只(?:买|下|来|购买)(?:过|了)?一(?:次|单|回)|\bonly (?:ordered|bought|"
                    r"shopped) once\b|\bone-?(?:time|off)\b", re.I)
# "3月下过单的客户，后来再也没来过": no order after the period said
_AFTERWARDS = re.compile(r"后来|之后|以后|此后|再也|\bagain\b|\bcame back\b|\bcome back\b|"
                         r"\breturned\b|\bbeen back\b|\bsince then\b|\bafter(?:wards| that)?\b", re.I)
# "老客", "new customers": a type of customer the lapse would ignore
_CUSTOMER_TYPE = re.compile(r"新客|老客(?!户)|回头客|熟客|\b(?:new|returning|repeat|regular) "
                            r"(?:customers?|buyers?|shoppers?|clients?)\b", re.I)
_PRODUCT_SAID = re.compile(r"商品|产品|货|款|\b(?:products?|items?|skus?|stock ?codes?|lines?)\b", re.I)
# "三个月没下单", "for 3 months": the window up to today, when no period says it
_LAPSED_FOR = re.compile(
    r"(\d+|[一二两三四五六七八九十]+|半)\s*个?\s*(天|周|星期|礼拜|月|年)(?:多|以上|之久)?了?(?:都|也|还)?(?=没|未|不再)"
    r"|\b(?:for|in) (?:over |more than |the (?:last|past) )?(\d+|a|an|one|two|three|four|five|six|"
    r"nine|twelve) (day|week|month|year)s?\b", re.I)
_LAPSED_UNITS = {"天": "day", "周": "week", "星期": "week", "礼拜": "week", "月": "month",
                 "年": "year", "day": "day", "week": "week", "month": "month", "year": "year"}
LAPSED_WINDOWS = tuple((f"no order in the last {n} days", f"最近{n}天没下单") for n in (30, 90, 180))
CHURN_CHOICES = ("customers", "returning_customers", "repeat_purchase_rate")
# "How's Germany doing?": a question about how something goes, with no metric named
_HOW_DOING = re.compile(r"\bhow(?:'s| is| are| was| were| has| have)\b.{0,40}?\b(?:doing|going|"
                        r"performing|performed|faring|trending)\b", re.I)
# phrases that name no single metric: asked back with the metrics they could mean
AMBIGUOUS_METRICS: dict[str, tuple[str, ...]] = {
    "平均一单多大": ("aov", "units_per_order"), "一单多大": ("aov", "units_per_order"),
    "订单大小": ("aov", "units_per_order"), "order size": ("aov", "units_per_order"),
    "average order size": ("aov", "units_per_order"), "big is an order": ("aov", "units_per_order"),
    "performance": METRIC_CHOICES, "表现": METRIC_CHOICES, "业绩": ("gmv", "net_revenue"),
    "怎么样": METRIC_CHOICES, "如何": METRIC_CHOICES, "情况": METRIC_CHOICES,
    "how are we doing": METRIC_CHOICES, "how did we do": METRIC_CHOICES,
    "how is business": METRIC_CHOICES, "how's business": METRIC_CHOICES,
    "均价": ("aov", "unit_price"), "average price": ("aov", "unit_price"),
    # before or after refunds?
    "收入": ("gmv", "net_revenue"), "income": ("gmv", "net_revenue"),
    # profit after costs, or the money taken?
    "赚多少": ("gross_profit", "net_revenue", "aov"), "赚了多少": ("gross_profit", "net_revenue"),
    "能赚": ("gross_profit", "net_revenue", "aov"), "赚钱": ("gross_profit", "net_revenue"),
    "make per order": ("gross_profit", "aov"), "earn per order": ("gross_profit", "aov"),
    # customers who came back, or who buy again and again?
    "熟客": ("returning_customers", "repeat_customers"),
    "regulars": ("returning_customers", "repeat_customers"),
    "regular customers": ("returning_customers", "repeat_customers"),
    # best sellers by the pieces or by the money?
    "爆款": ("units", "gmv"), "爆品": ("units", "gmv"), "hit products": ("units", "gmv"),
    "hit items": ("units", "gmv"),
}


# days of the week as a filter, not as one day: "on Mondays", "November's Sundays", "Sunday
# trading", "every Friday", "所有星期四", "11月的星期天", "星期一下的单", "周末加起来"
_WEEKDAY_FILTER = re.compile(
    r"(?:所有|每个|每逢|全部|几个|各个|那几个|这几个|哪个|哪一个|哪几个)的?(?:周|星期|礼拜)([一二三四五六日天])"
    r"|(?<=[月年周的份])的?(?:周|星期|礼拜)([一二三四五六日天])(?![一二三四五六日天到至])(?!\s*[(（]?\s*\d)"
    r"|(?<![上这本下])(?:周|星期|礼拜)([一二三四五六日天])(?=(?:加起来|合计|加总|下的?单|下的))"
    r"|(?:所有|每个|每逢|几个)的?(周末)|(?<![上这本下个])(周末)(?=(?:加起来|合计|两天加起来|卖出|卖的|下的?单|成交))"
    r"|(?<=[月年])的?(周末)(?!\s*[(（]?\s*\d)"
    rf"|\b(?:on |all |the |every |each )?({'|'.join(EN_WEEKDAYS)})s\b"
    rf"|\b(?:every|each|all|which|what) ({'|'.join(EN_WEEKDAYS)})\b"
    rf"|\b(?:placed|made|fell|came in|came) on an? ({'|'.join(EN_WEEKDAYS)})\b"  # any one
    rf"|\b({'|'.join(EN_WEEKDAYS)}) (?:trading|sales|takings|business)\b"
    rf"|\b(?:our|the|all) ({'|'.join(EN_WEEKDAYS)}) (?:orders|shoppers|customers|baskets)\b"
    r"|\b(?:on |at |over )?(?:the )?(weekends)\b"
    r"|\b(working days|business days)\b"
    r"|\b(weekend) (?=orders|sales|revenue|trading|takings|business|shoppers|customers|units)"
    # Monday to Friday, with its restatement: "工作日（周一到周五）", "weekdays (Mon-Fri)"
    r"|(?<!最后一个)(?<!第一个)(?<!头一个)(工作日|平日)(?:\s*[(（]\s*(?:周|星期|礼拜)一\s*(?:到|至|-|~)\s*(?:周|星期|礼拜)?五\s*[)）])?"
    r"|(?<!which )(?<!what )(?<!each )(?<!by )(?<!per )\b(?:on )?(weekdays)\b"
    r"(?:\s*\(\s*mon(?:day)?\.?\s*(?:-|–|to|through|thru)\s*fri(?:day)?\.?\s*\))?", re.I)
# each of the days kept, one by one: "sales on each Sunday", "每个礼拜天，各卖了多少"
_EACH_DAY = re.compile(rf"\b(?:each|for every) (?:{'|'.join(EN_WEEKDAYS)})\b(?!s)|\b(?:{'|'.join(EN_WEEKDAYS)})s?"
                       r" (?:one by one|individually|separately)\b|每(?:一)?个(?:周|星期|礼拜)"
                       r"[一二三四五六日天末][^。？?]{0,8}(?:各|分别)", re.I)
# a comparison between two sets of days: "Sundays against weekdays", "周末比工作日", "周六和
# 周日相比"
_COMPARED = re.compile(r"比|对比|相比|较|\bvs\.?|versus|compared?|than|against|\bup on\b|"
                       r"\bahead of\b|\bbehind\b", re.I)
_AND_COMPARED = re.compile(r"\s*(?:和|与|跟|同|\band\b)\s*(?:的)?\s*$", re.I)


# the weekend as a part of a longer period's whole: "上周的营业额里，周末两天占了多少", "what
# share of last week's takings came in over the weekend"
_WEEKEND_PART = re.compile(r"(?<![上这本下个])(周末)(?=两天|那两天|的?(?:占|贡献))|(?<=[里中][，,])(周末)"
                           r"|\b(?:over|at|on|during) the (weekend)\b", re.I)


_EN_DAY_START = {name[:3]: i for name, i in EN_WEEKDAYS.items()}
_DAY_RUN = re.compile(
    r"[(（]\s*(?:周|星期|礼拜)([一二三四五六日天])\s*(?:到|至|-|~|—)\s*(?:周|星期|礼拜)?([一二三四五六日天])\s*[)）]"
    r"|\(\s*(mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?\s*(?:-|–|to|through|thru)\s*"
    r"(mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?\s*\)", re.I)


def _weekday_filter(text: str) -> list[tuple[tuple[str, ...], tuple[int, int]]]:
    """The sets of days of the week a question keeps (as the metrics name them), each with
    where it says so."""
    found = []
    parts = list(_WEEKEND_PART.finditer(text)) if _SHARE.search(text.lower()) else []
    for m in [*_WEEKDAY_FILTER.finditer(text), *parts]:
        if m.re is _WEEKEND_PART and any(a < m.end() and m.start() < b for _, (a, b) in found):
            continue
        said = next(g for g in m.groups() if g)
        if said.lower() in ("周末", "weekends", "weekend"):
            names: tuple[str, ...] = ("Saturday", "Sunday")
        elif said.lower() in ("工作日", "平日", "weekdays", "working days", "business days"):
            names = tuple(WEEKDAYS[:5])
        else:
            names = (WEEKDAYS[ZH_WEEKDAYS[said] if said in ZH_WEEKDAYS
                              else EN_WEEKDAYS[said.lower()]],)
        found.append((names, m.span()))
    # "周中（礼拜二到礼拜四）", "midweek (Tue-Thu)": a run of days of the week, restated in brackets
    for m in _DAY_RUN.finditer(text):
        if any(a < m.end() and m.start() < b for _, (a, b) in found):
            continue
        first, last = (ZH_WEEKDAYS[m[1]], ZH_WEEKDAYS[m[2]]) if m[1] else (
            _EN_DAY_START[m[3][:3].lower()], _EN_DAY_START[m[4][:3].lower()])
        if first < last:
            found.append((tuple(WEEKDAYS[first:last + 1]), m.span()))
    # "上个月礼拜一的客单价，比礼拜五高还是低": the day set against a day of the week is one too
    if found:
        for m in re.finditer(r"(?:比|跟|和|与|对比)\s*((?:周|星期|礼拜)([一二三四五六日天]))"
                             r"(?![一二三四五六日天到至])", text):
            if not any(a < m.end(1) and m.start(1) < b for _, (a, b) in found):
                found.append(((WEEKDAYS[ZH_WEEKDAYS[m[2]]],), m.span(1)))
    # "上个月周六和周日": a day joined to a set of days is one more
    for _, (_, end) in list(found):
        more = re.match(r"\s*(?:和|与|及|、|或)\s*((?:周|星期|礼拜)([一二三四五六日天]))", text[end:])
        if more and not any(a == end + more.start(1) for _, (a, _) in found):
            found.append(((WEEKDAYS[ZH_WEEKDAYS[more[2]]],), (end + more.start(1), end + more.end())))
    return sorted(found, key=lambda f: f[1])


def _weekdays_compared(text: str, found: list[tuple[tuple[str, ...], tuple[int, int]]]
                       ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The days kept, and the days they are compared with when two sets are set against each
    other ("Sundays against weekdays"); else all days said, and none to compare with."""
    if len(found) == 2 and found[0][0] != found[1][0]:
        between, after = text[found[0][1][1]:found[1][1][0]], text[found[1][1][1]:]
        if _COMPARED.search(between) or (_AND_COMPARED.search(between) and re.match(
                r"\s*(?:的\S{0,6})?(?:相比|比|对比|比较)|\s*(?:compared|side by side)", after)):
            return found[0][0], found[1][0]
    return tuple(dict.fromkeys(d for names, _ in found for d in names)), ()


# one order by its number: "536365那一单", "订单536365", "单号 536365", "order #536365"
# (a number of five digits or more, or any code with a digit after a number's cue: "#1001",
# "单号 TB2024")
_ONE_ORDER = re.compile(
    r"(\d{5,})\s*(?:那|这)(?:一|1)?(?:单|笔)"
    r"|(?:订单|单号|订单号|发票号?)\s*[:：]?\s*(\d{5,})(?![\d年月日号])"
    r"|(?:订单号|单号|订单\s*#|发票号)\s*[:：]?\s*([A-Za-z0-9][\w-]*\d[\w-]*)"
    r"|\b(?:order|invoice)s? (?:no\.? ?|number |#)([A-Za-z0-9][\w-]*\d[\w-]*)"
    r"|\b(?:order|invoice) (\d{5,}|(?![QqHhWw]\d\b)[A-Za-z]{1,4}-?\d[\w-]*)\b", re.I)
# "金额在100到500镑之间的单子", "orders between £100 and £500": a band of values
_BAND_SAID = re.compile(
    r"(?:在|介于)?\s*([£$€¥])?\s*(\d[\d,.]*)\s*(镑|英镑|元|块|件|单|次)?\s*(?:到|至|-|~|和)\s*[£$€¥]?\s*"
    r"(\d[\d,.]*)\s*(镑|英镑|元|块|件|单|次)?\s*(?:之间|以内)|\bbetween ([£$€¥])?\s?(\d[\d,.]*)\s*"
    r"(units?|items|pieces|orders?|pounds|dollars|euros)?(?:\s*(?:and|-|to)\s*)[£$€¥]?\s?(\d[\d,.]*)"
    r"\s*(units?|items|pieces|orders?|pounds|dollars|euros)?", re.I)
_BAND_NOUNS = re.compile(r"商品|产品|货号|客户|顾客|买家|国家|订单|单子|\b(?:products|items|skus|"
                         r"customers|buyers|shoppers|accounts|countries|markets|orders|invoices|"
                         r"baskets|transactions)\b", re.I)


_DATES = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|\d{4}\s*年"
                    r"(?:\s*\d{1,2}\s*月)?(?:\s*\d{1,2}\s*[日号])?|\d{1,2}\s*月(?:\s*\d{1,2}\s*[日号])?|"
                    r"\d{1,2}\s*[日号]")


def _band_said(text: str) -> re.Match[str] | None:
    """The band of values in ``text``, its dates ("2011-05-01 到 2011-05-15") and two years
    with no unit ("between 2010 and 2011") no band."""
    band = _BAND_SAID.search(_DATES.sub(lambda d: " " * len(d[0]), text))
    if band and not any(band[i] for i in (1, 3, 5, 6, 8, 10)) and all(
            re.fullmatch(r"(?:19|20)\d\d", n or "") for n in (band[2] or band[7], band[4] or band[9])):
        return None
    return band


def _band(text: str, metrics: list[str]) -> tuple[str, str, float, str, float] | None:
    """(dimension, ">=", low, share of, high) where a question counts the groups whose value
    lies in a band, both ends included ("上个月金额在100到500镑之间的单子有多少张", "how many
    orders last month were between £100 and £500"); the unit said picks the metric."""
    band = _band_said(text)
    if not band:
        return None
    zh = band[2] is not None
    low_said, high_said = (band[2], band[4]) if zh else (band[7], band[9])
    unit = ((band[1] or band[3] or band[5] or "") if zh
            else (band[6] or band[8] or band[10] or "")).lower()
    after = _BAND_NOUNS.match(re.sub(r"^的", "", text[band.end():].lstrip()))
    before = list(_BAND_NOUNS.finditer(text[:band.start()]))
    noun = after or (before[-1] if before else None)
    if noun is not None:
        dim = _OVER_DIMS[noun[0].lower()]
    elif re.search(r"(?:几|多少)(?:单|张)", text[band.end():] + " " + text[:band.start()]):
        dim = "order"  # "之间的有几单", "有多少单在100到500镑之间"
    else:
        return None
    try:
        low, high = (float(n.replace(",", "")) for n in (low_said, high_said))
    except ValueError:
        return None
    if low > high:
        low, high = high, low
    measured = _OVER_UNITS.get(unit, "")
    if dim == "order":
        metrics[:] = [m for m in metrics if m != "orders"]
    if measured and not (dim == "order" and measured == "orders"):
        metrics[:] = [measured, *(m for m in metrics if m != measured)]
    elif not [m for m in metrics if m not in _GROUP_COUNTS]:
        metrics[:] = ["gmv"]  # "金额在100到500之间的订单": their value
    return dim, ">=", low, "groups", high


# customers of one period who also ordered in another (with customers said, and no filter)
_ALSO_IN = re.compile(r"也(?:下过|下了|买过|买了|来过|购买过|有下单|下单)|\b(?:had|have|has) also "
                      r"(?:ordered|bought|purchased|shopped)\b|\balso (?:ordered|bought|"
                      r"purchased|shopped) (?:in|during|back in)\b|"
                      # "下半年还回来下单的", "have come back and ordered again since July"
                      r"还(?:回来|来|会)?(?:下单|下过单|买|购买|光顾)|回来(?:下单|买|购买)|再次(?:下单|购买)|"
                      r"\b(?:came|come) back\b|\b(?:ordered|bought|shopped|purchased) again\b|"
                      r"\breturned (?:to (?:order|buy|shop)|and (?:ordered|bought))", re.I)
_CUSTOMERS_SAID = re.compile(r"客户|顾客|买家|客人|\b(?:customers|buyers|shoppers|clients)\b",
                             re.I)

# what the metrics cannot express yet: said plainly instead of answering something else
_UNSUPPORTED: list[tuple[re.Pattern[str], str, str]] = [
    # "customers who bought in both October and November", "两个月都下过单的客户"
    (re.compile(r"\bin both\b|\bboth (?:months|weeks|quarters|years|periods)\b|\bboth [^?,]{0,30}"
                r"\band\b[^?,]{0,30}\b(?:bought|ordered|purchased|shopped)\b|(?:两个月|两周|两个?季度|"
                r"两年|两次活动|每个月)都(?:有)?(?:下过?单|买过?|购买|消费)|既[^，,。？?]{1,12}又|"
                r"(?:和|与|跟|、)[^，,。？?]{0,10}都(?:有)?(?:下过单|下了单|买过|购买过|消费过|来过)|"
                # "11月的客户里，10月也下过单的", "November's customers who had also ordered in October"
                r"也(?:下过|下了|买过|来过|购买过)|\b(?:had|have|has) also (?:ordered|bought|"
                r"purchased|shopped)\b|\balso (?:ordered|bought|purchased|shopped) (?:in|during|"
                r"back in)\b", re.I),
     "it asks for the customers or products found in two periods at once, which the metrics "
     "cannot intersect yet; ask for each period on its own",
     "问题要找同时出现在两段时间里的客户或商品，目前的指标还不能取交集；请分别问每段时间"),
    # "退货率最高的国家（订单数至少100）": a ranking kept to the groups past a minimum
    (re.compile(r"最(?:高|低|多|少|好|差)[^，,。？?]{0,16}[(（,，]\s*(?:订单|销量|销售额|件数|单量)"
                r"[^)）]{0,6}(?:至少|不少于|超过|大于|以上)|\b(?:highest|lowest|best|worst|top|"
                r"bottom)\b[^?]{0,50}\b(?:with|having) (?:at least|more than|over|a minimum of) "
                r"[£$€¥]?[\d,]+ (?:orders|units|sales|customers)\b", re.I),
     "it ranks only the groups past a minimum (at least so many orders), which the rankings "
     "cannot apply yet; ask for the ranking alone, or count the groups past the minimum",
     "问题只在达到某个门槛（如订单数至少多少）的组里排名，目前的排名还不能加这个条件；请单独问排名，或先数达标的组"),
    # a band of values whose groups are not said ("sales between £100 and £500 last month"):
    # counted when they are (see _band)
    (_BAND_SAID,
     "it counts the groups inside a band of values, which the thresholds cannot do yet; ask "
     "for the groups over the lower value and over the upper value",
     "问题要数落在某个区间里的组，目前的门槛还不能设区间；请分别问超过下限和超过上限的数量"),
]

# "for each of the last 4 full weeks", "each of the past three months": one row per unit
_EACH_OF = re.compile(r"\beach of (?:the |our )?(?:last|past|previous|first|final) (?:\w+ ){0,2}?"
                      r"(days|weeks|months|quarters)\b", re.I)

# "涨得最多的三个国家", "which countries grew sales the most": a ranking by the change between
# two periods (without a metric, which measure changed is asked first)
_RANK_BY_CHANGE = (
    re.compile(r"(?:涨|增长|增加|提升|上涨|下降|下滑|跌|掉|减少)(?:得|了)?(?:最多|最快|最猛|最厉害|幅度最大)"
               r"|(?:多卖|多出|少卖)了?最多"
               r"|(?:增幅|涨幅|跌幅|降幅)最(?:大|小)|\b(?:grew|grown|rose|risen|increased|fell|"
               r"dropped|declined|gained|lost|added)\b[^?]{0,30}\bthe most\b|\b(?:biggest|largest|"
               r"fastest|steepest) (?:growth|increase|rise|gain|gains|drop|fall|decline)\b", re.I),
    "it ranks by how much something changed between two periods, but names no group to rank "
    "(products, customers, countries); ask for those",
    "问题按两段时间之间的变化排名，但没有说排什么（商品、客户、国家）；请说明要排的对象")
# the change ranked is a fall (most negative first), or in per cent
_CHANGE_FELL = re.compile(r"下降|下滑|跌|掉|减少|少卖|\b(?:fell|fallen|dropped|declined|lost|drop|"
                          r"fall|decline|decrease|decreased)\b", re.I)
_CHANGE_PCT = re.compile(r"增幅|涨幅|跌幅|降幅|幅度|百分比|百分之|最快|%|\bper ?cent|"
                         r"\bpercentage\b|\bfastest\b|\bgrowth rate\b|\brelative\b", re.I)

# "销量超过1000件的商品有几个", "how many customers spent more than 500": count the groups past
# a threshold
_OVER_WORDS = {"超过": ">", "多于": ">", "大于": ">", "高于": ">", "不少于": ">=", "至少": ">=",
               "低于": "<", "少于": "<", "不到": "<", "more than": ">", "over": ">",
               "above": ">", "at least": ">=", "fewer than": "<", "less than": "<",
               "under": "<", "below": "<"}
_OVER_UNITS = {"件": "units", "单": "orders", "次": "orders", "元": "gmv", "块": "gmv", "镑": "gmv",
               "英镑": "gmv",
               "units": "units", "unit": "units", "items": "units", "pieces": "units",
               "orders": "orders", "order": "orders", "pounds": "gmv", "£": "gmv", "$": "gmv",
               "€": "gmv", "¥": "gmv", "dollars": "gmv", "euros": "gmv", "yuan": "gmv"}
_OVER_DIMS = {"商品": "sku", "产品": "sku", "货号": "sku", "客户": "customer", "顾客": "customer",
              "买家": "customer", "国家": "country", "products": "sku", "items": "sku",
              "skus": "sku", "stock codes": "sku", "stockcodes": "sku", "lines": "sku",
              "customers": "customer", "buyers": "customer", "shoppers": "customer",
              "countries": "country", "markets": "country", "accounts": "customer", "订单": "order", "单子": "order", "小单": "order", "大单": "order",
              "orders": "order", "invoices": "order", "baskets": "order", "transactions": "order"}
# customers who ordered once in the period: "只下了一单", "placed just one order"
_ONE_ORDER_ONLY = re.compile(r"(?:只|仅|就)(?:下了?|下过|买了?|买过|来过|来了)(?:一|1)(?:单|次)"
                             r"|\b(?:just|only|exactly) (?:one|1|a single) (?:order|purchase)\b"
                             r"|\bordered (?:just |only )?once\b"
                             r"|\bone-(?:time|off) (?:buyers|customers|shoppers)\b",
                             re.I)
# after the groups: how many (有几个), or what part of the whole (贡献了百分之多少的销售额, 占多少)
_OVER_ZH_TAIL = r"(?:(?:有|是|一共有|共有)?(?:几|多少)|[^，,。？?]{0,6}?(贡献|占))"
_OVER_ZH = re.compile(
    r"(超过|多于|大于|不少于|至少|高于|低于|少于|不到)\s*([\d,，.]+)\s*(英镑|件|单|次|元|镑)?的"
    r"(商品|产品|货号|客户|顾客|买家|国家|订单|单子|小单|大单)" + _OVER_ZH_TAIL)
_OVER_ZH_AFTER = re.compile(
    r"([\d,，.]+)\s*(英镑|件|元|镑|单|次)?(?:及|或|和)?(以上|以下)的(商品|产品|货号|客户|顾客|买家|国家|订单|单子|小单|大单)"
    + _OVER_ZH_TAIL)
# the groups said first: "上个月的订单里，一单超过800件的占多少", "客户中消费超过5000镑的有几个"
_OVER_ZH_AMONG = re.compile(
    r"(商品|产品|货号|客户|顾客|买家|国家|订单|单子)(?:里|中|当中|里面|之中)[，,]?\s*(?:一单|每单|单笔|一张)?"
    r"[^，,。？?\d]{0,4}?(超过|多于|大于|不少于|至少|高于|低于|少于|不到)\s*([\d,，.]+)\s*(英镑|件|单|次|元|镑)?"
    r"的?" + _OVER_ZH_TAIL)
_OVER_EN = re.compile(
    r"\bhow many (?:[A-Z][a-z]+ |guest |new |returning )?(products|items|skus|stock ?codes|lines|customers|buyers|shoppers|countries|"
    r"markets|orders|invoices|baskets|transactions)\b([^?]{0,50}?)\b(more than|over|at least|"
    r"above|fewer than|less than|under|below)"
    r"\s*([£$€¥])?\s*([\d,.]+k?)\s*(units?|items|pieces|orders?|pounds|dollars|euros|yuan)?", re.I)
_OVER_EN_NOUNS = (r"(orders|invoices|baskets|transactions|customers|buyers|shoppers|accounts|"
                  r"products|items|skus|countries|markets)")
_OVER_EN_PAST = (r"\b([^?]{0,30}?)\b(more than|over|at least|above|fewer than|less than|under|below)"
                 r"\s*([£$€¥])?\s*([\d,.]+k?)\s*(units?|items|pieces|orders?|pounds|dollars|euros|yuan)?")
# "what % of last month's sales came from orders over £1,500": the groups' part of the metric
_OVER_SHARE_EN = re.compile(
    r"(?:%|\b(?:percent(?:age)?|share|proportion|fraction|part|how much|portion)) of (?:the )?"
    r"(?:[\w']+ ){0,3}?(?:sales|revenue|gmv|turnover|takings|units|pieces|pcs|refunds)\b"
    r"(?: \w+){0,2}? (?:came|come|comes|was|were|is|are|went|made up by|from) (?:from |through |on |"
    r"in |by )?(?:the )?" + _OVER_EN_NOUNS + _OVER_EN_PAST, re.I)
# "how many customers placed 3+ orders": at least that many
_OVER_PLUS_EN = re.compile(r"\bhow many " + _OVER_EN_NOUNS + r"\b([^?]{0,50}?)\b(\d+)\s*\+\s*"
                           r"(orders?|units?|items|pieces|purchases)\b", re.I)
# "what share of orders were over £1,500": a share of the groups
_OVER_SHARE_GROUPS_EN = re.compile(
    r"(?:%|\b(?:percent(?:age)?|share|proportion|fraction)) of (?:the )?(?:[\w']+ ){0,3}?"
    + _OVER_EN_NOUNS + _OVER_EN_PAST, re.I)
# customers past a number of orders, whatever else is measured of them: "上个月下了不止一单的
#那批客户", "customers who ordered more than once that month"
_ORDERED_MORE_THAN = re.compile(
    r"(?:(?:下了?|买了?|下过|买过)(?:不止|超过|多于)|(?:不止|超过|多于)(?:下了?|买了?|下过|买过))\s*"
    r"([一二两三四五六七八九十\d]+)\s*(?:单|次)的(?:那批|那些|这批|这些)?(?:客户|顾客|买家|客人)"
    r"|\b(?:customers|buyers|shoppers|accounts) (?:who )?(?:ordered|bought|purchased|came back|shopped)"
    r" more than (once|twice|\w+ times|\d+ times)\b", re.I)
# customers with at least a number of orders, whatever else is measured of them: "Q3至少下过3单的
# 客户", "customers with at least 3 orders"
_ORDERED_AT_LEAST = re.compile(
    r"(?:至少|不少于|起码)(?:下了?|买了?|下过|买过)?\s*([一二两三四五六七八九十\d]+)\s*(?:单|次)(?:及以上)?的"
    r"(?:那批|那些|这批|这些)?(?:客户|顾客|买家|客人)"
    r"|\b(?:customers|buyers|shoppers|accounts) (?:with|having|who (?:placed|made|had)) at least "
    r"(\w+) (?:orders|purchases)\b"
    # "下单5次及以上的", "ordered 5 times or more", "placed 5 or more orders"
    r"|(?:下单|下了?|买了?|下过|买过)\s*([一二两三四五六七八九十\d]+)\s*(?:单|次)(?:及|或)(?:以上|更多)"
    r"|\b(?:ordered|bought|purchased|shopped) (\w+) times or more\b"
    r"|\b(?:placed|made|had) (\w+) or more (?:orders|purchases)\b", re.I)
# days past a daily value: "三季度有几天单日销售额破了5万镑", "how many days in Q3 had sales over £50k"
_DAYS_OVER = re.compile(
    r"(?:几|多少)天[^，,。？?\d]{0,10}?(超过|多于|大于|不少于|至少|高于|低于|少于|不到|破了?|过了?)\s*"
    r"([\d,，.]+)\s*(万)?\s*(英镑|件|单|元|镑|块)?"
    r"|\bhow many (?:days|dates)\b[^?]{0,50}?\b(more than|over|at least|above|fewer than|less than|"
    r"under|below|topped|exceeded|beat)\s*([£$€¥])?\s*([\d,.]+k?)\s*(units?|items|pieces|orders?|pounds)?",
    re.I)
_DAYS_OVER_WORDS = {"破": ">", "破了": ">", "过": ">", "过了": ">", "topped": ">", "exceeded": ">",
                    "beat": ">"}
# "10月份一共有几天开了张", "how many days in October did we make a sale": the days with orders
_DAYS_TRADED = re.compile(
    r"(?:有|一共有|共有|总共有)?(?:几|多少)天(?:是)?(?:开了?张|开单|出了?单|有(?:销售|订单|单子?|成交|生意|进账)|"
    r"卖(?:出)?了?(?:东西|货)|有人(?:下单|买))"
    r"|(?:开了?张|有(?:销售|订单|成交)|出了?单)的(?:天数|日子)(?:有|是|一共)?(?:几|多少)"
    r"|\bhow many (?:(?:trading|selling) )?(?:days|dates)\b[^?]{0,40}?\b(?:(?:make|made|had|have|get|"
    r"got|record(?:ed)?|ring up|rang up|take|took|see|saw) (?:a |any |at least one )?(?:sales?|orders?)|"
    r"(?:sell|sold) anything|trad(?:e|ed)|(?:with|had) (?:a |any |at least one )?(?:sales?|orders?))\b"
    r"|\bhow many (?:trading|selling) days\b", re.I)
# the metrics that count the groups themselves, no part of a total ("orders over £500")
_GROUP_COUNTS = {"orders", "customers", "products_sold", "countries"}
# orders past a value, something else measured of them: "total sales from orders over £1,000",
# "Last month's orders over £1,500: units per order", "金额1500镑以上的大单，平均每单多少件"
_ORDERS_PAST = re.compile(
    r"\b(?:orders|invoices|baskets|transactions) (?:(?:worth|valued at|with a value of|totall?ing|of) )?"
    r"(more than|over|above|at least|fewer than|less than|under|below)\s*([£$€¥])?\s*([\d,.]+k?)\s*"
    r"(units?|items|pieces|pounds|dollars|euros|yuan)?"
    r"|(?:金额|价值|总额|总价)?\s*(?<!单价)(超过|多于|大于|不少于|至少|高于|低于|少于|不到)?\s*([\d,，.]+)\s*"
    r"(英镑|件|元|镑|块)?\s*(以上|以下|及以上)?的(?:大单|小单|订单|单子)", re.I)


# new (returning) customers' every order, not only the orders that are new (returning) ones
_EVERY_ORDER_OF_TYPE = re.compile(
    r"不光首单|不只(?:是)?首单|不止首单|不仅(?:是)?首单|(?:所有|全部|每一?)(?:的)?(?:订单|单)都算|的单都算|"
    r"\bnot (?:just|only) (?:the|their) first\b|\ball (?:of )?their (?:\w+ )?orders\b|"
    r"\bevery (?:one of their|order they)\b", re.I)
# measures of orders and money counted to each customer's type, every order of theirs
_PER_CUSTOMER_TYPED = {"gmv": "customer_gmv", "orders": "customer_order_count",
                       "units": "customer_units"}


# "how many" said of products named: pieces of them
_HOW_MANY_OF = re.compile(r"\bhow many\b|有几个|有多少个|几个|多少个|几件|多少件", re.I)


def _orders_past(text: str) -> re.Match | None:
    """The orders past a bound ("orders over £1,000", "1500镑以上的大单"), where a bound is said."""
    m = _ORDERS_PAST.search(text)
    return m if m and (m[1] or m[5] or m[8]) else None


def averaged_over(metric: str, count: str) -> bool:
    """Whether the metric is an average over ``count`` (units per order, AOV over "orders";
    orders per customer over "customers"): its value over some orders (customers) is the mean
    of each one's own value."""
    # per customer, the customers are counted the repeat-rate way (``ordering_customers``);
    # the repeat rate is a share of them, no average of their own values
    return bool(re.fullmatch(rf"(?!repeat_customers ).+ / nullif\((?:ordering_)?{count}, 0\)",
                             METRICS[metric].formula or ""))


def _threshold(text: str, metrics: list[str], said: list[tuple[int, str, str]]
               ) -> tuple[str, str, float, str] | None:
    """(dimension, operator, number, share of) where a question counts groups past a
    threshold; the unit said ("件", "units", "£") picks the metric when the words before it
    name none. A share is of the "groups", or of the "metric" when one is named as the whole
    ("贡献了百分之多少的销售额", "% of sales came from orders over £1,500")."""
    if _ONE_ORDER_ONLY.search(text):  # "只下了一单的客户": customers with fewer than two orders
        measured = [x for x in metrics if x in METRICS and x not in _GROUP_COUNTS and (
            METRICS[x].unit == "money" or x == "units")]  # "一共花了多少钱": their sales
        metrics[:] = ["orders", *measured[:1]]
        return "customer", "<", 2.0, "metric" if measured else "groups"
    if m := _ORDERED_MORE_THAN.search(text) or _ORDERED_AT_LEAST.search(text):
        # "下了不止一单的客户", "ordered more than once", "至少下过3单的客户", "customers with at
        # least 3 orders"
        n = next((g for g in m.groups() if g), "1")
        times = {"once": 1, "twice": 2}.get(n.lower()) or (
            zh_number(n) if not n.isascii() else en_number(n) if not n.isdigit() else int(n))
        op = ">" if m.re is _ORDERED_MORE_THAN else ">="
        if m.re is _ORDERED_AT_LEAST and not (m[1] or m[2]) and times == 2:
            return None  # "下过两单及以上的客户": the repeat customers, a metric of its own
        measured = [x for x in metrics if x in METRICS and (  # their sales, their units, or
            METRICS[x].unit == "money" or x == "units" or averaged_over(x, "customers"))]
        if measured or times > 1 or op == ">=":  # more than one order alone: repeat customers
            metrics[:] = ["orders", *measured[:1]]
            return "customer", op, float(times), "metric" if measured else "groups"
    if m := _DAYS_OVER.search(text):
        word, number, unit = (m[1], m[2], m[4] or "") if m[1] else (m[5], m[7], m[6] or m[8] or "")
        op = _OVER_WORDS.get(word.lower()) or _DAYS_OVER_WORDS[word.lower()]
        named = [x for x in metrics if x in METRICS and x not in _GROUP_COUNTS]
        metric = named[0] if named else _OVER_UNITS.get(unit.lower())
        try:
            value = float(number.replace(",", "").replace("，", "").lower().removesuffix("k"))
        except ValueError:
            metric = None
        if metric:
            value *= 1000 if number.lower().endswith("k") else 10000 if m[3] else 1
            metrics[:] = [metric]
            return "day", op, value, "groups"
    if _DAYS_TRADED.search(text):
        metrics[:] = ["orders"]
        return "day", ">", 0.0, "groups"
    share_of = "groups"
    if (m := _OVER_ZH.search(text)) or (m := _OVER_ZH_AFTER.search(text)) or (
            m := _OVER_ZH_AMONG.search(text)):
        if m.re is _OVER_ZH:
            op, number, unit, noun = _OVER_WORDS[m[1]], m[2], m[3] or "", m[4]
        elif m.re is _OVER_ZH_AMONG:
            op, number, unit, noun = _OVER_WORDS[m[2]], m[3], m[4] or "", m[1]
        else:  # "1500镑以上的单子有几张"
            number, unit, noun = m[1], m[2] or "", m[4]
            op = {"以上": ">", "以下": "<"}[m[3]] if not re.search(r"[及或和]以上", m[0]) else ">="
        if m[5] and any(pos >= m.start(5) and metric not in _GROUP_COUNTS
                        for pos, metric, _ in said):
            share_of = "metric"
    elif (m := _OVER_EN.search(text)) or (m := _OVER_SHARE_EN.search(text)) or (
            m := _OVER_SHARE_GROUPS_EN.search(text)):
        noun, op, number = m[1].lower(), _OVER_WORDS[m[3].lower()], m[5]
        unit = (m[4] or m[6] or "").lower()
        if m.re is _OVER_SHARE_EN:
            share_of = "metric"
            metrics[:] = [x for x in metrics if x not in _GROUP_COUNTS] or metrics
    elif m := _OVER_PLUS_EN.search(text):  # "3+ orders"
        noun, op, number, unit = m[1].lower(), ">=", m[3], m[4].lower()
        unit = "orders" if unit.startswith("purchase") else unit
    elif (m := _orders_past(text)) and (measured := [
            x for x in metrics if x in METRICS and x not in _GROUP_COUNTS and (
                summable(x) or averaged_over(x, "orders")) and not any(  # "金额1500镑以上": the bound's words
                    metric == x and m.start() <= pos < m.end() for pos, metric, _ in said)]):
        # the orders past it kept, the metric measured over them: a sum, or a per-order average
        noun, share_of = "orders", "metric"
        if m[1]:
            op, number, unit = _OVER_WORDS[m[1].lower()], m[3], (m[2] or m[4] or "").lower()
        else:
            op = _OVER_WORDS[m[5]] if m[5] else {"以上": ">", "以下": "<", "及以上": ">="}[m[8]]
            number, unit = m[6], m[7] or ""
        metrics[:] = ([] if _OVER_UNITS.get(unit, "gmv") == measured[0] else
                      [_OVER_UNITS.get(unit, "gmv")]) + measured[:1]
    else:
        return None
    try:
        number = number.replace(",", "").replace("，", "")
        value = float(number[:-1]) * 1000 if number.lower().endswith("k") else float(number)
    except ValueError:
        return None
    dim = _OVER_DIMS[re.sub(r"\s+", " ", noun.lower())]
    if dim == "order":  # an order past a value or a number of units: not the order count
        metrics[:] = [m for m in metrics if m != "orders"]
        if unit == "单" or unit.startswith("order"):
            return None  # "订单超过5单的…" says nothing of one order's size
        if not unit and not metrics:
            metrics.append("gmv")  # "超过500的订单": its value
    if unit and _OVER_UNITS.get(unit) and _OVER_UNITS[unit] not in metrics:
        metrics.insert(0, _OVER_UNITS[unit])
    return dim, op, value, share_of

# phrasings with two or more sensible readings, each with the choices offered back
_ASK_BACKS: list[tuple[re.Pattern[str], str, str, tuple[str, ...], tuple[str, ...]]] = [
    (re.compile(r"^\W*how much (?:did|do|have|has) (?:we|you|they) (?:sell|sold)\b"
                r"(?! for\b)(?! worth\b)(?!.*\b(?:money|worth|revenue|sales|units|items|pieces)\b)"
                r"|^(?!.*(?:钱|金额|元|镑|件|单|额|量|种|款|次|笔|[A-Za-z]{2})).*卖(?:了|出了?|掉了?)多少"
                r"(?:东西|货)?\W*$", re.I),
     "Do you mean money taken or units sold?", "请问是指销售金额，还是卖出的件数？",
     ("sales (GMV)", "units sold"), ("销售额（GMV）", "销量（件数）")),
    # a forecast of a customer's future spend is no metric; spend to date is, over a period
    (re.compile(r"终身价值|生命周期价值|\blifetime value\b|\b(?:C?LTV|CLV)\b", re.I),
     "Lifetime value as each customer's spend so far, over which period? (A forecast of future "
     "spend is not available.)",
     "请问客户终身价值按每位客户至今的消费算，看哪段时间？（暂不提供对未来消费的预测。）",
     ("spend per customer over all the data", "spend per customer this year to date"),
     ("全部数据的人均消费", "今年以来的人均消费")),
    (re.compile(r"\bsales volumes?\b|\bvolume of sales\b", re.I),
     "Do you mean money taken or units sold?", "请问是指销售金额，还是卖出的件数？",
     ("sales (GMV)", "units sold"), ("销售额（GMV）", "销量（件数）")),
    (re.compile(r"平均(?:每|一)天|日均|每天平均(?!一单|每单|一张|单)|\b(?:an? |per )?average day\b|\bper day on average\b|\baverage daily\b|"
                r"\bon average per day\b|\bdaily average\b|\baverage\b.{0,40}\bper (?:trading |business |"
                r"working )?day\b|\bper working day\b|每个?(?:营业日|交易日)平均|平均每个?(?:营业日|交易日)", re.I),
     "Average over which days: every calendar day, or only days with sales, and over which "
     "period?", "请问按哪些天平均：每个自然日，还是只算有销售的日子？时间段是哪段？",
     ("every calendar day of last month", "days with sales last month",
      "every calendar day this year to date", "days with sales this year to date"),
     ("上个月的每个自然日", "上个月有销售的日子", "今年以来的每个自然日", "今年以来有销售的日子")),
    # "what was the average per order", "平均每单多少": money or items, the noun unsaid
    (re.compile(r"\b(?:the |an? )?average per (?:order|basket|invoice)\b(?!\s*(?:value|spend|size|"
                r"units?|items?|pieces?|products?|revenue|sales|in (?:value|units|items|money|pounds)\b))"
                r"|平均(?:每|一)单(?:是|有|能有)?多少(?![钱件块元镑种个款金额])", re.I),
     "Money or items per order?", "请问是每单的金额，还是每单的件数？",
     ("average order value", "units per order"), ("客单价", "连带率（每单件数）")),
    (re.compile(r"购物篮(?:有)?多大|篮子(?:有)?多大|\bbasket size\b", re.I),
     "Basket size as money per order, or as items per order?",
     "请问购物篮大小是按每单金额，还是每单件数？",
     ("average order value", "units per order"), ("客单价", "连带率（每单件数）")),
    # "how many products in an average order": pieces, or kinds of product?
    (re.compile(r"\bhow many products\b(?!\s+(?:did|do|does|have|has|were sold|sold)\b)"
                r"[^?]{0,30}?\b(?:an?|the|each|every|per)\s+(?:average\s+|typical\s+)?(?:order|basket)\b"
                r"|(?<!distinct )(?<!different )\bproducts (?:per|in an?|in each|in the average) "
                r"(?:average )?order\b"
                r"|(?:平均)?(?:每|一)(?:张|笔|个)?(?:订单|单子|单)(?:里|中|里面)?(?:平均)?(?:有|买了?|含|包含)?"
                r"(?:几|多少)个(?:商品|产品|东西)", re.I),
     "Pieces per order, or different products per order?",
     "请问是每单的件数，还是每单包含几种不同的商品？",
     ("units per order", "distinct products per order"), ("连带率（每单件数）", "单均商品种数")),
    (re.compile(r"大单|大额订单|大客户订单|\b(?:big|large|huge|bulk|high[- ]value)\s+orders?\b",
                re.I),
     "What counts as a big order: above which value or how many units?",
     "请问多大的订单算大单：金额超过多少，或件数超过多少？",
     ("orders above 1,000 in value", "orders above 500 in value", "orders of at least 100 units"),
     ("金额超过 1000 的订单", "金额超过 500 的订单", "100 件及以上的订单")),
    (re.compile(r"滞销|卖不动|卖得慢|动销慢|\bslow[- ]mov(?:ers?|ing)\b|\bslow sellers?\b|"
                r"\bdead stock\b|\bnot selling\b", re.I),
     "What counts as slow-moving: the fewest units sold over a period, or nothing sold since "
     "a date?", "请问怎样算滞销：某段时间卖得最少的商品，还是某天以后一件没卖的商品？",
     ("the 10 products with the fewest units last month",
      "the 10 products with the fewest units in the last 90 days"),
     ("上个月件数最少的10个商品", "最近90天件数最少的10个商品")),
    # (not when the countries are listed with it: "中东那几个国家（以色列、…）", "Middle East
    # markets: Israel, …"; nor in a country's name: South Africa)
    (re.compile(r"(?:欧洲|亚洲|美洲|中东|北美|南美|(?<!南)非洲|大洋洲|\b(?:europe|european|asia|asian|"
                r"americas|north america|south america|middle east|(?<!south )africa|oceania|emea|"
                r"apac)\b)(?![^，,。？?（(:：]{0,12}[(（:：])",
                re.I),
     "Which countries count for that region (and is the home country in it)?",
     "请问这个地区包括哪些国家（本国算不算在内）？",
     ("name the countries, e.g. France, Germany and Spain", "all countries except the home country"),
     ("请列出国家，例如法国、德国、西班牙", "除本国以外的所有国家")),
    # "跟平时比", "compared with normal": against which baseline?
    (re.compile(r"(?:跟|和|与|比)(?:平时|平常|往常|以往|正常水平|平均水平)|\b(?:than|compared? (?:with|to)|"
                r"vs\.?|versus|against) (?:normal|usual|the usual|average|typical)\b|\bthan usual\b",
                re.I),
     "Compared with what: the period before, the same period last year, or the average of "
     "recent months?", "请问跟什么比：上一期、去年同期，还是最近几个月的平均？",
     ("the previous period", "the same period last year", "the average of the last 3 months"),
     ("上一期", "去年同期", "最近3个月的平均")),
    # "our priciest product", "最贵的商品": by its list price, or the price it sold at?
    (re.compile(r"\b(?:priciest|most expensive|dearest|cheapest|least expensive)\b|最贵的|最便宜的",
                re.I),
     "By which price: the average price it sold at (GMV / units), or its list price?",
     "请问按哪个价格：实际成交的平均单价（GMV / 件数），还是标价？",
     ("average selling price", "list price"), ("平均成交单价", "标价")),
    # "卖了多少个单品", "how many lines did we sell": distinct products, or pieces?
    (re.compile(r"(?:卖|售)(?:了|出|出去)?(?:多少|几)个?单品|\bhow many (?:product )?lines\b", re.I),
     "Do you mean how many different products (SKUs) sold, or how many units?",
     "请问是指卖出了多少种商品（SKU 数），还是卖出的件数？",
     ("distinct products sold", "units sold"), ("售出商品数（SKU）", "销量（件数）")),
    # "新客贡献了多少", "how much did new customers contribute": in sales, orders or units?
    (re.compile(r"^(?!.*(?:销售额|营业额|成交|订单|单量|件数|金额|gmv|sales|revenue|orders|units|"
                r"spend|share|percent|几成|比例|占比|百分))"
                r".*(?:(?:新客|老客|新客户|老客户|新用户|老用户|回头客)(?:们)?(?:一共|总共)?贡献了?(?:多少|几)"
                r"|\bhow much did (?:the )?(?:new|returning|repeat) (?:customers|buyers|shoppers) "
                r"contribute\b)", re.I | re.S),
     "Contributed what: sales, orders or units?", "请问是贡献了多少销售额、多少订单，还是多少件？",
     ("sales (GMV)", "orders", "units"), ("销售额（GMV）", "订单数", "件数")),
    # "上次那个大客户", "that big customer from before": a customer pointed at, never named
    (re.compile(r"(?<!\d)(?<!\d )(?<![多大高少低好]的)(?:上次|上回|之前|以前|那天)?那(?:个|位)(?:大|老|重要的?|VIP|vip)?"
                r"(?:客户|客人|买家|顾客)(?!\s*(?:id|ID|号|编号)?\s*[:：#]?\s*\d{4,})"
                r"|\bthat (?:big |large |major |key |regular |vip |important )?(?:customer|client|"
                r"buyer|shopper)\b(?!s)(?! (?:who|that|which|with|in)\b)", re.I),
     "Which customer do you mean? Please give the customer id.",
     "请问是哪位客户？请给出客户编号。",
     ("customer 14646 (give the id)", "our biggest customer by sales last month"),
     ("客户14646（请给出编号）", "上个月销售额最高的客户")),
    # the store's data holds orders, not visits: a conversion rate means something else
    (re.compile(r"转化率|转化|访客|流量|浏览量|点击率|\bUV\b|\bPV\b|\bconversions?(?: rate)?\b|"
                r"\bvisitors?\b|\bvisits\b|\bsessions\b|\btraffic\b|\bclick[- ]through\b|\bctr\b",
                re.I),
     "The data holds orders but no visits, so a visit-to-order conversion cannot be measured. "
     "Which of these do you mean, and over which period?",
     "数据里只有订单，没有访问记录，无法计算访问到下单的转化率。请问是指下面哪一个，时间段是哪段？",
     ("the repeat-purchase rate this year", "orders per customer this year",
      "new customers last month"), ("今年的复购率", "今年的人均订单数", "上个月的新客户数")),
    # "shipping per order", "平均每单运费": the costs recorded, or what customers were charged?
    (re.compile(r"(?:平均|每单|每张|一单|人均)[^，。？?,]{0,6}(?:运费|邮费|快递费|物流费)"
                r"|(?:运费|邮费|快递费|物流费)(?:是|一共|总共|平均)?(?:多少|几)"
                r"|\b(?:shipping|postage|delivery)(?: costs?| charges?| fees?)?\s+(?:per|an?|each)\s+order\b"
                r"|\b(?:average|avg)\b[^?]{0,20}\b(?:shipping|postage)\b", re.I),
     "Shipping as the logistics costs you recorded, or as postage charged to customers on the "
     "orders, and over which period?",
     "请问运费是指记录的物流成本，还是订单里向客户收取的邮费？时间段是哪段？",
     ("logistics costs recorded last month", "postage charged on orders last month"),
     ("上个月记录的物流成本", "上个月订单里收取的邮费")),
    # "一季度和二季度的客户重合度", "overlap between Q1 and Q2 customers": a count or a share of what?
    (re.compile(r"重合|重叠|交集|\boverlap(?:ping)?\b|\bin both\b", re.I),
     "Overlap as the number of customers in both periods, or as a share of which period's "
     "customers?", "请问重合度是指两段时间都下过单的客户数，还是占哪一段客户的比例？",
     ("the customers in both", "as a share of the first period's customers",
      "as a share of either period's customers"),
     ("两段都下过单的客户数", "占前一段客户的比例", "占两段合计客户的比例")),
]


#: the vague period words asked back, with each choice's way of settling them (``settled``
#: of ``read_period``): (reason_en, reason_zh, ((settled, choice_en, choice_zh), ...))
VAGUE_PERIOD_CHOICES: dict[str, tuple[str, str, tuple[tuple[str, str, str], ...]]] = {
    "the last few months": (  # whole months, or a rolling window?
        "Do you mean whole calendar months, or a rolling window of days?",
        "请问是按完整的自然月，还是按滚动的天数来算？",
        (("full months", "the last full calendar months", "最近几个完整的自然月"),
         ("rolling", "a rolling window of days ending today", "截至今天的滚动天数"))),
    "the end of the month": (
        "Which days do you mean by the end of the month?", "请问“月底”指哪几天？",
        (("month end 3", "the month's last 3 days", "月底最后3天"),
         ("month end 7", "the month's last 7 days", "月底最后7天"),
         ("month end 10", "the month's last 10 days (from the 21st or 22nd)", "月底最后10天"))),
    "this time last year": (
        "Which days last year do you mean?", "请问“去年这个时候”指去年的哪段时间？",
        (("same month last year", "the same month last year", "去年同月"),
         ("same 7 days last year", "the same 7 days last year", "去年同期的7天"),
         ("same 30 days last year", "the same 30 days last year", "去年同期的30天"))),
    "week on week": (  # this week is not over
        "This week is not over yet: compare it with the same days of last week, or with the whole "
        "of last week?", "本周还没过完：请问跟上周同期（同样的几天）比，还是跟上周整周比？",
        (("same days last week", "the same days of last week", "上周同期（同样的几天）"),
         ("whole last week", "the whole of last week", "上周整周"))),
    "the financial year": (  # the store's year may not start in January
        "When does your financial year start?", "请问贵店的财年从几月开始？",
        (("fy1", "the calendar year (1 January)", "自然年（1月1日）"), ("fy4", "1 April", "4月1日"),
         ("fy7", "1 July", "7月1日"))),
    "the season": (  # meteorological, astronomical, or the 24 solar terms?
        "Which months do you mean by the season: whole months (autumn = September to November), "
        "from the equinox or solstice, or by the Chinese solar terms?",
        "请问这个季节指哪几个月：按整月（秋天 = 9到11月）、按二分二至，还是按节气（立秋到立冬）？",
        (("months", "whole months: spring Mar–May, summer Jun–Aug, autumn Sep–Nov, winter Dec–Feb",
          "按整月：春3–5月、夏6–8月、秋9–11月、冬12–2月"),
         ("equinox", "from the equinox or solstice (autumn: 23 September to 21 December)",
          "按二分二至（秋天：9月23日至12月21日）"),
         ("jieqi", "by the solar terms (autumn: 8 August to 7 November)",
          "按节气（秋天：立秋到立冬，约8月8日至11月7日）"))),
    "the week of the month": (  # 7 days, or a Monday-to-Sunday week?
        "Which days do you mean: seven days counted from the month's first (or last) day, or a "
        "whole Monday-to-Sunday week of the month?",
        "请问指哪几天：从当月1号（或月末）数起的7天，还是当月完整的周一到周日？",
        (("counted", "7 days counted from the 1st (the second week: the 8th to the 14th)",
          "从1号数起的7天（第二周：8号到14号）"),
         ("whole", "a whole week of the month (Monday to Sunday)", "当月完整的一周（周一至周日）"))),
    "the week of the year": (  # 1-7 January, or the first Monday-to-Sunday week?
        "Which days do you mean: the year's first or last seven days (1-7 January, 25-31 "
        "December), or its first or last full Monday-to-Sunday week?",
        "请问指哪几天：一年最前或最后的7天（1月1日至7日、12月25日至31日），"
        "还是第一个或最后一个完整的周一到周日？",
        (("counted", "the first or last 7 days of the year", "一年最前或最后的7天"),
         ("whole", "the first or last full week of the year (Monday to Sunday)",
          "第一个或最后一个完整的周（周一至周日）"))),
}


def _period_settled(text: str, as_of: dt.date) -> tuple[str, str | None]:
    """The question without a period choice it ends with, and the way that choice settles
    the vague words: the faces ask again with the choice added. A question that merely ends
    with the same words ("orders since 1 April") and has no such vague words keeps them."""
    for vague, (_, _, choices) in VAGUE_PERIOD_CHOICES.items():
        for settled, en, zh in choices:
            if (choice := _answered(text, (en,), (zh,))) and read_period(
                    rest := text[:text.rstrip(" ?？。.!！").rindex(choice)], as_of).vague == vague:
                return rest, settled
    return text, None


def _answered(text: str, en: tuple[str, ...], zh: tuple[str, ...]) -> str | None:
    """The choice an ask-back offers that the question ends with: the faces ask again with
    the choice added, and the question is then read past that ask-back."""
    tail = text.rstrip(" ?？。.!！")
    return next((choice for choice in (*en, *zh) if tail.endswith(choice)), None)


def read(question: str, as_of: dt.date, vocab: Vocabulary, values: StoreValues,
         previous: AskQuery | None = None) -> Reading:
    """Read ``question`` into a query; ``previous`` is the question before, for follow-ups
    ("那按国家分呢？", "and by country?")."""
    # "How many big orders came in? orders above 1,000 in value": a choice asked back, added
    text, settled = _period_settled(_fix_typos(question.strip()), as_of)
    text = re.sub(r"[?？]\s*(?=\S)", " ", text)
    text = _ASKED_FIRST_ZH.sub(r"\3\1\2", _OR_MORE.sub(r"\1 at least \2", text))
    text = _AT_LEAST_ONE_ITEM.sub("a ", text)  # "orders with at least one X item": no ranking
    # "repeat (returning) customers", "first-time (new) buyers": the gloss in brackets says which
    text = re.sub(r"\b[\w-]+ \((new|returning)\) (?=customers|buyers|shoppers|clients)", r"\1 ", text,
                  flags=re.I)
    lang = language_of(text)
    trading_day = _TRADING_DAY.search(text)
    if trading_day:  # the day itself is found in the data; its words are no ranking of days
        text = text[:trading_day.start()] + " " * len(trading_day[0]) + text[trading_day.end():]
    low = text.lower()
    weekday_sets = _weekday_filter(text)
    weekdays, other_weekdays = _weekdays_compared(text, weekday_sets)
    unsaid = text  # the days of the week kept are no day of their own
    for _, (a, b) in weekday_sets:
        if re.search(r"(?:头|前)\s*(?:\d+|[一二三四五六七八九十两]+)\s*个\s*$|\bfirst \w+ $", text[:a], re.I):
            continue  # "头5个工作日": the days also say the period
        unsaid = unsaid[:a] + " " * (b - a) + unsaid[b:]
    when = read_period(unsaid, as_of, settled)
    if when.no_such_day:
        return Unread(f"日期“{when.no_such_day}”不存在（那个月没有这一天）" if lang == "zh" else
                      f"\"{when.no_such_day}\" is no date: that month has no such day", lang)
    if trading_day:
        when = _on_trading_day(when, trading_day, values, as_of)
    metric_hits = vocab.find_metrics(text)
    per_day = _per_day(text)
    if per_day and (days_said := _PER_TRADING_DAY.search(text)):
        # "days with sales": which days, not a metric
        metric_hits = [h for h in metric_hits if not days_said.start() <= h[0] < days_said.end()]
    dim_hits = find_phrases(text, DIMENSION_PHRASES)
    grain_hits = find_phrases(text, GRAIN_PHRASES)
    if not grain_hits and (each_of := _EACH_OF.search(text)):  # "each of the last 4 full weeks"
        grain_hits = [(each_of.start(), each_of[1].lower().rstrip("s"), each_of[0])]
    grouped = bool(_GROUP_CUES.search(low))
    lapsed = _lapsed(text, when, values, as_of, lang,
                     tuple(dict.fromkeys(m for _, m, _ in metric_hits if m != "customers")))
    if lapsed is not None:
        return lapsed
    churn = _CHURN.search(text)
    churn_en = tuple(_label(m, "en", vocab) for m in CHURN_CHOICES)
    churn_zh = tuple(_label(m, "zh", vocab) for m in CHURN_CHOICES)
    if churn and _answered(text, churn_en, churn_zh):
        churn = None  # "Are we losing buyers? repeat-purchase rate": the metric chosen
    elif churn and not _WHO.search(text) and not _BEYOND.search(text.replace(churn[0], " ")):
        return AskBack("Which measure of keeping customers do you mean?",
                       "请问用哪个指标来看客户流失？", churn_en, churn_zh, lang)
    if churn or _BEYOND.search(text):
        return Unread("问题问的是没有做某件事的客户或商品，指标无法表达" if lang == "zh" else
                      "it asks for customers or products that did not do something, which "
                      "the metrics cannot express", lang)
    also = _ALSO_IN.search(text)
    if also and len(when.periods) == 2 and _CUSTOMERS_SAID.search(text) and not any(
            _value_filters(text, values, [])) and not re.search(r"(?<![\d-])\d{5,}", text):
        # "11月的客户里，10月也下过单的占多少": the first period's customers found in the second
        return AskQuery(("customers",), when.periods[0], language=lang,
                        share=bool(_SHARE.search(low) or re.search(r"%|百分", text)),
                        also_in=when.periods[1])
    for pattern, reason_en, reason_zh in _UNSUPPORTED:
        if (_band_said(text) and not _band(text, []) if pattern is _BAND_SAID
                else pattern.search(text)):
            return Unread(reason_zh if lang == "zh" else reason_en, lang)
    # what every reading of an open question shares: a period with no data reads "no data"
    fallback = (AskQuery(("gmv",), when.period, language=lang)
                if when.period and not when.period.is_all and not when.compare else None)
    for pattern, reason_en, reason_zh, en, zh in _ASK_BACKS:
        if not (said := pattern.search(text)) or (  # "一单超过2000件的大单": the size is said
                "big order" in reason_en and (_threshold(text, [], []) or _orders_past(text))) or (
                per_day and reason_en.startswith("Average over which days")):
            continue
        if not (choice := _answered(text, en, zh)):
            return AskBack(reason_en, reason_zh, en, zh, lang, fallback)
        # "How many large orders came in? orders above 1,000 in value": the choice read in
        # place of the words it settles
        end = text.rstrip(" ?？。.!！").rindex(choice)
        if said.end() <= end:
            return read(text[:said.start()] + choice + text[said.end():end], as_of, vocab,
                        values, previous)
    unclear = find_phrases(text, {k: k for k in AMBIGUOUS_METRICS})
    if (unclear or _HOW_DOING.search(text)) and not metric_hits:
        options = AMBIGUOUS_METRICS[unclear[0][1]] if unclear else METRIC_CHOICES
        return AskBack("Which metric do you mean?", "请问您指的是哪个指标？",
                       tuple(_label(m, "en", vocab) for m in options),
                       tuple(_label(m, "zh", vocab) for m in options), lang, fallback)

    metric_hits = [h for h in metric_hits if not (  # "没留客户号的游客单": the id, no count of them
        h[1] == "customers" and re.match(r"\s*(?:号|编号|id\b|ids\b|numbers?\b)",
                                         text[h[0] + len(h[2]):], re.I)) or len(metric_hits) == 1]
    guest = [(m.start(), m.end()) for m in _GUEST.finditer(text)]
    if guest:  # "没有客户编号的游客订单…买了多少钱": the metric is the one outside the guest words
        inside = [h for h in metric_hits if any(a <= h[0] < b for a, b in guest)]
        outside = [h for h in metric_hits if h not in inside]
        metric_hits = outside or [h for h in inside if h[1] != "customers"]
    # "customer 14646", "客户14646", "客户号 12346": that customer, not a count of customers
    named_customers = list(_CUSTOMER_ID.finditer(text))
    listed = _CUSTOMER_LIST.search(text) or _WHO_OF_IDS.search(text)
    exclude_customers: tuple[str, ...] = ()
    home_vs_abroad: tuple[dict, dict] | None = None
    metric_hits = [h for h in metric_hits if not (h[1] == "customers" and any(
        m.start() <= h[0] < m.end() for m in (*named_customers, *([listed] if listed else []))))]
    # "returning customers' orders, people who had bought before": the customers said again
    metric_hits = [h for h in metric_hits if not (
        h[1] == "customers" and re.match(r"people\b", h[2], re.I) and any(
            o[1] != "customers" and 0 <= h[0] - (o[0] + len(o[2])) <= 3
            and re.fullmatch(r"\s*,\s*", text[o[0] + len(o[2]):h[0]]) for o in metric_hits))]
    metric_hits = _drop_whose_nouns(text, metric_hits)
    metric_hits = [h for h in metric_hits if not (  # "芬兰、波兰这几个国家": those named
        h[1] == "countries" and re.search(r"[这那]\s*$", text[:h[0]]))]
    net = [(a, a + len(p)) for a, m, p in metric_hits if m == "net_revenue"]
    metric_hits = [h for h in metric_hits if not (  # "扣除退款后的收入", "revenue after refunds"
        h[1] == "gmv" and any(a - 8 <= h[0] + len(h[2]) and h[0] <= b + 8 for a, b in net))]
    metric_hits = [h for h in metric_hits if not (  # "把退款扣完，净收入", "net of refunds"
        h[1] == "refunds" and net and re.search(
            r"(?:扣|减|刨|除)|\b(?:net of|after|less|minus|deducting|taking off)\b",
            text[max(0, h[0] - 12):h[0] + len(h[2]) + 6], re.I))]
    if net and len(metric_hits) > 1 and re.search(r"扣|减|刨|\b(?:net of|after|less|minus)\b",
                                                  text, re.I):
        # "销售额，扣掉当天的退款，净的是多少": the sales are what the net is taken from
        metric_hits = [h for h in metric_hits if h[1] not in ("gmv", "refunds")]
    metrics = list(dict.fromkeys(m for _, m, _ in metric_hits))
    if "countries" in metrics and len(metrics) > 1 and _CAME_FROM.search(text):
        metrics = ["countries"]  # "October's orders came from how many different countries?"
    worth = _ORDERS_WORTH.search(text)
    if worth and not any(METRICS[m].unit == "money" for m in metrics if m in METRICS):
        # "新客户的首单加起来一共多少钱", "what first orders added up to": their value
        metrics = [m for m in metrics if m != "orders"] + ["gmv"] \
            if "orders" in metrics or all(m in _CUSTOMER_TYPES for m in metrics) else metrics
    elif worth and "gmv" in metrics and "orders" in metrics:
        metrics.remove("orders")  # "what were our orders worth": their value, not their count
    by: list[str] = []
    filters: dict[str, tuple[str, ...]] = {}
    # new / returning customers beside another metric: a filter on it, or a split by them
    types = [m for m in metrics if m in _CUSTOMER_TYPES]
    others = [m for m in metrics if m not in _CUSTOMER_TYPES]
    were = _WERE_TYPE.search(low)
    if were and others:
        types.append("new_customers" if were[1].lower() == "new" else "returning_customers")
        if re.search(r"\bnew\b", low) and re.search(r"\breturning\b", low):
            types = ["new_customers", "returning_customers"]  # "how many were new and how many returning"
    if types and others:
        metrics = others
        if len(set(types)) > 1 or any(d == "customer_type" for _, d, _ in dim_hits):
            by.append("customer_type")
        else:
            filters["customer_type"] = (_CUSTOMER_TYPES[types[0]],)
        if every := _EVERY_ORDER_OF_TYPE.search(text):  # "不光首单": each customer's every order
            # the orders of "all their orders" are no measure of their own
            said_in = {m for pos, m, _ in metric_hits if every.start() <= pos < every.end()} - {
                m for pos, m, _ in metric_hits if not every.start() <= pos < every.end()}
            metrics = list(dict.fromkeys(
                _PER_CUSTOMER_TYPED.get(m, m) for m in metrics
                if len(metrics) == 1 or not (m == "customers" or m in said_in)))
    if guest:
        filters["customer_type"] = ("guest",)
    said_ids = [n for n in listed.groups() if n] if listed else []
    if listed and listed.re is _WHO_OF_IDS and not any(
            n in values.product_ids or re.fullmatch(r"(?:19|20)\d\d", n) for n in said_ids):
        filters["customer"] = tuple(said_ids)  # "who …, 17949 or 17511", "17949和17511谁"
    elif listed and listed.re is _CUSTOMER_LIST:  # "18102、13694、13089 这三个客户", "customers 18102, 13694 and 13089"
        filters["customer"] = tuple(dict.fromkeys(re.findall(r"\d{4,}", listed[1] or listed[2])))
        if re.search(r"各|分别|谁|哪个|\beach\b|\brespectively\b|\bwho\b|\bwhich\b", text, re.I):
            by.append("customer")
    elif named_customers:  # kept, or left out: "除去14646这个客户", "excluding customer 14646"
        ids = [m[1] or m[2] for m in named_customers]
        out = _excluded(text, [m.span() for m in named_customers])
        kept = tuple(dict.fromkeys(i for i, o in zip(ids, out, strict=True) if not o))
        exclude_customers = tuple(dict.fromkeys(i for i, o in zip(ids, out, strict=True) if o))
        if kept:
            filters["customer"] = kept
    if weekdays:
        filters["weekday"] = weekdays
        if _EACH_DAY.search(text) or _WHICH_DAY.search(text):
            by.append("day")  # "each Sunday in the last 45 days", "which Monday": a row a day
    named_again: set[str] = set()
    for pos, dim, phrase in dim_hits:
        # inside a metric's words ("客户数"); new and returning customers are never a metric
        # of their own ("how much did new and returning customers spend")
        as_metric = [h for h in metric_hits if h[0] <= pos < h[0] + len(h[2])
                     and dim != "customer_type"]
        if phrase.lower() in _DIM_AND_METRIC:
            by.append(dim)
            continue
        if as_metric and dim in _DIM_AMBIGUOUS:
            rest = [m for m in metrics if m != as_metric[0][1]]
            if grouped and rest and "customer_type" not in by and (
                    "customer_type" not in filters
                    or _RANKED_BEFORE.search(text[:as_metric[0][0]])):
                # "top 3 new customers by sales": the new customers ranked
                metrics = [m for m in metrics if m != as_metric[0][1] or
                           sum(1 for h in metric_hits if h[1] == m) > 1]
                by.append(dim)
            elif not rest and as_metric[0][1] == "customers" and re.search(
                    r"\b(?:top|bottom)\s+(?:\d+|one|two|three|four|five|ten)\s+"
                    r"(?:(?!(?:by|per|with|of|in|for)\b)[\w'-]+\s+){0,3}$",
                    text[:as_metric[0][0]], re.I):
                metrics, by = [], [*by, dim]  # "our top 5 customers": ranked by what? (asked)
            continue
        if re.search(r"(?:这|那)(?:[两二三四五六七八九十几\d]+|些)[个款家位种]?\s*$|\b(?:these|those|both)"
                     r"(?: two| three| \d+)?\s+$", text[:pos], re.I):
            named_again.add(dim)  # "23843和23166这两个货号", "these two SKUs" (if values are named)
        if grouped and not as_metric:
            by.append(dim)
    for pattern, grain in _WHICH_GRAIN:
        if pattern.search(text):
            by.append(grain)
    by += [g for _, g, _ in grain_hits]
    if when.listed and not when.compare:
        by.append(when.listed)
    if re.search(r"[一二三四五六七八九十两\d几]+个月(?:里|中|之中|当中)?(?:各|分别|每个月)", text):
        by.append("month")
    if grouped:
        spent = " ".join(when.matched).lower()
        by += [m[1][:-1] for m in _GRAIN_PLURAL.finditer(low) if m[1] not in spent]
    if _WHICH_PEOPLE.search(text) and "customer" not in by and (
            "customer" in filters or any(h[1] in _CUSTOMER_TYPES for h in metric_hits)):
        by.append("customer")  # "新客里…是哪三位": which customers
    by = list(dict.fromkeys(by))
    if "sku" in by and "products_per_order" in metrics and re.search(
            r"按(?:货号|商品|产品|sku)(?:来)?(?:算|计|统计)", low):
        by.remove("sku")  # "一单几种货（按货号算）": how the kinds are told apart, no split
    if "customer_type" in by and "customer" in by:
        by.remove("customer")
    if "customer" in by and (len(by) > 1 or all(m in _PER_CUSTOMER for m in metrics)) and any(
            m in _PER_CUSTOMER for m in metrics):
        # "which countries' customers ordered most often on average"; "spend per customer" is
        # no split by customer
        by.remove("customer")
    grains = [d for d in by if d in GRAIN_PHRASES.values()]
    if len(grains) > 1:
        by = [d for d in by if d not in grains[1:]]

    found, exclude = _value_filters(text, values, by)
    filters.update(found)
    if exclude_customers:
        exclude["customer"] = exclude_customers
    if _ABROAD.search(text) or (_DOMESTIC.search(text) and "country" not in found):
        if values.home_country is None:
            top = tuple(values.countries[:5])
            return AskBack("Which country is home, so I can tell abroad from domestic?",
                           "请问哪个国家算本国（用来区分国内和海外）？", top, top, lang)
        home = values.home_country
        said_home = _DOMESTIC.search(text) or filters.get("country") == (home,)
        if _ABROAD.search(text) and said_home and re.search(
                r"比|对比|相比|\bvs\.?|versus|\bthan\b|\bagainst\b|\bgap\b|差", text, re.I):
            # "英国客户的人均消费跟海外客户比", "UK customers vs customers abroad": one against
            # the other, the first said asked about
            home_at = min((m.start() for m in (_DOMESTIC.search(text), *[
                re.search(rf"(?<![a-z]){re.escape(a.lower())}(?![a-z])", low)
                for a in (home, *COUNTRY_ALIASES.get(home, ())) if len(a) >= 2]) if m),
                default=len(text))
            home_first = home_at < _ABROAD.search(text).start()
            home_vs_abroad = ({"country": (home,)}, {}) if home_first else ({}, {"country": (home,)})
            filters.pop("country", None)
        else:
            target = exclude if _ABROAD.search(text) else filters
            target["country"] = tuple(dict.fromkeys((*target.get("country", ()), home)))
    words_left_out, text_named = _name_words_left_out(text, values)
    name_words = _name_words(text_named, values)
    if (not name_words and "sku" not in found and _THAT_PRODUCT.search(text)
            and not any(s for s, _ in _product_codes(text, values))):
        return AskBack("Which product do you mean? Give its product code or a word of its name.",
                       "请问是哪个商品？请给出商品编码或名称里的词。",
                       ("a product code, e.g. 85123A", "a word of the name, e.g. HEART"),
                       ("商品编码，例如 85123A", "名称里的词，例如 HEART"), lang)
    if not name_words and values.product_names and not _product_codes(text, values):
        named = _product_phrase(text, values, metric_hits)
        if isinstance(named, AskBack):
            return replace(named, language=lang)
        name_words = named
    ranked = _outside_periods(low, when, as_of)  # "第一周", "头两个月" rank nothing
    for said in ([listed] if listed else []) + named_customers:
        ranked = ranked.replace(said[0].lower(), " ")  # "这两个客户", "14646这一个客户": no top N
    if name_words and "sku" in by and not _rank(ranked, by):
        by.remove("sku")
    for sku, excluded in _product_codes(text, values):
        target = exclude if excluded else filters
        target["sku"] = (*target.get("sku", ()), sku)
    for order, excluded in _order_numbers(text, values):
        target = exclude if excluded else filters
        target["order"] = (*target.get("order", ()), order)
    if not re.search(r"各|分别|\beach\b|\brespectively\b|\bseparately\b", low):
        by = [d for d in by if not (d in named_again and (d in filters or d in exclude))]
    if (len(filters.get("sku", ())) > 1 and "sku" not in by and not _COMBINED.search(low)
            and re.search(r"\bskus\b|\bstock ?codes\b|\bcodes\b|各|分别|\beach\b", low)):
        by.append("sku")  # "Nov pcs for SKUs 22578, 22577 and 20668": one row each
    if len(filters.get("sku", ())) == 1 and "sku" in by and not _rank(ranked, by):
        by.remove("sku")  # "货号79321…每个月卖了几件": the code's cue, not a split by product
    if len(filters.get("customer", ())) == 1 and "customer" in by and (
            len(by) > 1 or not _rank(ranked, by)):
        by.remove("customer")  # "17841这个客户今年每个季度下了几单": by quarter
    if "order" in by and (_HIGH.search(ranked) or _LOW.search(ranked)):
        # "上周最大的一笔单子是多少钱": an order's size is its value (each counts one order)
        metrics = [m for m in metrics if m != "orders"] or ["gmv"]
    if "sku" not in by and re.search(r"[一二三四五六七八九十两\d]+\s*款(?!式)|\bsellers\b", ranked):
        by.append("sku")  # "卖得最好的五款", "top five sellers"

    if name_words and not by and (_HIGH.search(ranked) or _LOW.search(ranked)):
        by.append("sku")  # "LUNCH BAG 系列里卖得最多的5个": the products of the range
    named = filters.get("country", ())
    if len(named) > 1 and "country" not in by and not any(
            g in by for g in GRAIN_PHRASES.values()) and (
            re.search(r"各|分别|排个?名|排序|谁|哪个|哪一个|哪家|\beach\b|\brespectively\b|\brank|"
                      r"\bsort|\bseparately\b|\bone by one\b|\bwhich\b|\bwho\b", low)
            or _LISTED_AFTER_COLON.search(text)):
        # "芬兰、波兰…各下了多少单", "rank Finland, Sweden … by sales", "spend per customer this
        # yr: NL, DE, FR and Ireland?"
        by.append("country")
    if len(named) > 1 and "country" in by and _COMBINED.search(low):
        by.remove("country")  # "瑞典、挪威、丹麦这三个国家加起来": these, not the top three
    band = _band(text, metrics)
    over = band[:4] if band else _threshold(text, metrics, metric_hits)
    if over:  # count the groups past it: the count's own words are no metric of their own
        metrics = [m for m in metrics if m not in ("products_sold", "customers", "countries")] \
            or metrics
        by = [over[0]]
    rank = None if over else _rank(ranked, by)
    top_left_out = None if over else _TOP_LEFT_OUT.search(text)
    if top_left_out:  # "去掉前十大客户，剩下的销售额", "sales excluding our top 10 customers"
        noun = (top_left_out[2] or top_left_out[4]).lower()
        by = [_OVER_DIMS[noun]]
        n = top_left_out[1] or top_left_out[3]
        rank = ("top", int(n) if n.isdigit() else zh_number(n.replace("两", "二"))
                if CJK.search(n) else en_number(n))
        metrics = [m for m in metrics if m not in ("products_sold", "customers", "countries")] \
            or ["gmv"]
        if ratio := _ratio_unread(metrics[:1], vocab, lang, "去掉前几名后剩下多少",
                                  "rest beyond the top groups"):
            return ratio
    value_metric = None
    if rank and metrics:
        ranking = _ranked_and_valued(text, metrics, metric_hits, by, lang)
        if isinstance(ranking, AskBack):
            return ranking
        metrics, value_metric = ranking
    if rank and metrics and metrics[0] in METRICS and not METRICS[metrics[0]].higher_is_better \
            and re.search(r"\bworst\b|最差|最糟|最不好", low) and not _HIGH.search(
                re.sub(r"\bworst\b|最差|最糟|最不好", "", low)):
        rank = ("top" if rank[0] == "bottom" else "bottom", rank[1])  # the worst refund rate
    share = bool(_SHARE.search(low))
    if share and metrics == ["refund_rate"] and any(
            m == "refund_rate" and _SHARE.search(phrase.lower()) for _, m, phrase in metric_hits):
        share = False  # "refunds as a % of sales": the share is the rate itself
    each_words = low  # "top 3 days by orders": "by" the ranking's metric is no split of each
    for pos, _, _ in metric_hits:
        if by_metric := re.search(r"\bby\s+$", low[:pos]):
            each_words = each_words[:by_metric.start()] + " " * (pos - by_metric.start()) \
                + each_words[pos:]
    each = share and bool(by) and bool(_EACH.search(each_words)) and not _COMBINED.search(low)
    if share and metrics in (["repeat_customers"], ["repeat_purchase_rate"]) and not (by or rank):
        metrics = ["repeat_purchase_rate"]  # "the share of repeat customers": the rate itself
        share = False
    if share and metrics and all(m in _CUSTOMER_TYPES for m in metrics) and not (
            by or rank or isinstance(when.compare, Period) or _AMONG_TYPE.search(text)
            or (len(when.periods) > 1 and when.periods[1] != when.periods[0])):
        # "老客占比": a share of customers, of orders or of sales? All three differ. Within
        # a longer period ("今年的新客里，下半年来的") it is a share of the same count.
        kind_en, kind_zh = (("new", "新客") if metrics[0] == "new_customers"
                            else ("returning", "老客"))
        en = (f"{kind_en} customers / customers", f"{kind_en} customers' orders / orders",
              f"{kind_en} customers' sales / sales")
        zh = (f"{kind_zh}人数占比", f"{kind_zh}订单数占比", f"{kind_zh}销售额占比")
        if not _answered(text, en, zh):
            return AskBack(
                f"A share of what: {kind_en} customers among all customers, their orders among all "
                f"orders, or their sales among all sales?",
                f"请问是哪种占比：{kind_zh}占全部客户的比例、{kind_zh}订单占全部订单的比例，还是"
                f"{kind_zh}销售额占全部销售额的比例？",
                en, zh, lang)

    if (not by and not over and metrics and previous is None
            and re.search(r"\branking\b|\brankings\b|排名|排行|排个名|排一下名", low)):
        # "last month's sales ranking": of products, customers or countries?
        return AskBack("A ranking of what: products, customers or countries?",
                       "请问排哪一种：商品、客户，还是国家？",
                       ("products", "customers", "countries"), ("商品", "客户", "国家"), lang)
    is_follow_up = previous is not None and (
        bool(_FOLLOW_UP.search(text)) or (not metrics and (by or filters or exclude
                                                           or when.period)))
    if is_follow_up and previous is not None:
        return _refine(previous, lang, metrics, by, filters, exclude, name_words, when, rank,
                       share)

    # no metric, but about the store (a period, a country, a product …): ask which metric
    if not metrics and not (when.period or by or rank or _HIGH.search(ranked) or _LOW.search(ranked)
                            or when.vague or filters or exclude or name_words):
        return Unread("问题里没有说到任何指标" if lang == "zh" else
                      "no metric of the semantic layer is named in the question", lang)
    rank_by = None
    if metrics and (change := _RANK_BY_CHANGE[0].search(text)):
        if not [d for d in by if d not in TIME_GRAINS]:
            return Unread(_RANK_BY_CHANGE[2] if lang == "zh" else _RANK_BY_CHANGE[1], lang)
        by = [d for d in by if d not in TIME_GRAINS]  # "11月比10月": the periods, not a split
        rank_by = "change_pct" if _CHANGE_PCT.search(text) else "change"
        side = "bottom" if _CHANGE_FELL.search(change[0]) else "top"
        rank = (side, rank[1] if rank else 10)
    if not metrics and not rank and (name_words or filters.get("sku")) and _HOW_MANY_OF.search(text):
        metrics = ["units"]  # "how many 22197 popcorn holders went abroad", "…卖到英国以外的有几个"
    if not metrics:
        what = "rank by" if rank or _HIGH.search(ranked) or _LOW.search(ranked) else "measure"
        return AskBack(
            f"Which metric should I {what}?", f"请问按哪个指标{'排名' if what == 'rank by' else '来看'}？",
            tuple(_METRIC_LABELS[m][0] for m in METRIC_CHOICES),
            tuple(_METRIC_LABELS[m][1] for m in METRIC_CHOICES), lang, fallback)
    period = when.period
    if period is None:
        if when.vague:
            if when.vague in VAGUE_PERIOD_CHOICES:  # the season's months, the year's first day, …
                reason_en, reason_zh, choices = VAGUE_PERIOD_CHOICES[when.vague]
                return AskBack(reason_en, reason_zh, tuple(en for _, en, _ in choices),
                               tuple(zh for _, _, zh in choices), lang)
            zh = {"last time": "上次", "recently": "最近", "the promotion": "那次活动"}[when.vague]
            return AskBack(
                f"Which period do you mean by \"{when.vague}\"?", f"“{zh}”指哪段时间？",
                ("the last 7 days", "the last 30 days", "last month", "this year to date"),
                ("最近7天", "最近30天", "上个月", "今年以来"), lang)
        if grains or filters.get("order"):
            period = ALL_TIME  # an order named by number: whenever it was placed
        else:
            return AskBack(
                "Which period should I use?", "请问看哪段时间？",
                tuple(p[0] for p in PERIOD_CHOICES), tuple(p[1] for p in PERIOD_CHOICES), lang)
    if when.compare is not None and period.is_all:
        return AskBack("Which period should I compare?", "请问对比哪段时间？",
                       ("last month", "this month to date", "this year to date"),
                       ("上个月", "本月至今", "今年以来"), lang)
    compare = when.compare
    if share and compare is None and len(when.periods) == 1 and not (filters or exclude or by) \
            and (whole := _ALL_TIME_WHOLE.search(text)) \
            and not any(whole[0].lower() in said for said in when.matched):
        compare = ALL_TIME  # "what share of all our orders to date came in December 2010"
    if share and compare is None and len(when.periods) > 1 and when.periods[1] != period:
        compare = when.periods[1]  # "本月至今占今年以来的比例": one period's share of another
    if rank_by and compare is None:  # "11月比10月…涨得最多": the first period against the second
        period, compare = ((when.periods[0], when.periods[1]) if len(when.periods) > 1
                           else (period, "previous"))
    compare_filters: dict[str, tuple[str, ...]] = {}
    if other_weekdays and compare is None and not (share or over):
        compare_filters["weekday"] = other_weekdays  # "Sundays against Monday to Friday"
    elif other_weekdays:
        filters["weekday"] = tuple(dict.fromkeys((*weekdays, *other_weekdays)))
    type_said = {_CUSTOMER_TYPES[m]: (pos, pos + len(phrase))
                 for pos, m, phrase in reversed(metric_hits) if m in _CUSTOMER_TYPES}
    if by == ["customer_type"] and len(type_said) == 2 and compare is None and not (
            share or over or rank or compare_filters) and re.search(r"比|\bthan\b", text):
        pair = _pair_compared(text, ("new", type_said["new"]),
                              ("returning", type_said["returning"]))
        if pair:  # "新客的首单，平均一单金额比老客的单子高还是低"
            filters["customer_type"], compare_filters["customer_type"] = (pair[0],), (pair[1],)
            by = []
    for dim, compared in (("country", _names_compared), ("channel", _names_compared),
                          ("category", _names_compared), ("customer", _codes_compared),
                          ("sku", _codes_compared)):
        named = filters.get(dim, ())
        if len(named) == 2 and compare is None and not (share or over or rank or compare_filters) \
                and by in ([], [dim]):
            pair = compared(text, named)
            if pair:  # "今年荷兰的销售额比澳洲高多少", "17949和17511谁下的单多？多几单"
                filters[dim], compare_filters[dim] = (pair[0],), (pair[1],)
                by = []
    whole_dims = _whole_dims(text, filters) if share and not (by or over or compare) else ()
    if not (exclude or any(d not in whole_dims for d in filters)):
        whole_dims = ()  # nothing is left to be the part
    compare_exclude: dict[str, tuple[str, ...]] = {}
    if home_vs_abroad and compare is None and not (share or over or rank or compare_filters):
        home_side, abroad_side = home_vs_abroad
        # "英国客户的复购率比海外客户": the customers are the two sides, not a second measure
        metrics = [m for m in metrics if m != "customers"] or metrics
        if home_side:  # home asked about, against everywhere else
            filters.update(home_side)
            compare_exclude = {"country": home_side["country"]}
        else:  # abroad asked about, against home
            exclude.update(abroad_side)
            compare_filters = {"country": abroad_side["country"]}
    elif home_vs_abroad:  # no comparison to make: abroad, as said
        exclude["country"] = (values.home_country,)
    if any(set(values_) & set(exclude.get(dim, ())) for dim, values_ in filters.items()):
        # "英国卖的件数是海外的几倍": the UK kept and left out at once, a ratio of two sides
        return Unread("问题把同一个值既保留又排除（例如两边之比），目前还不能这样算；请分别问两边" if lang == "zh"
                      else "it keeps and leaves out the same value at once (a ratio of two "
                      "sides, say), which the metrics cannot compute yet; ask for each side",
                      lang)
    if filters.get("customer_type") == ("guest",) and "customer" in by and len(by) > 1:
        by.remove("customer")  # "游客单（没客户号的）里…的货号": guests have no customer to split by
    exclude_words = tuple(w for w in words_left_out if w not in name_words)
    if per_day:
        unread = _per_day_unread(metrics, by, compare, share or over or rank or compare_filters
                                 or compare_exclude, vocab, lang)
        if unread:
            return unread
        by = ["day"]
    # "10月份哪天出单最多？那天一共出了多少单": which one, then its amount in a question of its own
    asked_after = (amount := _AMOUNT.search(question)) and re.search(
        r"[？?;；]\s*\S", question[:amount.start()])
    # "best market by orders: its AOV", "花钱最多的客户的客单价": the other metric's value is asked
    top_value = bool(rank and rank[1] == 1 and not share and compare is None and (
        (_AMOUNT.search(text) and (not _WHICH.search(text) or asked_after))
        or (value_metric and not _WHICH.search(text))))
    value_metric = value_metric if top_value else None
    return AskQuery(tuple(metrics), period, tuple(by), filters, exclude, name_words,
                    compare, rank, share, lang, each, over[1:3] if over else None,
                    compare_filters, over[3] if over else "groups", whole_dims, compare_exclude,
                    top_value, exclude_words, per_day, band[4] if band else None, bool(top_left_out),
                    bool(_WHOLE_ORDER.search(text)) and bool(name_words or filters.get("sku")),
                    rank_by, value_metric=value_metric)


def _ratio_unread(metrics: list[str], vocab: Vocabulary, lang: str, what_zh: str,
                  what_en: str) -> Unread | None:
    """The refusal for a ratio asked to be added up (per day, or what is left after the top N)."""
    ratios = [m for m in metrics if not summable(m)]
    if not ratios:
        return None
    names = "、".join(_label(m, "zh", vocab) for m in ratios) if lang == "zh" else \
        ", ".join(_label(m, "en", vocab) for m in ratios)
    return Unread(f"{names}是比率，没有{what_zh}的口径；请直接问这段时间的{names}" if lang == "zh"
                  else f"{names} is a ratio, with no {what_en}; ask for the period's {names} "
                  "itself", lang)


def _per_day_unread(metrics: list[str], by: list[str], compare: object, other: object,
                    vocab: Vocabulary, lang: str) -> Unread | None:
    """Why an average per day cannot be answered as asked, or None: it averages counts and
    sums (not a ratio such as AOV) over the whole store, with nothing else asked of it."""
    if ratio := _ratio_unread(metrics, vocab, lang, "按天平均", "average per day"):
        return ratio
    if compare is not None or other or [d for d in by if d != "day"]:
        return Unread("按天平均目前只能单独问（不分组、不对比、不排名）；请分开问" if lang == "zh" else
                      "an average per day can only be asked on its own for now (no split, "
                      "comparison or ranking); ask for each part separately", lang)
    return None


# an average over the days with an order: "平均每个出单日几单", "orders per trading day",
# "有销售的日子平均每天几单", "a day on average, counting only days with sales"
_PER_TRADING_DAY = re.compile(
    r"(?:每|每个|每一个)(?:出单|营业|交易|开单|开张|有单的?|有销售的?)(?:日|天)|有(?:销售|订单|单|出单|成交)"
    r"的(?:日子|天)|(?:只|仅)?(?:算|按)(?:开张|营业|交易|出单|开单|有单)的?(?:日子|日|天)|\bper (?:trading|business|"
    r"selling) day\b|\ba (?:trading|business|selling) day\b|\b(?:trading|business|selling) days?\b"
    r"|\bdays? with (?:any |a |an )?(?:sales?|orders?)\b"
    # "刨去没开张的日子", "leaving out days we sold nothing": the days without sales left out
    r"|(?:刨去|除去|除了|去掉|扣除|不算|不含|排除)(?:那些)?(?:没|没有|未)(?:开张|营业|出单|开单|卖货|卖出东西|销售|订单|单子?)"
    r"的?(?:日子|那些天|天数?)|\b(?:leaving out|excluding|not counting|ignoring|without|skipping) (?:the )?"
    r"days? (?:with no (?:sales?|orders?)|(?:we|when we|that we) (?:sold nothing|were closed|had no "
    r"(?:sales?|orders?))|we were shut)\b", re.I)
# an average over every day of the period: "按自然日平均", "per calendar day"
_PER_CALENDAR_DAY = re.compile(r"自然日|日历日|\bcalendar days?\b|\bevery day of\b", re.I)
# the words of an average per day ("平均每天", "日均", "a day on average")
_AVERAGE_DAY = re.compile(
    r"平均(?:每|一)(?:个)?(?:天|日|出单日|营业日|交易日|开单日)|日均|每(?:个)?(?:天|日|出单日|营业日|交易日)"
    r"平均|\b(?:an? |per )?average (?:trading |business |calendar )?day\b|\bper (?:trading |"
    r"business |selling |calendar )?day\b|\bdaily average\b|\baverage daily\b|\ba day on average\b|\bon average "
    r"(?:per|a|each) (?:trading |business |calendar )?day\b|\baverage\b.{0,40}\b(?:per|a|each) "
    r"(?:trading |business |selling |calendar )?day\b|\bavg\b.{0,40}\bper (?:trading |business |"
    r"selling |calendar )?day\b", re.I)


def _per_day(text: str) -> str | None:
    """Which days an average per day divides by, when the question says it: "trading" (the
    days with an order) or "calendar"; None when there is no average per day, or the days are
    not said (asked back)."""
    trading = _PER_TRADING_DAY.search(text)
    if trading and re.match(r"(?:每|每个|每一个)|\bper\b|\ba\b", trading[0], re.I):
        return "trading"  # "每个出单日", "per trading day": the average and its days at once
    if not _AVERAGE_DAY.search(text):
        return None
    if trading:
        return "trading"
    return "calendar" if _PER_CALENDAR_DAY.search(text) else None


# a list closing the question after a colon: each one asked about ("今年客单价：法国、德国、西班牙？")
_LISTED_AFTER_COLON = re.compile(r"[:：][^:：]*(?:、|,|，|\band\b|和)[^:：]*$", re.I)
# "orders that had at least one CHRISTMAS item in them": orders holding the product
_AT_LEAST_ONE_ITEM = re.compile(r"\bat least (?:one|1|a single) (?=(?:[\w'-]+ ){0,3}(?:items?|products?|"
                                r"pieces?|lines?|skus?|units?)\b)", re.I)
# the orders that hold a product, measured whole: "带JUMBO BAG的订单，整单平均金额", "orders with a
# jumbo bag in them - average value of the whole order"
_WHOLE_ORDER = re.compile(
    r"整单|整张单|整个订单|整笔订单|\b(?:whole|entire|full|complete) (?:orders?|baskets?)\b|"
    r"\b(?:whole|entire|full) order value\b|\borders? (?:with|containing|that (?:had|included|"
    r"contained|held)) (?:an? |any |at least one )?[^?]{1,40}? in (?:it|them)\b", re.I)
# everything but the top N: "上个月去掉前十大客户（按消费金额），剩下的销售额", "Nov sales excluding our
# top 10 customers by spend"
_TOP_LEFT_OUT = re.compile(
    r"(?:去掉|除去|除了|剔除|不算|排除|扣除|扣掉|刨去|刨除)(?:掉)?(?:前|头)\s*([\d一二两三四五六七八九十]+)\s*"
    r"(?:大|名|个|位|家)?的?(客户|顾客|买家|商品|产品|货号|国家)"
    r"|\b(?:excluding|without|leaving out|except(?: for)?|minus|not counting|ex\.?|less) (?:our |the )?"
    r"(?:top|biggest|largest|best) (\d+|one|two|three|four|five|six|seven|eight|nine|ten|twelve|"
    r"fifteen|twenty|fifty|hundred) (customers|buyers|accounts|shoppers|products|items|skus|"
    r"countries|markets)\b", re.I)

# "去年最后一个营业日", "our last trading day of 2010", "the first business day of March"
_TRADING_DAY = re.compile(
    r"(?:最后|第一|头)一?个?(?:营业日|交易日|销售日|开单日|有单的日子|有订单的日子)"
    r"|(?:开门|开张|营业|做生意)[^，,。？?]{0,6}?(?:的)?第一天"
    r"|\b(?:last|final|first) (?:trading|business|selling) day\b"
    r"|\b(?:last|final|first) day (?:of trading|we (?:traded|sold|opened)|"
    r"with (?:any |an? )?(?:orders?|sales?))\b", re.I)


def _on_trading_day(when: PeriodReading, said: re.Match[str], values: StoreValues,
                    as_of: dt.date) -> PeriodReading:
    """The period narrowed to its first or last day with an order (all the data's, when no
    period is named); as read when the period has no such day (its answer is "no data")."""
    period = when.period
    days = [d for d in values.trading_days() if d <= as_of and (
        period is None or ((period.start is None or d >= period.start)
                           and (period.end is None or d <= period.end)))]
    if not days:
        return when
    first = bool(re.search(r"第一|头|first", said[0], re.I))
    day = days[0] if first else days[-1]
    within_en = f" of {period.label_en}" if period and not period.is_all else ""
    within_zh = period.label_zh if period and not period.is_all else ""
    on_day = Period(day, day, f"{day}, the {'first' if first else 'last'} trading day{within_en}",
                    f"{day}（{within_zh}{'第一个' if first else '最后一个'}营业日）")
    return replace(when, period=on_day, periods=(on_day, *when.periods[1:]))


def _names_compared(text: str, names: tuple[str, ...]) -> tuple[str, str] | None:
    """The country (channel, category) asked about and the one it is set against, when one is
    compared with the other ("荷兰比澳洲", "the Netherlands vs Australia", "ahead of Australia
    is the Netherlands", "web渠道的单量是app的几倍"); None when they are only named together."""
    low = text.lower()

    def mention(name: str) -> tuple[int, int]:
        # a Latin name as a whole word ("AT" is no mention in "what"), a Chinese one anywhere
        spans = [m.span() for a in (name, *COUNTRY_ALIASES.get(name, ())) if len(a) >= 2
                 if (m := re.search(rf"(?<![a-z]){re.escape(a.lower())}(?![a-z])", low))]
        return min(spans) if spans else (-1, -1)

    return _pair_compared(text, (names[0], mention(names[0])), (names[1], mention(names[1])))


# "23298 那款…的件数里，英国以外占几成", "of the 23298 units sold this year, what share went
# outside the UK": the words before 里 / after "of the" name the whole
_WHOLE_CLAUSE = re.compile(r"^(.{2,40}?)(?:里|当中|之中|里面|里头)\s*[，,]"
                           r"|^\W*(?:of|among|out of) (?:the |all )?([^,?]{2,60}?),", re.I)


def _whole_dims(text: str, filters: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """The dimensions of the filters named in a share's whole ("X里，…占几成", "of X, …")."""
    clause = _WHOLE_CLAUSE.search(text)
    if not clause:
        return ()
    inside = (clause[1] or clause[2]).lower()

    def said(dim: str, value: str) -> bool:
        names = (value, *COUNTRY_ALIASES.get(value, ())) if dim == "country" else (value,)
        return any(len(n) >= 2 and re.search(rf"(?<![a-z0-9]){re.escape(n.lower())}(?![a-z0-9])",
                                             inside) for n in names)

    return tuple(d for d, values in filters.items()
                 if d in ("sku", "country", "customer", "order")
                 and any(said(d, v) for v in values))


def _codes_compared(text: str, codes: tuple[str, ...]) -> tuple[str, str] | None:
    """The customer or product (by its number or code) asked about and the one set against it
    ("17949和17511谁下的单多，多几单", "which moved more units, 23203 or 22386, and by how
    many"); None when they are only named together."""
    def mention(code: str) -> tuple[int, int]:
        m = re.search(rf"(?<![A-Za-z0-9]){re.escape(code)}(?![A-Za-z0-9])", text, re.I)
        return m.span() if m else (-1, -1)

    return _pair_compared(text, (codes[0], mention(codes[0])), (codes[1], mention(codes[1])))


# "谁下的单多？多几单", "who … more …, and by how many": the first named against the second
_WHICH_AHEAD = re.compile(r"谁|哪个|哪一个|哪位|哪家|\bwho\b|\bwhich\b", re.I)
_BY_HOW_MUCH = re.compile(r"多几|多多少|高多少|多出多少|少多少|低多少|少几|\bby how (?:many|much)\b|"
                          r"\bhow (?:many|much) (?:more|fewer|less)\b", re.I)


_TIMES_OF = re.compile(r"几倍|多少倍|\bmultiples? of\b|\bhow many times\b|\btimes (?:as|more|bigger|"
                       r"larger|higher)\b|\bratio\b", re.I)


def _pair_compared(text: str, a: tuple[str, tuple[int, int]], b: tuple[str, tuple[int, int]]
                   ) -> tuple[str, str] | None:
    """Of two values named at the (start, end) given, the one asked about and the one it is
    set against, when the words compare them; None when they are only named together."""
    (_, (a_start, _)), (_, (b_start, _)) = a, b
    if a_start < 0 or b_start < 0:
        return None
    (first, (_, f_end)), (second, (s_start, s_end)) = sorted([a, b], key=lambda v: v[1][0])
    start_first = min(a_start, b_start)
    if _COMPARED.search(text[f_end:s_start]) and not re.search(r"和|与|及|、|\band\b|&",
                                                                  text[f_end:s_start]):
        return first, second
    if re.search(r"(?:ahead of|behind|than|compared (?:with|to)|against|versus|vs\.?)\s*(?:the\s+)?$",
                 text[:start_first], re.I):
        return second, first
    if re.search(r"(?:跟|和|与|同)\s*$", text[f_end:s_start]) and re.match(
            r"\s*(?:的\S{0,6})?(?:相比|比|对比|比较|差)", text[s_end:]):
        return first, second  # "挪威的出货件数跟瑞典比差多少"
    if re.search(r"^\s*(?:和|与|跟|\band\b|&)\s*(?:the\s+)?$", text[f_end:s_start], re.I) and re.search(
            r"差了?多少|相差|差距|差几|差别|差异|\bdifference\b|\bgap\b|\bdiffer", text, re.I):
        return first, second  # "奥地利和丹麦的客单价差了多少", "the gap between X and Y"
    if _WHICH_AHEAD.search(text) and _BY_HOW_MUCH.search(text):
        return first, second  # "17949和17511谁下的单多？多几单"
    if _TIMES_OF.search(text) and not re.search(r"和|与|及|、|\band\b|&", text[f_end:s_start]):
        return first, second  # "德国的单子是法国的几倍", "Germany's orders as a multiple of France's"
    return None


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


def _outside_periods(low: str, when: PeriodReading, as_of: dt.date) -> str:
    """The question without the words that named its periods, as read (years spelt out)."""
    text = years_named(low, as_of)
    for said in when.matched:
        text = text.replace(said, " ")
    return text


def _superlative_metric(text: str, hits: list[tuple[int, str, str]]) -> str | None:
    """The metric a superlative is said of ("花钱最多的客户", "our top spender", "下单最多",
    "the most orders"): the ranking's measure, wherever the question puts it."""
    for sup in (*_HIGH.finditer(text), *_LOW.finditer(text)):
        for pos, metric, phrase in hits:
            between = text[pos + len(phrase):sup.start()] if pos < sup.start() \
                else text[sup.end():pos]
            if _TOUCHING.fullmatch(between):
                return metric
    return None


def _ranked_and_valued(text: str, metrics: list[str], hits: list[tuple[int, str, str]],
                       by: list[str], lang: str) -> tuple[list[str], str | None] | AskBack:
    """A ranking's metrics, the one ranked by first, and the one whose value answers when it
    is another ("花钱最多的客户下了几单": ranked by sales, answered in orders). "Our biggest
    customer" with no measure said is asked back: by spend, or by orders?"""
    ranked_by = _superlative_metric(text, hits)
    if by[:1] and by[0] in _BIGGEST_GROUP and ranked_by is None:
        said, en, zh, ranks, reason_en, reason_zh = _BIGGEST_GROUP[by[0]]
        choice = _answered(text, en, zh)
        stem = text[:text.rindex(choice)] if choice else text
        asked = list(dict.fromkeys(m for pos, m, _ in hits if pos < len(stem))) if choice \
            else metrics
        if said.search(stem) and "gmv" not in asked and not re.search(r"\bby\s|按", stem):
            if choice is None:
                return AskBack(reason_en, reason_zh, en, zh, lang)
            ranked_by = ranks[en.index(choice) if choice in en else zh.index(choice)]
            return [ranked_by, *(m for m in asked if m != ranked_by)], next(
                (m for m in asked if m != ranked_by), None)
    if ranked_by in metrics:
        metrics = [ranked_by, *(m for m in metrics if m != ranked_by)]
    return metrics, next((m for m in metrics[1:] if m != metrics[0]), None)


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
        r"哪些|几个|一些|些|(?<![我咱你他])们|都", low))
    if _LOW.search(low) or _HIGH.search(low):
        return side, 1 if singular else 10
    if _RANK_ALL.search(low):
        return "top", 1000
    return None


def _lapsed(text: str, when: PeriodReading, values: StoreValues, as_of: dt.date,
            lang: str, measured: tuple[str, ...]) -> AskQuery | AskBack | None:
    """Customers who ordered before a window and not in it ("which customers haven't ordered in
    the last 90 days"), or in one period and not in another; asked back when no window is said
    ("haven't ordered in ages"). With one metric ``measured``, that metric over their orders
    ("November sales from customers who hadn't ordered in October"). None when the question is
    not of that shape: products, filters or a first or never-ordered reading are left to the
    rules after."""
    said: dict[Period, str] = {}  # "上个月…11月": one period said twice, first words kept
    for period, words in zip(when.periods, when.matched, strict=False):
        said.setdefault(period, words)
    periods, matched = list(said), list(said.values())
    share = bool(_SHARE.search(text.lower()) or re.search(r"%|百分", text))
    listed = bool(re.search(r"哪些|哪几|哪位|名单|谁|\bwhich\b|\blist\b|^\W*who\b", text, re.I)
                  ) and not share and not re.search(
        r"多少|几个|\bhow many\b|\bnumber of\b|\bcount\b", text, re.I)
    # "哪些客户流失了": the customers lost, with no window said
    negation = _NOT_ORDERED.search(text) or (
        _CHURN.search(text) if listed and not periods else None)
    if not negation or not _LAPSED_WHO.search(text) or _NEVER.search(text) or \
            _PRODUCT_SAID.search(text) or any(_value_filters(text, values, [])) or \
            re.search(r"(?<![\d-])\d{5,}", text) or len(periods) > 2:
        return None
    if len(periods) == 2:
        # the period the negation governs has no order: the one after it in English ("but
        # not in Q2"), the one before it in Chinese ("11月没再买")
        spots = [text.lower().find(m.lower()) for m in matched]
        if len(spots) < 2 or max(spots) < 0:
            return None
        if min(spots) < 0:  # words rewritten ("去年12月" read as "2010年12月"): next to the other
            spots = [spots[0], spots[0] + 1] if spots[1] < 0 else [spots[1] - 1, spots[1]]
        after = [i for i in (0, 1) if spots[i] >= negation.end()]
        before = [i for i in (0, 1) if spots[i] < negation.start()]
        near = (after[0] if after else before[-1]) if lang == "en" else \
            (before[-1] if before else after[0])
        base, window = periods[1 - near], periods[near]
        if base.is_all or window.is_all or window.start is None:
            return None
    elif periods and _AFTERWARDS.search(text) and periods[0].end is not None and \
            periods[0].end < as_of:
        # "customers of March who never came back": no order from the day after it to today
        base = periods[0]
        after = base.end + dt.timedelta(days=1)
        window = Period(after, as_of, f"since {after}", f"{after}以来")
    else:
        window = periods[0] if periods else None
        if window is None and (n := _LAPSED_FOR.search(text)):
            count, unit = (n[1], n[2]) if n[1] else (n[3], n[4])
            number = (0.5 if count == "半" else zh_number(count) if not count.isascii()
                      else 1 if count.lower() in ("a", "an") else en_number(count))
            unit = _LAPSED_UNITS[unit.lower()]
            if unit == "year" or number == 0.5:
                number, unit = int(number * 12), "month"
            window = last_n(int(number), unit, as_of)
        if window is None or window.is_all or window.start is None:
            return AskBack("Not ordered since when? Which window counts as gone quiet?",
                           "多久没下单算？请问看哪段时间？",
                           tuple(en for en, _ in LAPSED_WINDOWS),
                           tuple(zh for _, zh in LAPSED_WINDOWS), lang)
        before = window.start - dt.timedelta(days=1)
        base = (Period(None, before, f"up to {before}", f"{before}及以前") if window.end
                and window.end >= as_of else Period(None, None, "at any time", "任何时候"))
    if _CUSTOMER_TYPE.search(text) or len(measured) > 1 or (measured and (share or listed)):
        return None
    return AskQuery(measured or ("customers",), base, language=lang, share=share,
                    by=("customer",) if listed else (), not_in=window)


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
    # "Benelux", "比荷卢", "DACH": each of the group's countries the store has
    for pos, group, phrase in find_phrases(text, {k: k for k in COUNTRY_GROUPS}):
        if phrase.isascii() and not re.fullmatch(r"[A-Z]+|[A-Z][a-z]+(?: [a-z]+)?", phrase) \
                and phrase.lower() != phrase:
            continue
        hits += [(pos, len(phrase), "country", c) for c in COUNTRY_GROUPS[group]
                 if c in values.countries]
    hits.sort(key=lambda h: h[0])
    excluded = _excluded(text, [(pos, pos + size) for pos, size, _, _ in hits])
    for (_, _, dim, value), out in zip(hits, excluded, strict=True):
        target = exclude if out else filters
        target.setdefault(dim, [])
        if value not in target[dim]:
            target[dim].append(value)
    return ({k: tuple(v) for k, v in filters.items()}, {k: tuple(v) for k, v in exclude.items()})


def _excluded(text: str, spans: list[tuple[int, int]]) -> list[bool]:
    """Whether each named value (``spans``, in text order) is left out: an exclusion word
    before it (since the value before) or after it ("英国以外", "leaving the UK out"), for
    every item of a list alike ("英国、德国、法国以外", "other than the UK, Germany and France")."""
    groups: list[list[int]] = []
    for i, (start, _end) in enumerate(spans):
        if groups and _LIST_JOIN.match(text[spans[i - 1][1]:start]):
            groups[-1].append(i)
        else:
            groups.append([i])
    out = [False] * len(spans)
    for n, group in enumerate(groups):
        start, end = spans[group[0]][0], spans[group[-1]][1]
        since = spans[groups[n - 1][-1]][1] if n else 0
        before, after = text[max(since, start - _EXCLUDE_REACH):start], text[end:]
        left_out = bool(_EXCLUDE.search(before) or _EXCLUDE_AFTER.search(after)
                        or (_LEAVE_BEFORE.search(before) and _OUT_AFTER.match(after)))
        for i in group:
            out[i] = left_out
    return out


_ACRONYMS = {"GMV", "AOV", "SKU", "ASP", "UPT", "ROAS", "CAC", "MTD", "YTD", "YOY", "MOM", "QOQ",
             "WOW", "USA", "UAE", "RSA", "EIRE", "COGS", "CSV", "XLSX"}
_CAPITALS = re.compile(r"(?<![A-Za-z0-9])([A-Z][A-Z0-9\-]{2,}(?: [A-Z][A-Z0-9\-]{2,})*)(?![A-Za-z0-9])")


def _name_words(text: str, values: StoreValues | None = None) -> tuple[str, ...]:
    """A product-name word the question names: after a cue ("含 HEART 的", "containing
    'LUNCH'"), or, where the store's product names are known, a word in capitals that some
    name holds ("买过 RETROSPOT 的东西")."""
    for pattern in _NAME_WORDS:
        m = pattern.search(text)
        if m:
            word = m.group(1).strip()
            if values is not None and word in values.product_ids and _CODE_AFTER.match(
                    text, m.start(1) + len(word)):
                continue  # "included POST (postage)": the code, not a word in names
            if word and word.upper() not in _ACRONYMS:
                return (word,)
    if values is not None and values.product_names:
        for m in _CAPITALS.finditer(text):
            word = m[1]
            if (word not in _ACRONYMS and word not in values.product_ids
                    and not (_CODE_BEFORE.search(text[:m.start()]) and " " not in word)
                    and values.names_with(word)):  # "圣诞球（BAUBLE）", "(HAND WARMER)": a name
                return (word,)
    return ()


# "名字带CHRISTMAS但不带TREE", "leaving out anything with TREE in the name"
_NAME_LEFT_OUT = re.compile(
    r"(?:不带|不含|不包括|不包含|排除|去掉|除去|除了)(?:名字|名称)?里?(?:带|含|有)?的?\s*[\"“'‘「]?"
    r"([A-Z][A-Z0-9\-]{2,}(?: [A-Z][A-Z0-9\-]{2,})*)"
    r"|(?i:leaving out|leave out|without|excluding|except|but not|not)\s+"
    r"(?:(?i:anything|any|items?|products?|those|ones)\s+)?"
    r"(?:(?i:with|containing|named|that (?:have|has|contain))\s+)?(?:the word\s+)?[\"“'‘]?"
    r"([A-Z][A-Z0-9\-]{2,}(?: [A-Z][A-Z0-9\-]{2,})*)")


def _name_words_left_out(text: str, values: StoreValues) -> tuple[tuple[str, ...], str]:
    """Words of product names said as left out, and the text without them (so the words
    kept are read from what is left). A word counts only when some product name holds it
    and it is no product code or country ("excluding EIRE" is a country)."""
    words, kept = [], text
    countries = {c.upper() for c in values.countries}
    for m in _NAME_LEFT_OUT.finditer(text):
        word = m[1] or m[2]
        if (word in values.product_ids or word in countries or word in _ACRONYMS
                or not values.names_with(word)):
            continue
        words.append(word)
        kept = kept[:m.start()] + " " * (m.end() - m.start()) + kept[m.end():]
    return tuple(dict.fromkeys(words)), kept


def _said_as_name(text: str, start: int, end: int) -> bool:
    """Whether a word in capitals is said as a word in product names ("含 POST 的商品",
    "POSTAGE items"), not as the store's code of the same letters ("sales of POST")."""
    return any(m.start(1) <= start and end <= m.end(1)
               for pattern in _NAME_WORDS for m in pattern.finditer(text))


def _product_phrase(text: str, values: StoreValues, metric_hits
                    ) -> tuple[str, ...] | AskBack:
    """A product named in lower case ("included a lunch bag", "the hanging heart t-light
    holder"): the longest run of two or more words that some product name holds. Said as one
    product ("the …") while several names hold it: asked back with those products."""
    if CJK.search(text):
        return ()
    words = list(_PHRASE_WORD.finditer(text))
    spans = [(a, a + len(p)) for a, _, p in metric_hits]
    for size in range(min(6, len(words)), 1, -1):
        for i in range(len(words) - size + 1):
            run = words[i:i + size]
            first, last = run[0][0].lower(), run[-1][0].lower()
            if first in _NOT_NAME_WORDS or last in _NOT_NAME_WORDS:
                continue
            start, end = run[0].start(), run[-1].end()
            if not re.fullmatch(r"[A-Za-z0-9'\- ]+", text[start:end]):
                continue
            if any(a < end and start < b and b - a <= 30 for a, b in spans):
                continue  # a metric's words ("units sold"), not a sentence pattern around them
            if not (_PRODUCT_CUE_BEFORE.search(text[:start])
                    or _BUYERS_AFTER.match(text[end:])):
                continue
            if sum(w[0].lower() not in _NOT_NAME_WORDS for w in run) < 2:
                continue
            phrase = text[start:end]
            names = values.names_with(phrase)
            if not names:
                continue
            distinct = sorted(set(names))
            if len(distinct) > 1 and _ONE_PRODUCT_BEFORE.search(text[:start]):
                shown = distinct[:6]
                return AskBack(
                    f"Several products match \"{phrase}\": which one do you mean, or all of "
                    "them together?", f"有多个商品与“{phrase}”相符：请问是哪一个，还是全部合计？",
                    (*shown, f"all products whose name contains \"{phrase}\""),
                    (*shown, f"名称含“{phrase}”的全部商品"))
            return (values.name_form(phrase) or phrase.upper(),)
    for m in re.finditer(r"\b([A-Za-z][A-Za-z0-9'\-]{2,})\s+(?:products|items|range|stuff|"
                         r"goods|merchandise|gear)\b",
                         text):  # one word before "products": "T-light products", "Christmas stuff"
        if (m[1].lower() not in _NOT_NAME_WORDS and m[1].lower() not in _NUMBER_WORDS
                and values.name_form(m[1])):
            return (values.name_form(m[1]),)
    return ()


# "September's orders", "this year's revenue": a period's, not whose
_PERIOD_POSSESSIVE = re.compile(
    r"\b(?:january|february|march|april|may|june|july|august|september|october|november|"
    r"december|q[1-4]|year|month|week|quarter|today|yesterday|day|h[12]|\d{4})(?:'s|’s)\s+"
    r"(?:[\w-]+\s+)?$", re.I)
_NOUNS = {"orders": ("orders", "订单", "单子", "首单"),
          "customers": ("customers", "shoppers", "buyers", "客户", "顾客", "买家", "客人")}


_PER_ORDER = {"aov", "units_per_order"}
_PER_CUSTOMER = {"spend_per_customer", "orders_per_customer", "units_per_customer"}


def _drop_whose_nouns(text: str, hits: list[tuple[int, str, str]]
                         ) -> list[tuple[int, str, str]]:
    """"AOV for non-UK orders", "英国以外订单的客单价", "海外客户贡献的销售额": "orders" or
    "customers" says whose, not a metric of its own, when another metric is asked for."""
    if len({m for _, m, _ in hits}) < 2:
        return hits
    kept = []
    for pos, metric, phrase in hits:
        end = pos + len(phrase)
        others = [h for h in hits if h[1] != metric]
        if re.search(r"(?:不含|不算|不计|不包括|除了|除去|去掉|扣掉|扣除|刨除|excluding|without|"
                     r"except|leaving out)\s*(?:the\s+)?$", text[:pos], re.I) and others:
            continue  # "不含运费类（POST）": what is left out, not a metric
        others = [h for h in others if h[1] not in _CUSTOMER_TYPES]  # "新客占多少": a filter
        later = [h for h in others if h[0] >= end]
        between = text[end:later[0][0]] if later else ""
        if phrase.lower() in _NOUNS.get(metric, ()) and (
                # "平均一单金额比老客的单子高", "orders bigger on average": what is averaged
                (metric == "orders" and any(h[1] in _PER_ORDER for h in others))
                or (metric == "customers" and any(h[1] in _PER_CUSTOMER for h in others))
                or (re.match(r"[^，,。？?\s]{0,8}?(?:的|贡献|带来|产生|创造|花)", text[end:]) and later)
                or (later and len(between) <= 12 and not re.search(
                    r"和|与|及|、|跟|以及|还有|\band\b|\bor\b|\bvs\b|/", between)
                    and CJK.search(phrase))
                or re.search(r"给\s*$", text[:pos])
                or (later and re.match(r"\s*(?:only\b|alone\b|[(（])", text[end:], re.I))
                # "which SKUs have overseas orders taken the most units": who did the taking
                or (later and re.match(r"\s+(?:(?:have|has|had|did)\s+)?(?:taken|took|take|bought|buy|"
                                       r"ordered|purchased|purchase)\b", text[end:], re.I)
                    and re.search(r"\b(?:have|has|had|did|do|does)\s+(?:[\w'’-]+\s+){0,3}$",
                                  text[:pos], re.I))
                or (re.search(r"(?:'s|s'|’s|s’)\s+(?:[\w-]+\s+)?$", text[:pos]) and others
                    and not _PERIOD_POSSESSIVE.search(text[:pos]))
                or (re.search(r"\b(?:for|of|on|from|by|in|across|among|with|to|only)\s+(?:[\w'’-]+\s+){0,3}$",
                              text[:pos], re.I) and others
                    and not re.search(r"\b(?:most|fewest|least|highest|lowest|more|fewer|less)\s+$",
                                      text[:pos], re.I))):
            continue
        kept.append((pos, metric, phrase))
    return kept


def _product_codes(text: str, values: StoreValues) -> list[tuple[str, bool]]:
    """Product codes the store has that the question names ("85123A", "(POST)"), each with
    whether it is left out ("邮费（POST）不算")."""
    if not values.product_ids:
        return []
    found: dict[str, tuple[int, int]] = {}
    for m in _CODE_TOKEN.finditer(text):
        token = m[1]
        if not any(c.isdigit() for c in token) and not (  # a word-like code: said as a code
                token.isupper() and (_CODE_BEFORE.search(text[:m.start()]) or len(token) >= 3 and (
                    (_BRACKET_BEFORE.search(text[:m.start()]) and _BRACKET_AFTER.match(
                        text[m.end():]))
                    or _in_code_list(text, m.start(), m.end())
                    or _CODE_AFTER.match(text, m.end())
                    or not _said_as_name(text, m.start(), m.end())))):
            continue
        for candidate in (token, token.upper()):
            if candidate in values.product_ids and not re.fullmatch(r"\d{1,4}", candidate):
                found.setdefault(candidate, m.span())
                break
    return list(zip(found, _excluded(text, list(found.values())), strict=True))


def _order_numbers(text: str, values: StoreValues) -> list[tuple[str, bool]]:
    """Orders named by number ("leaving out order 581483", "把536365那一单刨掉"), each with
    whether it is left out; a number that is one of the store's product codes is the product."""
    found: dict[str, tuple[int, int]] = {}
    for m in _ONE_ORDER.finditer(text):
        group = next(i for i in range(1, 6) if m[i])
        if m[group] not in values.product_ids:
            found.setdefault(m[group], m.span(group))
    return list(zip(found, _excluded(text, list(found.values())), strict=True))


def _in_code_list(text: str, start: int, end: int) -> bool:
    """Whether a word stands in brackets that hold only codes ("（POST 和 DOT）", "(POST, DOT)")."""
    opening = max(text.rfind("(", 0, start), text.rfind("（", 0, start))
    closing = [i for i in (text.find(")", end), text.find("）", end)) if i >= 0]
    if opening < 0 or not closing or re.search(r"[)）]", text[opening + 1:start]):
        return False
    inside = text[opening + 1:min(closing)]
    items = [w for w in re.split(r"\s*(?:、|,|，|/|&|和|与|及|以及|\band\b|\bor\b)\s*|\s+", inside)
             if w]
    return len(items) > 1 and all(re.fullmatch(r"[A-Z0-9][A-Z0-9\-]*", w) for w in items)
