"""Ask your data: a question in plain Chinese or English → a metric query → a table, a number
and one grounded sentence, with the query shown.

    from shopkeeper import ask
    answer = ask.ask(wh, "上个月哪个国家的客单价最高？")
    answer.text, answer.rows, answer.metric_query, answer.sql

The deterministic reader answers through the semantic layer (:mod:`shopkeeper.metrics`) with no
model. When it cannot read a question and a model is configured, the model reads it into the
same typed query, which is checked against the semantic layer; a model never names a column or
metric that does not exist. A question the words leave open (a period or a metric unsaid) is
asked back with the choices instead of guessed. See ``docs/ask.md``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from shopkeeper.ask.answer import Answer
from shopkeeper.ask.model import SqlReading, read_with_model
from shopkeeper.ask.periods import Period, read_period
from shopkeeper.ask.query import AskQuery, query_from_dict
from shopkeeper.ask.reader import (
    AskBack,
    StoreValues,
    Unread,
    language_of,
    looks_like_follow_up,
    read,
)
from shopkeeper.ask.vocabulary import Vocabulary, load_vocabulary
from shopkeeper.errors import ShopkeeperError, WarehouseError
from shopkeeper.metrics import METRICS, MetricError, Money
from shopkeeper.metrics import query as metrics_query
from shopkeeper.store import Warehouse

__all__ = ["Answer", "AskBack", "AskQuery", "Period", "StoreValues", "Vocabulary", "ask",
           "default_as_of", "load_vocabulary", "looks_like_follow_up", "query_from_dict", "read", "read_period",
           "store_values"]


SQL_TIMEOUT_S = 10.0  # a model's SQL that runs longer is stopped


def default_as_of(warehouse: Warehouse, today: dt.date | None = None) -> dt.date:
    """The day "today" means: the last day with an order, when that is before today (a demo or
    an old export), else today."""
    today = today or dt.date.today()
    row = warehouse.query("SELECT max(CAST(ordered_at AS DATE)) FROM orders")
    last = row[0][0] if row and row[0][0] is not None else None
    return min(today, last) if isinstance(last, dt.date) else today


def store_values(warehouse: Warehouse) -> StoreValues:
    """The countries, channels, categories and product codes the store's data holds."""

    def distinct(sql: str) -> list[str]:
        return [str(r[0]) for r in warehouse.query(sql) if r[0] is not None]

    return StoreValues(
        countries=distinct("SELECT DISTINCT country FROM orders"),
        channels=distinct("SELECT DISTINCT channel FROM orders"),
        categories=distinct("SELECT DISTINCT category FROM products"),
        product_ids=set(distinct("SELECT product_id FROM products")),
        product_names="\n".join(sorted({n.upper() for n in distinct(
            "SELECT DISTINCT title FROM products LIMIT 200000")})),
        home_country=_home_country(warehouse),
        order_days=lambda: tuple(r[0] for r in warehouse.query(
            "SELECT DISTINCT CAST(ordered_at AS DATE) AS day FROM orders "
            "WHERE coalesce(status, '') <> 'cancelled' AND ordered_at IS NOT NULL ORDER BY day")),
    )


def _home_country(warehouse: Warehouse) -> str | None:
    """The country most orders come from, when more than half of them do: what "abroad" and
    "domestic" are measured against."""
    rows = warehouse.query(
        "SELECT country, count(*) / sum(count(*)) OVER () AS part FROM orders "
        "WHERE country IS NOT NULL GROUP BY country ORDER BY 2 DESC LIMIT 1")
    return str(rows[0][0]) if rows and rows[0][1] > 0.5 else None


