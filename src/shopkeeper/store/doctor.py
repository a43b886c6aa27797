"""``shopkeeper doctor``: check that a warehouse is whole, without changing it.

Run after a crash, a restore or a copy between machines. It opens the file read-only (so an
older schema is reported, not migrated) and checks, in order:

- **storage**: every table reads to its last row (DuckDB verifies each block's checksum as it
  reads it), giving the row counts the other checks use;
- **schema version**: the migration records run 1, 2, … without a gap, and no newer than this
  Shopkeeper knows;
- **schema**: every table and column the schema version promises exists with its type;
- **load records**: each file's rows read = loaded + quarantined, each load's totals are the
  sum of its files, and no table holds more rows of a load than the load wrote (a later load
  may replace rows, never add them to an earlier one);
- **orphan rows**: no canonical or quarantined row names a load that is not recorded, and no
  result row (forecast, plan line, draft history, message …) names a parent that is gone.

Each check ends ``ok``, ``warn`` (worth knowing, not damage: an older schema) or ``fail``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from shopkeeper.store import migrations, schema
from shopkeeper.store.warehouse import Warehouse

# child table, its column, the parent table, the parent's key: a child row needs its parent
RESULT_PARENTS: tuple[tuple[str, str, str, str], ...] = (
    ("forecasts", "run_id", "forecast_runs", "run_id"),
    ("backtest_scores", "run_id", "forecast_runs", "run_id"),
    ("model_choices", "run_id", "forecast_runs", "run_id"),
    ("plan_lines", "plan_id", "replenishment_plans", "plan_id"),
    ("plan_line_reviews", "plan_id", "replenishment_plans", "plan_id"),
    ("plan_excess", "plan_id", "replenishment_plans", "plan_id"),
    ("content_draft_history", "draft_id", "content_drafts", "draft_id"),
    ("service_messages", "conversation_id", "service_conversations", "conversation_id"),
    ("api_tokens", "user_id", "users", "user_id"),
    ("web_sessions", "user_id", "users", "user_id"),
)
# how many offending examples a finding names
_EXAMPLES = 3


@dataclass(frozen=True)
class Finding:
    check: str
    level: str  # "ok", "warn" or "fail"
    detail: str


@dataclass
class DoctorReport:
    path: str
    schema_version: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        """No check failed (warnings allowed)."""
        return all(f.level != "fail" for f in self.findings)

    def to_dict(self) -> dict:
        return {"path": self.path, "healthy": self.healthy,
                "schema_version": self.schema_version, "rows": self.rows,
                "findings": [f.__dict__ for f in self.findings]}


def check_warehouse(path: str | Path, *, lock_timeout: float = 0.0) -> DoctorReport:
    """Check the DuckDB warehouse at ``path`` read-only; see the module docstring."""
    report = DoctorReport(str(path))
    with Warehouse(path, read_only=True, lock_timeout=lock_timeout) as wh:
        con = wh.connection
        checks: tuple[tuple[str, Callable[[duckdb.DuckDBPyConnection, DoctorReport], Finding]],
                      ...] = (
            ("storage", _storage), ("schema version", _schema_version), ("schema", _schema),
            ("load records", _load_records), ("orphan rows", _orphans),
        )
        for name, check in checks:
            try:
                report.findings.append(check(con, report))
            except duckdb.Error as exc:
                report.findings.append(Finding(name, "fail", str(exc).splitlines()[0]))
    return report


def _tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' "
        "AND database_name = current_database() ORDER BY 1").fetchall()]


def _storage(con: duckdb.DuckDBPyConnection, report: DoctorReport) -> Finding:
    unreadable = []
    for table in _tables(con):
        try:
            # hashing whole rows reads every column of every block
            n, _ = con.execute(f'SELECT count(*), sum(hash(t)) FROM "{table}" t').fetchone()
            report.rows[table] = int(n)
        except duckdb.Error as exc:
            unreadable.append(f"{table}: {str(exc).splitlines()[0]}")
    if unreadable:
        return Finding("storage", "fail", "cannot read " + "; ".join(unreadable[:_EXAMPLES]))
    return Finding("storage", "ok", f"{len(report.rows)} tables, "
                   f"{sum(report.rows.values()):,} rows read in full")


def _schema_version(con: duckdb.DuckDBPyConnection, report: DoctorReport) -> Finding:
    if "_migrations" not in report.rows:
        return Finding("schema version", "fail", "no migration records (_migrations is missing)")
    versions = [r[0] for r in con.execute(
        "SELECT version FROM _migrations ORDER BY version").fetchall()]
    report.schema_version = max(versions, default=0)
    latest = migrations.latest_version()
    if report.schema_version > latest:
        return Finding("schema version", "fail",
                       f"version {report.schema_version} is newer than this Shopkeeper "
                       f"({latest}): upgrade Shopkeeper")
    if versions != list(range(1, report.schema_version + 1)):
        missing = sorted(set(range(1, report.schema_version + 1)) - set(versions))
        return Finding("schema version", "fail",
                       f"the migration records skip versions {missing[:_EXAMPLES]}")
    if report.schema_version < latest:
        return Finding("schema version", "warn",
                       f"version {report.schema_version} of {latest}: migrates the next time "
                       "a command writes to it")
    return Finding("schema version", "ok", f"version {latest}, the latest")


def expected_columns(version: int) -> dict[str, dict[str, str]]:
    """Table → column → type, as the migrations up to ``version`` create them."""
    ref = duckdb.connect()
    try:
        for m in migrations.MIGRATIONS:
            if m.version <= version:
                m.apply(ref)
        return _columns(ref)
    finally:
        ref.close()


def _columns(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for table, column, kind in con.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'main' AND table_catalog = current_database() "
            "ORDER BY table_name, ordinal_position").fetchall():
        out.setdefault(table, {})[column] = kind
    return out


def _schema(con: duckdb.DuckDBPyConnection, report: DoctorReport) -> Finding:
    expected = expected_columns(min(report.schema_version, migrations.latest_version()))
    actual = _columns(con)
    problems = []
    for table, columns in expected.items():
        if table not in actual:
            problems.append(f"table {table} is missing")
            continue
        for column, kind in columns.items():
            got = actual[table].get(column)
            if got is None:
                problems.append(f"{table}.{column} is missing")
            elif got != kind:
                problems.append(f"{table}.{column} is {got}, expected {kind}")
    if problems:
        return Finding("schema", "fail", f"{len(problems)} problems: "
                       + "; ".join(problems[:_EXAMPLES]))
    extra = sorted(set(actual) - set(expected) - {"_migrations"})
    if extra:
        return Finding("schema", "warn", f"{len(expected)} tables as expected; tables this "
                       f"schema does not know: {', '.join(extra[:_EXAMPLES])}")
    return Finding("schema", "ok", f"{len(expected)} tables with the expected columns")


def _canonical(report: DoctorReport) -> list[str]:
    return [t.name for t in schema.TABLES if t.name in report.rows]


def _load_records(con: duckdb.DuckDBPyConnection, report: DoctorReport) -> Finding:
    if "loads" not in report.rows:
        return Finding("load records", "fail", "the loads table is missing")
    problems = [
        f"file {f} of load {load}: read {read:,} ≠ loaded {loaded:,} + quarantined {quar:,}"
        for load, f, read, loaded, quar in con.execute(
            "SELECT load_id, source_file, rows_read, rows_loaded, rows_quarantined "
            "FROM load_files WHERE rows_read IS DISTINCT FROM rows_loaded + rows_quarantined"
        ).fetchall()]
    problems += [
        f"load {load}: its totals ({a}) are not the sum of its files ({b})"
        for load, a, b in con.execute(
            """SELECT l.load_id, [l.rows_read, l.rows_loaded, l.rows_quarantined]::VARCHAR,
                      [f.r, f.l, f.q]::VARCHAR
               FROM loads l JOIN (SELECT load_id, sum(rows_read) r, sum(rows_loaded) l,
                                         sum(rows_quarantined) q
                                  FROM load_files GROUP BY 1) f USING (load_id)
               WHERE [l.rows_read, l.rows_loaded, l.rows_quarantined] <> [f.r, f.l, f.q]"""
        ).fetchall()]
    written: dict[tuple[str, str], int] = {}
    for load, counts in con.execute("SELECT load_id, table_counts FROM loads").fetchall():
        for table, n in json.loads(counts or "{}").items():
            written[(load, table)] = int(n)
    for table in _canonical(report):
        for load, n in con.execute(
                f'SELECT _load_id, count(*) FROM "{table}" WHERE _load_id IS NOT NULL '
                "GROUP BY 1").fetchall():
            wrote = written.get((load, table))
            if wrote is not None and n > wrote:
                problems.append(f"{table} holds {n:,} rows of load {load}, which wrote {wrote:,}")
    if problems:
        return Finding("load records", "fail", f"{len(problems)} problems: "
                       + "; ".join(problems[:_EXAMPLES]))
    return Finding("load records", "ok", f"{report.rows.get('loads', 0):,} loads add up")


def _orphans(con: duckdb.DuckDBPyConnection, report: DoctorReport) -> Finding:
    problems = []
    for table in _canonical(report):
        n, example = con.execute(
            f'SELECT count(*), any_value(_load_id) FROM "{table}" t WHERE _load_id IS NOT NULL '
            "AND NOT EXISTS (SELECT 1 FROM loads l WHERE l.load_id = t._load_id)").fetchone()
        if n:
            problems.append(f"{n:,} {table} rows of load {example}, which is not recorded")
    for table, column in (("quarantine", "load_id"), ("rejected_orders", "load_id"),
                          ("load_files", "load_id")):
        if table in report.rows:
            n, example = con.execute(
                f"SELECT count(*), any_value({column}) FROM {table} t WHERE NOT EXISTS "
                f"(SELECT 1 FROM loads l WHERE l.load_id = t.{column})").fetchone()
            if n:
                problems.append(f"{n:,} {table} rows of load {example}, which is not recorded")
    for child, column, parent, key in RESULT_PARENTS:
        if child in report.rows and parent in report.rows:
            n, example = con.execute(
                f"SELECT count(*), any_value({column}) FROM {child} c WHERE {column} IS NOT NULL "
                f"AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.{key} = c.{column})"
            ).fetchone()
            if n:
                problems.append(f"{n:,} {child} rows of {parent} {example}, which is gone")
    if problems:
        return Finding("orphan rows", "fail", f"{len(problems)} problems: "
                       + "; ".join(problems[:_EXAMPLES]))
    return Finding("orphan rows", "ok", "every row's load and parent exist")
