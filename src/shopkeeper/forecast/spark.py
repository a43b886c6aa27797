"""Forecasting on Spark: the same runs as on one machine, spread over a cluster by partition.

The series are built by the same statement as :func:`~shopkeeper.forecast.build_series`,
translated to Spark SQL, and never gathered on the driver. Each partition (a category, split
by a stable hash when it is large: :func:`~shopkeeper.forecast.runs.partition_series`) is
fitted by a grouped pandas UDF that calls :func:`~shopkeeper.forecast.runs.fit_partition`,
the function the local engine calls: the statistical models (statsforecast), the global
LightGBM model with the same features, the model choice and the intervals. So a Spark run
equals the local run with the same partitions, which the conformance tests check.

Only the results come back to the driver, and they are written to the warehouse as tables
like any run's. The backtest frames stay on the workers (``ForecastResult.backtest`` and
``candidates`` are empty): every score the run stores is computed there.
"""

from __future__ import annotations

import datetime as dt
import pickle
import time
import uuid

import pandas as pd

from shopkeeper.forecast.auto import ForecastResult, ProgressFn
from shopkeeper.forecast.runs import (
    FitSpec,
    ForecastRun,
    _closed_notes,
    fit_partition,
    fit_spec,
    merge_results,
    partition_series,
    save_run,
)
from shopkeeper.forecast.series import (
    DemandSeries,
    finish_series,
    series_categories,
    series_query,
)
from shopkeeper.store import Warehouse, spark_warehouse

_PAYLOAD_SCHEMA = "partition string, payload binary"


def _fit_group(spec: FitSpec, end: pd.Timestamp, freq: str):
    """The UDF's body: one partition's rows in, its pickled result out."""

    def fit(pdf: pd.DataFrame) -> pd.DataFrame:
        name = str(pdf["partition"].iloc[0])
        df = pdf.drop(columns="partition").sort_values(["unique_id", "ds"])
        df = finish_series(df.reset_index(drop=True), end, freq)
        result, shut = fit_partition(df, spec)
        result.backtest = result.backtest.iloc[0:0]
        result.candidates = result.candidates.iloc[0:0]
        return pd.DataFrame({"partition": [name],
                             "payload": [pickle.dumps((result, shut), protocol=5)]})

    return fit


def forecast_on_spark(
    warehouse: Warehouse,
    *,
    level: str = "sku",
    freq: str = "D",
    horizon: int = 28,
    models: str | list[str] = "auto",
    n_windows: int = 2,
    cutoff: dt.date | str | None = None,
    history_days: int | None = None,
    products: list[str] | None = None,
    save: bool = True,
    progress: ProgressFn | None = None,
    kind: str = "forecast",
    partition_by: str | None = "category",
    max_partition_series: int = 5_000,
    source: str | None = None,
    spark=None,
) -> ForecastRun:
    """Forecast on Spark and store the run in ``warehouse`` (see the module docstring).

    The tables are read from ``source`` (a folder of Parquet/Delta tables) or, without it,
    from ``warehouse`` itself. Use it through ``forecast_demand(..., engine="spark")``."""
    report = progress or (lambda phase, fraction: None)
    started = time.perf_counter()
    report("starting Spark and reading the store's tables", None)
    reader = spark_warehouse(source if source is not None else warehouse, spark=spark)
    warehouse.release()  # read: an on-demand warehouse lets the file go while Spark works
    from pyspark import StorageLevel  # after the reader: it says clearly when pyspark is missing
    from pyspark.sql import functions as F
    try:
        report("building demand series with Spark SQL", None)
        query = series_query(reader, level=level, freq=freq, cutoff=cutoff,
                             history_days=history_days, products=products)
        # kept on the cluster (spilling to disk) for the pass that lists the series and the
        # pass that fits them
        rows = reader.frame(query.sql, query.batches[0]).persist(StorageLevel.MEMORY_AND_DISK)
        categories = series_categories(reader)
        firsts = rows.groupBy("unique_id").agg(F.min("ds").alias("first")).toPandas()
        parts = partition_series(firsts["unique_id"], level, categories, partition_by,
                                 max_partition_series)
        spec, notes = fit_spec(reader, start=pd.Timestamp(firsts["first"].min()),
                               cutoff=query.end.date(), freq=freq, horizon=horizon,
                               models=models, n_windows=n_windows, n_jobs=1)
        session = reader.spark
        mapping = session.createDataFrame(parts.reset_index())
        keyed = rows.join(mapping.hint("broadcast"), on="unique_id")
        n_parts = parts.nunique()
        report(f"fitting {len(firsts):,} series in {n_parts:,} partition(s) on Spark", None)
        fitted_rows = (keyed.repartition(min(n_parts, 200), "partition")
                       .groupBy("partition")
                       .applyInPandas(_fit_group(spec, query.end, freq), _PAYLOAD_SCHEMA)
                       .collect())
        fitted = {r["partition"]: pickle.loads(r["payload"]) for r in fitted_rows}
        rows.unpersist()
    finally:
        reader.close()
    result, shut = merge_results(fitted)
    result.notes = [*notes, *_closed_notes(spec, shut), *result.notes]
    result.seconds = time.perf_counter() - started
    history = _history_stub(level, freq, query.end.date(), categories, result)
    params = {
        "models": models, "n_windows": n_windows, "history_days": history_days,
        "hierarchy": False, "reconciler": None, "input_size": spec.input_size,
        "lgbm_input_size": spec.lgbm_input_size, "products": products,
        "closed_weekdays": spec.closed_weekdays, "calendar": spec.calendar is not None,
        "engine": "spark", "partition_by": partition_by,
        "partitions": n_parts, "spark_master": session.sparkContext.master,
    }
    run = ForecastRun(uuid.uuid4().hex[:12], kind, history, result, params)
    if save:
        report(f"storing run {run.run_id}: {len(result.forecasts):,} forecast rows", None)
        save_run(warehouse, run, level=level, horizon=horizon)
    report("done", 1.0)
    return run


def _history_stub(level: str, freq: str, cutoff: dt.date, categories: dict[str, str],
                  result: ForecastResult) -> DemandSeries:
    """The run's series description without the history rows, which stay on the cluster:
    one row per series (its id), so counts and the series list still read right."""
    ids = result.choices["unique_id"].drop_duplicates().sort_values().reset_index(drop=True)
    stub = pd.DataFrame({"unique_id": ids, "ds": pd.NaT, "y": float("nan"),
                         "stockout_days": 0})
    return DemandSeries(stub, level, freq, cutoff, categories)
