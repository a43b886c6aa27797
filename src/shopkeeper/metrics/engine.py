"""The one query engine: metrics × dimensions × filters × time range × comparison → SQL → table.

Each fact source is aggregated once, in its own CTE, by the requested dimensions; the CTEs are
joined on those dimensions and the formula metrics are computed from the measures in the same
statement. A measure whose source cannot be split by a requested dimension (ad spend by
country) comes back empty (NULL) and is listed in ``MetricResult.unavailable``, never guessed.

Money is never added across currencies. A query reads one of three ways (:class:`Money`): only
the amounts in one currency; every amount converted into one currency at rates the merchant
supplied; or, when neither is asked and the store has more than one currency, split by a
``currency`` dimension added to the query. A unit cost in another currency than its sale, with
no rate to convert it, is an unknown cost (see ``cost_coverage``), never a zero one.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import pandas as pd

from shopkeeper.errors import ShopkeeperError
from shopkeeper.metrics.definitions import (
    CANCELLED,
    DIMENSIONS,
    METRICS,
    NESTED_SOURCES,
    SOURCE_CONDITIONS,
    SOURCES,
    TIME_GRAINS,
)
from shopkeeper.store import Warehouse, get_table
from shopkeeper.store.schema import LINEAGE

COMPARISONS = ("previous", "year")
_ALL = "_all"
_IDENT = re.compile(r"\b[a-z_]+\b")


class MetricError(ShopkeeperError, ValueError):
    """A metric request names something unknown or asks for something impossible."""


_CODE = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True)
class Money:
    """Which money a query reads. ``Money("EUR")``: only amounts in EUR (orders, refunds,
    expenses in other currencies are left out). ``Money("USD", {"EUR": 1.08})``: every amount
    converted into USD, where 1 EUR = 1.08 USD; a currency in the data without a rate is an
    error, never dropped."""

    currency: str
    rates: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for code in (self.currency, *self.rates):
            if not _CODE.match(str(code)):
                raise MetricError(f"currency must be a 3-letter ISO 4217 code in capitals, "
                                  f"got {code!r}")
        for code, rate in self.rates.items():
            if not (isinstance(rate, int | float) and 0 < float(rate) < float("inf")):
                raise MetricError(f"exchange rate for {code} must be a positive number, "
                                  f"got {rate!r}")

    @property
    def converts(self) -> bool:
        return any(code != self.currency for code in self.rates)

    def rate_sql(self, column: str) -> str:
        """SQL for the rate that turns an amount in ``column``'s currency into ``currency``
        (NULL for a currency without a rate)."""
        cases = " ".join(f"WHEN '{code}' THEN {float(rate)!r}"
                         for code, rate in self.rates.items() if code != self.currency)
        return f"(CASE {column} WHEN '{self.currency}' THEN 1.0 {cases} END)"

    def rates_text(self) -> str:
        """The rates, as a report states them: ``1 EUR = 1.08 USD, 1 GBP = 1.27 USD``."""
        return ", ".join(f"1 {code} = {float(rate):g} {self.currency}"
                         for code, rate in sorted(self.rates.items()) if code != self.currency)

    def describe(self) -> str:
        """How the amounts read, for a report: ``USD (converted at 1 EUR = 1.08 USD)``."""
        if not self.converts:
            return self.currency
        return f"{self.currency} (converted at {self.rates_text()})"


@dataclass(frozen=True)
class MetricQuery:
    """What to compute: ``metrics`` by ``by`` (dimensions, at most one time grain), keeping rows
    where each ``filters`` dimension is one of the given values and each ``exclude`` dimension
    is none of them, for dates ``start``..``end`` (inclusive; open when None), optionally
    against the ``previous`` period or the same period a ``year`` earlier."""

    metrics: tuple[str, ...]
    by: tuple[str, ...] = ()
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    start: dt.date | None = None
    end: dt.date | None = None
    compare: str | None = None
    money: Money | None = None
    exclude: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = [m for m in self.metrics if m not in METRICS]
        if unknown or not self.metrics:
            raise MetricError(
                f"unknown metric {', '.join(map(repr, unknown))}; known: {', '.join(METRICS)}"
                if unknown else "ask for at least one metric")
        for dim in (*self.by, *self.filters, *self.exclude):
            if dim not in DIMENSIONS:
                raise MetricError(f"unknown dimension {dim!r}; known: {', '.join(DIMENSIONS)}")
        if len([d for d in self.by if d in TIME_GRAINS]) > 1:
            raise MetricError("group by at most one time grain (day, week, month, quarter, year)")
        if any(d in TIME_GRAINS for d in (*self.filters, *self.exclude)):
            raise MetricError("filter time with start and end, not with a time grain")
        if self.compare is not None and self.compare not in COMPARISONS:
            raise MetricError(f"compare must be one of {', '.join(COMPARISONS)}")
        if self.compare and (self.start is None or self.end is None):
            raise MetricError("a comparison needs both a start and an end date")
        if self.start and self.end and self.start > self.end:
            raise MetricError(f"start {self.start} is after end {self.end}")

    @property
    def grain(self) -> str | None:
        return next((d for d in self.by if d in TIME_GRAINS), None)


@dataclass
class MetricResult:
    """The table (dimensions, then one column per metric; with a comparison also
    ``<metric>_prev``, ``<metric>_change`` and ``<metric>_change_pct``), the SQL that made it,
    the metrics that could not be split by the requested dimensions, and the currency of its
    amounts (``money``: ``EUR``, ``USD (converted at 1 EUR = 1.08 USD)``, ``by currency``, or
    empty when no amount is asked for)."""

    df: pd.DataFrame
    query: MetricQuery
    sql: str
    unavailable: dict[str, list[str]]
    money: str = ""
    params: list = field(default_factory=list)

    def sql_with_params(self) -> str:
        """The SQL with its parameters written in, to read or to run as it is."""
        return inline_params(self.sql, self.params)


def inline_params(sql: str, params: Sequence) -> str:
    """``sql`` with each ``?`` replaced by its parameter as a SQL literal."""
    def literal(v) -> str:
        if isinstance(v, list | tuple):
            return "[" + ", ".join(literal(x) for x in v) + "]"
        if isinstance(v, int | float):
            return repr(v)
        return "'" + str(v).replace("'", "''") + "'"

    out, quoted, i = [], False, 0
    for ch in sql:  # a ? inside a string literal ('fees?$') is not a parameter
        if ch == "'":
            quoted = not quoted
        if ch == "?" and not quoted:
            if i >= len(params):
                return sql
            out.append(literal(params[i]))
            i += 1
        else:
            out.append(ch)
    return "".join(out) if i == len(params) else sql


def measures_of(metric: str) -> list[str]:
    """The measures a metric is computed from (itself, for a measure)."""
    m = METRICS[metric]
    if m.is_measure:
        return [metric]
    out: list[str] = []
    for name in _IDENT.findall(m.formula or ""):
        if name in METRICS:
            out += [x for x in measures_of(name) if x not in out]
    return out


def expand(metric: str) -> str:
    """The metric's formula written over measure columns only."""
    m = METRICS[metric]
    if m.is_measure:
        return f'"{metric}"'
    return "(" + _IDENT.sub(
        lambda t: expand(t.group()) if t.group() in METRICS else t.group(), m.formula or "") + ")"


