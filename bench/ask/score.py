"""Judge one ``shopkeeper ask --json`` answer against one gold item of bench/ask/gold.json.

    from score import score          # with bench/ask on sys.path
    ok, why = score(answer, gold_item)

    .venv/bin/python bench/ask/score.py     # self-checks: right answers pass, wrong ones fail

The answer is the JSON contract of ``shopkeeper ask --json``::

    {"kind": "number" | "table" | "ask_back" | "refused", "value": float | None,
     "previous": float | None, "change_pct": float | None, "unit": str,
     "columns": [str], "rows": [[...]], "text": str, "choices": [str],
     "definitions": [str], "metric_query": {...}, "sql": str}

Rules (a wrong kind is always wrong; ``refused`` is never right: every question is answerable
or must be asked back):

**number** (gold ``kind: number``, single numbers, comparisons and shares)
  - the answer's kind is ``number`` and its ``value`` is a number;
  - money, counts and plain numbers: relative error ≤ 0.5% (``|a − g| ≤ 0.005·|g|``);
  - ratios (gold ``unit: ratio``): absolute error ≤ 0.0005, as fractions (0.0312, not 3.12). An
    answer whose ``unit`` says ``percent`` (``percent``, ``pct``, ``%``) is read as percent and
    divided by 100; any other unit is read as a fraction;
  - comparisons (gold has ``previous``): the answer must give ``previous`` or ``change_pct``
    (a comparison that shows no comparison is wrong); ``previous`` when given is held to the
    same tolerance as ``value``; ``change_pct`` when given is a fraction within 0.005 (half a
    percentage point) of the gold's.

**table** (gold ``kind: table``: rankings, breakdowns, share tables)
  - the answer's kind is ``table``;
  - key column: the answer's first column. Keys are compared after normalising by the gold's
    ``key_type``: months ``2011-01`` (also ``2011-01-01``, ``2011/1``, ``2011年1月``, a
    timestamp), days ``2011-12-01`` (any date or timestamp), weeks by their Monday
    ``2011-07-04`` (any date inside the week, or ``2011-W27``), quarters ``2011-Q3`` (also
    ``2011Q3``, ``Q3 2011``, ``2011年第三季度``, any date inside it), customers as integers in
    text (``12346.0`` → ``12346``), SKUs upper-cased (a product's Description, from the gold's
    ``key_names``, is accepted for its StockCode), countries case-insensitive (with a few
    aliases: UK/英国 = United Kingdom, Ireland/爱尔兰 = EIRE), customer types ``new`` /
    ``returning`` (新客/老客 …);
  - value column, for each of the gold's value columns: the answer column whose name is the
    gold column's name or one of its aliases (the metric id, its English or Chinese label, and
    for shares ``share``/``占比``/``percent`` …); failing that, the first numeric column (every
    cell a number or null, key column excluded) whose values match every gold row. Values use
    the tolerances above (table cells in a column named like ``percent``/``pct``/``%`` are read as
    percent when the gold's unit is ratio). An answer may show extra columns;
  - ``ordered: true`` (rankings): the answer's first ``len(gold rows)`` rows, in order, must
    match the gold's rows position by position; where values tie (in the gold, or with a key
    just past the cut, listed in the gold's ``alternatives``) any of the tied keys is right at
    that position. Fewer rows is wrong; rows past the gold's count are ignored;
  - ``ordered: false`` (breakdowns): every gold key present once with a matching value, in any
    order; an extra key is allowed only with a value of 0 or null (a time bucket with no sales).

**ask_back**: the answer's kind is ``ask_back``. Any number or table, however hedged, is wrong.

**empty** (a period with no data): the answer is right when it gives no number that
pretends to be data:
  - kind ``number`` with ``value`` null; or ``value`` 0 when the gold's metric is additive
    (``additive: true``: a sum or count over nothing is honestly 0; a ratio such as AOV is not);
  - or kind ``table`` with no rows, or with every value cell 0 or null.
  ``ask_back`` and ``refused`` are wrong: the question is clear, the answer is "no data".
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

REL_TOL = 0.005
RATIO_TOL = 0.0005
CHANGE_TOL = 0.005
PERCENT_UNITS = {"percent", "pct", "%", "percentage"}

# names an answer column may carry for a gold value column (lower-cased, spaces/_/- removed)
ALIASES: dict[str, list[str]] = {
    "gmv": ["gmv", "sales", "revenue", "销售额", "营业额", "成交额", "成交总额", "grossmerchandisevalue",
            "netrevenue", "净收入", "turnover", "amount"],
    "net_revenue": ["netrevenue", "净收入", "revenue", "net"],
    "refunds": ["refunds", "refund", "refundamount", "退款", "退款额", "退款金额", "退货金额"],
    "units": ["units", "unitssold", "quantity", "qty", "件数", "销量", "数量"],
    "orders": ["orders", "ordercount", "订单数", "订单量", "订单", "numberoforders"],
    "customers": ["customers", "customercount", "客户数", "下单客户", "客户"],
    "new_customers": ["newcustomers", "新客户", "新客", "新客数", "新客户数"],
    "returning_customers": ["returningcustomers", "老客户", "老客", "老客数"],
    "aov": ["aov", "averageordervalue", "客单价", "avgordervalue"],
    "units_per_order": ["unitsperorder", "连带率", "件/单", "连带率（件/单）", "itemsperorder"],
    "avg_unit_price": ["avgunitprice", "averageunitprice", "件单价", "aup", "asp"],
    "repeat_purchase_rate": ["repeatpurchaserate", "复购率", "repeatrate"],
    "refund_rate": ["refundrate", "退款率", "退货率", "returnrate"],
    "share": ["share", "shareoftotal", "占比", "比例", "比重", "percent", "pct", "percentage", "ratio",
              "gmvshare", "salesshare", "share%", "占比%"],
}

COUNTRY_ALIASES = {
    "uk": "united kingdom", "u.k.": "united kingdom", "great britain": "united kingdom",
    "britain": "united kingdom", "英国": "united kingdom", "ireland": "eire", "爱尔兰": "eire",
    "united states": "usa", "us": "usa", "美国": "usa", "south africa": "rsa", "南非": "rsa",
    "法国": "france", "德国": "germany", "荷兰": "netherlands", "西班牙": "spain",
    "比利时": "belgium", "瑞士": "switzerland", "葡萄牙": "portugal", "澳大利亚": "australia",
    "挪威": "norway", "意大利": "italy", "日本": "japan",
}
TYPE_ALIASES = {"new": "new", "新客": "new", "新客户": "new", "new customer": "new",
                "new customers": "new", "first order": "new",
                "returning": "returning", "老客": "returning", "老客户": "returning",
                "returning customer": "returning", "returning customers": "returning",
                "repeat": "returning"}
ZH_QUARTER = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}


# ------------------------------------------------------------------------------------ numbers
def _num(x: Any) -> float | None:
    if x is None or isinstance(x, bool):
        return None
    if isinstance(x, (int, float)):
        return None if isinstance(x, float) and math.isnan(x) else float(x)
    if isinstance(x, str):
        try:
            return float(x.replace(",", "").strip())
        except ValueError:
            return None
    try:  # Decimal, numpy scalars
        return float(x)
    except (TypeError, ValueError):
        return None


def _is_num_cell(x: Any) -> bool:
    return x is None or (not isinstance(x, (bool, str)) and _num(x) is not None)


def close(a: float | None, g: float | None, unit: str) -> bool:
    if a is None or g is None:
        return a is None and g is None
    if unit == "ratio":
        return abs(a - g) <= RATIO_TOL + 1e-12
    if g == 0:
        return abs(a) <= 1e-9
    return abs(a - g) <= REL_TOL * abs(g) + 1e-12


def _as_fraction(v: float | None, unit: str, answer_unit: str | None) -> float | None:
    if v is not None and unit == "ratio" and (answer_unit or "").strip().lower() in PERCENT_UNITS:
        return v / 100
    return v


# ------------------------------------------------------------------------------------ keys
def _date(text: str) -> dt.date | None:
    m = re.search(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})", text)
    if m:
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
    return None


def _norm_key(key: Any, key_type: str, names: dict[str, str] | None = None) -> str:
    if isinstance(key, (dt.datetime, dt.date)):
        text = key.isoformat()
    elif isinstance(key, float) and key.is_integer():
        text = str(int(key))
    else:
        text = str(key).strip()
    low = text.lower()
    if key_type == "customer":
        try:
            return str(int(float(text)))
        except ValueError:
            return low
    if key_type == "sku":
        up = text.upper()
        for sku, name in (names or {}).items():
            if up == str(name).strip().upper() and up != sku.upper():
                return sku.upper()
        return up
    if key_type == "country":
        return COUNTRY_ALIASES.get(low, low)
    if key_type == "customer_type":
        return TYPE_ALIASES.get(low, low)
    if key_type == "day":
        d = _date(text)
        return d.isoformat() if d else low
    if key_type == "week":
        m = re.search(r"(\d{4})\s*-?\s*w(?:eek)?\s*(\d{1,2})", low) or re.search(
            r"(\d{4})\s*年\s*第?\s*(\d{1,2})\s*周", low)
        if m:
            return dt.date.fromisocalendar(int(m[1]), int(m[2]), 1).isoformat()
        d = _date(text)
        return (d - dt.timedelta(days=d.weekday())).isoformat() if d else low
    if key_type == "month":
        d = _date(text)
        if d:
            return f"{d.year}-{d.month:02d}"
        m = re.search(r"(\d{4})\s*[-/.年]\s*(\d{1,2})(?!\d)", text)
        if m:
            return f"{int(m[1])}-{int(m[2]):02d}"
        m = re.search(r"([a-z]{3})[a-z]*\.?\s+(\d{4})", low)
        if m and m[1] in MONTHS:
            return f"{m[2]}-{MONTHS[m[1]]:02d}"
        return low
    if key_type == "quarter":
        m = (re.search(r"(\d{4})\s*[-/ ]?\s*q([1-4])", low)
             or re.search(r"q([1-4])\s*[-/ ]?\s*(\d{4})", low))
        if m:
            y, q = (m[1], m[2]) if len(m[1]) == 4 else (m[2], m[1])
            return f"{y}-Q{q}"
        m = re.search(r"(\d{4})\s*年?\s*第?\s*([一二三四1-4])\s*季", text)
        if m:
            return f"{m[1]}-Q{ZH_QUARTER[m[2]]}"
        d = _date(text)
        return f"{d.year}-Q{(d.month - 1) // 3 + 1}" if d else low
    return low


# ------------------------------------------------------------------------------------ tables
def _squash(name: str) -> str:
    return re.sub(r"[\s_\-]", "", str(name).lower())


def _value_column(answer: dict, gold: dict, gi: int, cols: list, rows: list) -> tuple[int | None, str]:
    """Index of the answer column holding the gold's value column ``gi`` (see the docstring)."""
    gname = gold["columns"][gi]
    wanted = {_squash(gname), *(_squash(a) for a in ALIASES.get(gname, []))}
    wanted |= {_squash(a) for a in ALIASES.get(gold.get("metric", ""), [])}
    numeric = [j for j in range(1, len(cols))
               if rows and all(j < len(r) and _is_num_cell(r[j]) for r in rows)]
    for j in numeric:
        if _squash(cols[j]) in wanted:
            return j, f"column {cols[j]!r} by name"
    for j in numeric:
        if _match_table(answer, gold, j, gi)[0]:
            return j, f"column {cols[j]!r} by its values"
    if not numeric:
        return None, "the answer has no numeric column"
    return numeric[0], f"no column named like {gname!r}; tried every numeric column"


