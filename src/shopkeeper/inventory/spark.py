"""Planning on Spark: the SKU facts by Spark SQL, each SKU's levels in grouped pandas UDFs.

The facts (forecast path, backtest error, stock, supplier, sales) come from the same statement
as on one machine (:func:`~shopkeeper.inventory.plan.sku_facts_query`), translated to Spark
SQL. ABC classes rank every SKU's revenue, so they are set once on the driver by the same
function. The levels, quantities and notes, the per-SKU work, run in a grouped pandas UDF per
bucket of SKUs that calls :func:`~shopkeeper.inventory.plan.sku_plan_lines`. The budget cap
and the excess-stock list, which weigh SKUs against each other, run on the driver as before.
"""

from __future__ import annotations

import datetime as dt
import pickle
import zlib

import pandas as pd

from shopkeeper.inventory.plan import (
    PlanError,
    PlanSettings,
    classify_skus,
    plan_currency,
    sku_facts_query,
    sku_plan_lines,
)
from shopkeeper.store import Warehouse, spark_warehouse

# the forecast run a plan reads lives in the warehouse, wherever the orders are read from
RUN_TABLES = ("forecast_runs", "forecasts", "model_choices", "backtest_scores")
SKUS_PER_BUCKET = 5_000


def plan_lines_on_spark(warehouse: Warehouse, run_id: str, today: dt.date,
                        settings: PlanSettings, *, source: str | None = None,
                        spark=None) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """The SKU facts and plan lines of forecast run ``run_id``, computed on Spark (both in
    product order, as :func:`~shopkeeper.inventory.make_plan` computes them locally), and
    the currency the suppliers' costs are mostly quoted in."""
    reader = spark_warehouse(source if source is not None else warehouse, spark=spark,
                            overlay=(warehouse, RUN_TABLES) if source is not None else None)
    warehouse.release()  # read: an on-demand warehouse lets the file go while Spark works
    try:
        sku = classify_skus(reader.query_df(*sku_facts_query(run_id, today)), settings)
        currency = plan_currency(reader)
        if sku.empty:
            raise PlanError(f"forecast run {run_id} has no SKUs to plan")
        buckets = max(1, -(-len(sku) // SKUS_PER_BUCKET))
        keyed = sku.assign(bucket=[zlib.crc32(str(p).encode()) % buckets
                                   for p in sku["product_id"]], row=range(len(sku)))
        frame = reader.spark.createDataFrame(keyed)

        def lines_of(pdf: pd.DataFrame) -> pd.DataFrame:
            part = pdf.sort_values("row").reset_index(drop=True)
            lines = sku_plan_lines(part.drop(columns=["bucket", "row"]), settings, today)
            lines.index = part["row"].to_numpy()
            return pd.DataFrame({"bucket": [int(part["bucket"].iloc[0])],
                                 "payload": [pickle.dumps(lines, protocol=5)]})

        rows = (frame.repartition(min(buckets, 200), "bucket").groupBy("bucket")
                .applyInPandas(lines_of, "bucket long, payload binary").collect())
    finally:
        reader.close()
    lines = pd.concat([pickle.loads(r["payload"]) for r in rows]).sort_index()
    return sku, lines.reset_index(drop=True), currency
