"""Inventory: policies, safety stock, simulation and the replenishment plan.

The public entry module of the capability. It consumes ``forecast``'s output (the one
sanctioned capability-to-capability dependency in the house).
"""

from shopkeeper.inventory.overview import (
    PendingPlanLine,
    PendingPlanLines,
    StockoutAlert,
    StockoutAlerts,
    pending_plan_lines,
    stockout_alerts,
)
from shopkeeper.inventory.plan import (
    DEFAULT_SERVICE_LEVELS,
    Plan,
    PlanError,
    PlanSettings,
    abc_classes,
    approve_plan,
    chart_sku,
    make_plan,
    policy_levels,
    simulate_line,
)
from shopkeeper.inventory.policies import (
    base_stock_level,
    cycle_service_level,
    eoq,
    fill_rate,
    finite_horizon_ss,
    newsvendor_empirical,
    newsvendor_normal,
    reorder_point,
    rq_policy,
    safety_factor_for_fill_rate,
    safety_stock,
    wagner_whitin,
)
from shopkeeper.inventory.simulate import PolicyParams, SimulationResult, simulate

__all__ = [
    "PendingPlanLine",
    "PendingPlanLines",
    "StockoutAlert",
    "StockoutAlerts",
    "pending_plan_lines",
    "stockout_alerts",
    "DEFAULT_SERVICE_LEVELS",
    "Plan",
    "PlanError",
    "PlanSettings",
    "PolicyParams",
    "SimulationResult",
    "abc_classes",
    "approve_plan",
    "chart_sku",
    "base_stock_level",
    "cycle_service_level",
    "eoq",
    "fill_rate",
    "finite_horizon_ss",
    "make_plan",
    "newsvendor_empirical",
    "newsvendor_normal",
    "policy_levels",
    "reorder_point",
    "rq_policy",
    "safety_factor_for_fill_rate",
    "safety_stock",
    "simulate",
    "simulate_line",
    "wagner_whitin",
]
