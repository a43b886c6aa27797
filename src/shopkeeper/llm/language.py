"""Which language a text (a review, a customer message) is in: zh, en, or another (pt, es,
fr, de…), or none at all.

Chinese is told by its script. Latin-script text is told by its function words, which are
distinctive even in a short review ("the", "and", "is" against "não", "muito", "de", "que"):
good enough to route a review to the right model, and to mark Olist's Portuguese reviews as
not supported for text analysis instead of scoring them with an English model.
"""

from __future__ import annotations

import re

SUPPORTED = ("zh", "en")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_WORD = re.compile(r"[^\W\d_]+", re.U)
_STOPWORDS = {
    "en": set(["the", "and", "is", "it", "was", "this", "to", "of", "for", "a", "in", "my", "with", "not", "very", "but", "are", "they", "have", "you", "great", "good", "love", "product", "item", "quality", "i", "me", "it's", "its", "so", "too", "on", "at", "be", "as", "no", "nice", "bad", "does", "did", "would", "will", "just", "that", "arrived", "well"]),
    "pt": set(["não", "nao", "o", "a", "os", "as", "é", "e", "de", "do", "da", "dos", "das", "que", "um", "uma", "muito", "com", "para", "por", "produto", "chegou", "bem", "mais", "foi", "mas", "ótimo", "otimo", "bom", "recomendo", "entrega", "prazo", "no", "na", "meu", "minha", "está", "esta", "ainda", "veio", "antes"]),
    "es": set(["el", "la", "los", "las", "es", "y", "de", "del", "que", "un", "una", "muy", "con", "para", "por", "producto", "llegó", "bien", "más", "fue", "pero", "bueno", "excelente", "recomiendo", "entrega", "no", "mi", "está", "todo"]),
    "fr": set(["le", "la", "les", "est", "et", "de", "des", "du", "que", "un", "une", "très", "avec", "pour", "par", "produit", "bien", "plus", "mais", "bon", "excellent", "je", "ne", "pas", "mon", "ma"]),
    "de": set(["der", "die", "das", "ist", "und", "nicht", "ein", "eine", "sehr", "mit", "für", "gut", "aber", "produkt", "ich", "es", "war", "zu", "auf"]),
}


def detect_language(text: str | None) -> str:
    """``zh``, ``en``, another ISO 639-1 code, or ``""`` for text with no words (emoji, blank)."""
    if not text:
        return ""
    cjk = len(_CJK.findall(text))
    words = [w.lower() for w in _WORD.findall(text) if not _CJK.match(w)]
    latin = sum(len(w) for w in words)
    if cjk and cjk >= latin / 3:
        return "zh"
    if not words:
        return ""
    hits = {lang: sum(w in stop for w in words) for lang, stop in _STOPWORDS.items()}
    best = max(hits, key=lambda lang: (hits[lang], lang == "en"))
    if hits[best] == 0:
        return "en" if all(w.isascii() for w in words) else "other"
    return best


def is_supported(lang: str) -> bool:
    """Whether text in ``lang`` gets text analysis (sentiment from words, aspects)."""
    return lang in SUPPORTED
