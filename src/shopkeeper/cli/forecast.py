"""Demand forecasting commands: forecast (and forecast explain) and backtest."""

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

forecast_app = typer.Typer(invoke_without_command=True, no_args_is_help=False)
app.add_typer(forecast_app, name="forecast")

_LEVEL = typer.Option(help="sku, sku_channel, category or total.")
_FREQ = typer.Option(help="D (day), W (week) or M (month).")


def _run_forecast(kind: str, level: str, freq: str, horizon: int | None, models: str,
                  windows: int, cutoff: str | None, hierarchy: bool, products: str | None,
                  engine: str = "local", partition_by: str = "none",
                  source: str | None = None):
    from shopkeeper import forecast

    chosen = "auto" if models == "auto" else [m.strip() for m in models.split(",")]
    settings = _settings()
    # on demand: the series are read, the file let go while models fit, the run written at the end
    with store.Warehouse.from_settings(settings, on_demand=True) as wh, _progress() as bar:
        return forecast.forecast_demand(
            wh, level=level, freq=freq, horizon=horizon, models=chosen, n_windows=windows,
            cutoff=cutoff, hierarchy=hierarchy, kind=kind,
            products=[p.strip() for p in products.split(",")] if products else None,
            n_jobs=settings.threads or os.cpu_count() or 1, progress=bar, engine=engine,
            partition_by=None if partition_by == "none" else partition_by, source=source,
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


@forecast_app.callback()
@handle_errors
def forecast_cmd(
    ctx: typer.Context,
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
    engine: Annotated[str, typer.Option(help="local, or spark: build the series with Spark "
                      "SQL and fit the partitions in Spark tasks (pip install "
                      "'shopkeeper[spark]'; SHOPKEEPER_SPARK_MASTER picks the cluster, "
                      "default local[2]).")] = "local",
    partition_by: Annotated[str | None, typer.Option(help="category: fit each category (split "
                            "past 5,000 series) on its own, with its own model ranking and "
                            "LightGBM model; none: every series in one fit. Default: none "
                            "locally, category on Spark.")] = None,
    source: Annotated[str | None, typer.Option(help="With --engine spark: read the store's "
                      "tables from this folder of Parquet or Delta tables (orders.parquet, "
                      "order_lines/ …) instead of the warehouse; the run is still stored "
                      "in the warehouse.")] = None,
) -> None:
    """Forecast demand per series with intervals, choosing each series' model by backtest.

    The run (forecasts, backtest scores, chosen models and why) is stored in the warehouse.
    With --chart SKU nothing is forecast again: the chart is drawn from the stored run.
    `shopkeeper forecast explain SKU` shows why a SKU got its forecast.

    Example: shopkeeper forecast --level sku --freq D --horizon 28 && shopkeeper forecast --chart 85123A
    """
    if ctx.invoked_subcommand is not None:
        return
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
    partition_by = partition_by or ("category" if engine == "spark" else "none")
    run = _run_forecast("forecast", level, freq, horizon, models, windows, cutoff, hierarchy,
                        products, engine, partition_by, source)
    _print_leaderboard(run)
    _print_notes(run)
    fc = run.forecasts
    console.print(f"run {run.run_id}: {run.series.n_series:,} series, {len(fc):,} forecast rows "
                  f"from {fc['ds'].min():%Y-%m-%d} to {fc['ds'].max():%Y-%m-%d}, data up to "
                  f"{run.series.cutoff} ({run.result.seconds:.1f}s)")
    console.print("next: shopkeeper plan · shopkeeper sql \"SELECT * FROM model_choices LIMIT 5\"")


_EXPLAIN_WORDS = {
    "en": {"run": "forecast run {run} ({kind}), data up to {cutoff}, {horizon} periods ahead",
           "none": "no stored forecast holds {sku} yet: run `shopkeeper forecast` first",
           "class": "demand class", "history": "history", "periods": "periods",
           "chosen": "chosen", "why": "why", "ahead": "forecast total",
           "interval": "the periods' 80% intervals summed", "recent": "recent sales",
           "candidates": "candidates, by backtest RMSSE (lower is better)", "model": "model"},
    "zh": {"run": "预测批次 {run}（{kind}），数据截至 {cutoff}，向后预测 {horizon} 期",
           "none": "还没有包含 {sku} 的预测：请先运行 `shopkeeper forecast`",
           "class": "需求类型", "history": "历史长度", "periods": "期",
           "chosen": "选用方法", "why": "原因", "ahead": "预测合计",
           "interval": "各期 80% 区间之和", "recent": "近期销量",
           "candidates": "候选模型（按回测 RMSSE 排序，越低越好）", "model": "模型"},
}
_CLASS_ZH = {"smooth": "平稳", "erratic": "波动大", "intermittent": "间歇", "lumpy": "间歇且波动大",
             "no_demand": "无需求"}


@forecast_app.command("explain")
@handle_errors
def forecast_explain(
    sku: Annotated[str, typer.Argument(help="The SKU (product id).")],
    freq: Annotated[str, _FREQ] = "D",
    lang: Annotated[str, typer.Option(help="en or zh.")] = "en",
) -> None:
    """Why a SKU got its forecast: its recent history, every candidate model's backtest
    scores, the chosen model or ensemble and the reason, from the newest stored run (nothing is
    forecast again). The same data is `shopkeeper.forecast.sku_forecast` in Python and
    GET /api/v1/stock/skus/{sku} over HTTP.

    Example: shopkeeper forecast explain 85123A --lang zh
    """
    from shopkeeper import forecast

    if lang not in _EXPLAIN_WORDS:
        raise typer.BadParameter(f"lang must be en or zh, not {lang!r}", param_hint="--lang")
    words = _EXPLAIN_WORDS[lang]
    with store.Warehouse.from_settings(_settings(), on_demand=True) as wh:
        detail = forecast.sku_forecast(wh, sku, freq=freq)
    console.print(f"[bold]{detail.product_id}[/]" + (f"  {detail.title}" if detail.title else "")
                  + (f"  ({detail.category})" if detail.category else ""), highlight=False)
    if detail.run_id is None:
        console.print(words["none"].format(sku=sku), highlight=False)
        return
    console.print(words["run"].format(run=detail.run_id, kind=detail.run_kind,
                                      cutoff=detail.cutoff, horizon=detail.horizon),
                  highlight=False)
    demand_class = detail.demand_class or "?"
    shown_class = f"{_CLASS_ZH.get(demand_class, demand_class)}（{demand_class}）" \
        if lang == "zh" else demand_class
    shape = (f" (ADI {detail.adi:.2f}, CV² {detail.cv2:.2f})"
             if detail.adi is not None and detail.cv2 is not None else "")
    console.print(f"{words['class']}: {shown_class}{shape}; {words['history']}: "
                  f"{detail.n_obs} {words['periods']}", highlight=False)
    console.print(f"{words['chosen']}: [bold]{detail.model}[/]", highlight=False)
    reason = detail.reason_zh if lang == "zh" else detail.reason
    console.print(f"{words['why']}: {reason}", highlight=False, soft_wrap=True)
    if detail.history:
        recent = detail.history[-8:]
        console.print(f"{words['recent']}: " + ", ".join(f"{p.ds:%m-%d} {p.y:g}" for p in recent),
                      highlight=False)
    if detail.forecast:
        lo = sum(p.lo_80 or 0.0 for p in detail.forecast)
        hi = sum(p.hi_80 or 0.0 for p in detail.forecast)
        console.print(f"{words['ahead']}: {detail.forecast_total:,.1f} "
                      f"({detail.forecast[0].ds} – {detail.forecast[-1].ds}; {words['interval']}: "
                      f"{lo:,.1f}–{hi:,.1f})", highlight=False)
    table = Table(title=words["candidates"])
    cols = ("rmse", "rmsse", "mase", "wape", "bias", "coverage_80", "coverage_95")
    table.add_column(words["model"])
    for c in cols:
        table.add_column(c, justify="right")
    for score in detail.scores:
        name = f"[bold]{score.model} ✓[/]" if score.chosen else score.model
        table.add_row(name, *("" if getattr(score, c) is None else f"{getattr(score, c):.3f}"
                              for c in cols))
    console.print(table)


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