def _cell(row: list, j: int, unit: str, colname: str) -> float | None:
    v = _num(row[j]) if j < len(row) else None
    pct = unit == "ratio" and (_squash(colname) in PERCENT_UNITS or "%" in str(colname)
                               or "percent" in str(colname).lower() or "pct" in _squash(colname))
    return v / 100 if (v is not None and pct) else v


def _match_table(answer: dict, gold: dict, j: int, gi: int) -> tuple[bool, str]:
    cols, rows = answer.get("columns") or [], answer.get("rows") or []
    unit = gold.get("unit", "number")
    kt = gold.get("key_type", "text")
    names = gold.get("key_names") or {}
    grows = gold["rows"]
    gkeys = [_norm_key(r[0], kt, names) for r in grows]
    colname = cols[j] if j < len(cols) else ""
    if gold.get("ordered"):
        if len(rows) < len(grows):
            return False, f"{len(rows)} rows, expected {len(grows)}"
        pool = {k: _num(r[gi]) for k, r in zip(gkeys, grows, strict=True)}
        for alt in gold.get("alternatives") or []:
            pool.setdefault(_norm_key(alt[0], kt, names), _num(alt[gi]))
        seen = set()
        for pos, (grow, arow) in enumerate(zip(grows, rows[: len(grows)], strict=True)):
            gv, gk = _num(grow[gi]), gkeys[pos]
            ak = _norm_key(arow[0] if arow else None, kt, names)
            av = _cell(arow, j, unit, colname)
            if ak in seen:
                return False, f"row {pos + 1}: {arow[0]!r} repeated"
            seen.add(ak)
            tied = ak in pool and pool[ak] is not None and gv is not None and math.isclose(
                pool[ak], gv, rel_tol=1e-9, abs_tol=1e-12)
            if ak != gk and not tied:
                return False, f"row {pos + 1}: key {arow[0]!r}, expected {grow[0]!r}"
            if not close(av, gv, unit):
                return False, f"row {pos + 1} ({grow[0]}): {av} vs gold {gv}"
        return True, "rows match in order"
    got: dict[str, float | None] = {}
    for arow in rows:
        ak = _norm_key(arow[0] if arow else None, kt, names)
        if ak in got:
            return False, f"key {arow[0]!r} appears twice"
        got[ak] = _cell(arow, j, unit, colname)
    for gk, grow in zip(gkeys, grows, strict=True):
        if gk not in got:
            return False, f"missing row {grow[0]!r}"
        if not close(got[gk], _num(grow[gi]), unit):
            return False, f"row {grow[0]!r}: {got[gk]} vs gold {grow[gi]}"
    extra = [k for k in got if k not in set(gkeys) and got[k] not in (None, 0.0)]
    if extra:
        return False, f"rows not in the gold with a value: {extra[:5]}"
    return True, "rows match"


