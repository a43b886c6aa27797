"""Demand and stock: find a SKU, its history and stored forecast with the model chosen and why;
the replenishment plan's lines (filter, edit a quantity, approve lines or the whole plan,
export) and its excess and dead stock; forecast and plan runs as background jobs."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field, ValidationError, model_validator

from shopkeeper import accounts, forecast, inventory, store
from shopkeeper.api.app import warehouse
from shopkeeper.api.idempotency import idempotent
from shopkeeper.api.jobs import Job, JobContext, job_kind
from shopkeeper.api.pagination import Page, Paging, paging
from shopkeeper.api.problems import ProblemError
from shopkeeper.api.security import Principal, requires

router = APIRouter(tags=["stock"])
P = accounts.Permission
Wh = Annotated[store.Warehouse, Depends(warehouse)]
PlanId = Annotated[str, Query(max_length=40)]
M = TypeVar("M", bound=BaseModel)
Classes = Annotated[str | None, Query(max_length=20, pattern=r"^[A-Za-z, ]*$",
                                      description="One class or several: A or A,B.")]


# -- request bodies ------------------------------------------------------------------------
class ForecastParams(BaseModel):
    """The options of ``shopkeeper forecast``."""

    level: Literal["sku", "sku_channel", "category", "total"] = "sku"
    freq: Literal["D", "W", "M"] = "D"
    horizon: int | None = Field(default=None, ge=1, le=730)
    models: str = Field(default="auto", max_length=300,
                        description="'auto', or comma-separated models (auto_ets, tsb, …)")
    windows: int = Field(default=2, ge=1, le=10, description="Backtest windows.")
    cutoff: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")
    hierarchy: bool = False
    products: list[str] | None = Field(default=None, max_length=10000,
                                       description="Only these SKUs.")
    kind: Literal["forecast", "chart"] = Field(
        default="forecast", description="'chart': a run for a SKU's chart only (as "
        "'shopkeeper forecast --chart' makes), which a plan never reads.")


# A forecast job never forks worker processes: forking a process that runs other threads
# (requests, jobs) can copy a held lock into the child and hang both. It fits its models in one
# spawned child at a lower priority (isolate=True), so requests never wait for the fit's hold
# on the interpreter lock; the server's parallelism is its job threads (serve --workers).
SERVER_N_JOBS = 1


class PlanParams(BaseModel):
    """The options of ``shopkeeper plan``."""

    review_days: float = Field(default=7.0, gt=0, le=365)
    service: str | dict[str, float] | None = Field(
        default=None, description="Service levels by ABC or ABC×XYZ class, e.g. "
        "'A=0.98,B=0.95,AZ=0.95' or {'A': 0.98}.")
    fill_rate: float | None = Field(default=None, gt=0, lt=1)
    budget: float | None = Field(default=None, ge=0)
    ordering_cost: float = Field(default=0.0, ge=0)
    holding_rate: float = Field(default=0.25, ge=0, le=10)


class QuantityEdit(BaseModel):
    order_qty: float = Field(ge=0, le=1e9, description="Units to order (0: order nothing).")


class ApproveRequest(BaseModel):
    """Approve these line numbers, or the whole plan with ``all``."""

    lines: list[int] | None = Field(default=None, max_length=100000)
    all: bool = False

    @model_validator(mode="after")
    def _one(self) -> ApproveRequest:
        if self.all == bool(self.lines):
            raise ValueError("send either 'lines' (line numbers) or 'all': true")
        return self


class PlanLinePage(Page[inventory.PlanLine]):
    """A page of a plan's lines, and the plan they belong to."""

    plan: inventory.PlanSummary


class ExcessPage(Page[inventory.ExcessLine]):
    """A page of a plan's excess stock, with counts and values of all of it."""

    plan_id: str
    kept: bool
    dead: int
    slow: int
    excess_values: dict[str, float]


def _params(model: type[M], params: dict[str, Any]) -> M:
    """A job's parameters checked, a mistake said in one line."""
    try:
        return model.model_validate(params)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "params"
        raise ValueError(f"{where}: {first['msg']}") from None


# -- SKUs and forecasts --------------------------------------------------------------------
@router.get("/stock/skus", summary="Find SKUs by id or title (substring, any case)",
            response_model=Page[inventory.SkuMatch])
