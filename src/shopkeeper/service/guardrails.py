"""Guardrails: prompt-injection detection, the PII output filter, and log redaction.

- :func:`detect_injection` reads a customer message, or a retrieved document, for instructions
  aimed at the assistant: "ignore previous instructions", role-play, system-prompt extraction,
  admin claims, chat-template markers, and any of these hidden in base64. Retrieved text that
  trips it is dropped from the context; it is data, never instructions.
- :class:`PiiGuard` is the last step before a reply leaves: any email, phone number, name,
  address, customer id or order id that is not the authenticated customer's own is replaced,
  whatever the steps before it did.
- :func:`redact_pii` masks contact details and card numbers before a message is stored.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field

from shopkeeper.store.warehouse import Warehouse

_INJECTION_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("override", re.compile(
        r"\b(?:ignore|disregard|forget|override|bypass|skip)\b[^.\n]{0,40}\b(?:instructions?|"
        r"rules?|prompts?|guidelines?|polic(?:y|ies)|restrictions?|guardrails?|filters?)\b", re.I)),
    ("override", re.compile(r"(?:忽略|无视|忘记|忘掉|跳过|绕过|不要管)[^。\n]{0,12}(?:指令|指示|规则|"
                            r"提示|设定|限制|政策|要求|约束)")),
    ("role_play", re.compile(
        r"\b(?:you are now|from now on,? you|act as|pretend (?:to be|you are)|role[- ]?play|"
        r"developer mode|jailbreak|\bDAN\b|do anything now|simulate being|let'?s play a game|"
        r"imagine (?:that )?you|you are (?:a|an) (?:\w+ ){0,3}(?:database|terminal|shell|ai|"
        r"bot|model|assistant without)|you (?:now )?(?:have|with|without) (?:no|any) (?:rules|restrictions|"
        r"limits|filters|guardrails))\b", re.I)),
    ("role_play", re.compile(r"(?:你现在是|你现在扮演|从现在起你|扮演|假装你?是|角色扮演|开发者模式|越狱|"
                             r"进入.{0,4}模式)")),
    ("prompt_extraction", re.compile(
        r"\b(?:system prompt|initial prompt|hidden prompt|"
        r"(?:show|print|reveal|repeat|tell me|what are|give me|share|output|display|leak|dump)"
        r"\s+(?:me\s+)?(?:all\s+)?(?:your|the)\s+(?:instructions|prompt|rules|configuration)|"
        r"repeat (?:the|everything|all)[^.\n]{0,20}(?:above|before))\b", re.I)),
    ("prompt_extraction", re.compile(r"(?:系统提示|提示词|你的指令|你的设定|初始指令|内部指令|"
                                     r"把上面的(?:内容|话)|重复.{0,6}(?:指令|提示))")),
    ("authority_claim", re.compile(
        r"\b(?:i am|i'm|im|this is|as|speaking as) (?:an? |the |your )?(?:[\w-]+ ){0,2}?"
        r"(?:admin|administrator|developer|sysadmin|root|staff|employee|owner|manager|"
        r"supervisor|police|officer|moderator)\b|"
        r"\b(?:admin|sudo|root) (?:mode|access|override)\b", re.I)),
    ("authority_claim", re.compile(r"(?:我是|作为)(?:你们的|本店的|店铺的)?(?:管理员|系统管理员|开发者|"
                                   r"开发人员|店长|老板|客服主管|主管|经理|警察|工作人员)")),
    ("template_marker", re.compile(r"<\|im_start\|>|<\|system\|>|\[INST\]|<<SYS>>|^\s*#{2,}\s*"
                                   r"system\b|</?system>", re.I | re.M)),
    ("tool_abuse", re.compile(
        r"\b(?:call|run|execute|invoke) (?:the )?(?:tool|function|sql|query|command)\b|"
        r"\bselect\s+\*?\s*.{0,30}\bfrom\b|\bdrop table\b", re.I)),
]
_BASE64 = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{16,}={0,2}(?![A-Za-z0-9+/=])")

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?<!\d)(?:\+?\d{1,3}[ \t-]?)?(?:\(\d{2,4}\)[ \t-]?)?\d{3,4}[ \t-]?\d{3,4}"
                   r"(?:[ \t-]?\d{2,4})?(?!\d)")
_CN_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){13,19}(?!\d)")
_CN_ID = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{3,}")


@dataclass(frozen=True)
class InjectionFinding:
    kind: str
    text: str
    encoded: bool = False


def detect_injection(text: str) -> list[InjectionFinding]:
    """Instructions aimed at the assistant in ``text``, including base64-encoded ones."""
    findings = [InjectionFinding(kind, m.group(0)) for kind, pattern in _INJECTION_PATTERNS
                for m in [pattern.search(text)] if m]
    for blob in _BASE64.findall(text):
        decoded = _decode(blob)
        if decoded is None:
            continue
        inner = detect_injection(decoded)
        if inner or re.search(r"[a-z]{3,}\s+[a-z]{3,}|[\u4e00-\u9fff]{3,}", decoded, re.I):
            kind = inner[0].kind if inner else "encoded_text"
            findings.append(InjectionFinding(kind, decoded[:80], encoded=True))
    return findings


def _decode(blob: str) -> str | None:
    try:
        raw = base64.b64decode(blob + "=" * (-len(blob) % 4), validate=True)
        text = raw.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    printable = sum(ch.isprintable() or ch.isspace() for ch in text)
    return text if text and printable / len(text) > 0.95 else None


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
