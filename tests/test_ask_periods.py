"""Periods merchants name beyond the basic ones: days with names, parts of a month, spans of
months and quarters, "since …", a year word beside a month, and "the same days last week".

Two reference days: the demo's last day (a Friday in December) and a day early in another
year, so "the latest such day" is seen rolling back a year."""

from __future__ import annotations

import datetime as dt

import pytest

from shopkeeper.ask.periods import read_period

DEC = dt.date(2011, 12, 9)
MAR = dt.date(2024, 3, 15)


def _span(text: str, as_of: dt.date) -> tuple[str, str]:
    period = read_period(text, as_of).period
    assert period is not None, text
    return str(period.start), str(period.end)


@pytest.mark.parametrize("text, as_of, start, end", [
    # days with names, and days without a year: the latest one on or before the day asked
    ("双11当天的订单", DEC, "2011-11-11", "2011-11-11"),
    ("双十一卖了多少", MAR, "2023-11-11", "2023-11-11"),
    ("圣诞节的销量", MAR, "2023-12-25", "2023-12-25"),
    ("sales on Christmas Day 2010", DEC, "2010-12-25", "2010-12-25"),
    ("2023年圣诞前一周的订单数", MAR, "2023-12-18", "2023-12-24"),
    ("orders in the week before Christmas", DEC, "2010-12-18", "2010-12-24"),
    ("orders on 3 March", MAR, "2024-03-03", "2024-03-03"),
    ("orders on 20 March", MAR, "2023-03-20", "2023-03-20"),
    ("GMV on October 2nd", DEC, "2011-10-02", "2011-10-02"),
    ("3月20号的客单价", MAR, "2023-03-20", "2023-03-20"),
    ("前天的GMV", MAR, "2024-03-13", "2024-03-13"),
    ("revenue the day before yesterday", DEC, "2011-12-07", "2011-12-07"),
    ("大前天的订单", DEC, "2011-12-06", "2011-12-06"),
    # parts of a month
    ("二月中旬的销量", MAR, "2024-02-11", "2024-02-20"),
    ("2月下旬", MAR, "2024-02-21", "2024-02-29"),
    ("10月份下半月的订单", DEC, "2011-10-16", "2011-10-31"),
    ("units in the second half of February", MAR, "2024-02-16", "2024-02-29"),
    ("the first ten days of January 2024", MAR, "2024-01-01", "2024-01-10"),
    # spans of months and quarters, with the year said as 今年 / this year
    ("今年2到3月的件数", MAR, "2024-02-01", "2024-03-31"),
    ("去年前两个季度的销售额", MAR, "2023-01-01", "2023-06-30"),
    ("二到四季度", DEC, "2011-04-01", "2011-12-31"),
    ("sales from February through April 2023", MAR, "2023-02-01", "2023-04-30"),
    ("orders Q2 to Q4 last year", MAR, "2023-04-01", "2023-12-31"),
    ("the first two quarters of 2023", MAR, "2023-01-01", "2023-06-30"),
    ("October last year", MAR, "2023-10-01", "2023-10-31"),
    ("去年11月", DEC, "2010-11-01", "2010-11-30"),
    # since a day or a month
    ("2月1号以来的订单", MAR, "2024-02-01", "2024-03-15"),
    ("自9月起的销售额", DEC, "2011-09-01", "2011-12-09"),
    ("revenue since the 5th of March", MAR, "2024-03-05", "2024-03-15"),
    ("units since August", DEC, "2011-08-01", "2011-12-09"),
    # "last <month>": the latest such month before this one
    ("customers last March", MAR, "2023-03-01", "2023-03-31"),
    ("customers last February", MAR, "2024-02-01", "2024-02-29"),
])
def test_named_periods(text, as_of, start, end):
    assert _span(text, as_of) == (start, end)


def test_the_same_days_a_week_earlier():
    reading = read_period("本周至今的订单和上周同期比", DEC)
    assert (str(reading.period.start), str(reading.period.end)) == ("2011-12-05", "2011-12-09")
    assert (str(reading.compare.start), str(reading.compare.end)) == ("2011-11-28", "2011-12-02")
    reading = read_period("this month so far against the same days last month", MAR)
    assert (str(reading.compare.start), str(reading.compare.end)) == ("2024-02-01", "2024-02-15")