def _dim_sql(dim: str, source: str, time_col: str) -> str | None:
    if dim == _ALL:
        return "'all'"
    d = DIMENSIONS[dim]
    if d.is_time:
        return f"CAST(date_trunc('{dim}', CAST({time_col} AS DATE)) AS DATE)"
    return d.sql.get(source)


def compile_query(q: MetricQuery) -> tuple[str, list, dict[str, list[str]]]:
    """SQL and parameters for the query's current period, and the unavailable metrics."""
    dims = list(q.by) or [_ALL]
    needed = list(dict.fromkeys(x for m in q.metrics for x in measures_of(m)))
    by_source: dict[str, list[str]] = {}
    for measure in needed:
        by_source.setdefault(METRICS[measure].source or "", []).append(measure)
    split = [d for d in dict.fromkeys((*dims, *q.filters, *q.exclude))
             if d != _ALL and not DIMENSIONS[d].is_time]
    missing = {s: [d for d in split if _source_base(s) not in DIMENSIONS[d].sql]
               for s in by_source}
    params: list = []
    ctes = []
    dim_cols = ", ".join(f'"{d}"' for d in dims)
    reads_sales = " ".join([*(METRICS[m].sql or "" for m in needed),
                            *(DIMENSIONS[d].sql.get("sales", "") for d in split)])
    if any(_source_base(s) == "sales" and not missing[s] for s in by_source):
        sales_sql, params = _sales_cte(q, reads_sales)
        ctes.append(sales_sql)
    ranked = [cte for alias, cte in (("rk|f", _ORDER_RANKS_CTE), ("f", _FIRST_ORDERS_CTE))
              if re.search(rf"\b({alias})\.", reads_sales)]
    ctes += [_VALUED_ORDERS_CTE, *ranked] if ranked else []
    joined: list[str] = []
    for source, measures in by_source.items():
        if missing[source]:
            continue
        base = _source_base(source)
        table, time_col, joins = SOURCES[base]
        reads = " ".join([*(METRICS[m].sql or "" for m in measures),
                          *(DIMENSIONS[d].sql.get(base, "") for d in split),
                          SOURCE_CONDITIONS.get(base, "")])
        if q.money is not None and q.money.converts and base in _CONVERTED:
            name, alias = table.split()
            columns = ", ".join(
                f"amount * {q.money.rate_sql('currency')} AS amount" if c == "amount" else f'"{c}"'
                for c in _column_names(name))
            table = f"(SELECT {columns} FROM {name}) {alias}"
        from_sql = " ".join([table, *(join for alias, join in joins.items()
                                      if re.search(rf"\b{alias}\.", reads))])
        if source in NESTED_SOURCES:
            if _CUSTOMER_TYPE in split:
                inner, inner_params = _typed_customers(q, dims, base, time_col, from_sql)
            else:
                inner, inner_params = _customers(q, dims, base, time_col, from_sql)
            params += inner_params
            body = (f"SELECT {dim_cols}, "
                    + ", ".join(f"{METRICS[m].sql} AS \"{m}\"" for m in measures)
                    + f" FROM ({inner}) GROUP BY ALL")
        else:
            where, where_params = _where(q, base, time_col)
            params += where_params
            dim_select = ", ".join(f"{_dim_sql(d, base, time_col)} AS \"{d}\"" for d in dims)
            body = (f"SELECT {dim_select}, "
                    + ", ".join(f"{METRICS[m].sql} AS \"{m}\"" for m in measures)
                    + f" FROM {from_sql} WHERE {where} GROUP BY ALL")
        ctes.append(f"m_{source} AS ({body})")
        joined.append(source)
    if len(joined) == 1:  # one source: its rows are the keys
        from_sql = f"m_{joined[0]}"
    elif joined:
        ctes.append("keys AS (" + " UNION ".join(
            f"SELECT {dim_cols} FROM m_{s}" for s in joined) + ")")
        from_sql = "keys k" + "".join(
            f" LEFT JOIN m_{s} USING ({dim_cols})" for s in joined)
    else:  # nothing can be computed: no groups, or for a total one empty row
        nulls = ", ".join(f'NULL::VARCHAR AS "{d}"' for d in dims)
        from_sql = f"(SELECT {nulls}{'' if dims == [_ALL] else ' WHERE FALSE'})"
    measure_cols = []
    for measure in needed:
        source = METRICS[measure].source or ""
        value = f'coalesce(m_{source}."{measure}", 0)' if source in joined else "NULL::DOUBLE"
        measure_cols.append(f'{value} AS "{measure}"')
    metric_cols = ", ".join(f'{expand(m)} AS "{m}"' for m in q.metrics)
    ctes.append(f"measures AS (SELECT {dim_cols}, {', '.join(measure_cols)} FROM {from_sql})")
    sql = ("WITH " + ",\n".join(ctes)
           + f"\nSELECT {dim_cols}, {metric_cols} FROM measures ORDER BY {dim_cols}")
    unavailable = {
        m: sorted({d for x in measures_of(m) for d in missing[METRICS[x].source or ""]})
        for m in q.metrics
        if any(missing[METRICS[x].source or ""] for x in measures_of(m))
    }
    return sql, params, unavailable


