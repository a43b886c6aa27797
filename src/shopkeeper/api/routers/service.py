"""Customer service: the shopper's chat (public, streamed with SSE) and the staff console
(conversations, the hand-off queue a person takes over, replies, drafted return requests).

The shopper's chat is open to anyone, so it is guarded: a per-client rate limit (429), a
message length cap, random conversation ids, and a signed conversation token that only the
shopper who started the conversation holds (``X-Chat-Token``): without it a conversation can be
neither read nor continued (404, as for one that does not exist).
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from itsdangerous import BadSignature, URLSafeSerializer
from pydantic import BaseModel, Field

from shopkeeper import accounts, llm, service, store
from shopkeeper.api.app import warehouse
from shopkeeper.api.idempotency import idempotent
from shopkeeper.api.jobs import Job, JobContext, job_kind
from shopkeeper.api.pagination import Page, Paging, paging
from shopkeeper.api.problems import ProblemError
from shopkeeper.api.security import PUBLIC, Principal, requires

router = APIRouter(tags=["service"])
P = accounts.Permission
Wh = Annotated[store.Warehouse, Depends(warehouse)]
TOKEN_HEADER = "X-Chat-Token"


# -- the shopper's chat: guards --------------------------------------------------------------
@dataclass
class SlidingWindow:
    """At most ``limit`` events per key in ``window_s`` seconds (in memory, per server)."""

    limit: int
    window_s: float
    _events: dict[str, deque] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def hit(self, key: str) -> int:
        """Count one event for ``key``; the seconds to wait when it is over the limit (0: ok)."""
        now = time.monotonic()
        with self._lock:
            q = self._events.setdefault(key, deque())
            while q and now - q[0] > self.window_s:
                q.popleft()
            if len(q) >= self.limit:
                return int(self.window_s - (now - q[0])) + 1
            q.append(now)
            if len(self._events) > 10_000:  # forget idle clients
                for k in [k for k, v in self._events.items() if not v]:
                    del self._events[k]
            return 0


@dataclass
class ChatState:
    """One server's shopper chat: the live conversations, the limits, the token signer."""

    sessions: service.ChatSessions
    signer: URLSafeSerializer
    messages: SlidingWindow = field(default_factory=lambda: SlidingWindow(20, 60.0))
    starts: SlidingWindow = field(default_factory=lambda: SlidingWindow(10, 600.0))


_state_lock = threading.Lock()


def chat_state(app: FastAPI) -> ChatState:
    """The app's chat state, made on first use."""
    with _state_lock:
        state = getattr(app.state, "shopper_chat", None)
        if state is None:
            server = app.state.server
            secret = server.signer.secret_keys[-1]
            state = ChatState(
                sessions=service.ChatSessions(llm=llm.get_llm(server.settings)),
                signer=URLSafeSerializer(secret, salt="shopkeeper-chat"))
            app.state.shopper_chat = state
        return state


def _client(request: Request) -> str:
    return request.client.host if request.client else "?"


def _throttle(window: SlidingWindow, request: Request, what: str) -> None:
    wait = window.hit(_client(request))
    if wait:
        raise ProblemError(429, f"too many {what}: try again in {wait} s",
                           headers={"Retry-After": str(wait)})


def _own(state: ChatState, conversation_id: str, token: str | None) -> None:
    """The caller holds this conversation's token, else 404: to anyone else the conversation
    does not exist (an answer that differs would confirm that it does)."""
    try:
        ok = token is not None and state.signer.loads(token) == conversation_id
    except BadSignature:
        ok = False
    if not ok:
        raise ProblemError(404, f"no conversation {conversation_id!r} for this chat: send the "
                                f"{TOKEN_HEADER} its start gave you")


class ChatStarted(BaseModel):
    """A new shopper conversation: its id and the token that proves it is yours."""

    conversation_id: str
    token: str = Field(description=f"Send it as the {TOKEN_HEADER} header with every call "
                                   "about this conversation.")
    max_message_chars: int = service.MAX_MESSAGE_CHARS


class ChatMessage(BaseModel):
    text: str = Field(min_length=1, max_length=service.MAX_MESSAGE_CHARS,
                      description="The shopper's message (zh or en).")


