"""Compliance checks for product and marketing copy, in Chinese and English.

Why: a listing that says 最好, 国家级 or "cures eczema" can be taken down by the platform or fined
under the Advertising Law (《广告法》). This is the grounded, model-free check that every draft of the
content studio goes through. It flags each risky term with the rule it breaks and a compliant
alternative, and ``suggest_fix`` applies those alternatives. A person still approves the copy.

Rule files
----------
Rules are data, not code. ``content/rules/zh.toml`` and ``content/rules/en.toml`` ship with the
package. A merchant adds files in the same format through ``load_rules(lang, extra)`` or
``check_compliance(..., extra_rules=...)``::

    [[rule]]
    id = "ad-law-absolute"           # unique; an extra rule with an existing id extends that rule
    kind = "absolute_term"           # absolute_term | banned_word | medical_claim
    law = "《广告法》第九条第（三）项"   # where the prohibition comes from
    message = "不得使用……等用语"       # what is prohibited
    severity = "error"               # error | warning (default: error)
    terms = ["最佳", "最好", "最"]     # literal terms; required for a new rule
    except = ["最近", "最后"]          # longer words containing a term that are fine (optional)
    suggest_default = ""             # suggestion for terms missing from [rule.suggest] (optional)
    replace = false                  # extra files only: replace terms/except/suggest, don't add

    [rule.suggest]                   # compliant alternative per term; "" deletes the term
    "最好" = "很好"

An extra rule whose id already exists adds its ``terms``, ``except`` and ``suggest`` to that rule
(or replaces them with ``replace = true``); ``kind``, ``law``, ``message``, ``severity`` and
``suggest_default``, when given, override. Terms without a suggestion are flagged with
``suggestion=None`` and left for a person to rewrite.

Matching
--------
- Case-insensitive. Full-width forms match their ASCII twins (``ＮＯ．１`` is ``NO.1``,
  ``１００％`` is ``100%``) and curly apostrophes match ``'``; spans are always in the original text.
- A term that starts or ends with an ASCII letter or digit matches only where the text does not go
  on with another one there: ``best`` matches "Best" but not "bestow", ``#1`` not "#10". Everything
  else, Chinese included, is a substring match.
- An occurrence inside one of its rule's ``except`` words is not flagged (最 in 最近).
- Overlapping matches keep the longest (全网第一, not 第一 inside it); on a tie, the earlier rule.
- ``medical_claim`` rules are skipped when ``is_medical_category(category)``.
"""

from __future__ import annotations

import functools
import os
import re
import tomllib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from shopkeeper.errors import ConfigError

__all__ = [
    "LANGS",
    "MEDICAL_CATEGORY_KEYWORDS",
    "RULE_KINDS",
    "SEVERITIES",
    "ComplianceFlag",
    "ComplianceRule",
    "check_compliance",
    "is_medical_category",
    "load_rules",
    "suggest_fix",
]

LANGS = ("zh", "en")
RULE_KINDS = ("absolute_term", "banned_word", "medical_claim")
SEVERITIES = ("error", "warning")

#: A category containing one of these (case-insensitive) is medical: medical claims are allowed.
MEDICAL_CATEGORY_KEYWORDS = (
    "医疗", "医药", "药品", "药房", "药店", "中药", "西药", "兽药",
    "medical", "pharma", "drug", "medicine", "health device",
)

RuleFiles = str | os.PathLike[str] | Sequence[str | os.PathLike[str]]

_RULE_KEYS = frozenset({"id", "kind", "law", "message", "severity", "terms", "except", "suggest",
                        "suggest_default", "replace"})
_ASCII_ALNUM = "0-9A-Za-z"
_EXTRA_FOLD = {"\u2018": "'", "\u2019": "'", "\u2032": "'"}
_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z]+")
_SEPARATORS = ",;:，；：、"
_SENTENCE_ENDS = ".!?。！？"
_CLOSERS = _SENTENCE_ENDS + _SEPARATORS + ")]}）"


@dataclass(frozen=True)
class ComplianceRule:
    """One prohibition: the terms it forbids, where the prohibition comes from, and the fixes."""

    id: str
    kind: str
    law: str
    message: str
    severity: str
    terms: tuple[str, ...]
    exceptions: tuple[str, ...] = ()
    suggest: dict[str, str] = field(default_factory=dict, hash=False)
    suggest_default: str | None = None

    @property
    def text(self) -> str:
        """The law and the message, as one human-readable line."""
        if not self.law or not self.message:
            return self.law or self.message
        return f"{self.law}{'：' if _CJK.search(self.law) else ': '}{self.message}"

    def suggestion_for(self, term: str) -> str | None:
        """The compliant alternative for one of this rule's terms ("" = delete, None = none)."""
        key = _key(term)
        for candidate, suggestion in self.suggest.items():
            if _key(candidate) == key:
                return suggestion
        return self.suggest_default


