"""Run a read question on the warehouse and write the answer: a number or a table, one
sentence in the question's language whose every number comes from the result, the
definitions used, and the queries that computed it."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from shopkeeper import metrics
from shopkeeper.ask.periods import ZH_WEEKDAY_CHARS, Period
from shopkeeper.ask.query import AskQuery, summable
from shopkeeper.ask.vocabulary import Vocabulary
from shopkeeper.metrics import DIMENSIONS, METRICS, WEEKDAYS
from shopkeeper.store import Warehouse

KINDS = ("number", "table", "ask_back", "refused")
SALE_DEFINITION = {
    "en": "A sale is an order that is not cancelled and has a value; refunds count on the day "
          "they were paid.",
    "zh": "销售指未取消且金额不为零的订单；退款计入退款支付当天。",
}


@dataclass
class Answer:
    """What ``shopkeeper ask`` returns, in every face (see ``docs/ask.md`` for the JSON)."""

    kind: str
    text: str
    question: str = ""
    language: str = "en"
    value: float | None = None
    previous: float | None = None
    change_pct: float | None = None
    unit: str = ""
    currency: str = ""
    columns: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    choices: list[str] = field(default_factory=list)
    definitions: list[str] = field(default_factory=list)
    metric_query: dict[str, Any] | None = None
    sql: str = ""
    as_of: str = ""
    source: str = "reader"  # reader, model, or sql (read-only SQL from a model)
    chart: dict[str, Any] | None = None  # {"type": "bar"|"line", "x": column, "y": column}

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["rows"] = [[_json_value(v) for v in row] for row in self.rows]
        return out

    def frame(self) -> pd.DataFrame:
        """The answer as a table (one row for a number), for CSV/XLSX export."""
        if self.kind == "table":
            return pd.DataFrame(self.rows, columns=self.columns)
        if self.kind == "number":
            return pd.DataFrame([{"value": self.value, "previous": self.previous,
                                  "change_pct": self.change_pct, "unit": self.unit,
                                  "currency": self.currency}])
        return pd.DataFrame({"choices": self.choices})

    def write_chart(self, path: str | Path) -> Path | None:
        """The table as a self-contained HTML chart (bars, or a line over time); None when
        the answer has no chart (a number, or a table of one row)."""
        from shopkeeper.reports import table_chart, write_html

        if not self.chart or self.kind != "table":
            return None
        fig = table_chart(self.text, self.frame(), self.chart["x"], self.chart["y"],
                          self.chart["type"])
        return write_html(fig, path)


def _json_value(v: Any) -> Any:
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    if isinstance(v, pd.Timestamp | dt.date):
        return v.isoformat()[:10]
    if hasattr(v, "item"):
        return v.item()
    return v


def run(warehouse: Warehouse, q: AskQuery, vocab: Vocabulary, *, as_of: dt.date,
        money: metrics.Money | None = None, question: str = "") -> Answer:
    """Compute the answer to a read question."""
    lang = q.language
    if q.also_in is not None:
        return _customers_also_in(warehouse, q, vocab, as_of, question)
    if q.not_in is not None:
        return _customers_not_in(warehouse, q, vocab, as_of, money, question)
    if q.rank_by and isinstance(q.compare, str) and (span := _compared_span(q)):
        # ranked by change: each group against itself in the other period (see _compare_frames)
        q = replace(q, compare=Period(*span, _compare_label(q, "en"), _compare_label(q, "zh")))
    whole: dict[str, tuple[str, ...]] = {}
    if q.share and q.name_words and q.filters.get("sku"):
        # "of the alarm clocks, the red one's share": the whole is the products the words name
        named_only, titles = _resolve_names(warehouse, replace(q, filters={}))
        whole = {**named_only.filters, **titles}
    elif q.share and q.whole_dims:  # "23298的件数里，英国以外占几成": 23298's units
        whole = {d: q.filters[d] for d in q.whole_dims if d in q.filters}
    q, named = _resolve_names(warehouse, q)
    left_out = _titles_with(warehouse, q.exclude_words)
    if "sku" in q.filters and not q.filters["sku"]:
        return _no_data(q, question, as_of, lang)
    if q.filters.get("order"):
        numbers = list(q.filters["order"])
        if not warehouse.query("SELECT order_id FROM orders WHERE order_id IN (SELECT unnest(?))",
                               [numbers]):
            return _no_data(q, question, as_of, lang, orders=tuple(numbers))
    base = [m for m in q.metrics if m in METRICS]
    extra = {m: vocab.extra_metrics[m] for m in q.metrics if m not in METRICS}
    needed = list(dict.fromkeys([*base, *_extra_inputs(extra)]))
    compare = q.compare if isinstance(q.compare, str) else None
    common = dict(by=q.by, filters={**q.filters, **named},
                  exclude={**q.exclude, **({"title": left_out} if left_out else {})}, money=money)
    picked = ""
    if q.whole_orders:
        common["filters"], picked = _orders_holding(warehouse, q, common["filters"])
        if not common["filters"]["order"]:
            return _no_data(q, question, as_of, lang)
    result = metrics.query(warehouse, needed, start=q.period.start, end=q.period.end,
                           compare=compare if not q.period.is_all else None, **common)
    df = _with_extra(result.df, extra, compare is not None)
    sqls = [picked + result.sql_with_params()]
    if isinstance(q.compare, Period):
        other = metrics.query(warehouse, needed, start=q.compare.start, end=q.compare.end,
                              **common)
        sqls.append(other.sql_with_params())
        prev = _with_extra(other.df, extra, False)
        df = _compare_frames(df, prev, q)
    elif q.other_side:  # the same period, each dimension compared under its other condition
        swapped = {*q.compare_filters, *q.compare_exclude}
        other = metrics.query(warehouse, needed, start=q.period.start, end=q.period.end, **{
            **common,
            "filters": {**{d: v for d, v in common["filters"].items() if d not in swapped},
                        **q.compare_filters},
            "exclude": {**{d: v for d, v in common["exclude"].items() if d not in swapped},
                        **q.compare_exclude}})
        sqls.append(other.sql_with_params())
        df = _compare_frames(df, _with_extra(other.df, extra, False), q)
    currency = result.money if result.money not in ("by currency",) else ""
    if "currency" in df.columns and "currency" not in q.by:
        q = replace(q, by=(*q.by, "currency"))
    definitions = _definitions(q, vocab, lang, as_of, result.money)
    answer = Answer(kind="number", text="", question=question, language=lang,
                    currency=currency, definitions=definitions, metric_query=q.to_dict(),
                    sql=";\n\n".join(sqls), as_of=as_of.isoformat(),
                    unit=vocab.metric(q.metrics[0]).unit)
    metric = q.metrics[0]
    first, last = _orders_on_record(warehouse)
    if _outside(q.period.start, q.period.end, first, last):
        df = df.iloc[0:0]  # before the first order or after the last: no data, not 0
    compared = _compared_span(q)
    if compared and _outside(*compared, first, last):
        for m in q.metrics:
            for column in (f"{m}_prev", f"{m}_change", f"{m}_change_pct"):
                if column in df.columns:
                    df[column] = None
    if q.over:
        answer = _count_past(answer, df, q, vocab)
    elif q.per_day:
        answer = _per_day(answer, df, q, vocab, warehouse, first, last)
    elif not q.by:
        answer = _number(answer, df, q, vocab, warehouse, money, whole)
    else:
        if q.by == ("customer_type",) and "customers" in q.metrics and compare is None \
                and not isinstance(q.compare, Period) and not q.other_side:
            df = _customers_split(df, warehouse, q, common)
        answer = _table(answer, df, q, vocab, warehouse, money, metric)
    if first and (_outside(q.period.start, q.period.end, first, last)
                  or (compared and _outside(*compared, first, last))):
        answer.text += (f"（店铺的订单记录从 {first} 到 {last}。）" if lang == "zh"
                        else f" (The orders on record run from {first} to {last}.)")
    return answer


def _customers_split(df: pd.DataFrame, warehouse: Warehouse, q: AskQuery,
                     common: dict) -> pd.DataFrame:
    """Customers split into new and returning, each customer once: a customer whose first
    order falls in the period is new even if they ordered again in it (returning = customers
    − new customers, as the metric defines it), so the rows add up to the customers."""
    total = metrics.query(warehouse, ["customers", "new_customers"], start=q.period.start,
                          end=q.period.end, **{**common, "by": ()}).df
    if not len(total) or "customer_type" not in df.columns:
        return df
    df = df.copy()
    returning = _float(total["customers"].iloc[0] - total["new_customers"].iloc[0])
    df.loc[df["customer_type"] == "returning", "customers"] = returning
    return df


def _customers_in(warehouse: Warehouse,
                  period: Period) -> tuple[metrics.MetricResult, tuple[str, ...]]:
    """The customers who ordered in ``period``, guests left out, with the query that found
    them (shown with the answer)."""
    found = metrics.query(warehouse, ["orders"], start=period.start, end=period.end,
                          by=("customer",))
    return found, tuple(str(c) for c in found.df["customer"] if pd.notna(c) and c != "(none)")


def _customers_of_two(q: AskQuery, vocab: Vocabulary, as_of: dt.date, question: str,
                      other: Period, queries: tuple[metrics.MetricResult, ...]
                      ) -> tuple[Answer, str, str]:
    """The answer about the period's customers seen against ``other``, with both periods'
    labels; its text says no customer ordered until the caller finds some."""
    lang = q.language
    answer = Answer(kind="number", text="", question=question, language=lang,
                    definitions=_definitions(q, vocab, lang, as_of, ""),
                    metric_query=q.to_dict(), as_of=as_of.isoformat(),
                    unit="ratio" if q.share else "count",
                    sql=";\n\n".join(r.sql_with_params() for r in queries))
    when, then = q.period.label(lang), other.label(lang)
    if lang == "en":
        when, then = _during(when), _during(then)
    answer.text = f"{when}没有下单的客户。" if lang == "zh" else f"No customer ordered {when}."
    return answer, when, then


def _customers_also_in(warehouse: Warehouse, q: AskQuery, vocab: Vocabulary, as_of: dt.date,
                       question: str) -> Answer:
    """The period's customers who also ordered in ``q.also_in``: those of the other period,
    then the period's customers kept to them, against all the period's customers."""
    assert q.also_in is not None
    lang = q.language
    other, ids = _customers_in(warehouse, q.also_in)
    base = metrics.query(warehouse, ["customers"], start=q.period.start, end=q.period.end)
    both = metrics.query(warehouse, ["customers"], start=q.period.start, end=q.period.end,
                         filters={"customer": ids or ("",)})
    total = _float(base.df["customers"].iloc[0]) if len(base.df) else None
    part = _float(both.df["customers"].iloc[0]) if len(both.df) else None
    answer, when, then = _customers_of_two(q, vocab, as_of, question, q.also_in,
                                           (other, both, base))
    if not total:
        return answer
    part = part or 0.0
    answer.value = part / total if q.share else part
    answer.text = (f"{when}下过单的 {total:,.0f} 个客户中，有 {part:,.0f} 个（{_pct(part / total)}）"
                   f"在{then}也下过单。" if lang == "zh" else
                   f"Of the {total:,.0f} customers who ordered {when}, {part:,.0f} "
                   f"({_pct(part / total)}) had also ordered {then}.")
    return answer


def _customers_not_in(warehouse: Warehouse, q: AskQuery, vocab: Vocabulary, as_of: dt.date,
                      money: metrics.Money | None, question: str) -> Answer:
    """The period's customers who did not order in ``q.not_in`` (the lapsed): those of the
    other period, left out of the period's customers; counted, as a share, or listed by spend."""
    assert q.not_in is not None
    lang = q.language
    other, ids = _customers_in(warehouse, q.not_in)
    span = {"start": q.period.start, "end": q.period.end}
    if q.metrics != ("customers",):
        return _measured_not_in(warehouse, q, vocab, as_of, money, question, other, ids)
    base = metrics.query(warehouse, ["customers"], **span)
    gone = metrics.query(warehouse, ["customers"], **span, exclude={"customer": ids or ("",)})
    total = _float(base.df["customers"].iloc[0]) if len(base.df) else None
    part = (_float(gone.df["customers"].iloc[0]) if len(gone.df) else None) or 0.0
    listed = None
    if q.by:
        listed = metrics.query(warehouse, ["gmv", "orders"], **span, by=("customer",),
                               exclude={"customer": ids or ("",)}, money=money)
    queries = (other, base, gone) + ((listed,) if listed is not None else ())
    answer, when, then = _customers_of_two(q, vocab, as_of, question, q.not_in, queries)
    if not total:
        return answer
    said = (f"{when}下过单的 {total:,.0f} 个客户中，有 {part:,.0f} 个（{_pct(part / total)}）"
            f"在{then}没有下单" if lang == "zh" else
            f"Of the {total:,.0f} customers who ordered {when}, {part:,.0f} "
            f"({_pct(part / total)}) placed no order {then}")
    answer.value = part / total if q.share else part
    if listed is None:
        answer.text = said + ("。" if lang == "zh" else ".")
        return answer
    df = listed.df[listed.df["customer"].notna() & (listed.df["customer"] != "(none)")]
    df = df.sort_values(["gmv", "customer"], ascending=[False, True])
    currency = listed.money if listed.money != "by currency" else ""
    df = df[[c for c in ("customer", "currency", "gmv", "orders") if c in df.columns]]
    answer.kind, answer.value, answer.unit, answer.currency = "table", None, "", currency
    answer.columns = list(df.columns)
    answer.rows = df.to_numpy().tolist()
    answer.chart = None
    top = "; ".join(f"{c} ({_fmt(_float(v), 'money', currency, lang)})"
                    for c, v in zip(df["customer"][:3], df["gmv"][:3], strict=True))
    answer.text = (f"{said}；按{when}的销售额排序，前三位：{top}。" if lang == "zh" else
                   f"{said}; the first three by GMV {when}: {top}.")
    return answer


