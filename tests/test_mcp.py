"""The MCP server, driven by the mcp SDK's own client: over streamable HTTP (a real uvicorn on
loopback, the app mounted at /mcp as the workspace mounts it) and over stdio (a real
``shopkeeper mcp`` subprocess). Bearer tokens come from shopkeeper.accounts."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import uvicorn
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from starlette.applications import Starlette
from starlette.routing import Mount

from shopkeeper import accounts, content, inventory, mcp, metrics, store
from shopkeeper.store import Warehouse

PASSWORD = "correct horse battery"


# -- helpers ----------------------------------------------------------------------------------
@contextlib.contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serve ``app`` with a real uvicorn on a free loopback port, in a thread."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)


@contextlib.contextmanager
def mcp_over_http(wh: Warehouse) -> Iterator[str]:
    """The MCP app mounted at /mcp inside a parent app that runs its lifespan, as the
    workspace does; yields the endpoint URL."""
    mcp_app = mcp.http_app(wh, store.Settings(warehouse=wh.path,
                                              model_dir=wh.path.parent / "models"))
    parent = Starlette(routes=[Mount("/mcp", app=mcp_app)],
                       lifespan=lambda _app: mcp_app.lifespan())
    with serving(parent) as base:
        yield base + "/mcp/"


def http_client(url: str, token: str | None) -> Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return Client(streamable_http_client(url, http_client=create_mcp_http_client(headers)))


def run(fn: Any, *args: Any) -> Any:
    return anyio.run(fn, *args)


def problem_of(result: Any) -> dict:
    """The RFC 9457 problem a failed tool call answered with."""
    assert result.is_error
    body = json.loads(result.content[0].text)
    assert set(body) >= {"type", "title", "status", "detail"}, body
    assert result.structured_content == body
    return body


def raw_post(url: str, token: str | None) -> httpx.Response:
    headers = {"Accept": "application/json, text/event-stream"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    return httpx.post(url, json=body, headers=headers, timeout=30)


def add_user(wh: Warehouse, name: str, role: str) -> None:
    accounts.add_user(wh, name, PASSWORD, role, actor="test", via="test")


def token(wh: Warehouse, user: str, scope: str) -> accounts.IssuedToken:
    return accounts.create_token(wh, user, f"{user} {scope}", scope=scope, actor="test",
                                 via="test")


def check_listing(tools: list) -> None:
    """Every declared tool is listed, described, with an input schema and the right hints."""
    by_name = {t.name: t for t in tools}
    assert set(by_name) == {s.name for s in mcp.TOOLS}
    for spec in mcp.TOOLS:
        tool = by_name[spec.name]
        assert len(tool.description) > 80, spec.name
        assert tool.input_schema["type"] == "object"
        for name, prop in tool.input_schema.get("properties", {}).items():
            assert prop.get("description"), f"{spec.name}.{name} has no description"
        assert tool.output_schema, f"{spec.name} has no output schema"
        assert tool.annotations.read_only_hint is (not spec.writes)
        assert spec.writes == spec.permission.writes


# -- the declarations -------------------------------------------------------------------------
def test_every_tool_declares_a_permission_and_only_approvals_and_drafts_write():
    names = [s.name for s in mcp.TOOLS]
    assert len(names) == len(set(names))
    assert {s.name for s in mcp.TOOLS if s.writes} == {"draft_copy", "approve_draft",
                                                      "approve_reply"}
    for spec in mcp.TOOLS:
        assert isinstance(spec.permission, accounts.Permission)
        assert spec.description and spec.title
        # a read-scoped token can never call a tool that writes, whatever the role
        for role in accounts.ROLES:
            if spec.writes:
                assert not accounts.allowed(role, spec.permission, "read")


def test_the_doc_lists_every_tool_with_its_permission_and_roles():
    doc = (Path(__file__).resolve().parents[1] / "docs/mcp.md").read_text(encoding="utf-8")
    for spec in mcp.TOOLS:
        row = next((line for line in doc.splitlines() if line.startswith(f"| `{spec.name}` |")),
                   None)
        assert row is not None, f"docs/mcp.md has no row for {spec.name}"
        roles = ", ".join(r for r in accounts.ROLES if accounts.allowed(r, spec.permission))
        scope = "write" if spec.writes else "read"
        assert row.endswith(f"| `{spec.permission}` | {scope} | {roles} |"), row


# -- HTTP on a small shop (fast) --------------------------------------------------------------
def test_http_needs_a_valid_token_and_a_write_token_to_write(shop):
    wh = shop
    add_user(wh, "olga", "operator")
    add_user(wh, "ann", "analyst")
    olga_write, olga_read = token(wh, "olga", "write"), token(wh, "olga", "read")
    ann_write = token(wh, "ann", "write")
    with mcp_over_http(wh) as url:
        # no token, a malformed one, an unknown one: 401 as a problem, before any MCP
        for secret in (None, "nonsense", "sk_" + "0" * 12 + "_" + "x" * 30):
            r = raw_post(url, secret)
            assert r.status_code == 401, secret
            assert r.headers["content-type"] == "application/problem+json"
            assert r.json()["status"] == 401 and r.json()["detail"]
            assert r.headers["www-authenticate"].startswith("Bearer")

        async def as_reader() -> None:
            async with http_client(url, olga_read.secret) as client:
                check_listing((await client.list_tools()).tools)
                got = await client.call_tool("metrics_query", {
                    "metrics": ["orders", "net_revenue"], "by": ["month"]})
                assert not got.is_error, got.content
                rows = got.structured_content["rows"]
                assert [r["orders"] for r in rows] == [2, 2]  # o4 was cancelled
                want = metrics.query(wh, ["orders", "net_revenue"], by="month").df
                assert [r["net_revenue"] for r in rows] == pytest.approx(
                    want["net_revenue"].tolist())
                refused = problem_of(await client.call_tool("draft_copy", {"product_id": "A"}))
                assert refused["status"] == 403 and "write-scoped" in refused["detail"]
                refused = problem_of(await client.call_tool("approve_draft",
                                                            {"draft_ids": ["cd-x"]}))
                assert refused["status"] == 403
        run(as_reader)
        assert content.list_drafts(wh).empty  # the refused calls wrote nothing

        async def as_writer() -> list[str]:
            async with http_client(url, olga_write.secret) as client:
                made = await client.call_tool("draft_copy", {
                    "product_id": "A", "kinds": ["title", "description"], "lang": "en"})
                assert not made.is_error, made.content
                ids = [d["draft_id"] for d in made.structured_content["drafts"]]
                listed = await client.call_tool("list_drafts", {"status": "draft"})
                assert {d["draft_id"] for d in listed.structured_content["drafts"]} == set(ids)
                # one unknown id: a 404 problem, and none of the others is approved
                missing = problem_of(await client.call_tool("approve_draft",
                                                            {"draft_ids": [ids[0], "cd-nope"]}))
                assert missing["status"] == 404 and "cd-nope" in missing["detail"]
                assert (content.list_drafts(wh)["status"] == "draft").all()
                done = await client.call_tool("approve_draft", {"draft_ids": ids})
                assert not done.is_error, done.content
                approved = done.structured_content["drafts"]
                assert [(d["draft_id"], d["status"], d["reviewed_by"]) for d in approved] == [
                    (i, "approved", "olga") for i in ids]
                # arguments that fail the input schema: a 422 problem
                bad = problem_of(await client.call_tool("draft_copy", {"product_id": "A",
                                                                       "lang": "fr"}))
                assert bad["status"] == 422
                return ids
        ids = run(as_writer)
        drafts = content.list_drafts(wh).set_index("draft_id")
        assert set(drafts.index) == set(ids)
        assert (drafts["status"] == "approved").all()
        approvals = accounts.audit_log(wh, action="content.approve")
        assert {(e.target, e.actor, e.via) for e in approvals} == {
            (f"draft:{i}", "olga", "mcp") for i in ids}
        assert all(e.before["status"] == "draft" and e.after["status"] == "approved"
                   for e in approvals)

        async def analyst_writes() -> None:  # a write token cannot lift a role's limits
            async with http_client(url, ann_write.secret) as client:
                refused = problem_of(await client.call_tool("approve_draft",
                                                            {"draft_ids": ids}))
                assert refused["status"] == 403 and "analyst" in refused["detail"]
        run(analyst_writes)

        # a revoked token stops working at once
        assert raw_post(url, olga_read.secret).status_code == 200
        accounts.revoke_token(wh, olga_read.token_id, actor="test", via="test")
        r = raw_post(url, olga_read.secret)
        assert r.status_code == 401 and "revoked" in r.json()["detail"]


def test_ask_answers_with_the_query_and_follows_up(shop):
    add_user(shop, "vic", "viewer")
    add_user(shop, "amy", "agent")
    viewer, agent = token(shop, "vic", "read").secret, token(shop, "amy", "read").secret
    with mcp_over_http(shop) as url:

        async def as_viewer() -> None:
            async with http_client(url, viewer) as client:
                tools = {t.name: t for t in (await client.list_tools()).tools}
                assert tools["ask"].annotations.read_only_hint is True
                got = await client.call_tool("ask", {"question": "上个月的销售额是多少？"})
                assert not got.is_error, got.content
                zh = got.structured_content
                # January 2024 (the last order is on 25 February): o1 45.50 + o2 50.00
                assert (zh["kind"], zh["value"], zh["currency"]) == ("number", 95.5, "EUR")
                assert zh["text"] == "2024年1月的成交总额为 EUR 95.50。"
                assert got.content[0].text == zh["text"]
                assert zh["metric_query"]["metrics"] == ["gmv"] and "order_lines" in zh["sql"]
                got = await client.call_tool("ask", {"question": "and by channel?",
                                                     "previous": zh["metric_query"]})
                by = got.structured_content
                assert by["kind"] == "table" and by["columns"] == ["channel", "gmv"]
                assert by["rows"] == [["app", 50.0], ["web", 45.5]]
                back = (await client.call_tool("ask", {"question": "How did we do last month?"})
                        ).structured_content
                assert back["kind"] == "ask_back" and "GMV" in back["choices"]
                assert problem_of(await client.call_tool("ask", {"question": ""}))["status"] == 422
        run(as_viewer)

        async def as_agent() -> None:  # the service console's role reads no metrics
            async with http_client(url, agent) as client:
                body = problem_of(await client.call_tool("ask", {"question": "GMV last month"}))
                assert body["status"] == 403 and "agent" in body["detail"]
        run(as_agent)


def test_http_answers_503_until_its_lifespan_runs(shop):
    add_user(shop, "olga", "operator")
    secret = token(shop, "olga", "read").secret
    mcp_app = mcp.http_app(shop, store.Settings(warehouse=shop.path))
    with serving(Starlette(routes=[Mount("/mcp", app=mcp_app)])) as base:  # no lifespan
        r = raw_post(base + "/mcp/", secret)
    assert r.status_code == 503 and "lifespan" in r.json()["detail"]


# -- every tool on the demo store (slow: the demo store takes minutes to build) ----------------
def demo_calls(wh: Warehouse) -> dict[str, dict]:
    """Valid arguments for every tool, found in the demo store itself."""
    sku = wh.query("SELECT product_id FROM order_lines GROUP BY 1 ORDER BY sum(quantity) DESC "
                   "LIMIT 1")[0][0]
    reviewed = wh.query("SELECT product_id FROM review_sentiment GROUP BY 1 "
                        "ORDER BY count(*) DESC LIMIT 1")[0][0]
    customer = wh.query("SELECT customer_id FROM orders WHERE customer_id IS NOT NULL "
                        "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")[0][0]
    reply = wh.query("SELECT reply_id FROM review_replies WHERE status = 'draft' "
                     "ORDER BY reply_id LIMIT 1")[0][0]
    calls = {
        "ask": {"question": "上个月哪个国家的客单价最高？"},
        "metrics_query": {"metrics": ["net_revenue", "orders"], "by": ["month"],
                          "start": "2011-09-01", "end": "2011-11-30", "compare": "previous"},
        "report_summary": {"period": "month"},
        "forecast_for_sku": {"product_id": sku},
        "plan_summary": {"limit": 5},
        "review_summary": {"product_id": reviewed},
        "catalogue_search": {"query": "white hanging heart", "k": 5},
        "customer_segments": {"customer_id": customer},
        "recommendations_for_customer": {"customer_id": customer, "n": 5},
        "buy_again": {"customer_id": customer},
        "replenishment_audience": {"limit": 5},
        "list_drafts": {},
        "list_reply_drafts": {},
        "draft_copy": {"product_id": sku, "kinds": ["title"], "lang": "en"},
        "approve_draft": {"draft_ids": ["(from draft_copy)"]},
        "approve_reply": {"reply_ids": [reply]},
    }
    assert set(calls) == {s.name for s in mcp.TOOLS}  # a new tool must be exercised here
    return calls


def expected(wh: Warehouse) -> dict[str, Any]:
    """The warehouse's own numbers, from the capabilities, to compare the tools with."""
    money = metrics.converted_money(wh, "", {})
    m = metrics.query(wh, ["net_revenue", "orders"], by="month", start="2011-09-01",
                      end="2011-11-30", compare="previous", money=money).df
    plan_id = wh.query("SELECT plan_id FROM replenishment_plans ORDER BY created_at DESC "
                       "LIMIT 1")[0][0]
    lines, orders, value = wh.query(
        "SELECT count(*), count(*) FILTER (WHERE suggested_qty > 0), "
        "sum(order_value) FILTER (WHERE suggested_qty > 0) FROM plan_lines WHERE plan_id = ?",
        [plan_id])[0]
    top = [r[0] for r in wh.query(
        "SELECT product_id FROM plan_lines WHERE plan_id = ? AND suggested_qty > 0 "
        "ORDER BY order_value DESC, product_id LIMIT 5", [plan_id])]
    fresh = inventory.make_plan(wh, save=False)  # the same forecast, planned again
    return {"metrics": m, "plan": {"plan_id": plan_id, "lines": lines, "orders": orders,
                                   "value": value, "top": top, "fresh": fresh}}


