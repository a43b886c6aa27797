"""The replenishment plan command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from shopkeeper import store
from shopkeeper.cli._common import (
    _progress,
    _settings,
    app,
    console,
    err_console,
    handle_errors,
)


@app.command()
@handle_errors
def plan(
    review_days: Annotated[float, typer.Option(help="Days between reviews (R).")] = 7.0,
    service: Annotated[str | None, typer.Option(help="Cycle service levels by ABC or ABC×XYZ "
                       "class, e.g. 'A=0.98,B=0.95,C=0.9,AZ=0.95'.")] = None,
    fill_rate: Annotated[float | None, typer.Option(help="Plan for this fill rate instead "
                         "(share of demand met from stock, e.g. 0.97).")] = None,
    budget: Annotated[float | None, typer.Option(help="Spend at most this much (in the "
                      "suppliers' currency).")] = None,
    ordering_cost: Annotated[float, typer.Option(help="Fixed cost per purchase order line "
                             "(turns on EOQ lot sizes).")] = 0.0,
    holding_rate: Annotated[float, typer.Option(help="Yearly holding cost as a share of "
                            "unit cost.")] = 0.25,
    export: Annotated[Path | None, typer.Option(help="Write the plan to .csv or .xlsx.")] = None,
    chart: Annotated[str | None, typer.Option(help="Write an HTML chart for this SKU: history, "
                     "forecast and simulated stock.")] = None,
    png: Annotated[bool, typer.Option("--png", help="With --chart: a PNG image too.")] = False,
    approve: Annotated[str | None, typer.Option(help="Approve this draft plan id instead.")] = None,
    by: Annotated[str, typer.Option(help="Who approves (with --approve).")] = "",
    limit: Annotated[int, typer.Option(help="Order lines to show.")] = 15,
    engine: Annotated[str, typer.Option(help="local, or spark: read the store with Spark SQL "
                      "and size the SKUs in Spark tasks (pip install 'shopkeeper[spark]'; "
                      "SHOPKEEPER_SPARK_MASTER picks the cluster, default local[2]).")] = "local",
    source: Annotated[str | None, typer.Option(help="With --engine spark: read the orders, "
                      "stock and suppliers from this folder of Parquet or Delta tables.")
                      ] = None,
) -> None:
    """Draft a replenishment plan from the latest daily SKU forecast: per SKU the reorder
    point, safety stock, order quantity (MOQ and case packs respected), supplier and
    order-by date; plus dead and slow stock. Nothing is ordered: a person approves.

    Example: shopkeeper plan --budget 20000 --export plan.xlsx
    """
    from shopkeeper import inventory

    if export and export.suffix not in (".csv", ".xlsx"):
        raise inventory.PlanError(f"cannot export to {export}: use a .csv or .xlsx file name")
    with store.Warehouse.from_settings(_settings(), on_demand=True) as wh, _progress() as bar:
        if approve:
            if not by:
                raise typer.BadParameter("--by NAME is required with --approve")
            inventory.approve_plan(wh, approve, by)
            console.print(f"plan {approve} approved by {by}")
            return
        levels = dict(inventory.DEFAULT_SERVICE_LEVELS)
        for item in (service or "").split(","):
            if item.strip():
                key, _, value = item.partition("=")
                try:
                    levels[key.strip().upper()] = float(value)
                except ValueError:
                    raise inventory.PlanError(
                        f"--service {item!r}: write CLASS=LEVEL, e.g. A=0.98") from None
        settings = inventory.PlanSettings(
            review_days=review_days, service_levels=levels, fill_rate_target=fill_rate,
            budget=budget, ordering_cost=ordering_cost, holding_rate=holding_rate)
        bar.step("drafting the plan")
        result = inventory.make_plan(wh, settings, engine=engine, source=source)
        if chart:
            bar.step(f"charting {chart}")
            for suffix in ("html", "png") if png else ("html",):
                out = _settings().output_dir / f"chart-{chart}.{suffix}"
                console.print(f"chart: {inventory.chart_sku(wh, chart, str(out), plan=result)}")
    for gap in result.gaps:  # what the plan lacks, and how to load it
        err_console.print(gap, style="yellow", markup=False, highlight=False)
    orders = result.orders.sort_values("order_value", ascending=False)
    table = Table(title=f"draft plan {result.plan_id}: {len(orders):,} of {len(result.lines):,} "
                  "SKUs to order, " + ", ".join(  # one total per currency, never added
                      f"{value:,.2f} {code}" for code, value in result.order_values.items()))
    cols = ["product_id", "supplier_id", "abc", "on_hand", "reorder_point", "suggested_qty",
            "order_value", "order_by"]
    for c in cols:
        table.add_column(c, justify="right" if c not in ("product_id", "supplier_id", "abc",
                                                           "order_by") else "left")
    for rec in orders.head(limit).to_dict("records"):
        table.add_row(*[f"{rec[c]:,.1f}" if isinstance(rec[c], float) else str(rec[c])
                        for c in cols])
    console.print(table)
    excess = result.excess
    if len(excess):
        console.print(f"excess stock: {len(excess):,} SKUs ({(excess['status'] == 'dead').sum():,} "
                      "dead), " + ", ".join(f"{value:,.2f} {code}" for code, value
                                           in result.excess_values.items()) + " tied up")
    if export:
        console.print(f"wrote {result.export(str(export))}")
    console.print(f"approve with: shopkeeper plan --approve {result.plan_id} --by NAME")
