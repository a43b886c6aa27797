"""The tools the assistant may use, all scoped to the customer the channel identified.

Order lookups only ever return that customer's orders, and only after the customer has proved
who they are (an order number, email, phone or postcode on their account); an order comes with
its parcels (``shipments``: carrier, tracking number, shipped, delivered, ETA). A lookup of anyone
else's order returns nothing, exactly as a lookup of an order that does not exist, so the reply
cannot even confirm it exists. The only write is a *draft* return request that staff approve.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd

from shopkeeper.errors import ShopkeeperError
from shopkeeper.service.knowledge import KnowledgeBase
from shopkeeper.service.understand import order_key, order_refs, order_shape
from shopkeeper.store.warehouse import Warehouse


class NotVerified(ShopkeeperError):
    """Order details were asked for before the customer was verified."""


class ServiceError(ShopkeeperError, ValueError):
    """A customer-service record cannot be found or changed as asked."""


@dataclass(frozen=True)
class OrderLine:
    product_id: str
    title: str
    quantity: int
    unit_price: float


@dataclass(frozen=True)
class ShipmentInfo:
    """One parcel of an order (a row of ``shipments``)."""

    parcel: int
    carrier: str | None
    tracking_number: str | None
    tracking_url: str | None
    status: str | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    eta: datetime | None  # estimated_delivery_at

    @property
    def delivered(self) -> bool:
        return self.delivered_at is not None or self.status == "delivered"

    def late(self, as_of: datetime) -> bool:
        """Past its ETA: delivered after it, or still on its way at ``as_of``."""
        if self.eta is None:
            return False
        if self.delivered:
            return self.delivered_at is not None and self.delivered_at.date() > self.eta.date()
        return as_of > self.eta


@dataclass(frozen=True)
class OrderInfo:
    order_id: str
    status: str
    ordered_at: datetime
    shipped_at: datetime | None
    delivered_at: datetime | None
    total: float | None
    currency: str | None
    lines: tuple[OrderLine, ...]
    promised_at: datetime | None = None
    shipments: tuple[ShipmentInfo, ...] = ()

    @property
    def received_at(self) -> datetime:
        """When the customer got it: delivery (the order's, else its last parcel's), else
        shipping, else the order date."""
        delivered = [s.delivered_at for s in self.shipments if s.delivered_at is not None]
        shipped = [s.shipped_at for s in self.shipments if s.shipped_at is not None]
        return (self.delivered_at or (max(delivered) if delivered else None) or self.shipped_at
                or (min(shipped) if shipped else None) or self.ordered_at)

    @property
    def has_shipped(self) -> bool:
        """Whether anything of the order has left: a parcel, a shipping or delivery date, or
        a status that says so."""
        return bool(self.shipments or self.shipped_at or self.delivered_at
                    or self.status not in ("pending", "paid", "unknown", "cancelled"))


@dataclass(frozen=True)
class ProductInfo:
    product_id: str
    title: str
    price: float | None
    currency: str | None
    on_hand: int | None
    lexical: bool = True  # found by its words, not only by meaning

    @property
    def citation(self) -> str:
        return f"product:{self.product_id}"


@dataclass
class ToolCall:
    name: str
    args: dict[str, Any]
    result: str


# order_key() in SQL: an order id's letters and digits only, upper case
_KEY_SQL = "regexp_replace(upper(CAST(order_id AS VARCHAR)), '[^0-9A-Z]', '', 'g')"


def _digits(s: str) -> str:
    return re.sub(r"\D", "", s)


@dataclass
class CustomerTools:
    """Lookups and drafts for one customer (``customer_id`` as the channel authenticated it)."""

    wh: Warehouse
    customer_id: str | None
    kb: KnowledgeBase | None = None
    verified: bool = False
    calls: list[ToolCall] = field(default_factory=list)
    _shapes: dict[str, tuple[int, int]] | None = field(default=None, repr=False)
    _shipments_table: bool | None = field(default=None, repr=False)

    def _log(self, name: str, result: str, **args: Any) -> None:
        self.calls.append(ToolCall(name, args, result))

    def _own_order_ids(self) -> set[str]:
        if self.customer_id is None:
            return set()
        return {str(r[0]) for r in self.wh.query(
            "SELECT order_id FROM orders WHERE customer_id = ?", [self.customer_id])}

    def own_order_id(self, key: str) -> str | None:
        """The customer's own order whose id reduces to ``key`` (:func:`order_key`), as the
        store writes it; None when no own order does."""
        if self.customer_id is None or not key:
            return None
        rows = self.wh.query(f"SELECT order_id FROM orders WHERE customer_id = ? AND {_KEY_SQL} = ? "
                             "ORDER BY order_id LIMIT 1", [self.customer_id, key])
        return str(rows[0][0]) if rows else None

    def owns(self, order_id: str) -> bool:
        """Whether ``order_id`` (as the customer wrote it) is one of the signed-in customer's
        orders. Needs no verification: it tells the asker only about their own account."""
        return order_id in self._own_order_ids() or self.own_order_id(order_key(order_id)) is not None

    def has_order_shape(self, ref: str) -> bool:
        """Whether ``ref`` looks like the store's order numbers (:func:`order_shape`: O9 for
        O-5001, #9 for #1001) with a digit count the store's ids of that shape have, give or
        take one. Says nothing about whether that order exists."""
        if self._shapes is None:
            digits = "length(regexp_replace(CAST(order_id AS VARCHAR), '[^0-9]', '', 'g'))"
            self._shapes = {str(shape): (int(lo), int(hi)) for shape, lo, hi in self.wh.query(
                "SELECT regexp_replace(regexp_replace(upper(CAST(order_id AS VARCHAR)), "
                f"'[^0-9A-Z#]', '', 'g'), '[0-9]+', '9', 'g') AS shape, min({digits}), "
                f"max({digits}) FROM orders GROUP BY shape")}
        span = self._shapes.get(order_shape(ref))
        digits = sum(c.isdigit() for c in ref)
        return span is not None and span[0] - 1 <= digits <= span[1] + 1

    def verify(self, evidence: str) -> bool:
        """Whether ``evidence`` proves the customer: one of their order numbers, or the email,
        phone (last 7+ digits) or postcode on their account."""
        if self.customer_id is None:
            self._log("verify", "no customer on this channel")
            return False
        row = self.wh.query("SELECT email, phone, postal_code FROM customers "
                            "WHERE customer_id = ?", [self.customer_id])
        email, phone, postal = row[0] if row else (None, None, None)
        low = evidence.casefold()
        tokens = set(re.findall(r"[A-Za-z0-9-]+", evidence))
        ok = bool(tokens & self._own_order_ids())
        ok = ok or any(self.own_order_id(ref.key) for ref in order_refs(evidence))
        ok = ok or bool(email and email.casefold() in low)
        ok = ok or bool(phone and len(_digits(phone)) >= 7
                        and _digits(phone)[-7:] in _digits(evidence))
        ok = ok or bool(postal and len(postal) >= 4
                        and postal.replace(" ", "").casefold() in low.replace(" ", ""))
        self.verified = self.verified or ok
        self._log("verify", "verified" if ok else "not verified")
        return ok

    def is_own_contact(self, token: str) -> bool:
        """Whether ``token`` is the customer's own phone number or postcode (not an order)."""
        if self.customer_id is None:
            return False
        row = self.wh.query("SELECT phone, postal_code FROM customers WHERE customer_id = ?",
                            [self.customer_id])
        if not row:
            return False
        phone, postal = row[0]
        digits = _digits(token)
        return bool((phone and len(digits) >= 7 and _digits(phone).endswith(digits))
                    or (postal and token.replace(" ", "") == str(postal).replace(" ", "")))

    def _require_verified(self) -> None:
        if not self.verified:
            raise NotVerified("the customer has not been verified")

    def _has_shipments(self) -> bool:
        """Whether the warehouse has the ``shipments`` table (a warehouse opened read-only
        before its migration to schema 11 does not)."""
        if self._shipments_table is None:
            self._shipments_table = self.wh.has_table("shipments")
        return self._shipments_table

    def _shipments(self, order_ids: list[str]) -> dict[str, tuple[ShipmentInfo, ...]]:
        """The parcels of these orders (callers pass only the customer's own orders)."""
        if not order_ids or not self._has_shipments():
            return {}
        out: dict[str, list[ShipmentInfo]] = {}
        for oid, *rest in self.wh.query(
                """SELECT order_id, parcel, carrier, tracking_number, tracking_url, status,
                          shipped_at, delivered_at, estimated_delivery_at
                   FROM shipments WHERE order_id IN (SELECT unnest(?))
                   ORDER BY order_id, parcel""", [order_ids]):
            parcel, carrier, number, url, status, shipped, delivered, eta = rest
            out.setdefault(str(oid), []).append(ShipmentInfo(
                int(parcel), carrier, number, url, status, shipped, delivered, eta))
        return {k: tuple(v) for k, v in out.items()}

    def _orders(self, where: str, params: list[Any], limit: int) -> list[OrderInfo]:
        rows = self.wh.query(
            f"""SELECT order_id, coalesce(status, 'unknown'), ordered_at, shipped_at, delivered_at,
                       total_amount, currency, promised_at
                FROM orders WHERE customer_id = ? {where}
                ORDER BY ordered_at DESC LIMIT {int(limit)}""", [self.customer_id, *params])
        parcels = self._shipments([str(r[0]) for r in rows])
        out = []
        for oid, status, ordered, shipped, delivered, total, currency, promised in rows:
            lines = self.wh.query(
                "SELECT l.product_id, coalesce(l.title, p.title, l.product_id), l.quantity, "
                "l.unit_price FROM order_lines l LEFT JOIN products p USING (product_id) "
                "WHERE l.order_id = ? ORDER BY l.line_number", [oid])
            if total is None:
                total = sum(float(q) * float(p) for _, _, q, p in lines) if lines else None
            out.append(OrderInfo(str(oid), status, ordered, shipped, delivered,
                                 float(total) if total is not None else None, currency,
                                 tuple(OrderLine(str(a), str(b), int(c), float(d))
                                       for a, b, c, d in lines),
                                 promised, parcels.get(str(oid), ())))
        return out

    def recent_orders(self, limit: int = 3) -> list[OrderInfo]:
        """The customer's latest orders (verified customers only)."""
        self._require_verified()
        orders = self._orders("", [], limit)
        self._log("recent_orders", f"{len(orders)} orders", limit=limit)
        return orders

    def find_order(self, order_id: str) -> OrderInfo | None:
        """The customer's own order ``order_id``; None for anyone else's or a missing one."""
        self._require_verified()
        found = (self._orders("AND order_id = ?", [order_id], 1)
                 or self._orders(f"AND {_KEY_SQL} = ?", [order_key(order_id)], 1))
        self._log("find_order", "found" if found else "not on this account", order_id=order_id)
        return found[0] if found else None

    def track_order(self, order_id: str) -> OrderInfo | None:
        """The customer's own order ``order_id`` with its parcels (carrier, tracking number,
        shipped, delivered, ETA); None for anyone else's or a missing one, exactly as
        :meth:`find_order`, so nothing of another customer's shipment can come back."""
        order = self.find_order(order_id)
        if order is not None:
            self._log("track_order", f"{len(order.shipments)} parcels", order_id=order.order_id)
        return order

    def search_products(self, query: str, k: int = 3) -> list[ProductInfo]:
        """Catalogue products matching ``query`` (hybrid retrieval), with price and stock."""
        if self.kb is None:
            return []
        hits = self.kb.search(query, k=k, kinds=["product"])
        lexical = {h.chunk.product_id: h.bm25_rank is not None for h in hits
                   if h.chunk.product_id}
        rows = {str(r[0]): r for r in self.wh.query(
            """SELECT p.product_id, coalesce(p.title, p.product_id), p.price, p.currency,
                      (SELECT sum(on_hand) FROM inventory_snapshots s
                       WHERE s.product_id = p.product_id AND s.snapshot_at =
                         (SELECT max(snapshot_at) FROM inventory_snapshots t
                          WHERE t.product_id = p.product_id))
               FROM products p WHERE p.product_id IN (SELECT unnest(?))""", [list(lexical)])}
        out = [ProductInfo(str(a), str(b), float(c) if c is not None else None, d,
                           int(e) if e is not None else None, lexical[pid])
               for pid in lexical if pid in rows for a, b, c, d, e in [rows[pid]]]
        self._log("search_products", f"{len(out)} products", query=query)
        return out

    def draft_return(self, *, conversation_id: str, order: OrderInfo, product_id: str | None,
                     reason: str, decision: str, policy_docs: list[str]) -> str:
        """A return request as a draft for staff to approve; returns its id."""
        self._require_verified()
        request_id = "RR-" + uuid.uuid4().hex[:10]
        frame = pd.DataFrame([{
            "request_id": request_id, "conversation_id": conversation_id,
            "customer_id": self.customer_id, "order_id": order.order_id,
            "product_id": product_id, "reason": reason, "decision": decision,
            "policy_docs": json.dumps(policy_docs), "status": "draft",
            "created_at": pd.Timestamp.now(tz="UTC"), "decided_by": None, "decided_at": None}])
        with self.wh.transaction():
            self.wh.insert_df("return_requests", frame)
        self._log("draft_return", request_id, order_id=order.order_id, product_id=product_id)
        return request_id

    def calls_as_json(self) -> list[dict[str, Any]]:
        return [asdict(c) for c in self.calls]


def return_requests(wh: Warehouse, status: str | None = None) -> pd.DataFrame:
    """Return requests, newest first, optionally only those in ``status``."""
    where, params = ("WHERE status = ?", [status]) if status else ("", [])
    return wh.query_df(f"SELECT * FROM return_requests {where} ORDER BY created_at DESC", params)


def decide_return_request(wh: Warehouse, request_id: str, status: str, by: str) -> None:
    """Staff approve or reject a drafted return request."""
    if status not in ("approved", "rejected"):
        raise ServiceError(f"status must be approved or rejected, not {status!r}")
    if not by.strip():
        raise ServiceError("say who decides (--by NAME)")
    row = wh.query("SELECT status FROM return_requests WHERE request_id = ?", [request_id])
    if not row:
        raise ServiceError(f"no return request {request_id!r}")
    if row[0][0] != "draft":
        raise ServiceError(f"return request {request_id} is already {row[0][0]}")
    with wh.transaction() as con:
        con.execute("UPDATE return_requests SET status = ?, decided_by = ?, "
                    "decided_at = current_timestamp WHERE request_id = ?",
                    [status, by, request_id])
