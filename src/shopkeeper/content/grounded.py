"""The grounded path: copy assembled from the product's facts with phrase templates.

It needs no model, always works and cannot invent: every slot is a fact, and the template words
around the slots (``content/templates/LANG.toml``) state no attribute, number or property.
Which phrase variant is used depends on a hash of the facts, so a product always gets the same
copy and a catalogue does not read like one sentence repeated.
"""

from __future__ import annotations

import functools
import hashlib
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from shopkeeper.content.facts import ProductFacts, price_text
from shopkeeper.content.quality import garment_category
from shopkeeper.llm.grounding import load_lexicon

TONES = ("standard", "friendly", "concise")
LENGTHS = ("short", "medium", "long")
_DETAIL_ROLES = ("detail", "neck", "sleeve", "hem", "waist", "closure", "length")
# the order human copy goes through a garment (AdvertiseGen, items 0-399): length, collar,
# prints, details, sleeves, waist, hem, fastening, then the fit
_BODY_ORDER = ("length", "neck", "pattern", "detail", "sleeve", "waist", "hem", "closure", "fit")
_TITLE_PRIORITY = ("material", "colour", "style", "pattern", *_DETAIL_ROLES, "fit")
_TITLE_ORDER = ("style", "colour", "material", "pattern", *_DETAIL_ROLES, "fit")
_APPAREL_ROLES = {"noun", "noun2", "neck", "sleeve", "hem", "waist", "closure", "fit"}
_APPAREL_TYPES = {"上衣", "裙", "裤", "服装", "女装", "男装", "童装", "apparel", "clothing"}
_CJK = re.compile(r"[\u4e00-\u9fff]")
_CJK_SPACE = re.compile(r"\s+(?=[\u4e00-\u9fff，。、：])|(?<=[\u4e00-\u9fff，。、：])\s+")


