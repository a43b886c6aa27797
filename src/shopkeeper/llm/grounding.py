"""The grounding check: which claims in a generated text are not supported by its source facts.

It finds, in Chinese and English alike:
- attribute values (materials, colours, patterns, styles, garment parts…) and property claims
  (breathable, waterproof, 透气, 防水…) from the lexicon, matched as concepts across languages,
  so "copper" supports 铜 and "steel" is caught when the facts say copper;
- numbers, units, prices and percentages, normalised (750ml = 750 毫升 = 0.75 L), so a wrong
  number and a right number with a wrong unit are both caught;
- phrases no single word carries: body effects (修饰脸型, 拉长腿部比例), ease of use (穿脱方便),
  origins (来自梵凯, made in Italy), from the lexicon's regular expressions;
- colour counts (两色, 三种颜色) against the number of colours the facts state;
- text in the wrong language for the request.

Style words (时尚, 百搭, 优雅) are evaluation, not fact: they count towards coverage but are never a
violation. Words in a figurative or contrasting context (打破常规, 加长的视觉效果, 星星光泽,
搭配打底裤) are not claims about the product. A shade of a colour the facts state is supported
(红色 supports 暗红色); a different shade of a stated shade is not (浅蓝色 does not support 深蓝色).

Chinese is segmented with jieba, with every lexicon term added to its dictionary, so 网红 does
not read as the colour 红. The lexicon is ``lexicon/attributes.toml``; a merchant adds terms in
files of the same format (``load_lexicon(extra=...)``).

The check knows what the lexicon and the number patterns know: a claim in words it has never
seen (a new material name, say) passes unnoticed. Grow the lexicon to close such gaps.
"""

from __future__ import annotations

import functools
import logging
import re
import string
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from shopkeeper.errors import ConfigError
from shopkeeper.llm.quantities import Quantity, _close, find_quantities, supported

_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_GAP = re.compile(r"[ \t-]{1,3}")
_ZH_SUFFIXES = ("面料", "材质", "质地", "质", "制", "料", "款", "系")
_NOT_CLAIMS = {"style"}  # evaluative words: they count towards coverage, never as violations
_KIND_LABEL = {"material": "material", "colour": "colour", "pattern": "pattern",
               "style": "style", "garment": "product type", "part": "design detail",
               "fit": "fit", "length": "length", "claim": "claim", "size_word": "size"}


@dataclass(frozen=True)
class Term:
    id: str
    kind: str
    zh: tuple[str, ...]
    en: tuple[str, ...]
    broader: tuple[str, ...] = ()  # generic terms this one supports (连衣裙 → 裙子)


@dataclass(frozen=True)
class Mention:
    term: Term
    surface: str
    start: int
    end: int
    about: str = ""  # for a phrase: what it names (a brand, a country), supported by a fact


@dataclass(frozen=True)
class Phrase:
    """A claim no single word carries, as a regular expression for one concept."""

    term_id: str
    lang: str  # zh: only in text with Chinese in it; en: in any text
    pattern: re.Pattern[str]


