"""What a customer's message asks for, read from its words: things the agent must refuse or
pass to a person before any flow answers (another customer's data, a voucher or discount, a
change to an order), and the words the return flow reads (a return, a corrected order number,
the whole order, an item kept). Each pattern was written against the suite's tuning cases and
checked for false alarms on real customer messages (docs/service.md)."""

from __future__ import annotations

import re

from shopkeeper.llm.untrusted import InjectionFinding
from shopkeeper.service.handoff import message_handoff_reason

# questions about other customers: who bought something, another person's orders or contact
# details. Read from the words alone, never by looking the name up (that would tell an asker
# which names are customers).
_SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
             "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵"
             "万钱严覃武戴莫孔向汤")
OTHERS_DATA = re.compile(
    r"(?:^|[^\w\s]\s*|\b(?:me|know|see|tell|find out|check|show|and)\s+)who (?:else )?(?:has |"
    r"have )?(?:bought|ordered|purchased|buys|orders)\b|"
    r"\b(?:contact|details|names?|emails?|addresses|phone numbers?|list) (?:of|for) (?:the )?"
    r"(?:person|people|customers?|buyers?|shoppers?|someone|everyone) (?:who|that) "
    r"(?:has |have )?(?:bought|ordered|purchased)\b|"
    r"\b(?:other|another) (?:customer|person|shopper|buyer)(?:'s|s'|s's)|\b(?:other|another) "
    r"(?:customer|person|shopper|buyer)s? (?:orders?|details|data|information|info|address|"
    r"e-?mail|phone)\b|"
    r"\b(?:someone|somebody) else'?s\b|\bother people'?s\b|"
    r"\b(?:customer|user|client|member|buyer)\s+(?:id\s*)?#?\s*[a-z]?\d+\b|"
    r"\bwho (?:placed|made|owns|ordered) (?:order|that order|this order|it)\b|"
    r"\b(?:give|send|tell|share|confirm|pass)(?: me)? (?:their|his|her|the customer'?s|that "
    r"customer'?s|the (?:buyer|recipient|owner)'?s) (?:e-?mail|address|phone|number|name|details|"
    r"contact)|\bone of your (?:customers|shoppers|buyers)\b|"
    r"(?-i:\bwhat (?:did|has|does) (?!I\b)[A-Z][a-z]+(?: [A-Z][a-z]+)? (?:buy|bought|order|purchase))|"
    r"(?-i:\b(?!My\b|Your\b|Our\b|The\b)[A-Z][a-z]+ [A-Z][a-z]+'s (?:e-?mail|address|phone|"
    r"number|orders?|details|account|contact|purchases))|"
    r"(?:谁|哪些人|哪位|什么人)(?:买了|买过|下单|下的单|购买|订了|订过)|买了.{0,16}?的(?:顾客|客户|人|买家)|"
    r"(?:收货人|收件人|买家|下单人)(?:叫什么|叫啥|是谁)|"
    r"(?:这个|那个|该)(?:邮箱|手机号|号码|账号)(?:都|的)?.{0,6}(?:下过|买过|订单|买了)|"
    r"(?:顾客|客户|用户|会员|买家)\s*[A-Za-z]?\d+|(?:其他|别的)(?:顾客|客户|用户|买家|人)的|别人的(?:订单|地址|电话|手机|邮箱|信息|联系方式)|"
    r"[" + _SURNAMES + r"][\u4e00-\u9fff]{1,2}(?:买了什么|买过什么|的(?:邮箱|电话|手机号?|地址|联系方式|订单))|"
    r"买[了过].{0,16}?的人(?:都)?(?:有谁|是谁|有哪些|名单|的(?:电话|联系方式|名字|地址))|(?:客户|顾客|买家)(?:都)?有(?:哪些|谁)|(?:把|给我)?(?:客户|顾客|买家)?(?:名单|名字和电话)|"
    r"是谁(?:买|下|订)的|\bwhich (?:of your )?(?:customers|shoppers|buyers)\b|"
    r"\byour (?:other )?customers (?:are|who|in|from|based|live)\b",
    re.I)
# someone else's contact details asked for: a third party and a contact detail in one message
THIRD_PARTY = re.compile(
    r"\b(?:he|his|him|she|her|they|their|them|customers?|buyers?|shoppers?|someone|somebody|"
    r"the (?:person|owner|recipient|buyer))\b|"
    r"他|她|他们|她们|客户|顾客|买家|收货人|别人|[" + _SURNAMES + r"][\u4e00-\u9fff]{1,2}(?=的|是|手机|电话|地址)",
    re.I)