@router.post("/chat/conversations", summary="Start a shopper conversation (public)",
             status_code=201, response_model=ChatStarted)
def chat_start(request: Request, wh: Wh, _=PUBLIC) -> ChatStarted:
    state = chat_state(request.app)
    _throttle(state.starts, request, "new conversations")
    cid = state.sessions.start(wh, channel="web")
    return ChatStarted(conversation_id=cid, token=state.signer.dumps(cid))


def _sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n"


@router.post(
    "/chat/conversations/{conversation_id}/messages",
    summary="Send a shopper message; the reply streams back as server-sent events (public)",
    description="The response is `text/event-stream`: `token` events carry the reply in pieces "
                "(a JSON string each), then one `turn` event carries the whole turn (intent, "
                "handoff flag, sources). The whole reply is checked before the first piece "
                "leaves.",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}})
async def chat_send(request: Request, conversation_id: str, body: ChatMessage,
                    x_chat_token: Annotated[str | None, Header()] = None,
                    _=PUBLIC) -> StreamingResponse:
    state = chat_state(request.app)
    _own(state, conversation_id, x_chat_token)
    _throttle(state.messages, request, "messages")
    server = request.app.state.server

    def answer() -> service.TurnView:
        with server.session(request) as wh:
            return state.sessions.send(wh, conversation_id, body.text)

    view = await run_in_threadpool(answer)

    async def events() -> AsyncIterator[str]:
        for piece in service.pieces(view.text):
            yield _sse("token", piece)
        yield _sse("turn", view.model_dump(mode="json"))

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@router.get("/chat/conversations/{conversation_id}",
            summary="The shopper's own conversation, new messages first polled after a turn "
                    "(public, with its token)",
            response_model=service.ShopperConversation)
def chat_read(request: Request, wh: Wh, conversation_id: str,
              after: Annotated[int, Query(ge=0, le=1_000_000_000,
                                             description="Only messages after this turn.")]
              = 0,
              x_chat_token: Annotated[str | None, Header()] = None,
              _=PUBLIC) -> service.ShopperConversation:
    state = chat_state(request.app)
    _own(state, conversation_id, x_chat_token)
    return state.sessions.view(wh, conversation_id, after_turn=after)


# -- the staff console -----------------------------------------------------------------------
class ReplyIn(BaseModel):
    text: str = Field(min_length=1, max_length=4000, description="The answer to the shopper.")


class DecisionIn(BaseModel):
    decision: Literal["approved", "rejected"]


@router.get("/service/conversations", summary="Conversations, latest first",
            response_model=Page[service.ConversationSummary])
def conversations(wh: Wh, page: Annotated[Paging, Depends(paging)],
                  handoff: Annotated[Literal["open", "taken", "closed"] | None,
                                     Query(description="Only those with a hand-off in this "
                                                       "status.")] = None,
                  customer_id: Annotated[str | None, Query(max_length=100)] = None,
                  _: Principal = requires(P.SERVICE_READ)) -> Page[service.ConversationSummary]:
    items, total = service.conversations(wh, status=handoff, customer_id=customer_id,
                                         limit=page.limit, offset=page.offset)
    return page.of(items, total=total)


@router.get("/service/conversations/{conversation_id}",
            summary="One conversation with its messages and hand-offs",
            response_model=service.Conversation)
def conversation(wh: Wh, conversation_id: str,
                 after: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
                 _: Principal = requires(P.SERVICE_READ)) -> service.Conversation:
    return service.conversation(wh, conversation_id, after_turn=after)


@router.post("/service/conversations/{conversation_id}/replies",
             summary="Answer the shopper in a conversation you have taken over",
             status_code=201, response_model=service.Message)
def reply(request: Request, wh: Wh, conversation_id: str, body: ReplyIn,
          principal: Principal = requires(P.SERVICE_REPLY)):
    def create() -> service.Message:
        message = service.agent_reply(wh, conversation_id, principal.actor, body.text)
        accounts.record(wh, principal.actor, "service.reply", f"conversation:{conversation_id}",
                        after={"turn": message.turn, "text": message.text}, via=principal.via)
        return message

    return idempotent(request, principal, create)


