"""Shopper conversations a server keeps alive between requests.

A web chat sends one message per request, but the assistant's conversation state (the language,
the flow waiting for an answer, verification, facts gathered) lives in a :class:`ServiceAgent`.
:class:`ChatSessions` keeps those agents in memory (least recently used first out, and idle ones
expire), hands each turn the request's own warehouse handle, and shares what every anonymous
conversation would otherwise load again (the knowledge index, the policy rules, the PII guard).
An agent that was let go (expired, or the server restarted) is resumed from the log.

While a conversation has an open or taken hand-off, the assistant does not answer: the shopper's
message is logged for the person who has it (see :mod:`shopkeeper.service.console`).
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel, Field

from shopkeeper.llm import LLM
from shopkeeper.service.agent import ServiceAgent, Turn, lang_is_spaced
from shopkeeper.service.console import (
    Message,
    ServiceNotFound,
    active_handoff,
    last_turn,
    log_message,
    messages,
)
from shopkeeper.service.guardrails import PiiGuard
from shopkeeper.service.knowledge import KnowledgeBase
from shopkeeper.service.policy import PolicyRules, load_policy_rules
from shopkeeper.service.tools import ServiceError
from shopkeeper.store.warehouse import Warehouse

MAX_MESSAGE_CHARS = 1000
WITH_PERSON = {
    "en": "A colleague has your conversation and will answer here shortly.",
    "zh": "人工客服已接手您的对话，稍后会在这里回复您。",
}


class TurnView(BaseModel):
    """One answer as a channel shows it: the text and the structure behind it."""

    conversation_id: str
    text: str
    intent: str
    flow: str
    confidence: float = 0.0
    handoff: bool = False  # the conversation is now with (or waiting for) a person
    handoff_reason: str | None = None
    sources: list[str] = Field(default_factory=list)  # the documents and products cited
    flags: list[str] = Field(default_factory=list)
    method: str = "template"
    latency_ms: float = 0.0
    turn: int = 0  # the number of the last logged message after this answer

    @classmethod
    def of(cls, conversation_id: str, turn: Turn, *, logged: int) -> TurnView:
        return cls(conversation_id=conversation_id, text=turn.text, intent=turn.intent,
                   flow=turn.flow, confidence=round(float(turn.confidence), 4),
                   handoff=turn.handoff is not None, handoff_reason=turn.handoff,
                   sources=list(turn.citations), flags=list(turn.flags), method=turn.method,
                   latency_ms=round(turn.latency_ms, 1), turn=logged)


def pieces(text: str) -> Iterator[str]:
    """``text`` in small pieces for a typing effect: words, or a few characters of Chinese."""
    if lang_is_spaced(text):
        yield from re.findall(r"\S+\s*|\s+", text)
    else:
        yield from re.findall(r".{1,4}", text, re.S)


class ShopperConversation(BaseModel):
    """A shopper's own conversation as their page polls it."""

    conversation_id: str
    with_person: bool = False  # handed off: a person has it or will
    taken: bool = False  # a person has taken it over
    messages: list[Message] = Field(default_factory=list)


@dataclass
class _Live:
    agent: ServiceAgent
    lock: threading.Lock = field(default_factory=threading.Lock)
    seen: float = field(default_factory=time.monotonic)


@dataclass
class _Shared:
    kb: KnowledgeBase
    rules: PolicyRules
    guard: PiiGuard
    loaded: float


