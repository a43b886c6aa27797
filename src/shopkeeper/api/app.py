"""The server: one ASGI app with the web workspace at ``/``, the REST API at ``/api/v1`` and
MCP at ``/mcp``.

The server process is the only one that opens the warehouse. It holds the writer for its whole
life and hands every request and job its own cursor (:meth:`Warehouse.shared`), so concurrent
users never meet DuckDB's "database is locked", and a long job's transaction never blocks a
reader (DuckDB's MVCC). CLI commands that write wait ``lock_timeout`` and then say the server
has the file.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import duckdb
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from shopkeeper import __version__, metrics, store
from shopkeeper.api import deadline, problems
from shopkeeper.api.jobs import JobRunner
from shopkeeper.api.security import PUBLIC, LoginThrottle, check_routes, session_signer

log = logging.getLogger("shopkeeper.api")
API_PREFIX = "/api/v1"
MAX_UPLOAD_BYTES = 512 * 1024 * 1024
# the server is the warehouse's only writer and forgets the data version after each of its
# jobs (jobs.JobRunner), so a version read is trusted this long instead of read per request
VERSION_HOLD_S = 2.0


class Server:
    """What every request shares: the settings, the open warehouse, the job runner."""

    def __init__(self, settings: store.Settings, *, workers: int = 2,
                 session_ttl: int = 8 * 3600, warm: bool = False) -> None:
        self.settings = settings
        self.data_dir = settings.data_dir
        self.wh = store.Warehouse.from_settings(settings)
        self.signer = session_signer(self.data_dir)
        self.throttle = LoginThrottle()
        self.session_ttl = session_ttl
        self.jobs = JobRunner(self.wh, settings, self.data_dir, workers=workers, warm=warm)
        if warm:  # the serving process (tests that write rows directly see them at once)
            metrics.hold_version(self.wh, VERSION_HOLD_S)
        self.max_upload_bytes = MAX_UPLOAD_BYTES
        self.upload_dir = self.data_dir / "uploads"

    @contextlib.contextmanager
    def session(self, request: Request | None = None) -> Iterator[store.Warehouse]:
        """A warehouse handle for one request or job, closed after the block. Under a
        ``request``, its statements stop when the request's deadline passes (``deadline``)."""
        with closing(self.wh.shared()) as wh:
            if request is None:
                yield wh
            else:
                with deadline.watched(request.scope, wh):
                    yield wh

    def export_path(self, suffix: str) -> Path:
        """A fresh file for a download (``exports/<random><suffix>`` beside the warehouse)."""
        folder = self.data_dir / "exports"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{uuid.uuid4().hex}{suffix}"

    def start(self) -> None:
        interrupted = self.jobs.start()
        if interrupted:
            log.warning("%d job(s) left unfinished by the last server run are marked failed",
                        interrupted)
        if self.jobs.warm and self.jobs.workers:
            from shopkeeper.api.jobs import WARM_KIND

            self.jobs.submit(WARM_KIND, {"after": "start"}, "server", audit=False)

    def close(self) -> None:
        self.jobs.stop()
        metrics.hold_version(self.wh, 0)
        for _ in range(50):  # a job or request may still be in a DuckDB call on a cursor
            try:
                self.wh.close()
                return
            except duckdb.Error as exc:
                if "busy" not in str(exc):
                    raise
                time.sleep(0.1)
        log.warning("the warehouse is still in use by a running job; it closes with the process")


def warehouse(request: Request) -> Iterator[store.Warehouse]:
    """Dependency: this request's own warehouse handle."""
    with request.app.state.server.session(request) as wh:
        yield wh


def settings(request: Request) -> store.Settings:
    """Dependency: the server's settings."""
    return request.app.state.server.settings


def create_app(settings: store.Settings | None = None, *, workers: int = 2,
               mcp: bool = True, web: bool = True, warm: bool = False) -> FastAPI:
    """Build the app over the warehouse that ``settings`` names (opened at startup).
    ``warm`` (``shopkeeper serve`` sets it): compute the pages' cached aggregates in a
    background job at start and after each load (see ``api/warm.py``), and trust a data version
    read for ``VERSION_HOLD_S`` instead of reading it on every cached call."""
    settings = settings or store.load_settings()
    server = Server(settings, workers=workers, warm=warm)
    mcp_app = _mcp_app(server) if mcp else None

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        server.start()
        try:
            if mcp_app is not None and hasattr(mcp_app, "lifespan"):
                async with mcp_app.lifespan():
                    yield
            else:
                yield
        finally:
            server.close()

    app = FastAPI(
        title="Shopkeeper API",
        version=__version__,
        summary="The merchant's data, reports, forecasts, plans, copy, reviews, service and "
                "customers: every capability of Shopkeeper over HTTP.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        responses={401: {"model": problems.Problem}, 403: {"model": problems.Problem},
                   422: {"model": problems.Problem}},
    )
    app.state.server = server
    problems.install(app)
    _limit_body(app, server)
    app.add_middleware(deadline.RequestDeadline, seconds=lambda: server.settings.request_timeout)

    from shopkeeper.api.routers import ROUTERS

    for router in ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    from shopkeeper.api import warm as _warm  # noqa: F401 (registers the "warm" job kind)
    _docs(app)
    if web:
        with contextlib.suppress(ImportError):
            from shopkeeper import web as web_face

            web_face.install(app)
    if mcp_app is not None:
        app.mount("/mcp", mcp_app.app if hasattr(mcp_app, "app") else mcp_app)
    check_routes(app)
    return app


def _mcp_app(server: Server):
    """MCP over streamable HTTP, sharing this server's warehouse (None until mcp.py exists)."""
    try:
        from shopkeeper import mcp as mcp_face
    except ImportError:
        return None
    return mcp_face.http_app(server.wh, server.settings)


def _limit_body(app: FastAPI, server: Server) -> None:
    """Refuse bodies over the upload limit before reading them (413). A plain ASGI middleware:
    ``@app.middleware("http")`` wraps every request and response in extra tasks and streams,
    which cost a loaded server more than the check itself."""

    class LimitBody:
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
            if scope["type"] == "http":
                length = next((v for k, v in scope["headers"] if k == b"content-length"), b"")
                if length.isdigit() and int(length) > server.max_upload_bytes:
                    p = problems.problem(413, f"the body is {int(length):,} bytes; the limit "
                                              f"is {server.max_upload_bytes:,}",
                                         instance=scope.get("path"))
                    await problems.problem_response(p)(scope, receive, send)
                    return
            await self.inner(scope, receive, send)

    app.add_middleware(LimitBody)


def _docs(app: FastAPI) -> None:
    """Interactive API docs from the swagger-ui-bundle package: no CDN."""
    import swagger_ui_bundle

    app.mount("/api/docs-assets", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path),
              name="docs-assets")

    @app.get("/api/docs", include_in_schema=False, response_class=HTMLResponse)
    def api_docs(_=PUBLIC) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=f"{API_PREFIX}/openapi.json", title="Shopkeeper API",
            swagger_js_url="/api/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/api/docs-assets/swagger-ui.css",
            swagger_favicon_url="/api/docs-assets/favicon-32x32.png")

    @app.get(f"{API_PREFIX}/health", tags=["server"], summary="Liveness and version")
    def health(_=PUBLIC) -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon(_=PUBLIC) -> JSONResponse:
        return JSONResponse({}, status_code=204)
