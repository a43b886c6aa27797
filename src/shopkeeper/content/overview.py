"""The overview's content part: copy drafts waiting for a person (never cached: they change on
approval)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel

from shopkeeper.store import Warehouse

PREVIEW_CHARS = 140


class PendingDraft(BaseModel):
    """A copy draft waiting for approval; ``text`` is its first ``PREVIEW_CHARS`` characters."""

    draft_id: str
    product_id: str | None
    kind: str | None
    lang: str | None
    platform: str | None
    grounded: bool | None
    compliance_flags: int
    text: str
    updated_at: dt.datetime | None


class PendingDrafts(BaseModel):
    """How many copy drafts wait for approval, and the oldest ``limit`` of them."""

    count: int
    items: list[PendingDraft]


def pending_drafts(wh: Warehouse, limit: int = 5) -> PendingDrafts:
    """Copy drafts in status ``draft`` (not yet approved or rejected), oldest first. Not
    cached."""
    count = int(wh.query("SELECT count(*) FROM content_drafts WHERE status = 'draft'")[0][0])
    rows = wh.query(
        "SELECT draft_id, product_id, kind, lang, platform, grounded, "
        "coalesce(json_array_length(compliance), 0), left(coalesce(text, ''), ?), updated_at "
        "FROM content_drafts WHERE status = 'draft' "
        "ORDER BY updated_at, product_id, kind, draft_id LIMIT ?",
        [PREVIEW_CHARS, int(limit)])
    keys = ("draft_id", "product_id", "kind", "lang", "platform", "grounded",
            "compliance_flags", "text", "updated_at")
    return PendingDrafts(count=count,
                         items=[PendingDraft(**dict(zip(keys, r, strict=True))) for r in rows])