def find_skus(wh: Wh, page: Annotated[Paging, Depends(paging)],
              q: Annotated[str, Query(max_length=200)] = "",
              _: Principal = requires(P.STOCK_READ)) -> Page[inventory.SkuMatch]:
    found = inventory.find_skus(wh, q, limit=page.limit, offset=page.offset)
    return page.of(found.items, total=found.total)


@router.get("/stock/skus/{product_id}", summary="A SKU's history, stored forecast with "
            "intervals, and the model chosen and why", response_model=forecast.SkuForecast)
def sku(product_id: str, wh: Wh, freq: Literal["D", "W", "M"] = "D",
        history_days: Annotated[int, Query(ge=7, le=3650)] = 180,
        _: Principal = requires(P.STOCK_READ)) -> forecast.SkuForecast:
    return forecast.sku_forecast(wh, product_id, freq=freq, history_days=history_days)


@router.post("/stock/forecasts", summary="Forecast demand as a background job",
             status_code=202, response_model=Job)
def start_forecast(body: ForecastParams, request: Request,
                   principal: Principal = requires(P.STOCK_APPROVE)):
    runner = request.app.state.server.jobs
    return idempotent(request, principal, lambda: runner.submit(
        "forecast", body.model_dump(exclude_none=True), principal.actor), status_code=202)


@job_kind("forecast", P.STOCK_APPROVE)
def _forecast_job(ctx: JobContext) -> dict[str, Any]:
    p = _params(ForecastParams, ctx.params)
    models: str | list[str] = ("auto" if p.models.strip() == "auto"
                               else [m.strip() for m in p.models.split(",") if m.strip()])
    run = forecast.forecast_demand(
        ctx.wh, level=p.level, freq=p.freq, horizon=p.horizon, models=models,
        n_windows=p.windows, cutoff=p.cutoff, hierarchy=p.hierarchy,
        products=p.products or None, n_jobs=SERVER_N_JOBS, progress=ctx.progress,
        kind=p.kind, isolate=True)
    fc = run.forecasts
    chosen = run.result.choices["model"].value_counts()
    return {"run_id": run.run_id, "series": int(run.series.n_series), "rows": len(fc),
            "cutoff": str(run.series.cutoff), "seconds": round(float(run.result.seconds), 1),
            "chosen_models": {str(k): int(v) for k, v in chosen.head(10).items()},
            "notes": list(run.result.notes)[:20]}


# -- the plan --------------------------------------------------------------------------------
@router.post("/stock/plans", summary="Draft a replenishment plan as a background job",
             status_code=202, response_model=Job)
def start_plan(body: PlanParams, request: Request,
               principal: Principal = requires(P.STOCK_APPROVE)):
    runner = request.app.state.server.jobs
    return idempotent(request, principal, lambda: runner.submit(
        "plan", body.model_dump(exclude_none=True), principal.actor), status_code=202)


@job_kind("plan", P.STOCK_APPROVE)
def _plan_job(ctx: JobContext) -> dict[str, Any]:
    p = _params(PlanParams, ctx.params)
    settings = inventory.PlanSettings(
        review_days=p.review_days, service_levels=inventory.parse_service_levels(p.service),
        fill_rate_target=p.fill_rate, budget=p.budget, ordering_cost=p.ordering_cost,
        holding_rate=p.holding_rate)
    ctx.progress("drafting the plan", None)
    plan = inventory.make_plan(ctx.wh, settings)
    return {"plan_id": plan.plan_id, "lines": len(plan.lines), "order_lines": len(plan.orders),
            "order_values": plan.order_values, "excess_lines": len(plan.excess),
            "excess_values": plan.excess_values, "gaps": plan.gaps}


@router.get("/stock/plans", summary="Stored plans, newest first",
            response_model=Page[inventory.PlanSummary])
def list_plans(wh: Wh, page: Annotated[Paging, Depends(paging)],
               _: Principal = requires(P.STOCK_READ)) -> Page[inventory.PlanSummary]:
    total, items = inventory.plans(wh, limit=page.limit, offset=page.offset)
    return page.of(items, total=total)


@router.get("/stock/plans/{plan_id}", summary="A plan ('latest' for the newest): state, "
            "lines ordering, approved and edited, order value per currency",
            response_model=inventory.PlanSummary)
def plan_summary(plan_id: str, wh: Wh,
                 _: Principal = requires(P.STOCK_READ)) -> inventory.PlanSummary:
    return inventory.plan_summary(wh, plan_id)


