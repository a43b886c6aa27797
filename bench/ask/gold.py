"""Gold answers for the ask-your-data question set, computed with pandas straight from the raw files.

    .venv/bin/python bench/ask/gold.py            # writes bench/ask/gold.json
    .venv/bin/python bench/ask/gold.py --check    # also fails if gold.json would change

This script reads only the two shipped demo files (no warehouse, no shopkeeper module):

- ``src/shopkeeper/store/demo_data/online_retail_I.parquet``: the sales lines;
- ``src/shopkeeper/store/demo_data/online_retail_I_cancellations.parquet``: ``C`` invoices
  (cancellation notes, which are refunds) and negative stock adjustments (not refunds: the
  ingestion quarantines them because an order line's quantity must be more than 0).

It applies the documented rules (docs/metrics.md, docs/presets.md, docs/ingest.md, the
``uci_online_retail`` preset) itself:

- a line repeating a line of an earlier run of the same invoice's rows (whole row equal) is a
  duplicate and does not count (docs/ingest.md, "Repeated lines"); two equal lines within one
  run are two real lines;
- an order is a *sale* when its value Σ quantity × unit price is not zero; only sales count in
  GMV, orders, units, customers, new/repeat customers;
- GMV = Σ quantity × unit price over the lines of sales; the demo has no discounts;
- refunds = Σ −quantity × unit price over ``C``-invoice lines, dated on the ``C`` invoice's date;
  net revenue = GMV − refunds; refund rate = refunds / GMV;
- a CustomerID of 0 (or blank) is a guest: never a customer;
- a customer's first sale ever (earliest InvoiceDate among their sales, then the smallest
  invoice) makes them *new* in the period and group holding it; returning = customers − new;
- repeat-purchase rate = customers with ≥ 2 orders in the period / customers in the period;
- spend per customer = GMV of customers' orders / customers, and orders per customer =
  customers' orders / customers (guest orders are left out of both sides: batch 7);
- dates are InvoiceDate's calendar date (Europe/London local time); weeks start on Monday;
- a product is a StockCode; its name is its Description (word filters match the line's
  Description, case-insensitively).

The question set and the reading of each question: bench/ask/questions.yaml and README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DATA = ROOT / "src" / "shopkeeper" / "store" / "demo_data"
SALES_FILE = DATA / "online_retail_I.parquet"
CANCEL_FILE = DATA / "online_retail_I_cancellations.parquet"
OUT = HERE / "gold.json"

TODAY = dt.date(2011, 12, 9)
D = dt.date.fromisoformat

# ------------------------------------------------------------------------------------ periods
LAST_MONTH = (D("2011-11-01"), D("2011-11-30"))
MTD = (D("2011-12-01"), TODAY)
YTD = (D("2011-01-01"), TODAY)
H1 = (D("2011-01-01"), D("2011-06-30"))
H2TD = (D("2011-07-01"), TODAY)
Q1 = (D("2011-01-01"), D("2011-03-31"))
Q2 = (D("2011-04-01"), D("2011-06-30"))
Q3 = (D("2011-07-01"), D("2011-09-30"))
L30 = (D("2011-11-10"), TODAY)
P30 = (D("2011-10-11"), D("2011-11-09"))
L7 = (D("2011-12-03"), TODAY)
P7 = (D("2011-11-26"), D("2011-12-02"))
LAST_WEEK = (D("2011-11-28"), D("2011-12-04"))
WEEK_BEFORE = (D("2011-11-21"), D("2011-11-27"))
YESTERDAY = (D("2011-12-08"), D("2011-12-08"))
TODAY_P = (TODAY, TODAY)
DEC10_1_9 = (D("2010-12-01"), D("2010-12-09"))
NOV11_1_9 = (D("2011-11-01"), D("2011-11-09"))


def month(y: int, m: int) -> tuple[dt.date, dt.date]:
    start = dt.date(y, m, 1)
    end = (pd.Timestamp(start) + pd.offsets.MonthEnd(0)).date()
    return start, end


def iso_week(y: int, w: int) -> tuple[dt.date, dt.date]:
    start = dt.date.fromisocalendar(y, w, 1)
    return start, start + dt.timedelta(days=6)


assert iso_week(2011, 40) == (D("2011-10-03"), D("2011-10-09"))
assert iso_week(2011, 48) == LAST_WEEK and iso_week(2011, 49)[0] <= TODAY <= iso_week(2011, 49)[1]
assert L30[1] - L30[0] == dt.timedelta(days=29) and P30[1] == L30[0] - dt.timedelta(days=1)
assert P30[1] - P30[0] == dt.timedelta(days=29)
assert L7[1] - L7[0] == dt.timedelta(days=6) and P7[1] == L7[0] - dt.timedelta(days=1)

# periods that only batch 2 (q201..q260, split tune2) uses
L14 = (D("2011-11-26"), TODAY)                        # 过去14天 / the past 14 days
L90 = (D("2011-09-11"), TODAY)                        # 最近90天 / the last 90 days
P90 = (D("2011-06-13"), D("2011-09-10"))              # the 90 days before
THIS_WEEK = (D("2011-12-05"), TODAY)                  # 本周至今 / this week so far (Mon..Fri)
LAST_WEEK_SAME_DAYS = (D("2011-11-28"), D("2011-12-02"))  # 上周同期 / the same days last week
SINCE_OCT1 = (D("2011-10-01"), TODAY)                 # 从10月1号到现在 / since 1 October
ALL_DATA = (D("2010-12-01"), TODAY)                   # 到现在为止 / all time
Q1_Q3 = (D("2011-01-01"), D("2011-09-30"))            # 前三个季度 / the first three quarters
NOV_1_10 = (D("2011-11-01"), D("2011-11-10"))         # 11月上旬 / the first ten days of November
NOV_1_15 = (D("2011-11-01"), D("2011-11-15"))         # 11月上半月 / the first half of November
OCT_1_15 = (D("2011-10-01"), D("2011-10-15"))         # 10月上半月 / the first half of October


def day(s: str) -> tuple[dt.date, dt.date]:
    return D(s), D(s)


assert L14[1] - L14[0] == dt.timedelta(days=13)
assert L90[1] - L90[0] == dt.timedelta(days=89) and P90[1] == L90[0] - dt.timedelta(days=1)
assert P90[1] - P90[0] == dt.timedelta(days=89)
assert THIS_WEEK[0] == iso_week(2011, 49)[0] and LAST_WEEK_SAME_DAYS[0] == LAST_WEEK[0]
assert (LAST_WEEK_SAME_DAYS[1] - LAST_WEEK_SAME_DAYS[0]) == (THIS_WEEK[1] - THIS_WEEK[0])

# periods that only batch 3 (q301..q360, split tune3) uses
PREV_FRIDAY = day("2011-12-02")                       # 上周五 / the previous Friday
THIS_MONDAY = day("2011-12-05")                       # 这周一 / this Monday
LAST_MONDAY = day("2011-11-28")                       # 上周一 / last Monday
SAME_DAY_LAST_YEAR = day("2010-12-09")                # 去年的今天 / the same day last year
THREE_DAYS_AGO = day("2011-12-06")                    # 大前天 / three days ago
NOV_11_20 = (D("2011-11-11"), D("2011-11-20"))        # 11月中旬 / the middle ten days of November
NOV_21_30 = (D("2011-11-21"), D("2011-11-30"))        # 11月下旬 / the last ten days of November
L60 = (D("2011-10-11"), TODAY)                        # 最近60天 / the last 60 days
SPRING = (D("2011-03-01"), D("2011-05-31"))           # 春天（3到5月）/ spring, March to May
SUMMER = (D("2011-06-01"), D("2011-08-31"))           # 夏天（6到8月）/ summer, June to August
VALENTINES = day("2011-02-14")                        # 2011年情人节 / Valentine's Day 2011
JAN_2012 = (D("2012-01-01"), D("2012-01-31"))         # 2012年1月: after the data

assert TODAY.weekday() == PREV_FRIDAY[0].weekday() == 4
assert TODAY - PREV_FRIDAY[0] == dt.timedelta(days=7)
assert THIS_MONDAY[0] == THIS_WEEK[0] and LAST_MONDAY[0] == LAST_WEEK[0]
assert THREE_DAYS_AGO[0] == TODAY - dt.timedelta(days=3)
assert SAME_DAY_LAST_YEAR[0] == TODAY.replace(year=2010)
assert L60[1] - L60[0] == dt.timedelta(days=59)
assert iso_week(2011, 47) == WEEK_BEFORE  # 上上周 / the week before last

# periods that only batch 4 (q401..q460, split tune4) uses
LAST_WEEKEND = (D("2011-12-03"), D("2011-12-04"))    # 上周末 / last weekend (Sat + Sun)
LAST_SATURDAY = day("2011-12-03")                     # 上周六 / last Saturday (no sales at all)
BLACK_FRIDAY = day("2011-11-25")                      # 黑五 / Black Friday 2011
CYBER_MONDAY = day("2011-11-28")                      # 网络星期一 / Cyber Monday 2011
BLACK_FRIDAY_WEEK = iso_week(2011, 47)                # 黑五所在那一周 / Black Friday week (Mon..Sun)
Q4_TD = (D("2011-10-01"), TODAY)                      # 四季度到目前为止 / Q4 so far
MAY_16_31 = (D("2011-05-16"), D("2011-05-31"))        # 5月下半月 / the second half of May
MON_TO_WED = (D("2011-12-05"), D("2011-12-07"))       # 这周一到周三 / Monday to Wednesday this week
OCT_1_10 = (D("2011-10-01"), D("2011-10-10"))         # 10月头十天 / the first ten days of October
SEP_1_10 = (D("2011-09-01"), D("2011-09-10"))         # 9月头十天 / the first ten days of September
MAR_TO_MAY = (D("2011-03-01"), D("2011-05-31"))       # 3月、4月、5月 / March, April and May
OCT_1_7_2010 = (D("2010-10-01"), D("2010-10-07"))     # 去年10月1号到7号: before the data

assert LAST_SATURDAY[0] == LAST_WEEKEND[0] and LAST_WEEKEND[0].weekday() == 5
assert LAST_WEEKEND[1] == LAST_WEEK[1] and LAST_WEEKEND[0] == LAST_WEEK[1] - dt.timedelta(days=1)
assert BLACK_FRIDAY[0].weekday() == 4 and CYBER_MONDAY[0] == BLACK_FRIDAY[0] + dt.timedelta(days=3)
assert BLACK_FRIDAY_WEEK[0] <= BLACK_FRIDAY[0] <= BLACK_FRIDAY_WEEK[1]
assert BLACK_FRIDAY_WEEK == WEEK_BEFORE
assert Q4_TD == SINCE_OCT1 and MON_TO_WED[0] == THIS_WEEK[0] and MON_TO_WED[1].weekday() == 2
assert MAR_TO_MAY == SPRING

# periods that only batch 5 (q501..q560, split tune5) uses
AUG_16_31 = (D("2011-08-16"), D("2011-08-31"))        # 8月下半月 / the second half of August
AUG_1_15 = (D("2011-08-01"), D("2011-08-15"))         # 8月上半月 / the first half of August
NOV_16_30 = (D("2011-11-16"), D("2011-11-30"))        # 11月下半月 / the second half of November
GOLDEN_WEEK = (D("2011-10-01"), D("2011-10-07"))      # 国庆七天假期 / Golden Week, 1-7 October
PRE_GOLDEN_WEEK = (D("2011-09-24"), D("2011-09-30"))  # the seven days before it
SINGLES_DAY_WEEK = iso_week(2011, 45)                 # 11月7号到13号（双十一那一周）
SINGLES_DAY_WEEK_BEFORE = iso_week(2011, 44)          # 10月31号到11月6号 / the week before
FORTNIGHT = (D("2011-11-26"), TODAY)                  # 最近两个星期（14天）/ the past fortnight
FORTNIGHT_BEFORE_LAST = (D("2011-11-12"), D("2011-11-25"))  # the fortnight before last
SINCE_AUTUMN = (D("2011-09-01"), TODAY)               # 入秋以来（9月1号起）/ since autumn began
THANKSGIVING = day("2011-11-24")                      # 感恩节 / Thanksgiving 2011
HALLOWEEN = day("2011-10-31")                         # 万圣节 / Halloween
SAME_DAY_LAST_WEEK = day("2011-12-01")                # 上周同一天 (as yesterday, 2011-12-08)
BLACK_FRIDAY_2010 = day("2010-11-26")                 # 去年黑五: before the data
EASTER_WEEKEND = (D("2011-04-22"), D("2011-04-25"))   # 复活节长周末 / Good Friday..Easter Monday
AUGUST_BANK_HOLIDAY = day("2011-08-29")               # 8月银行假日 / the summer bank holiday

assert FORTNIGHT == L14 and FORTNIGHT_BEFORE_LAST[1] == FORTNIGHT[0] - dt.timedelta(days=1)
assert FORTNIGHT_BEFORE_LAST[1] - FORTNIGHT_BEFORE_LAST[0] == dt.timedelta(days=13)
assert PRE_GOLDEN_WEEK[1] == GOLDEN_WEEK[0] - dt.timedelta(days=1)
assert PRE_GOLDEN_WEEK[1] - PRE_GOLDEN_WEEK[0] == GOLDEN_WEEK[1] - GOLDEN_WEEK[0]
assert SINGLES_DAY_WEEK[0] <= D("2011-11-11") <= SINGLES_DAY_WEEK[1]
assert SINGLES_DAY_WEEK_BEFORE[1] == SINGLES_DAY_WEEK[0] - dt.timedelta(days=1)
assert THANKSGIVING[0] == BLACK_FRIDAY[0] - dt.timedelta(days=1)
assert THANKSGIVING[0].weekday() == 3
assert BLACK_FRIDAY_2010[0].weekday() == 4 and HALLOWEEN[0].weekday() == 0
assert SAME_DAY_LAST_WEEK[0] == YESTERDAY[0] - dt.timedelta(days=7)
assert EASTER_WEEKEND[0].weekday() == 4 and AUGUST_BANK_HOLIDAY[0].weekday() == 0

# periods that only batch 6 (q601..q660, split tune6) uses
MTD_TO_YESTERDAY = (D("2011-12-01"), D("2011-12-08"))  # 这个月截至昨天 / this month up to yesterday
NOV_1_8 = (D("2011-11-01"), D("2011-11-08"))          # 上个月这个时候 / this point last month
JAN_FEB = (D("2011-01-01"), D("2011-02-28"))          # 今年头两个月 / January and February
JAN_TO_NOV = (D("2011-01-01"), D("2011-11-30"))       # 今年前11个月 / the first eleven months
QTD = (D("2011-10-01"), TODAY)                        # 这个季度到现在 / quarter to date
SAME_POINT_LAST_QUARTER = (D("2011-07-01"), D("2011-09-09"))  # 上个季度同一时间点（7月1号到9月9号）
L21 = (D("2011-11-19"), TODAY)                        # 近三周（21天）/ the last three weeks
P21 = (D("2011-10-29"), D("2011-11-18"))              # the three weeks before that
DEC_1_7 = (D("2011-12-01"), D("2011-12-07"))          # 12月第一周（1号到7号）
NOV_1_7 = (D("2011-11-01"), D("2011-11-07"))          # 11月第一周（1号到7号）
OCT_25_31 = (D("2011-10-25"), D("2011-10-31"))        # 10月最后一周（25号到31号）
A_MONTH_AGO = day("2011-11-09")                       # 一个月前的今天 / a month ago today
LAST_TUESDAY = day("2011-11-29")                      # 上周二 / Tuesday last week
THIS_TUESDAY = day("2011-12-06")                      # 这周二 / this Tuesday
FIRST_TRADING_DAY = day("2011-01-04")                 # 今年开门做生意的第一天 / first trading day
ROYAL_WEDDING = day("2011-04-29")                     # 威廉王子大婚 / the royal wedding bank holiday
SPRING_BANK_HOLIDAY = day("2011-05-30")               # 5月底银行假日 / the late May bank holiday
BOXING_DAY_2010 = day("2010-12-26")                   # 去年节礼日 / Boxing Day last year
# also: 上上个季度 / the quarter before last = Q2; 去年同月 = 2010-12 (the whole month);
# 上个月的星期一 / 11月、10月的星期天: a weekday filter on the month

assert QTD == Q4_TD and SAME_POINT_LAST_QUARTER[0] == Q3[0]
assert SAME_POINT_LAST_QUARTER[1].day == TODAY.day and SAME_POINT_LAST_QUARTER[1].month == 9
assert NOV_1_8[1] == MTD_TO_YESTERDAY[1].replace(month=11) and MTD_TO_YESTERDAY[1] == YESTERDAY[0]
assert L21[1] - L21[0] == dt.timedelta(days=20) and P21[1] == L21[0] - dt.timedelta(days=1)
assert P21[1] - P21[0] == dt.timedelta(days=20)
assert A_MONTH_AGO[0] == (pd.Timestamp(TODAY) - pd.DateOffset(months=1)).date()
assert LAST_TUESDAY[0].weekday() == THIS_TUESDAY[0].weekday() == 1
assert LAST_WEEK[0] <= LAST_TUESDAY[0] <= LAST_WEEK[1] and THIS_WEEK[0] <= THIS_TUESDAY[0]
assert FIRST_TRADING_DAY[0].weekday() == 1 and ROYAL_WEDDING[0].weekday() == 4
assert SPRING_BANK_HOLIDAY[0].weekday() == 0 and BOXING_DAY_2010[0].weekday() == 6

# periods that only batch 7 (q701..q760, split tune7) uses
L28 = (D("2011-11-12"), TODAY)                        # 近四周（28天）/ the past 4 weeks
P28 = (D("2011-10-15"), D("2011-11-11"))              # the 4 weeks before that
DEC_1_5 = (D("2011-12-01"), D("2011-12-05"))          # 截至5号（这个月）/ as of the 5th
NOV_1_5 = (D("2011-11-01"), D("2011-11-05"))          # 上个月截至5号 / last month at the same point
FORTNIGHT_TO_NOV20 = (D("2011-11-07"), D("2011-11-20"))  # 11月20号之前那两个礼拜 / fortnight ending 20 Nov
FORTNIGHT_BEFORE_NOV7 = (D("2011-10-24"), D("2011-11-06"))  # the fortnight before that
OCT_11_20 = (D("2011-10-11"), D("2011-10-20"))        # 10月中旬 / mid-October (11th to 20th)
SEP_11_20 = (D("2011-09-11"), D("2011-09-20"))        # 9月中旬 / the same ten days of September
NOV_3 = day("2011-11-03")                             # 2011.11.3 / Nov 3rd / the 3rd of November
OCT_3 = day("2011-10-03")                             # 10月3号 / the 3rd of October
OCT_5 = day("2011-10-05")                             # 2011.10.5 / Oct 5th
DOUBLE_12_2010 = day("2010-12-12")                    # 去年双十二 / 12 December last year
XMAS_RUNUP_2010 = (D("2010-12-11"), D("2010-12-24"))  # 去年圣诞前两周（12月11号到24号）
EARLY_MAY_BANK_HOLIDAY = day("2011-05-02")            # 五一银行假日 / the early May bank holiday
NEW_YEARS_EVE_2010 = day("2010-12-31")                # 去年跨年那天 / New Year's Eve last year
NEW_YEAR_BANK_HOLIDAY = day("2011-01-03")             # 元旦补休 / the New Year bank holiday
# also: 上个礼拜 / last wk = LAST_WEEK; 这礼拜 / this week = THIS_WEEK; 下半年以来 / the back half
# of the year = H2TD; 上个月的礼拜天 vs 工作日（周一到周五）, 今年每个月的礼拜天: weekday filters

assert L28[1] - L28[0] == dt.timedelta(days=27) and P28[1] == L28[0] - dt.timedelta(days=1)
assert P28[1] - P28[0] == dt.timedelta(days=27)
assert FORTNIGHT_TO_NOV20[1] - FORTNIGHT_TO_NOV20[0] == dt.timedelta(days=13)
assert FORTNIGHT_BEFORE_NOV7[1] == FORTNIGHT_TO_NOV20[0] - dt.timedelta(days=1)
assert FORTNIGHT_BEFORE_NOV7[1] - FORTNIGHT_BEFORE_NOV7[0] == dt.timedelta(days=13)
assert DEC_1_5[1].day == NOV_1_5[1].day == 5 and XMAS_RUNUP_2010[1] - XMAS_RUNUP_2010[0] == \
    dt.timedelta(days=13) and XMAS_RUNUP_2010[1] == D("2010-12-25") - dt.timedelta(days=1)
assert DOUBLE_12_2010[0].weekday() == 6 and NOV_3[0].weekday() == 3
assert EARLY_MAY_BANK_HOLIDAY[0].weekday() == 0 and NEW_YEAR_BANK_HOLIDAY[0].weekday() == 0
assert NEW_YEARS_EVE_2010[0].weekday() == 4

# periods that only batch 8 (q761..q820, split tune8) uses
FATHERS_DAY = day("2011-06-19")                       # 今年父亲节 / Father's Day this year (Sunday)
L45 = (D("2011-10-26"), TODAY)                        # 最近45天 / the last 45 days
JAN_TO_OCT = (D("2011-01-01"), D("2011-10-31"))       # 今年1月到10月底 / Jan through Oct
WEEK_24 = iso_week(2011, 24)                          # 第24周 / wk 24: 2011-06-13..06-19
LAST_WORKING_DAY_NOV = day("2011-11-30")              # 上个月最后一个工作日 / last month's final working day
YESTERDAY_AND_TODAY = (D("2011-12-08"), TODAY)        # 昨天加今天 / yesterday plus today
SEP_21_30 = (D("2011-09-21"), D("2011-09-30"))        # 9月下旬 / late September (21st to 30th)
YESTERDAY_A_YEAR_AGO = day("2010-12-08")              # 去年12月8号 / a year before yesterday
JUN_1_15 = (D("2011-06-01"), D("2011-06-15"))         # 6月前半个月 / 1-15 June
MAY_1_15 = (D("2011-05-01"), D("2011-05-15"))         # 5月前半个月 / 1-15 May
WEEK_36 = iso_week(2011, 36)                          # 第36周 / wk 36: 2011-09-05..09-11
WEEK_35 = iso_week(2011, 35)                          # 第35周 / wk 35: 2011-08-29..09-04
WEEKS_41_45 = (iso_week(2011, 41)[0], iso_week(2011, 45)[1])  # 第41到45周: 2011-10-10..11-13
XMAS_GAP_2010 = (D("2010-12-27"), D("2010-12-31"))    # 去年圣诞到元旦之间的工作日 (empty)
CHRISTMAS_DAY = day("2010-12-25")                     # 圣诞节那天: 2010-12-25 (a Saturday) or
                                                      # 2011-12-25 (after the data); both empty
NOV_2010 = month(2010, 11)                            # 去年11月 / November last year: before the data
# also: 11月上半个月 / 下半个月 = NOV_1_15 / NOV_16_30; 上个月的礼拜六 / Saturdays last month:
# a weekday filter on November (no Saturday has a sale: q820)

assert FATHERS_DAY[0].weekday() == 6 and FATHERS_DAY[0].day in range(15, 22)  # third Sunday
assert L45[1] - L45[0] == dt.timedelta(days=44) and JAN_TO_OCT[1] == month(2011, 10)[1]
assert LAST_WORKING_DAY_NOV[0].weekday() == 2 and LAST_WORKING_DAY_NOV[0] == LAST_MONTH[1]
assert YESTERDAY_A_YEAR_AGO[0] == YESTERDAY[0].replace(year=2010)
assert WEEK_24[0] <= FATHERS_DAY[0] == WEEK_24[1] and WEEK_35[1] + dt.timedelta(days=1) == WEEK_36[0]
assert WEEKS_41_45[0] == D("2011-10-10") and WEEKS_41_45[1] == D("2011-11-13")
assert CHRISTMAS_DAY[0].weekday() == 5 and D("2011-12-25") > TODAY


# periods that only batch 9 (q821..q880, split tune9) uses
CLOSING_MONTH_LQ = month(2011, 9)                     # 上个季度末那个月 / the closing month of last quarter
OPENING_MONTH_LQ = month(2011, 7)                     # 上个季度的第一个月 / its first month
OCT_1_14 = (D("2011-10-01"), D("2011-10-14"))         # 10月头两周（1号到14号）/ the first fortnight of October
SEP_1_14 = (D("2011-09-01"), D("2011-09-14"))         # 9月前两周（1号到14号）/ the first fortnight of September
WEEKEND_BEFORE_LAST = (D("2011-11-26"), D("2011-11-27"))  # 上上个周末 / the weekend before last
L10 = (D("2011-11-30"), TODAY)                        # 最近十天 / the last 10 days
MAR_1_15 = (D("2011-03-01"), D("2011-03-15"))         # 3月1号到15号 / 1 to 15 March
WEEK_46 = iso_week(2011, 46)                          # 第46周 / wk 46: 2011-11-14..11-20
SEP_TO_NOV = (D("2011-09-01"), D("2011-11-30"))       # 截至11月底的三个月 / the three months to end-Nov
JUN_TO_AUG = (D("2011-06-01"), D("2011-08-31"))       # 之前三个月（6到8月）/ the three months before
DEC_1_7_2010 = (D("2010-12-01"), D("2010-12-07"))     # 12月1号到7号的去年同期 / 1-7 Dec a year earlier
LAST_SUNDAY = day("2011-12-04")                       # 上个礼拜天 / last Sunday
SUNDAY_BEFORE = day("2011-11-27")                     # 再前一个礼拜天 / the Sunday before
WEEKS_12_15 = (iso_week(2011, 12)[0], iso_week(2011, 15)[1])  # 第12到15周: 2011-03-21..04-17
SINGLES_DAY_2010 = day("2010-11-11")                  # 去年双十一 / Singles' Day last year: before the data
CHRISTMAS_EVE = day("2010-12-24")                     # 平安夜: 2010-12-24 (in the Christmas break) or
                                                      # 2011-12-24 (after the data); both empty
# also: 年初到11月底 / start of the year to end-November = JAN_TO_NOV; 12月1号到7号 = DEC_1_7;
# 上个月的礼拜一 / November's Mondays: a weekday filter; 下半年到现在 / since July = H2TD

assert CLOSING_MONTH_LQ[1] == Q3[1] and OPENING_MONTH_LQ[0] == Q3[0]
assert OCT_1_14[1] - OCT_1_14[0] == dt.timedelta(days=13) == SEP_1_14[1] - SEP_1_14[0]
assert (WEEK_BEFORE[1] - dt.timedelta(days=1), WEEK_BEFORE[1]) == WEEKEND_BEFORE_LAST
assert L10[1] - L10[0] == dt.timedelta(days=9) and (D("2011-11-14"), D("2011-11-20")) == WEEK_46
assert SEP_TO_NOV[1] == LAST_MONTH[1] and JUN_TO_AUG[1] + dt.timedelta(days=1) == SEP_TO_NOV[0]
assert (DEC_1_7[0].replace(year=2010), DEC_1_7[1].replace(year=2010)) == DEC_1_7_2010
assert LAST_SUNDAY[0] == LAST_WEEK[1] and SUNDAY_BEFORE[0] == WEEK_BEFORE[1]
assert LAST_SUNDAY[0].weekday() == SUNDAY_BEFORE[0].weekday() == 6
assert (D("2011-03-21"), D("2011-04-17")) == WEEKS_12_15
assert CHRISTMAS_EVE[0].weekday() == 4 and D("2011-12-24") > TODAY

# periods that only batch 10 (q881..q940, split tune10) uses
THREE_MONTHS_AGO = day("2011-09-09")                  # 三个月前的今天 / three months ago today
L100 = (D("2011-09-01"), TODAY)                       # 最近100天 / the last 100 days
NOV_28_30 = (D("2011-11-28"), D("2011-11-30"))        # 11月最后三天 / the last three days of November
JUL15_AUG15 = (D("2011-07-15"), D("2011-08-15"))      # 7/15到8/15 / 7/15 - 8/15
LAST_THURSDAY = day("2011-12-01")                     # 上周四 / Thursday last week
JAN_10_16 = (D("2011-01-10"), D("2011-01-16"))        # 1月10号到16号那个礼拜 / the week of 10-16 January
WEEK_47 = iso_week(2011, 47)                          # 第47周 / wk 47: 2011-11-21..11-27 (WoW: wk 46)
THIS_WEDNESDAY = day("2011-12-07")                    # 这周三 / this Wed
LAST_WEDNESDAY = day("2011-11-30")                    # 上周三 / last Wed
SEP_16_30 = (D("2011-09-16"), D("2011-09-30"))        # 9月后半段（16号到30号）/ 16-30 September
SEP_1_15 = (D("2011-09-01"), D("2011-09-15"))         # 9月前半段（1号到15号）/ 1-15 September
WEEKS_37_40 = (iso_week(2011, 37)[0], iso_week(2011, 40)[1])  # 第37到40周: 2011-09-12..10-09
DEC_2009 = month(2009, 12)                            # 前年12月 / December 2009: before the data
FIRST_SUNDAY_2011 = day("2011-01-02")                 # 今年第一个礼拜天 / the first Sunday of the year
# also: 这个月前5个工作日 / the first 5 working days of this month = DEC_1_7 with a Monday-to-Friday
# filter (1, 2, 5, 6, 7 December); 7月以后 / since 1 July = H2TD; 3到5月 = MAR_TO_MAY; 今年（12月
# 不算）/ this year leaving December out = JAN_TO_NOV; 10月 = month(2011, 10) (trading days)

assert THREE_MONTHS_AGO[0] == (pd.Timestamp(TODAY) - pd.DateOffset(months=3)).date()
assert L100[1] - L100[0] == dt.timedelta(days=99) and L100 == SINCE_AUTUMN
assert NOV_28_30[1] == LAST_MONTH[1] and NOV_28_30[1] - NOV_28_30[0] == dt.timedelta(days=2)
assert LAST_THURSDAY[0].weekday() == 3 and LAST_WEEK[0] <= LAST_THURSDAY[0] <= LAST_WEEK[1]
assert iso_week(2011, 2) == JAN_10_16 and WEEK_47 == WEEK_BEFORE
assert THIS_WEDNESDAY[0].weekday() == LAST_WEDNESDAY[0].weekday() == 2
assert THIS_WEDNESDAY[0] - LAST_WEDNESDAY[0] == dt.timedelta(days=7)
assert THIS_WEEK[0] <= THIS_WEDNESDAY[0]
assert SEP_1_15[1] + dt.timedelta(days=1) == SEP_16_30[0] and SEP_16_30[1] == month(2011, 9)[1]
assert (D("2011-09-12"), D("2011-10-09")) == WEEKS_37_40
assert FIRST_SUNDAY_2011[0].weekday() == 6 and FIRST_SUNDAY_2011[0].day <= 7

# periods that only batch 11 (q941..q1000, split tune11) uses
DRAGON_BOAT = day("2011-06-06")                       # 端午节 / the Dragon Boat Festival 2011
THIS_MON_TUE = (D("2011-12-05"), D("2011-12-06"))     # 这周一周二 / Monday and Tuesday this week
THREE_WEEKS_BACK = iso_week(2011, 46)                 # 上上上周 / three weeks back: 2011-11-14..11-20
APRIL_FOOLS = day("2011-04-01")                       # 愚人节 / April Fools' Day
OCT_22_31 = (D("2011-10-22"), D("2011-10-31"))        # 10月最后十天 / the last ten days of October
LAST_TRADING_DAY_2010 = day("2010-12-23")             # 去年最后一个营业日 / last trading day of 2010
WOMENS_DAY = day("2011-03-08")                        # 三八妇女节 / International Women's Day
MIDDLE_MONTH_LQ = month(2011, 8)                      # 上季度中间那个月 / the middle month of last quarter
LANTERN_FESTIVAL = day("2011-02-17")                  # 元宵节 / the Lantern Festival 2011
SPRING_FESTIVAL = day("2011-02-03")                   # 大年初一 / Chinese New Year's Day 2011
NOV_1_21 = (D("2011-11-01"), D("2011-11-21"))         # 11月前三周（1号到21号）/ 1-21 November
OCT_1_21 = (D("2011-10-01"), D("2011-10-21"))         # 10月同样这几天 / 1-21 October
L3 = (D("2011-12-07"), TODAY)                         # 近3天 / the last 3 days
P3 = (D("2011-12-04"), D("2011-12-06"))               # 再往前3天 / the 3 days before that
MID_AUTUMN = day("2011-09-12")                        # 中秋节 / the Mid-Autumn Festival 2011
CNY_WEEK = iso_week(2011, 5)                          # 春节那周（1/31到2/6）/ Chinese New Year week
ST_PATRICKS = day("2011-03-17")                       # 圣帕特里克节 / St Patrick's Day
BONFIRE_NIGHT = day("2011-11-05")                     # Bonfire Night (empty, a Saturday)
MID_AUTUMN_2010 = day("2010-09-22")                   # 去年中秋节 (empty): before the data
# also: 下半年以来 / 7月到现在 / since July = H2TD; Q3, Q2, H1; 上个月 / last month; 上周 / last week;
# 四季度到目前 / Q4 so far = Q4_TD; 这个季度到现在 / quarter to date = QTD; 到现在为止 = ALL_DATA;
# 去年12月 = month(2010, 12); 这个月到目前 vs 去年同期 = MTD vs DEC10_1_9

assert DRAGON_BOAT[0].weekday() == 0 and MID_AUTUMN[0].weekday() == 0
assert THIS_MON_TUE[0] == THIS_WEEK[0] and THIS_MON_TUE[1] - THIS_MON_TUE[0] == dt.timedelta(days=1)
assert THREE_WEEKS_BACK == WEEK_46 and THREE_WEEKS_BACK[1] + dt.timedelta(days=1) == WEEK_BEFORE[0]
assert OCT_22_31[1] == month(2011, 10)[1] and OCT_22_31[1] - OCT_22_31[0] == dt.timedelta(days=9)
assert MIDDLE_MONTH_LQ[0] > Q3[0] and MIDDLE_MONTH_LQ[1] < Q3[1]
assert (NOV_1_21[0].replace(month=10), NOV_1_21[1].replace(month=10)) == OCT_1_21
assert L3[1] - L3[0] == dt.timedelta(days=2) and P3[1] + dt.timedelta(days=1) == L3[0]
assert P3[1] - P3[0] == dt.timedelta(days=2)
assert (D("2011-01-31"), D("2011-02-06")) == CNY_WEEK
assert CNY_WEEK[0] <= SPRING_FESTIVAL[0] <= CNY_WEEK[1]
assert BONFIRE_NIGHT[0].weekday() == 5 and MID_AUTUMN_2010[0] < ALL_DATA[0]

# periods that only batch 12 (q1001..q1060, split tune12) uses
CNY_EVE = day("2011-02-02")                           # 除夕 / Chinese New Year's Eve 2011
QINGMING = day("2011-04-05")                          # 清明节 / Tomb-Sweeping Day 2011
FEB_TO_MAY = (D("2011-02-01"), D("2011-05-31"))       # 2月到5月 / February through May
LABA = day("2011-01-11")                              # 腊八节 / the Laba Festival 2011
DEC_1_3 = (D("2011-12-01"), D("2011-12-03"))          # 本月头三天 / the first 3 days of this month
FIRST_FULL_WEEK_AUG = iso_week(2011, 31)              # 8月第一个完整周 / first full week of Aug
LAST_FULL_WEEK_JUL = iso_week(2011, 30)               # 7月最后一个完整周 / last full week of Jul
LAST_4_FULL_WEEKS = (iso_week(2011, 45)[0], iso_week(2011, 48)[1])  # 最近四个完整的礼拜
JUL_TO_NOV = (D("2011-07-01"), D("2011-11-30"))       # 7月到11月之间 / between July and November
QIXI = day("2011-08-06")                              # 七夕 / Qixi 2011 (empty, a Saturday)
DEC_16_31 = (D("2011-12-16"), D("2011-12-31"))        # 这个月下半月 (empty): after the data
# also: 上礼拜五 / last Friday = PREV_FRIDAY; 11月 / 10月 = month(2011, 11) / month(2011, 10);
# 这个月到目前 vs 去年同期 = MTD vs DEC10_1_9; 这周到现在 vs 整个上周 = THIS_WEEK vs LAST_WEEK;
# 7月份开始 / since July = H2TD; 四季度到目前 = Q4_TD; 一季度 = Q1; 去年12月 = month(2010, 12);
# 上个月礼拜一 / 礼拜五, 周中（礼拜二到礼拜四）, 11月每个礼拜二, 礼拜天: weekday filters;
# ask back only: 小年 is 2011-01-26 (northern custom) or 2011-01-27 (southern)

assert CNY_EVE[0] == SPRING_FESTIVAL[0] - dt.timedelta(days=1) and QINGMING[0].weekday() == 1
assert FEB_TO_MAY[1] == month(2011, 5)[1] and LABA[0].weekday() == 1
assert DEC_1_3[0] == MTD[0] and DEC_1_3[1].weekday() == 5
assert (D("2011-08-01"), D("2011-08-07")) == FIRST_FULL_WEEK_AUG
assert (D("2011-07-25"), D("2011-07-31")) == LAST_FULL_WEEK_JUL
assert (D("2011-11-07"), LAST_WEEK[1]) == LAST_4_FULL_WEEKS and THIS_WEEK[0] > LAST_4_FULL_WEEKS[1]
assert QIXI[0].weekday() == 5 and DEC_16_31[0] > TODAY and PREV_FRIDAY[0].weekday() == 4

# periods that only batch 13 (q1061..q1120, split tune13) uses
FIRST_SUNDAY_NOV = day("2011-11-06")                  # 11月头一个礼拜天 / the first Sunday in November
OCT_1_9 = (D("2011-10-01"), D("2011-10-09"))          # 10月同样的头9天 / 1-9 October
OCT_16_31 = (D("2011-10-16"), D("2011-10-31"))        # 10月后半个月（16号到31号）/ 16-31 October
NOV_21_25 = (D("2011-11-21"), D("2011-11-25"))        # 两周前同样的周一到周五 / the same five days two weeks ago
BF_TO_TODAY = (D("2011-11-25"), TODAY)                # 从黑五到今天 / Black Friday through today
MAY_TO_AUG = (D("2011-05-01"), D("2011-08-31"))       # 5月到8月 / May to August, by month
JUN_TO_NOV = (D("2011-06-01"), D("2011-11-30"))       # 6月到11月 / June through November, by month
SINCE_23084_LAUNCH = (D("2011-05-10"), TODAY)         # 23084从开卖到现在 / since 23084 first sold
NEW_YEARS_DAY_2012 = day("2012-01-01")                # 2012年元旦 (empty): after the data
THANKSGIVING_2010 = day("2010-11-25")                 # 去年感恩节 (empty): before the data
# also: 11月后半个月 = NOV_16_30; 这周一到今天 = THIS_WEEK; 四季度到现在 = Q4_TD; 二季度 / 三季度 = Q2 / Q3;
# 上半年 = H1; 下半年以来 = H2TD; 9月 / 10月 / 11月 = month(2011, m); 去年12月 = month(2010, 12); 今年 = YTD;
# 10月的礼拜三 / 礼拜四, 10月每个礼拜三, 今年的礼拜天: weekday filters

assert FIRST_SUNDAY_NOV[0].weekday() == 6 and FIRST_SUNDAY_NOV[0].day <= 7
assert NOV_21_25[0] == THIS_WEEK[0] - dt.timedelta(days=14) and NOV_21_25[1].weekday() == 4
assert BF_TO_TODAY[0] == BLACK_FRIDAY[0] and (OCT_1_9[1] - OCT_1_9[0]) == (MTD[1] - MTD[0])
assert THANKSGIVING_2010[0].weekday() == 3 and NEW_YEARS_DAY_2012[0] > TODAY

# periods that only batch 14 (q1121..q1180, split tune14) uses
SEP_16_30 = (D("2011-09-16"), D("2011-09-30"))        # 9月下半月（16号到月底）/ the second half of September
L10 = (D("2011-11-30"), TODAY)                        # 最近10天 / the last 10 days
P10 = (D("2011-11-20"), D("2011-11-29"))              # 再往前10天 / the 10 days before
LAST_MON_TO_WED = (D("2011-11-28"), D("2011-11-30"))  # 上礼拜一到礼拜三 / Mon-Wed last week
JUL_11_20 = (D("2011-07-11"), D("2011-07-20"))        # 7月中旬 / mid-July (the 11th to the 20th)
AUG_1_14 = (D("2011-08-01"), D("2011-08-14"))         # 8月1号到14号 / 1-14 August
OCT20_NOV5 = (D("2011-10-20"), D("2011-11-05"))       # 10月20号到11月5号 / 20 Oct to 5 Nov
NOV_22 = day("2011-11-22")                            # 11月22号（礼拜二）/ Tuesday 22 November
NOV_15 = day("2011-11-15")                            # 再前一个礼拜二 / the Tuesday before
CHRISTMAS_2011 = day("2011-12-25")                    # 今年圣诞节 (empty): after the data
NOV_2010 = month(2010, 11)                            # 2010年11月 (empty): before the data
# also: 上礼拜 / 上上礼拜 = LAST_WEEK / WEEK_BEFORE; 二月份 = month(2011, 2); 三季度 / 二季度 = Q3 / Q2;
# 本月至今 vs 去年同期 = MTD vs DEC10_1_9; 四季度到现在 = Q4_TD; 上半年 = H1; 下半年以来 = H2TD; 今年 = YTD

assert L10[1] - L10[0] == dt.timedelta(days=9) and P10[1] == L10[0] - dt.timedelta(days=1)
assert P10[1] - P10[0] == dt.timedelta(days=9) and LAST_MON_TO_WED[0] == LAST_WEEK[0]
assert NOV_22[0].weekday() == NOV_15[0].weekday() == 1 and CHRISTMAS_2011[0] > TODAY
assert LAST_MON_TO_WED[1].weekday() == 2 and OCT20_NOV5[1].weekday() == 5

# periods that only batch 15 (q1181..q1240, split tune15) uses
TWO_MONTHS_AGO = day("2011-10-09")                    # 两个月前的今天 / two months ago today (a Sunday)
TG_TO_CYBER_MONDAY = (D("2011-11-24"), D("2011-11-28"))  # 感恩节到网络星期一 / Thanksgiving..Cyber Monday
SECOND_SUNDAY_NOV = day("2011-11-13")                 # 11月第二个礼拜天 / the second Sunday of November
THIS_MON_THU = (D("2011-12-05"), D("2011-12-08"))     # 这礼拜一到礼拜四 / Mon-Thu this week
LAST_MON_THU = (D("2011-11-28"), D("2011-12-01"))     # 上礼拜同样四天 / Mon-Thu last week
NATIONAL_DAY = day("2011-10-01")                      # 国庆节当天 (empty): a Saturday, no sales
DOUBLE_12_2011 = day("2011-12-12")                    # 今年双十二 (empty): after the data
HALLOWEEN_2010 = day("2010-10-31")                    # 去年万圣节 (empty): before the data
# also: 7到11月 = JUL_TO_NOV; 上上周 = WEEK_BEFORE; 四季度开始到现在 = Q4_TD; 12月 / 11月头5个工作日 =
# DEC_1_7 / NOV_1_7 with a Monday-to-Friday filter; 11月上半个月 = NOV_1_15; 10月下半个月 = OCT_16_31;
# 今年前三个季度 = Q1_Q3; 双十一那周 = SINGLES_DAY_WEEK; 下半年 = H2TD; 今天 / 这周到现在 = TODAY_P / THIS_WEEK;
# 11月每个礼拜五, 三季度的礼拜天 / 礼拜一, 今年的礼拜天: weekday filters;
# ask back only: 复活节那周 is 2011-04-18..04-24 (Holy Week) or 2011-04-25..05-01 (the week after
# Easter Sunday); 10月half term is 2011-10-24..10-28 in most of England, 2011-10-17..10-21 elsewhere

assert TWO_MONTHS_AGO[0] == (pd.Timestamp(TODAY) - pd.DateOffset(months=2)).date()
assert (THANKSGIVING[0], CYBER_MONDAY[0]) == TG_TO_CYBER_MONDAY
assert SECOND_SUNDAY_NOV[0].weekday() == 6
assert SECOND_SUNDAY_NOV[0] == FIRST_SUNDAY_NOV[0] + dt.timedelta(days=7)
assert THIS_MON_THU[0] == THIS_WEEK[0] and THIS_MON_THU[1].weekday() == 3
assert LAST_MON_THU[0] == LAST_WEEK[0] and LAST_MON_THU[1].weekday() == 3
assert NATIONAL_DAY[0].weekday() == 5 and DOUBLE_12_2011[0] > TODAY
assert HALLOWEEN_2010[0] < D("2010-12-01")

# ------------------------------------------------------------------------------------ loading
def _repeated_lines(df: pd.DataFrame, group: str) -> pd.Series:
    """True for rows that repeat an equal row of an earlier run of the same group's rows.

    A run is a stretch of consecutive rows (in file order) of one group. Within a run, equal
    rows are distinct real lines; the k-th equal row of a later run repeats the k-th of the
    first run that has one (docs/ingest.md, "Repeated lines").
    """
    g = df[group]
    run = (g != g.shift()).cumsum()
    ident = pd.util.hash_pandas_object(df.astype(str), index=False)
    nth = df.assign(_run=run, _id=ident).groupby([group, "_id", "_run"], sort=False).cumcount()
    first = df.assign(_id=ident, _nth=nth).groupby([group, "_id", "_nth"], sort=False).cumcount()
    return first > 0


def _customer(x: float) -> str | None:
    if pd.isna(x) or float(x) == 0:
        return None  # a guest
    return str(int(x))


def load() -> tuple[pd.DataFrame, pd.DataFrame, dict[str, int]]:
    """(sale lines, refunds, counts) as the documented ingestion and metrics read the files."""
    raw = pd.read_parquet(SALES_FILE)
    raw["InvoiceNo"] = raw["InvoiceNo"].astype(str)
    counts = {"sales_rows_read": len(raw)}
    lines = raw[~raw["InvoiceNo"].str.startswith("C")]
    bad = (lines["Quantity"] <= 0) | (lines["UnitPrice"] < 0)
    lines = lines[~bad]
    dup = _repeated_lines(lines, "InvoiceNo")
    counts["sales_rows_repeated"] = int(dup.sum())
    counts["sales_rows_invalid"] = int(bad.sum())
    lines = lines[~dup].copy()

    lines["ts"] = pd.to_datetime(lines["InvoiceDate"], format="%Y-%m-%d %H:%M:%S")
    lines["gross"] = lines["Quantity"].astype(float) * lines["UnitPrice"].astype(float)
    lines["cust"] = lines["CustomerID"].map(_customer)
    orders = lines.groupby("InvoiceNo").agg(
        ts=("ts", "min"), value=("gross", "sum"), cust=("cust", "first"),
        country=("Country", "first"))
    counts["invoices"] = len(orders)
    counts["zero_value_invoices"] = int((orders["value"] == 0).sum())
    sales = orders[orders["value"] != 0].copy()
    counts["sale_orders"] = len(sales)
    # a customer's first sale ever: the earliest, then the smallest invoice number
    known = sales[sales["cust"].notna()].reset_index().sort_values(["ts", "InvoiceNo"])
    first = known.groupby("cust")["InvoiceNo"].first()
    sales["first"] = sales.index.isin(set(first.values))
    sales["date"] = sales["ts"].dt.normalize()

    L = lines[lines["InvoiceNo"].isin(sales.index)].copy()
    L = L.join(sales[["date", "first"]].rename(columns={"first": "is_first"}), on="InvoiceNo")
    L["country"] = L["InvoiceNo"].map(sales["country"])
    L["cust"] = L["InvoiceNo"].map(sales["cust"])
    L = L.rename(columns={"InvoiceNo": "inv", "StockCode": "sku", "Description": "desc",
                          "Quantity": "qty"})
    L["desc"] = L["desc"].fillna("")
    L = L[["inv", "sku", "desc", "qty", "gross", "date", "cust", "country", "is_first"]]
    counts["sale_lines"] = len(L)

    # refunds: C invoices; other rows of the file (negative stock adjustments) are quarantined
    c = pd.read_parquet(CANCEL_FILE)
    c["InvoiceNo"] = c["InvoiceNo"].astype(str)
    counts["cancel_rows_read"] = len(c)
    cr = c[c["InvoiceNo"].str.startswith("C")]
    counts["adjustments_quarantined"] = len(c) - len(cr)
    dup = _repeated_lines(cr, "InvoiceNo")
    counts["refund_rows_repeated"] = int(dup.sum())
    cr = cr[~dup]
    R = pd.DataFrame({
        "inv": cr["InvoiceNo"],
        "sku": cr["StockCode"],
        "amount": -cr["Quantity"].astype(float) * cr["UnitPrice"].astype(float),
        "date": pd.to_datetime(cr["InvoiceDate"], format="%m/%d/%y %H:%M").dt.normalize(),
        "cust": cr["CustomerID"].map(_customer),
        "country": cr["Country"],
    })
    counts["refund_rows"] = len(R)
    return L, R, counts


L, R, COUNTS = load()
ALL_SKUS_NAME = (L.groupby(["sku", "desc"]).size().reset_index().sort_values(
    ["sku", 0, "desc"], ascending=[True, False, True]).groupby("sku")["desc"].first())


# ------------------------------------------------------------------------------------ slicing
def between(df: pd.DataFrame, p: tuple[dt.date, dt.date]) -> pd.DataFrame:
    return df[(df["date"] >= pd.Timestamp(p[0])) & (df["date"] <= pd.Timestamp(p[1]))]


def word(df: pd.DataFrame, w: str) -> pd.Series:
    return df["desc"].str.contains(w, case=False, regex=False, na=False)


def sl(p, where=None, refunds=False) -> pd.DataFrame:
    df = between(R if refunds else L, p)
    return df[where(df)] if where is not None else df


# ------------------------------------------------------------------------------------ metrics
def _div(a, b):
    return float(a) / float(b) if b else None


def m_gmv(df, _r=None):
    return float(df["gross"].sum())


def m_units(df, _r=None):
    return int(df["qty"].sum())


def m_orders(df, _r=None):
    return int(df["inv"].nunique())


def m_customers(df, _r=None):
    return int(df["cust"].dropna().nunique())


def m_new(df, _r=None):
    return int(df.loc[df["is_first"], "cust"].dropna().nunique())


def m_returning(df, _r=None):
    return m_customers(df) - m_new(df)


def m_repeat(df, _r=None):
    n = df.dropna(subset=["cust"]).groupby("cust")["inv"].nunique()
    return int((n >= 2).sum())


def m_aov(df, _r=None):
    return _div(m_gmv(df), m_orders(df))


def m_upo(df, _r=None):
    return _div(m_units(df), m_orders(df))


def m_aup(df, _r=None):
    return _div(m_gmv(df), m_units(df))


def m_rpr(df, _r=None):
    return _div(m_repeat(df), m_customers(df))


def m_spc(df, _r=None):
    """Spend per customer: the mean of each customer's GMV (guest orders left out)."""
    known = df.dropna(subset=["cust"])
    return _div(m_gmv(known), m_customers(known))