@functools.lru_cache(maxsize=8)
def load_templates(lang: str, path: Path | None = None) -> dict:
    if path is not None:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    source = resources.files("shopkeeper.content").joinpath("templates", f"{lang}.toml")
    return tomllib.loads(source.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class _Slots:
    """The facts sorted into the roles the templates use, written in the target language."""

    roles: dict[str, list[str]]
    others: list[tuple[str, str]]
    noun: str
    name: str


class GroundedWriter:
    """Titles, descriptions, bullets and campaign lines from facts alone."""

    def __init__(self, facts: ProductFacts, lang: str, *, tone: str = "standard",
                 length: str = "medium", templates: Path | None = None) -> None:
        self.facts, self.lang, self.tone, self.length = facts, lang, tone, length
        self.t = load_templates(lang, templates)
        self.slots = self._slots()
        self.apparel = is_apparel(facts, self.slots)
        self.p = dict(self.t["phrases"])
        if not self.apparel:
            self.p.update(self.t.get("phrases_general", {}))
        digest = hashlib.sha256(repr(facts.attributes).encode() + facts.title.encode()).digest()
        self._seed = int.from_bytes(digest[:4], "big")

    # -- facts into roles ---------------------------------------------------------------------
    def _slots(self) -> _Slots:
        lexicon = load_lexicon()
        roles: dict[str, list[str]] = {}
        others: list[tuple[str, str]] = []
        for key, value in self.facts.attributes:
            role = self.t["roles"].get(key) or self.t["roles"].get(key.lower())
            # the merchant's own words stay (藏蓝色 is not 藏青色); only another language's
            # value is translated
            shown = (value if _in_language(value, self.lang)
                     else lexicon.translate(value, self.lang))
            if role is None:
                others.append((key, shown))
            elif shown not in roles.setdefault(role, []):
                roles[role].append(shown)
        name = self.facts.title or ""
        garment = self.t.get("garment", {}).get(garment_category(self.facts) or "")
        if garment and (roles.get("noun") or roles.get("noun2")):
            noun = self._head_noun(roles, garment)
        else:
            nouns = roles.get("noun", []) + roles.get("noun2", [])
            type_nouns = self.t.get("type_nouns", {})
            types = [type_nouns.get(v, v) for v in roles.get("type", [])]
            noun = (nouns[0] if nouns else types[0] if types else name
                    or ("商品" if self.lang == "zh" else "product"))
        return _Slots(roles, others, noun, name or noun)

    @staticmethod
    def _head_noun(roles: dict[str, list[str]], garment: dict) -> str:
        """The garment's name from its noun values, whole: a modifier gets the garment's head
        (a字 → a字裙, or a字连衣裙 beside 连衣裙), a part (大裙摆) becomes a detail. The nouns
        not used in the name stay in ``roles['kind']`` for a clause of their own."""
        head = garment.get("head", "")
        nouns: list[str] = []
        for n in roles.pop("noun", []) + roles.pop("noun2", []):
            if n.endswith(tuple(garment.get("parts", ()))):
                roles.setdefault("detail", []).insert(0, n)
            elif n not in nouns:
                nouns.append(garment.get("fixes", {}).get(n, n))
        whole = [n for n in nouns if not head or n.endswith(head)]
        modifiers = [n for n in nouns if n not in whole]
        if modifiers and whole:
            name = modifiers[0] + whole[0]
            rest = modifiers[1:] + whole[1:]
        elif modifiers:
            name, rest = modifiers[0] + head, modifiers[1:]
        elif whole:
            name, rest = whole[0], whole[1:]
        else:
            name, rest = garment.get("noun", head), []
        roles["kind"] = rest
        return name

    def _pick(self, key: str, salt: int = 0) -> str:
        options = self.p[key]
        return options[(self._seed + salt) % len(options)]

    def _join(self, values: list[str]) -> str:
        return self.p["list_join"].join(values)

    def _fill(self, template: str, **values: str) -> str:
        text = " ".join(template.format(**values).split())
        return text if self.lang == "en" else _CJK_SPACE.sub("", text)

    # -- outputs ------------------------------------------------------------------------------
    def title(self, max_units: int, count_units) -> str:
        """The name (or the product noun) plus as many keywords as fit the platform's limit,
        most telling first: material, colour, style, pattern, details, fit."""
        r, sep = self.slots.roles, self.p["title_separator"]
        brand = r.get("brand", []) or ([self.facts.brand] if self.facts.brand else [])
        chosen: list[tuple[str, str]] = []

        def render(picked: list[tuple[str, str]]) -> str:
            if self.facts.title:  # the listed name first, keywords after it
                words = [*brand, self.facts.title, *(v for _, v in picked)]
            else:  # keyword-stack order: style, colour, material, pattern, details, noun
                words = [*brand, *(v for role in _TITLE_ORDER for k, v in picked if k == role),
                         self.slots.noun]
                if self.lang == "en":  # marketplaces capitalise each word of a title
                    words = [" ".join(w[:1].upper() + w[1:] for w in v.split()) for v in words]
            return _title_join(_dedupe(words), sep)

        for role in _TITLE_PRIORITY:
            for value in r.get(role, []):
                if count_units(render([*chosen, (role, value)])) <= max_units:
                    chosen.append((role, value))
        title = render(chosen)
        while count_units(title) > max_units and " " in title:
            title = title.rsplit(" ", 1)[0]
        return title if count_units(title) <= max_units else _cut(title, max_units, count_units)

    def description(self) -> str:
        """An opening that names the product with its style, material and colour; a clause per
        detail, each with a different evaluative phrase; a closing on the style. No sentence
        is a bare noun phrase and no phrase is said twice."""
        r, p = self.slots.roles, self.p
        style, colour = self._join(r.get("style", [])), self._join(r.get("colour", []))
        part = self._garment().get("part", p.get("part", ""))
        key = "opening" if style else "opening_nostyle"
        first = [self._fill(self._pick(key), style=style, noun=self.slots.noun)]
        if r.get("material"):
            first.append(self._fill(self._pick("material"), material=self._join(r["material"])))
        if colour:
            first.append(self._fill(self._pick("colour"), colour=colour, part=part))
        if "kind" in r:  # the garment's name was built from its nouns
            nouns = list(r["kind"])
        else:
            nouns = [n for n in r.get("noun", []) + r.get("noun2", []) + r.get("type", [])
                     if n.lower() not in self.slots.noun.lower()]
        said = {self.slots.noun, *r.get("material", []), *r.get("colour", [])}
        parts = []
        for role, values in [("kind", nouns[:2])] + [
                (role, r.get(role, [])) for role in _BODY_ORDER]:
            fresh = [v for v in dict.fromkeys(values) if v not in said]  # 蕾丝 is said once
            said.update(fresh)
            parts += [(role, v) for v in self._grouped(fresh, len(p[role]))]
        if self.length == "short":
            parts = parts[:2]
        adornments = self._adornments()
        phrases, used = [], dict.fromkeys((role for role, _ in parts), 0)
        for role, value in parts:  # a role's second value gets its next phrase
            phrase = self._fill(self._pick(role, used[role]),
                                **{role: value, "kind": value, "part": part})
            used[role] += 1
            if self.tone != "concise" and adornments:
                phrase += p["sentence_join"] + adornments.pop(0)
            phrases.append(phrase)
        closing = ""
        if self.tone != "concise":
            closing = (self._fill(self._pick("closing_style"), style=style) if style
                       else self._pick("closing"))
        if len(first) == 1:  # a name alone is not a sentence: give it a clause
            first.append(phrases.pop(0) if phrases else closing)
            if not phrases and first[-1] == closing:
                closing = ""
        sentences = [p["sentence_join"].join(c for c in first if c)]
        per_sentence = 2 if self.lang == "zh" else 1
        sentences += [p["sentence_join"].join(phrases[i:i + per_sentence])
                      for i in range(0, len(phrases), per_sentence)]
        if self.length != "short":
            sentences += [f"{k}{'：' if self.lang == 'zh' else ': '}{v}"
                          for k, v in self.slots.others]
        if self.length == "long" and (reviews := self._reviews_line()):
            sentences.append(p["reviews"].format(phrases=reviews))
        if closing:
            sentences.append(closing)
        text = _sentences(sentences, self.lang, p["sentence_end"])
        if self.tone == "friendly":
            text += ("" if self.lang == "zh" else " ") + self._pick("friendly")
        return text

    def _grouped(self, values: list[str], phrasings: int) -> list[str]:
        """``values`` in at most ``phrasings`` groups, listed together from the first group
        on, so that no phrasing is used twice."""
        groups = [[v] for v in values[:phrasings]]
        for i, v in enumerate(values[phrasings:]):
            groups[i % len(groups)].append(v)
        return [self._join(g) for g in groups]

    def _garment(self) -> dict:
        return self.t.get("garment", {}).get(garment_category(self.facts) or "", {})

    def _adornments(self) -> list[str]:
        """The evaluative phrases in this product's order, each once."""
        pool = list(self.p["adornment"])
        start = self._seed % len(pool)
        return pool[start:] + pool[:start]

    def bullets(self, n: int = 5) -> list[str]:
        """Up to ``n`` selling points, one per kind of fact; fewer when the facts run out."""
        r, p = self.slots.roles, self.p
        details = [v for role in ("pattern", *_DETAIL_ROLES) for v in r.get(role, [])]
        out = []
        if r.get("material"):
            out.append(p["bullet_material"].format(material=self._join(r["material"])))
        if details:
            out.append(p["bullet_design"].format(details=self._join(details)))
        if r.get("colour"):
            out.append(p["bullet_colour"].format(colour=self._join(r["colour"])))
        if r.get("style"):
            out.append(p["bullet_style"].format(style=self._join(r["style"])))
        if r.get("fit"):
            out.append(p["bullet_fit"].format(fit=self._join(r["fit"])))
        if reviews := self._reviews_line():
            out.append(p["bullet_reviews"].format(reviews=reviews))
        out += [p["bullet_other"].format(key=k, value=v) for k, v in self.slots.others]
        if self.facts.price is not None:
            out.append(p["bullet_price"].format(
                price=price_text(self.facts.price, self.facts.currency)))
        return out[:n]

    def marketing(self, campaign: str) -> str:
        r = self.slots.roles
        details = [v for role in ("material", "pattern", *_DETAIL_ROLES) for v in r.get(role, [])]
        point = self._join(details[:3]) or self._join(r.get("style", [])[:2])
        price = (self._fill(self.p["price"], price=price_text(self.facts.price,
                                                               self.facts.currency))
                 if self.facts.price is not None else "")
        text = self.p["marketing"].format(campaign=campaign or "", name=self.slots.name,
                                          point=point, price_line=price)
        text = text.replace("，。", "。").replace(", .", ".").strip(" ｜:，,")
        if self.tone == "friendly":
            text += ("" if self.lang == "zh" else " ") + self._pick("friendly")
        return text

    def _reviews_line(self) -> str:
        phrases = [ph.text for ph in self.facts.review_phrases[:3]]
        if not phrases:
            return ""
        quoted = [f"“{ph}”" if self.lang == "zh" else f'"{ph}"' for ph in phrases]
        line = ("、" if self.lang == "zh" else ", ").join(quoted)
        if self.facts.rating is not None and self.facts.rated_reviews:
            rating = self.p["rating"].format(rating=f"{self.facts.rating:.1f}",
                                             n=self.facts.rated_reviews)
            line += ("，" if self.lang == "zh" else "; ") + rating
        return line


def is_apparel(facts: ProductFacts, slots: _Slots) -> bool:
    """Clothing gets the garment phrases (衣身, 穿着); anything else the general ones."""
    if _APPAREL_ROLES & {r for r, values in slots.roles.items() if values}:
        return True
    types = {v.lower() for v in slots.roles.get("type", [])} | {facts.category.lower()}
    return bool(types & _APPAREL_TYPES)


def _in_language(value: str, lang: str) -> bool:
    """Whether ``value`` is written in ``lang``'s script (Chinese characters for zh)."""
    return bool(_CJK.search(value)) == (lang == "zh")


def _title_join(parts: list[str], sep: str) -> str:
    """Keywords joined; in Chinese titles a space only where Latin meets Chinese between two
    keywords (never inside one: 'polo领' stays whole)."""
    out = ""
    for part in parts:
        if out and (sep or (out[-1].isascii() and out[-1].isalnum()) != (
                part[0].isascii() and part[0].isalnum())):
            out += sep or " "
        out += part
    return out


def _dedupe(values: list[str]) -> list[str]:
    out: list[str] = []
    for v in values:
        if v and not any(v.lower() in o.lower() for o in out):
            out = [o for o in out if o.lower() not in v.lower()] + [v]
    return out


def _cut(text: str, limit: int, count_units) -> str:
    while text and count_units(text) > limit:
        text = text[:-1]
    return text


def _sentences(parts: list[str], lang: str, end: str) -> str:
    parts = [p.strip().rstrip("。.，,") for p in parts if p.strip()]
    if lang == "zh":
        return "".join(p + end for p in parts)
    return " ".join(p[:1].upper() + p[1:] + end for p in parts)