# ------------------------------------------------------------------------------------ score
def score(answer: dict, gold: dict) -> tuple[bool, str]:
    """(right?, why) for one answer against one gold item; the rules are the module docstring."""
    if not isinstance(answer, dict):
        return False, "the answer is not a JSON object"
    kind, gkind = answer.get("kind"), gold["kind"]

    if gkind == "ask_back":
        return (kind == "ask_back", "asked back" if kind == "ask_back"
                else f"answered ({kind}) a question that must be asked back")

    if gkind == "empty":
        if kind == "number":
            v = _num(answer.get("value"))
            if v is None:
                return True, "no value: no data"
            if v == 0 and gold.get("additive"):
                return True, "0 for an additive metric over no data"
            return False, f"gave {v} for a period with no data"
        if kind == "table":
            rows = answer.get("rows") or []
            cells = [c for r in rows for c in list(r)[1:]]
            if all(_num(c) in (None, 0.0) for c in cells if not isinstance(c, str)):
                return True, "an empty table"
            return False, "a table with values for a period with no data"
        return False, f"kind {kind!r} for a period with no data (expected a number/table saying no data)"

    if gkind == "number":
        if kind != "number":
            return False, f"kind {kind!r}, expected number"
        unit = gold.get("unit", "number")
        aunit = answer.get("unit")
        v = _as_fraction(_num(answer.get("value")), unit, aunit)
        if v is None:
            return False, "no value"
        if not close(v, gold["value"], unit):
            return False, f"value {v} vs gold {gold['value']}"
        if "previous" in gold:
            p = _as_fraction(_num(answer.get("previous")), unit, aunit)
            c = _num(answer.get("change_pct"))
            if p is None and c is None:
                return False, "a comparison without previous or change_pct"
            if p is not None and not close(p, gold["previous"], unit):
                return False, f"previous {p} vs gold {gold['previous']}"
            if c is not None and abs(c - gold["change_pct"]) > CHANGE_TOL:
                return False, f"change_pct {c} vs gold {gold['change_pct']}"
        return True, "value matches"

    if gkind == "table":
        if kind != "table":
            return False, f"kind {kind!r}, expected table"
        cols, rows = answer.get("columns") or [], answer.get("rows") or []
        if not rows:
            return False, "no rows"
        if not all(isinstance(r, (list, tuple)) and len(r) >= 2 for r in rows):
            return False, "rows must be lists of at least a key and a value"
        if len(cols) < max(len(r) for r in rows):
            cols = list(cols) + [f"col{i}" for i in range(len(cols), max(len(r) for r in rows))]
        answer = {**answer, "columns": cols, "rows": rows}
        for gi in range(1, len(gold["columns"])):
            j, how = _value_column(answer, gold, gi, cols, rows)
            if j is None:
                return False, how
            ok, why = _match_table(answer, gold, j, gi)
            if not ok:
                return False, f"{why} ({how})"
        return True, "table matches"

    return False, f"unknown gold kind {gkind!r}"


