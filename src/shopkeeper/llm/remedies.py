"""Remedies a text offers (refund, replacement, exchange, return, voucher, reship), in zh and en.

Reply drafts and customer-service answers may offer only what the store's policy allows; this is
how a text is read for the remedies it promises, so both can be checked the same way.
"""

from __future__ import annotations

import re

# remedy -> words that name it (English, Chinese)
REMEDY_TERMS = {
    "refund": ("refund", "money back", "cashback", "cash back", "退款", "退钱"),
    "replacement": ("replacement", "replace", "new one", "补发", "换新", "重发"),
    "exchange": ("exchange", "换货", "调换"),
    "return": ("return", "send it back", "退货", "退回"),
    "voucher": ("voucher", "coupon", "discount code", "promo code", "store credit", "gift card",
                "优惠券", "代金券", "折扣码", "红包", "返现"),
    "compensation": ("compensation", "compensate", "赔偿", "补偿", "免单"),
    "reship": ("reship", "resend", "send again", "再发"),
}
# words that negate an offer; a bare 不 or 非 would not do (不合适 "does not fit", 非常 "very")
NEGATION = re.compile(r"\b(?:not|no|cannot|can't|don't|do not|never|won't)\b|不支持|不予|不能|不可|"
                      r"不提供|不接受|不退|不换|不包|不会|不给|无法|没有", re.I)
SENTENCE = re.compile(r"[^.!?。！？]+[.!?。！？]?")


def remedies_in(text: str) -> set[str]:
    """The remedies a text offers (a remedy mentioned in a negated sentence is not offered)."""
    found = set()
    for sentence in SENTENCE.findall(text):
        if NEGATION.search(sentence):
            continue
        low = sentence.lower()
        found |= {r for r, words in REMEDY_TERMS.items() if any(w in low for w in words)}
    return found
