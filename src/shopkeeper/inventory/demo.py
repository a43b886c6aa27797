"""The replenishment step of ``shopkeeper demo`` (registered through an entry point)."""

from __future__ import annotations

from shopkeeper.inventory.plan import chart_sku, make_plan
from shopkeeper.store import DemoContext, DemoStep


def _plan(ctx: DemoContext) -> str:
    plan = make_plan(ctx.warehouse)
    path = ctx.output_dir / "replenishment-plan.xlsx"
    ctx.outputs["replenishment plan"] = path
    plan.export(str(path))
    top = plan.lines.sort_values("order_value", ascending=False)["product_id"].iloc[0]
    chart = ctx.output_dir / f"chart-{top}.html"
    chart_sku(ctx.warehouse, top, str(chart), plan=plan)
    ctx.outputs[f"chart for SKU {top}"] = chart
    return (f"draft plan {plan.plan_id}: {len(plan.orders):,} SKUs to order for "
            f"{plan.order_value:,.2f} {plan.currency}; {len(plan.excess):,} SKUs with excess stock")


STEP = DemoStep("plan replenishment", 60, _plan)
