"""Periods as merchants say them, in Chinese and English, read relative to an "as of" day.

``read_period("上个月客单价", as_of)`` finds "上个月" and returns the calendar month before
``as_of``'s. Every reading is a :class:`Period` with inclusive dates and a label in both
languages, so the answer can say exactly which days it counted.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import re
from dataclasses import dataclass

import pandas as pd

_ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9, "十": 10}
_EN_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
               "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15,
               "twenty": 20, "thirty": 30, "a": 1, "an": 1}
_MONTHS_EN = {name: i for i, names in enumerate(
    [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
     ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
     ("october", "oct"), ("november", "nov"), ("december", "dec")], start=1) for name in names}
_MONTH_RE = "|".join(sorted(_MONTHS_EN, key=len, reverse=True))
# without "may", a verb as often as a month where no year or day number anchors it
_MONTH_RE_NO_MAY = "|".join(sorted((m for m in _MONTHS_EN if m != "may"), key=len, reverse=True))
_ORDINAL_EN = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4,
               "4th": 4}
_NUM = r"(\d+|[零〇一二两三四五六七八九十]+)"
#: the day of the week (Monday = 0) that a Chinese or English name says: 星期一, 星期日 or 星期天
ZH_WEEKDAY_CHARS = "一二三四五六日"
ZH_WEEKDAYS = {**{c: i for i, c in enumerate(ZH_WEEKDAY_CHARS)}, "天": 6}
EN_WEEKDAYS = {name: i for i, name in enumerate(
    ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))}
_WEEKDAY_RE = "|".join(EN_WEEKDAYS)


def zh_number(text: str) -> int:
    """``"12"``, ``"十二"``, ``"三十"`` → 12, 12, 30 (numbers up to 99)."""
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_ZH_DIGITS.get(tens, 1) if tens else 1) * 10 + (_ZH_DIGITS[ones] if ones else 0)
    return _ZH_DIGITS[text]


def en_number(text: str) -> int:
    return int(text) if text.isdigit() else _EN_NUMBERS[text.lower()]


@dataclass(frozen=True)
class Period:
    """Days ``start``..``end`` (inclusive; both None means all the data)."""

    start: dt.date | None
    end: dt.date | None
    label_en: str
    label_zh: str

    @property
    def is_all(self) -> bool:
        return self.start is None and self.end is None

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en

    def span(self) -> str:
        if self.is_all:
            return "all data"
        if self.start is None:
            return f"up to {self.end}"
        if self.start == self.end:
            return str(self.start)
        return f"{self.start} – {self.end}"


ALL_TIME = Period(None, None, "all data", "全部数据")


def month(year: int, m: int) -> Period:
    start = dt.date(year, m, 1)
    end = (pd.Timestamp(start) + pd.offsets.MonthEnd(0)).date()
    return Period(start, end, start.strftime("%B %Y"), f"{year}年{m}月")


def quarter(year: int, q: int) -> Period:
    start = dt.date(year, 3 * q - 2, 1)
    end = (pd.Timestamp(start) + pd.offsets.QuarterEnd(0)).date()
    return Period(start, end, f"Q{q} {year}", f"{year}年第{q}季度")


def half(year: int, h: int) -> Period:
    start, end = (dt.date(year, 1, 1), dt.date(year, 6, 30)) if h == 1 else \
        (dt.date(year, 7, 1), dt.date(year, 12, 31))
    return Period(start, end, f"H{h} {year}", f"{year}年{'上' if h == 1 else '下'}半年")


def year(y: int) -> Period:
    return Period(dt.date(y, 1, 1), dt.date(y, 12, 31), str(y), f"{y}年")


def iso_week(y: int, w: int) -> Period:
    start = dt.date.fromisocalendar(y, w, 1)
    return Period(start, start + dt.timedelta(days=6), f"week {w} of {y}",
                  f"{y}年第{w}周")


def day(d: dt.date) -> Period:
    return Period(d, d, d.isoformat(), f"{d.year}年{d.month}月{d.day}日")


def days(start: dt.date, end: dt.date) -> Period:
    return Period(start, end, f"{start} to {end}",
                  f"{start.year}年{start.month}月{start.day}日至{end.year}年{end.month}月"
                  f"{end.day}日")


def last_n(n: int, unit: str, as_of: dt.date) -> Period:
    """The ``n`` days, weeks or months ending on ``as_of`` (inclusive)."""
    if unit == "day":
        start = as_of - dt.timedelta(days=n - 1)
    elif unit == "week":
        start = as_of - dt.timedelta(days=7 * n - 1)
    else:
        start = (pd.Timestamp(as_of) - pd.DateOffset(months=n) + pd.Timedelta(days=1)).date()
    zh_unit = {"day": "天", "week": "周", "month": "个月"}[unit]
    return Period(start, as_of, f"the last {n} {unit}{'s' * (n > 1)} ({start} to {as_of})",
                  f"最近{n}{zh_unit}（{start} 至 {as_of}）")


def part_of_month(year: int, m: int, first: int, last: int | None, en: str, zh: str) -> Period:
    """Days ``first``..``last`` (None: the month's last day) of a month: 上旬, first half …"""
    whole = month(year, m)
    start = whole.start.replace(day=first)
    end = whole.end if last is None else whole.start.replace(day=last)
    return Period(start, end, f"{en} {whole.label_en} ({start} to {end})",
                  f"{year}年{m}月{zh}（{start} 至 {end}）")


def quarters(year: int, first: int, last: int) -> Period:
    start, end = quarter(year, first).start, quarter(year, last).end
    return Period(start, end, f"Q{first}–Q{last} {year} ({start} to {end})",
                  f"{year}年第{first}至{last}季度（{start} 至 {end}）")


def months(year: int, first: int, last: int) -> Period:
    if first == last:
        return month(year, first)
    start, end = month(year, first).start, month(year, last).end
    return Period(start, end, f"{month(year, first).label_en} to {month(year, last).label_en}",
                  f"{year}年{first}月至{last}月")


def since(start: dt.date, as_of: dt.date) -> Period:
    return Period(start, as_of, f"since {start} ({start} to {as_of})",
                  f"{start.year}年{start.month}月{start.day}日以来（{start} 至 {as_of}）")


def _latest_day(m: int, d: int, as_of: dt.date, year_: int | None = None) -> Period:
    return day(_to_date(year_, m, d, as_of))


def _before_month(m: int, as_of: dt.date) -> Period:
    """"last December": the latest such month that began before this month."""
    y = as_of.year if m < as_of.month else as_of.year - 1
    return month(y, m)


def _whole_months(p: Period) -> bool:
    return bool(p.start and p.end and p.start.day == 1 and (p.end + dt.timedelta(days=1)).day == 1)


def _whole_year(p: Period) -> bool:
    return bool(p.start and p.end and (p.start.month, p.start.day) == (1, 1)
                and (p.end.month, p.end.day) == (12, 31) and p.start.year == p.end.year)


def _whole_month(p: Period) -> bool:
    return _whole_months(p) and (p.start.year, p.start.month) == (p.end.year, p.end.month)


def _shifted(p: Period, unit: str) -> Period:
    """The same days one week, month or quarter before ``p``, or two weeks ("fortnight")."""
    offset = {"week": pd.DateOffset(weeks=1), "fortnight": pd.DateOffset(weeks=2),
              "month": pd.DateOffset(months=1), "quarter": pd.DateOffset(months=3)}[unit]
    start, end = ((pd.Timestamp(d) - offset).date() for d in (p.start, p.end))
    zh = {"week": "上周同期", "fortnight": "两周前同期", "month": "上月同期",
          "quarter": "上季度同期"}[unit]
    en = "the same days two weeks earlier" if unit == "fortnight" else f"the same days last {unit}"
    return Period(start, end, f"{en} ({start} to {end})", f"{zh}（{start} 至 {end}）")


def _weekday(weekday: int, which: str, as_of: dt.date) -> Period:
    """"last/previous Friday": last week's; "this Monday": this week's; a bare "Friday": the
    latest one up to ``as_of``."""
    monday = as_of - dt.timedelta(days=as_of.weekday())
    d = monday + dt.timedelta(days=weekday)
    if which in ("last", "previous") or which != "this" and d > as_of:
        d -= dt.timedelta(days=7)
    return day(d)


# the lunar holidays' days, from the Chinese lunisolar calendar (as the `holidays` package
# computes it): Spring Festival (正月初一), Dragon Boat (五月初五), Mid-Autumn (八月十五), MMDD
_LUNAR = {
    2000: "0205 0606 0912", 2001: "0124 0625 1001", 2002: "0212 0615 0921",
    2003: "0201 0604 0911", 2004: "0122 0622 0928", 2005: "0209 0611 0918",
    2006: "0129 0531 1006", 2007: "0218 0619 0925", 2008: "0207 0608 0914",
    2009: "0126 0528 1003", 2010: "0214 0616 0922", 2011: "0203 0606 0912",
    2012: "0123 0623 0930", 2013: "0210 0612 0919", 2014: "0131 0602 0908",
    2015: "0219 0620 0927", 2016: "0208 0609 0915", 2017: "0128 0530 1004",
    2018: "0216 0618 0924", 2019: "0205 0607 0913", 2020: "0125 0625 1001",
    2021: "0212 0614 0921", 2022: "0201 0603 0910", 2023: "0122 0622 0929",
    2024: "0210 0610 0917", 2025: "0129 0531 1006", 2026: "0217 0619 0925",
    2027: "0206 0609 0915", 2028: "0126 0528 1003", 2029: "0213 0616 0922",
    2030: "0203 0605 0912", 2031: "0123 0624 1001", 2032: "0211 0612 0919",
    2033: "0131 0601 0908", 2034: "0219 0620 0927", 2035: "0208 0610 0916",
    2036: "0128 0530 1004", 2037: "0215 0618 0924", 2038: "0204 0607 0913",
    2039: "0124 0527 1002", 2040: "0212 0614 0920"}
# name → (which of the three, days after it): 除夕 is the day before the Spring Festival,
# 元宵 (the Lantern Festival) 14 days after it
_LUNAR_HOLIDAYS = (
    ("春节|大年初一|农历新年", r"chinese new year(?!'?s? eve)'?s?(?: day)?|lunar new year(?!'?s? eve)'?s?(?: day)?|"
     r"the spring festival", 0, 0),
    ("除夕|大年三十", r"chinese new year'?s eve|lunar new year'?s eve", 0, -1),
    ("元宵节?|正月十五", r"(?:the )?lantern festival", 0, 14),
    ("端午节?", r"(?:the )?dragon boat festival|duanwu", 1, 0),
    ("中秋节?", r"(?:the )?mid-?autumn festival|(?:the )?moon festival", 2, 0))


def _lunar_day(which: int, after: int, year_: int | None, as_of: dt.date) -> Period:
    """A lunar holiday of ``year_``, or the latest one up to ``as_of``."""
    def of(y: int) -> dt.date:
        mmdd = _LUNAR[y].split()[which]
        return dt.date(y, int(mmdd[:2]), int(mmdd[2:])) + dt.timedelta(days=after)

    if year_:
        return day(of(year_))
    return day(of(as_of.year) if of(as_of.year) <= as_of else of(as_of.year - 1))


_EN_DAY3 = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _days_of_week(m: re.Match, as_of: dt.date) -> Period | None:
    """The first to the last of days of one week said one by one ("这周一周二", "Mon and Tue
    this week"); None unless they follow each other."""
    if m[1]:
        which, said = m[1], [ZH_WEEKDAYS[c] for c in re.findall(r"(?:周|星期|礼拜)([一二三四五六日天])",
                                                                 m[0])]
    else:
        which = "上" if m[6] == "last" else "这"
        said = [_EN_DAY3.index(w[:3]) for w in re.findall(r"\b(?:mon|tue|wed|thu|fri|sat|sun)",
                                                            m[0][:m.start(6) - m.start()])]
    if sorted(said) != list(range(min(said), max(said) + 1)) or len(said) < 2:
        return None
    monday = as_of - dt.timedelta(days=as_of.weekday() + (7 if which == "上" else 0))
    return days(monday + dt.timedelta(days=min(said)), monday + dt.timedelta(days=max(said)))


def _week_around(d: dt.date | None) -> Period | None:
    """The Monday-to-Sunday week that holds ``d``."""
    if d is None:
        return None
    monday = d - dt.timedelta(days=d.weekday())
    return days(monday, monday + dt.timedelta(days=6))


def _week_back(as_of: dt.date, weeks: int, en: str, zh: str) -> Period:
    """The Monday-to-Sunday week ``weeks`` calendar weeks before the one holding ``as_of``."""
    start = as_of - dt.timedelta(days=as_of.weekday() + 7 * weeks)
    end = start + dt.timedelta(days=6)
    return Period(start, end, f"{en} ({start} to {end})", f"{zh}（{start} 至 {end}）")


def _weekday_from(d: dt.date, weekday: int) -> dt.date:
    """The first ``weekday`` (Monday = 0) on or after ``d``."""
    return d + dt.timedelta(days=(weekday - d.weekday()) % 7)


def _black_friday(year_: str | int | None, as_of: dt.date) -> dt.date:
    """The day after the fourth Thursday of November: of ``year_``, or the latest up to
    ``as_of``."""
    return _nth_weekday(year_, as_of - dt.timedelta(days=1), 11, 3, 4) + dt.timedelta(days=1)


# words that set two periods against each other
_COMPARING = re.compile(r"比|对比|相比|和|与|跟|较|\bvs|versus|compare|than|against|relative|"
                        r"\bfrom\b|\bover\b|\bchange|\bgr[eo]w|\bbeat\b|\boutsold\b|\boutsell|增长|变化|下降|"
                        r"\bshort of\b|\bbehind\b|\bahead of\b|还差|落后于?|领先于?")


def _nth_weekday(year_: str | int | None, as_of: dt.date, month_: int, weekday: int,
                 n: int) -> dt.date:
    """The ``n``-th ``weekday`` (Monday = 0) of ``month_``: of ``year_``, or the latest one up
    to ``as_of``. Thanksgiving is the 4th Thursday of November, Father's Day the 3rd Sunday of
    June (the UK's, the US's and China's)."""
    def of(y: int) -> dt.date:
        return _weekday_from(dt.date(y, month_, 1), weekday) + dt.timedelta(days=7 * (n - 1))

    if year_:
        return of(int(year_))
    return of(as_of.year) if of(as_of.year) <= as_of else of(as_of.year - 1)


def _month_named(said: str, as_of: dt.date, year_: str | None = None) -> Period:
    """The month that 上个月 / 这个月 / 本月 / "last month" / "this month" / "11月" / 十一月份 /
    "november" names: of ``year_``, else the latest one up to ``as_of``."""
    said = said.strip()
    if said in ("上个月", "上月", "last month"):
        return month(*((as_of.year, as_of.month - 1) if as_of.month > 1 else (as_of.year - 1, 12)))
    if said in ("这个月", "这月", "本月", "this month"):
        return month(as_of.year, as_of.month)
    mo = _MONTHS_EN[said] if said in _MONTHS_EN else zh_number(re.sub(r"\s*月份?$", "", said))
    return month(int(year_), mo) if year_ else _latest(month, as_of, mo)


def _working_day(m: re.Match, as_of: dt.date) -> Period:
    """The first or last weekday (Monday to Friday) of the month a match names."""
    edge = m[4] or m[5] or m[8]
    whole = _month_named(m[3] or m[1] or m[6] or m[7], as_of, m[2])
    d = whole.start if edge in ("第一个", "头一个", "first") else whole.end
    step = dt.timedelta(days=1 if d == whole.start else -1)
    while d.weekday() > 4:
        d += step
    return day(d)


_QUARTER_MONTH_ZH = {"第一": 1, "头": 1, "头一": 1, "第二": 2, "中间": 2, "第三": 3, "最后": 3,
                     "最后一": 3}
_QUARTER_MONTH_EN = {"first": 1, "opening": 1, "second": 2, "middle": 2, "third": 3, "last": 3,
                     "closing": 3, "final": 3}


def _quarters_back(as_of: dt.date, n: int) -> tuple[int, int]:
    """The year and number of the quarter ``n`` quarters before ``as_of``'s (0: its own)."""
    index = as_of.year * 4 + (as_of.month - 1) // 3 - n
    return index // 4, index % 4 + 1


def _months_of_quarters(t: str, as_of: dt.date, each) -> None:
    """"上个季度最后那个月", "the closing month of last quarter", "Q3的第一个月"; and "its first
    month" / "和第一个月比" after one: a month of the quarter named."""
    named: list[tuple[int, int]] = []

    def of(which: int, y: int, q: int) -> Period:
        named.append((y, q))
        return month(y, 3 * q - 3 + which)

    def quarter_of(zh: str | None, en: str | None, y: str | None, q: str | None) -> tuple[int, int]:
        if (zh and zh.startswith("上")) or (en and en in ("last", "previous", "prior")):
            return _quarters_back(as_of, 1)
        if q:
            n = zh_number(q) if not q.isdigit() else int(q)
            return (int(y), n) if y else (_latest(quarter, as_of, n).start.year, n)
        return _quarters_back(as_of, 0)

    each(r"(上个?季度|这个?季度|本季度|(?:(\d{4})\s*年\s*)?(?:第?([一二三四1-4])季度|q([1-4])))\s*(?:的)?"
         r"(第一|头一|头|第二|中间|第三|最后一|最后)(?:那|一)?个?月(?!份)",
         lambda m: of(_QUARTER_MONTH_ZH[m[5]], *quarter_of(m[1], None, m[2], m[3] or m[4])))
    each(r"\b(?:the )?(first|opening|second|middle|third|last|closing|final) month of (?:the )?"
         r"(?:(last|previous|prior|this|current) quarter|q([1-4])(?: (\d{4}))?)\b",
         lambda m: of(_QUARTER_MONTH_EN[m[1]], *quarter_of(None, m[2], m[4], m[3])))
    if named:  # "…than in its first month", "…和第一个月比": the same quarter's
        each(r"\bits (first|opening|second|middle|third|last|closing|final) month\b"
             r"|(?<=[和跟与比较])\s*(第一|头一|头|第二|中间|第三|最后一|最后)个月",
             lambda m: month(named[0][0], 3 * named[0][1] - 3 + (
                 _QUARTER_MONTH_EN[m[1]] if m[1] else _QUARTER_MONTH_ZH[m[2]])))


def _months_up_to(t: str, as_of: dt.date, each) -> None:
    """"年初到11月底", "from the start of the year through November"; "截至11月底的这三个月",
    "the three months to the end of November"; "since the start of July": whole months."""
    def end_of(mo: int, y: str | None) -> dt.date:
        return (month(int(y), mo) if y else _latest(month, as_of, mo)).end

    spans: list[Period] = []

    def up_to(n: int, mo: int, y: str | None) -> Period:
        end = end_of(mo, y)
        start = (pd.Timestamp(end.replace(day=1)) - pd.DateOffset(months=n - 1)).date()
        spans.append(Period(start, end, f"the {n} months to the end of "
                            f"{month(end.year, mo).label_en} ({start} to {end})",
                            f"截至{end.year}年{mo}月底的{n}个月（{start} 至 {end}）"))
        return spans[-1]

    def before(n: int) -> Period:
        end = spans[0].start - dt.timedelta(days=1)
        start = (pd.Timestamp(end.replace(day=1)) - pd.DateOffset(months=n - 1)).date()
        return Period(start, end, f"the {n} months before ({start} to {end})",
                      f"之前的{n}个月（{start} 至 {end}）")

    def year_to(mo: int, y: str | None) -> Period:
        end = end_of(mo, y)
        return days(dt.date(end.year, 1, 1), end)

    zh_month = r"(\d{1,2}|[一二三四五六七八九十]+)\s*月"
    each(r"(?:(\d{4})\s*年\s*)?(?:今年)?(?:年初|年头|开年)(?:以来)?\s*(?:到|至|一直到|截至)\s*" + zh_month
         + r"(?:底|末|份|结束)?",
         lambda m: year_to(zh_number(m[2]), m[1]))
    each(rf"\bfrom the (?:start|beginning) of (?:the year|(\d{{4}})) (?:through|to|until|till|up to)"
         rf" (?:the end of )?({_MONTH_RE})\b",
         lambda m: year_to(_MONTHS_EN[m[2]], m[1]))
    each(r"(?:截(?:至|止)(?:到)?|到)\s*" + zh_month + r"(?:底|末)\s*(?:的|为止的?)?\s*(?:这|前|过去|最近)?"
         r"([一二三四五六七八九十两\d]+)\s*个月",
         lambda m: up_to(zh_number(m[2]), zh_number(m[1]), None))
    each(rf"\b(?:the |last )?(\w+) months (?:to|ending|up to|through|until) (?:the )?end(?:-| of )"
         rf"({_MONTH_RE})\b(?:,? (\d{{4}}))?",
         lambda m: up_to(en_number(m[1]), _MONTHS_EN[m[2]], m[3]))
    # "December two years ago": that month of the year before last
    each(rf"\b({_MONTH_RE}) (two|three|2|3) years ago\b",
         lambda m: month(as_of.year - en_number(m[2]), _MONTHS_EN[m[1]]))
    # "the first Sunday of 2011", "今年第一个礼拜天", "11月最后一个周五": that day of the year or month
    nth_en = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4,
              "4th": 4, "last": -1, "final": -1}
    each(rf"\b(?:the )?(first|1st|second|2nd|third|3rd|fourth|4th|last|final) ({_WEEKDAY_RE}) "
         rf"(?:of|in) (\d{{4}}|the year|this year|last month|this month|{_MONTH_RE})\b",
         lambda m: day(_edge_weekday(nth_en[m[1]], EN_WEEKDAYS[m[2]], m[3], as_of)))
    each(r"(\d{4}\s*年|今年|上个?月|这个?月|本月|(?:\d{1,2}|[一二三四五六七八九十]+)\s*月份?)(?:的)?"
         r"(第一|头一|第二|第三|第四|最后一)个(?:周|星期|礼拜)([一二三四五六日天])",
         lambda m: day(_edge_weekday({"第一": 1, "头一": 1, "第二": 2, "第三": 3, "第四": 4,
                                      "最后一": -1}[m[2]], ZH_WEEKDAYS[m[3]], m[1], as_of)))
    # "Jan-Jun", "Mar-May", "Sep–Nov 2011": whole months
    each(rf"\b({_MONTH_RE})\s*[-–]\s*({_MONTH_RE})\b(?:,? (\d{{4}}))?",
         lambda m: _month_span(_MONTHS_EN[m[1]], _MONTHS_EN[m[2]], m[3], as_of))
    # "7月以后", "7月往后", "7月份之后": since the month began
    each(r"(?<![\d年])(\d{1,2}|[一二三四五六七八九十]+)\s*月份?(?:以后|往后|之后|以来)(?!\s*的?\s*\d)",
         lambda m: since(_latest(month, as_of, zh_number(m[1])).start, as_of))
    # "the last three days of Nov", "11月最后三天": the month's last days
    each(rf"\b(?:the )?(?:last|final) (\w+) days of ({_MONTH_RE})\b(?:,? (\d{{4}}))?",
         lambda m: (lambda end: days(end - dt.timedelta(days=en_number(m[1]) - 1), end))(
             end_of(_MONTHS_EN[m[2]], m[3])))
    each(r"(?:(\d{4})\s*年\s*)?(\d{1,2}|[一二三四五六七八九十]+)\s*月份?(?:的)?最后(\d+|[一二三四五六七八九十两]+)天",
         lambda m: (lambda end: days(end - dt.timedelta(days=zh_number(m[3]) - 1), end))(
             end_of(zh_number(m[2]), m[1])))
    # "7/15到8/15", "7/15 - 8/15": month/day, read so only when the day cannot be a month
    each(r"(?<![\d/])(\d{1,2})/(\d{1,2})\s*(?:到|至|-|–|~|to|until|through)\s*(\d{1,2})/(\d{1,2})(?![\d/])",
         lambda m: _month_day_range(m, as_of))
    if spans:  # "…vs the three months before that (Jun-Aug)": as long, just before
        each(r"\bthe (\w+) months (?:before|prior to|preceding) (?:that|then|those|it)\b"
             r"(?:\s*[(（][^)）]{0,24}[)）])?|(?:之前|再往前|前面)(?:的)?([一二三四五六七八九十两\d]+)个月"
             r"(?:\s*[(（][^)）]{0,24}[)）])?",
             lambda m: before(en_number(m[1]) if m[1] else zh_number(m[2])))
    each(rf"\bsince (?:the )?(?:start|beginning) of ({_MONTH_RE})\b(?:,? (\d{{4}}))?",
         lambda m: since(month(int(m[2]), _MONTHS_EN[m[1]]).start if m[2]
                         else _latest(month, as_of, _MONTHS_EN[m[1]]).start, as_of))


