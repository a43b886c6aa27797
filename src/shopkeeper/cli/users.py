"""The ``users`` and ``tokens`` groups and the ``audit`` command: accounts of the workspace.

Whoever can run these commands can read the warehouse file, so they act as the store's owner;
every change is audited with the operating-system user as the actor and ``cli`` as the way in.
"""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from shopkeeper import store
from shopkeeper.cli._common import _settings, app, console, err_console, handle_errors

users_app = typer.Typer(help="Who can sign in to the workspace, with which role.",
                        no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens for the REST API and MCP: create, list, revoke.",
                         no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")

ROLE_HELP = "owner, analyst, operator, agent or viewer."


def _actor() -> str:
    """Who the audit log names for a command run here: the operating-system user."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (some containers)
        return "local"


def _when(value, *, date_only: bool = False) -> str:
    if value is None:
        return ""
    return value.strftime("%Y-%m-%d" if date_only else "%Y-%m-%d %H:%M")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


# -- users --------------------------------------------------------------------------------------
@users_app.command("add")
@handle_errors
def users_add(
    username: Annotated[str, typer.Argument(help="Sign-in name (letters, digits, . _ @ -).")],
    role: Annotated[str, typer.Option("--role", "-r", help=ROLE_HELP)],
    display_name: Annotated[str, typer.Option("--name", help="Name shown in the workspace.")]
    = "",
    lang: Annotated[str, typer.Option(help="Workspace language: en or zh.")] = "en",
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password "
                              "from the first line of standard input (for scripts).")] = False,
) -> None:
    """Add a user; asks for the password twice (hidden), or reads it with --password-stdin.

    Example: shopkeeper users add alice --role operator --name "Alice Wang"
    """
    from shopkeeper import accounts

    password = _read_password(password_stdin)
    with store.Warehouse.from_settings(_settings(), on_demand=True) as wh:
        user = accounts.add_user(wh, username, password, role, display_name=display_name,
                                 lang=lang, actor=_actor(), via="cli")
    console.print(f"added {user.username} ({user.role})")


@users_app.command("list")
@handle_errors
def users_list(
    json_output: Annotated[bool, typer.Option("--json", help="Print the users as JSON.")]
    = False,
) -> None:
    """Every user with role, state and language.

    Example: shopkeeper users list
    """
    from shopkeeper import accounts

    with store.Warehouse.from_settings(_settings(), on_demand=True) as wh:
        users = accounts.list_users(wh)
    if json_output:
        console.print_json(json.dumps([u.model_dump(mode="json") for u in users],
                                      ensure_ascii=False))
        return
    if not users:
        console.print("no users yet; add the owner with: shopkeeper users add NAME --role owner")
        return
    table = Table("username", "name", "role", "state", "lang", "created")
    table.columns[0].no_wrap = True
    for u in users:
        table.add_row(u.username, escape(u.display_name), u.role,
                      "[red]disabled[/]" if u.disabled else "enabled", u.lang, _when(u.created_at))
    console.print(table)


def _update(username: str, message: str, **changes) -> None:
    from shopkeeper import accounts

    with store.Warehouse.from_settings(_settings(), on_demand=True) as wh:
        user = accounts.update_user(wh, username, actor=_actor(), via="cli", **changes)
    console.print(message.format(user=user))


@users_app.command("disable")
@handle_errors
def users_disable(
    username: Annotated[str, typer.Argument(help="The user to disable.")],
) -> None:
    """Stop a user signing in; ends their web sessions and makes their API tokens fail.

    Example: shopkeeper users disable alice
    """
    _update(username, "disabled {user.username}", disabled=True)


@users_app.command("enable")
@handle_errors
def users_enable(
    username: Annotated[str, typer.Argument(help="The user to enable again.")],
) -> None:
    """Let a disabled user sign in again (their unexpired tokens work again too).

    Example: shopkeeper users enable alice
    """
    _update(username, "enabled {user.username}", disabled=False)


@users_app.command("set-role")
@handle_errors
def users_set_role(
    username: Annotated[str, typer.Argument(help="The user.")],
    role: Annotated[str, typer.Argument(help=ROLE_HELP)],
) -> None:
    """Give a user another role; the last enabled owner keeps theirs.

    Example: shopkeeper users set-role alice analyst
    """
    _update(username, "{user.username} is now {user.role}", role=role)


@users_app.command("set-password")
@handle_errors
def users_set_password(
    username: Annotated[str, typer.Argument(help="The user.")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password "
                              "from the first line of standard input.")] = False,
) -> None:
    """Set a user's password (to recover an account); ends their web sessions.

    Example: shopkeeper users set-password alice
    """
    _update(username, "password changed for {user.username}",
            password=_read_password(password_stdin))


# -- tokens -------------------------------------------------------------------------------------
@tokens_app.command("create")
@handle_errors
def tokens_create(
    username: Annotated[str, typer.Argument(help="The user the token acts as.")],
    name: Annotated[str, typer.Option("--name", "-n", help="What it is for, e.g. 'claude "
                    "desktop'.")],
    scope: Annotated[str, typer.Option(help="read (never changes anything) or write.")]
    = "read",
    expires_days: Annotated[int, typer.Option(help="Days until it expires; 0 for never.")]
    = 90,
) -> None:
    """Create an API token for the REST API or MCP and print its secret, once.

    It can do what its user's role allows; a read token never writes. Only a hash is kept.

    Example: shopkeeper tokens create alice --name "claude desktop" --scope read
    """
    from shopkeeper import accounts

    with store.Warehouse.from_settings(_settings(), on_demand=True) as wh:
        issued = accounts.create_token(wh, username, name, scope=scope,
                                       expires_days=expires_days or None, actor=_actor(),
                                       via="cli")
    expires = _when(issued.expires_at) or "never"
    err_console.print(f"[bold yellow]Copy this {issued.scope} token now: it is not shown "
                      "again.[/] Keep it secret; revoke it with 'shopkeeper tokens revoke "
                      f"{issued.token_id}'. Expires: {expires}.", highlight=False)
    print(issued.secret)  # plain stdout, so it can be piped into a secret store


@tokens_app.command("list")
@handle_errors
def tokens_list(
    user: Annotated[str | None, typer.Option("--user", "-u", help="Only this user's.")] = None,
) -> None:
    """API tokens with their scope, expiry and last use (never their secrets).

    Example: shopkeeper tokens list --user alice
    """
    from shopkeeper import accounts

    with store.Warehouse.from_settings(_settings(), on_demand=True) as wh:
        tokens = accounts.list_tokens(wh, user)
    if not tokens:
        console.print("no API tokens; create one with: shopkeeper tokens create USER --name N")
        return
    table = Table("user", "name", "scope", "state", "expires", "last used")
    table.add_column("id", no_wrap=True)  # last: the one to copy for 'tokens revoke'
    for t in tokens:
        state = ("[red]revoked[/]" if t.revoked_at else "[yellow]expired[/]" if not t.active
                 else "active")
        table.add_row(t.username, escape(t.name), t.scope, state,
                      _when(t.expires_at, date_only=True) or "never", _when(t.last_used_at),
                      t.token_id)
    console.print(table)


@tokens_app.command("revoke")
@handle_errors
def tokens_revoke(
    token_id: Annotated[str, typer.Argument(help="The token's id (see 'tokens list').")],
) -> None:
    """Revoke an API token: it stops working at once, for good.

    Example: shopkeeper tokens revoke 3f9a1c2b7d4e
    """
    from shopkeeper import accounts

    with store.Warehouse.from_settings(_settings(), on_demand=True) as wh:
        info = accounts.revoke_token(wh, token_id, actor=_actor(), via="cli")
    console.print(f"revoked {info.token_id} ({info.username}: {escape(info.name)})")


# -- audit --------------------------------------------------------------------------------------
@app.command()
@handle_errors
def audit(
    limit: Annotated[int, typer.Option(help="Show this many events, newest first.")] = 50,
    actor: Annotated[str | None, typer.Option(help="Only this actor's events.")] = None,
    action: Annotated[str | None, typer.Option(help="Only this action; 'user.*' for a "
                      "prefix.")] = None,
    export: Annotated[Path | None, typer.Option(help="Write every matching event to this "
                      "file instead: .csv, or .jsonl for JSON Lines.")] = None,
) -> None:
    """The audit log: who changed what, when, through which face, before and after.

    Example: shopkeeper audit --action "user.*" --limit 20
    """
    from shopkeeper import accounts

    with store.Warehouse.from_settings(_settings(), on_demand=True) as wh:
        if export is not None:
            fmt = "jsonl" if export.suffix.lower() in (".jsonl", ".ndjson") else "csv"
            n = accounts.export_audit(wh, export, fmt=fmt, actor=actor, action=action)
            console.print(f"wrote {n} events to {export}")
            return
        events = accounts.audit_log(wh, limit=limit, actor=actor, action=action)
    if not events:
        console.print("no audit events yet")
        return
    table = Table("when", "who (via)", "action", "target", "change")
    for column in table.columns[:3]:
        column.no_wrap = True
    for e in events:
        table.add_row(_when(e.at), *(escape(v) for v in (f"{e.actor} ({e.via})", e.action,
                                                         e.target, _change(e))))
    console.print(table, highlight=False)


def _change(event) -> str:
    """What an update changed, ``key: before → after``, in one short line ('' for a creation:
    its target says what was made; the export has everything)."""
    if not event.before:
        return ""
    after = event.after or {}
    parts = [f"{key}: {event.before.get(key)} → {after.get(key)}"
             for key in sorted({*event.before, *after}) if event.before.get(key) != after.get(key)]
    text = ", ".join(parts)
    return text if len(text) <= 60 else text[:59] + "…"
