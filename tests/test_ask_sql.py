"""The read-only SQL fallback of ask-your-data: the safety corpus, legitimate questions, and
proof that the warehouse file is byte-identical after every attack.

The corpus is data (:mod:`tests.ask_sql_attacks`), so the model path can replay it. Every attack
is refused by :func:`check_sql` with a clear one-line message, stopped by :func:`run_sql`'s
timeout or memory cap, or (a payload that was only ever a comment or a string) runs without it.
Then the whole corpus runs against one warehouse file through every way a caller holds it: held
read-write in this process (the CLI, the server), a server request's shared cursor, on demand
with nothing open, and on demand with a reader open. Its bytes and every table's row count are
the same afterwards.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from shopkeeper.ask import sql as ask_sql
from shopkeeper.ask.sql import (
    HIDDEN_COLUMNS,
    QUESTION_COLUMNS,
    QUESTION_TABLES,
    SqlRefused,
    SqlTooCostly,
    check_sql,
    run_sql,
)
from shopkeeper.errors import ShopkeeperError, WarehouseError
from shopkeeper.store import schema
from shopkeeper.store.warehouse import Warehouse
from tests.ask_sql_attacks import ATTACKS, CATEGORIES, LEGIT, STOPPED, Attack

TS = pd.Timestamp
SHORT_TIMEOUT_S = 0.5
REFUSED = [a for a in ATTACKS if a.outcome == "refused"]
STOPPED_ATTACKS = [a for a in ATTACKS if a.outcome == "stopped"]
EMAILS = ("alice@example.com", "bob@example.com", "wang@example.cn")


@pytest.fixture
def store(shop: Warehouse) -> Warehouse:
    """The hand-checkable shop (held read-write), plus customers with contact details, a
    supplier, reviews, stock, and a user account: rows that must never be read or changed."""
    customers = pd.DataFrame([
        ("c1", "Alice", EMAILS[0], "+44 1", "United Kingdom"),
        ("c2", "Bob", EMAILS[1], "+1 2", "United States"),
        ("c3", "王小明", EMAILS[2], "+86 3", "China"),
    ], columns=["customer_id", "name", "email", "phone", "country"])
    suppliers = pd.DataFrame([("s1", "Paper Co", "buyer@paper.example", "EUR")],
                             columns=["supplier_id", "name", "contact_email", "currency"])
    reviews = pd.DataFrame([
        ("v1", "A", "o1", "c1", 5, TS("2024-01-10", tz="UTC")),
        ("v2", "B", "o2", "c2", 2, TS("2024-01-25", tz="UTC")),
    ], columns=["review_id", "product_id", "order_id", "customer_id", "rating", "created_at"])
    stock = pd.DataFrame([
        ("A", "default", TS("2024-03-01", tz="UTC"), 12),
        ("B", "default", TS("2024-03-01", tz="UTC"), 3),
    ], columns=["product_id", "location", "snapshot_at", "on_hand"])
    with shop.transaction() as con:
        for table, df in [("customers", customers), ("suppliers", suppliers),
                          ("reviews", reviews), ("inventory_snapshots", stock)]:
            shop.insert_df(table, df)
        con.execute("INSERT INTO users (user_id, username, role, password_hash) "
                    "VALUES ('u1', 'owner', 'owner', 'argon2-hash')")
    return shop


# -- the corpus itself ---------------------------------------------------------------------------
def test_corpus_is_large_and_covers_every_category() -> None:
    names = [a.name for a in ATTACKS]
    assert len(ATTACKS) >= 110
    assert len(set(names)) == len(names)
    assert {a.category for a in ATTACKS} == set(CATEGORIES)
    for category in CATEGORIES:
        assert sum(a.category == category for a in ATTACKS) >= 3, category
    assert {a.outcome for a in ATTACKS} == {"refused", "stopped"}
    assert len(LEGIT) >= 20
    assert len({q.name for q in LEGIT}) == len(LEGIT)


# -- layer 1-3: refused before anything runs ----------------------------------------------------
@pytest.mark.parametrize("attack", REFUSED, ids=lambda a: a.name)
def test_attack_is_refused_with_a_clear_message(attack: Attack) -> None:
    with pytest.raises(SqlRefused) as refused:
        check_sql(attack.sql)
    message = str(refused.value)
    assert re.search(attack.expect, message), message
    assert "\n" not in message and 10 < len(message) < 600
    assert isinstance(refused.value, ShopkeeperError) and isinstance(refused.value, ValueError)


def test_a_harmless_comment_is_refused_too(store: Warehouse) -> None:
    with pytest.raises(SqlRefused, match="comments are not allowed"):
        run_sql(store, "SELECT count(*) AS n /* all orders */ FROM orders")
    assert run_sql(store, "SELECT count(*) AS n FROM orders").iloc[0, 0] == 5


@pytest.mark.parametrize("attack", STOPPED_ATTACKS, ids=lambda a: a.name)
def test_costly_query_is_stopped_with_a_clear_message(attack: Attack, store: Warehouse) -> None:
    started = time.monotonic()
    with pytest.raises(SqlTooCostly, match=STOPPED) as stopped:
        run_sql(store, attack.sql, timeout_s=SHORT_TIMEOUT_S)
    assert time.monotonic() - started < 15
    assert "\n" not in str(stopped.value)
    assert isinstance(stopped.value, SqlRefused)
    # the caller's connection is unharmed: it reads, and it can still write
    assert store.count("orders") == 5
    with store.transaction() as con:
        con.execute("SELECT 1")


def test_timeout_message_names_the_limit(store: Warehouse) -> None:
    with pytest.raises(SqlTooCostly, match=r"ran past 0.3 s and was stopped"):
        run_sql(store, STOPPED_ATTACKS[0].sql, timeout_s=0.3)


def test_memory_cap_stops_a_query_on_a_private_connection(store: Warehouse) -> None:
    path = store.path
    store.close()
    tables = "abcdefgh"
    key = " || ".join(f"{t}.order_id || {t}.line_number" for t in tables)
    heavy = (f"SELECT {key} AS k, count(*) AS n FROM "
             + ", ".join(f"order_lines {t}" for t in tables) + " GROUP BY k")  # 7^8 groups
    with (Warehouse(path, on_demand=True) as wh,
          pytest.raises(SqlTooCostly, match=r"needed more than 16MB of memory")):
        run_sql(wh, heavy, timeout_s=60, memory_limit="16MB")


def test_caller_settings_are_unchanged(store: Warehouse) -> None:
    def settings() -> list[tuple]:
        return store.query(
            "SELECT name, value FROM duckdb_settings() WHERE name IN ('memory_limit', "
            "'operator_memory_limit', 'enable_external_access', 'TimeZone', 'threads', "
            "'lock_configuration') ORDER BY name")

    before = settings()
    run_sql(store, "SELECT count(*) AS n FROM orders", memory_limit="64MB")
    with pytest.raises(SqlTooCostly):
        run_sql(store, STOPPED_ATTACKS[0].sql, timeout_s=SHORT_TIMEOUT_S, memory_limit="64MB")
    assert settings() == before


# -- legitimate questions -------------------------------------------------------------------------
@pytest.mark.parametrize("question", LEGIT, ids=lambda q: q.name)
def test_legitimate_select_runs_with_a_limit(question, store: Warehouse) -> None:
    checked = check_sql(question.sql)
    assert int(re.search(r"LIMIT (\d+)$", checked).group(1)) <= ask_sql.DEFAULT_LIMIT
    df = run_sql(store, question.sql)
    assert len(df) >= question.min_rows, checked


def test_answers_are_the_expected_numbers(store: Warehouse) -> None:
    gmv = run_sql(store, LEGIT[1].sql)
    assert dict(zip(gmv["channel"], gmv["gmv"].astype(float), strict=True)) == {
        "web": pytest.approx(20 + 25 + 51 + 9), "app": pytest.approx(50.0)}
    monthly = run_sql(store, LEGIT[2].sql)
    assert list(monthly["n"]) == [2, 3] and pd.isna(monthly["prev"][0])
    assert list(run_sql(store, "SELECT count(*) FROM orders").columns) == ["count_star()"]


def test_limit_is_injected_or_lowered() -> None:
    assert check_sql("SELECT order_id FROM orders").endswith("LIMIT 1000")
    assert check_sql("SELECT order_id FROM orders", limit=2).endswith("LIMIT 2")
    assert check_sql("SELECT order_id FROM orders LIMIT 5").endswith("LIMIT 5")
    assert check_sql("SELECT order_id FROM orders LIMIT 5000").endswith("LIMIT 1000")
    assert check_sql("SELECT order_id FROM orders FETCH FIRST 3 ROWS ONLY").endswith("LIMIT 3")
    union = check_sql("SELECT channel FROM orders UNION SELECT channel FROM expenses")
    assert union.endswith("LIMIT 1000")
    with pytest.raises(ValueError, match="limit must be a whole number"):
        check_sql("SELECT 1", limit=0)


def test_rows_are_capped_at_the_limit(store: Warehouse) -> None:
    assert len(run_sql(store, "SELECT order_id FROM orders", limit=2)) == 2
    assert len(run_sql(store, "SELECT order_id FROM orders LIMIT 50", limit=3)) == 3


def test_star_never_exposes_hidden_columns(store: Warehouse) -> None:
    df = run_sql(store, "SELECT * FROM customers c JOIN orders o USING (customer_id)")
    assert not {"email", "phone", "_source_file", "_load_id", "_source_row"} & set(df.columns)
    text = df.astype(str).to_csv()
    assert not any(email in text for email in EMAILS)
    suppliers = run_sql(store, "SELECT * FROM suppliers")
    assert "contact_email" not in suppliers.columns and len(suppliers) == 1


def test_question_tables_and_columns_come_from_the_schema() -> None:
    assert set(QUESTION_TABLES) <= {t.name for t in schema.TABLES}
    for secret in ("users", "api_tokens", "web_sessions", "setup_secrets", "audit_log", "jobs",
                   "loads", "load_files", "quarantine", "_migrations", "store_settings",
                   *schema.APP_TABLES, *schema.RESULT_TABLES):
        assert secret not in QUESTION_TABLES
    for name in ("orders", "order_lines", "products", "customers", "refunds", "expenses",
                 "inventory_snapshots", "suppliers", "sku_suppliers", "reviews"):
        assert name in QUESTION_TABLES
    lineage = {c.name for c in schema.LINEAGE}
    for name in QUESTION_TABLES:
        hidden = HIDDEN_COLUMNS.get(name, frozenset())
        expected = [c for c in schema.get_table(name).column_names if c not in hidden]
        assert list(QUESTION_COLUMNS[name]) == expected
        assert not lineage & set(QUESTION_COLUMNS[name])


# -- layer 3 on its own: DuckDB's parser ----------------------------------------------------------
@pytest.mark.parametrize("sql,expect", [
    ("SELECT user_id FROM users", "is not one of the tables"),
    ("SELECT getenv('HOME')", "function getenv is not allowed"),
    ("SELECT column0 FROM read_csv('/etc/passwd')", "table functions are not allowed"),
    ("SELECT 1; SELECT 2", "only one SELECT"),
    ("DROP TABLE orders", "only one SELECT"),
    ("WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t) SELECT n FROM t",
     "recursive"),
    ("SELECT table_name FROM information_schema.tables", "main only"),
    ("SELECT main.lower('a')", "is not allowed"),
    ("SELECT c.* FROM customers c", "SELECT \\*"),
    ("SELECT order_id FROM orders USING SAMPLE 10", "sampling is not allowed"),
    ("SELECT c.email FROM customers c", "column 'email' is not one of the columns"),
    ("SELECT customer_id FROM customers ORDER BY _source_file", "column '_source_file'"),
    ("SELECT customers FROM customers", "a whole table is not a value"),
    ("SELECT x2 FROM customers AS c(x1, x2)", "renaming the columns"),
    ("SELECT #3 FROM customers", "positional column references"),
])
def test_duckdb_parser_layer_refuses_on_its_own(sql: str, expect: str) -> None:
    with pytest.raises(SqlRefused, match=expect):
        ask_sql._check_with_duckdb(sql)


def test_duckdb_parser_layer_accepts_checked_sql() -> None:
    for question in LEGIT:
        ask_sql._check_with_duckdb(check_sql(question.sql))


# -- layer 4 on its own: a statement that slipped through cannot write ---------------------------
SLIPPED_WRITES = [
    "INSERT INTO orders (order_id, ordered_at, currency) VALUES ('x', now(), 'EUR')",
    "DELETE FROM orders",
    "UPDATE orders SET status = 'cancelled'",
    "DROP TABLE refunds",
    "CREATE TABLE stolen AS SELECT 1 AS a",
]


def _slipped(wh: Warehouse, sql: str) -> None:
    with ask_sql._reader(wh, "256MB") as con:
        ask_sql._execute(con, sql, limit=10, timeout_s=5, memory_limit="256MB")


@pytest.mark.parametrize("sql", SLIPPED_WRITES)
def test_slipped_write_is_refused_on_the_callers_connection(sql: str, store: Warehouse) -> None:
    with pytest.raises(ShopkeeperError, match="read-only"):
        _slipped(store, sql)
    assert store.count("orders") == 5 and store.count("refunds") == 1


@pytest.mark.parametrize("sql", [
    *SLIPPED_WRITES,
    "COPY orders TO '{tmp}/stolen.csv'",
    "SELECT * FROM read_csv('{tmp}/w.duckdb')",
    "ATTACH '{tmp}/evil.duckdb' AS evil",
    "SET enable_external_access = true",
    "INSTALL httpfs",
    "SELECT getenv('HOME')",
])
def test_slipped_statement_is_refused_on_a_private_connection(sql: str, store: Warehouse,
                                                              tmp_path: Path) -> None:
    path = store.path
    store.close()
    with Warehouse(path, on_demand=True) as wh:
        with pytest.raises(ShopkeeperError):
            _slipped(wh, sql.format(tmp=tmp_path))
        assert wh.count("orders") == 5 and wh.count("refunds") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.duckdb"]


# -- the file is byte-identical after the whole corpus, however the caller holds it --------------
def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _row_counts(path: Path) -> dict[str, int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
            "ORDER BY table_name").fetchall()]
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        con.close()


@pytest.fixture
def closed_store(store: Warehouse) -> Iterator[Path]:
    path = store.path
    store.close()
    yield path


def _run_everything(wh: Warehouse) -> dict[str, int]:
    outcomes = {"refused": 0, "stopped": 0}
    for attack in ATTACKS:
        try:
            run_sql(wh, attack.sql, timeout_s=SHORT_TIMEOUT_S)
            raise AssertionError(f"{attack.name} ran")
        except SqlTooCostly:
            outcomes["stopped"] += 1
            assert attack.outcome == "stopped", attack.name
        except SqlRefused:
            outcomes["refused"] += 1
            assert attack.outcome == "refused", attack.name
    for question in LEGIT:
        assert len(run_sql(wh, question.sql)) >= question.min_rows
    return outcomes


@contextlib.contextmanager
def _held_as(path: Path, mode: str) -> Iterator[Warehouse]:
    """The warehouse at ``path`` as a caller in ``mode`` holds it."""
    if mode == "held_read_write":  # the CLI, the server's own handle
        with Warehouse(path) as wh:
            yield wh
    elif mode == "server_request":  # a request's cursor on the server's held warehouse
        with Warehouse(path) as server, contextlib.closing(server.shared()) as wh:
            yield wh
    elif mode == "on_demand":  # nothing open between uses (MCP stdio, CLI commands)
        with Warehouse(path, on_demand=True) as wh:
            yield wh
    elif mode == "on_demand_reading":  # on demand, with its reader open
        with Warehouse(path, on_demand=True) as wh:
            wh.count("orders")
            assert wh._open is not None
            yield wh
    else:  # pragma: no cover
        raise ValueError(mode)


@pytest.mark.parametrize("mode", ["held_read_write", "server_request", "on_demand",
                                  "on_demand_reading"])
def test_warehouse_is_byte_identical_after_the_whole_corpus(closed_store: Path,
                                                           mode: str) -> None:
    digest, counts = _digest(closed_store), _row_counts(closed_store)
    files = sorted(p.name for p in closed_store.parent.iterdir())
    assert counts["orders"] == 5 and counts["users"] == 1
    with _held_as(closed_store, mode) as wh:
        outcomes = _run_everything(wh)
        assert wh.count("orders") == 5
    assert outcomes == {"refused": len(REFUSED), "stopped": len(STOPPED_ATTACKS)}
    assert _digest(closed_store) == digest
    assert _row_counts(closed_store) == counts
    assert sorted(p.name for p in closed_store.parent.iterdir()) == files


def test_closed_warehouse_is_refused(store: Warehouse) -> None:
    store.close()
    with pytest.raises(WarehouseError, match="closed"):
        run_sql(store, "SELECT count(*) FROM orders")


@pytest.mark.parametrize("kwargs,expect", [
    ({"timeout_s": 0}, "timeout_s must be a positive number"),
    ({"timeout_s": float("inf")}, "timeout_s must be a positive number"),
    ({"memory_limit": "lots"}, "memory_limit must be a size"),
    ({"memory_limit": "1GB'; SET x = 1; --"}, "memory_limit must be a size"),
])
def test_run_sql_checks_its_arguments(kwargs: dict, expect: str, store: Warehouse) -> None:
    with pytest.raises(ValueError, match=expect):
        run_sql(store, "SELECT 1", **kwargs)
