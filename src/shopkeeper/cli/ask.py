"""The ask command: questions in plain Chinese or English, answered from the warehouse."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from shopkeeper import store
from shopkeeper.cli._common import _as_of, _settings, app, console, err_console, handle_errors


def _last_path(settings: Any) -> Path:
    return settings.data_dir / "ask-last.json"


@app.command("ask")
@handle_errors
def ask_cmd(
    question: Annotated[str, typer.Argument(help="The question, in Chinese or English.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole answer as one JSON "
                                          "object (see docs/ask.md).")] = False,
    follow_up: Annotated[bool, typer.Option(
        "--follow-up", "-f", help="Refine the previous question (\"and by country?\"); "
        "a question starting with 那/and/what about is a follow-up anyway.")] = False,
    model: Annotated[bool, typer.Option(
        "--model/--no-model", help="Let the configured model read what the reader cannot.")
    ] = True,
    as_of: Annotated[str | None, typer.Option(
        help="The day 'today' means (YYYY-MM-DD); default: the last day with an order, or "
             "today.")] = None,
    csv: Annotated[Path | None, typer.Option("--csv", help="Also write the table to this "
                                             "CSV file.")] = None,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="Also write the table to this "
                                              "XLSX file.")] = None,
    show_sql: Annotated[bool, typer.Option("--sql", help="Also print the metric query and "
                                           "the SQL.")] = False,
    chart: Annotated[Path | None, typer.Option("--chart", help="Also write a chart of the "
                                               "table to this HTML file.")] = None,
) -> None:
    """Answer a question about the store's own data, and show how it was computed.

    Example: shopkeeper ask "上个月哪个国家的客单价最高？" (then: shopkeeper ask "那按月呢？")
    """
    from shopkeeper import ask, metrics
    from shopkeeper import llm as llm_runtime

    settings = _settings()
    last = _last_path(settings)
    previous = None
    if (follow_up or ask.looks_like_follow_up(question)) and last.exists():
        previous = json.loads(last.read_text(encoding="utf-8"))
    elif follow_up:
        err_console.print("[yellow]no previous question to refine: answering it on its own[/]")
    llm = llm_runtime.get_llm(settings) if model and settings.llm_provider != "builtin" else None
    with store.Warehouse.from_settings(settings, read_only=True) as wh:
        money = metrics.converted_money(wh, settings.report_currency, settings.fx_rates)
        answer = ask.ask(wh, question, as_of=_as_of(as_of).date() if as_of else None,
                         previous=previous, vocabulary=settings.ask_vocabulary or None,
                         llm=llm, money=money)
    if answer.metric_query is not None:
        last.parent.mkdir(parents=True, exist_ok=True)
        last.write_text(json.dumps(answer.metric_query, ensure_ascii=False), encoding="utf-8")
    for path in (csv, xlsx):
        if path is not None:
            store.write_frame(answer.frame(), path, sheet_name="answer", encoding="utf-8")
            err_console.print(f"[dim]wrote {path}[/]")
    if chart is not None:
        written = answer.write_chart(chart)
        err_console.print(f"[dim]wrote {written}[/]" if written else
                          "[dim]no chart: the answer is not a table of several rows[/]")
    if as_json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        return
    _print(answer, show_sql)
    if answer.kind == "refused":
        raise typer.Exit(2)


def _print(answer: Any, show_sql: bool) -> None:
    console.print(answer.text, highlight=False, soft_wrap=True)
    if answer.kind == "ask_back":
        for i, choice in enumerate(answer.choices, 1):
            console.print(f"  {i}. {choice}", highlight=False)
        return
    if answer.kind == "table" and answer.rows:
        table = Table()
        for col in answer.columns:
            table.add_column(col, justify="left" if not _numeric(answer, col) else "right")
        for row in answer.rows[:50]:
            table.add_row(*[_cell(col, v) for col, v in zip(answer.columns, row, strict=True)])
        console.print(table)
        if len(answer.rows) > 50:
            console.print(f"[dim]… {len(answer.rows) - 50} more rows (--csv FILE for all)[/]")
    for line in answer.definitions:
        console.print(f"[dim]· {line}[/]", highlight=False, soft_wrap=True)
    if show_sql and answer.metric_query:
        console.print("[bold]metric query[/] " + json.dumps(answer.metric_query,
                                                            ensure_ascii=False),
                      highlight=False, soft_wrap=True)
    if show_sql and answer.sql:
        console.print("[bold]SQL[/]\n" + answer.sql, highlight=False, soft_wrap=True)


def _numeric(answer: Any, col: str) -> bool:
    i = answer.columns.index(col)
    return any(isinstance(r[i], int | float) for r in answer.rows)


def _cell(col: str, value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        if col == "share" or col.endswith("_change_pct"):
            return f"{value:.2%}"
        return f"{value:,.2f}"
    return str(value)
