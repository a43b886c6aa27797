"""A real server app over a real warehouse, with one user per role, for the face tests."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from fastapi.testclient import TestClient

from shopkeeper import accounts, store

PASSWORD = "correct horse battery"
ROLES = accounts.ROLES


@dataclass
class Workspace:
    """A warehouse with a user per role (named after the role) and read/write tokens for each."""

    settings: store.Settings
    read_tokens: dict[str, str] = field(default_factory=dict)
    write_tokens: dict[str, str] = field(default_factory=dict)
    expired_token: str = ""
    revoked_token: str = ""


def make_workspace(warehouse: Path | str, **overrides: object) -> Workspace:
    """Users and tokens in ``warehouse`` (a file or a server's URL); ``overrides`` are settings
    such as ``model_dir``."""
    settings = store.load_settings(None, warehouse=warehouse, **overrides)
    ws = Workspace(settings)
    with store.Warehouse.from_settings(settings) as wh:
        for role in ROLES:
            accounts.add_user(wh, role, PASSWORD, role, display_name=f"{role.title()} Person")
            ws.read_tokens[role] = accounts.create_token(wh, role, "r", scope="read",
                                                         actor="test", via="test").secret
            ws.write_tokens[role] = accounts.create_token(wh, role, "w", scope="write",
                                                          actor="test", via="test").secret
        expired = accounts.create_token(wh, "owner", "old", scope="write", actor="test",
                                        via="test")
        wh.query("UPDATE api_tokens SET expires_at = now() - INTERVAL 1 DAY WHERE token_id = ?",
                 [expired.token_id])
        ws.expired_token = expired.secret
        revoked = accounts.create_token(wh, "owner", "gone", scope="write", actor="test",
                                        via="test")
        accounts.revoke_token(wh, revoked.token_id, actor="test", via="test")
        ws.revoked_token = revoked.secret
    return ws


@contextlib.contextmanager
def serve(ws: Workspace, **options) -> Iterator[TestClient]:
    """The whole app (web, API, MCP) on a TestClient; the lifespan runs (jobs start)."""
    from shopkeeper.api import create_app

    with TestClient(create_app(ws.settings, **options), raise_server_exceptions=False) as client:
        yield client


def sign_in(client: TestClient, username: str) -> str:
    """Sign in through the API; returns the session's CSRF token."""
    r = client.post("/api/v1/session", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return r.json()["csrf_token"]


def api_reads(client: TestClient, fill: dict[str, str]) -> list[str]:
    """Every GET path of the API's OpenAPI document that needs no query parameter and whose
    path parameters ``fill`` names, with those filled in."""
    spec = client.get("/api/v1/openapi.json").json()
    paths = []
    for path, operations in spec["paths"].items():
        get = operations.get("get")
        names = re.findall(r"{(\w+)}", path)
        if get is None or any(n not in fill for n in names) or any(
                p.get("required") and p["in"] != "path" for p in get.get("parameters", [])):
            continue
        for name in names:
            path = path.replace("{" + name + "}", fill[name])
        paths.append(path)
    return paths