def _edge_weekday(nth: int, weekday: int, within: str, as_of: dt.date) -> dt.date:
    """The ``nth`` (-1: the last) ``weekday`` (Monday = 0) of a year ("2011", "2011年", "今年",
    "the year") or of a month ("november", "11月", "上个月", "last month")."""
    within = within.strip()
    if m := re.fullmatch(r"(\d{4})\s*年?", within):
        span = year(int(m[1]))
    elif within in ("今年", "the year", "this year"):
        span = year(as_of.year)
    else:
        span = _month_named(within, as_of)
    assert span.start and span.end
    if nth == -1:
        return span.end - dt.timedelta(days=(span.end.weekday() - weekday) % 7)
    found = _weekday_from(span.start, weekday) + dt.timedelta(days=7 * (nth - 1))
    if found > span.end:
        raise ValueError(f"no {nth}th weekday {weekday} in {span.label_en}")
    return found


_FULL_MONTHS = ("january", "february", "march", "april", "june", "july", "august", "september",
                "october", "november", "december")


def _month_typo(m: re.Match) -> str:
    """A month's name typed with a letter out ("novmber", "decmeber") as the month; other
    words as they are (the first three letters must agree, and nine in ten of the rest)."""
    word = m[0].lower()
    if word in _FULL_MONTHS:
        return m[0]
    close = difflib.get_close_matches(word, [w for w in _FULL_MONTHS if w[:3] == word[:3]], 1, 0.9)
    if not close:
        return m[0]
    return close[0].capitalize() if m[0][0].isupper() else close[0]


def _first_working_days(m: re.Match, as_of: dt.date) -> Period:
    """The month's 1st to its n-th Monday-to-Friday day."""
    said, n = (m[1], zh_number(m[2])) if m[1] else (m[4], en_number(m[3]))
    start = _month_named(said, as_of).start
    d, counted = start, 0
    while True:
        counted += d.weekday() < 5
        if counted == n:
            return days(start, d)
        d += dt.timedelta(days=1)


def _month_span(first: int, last: int, y: str | None, as_of: dt.date) -> Period:
    """Whole months ``first``..``last`` (of ``y``, else the latest run that has begun)."""
    if first <= last:
        return months(int(y), first, last) if y else _latest(months, as_of, first, last)
    end = month(int(y), last) if y else _latest(month, as_of, last)
    return days(month(end.end.year - 1, first).start, end.end)


def _month_day_range(m: re.Match, as_of: dt.date) -> Period | None:
    """"7/15到8/15": month/day when a day is past 12 (15/7 would be day/month); two numbers
    that could both be months are left unread."""
    a, b, c, d = (int(x) for x in m.groups())
    if b > 12 or d > 12:
        first, last = (a, b), (c, d)
    elif a > 12 or c > 12:
        first, last = (b, a), (d, c)
    else:
        return None
    start = _to_date(None, first[0], first[1], as_of)
    end = dt.date(start.year + (last < first), last[0], last[1])
    return days(start, end)


def _latest(make, as_of: dt.date, *args: int) -> Period:
    """This year's period, or last year's when this year's has not begun by ``as_of``."""
    p = make(as_of.year, *args)
    return p if p.start <= as_of else make(as_of.year - 1, *args)


def _to_date(y: int | None, m: int, d: int, as_of: dt.date) -> dt.date:
    if y is not None:
        return dt.date(y, m, d)
    candidate = dt.date(as_of.year, m, d)
    return candidate if candidate <= as_of else dt.date(as_of.year - 1, m, d)


#: the day each season starts, by the way of counting seasons a choice asked back settles:
#: whole months, the equinoxes and solstices, or the 24 solar terms (立春, 立夏, 立秋, 立冬)
SEASON_STARTS = {
    "months": {"spring": (3, 1), "summer": (6, 1), "autumn": (9, 1), "winter": (12, 1)},
    "equinox": {"spring": (3, 20), "summer": (6, 21), "autumn": (9, 23), "winter": (12, 22)},
    "jieqi": {"spring": (2, 4), "summer": (5, 6), "autumn": (8, 8), "winter": (11, 8)},
}
_SEASON_ZH = {"spring": "春", "summer": "夏", "autumn": "秋", "winter": "冬"}
_SEASON_WAY = {"months": ("whole months", "按整月"), "equinox": ("from the equinox or solstice",
                                                              "按二分二至"),
               "jieqi": ("by the solar terms", "按节气")}
#: the days at the end of a month, by the choice asked back that settles "月底那几天"
MONTH_END_DAYS = {"month end 3": 3, "month end 7": 7, "month end 10": 10}
#: the month a financial year starts in, by the choice asked back that settles it
FISCAL_STARTS = {"fy1": 1, "fy4": 4, "fy7": 7}


