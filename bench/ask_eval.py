"""Ask-your-data accuracy and latency on the question set in bench/ask/ (issue 21).

Every question of ``bench/ask/questions.yaml`` is asked in Chinese and in English against the
demo's real data (UCI Online Retail I, loaded as the demo loads it), and each answer is scored
against ``bench/ask/gold.json`` (computed with pandas from the raw files) by
``bench/ask/score.py``. Prints execution accuracy by language, kind and split (tune / tune2 /
tune3 … tune10 / holdout, the holdout third never looked at while tuning the reader), the
latency p50/p95 per question, and a JSON line with every figure.

    .venv/bin/python bench/ask_eval.py                       # the builtin reader alone
    .venv/bin/python bench/ask_eval.py --provider llamacpp   # + SmolLM2 in process
    .venv/bin/python bench/ask_eval.py --provider llamacpp --provider openai   # all three:
        # the openai provider starts a real llama.cpp server with SmolLM2 unless --base-url
    .venv/bin/python bench/ask_eval.py --show tune           # print the tune split's misses
    .venv/bin/python bench/ask_eval.py --only tune8 --show tune8   # ask one split alone
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "ask"))
AS_OF = dt.date(2011, 12, 9)


def build_warehouse(path: Path) -> Path:
    """The demo's transactions and refunds in a warehouse of their own (built once)."""
    from shopkeeper.store import Warehouse, ingest
    from shopkeeper.store.demo import DEMO_CURRENCY, demo_data_files

    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    with Warehouse(partial) as wh:
        ingest(wh, demo_data_files(), preset="uci_online_retail", default_currency=DEMO_CURRENCY)
    partial.rename(path)
    return path


@contextlib.contextmanager
def llama_server() -> Iterator[str]:
    """A real llama.cpp OpenAI-compatible server with the default model (SmolLM2): its URL."""
    from shopkeeper.llm import default_model_path

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(default_model_path()),
         "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096",
         "--model_alias", "smollm2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(base + "/models", timeout=1).read()
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError("the llama.cpp server exited on start") from None
                time.sleep(0.5)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


SPLITS = ("tune", "tune2", "tune3", "tune4", "tune5", "tune6", "tune7", "tune8", "tune9", "tune10",
          "tune11", "tune12", "tune13", "tune14", "tune15", "holdout")


def run(provider: str, args: argparse.Namespace) -> dict:
    from score import score

    from shopkeeper import ask
    from shopkeeper.store import Warehouse

    questions = [q for q in yaml.safe_load((HERE / "ask" / "questions.yaml").read_text())["questions"]
                 if args.only is None or q["split"] == args.only]
    gold = {g["id"]: g for g in json.loads((HERE / "ask" / "gold.json").read_text())["items"]}
    llm = None
    if provider != "builtin":
        from shopkeeper import llm as llm_runtime
        from shopkeeper.store import load_settings

        overrides = {"llm_provider": provider, "llm_cache": False}
        if args.base_url:
            overrides.update(llm_base_url=args.base_url, llm_model=args.model or "local")
        llm = llm_runtime.get_llm(load_settings(None, **overrides))
    results = []
    with Warehouse(build_warehouse(Path(args.warehouse)), read_only=True) as wh:
        for item in questions:
            for lang in ("zh", "en"):
                t0 = time.perf_counter()
                answer = ask.ask(wh, item[lang], as_of=AS_OF, llm=llm).to_dict()
                seconds = time.perf_counter() - t0
                ok, why = score(answer, gold[item["id"]])
                results.append({"id": item["id"], "kind": item["kind"], "split": item["split"],
                                "lang": lang, "ok": ok, "why": why, "seconds": seconds,
                                "question": item[lang], "answer_kind": answer["kind"],
                                "text": answer["text"], "source": answer["source"]})
    return summarise(provider, results, args.show)


