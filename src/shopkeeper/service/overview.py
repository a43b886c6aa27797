"""The overview's service part: hand-offs and return requests waiting for staff (never cached:
they change when someone deals with them)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel

from shopkeeper.store import Warehouse


class OpenHandoff(BaseModel):
    """A conversation handed to a person and not closed yet."""

    handoff_id: str
    conversation_id: str | None
    customer_id: str | None
    reason: str | None
    summary: str | None
    created_at: dt.datetime | None


class OpenHandoffs(BaseModel):
    """How many hand-offs are open, and the oldest ``limit`` of them."""

    count: int
    items: list[OpenHandoff]


class PendingReturn(BaseModel):
    """A return request the assistant drafted, waiting for staff to approve or reject it."""

    request_id: str
    conversation_id: str | None
    customer_id: str | None
    order_id: str | None
    product_id: str | None
    reason: str | None
    decision: str | None
    created_at: dt.datetime | None


class PendingReturns(BaseModel):
    """How many return requests wait for a decision, and the oldest ``limit`` of them."""

    count: int
    items: list[PendingReturn]


def open_handoffs(wh: Warehouse, limit: int = 5) -> OpenHandoffs:
    """Hand-offs in status ``open``, oldest first. Not cached."""
    count = int(wh.query("SELECT count(*) FROM service_handoffs WHERE status = 'open'")[0][0])
    keys = ("handoff_id", "conversation_id", "customer_id", "reason", "summary", "created_at")
    rows = wh.query(f"SELECT {', '.join(keys)} FROM service_handoffs WHERE status = 'open' "
                    "ORDER BY created_at, handoff_id LIMIT ?", [int(limit)])
    return OpenHandoffs(count=count,
                        items=[OpenHandoff(**dict(zip(keys, r, strict=True))) for r in rows])


def pending_returns(wh: Warehouse, limit: int = 5) -> PendingReturns:
    """Return requests in status ``draft`` (not yet approved or rejected), oldest first. Not
    cached."""
    count = int(wh.query("SELECT count(*) FROM return_requests WHERE status = 'draft'")[0][0])
    keys = ("request_id", "conversation_id", "customer_id", "order_id", "product_id", "reason",
            "decision", "created_at")
    rows = wh.query(f"SELECT {', '.join(keys)} FROM return_requests WHERE status = 'draft' "
                    "ORDER BY created_at, request_id LIMIT ?", [int(limit)])
    return PendingReturns(count=count,
                          items=[PendingReturn(**dict(zip(keys, r, strict=True))) for r in rows])
