"""Which language a text (a review, a customer message) is in: zh, en, or another (pt, es,
fr, de…), or none at all.

Markup goes first: HTML tags, entities and links are not words ("<o:p>" is not the
Portuguese article "o"). Chinese is told by its script: a text with at least as many Chinese
characters as Latin words is Chinese, so "Great product, 很好用" is zh while an English review
naming 小米 stays en. Latin-script text is told by its words: common function and review words
of each language, each weighted by how many languages share it ("excellent" is English and
French, "value" only English), plus letters only one language uses (ã, ñ, ß). A text with no
such evidence, or with a tie ("ok", "Super"), is too short to tell: then the caller's
``default`` (the store's or the conversation's language) wins.
"""

from __future__ import annotations

import html
import re

SUPPORTED = ("zh", "en")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_WORD = re.compile(r"[^\W\d_]+", re.U)
_MARKUP = re.compile(r"<!--.*?-->|<[A-Za-z/!?][^<>]*>|https?://\S+|www\.\S+|\S+@\S+\.\w+",
                     re.S)
_WORDS = {
    "en": """the and is it was this to of for a an in my with not very but are they have you
        great good love loved product item quality i me it's its so too on at be as no nice bad
        does did would will just that arrived well excellent value money perfect works worked
        work fast shipping recommend recommended price size fit fits cheap broken awesome
        amazing beautiful cute described expected happy disappointed terrible poor waste return
        returned buy bought again time best better worst really all from or than what when
        which who easy use used one little much after before received order ordered delivery
        seller thanks thank like don't doesn't can't didn't wasn't isn't get got had has been
        were if there their them these those only even also about up out would could should
        product's highly exactly small large smaller bigger color colour looks look looking
        broke stopped working junk useless lovely wonderful fantastic satisfied pleased""",
    "pt": """não nao o a os as é e de do da dos das que um uma muito com para por produto chegou
        bem mais foi mas ótimo otimo ótima otima bom boa recomendo entrega prazo no na meu minha
        está esta ainda veio antes gostei adorei amei tudo certo correto perfeito perfeita
        qualidade recebi comprei compra loja vendedor entregue rápido rápida rapido rapida
        obrigado obrigada parabéns parabens satisfeito satisfeita insatisfeito demorou demais
        ruim atraso nada sim eu já ja só também tambem pedido produtos dentro lindo linda
        excelente recomendado chegaram recebido aguardando até ate nota apenas estou pois
        péssimo pessimo sem então todas todos minhas meus pra frete estrelas sempre""",
    "es": """el la los las es y de del que un una muy con para por producto llegó llego bien más
        fue pero bueno buena excelente recomiendo entrega no mi está todo calidad perfecto
        gracias envío envio rápido recomendado lo se su al como""",
    "fr": """le la les est et de des du que un une très avec pour par produit bien plus mais bon
        bonne excellent je ne pas mon ma conforme rapide livraison qualité parfait merci au
        aux ce cette il elle nous vous sont était""",
    "de": """der die das ist und nicht ein eine sehr mit für gut aber produkt ich es war zu auf
        den dem des sich auch wie schnell lieferung qualität empfehlen danke alles""",
}
_VOCAB: dict[str, set[str]] = {}
for _lang, _words in _WORDS.items():
    for _w in _words.split():
        _VOCAB.setdefault(_w, set()).add(_lang)
# letters that point to one language (ç is Portuguese and French, so it counts for both)
_LETTERS = {"ã": ("pt",), "õ": ("pt",), "ç": ("pt", "fr"), "ñ": ("es",), "¿": ("es",),
            "¡": ("es",), "ß": ("de",), "ä": ("de",), "ö": ("de",), "ü": ("de",),
            "è": ("fr",), "ù": ("fr",), "œ": ("fr",), "ë": ("fr",), "î": ("fr",)}


def strip_markup(text: str) -> str:
    """The text without HTML tags, comments, entities, links and e-mail addresses."""
    return html.unescape(_MARKUP.sub(" ", text))


def detect_language(text: str | None, default: str | None = None) -> str:
    """``zh``, ``en``, another ISO 639-1 code, or ``""`` for text with no words (emoji, blank).

    Text with no telling word, or an even split between languages, is too short to tell:
    ``default`` is returned when given; without one such text is ``en`` when it is plain
    ASCII, else ``other``."""
    if not text:
        return ""
    text = strip_markup(text)
    cjk = len(_CJK.findall(text))
    words = [w.lower() for w in _WORD.findall(text) if not _CJK.match(w)]
    if cjk and cjk >= len(words):
        return "zh"
    if not words:
        return ""
    scores = dict.fromkeys(_WORDS, 0.0)
    for w in words:
        langs = _VOCAB.get(w, ())
        for lang in langs:
            scores[lang] += 1 / len(langs)
    for letter, langs in _LETTERS.items():
        if letter in text.lower():
            for lang in langs:
                scores[lang] += 1 / len(langs)
    top = max(scores.values())
    tied = [lang for lang, score in scores.items() if score == top]
    if top > 0 and len(tied) == 1:
        return tied[0]
    if default is not None:
        return default
    if top > 0:  # a tie ("Excelente": pt or es): English first, then the order of _WORDS
        return tied[0]
    return "en" if all(w.isascii() for w in words) else "other"


def is_supported(lang: str) -> bool:
    """Whether text in ``lang`` gets text analysis (sentiment from words, aspects)."""
    return lang in SUPPORTED
