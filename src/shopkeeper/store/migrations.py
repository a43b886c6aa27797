"""Schema migrations: registered functions, each applied with its own record in one transaction.

Add a migration by appending a decorated function with the next version number. Never edit one
that has shipped: warehouses in the field have already run it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from shopkeeper.errors import SchemaVersionError
from shopkeeper.store import schema


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[duckdb.DuckDBPyConnection], None]


MIGRATIONS: list[Migration] = []


def migration(version: int, name: str) -> Callable:
    def register(fn: Callable[[duckdb.DuckDBPyConnection], None]) -> Callable:
        if any(m.version == version for m in MIGRATIONS):
            raise ValueError(f"migration version {version} is registered twice")
        MIGRATIONS.append(Migration(version, name, fn))
        MIGRATIONS.sort(key=lambda m: m.version)
        return fn

    return register


@migration(1, "canonical schema, loads, load_files and quarantine")
def _initial(con: duckdb.DuckDBPyConnection) -> None:
    for table in schema.TABLES:  # as version 1 had them: later columns come with their migration
        con.execute(schema.create_table_sql(table, version=1))
    con.execute(
        """
        CREATE TABLE loads (
            load_id VARCHAR PRIMARY KEY, source VARCHAR, preset VARCHAR,
            rows_read BIGINT, rows_loaded BIGINT, rows_quarantined BIGINT,
            table_counts JSON, is_generated BOOLEAN DEFAULT false,
            started_at TIMESTAMPTZ, finished_at TIMESTAMPTZ, shopkeeper_version VARCHAR
        )"""
    )
    con.execute(
        """
        CREATE TABLE load_files (
            load_id VARCHAR, source_file VARCHAR, sha256 VARCHAR, mapping VARCHAR,
            mapping_sha256 VARCHAR, rows_read BIGINT, rows_loaded BIGINT, rows_quarantined BIGINT
        )"""
    )
    con.execute(
        """
        CREATE TABLE quarantine (
            load_id VARCHAR, source_file VARCHAR, source_row BIGINT, target_table VARCHAR,
            column_name VARCHAR, reason VARCHAR, raw JSON, quarantined_at TIMESTAMPTZ
        )"""
    )


@migration(2, "results tables: forecast runs, forecasts, backtest scores, model choices, plans")
def _results(con: duckdb.DuckDBPyConnection) -> None:
    for name in ("forecast_runs", "forecasts", "backtest_scores", "model_choices",
                 "replenishment_plans", "plan_lines"):
        con.execute(schema.create_result_table_sql(name))


@migration(3, "content studio: copy drafts and their history")
def _content(con: duckdb.DuckDBPyConnection) -> None:
    for name in ("content_drafts", "content_draft_history"):
        con.execute(schema.create_result_table_sql(name))


@migration(4, "review intelligence: sentiment, aspects and reply drafts")
def _reviews(con: duckdb.DuckDBPyConnection) -> None:
    for name in ("review_sentiment", "review_aspects", "review_replies"):
        con.execute(schema.create_result_table_sql(name))


@migration(5, "customer service: knowledge base, conversations, handoffs, return requests")
def _service(con: duckdb.DuckDBPyConnection) -> None:
    for name in ("kb_chunks", "service_conversations", "service_messages", "service_handoffs",
                 "return_requests"):
        con.execute(schema.create_result_table_sql(name))


@migration(6, "store settings (the time zone), rejected order headers, load notes")
def _store_settings(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "CREATE TABLE store_settings (key VARCHAR PRIMARY KEY, value VARCHAR, source VARCHAR, "
        "set_at TIMESTAMPTZ)"
    )
    con.execute(
        "CREATE TABLE rejected_orders (order_id VARCHAR, load_id VARCHAR, source_file VARCHAR, "
        "source_row BIGINT, reason VARCHAR)"
    )
    con.execute("ALTER TABLE loads ADD COLUMN notes JSON")


@migration(7, "workspace: users, API tokens, web sessions, setup secrets, audit log, jobs, "
               "idempotency keys")
def _workspace(con: duckdb.DuckDBPyConnection) -> None:
    for name in ("users", "api_tokens", "web_sessions", "setup_secrets", "audit_log", "jobs",
                 "idempotency_keys"):
        con.execute(schema.create_app_table_sql(name))


@migration(8, "replenishment review: plan line edits and approvals, a plan's excess stock")
def _plan_review(con: duckdb.DuckDBPyConnection) -> None:
    for name in ("plan_line_reviews", "plan_excess"):
        con.execute(schema.create_result_table_sql(name))


@migration(9, "finance: report schedules")
def _report_schedules(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(schema.create_app_table_sql("report_schedules"))


@migration(10, "the store's calendar: closed days, holidays, promotions")
def _store_calendar(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(schema.create_table_sql(schema.TABLES_BY_NAME["store_calendar"], version=10))


@migration(11, "fulfilment: shipments (carrier, tracking number, shipped, delivered, ETA)")
def _shipments(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(schema.create_table_sql(schema.TABLES_BY_NAME["shipments"], version=11))


@migration(12, "the shopping guide's conversation log")
def _guide_turns(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(schema.create_result_table_sql("guide_turns"))


@migration(13, "quarantine: the offending value in its own column, beside a stable reason")
def _quarantine_value(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("ALTER TABLE quarantine ADD COLUMN value VARCHAR")


@migration(14, "refunds: the buyer's country of a refund, where the export gives one")
def _refund_country(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("ALTER TABLE refunds ADD COLUMN country VARCHAR")


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    con.execute(
        "CREATE TABLE IF NOT EXISTS _migrations "
        "(version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMPTZ)"
    )
    row = con.execute("SELECT max(version) FROM _migrations").fetchone()
    return int(row[0] or 0)


def migrate(con: duckdb.DuckDBPyConnection) -> list[Migration]:
    """Apply every pending migration; returns those applied."""
    version = current_version(con)
    latest = MIGRATIONS[-1].version
    if version > latest:
        raise SchemaVersionError(
            f"this warehouse is at schema version {version} but this Shopkeeper knows only up to "
            f"{latest}; upgrade Shopkeeper (pip install -U shopkeeper)"
        )
    applied = []
    for m in MIGRATIONS:
        if m.version <= version:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            m.apply(con)
            con.execute(
                "INSERT INTO _migrations VALUES (?, ?, current_timestamp)", [m.version, m.name]
            )
            con.execute("COMMIT")
        except BaseException:
            # a failed COMMIT (a full disk) has ended the transaction already: rolling back
            # again would raise "no transaction is active" over the real reason
            with contextlib.suppress(duckdb.Error):
                con.execute("ROLLBACK")
            raise
        applied.append(m)
    return applied


def latest_version() -> int:
    return MIGRATIONS[-1].version
