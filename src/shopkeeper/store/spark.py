"""The Spark engine: a store's tables read by Apache Spark, for catalogues too big for one machine.

:class:`SparkWarehouse` has the reading half of :class:`~shopkeeper.store.Warehouse`'s
interface. Its tables are Spark views over Parquet: exported from a warehouse (DuckDB or
PostgreSQL) into a scratch folder, or read where they already lie (a folder holding
``<table>.parquet`` files, Parquet dataset folders or Delta tables). Every query is the same
DuckDB-dialect SQL the other engines run, translated by :func:`to_spark` with sqlglot: no
business logic lives here, and a query that answers differently than on DuckDB is a
translation bug the conformance tests catch.

Writing stays with the warehouse: a Spark run's results (forecasts, plans) are written back to
it by the capability, as tables. Spark itself comes from the optional ``[spark]`` extra
(pyspark; Java 17 on the machine). ``SHOPKEEPER_SPARK_MASTER`` picks the cluster; the default
is ``local[2]``.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import os
import re
import shutil
import sys
import tempfile
import zoneinfo
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp

from shopkeeper.errors import WarehouseError
from shopkeeper.store import migrations, schema
from shopkeeper.store.config import SPARK_SCHEME
from shopkeeper.store.timezone import DEFAULT_TIMEZONE, stored_timezone
from shopkeeper.store.warehouse import Warehouse

DEFAULT_MASTER = "local[2]"
_SPARK_CONFIG = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    # a division by zero is NULL, not a failed job (DuckDB gives inf; the capabilities'
    # divisions are guarded with nullif, so neither is ever seen)
    "spark.sql.ansi.enabled": "false",
    "spark.sql.session.timeZone": "UTC",
}


def spark_session(master: str | None = None):
    """The process's Spark session (created on first use).

    ``master`` (else ``SHOPKEEPER_SPARK_MASTER``, else ``local[2]``) says where it runs.
    Raises a clear error when pyspark or Java is missing."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise WarehouseError(
            "the Spark engine needs pyspark: pip install 'shopkeeper[spark]' (and Java 17, "
            "for example Debian's openjdk-17-jre-headless)") from exc
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        raise WarehouseError("the Spark engine needs Java 17 on the PATH (or JAVA_HOME): "
                             "install openjdk-17-jre-headless")
    master = master or os.environ.get("SHOPKEEPER_SPARK_MASTER") or DEFAULT_MASTER
    builder = SparkSession.builder.master(master).appName("shopkeeper")
    if master.startswith("local"):
        # a small local session: the workers run this interpreter, where shopkeeper is
        # installed (a cluster's workers use their own PYSPARK_PYTHON), few shuffle partitions
        # instead of Spark's 200, and the loopback address without a warning about the host
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        builder = builder.config("spark.sql.shuffle.partitions", "8")
        if "SPARK_DRIVER_MEMORY" not in os.environ:
            # the driver is the whole local cluster and gathers every partition's results:
            # Spark's 1 GB heap and 1 GB of results hold about 400k series
            memory_gb = _local_driver_memory_gb()
            builder = (builder.config("spark.driver.memory", f"{memory_gb}g")
                       .config("spark.driver.maxResultSize", f"{memory_gb // 2}g"))
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    log_config = Path(__file__).with_name("spark-log4j2.properties")
    builder = builder.config("spark.driver.extraJavaOptions",
                             f"-Dlog4j2.configurationFile=file:{log_config}")
    for key, value in _SPARK_CONFIG.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def _local_driver_memory_gb() -> int:
    """A local session's heap: a quarter of the machine's memory, from 2 to 8 GB."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):  # no sysconf (Windows) or no such name
        return 2
    return max(2, min(8, total // 4 // 2**30))


# -- DuckDB SQL as Spark SQL ----------------------------------------------------------------
def _literal(value: Any) -> exp.Expression:
    """A parameter as a Spark SQL literal."""
    if value is None:
        return exp.null()
    if hasattr(value, "item") and not isinstance(value, list | tuple):
        value = value.item()  # numpy scalars
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int | float | decimal.Decimal):
        return exp.Literal.number(value)
    if isinstance(value, dt.datetime):
        return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), "TIMESTAMP")
    if isinstance(value, dt.date):
        return exp.cast(exp.Literal.string(value.isoformat()), "DATE")
    if isinstance(value, list | tuple):
        return exp.Array(expressions=[_literal(v) for v in value])
    return exp.Literal.string(str(value))


def _spark_functions(node: exp.Expression) -> exp.Expression:
    """Rewrites that sqlglot's Spark dialect leaves to us."""
    # date_trunc('day', date) is the date: Spark's trunc() knows no 'DAY' (NULL)
    if isinstance(node, exp.DateTrunc) and str(node.args.get("unit").name).upper() == "DAY":
        return exp.cast(node.this, "DATE")
    # DuckDB's / always divides as floating point; Spark's keeps decimals, rounded to 6 places
    if isinstance(node, exp.Div) and not node.args.get("typed"):
        return exp.Div(this=exp.cast(node.this, "DOUBLE"),
                       expression=exp.cast(node.expression, "DOUBLE"), typed=True)
    # (a replacement's own children are not visited again: they are rewritten here)
    # list[a:b] is 1-based and inclusive: Spark's slice takes a start and a length
    if (isinstance(node, exp.Bracket) and len(node.expressions) == 1
            and isinstance(node.expressions[0], exp.Slice)):
        bounds = node.expressions[0]
        values = node.this.transform(_spark_functions)
        start = bounds.this.transform(_spark_functions) if bounds.this else exp.Literal.number(1)
        end = (bounds.expression.transform(_spark_functions) if bounds.expression
               else exp.func("size", values.copy()))
        length = exp.Add(this=exp.Sub(this=end, expression=start.copy()),
                         expression=exp.Literal.number(1))
        return exp.func("slice", values, start, exp.func("greatest", length,
                                                         exp.Literal.number(0)))
    # epoch_us(t): microseconds since 1970, as a number
    if isinstance(node, exp.Anonymous) and str(node.name).lower() == "epoch_us":
        moment = node.expressions[0].transform(_spark_functions)
        return exp.func("unix_micros", exp.cast(moment, "TIMESTAMP"))
    if isinstance(node, exp.CTE) and node.args.get("materialized") is not None:
        node.set("materialized", None)  # a planner hint Spark has no syntax for
        return node
    # list(x ORDER BY k), with DISTINCT or FILTER: collect_list keeps no order (see below)
    if isinstance(node, exp.Filter) and _is_ordered_list(node.this):
        return _ordered_list(node.this, node.expression.this)
    if _is_ordered_list(node):
        return _ordered_list(node)
    # count(DISTINCT (a, b)): a row of values, NULLs included, as DuckDB counts it
    if isinstance(node, exp.Distinct) and len(node.expressions) == 1 and isinstance(
            node.expressions[0], exp.Tuple):
        fields = node.expressions[0].expressions
        return exp.Distinct(expressions=[exp.func("struct", *fields)])
    # x IN (SELECT unnest(list)): the list itself
    if isinstance(node, exp.In) and isinstance(node.args.get("query"), exp.Subquery | exp.Select):
        query = node.args["query"]
        select = query.this if isinstance(query, exp.Subquery) else query
        if (isinstance(select, exp.Select) and len(select.expressions) == 1
                and isinstance(select.expressions[0], exp.Unnest | exp.Explode)
                and not select.args.get("from")):
            inner = select.expressions[0]
            values = inner.expressions[0] if isinstance(inner, exp.Unnest) else inner.this
            return exp.func("array_contains", values, node.this)
    return node


