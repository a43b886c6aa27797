"""The customer-service agent: understanding, deterministic flows, guardrails, handoff.

Each turn runs the same pipeline:

1. the message is read for injection (guardrails), for handoff triggers, and for its intent and
   slots (rules → classifier → the model when unsure);
2. a flow written in code answers it: product questions, order status, returns and refunds,
   exchanges, damaged items, shipping fees, delivery times, complaints, chit-chat, handoff.
   Flows call tools scoped to the customer and the policy rules; they, not a model, decide;
3. with a model configured, the model rewords the flow's draft; the rewording is kept only if it
   passes the grounding check, adds no remedy and names nobody else;
4. whatever came before, the reply is cleaned of other customers' data, and a remedy the policy
   does not allow is never offered;
5. the turn is logged (PII-redacted) with its citations, tool calls and flags.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from shopkeeper.errors import LLMError
from shopkeeper.llm import LLM, render_prompt
from shopkeeper.llm.grounding import Facts, check_grounding, load_lexicon
from shopkeeper.llm.language import detect_language
from shopkeeper.llm.remedies import remedies_in
from shopkeeper.llm.untrusted import detect_injection, markup_in
from shopkeeper.service.asks import (
    CORRECTION,
    KEPT_ITEM,
    RETURN_WORDS,
    WHOLE_ORDER,
    about_others,
    asks_change,
    asks_contact,
    asks_remedy,
    harmless_encoded,
)
from shopkeeper.service.guardrails import EMAIL, PiiGuard, redact_pii
from shopkeeper.service.handoff import message_handoff_reason, summarize
from shopkeeper.service.knowledge import Hit, KnowledgeBase
from shopkeeper.service.policy import (
    Decision,
    PolicyRules,
    decide_return,
    item_condition,
    item_kinds,
    load_policy_rules,
)
from shopkeeper.service.tools import CustomerTools, OrderInfo, ServiceError
from shopkeeper.service.understand import (
    IntentSpec,
    Understanding,
    load_intents,
    order_refs,
    understand,
)
from shopkeeper.store.warehouse import Warehouse

MAX_FAILURES = 2
_GENERAL_QUESTION = re.compile(
    r"\b(?:policy|policies|how many days|how long do i have|can i (?:return|exchange)|"
    r"can (?:personali[sz]ed|custom) |do you (?:accept|allow|offer)|is it possible to)\b|"
    r"政策|规定|几天内|多少天|可以退吗|能退吗|可以换吗|能换吗|可以换货吗|可以退货吗|支持退|怎么退|规则", re.I)
EMAIL_OR_ID = re.compile(EMAIL.pattern + r"|\d+")
# a sentence on how soon orders leave (the dispatch policy), by language
_DISPATCH = {
    "en": re.compile(r"\b(?:ship(?:s|ped)?|dispatch(?:es|ed)?|sent out)\b.{0,40}\b(?:within|in)\b|"
                     r"\bdispatch", re.I),
    "zh": re.compile(r"发货|发出"),
}
# the customer's own parcel or order, in words: "when will my order arrive", "我的快递几天到"
_OWN_PARCEL = re.compile(r"\bmy\s+(?:order|parcel|package|delivery|item|stuff)s?\b|"
                         r"我的(?:订单|快递|包裹|货|东西)|我买的|我下的单", re.I)
# the order being discussed, referred to ("when will it arrive?"), or delivery in general
_THIS_ORDER = re.compile(r"\b(?:it|its|they|them|(?:this|that|the) (?:order|parcel|package))\b|"
                         r"它|这个订单|这单|这个快递|这个包裹", re.I)
_IN_GENERAL = re.compile(r"一般|通常|平时|正常|普通")
# flows whose text is ours alone and fixed: no model rewording; with "clarify", no remedy reading
_FIXED_FLOWS = ("refusal", "handoff", "greeting", "no_info")
_ITEM_WORD = {"en": "item", "zh": "这件商品"}
# a policy's condition requirement, and what the customer said the item is
_CONDITION_WORDS = {
    "en": {"sealed": "sealed and unopened", "unused": "unused", "opened": "opened",
           "used": "used"},
    "zh": {"sealed": "未拆封", "unused": "未使用", "opened": "拆封", "used": "使用过"},
}
_RETURN_RULES = ("return_window", "damage_window", "exchange_window", "not_returnable",
                 "refund_method")
_MONEY = re.compile(r"([£$€¥￥])\s?(\d+(?:\.\d+)?)|(\d+(?:\.\d+)?)\s*(英镑|美元|欧元|元|块|pounds?|dollars?|euros?)",
                    re.I)
_CURRENCY = {"£": "GBP", "$": "USD", "€": "EUR", "¥": "CNY", "￥": "CNY", "英镑": "GBP",
             "美元": "USD", "欧元": "EUR", "元": "CNY", "块": "CNY", "pound": "GBP",
             "pounds": "GBP", "dollar": "USD", "dollars": "USD", "euro": "EUR", "euros": "EUR"}
_STATUS = {
    "en": {"pending": "waiting for payment", "paid": "paid and being prepared",
           "shipped": "shipped", "completed": "completed", "cancelled": "cancelled",
           "refunded": "refunded", "partially_refunded": "partly refunded",
           "unknown": "being processed"},
    "zh": {"pending": "待付款", "paid": "已付款，正在备货", "shipped": "已发货", "completed": "已完成",
           "cancelled": "已取消", "refunded": "已退款", "partially_refunded": "部分退款",
           "unknown": "处理中"},
}
T = {
    "en": {
        "hello": "Hello! I can help with your orders, returns, delivery and our products. "
                 "What can I do for you?",
        "thanks": "You're welcome! Is there anything else I can help with?",
        "verify": "To protect your account, please tell me one of your order numbers, or the "
                  "email or phone number on your account.",
        "not_verified": "Sorry, I couldn't match that to your account. Please give me an order "
                        "number from your account, or the email or phone number you registered.",
        "verified": "Thank you, you're verified.",
        "no_customer": "I can only look up orders for a signed-in customer. Please sign in, or I "
                       "can pass you to a colleague.",
        "not_yours": "I can't find that order on your account. I can only discuss orders on "
                     "your own account.",
        "no_orders": "I can't find any orders on your account.",
        "order": "Order {order_id} from {ordered} is {status}{extra}.",
        "shipped_on": ", shipped on {date}",
        "delivered_on": ", delivered on {date}",
        "not_shipped": "Order {order_id} from {ordered} is {status}: it has not shipped yet.",
        "dispatch_policy": " Our policy says: “{quote}”",
        "tracked": "Order {order_id} from {ordered}: {parcels}",
        "parcel_of": "parcel {n} of {total}: ",
        "parcel_shipped": "shipped on {date}",
        "parcel_shipped_nodate": "shipped",
        "parcel_carrier": " with {carrier}",
        "parcel_tracking": ", tracking number {number}",
        "parcel_delivered": "; delivered on {date}",
        "parcel_delivered_nodate": "; delivered",
        "parcel_delivered_late": " ({days} days after the estimated {eta})",
        "parcel_eta": "; on its way, estimated delivery {eta}",
        "parcel_out": "; out for delivery, estimated delivery {eta}",
        "parcel_out_noeta": "; out for delivery",
        "parcel_transit": "; on its way",
        "parcel_late": "; it is late: the estimated delivery was {eta}, and the carrier has not "
                       "delivered it yet",
        "parcel_lost": "; the carrier has had no news of it for a while (estimated delivery "
                       "{eta}), so a colleague should look into it with the carrier",
        "parcel_exception": "; the carrier reports a problem delivering it",
        "parcel_delayed": "; on its way, and the carrier reports a delay",
        "parcel_back": "; it is on its way back to us",
        "parcel_link": " (track it at {url})",
        "which_order": "Which order is it about? Your latest orders: {orders}.",
        "which_item": "Which item of order {order_id} is it about? {items}",
        "return_ok": "Good news: order {order_id} can be returned. Our policy says: “{quote}” "
                     "I have drafted return request {request_id}; a colleague will confirm it "
                     "and send you the details.",
        "exchange_ok": "Order {order_id} can be exchanged. Our policy says: “{quote}” I have "
                       "drafted request {request_id}; a colleague will confirm the exchange.",
        "damage_ok": "I'm sorry it arrived damaged. Our policy says: “{quote}” Please send a "
                     "photo of the damage. I have drafted request {request_id} for order "
                     "{order_id}; a colleague will confirm it.",
        "window_passed": "I'm sorry: order {order_id} was received {days} days ago, and "
                         "returns are accepted for {window} days, so that time ended {late} "
                         "days ago. Our policy says: “{quote}” So I can't start a return "
                         "myself, but I can pass you to a colleague.",
        "last_day": " Today is the last day of the {window}-day window.",
        "not_delivered": "Order {order_id} hasn't been delivered yet, so there is nothing to "
                         "return. If you'd rather not receive it, say so and I'll pass it to a "
                         "colleague who can try to stop or cancel it; once it arrives you can "
                         "also return it within our return window.",
        "ask_condition": "Before I start the return: is the {item} still {state}? Our policy "
                         "says: “{quote}”",
        "condition_not_met": "I'm sorry: our policy says: “{quote}” As the {item} has been "
                             "{state}, it can't be returned. If it is faulty or arrived damaged, "
                             "tell me and I'll help with that instead.",
        "return_part": "Of order {order_id}, I can start a return for {items}. Our policy says: "
                       "“{quote}” I have drafted return request {request_id}; a colleague will "
                       "confirm it.",
        "line_refused": " {item} can't be returned: “{quote}”",
        "not_returnable": "I'm sorry: our policy says: “{quote}” So this item can't be returned. "
                          "I can pass you to a colleague if you'd like.",
        "undecided": "I can't settle this one from our policy myself, so I am passing you to a "
                     "colleague who can.",
        "policy_only": "Our policy says: “{quote}”",
        "policy_general": "Our policy says: “{quote}” To start a return, tell me your order "
                          "number.",
        "free_shipping_yes": "An order of {amount} qualifies. Our policy says: “{quote}”",
        "free_shipping_no": "An order of {amount} does not qualify for free delivery. Our policy "
                            "says: “{quote}”",
        "faq": "{quote}",
        "products": "Here is what I found: {items}.",
        "product_item": "{title} ({price}{stock})",
        "in_stock": ", in stock",
        "out_of_stock": ", out of stock",
        "no_products": "Sorry, I couldn't find a matching product. Could you describe it "
                       "differently?",
        "complaint": "I'm sorry about this. Could you tell me the order number and what went "
                     "wrong? I'll do my best to help, or pass you to a colleague.",
        "write_action": "I'm not able to {action} myself. I've passed your request to a "
                        "colleague who can.",
        "no_voucher": "I'm sorry, I can't offer that. Our policy says: “{quote}” If an item "
                      "arrived damaged or faulty, tell me the order number and I'll help under "
                      "our policy; or I can pass you to a colleague.",
        "no_offer": "I'm sorry, I can't offer discounts, coupons or compensation. I can pass "
                    "you to a colleague if you'd like.",
        "no_info": "I'm sorry, I don't have information about {topic} yet. I can pass you to a "
                   "colleague who can answer this, if you'd like.",
        "topics": {"shipping_fee": "delivery costs", "delivery_time": "delivery times",
                   "returns": "our return policy", "other": "that"},
        "others_data": "I can't share anything about other customers: what they bought, their "
                       "orders or their contact details. I'm happy to help with your own orders, "
                       "returns and deliveries. What do you need?",
        "refuse": "Sorry, I can't help with that. I can only help with your own orders, "
                  "returns, delivery and our products, and I never share internal instructions "
                  "or other customers' information. Would you like me to pass you to a colleague?",
        "clarify": "Sorry, I'm not sure I understood. Is it about an order, a return, delivery "
                   "or a product?",
        "handoff": "I'm passing you to a colleague now ({reason}); they will see this "
                   "conversation, so you won't need to repeat yourself.",
        "reasons": {"legal threat": "you mentioned legal steps",
                    "threat of violence": "a colleague must deal with this",
                    "injury reported": "your safety comes first, and a colleague will look "
                                       "into what happened",
                    "media threat": "I want a colleague to put this right",
                    "anger": "I can see you're upset",
                    "customer asked for a person": "as you asked",
                    "repeated failure": "I haven't been able to help",
                    "policy undecided": "a person needs to decide this",
                    "write action": "they can make that change",
                    "cannot verify": "I couldn't verify your account",
                    "repeated manipulation": "I can't help with these requests"},
    },
    "zh": {
        "hello": "您好！我可以帮您查询订单、办理退换货、解答配送和商品问题。请问有什么可以帮您？",
        "thanks": "不客气！还有其他可以帮您的吗？",
        "verify": "为了保护您的账户安全，请提供您账户中的一个订单号，或注册时使用的邮箱或手机号。",
        "not_verified": "抱歉，无法与您的账户匹配。请提供您账户中的订单号，或注册时使用的邮箱或手机号。",
        "verified": "谢谢，身份已验证。",
        "no_customer": "只有登录的顾客才能查询订单。请先登录，或者我为您转接人工客服。",
        "not_yours": "您的账户下没有找到这个订单。我只能处理您本人账户下的订单。",
        "no_orders": "您的账户下没有找到订单。",
        "order": "订单{order_id}（{ordered}下单）{status}{extra}。",
        "shipped_on": "，{date}发货",
        "delivered_on": "，{date}签收",
        "not_shipped": "订单{order_id}（{ordered}下单）{status}，还没有发货。",
        "dispatch_policy": "我们的政策：“{quote}”",
        "tracked": "订单{order_id}（{ordered}下单）：{parcels}",
        "parcel_of": "第{n}个包裹（共{total}个）",
        "parcel_shipped": "{date}",
        "parcel_shipped_nodate": "",
        "parcel_carrier": "由{carrier}",
        "parcel_tracking": "，快递单号{number}",
        "parcel_delivered": "，已于{date}签收",
        "parcel_delivered_nodate": "，已签收",
        "parcel_delivered_late": "（比预计送达时间{eta}晚了{days}天）",
        "parcel_eta": "，正在运输中，预计{eta}送达",
        "parcel_out": "，正在派送中，预计{eta}送达",
        "parcel_out_noeta": "，正在派送中",
        "parcel_transit": "，正在运输中",
        "parcel_late": "，已超过预计送达时间{eta}，快递尚未送达",
        "parcel_lost": "，快递公司已多日没有更新物流信息（预计送达时间{eta}），需要同事向快递公司核实",
        "parcel_exception": "，快递公司反馈派送出现异常",
        "parcel_delayed": "，正在运输中，快递公司反馈有延误",
        "parcel_back": "，包裹正在寄回我们的仓库",
        "parcel_link": "（物流查询：{url}）",
        "which_order": "请问是哪个订单？您最近的订单：{orders}。",
        "which_item": "请问是订单{order_id}中的哪件商品？{items}",
        "return_ok": "好消息：订单{order_id}可以退货。我们的政策：“{quote}”我已为您创建退货申请草稿"
                     "{request_id}，同事确认后会把详细信息发给您。",
        "exchange_ok": "订单{order_id}可以换货。我们的政策：“{quote}”我已创建申请草稿{request_id}，"
                       "同事会为您确认换货。",
        "damage_ok": "很抱歉商品到货有问题。我们的政策：“{quote}”请拍照发给我们。我已为订单{order_id}"
                     "创建申请草稿{request_id}，同事会为您确认。",
        "window_passed": "很抱歉：订单{order_id}已签收{days}天，退货期限是{window}天，已经超过{late}天。"
                         "我们的政策：“{quote}”所以我无法为您发起退货，可以为您转接人工客服。",
        "last_day": "今天是{window}天退货期限的最后一天。",
        "not_delivered": "订单{order_id}还没有签收，暂时不需要退货。如果不想要了，告诉我，我转给同事看能否拦截或取消；"
                         "签收后您也可以在退货期限内申请退货。",
        "ask_condition": "办理退货前想确认一下：{item}是否还{state}？我们的政策：“{quote}”",
        "condition_not_met": "很抱歉，我们的政策：“{quote}”{item}已经{state}，所以不能退货。如果商品有质量"
                             "问题或到货破损，请告诉我，我来帮您处理。",
        "return_part": "订单{order_id}中，{items}可以退货。我们的政策：“{quote}”我已为您创建退货申请草稿"
                       "{request_id}，同事会为您确认。",
        "line_refused": "{item}不能退货：“{quote}”",
        "not_returnable": "很抱歉，我们的政策：“{quote}”所以这件商品不能退货。需要的话我可以为您转接人工客服。",
        "undecided": "这个问题我无法根据政策直接判断，现在为您转接人工客服。",
        "policy_only": "我们的政策：“{quote}”",
        "policy_general": "我们的政策：“{quote}”如需办理退换货，请告诉我订单号。",
        "free_shipping_yes": "{amount}的订单可以免运费。我们的政策：“{quote}”",
        "free_shipping_no": "{amount}的订单不能免运费。我们的政策：“{quote}”",
        "faq": "{quote}",
        "products": "为您找到：{items}。",
        "product_item": "{title}（{price}{stock}）",
        "in_stock": "，有货",
        "out_of_stock": "，缺货",
        "no_products": "抱歉，没有找到匹配的商品，能换个说法描述一下吗？",
        "complaint": "非常抱歉给您带来不好的体验。请告诉我订单号和具体问题，我会尽力帮您处理，也可以为您转接人工客服。",
        "write_action": "我无法直接{action}，已把您的请求转给可以处理的同事。",
        "no_voucher": "很抱歉，我无法提供这个。我们的政策：“{quote}”如果商品有破损或质量问题，告诉我订单号，我按政策为您处理；"
                      "也可以为您转接人工客服。",
        "no_offer": "很抱歉，我无法提供折扣、优惠券或补偿。需要的话我可以为您转接人工客服。",
        "no_info": "很抱歉，我这里还没有关于{topic}的信息。需要的话我可以为您转接人工客服。",
        "topics": {"shipping_fee": "运费", "delivery_time": "发货和配送时间",
                   "returns": "退换货政策", "other": "这个问题"},
        "others_data": "抱歉，其他顾客的信息（买了什么、订单、联系方式）我不能透露。我可以帮您处理您本人的订单、"
                       "退换货和物流问题，请问需要什么帮助？",
        "refuse": "抱歉，这个我无法帮您。我只能处理您本人的订单、退换货、配送和商品问题，也不会透露内部指令或其他顾客的信息。"
                  "需要为您转接人工客服吗？",
        "clarify": "抱歉，我没有完全理解。请问是关于订单、退换货、配送还是商品的问题？",
        "handoff": "现在为您转接人工客服（{reason}），同事能看到我们的对话记录，您不需要重复说明。",
        "reasons": {"legal threat": "您提到了法律途径", "anger": "非常理解您的心情",
                    "threat of violence": "这需要同事亲自处理",
                    "injury reported": "您的安全最重要，同事会尽快了解情况",
                    "media threat": "希望由同事来为您妥善解决",
                    "customer asked for a person": "按您的要求",
                    "repeated failure": "我没能帮您解决问题", "policy undecided": "需要人工判断",
                    "write action": "同事可以为您修改", "cannot verify": "无法验证您的账户",
                    "repeated manipulation": "这些请求我无法处理"},
    },
}
_WRITE_ACTIONS = {
    "cancel": {"en": "cancel orders", "zh": "取消订单"},
    "address": {"en": "change a delivery address", "zh": "修改收货地址"},
    "other": {"en": "change orders", "zh": "修改订单"},
}


@dataclass
class Turn:
    """One answer: the text sent, and everything behind it."""

    text: str
    intent: str
    flow: str
    confidence: float = 0.0
    citations: list[str] = field(default_factory=list)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    handoff: str | None = None
    method: str = "template"
    latency_ms: float = 0.0


@dataclass
class _State:
    lang: str = "en"
    flow: str | None = None  # the flow waiting for a slot
    pending: str | None = None  # verify, order, item, condition
    order_id: str | None = None
    item_id: str | None = None  # the order line a return is about
    condition: str | None = None  # what the customer said of that item (policy.item_condition)
    failures: int = 0
    manipulation: int = 0
    turns: list[tuple[str, str]] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    handed_off: str | None = None


class ServiceAgent:
    """A conversation with one customer. ``customer_id`` is who the channel says it is (a
    signed-in session); order details still need the customer to verify."""

    def __init__(self, wh: Warehouse, *, customer_id: str | None, llm: LLM | None = None,
                 kb: KnowledgeBase | None = None, rules: PolicyRules | None = None,
                 spec: IntentSpec | None = None, channel: str = "api",
                 as_of: datetime | None = None, record: bool = True,
                 conversation_id: str | None = None, guard: PiiGuard | None = None) -> None:
        if customer_id is not None and not wh.query(
                "SELECT 1 FROM customers WHERE customer_id = ?", [customer_id]):
            raise ServiceError(f"customer {customer_id!r}: no such customer in the warehouse")
        self.wh = wh
        self.customer_id = customer_id
        self.llm = llm if llm is not None and llm.has_model else None
        self.kb = kb if kb is not None else KnowledgeBase.from_warehouse(wh)
        self.rules = rules if rules is not None else load_policy_rules(wh)
        self.spec = spec or load_intents()
        self.tools = CustomerTools(wh, customer_id, self.kb)
        self.guard = guard if guard is not None else PiiGuard.for_customer(wh, customer_id)
        self.channel = channel
        self.as_of = as_of or datetime.now(UTC)
        self.record = record
        self.conversation_id = conversation_id or "CONV-" + uuid.uuid4().hex[:12]
        self.state = _State()
        self._turn_no = 0
        self._message = ""
        self._started_at: pd.Timestamp | None = None
        self.last_turn: Turn | None = None  # the latest answer (what ``stream`` streamed)
        self._ids_memo: tuple[str, tuple[str, ...]] | None = None  # (message, its order ids)
        self._cited: list[str] = []  # documents quoted by the order texts of this turn
        wh.release()

    # -- public ----------------------------------------------------------------------------
    def use(self, wh: Warehouse) -> None:
        """Answer the next turns through ``wh`` (a server hands each request its own handle,
        while the conversation lives on between requests)."""
        self.wh = wh
        self.tools.wh = wh

    def reply(self, message: str) -> Turn:
        """Answer one customer message."""
        start = time.perf_counter()
        lang = detect_language(message, default=self.state.lang)  # too short: keep the language
        words = re.findall(r"[A-Za-z]{2,}", EMAIL_OR_ID.sub(" ", message))
        if lang == "zh" or (lang == "en" and len(words) >= 2) or not self.state.turns:
            self.state.lang = lang if lang in ("zh", "en") else self.state.lang
        lang = self.state.lang
        self.tools.calls.clear()
        self._message = message
        self._ids_memo = None
        turn = self._answer(message, lang)
        self._finish(turn, message, lang)
        turn.latency_ms = (time.perf_counter() - start) * 1000
        self.last_turn = turn
        self.state.turns += [("customer", message), ("assistant", turn.text)]
        if self.record:
            self._save(message, turn)
        self.wh.release()  # hold no connection while the customer types (a no-op unless on demand)
        return turn

    def stream(self, message: str) -> Iterator[str]:
        """The reply in pieces, for a typing effect. The whole answer is checked before the
        first piece leaves, so a filter can never be outrun by the stream."""
        turn = self.reply(message)
        yield from re.findall(r"\S+\s*|\s+", turn.text) if lang_is_spaced(turn.text) else list(
            re.findall(r".{1,4}", turn.text, re.S))

    # -- the pipeline ----------------------------------------------------------------------
    def _answer(self, message: str, lang: str) -> Turn:
        text = lambda key, **kw: T[lang][key].format(**kw)  # noqa: E731
        if self.state.handed_off:
            return Turn(text("handoff", reason=T[lang]["reasons"].get(
                self.state.handed_off, self.state.handed_off)), "handoff", "handoff",
                handoff=self.state.handed_off)
        findings = [f for f in detect_injection(message) if not harmless_encoded(f, message)]
        u = understand(message, spec=self.spec, llm=self.llm) if not findings else Understanding(
            "manipulation", 1.0, "guardrails")
        if findings:
            self.state.manipulation += 1
            flags = [f"injection:{f.kind}" + (":encoded" if f.encoded else "") for f in findings]
            if self.state.manipulation >= 3:
                return self._handoff("repeated manipulation", lang, u, flags)
            return Turn(text("refuse"), "manipulation", "refusal", 1.0, flags=flags)
        if not findings and u.source != "rules" and not u.order_ids and (
                ids := self._order_ids(message)):
            # an order number only the store recognises (O-5001, 1001 for #1001) and no rule
            # fired: as understand() does for any order number, the customer asks about it
            u = Understanding("order_status", 0.7, "rules", tuple(ids))
        # a request for a person counts when the words say so, not on the classifier's guess
        reason = message_handoff_reason(message, u.intent if u.source != "classifier" else "")
        if reason:
            return self._handoff(reason, lang, u)
        if asks_change(message) and u.intent not in ("damaged", "exchange", "write_action") \
                and not (u.intent == "return_refund" and RETURN_WORDS.search(message)):
            u = Understanding("write_action", 0.9, "rules", u.order_ids)
        if u.intent != "write_action" and (about_others(message) or (asks_contact(message) and any(
                not self.tools.owns(oid) for oid in self._order_ids(message)))):
            return Turn(text("others_data"), "others_data", "refusal", 1.0)
        if u.intent == "greeting" and u.order_ids:  # "thanks! and 300001?"
            u = Understanding("order_status", 0.7, "rules", u.order_ids)
        if u.intent in ("unknown", "greeting", "order_status", "product_question") and \
                RETURN_WORDS.search(message) and not self.state.pending:
            u = Understanding("return_refund", 0.8, "rules", u.order_ids)  # "send the lipstick back"
        if not self.state.pending and asks_remedy(message):
            # a coupon or discount asked for is refused even beside a damaged item; the
            # refusal offers the remedies the policy has
            return self._no_remedy(lang, u.intent)
        intent = u.intent
        if self.state.pending and (u.source != "rules" or intent == "greeting" or (
                u.matched == () and u.order_ids)):
            intent = self.state.flow or intent  # the answer to what we asked
        if self.state.pending == "verify" and not self.tools.verified:
            self.tools.verify(message)
        if ids := self._order_ids(message):
            self.state.order_id = ids[0]
        flow = {
            "greeting": self._greeting, "order_status": self._order_status,
            "return_refund": self._return, "damaged": self._return, "exchange": self._return,
            "shipping_fee": self._shipping_fee, "delivery_time": self._delivery_time,
            "product_question": self._product, "complaint": self._complaint,
            "write_action": self._write_action,
        }.get(intent, self._fallback)
        turn = flow(message, lang, u, intent)
        turn.intent, turn.confidence = intent, u.confidence
        if u.model_error:
            turn.flags.append(f"model_failed:understand:{u.model_error}")
        if turn.flow in ("clarify",):
            self.state.failures += 1
            if self.state.failures >= MAX_FAILURES:
                return self._handoff("repeated failure", lang, u)
        elif turn.flow not in ("greeting",):
            self.state.failures = 0
        return turn

    def _finish(self, turn: Turn, message: str, lang: str) -> None:
        """Model rewording (checked), then the remedy and PII checks every reply passes.

        Our own fixed texts (a clarifying question naming "returns", a handoff) offer nothing,
        so the remedy check reads retrieved and model text only. A remedy the policy refuses
        is answered with the refusal; one the policy does not mention at all (no policy
        loaded yet) with "I don't have that information", never with a made-up refusal."""
        if self.llm is not None and turn.flow not in _FIXED_FLOWS:
            self._reword(turn, lang)
        ours = turn.method == "template" and turn.flow in (*_FIXED_FLOWS, "clarify")
        offered = set() if ours else remedies_in(turn.text)
        allowed = self.rules.allowed_remedies
        if offered - allowed:
            turn.flags.append("remedy_removed:" + ",".join(sorted(offered - allowed)))
            refused = (offered - allowed) & self.rules.refused_remedies
            turn.text = (T[lang]["no_offer"] if refused else
                         T[lang]["no_info"].format(topic=T[lang]["topics"]["other"]))
            turn.method = "template"
        turn.text, removed = self.guard.filter(turn.text)
        turn.flags += [f"pii_removed:{k}" for k in removed]
        turn.tool_calls = self.tools.calls_as_json()

    def _reword(self, turn: Turn, lang: str) -> None:
        # the draft alone: the customer's own words never reach the model as a prompt
        prompt = render_prompt("shopkeeper.service", "answer", lang, draft=turn.text)
        try:
            candidate = self.llm.chat(prompt, task="service.answer",
                                      max_tokens=min(320, 40 + len(turn.text))).text.strip()
        except LLMError as exc:
            turn.flags.append(f"model_failed:{type(exc).__name__}")
            return
        facts = Facts.of(context=[turn.text, *self._cited_texts(turn)])
        report = check_grounding(candidate, facts, lang=lang)
        problems = [v.kind for v in report.violations]
        if remedies_in(candidate) - remedies_in(turn.text):
            problems.append("remedy")
        if detect_injection(candidate):
            problems.append("injection")
        if markup_in(candidate, [turn.text, *self._cited_texts(turn)]):
            problems.append("markup")
        if self.guard.filter(candidate)[1]:
            problems.append("pii")
        if {r.key for r in order_refs(candidate) if r.strong} - {
                r.key for r in order_refs(turn.text)}:
            problems.append("order id")
        problems += _lost_facts(turn.text, candidate)
        if not candidate or problems:
            turn.flags.append("model_rejected:" + ",".join(sorted(set(problems)) or ["empty"]))
            return
        turn.text, turn.method = candidate, "model"

    def _cited_texts(self, turn: Turn) -> list[str]:
        by_id = {c.doc_id: c.text for c in self.kb.chunks if c.doc_id in turn.citations}
        return list(by_id.values())

    # -- flows -----------------------------------------------------------------------------
    def _greeting(self, message: str, lang: str, u: Understanding, intent: str) -> Turn:
        thanks = re.search(r"thank|cheers|bye|谢|再见|拜拜|辛苦", message, re.I)
        return Turn(T[lang]["thanks" if thanks else "hello"], intent, "greeting", u.confidence)

    def _need_verification(self, message: str, lang: str, flow: str) -> Turn | None:
        """A verification prompt when the customer is not verified yet, else None."""
        if self.customer_id is None:
            return self._handoff("cannot verify", lang, None, extra=T[lang]["no_customer"])
        if self.tools.verified:
            if self.state.pending == "verify":
                self.state.pending = None
            return None
        if self.tools.verify(message):
            self.state.pending = None
            return None
        ids = self._order_ids(message)
        if ids and not any(self.tools.owns(oid) for oid in ids):
            # another customer's order (or none at all): no need to verify to say so
            self.state.order_id = None
            return Turn(T[lang]["not_yours"], flow, "not_yours")
        attempted = self.state.pending == "verify"
        self.state.pending, self.state.flow = "verify", flow
        if attempted:
            self.state.failures += 1
            if self.state.failures >= MAX_FAILURES + 1:
                return self._handoff("cannot verify", lang, None)
            return Turn(T[lang]["not_verified"], flow, "verify")
        return Turn(T[lang]["verify"], flow, "verify")

    def _order_ids(self, message: str) -> list[str]:
        """Order numbers in ``message``, less part numbers and the customer's own phone number
        or postcode: one of the customer's own orders as the store writes it (#1001 for 1001,
        O-5001 for o5001), else what reads as an order number or has the shape of the store's
        order numbers (which then is "not on your account"). Worked out once per message (a
        reply asks several times, and each asking costs lookups)."""
        if self._ids_memo is not None and self._ids_memo[0] == message:
            return list(self._ids_memo[1])
        found = self._find_order_ids(message)
        self._ids_memo = (message, tuple(found))
        return list(found)

    def _find_order_ids(self, message: str) -> list[str]:
        found = []
        for ref in order_refs(message):
            if self.tools.is_own_contact(ref.text):
                continue
            own = self.tools.own_order_id(ref.key)
            if own or ref.strong or self.tools.has_order_shape(ref.text):
                found.append(own or ref.text)
        return list(dict.fromkeys(found))

    def _order_text(self, order: OrderInfo, lang: str) -> str:
        """What a customer asking "where is my order" is told: its parcels from the fulfilment
        data (carrier, tracking number, shipped, delivered or ETA, late), else "not shipped
        yet" with the dispatch policy, else the order's own status and dates."""
        if order.shipments:
            return self._tracking_text(order, lang)
        if not order.has_shipped and order.status != "cancelled":
            text = T[lang]["not_shipped"].format(
                order_id=order.order_id, ordered=_date(order.ordered_at),
                status=_STATUS[lang].get(order.status, order.status))
            quote, doc_id = self._dispatch_policy(lang)
            if quote:
                self._cited.append(doc_id)
                text += T[lang]["dispatch_policy"].format(quote=quote)
            return text
        extra = ""
        if order.delivered_at:
            extra = T[lang]["delivered_on"].format(date=_date(order.delivered_at))
        elif order.shipped_at:
            extra = T[lang]["shipped_on"].format(date=_date(order.shipped_at))
        return T[lang]["order"].format(order_id=order.order_id, ordered=_date(order.ordered_at),
                                       status=_STATUS[lang].get(order.status, order.status),
                                       extra=extra)

    def _tracking_text(self, order: OrderInfo, lang: str) -> str:
        t = T[lang]
        parts = []
        for p in order.shipments:
            text = t["parcel_of"].format(n=p.parcel, total=len(order.shipments)) if len(
                order.shipments) > 1 else ""
            eta = _date(p.eta) if p.eta is not None else ""
            if lang == "zh":  # 2024-03-05由顺丰速运发出，快递单号SF…
                text += t["parcel_shipped"].format(date=_date(p.shipped_at)) if p.shipped_at \
                    else ""
                text += t["parcel_carrier"].format(carrier=p.carrier) if p.carrier else ""
                text += "发出" if p.shipped_at or p.carrier else "已发货"
            else:
                text += (t["parcel_shipped"].format(date=_date(p.shipped_at)) if p.shipped_at
                         else t["parcel_shipped_nodate"])
                text += t["parcel_carrier"].format(carrier=p.carrier) if p.carrier else ""
            if p.tracking_number:
                text += t["parcel_tracking"].format(number=p.tracking_number)
            if p.delivered:
                text += (t["parcel_delivered"].format(date=_date(p.delivered_at))
                         if p.delivered_at is not None else t["parcel_delivered_nodate"])
                if p.late(self.as_of) and p.delivered_at is not None and p.eta is not None:
                    days = (_as_date(p.delivered_at) - _as_date(p.eta)).days
                    text += t["parcel_delivered_late"].format(days=days, eta=eta)
            elif p.status == "lost":
                text += t["parcel_lost"].format(eta=eta or "—")
            elif p.status == "exception":
                text += t["parcel_exception"]
            elif p.status == "returned":
                text += t["parcel_back"]
            elif p.late(self.as_of):
                text += t["parcel_late"].format(eta=eta)
            elif p.status == "delayed":
                text += t["parcel_delayed"]
            elif p.status == "out_for_delivery":
                text += t["parcel_out"].format(eta=eta) if eta else t["parcel_out_noeta"]
            elif eta:
                text += t["parcel_eta"].format(eta=eta)
            elif p.status in ("in_transit", "label_created"):
                text += t["parcel_transit"]
            if p.tracking_url and not p.delivered:
                text += t["parcel_link"].format(url=p.tracking_url)
            parts.append(text)
        sep, end = ("；", "。") if lang == "zh" else ("; ", ".")
        return t["tracked"].format(order_id=order.order_id, ordered=_date(order.ordered_at),
                                   parcels=sep.join(parts) + end)

    def _dispatch_policy(self, lang: str) -> tuple[str, str]:
        """The store's own sentence on how soon orders ship (a policy or FAQ in ``lang``, else
        any language), screened like every retrieved text; ("", "") when it has none."""
        pattern = _DISPATCH[lang] if lang in _DISPATCH else _DISPATCH["en"]
        found: list[tuple[str, str]] = []
        for chunk in self.kb.chunks:
            if chunk.kind not in ("policy", "faq", "guide"):
                continue
            body = chunk.text.split("\n", 1)[-1]
            for sentence in re.findall(r"[^.!?。！？\n]+[.!?。！？]?", body):
                if (re.search(r"\d", sentence)
                        and any(p.search(sentence) for p in _DISPATCH.values())
                        and not remedies_in(sentence) and not detect_injection(sentence)
                        and not self.guard.filter(sentence)[1]):
                    found.append((sentence.strip(), chunk.doc_id))
        same = [f for f in found if pattern.search(f[0]) and _lang_of(f[0]) == lang]
        return (same or found or [("", "")])[0]

    def _target_order(self, message: str, lang: str, flow: str) -> OrderInfo | Turn:
        """The order the conversation is about, or the turn that asks which one."""
        ids = self._order_ids(message)
        if len(ids) > 1 and CORRECTION.search(message):
            # "I typed 200001 by mistake, it's 100001": the customer's own number
            ids = sorted(ids, key=lambda i: not self.tools.owns(i))
        oid = next(iter(ids), None) or self.state.order_id
        if oid:
            order = self.tools.find_order(oid)
            if order is None:
                self.state.order_id = None
                return Turn(T[lang]["not_yours"], flow, "not_yours")
            self.state.order_id = order.order_id
            self.state.facts["order"] = order.order_id
            return order
        recent = self.tools.recent_orders(3)
        if not recent:
            return Turn(T[lang]["no_orders"], flow, "no_orders")
        if len(recent) == 1:
            self.state.order_id = recent[0].order_id
            return recent[0]
        self.state.pending, self.state.flow = "order", flow
        listing = "; ".join(f"{o.order_id} ({_date(o.ordered_at)})" for o in recent)
        return Turn(T[lang]["which_order"].format(orders=listing), flow, "which_order")

    def _order_status(self, message: str, lang: str, u: Understanding, intent: str) -> Turn:
        if (ask := self._need_verification(message, lang, intent)) is not None:
            return ask
        oid = next(iter(self._order_ids(message)), None) or self.state.order_id
        if oid:
            target = self._target_order(message, lang, intent)
            if isinstance(target, Turn):
                return target
            orders = [target]
        else:
            orders = self.tools.recent_orders(3)
            if not orders:
                return Turn(T[lang]["no_orders"], intent, "no_orders")
        self.state.pending = None
        self._cited = []
        for o in orders:
            if o.shipments:
                self.tools._log("track_order", f"{len(o.shipments)} parcels", order_id=o.order_id)
                self.state.facts.setdefault("tracking", {})[o.order_id] = [
                    {"carrier": p.carrier, "tracking_number": p.tracking_number,
                     "status": p.status} for p in o.shipments]
        text = " ".join(self._order_text(o, lang) for o in orders)
        return Turn(text, intent, "order_status", citations=sorted(set(self._cited)))

    def _delivery_time(self, message: str, lang: str, u: Understanding, intent: str) -> Turn:
        """"When will it arrive" about the customer's own order (an order number, one being
        discussed, or "my order / 我的快递") is that order's tracking; a general question on
        delivery times is the policy's."""
        own = bool(self._order_ids(message) or _OWN_PARCEL.search(message))
        if not own and self.state.order_id:  # "when will it arrive?", "还要几天到？"
            own = bool(_THIS_ORDER.search(message)) or (
                lang == "zh" and not _IN_GENERAL.search(message))
        if own:
            return self._order_status(message, lang, u, intent)
        return self._faq(message, lang, u, intent)

    def _return(self, message: str, lang: str, u: Understanding, intent: str) -> Turn:
        if (general := self._policy_question(message, lang, intent)) is not None:
            return general
        if (ask := self._need_verification(message, lang, intent)) is not None:
            return ask
        before = self.state.order_id
        target = self._target_order(message, lang, intent)
        if isinstance(target, Turn):
            return target
        order = target
        if order.order_id != before:
            self.state.item_id = self.state.condition = None
        self.state.pending = None
        self.state.condition = item_condition(message) or self.state.condition
        if intent == "return_refund" and not _delivered(order):
            return Turn(T[lang]["not_delivered"].format(order_id=order.order_id), intent,
                        "not_delivered", citations=[])
        days = (self.as_of.date() - _as_date(order.received_at)).days
        lines = self._return_lines(order, message)
        if lines is None:
            self.state.pending, self.state.flow = "item", intent
            titles = "; ".join(f"{i}. {line.title}" for i, line in enumerate(order.lines[:8], 1))
            return Turn(T[lang]["which_item"].format(order_id=order.order_id, items=titles),
                        intent, "which_item")
        tier = self._tier()
        decisions = [(line, decide_return(
            self.rules, days=days, tier=tier, item_text=line.title if line else "",
            damaged=intent == "damaged", exchange=intent == "exchange",
            condition=self.state.condition)) for line in lines]
        self.state.facts.update(order=order.order_id, days_since_received=days,
                                decision=",".join(d.code for _, d in decisions),
                                item=", ".join(line.title for line in lines if line) or None,
                                condition=self.state.condition)
        asking = [(line, d) for line, d in decisions if d.code == "need_condition"]
        if asking:
            line, decision = asking[0]
            quote, cites = self._localise(decision, lang)
            self.state.pending, self.state.flow = "condition", intent
            item = " / ".join(ln.title for ln, _ in asking if ln) or _ITEM_WORD[lang]
            return Turn(T[lang]["ask_condition"].format(
                item=item, state=_CONDITION_WORDS[lang][decision.rules[0].value[1]],
                quote=quote), intent, "which_condition", citations=cites)
        if any(d.allowed is None for _, d in decisions):
            return self._handoff("policy undecided", lang, u)
        allowed = [(line, d) for line, d in decisions if d.allowed]
        refused = [(line, d) for line, d in decisions if not d.allowed]
        if not allowed:
            return self._refusal(order, refused[0][1], refused[0][0], days, lang, intent)
        quote, cites = self._localise(allowed[0][1], lang)
        request_ids = [self.tools.draft_return(
            conversation_id=self.conversation_id, order=order,
            product_id=line.product_id if line else None, reason=intent,
            decision=d.code, policy_docs=self._localise(d, lang)[1]) for line, d in allowed]
        request_id = ", ".join(request_ids)
        if refused:
            text = T[lang]["return_part"].format(
                order_id=order.order_id, items=", ".join(f"“{ln.title}”" for ln, _ in allowed),
                quote=quote, request_id=request_id)
            for line, d in refused:
                why, more = self._localise(d, lang)
                text += T[lang]["line_refused"].format(item=f"“{line.title}”", quote=why)
                cites = sorted({*cites, *more})
            return Turn(text, intent, "return", citations=cites)
        decision = allowed[0][1]
        key = {"damaged": "damage_ok", "exchange": "exchange_ok"}.get(intent, "return_ok")
        if decision.code == "in_window" and intent != "return_refund":
            key = "return_ok"  # e.g. damage window passed but the return window has not
        text = T[lang][key].format(order_id=order.order_id, quote=quote, request_id=request_id)
        window = decision.rules[0].value if decision.rules else None
        if decision.code == "in_window" and isinstance(window, int) and days == window:
            text += T[lang]["last_day"].format(window=window)
        return Turn(text, intent, "return", citations=cites)

    def _return_lines(self, order: OrderInfo, message: str) -> list | None:
        """The order lines a return is about: the one the message (or an earlier message)
        names, every line for "all of them" / "整单", [None] for an order without lines, or
        None when the customer must say which."""
        if WHOLE_ORDER.search(message) and len(order.lines) > 1:
            self.state.item_id = "*"
            return list(order.lines)
        item = _pick_line(order, message)
        if item is None and self.state.item_id == "*":
            return list(order.lines)
        if item is None and self.state.item_id:
            item = next((ln for ln in order.lines if ln.product_id == self.state.item_id), None)
        if item is None and len(order.lines) > 1:
            return None
        if item is not None:
            self.state.item_id = item.product_id
        return [item]

    def _refusal(self, order: OrderInfo, decision: Decision, line: Any, days: int, lang: str,
                 intent: str) -> Turn:
        """Why a return cannot be started, with the rule in the customer's words: the window
        and how long ago it ended, the kind of item, or its condition."""
        quote, cites = self._localise(decision, lang)
        item = line.title if line else _ITEM_WORD[lang]
        if decision.code == "not_returnable":
            text = T[lang]["not_returnable"].format(quote=quote)
        elif decision.code == "condition_not_met":
            said = "used" if self.state.condition == "used" else "opened"
            text = T[lang]["condition_not_met"].format(
                quote=quote, item=item, state=_CONDITION_WORDS[lang][said])
        else:
            window = decision.rules[0].value if decision.rules else None
            text = T[lang]["window_passed"].format(
                order_id=order.order_id, days=days, quote=quote, window=window,
                late=days - window if isinstance(window, int) else "?")
        return Turn(text, intent, "return", citations=cites)

    def _localise(self, decision: Decision, lang: str) -> tuple[str, list[str]]:
        """The deciding rule's sentence in ``lang`` (the same rule from the policy document in
        that language, when there is one) and the documents to cite."""
        if not decision.rules:
            return "", []
        rule = decision.rules[0]
        twins = [r for r in self.rules.of(rule.name)
                 if (r.value, r.tier) == (rule.value, rule.tier) and _lang_of(r.sentence) == lang]
        chosen = twins[0] if twins else rule
        return chosen.sentence, sorted({chosen.doc_id, *decision.citations} - (
            {rule.doc_id} if twins and twins[0].doc_id != rule.doc_id else set()))

    def _policy_question(self, message: str, lang: str, intent: str) -> Turn | None:
        """A general question about the policy ("what is your return policy?", "定制的可以退吗？")
        gets the policy's own sentences, without verification; None when the conversation is
        about one of the customer's orders (an order number now or before, or a flow waiting
        for an answer)."""
        if (self.state.pending or self.state.order_id or self._order_ids(message)
                or not _GENERAL_QUESTION.search(message)):
            return None
        wanted = {"damaged": ("damage_window",), "exchange": ("exchange_window",)}.get(
            intent, ("return_window", "not_returnable", "refund_method"))
        if re.search(r"personali[sz]|custom|定制|刻字", message, re.I):
            wanted = ("not_returnable",)
        rules = [r for r in self.rules.rules if r.name in wanted]
        same = [r for r in rules if _lang_of(r.sentence) == lang] or rules
        if not same:
            if not any(r.name in _RETURN_RULES for r in self.rules.rules):
                return self._no_info("returns", lang, intent)
            return None
        sentences = list(dict.fromkeys(r.sentence for r in same))[:3]
        quote = " ".join(sentences)
        return Turn(T[lang]["policy_general"].format(quote=quote), intent, "policy",
                    citations=sorted({r.doc_id for r in same if r.sentence in sentences}))

    def _no_info(self, topic: str, lang: str, intent: str,
                 flags: list[str] | None = None) -> Turn:
        """The store has no policy or FAQ on this: say so and offer a person."""
        return Turn(T[lang]["no_info"].format(topic=T[lang]["topics"][topic]), intent, "no_info",
                    flags=[*(flags or []), f"no_policy:{topic}"])

    def _tier(self) -> str | None:
        if not self.rules.tiers or self.customer_id is None:
            return None
        row = self.wh.query("SELECT json_extract_string(attributes, '$.membership') "
                            "FROM customers WHERE customer_id = ?", [self.customer_id])
        return (row[0][0] or "").lower() or None if row else None

    def _shipping_fee(self, message: str, lang: str, u: Understanding, intent: str) -> Turn:
        rules = self.rules.of("free_shipping")
        if not rules:
            return self._faq(message, lang, u, intent)
        rule = next((r for r in rules if _lang_of(r.sentence) == lang), rules[0])
        m = _MONEY.search(message)
        if m:
            symbol = m.group(1) or m.group(4).lower()
            amount = float(m.group(2) or m.group(3))
            currency = _CURRENCY.get(symbol, rule.value[1])
            threshold, rule_currency, inclusive = rule.value
            if currency == rule_currency:
                free = amount >= threshold if inclusive else amount > threshold
                key = "free_shipping_yes" if free else "free_shipping_no"
                return Turn(T[lang][key].format(amount=m.group(0).strip(), quote=rule.sentence),
                            intent, "shipping_fee", citations=[rule.doc_id])
        return Turn(T[lang]["policy_only"].format(quote=rule.sentence), intent, "shipping_fee",
                    citations=[rule.doc_id])

    def _safe_hits(self, query: str, kinds: list[str], k: int = 3) -> tuple[list[Hit], list[str]]:
        """Retrieved chunks with any carrying instructions dropped (retrieved text is data)."""
        hits, flags = [], []
        for h in self.kb.search(query, k=k + 3, kinds=kinds):
            if detect_injection(h.chunk.text):
                flags.append(f"retrieved_injection:{h.chunk.doc_id}")
                continue
            if self.guard.filter(h.chunk.text)[1]:
                flags.append(f"retrieved_pii:{h.chunk.doc_id}")
                continue
            hits.append(h)
        return hits[:k], flags

    def _faq(self, message: str, lang: str, u: Understanding, intent: str) -> Turn:
        hits, flags = self._safe_hits(message, ["faq", "policy", "guide"], k=5)
        same = [h for h in hits if h.chunk.language == lang] or hits
        if not same:
            if intent in ("shipping_fee", "delivery_time"):
                return self._no_info(intent, lang, intent, flags)
            return Turn(T[lang]["clarify"], intent, "clarify", flags=flags)
        best = same[0].chunk
        body = best.text.split("\n", 1)[-1]
        return Turn(T[lang]["faq"].format(quote=body), intent, "faq", citations=[best.doc_id],
                    flags=flags)

    def _product(self, message: str, lang: str, u: Understanding, intent: str) -> Turn:
        hits, flags = self._safe_hits(message, ["product_qa"], k=1)
        products = self.tools.search_products(message, k=3)
        products = products[:1] + [p for p in products[1:] if p.lexical]
        if not products and not hits:
            return Turn(T[lang]["no_products"], intent, "clarify", flags=flags)
        parts, cites = [], []
        if products:
            items = []
            for p in products:
                price = f"{p.price:.2f} {p.currency or ''}".strip() if p.price is not None else "—"
                stock = ("" if p.on_hand is None else
                         T[lang]["in_stock"] if p.on_hand > 0 else T[lang]["out_of_stock"])
                items.append(T[lang]["product_item"].format(title=p.title, price=price,
                                                            stock=stock))
                cites.append(p.citation)
            parts.append(T[lang]["products"].format(items="; ".join(items)))
        if hits and hits[0].bm25_rank == 1 and hits[0].dense_rank == 1:
            parts.append(hits[0].chunk.text.split("\n", 1)[-1])
            cites.append(hits[0].chunk.doc_id)
        return Turn(" ".join(parts), intent, "product", citations=cites, flags=flags)

    def _complaint(self, message: str, lang: str, u: Understanding, intent: str) -> Turn:
        self.state.facts["complaint"] = message[:200]
        if self.state.facts.get("complained"):
            return self._handoff("repeated failure", lang, u)
        self.state.facts["complained"] = True
        return Turn(T[lang]["complaint"], intent, "complaint")

    def _write_action(self, message: str, lang: str, u: Understanding, intent: str) -> Turn:
        low = message.lower()
        if re.search(r"coupon|voucher|discount|compensat|refund me|gift card|promo|优惠券|红包|"
                     r"补偿|赔偿|打折|便宜|返现|折扣", low):
            return self._no_remedy(lang, intent)
        action = ("cancel" if re.search(r"cancel|取消", low) else
                  "address" if re.search(r"address|地址", low) else "other")
        self.state.facts["requested_change"] = action
        turn = self._handoff("write action", lang, u)
        turn.text = T[lang]["write_action"].format(action=_WRITE_ACTIONS[action][lang])
        return turn

    def _no_remedy(self, lang: str, intent: str) -> Turn:
        """No voucher, discount or compensation: the policy's own refusal when it has one."""
        refused = [r for r in self.rules.of("refuses") if r.value in ("voucher", "compensation")]
        same = [r for r in refused if _lang_of(r.sentence) == lang] or refused
        if same:
            return Turn(T[lang]["no_voucher"].format(quote=same[0].sentence), intent,
                        "policy", citations=[same[0].doc_id])
        return Turn(T[lang]["no_offer"], intent, "policy")

    def _fallback(self, message: str, lang: str, u: Understanding, intent: str) -> Turn:
        hits, flags = self._safe_hits(message, ["faq", "policy", "guide", "product_qa"], k=1)
        if hits and hits[0].bm25_rank is not None and hits[0].bm25_rank <= 2 \
                and hits[0].dense_rank is not None and hits[0].dense_rank <= 2:
            best = hits[0].chunk
            return Turn(best.text.split("\n", 1)[-1], intent, "faq", citations=[best.doc_id],
                        flags=flags)
        return Turn(T[lang]["clarify"], intent, "clarify", flags=flags)

    def _handoff(self, reason: str, lang: str, u: Understanding | None,
                 flags: list[str] | None = None, extra: str | None = None) -> Turn:
        self.state.handed_off = reason
        summary = summarize(lang, [*self.state.turns, ("customer", self._message)],
                            self.state.facts, reason)
        if self.record:
            frame = pd.DataFrame([{
                "handoff_id": "HO-" + uuid.uuid4().hex[:10],
                "conversation_id": self.conversation_id, "customer_id": self.customer_id,
                "reason": reason, "summary": redact_pii(summary),
                "facts": json.dumps(self.state.facts, default=str, ensure_ascii=False),
                "status": "open", "created_at": pd.Timestamp.now(tz="UTC"),
                "closed_by": None, "closed_at": None}])
            with self.wh.transaction():
                self.wh.insert_df("service_handoffs", frame)
        text = extra or T[lang]["handoff"].format(reason=T[lang]["reasons"].get(reason, reason))
        return Turn(text, u.intent if u else "handoff", "handoff",
                    u.confidence if u else 0.0, flags=flags or [], handoff=reason)

    # -- records ---------------------------------------------------------------------------
    def _save(self, message: str, turn: Turn) -> None:
        now = pd.Timestamp.now(tz="UTC")
        self._started_at = self._started_at or now
        rows = []
        for role, text, extra in (("customer", message, {}), ("assistant", turn.text, {
                "intent": turn.intent, "confidence": turn.confidence, "flow": turn.flow,
                "citations": json.dumps(turn.citations),
                "tool_calls": json.dumps(turn.tool_calls, default=str, ensure_ascii=False),
                "flags": json.dumps(turn.flags), "method": turn.method,
                "latency_ms": turn.latency_ms})):
            self._turn_no += 1
            rows.append({"conversation_id": self.conversation_id, "turn": self._turn_no,
                         "role": role, "text": redact_pii(text), "intent": None,
                         "confidence": None, "flow": None, "citations": None,
                         "tool_calls": None, "flags": None, "method": None,
                         "latency_ms": None, "created_at": now, **extra})
        with self.wh.transaction() as con:
            con.execute("DELETE FROM service_conversations WHERE conversation_id = ?",
                        [self.conversation_id])
            self.wh.insert_df("service_conversations", pd.DataFrame([{
                "conversation_id": self.conversation_id, "customer_id": self.customer_id,
                "channel": self.channel, "lang": self.state.lang,
                "verified": self.tools.verified,
                "status": "handed_off" if self.state.handed_off else "open",
                "provider": self.llm.label if self.llm else "builtin",
                "started_at": self._started_at, "updated_at": now}]))
            self.wh.insert_df("service_messages", pd.DataFrame(rows))



