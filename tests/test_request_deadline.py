"""A bound on a whole request (issue 25): a real uvicorn serves the app with a short
``request_timeout``; a request past it is answered 504 in time, its warehouse statement is
interrupted and its transaction rolled back, while a slow upload, a started stream and a quick
request are left alone. MCP tool calls are bounded the same way."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import Depends, Request
from fastapi.responses import StreamingResponse

from shopkeeper import mcp, store
from shopkeeper.api import app as app_module
from shopkeeper.api import create_app
from tests.server_fixtures import make_workspace
from tests.test_mcp import serving

LIMIT = 1.0
# a statement that runs for minutes unless interrupted
ENDLESS = "SELECT count(*) FROM range(1000000000000) t(i) WHERE i % 7 = 3"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[tuple[str, dict[str, Any]]]:
    """The app over an empty warehouse, with test routes that take too long in different ways;
    yields the base URL and what the routes saw."""
    ws = make_workspace(tmp_path_factory.mktemp("deadline") / "w.duckdb")
    settings = ws.settings.model_copy(update={"request_timeout": LIMIT})
    app = create_app(settings, workers=0, web=False, mcp=False)
    seen: dict[str, Any] = {}
    Wh = Depends(app_module.warehouse)

    @app.get("/slow/query")
    def slow_query(wh: store.Warehouse = Wh) -> dict:
        seen["query_ended"] = threading.Event()
        try:
            wh.query(ENDLESS)
            seen["query_error"] = None
        except Exception as exc:  # the interrupt, as DuckDB raises it
            seen["query_error"] = type(exc).__name__
        finally:
            seen["query_ended"].set()
        return {}

    @app.post("/slow/write")
    def slow_write(wh: store.Warehouse = Wh) -> dict:
        seen["write_ended"] = threading.Event()
        try:
            with wh.transaction() as con:
                con.execute("CREATE TABLE half_written AS SELECT 1 AS x")
                con.execute(ENDLESS)
        finally:
            seen["write_ended"].set()
        return {}

    @app.get("/slow/tables")
    def tables(wh: store.Warehouse = Wh) -> list[str]:
        return [r[0] for r in wh.query("SELECT table_name FROM information_schema.tables")]

    @app.get("/slow/python")
    def slow_python() -> dict:
        time.sleep(3 * LIMIT)  # not a statement: nothing can stop it, its answer is dropped
        seen["python_done"] = True
        return {"late": True}

    @app.post("/slow/ignores-body")
    def ignores_body() -> dict:  # never reads what it was sent
        time.sleep(3 * LIMIT)
        return {}

    @app.post("/slow/upload")
    async def slow_upload(request: Request) -> dict:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
        return {"size": size}

    @app.get("/slow/stream")
    def slow_stream() -> StreamingResponse:
        def pieces() -> Iterator[bytes]:
            for i in range(4):
                time.sleep(LIMIT / 2)
                yield f"piece {i}\n".encode()
        return StreamingResponse(pieces(), media_type="text/plain")

    with serving(app) as base:
        yield base, seen


def _get(url: str, **kw: Any) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    r = httpx.request(kw.pop("method", "GET"), url, timeout=30, **kw)
    return r, time.monotonic() - started


def test_a_statement_past_the_deadline_is_answered_504_and_stopped(server):
    base, seen = server
    r, took = _get(base + "/slow/query")
    assert r.status_code == 504, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "request_timeout" in r.json()["detail"]
    assert LIMIT <= took < LIMIT + 2
    assert seen["query_ended"].wait(10), "the statement ran on after the 504"
    assert seen["query_error"] is not None and "Interrupt" in seen["query_error"]
    r, _ = _get(base + "/api/v1/health")  # the server goes on serving
    assert r.status_code == 200


def test_a_stopped_write_leaves_nothing_half_written(server):
    base, seen = server
    r, took = _get(base + "/slow/write", method="POST")
    assert r.status_code == 504 and took < LIMIT + 2
    assert seen["write_ended"].wait(10), "the write ran on after the 504"
    r, _ = _get(base + "/slow/tables")
    assert r.status_code == 200 and "orders" in r.json()
    assert "half_written" not in r.json()  # its transaction rolled back


def test_python_work_past_the_deadline_is_answered_in_time(server):
    base, seen = server
    r, took = _get(base + "/slow/python")
    assert r.status_code == 504 and took < 2 * LIMIT + 1
    assert "python_done" not in seen  # answered before the work ended


def test_a_body_that_is_never_read_does_not_hold_the_deadline_off(server):
    base, _ = server
    r, took = _get(base + "/slow/ignores-body", method="POST", content=b"x" * 1000)
    assert r.status_code == 504 and took < 2 * LIMIT + 1


def test_a_slow_upload_is_not_cut_off(server):
    base, _ = server

    def body() -> Iterator[bytes]:
        for _ in range(5):
            time.sleep(LIMIT / 2)
            yield b"x" * 1000

    r, took = _get(base + "/slow/upload", method="POST", content=body())
    assert r.status_code == 200, r.text
    assert r.json() == {"size": 5000} and took > 2 * LIMIT


def test_a_started_stream_and_a_quick_request_are_left_alone(server):
    base, _ = server
    r, took = _get(base + "/slow/stream")
    assert r.status_code == 200 and r.text.count("piece") == 4 and took > LIMIT
    r, _ = _get(base + "/api/v1/health")
    assert r.status_code == 200


def test_an_mcp_tool_call_past_the_deadline_is_a_504_problem(tmp_path):
    path = tmp_path / "w.duckdb"
    with store.Warehouse(path) as wh:
        settings = store.Settings(warehouse=path, request_timeout=LIMIT)
        server = mcp.build_server(
            lambda: app_module.closing(wh.shared()),
            principal=lambda: mcp.Principal("olga", "owner", "read"), settings=settings)
        ctx = SimpleNamespace(mcp_server=server)

        def endless(w: store.Warehouse, who: mcp.Principal) -> Any:
            w.query(ENDLESS)
            raise AssertionError("not stopped")

        started = time.monotonic()
        result = mcp._run(ctx, "metrics_query", endless)  # type: ignore[arg-type]
        assert result.is_error and result.structured_content["status"] == 504
        assert "request_timeout" in result.structured_content["detail"]
        assert time.monotonic() - started < LIMIT + 3
