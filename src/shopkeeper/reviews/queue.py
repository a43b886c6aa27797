"""The reply-draft queue as a person works it: list and filter drafts with their review, read
one, edit its text (checked again against the store's policy), approve or reject it.

Nothing is ever posted from here. Each change returns the draft before and after, so the face
that made it can put both in the audit log.
"""

from __future__ import annotations

import datetime as dt
import json

from pydantic import BaseModel

from shopkeeper.errors import ShopkeeperError
from shopkeeper.llm.remedies import remedies_in
from shopkeeper.reviews.replies import ReplyError, load_policy, set_reply_status
from shopkeeper.reviews.summary import ProductSummary, summarize_product
from shopkeeper.reviews.trends import aspect_label
from shopkeeper.store import Warehouse

REPLY_STATUSES = ("draft", "approved", "rejected")
MAX_REPLY_CHARS = 4000


class ReplyNotFound(ReplyError, LookupError):
    """No reply draft has this id."""


class ProductNotFound(ShopkeeperError, LookupError):
    """No product (with reviews) has this id."""


class ReplyItem(BaseModel):
    """A reply draft with the review it answers and what the policy says about its offers."""

    reply_id: str
    review_id: str
    product_id: str | None
    product_title: str | None
    lang: str | None
    aspect: str | None
    aspect_en: str
    aspect_zh: str
    text: str
    remedies: list[str]
    policy_docs: list[str]
    unsupported_remedies: list[str]  # offered by the text, allowed by no policy sentence
    method: str | None
    status: str
    created_at: dt.datetime | None
    reviewed_by: str | None
    reviewed_at: dt.datetime | None
    review_rating: int | None
    review_text: str
    review_created_at: dt.datetime | None


_SELECT = """SELECT p.reply_id, p.review_id, p.product_id, pr.title, p.lang, p.aspect, p.text,
                    p.remedies, p.policy_docs, p.method, p.status, p.created_at, p.reviewed_by,
                    p.reviewed_at, r.rating,
                    trim(coalesce(r.title, '') || ' ' || coalesce(r.body, '')), r.created_at
             FROM review_replies p
             LEFT JOIN reviews r ON r.review_id = p.review_id
             LEFT JOIN products pr ON pr.product_id = p.product_id"""


def _item(row: tuple, allowed: set[str]) -> ReplyItem:
    (reply_id, review_id, product_id, title, lang, aspect, text, remedies, docs, method,
     status, created, by, at, rating, review_text, review_at) = row
    offered = sorted(remedies_in(text or ""))
    return ReplyItem(
        reply_id=reply_id, review_id=review_id, product_id=product_id, product_title=title,
        lang=lang, aspect=aspect, aspect_en=aspect_label(aspect, "en"),
        aspect_zh=aspect_label(aspect, "zh"), text=text or "",
        remedies=json.loads(remedies) if remedies else [],
        policy_docs=json.loads(docs) if docs else [],
        unsupported_remedies=[r for r in offered if r not in allowed], method=method,
        status=status or "draft", created_at=created, reviewed_by=by, reviewed_at=at,
        review_rating=rating, review_text=review_text or "", review_created_at=review_at)