def summarise(provider: str, results: list[dict], show: str | None) -> dict:
    def acc(rows: list[dict]) -> float:
        return sum(r["ok"] for r in rows) / len(rows) if rows else float("nan")

    groups: dict[str, dict[str, list[dict]]] = {"split": defaultdict(list),
                                                 "lang": defaultdict(list),
                                                 "kind": defaultdict(list)}
    for r in results:
        for g in groups:
            groups[g][r[g]].append(r)
    seconds = np.array([r["seconds"] for r in results])
    print(f"\n{provider}: execution accuracy {acc(results):.1%} of {len(results)} answers "
          f"({len(results) // 2} questions × zh/en); latency p50 {np.median(seconds) * 1000:.0f} "
          f"ms, p95 {np.quantile(seconds, 0.95) * 1000:.0f} ms")
    for g, buckets in groups.items():
        print(f"  by {g}: " + ", ".join(f"{k} {acc(v):.1%} ({len(v)})"
                                       for k, v in sorted(buckets.items())))
    for split in sorted(groups["split"]):
        rows = groups["split"][split]
        kinds = sorted({r["kind"] for r in rows})
        print(f"  {split}: " + ", ".join(
            f"{lang} {acc([r for r in rows if r['lang'] == lang]):.1%}" for lang in ("zh", "en"))
            + "; by kind: " + ", ".join(
                f"{k} {acc([r for r in rows if r['kind'] == k]):.0%}" for k in kinds))
    by_source: dict[str, list[dict]] = defaultdict(list)
    for r in results:
        by_source[r["source"] if r["answer_kind"] != "refused" else "refused"].append(r)
    print("  answered by: " + ", ".join(f"{k} {len(v)} ({acc(v):.0%} right)"
                                        for k, v in sorted(by_source.items())))
    ask_back = [r for r in results if r["kind"] == "ask_back"]
    confident_wrong = [r for r in ask_back if r["answer_kind"] in ("number", "table")]
    print(f"  ask-back questions asked back: {sum(r['ok'] for r in ask_back)}/{len(ask_back)}; "
          f"answered with confidence instead: {len(confident_wrong)}")
    if show:
        for r in results:
            if not r["ok"] and r["split"] == show:
                print(f"  MISS {r['id']} {r['kind']:10s} {r['lang']} {r['question']}\n"
                      f"       → {r['answer_kind']}: {r['text'][:160]}\n       {r['why'][:200]}")
    return {"provider": provider, "accuracy": acc(results),
            "by": {g: {k: acc(v) for k, v in b.items()} for g, b in groups.items()},
            "by_split_lang": {split: {lang: acc([r for r in rows if r["lang"] == lang])
                                      for lang in ("zh", "en")}
                              for split, rows in groups["split"].items()},
            "holdout_by_lang": {lang: acc([r for r in groups["split"]["holdout"]
                                           if r["lang"] == lang]) for lang in ("zh", "en")},
            "p50_ms": float(np.median(seconds) * 1000),
            "p95_ms": float(np.quantile(seconds, 0.95) * 1000),
            "ask_back_asked": sum(r["ok"] for r in ask_back),
            "ask_back_total": len(ask_back), "confident_on_ambiguous": len(confident_wrong)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--provider", action="append", default=None,
                        choices=("builtin", "llamacpp", "openai"),
                        help="Repeatable; builtin always runs first.")
    parser.add_argument("--base-url", default="", help="OpenAI-compatible endpoint.")
    parser.add_argument("--model", default="", help="Model name at the endpoint.")
    parser.add_argument("--warehouse", default="/tmp/shopkeeper-ask-eval/warehouse.duckdb",
                        help="Where the evaluation warehouse is built (once) and reused.")
    parser.add_argument("--show", choices=SPLITS,
                        default=None, help="Print the misses of one split.")
    parser.add_argument("--only", choices=SPLITS, default=None,
                        help="Ask only one split's questions (a quick loop while tuning).")
    args = parser.parse_args()
    providers = ["builtin", *[p for p in (args.provider or []) if p != "builtin"]]
    figures = []
    for provider in providers:
        if provider == "openai" and not args.base_url:  # start the llama.cpp server ourselves
            with llama_server() as base:
                args.base_url, args.model = base, "smollm2"
                figures.append(run(provider, args))
            args.base_url = ""
        else:
            figures.append(run(provider, args))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
