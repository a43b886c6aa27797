"""Same answers on every engine: the store copied from DuckDB into a real PostgreSQL server must
give every metric by every dimension to the cent. A difference is a failure, never a tolerance.

The server is a private one that ``tests/postgres_server.py`` starts (Debian's PostgreSQL, which
``.ci/run`` installs), or the one ``SHOPKEEPER_TEST_POSTGRES`` names.
"""

from __future__ import annotations

import os

import pandas as pd
import pytest

from shopkeeper import metrics
from shopkeeper.errors import ReadOnlyQueryError, WarehouseError
from shopkeeper.metrics import DIMENSIONS, METRICS, Money
from shopkeeper.store import Warehouse
from shopkeeper.store.copy import copy_warehouse
from shopkeeper.store.postgres import PostgresWarehouse, redacted, to_postgres
from tests import postgres_server

SERVER_MISSING = postgres_server.unavailable_reason()
# CI installs PostgreSQL (.ci/run): there a missing server is an error, not a skip
needs_server = pytest.mark.skipif(SERVER_MISSING is not None and os.environ.get("CI") != "true",
                                  reason=f"no PostgreSQL server: {SERVER_MISSING}")


@pytest.fixture(scope="module")
def pg_server():
    with postgres_server.start() as server:
        yield server


@pytest.fixture
def pg_url(pg_server):
    url = pg_server.create_database()
    yield url
    pg_server.drop_database(url)


def _on_postgres(wh: Warehouse, url: str) -> PostgresWarehouse:
    target = Warehouse(url)
    copy_warehouse(wh, target)
    return target


def _is_ratio(column: str) -> bool:
    base = column.removesuffix("_change_pct").removesuffix("_prev").removesuffix("_change")
    return column.endswith("_change_pct") or (
        base in METRICS and METRICS[base].unit in ("ratio", "number"))


def assert_same(duck: pd.DataFrame, pg: pd.DataFrame, what: str) -> None:
    """Equal shape, equal labels, NaN where NaN, amounts and counts equal to the cent (less
    than half a cent apart) and ratios equal to nine significant digits."""
    assert list(duck.columns) == list(pg.columns), what
    assert len(duck) == len(pg), f"{what}: {len(duck)} rows on DuckDB, {len(pg)} on PostgreSQL"
    duck, pg = duck.reset_index(drop=True), pg.reset_index(drop=True)
    for column in duck.columns:
        a, b = duck[column], pg[column]
        if pd.api.types.is_numeric_dtype(a):
            a, b = a.astype(float), pd.to_numeric(b).astype(float)
            apart = (a - b).abs()
            close = apart <= 1e-9 * a.abs() if _is_ratio(column) else apart < 0.005
            differ = ~(close | (a.isna() & b.isna()))
        else:
            differ = a.astype(str) != b.astype(str)
        assert not differ.any(), (
            f"{what}, column {column}: DuckDB {a[differ].head(3).tolist()} against PostgreSQL "
            f"{b[differ].head(3).tolist()}")


# -- translation, no server needed ---------------------------------------------------------
@pytest.mark.parametrize("duckdb_sql, expected", [
    ("SELECT a, b, sum(c) FROM t GROUP BY ALL", "GROUP BY 1, 2"),
    ("SELECT sum(c) FROM t GROUP BY ALL", "SELECT SUM(c) FROM t"),
    ("SELECT * FROM o SEMI JOIN v USING (k)", "WHERE EXISTS(SELECT 1 FROM v WHERE v.k = o.k)"),
    ("SELECT * FROM o ANTI JOIN v ON v.k = o.k", "WHERE NOT EXISTS(SELECT 1 FROM v WHERE v.k = o.k)"),
    ("SELECT * FROM (SELECT 1 AS a)", "AS _q0"),
    ("SELECT any_value(x) FROM t", "(ARRAY_AGG(x) FILTER(WHERE x IS NOT NULL))[1]"),
    ("SELECT arg_max(id, at) FROM t", "(ARRAY_AGG(id ORDER BY at DESC) FILTER(WHERE at IS NOT NULL))[1]"),
    ("SELECT x FROM t WHERE y = ?", "WHERE y = %s"),
])
def test_duckdb_sql_is_translated_for_postgres(duckdb_sql, expected):
    assert expected in to_postgres(duckdb_sql)


def test_a_password_never_shows_in_messages():
    assert redacted("postgresql://ops:s3cret@db:5432/shop") == "postgresql://ops:***@db:5432/shop"


# -- a real server -------------------------------------------------------------------------
@needs_server
def test_a_new_database_is_migrated_and_reports_its_status(pg_url):
    with Warehouse(pg_url) as wh:
        assert isinstance(wh, PostgresWarehouse) and wh.engine == "postgresql"
        status = wh.status()
        from shopkeeper.store import migrations
        assert status.schema_version == migrations.latest_version()
        assert {t.name: t.rows for t in status.tables}["orders"] == 0
    with Warehouse(pg_url) as again:  # opening twice migrates nothing more
        assert again.status().schema_version == status.schema_version


@needs_server
@pytest.mark.parametrize("store", ["shop", "two_currency_shop"])
def test_every_metric_by_every_dimension_matches_duckdb_to_the_cent(store, pg_url, request):
    duck = request.getfixturevalue(store)
    with _on_postgres(duck, pg_url) as pg:
        for dim in [(), *((d,) for d in DIMENSIONS)]:
            a = metrics.query(duck, list(METRICS), by=dim)
            b = metrics.query(pg, list(METRICS), by=dim)
            assert_same(a.df, b.df, f"{store} by {dim or 'total'}")
            assert a.unavailable == b.unavailable


