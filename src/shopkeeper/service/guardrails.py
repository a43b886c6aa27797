"""Guardrails: prompt-injection detection, the PII output filter, and log redaction.

- :func:`shopkeeper.llm.untrusted.detect_injection` reads a customer message, or a retrieved
  document, for instructions aimed at the assistant. Retrieved text that trips it is dropped
  from the context; it is data, never instructions.
- :class:`PiiGuard` is the last step before a reply leaves: any email, phone number, name,
  address, customer id or order id that is not the authenticated customer's own is replaced,
  whatever the steps before it did.
- :func:`redact_pii` masks contact details and card numbers before a message is stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from shopkeeper.store.warehouse import Warehouse

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?<!\d)(?:\+?\d{1,3}[ \t-]?)?(?:\(\d{2,4}\)[ \t-]?)?\d{3,4}[ \t-]?\d{3,4}"
                   r"(?:[ \t-]?\d{2,4})?(?!\d)")
_CN_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){13,19}(?!\d)")
_CN_ID = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{3,}")


def redact_pii(text: str) -> str:
    """``text`` with emails, phone numbers, card numbers and ID numbers masked, for storage."""
    text = EMAIL.sub("[email]", text)
    text = _CN_ID.sub("[id-number]", text)
    text = _CARD.sub(lambda m: "[card]" if len(re.sub(r"\D", "", m.group(0))) >= 13
                     else m.group(0), text)
    return PHONE.sub(lambda m: "[phone]" if _looks_like_phone(m.group(0)) else m.group(0), text)


def _looks_like_phone(s: str) -> bool:
    digits = re.sub(r"\D", "", s)
    return len(digits) >= 10 or (len(digits) >= 8 and bool(re.search(r"[\s()+-]", s.strip())))


@dataclass
class PiiGuard:
    """Everything personal in the warehouse that is *not* the authenticated customer's, so a
    reply can be cleaned of it. Build it with :meth:`for_customer`."""

    customer_id: str | None
    own: set[str] = field(default_factory=set)
    customer_ids: set[str] = field(default_factory=set)
    order_ids: set[str] = field(default_factory=set)
    phrases: list[str] = field(default_factory=list)  # names, addresses of other customers
    phones: set[str] = field(default_factory=set)  # last 7 digits of other customers' phones
    own_phones: set[str] = field(default_factory=set)

    @classmethod
    def for_customer(cls, wh: Warehouse, customer_id: str | None) -> PiiGuard:
        own: set[str] = set()
        customer_ids, order_ids, phrases, phones, own_phones = set(), set(), set(), set(), set()
        rows = wh.query("SELECT customer_id, name, email, phone, city, postal_code FROM customers")
        for cid, name, email, phone, _city, postal in rows:
            values = {str(v).strip() for v in (cid, name, email, phone, postal) if v}
            tail = re.sub(r"\D", "", str(phone or ""))[-7:]
            if customer_id is not None and str(cid) == str(customer_id):
                own |= values
                own_phones |= {tail} if len(tail) == 7 else set()
                continue
            phones |= {tail} if len(tail) == 7 else set()
            customer_ids.add(str(cid))
            phrases |= {str(v).strip().casefold() for v in (name, email, phone, postal)
                        if v and (len(str(v).strip()) >= 4
                                  or (len(str(v).strip()) >= 2 and _CJK.search(str(v))))}
        for oid, cid in wh.query("SELECT order_id, customer_id FROM orders"):
            if customer_id is not None and str(cid) == str(customer_id):
                own.add(str(oid))
            else:
                order_ids.add(str(oid))
        products = {str(r[0]) for r in wh.query("SELECT product_id FROM products")}
        return cls(customer_id, own, customer_ids - own - products, order_ids - own - products,
                   sorted(phrases, key=len, reverse=True), phones, own_phones)

    def _foreign_phone(self, s: str) -> bool:
        """Another customer's phone, or anything clearly written as a phone number (+44 …,
        (977) …, a Chinese mobile) that is not the customer's own. Bare digit runs such as part
        numbers are left alone unless they match a known phone."""
        digits = re.sub(r"\D", "", s)
        if len(digits) < 7 or s.strip() in self.own or digits[-7:] in self.own_phones:
            return False
        if digits[-7:] in self.phones:
            return True
        return bool(s.lstrip().startswith(("+", "(")) or _CN_MOBILE.match(digits))

    def filter(self, text: str) -> tuple[str, list[str]]:
        """``text`` with other people's data replaced; also the kinds that were removed."""
        removed: list[str] = []

        def mask(kind: str) -> str:
            removed.append(kind)
            return f"[{kind} removed]"

        text = EMAIL.sub(lambda m: m.group(0) if m.group(0) in self.own else mask("email"), text)
        text = PHONE.sub(lambda m: mask("phone") if self._foreign_phone(m.group(0))
                         else m.group(0), text)
        folded = text.casefold()
        for phrase in self.phrases:
            if phrase in folded:
                # a number (a postcode) only as a whole number: not the digits inside a
                # tracking number, a total or a date
                pattern = (rf"(?<![0-9A-Za-z]){re.escape(phrase)}(?![0-9A-Za-z])"
                           if phrase.isdigit() else re.escape(phrase))
                text = re.sub(pattern, lambda _m: mask("personal data"), text, flags=re.I)
                folded = text.casefold()

        def token(m: re.Match[str]) -> str:
            value = m.group(0)
            if value in self.own:
                return value
            if value in self.order_ids:
                return mask("order id")
            if value in self.customer_ids:
                return mask("customer id")
            return value

        return _TOKEN.sub(token, text), removed
