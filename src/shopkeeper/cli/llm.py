"""The ``llm`` group: the configured language model, its usage and a test call."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from shopkeeper.cli._common import (
    _settings,
    _split,
    app,
    console,
    err_console,
    handle_errors,
)

llm_app = typer.Typer(help="The language model: what is configured, what it cost, a test call.",
                      no_args_is_help=True)
app.add_typer(llm_app, name="llm")


@llm_app.command("info")
@handle_errors
def llm_info() -> None:
    """Show the configured provider and model, and check that it answers.

    Example: shopkeeper llm info
    """
    from shopkeeper import llm

    settings = _settings()
    console.print(f"provider: {settings.llm_provider}")
    if settings.llm_provider == "builtin":
        console.print("no model: every capability uses its grounded path. Set llm_provider to "
                      "openai (with llm_base_url) or llamacpp in shopkeeper.toml to use one.")
        return
    model = llm.get_llm(settings)
    console.print(f"model: {model.label}")
    if settings.llm_provider == "openai":
        console.print(f"endpoint: {model.provider.base_url}")
    else:
        console.print(f"file: {model.provider.path}")
    reply = model.chat([{"role": "user", "content": "Reply with the single word: ready"}],
                       task="health", max_tokens=8)
    console.print(f"answer: {reply.text.strip()!r} ({reply.latency_s:.2f}s"
                  f"{', cached' if reply.cached else ''})", highlight=False)


@llm_app.command("usage")
@handle_errors
def llm_usage(
    by: Annotated[str, typer.Option(help="Comma-separated: provider, model, task, day.")]
    = "provider,model,task",
    since: Annotated[str | None, typer.Option(help="Only calls on or after this date "
                     "(YYYY-MM-DD).")] = None,
) -> None:
    """Model calls so far: count, cache hits, failures, tokens, mean latency, estimated cost.

    Example: shopkeeper llm usage --by day,task --since 2026-11-01
    """
    import datetime as dt

    from shopkeeper import llm

    settings = _settings()
    try:
        start = dt.date.fromisoformat(since) if since else None
    except ValueError:
        raise typer.BadParameter(f"--since {since!r}: write YYYY-MM-DD") from None
    try:
        df = llm.Journal(settings.llm_dir).usage(tuple(_split(by)), since=start)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    if df.empty:
        console.print(f"no model calls logged in {settings.llm_dir} yet")
        return
    table = Table(*df.columns)
    for row in df.itertuples(index=False):
        table.add_row(*[f"{v:,.4f}" if isinstance(v, float) else str(v) for v in row])
    console.print(table)


@llm_app.command("ask")
@handle_errors
def llm_ask(
    question: Annotated[str, typer.Argument(help="What to ask.")],
    max_tokens: Annotated[int, typer.Option(help="Longest reply, in tokens.")] = 256,
) -> None:
    """Ask the configured model one question (cached and metered like every call).

    Example: shopkeeper llm ask "Write one sentence about linen shirts."
    """
    from shopkeeper import llm

    model = llm.get_llm(_settings())
    if not model.has_model:
        raise typer.BadParameter("no model is configured (llm_provider = builtin)")
    reply = model.chat([{"role": "user", "content": question}], task="ask",
                       max_tokens=max_tokens)
    console.print(reply.text, highlight=False, markup=False)
    err_console.print(f"[dim]{model.label}: {reply.prompt_tokens}+{reply.completion_tokens} "
                      f"tokens, {reply.latency_s:.2f}s{', cached' if reply.cached else ''}[/]")