class Lexicon:
    """Attribute concepts with their Chinese and English spellings."""

    def __init__(self, terms: Iterable[Term], phrases: Iterable[Phrase] = ()) -> None:
        self.terms = {t.id: t for t in terms}
        self.phrases = [p for p in phrases if p.term_id in self.terms]
        self._zh = {s.lower(): t for t in self.terms.values() for s in t.zh}
        self._en = {s.lower(): t for t in self.terms.values() for s in t.en}
        self._latin_zh = {s for s in self._zh if not _CJK.search(s)}
        self._en_words = max((len(s.split()) for s in self._en), default=1)

    @functools.cached_property
    def _tokenizer(self):
        import jieba

        jieba.setLogLevel(logging.WARNING)
        tokenizer = jieba.Tokenizer()
        for word in self._zh:
            tokenizer.add_word(word, freq=100_000)
        return tokenizer

    def find(self, text: str) -> list[Mention]:
        """Every lexicon term in ``text``, longest match first, in order."""
        found: list[Mention] = []
        has_cjk = bool(_CJK.search(text))
        if has_cjk or self._latin_zh:
            lowered = text.lower()
            whole = lowered.strip()
            for word, start, end in self._tokenizer.tokenize(lowered, HMM=False):
                token = text[start:end]
                if word in self._latin_zh and (_latin_at(text, start - 1) or _latin_at(text, end)):
                    continue  # 'ol' inside 'holder'
                if not has_cjk and (word not in self._latin_zh
                                    or (len(word) == 1 and whole != word)):
                    continue  # English text: only Latin spellings such as 'ol', 'polo'
                if word in self._zh:
                    found.append(Mention(self._zh[word], token, start, end))
                elif (stem := self._zh_stem(word)) is not None:
                    found.append(Mention(self._zh[stem], token, start, end))
        words = list(_LATIN_WORD.finditer(text))
        i = 0
        while i < len(words):
            for n in range(min(self._en_words, len(words) - i), 0, -1):
                span = words[i:i + n]
                if any(not _GAP.fullmatch(text[a.end():b.start()])
                       for a, b in zip(span, span[1:], strict=False)):
                    continue  # a phrase never runs across a line or a comma
                phrase = " ".join(w.group(0).lower().strip("'’-") for w in span)
                term = self._en.get(phrase) or self._en.get(_singular(phrase))
                if term:
                    found.append(Mention(term, text[span[0].start():span[-1].end()],
                                         span[0].start(), span[-1].end()))
                    i += n
                    break
            else:
                i += 1
        for phrase in self.phrases:
            if phrase.lang == "zh" and not has_cjk:
                continue
            for pm in phrase.pattern.finditer(text):
                if pm.end() > pm.start():
                    found.append(Mention(self.terms[phrase.term_id], pm.group(0), pm.start(),
                                         pm.end(), _named(pm)))
        found.sort(key=lambda m: (m.start, m.start - m.end))
        kept: list[Mention] = []
        for m in found:  # both passes may find 'polo shirt': keep the longest
            if not kept or m.start >= kept[-1].end:
                kept.append(m)
        return kept

    def _zh_stem(self, word: str) -> str | None:
        """The term inside a word jieba keeps whole: 钢质, 棉制, 丝绒面料, 铜壶."""
        for suffix in _ZH_SUFFIXES:
            stem = word.removesuffix(suffix)
            if stem != word and stem in self._zh:
                return stem
        # 铜壶, 棉袜, 防晒衣: a material or a claim and a one-character noun (not 棉花糖: the
        # rest is longer)
        for cut in range(len(word) - 1, 0, -1):
            head = word[:cut]
            if (len(word) - cut == 1 and head in self._zh
                    and self._zh[head].kind in ("material", "claim")):
                return head
        return None

    def supported_ids(self, texts: Iterable[str]) -> set[str]:
        """The concepts ``texts`` state, with the generic terms they imply."""
        return self.implied({m.term.id for t in texts for m in self.find(t)})

    def implied(self, ids: Iterable[str]) -> set[str]:
        """``ids`` with the generic terms they imply (连衣裙 → 裙子)."""
        ids = set(ids)
        todo = list(ids)
        while todo:
            for parent in self.terms[todo.pop()].broader:
                if parent not in ids and parent in self.terms:
                    ids.add(parent)
                    todo.append(parent)
        return ids

    def translate(self, value: str, lang: str) -> str:
        """``value`` in ``lang`` when the lexicon knows it as one concept, else unchanged."""
        mentions = self.find(value)
        if len(mentions) == 1 and mentions[0].surface.lower() == value.strip().lower():
            spellings = mentions[0].term.zh if lang == "zh" else mentions[0].term.en
            if spellings:
                return spellings[0]
        return value


