"""Compile a mapping over a staged file into SQL that types, checks and routes every row.

The result is one ``SELECT`` producing, per source row: its row number, each canonical value,
whether the row feeds each target table, and ``_reason``/``_column`` for the first rule it
breaks (NULL when it is clean). Everything runs inside DuckDB, so validation costs a single
vectorised pass rather than a Python loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shopkeeper.errors import InvalidMappingError
from shopkeeper.store import schema
from shopkeeper.store.ingest.mapping import (
    PLACEHOLDER,
    DuplicateRule,
    FieldSpec,
    Mapping,
    TableMapping,
)
from shopkeeper.store.ingest.readers import StagedFile

_FLOAT_TYPES = {"DOUBLE", "FLOAT", "REAL"}
_INT_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
              "UINTEGER", "UBIGINT"}
_TRUE = ("true", "t", "yes", "y", "1", "是", "真")
_FALSE = ("false", "f", "no", "n", "0", "否", "假")
_KIND_NAMES = {"integer": "whole number", "number": "number", "timestamp": "timestamp",
               "date": "date", "boolean": "true/false value", "json": "JSON value"}

# the offending value kept with a rejected row, beside its reason
VALUE_CHARS = 200


SOURCE_ALIAS = "_src"  # the staged file's rows, as one struct each
RAW_ROW = "_src_row"
WIDE_FILE_COLUMNS = 256


def q(name: str) -> str:
    """Quote an identifier."""
    return '"' + name.replace('"', '""') + '"'


def lit(value: object) -> str:
    """A SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


@dataclass
class LineIdentity:
    """Aliases that tell two rows of one file apart (see ``DuplicateRule``)."""

    group: str  # rows are compared within this group (the order)
    identity: str  # a hash of what makes the line itself
    line_id: str | None  # names the line uniquely where not NULL: any repeat is a duplicate


@dataclass
class CompiledTable:
    mapping: TableMapping
    table: schema.Table
    in_alias: str
    values: dict[str, str]  # canonical column -> alias in the typed table
    on_conflict: str
    lines: LineIdentity | None = None


@dataclass
class Compiled:
    select_sql: str
    tables: list[CompiledTable]
    offset_alias: str | None = None  # the UTC offset written in orders.ordered_at, if any
    # the mapping's own SQL (each expr, where and line id), as (what it is, the SQL over the
    # source): where the query fails to bind, each is tried alone to name the one at fault
    written: list[tuple[str, str]] = field(default_factory=list)


