"""Copy generation: the grounded draft always, the model's draft when one is configured, and
the grounding check deciding which one a person gets to review.

The model path: the model drafts from the same facts; each text is checked (grounding, language,
platform length). A text that fails is sent back once with its problems named; if the repair
fails too, the grounded text replaces it. Every draft carries its method, its verdict and the
violations that were caught, so a reviewer sees what the model tried.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import Field, create_model

from shopkeeper.content.compliance import ComplianceFlag, check_compliance, suggest_fix
from shopkeeper.content.facts import ContentError, ProductFacts, price_text
from shopkeeper.content.grounded import LENGTHS, TONES, GroundedWriter
from shopkeeper.errors import LLMError
from shopkeeper.llm import LLM, render_prompt
from shopkeeper.llm.grounding import GroundingReport, check_grounding, load_lexicon
from shopkeeper.llm.quantities import find_quantities
from shopkeeper.llm.untrusted import Masked, markup_in

KINDS = ("title", "description", "bullets", "marketing")
LANGS = ("zh", "en")
# A model text must also say enough: the share of the attributes each kind has to mention.
MIN_COVERAGE = {"title": 0.4, "description": 0.8, "bullets": 0.6, "marketing": 0.0}


@dataclass(frozen=True)
class Platform:
    """A marketplace's title limit: ``units`` is chars, or bytes as GBK counts them."""

    name: str
    title_limit: int
    units: str = "chars"

    def count(self, text: str) -> int:
        if self.units == "bytes":
            return len(text.encode("gbk", errors="replace"))
        return len(text)


PLATFORMS = {
    "taobao": Platform("taobao", 60, "bytes"),
    "tmall": Platform("tmall", 60, "bytes"),
    "pinduoduo": Platform("pinduoduo", 60, "bytes"),
    "amazon": Platform("amazon", 200),
    "ebay": Platform("ebay", 80),
    "shopify": Platform("shopify", 255),
}


@dataclass
class Draft:
    """One piece of copy with the evidence a reviewer needs."""

    kind: str
    lang: str
    text: str
    method: str  # grounded | model | model-repaired | grounded-fallback
    report: GroundingReport
    compliance: list[ComplianceFlag]
    compliant_text: str | None
    provider: str = "builtin"
    model: str = ""
    prompt_version: str = ""
    rejected: list[dict[str, Any]] = field(default_factory=list)  # model texts that failed
    draft_id: str | None = None  # set once saved for review

    @property
    def grounded(self) -> bool:
        return self.report.ok


@dataclass(frozen=True)
class CopyOptions:
    kinds: tuple[str, ...] = ("title", "description", "bullets")
    lang: str = "zh"
    platform: str = "taobao"
    tone: str = "standard"
    length: str = "medium"
    campaign: str = ""


def check_options(options: CopyOptions) -> None:
    """Refuse bad options before any work, with the valid choices."""
    for name, value, valid in (("lang", options.lang, LANGS), ("platform", options.platform,
                               tuple(PLATFORMS)), ("tone", options.tone, TONES),
                               ("length", options.length, LENGTHS)):
        if value not in valid:
            raise ContentError(f"unknown {name} {value!r}; use one of {', '.join(valid)}")
    bad = [k for k in options.kinds if k not in KINDS]
    if bad or not options.kinds:
        raise ContentError(f"unknown kind {', '.join(bad) or '(none)'}; use any of "
                           f"{', '.join(KINDS)}")
    if "marketing" in options.kinds and not options.campaign:
        raise ContentError("marketing copy needs a campaign theme, e.g. --campaign '双11 满200减30'")


