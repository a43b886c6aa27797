"""The written part of the finance report: sentences built from computed facts, and a checker
that rejects any text whose numbers are not among those facts.

The template path needs no model and is always available. A model (when one is configured) may
rewrite the text for fluency; :func:`checked_narrative` keeps the rewrite only if every number
in it is one of the facts, and says which path produced the final text.

A number is checked with its sign and its direction. A negative fact is written with a minus
sign ("−53.60") or after a word of falling ("down 12.3%", "fell by USD 34.50", "下降 12.3%",
"an operating loss of 53.60"); written bare, or after a word of rising, it is not that fact.
So a fall can never read as a rise, in the template or in a model's rewrite.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from shopkeeper.llm.grounding import check_language
from shopkeeper.llm.prompts import render_prompt
from shopkeeper.llm.untrusted import markup_in, mask

if TYPE_CHECKING:
    from shopkeeper.llm import LLM

LANGS = ("en", "zh")
# a number may follow a Chinese character directly (下降61.1%), but not a Latin letter (Q1)
_NUMBER = re.compile(r"(?<![A-Za-z0-9_.])[-+−]?\d[\d,]*(?:\.\d+)?%?")
# words that give the number after them (or, for a few, before them) a direction
_FALL = ("down", "fell", "fall", "falls", "fallen", "drop", "dropped", "drops", "decline",
         "declined", "declines", "decrease", "decreased", "decreases", "lower", "loss",
         "shrank", "shrunk", "下降", "减少", "下滑", "降低", "下跌", "亏损", "回落", "缩减")
_RISE = ("up", "rose", "rise", "rises", "risen", "grew", "grow", "growth", "gain", "gained",
         "increase", "increased", "increases", "higher", "增长", "增加", "上升", "提高", "上涨",
         "提升")
_WORD = "|".join(sorted(map(re.escape, (*_FALL, *_RISE)), key=len, reverse=True))
# a direction word, then only filler up to the number: "down", "fell by USD", "下降了"
_BEFORE = re.compile(
    rf"(?<![A-Za-z])((?i:{_WORD}))(?![A-Za-z])\s*"
    r"(?:(?i:by|of|about|some|around|roughly|nearly|almost|an|a)\b|了|约|近)?\s*"
    r"(?:[A-Z]{3}|[¥￥$£€])?\s*$")
# the number, then a direction word: "12.3% lower", "a 12.3% drop", "12.3%的下降"
_AFTER = re.compile(rf"^\s*(?:[A-Z]{{3}}\s*)?的?\s*((?i:{_WORD}))(?![A-Za-z])")


@dataclass(frozen=True)
class Fact:
    """One computed value the narrative may state. ``unit``: money, count, ratio (a share or a
    change, written as a percentage), number, date, or text (a name or label, whose own
    digits, like a SKU code, may appear too)."""

    value: float | dt.date | str
    unit: str


def magnitude(value: float, unit: str) -> str:
    """A fact's size without its sign, for after a word that gives the direction ("down
    12.3%"): money with two decimals, counts whole, ratios as percentages."""
    if unit == "ratio":
        return f"{abs(value):.1%}"
    if unit == "count":
        return f"{abs(value):,.0f}"
    return f"{abs(value):,.2f}"


def fmt(value: float, unit: str) -> str:
    """How a fact is written on its own: its magnitude, with a minus sign when negative."""
    return ("−" if value < 0 else "") + magnitude(value, unit)


_ANY = "*"  # a date's or a name's digits: no sign to keep


def _allowed(facts: dict[str, Fact]) -> dict[str, set[str]]:
    """Every spelling of every fact's number that a text may contain, normalised, with the
    signs it has among the facts (``+``, ``-``, ``0``, or ``*`` for any)."""
    allowed: dict[str, set[str]] = {}

    def add(token: str, sign: str) -> None:
        allowed.setdefault(_normalise(token), set()).add(sign)

    for fact in facts.values():
        if fact.unit == "text":
            for t in _NUMBER.findall(str(fact.value)):
                add(t, _ANY)
            continue
        if isinstance(fact.value, dt.date):
            d = fact.value
            for t in (str(d.year), str(d.month), str(d.day), str(d.isocalendar()[1])):
                add(t, _ANY)
            continue
        value = float(fact.value)
        if value != value:  # NaN: nothing to state
            continue
        sign = "+" if value > 0 else "-" if value < 0 else "0"
        scaled = abs(value) * 100 if fact.unit == "ratio" else abs(value)
        suffix = "%" if fact.unit == "ratio" else ""
        for decimals in (0, 1, 2):
            add(f"{scaled:.{decimals}f}{suffix}", sign)
    return allowed


