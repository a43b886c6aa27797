"""The content step of ``shopkeeper demo``: copy for the best sellers, in English and Chinese,
saved as drafts awaiting review and exported (registered through an entry point)."""

from __future__ import annotations

from shopkeeper.content.batch import generate_for_products, pick_products
from shopkeeper.content.drafts import export_drafts
from shopkeeper.content.studio import CopyOptions
from shopkeeper.llm import get_llm
from shopkeeper.store import DemoContext, DemoStep

DEMO_PRODUCTS = 3


def _copy(ctx: DemoContext) -> str:
    llm = get_llm(ctx.settings)
    products = pick_products(ctx.warehouse, limit=DEMO_PRODUCTS)
    drafts = []
    for lang, platform in (("en", "amazon"), ("zh", "taobao")):
        options = CopyOptions(kinds=("title", "description", "bullets", "marketing"), lang=lang,
                              platform=platform, length="long",
                              campaign="Christmas gifts" if lang == "en" else "圣诞礼物季")
        for ds in generate_for_products(ctx.warehouse, products, options, llm).values():
            drafts += ds
    path = ctx.output_dir / "content-drafts.xlsx"
    export_drafts(ctx.warehouse, path, status="draft")
    ctx.outputs["copy drafts (xlsx)"] = path
    grounded = sum(d.grounded for d in drafts)
    flags = sum(len(d.compliance) for d in drafts)
    return (f"{len(drafts)} copy drafts for {len(products)} best sellers (en, zh) by "
            f"{llm.label}: {grounded} grounded, {flags} compliance flags, awaiting review")


STEP = DemoStep("product copy drafts", 80, _copy)
