"""Ask your data: a question in plain Chinese or English, answered from the warehouse with the
metric query and the SQL that computed it (``shopkeeper.ask``; the JSON is ``docs/ask.md``'s).

Stateless: a follow-up ("and by country?") sends the last answer's ``metric_query`` back as
``previous``. The configured language model reads what the reader cannot; with the builtin
provider the reader alone answers. An answer is computed once per load (and per "today", model
and vocabulary file), like every other read of loaded data; the web overview's ask box and the
MCP ``ask`` tool share :func:`answer_question`.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from shopkeeper import accounts, ask, llm, metrics, store
from shopkeeper.api.app import settings as server_settings
from shopkeeper.api.app import warehouse
from shopkeeper.api.security import Principal, requires

router = APIRouter(tags=["ask"])
P = accounts.Permission
Wh = Annotated[store.Warehouse, Depends(warehouse)]
Settings = Annotated[store.Settings, Depends(server_settings)]
# dates a calendar of sales can hold (pandas' timestamps end in 2262)
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2200, 12, 31)
MAX_QUESTION = 2000
Day = Annotated[dt.date | None, Field(ge=FIRST_DAY, le=LAST_DAY)]
Names = Annotated[list[Annotated[str, Field(max_length=100)]], Field(max_length=50)]
Values = dict[Annotated[str, Field(max_length=100)],
              Annotated[list[Annotated[str, Field(max_length=500)]], Field(max_length=500)]]


class PeriodOf(BaseModel):
    """A period of a metric query: first and last day (null: open), and its labels."""

    model_config = ConfigDict(extra="allow")

    start: Day = None
    end: Day = None
    label: str = Field(default="", max_length=200)
    label_zh: str = Field(default="", max_length=200)


class MetricQuery(BaseModel):
    """The typed query an answer was computed from (its ``metric_query``), sent back as
    ``previous`` for a follow-up. Names are checked against the semantic layer when it is used:
    an unknown metric or dimension makes the answer ``refused``, never an error."""

    model_config = ConfigDict(extra="allow")

    metrics: Names = Field(min_length=1, description="Metric names, e.g. [\"gmv\"].")
    period: PeriodOf | None = Field(default=None, description="The period; null: all data.")
    by: Names = Field(default=[], description="Dimensions grouped by, e.g. [\"country\"].")
    filters: Values = Field(default={}, description="Dimension → the values kept.")
    exclude: Values = Field(default={}, description="Dimension → the values left out.")
    name_words: Names = Field(default=[], description="Words every product name contains.")
    compare: Literal["previous", "year"] | PeriodOf | None = Field(
        default=None, description="previous, year, or an explicit second period.")
    rank: tuple[Literal["top", "bottom"], Annotated[int, Field(ge=1, le=1000)]] | None = Field(
        default=None, description="[\"top\" | \"bottom\", n] over the first dimension.")
    share: bool = Field(default=False, description="The part's share of the whole.")
    language: Literal["en", "zh"] = "en"
    each: bool = Field(default=False, description="With share and by: each row's share.")
    compare_filters: Values = Field(
        default={}, description="Dimension → the values of the compared value, in the same "
                                "period: {\"weekday\": [\"Saturday\", \"Sunday\"]} against the "
                                "question's own filters.")


class AskRequest(BaseModel):
    question: str = Field(min_length=1, max_length=MAX_QUESTION,
                          description="The question, in Chinese or English, e.g. "
                                      "上个月哪个国家的客单价最高？ or What was GMV last month?")
    previous: MetricQuery | None = Field(
        default=None, description="The last answer's metric_query, for a follow-up such as "
                                  "那按月呢？ or and by country?; null for a new question.")
    as_of: Day = Field(default=None, description="The day 'today' means (YYYY-MM-DD); default: "
                                                 "the last day with an order, or today.")


class AskAnswer(BaseModel):
    """The answer, as ``shopkeeper ask --json`` prints it (see docs/ask.md)."""

    kind: Literal["number", "table", "ask_back", "refused"] = Field(
        description="number, table, ask_back (a question back, with choices) or refused.")
    text: str = Field(description="One sentence in the question's language; every number in "
                                  "it comes from the result.")
    question: str
    language: str = Field(description="en or zh: the question's language.")
    value: float | None = Field(default=None, description="The number (kind number).")
    previous: float | None = Field(default=None, description="The compared period's value.")
    change_pct: float | None = Field(default=None, description="The change, as a fraction.")
    unit: str = Field(default="", description="money, count, ratio (a fraction) or number.")
    currency: str = Field(default="", description="The currency of amounts.")
    columns: list[str] = []
    rows: list[list[Any]] = Field(default=[], description="The table (a ranking in its order).")
    choices: list[str] = Field(default=[], description="The readings to choose from (ask_back).")
    definitions: list[str] = Field(default=[], description="The metric definitions, the sale "
                                   "rule, the period and the 'today' used.")
    metric_query: dict[str, Any] | None = Field(
        default=None, description="The typed query; send it back as previous to follow up.")
    sql: str = Field(default="", description="The SQL that ran, parameters written in.")
    as_of: str = Field(default="", description="The 'today' used (YYYY-MM-DD).")
    source: str = Field(default="reader", description="reader, model, or sql (read-only SQL a "
                                                      "model wrote).")
    chart: dict[str, Any] | None = Field(default=None, description="A chart hint for a table: "
                                         "{type: bar | line, x: column, y: column}.")


def _vocabulary_stamp(path: str) -> list[Any]:
    if not path:
        return []
    try:
        return [path, Path(path).stat().st_mtime_ns]
    except OSError:
        return [path]


def answer_question(wh: store.Warehouse, settings: store.Settings, question: str, *,
                    previous: MetricQuery | dict[str, Any] | None = None,
                    as_of: dt.date | None = None) -> AskAnswer:
    """Ask with the store's money rules, vocabulary and model; computed once per data version
    (the API, the web overview and MCP share it). Treat the answer as read-only."""
    prev = previous.model_dump(mode="json") if isinstance(previous, BaseModel) else previous
    key = "ask:" + json.dumps([
        question.strip(), prev, as_of.isoformat() if as_of else ["today", dt.date.today()],
        _vocabulary_stamp(settings.ask_vocabulary), settings.report_currency, settings.fx_rates,
        settings.llm_provider, settings.llm_model, settings.llm_model_path,
    ], sort_keys=True, ensure_ascii=False, default=str)

    def compute() -> AskAnswer:
        money = metrics.converted_money(wh, settings.report_currency, settings.fx_rates)
        model = llm.get_llm(settings) if settings.llm_provider != "builtin" else None
        answer = ask.ask(wh, question, as_of=as_of, previous=prev,
                         vocabulary=settings.ask_vocabulary or None, llm=model, money=money)
        return AskAnswer.model_validate(answer.to_dict())

    return metrics.cached(wh, key, compute)


@router.post("/ask", response_model=AskAnswer,
             summary="Ask a question about the store's data in Chinese or English")
def ask_question(wh: Wh, settings: Settings, body: AskRequest,
                 _: Principal = requires(P.METRICS_READ)) -> AskAnswer:
    """Read the question into a metric query over the semantic layer, run it, and answer with
    one grounded sentence, the number or table, the definitions used, the metric query and
    the SQL. An open question (no metric, no period, "recently") is answered with ``kind:
    ask_back`` and the choices; one that cannot be answered reliably with ``kind: refused`` and
    the reason. A read: it changes nothing, so a read-scoped token may ask."""
    return answer_question(wh, settings, body.question, previous=body.previous,
                           as_of=body.as_of)