def _written_sign(text: str, match: re.Match) -> str | None:
    """The sign a number is written with: its own (``-``, ``+``), else the direction of the
    word just before or after it, else None (written bare: a positive amount)."""
    token = match.group()
    if token[0] in "-−":
        return "-"
    if token[0] == "+":
        return "+"
    before = text[max(0, match.start() - 40):match.start()]
    word = _BEFORE.search(before) or _AFTER.match(text[match.end():match.end() + 20])
    if word:
        return "-" if word.group(1).lower() in _FALL else "+"
    return None


def _normalise(token: str) -> str:
    token = token.lstrip("+-−").replace(",", "")
    pct = token.endswith("%")
    number = token.rstrip("%")
    if "." in number:
        number = number.rstrip("0").rstrip(".")
    if number.isdigit():
        number = str(int(number))  # "05" for May is 5
    return number + ("%" if pct else "")


def unsupported_numbers(text: str, facts: dict[str, Fact]) -> list[str]:
    """The numbers in ``text`` that are not one of the facts (as written or rounded), or are
    one written with the wrong sign or direction ("12.3% (written as a rise; the data has a
    fall)")."""
    allowed = _allowed(facts)
    bad = []
    for match in _NUMBER.finditer(text):
        token = match.group()
        signs = allowed.get(_normalise(token))
        if signs is None:
            bad.append(token)
            continue
        if _ANY in signs or "0" in signs:
            continue
        written = _written_sign(text, match)
        if (written or "+") not in signs:
            said = {"-": "a fall or negative", "+": "a rise", None: "positive"}[written]
            has = "a fall or negative value" if "-" in signs else "a rise or positive value"
            bad.append(f"{token} (written as {said}; the data has {has})")
    return bad


@dataclass
class Narrative:
    """The final text, the path that produced it (``template`` or ``model``), and, when a
    model's text was thrown away, the numbers that got it rejected."""

    text: str
    path: str
    rejected_numbers: list[str] = field(default_factory=list)


def checked_narrative(
    facts: dict[str, Fact], lang: str, rewrite: Callable[[str, str], str] | None = None
) -> Narrative:
    """The template narrative, or ``rewrite(template_text, lang)`` when every number in the
    rewrite is a fact."""
    text = template_narrative(facts, lang)
    if rewrite is None:
        return Narrative(text, "template")
    # names come from the store's data (a product title can be written to the model): the
    # model rewords the text around them and never reads them
    masked = mask(text, [f.value for f in facts.values()
                         if f.unit == "text" and isinstance(f.value, str)])
    try:
        reworded = rewrite(masked.text, lang)
    except Exception as exc:  # a model that fails must not cost the report
        return Narrative(text, "template", [f"model failed: {exc}"])
    candidate = masked.unmask(reworded)
    bad = [] if candidate is not None else ["drops or invents a quoted name"]
    candidate = reworded if candidate is None else candidate
    bad += unsupported_numbers(candidate, facts)
    kept = {_normalise(t) for t in _NUMBER.findall(candidate)}
    bad += [f"leaves out {t}" for t in _NUMBER.findall(text) if _normalise(t) not in kept]
    bad += [f"adds {m!r}" for m in markup_in(candidate, [text])]
    if not bad and (wrong := check_language(candidate, lang)):
        bad = [wrong.detail]
    if bad or not candidate.strip():
        return Narrative(text, "template", bad or ["empty text"])
    return Narrative(candidate, "model")


def model_rewriter(llm: LLM) -> Callable[[str, str], str]:
    """A ``rewrite`` hook that asks ``llm`` to polish the template text (prompt files:
    ``finance/prompts/narrative.LANG.j2``); :func:`checked_narrative` still decides."""

    def rewrite(text: str, lang: str) -> str:
        prompt = render_prompt("shopkeeper.finance", "narrative", lang, text=text)
        return llm.chat(prompt, max_tokens=400).text.strip()

    return rewrite