class _Compiler:
    def __init__(self, mapping: Mapping, staged: StagedFile, resolved: dict[str, str],
                 default_currency: str) -> None:
        self.mapping, self.staged, self.resolved = mapping, staged, resolved
        self.default_currency = default_currency
        self.exprs: dict[str, str] = {}  # SQL -> alias, so shared values are computed once
        self.raws: dict[str, str] = {}
        self.offset_alias: str | None = None
        self.written: list[tuple[str, str]] = []
        self.table_name = ""

    def alias(self, sql: str, prefix: str = "v") -> str:
        pool = self.exprs if prefix == "v" else self.raws
        if sql not in pool:
            pool[sql] = f"{prefix}{len(pool)}"
        return pool[sql]

    # -- source references ----------------------------------------------------------------
    def col(self, logical: str) -> tuple[str, str] | None:
        actual = self.resolved.get(logical)
        if actual is None:
            return None
        return q(actual), self.staged.types.get(actual, "VARCHAR").upper()

    def substitute(self, sql: str, where: str, optional: bool | frozenset[str] = False) -> str:
        """Replace {logical} placeholders by trimmed text; in an optional field a column the
        file lacks reads as NULL (so ``coalesce({a}, {b})`` can fall back). ``optional`` may
        name the only columns that may be missing."""

        def repl(m):
            ref = self.col(m.group(1))
            if ref is None and (optional is True or (
                    isinstance(optional, frozenset) and m.group(1) in optional)):
                return "CAST(NULL AS VARCHAR)"
            if ref is None:
                raise InvalidMappingError(
                    f"{where} uses column {{{m.group(1)}}}, which this file lacks",
                    path=self.staged.path,
                )
            return self.text_of(*ref)

        sql = PLACEHOLDER.sub(repl, sql)
        self.written.append((where, sql))
        return sql

    def text_of(self, src: str, srctype: str) -> str:
        """A source value as trimmed text (NULL when blank), whatever its stored type."""
        if srctype == "VARCHAR":
            text = src
            if self.mapping.source.strip_excel_text:
                text = f"regexp_replace({text}, '^=\"(.*)\"$', '\\1')"
            return f"nullif(trim({text}), '')"
        if srctype in _FLOAT_TYPES:
            return (f"CASE WHEN {src} = trunc({src}) AND abs({src}) < 1e15 "
                    f"THEN CAST(CAST({src} AS BIGINT) AS VARCHAR) ELSE CAST({src} AS VARCHAR) END")
        return f"CAST({src} AS VARCHAR)"

    # -- one value ------------------------------------------------------------------------
    def value(self, spec: FieldSpec, column: schema.Column) -> tuple[str, str | None]:
        """(typed SQL, raw-text SQL or None) for one canonical column."""
        if spec.value is not None:
            return f"CAST({lit(spec.value)} AS {column.type})", None
        if spec.columns is not None:
            pairs = []
            for logical in spec.columns:
                ref = self.col(logical)
                if ref is not None:
                    pairs += [lit(self.resolved[logical]), self.text_of(*ref)]
            if not pairs:
                return "CAST(NULL AS JSON)", None
            return f"json_merge_patch('{{}}', json_object({', '.join(pairs)}))", None
        if spec.column is not None:
            ref = self.col(spec.column)
            if ref is None:
                return f"CAST(NULL AS {column.type})", None
            text = self.text_of(*ref)
            typed_src = ref if ref[1] != "VARCHAR" else None
        else:
            expr = self.substitute(spec.expr, f"{self.table_name}.{column.name}",
                                   optional=spec.optional)
            text = f"nullif(trim(CAST(({expr}) AS VARCHAR)), '')"
            typed_src = None
        if spec.map:
            cases = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in spec.map.items())
            text = f"CASE {text} {cases} ELSE {text} END"
            typed_src = None
        return self.convert(text, typed_src, column, spec), text

    def convert(self, text: str, typed_src: tuple[str, str] | None, column: schema.Column,
                spec: FieldSpec) -> str:
        """Text (or a typed, non-text source column: its SQL and type) to the column's type."""
        kind, target = column.kind, column.type
        if kind == "text":
            return text
        if kind == "json":
            return f"CASE WHEN json_valid({text}) THEN CAST({text} AS JSON) END"
        if typed_src is not None:
            src, srctype = typed_src
            if kind == "integer" and srctype in _FLOAT_TYPES:
                return f"CASE WHEN {src} = trunc({src}) THEN TRY_CAST({src} AS {target}) END"
            return f"TRY_CAST({src} AS {target})"
        if kind == "integer":
            return (f"coalesce(TRY_CAST({text} AS {target}), CASE WHEN regexp_full_match({text}, "
                    f"'[+-]?[0-9]+\\.0*') THEN TRY_CAST(split_part({text}, '.', 1) AS {target}) END)")
        if kind == "number":
            clean = text
            if self.mapping.source.decimal_comma:
                clean = f"replace(replace({text}, '.', ''), ',', '.')"
            stripped = f"regexp_replace({clean}, '[\\s,¥￥$€£]|R\\$|RMB|CNY|USD|EUR|GBP|BRL', '', 'g')"
            return f"coalesce(TRY_CAST({clean} AS {target}), TRY_CAST({stripped} AS {target}))"
        if kind in ("timestamp", "date"):
            if spec.formats:
                fmts = "[" + ", ".join(lit(f) for f in spec.formats) + "]"
                parsed = f"try_strptime({text}, {fmts})"
                return f"CAST({parsed} AS {target})"
            if kind == "date":
                return f"coalesce(TRY_CAST({text} AS DATE), CAST(TRY_CAST({text} AS TIMESTAMP) AS DATE))"
            return f"TRY_CAST({text} AS TIMESTAMPTZ)"
        if kind == "boolean":
            t = ", ".join(lit(v) for v in _TRUE)
            f = ", ".join(lit(v) for v in _FALSE)
            return f"CASE WHEN lower({text}) IN ({t}) THEN true WHEN lower({text}) IN ({f}) THEN false END"
        return f"TRY_CAST({text} AS {target})"

    # -- the whole select -----------------------------------------------------------------
    def compile(self) -> Compiled:
        tables: list[CompiledTable] = []
        # (condition, reason SQL: the same text for every row it rejects, offending value SQL,
        # column label)
        checks: list[tuple[str, str, str | None, str]] = []
        in_aliases = []
        for i, tm in enumerate(self.mapping.tables):
            if tm.optional and (any(c not in self.resolved for c in tm.needed_columns()) or (
                    tm.needs_one_of and not any(c in self.resolved for c in tm.needs_one_of))):
                continue  # an optional table whose columns this file lacks
            table = schema.get_table(tm.table)
            self.table_name = tm.table
            where = (self.substitute(tm.where, f"{tm.table}.where (tables[{i}])",
                                     optional=frozenset(tm.needs_one_of))
                     if tm.where else "true")
            in_alias = self.alias(f"coalesce(({where}), false)")
            in_aliases.append(in_alias)
            fields = dict(tm.fields)
            given = fields.get("currency")
            absent = given is not None and given.column is not None and given.column not in self.resolved
            if "currency" in table.column_names and (given is None or absent):
                fields["currency"] = FieldSpec(value=self.mapping.source.currency or self.default_currency)
            values: dict[str, str] = {}
            for cname in table.column_names:
                if cname not in fields:
                    continue
                column = table.column(cname)
                spec = fields[cname]
                typed_sql, raw_sql = self.value(spec, column)
                if cname == "currency" and spec.value is None:  # a blank currency is the default
                    default = self.mapping.source.currency or self.default_currency
                    typed_sql = f"coalesce(upper({typed_sql}), {lit(default)})"
                v = self.alias(typed_sql)
                values[cname] = v
                label = self.resolved.get(spec.column, f"{tm.table}.{cname}") if spec.column else f"{tm.table}.{cname}"
                name = f"{tm.table}.{cname}"
                if raw_sql is not None and column.kind != "text":
                    r = self.alias(raw_sql, "r")
                    hint = f" (expected {' or '.join(spec.formats)})" if spec.formats else ""
                    checks.append((
                        f"{in_alias} AND {v} IS NULL AND {r} IS NOT NULL",
                        lit(f"{name}: not a valid "
                            f"{_KIND_NAMES.get(column.kind, column.kind)}{hint}"),
                        f"left({r}, {VALUE_CHARS})",
                        label,
                    ))
                if column.required:
                    checks.append((f"{in_alias} AND {v} IS NULL",
                                   lit(f"{name}: required value is empty"), None, label))
                if column.choices:
                    allowed = ", ".join(lit(c) for c in column.choices)
                    checks.append((
                        f"{in_alias} AND {v} NOT IN ({allowed})",
                        lit(f"{name}: not one of {', '.join(column.choices)}"),
                        f"left({v}, {VALUE_CHARS})",
                        label,
                    ))
                if column.check:
                    checks.append((
                        f"{in_alias} AND NOT ({column.check.replace('{v}', v)})",
                        lit(f"{name} {column.check_reason or 'is invalid'}"),
                        f"CAST({v} AS VARCHAR)",
                        label,
                    ))
                if column.plausible_time:
                    checks += self.time_checks(in_alias, v, name, label)
                if (tm.table, cname) == ("orders", "ordered_at") and raw_sql is not None:
                    self.offset_alias = self.alias(
                        f"nullif(regexp_extract({raw_sql}, '([+-][0-9]{{2}}:?[0-9]{{2}}|Z)$', 1), '')")
            on_conflict = "replace" if tm.grain == "row" else "keep"
            tables.append(CompiledTable(tm, table, in_alias, values, on_conflict,
                                        self.line_identity(tm, values)))
        any_in = " OR ".join(in_aliases) or "false"
        reason_cases = [f"WHEN NOT ({any_in}) THEN 'row matches no target table of mapping ' || "
                        f"{lit(self.mapping.name)}"]
        column_cases = ["WHEN NOT (" + any_in + ") THEN NULL"]
        value_cases = ["WHEN NOT (" + any_in + ") THEN NULL"]
        for cond, reason, value, label in checks:
            reason_cases.append(f"WHEN {cond} THEN {reason}")
            column_cases.append(f"WHEN {cond} THEN {lit(label)}")
            value_cases.append(f"WHEN {cond} THEN {value or 'NULL'}")
        # a file read by this very query (deferred) has no staged copy to show a rejected
        # row from: the rejected rows keep their source row as JSON in _raw
        source_row = [f"{SOURCE_ALIAS} AS {RAW_ROW}"] if self.staged.deferred else []
        inner = ",\n  ".join(
            [f"{self.staged.row_expr} AS _row"]
            + [f"{sql} AS {a}" for sql, a in self.exprs.items()]
            + [f"{sql} AS {a}" for sql, a in self.raws.items()]
            + source_row
        )
        outer = ",\n  ".join(
            ["_row"]
            + list(self.exprs.values())
            + [f"CASE {' '.join(reason_cases)} END AS _reason",
               f"CASE {' '.join(column_cases)} END AS _column",
               f"CASE {' '.join(value_cases)} END AS _value"]
            + [RAW_ROW] * bool(source_row)
        )
        source = self.staged.source_sql if self.staged.deferred else q(self.staged.table)
        sql = f"SELECT {outer}\nFROM (SELECT {inner}\nFROM {source} AS {SOURCE_ALIAS})"
        if source_row:
            sql = (f"SELECT * EXCLUDE ({RAW_ROW}), CASE WHEN _reason IS NOT NULL "
                   f"THEN to_json({RAW_ROW}) END AS _raw FROM ({sql})")
        return Compiled(sql, tables, self.offset_alias, self.written)

    def time_checks(self, in_alias: str, v: str, name: str,
                    label: str) -> list[tuple[str, str, str | None, str]]:
        """A moment that has not happened yet, or before any store sold online, is not data."""
        shown = f"CAST({v} AS VARCHAR)"
        return [
            (f"{in_alias} AND {v} > current_timestamp + INTERVAL {schema.FUTURE_TOLERANCE}",
             lit(name + " is in the future (after the load plus one day)"), shown, label),
            (f"{in_alias} AND {v} < TIMESTAMPTZ {lit(schema.EARLIEST_DATE)}",
             lit(f"{name} is before {schema.EARLIEST_DATE}, earlier than any store could have "
                 "sold online"), shown, label),
        ]

    def line_identity(self, tm: TableMapping, values: dict[str, str]) -> LineIdentity | None:
        """How rows of this table are told apart: the mapping's rule; for order lines without
        one, the whole source row within its order."""
        rule = tm.duplicates
        if rule is None and tm.table != "order_lines":
            return None
        rule = rule or DuplicateRule()
        if rule.within is not None:
            group = self.alias(self.substitute(rule.within, f"{tm.table}.duplicates", optional=True))
        elif "order_id" in values:
            group = values["order_id"]
        else:
            return None
        if rule.identity is None and len(self.staged.columns) > WIDE_FILE_COLUMNS and (
                self.staged.row_expr != "_row"):
            # thousands of columns: the row as one value, or DuckDB spends minutes planning
            # an expression over every column
            identity = self.alias(f"hash(CAST({SOURCE_ALIAS} AS VARCHAR))")
            parts = []
        elif rule.identity is not None:
            parts = [self.substitute(e, f"{tm.table}.duplicates", optional=True)
                     for e in rule.identity]
        else:
            parts = [self.text_of(q(c), self.staged.types.get(c, "VARCHAR").upper())
                     for c in self.staged.columns]
        if parts:
            identity = self.alias(f"hash({', '.join(f'CAST(({p}) AS VARCHAR)' for p in parts)})")
        line_id = None
        if rule.line_id is not None:
            line_id = self.alias(self.substitute(rule.line_id, f"{tm.table}.duplicates",
                                                 optional=True))
        return LineIdentity(group, identity, line_id)


def compile_mapping(mapping: Mapping, staged: StagedFile, resolved: dict[str, str],
                    default_currency: str) -> Compiled:
    """SQL that types and checks every row of ``staged`` according to ``mapping``."""
    return _Compiler(mapping, staged, resolved, default_currency).compile()