def _measured_not_in(warehouse: Warehouse, q: AskQuery, vocab: Vocabulary, as_of: dt.date,
                     money: metrics.Money | None, question: str, other: metrics.MetricResult,
                     ids: tuple[str, ...]) -> Answer:
    """One metric over the orders of the period's customers who did not order in
    ``q.not_in``: the period's orders less those of the other period's customers, and of
    guests (no customer at all)."""
    assert q.not_in is not None
    lang, metric = q.language, q.metrics[0]
    # the guests' orders carry the customer "(none)", left out with the customers found
    result = metrics.query(warehouse, [metric], start=q.period.start, end=q.period.end,
                           exclude={"customer": (*ids, "(none)")}, money=money)
    unit = vocab.metric(metric).unit
    currency = result.money if result.money != "by currency" else ""
    value = _float(result.df[metric].iloc[0]) if len(result.df) else None
    when, then = q.period.label(lang), q.not_in.label(lang)
    label = _label(vocab, metric, lang)
    text = (f"{when}，{then}没有下单的客户的{label}为 {_fmt(value, unit, currency, lang)}。"
            if lang == "zh" else
            f"{label[:1].upper() + label[1:]} {_during(when)} from customers who placed no order "
            f"{_during(then)}: {_fmt(value, unit, currency, lang)}.")
    return Answer(kind="number", text=text, question=question, language=lang, value=value,
                  unit=unit, currency=currency, definitions=_definitions(q, vocab, lang, as_of,
                                                                          currency),
                  metric_query=q.to_dict(), as_of=as_of.isoformat(),
                  sql=";\n\n".join(r.sql_with_params() for r in (other, result)))


