"""The ``shopkeeper`` command: a thin Typer face over the capabilities' entry modules.

One module per capability, mirroring the API's routers; each registers its commands (or its
sub-group) on the shared ``app`` from ``_common`` when imported. Every command turns library
errors into one red line and a non-zero exit code; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import importlib

from typer.models import CommandInfo

from shopkeeper.cli._common import (
    _progress,
    _Steps,
    app,
    console,
    err_console,
    handle_errors,
    state,
)

# The command modules (shopkeeper.cli.<name>), imported in this order: ``shopkeeper --help``
# lists sub-groups in the order they are added. The capabilities' modules mirror the API's
# routers; then the workspace's own: accounts (users, tokens, audit), the server, MCP.
COMMAND_MODULES = (
    "data", "finance", "metrics", "ask", "forecast", "inventory", "llm", "content", "reviews",
    "service", "recommend", "users", "serve", "mcp",
)
for _module in COMMAND_MODULES:
    importlib.import_module(f"{__name__}.{_module}")

# ``shopkeeper --help`` lists the top-level commands in this order (then the sub-groups); a
# command not named here follows them, in the order its module registered it.
HELP_ORDER = (
    "init", "ingest", "status", "doctor", "backup", "restore", "quarantine", "sql", "report", "metrics", "ask", "presets", "demo",
    "generate", "forecast", "backtest", "plan", "chat", "guide",
)


def _help_rank(command: CommandInfo) -> int:
    name = command.name or command.callback.__name__.replace("_", "-")
    return HELP_ORDER.index(name) if name in HELP_ORDER else len(HELP_ORDER)


app.registered_commands.sort(key=_help_rank)


def main() -> None:
    """Console-script entry point."""
    app()


__all__ = [
    "COMMAND_MODULES", "HELP_ORDER", "_Steps", "_progress", "app", "console", "err_console",
    "handle_errors", "main", "state",
]
