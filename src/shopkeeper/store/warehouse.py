"""The warehouse: the one place that opens, migrates and queries the store's database.

Capabilities never open DuckDB themselves; they ask a :class:`Warehouse` for data. That keeps a
later PostgreSQL or Spark backend a change here only.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
import zoneinfo
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from shopkeeper.errors import (
    ConfigError,
    ReadOnlyQueryError,
    WarehouseError,
    WarehouseLockedError,
)
from shopkeeper.store import migrations, schema
from shopkeeper.store.config import (
    DATABASE_URL_SCHEMES,
    DEFAULT_MEMORY_LIMIT,
    SPARK_SCHEME,
    Settings,
)
from shopkeeper.store.timezone import DEFAULT_TIMEZONE, stored_timezone

_READ_ONLY_STATEMENTS = {"SELECT", "EXPLAIN", "PRAGMA"}
# Waiting for a warehouse another process holds: retry after 0.2 s, doubling up to 1 s.
LOCK_RETRY_FIRST_S = 0.2
LOCK_RETRY_MAX_S = 1.0
_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")

# Columns that tell when a table's rows happened, for `status`.
TIME_COLUMNS = {
    "orders": "ordered_at",
    "refunds": "refunded_at",
    "inventory_snapshots": "snapshot_at",
    "expenses": "incurred_on",
    "reviews": "created_at",
    "events": "occurred_at",
    "payments": "paid_at",
    "shipments": "shipped_at",
}


@dataclass(frozen=True)
class TableStatus:
    name: str
    rows: int
    first: datetime | None = None
    last: datetime | None = None
    generated_rows: int = 0


@dataclass(frozen=True)
class LoadRecord:
    load_id: str
    source: str | None
    preset: str | None
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    is_generated: bool
    started_at: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True)
class WarehouseStatus:
    path: str
    schema_version: int
    tables: list[TableStatus]
    loads: int
    quarantined_rows: int
    quarantine_by_reason: list[tuple[str, str, int]] = field(default_factory=list)
    timezone: tuple[str, str] = ("UTC", "default")  # the store's zone and where it came from


_SHARE_LOCK = threading.Lock()  # handing out cursors of one connection from many threads


class Warehouse:
    """A DuckDB warehouse file holding one store's data, migrated to the current schema.

    Use as a context manager, or call :meth:`close`. ``read_only=True`` opens the file without
    write access (several readers may share it; it must already exist).

    DuckDB lets one process write to the file, or any number of processes read it, never both.
    So a warehouse that finds the file taken waits up to ``lock_timeout`` seconds, then raises
    :class:`WarehouseLockedError` naming the process that has it. ``on_demand=True`` holds no
    connection between uses, for interactive sessions, long jobs and servers: reads open the
    file read-only when first needed, each :meth:`transaction` opens the writer for just that
    transaction, and :meth:`release` lets the file go until the next use.
    """

    engine = "duckdb"
    # a scan bigger than memory runs in slices (an engine that spills or spreads it need not)
    batched_scans = True

    def __new__(cls, path: str | Path, **settings: Any) -> Warehouse:
        """A ``postgresql://`` URL opens a :class:`~shopkeeper.store.postgres.PostgresWarehouse`,
        ``spark:SOURCE`` a read-only :class:`~shopkeeper.store.spark.SparkWarehouse` (its
        ``__init__`` then runs as usual)."""
        if cls is Warehouse and isinstance(path, str) and path.startswith(DATABASE_URL_SCHEMES):
            from shopkeeper.store.postgres import PostgresWarehouse

            return super().__new__(PostgresWarehouse)
        if cls is Warehouse and isinstance(path, str) and path.startswith(SPARK_SCHEME):
            from shopkeeper.store.spark import SparkWarehouse

            return super().__new__(SparkWarehouse)
        return super().__new__(cls)

    def __init__(
        self,
        path: str | Path,
        *,
        read_only: bool = False,
        memory_limit: str | None = DEFAULT_MEMORY_LIMIT,
        threads: int = 0,
        timezone: str | None = None,
        lock_timeout: float = 0.0,
        on_demand: bool = False,
    ) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self.configured_timezone = timezone or None  # else the zone the warehouse recorded
        self.timezone = timezone or DEFAULT_TIMEZONE
        self.memory_limit = memory_limit
        self.threads = threads
        self.lock_timeout = lock_timeout
        self.on_demand = on_demand
        self._open: duckdb.DuckDBPyConnection | None = None
        self._open_read_only = True
        self._closed = False
        if read_only and not self.path.exists():
            raise WarehouseError(
                f"no warehouse at {self.path}; run 'shopkeeper init' or 'shopkeeper demo' first"
            )
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        if not on_demand:
            self._attach(read_only=read_only)
        elif not read_only and not self._is_current():
            self._attach(read_only=False)  # create or migrate the file once, then let it go
            self.release()

    @classmethod
    def from_settings(
        cls, settings: Settings, *, read_only: bool = False, on_demand: bool = False
    ) -> Warehouse:
        return cls(
            settings.warehouse,
            read_only=read_only,
            memory_limit=settings.memory_limit,
            threads=settings.threads,
            timezone=settings.timezone,
            lock_timeout=settings.lock_timeout,
            on_demand=on_demand,
        )

    # -- opening and letting go -----------------------------------------------------------
    def _connect(self, *, read_only: bool) -> duckdb.DuckDBPyConnection:
        """Open the file, waiting (bounded by ``lock_timeout``) while another process has it."""
        config: dict[str, Any] = {}
        if self.memory_limit:
            config["memory_limit"] = self.memory_limit
        if self.threads:
            config["threads"] = self.threads
        con = open_waiting(
            self.path, lambda: duckdb.connect(str(self.path), read_only=read_only, config=config),
            self.lock_timeout)
        # progress is polled by the ingestion (query_progress), never printed by DuckDB itself
        con.execute("SET enable_progress_bar = true; SET enable_progress_bar_print = false")
        if not read_only:
            migrations.migrate(con)
        # every day, week and month boundary is the store's midnight, not UTC's
        stored = stored_timezone(con)
        self.timezone = self.configured_timezone or (stored[0] if stored else DEFAULT_TIMEZONE)
        con.execute(f"SET TimeZone = '{self.timezone}'")
        return con

    def _attach(self, *, read_only: bool) -> duckdb.DuckDBPyConnection:
        self.release()
        self._open, self._open_read_only = self._connect(read_only=read_only), read_only
        return self._open

    def _is_current(self) -> bool:
        """Whether the file exists at the latest schema version (so no writer is needed)."""
        if not self.path.exists():
            return False
        con = self._connect(read_only=True)
        try:
            return migrations.current_version(con) >= migrations.latest_version()
        except duckdb.Error:
            return False
        finally:
            con.close()

    @property
    def _con(self) -> duckdb.DuckDBPyConnection:
        if self._open is not None:
            return self._open
        if self._closed or not self.on_demand:
            raise WarehouseError(f"the warehouse {self.path} is closed")
        return self._attach(read_only=True)  # on demand, reads need no writer

    def release(self) -> None:
        """Let the file go until the next use (on demand only; a held warehouse keeps it).

        Call it before waiting for a person or a long computation, so other processes can
        write meanwhile."""
        if self.on_demand and self._open is not None:
            self._open.close()
            self._open = None

    # -- plumbing -------------------------------------------------------------------------
    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The raw DuckDB connection, for store-internal code (ingestion, generators).

        On demand, this opens the writer and keeps it until :meth:`release`."""
        if self.on_demand and not self.read_only and self._open_read_only:
            return self._attach(read_only=False)
        return self._con

    def shared(self) -> Warehouse:
        """Another handle on this open database, for another thread (a server's request or job).

        It wraps a DuckDB cursor: its own transactions over the same database instance, so a
        reader never waits for a writer (DuckDB's MVCC) and no second process needs the file
        lock. Close it when done; closing it leaves this warehouse open. Needs a held warehouse
        (not on demand)."""
        if self.on_demand or self._open is None:
            raise WarehouseError(f"the warehouse {self.path} is not held open: cannot share it")
        other = object.__new__(Warehouse)
        with _SHARE_LOCK:
            other.__dict__.update(self.__dict__)
            other._open = self._open.cursor()
        other._open.execute(f"SET TimeZone = '{self.timezone}'")
        other._closed = False
        return other

    def close(self) -> None:
        if self._open is not None:
            self._open.close()
            self._open = None
        self._closed = True

    def interrupt(self) -> None:
        """Stop the statement this handle is running, from another thread: it raises in the
        thread that runs it, and its transaction rolls back (a request past its deadline)."""
        con = self._open
        if con is not None:
            con.interrupt()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All or nothing: commit on success, roll back on any error or interrupt.

        On demand, the writer is opened for this transaction only (waiting for the lock like
        any opening) and let go when it ends."""
        brief = self.on_demand and not self.read_only and (
            self._open is None or self._open_read_only)
        con = self._attach(read_only=False) if brief else self._con
        try:
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
            except BaseException:
                with contextlib.suppress(duckdb.Error):  # a failed commit ended it already
                    con.execute("ROLLBACK")
                raise
            try:
                con.execute("COMMIT")
            except duckdb.Error as exc:
                raise WarehouseError(
                    f"could not save to the warehouse {self.path}, so nothing of this change "
                    f"was kept: {_engine_reason(exc)}") from exc
        finally:
            if brief:
                self.release()

    def insert_df(self, table: str, df: Any) -> int:
        """Append a DataFrame to ``table``, matching columns by name; returns rows written.

        Call it inside :meth:`transaction` to make several writes all-or-nothing.
        """
        if self._needs_writer():  # on demand and outside a transaction: a brief one of its own
            with self.transaction():
                return self.insert_df(table, df)
        view = f"_insert_{table}"
        self._con.register(view, df)
        try:
            self._con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {view}")
        finally:
            self._con.unregister(view)
        return len(df)

    def _needs_writer(self, sql: str | None = None) -> bool:
        """On demand with no writer open: whether ``sql`` (or an insert, without it) writes."""
        if not self.on_demand or self.read_only or (
                self._open is not None and not self._open_read_only):
            return False
        if sql is None:
            return True
        try:
            kinds = {statement.type.name for statement in duckdb.extract_statements(sql)}
        except duckdb.Error:  # let the query itself say what is wrong
            return False
        return not kinds <= _READ_ONLY_STATEMENTS

    def release_memory(self) -> None:
        """Hand the memory DuckDB keeps cached after a big query back to the operating system.

        DuckDB holds on to freed buffers up to its limit; before long work outside SQL (a
        forecast) that is memory the rest of the process could use. Squeezing the limit for a
        moment frees it; cached table pages are re-read from the file when next needed.
        On demand, the connection is closed instead, which frees it all and lets the file go.
        """
        if self.on_demand:
            self.release()
            return
        try:
            self._con.execute("SET memory_limit = '64MB'")
        except duckdb.Error:  # pinned data that cannot leave memory: nothing to release
            return
        if self.memory_limit:
            self._con.execute("SET memory_limit = ?", [self.memory_limit])
        else:
            self._con.execute("RESET memory_limit")

    # -- reading --------------------------------------------------------------------------
    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        """Run SQL and return all rows as tuples."""
        if self._needs_writer(sql):
            with self.transaction() as con:
                return con.execute(sql, params or []).fetchall()
        return self._con.execute(sql, params or []).fetchall()

    def query_df(self, sql: str, params: Sequence[Any] | None = None):
        """Run SQL and return a pandas DataFrame."""
        if self._needs_writer(sql):
            with self.transaction() as con:
                return con.execute(sql, params or []).df()
        return self._con.execute(sql, params or []).df()

    def read_only_query(self, sql: str, limit: int | None = None) -> tuple[list[str], list[tuple]]:
        """Run user-supplied SQL that may only read; returns (column names, rows).

        Refuses anything but SELECT / EXPLAIN / read PRAGMAs, whatever the connection allows.
        """
        self._check_read_only(sql)
        try:
            cursor = self._con.execute(sql)
            if cursor.description is None:
                return [], []
            rows = cursor.fetchmany(limit) if limit else cursor.fetchall()
            return [d[0] for d in cursor.description], rows
        except duckdb.Error as exc:
            raise WarehouseError(f"query failed: {str(exc).splitlines()[0]}") from exc

    @staticmethod
    def _check_read_only(sql: str) -> None:
        """Raise :class:`ReadOnlyQueryError` unless ``sql`` is one statement that only reads."""
        try:
            statements = duckdb.extract_statements(sql)
        except duckdb.Error as exc:
            raise ReadOnlyQueryError(f"cannot parse SQL: {str(exc).splitlines()[0]}") from exc
        if len(statements) != 1:
            raise ReadOnlyQueryError(f"give exactly one statement (got {len(statements)})")
        kind = statements[0].type.name
        if kind not in _READ_ONLY_STATEMENTS:
            raise ReadOnlyQueryError(
                f"only read-only queries are allowed here (got {kind}); use 'shopkeeper ingest' "
                "to change data"
            )

    def has_table(self, name: str) -> bool:
        """Whether the table exists (a warehouse opened read-only before the migration that
        adds it does not have it)."""
        return bool(self.query(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ? "
            "AND table_schema = current_schema()", [name])[0][0])

    def estimated_rows_sql(self, tables: Sequence[str]) -> str:
        """A scalar subquery: the catalog's row estimate of ``tables`` together, read without
        scanning them (rows inserted count; DuckDB's estimate keeps deleted ones)."""
        names = ", ".join("'" + t.replace("'", "''") + "'" for t in tables)
        return ("(SELECT coalesce(sum(estimated_size), 0) FROM duckdb_tables() "
                f"WHERE schema_name = 'main' AND table_name IN ({names}))")

    def count(self, table: str) -> int:
        schema.get_table(table)
        return int(self._con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])

    def status(self) -> WarehouseStatus:
        """Tables with row counts and date ranges, loads, and a quarantine summary."""
        tables = []
        for t in schema.TABLES:
            time_col = TIME_COLUMNS.get(t.name)
            span = f', min("{time_col}"), max("{time_col}")' if time_col else ", NULL, NULL"
            rows, first, last, generated = self._con.execute(
                f"SELECT count(*){span}, count(*) FILTER (WHERE _source_file LIKE 'generated:%') "
                f'FROM "{t.name}"'
            ).fetchone()
            tables.append(TableStatus(t.name, rows, first, last, generated))
        loads = self._con.execute("SELECT count(*) FROM loads").fetchone()[0]
        quarantined = self._con.execute("SELECT count(*) FROM quarantine").fetchone()[0]
        by_reason = self._con.execute(
            """
            SELECT source_file,
                   regexp_replace(reason, '''[^'']*''|\\(got [^)]*\\)|= \\(.*\\)|row \\d+',
                                  '…', 'g') AS kind,
                   count(*) AS n
            FROM quarantine GROUP BY ALL ORDER BY n DESC LIMIT 10
            """
        ).fetchall()
        return WarehouseStatus(
            str(self.path),
            self._version(),
            tables,
            loads,
            quarantined,
            by_reason,
            self.timezone_origin(),
        )

    def loads(self, *, limit: int = 50, offset: int = 0) -> tuple[int, list[LoadRecord]]:
        """The loads, newest first (rows read = loaded + quarantined), and how many there are."""
        total = int(self._con.execute("SELECT count(*) FROM loads").fetchone()[0])
        rows = self._con.execute(
            "SELECT load_id, source, preset, rows_read, rows_loaded, rows_quarantined, "
            "coalesce(is_generated, false), started_at, finished_at FROM loads "
            "ORDER BY started_at DESC NULLS LAST, load_id LIMIT ? OFFSET ?",
            [limit, offset]).fetchall()
        return total, [LoadRecord(*r) for r in rows]

    def set_timezone(self, zone: str, source: str = "set in the workspace") -> None:
        """Record ``zone`` as the store's time zone (a ``timezone`` setting still wins)."""
        try:
            zoneinfo.ZoneInfo(zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"unknown time zone {zone!r}: use an IANA name such as "
                              "'Asia/Shanghai'") from None
        with self.transaction() as con:
            con.execute("DELETE FROM store_settings WHERE key = 'timezone'")
            con.execute("INSERT INTO store_settings VALUES ('timezone', ?, ?, current_timestamp)",
                        [zone, source])
        if not self.configured_timezone:
            self.timezone = zone
            self.set_session_timezone(zone)

    def set_session_timezone(self, zone: str) -> None:
        """Read days, weeks and months at ``zone``'s midnight from now on (this session only)."""
        self._con.execute(f"SET TimeZone = '{zone}'")

    def timezone_origin(self) -> tuple[str, str]:
        """The store's time zone and where it came from (the settings, a load, the default)."""
        if self.configured_timezone:
            return self.configured_timezone, "set in the settings"
        stored = stored_timezone(self._con)
        if stored is not None:
            return stored
        return self.timezone, "the default: no setting, and no load has told it yet"

    def _version(self) -> int:
        return int(self._con.execute("SELECT max(version) FROM _migrations").fetchone()[0] or 0)

    def quarantine(
        self, *, load_id: str | None = None, source_file: str | None = None, limit: int | None = 50
    ) -> tuple[list[str], list[tuple]]:
        """Rejected rows, newest load first."""
        where, params = [], []
        if load_id:
            where.append("load_id = ?")
            params.append(load_id)
        if source_file:
            where.append("source_file LIKE ?")
            params.append(f"%{source_file}%")
        sql = (
            "SELECT load_id, source_file, source_row, target_table, column_name, reason, value, raw "
            "FROM quarantine"
            + (" WHERE " + " AND ".join(where) if where else "")
            + " ORDER BY quarantined_at DESC, source_file, source_row"
            + (f" LIMIT {int(limit)}" if limit else "")
        )
        rel = self._con.execute(sql, params)
        return [d[0] for d in rel.description], rel.fetchall()

    def export_quarantine(
        self, path: str | Path, *, load_id: str | None = None, source_file: str | None = None
    ) -> int:
        """Write rejected rows to CSV, XLSX or Parquet (by extension); returns the row count."""
        columns, rows = self.quarantine(load_id=load_id, source_file=source_file, limit=None)
        import pandas as pd

        from shopkeeper.store.exports import write_frame

        df = pd.DataFrame(rows, columns=columns)
        write_frame(df, path, sheet_name="quarantine")
        return len(df)