CONTACT_ASK = re.compile(
    r"(?<!web )(?<!ip )(?<!mac )\b(?:address|phone(?: number)?|mobile(?: number)?|e-?mail"
    r"(?: address)?|contact details?|where (?:he|she|they) lives?)\b[^.!?]{0,40}(?:\?|$)|"
    r"\b(?:give|send|tell|share|pass|confirm|what(?:'s| is)|needs?|wants?)\b[^.!?]{0,30}"
    r"\b(?:(?<!web )address|phone|mobile|e-?mail|contact)|"
    r"(?:地址|电话|手机号?|邮箱|联系方式|住哪)(?:是|在)?(?:多少|哪|什么|发我|给我)|(?:发我|发给我|给我|告诉我)"
    r"(?:一下|下)?.{0,6}(?:地址|电话号码|手机号|邮箱|联系方式)(?!了)|(?:查|查下|查一下).{0,16}"
    r"(?:地址|电话号码|手机号|邮箱)", re.I)
OWN_CONTACT = re.compile(r"\b(?:my|our)\s+(?:\w+\s+)?(?:address|phone|number|e-?mail|contact)|"
                          r"我的(?:地址|电话|手机|邮箱|联系方式)|我(?:家|们)的地址", re.I)
# a remedy asked for that is not a return, refund, exchange or replacement of an item
REMEDY_ASK = re.compile(
    r"\b(?:give|send|get|want|need|demand|deserve|expect|owe|issue|apply|offer|how about|what "
    r"about|can i (?:have|get)|could i (?:have|get)|i'?d like|throw|chuck|pop|put|add|"
    r"credit)\b[^.!?]{0,30}(?:\b(?:coupons?|vouchers?|discount|promo code|gift card|store credit|"
    r"compensation|money off|goodwill|something for (?:my|the) (?:trouble|inconvenience))\b|"
    r"\d+ ?% off)|\bgoodwill gesture\b|\bas a thank[- ]you\b|"
    r"\b(?:coupons?|vouchers?|discount|gift card|store credit|compensation)\b[^.!?]{0,25}\b(?:for "
    r"(?:my|the) (?:trouble|inconvenience)|as (?:an )?apology|to make up)\b|"
    r"\b(?:compensate me|double (?:refund|my money)|refund (?:me )?double|for free|free of charge)\b|"
    r"(?:给|送|发|补|赔)(?:我|个|张|点)[^，。！？,.!?]{0,6}(?:优惠券|代金券|红包|券|折扣?|补偿|赔偿|返现)|"
    r"(?:打|来)个?.?折|[一二三四五六七八九]折|便宜点|免单|双倍|(?:赔偿|补偿)(?:我|一下|点|些)|"
    r"要(?:个|点|些)?(?:补偿|赔偿|优惠券|红包|返现)|能不能(?:补偿|赔偿|便宜|返现)|"
    r"能不能(?:给|送)(?:我|个)?.{0,6}(?:优惠券|券|红包|补偿|赔偿|返现|折)|白送", re.I)
# "I don't want a voucher", "不要优惠券": a remedy named to be declined is not asked for
NOT_WANTED = re.compile(
    r"\b(?:don'?t|do not|doesn'?t|no|not|never|without)\b(?:\s+(?:want|need|asking for|looking "
    r"for|after|interested in))?\s+(?:a |an |any |the )?(?:[\w%-]+ ){0,2}?(?:vouchers?|coupons?|"
    r"discount|gift cards?|compensation|codes?|credit)\b|"
    r"(?:不要|不用|不需要|不想要)[^，。！？,.!?]{0,4}(?:优惠券|券|积分|补偿|赔偿|红包|折扣|返现)", re.I)
_SENTENCES = re.compile(r"[^.!?。！？\n]+[.!?。！？]?")
# a change only staff may make: cancel, a new address, an order marked delivered or paid
WRITE_ASK = re.compile(
    r"\bcancel(?:l?ing|l?ed)?\s+(?!(?:my |the |a )?(?:return|request))(?:my|(?:the|this|that) "
    r"(?:order|parcel|lantern|purchase)|order|orders|#?\d)|\b(?:please|pls|plz|can you|could you|want to|wanna|need to|"
    r"like to|help me|just|to|(?:can|could|may|how do|how can) (?:i|we))\s+cancel\b|^\s*cancel\b|"
    r"\b(?:change|update|edit|correct|amend|modify) (?:my |the )?(?:account |delivery |shipping |"
    r"billing |contact )?(?:address|phone(?: number)?|(?:mobile )?number|e-?mail(?: address)?|name|"
    r"contact details)\b|"
    r"\b(?:address|phone(?: number)?|number|e-?mail)\b[^.!?]{0,40}\b(?:updated|changed)\b|"
    r"\b(?:go|be sent|be delivered|deliver(?:ed)?|send it|ship it|redirect(?:ed)?)\b(?: it)? to "
    r"[^.!?]{3,60}\binstead\b|\bi(?:'ve| have) (?:just )?moved\b|"
    r"\bmark\b.{0,40}\b(?:as )?(?:delivered|received|paid|refunded|returned)\b|"
    r"(?<![已经没有])取消(?!了吗|了没|退货|退款|申请)|把.{0,20}取消|改地址|地址改|修改.{0,6}地址|更改.{0,6}地址|换地址|地址.{0,12}改成|"
    r"(?:手机号|电话|邮箱|联系方式|姓名|名字|收货人)(?:码)?.{0,6}(?:换成|改成|改为|更新|修改)|"
    r"标记(?:为|成)|改(?:为|成)已(?:签收|付款|退款)|设(?:为|成)已签收|改价|点(?:一下|下)?已?签收|"
    r"地址.{0,20}改(?:到|成|为)|改(?:到|成|寄到)[^，。！？]{0,12}(?:省|市|区|县|路|街|号)", re.I)
