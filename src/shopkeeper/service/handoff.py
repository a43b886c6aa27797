"""When a conversation goes to a person, and what that person gets.

Triggers: a legal threat, anger, an explicit request for a person, repeated failure to help,
low confidence, and anything the policy rules cannot decide. The person gets a summary and the
facts gathered (order, product, policy decision), so the customer never repeats themselves.
"""

from __future__ import annotations

import re

LEGAL = re.compile(
    r"\b(?:sue|suing|lawsuit|legal action|small claims|trading standards|consumer protection|"
    r"ombudsman|chargeback|report you to|see you in court|take you to court|"
    r"(?:my|get a|contact a|call my|hear from my|through my) (?:lawyer|solicitor|attorney))\b|"
    r"起诉|诉讼|12315|消协|消费者协会|工商局|市场监管局|找律师|请律师|律师函|法院见|去法院|报警|"
    r"曝光你们|投诉到|找好律师|找了律师|联系律师", re.I)
ANGER = re.compile(
    r"\b(?:furious|livid|outraged|disgusting|scam(?:mers?)?|fraudsters?|rip[- ]?off|liars?|"
    r"worst (?:shop|store|service|company)|never (?:again|buying)|fed up|sick of|"
    r"(?:a|total|complete) (?:joke|fraud))\b|"
    r"气死|骗子|垃圾店|坑人|恶心|滚蛋|你滚|太过分|忍无可忍|什么破|黑店|无良", re.I)
PERSON = re.compile(
    r"\b(?:someone real|real (?:person|human)|not a (?:bot|robot)|don'?t want (?:a|to talk to a) "
    r"(?:bot|robot|machine)|(?:through|transfer me) to (?:an? |the )?(?:agent|person|human)|"
    r"(?:speak|talk) to (?:your|a|the) (?:manager|supervisor)|a person i can (?:talk|speak) to|"
    r"member of staff)\b|机器人|叫你们经理|找你们经理|叫经理|经理来|真人|让人工|人工来|人工处理", re.I)
# shouting counts as anger only with words of waiting or failure, so "I'm buying TWO!!!" does not
SHOUTING = re.compile(r"(?:[!！]{3,}|\b[A-Z]{3,}(?:\s+[A-Z]{2,}){3,}\b)")
WAITING = re.compile(r"\b(?:where|still|waiting|never|why|not|no)\b|还没|没有|不|怎么还|为什么",
                     re.I)


def message_handoff_reason(text: str, intent: str) -> str | None:
    """The reason this message alone must go to a person, or None."""
    if LEGAL.search(text):
        return "legal threat"
    if ANGER.search(text) or (SHOUTING.search(text) and WAITING.search(text)):
        return "anger"
    if intent == "handoff_request" or PERSON.search(text):
        return "customer asked for a person"
    return None


def summarize(lang: str, turns: list[tuple[str, str]], facts: dict[str, object],
              reason: str) -> str:
    """A short summary for the person taking over: why, what is known, the last messages."""
    known = "; ".join(f"{k}: {v}" for k, v in facts.items() if v not in (None, "", [], {}))
    last = " | ".join(f"{role}: {text[:120]}" for role, text in turns[-4:])
    return (f"Handoff ({reason}). Language: {lang}. Known: {known or 'nothing yet'}. "
            f"Last messages: {last}")
