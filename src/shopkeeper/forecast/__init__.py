"""Demand forecasting: series from the warehouse, backtested model choice, coherent forecasts.

The public entry module of the capability; faces and ``inventory`` import from here only.

>>> run = forecast_demand(warehouse, level="sku", freq="D", horizon=28)   # doctest: +SKIP
>>> run.forecasts.head()                                                   # doctest: +SKIP
"""

from shopkeeper.forecast.auto import SHORT_HISTORY_MODEL, AutoForecaster, ForecastResult
from shopkeeper.forecast.chart import ForecastChart, chart_forecast, stored_run_with
from shopkeeper.forecast.classify import CLASSES, classify_demand
from shopkeeper.forecast.hierarchy import RECONCILERS, hierarchy_frames, reconcile
from shopkeeper.forecast.metrics import METRICS, accuracy
from shopkeeper.forecast.models import ALL_MODELS, AUTO_POOLS
from shopkeeper.forecast.runs import (
    DEFAULT_HORIZON,
    ForecastRun,
    forecast_demand,
    latest_run_id,
    load_choices,
    load_forecasts,
)
from shopkeeper.forecast.series import (
    FREQS,
    LEVELS,
    DemandSeries,
    ForecastError,
    build_series,
    store_calendar,
)
from shopkeeper.forecast.sku import (
    ForecastPoint,
    ModelScore,
    SalesPoint,
    SkuForecast,
    UnknownSkuError,
    sku_figure,
    sku_forecast,
)

__all__ = [
    "ALL_MODELS",
    "AUTO_POOLS",
    "CLASSES",
    "DEFAULT_HORIZON",
    "FREQS",
    "LEVELS",
    "METRICS",
    "RECONCILERS",
    "SHORT_HISTORY_MODEL",
    "AutoForecaster",
    "DemandSeries",
    "ForecastChart",
    "ForecastResult",
    "ForecastRun",
    "ForecastError",
    "ForecastPoint",
    "ModelScore",
    "SalesPoint",
    "SkuForecast",
    "UnknownSkuError",
    "accuracy",
    "build_series",
    "chart_forecast",
    "classify_demand",
    "forecast_demand",
    "hierarchy_frames",
    "latest_run_id",
    "load_choices",
    "load_forecasts",
    "reconcile",
    "sku_figure",
    "sku_forecast",
    "store_calendar",
    "stored_run_with",
]
