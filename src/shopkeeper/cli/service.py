"""Customer service: the ``chat`` command and the ``service`` group."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from shopkeeper import store
from shopkeeper.cli._common import (
    _as_of,
    _customer_messages,
    _progress,
    _settings,
    app,
    console,
    err_console,
    handle_errors,
)

service_app = typer.Typer(help="Customer service: the knowledge index, the handoff queue, "
                          "drafted return requests and the conversation log.",
                          no_args_is_help=True)
app.add_typer(service_app, name="service")


def _service_agent(wh: Any, settings: Any, customer: str | None, *, model: bool,
                   as_of: str | None, channel: str) -> Any:
    from shopkeeper import llm as llm_runtime
    from shopkeeper import service

    with _progress() as bar:
        report = service.ensure_index(wh, progress=bar)
    if report is not None:
        err_console.print(f"[dim]knowledge index built: {report.chunks:,} chunks[/]")
    return service.ServiceAgent(wh, customer_id=customer, channel=channel,
                                llm=llm_runtime.get_llm(settings) if model else None,
                                as_of=_as_of(as_of))


def _print_turn(turn: Any, explain: bool) -> None:
    if explain:
        parts = [f"intent {turn.intent} ({turn.confidence:.2f})", f"flow {turn.flow}",
                 f"{turn.method}", f"{turn.latency_ms:.0f} ms"]
        if turn.citations:
            parts.append("cites " + ", ".join(turn.citations))
        if turn.tool_calls:
            parts.append("tools " + ", ".join(c["name"] for c in turn.tool_calls))
        if turn.flags:
            parts.append("flags " + ", ".join(turn.flags))
        if turn.handoff:
            parts.append(f"handoff: {turn.handoff}")
        err_console.print("[dim]" + " · ".join(parts) + "[/]", highlight=False, markup=True)


@app.command()
@handle_errors
def chat(
    customer: Annotated[str | None, typer.Option("--customer", help="The signed-in customer "
                        "(customers.customer_id), as the channel would identify them.")] = None,
    as_of: Annotated[str | None, typer.Option(help="Today's date for policy windows "
                     "(YYYY-MM-DD; default: today). Use the data's last date on old data.")]
    = None,
    model: Annotated[bool, typer.Option(help="Let the configured model understand unclear "
                     "messages and word the answers (every answer is still checked).")] = True,
    script: Annotated[Path | None, typer.Option(help="Read the customer's messages from this "
                      "file, one per line, instead of the keyboard.")] = None,
    explain: Annotated[bool, typer.Option(help="Show intent, flow, citations, tool calls "
                       "and guardrail flags under each answer.")] = False,
) -> None:
    """Chat with the customer-service assistant as a customer, in the terminal (zh or en).
    Type 'quit' to leave. The conversation is logged, PII-redacted, in the warehouse.

    Example: shopkeeper chat --customer 17850 --as-of 2011-12-09 --explain
    """
    settings = _settings()
    # on demand: each turn reads, then writes its log in a short transaction, and the file is
    # let go while the customer types, so every other command can run meanwhile
    with store.Warehouse.from_settings(settings, on_demand=True) as wh:
        agent = _service_agent(wh, settings, customer, model=model, as_of=as_of,
                               channel="terminal")
        console.print(f"[dim]conversation {agent.conversation_id} · customer "
                      f"{customer or '(not signed in)'} · 'quit' to leave[/]")
        for message in _customer_messages(script):
            console.print("[bold green]shop>[/] ", end="")
            for piece in agent.stream(message):
                console.print(piece, end="", highlight=False, markup=False)
            console.print()
            _print_turn(agent.last_turn, explain)


@service_app.command("index")
@handle_errors
def service_index() -> None:
    """Build or refresh the knowledge index (FAQ, policies, product Q&A, catalogue). Only
    changed chunks are embedded again.

    Example: shopkeeper service index
    """
    from shopkeeper import service

    with store.Warehouse.from_settings(_settings(), on_demand=True) as wh, _progress() as bar:
        report = service.build_index(wh, progress=bar)
        rules = service.load_policy_rules(wh)
    console.print(f"{report.chunks:,} chunks · {report.embedded:,} embedded now · "
                  f"{report.removed:,} removed")
    for doc in report.suspicious:
        console.print(f"[yellow]warning:[/yellow] {doc.doc_id} ({doc.kind}: {doc.title!r}) "
                      f"speaks to the assistant ({', '.join(doc.findings)}: "
                      f"{doc.excerpt!r}); it is never quoted to customers: fix or remove it",
                      markup=True, highlight=False)
    names = sorted({r.name for r in rules.rules})
    console.print("policy rules read: " + (", ".join(
        f"{n} ×{len(rules.of(n))}" for n in names) or "none (no policy documents)"))


@service_app.command("ask")
@handle_errors
def service_ask(
    message: Annotated[str, typer.Argument(help="The customer's message.")],
    customer: Annotated[str | None, typer.Option("--customer", help="The signed-in "
                        "customer.")] = None,
    as_of: Annotated[str | None, typer.Option(help="Today's date for policy windows "
                     "(YYYY-MM-DD).")] = None,
    model: Annotated[bool, typer.Option(help="Use the configured model.")] = True,
) -> None:
    """Answer one message and show how the answer was made (intent, flow, citations, tool
    calls, flags).

    Example: shopkeeper service ask "how long does delivery take?"
    """
    settings = _settings()
    with store.Warehouse.from_settings(settings, on_demand=True) as wh:
        agent = _service_agent(wh, settings, customer, model=model, as_of=as_of, channel="cli")
        turn = agent.reply(message)
    console.print(turn.text, highlight=False, markup=False)
    _print_turn(turn, True)


@service_app.command("handoffs")
@handle_errors
def service_handoffs(
    close: Annotated[str | None, typer.Option(help="Close this handoff.")] = None,
    by: Annotated[str, typer.Option(help="Who closes it.")] = os.environ.get("USER", "staff"),
    all_: Annotated[bool, typer.Option("--all", help="Closed ones too.")] = False,
) -> None:
    """The queue of conversations handed to a person, with the reason and summary.

    Example: shopkeeper service handoffs
    """
    from shopkeeper import service

    with store.Warehouse.from_settings(_settings(), on_demand=True) as wh:
        if close:
            service.close_handoff(wh, close, by)
            console.print(f"closed {close}")
            return
        queue = service.handoffs(wh, None if all_ else "open")
    if queue.empty:
        console.print("no handoffs waiting")
    for row in queue.itertuples():
        console.print(f"[bold]{row.handoff_id}[/] · {row.status} · customer "
                      f"{row.customer_id or '-'} · {row.reason}", highlight=False)
        console.print(f"  {row.summary}", highlight=False, markup=False)


@service_app.command("returns")
@handle_errors
def service_returns(
    approve: Annotated[str | None, typer.Option(help="Approve this request.")] = None,
    reject: Annotated[str | None, typer.Option(help="Reject this request.")] = None,
    by: Annotated[str, typer.Option(help="Who decides.")] = os.environ.get("USER", "staff"),
    status: Annotated[str | None, typer.Option(help="Only requests in this status (draft, "
                      "approved, rejected).")] = "draft",
) -> None:
    """Return requests the assistant drafted, with the policy decision behind each; approve or
    reject them (the assistant itself never can).

    Example: shopkeeper service returns --approve RR-1a2b3c4d5e --by alice
    """
    from shopkeeper import service

    with store.Warehouse.from_settings(_settings(), on_demand=True) as wh:
        if approve or reject:
            service.decide_return_request(wh, approve or reject,
                                          "approved" if approve else "rejected", by)
            console.print(f"{'approved' if approve else 'rejected'} {approve or reject}")
            return
        requests = service.return_requests(wh, status)
    if requests.empty:
        console.print(f"no return requests{' in ' + status if status else ''}")
    for row in requests.itertuples():
        console.print(f"[bold]{row.request_id}[/] · {row.status} · order {row.order_id} · "
                      f"product {row.product_id or 'whole order'} · {row.reason} · "
                      f"{row.decision} · policy {row.policy_docs}", highlight=False)


@service_app.command("log")
@handle_errors
def service_log(
    conversation: Annotated[str | None, typer.Option(help="One conversation's turns.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many turns.")] = 40,
) -> None:
    """The conversation log (PII-redacted) with intents, citations, tool calls and flags.

    Example: shopkeeper service log --conversation CONV-1a2b3c4d5e6f
    """
    from shopkeeper import service

    with store.Warehouse.from_settings(_settings(), read_only=True) as wh:
        log = service.conversation_log(wh, conversation, limit)
    for row in log.iloc[::-1].itertuples():
        who = "customer" if row.role == "customer" else "shop"
        extra = (f" [dim]({row.intent}, {row.flow}, cites {row.citations}, flags {row.flags})[/]"
                 if row.role != "customer" else "")
        console.print(f"{row.conversation_id} #{row.turn} {who}: ", end="", highlight=False)
        console.print(row.text, end="", highlight=False, markup=False)
        console.print(extra, highlight=False)


@service_app.command("train-intents")
@handle_errors
def service_train_intents(
    data: Annotated[Path | None, typer.Option(help="Folder of the public data sets (default: "
                    "../shared/data beside the repository).")] = None,
    out: Annotated[Path | None, typer.Option(help="Model file to write (default: "
                   "OUTPUT_DIR/service-models/intents.npz; copy it over the shipped one).")]
    = None,
    seed: Annotated[int, typer.Option(help="Seed of the held-out split.")] = 0,
) -> None:
    """Train the intent classifier on the shipped examples plus JDDC customer utterances
    labelled by the intent keywords, and print the held-out agreement.

    Example: shopkeeper service train-intents --data ../shared/data
    """
    from shopkeeper import service

    settings = _settings()
    data_dir = data or Path(__file__).resolve().parents[4] / "shared" / "data"
    report = service.train_intents(data_dir, out or settings.output_dir / "service-models"
                                    / "intents.npz", seed=seed)
    console.print(str(report), highlight=False)