def _named(match: re.Match[str]) -> str:
    try:
        return match.group("name") or ""
    except IndexError:
        return ""


def _latin_at(text: str, i: int) -> bool:
    return 0 <= i < len(text) and text[i].isascii() and text[i].isalpha()


def _singular(phrase: str) -> str:
    if phrase.endswith("ies"):
        return phrase[:-3] + "y"
    if phrase.endswith(("ches", "shes", "sses", "xes")):
        return phrase[:-2]
    return phrase[:-1] if phrase.endswith("s") and not phrase.endswith("ss") else phrase


def _read_lexicon(source: str, where: str,
                  fragments: Mapping[str, str] | None = None
                  ) -> tuple[list[Term], list[tuple[str, str | None, str, str]], dict[str, str]]:
    """A lexicon file's terms; its phrases as (id, kind, lang, pattern) with ${fragment}s filled
    in; and its fragments."""
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"lexicon {where}: {exc}") from None
    terms = []
    for n, entry in enumerate(data.get("term", []), start=1):
        if "id" not in entry or "kind" not in entry:
            raise ConfigError(f"lexicon {where}: term {n} needs an 'id' and a 'kind'")
        terms.append(Term(entry["id"], entry["kind"], tuple(entry.get("zh", ())),
                          tuple(s.lower() for s in entry.get("en", ())),
                          tuple(entry.get("broader", ()))))
    known = {**(fragments or {}), **{str(k): str(v) for k, v in data.get("fragment", {}).items()}}
    phrases = []
    for n, entry in enumerate(data.get("phrase", []), start=1):
        if "id" not in entry:
            raise ConfigError(f"lexicon {where}: phrase {n} needs an 'id'")
        for lang in ("zh", "en"):
            for raw in entry.get(lang, ()):
                pattern = string.Template(raw).safe_substitute(known)
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise ConfigError(f"lexicon {where}: phrase {n} ({entry['id']}): {exc}"
                                      ) from None
                phrases.append((entry["id"], entry.get("kind"), lang, pattern))
    return terms, phrases, known


@functools.lru_cache(maxsize=8)
def load_lexicon(extra: tuple[Path, ...] = ()) -> Lexicon:
    """The bundled lexicon plus the merchant's own files (same format; same id extends)."""
    source = resources.files("shopkeeper.llm").joinpath("lexicon", "attributes.toml")
    bundled, phrases, fragments = _read_lexicon(source.read_text(encoding="utf-8"),
                                                "attributes.toml")
    terms = {t.id: t for t in bundled}
    for path in extra:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"lexicon {path}: {exc.strerror}") from None
        more, more_phrases, _ = _read_lexicon(text, str(path), fragments)
        for t in more:
            old = terms.get(t.id)
            terms[t.id] = (Term(t.id, t.kind, old.zh + t.zh, old.en + t.en,
                                old.broader + t.broader) if old else t)
        phrases += more_phrases
    compiled = []
    for term_id, kind, lang, pattern in phrases:
        if term_id not in terms:
            if not kind:
                raise ConfigError(f"lexicon: phrase '{term_id}' needs a 'kind' (or a term "
                                  "with that id)")
            terms[term_id] = Term(term_id, kind, (), ())
        compiled.append(Phrase(term_id, lang, re.compile(pattern, re.I)))
    return Lexicon(terms.values(), compiled)


@dataclass(frozen=True)
class Facts:
    """What a text may say. ``attributes`` (name, value) also count for coverage; ``context``
    (a title, a price line, quoted reviews, a campaign theme) only supports claims."""

    attributes: tuple[tuple[str, str], ...] = ()
    context: tuple[str, ...] = ()

    @classmethod
    def of(cls, attributes: Mapping[str, str] | Sequence[tuple[str, str]] = (),
           context: Iterable[str] = ()) -> Facts:
        pairs = attributes.items() if isinstance(attributes, Mapping) else attributes
        return cls(tuple((str(k), str(v)) for k, v in pairs if str(v).strip()),
                   tuple(str(c) for c in context if c))

    def texts(self) -> list[str]:
        return [v for _, v in self.attributes] + list(self.context)