def test_a_span_of_quarters_is_two_periods_when_it_says_change():
    growth = read_period("how much did sales grow from Q1 to Q3", DEC)
    assert str(growth.period.start) == "2011-07-01" and str(growth.compare.start) == "2011-01-01"
    span = read_period("sales from Q1 to Q3", DEC)
    assert _span("sales from Q1 to Q3", DEC) == ("2011-01-01", "2011-09-30")
    assert span.compare is None


def test_a_holiday_week_is_not_a_comparison_and_all_time_twice_is_not_either():
    assert read_period("2011年圣诞节前一周的销售额", DEC).compare is None
    assert read_period("customers in total, of all time", DEC).compare is None


def test_may_without_a_number_or_year_is_not_read_as_a_day():
    assert read_period("the top 10 may be different", DEC).period is None


@pytest.mark.parametrize("text", ["orders over the past three months", "最近两个月的销售额"])
def test_a_rolling_window_of_months_is_asked_back(text):
    reading = read_period(text, DEC)
    assert reading.period is None and reading.vague == "the last few months"
    assert read_period("the past 90 days", DEC).period is not None


@pytest.mark.parametrize("text, as_of, start, end", [
    # holidays with a span or a rule: China's National Day week, Thanksgiving
    ("国庆黄金周的订单", DEC, "2011-10-01", "2011-10-07"),
    ("revenue during Golden Week", MAR, "2023-10-01", "2023-10-07"),
    ("感恩节的销售额", DEC, "2011-11-24", "2011-11-24"),
    ("sales on Thanksgiving 2010", DEC, "2010-11-25", "2010-11-25"),
    ("去年黑色星期五的销售额", DEC, "2010-11-26", "2010-11-26"),
    ("orders on Black Friday last year", DEC, "2010-11-26", "2010-11-26"),
    # day ranges written day first
    ("units sold 3-9 October", DEC, "2011-10-03", "2011-10-09"),
    ("orders from 28 November to 4 December", DEC, "2011-11-28", "2011-12-04"),
    ("revenue between 10 and 12 March", MAR, "2024-03-10", "2024-03-12"),
    ("11月14号到20号这周的客单价", DEC, "2011-11-14", "2011-11-20"),
    # since a season began
    ("入夏以来的销售额", DEC, "2011-06-01", "2011-12-09"),
    ("AOV since spring began", DEC, "2011-03-01", "2011-12-09"),
    ("since the start of autumn, how many orders", MAR, "2023-09-01", "2024-03-15"),
    # two weeks
    ("最近两个礼拜的订单", DEC, "2011-11-26", "2011-12-09"),
    ("orders in the last fortnight", DEC, "2011-11-26", "2011-12-09"),
    # said twice, or narrowed: the day, not the month around it or a weekday beside it
    ("sales on Halloween, 31 October", DEC, "2011-10-31", "2011-10-31"),
    ("11月中旬那个周四（11月17号）的订单", DEC, "2011-11-17", "2011-11-17"),
    ("orders on Thursday 17 November", DEC, "2011-11-17", "2011-11-17"),
])
def test_holidays_day_ranges_seasons_and_restated_days(text, as_of, start, end):
    assert _span(text, as_of) == (start, end)
    assert read_period(text, as_of).compare is None


def test_a_day_against_the_same_day_a_week_earlier():
    for text in ("今天的订单跟上周同一天比", "today's orders against the same day last week"):
        reading = read_period(text, DEC)
        assert str(reading.period.start) == "2011-12-09"
        assert str(reading.compare.start) == str(reading.compare.end) == "2011-12-02"


def test_two_weeks_against_the_two_before():
    reading = read_period("最近两个星期的订单和再往前两个星期比", DEC)
    assert (str(reading.period.start), reading.compare) == ("2011-11-26", "previous")


def test_a_half_month_said_alone_is_of_the_month_named_before_it():
    for text in ("9月下半月的客单价比上半月高吗", "AOV in the second half of September against the first half"):
        reading = read_period(text, DEC)
        assert (str(reading.period.start), str(reading.period.end)) == ("2011-09-16", "2011-09-30")
        assert (str(reading.compare.start), str(reading.compare.end)) == ("2011-09-01", "2011-09-15")
    assert _span("What were sales in the first half?", DEC) == ("2011-01-01", "2011-06-30")