def m_opc(df, _r=None):
    """Orders per customer: the mean of each customer's orders (guest orders left out)."""
    known = df.dropna(subset=["cust"])
    return _div(m_orders(known), m_customers(known))


def m_refunds(_df, r):
    return float(r["amount"].sum())


def m_net(df, r):
    return m_gmv(df) - m_refunds(df, r)


def m_refund_rate(df, r):
    return _div(m_refunds(df, r), m_gmv(df))


METRIC = {  # name: (function, unit, additive)
    "gmv": (m_gmv, "money", True),
    "net_revenue": (m_net, "money", True),
    "refunds": (m_refunds, "money", True),
    "units": (m_units, "count", True),
    "orders": (m_orders, "count", True),
    "customers": (m_customers, "count", False),
    "new_customers": (m_new, "count", True),
    "returning_customers": (m_returning, "count", False),
    "repeat_customers": (m_repeat, "count", False),
    "aov": (m_aov, "money", False),
    "units_per_order": (m_upo, "number", False),
    "avg_unit_price": (m_aup, "money", False),
    "repeat_purchase_rate": (m_rpr, "ratio", False),
    "spend_per_customer": (m_spc, "money", False),      # batch 7
    "orders_per_customer": (m_opc, "number", False),    # batch 7
    "refund_rate": (m_refund_rate, "ratio", False),
    "share": (None, "ratio", False),
}