@dataclass(frozen=True)
class Violation:
    """One unsupported claim: what kind, the words as written, where, and why."""

    kind: str  # attribute, claim, number, unit, price, percentage, language
    text: str
    start: int
    end: int
    detail: str


@dataclass(frozen=True)
class GroundingReport:
    violations: list[Violation]
    covered: list[tuple[str, str]] = field(default_factory=list)
    missing: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def coverage(self) -> float:
        """Share of the attribute facts the text mentions (1.0 when there are none)."""
        total = len(self.covered) + len(self.missing)
        return len(self.covered) / total if total else 1.0


def check_grounding(text: str, facts: Facts, *, lang: str | None = None,
                    lexicon: Lexicon | None = None) -> GroundingReport:
    """Every attribute, claim, number, unit, price or percentage in ``text`` that ``facts`` do
    not support, plus a wrong-language verdict when ``lang`` (zh or en) is given."""
    lexicon = lexicon or load_lexicon()
    fact_texts = facts.texts()
    stated = {m.term.id for t in fact_texts for m in lexicon.find(t)}
    fact_ids = lexicon.implied(stated)
    fact_quantities = [q for t in fact_texts for q in find_quantities(t)]
    folded_facts = [f.casefold() for f in fact_texts]
    violations: list[Violation] = []
    mentions = lexicon.find(text)
    for m in mentions:
        if m.term.kind in _NOT_CLAIMS or not _claimed(text, m):
            continue
        if m.about:
            about = m.about.casefold()
            if any(about in f or (len(f) >= 2 and f in about) for f in folded_facts):
                continue
        elif _supported_term(m.term, fact_ids, stated, lexicon):
            continue
        kind = "claim" if m.term.kind == "claim" else "attribute"
        label = _KIND_LABEL.get(m.term.kind, m.term.kind)
        violations.append(Violation(kind, m.surface, m.start, m.end,
                                    f"{label} '{m.surface}' is not in the facts"))
    violations += _colour_enumerations(text, fact_ids)
    counts = _colour_counts(text) + _kind_counts(text)
    n_colours = _colour_count(stated, lexicon)
    for start, end, surface, n, of_colours in counts:
        if of_colours and n_colours and _close(n, n_colours):
            continue
        if any(_close(n, q.number) for q in fact_quantities):
            continue
        what = (f"the facts name {n_colours} colour{'s' if n_colours != 1 else ''}"
                if of_colours else "the facts have no such count")
        violations.append(Violation("number", surface, start, end, f"'{surface}': {what}"))
    for q in find_quantities(text):
        if any(s < q.end and q.start < e for s, e, *_ in counts):
            continue  # judged as a count above
        if _ERA.match(text, q.end):
            continue  # 18世纪, 90年代: a period the style recalls, not a fact about the product
        ok, same_number = supported(q, fact_quantities)
        if not ok:
            violations.append(_quantity_violation(q, same_number))
    if lang is not None and (wrong := check_language(_without(text, fact_texts), lang)):
        violations.append(wrong)
    text_ids = lexicon.supported_ids([m.surface for m in mentions])
    text_numbers = find_quantities(text)
    folded = text.casefold()
    covered, missing = [], []
    for name, value in facts.attributes:
        ids = {m.term.id for m in lexicon.find(value)}
        numbers = find_quantities(value)
        hit = (value.casefold() in folded or (ids and ids <= text_ids)
               or (numbers and all(any(n.same_amount(t) for t in text_numbers)
                                   for n in numbers)))
        (covered if hit else missing).append((name, value))
    return GroundingReport(sorted(violations, key=lambda v: v.start), covered, missing)


