"""The staff console: conversations, the hand-off queue a person takes over, their replies, and
the drafted return requests they decide. Every result is a typed model, so the API, the web
console and MCP show the same thing.

A hand-off moves ``open`` → ``taken`` (a person has it; ``agent`` names them) → ``closed``.
While a conversation has an open or taken hand-off the assistant stays quiet: the shopper's
messages are logged for the person, whose replies are logged as role ``agent``.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, Field

from shopkeeper.service.guardrails import redact_pii
from shopkeeper.service.tools import ServiceError, decide_return_request
from shopkeeper.store.warehouse import Warehouse

MAX_REPLY_CHARS = 4000
HandoffStatus = Literal["open", "taken", "closed"]


class ServiceNotFound(ServiceError, LookupError):
    """A conversation, hand-off or return request that does not exist."""


class ConversationSummary(BaseModel):
    """One conversation in the console's list."""

    conversation_id: str
    customer_id: str | None = None
    channel: str | None = None
    lang: str | None = None
    verified: bool | None = None
    status: str | None = None  # open | handed_off
    handoff: str | None = None  # the status of its latest hand-off, if any
    messages: int = 0
    last_message: str | None = None
    started_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None


class Message(BaseModel):
    """One logged turn (PII-redacted): from the customer, the assistant or a staff agent."""

    turn: int
    role: str  # customer | assistant | agent
    text: str
    intent: str | None = None
    flow: str | None = None
    citations: list[str] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list)
    author: str | None = None  # the staff member, for role "agent"
    created_at: dt.datetime | None = None


class Handoff(BaseModel):
    """A conversation handed to a person: why, the summary and facts gathered, who has it."""

    handoff_id: str
    conversation_id: str | None = None
    customer_id: str | None = None
    reason: str | None = None
    summary: str | None = None
    facts: dict[str, Any] = Field(default_factory=dict)
    status: str
    agent: str | None = None  # who took it over (taken) or closed it (closed)
    created_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None


class Conversation(BaseModel):
    """A conversation with its messages (oldest first) and its hand-offs."""

    summary: ConversationSummary
    messages: list[Message]
    handoffs: list[Handoff]


class ReturnRequest(BaseModel):
    """A return request the assistant drafted, with the policy decision behind it."""

    request_id: str
    conversation_id: str | None = None
    customer_id: str | None = None
    order_id: str | None = None
    product_id: str | None = None
    reason: str | None = None
    decision: str | None = None
    policy_docs: list[str] = Field(default_factory=list)
    status: str
    created_at: dt.datetime | None = None
    decided_by: str | None = None
    decided_at: dt.datetime | None = None