_CUSTOMER_TYPE = "customer_type"
# a customer's type within a group: new when their first order ever is among its orders
_CUSTOMER_TYPE_OF_CUSTOMER = ("CASE WHEN customer_id IS NULL THEN 'guest' WHEN has_first "
                              "THEN 'new' ELSE 'returning' END")


def _customers(q: MetricQuery, dims: list[str], base: str, time_col: str,
               from_sql: str) -> tuple[str, list]:
    """Each customer's orders, their GMV and units per group: what the per-customer measures
    count over."""
    where, params = _where(q, base, time_col)
    select = ", ".join(f"{_dim_sql(d, base, time_col)} AS \"{d}\"" for d in dims)
    return (f"SELECT {select}, l.customer_id, count(DISTINCT l.order_id) AS n_orders, "
            f"sum(l.line_gross) AS gross, sum(l.quantity) AS qty FROM {from_sql} WHERE {where} "
            f"GROUP BY ALL"), params


def _typed_customers(q: MetricQuery, dims: list[str], base: str, time_col: str,
                     from_sql: str) -> tuple[str, list]:
    """Each customer's orders per group, with ``customer_type`` read per customer, not per
    order: "new customers' repeat rate last month" counts the customers whose first order
    was last month and who ordered again within it (per order, a new customer's second order
    is a returning one, and the rate would always be 0)."""
    rest = replace(q, filters={d: v for d, v in q.filters.items() if d != _CUSTOMER_TYPE},
                   exclude={d: v for d, v in q.exclude.items() if d != _CUSTOMER_TYPE})
    where, params = _where(rest, base, time_col)
    select = ", ".join(f"{_dim_sql(d, base, time_col)} AS \"{d}\""
                       for d in dims if d != _CUSTOMER_TYPE)
    per_customer = (f"SELECT {select + ', ' if select else ''}l.customer_id, "
                    f"count(DISTINCT l.order_id) AS n_orders, sum(l.line_gross) AS gross, "
                    f"sum(l.quantity) AS qty, "
                    f"bool_or(l.order_id = f.first_order_id) AS has_first "
                    f"FROM {from_sql} WHERE {where} GROUP BY ALL")
    inner = (f"SELECT *, {_CUSTOMER_TYPE_OF_CUSTOMER} AS \"{_CUSTOMER_TYPE}\" "
             f"FROM ({per_customer})")
    keep = []
    for values, op in ((q.filters.get(_CUSTOMER_TYPE), "IN"),
                       (q.exclude.get(_CUSTOMER_TYPE), "NOT IN")):
        if values:
            keep.append(f"\"{_CUSTOMER_TYPE}\" {op} (SELECT unnest(?))")
            params.append([str(v) for v in values])
    return (f"SELECT * FROM ({inner}) WHERE {' AND '.join(keep)}" if keep else inner), params


