"""Customers: segments (the RFM grid), lifetime value, audience exports, search, one customer's
page with recommendations and their reasons, what a customer may buy again, the replenishment
audience (JSON and a CSV/XLSX download), and the shopping guide as a chat."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

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


# -- buy it again, and the replenishment audience ---------------------------------------------
def end_of_day(day: dt.date | None) -> dt.datetime | None:
    """``as_of`` for the buy-again functions: every purchase made on ``day`` counts."""
    return None if day is None else dt.datetime.combine(day, dt.time.max, tzinfo=dt.UTC)


class BuyAgainLine(BaseModel):
    """A product the customer is likely to reorder now, with the reason from their own orders."""

    model_config = ConfigDict(from_attributes=True)

    product_id: str
    title: str
    price: float | None
    times_bought: int = Field(description="Distinct days the customer bought it.")
    usual_interval_days: float | None = Field(
        description="Median days between those days; null when bought on one day only.")
    last_ordered: dt.date
    expected_reorder: dt.date | None = Field(
        description="When they are expected to buy it again; null when bought once.")
    status: Literal["overdue", "due", "later", "bought once"] = Field(
        description="due: expected within 14 days; later: after that.")
    reason: str = Field(description="Why, from their own orders, e.g. 'you order this about "
                                    "every 5 weeks; last order 6 weeks ago (4 times)'.")
    score: float


class BuyAgainList(BaseModel):
    """What one customer is likely to buy again now, most likely first."""

    customer_id: str
    as_of: dt.date | None = Field(description="Purchases up to this day; null: up to the "
                                              "store's last order.")
    lang: Literal["en", "zh"]
    items: list[BuyAgainLine]


def buy_again_list(wh: store.Warehouse, customer_id: str, *, n: int = 10,
                   as_of: dt.date | None = None, lang: Literal["en", "zh"] = "en"
                   ) -> BuyAgainList:
    """``recommend.buy_again`` as the API's (and MCP's) typed answer."""
    items = recommend.buy_again(wh, customer_id, n=n, as_of=end_of_day(as_of), lang=lang)
    return BuyAgainList(customer_id=customer_id, as_of=as_of, lang=lang,
                        items=[BuyAgainLine.model_validate(i) for i in items])


class ReplenishmentRow(BaseModel):
    """A customer due or overdue for a product they buy regularly."""

    customer_id: str
    name: str | None
    email: str | None
    product_id: str
    title: str
    times_bought: int = Field(description="Distinct days they bought it.")
    usual_interval_days: float = Field(description="Median days between those days.")
    last_ordered: dt.date
    expected_reorder: dt.date = Field(description="Last order plus the usual interval.")
    status: Literal["overdue", "due"]
    days_overdue: int


class ReplenishmentProduct(BaseModel):
    product_id: str
    title: str
    customers: int = Field(description="Customers due or overdue for it.")
    overdue: int


class ReplenishmentAudience(Page[ReplenishmentRow]):
    """One page of the replenishment audience (soonest expected reorder first) and the summary
    of the whole list."""

    as_of: dt.date | None = Field(description="Purchases up to this day; null: up to the "
                                              "store's last order.")
    within_days: int
    min_orders: int
    customers: int = Field(description="Distinct customers in the whole list.")
    overdue: int = Field(description="Rows whose expected reorder has passed.")
    due: int = Field(description="Rows expected within within_days.")
    top_products: list[ReplenishmentProduct] = Field(
        description="The products with the most customers in the list (at most 10).")


def replenishment(wh: store.Warehouse, *, products: list[str] | None = None,
                  within_days: int = 14, min_orders: int = 3, as_of: dt.date | None = None
                  ) -> Any:
    """``recommend.replenishment_audience`` with the faces' arguments (a table)."""
    return recommend.replenishment_audience(wh, as_of=end_of_day(as_of), products=products,
                                            min_orders=min_orders, within_days=within_days)


def replenishment_page(wh: store.Warehouse, *, products: list[str] | None = None,
                       within_days: int = 14, min_orders: int = 3,
                       as_of: dt.date | None = None, limit: int = 50, offset: int = 0
                       ) -> ReplenishmentAudience:
    """The replenishment audience as the API's (and MCP's) typed answer."""
    table = replenishment(wh, products=products, within_days=within_days,
                          min_orders=min_orders, as_of=as_of)
    overdue = table["status"] == "overdue"
    top = (table.assign(overdue=overdue).groupby(["product_id", "title"], sort=False)
           .agg(customers=("customer_id", "nunique"), overdue=("overdue", "sum"))
           .reset_index().sort_values(["customers", "overdue"], ascending=False,
                                      kind="stable").head(10))
    rows = table.iloc[offset:offset + limit].astype(object)
    rows = rows.where(rows.notna(), None)
    return ReplenishmentAudience(
        items=[ReplenishmentRow.model_validate(r) for r in rows.to_dict("records")],
        total=len(table), limit=limit, offset=offset, as_of=as_of, within_days=within_days,
        min_orders=min_orders, customers=int(table["customer_id"].nunique()),
        overdue=int(overdue.sum()), due=int((~overdue).sum()),
        top_products=[ReplenishmentProduct(product_id=str(r.product_id), title=str(r.title),
                                           customers=int(r.customers), overdue=int(r.overdue))
                      for r in top.itertuples()])


