"""The forecasting step of ``shopkeeper demo`` (registered through an entry point)."""

from __future__ import annotations

import os

from shopkeeper.forecast.runs import forecast_demand
from shopkeeper.store import DemoContext, DemoStep


def _forecast(ctx: DemoContext) -> str:
    run = forecast_demand(ctx.warehouse, level="sku", freq="D", horizon=28,
                          n_jobs=ctx.settings.threads or os.cpu_count() or 1,
                          progress=ctx.progress)
    chosen = run.result.choices["model"].value_counts()
    top = ", ".join(f"{m} {n:,}" for m, n in chosen.head(3).items())
    return (f"{run.series.n_series:,} SKUs forecast 28 days ahead from {run.series.cutoff} "
            f"(run {run.run_id}; chosen models: {top})")


STEP = DemoStep("forecast demand", 50, _forecast)
