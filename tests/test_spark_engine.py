"""Same answers on Spark: the store read by Spark SQL (local[2]) gives every metric by every
dimension to the cent, the same demand series, the same forecasts (to 1e-6, the same models)
and exactly the same plan as DuckDB. A difference is a failure, never a tolerance.

Spark needs pyspark (the ``[spark]`` extra, which ``make test`` installs) and Java 17 (which
``.ci/run`` installs); without them the tests skip, except in CI, where that is an error.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shopkeeper import forecast, inventory, metrics
from shopkeeper.errors import WarehouseError
from shopkeeper.metrics import DIMENSIONS, METRICS, Money
from shopkeeper.store import Warehouse
from tests.test_engine_conformance import assert_same


def _missing() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install 'shopkeeper[spark]')"
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        return "no Java on the PATH (Debian's openjdk-17-jre-headless)"
    return None


MISSING = _missing()
# CI installs Java and the extra (.ci/run, the Makefile): there a missing one is an error
pytestmark = pytest.mark.skipif(MISSING is not None and os.environ.get("CI") != "true",
                                reason=f"no Spark: {MISSING}")


@pytest.fixture(scope="module")
def spark():
    from shopkeeper.store.spark import spark_session

    return spark_session("local[2]")


@pytest.fixture
def on_spark(spark):
    """Open a warehouse (or a folder of tables) on Spark; closed after the test."""
    from shopkeeper.store.spark import SparkWarehouse

    opened = []

    def open_(source, **kwargs):
        opened.append(SparkWarehouse(source, spark=spark, **kwargs))
        return opened[-1]

    yield open_
    for wh in opened:
        wh.close()


# -- translation -----------------------------------------------------------------------------
@pytest.mark.parametrize("duckdb_sql, expected", [
    ("SELECT list(x ORDER BY d) AS p FROM t GROUP BY k",
     "SORT_ARRAY(COLLECT_LIST(STRUCT(d AS k, x AS v))).v"),
    ("SELECT list(x ORDER BY d DESC) AS p FROM t GROUP BY k", "FALSE).v"),
    ("SELECT count(DISTINCT (a, b)) FROM t", "COUNT(DISTINCT STRUCT(a AS a, b AS b))"),
    ("SELECT x FROM t WHERE y IN (SELECT unnest(?))", "ARRAY_CONTAINS(ARRAY('a', 'b'), y)"),
    ("SELECT CAST(unnest(generate_series(a, b, INTERVAL 1 DAY)) AS DATE) FROM t",
     "EXPLODE(TRANSFORM(SEQUENCE("),
    ("SELECT arg_max(v, at) FROM t", "MAX_BY(v, at)"),
    ("SELECT x FROM t WHERE d <= CAST(? AS DATE)", "CAST('2024-01-31' AS DATE)"),
    ("SELECT list(e ORDER BY d DESC)[1:3] FROM t",
     "SLICE(SORT_ARRAY(COLLECT_LIST(STRUCT(d AS k, e AS v)), FALSE).v, 1, GREATEST(3 - 1 + 1, 0))"),
    ("SELECT epoch_us(max(at)) FROM t", "UNIX_MICROS(CAST(MAX(at) AS TIMESTAMP))"),
    ("SELECT list(DISTINCT s ORDER BY s) FILTER (WHERE s IS NOT NULL) FROM t",
     "SORT_ARRAY(COLLECT_SET(s) FILTER(WHERE NOT s IS NULL))"),
    ("SELECT list(x ORDER BY d) FILTER (WHERE y / 2 > 1) FROM t",
     "COLLECT_LIST(STRUCT(d AS k, x AS v)) FILTER(WHERE CAST(y AS DOUBLE) / CAST(2 AS DOUBLE) > 1)"),
])
def test_duckdb_sql_is_translated_for_spark(duckdb_sql, expected):
    from shopkeeper.store.spark import to_spark

    params = [["a", "b"]] if "unnest(?)" in duckdb_sql else ["2024-01-31"]
    assert expected in to_spark(duckdb_sql, params if "?" in duckdb_sql else None)[0]


def test_a_parameter_is_a_literal_never_sql():
    from shopkeeper.store.spark import to_spark

    sql = to_spark("SELECT * FROM t WHERE name = ?", ["x' OR '1'='1"])[0]
    assert sql.endswith("name = 'x\\' OR \\'1\\'=\\'1'")


# -- reading the store ---------------------------------------------------------------------
@pytest.mark.parametrize("store", ["shop", "two_currency_shop"])
def test_every_metric_by_every_dimension_matches_duckdb_to_the_cent(store, on_spark, request):
    duck = request.getfixturevalue(store)
    sw = on_spark(duck)
    for dim in [(), *((d,) for d in DIMENSIONS)]:
        a = metrics.query(duck, list(METRICS), by=dim)
        b = metrics.query(sw, list(METRICS), by=dim)
        assert_same(a.df, b.df, f"{store} by {dim or 'total'} on Spark")
        assert a.unavailable == b.unavailable


def test_conversions_filters_ranges_and_comparisons_match(two_currency_shop, on_spark):
    duck = two_currency_shop
    money = Money("EUR", {"USD": 0.9})
    cases = [
        dict(metrics=["net_revenue", "gross_profit", "refunds", "cogs"], by="month", money=money),
        dict(metrics=["gmv", "units"], by="sku", filters={"channel": ["web"]}),
        dict(metrics=["net_revenue", "orders"], by="month", start="2024-02-01",
             end="2024-03-31", compare="previous", money=money),
    ]
    sw = on_spark(duck)
    for case in cases:
        assert_same(metrics.query(duck, **case).df, metrics.query(sw, **case).df, str(case))


def test_a_postgresql_warehouse_is_read_by_spark_with_the_same_answers(two_currency_shop,
                                                                       on_spark):
    """The third engine as the source: the store copied into a real PostgreSQL server, read
    by Spark, answers every metric by month and SKU as DuckDB does."""
    from shopkeeper.store.copy import copy_warehouse
    from tests import postgres_server

    if postgres_server.unavailable_reason() and os.environ.get("CI") != "true":
        pytest.skip(f"no PostgreSQL server: {postgres_server.unavailable_reason()}")
    with postgres_server.start() as server:
        url = server.create_database()
        with Warehouse(url) as pg:
            copy_warehouse(two_currency_shop, pg)
            sw = on_spark(pg)
            for dim in ("month", "sku"):
                assert_same(metrics.query(two_currency_shop, list(METRICS), by=dim).df,
                            metrics.query(sw, list(METRICS), by=dim).df, f"PostgreSQL by {dim}")
            sw.close()
        server.drop_database(url)


def test_table_counts_and_quarantine_reasons_read_the_same(two_currency_shop, on_spark):
    """What ingestion stored (rows per table, rejected rows and their reasons) reads the same
    through Spark."""
    duck = two_currency_shop
    sw = on_spark(duck)
    for table in ("orders", "order_lines", "refunds", "products", "customers", "quarantine"):
        assert duck.query(f"SELECT count(*) FROM {table}") == sw.query(
            f"SELECT count(*) FROM {table}"), table
    reasons = "SELECT reason, count(*) FROM quarantine GROUP BY 1 ORDER BY 1"
    assert duck.query(reasons) == sw.query(reasons)


def test_spark_only_reads(shop, on_spark):
    sw = on_spark(shop)
    with pytest.raises(WarehouseError, match="only reads"):
        sw.insert_df("orders", pd.DataFrame({"order_id": ["X"]}))
    with pytest.raises(WarehouseError, match="query failed on Spark"):
        sw.query("SELECT no_such_column FROM orders")


def _demand_store(wh: Warehouse, days: int) -> None:
    """Six SKUs in two categories: fast, packed, MOQ, overstocked, dead and new."""
    from tests.forecast_fixtures import demand_store
    from tests.test_plan import _stock, _supplier

    rng = np.random.default_rng(3)
    series = {"FAST": rng.poisson(20, days).astype(float),
              "PACKS": rng.poisson(5, days).astype(float),
              "MOQ": rng.poisson(1, days).astype(float),
              "FULL": rng.poisson(2, days).astype(float),
              "DEAD": np.concatenate([[30.0], np.zeros(days - 1)]),
              "NEW": np.concatenate([np.zeros(days - 3), [500.0, 0.0, 20.0]])}
    demand_store(wh, series,
                 suppliers=[_supplier("FAST", 10), _supplier("PACKS", 5, pack=12),
                            _supplier("MOQ", 3, moq=100), _supplier("FULL", 5),
                            _supplier("DEAD", 5), _supplier("NEW", 5),
                            {**_supplier("FAST", 2, cost=3.0), "supplier_id": "S-ALT",
                             "is_primary": False}],
                 stock=[_stock("FAST", 50), _stock("PACKS", 0), _stock("MOQ", 0),
                        _stock("FULL", 500), _stock("DEAD", 40), _stock("NEW", 0)])
    wh.query("UPDATE products SET category = CASE WHEN product_id IN ('FAST', 'PACKS', 'MOQ') "
             "THEN 'fast movers' ELSE 'slow movers' END")


@pytest.mark.parametrize("level, freq", [("sku", "D"), ("sku", "W"), ("category", "M"),
                                         ("sku_channel", "D")])
def test_demand_series_are_the_same(level, freq, shop, on_spark):
    a = forecast.build_series(shop, level=level, freq=freq)
    b = forecast.build_series(on_spark(shop), level=level, freq=freq)
    pd.testing.assert_frame_equal(a.df, b.df, check_exact=True)
    assert (a.cutoff, a.categories) == (b.cutoff, b.categories)


def test_partitions_are_categories_split_by_a_stable_hash():
    from shopkeeper.forecast.runs import partition_series

    ids = [f"S{i:03d}" for i in range(30)]
    cats = {i: ("big" if n < 25 else "small") for n, i in enumerate(ids)}
    parts = partition_series(ids, "sku", cats, "category", max_series=10)
    assert set(parts[parts.str.startswith("big")]) == {"big#0", "big#1", "big#2"}
    assert (parts[[f"S{i:03d}" for i in range(25, 30)]] == "small").all()
    assert parts.equals(partition_series(list(reversed(ids)), "sku", cats, "category", 10))
    assert set(partition_series(ids, "sku", cats, None)) == {"all"}


@pytest.mark.slow
@pytest.mark.parametrize("freq", ["D", "W"])
def test_forecasts_and_the_plan_are_the_same_on_spark(freq, spark, tmp_path):
    """A Spark run equals the local run with the same partitions: forecasts to 1e-6, the same
    model and reason per series, the stored tables alike; and the plan exactly, stored alike."""
    from tests.test_plan import DAYS

    with Warehouse(tmp_path / "w.duckdb") as duck:
        _demand_store(duck, DAYS * 3 if freq == "W" else DAYS)
        horizon = 8 if freq == "W" else 28
        local = forecast.forecast_demand(duck, freq=freq, horizon=horizon,
                                         partition_by="category", n_jobs=2)
        on_spark = forecast.forecast_demand(duck, freq=freq, horizon=horizon,
                                            partition_by="category", engine="spark")
        assert on_spark.params["engine"] == "spark" and on_spark.params["partitions"] == 2
        keys = ["unique_id", "ds"]
        a, b = (r.forecasts.sort_values(keys).reset_index(drop=True) for r in (local, on_spark))
        assert a[keys].equals(b[keys]) and (a["model"] == b["model"]).all()
        for column in ("yhat", "lo_80", "hi_80", "lo_95", "hi_95"):
            assert np.allclose(a[column], b[column], rtol=0, atol=1e-6), column
        choices = [r.result.choices.sort_values("unique_id").reset_index(drop=True)
                   for r in (local, on_spark)]
        pd.testing.assert_frame_equal(*choices)
        stored = [duck.query_df("SELECT * EXCLUDE (run_id) FROM model_choices WHERE run_id = ? "
                                "ORDER BY unique_id", [r.run_id]) for r in (local, on_spark)]
        pd.testing.assert_frame_equal(*stored, check_exact=True)
        count = "SELECT count(*) FROM {} WHERE run_id = ?"
        for table in ("forecasts", "backtest_scores"):
            assert (duck.query(count.format(table), [local.run_id])
                    == duck.query(count.format(table), [on_spark.run_id])), table
        if freq == "D":
            plans = [inventory.make_plan(duck, run_id=on_spark.run_id, engine=engine)
                     for engine in ("local", "spark")]
            pd.testing.assert_frame_equal(plans[0].lines, plans[1].lines, check_exact=True)
            pd.testing.assert_frame_equal(plans[0].excess, plans[1].excess, check_exact=True)
            assert plans[0].gaps == plans[1].gaps
            assert plans[0].currency == plans[1].currency == "EUR"
            assert plans[1].lines.set_index("product_id").loc["FAST", "supplier_id"] == "S-FAST"


@pytest.mark.slow
def test_one_partition_on_spark_is_the_single_machine_run(spark, tmp_path):
    from tests.test_plan import DAYS

    with Warehouse(tmp_path / "w.duckdb") as duck:
        _demand_store(duck, DAYS)
        runs = [forecast.forecast_demand(duck, save=False, engine=engine, n_jobs=2)
                for engine in ("local", "spark")]  # no partition_by: one fit on both
        assert runs[1].params["partitions"] == 1
        a, b = (r.forecasts.sort_values(["unique_id", "ds"]).reset_index(drop=True)
                for r in runs)
        assert (a["model"] == b["model"]).all()
        assert np.allclose(a["yhat"], b["yhat"], rtol=0, atol=1e-6)


@pytest.mark.slow
def test_a_parquet_folder_and_a_delta_table_are_read_like_the_warehouse(spark, tmp_path):
    """A data lake: orders and lines as Parquet files, order lines as a Delta table; the
    forecast read from it equals the one read from the warehouse, and is stored there."""
    deltalake = pytest.importorskip("deltalake", reason="the [spark] extra brings deltalake")
    from tests.test_plan import DAYS

    lake = tmp_path / "lake"
    lake.mkdir()
    with Warehouse(tmp_path / "w.duckdb") as duck:
        _demand_store(duck, DAYS)
        for table in ("orders", "products", "inventory_snapshots", "sku_suppliers"):
            duck.query(f"COPY {table} TO '{lake / table}.parquet' (FORMAT parquet)")
        deltalake.write_deltalake(str(lake / "order_lines"),
                                  duck.connection.sql("SELECT * FROM order_lines").to_arrow_table())
        kwargs = dict(partition_by="category", save=False, products=["FAST", "MOQ", "DEAD"])
        a = forecast.forecast_demand(duck, **kwargs)
        b = forecast.forecast_demand(duck, engine="spark", source=str(lake), **kwargs)
        assert np.allclose(a.forecasts.sort_values(["unique_id", "ds"])["yhat"],
                           b.forecasts.sort_values(["unique_id", "ds"])["yhat"], atol=1e-6)
        runs = "SELECT count(*) FROM forecast_runs"
        before = duck.query(runs)[0][0]
        run = forecast.forecast_demand(duck, engine="spark", source=str(lake),
                                       products=["FAST"])
        assert duck.query(runs)[0][0] == before + 1
        plan = inventory.make_plan(duck, run_id=run.run_id, engine="spark", source=str(lake),
                                   save=False)
        local = inventory.make_plan(duck, run_id=run.run_id, save=False)
        pd.testing.assert_frame_equal(plan.lines, local.lines, check_exact=True)
        assert plan.currency == local.currency == "EUR"
    with pytest.raises(WarehouseError, match="none of the store's tables"):
        from shopkeeper.store.spark import SparkWarehouse
        SparkWarehouse(tmp_path, spark=spark)


def test_a_source_folder_without_spark_is_refused(shop):
    with pytest.raises(forecast.ForecastError, match="engine='spark'"):
        forecast.forecast_demand(shop, source="/somewhere")
    with pytest.raises(inventory.PlanError, match="engine='spark'"):
        inventory.make_plan(shop, source="/somewhere")


@pytest.mark.slow
def test_the_cli_forecasts_and_plans_on_spark(tmp_path):
    from tests.test_plan import DAYS

    with Warehouse(tmp_path / "shopkeeper-data" / "warehouse.duckdb") as duck:
        _demand_store(duck, DAYS)
    exe = [str(Path(sys.executable).with_name("shopkeeper"))]
    env = {**os.environ, "COLUMNS": "160"}
    env.pop("SHOPKEEPER_CONFIG", None)
    ran = subprocess.run([*exe, "forecast", "--engine", "spark"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=600)
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert "6 series" in ran.stdout
    planned = subprocess.run([*exe, "plan", "--engine", "spark"], cwd=tmp_path, env=env,
                             capture_output=True, text=True, timeout=600)
    assert planned.returncode == 0, planned.stderr[-2000:]
    assert "draft plan" in planned.stdout
    with Warehouse(tmp_path / "shopkeeper-data" / "warehouse.duckdb", read_only=True) as wh:
        params = wh.query("SELECT params FROM forecast_runs")[0][0]
        assert '"engine": "spark"' in params and '"partition_by": "category"' in params
        assert wh.query("SELECT count(*) FROM plan_lines")[0][0] == 6


@pytest.mark.slow
def test_the_cli_answers_metrics_and_sql_on_spark_and_refuses_writes(shop, tmp_path):
    """``-w spark:FILE`` (or the warehouse setting) runs any read on Spark: the metrics CSV
    equals DuckDB's, and a load is refused with a one-line error."""
    shop.close()
    exe = str(Path(sys.executable).with_name("shopkeeper"))
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("SHOPKEEPER_CONFIG", None)
    path = str(shop.path)

    def run(warehouse: str, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([exe, "-w", warehouse, *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=600)

    ask = ["metrics", "gmv,net_revenue,aov,gross_margin", "--by", "month,channel", "--csv"]
    duck, spark = run(path, *ask), run(f"spark:{path}", *ask)
    assert duck.returncode == 0 and spark.returncode == 0, spark.stderr[-2000:]
    assert spark.stdout == duck.stdout and "2024-02-01" in spark.stdout
    counted = run(f"spark:{path}", "sql", "SELECT count(*) AS n FROM order_lines")
    assert counted.returncode == 0 and "7" in counted.stdout, counted.stderr[-2000:]
    orders = tmp_path / "orders.csv"
    orders.write_text("order_id,ordered_at\nX1,2024-03-01\n")
    refused = run(f"spark:{path}", "ingest", str(orders))
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert "only reads" in refused.stderr + refused.stdout


@pytest.mark.slow
def test_every_mcp_read_answers_the_same_on_spark(tmp_path):
    """An agent's MCP session (stdio, no token: a local analyst who only reads) over the same
    store on DuckDB and on Spark: every read tool answers the same (the finance report,
    reviews, recommendations, buy-again, the plan, drafts, questions asked). Spark reads the
    results that DuckDB's runs stored."""
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    from shopkeeper import content, mcp, recommend, reviews, service
    from shopkeeper.store import generate_store, ingest
    from tests.test_engine_workspace import clean, differences, tool_calls
    from tests.test_mcp import run

    generate_store(tmp_path / "export", orders=800, seed=5)
    path = tmp_path / "shopkeeper-data" / "warehouse.duckdb"
    path.parent.mkdir()
    with Warehouse(path) as wh:
        ingest(wh, [tmp_path / "export"])
        reviews.analyze_reviews(wh)
        reviews.draft_replies(wh, limit=3)
        forecast.forecast_demand(wh, horizon=28)
        inventory.make_plan(wh)
        service.build_index(wh)
        recommend.save_recommender(recommend.train(wh), path.parent / "models" /
                                   "recommender.npz")
        sku = wh.query("SELECT product_id FROM order_lines GROUP BY 1 "
                       "ORDER BY sum(quantity) DESC, 1 LIMIT 1")[0][0]
        content.generate_for_products(wh, [sku], content.CopyOptions(kinds=("title",),
                                                                      lang="en"))
    writes = {spec.name for spec in mcp.TOOLS if spec.writes}
    calls = {k: v for k, v in tool_calls(sku).items() if k not in writes}  # every read tool
    env = {k: v for k, v in os.environ.items() if k not in ("SHOPKEEPER_CONFIG",
                                                            "SHOPKEEPER_TOKEN")}

    async def session(warehouse: str) -> dict:
        server = StdioServerParameters(command=sys.executable,
                                       args=["-m", "shopkeeper.cli", "-w", warehouse, "mcp"],
                                       env=env, cwd=str(tmp_path))
        answers = {}
        async with Client(server, read_timeout_seconds=300) as client:
            for name, args in calls.items():
                got = await client.call_tool(name, args)
                assert not got.is_error, (warehouse, name, got.content)
                answers[name] = clean(got.structured_content)
        return answers

    duck = run(session, str(path))
    spark = run(session, f"spark:{path}")
    found = [d for name in calls for d in differences(duck[name], spark[name], name)]
    assert not found, "\n".join(found[:20])
    assert duck["review_summary"]["reviews"] > 0 and duck["plan_summary"]["items"]
