"""Errors in one JSON shape for the API and MCP: RFC 9457 problem details.

Every error a client sees is ``{"type", "title", "status", "detail", "instance"}`` with the media
type ``application/problem+json``; a server fault says only that it failed and where to look (the
server log), never a traceback.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from shopkeeper.errors import (
    ConfigError,
    IngestError,
    ShopkeeperError,
    WarehouseError,
    WarehouseLockedError,
)

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://shopkeeper.dev/problems/"
log = logging.getLogger("shopkeeper.api")

TITLES = {
    400: "Bad request",
    401: "Not signed in",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
    500: "Server error",
    503: "Busy",
    504: "Timed out",
}


class Problem(BaseModel):
    """An RFC 9457 problem: what went wrong, for a person (``detail``) and a program (``type``)."""

    type: str = Field(description="URI naming the kind of problem.")
    title: str = Field(description="Short summary of the kind of problem.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(default="", description="What went wrong this time, and what to do.")
    instance: str | None = Field(default=None, description="The request path it happened on.")
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="Per-field validation errors (422 only)."
    )


def problem(status: int, detail: str = "", *, kind: str | None = None,
            instance: str | None = None, **extra: Any) -> Problem:
    title = TITLES.get(status, "Error")
    slug = kind or title.lower().replace(" ", "-")
    return Problem(type=PROBLEM_BASE + slug, title=title, status=status, detail=detail,
                   instance=instance, **extra)


class ProblemError(Exception):
    """Raise from a route to answer with a problem (any face: the web turns it into a page)."""

    def __init__(self, status: int, detail: str, *, kind: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.kind, self.headers = status, detail, kind, headers or {}


def status_for(exc: ShopkeeperError) -> int:
    """The HTTP status a library error stands for."""
    if isinstance(exc, WarehouseLockedError):
        return 503
    if isinstance(exc, LookupError):
        return 404
    if isinstance(exc, (IngestError, ConfigError, ValueError)):
        return 422 if isinstance(exc, IngestError) else 400
    if isinstance(exc, WarehouseError):
        return 500
    return 400


def problem_response(p: Problem, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(p.model_dump(exclude_none=True), status_code=p.status,
                        media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _answer(request: Request, p: Problem, headers: dict[str, str] | None = None):
    """JSON for the API and MCP; the web face's error page for a browser asking for a page."""
    html_errors = getattr(request.app.state, "html_errors", None)
    path = request.url.path
    if (html_errors is not None and not path.startswith(("/api/", "/mcp"))
            and "text/html" in request.headers.get("accept", "")):
        response = html_errors(request, p)
        for key, value in (headers or {}).items():
            response.headers[key] = value
        return response
    return problem_response(p, headers)


def install(app: FastAPI) -> None:
    """Make every error on ``app`` a problem-details response (an error page for browsers)."""

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError):
        return _answer(request, problem(exc.status, exc.detail, kind=exc.kind,
                                        instance=request.url.path), exc.headers)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException):
        detail = exc.detail if isinstance(exc.detail, str) else ""
        return _answer(request, problem(exc.status_code, detail, instance=request.url.path),
                       dict(exc.headers or {}))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        errors = [{"loc": [str(p) for p in e.get("loc", ())], "msg": e.get("msg", ""),
                   "type": e.get("type", "")} for e in exc.errors()]
        first = errors[0] if errors else {"loc": [], "msg": ""}
        detail = f"{'.'.join(first['loc'])}: {first['msg']}" if errors else "invalid input"
        return _answer(request, problem(422, detail, instance=request.url.path, errors=errors))

    @app.exception_handler(ShopkeeperError)
    async def _library(request: Request, exc: ShopkeeperError):
        status = status_for(exc)
        if status >= 500:
            log.exception("request %s failed", request.url.path, exc_info=exc)
        return _answer(request, problem(status, str(exc), instance=request.url.path))

    @app.exception_handler(LookupError)
    async def _missing(request: Request, exc: LookupError):
        detail = str(exc.args[0]) if exc.args else "not found"
        return _answer(request, problem(404, detail, instance=request.url.path))

    @app.exception_handler(Exception)
    async def _fault(request: Request, exc: Exception):
        log.exception("request %s failed", request.url.path, exc_info=exc)
        return _answer(request, problem(
            500, "the server failed on this request; the server log has the details",
            instance=request.url.path))