# ------------------------------------------------------------------------------------ self-checks
def _right_answer(g: dict) -> dict:
    """A perfect answer for a gold item, as the contract would print it."""
    base = {"kind": None, "value": None, "previous": None, "change_pct": None, "unit": "",
            "columns": [], "rows": [], "text": "", "choices": [], "definitions": [],
            "metric_query": {}, "sql": ""}
    if g["kind"] == "number":
        return {**base, "kind": "number", "value": g["value"], "previous": g.get("previous"),
                "change_pct": g.get("change_pct"), "unit": g["unit"]}
    if g["kind"] == "table":
        return {**base, "kind": "table", "columns": list(g["columns"]),
                "rows": [list(r) for r in g["rows"]], "unit": g["unit"]}
    if g["kind"] == "ask_back":
        return {**base, "kind": "ask_back", "text": "Which metric?", "choices": ["GMV", "orders"]}
    return {**base, "kind": "number", "value": None, "unit": g["unit"], "text": "No data."}


def _self_check() -> int:
    import copy
    import json
    from pathlib import Path

    gold = {it["id"]: it for it in json.loads(
        (Path(__file__).with_name("gold.json")).read_text(encoding="utf-8"))["items"]}
    failures: list[str] = []

    def expect(label: str, answer: dict, g: dict, want: bool) -> None:
        ok, why = score(answer, g)
        if ok != want:
            failures.append(f"{label}: expected {'pass' if want else 'fail'}, got {ok} ({why})")

    # 1. every gold item's own perfect answer passes
    for qid, g in gold.items():
        expect(f"{qid} perfect", _right_answer(g), g, True)

    def ans(qid: str, **changes) -> dict:
        a = copy.deepcopy(_right_answer(gold[qid]))
        a.update(changes)
        return a

    # 2. numbers
    g = gold["q001"]
    expect("money +0.4%", ans("q001", value=g["value"] * 1.004), g, True)
    expect("money +0.6%", ans("q001", value=g["value"] * 1.006), g, False)
    expect("money -1%", ans("q001", value=g["value"] * 0.99), g, False)
    expect("number as table", ans("q001", kind="table", columns=["x", "gmv"],
                                  rows=[["all", g["value"]]]), g, False)
    expect("number asked back", ans("q001", kind="ask_back"), g, False)
    expect("number refused", ans("q001", kind="refused"), g, False)
    expect("number null", ans("q001", value=None), g, False)
    expect("net revenue given for GMV in H1", ans("q021", value=gold["q004"]["value"]),
           gold["q021"], False)
    g = gold["q011"]  # a ratio
    expect("ratio +0.0004", ans("q011", value=g["value"] + 0.0004), g, True)
    expect("ratio +0.0006", ans("q011", value=g["value"] + 0.0006), g, False)
    expect("ratio in percent, unit says so", ans("q011", value=g["value"] * 100, unit="percent"), g, True)
    expect("ratio in percent, unit silent", ans("q011", value=g["value"] * 100, unit="ratio"), g, False)
    g = gold["q005"]
    expect("count off by one of 1454 (within 0.5%)", ans("q005", value=g["value"] + 1), g, True)
    expect("count off by 10", ans("q005", value=g["value"] + 10), g, False)

    # 3. comparisons
    g = gold["q036"]
    expect("comparison, value only", ans("q036", previous=None, change_pct=None), g, False)
    expect("comparison, change_pct only", ans("q036", previous=None), g, True)
    expect("comparison, wrong previous", ans("q036", previous=g["previous"] * 1.02), g, False)
    expect("comparison, change in percent", ans("q036", change_pct=g["change_pct"] * 100), g, False)
    expect("comparison, swapped", ans("q036", value=g["previous"], previous=g["value"],
                                      change_pct=g["previous"] / g["value"] - 1), g, False)
    g = gold["q037"]
    expect("yoy against the previous 9 days", ans("q037", previous=gold["q051"]["previous"],
                                                  change_pct=None), g, False)

    # 4. ordered tables (rankings)
    g = gold["q061"]
    rows = [list(r) for r in g["rows"]]
    expect("ranking swapped rows", ans("q061", rows=[rows[1], rows[0], *rows[2:]]), g, False)
    expect("ranking one row short", ans("q061", rows=rows[:-1]), g, False)
    expect("ranking more rows than asked", ans("q061", rows=rows + [["Spain", 1.0]]), g, True)
    expect("ranking extra columns, value second",
           ans("q061", columns=["country", "orders", "gmv"],
               rows=[[r[0], 7, r[1]] for r in rows]), g, True)
    expect("ranking value column unnamed but right",
           ans("q061", columns=["country", "orders", "x"],
               rows=[[r[0], 7, r[1]] for r in rows]), g, True)
    expect("ranking wrong values", ans("q061", rows=[[r[0], r[1] * 1.02] for r in rows]), g, False)
    expect("ranking country spelt UK", ans("q061", rows=[["UK", rows[0][1]], *rows[1:]]), g, True)
    expect("ranking as a number", ans("q061", kind="number", value=rows[0][1]), g, False)
    g = gold["q063"]  # products: a Description stands for its StockCode
    rows = [list(r) for r in g["rows"]]
    named = [[g["key_names"][r[0]], r[1]] for r in rows]
    expect("product ranking by name", ans("q063", columns=["product", "gmv"], rows=named), g, True)
    g = gold["q064"]  # customers: 14646.0 is 14646; a guest row is wrong
    rows = [list(r) for r in g["rows"]]
    expect("customers as floats", ans("q064", rows=[[float(r[0]), r[1]] for r in rows]), g, True)
    expect("guest ranked first", ans("q064", rows=[["(none)", 1493182.33], *rows]), g, False)
    g = gold["q079"]  # a tie at the cut: Portugal and Spain both have 3
    if g.get("alternatives"):
        rows = [list(r) for r in g["rows"]]
        alt = g["alternatives"][0]
        expect("tie: the alternative at the cut", ans("q079", rows=rows[:-1] + [list(alt)]), g, True)
        expect("tie: a wrong key at the cut", ans("q079", rows=rows[:-1] + [["Japan", alt[1]]]), g, False)
        swapped = rows[:]
        swapped[1], swapped[2] = swapped[2], swapped[1]  # France and Germany both have 6
        expect("tie: tied rows in either order", ans("q079", rows=swapped), g, True)
    g = gold["q074"]  # month keys
    rows = [list(r) for r in g["rows"]]
    expect("months as dates", ans("q074", rows=[[r[0] + "-01", r[1]] for r in rows]), g, True)
    expect("months as timestamps", ans("q074", rows=[[r[0] + "-01T00:00:00+00:00", r[1]] for r in rows]),
           g, True)
    g = gold["q077"]
    rows = [list(r) for r in g["rows"]]
    expect("quarters as 'Q3 2011'", ans("q077", rows=[[f"Q{r[0][-1]} 2011", r[1]] for r in rows]), g, True)
    expect("quarters as start dates",
           ans("q077", rows=[[f"2011-{3 * int(r[0][-1]) - 2:02d}-01", r[1]] for r in rows]), g, True)

    # 5. unordered tables (breakdowns)
    g = gold["q111"]
    rows = [list(r) for r in g["rows"]]
    expect("breakdown reversed", ans("q111", rows=rows[::-1]), g, True)
    expect("breakdown missing a month", ans("q111", rows=rows[1:]), g, False)
    expect("breakdown extra nonzero month", ans("q111", rows=rows + [["2010-12", 5.0]]), g, False)
    g = gold["q113"]  # days; a Saturday with 0 is fine
    rows = [list(r) for r in g["rows"]]
    expect("days with a zero Saturday", ans("q113", rows=rows + [["2011-11-12", 0]]), g, True)
    g = gold["q112"]  # weeks by Monday; ISO week labels accepted
    rows = [list(r) for r in g["rows"]]
    iso = [[f"{dt.date.fromisoformat(r[0]).isocalendar()[0]}-W"
            f"{dt.date.fromisoformat(r[0]).isocalendar()[1]:02d}", r[1]] for r in rows]
    expect("weeks as ISO labels", ans("q112", rows=iso), g, True)
    expect("weeks shifted a day (Sunday start)",
           ans("q112", rows=[[(dt.date.fromisoformat(r[0]) - dt.timedelta(days=1)).isoformat(), r[1]]
                             for r in rows]), g, False)
    g = gold["q109"]  # a share table, in percent with a % column name
    rows = [list(r) for r in g["rows"]]
    expect("share table in percent column", ans("q109", columns=["quarter", "share %"],
                                                 rows=[[r[0], r[1] * 100] for r in rows]), g, True)
    expect("share table in percent, unlabelled", ans("q109", columns=["quarter", "share"],
                                                      rows=[[r[0], r[1] * 100] for r in rows]), g, False)
    g = gold["q123"]
    expect("new/returning in Chinese", ans("q123", rows=[["新客", g["rows"][0][1]],
                                                         ["老客", g["rows"][1][1]]]), g, True)
    expect("returning with guests in it", ans("q123", rows=[["new", g["rows"][0][1]],
                                                            ["returning", 1397663.74]]), g, False)

    # 6. ask back
    g = gold["q146"]
    expect("ask back answered with a number", ans("q146", kind="number", value=1.0), g, False)
    expect("ask back refused", ans("q146", kind="refused"), g, False)

    # 7. empty
    g = gold["q163"]  # GMV: additive
    expect("empty: 0 for an additive metric", ans("q163", value=0), g, True)
    expect("empty: a made-up number", ans("q163", value=12345.0), g, False)
    expect("empty: an empty table", ans("q163", kind="table", columns=["month", "gmv"], rows=[]), g, True)
    expect("empty: asked back", ans("q163", kind="ask_back"), g, False)
    g = gold["q166"]  # AOV: not additive
    expect("empty: AOV null", ans("q166", value=None), g, True)
    expect("empty: AOV 0", ans("q166", value=0), g, False)

    for f in failures:
        print("FAIL", f)
    n = len(gold)
    print(f"score.py self-check: {len(failures)} failures ({n} perfect answers and the mutations)")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(_self_check())
