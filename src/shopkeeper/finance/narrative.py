"""The written part of the finance report: sentences built from computed facts, and a checker
that rejects any text whose numbers are not among those facts.

The template path needs no model and is always available. A model (when one is configured) may
rewrite the text for fluency; :func:`checked_narrative` keeps the rewrite only if every number
in it is one of the facts, and says which path produced the final text.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from shopkeeper.llm.grounding import check_language
from shopkeeper.llm.prompts import render_prompt

if TYPE_CHECKING:
    from shopkeeper.llm import LLM

LANGS = ("en", "zh")
_NUMBER = re.compile(r"(?<![\w.])[-+−]?\d[\d,]*(?:\.\d+)?%?")


@dataclass(frozen=True)
class Fact:
    """One computed value the narrative may state. ``unit``: money, count, ratio (a share or a
    change, written as a percentage), number, date, or text (a name or label, whose own
    digits, like a SKU code, may appear too)."""

    value: float | dt.date | str
    unit: str


def fmt(value: float, unit: str) -> str:
    """How a fact is written: money with two decimals, counts whole, ratios as percentages."""
    if unit == "ratio":
        return f"{abs(value):.1%}"
    if unit == "count":
        return f"{abs(value):,.0f}"
    return f"{abs(value):,.2f}"


def _allowed(facts: dict[str, Fact]) -> set[str]:
    """Every spelling of every fact's number that a text may contain, normalised."""
    allowed: set[str] = set()
    for fact in facts.values():
        if fact.unit == "text":
            allowed |= {_normalise(t) for t in _NUMBER.findall(str(fact.value))}
            continue
        if isinstance(fact.value, dt.date):
            d = fact.value
            allowed |= {str(d.year), str(d.month), f"{d.month:02d}", str(d.day), f"{d.day:02d}",
                        str(d.isocalendar()[1]), f"{d.isocalendar()[1]:02d}"}
            continue
        v = abs(float(fact.value))
        if v != v:  # NaN: nothing to state
            continue
        scaled = v * 100 if fact.unit == "ratio" else v
        suffix = "%" if fact.unit == "ratio" else ""
        for decimals in (0, 1, 2):
            allowed.add(_normalise(f"{scaled:.{decimals}f}{suffix}"))
    return allowed


def _normalise(token: str) -> str:
    token = token.lstrip("+-−").replace(",", "")
    pct = token.endswith("%")
    number = token.rstrip("%")
    if "." in number:
        number = number.rstrip("0").rstrip(".")
    return number + ("%" if pct else "")


def unsupported_numbers(text: str, facts: dict[str, Fact]) -> list[str]:
    """The numbers in ``text`` that are not one of the facts (as written or rounded)."""
    allowed = _allowed(facts)
    return [t for t in _NUMBER.findall(text) if _normalise(t) not in allowed]


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
    try:
        candidate = rewrite(text, lang)
    except Exception as exc:  # a model that fails must not cost the report
        return Narrative(text, "template", [f"model failed: {exc}"])
    bad = unsupported_numbers(candidate, facts)
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
        "headline": "In {period}, net revenue was {cur} {net_revenue}{vs_prev}{yoy}. Gross margin "
                    "was {gross_margin} and operating profit "
                    "{cur} {operating_profit_signed}, from {orders} orders at an average of "
                    "{cur} {aov}.",
        "vs_prev": ", {dir_prev} {net_revenue_change_pct} on {prev_label}",
        "yoy": ", {dir_yoy} {net_revenue_yoy_pct} on a year earlier",
        "up": "up", "down": "down", "flat": "flat at",
        "why": "Of the {cur} {change} {moved}, volume (units sold) accounts for {cur} "
               "{volume_signed}, mix (which products sold) {cur} {mix_signed}, price "
               "{cur} {price_signed} and refunds {cur} {refunds_signed}.",
        "rose": "rise", "fell": "fall",
        "movers": "The biggest movers were {list}.",
        "mover": "{group} ({sign}{cur} {change})",
        "anomalies_none": "No daily metric left its expected range.",
        "sku_anomalies": " {n} SKUs sold far outside their usual range (see the SKU table).",
        "anomalies": "{n} unusual days: {list}.",
        "anomaly": "{metric} on {day} was {actual} against an expected {low}–{high}",
        "watch": "Watch next: {list}.",
        "watch_item": "{metric} {dir} {pct}",
        "watch_none": "Watch next: nothing worsened by more than 5% on the previous period.",
        "outlook": "Over the {weeks} weeks from {start}, net revenue is forecast at {cur} {revenue} "
                   "(80% range {cur} {lo}–{hi}), against {cur} {purchases} of planned purchases.",
    },
    "zh": {
        "headline": "{period}净收入为 {cur} {net_revenue}{vs_prev}{yoy}。毛利率 {gross_margin}，"
                    "经营利润 {cur} "
                    "{operating_profit_signed}，共 {orders} 笔订单，客单价 {cur} {aov}。",
        "vs_prev": "，较{prev_label}{dir_prev} {net_revenue_change_pct}",
        "yoy": "，同比{dir_yoy} {net_revenue_yoy_pct}",
        "up": "增长", "down": "下降", "flat": "持平",
        "why": "净收入{moved} {cur} {change}，其中销量（售出件数）贡献 {cur} {volume_signed}，"
               "结构（售出的商品组合）{cur} {mix_signed}，价格 {cur} {price_signed}，"
               "退款 {cur} {refunds_signed}。",
        "rose": "增加", "fell": "减少",
        "movers": "变化最大的是{list}。",
        "mover": "{group}（{sign}{cur} {change}）",
        "anomalies_none": "各项日指标均在预期范围内。",
        "sku_anomalies": "另有 {n} 个商品的销量远离常态（见商品表）。",
        "anomalies": "{n} 个异常日：{list}。",
        "anomaly": "{day} {metric}为 {actual}，预期 {low}–{high}",
        "watch": "接下来关注：{list}。",
        "watch_item": "{metric}{dir} {pct}",
        "watch_none": "接下来关注：与上期相比，没有指标恶化超过 5%。",
        "outlook": "自{start}起的 {weeks} 周，预计净收入 {cur} {revenue}（80% 区间 {cur} {lo}–{hi}），"
                   "计划采购 {cur} {purchases}。",
    },
}


