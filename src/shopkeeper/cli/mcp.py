"""The ``mcp`` command: Shopkeeper's MCP tools over stdio, for desktop AI agents."""

from __future__ import annotations

from typing import Annotated

import typer

from shopkeeper.cli._common import _settings, app, handle_errors


@app.command("mcp")
@handle_errors
def mcp_cmd(
    token: Annotated[str | None, typer.Option(
        envvar="SHOPKEEPER_TOKEN", show_envvar=True,
        help="An API token ('shopkeeper tokens create'): the agent acts as its user, with its "
             "scope. Without one, the agent may use the read-only tools only.")] = None,
) -> None:
    """Serve the MCP tools over stdin/stdout for an AI agent (Claude Desktop, an IDE…): metrics,
    the finance report, forecasts, the plan, reviews, catalogue search, segments and
    recommendations; drafting and approving copy with a write-scoped token. The warehouse is
    opened only while a tool runs. See docs/mcp.md for the client configuration.

    Example: shopkeeper -w shopkeeper-data/warehouse.duckdb mcp
    """
    from shopkeeper import mcp

    mcp.run_stdio(_settings(), token=token)