def _supported_term(term: Term, fact_ids: set[str], stated: set[str], lexicon: Lexicon) -> bool:
    """In the facts, or made of what is (牛仔外套, a denim jacket, when the facts say 牛仔布 and
    外套), or a shade of a colour the facts state as such (暗红色 when they say 红色; not
    深蓝色 when they say 浅蓝色)."""
    if term.id in fact_ids or (len(term.broader) >= 2
                               and all(b in fact_ids for b in term.broader)):
        return True
    if term.kind == "colour":
        parent = term
        while len(parent.broader) == 1 and parent.broader[0] in lexicon.terms:
            parent = lexicon.terms[parent.broader[0]]
            if parent.id in stated:
                return True
    return False


# Where a word is no claim about the product (the word is where the match ends or starts):
# what it breaks from or is compared with (打破常规, 摆脱纯色的沉闷, 和其他牛仔裤)
_CONTRAST = re.compile(r"(?:打破|摆脱|冲破|突破|告别|颠覆|区别于|不同于|有别于|比起|相比于?|其他|"
                       r"别的)[^，。；！？、,.;!?\s]{0,6}$")
# ... but a property said against something else is still claimed ("比其他面料更透气"): only
# breaking away from it is not
_BREAK_AWAY = re.compile(r"(?:打破|摆脱|冲破|突破|告别|颠覆)[^，。；！？、,.;!?\s]{0,6}$")
# a look, not a fact (加长的视觉效果, 视觉上的加长)
_VISUAL_AFTER = re.compile(r"^的?视觉(?:效果|感|上)?")
_VISUAL_BEFORE = re.compile(r"视觉上的?$")
# a likeness (星星光泽, 星星般, 宛如花朵)
_SIMILE_AFTER = re.compile(r"^(?:般|一般|似的|一样|光泽|点点)")
_SIMILE_BEFORE = re.compile(r"(?:如同?|像|宛如|仿佛|犹如|好似|好像)[^，。；！？,.;!?\s]{0,8}$")
# what to wear it with (搭配各种半身裙和休闲长裤, 内搭打底衫)
_PAIRING = re.compile(r"(?:搭配|配上|内搭|外搭|叠穿|混搭)[^，。；！？,.;!?\s]{0,12}$")


def _claimed(text: str, m: Mention) -> bool:
    """Whether the mention states something about the product, by what surrounds it."""
    before, after = text[max(0, m.start - 16):m.start], text[m.end:m.end + 6]
    if m.term.kind == "claim":
        return not _BREAK_AWAY.search(before)
    if _CONTRAST.search(before):
        return False
    if _VISUAL_AFTER.match(after) or _VISUAL_BEFORE.search(before):
        return False
    if _SIMILE_AFTER.match(after) or _SIMILE_BEFORE.search(before):
        return False
    return not (m.term.kind == "garment" and _PAIRING.search(before))


_ERA = re.compile(r"\s?(?:世纪|年代|(?:st|nd|rd|th)? century)", re.I)
_COLOUR_CHARS = {"黑": "black", "白": "white", "红": "red", "蓝": "blue", "绿": "green",
                 "黄": "yellow", "灰": "grey", "粉": "pink", "紫": "purple", "棕": "brown",
                 "橙": "orange", "金": "gold", "银": "silver"}
_COLOUR_LIST = re.compile("[{0}](?:、[{0}])+".format("".join(_COLOUR_CHARS)))
_CN_NUMBERS = {"两": 2, "二": 2, "双": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
               "九": 9, "十": 10}
_COLOUR_COUNT = re.compile(r"(?P<n>[两二双三四五六七八九十]|\d+)\s*(?:种|个|款)?\s*"
                           r"(?:颜色|配色|色(?![调系彩块泽差感]))")
_KIND_COUNT = re.compile(r"(?P<n>[两二三四五六七八九十]|\d+)\s*种(?!颜色|配色|色)")
_NON_HUES = {"solid_colour", "light_colour", "dark_colour", "multicolour", "transparent",
             "natural_colour", "pastel", "neon", "metallic", "camouflage", "rainbow"}


