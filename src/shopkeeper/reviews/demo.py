"""The reviews step of ``shopkeeper demo``: analyse every review, summarise the most reviewed
products, raise alerts and draft replies (registered through an entry point)."""

from __future__ import annotations

from shopkeeper.llm import get_llm
from shopkeeper.reviews.analyze import analyze_reviews
from shopkeeper.reviews.replies import draft_replies
from shopkeeper.reviews.report import write_review_report
from shopkeeper.reviews.trends import detect_review_alerts
from shopkeeper.store import DemoContext, DemoStep


def _reviews(ctx: DemoContext) -> str:
    summary = analyze_reviews(ctx.warehouse, progress=ctx.progress)
    llm = get_llm(ctx.settings)
    alerts = detect_review_alerts(ctx.warehouse)
    drafts, _ = draft_replies(ctx.warehouse, limit=10, llm=llm)
    path = write_review_report(ctx.warehouse, ctx.output_dir / "review-insights-en.html",
                               lang="en", llm=llm)
    ctx.outputs["review insights (html)"] = path
    methods = ", ".join(f"{n:,} by {m}" for m, n in sorted(summary.by_method.items()))
    return (f"{summary.reviews:,} reviews analysed ({methods}), {summary.aspect_mentions:,} "
            f"aspect mentions, {len(alerts)} alerts, {len(drafts)} reply drafts awaiting approval")


STEP = DemoStep("review insights", 75, _reviews)