@router.get("/stock/plans/{plan_id}/lines", summary="A plan's lines, filtered by supplier, "
            "ABC/XYZ class, status", response_model=PlanLinePage)
def plan_lines(plan_id: str, wh: Wh, page: Annotated[Paging, Depends(paging)],
               supplier: Annotated[str | None, Query(max_length=200)] = None,
               abc: Classes = None, xyz: Classes = None,
               status: Literal["draft", "approved"] | None = None,
               orders_only: Annotated[bool, Query(description="Only lines that order "
                                                  "something.")] = False,
               edited: bool | None = None,
               q: Annotated[str | None, Query(max_length=200)] = None,
               sort: Literal[tuple(inventory.SORTS)] = "order_value",  # type: ignore[valid-type]
               _: Principal = requires(P.STOCK_READ)) -> PlanLinePage:
    found = inventory.plan_lines(wh, plan_id, supplier=supplier, abc=abc, xyz=xyz,
                                 status=status, orders_only=orders_only, edited=edited, q=q,
                                 sort=sort, limit=page.limit, offset=page.offset)
    return PlanLinePage(items=found.items, total=found.total, limit=page.limit,
                        offset=page.offset, plan=found.plan)


@router.patch("/stock/plans/{plan_id}/lines/{line_no}", summary="Set a draft line's order "
              "quantity (audited with before and after)", response_model=inventory.PlanLine)
def edit_line(plan_id: str, line_no: int, body: QuantityEdit, wh: Wh,
              principal: Principal = requires(P.STOCK_APPROVE)) -> inventory.PlanLine:
    def audit(target: str, before: dict, after: dict) -> None:
        accounts.record(wh, principal.actor, "stock.edit", target, before=before, after=after,
                        via=principal.via)

    try:
        change = inventory.set_order_quantity(wh, plan_id, line_no, body.order_qty,
                                              actor=principal.actor, audit=audit)
    except inventory.PlanConflictError as exc:
        raise ProblemError(409, str(exc)) from None
    return change.after


@router.post("/stock/plans/{plan_id}/approve", summary="Approve lines, or the whole plan "
             "(audited)", response_model=inventory.Approval)
def approve(plan_id: str, body: ApproveRequest, wh: Wh,
            principal: Principal = requires(P.STOCK_APPROVE)) -> inventory.Approval:
    def audit(target: str, before: dict, after: dict) -> None:
        accounts.record(wh, principal.actor, "stock.approve", target, before=before,
                        after=after, via=principal.via)

    try:
        return inventory.approve_lines(wh, plan_id, None if body.all else body.lines,
                                       actor=principal.actor, audit=audit)
    except inventory.PlanConflictError as exc:
        raise ProblemError(409, str(exc)) from None


@router.get("/stock/plans/{plan_id}/export", summary="Download the plan's lines as they "
            "stand (CSV, or XLSX with excess stock)", response_class=FileResponse)
def export(plan_id: str, request: Request, wh: Wh, fmt: Literal["csv", "xlsx"] = "csv",
           supplier: Annotated[str | None, Query(max_length=200)] = None,
           abc: Classes = None, xyz: Classes = None,
           status: Literal["draft", "approved"] | None = None,
           orders_only: bool = False,
           _: Principal = requires(P.STOCK_READ)) -> FileResponse:
    resolved = inventory.resolve_plan(wh, plan_id)  # a stored id: never a path from the client
    path = request.app.state.server.export_path(f".{fmt}")
    inventory.export_plan(wh, resolved, path, supplier=supplier, abc=abc, xyz=xyz,
                          status=status, orders_only=orders_only)
    return FileResponse(path, filename=f"plan-{resolved}.{fmt}")


@router.get("/stock/plans/{plan_id}/excess", summary="The plan's excess and dead stock",
            response_model=ExcessPage)
def excess(plan_id: str, wh: Wh, page: Annotated[Paging, Depends(paging)],
           status: Literal["dead", "slow"] | None = None,
           q: Annotated[str | None, Query(max_length=200)] = None,
           _: Principal = requires(P.STOCK_READ)) -> ExcessPage:
    found = inventory.excess_stock(wh, plan_id, status=status, q=q, limit=page.limit,
                                   offset=page.offset)
    return ExcessPage(items=found.items, total=found.total, limit=page.limit,
                      offset=page.offset, plan_id=found.plan_id, kept=found.kept,
                      dead=found.dead, slow=found.slow, excess_values=found.excess_values)