class ChatSessions:
    """The live shopper conversations of one server (thread-safe).

    >>> chats = ChatSessions()                                     # doctest: +SKIP
    >>> cid = chats.start(wh, channel="web")                       # doctest: +SKIP
    >>> view = chats.send(wh, cid, "Can I talk to a person?")      # doctest: +SKIP
    """

    def __init__(self, *, max_live: int = 500, idle_s: float = 3600.0,
                 refresh_s: float = 300.0, as_of: datetime | None = None,
                 llm: LLM | None = None) -> None:
        self.llm = llm  # words the answers when it has a model (every answer still checked)
        self.max_live = max_live
        self.idle_s = idle_s
        self.refresh_s = refresh_s  # how long the shared index, rules and guard are reused
        self.as_of = as_of
        self._live: OrderedDict[str, _Live] = OrderedDict()
        self._lock = threading.Lock()
        self._shared: _Shared | None = None
        self._shared_lock = threading.Lock()

    # -- what every anonymous conversation shares ------------------------------------------
    def _common(self, wh: Warehouse) -> _Shared:
        with self._shared_lock:
            now = time.monotonic()
            if self._shared is None or now - self._shared.loaded > self.refresh_s:
                self._shared = _Shared(KnowledgeBase.from_warehouse(wh), load_policy_rules(wh),
                                       PiiGuard.for_customer(wh, None), now)
            return self._shared

    def _new_agent(self, wh: Warehouse, conversation_id: str, channel: str) -> ServiceAgent:
        common = self._common(wh)
        return ServiceAgent(wh, customer_id=None, kb=common.kb, rules=common.rules,
                            guard=common.guard, channel=channel, as_of=self.as_of, llm=self.llm,
                            conversation_id=conversation_id)

    def _keep(self, conversation_id: str, agent: ServiceAgent) -> _Live:
        with self._lock:
            now = time.monotonic()
            for cid in [c for c, live in self._live.items() if now - live.seen > self.idle_s]:
                del self._live[cid]
            live = self._live[conversation_id] = _Live(agent)
            while len(self._live) > self.max_live:
                self._live.popitem(last=False)
            return live

    def __len__(self) -> int:
        return len(self._live)

    # -- the channel's calls ---------------------------------------------------------------
    def start(self, wh: Warehouse, *, channel: str = "web") -> str:
        """A new anonymous conversation; its id is random (128 bits) and so unguessable."""
        conversation_id = "CONV-" + secrets.token_hex(16)
        self._keep(conversation_id, self._new_agent(wh, conversation_id, channel))
        return conversation_id

    def _live_agent(self, wh: Warehouse, conversation_id: str) -> _Live:
        with self._lock:
            live = self._live.get(conversation_id)
            if live is not None:
                self._live.move_to_end(conversation_id)
                live.seen = time.monotonic()
                return live
        return self._keep(conversation_id, self._resume(wh, conversation_id))

    def _resume(self, wh: Warehouse, conversation_id: str) -> ServiceAgent:
        """An agent for a conversation no longer in memory, picking up its log."""
        row = wh.query("SELECT channel, lang FROM service_conversations "
                       "WHERE conversation_id = ?", [conversation_id])
        known = row or wh.query("SELECT 1 FROM service_messages WHERE conversation_id = ? "
                                "LIMIT 1", [conversation_id])
        agent = self._new_agent(wh, conversation_id, (row[0][0] if row else None) or "web")
        if known:
            if row and row[0][1] in ("en", "zh"):
                agent.state.lang = row[0][1]
            agent.state.turns = [(r, t) for r, t in wh.query(
                "SELECT role, text FROM service_messages WHERE conversation_id = ? "
                "ORDER BY turn DESC LIMIT 8", [conversation_id])][::-1]
            started = wh.query("SELECT started_at FROM service_conversations "
                               "WHERE conversation_id = ?", [conversation_id])
            agent._started_at = started[0][0] if started else None
        return agent

    def send(self, wh: Warehouse, conversation_id: str, message: str) -> TurnView:
        """The answer to one shopper message (logged), or, while a person has the conversation,
        the message logged for them and a note saying so."""
        message = message.strip()
        if not message:
            raise ServiceError("the message is empty")
        if len(message) > MAX_MESSAGE_CHARS:
            raise ServiceError(f"the message is {len(message):,} characters; at most "
                               f"{MAX_MESSAGE_CHARS:,}")
        live = self._live_agent(wh, conversation_id)
        with live.lock:
            agent = live.agent
            agent.use(wh)
            handoff = active_handoff(wh, conversation_id)
            if handoff is not None:
                logged = log_message(wh, conversation_id, "customer", message)
                lang = agent.state.lang if agent.state.lang in WITH_PERSON else "en"
                turn = Turn(WITH_PERSON[lang], "handoff", "with_person", 1.0,
                            handoff=handoff.reason or "handoff")
                return TurnView.of(conversation_id, turn, logged=logged.turn)
            # the assistant answers (again, when a person closed the hand-off)
            agent.state.handed_off = None
            agent._turn_no = last_turn(wh, conversation_id)
            turn = agent.reply(message)
            return TurnView.of(conversation_id, turn, logged=agent._turn_no)

    def view(self, wh: Warehouse, conversation_id: str, *, after_turn: int = 0
             ) -> ShopperConversation:
        """What the shopper's page shows: the messages after ``after_turn`` (a person's replies
        included) and whether a person has the conversation."""
        self.require(wh, conversation_id)
        handoff = active_handoff(wh, conversation_id)
        return ShopperConversation(
            conversation_id=conversation_id, with_person=handoff is not None,
            taken=handoff is not None and handoff.status == "taken",
            messages=[m.model_copy(update={"flags": [], "author": None})
                      for m in messages(wh, conversation_id, after_turn=after_turn)])

    def exists(self, wh: Warehouse, conversation_id: str) -> bool:
        """Whether the conversation is live or logged."""
        with self._lock:
            if conversation_id in self._live:
                return True
        return bool(wh.query("SELECT 1 FROM service_conversations WHERE conversation_id = ?",
                             [conversation_id]))

    def require(self, wh: Warehouse, conversation_id: str) -> None:
        """:class:`ServiceNotFound` unless the conversation is live or logged."""
        if not self.exists(wh, conversation_id):
            raise ServiceNotFound(f"no conversation {conversation_id!r}")