def _column_names(table: str) -> list[str]:
    """The canonical table's columns, lineage included, in order."""
    return [c.name for c in (*get_table(table).columns, *LINEAGE)]


def _source_base(source: str) -> str:
    return NESTED_SOURCES.get(source, source)


def _date_range(q: MetricQuery, time_col: str) -> tuple[list[str], list]:
    """``time_col`` within the query's dates (inclusive), as clauses and parameters."""
    clauses, params = [], []
    for op, value in ((">=", q.start), ("<=", q.end)):
        if value is not None:
            clauses.append(f"CAST({time_col} AS DATE) {op} CAST(? AS DATE)")
            params.append(str(value))
    return clauses, params


_CONVERTED = ("refunds", "expenses")  # sources whose ``amount`` a conversion rewrites


def _where(q: MetricQuery, source: str, time_col: str) -> tuple[str, list]:
    clauses, params = ["TRUE"], []
    if source in SOURCE_CONDITIONS:
        clauses.append(SOURCE_CONDITIONS[source])
    if source != "sales":  # the sales CTE applies the date range itself
        dates, params = _date_range(q, time_col)
        clauses += dates
    for dim, values in q.filters.items():
        clauses.append(f"{DIMENSIONS[dim].sql[source]} IN (SELECT unnest(?))")
        params.append([str(v) for v in values])
    for dim, values in q.exclude.items():
        clauses.append(f"{DIMENSIONS[dim].sql[source]} NOT IN (SELECT unnest(?))")
        params.append([str(v) for v in values])
    return " AND ".join(clauses), params


