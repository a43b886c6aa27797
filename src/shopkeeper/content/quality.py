"""How copy reads, beside what it claims: the checks a merchant makes before publishing.

- **repeat**: the same phrase twice in one text ("展现出独特的魅力 … 展现出独特的魅力");
- **bare noun**: a sentence that is only a noun phrase ("这款裙子。");
- **head noun**: the product named by a word of another category or by a modifier alone
  ("这一款蛋糕" for a skirt, "风格的a字", "的衣身" for trousers).

They are about Chinese copy, where template text goes wrong in these ways; English copy gets the
repeat check. ``bench/content_eval.py`` runs them on every output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shopkeeper.content.facts import ProductFacts

REPEAT_CHARS = 5  # the shortest phrase counted as repeated ("的设计" is glue, not a phrase)
_SENTENCES = re.compile(r"[^。！？!?\n]+")
_CLAUSES = re.compile(r"[^，。！？；,;!?\n]+")
_MASK = re.compile(r"<unk>|brand")  # AdvertiseGen's masked words in human copy
_PUNCT = re.compile(r"[\s，。！？；：、,.;:!?“”\"'（）()【】]")
_DEMONSTRATIVE = re.compile(r"^(?:这款|这一款|这件|这一件|这条|这一条|这套|此款)")

# The garment words a head noun ends with, per AdvertiseGen's 类型.
HEADS = {
    "裙": ("裙", "裙子", "裙装"),
    "裤": ("裤", "裤子", "裤装"),
    "上衣": ("衣", "衫", "装", "套", "服", "恤", "polo", "背心", "马甲", "夹克", "毛衣", "卫衣",
             "外套", "风衣", "西装", "上衣"),
}
_CATEGORY_ALIASES = {"skirt": "裙", "dress": "裙", "trousers": "裤", "pants": "裤", "top": "上衣",
                     "裙子": "裙", "裤子": "裤", "连衣裙": "裙", "半身裙": "裙"}
_TOPS = ("衬衫", "衬衣", "卫衣", "外套", "西装", "风衣", "针织衫", "开衫", "毛衣", "马甲", "棒球服",
         "雪纺衫", "polo", "冲锋衣", "打底衫", "t恤", "上衣", "夹克", "背心", "大衣", "羽绒服",
         "棉服", "吊带衫")
_GARMENT = re.compile("(?P<skirt>裙(?![摆身边腰长型]))|(?P<trousers>裤(?![腿脚身口腰型长]))|"
                      f"(?P<top>(?:{'|'.join(_TOPS)})(?![裙裤]))", re.I)
_GARMENT_KIND = {"skirt": "裙", "trousers": "裤", "top": "上衣"}
# Body parts of a garment that belong to one category only.
_WRONG_PART = {"裤": ("衣身", "裙身", "裙摆"), "上衣": ("裙身", "裙摆", "裤身", "裤腿", "裤脚"),
               "裙": ("裤身", "裤腿", "裤脚")}


@dataclass(frozen=True)
class CopyIssue:
    """One thing a reader would stumble on: its kind, the words, and why."""

    kind: str  # repeat | bare_noun | head_noun
    text: str
    detail: str


def copy_issues(text: str, facts: ProductFacts | None = None,
                lang: str = "zh") -> list[CopyIssue]:
    """The repeats, bare noun-phrase sentences and wrong head nouns in ``text``."""
    issues = _repeats(text, facts, lang)
    if lang == "zh":
        category = garment_category(facts) if facts is not None else None
        issues += _bare_nouns(text, category)
        if category is not None:
            issues += _head_nouns(text, category)
    return issues


def garment_category(facts: ProductFacts) -> str | None:
    """裙, 裤 or 上衣 when the facts say the product is one, else None."""
    for value in [*facts.values("类型", "type", "category"), facts.category]:
        value = value.strip().lower()
        if value in HEADS:
            return value
        if value in _CATEGORY_ALIASES:
            return _CATEGORY_ALIASES[value]
    return None


def _repeats(text: str, facts: ProductFacts | None, lang: str) -> list[CopyIssue]:
    """Phrases of :data:`REPEAT_CHARS`+ characters (words in English: four) said twice, other
    than a fact restated; overlapping repeats are one phrase."""
    values = {v.lower() for _, v in facts.attributes} if facts is not None else set()
    size = 4 if lang == "en" else REPEAT_CHARS
    found: list[CopyIssue] = []
    seen: set[tuple[str, ...]] = set()
    glue = " " if lang == "en" else ""
    for units in _runs(text, lang):
        run: list[str] = []  # the repeated phrase being extended, unit by unit
        for i in range(len(units) - size + 1):
            gram = tuple(units[i:i + size])
            said = glue.join(gram)
            if gram in seen and not any(said in v for v in values):
                run = run + [units[i + size - 1]] if run else list(gram)
            elif run:
                found.append(_repeat(glue.join(run)))
                run = []
            seen.add(gram)
        if run:
            found.append(_repeat(glue.join(run)))
    return found


def _runs(text: str, lang: str) -> list[list[str]]:
    """The text's stretches between punctuation (and AdvertiseGen's masked words) as units:
    characters, or English words."""
    if lang == "en":
        return [re.findall(r"[a-z']+", p) for p in re.split(r"[,.;:!?()\"]", text.lower())]
    return [list(p) for p in _PUNCT.split(_MASK.sub(" ", text.lower())) if p]


def _repeat(phrase: str) -> CopyIssue:
    return CopyIssue("repeat", phrase, f"'{phrase}' is said twice")


def _bare_nouns(text: str, category: str | None) -> list[CopyIssue]:
    """Sentences with no clause break that open with 这款… or end on a garment word: a noun
    phrase standing alone ("这款裙子。", "嘻哈风格的卫衣。")."""
    heads = HEADS.get(category or "", ()) or tuple(h for hs in HEADS.values() for h in hs)
    found = []
    for sentence in _SENTENCES.findall(text):
        s = sentence.strip()
        if not s or _CLAUSES.fullmatch(s) is None:
            continue  # has a clause break: there is room for a predicate
        if (_DEMONSTRATIVE.match(s) and len(s) <= 16) or s.endswith(heads):
            found.append(CopyIssue("bare_noun", s, f"'{s}' is a noun phrase, not a sentence"))
    return found


def _head_nouns(text: str, category: str) -> list[CopyIssue]:
    """The first garment the opening names must be of ``category``, and an opening that is a
    noun phrase must end on a garment ("这一款蛋糕", "风格的a字" do not); parts of another
    garment (衣身 on trousers) are wrong anywhere."""
    found = []
    clauses = _CLAUSES.findall(text)
    opening = clauses[0].strip() if clauses else ""
    garments = [(m.start(), _GARMENT_KIND[m.lastgroup or ""]) for m in _GARMENT.finditer(opening)]
    if garments:
        kind = min(garments)[1]
        if kind != category:
            word = next(m.group(0) for m in _GARMENT.finditer(opening))
            found.append(CopyIssue("head_noun", word,
                                   f"'{word}' names a {kind} product, not a {category}"))
    elif _DEMONSTRATIVE.match(opening) or re.search(r"风格?的[^的]{1,4}$", opening):
        tail = opening.rsplit("的", 1)[-1] if "的" in opening else _DEMONSTRATIVE.sub("", opening)
        if 0 < len(tail) <= 4:
            found.append(CopyIssue("head_noun", tail, f"'{tail}' does not name a {category}"))
    for part in _WRONG_PART.get(category, ()):
        if part in text:
            found.append(CopyIssue("head_noun", part, f"'{part}' is not part of a {category}"))
    return found