def calc(metric: str, p, where=None, rwhere=None):
    fn = METRIC[metric][0]
    return fn(sl(p, where), sl(p, rwhere, refunds=True))


def rnd(v, unit):
    if v is None:
        return None
    if unit == "count" and float(v).is_integer():
        return int(v)
    return round(float(v), 8 if unit == "ratio" else 6)


def grouped(metric: str, p, key: str, where=None) -> pd.Series:
    """metric by a key column of the sale lines (or the refunds for refund metrics)."""
    fn = METRIC[metric][0]
    lines, refunds = sl(p, where), sl(p, refunds=True)
    if metric == "refunds":
        r = refunds.dropna(subset=[key])
        return r.groupby(key)["amount"].sum().astype(float)
    if key == "cust":
        lines = lines.dropna(subset=["cust"])
    g = lines.groupby(key)
    fast = {
        "gmv": lambda: g["gross"].sum(),
        "units": lambda: g["qty"].sum(),
        "orders": lambda: g["inv"].nunique(),
        "customers": lambda: g["cust"].nunique(),
        "new_customers": lambda: lines[lines["is_first"]].groupby(key)["cust"].nunique()
        .reindex(g.size().index, fill_value=0),
        "aov": lambda: g["gross"].sum() / g["inv"].nunique(),
        "units_per_order": lambda: g["qty"].sum() / g["inv"].nunique(),
    }
    if metric in fast:
        return fast[metric]().astype(float)
    out = {}
    for k, g in lines.groupby(key, sort=True):
        rg = refunds[refunds[key] == k] if key in refunds else refunds.iloc[0:0]
        out[k] = fn(g, rg)
    return pd.Series(out, dtype=float)


# ------------------------------------------------------------------------------------ keys
def key_of(grain: str, ts: pd.Timestamp) -> str:
    if grain == "day":
        return ts.strftime("%Y-%m-%d")
    if grain == "week":
        return (ts - pd.Timedelta(days=ts.weekday())).strftime("%Y-%m-%d")
    if grain == "month":
        return ts.strftime("%Y-%m")
    if grain == "quarter":
        return f"{ts.year}-Q{(ts.month - 1) // 3 + 1}"
    raise ValueError(grain)


def with_grain(df: pd.DataFrame, grain: str) -> pd.DataFrame:
    df = df.copy()
    days = pd.Series(df["date"].unique())
    df[grain] = df["date"].map(dict(zip(days, days.map(lambda t: key_of(grain, t)), strict=True)))
    return df


def by_time(metric: str, p, grain: str, where=None) -> pd.Series:
    fn = METRIC[metric][0]
    lines = with_grain(sl(p, where), grain)
    refunds = with_grain(sl(p, refunds=True), grain)
    keys = sorted(set(lines[grain]) | (set(refunds[grain]) if metric in (
        "refunds", "net_revenue") else set()))
    return pd.Series({k: fn(lines[lines[grain] == k], refunds[refunds[grain] == k])
                      for k in keys}, dtype=float)


# ------------------------------------------------------------------------------------ gold items
def number(metric: str, p, where=None, rwhere=None, **extra) -> dict:
    unit = METRIC[metric][1]
    v = calc(metric, p, where, rwhere)
    if v is None or (METRIC[metric][2] and v == 0 and not len(sl(p, where))):
        raise AssertionError(f"{metric} {p}: no data for a number question")
    return {"kind": "number", "value": rnd(v, unit), "unit": unit, "metric": metric,
            "period": [str(p[0]), str(p[1])], **extra}


def compare(metric: str, cur, prev, where=None) -> dict:
    unit = METRIC[metric][1]
    v, pv = calc(metric, cur, where), calc(metric, prev, where)
    assert v is not None and pv, (metric, cur, prev)
    return {"kind": "number", "value": rnd(v, unit), "previous": rnd(pv, unit),
            "change_pct": round(v / pv - 1, 8), "unit": unit, "metric": metric,
            "period": [str(cur[0]), str(cur[1])], "previous_period": [str(prev[0]), str(prev[1])]}


def ratio(num: float, den: float, p=None) -> dict:
    out = {"kind": "number", "value": rnd(num / den, "ratio"), "unit": "ratio", "metric": "share"}
    if p is not None:
        out["period"] = [str(p[0]), str(p[1])]
    return out


KEY_NAMES = {"country": "country", "sku": "sku", "cust": "customer", "month": "month",
             "week": "week", "day": "day", "quarter": "quarter",
             "customer_type": "customer_type"}


def table(series: pd.Series, key: str, metric: str, *, top: int | None = None,
          ascending: bool = False, ordered: bool = True, value_col: str | None = None,
          p=None) -> dict:
    unit = METRIC[metric][1]
    s = series.dropna()
    alternatives = []
    if top is not None:
        # rank by value, then key, for a deterministic file; ties are handled by the scorer
        df = pd.DataFrame({"k": s.index.astype(str), "v": s.values})
        df = df.sort_values(["v", "k"], ascending=[ascending, True], kind="mergesort")
        rows = df.head(top)
        cut = rows["v"].iloc[-1]
        rest = df.iloc[top:]
        tied = rest[np.isclose(rest["v"], cut, rtol=1e-12, atol=1e-12)]
        alternatives = [[k, rnd(v, unit)] for k, v in zip(tied["k"], tied["v"], strict=True)]
        pairs = list(zip(rows["k"], rows["v"], strict=True))
    else:
        pairs = [(str(k), v) for k, v in sorted(s.items(), key=lambda kv: str(kv[0]))]
    out = {"kind": "table", "columns": [KEY_NAMES[key], value_col or metric],
           "rows": [[k, rnd(v, unit)] for k, v in pairs], "ordered": ordered,
           "key_type": KEY_NAMES[key], "metric": metric, "unit": unit}
    if p is not None:
        out["period"] = [str(p[0]), str(p[1])]
    if top is not None:
        out["direction"] = "ascending" if ascending else "descending"
        vals = [v for _, v in pairs]
        out["ties_within"] = bool(len(set(np.round(vals, 9))) < len(vals))
        if alternatives:
            out["alternatives"] = alternatives
    if key == "sku":
        out["key_names"] = {k: ALL_SKUS_NAME.get(k, "") for k, _ in pairs}
        for k, _ in alternatives:
            out["key_names"][k] = ALL_SKUS_NAME.get(k, "")
    return out


def top_share(metric: str, p, key: str, n: int) -> dict:
    s = grouped(metric, p, key).sort_values(ascending=False, kind="mergesort")
    # the cut must not fall inside a tie, or the share would depend on which tied key is kept
    assert len(s) <= n or s.iloc[n - 1] != s.iloc[n], (metric, p, key, n)
    return ratio(s.head(n).sum(), calc(metric, p), p)


def not_in(*countries):
    return lambda d: ~d["country"].isin(countries)


def in_(*countries):
    return lambda d: d["country"].isin(countries)


def first_sale(d):
    return d["is_first"] & d["cust"].notna()


def returning_order(d):
    return ~d["is_first"] & d["cust"].notna()


def guest(d):
    return d["cust"].isna()


# ------------------------------------------------------------------------------------ the set
def no_data(items: dict[str, tuple[str, tuple[dt.date, dt.date]]]) -> dict[str, dict]:
    """Gold for questions about a period with no sales and no refunds at all."""
    out = {}
    for qid, (metric, p) in items.items():
        assert len(sl(p)) == 0 and len(sl(p, refunds=True)) == 0, qid
        out[qid] = {"kind": "empty", "metric": metric, "unit": METRIC[metric][1],
                    "additive": METRIC[metric][2], "period": [str(p[0]), str(p[1])]}
    return out