def _opening(label: str) -> str:
    """A period's English label opening a sentence: "In November 2011", "Since 2011-07-01"."""
    said = _during(label)
    return said[:1].upper() + said[1:]


def _during(label: str) -> str:
    """A period's English label after a verb: "in November 2011", "since 2011-07-01"."""
    return label if label.startswith(("up to", "since", "at any")) else "in " + label


def _orders_on_record(warehouse: Warehouse) -> tuple[dt.date | None, dt.date | None]:
    """The first and the last day with an order."""
    row = warehouse.query("SELECT min(CAST(ordered_at AS DATE)), max(CAST(ordered_at AS DATE)) "
                          "FROM orders")
    return (row[0][0], row[0][1]) if row else (None, None)


def _outside(start: dt.date | None, end: dt.date | None, first: dt.date | None,
             last: dt.date | None) -> bool:
    """Whether the days lie wholly before the first order or after the last one."""
    if first is None or last is None or start is None or end is None:
        return False
    return end < first or start > last


def _compared_span(q: AskQuery) -> tuple[dt.date, dt.date] | None:
    if isinstance(q.compare, Period) and q.compare.start and q.compare.end:
        return q.compare.start, q.compare.end
    if isinstance(q.compare, str) and q.period.start and q.period.end:
        start, end, _ = metrics.comparison_range(metrics.MetricQuery(
            ("orders",), start=q.period.start, end=q.period.end, compare=q.compare))
        return start, end
    return None


def _count_past(answer: Answer, df: pd.DataFrame, q: AskQuery, vocab: Vocabulary) -> Answer:
    """How many of the groups (products, customers, countries, days) are past the threshold;
    a group with no key (guests, no country) is none of them. With ``share``: their share of
    the groups (of the period's calendar days, for days), or their part of the metric."""
    lang, metric, key = q.language, q.metrics[0], q.by[0]
    op, number = q.over
    values = df.loc[df[key].astype(str) != "(none)", metric].astype(float)
    past = values[values > number] if op == ">" else values[values >= number] if op == ">=" \
        else values[values < number]
    if q.over_to is not None:  # a band: both ends included
        past = past[past <= q.over_to]
    answer.value, answer.unit = float(len(past)), "count"
    unit = vocab.metric(metric).unit
    limit = _fmt(number, unit, answer.currency, lang)
    words = {">": ("超过", "more than"), ">=": ("至少", "at least"), "<": ("低于", "less than")}[op]
    if q.over_to is not None:
        words = ("在", "between")
        limit += (f" 到 {_fmt(q.over_to, unit, answer.currency, lang)} 之间" if lang == "zh"
                  else f" and {_fmt(q.over_to, unit, answer.currency, lang)}")
    condition = (f"{op} {number:g}" if q.over_to is None
                 else f"between {number:g} and {q.over_to:g} (both included)")
    where = _filter_words(q, lang)  # "Germany": the groups are counted under the filters
    period = q.period.label(lang) + ((f"（{where}）" if lang == "zh" else f" ({where})")
                                     if where else "")
    groups = len(values)
    if key == "day" and q.period.start and q.period.end:
        groups = (q.period.end - q.period.start).days + 1  # the days without a sale count too
    traded = key == "day" and op == ">" and number == 0  # "how many days did we make a sale"
    if q.over_share == "metric":
        # the part of the last metric named: "customers with at least 3 orders in Q3: their
        # total spend"; with a share, of the whole ("what % of sales came from orders over £1,500");
        # an average per order over the orders kept ("orders over £1,500: units per order")
        measured = q.metrics[-1]
        unit_m = vocab.metric(measured).unit
        averaged = not summable(measured)
        kept = df.loc[past.index, measured].astype(float)
        part = float(kept.mean()) if averaged else float(kept.sum())
        whole = float(df[measured].astype(float).sum())
        amount = _fmt(part, unit_m, answer.currency, lang)
        answer.value, answer.unit = part, unit_m
        answer.text = (
            f"{period}，{_label(vocab, metric, lang)}{words[0]} {limit} 的{_dim_label(key, lang)}"
            f"（{len(past):,} 个）{'的' if averaged else '合计'}{_label(vocab, measured, lang)}"
            f"{'为 ' if averaged else ' '}{amount}" if lang == "zh" else
            f"{_opening(period)}, the {len(past):,} {_dim_label(key, lang, plural=True)} with {words[1]} "
            f"{limit}{' of' if unit == 'money' else ''} {_label(vocab, metric, lang)} "
            + (f"had {_label(vocab, measured, lang)} of {amount}" if averaged else
               f"made {amount} of {_label(vocab, measured, lang)}"))
        answer.sql += (f";\n\n-- then: the {'mean' if averaged else 'sum'} of {measured} over the "
                       f"rows whose {metric} {condition}")
        if q.share:
            answer.value, answer.unit = (part / whole if whole else None), "ratio"
            total = _fmt(whole, unit_m, answer.currency, lang)
            answer.text += (f"，占全部 {total} 的 {_pct(answer.value)}" if lang == "zh"
                            else f": {_pct(answer.value)} of the total {total}")
            answer.sql += ", over the sum of all rows"
        answer.text += "。" if lang == "zh" else "."
        return answer
    if q.share:  # "what share of customers ordered only once": of the groups counted
        answer.value = len(past) / groups if groups else None
        answer.unit = "ratio"
        answer.text = (
            f"{period}，{_label(vocab, metric, lang)}{words[0]} {limit} 的"
            f"{_dim_label(key, lang)}有 {len(past):,} 个，占全部 {groups:,} 个的 "
            f"{_pct(answer.value)}。" if lang == "zh" else
            f"{_opening(period)}, {len(past):,} of {groups:,} "
            f"{_dim_label(key, lang, plural=True)} had {words[1]} {limit}"
            f"{' of' if unit == 'money' else ''} {_label(vocab, metric, lang)}: "
            f"{_pct(answer.value)}.")
        answer.sql += f";\n\n-- then counted: the rows whose {metric} {condition}, over all rows"
        return answer
    if traded:
        answer.text = (f"{period}，有订单的日子共 {len(past):,} 天（共 {groups:,} 天）。"
                       if lang == "zh" else
                       f"{_opening(period)}, there were orders on {len(past):,} of {groups:,} days.")
    else:
        answer.text = (
            f"{period}，{_label(vocab, metric, lang)}{words[0]} {limit} 的"
            f"{_dim_label(key, lang)}有 {len(past):,} 个（共 {groups:,} 个）。" if lang == "zh" else
            f"{_opening(period)}, {len(past):,} of {groups:,} "
            f"{_dim_label(key, lang, plural=True)} had {words[1]} {limit}"
            f"{' of' if unit == 'money' else ''} {_label(vocab, metric, lang)}.")
    answer.sql += (f";\n\n-- then counted: the rows whose {metric} {condition}"
                   + (" (guests and rows without a key left out)" if key in ("customer", "country")
                      else ""))
    return answer


