"""The PostgreSQL warehouse: the same store on a database server a team shares.

Selected by a ``postgresql://`` URL as the warehouse. Every capability writes its SQL once, in
DuckDB's dialect; :func:`to_postgres` translates it with sqlglot, plus the few rewrites sqlglot
leaves to us (``GROUP BY ALL``, semi and anti joins, unnamed subqueries, ``any_value``,
``arg_min``/``arg_max``, ``epoch_us``). Bulk writes use ``COPY``. Nothing here holds business
logic: a query that gives a different answer here than on DuckDB is a translation bug, and the
conformance tests (``tests/test_engine_conformance.py``) fail on it.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import re
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import sqlglot
from sqlglot import exp

from shopkeeper.errors import WarehouseError
from shopkeeper.store import migrations, schema
from shopkeeper.store.timezone import DEFAULT_TIMEZONE, stored_timezone
from shopkeeper.store.warehouse import Warehouse

_NUMERIC_OID = 1700


def redacted(url: str) -> str:
    """The URL without its password, for messages and status."""
    return re.sub(r"(://[^:/@]+):[^@/]*@", r"\1:***@", url)


# -- translation --------------------------------------------------------------------------
def _is_aggregate(node: exp.Expression) -> bool:
    return any(not found.find_ancestor(exp.Window) for found in node.find_all(exp.AggFunc))


def _group_by_all(select: exp.Select) -> None:
    group = select.args.get("group")
    if not group or not group.args.get("all"):
        return
    positions = [exp.Literal.number(i + 1) for i, e in enumerate(select.expressions)
                 if not _is_aggregate(e) and not isinstance(e.unalias(), exp.Window)]
    select.set("group", exp.Group(expressions=positions) if positions else None)


def _semi_anti_joins(select: exp.Select) -> None:
    joins = select.args.get("joins") or []
    kept = []
    for join in joins:
        kind = (join.args.get("kind") or "").upper()
        if kind not in ("SEMI", "ANTI"):
            kept.append(join)
            continue
        right = join.this
        right_name = right.alias_or_name
        left = select.args["from_"].this
        left_name = left.alias_or_name
        using = join.args.get("using")
        if using:
            condition = exp.and_(*(
                exp.EQ(this=exp.column(u.name, right_name), expression=exp.column(u.name, left_name))
                for u in using))
        else:
            condition = join.args["on"]
        probe = exp.Exists(this=exp.select("1").from_(right.copy()).where(condition.copy()))
        select.where(probe if kind == "SEMI" else exp.Not(this=probe), copy=False)
    select.set("joins", kept or None)


def _aliases_in_order_by(select: exp.Select) -> None:
    """DuckDB reads a select alias inside an ORDER BY expression (``ORDER BY a + b``);
    PostgreSQL only takes a bare alias there, so the aliased expressions are written out."""
    order = select.args.get("order")
    if not order:
        return
    aliases = {e.alias: e.this for e in select.expressions
               if isinstance(e, exp.Alias) and e.alias}
    # an alias that its own expression reads as a column (coalesce(x, 0) AS x) stays as it is
    aliases = {name: e for name, e in aliases.items()
               if name not in {c.name for c in e.find_all(exp.Column)}}
    for ordered in order.expressions:
        if isinstance(ordered.this, exp.Column):
            continue
        for column in list(ordered.this.find_all(exp.Column)):
            if not column.table and column.name in aliases:
                column.replace(exp.Paren(this=aliases[column.name].copy()))


def _name_subqueries(tree: exp.Expression) -> None:
    for i, sub in enumerate(list(tree.find_all(exp.Subquery))):
        if isinstance(sub.parent, exp.From | exp.Join) and not sub.alias:
            sub.set("alias", exp.TableAlias(this=exp.to_identifier(f"_q{i}")))


def _unnested_parameter(query: exp.Expression | None) -> bool:
    """Whether ``query`` is ``(SELECT unnest(?))`` and nothing more."""
    select = query.this if isinstance(query, exp.Subquery) else query
    return (isinstance(select, exp.Select) and len(select.expressions) == 1
            and isinstance(select.expressions[0], exp.Explode)
            and isinstance(select.expressions[0].this, exp.Placeholder)
            and not any(select.args.get(k) for k in ("from_", "where", "group", "joins")))


def _postgres_functions(node: exp.Expression) -> exp.Expression:
    def pg(sql: str) -> exp.Expression:
        return sqlglot.parse_one(sql, read="postgres")

    def text(e: exp.Expression) -> str:
        return e.sql(dialect="postgres")

    if isinstance(node, exp.IgnoreNulls) and isinstance(node.this, exp.AnyValue):
        node = node.this  # DuckDB's any_value skips NULLs anyway
    if isinstance(node, exp.AnyValue):
        value = text(node.this)
        return pg(f"(array_agg({value}) FILTER (WHERE {value} IS NOT NULL))[1]")
    if isinstance(node, exp.ArgMin | exp.ArgMax):
        order = "" if isinstance(node, exp.ArgMin) else " DESC"
        value, key = text(node.this), text(node.expression)
        return pg(f"(array_agg({value} ORDER BY {key}{order}) FILTER (WHERE {key} IS NOT NULL))[1]")
    if isinstance(node, exp.In) and _unnested_parameter(node.args.get("query")):
        # x IN (SELECT unnest(?)) → x = ANY(?): the list takes x's type, even when empty
        return pg(f"{text(node.this)} = ANY(__any_parameter__)")
    if isinstance(node, exp.Explode) and isinstance(node.this, exp.GenerateSeries):
        series = node.this  # DuckDB's list, unnested: PostgreSQL's set-returning function
        start, end = text(series.args["start"]), text(series.args["end"])
        step = series.args.get("step")
        return pg(f"generate_series(CAST({start} AS TIMESTAMP), CAST({end} AS TIMESTAMP)"
                  + (f", {text(step)})" if step else ")"))
    if isinstance(node, exp.Anonymous) and node.name.lower() == "hash" and len(
            node.expressions) == 1:  # any stable non-negative hash serves to split work
        return pg(f"abs(hashtextextended(CAST({text(node.expressions[0])} AS TEXT), 0))")
    if isinstance(node, exp.Explode) and isinstance(node.this, exp.Placeholder):
        return pg("UNNEST(__list_parameter__)")  # a list parameter: sent binary, so typed
    if isinstance(node, exp.Bracket) and isinstance(node.this, exp.Func):
        node.set("this", exp.Paren(this=node.this))  # PostgreSQL subscripts (f(x))[i] only
        return node
    if isinstance(node, exp.Mode) and not isinstance(node.parent, exp.WithinGroup):
        return pg(f"mode() WITHIN GROUP (ORDER BY {text(node.this)})")
    if isinstance(node, exp.Anonymous) and node.name.lower() == "epoch_us":
        return pg(f"CAST(EXTRACT(EPOCH FROM {text(node.expressions[0])}) * 1000000 AS BIGINT)")
    return node


@functools.lru_cache(maxsize=4096)
def to_postgres(sql: str, *, with_params: bool = True) -> str:
    """DuckDB SQL (with ``?`` parameters) as PostgreSQL (with ``%s`` parameters; a literal
    ``%`` doubled when the statement is run with parameters, as psycopg wants)."""
    out = []
    for tree in sqlglot.parse(sql, read="duckdb"):
        if tree is None:
            continue
        for select in list(tree.find_all(exp.Select)):
            _group_by_all(select)
            _semi_anti_joins(select)
            _aliases_in_order_by(select)
        _name_subqueries(tree)
        tree = tree.transform(_postgres_functions)
        if with_params:
            for literal in tree.find_all(exp.Literal):
                if literal.is_string and "%" in literal.this:
                    literal.set("this", literal.this.replace("%", "%%"))
        out.append(tree.sql(dialect="postgres").replace("__list_parameter__", "%b")
                   .replace("__any_parameter__", "%s"))
    return ";\n".join(out)


# -- a DuckDB-like connection -------------------------------------------------------------
def _python(value: Any) -> Any:
    """A parameter or cell as psycopg wants it: no numpy scalars, no NaN, JSON as text."""
    if value is None or type(value).__name__ in ("NaTType", "NAType"):  # pandas' missing
        return None
    if hasattr(value, "tolist") and getattr(value, "ndim", 0) > 0:  # numpy arrays: vectors
        return [_python(v) for v in value.tolist()]
    if hasattr(value, "item") and not isinstance(value, list | tuple | dict):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, list | tuple):
        return [_python(v) for v in value]
    if type(value).__name__ == "Timestamp":  # pandas: NaT is None, others are datetimes
        return None if value != value else value.to_pydatetime()  # noqa: PLR0124
    return value


class Result:
    """The slice of DuckDB's result API the capabilities use."""

    def __init__(self, cursor) -> None:
        self._cursor = cursor

    @property
    def description(self):
        return self._cursor.description

    def fetchone(self):
        return self._cursor.fetchone() if self._cursor.description else None

    def fetchall(self) -> list[tuple]:
        return self._cursor.fetchall() if self._cursor.description else []

    def fetchmany(self, size: int) -> list[tuple]:
        return self._cursor.fetchmany(size) if self._cursor.description else []

    def df(self):
        import pandas as pd

        description = self._cursor.description or []
        frame = pd.DataFrame.from_records(self.fetchall(), columns=[d.name for d in description])
        for i, d in enumerate(description):  # NUMERIC comes back as Decimal: DuckDB gives floats
            if d.type_code == _NUMERIC_OID:
                frame.isetitem(i, pd.to_numeric(frame.iloc[:, i], errors="coerce"))
        return frame


