"""The finance step of ``shopkeeper demo``: the monthly report (registered through an entry
point)."""

from __future__ import annotations

from shopkeeper.finance.narrative import model_rewriter
from shopkeeper.finance.report import build_report, write_report
from shopkeeper.llm import get_llm
from shopkeeper.store import DemoContext, DemoStep


def _report(ctx: DemoContext) -> str:
    llm = get_llm(ctx.settings)
    report = build_report(ctx.warehouse, "month", lang="en",
                          rewrite=model_rewriter(llm) if llm.has_model else None)
    files = write_report(report, ctx.output_dir)
    for kind in ("html", "pdf", "xlsx"):
        ctx.outputs[f"monthly report ({kind})"] = files[kind]
    net = report.facts["net_revenue"].value
    change = report.facts.get("net_revenue_change_pct")
    return (f"{report.period.label} report: net revenue {net:,.2f} {report.currency}"
            + (f" ({change.value:+.1%} on {report.previous.label})" if change else "")
            + f", {len(report.alerts)} anomalies, narrative from the {report.narrative.path}")


STEP = DemoStep("monthly finance report", 70, _report)
