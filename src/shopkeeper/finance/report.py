"""The periodic finance report: P&L, KPIs, why it changed, anomalies, and a written narrative,
as self-contained HTML, PDF and XLSX."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from shopkeeper import metrics
from shopkeeper.finance.anomalies import (
    DAILY_METRICS,
    Alert,
    Finding,
    check_anomalies,
    sku_anomalies,
)
from shopkeeper.finance.narrative import LANGS, Fact, Narrative, checked_narrative, fmt
from shopkeeper.finance.outlook import (
    OutlookCheck,
    cash_view,
    planned_purchases,
    revenue_outlook,
)
from shopkeeper.finance.statements import (
    Period,
    kpi_pack,
    last_activity_day,
    last_complete_period,
    one_money,
    pnl,
    previous_period,
)
from shopkeeper.finance.variance import Variance, explain_change
from shopkeeper.reports import documents
from shopkeeper.store import Warehouse

FORMATS = ("html", "pdf", "xlsx")
WATCH_THRESHOLD = 0.05


@dataclass
class FinanceReport:
    """Everything a report shows, computed once; render it with :func:`write_report`."""

    period: Period
    previous: Period
    lang: str
    currency: str
    pnl: pd.DataFrame
    kpis: pd.DataFrame
    variance: Variance
    alerts: list[Alert]
    sku_alerts: pd.DataFrame
    daily: pd.DataFrame
    outlook: pd.DataFrame
    outlook_months: pd.DataFrame
    cash: pd.DataFrame
    facts: dict[str, Fact]
    narrative: Narrative
    findings: list[Finding] = field(default_factory=list)
    money: str = ""  # the amounts' currency, and the rates used: "USD (converted at …)"
    other_currencies: list[str] = field(default_factory=list)  # reported apart, not added
    generated_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    outlook_check: OutlookCheck | None = None  # how far the outlook was off when last checked


def period_label(period: Period, lang: str) -> str:
    if lang == "zh":
        if period.kind == "month":
            return f"{period.start.year}年{period.start.month}月"
        if period.kind == "quarter":
            return f"{period.start.year}年第{(period.start.month - 1) // 3 + 1}季度"
        return f"{period.start.year}年第{period.start.isocalendar()[1]}周"
    if period.kind == "month":
        return f"{period.start:%B %Y}"
    if period.kind == "quarter":
        return f"Q{(period.start.month - 1) // 3 + 1} {period.start.year}"
    return f"the week of {period.start:%d %b %Y}"


def report_money(warehouse: Warehouse, report_currency: str = "",
                 fx_rates: dict[str, float] | None = None) -> list[metrics.Money]:
    """How the store's money is reported: with ``fx_rates``, one report with every amount
    converted into ``report_currency`` (default: the most used currency); else one report per
    currency the store sells in (never added up)."""
    converted = metrics.converted_money(warehouse, report_currency, fx_rates)
    return [converted] if converted else [metrics.Money(c) for c in metrics.currencies(warehouse)]


def build_reports(
    warehouse: Warehouse,
    period: str | Period = "month",
    *,
    lang: str = "en",
    as_of: dt.date | str | None = None,
    rewrite: Callable[[str, str], str] | None = None,
    report_currency: str = "",
    fx_rates: dict[str, float] | None = None,
) -> list[FinanceReport]:
    """The report of each of :func:`report_money`'s views: one converted report, or one per
    currency; see :func:`build_report`."""
    views = report_money(warehouse, report_currency, fx_rates)
    if not views:
        raise metrics.MetricError("no orders in the warehouse; load some first")
    several = len(views) > 1
    if several:  # a currency with no money moving in the period gets no report
        if not isinstance(period, Period):
            period = last_complete_period(warehouse, period, as_of)
        active = metrics.query(
            warehouse, ["gmv", "refunds", "ad_spend", "fees", "logistics", "other_expenses"],
            by="currency", start=previous_period(period).start, end=period.end).df
        moving = set(active.loc[active.drop(columns="currency").fillna(0).ne(0).any(axis=1),
                                "currency"])
        views = [m for m in views if m.currency in moving] or views[:1]
    return [build_report(warehouse, period, lang=lang, as_of=as_of, rewrite=rewrite,
                         money=money if several or money.converts else None)
            for money in views]


def build_report(
    warehouse: Warehouse,
    period: str | Period = "month",
    *,
    lang: str = "en",
    as_of: dt.date | str | None = None,
    rewrite: Callable[[str, str], str] | None = None,
    money: metrics.Money | None = None,
) -> FinanceReport:
    """Compute the report for the last complete ``period`` (week, month, quarter) up to
    ``as_of``, or for a given :class:`Period`. ``rewrite`` is an optional model pass over the
    narrative; its text is kept only if every number in it is a computed fact. ``money``:
    one currency, or every amount converted at given rates (needed when the store sells in
    several currencies: see :func:`build_reports`)."""
    check_report_options(lang)
    money = one_money(warehouse, money)
    if money is None and (code := _currency(warehouse)):  # one currency: read it by name
        money = metrics.Money(code)
    if not isinstance(period, Period):
        period = last_complete_period(warehouse, period, as_of)
    previous = previous_period(period)
    statement = pnl(warehouse, period, money)
    kpis = kpi_pack(warehouse, period, money)
    variance = explain_change(warehouse, period, previous, money=money)
    check = check_anomalies(warehouse, period.start, period.end, money=money)
    skus = sku_anomalies(warehouse, period, money=money)
    daily = metrics.query(warehouse, ["net_revenue", "gross_profit", "orders"], by="day",
                          start=previous.start, end=period.end, money=money).df
    currency = money.currency if money else _currency(warehouse)
    others = ([c for c in metrics.currencies(warehouse) if c != currency]
              if money is not None and not money.converts else [])
    last_day = last_activity_day(warehouse)
    today = min(last_day, pd.Timestamp(str(as_of)).date()) if as_of and last_day else last_day
    outlook, outlook_months, outlook_check = revenue_outlook(warehouse, today, money=money)
    cash = cash_view(outlook, planned_purchases(warehouse, money))
    facts = report_facts(period, previous, statement, kpis, variance, check.alerts, currency)
    facts.update(outlook_facts(cash, outlook_check))
    facts["sku_anomaly_count"] = Fact(float(len(skus)), "count")
    facts.update(finding_facts(check.findings))
    unjudged = {f.metric for f in check.findings if f.kind in ("cannot_compute", "short_history")}
    facts["judged_count"] = Fact(float(len(DAILY_METRICS) - len(unjudged)), "count")
    if money is not None and money.converts:
        facts["fx_rates"] = Fact(money.rates_text(), "text")
    if others:
        facts["other_currencies"] = Fact(", ".join(others), "text")
    narrative = checked_narrative(facts, lang, rewrite)
    return FinanceReport(period, previous, lang, currency, statement, kpis, variance,
                         check.alerts, skus, daily, outlook, outlook_months, cash, facts,
                         narrative, check.findings,
                         money.describe() if money else currency, others,
                         outlook_check=outlook_check)


def finding_facts(findings: list[Finding]) -> dict[str, Fact]:
    """What the anomaly check could not judge, by metric label and kind (no numbers)."""
    facts: dict[str, Fact] = {}
    for i, f in enumerate(findings):
        m = metrics.METRICS[f.metric]
        facts[f"finding_{i}_kind"] = Fact(f.kind, "text")
        facts[f"finding_{i}_label_en"] = Fact(m.label_en, "text")
        facts[f"finding_{i}_label_zh"] = Fact(m.label_zh, "text")
    return facts


def outlook_facts(cash: pd.DataFrame, check: OutlookCheck | None = None,
                  weeks: int = 4) -> dict[str, Fact]:
    """The next ``weeks`` weeks' forecast revenue, its 80% range and planned purchases, and
    how far the same forecaster was off in its last backtest window."""
    if cash.empty:
        return {}
    head = cash.head(weeks)
    facts = {}
    if check is not None and check.actual > 0:
        facts = {
            "outlook_check_error": Fact(check.error, "ratio"),
            "outlook_check_days": Fact(float(check.days), "count"),
            "outlook_check_end": Fact(check.end, "date"),
            "outlook_check_forecast": Fact(check.forecast, "money"),
            "outlook_check_actual": Fact(check.actual, "money"),
        }
    return facts | {
        "outlook_level": Fact(0.8, "ratio"),
        "outlook_weeks": Fact(float(len(head)), "count"),
        "outlook_start": Fact(head["week"].iloc[0].date(), "date"),
        "outlook_revenue": Fact(float(head["revenue"].sum()), "money"),
        "outlook_lo": Fact(float(head["revenue_lo_80"].sum()), "money"),
        "outlook_hi": Fact(float(head["revenue_hi_80"].sum()), "money"),
        "outlook_purchases": Fact(float(head["purchases"].sum()), "money"),
    }


def _currency(warehouse: Warehouse) -> str:
    rows = warehouse.query("SELECT currency, count(*) FROM orders GROUP BY 1 ORDER BY 2 DESC")
    return str(rows[0][0]) if rows and rows[0][0] else ""


def report_facts(period: Period, previous: Period, statement: pd.DataFrame, kpis: pd.DataFrame,
                 variance: Variance, alerts: list[Alert], currency: str) -> dict[str, Fact]:
    """The numbers (and names) the narrative may state, each computed, none typed in."""
    facts: dict[str, Fact] = {"currency": Fact(currency, "text")}
    for lang in ("en", "zh"):
        facts[f"_period_label_{lang}"] = Fact(period_label(period, lang), "text")
        facts[f"_prev_label_{lang}"] = Fact(period_label(previous, lang), "text")
    facts["period_start"], facts["period_end"] = Fact(period.start, "date"), Fact(period.end, "date")
    rows = pd.concat([statement, kpis]).drop_duplicates("metric").set_index("metric")
    for name, row in rows.iterrows():
        unit = metrics.METRICS[str(name)].unit
        if pd.isna(row["current"]):  # cannot be known (a margin without costs): not a fact
            continue
        facts[str(name)] = Fact(float(row["current"]), unit)
        for col, key in (("previous", "prev"), ("change_pct", "change_pct"),
                         ("yoy_pct", "yoy_pct")):
            if pd.notna(row[col]):
                facts[f"{name}_{key}"] = Fact(float(row[col]),
                                              "ratio" if key != "prev" else unit)
    facts["change"] = Fact(variance.change, "money")
    for effect, amount in variance.effects.itertuples(index=False):
        facts[f"effect_{effect}"] = Fact(float(amount), "money")
    # a dimension with a single group (one category, one channel) explains nothing
    movers = pd.concat([t.rename(columns={dim: "group"}).assign(dimension=dim)
                        for dim, t in variance.contributions.items() if len(t) > 1]
                       or [pd.DataFrame(columns=["group", "change"])])
    movers = movers[movers["change"] != 0].reset_index(drop=True)
    movers = movers.loc[movers["change"].abs().sort_values(ascending=False).index].head(3)
    for i, row in enumerate(movers.itertuples()):
        facts[f"mover_{i}"] = Fact(float(row.change), "money")
        facts[f"mover_{i}_name"] = Fact(f"{row.group}", "text")
    facts["anomaly_count"] = Fact(float(len(alerts)), "count")
    for i, alert in enumerate(sorted(alerts, key=lambda a: -abs(a.size) / max(
            a.high - a.low, 1e-9))[:3]):
        m = metrics.METRICS[alert.metric]
        facts[f"anomaly_{i}_label_en"] = Fact(m.label_en, "text")
        facts[f"anomaly_{i}_label_zh"] = Fact(m.label_zh, "text")
        facts[f"anomaly_{i}_unit"] = Fact(m.unit, "text")
        facts[f"anomaly_{i}_day"] = Fact(alert.day, "date")
        for key in ("actual", "expected", "low", "high"):
            facts[f"anomaly_{i}_{key}"] = Fact(getattr(alert, key), m.unit)
    facts["watch_threshold"] = Fact(WATCH_THRESHOLD, "ratio")
    worse = kpis[kpis["change_pct"].notna()].copy()
    worse["harm"] = worse["change_pct"].where(~worse["higher_is_better"], -worse["change_pct"])
    worse = worse[worse["harm"] > WATCH_THRESHOLD].sort_values("harm", ascending=False).head(3)
    for i, row in enumerate(worse.itertuples()):
        facts[f"watch_{i}"] = Fact(float(row.change_pct), "ratio")
        facts[f"watch_{i}_label_en"] = Fact(row.label_en, "text")
        facts[f"watch_{i}_label_zh"] = Fact(row.label_zh, "text")
    return facts


# -- charts --------------------------------------------------------------------------------------
def report_charts(report: FinanceReport) -> dict[str, go.Figure]:
    zh = report.lang == "zh"
    daily = report.daily.copy()
    in_period = daily["day"].dt.date >= report.period.start
    cur, prev = daily[in_period], daily[~in_period]
    trend = go.Figure()
    trend.add_trace(go.Scatter(x=cur["day"], y=cur["net_revenue"], mode="lines",
                               name=period_label(report.period, report.lang),
                               line={"color": "#1f77b4"}))
    shift = pd.Timestamp(report.period.start) - pd.Timestamp(report.previous.start)
    trend.add_trace(go.Scatter(x=prev["day"] + shift, y=prev["net_revenue"], mode="lines",
                               name=period_label(report.previous, report.lang),
                               line={"color": "#aaaaaa"}))
    flagged = [a for a in report.alerts if a.metric == "net_revenue"]
    if flagged:
        trend.add_trace(go.Scatter(x=[pd.Timestamp(a.day) for a in flagged],
                                   y=[a.actual for a in flagged], mode="markers",
                                   name="异常" if zh else "anomaly",
                                   marker={"color": "#d62728", "size": 10}))
    trend.update_layout(title="每日净收入" if zh else "Daily net revenue",
                        template="plotly_white", height=320, margin={"t": 40, "b": 30})

    v = report.variance
    steps = [("上期" if zh else "previous", v.total_previous)] + [
        (_effect_label(e, zh), a) for e, a in v.effects.itertuples(index=False)]
    bases, running = [], 0.0
    for i, (_, amount) in enumerate(steps):
        bases.append(0.0 if i == 0 else (running if amount >= 0 else running + amount))
        running = amount if i == 0 else running + amount
    labels = [s for s, _ in steps] + ["本期" if zh else "current"]
    values = [abs(a) for _, a in steps] + [v.total_current]
    colors = ["#7f7f7f"] + ["#2ca02c" if a >= 0 else "#d62728" for _, a in steps[1:]] + [
        "#1f77b4"]
    bridge = go.Figure(go.Bar(x=labels, y=values, base=bases + [0.0], marker={"color": colors},
                              name=""))
    bridge.update_layout(title="净收入变化的来源" if zh else "What moved net revenue",
                         template="plotly_white", height=320, showlegend=False,
                         margin={"t": 40, "b": 30})

    movers = v.contributions["sku"].head(10).iloc[::-1]
    top = go.Figure(go.Bar(x=movers["change"], y=movers["sku"].astype(str), orientation="h",
                           marker={"color": ["#2ca02c" if c >= 0 else "#d62728"
                                             for c in movers["change"]]}, name=""))
    top.update_layout(title="变化最大的商品" if zh else "SKUs that moved most",
                      template="plotly_white", height=340, showlegend=False,
                      margin={"t": 40, "b": 30})
    charts = {"trend": trend, "bridge": bridge, "movers": top}
    if not report.cash.empty:
        c = report.cash
        ahead = go.Figure()
        ahead.add_trace(go.Bar(x=c["week"], y=c["purchases"], name="计划采购" if zh else
                               "planned purchases", marker={"color": "#ff7f0e"}))
        for col, name, style in (("revenue", "预测净收入" if zh else "forecast net revenue",
                                  {"color": "#1f77b4", "width": 2}),
                                 ("revenue_lo_80", "80% 下限" if zh else "80% low",
                                  {"color": "#9ecae1", "dash": "dot"}),
                                 ("revenue_hi_80", "80% 上限" if zh else "80% high",
                                  {"color": "#9ecae1", "dash": "dot"})):
            ahead.add_trace(go.Scatter(x=c["week"], y=c[col], mode="lines", name=name,
                                       line=style))
        ahead.update_layout(title="未来几周：收入预测与采购" if zh else
                            "Weeks ahead: forecast revenue and purchases",
                            template="plotly_white", height=320, margin={"t": 40, "b": 30})
        charts["outlook"] = ahead
    return charts


def _effect_label(effect: str, zh: bool) -> str:
    return ({"volume": "销量", "mix": "结构", "price": "价格", "refunds": "退款"} if zh else
            {"volume": "volume", "mix": "mix", "price": "price", "refunds": "refunds"})[effect]


# -- writing -------------------------------------------------------------------------------------
def report_tables(report: FinanceReport) -> dict[str, pd.DataFrame]:
    """The report's tables as they go to the XLSX."""
    alerts = pd.DataFrame([{
        "metric": a.metric, "day": a.day, "actual": a.actual, "expected": a.expected,
        "low": a.low, "high": a.high, "size": a.size,
        "drivers": "; ".join(f"{d['dimension']}={d['group']} ({d['change']:+,.2f})"
                             for d in a.drivers)} for a in report.alerts],
        columns=["metric", "day", "actual", "expected", "low", "high", "size", "drivers"])
    daily = report.daily.assign(day=report.daily["day"].dt.date)
    def with_currency(df: pd.DataFrame) -> pd.DataFrame:
        """Each money row says its currency (ratios and counts have none)."""
        money = df["metric"].map(lambda m: metrics.METRICS[m].unit == "money")
        return df.assign(currency=money.map({True: report.currency, False: ""}))

    tables = {"P&L": with_currency(report.pnl), "KPIs": with_currency(report.kpis),
              "variance": report.variance.effects.assign(currency=report.currency)}
    for dim, t in report.variance.contributions.items():
        tables[f"by {dim}"] = t
    tables["anomalies"] = alerts
    tables["not judged"] = pd.DataFrame(
        [{"metric": f.metric, "kind": f.kind, "reason": f.reason_en,
          "days": ", ".join(map(str, f.days))} for f in report.findings],
        columns=["metric", "kind", "reason", "days"])
    tables["SKU anomalies"] = report.sku_alerts
    tables["daily"] = daily.assign(currency=report.currency)
    for name, df, col in (("outlook by week", report.outlook, "week"),
                          ("outlook by month", report.outlook_months, "month"),
                          ("cash", report.cash, "week")):
        tables[name] = df.assign(**{col: pd.to_datetime(df[col]).dt.date},
                                 currency=report.currency)
    tables["about"] = pd.DataFrame({
        "item": ["period", "start", "end", "compared with", "currency", "money",
                 "other currencies (reported apart)", "narrative", "rejected numbers",
                 "generated at"],
        "value": [report.period.label, str(report.period.start), str(report.period.end),
                  report.previous.label, report.currency, report.money,
                  ", ".join(report.other_currencies), report.narrative.path,
                  ", ".join(report.narrative.rejected_numbers),
                  report.generated_at.isoformat(timespec="seconds")]})
    return tables