@pytest.mark.parametrize("text, as_of, start, end", [
    # the first months of a year, said as a count or as months joined by "and"
    ("2011年前三个月的订单", DEC, "2011-01-01", "2011-03-31"),
    ("今年头三个月卖了多少", MAR, "2024-01-01", "2024-03-31"),
    ("orders in the first six months of 2011", DEC, "2011-01-01", "2011-06-30"),
    ("revenue for the first three months of the year", MAR, "2024-01-01", "2024-03-31"),
    ("units sold in March and April", DEC, "2011-03-01", "2011-04-30"),
    ("7月和8月的销售额", DEC, "2011-07-01", "2011-08-31"),
    ("GMV over September, October and November", DEC, "2011-09-01", "2011-11-30"),
    # the quarter before last, with the year rolling back
    ("上上季度的客单价", DEC, "2011-04-01", "2011-06-30"),
    ("AOV in the quarter before last", MAR, "2023-07-01", "2023-09-30"),
    # a running period cut at yesterday
    ("本周截至昨天的订单", DEC, "2011-12-05", "2011-12-08"),
    ("year to date up to yesterday, how many units?", DEC, "2011-01-01", "2011-12-08"),
    # a weekday of last or this week; a day a month or a week back
    ("sales on Wednesday last week", DEC, "2011-11-30", "2011-11-30"),
    ("last week's Friday: how many orders?", DEC, "2011-12-02", "2011-12-02"),
    ("a week ago today, what was GMV?", DEC, "2011-12-02", "2011-12-02"),
    ("一个月前的今天来了多少单", MAR, "2024-02-15", "2024-02-15"),
    # the first or last week of a month, with its days said in brackets
    ("11月最后一周（24号到30号）的订单", DEC, "2011-11-24", "2011-11-30"),
    ("orders in the first week of September (1st to 7th)", DEC, "2011-09-01", "2011-09-07"),
    # a year's first week when it starts on a Monday (2018), or with its days said; its first
    # or last day or month
    ("orders in the first week of 2018", DEC, "2018-01-01", "2018-01-07"),
    ("2010年最后一周（25号到31号）的订单", DEC, "2010-12-25", "2010-12-31"),
    ("前年最后一天的销售额", DEC, "2009-12-31", "2009-12-31"),
    ("units in the last month of last year", DEC, "2010-12-01", "2010-12-31"),
    ("week 1 of 2010", DEC, "2010-01-04", "2010-01-10"),  # a week number is the ISO week
    # Father's Day (the third Sunday of June); a month's first or last working day; half a
    # month in words; a range of ISO weeks; two days joined by 加 / plus; Q2 beside Chinese;
    # days restated in brackets with their month
    ("sales on Father's Day 2010", DEC, "2010-06-20", "2010-06-20"),
    ("这个月第一个工作日的订单", DEC, "2011-12-01", "2011-12-01"),
    ("the last business day of October", DEC, "2011-10-31", "2011-10-31"),
    ("9月后半个月的件数", DEC, "2011-09-16", "2011-09-30"),
    ("units in the latter half of September", DEC, "2011-09-16", "2011-09-30"),
    ("第10周到第12周的销售额", DEC, "2011-03-07", "2011-03-27"),
    ("orders for weeks 10 to 12", DEC, "2011-03-07", "2011-03-27"),
    ("前天加昨天一共多少单", DEC, "2011-12-07", "2011-12-08"),
    ("Q2的订单数", DEC, "2011-04-01", "2011-06-30"),
    ("orders over the quiet days after Christmas last year (27-31 Dec)", DEC, "2010-12-27",
     "2010-12-31"),
    # the Monday-to-Sunday week that holds a day
    ("orders in the week of 16 November", DEC, "2011-11-14", "2011-11-20"),
    ("11月9号所在的那一周卖了多少", DEC, "2011-11-07", "2011-11-13"),
    # a day number before May is the month
    ("What did we sell on 2 May?", DEC, "2011-05-02", "2011-05-02"),
])
def test_spans_of_months_cut_periods_and_named_weeks(text, as_of, start, end):
    assert _span(text, as_of) == (start, end)


def test_months_compared_or_listed_stay_apart():
    assert read_period("3月和4月比，销售额涨了多少", DEC).compare is not None
    assert read_period("March and April each", DEC).listed == "month"


