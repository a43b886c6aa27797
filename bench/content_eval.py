"""Product copy on real Taobao attribute → copy pairs (AdvertiseGen dev, 800 pairs).

For every provider available (builtin always; llamacpp when llama-cpp-python and a GGUF are
installed; openai when an endpoint is configured or given) it prints, over the final drafts:
- grounding violations: share of outputs with any claim the attributes don't support;
- attribute coverage: mean share of the input attributes mentioned;
- BLEU-4 and ROUGE-L against the human copy, computed as the published ChatGLM-6B P-tuning
  evaluation does (BLEU-4: nltk sentence_bleu over characters, smoothing method3; ROUGE-L:
  rouge-chinese F over jieba words; both ×100). Anchor: BLEU-4 7.97, ROUGE-L 25.0;
- compliance flags: share of outputs with any Advertising Law / platform flag;
- how it reads (``content.copy_issues``): share of outputs with a phrase said twice, a sentence
  that is only a noun phrase, or a head noun of the wrong category (target: each under 2%);
- seconds per item; for model providers also how often the model's text was kept, repaired
  or replaced, and how often its first draft invented something.
The human reference copy goes through the same checks as a yardstick for the checker.

The grounded templates were tuned on items 0-399 only; items 400-799 are held out and reported
separately.

English copy has no human reference to score against, so it is measured for what it claims and
how it reads: titles, descriptions and bullets for the demo's 300 best sellers (UCI Online Retail,
facts from the catalogue as `content generate` reads them) and for the Amazon QA Appliances
products whose yes-answered questions name an attribute (stainless steel, dishwasher safe …).

    python bench/content_eval.py [--model-items 40] [--openai-url URL --openai-model NAME]
                                 [--no-en]
"""

from __future__ import annotations

import argparse
import ast
import collections
import gzip
import json
import logging
import re
import statistics
import sys
import time
from pathlib import Path

import jieba
from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu
from rouge_chinese import Rouge

from shopkeeper.content import (
    CopyOptions,
    ProductFacts,
    check_compliance,
    copy_issues,
    generate_copy,
    parse_attributes,
)
from shopkeeper.errors import ShopkeeperError
from shopkeeper.llm import LLM, Journal, LlamaCppProvider, OpenAIProvider
from shopkeeper.llm.grounding import check_grounding, load_lexicon
from shopkeeper.store import load_settings

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[1] / "shared/data"
DATA = SHARED / "product_copy/advertisegen_dev_800.jsonl"
APPLIANCES = SHARED / "customer_service/amazon_qa_appliances/qa_Appliances.json.gz"
ISSUES = ("repeat", "bare_noun", "head_noun")
TUNED = 400  # items [0, 400) were used to tune the templates
jieba.setLogLevel(logging.WARNING)
_ROUGE = Rouge()
_SMOOTH = SmoothingFunction().method3


def bleu4(hyp: str, ref: str) -> float:
    return 100 * sentence_bleu([list(ref)], list(hyp), smoothing_function=_SMOOTH)


def rouge_l(hyp: str, ref: str) -> float:
    h, r = " ".join(jieba.cut(hyp)), " ".join(jieba.cut(ref))
    if not h.strip() or not r.strip():
        return 0.0
    return 100 * _ROUGE.get_scores(h, r)[0]["rouge-l"]["f"]


def score(items: list[dict], texts: list[str]) -> dict[str, float]:
    bleus = [bleu4(text, item["summary"]) for item, text in zip(items, texts, strict=True)]
    rouges = [rouge_l(text, item["summary"]) for item, text in zip(items, texts, strict=True)]
    facts = [parse_attributes(item["content"]) for item in items]
    return checks(facts, texts, "zh") | {"bleu4": statistics.mean(bleus),
                                         "rouge_l": statistics.mean(rouges)}


def checks(facts: list[ProductFacts], texts: list[str], lang: str) -> dict[str, float]:
    """Violations, coverage, compliance flags and reading issues, as shares of the texts."""
    violations = coverage = flags = 0.0
    issues: collections.Counter[str] = collections.Counter()
    for f, text in zip(facts, texts, strict=True):
        report = check_grounding(text, f.grounding(), lang=lang)
        violations += not report.ok
        coverage += report.coverage
        flags += bool(check_compliance(text, lang))
        issues.update({i.kind for i in copy_issues(text, f, lang)})
    n = len(texts)
    return {"n": n, "violation_rate": violations / n, "coverage": coverage / n,
            "compliance_rate": flags / n} | {f"{k}_rate": issues[k] / n for k in ISSUES}