def season(y: int, name: str, way: str) -> Period:
    """The season ``name`` that starts in year ``y``, counted ``way`` (a SEASON_STARTS key)."""
    starts = SEASON_STARTS[way]
    start = dt.date(y, *starts[name])
    following = {"spring": "summer", "summer": "autumn", "autumn": "winter", "winter": "spring"}
    end = dt.date(y + (name == "winter"), *starts[following[name]]) - dt.timedelta(days=1)
    en, zh = _SEASON_WAY[way]
    return Period(start, end, f"{name} {y} ({start} to {end}, {en})",
                  f"{y}年{_SEASON_ZH[name]}天（{start} 至 {end}，{zh}）")


def fiscal_year(first: dt.date, as_of: dt.date) -> Period:
    """The financial year starting on ``first``, up to ``as_of`` when it has not ended."""
    end = min(dt.date(first.year + 1, first.month, 1) - dt.timedelta(days=1), as_of)
    return Period(first, end, f"the financial year from {first.day} {first:%B %Y} ({first} to {end})",
                  f"{first.year}年{first.month}月1日起的财年（{first} 至 {end}）")


def week_in_month(whole: Period, nth: int, way: str) -> Period | None:
    """The ``nth`` week (-1: the last) of the month ``whole``: seven days counted from the 1st
    (the last: its last seven days) for way "counted", a Monday-to-Sunday week inside the
    month for "whole"."""
    if way == "counted":
        start = whole.end - dt.timedelta(days=6) if nth == -1 else \
            whole.start + dt.timedelta(days=7 * (nth - 1))
    elif nth == -1:
        start = whole.end - dt.timedelta(days=(whole.end.weekday() + 1) % 7 + 6)
    else:
        start = whole.start + dt.timedelta(days=(7 - whole.start.weekday()) % 7 + 7 * (nth - 1))
    end = start + dt.timedelta(days=6)
    if end > whole.end:  # no fifth whole week
        return None
    en = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}[nth]
    zh = "最后一" if nth == -1 else f"第{nth}"
    if way == "counted":
        return Period(start, end, f"the {en} seven days of {whole.label_en} ({start} to {end})",
                      f"{whole.label_zh}{zh}个7天（{start} 至 {end}）")
    return Period(start, end, f"the {en} whole week of {whole.label_en}, Monday to Sunday "
                              f"({start} to {end})",
                  f"{whole.label_zh}{zh}个完整周（周一至周日，{start} 至 {end}）")


def _settled_spans(t: str, as_of: dt.date, settled: str, each) -> None:
    """The periods of vague words that a choice asked back settled: a season, a financial
    year, the nth week of a month."""
    if settled in SEASON_STARTS:
        for name in SEASON_STARTS[settled]:
            zh = _SEASON_ZH[name]
            each(rf"(?:(\d{{4}})\s*年\s*(?:的)?\s*)?(?<![中入自]){zh}(?:天|季)"
                 rf"|\b(?:(?:the )?{name} (?:of )?(\d{{4}})|(\d{{4}}) {name}|(?:this |last )?"
                 rf"(?<!mid-){name}(?:'s)?\b)" + (r"|\bfall\b" if name == "autumn" else ""),
                 lambda m, n=name: season(int(m[1] or m[2] or m[3]), n, settled)
                 if (m[1] or m[2] or m[3]) else _latest(season, as_of, n, settled))
    if settled in FISCAL_STARTS:
        mo = FISCAL_STARTS[settled]
        current = dt.date(as_of.year - (as_of.month < mo), mo, 1)
        each(r"(上一?个?|去年的?)(?:财年|财政年度|会计年度)|\b(?:last|previous|prior) (?:fiscal|financial)"
             r" year\b|\blast fy\b",
             lambda m: fiscal_year(current.replace(year=current.year - 1), as_of))
        each(r"(\d{4})\s*(?:财年|财政年度|会计年度)|\b(?:fiscal|financial) year (\d{4})\b|\bfy ?(\d{4})\b",
             lambda m: fiscal_year(dt.date(int(m[1] or m[2] or m[3]), mo, 1), as_of))
        each(r"(?:本|这个?|今年的?|当前)?(?:财年|财政年度|会计年度)(?:至今|以来|到现在|到目前为止)?"
             r"|\b(?:(?:this|current|the) )?(?:fiscal|financial) year(?: to date| so far)?\b|\bfytd\b",
             lambda m: fiscal_year(current, as_of))
    if settled in ("counted", "whole"):
        nth_zh = {"第一": 1, "头一": 1, "第二": 2, "第三": 3, "第四": 4, "最后一": -1, "最后": -1}
        nth_en = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1, "final": -1}

        def which_month(said: str, y: str | None) -> Period:
            return _month_named("this month" if said == "the month" else said, as_of, y)

        each(r"(上个?月|这个?月|本月|(?:(\d{4})\s*年\s*)?(\d{1,2}|[一二三四五六七八九十]+)\s*月份?)\s*(?:的)?\s*"
             r"(第一|头一|第二|第三|第四|最后一|最后)个?(?:周|星期|礼拜)",
             lambda m: week_in_month(which_month(m[3] or m[1], m[2]), nth_zh[m[4]], settled))
        each(rf"\b(?:the )?(first|second|third|fourth|last|final) week (?:of|in) (?:(last month|this month|"
             rf"the month)|({_MONTH_RE})(?:,? (\d{{4}}))?)\b",
             lambda m: week_in_month(which_month(m[2] or m[3], m[4]), nth_en[m[1]], settled))


@dataclass(frozen=True)
class PeriodReading:
    """What a question says about time: the period, a comparison, and the text it used."""

    period: Period | None
    compare: str | Period | None  # "previous", "year", or an explicit second period
    matched: tuple[str, ...]
    vague: str | None = None  # a time word that needs a span ("最近", "上次")
    periods: tuple[Period, ...] = ()  # every period named, in the order of the text
    listed: str | None = None  # "3月、4月、5月各自": consecutive months, one row each
    no_such_day: str | None = None  # "上个月31号" when last month had 30 days: the words said


_IN_A_YEAR_ZH = (r"(?=\s*(?:的)?\s*(?:前|头|第|最后一?个?(?:周|星期|礼拜|天|月)|[一二三四五六七八九十\d]+\s*(?:月|到|至|-|~)|[上下]半年|[一二三四]季度"
                 r"|[春夏秋]天|[春夏秋]季|情人节|万圣节|元旦|平安夜|圣诞|双十一|双11|双十二|双12"
                 r"|黑五|黑色星期五|感恩节|国庆|愚人节|妇女节|三八|女神节|劳动节|五一|儿童节|春节|除夕|元宵|端午|中秋))")
_HOLIDAYS_EN = (r"black friday|cyber monday|thanksgiving(?: day)?|halloween|golden week|singles'? day|"
                r"valentine'?s(?: day)?|christmas(?: day| eve)?|boxing day|new year'?s day|"
                r"april fools'?(?: day)?|(?:international )?women'?s day|st\.? patrick'?s(?: day)?|"
                r"bonfire night|chinese new year'?s?(?: day)?|lantern festival|dragon boat festival|"
                r"mid-?autumn festival")


def years_named(t: str, as_of: dt.date) -> str:
    """今年/去年 before a month or quarter, and "this year"/"last year" after one, as the year
    itself ("今年1到6月" → "2011年1到6月", "january to june this year" → "january to june
    2011"), so the part of the year is read, not the whole year beside it."""
    for words, y in (("今年|本年", as_of.year), ("去年", as_of.year - 1), ("前年", as_of.year - 2)):
        t = re.sub(rf"(?:{words}){_IN_A_YEAR_ZH}", f"{y}年", t)
    for words, y in (("this year", as_of.year), ("last year", as_of.year - 1)):
        t = re.sub(rf"\b({_MONTH_RE_NO_MAY}|quarters|q[1-4]|half)(?:'s)? (?:of )?{words}\b",
                   rf"\1 {y}", t)
        t = re.sub(rf"\b{words}'s (?=q[1-4]\b|{_MONTH_RE_NO_MAY}|first|second|third|fourth|last)",
                   f"{y} ", t)
        t = re.sub(rf"\b({_HOLIDAYS_EN})(?:'s)? (?:of )?{words}\b", rf"\1 {y}", t)
        t = re.sub(rf"\b{words}'s (?:the )?(?=(?:{_HOLIDAYS_EN})\b)", f"{y}'s ", t)
    return t


_ZH_MONTH = r"(\d{1,2}|[一二三四五六七八九十]+)\s*月份?"
# "12月还没过完先不算", "不算12月", "leave Dec out, it's not over yet", "excluding December":
# a month left out of the period named with it
_MONTH_LEFT_OUT = re.compile(
    rf"(?:不算|除去|去掉|刨掉|刨去|扣掉|不含|不包括)\s*{_ZH_MONTH}(?!\s*\d)"
    rf"|(?<!\d)(?<!\d年){_ZH_MONTH}(?!\s*\d)[^，,。？?；;\d]{{0,8}}?(?:先|就)?(?:不算|除外|不计|别算|不要算|刨掉|去掉)"
    rf"|\b(?:leav(?:e|ing)|keep(?:ing)?|tak(?:e|ing)|put(?:ting)?)\s+(?:out\s+({_MONTH_RE})\b|"
    rf"({_MONTH_RE})\s+(?:out|aside)\b)|\b(?:excluding|except(?: for)?|not counting|minus)\s+"
    rf"({_MONTH_RE})\b"
    rf"|\b({_MONTH_RE})\s+(?:excluded|left out)\b", re.I)


def _without_month(p: Period, mo: int) -> Period | None:
    """``p`` without the month ``mo`` at its start or its end (None: no such month at an edge)."""
    if not (p.start and p.end):
        return None
    for y in range(p.start.year, p.end.year + 1):
        m = month(y, mo)
        assert m.start and m.end
        if p.start < m.start <= p.end <= m.end:
            start, end = p.start, m.start - dt.timedelta(days=1)
        elif m.start <= p.start <= m.end < p.end:
            start, end = m.end + dt.timedelta(days=1), p.end
        else:
            continue
        if start.day == 1 and (end + dt.timedelta(days=1)).day == 1 and start.year == end.year:
            return months(start.year, start.month, end.month)
        return days(start, end)
    return None


_SPAN_JOIN = re.compile(r"\s*(?:到|至|~|-|–|—|through|thru|to|until|till)\s*")
_TO_NOW = re.compile(r"\s*(?:一直)?(?:(?:到|至)\s*(?:现在|目前)|至今)|\s*(?:through|to|until|till|up to) "
                     r"(?:now|date|the present)\b")
# "上周五以来", "since Monday": a day to today
_SINCE_AFTER = re.compile(r"\s*(?:以来|起(?!来)|开始(?![的了]))")
_SINCE_BEFORE = re.compile(r"\bsince\s+(?:the\s+)?$|(?<![各来独亲])自从?\s*$")
_SET_AGAINST = re.compile(r"比|对比|相比|跟|较|变化|增长|下降|涨|跌|\bvs|versus|compar|than|against|"
                          r"\bchange|\bgr[eo]w|\bris(?:e|en)\b|\brose\b|\bf[ae]ll\b|\bdrop")


def _day_of_month_said(m: re.Match, as_of: dt.date) -> Period | None:
    """A day (or days, or a day to today) of this month, last month or the month before, as
    :func:`read_period` matched them; None for days that run backwards. A day the month lacks
    raises."""
    which = m[1] or m[6]
    back = 2 if which.startswith("上上") else 1 if which.startswith(("上", "last")) else 0
    first = (pd.Timestamp(as_of.replace(day=1)) - pd.DateOffset(months=back)).date()
    start = first.replace(day=int(m[2] or m[5]))
    if m[4]:  # "本月1号以来": the day to today
        return days(start, as_of) if start <= as_of else None
    if not m[3]:
        return day(start)
    end = first.replace(day=int(m[3]))
    return days(start, end) if end >= start else None


def _spans_joined(found: list[tuple[int, Period, str]], t: str, as_of: dt.date,
                  against_elsewhere: bool = False) -> list[tuple[int, Period, str]]:
    """"从黑五到今天", "from Black Friday through today", "双十一到现在": one span from the first
    day to the last, when a single day starts or ends it and nothing sets the two against
    each other (then they are compared)."""
    if not found or not all(p.start and p.end for _, p, _ in found):
        return found
    if against_elsewhere and len(found) > 2:
        # "这周一到今天的单量，跟上周同期比": the first two joined, the comparison said apart
        return _spans_joined(found[:2], t, as_of, against_elsewhere) + found[2:]
    if (_SET_AGAINST.search(t) and not against_elsewhere) or len(found) > 2:
        return found
    at, first, words = found[0]
    end = at + len(words)
    if len(found) == 2:
        at2, last, words2 = found[1]
        if first.start < last.end and (first.start == first.end or last.start == last.end) \
                and _SPAN_JOIN.fullmatch(t[end:at2]):
            said = t[at:at2 + len(words2)]
            return [(at, days(first.start, last.end), said)]
    elif first.start == first.end and first.end < as_of and (
            (now := _TO_NOW.match(t, end) or _SINCE_AFTER.match(t, end))
            or _SINCE_BEFORE.search(t[:at])):
        return [(at, days(first.start, as_of), t[at:now.end() if now else end])]
    return found