# -- the templates -------------------------------------------------------------------------------
_T = {
    "en": {
        "headline": "In {period}, net revenue was {cur} {net_revenue}{vs_prev}{yoy}. {margin}"
                    "Operating profit was {cur} {operating_profit}, from {orders} orders{aov}.",
        "aov": " at an average of {cur} {aov}",
        "vs_prev": ", {dir_prev} {net_revenue_change_pct} on {prev_label}",
        "yoy": ", {dir_yoy} {net_revenue_yoy_pct} on a year earlier",
        "up": "up", "down": "down", "flat": "flat at",
        "margin": "Gross margin was {gross_margin}. ",
        "margin_partial": "Cost is known for only {cost_coverage} of sales, so gross margin "
                          "cannot be computed and the profit lines leave out the unknown costs "
                          "(on the sales with a known cost, the margin was {costed_margin}). ",
        "margin_none": "No sale has a known cost, so gross margin cannot be computed and the "
                       "profit lines leave out the cost of goods. ",
        "why": "Net revenue {moved} by {cur} {change}: volume (units sold) accounts for {cur} "
               "{volume_signed}, mix (which products sold) {cur} {mix_signed}, price "
               "{cur} {price_signed} and refunds {cur} {refunds_signed}.",
        "rose": "rose", "fell": "fell",
        "movers": "The biggest movers were {list}.",
        "mover": "{group} ({cur} {change})",
        "anomalies_none": "No daily metric left its expected range.",
        "sku_anomalies": " {n} SKUs sold far outside their usual range (see the SKU table).",
        "anomalies": "{n} unusual days: {list}.",
        "anomaly": "{metric} on {day} was {actual} against an expected {low}–{high}",
        "not_judged": " Not judged for anomalies: {list}.",
        "cannot_compute": "{metric} (cannot be computed)",
        "implausible": "{metric} (impossible values: a data problem to fix)",
        "short_history": "{metric} (too little history)",
        "watch": "Watch next: {list}.",
        "watch_item": "{metric} {dir} {pct}",
        "watch_none": "Watch next: nothing worsened by more than 5% on the previous period.",
        "outlook": "Over the {weeks} weeks from {start}, net revenue is forecast at {cur} {revenue} "
                   "(80% range {cur} {lo}–{hi}), against {cur} {purchases} of planned purchases.",
        "outlook_check": " Checked the same way on the {days} days to {end}, this outlook was off "
                         "by {error} ({cur} {forecast} forecast, {cur} {actual} sold).",
        "converted": "Amounts in other currencies are converted to {cur} at the configured "
                     "rates: {rates}.",
        "one_of": "This report covers the sales in {cur} only; amounts in {others} are never "
                  "added in (each currency is reported on its own; set fx_rates to convert).",
    },
    "zh": {
        "headline": "{period}净收入为 {cur} {net_revenue}{vs_prev}{yoy}。{margin}"
                    "经营利润 {cur} {operating_profit}，共 {orders} 笔订单{aov}。",
        "aov": "，客单价 {cur} {aov}",
        "vs_prev": "，较{prev_label}{dir_prev} {net_revenue_change_pct}",
        "yoy": "，同比{dir_yoy} {net_revenue_yoy_pct}",
        "up": "增长", "down": "下降", "flat": "持平",
        "margin": "毛利率 {gross_margin}，",
        "margin_partial": "仅 {cost_coverage} 的销售额有成本数据，无法计算毛利率，利润各行未扣除"
                          "未知的成本（有成本数据部分的毛利率为 {costed_margin}）；",
        "margin_none": "所有销售均无成本数据，无法计算毛利率，利润各行未扣除商品成本；",
        "why": "净收入{moved} {cur} {change}，其中销量（售出件数）贡献 {cur} {volume_signed}，"
               "结构（售出的商品组合）{cur} {mix_signed}，价格 {cur} {price_signed}，"
               "退款 {cur} {refunds_signed}。",
        "rose": "增加", "fell": "减少",
        "movers": "变化最大的是{list}。",
        "mover": "{group}（{cur} {change}）",
        "anomalies_none": "各项日指标均在预期范围内。",
        "sku_anomalies": "另有 {n} 个商品的销量远离常态（见商品表）。",
        "anomalies": "{n} 个异常日：{list}。",
        "anomaly": "{day} {metric}为 {actual}，预期 {low}–{high}",
        "not_judged": "未做异常判断：{list}。",
        "cannot_compute": "{metric}（无法计算）",
        "implausible": "{metric}（数值不可能出现，属数据问题，需修正）",
        "short_history": "{metric}（历史数据太短）",
        "watch": "接下来关注：{list}。",
        "watch_item": "{metric}{dir} {pct}",
        "watch_none": "接下来关注：与上期相比，没有指标恶化超过 5%。",
        "outlook": "自{start}起的 {weeks} 周，预计净收入 {cur} {revenue}（80% 区间 {cur} {lo}–{hi}），"
                   "计划采购 {cur} {purchases}。",
        "outlook_check": "用同样方法回测截至{end}的 {days} 天，该预测偏差 {error}"
                         "（预测 {cur} {forecast}，实际 {cur} {actual}）。",
        "converted": "其他币种的金额已按配置的汇率换算为 {cur}：{rates}。",
        "one_of": "本报告只含以 {cur} 结算的销售；以 {others} 结算的金额不计入本报告"
                  "（每种币种单独报告；配置 fx_rates 可换算合并）。",
    },
}


