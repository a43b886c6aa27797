"""The overview's reviews part: this week's review alerts (cached) and the reply drafts waiting
for a person (never cached: they change on approval)."""

from __future__ import annotations

import datetime as dt
import json

from pydantic import BaseModel, ConfigDict

from shopkeeper import metrics
from shopkeeper.reviews.trends import aspect_label, detect_review_alerts
from shopkeeper.store import Warehouse


class ReviewAlertItem(BaseModel):
    """A jump in the negative share of one aspect (see :class:`ReviewAlert`), with its text."""

    model_config = ConfigDict(frozen=True)  # cached and shared: read-only

    product_id: str | None  # None: store-wide
    aspect: str
    aspect_en: str
    aspect_zh: str
    week: dt.date
    negative: int
    mentions: int
    share: float
    baseline_share: float
    p_value: float
    review_ids: list[str]
    text_en: str
    text_zh: str


class ReviewAlerts(BaseModel):
    """The latest review alerts, store-wide ones first, then the most significant."""

    model_config = ConfigDict(frozen=True)  # cached and shared: read-only

    count: int
    items: list[ReviewAlertItem]


def _analysis_stamp(wh: Warehouse) -> str:
    """Changes when the reviews are (re-)analysed, which a load does not do by itself."""
    n, last = wh.query("SELECT count(*), max(analyzed_at) FROM review_sentiment")[0]
    return f"{n}:{last}"


def _compute_alerts(wh: Warehouse, as_of: dt.date | str | None, limit: int) -> ReviewAlerts:
    found = detect_review_alerts(wh, as_of=as_of)
    found.sort(key=lambda a: (a.product_id is not None, a.p_value))
    items = [ReviewAlertItem(
        product_id=a.product_id, aspect=a.aspect, aspect_en=aspect_label(a.aspect),
        aspect_zh=aspect_label(a.aspect, "zh"), week=a.week, negative=a.negative,
        mentions=a.mentions, share=a.share, baseline_share=a.baseline_share,
        p_value=a.p_value, review_ids=list(dict.fromkeys(rid for rid, _ in a.examples)),
        text_en=a.explain("en"), text_zh=a.explain("zh")) for a in found[:limit]]
    return ReviewAlerts(count=len(found), items=items)


def recent_alerts(wh: Warehouse, *, as_of: dt.date | str | None = None,
                  limit: int = 10) -> ReviewAlerts:
    """The alerts of :func:`detect_review_alerts` for the latest week up to ``as_of`` (default:
    the latest review), at most ``limit`` of them; computed once per data version and
    review analysis."""
    key = "reviews.recent_alerts:" + json.dumps([str(as_of), limit, _analysis_stamp(wh)])
    return metrics.cached(wh, key, lambda: _compute_alerts(wh, as_of, limit))


class PendingReply(BaseModel):
    """A reply draft waiting for a person's approval."""

    reply_id: str
    review_id: str
    product_id: str | None
    lang: str | None
    aspect: str | None
    text: str
    created_at: dt.datetime | None


class PendingReplies(BaseModel):
    """How many reply drafts wait for approval, and the oldest ``limit`` of them."""

    count: int
    items: list[PendingReply]


def pending_replies(wh: Warehouse, limit: int = 5) -> PendingReplies:
    """Reply drafts waiting for approval (status ``draft``), oldest first. Not cached."""
    count = int(wh.query("SELECT count(*) FROM review_replies WHERE status = 'draft'")[0][0])
    rows = wh.query(
        "SELECT reply_id, review_id, product_id, lang, aspect, text, created_at "
        "FROM review_replies WHERE status = 'draft' "
        "ORDER BY created_at, review_id, reply_id LIMIT ?",
        [int(limit)])
    keys = ("reply_id", "review_id", "product_id", "lang", "aspect", "text", "created_at")
    items = [PendingReply(**dict(zip(keys, r, strict=True))) for r in rows]
    return PendingReplies(count=count, items=items)