def _signed(value: float, unit: str) -> str:
    return ("−" if value < 0 else "+") + fmt(value, unit)


def _date(d: dt.date, lang: str) -> str:
    return f"{d.year}年{d.month}月{d.day}日" if lang == "zh" else f"{d:%d %b %Y}"


def template_narrative(facts: dict[str, Fact], lang: str) -> str:
    """Paragraphs from the facts that :func:`report_facts` computed, in ``lang``."""
    if lang not in LANGS:
        raise ValueError(f"language must be one of {', '.join(LANGS)}")
    t = _T[lang]
    v = {k: f.value for k, f in facts.items()}
    cur = str(facts["currency"].value) if "currency" in facts else ""

    def word(change: float) -> str:
        return t["up"] if change > 0 else t["down"] if change < 0 else t["flat"]

    yoy = ""
    if "net_revenue_yoy_pct" in facts:
        yoy = t["yoy"].format(dir_yoy=word(v["net_revenue_yoy_pct"]),
                              net_revenue_yoy_pct=fmt(v["net_revenue_yoy_pct"], "ratio"))
    vs_prev = ""  # no comparison when the period before had no sales to compare with
    if "net_revenue_change_pct" in facts:
        vs_prev = t["vs_prev"].format(prev_label=str(v["_prev_label_" + lang]),
                                      dir_prev=word(v["net_revenue_change_pct"]),
                                      net_revenue_change_pct=fmt(v["net_revenue_change_pct"],
                                                                 "ratio"))
    paragraphs = [t["headline"].format(
        period=str(v["_period_label_" + lang]), cur=cur,
        net_revenue=fmt(v["net_revenue"], "money"), vs_prev=vs_prev, yoy=yoy,
        gross_margin=fmt(v["gross_margin"], "ratio"),
        operating_profit_signed=_signed(v["operating_profit"], "money"),
        orders=fmt(v["orders"], "count"), aov=fmt(v["aov"], "money"),
    )]
    if "change" in facts:
        why = t["why"].format(
            cur=cur, change=fmt(v["change"], "money"),
            moved=t["rose"] if v["change"] >= 0 else t["fell"],
            **{f"{e}_signed": _signed(v[f"effect_{e}"], "money")
               for e in ("volume", "mix", "price", "refunds")})
        movers = [t["mover"].format(group=str(v[f"mover_{i}_name"]), cur=cur,
                                    sign="+" if v[f"mover_{i}"] >= 0 else "−",
                                    change=fmt(v[f"mover_{i}"], "money"))
                  for i in range(3) if f"mover_{i}" in facts]
        if movers:
            why += " " + t["movers"].format(list=("、" if lang == "zh" else ", ").join(movers))
        paragraphs.append(why)
    n_alerts = int(v.get("anomaly_count", 0))
    if n_alerts == 0:
        paragraphs.append(t["anomalies_none"])
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
    if v.get("sku_anomaly_count", 0) > 0:
        paragraphs[-1] += t["sku_anomalies"].format(n=fmt(v["sku_anomaly_count"], "count"))
    watch = [t["watch_item"].format(metric=str(v[f"watch_{i}_label_{lang}"]),
                                    dir=word(v[f"watch_{i}"]), pct=fmt(v[f"watch_{i}"], "ratio"))
             for i in range(3) if f"watch_{i}" in facts]
    paragraphs.append(t["watch"].format(list=("、" if lang == "zh" else ", ").join(watch))
                      if watch else t["watch_none"])
    if "outlook_revenue" in facts:
        paragraphs.append(t["outlook"].format(
            weeks=fmt(v["outlook_weeks"], "count"), start=_date(v["outlook_start"], lang), cur=cur,
            revenue=fmt(v["outlook_revenue"], "money"), lo=fmt(v["outlook_lo"], "money"),
            hi=fmt(v["outlook_hi"], "money"), purchases=fmt(v["outlook_purchases"], "money")))
    return "\n\n".join(paragraphs)