@pytest.mark.parametrize("text, start, end, before", [
    ("quarter to date against the same point last quarter", "2011-10-01", "2011-12-09",
     ("2011-07-01", "2011-09-09")),
    ("本季度至今的GMV，和上季度同期比", "2011-10-01", "2011-12-09", ("2011-07-01", "2011-09-09")),
    ("month to date vs this point last month", "2011-12-01", "2011-12-09",
     ("2011-11-01", "2011-11-09")),
    ("本月截至昨天的件数，跟上个月同一时间点比", "2011-12-01", "2011-12-08",
     ("2011-11-01", "2011-11-08")),
])
def test_the_same_point_of_the_last_month_or_quarter(text, start, end, before):
    reading = read_period(text, DEC)
    assert (str(reading.period.start), str(reading.period.end)) == (start, end)
    assert (str(reading.compare.start), str(reading.compare.end)) == before


@pytest.mark.parametrize("text, vague", [
    ("orders in the last week of September", "the week of the month"),
    ("9月第一周的订单数", "the week of the month"),
    ("GMV for the fiscal year so far", "the financial year"),
    ("本财年的销售额", "the financial year"),
    ("orders in the first week of 2010", "the week of the year"),  # 1 January 2010: a Friday
    ("前年最后一个星期的件数", "the week of the year"),
])
def test_a_week_of_a_month_without_its_days_and_a_financial_year_are_asked_back(text, vague):
    reading = read_period(text, DEC)
    assert reading.period is None and reading.vague == vague


@pytest.mark.parametrize("text, day_, before", [
    ("Wed 16 Nov sales vs the Wednesday before", "2011-11-16", "2011-11-09"),
    ("10月18号（周二）的订单跟前一个周二比", "2011-10-18", "2011-10-11"),
    ("last Tuesday's orders vs the Tuesday before", "2011-11-29", "2011-11-22"),  # last week's
    # both days said: as said
    ("上个礼拜天的营业额，跟再前一个礼拜天（11月20号）比", "2011-12-04", "2011-11-20"),
])
def test_a_weekday_before_a_day_named_is_a_week_earlier(text, day_, before):
    reading = read_period(text, DEC)
    assert str(reading.period.start) == str(reading.period.end) == day_
    assert str(reading.compare.start) == str(reading.compare.end) == before


def test_a_month_in_chinese_numerals_after_a_year_is_that_month():
    for text, start in (("今年二月份退款多少", "2011-02-01"), ("2010年十二月的订单", "2010-12-01")):
        assert str(read_period(text, DEC).period.start) == start


@pytest.mark.parametrize("text, settled, start, end", [
    ("orders in the last week of September", "counted", "2011-09-24", "2011-09-30"),
    ("orders in the last week of September", "whole", "2011-09-19", "2011-09-25"),
    ("9月第一周的订单数", "whole", "2011-09-05", "2011-09-11"),
    ("9月第一周的订单数", "counted", "2011-09-01", "2011-09-07"),
    ("orders in the first week of 2010", "whole", "2010-01-04", "2010-01-10"),
    ("前年最后一个星期的件数", "counted", "2009-12-25", "2009-12-31"),
    ("GMV for the fiscal year so far", "fy4", "2011-04-01", "2011-12-09"),
    ("上个财年的销售额", "fy7", "2010-07-01", "2011-06-30"),
    ("FY2010 orders", "fy4", "2010-04-01", "2011-03-31"),
    ("本财年的销售额", "fy1", "2011-01-01", "2011-12-09"),
    ("这个冬天的订单", "months", "2011-12-01", "2012-02-29"),
    ("spring 2011 sales", "equinox", "2011-03-20", "2011-06-20"),
    ("秋天的客单价", "jieqi", "2011-08-08", "2011-11-07"),
    ("sales over the last 2 months", "full months", "2011-10-01", "2011-11-30"),
    ("sales over the last 2 months", "rolling", "2011-10-10", "2011-12-09"),
    ("11月底那几天", "month end 7", "2011-11-24", "2011-11-30"),
    ("去年这个时候的订单", "same 30 days last year", "2010-11-10", "2010-12-09"),
])
def test_a_way_of_counting_chosen_settles_a_vague_period(text, settled, start, end):
    reading = read_period(text, DEC, settled)
    assert reading.vague is None and reading.period is not None, reading
    assert (str(reading.period.start), str(reading.period.end)) == (start, end)