def _is_ordered_list(node: exp.Expression) -> bool:
    return isinstance(node, exp.ArrayAgg) and isinstance(node.this, exp.Order)


def _ordered_list(agg: exp.ArrayAgg, where: exp.Expression | None = None) -> exp.Expression:
    """list(x ORDER BY k) as sorted (k, x) pairs, x kept; list(DISTINCT x ORDER BY x) as a
    sorted set; a FILTER stays on the aggregate, where Spark wants it."""
    def spark(e: exp.Expression) -> str:
        return e.transform(_spark_functions).sql("spark")

    order = agg.this
    key = order.expressions[0]
    ascending = "false" if key.args.get("desc") else "true"
    value = order.this
    only = f" FILTER (WHERE {spark(where)})" if where is not None else ""
    if isinstance(value, exp.Distinct) and len(value.expressions) == 1:
        value = value.expressions[0]
        if value == key.this:
            return sqlglot.parse_one(
                f"sort_array(collect_set({spark(value)}){only}, {ascending})", read="spark")
        return sqlglot.parse_one(  # distinct (k, x) pairs: a value under two keys stays twice
            f"sort_array(collect_set(named_struct('k', {spark(key.this)}, 'v', "
            f"{spark(value)})){only}, {ascending}).v", read="spark")
    return sqlglot.parse_one(
        f"sort_array(collect_list(named_struct('k', {spark(key.this)}, 'v', {spark(value)}))"
        f"{only}, {ascending}).v", read="spark")


