"""Customers: segments (the RFM grid), lifetime value, audience exports, search, one customer's
page with recommendations and their reasons, and the shopping guide as a chat."""

from __future__ import annotations

import threading
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from shopkeeper import accounts, recommend, store
from shopkeeper.api.app import warehouse
from shopkeeper.api.jobs import Job, JobContext, job_kind
from shopkeeper.api.pagination import Page, Paging, paging
from shopkeeper.api.problems import ProblemError
from shopkeeper.api.security import Principal, requires

router = APIRouter(tags=["customers"])
P = accounts.Permission
Wh = Annotated[store.Warehouse, Depends(warehouse)]
RECOMMENDER_MODELS = Literal["EASE", "ItemKNN", "RP3Beta", "ALS", "BPR", "TopPop"]


@router.get("/customers", summary="Find customers by id, name, email or city, or by segment",
            response_model=Page[recommend.CustomerHit])
def search(wh: Wh, page: Annotated[Paging, Depends(paging)],
           q: Annotated[str, Query(max_length=recommend.MAX_QUERY_CHARS,
                                   description="Text the id, name, email or city contains "
                                               "(taken literally).")] = "",
           segment: Annotated[str | None, Query(max_length=60)] = None,
           _: Principal = requires(P.CUSTOMERS_READ)) -> Page[recommend.CustomerHit]:
    items, total = recommend.search_customers(wh, q, segment=segment or None, limit=page.limit,
                                              offset=page.offset)
    return page.of(items, total=total)


@router.get("/customers/segments",
            summary="Segments: the RFM grid, named segments and the lifetime-value summary",
            response_model=recommend.SegmentOverview)
def segments(wh: Wh, _: Principal = requires(P.CUSTOMERS_READ)) -> recommend.SegmentOverview:
    return recommend.segment_overview(wh)


@router.get("/customers/clv", summary="Lifetime value: the fitted models and the top customers",
            response_model=recommend.ClvSummary)
def clv(wh: Wh, top: Annotated[int, Query(ge=1, le=200)] = 20,
        _: Principal = requires(P.CUSTOMERS_READ)) -> recommend.ClvSummary:
    overview = recommend.segment_overview(wh, top=top)
    if overview.clv is None:
        raise ProblemError(404, overview.clv_note or "no lifetime model")
    return overview.clv


@router.get("/customers/audience", summary="Download a segment's customers (CSV or XLSX)",
            response_class=FileResponse)
def audience(request: Request, wh: Wh,
             segment: Annotated[str | None, Query(max_length=60)] = None,
             min_churn_risk: Annotated[float | None, Query(ge=0, le=1)] = None,
             fmt: Literal["csv", "xlsx"] = "csv",
             principal: Principal = requires(P.CUSTOMERS_READ)) -> FileResponse:
    path = request.app.state.server.export_path(f".{fmt}")  # never a name from the request
    rows = recommend.export_segment(wh, path, segment=segment or None,
                                    min_churn_risk=min_churn_risk)
    accounts.record(wh, principal.actor, "customers.export_audience",
                    f"segment:{segment or 'all'}",
                    after={"rows": rows, "min_churn_risk": min_churn_risk, "format": fmt},
                    via=principal.via)
    name = "".join(c if c.isalnum() else "-" for c in (segment or "all"))
    return FileResponse(path, filename=f"audience-{name}.{fmt}")


class TrainIn(BaseModel):
    model: RECOMMENDER_MODELS = "EASE"


@router.post("/customers/recommender",
             summary="Train the store's recommender and keep it (a background job)",
             status_code=202, response_model=Job)
def train_recommender(request: Request, body: TrainIn | None = None,
                      principal: Principal = requires(P.DATA_WRITE)) -> Job:
    return request.app.state.server.jobs.submit(
        recommend.RECOMMENDER_JOB, {"model": (body or TrainIn()).model}, principal.actor)


@job_kind(recommend.RECOMMENDER_JOB, P.DATA_WRITE)
def _train_job(ctx: JobContext) -> dict[str, Any]:
    model = str(ctx.params.get("model") or "EASE")
    ctx.progress(f"training {model}", 0.1)
    trained = recommend.train(ctx.wh, model=model)
    ctx.progress("saving", 0.9)
    path = recommend.save_recommender(trained,
                                      recommend.default_model_path(ctx.settings.model_dir))
    return {"model": model, "customers": len(trained.users), "products": len(trained.items),
            "interactions": int(trained.matrix.nnz), "file": path.name}


# -- the shopping guide as a chat (before /customers/{id}: "guide" is no customer) -----------
_guide_lock = threading.Lock()


def guide_sessions(app: FastAPI) -> recommend.GuideSessions:
    """The app's live guide conversations, made on first use."""
    with _guide_lock:
        sessions = getattr(app.state, "guide_sessions", None)
        if sessions is None:
            sessions = app.state.guide_sessions = recommend.GuideSessions()
        return sessions


class GuideStart(BaseModel):
    customer_id: str | None = Field(default=None, max_length=100,
                                    description="Personalise for this customer (optional).")


class GuideMessage(BaseModel):
    text: str = Field(min_length=1, max_length=500)


@router.post("/customers/guide", summary="Start a shopping-guide conversation",
             status_code=201, response_model=recommend.GuideStarted)
def guide_start(request: Request, wh: Wh, body: GuideStart | None = None,
                principal: Principal = requires(P.CUSTOMERS_READ)) -> recommend.GuideStarted:
    settings = request.app.state.server.settings
    return guide_sessions(request.app).start(
        wh, principal.actor, customer_id=(body.customer_id if body else None) or None,
        model_dir=settings.model_dir)


@router.post("/customers/guide/{guide_id}/messages",
             summary="Ask the shopping guide; it asks back or picks products with reasons",
             response_model=recommend.GuideReply)
def guide_send(request: Request, guide_id: str, body: GuideMessage,
               principal: Principal = requires(P.CUSTOMERS_READ)) -> recommend.GuideReply:
    return guide_sessions(request.app).send(guide_id, principal.actor, body.text)


@router.get("/customers/{customer_id}",
            summary="One customer: orders, segment and CLV, recommendations with reasons",
            response_model=recommend.CustomerProfile)
def customer(request: Request, wh: Wh, customer_id: str,
             n: Annotated[int, Query(ge=1, le=50)] = 10,
             _: Principal = requires(P.CUSTOMERS_READ)) -> recommend.CustomerProfile:
    settings = request.app.state.server.settings
    return recommend.customer_profile(wh, customer_id, model_dir=settings.model_dir, n=n)