def _per_day(answer: Answer, df: pd.DataFrame, q: AskQuery, vocab: Vocabulary,
             warehouse: Warehouse, first: dt.date | None, last: dt.date | None) -> Answer:
    """The daily values averaged over the period's days: every calendar day the store's
    orders on record cover, or only its trading days (the days with an order in the whole
    store, whatever the question filters)."""
    lang, metric = q.language, q.metrics[0]
    start = max(d for d in (q.period.start, first) if d is not None) if first else q.period.start
    end = min(d for d in (q.period.end, last) if d is not None) if last else q.period.end
    total = float(df[metric].astype(float).sum()) if len(df) else 0.0
    if start is None or end is None or end < start:
        days = 0
    elif q.per_day == "trading":
        days = int(warehouse.query(
            "SELECT count(DISTINCT CAST(ordered_at AS DATE)) FROM orders WHERE coalesce(status, "
            "'') <> 'cancelled' AND CAST(ordered_at AS DATE) BETWEEN ? AND ?", [start, end])[0][0])
    else:
        days = (end - start).days + 1
    unit = vocab.metric(metric).unit
    answer.value = total / days if days else None
    answer.unit = unit
    label = _label(vocab, metric, lang)
    where = _filter_words(q, lang)
    period = q.period.label(lang) + ((f"（{where}）" if lang == "zh" else f" ({where})")
                                     if where else "")
    kind_zh, kind_en = ("营业日（有订单的日子）", "trading day (a day with an order)") \
        if q.per_day == "trading" else ("自然日", "calendar day")
    if not days:
        answer.text = (f"{period}没有{'有订单的日子' if q.per_day == 'trading' else '数据'}，无法按天平均。"
                       if lang == "zh" else f"{period} has no "
                       f"{'day with an order' if q.per_day == 'trading' else 'data'} to average over.")
    else:
        value = (f"{answer.value:,.1f}" if unit == "count"
                 else _fmt(answer.value, unit, answer.currency, lang))
        answer.text = (
            f"{period}平均每个{kind_zh}的{label}为 {value}（合计 "
            f"{_fmt(total, unit, answer.currency, lang)}，共 {days:,} 个{kind_zh[:3]}）。"
            if lang == "zh" else
            f"{label[:1].upper() + label[1:]} per {kind_en} in {period}: {value} "
            f"({_fmt(total, unit, answer.currency, lang)} over {days:,} "
            f"{kind_en.split(' (')[0]}s).")
    answer.definitions.append(
        f"按天平均：每天的{label}相加，除以{start}至{end}的{kind_zh}数（{days}）" if lang == "zh" else
        f"Average per day: the daily {label} added up, over the {kind_en.split(' (')[0]}s from "
        f"{start} to {end} ({days})")
    answer.sql += (f";\n\n-- then: the sum of the daily {metric} over the "
                   + ("days with an order from " if q.per_day == "trading" else "calendar days from ")
                   + f"{start} to {end} ({days})")
    return answer


def _extra_inputs(extra: dict) -> list[str]:
    return [name for f in extra.values() for name in _formula_inputs(f.formula or "")]


def _formula_inputs(formula: str) -> list[str]:
    return [w for w in re.findall(r"\b[a-z_]+\b", formula) if w in METRICS]


def _with_extra(df: pd.DataFrame, extra: dict, compared: bool) -> pd.DataFrame:
    """The merchant's own metrics, computed by DuckDB from the semantic layer's columns."""
    import duckdb

    for name, metric in extra.items():
        for suffix in ("", "_prev") if compared else ("",):
            expr = re.sub(r"\b[a-z_]+\b",
                          lambda t, s=suffix: f'"{t.group()}{s}"' if t.group() in METRICS
                          else t.group(), metric.formula or "")
            with duckdb.connect() as con:
                con.register("frame", df)
                df[f"{name}{suffix}"] = con.execute(f"SELECT {expr} FROM frame").df().iloc[:, 0]
        if compared:
            df[f"{name}_change"] = df[name] - df[f"{name}_prev"]
            df[f"{name}_change_pct"] = df[f"{name}_change"] / df[f"{name}_prev"].abs().where(
                df[f"{name}_prev"] != 0)
    return df


_GRAINS = ("day", "week", "month", "quarter", "year")


def _compare_frames(df: pd.DataFrame, prev: pd.DataFrame, q: AskQuery) -> pd.DataFrame:
    keys = [d for d in q.by if d not in _GRAINS]
    prev = prev.rename(columns={m: f"{m}_prev" for m in q.metrics})
    grains = [d for d in q.by if d in _GRAINS]
    if grains and isinstance(q.compare, Period) and q.period.start and q.compare.start:
        # each day (week, month) against the one as far into the other period, not the
        # row in the same place: a day without sales leaves no row
        prev = prev.copy()
        for grain in grains:
            prev[grain] = _shifted_keys(prev[grain], q.compare.start, q.period.start, grain)
        keys += grains
    elif q.other_side:
        keys += grains  # the same period: each day against the same day
    # ranked by change, a group sold in only one of the periods rose from or fell to nothing
    out = df.merge(prev[[*keys, *(f"{m}_prev" for m in q.metrics)]], on=keys,
                   how="outer" if q.rank_by else "left") \
        if keys else pd.concat([df, prev[[f"{m}_prev" for m in q.metrics]]], axis=1)
    for m in q.metrics:
        if q.rank_by and summable(m):
            out[[m, f"{m}_prev"]] = out[[m, f"{m}_prev"]].fillna(0)
        out[f"{m}_change"] = out[m] - out[f"{m}_prev"]
        out[f"{m}_change_pct"] = out[f"{m}_change"] / out[f"{m}_prev"].abs().where(
            out[f"{m}_prev"] != 0)
    return out


def _shifted_keys(keys: pd.Series, start: dt.date, to: dt.date, grain: str) -> pd.Series:
    """Time keys of a period starting ``start`` moved to line up with one starting ``to``."""
    if grain in ("day", "week"):
        days = (to - start).days
        return keys + pd.Timedelta(days=days if grain == "day" else round(days / 7) * 7)
    step = {"month": 1, "quarter": 3, "year": 12}[grain]
    months = (to.year - start.year) * 12 + to.month - start.month
    return keys + pd.DateOffset(months=round(months / step) * step)


