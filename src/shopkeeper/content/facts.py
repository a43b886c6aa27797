"""What copy may say about a product: its attributes, title, price and what its happiest
customers wrote. Built from the warehouse or from an AdvertiseGen-style attribute string."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

from shopkeeper.errors import ShopkeeperError
from shopkeeper.llm.grounding import Facts, load_lexicon
from shopkeeper.store.warehouse import Warehouse

# what a title's words reliably say (not "top" in "Ceramic Top Storage Jar")
_TITLE_KINDS = {"material", "colour", "pattern"}
_CLAUSE = re.compile(r"[^,.;!?，。；！？\n]+")
_AND = re.compile(r"\s+(?:and|but|with)\s+|而且|并且|但是", re.I)
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")


class ContentError(ShopkeeperError, ValueError):
    """A product or attribute string cannot be turned into copy."""


class ProductNotFound(ContentError, LookupError):
    """No product in the warehouse has this id."""


@dataclass(frozen=True)
class ReviewPhrase:
    """A phrase from the product's 4-5 star reviews and how many of them used it."""

    text: str
    reviews: int


@dataclass(frozen=True)
class ProductFacts:
    attributes: tuple[tuple[str, str], ...]
    title: str = ""
    category: str = ""
    brand: str = ""
    price: float | None = None
    currency: str = ""
    product_id: str | None = None
    description: str = ""
    review_phrases: tuple[ReviewPhrase, ...] = ()
    rating: float | None = None
    rated_reviews: int = 0
    campaign: str = ""

    def values(self, *keys: str) -> list[str]:
        """Attribute values under any of ``keys``, in order, without repeats."""
        seen: list[str] = []
        for k, v in self.attributes:
            if k in keys and v not in seen:
                seen.append(v)
        return seen

    def with_campaign(self, campaign: str) -> ProductFacts:
        return replace(self, campaign=campaign)

    def grounding(self) -> Facts:
        """The facts the grounding check measures copy against."""
        context = [self.title, self.category, self.brand, self.description, self.campaign]
        context += [p.text for p in self.review_phrases]
        if self.price is not None:
            context.append(price_text(self.price, self.currency))
        if self.rating is not None:
            context.append(f"{self.rating:.1f} {self.rated_reviews} 5")  # "4.3 out of 5"
        return Facts.of(self.attributes, context)


_SYMBOLS = {"CNY": "¥", "USD": "$", "GBP": "£", "EUR": "€"}


def price_text(price: float, currency: str) -> str:
    """A price as written in copy: ¥199, £2.55, or 12.00 SEK."""
    symbol = _SYMBOLS.get(currency.upper())
    amount = f"{price:,.2f}".removesuffix(".00") if currency.upper() == "CNY" else f"{price:,.2f}"
    return f"{symbol}{amount}" if symbol else f"{amount} {currency}".strip()


def parse_attributes(spec: str, *, category: str | None = None) -> ProductFacts:
    """``类型#上衣*材质#牛仔布*颜色#白色`` (the AdvertiseGen / Taobao style) as facts; the
    类型 (type) value is the category unless one is given."""
    pairs = []
    for n, item in enumerate(spec.strip().split("*"), start=1):
        key, sep, value = item.partition("#")
        if not sep or not key.strip() or not value.strip():
            raise ContentError(f"attribute {n} {item!r}: write KEY#VALUE, items joined by '*'")
        pairs.append((key.strip(), value.strip()))
    cat = category or next((v for k, v in pairs if k in ("类型", "type", "category")), "")
    return ProductFacts(attributes=tuple(pairs), category=cat)