def list_replies(wh: Warehouse, *, status: str | None = None, product_id: str | None = None,
                 limit: int = 50, offset: int = 0) -> tuple[list[ReplyItem], int]:
    """Reply drafts (one status, one product, or all), oldest waiting first; returns this page
    of them and how many there are in all."""
    if status is not None and status not in REPLY_STATUSES:
        raise ReplyError(f"unknown status {status!r}; use one of {', '.join(REPLY_STATUSES)}")
    clauses, params = [], []
    for column, value in (("p.status", status), ("p.product_id", product_id)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    where = " WHERE " + " AND ".join(clauses) if clauses else ""
    total = int(wh.query(f"SELECT count(*) FROM review_replies p{where}", params)[0][0])
    # a batch shares its creation time: within it, the order it was drafted in (worst first)
    rows = wh.query(f"{_SELECT}{where} ORDER BY p.status = 'draft' DESC, p.created_at, "
                    "r.rating NULLS LAST, r.created_at DESC, p.review_id, p.reply_id "
                    "LIMIT ? OFFSET ?", [*params, int(limit), int(offset)])
    allowed = set(load_policy(wh).allowed)
    return [_item(r, allowed) for r in rows], total


def get_reply(wh: Warehouse, reply_id: str) -> ReplyItem:
    """One reply draft with its review."""
    rows = wh.query(f"{_SELECT} WHERE p.reply_id = ?", [reply_id])
    if not rows:
        raise ReplyNotFound(f"no reply draft {reply_id!r}; list them with 'shopkeeper reviews "
                            "replies'")
    return _item(rows[0], set(load_policy(wh).allowed))


def edit_reply(wh: Warehouse, reply_id: str, text: str, *, actor: str = "shopkeeper"
               ) -> tuple[ReplyItem, ReplyItem]:
    """Replace a waiting draft's text; its remedies are read again from the new text, and
    ``unsupported_remedies`` names any offer no policy sentence allows. Returns (before,
    after). An approved or rejected reply cannot be edited."""
    text = text.strip()
    if not text:
        raise ReplyError("a reply cannot be empty")
    if len(text) > MAX_REPLY_CHARS:
        raise ReplyError(f"a reply is at most {MAX_REPLY_CHARS} characters; this one has "
                         f"{len(text)}")
    before = get_reply(wh, reply_id)
    if before.status != "draft":
        raise ReplyError(f"reply {reply_id} is {before.status}; only a draft can be edited")
    with wh.transaction() as con:
        con.execute("UPDATE review_replies SET text = ?, remedies = ?, method = 'edited', "
                    "reviewed_by = ? WHERE reply_id = ?",
                    [text, json.dumps(sorted(remedies_in(text))), actor, reply_id])
    return before, get_reply(wh, reply_id)


def review_reply(wh: Warehouse, reply_id: str, status: str, *, actor: str = "shopkeeper"
                 ) -> tuple[ReplyItem, ReplyItem]:
    """Approve or reject one waiting draft (nothing is posted); returns (before, after)."""
    before = get_reply(wh, reply_id)
    set_reply_status(wh, [reply_id], status, actor=actor)
    return before, get_reply(wh, reply_id)


class ProductOption(BaseModel):
    """A product that has reviews, for a picker: most reviewed first."""

    product_id: str
    title: str | None
    reviews: int


def reviewed_products(wh: Warehouse, *, limit: int = 200) -> list[ProductOption]:
    """Products with analysed reviews, most reviewed first."""
    rows = wh.query(
        """SELECT s.product_id, any_value(p.title), count(*) AS n FROM review_sentiment s
           LEFT JOIN products p USING (product_id) WHERE s.product_id IS NOT NULL
           GROUP BY 1 ORDER BY n DESC, 1 LIMIT ?""", [int(limit)])
    return [ProductOption(product_id=p, title=t, reviews=int(n)) for p, t, n in rows]


class AspectVoiceItem(BaseModel):
    """How often customers praised or criticised one aspect, with their own words."""

    aspect: str
    label: str
    mentions: int
    examples: list[str]


class Complaint(BaseModel):
    """A negative remark repeated ``count`` times."""

    remark: str
    count: int


class ProductReviewSummary(BaseModel):
    """One product's review summary (see :func:`summarize_product`) as a display model."""

    product_id: str
    product_title: str | None
    lang: str
    reviews: int
    rating: float | None
    positive_share: float
    pros: list[AspectVoiceItem]
    cons: list[AspectVoiceItem]
    complaints: list[Complaint]
    text: str
    method: str


def product_summary(wh: Warehouse, product_id: str, *, lang: str = "en",
                    llm: object | None = None) -> ProductReviewSummary:
    """:func:`summarize_product` with the product's title; unknown products are an error."""
    rows = wh.query("SELECT title FROM products WHERE product_id = ?", [product_id])
    if not rows and not wh.query("SELECT 1 FROM reviews WHERE product_id = ? LIMIT 1",
                                 [product_id]):
        raise ProductNotFound(f"no product {product_id!r} with reviews")
    s: ProductSummary = summarize_product(wh, product_id, lang=lang, llm=llm)  # type: ignore[arg-type]

    def voices(items: list) -> list[AspectVoiceItem]:
        return [AspectVoiceItem(aspect=v.aspect, label=aspect_label(v.aspect, lang),
                                mentions=v.mentions, examples=list(v.examples)) for v in items]

    return ProductReviewSummary(
        product_id=product_id, product_title=rows[0][0] if rows else None, lang=lang,
        reviews=s.reviews, rating=float(s.rating) if s.rating is not None else None,
        positive_share=s.positive_share, pros=voices(s.pros), cons=voices(s.cons),
        complaints=[Complaint(remark=r, count=n) for r, n in s.complaints], text=s.text,
        method=s.method)