def _json_list(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return []
    try:
        data = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return []
    return [str(v) for v in data] if isinstance(data, list) else []


def _none(value: Any) -> Any:
    return None if value is None or (not isinstance(value, list | dict) and pd.isna(value)) \
        else value


# -- conversations ---------------------------------------------------------------------------
_SUMMARY_SQL = """
    SELECT c.conversation_id, c.customer_id, c.channel, c.lang, c.verified, c.status,
           (SELECT h.status FROM service_handoffs h WHERE h.conversation_id = c.conversation_id
            ORDER BY h.created_at DESC LIMIT 1) AS handoff,
           (SELECT count(*) FROM service_messages m
            WHERE m.conversation_id = c.conversation_id) AS messages,
           (SELECT arg_max(m.text, m.turn) FROM service_messages m
            WHERE m.conversation_id = c.conversation_id) AS last_message,
           c.started_at, c.updated_at
    FROM service_conversations c"""
_SUMMARY_KEYS = tuple(ConversationSummary.model_fields)


def conversations(wh: Warehouse, *, status: str | None = None, customer_id: str | None = None,
                  limit: int = 50, offset: int = 0) -> tuple[list[ConversationSummary], int]:
    """Conversations, latest first, optionally only those with a hand-off in ``status``
    (open, taken, closed) or of one customer; and how many match in all."""
    clauses, params = [], []
    if status:
        clauses.append("EXISTS (SELECT 1 FROM service_handoffs h WHERE h.conversation_id = "
                       "c.conversation_id AND h.status = ?)")
        params.append(status)
    if customer_id:
        clauses.append("c.customer_id = ?")
        params.append(customer_id)
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    total = int(wh.query(f"SELECT count(*) FROM service_conversations c{where}", params)[0][0])
    rows = wh.query(f"{_SUMMARY_SQL}{where} ORDER BY c.updated_at DESC NULLS LAST, "
                    "c.conversation_id LIMIT ? OFFSET ?", [*params, int(limit), int(offset)])
    return [_summary(r) for r in rows], total


def _summary(row: tuple) -> ConversationSummary:
    data = dict(zip(_SUMMARY_KEYS, row, strict=True))
    data["messages"] = int(data["messages"] or 0)
    return ConversationSummary(**{k: _none(v) if k != "messages" else v
                                  for k, v in data.items()})


def conversation(wh: Warehouse, conversation_id: str, *, after_turn: int = 0) -> Conversation:
    """One conversation: its messages after ``after_turn`` (all by default), oldest first, and
    its hand-offs."""
    rows = wh.query(f"{_SUMMARY_SQL} WHERE c.conversation_id = ?", [conversation_id])
    if not rows:
        raise ServiceNotFound(f"no conversation {conversation_id!r}")
    return Conversation(summary=_summary(rows[0]),
                        messages=messages(wh, conversation_id, after_turn=after_turn),
                        handoffs=handoffs_of(wh, conversation_id))


def messages(wh: Warehouse, conversation_id: str, *, after_turn: int = 0) -> list[Message]:
    """The logged messages of a conversation after ``after_turn``, oldest first."""
    rows = wh.query("SELECT turn, role, text, intent, flow, citations, flags, method, created_at "
                    "FROM service_messages WHERE conversation_id = ? AND turn > ? "
                    "ORDER BY turn", [conversation_id, int(after_turn)])
    out = []
    for turn, role, text, intent, flow, citations, flags, method, created in rows:
        out.append(Message(turn=int(turn), role=str(role), text=str(text or ""), intent=intent,
                           flow=flow, citations=_json_list(citations), flags=_json_list(flags),
                           author=method if role == "agent" else None, created_at=created))
    return out


def last_turn(wh: Warehouse, conversation_id: str) -> int:
    """The number of the conversation's latest logged message (0: none)."""
    return int(wh.query("SELECT coalesce(max(turn), 0) FROM service_messages "
                        "WHERE conversation_id = ?", [conversation_id])[0][0])


def log_message(wh: Warehouse, conversation_id: str, role: str, text: str, *,
                author: str | None = None) -> Message:
    """Append one message (PII-redacted) to a conversation's log and touch the conversation."""
    now = pd.Timestamp.now(tz="UTC")
    with wh.transaction() as con:
        turn = int(con.execute("SELECT coalesce(max(turn), 0) + 1 FROM service_messages "
                               "WHERE conversation_id = ?", [conversation_id]).fetchone()[0])
        con.execute("INSERT INTO service_messages (conversation_id, turn, role, text, method, "
                    "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    [conversation_id, turn, role, redact_pii(text), author, now])
        con.execute("UPDATE service_conversations SET updated_at = ? WHERE conversation_id = ?",
                    [now, conversation_id])
    return Message(turn=turn, role=role, text=redact_pii(text), author=author, created_at=now)


# -- hand-offs -------------------------------------------------------------------------------
_HANDOFF_KEYS = ("handoff_id", "conversation_id", "customer_id", "reason", "summary", "facts",
                 "status", "closed_by", "created_at", "closed_at")


def _handoff(row: tuple) -> Handoff:
    data = {k: _none(v) for k, v in zip(_HANDOFF_KEYS, row, strict=True)}
    facts = data.pop("facts")
    try:
        facts = json.loads(facts) if isinstance(facts, str) else (facts or {})
    except ValueError:
        facts = {}
    data["agent"] = data.pop("closed_by")
    return Handoff(**data, facts=facts if isinstance(facts, dict) else {})


def handoff_queue(wh: Warehouse, status: str | None = "open", *, limit: int = 100,
                  offset: int = 0) -> tuple[list[Handoff], int]:
    """Hand-offs in ``status`` (open, taken, closed; None: all), oldest first, and how many."""
    if status is not None and status not in ("open", "taken", "closed"):
        raise ServiceError(f"hand-off status must be open, taken or closed, not {status!r}")
    where, params = ("WHERE status = ?", [status]) if status else ("", [])
    total = int(wh.query(f"SELECT count(*) FROM service_handoffs {where}", params)[0][0])
    rows = wh.query(f"SELECT {', '.join(_HANDOFF_KEYS)} FROM service_handoffs {where} "
                    "ORDER BY created_at, handoff_id LIMIT ? OFFSET ?",
                    [*params, int(limit), int(offset)])
    return [_handoff(r) for r in rows], total


def handoffs_of(wh: Warehouse, conversation_id: str) -> list[Handoff]:
    """A conversation's hand-offs, oldest first."""
    rows = wh.query(f"SELECT {', '.join(_HANDOFF_KEYS)} FROM service_handoffs "
                    "WHERE conversation_id = ? ORDER BY created_at", [conversation_id])
    return [_handoff(r) for r in rows]


def get_handoff(wh: Warehouse, handoff_id: str) -> Handoff:
    """One hand-off, or :class:`ServiceNotFound`."""
    rows = wh.query(f"SELECT {', '.join(_HANDOFF_KEYS)} FROM service_handoffs "
                    "WHERE handoff_id = ?", [handoff_id])
    if not rows:
        raise ServiceNotFound(f"no hand-off {handoff_id!r}")
    return _handoff(rows[0])


def active_handoff(wh: Warehouse, conversation_id: str) -> Handoff | None:
    """The conversation's open or taken hand-off (a person has or will have it), if any."""
    rows = wh.query(f"SELECT {', '.join(_HANDOFF_KEYS)} FROM service_handoffs "
                    "WHERE conversation_id = ? AND status IN ('open', 'taken') "
                    "ORDER BY created_at DESC LIMIT 1", [conversation_id])
    return _handoff(rows[0]) if rows else None


def take_over(wh: Warehouse, handoff_id: str, agent: str) -> Handoff:
    """``agent`` takes an open hand-off (or one another person took: it moves to them)."""
    if not agent.strip():
        raise ServiceError("say who takes the conversation over")
    current = get_handoff(wh, handoff_id)
    if current.status == "closed":
        raise ServiceError(f"hand-off {handoff_id} is already closed")
    with wh.transaction() as con:
        con.execute("UPDATE service_handoffs SET status = 'taken', closed_by = ? "
                    "WHERE handoff_id = ?", [agent, handoff_id])
    return get_handoff(wh, handoff_id)


def finish_handoff(wh: Warehouse, handoff_id: str, agent: str) -> Handoff:
    """Close a hand-off (open or taken): the person is done; the assistant answers again."""
    if not agent.strip():
        raise ServiceError("say who closes the hand-off")
    current = get_handoff(wh, handoff_id)
    if current.status == "closed":
        raise ServiceError(f"hand-off {handoff_id} is already closed")
    with wh.transaction() as con:
        con.execute("UPDATE service_handoffs SET status = 'closed', closed_by = ?, "
                    "closed_at = current_timestamp WHERE handoff_id = ?", [agent, handoff_id])
    return get_handoff(wh, handoff_id)


def agent_reply(wh: Warehouse, conversation_id: str, agent: str, text: str) -> Message:
    """A staff member's answer in a conversation they have taken over (logged as role
    ``agent``; the shopper's page shows it)."""
    text = text.strip()
    if not text:
        raise ServiceError("the reply is empty")
    if len(text) > MAX_REPLY_CHARS:
        raise ServiceError(f"the reply is {len(text):,} characters; at most {MAX_REPLY_CHARS:,}")
    if not wh.query("SELECT 1 FROM service_conversations WHERE conversation_id = ?",
                    [conversation_id]):
        raise ServiceNotFound(f"no conversation {conversation_id!r}")
    handoff = active_handoff(wh, conversation_id)
    if handoff is None or handoff.status != "taken":
        raise ServiceError(f"conversation {conversation_id} is not taken over by a person: "
                           "take its hand-off over first")
    return log_message(wh, conversation_id, "agent", text, author=agent)


# -- return requests -------------------------------------------------------------------------
_RETURN_KEYS = tuple(ReturnRequest.model_fields)


def _return(row: tuple) -> ReturnRequest:
    data = {k: _none(v) for k, v in zip(_RETURN_KEYS, row, strict=True)}
    data["policy_docs"] = _json_list(data["policy_docs"])
    return ReturnRequest(**data)


def return_list(wh: Warehouse, status: str | None = "draft", *, limit: int = 100,
                offset: int = 0) -> tuple[list[ReturnRequest], int]:
    """Return requests in ``status`` (draft, approved, rejected; None: all), newest first."""
    if status is not None and status not in ("draft", "approved", "rejected"):
        raise ServiceError(f"return status must be draft, approved or rejected, not {status!r}")
    where, params = ("WHERE status = ?", [status]) if status else ("", [])
    total = int(wh.query(f"SELECT count(*) FROM return_requests {where}", params)[0][0])
    rows = wh.query(f"SELECT {', '.join(_RETURN_KEYS)} FROM return_requests {where} "
                    "ORDER BY created_at DESC, request_id LIMIT ? OFFSET ?",
                    [*params, int(limit), int(offset)])
    return [_return(r) for r in rows], total


def get_return(wh: Warehouse, request_id: str) -> ReturnRequest:
    """One return request, or :class:`ServiceNotFound`."""
    rows = wh.query(f"SELECT {', '.join(_RETURN_KEYS)} FROM return_requests "
                    "WHERE request_id = ?", [request_id])
    if not rows:
        raise ServiceNotFound(f"no return request {request_id!r}")
    return _return(rows[0])


def decide_return_draft(wh: Warehouse, request_id: str,
                        decision: Literal["approved", "rejected"], by: str) -> ReturnRequest:
    """Approve or reject a drafted return request; returns it as decided."""
    get_return(wh, request_id)
    decide_return_request(wh, request_id, decision, by)
    return get_return(wh, request_id)