@dataclass(frozen=True)
class ComplianceFlag:
    """One risky term found in a text: which rule it breaks, where it is and what to write instead.

    ``term`` is the text as written (``text[start:end] == term``); ``suggestion`` is the compliant
    alternative, "" to delete the term, or None when a person has to rewrite it.
    """

    term: str
    rule_id: str
    kind: str
    rule: str
    severity: str
    start: int
    end: int
    suggestion: str | None


# --------------------------------------------------------------------------- public functions


def is_medical_category(category: str | None) -> bool:
    """Whether ``category`` names medical goods (药品, 医疗器械, pharmacy …), which may make
    medical claims; unknown or missing categories are not medical, so their claims are flagged."""
    if not category:
        return False
    lowered = category.casefold()
    return any(keyword in lowered for keyword in MEDICAL_CATEGORY_KEYWORDS)


def load_rules(lang: str | None = None, extra: RuleFiles | None = None) -> tuple[ComplianceRule, ...]:
    """The packaged rules for ``lang`` ("zh", "en", or None for both), with the merchant's
    ``extra`` rule files merged in order.

    Raises ConfigError naming the file when a rule file cannot be read or a rule is invalid.
    Load once and pass the result as ``check_compliance(rules=...)`` to check many texts.
    """
    langs = LANGS if lang is None else (_normalise_lang(lang),)
    return _merge(_packaged(langs), _paths(extra))


def check_compliance(
    text: str,
    lang: str | None = None,
    *,
    category: str | None = None,
    extra_rules: RuleFiles | None = None,
    rules: Sequence[ComplianceRule] | None = None,
) -> list[ComplianceFlag]:
    """Every risky term in ``text``, sorted by position, overlaps resolved to the longest match.

    ``lang`` None checks the Chinese and the English rules together, since copy often mixes
    them ("100%纯棉"); on an exact tie the language most of the text is written in wins.
    ``category`` is the product's category: medical claims are allowed in medical ones.
    ``extra_rules`` are merchant rule files; ``rules`` is a set from ``load_rules`` instead.
    """
    if rules is not None and extra_rules is not None:
        raise ValueError(
            "pass either rules= or extra_rules=, not both: "
            "load_rules(lang, extra) already merges the extra files into the rules"
        )
    if rules is None:
        if lang is None:
            rules = _merge(_packaged(_script_order(text)), _paths(extra_rules))
        else:
            rules = load_rules(lang, extra_rules)
    if not text:
        return []
    folded = _fold(text)
    medical = is_medical_category(category)
    candidates: list[tuple[int, int, int, ComplianceRule, str]] = []
    for priority, rule in enumerate(rules):
        if rule.kind == "medical_claim" and medical:
            continue
        for start, end in _rule_hits(rule, folded):
            candidates.append((start, end, priority, rule, folded[start:end]))

    taken = bytearray(len(text))
    kept: list[tuple[int, int, ComplianceRule, str]] = []
    for start, end, _, rule, matched in sorted(candidates, key=lambda c: (c[0] - c[1], c[0], c[2])):
        if any(taken[start:end]):
            continue
        taken[start:end] = b"\x01" * (end - start)
        kept.append((start, end, rule, matched))
    kept.sort(key=lambda k: k[0])
    return [
        ComplianceFlag(
            term=text[start:end], rule_id=rule.id, kind=rule.kind, rule=rule.text,
            severity=rule.severity, start=start, end=end, suggestion=rule.suggestion_for(matched),
        )
        for start, end, rule, matched in kept
    ]


def suggest_fix(text: str, flags: Sequence[ComplianceFlag]) -> str:
    """``text`` with each flagged term replaced by its suggestion, or deleted when the suggestion
    is "": a compliant alternative for a person to approve. Flags without a suggestion stay.

    ``flags`` must come from ``check_compliance`` on this same text (raises ValueError otherwise).
    """
    chosen: list[ComplianceFlag] = []
    for flag in sorted(flags, key=lambda f: (f.start, f.end)):
        if text[flag.start:flag.end] != flag.term:
            raise ValueError(
                f"flag {flag.term!r} at {flag.start}:{flag.end} does not match the text there "
                f"({text[flag.start:flag.end]!r}); pass the flags check_compliance returned "
                "for this same text"
            )
        if flag.suggestion is None or (chosen and flag.start < chosen[-1].end):
            continue
        chosen.append(flag)

    result = text
    for flag in reversed(chosen):
        before, after = result[:flag.start], result[flag.end:]
        replacement = _match_case(flag.term, flag.suggestion or "")
        if not replacement:
            before, after = _tidy_removal(before, after, capitalise=flag.term[:1].isupper())
        result = before + replacement + after
    return result


