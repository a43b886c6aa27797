"""The workspace's words in English and Chinese: one TOML catalog per area and language.

``i18n/<area>.en.toml`` and ``i18n/<area>.zh.toml`` hold flat ``key = "text"`` pairs whose keys
start with the area (``finance.title``). A key missing in Chinese falls back to English, then to
the key itself, so a page never breaks; a test keeps both catalogs complete.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Callable
from pathlib import Path

LANGS = ("en", "zh")
CATALOGS = Path(__file__).parent / "i18n"


@functools.cache
def catalog(lang: str) -> dict[str, str]:
    """Every key of ``lang``, from all areas' files."""
    words: dict[str, str] = {}
    for path in sorted(CATALOGS.glob(f"*.{lang}.toml")):
        with path.open("rb") as f:
            for key, text in tomllib.load(f).items():
                if not isinstance(text, str):
                    raise ValueError(f"{path.name}: {key} must be a string")
                words[key] = text
    return words


def translator(lang: str) -> Callable[..., str]:
    """``t("finance.title")``, or with fields: ``t("data.rows", n=3)``."""
    words, english = catalog(lang), catalog("en")

    def t(key: str, **fields: object) -> str:
        text = words.get(key) or english.get(key) or key
        return text.format(**fields) if fields else text

    return t


def pick_lang(query: str | None, cookie: str | None, user_lang: str | None,
              accept: str | None) -> str:
    """The page language: ``?lang=``, then the remembered choice, then the user's, then the
    browser's preference, then English."""
    for choice in (query, cookie, user_lang):
        if choice in LANGS:
            return choice
    if accept and accept.lower().lstrip().startswith("zh"):
        return "zh"
    return "en"