class Connection:
    """A psycopg connection that runs DuckDB-dialect SQL (translated) and answers like DuckDB."""

    def __init__(self, url: str, *, timezone: str | None = None) -> None:
        import psycopg
        from psycopg.types.json import set_json_loads

        self.url = url
        try:
            self._pg = psycopg.connect(url, autocommit=True)
        except psycopg.Error as exc:
            raise WarehouseError(
                f"cannot connect to the PostgreSQL warehouse {redacted(url)}: "
                f"{str(exc).strip().splitlines()[0]}") from exc
        # JSON comes back as text, as DuckDB returns it
        set_json_loads(lambda data: data.decode() if isinstance(data, bytes) else data, self._pg)
        if timezone:
            self.set_timezone(timezone)

    def set_timezone(self, zone: str) -> None:
        self._pg.execute("SELECT set_config('TimeZone', %s, false)", [zone])

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> Result:
        import psycopg

        try:
            translated = to_postgres(sql, with_params=bool(params))
        except sqlglot.errors.ParseError as exc:
            raise WarehouseError(f"cannot translate SQL for PostgreSQL: {exc}") from exc
        cursor = self._pg.cursor()
        try:
            cursor.execute(translated, [_python(p) for p in params] if params else None)
        except psycopg.Error as exc:
            raise WarehouseError(
                f"query failed on PostgreSQL: {str(exc).strip().splitlines()[0]}") from exc
        return Result(cursor)

    def copy_rows(self, table: str, columns: list[str], rows) -> None:
        """Append rows with COPY, the fast bulk path."""
        names = ", ".join(f'"{c}"' for c in columns)
        with self._pg.cursor() as cursor, cursor.copy(
                f'COPY "{table}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([_python(v) for v in row])

    def cursor(self) -> Connection:
        """Another connection to the same database (DuckDB's cursor: its own transactions)."""
        other = Connection(self.url)
        zone = self._pg.execute("SHOW TimeZone").fetchone()[0]
        other.set_timezone(zone)
        return other

    def interrupt(self) -> None:
        """Cancel the statement running on this connection (DuckDB's ``interrupt``)."""
        self._pg.cancel_safe()

    def close(self) -> None:
        self._pg.close()


# -- moving rows between engines ----------------------------------------------------------
_LOADED_TABLES = tuple(t.name for t in schema.TABLES)
# what a load reads besides the loaded tables: earlier files, rejects and the time zone
_SHADOW_TABLES = (*_LOADED_TABLES, "load_files", "quarantine", "rejected_orders",
                  "store_settings")
_ARROW_TYPES = {"BIGINT": pa.int64(), "INTEGER": pa.int32(), "BOOLEAN": pa.bool_(),
                "DATE": pa.date32(), "DOUBLE": pa.float64(), "FLOAT": pa.float32(),
                "VARCHAR": pa.string(), "JSON": pa.string(),
                "TIMESTAMP WITH TIME ZONE": pa.timestamp("us", tz="UTC")}
BATCH_ROWS = 50_000


def _arrow_type(duckdb_type: str) -> pa.DataType:
    decimal = re.fullmatch(r"DECIMAL\((\d+),\s*(\d+)\)", duckdb_type)
    if decimal:
        return pa.decimal128(int(decimal[1]), int(decimal[2]))
    vector = re.fullmatch(r"FLOAT\[(\d+)\]", duckdb_type)  # embeddings
    if vector:
        return pa.list_(pa.float32(), int(vector[1]))
    if duckdb_type not in _ARROW_TYPES:
        raise WarehouseError(f"cannot move a {duckdb_type} column between engines yet")
    return _ARROW_TYPES[duckdb_type]


def _copy_table_out(con: Connection, table: str, scratch: Warehouse) -> int:
    """Every row of ``table`` on PostgreSQL into the same table of the DuckDB ``scratch``."""
    described = scratch.query(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
        "AND table_schema = current_schema() ORDER BY ordinal_position", [table])
    schema_ = pa.schema([(name, _arrow_type(kind)) for name, kind in described])
    names = ", ".join(f'"{name}"' for name, _ in described)
    n = 0
    with con._pg.cursor(name=f"out_{table}") as cursor:  # server-side: batches, not all rows
        cursor.execute(f'SELECT {names} FROM "{table}"')
        while rows := cursor.fetchmany(BATCH_ROWS):
            columns = list(zip(*rows, strict=True))
            batch = pa.table([pa.array(column, type=field.type)
                              for column, field in zip(columns, schema_, strict=True)],
                             schema=schema_)
            scratch.insert_df(table, batch)
            n += len(rows)
    return n


def _copy_rows_in(con: Connection, table: str, scratch: Warehouse, where: str,
                  params: list) -> None:
    """The DuckDB ``scratch`` table's rows matching ``where`` appended here with COPY."""
    result = scratch.connection.execute(f'SELECT * FROM "{table}" WHERE {where}', params)
    columns = [d[0] for d in result.description]
    con.copy_rows(table, columns, result.fetchall())


# -- the warehouse ------------------------------------------------------------------------
_MIGRATION_LOCK = 7_420_001  # pg_advisory_lock key: one migrating process at a time
_LOAD_LOCK = 7_420_002  # pg_advisory_xact_lock key: one load at a time


class PostgresWarehouse(Warehouse):
    """A store's warehouse in a PostgreSQL database, with the interface of :class:`Warehouse`.

    Many processes may read and write at once (PostgreSQL's MVCC and row locks), so there is
    no file lock to wait for and ``on_demand`` holds the connection like any other use.
    ``memory_limit`` and ``threads`` are DuckDB settings and mean nothing here.
    """

    engine = "postgresql"

    def __init__(self, url: str, *, read_only: bool = False, timezone: str | None = None,
                 **_duckdb_settings: Any) -> None:
        self.url = url
        self.path = redacted(url)
        self.read_only = read_only
        self.configured_timezone = timezone or None
        self.timezone = timezone or DEFAULT_TIMEZONE
        self.memory_limit, self.threads, self.lock_timeout = None, 0, 0.0
        self.on_demand = False
        self._open = None
        self._open_read_only = read_only
        self._closed = False
        self._attach(read_only=read_only)

    def _connect(self, *, read_only: bool) -> Connection:
        con = Connection(self.url)
        if not read_only:
            con._pg.execute("SELECT pg_advisory_lock(%s)", [_MIGRATION_LOCK])
            try:
                migrations.migrate(con)
            finally:
                con._pg.execute("SELECT pg_advisory_unlock(%s)", [_MIGRATION_LOCK])
        elif con._pg.execute("SELECT to_regclass('_migrations') IS NULL").fetchone()[0]:
            con.close()
            raise WarehouseError(f"no warehouse in {self.path}; run 'shopkeeper init' first")
        stored = stored_timezone(con)
        self.timezone = self.configured_timezone or (stored[0] if stored else DEFAULT_TIMEZONE)
        con.set_timezone(self.timezone)
        return con

    def _is_current(self) -> bool:
        return True

    def shared(self) -> PostgresWarehouse:
        """Another connection to the same database, for another thread."""
        other = object.__new__(PostgresWarehouse)
        other.__dict__.update(self.__dict__)
        other._open = self._con.cursor()
        other._closed = False
        return other

    def insert_df(self, table: str, df: Any) -> int:
        """Append a DataFrame to ``table`` with COPY, matching columns by name."""
        columns = [str(c) for c in df.columns]
        self._con.copy_rows(table, columns, df.itertuples(index=False, name=None))
        return len(df)

    def estimated_rows_sql(self, tables: Sequence[str]) -> str:
        """Rows inserted less rows deleted, from the server's statistics (no scan; they lag
        a committed write by up to a second)."""
        names = ", ".join("'" + t.replace("'", "''") + "'" for t in tables)
        return ("(SELECT coalesce(sum(n_tup_ins - n_tup_del), 0) FROM pg_stat_user_tables "
                f"WHERE schemaname = current_schema() AND relname IN ({names}))")

    def load_through_duckdb(self, load: Callable[[Warehouse], Any]) -> Any:
        """Run a DuckDB load (``load(scratch)`` returns a report with ``load_id``) against a
        local copy of this store's loaded tables, then write what it changed here in one
        transaction: rows added, rows it replaced or quarantined as orphans removed, its
        rejected rows, file records and load record.

        The ingestion's file readers and checks are DuckDB's, so they are the same code on
        both engines. Loads take turns (a transaction-scoped advisory lock); readers and
        other writers go on meanwhile. The local copy costs a read of the loaded tables per
        load.
        """
        with tempfile.TemporaryDirectory(prefix="shopkeeper-load-") as folder, \
                self.transaction() as con:
            con._pg.execute("SELECT pg_advisory_xact_lock(%s)", [_LOAD_LOCK])
            with Warehouse(Path(folder) / "shadow.duckdb", memory_limit=None,
                                 timezone=self.configured_timezone) as scratch:
                for table in _SHADOW_TABLES:
                    _copy_table_out(con, table, scratch)
                    if table in _LOADED_TABLES:
                        scratch.connection.execute(
                            f'CREATE TEMP TABLE "_before_{table}" AS SELECT _load_id, '
                            f'_source_file, _source_row FROM "{table}"')
                stored = stored_timezone(scratch.connection)
                if stored and not self.configured_timezone:
                    scratch.timezone = stored[0]
                    scratch.set_session_timezone(stored[0])
                report = load(scratch)
                if report.load_id is not None:
                    self._apply_load(con, scratch, report.load_id)
        stored = stored_timezone(self._con)
        if stored and not self.configured_timezone:
            self.timezone = stored[0]
            self.set_session_timezone(stored[0])
        return report

    def _apply_load(self, con: Connection, scratch: Warehouse, load_id: str) -> None:
        """Write one load's changes from the local copy ``scratch`` into this database."""
        files = [r[0] for r in scratch.query(
            "SELECT source_file FROM load_files WHERE load_id = ?", [load_id])]
        for table in _LOADED_TABLES:
            gone = scratch.query_df(
                f'SELECT * FROM "_before_{table}" EXCEPT ALL '
                f'SELECT _load_id, _source_file, _source_row FROM "{table}"')
            if len(gone):
                con._pg.execute('CREATE TEMP TABLE _gone (_load_id TEXT, _source_file TEXT, '
                                '_source_row BIGINT) ON COMMIT DROP')
                con.copy_rows("_gone", list(gone.columns), gone.itertuples(index=False))
                # loaded rows always carry their lineage: an equality join (a hash join);
                # rows written outside a load may lack it, and are matched NULL for NULL
                con._pg.execute(
                    f'DELETE FROM "{table}" t USING _gone g WHERE t._load_id = g._load_id '
                    'AND t._source_file = g._source_file AND t._source_row = g._source_row')
                con._pg.execute(
                    f'DELETE FROM "{table}" t USING _gone g WHERE (g._load_id IS NULL OR '
                    'g._source_file IS NULL OR g._source_row IS NULL) AND '
                    't._load_id IS NOT DISTINCT FROM g._load_id AND '
                    't._source_file IS NOT DISTINCT FROM g._source_file AND '
                    't._source_row IS NOT DISTINCT FROM g._source_row')
                con._pg.execute("DROP TABLE _gone")
            _copy_rows_in(con, table, scratch, "_load_id = ?", [load_id])
        for table in ("quarantine", "rejected_orders"):  # a file loaded again: its new rejects
            con.execute(f"DELETE FROM {table} WHERE source_file IN (SELECT unnest(?))", [files])
            _copy_rows_in(con, table, scratch, "load_id = ?", [load_id])
        for table in ("load_files", "loads"):
            _copy_rows_in(con, table, scratch, "load_id = ?", [load_id])
        zone = scratch.query("SELECT value, source FROM store_settings WHERE key = 'timezone'")
        if zone:
            con.execute("DELETE FROM store_settings WHERE key = 'timezone'")
            _copy_rows_in(con, "store_settings", scratch, "key = 'timezone'", [])

    def release_memory(self) -> None:
        """Nothing to hand back: the server manages its own memory."""

    def set_session_timezone(self, zone: str) -> None:
        self._con.set_timezone(zone)

    def read_only_query(self, sql: str, limit: int | None = None) -> tuple[list[str], list[tuple]]:
        """As :meth:`Warehouse.read_only_query`, inside a READ ONLY transaction as well."""
        self._check_read_only(sql)
        pg = self._con._pg
        pg.execute("BEGIN TRANSACTION READ ONLY")
        try:
            result = self._con.execute(sql)
            if result.description is None:
                return [], []
            rows = result.fetchmany(limit) if limit else result.fetchall()
            return [d[0] for d in result.description], rows
        except WarehouseError as exc:
            raise WarehouseError(str(exc).replace("query failed on PostgreSQL", "query failed")
                                 ) from exc
        finally:
            with contextlib.suppress(Exception):
                pg.execute("ROLLBACK")