def ask(
    warehouse: Warehouse,
    question: str,
    *,
    as_of: dt.date | None = None,
    previous: AskQuery | dict | None = None,
    vocabulary: Vocabulary | str | Path | None = None,
    llm=None,
    money: Money | None = None,
) -> Answer:
    """Answer ``question`` from the warehouse. ``previous`` is the last answer's
    ``metric_query``, so a follow-up ("and by country?") refines it; ``llm`` (an
    :class:`shopkeeper.llm.LLM`) reads what the reader cannot."""
    question = (question or "").strip()
    lang = language_of(question)
    if not question:
        raise ShopkeeperError("ask a question, e.g. 上个月的客单价是多少？ or What was GMV last month?")
    if len(question) > 2000:
        return _refused(question, lang, "the question is longer than 2,000 characters",
                        "问题超过 2000 个字符")
    vocab = (vocabulary if isinstance(vocabulary, Vocabulary)
             else load_vocabulary(vocabulary))
    as_of = as_of or default_as_of(warehouse)
    prev = query_from_dict(previous) if isinstance(previous, dict) else previous
    values = store_values(warehouse)
    reading = read(question, as_of, vocab, values, prev)
    source = "reader"
    if isinstance(reading, Unread) and llm is not None and llm.has_model:
        reading, source = read_with_model(llm, question, as_of, vocab, values), "model"
    if isinstance(reading, SqlReading):
        return _answer_sql(warehouse, question, reading, as_of)
    if isinstance(reading, AskBack) and reading.fallback is not None and _no_data(
            warehouse, reading.fallback.period):
        # no data in the period: every reading gives the same answer, so nothing to ask
        return _run(warehouse, reading.fallback, vocab, as_of, money, question)
    if isinstance(reading, AskBack):
        return Answer(kind="ask_back", text=reading.reason, question=question, language=lang,
                      choices=list(reading.choices), as_of=as_of.isoformat(), source=source)
    if isinstance(reading, Unread):
        return _refused(question, lang, reading.reason, reading.reason)
    try:
        reading.check(set(METRICS) | set(vocab.extra_metrics))
        answer = _run(warehouse, reading, vocab, as_of, money, question)
    except MetricError as exc:
        return _refused(question, lang, str(exc), str(exc))
    answer.source = source
    return answer


def _no_data(warehouse: Warehouse, period) -> bool:
    """Whether ``period`` holds no order and no refund at all."""
    try:
        df = metrics_query(warehouse, ["orders", "refunds"], start=period.start,
                           end=period.end).df
    except MetricError:
        return False
    return not len(df) or not any(float(df[c].fillna(0).iloc[0]) for c in ("orders", "refunds"))


def _run(warehouse, reading, vocab, as_of, money, question) -> Answer:
    from shopkeeper.ask.answer import run

    return run(warehouse, reading, vocab, as_of=as_of, money=money, question=question)


def _answer_sql(warehouse: Warehouse, question: str, reading: SqlReading,
                as_of: dt.date) -> Answer:
    """Run the model's SQL through the read-only safety layer; a refusal says why."""
    from shopkeeper.ask.sql import SqlRefused, check_sql, run_sql

    lang = reading.language
    try:
        checked = check_sql(reading.sql)
        df = run_sql(warehouse, checked, timeout_s=SQL_TIMEOUT_S)
    except (SqlRefused, WarehouseError) as exc:
        return _refused(question, lang, f"the SQL written for it was refused ({exc})",
                        f"为它写的 SQL 被拒绝（{exc}）")
    rows = [[_plain(v) for v in row] for row in df.itertuples(index=False)]
    text = (f"查询返回 {len(rows)} 行（模型写的只读 SQL，已检查；不经过指标定义，请核对）。"
            if lang == "zh" else
            f"The query returned {len(rows)} row{'s' * (len(rows) != 1)} (read-only SQL "
            "written by the model and checked; not through the metric definitions: check it).")
    return Answer(kind="table", text=text, question=question, language=lang,
                  columns=[str(c) for c in df.columns], rows=rows, sql=checked,
                  as_of=as_of.isoformat(), source="sql")


def _plain(value):
    return value.item() if hasattr(value, "item") else value


def _refused(question: str, lang: str, why_en: str, why_zh: str) -> Answer:
    text = (f"这个问题我无法从数据中可靠地回答：{why_zh}。可以换个说法，说明指标（如销售额、订单数、客单价）"
            "和时间（如上个月、今年以来）。" if lang == "zh" else
            f"I can't answer this reliably from the data: {why_en}. Try naming a metric (GMV, "
            "orders, average order value …) and a period (last month, this year …).")
    return Answer(kind="refused", text=text, question=question, language=lang)