def _resolve_names(warehouse: Warehouse, q: AskQuery
                   ) -> tuple[AskQuery, dict[str, tuple[str, ...]]]:
    """Product-name words → the products whose title contains them all, and the filter on
    the names lines were sold under that contain them (an export renames products over time:
    a line counts when its own name has the words)."""
    if not q.name_words:
        return q, {}
    clauses = " AND ".join("title ILIKE ?" for _ in q.name_words)
    rows = warehouse.query(
        f"SELECT DISTINCT product_id, title FROM (SELECT product_id, title FROM products "
        f"UNION ALL SELECT product_id, title FROM order_lines) WHERE {clauses} ORDER BY 1, 2",
        [f"%{w}%" for w in q.name_words])
    skus = tuple(dict.fromkeys(str(r[0]) for r in rows))
    known = q.filters.get("sku")
    if known:
        skus = tuple(s for s in skus if s in known)
    titles = tuple(dict.fromkeys(str(r[1]) for r in rows if str(r[0]) in skus))
    return replace(q, filters={**q.filters, "sku": skus}), {"title": titles}


def _orders_holding(warehouse: Warehouse, q: AskQuery, filters: dict[str, tuple[str, ...]]
                    ) -> tuple[dict[str, tuple[str, ...]], str]:
    """The filters with the products (codes, and the names lines were sold under) replaced by
    the orders of the period that hold one of them, which are then measured whole; and how
    they were picked, as an SQL comment."""
    clauses, params = ["l.product_id IN (SELECT unnest(?))"], [list(filters.get("sku", ()))]
    if filters.get("title"):
        clauses.append("l.title IN (SELECT unnest(?))")
        params.append(list(filters["title"]))
    # only the period's orders, unless another period is compared (each query keeps its own)
    bounds = () if q.compare is not None or q.other_side else (
        (">=", q.period.start), ("<=", q.period.end))
    for op, day in bounds:
        if day is not None:
            clauses.append(f"CAST(o.ordered_at AS DATE) {op} ?")
            params.append(day)
    rows = warehouse.query("SELECT DISTINCT l.order_id FROM order_lines l JOIN orders o USING "
                           f"(order_id) WHERE {' AND '.join(clauses)}", params)
    kept = {d: v for d, v in filters.items() if d not in ("sku", "title")}
    orders = tuple(str(r[0]) for r in rows)
    how = (f"-- the orders measured whole ({len(orders):,}): SELECT DISTINCT l.order_id FROM "
           f"order_lines l JOIN orders o USING (order_id) WHERE {' AND '.join(clauses)}\n"
           f"--   with {len(params[0]):,} product codes"
           + (f", {len(filters.get('title', ())):,} product names" if filters.get("title") else "")
           + "".join(f", {p}" for p in params if isinstance(p, dt.date)) + "\n")
    return {**kept, "order": orders}, how


def _titles_with(warehouse: Warehouse, words: tuple[str, ...]) -> tuple[str, ...]:
    """The product names, in the catalogue or on order lines, that hold any of ``words``."""
    if not words:
        return ()
    clauses = " OR ".join("title ILIKE ?" for _ in words)
    rows = warehouse.query(
        f"SELECT DISTINCT title FROM (SELECT title FROM products UNION ALL SELECT title FROM "
        f"order_lines) WHERE {clauses} ORDER BY 1", [f"%{w}%" for w in words])
    return tuple(str(r[0]) for r in rows)


def _no_data(q: AskQuery, question: str, as_of: dt.date, lang: str,
             orders: tuple[str, ...] = ()) -> Answer:
    """No product has the name words, or no order has the numbers asked about."""
    word = ", ".join(q.name_words)
    text = (f"没有名称包含“{word}”的商品。" if lang == "zh"
            else f"No product's name contains \"{word}\".")
    if orders:
        text = (f"没有单号为 {'、'.join(orders)} 的订单。" if lang == "zh"
                else f"There is no order numbered {', '.join(orders)}.")
    return Answer(kind="number", text=text, question=question, language=lang, value=None,
                  metric_query=q.to_dict(), as_of=as_of.isoformat())


def _number(answer: Answer, df: pd.DataFrame, q: AskQuery, vocab: Vocabulary,
            warehouse: Warehouse, money: metrics.Money | None,
            whole_filters: dict[str, tuple[str, ...]]) -> Answer:
    """A single value; a share's whole keeps what is left out, and the named products when
    a part is named within them (``whole_filters``)."""
    lang, metric = q.language, q.metrics[0]
    if len(q.metrics) > 1:  # several metrics: one row each
        answer.kind = "table"
        answer.columns = ["metric", "value"]
        answer.rows = [[_label(vocab, m, lang), _float(df[m].iloc[0]) if len(df) else None]
                       for m in q.metrics]
        answer.text = ("；".join if lang == "zh" else "; ".join)(
            f"{_label(vocab, m, lang)} {_fmt(_float(df[m].iloc[0]) if len(df) else None, vocab.metric(m).unit, answer.currency, lang)}"
            for m in q.metrics) + ("。" if lang == "zh" else ".")
        answer.text = f"{q.period.label(lang)}：{answer.text}" if lang == "zh" else \
            f"{q.period.label(lang)}: {answer.text}"
        return answer
    value = _float(df[metric].iloc[0]) if len(df) else None
    if q.share and isinstance(q.compare, Period) and f"{metric}_prev" in df.columns:
        return _period_share(answer, df, q, vocab)
    if q.share and (q.filters or q.exclude):
        # "of this year's non-UK sales, Ireland's share": what is left out is left out of the
        # whole too, when a part is named within it
        within = q.exclude if q.filters and not q.whole_dims else {}
        whole = metrics.query(warehouse, [metric], start=q.period.start, end=q.period.end,
                              filters=whole_filters, exclude=within, money=money)
        total = _float(whole.df[metric].iloc[0]) if len(whole.df) else None
        answer.sql += ";\n\n" + whole.sql_with_params()
        share = value / total if value is not None and total else None
        answer.value, answer.unit = share, "ratio"
        part = _filter_words(replace(q, exclude={}) if within else q, lang)
        whole_words = _filter_words(replace(q, filters={}, name_words=()), lang) if within else ""
        if q.whole_dims:
            part = _filter_words(q, lang)
            whole_words = _filter_words(replace(q, filters=whole_filters, exclude={}), lang)
        elif whole_filters:
            part = _filter_words(replace(q, name_words=(), exclude={}), lang)
            whole_words = _filter_words(replace(q, filters={"sku": whole_filters["sku"]}), lang)
        answer.text = (
            f"{q.period.label(lang)}，{part}的{_label(vocab, metric, lang)}为 "
            f"{_fmt(value, vocab.metric(metric).unit, answer.currency, lang)}，占"
            f"{whole_words or '全部'} {_fmt(total, vocab.metric(metric).unit, answer.currency, lang)} 的 "
            f"{_pct(share)}。" if lang == "zh" else
            f"{_opening(q.period.label(lang))}, {part} made {_fmt(value, vocab.metric(metric).unit, answer.currency, lang)} "
            f"of {_label(vocab, metric, lang)}: {_pct(share)} of the total "
            f"{_fmt(total, vocab.metric(metric).unit, answer.currency, lang)}"
            f"{' (' + whole_words + ')' if whole_words else ''}.")
        return answer
    answer.value = value
    if f"{metric}_prev" in df.columns and len(df):
        answer.previous = _float(df[f"{metric}_prev"].iloc[0])
        answer.change_pct = _float(df[f"{metric}_change_pct"].iloc[0])
    answer.text = _number_sentence(answer, q, vocab)
    return answer


