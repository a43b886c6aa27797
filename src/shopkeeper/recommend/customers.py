"""The customers workspace: the RFM grid and segments, lifetime value, audiences, customer
search, and one customer's page (orders, segment, recommendations with their reasons).

Results are typed models so the API, the web and MCP show the same thing. Segmenting fits the
BG/NBD and Gamma-Gamma models, so the table is computed once per state of the data (a new load
or new orders) and reused, not recomputed per request.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from shopkeeper import metrics
from shopkeeper.recommend.guide import GuideCatalogue, ShoppingGuide
from shopkeeper.recommend.segments import (
    LifetimeModel,
    SegmentError,
    export_audience,
    segment_customers,
)
from shopkeeper.recommend.serving import RecommendError, ServingRules, recommend_for_customer
from shopkeeper.recommend.stored import default_model_path, load_recommender
from shopkeeper.store.warehouse import Warehouse

MAX_QUERY_CHARS = 100
RECOMMENDER_JOB = "recommend.train"


class CustomerNotFound(RecommendError, LookupError):
    """No such customer in the warehouse."""


class RfmCell(BaseModel):
    """One cell of the RFM grid: recency score × the mean of frequency and monetary scores."""

    r_score: int
    fm_score: int
    customers: int
    monetary: float  # the cell's customers' net spend together
    segment: str  # the named segment the cell belongs to


class SegmentRow(BaseModel):
    """One named segment: how many, and their typical recency, orders, spend, CLV, churn."""

    segment: str
    customers: int
    share: float
    recency_days: float
    orders: float
    spend: float
    clv: float | None = None
    churn_risk: float | None = None


class CustomerValue(BaseModel):
    """A customer's value in the segments table."""

    customer_id: str
    name: str | None = None
    segment: str
    recency_days: int
    frequency: int
    monetary: float
    r_score: int
    f_score: int
    m_score: int
    clv: float | None = None
    p_alive: float | None = None
    churn_risk: float | None = None


class ClvSummary(BaseModel):
    """Lifetime value over the horizon: the fitted models and who is worth most."""

    horizon_days: int
    customers: int
    repeat_customers: int
    total: float
    mean: float
    median: float
    bgnbd: dict[str, float]
    gamma_gamma: dict[str, float] | None = None
    top: list[CustomerValue]


class SegmentOverview(BaseModel):
    """The whole customers picture: the RFM grid, segments, CLV when a model could be fitted."""

    as_of: dt.date
    currency: str | None
    customers: int
    cells: list[RfmCell]
    segments: list[SegmentRow]
    clv: ClvSummary | None = None
    clv_note: str | None = None  # why there is no CLV, when there is none


class CustomerHit(BaseModel):
    """A customer found by search."""

    customer_id: str
    name: str | None = None
    email: str | None = None
    city: str | None = None
    country: str | None = None
    orders: int = 0
    last_order: dt.datetime | None = None


class CustomerOrder(BaseModel):
    """One of the customer's orders."""

    order_id: str
    ordered_at: dt.datetime | None
    status: str | None
    total: float | None
    currency: str | None
    lines: int
    items: int


class CustomerRecommendation(BaseModel):
    """A product recommended to the customer, with the reason it is there."""

    product_id: str
    title: str
    price: float | None
    category: str | None
    score: float
    reason: str  # "bought with <title>", "popular", …
    because: str | None = None  # the product the reason names


class CustomerProfile(BaseModel):
    """One customer's page."""

    customer_id: str
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    city: str | None = None
    country: str | None = None
    created_at: dt.datetime | None = None
    orders_count: int = 0
    spend: float = 0.0
    currency: str | None = None
    first_order: dt.datetime | None = None
    last_order: dt.datetime | None = None
    segment: CustomerValue | None = None
    orders: list[CustomerOrder] = Field(default_factory=list)
    recommendations: list[CustomerRecommendation] = Field(default_factory=list)
    recommender: str | None = None  # which model made them
    needs_training: bool = False  # no trained recommender yet: start the job named below
    train_job: str = RECOMMENDER_JOB


# -- the segments table, once per state of the data -----------------------------------------
_cache: dict[tuple[str, str], tuple[pd.DataFrame, LifetimeModel | None]] = {}
_cache_lock = threading.Lock()


def _data_version(wh: Warehouse) -> str:
    loads = wh.query("SELECT count(*), max(finished_at) FROM loads")[0]
    orders = wh.query("SELECT count(*), max(ordered_at) FROM orders")[0]
    refunds = wh.query("SELECT count(*) FROM refunds")[0][0]
    return f"{loads[0]}:{loads[1]}:{orders[0]}:{orders[1]}:{refunds}"


