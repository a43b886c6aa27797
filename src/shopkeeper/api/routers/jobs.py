"""Background jobs: start one, follow its progress, read its outcome."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from shopkeeper import accounts
from shopkeeper.api import jobs as job_runner
from shopkeeper.api.idempotency import idempotent
from shopkeeper.api.pagination import Page, Paging, paging
from shopkeeper.api.problems import ProblemError
from shopkeeper.api.security import Principal, requires

router = APIRouter(tags=["jobs"])
P = accounts.Permission


class NewJob(BaseModel):
    kind: str = Field(description="What to run: see GET /jobs/kinds.", max_length=50)
    params: dict[str, Any] = Field(default={}, description="The kind's parameters.")


@router.get("/jobs/kinds", summary="The kinds of background job and the permission each needs")
def kinds(_: Principal = requires(P.JOBS_READ)) -> dict[str, str]:
    return {name: perm.value for name, (_fn, perm) in sorted(job_runner.KINDS.items())}


@router.get("/jobs", summary="Recent jobs, newest first", response_model=Page[job_runner.Job])
def list_jobs(request: Request, page: Annotated[Paging, Depends(paging)],
              kind: str | None = None,
              status: Literal["queued", "running", "done", "failed"] | None = None,
              _: Principal = requires(P.JOBS_READ)) -> Page[job_runner.Job]:
    runner = request.app.state.server.jobs
    items = runner.list(limit=page.limit + 1, offset=page.offset, kind=kind, status=status)
    total = page.offset + len(items)
    return page.of(items[:page.limit], total=total)


@router.get("/jobs/{job_id}", summary="One job: status, progress, outcome",
            response_model=job_runner.Job)
def get_job(job_id: str, request: Request,
            _: Principal = requires(P.JOBS_READ)) -> job_runner.Job:
    return request.app.state.server.jobs.get(job_id)


@router.post("/jobs", summary="Start a background job (Idempotency-Key honoured)",
             status_code=202, response_model=job_runner.Job)
def start_job(body: NewJob, request: Request,
              principal: Principal = requires(P.JOBS_READ)):
    if body.kind not in job_runner.KINDS:
        raise ProblemError(422, f"unknown job kind {body.kind!r}; known: "
                                f"{', '.join(sorted(job_runner.KINDS))}")
    _, permission = job_runner.KINDS[body.kind]
    if not principal.may(permission):
        raise ProblemError(403, f"starting a {body.kind} job needs {permission.value}")
    runner = request.app.state.server.jobs
    return idempotent(request, principal,
                      lambda: runner.submit(body.kind, body.params, principal.actor),
                      status_code=202)