_GROSS = "coalesce(l.quantity * l.unit_price, l.line_amount + coalesce(l.discount_amount, 0))"
# orders that are sales: not cancelled, and with a value (see definitions.py)
_SALE = f"coalesce(o.status, '') <> '{CANCELLED}'"
# lines are never negative (quantity > 0, unit price ≥ 0: schema rules), so an order's value
# is not zero exactly when one of its lines has a value: a semi join on those lines' orders
# (a hash join) is much cheaper than summing every order's lines in a window
_VALUED = f"SELECT v.order_id FROM order_lines v WHERE {_GROSS.replace('l.', 'v.')} <> 0"
_VALUED_ORDERS_CTE = f"valued_orders AS ({_VALUED})"


def _sales_cte(q: MetricQuery, sql_used: str) -> tuple[str, list]:
    """Order lines of the sales in the date range, with what the measures need.

    ``sql_used`` is the measure and dimension SQL that will read the CTE: the product, unit
    cost and order-discount joins are made only when it reads their columns. With a
    converting :class:`Money`, every amount (prices, discounts, costs) is in its currency.
    """
    dates, params = _date_range(q, "o.ordered_at")
    # the orders with a value, looked up among the period's orders only
    valued_dates, valued_params = _date_range(q, "vo.ordered_at")
    valued = (_VALUED if not valued_dates else
              _VALUED.replace("FROM order_lines v", "FROM order_lines v JOIN orders vo USING "
                              "(order_id)") + "".join(f" AND {c}" for c in valued_dates))
    where = " AND ".join([_SALE, *dates, f"l.order_id IN ({valued})"])
    params = params + valued_params
    costs = "unit_cost" in sql_used
    discounts = "order_discount_share" in sql_used
    titles = "l.title" in sql_used
    products = costs or "category" in sql_used or titles
    money = q.money if q.money is not None and q.money.converts else None
    line_rate = f" * {money.rate_sql('l.currency')}" if money else ""
    order_rate = f" * {money.rate_sql('o.currency')}" if money else ""
    ctes, columns, joins = [], [], []
    if costs:
        # each product's primary supplier (else its cheapest): one row per product
        ctes.append("""unit_costs AS (
    SELECT product_id, supplier_cost, supplier_currency FROM (
        SELECT product_id, unit_cost AS supplier_cost, currency AS supplier_currency,
               row_number() OVER (PARTITION BY product_id ORDER BY is_primary DESC NULLS LAST,
                                  unit_cost, currency, supplier_id) AS pick
        FROM sku_suppliers) ranked
    WHERE pick = 1)""")
        own_cur = "coalesce(p.currency, l.currency)"
        sup_cur = "coalesce(c.supplier_currency, l.currency)"
        if money:  # both costs converted; a cost in a currency without a rate is unknown
            cost = (f"coalesce(p.unit_cost * {money.rate_sql(own_cur)}, "
                    f"c.supplier_cost * {money.rate_sql(sup_cur)})")
        else:  # a cost counts only in its sale's own currency
            cost = (f"coalesce(CASE WHEN {own_cur} = l.currency THEN p.unit_cost END, "
                    f"CASE WHEN {sup_cur} = l.currency THEN c.supplier_cost END)")
        columns.append(f"{cost} AS unit_cost")
        joins.append("LEFT JOIN unit_costs c USING (product_id)")
    if products:
        columns.append("p.category")
        joins.insert(0, "LEFT JOIN products p USING (product_id)")
    if titles:  # the name the line was sold under, else its product's
        columns.append("coalesce(l.title, p.title) AS title")
    lines = f"""SELECT l.order_id, l.product_id, l.quantity,
           l.discount_amount{line_rate} AS discount_amount, o.customer_id, o.channel,
           o.ordered_at, o.country, o.region, l.currency,
           o.discount_amount{order_rate} AS order_discount,
           {", ".join([f"{_GROSS}{line_rate} AS line_gross", *columns])}
    FROM order_lines l JOIN orders o USING (order_id) {" ".join(joins)}
    WHERE {where}"""
    if not discounts:
        ctes.append(f"sales AS ({lines})")
        return ",\n".join(ctes), params
    # order-level discounts are spread over the order's lines by their share of its value; the
    # lines are read once (a materialised CTE) for both the shares and the measures. A share is
    # a decimal to 1e-10, not a double: sums of millions of doubles drift by cents, differently
    # on each engine and in each parallel run
    ctes.append(f"""sales_lines AS MATERIALIZED ({lines}),
order_discounts AS (
    SELECT order_id, any_value(order_discount) / nullif(sum(line_gross), 0) AS rate
    FROM sales_lines WHERE coalesce(order_discount, 0) <> 0 GROUP BY order_id),
sales AS (
    SELECT s.*, CAST(coalesce(d.rate, 0) * s.line_gross AS DECIMAL(38, 10))
                AS order_discount_share
    FROM sales_lines s LEFT JOIN order_discounts d USING (order_id))""")
    return ",\n".join(ctes), params