def run_provider(name: str, llm: LLM | None, items: list[dict]) -> dict:
    texts, methods, first_invented = [], {}, 0
    started = time.perf_counter()
    for i, item in enumerate(items):
        facts = parse_attributes(item["content"])
        draft = generate_copy(facts, CopyOptions(kinds=("description",), lang="zh"), llm)[0]
        texts.append(draft.text)
        methods[draft.method] = methods.get(draft.method, 0) + 1
        first_invented += any("not in the facts" in p for p in
                              (draft.rejected[0]["problems"] if draft.rejected else []))
        if llm is not None and (i + 1) % 10 == 0:
            print(f"  {name}: {i + 1}/{len(items)}", file=sys.stderr)
    seconds = (time.perf_counter() - started) / len(items)
    out = score(items, texts) | {"seconds_per_item": seconds, "methods": methods}
    if llm is not None:
        out["first_draft_invented_rate"] = first_invented / len(items)
    out["example"] = texts[0]
    return out


APPLIANCE_NOUNS = ("water filter", "ice maker", "range hood", "garbage disposal", "humidifier",
                   "dehumidifier", "refrigerator", "dishwasher", "microwave", "freezer", "washer",
                   "dryer", "filter", "disposal", "vacuum", "kettle", "oven", "cooktop", "stove",
                   "grill", "heater", "fan", "blender", "toaster", "burner", "hose", "pump")
APPLIANCE_KINDS = {"material", "colour", "claim", "part"}
# short questions about the product itself ("is this dishwasher safe?", "does it come in
# black?"), not about what it is used with ("will this hold champagne bottles?")
ATTRIBUTE_QUESTION = re.compile(r"\s*(?:is|are|does (?:it|this|they) come in)\b")


def appliance_facts(path: Path) -> list[ProductFacts]:
    """One product per Amazon QA Appliances item whose short yes-answered questions about the
    product name lexicon attributes: those attributes, and the appliance its questions name
    most as its title."""
    lexicon = load_lexicon()
    attrs: dict[str, dict[str, str]] = collections.defaultdict(dict)
    nouns: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            row = ast.literal_eval(line)
            question = row["question"].lower()
            for noun in APPLIANCE_NOUNS:
                if re.search(rf"\b{noun}s?\b", question):
                    nouns[row["asin"]][noun] += 1
                    break
            if (row.get("questionType") == "yes/no" and re.match(r"(?i)\s*yes\b", row["answer"])
                    and ATTRIBUTE_QUESTION.match(question) and len(question.split()) <= 10):
                for m in lexicon.find(row["question"]):
                    if m.term.kind in APPLIANCE_KINDS:
                        attrs[row["asin"]].setdefault(m.term.kind, m.surface.lower())
    return [ProductFacts(attributes=tuple(a.items()), category="appliances",
                         title=nouns[asin].most_common(1)[0][0].title() if nouns[asin] else "",
                         product_id=asin)
            for asin, a in sorted(attrs.items())]


def demo_facts(limit: int, warehouse: Path) -> list[ProductFacts]:
    """The demo store's best sellers as `content generate` reads them."""
    sys.path.insert(0, str(HERE))
    from ask_eval import build_warehouse

    from shopkeeper.content import pick_products, product_facts
    from shopkeeper.store import Warehouse

    with Warehouse(build_warehouse(warehouse), read_only=True) as wh:
        return [product_facts(wh, pid) for pid in pick_products(wh, limit=limit)]


def english(sets: dict[str, list[ProductFacts]]) -> dict[str, dict]:
    """Title, description and bullets in English for every product of every set, checked."""
    results: dict[str, dict] = {}
    options = CopyOptions(kinds=("title", "description", "bullets"), lang="en",
                          platform="amazon")
    for name, facts in sets.items():
        texts: dict[str, list[str]] = collections.defaultdict(list)
        started = time.perf_counter()
        for f in facts:
            for draft in generate_copy(f, options):
                texts[draft.kind].append(draft.text)
        seconds = (time.perf_counter() - started) / max(len(facts), 1)
        for kind, kind_texts in texts.items():
            results[f"{name}: {kind}"] = checks(facts, kind_texts, "en") | {
                "bare_noun_rate": None, "head_noun_rate": None,  # checks of Chinese copy
                "seconds_per_item": seconds,
                "words": statistics.mean(len(t.split()) for t in kind_texts),
                "example": kind_texts[0]}
    return results