def open_waiting(path: str | Path, opener: Callable[[], duckdb.DuckDBPyConnection],
                 lock_timeout: float) -> duckdb.DuckDBPyConnection:
    """``opener()``, retried while another process holds the file at ``path``, for up to
    ``lock_timeout`` seconds; then :class:`WarehouseLockedError` naming that process."""
    deadline = time.monotonic() + lock_timeout
    pause = LOCK_RETRY_FIRST_S
    while True:
        try:
            return opener()
        except duckdb.IOException as exc:
            holder = _lock_holder(str(exc))
            if holder is None:
                raise WarehouseError(
                    f"cannot open warehouse {path}: {str(exc).splitlines()[0]}") from exc
            left = deadline - time.monotonic()
            if left <= 0:
                waited = f" (waited {lock_timeout:g} s)" if lock_timeout else ""
                raise WarehouseLockedError(
                    f"the warehouse {path} is in use by {holder}{waited}: try again "
                    "when it finishes, or raise the lock_timeout setting"
                ) from exc
            time.sleep(min(pause, left))
            pause = min(pause * 2, LOCK_RETRY_MAX_S)


def _engine_reason(exc: BaseException) -> str:
    """DuckDB's reason in one line, without its "TransactionContext Error: …" prefixes."""
    line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return re.sub(r"^(?:[A-Za-z ]+ Error: )?(?:Failed to commit: )?", "", line)


def _lock_holder(message: str) -> str | None:
    """Who holds the file, from DuckDB's lock error ("another shopkeeper process (PID 1234:
    shopkeeper chat)"); None when the error is not about a lock."""
    if "Could not set lock on file" not in message:
        return None
    found = _LOCK_HOLDER.search(message)
    pid = found and found["pid"]
    if not pid:
        return "another process"
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:  # not Linux, or already gone
        args = []
    for i, arg in enumerate(args):
        if "shopkeeper" in Path(arg).name:
            command = " ".join(["shopkeeper", *(a for a in args[i + 1:] if a)])
            return f"another shopkeeper process (PID {pid}: {command[:80]})"
    return f"another process (PID {pid}, {Path(found['program']).name})"
