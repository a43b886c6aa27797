"""The Reviews page: sentiment, aspects and the weekly trend as charts, the alerts, one
product's summary, and the reply-draft queue (edit inline, approve, reject; nothing is posted).
Analysis and reply drafting run as background jobs with live progress."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from shopkeeper import accounts, reviews, store
from shopkeeper.api.app import warehouse
from shopkeeper.api.security import Principal, requires
from shopkeeper.web.render import page_lang, render

router = APIRouter(include_in_schema=False)
P = accounts.Permission
Wh = Annotated[store.Warehouse, Depends(warehouse)]
QUEUE_ROWS = 200
JOB_KINDS = ("reviews.analyze", "reviews.draft_replies")


@router.get("/reviews", response_class=HTMLResponse)
def reviews_page(request: Request, wh: Wh,
                 product_id: Annotated[str, Query(max_length=100)] = "",
                 status: Literal["draft", "approved", "rejected", "all"] = "draft",
                 principal: Principal = requires(P.REVIEWS_READ, web=True)) -> HTMLResponse:
    lang = page_lang(request, principal)
    product_id = product_id.strip()
    insights = reviews.review_insights(wh)
    figures = reviews.insight_charts(wh, lang=lang)
    summary = product_insights = None
    product_missing = False
    if product_id:
        try:
            summary = reviews.product_summary(wh, product_id, lang=lang)
        except reviews.ProductNotFound:
            product_missing = True
        else:
            product_insights = reviews.review_insights(wh, product_id=product_id)
    queue, queue_total = reviews.list_replies(
        wh, status=None if status == "all" else status, product_id=product_id or None,
        limit=QUEUE_ROWS)
    runner = request.app.state.server.jobs
    running = runner.active(JOB_KINDS)
    return render(request, principal, "reviews/index.html", title="nav.reviews",
                  insights=insights, figures=figures, product_id=product_id,
                  summary=summary, product_insights=product_insights,
                  product_missing=product_missing, products=reviews.reviewed_products(wh),
                  queue=queue, queue_total=queue_total, queue_rows=QUEUE_ROWS, status=status,
                  running=running, can_approve=principal.may(P.REVIEWS_APPROVE))