@router.get("/service/handoffs", summary="The hand-off queue (open: waiting for a person)",
            response_model=Page[service.Handoff])
def handoffs(wh: Wh, page: Annotated[Paging, Depends(paging)],
             status: Literal["open", "taken", "closed", "all"] = "open",
             _: Principal = requires(P.SERVICE_READ)) -> Page[service.Handoff]:
    items, total = service.handoff_queue(wh, None if status == "all" else status,
                                         limit=page.limit, offset=page.offset)
    return page.of(items, total=total)


@router.post("/service/handoffs/{handoff_id}/take", summary="Take a hand-off over",
             response_model=service.Handoff)
def take(wh: Wh, handoff_id: str,
         principal: Principal = requires(P.SERVICE_REPLY)) -> service.Handoff:
    before = service.get_handoff(wh, handoff_id)
    after = service.take_over(wh, handoff_id, principal.actor)
    accounts.record(wh, principal.actor, "service.take_over", f"handoff:{handoff_id}",
                    before={"status": before.status, "agent": before.agent},
                    after={"status": after.status, "agent": after.agent}, via=principal.via)
    return after


@router.post("/service/handoffs/{handoff_id}/close",
             summary="Close a hand-off: the assistant answers the conversation again",
             response_model=service.Handoff)
def close(wh: Wh, handoff_id: str,
          principal: Principal = requires(P.SERVICE_REPLY)) -> service.Handoff:
    before = service.get_handoff(wh, handoff_id)
    after = service.finish_handoff(wh, handoff_id, principal.actor)
    accounts.record(wh, principal.actor, "service.close_handoff", f"handoff:{handoff_id}",
                    before={"status": before.status, "agent": before.agent},
                    after={"status": after.status, "agent": after.agent}, via=principal.via)
    return after


@router.get("/service/returns", summary="Return requests the assistant drafted",
            response_model=Page[service.ReturnRequest])
def returns(wh: Wh, page: Annotated[Paging, Depends(paging)],
            status: Literal["draft", "approved", "rejected", "all"] = "draft",
            _: Principal = requires(P.SERVICE_READ)) -> Page[service.ReturnRequest]:
    items, total = service.return_list(wh, None if status == "all" else status,
                                       limit=page.limit, offset=page.offset)
    return page.of(items, total=total)


@router.post("/service/returns/{request_id}/decision",
             summary="Approve or reject a drafted return request",
             response_model=service.ReturnRequest)
def decide(wh: Wh, request_id: str, body: DecisionIn,
           principal: Principal = requires(P.SERVICE_APPROVE)) -> service.ReturnRequest:
    before = service.get_return(wh, request_id)
    after = service.decide_return_draft(wh, request_id, body.decision, principal.actor)
    accounts.record(wh, principal.actor, f"service.return_{body.decision}",
                    f"return:{request_id}", before={"status": before.status},
                    after={"status": after.status, "decided_by": after.decided_by},
                    via=principal.via)
    return after


class SuspiciousDocumentOut(BaseModel):
    """A knowledge document or product entry that speaks to the assistant: never quoted to
    customers; fix or remove it."""

    doc_id: str
    kind: str
    title: str
    findings: list[str]
    excerpt: str


@router.get("/service/knowledge/suspicious", response_model=list[SuspiciousDocumentOut],
            summary="Knowledge documents that carry instructions for the assistant")
def suspicious(wh: Wh, _: Principal = requires(P.SERVICE_READ)) -> list[SuspiciousDocumentOut]:
    return [SuspiciousDocumentOut(**{**asdict(d), "findings": list(d.findings)})
            for d in service.suspicious_documents(wh)]


@router.post("/service/index", summary="Rebuild the knowledge index (a background job)",
             status_code=202, response_model=Job)
def index(request: Request, principal: Principal = requires(P.DATA_WRITE)) -> Job:
    return request.app.state.server.jobs.submit("service.index", {}, principal.actor)


@job_kind("service.index", P.DATA_WRITE)
def _index_job(ctx: JobContext) -> dict[str, Any]:
    report = service.build_index(ctx.wh, progress=ctx.progress)
    return {"chunks": report.chunks, "embedded": report.embedded, "removed": report.removed,
            "suspicious": [asdict(d) for d in report.suspicious]}
