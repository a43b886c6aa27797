"""The finance report command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from shopkeeper import store
from shopkeeper.cli._common import (
    _progress,
    _settings,
    _split,
    app,
    console,
    handle_errors,
    state,
)


@app.command()
@handle_errors
def report(
    period: Annotated[str, typer.Option(help="week, month or quarter: the last complete one.")]
    = "month",
    lang: Annotated[str, typer.Option(help="en or zh.")] = "en",
    as_of: Annotated[str | None, typer.Option(help="Report the last period complete on this "
                     "date (YYYY-MM-DD); default: the last order date.")] = None,
    formats: Annotated[str, typer.Option("--format", help="Comma-separated: html, pdf, xlsx.")]
    = "html,pdf,xlsx",
    out: Annotated[Path | None, typer.Option(help="Folder for the files (default: the "
                   "output_dir setting).")] = None,
    schedule: Annotated[bool, typer.Option(help="Print the cron line that writes this report "
                        "every period instead (add --install to put it in your crontab).")]
    = False,
    install: Annotated[bool, typer.Option(help="With --schedule: add the line to crontab.")]
    = False,
    model: Annotated[bool, typer.Option(help="Let the configured model polish the narrative "
                     "(kept only if every number in it is a fact).")] = True,
) -> None:
    """Write the finance report for the last complete period: P&L, KPIs, why it changed,
    anomalies and a narrative, as HTML (interactive charts), PDF and XLSX.

    Example: shopkeeper report --period month --lang zh
    """
    from shopkeeper import finance

    finance.check_report_options(lang, tuple(_split(formats)))
    settings = _settings()
    out_dir = (out or settings.output_dir).resolve()
    if schedule:
        line = finance.cron_line(period, lang, out_dir, _split(formats), state.config,
                                 state.warehouse)
        if install:
            finance.install_cron_line(line)
            console.print(f"installed in your crontab: {line}", highlight=False, markup=False)
        else:
            console.print(line, highlight=False, markup=False, soft_wrap=True)
        return
    rewrite = None
    if model:
        from shopkeeper import llm

        chosen = llm.get_llm(settings)
        rewrite = finance.model_rewriter(chosen) if chosen.has_model else None
    with store.Warehouse.from_settings(settings, read_only=True) as wh, _progress() as bar:
        bar.step("computing the report")
        # one report per currency, or one converted at the configured fx_rates
        reports = finance.build_reports(wh, period, lang=lang, as_of=as_of, rewrite=rewrite,
                                        report_currency=settings.report_currency,
                                        fx_rates=settings.fx_rates)
        written = []
        for built in reports:
            bar.step(f"writing {built.period.label} ({built.currency}): "
                     + ", ".join(_split(formats)))
            written.append((built, finance.write_report(built, out_dir, tuple(_split(formats)))))
    for built, files in written:
        console.print(built.narrative.text, highlight=False)
        console.print(f"\n[dim]amounts: {built.money}; narrative: {built.narrative.path}[/]",
                      highlight=False)
        for kind, path in files.items():
            console.print(f"{kind}: {path}", highlight=False)
