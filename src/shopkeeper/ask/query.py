"""The typed question: what the reader (or a model) makes of the words, before any data is read.

An :class:`AskQuery` is a metric query of the semantic layer (metrics × dimensions × filters ×
period × comparison) plus what questions add on top: a ranking (top or bottom N), a share of the
total, and product-name words. Everything in it is checked against the semantic layer, so it can
never name a metric or dimension that does not exist.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from shopkeeper.ask.periods import Period
from shopkeeper.metrics import DIMENSIONS, METRICS, TIME_GRAINS, MetricError

# the days an average per day divides by: every day of the period, or the days with an order
PER_DAY = ("calendar", "trading")
# what a ranking by change orders by: the change itself, or the change in per cent
RANK_BY = ("change", "change_pct")


def summable(metric: str) -> bool:
    """Whether the metric adds up over groups and days (a sum or count, not a ratio)."""
    return metric in METRICS and "/" not in (METRICS[metric].formula or "")


@dataclass(frozen=True)
class AskQuery:
    """One question, read. ``rank`` is ("top" | "bottom", n) over the first ``by`` dimension;
    ``share`` asks for the part's share of the whole (of the total without the ``filters``,
    or of all groups when ranking); ``name_words`` keeps products whose name contains every
    word; ``compare`` is "previous", "year" or an explicit second period;
    ``compare_filters`` compares with the same period under other filters instead ("Sundays
    against Monday to Friday"); ``over_share``, with ``over`` and ``share``, is the share of
    the groups counted ("groups") or the groups' part of the metric's total ("metric");
    ``whole_dims``, with ``share``, are the filters that bound the whole as well as the part
    ("of 23298's units this year, what share went outside the UK": 23298's units), the
    exclusions then being the part's alone; ``exclude_words`` leaves out products whose name
    contains any of them ("CHRISTMAS but not TREE"); ``top_value``, with a top or bottom 1, answers
    with that group's value as the number ("how much was our biggest order last week");
    ``per_day``, with ``by`` the day alone, averages the daily values over the period's
    "calendar" days or its "trading" days, the days the store had an order ("平均每个出单日几单");
    ``rest``, with a ranking, answers the metric of everything but the groups ranked ("Nov
    sales excluding our top 10 customers"); ``whole_orders`` measures the orders that hold the
    products named, every line of them ("orders with a jumbo bag in them: the whole order's
    average value"); ``rank_by``, with a ranking and a comparison, ranks the groups by their
    "change" between the periods or its "change_pct" instead of by the value ("the 3 countries
    whose sales grew most in Nov over Oct": top; "fell the most": bottom); ``also_in``, with
    the customers metric alone, counts the period's customers who also ordered in that other
    period, or with ``share`` their share of the period's customers ("Of November's customers,
    what % had also ordered in October?"); ``not_in``, with the customers metric alone, counts
    the period's customers who did not order in that other period, the lapsed ("which customers
    haven't ordered in the last 90 days": those who ordered before the 90 days, none in them),
    their share with ``share``, or with ``by`` the customer alone, lists them; another metric
    alone measures their orders in the period ("November sales from customers who hadn't
    ordered in October")."""

    metrics: tuple[str, ...]
    period: Period
    by: tuple[str, ...] = ()
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    exclude: dict[str, tuple[str, ...]] = field(default_factory=dict)
    name_words: tuple[str, ...] = ()
    compare: str | Period | None = None
    rank: tuple[str, int] | None = None
    share: bool = False
    language: str = "en"
    each: bool = False  # with ``share`` and ``by``: each row's share, not the part's
    # count the ``by[0]`` groups whose first metric is (">", ">=" or "<") the number
    over: tuple[str, float] | None = None
    compare_filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    over_share: str = "groups"
    whole_dims: tuple[str, ...] = ()
    # with a comparison under other filters: what the other side leaves out instead of a filter
    # of the same dimension ("UK customers against customers abroad": everywhere but the UK)
    compare_exclude: dict[str, tuple[str, ...]] = field(default_factory=dict)
    top_value: bool = False
    exclude_words: tuple[str, ...] = ()
    per_day: str | None = None
    over_to: float | None = None  # with ``over`` (">=", low): a band, this its top (included)
    rest: bool = False  # with ``rank``: the metric over everything but the groups ranked
    # the products named (codes or name words) pick the orders, which are measured whole
    whole_orders: bool = False
    rank_by: str | None = None  # with ``rank`` and ``compare``: "change" or "change_pct"
    also_in: Period | None = None  # with customers alone: those who also ordered in this period
    not_in: Period | None = None  # customers (or one metric of theirs) with no order in this period
    # with ``top_value``: the metric the number gives when not the one ranked by ("how many
    # orders did our top spender place": ranked by sales, answered in orders)
    value_metric: str | None = None

    @property
    def other_side(self) -> bool:
        """Whether the comparison is the same period under other filters."""
        return bool(self.compare_filters or self.compare_exclude)

    def check(self, known_metrics: set[str]) -> None:
        """Raise :class:`MetricError` unless every name exists in the semantic layer."""
        unknown = [m for m in self.metrics if m not in known_metrics]
        if unknown or not self.metrics:
            raise MetricError(f"unknown metric {', '.join(unknown) or '(none)'}")
        for dim in (*self.by, *self.filters, *self.exclude, *self.compare_filters,
                    *self.compare_exclude):
            if dim not in DIMENSIONS:
                raise MetricError(f"unknown dimension {dim!r}")
        if len([d for d in self.by if d in TIME_GRAINS]) > 1:
            raise MetricError("at most one time grain")
        if self.rank and (self.rank[0] not in ("top", "bottom") or not 0 < self.rank[1] <= 1000):
            raise MetricError(f"a ranking is top or bottom 1..1000, not {self.rank}")
        if self.rank and not self.by:
            raise MetricError("a ranking needs something to rank (countries, products …)")
        if self.other_side and (self.compare is not None or self.share or self.over):
            raise MetricError("a comparison under other filters stands alone: no second "
                              "period, share or threshold with it")
        if self.over and (self.over[0] not in (">", ">=", "<") or not self.by):
            raise MetricError(f"a count past a threshold is >, >= or < over groups, not {self.over}")
        if self.over_to is not None and not (self.over and self.over[0] == ">="
                                             and self.over[1] <= self.over_to):
            raise MetricError("a band of values runs from its low end (over >=) to over_to")
        if self.rest and not (self.rank and not self.share and self.compare is None):
            raise MetricError("the rest beyond a ranking needs a top or bottom N, with no share "
                              "or comparison")
        if self.whole_orders and not (self.name_words or self.filters.get("sku")):
            raise MetricError("whole orders are picked by the products they hold: name one")
        if self.top_value and not (self.rank and self.rank[1] == 1):
            raise MetricError("the value of the top group needs a top or bottom 1")
        if self.per_day is not None and (
                self.per_day not in PER_DAY or self.by != ("day",) or self.compare is not None
                or self.share or self.over or self.rank or self.other_side):
            raise MetricError("an average per day is over calendar or trading days, split by "
                              "day alone, with no comparison, share, threshold or ranking")
        if self.rank_by is not None and (
                self.rank_by not in RANK_BY or not self.rank or self.compare is None
                or self.share or self.over or self.rest or self.top_value):
            raise MetricError("a ranking by change needs a top or bottom N and a comparison, "
                              "with no share, threshold or rest")
        if self.also_in is not None and (
                self.metrics != ("customers",) or self.by or self.compare is not None
                or self.filters or self.exclude or self.name_words or self.over or self.rank
                or self.per_day or self.other_side or self.also_in.is_all
                or self.period.is_all):
            raise MetricError("customers also found in another period are counted alone: the "
                              "customers metric, two periods, no filter, split or comparison")
        if self.not_in is not None and (
                (self.metrics != ("customers",) and (len(self.metrics) > 1 or self.by
                                                     or self.share))
                or self.by not in ((), ("customer",))
                or self.compare is not None or self.filters or self.exclude or self.name_words
                or self.over or self.rank or self.per_day or self.other_side or self.also_in
                or self.not_in.is_all or (self.share and self.by)):
            raise MetricError("customers who did not order in a period are counted alone (the "
                              "customers metric, split by customer at most) or measured by one "
                              "metric: two periods, no filter or comparison")
        if self.value_metric is not None and not (
                self.top_value and self.value_metric in self.metrics[1:]):
            raise MetricError("the value of the top group in another metric needs top_value "
                              "and that metric beside the one ranked by")
        if self.over_share not in ("groups", "metric"):
            raise MetricError(f"a share past a threshold is of the groups or of the metric, not "
                              f"{self.over_share!r}")

    def to_dict(self) -> dict[str, Any]:
        """The query as JSON-ready data (dates as ISO strings)."""
        out = asdict(self)
        out["period"] = _period_dict(self.period)
        out["compare"] = (_period_dict(self.compare) if isinstance(self.compare, Period)
                          else self.compare)
        out["rank"] = list(self.rank) if self.rank else None
        out["over"] = list(self.over) if self.over else None
        out["also_in"] = _period_dict(self.also_in) if self.also_in else None
        out["not_in"] = _period_dict(self.not_in) if self.not_in else None
        return json.loads(json.dumps(out, ensure_ascii=False))  # tuples → lists, as JSON reads


def _period_dict(p: Period) -> dict[str, Any]:
    return {"start": p.start.isoformat() if p.start else None,
            "end": p.end.isoformat() if p.end else None, "label": p.label_en,
            "label_zh": p.label_zh}


def period_from_dict(data: dict[str, Any] | None) -> Period | None:
    if not data:
        return None
    start = dt.date.fromisoformat(data["start"]) if data.get("start") else None
    end = dt.date.fromisoformat(data["end"]) if data.get("end") else None
    label = str(data.get("label") or (f"{start} to {end}" if start else "all data"))
    return Period(start, end, label, str(data.get("label_zh") or label))


def query_from_dict(data: dict[str, Any]) -> AskQuery:
    """An :class:`AskQuery` back from :meth:`AskQuery.to_dict` (a follow-up's context)."""
    try:
        return _from_dict(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise MetricError(f"the previous question's query cannot be read ({exc!r}): ask it "
                          "again in full") from None


def _from_dict(data: dict[str, Any]) -> AskQuery:
    compare = data.get("compare")
    return AskQuery(
        metrics=tuple(data["metrics"]), period=period_from_dict(data["period"]) or Period(
            None, None, "all data", "全部数据"),
        by=tuple(data.get("by") or ()), filters={k: tuple(v) for k, v in
                                                 (data.get("filters") or {}).items()},
        exclude={k: tuple(v) for k, v in (data.get("exclude") or {}).items()},
        name_words=tuple(data.get("name_words") or ()),
        compare=period_from_dict(compare) if isinstance(compare, dict) else compare,
        rank=tuple(data["rank"]) if data.get("rank") else None,  # type: ignore[arg-type]
        share=bool(data.get("share")), language=str(data.get("language") or "en"),
        each=bool(data.get("each")),
        over=(str(data["over"][0]), float(data["over"][1])) if data.get("over") else None,
        compare_filters={k: tuple(v) for k, v in (data.get("compare_filters") or {}).items()},
        over_share=str(data.get("over_share") or "groups"),
        whole_dims=tuple(data.get("whole_dims") or ()),
        compare_exclude={k: tuple(v) for k, v in (data.get("compare_exclude") or {}).items()},
        top_value=bool(data.get("top_value")),
        exclude_words=tuple(data.get("exclude_words") or ()),
        per_day=str(data["per_day"]) if data.get("per_day") else None,
        over_to=float(data["over_to"]) if data.get("over_to") is not None else None,
        rest=bool(data.get("rest")), whole_orders=bool(data.get("whole_orders")),
        rank_by=str(data["rank_by"]) if data.get("rank_by") else None,
        also_in=period_from_dict(data.get("also_in")),
        not_in=period_from_dict(data.get("not_in")),
        value_metric=str(data["value_metric"]) if data.get("value_metric") else None)
