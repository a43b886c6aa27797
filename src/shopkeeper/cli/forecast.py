"""Demand forecasting commands: forecast and backtest."""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.table import Table

from shopkeeper import store
from shopkeeper.cli._common import (
    _progress,
    _settings,
    app,
    console,
    handle_errors,
)

_LEVEL = typer.Option(help="sku, sku_channel, category or total.")
_FREQ = typer.Option(help="D (day), W (week) or M (month).")


def _run_forecast(kind: str, level: str, freq: str, horizon: int | None, models: str,
                  windows: int, cutoff: str | None, hierarchy: bool, products: str | None):
    from shopkeeper import forecast

    chosen = "auto" if models == "auto" else [m.strip() for m in models.split(",")]
    settings = _settings()
    # on demand: the series are read, the file let go while models fit, the run written at the end
    with store.Warehouse.from_settings(settings, on_demand=True) as wh, _progress() as bar:
        return forecast.forecast_demand(
            wh, level=level, freq=freq, horizon=horizon, models=chosen, n_windows=windows,
            cutoff=cutoff, hierarchy=hierarchy, kind=kind,
            products=[p.strip() for p in products.split(",")] if products else None,
            n_jobs=settings.threads or os.cpu_count() or 1, progress=bar,
        )


def _print_leaderboard(run) -> None:
    board = run.leaderboard()
    table = Table(title=f"backtest: {run.series.n_series:,} series, "
                  f"{run.params['n_windows']} windows (run {run.run_id})")
    cols = ["model", "series", "rmse", "mase", "rmsse", "bias", "coverage_80", "chosen_for"]
    for c in cols:
        table.add_column(c, justify="left" if c == "model" else "right")
    for row in board.itertuples(index=False):
        rec = row._asdict()
        table.add_row(*[rec[c] if c == "model" else f"{rec[c]:,.3f}" if isinstance(rec[c], float)
                        and c not in ("series", "chosen_for") else f"{int(rec[c]):,}"
                        for c in cols])
    console.print(table)


def _print_notes(run) -> None:
    """What the run did to short or gappy series, one line each (details per series are in
    model_choices.reason)."""
    for note in run.result.notes:
        console.print(f"note: {note}", highlight=False, soft_wrap=True)


@app.command("forecast")
@handle_errors
def forecast_cmd(
    level: Annotated[str, _LEVEL] = "sku",
    freq: Annotated[str, _FREQ] = "D",
    horizon: Annotated[int | None, typer.Option(help="Periods ahead (default 28 days, 12 "
                       "weeks or 6 months).")] = None,
    models: Annotated[str, typer.Option(help="'auto', or comma-separated models: "
                      "auto_ets, dynamic_theta, tsb, lightgbm, ensemble …")] = "auto",
    windows: Annotated[int, typer.Option(help="Backtest windows (rolling origins).")] = 2,
    cutoff: Annotated[str | None, typer.Option(help="Use data up to this date (YYYY-MM-DD); "
                      "default: the last order.")] = None,
    hierarchy: Annotated[bool, typer.Option(help="Forecast SKUs, categories and the total "
                         "and reconcile them so they add up.")] = False,
    products: Annotated[str | None, typer.Option(help="Only these SKUs (comma-separated).")] = None,
    chart: Annotated[str | None, typer.Option(help="Only write an HTML chart for this SKU, "
                     "from the stored forecast (forecasting that SKU alone if none has it).")
                     ] = None,
    png: Annotated[bool, typer.Option("--png", help="With --chart: a PNG image too.")] = False,
) -> None:
    """Forecast demand per series with intervals, choosing each series' model by backtest.

    The run (forecasts, backtest scores, chosen models and why) is stored in the warehouse.
    With --chart SKU nothing is forecast again: the chart is drawn from the stored run.

    Example: shopkeeper forecast --level sku --freq D --horizon 28 && shopkeeper forecast --chart 85123A
    """
    if chart:
        from shopkeeper import forecast

        settings = _settings()
        paths = [settings.output_dir / f"chart-{chart}.{suffix}"
                 for suffix in (("html", "png") if png else ("html",))]
        with store.Warehouse.from_settings(settings, on_demand=True) as wh, _progress() as bar:
            drawn = forecast.chart_forecast(wh, chart, paths, freq=freq, horizon=horizon,
                                            progress=bar)
        console.print(f"no stored forecast of {chart}: forecast {chart} alone (run "
                      f"{drawn.run_id})" if drawn.forecast_now
                      else f"from stored forecast run {drawn.run_id}")
        for path in drawn.paths:
            console.print(f"chart: {path}")
        return
    run = _run_forecast("forecast", level, freq, horizon, models, windows, cutoff, hierarchy,
                        products)
    _print_leaderboard(run)
    _print_notes(run)
    fc = run.forecasts
    console.print(f"run {run.run_id}: {run.series.n_series:,} series, {len(fc):,} forecast rows "
                  f"from {fc['ds'].min():%Y-%m-%d} to {fc['ds'].max():%Y-%m-%d}, data up to "
                  f"{run.series.cutoff} ({run.result.seconds:.1f}s)")
    console.print("next: shopkeeper plan · shopkeeper sql \"SELECT * FROM model_choices LIMIT 5\"")


@app.command()
@handle_errors
def backtest(
    level: Annotated[str, _LEVEL] = "sku",
    freq: Annotated[str, _FREQ] = "D",
    horizon: Annotated[int | None, typer.Option(help="Periods per window.")] = None,
    models: Annotated[str, typer.Option(help="'auto' or comma-separated models.")] = "auto",
    windows: Annotated[int, typer.Option(help="Backtest windows (rolling origins).")] = 3,
    cutoff: Annotated[str | None, typer.Option(help="Use data up to this date.")] = None,
    products: Annotated[str | None, typer.Option(help="Only these SKUs (comma-separated).")] = None,
) -> None:
    """Score every candidate model by rolling-origin backtest: MAE, RMSE, MASE, RMSSE, bias
    and interval coverage, and show which model each series would get.

    Example: shopkeeper backtest --freq W --windows 4
    """
    run = _run_forecast("backtest", level, freq, horizon, models, windows, cutoff, False,
                        products)
    _print_leaderboard(run)
    _print_notes(run)
    console.print(f"stored as backtest run {run.run_id}: see backtest_scores and model_choices")
