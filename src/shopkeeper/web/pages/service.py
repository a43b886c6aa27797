"""Customer service pages: the shopper's chat (public, embeddable) and the agent console
(the hand-off queue, conversations, a conversation to take over and answer, return requests)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from shopkeeper import accounts, service, store
from shopkeeper.api.app import warehouse
from shopkeeper.api.security import PUBLIC, Principal, requires
from shopkeeper.web.render import render

router = APIRouter(include_in_schema=False)
P = accounts.Permission
Wh = Annotated[store.Warehouse, Depends(warehouse)]


@router.get("/chat", response_class=HTMLResponse)
def chat_page(request: Request, _=PUBLIC) -> HTMLResponse:
    """The shopper's chat: no workspace chrome and no sign-in, so a shop can embed it in an
    iframe. Its script holds the conversation token in the tab's session storage."""
    response = render(request, None, "service/chat.html", title="service.chat_title",
                      max_chars=service.MAX_MESSAGE_CHARS)
    response.headers["Content-Security-Policy"] = "frame-ancestors *"
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/service", response_class=HTMLResponse)
def console_page(request: Request, wh: Wh,
                 principal: Principal = requires(P.SERVICE_READ, web=True)) -> HTMLResponse:
    waiting, waiting_total = service.handoff_queue(wh, "open", limit=200)
    taken, taken_total = service.handoff_queue(wh, "taken", limit=200)
    convos, convo_total = service.conversations(wh, limit=200)
    returns, returns_total = service.return_list(wh, "draft", limit=200)
    decided, _ = service.return_list(wh, None, limit=50)
    return render(request, principal, "service/console.html", title="nav.service",
                  waiting=waiting, waiting_total=waiting_total, taken=taken,
                  taken_total=taken_total, convos=convos, convo_total=convo_total,
                  returns=returns, returns_total=returns_total,
                  decided=[r for r in decided if r.status != "draft"],
                  suspicious=service.suspicious_documents(wh),
                  can_reply=principal.may(P.SERVICE_REPLY),
                  can_approve=principal.may(P.SERVICE_APPROVE))


@router.get("/service/conversations/{conversation_id}", response_class=HTMLResponse)
def conversation_page(request: Request, wh: Wh, conversation_id: str,
                      principal: Principal = requires(P.SERVICE_READ, web=True)
                      ) -> HTMLResponse:
    convo = service.conversation(wh, conversation_id)
    active = next((h for h in reversed(convo.handoffs) if h.status in ("open", "taken")), None)
    return render(request, principal, "service/conversation.html", title="service.conversation",
                  convo=convo, active=active, can_reply=principal.may(P.SERVICE_REPLY),
                  last_turn=convo.messages[-1].turn if convo.messages else 0)
