"""Product copy on real Taobao attribute → copy pairs (AdvertiseGen dev, 800 pairs).

For every provider available (builtin always; llamacpp when llama-cpp-python and a GGUF are
installed; openai when an endpoint is configured or given) it prints, over the final drafts:
- grounding violations: share of outputs with any claim the attributes don't support;
- attribute coverage: mean share of the input attributes mentioned;
- BLEU-4 and ROUGE-L against the human copy, computed as the published ChatGLM-6B P-tuning
  evaluation does (BLEU-4: nltk sentence_bleu over characters, smoothing method3; ROUGE-L:
  rouge-chinese F over jieba words; both ×100). Anchor: BLEU-4 7.97, ROUGE-L 25.0;
- compliance flags: share of outputs with any Advertising Law / platform flag;
- seconds per item; for model providers also how often the model's text was kept, repaired
  or replaced, and how often its first draft invented something.
The human reference copy goes through the same checks as a yardstick for the checker.

The grounded templates were tuned on items 0-399 only; items 400-799 are held out and reported
separately.

    python bench/content_eval.py [--model-items 40] [--openai-url URL --openai-model NAME]
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import time
from pathlib import Path

import jieba
from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu
from rouge_chinese import Rouge

from shopkeeper.content import CopyOptions, check_compliance, generate_copy, parse_attributes
from shopkeeper.errors import ShopkeeperError
from shopkeeper.llm import LLM, Journal, LlamaCppProvider, OpenAIProvider
from shopkeeper.llm.grounding import check_grounding
from shopkeeper.store import load_settings

DATA = Path(__file__).resolve().parents[2] / "shared/data/product_copy/advertisegen_dev_800.jsonl"
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
    violations = coverage = flags = 0.0
    bleus, rouges = [], []
    for item, text in zip(items, texts, strict=True):
        facts = parse_attributes(item["content"])
        report = check_grounding(text, facts.grounding(), lang="zh")
        violations += not report.ok
        coverage += report.coverage
        flags += bool(check_compliance(text, "zh"))
        bleus.append(bleu4(text, item["summary"]))
        rouges.append(rouge_l(text, item["summary"]))
    n = len(items)
    return {"n": n, "violation_rate": violations / n, "coverage": coverage / n,
            "bleu4": statistics.mean(bleus), "rouge_l": statistics.mean(rouges),
            "compliance_rate": flags / n}


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
                        help="items per model provider (a 135M model on 2 cores is slow)")
    parser.add_argument("--gguf", default=None, help="GGUF file (default: SmolLM2-135M)")
    parser.add_argument("--openai-url", default="")
    parser.add_argument("--openai-model", default="")
    parser.add_argument("--cache", default="shopkeeper-data/bench-llm",
                        help="response cache folder (a rerun is free)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
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
    for name, llm in providers(args):
        results[f"{name}, items 400-{TUNED + len(held_out) - 1}"] = run_provider(name, llm,
                                                                                  held_out)
    print("\nAdvertiseGen dev (Taobao apparel), zh descriptions. Anchor (fine-tuned ChatGLM-6B):"
          " BLEU-4 7.97, ROUGE-L 25.0\n")
    header = (f"{'provider':48} {'n':>4} {'violations':>10} {'coverage':>9} {'BLEU-4':>7} "
              f"{'ROUGE-L':>8} {'compliance':>10} {'s/item':>7}")
    print(header)
    print("-" * len(header))
    for name, r in results.items():
        print(f"{name:48} {r['n']:>4} {r['violation_rate']:>10.1%} {r['coverage']:>9.1%} "
              f"{r['bleu4']:>7.2f} {r['rouge_l']:>8.2f} {r['compliance_rate']:>10.1%} "
              + (f"{r['seconds_per_item']:>7.3f}" if "seconds_per_item" in r else f"{'':>7}"))
    for name, r in results.items():
        if "methods" in r and "first_draft_invented_rate" in r:
            print(f"\n{name}: final drafts by method {r['methods']}; the model's first draft "
                  f"invented a fact in {r['first_draft_invented_rate']:.0%} of items")
    print("\nexample (builtin):", results["builtin (grounded), all 800"]["example"])
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2),
                             encoding="utf-8")


if __name__ == "__main__":
    main()
