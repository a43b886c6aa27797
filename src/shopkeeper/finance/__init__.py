"""Finance: the P&L and KPI pack by period, why a number changed, and what looks wrong.

    from shopkeeper import finance
    period = finance.last_complete_period(wh, "month")
    finance.pnl(wh, period)                       # statement with MoM and YoY columns
    finance.explain_change(wh, period, finance.previous_period(period))
"""

from shopkeeper.finance.anomalies import (
    Alert,
    AnomalyCheck,
    Finding,
    check_anomalies,
    detect_anomalies,
    sku_anomalies,
)
from shopkeeper.finance.narrative import model_rewriter
from shopkeeper.finance.outlook import cash_view, planned_purchases, revenue_outlook
from shopkeeper.finance.overview import (
    AnomalyAlert,
    AnomalyFinding,
    CurrencyTiles,
    KpiTile,
    KpiTiles,
    RecentAnomalies,
    SparkPoint,
    kpi_tiles,
    recent_anomalies,
    tile_period,
)
from shopkeeper.finance.report import (
    FORMATS,
    FinanceReport,
    build_report,
    build_reports,
    check_report_options,
    cron_line,
    install_cron_line,
    report_money,
    write_report,
)
from shopkeeper.finance.statements import (
    KPIS,
    PERIODS,
    PNL_LINES,
    Period,
    kpi_pack,
    last_activity_day,
    last_complete_period,
    pnl,
    previous_period,
)
from shopkeeper.finance.variance import Variance, explain_change
from shopkeeper.metrics import MetricError

__all__ = [
    "AnomalyAlert",
    "AnomalyFinding",
    "CurrencyTiles",
    "KpiTile",
    "KpiTiles",
    "RecentAnomalies",
    "SparkPoint",
    "kpi_tiles",
    "recent_anomalies",
    "tile_period",
    "FORMATS",
    "FinanceReport",
    "MetricError",
    "build_report",
    "build_reports",
    "report_money",
    "check_report_options",
    "cron_line",
    "install_cron_line",
    "model_rewriter",
    "write_report",
    "Alert",
    "AnomalyCheck",
    "Finding",
    "check_anomalies",
    "detect_anomalies",
    "KPIS",
    "PERIODS",
    "PNL_LINES",
    "Period",
    "Variance",
    "explain_change",
    "kpi_pack",
    "last_activity_day",
    "last_complete_period",
    "pnl",
    "previous_period",
    "cash_view",
    "planned_purchases",
    "revenue_outlook",
    "sku_anomalies",
]