def segments_table(wh: Warehouse) -> tuple[pd.DataFrame, LifetimeModel | None]:
    """:func:`segment_customers` (RFM, CLV, churn risk per customer), computed once per state of
    the data and shared (a copy of the table is returned)."""
    key = (str(wh.path), _data_version(wh))
    with _cache_lock:
        if key not in _cache:
            for old in [k for k in _cache if k[0] == key[0]]:
                del _cache[old]
            _cache[key] = segment_customers(wh)
        table, model = _cache[key]
    return table.copy(), model


def _float(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else round(float(value), 4)


def _value(row: pd.Series, names: dict[str, str]) -> CustomerValue:
    return CustomerValue(
        customer_id=str(row["customer_id"]), name=names.get(str(row["customer_id"])),
        segment=str(row["segment"]), recency_days=int(row["recency_days"]),
        frequency=int(row["frequency"]), monetary=float(row["monetary"]),
        r_score=int(row["r_score"]), f_score=int(row["f_score"]), m_score=int(row["m_score"]),
        clv=_float(row.get("clv")), p_alive=_float(row.get("p_alive")),
        churn_risk=_float(row.get("churn_risk")))


def _names(wh: Warehouse, ids: list[str]) -> dict[str, str]:
    if not ids:
        return {}
    return {str(c): str(n) for c, n in wh.query(
        "SELECT customer_id, name FROM customers WHERE customer_id IN (SELECT unnest(?)) "
        "AND name IS NOT NULL", [ids])}


def store_currency(wh: Warehouse) -> str | None:
    """The currency most orders are in."""
    row = wh.query("SELECT mode(currency) FROM orders WHERE currency IS NOT NULL")
    return row[0][0] if row and row[0][0] else None


def segment_overview(wh: Warehouse, *, top: int = 10, horizon_days: int = 365
                     ) -> SegmentOverview:
    """The RFM grid (5 × 5), the named segments, and the CLV summary with the ``top`` customers
    by expected value; computed once per data version (read-only: it is shared), since a
    segments page asks it on every visit and on a large store it groups millions of rows."""
    return metrics.cached(wh, f"recommend.segment_overview:{int(top)}:{int(horizon_days)}",
                          lambda: _segment_overview(wh, top, horizon_days))


def _segment_overview(wh: Warehouse, top: int, horizon_days: int) -> SegmentOverview:
    table, model = segments_table(wh)
    fm = np.round((table["f_score"] + table["m_score"]) / 2).astype(int)
    grid = table.assign(fm_score=fm).groupby(["r_score", "fm_score"]).agg(
        customers=("customer_id", "size"), monetary=("monetary", "sum"),
        segment=("segment", "first")).reset_index()
    cells = [RfmCell(r_score=int(r.r_score), fm_score=int(r.fm_score),
                     customers=int(r.customers), monetary=round(float(r.monetary), 2),
                     segment=str(r.segment)) for r in grid.itertuples()]
    total = len(table)
    aggs = {"customers": ("customer_id", "size"), "recency_days": ("recency_days", "median"),
            "orders": ("frequency", "mean"), "spend": ("monetary", "mean")}
    if "clv" in table:
        aggs |= {"clv": ("clv", "mean"), "churn_risk": ("churn_risk", "mean")}
    summary = table.groupby("segment").agg(**aggs).sort_values("customers", ascending=False)
    segments = [SegmentRow(segment=str(name), customers=int(r["customers"]),
                           share=round(int(r["customers"]) / total, 4),
                           recency_days=float(r["recency_days"]), orders=round(r["orders"], 2),
                           spend=round(float(r["spend"]), 2), clv=_float(r.get("clv")),
                           churn_risk=_float(r.get("churn_risk")))
                for name, r in summary.iterrows()]
    clv, note = None, None
    if model is not None and "clv" in table and table["clv"].notna().any():
        best = table.sort_values("clv", ascending=False).head(top)
        names = _names(wh, [str(c) for c in best["customer_id"]])
        values = table["clv"].dropna()
        clv = ClvSummary(horizon_days=horizon_days, customers=model.customers,
                         repeat_customers=model.repeat_customers,
                         total=round(float(values.sum()), 2), mean=round(float(values.mean()), 2),
                         median=round(float(values.median()), 2), bgnbd=model.bgnbd,
                         gamma_gamma=model.gamma_gamma,
                         top=[_value(r, names) for _, r in best.iterrows()])
    else:
        note = ("too few customers or repeat buyers to fit a lifetime model "
                "(BG/NBD needs at least 20 customers and 5 repeat buyers)")
    last = wh.query("SELECT max(ordered_at) FROM orders WHERE customer_id IS NOT NULL")[0][0]
    return SegmentOverview(as_of=pd.Timestamp(last).date() if last else dt.date.today(),
                           currency=store_currency(wh), customers=total, cells=cells,
                           segments=segments, clv=clv, clv_note=note)


def segment_names(wh: Warehouse) -> list[str]:
    """The named segments this store's customers fall in, largest first."""
    table, _ = segments_table(wh)
    return [str(s) for s in table["segment"].value_counts().index]


def export_segment(wh: Warehouse, path: Path, *, segment: str | None = None,
                   min_churn_risk: float | None = None) -> int:
    """Write the customers of ``segment`` (and/or at or above a churn risk) to ``path`` (CSV or
    XLSX, chosen by its suffix, which the caller names); returns how many."""
    table, _ = segments_table(wh)
    if min_churn_risk is not None and not 0 <= min_churn_risk <= 1:
        raise SegmentError(f"churn risk is a probability between 0 and 1, not {min_churn_risk}")
    return export_audience(table, path, segment=segment, min_churn_risk=min_churn_risk)


# -- search ----------------------------------------------------------------------------------
def _like(text: str) -> str:
    """``text`` as a LIKE pattern that matches it literally anywhere (%, _ and \\ escaped)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_customers(wh: Warehouse, query: str = "", *, segment: str | None = None,
                     limit: int = 50, offset: int = 0) -> tuple[list[CustomerHit], int]:
    """Customers whose id, name, email or city contains ``query`` (literally, any case), or of
    one ``segment``; most orders first. Every value is a bound parameter."""
    query = (query or "").strip()
    if len(query) > MAX_QUERY_CHARS:
        raise RecommendError(f"the search is {len(query)} characters; at most {MAX_QUERY_CHARS}")
    clauses, params = [], []
    if query:
        pattern = _like(query)
        clauses.append("(c.customer_id ILIKE ? ESCAPE '\\' OR c.name ILIKE ? ESCAPE '\\' "
                       "OR c.email ILIKE ? ESCAPE '\\' OR c.city ILIKE ? ESCAPE '\\')")
        params += [pattern] * 4
    if segment:
        table, _ = segments_table(wh)
        if segment not in set(table["segment"]):
            raise SegmentError(f"no segment {segment!r}; segments here: "
                               f"{', '.join(sorted(set(table['segment'])))}")
        clauses.append("c.customer_id IN (SELECT unnest(?))")
        params.append([str(c) for c in table.loc[table["segment"] == segment, "customer_id"]])
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    total = int(wh.query(f"SELECT count(*) FROM customers c{where}", params)[0][0])
    rows = wh.query(
        f"""SELECT c.customer_id, c.name, c.email, c.city, c.country,
                   count(o.order_id) AS orders, max(o.ordered_at) AS last_order
            FROM customers c LEFT JOIN orders o ON o.customer_id = c.customer_id
            {where} GROUP BY ALL ORDER BY orders DESC, c.customer_id LIMIT ? OFFSET ?""",
        [*params, int(limit), int(offset)])
    keys = tuple(CustomerHit.model_fields)
    return [CustomerHit(**dict(zip(keys, r, strict=True))) for r in rows], total


# -- one customer ----------------------------------------------------------------------------
def customer_profile(wh: Warehouse, customer_id: str, *, model_dir: Path | None = None,
                     n: int = 10, orders: int = 50,
                     rules: ServingRules | None = None) -> CustomerProfile:
    """One customer: contact, orders (latest ``orders``), segment and CLV, and ``n``
    recommendations with their reasons from the stored recommender in ``model_dir``
    (``needs_training`` when there is none: nothing is trained on a page view)."""
    row = wh.query("SELECT customer_id, name, email, phone, city, country, created_at "
                   "FROM customers WHERE customer_id = ?", [customer_id])
    if not row and not wh.query("SELECT 1 FROM orders WHERE customer_id = ? LIMIT 1",
                                [customer_id]):
        raise CustomerNotFound(f"no customer {customer_id!r} in the warehouse")
    keys = ("customer_id", "name", "email", "phone", "city", "country", "created_at")
    profile = CustomerProfile(**(dict(zip(keys, row[0], strict=True)) if row
                                 else {"customer_id": customer_id}))
    # an order's value is its total, else the sum of its lines (exports such as UCI's have
    # lines only); cancelled orders spent nothing
    stats = wh.query("""WITH per_order AS (
                          SELECT o.order_id, o.status, o.currency, o.ordered_at,
                                 coalesce(o.total_amount, sum(coalesce(l.line_amount,
                                                                   l.quantity * l.unit_price)))
                                   AS amount
                          FROM orders o LEFT JOIN order_lines l USING (order_id)
                          WHERE o.customer_id = ?
                          GROUP BY o.order_id, o.status, o.currency, o.ordered_at,
                                   o.total_amount)
                        SELECT count(*), sum(CASE WHEN coalesce(status, '') <> 'cancelled'
                                                  THEN amount END),
                               mode(currency), min(ordered_at), max(ordered_at)
                        FROM per_order""", [customer_id])[0]
    profile.orders_count = int(stats[0] or 0)
    profile.spend = round(float(stats[1] or 0.0), 2)
    profile.currency, profile.first_order, profile.last_order = stats[2], stats[3], stats[4]
    profile.orders = [CustomerOrder(order_id=str(r[0]), ordered_at=r[1], status=r[2],
                                    total=_float(r[3]), currency=r[4], lines=int(r[5]),
                                    items=int(r[6] or 0)) for r in wh.query(
        """SELECT o.order_id, o.ordered_at, o.status,
                  coalesce(o.total_amount, sum(coalesce(l.line_amount,
                                                        l.quantity * l.unit_price))),
                  o.currency, count(l.product_id), sum(l.quantity)
           FROM orders o LEFT JOIN order_lines l USING (order_id)
           WHERE o.customer_id = ? GROUP BY o.order_id, o.ordered_at, o.status, o.total_amount,
                 o.currency ORDER BY o.ordered_at DESC, o.order_id LIMIT ?""",
        [customer_id, int(orders)])]
    try:
        table, _ = segments_table(wh)
    except SegmentError:
        table = None
    if table is not None:
        mine = table[table["customer_id"].astype(str) == str(customer_id)]
        if not mine.empty:
            profile.segment = _value(mine.iloc[0], {customer_id: profile.name or ""})
    path = default_model_path(model_dir) if model_dir is not None else None
    if path is None or not path.exists():
        profile.needs_training = True
        return profile
    stored = load_recommender(path, wh)
    profile.recommender = (f"{stored.model}, trained {stored.trained_at:%Y-%m-%d %H:%M} UTC")
    profile.recommendations = [
        CustomerRecommendation(product_id=r.product_id, title=r.title, price=r.price,
                               category=r.category, score=round(r.score, 6), reason=r.reason,
                               because=r.because)
        for r in recommend_for_customer(stored.recommender, str(customer_id), n, rules)]
    return profile


# -- the shopping guide as a chat ------------------------------------------------------------
class GuidePickView(BaseModel):
    """A product the guide suggests, with its reasons (catalogue facts only)."""

    product_id: str
    title: str
    price: float
    currency: str | None = None
    category: str | None = None
    reasons: list[str]


class GuideReply(BaseModel):
    """One answer of the shopping guide: a question, or picks with their reasons."""

    guide_id: str
    text: str
    question: str | None = None
    language: str
    method: str
    picks: list[GuidePickView]
    flags: list[str] = Field(default_factory=list)


class GuideStarted(BaseModel):
    """A new guide conversation."""

    guide_id: str
    customer_id: str | None = None
    recommender: str | None = None  # what personalises it (None: popularity and relevance)
    last_visit: dt.datetime | None = None  # the customer's last conversation it remembers


def guide_catalogue(wh: Warehouse, model_dir: Path | None = None) -> GuideCatalogue:
    """The shopping guide's catalogue and search index, read and embedded once per data
    version and shared by every conversation in the process (read-only). The first read embeds
    the catalogue (seconds); the server does it in its warm-up job, not a shopper's first
    request. Embeddings are cached under ``model_dir``."""
    return metrics.cached(wh, f"recommend.guide_catalogue:{model_dir}",
                          lambda: GuideCatalogue.from_warehouse(wh, cache_dir=model_dir))


class GuideSessions:
    """Live shopping-guide conversations of one server, each belonging to the person who
    started it (thread-safe; least recently used first out). The catalogue and its index are
    read once per data version (:func:`guide_catalogue`) and shared. With ``record`` (the
    default) each turn is logged in the warehouse handle given to :meth:`send`, under the
    conversation's id and its customer, and a known customer's last conversation is
    remembered."""

    def __init__(self, *, max_live: int = 200) -> None:
        self.max_live = max_live
        self._live: OrderedDict[str, tuple[str, Any, threading.Lock]] = (
            OrderedDict())
        self._lock = threading.Lock()

    def start(self, wh: Warehouse, owner: str, *, customer_id: str | None = None,
              model_dir: Path | None = None, picks: int = 3,
              fx_rates: dict[str, float] | None = None, report_currency: str = "",
              record: bool = True) -> GuideStarted:
        """A guide conversation for ``owner``, personalised for ``customer_id`` by the stored
        recommender when there is one (nothing is trained here); budgets in another currency
        are converted at ``fx_rates`` (the config's, with its ``report_currency``)."""
        recommender, note = None, None
        if customer_id:
            known = wh.query("SELECT (SELECT count(*) FROM customers WHERE customer_id = ?) + "
                             "(SELECT count(*) FROM orders WHERE customer_id = ?)",
                             [customer_id, customer_id])[0][0]
            if not known:
                raise CustomerNotFound(f"no customer {customer_id!r} in the warehouse")
            path = default_model_path(model_dir) if model_dir is not None else None
            if path is not None and path.exists():
                stored = load_recommender(path, wh)
                recommender = stored.recommender
                note = f"{stored.model}, trained {stored.trained_at:%Y-%m-%d %H:%M} UTC"
        guide_id = "GUIDE-" + secrets.token_hex(12)
        guide = ShoppingGuide(wh, customer_id=customer_id or None, recommender=recommender,
                              picks=picks, shop=guide_catalogue(wh, model_dir),
                              fx_rates=fx_rates, report_currency=report_currency,
                              record=record, session_id=guide_id)
        guide.warehouse = None  # that handle is this request's: each send brings its own
        with self._lock:
            self._live[guide_id] = (owner, guide, threading.Lock())
            while len(self._live) > self.max_live:
                self._live.popitem(last=False)
        return GuideStarted(guide_id=guide_id, customer_id=customer_id or None,
                            recommender=note,
                            last_visit=guide.memory.at if guide.memory is not None else None)

    def send(self, guide_id: str, owner: str, message: str, *,
             wh: Warehouse | None = None) -> GuideReply:
        """The guide's answer to one message in ``owner``'s conversation ``guide_id``, logged
        in ``wh`` (this request's warehouse handle; needed when the guide records)."""
        message = message.strip()
        if not message:
            raise RecommendError("the message is empty")
        if len(message) > 500:
            raise RecommendError(f"the message is {len(message)} characters; at most 500")
        with self._lock:
            live = self._live.get(guide_id)
            if live is not None:
                self._live.move_to_end(guide_id)
        if live is None or live[0] != owner:  # another person's conversation does not exist
            raise GuideNotFound(f"no guide conversation {guide_id!r} (they end after a while: "
                                "start a new one)")
        _, guide, lock = live
        with lock:
            turn = guide.reply(message, wh=wh)
        return GuideReply(
            guide_id=guide_id, text=turn.text, question=turn.question, language=turn.language,
            method=turn.method, flags=list(turn.flags),
            picks=[GuidePickView(product_id=p.product_id, title=p.title, price=float(p.price),
                                 currency=p.currency, category=p.category,
                                 reasons=list(p.reasons)) for p in turn.picks])


class GuideNotFound(RecommendError, LookupError):
    """No such guide conversation (or not this person's)."""


def rfm_figure(overview: SegmentOverview, *, title: str = "", recency: str = "Recency score",
               value: str = "Frequency × monetary score", customers: str = "customers",
               names: dict[str, str] | None = None) -> dict[str, Any]:
    """The RFM grid as a Plotly heatmap (a figure dict): customers per recency score × the
    frequency-monetary score, each cell labelled with its count (its named segment on hover).
    The words are parameters (``names``: segment → its name), so each face labels it in its
    own language."""
    import plotly.graph_objects as go

    names = names or {}
    z = [[0] * 5 for _ in range(5)]
    segment = [[""] * 5 for _ in range(5)]
    for cell in overview.cells:
        z[cell.fm_score - 1][cell.r_score - 1] = cell.customers
        segment[cell.fm_score - 1][cell.r_score - 1] = names.get(cell.segment, cell.segment)
    fig = go.Figure(go.Heatmap(
        z=z, x=[1, 2, 3, 4, 5], y=[1, 2, 3, 4, 5], customdata=segment,
        texttemplate="%{z:,}", textfont={"size": 13}, colorscale="Blues", showscale=False,
        hovertemplate=f"%{{customdata}}<br>R %{{x}} · FM %{{y}}<br>%{{z:,}} {customers}"
                      "<extra></extra>"))
    fig.update_layout(title=title or None, xaxis_title=recency, yaxis_title=value,
                      xaxis={"dtick": 1}, yaxis={"dtick": 1}, height=420)
    return fig.to_plotly_json()