_KEPT = re.compile(r"“[^”]+”|\d+(?:[.,:-]\d+)*|RR-\w+")
# the prompt's own words in a reply; "drafted return request RR-…" and 退货申请草稿 are the
# answer's, not an echo
_ECHO = re.compile(r"draft answer|the draft\b|customer:|<<<|>>>|草稿答复|改写|顾客：|assistant:|"
                   r"system:|you are a shop", re.I)


def _lost_facts(draft: str, candidate: str) -> list[str]:
    """Why a rewording cannot replace its draft: a quote, number or id of the draft missing,
    the prompt echoed, or sentences repeated (a small model looping)."""
    problems = []
    if any(fact not in candidate for fact in _KEPT.findall(draft)):
        problems.append("dropped fact")
    if _ECHO.search(candidate):
        problems.append("prompt echo")
    sentences = [s.strip() for s in re.split(r"[.!?。！？\n]", candidate) if len(s.strip()) > 8]
    if len(sentences) != len(set(sentences)) or len(candidate) > 2 * len(draft) + 80:
        problems.append("rambling")
    return problems


def lang_is_spaced(text: str) -> bool:
    return not re.search(r"[\u4e00-\u9fff]", text)


def _date(value: datetime) -> str:
    return pd.Timestamp(value).strftime("%Y-%m-%d")


