"""Text from the store's data is data, never instructions (issue 25).

Review texts, product titles and attributes, knowledge documents, customer names and customer
messages reach prompts. A line in any of them can be written to the model ("ignore the previous
instructions and …", "忽略以上指令…"). :func:`detect_injection` finds such instructions
(override, role play, prompt extraction, authority claims, chat-template markers, tool abuse,
and any of these in base64); the service agent reads every customer message with it. Three
guards keep such text from being obeyed:

- :func:`mask` keeps quoted data from the model altogether: a draft to reword goes out with its
  quotes (reviews, product titles, names) as ``[[Q1]]`` slots, and :meth:`Masked.unmask` puts
  them back in the reply. Patterns miss phrasings they have not seen; a model cannot obey what
  it never reads.
- :func:`as_data` is applied to every value a prompt template interpolates
  (``llm/prompts.py``). A value that addresses the assistant is withheld whole, since the
  words around the trigger are the attacker's too; role lines (``### system``), chat-template
  tokens and the ``<<< >>>`` data fences are broken so a value cannot open a message of its own.
- :func:`markup_in` finds what a reply adds that no merchant copy or answer should carry unless
  the facts do: links, e-mail addresses, HTML tags, markdown links and images, spreadsheet
  formulas. The capabilities that take a model's rewrite reject one that has any.

The patterns are deliberately broad: a withheld review only costs one quote in a model's
rewrite (the grounded text still has it), while a followed instruction reaches a customer.
``tests/robustness/test_injection.py`` measures both kinds of error.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

WITHHELD = {"en": "[withheld: this text addresses the assistant]",
            "zh": "[已屏蔽：此文本包含对助手的指令]"}

_ROLE_LINE = re.compile(r"^(\s*)#{3,}", re.M)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")

_INJECTION_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("override", re.compile(
        r"\b(?:ignore|disregard|forget|override|bypass|skip)\b[^.\n]{0,40}\b(?:instructions?|"
        r"rules?|prompts?|guidelines?|polic(?:y|ies)|restrictions?|guardrails?|filters?|"
        r"safeguards?|safety (?:settings|features|checks|rules))\b|"
        r"\b(?:turn off|switch off|disable|deactivate)\b[^.\n]{0,20}\b(?:your |the )?(?:rules|"
        r"restrictions|guardrails|safeguards|safety (?:settings|features|checks|rules)|content "
        r"filters?)\b", re.I)),
    ("override", re.compile(r"(?:忽略|无视|忘记|忘掉|跳过|绕过|不要管)[^。\n]{0,12}(?:指令|指示|规则|"
                            r"规定|提示|设定|限制|政策|要求|约束)|(?:安全)?限制已(?:解除|取消|关闭)|"
                            r"(?:关闭|解除|取消|关掉)(?:你的)?(?:安全)?(?:限制|规则|过滤)|"
                            r"规则已(?:失效|删除|取消)")),
    ("role_play", re.compile(
        r"\b(?:you are now|from now on,? you|act as|pretend (?:to be|you are|you're|youre)|"
        r"role[- ]?play|(?:developer|maintenance|debug|god|admin|test) mode|jailbreak|"
        r"(?:late |dead |deceased )?(?:nan|nana|gran|grandma|grandmother|granny)\b[^.!?]{0,40}"
        r"(?:used to|would) (?:read|tell|say|give|recite)|(?-i:DAN)|do anything now|simulate being|let'?s play a game|"
        r"imagine (?:that )?you|you are (?:a|an) (?:\w+ ){0,3}(?:database|terminal|shell|ai|"
        r"bot|model|assistant without)|you (?:now )?(?:have|with|without) (?:no|any) (?:rules|restrictions|"
        r"limits|filters|guardrails)|stay in character|"
        r"(?:your|the|all) (?:rules|restrictions|guidelines|filters) (?:got|are|have been|were) "
        r"(?:deleted|removed|disabled|lifted|gone|switched off|turned off)|"
        r"you(?:'re| are) '?\w+'?,? an? (?:\w+ )?(?:rogue|evil|unfiltered|unrestricted|uncensored))\b",
        re.I)),
    ("role_play", re.compile(r"(?:你现在是|你现在扮演|从现在起你|扮演|假装你?是|角色扮演|开发者模式|越狱|"
                             r"进入.{0,4}模式|调试模式|维护模式|别出戏|不要出戏|保持角色|"
                             r"(?:奶奶|外婆|姥姥)[^。！？]{0,16}(?:以前|过去|总是|常常)?(?:给我|跟我)?(?:念|读|讲)"
                             r")")),
    ("prompt_extraction", re.compile(
        r"\b(?:system prompt|initial prompt|hidden prompt|"
        r"(?:show|print|reveal|repeat|tell me|what are|give me|share|output|display|leak|dump|"
        r"paste|translate|summari[sz]e|rewrite|copy|recite|spell out|list)"
        r"\s+(?:me\s+)?(?:out\s+)?(?:all\s+(?:of\s+)?)?(?:your|the)\s+(?:full\s+|complete\s+|"
        r"entire\s+|original\s+|exact\s+|whole\s+|hidden\s+|secret\s+)?(?:instructions|prompt|"
        r"rules(?!\s+(?:on|for|about|regarding|around|when|if|of)\b)|configuration|"
        r"system (?:message|prompt|instructions))|"
        r"(?:what|which) (?:instructions|rules|prompts?|guidelines) (?:did|have|has) (?:ur|your|the) "
        r"(?:developers?|creators?|makers?|owners?|company|programmers?) (?:give|set|write|gave)|"
        r"what (?:were|have) you (?:been )?(?:told|instructed|given|programmed)[^.\n]{0,20}"
        r"\b(?:before|prior|at the start)|"
        r"(?:text|instructions|words|message|everything|whatever) you were (?:given|told|sent|fed) "
        r"(?:before|prior to|at the start)|"
        r"(?:your|the) (?:initial|original|hidden|secret|underlying|pre-?set) (?:instructions|prompt|"
        r"rules|guidelines|configuration)|"
        r"repeat (?:the|everything|all)[^.\n]{0,20}(?:above|before))\b", re.I)),
    ("prompt_extraction", re.compile(r"(?:系统提示|提示词|你的指令|你的设定|初始指令|内部指令|"
                                     r"把上面(?:所有|全部)?的?(?:内容|话|文字)|重复.{0,6}(?:指令|提示)|"
                                     r"(?:开发者|开发人员|程序员|主人|公司)给你(?:设|定|写|加)了?.{0,6}"
                                     r"(?:规则|指令|设定|限制)|(?:规则|指令|设定)(?:全部|都)?列出来|"
                                     r"(?:对话|聊天|会话)开始(?:之)?前.{0,12}(?:内容|指令|信息|设定|消息|话)|"
                                     r"(?:复述|翻译|输出|打印|背诵|念)(?:一遍)?.{0,12}(?:系统|初始|隐藏)"
                                     r"(?:消息|提示|指令|设定))")),
    ("authority_claim", re.compile(
        r"\b(?:i am|i'm|im|this is|as|speaking as) (?:an? |the |your )?(?:[\w-]+ ){0,2}?"
        r"(?:admin|administrator|developer|sysadmin|root|staff|employee|owner|manager|"
        r"supervisor|police|officer|moderator)\b|"
        r"\b(?:admin|sudo|root) (?:mode|access|override)\b", re.I)),
    ("authority_claim", re.compile(r"(?:我是|作为)(?:你们的|本店的|店铺的)?(?:管理员|系统管理员|开发者|"
                                   r"开发人员|店长|老板|客服主管|主管|经理|警察|工作人员)")),
    ("template_marker", re.compile(r"<\|im_start\|>|<\|system\|>|\[INST\]|<<SYS>>|^\s*#{2,}\s*"
                                   r"system\b|</?system>", re.I | re.M)),
    # a bracketed notice that claims to come from the system: "[assistant directive: …]",
    # "【系统通知：…】"
    ("template_marker", re.compile(
        r"[\[【〔(（<{]\s*(?:(?:system|assistant|admin|developer|sys|ai)\s+(?:directive|instruction|"
        r"notice|note|message|override|command|update|alert)s?|(?:系统|管理员|后台|平台|官方)(?:通知|指令|"
        r"消息|提示|公告|命令|说明))\s*[:：\]】〕)）>}]", re.I)),
    ("tool_abuse", re.compile(
        r"\b(?:call|run|execute|invoke) (?:the )?(?:tool|function|sql|query|command)\b|"
        r"\bselect\s+\*?\s*.{0,30}\bfrom\b|\bdrop table\b", re.I)),
]
_BASE64 = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{16,}={0,2}(?![A-Za-z0-9+/=])")
# Data that asks the model to put something in its reply, or speaks to the model by name: no
# review, title or document has a reason to. (Customer messages are read by
# detect_injection alone: "please answer in English" is a fair thing for a customer to ask.)
_DIRECTIVES = re.compile("|".join(f"(?:{p})" for p in [
    r"\b(?:new|updated|real|actual|revised|hidden|secret)\s+(?:instructions?|task|"
    r"directives?|orders)\s*[:：]",
    r"\b(?:in|into|to|at the end of|at the start of)\s+(?:your|every|each)\s+"
    r"(?:reply|replies|answer|answers|response|responses|summary|summaries|output)\b",
    r"\b(?:reply|respond|answer|output)\s+(?:only|exactly|just|solely)\b|"
    r"\b(?:reply|respond|answer|output)\s+(?:with\s+)?(?:the\s+)?(?:words?|phrase|"
    r"code(?:\s*word)?|string|token)\b",
    # "forget everything you were told", "your only task is …"
    r"\b(?:ignore|disregard|forget)\s+(?:everything|anything|all(?:\s+of)?(?:\s+(?:that|this|"
    r"the))?)\s+(?:you\s+(?:were|have been|'ve been)\s+(?:told|given|taught)|(?:said|written|"
    r"stated)\s+(?:above|before)|above|before|previously|so far)\b",
    r"\byour\s+(?:only|real|new|sole|true|actual|next|one)\s+(?:task|job|goal|mission|"
    r"purpose|instructions?)\b",
    r"\b(?:print|say|write|repeat|type|include|add|append)\s+(?:only\s+|exactly\s+|just\s+)?"
    r"(?:the\s+)?(?:words?|phrase|code(?:\s*word)?|string|token|sentence|text|link)\s*"
    r"[:\"'“‘「]",
    r"\b(?:dear|hey|hi|attention|note to(?: the)?|message (?:to|for)(?: the)?)\s+(?:ai|"
    r"assistant|chatbot|bot|model|llm|gpt|language model)\b",
    r"(?:(?-i:\bAI)|\bassistant|\bchatbot|\blanguage model|\bLLM)s?\b[^.!?\n]{0,30}\b(?:must|should|shall|"
    r"has to|have to|needs? to|is required to|will now)\b",
    r"\b(?:system|developer|admin|administrator)\s+(?:message|note|override|command)\b",
    r"(?:^|[\[(<{|])\s*(?:system|assistant|developer)\s*[:\]>|)]",
    r"<\|[a-z_]+\|>|\[/?INST\]|<</?SYS>>",
    r"(?:在|于)?你的(?:回复|回答|答复|输出|总结|摘要|文案|描述|标题)(?:里|中|末尾|开头|最后)",
    r"(?:回复|回答|答复|输出|总结|摘要)(?:时|里|中)?(?:必须|一定要|务必|请|要|需要|需|须|应该|"
    r"应)(?:加上|包含|写上|附上|带上|提到|说|写|输出|告诉)",
    r"管理员指令|管理员命令|(?:你|助手)(?:唯一|真正|新)的(?:任务|工作|目标)",
    r"(?:只|仅)(?:回复|回答|输出|说)[^。！？\n]{0,6}(?:这|以下|下面)",
    r"(?:AI|ai|人工智能|助手|机器人|模型)[^。！？\n]{0,10}(?:必须|应该|应当|务必|一定要|请你|你要)",
    r"(?:致|亲爱的|注意)\s*(?:AI|ai|人工智能|助手|机器人|模型)",
    r"(?:新的?|真正的|隐藏的?)(?:指令|任务|规则)\s*[:：]",
    # role play, in the words that only an instruction uses ("act as" and 扮演 are common in
    # reviews of books, films and batteries)
    r"\byou\s+(?:are|'re)\s+now\s+(?:a|an|the|my|called|named|DAN|in\s+\w+\s+mode)\b|"
    r"\bfrom now on,?\s+(?:you|the assistant)\b|"
    r"\bpretend\s+(?:that\s+)?you(?:'re| are)\b|\b(?:developer|god|admin)\s+mode\b|"
    r"\bjailbreak|\bdo anything now\b",
    r"你现在是|你现在扮演|从现在(?:开始|起)，?你|假装你是|请你?扮演|开发者模式|越狱",
    r"\b(?:system|hidden|initial)\s+prompt\b|\b(?:reveal|print|show|repeat)\s+(?:me\s+)?"
    r"(?:your|the)\s+(?:instructions|prompt|system)|系统提示词|你的(?:指令|设定|提示词)",
    # what the reader's own output must hold: said of "the reply", "when you answer" …
    r"\b(?:when|whenever|once)\s+you\s+(?:answer|reply|respond|summari[sz]e|"
    r"write\s+(?:the|your|a)\s+(?:reply|answer|summary|response))\b",
    r"\b(?:make sure|ensure|be sure|see to it)\s+(?:that\s+)?(?:the|your|every|each|this)\s+"
    r"(?:reply|replies|answer|response|summary|output)\b",
    r"\b(?:the|your|every|each)\s+(?:reply|replies|answer|response|summary|summaries|output)"
    r"\s+(?:must|shall|has to|have to|needs? to)\s+(?:end|start|begin|finish|close|include|"
    r"contain|mention|say|read)",
    r"\b(?:finish|end|close|sign off|conclude|start|begin)\s+(?:your|the|every|each)\s+"
    r"(?:reply|answer|response|summary|output|message)\s+with\b",
    r"\bas\s+(?:the|an?)\s+(?:ai|assistant|text generator|language model|chatbot|bot|model)\b"
    r"\s*[,:]",
    r"\bstop\s+what(?:ever)?\s+you(?:'re| are)\s+doing\b",
    r"\b(?:prior|previous|earlier|above|existing|original|all)\s+(?:guidance|guidelines|"
    r"instructions|rules|directions|prompts?|directives)\s+(?:is|are)\s+(?:now\s+)?(?:void|"
    r"cancell?ed|revoked|obsolete|null|invalid|superseded|suspended|lifted)\b|"
    r"\b(?:guidelines|instructions|rules|directives)\s+(?:no longer|don't|do not)\s+apply\b",
    r"[\"']role[\"']\s*:\s*[\"'](?:system|assistant|developer|tool)[\"']",
    r"\btell\s+(?:the|every|each|all)\s+(?:shoppers?|customers?|buyers?|users?|readers?)\s+"
    r"to\s+(?:click|visit|go to|use|enter|claim)\b",
    r"(?:不要|别|无需|不必|停止)(?:再)?(?:遵守|遵循|理会|按照|执行|听从)[^。！？\n]{0,10}(?:规定|规则|"
    r"指令|指示|要求|设定|提示)",
    r"(?:之前|以前|先前|此前|上面|上述|原来|原有)(?:收到|给你|给出|设定)?的?(?:所有)?(?:规定|规则|指令|"
    r"指示|设定|提示)(?:都|全部|一律)?(?:作废|无效|失效|取消|不再适用)",
    r"(?:答复|回复|回答|输出|总结|摘要|文案|描述|summary|reply|answer)\s*(?:的)?\s*(?:末尾|结尾|"
    r"开头|最后|最前)\s*(?:处)?\s*(?:请|要|务必|必须)?(?:加上|写上|附上|加入|带上|注明|输出|加)",
    r"给(?:AI|ai|人工智能|助手|机器人|模型|大模型|客服机器人)的(?:话|留言|消息|指令|提示|备注)",
    # an output order with a token in capitals, as a title or attribute is long enough to hold
    r"(?:^|[.;:(,，；：（]\s*|\b(?:also|kindly|please|then|and)\s+)(?:output|print|type|mention|"
    r"write|add|append|insert|say|put)\s+(?-i:[A-Z]{3,})\b[^.\n]{0,20}(?:\band\b|&|\bthen\b|"
    r"\bplus\b|\bfollowed by\b)",
]), re.I | re.M)
_DATA_KINDS = {"override", "template_marker"}


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


def looks_like_instruction(text: str) -> bool:
    """Whether data (a review, a title, a document) addresses the assistant: asks it to drop
    its instructions, take a role, reveal its prompt or put something in its reply. Claims of
    authority and SQL words, which reviews use innocently, do not count here."""
    text = unicodedata.normalize("NFKC", _CONTROL.sub("", text))  # ｉｇｎｏｒｅ is ignore
    return bool(_DIRECTIVES.search(text)) or any(
        f.kind in _DATA_KINDS for f in detect_injection(text))


_LINK = r"\b(?:https?|ftp|file|javascript|data|vbscript)\s*:[^\s<>\"')\]]*|\bwww\.[^\s<>\"')\]]+"
_DOMAIN = (r"\b[a-z0-9][a-z0-9-]{0,62}(?:\.[a-z0-9-]{1,63})*\."
           r"(?:com|net|org|io|cn|co|ru|xyz|top|info|biz|me|ly|link|shop|store|app|site|"
           r"online|club|vip|example)(?:/[^\s<>\"')\]]*)?\b")
_MARKUP = re.compile("|".join([
    _LINK,
    _DOMAIN,
    r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b",  # e-mail
    r"</?[a-z][a-z0-9-]*(?:\s[^<>]*)?/?>",  # an HTML tag
    r"!?\[[^\]\n]{0,200}\]\([^)\n]{0,500}\)",  # markdown link or image
    r"(?:^|\n)\s*[=+@][A-Za-z_(\"']",  # a line a spreadsheet would run as a formula
    r"&#?\w+;",  # an HTML entity: markup written the long way
]), re.I)


def as_data(value: object, lang: str = "en") -> object:
    """``value`` made safe to place in a prompt as data. Strings that address the assistant are
    withheld whole; in the rest, role lines and data fences are broken and control characters
    dropped. Anything but a string is returned as it is."""
    if not isinstance(value, str):
        return value
    text = _CONTROL.sub("", value)
    if looks_like_instruction(text):
        return WITHHELD.get(lang, WITHHELD["en"])
    text = _ROLE_LINE.sub(lambda m: m.group(1) + "#", text)
    return text.replace("<<<", "«").replace(">>>", "»")


_PIECE = 10  # a string this long or longer, found in a withheld text, is read in its context
_CONTEXT = 100  # characters of the withheld text either side of it
_PREFIX = 40  # a text holding this much of a withheld text's start (or all of a shorter
# one) holds a copy of it
_QUOTES = ("“”", '""', "「」", "‘’", "''")


def withhold_instructions(value: Any) -> tuple[Any, int]:
    """``value`` with every string (and dict key) that addresses an AI assistant withheld
    whole, and how many were. The results carry the store's own text (titles, reviews, names,
    narratives quoting them) to a calling agent (the MCP face), which may obey what it reads:
    an instruction planted in a review must reach it as a marker, not as words.

    A tool also passes on pieces of what it read: an aspect's example is one clause of a
    review, a text line quotes the first 300 characters of a narrative. A piece can miss the
    words that gave the whole away and keep the instruction. So a string that a withheld text
    quotes (a review summary's examples) is withheld with it; one found in it unquoted is
    read again with the text around it there (``_CONTEXT`` characters either side) and
    withheld if that addresses the assistant; and a string that holds the start of a withheld
    text (its first ``_PREFIX`` characters: a shortened copy) is withheld too. Give the
    structured content and the text line together (a list) so that each is read against the
    other."""
    flagged: list[str] = []

    def find(v: Any) -> None:
        if isinstance(v, str):
            if _addresses_assistant(v):
                flagged.append(v)
        elif isinstance(v, dict):
            for k, x in v.items():
                find(k)
                find(x)
        elif isinstance(v, list):
            for x in v:
                find(x)

    find(value)
    whole = set(flagged)
    count = 0

    def guard(v: Any) -> Any:
        nonlocal count
        if isinstance(v, dict):
            out = {}
            for k, x in v.items():
                key = guard(k) if isinstance(k, str) else k
                if key in out:  # two withheld keys: keep both values apart
                    key = f"{key} {len(out)}"
                out[key] = guard(x)
            return out
        if isinstance(v, list):
            return [guard(x) for x in v]
        if not isinstance(v, str):
            return v
        if v in WITHHELD.values():
            return v
        if v in whole or _piece_of(v, flagged):
            count += 1
            return WITHHELD["en"]
        return as_data(v)

    return guard(value), count


def _addresses_assistant(text: str) -> bool:
    withheld = WITHHELD.values()
    return text not in withheld and as_data(text) in withheld


def _piece_of(text: str, flagged: list[str]) -> bool:
    """Whether ``text`` is a piece of a withheld text that, read in its place there, addresses
    the assistant, or holds a shortened copy of a withheld text."""
    piece = text.strip()
    for whole in flagged:
        start = whole.strip()[:_PREFIX]  # a short withheld text counts whole
        if len(start) >= _PIECE and start in text:
            return True
        if len(piece) < _PIECE:
            continue
        if any(q[0] + piece + q[1] in whole for q in _QUOTES):  # quoted by it: its evidence
            return True
        at = whole.find(piece)
        while at >= 0:
            context = whole[max(0, at - _CONTEXT):at + len(piece) + _CONTEXT]
            if _addresses_assistant(context):
                return True
            at = whole.find(piece, at + 1)
    return False


def markup_in(text: str, trusted: Iterable[str] = ()) -> list[str]:
    """The links, addresses, tags, markdown and formula starts in ``text`` that none of the
    ``trusted`` texts contain (a policy's own contact address is fine)."""
    allowed = " ".join(trusted).casefold()
    return [m.group(0).strip() for m in _MARKUP.finditer(text)
            if m.group(0).strip().casefold() not in allowed]


_SLOT = re.compile(r"\[\[Q(\d+)\]\]")


@dataclass(frozen=True)
class Masked:
    """A draft with its quoted data replaced by ``[[Q1]]``, ``[[Q2]]`` …: what a model is sent
    to reword, so that no review, title or name it quotes can speak to the model."""

    text: str
    slots: dict[str, str]  # "[[Q1]]" -> the text it stands for

    def hide(self, text: str) -> str:
        """``text`` with each quoted string in it (of 3 characters or more: shorter ones could
        be part of any word, and cannot carry an instruction) replaced by its slot."""
        for slot, value in sorted(self.slots.items(), key=lambda s: len(s[1]), reverse=True):
            if len(value.strip()) >= 3:
                text = text.replace(value, slot)
        return text

    def unmask(self, reply: str, *, every_slot: bool = True) -> str | None:
        """``reply`` with the quoted data put back; None when it makes a slot up or, with
        ``every_slot``, drops one (the reply then invented, or lost, a quote). A quote written
        out in full counts as kept."""
        used = {m.group(0) for m in _SLOT.finditer(reply)}
        kept = used | {slot for slot, value in self.slots.items() if value in reply}
        if used - set(self.slots) or (every_slot and kept != set(self.slots)):
            return None
        return _SLOT.sub(lambda m: self.slots[m.group(0)], reply)


def mask(text: str, quoted: Iterable[str], *, shortest: int = 3) -> Masked:
    """``text`` with every occurrence of each ``quoted`` string (longest first; those shorter
    than ``shortest`` cannot carry an instruction and stay) replaced by a slot."""
    slots: dict[str, str] = {}
    for value in sorted({str(q) for q in quoted if len(str(q).strip()) >= shortest},
                        key=len, reverse=True):
        if value in text:
            slots[f"[[Q{len(slots) + 1}]]"] = value
    masked = Masked(text, slots)
    return Masked(masked.hide(text), slots)