@pytest.mark.parametrize("text, as_of, start, end", [
    ("orders last wk", DEC, "2011-11-28", "2011-12-04"),
    ("这礼拜的销售额", DEC, "2011-12-05", "2011-12-09"),
    ("这个月截至8号的订单", DEC, "2011-12-01", "2011-12-08"),
    ("units this month as of the 7th", DEC, "2011-12-01", "2011-12-07"),
    ("sales on the 2nd of October", DEC, "2011-10-02", "2011-10-02"),
    ("GMV in mid-March", MAR, "2024-03-11", "2024-03-20"),
    ("orders in the back half of the year", DEC, "2011-07-01", "2011-12-31"),
    ("sales on New Year's Eve", MAR, "2023-12-31", "2023-12-31"),
    ("units per day over 3-9 October last year", DEC, "2010-10-03", "2010-10-09"),
    ("orders on 24 December 2010", DEC, "2010-12-24", "2010-12-24"),
])
def test_abbreviations_cut_months_and_days_said_with_of(text, as_of, start, end):
    assert _span(text, as_of) == (start, end)


def test_named_cut_periods_are_compared_day_for_day():
    reading = read_period("本月截至3号的订单，和上个月截至3号比", DEC)
    assert (str(reading.compare.start), str(reading.compare.end)) == ("2011-11-01", "2011-11-03")
    assert read_period("近三周的订单比之前三周多吗", DEC).compare == "previous"
    # "the two weeks before Christmas" names days; it compares nothing
    assert read_period("best days in the two weeks before Christmas 2010 (11-24 Dec)",
                       DEC).compare is None


@pytest.mark.parametrize("text", ["sales at the tail end of last month", "上月底那几天的订单",
                                  "去年这个时候的订单数", "What were orders this time last year?"])
def test_the_end_of_a_month_and_this_time_last_year_alone_are_asked_back(text):
    reading = read_period(text, DEC)
    assert reading.period is None and reading.vague in ("the end of the month",
                                                        "this time last year")


def test_a_numbered_quarter_or_week_is_no_day_to_cut_at():
    assert _span("orders this month up to the 3rd week", DEC) == ("2011-12-01", "2011-12-09")


def test_a_numbered_week_against_last_week_is_against_the_week_before_it():
    reading = read_period("第10周的订单环比上周", DEC)
    assert (str(reading.period.start), reading.compare) == ("2011-03-07", "previous")
    beat = read_period("Did Q2 units beat Q1?", DEC)
    assert str(beat.period.start) == "2011-04-01" and str(beat.compare.start) == "2011-01-01"


@pytest.mark.parametrize("text, as_of, start, end", [
    # a month of a quarter
    ("上个季度最后那个月，总成交是多少", DEC, "2011-09-01", "2011-09-30"),
    ("the closing month of last quarter", DEC, "2011-09-01", "2011-09-30"),
    ("Q3的第一个月", DEC, "2011-07-01", "2011-07-31"),
    ("the first month of this quarter", MAR, "2024-01-01", "2024-01-31"),
    # the start of the year to a month's end; months up to a month's end
    ("年初到11月底，总共来了多少新用户", DEC, "2011-01-01", "2011-11-30"),
    ("from the start of the year through the end of November", DEC, "2011-01-01", "2011-11-30"),
    ("截至11月底的这三个月", DEC, "2011-09-01", "2011-11-30"),
    ("the three months to the end of November", DEC, "2011-09-01", "2011-11-30"),
    ("the 3 months to the end of February", DEC, "2010-12-01", "2011-02-28"),
    ("since the start of July", DEC, "2011-07-01", "2011-12-09"),
    # a fortnight is fourteen days; Singles' Day; "yr"
    ("the first fortnight of October", DEC, "2011-10-01", "2011-10-14"),
    ("9月前两周拉到的新用户", DEC, "2011-09-01", "2011-09-14"),
    ("sales on Singles' Day last year", DEC, "2010-11-11", "2010-11-11"),
    ("rev this yr", DEC, "2011-01-01", "2011-12-09"),
    # a note on how far the last part runs is no period of its own
    ("今年的新用户，四个季度各占多少（四季度算到今天）", DEC, "2011-01-01", "2011-12-09"),
    ("11月第二周（8到14号）", DEC, "2011-11-08", "2011-11-14"),
])
def test_months_of_quarters_spans_to_a_months_end_and_fortnights(text, as_of, start, end):
    assert _span(text, as_of) == (start, end)


