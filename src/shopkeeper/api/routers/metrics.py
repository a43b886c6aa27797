"""Business metrics by any dimension and period: the one definition every face uses."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from shopkeeper import accounts, metrics, store
from shopkeeper.api.app import settings as server_settings
from shopkeeper.api.app import warehouse
from shopkeeper.api.security import Principal, requires

router = APIRouter(tags=["metrics"])
# dates a calendar of sales can hold (pandas' timestamps end in 2262)
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2200, 12, 31)
P = accounts.Permission
Wh = Annotated[store.Warehouse, Depends(warehouse)]


class MetricInfo(BaseModel):
    name: str
    label_en: str
    label_zh: str
    unit: str
    higher_is_better: bool
    description: str


class MetricTable(BaseModel):
    """Rows of dimension values and metric values; ``<metric>_prev`` and ``_change_pct`` with
    a comparison."""

    metrics: list[str]
    by: list[str]
    columns: list[str]
    rows: list[list[Any]]
    money: str | None = Field(default=None, description="Currency of the amounts, and any "
                              "exchange rates used.")
    unavailable: dict[str, list[str]] = {}


@router.get("/metrics/definitions", summary="Every metric: label, unit, definition",
            response_model=list[MetricInfo])
def definitions(_: Principal = requires(P.METRICS_READ)) -> list[MetricInfo]:
    return [MetricInfo(name=m.name, label_en=m.label_en, label_zh=m.label_zh, unit=m.unit,
                       higher_is_better=m.higher_is_better, description=m.description)
            for m in metrics.METRICS.values()]


@router.get("/metrics/dimensions", summary="Dimensions to slice metrics by")
def dimensions(_: Principal = requires(P.METRICS_READ)) -> list[str]:
    return list(metrics.DIMENSIONS)


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return _clean(value.item())
    return value


def run_query(wh: store.Warehouse, settings: store.Settings, names: list[str], by: list[str],
              filters: dict[str, list[str]], start: dt.date | str | None,
              end: dt.date | str | None,
              compare: str | None) -> MetricTable:
    """A metric query with the store's money rules, shaped for JSON."""
    key = f"metrics:{names}:{by}:{sorted(filters.items())}:{start}:{end}:{compare}"

    def compute() -> MetricTable:
        money = metrics.converted_money(wh, settings.report_currency, settings.fx_rates)
        result = metrics.query(wh, names, by=by, filters=filters, start=start, end=end,
                               compare=compare, money=money)
        df = result.df
        return MetricTable(metrics=list(result.query.metrics), by=list(result.query.by),
                           columns=[str(c) for c in df.columns],
                           rows=[[_clean(v) for v in row] for row in df.itertuples(index=False)],
                           money=str(result.money) if result.money else None,
                           unavailable={k: list(v) for k, v in result.unavailable.items()})

    return metrics.cached(wh, key, compute)


def parse_question(names: str, by: str = "", where: list[str] | None = None
                   ) -> tuple[list[str], list[str], dict[str, list[str]]]:
    """The metric names, dimensions and filters of a question written as query parameters."""
    filters: dict[str, list[str]] = {}
    for item in where or []:
        dim, sep, values = item.partition("=")
        if not sep or not values:
            raise metrics.MetricError(f"where {item!r}: write DIM=VALUE[,VALUE…]")
        filters[dim.strip()] = [v.strip() for v in values.split(",") if v.strip()]
    split = [n.strip() for n in names.split(",") if n.strip()]
    dims = [d.strip() for d in by.split(",") if d.strip()]
    return split, dims, filters


Names = Annotated[str, Query(alias="metrics", max_length=500,
                             description="Comma-separated, e.g. net_revenue,orders")]
By = Annotated[str, Query(max_length=200, description="Comma-separated dimensions, "
                          "e.g. month,channel")]
Where = Annotated[list[str] | None, Query(max_length=500, description="DIM=V1,V2; repeatable")]
Start = Annotated[dt.date | None, Query(alias="from", ge=FIRST_DAY, le=LAST_DAY,
                                        description="First day (YYYY-MM-DD).")]
End = Annotated[dt.date | None, Query(alias="to", ge=FIRST_DAY, le=LAST_DAY,
                                      description="Last day (YYYY-MM-DD).")]


@router.get("/metrics", summary="Query metrics × dimensions × period, with a comparison",
            response_model=MetricTable)
def query(wh: Wh, settings: Annotated[store.Settings, Depends(server_settings)],
          names: Names, by: By = "", where: Where = None, start: Start = None, end: End = None,
          compare: Literal["previous", "year"] | None = None,
          _: Principal = requires(P.METRICS_READ)) -> MetricTable:
    split, dims, filters = parse_question(names, by, where)
    return run_query(wh, settings, split, dims, filters, start, end, compare)


def table_csv(table: MetricTable) -> str:
    """The table as CSV, header first, exactly the rows and columns of the JSON answer."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.columns)
    writer.writerows([["" if v is None else v for v in row] for row in table.rows])
    return out.getvalue()


@router.get("/metrics/export", summary="The same question as CSV",
            response_class=Response,
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}})
def export(wh: Wh, settings: Annotated[store.Settings, Depends(server_settings)],
           names: Names, by: By = "", where: Where = None, start: Start = None, end: End = None,
           compare: Literal["previous", "year"] | None = None,
           _: Principal = requires(P.METRICS_READ)) -> Response:
    split, dims, filters = parse_question(names, by, where)
    table = run_query(wh, settings, split, dims, filters, start, end, compare)
    name = "-".join([*table.metrics, *(["by", *table.by] if table.by else [])])[:120]
    return Response(table_csv(table), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
