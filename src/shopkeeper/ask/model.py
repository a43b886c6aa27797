"""The model path: a configured LLM reads a question the deterministic reader could not, into
the same typed query. Its reply is structured output (a pydantic schema whose metric and
dimension fields are enumerations of the semantic layer), and every filter value is checked
against the values the store really has, so nothing the model says can name a column, metric
or value that does not exist."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field

from shopkeeper.ask.periods import ALL_TIME, Period, days
from shopkeeper.ask.query import AskQuery
from shopkeeper.ask.reader import AskBack, Reading, StoreValues, Unread, language_of
from shopkeeper.ask.sql import QUESTION_COLUMNS
from shopkeeper.ask.vocabulary import Vocabulary
from shopkeeper.errors import ShopkeeperError
from shopkeeper.metrics import DIMENSIONS, METRICS


@dataclass(frozen=True)
class SqlReading:
    """A question outside the semantic layer, as SQL the model wrote: untrusted until
    :func:`shopkeeper.ask.sql.check_sql` has passed it."""

    sql: str
    language: str = "en"


MetricName = Literal[tuple(METRICS)]  # type: ignore[valid-type]
DimensionName = Literal[tuple(DIMENSIONS)]  # type: ignore[valid-type]


class ModelReading(BaseModel):
    """What the model must reply: a metric query of the semantic layer, or a question back."""

    ask_back: bool = Field(False, description="true when the question can be read two ways")
    choices: list[str] = Field(default_factory=list, description="the readings, when ask_back")
    metrics: list[MetricName] = Field(default_factory=list)
    start: dt.date | None = Field(None, description="first day, YYYY-MM-DD; null for all data")
    end: dt.date | None = Field(None, description="last day, YYYY-MM-DD; null for all data")
    by: list[DimensionName] = Field(default_factory=list)
    filters: dict[str, list[str]] = Field(default_factory=dict)
    exclude: dict[str, list[str]] = Field(default_factory=dict)
    name_words: list[str] = Field(default_factory=list)
    compare: Literal["previous", "year"] | None = None
    rank: Literal["top", "bottom"] | None = None
    rank_n: int | None = Field(None, ge=1, le=1000)
    share: bool = False
    sql: str | None = Field(None, description="only when no metric fits: one read-only "
                            "SELECT over the tables given, answering the question")


def _prompt(question: str, as_of: dt.date, vocab: Vocabulary) -> list[dict[str, str]]:
    # names and labels only: a small local model has a 2,048-token context for all of it
    catalogue = {name: f"{m.label_en} {m.label_zh}" for name, m in METRICS.items()}
    dims = list(DIMENSIONS)
    system = (
        "You turn a merchant's question about their store into a query of a semantic layer. "
        "Reply with one JSON object only. Use only these metrics: "
        + json.dumps(catalogue, ensure_ascii=False)
        + ". Group or filter only by these dimensions: " + json.dumps(dims, ensure_ascii=False)
        + f". Today is {as_of.isoformat()}; write periods as start and end dates. If the "
        "question leaves the metric or the period open, set ask_back to true and list the "
        "readings in choices. Only if no metric fits, leave metrics empty and write sql: one "
        "DuckDB SELECT, without comments, over these tables and columns: "
        + "; ".join(f"{t}({', '.join(cols)})" for t, cols in QUESTION_COLUMNS.items()) + ".")
    return [{"role": "system", "content": system}, {"role": "user", "content": question}]


def read_with_model(llm, question: str, as_of: dt.date, vocab: Vocabulary,
                    values: StoreValues) -> Reading | SqlReading:
    """The model's reading of ``question``, checked against the semantic layer and the data."""
    lang = language_of(question)
    try:
        # one try: a retry resends the reply and the schema, past a small model's context
        got = llm.structured(_prompt(question, as_of, vocab), ModelReading, task="ask",
                             max_tokens=300, retries=0)
    except ShopkeeperError as exc:
        return Unread(f"the model could not read it ({exc})", lang)
    if got.ask_back:
        choices = tuple(c for c in got.choices if c)[:6]
        return AskBack("Which do you mean?", "请问您指的是哪一个？", choices, choices, lang)
    if not got.metrics and got.sql:
        return SqlReading(got.sql, lang)
    if not got.metrics:
        return Unread("the model named no metric", lang)
    real = {"country": set(values.countries), "channel": set(values.channels),
            "category": set(values.categories), "sku": values.product_ids}
    checked: dict[str, dict[str, tuple[str, ...]]] = {"filters": {}, "exclude": {}}
    for kind, given in (("filters", got.filters), ("exclude", got.exclude)):
        for dim, items in given.items():
            if dim not in real:
                return Unread(f"the model filtered by {dim!r}, which questions cannot filter", lang)
            unknown = [v for v in items if v not in real[dim]]
            if unknown:
                return Unread(f"the model named {', '.join(map(repr, unknown))}, which the "
                              f"data has no {dim} called", lang)
            checked[kind][dim] = tuple(items)
    if got.start and got.end and got.start > got.end:
        return Unread("the model gave a period that ends before it starts", lang)
    period: Period = (days(got.start, got.end) if got.start and got.end else
                      Period(got.start, got.end or as_of, "the period", "该期间")
                      if got.start else ALL_TIME)
    rank = (got.rank, got.rank_n or 10) if got.rank and got.by else None
    return AskQuery(tuple(got.metrics), period, tuple(got.by), checked["filters"],
                    checked["exclude"], tuple(got.name_words), got.compare, rank, got.share,
                    lang)