def _colour_enumerations(text: str, fact_ids: set[str]) -> list[Violation]:
    """黑、白、红: colours written one character each, every one of them a claim."""
    out = []
    for m in _COLOUR_LIST.finditer(text):
        missing = [c for c in m.group(0).split("、") if _COLOUR_CHARS[c] not in fact_ids]
        if missing:
            out.append(Violation("attribute", m.group(0), m.start(), m.end(),
                                 f"colour '{'、'.join(missing)}' is not in the facts"))
    return out


def _count_of(m: re.Match[str]) -> float:
    n = m.group("n")
    return float(_CN_NUMBERS[n]) if n in _CN_NUMBERS else float(n)


def _colour_counts(text: str) -> list[tuple[int, int, str, float, bool]]:
    """两色, 双色, 三种颜色: (start, end, surface, number, True)."""
    return [(m.start(), m.end(), m.group(0), _count_of(m), True)
            for m in _COLOUR_COUNT.finditer(text)]


def _kind_counts(text: str) -> list[tuple[int, int, str, float, bool]]:
    """三种款式, 两种穿法: how many kinds of something, (start, end, surface, number, False)."""
    return [(m.start(), m.end(), m.group(0), _count_of(m), False)
            for m in _KIND_COUNT.finditer(text)]


def _colour_count(stated: set[str], lexicon: Lexicon) -> int:
    """How many colours the facts name: 黑白 is two, 纯色 none, 浅蓝色 and 深蓝色 two."""
    hues: set[str] = set()
    for i in stated:
        term = lexicon.terms[i]
        if term.kind != "colour" or i in _NON_HUES:
            continue
        parts = [b for b in term.broader if b in lexicon.terms
                 and lexicon.terms[b].kind == "colour"]
        hues.update(parts if len(parts) >= 2 else [i])
    return len(hues)


def _quantity_violation(q: Quantity, same_number: Quantity | None) -> Violation:
    if same_number is not None:
        return Violation("unit", q.surface, q.start, q.end,
                         f"'{q.surface}' has the right number but not the facts' unit "
                         f"('{same_number.surface}')")
    kind = ("price" if q.dimension.startswith("money") else
            "percentage" if q.dimension == "percent" else "number")
    return Violation(kind, q.surface, q.start, q.end, f"{kind} '{q.surface}' is not in the facts")


def _without(text: str, fact_texts: list[str]) -> str:
    """``text`` less the facts it quotes: an English product name in Chinese copy is fine."""
    for fact in sorted(fact_texts, key=len, reverse=True):
        if len(fact) >= 3:
            text = text.replace(fact, " ")
    return text


def check_language(text: str, lang: str) -> Violation | None:
    """A violation when ``text`` is not mostly in ``lang`` (zh or en), else None. Letters of
    any other script (Cyrillic, Arabic, kana …) count against both."""
    cjk = len(_CJK.findall(text))
    latin = sum(len(w) for w in _LATIN_WORD.findall(text))
    other = sum(1 for c in text if c.isalpha() and not c.isascii()) - cjk
    letters = cjk + latin + max(other, 0)
    if not letters:
        return None
    if lang == "zh" and cjk / letters < 0.5:
        return Violation("language", text[:40], 0, len(text), "the text is not in Chinese")
    if lang == "en" and (letters - latin) / letters > 0.2:
        return Violation("language", text[:40], 0, len(text), "the text is not in English")
    return None


def dropped_numbers(rewrite: str, source: str) -> list[str]:
    """The numbers ``source`` states that ``rewrite`` leaves out: a rewrite of a grounded
    text must keep its facts, not only avoid new ones ("Fine." states nothing)."""
    kept = find_quantities(rewrite)
    return [q.surface for q in find_quantities(source)
            if not any(_close(q.number, k.number) for k in kept)]
