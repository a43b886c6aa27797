"""Copy for many products at once: a category, a list of SKUs, or the best sellers."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from shopkeeper.content.drafts import save_drafts
from shopkeeper.content.facts import ContentError, product_facts
from shopkeeper.content.studio import CopyOptions, generate_copy
from shopkeeper.llm import LLM
from shopkeeper.store.warehouse import Warehouse

Progress = Callable[[str, float | None], None]


def pick_products(wh: Warehouse, *, category: str | None = None, limit: int | None = None
                  ) -> list[str]:
    """Products of ``category`` (all when None), best sellers first."""
    where, params = ("WHERE p.category = ?", [category]) if category else ("", [])
    rows = wh.query(
        f"""SELECT p.product_id FROM products p
            LEFT JOIN (SELECT product_id, sum(quantity) AS sold FROM order_lines
                       GROUP BY product_id) s USING (product_id)
            {where} ORDER BY coalesce(s.sold, 0) DESC, p.product_id
            {'LIMIT ' + str(int(limit)) if limit else ''}""", params)
    if not rows:
        raise ContentError(f"no products{' in category ' + repr(category) if category else ''}"
                           " in the warehouse")
    return [r[0] for r in rows]


def generate_for_products(wh: Warehouse, product_ids: Sequence[str], options: CopyOptions,
                          llm: LLM | None = None, *, save: bool = True,
                          progress: Progress | None = None) -> dict[str, list]:
    """Drafts for each product (saved for review unless ``save`` is False)."""
    out: dict[str, list] = {}
    for i, product_id in enumerate(product_ids):
        if progress:
            progress(f"writing copy for {product_id}", i / len(product_ids))
        facts = product_facts(wh, product_id, lang=options.lang)
        drafts = generate_copy(facts, options, llm)
        if save:
            save_drafts(wh, facts, options, drafts)
        out[product_id] = drafts
    if progress:
        progress("done", 1.0)
    return out