def _period_share(answer: Answer, df: pd.DataFrame, q: AskQuery, vocab: Vocabulary) -> Answer:
    """One period's share of another that holds it ("本月至今的销售额占今年以来的比例")."""
    lang, metric = q.language, q.metrics[0]
    assert isinstance(q.compare, Period)
    part, whole = q.period, q.compare
    a, b = _float(df[metric].iloc[0]), _float(df[f"{metric}_prev"].iloc[0])
    if _days(part) > _days(whole):
        part, whole, a, b = whole, part, b, a
    unit = vocab.metric(metric).unit
    answer.value, answer.unit = (a / b if a is not None and b else None), "ratio"
    answer.text = (
        f"{part.label(lang)}的{_label(vocab, metric, lang)}为 {_fmt(a, unit, answer.currency, lang)}，"
        f"占{whole.label(lang)}（{_fmt(b, unit, answer.currency, lang)}）的 "
        f"{_pct(answer.value)}。" if lang == "zh" else
        f"{_label(vocab, metric, lang)[0].upper() + _label(vocab, metric, lang)[1:]} "
        f"{_during(part.label(lang))}: {_fmt(a, unit, answer.currency, lang)}, {_pct(answer.value)} "
        f"of {whole.label(lang)} ({_fmt(b, unit, answer.currency, lang)}).")
    return answer


def _days(p: Period) -> int:
    return (p.end - p.start).days if p.start and p.end else 10**6


def _table(answer: Answer, df: pd.DataFrame, q: AskQuery, vocab: Vocabulary,
           warehouse: Warehouse, money: metrics.Money | None, metric: str) -> Answer:
    lang = q.language
    answer.kind = "table"
    key = q.by[0]
    df = df.copy()
    if key in _GRAINS:
        df[key] = pd.to_datetime(df[key]).dt.date
    total = df[metric].sum(min_count=1) if vocab.metric(metric).unit in ("money", "count") \
        else None
    if q.share and q.exclude and key in q.filters and total is not None:
        # "of this year's non-UK sales, NL's, Ireland's … share each": the whole is what is
        # left after the exclusion, not the groups named
        whole = metrics.query(warehouse, [metric], start=q.period.start, end=q.period.end,
                              filters={d: v for d, v in q.filters.items() if d != key},
                              exclude=q.exclude, money=money)
        total = _float(whole.df[metric].iloc[0]) if len(whole.df) else None
        answer.sql += ";\n\n" + whole.sql_with_params()
    if key == "customer":  # guests are no customer: their orders have no customer id
        df = df[df["customer"] != "(none)"]
    if key == "customer_type" and "guest" not in q.filters.get("customer_type", ()):
        df = df[df["customer_type"] != "guest"]  # new vs returning, as asked
    if q.rank:
        side, n = q.rank
        ranked_by = f"{metric}_{q.rank_by}" if q.rank_by else metric
        df = df.dropna(subset=[ranked_by])
        df = df.sort_values([ranked_by, key], ascending=[side == "bottom", True],
                            kind="mergesort").head(n)
    cols = [*q.by, *q.metrics]
    if key == "sku":
        names = _product_names(warehouse, df["sku"].astype(str).tolist())
        df.insert(df.columns.get_loc("sku") + 1, "product", df["sku"].astype(str).map(names))
        cols.insert(cols.index("sku") + 1, "product")
    for m in q.metrics:
        if f"{m}_prev" in df.columns:
            cols += [f"{m}_prev", *([f"{m}_change"] if q.rank_by == "change" and m == metric
                                    else []), f"{m}_change_pct"]
    if q.share and total:
        df["share"] = df[metric] / total
        cols.append("share")
    answer.columns = cols
    answer.rows = [[_cell(v) for v in row] for row in df[cols].itertuples(index=False)]
    if q.rest and total is not None:  # "sales excluding our top 10 customers": the rest
        part = float(df[metric].sum())
        answer.kind, answer.unit = "number", vocab.metric(metric).unit
        answer.value = _float(total - part)
        unit, what = vocab.metric(metric).unit, _dim_label(key, lang, plural=True)
        answer.text = (
            f"{q.period.label(lang)}，去掉{_label(vocab, metric, lang)}"
            f"{'最高' if q.rank[0] == 'top' else '最低'}的 {len(df)} 个{what}"
            f"（合计 {_fmt(part, unit, answer.currency, lang)}），其余的{_label(vocab, metric, lang)}为 "
            f"{_fmt(answer.value, unit, answer.currency, lang)}（全部 "
            f"{_fmt(total, unit, answer.currency, lang)}）。" if lang == "zh" else
            f"{_opening(q.period.label(lang))}, {_label(vocab, metric, lang)} without the {q.rank[0]} "
            f"{len(df)} {what} ({_fmt(part, unit, answer.currency, lang)}): "
            f"{_fmt(answer.value, unit, answer.currency, lang)} of the total "
            f"{_fmt(total, unit, answer.currency, lang)}.")
        answer.sql += (f";\n\n-- then: the sum of {metric} over all rows, less the {q.rank[0]} "
                       f"{q.rank[1]} rows")
        return answer
    if q.share and q.rank and total and not q.each:
        part = df[metric].sum()
        answer.kind, answer.unit = "number", "ratio"
        answer.value = _float(part / total)
        n = len(df)
        what = _dim_label(key, lang, plural=True)
        answer.text = (
            f"{q.period.label(lang)}，{_label(vocab, metric, lang)}"
            f"{'最高' if q.rank[0] == 'top' else '最低'}的 {n} 个{what}合计 "
            f"{_fmt(part, vocab.metric(metric).unit, answer.currency, lang)}，占全部 "
            f"{_fmt(total, vocab.metric(metric).unit, answer.currency, lang)} 的 "
            f"{_pct(answer.value)}。" if lang == "zh" else
            f"{_opening(q.period.label(lang))}, the {q.rank[0]} {n} {what} by "
            f"{_label(vocab, metric, lang)} made "
            f"{_fmt(part, vocab.metric(metric).unit, answer.currency, lang)}: "
            f"{_pct(answer.value)} of the total "
            f"{_fmt(total, vocab.metric(metric).unit, answer.currency, lang)}.")
        return answer
    if q.top_value and len(df) == 1:  # "how much was our biggest order": the amount, named
        valued = q.value_metric or metric  # "how many orders did our top spender place"
        answer.kind, answer.value = "number", _float(df[valued].iloc[0])
        answer.unit = vocab.metric(valued).unit
        answer.text = _table_sentence(answer, df, q, vocab, metric, key)
        return answer
    answer.chart = ({"type": "line" if key in _GRAINS
                     else "bar", "x": "product" if key == "sku" else key, "y": metric}
                    if len(answer.rows) > 1 else None)
    answer.text = _table_sentence(answer, df, q, vocab, metric, key)
    return answer


def _product_names(warehouse: Warehouse, skus: list[str]) -> dict[str, str]:
    if not skus:
        return {}
    rows = warehouse.query("SELECT product_id, title FROM products WHERE product_id IN "
                           "(SELECT unnest(?))", [skus])
    return {str(r[0]): str(r[1] or "") for r in rows}


