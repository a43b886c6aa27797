"""Finance: the report of any period as data, its files (HTML, PDF, XLSX) as a background job,
and report schedules the server runs.

Writing the files is reading finance (``finance.read``): they hold nothing a reader cannot see
on the screen. A schedule is a standing order the server carries out for everybody, so setting
one up or removing it is a store setting (``settings.write``).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import uuid
from contextlib import closing
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from shopkeeper import accounts, finance, store
from shopkeeper.api.app import settings as server_settings
from shopkeeper.api.app import warehouse
from shopkeeper.api.idempotency import idempotent
from shopkeeper.api.jobs import Job, JobContext, JobRunner, job_kind, periodic
from shopkeeper.api.problems import ProblemError
from shopkeeper.api.security import Principal, requires

log = logging.getLogger("shopkeeper.api.finance")
router = APIRouter(tags=["finance"])
P = accounts.Permission
Wh = Annotated[store.Warehouse, Depends(warehouse)]
Settings = Annotated[store.Settings, Depends(server_settings)]
JOB_ID = re.compile(r"[0-9a-f]{16}")
FOLDER = re.compile(r"[0-9a-f]{32}")
REPORT_KIND = "finance.report"
PeriodKind = Literal["week", "month", "quarter"]
Lang = Literal["en", "zh"]
Format = Literal["html", "pdf", "xlsx"]


# dates a calendar of sales can hold (pandas' timestamps end in 2262)
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2200, 12, 31)


@router.get("/finance/report", summary="The finance report of a period as data",
            response_model=finance.ReportSummary)
def report(wh: Wh, settings: Settings, period: PeriodKind = "month",
           as_of: Annotated[dt.date | None, Query(description="The last period complete on this "
                                                  "date; default: the latest one.",
                                                  ge=FIRST_DAY, le=LAST_DAY)] = None,
           lang: Lang = "en",
           _: Principal = requires(P.FINANCE_READ)) -> finance.ReportSummary:
    """P&L and KPIs against the period before and a year ago, the narrative, the variance
    bridge (waterfall data), anomalies and the outlook: one report per currency, or one with
    every amount converted at the configured rates. The first request of a period computes it
    (seconds: the outlook is a forecast); later ones are served from the per-load cache."""
    summary = finance.report_summary(wh, period, lang=lang, as_of=as_of,
                                     report_currency=settings.report_currency,
                                     fx_rates=settings.fx_rates)
    assert summary is not None
    return summary


class ReportRequest(BaseModel):
    period: PeriodKind = "month"
    as_of: dt.date | None = Field(default=None, description="The last period complete on this "
                                  "date; default: the latest one.", ge=FIRST_DAY, le=LAST_DAY)
    lang: Lang = "en"
    formats: list[Format] = Field(default=["html", "pdf", "xlsx"], min_length=1, max_length=3)


@router.post("/finance/reports", summary="Write the report's files (a background job)",
             status_code=202, response_model=Job)
def start_report(body: ReportRequest, request: Request,
                 principal: Principal = requires(P.FINANCE_READ)):
    """Starts a ``finance.report`` job; when done its result lists the files, downloaded from
    ``/finance/reports/{job_id}/{fmt}``."""
    server = request.app.state.server
    params = body.model_dump(mode="json")
    return idempotent(request, principal, lambda: server.jobs.submit(
        REPORT_KIND, params, principal.actor), status_code=202)


SUMMARY_KIND = "finance.summary"


@job_kind(SUMMARY_KIND, P.FINANCE_READ)
def _summary_job(ctx: JobContext) -> dict[str, Any]:
    """Compute a period's report summary into the per-load cache (the finance page starts this
    instead of making its visitor wait)."""
    params = ctx.params
    ctx.progress("computing the report", 0.05)
    summary = finance.report_summary(ctx.wh, params.get("period") or "month",
                                     lang=params.get("lang") or "en", as_of=params.get("as_of"),
                                     report_currency=ctx.settings.report_currency,
                                     fx_rates=ctx.settings.fx_rates)
    assert summary is not None
    return {"period": summary.label, "currencies": [r.currency for r in summary.reports]}


def summary_job(server: Any, params: dict[str, Any], actor: str) -> Job:
    """The queued or running summary job for ``params``, or a new one."""
    for status in ("running", "queued"):
        for job in server.jobs.list(kind=SUMMARY_KIND, status=status, limit=20):
            if job.params == params:
                return job
    return server.jobs.submit(SUMMARY_KIND, params, actor)


def reports_dir(settings: store.Settings) -> Path:
    return settings.data_dir / "exports" / "reports"


@job_kind(REPORT_KIND, P.FINANCE_READ)
def _report_job(ctx: JobContext) -> dict[str, Any]:
    params = ctx.params
    formats = tuple(dict.fromkeys(params.get("formats") or finance.FORMATS))
    lang, period = params.get("lang") or "en", params.get("period") or "month"
    finance.check_report_options(lang, formats)
    ctx.progress("computing the report", 0.05)
    built = finance.cached_reports(ctx.wh, period, lang=lang, as_of=params.get("as_of"),
                                   report_currency=ctx.settings.report_currency,
                                   fx_rates=ctx.settings.fx_rates)
    folder = uuid.uuid4().hex
    out = reports_dir(ctx.settings) / folder
    reports, errors = [], {}
    for i, r in enumerate(built):
        files: dict[str, str] = {}
        for j, fmt in enumerate(formats):
            ctx.progress(f"writing {r.period.label} ({r.currency}): {fmt}",
                         0.1 + 0.9 * (i * len(formats) + j) / (len(built) * len(formats)))
            try:
                files[fmt] = finance.write_report(r, out, (fmt,))[fmt].name
            except Exception as exc:  # one format failing (no PDF engine) keeps the others
                log.exception("report %s: %s failed", r.period.label, fmt)
                errors[f"{r.currency}:{fmt}"] = str(exc).splitlines()[0][:300] or type(
                    exc).__name__
        reports.append({"period": r.period.label, "currency": r.currency, "money": r.money,
                        "files": files})
    if not any(r["files"] for r in reports):
        raise RuntimeError("no report file could be written: " + "; ".join(errors.values()))
    return {"folder": folder, "period": built[0].period.label, "lang": lang,
            "formats": list(formats), "reports": reports, "errors": errors}


@router.get("/finance/reports/{job_id}/{fmt}", summary="Download a written report file",
            response_class=FileResponse,
            responses={200: {"content": {"text/html": {}, "application/pdf": {},
                                         "application/vnd.openxmlformats-officedocument."
                                         "spreadsheetml.sheet": {}}}})
def download_report(job_id: str, fmt: Format, request: Request, settings: Settings,
                    currency: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None,
                    _: Principal = requires(P.FINANCE_READ)) -> FileResponse:
    if not JOB_ID.fullmatch(job_id):
        raise ProblemError(404, f"no report job {job_id!r}")
    job = request.app.state.server.jobs.get(job_id)
    if job.kind != REPORT_KIND:
        raise ProblemError(404, f"job {job_id} is not a finance report")
    if job.status != "done" or not job.result:
        raise ProblemError(409, f"report job {job_id} is {job.status}: wait until it is done")
    folder = str(job.result.get("folder", ""))
    reports = [r for r in job.result.get("reports", [])
               if currency is None or r.get("currency") == currency]
    name = next((str(r["files"][fmt]) for r in reports if fmt in r.get("files", {})), None)
    if not FOLDER.fullmatch(folder) or name is None:
        raise ProblemError(404, f"report job {job_id} wrote no {fmt} file"
                                + (f" for {currency}" if currency else ""))
    base = (reports_dir(settings) / folder).resolve()
    path = (base / name).resolve()
    if path.parent != base or not path.is_file():
        raise ProblemError(404, f"the {fmt} file of report job {job_id} is gone")
    return FileResponse(path, filename=path.name)


# -- schedules -----------------------------------------------------------------------------------
class ScheduleRequest(BaseModel):
    period: PeriodKind = "month"
    lang: Lang = "en"
    formats: list[Format] = Field(default=["html", "pdf", "xlsx"], min_length=1, max_length=3)
    weekday: int = Field(default=0, ge=0, le=6, description="0 = Monday … 6 = Sunday")
    hour: int = Field(default=7, ge=0, le=23, description="In the store's time zone")


@router.get("/finance/schedules", summary="Report schedules and their next run",
            response_model=list[finance.ReportSchedule])
def schedules(wh: Wh, _: Principal = requires(P.FINANCE_READ)) -> list[finance.ReportSchedule]:
    return finance.list_schedules(wh)


@router.post("/finance/schedules", summary="Schedule a report", status_code=201,
             response_model=finance.ReportSchedule)
def add_schedule(body: ScheduleRequest, request: Request, wh: Wh,
                 principal: Principal = requires(P.SETTINGS_WRITE)):
    def create() -> finance.ReportSchedule:
        made = finance.add_schedule(wh, period=body.period, formats=list(body.formats),
                                    weekday=body.weekday, hour=body.hour, lang=body.lang,
                                    created_by=principal.actor)
        accounts.record(wh, principal.actor, "finance.schedule.add",
                        f"schedule:{made.schedule_id}", after=body.model_dump(mode="json"),
                        via=principal.via)
        return made

    return idempotent(request, principal, create, status_code=201)


@router.delete("/finance/schedules/{schedule_id}", summary="Remove a report schedule",
               response_model=finance.ReportSchedule)
def remove_schedule(schedule_id: str, wh: Wh,
                    principal: Principal = requires(P.SETTINGS_WRITE)) -> finance.ReportSchedule:
    removed = finance.remove_schedule(wh, schedule_id)
    accounts.record(wh, principal.actor, "finance.schedule.remove", f"schedule:{schedule_id}",
                    before=removed.model_dump(mode="json"), via=principal.via)
    return removed


@periodic("finance.schedules")
def run_due_schedules(runner: JobRunner, now: dt.datetime) -> list[str]:
    """Start a report job for every schedule that is due (the server calls this every
    minute); returns the job ids."""
    started = []
    with closing(runner.wh.shared()) as wh:
        for s in finance.due_schedules(wh, now):
            job = runner.submit(REPORT_KIND, {"period": s.period, "lang": s.lang,
                                              "formats": s.formats, "as_of": None,
                                              "schedule_id": s.schedule_id}, s.created_by)
            finance.mark_schedule_run(wh, s.schedule_id, job.job_id, now)
            started.append(job.job_id)
    return started
