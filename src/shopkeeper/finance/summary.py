"""The finance report as data for a screen: P&L and KPI lines, the variance bridge, anomalies
and the outlook of :func:`build_reports`, typed for the API, the web and MCP, computed once per
data version (and replenishment plan) and shared by every caller.

    from shopkeeper import finance
    summary = finance.report_summary(wh, "month", lang="zh")   # computes, or the cached one
    finance.report_summary(wh, "month", wait=False)            # None until computed
    finance.summary_charts(summary.reports[0], "en")           # Plotly figures as dicts
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from pydantic import BaseModel, ConfigDict, Field

from shopkeeper import metrics
from shopkeeper.finance.report import FinanceReport, build_reports, check_report_options
from shopkeeper.finance.statements import _PANDAS_PERIOD, PERIODS, last_complete_period
from shopkeeper.store import Warehouse

EFFECT_LABELS = {"volume": ("volume", "销量"), "mix": ("mix", "结构"),
                 "price": ("price", "价格"), "refunds": ("refunds", "退款")}
MOVERS_PER_DIMENSION = 10
SKU_ANOMALIES_SHOWN = 15


class StatementLine(BaseModel):
    """One line of the P&L or the KPI pack: this period, the one before and a year ago."""

    model_config = ConfigDict(frozen=True)

    metric: str
    label_en: str
    label_zh: str
    unit: str  # money, count or ratio
    higher_is_better: bool
    indent: int = 0  # P&L: 0 for a total, 1 for a line that makes it up
    sign: int = 1  # P&L: -1 for a cost (shown positive, taken away)
    current: float | None
    previous: float | None
    change: float | None
    change_pct: float | None
    year_ago: float | None
    yoy_change: float | None
    yoy_pct: float | None


class VarianceStep(BaseModel):
    """One effect of the bridge from last period's net revenue to this one's."""

    model_config = ConfigDict(frozen=True)

    effect: str  # volume, mix, price, refunds
    label_en: str
    label_zh: str
    amount: float


class Mover(BaseModel):
    """A group (category, SKU, channel) and how much it moved net revenue."""

    model_config = ConfigDict(frozen=True)

    dimension: str
    group: str
    previous: float | None
    current: float | None
    change: float
    share_of_change: float | None


class AnomalousDay(BaseModel):
    """A day on which a metric left its expected range, with what moved most that day."""

    model_config = ConfigDict(frozen=True)

    metric: str
    label_en: str
    label_zh: str
    unit: str
    day: dt.date
    actual: float
    expected: float
    low: float
    high: float
    direction: str
    drivers: list[dict[str, Any]] = Field(default_factory=list)


class NotJudged(BaseModel):
    """A metric the anomaly check could not judge, and why."""

    model_config = ConfigDict(frozen=True)

    metric: str
    label_en: str
    label_zh: str
    kind: str
    reason_en: str
    reason_zh: str


class SkuAnomaly(BaseModel):
    model_config = ConfigDict(frozen=True)

    sku: str
    actual: float
    expected: float
    low: float
    high: float
    z: float | None


class OutlookWeek(BaseModel):
    """A coming week: forecast net revenue (80% range) against the plan's purchases."""

    model_config = ConfigDict(frozen=True)

    week: dt.date
    revenue: float | None
    revenue_lo_80: float | None
    revenue_hi_80: float | None
    purchases: float | None
    net: float | None


class OutlookMonth(BaseModel):
    model_config = ConfigDict(frozen=True)

    metric: str
    label_en: str
    label_zh: str
    month: dt.date
    yhat: float | None
    lo_80: float | None
    hi_80: float | None


class DailyPoint(BaseModel):
    model_config = ConfigDict(frozen=True)

    day: dt.date
    net_revenue: float | None
    gross_profit: float | None
    orders: float | None


class CurrencyReport(BaseModel):
    """The report of one money view: one currency, or every amount converted into one."""

    model_config = ConfigDict(frozen=True)

    currency: str
    money: str
    other_currencies: list[str]
    narrative: str
    narrative_path: str  # template or model
    pnl: list[StatementLine]
    kpis: list[StatementLine]
    variance_metric: str
    total_previous: float
    total_current: float
    change: float
    effects: list[VarianceStep]
    movers: list[Mover]
    anomalies: list[AnomalousDay]
    not_judged: list[NotJudged]
    sku_anomaly_count: int
    sku_anomalies: list[SkuAnomaly]
    daily: list[DailyPoint]
    outlook_weeks: list[OutlookWeek]
    outlook_months: list[OutlookMonth]


