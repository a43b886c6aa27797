"""Reply drafts for negative reviews, in the review's language, queued for approval.

A draft apologises, names the aspect the customer complained about, and offers only remedies
the store's policy documents allow — quoted from the policy itself, so the draft can never
promise more than the policy does. Nothing is ever posted: drafts wait in ``review_replies``
for a person.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from shopkeeper.errors import LLMError, ShopkeeperError
from shopkeeper.llm import LLM, render_prompt
from shopkeeper.llm.grounding import Facts, check_grounding
from shopkeeper.llm.language import detect_language
from shopkeeper.llm.remedies import NEGATION, REMEDY_TERMS, SENTENCE, remedies_in
from shopkeeper.llm.untrusted import markup_in
from shopkeeper.reviews.trends import aspect_label
from shopkeeper.store.warehouse import Warehouse

# which remedies answer which complaint, best first
_DEFECT = ("replacement", "refund", "return")
REMEDIES_FOR = {
    **dict.fromkeys(("packaging", "quality", "durability", "performance", "material",
                     "authenticity", "battery", "screen", "sound", "camera", "connectivity",
                     "usability"), _DEFECT),
    "size_fit": ("exchange", "return", "refund"),
    "appearance": ("exchange", "return", "refund"),
    "logistics": ("reship",),
}
DEFAULT_REMEDIES = ("return", "refund")


class ReplyError(ShopkeeperError, ValueError):
    """A reply draft cannot be found or changed as asked."""


@dataclass(frozen=True)
class Policy:
    """What the store's policy documents allow: remedy -> the sentences (and documents) that
    allow it, per language."""

    allowed: dict[str, list[tuple[str, str, str]]]  # remedy -> [(doc_id, lang, sentence)]
    refused: set[str] = field(default_factory=set)  # remedies a policy explicitly rules out

    def sentence(self, remedy: str, lang: str) -> tuple[str, str] | None:
        """The policy sentence (and its document) that allows ``remedy``, in ``lang``."""
        for doc_id, doc_lang, sentence in self.allowed.get(remedy, []):
            if doc_lang == lang:
                return doc_id, sentence
        return None


def load_policy(wh: Warehouse) -> Policy:
    """Parse the ``policy`` documents into the remedies they allow, sentence by sentence."""
    allowed: dict[str, list[tuple[str, str, str]]] = {}
    refused: set[str] = set()
    docs = wh.query("SELECT doc_id, coalesce(language, ''), body FROM knowledge_documents "
                    "WHERE kind = 'policy' ORDER BY doc_id")
    for doc_id, lang, body in docs:
        lang = lang or detect_language(body)
        for sentence in (s.strip() for s in SENTENCE.findall(body)):
            low = sentence.lower()
            for remedy, words in REMEDY_TERMS.items():
                if not any(w in low for w in words):
                    continue
                if NEGATION.search(sentence):  # "cannot be returned" limits, never allows
                    refused.add(remedy)
                else:
                    allowed.setdefault(remedy, []).append((doc_id, lang, sentence))
    return Policy(allowed, refused - set(allowed))


@dataclass
class ReplyDraft:
    review_id: str
    product_id: str | None
    lang: str
    aspect: str | None
    text: str
    remedies: list[str]
    policy_docs: list[str]
    method: str = "template"
    reply_id: str | None = None
    refused: list[str] = field(default_factory=list)


_APOLOGY = {
    "en": ("We are sorry to read about your experience with the {aspect}.",
           "We are sorry that your order did not meet your expectations."),
    "zh": ("非常抱歉，{aspect}方面让您失望了。", "非常抱歉，这次购物没有让您满意。"),
}
_OFFER = {"en": "Our policy says: “{sentence}”", "zh": "根据我们的政策：“{sentence}”"}
_CLOSE = {"en": "Please contact us with your order number and we will help you.",
          "zh": "请联系客服并提供订单号，我们会尽快为您处理。"}
_NO_REMEDY = {"en": "Please contact us with your order number so we can look into it.",
              "zh": "请联系客服并提供订单号，我们会认真核实。"}


def draft_reply(review_id: str, product_id: str | None, text: str, lang: str,
                aspect: str | None, policy: Policy, *, llm: LLM | None = None) -> ReplyDraft:
    """A reply in ``lang`` to one review, offering only what ``policy`` allows. The review's
    ``text`` is never put in a prompt: a model only rewords the draft (``llm/untrusted.py``)."""
    if lang not in _APOLOGY:
        raise ReplyError(f"review {review_id}: replies are drafted in zh or en, not {lang!r}")
    apology = (_APOLOGY[lang][0].format(aspect=aspect_label(aspect, lang)) if aspect
               else _APOLOGY[lang][1])
    offers, docs, remedies = [], [], []
    for remedy in REMEDIES_FOR.get(aspect or "", DEFAULT_REMEDIES):
        found = policy.sentence(remedy, lang)
        if found and found[1] not in offers:
            docs.append(found[0])
            offers.append(found[1])
            remedies.append(remedy)
        if len(offers) == 1:
            break
    parts = [apology] + [_OFFER[lang].format(sentence=s) for s in offers]
    parts.append(_CLOSE[lang] if offers else _NO_REMEDY[lang])
    joined = (" " if lang == "en" else "").join(parts)
    # what the quoted sentences offer is what the draft offers
    draft = ReplyDraft(review_id, product_id, lang, aspect, joined,
                       sorted(remedies_in(joined)), docs)
    if llm is not None and llm.has_model:
        _model_reply(draft, llm)
    return draft


def _model_reply(draft: ReplyDraft, llm: LLM) -> None:
    try:
        # the draft alone: the review's words never reach the model
        prompt = render_prompt("shopkeeper.reviews", "reply", draft.lang, draft=draft.text)
        candidate = llm.chat(prompt, max_tokens=250).text.strip()
    except LLMError as exc:
        draft.refused.append(str(exc))
        return
    extra = remedies_in(candidate) - set(draft.remedies)
    # the review is the customer's (or an attacker's) text: nothing in it is a fact to repeat
    report = check_grounding(candidate, Facts.of(context=[draft.text]), lang=draft.lang)
    problems = [f"offers {r}, which the draft does not" for r in sorted(extra)]
    problems += [f"drops the offer of {r}"
                 for r in sorted(set(draft.remedies) - remedies_in(candidate))]
    problems += [v.detail for v in report.violations]
    problems += [f"adds {m!r}, which the draft does not have"
                 for m in markup_in(candidate, [draft.text])]
    if candidate and not problems:
        draft.text, draft.method = candidate, "model"
    else:
        draft.refused = problems or ["empty text"]


def reply_queue(wh: Warehouse, *, limit: int = 20) -> pd.DataFrame:
    """Negative reviews with no published reply and no pending draft, worst and newest first."""
    return wh.query_df(
        """SELECT r.review_id, r.product_id, r.rating, r.created_at, s.lang, s.label,
                  trim(coalesce(r.title, '') || ' ' || coalesce(r.body, '')) AS text,
                  (SELECT a.aspect FROM review_aspects a WHERE a.review_id = r.review_id
                   AND a.polarity = 'negative' ORDER BY a.score, a.span_start LIMIT 1) AS aspect
           FROM reviews r JOIN review_sentiment s USING (review_id)
           WHERE (s.label = 'negative' OR r.rating <= 2) AND r.reply IS NULL
             AND r.review_id NOT IN (SELECT review_id FROM review_replies
                                     WHERE status IN ('draft', 'approved'))
           ORDER BY r.rating NULLS LAST, r.created_at DESC, r.review_id LIMIT ?""", [limit])


def draft_replies(wh: Warehouse, *, limit: int = 20, llm: LLM | None = None
                  ) -> tuple[list[ReplyDraft], list[tuple[str, str]]]:
    """Draft and queue replies for the reviews that need one most; returns the drafts and the
    reviews left for a person (language without a reply template), with the reason."""
    policy = load_policy(wh)
    drafts, skipped = [], []
    for row in reply_queue(wh, limit=limit).itertuples(index=False):
        if row.lang not in _APOLOGY:
            skipped.append((row.review_id, f"review in {row.lang!r}: reply by hand"))
            continue
        aspect = row.aspect if isinstance(row.aspect, str) else None
        drafts.append(draft_reply(row.review_id, row.product_id, row.text, row.lang, aspect,
                                  policy, llm=llm))
    _save(wh, drafts)
    return drafts, skipped


def _save(wh: Warehouse, drafts: Sequence[ReplyDraft]) -> None:
    if not drafts:
        return
    now = pd.Timestamp.now(tz="UTC")
    rows = []
    for d in drafts:
        d.reply_id = "rp-" + uuid.uuid4().hex[:10]
        rows.append({"reply_id": d.reply_id, "review_id": d.review_id,
                     "product_id": d.product_id, "lang": d.lang, "text": d.text,
                     "aspect": d.aspect, "remedies": json.dumps(d.remedies),
                     "policy_docs": json.dumps(d.policy_docs), "method": d.method,
                     "status": "draft", "created_at": now, "reviewed_by": None,
                     "reviewed_at": None})
    with wh.transaction():
        wh.insert_df("review_replies", pd.DataFrame(rows))


def set_reply_status(wh: Warehouse, reply_ids: Sequence[str], status: str, *,
                     actor: str = "shopkeeper") -> None:
    """Approve or reject reply drafts (all or nothing). Approving does not post anything."""
    if status not in ("approved", "rejected"):
        raise ReplyError(f"unknown status {status!r}; use approved or rejected")
    found = {r[0]: r[1] for r in wh.query(
        f"SELECT reply_id, status FROM review_replies WHERE reply_id IN "
        f"({', '.join('?' for _ in reply_ids)})", list(reply_ids))} if reply_ids else {}
    for reply_id in reply_ids:
        if reply_id not in found:
            raise ReplyError(f"no reply draft {reply_id!r}; see 'shopkeeper reviews replies'")
        if found[reply_id] != "draft":
            raise ReplyError(f"reply {reply_id} is {found[reply_id]}, not a draft")
    with wh.transaction() as con:
        for reply_id in reply_ids:
            con.execute("UPDATE review_replies SET status = ?, reviewed_by = ?, "
                        "reviewed_at = current_timestamp WHERE reply_id = ?",
                        [status, actor, reply_id])