def check_read_results(results: dict[str, Any], want: dict[str, Any]) -> None:
    asked = results["ask"]
    assert asked["kind"] == "table" and asked["metric_query"]["metrics"] == ["aov"]
    assert asked["metric_query"]["by"] == ["country"] and asked["sql"] and asked["text"]
    rows = results["metrics_query"]["rows"]
    m = want["metrics"]
    assert [r["orders"] for r in rows] == m["orders"].tolist()
    assert [r["net_revenue"] for r in rows] == pytest.approx(m["net_revenue"].tolist())
    assert [r["orders_prev"] for r in rows] == pytest.approx(m["orders_prev"].tolist())
    assert results["metrics_query"]["money"] == "GBP"
    plan, got = want["plan"], results["plan_summary"]
    assert got["plan"]["plan_id"] == plan["plan_id"]
    assert (got["plan"]["lines"], got["plan"]["order_lines"], got["total"]) == (
        plan["lines"], plan["orders"], plan["orders"])
    assert got["plan"]["order_values"] == pytest.approx({"GBP": plan["value"]})
    assert [line["product_id"] for line in got["items"]] == plan["top"]
    fresh = plan["fresh"]  # planning the same forecast again gives the stored numbers
    assert got["plan"]["forecast_run_id"] == fresh.forecast_run_id
    assert got["plan"]["order_values"] == pytest.approx(fresh.order_values)
    report = results["report_summary"]["reports"][0]
    assert report["currency"] == "GBP" and report["narrative"]
    net = next(k for k in report["kpis"] if k["metric"] == "net_revenue")
    same_month = [r for r in rows if str(r["month"]).startswith(report["period"])]
    assert report["period"] == "2011-11" and len(same_month) == 1
    assert net["value"] == pytest.approx(same_month[0]["net_revenue"])
    assert net["previous"] == pytest.approx(same_month[0]["net_revenue_prev"])
    fc = results["forecast_for_sku"]
    assert fc["forecast"] and fc["model"] and fc["run_id"]
    assert fc["forecast_total"] == pytest.approx(sum(p["yhat"] for p in fc["forecast"]))
    assert results["review_summary"]["reviews"] > 0
    assert results["catalogue_search"]["hits"]
    seg = results["customer_segments"]
    assert sum(s["customers"] for s in seg["segments"]) == seg["customers"]
    assert seg["customer"] is not None
    assert len(results["recommendations_for_customer"]["picks"]) == 5


