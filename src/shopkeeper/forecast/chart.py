"""One SKU's demand chart from a stored forecast: history, forecast and intervals.

A chart never forecasts the store again. It draws from the newest stored run that holds the
SKU; only when none does, that one SKU is forecast (and stored as a ``chart`` run, which the
next chart reuses and a replenishment plan never reads).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from shopkeeper.forecast.auto import ProgressFn
from shopkeeper.forecast.runs import forecast_demand, load_forecasts
from shopkeeper.forecast.series import build_series, check_level_freq
from shopkeeper.store import Warehouse

CHART_HISTORY_DAYS = 180


@dataclass(frozen=True)
class ForecastChart:
    """Where the chart went, which run it drew and whether that run was made for it."""

    paths: list[str]
    run_id: str
    forecast_now: bool


def stored_run_with(warehouse: Warehouse, unique_id: str, *, freq: str = "D") -> str | None:
    """The newest stored forecast run (SKU level, hierarchy or a chart's own) holding
    ``unique_id`` at ``freq``; None when there is none."""
    rows = warehouse.query(
        """SELECT r.run_id FROM forecast_runs r
           WHERE r.kind IN ('forecast', 'chart') AND r.level IN ('sku', 'hierarchy')
             AND r.freq = ?
             AND EXISTS (SELECT 1 FROM forecasts f
                         WHERE f.run_id = r.run_id AND f.unique_id = ?)
           ORDER BY r.created_at DESC LIMIT 1""",
        [freq, unique_id],
    )
    return rows[0][0] if rows else None


def chart_forecast(
    warehouse: Warehouse,
    product_id: str,
    paths: list[str | Path],
    *,
    freq: str = "D",
    horizon: int | None = None,
    history_days: int = CHART_HISTORY_DAYS,
    progress: ProgressFn | None = None,
) -> ForecastChart:
    """Write ``product_id``'s chart to each of ``paths`` (HTML, or PNG for ``.png``).

    Draws from the stored run that holds the SKU; without one, forecasts that SKU alone.
    """
    from shopkeeper import reports

    check_level_freq("sku", freq)
    report = progress or (lambda phase, fraction: None)
    run_id = stored_run_with(warehouse, product_id, freq=freq)
    forecast_now = run_id is None
    if forecast_now:
        report(f"no stored forecast of {product_id}: forecasting that SKU alone", None)
        run_id = forecast_demand(warehouse, freq=freq, horizon=horizon, products=[product_id],
                                 kind="chart", progress=progress).run_id
    report(f"drawing {product_id} from forecast run {run_id}", None)
    cutoff = warehouse.query("SELECT cutoff FROM forecast_runs WHERE run_id = ?", [run_id])[0][0]
    fc = load_forecasts(warehouse, run_id)
    fc = fc[fc["unique_id"] == product_id]
    history = build_series(warehouse, freq=freq, cutoff=cutoff, history_days=history_days,
                           products=[product_id]).df
    fig = reports.demand_chart(f"{product_id}: forecast run {run_id}", history, fc)
    written = [
        str(reports.write_png(fig, str(path)) if str(path).lower().endswith(".png")
            else reports.write_html(fig, str(path)))
        for path in paths
    ]
    return ForecastChart(written, run_id, forecast_now)
