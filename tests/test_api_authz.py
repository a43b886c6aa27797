"""The authorisation matrix: every route × every kind of caller gets exactly what its declared
permission says (generated from the declarations, so a new route is covered automatically)."""

from __future__ import annotations

import re

import pytest

from shopkeeper import accounts
from shopkeeper.api import route_declarations
from tests.server_fixtures import ROLES, make_workspace, serve, sign_in

DENIED = {401, 403}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    return make_workspace(tmp_path_factory.mktemp("authz") / "w.duckdb")


def _path(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "zz0000000000", template)


def _callers(ws):
    """(label, role or None, headers builder, kind)."""
    yield "anonymous", None, None, "anonymous"
    yield "expired token", None, ws.expired_token, "bad-token"
    yield "revoked token", None, ws.revoked_token, "bad-token"
    for role in ROLES:
        yield f"{role} session", role, "session", "session"
        yield f"{role} read token", role, ws.read_tokens[role], "read"
        yield f"{role} write token", role, ws.write_tokens[role], "write"


def _expected(req, role, kind) -> str:
    """'allow', 'deny' (401/403) or 'login' (a page redirecting to the sign-in page)."""
    if req.permission is None:
        return "allow"
    if kind in ("anonymous",):
        return "login" if req.web else "deny"
    if kind == "bad-token":
        return "deny"
    scope = kind if kind in ("read", "write") else None
    return "allow" if accounts.allowed(role, req.permission, scope) else "deny"


def test_every_route_declares_a_permission(workspace):
    from shopkeeper.api import create_app

    app = create_app(workspace.settings, mcp=False)
    routes = list(route_declarations(app))
    assert len(routes) > 30
    assert all(req is not None for _, _, req in routes)


def test_a_route_without_a_declaration_stops_the_app(workspace):
    from fastapi import APIRouter

    from shopkeeper.api import routers

    stray = APIRouter()

    @stray.get("/undeclared")
    def undeclared() -> dict:
        return {}

    routers.ROUTERS.append(stray)
    try:
        from shopkeeper.api import create_app

        with pytest.raises(RuntimeError, match="undeclared"):
            create_app(workspace.settings, mcp=False)
    finally:
        routers.ROUTERS.remove(stray)


@pytest.mark.slow
def test_authorisation_matrix(workspace):
    failures, checked = [], 0
    with serve(workspace, mcp=False) as client:
        routes = [(m, p, r) for m, p, r in route_declarations(client.app)
                  if p not in ("/logout", "/login", "/setup", "/lang")  # public forms
                  and not (m == "DELETE" and p == "/api/v1/session")]  # signs the caller out
        for label, role, credential, kind in _callers(workspace):
            client.cookies.clear()
            headers = {"accept": "application/json"}
            if kind == "session":
                headers["X-CSRF-Token"] = sign_in(client, role)
            elif credential:
                headers["Authorization"] = f"Bearer {credential}"
            for method, path, req in routes:
                expected = _expected(req, role, kind)
                r = client.request(method, _path(path), headers=headers, json=None,
                                   follow_redirects=False)
                checked += 1
                if r.status_code >= 500:
                    ok = False
                elif expected == "allow":
                    ok = r.status_code not in DENIED and not r.is_redirect
                elif expected == "login":
                    ok = r.status_code == 303 and "/login" in r.headers.get("location", "")
                else:
                    ok = r.status_code in DENIED
                if not ok:
                    failures.append(f"{label}: {method} {path} → {r.status_code} "
                                    f"(expected {expected}; declares "
                                    f"{req.permission.value if req.permission else 'public'})")
    assert checked > 500
    assert not failures, "\n".join(failures[:40])


# -- MCP tools × roles × scopes ------------------------------------------------------------------
def _sample(schema: dict, defs: dict) -> object:
    """A value of the right type for a JSON-schema property (enough to pass validation)."""
    if "$ref" in schema:
        return _sample(defs[schema["$ref"].split("/")[-1]], defs)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return _sample(schema[key][0], defs)
    if "enum" in schema:
        return schema["enum"][0]
    if "default" in schema and schema["default"] is not None:
        return schema["default"]
    kind = schema.get("type", "string")
    if kind == "array":
        return [_sample(schema.get("items", {}), defs)]
    return {"string": "zz0000", "integer": 1, "number": 1.0, "boolean": False,
            "object": {}}.get(kind, "x")


def _arguments(tool) -> dict:
    schema = tool.input_schema if hasattr(tool, "input_schema") else tool.inputSchema
    defs = schema.get("$defs", {})
    return {name: _sample(prop, defs) for name, prop in schema.get("properties", {}).items()
            if name in schema.get("required", [])}


@pytest.mark.slow
def test_mcp_tool_matrix(workspace):
    import json
    from contextlib import closing

    import anyio
    from mcp import Client

    from shopkeeper import mcp, store

    callers = [(role, scope) for role in ROLES for scope in ("read", "write")] + [(None, None)]
    failures, checked = [], 0
    with store.Warehouse.from_settings(workspace.settings) as held:
        for role, scope in callers:
            who = mcp.Principal(name=role or "nobody", role=role or "", scope=scope or "read")
            server = mcp.build_server(lambda: closing(held.shared()),
                                      principal=(lambda who=who, role=role: who if role else None),
                                      settings=workspace.settings)

            async def run(server=server, role=role, scope=scope) -> None:
                nonlocal checked
                async with Client(server) as client:
                    tools = {t.name: t for t in (await client.list_tools()).tools}
                    assert set(tools) == {spec.name for spec in mcp.TOOLS}
                    for spec in mcp.TOOLS:
                        got = await client.call_tool(spec.name, _arguments(tools[spec.name]))
                        status = (json.loads(got.content[0].text).get("status")
                                  if got.is_error else 200)
                        if role is None:
                            expected_denied = True
                        else:
                            expected_denied = not accounts.allowed(role, spec.permission, scope)
                        denied = status in DENIED
                        checked += 1
                        if denied != expected_denied or (status or 0) >= 500:
                            failures.append(f"{role}/{scope}: {spec.name} → {status} (expected "
                                            f"{'deny' if expected_denied else 'allow'})")

            anyio.run(run)
    assert checked == len(callers) * len(mcp.TOOLS)
    assert not failures, "\n".join(failures)
