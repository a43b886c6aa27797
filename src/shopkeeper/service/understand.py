"""What a customer message asks: the intent, how sure we are, and the slots (order id, product).

Three readers, in the Rasa CALM spirit (the model understands; flows act):
1. keyword rules from ``data/intents.toml`` (precise, zh and en, merchant-extendable);
2. a character n-gram logistic regression trained on the file's examples plus JDDC customer
   utterances labelled by the rules (``shopkeeper service train-intents``; the trained model
   ships in ``models/intents.npz``, else the examples alone are used);
3. with a language model configured, the model, asked only when the first two are unsure.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel

from shopkeeper.errors import LLMError

INTENTS = ("order_status", "return_refund", "damaged", "exchange", "shipping_fee",
           "delivery_time", "product_question", "complaint", "handoff_request", "write_action",
           "greeting")
# when several rules fire, the first in this order wins
PRIORITY = ("handoff_request", "write_action", "damaged", "exchange", "return_refund",
            "shipping_fee", "delivery_time", "order_status", "complaint", "product_question",
            "greeting")
N_FEATURES = 2 ** 16
# What an order number looks like in everyday writing, read after NFKC (full-width digits and
# letters become ASCII): Amazon's 123-1234567-1234567, Shopify's #1001, a letter prefix
# (O-5001, SO12345), digit groups (2938 4756 1029), plain digits up to Taobao's 19. ASCII
# boundaries: an order number written against Chinese text ("订单300001到哪了") or after "No."
# is still one; a decimal part (12.500000) or an email's digits are not.
ORDER_REF = re.compile(
    r"(?<![A-Za-z0-9_@#])(?<!\d\.)(?:"
    r"\d{3}-\d{7}-\d{7}"
    r"|#\s?[A-Za-z0-9][A-Za-z0-9-]{2,}"
    r"|[A-Za-z]{1,4}[-_]?\d{3,20}"
    r"|\d{3,8}(?:[ -]\d{2,8}){1,5}"
    r"|\d{3,20}"
    r")(?![A-Za-z0-9_@])")

_NOT_AN_ORDER = re.compile(r"(?:model|part|sku|item|serial|type|ref|型号|货号|编号)\s*(?:#|no\.?|number|"
                           r"num|:|：)?\s*$", re.I)
_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}-\d{1,2}-\d{4}")
_ORDER_CUE = re.compile(r"(?:order|订单|单号|订单编号)\s*(?:#|no\.?|number|num|id|号码?|编号)?"
                        r"\s*(?:is|:|：|是|为)?\s*$", re.I)


@dataclass(frozen=True)
class OrderRef:
    """One order number as written: ``text`` (NFKC), ``key`` (letters and digits only, upper
    case, for matching against the store's ids) and whether it is ``strong`` (it reads as an
    order number with no store at hand) or only a candidate to check against the store."""

    text: str
    key: str
    strong: bool


def order_key(text: str) -> str:
    """``text`` reduced to what identifies an order: NFKC, upper case, letters and digits only
    (#1001 → 1001, o-5001 → O5001, １２３４５ → 12345)."""
    return re.sub(r"[^0-9A-Z]", "", unicodedata.normalize("NFKC", text).upper())


def order_shape(text: str) -> str:
    """How an order number looks: NFKC, upper case, letters, digits and # only, each run of
    digits written as 9 (O-5001 → O9, #1001 → #9)."""
    kept = re.sub(r"[^0-9A-Z#]", "", unicodedata.normalize("NFKC", text).upper())
    return re.sub(r"\d+", "9", kept)


def order_refs(text: str) -> tuple[OrderRef, ...]:
    """Everything in ``text`` that may be an order number, less model, part and serial numbers,
    each marked strong or a candidate (see :class:`OrderRef`)."""
    text = unicodedata.normalize("NFKC", text)
    found: dict[str, OrderRef] = {}
    for m in ORDER_REF.finditer(text):
        before = text[max(0, m.start() - 16):m.start()]
        if _NOT_AN_ORDER.search(before):
            continue
        ref = m.group(0).strip()
        if _DATE.fullmatch(ref):
            continue
        key, digits = order_key(ref), len(re.sub(r"\D", "", ref))
        letters = len(key) - digits
        strong = bool(
            _ORDER_CUE.search(before)
            or re.fullmatch(r"\d{3}-\d{7}-\d{7}", ref)
            or (ref.startswith("#") and digits >= 3)
            or (" " not in ref and ref.count("-") <= 1 and digits >= 5 and letters <= 3
                and key[letters:].isdigit()))
        if key and key not in found:
            found[key] = OrderRef(ref, key, strong)
    return tuple(found.values())


def order_ids(text: str) -> tuple[str, ...]:
    """The strong order numbers of ``text`` (see :func:`order_refs`), as written."""
    return tuple(r.text for r in order_refs(text) if r.strong)


@dataclass(frozen=True)
class Understanding:
    intent: str  # one of INTENTS, or "unknown"
    confidence: float
    source: str  # rules, classifier, model
    order_ids: tuple[str, ...] = ()
    matched: tuple[str, ...] = ()  # the keywords that fired
    model_error: str = ""  # why the model could not be asked, when it was tried and failed


@dataclass
class IntentSpec:
    keywords: dict[str, list[str]] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)