@pytest.mark.parametrize("text, start, end, before", [
    ("上个季度的最后一个月和第一个月比", "2011-09-01", "2011-09-30", ("2011-07-01", "2011-07-31")),
    ("customers in the last month of last quarter than in its first month", "2011-09-01",
     "2011-09-30", ("2011-07-01", "2011-07-31")),
    ("the three months to end-November vs the three months before that (Jun-Aug)",
     "2011-09-01", "2011-11-30", ("2011-06-01", "2011-08-31")),
    ("截至11月底的三个月，跟之前三个月（6到8月）比", "2011-09-01", "2011-11-30",
     ("2011-06-01", "2011-08-31")),
    ("sales for 7-13 November, the week with Singles' Day in it, against 31 October to 6 "
     "November", "2011-11-07", "2011-11-13", ("2011-10-31", "2011-11-06")),
])
def test_a_month_of_a_quarter_or_months_before_are_compared(text, start, end, before):
    reading = read_period(text, DEC)
    assert (str(reading.period.start), str(reading.period.end)) == (start, end)
    assert (str(reading.compare.start), str(reading.compare.end)) == before


@pytest.mark.parametrize("text, compare", [
    ("12月1号到7号的下单客户数，YoY咋样", "year"), ("10月GMV MoM涨了几个点", "previous"),
    ("10月gmv环比", "previous")])
def test_abbreviations_next_to_chinese_compare(text, compare):
    assert read_period(text, DEC).compare == compare


@pytest.mark.parametrize("text", ["上个月第二周接了多少单",
                                  "How many orders did we take in the second week of last month?"])
def test_the_second_week_of_a_month_without_its_days_is_asked_back(text):
    reading = read_period(text, DEC)
    assert reading.period is None and reading.vague == "the week of the month"


@pytest.mark.parametrize("text, as_of, start, end", [
    ("三个月前的今天营收多少", DEC, "2011-09-09", "2011-09-09"),
    ("the top line three months ago today", DEC, "2011-09-09", "2011-09-09"),
    ("transactions on the last three days of Nov (28th-30th)", DEC, "2011-11-28", "2011-11-30"),
    ("11月最后三天", DEC, "2011-11-28", "2011-11-30"),
    ("7/15到8/15这段的ASP多少", DEC, "2011-07-15", "2011-08-15"),
    ("ASP for 7/15 - 8/15?", DEC, "2011-07-15", "2011-08-15"),
    ("15/7 - 15/8", DEC, "2011-07-15", "2011-08-15"),
    ("Mar-May: which month had the worst return rate?", DEC, "2011-03-01", "2011-05-31"),
    ("Nov-Jan", DEC, "2010-11-01", "2011-01-31"),
    ("7月以后卖的钱", DEC, "2011-07-01", "2011-12-09"),
    ("7月往后各买了多少钱", DEC, "2011-07-01", "2011-12-09"),
    ("How many orders did we have in December two years ago?", DEC, "2009-12-01", "2009-12-31"),
    ("今年第一个礼拜天卖了多少钱", DEC, "2011-01-02", "2011-01-02"),
    ("What were sales on the first Sunday of 2011?", DEC, "2011-01-02", "2011-01-02"),
    ("the last Friday of November", DEC, "2011-11-25", "2011-11-25"),
    ("十一月最后一个周五卖了多少", DEC, "2011-11-25", "2011-11-25"),
    ("上个月最后一个周六的订单", DEC, "2011-11-26", "2011-11-26"),
    ("10月第二个周一的订单数", DEC, "2011-10-10", "2011-10-10"),
    ("orders on the third Saturday of last month", DEC, "2011-11-19", "2011-11-19"),
    ("今年不算12月卖了多少", DEC, "2011-01-01", "2011-11-30"),
    ("去年端午节卖了多少", DEC, "2010-06-16", "2010-06-16"),
    ("Mid-Autumn Festival orders", DEC, "2011-09-12", "2011-09-12"),
    ("2011年元宵节", DEC, "2011-02-17", "2011-02-17"),
    ("除夕那天", DEC, "2011-02-02", "2011-02-02"),
    ("sales on Lunar New Year's Day 2010", DEC, "2010-02-14", "2010-02-14"),
    ("春节那一周每天的订单", DEC, "2011-01-31", "2011-02-06"),
    ("lantern festival week", DEC, "2011-02-14", "2011-02-20"),
    ("妇女节的客单价", DEC, "2011-03-08", "2011-03-08"),
    ("orders on St. Patrick's Day", DEC, "2011-03-17", "2011-03-17"),
    ("guy fawkes night takings", DEC, "2011-11-05", "2011-11-05"),
    ("last year's Mid-Autumn Festival", DEC, "2010-09-22", "2010-09-22"),
    ("上上上周的订单", DEC, "2011-11-14", "2011-11-20"),
    ("上周三周四两天的件数", DEC, "2011-11-30", "2011-12-01"),
    ("Tue, Wed and Thu last week", DEC, "2011-11-29", "2011-12-01"),
    ("refunds QTD", DEC, "2011-10-01", "2011-12-09"),
    ("sales this year excluding December", DEC, "2011-01-01", "2011-11-30"),
    ("this quarter, leaving October out", DEC, "2011-11-01", "2011-12-09"),
    ("下半年7月份先不算，订单数多少", DEC, "2011-08-01", "2011-12-31"),
    ("十一月头5个工作日", dt.date(2011, 1, 20), "2010-11-01", "2010-11-05"),
    ("黑五卖了多少", dt.date(2011, 1, 20), "2010-11-26", "2010-11-26"),
    ("上上季度", dt.date(2011, 1, 20), "2010-07-01", "2010-09-30"),
    ("Which week of Novmber shipped the most?", DEC, "2011-11-01", "2011-11-30"),
    ("sales in Septmber", DEC, "2011-09-01", "2011-09-30"),
    ("周一下单的客户", DEC, "2011-12-05", "2011-12-05"),
    # a day to today: "以来", "起", "since"
    ("这周一以来的订单", DEC, "2011-12-05", "2011-12-09"),
    ("自上周五以来", DEC, "2011-12-02", "2011-12-09"),
    ("从上周五起卖了多少", DEC, "2011-12-02", "2011-12-09"),
    ("orders since Monday", DEC, "2011-12-05", "2011-12-09"),
    ("since Black Friday", DEC, "2011-11-25", "2011-12-09"),
    ("上周五开始的那一单", DEC, "2011-12-02", "2011-12-02"),
])
def test_months_ago_month_ends_dates_written_with_slashes_and_typed_months(text, as_of, start,
                                                                          end):
    assert _span(text, as_of) == (start, end)