def generate_copy(facts: ProductFacts, options: CopyOptions, llm: LLM | None = None
                  ) -> list[Draft]:
    """Drafts of every requested kind, grounded or checked, never published."""
    check_options(options)
    if options.campaign:
        facts = facts.with_campaign(options.campaign)
    platform = PLATFORMS[options.platform]
    writer = GroundedWriter(facts, options.lang, tone=options.tone, length=options.length)
    grounded = {
        "title": writer.title(platform.title_limit, platform.count),
        "description": writer.description(),
        "bullets": "\n".join(writer.bullets()),
        "marketing": writer.marketing(options.campaign),
    }
    drafts = {k: checked_draft(facts, k, options.lang, grounded[k], "grounded")
              for k in options.kinds}
    if llm is None or not llm.has_model:
        return list(drafts.values())
    try:
        model_texts, version = _model_drafts(llm, facts, options, platform)
    except LLMError as exc:
        for d in drafts.values():
            d.method, d.provider, d.model = "grounded-fallback", llm.provider.name, llm.label
            d.rejected.append({"text": "", "problems": [str(exc)]})
        return list(drafts.values())
    out = []
    masked = _masked_fact_lines(facts, options.lang)[1]
    for kind in options.kinds:
        raw = model_texts.get(kind, "")
        text, problems = _restored(masked, raw, facts, kind, options.lang, platform)
        method, rejected = "model", []
        if problems:
            rejected.append({"text": text, "problems": problems})
            try:
                raw = _repair(llm, facts, kind, options.lang, raw,
                              [masked.hide(p) for p in problems])
                text, problems = _restored(masked, raw, facts, kind, options.lang, platform)
                method = "model-repaired"
            except LLMError as exc:
                problems = [str(exc)]
            if problems:
                rejected.append({"text": text, "problems": problems})
        if problems:
            draft = drafts[kind]
            draft.method = "grounded-fallback"
        else:
            draft = checked_draft(facts, kind, options.lang, text, method)
        draft.provider, draft.model, draft.prompt_version = (llm.provider.name, llm.label,
                                                             version)
        draft.rejected = rejected
        out.append(draft)
    return out


def checked_draft(facts: ProductFacts, kind: str, lang: str, text: str, method: str) -> Draft:
    """``text`` as a draft with its grounding report and compliance flags."""
    report = check_grounding(text, facts.grounding(), lang=lang)
    flags = check_compliance(text, lang)
    fixed = suggest_fix(text, flags) if flags else None
    return Draft(kind, lang, text, method, report, flags, fixed if fixed != text else None)


def _problems(facts: ProductFacts, kind: str, lang: str, text: str,
              platform: Platform) -> list[str]:
    if not text.strip():
        return ["the model wrote nothing"]
    report = check_grounding(text, facts.grounding(), lang=lang)
    problems = [v.detail for v in report.violations]
    problems += [f"it adds {m!r}, which no fact has"
                 for m in markup_in(text, facts.grounding().texts())]
    if report.coverage < MIN_COVERAGE[kind] and report.missing:
        left_out = ", ".join(f"{k} {v}" for k, v in report.missing[:6])
        problems.append(f"it leaves out facts it should mention: {left_out}")
    if kind == "marketing" and facts.campaign and facts.campaign not in text:
        problems.append(f"it does not name the campaign '{facts.campaign}'")
    if kind == "title" and platform.count(text) > platform.title_limit:
        problems.append(f"the title is longer than {platform.name}'s limit of "
                        f"{platform.title_limit} {platform.units}")
    return problems


def _restored(masked: Masked, raw: str, facts: ProductFacts, kind: str, lang: str,
              platform: Platform) -> tuple[str, list[str]]:
    """The model's ``raw`` text with its quoted facts put back, and what is wrong with it."""
    text = masked.unmask(raw, every_slot=False)
    if text is None:
        return raw, ["it quotes a fact that does not exist"]
    return text, _problems(facts, kind, lang, text, platform)


_CONNECTIVES = re.compile(r"(?i)\b(?:and|or|with|in|of)\b|[\s\W\d_]|[和与及或]")


