"""The Content studio: generate copy for a SKU or an attribute string, the drafts (filter,
export), and one draft with its grounding verdict and compliance flags highlighted inline in the
text, an edit box that re-checks, approve and reject. Nothing is published."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse

from shopkeeper import accounts, content, store
from shopkeeper.api.app import warehouse
from shopkeeper.api.security import Principal, requires
from shopkeeper.web.render import render

router = APIRouter(include_in_schema=False)
P = accounts.Permission
Wh = Annotated[store.Warehouse, Depends(warehouse)]
DRAFT_ROWS = 300
JOB_KINDS = ("content.generate",)


@router.get("/content", response_class=HTMLResponse)
def content_page(request: Request, wh: Wh,
                 status: Literal["", "draft", "approved", "rejected"] = "",
                 product_id: Annotated[str, Query(max_length=100)] = "",
                 kind: Literal["", "title", "description", "bullets", "marketing"] = "",
                 copy_lang: Literal["", "zh", "en"] = "",
                 principal: Principal = requires(P.CONTENT_READ, web=True)) -> HTMLResponse:
    product_id = product_id.strip()
    drafts, total = content.find_drafts(wh, status=status or None, product_id=product_id or None,
                                        kind=kind or None, lang=copy_lang or None,
                                        limit=DRAFT_ROWS)
    runner = request.app.state.server.jobs
    running = [job for kind_ in JOB_KINDS for state in ("queued", "running")
               for job in runner.list(limit=5, kind=kind_, status=state)]
    return render(request, principal, "content/index.html", title="nav.content",
                  drafts=drafts, total=total, draft_rows=DRAFT_ROWS, status=status,
                  product_id=product_id, kind=kind, draft_lang=copy_lang, running=running,
                  kinds=content.KINDS, platforms=list(content.PLATFORMS), tones=content.TONES,
                  lengths=content.LENGTHS, can_write=principal.may(P.CONTENT_WRITE))


@router.get("/content/drafts/{draft_id}", response_class=HTMLResponse)
def draft_page(request: Request, wh: Wh, draft_id: Annotated[str, Path(max_length=100)],
               principal: Principal = requires(P.CONTENT_READ, web=True)) -> HTMLResponse:
    draft = content.get_draft(wh, draft_id)
    return render(request, principal, "content/draft.html", title="content.draft_title",
                  draft=draft, can_write=principal.may(P.CONTENT_WRITE))