def build() -> dict[str, dict]:
    G: dict[str, dict] = {}
    # single numbers
    G["q001"] = number("gmv", LAST_MONTH)
    G["q002"] = number("gmv", MTD)
    G["q003"] = number("gmv", YTD)
    G["q004"] = number("net_revenue", H1)
    G["q005"] = number("orders", month(2011, 3))
    G["q006"] = number("aov", LAST_MONTH)
    G["q007"] = number("units_per_order", Q3)
    G["q008"] = number("units", L30)
    G["q009"] = number("customers", LAST_MONTH)
    G["q010"] = number("refunds", H1)
    G["q011"] = number("refund_rate", Q1)
    G["q012"] = number("new_customers", YTD)
    G["q013"] = number("returning_customers", LAST_MONTH)
    G["q014"] = number("gmv", iso_week(2011, 40))
    G["q015"] = number("orders", (D("2011-05-01"), D("2011-05-15")))
    G["q016"] = number("repeat_purchase_rate", Q3)
    G["q017"] = number("avg_unit_price", LAST_MONTH)
    G["q018"] = number("gmv", YESTERDAY)
    G["q019"] = number("orders", month(2010, 12))
    G["q020"] = number("new_customers", MTD)
    G["q021"] = number("gmv", H1)
    G["q022"] = number("aov", month(2011, 10))
    G["q023"] = number("gmv", TODAY_P)
    G["q024"] = number("orders", LAST_WEEK)
    G["q025"] = number("customers", L7)
    G["q026"] = number("units", YTD)
    G["q027"] = number("refunds", month(2011, 4))
    G["q028"] = number("repeat_purchase_rate", month(2011, 2))
    G["q029"] = number("units_per_order", Q2)
    G["q030"] = number("net_revenue", month(2011, 6))
    G["q031"] = number("gmv", Q3)
    G["q032"] = number("avg_unit_price", month(2011, 9))
    G["q033"] = number("aov", YTD)
    G["q034"] = number("new_customers", month(2011, 1))
    G["q035"] = number("returning_customers", Q1)

    # comparisons
    G["q036"] = compare("gmv", month(2011, 11), month(2011, 10))
    G["q037"] = compare("gmv", MTD, DEC10_1_9)
    G["q038"] = compare("gmv", Q3, Q2)
    G["q039"] = compare("orders", L30, P30)
    G["q040"] = compare("aov", month(2011, 10), month(2011, 9))
    G["q041"] = compare("gmv", iso_week(2011, 40), iso_week(2011, 39))
    G["q042"] = compare("new_customers", month(2011, 11), month(2011, 10))
    G["q043"] = compare("orders", MTD, DEC10_1_9)
    G["q044"] = compare("gmv", H2TD, H1)
    G["q045"] = compare("refund_rate", month(2011, 3), month(2011, 2))
    G["q046"] = compare("gmv", LAST_WEEK, WEEK_BEFORE)
    G["q047"] = compare("customers", month(2011, 5), month(2011, 4))
    G["q048"] = compare("units_per_order", month(2011, 11), month(2011, 10))
    G["q049"] = compare("net_revenue", Q2, Q1)
    G["q050"] = compare("aov", MTD, DEC10_1_9)
    G["q051"] = compare("gmv", MTD, NOV11_1_9)
    G["q052"] = compare("units", month(2011, 8), month(2011, 7))
    G["q053"] = compare("repeat_purchase_rate", Q3, Q2)
    G["q054"] = compare("refunds", Q2, Q1)
    G["q055"] = compare("orders", month(2011, 11), month(2010, 12))
    G["q056"] = compare("gmv", TODAY_P, YESTERDAY)
    G["q057"] = compare("returning_customers", month(2011, 10), month(2011, 9))
    G["q058"] = compare("avg_unit_price", Q3, Q2)
    G["q059"] = compare("gmv", L7, P7)
    G["q060"] = compare("new_customers", MTD, DEC10_1_9)

    # rankings
    def rank(metric, p, key, n, asc=False, where=None):
        return table(grouped(metric, p, key, where), key, metric, top=n, ascending=asc, p=p)

    def rank_time(metric, p, grain, n, asc=False):
        return table(by_time(metric, p, grain), grain, metric, top=n, ascending=asc, p=p)

    G["q061"] = rank("gmv", LAST_MONTH, "country", 10)
    G["q062"] = rank("units", YTD, "sku", 5)
    G["q063"] = rank("gmv", Q3, "sku", 10)
    G["q064"] = rank("gmv", YTD, "cust", 10)
    G["q065"] = rank("aov", LAST_MONTH, "country", 1)
    G["q066"] = rank("orders", YTD, "country", 5, asc=True)
    G["q067"] = rank("gmv", Q3, "country", 3, asc=True)
    G["q068"] = rank("refunds", H1, "cust", 5)
    G["q069"] = rank("orders", LAST_MONTH, "cust", 5)
    G["q070"] = rank("customers", YTD, "country", 5)
    G["q071"] = rank("units", L30, "sku", 10)
    G["q072"] = rank("gmv", iso_week(2011, 40), "sku", 5)
    G["q073"] = rank("units", LAST_MONTH, "country", 3)
    G["q074"] = rank_time("gmv", YTD, "month", 3)
    G["q075"] = rank_time("orders", YTD, "month", 3, asc=True)
    G["q076"] = rank_time("gmv", YTD, "day", 1)
    G["q077"] = rank_time("gmv", YTD, "quarter", 4)
    G["q078"] = rank("units", YTD, "cust", 10)
    G["q079"] = rank("new_customers", LAST_MONTH, "country", 5)
    G["q080"] = rank("units_per_order", Q2, "country", 5)
    G["q081"] = rank("orders", L7, "country", 5)
    G["q082"] = rank("gmv", Q1, "country", 5, asc=True)
    G["q083"] = rank("units", month(2010, 12), "sku", 10)
    G["q084"] = rank("aov", YTD, "country", 3)
    G["q085"] = rank("gmv", LAST_MONTH, "cust", 5)
    G["q086"] = rank("refunds", H1, "sku", 5)
    G["q087"] = rank("gmv", MTD, "sku", 5)
    G["q088"] = rank("orders", Q3, "country", 3)
    G["q089"] = rank("orders", LAST_MONTH, "sku", 5)
    G["q090"] = rank("gmv", Q2, "cust", 10)

    # shares
    G["q091"] = top_share("gmv", Q3, "sku", 10)
    G["q092"] = ratio(calc("gmv", YTD, in_("United Kingdom")), calc("gmv", YTD), YTD)
    G["q093"] = ratio(calc("gmv", LAST_MONTH, first_sale), calc("gmv", LAST_MONTH),
                      LAST_MONTH)
    G["q094"] = ratio(calc("new_customers", LAST_MONTH), calc("customers", LAST_MONTH),
                      LAST_MONTH)
    G["q095"] = top_share("orders", H1, "country", 5)
    G["q096"] = ratio(calc("orders", YTD, in_("France")), calc("orders", YTD), YTD)
    G["q097"] = ratio(calc("gmv", LAST_MONTH, lambda d: word(d, "HEART")),
                      calc("gmv", LAST_MONTH), LAST_MONTH)
    G["q098"] = top_share("gmv", YTD, "cust", 10)
    G["q099"] = ratio(calc("orders", Q3, guest), calc("orders", Q3), Q3)
    s = grouped("gmv", LAST_MONTH, "country") / calc("gmv", LAST_MONTH)
    G["q100"] = table(s, "country", "share", top=5, value_col="share", p=LAST_MONTH)
    G["q101"] = ratio(calc("gmv", iso_week(2011, 40), not_in("United Kingdom")),
                      calc("gmv", iso_week(2011, 40)), iso_week(2011, 40))
    G["q102"] = ratio(calc("gmv", MTD), calc("gmv", YTD), YTD)
    G["q103"] = top_share("units", LAST_MONTH, "sku", 10)
    G["q104"] = ratio(calc("gmv", L30, in_("EIRE")), calc("gmv", L30), L30)
    G["q105"] = ratio(calc("orders", Q3, returning_order), calc("orders", Q3), Q3)
    G["q106"] = ratio(calc("gmv", YTD, lambda d: d["sku"] == "POST"), calc("gmv", YTD), YTD)
    G["q107"] = ratio(calc("gmv", Q2, in_("Germany", "France")), calc("gmv", Q2), Q2)
    G["q108"] = ratio(calc("gmv", H1, lambda d: d["sku"] == "85123A"), calc("gmv", H1), H1)
    G["q109"] = table(by_time("gmv", YTD, "quarter") / calc("gmv", YTD), "quarter", "share",
                      ordered=False, value_col="share", p=YTD)
    G["q110"] = top_share("units", YTD, "country", 3)

    # lists
    def lst(metric, p, grain, where=None):
        return table(by_time(metric, p, grain, where), grain, metric, ordered=False, p=p)

    G["q111"] = lst("gmv", YTD, "month")
    G["q112"] = lst("orders", Q3, "week")
    G["q113"] = lst("gmv", L30, "day")
    G["q114"] = lst("orders", YTD, "quarter")
    G["q115"] = table(grouped("orders", LAST_MONTH, "country"), "country", "orders",
                      ordered=False, p=LAST_MONTH)
    G["q116"] = lst("new_customers", YTD, "month")
    G["q117"] = lst("refunds", H1, "month")
    G["q118"] = lst("aov", YTD, "month")
    G["q119"] = lst("orders", iso_week(2011, 40), "day")
    G["q120"] = table(grouped("aov", Q3, "country"), "country", "aov", ordered=False, p=Q3)
    G["q121"] = lst("repeat_purchase_rate", YTD, "quarter")
    G["q122"] = lst("gmv", MTD, "day")
    ct = pd.Series({"new": calc("gmv", LAST_MONTH, first_sale),
                    "returning": calc("gmv", LAST_MONTH, returning_order)})
    G["q123"] = table(ct, "customer_type", "gmv", ordered=False, p=LAST_MONTH)
    G["q124"] = lst("units", YTD, "month")
    G["q125"] = lst("refund_rate", (D("2010-12-01"), D("2011-06-30")), "month")

    # filters
    G["q126"] = number("gmv", LAST_MONTH, not_in("United Kingdom"))
    G["q127"] = number("orders", Q3, in_("France"))
    G["q128"] = number("gmv", YTD, lambda d: word(d, "HEART"))
    G["q129"] = number("units", LAST_MONTH, lambda d: d["sku"] == "85123A")
    G["q130"] = number("aov", H1, in_("Germany"))
    G["q131"] = rank("gmv", YTD, "country", 5, where=not_in("United Kingdom"))
    G["q132"] = rank("units", L30, "sku", 5, where=lambda d: word(d, "LUNCH BAG"))
    G["q133"] = number("new_customers", LAST_MONTH, in_("United Kingdom"))
    G["q134"] = number("gmv", Q3, in_("EIRE"))
    G["q135"] = number("units_per_order", YTD, in_("Netherlands"))
    G["q136"] = number("gmv", Q2, lambda d: d["sku"] == "22423")
    G["q137"] = number("units", LAST_MONTH, lambda d: word(d, "CHRISTMAS"))
    G["q138"] = number("refunds", H1, rwhere=in_("Germany"))
    G["q139"] = number("orders", iso_week(2011, 40), not_in("United Kingdom", "EIRE"))
    G["q140"] = lst("gmv", YTD, "month", where=in_("Australia"))
    G["q141"] = number("customers", YTD, in_("France"))
    G["q142"] = number("gmv", H1, in_("Spain", "Portugal"))
    G["q143"] = number("orders", Q3, lambda d: word(d, "RETROSPOT"))
    G["q144"] = number("gmv", LAST_MONTH, guest)
    G["q145"] = number("gmv", LAST_MONTH, returning_order)

    # ask back
    for i in range(146, 163):
        G[f"q{i:03d}"] = {"kind": "ask_back"}

    # no data
    empty = {
        "q163": ("gmv", month(2010, 11)),
        "q164": ("orders", (D("2009-01-01"), D("2009-12-31"))),
        "q165": ("gmv", (D("2010-12-24"), D("2011-01-03"))),
        "q166": ("aov", (D("2010-07-01"), D("2010-09-30"))),
        "q167": ("orders", (D("2011-11-26"), D("2011-11-26"))),
    }
    G.update(no_data(empty))

    # ---- batch 2 (q201..q260, split tune2): a second tuning set, written later
    # single numbers
    G["q201"] = number("gmv", day("2011-11-11"))
    G["q202"] = number("customers", NOV_1_10)
    G["q203"] = number("aov", L14)
    G["q204"] = number("units", SINCE_OCT1)
    G["q205"] = number("customers", month(2010, 12))
    G["q206"] = number("orders", day("2011-12-07"))
    G["q207"] = number("customers", ALL_DATA)
    G["q208"] = number("net_revenue", Q1_Q3)
    G["q209"] = number("units_per_order", THIS_WEEK)
    G["q210"] = number("gmv", month(2011, 9))
    # comparisons
    G["q211"] = compare("gmv", THIS_WEEK, LAST_WEEK_SAME_DAYS)
    G["q212"] = compare("customers", month(2011, 10), month(2011, 9))
    G["q213"] = compare("repeat_purchase_rate", month(2011, 10), month(2011, 9))
    G["q214"] = compare("orders", day("2011-11-11"), day("2011-11-04"))
    G["q215"] = compare("new_customers", Q2, Q1)
    G["q216"] = compare("refund_rate", H1, month(2010, 12))
    G["q217"] = compare("units", NOV_1_15, OCT_1_15)
    G["q218"] = compare("avg_unit_price", L90, P90)
    G["q219"] = compare("gmv", month(2011, 11), month(2011, 10), not_in("United Kingdom"))
    # rankings
    G["q220"] = rank("units", L14, "sku", 5)
    G["q221"] = rank("gmv", month(2011, 9), "country", 3, asc=True)
    G["q222"] = rank("gmv", H2TD, "cust", 10)
    G["q223"] = rank_time("gmv", LAST_MONTH, "week", 1)
    G["q224"] = rank("units_per_order", Q3, "country", 3)
    G["q225"] = rank_time("gmv", month(2011, 10), "day", 3)
    G["q226"] = rank("refunds", H1, "sku", 5)
    G["q227"] = rank_time("new_customers", YTD, "month", 1)
    # shares
    G["q228"] = ratio(calc("gmv", NOV_1_10, in_("United Kingdom")), calc("gmv", NOV_1_10),
                      NOV_1_10)
    G["q229"] = top_share("units", LAST_MONTH, "sku", 10)
    G["q230"] = table(by_time("orders", Q1_Q3, "quarter") / calc("orders", Q1_Q3), "quarter",
                      "share", ordered=False, value_col="share", p=Q1_Q3)
    G["q231"] = ratio(calc("gmv", L30, lambda d: word(d, "CHRISTMAS")), calc("gmv", L30), L30)
    G["q232"] = ratio(calc("gmv", YTD, not_in("United Kingdom", "Germany", "France")),
                      calc("gmv", YTD), YTD)
    s = grouped("customers", LAST_MONTH, "country") / calc("customers", LAST_MONTH)
    G["q233"] = table(s, "country", "share", top=3, value_col="share", p=LAST_MONTH)
    G["q234"] = ratio(calc("orders", month(2011, 9), first_sale), calc("orders", month(2011, 9)),
                      month(2011, 9))
    # lists
    G["q235"] = lst("units", month(2011, 10), "week")
    G["q236"] = lst("refunds", H1, "month")
    G["q237"] = lst("orders", MTD, "day")
    ct = pd.Series({"new": calc("orders", LAST_WEEK, first_sale),
                    "returning": calc("orders", LAST_WEEK, returning_order)})
    G["q238"] = table(ct, "customer_type", "orders", ordered=False, p=LAST_WEEK)
    G["q239"] = lst("gmv", YTD, "quarter", in_("Germany"))
    G["q240"] = lst("new_customers", month(2010, 12), "week")
    # filters
    G["q241"] = number("orders", month(2011, 10), not_in("United Kingdom", "EIRE"))
    G["q242"] = number("units", YTD, lambda d: word(d, "VINTAGE"))
    G["q243"] = number("gmv", LAST_MONTH, guest)
    G["q244"] = number("orders", L30, lambda d: d["sku"] == "23084")
    G["q245"] = number("aov", Q3, in_("Germany"))
    G["q246"] = number("aov", LAST_MONTH, first_sale)
    G["q247"] = rank("gmv", LAST_MONTH, "sku", 5,
                     where=lambda d: (d["country"] == "France") & (d["sku"] != "POST"))
    G["q248"] = number("gmv", YTD, lambda d: (d["country"] == "Germany") & (d["sku"] != "POST"))
    G["q249"] = number("customers", YTD, in_("Switzerland", "Austria"))
    G["q250"] = number("units", Q3, returning_order)
    # ask back
    for i in range(251, 259):
        G[f"q{i:03d}"] = {"kind": "ask_back"}
    # no data
    G.update(no_data({
        "q259": ("gmv", (D("2011-12-18"), D("2011-12-24"))),
        "q260": ("units", (D("2010-01-01"), D("2010-06-30"))),
    }))

    # ---- batch 3 (q301..q360, split tune3): a third tuning set, written later still
    # single numbers
    G["q301"] = number("gmv", THREE_DAYS_AGO)
    G["q302"] = number("orders", NOV_21_30)
    G["q303"] = number("avg_unit_price", L60)
    G["q304"] = number("new_customers", WEEK_BEFORE)
    G["q305"] = number("aov", VALENTINES)
    G["q306"] = number("net_revenue", SPRING)
    # comparisons
    G["q307"] = compare("orders", TODAY_P, PREV_FRIDAY)
    G["q308"] = compare("gmv", THIS_MONDAY, LAST_MONDAY)
    G["q309"] = compare("orders", month(2011, 2), month(2011, 1))
    G["q310"] = compare("gmv", NOV_21_30, NOV_11_20)
    G["q311"] = compare("new_customers", month(2011, 9), month(2011, 8))
    G["q312"] = compare("gmv", TODAY_P, SAME_DAY_LAST_YEAR)
    G["q313"] = compare("gmv", Q3, Q2, in_("Germany"))
    G["q314"] = compare("customers", month(2011, 10), month(2011, 9), not_in("United Kingdom"))
    G["q315"] = compare("units", LAST_WEEK, WEEK_BEFORE)
    G["q316"] = compare("gmv", SUMMER, SPRING)
    G["q317"] = compare("refunds", month(2011, 5), month(2011, 4))
    G["q318"] = compare("returning_customers", iso_week(2011, 45), iso_week(2011, 44))
    # rankings
    G["q319"] = rank_time("orders", LAST_MONTH, "day", 3)
    G["q320"] = rank("returning_customers", LAST_MONTH, "country", 5)
    G["q321"] = rank("avg_unit_price", Q3, "country", 5, asc=True)
    G["q322"] = rank("units", LAST_WEEK, "cust", 10)
    G["q323"] = rank_time("gmv", YTD, "week", 5)
    # shares
    G["q324"] = ratio(calc("customers", LAST_MONTH, not_in("United Kingdom")),
                      calc("customers", LAST_MONTH), LAST_MONTH)
    G["q325"] = top_share("gmv", YTD, "cust", 20)
    G["q326"] = ratio(calc("units", LAST_WEEK, first_sale), calc("units", LAST_WEEK), LAST_WEEK)
    G["q327"] = table(by_time("orders", Q3, "month") / calc("orders", Q3), "month", "share",
                      ordered=False, value_col="share", p=Q3)
    G["q328"] = ratio(calc("orders", MTD, lambda d: word(d, "LUNCH BAG")), calc("orders", MTD),
                      MTD)
    # lists
    G["q329"] = lst("gmv", Q3, "month")
    G["q330"] = lst("orders", LAST_MONTH, "week", not_in("United Kingdom"))
    G["q331"] = lst("new_customers", MTD, "day")
    s = grouped("customers", LAST_MONTH, "country", not_in("United Kingdom"))
    G["q332"] = table(s[s > 0], "country", "customers", ordered=False, p=LAST_MONTH)
    ct = pd.Series({"new": calc("units", MTD, first_sale),
                    "returning": calc("units", MTD, returning_order)})
    G["q333"] = table(ct, "customer_type", "units", ordered=False, p=MTD)
    G["q334"] = lst("avg_unit_price", YTD, "quarter")
    G["q335"] = lst("gmv", LAST_WEEK, "day", in_("United Kingdom"))
    G["q336"] = lst("net_revenue", H1, "month")
    G["q337"] = lst("customers", LAST_MONTH, "week")
    # filters
    G["q338"] = number("gmv", LAST_MONTH, not_in("United Kingdom", "Germany"))
    G["q339"] = number("orders", MTD, not_in("United Kingdom"))
    G["q340"] = number("units", month(2011, 10), lambda d: word(d, "CANDLE"))
    G["q341"] = number("gmv", YTD, lambda d: d["sku"] == "22197")
    G["q342"] = number("orders", MTD, guest)
    G["q343"] = number("new_customers", LAST_MONTH, in_("France"))
    G["q344"] = number("gmv", Q3, lambda d: (d["country"] == "Germany") & returning_order(d))
    G["q345"] = number("units", LAST_MONTH,
                       lambda d: (d["country"] != "United Kingdom") & word(d, "CHRISTMAS"))
    G["q346"] = number("gmv", LAST_MONTH, lambda d: ~d["sku"].isin(["POST", "DOT"]))
    G["q347"] = rank("units", YTD, "sku", 3, where=in_("Netherlands"))
    G["q348"] = number("aov", H1, not_in("United Kingdom"))
    G["q349"] = number("customers", LAST_MONTH, lambda d: word(d, "RETROSPOT"))
    # ask back
    for i in range(350, 360):
        G[f"q{i:03d}"] = {"kind": "ask_back"}
    # no data
    G.update(no_data({"q360": ("units", JAN_2012)}))

    # ---- batch 4 (q401..q460, split tune4): a fourth tuning set, written later still
    aug, sep, octo = month(2011, 8), month(2011, 9), month(2011, 10)
    # single numbers
    G["q401"] = number("gmv", LAST_WEEKEND)
    G["q402"] = number("orders", BLACK_FRIDAY)
    G["q403"] = number("customers", YTD)
    G["q404"] = number("units_per_order", aug)
    G["q405"] = number("aov", Q4_TD)
    G["q406"] = number("net_revenue", month(2011, 4))
    G["q407"] = number("refunds", MAY_16_31)
    G["q408"] = number("units", MON_TO_WED)
    # comparisons
    G["q409"] = compare("gmv", CYBER_MONDAY, BLACK_FRIDAY)
    G["q410"] = compare("customers", MTD, DEC10_1_9)
    G["q411"] = compare("avg_unit_price", aug, month(2011, 7))
    G["q412"] = compare("refunds", month(2011, 1), month(2010, 12))
    G["q413"] = compare("orders", octo, sep, in_("Belgium"))
    G["q414"] = compare("orders", OCT_1_10, SEP_1_10)
    G["q415"] = compare("gmv", month(2011, 11), month(2010, 12))
    G["q416"] = compare("new_customers", H2TD, H1)
    G["q417"] = compare("units_per_order", Q3, Q2, not_in("United Kingdom"))
    G["q418"] = compare("returning_customers", month(2011, 11), octo)
    # rankings
    G["q419"] = rank("gmv", aug, "country", 3, asc=True)
    G["q420"] = rank("units", BLACK_FRIDAY, "sku", 3)
    G["q421"] = rank("refunds", H1, "country", 3)
    G["q422"] = rank("orders", octo, "cust", 5)
    G["q423"] = rank_time("aov", Q1, "month", 1)
    G["q424"] = rank("orders", MTD, "country", 3)
    G["q425"] = rank_time("new_customers", YTD, "week", 1)
    # shares
    G["q426"] = ratio(calc("gmv", LAST_WEEKEND), calc("gmv", LAST_WEEK), LAST_WEEK)
    G["q427"] = ratio(calc("gmv", YTD, in_("Sweden", "Norway", "Denmark")), calc("gmv", YTD),
                      YTD)
    G["q428"] = ratio(calc("units", LAST_MONTH, lambda d: word(d, "JUMBO BAG")),
                      calc("units", LAST_MONTH), LAST_MONTH)
    G["q429"] = ratio(calc("gmv", MTD, returning_order), calc("gmv", MTD), MTD)
    G["q430"] = table(by_time("refunds", H1, "month") / calc("refunds", H1), "month", "share",
                      ordered=False, value_col="share", p=H1)
    G["q431"] = top_share("gmv", octo, "sku", 20)
    # lists
    G["q432"] = lst("customers", YTD, "month")
    G["q433"] = lst("orders", BLACK_FRIDAY_WEEK, "day")
    G["q434"] = table(grouped("units_per_order", aug, "country"), "country", "units_per_order",
                      ordered=False, p=aug)
    G["q435"] = lst("aov", MAR_TO_MAY, "month")
    G["q436"] = lst("new_customers", YTD, "quarter")
    G["q437"] = table(grouped("gmv", LAST_WEEK, "country"), "country", "gmv", ordered=False,
                      p=LAST_WEEK)
    G["q438"] = lst("units", THIS_WEEK, "day")
    # filters
    G["q439"] = number("units", YTD, lambda d: d["sku"] == "84879")
    G["q440"] = number("gmv", Q3, lambda d: word(d, "CAKE CASES"))
    G["q441"] = number("orders", YTD, in_("Japan"))
    G["q442"] = number("gmv", LAST_MONTH, in_("Belgium", "Netherlands"))
    G["q443"] = number("units_per_order", LAST_MONTH, not_in("United Kingdom"))
    G["q444"] = number("gmv", octo, first_sale)
    G["q445"] = number("customers", YTD, in_("Channel Islands"))
    G["q446"] = number("units", MTD, lambda d: word(d, "PAPER CHAIN KIT"))
    G["q447"] = number("units", TODAY_P, lambda d: d["sku"] != "23843")
    G["q448"] = number("net_revenue", H1, in_("Sweden"), rwhere=in_("Sweden"))
    G["q449"] = number("avg_unit_price", YTD, in_("Australia"))
    G["q450"] = rank("units", LAST_MONTH, "sku", 5, where=lambda d: word(d, "T-LIGHT"))
    # ask back
    for i in range(451, 459):
        G[f"q{i:03d}"] = {"kind": "ask_back"}
    # no data
    G.update(no_data({
        "q459": ("orders", LAST_SATURDAY),
        "q460": ("gmv", OCT_1_7_2010),
    }))

    # ---- batch 5 (q501..q560, split tune5): a fifth tuning set, written later still
    def distinct(col, p, where=None, name=None) -> dict:
        """How many distinct values of a sale-line column (SKUs, countries) in the period."""
        n = int(sl(p, where)[col].nunique())
        assert n, (col, p)
        return {"kind": "number", "value": n, "unit": "count", "metric": name or col,
                "period": [str(p[0]), str(p[1])]}

    # single numbers
    G["q501"] = number("units", Q2)
    G["q502"] = number("gmv", AUG_16_31)
    G["q503"] = number("customers", GOLDEN_WEEK)
    G["q504"] = number("aov", SINCE_AUTUMN)
    G["q505"] = number("orders", THANKSGIVING)
    G["q506"] = number("repeat_customers", LAST_MONTH)
    G["q507"] = number("gmv", HALLOWEEN)
    G["q508"] = distinct("sku", LAST_MONTH, name="skus")
    # comparisons
    G["q509"] = compare("aov", Q2, Q1)
    G["q510"] = compare("gmv", SINGLES_DAY_WEEK, SINGLES_DAY_WEEK_BEFORE)
    G["q511"] = compare("orders", FORTNIGHT, FORTNIGHT_BEFORE_LAST)
    G["q512"] = compare("units", GOLDEN_WEEK, PRE_GOLDEN_WEEK)
    G["q513"] = compare("units_per_order", AUG_16_31, AUG_1_15)
    G["q514"] = compare("units", MTD, NOV11_1_9, not_in("United Kingdom"))
    G["q515"] = compare("gmv", Q3, Q2, in_("France", "Germany"))
    G["q516"] = compare("units", month(2011, 11), month(2011, 10),
                        lambda d: word(d, "HOT WATER BOTTLE"))
    G["q517"] = compare("orders", YESTERDAY, SAME_DAY_LAST_WEEK)
    # rankings
    G["q518"] = rank_time("units", YTD, "month", 1)
    G["q519"] = rank("gmv", SINCE_AUTUMN, "sku", 5)
    G["q520"] = rank("orders", GOLDEN_WEEK, "cust", 3)
    G["q521"] = rank("aov", L90, "country", 3)
    G["q522"] = rank_time("gmv", AUG_16_31, "day", 3, asc=True)
    G["q523"] = rank("gmv", LAST_WEEK, "cust", 1)
    G["q524"] = rank("units", SINGLES_DAY_WEEK, "sku", 5)
    # shares
    G["q525"] = top_share("gmv", YTD, "cust", 5)
    G["q526"] = ratio(calc("gmv", GOLDEN_WEEK), calc("gmv", octo), octo)
    G["q527"] = ratio(calc("gmv", Q2, lambda d: word(d, "BUNTING")), calc("gmv", Q2), Q2)
    G["q528"] = ratio(calc("repeat_customers", Q3), calc("customers", Q3), Q3)
    s = grouped("orders", YTD, "country") / calc("orders", YTD)
    G["q529"] = table(s, "country", "share", top=3, value_col="share", p=YTD)
    G["q530"] = ratio(calc("units", TODAY_P, lambda d: d["sku"] == "23843"),
                      calc("units", TODAY_P), TODAY_P)
    # lists
    G["q531"] = lst("aov", SINCE_AUTUMN, "month")
    G["q532"] = lst("units", GOLDEN_WEEK, "day")
    G["q533"] = lst("gmv", Q2, "month", not_in("United Kingdom"))
    G["q534"] = lst("customers", NOV_16_30, "day")
    G["q535"] = lst("returning_customers", LAST_MONTH, "week")
    G["q536"] = lst("new_customers", (D("2011-09-01"), D("2011-11-30")), "month")
    G["q537"] = lst("units", Q2, "week")
    # filters
    u = grouped("units", LAST_MONTH, "sku")
    G["q538"] = {"kind": "number", "value": int((u > 1000).sum()), "unit": "count",
                 "metric": "skus", "period": [str(LAST_MONTH[0]), str(LAST_MONTH[1])]}
    G["q539"] = number("aov", L90, not_in("United Kingdom"))
    G["q540"] = number("orders", YTD, in_("Spain", "Italy"))
    G["q541"] = number("gmv", YTD, lambda d: word(d, "ALARM CLOCK"))
    G["q542"] = number("units", AUG_16_31, lambda d: d["sku"] == "84077")
    G["q543"] = number("gmv", LAST_MONTH, lambda d: d["date"].dt.weekday == 3)
    G["q544"] = number("orders", GOLDEN_WEEK, returning_order)
    G["q545"] = rank("customers", Q3, "country", 5, where=not_in("United Kingdom"))
    G["q546"] = number("units_per_order", Q3, first_sale)
    G["q547"] = distinct("country", H1, lambda d: word(d, "DOLLY GIRL"), name="countries")
    G["q548"] = number("orders", L90, lambda d: word(d, "HAND WARMER"))
    # ask back
    for i in range(549, 558):
        G[f"q{i:03d}"] = {"kind": "ask_back"}
    # no data
    G.update(no_data({
        "q558": ("gmv", BLACK_FRIDAY_2010),
        "q559": ("units", EASTER_WEEKEND),
        "q560": ("orders", AUGUST_BANK_HOLIDAY),
    }))

    # ---- batch 6 (q601..q660, split tune6): a sixth tuning set, written later still
    def weekday(n):
        """Sale lines dated on weekday n (Monday 0 .. Sunday 6)."""
        return lambda d: d["date"].dt.weekday == n

    nordic = ("Finland", "Sweden", "Norway", "Denmark")
    # the first trading day of 2011 is the first date of 2011 with a sale
    assert FIRST_TRADING_DAY[0] == L.loc[L["date"] >= "2011-01-01", "date"].min().date()
    # single numbers
    G["q601"] = number("units", MTD_TO_YESTERDAY)
    G["q602"] = number("aov", JAN_FEB)
    G["q603"] = number("customers", LAST_TUESDAY)
    G["q604"] = number("new_customers", DEC_1_7)
    G["q605"] = number("units_per_order", A_MONTH_AGO)
    G["q606"] = number("gmv", FIRST_TRADING_DAY)
    G["q607"] = number("refunds", Q2)
    G["q608"] = distinct("sku", OCT_25_31, name="skus")
    # comparisons
    G["q609"] = compare("gmv", QTD, SAME_POINT_LAST_QUARTER)
    G["q610"] = compare("orders", MTD_TO_YESTERDAY, NOV_1_8)
    G["q611"] = compare("customers", MTD, month(2010, 12))
    G["q612"] = compare("new_customers", L21, P21)
    G["q613"] = compare("gmv", THIS_TUESDAY, LAST_TUESDAY)
    G["q614"] = compare("orders", month(2011, 11), month(2011, 10), in_("United Kingdom"))
    G["q615"] = compare("units", L21, P21, lambda d: word(d, "DOORMAT"))
    G["q616"] = compare("gmv", month(2011, 11), month(2011, 10), weekday(6))
    G["q617"] = compare("avg_unit_price", DEC_1_7, NOV_1_7)
    # rankings
    G["q618"] = rank("aov", JAN_FEB, "country", 3, asc=True)
    G["q619"] = rank_time("orders", L21, "day", 3)
    G["q620"] = rank("customers", month(2010, 12), "country", 3)
    G["q621"] = rank("gmv", JAN_TO_NOV, "cust", 3)
    G["q622"] = rank("units", DEC_1_7, "sku", 5)
    G["q623"] = rank_time("units_per_order", YTD, "quarter", 1, asc=True)
    G["q624"] = rank_time("customers", YTD, "week", 1)
    # shares
    G["q625"] = ratio(calc("orders", LAST_MONTH, weekday(0)), calc("orders", LAST_MONTH),
                      LAST_MONTH)
    G["q626"] = ratio(calc("gmv", JAN_FEB), calc("gmv", YTD), YTD)
    G["q627"] = ratio(calc("gmv", JAN_TO_NOV, in_("United Kingdom")), calc("gmv", JAN_TO_NOV),
                      JAN_TO_NOV)
    G["q628"] = ratio(calc("new_customers", L21), calc("customers", L21), L21)
    G["q629"] = ratio(calc("units", Q2, lambda d: word(d, "REGENCY")), calc("units", Q2), Q2)
    s = grouped("gmv", OCT_25_31, "country") / calc("gmv", OCT_25_31)
    G["q630"] = table(s, "country", "share", top=3, value_col="share", p=OCT_25_31)
    # lists
    G["q631"] = lst("aov", DEC_1_7, "day")
    G["q632"] = lst("new_customers", JAN_FEB, "week")
    G["q633"] = lst("repeat_customers", Q3, "month")
    four = in_("Finland", "Poland", "Greece", "Cyprus")
    G["q634"] = table(grouped("orders", YTD, "country", four), "country", "orders",
                      ordered=False, p=YTD)
    G["q635"] = lst("units", Q2, "month", lambda d: d["sku"] == "79321")
    ct = pd.Series({"new": calc("gmv", L21, first_sale),
                    "returning": calc("gmv", L21, returning_order)})
    G["q636"] = table(ct, "customer_type", "gmv", ordered=False, p=L21)
    G["q637"] = lst("customers", MTD_TO_YESTERDAY, "day")
    # filters
    G["q638"] = rank("gmv", YTD, "country", 4, where=in_(*nordic))
    G["q639"] = number("gmv", JAN_TO_NOV, lambda d: word(d, "SPACEBOY"))
    G["q640"] = number("units", Q2, lambda d: d["sku"] == "85099B")
    G["q641"] = number("aov", MTD_TO_YESTERDAY, not_in("United Kingdom"))
    G["q642"] = number("orders", LAST_TUESDAY, in_("United Kingdom"))
    G["q643"] = number("gmv", YTD, in_("Singapore"))
    G["q644"] = rank("units", LAST_MONTH, "sku", 3, where=lambda d: word(d, "LANTERN"))
    G["q645"] = number("orders", LAST_MONTH, lambda d: word(d, "ADVENT"))
    G["q646"] = number("repeat_customers", Q3, not_in("United Kingdom"))
    G["q647"] = number("aov", L21, returning_order)
    G["q648"] = number("units", JAN_FEB, lambda d: word(d, "FELTCRAFT"))
    # ask back
    for i in range(649, 658):
        G[f"q{i:03d}"] = {"kind": "ask_back"}
    # no data
    G.update(no_data({
        "q658": ("orders", ROYAL_WEDDING),
        "q659": ("gmv", SPRING_BANK_HOLIDAY),
        "q660": ("units", BOXING_DAY_2010),
    }))

    # ---- batch 7 (q701..q760, split tune7): a seventh tuning set, written later still
    def compare_where(metric, p, where, prev_where) -> dict:
        """One period, two filters: value under `where`, previous under `prev_where`."""
        unit = METRIC[metric][1]
        v, pv = calc(metric, p, where), calc(metric, p, prev_where)
        assert v is not None and pv, (metric, p)
        return {"kind": "number", "value": rnd(v, unit), "previous": rnd(pv, unit),
                "change_pct": round(v / pv - 1, 8), "unit": unit, "metric": metric,
                "period": [str(p[0]), str(p[1])], "previous_period": [str(p[0]), str(p[1])]}

    nov = month(2011, 11)
    # single numbers
    G["q701"] = number("customers", LAST_WEEK)
    G["q702"] = number("gmv", DOUBLE_12_2010)
    G["q703"] = number("aov", NOV_3)
    G["q704"] = number("units", DEC_1_5)
    G["q705"] = number("spend_per_customer", nov)
    G["q706"] = number("orders", XMAS_RUNUP_2010)
    G["q707"] = number("new_customers", L28)
    G["q708"] = number("orders_per_customer", H2TD)
    # comparisons
    G["q709"] = compare("customers", L28, P28)
    G["q710"] = compare("gmv", NOV_3, OCT_3)
    G["q711"] = compare("orders", FORTNIGHT_TO_NOV20, FORTNIGHT_BEFORE_NOV7)
    G["q712"] = compare("gmv", OCT_11_20, SEP_11_20)
    G["q713"] = compare("gmv", DEC_1_5, NOV_1_5)
    G["q714"] = compare("orders_per_customer", month(2011, 10), month(2011, 9))
    G["q715"] = compare("orders", H2TD, H1, in_("Portugal"))
    G["q716"] = compare("units", THIS_WEEK, LAST_WEEK, lambda d: word(d, "WOODLAND"))
    G["q717"] = compare_where("aov", nov, weekday(6), lambda d: d["date"].dt.weekday <= 4)
    # rankings
    G["q718"] = rank("customers", LAST_WEEK, "country", 3)
    G["q719"] = rank("spend_per_customer", YTD, "country", 3)
    G["q720"] = rank("units", NOV_3, "sku", 3)
    G["q721"] = rank_time("gmv", XMAS_RUNUP_2010, "day", 3)
    G["q722"] = rank("gmv", THIS_WEEK, "cust", 3)
    G["q723"] = rank_time("aov", H2TD, "month", 1, asc=True)
    G["q724"] = rank_time("orders", nov, "day", 3, asc=True)
    # shares
    G["q725"] = ratio(calc("units", LAST_WEEK, not_in("United Kingdom")), calc("units", LAST_WEEK),
                      LAST_WEEK)
    G["q726"] = ratio(calc("gmv", THIS_WEEK), calc("gmv", MTD), MTD)
    G["q727"] = top_share("orders", YTD, "cust", 10)
    G["q728"] = ratio(calc("gmv", L28, lambda d: d["sku"] == "47566"), calc("gmv", L28), L28)
    G["q729"] = top_share("units", L28, "sku", 5)
    s = grouped("gmv", DEC_1_5, "country") / calc("gmv", DEC_1_5)
    G["q730"] = table(s, "country", "share", top=3, value_col="share", p=DEC_1_5)
    # lists
    G["q731"] = lst("gmv", YTD, "month", weekday(6))
    G["q732"] = lst("avg_unit_price", H2TD, "month")
    G["q733"] = lst("units", XMAS_RUNUP_2010, "day")
    G["q734"] = table(grouped("orders", OCT_5, "country"), "country", "orders", ordered=False,
                      p=OCT_5)
    G["q735"] = lst("orders_per_customer", YTD, "quarter")
    G["q736"] = lst("customers", OCT_11_20, "day")
    ct = pd.Series({"new": calc("aov", nov, first_sale),
                    "returning": calc("aov", nov, returning_order)})
    G["q737"] = table(ct, "customer_type", "aov", ordered=False, p=nov)
    # filters
    G["q738"] = number("gmv", YTD, in_("Israel"))
    G["q739"] = number("aov", YTD, in_("USA"))
    G["q740"] = number("units", YTD, in_("Hong Kong"))
    G["q741"] = number("orders", month(2010, 12), in_("Lithuania"))
    G["q742"] = number("units", H2TD, lambda d: d["sku"] == "22960")
    G["q743"] = number("gmv", LAST_WEEK, lambda d: word(d, "SKULL"))
    G["q744"] = number("units", OCT_11_20, lambda d: word(d, "PANTRY"))
    G["q745"] = number("units", LAST_WEEK, guest)
    G["q746"] = number("orders_per_customer", YTD, in_("Germany"))
    G["q747"] = number("gmv", YTD, lambda d: d["cust"] == "14646")
    G["q748"] = rank("units", L28, "country", 3, where=not_in("United Kingdom"))
    # ask back
    for i in range(749, 758):
        G[f"q{i:03d}"] = {"kind": "ask_back"}
    # no data
    G.update(no_data({
        "q758": ("orders", EARLY_MAY_BANK_HOLIDAY),
        "q759": ("gmv", NEW_YEARS_EVE_2010),
        "q760": ("units", NEW_YEAR_BANK_HOLIDAY),
    }))


    # ---- batch 8 (q761..q820, split tune8): an eighth tuning set, written later still
    def order_value_over(p, threshold):
        """Orders whose value (Σ quantity × unit price) is more than the threshold."""
        v = sl(p).groupby("inv")["gross"].sum()
        assert not np.isclose(v, threshold).any(), (p, threshold)  # no order sits on the line
        return {"kind": "number", "value": int((v > threshold).sum()), "unit": "count",
                "metric": "orders", "period": [str(p[0]), str(p[1])]}

    sunday = weekday(6)
    # single numbers
    G["q761"] = number("gmv", FATHERS_DAY)
    G["q762"] = number("units_per_order", L45)
    G["q763"] = number("customers", JAN_TO_OCT)
    G["q764"] = number("refunds", WEEK_24)
    G["q765"] = number("avg_unit_price", LAST_WORKING_DAY_NOV)
    G["q766"] = number("repeat_purchase_rate", month(2011, 8))
    G["q767"] = number("net_revenue", month(2011, 1))
    G["q768"] = number("orders", YESTERDAY_AND_TODAY)
    G["q769"] = number("new_customers", SEP_21_30)
    # comparisons
    G["q770"] = compare("orders", YESTERDAY, YESTERDAY_A_YEAR_AGO)
    G["q771"] = compare("units", Q3, Q1)
    G["q772"] = compare("refunds", JUN_1_15, MAY_1_15)
    G["q773"] = compare_where("gmv", YTD, in_("Netherlands"), in_("Australia"))
    G["q774"] = compare("spend_per_customer", MTD, DEC10_1_9)
    G["q775"] = compare("customers", WEEK_36, WEEK_35)
    G["q776"] = compare("aov", NOV_16_30, NOV_1_15)
    G["q777"] = compare("units", Q3, Q2, lambda d: word(d, "PARASOL"))
    G["q778"] = compare("gmv", H2TD, H1, in_("Switzerland"))
    # rankings
    G["q779"] = rank("customers", LAST_MONTH, "sku", 3)
    G["q780"] = rank_time("orders", H1, "month", 2, asc=True)
    G["q781"] = rank("units", Q3, "cust", 3)
    G["q782"] = rank_time("new_customers", L45, "day", 1)
    G["q783"] = rank_time("customers", YTD, "quarter", 1)
    G["q784"] = rank("refund_rate", H1, "country", 3)
    G["q785"] = rank("gmv", MTD, "sku", 5)
    G["q786"] = rank("units", YESTERDAY, "country", 3)
    # shares
    G["q787"] = ratio(calc("gmv", H2TD, guest), calc("gmv", H2TD), H2TD)
    G["q788"] = top_share("gmv", Q3, "cust", 1)
    G["q789"] = ratio(calc("orders", LAST_MONTH, lambda d: d["sku"] == "POST"),
                      calc("orders", LAST_MONTH), LAST_MONTH)
    G["q790"] = ratio(calc("gmv", YTD, in_("EIRE")), calc("gmv", YTD, not_in("United Kingdom")), YTD)
    s = grouped("units", LAST_WEEK, "sku") / calc("units", LAST_WEEK)
    G["q791"] = table(s, "sku", "share", top=3, value_col="share", p=LAST_WEEK)
    def clocks(d):
        return word(d, "ALARM CLOCK")

    G["q792"] = ratio(calc("units", YTD, lambda d: clocks(d) & (d["sku"] == "22727")),
                      calc("units", YTD, clocks), YTD)
    G["q793"] = ratio(calc("new_customers", H2TD), calc("new_customers", YTD), YTD)
    # lists
    G["q794"] = lst("refund_rate", H1, "month")
    G["q795"] = lst("customers", WEEKS_41_45, "week")
    G["q796"] = table(grouped("refunds", H1, "country"), "country", "refunds", ordered=False, p=H1)
    G["q797"] = lst("spend_per_customer", YTD, "month")
    G["q798"] = lst("units_per_order", THIS_WEEK, "day")
    south = in_("Spain", "Italy", "Portugal", "Greece")
    G["q799"] = table(grouped("aov", YTD, "country", south), "country", "aov", ordered=False, p=YTD)
    G["q800"] = lst("gmv", L45, "day", sunday)
    # filters
    G["q801"] = number("units", YTD, in_("Canada"))
    G["q802"] = number("gmv", H2TD, lambda d: word(d, "DINOSAUR"))
    G["q803"] = number("units", H1, lambda d: d["sku"] == "21175")
    G["q804"] = number("aov", MTD, lambda d: d["sku"] != "23843")
    G["q805"] = number("orders", YTD, lambda d: d["cust"] == "12415")
    G["q806"] = number("new_customers", H2TD, in_("Germany"))
    G["q807"] = order_value_over(LAST_MONTH, 500)
    G["q808"] = rank("gmv", YTD, "cust", 3, where=in_("France"))
    # ask back
    for i in range(809, 817):
        G[f"q{i:03d}"] = {"kind": "ask_back"}
    # no data
    G.update(no_data({
        "q817": ("orders", XMAS_GAP_2010),
        "q818": ("gmv", CHRISTMAS_DAY),
        "q819": ("orders", NOV_2010),
    }))
    # q820: AOV on November's Saturdays: no Saturday has a sale or a refund, so there is no AOV
    saturday = weekday(5)
    assert len(sl(LAST_MONTH, saturday)) == 0 and len(sl(LAST_MONTH, saturday, refunds=True)) == 0
    G["q820"] = {"kind": "empty", "metric": "aov", "unit": METRIC["aov"][1],
                 "additive": METRIC["aov"][2], "period": [str(LAST_MONTH[0]), str(LAST_MONTH[1])],
                 "weekday": "Saturday"}

    # ---- batch 9 (q821..q880, split tune9): a ninth tuning set, written later still
    def order_value_under(p, threshold):
        """Orders whose value (Σ quantity × unit price) is less than the threshold."""
        v = sl(p).groupby("inv")["gross"].sum()
        assert not np.isclose(v, threshold).any(), (p, threshold)  # no order sits on the line
        return {"kind": "number", "value": int((v < threshold).sum()), "unit": "count",
                "metric": "orders", "period": [str(p[0]), str(p[1])]}

    def no_data_where(metric, p, where, **extra):
        """Gold for a filtered question whose filter keeps no sale and no refund in the period."""
        assert len(sl(p, where)) == 0 and len(sl(p, where, refunds=True)) == 0, (metric, p)
        return {"kind": "empty", "metric": metric, "unit": METRIC[metric][1],
                "additive": METRIC[metric][2], "period": [str(p[0]), str(p[1])], **extra}

    monday = weekday(0)
    # single numbers
    G["q821"] = number("gmv", CLOSING_MONTH_LQ)
    G["q822"] = number("orders", OCT_1_14)
    G["q823"] = number("new_customers", JAN_TO_NOV)
    G["q824"] = number("spend_per_customer", Q3)
    G["q825"] = number("gmv", WEEKEND_BEFORE_LAST)
    G["q826"] = number("customers", L10)
    G["q827"] = number("refunds", MAR_1_15)
    G["q828"] = number("aov", WEEK_46)
    G["q829"] = number("units_per_order", SEP_TO_NOV)
    # comparisons
    G["q830"] = compare_where("aov", YTD, in_("Austria"), in_("Denmark"))
    G["q831"] = compare("customers", DEC_1_7, DEC_1_7_2010)
    G["q832"] = compare("gmv", month(2011, 10), month(2011, 9))
    G["q833"] = compare("gmv", LAST_SUNDAY, SUNDAY_BEFORE)
    G["q834"] = compare("units", H2TD, H1, lambda d: word(d, "GINGHAM"))
    G["q835"] = compare("orders", H2TD, H1, lambda d: d["cust"] == "14911")
    G["q836"] = compare("new_customers", OCT_1_14, SEP_1_14)
    G["q837"] = compare("customers", CLOSING_MONTH_LQ, OPENING_MONTH_LQ)
    G["q838"] = compare("avg_unit_price", SEP_TO_NOV, JUN_TO_AUG)
    # rankings
    G["q839"] = rank("units", OCT_1_14, "sku", 3)
    G["q840"] = rank_time("avg_unit_price", YTD, "month", 2)
    G["q841"] = rank("units", YTD, "cust", 3, where=in_("Spain"))
    G["q842"] = rank("spend_per_customer", YTD, "country", 2, asc=True)
    G["q843"] = table(by_time("orders", LAST_MONTH, "day", monday), "day", "orders", top=1,
                      p=LAST_MONTH)
    G["q844"] = rank("orders", SEP_TO_NOV, "cust", 3)
    G["q845"] = rank("units", LAST_MONTH, "sku", 3, where=lambda d: word(d, "STRAWBERRY"))
    G["q846"] = rank_time("refunds", month(2011, 3), "day", 3)
    # shares
    G["q847"] = ratio(calc("units", YTD, lambda d: (d["sku"] == "23298") &
                           (d["country"] != "United Kingdom")),
                      calc("units", YTD, lambda d: d["sku"] == "23298"), YTD)
    de = grouped("gmv", H2TD, "cust", in_("Germany")).sort_values(ascending=False)
    assert de.iloc[0] > de.iloc[1]
    G["q848"] = ratio(de.iloc[0], calc("gmv", H2TD, in_("Germany")), H2TD)
    G["q849"] = ratio(calc("units", CLOSING_MONTH_LQ), calc("units", Q3), Q3)
    G["q850"] = ratio(calc("gmv", MTD, lambda d: d["sku"] == "DOT"), calc("gmv", MTD), MTD)
    G["q851"] = table(by_time("new_customers", YTD, "quarter") / calc("new_customers", YTD),
                      "quarter", "share", ordered=False, value_col="share", p=YTD)
    G["q852"] = ratio(calc("customers", YTD) - calc("repeat_customers", YTD),
                      calc("customers", YTD), YTD)
    G["q853"] = ratio(calc("new_customers", YTD, not_in("United Kingdom")),
                      calc("new_customers", YTD), YTD)
    # lists
    G["q854"] = lst("refunds", WEEKS_12_15, "week")
    G["q855"] = table(grouped("units", YTD, "country", lambda d: word(d, "COOKIE CUTTER")),
                      "country", "units", ordered=False, p=YTD)
    G["q856"] = lst("orders", L10, "day")
    G["q857"] = lst("aov", H2TD, "month", in_("France"))
    ct = pd.Series({"new": calc("new_customers", LAST_MONTH),
                    "returning": calc("returning_customers", LAST_MONTH)})
    G["q858"] = table(ct, "customer_type", "customers", ordered=False, p=LAST_MONTH)
    G["q859"] = lst("spend_per_customer", YTD, "quarter")
    G["q860"] = table(grouped("gmv", YTD, "country", in_("Iceland", "Lebanon", "Brazil")),
                      "country", "gmv", ordered=False, p=YTD)
    # filters
    G["q861"] = order_value_under(LAST_MONTH, 20)
    G["q862"] = number("customers", YTD, lambda d: d["sku"] == "22457")
    G["q863"] = number("aov", YTD, lambda d: d["cust"] == "12347")
    G["q864"] = number("gmv", H2TD, in_("Malta"))
    G["q865"] = number("units", YTD, in_("United Arab Emirates"))
    G["q866"] = number("aov", LAST_MONTH, guest)
    G["q867"] = number("units", L10, lambda d: word(d, "NIGHT LIGHT"))
    G["q868"] = number("new_customers", SEP_TO_NOV, not_in("United Kingdom"))
    # ask back
    for i in range(869, 877):
        G[f"q{i:03d}"] = {"kind": "ask_back"}
    # no data
    G.update(no_data({
        "q877": ("gmv", SINGLES_DAY_2010),
        "q878": ("orders", CHRISTMAS_EVE),
    }))
    # q879: 23843 sold only on 2011-12-09 (one order) and was never refunded: none in November
    G["q879"] = no_data_where("units", LAST_MONTH, lambda d: d["sku"] == "23843", sku="23843")
    # q880: Brazil's only order is of 2011-04-15: no order since July, so no AOV
    G["q880"] = no_data_where("aov", H2TD, in_("Brazil"), country="Brazil")


    # ---- batch 10 (q881..q940, split tune10): a tenth tuning set, written later still
    def order_value_over_where(p, threshold, where):
        """Orders of the filter whose value (Σ quantity × unit price) is more than the threshold."""
        v = sl(p, where).groupby("inv")["gross"].sum()
        assert not np.isclose(v, threshold).any(), (p, threshold)  # no order sits on the line
        return {"kind": "number", "value": int((v > threshold).sum()), "unit": "count",
                "metric": "orders", "period": [str(p[0]), str(p[1])]}

    def working_day(d):
        """Sale lines dated Monday to Friday."""
        return d["date"].dt.weekday < 5

    def cust_is(*ids):
        return lambda d: d["cust"].isin(ids)

    def sku_is(*skus):
        return lambda d: d["sku"].isin(skus)

    # single numbers
    G["q881"] = number("gmv", THREE_MONTHS_AGO)
    G["q882"] = number("new_customers", L100)
    G["q883"] = number("orders", NOV_28_30)
    G["q884"] = number("avg_unit_price", JUL15_AUG15)
    G["q885"] = number("units", DEC_1_7, working_day)
    G["q886"] = number("aov", LAST_THURSDAY)
    G["q887"] = number("refunds", JAN_10_16)
    G["q888"] = number("repeat_purchase_rate", month(2011, 10))
    G["q889"] = distinct("date", month(2011, 10), name="trading_days")
    # comparisons
    G["q890"] = compare("orders", WEEK_47, WEEK_46)
    G["q891"] = compare("new_customers", Q3, Q2)
    G["q892"] = compare_where("units", YTD, in_("Norway"), in_("Sweden"))
    G["q893"] = compare_where("aov", Q3, first_sale, returning_order)
    G["q894"] = compare("customers", THIS_WEDNESDAY, LAST_WEDNESDAY)
    G["q895"] = compare_where("orders", YTD, cust_is("17949"), cust_is("17511"))
    G["q896"] = compare("orders", SEP_16_30, SEP_1_15)
    G["q897"] = compare("gmv", H2TD, H1, lambda d: word(d, "BABUSHKA"))
    G["q898"] = compare("aov", month(2011, 10), month(2011, 9), in_("Netherlands"))
    # rankings
    G["q899"] = rank("aov", Q3, "cust", 3)
    G["q900"] = rank_time("refund_rate", MAR_TO_MAY, "month", 1)
    G["q901"] = rank("avg_unit_price", YTD, "country", 3)
    G["q902"] = rank_time("units", LAST_MONTH, "week", 1)
    G["q903"] = rank("orders_per_customer", YTD, "country", 3)
    G["q904"] = rank("units", YTD, "sku", 3, where=lambda d: word(d, "APRON"))
    G["q905"] = rank("gmv", YTD, "cust", 3, where=in_("Finland"))
    G["q906"] = rank_time("new_customers", JAN_TO_NOV, "month", 2, asc=True)
    # shares
    G["q907"] = ratio(calc("refunds", H1, rwhere=lambda r: r["country"] == "United Kingdom"),
                      calc("refunds", H1), H1)
    v = sl(LAST_MONTH).groupby("inv")["gross"].sum()
    assert not np.isclose(v, 1500).any()  # no order of November is worth exactly 1,500.00
    G["q908"] = ratio(v[v > 1500].sum(), v.sum(), LAST_MONTH)
    G["q909"] = ratio(calc("units", Q3, weekday(6)) + calc("units", Q3, weekday(5)),
                      calc("units", Q3), Q3)
    busiest = by_time("orders", LAST_MONTH, "day").sort_values(ascending=False, kind="mergesort")
    assert busiest.iloc[2] > busiest.iloc[3]  # the cut is clean (a tie at 135 sits inside it)
    G["q910"] = ratio(busiest.head(3).sum(), calc("orders", LAST_MONTH), LAST_MONTH)
    big4 = ("Netherlands", "EIRE", "Germany", "France")
    abroad = calc("gmv", YTD, not_in("United Kingdom"))
    G["q911"] = table(pd.Series({c: calc("gmv", YTD, in_(c)) / abroad for c in big4}), "country",
                      "share", ordered=False, value_col="share", p=YTD)
    G["q912"] = ratio(calc("gmv", LAST_WEEK, monday), calc("gmv", LAST_WEEK), LAST_WEEK)
    G["q913"] = ratio(calc("customers", LAST_MONTH, lambda d: word(d, "BAUBLE")),
                      calc("customers", LAST_MONTH), LAST_MONTH)
    # lists
    G["q914"] = table(grouped("gmv", H2TD, "cust", cust_is("18102", "13694", "13089")), "cust",
                      "gmv", ordered=False, p=H2TD)
    G["q915"] = table(grouped("units", LAST_MONTH, "sku", sku_is("22578", "22577", "20668")), "sku",
                      "units", ordered=False, p=LAST_MONTH)
    G["q916"] = lst("avg_unit_price", WEEKS_37_40, "week")
    ct = pd.Series({"new": calc("units_per_order", LAST_WEEK, first_sale),
                    "returning": calc("units_per_order", LAST_WEEK, returning_order)})
    G["q917"] = table(ct, "customer_type", "units_per_order", ordered=False, p=LAST_WEEK)
    mideast = in_("Israel", "United Arab Emirates", "Saudi Arabia", "Bahrain", "Lebanon")
    G["q918"] = table(grouped("units", YTD, "country", mideast), "country", "units", ordered=False,
                      p=YTD)
    G["q919"] = lst("units", YTD, "month", lambda d: word(d, "UMBRELLA"))
    G["q920"] = lst("orders", YTD, "quarter", in_("Switzerland"))
    # filters
    G["q921"] = order_value_over_where(YTD, 1500, in_("Germany"))
    G["q922"] = number("gmv", YTD, in_("RSA"))
    G["q923"] = number("units", YTD, in_("Czech Republic"))
    G["q924"] = number("gmv", LAST_MONTH, lambda d: word(d, "PLASTERS"))
    G["q925"] = number("customers", Q3, lambda d: word(d, "CUSHION"))
    G["q926"] = number("units", YTD, cust_is("14096"))
    G["q927"] = number("orders", MTD, lambda d: in_("France")(d) & returning_order(d))
    G["q928"] = number("units", LAST_MONTH, lambda d: in_("United Kingdom")(d) & guest(d))
    # ask back
    for i in range(929, 937):
        G[f"q{i:03d}"] = {"kind": "ask_back"}
    # no data
    G.update(no_data({
        "q937": ("orders", DEC_2009),
        "q940": ("gmv", FIRST_SUNDAY_2011),
    }))
    # q938: Poland's last order is of 2011-11-04 and it has no refund after June: none this month
    G["q938"] = no_data_where("orders", MTD, in_("Poland"), country="Poland")
    # q939: customer 12346's only sale is the 74,215-unit order of 2011-01-18 (refunded that day)
    G["q939"] = no_data_where("orders", H2TD, cust_is("12346"), customer="12346")


    # ---- batch 11 (q941..q1000, split tune11): an eleventh tuning set, written later still
    def max_order_value(p):
        """The value (Σ quantity × unit price) of the period's single largest sale order."""
        v = sl(p).groupby("inv")["gross"].sum().sort_values(ascending=False)
        assert v.iloc[0] > v.iloc[1], p  # one clear largest order
        return {"kind": "number", "value": rnd(v.iloc[0], "money"), "unit": "money",
                "metric": "max_order_value", "period": [str(p[0]), str(p[1])], "order": v.index[0]}

    def customers_with_orders(p, n, where=None):
        """Customers (not guests) with at least n sale orders in the period (n = 2: repeat)."""
        k = sl(p, where).dropna(subset=["cust"]).groupby("cust")["inv"].nunique()
        return {"kind": "number", "value": int((k >= n).sum()), "unit": "count",
                "metric": "customers", "min_orders": n, "period": [str(p[0]), str(p[1])]}

    def order_units_over(p, threshold):
        """Sale orders whose units (Σ quantity) are more than the threshold."""
        u = sl(p).groupby("inv")["qty"].sum()
        assert not (u == threshold).any(), (p, threshold)  # no order sits on the line
        return {"kind": "number", "value": int((u > threshold).sum()), "unit": "count",
                "metric": "orders", "period": [str(p[0]), str(p[1])]}

    def distinct_by_time(col, p, grain, name):
        """How many distinct values of a sale-line column in each time bucket (a breakdown)."""
        lines = with_grain(sl(p), grain)
        s = lines.groupby(grain)[col].nunique()
        return {"kind": "table", "columns": [KEY_NAMES[grain], name],
                "rows": [[k, int(v)] for k, v in sorted(s.items())], "ordered": False,
                "key_type": KEY_NAMES[grain], "metric": name, "unit": "count",
                "period": [str(p[0]), str(p[1])]}

    def no_data_word(metric, p, w):
        """Gold for a name-word question with no sale of the word, and no refund of any StockCode
        ever sold under it, in the period."""
        skus = set(L.loc[word(L, w), "sku"])
        assert skus and len(sl(p, lambda d: word(d, w))) == 0, (w, p)
        assert len(sl(p, lambda r: r["sku"].isin(skus), refunds=True)) == 0, (w, p)
        return {"kind": "empty", "metric": metric, "unit": METRIC[metric][1],
                "additive": METRIC[metric][2], "period": [str(p[0]), str(p[1])], "word": w}

    def mugs(d):
        return word(d, "MUG")

    dach = in_("Germany", "Austria", "Switzerland")
    # the last trading day of 2010 is the last date of 2010 with a sale
    assert LAST_TRADING_DAY_2010[0] == L.loc[L["date"] < "2011-01-01", "date"].max().date()
    # single numbers
    G["q941"] = number("orders", DRAGON_BOAT)
    G["q942"] = number("units", THIS_MON_TUE)
    G["q943"] = number("new_customers", THREE_WEEKS_BACK)
    G["q944"] = number("net_revenue", APRIL_FOOLS)
    G["q945"] = number("units_per_order", OCT_22_31)
    G["q946"] = max_order_value(LAST_WEEK)
    G["q947"] = number("customers", LAST_TRADING_DAY_2010)
    G["q948"] = number("aov", WOMENS_DAY)
    G["q949"] = number("avg_unit_price", MIDDLE_MONTH_LQ)
    # comparisons
    G["q950"] = compare("orders", LANTERN_FESTIVAL, SPRING_FESTIVAL)
    G["q951"] = compare("orders", H2TD, H1, guest)
    G["q952"] = compare("units", MTD, DEC10_1_9, lambda d: word(d, "WRAP"))
    G["q953"] = compare_where("units", H2TD, sku_is("23203"), sku_is("22386"))
    G["q954"] = compare_where("spend_per_customer", Q3, in_("United Kingdom"),
                              not_in("United Kingdom"))
    G["q955"] = compare("repeat_customers", Q3, Q2)
    G["q956"] = compare("units", NOV_1_21, OCT_1_21)
    G["q957"] = compare("aov", H2TD, H1, in_("Belgium"))
    G["q958"] = compare("gmv", L3, P3)
    # rankings
    G["q959"] = rank("gmv", LAST_MONTH, "cust", 3, where=first_sale)
    G["q960"] = rank("orders", YTD, "cust", 3, where=in_("Germany"))
    G["q961"] = rank("customers", LAST_MONTH, "sku", 2, where=mugs)
    G["q962"] = rank_time("aov", Q3, "week", 2)
    G["q963"] = rank_time("repeat_purchase_rate", H1, "month", 1)
    G["q964"] = rank("units_per_order", Q4_TD, "country", 3, asc=True)
    G["q965"] = rank("units", MID_AUTUMN, "sku", 3)
    G["q966"] = rank("new_customers", H2TD, "country", 3, where=not_in("United Kingdom"))
    # shares
    G["q967"] = ratio(calc("orders", month(2010, 12)), calc("orders", ALL_DATA), ALL_DATA)
    G["q968"] = ratio(calc("gmv", H2TD, cust_is("14646")), calc("gmv", H2TD), H2TD)
    dec10 = set(sl(month(2010, 12))["cust"].dropna())
    lapsed = dec10 - set(sl(YTD)["cust"].dropna())
    G["q969"] = ratio(len(lapsed), len(dec10), ALL_DATA)
    G["q970"] = table(by_time("gmv", LAST_WEEK, "day") / calc("gmv", LAST_WEEK), "day", "share",
                      ordered=False, value_col="share", p=LAST_WEEK)
    mu = grouped("units", H2TD, "sku", mugs).sort_values(ascending=False, kind="mergesort")
    assert mu.iloc[0] > mu.iloc[1]
    G["q971"] = ratio(mu.iloc[0], calc("units", H2TD, mugs), H2TD)
    k = sl(LAST_MONTH).dropna(subset=["cust"]).groupby("cust")["inv"].nunique()
    repeaters = set(k[k >= 2].index)
    G["q972"] = ratio(calc("gmv", LAST_MONTH, lambda d: d["cust"].isin(repeaters)),
                      calc("gmv", LAST_MONTH), LAST_MONTH)
    newcomers = set(sl(LAST_MONTH, first_sale)["cust"])
    G["q973"] = ratio(len(newcomers & repeaters), len(newcomers), LAST_MONTH)
    # lists
    G["q974"] = lst("orders", CNY_WEEK, "day")
    G["q975"] = table(grouped("units_per_order", Q3, "country", dach), "country",
                      "units_per_order", ordered=False, p=Q3)
    G["q976"] = distinct_by_time("sku", YTD, "month", "skus")
    G["q977"] = table(grouped("orders", L3, "country"), "country", "orders", ordered=False, p=L3)
    G["q978"] = lst("orders", YTD, "quarter", cust_is("17841"))
    ct = pd.Series({"new": calc("new_customers", Q3, in_("Germany")),
                    "returning": calc("returning_customers", Q3, in_("Germany"))})
    G["q979"] = table(ct, "customer_type", "customers", ordered=False, p=Q3)
    G["q980"] = lst("aov", H2TD, "month", first_sale)
    # filters
    G["q981"] = number("orders", YTD, in_("Belgium", "Netherlands", "Luxembourg"))
    G["q982"] = number("orders", YTD, in_("Unspecified"))
    G["q983"] = customers_with_orders(Q3, 3)
    G["q984"] = order_units_over(LAST_MONTH, 2000)
    G["q985"] = number("gmv", H2TD,
                       lambda d: (d["country"] == "Netherlands") & (d["cust"] != "14646"))
    G["q986"] = number("gmv", QTD, lambda d: word(d, "RIBBON"))
    G["q987"] = number("orders", ST_PATRICKS, not_in("United Kingdom"))
    G["q988"] = number("gmv", Q3, weekday(4))
    # ask back
    for i in range(989, 997):
        G[f"q{i:03d}"] = {"kind": "ask_back"}
    # no data
    G.update(no_data({
        "q997": ("gmv", BONFIRE_NIGHT),
        "q999": ("orders", MID_AUTUMN_2010),
    }))
    # q998: Germany has no guest order (and no guest refund) anywhere in the data
    G["q998"] = no_data_where("orders", YTD, lambda d: in_("Germany")(d) & guest(d),
                              country="Germany", guest=True)
    # q1000: SNOWMAN products sold only from October 2011 on; no refund of them in the first half
    G["q1000"] = no_data_word("units", H1, "SNOWMAN")

    # ---- batch 12 (q1001..q1060, split tune12): a twelfth tuning set, written later still
    def per_trading_day(metric, p):
        """A measure over the days of the period that have a sale (trading days)."""
        days = sl(p)["date"].nunique()
        assert days, p
        return {"kind": "number", "value": rnd(calc(metric, p) / days, "number"),
                "unit": "number", "metric": f"{metric}_per_trading_day", "trading_days": days,
                "period": [str(p[0]), str(p[1])]}

    def rank_distinct(col, p, key, n, name, where=None):
        """Keys ranked by how many distinct values of a sale-line column they have (SKUs …)."""
        s = sl(p, where).groupby(key)[col].nunique().astype(float)
        out = table(s, key, "orders", top=n, value_col=name, p=p)  # "orders": a count unit
        out["metric"] = name
        return out

    def rank_change(metric, cur, prev, key, n):
        """Keys ranked by the rise of an additive metric from `prev` to `cur` (in its unit)."""
        now, before = grouped(metric, cur, key), grouped(metric, prev, key)
        s = now.sub(before.reindex(now.index).fillna(0.0))
        out = table(s, key, metric, top=n, value_col=f"{metric}_change", p=cur)
        out["metric"] = f"{metric}_change"
        out["previous_period"] = [str(prev[0]), str(prev[1])]
        return out

    def in_orders_with(p, where):
        """Every line of the orders that hold at least one line matching `where` (whole orders)."""
        invs = set(sl(p, where)["inv"])
        return lambda d: d["inv"].isin(invs)

    def order_value_between(p, lo, hi):
        """Sale orders whose value (Σ quantity × unit price) lies between lo and hi."""
        v = sl(p).groupby("inv")["gross"].sum()
        assert not (np.isclose(v, lo).any() or np.isclose(v, hi).any()), (p, lo, hi)
        return {"kind": "number", "value": int(((v > lo) & (v < hi)).sum()), "unit": "count",
                "metric": "orders", "min_value": lo, "max_value": hi,
                "period": [str(p[0]), str(p[1])]}

    def custs(p, where=None):
        return set(sl(p, where)["cust"].dropna())

    uk = in_("United Kingdom")
    abroad_ = not_in("United Kingdom")
    napkins = lambda d: word(d, "NAPKIN")  # noqa: E731
    cakestand = sku_is("22423")
    # single numbers
    G["q1001"] = number("gmv", PREV_FRIDAY)
    G["q1002"] = number("customers", CNY_EVE)
    G["q1003"] = distinct("country", month(2011, 10), name="countries")
    G["q1004"] = per_trading_day("orders", LAST_MONTH)
    G["q1005"] = number("net_revenue", QINGMING)
    G["q1006"] = number("refund_rate", FEB_TO_MAY)
    G["q1007"] = number("units", LABA)
    G["q1008"] = number("gmv", Q3, cust_is("17450"))
    G["q1009"] = number("aov", DEC_1_3)
    # comparisons
    G["q1010"] = compare("orders", FIRST_FULL_WEEK_AUG, LAST_FULL_WEEK_JUL)
    G["q1011"] = compare("orders", MTD, DEC10_1_9)
    G["q1012"] = compare_where("aov", LAST_MONTH, weekday(0), weekday(4))
    G["q1013"] = compare_where("customers", YTD, in_("France"), in_("Germany"))
    G["q1014"] = compare("repeat_purchase_rate", LAST_MONTH, month(2010, 12))
    G["q1015"] = compare_where("units", H2TD, lambda d: cakestand(d) & uk(d),
                               lambda d: cakestand(d) & abroad_(d))
    G["q1016"] = compare("orders", THIS_WEEK, LAST_WEEK)
    G["q1017"] = compare("new_customers", Q3, Q2, uk)
    G["q1018"] = compare("gmv", month(2011, 11), month(2011, 10), napkins)
    # rankings
    G["q1019"] = rank_distinct("sku", YTD, "country", 3, "skus", where=abroad_)
    G["q1020"] = rank_time("refunds", Q2, "week", 2)
    G["q1021"] = rank("units", H2TD, "cust", 3, where=lambda d: word(d, "JUMBO BAG"))
    G["q1022"] = rank("units", LAST_MONTH, "sku", 3, where=guest)
    G["q1023"] = rank("avg_unit_price", H2TD, "sku", 3, where=lambda d: word(d, "CABINET"))
    G["q1024"] = rank_time("spend_per_customer", YTD, "month", 1, asc=True)
    G["q1025"] = rank("units", month(2011, 10), "country", 3, asc=True)
    G["q1026"] = rank_change("gmv", month(2011, 11), month(2011, 10), "country", 3)
    # shares
    midweek = lambda d: d["date"].dt.weekday.isin([1, 2, 3])  # noqa: E731
    G["q1027"] = ratio(calc("orders", LAST_MONTH, midweek), calc("orders", LAST_MONTH), LAST_MONTH)
    nov_c, oct_c = custs(LAST_MONTH), custs(month(2011, 10))
    G["q1028"] = ratio(len(nov_c & oct_c), len(nov_c), LAST_MONTH)
    u = sl(LAST_MONTH).groupby("inv")["qty"].sum()
    assert not (u == 800).any()  # no November order has exactly 800 units
    G["q1029"] = ratio(int((u > 800).sum()), len(u), LAST_MONTH)
    G["q1030"] = ratio(calc("refunds", H1, rwhere=lambda r: r["sku"] == "M"), calc("refunds", H1), H1)
    q3c = grouped("gmv", Q3, "cust").sort_values(ascending=False, kind="mergesort")
    assert q3c.iloc[2] > q3c.iloc[3]
    G["q1031"] = table(q3c / calc("gmv", Q3), "cust", "share", top=3, value_col="share", p=Q3)
    G["q1032"] = ratio(len(custs(YTD, in_("Germany"))), len(custs(YTD, abroad_)), YTD)
    G["q1033"] = ratio(calc("gmv", MTD), calc("gmv", Q4_TD), Q4_TD)
    # lists
    G["q1034"] = lst("orders", LAST_4_FULL_WEEKS, "week")
    assert not set(sl(Q1)["country"]) & {"Unspecified", "European Community"}
    G["q1035"] = distinct_by_time("country", Q1, "month", "countries")
    four = ("Netherlands", "Germany", "France", "EIRE")
    G["q1036"] = table(pd.Series({c: calc("spend_per_customer", YTD, in_(c)) for c in four}),
                       "country", "spend_per_customer", ordered=False, p=YTD)
    G["q1037"] = lst("gmv", month(2010, 12), "week")
    G["q1038"] = lst("new_customers", YTD, "quarter", abroad_)
    G["q1039"] = lst("avg_unit_price", YTD, "quarter", in_("Germany"))
    G["q1040"] = lst("gmv", LAST_MONTH, "day", weekday(1))
    # filters
    nov_top = grouped("gmv", LAST_MONTH, "cust").sort_values(ascending=False, kind="mergesort")
    assert nov_top.iloc[9] > nov_top.iloc[10]  # the top ten are clear of the eleventh
    top10 = set(nov_top.index[:10])
    G["q1041"] = number("gmv", LAST_MONTH, lambda d: ~d["cust"].isin(top10))
    G["q1042"] = order_value_between(LAST_MONTH, 100, 500)
    G["q1043"] = number("aov", Q3, in_orders_with(Q3, lambda d: word(d, "JUMBO BAG")))
    G["q1044"] = number("aov", H2TD, lambda d: first_sale(d) & uk(d))
    G["q1045"] = number("units", H2TD, lambda d: cust_is("12901")(d) & sku_is("84077")(d))
    k = sl(Q3).dropna(subset=["cust"]).groupby("cust")["inv"].nunique()
    three_plus = set(k[k >= 3].index)
    G["q1046"] = number("gmv", Q3, lambda d: d["cust"].isin(three_plus))
    G["q1047"] = number("orders", YTD, lambda d: in_("Germany")(d) & weekday(6)(d))
    G["q1048"] = number("gmv", LAST_MONTH,
                        lambda d: word(d, "CHRISTMAS") & ~word(d, "TREE"))
    # ask back
    for i in range(1049, 1057):
        G[f"q{i}"] = {"kind": "ask_back"}
    # no data
    G.update(no_data({
        "q1057": ("gmv", QIXI),
        "q1058": ("units", DEC_16_31),
    }))
    # q1059: Lithuania's four orders are all of December 2010 (5 and 8 December); no refunds
    G["q1059"] = no_data_where("orders", YTD, in_("Lithuania"), country="Lithuania")
    # q1060: customer 16446 ordered on 2011-05-18 and 2011-12-09 only, and has no refunds
    G["q1060"] = no_data_where("orders", JUL_TO_NOV, cust_is("16446"), customer="16446")

    # ---- batch 13 (q1061..q1120, split tune13): a thirteenth tuning set, written later still
    def days_over(metric, p, threshold):
        """How many days of the period have an additive measure above the threshold."""
        s = by_time(metric, p, "day")
        assert not np.isclose(s, threshold).any(), (metric, p, threshold)  # no day on the line
        return {"kind": "number", "value": int((s > threshold).sum()), "unit": "count",
                "metric": "days", "min_value": threshold, "day_metric": metric,
                "period": [str(p[0]), str(p[1])]}

    def skus_per_order(p):
        """The mean over the period's orders of how many distinct StockCodes each holds."""
        v = sl(p).groupby("inv")["sku"].nunique()
        return {"kind": "number", "value": rnd(v.mean(), "number"), "unit": "number",
                "metric": "skus_per_order", "period": [str(p[0]), str(p[1])]}

    def max_day(metric, p):
        """The value of an additive measure on the period's single highest day (the day named)."""
        s = by_time(metric, p, "day").sort_values(ascending=False)
        assert s.iloc[0] > s.iloc[1], (metric, p)  # one clear highest day
        return {"kind": "number", "value": rnd(s.iloc[0], METRIC[metric][1]),
                "unit": METRIC[metric][1], "metric": f"max_day_{metric}", "day": s.index[0],
                "period": [str(p[0]), str(p[1])]}

    def count_of(n, p, metric="customers"):
        """A count of a set built in this block (customers …), as a number."""
        return {"kind": "number", "value": int(n), "unit": "count", "metric": metric,
                "period": [str(p[0]), str(p[1])]}

    def orders_over(p, threshold):
        """A filter: every line of the period's orders worth more than the threshold."""
        v = sl(p).groupby("inv")["gross"].sum()
        assert not np.isclose(v, threshold).any(), (p, threshold)  # no order sits on the line
        big = set(v[v > threshold].index)
        return lambda d: d["inv"].isin(big)

    sep11, oct11, nov11 = month(2011, 9), month(2011, 10), month(2011, 11)
    jumbo = lambda d: word(d, "JUMBO BAG")  # noqa: E731
    # single numbers
    G["q1061"] = number("orders", FIRST_SUNDAY_NOV)
    G["q1062"] = per_trading_day("gmv", oct11)
    G["q1063"] = days_over("gmv", Q3, 50000)
    G["q1064"] = skus_per_order(month(2011, 8))
    sep_new = custs(sep11, first_sale)
    G["q1065"] = number("gmv", sep11, lambda d: d["cust"].isin(sep_new))
    G["q1066"] = number("units_per_order", month(2010, 12))
    G["q1067"] = max_day("refunds", Q2)
    G["q1068"] = number("gmv", BF_TO_TODAY)
    k = sl(YTD).dropna(subset=["cust"]).groupby("cust")["inv"].nunique()
    ytd_repeat = set(k[k >= 2].index)
    G["q1069"] = number("orders_per_customer", YTD, lambda d: d["cust"].isin(ytd_repeat))
    # comparisons
    G["q1070"] = compare("gmv", MTD, OCT_1_9)
    G["q1071"] = compare_where("orders", Q3, in_("Germany"), in_("France"))
    G["q1072"] = compare_where("aov", YTD, abroad_, uk)
    G["q1073"] = compare("new_customers", NOV_16_30, OCT_16_31)
    G["q1074"] = compare_where("gmv", oct11, weekday(2), weekday(3))
    G["q1075"] = compare_where("repeat_purchase_rate", Q3, uk, abroad_)
    G["q1076"] = compare("customers", nov11, oct11, jumbo)
    G["q1077"] = compare("avg_unit_price", Q4_TD, Q3, sku_is("85123A"))
    G["q1078"] = compare("orders", THIS_WEEK, NOV_21_25)
    # rankings
    G["q1079"] = rank_time("orders", month(2010, 12), "day", 3, asc=True)
    G["q1080"] = rank("units", YTD, "sku", 3, where=abroad_)
    G["q1081"] = rank_distinct("sku", YTD, "cust", 3, "skus")
    G["q1082"] = rank("aov", H2TD, "country", 3)
    G["q1083"] = rank_time("units_per_order", H1, "month", 2, asc=True)
    G["q1084"] = rank_time("new_customers", nov11, "day", 3)
    G["q1085"] = rank_change("units", nov11, oct11, "sku", 3)
    h2_new = custs(H2TD, first_sale)
    G["q1086"] = rank("gmv", H2TD, "cust", 3, where=lambda d: d["cust"].isin(h2_new))
    # shares
    h1_c, h2_c = custs(H1), custs(H2TD)
    G["q1087"] = ratio(len(h1_c & h2_c), len(h1_c), YTD)
    G["q1088"] = ratio(calc("orders", nov11, abroad_), calc("orders", nov11), nov11)
    first_orders = sl(YTD, first_sale).groupby("inv")["gross"].sum()
    assert not np.isclose(first_orders, 1000).any()  # no first order worth exactly 1,000.00
    G["q1089"] = ratio(int((first_orders > 1000).sum()), len(first_orders), YTD)
    france = in_("France")
    G["q1090"] = number("refund_rate", H1, france, france)
    h1_ref = grouped("refunds", H1, "country").sort_values(ascending=False, kind="mergesort")
    assert h1_ref.iloc[2] > h1_ref.iloc[3]
    G["q1091"] = table(h1_ref / calc("refunds", H1), "country", "share", top=3,
                       value_col="share", p=H1)
    xmas_orders = in_orders_with(nov11, lambda d: word(d, "CHRISTMAS"))
    G["q1092"] = ratio(calc("orders", nov11, xmas_orders), calc("orders", nov11), nov11)
    G["q1093"] = ratio(int((k >= 5).sum()), len(k), YTD)
    # lists
    G["q1094"] = lst("units_per_order", MAY_TO_AUG, "month")
    G["q1095"] = lst("orders", oct11, "day", weekday(2))
    G["q1096"] = lst("aov", YTD, "quarter", abroad_)
    G["q1097"] = lst("repeat_purchase_rate", JUN_TO_NOV, "month")
    G["q1098"] = lst("gmv", H2TD, "month", cust_is("14911"))
    assert L.loc[L["sku"] == "23084", "date"].min() == pd.Timestamp(SINCE_23084_LAUNCH[0])
    G["q1099"] = lst("units", SINCE_23084_LAUNCH, "month", sku_is("23084"))
    nov_new = custs(nov11, first_sale)
    G["q1100"] = table(pd.Series({
        "new": calc("spend_per_customer", nov11, lambda d: d["cust"].isin(nov_new)),
        "returning": calc("spend_per_customer", nov11, lambda d: d["cust"].notna()
                          & ~d["cust"].isin(nov_new))}),
        "customer_type", "spend_per_customer", ordered=False, p=nov11)
    # filters
    oct_c, nov_c = custs(oct11), custs(nov11)
    G["q1101"] = count_of(len(oct_c - nov_c), nov11)
    G["q1102"] = number("units", Q3, lambda d: word(d, "LUNCH BAG") & abroad_(d))
    G["q1103"] = number("units", YTD, lambda d: sku_is("21212")(d) & in_("Germany")(d))
    G["q1104"] = number("units", YTD, lambda d: ~d["sku"].isin(["23843", "23166"]))
    G["q1105"] = number("units_per_order", nov11, orders_over(nov11, 1500))
    G["q1106"] = number("aov", YTD, weekday(6))
    G["q1107"] = number("gmv", nov11, lambda d: d["cust"].isin(nov_c - oct_c))
    G["q1108"] = number("avg_unit_price", H2TD, in_("Japan"))
    # ask back
    for i in range(1109, 1117):
        G[f"q{i}"] = {"kind": "ask_back"}
    # no data
    G.update(no_data({
        "q1117": ("gmv", NEW_YEARS_DAY_2012),
        "q1118": ("orders", THANKSGIVING_2010),
    }))
    # q1119: 23084 (RABBIT NIGHT LIGHT) first sold on 2011-05-10; its four refunds are of June
    G["q1119"] = no_data_where("units", Q1, sku_is("23084"), sku="23084")
    # q1120: customer 14096's first order is of 2011-08-30; it has no refunds
    G["q1120"] = no_data_where("orders", H1, cust_is("14096"), customer="14096")

    # ---- batch 14 (q1121..q1180, split tune14): a fourteenth tuning set, written later still
    feb11, mar11, apr11 = month(2011, 2), month(2011, 3), month(2011, 4)
    aug11 = month(2011, 8)
    mugs14 = lambda d: word(d, "MUG")  # noqa: E731
    # single numbers
    G["q1121"] = number("gmv", SEP_16_30)
    G["q1122"] = number("orders", L10)
    G["q1123"] = number("customers", LAST_MON_TO_WED)
    G["q1124"] = number("avg_unit_price", JUL_11_20)
    G["q1125"] = number("net_revenue", feb11)
    G["q1126"] = number("units", AUG_1_14)
    G["q1127"] = max_order_value(oct11)
    G["q1128"] = number("orders_per_customer", nov11)
    G["q1129"] = number("aov", OCT20_NOV5)
    # comparisons
    G["q1130"] = compare("orders", LAST_WEEK, WEEK_BEFORE)
    G["q1131"] = compare("new_customers", sep11, aug11)
    G["q1132"] = compare("aov", Q3, Q2)
    G["q1133"] = compare("orders", NOV_22, NOV_15)
    G["q1134"] = compare_where("gmv", YTD, in_("Spain"), in_("Italy"))
    G["q1135"] = compare("customers", L10, P10)
    G["q1136"] = compare("units_per_order", MTD, DEC10_1_9)
    G["q1137"] = compare("units", nov11, oct11, mugs14)
    G["q1138"] = compare("refunds", apr11, mar11)
    # rankings
    G["q1139"] = rank("gmv", nov11, "country", 5, where=abroad_)
    G["q1140"] = rank("orders", Q3, "cust", 3)
    G["q1141"] = rank_time("gmv", Q4_TD, "week", 3)
    G["q1142"] = rank("refunds", Q2, "cust", 3)
    G["q1143"] = rank("customers", YTD, "country", 5, where=abroad_)
    G["q1144"] = rank("units", nov11, "sku", 3, where=lambda d: word(d, "VINTAGE"))
    G["q1145"] = rank_time("new_customers", YTD, "month", 3)
    G["q1146"] = rank("units", YTD, "sku", 2, where=in_("Germany"))
    # shares
    G["q1147"] = ratio(calc("gmv", nov11, abroad_), calc("gmv", nov11), nov11)
    G["q1148"] = ratio(calc("orders", YTD, first_sale), calc("orders", YTD), YTD)
    G["q1149"] = top_share("gmv", YTD, "cust", 10)
    G["q1150"] = ratio(calc("orders", nov11, guest), calc("orders", nov11), nov11)
    uk14 = in_("United Kingdom")
    G["q1151"] = number("refund_rate", H1, uk14, uk14)
    q_gmv = by_time("gmv", YTD, "quarter")
    G["q1152"] = table(q_gmv / calc("gmv", YTD), "quarter", "share", ordered=False,
                       value_col="share", p=YTD)
    G["q1153"] = ratio(calc("units", nov11, lambda d: word(d, "BAG")), calc("units", nov11), nov11)
    # lists
    G["q1154"] = lst("orders", SEP_16_30, "day")
    G["q1155"] = lst("new_customers", YTD, "quarter")
    G["q1156"] = lst("gmv", LAST_WEEK, "day")
    G["q1157"] = lst("refunds", Q2, "month")
    G["q1158"] = lst("orders", Q4_TD, "month", in_("France"))
    G["q1159"] = lst("customers", (aug11[0], oct11[1]), "month")
    G["q1160"] = table(pd.Series({
        "new": calc("orders", oct11, first_sale),
        "returning": calc("orders", oct11, returning_order)}),
        "customer_type", "orders", ordered=False, p=oct11)
    # filters
    G["q1161"] = number("gmv", nov11, not_in("United Kingdom", "EIRE"))
    G["q1162"] = number("gmv", Q3, lambda d: word(d, "CANDLE"))
    G["q1163"] = number("units", H2TD, sku_is("47566"))
    G["q1164"] = number("orders", nov11, guest)
    G["q1165"] = number("gmv", Q3, returning_order)
    G["q1166"] = number("orders", oct11, in_("Netherlands", "Belgium"))
    G["q1167"] = order_value_under(nov11, 100)
    G["q1168"] = number("aov", oct11, first_sale)
    # ask back
    for i in range(1169, 1177):
        G[f"q{i}"] = {"kind": "ask_back"}
    # no data
    G.update(no_data({
        "q1177": ("gmv", CHRISTMAS_2011),
        "q1178": ("orders", NOV_2010),
    }))
    # q1179: 23843 (PAPER CRAFT , LITTLE BIRDIE) first and only sold on 2011-12-09; no refunds
    G["q1179"] = no_data_where("units", nov11, sku_is("23843"), sku="23843")
    # q1180: Brazil's one order is of 2011-04-15; no refund names Brazil
    G["q1180"] = no_data_where("orders", H2TD, in_("Brazil"), country="Brazil")

    # ---- batch 15 (q1181..q1240, split tune15): a fifteenth tuning set, written later still
    def per_month(metric, p):
        """An additive measure over the whole calendar months of the period, per month."""
        months = pd.period_range(p[0], p[1], freq="M")
        assert p[0] == months[0].start_time.date() and p[1] == months[-1].end_time.date(), p
        unit = METRIC[metric][1]
        return {"kind": "number", "value": rnd(calc(metric, p) / len(months), unit), "unit": unit,
                "metric": f"{metric}_per_month", "months": len(months),
                "period": [str(p[0]), str(p[1])]}

    def units_per_customer(p, where=None):
        """Units per customer: the mean of each customer's units (guest orders left out, as the
        batch 7 per-customer measures)."""
        known = sl(p, where).dropna(subset=["cust"])
        return {"kind": "number", "value": rnd(_div(m_units(known), m_customers(known)), "number"),
                "unit": "number", "metric": "units_per_customer", "period": [str(p[0]), str(p[1])]}

    def rank_show(by_metric, show_metric, p, key, n, where=None):
        """Keys ranked by one measure, the table showing another (what the question asks for)."""
        by = grouped(by_metric, p, key, where).sort_values(ascending=False, kind="mergesort")
        assert by.iloc[n - 1] > by.iloc[n] and by.iloc[:n].is_unique, (by_metric, p, key)
        show = grouped(show_metric, p, key, where)
        out = table(by, key, by_metric, top=n, p=p)
        unit = METRIC[show_metric][1]
        out.update({"columns": [KEY_NAMES[key], show_metric], "metric": show_metric, "unit": unit,
                    "rows": [[k, rnd(show[k], unit)] for k, _ in out["rows"]],
                    "ranked_by": by_metric, "ranked_values": out["rows"]})
        return out

    def price_under(threshold):
        """Sale lines whose unit price (the line's value / its quantity) is below the threshold."""
        return lambda d: d["gross"] / d["qty"] < threshold

    dec_2010 = month(2010, 12)
    uk15, fr15 = in_("United Kingdom"), in_("France")
    # single numbers
    G["q1181"] = number("gmv", TWO_MONTHS_AGO)
    G["q1182"] = number("units", TG_TO_CYBER_MONDAY)
    G["q1183"] = per_month("gmv", JUL_TO_NOV)
    G["q1184"] = units_per_customer(nov11)
    G["q1185"] = number("orders", SECOND_SUNDAY_NOV)
    G["q1186"] = number("new_customers", WEEK_BEFORE)
    G["q1187"] = distinct("sku", Q4_TD, name="skus")
    G["q1188"] = max_day("orders", oct11)
    G["q1189"] = number("orders_per_customer", Q3, uk15)
    # comparisons
    G["q1190"] = compare("gmv", THIS_MON_THU, LAST_MON_THU)
    G["q1191"] = compare("gmv", DEC_1_7, NOV_1_7, working_day)
    G["q1192"] = compare_where("spend_per_customer", H2TD, in_("Netherlands"), in_("Australia"))
    G["q1193"] = compare("orders", Q4_TD, Q3, cust_is("12748"))
    G["q1194"] = compare("units", oct11, sep11, sku_is("85099B"))
    G["q1195"] = compare_where("gmv", Q3, weekday(6), weekday(0))
    G["q1196"] = compare("gmv", NOV_1_15, OCT_16_31)
    G["q1197"] = compare("aov", Q4_TD, Q3, first_sale)
    G["q1198"] = compare("aov", Q1_Q3, dec_2010)
    # rankings
    G["q1199"] = rank_show("units", "gmv", nov11, "cust", 3)
    G["q1200"] = rank("orders", WEEK_BEFORE, "sku", 3)
    G["q1201"] = rank_time("gmv", NOV_1_15, "day", 3, asc=True)
    G["q1202"] = rank_distinct("date", Q4_TD, "cust", 3, "days")
    G["q1203"] = rank_time("new_customers", Q4_TD, "day", 3)
    G["q1204"] = rank_time("customers", JAN_TO_NOV, "month", 2, asc=True)
    G["q1205"] = rank("orders", YTD, "country", 3, where=guest)
    G["q1206"] = rank_time("refunds", YTD, "month", 2)
    # shares
    ger15 = in_("Germany")
    G["q1207"] = ratio(calc("gmv", H2TD, lambda d: ger15(d) & (d["sku"] == "POST")),
                       calc("gmv", H2TD, ger15), H2TD)
    dec10_c = custs(dec_2010)
    G["q1208"] = ratio(calc("gmv", H2TD, lambda d: d["cust"].isin(dec10_c)), calc("gmv", H2TD),
                       H2TD)
    G["q1209"] = ratio(calc("gmv", TODAY_P), calc("gmv", THIS_WEEK), THIS_WEEK)
    G["q1210"] = ratio(calc("gmv", nov11, lambda d: uk15(d) & guest(d)), calc("gmv", nov11, uk15),
                       nov11)
    nov_lines = sl(nov11)
    assert not np.isclose(nov_lines["gross"] / nov_lines["qty"], 2.0).any()  # no line at £2.00
    G["q1211"] = ratio(calc("units", nov11, price_under(2.0)), calc("units", nov11), nov11)
    rabbit = in_orders_with(nov11, sku_is("23084"))
    G["q1212"] = ratio(calc("orders", nov11, rabbit), calc("orders", nov11), nov11)
    G["q1213"] = ratio(calc("orders", YTD, weekday(6)), calc("orders", YTD), YTD)
    # lists
    G["q1214"] = lst("units", SINGLES_DAY_WEEK, "day")
    G["q1215"] = lst("orders", Q4_TD, "month", guest)
    G["q1216"] = lst("new_customers", WEEK_BEFORE, "day")
    three = ("Netherlands", "Australia", "Switzerland")
    G["q1217"] = table(pd.Series({c: calc("avg_unit_price", H2TD, in_(c)) for c in three}),
                       "country", "avg_unit_price", ordered=False, p=H2TD)
    G["q1218"] = lst("customers", Q3, "month", abroad_)
    G["q1219"] = lst("customers", Q1_Q3, "quarter")
    G["q1220"] = lst("gmv", nov11, "day", weekday(4))
    # filters
    G["q1221"] = number("gmv", Q4_TD, lambda d: word(d, "ENAMEL"))
    G["q1222"] = number("gmv", H2TD, lambda d: fr15(d) & (d["sku"] != "POST"))
    G["q1223"] = number("units", nov11, lambda d: sku_is("22197")(d) & abroad_(d))
    G["q1224"] = number("gmv", H2TD, lambda d: in_("EIRE")(d) & guest(d))
    k = sl(Q3).dropna(subset=["cust"]).groupby("cust")["inv"].nunique()
    q3_once = set(k[k == 1].index)
    G["q1225"] = number("gmv", Q3, lambda d: d["cust"].isin(q3_once))
    G["q1226"] = number("units", H2TD, lambda d: cust_is("14911")(d) & word(d, "CHRISTMAS"))
    G["q1227"] = count_of(len(custs(Q3) & custs(Q4_TD)), (Q3[0], TODAY))
    jumbo_inv = set(sl(Q4_TD, lambda d: word(d, "JUMBO BAG"))["inv"])
    lunch_inv = set(sl(Q4_TD, lambda d: word(d, "LUNCH BAG"))["inv"])
    G["q1228"] = count_of(len(jumbo_inv & lunch_inv), Q4_TD, metric="orders")
    # ask back
    for i in range(1229, 1237):
        G[f"q{i}"] = {"kind": "ask_back"}
    # no data
    G.update(no_data({
        "q1237": ("gmv", NATIONAL_DAY),
        "q1238": ("orders", DOUBLE_12_2011),
        "q1239": ("gmv", HALLOWEEN_2010),
    }))
    # q1240: Singapore's last order is of 2011-10-19; its refunds are all of the first half
    G["q1240"] = no_data_where("gmv", nov11, in_("Singapore"), country="Singapore")

    # ids sort by number (q1000 after q999)
    return {qid: {"id": qid, **item}
            for qid, item in sorted(G.items(), key=lambda kv: int(kv[0][1:]))}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="fail if gold.json would change")
    args = ap.parse_args(argv)
    items = build()
    import yaml  # only to check the ids against the question set

    qs = yaml.safe_load((HERE / "questions.yaml").read_text(encoding="utf-8"))["questions"]
    qkind = {q["id"]: q["kind"] for q in qs}
    assert len(qkind) == len(qs), "repeated question ids"
    splits = {q["id"]: q["split"] for q in qs}
    # tune / holdout: batch 1 (q001..q167); tune2: batch 2 (q201..q260), a second tuning set;
    # tune3: batch 3 (q301..q360), a third tuning set; tune4: batch 4 (q401..q460), a fourth;
    # tune5: batch 5 (q501..q560), a fifth; tune6: batch 6 (q601..q660), a sixth;
    # tune7: batch 7 (q701..q760), a seventh; tune8: batch 8 (q761..q820), an eighth;
    # tune9: batch 9 (q821..q880), a ninth; tune10: batch 10 (q881..q940), a tenth;
    # tune11: batch 11 (q941..q1000), an eleventh; tune12: batch 12 (q1001..q1060), a twelfth;
    # tune13: batch 13 (q1061..q1120), a thirteenth; tune14: batch 14 (q1121..q1180), a fourteenth;
    # tune15: batch 15 (q1181..q1240), a fifteenth
    assert set(splits.values()) <= {"tune", "holdout", "tune2", "tune3", "tune4", "tune5",
                                    "tune6", "tune7", "tune8", "tune9", "tune10", "tune11",
                                    "tune12", "tune13", "tune14", "tune15"}, set(splits.values())
    batch = {k: int(k[1:]) // 100 if int(k[1:]) >= 201 else 1 for k in splits}
    batch.update({k: 8 for k in splits if 761 <= int(k[1:]) <= 820})  # batch 8 shares the 700s
    batch.update({k: 9 for k in splits if 821 <= int(k[1:]) <= 880})  # batch 9 shares the 800s
    batch.update({k: 10 for k in splits if 881 <= int(k[1:]) <= 940})  # batch 10: the 800s and 900s
    batch.update({k: 11 for k in splits if 941 <= int(k[1:]) <= 1000})  # batch 11: q941..q1000
    batch.update({k: 12 for k in splits if 1001 <= int(k[1:]) <= 1060})  # batch 12: q1001..q1060
    batch.update({k: 13 for k in splits if 1061 <= int(k[1:]) <= 1120})  # batch 13: q1061..q1120
    batch.update({k: 14 for k in splits if 1121 <= int(k[1:]) <= 1180})  # batch 14: q1121..q1180
    batch.update({k: 15 for k in splits if 1181 <= int(k[1:]) <= 1240})  # batch 15: q1181..q1240
    assert set(batch.values()) <= {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, \
        set(batch.values())
    assert all(v == "tune15" for k, v in splits.items() if batch[k] == 15), "batch 15 is tune15"
    assert all(batch[k] == 15 for k, v in splits.items() if v == "tune15"), "tune15 is batch 15"
    assert all(v == "tune14" for k, v in splits.items() if batch[k] == 14), "batch 14 is tune14"
    assert all(batch[k] == 14 for k, v in splits.items() if v == "tune14"), "tune14 is batch 14"
    assert all(v == "tune13" for k, v in splits.items() if batch[k] == 13), "batch 13 is tune13"
    assert all(batch[k] == 13 for k, v in splits.items() if v == "tune13"), "tune13 is batch 13"
    assert all(v == "tune12" for k, v in splits.items() if batch[k] == 12), "batch 12 is tune12"
    assert all(batch[k] == 12 for k, v in splits.items() if v == "tune12"), "tune12 is batch 12"
    assert all(v == "tune11" for k, v in splits.items() if batch[k] == 11), "batch 11 is tune11"
    assert all(batch[k] == 11 for k, v in splits.items() if v == "tune11"), "tune11 is batch 11"
    assert all(v == "tune10" for k, v in splits.items() if batch[k] == 10), "batch 10 is tune10"
    assert all(batch[k] == 10 for k, v in splits.items() if v == "tune10"), "tune10 is batch 10"
    assert all(v == "tune9" for k, v in splits.items() if batch[k] == 9), "batch 9 is tune9"
    assert all(batch[k] == 9 for k, v in splits.items() if v == "tune9"), "tune9 is batch 9"
    assert all(v == "tune8" for k, v in splits.items() if batch[k] == 8), "batch 8 is tune8"
    assert all(v == "tune7" for k, v in splits.items() if batch[k] == 7), "batch 7 is tune7"
    assert all(v == "tune6" for k, v in splits.items() if batch[k] == 6), "batch 6 is tune6"
    assert all(v == "tune5" for k, v in splits.items() if batch[k] == 5), "batch 5 is tune5"
    assert all(v == "tune4" for k, v in splits.items() if batch[k] == 4), "batch 4 is tune4"
    assert all(v == "tune3" for k, v in splits.items() if batch[k] == 3), "batch 3 is tune3"
    assert all(v == "tune2" for k, v in splits.items() if batch[k] == 2), "batch 2 is tune2"
    assert all(v in ("tune", "holdout") for k, v in splits.items() if batch[k] == 1), \
        "batch 1 is tune or holdout"
    assert set(qkind) == set(items), set(qkind) ^ set(items)
    for qid, item in items.items():
        expect = {"ask_back": "ask_back", "empty": "empty"}.get(qkind[qid])
        if expect:
            assert item["kind"] == expect, qid
        else:
            assert item["kind"] in ("number", "table"), qid
        if qkind[qid] == "comparison":
            assert "previous" in item, qid
    doc = {
        "reference_date": str(TODAY),
        "source": ["src/shopkeeper/store/demo_data/online_retail_I.parquet",
                   "src/shopkeeper/store/demo_data/online_retail_I_cancellations.parquet"],
        "counts": COUNTS,
        "items": list(items.values()),
    }
    text = json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
    if args.check and (not OUT.exists() or OUT.read_text(encoding="utf-8") != text):
        print("gold.json is out of date: run bench/ask/gold.py", file=sys.stderr)
        return 1
    if not args.check:
        OUT.write_text(text, encoding="utf-8")
    kinds: dict[str, int] = {}
    for it in items.values():
        kinds[it["kind"]] = kinds.get(it["kind"], 0) + 1
    done = "is up to date" if args.check else "written"
    print(f"{OUT.relative_to(ROOT)} {done}: {len(items)} items {kinds}; counts {COUNTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