class ReportSummary(BaseModel):
    """The finance report of one period: one :class:`CurrencyReport` per money view."""

    model_config = ConfigDict(frozen=True)

    kind: str  # week, month, quarter
    label: str  # 2011-11, 2011-W47, 2011-Q4
    start: dt.date
    end: dt.date
    previous_label: str
    previous_start: dt.date
    previous_end: dt.date
    lang: str
    as_of: dt.date | None  # what was asked (None: the latest complete period)
    previous_as_of: dt.date  # ask this for the period before
    next_as_of: dt.date | None  # and this for the one after (None: this is the latest)
    reports: list[CurrencyReport]
    generated_at: dt.datetime


def _f(value: object) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _date(value: object) -> dt.date:
    return pd.Timestamp(value).date()  # type: ignore[arg-type]


def _lines(df: pd.DataFrame) -> list[StatementLine]:
    out = []
    for row in df.to_dict("records"):
        m = metrics.METRICS[row["metric"]]
        out.append(StatementLine(
            metric=row["metric"], label_en=m.label_en, label_zh=m.label_zh, unit=m.unit,
            higher_is_better=m.higher_is_better, indent=int(row.get("indent", 0) or 0),
            sign=int(row.get("sign", 1) or 1), current=_f(row["current"]),
            previous=_f(row["previous"]), change=_f(row["change"]),
            change_pct=_f(row["change_pct"]), year_ago=_f(row["year_ago"]),
            yoy_change=_f(row["yoy_change"]), yoy_pct=_f(row["yoy_pct"])))
    return out


def _currency_report(r: FinanceReport) -> CurrencyReport:
    v = r.variance
    effects = [VarianceStep(effect=str(e), label_en=EFFECT_LABELS.get(str(e), (e, e))[0],
                            label_zh=EFFECT_LABELS.get(str(e), (e, e))[1], amount=float(a))
               for e, a in v.effects.itertuples(index=False)]
    movers = []
    for dim, table in v.contributions.items():
        for row in table.head(MOVERS_PER_DIMENSION).to_dict("records"):
            movers.append(Mover(dimension=dim, group=str(row[dim]), previous=_f(row["previous"]),
                                current=_f(row["current"]), change=float(row["change"]),
                                share_of_change=_f(row.get("share_of_change"))))
    anomalies = []
    for a in r.alerts:
        m = metrics.METRICS[a.metric]
        anomalies.append(AnomalousDay(
            metric=a.metric, label_en=m.label_en, label_zh=m.label_zh, unit=m.unit, day=a.day,
            actual=a.actual, expected=a.expected, low=a.low, high=a.high,
            direction=a.direction, drivers=[{k: (_f(val) if k in ("actual", "usual", "change")
                                                 else str(val)) for k, val in d.items()}
                                            for d in a.drivers]))
    not_judged = [NotJudged(metric=f.metric, label_en=metrics.METRICS[f.metric].label_en,
                            label_zh=metrics.METRICS[f.metric].label_zh, kind=f.kind,
                            reason_en=f.reason_en, reason_zh=f.reason_zh) for f in r.findings]
    skus = [SkuAnomaly(sku=str(s["sku"]), actual=float(s["actual"]),
                       expected=float(s["expected"]), low=float(s["low"]), high=float(s["high"]),
                       z=_f(s.get("z")))
            for s in r.sku_alerts.head(SKU_ANOMALIES_SHOWN).to_dict("records")]
    daily = [DailyPoint(day=_date(d["day"]), net_revenue=_f(d.get("net_revenue")),
                        gross_profit=_f(d.get("gross_profit")), orders=_f(d.get("orders")))
             for d in r.daily.to_dict("records")]
    weeks = [OutlookWeek(week=_date(w["week"]), revenue=_f(w["revenue"]),
                         revenue_lo_80=_f(w["revenue_lo_80"]),
                         revenue_hi_80=_f(w["revenue_hi_80"]), purchases=_f(w["purchases"]),
                         net=_f(w["net"])) for w in r.cash.to_dict("records")]
    months = [OutlookMonth(metric=str(o["metric"]),
                           label_en=metrics.METRICS[str(o["metric"])].label_en,
                           label_zh=metrics.METRICS[str(o["metric"])].label_zh,
                           month=_date(o["month"]), yhat=_f(o["yhat"]), lo_80=_f(o["lo_80"]),
                           hi_80=_f(o["hi_80"]))
              for o in r.outlook_months.sort_values(["metric", "month"],
                                                    ascending=[False, True]).to_dict("records")]
    return CurrencyReport(
        currency=r.currency, money=r.money or r.currency, other_currencies=r.other_currencies,
        narrative=r.narrative.text, narrative_path=r.narrative.path, pnl=_lines(r.pnl),
        kpis=_lines(r.kpis), variance_metric=v.metric, total_previous=float(v.total_previous),
        total_current=float(v.total_current), change=float(v.change), effects=effects,
        movers=movers, anomalies=anomalies, not_judged=not_judged,
        sku_anomaly_count=len(r.sku_alerts), sku_anomalies=skus, daily=daily,
        outlook_weeks=weeks, outlook_months=months)