@pytest.mark.parametrize("text, start, end, before", [
    ("这周三下单的客户数 vs 上周三", "2011-12-07", "2011-12-07", ("2011-11-30", "2011-11-30")),
    ("Customers who ordered this Wed vs last Wed?", "2011-12-07", "2011-12-07",
     ("2011-11-30", "2011-11-30")),
    ("9月后半段（16号到30号）的单子比前半段多了多少", "2011-09-16", "2011-09-30",
     ("2011-09-01", "2011-09-15")),
    ("Babushka sales since July vs Jan-Jun?", "2011-07-01", "2011-12-09",
     ("2011-01-01", "2011-06-30")),
    # a day joined to today, then set against the same days a week or two before
    ("这周一到今天的单量，跟上周同期比怎么样", "2011-12-05", "2011-12-09", ("2011-11-28", "2011-12-02")),
    ("这周一到今天的单量，跟两周前同样的周一到周五比怎么样", "2011-12-05", "2011-12-09",
     ("2011-11-21", "2011-11-25")),
    ("Orders Mon-Fri this week vs the same five days two weeks ago?", "2011-12-05", "2011-12-09",
     ("2011-11-21", "2011-11-25")),
    ("since Monday vs the same days last week", "2011-12-05", "2011-12-09",
     ("2011-11-28", "2011-12-02")),
    ("从黑五到今天增长了多少", "2011-12-09", "2011-12-09", ("2011-11-25", "2011-11-25")),
])
def test_weekdays_halves_and_spans_compared(text, start, end, before):
    reading = read_period(text, DEC)
    assert (str(reading.period.start), str(reading.period.end)) == (start, end)
    assert (str(reading.compare.start), str(reading.compare.end)) == before


@pytest.mark.parametrize("text", ["上周营收里周一一天占了几成",
                                  "How much of last week's revenue came in on the Monday alone?"])