Within = Annotated[int, Query(ge=0, le=365, description="Also customers expected to reorder "
                                                         "within this many days.")]
MinOrders = Annotated[int, Query(ge=2, le=100, description="Only products the customer bought "
                                                           "on at least this many days.")]
Products = Annotated[list[str] | None, Query(alias="product", description="Only these products "
                                             "(products.product_id); repeatable.")]
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2200, 12, 31)  # the days an as_of may be
AsOf = Annotated[dt.date | None, Query(ge=FIRST_DAY, le=LAST_DAY, description=(
    "Purchases up to this day (YYYY-MM-DD, 1900-2200); default: the store's last order."))]


@router.get("/customers/replenishment",
            summary="Customers due or overdue for a product they buy regularly",
            response_model=ReplenishmentAudience)
def replenishment_audience(wh: Wh, page: Annotated[Paging, Depends(paging)],
                           product: Products = None, within_days: Within = 14,
                           min_orders: MinOrders = 3, as_of: AsOf = None,
                           _: Principal = requires(P.CUSTOMERS_READ)) -> ReplenishmentAudience:
    return replenishment_page(wh, products=product or None, within_days=within_days,
                              min_orders=min_orders, as_of=as_of, limit=page.limit,
                              offset=page.offset)


@router.get("/customers/replenishment/export",
            summary="Download the replenishment audience (CSV or XLSX)",
            response_class=FileResponse)
def replenishment_export(request: Request, wh: Wh, product: Products = None,
                         within_days: Within = 14, min_orders: MinOrders = 3,
                         as_of: AsOf = None, fmt: Literal["csv", "xlsx"] = "csv",
                         principal: Principal = requires(P.CUSTOMERS_READ)) -> FileResponse:
    table = replenishment(wh, products=product or None, within_days=within_days,
                          min_orders=min_orders, as_of=as_of)
    path = request.app.state.server.export_path(f".{fmt}")  # never a name from the request
    rows = recommend.export_audience(table, path)
    accounts.record(wh, principal.actor, "customers.export_replenishment", "replenishment",
                    after={"rows": rows, "within_days": within_days, "min_orders": min_orders,
                           "products": product or None, "as_of": as_of, "format": fmt},
                    via=principal.via)
    return FileResponse(path, filename=f"replenishment-{as_of or 'latest'}.{fmt}")


@router.get("/customers/{customer_id}/buy-again",
            summary="What one customer is likely to buy again now, each with its reason",
            response_model=BuyAgainList)
def buy_again(wh: Wh, customer_id: str, n: Annotated[int, Query(ge=1, le=50)] = 10,
              as_of: AsOf = None, lang: Literal["en", "zh"] = "en",
              _: Principal = requires(P.CUSTOMERS_READ)) -> BuyAgainList:
    return buy_again_list(wh, customer_id, n=n, as_of=as_of, lang=lang)


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


@router.post("/customers/guide", summary="Start a shopping-guide conversation (logged; a "
             "known customer's last one is remembered)",
             status_code=201, response_model=recommend.GuideStarted)
def guide_start(request: Request, wh: Wh, body: GuideStart | None = None,
                principal: Principal = requires(P.CUSTOMERS_READ)) -> recommend.GuideStarted:
    settings = request.app.state.server.settings
    return guide_sessions(request.app).start(
        wh, principal.actor, customer_id=(body.customer_id if body else None) or None,
        model_dir=settings.model_dir, fx_rates=settings.fx_rates,
        report_currency=settings.report_currency)


@router.post("/customers/guide/{guide_id}/messages",
             summary="Ask the shopping guide; it asks back or picks products with reasons",
             response_model=recommend.GuideReply)
def guide_send(request: Request, wh: Wh, guide_id: str, body: GuideMessage,
               principal: Principal = requires(P.CUSTOMERS_READ)) -> recommend.GuideReply:
    return guide_sessions(request.app).send(guide_id, principal.actor, body.text, wh=wh)


@router.get("/customers/{customer_id}",
            summary="One customer: orders, segment and CLV, recommendations with reasons",
            response_model=recommend.CustomerProfile)
def customer(request: Request, wh: Wh, customer_id: str,
             n: Annotated[int, Query(ge=1, le=50)] = 10,
             _: Principal = requires(P.CUSTOMERS_READ)) -> recommend.CustomerProfile:
    settings = request.app.state.server.settings
    return recommend.customer_profile(wh, customer_id, model_dir=settings.model_dir, n=n)