def _plan_stamp(wh: Warehouse) -> str:
    """The outlook sets revenue against the latest plan's purchases: a new plan changes it."""
    rows = wh.query("SELECT plan_id, created_at FROM replenishment_plans "
                    "ORDER BY created_at DESC, plan_id DESC LIMIT 1")
    return f"{rows[0][0]}:{rows[0][1]}" if rows else "-"


def _key(name: str, wh: Warehouse, period: str, lang: str, as_of: dt.date | str | None,
         report_currency: str, fx_rates: dict[str, float] | None) -> str:
    today = dt.date.today() if as_of is None else None  # the default period moves with today
    return f"finance.{name}:" + json.dumps(
        [period, lang, str(as_of), str(today), report_currency.upper(),
         sorted((fx_rates or {}).items()), _plan_stamp(wh)])


def _check(period: str, lang: str) -> None:
    if period not in PERIODS:
        raise metrics.MetricError(f"period must be one of {', '.join(PERIODS)}")
    check_report_options(lang)


def cached_reports(wh: Warehouse, period: str = "month", *, lang: str = "en",
                   as_of: dt.date | str | None = None, report_currency: str = "",
                   fx_rates: dict[str, float] | None = None) -> list[FinanceReport]:
    """:func:`build_reports` (template narrative) computed once per data version and plan:
    the screen's summary and the downloadable files read the same computation. Read-only."""
    _check(period, lang)
    key = _key("reports", wh, period, lang, as_of, report_currency, fx_rates)
    return metrics.cached(wh, key, lambda: build_reports(
        wh, period, lang=lang, as_of=as_of, report_currency=report_currency, fx_rates=fx_rates))


def _next_as_of(wh: Warehouse, period: str, end: dt.date) -> dt.date | None:
    latest = last_complete_period(wh, period)
    if end >= latest.end:
        return None
    after = pd.Timestamp(end + dt.timedelta(days=1)).to_period(_PANDAS_PERIOD[period])
    return after.end_time.date()


def _summary(wh: Warehouse, period: str, lang: str, as_of: dt.date | str | None,
             report_currency: str, fx_rates: dict[str, float] | None) -> ReportSummary:
    built = cached_reports(wh, period, lang=lang, as_of=as_of, report_currency=report_currency,
                           fx_rates=fx_rates)
    first = built[0]
    p, prev = first.period, first.previous
    return ReportSummary(
        kind=p.kind, label=p.label, start=p.start, end=p.end, previous_label=prev.label,
        previous_start=prev.start, previous_end=prev.end, lang=lang,
        as_of=pd.Timestamp(str(as_of)).date() if as_of is not None else None,
        previous_as_of=prev.end, next_as_of=_next_as_of(wh, period, p.end),
        reports=[_currency_report(r) for r in built], generated_at=first.generated_at)


def report_summary(wh: Warehouse, period: str = "month", *, lang: str = "en",
                   as_of: dt.date | str | None = None, report_currency: str = "",
                   fx_rates: dict[str, float] | None = None,
                   wait: bool = True) -> ReportSummary | None:
    """The finance report of the last complete ``period`` (week, month, quarter) up to
    ``as_of`` (default: the last day of trading) as typed data: one report per currency, or
    one with every amount converted at ``fx_rates``. Computed once per data version and plan
    (it forecasts the outlook, so the first call takes seconds); ``wait=False`` returns None
    instead of computing when it is not computed yet."""
    _check(period, lang)
    key = _key("report_summary", wh, period, lang, as_of, report_currency, fx_rates)
    if not wait:
        return metrics.peek(wh, key)
    return metrics.cached(wh, key, lambda: _summary(wh, period, lang, as_of, report_currency,
                                                    fx_rates))