def _cast_generators(node: exp.Expression) -> exp.Expression:
    """CAST(explode(list) AS t): Spark allows no generator inside an expression, so cast the
    list's elements instead."""
    if isinstance(node, exp.Cast) and isinstance(node.this, exp.Explode):
        element = exp.to_identifier("v")
        cast = exp.cast(exp.column(element), node.to)
        mapped = exp.func("transform", node.this.this,
                          exp.Lambda(this=cast, expressions=[element]))
        return exp.Explode(this=mapped)
    return node


@functools.lru_cache(maxsize=1024)
def _translate(sql: str) -> list[exp.Expression]:
    trees = []
    for tree in sqlglot.parse(sql, read="duckdb"):
        if tree is not None:
            spark_sql = tree.transform(_spark_functions).sql(dialect="spark")
            trees.append(sqlglot.parse_one(spark_sql, read="spark").transform(_cast_generators))
    return trees


def to_spark(sql: str, params: Sequence[Any] | None = None) -> list[str]:
    """DuckDB SQL as Spark SQL statements, each ``?`` replaced by its parameter's literal (in
    the order the ``?`` appear in the text, as DuckDB binds them)."""
    values = iter(params or [])
    out = []
    for tree in _translate(sql):
        tree = tree.copy()
        for i, placeholder in enumerate(list(tree.find_all(exp.Placeholder))):
            placeholder.replace(exp.Var(this=f"__shopkeeper_param_{i}__"))
        text = tree.sql(dialect="spark")

        def bind(_match: re.Match) -> str:
            try:
                return _literal(next(values)).sql(dialect="spark")
            except StopIteration:
                raise WarehouseError("a query has more ? than parameters") from None

        out.append(_PARAM.sub(bind, text))
    return out


_PARAM = re.compile(r"__shopkeeper_param_\d+__")


# -- a DuckDB-like connection -------------------------------------------------------------
class Result:
    """The slice of DuckDB's result API the capabilities read through."""

    def __init__(self, frame) -> None:
        self.frame = frame
        self._rows: list[tuple] | None = None

    @property
    def description(self):
        return [(f.name, str(f.dataType)) for f in self.frame.schema.fields]

    def fetchall(self) -> list[tuple]:
        if self._rows is None:
            self._rows = self._python_rows(self.frame.collect())
        return self._rows

    def fetchone(self):
        rows = self.fetchall()
        return rows[0] if rows else None

    def fetchmany(self, size: int) -> list[tuple]:
        return self._python_rows(self.frame.limit(size).collect())

    def _python_rows(self, rows: list) -> list[tuple]:
        """Rows as DuckDB gives them: decimals as floats, timestamps aware, in the session's
        time zone (PySpark gives naive ones in the machine's local time)."""
        from pyspark.sql.types import TimestampType

        stamps = {i for i, f in enumerate(self.frame.schema.fields)
                  if isinstance(f.dataType, TimestampType)}
        zone = _zone(self.frame.sparkSession.conf.get("spark.sql.session.timeZone"))
        return [tuple(v.astimezone(zone) if i in stamps and v is not None else _python(v)
                      for i, v in enumerate(row)) for row in rows]

    def df(self):
        """As pandas, with DuckDB's types: decimals as floats, dates as ``datetime64[us]``,
        timestamps in the session's time zone."""
        import pandas as pd
        from pyspark.sql import functions as F
        from pyspark.sql.types import DateType, DecimalType, TimestampType

        fields = self.frame.schema.fields
        columns = []  # timestamps travel as microseconds since the epoch: no local-time guess
        for i, field in enumerate(fields):
            column = self.frame[i]
            if isinstance(field.dataType, DecimalType):
                column = column.cast("double")
            elif isinstance(field.dataType, TimestampType):
                column = F.unix_micros(column)
            columns.append(column.alias(f"c{i}"))
        out = self.frame.select(*columns).toPandas()
        out.columns = [f.name for f in fields]
        zone = self.frame.sparkSession.conf.get("spark.sql.session.timeZone")
        for i, field in enumerate(fields):
            if isinstance(field.dataType, DateType):
                out.isetitem(i, pd.to_datetime(out.iloc[:, i]).astype("datetime64[us]"))
            elif isinstance(field.dataType, TimestampType):
                out.isetitem(i, pd.to_datetime(out.iloc[:, i], unit="us", utc=True)
                             .dt.tz_convert(zone).astype(f"datetime64[us, {zone}]"))
        return out