def test_a_bare_weekday_inside_last_week_is_last_weeks(text):
    days = {(str(p.start), str(p.end)) for p in read_period(text, DEC).periods}
    assert ("2011-11-28", "2011-11-28") in days and ("2011-12-05", "2011-12-05") not in days


@pytest.mark.parametrize("text", ["今年秋天营收多少", "What was revenue this autumn?",
                                  "summer orders"])
def test_a_season_without_its_months_is_asked_back(text):
    reading = read_period(text, DEC)
    assert reading.period is None and reading.vague == "the season"


@pytest.mark.parametrize("text", ["Autumn (September to November) orders versus summer",
                                  "入秋以来的订单", "since the start of autumn",
                                  "members in November", "7/8到8/9"])
def test_seasons_with_months_typos_that_are_words_and_two_way_dates_stay_as_read(text):
    reading = read_period(text, DEC)
    assert reading.vague != "the season"
    if text.startswith("members"):
        assert (str(reading.period.start), str(reading.period.end)) == ("2011-11-01", "2011-11-30")
    if text.startswith("7/8"):  # 7 August or 8 July? both could be months: left unread
        assert reading.period is None


def test_ly_is_last_year_and_two_days_compared_stay_two_days():
    assert read_period("units MTD vs the same days LY", DEC).compare == "year"
    r = read_period("上周三和周四比，哪天卖得多", DEC)
    assert r.compare is not None and r.period.start == r.period.end


@pytest.mark.parametrize("text, as_of, start, end", [
    # whole Monday-to-Sunday weeks inside a month, and the last N whole weeks
    ("2024年1月第一个完整周的订单", MAR, "2024-01-01", "2024-01-07"),
    ("10月最后一个完整的星期卖了多少钱", DEC, "2011-10-24", "2011-10-30"),
    ("orders in the first full week of February 2024", MAR, "2024-02-05", "2024-02-11"),
    ("GMV in the final full week of September", DEC, "2011-09-19", "2011-09-25"),
    ("过去三个完整的周的销售额", MAR, "2024-02-19", "2024-03-10"),
    ("sales over the past two complete weeks", DEC, "2011-11-21", "2011-12-04"),
    # a part of this or last month
    ("上个月下半月的订单", MAR, "2024-02-16", "2024-02-29"),
    ("本月上旬卖了多少钱", MAR, "2024-03-01", "2024-03-10"),
    ("orders in the first half of this month", DEC, "2011-12-01", "2011-12-15"),
    ("units in the last ten days of last month", MAR, "2024-02-21", "2024-02-29"),
    # a year written with an apostrophe, an eve that is not the day after it, "since … began"
    ("sales in Feb '23", MAR, "2023-02-01", "2023-02-28"),
    ("orders on Lunar New Year's Eve 2024", MAR, "2024-02-09", "2024-02-09"),
    ("从1月份开始，一共多少订单", MAR, "2024-01-01", "2024-03-15"),
    ("orders on the Chinese Valentine's Day (10 Aug 2023)", MAR, "2023-08-10", "2023-08-10"),
])
def test_full_weeks_parts_of_this_month_and_written_years(text, as_of, start, end):
    assert _span(text, as_of) == (start, end)


@pytest.mark.parametrize("text, as_of, start, end", [
    ("本月前5天的销售额", MAR, "2024-03-01", "2024-03-05"),
    ("上个月头两天的订单", DEC, "2011-11-01", "2011-11-02"),
    ("orders in the first four days of last month", MAR, "2024-02-01", "2024-02-04"),
    ("GMV over the first 7 days of the month", DEC, "2011-12-01", "2011-12-07"),
])
def test_the_first_n_days_of_this_or_last_month(text, as_of, start, end):
    assert _span(text, as_of) == (start, end)


@pytest.mark.parametrize(("text", "said"), [
    ("上个月31号的订单", "上个月31号"), ("2月30号的订单", "2月30号"),
    ("orders on November 31", "november 31"), ("GMV on 2011-02-29", "2011-02-29")])
def test_a_day_its_month_lacks_is_said_not_dropped(text, said):
    # never read as the whole month around it
    assert read_period(text, DEC).no_such_day == said


@pytest.mark.parametrize("text", ["上个月1号到31号", "本月31号", "2012-02-29"])
def test_days_that_exist_or_run_to_a_months_end_are_read(text):
    assert read_period(text, DEC).no_such_day is None
