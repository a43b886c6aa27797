"""``shopkeeper serve``: the web workspace, the REST API and MCP over HTTP, in one server."""

from __future__ import annotations

import contextlib
import secrets
from typing import Annotated

import typer

from shopkeeper import accounts, store
from shopkeeper.cli._common import _settings, app, console, handle_errors

DEMO_USER = "demo"


def _demo_login(wh: store.Warehouse) -> str:
    """A fresh password for the demo owner (created if missing); printed, never stored in clear."""
    password = secrets.token_urlsafe(9)
    if accounts.get_user(wh, DEMO_USER) is None:
        accounts.add_user(wh, DEMO_USER, password, "owner", display_name="Demo owner",
                          actor="serve --demo", via="cli")
    else:
        accounts.update_user(wh, DEMO_USER, password=password, disabled=False,
                             actor="serve --demo", via="cli")
    return password


@app.command()
@handle_errors
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on. The default serves this "
                                      "machine only; use 0.0.0.0 to serve the network (put "
                                      "HTTPS in front).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=8, help="Background job threads (forecasts, "
                                         "plans, loads).")] = 2,
    demo: Annotated[bool, typer.Option("--demo", help="Create or reset the 'demo' owner with a "
                                       "new password and print it (for the demo store).")] = False,
) -> None:
    """Serve the web workspace at /, the REST API at /api/v1 (docs at /api/docs) and MCP at /mcp.

    The server holds the warehouse while it runs: use the workspace or the API to change data
    (CLI commands that write wait for it, then say so). On first start with no users it prints
    a one-time setup link that creates the owner. Ctrl-C stops it.

    Example: shopkeeper serve --port 8000
    """
    import uvicorn

    from shopkeeper.api import create_app

    settings = _settings()
    address = f"http://{'localhost' if host in ('127.0.0.1', '::1') else host}:{port}"
    with store.Warehouse.from_settings(settings) as wh:
        password = _demo_login(wh) if demo else None
        setup = None if accounts.has_users(wh) else accounts.create_setup_secret(wh)
    application = create_app(settings, workers=workers, warm=True)
    console.print(f"Shopkeeper workspace: [bold]{address}/[/]  (API docs {address}/api/docs, "
                  f"MCP {address}/mcp)", highlight=False)
    if password:
        console.print(f"demo login: user [bold]{DEMO_USER}[/], password [bold]{password}[/]",
                      highlight=False)
    if setup:
        console.print(f"no users yet: create the owner at {address}/setup?secret={setup} "
                      "(the link works once)", highlight=False)
    console.print("Ctrl-C stops the server.", style="dim")
    # uvicorn re-raises Ctrl-C once it has shut down cleanly
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.run(application, host=host, port=port, log_level="warning", access_log=False)
    console.print("stopped.", style="dim")