# words that ask to return or refund an item, stronger than a cancel in the same message
RETURN_WORDS = re.compile(r"\b(?:return(?:ing|ed)?|refund|send (?:[\w'-]+ ){0,3}back|take "
                           r"(?:[\w'-]+ ){1,3}back)\b|退货|退款|退回|寄回", re.I)
# a customer correcting an order number: "I typed 200001 by mistake, it's 100001"
CORRECTION = re.compile(r"\b(?:by mistake|mistyped|typo|wrong (?:order )?number|i meant|the right "
                         r"one|the correct one|correction)\b|打错|写错|输错|搞错|不是.{0,12}是", re.I)
# a return of every item of an order: "both of them", "the whole order", "整单退", "全部退"
WHOLE_ORDER = re.compile(
    r"\b(?:all (?:of )?(?:them|the items|my items|items|it)|both(?: of them| items)?|everything|"
    r"the (?:whole|entire) order|all items)\b|全部|整单|都退|全都|所有商品|两件都|都要退|全退", re.I)

# items the customer keeps: "I'm keeping the lipstick", "口红留着"
KEPT_ITEM = re.compile(
    r"\b(?:keep(?:ing)?|not|except|apart from|but not)\s+(?:the\s+|my\s+)?[a-z]+(?:\s+[a-z]+)?|"
    r"(?:留着|保留|不退|不用退)[^，。,.!！?？]{0,8}|[^，。,.!！?？]{0,8}(?:留着|不退了?|不用退|我要留)", re.I)



_ACT_ON_IT = re.compile(r"\b(?:do what it says|action (?:this|it)|execute|follow (?:it|this|"
                        r"the)|run (?:it|this)|know what to do|carry (?:it|this) out|decode and)\b|"
                        r"执行|照做|按这个|照着做|按照.{0,4}(?:做|办)", re.I)
_SENSITIVE_WORDS = re.compile(r"\d{4,}|\b(?:customers?|e-?mails?|phones?|address(?:es)?|"
                              r"passwords?|admin|refunds?|discounts?|coupons?|vouchers?|database|"
                              r"system|instructions?|rules?)\b|地址|电话|订单|客户|顾客|退款|密码|优惠|"
                              r"指令|规则|系统|数据库", re.I)


def harmless_encoded(finding: InjectionFinding, message: str) -> bool:
    """Base64 in a message that decodes to plain words asking nothing of us ("Happy birthday
    Alice", a parcel label): data, not an attack. Encoded instructions, anything about
    customers, orders, remedies or the system, and any message that asks us to act on the
    encoded text stay findings."""
    if not finding.encoded or finding.kind != "encoded_text" or _ACT_ON_IT.search(message):
        return False
    text = finding.text
    return not (_SENSITIVE_WORDS.search(text) or OTHERS_DATA.search(text)
                or REMEDY_ASK.search(text) or WRITE_ASK.search(text)
                or message_handoff_reason(text, ""))


def about_others(message: str) -> bool:
    """Whether the message asks about other customers: who bought something, another person's
    orders, or a contact detail of someone who is not the asker."""
    return bool(OTHERS_DATA.search(message) or (
        asks_contact(message) and THIRD_PARTY.search(message)))


def asks_contact(message: str) -> bool:
    """Whether the message asks for a contact detail that is not the asker's own."""
    return bool(CONTACT_ASK.search(message)) and not OWN_CONTACT.search(message)


def asks_remedy(message: str) -> bool:
    """Whether a sentence of the message asks for a voucher, discount, gift card or
    compensation (one named to be declined, "no voucher, just a refund", is not asked for)."""
    return any(REMEDY_ASK.search(sentence) and not NOT_WANTED.search(sentence)
               for sentence in _SENTENCES.findall(message))


def asks_change(message: str) -> bool:
    """Whether the message asks for a change only staff may make: a cancellation, a new
    address or contact detail, an order marked delivered or paid."""
    return bool(WRITE_ASK.search(message))