# --------------------------------------------------------------------------- matching


@functools.lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    if char in _EXTRA_FOLD:
        return _EXTRA_FOLD[char]
    normal = unicodedata.normalize("NFKC", char)
    return normal if len(normal) == 1 else char


def _fold(text: str) -> str:
    """Full-width to half-width and curly to straight quotes, one character for one character
    (so that spans in the folded text are spans in the original)."""
    return "".join(map(_fold_char, text))


def _key(term: str) -> str:
    return _fold(term).casefold()


def _term_pattern(term: str) -> str:
    body = re.escape(term)
    if re.match(f"[{_ASCII_ALNUM}]", term[0]):
        body = f"(?<![{_ASCII_ALNUM}]){body}"
    if re.match(f"[{_ASCII_ALNUM}]", term[-1]):
        body = f"{body}(?![{_ASCII_ALNUM}])"
    return body


@functools.lru_cache(maxsize=512)
def _finder(terms: tuple[str, ...]) -> re.Pattern[str]:
    """One pattern finding, at every position, the longest of ``terms`` that starts there
    (a lookahead, so that overlapping occurrences are all found)."""
    ordered = sorted({_fold(t) for t in terms}, key=lambda t: (-len(t), t))
    alternatives = "|".join(_term_pattern(t) for t in ordered)
    return re.compile(f"(?=({alternatives}))", re.IGNORECASE)


def _occurrences(terms: tuple[str, ...], folded: str) -> list[tuple[int, int]]:
    if not terms:
        return []
    return [(m.start(1), m.end(1)) for m in _finder(terms).finditer(folded)]


def _rule_hits(rule: ComplianceRule, folded: str) -> list[tuple[int, int]]:
    hits = _occurrences(rule.terms, folded)
    if hits and rule.exceptions:
        fine = _occurrences(rule.exceptions, folded)
        hits = [(s, e) for s, e in hits if not any(fs <= s and e <= fe for fs, fe in fine)]
    return hits


def _script_order(text: str) -> tuple[str, ...]:
    """Chinese rules first when the text is mostly Chinese, English first otherwise."""
    if len(_CJK.findall(text)) >= len(_LATIN_WORD.findall(text)):
        return ("zh", "en")
    return ("en", "zh")


def _match_case(term: str, suggestion: str) -> str:
    if not suggestion or not term[:1].isascii():
        return suggestion
    if term.isupper() and sum(c.isalpha() for c in term) > 1:
        return suggestion.upper()
    if term[:1].isupper():
        return suggestion[:1].upper() + suggestion[1:]
    return suggestion


def _tidy_removal(before: str, after: str, *, capitalise: bool) -> tuple[str, str]:
    """Drop the space or separator a deleted word leaves behind ("results, FDA approved." →
    "results."), and keep the capital of a word that opened a sentence."""
    head = before.rstrip()
    if not head or head[-1] in _SENTENCE_ENDS:
        orphans = _SEPARATORS + _SENTENCE_ENDS + (" " if before[-1:] in ("", " ") else "")
        after = after.lstrip(orphans)
        lead = len(after) - len(after.lstrip(" "))
        if capitalise and after[lead:lead + 1].islower():
            after = after[:lead] + after[lead].upper() + after[lead + 1:]
    elif not after.strip() or after[0] in _CLOSERS:
        before = head[:-1] if head[-1] in _SEPARATORS else head
    elif before.endswith(" ") and after.startswith(" "):
        after = after[1:]
    return before, after


# --------------------------------------------------------------------------- loading rules


def _normalise_lang(lang: str) -> str:
    code = lang.strip().lower().replace("_", "-").split("-")[0]
    if code not in LANGS:
        raise ConfigError(
            f"unknown copy language {lang!r}; use 'zh', 'en' (or zh-CN, en-US), or None for both"
        )
    return code


def _paths(extra: RuleFiles | None) -> tuple[Path, ...]:
    if extra is None:
        return ()
    if isinstance(extra, str | os.PathLike):
        return (Path(extra),)
    return tuple(Path(p) for p in extra)


@functools.lru_cache(maxsize=8)
def _packaged(langs: tuple[str, ...]) -> tuple[ComplianceRule, ...]:
    """The rules shipped in ``content/rules/<lang>.toml``, in ``langs`` order (read once)."""
    rules: list[ComplianceRule] = []
    for lang in langs:
        resource = resources.files("shopkeeper.content").joinpath("rules", f"{lang}.toml")
        origin = f"shopkeeper/content/rules/{lang}.toml"
        rules.extend(_merge((), (), texts=((origin, resource.read_text(encoding="utf-8")),)))
    return tuple(rules)


