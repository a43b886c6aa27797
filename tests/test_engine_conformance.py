"""Same answers on every engine: the store copied from DuckDB into a real PostgreSQL server must
give every metric by every dimension to the cent. A difference is a failure, never a tolerance.

The server is a private one that ``tests/postgres_server.py`` starts (Debian's PostgreSQL, which
``.ci/run`` installs), or the one ``SHOPKEEPER_TEST_POSTGRES`` names.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

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
    ("SELECT mode(c) FROM t", "MODE() WITHIN GROUP (ORDER BY c)"),
    ("SELECT count(*) AS p, sum(x) AS n FROM t GROUP BY k ORDER BY p + n DESC",
     "ORDER BY (COUNT(*)) + (SUM(x)) DESC"),
    ("SELECT coalesce(x, 0) AS x FROM t ORDER BY x + 1", "ORDER BY x + 1"),
    ("SELECT a AS b FROM t ORDER BY b", "ORDER BY b"),
    ("SELECT list(e ORDER BY c)[1:3] FROM t", "(ARRAY_AGG(e ORDER BY c))[1:3]"),
    ("SELECT CAST(unnest(generate_series(a, b, INTERVAL 1 DAY)) AS DATE) FROM t",
     "GENERATE_SERIES(CAST(a AS TIMESTAMP), CAST(b AS TIMESTAMP), INTERVAL '1 DAY')"),
    ("SELECT hash(p) % ? FROM t", "ABS(HASHTEXTEXTENDED(CAST(p AS TEXT), 0)) % %s"),
    ("SELECT x FROM t WHERE y IN (SELECT unnest(?))", "WHERE y = ANY(%s)"),
    ("SELECT x FROM t WHERE y NOT IN (SELECT unnest(?))", "WHERE NOT y = ANY(%s)"),
    ("SELECT ?, unnest(?), 'approved'", "UNNEST(%b)"),
    ("SELECT x FROM t WHERE y LIKE 'a%' AND z = ?", "LIKE 'a%%'"),
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
            # the monthly finance report: its narrative word for word, every fact and table
            from shopkeeper import finance
            from shopkeeper.finance.report import report_tables

            (a,), (b,) = (finance.build_reports(wh, "month") for wh in (duck, pg))
            assert a.narrative.text == b.narrative.text
            assert {k: _value(f.value) for k, f in a.facts.items()} == {
                k: _value(f.value) for k, f in b.facts.items()}
            tables_a, tables_b = report_tables(a), report_tables(b)
            assert tables_a.keys() == tables_b.keys()
            for name, frame in tables_a.items():
                other = tables_b[name]
                if name == "about":  # when each was generated differs, nothing else may
                    frame, other = (t[t["item"] != "generated at"] for t in (frame, other))
                assert_same(frame, other, f"report table {name}")


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


# -- ingestion: read and checked by DuckDB, written to the server -------------------------
DATA = Path(__file__).parent / "data"
INGEST_CASES = {
    "a Shopify re-download, then the same bytes, then forced": [
        ("orders_export_duplicated.csv", "shopify_orders", False),
        ("orders_export_duplicated.csv", "shopify_orders", False),
        ("orders_export_duplicated.csv", "shopify_orders", True)],
    "a rejected header takes its lines, loaded again by force": [
        ("orders_export_rejected_header.csv", "shopify_orders", False),
        ("orders_export_rejected_header.csv", "shopify_orders", True)],
    "Taobao in GBK at China time": [("taobao_closed_refunded.csv", "taobao_orders", False)],
    "impossible dates": [("online_retail_dates.csv", "uci_online_retail", False)],
    "Olist: a rejected order's items and payments": [("olist", "olist", False)],
    "a +0800 store, then a second export": [
        ("orders_export_0800.csv", "shopify_orders", False),
        ("orders_export_money.csv", "shopify_orders", False)],
}
# what differs between any two loads of the same files: the load's id and the clock
_VOLATILE = {"_load_id", "load_id", "quarantined_at", "started_at", "finished_at", "set_at"}


def _value(v):
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, int | float) or type(v).__name__ == "Decimal":
        return round(float(v), 4)
    if hasattr(v, "isoformat"):
        stamp = pd.Timestamp(v)
        return (stamp.tz_convert("UTC") if stamp.tzinfo else stamp).isoformat()
    return re.sub(r"\bL[0-9a-f]{12}\b", "L<load id>", str(v))  # ids are random per load


def contents(wh: Warehouse) -> dict[str, list[tuple]]:
    """Every row of the loaded tables and the load records, without ids and clock times,
    sorted: what two engines given the same files must both hold."""
    from shopkeeper.store.postgres import _SHADOW_TABLES

    out = {}
    for table in (*_SHADOW_TABLES, "loads"):
        frame = wh.query_df(f'SELECT * FROM "{table}"')
        frame = frame[[c for c in frame.columns if c not in _VOLATILE]]
        out[table] = sorted((tuple(_value(v) for v in row)
                             for row in frame.itertuples(index=False)), key=repr)
    return out


@needs_server
@pytest.mark.parametrize("case", INGEST_CASES)
def test_the_same_loads_leave_the_same_store_on_both_engines(case, pg_url, tmp_path):
    from shopkeeper.store import ingest

    with Warehouse(tmp_path / "w.duckdb") as duck, Warehouse(pg_url) as pg:
        assert isinstance(pg, PostgresWarehouse)
        for name, preset, force in INGEST_CASES[case]:
            path = DATA / name
            a = ingest(duck, [path], preset=preset, force=force, default_currency="EUR")
            b = ingest(pg, [path], preset=preset, force=force, default_currency="EUR")
            assert (a.load_id is None) == (b.load_id is None), name
            assert [(f.rows_read, f.rows_loaded, f.rows_quarantined, f.duplicates, f.orphans,
                     f.table_rows, f.skipped is None) for f in a.files] == [
                (f.rows_read, f.rows_loaded, f.rows_quarantined, f.duplicates, f.orphans,
                 f.table_rows, f.skipped is None) for f in b.files], name
        assert pg.timezone == duck.timezone
        expected, got = contents(duck), contents(pg)
        for table in expected:
            assert got[table] == expected[table], f"{case}: table {table}"
        for dim in [(), ("month",), ("channel",)]:
            assert_same(metrics.query(duck, list(METRICS), by=dim).df,
                        metrics.query(pg, list(METRICS), by=dim).df, f"{case} by {dim}")


@needs_server
def test_lines_replaced_by_a_later_export_are_replaced_on_the_server(pg_url, tmp_path):
    """The second export restates one order's lines: the server ends with the DuckDB answer."""
    from shopkeeper.store import ingest

    first, second = tmp_path / "a" / "order_lines.csv", tmp_path / "b" / "order_lines.csv"
    first.parent.mkdir()
    second.parent.mkdir()
    first.write_text("order_id,line_number,product_id,quantity,unit_price,currency\n"
                     "A1,1,TEE,2,20.00,USD\nA1,2,MUG,1,12.00,USD\nA2,1,CAP,1,9.50,USD\n")
    second.write_text("order_id,line_number,product_id,quantity,unit_price,currency\n"
                      "A1,10,TEE,2,20.00,USD\nA1,20,MUG,1,12.00,USD\nA1,30,CAP,1,15.00,USD\n"
                      "A2,1,CAP,3,9.50,USD\n")
    with Warehouse(tmp_path / "w.duckdb") as duck, Warehouse(pg_url) as pg:
        for wh in (duck, pg):
            ingest(wh, [first], preset="canonical_order_lines")
            ingest(wh, [second], preset="canonical_order_lines")
        query = "SELECT order_id, line_number, product_id, quantity FROM order_lines ORDER BY 1, 2"
        assert pg.query(query) == duck.query(query)
        assert contents(pg) == contents(duck)