def _plain_value(value: str) -> bool:
    """Whether the lexicon reads ``value`` whole: materials, colours, styles, sizes, quantities
    and the words that join them. The model reads (and translates) such a value. Anything else
    (a brand, a product name, a sentence) can be written to the model, so the model may quote
    it, as ``[[Q1]]``, but never reads it."""
    covered = [(m.start, m.end) for m in load_lexicon().find(value)]
    covered += [(q.start, q.end) for q in find_quantities(value)]
    rest = list(value)
    for start, end in covered:
        rest[start:end] = " " * (end - start)
    return not _CONNECTIVES.sub("", "".join(rest))


def _masked_fact_lines(facts: ProductFacts, lang: str
                       ) -> tuple[list[tuple[str, str]], Masked]:
    """The fact lines a model reads, every value but plain ones replaced by ``[[Q1]]`` …, and
    the mask."""
    lines = _fact_lines(facts, lang)
    quoted = list(dict.fromkeys(v for _, v in lines if not _plain_value(v)))
    slot_of = {value: f"[[Q{n}]]" for n, value in enumerate(quoted, start=1)}
    masked = Masked("", {slot: value for value, slot in slot_of.items()})
    return [(k, slot_of.get(v, v)) for k, v in lines], masked


def _fact_lines(facts: ProductFacts, lang: str) -> list[tuple[str, str]]:
    lines = list(facts.attributes)
    labels = ({"title": "商品名", "price": "价格", "reviews": "买家评价", "campaign": "活动"}
              if lang == "zh" else
              {"title": "name", "price": "price", "reviews": "customers say", "campaign":
               "campaign"})
    if facts.title:
        lines.insert(0, (labels["title"], facts.title))
    if facts.price is not None:
        lines.append((labels["price"], price_text(facts.price, facts.currency)))
    if facts.review_phrases:
        lines.append((labels["reviews"], "; ".join(p.text for p in facts.review_phrases[:3])))
    if facts.campaign:
        lines.append((labels["campaign"], facts.campaign))
    return lines


# a reply budget per kind, so a model that rambles is cut off (and then checked) quickly
_MAX_TOKENS = {"title": 80, "description": 320, "bullets": 220, "marketing": 120}
_TONE_ZH = {"standard": "专业", "friendly": "亲切", "concise": "简洁"}
_LENGTH = {"short": ("简短", 2), "medium": ("中等长度", 4), "long": ("较长", 6)}


def _model_drafts(llm: LLM, facts: ProductFacts, options: CopyOptions,
                  platform: Platform) -> tuple[dict[str, str], str]:
    fields: dict[str, Any] = {}
    for kind in options.kinds:
        fields[kind] = (list[str], Field(max_length=5)) if kind == "bullets" else (str, ...)
    output = create_model("ProductCopy", **fields)
    length_zh, sentences = _LENGTH[options.length]
    prompt = render_prompt(
        "shopkeeper.content", "copy", options.lang,
        facts=_masked_fact_lines(facts, options.lang)[0],
        kinds=options.kinds, tone=options.tone, tone_zh=_TONE_ZH[options.tone],
        length=options.length, length_zh=length_zh, sentences=sentences,
        platform=platform.name, title_limit=platform.title_limit, campaign=options.campaign)
    reply = llm.structured(prompt, output, retries=1,
                           max_tokens=sum(_MAX_TOKENS[k] for k in options.kinds))
    texts = {k: ("\n".join(v) if isinstance(v, list) else str(v))
             for k, v in reply.model_dump().items()}
    return texts, prompt.version


def _repair(llm: LLM, facts: ProductFacts, kind: str, lang: str, text: str,
            problems: list[str]) -> str:
    output = create_model("RepairedCopy", **{
        kind: (list[str], Field(max_length=5)) if kind == "bullets" else (str, ...)})
    prompt = render_prompt("shopkeeper.content", "repair", lang,
                           facts=_masked_fact_lines(facts, lang)[0], kind=kind, text=text,
                           problems=problems)
    value = getattr(llm.structured(prompt, output, retries=1, max_tokens=_MAX_TOKENS[kind]),
                    kind)
    return "\n".join(value) if isinstance(value, list) else str(value)

