"""When a conversation goes to a person, and what that person gets.

Triggers: a threat of violence, a reported injury or harm to health, a threat to go to the press
or social media, a legal threat, anger, an explicit request for a person, repeated failure to help,
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
    r"投诉到|找好律师|找了律师|联系律师", re.I)
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
VIOLENCE = re.compile(
    r"\b(?:kill (?:you|someone|them|your)|hurt (?:you|someone|your staff|your people)|"
    r"burn (?:your|the) (?:shop|store|place|warehouse) down|smash (?:up )?(?:your|the) "
    r"(?:shop|store|place|office)|beat (?:you|him|her|them) up|bomb (?:you|your)|"
    r"shoot (?:you|someone|your)|(?:you'll|you will) regret it when i (?:find|see) you|"
    r"i know where you (?:live|work)|(?:come|coming|turn up|show up) (?:down |round |over )?"
    r"(?:there |to your \w+ )?(?:and|to) (?:smash|wreck|trash|hurt|sort you)|"
    r"(?:bring|bringing) (?:some )?(?:mates|friends|people|lads) (?:round|over|down)|"
    r"(?:someone|somebody|people|you)(?:'s| is| are|'re|'ll| will)? (?:going to|gonna|will) "
    r"(?:get|be) (?:hurt|beaten|sorted out))\b|"
    r"杀了你|弄死你|砍死|砍了你|打死你|揍你|炸了你|烧了你们|砸了你们|砸你们的店|去你们店里闹|找人收拾你|"
    r"让你好看|等着瞧吧我去找你|带人(?:过去|过来|上门|去|来)|找人算账|见一个(?:揍|打)一个|"
    r"(?:过去|过来|上门|到你们.{0,4})(?:把.{0,6})?砸", re.I)
INJURY = re.compile(
    r"\b(?:injur(?:y|ed|ies)|hurt (?:me|my|myself|him|her|them|us)|(?:burn(?:ed|t)|cut|scald(?:ed)?"
    r"|shocked) (?:me|my|myself|him|her)|allergic reaction|(?:came out in|gave me|broke out in) "
    r"(?:a )?rash|(?:went|go|ended up|taken|rushed) (?:in|to) (?:the )?(?:hospital|a&e|er)|"
    r"emergency room|food poisoning|made (?:me|us|my \w+) (?:sick|ill)|(?:an )?electric shock|"
    r"caught fire|exploded|choked on|choking hazard|(?:a |got a |nasty |bad |serious )burns?\b|"
    r"burns? (?:on|to) (?:my|his|her|their)|swell(?:ed|ing)? up|(?:lips?|face|eyes?|skin|throat)"
    r"[^.!?]{0,20}\b(?:swell|swollen)|swollen (?:lips?|face|eyes?|skin|throat)|"
    r"(?:a|got a|have a|with a) rash (?:on|all|round|around|over|after)|hives\b|antihistamines?|"
    r"epipen|anaphyla\w*|(?:i'?m|i am|i was|he'?s|he is|he was|she'?s|she is|she was|started|"
    r"kept|won'?t stop|wouldn'?t stop) bleeding|needed stitches|(?:got|had|have|gave me|left) (?:\d+ )?(?:stitches|"
    r"blisters?)|"
    r"(?:cut|sliced|gashed) (?:my|his|her) (?:hand|finger|thumb|foot|lip|arm|leg)s?)\b|"
    r"受伤|烫伤|划伤|割伤|烧伤|弄伤|伤到|过敏了|过敏反应|导致过敏|引起过敏|用了过敏|起疹子|起红疹|"
    r"进医院|住院|去医院|急诊|食物中毒|吃坏|拉肚子|触电|漏电|着火|爆炸|噎住|流血|流了.{0,4}血|"
    r"划.{0,6}(?:口子|伤口)|(?:手|脚|嘴|脸)(?:被)?(?:划|割|烫)|缝针|(?:手|脚|皮肤|嘴|脸)上?起了?水?泡|"
    r"烫起泡|红肿|肿了|肿起来", re.I)
MEDIA = re.compile(
    r"\b(?:(?:go|going|went)(?: straight| right)? to the (?:press|media|papers|newspapers?|news|"
    r"bbc|itv|watchdog)|contact(?:ing)? "
    r"(?:the )?(?:press|media|journalists?|newspapers?|bbc|watchdog)|(?:i'?ll|i will|i'?m|i am|"
    r"going to|gonna|unless|or else|otherwise)\b[^.!?]{0,40}\b(?:post|posting|share|"
    r"sharing|put|putting|upload|uploading)\b[^.!?]{0,30}\b(?:on|all over|to) (?:social "
    r"media|twitter|x|facebook|instagram|tiktok|reddit|youtube|trustpilot|the internet|"
    r"mumsnet|weibo)|(?:email|emailing|e-mail|write to|writing to|contact|contacting|tell|"
    r"telling|call|calling|ring|ringing) (?:the )?(?:bbc|itv|press|media|papers|newspapers?|"
    r"news|watchdog|which\?)|\bbbc\b[^.!?]{0,30}\b(?:programme|watchdog|news)|"
    r"tell (?:everyone|the world|all my followers)|go(?:es)? viral|"
    r"(?:name and shame|expose you))\b|"
    r"曝光(?:你们|你家|这家|商家|店铺|黑店)|(?:把你们|给你们|网上|到网上|去网上)曝光|找媒体|找记者|联系记者|上新闻|"
    r"让大家都知道|让所有人都知道|挂你们|网上挂|"
    r"(?:再不|不然|否则|要是不|如果不|不给)[^。！？]{0,16}(?:发微博|发到网上|发抖音|发小红书|发朋友圈)|"
    r"(?:发微博|发到网上|发抖音|发小红书|发朋友圈)[^。！？]{0,8}(?:曝光|吐槽|骂|投诉|揭露|避雷|差评)", re.I)
# shouting counts as anger only with words of waiting or failure, so "I'm buying TWO!!!" does not
SHOUTING = re.compile(r"(?:[!！]{3,}|\b[A-Z]{3,}(?:\s+[A-Z]{2,}){3,}\b)")
WAITING = re.compile(r"\b(?:where|still|waiting|never|why|not|no)\b|还没|没有|不|怎么还|为什么",
                     re.I)


def message_handoff_reason(text: str, intent: str) -> str | None:
    """The reason this message alone must go to a person, or None."""
    if VIOLENCE.search(text):
        return "threat of violence"
    if INJURY.search(text):
        return "injury reported"
    if LEGAL.search(text):
        return "legal threat"
    if MEDIA.search(text):
        return "media threat"
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
