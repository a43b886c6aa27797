"""The ask-your-data step of ``shopkeeper demo`` (registered through an entry point): a few
questions in Chinese and English, answered from the demo store, written to ``asked.json``."""

from __future__ import annotations

import json

from shopkeeper.store import DemoContext, DemoStep

QUESTIONS = (
    "上个月哪个国家的客单价最高？",
    "What share of revenue came from the top 10 products last quarter?",
    "上个月销售额环比增长了多少？",
)


def _ask(ctx: DemoContext) -> str:
    from shopkeeper import ask

    answers = [ask.ask(ctx.warehouse, q) for q in QUESTIONS]
    path = ctx.output_dir / "asked.json"
    path.write_text(json.dumps([a.to_dict() for a in answers], ensure_ascii=False, indent=1),
                    encoding="utf-8")
    ctx.outputs["questions answered"] = path
    return answers[0].text + " (more: shopkeeper ask \"…\")"


STEP = DemoStep("ask your data", 72, _ask)