def _cell(v: Any) -> Any:
    if isinstance(v, float):
        return None if math.isnan(v) else v
    return v


def _float(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _label(vocab: Vocabulary, metric: str, lang: str) -> str:
    m = vocab.metric(metric)
    return m.label_zh if lang == "zh" else m.label_en


def _dim_label(dim: str, lang: str, plural: bool = False) -> str:
    d = DIMENSIONS[dim]
    if lang == "zh":
        return d.label_zh
    label = {"sku": "product", "country": "country"}.get(dim, d.label_en)
    if plural:
        return {"country": "countries", "category": "categories"}.get(dim, label + "s")
    return label


def _fmt(value: float | None, unit: str, currency: str, lang: str) -> str:
    if value is None:
        return "无数据" if lang == "zh" else "no data"
    if unit == "money":
        return f"{currency} {value:,.2f}".strip()
    if unit == "ratio":
        return _pct(value)
    if unit == "count":
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.2%}"


_DAY_SETS = {tuple(WEEKDAYS[:5]): ("Monday to Friday", "周一至周五"),
             tuple(WEEKDAYS[5:]): ("weekends", "周末")}


_CUSTOMER_TYPE_WORDS = {"guest": ("guests (no customer id)", "散客（无客户编号）"),
                        "new": ("new customers", "新客"),
                        "returning": ("returning customers", "老客")}


# things named by number: the number alone would not say what it is
_NUMBERED = {"order": ("订单", "order", "orders"), "customer": ("客户", "customer", "customers")}


def _filter_words(q: AskQuery, lang: str) -> str:
    parts = []
    for dim, values in q.filters.items():
        if dim == "sku" and q.whole_orders:
            named = (f"名称含“{', '.join(q.name_words)}”的商品" if lang == "zh" else
                     f"a product whose name contains \"{', '.join(q.name_words)}\"") \
                if q.name_words else ("、" if lang == "zh" else ", ").join(values)
            parts.append(f"含{named}的订单，整单计" if lang == "zh"
                         else f"whole orders holding {named}")
        elif dim == "sku" and q.name_words:
            parts.append(f"名称含“{', '.join(q.name_words)}”的商品" if lang == "zh"
                         else f"products whose name contains \"{', '.join(q.name_words)}\"")
        elif dim == "customer_type":  # "guests (no customer id)", "老客"
            parts.append(("、" if lang == "zh" else ", ").join(
                _CUSTOMER_TYPE_WORDS.get(v, (v, v))[lang == "zh"] for v in values))
        elif dim == "weekday" and tuple(values) in _DAY_SETS:  # "weekends", "工作日"
            parts.append(_DAY_SETS[tuple(values)][lang == "zh"])
        elif dim == "weekday":  # "Mondays", "星期一"
            parts.append("、".join("星期" + ZH_WEEKDAY_CHARS[WEEKDAYS.index(v)] for v in values)
                         if lang == "zh" else ", ".join(f"{v}s" for v in values))
        elif dim in _NUMBERED:  # "订单 536365", "order 536365", "customers 17949, 17511"
            zh, one, many = _NUMBERED[dim]
            parts.append((zh + " " + "、".join(values)) if lang == "zh"
                         else (one if len(values) == 1 else many) + " " + ", ".join(values))
        else:
            parts.append("、".join(values) if lang == "zh" else ", ".join(values))
    if q.exclude_words:
        words = ", ".join(q.exclude_words)
        parts.append(f"不含名称带“{words}”的商品" if lang == "zh"
                     else f"leaving out products whose name contains \"{words}\"")
    for dim, values in q.exclude.items():
        named = (_NUMBERED[dim][0] + " " if lang == "zh" else _NUMBERED[dim][1] + " ") \
            if dim in _NUMBERED else ""
        parts.append(("除" + named + "、".join(values) + "以外") if lang == "zh"
                     else ("leaving out " if named else "everywhere but ") + named
                     + ", ".join(values))
    return ("，".join if lang == "zh" else "; ".join)(parts)


def _number_sentence(a: Answer, q: AskQuery, vocab: Vocabulary) -> str:
    lang, metric = q.language, q.metrics[0]
    unit = vocab.metric(metric).unit
    label = _label(vocab, metric, lang)
    where = _filter_words(q, lang)
    value = _fmt(a.value, unit, a.currency, lang)
    if a.value is None:
        return (f"{q.period.label(lang)}{('（' + where + '）') if where else ''}没有{label}数据。"
                if lang == "zh" else
                f"There is no data for {label} in {q.period.label(lang)}"
                f"{' (' + where + ')' if where else ''}.")
    text = (f"{q.period.label(lang)}{('（' + where + '）') if where else ''}的{label}为 {value}"
            if lang == "zh" else
            f"{label[0].upper() + label[1:]} {_during(q.period.label(lang))}"
            f"{' (' + where + ')' if where else ''}: {value}")
    if q.compare is not None or q.other_side:
        prev_label = _compare_label(q, lang)
        prev = _fmt(a.previous, unit, a.currency, lang)
        if a.previous is None:
            text += (f"；{prev_label}没有数据可比" if lang == "zh"
                     else f"; there is no data for {prev_label} to compare with")
        elif a.change_pct is None:
            text += f"，{prev_label}为 {prev}" if lang == "zh" else f", against {prev} in {prev_label}"
        else:
            up = a.change_pct >= 0
            gap = _fmt(abs(a.value - a.previous), unit, a.currency, lang) if a.value is not None \
                and unit in ("money", "count", "number") else None
            more = {"zh": ("多", "少"), "en": ("more", "less")}[lang]
            if unit == "ratio" and a.value is not None:  # a rate moves in points
                points = abs(a.value - a.previous) * 100
                gap = (f"{points:,.2f} 个百分点" if lang == "zh" else
                       f"{points:,.2f} percentage point{'' if round(points, 2) == 1 else 's'}")
                more = {"zh": ("高", "低"), "en": ("higher", "lower")}[lang]
            said = more[0] if up else more[1]
            text += (f"，{prev_label}为 {prev}，{'增长' if up else '下降'} {abs(a.change_pct):.2%}"
                     + (f"（{said} {gap}）" if gap else "")
                     if lang == "zh" else
                     f", {'up' if up else 'down'} {abs(a.change_pct):.2%}"
                     + (f" ({gap} {said})" if gap else "")
                     + f" from {prev} in {prev_label}")
            if a.previous and re.search(r"几倍|多少倍|\bmultiples? of\b|\bhow many times\b|"
                                        r"\btimes (?:as|more)\b|\bratio\b", a.question, re.I):
                text += (f"，是其 {a.value / a.previous:,.2f} 倍" if lang == "zh"
                         else f": {a.value / a.previous:,.2f} times as much")
    return text + ("。" if lang == "zh" else ".")