async def call_every_tool(client: Client, calls: dict[str, dict], *, writes: bool
                          ) -> dict[str, Any]:
    check_listing((await client.list_tools()).tools)
    uris = {str(r.uri) for r in (await client.list_resources()).resources}
    assert uris == {"shopkeeper://schema", "shopkeeper://metrics"}
    schema = json.loads((await client.read_resource("shopkeeper://schema")).contents[0].text)
    assert {t["table"] for t in schema} >= {"orders", "order_lines", "products"}
    defs = json.loads((await client.read_resource("shopkeeper://metrics")).contents[0].text)
    assert {m["name"] for m in defs["metrics"]} == set(metrics.METRICS)
    results: dict[str, Any] = {}
    for spec in mcp.TOOLS:
        args = dict(calls[spec.name])
        if spec.name == "approve_draft" and writes:
            args["draft_ids"] = [d["draft_id"] for d in results["draft_copy"]["drafts"]]
        got = await client.call_tool(spec.name, args)
        if spec.writes and not writes:
            body = problem_of(got)
            assert body["status"] == 403 and "write-scoped" in body["detail"], body
            continue
        assert not got.is_error, (spec.name, got.content)
        assert got.content[0].text.strip(), spec.name
        results[spec.name] = got.structured_content
    return results


@pytest.fixture(scope="module")
def demo_copy(demo_store, tmp_path_factory) -> Path:
    """The demo store's data folder, copied (so this module never locks the shared one)."""
    source = demo_store[0] / "shopkeeper-data"
    folder = tmp_path_factory.mktemp("mcp-demo") / "shopkeeper-data"
    folder.mkdir()
    shutil.copy(source / "warehouse.duckdb", folder / "warehouse.duckdb")
    if (source / "models").exists():
        shutil.copytree(source / "models", folder / "models")
    return folder