def _signed(value: float, unit: str) -> str:
    return ("−" if value < 0 else "+") + magnitude(value, unit)


def _date(d: dt.date, lang: str) -> str:
    return f"{d.year}年{d.month}月{d.day}日" if lang == "zh" else f"{d:%d %b %Y}"


def _known(facts: dict[str, Fact], key: str) -> bool:
    """Whether ``key`` is a fact with a value (not missing, not NaN)."""
    value = facts[key].value if key in facts else None
    return value is not None and not (isinstance(value, float) and value != value)


def _margin_sentence(facts: dict[str, Fact], t: dict[str, str]) -> str:
    """Gross margin when every cost is known; else how much is known, never a made-up margin
    (and nothing when there were no sales)."""
    if not _known(facts, "gross_margin") and not facts["orders"].value:
        return ""
    if _known(facts, "gross_margin"):
        return t["margin"].format(gross_margin=fmt(float(facts["gross_margin"].value), "ratio"))
    coverage = float(facts["cost_coverage"].value) if _known(facts, "cost_coverage") else 0.0
    if coverage > 0 and _known(facts, "costed_margin"):
        return t["margin_partial"].format(
            cost_coverage=fmt(coverage, "ratio"),
            costed_margin=fmt(float(facts["costed_margin"].value), "ratio"))
    return t["margin_none"]