def _as_date(value: datetime):
    return pd.Timestamp(value).date()


def _lang_of(text: str) -> str:
    return "zh" if re.search(r"[\u4e00-\u9fff]", text) else "en"




def _pick_line(order: OrderInfo, message: str):
    """The order line the message names (by title words or its number in the list), or the
    only line."""
    if len(order.lines) == 1:
        return order.lines[0]
    message = KEPT_ITEM.sub(" ", message)
    number = re.fullmatch(r"\s*(?:no\.?\s*|#|第)?(\d{1,2})\s*(?:个|件)?\s*[.。]?\s*", message, re.I)
    if number and 1 <= int(number.group(1)) <= len(order.lines):
        return order.lines[int(number.group(1)) - 1]
    for line in order.lines:
        if line.title and line.title in message:
            return line
    words = {w for w in re.findall(r"[a-z]{3,}", message.lower())}
    scored = [(len(words & set(re.findall(r"[a-z]{3,}", line.title.lower()))), line)
              for line in order.lines]
    best = max((n for n, _ in scored), default=0)
    winners = [line for n, line in scored if n == best and n > 0]
    if len(winners) == 1:
        return winners[0]
    # "口红" for "Rose matte lipstick", "定制的杯子" for "Personalised name mug": the one line
    # that shares the most kinds of item with the message
    named = item_kinds(message)
    if named:
        shared = [(len(named & item_kinds(line.title)), line) for line in order.lines]
        most = max(n for n, _ in shared)
        of_kind = [line for n, line in shared if n == most and n > 0]
        if len(of_kind) == 1:
            return of_kind[0]
    # "白色陶瓷杯" for "White ceramic mug": colours, materials and patterns in either language
    said = _attribute_terms(message)
    if not said:
        return None
    overlap = [(len(said & _attribute_terms(line.title)), line) for line in order.lines]
    best = max(n for n, _ in overlap)
    winners = [line for n, line in overlap if n == best and n > 0]
    return winners[0] if len(winners) == 1 else None


def _delivered(order: OrderInfo) -> bool:
    """Whether the order (or one of its parcels) has reached the customer, as far as the store
    knows: completed orders count, whatever their dates say."""
    return bool(order.delivered_at or any(p.delivered_at for p in order.shipments)
                or order.status in ("completed", "delivered"))


def _attribute_terms(text: str) -> set[str]:
    """The lexicon's attribute terms (colour, material, pattern …) a text names, with the
    broader terms they imply, as ids shared by Chinese and English spellings."""
    lexicon = load_lexicon()
    ids = {m.term.id for m in lexicon.find(text) if m.term.kind not in ("claim", "size_word")}
    return ids | {b for i in ids for b in lexicon.terms[i].broader}
