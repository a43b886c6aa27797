"""Business metrics, defined once and computed by one engine for every face.

    from shopkeeper import metrics
    metrics.query(wh, ["net_revenue", "gross_margin"], by="month", compare="year",
                  start="2011-01-01", end="2011-11-30").df
"""

from shopkeeper.metrics.cache import (
    cached,
    clear_cache,
    data_version,
    forget_version,
    hold_version,
    one_version,
    peek,
    warehouse_status,
)
from shopkeeper.metrics.definitions import (
    DIMENSIONS,
    METRICS,
    TIME_GRAINS,
    WEEKDAYS,
    Dimension,
    Metric,
)
from shopkeeper.metrics.engine import (
    MetricError,
    MetricQuery,
    MetricResult,
    Money,
    comparison_range,
    compile_query,
    converted_money,
    currencies,
    query,
)

__all__ = [
    "DIMENSIONS",
    "METRICS",
    "TIME_GRAINS",
    "WEEKDAYS",
    "Dimension",
    "Metric",
    "MetricError",
    "MetricQuery",
    "MetricResult",
    "Money",
    "cached",
    "clear_cache",
    "compile_query",
    "converted_money",
    "currencies",
    "data_version",
    "forget_version",
    "hold_version",
    "one_version",
    "peek",
    "warehouse_status",
    "comparison_range",
    "query",
]
