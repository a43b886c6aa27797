"""The metrics command: business metrics by any dimensions."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from rich.table import Table

from shopkeeper import store
from shopkeeper.cli._common import (
    _settings,
    _split,
    app,
    console,
    err_console,
    handle_errors,
)


@app.command("metrics")
@handle_errors
def metrics_cmd(
    names: Annotated[str, typer.Argument(
        help="Comma-separated metrics, e.g. gmv,net_revenue,aov; 'list' shows them all.")],
    by: Annotated[str, typer.Option(
        help="Comma-separated dimensions: day|week|month|quarter|year, sku, category, channel, "
             "country, region, customer_type, customer_segment.")] = "",
    where: Annotated[list[str] | None, typer.Option(
        help="Keep only DIM=VALUE[,VALUE…]; repeatable.")] = None,
    start: Annotated[str | None, typer.Option("--from", help="First date (YYYY-MM-DD).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last date (YYYY-MM-DD).")] = None,
    compare: Annotated[str | None, typer.Option(
        help="previous (the period before) or year (a year earlier).")] = None,
    lang: Annotated[str, typer.Option(help="Column labels: en or zh.")] = "en",
    csv: Annotated[bool, typer.Option("--csv", help="Print CSV instead of a table.")] = False,
    show_sql: Annotated[bool, typer.Option("--sql", help="Also print the SQL.")] = False,
) -> None:
    """Business metrics by any dimensions, from the one definition finance and reports use.

    Example: shopkeeper metrics gmv,gross_margin --by month --from 2011-09-01 --to 2011-11-30
    --compare previous (and shopkeeper metrics list for every definition)
    """
    from shopkeeper import metrics

    if names == "list":
        table = Table("metric", "label", "标签", "unit", "better", "definition")
        for m in metrics.METRICS.values():
            table.add_row(m.name, m.label_en, m.label_zh, m.unit,
                          "higher" if m.higher_is_better else "lower", m.description)
        console.print(table)
        console.print("dimensions: " + ", ".join(metrics.DIMENSIONS))
        return
    filters = {}
    for item in where or []:
        dim, sep, values = item.partition("=")
        if not sep or not values:
            raise metrics.MetricError(f"--where {item!r}: write DIM=VALUE[,VALUE…]")
        filters[dim.strip()] = _split(values)
    settings = _settings()
    with store.Warehouse.from_settings(settings, read_only=True) as wh:
        money = metrics.converted_money(wh, settings.report_currency, settings.fx_rates)
        result = metrics.query(wh, _split(names), by=_split(by), filters=filters, start=start,
                               end=end, compare=compare, money=money)
    df = result.df
    if csv:
        df.to_csv(sys.stdout, index=False)
        return
    # per metric: value, previous, change % (the absolute change is in the CSV)
    df = df[[*result.query.by, *(c for m in result.query.metrics
                                 for c in (m, f"{m}_prev", f"{m}_change_pct") if c in df)]]
    table = Table()
    for col in df.columns:
        table.add_column(_metric_label(col, lang),
                         justify="left" if col in result.query.by else "right")
    for row in df.itertuples(index=False):
        table.add_row(*[_format_cell(col, v) for col, v in zip(df.columns, row, strict=True)])
    console.print(table)
    if result.money:  # which currency the amounts are in, and any rates used
        err_console.print(f"amounts: {result.money}", highlight=False, markup=False)
    for margin in ("gross_margin", "contribution_rate"):
        if margin in result.query.metrics and result.df[margin].isna().any():
            err_console.print(f"{margin}: empty where some sales have no known unit cost (none "
                              "loaded, or in another currency with no fx_rates); see the "
                              "cost_coverage metric", highlight=False, markup=False)
    for metric, dims in result.unavailable.items():
        err_console.print(f"{metric}: not available by {', '.join(dims)} (its source has no such "
                          "field), left empty")
    if show_sql:
        console.print(result.sql, highlight=False, markup=False)


_COMPARISON_SUFFIXES = {"_prev": ("prev", "上期"), "_change_pct": ("change %", "变化率"),
                        "_change": ("change", "变化")}


def _metric_column(column: str) -> tuple[str, str]:
    """``gmv_change_pct`` → (``gmv``, ``_change_pct``)."""
    for suffix in _COMPARISON_SUFFIXES:
        if column.endswith(suffix):
            return column[: -len(suffix)], suffix
    return column, ""


def _metric_label(column: str, lang: str) -> str:
    from shopkeeper import metrics

    base, suffix = _metric_column(column)
    if base not in metrics.METRICS:
        return column
    m = metrics.METRICS[base]
    label = m.label_zh if lang == "zh" else m.label_en
    return f"{label} {_COMPARISON_SUFFIXES[suffix][lang == 'zh']}" if suffix else label


def _format_cell(column: str, value: Any) -> str:
    from shopkeeper import metrics

    if value is None or (isinstance(value, float) and value != value):
        return ""
    if hasattr(value, "date") and callable(value.date):
        return str(value.date())
    if not isinstance(value, float | int):
        return str(value)
    base, suffix = _metric_column(column)
    unit = metrics.METRICS[base].unit if base in metrics.METRICS else "number"
    if suffix == "_change_pct":
        return f"{value:+.1%}"
    if unit == "ratio":
        return f"{value:.1%}"
    if unit == "count":
        return f"{value:,.0f}"
    return f"{value:,.2f}"