def _compare_label(q: AskQuery, lang: str) -> str:
    if q.other_side:  # "Monday to Friday of November 2011", "everywhere but United Kingdom"
        other = _filter_words(replace(q, filters=q.compare_filters, exclude=q.compare_exclude,
                                      name_words=()),
                              lang)
        return f"{q.period.label(lang)}（{other}）" if lang == "zh" else \
            f"{q.period.label(lang)} ({other})"
    if isinstance(q.compare, Period):
        return q.compare.label(lang)
    if q.period.start is None or q.period.end is None:
        return ""
    start, end, _ = metrics.comparison_range(metrics.MetricQuery(
        ("orders",), start=q.period.start, end=q.period.end, compare=str(q.compare)))
    what = {"year": ("去年同期", "the same period a year earlier"),
            "previous": ("上一期", "the previous period")}[str(q.compare)]
    return (f"{what[0]}（{start} 至 {end}）" if lang == "zh" else f"{what[1]} ({start} to {end})")


def _table_sentence(a: Answer, df: pd.DataFrame, q: AskQuery, vocab: Vocabulary, metric: str,
                    key: str) -> str:
    lang = q.language
    unit = vocab.metric(metric).unit
    label = _label(vocab, metric, lang)
    where = _filter_words(q, lang)  # "GMV by day in the last 45 days (Sundays)"
    when = (q.period.label(lang) + (f"（{where}）" if lang == "zh" else f" ({where})")
            if where else q.period.label(lang))
    if not len(df):
        return (f"{when}没有数据。" if lang == "zh" else f"There is no data for {when}.")
    shown = "product" if key == "sku" else key

    def name(row) -> str:
        value = row[shown] if shown in row and row[shown] else row[key]
        return str(value)

    first = df.iloc[0]
    if q.rank_by:
        return _change_ranking_sentence(a, df, q, label, unit, name)
    if q.rank:
        side = q.rank[0]
        if len(df) == 1:  # its other metrics after it: "…; orders: 71"
            also = [(_label(vocab, m, lang), _fmt(_float(first[m]), vocab.metric(m).unit,
                                                  a.currency, lang)) for m in q.metrics[1:]]
            return (f"{when}{label}{'最高' if side == 'top' else '最低'}的"
                    f"{_dim_label(key, lang)}是 {name(first)}（"
                    f"{_fmt(_float(first[metric]), unit, a.currency, lang)}）"
                    + "".join(f"，{what} {v}" for what, v in also) + "。" if lang == "zh" else
                    f"{_opening(when)}, the {_dim_label(key, lang)} with the "
                    f"{'highest' if side == 'top' else 'lowest'} {label} was {name(first)} "
                    f"({_fmt(_float(first[metric]), unit, a.currency, lang)})"
                    + "".join(f"; {what}: {v}" for what, v in also) + ".")
        rest = df.iloc[1:3]
        tail = ("、".join if lang == "zh" else ", ".join)(
            f"{name(r)}（{_fmt(_float(r[metric]), unit, a.currency, lang)}）" if lang == "zh"
            else f"{name(r)} ({_fmt(_float(r[metric]), unit, a.currency, lang)})"
            for _, r in rest.iterrows())
        return (f"{when}按{label}排名，第一是 {name(first)}（"
                f"{_fmt(_float(first[metric]), unit, a.currency, lang)}），其后是 {tail}；"
                f"共 {len(df)} 行。" if lang == "zh" else
                f"{_opening(when)}, ranked by {label}: first {name(first)} "
                f"({_fmt(_float(first[metric]), unit, a.currency, lang)}), then {tail}; "
                f"{_rows(len(df))}.")
    top = df.loc[df[metric].idxmax()] if df[metric].notna().any() else first
    return (f"{when}按{_dim_label(key, lang)}的{label}共 {len(df)} 行，最高的是 "
            f"{name(top)}（{_fmt(_float(top[metric]), unit, a.currency, lang)}）。" if lang == "zh"
            else f"{label[0].upper() + label[1:]} by {_dim_label(key, lang)} in "
            f"{when}: {_rows(len(df))}; the highest is {name(top)} "
            f"({_fmt(_float(top[metric]), unit, a.currency, lang)}).")


def _change_ranking_sentence(a: Answer, df: pd.DataFrame, q: AskQuery, label: str, unit: str,
                             name: Callable[[Any], str]) -> str:
    """"From October to November 2011, the 3 countries whose GMV rose the most: United Kingdom
    (+GBP 1,000.00, from … to …), …" (the first three named)."""
    lang, metric, rose = q.language, q.metrics[0], q.rank[0] == "top"
    pct = q.rank_by == "change_pct"
    what = _dim_label(q.by[0], lang, plural=len(df) > 1)

    def said(row: Any) -> str:
        change = _float(row[f"{metric}_{q.rank_by}"])
        sign = "+" if change is not None and change > 0 else ""
        moved = sign + (_pct(change) if pct else _fmt(change, unit, a.currency, lang))
        before = _fmt(_float(row[f"{metric}_prev"]), unit, a.currency, lang)
        after = _fmt(_float(row[metric]), unit, a.currency, lang)
        return (f"{name(row)}（{moved}，从 {before} 到 {after}）" if lang == "zh"
                else f"{name(row)} ({moved}, from {before} to {after})")

    named = [said(r) for _, r in df.head(3).iterrows()]
    more = len(df) - len(named)
    if lang == "zh":
        return (f"{q.period.label(lang)}比{_compare_label(q, lang)}，{label}"
                f"{'增加' if rose else '减少'}{'幅度' if pct else ''}最多的{' ' + str(len(df)) + ' 个' if len(df) > 1 else ''}"
                f"{what}：{'、'.join(named)}{f'，另有 {more} 个见表' if more else ''}。")
    return (f"From {_compare_label(q, lang)} to {q.period.label(lang)}, the "
            f"{f'{len(df)} ' if len(df) > 1 else ''}{what} whose {label} "
            f"{'rose' if rose else 'fell'} the most{' in per cent' if pct else ''}: "
            f"{'; '.join(named)}{f'; {more} more in the table' if more else ''}.")


def _rows(n: int) -> str:
    return f"{n:,} row{'s' * (n != 1)}"


def _definitions(q: AskQuery, vocab: Vocabulary, lang: str, as_of: dt.date,
                 money: str) -> list[str]:
    out = []
    if q.not_in is not None:
        out.append(f"没有下单的客户：在{q.period.label(lang)}下过单、在{q.not_in.label(lang)}一单都没有下的客户"
                   f"（按客户编号；游客不算客户）" if lang == "zh" else
                   f"Customers who placed no order: those who ordered {_during(q.period.label(lang))} "
                   f"and placed no order {_during(q.not_in.label(lang))} (by customer id; guests are "
                   f"not customers)")
    for m in q.metrics:
        metric = vocab.metric(m)
        text = (metric.description_zh or metric.description) if lang == "zh" \
            else metric.description
        out.append(f"{metric.label_zh if lang == 'zh' else metric.label_en} ({m}): {text}")
    out.append(SALE_DEFINITION[lang])
    span = q.period.span()
    out.append(f"期间：{span}（“今天”按 {as_of} 计，即数据中最后有销售的一天或今天）" if lang == "zh"
               else f"Period: {span} (\"today\" is {as_of}: the last day with sales, or today)")
    if q.name_words:
        n = len(q.filters.get("sku", ()))
        out.append(f"名称含“{', '.join(q.name_words)}”的商品：{n} 个" if lang == "zh" else
                   f"Products whose name contains \"{', '.join(q.name_words)}\": {n}")
    if money:
        out.append(f"金额币种：{money}" if lang == "zh" else f"Amounts in {money}")
    return out