def _context(report: FinanceReport) -> dict:
    zh = report.lang == "zh"

    def cell(value: float, unit: str) -> str:
        if pd.isna(value):
            return ""
        return fmt(value, unit)

    def change(value: float) -> str:
        return "" if pd.isna(value) else f"{value:+.1%}"

    def rows(df: pd.DataFrame) -> list[dict]:
        out = []
        for r in df.itertuples():
            unit = metrics.METRICS[r.metric].unit
            out.append({"label": r.label_zh if zh else r.label_en,
                        "indent": getattr(r, "indent", 0), "current": cell(r.current, unit),
                        "previous": cell(r.previous, unit), "change_pct": change(r.change_pct),
                        "year_ago": cell(r.year_ago, unit), "yoy_pct": change(r.yoy_pct),
                        "bold": getattr(r, "indent", 1) == 0})
        return out

    return {
        "lang": report.lang, "zh": zh, "title": ("经营报告 · " if zh else "Business report · ")
        + period_label(report.period, report.lang),
        "period": report.period, "previous": report.previous, "currency": report.currency,
        "money": report.money, "other_currencies": ", ".join(report.other_currencies),
        "findings": [{"metric": (metrics.METRICS[f.metric].label_zh if zh
                                 else metrics.METRICS[f.metric].label_en),
                      "reason": f.reason_zh if zh else f.reason_en} for f in report.findings],
        "narrative": report.narrative.text.split("\n\n"), "narrative_path": report.narrative.path,
        "pnl_rows": rows(report.pnl), "kpi_rows": rows(report.kpis),
        "alerts": [{"metric": (metrics.METRICS[a.metric].label_zh if zh
                               else metrics.METRICS[a.metric].label_en),
                    "day": a.day, "actual": cell(a.actual, metrics.METRICS[a.metric].unit),
                    "range": f"{cell(a.low, metrics.METRICS[a.metric].unit)} – "
                             f"{cell(a.high, metrics.METRICS[a.metric].unit)}",
                    "drivers": ", ".join(f"{d['group']} ({d['change']:+,.2f})"
                                         for d in a.drivers[:3])} for a in report.alerts],
        "sku_alerts": [{"sku": r.sku, "actual": f"{r.actual:,.0f}",
                        "expected": f"{r.expected:,.0f}",
                        "range": f"{r.low:,.0f} – {r.high:,.0f}", "z": f"{r.z:+.1f}"}
                       for r in report.sku_alerts.head(15).itertuples()],
        "sku_alert_count": len(report.sku_alerts),
        "months_ahead": [
            {"month": (f"{r.month.year}年{r.month.month}月" if zh else f"{r.month:%B %Y}"),
             "metric": metrics.METRICS[r.metric].label_zh if zh else
             metrics.METRICS[r.metric].label_en,
             "yhat": fmt(r.yhat, "money"),
             "range": f"{fmt(r.lo_80, 'money')} – {fmt(r.hi_80, 'money')}"}
            for r in report.outlook_months.sort_values(["metric", "month"],
                                                       ascending=[False, True]).itertuples()],
        "generated_at": report.generated_at.strftime("%Y-%m-%d %H:%M UTC"),
    }