# a customer's sales numbered in time: 1 is their first sale ever, 5 their fifth
_ORDER_RANKS_CTE = f"""order_ranks AS (
    SELECT order_id, customer_id, row_number() OVER (PARTITION BY customer_id ORDER BY ordered_at, order_id)
           AS order_rank
    FROM orders o SEMI JOIN valued_orders USING (order_id)
    WHERE {_SALE} AND customer_id IS NOT NULL)"""

# a customer's first sale (of two at the same moment, the lower order id): their rank-1 order
_FIRST_ORDERS_CTE = """first_orders AS (
    SELECT customer_id, order_id AS first_order_id FROM order_ranks WHERE order_rank = 1)"""


def _as_date(value: dt.date | str | None) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise MetricError(f"not a date: {value!r} (use YYYY-MM-DD)") from None


def query(
    warehouse: Warehouse,
    metrics: str | Sequence[str],
    *,
    by: str | Sequence[str] = (),
    filters: Mapping[str, str | Sequence[str]] | None = None,
    start: dt.date | str | None = None,
    end: dt.date | str | None = None,
    compare: str | None = None,
    money: Money | None = None,
    exclude: Mapping[str, str | Sequence[str]] | None = None,
) -> MetricResult:
    """Compute ``metrics`` from the warehouse; see :class:`MetricQuery` for the arguments and
    :class:`Money` for ``money``. ``exclude`` leaves out rows whose dimension is one of the
    given values (every country but the UK). Without ``money``, a store with more than one currency has
    its amounts split by a ``currency`` column added to ``by``: they are never added up."""
    as_tuple = lambda v: (v,) if isinstance(v, str) else tuple(v)  # noqa: E731
    by, filters_ = as_tuple(by), {k: as_tuple(v) for k, v in (filters or {}).items()}
    names = as_tuple(metrics)
    described = ""
    if money is not None and not money.converts:  # one currency: its orders only, counts too
        filters_ = {**filters_, "currency": (money.currency,)}
    if any(METRICS[m].unit == "money" for n in names if n in METRICS for m in measures_of(n)):
        found = currencies(warehouse) if money is None or money.converts else []
        if money is not None and money.converts:
            lacking = [c for c in found if c != money.currency and c not in money.rates]
            if lacking:
                raise MetricError(
                    f"no exchange rate for {', '.join(lacking)} into {money.currency}: add it "
                    f"under [fx_rates] in the config (e.g. {lacking[0]} = 1.08, meaning 1 "
                    f"{lacking[0]} = 1.08 {money.currency}), or read one currency at a time")
            described = money.describe()
        elif money is not None:
            described = money.currency
        elif len(found) > 1 and "currency" not in by and len(filters_.get("currency", ())) != 1:
            by = (*by, "currency")
            described = "by currency"
        elif "currency" in by:
            described = "by currency"
        else:
            described = (filters_.get("currency") or found or ("",))[0]
    q = MetricQuery(
        metrics=names, by=by, filters=filters_,
        start=_as_date(start), end=_as_date(end), compare=compare, money=money,
        exclude={k: as_tuple(v) for k, v in (exclude or {}).items()},
    )
    sql, params, unavailable = compile_query(q)
    df = _run(warehouse, sql, params, q)
    if q.compare:
        df = _with_comparison(warehouse, q, df)
    return MetricResult(df, q, sql, unavailable, described, list(params))


