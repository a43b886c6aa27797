"""The recommendations step of ``shopkeeper demo``: train EASE on the store's purchases and keep
it (as ``shopkeeper recommend train`` does), show a customer's recommendations with their reasons,
run a scripted shopping-guide conversation in en and zh, and segment every customer (RFM, CLV,
churn risk), writing the segments and an at-risk audience (registered through an entry point)."""

from __future__ import annotations

from shopkeeper.recommend.guide import ShoppingGuide, converse
from shopkeeper.recommend.segments import export_audience, segment_customers
from shopkeeper.recommend.serving import recommend_for_customer, train
from shopkeeper.recommend.stored import default_model_path, save_recommender
from shopkeeper.store import DemoContext, DemoStep

GUIDE_SCRIPT = ("a gift for my mum under 20 pounds", "something for the kitchen",
                "给我爸爸买个礼物", "10英镑以内")


def _recommend(ctx: DemoContext) -> str:
    wh = ctx.warehouse
    trained = train(wh, model="EASE")
    save_recommender(trained, default_model_path(ctx.settings.model_dir))
    customer = wh.query("SELECT customer_id FROM orders WHERE customer_id IS NOT NULL "
                        "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")[0][0]
    picks = recommend_for_customer(trained, str(customer), n=10)
    lines = [f"# Recommendations for customer {customer} (EASE, in stock, not bought before)", ""]
    lines += [f"{i}. {r.product_id} {r.title} — {r.price:.2f} — {r.reason}"
              if r.price is not None else f"{i}. {r.product_id} {r.title} — {r.reason}"
              for i, r in enumerate(picks, 1)]
    path = ctx.output_dir / "recommendations.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ctx.outputs["recommendations"] = path
    guide_path, guided = _guide(ctx, trained, str(customer))
    ctx.outputs["shopping guide conversation"] = guide_path
    table, model = segment_customers(wh)
    seg_path = ctx.output_dir / "customer-segments.xlsx"
    export_audience(table, seg_path)
    ctx.outputs["customer segments (xlsx)"] = seg_path
    at_risk = export_audience(table, ctx.output_dir / "audience-at-risk.csv", segment="at risk")
    top = table["segment"].value_counts().head(3)
    fitted = (f"BG/NBD r={model.bgnbd['r']:.2f} a={model.bgnbd['a']:.3f}" if model
              else "no CLV model")
    return (f"{len(picks)} recommendations for customer {customer} "
            f"({sum(r.reason.startswith('bought with') for r in picks)} explained by a "
            f"co-purchase); the shopping guide made {guided} picks in {len(GUIDE_SCRIPT)} turns; "
            f"{len(table):,} customers segmented ("
            + ", ".join(f"{n:,} {s}" for s, n in top.items())
            + f"; {at_risk:,} at risk exported), {fitted}")


def _guide(ctx: DemoContext, trained, customer: str):
    guide = ShoppingGuide(ctx.warehouse, customer_id=customer, recommender=trained,
                          cache_dir=ctx.settings.model_dir, progress=ctx.progress)
    lines = [f"# Shopping guide, customer {customer} (grounded path; picks ranked with EASE)", ""]
    picked = 0
    for message, turn in zip(GUIDE_SCRIPT, converse(guide, GUIDE_SCRIPT), strict=True):
        picked += len(turn.picks)
        lines += [f"**customer:** {message}", "", "**guide:**", "", turn.text, ""]
    path = ctx.output_dir / "guide-conversation.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path, picked


STEP = DemoStep("recommendations and segments", 87, _recommend)