def check_report_options(lang: str = "en", formats: tuple[str, ...] = FORMATS) -> None:
    """Refuse an unknown language or format before any work is done."""
    if lang not in LANGS:
        raise metrics.MetricError(f"language must be one of {', '.join(LANGS)}, not {lang!r}")
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise metrics.MetricError(f"unknown format {unknown[0]!r}; choose from "
                                  f"{', '.join(FORMATS)}")


def write_report(report: FinanceReport, out_dir: str | Path,
                 formats: tuple[str, ...] = FORMATS) -> dict[str, Path]:
    """Write the report as ``report-<period>-<lang>.<html|pdf|xlsx>`` in ``out_dir`` and a
    ``.json`` with its facts and the narrative's path. Returns the files by format."""
    check_report_options(report.lang, formats)
    out = Path(out_dir)
    stem = f"report-{report.period.label}-{report.lang}"
    if report.other_currencies:  # one report per currency: each file says which
        stem += f"-{report.currency}"
    charts = report_charts(report)
    context = _context(report)
    written: dict[str, Path] = {}
    if "html" in formats:
        html = documents.render_html("shopkeeper.finance", "report.html", context, charts)
        written["html"] = documents.write_text(html, out / f"{stem}.html")
    if "pdf" in formats:
        html = documents.render_html("shopkeeper.finance", "report.html", context, charts,
                                     static=True)
        written["pdf"] = documents.write_pdf(html, out / f"{stem}.pdf")
    if "xlsx" in formats:
        written["xlsx"] = documents.write_xlsx(report_tables(report), out / f"{stem}.xlsx")
    facts = {k: (str(f.value) if isinstance(f.value, dt.date) else f.value)
             for k, f in report.facts.items()}
    written["json"] = documents.write_text(json.dumps({
        "period": report.period.label, "narrative_path": report.narrative.path,
        "rejected_numbers": report.narrative.rejected_numbers, "narrative": report.narrative.text,
        "facts": facts}, ensure_ascii=False, indent=1, default=float), out / f"{stem}.json")
    return written