def _zone(name: str) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def _python(value: Any) -> Any:
    return float(value) if isinstance(value, decimal.Decimal) else value


class Connection:
    """Runs DuckDB-dialect SQL on a Spark session and answers like DuckDB."""

    def __init__(self, spark) -> None:
        self.spark = spark

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> Result:
        from pyspark.errors import PySparkException

        try:
            statements = to_spark(sql, params)
        except sqlglot.errors.ParseError as exc:
            raise WarehouseError(f"cannot translate SQL for Spark: {exc}") from exc
        frame = None
        try:
            for statement in statements:
                frame = self.spark.sql(statement)
        except PySparkException as exc:
            raise WarehouseError(
                f"query failed on Spark: {str(exc).strip().splitlines()[0]}") from exc
        return Result(frame)

    def close(self) -> None:
        """The session outlives a warehouse: other warehouses in the process may share it."""


# -- where the tables come from -------------------------------------------------------------
@functools.cache
def _current_schema() -> tuple[tuple[str, ...], Any]:
    """The current schema, from a fresh in-memory warehouse migrated once per process: its
    tables, less the internal ones (``_migrations``: Spark takes files named ``_…`` for hidden
    ones), and its migration records."""
    import duckdb

    con = duckdb.connect()
    try:
        migrations.migrate(con)
        tables = tuple(r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "AND NOT starts_with(table_name, '_') ORDER BY 1").fetchall())
        return tables, con.execute("SELECT * FROM _migrations ORDER BY version").df()
    finally:
        con.close()


def _table_names() -> list[str]:
    """Every table of the current schema, less the internal ones."""
    return list(_current_schema()[0])


def _schema_records():
    """The migration records of the current schema, for a folder of tables (a data lake has
    none of its own; its tables are read as the current schema's)."""
    return _current_schema()[1].copy()


def export_parquet(warehouse: Warehouse, folder: Path,
                   tables: Sequence[str] | None = None) -> dict[str, Path]:
    """Every table of ``warehouse`` (or those named) as ``folder/<table>.parquet``;
    PostgreSQL's through a scratch DuckDB copy. Returns the files by table."""
    folder.mkdir(parents=True, exist_ok=True)
    wanted = [t for t in _table_names() if tables is None or t in tables]
    files = {}
    if warehouse.engine == "duckdb":
        con, scratch = warehouse.connection, None
    else:
        from shopkeeper.store.postgres import _copy_table_out

        scratch = Warehouse(folder / "scratch.duckdb", timezone=warehouse.timezone)
        with warehouse._con._pg.transaction():  # one snapshot; server-side cursors need it
            for table in wanted:
                _copy_table_out(warehouse._con, table, scratch)
        con = scratch.connection
    try:
        present = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = "
            "current_schema() AND table_type = 'BASE TABLE'").fetchall()}
        for table in (t for t in wanted if t in present):
            files[table] = folder / f"{table}.parquet"
            con.execute(f"COPY \"{table}\" TO '{files[table]}' (FORMAT parquet)")
    finally:
        if scratch is not None:
            scratch.close()
            (folder / "scratch.duckdb").unlink(missing_ok=True)
    return files