def load_intents(extra: Sequence[Path] = ()) -> IntentSpec:
    """The shipped intent keywords and examples, plus any merchant files (same layout)."""
    sources = [(resources.files("shopkeeper.service") / "data" / "intents.toml").read_text("utf-8")]
    sources += [Path(p).read_text("utf-8") for p in extra]
    spec = IntentSpec()
    for text in sources:
        for intent, body in tomllib.loads(text).items():
            if intent not in INTENTS:
                raise ValueError(f"unknown intent {intent!r}; intents are {', '.join(INTENTS)}")
            spec.keywords.setdefault(intent, []).extend(body.get("keywords", []))
            spec.examples.setdefault(intent, []).extend(body.get("examples", []))
    return spec


@lru_cache(maxsize=4)
def _keyword_patterns(spec_key: tuple) -> dict[str, re.Pattern[str]]:
    patterns = {}
    for intent, words in spec_key:
        # a word of four letters or more also matches its -s, -ed and -ing forms ("returning",
        # "refunds"); shorter ones would match other words ("hi" in "his")
        latin = [re.escape(w) + (r"(?:s|ed|ing)?" if len(w) > 3 and w[-1].isalpha() else "")
                 for w in sorted((w for w in words if w.isascii()), key=len, reverse=True)]
        cjk = [re.escape(w) for w in words if not w.isascii()]
        parts = ([r"\b(?:" + "|".join(latin) + r")\b"] if latin
                 else []) + (["|".join(sorted(cjk, key=len, reverse=True))] if cjk else [])
        patterns[intent] = re.compile("|".join(parts), re.I)
    return patterns


def rule_intents(text: str, spec: IntentSpec) -> dict[str, list[str]]:
    """Intent -> the keywords of it found in ``text``."""
    key = tuple((i, tuple(w)) for i, w in sorted(spec.keywords.items()))
    found = {}
    for intent, pattern in _keyword_patterns(key).items():
        hits = [m.group(0) for m in pattern.finditer(text)]
        if hits:
            found[intent] = hits
    return found


def rule_intent(text: str, spec: IntentSpec) -> tuple[str, list[str]] | None:
    """The intent the rules give ``text`` (by :data:`PRIORITY`), with the keywords found."""
    found = rule_intents(text, spec)
    if len(found) > 1 and "greeting" in found:  # "hi, where is my order" is not a greeting
        del found["greeting"]
    for intent in PRIORITY:
        if intent in found:
            return intent, found[intent]
    return None


def _vectorizer():
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(analyzer="char_wb", ngram_range=(1, 3), n_features=N_FEATURES,
                             alternate_sign=False, norm="l2", lowercase=True)


