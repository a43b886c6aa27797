"""Numbers with units in Chinese and English text, normalised so equal amounts compare equal:
750ml = 750 毫升 = 0.75 L, 1-9/16 inch ≠ 9/16 inch, ¥199 = 199元, 两件套 = 2 pieces.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

# unit spelling -> (dimension, factor to the dimension's base unit)
_UNITS: dict[str, tuple[str, float]] = {}


def _add(dimension: str, factor: float, *spellings: str) -> None:
    for s in spellings:
        _UNITS[s.lower()] = (dimension, factor)


_add("volume", 0.001, "ml", "毫升", "cc")
_add("volume", 0.01, "cl")
_add("volume", 1.0, "l", "升", "litre", "liter", "litres", "liters", "公升")
_add("volume", 0.0295735, "fl oz", "fl. oz")
_add("mass", 1e-6, "mg", "毫克")
_add("mass", 0.001, "g", "克", "gram", "grams")
_add("mass", 1.0, "kg", "千克", "公斤", "kilogram", "kilograms")
_add("mass", 0.5, "斤")
_add("mass", 0.453592, "lb", "lbs", "pound", "pounds")
_add("mass", 0.0283495, "oz", "ounce", "ounces")
_add("length", 0.001, "mm", "毫米")
_add("length", 0.01, "cm", "厘米", "公分")
_add("length", 1.0, "m", "米", "metre", "meter", "metres", "meters")
_add("length", 1000.0, "km", "公里", "千米")
_add("length", 0.0254, "inch", "inches", '"', "英寸")
_add("length", 0.3048, "ft", "feet", "foot")
_add("percent", 1.0, "%", "％", "percent", "per cent")
_add("power", 1.0, "w", "瓦", "watt", "watts")
_add("power", 1000.0, "kw", "千瓦")
_add("voltage", 1.0, "v", "伏", "volt", "volts")
_add("charge", 1.0, "mah", "毫安", "毫安时")
_add("time", 1.0, "天", "day", "days", "日")
_add("time", 1 / 24, "小时", "hour", "hours", "h", "hr", "hrs")
_add("time", 1 / 1440, "分钟", "minute", "minutes", "min", "mins")
_add("time", 365.0, "年", "year", "years")
_add("time", 30.0, "个月", "month", "months")
_add("count", 1.0, "件套", "件", "个", "只", "双", "套", "层", "粒", "片", "支", "包", "盒",
     "瓶", "条", "枚", "色", "款", "pcs", "pc", "piece", "pieces", "pack", "packs", "set",
     "sets", "pk")
_CURRENCY_WORDS = {"元": "CNY", "块": "CNY", "rmb": "CNY", "cny": "CNY", "yuan": "CNY",
                   "usd": "USD", "dollars": "USD", "gbp": "GBP", "pounds sterling": "GBP",
                   "eur": "EUR", "euros": "EUR", "euro": "EUR"}
_CURRENCY_SYMBOLS = {"¥": "CNY", "￥": "CNY", "$": "USD", "£": "GBP", "€": "EUR"}

_CN_DIGITS = {"两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
              "十": 10}
_NUM = r"\d+[-\s]\d+/\d+|\d+/\d+|\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_UNIT_ALT = "|".join(sorted((re.escape(u) for u in [*_UNITS, *_CURRENCY_WORDS]),
                            key=len, reverse=True))
_QUANTITY = re.compile(
    rf"(?<![A-Za-z\d.,/])(?:(?P<cur>[¥￥$£€])\s?)?(?P<num>{_NUM})"
    rf"(?:\s?(?P<unit>{_UNIT_ALT})(?![A-Za-z]))?",
    re.I,
)
_CN_COUNT = re.compile(
    "(?P<num>[" + "".join(_CN_DIGITS) + "])(?P<unit>件套|件|个|只|双|套|层|粒|片|支|包|盒|瓶|色|款)")


@dataclass(frozen=True)
class Quantity:
    """A number as written (``number``) and, with its unit, in base units (``value``)."""

    number: float
    value: float
    dimension: str  # count (also for bare numbers), volume, mass, length, percent, money:CNY…
    has_unit: bool
    surface: str
    start: int
    end: int

    def same_amount(self, other: Quantity) -> bool:
        return self.dimension == other.dimension and _close(self.value, other.value)


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=0.005, abs_tol=1e-9)


def _to_float(num: str) -> float:
    num = num.replace(",", "")
    if "/" in num:
        whole, _, frac = num.replace("-", " ").rpartition(" ")
        return float(Fraction(frac)) + (float(whole) if whole.strip() else 0.0)
    return float(num)


def find_quantities(text: str) -> list[Quantity]:
    """Every number in ``text`` with its unit or currency, in order."""
    found: list[Quantity] = []
    for m in _QUANTITY.finditer(text):
        number = _to_float(m.group("num"))
        unit = (m.group("unit") or "").lower()
        symbol = m.group("cur")
        if symbol:
            found.append(Quantity(number, number, "money:" + _CURRENCY_SYMBOLS[symbol], True,
                                  m.group(0), m.start(), m.end()))
        elif unit in _CURRENCY_WORDS:
            found.append(Quantity(number, number, "money:" + _CURRENCY_WORDS[unit], True,
                                  m.group(0), m.start(), m.end()))
        elif unit:
            dimension, factor = _UNITS[unit]
            found.append(Quantity(number, number * factor, dimension, True, m.group(0),
                                  m.start(), m.end()))
        else:
            found.append(Quantity(number, number, "count", False, m.group(0).strip(),
                                  m.start(), m.end()))
    for m in _CN_COUNT.finditer(text):
        n = float(_CN_DIGITS[m.group("num")])
        found.append(Quantity(n, n, "count", True, m.group(0), m.start(), m.end()))
    return sorted(found, key=lambda q: q.start)


def supported(quantity: Quantity, facts: list[Quantity]) -> tuple[bool, Quantity | None]:
    """Whether ``quantity`` states an amount from ``facts``; else the fact with the same number
    in another unit, if any (a wrong unit rather than a wrong number)."""
    if not quantity.has_unit:
        # A bare number restates any fact's number ("set of 3", "50's")
        if any(_close(quantity.number, f.number) for f in facts):
            return True, None
        return False, None
    if any(quantity.same_amount(f) for f in facts):
        return True, None
    # counts and bare numbers are the same kind of thing: "3件套" restates "SET OF 3"
    if quantity.dimension == "count" and any(
            not f.has_unit and _close(quantity.number, f.number) for f in facts):
        return True, None
    same_number = next((f for f in facts if _close(quantity.number, f.number)), None)
    return False, same_number