def read_period(text: str, as_of: dt.date, settled: str | None = None) -> PeriodReading:
    """The period and comparison a question names, relative to ``as_of``. ``settled`` says how
    vague words were settled by a choice asked back: a SEASON_STARTS, FISCAL_STARTS or
    MONTH_END_DAYS key; "counted" (a week as seven days from the 1st or 1 January) or "whole"
    (Monday to Sunday); "full months" or "rolling" (the last n months); "same month last year",
    "same 7 days last year" or "same 30 days last year" (this time last year); "same days last
    week" or "whole last week" (this week, not over, week on week)."""
    if out := _MONTH_LEFT_OUT.search(text):
        mo = zh_number(out[1] or out[2]) if out[1] or out[2] else _MONTHS_EN[
            next(g for g in out.groups()[2:] if g).lower()]
        rest = read_period(text[:out.start()] + " " * len(out[0]) + text[out.end():], as_of,
                           settled)
        cut = _without_month(rest.period, mo) if rest.period and 1 <= mo <= 12 else None
        if cut is not None:
            return PeriodReading(cut, rest.compare, rest.matched, rest.vague,
                                 (cut, *rest.periods[1:]), rest.listed)
    text = re.sub(r"\b[A-Za-z]{6,10}\b", _month_typo, text)  # "Novmber", "Septmber"
    text = re.sub(r"\bLY\b", "last year", text)  # "MTD vs the same days LY"
    text = re.sub(rf"\b({_MONTH_RE})\.? ['’‘](\d\d)\b", r"\1 20\2", text, flags=re.I)  # "Dec '10"
    t = re.sub(r"\b(wk|yr)(s?)\b", lambda m: {"wk": "week", "yr": "year"}[m[1]] + m[2],
               text.lower())  # "last wk", "this yr"
    t = re.sub(r"\b(this|last|next|on|every|each|previous)\s+(mon|tues?|wed|thu(?:rs?)?|fri|sat|sun)\b\.?",
               lambda m: f"{m[1]} " + {"mon": "monday", "tue": "tuesday", "tues": "tuesday",
                                      "wed": "wednesday", "thu": "thursday", "thur": "thursday",
                                      "thurs": "thursday", "fri": "friday", "sat": "saturday",
                                      "sun": "sunday"}[m[2]], t)  # "this Wed vs last Wed"
    t = years_named(t, as_of)
    # "（四季度算到今天）", "(Q4 to date)": a note on how far the last part runs, no period
    t = re.sub(r"[(（][^)）]{0,12}(?:算到|截至|截止到?|计到)(?:今天|现在|目前)(?:为止)?[)）]"
               r"|\((?:q[1-4]|the last (?:one|quarter|month)|[a-z]+) (?:so far|to date)\)", " ", t)
    # "上个月…占当月订单的多少": 当月 is the month already named, not this month
    if (at := t.find("当月")) > 0 and read_period(t[:at], as_of).period is not None:
        t = t[:at] + "  " + t[at + 2:]
    # "跟上周同期比": the same days one week (month) earlier, not the whole of last week
    same_days = None
    for unit, words in (("quarter", r"上个?季度(?:的)?(?:同期|同一(?:个)?时间点?|这个时候|同一时候)|"
                                    r"(?:the )?same (?:point|days|period|time|stretch) (?:of |in |from )?"
                                    r"(?:the )?(?:last|previous|prior) quarter|(?:this|that) point "
                                    r"(?:of |in )?(?:the )?(?:last|previous) quarter"),
                        ("fortnight", r"(?:两|二|2)\s*(?:周|个星期|个礼拜)(?:之)?前(?:的)?(?:同样的?|同期的?|"
                                      r"相同的?)(?:周[一二三四五六日天](?:到|至)周[一二三四五六日天]|"
                                      r"(?:那)?(?:几|[一二三四五六七])天)?|(?:the )?same (?:\w+ )?(?:days?|"
                                      r"period|stretch|weekdays) (?:two|2) weeks (?:ago|earlier|before)"
                                      r"|(?:the )?same (?:\w+ )?(?:days?|period|stretch|weekdays) a "
                                      r"fortnight (?:ago|earlier|before)"),
                        ("week", r"上个?(?:周|星期|礼拜)(?:的)?(?:同期|同一天)|(?:the )?same "
                                 r"(?:days?|period|time) (?:of |in |from )?(?:the )?(?:last|previous"
                                 r"|prior) week|(?:the )?same day a week (?:earlier|before|ago)"),
                        ("month", r"上个?月(?:的)?(?:同期|这个时候|同一(?:个)?时间点?|同一时候)|(?:the )?same "
                                  r"(?:days|period|time|point|stretch) (?:of |in |from )?"
                                  r"(?:the )?(?:last|previous|prior) month|(?:this|that) point "
                                  r"(?:of |in )?(?:the )?(?:last|previous) month")):
        if re.search(words, t):
            same_days = unit
            t = re.sub(words, "§", t)
    found: list[tuple[int, Period, str]] = []  # (position, period, matched text)
    taken: list[tuple[int, int]] = []

    def add(m: re.Match, p: Period) -> None:
        if any(m.start() < b and a < m.end() for a, b in taken):
            return
        taken.append((m.start(), m.end()))
        found.append((m.start(), p, m.group()))

    no_such_day: list[str] = []

    def each(pattern: str, make) -> None:
        for m in re.finditer(pattern, t):
            try:
                p = make(m)
            except (ValueError, KeyError) as e:
                if "out of range" in str(e) and not re.search(r"到|至|~|\bto\b", m.group()):
                    # a day its month lacks ("11月31号"); a run of days to the 31st is the month
                    no_such_day.append(m.group())
                continue
            if p is not None:
                add(m, p)

    month_start = as_of.replace(day=1)
    prev_month_end = month_start - dt.timedelta(days=1)
    year_ = r"(?:(\d{4})\s*年\s*)?"
    _months_of_quarters(t, as_of, each)
    _months_up_to(t, as_of, each)
    if settled:
        _settled_spans(t, as_of, settled, each)
    # the lunar holidays first: "Chinese New Year's Day" is no 1 January, "mid-autumn" no autumn
    for zh_words, en_words, which, after in _LUNAR_HOLIDAYS:
        # "春节那一周", "Chinese New Year week": Monday to Sunday around the day
        each(year_ + rf"(?:{zh_words})(?:所在的?|那)(?:一)?(?:周|个星期|个礼拜)"
             rf"|\b(?:(\d{{4}})(?:'s)? )?(?:{en_words}) week\b",
             lambda m, w=which, a=after: _week_around(_lunar_day(
                 w, a, int(m[1] or m[2]) if (m[1] or m[2]) else None, as_of).start))
        each(year_ + rf"(?:{zh_words})(?:当天|那天|那一天)?",
             lambda m, w=which, a=after: _lunar_day(w, a, int(m[1]) if m[1] else None, as_of))
        each(rf"\b(?:(\d{{4}})(?:'s)? )?(?:{en_words})\b(?:,? (\d{{4}}))?",
             lambda m, w=which, a=after: _lunar_day(w, a, int(m[1] or m[2]) if (m[1] or m[2])
                                                    else None, as_of))
    # "这周一周二两天", "Mon and Tue this week": the days of one week, said one by one
    each(r"(这|本|上)个?(?:周|星期|礼拜)([一二三四五六日天])(?:\s*[和、,，及]?\s*(?:周|星期|礼拜)"
         r"([一二三四五六日天]))+(?:两天|三天|这两天|那两天)?(?![^，,。？?]{0,3}(?:相比|比|对比|哪|谁))"
         r"|\b(mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?(?:\s*(?:,|and|&|\+)\s*(mon|tue|wed|thu|fri|sat|sun)"
         r"[a-z]*\.?)+ (this|last) week\b",
         lambda m: _days_of_week(m, as_of))
    # seasons (northern hemisphere); a restatement in brackets is part of the name:
    # "夏天（6到8月）", "summer (June to August)"
    restated = r"(?:\s*[(（][^)）]{0,24}[)）])?"
    # "入秋以来", "since autumn began (1 September)": since the first day of the season
    for zh_word, en_word, first in (("春", "spring", 3), ("夏", "summer", 6), ("秋", "autumn", 9),
                                    ("冬", "winter", 12)):
        each(rf"(?:(\d{{1,2}})月(\d{{1,2}})[日号])?(?:入{zh_word}(?:以来|后|之后)|自入{zh_word})"
             rf"|\bsince (?:the )?(?:start|beginning) of {en_word}\b"
             rf"|\bsince {en_word} (?:began|started|start|set in)\b",
             lambda m, a=first: since(_to_date(None, int(m[1]), int(m[2]), as_of) if m[1]
                                      else _to_date(None, a, 1, as_of), as_of))
    for zh_words, en_words, first, last in (("春天|春季", "spring", 3, 5),
                                            ("夏天|夏季", "summer", 6, 8),
                                            ("秋天|秋季", "autumn", 9, 11)):
        each(rf"(?:(\d{{4}})\s*年\s*(?:的)?\s*)?(?:{zh_words}){restated}",
             lambda m, a=first, b=last: months(int(m[1]), a, b) if m[1]
             else _latest(months, as_of, a, b))
        each(rf"\b(?:(?:the )?{en_words} (?:of )?(\d{{4}})|(\d{{4}}) {en_words}|(?:this |last )?"
             rf"{en_words}(?:'s)?\b){restated}",
             lambda m, a=first, b=last: months(int(m[1] or m[2]), a, b) if (m[1] or m[2])
             else _latest(months, as_of, a, b))
    # one-day holidays, this year's or the latest one, or of a named year
    for zh_words, en_words, mo, d in (
            ("情人节", r"(?<!chinese )valentine'?s(?: day)?", 2, 14), ("万圣节", r"halloween", 10, 31),
            ("元旦", r"new year'?s day", 1, 1), ("平安夜", r"christmas eve", 12, 24),
            ("跨年夜", r"new year'?s eve", 12, 31),
            ("节礼日", r"boxing day", 12, 26), ("光棍节", r"singles'? day", 11, 11),
            ("愚人节", r"april fools'?(?: day)?", 4, 1),
            ("三八妇女节|三八节|妇女节|女神节", r"(?:international )?women'?s day", 3, 8),
            ("圣帕特里克节", r"st\.? patrick'?s(?: day)?|saint patrick'?s(?: day)?", 3, 17),
            ("篝火之夜|篝火节", r"bonfire night|guy fawkes(?: night| day)?", 11, 5),
            ("劳动节|五一劳动节|五一节", r"may day|labou?r day", 5, 1),
            ("儿童节|六一儿童节", r"children'?s day", 6, 1)):
        each(year_ + rf"(?:{zh_words})(?:当天|那天|那一天)?",
             lambda m, a=mo, b=d: _latest_day(a, b, as_of, int(m[1]) if m[1] else None))
        # "the week with Singles' Day in it": the holiday places the week, it is not the day
        each(rf"(?<!with )(?<!containing )(?<!including )\b(?:(\d{{4}})(?:'s)? )?(?:{en_words})"
             rf"(?:,? (\d{{4}}))?",
             lambda m, a=mo, b=d: _latest_day(a, b, as_of, int(m[1] or m[2])
                                              if (m[1] or m[2]) else None))
    # China's National Day holiday, 1-7 October; Thanksgiving, the fourth Thursday of November
    each(year_ + r"国庆(?:节)?(?:当天|那天|那一天)",  # the day itself, 1 October
         lambda m: day(_to_date(int(m[1]) if m[1] else None, 10, 1, as_of)))
    each(year_ + r"国庆(?:节)?(?:七天|7天)?(?:长?假期?|黄金周)?(?:期间|里|那几天|那一周)?"
         r"|\bgolden week(?:,? (\d{4}))?",
         lambda m: (lambda d: days(d, d + dt.timedelta(days=6)))(
             _to_date(int(m[1] or m[2]) if (m[1] or m[2]) else None, 10, 1, as_of)))
    each(year_ + r"感恩节(?:当天|那天|那一天)?|\bthanksgiving(?: day)?(?:,? (\d{4}))?",
         lambda m: day(_nth_weekday(m[1] or m[2], as_of, 11, 3, 4)))
    each(year_ + r"父亲节(?:当天|那天|那一天)?|\bfather'?s'? day(?:,? (\d{4}))?",
         lambda m: day(_nth_weekday(m[1] or m[2], as_of, 6, 6, 3)))
    # "上个月最后一个工作日", "the last working day of October": Monday to Friday
    each(r"(上个?月|这个?月|本月|(?:(\d{4})\s*年\s*)?(\d{1,2}|[一二三四五六七八九十]+)\s*月份?)\s*(?:的)?"
         r"(第一个|头一个|最后一个)(?:工作日|营业日)"
         rf"|\b(?:the |on )?(first|last|final) (?:working|business|week) ?day (?:of|in) "
         rf"(last month|this month|{_MONTH_RE})\b|\b(last month|this month)'s (first|last|final) "
         r"(?:working|business|week) ?day\b",
         lambda m: _working_day(m, as_of))
    # "这个月头5个工作日", "the first 5 working days of this month": from the 1st to the fifth
    # Monday-to-Friday day (the weekend days inside are left out by the days-of-week filter)
    each(r"(上个?月|这个?月|本月|(?:\d{1,2}|[一二三四五六七八九十]+)\s*月份?)\s*(?:的)?(?:头|前)"
         r"(\d+|[一二三四五六七八九十两]+)个(?:工作日|营业日)"
         rf"|\b(?:the )?first (\w+) (?:working|business|week) ?days (?:of|in) (last month|this month|"
         rf"{_MONTH_RE})\b",
         lambda m: _first_working_days(m, as_of))
    # -- explicit ranges first: "2011-05-01 到 2011-05-15", "between May 1 and May 15 2011"
    iso = r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
    each(rf"(?:从|between |from )?{iso}\s*(?:到|至|-|–|~|and|to|until|through)\s*{iso}",
         lambda m: days(dt.date(int(m[1]), int(m[2]), int(m[3])),
                        dt.date(int(m[4]), int(m[5]), int(m[6]))))
    each(r"(?:从|between |from )?(?:(\d{4})年)?(\d{1,2})月(\d{1,2})[日号]?\s*(?:到|至|-|~)"
         r"\s*(?:(\d{4})年)?(?:(\d{1,2})月)?(\d{1,2})[日号](?:(?:这|那)一?(?:周|个?星期))?",
         lambda m: days(_to_date(int(m[1]) if m[1] else None, int(m[2]), int(m[3]), as_of),
                        _to_date(int(m[4] or m[1]) if (m[4] or m[1]) else None,
                                 int(m[5] or m[2]), int(m[6]), as_of)))
    en_day = rf"({_MONTH_RE})\.? (\d{{1,2}})(?:st|nd|rd|th)?"
    each(rf"(?:between |from )?{en_day}(?:,? (\d{{4}}))?\s*(?:and|to|until|through|-|–)\s*"
         rf"(?:({_MONTH_RE})\.? )?(\d{{1,2}})(?:st|nd|rd|th)?(?:,? (\d{{4}}))?",
         lambda m: days(
             _to_date(int(m[3] or m[6]) if (m[3] or m[6]) else None, _MONTHS_EN[m[1]],
                      int(m[2]), as_of),
             _to_date(int(m[6] or m[3]) if (m[6] or m[3]) else None,
                      _MONTHS_EN[m[4] or m[1]], int(m[5]), as_of)))
    dmy = rf"(\d{{1,2}})(?:st|nd|rd|th)? ({_MONTH_RE})\.?,? (\d{{4}})"
    each(rf"(?:between |from ){dmy}\s*(?:and|to|until|through|-|–)\s*{dmy}",
         lambda m: days(dt.date(int(m[3]), _MONTHS_EN[m[2]], int(m[1])),
                        dt.date(int(m[6]), _MONTHS_EN[m[5]], int(m[4]))))
    # "7-13 November", "22 to 25 April", "31 October to 6 November" (this year's or the latest)
    th = r"(?:st|nd|rd|th)?"
    each(rf"\b(?:between |from )?(\d{{1,2}}){th}(?: ({_MONTH_RE_NO_MAY}))?\s*(?:-|–|to|until|"
         rf"through|and)\s*(\d{{1,2}}){th} ({_MONTH_RE})\b(?:,? (\d{{4}}))?",
         lambda m: (lambda y, end_month: days(
             _to_date(y, _MONTHS_EN[m[2]] if m[2] else end_month, int(m[1]), as_of),
             _to_date(y, end_month, int(m[3]), as_of)))(
             int(m[5]) if m[5] else None, _MONTHS_EN[m[4]]))
    each(dmy, lambda m: day(dt.date(int(m[3]), _MONTHS_EN[m[2]], int(m[1]))))
    # -- days with names, parts of a month, since a day: before the patterns inside them
    changing = re.search(r"增长|变化|涨|降|上升|多了|少了|\bgr[eo]w|\bchange|\bincrease|\bdecrease"
                         r"|\brise|\brose|\bfall|\bfell|\bdrop|\bjump", t)

    def span_unless_change(m: re.Match, make):
        """"Q1 to Q3" is a span; "from Q2 to Q3" beside a word of change is two periods."""
        if changing and re.search(r"(?:from |从)\s*$", t[:m.start()]):
            return None
        return make()

    each(year_ + r"圣诞(?:节)?前(?:的)?(?:一|1)(?:周|个星期|星期)",
         lambda m: (lambda x: days(x - dt.timedelta(days=7), x - dt.timedelta(days=1)))(
             _to_date(int(m[1]) if m[1] else None, 12, 25, as_of)))
    each(r"\bthe week before christmas(?: (?:day )?(\d{4}))?",
         lambda m: (lambda x: days(x - dt.timedelta(days=7), x - dt.timedelta(days=1)))(
             _to_date(int(m[1]) if m[1] else None, 12, 25, as_of)))
    each(year_ + r"(?:双十一|双11)", lambda m: _latest_day(11, 11, as_of, int(m[1]) if m[1] else None))
    each(year_ + r"(?:双十二|双12)", lambda m: _latest_day(12, 12, as_of, int(m[1]) if m[1] else None))
    # "圣诞（CHRISTMAS）商品": the products, glossed in brackets, no day
    each(year_ + r"圣诞(?:节)?(?:当天|那天)?(?!\s*[(（]\s*christmas)(?!的(?:货|东西|商品|产品|用品|礼物|装饰|系列|款))(?!前|后|货|礼|装|树|商品|产品|款|系列|主题|元素|老人|帽|袜|球|灯|花环|饰品|"
         r"挂件|贺卡|卡片|蜡烛|彩带|包装)",
         lambda m: _latest_day(12, 25, as_of, int(m[1]) if m[1] else None))
    each(r"\bchristmas day(?: (\d{4}))?", lambda m: _latest_day(12, 25, as_of,
                                                                int(m[1]) if m[1] else None))
    parts_zh = {"上旬": (1, 10, "first ten days of", "上旬"), "中旬": (11, 20, "middle ten days of",
                "中旬"), "下旬": (21, None, "last days of", "下旬"),
                "上半月": (1, 15, "first half of", "上半月"), "下半月": (16, None, "second half of",
                                                                    "下半月"),
                "上半个月": (1, 15, "first half of", "上半月"), "前半个月": (1, 15, "first half of",
                                                                      "上半月"),
                "下半个月": (16, None, "second half of", "下半月"),
                "后半个月": (16, None, "second half of", "下半月"),
                "头十天": (1, 10, "first ten days of", "头十天"),
                "前十天": (1, 10, "first ten days of", "前十天"),
                "前两周": (1, 14, "first two weeks of", "前两周"),
                "前半段": (1, 15, "first half of", "上半月"), "后半段": (16, None, "second half of", "下半月"),
                "头两周": (1, 14, "first two weeks of", "前两周")}
    each(year_ + r"(\d{1,2}|[一二三四五六七八九十]+)\s*月份?\s*(?:的)?(上旬|中旬|下旬|上半个?月|下半个?月|前半个月|"
         r"后半个月|头十天|前十天|前两周|头两周|前半段|后半段)",
         lambda m: (lambda y, mo, part: part_of_month(y, mo, *part))(
             *(lambda mo: ((int(m[1]), mo) if m[1] else (_latest(month, as_of, mo).start.year,
                                                          mo)))(zh_number(m[2])),
             parts_zh[m[3]]))
    # "这个月下半月", "上个月中旬", "the second half of this month": a part of this or last month
    def this_or_last(word: str) -> tuple[int, int]:
        first = as_of.replace(day=1) if word in ("这个", "本", "this", "当") else (
            as_of.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
        return first.year, first.month
    each(r"(这个|本|上个|上|当)月份?\s*(?:的)?(上旬|中旬|下旬|上半个?月|下半个?月|前半个月|后半个月|头十天|"
         r"前十天|前两周|头两周|前半段|后半段)",
         lambda m: part_of_month(*this_or_last(m[1]), *parts_zh[m[2]]))
    # "本月头三天", "上个月前10天", "the first 3 days of the month": the month's first N days
    def first_days(year_month: tuple[int, int], n: int) -> Period:
        whole = month(*year_month)
        end = min(whole.start + dt.timedelta(days=n - 1), whole.end)
        return Period(whole.start, end, f"the first {n} days of {whole.label_en} ({whole.start} "
                      f"to {end})", f"{whole.label_zh}头{n}天（{whole.start} 至 {end}）")
    each(r"(这个|本|上个|上|当)月份?\s*(?:的)?(?:头|前|最初)\s*([一二三四五六七八九十两\d]+)\s*天",
         lambda m: first_days(this_or_last(m[1]), zh_number(m[2])))
    each(r"\b(?:the )?first (\d+|two|three|four|five|six|seven|eight|nine|ten) days of (?:(this|last)"
         r" month|the month)\b",
         lambda m: first_days(this_or_last(m[2] or "this"), en_number(m[1])))
    # "8月第一个完整周", "the last full week of July": Monday to Sunday, wholly in the month
    def full_week(year_said: str | None, mo: int, first: bool) -> Period:
        whole = month(int(year_said), mo) if year_said else _latest(month, as_of, mo)
        if first:
            monday = whole.start + dt.timedelta(days=-whole.start.weekday() % 7)
        else:
            monday = whole.end - dt.timedelta(days=6) - dt.timedelta(
                days=(whole.end - dt.timedelta(days=6)).weekday())
        side_en, side_zh = ("first", "第一个") if first else ("last", "最后一个")
        end = monday + dt.timedelta(days=6)
        return Period(monday, end, f"the {side_en} full week of {whole.label_en} ({monday} to {end})",
                      f"{whole.label_zh}{side_zh}完整周（{monday} 至 {end}）")
    each(year_ + r"(\d{1,2}|[一二三四五六七八九十]+)\s*月份?\s*(?:的)?(第一|头一|最后一)个?完整(?:的)?"
         r"(?:周|星期|礼拜)",
         lambda m: full_week(m[1], zh_number(m[2]), m[3] != "最后一"))
    each(rf"\b(?:the )?(first|last|final) full week (?:of|in) ({_MONTH_RE})\b(?:,? (\d{{4}}))?",
         lambda m: full_week(m[3], _MONTHS_EN[m[2]], m[1] == "first"))
    # "最近四个完整的礼拜", "the last 4 full weeks": whole weeks up to last Sunday
    def full_weeks(n: int) -> Period:
        end = as_of - dt.timedelta(days=as_of.weekday() + 1)
        start = end - dt.timedelta(days=7 * n - 1)
        return Period(start, end, f"the last {n} full weeks ({start} to {end})",
                      f"最近{n}个完整周（{start} 至 {end}）")
    each(r"(?:最近|过去|近|前面)的?\s*([一二三四五六七八九十两\d]+)\s*个?完整(?:的)?(?:周|星期|礼拜)",
         lambda m: full_weeks(zh_number(m[1])))
    each(r"\b(?:the )?(?:last|past|previous) (\d+|two|three|four|five|six|seven|eight|nine|ten|"
         r"twelve) (?:full|complete|whole) weeks\b",
         lambda m: full_weeks(en_number(m[1])))
    def same_month_parts() -> None:
        """"8月下半月…比上半月", "the second half of August versus the first half": a part of
        a month said alone is of the month named before it."""
        for m in re.finditer(r"(?<![月份的\d])(上旬|中旬|下旬|上半个?月|下半个?月|前半个月|后半个月|前半段|后半段)"
                             r"|\b(?:the )?(first|second|front|back|latter) "
                             r"half\b(?! of\b)(?! (?:the )?year\b)(?!\s*\d{4})", t):
            named = [p for pos, p, _ in found if pos < m.start() and p.start and p.end
                     and (p.start.year, p.start.month) == (p.end.year, p.end.month)]
            if named:
                key = m[1] or ("上半月" if m[2] in ("first", "front") else "下半月")
                add(m, part_of_month(named[-1].start.year, named[-1].start.month, *parts_zh[key]))

    for m in re.finditer(r"(?<![月份的\d])(上旬|中旬|下旬)", t):
        named = [p for pos, p, _ in found if pos < m.start() and p.start and p.end
                 and (p.start.year, p.start.month) == (p.end.year, p.end.month)]
        if named:
            add(m, part_of_month(named[-1].start.year, named[-1].start.month, *parts_zh[m[1]]))
    parts_en = {"first ten days": (1, 10), "first 10 days": (1, 10), "first half": (1, 15),
                "second half": (16, None), "last ten days": (21, None), "back half": (16, None),
                "latter half": (16, None), "front half": (1, 15),
                "first two weeks": (1, 14), "first fortnight": (1, 14)}
    zh_parts = {"first ten days": "上旬", "first 10 days": "上旬", "first half": "上半月",
                "second half": "下半月", "last ten days": "下旬", "back half": "下半月",
                "latter half": "下半月", "front half": "上半月", "first two weeks": "前两周",
                "first fortnight": "前两周"}
    each(rf"\b(?:the )?({'|'.join(parts_en)}) of ({_MONTH_RE})\b(?:,? (\d{{4}}))?",
         lambda m: (lambda mo, part: part_of_month(
             int(m[3]) if m[3] else _latest(month, as_of, mo).start.year, mo, part[0], part[1],
             f"the {m[1]} of", zh_parts[m[1]]))(_MONTHS_EN[m[2]], parts_en[m[1]]))
    each(rf"\b(?:the )?({'|'.join(parts_en)}) of (this|last) month\b",
         lambda m: part_of_month(*this_or_last(m[2]), *parts_en[m[1]], f"the {m[1]} of",
                                 zh_parts[m[1]]))
    same_month_parts()
    each(year_ + r"前\s*([一二三两四1-4])\s*个?季度",
         lambda m: quarters(int(m[1]) if m[1] else as_of.year, 1, zh_number(m[2])))
    each(r"(?:(\d{4})\s*年?\s*)?(?:第)?([一二三四1-4])\s*(?:季度)?\s*(?:到|至|-|~|—)\s*(?:第)?"
         r"([一二三四1-4])\s*季度",
         lambda m: span_unless_change(m, lambda: quarters(
             int(m[1]) if m[1] else as_of.year, zh_number(m[2]), zh_number(m[3]))))
    each(r"\b(?:(\d{4}) )?q([1-4]) (?:to|through|until|-|–) q([1-4])\b(?:,? (\d{4}))?",
         lambda m: span_unless_change(m, lambda: quarters(int(m[1] or m[4] or as_of.year),
                                                          int(m[2]), int(m[3]))))
    each(r"\b(?:the )?first (two|three|2|3) quarters(?:,? (?:of |in )?(\d{4}))?",
         lambda m: quarters(int(m[2]) if m[2] else as_of.year, 1, en_number(m[1])))
    each(year_ + r"(\d{1,2}|[一二三四五六七八九十]+)\s*(?:月)?\s*(?:到|至|-|~|—)\s*"
         r"(\d{1,2}|[一二三四五六七八九十]+)\s*月(?!\s*\d{1,2}\s*[日号])",
         lambda m: span_unless_change(m, lambda: months(
             int(m[1]) if m[1] else as_of.year, zh_number(m[2]), zh_number(m[3]))))
    each(rf"\b({_MONTH_RE}) (?:to|through|until|-|–) ({_MONTH_RE})\b(?:,? (\d{{4}}))?",
         lambda m: span_unless_change(m, lambda: months(
             int(m[3]) if m[3] else as_of.year, _MONTHS_EN[m[1]], _MONTHS_EN[m[2]])))
    each(r"(?:从|自)?" + year_ + r"(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]\s*(?:到现在|至今|以来|到今天|起)",
         lambda m: since(_to_date(int(m[1]) if m[1] else None, int(m[2]), int(m[3]), as_of), as_of))
    each(r"(?:从|自)?" + year_ + r"(\d{1,2}|[一二三四五六七八九十]+)\s*月份?\s*(?:到目前为止|到目前|"
         r"截至目前|到现在|至今|以来|起|开始(?!的)|开始算)",
         lambda m: since(month(int(m[1]), zh_number(m[2])).start if m[1]
                         else _latest(month, as_of, zh_number(m[2])).start, as_of))
    each(rf"\bsince (?:the )?(?:(\d{{1,2}})(?:st|nd|rd|th)?(?: of)? ({_MONTH_RE})|({_MONTH_RE}) "
         rf"(\d{{1,2}})(?:st|nd|rd|th)?|({_MONTH_RE}))\b(?:,? (\d{{4}}))?",
         lambda m: since(_to_date(int(m[6]) if m[6] else None,
                                  _MONTHS_EN[m[2] or m[3] or m[5]],
                                  int(m[1] or m[4] or 1), as_of), as_of))
    # Black Friday (the day after the fourth Thursday of November), Cyber Monday, their week
    for words, offset in ((r"黑五|黑色星期五|black friday", 0), (r"网络星期一|网一|cyber monday", 3)):
        each(rf"(?:(\d{{4}})(?:'s)?\s*年?\s*(?:的)?\s*)?(?:{words})(?:,? (\d{{4}}))?(?:当天|那天|那一天)?"
             r"(?!\s*(?:所在的?)?(?:那)?(?:一)?周|\s*week)",
             lambda m, k=offset: day(_black_friday(m[1] or m[2], as_of) + dt.timedelta(days=k)))
    each(r"(?:(\d{4})\s*年?\s*)?(?:黑五|黑色星期五|black friday)\s*(?:所在的?)?(?:那)?(?:一)?(?:周|week)",
         lambda m: _week_around(_black_friday(m[1], as_of)))
    # weekends: 上周末 / last weekend (last week's Saturday and Sunday); 这个周末 / this weekend
    each(r"(上上|上|这|本)个?(?:周末|礼拜末)|\b(last|this|past|previous)\s+weekend\b",
         lambda m: (lambda sat: days(sat, sat + dt.timedelta(days=1)))(
             as_of - dt.timedelta(days=as_of.weekday()) + dt.timedelta(days=5)
             - dt.timedelta(days=7 * {"上上": 2, "上": 1, "last": 1, "past": 1,
                                      "previous": 1}.get(m[1] or m[2], 0))))
    # a run of weekdays: 这周一到周三, Monday through Wednesday this week
    each(r"(上|这|本)?个?(?:周|星期|礼拜)([一二三四五六日天])\s*(?:到|至|-|~)\s*(?:周|星期|礼拜)?"
         r"([一二三四五六日天])",
         lambda m: (lambda mon: days(mon + dt.timedelta(days=ZH_WEEKDAYS[m[2]]),
                                     mon + dt.timedelta(days=ZH_WEEKDAYS[m[3]])))(
             as_of - dt.timedelta(days=as_of.weekday() + (7 if m[1] == "上" else 0))))
    each(rf"\b(?:from )?({_WEEKDAY_RE})\s+(?:to|through|thru|until|-|–)\s+({_WEEKDAY_RE})"
         r"(?:\s+(?:of\s+)?(this|last) week)?\b",
         lambda m: (lambda mon: days(mon + dt.timedelta(days=EN_WEEKDAYS[m[1]]),
                                     mon + dt.timedelta(days=EN_WEEKDAYS[m[2]])))(
             as_of - dt.timedelta(days=as_of.weekday() + (7 if m[3] == "last" else 0))))
    # the start of the year, until today
    each(r"年初(?:到现在|至今|以来|到今天)|从年初|\bsince the (?:start|beginning) of (?:the|this) year\b",
         lambda m: Period(dt.date(as_of.year, 1, 1), as_of,
                          f"this year to date ({as_of.year}-01-01 to {as_of})",
                          f"今年以来（{as_of.year}-01-01 至 {as_of}）"))
    # "今年头两个月", "2011年前11个月", "the first eleven months of the year": from January
    en_count = r"(\d{1,2}|" + "|".join(_EN_NUMBERS) + ")"
    each(r"(\d{4})\s*年\s*(?:的)?\s*(?:头|前)\s*" + _NUM + r"\s*个\s*月",
         lambda m: months(int(m[1]), 1, zh_number(m[2])) if 1 <= zh_number(m[2]) <= 12 else None)
    each(r"(?<![\d年])头\s*" + _NUM + r"\s*个\s*月",
         lambda m: months(as_of.year, 1, zh_number(m[1])) if 1 <= zh_number(m[1]) <= 12 else None)
    each(rf"\b(?:the )?first {en_count} months\b(?: (?:of )?(?:(?:the|this) year|(\d{{4}})))?",
         lambda m: months(int(m[2]) if m[2] else as_of.year, 1, en_number(m[1]))
         if 2 <= en_number(m[1]) <= 12 else None)
    # "12月第一周（1号到7号）", "the last week of October (25th to 31st)": the days said in the
    # brackets; without them, which seven days is not clear (asked back below)
    days_said = (r"(?:\s*[(（]\s*(\d{1,2})\s*(?:st|nd|rd|th|日|号)?\s*(?:到|至|-|–|~|to|until|"
                 r"through)\s*(\d{1,2})\s*(?:st|nd|rd|th|日|号)?\s*[)）])?")

    def week_of_month(y: int | None, mo: int, first: int | None, last: int | None) -> Period | None:
        whole = month(y, mo) if y else _latest(month, as_of, mo)
        if first is None:
            return None
        return days(whole.start.replace(day=first), whole.start.replace(day=last))

    each(year_ + r"(\d{1,2}|[一二三四五六七八九十]+)\s*月份?\s*(?:的)?\s*(?:第一|头一|第二|第三|第四|最后一|最后)个?"
         r"(?:周|星期|礼拜)" + days_said,
         lambda m: week_of_month(int(m[1]) if m[1] else None, zh_number(m[2]),
                                 int(m[3]) if m[3] else None, int(m[4]) if m[4] else None))
    each(rf"\b(?:the )?(?:first|second|third|fourth|last|final) week (?:of|in) ({_MONTH_RE})\b(?:,? (\d{{4}}))?"
         + days_said,
         lambda m: week_of_month(int(m[2]) if m[2] else None, _MONTHS_EN[m[1]],
                                 int(m[3]) if m[3] else None, int(m[4]) if m[4] else None))
    week_of_month_unsaid = False
    for m in re.finditer(r"(?:月|月份)\s*(?:的)?\s*(?:第一|头一|第二|第三|第四|最后一|最后)个?(?:周|星期|礼拜)"
                         r"|\b(?:the )?(?:first|second|third|fourth|last|final) week (?:of|in) "
                         r"(?:the |this |last |that )?"
                         rf"(?:month|{_MONTH_RE})\b", t):
        if not any(m.start() < b and a < m.end() for a, b in taken):
            taken.append((m.start(), m.end()))
            week_of_month_unsaid = True
    # "2011年第一周", "the last week of the year (25th to 31st)": unless the days are said, or the
    # year starts (ends) on a Monday (Sunday), its first seven days and ISO week 1 differ
    def week_of_year(y: int, edge: str, first: int | None, last: int | None) -> Period | None:
        mo = 1 if edge in ("第一", "头一", "first", "1st") else 12
        if first is not None:
            return days(dt.date(y, mo, first), dt.date(y, mo, last))
        if settled in ("counted", "whole"):
            return week_in_month(month(y, mo), 1 if mo == 1 else -1, settled)
        if mo == 1 and dt.date(y, 1, 1).weekday() == 0:
            return iso_week(y, 1)
        if mo == 12 and dt.date(y, 12, 31).weekday() == 6:
            return days(dt.date(y, 12, 25), dt.date(y, 12, 31))
        return None

    # "去年最后一天", "the first day of 2011", "今年最后一个月": a year's first or last day or month
    for unit, zh_unit, en_unit in (("day", "天", "day"), ("month", "个?月", "month")):
        each(rf"(?:(?P<y>\d{{4}})\s*年\s*(?:的)?\s*(?P<edge>第一|头一|最后一){zh_unit}"
             rf"|\b(?:the )?(?P<edge_en>first|last|final) {en_unit} (?:of|in) "
             r"(?:the |this |(?P<prev>last |previous ))?(?:year|(?P<y_en>\d{4}))\b)",
             lambda m, unit=unit: (lambda y, first: (
                 (day(dt.date(y, 1, 1)) if first else day(dt.date(y, 12, 31))) if unit == "day"
                 else month(y, 1 if first else 12)))(
                     int(m["y"] or m["y_en"] or as_of.year - bool(m["prev"])),
                     (m["edge"] or m["edge_en"]) in ("第一", "头一", "first")))
    year_week_unsaid = False
    for m in re.finditer(r"(?:(?P<y>\d{4})\s*年\s*(?:的)?\s*(?P<edge>第一|头一|最后一|最后)个?(?:周|星期|礼拜)"
                         r"|\b(?:the )?(?P<edge_en>first|1st|last|final) week (?:of|in) (?:the |this |(?P<prev>last |previous ))?"
                         r"(?:year|(?P<y_en>\d{4}))\b)" + days_said, t):
        if any(m.start() < b and a < m.end() for a, b in taken):
            continue
        first, last = m.groups()[-2:]
        try:
            p = week_of_year(int(m["y"] or m["y_en"] or as_of.year - bool(m["prev"])),
                             m["edge"] or m["edge_en"], int(first) if first else None,
                             int(last) if last else None)
        except ValueError:  # "(1st to 35th)": no such days
            continue
        if p is not None:
            add(m, p)
        else:
            taken.append((m.start(), m.end()))
            year_week_unsaid = True
    # "上上个季度", "the quarter before last"
    each(r"上上个?季度|(?:the )?quarter before last",
         lambda m: quarter(*_quarters_back(as_of, 2)))
    # "一个月前的今天", "三个月前的今天", "a month ago today", "three months ago today"
    each(r"(?:一|1)个月(?:以)?前的?(?:今天|这一?天|同一天)|\ba month ago today\b|\bthis day last month\b",
         lambda m: day((pd.Timestamp(as_of) - pd.DateOffset(months=1)).date()))
    each(_NUM + r"\s*个月(?:以)?前的?(?:今天|这一?天|同一天)|\b(\d+|" + "|".join(_EN_NUMBERS)
         + r")\s+months\s+ago\s+today\b",
         lambda m: day((pd.Timestamp(as_of) - pd.DateOffset(
             months=zh_number(m[1]) if m[1] else en_number(m[2]))).date()))
    each(r"(?:一|1)(?:周|个星期|个礼拜)(?:以)?前的?(?:今天|这一?天|同一天)|\ba week ago today\b"
         r"|\bthis day last week\b",
         lambda m: day(as_of - dt.timedelta(days=7)))
    # "Tuesday last week", "last week's Tuesday", "this week's Monday"
    each(rf"\b(?:on )?({_WEEKDAY_RE})\s+(?:of\s+)?(last|this|previous|the previous)\s+week\b",
         lambda m: day(as_of - dt.timedelta(days=as_of.weekday())
                       + dt.timedelta(days=EN_WEEKDAYS[m[1]] - (0 if m[2] == "this" else 7))))
    each(rf"\b(last|this|previous)\s+week'?s\s+({_WEEKDAY_RE})\b",
         lambda m: day(as_of - dt.timedelta(days=as_of.weekday())
                       + dt.timedelta(days=EN_WEEKDAYS[m[2]] - (0 if m[1] == "this" else 7))))
    # weekdays: 上周五 / last Friday (last week's), 这周一 / this Monday, 周五 / on Friday (the
    # latest one up to today)
    monday = as_of - dt.timedelta(days=as_of.weekday())
    # "上周营收里周一一天", "of last week's revenue, the Monday alone": a bare weekday is the
    # one of the week just named
    in_last_week = bool(re.search(r"上个?(?:周|星期|礼拜)(?![一二三四五六日天])|\blast week(?:'s)?\b(?! ?'?s? "
                                  rf"(?:{_WEEKDAY_RE}))", t))
    each(r"(?<=[里中])\s*(?:周|星期|礼拜)([一二三四五六日天])(?=一天|那天|当天)"
         rf"|\bthe ({_WEEKDAY_RE})\b(?= alone| by itself| on its own)",
         lambda m: day(monday - dt.timedelta(days=7) + dt.timedelta(
             days=ZH_WEEKDAYS[m[1]] if m[1] else EN_WEEKDAYS[m[2]])) if in_last_week else None)
    each(r"(?<![每各])(上上|上一|上|这|本)?个?(?:周|星期|礼拜)([一二三四五六日天])"
         r"(?:(?<=一)(?![共起样直般些点定切])(?!下(?!单))|(?<!一))(?!周)",
         lambda m: day(monday + dt.timedelta(
             days=ZH_WEEKDAYS[m[2]] - 7 * {"上上": 2, "上": 1, "上一": 1}.get(m[1] or "", 0)))
         if m[1] or monday + dt.timedelta(days=ZH_WEEKDAYS[m[2]]) <= as_of
         else day(monday + dt.timedelta(days=ZH_WEEKDAYS[m[2]] - 7)))
    each(rf"\b(?:(last|previous|this|on|on the previous|on the last)\s+)?({_WEEKDAY_RE})"
         r"(?:'s)?\b(?! (?:of|before) )",
         lambda m: _weekday(EN_WEEKDAYS[m[2]], (m[1] or "").split()[-1] if m[1] else "",
                            as_of))
    each(r"(?<![\d第])" + _NUM + r"\s*天(?:以)?前|\b(\d+|" + "|".join(_EN_NUMBERS)
         + r")\s+days?\s+ago\b",
         lambda m: day(as_of - dt.timedelta(
             days=zh_number(m[1]) if m[1] else en_number(m[2]))))
    each(r"大前天|the day before the day before yesterday",
         lambda m: day(as_of - dt.timedelta(days=3)))
    each(r"前天|the day before yesterday", lambda m: day(as_of - dt.timedelta(days=2)))
    each(rf"\blast ({_MONTH_RE})\b(?!\.? \d)", lambda m: _before_month(_MONTHS_EN[m[1]], as_of))
    # "the 3rd of November"; "mid-October" (the 11th to the 20th, as 中旬)
    each(rf"\b(?:the )?(\d{{1,2}})(?:st|nd|rd|th)? of ({_MONTH_RE})\b(?:,? (\d{{4}}))?",
         lambda m: day(_to_date(int(m[3]) if m[3] else None, _MONTHS_EN[m[2]], int(m[1]), as_of)))
    each(rf"\bmid[- ]({_MONTH_RE_NO_MAY}|may)\b(?:,? (\d{{4}}))?",
         lambda m: (lambda mo: part_of_month(
             int(m[2]) if m[2] else _latest(month, as_of, mo).start.year, mo, 11, 20,
             "the middle ten days of", "中旬"))(_MONTHS_EN[m[1]]))
    # -- single days, weeks, months, quarters, halves, years
    # "上个月15号", "上个月15号到25号", "这个月1号", "the 3rd of last month": a day of a month said
    # relative to today
    each(r"(上上个?月|上个?月|这个?月|本月)\s*(\d{1,2})\s*[日号](?:\s*(?:到|至|-|~)\s*(\d{1,2})\s*[日号]"
         r"|\s*(以来|至今|到现在|到今天|起))?|\bthe (\d{1,2})(?:st|nd|rd|th)? of (this|last) month\b",
         lambda m: _day_of_month_said(m, as_of))
    each(iso, lambda m: day(dt.date(int(m[1]), int(m[2]), int(m[3]))))
    each(rf"({_MONTH_RE})\.? (\d{{1,2}})(?:st|nd|rd|th)?,? (\d{{4}})",
         lambda m: day(dt.date(int(m[3]), _MONTHS_EN[m[1]], int(m[2]))))
    each(r"(?<![\d年])(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]",
         lambda m: _latest_day(int(m[1]), int(m[2]), as_of))
    each(rf"\b(\d{{1,2}})(?:st|nd|rd|th)? ({_MONTH_RE})\b(?!,? \d{{4}})"
         r"(?! (?:be|have|i|we|you|they|not)\b)",
         lambda m: _latest_day(_MONTHS_EN[m[2]], int(m[1]), as_of))
    each(rf"\b({_MONTH_RE_NO_MAY})\.? (\d{{1,2}})(?:st|nd|rd|th)?\b(?!,? \d{{4}})(?![:\d])",
         lambda m: _latest_day(_MONTHS_EN[m[1]], int(m[2]), as_of))
    # "第41周到第45周", "weeks 41 through 45": whole ISO weeks
    each(r"(?:(\d{4})\s*年\s*)?第\s*(\d{1,2})\s*周?\s*(?:到|至|-|~|—)\s*第?\s*(\d{1,2})\s*周"
         r"|\bweeks (\d{1,2}) ?(?:to|through|thru|until|-|–) ?(\d{1,2})(?:,? (?:of )?(\d{4}))?\b",
         lambda m: (lambda y, a, b: days(iso_week(y, a).start, iso_week(y, b).end) if a < b
                    else None)(int(m[1] or m[6] or as_of.isocalendar()[0]), int(m[2] or m[4]),
                               int(m[3] or m[5])))
    each(r"(?:(\d{4})\s*年\s*)?第\s*" + _NUM + r"\s*周",
         lambda m: iso_week(int(m[1]) if m[1] else as_of.isocalendar()[0], zh_number(m[2])))
    each(r"\bweek (\d{1,2})(?: of (\d{4})|,? (\d{4}))?\b",
         lambda m: iso_week(int(m[2] or m[3] or as_of.isocalendar()[0]), int(m[1])))
    each(r"(\d{4})\s*年\s*(?:第)?\s*([一二三四1-4])\s*季度",
         lambda m: quarter(int(m[1]), zh_number(m[2])))
    each(r"(?:第)?([一二三四1-4])\s*季度", lambda m: _latest(quarter, as_of, zh_number(m[1])))
    each(r"(?<![a-z0-9])q([1-4])(?![a-z0-9])(?:\s*(?:of\s*)?(\d{4}))?",
         lambda m: quarter(int(m[2]), int(m[1])) if m[2] else _latest(quarter, as_of, int(m[1])))
    each(r"\b(\d{4})\s*q([1-4])\b", lambda m: quarter(int(m[1]), int(m[2])))
    each(r"\b(first|second|third|fourth|1st|2nd|3rd|4th) quarter(?: of (\d{4}))?",
         lambda m: quarter(int(m[2]), _ORDINAL_EN[m[1]]) if m[2]
         else _latest(quarter, as_of, _ORDINAL_EN[m[1]]))
    each(r"(?:(\d{4})\s*年\s*)?([上下])半年",
         lambda m: half(int(m[1]), 1 if m[2] == "上" else 2) if m[1]
         else _latest(half, as_of, 1 if m[2] == "上" else 2))
    each(r"\b(?:(first|second|front|back)[- ]half|h([12]))(?: of)?(?:\s*(?:the )?(?:year\b)?\s*(\d{4}))?\b",
         lambda m: (lambda h: half(int(m[3]), h) if m[3] else _latest(half, as_of, h))(
             1 if (m[1] in ("first", "front") or m[2] == "1") else 2))
    each(r"(\d{4})\s*年\s*(?:的)?\s*(\d{1,2}|十[一二]?|[一二三四五六七八九])\s*月(?!\s*\d{1,2}\s*[日号])",
         lambda m: month(int(m[1]), zh_number(m[2])))  # "今年二月份": 2011年二月
    each(r"(\d{4})[-/](\d{1,2})(?![-/\d])", lambda m: month(int(m[1]), int(m[2])))
    each(rf"\b({_MONTH_RE})\.?,? (\d{{4}})\b", lambda m: month(int(m[2]), _MONTHS_EN[m[1]]))
    each(r"(?<![\d年第])(\d{1,2}|[一二三四五六七八九十]+)\s*月份?(?!\s*\d{1,2}\s*[日号])",
         lambda m: _latest(month, as_of, zh_number(m[1])))
    each(rf"\b(?:in |for |during )({_MONTH_RE})\b|\b({_MONTH_RE})\b(?= (?:vs|versus|compared|"
         r"and|sales|revenue|orders|aov))",
         lambda m: _latest(month, as_of, _MONTHS_EN[m[1] or m[2]]))
    if len(re.findall(rf"\b(?:{_MONTH_RE_NO_MAY})\b", t)) >= 1:  # "March, April and May"
        each(r"(?:(?<=, )|(?<=and ))may\b(?! (?:i|we|you|they|be|have)\b)",
             lambda m: _latest(month, as_of, 5))
    for m in re.finditer(r"\b(January|February|March|April|June|July|August|September|October|"
                         r"November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\b"
                         r"(?!\.? \d{1,2}\b)", text):  # a bare month name, capitalised
        # at the same word in ``t``, whose year words may be spelt out to another length
        k = len(re.findall(rf"\b{m[1].lower()}\b", text[:m.start()].lower()))
        same = list(re.finditer(rf"\b{m[1].lower()}\b", t))
        if k < len(same):
            add(same[k], _latest(month, as_of, _MONTHS_EN[m[1].lower()]))
    each(r"(\d{4})\s*年(?!\s*\d{1,2}\s*月)(?!\s*第)", lambda m: year(int(m[1])))
    each(r"\b(\d{4})'s\b", lambda m: year(int(m[1])))
    each(r"\b(?:in|for|during|of|year) (\d{4})\b", lambda m: year(int(m[1])))
    # -- relative periods
    rolling_months: list[Period] = []  # "the past two months": full months, or 60 days?

    def window(n: int, unit: str) -> Period:
        p = last_n(n, unit, as_of)
        if unit == "month" and n >= 2 and settled == "full months":
            first = (pd.Timestamp(as_of.replace(day=1)) - pd.DateOffset(months=n)).date()
            end = as_of.replace(day=1) - dt.timedelta(days=1)
            return Period(first, end, f"the last {n} full months ({first} to {end})",
                          f"最近{n}个完整月（{first} 至 {end}）")
        if unit == "month" and n >= 2 and settled != "rolling":
            rolling_months.append(p)
        return p

    each(r"(?:最近|近|过去)\s*" + _NUM + r"\s*(天|日|周|星期|个月|月)",
         lambda m: window(zh_number(m[1]), {"天": "day", "日": "day", "周": "week",
                                            "星期": "week"}.get(m[2], "month")))
    each(r"\b(?:last|past|previous|recent|trailing)\s+(\d+|" + "|".join(_EN_NUMBERS)
         + r")\s+(day|week|month)s?\b",
         lambda m: window(en_number(m[1]), m[2]))
    each(r"上上个?月|the month before last",
         lambda m: (lambda d: month(d.year, d.month))(
             prev_month_end.replace(day=1) - dt.timedelta(days=1)))
    each(r"上个?月|last month|previous month|prior month",
         lambda m: month(prev_month_end.year, prev_month_end.month))
    each(r"(?:本月|这个月|当月)(?:至今|到现在|以来)?|this month|month[- ]to[- ]date|(?<![a-z])mtd(?![a-z])",
         lambda m: Period(month_start, as_of, f"this month to date ({month_start} to {as_of})",
                          f"本月至今（{month_start} 至 {as_of}）"))
    each(r"(?:今年|本年)(?:以来|至今|到现在)?|年初至今|this year|year[- ]to[- ]date|(?<![a-z])ytd(?![a-z])"
         r"|so far this year",
         lambda m: Period(dt.date(as_of.year, 1, 1), as_of,
                          f"this year to date ({as_of.year}-01-01 to {as_of})",
                          f"今年以来（{as_of.year}-01-01 至 {as_of}）"))
    each(r"去年(?!同期)(?!同月)(?!的?(?:今天|这一?天|同一天|同日|同一?时段|同一?时期|同一?段时间))"
         r"|(?<!same stretch )(?<!same point )(?<!this time )last year(?! same)(?!'s same)|previous year",
         lambda m: year(as_of.year - 1))
    each(r"上个?季度|last quarter|previous quarter",
         lambda m: quarter(*_quarters_back(as_of, 1)))
    each(r"(?:本|这个?)季度(?:至今|以来)?|this quarter|quarter[- ]to[- ]date|(?<![a-z])qtd(?![a-z])",
         lambda m: (lambda q: Period(q.start, as_of, f"this quarter to date ({q.start} to "
                                     f"{as_of})", f"本季度至今（{q.start} 至 {as_of}）"))(
             quarter(*_quarters_back(as_of, 0))))
    # "上上上周": the calendar week three before this one ("three weeks ago" is asked back:
    # that week, or the day 21 days ago?)
    each(r"上上上个?(?:周|星期|礼拜)",
         lambda m: _week_back(as_of, 3, "the week three weeks back", "上上上周"))
    each(r"上上个?(?:周|星期|礼拜)|(?:the )?week before last",
         lambda m: _week_back(as_of, 2, "the week before last", "上上周"))
    each(r"上个?(?:周|星期|礼拜)|last week|previous week",
         lambda m: _week_back(as_of, 1, "last week", "上周"))
    each(r"(?:本|这个?)(?:周|星期|礼拜)|this week|week[- ]to[- ]date",
         lambda m: (lambda s: Period(s, as_of, f"this week ({s} to {as_of})",
                                     f"本周（{s} 至 {as_of}）"))(
             as_of - dt.timedelta(days=as_of.weekday())))
    each(r"(?:最近|过去|近)\s*(?:两|2)\s*个(?:星期|礼拜)|\b(?:the )?(?:past|last) (?:fortnight|two "
         r"weeks|2 weeks)\b", lambda m: last_n(14, "day", as_of))
    each(r"昨天|昨日|yesterday", lambda m: day(as_of - dt.timedelta(days=1)))
    each(r"今天|今日|\btoday\b", lambda m: day(as_of))
    each(r"全部|所有时间|历史上|有史以来|总共|累计|一共|总计|迄今|\ball[- ]time\b|\bever\b"
         r"|\bin total\b|\boverall\b|\ball (?:the )?data\b|\bof all time\b|since (?:the )?"
         r"(?:start|beginning)", lambda m: ALL_TIME)

    if any(not p.is_all for _, p, _ in found):
        found = [f for f in found if not f[1].is_all]
    compare: str | Period | None = None
    if re.search(r"同比|去年同期|去年同月(?!\s*[(（])|去年的?(?:今天|这一?天|同一天|同日)|去年(?:的)?同一?(?:时段|时期|段时间)|"
                 r"same (?:stretch|point|days|dates)(?: of time)? (?:of |in )?last year|"
                 r"this time last year|(?<![a-z])yoy(?![a-z])|year[- ]over[- ]year|year[- ]on[- ]year|same (?:period|"
                 r"time|month|days?|week|quarter) (?:of |in )?last year|a year (?:ago|earlier)"
                 r"|vs\.? last year|than last year|compared (?:with|to) last year", t):
        compare = "year"
    elif re.search(r"环比|(?<![a-z])(?:mom|qoq|wow)(?![a-z])|month[- ]over[- ]month|month[- ]on[- ]month|"
                   r"week[- ]over[- ]week|week[- ]on[- ]week|"
                   r"vs\.? (?:the )?(?:previous|prior|last) (?:period|month|week|quarter)|"
                   r"(?:than|with|to|versus|vs\.?) (?:the )?(?:previous|prior|preceding) "
                   r"(?:period|month|week|quarter|\d+ days)|比上(?:个)?(?:月|周(?![一二三四五六日天])|季度|期)|"
                   r"(?:与|和|跟|较)上(?:个)?(?:月|周(?![一二三四五六日天])|季度|期)(?:相比|比)?|上一期|"
                   r"compared (?:with|to) (?:the )?(?:previous|prior|preceding)|"
                   r"(?:vs\.?|versus|compared? (?:with|to)|than|against) (?:the |a )?"
                   r"(?:month|week|quarter|period|day|\d+ days|\d+ weeks) before|"
                   r"the (?:\d+ days|\d+ weeks|week|month|quarter) before(?! last)"
                   r"(?! (?:christmas|xmas|new year|easter|black friday|cyber monday|valentine|\d))"
                   r"(?: that)?|"
                   rf"the (?:{'|'.join(_EN_NUMBERS)}) (?:days|weeks) (?:before|prior)\b"
                   r"(?! (?:christmas|xmas|new year|easter|black friday|cyber monday|valentine|\d))|"
                   r"(?<![节诞])前一(?:周|个?月|天|日|季度|期)|之前(?:的)?\s*[\d一二三四五六七八九十两]*\s*(?:天|周|个?月|个?星期|个?礼拜)|再之前|"
                   r"再往前|(?:fortnight|two weeks) before(?! (?:christmas|xmas|new year|easter|black "
                   r"friday|cyber monday|valentine|\d))|"
                   r"上一个?(?:周期|时段)", t):
        compare = "previous"
    found.sort(key=lambda f: f[0])
    # "11月20号之前那两个礼拜（7号到20号）", "the fortnight ending 20 Nov (7th to 20th)": days
    # restated in brackets after a period are the days meant, in that period's month
    for m in re.finditer(r"[(（]\s*(\d{1,2})\s*(?:st|nd|rd|th|号|日)?\s*(?:到|至|-|–|~|to|until|"
                         rf"through)\s*(\d{{1,2}})\s*(?:st|nd|rd|th|号|日)?\s*(?:{_MONTH_RE})?\.?\s*[)）]",
                         t):
        if any(a <= m.start() < b for a, b in taken):
            continue
        before = [i for i, (pos, p, said) in enumerate(found)
                  if p.end and 0 <= m.start() - (pos + len(said)) <= 30]
        if before:
            pos, p, said = found[before[-1]]
            if int(m[1]) > int(m[2]):
                continue
            with contextlib.suppress(ValueError):
                found[before[-1]] = (pos, days(p.end.replace(day=int(m[1])),
                                               p.end.replace(day=int(m[2]))), said)
    # "the week of 14 November", "11月14号那一周": the Monday-to-Sunday week that holds the day
    for i, (pos, p, said) in enumerate(found):
        if p.start and p.start == p.end and (
                re.search(r"\b(?:the )?week (?:of|commencing|beginning|starting)\s+(?:the\s+)?$", t[:pos])
                or re.match(r"\s*(?:所在的?)?(?:那|这)?(?:一)?(?:个)?(?:周|星期|礼拜)(?!\s*[一二三四五六日天末])",
                            t[pos + len(said):])):
            monday = p.start - dt.timedelta(days=p.start.weekday())
            found[i] = (pos, days(monday, monday + dt.timedelta(days=6)), said)
    # "January and February", "1月和2月": one span, unless they are compared or listed each
    if not re.search(r"比|对比|相比|跟|较|各|分别|\bvs|versus|compar|than|against|relative|"
                     r"\bchange|\bgr[eo]w|\beach\b|respectively|separately|增长|变化|下降|上升", t):
        merged: list[tuple[int, Period, str]] = []
        for f in found:
            if merged and _whole_months(merged[-1][1]) and _whole_month(f[1]) and \
                    (f[1].start - merged[-1][1].end).days == 1 and re.fullmatch(
                        r"\s*(?:,|，|、)?\s*(?:and|&|和|与|及|、|,|，)\s*",
                        t[merged[-1][0] + len(merged[-1][2]):f[0]]):
                pos, first, _ = merged.pop()
                merged.append((pos, months(first.start.year, first.start.month, f[1].end.month)
                               if first.start.year == f[1].end.year else
                               days(first.start, f[1].end), t[pos:f[0] + len(f[2])]))
            elif merged and merged[-1][1].start and merged[-1][1].end and f[1].start and \
                    f[1].end and (f[1].start - merged[-1][1].end).days == 1 and re.fullmatch(
                        r"\s*(?:加上?|再加上?|\+|plus|and|&|和)\s*",
                        t[merged[-1][0] + len(merged[-1][2]):f[0]]):
                pos, first, _ = merged.pop()  # "昨天加今天", "yesterday plus today": one span
                merged.append((pos, days(first.start, f[1].end), t[pos:f[0] + len(f[2])]))
            else:
                merged.append(f)
        found = merged
    # "这个月截至5号", "as of the 5th": a month (or the month so far) up to that day
    cut = re.search(r"截[至止](?:到)?\s*(\d{1,2})\s*[号日]|\b(?:as of|up to|up until|through|until) "
                    r"the (\d{1,2})(?:st|nd|rd|th)?\b(?! of)(?!\s*(?:quarter|week|month|half|day))", t)
    if cut:
        n = int(cut[1] or cut[2])
        cut_found = []
        for pos, p, said in found:
            if p.start and p.end and p.start.day == 1 and (p.start.year, p.start.month) == (
                    p.end.year, p.end.month) and n <= p.end.day:
                end = p.start.replace(day=n)
                p = Period(p.start, end, f"{p.start} to {end} (up to the {n}th)",
                           f"{p.start} 至 {end}（截至{n}号）")
            cut_found.append((pos, p, said))
        found = cut_found
    # "这个月截至昨天", "this month up to yesterday": the period named, ending yesterday
    if re.search(r"截[至止](?:到)?昨天|到昨天为止|\b(?:as of|up to|up until|until|through|to) "
                 r"yesterday\b", t):
        yesterday = as_of - dt.timedelta(days=1)
        running = [f for f in found if f[1].end == as_of and f[1].start and f[1].start < yesterday]
        if running:
            pos, p, said = running[0]
            found = [f for f in found if f[1] != day(yesterday) and f is not running[0]]
            found.append((pos, Period(p.start, yesterday, f"{p.start} to {yesterday} (up to "
                                      f"yesterday)", f"{p.start} 至 {yesterday}（截至昨天）"), said))
            found.sort(key=lambda f: f[0])
    # "双十一跟上一个周五比", "11 November vs the previous Friday": the weekday before the day
    # named first, not before today
    for i, (pos, _, said) in enumerate(found):
        weekday = re.match(r"(?:on )?(?:the )?(?:previous|prior|preceding|上一个?)\s*(?:周|星期|礼拜)?"
                           rf"([一二三四五六日天]|{_WEEKDAY_RE})", said)
        before = [q for _, q, _ in found[:i] if q.start and q.start == q.end]
        if weekday and before:
            w = weekday[1]
            target = ZH_WEEKDAYS[w] if w in ZH_WEEKDAYS else EN_WEEKDAYS[w]
            back = (before[0].start.weekday() - target - 1) % 7 + 1
            found[i] = (pos, day(before[0].start - dt.timedelta(days=back)), said)
    # a period restated in brackets ("summer (June to August)") is one period, not two
    found = [f for i, f in enumerate(found) if not (
        i and f[1] == found[i - 1][1] and re.search(r"[(（]\s*$", t[:f[0]]))]
    def gap(i: int) -> str:
        return t[found[i - 1][0] + len(found[i - 1][2]):found[i][0]]

    # "Monday 29 August", "那个周四（11月17号）": a weekday beside a date names that date
    found = [f for i, f in enumerate(found) if not (
        re.fullmatch(rf"(?:on )?(?:{_WEEKDAY_RE})|个?(?:周|星期|礼拜)[一二三四五六日天]", f[2])
        and ((i + 1 < len(found) and re.fullmatch(r"[\s,，(（]{0,2}", t[f[0] + len(f[2]):found[i + 1][0]]))
             or (i and re.fullmatch(r"[\s,，]{0,2}", gap(i)))))]
    # "11月7号到13号（双十一那一周）", "Halloween (31 October)": a period in brackets right
    # after another one says it again
    found = [f for i, f in enumerate(found) if not (i and (
        re.fullmatch(r"\s*[(（][^)）]{0,12}", gap(i))
        # "Golden Week holiday, 1 to 7 October": the same days said twice, not compared
        or (f[1] == found[i - 1][1] and len(gap(i)) <= 12 and not _COMPARING.search(gap(i)))))]
    # "8月底那个银行假日（8月29号）", "去年圣诞前两周（12月11号到24号）": a day or days inside
    # the period named with them narrow it
    # (a share of one in the other keeps both: "今天一天的营业额占了这周到现在的多少")
    if len(found) >= 2 and not _COMPARING.search(t) and not re.search(
            r"占|比例|几成|\bshare\b|\bfraction\b|\bproportion\b|\bpercent(?:age)?\b|%", t):
        days_named = [f for f in found if f[1].start and f[1].start == f[1].end]
        found = [f for f in found if not any(
            d is not f and f[1].start and f[1].end and f[1].start < d[1].start <= f[1].end
            for d in days_named)]  # "since autumn began on 1 September" is not 1 September
        found = [f for f in found if not (_whole_year(f[1]) and any(
            d is not f and d[1] != f[1] and d[1].start and d[1].end
            and f[1].start <= d[1].start <= d[1].end <= f[1].end for d in found))]
    found = _spans_joined(found, t, as_of, against_elsewhere=same_days is not None)
    periods = [p for _, p, _ in found]
    matched = tuple(text_ for _, _, text_ in found)
    period = periods[0] if periods else None
    if compare is None and len(periods) >= 2 and periods[0] == periods[1] and not periods[
            0].is_all and re.search(r"比|跟|较|之前|以前|\b(?:before|prior|previous|earlier|vs|"
                                    r"versus|against)\b|compar|(?<!more )(?<!less )(?<!fewer )"
                                    r"(?<!rather )(?<!other )\bthan\b", t):
        # "最近30天…跟之前30天": the same span, the one before it; "this year's customers who
        # ordered more than once this year" says one year twice
        compare = "previous"
    if compare is None and len(periods) >= 2 and periods[0] != periods[1] and re.search(
            r"比|对比|相比|和|与|跟|较|到|变化|增长|下降|\bvs|versus|compare|than|against|relative|"
            r"\bup or down\b|\bhigher or lower\b|\bahead or behind\b|\bbetter or worse\b|"
            r"\bfrom\b|\bover\b|\bchange|\bgr[eo]w|\bbeat\b|\boutsold\b|\boutsell|"
            r"\bshort of\b|\bbehind\b|\bahead of\b|还差|落后|领先", t):
        # "11月和10月比": the first period against the second
        period, compare = periods[0], periods[1]
        if period.start and compare.start and period.start < compare.start:
            period, compare = compare, period
    elif compare == "previous" and len(periods) >= 2 and periods[0].start and periods[1].start \
            and periods[0].start < periods[1].start and re.fullmatch(
                r"上一?个?(?:周|星期|礼拜|月|季度)|last (?:week|month|quarter)", matched[1]):
        period = periods[0]  # "第40周的销售额环比上周": week 40 against the week before it
    elif compare == "previous" and len(periods) >= 2:
        period, compare = max(periods[:2], key=lambda p: p.start or dt.date.min), "previous"
        other = min(periods[:2], key=lambda p: p.start or dt.date.min)
        if (period.start and period.end and other.start and other.end and other != period
                and not other.start <= period.start <= period.end <= other.end):
            # "这个月截至5号…跟上个月截至5号比", "this week vs last week": the periods named,
            # whole as named, not the days just before
            compare = other
    if same_days is not None and period is not None and not period.is_all:
        compare = _shifted(period, same_days)
    # "mid-October against the same ten days of September", "10月中旬和9月同期比": the same
    # days of the month in the month named
    other = re.search(rf"\bsame (?:\w+ )?(?:days|period|stretch|dates) (?:of|in) ({_MONTH_RE})\b"
                      r"|(\d{1,2}|[一二三四五六七八九十]+)月(?:份)?(?:的)?(?:同期|同样的?(?:那)?[\w]{0,2}天|"
                      r"同一(?:段)?时间|相同的?(?:那)?[\w]{0,2}天)", t)
    if other and period is not None and period.start and period.end and (
            period.start.year, period.start.month) == (period.end.year, period.end.month):
        mo = _MONTHS_EN[other[1]] if other[1] else zh_number(other[2])
        y = period.start.year - (mo >= period.start.month)
        with contextlib.suppress(ValueError):
            compare = days(dt.date(y, mo, period.start.day), dt.date(y, mo, period.end.day))
    # "22 Nov (a Tuesday) vs the Tuesday before", "11月22号（周二）跟再前一个礼拜二比": that
    # weekday a week before the day named, not the latest one
    before = re.search(rf"\bthe ({_WEEKDAY_RE}) before\b(?! last)|(?:再)?(?:前|上)一个(?:周|星期|礼拜)"
                       r"([一二三四五六日天])", t)
    same_weekday = before and list(dict.fromkeys(
        p for at, p, _ in found if p.start and p.start == p.end and not before.start() <= at <
        before.end() and p.start.weekday() == (EN_WEEKDAYS[before[1]] if before[1] else
                                                ZH_WEEKDAYS[before[2]])))
    if same_weekday and len(same_weekday) == 1:  # one day said; both said: as they are
        period, compare = same_weekday[0], day(same_weekday[0].start - dt.timedelta(days=7))
    vague = None
    if period is not None and period in rolling_months and compare is None:
        period, vague = None, "the last few months"
    if re.search(r"(?:上个?月|这个?月|本月)?(?:底|末)(?:那几天|几天|的时候)|月底那几天|\btail end of\b|"
                 r"\bend of (?:last|the|this) month\b", t) and not any(
                     p.start and p.end and (p.end - p.start).days < 20 for p in periods):
        period, compare, vague = None, None, "the end of the month"
        if settled in MONTH_END_DAYS:  # of the month named, or the latest month that ended
            named = next((p for p in periods if p.start and p.end and (p.end - p.start).days > 26
                          and (p.end - p.start).days < 31), None)
            whole = named or (_month_named("this month", as_of) if re.search(
                r"这个?月|本月|this month", t) else _month_named("last month", as_of))
            n = MONTH_END_DAYS[settled]
            start = whole.end - dt.timedelta(days=n - 1)
            period, vague = Period(start, whole.end, f"the last {n} days of {whole.label_en} "
                                   f"({start} to {whole.end})",
                                   f"{whole.label_zh}最后{n}天（{start} 至 {whole.end}）"), None
    elif re.search(r"^(?!.*(?:比|对比|相比|跟|较|\bvs|versus|compar|than|against|change|grow|增长|变化))"
                   r".*(?:去年这个时候|去年此时|\bthis time last year\b|\bthis point last year\b)", t) \
            and len(periods) <= 1:
        period, compare, vague = None, None, "this time last year"
        if settled == "same month last year":
            period, vague = month(as_of.year - 1, as_of.month), None
        elif settled in ("same 7 days last year", "same 30 days last year"):
            end = (pd.Timestamp(as_of) - pd.DateOffset(years=1)).date()
            n = 7 if "7" in settled else 30
            start = end - dt.timedelta(days=n - 1)
            period, vague = Period(start, end, f"the same {n} days last year ({start} to {end})",
                                   f"去年同期{n}天（{start} 至 {end}）"), None
    elif re.search(r"(?<![入自])(?:春天|夏天|秋天|冬天|春季|夏季|秋季|冬季)(?!\s*[(（])"
                   r"|(?<!start of )(?<!beginning of )(?<!since )\b(?:spring|summer|autumn|fall|winter)\b"
                   r"(?!'s)(?! (?:began|started|start|set in))(?!\s*\()", t) and not any(
                       p.start and p.end and (p.end - p.start).days < 80 for p in periods) \
            and not re.search(r"(?:春|夏|秋|冬)(?:天|季)\s*[(（]|\b(?:spring|summer|autumn|fall|winter)"
                              r"(?:'s)?(?: \w+)?\s*\(", t) \
            and settled not in SEASON_STARTS:  # one season's months said: all whole
        period, compare, vague = None, None, "the season"  # which months make autumn?
    elif re.search(r"财年|财政年度|会计年度|\b(?:fiscal|financial) year\b|\bfy\d*\b", t) \
            and settled not in FISCAL_STARTS:
        period, compare, vague = None, None, "the financial year"  # when does it start?
    elif week_of_month_unsaid and not any(p.start and p.end and (p.end - p.start).days == 6
                                          for p in periods):
        period, compare, vague = None, None, "the week of the month"
    elif year_week_unsaid and not any(p.start and p.end and (p.end - p.start).days == 6
                                      for p in periods):
        period, compare, vague = None, None, "the week of the year"
    monday = as_of - dt.timedelta(days=as_of.weekday())
    if compare == "previous" and period is not None and (period.start, period.end) == (
            monday, as_of) and as_of.weekday() < 6 and re.search(
                r"周环比|(?<![a-z])wow(?![a-z])|week[- ](?:on|over)[- ]week", t):
        # this week is not over: against the same days of last week, or all of last week?
        start, end = monday - dt.timedelta(days=7), as_of - dt.timedelta(days=7)
        if settled == "same days last week":
            compare = Period(start, end, f"the same days last week ({start} to {end})",
                             f"上周同期（{start} 至 {end}）")
        elif settled == "whole last week":
            end = monday - dt.timedelta(days=1)
            compare = Period(start, end, f"the whole of last week ({start} to {end})",
                             f"上周整周（{start} 至 {end}）")
        else:
            period, compare, vague = None, None, "week on week"
    if period is None and vague is None:
        if re.search(r"上次|上一次|last time|previous time", t):
            vague = "last time"
        elif re.search(r"最近|近期|近来|lately|recently|\brecent\b|these days", t):
            vague = "recently"
        elif re.search(r"大促|促销|活动|promotion|campaign|\bsale event", t):
            vague = "the promotion"
    listed = None
    months_named = [p for p in periods if p.start and p.end and p.start.day == 1
                    and (p.end + dt.timedelta(days=1)).day == 1
                    and (p.start.year, p.start.month) == (p.end.year, p.end.month)]
    if (len(periods) >= 2 and len(months_named) == len(periods)
            and len(set(months_named)) == len(months_named)
            and re.search(r"各自|各|分别|\beach\b|\brespectively\b|\bseparately\b", t)):
        ordered = sorted(months_named, key=lambda p: p.start)
        consecutive = all((b.start - a.end).days == 1 for a, b in zip(ordered, ordered[1:], strict=False))
        if consecutive:
            period, compare, listed = days(ordered[0].start, ordered[-1].end), None, "month"
    return PeriodReading(period, compare, matched, vague, tuple(periods), listed,
                         next(iter(no_such_day), None))