@pytest.mark.slow
def test_stdio_lists_and_calls_every_tool(demo_copy, tmp_path):
    folder = tmp_path / "shopkeeper-data"
    shutil.copytree(demo_copy, folder)
    path = folder / "warehouse.duckdb"
    with Warehouse(path) as wh:
        calls, want = demo_calls(wh), expected(wh)
        add_user(wh, "olga", "operator")
        secret = token(wh, "olga", "write").secret
    env = {k: v for k, v in os.environ.items() if k not in ("SHOPKEEPER_CONFIG",
                                                            "SHOPKEEPER_TOKEN")}

    def server(token_env: str | None) -> StdioServerParameters:
        extra = {"SHOPKEEPER_TOKEN": token_env} if token_env else {}
        return StdioServerParameters(command=sys.executable,
                                     args=["-m", "shopkeeper.cli", "-w", str(path), "mcp"],
                                     env={**env, **extra}, cwd=str(tmp_path))

    async def session(token_env: str | None, writes: bool) -> dict[str, Any]:
        async with Client(server(token_env), read_timeout_seconds=300) as client:
            results = await call_every_tool(client, calls, writes=writes)
            # between calls the server holds no lock: another process can write meanwhile
            with Warehouse(path, lock_timeout=0) as other:
                other.query("SELECT 1")
            return results

    read = run(session, None, False)  # no token: a local analyst, read-only
    check_read_results(read, want)
    wrote = run(session, secret, True)  # an operator's write token
    check_read_results(wrote, want)
    with Warehouse(path, read_only=True) as wh:
        drafts = content.list_drafts(wh).set_index("draft_id")
        ids = [d["draft_id"] for d in wrote["draft_copy"]["drafts"]]
        assert (drafts.loc[ids, "status"] == "approved").all()
        approvals = accounts.audit_log(wh, action="content.approve")
        assert {(e.target, e.actor, e.via) for e in approvals} == {
            (f"draft:{i}", "olga", "mcp") for i in ids}
        reply = calls["approve_reply"]["reply_ids"][0]
        assert wh.query("SELECT status FROM review_replies WHERE reply_id = ?",
                        [reply]) == [("approved",)]