# -- scheduling ----------------------------------------------------------------------------------
def cron_line(period: str, lang: str, out_dir: Path, formats: list[str],
              config: Path | None = None, warehouse: Path | None = None) -> str:
    """A crontab line that writes the report at 07:00 after each period ends (Mondays for
    weeks, the 1st for months, the 1st of Jan/Apr/Jul/Oct for quarters)."""
    import shlex
    import shutil
    import sys

    when = {"week": "0 7 * * 1", "month": "0 7 1 * *", "quarter": "0 7 1 1,4,7,10 *"}
    if period not in when:
        raise metrics.MetricError("period must be week, month or quarter")
    exe = shutil.which("shopkeeper") or f"{sys.executable} -m shopkeeper.cli"
    args = [f"--period {period}", f"--lang {lang}", f"--out {shlex.quote(str(out_dir))}",
            f"--format {','.join(formats)}"]
    cfg = "".join(f"--{name} {shlex.quote(str(Path(value).resolve()))} "
                  for name, value in (("config", config), ("warehouse", warehouse)) if value)
    return (f"{when[period]} cd {shlex.quote(str(Path.cwd()))} && {exe} {cfg}report "
            + " ".join(args) + " >> " + shlex.quote(str(out_dir / "report.log")) + " 2>&1")


def install_cron_line(line: str) -> None:
    """Append ``line`` to the user's crontab (once)."""
    import shutil
    import subprocess

    if shutil.which("crontab") is None:
        raise metrics.MetricError("no crontab command on this machine; add the line printed "
                                  "by 'shopkeeper report --schedule' to your scheduler")
    current = subprocess.run(["crontab", "-l"], capture_output=True, text=True)
    existing = current.stdout if current.returncode == 0 else ""
    if line in existing.splitlines():
        return
    new = existing + ("" if existing.endswith("\n") or not existing else "\n") + line + "\n"
    subprocess.run(["crontab", "-"], input=new, text=True, check=True)