def _merge(
    base: Sequence[ComplianceRule],
    paths: Sequence[Path],
    *,
    texts: Sequence[tuple[str, str]] = (),
) -> tuple[ComplianceRule, ...]:
    """``base`` with the rules of each file (or of each ``(origin, toml_text)``) merged in."""
    if not paths and not texts:
        return tuple(base)
    by_id = {rule.id: rule for rule in base}
    sources = [(str(path), _read(path)) for path in paths] + list(texts)
    for origin, text in sources:
        for number, raw in enumerate(_rule_tables(origin, text), start=1):
            where = f"{origin}: rule {number}"
            rule_id = raw.get("id")
            if not isinstance(rule_id, str) or not rule_id.strip():
                raise ConfigError(f"{where} has no 'id'; give every [[rule]] an id = \"...\"")
            where = f"{where} ('{rule_id}')"
            by_id[rule_id] = _build(raw, by_id.get(rule_id), where)
    return tuple(by_id.values())


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: rules file does not exist; check the path") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: rules file is not UTF-8; save it as UTF-8") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read rules file ({exc.strerror})") from exc


def _rule_tables(origin: str, text: str) -> list[dict[str, Any]]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        problem = " ".join(str(exc).split())
        raise ConfigError(f"{origin}: not valid TOML ({problem})") from exc
    tables = data.get("rule")
    if not isinstance(tables, list) or not tables:
        raise ConfigError(f"{origin}: no [[rule]] tables; see the format in "
                          "shopkeeper.content.compliance")
    for number, raw in enumerate(tables, start=1):
        if not isinstance(raw, dict):
            raise ConfigError(f"{origin}: rule {number} is not a table; write it as [[rule]]")
    return tables


def _build(raw: dict[str, Any], old: ComplianceRule | None, where: str) -> ComplianceRule:
    """A rule from one [[rule]] table, on top of the existing rule with the same id if any."""
    unknown = sorted(set(raw) - _RULE_KEYS)
    if unknown:
        raise ConfigError(f"{where} has unknown key '{unknown[0]}'; "
                          f"the keys are {', '.join(sorted(_RULE_KEYS))}")
    replace = raw.get("replace", False)
    if not isinstance(replace, bool):
        raise ConfigError(f"{where}: 'replace' must be true or false, got {replace!r}")

    terms = _strings(raw, "terms", where)
    if old is None and not terms:
        raise ConfigError(f"{where} has no 'terms'; give it terms = [\"...\"]")
    exceptions = _strings(raw, "except", where)
    suggest = raw.get("suggest", {})
    if not isinstance(suggest, dict) or not all(isinstance(v, str) for v in suggest.values()):
        raise ConfigError(f"{where}: 'suggest' must be a table of \"term\" = \"alternative\"")

    kind = _choice(raw, "kind", RULE_KINDS, where, old.kind if old else None)
    severity = _choice(raw, "severity", SEVERITIES, where, old.severity if old else "error")
    law = _text(raw, "law", where, old.law if old else "")
    message = _text(raw, "message", where, old.message if old else "")
    default = raw.get("suggest_default", old.suggest_default if old else None)
    if default is not None and not isinstance(default, str):
        raise ConfigError(f"{where}: 'suggest_default' must be a string, got {default!r}")

    if old is not None and not replace:
        terms = _unique(old.terms + terms)
        exceptions = _unique(old.exceptions + exceptions)
        suggest = {**old.suggest, **suggest}
    elif old is not None and not terms:
        raise ConfigError(f"{where} has replace = true but no 'terms' to replace them with")

    known = {_key(t) for t in terms}
    stray = [t for t in suggest if _key(t) not in known]
    if stray:
        raise ConfigError(f"{where}: suggestion for '{stray[0]}', which is not one of its terms; "
                          "add it to 'terms' or fix the spelling")
    return ComplianceRule(
        id=raw["id"], kind=kind, law=law, message=message, severity=severity, terms=terms,
        exceptions=exceptions, suggest=dict(suggest), suggest_default=default,
    )


def _strings(raw: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{where}: '{key}' must be a list of non-empty strings, got {value!r}")
    return _unique(tuple(value))


def _unique(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def _choice(
    raw: dict[str, Any], key: str, allowed: tuple[str, ...], where: str, default: str | None
) -> str:
    value = raw.get(key, default)
    if value is None:
        raise ConfigError(f"{where} has no '{key}'; use one of {', '.join(allowed)}")
    if value not in allowed:
        raise ConfigError(f"{where}: '{key}' must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _text(raw: dict[str, Any], key: str, where: str, default: str) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str):
        raise ConfigError(f"{where}: '{key}' must be a string, got {value!r}")
    return value
