"""The shopping guide on a real store: scripted shopping conversations, checked turn by turn.

For each of ``--customers`` customers drawn with ``--seed`` (customers with at least 3 orders),
and for an anonymous shopper, every script of :data:`SCRIPTS` (English and Chinese: gifts with
and without a budget, product requests, ranges, a change of recipient) is played against
``ShoppingGuide`` on the warehouse of the current settings (``make demo`` builds it: the Online
Retail store, prices in GBP). Every turn is checked:

- **grounded**: ``check_grounding`` against the catalogue texts of the products the turn names
  and the shopper's own words finds nothing;
- **prices**: every amount in the text is the catalogue price of a product the turn stands on
  (its picks, the products whose prices a budget question quotes, the closest product), or the
  shopper's own budget;
- **rules**: every pick is active, in stock, within the budget, and not bought before by the
  customer;
- **personal**: how many picks carry a reason drawn from the customer's own history ("bought
  together with X, which you bought before" naming a real shared order, or "picked for you");
- **latency**: p50 / p95 per turn.

    python bench/guide_eval.py [--customers 20] [--seed 0]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time

import numpy as np

from shopkeeper.llm.grounding import check_grounding
from shopkeeper.recommend import ShoppingGuide, stored_or_trained
from shopkeeper.recommend.guide import GuideCatalogue
from shopkeeper.recommend.stored import default_model_path
from shopkeeper.store.config import Settings
from shopkeeper.store.warehouse import Warehouse

SCRIPTS: list[list[str]] = [
    ["a gift for my mum under 20 pounds", "something for the kitchen"],
    ["I'd like a present", "for my dad", "under 10 pounds"],
    ["christmas decorations between £5 and £10"],
    ["a red lantern, max 5 pounds"],
    ["something for a baby's birthday", "any"],
    ["a birthday present for my wife", "around 15 pounds"],
    ["hello", "a cake stand"],
    ["给我妈妈买个礼物", "20英镑以内"],
    ["想给孩子买个玩具", "10英镑以内"],
    ["有没有圣诞装饰", "预算5英镑"],
    ["送同事的小礼物，5英镑以内", "那给我爸爸呢？", "随便"],
    ["给老婆买个200元以内的礼物", "15"],
]
MONEY = re.compile(r"(\d+\.\d{2}) ([A-Z]{3})\b")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    settings = Settings()
    if not settings.warehouse.exists():
        print(f"no warehouse at {settings.warehouse}: run `make demo` first", file=sys.stderr)
        return 2
    with Warehouse.from_settings(settings, read_only=True) as wh:
        started = time.perf_counter()
        shop = GuideCatalogue.from_warehouse(wh, cache_dir=settings.model_dir)
        print(f"catalogue: {len(shop.passages):,} products, currency {shop.currency}, "
              f"ready in {time.perf_counter() - started:.1f} s")
        rec, note = stored_or_trained(wh, default_model_path(settings.model_dir))
        print(f"recommender: {note}")
        regulars = [r[0] for r in wh.query(
            "SELECT customer_id FROM orders WHERE customer_id IS NOT NULL GROUP BY 1 "
            "HAVING count(DISTINCT order_id) >= 3 ORDER BY 1")]
        rng = np.random.default_rng(args.seed)
        chosen = [regulars[int(i)] for i in rng.choice(len(regulars), args.customers,
                                                       replace=False)]
        baskets = _baskets(wh)
        stats = _play(wh, shop, rec, [None, *chosen], baskets)
    _report(stats, len(chosen))
    return 0


def _baskets(wh: Warehouse) -> dict[str, set[str]]:
    """order ids per product, to check that a 'bought together' reason names a real order."""
    out: dict[str, set[str]] = {}
    for order_id, product_id in wh.query("SELECT DISTINCT order_id, product_id FROM order_lines"):
        out.setdefault(str(product_id), set()).add(str(order_id))
    return out


def _play(wh, shop, rec, customers, baskets) -> dict:
    stats = {"turns": 0, "questions": 0, "picks": 0, "grounded": 0, "prices_ok": 0,
             "rules_ok": 0, "personal": 0, "together_real": 0, "together": 0, "latency": [],
             "failures": []}
    p = shop.products
    passage_row = {text: i for i, text in enumerate(shop.passages)}
    for customer in customers:
        for script in SCRIPTS:
            guide = ShoppingGuide(wh, customer_id=customer, recommender=rec, shop=shop)
            for message in script:
                started = time.perf_counter()
                turn = guide.reply(message)
                stats["latency"].append((time.perf_counter() - started) * 1000)
                stats["turns"] += 1
                stats["questions"] += turn.question is not None and not turn.picks
                report = check_grounding(turn.text, guide.facts(turn), lang=turn.language)
                stats["grounded"] += report.ok
                if not report.ok:
                    stats["failures"].append((message, turn.text, report.violations))
                prices = {round(float(p.loc[x.product_id, "price"]), 2) for x in turn.picks}
                prices |= {round(float(v), 2) for v in re.findall(r"\d+(?:\.\d+)?",
                                                                  " ".join(script))}
                prices |= {round(v, 2) for v in (turn.need.budget_min, turn.need.budget_max)
                           if v is not None}
                named = {round(float(p["price"].iloc[i]), 2) for i in map(
                    passage_row.get, turn.sources) if i is not None}
                amounts = {round(float(a), 2) for a, _ in MONEY.findall(turn.text)}
                stats["prices_ok"] += amounts <= prices | named
                need = turn.need
                ok = all(
                    p.loc[x.product_id, "status"] == "active"
                    and (p["on_hand"].isna().all() or (p.loc[x.product_id, "on_hand"] or 0) > 0)
                    and (need.budget_max is None or x.price <= need.budget_max + 1e-9)
                    and (need.budget_min is None or x.price >= need.budget_min - 1e-9)
                    and x.product_id not in guide.history
                    for x in turn.picks)
                stats["rules_ok"] += ok
                stats["picks"] += len(turn.picks)
                for x in turn.picks:
                    if x.bought_with:
                        stats["together"] += 1
                        stats["together_real"] += bool(baskets.get(x.product_id, set())
                                                       & baskets.get(x.bought_with, set()))
                    stats["personal"] += bool(x.bought_with) or any(
                        r.startswith(("picked for you", "和您购买习惯")) for r in x.reasons)
    return stats


def _report(stats: dict, customers: int) -> None:
    n, lat = stats["turns"], stats["latency"]
    print(f"\n{n} turns ({len(SCRIPTS)} scripts × {customers} customers + an anonymous shopper), "
          f"{stats['questions']} clarifying questions, {stats['picks']} picks")
    print(f"  grounded (check_grounding finds nothing)      {stats['grounded']}/{n} "
          f"({stats['grounded'] / n:.1%})")
    print(f"  every amount a catalogue price or the budget {stats['prices_ok']}/{n} "
          f"({stats['prices_ok'] / n:.1%})")
    print(f"  every pick active, in stock, in budget, new  {stats['rules_ok']}/{n} "
          f"({stats['rules_ok'] / n:.1%})")
    print(f"  picks with a reason from the customer's own history: {stats['personal']}/"
          f"{stats['picks']}; 'bought together' naming a real shared order: "
          f"{stats['together_real']}/{stats['together']}")
    print(f"  latency per turn: p50 {statistics.median(lat):.0f} ms, "
          f"p95 {np.percentile(lat, 95):.0f} ms, max {max(lat):.0f} ms")
    for message, text, violations in stats["failures"][:5]:
        print(f"  NOT GROUNDED: {message!r} -> {text[:120]!r} {violations}")


if __name__ == "__main__":
    sys.exit(main())