# -- charts --------------------------------------------------------------------------------------
def report_charts(wh: Warehouse, period: str = "month", *, lang: str = "en",
                  as_of: dt.date | str | None = None, report_currency: str = "",
                  fx_rates: dict[str, float] | None = None) -> list[dict[str, dict[str, Any]]] | None:
    """:func:`summary_charts` of every currency's report in :func:`report_summary`, built once
    per data version and plan (Plotly figures take tens of milliseconds to build, and a page
    shows them on every visit); None while the summary is not computed yet. Read-only."""
    summary = report_summary(wh, period, lang=lang, as_of=as_of,
                             report_currency=report_currency, fx_rates=fx_rates, wait=False)
    if summary is None:
        return None
    key = _key("report_charts", wh, period, lang, as_of, report_currency, fx_rates)
    return metrics.cached(wh, key, lambda: [summary_charts(r, lang) for r in summary.reports])


def _fig(fig: go.Figure) -> dict[str, Any]:
    return json.loads(fig.to_json())


def summary_charts(report: CurrencyReport, lang: str = "en") -> dict[str, dict[str, Any]]:
    """Plotly figures (as JSON-able dicts) for one currency's report: ``waterfall`` (last
    period's net revenue, each effect, this period's), ``daily`` (net revenue per day, this
    period against the one before) and, when there is one, ``outlook`` (forecast revenue and
    its 80% range against planned purchases)."""
    zh = lang == "zh"
    labels = ["上期" if zh else "previous"] + [s.label_zh if zh else s.label_en
                                              for s in report.effects] + ["本期" if zh else
                                                                           "current"]
    waterfall = go.Figure(go.Waterfall(
        x=labels, y=[report.total_previous] + [s.amount for s in report.effects]
        + [report.total_current],
        measure=["absolute"] + ["relative"] * len(report.effects) + ["total"],
        increasing={"marker": {"color": "#2ca02c"}}, decreasing={"marker": {"color": "#d62728"}},
        totals={"marker": {"color": "#1f77b4"}}, connector={"line": {"color": "#c0c4cc"}},
        hovertemplate="%{x}: %{y:,.2f} " + report.currency + "<extra></extra>"))
    waterfall.update_layout(title=("净收入变化的来源" if zh else "What moved net revenue")
                            + f" ({report.currency})", height=320, showlegend=False)
    days = [p.day.isoformat() for p in report.daily]
    daily = go.Figure(go.Scatter(x=days, y=[p.net_revenue for p in report.daily],
                                 mode="lines", name="净收入" if zh else "net revenue",
                                 line={"color": "#1f77b4"}))
    marked = [a for a in report.anomalies if a.metric == "net_revenue"]
    if marked:
        daily.add_trace(go.Scatter(x=[a.day.isoformat() for a in marked],
                                   y=[a.actual for a in marked], mode="markers",
                                   name="异常" if zh else "anomaly",
                                   marker={"color": "#d62728", "size": 10}))
    daily.update_layout(title="每日净收入" if zh else "Daily net revenue", height=300)
    charts = {"waterfall": _fig(waterfall), "daily": _fig(daily)}
    if report.outlook_weeks:
        weeks = [w.week.isoformat() for w in report.outlook_weeks]
        ahead = go.Figure()
        ahead.add_trace(go.Bar(x=weeks, y=[w.purchases for w in report.outlook_weeks],
                               name="计划采购" if zh else "planned purchases",
                               marker={"color": "#ff7f0e"}))
        for attr, name, style in (
                ("revenue", "预测净收入" if zh else "forecast net revenue",
                 {"color": "#1f77b4", "width": 2}),
                ("revenue_lo_80", "80% 下限" if zh else "80% low",
                 {"color": "#9ecae1", "dash": "dot"}),
                ("revenue_hi_80", "80% 上限" if zh else "80% high",
                 {"color": "#9ecae1", "dash": "dot"})):
            ahead.add_trace(go.Scatter(x=weeks, y=[getattr(w, attr) for w in
                                                   report.outlook_weeks],
                                       mode="lines", name=name, line=style))
        ahead.update_layout(title="未来几周：收入预测与采购" if zh else
                            "Weeks ahead: forecast revenue and purchases", height=320)
        charts["outlook"] = _fig(ahead)
    return charts