@needs_server
def test_a_load_that_fails_leaves_the_server_as_it_was(pg_url, monkeypatch):
    from shopkeeper.store import ingest
    from shopkeeper.store.ingest.loader import FAULT_ENV

    with Warehouse(pg_url) as pg:
        ingest(pg, [DATA / "orders_export_0800.csv"], preset="shopify_orders")
        before = contents(pg)
        monkeypatch.setenv(FAULT_ENV, "error-after-insert")
        with pytest.raises(RuntimeError, match="injected fault"):
            ingest(pg, [DATA / "orders_export_money.csv"], preset="shopify_orders")
        monkeypatch.delenv(FAULT_ENV)
        assert contents(pg) == before
        with pytest.raises(Exception) as raised:  # a file no preset reads: one line, no trace
            ingest(pg, [DATA / "README.md"])
        assert "\n" not in str(raised.value)
        assert contents(pg) == before


@needs_server
def test_concurrent_loads_and_readers_on_one_server_lose_nothing(pg_url, tmp_path):
    """Four processes' worth of writers (threads, each with its own connection) load disjoint
    files while readers query: every row lands once, every reader sees a whole load or none."""
    import threading

    from shopkeeper.store import ingest

    files = []
    for w in range(4):
        path = tmp_path / f"w{w}" / "order_lines.csv"
        path.parent.mkdir()
        path.write_text("order_id,line_number,product_id,quantity,unit_price,currency\n" + "".join(
            f"W{w}-{i},1,SKU{i % 7},1,{1 + i % 5}.00,USD\n" for i in range(200)))
        files.append(path)
    Warehouse(pg_url).close()  # migrated once
    errors, seen = [], []

    def writer(path):
        try:
            with Warehouse(pg_url) as wh:
                ingest(wh, [path], preset="canonical_order_lines")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def reader():
        try:
            with Warehouse(pg_url, read_only=True) as wh:
                for _ in range(10):
                    seen.append(wh.count("order_lines"))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(f,)) for f in files]
    threads += [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    with Warehouse(pg_url) as wh:
        assert wh.count("order_lines") == 800
        assert wh.query("SELECT count(*), sum(rows_loaded) FROM loads")[0] == (4, 800)
    assert all(n % 200 == 0 for n in seen)


# -- forecasts and plans -------------------------------------------------------------------
def _stored(wh: Warehouse, table: str, drop: set[str]) -> list[tuple]:
    frame = wh.query_df(f'SELECT * FROM "{table}"')
    frame = frame[[c for c in frame.columns if c not in drop]]
    return sorted((tuple(_value(v) for v in row) for row in frame.itertuples(index=False)),
                  key=repr)


@needs_server
@pytest.mark.parametrize("freq", ["D", "W"])
def test_forecasts_and_the_plan_are_the_same_on_both_engines(freq, pg_url, tmp_path):
    """A deterministic forecast to 1e-6 and the replenishment plan exactly, run and stored on
    each engine from the same store (fast, packed, MOQ, overstocked, dead and new SKUs)."""
    import numpy as np

    from shopkeeper import forecast, inventory
    from tests.forecast_fixtures import demand_store
    from tests.test_plan import DAYS, _stock, _supplier

    rng = np.random.default_rng(3)
    days = DAYS * 3 if freq == "W" else DAYS
    series = {"FAST": rng.poisson(20, days).astype(float),
              "PACKS": rng.poisson(5, days).astype(float),
              "MOQ": rng.poisson(1, days).astype(float),
              "FULL": rng.poisson(2, days).astype(float),
              "DEAD": np.concatenate([[30.0], np.zeros(days - 1)]),
              "NEW": np.concatenate([np.zeros(days - 3), [500.0, 0.0, 20.0]])}
    with Warehouse(tmp_path / "w.duckdb") as duck:
        demand_store(duck, series,
                     suppliers=[_supplier("FAST", 10), _supplier("PACKS", 5, pack=12),
                                _supplier("MOQ", 3, moq=100), _supplier("FULL", 5),
                                _supplier("DEAD", 5), _supplier("NEW", 5),
                                {**_supplier("FAST", 2, cost=3.0), "supplier_id": "S-ALT",
                                 "is_primary": False}],
                     stock=[_stock("FAST", 50), _stock("PACKS", 0), _stock("MOQ", 0),
                            _stock("FULL", 500), _stock("DEAD", 40), _stock("NEW", 0)])
        with _on_postgres(duck, pg_url) as pg:
            runs = [forecast.forecast_demand(wh, freq=freq, horizon=8 if freq == "W" else 28)
                    for wh in (duck, pg)]
            keys = ["unique_id", "ds"]
            a, b = (r.forecasts.sort_values(keys).reset_index(drop=True) for r in runs)
            assert a[keys].astype(str).equals(b[keys].astype(str))
            assert (a["model"] == b["model"]).all()
            for column in ("yhat", "lo_80", "hi_80", "lo_95", "hi_95"):
                assert np.allclose(a[column], b[column], rtol=0, atol=1e-6), column
            volatile = {"run_id", "created_at", "plan_id", "finished_at", "started_at"}
            for table in ("forecasts", "model_choices", "backtest_scores"):
                assert _stored(duck, table, volatile) == _stored(pg, table, volatile), table
            if freq == "D":
                plans = [inventory.make_plan(wh).lines.sort_values("product_id") for wh in
                         (duck, pg)]
                pd.testing.assert_frame_equal(plans[0].reset_index(drop=True),
                                              plans[1].reset_index(drop=True))
                assert plans[0].set_index("product_id").loc["FAST", "supplier_id"] == "S-FAST"
                assert _stored(duck, "plan_lines", volatile) == _stored(pg, "plan_lines",
                                                                        volatile)


# -- the faces on a server ---------------------------------------------------------------
WEB_PAGES = ["/", "/metrics", "/finance", "/stock", "/reviews", "/content", "/service",
             "/customers", "/customers/guide", "/data", "/settings", "/chat"]


@needs_server
def test_the_workspace_and_every_api_read_serve_from_postgres(shop, pg_url):
    """Signed in through the API (a session and an audit row written to the server), every GET
    of the REST API without required parameters and every web page answers without a server
    error."""
    from tests.server_fixtures import api_reads, make_workspace, serve, sign_in

    with _on_postgres(shop, pg_url):
        pass
    ws = make_workspace(pg_url)
    with serve(ws) as client:
        sign_in(client, "owner")
        fill = {"customer_id": "c1", "sku": "P1", "product_id": "P1"}
        paths = api_reads(client, fill)
        for path in paths:
            answer = client.get(path)
            assert answer.status_code < 500, f"{path}: {answer.text[:300]}"
        assert len(paths) >= 30
        for page in WEB_PAGES:
            answer = client.get(page)
            assert answer.status_code == 200, f"{page}: {answer.status_code}"
    with Warehouse(pg_url) as pg:
        assert pg.query("SELECT count(*) FROM web_sessions")[0][0] >= 1