def template_narrative(facts: dict[str, Fact], lang: str) -> str:
    """Paragraphs from the facts that :func:`report_facts` computed, in ``lang``. A figure that
    cannot be known is said to be unknown; a fall is written as one ("down 12.3%", "−53.60")."""
    if lang not in LANGS:
        raise ValueError(f"language must be one of {', '.join(LANGS)}")
    t = _T[lang]
    v = {k: f.value for k, f in facts.items()}
    cur = str(facts["currency"].value) if "currency" in facts else ""
    sep = "、" if lang == "zh" else ", "

    def word(change: float) -> str:
        return t["up"] if change > 0 else t["down"] if change < 0 else t["flat"]

    def money(key: str) -> str:
        return fmt(float(v[key]), "money") if _known(facts, key) else "—"

    yoy = ""
    if _known(facts, "net_revenue_yoy_pct"):
        yoy = t["yoy"].format(dir_yoy=word(v["net_revenue_yoy_pct"]),
                              net_revenue_yoy_pct=magnitude(v["net_revenue_yoy_pct"], "ratio"))
    vs_prev = ""  # no comparison when the period before had no sales to compare with
    if _known(facts, "net_revenue_change_pct"):
        vs_prev = t["vs_prev"].format(prev_label=str(v["_prev_label_" + lang]),
                                      dir_prev=word(v["net_revenue_change_pct"]),
                                      net_revenue_change_pct=magnitude(
                                          v["net_revenue_change_pct"], "ratio"))
    paragraphs = [t["headline"].format(
        period=str(v["_period_label_" + lang]), cur=cur,
        net_revenue=money("net_revenue"), vs_prev=vs_prev, yoy=yoy,
        margin=_margin_sentence(facts, t), operating_profit=money("operating_profit"),
        orders=fmt(v["orders"], "count"),
        aov=t["aov"].format(cur=cur, aov=money("aov")) if _known(facts, "aov") else "",
    )]
    if "fx_rates" in facts:
        paragraphs[0] += (" " if lang == "en" else "") + t["converted"].format(
            cur=cur, rates=str(v["fx_rates"]))
    if "other_currencies" in facts:
        paragraphs[0] += (" " if lang == "en" else "") + t["one_of"].format(
            cur=cur, others=str(v["other_currencies"]))
    if "change" in facts and (v["change"] or "mover_0" in facts):  # nothing moved: no "why"
        why = t["why"].format(
            cur=cur, change=magnitude(v["change"], "money"),
            moved=t["rose"] if v["change"] >= 0 else t["fell"],
            **{f"{e}_signed": _signed(v[f"effect_{e}"], "money")
               for e in ("volume", "mix", "price", "refunds")})
        movers = [t["mover"].format(group=str(v[f"mover_{i}_name"]), cur=cur,
                                    change=_signed(v[f"mover_{i}"], "money"))
                  for i in range(3) if f"mover_{i}" in facts]
        if movers:
            why += ("" if lang == "zh" else " ") + t["movers"].format(list=sep.join(movers))
        paragraphs.append(why)
    n_alerts = int(v.get("anomaly_count", 0))
    if n_alerts == 0:  # "none left its range" only when something was judged
        paragraphs.append(t["anomalies_none"] if v.get("judged_count", 1) else "")
    else:
        items = []
        for i in range(min(n_alerts, 3)):
            unit = str(v[f"anomaly_{i}_unit"])
            items.append(t["anomaly"].format(
                metric=str(v[f"anomaly_{i}_label_{lang}"]), day=_date(v[f"anomaly_{i}_day"], lang),
                actual=fmt(v[f"anomaly_{i}_actual"], unit), low=fmt(v[f"anomaly_{i}_low"], unit),
                high=fmt(v[f"anomaly_{i}_high"], unit)))
        paragraphs.append(t["anomalies"].format(
            n=fmt(n_alerts, "count"), list=("；" if lang == "zh" else "; ").join(items)))
    unjudged = [t[str(v[f"finding_{i}_kind"])].format(metric=str(v[f"finding_{i}_label_{lang}"]))
                for i in range(10) if f"finding_{i}_kind" in facts]
    if unjudged:
        paragraphs[-1] = (paragraphs[-1] + t["not_judged"].format(list=sep.join(unjudged))).strip()
    if v.get("sku_anomaly_count", 0) > 0:
        paragraphs[-1] += t["sku_anomalies"].format(n=fmt(v["sku_anomaly_count"], "count"))
    watch = [t["watch_item"].format(metric=str(v[f"watch_{i}_label_{lang}"]),
                                    dir=word(v[f"watch_{i}"]),
                                    pct=magnitude(v[f"watch_{i}"], "ratio"))
             for i in range(3) if f"watch_{i}" in facts]
    paragraphs.append(t["watch"].format(list=sep.join(watch)) if watch else t["watch_none"])
    if "outlook_revenue" in facts:
        paragraphs.append(t["outlook"].format(
            weeks=fmt(v["outlook_weeks"], "count"), start=_date(v["outlook_start"], lang), cur=cur,
            revenue=fmt(v["outlook_revenue"], "money"), lo=fmt(v["outlook_lo"], "money"),
            hi=fmt(v["outlook_hi"], "money"), purchases=fmt(v["outlook_purchases"], "money")))
        if "outlook_check_error" in facts:
            paragraphs[-1] += t["outlook_check"].format(
                days=fmt(v["outlook_check_days"], "count"),
                end=_date(v["outlook_check_end"], lang), cur=cur,
                error=fmt(v["outlook_check_error"], "ratio"),
                forecast=fmt(v["outlook_check_forecast"], "money"),
                actual=fmt(v["outlook_check_actual"], "money"))
    return "\n\n".join(paragraphs)