def _delta_files(path: Path) -> list[str] | None:
    """The Parquet files of a Delta table's current version (read with the deltalake package,
    so no Spark jar has to be fetched); None when ``path`` is no Delta table."""
    if not (path / "_delta_log").is_dir():
        return None
    try:
        from deltalake import DeltaTable
    except ImportError as exc:
        raise WarehouseError(
            f"{path} is a Delta table: reading it needs the deltalake package "
            "(pip install 'shopkeeper[spark]')") from exc
    return list(DeltaTable(str(path)).file_uris())


def _tables_in(folder: Path) -> dict[str, list[str]]:
    """Each table found in ``folder``: ``<table>.parquet``, or a ``<table>/`` Parquet dataset
    or Delta table. The table names are the canonical ones; other files are ignored."""
    found = {}
    for table in _table_names():
        single, nested = folder / f"{table}.parquet", folder / table
        if single.is_file():
            found[table] = [str(single)]
        elif nested.is_dir():
            found[table] = _delta_files(nested) or [str(nested)]
    return found


_SPARK_TYPES = {"VARCHAR": "string", "JSON": "string", "TIMESTAMPTZ": "timestamp",
                "DATE": "date", "INTEGER": "int", "BIGINT": "bigint", "DOUBLE": "double",
                "BOOLEAN": "boolean"}


def _with_schema_columns(frame, table: str):
    """``frame`` with each column of the canonical ``table`` that it lacks as NULL: a folder's
    table written before a migration added a column (``refunds.country``) reads as a store
    that never filled it."""
    if table not in schema.TABLES_BY_NAME:
        return frame
    have = {c.lower() for c in frame.columns}
    for column in (*schema.TABLES_BY_NAME[table].columns, *schema.LINEAGE):
        if column.name.lower() not in have:
            kind = _SPARK_TYPES.get(column.type, column.type.lower())  # decimal(18,4)
            frame = frame.selectExpr("*", f"CAST(NULL AS {kind}) AS `{column.name}`")
    return frame


_READ_ONLY = ("the Spark engine only reads the store: load and write through the warehouse "
              "it reads (a DuckDB file or PostgreSQL), where Spark's runs store their results")


