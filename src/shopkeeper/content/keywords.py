"""Search keywords for a product: its attribute values and title terms first, then terms that
distinguish its category (peer titles against the catalogue) and its happy reviews (against
all reviews), weighted by TF-IDF. Pure functions over text; no warehouse access."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

__all__ = ["Keyword", "suggest_keywords", "tokenize", "EN_STOP_WORDS", "ZH_STOP_WORDS"]

SOURCES = ("attribute", "title", "category", "reviews")
_RANK = {source: rank for rank, source in enumerate(SOURCES)}

# Score bands keep the promised order: attribute values (1.0) > title terms > peer/review terms.
_TITLE_FLOOR, _TITLE_SPAN = 0.55, 0.40
_OTHER_SPAN = 0.50


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


EN_STOP_WORDS = _words(
    """a about above after again all also am an and any are as at be been before being below
    between both but by can could did do does doing down during each few for from further had
    has have having he her here hers him his how i if in into is it its itself just me more most
    my no nor not now of off on once only or other our ours out over own same set she should so
    some such than that the their theirs them then there these they this those through to too
    under until up very was we were what when where which while who whom why will with would
    you your yours pack pcs piece pieces assorted new design best great perfect ideal
    beautiful nice lovely"""
)

ZH_STOP_WORDS = _words(
    """的 了 是 很 和 与 及 或 也 都 就 在 有 为 让 把 被 给 对 从 而 但 又 这 那 这款 那款 这个
    那个 一个 一款 一种 我们 你们 他们 她们 我 你 他 她 它 自己 非常 十分 特别 比较 更加 更 最
    还 还是 以及 可以 能够 不会 没有 因为 所以 如果 虽然 而且 并且 然后 之后 以后 这样 那样 什么
    怎么 就是 只是 也是 都是 的话 一下 一点 一些 起来 出来 进行 使用 采用 拥有 具有 带来 成为
    让人 感觉 觉得 时候 之一 其他 其它 等等 款式 设计 宝贝 产品 商品 件 款 套
    完美 好看 漂亮 超级"""
)

# Words that fill happy reviews but say nothing about the product itself.
_REVIEW_STOP_WORDS = _words(
    """good great nice love loved lovely excellent perfect amazing awesome best happy pleased
    recommend recommended really product item buy bought order ordered arrived delivery
    quick fast thanks thank well much many time got seller five
    好评 不错 喜欢 满意 推荐 收到 物流 快递 发货 卖家 客服 好看 很好 挺好 还好 值得 购买 下次
    还会 回购 五星 实惠 划算 谢谢 东西 质量 包装 速度"""
)

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_EN_WORD = re.compile(r"[a-z0-9]+(?:['\-][a-z0-9]+)*")
_HAS_LETTER = re.compile(r"[a-z]")
_POSSESSIVE = re.compile(r"'s$")


@dataclass(frozen=True)
class Keyword:
    """One suggested search keyword."""

    term: str
    score: float  # 0..1, higher is better
    source: str  # "attribute" | "title" | "category" | "reviews"


def _lang(lang: str) -> str:
    code = lang.strip().lower().replace("_", "-").split("-")[0]
    if code in ("zh", "en"):
        return code
    raise ValueError(f"unsupported language {lang!r}: expected 'zh' or 'en'")


@cache
def _jieba_lcut() -> Callable[[str], list[str]]:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba.lcut


def _keep_en(word: str) -> str | None:
    word = _POSSESSIVE.sub("", word.strip("'-"))
    if len(word) < 2 or not _HAS_LETTER.search(word) or word in EN_STOP_WORDS:
        return None
    return word


def _keep_zh(token: str) -> str | None:
    token = token.strip().lower()
    if not token:
        return None
    if _CJK.search(token):
        return None if len(token) < 2 or token in ZH_STOP_WORDS else token
    if _EN_WORD.fullmatch(token):
        return _keep_en(token)
    return None  # punctuation, symbols, whitespace


def tokenize(text: str, lang: str) -> list[str]:
    """Content words of ``text``: jieba words (2+ characters) for zh, lower-cased words for en;
    stop words, numbers, punctuation and one-letter words are dropped."""
    return list(_tokens(text, _lang(lang)))


@lru_cache(maxsize=65536)
def _tokens(text: str, code: str) -> tuple[str, ...]:
    if code == "zh":
        kept = (_keep_zh(token) for token in _jieba_lcut()(text))
    else:
        kept = (_keep_en(word) for word in _EN_WORD.findall(text.lower()))
    return tuple(token for token in kept if token)


def _attribute_terms(attributes: Mapping[str, str] | None, lang: str) -> list[str]:
    terms: list[str] = []
    for value in (attributes or {}).values():
        term = " ".join(str(value).split()).lower()
        if not term or (not _HAS_LETTER.search(term) and not _CJK.search(term)):
            continue
        if term in EN_STOP_WORDS or term in ZH_STOP_WORDS:
            continue
        if lang == "en" and len(term) < 2:
            continue
        if term not in terms:
            terms.append(term)
    return terms


def _unique(texts: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(text for text in texts if text and text.strip()))


def _weights(
    targets: Sequence[str], background: Sequence[str], lang: str, skip: frozenset[str] = frozenset()
) -> dict[str, float]:
    """Mean TF-IDF row of ``targets`` with IDF fitted on ``background`` plus the targets,
    scaled so the best term is 1.0."""
    docs = _unique([*background, *targets])
    tokens = {doc: list(_tokens(doc, lang)) for doc in docs}
    target_docs = [tokens[t] for t in _unique(targets)]
    target_docs = [[tok for tok in doc if tok not in skip] for doc in target_docs]
    if not any(target_docs):
        return {}
    vectorizer = TfidfVectorizer(analyzer=lambda toks: toks, lowercase=False, sublinear_tf=True)
    vectorizer.fit([tokens[doc] for doc in docs])
    matrix = vectorizer.transform(target_docs)
    mean = np.asarray(matrix.mean(axis=0)).ravel()
    top = float(mean.max()) if mean.size else 0.0
    if top <= 0:
        return {}
    vocabulary = vectorizer.get_feature_names_out()
    return {str(vocabulary[i]): float(mean[i] / top) for i in np.flatnonzero(mean > 0)}


def suggest_keywords(
    texts_product: Sequence[str],
    *,
    lang: str,
    peers: Sequence[str] = (),
    reviews: Sequence[str] = (),
    corpus: Sequence[str] = (),
    attributes: Mapping[str, str] | None = None,
    n: int = 15,
    review_corpus: Sequence[str] = (),
) -> list[Keyword]:
    """Up to ``n`` keywords for one product, best first.

    ``texts_product``: the product's own title/description; ``attributes``: name -> value;
    ``peers``: titles/descriptions of products in the same category; ``reviews``: this product's
    high-rated review bodies; ``corpus``: all product titles (IDF background for title and peer
    terms); ``review_corpus``: all reviews (IDF background for review terms, falls back to
    ``corpus``). Attribute values score 1.0, title terms 0.55-0.95, category and review terms
    0-0.5; a term found by several sources keeps its best score. Ties break by source, then
    attribute order, then term, so the result is deterministic.
    """
    code = _lang(lang)
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    product = _unique(texts_product)
    catalogue = [*corpus, *peers, *product]

    best: dict[str, tuple[float, int, int, str]] = {}  # term -> (score, rank, order, source)

    def offer(term: str, score: float, source: str, order: int = 0) -> None:
        candidate = (round(min(max(score, 0.0), 1.0), 6), _RANK[source], order, source)
        current = best.get(term)
        if current is None or (-candidate[0], candidate[1], candidate[2]) < (
            -current[0],
            current[1],
            current[2],
        ):
            best[term] = candidate

    for order, term in enumerate(_attribute_terms(attributes, code)):
        offer(term, 1.0, "attribute", order)
    if product:
        joined = "\n".join(product)
        for term, rel in _weights([joined], catalogue, code).items():
            offer(term, _TITLE_FLOOR + _TITLE_SPAN * rel, "title")
    if peers:
        for term, rel in _weights(peers, catalogue, code).items():
            offer(term, _OTHER_SPAN * rel, "category")
    if reviews:
        background = review_corpus or catalogue
        for term, rel in _weights(reviews, background, code, skip=_REVIEW_STOP_WORDS).items():
            offer(term, _OTHER_SPAN * rel, "reviews")

    ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[1][1], item[1][2], item[0]))
    return [Keyword(term, score, source) for term, (score, _, _, source) in ranked[:n]]