class IntentModel:
    """Character 1–3-gram logistic regression over hashed features (no vocabulary to ship)."""

    def __init__(self, classes: Sequence[str], coef: np.ndarray, intercept: np.ndarray) -> None:
        self.classes = list(classes)
        self.coef = np.asarray(coef, dtype=np.float32)
        self.intercept = np.asarray(intercept, dtype=np.float32)
        self._vec = _vectorizer()

    @classmethod
    def fit(cls, texts: Sequence[str], labels: Sequence[str], *, c: float = 8.0) -> IntentModel:
        from sklearn.linear_model import LogisticRegression

        clf = LogisticRegression(C=c, max_iter=2000, class_weight="balanced")
        clf.fit(_vectorizer().transform(texts), labels)
        return cls(list(clf.classes_), clf.coef_, clf.intercept_)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        z = np.asarray(self._vec.transform(texts) @ self.coef.T) + self.intercept
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(axis=1, keepdims=True)

    def predict(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        proba = self.predict_proba(texts)
        return [(self.classes[i], float(row[i])) for row, i in zip(proba, proba.argmax(1),
                                                                   strict=True)]

    def save(self, path: Path) -> None:
        np.savez_compressed(path, classes=np.array(self.classes), coef=self.coef.astype(np.float16),
                            intercept=self.intercept)

    @classmethod
    def load(cls, path: Path) -> IntentModel:
        with np.load(path) as z:
            return cls([str(c) for c in z["classes"]], z["coef"].astype(np.float32),
                       z["intercept"])


def weak_labels(texts: Iterable[str], spec: IntentSpec) -> list[tuple[str, str]]:
    """(text, intent) for the texts the rules label with exactly one intent."""
    out = []
    for text in texts:
        found = rule_intents(text, spec)
        if len(found) == 1:
            out.append((text, next(iter(found))))
    return out


def train_intent_model(spec: IntentSpec, extra: Sequence[tuple[str, str]] = ()) -> IntentModel:
    """A model from the spec's examples plus ``extra`` (text, intent) pairs."""
    pairs = [(t, i) for i, ex in spec.examples.items() for t in ex] + list(extra)
    return IntentModel.fit([t for t, _ in pairs], [i for _, i in pairs])


def _shipped_model_path() -> Path:
    return Path(str(resources.files("shopkeeper.service") / "models" / "intents.npz"))


@lru_cache(maxsize=1)
def default_intent_model() -> IntentModel:
    """The shipped model (examples + JDDC weak labels), else one fitted on the examples now."""
    path = _shipped_model_path()
    if path.exists():
        return IntentModel.load(path)
    return train_intent_model(load_intents())


class _ModelReading(BaseModel):
    intent: Literal[INTENTS + ("unknown",)]  # type: ignore[valid-type]
    order_id: str | None = None


def understand(text: str, *, spec: IntentSpec | None = None, model: IntentModel | None = None,
               llm=None, unsure_below: float = 0.55,
               accept_above: float = 0.45) -> Understanding:
    """The intent of one customer message, with its confidence and the order ids it names."""
    spec = spec or load_intents()
    ids = order_ids(text)
    ruled = rule_intent(text, spec)
    if ruled and ruled[0] == "greeting" and ("?" in text or "？" in text
                                             or len(re.findall(r"\w+", text)) > 6):
        ruled = None  # "… will it fit my oven? Thanks" is a question, not a greeting
    if ruled:
        return Understanding(ruled[0], 0.9, "rules", ids, tuple(ruled[1]))
    if ids:  # an order number and no other clue: the customer asks about that order
        return Understanding("order_status", 0.7, "rules", ids)
    intent, p = (model or default_intent_model()).predict([text])[0]
    reading = Understanding(intent, p, "classifier", ids)
    if p >= unsure_below or llm is None or not llm.has_model:
        return reading if p >= accept_above else Understanding("unknown", p, "classifier", ids)
    try:
        from shopkeeper.llm import render_prompt

        prompt = render_prompt("shopkeeper.service", "understand", "en", message=text,
                               intents=", ".join(INTENTS))
        out = llm.structured(prompt, _ModelReading, task="service.understand", max_tokens=48,
                             retries=1)
    except LLMError as exc:
        failed = type(exc).__name__
        return (replace(reading, model_error=failed) if p >= accept_above
                else Understanding("unknown", p, "classifier", ids, model_error=failed))
    if out.intent == "unknown":
        return Understanding("unknown", p, "model", ids)
    ids = ids or ((out.order_id,) if out.order_id and out.order_id in order_ids(text) else ())
    return Understanding(out.intent, 0.6, "model", ids)