class SparkWarehouse(Warehouse):
    """A store's tables on Spark, with the reading interface of :class:`Warehouse`.

    ``source`` is a warehouse (its tables are exported to Parquet in a scratch folder, removed
    on :meth:`close`) or a folder of Parquet/Delta tables. A table the folder lacks reads as
    empty, as in a store that never loaded it. ``overlay`` names tables read from a warehouse
    instead, whatever the folder holds (a forecast run's, say, next to the orders in a data
    lake). Dates and periods follow the store's time zone, as on the other engines.
    """

    engine = "spark"
    batched_scans = False

    def __new__(cls, *args: Any, **kwargs: Any) -> SparkWarehouse:
        return object.__new__(cls)

    def __init__(self, source: Warehouse | str | Path, *, spark=None,
                 timezone: str | None = None, master: str | None = None,
                 overlay: tuple[Warehouse, Sequence[str]] | None = None,
                 **_warehouse_settings: Any) -> None:
        """``source`` may also be ``spark:PATH`` (the warehouse setting), PATH a warehouse
        file, opened read-only, or a folder of tables. The other warehouses' settings
        (``read_only``, ``on_demand``, memory…) mean nothing here and are ignored."""
        opened = None
        if isinstance(source, str) and source.startswith(SPARK_SCHEME):
            path = Path(source.removeprefix(SPARK_SCHEME))
            source = opened = Warehouse(path, read_only=True) if path.is_file() else path
        self.spark = spark or spark_session(master)
        self.read_only = True
        self.on_demand = False
        self.memory_limit, self.threads, self.lock_timeout = None, 0, 0.0
        self._closed = False
        self._scratch: Path | None = None
        self._row_counts: dict[tuple[str, ...], int] = {}
        self.source = source
        if isinstance(source, Warehouse):
            self.path = f"spark:{source.path}"
            self._scratch = Path(tempfile.mkdtemp(prefix="shopkeeper-spark-"))
            try:
                files = {t: [str(f)] for t, f in export_parquet(source, self._scratch).items()}
                records = source.query_df("SELECT * FROM _migrations ORDER BY version")
                self.timezone = timezone or source.timezone
            finally:
                if isinstance(opened, Warehouse):  # in Parquet now: the file is let go
                    opened.close()
        else:
            folder = Path(source)
            if not folder.is_dir():
                raise WarehouseError(f"no folder of Parquet or Delta tables at {folder}")
            self.path = f"spark:{folder}"
            files = _tables_in(folder)
            if not files:
                raise WarehouseError(
                    f"{folder} holds none of the store's tables: expected files like "
                    "orders.parquet and order_lines.parquet, or folders of those names")
            self.timezone = timezone or DEFAULT_TIMEZONE
            records = _schema_records()
        self.configured_timezone = self.timezone
        if overlay is not None:
            if self._scratch is None:
                self._scratch = Path(tempfile.mkdtemp(prefix="shopkeeper-spark-"))
            files.update({t: [str(f)] for t, f in export_parquet(
                overlay[0], self._scratch / "overlay", overlay[1]).items()})
        self._register(files)
        # not a file: Spark takes files named _… for hidden ones
        self.spark.createDataFrame(records).createOrReplaceTempView("_migrations")
        self._open = Connection(self.spark)
        self._open_read_only = True
        if not isinstance(source, Warehouse) and timezone is None and "store_settings" in files:
            self._timezone_from_settings()
        self.spark.conf.set("spark.sql.session.timeZone", self.timezone)

    def _register(self, files: dict[str, list[str]]) -> None:
        """A temporary view per table; an empty one, with the schema's columns, for each
        table the source lacks, and NULL for each of the schema's columns a table lacks."""
        missing = [t for t in _table_names() if t not in files]
        if missing:
            empty = Path(tempfile.mkdtemp(prefix="shopkeeper-spark-empty-"))
            self._empty = empty
            con_path = empty / "empty.duckdb"
            scratch = Warehouse(con_path)
            try:
                for table in missing:
                    files[table] = [str(empty / f"{table}.parquet")]
                    scratch.connection.execute(
                        f"COPY \"{table}\" TO '{files[table][0]}' (FORMAT parquet)")
            finally:
                scratch.close()
        for table, paths in files.items():
            _with_schema_columns(self.spark.read.parquet(*paths), table
                                 ).createOrReplaceTempView(table)

    def _timezone_from_settings(self) -> None:
        stored = stored_timezone(self._open)
        if stored:
            self.timezone = self.configured_timezone = stored[0]

    # -- the interface ------------------------------------------------------------------
    def _connect(self, *, read_only: bool) -> Connection:
        return self._open

    def _is_current(self) -> bool:
        return True

    @property
    def _con(self) -> Connection:
        if self._closed:
            raise WarehouseError(f"the warehouse {self.path} is closed")
        return self._open

    def frame(self, sql: str, params: Sequence[Any] | None = None):
        """The query as a Spark DataFrame, for work that stays on the cluster."""
        return self._con.execute(sql, params).frame

    @property
    def connection(self):
        """No DuckDB connection to write or load through: Spark only reads."""
        raise WarehouseError(_READ_ONLY)

    def transaction(self):
        raise WarehouseError(_READ_ONLY)

    def load_through_duckdb(self, load) -> Any:
        raise WarehouseError(_READ_ONLY)

    def insert_df(self, table: str, df: Any) -> int:
        raise WarehouseError(_READ_ONLY)

    def release(self) -> None:
        """Nothing to let go: Spark holds no lock on the store."""

    def release_memory(self) -> None:
        self.spark.catalog.clearCache()

    def set_session_timezone(self, zone: str) -> None:
        self.timezone = zone
        self.spark.conf.set("spark.sql.session.timeZone", zone)

    def has_table(self, name: str) -> bool:
        return bool(self.spark.catalog.tableExists(name))

    def estimated_rows_sql(self, tables: Sequence[str]) -> str:
        """The rows of ``tables``, counted once per open: the views are a fixed snapshot, and
        Spark keeps no row estimate to read instead."""
        key = tuple(tables)
        if key not in self._row_counts:
            counts = " UNION ALL ".join(f'SELECT count(*) AS n FROM "{t}"' for t in key)
            self._row_counts[key] = int(self._con.execute(
                f"SELECT coalesce(sum(n), 0) FROM ({counts}) AS counted").fetchone()[0])
        return f"(SELECT {self._row_counts[key]})"

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for folder in (self._scratch, getattr(self, "_empty", None)):
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
