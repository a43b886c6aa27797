"""Per product: what customers love and hate, with counts and quoted evidence.

The extractive summary always works: counts come from the stored analysis and every quote is
a customer's own words. With a model configured, the model writes the prose from that summary;
its text is kept only if the grounding check finds nothing the summary doesn't say.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shopkeeper.errors import LLMError
from shopkeeper.llm import LLM, render_prompt
from shopkeeper.llm.grounding import Facts, check_grounding, dropped_numbers
from shopkeeper.llm.untrusted import markup_in, mask
from shopkeeper.reviews.trends import aspect_label
from shopkeeper.store.warehouse import Warehouse


@dataclass(frozen=True)
class AspectVoice:
    """How often customers praised or criticised one aspect, with examples."""

    aspect: str
    mentions: int
    examples: tuple[str, ...]


@dataclass
class ProductSummary:
    product_id: str
    lang: str
    reviews: int
    rating: float | None
    positive_share: float
    pros: list[AspectVoice]
    cons: list[AspectVoice]
    complaints: list[tuple[str, int]]  # the most repeated negative remarks, with counts
    text: str = ""
    method: str = "extractive"
    refused: list[str] = field(default_factory=list)


def summarize_product(wh: Warehouse, product_id: str, *, lang: str = "en", llm: LLM | None = None,
                      top: int = 3) -> ProductSummary:
    """The product's review summary in ``lang`` (needs ``analyze_reviews`` to have run)."""
    n, rating, positive = wh.query(
        """SELECT count(*), avg(rating), avg(CASE WHEN label = 'positive' THEN 1.0 ELSE 0 END)
           FROM review_sentiment WHERE product_id = ?""", [product_id])[0]
    summary = ProductSummary(product_id, lang, int(n), rating, float(positive or 0.0),
                             _voices(wh, product_id, "positive", top),
                             _voices(wh, product_id, "negative", top),
                             _complaints(wh, product_id, top))
    summary.text = extractive_text(summary)
    if llm is not None and llm.has_model and n:
        quotes = [e for v in summary.pros + summary.cons for e in v.examples]
        masked = mask(summary.text, quotes)  # the model never reads a review's own words
        try:
            prompt = render_prompt("shopkeeper.reviews", "summary", lang, summary=masked.text)
            reworded = llm.chat(prompt, max_tokens=300).text.strip()
        except LLMError as exc:
            summary.refused.append(str(exc))
            return summary
        candidate = masked.unmask(reworded)
        if candidate is None:
            summary.refused = ["drops or invents a quote"]
            return summary
        facts = Facts.of(context=[summary.text, *(e for v in summary.pros + summary.cons
                                                  for e in v.examples)])
        report = check_grounding(candidate, facts, lang=lang)
        problems = [v.detail for v in report.violations]
        problems += [f"leaves out {n}" for n in dropped_numbers(candidate, summary.text)]
        problems += [f"adds {m!r}, which the notes do not have"
                     for m in markup_in(candidate, [summary.text])]
        if candidate and not problems:
            summary.text, summary.method = candidate, "model"
        else:
            summary.refused = problems or ["empty text"]
    return summary


def _voices(wh: Warehouse, product_id: str, polarity: str, top: int) -> list[AspectVoice]:
    rows = wh.query(
        """SELECT aspect, count(*) AS n, list(evidence ORDER BY created_at DESC)[1:3]
           FROM review_aspects WHERE product_id = ? AND polarity = ?
           GROUP BY aspect ORDER BY n DESC, aspect LIMIT ?""", [product_id, polarity, top])
    return [AspectVoice(a, int(c), tuple(dict.fromkeys(e))) for a, c, e in rows]


def _complaints(wh: Warehouse, product_id: str, top: int) -> list[tuple[str, int]]:
    rows = wh.query(
        """SELECT lower(trim(evidence)) AS remark, count(*) AS n FROM review_aspects
           WHERE product_id = ? AND polarity = 'negative'
           GROUP BY 1 ORDER BY n DESC, remark LIMIT ?""", [product_id, top])
    return [(r, int(c)) for r, c in rows]


def extractive_text(s: ProductSummary) -> str:
    """The summary as sentences: counts from the data, quotes from the reviews."""
    def voices(items: list[AspectVoice], zh: bool) -> str:
        sep = "；" if zh else "; "
        parts = []
        for v in items:
            name = aspect_label(v.aspect, s.lang)
            quote = f"“{v.examples[0]}”" if v.examples else ""
            parts.append(f"{name}（{v.mentions}次，如{quote}）" if zh
                         else f"{name} ({v.mentions} mentions, e.g. {quote})")
        return sep.join(parts)

    if s.lang == "zh":
        if not s.reviews:
            return "暂无评价。"
        text = f"共{s.reviews}条评价，平均{s.rating:.1f}星，好评占{s.positive_share:.0%}。"
        if s.pros:
            text += f"买家称赞：{voices(s.pros, True)}。"
        if s.cons:
            text += f"买家不满：{voices(s.cons, True)}。"
        return text
    if not s.reviews:
        return "No reviews yet."
    text = (f"{s.reviews} reviews, {s.rating:.1f} stars on average, "
            f"{s.positive_share:.0%} positive.")
    if s.pros:
        text += f" Customers praise: {voices(s.pros, False)}."
    if s.cons:
        text += f" Customers complain about: {voices(s.cons, False)}."
    return text