@pytest.mark.slow
def test_http_lists_and_calls_every_tool(demo_copy, tmp_path):
    folder = tmp_path / "shopkeeper-data"
    shutil.copytree(demo_copy, folder)
    with Warehouse(folder / "warehouse.duckdb") as wh:  # held, as the server holds it
        calls, want = demo_calls(wh), expected(wh)
        add_user(wh, "olga", "operator")
        add_user(wh, "vic", "viewer")
        write, read = token(wh, "olga", "write"), token(wh, "olga", "read")
        viewer = token(wh, "vic", "read")
        with mcp_over_http(wh) as url:
            read_results = run(_session, url, read.secret, calls, False)
            check_read_results(read_results, want)
            wrote = run(_session, url, write.secret, calls, True)
            check_read_results(wrote, want)

            async def as_viewer() -> None:  # a viewer sees numbers but not customers
                async with http_client(url, viewer.secret) as client:
                    assert not (await client.call_tool("plan_summary", {"limit": 1})).is_error
                    body = problem_of(await client.call_tool(
                        "customer_segments", {}))
                    assert body["status"] == 403 and "viewer" in body["detail"]
            run(as_viewer)
        ids = [d["draft_id"] for d in wrote["draft_copy"]["drafts"]]
        drafts = content.list_drafts(wh).set_index("draft_id")
        assert (drafts.loc[ids, "status"] == "approved").all()


async def _session(url: str, secret: str, calls: dict, writes: bool) -> dict[str, Any]:
    async with http_client(url, secret) as client:
        return await call_every_tool(client, calls, writes=writes)