def providers(args: argparse.Namespace) -> list[tuple[str, LLM]]:
    found = []
    journal = Journal(Path(args.cache))
    try:
        found.append(("llamacpp:SmolLM2-135M", LLM(LlamaCppProvider(args.gguf), journal)))
        found[-1][1].chat([{"role": "user", "content": "hi"}], max_tokens=1)
    except ShopkeeperError as exc:
        found = []
        print(f"llamacpp: skipped ({exc})", file=sys.stderr)
    settings = load_settings()
    url = args.openai_url or (settings.llm_base_url if settings.llm_provider == "openai" else "")
    if url:
        model = args.openai_model or settings.llm_model
        found.append((f"openai:{model or 'default'}",
                      LLM(OpenAIProvider(url, model, settings.llm_api_key), journal)))
    else:
        print("openai: skipped (no endpoint configured; pass --openai-url)", file=sys.stderr)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--model-items", type=int, default=40,
                        help="items per model provider (a 135M model on 2 cores is slow; 0: none)")
    parser.add_argument("--gguf", default=None, help="GGUF file (default: SmolLM2-135M)")
    parser.add_argument("--openai-url", default="")
    parser.add_argument("--openai-model", default="")
    parser.add_argument("--cache", default="shopkeeper-data/bench-llm",
                        help="response cache folder (a rerun is free)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--no-en", action="store_true", help="skip the English copy checks")
    parser.add_argument("--en-products", type=int, default=300,
                        help="demo best sellers to write English copy for")
    parser.add_argument("--warehouse", type=Path,
                        default=Path("/tmp/shopkeeper-ask-eval/warehouse.duckdb"),
                        help="the demo warehouse (built once, shared with bench/ask_eval.py)")
    args = parser.parse_args()
    if not args.data.exists():
        sys.exit(f"{args.data} not found: the bench needs ../shared/data beside the repo")
    items = [json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines()]
    results: dict[str, dict] = {}
    results["human reference copy (checker yardstick)"] = score(
        items, [i["summary"] for i in items])
    results["builtin (grounded), all 800"] = run_provider("builtin", None, items)
    results["builtin, tuning half 0-399"] = score(items[:TUNED], [
        generate_copy(parse_attributes(i["content"]), CopyOptions(kinds=("description",),
                      lang="zh"))[0].text for i in items[:TUNED]])
    results["builtin, held-out half 400-799"] = score(items[TUNED:], [
        generate_copy(parse_attributes(i["content"]), CopyOptions(kinds=("description",),
                      lang="zh"))[0].text for i in items[TUNED:]])
    held_out = items[TUNED:TUNED + args.model_items]
    for name, llm in providers(args) if args.model_items > 0 else []:
        results[f"{name}, items 400-{TUNED + len(held_out) - 1}"] = run_provider(name, llm,
                                                                                  held_out)
    print("\nAdvertiseGen dev (Taobao apparel), zh descriptions. Anchor (fine-tuned ChatGLM-6B):"
          " BLEU-4 7.97, ROUGE-L 25.0\n")
    table(results, ("bleu4", "BLEU-4", "7.2f"), ("rouge_l", "ROUGE-L", "8.2f"))
    for name, r in results.items():
        if "methods" in r and "first_draft_invented_rate" in r:
            print(f"\n{name}: final drafts by method {r['methods']}; the model's first draft "
                  f"invented a fact in {r['first_draft_invented_rate']:.0%} of items")
    print("\nexample (builtin):", results["builtin (grounded), all 800"]["example"])
    if not args.no_en:
        sets = {"demo best sellers": demo_facts(args.en_products, args.warehouse)}
        if APPLIANCES.exists():
            sets["Amazon QA appliances"] = appliance_facts(APPLIANCES)
        en = english(sets)
        print("\nEnglish copy, builtin (no human reference: what it claims and how it reads)\n")
        table(en, ("words", "words", "7.1f"))
        for name, r in en.items():
            print(f"  {name}: {r['example']}")
        results |= {f"en {k}": v for k, v in en.items()}
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2),
                             encoding="utf-8")


def table(results: dict[str, dict], *extra: tuple[str, str, str]) -> None:
    """One row per result: the checks, then the ``extra`` columns (key, header, format)."""
    header = (f"{'provider':48} {'n':>4} {'violations':>10} {'coverage':>9} "
              + "".join(f"{h:>{f.split('.')[0]}} " for _, h, f in extra)
              + f"{'compliance':>10} {'repeat':>7} {'bare noun':>9} {'head noun':>9} "
              f"{'s/item':>7}")
    print(header)
    print("-" * len(header))
    for name, r in results.items():
        print(f"{name:48} {r['n']:>4} {r['violation_rate']:>10.1%} {r['coverage']:>9.1%} "
              + "".join(f"{r[k]:>{f}} " for k, _, f in extra)
              + f"{r['compliance_rate']:>10.1%} {r['repeat_rate']:>7.1%} "
              + "".join(f"{'—':>9} " if r[k] is None else f"{r[k]:>9.1%} "
                        for k in ("bare_noun_rate", "head_noun_rate"))
              + (f"{r['seconds_per_item']:>7.3f}" if "seconds_per_item" in r else f"{'':>7}"))


if __name__ == "__main__":
    main()