def currencies(warehouse: Warehouse) -> list[str]:
    """The currencies of the store's orders, refunds and expenses, the most used first."""
    rows = warehouse.query("""
        SELECT currency FROM (
            SELECT currency, count(*) AS n FROM orders GROUP BY 1 UNION ALL
            SELECT currency, count(*) FROM refunds GROUP BY 1 UNION ALL
            SELECT currency, count(*) FROM expenses GROUP BY 1)
        WHERE currency IS NOT NULL GROUP BY 1 ORDER BY sum(n) DESC, 1""")
    return [str(r[0]) for r in rows]


def converted_money(warehouse: Warehouse, report_currency: str = "",
                    fx_rates: dict[str, float] | None = None) -> Money | None:
    """Every amount converted into ``report_currency`` (default: the store's most used
    currency) at ``fx_rates``; None without rates (amounts then stay in their own currency)."""
    if not fx_rates:
        return None
    found = currencies(warehouse)
    return Money((report_currency or (found[0] if found else "USD")).upper(),
                 {k.upper(): float(r) for k, r in fx_rates.items()})


def _run(warehouse: Warehouse, sql: str, params: list, q: MetricQuery) -> pd.DataFrame:
    df = warehouse.query_df(sql, params)
    if not q.by:
        df = df.drop(columns=[_ALL])
    if q.grain:
        df[q.grain] = pd.to_datetime(df[q.grain])
    for m in q.metrics:
        df[m] = pd.to_numeric(df[m], errors="coerce").astype("float64")
    return df


def comparison_range(q: MetricQuery) -> tuple[dt.date, dt.date, pd.DateOffset]:
    """The comparison period's dates, and the offset that moves them onto the current ones.

    ``year``: a year earlier. ``previous``: one bucket back when grouped by a time grain;
    otherwise the period just before, as many whole months as the range when it is whole
    calendar months (November is compared with October), else as many days.
    """
    assert q.start is not None and q.end is not None
    after_end = pd.Timestamp(q.end) + pd.Timedelta(days=1)
    if q.compare == "year":
        offset = pd.DateOffset(years=1)
    elif q.grain:
        offset = {"day": pd.DateOffset(days=1), "week": pd.DateOffset(weeks=1),
                  "month": pd.DateOffset(months=1), "quarter": pd.DateOffset(months=3),
                  "year": pd.DateOffset(years=1)}[q.grain]
    elif q.start.day == 1 and after_end.day == 1:
        offset = pd.DateOffset(months=(after_end.year - q.start.year) * 12
                               + after_end.month - q.start.month)
    else:
        offset = pd.DateOffset(days=(q.end - q.start).days + 1)
    return ((pd.Timestamp(q.start) - offset).date(),
            (after_end - offset - pd.Timedelta(days=1)).date(), offset)


def _with_comparison(warehouse: Warehouse, q: MetricQuery, df: pd.DataFrame) -> pd.DataFrame:
    start, end, offset = comparison_range(q)
    prev_q = MetricQuery(q.metrics, q.by, q.filters, start, end, money=q.money, exclude=q.exclude)
    sql, params, _ = compile_query(prev_q)
    prev = _run(warehouse, sql, params, prev_q)
    if q.grain:
        prev[q.grain] = prev[q.grain] + offset
    keys = list(q.by)
    prev = prev.rename(columns={m: f"{m}_prev" for m in q.metrics})
    out = df.merge(prev, on=keys, how="left") if keys else pd.concat([df, prev], axis=1)
    for m in q.metrics:
        out[f"{m}_prev"] = out[f"{m}_prev"].astype("float64")
        out[f"{m}_change"] = out[m] - out[f"{m}_prev"]
        base = out[f"{m}_prev"].abs().where(out[f"{m}_prev"] != 0)
        out[f"{m}_change_pct"] = out[f"{m}_change"] / base
    return out