def product_facts(wh: Warehouse, product_id: str, *, lang: str = "en",
                  max_phrases: int = 4) -> ProductFacts:
    """A warehouse product: its row, its attributes JSON, the attribute words of its title, and
    phrases from its 4-5 star reviews in ``lang``."""
    rows = wh.query(
        "SELECT title, category, brand, price, currency, description, attributes "
        "FROM products WHERE product_id = ?", [product_id])
    if not rows:
        raise ProductNotFound(f"product {product_id!r} is not in the warehouse; see "
                           "'shopkeeper sql \"SELECT product_id, title FROM products\"'")
    title, category, brand, price, currency, description, attrs = rows[0]
    pairs = _flatten(json.loads(attrs) if isinstance(attrs, str) else attrs or {})
    for m in load_lexicon().find(title or ""):
        if m.term.kind in _TITLE_KINDS and all(v.casefold() != m.surface.casefold()
                                               for _, v in pairs):
            pairs.append((m.term.kind, m.surface.lower() if m.surface.isupper() else m.surface))
    reviews = wh.query(
        "SELECT rating, body, coalesce(language, '') FROM reviews WHERE product_id = ?",
        [product_id])
    happy = [body for rating, body, language in reviews
             if rating and rating >= 4 and body and language in ("", lang)]
    ratings = [r for r, _, _ in reviews if r]
    return ProductFacts(
        attributes=tuple(pairs), title=_clean_title(title or ""), category=category or "",
        brand=brand or "", price=float(price) if price is not None else None,
        currency=currency or "", product_id=product_id, description=description or "",
        review_phrases=tuple(mine_phrases(happy, title or "", max_phrases)),
        rating=sum(ratings) / len(ratings) if ratings else None, rated_reviews=len(ratings))


def _flatten(attrs: Any, prefix: str = "") -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    if isinstance(attrs, dict):
        for k, v in attrs.items():
            pairs += _flatten(v, f"{prefix}{k}" if not prefix else f"{prefix}.{k}")
    elif isinstance(attrs, list):
        for v in attrs:
            pairs += _flatten(v, prefix)
    elif attrs not in (None, ""):
        pairs.append((prefix or "attribute", str(attrs)))
    return pairs


def _clean_title(title: str) -> str:
    """Shouting catalogue titles (UCI: 'WHITE HANGING HEART T-LIGHT HOLDER') in title case."""
    title = re.sub(r"\s+([,.;:])", r"\1", " ".join(title.split()))
    if title.isupper():
        return " ".join(w.capitalize() if not w[:1].isdigit() else w.lower()
                        for w in title.split())
    return title


def mine_phrases(reviews: list[str], title: str, limit: int) -> list[ReviewPhrase]:
    """The clauses customers repeat most in their good reviews, leaving out ones that merely
    repeat the product's name."""
    title_words = {w.lower() for w in _WORD.findall(title)}
    counts: Counter[str] = Counter()
    for body in reviews:
        seen = set()
        for clause in (c for part in _CLAUSE.findall(body) for c in _AND.split(part)):
            phrase = " ".join(clause.split()).strip(" '\"-").lower()
            words = _WORD.findall(phrase)
            if re.search(r"[\u4e00-\u9fff]", phrase):
                ok = 2 <= len(phrase) <= 14
            else:
                ok = 2 <= len(words) <= 7 and sum(w in title_words for w in words) < 2
            if ok and phrase not in seen:
                seen.add(phrase)
                counts[phrase] += 1
    return [ReviewPhrase(p, n) for p, n in counts.most_common(limit)]


def product_keywords(wh: Warehouse, product_id: str, *, lang: str = "en", n: int = 15) -> list:
    """Search keywords for a warehouse product: its attributes and title, its category peers
    and the vocabulary of its good reviews, by TF-IDF against the catalogue."""
    from shopkeeper.content.keywords import suggest_keywords

    facts = product_facts(wh, product_id, lang=lang)
    titles = wh.query("SELECT product_id, coalesce(title, ''), coalesce(category, '') "
                      "FROM products")
    peers = [t for pid, t, c in titles if c and c == facts.category and pid != product_id]
    reviews = [r[0] for r in wh.query(
        "SELECT body FROM reviews WHERE product_id = ? AND rating >= 4 AND body IS NOT NULL",
        [product_id])]
    review_corpus = [r[0] for r in wh.query(
        "SELECT body FROM reviews WHERE body IS NOT NULL "
        "USING SAMPLE reservoir(5000 ROWS) REPEATABLE (7)")]
    return suggest_keywords([facts.title, facts.description], lang=lang, peers=peers,
                            reviews=reviews, corpus=[t for _, t, _ in titles],
                            attributes=dict(facts.attributes), n=n,
                            review_corpus=review_corpus)