@needs_server
def test_conversions_filters_ranges_and_comparisons_match(two_currency_shop, pg_url):
    duck = two_currency_shop
    money = Money("EUR", {"USD": 0.9})
    cases = [
        dict(metrics=["net_revenue", "gross_profit", "refunds", "cogs"], by="month", money=money),
        dict(metrics=["gmv", "orders", "aov"], by="channel", money=Money("USD", {})),
        dict(metrics=["gmv", "units"], by="sku", filters={"channel": ["web"]}),
        dict(metrics=["net_revenue", "new_customers"], by="month", exclude={"country": ["DE"]},
             money=money),
        dict(metrics=["net_revenue", "orders"], by="month", start="2024-02-01",
             end="2024-03-31", compare="previous", money=money),
        dict(metrics=["gmv", "repeat_customers"], by="customer_type", compare="year",
             start="2024-03-01", end="2024-03-31", money=money),
    ]
    with _on_postgres(duck, pg_url) as pg:
        for case in cases:
            assert_same(metrics.query(duck, **case).df, metrics.query(pg, **case).df, str(case))


@needs_server
@pytest.mark.slow
def test_the_online_retail_store_matches_by_month_country_and_customer(tmp_path, pg_url):
    """Real data: 541,909 lines of the UCI Online Retail export, loaded as the demo loads it."""
    from shopkeeper.store import ingest
    from shopkeeper.store.demo import demo_data_files

    with Warehouse(tmp_path / "w.duckdb") as duck:
        ingest(duck, [demo_data_files()[0]], preset="uci_online_retail", default_currency="GBP")
        with _on_postgres(duck, pg_url) as pg:
            assert pg.timezone == duck.timezone
            for dim in [("month",), ("week",), ("country",), ("customer_type",),
                        ("customer_segment",), ("month", "country")]:
                a = metrics.query(duck, list(METRICS), by=dim)
                assert_same(a.df, metrics.query(pg, list(METRICS), by=dim).df, str(dim))
            assert [(t.name, t.rows, t.first, t.last) for t in duck.status().tables] == [
                (t.name, t.rows, t.first, t.last) for t in pg.status().tables]


@needs_server
def test_copy_is_all_or_nothing_and_only_into_an_empty_store(shop, pg_url):
    with _on_postgres(shop, pg_url) as pg:
        orders = pg.count("orders")
        assert orders == shop.count("orders") > 0
        with pytest.raises(WarehouseError, match="already holds rows"):
            copy_warehouse(shop, pg)
        assert pg.count("orders") == orders


@needs_server
def test_a_failed_transaction_leaves_nothing_written(shop, pg_url):
    with _on_postgres(shop, pg_url) as pg:
        before = pg.count("expenses")
        frame = shop.query_df("SELECT * FROM expenses LIMIT 2")
        with pytest.raises(RuntimeError), pg.transaction():
            pg.insert_df("expenses", frame)
            assert pg.count("expenses") == before + 2  # visible inside its transaction
            raise RuntimeError("interrupted")
        assert pg.count("expenses") == before


@needs_server
def test_user_sql_may_only_read(shop, pg_url):
    with _on_postgres(shop, pg_url) as pg:
        columns, rows = pg.read_only_query("SELECT count(*) AS n FROM orders")
        assert columns == ["n"] and rows == [(shop.count("orders"),)]
        for sql in ("DELETE FROM orders", "DROP TABLE orders", "SELECT 1; DELETE FROM orders"):
            with pytest.raises(ReadOnlyQueryError):
                pg.read_only_query(sql)
        with pytest.raises(WarehouseError):  # a function that writes, inside SELECT
            pg.read_only_query("SELECT nextval('no_such_sequence')")
        assert pg.count("orders") == shop.count("orders")


@needs_server
def test_an_unreachable_server_is_a_one_line_error(pg_server):
    url = pg_server.database_url("no_such_database")
    with pytest.raises(WarehouseError) as raised:
        Warehouse(url)
    message = str(raised.value)
    assert "\n" not in message and "no_such_database" in message


def test_copy_into_a_new_duckdb_file_keeps_every_row_and_amount(two_currency_shop, tmp_path):
    with Warehouse(tmp_path / "copy.duckdb") as copy:
        copied = copy_warehouse(two_currency_shop, copy)
        assert copied["orders"] == two_currency_shop.count("orders") > 0
        for dim in [(), ("currency",), ("sku",)]:
            assert_same(metrics.query(two_currency_shop, list(METRICS), by=dim).df,
                        metrics.query(copy, list(METRICS), by=dim).df, f"copy by {dim}")


@needs_server
def test_the_cli_copies_a_store_and_works_on_the_server(shop, pg_url, tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    exe = Path(sys.executable).with_name("shopkeeper")
    source = shop.path
    shop.close()  # the CLI opens the file itself
    env = {k: v for k, v in os.environ.items() if k != "SHOPKEEPER_CONFIG"}

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(exe), *args], capture_output=True, text=True, env=env,
                              cwd=tmp_path, timeout=300)

    copied = cli("-w", str(source), "copy-to", pg_url)
    assert copied.returncode == 0, copied.stderr
    assert "rows in" in copied.stdout
    status = cli("-w", pg_url, "status")
    assert status.returncode == 0 and "orders" in status.stdout, status.stderr
    answer = cli("-w", pg_url, "sql", "SELECT count(*) AS n FROM orders GROUP BY ALL", "--csv")
    with Warehouse(source, read_only=True) as again:
        assert answer.stdout.split() == ["n", str(again.count("orders"))]
    twice = cli("-w", str(source), "copy-to", pg_url)
    assert twice.returncode == 1 and "already holds rows" in twice.stderr
    assert "Traceback" not in twice.stderr and len(twice.stderr.strip().splitlines()) <= 3
