"""Replenishment plan: MOQ and packs, budget cap, lead time, approval, export, excess stock."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shopkeeper import forecast, inventory
from tests.forecast_fixtures import START, demand_store

DAYS = 120
CUTOFF = START + pd.Timedelta(days=DAYS - 1, hours=23)


def _supplier(sku, lead, moq=1, pack=1, cost=4.0):
    return {"product_id": sku, "supplier_id": f"S-{sku}", "unit_cost": cost, "currency": "EUR",
            "lead_time_days": lead, "lead_time_std_days": 0.0, "moq": moq,
            "order_multiple": pack, "is_primary": True}


def _stock(sku, on_hand, on_order=0):
    return {"product_id": sku, "location": "main", "snapshot_at": CUTOFF, "on_hand": on_hand,
            "on_order": on_order, "reserved": 0}


@pytest.fixture
def planned(warehouse):
    rng = np.random.default_rng(3)
    series = {
        "FAST": rng.poisson(20, DAYS).astype(float),   # 20/day, low stock: must order
        "PACKS": rng.poisson(5, DAYS).astype(float),   # needs an order rounded to packs of 12
        "MOQ": rng.poisson(1, DAYS).astype(float),     # small need, MOQ 100
        "FULL": rng.poisson(2, DAYS).astype(float),    # plenty of stock: no order
        "DEAD": np.concatenate([[30.0], np.zeros(DAYS - 1)]),  # one sale long ago
        "NEW": np.concatenate([np.zeros(DAYS - 3), [500.0, 0.0, 20.0]]),  # launched 3 days ago
    }
    demand_store(
        warehouse, series,
        suppliers=[_supplier("FAST", 10), _supplier("PACKS", 5, pack=12),
                   _supplier("MOQ", 3, moq=100), _supplier("FULL", 5), _supplier("DEAD", 5), _supplier("NEW", 5)],
        stock=[_stock("FAST", 50), _stock("PACKS", 0), _stock("MOQ", 0), _stock("FULL", 500),
               _stock("DEAD", 40), _stock("NEW", 0)],
    )
    forecast.forecast_demand(warehouse, horizon=28)
    return warehouse


def test_plan_respects_lead_time_moq_and_packs(planned):
    plan = inventory.make_plan(planned)
    lines = plan.lines.set_index("product_id")
    fast = lines.loc["FAST"]
    # protection interval = lead time 10 + review 7 days at ~20/day
    assert fast["forecast_protection"] == pytest.approx(17 * 20, rel=0.25)
    assert fast["reorder_point"] > fast["forecast_protection"] > 0
    assert fast["suggested_qty"] == pytest.approx(fast["order_up_to"] - 50, abs=1)
    assert lines.loc["PACKS", "suggested_qty"] % 12 == 0 and lines.loc["PACKS", "suggested_qty"] > 0
    assert lines.loc["MOQ", "suggested_qty"] == 100
    assert "MOQ 100" in lines.loc["MOQ", "note"]
    assert lines.loc["FULL", "suggested_qty"] == 0
    assert lines.loc["FULL", "order_by"] > plan.created_on  # reorder later, with a date
    assert (plan.orders["order_by"] == plan.created_on).all()
    # a longer lead time needs more stock to cover it
    assert fast["safety_stock"] > lines.loc["PACKS", "safety_stock"]
    stored = planned.query("SELECT status, round(order_value, 2) FROM replenishment_plans")
    assert stored == [("draft", round(plan.order_value, 2))]
    assert planned.query("SELECT count(*) FROM plan_lines") == [(6,)]
    # three days of sales (one of them a 500-unit order) do not size an automatic order
    assert lines.loc["NEW", "suggested_qty"] == 0
    assert "set the quantity by hand" in lines.loc["NEW", "note"]


def test_budget_cap_is_never_exceeded_and_keeps_valid_quantities(planned):
    full = inventory.make_plan(planned, save=False)
    budget = full.order_value * 0.4
    capped = inventory.make_plan(planned, inventory.PlanSettings(budget=budget), save=False)
    assert 0 < capped.order_value <= budget
    lines = capped.lines.set_index("product_id")
    assert lines.loc["PACKS", "suggested_qty"] % 12 == 0
    assert lines.loc["MOQ", "suggested_qty"] in (0, 100)
    assert (capped.lines["suggested_qty"] <= full.lines["suggested_qty"]).all()
    assert capped.lines["note"].str.contains("budget cap").any()


def test_higher_service_level_means_more_safety_stock(planned):
    low = inventory.make_plan(planned, inventory.PlanSettings(
        service_levels={"A": 0.8, "B": 0.8, "C": 0.8}), save=False)
    high = inventory.make_plan(planned, inventory.PlanSettings(
        service_levels={"A": 0.99, "B": 0.99, "C": 0.99}), save=False)
    assert (high.lines["safety_stock"] >= low.lines["safety_stock"]).all()
    assert high.lines["safety_stock"].sum() > low.lines["safety_stock"].sum()
    fill = inventory.make_plan(planned, inventory.PlanSettings(fill_rate_target=0.99), save=False)
    assert (fill.lines["expected_fill_rate"].dropna() >= 0.98).all()


def test_excess_stock_and_approval_and_export(planned, tmp_path):
    plan = inventory.make_plan(planned)
    excess = plan.excess.set_index("product_id")
    assert excess.loc["DEAD", "status"] == "dead"
    assert excess.loc["DEAD", "stock_value"] == pytest.approx(40 * 4.0)
    assert excess.loc["FULL", "status"] == "slow"  # 500 units at ~2/day
    assert "FAST" not in excess.index
    xlsx = plan.export(str(tmp_path / "plan.xlsx"))
    sheets = pd.read_excel(xlsx, sheet_name=None)
    assert set(sheets) == {"plan", "excess stock", "settings"} and len(sheets["plan"]) == 6
    inventory.approve_plan(planned, plan.plan_id, "ops lead")
    assert planned.query("SELECT status, approved_by FROM replenishment_plans") == [
        ("approved", "ops lead")]
    with pytest.raises(inventory.PlanError, match="not a draft"):
        inventory.approve_plan(planned, plan.plan_id, "again")
    html = inventory.chart_sku(planned, "FAST", str(tmp_path / "fast.html"), plan=plan)
    text = Path(html).read_text(encoding="utf-8")
    assert "stock on hand under the plan" in text
    assert "<script src=\"http" not in text and len(text) > 1_000_000  # plotly.js inlined


def test_plan_without_forecast_says_what_to_run(warehouse):
    with pytest.raises(forecast.ForecastError, match="run 'shopkeeper forecast' first"):
        inventory.make_plan(warehouse)


@pytest.fixture
def bare(warehouse):
    """Sales and a forecast, but no suppliers and no stock counts: a plain Shopify export."""
    rng = np.random.default_rng(4)
    demand_store(warehouse, {"A": rng.poisson(6, DAYS).astype(float),
                             "B": rng.poisson(3, DAYS).astype(float)})
    forecast.forecast_demand(warehouse, horizon=28)
    return warehouse


def test_a_plan_without_suppliers_or_stock_says_what_is_missing_and_how_to_load_it(bare):
    plan = inventory.make_plan(bare, save=False)
    assert plan.orders.empty  # nothing can be ordered without a supplier
    assert plan.gaps == [
        "no suppliers loaded: no SKU has a supplier with a lead time, so nothing can be "
        "ordered; load sku_suppliers (product_id, supplier_id, unit_cost, lead_time_days) "
        "with 'shopkeeper ingest' (see docs/inventory.md)",
        "no stock levels loaded: stock is taken as 0 for every SKU; load a stock snapshot "
        "(inventory_snapshots: product_id, location, snapshot_at, on_hand) with 'shopkeeper "
        "ingest' (see docs/inventory.md)",
    ]


def test_plan_cli_prints_why_the_plan_is_empty(bare, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from shopkeeper.cli import app

    bare.close()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SHOPKEEPER_CONFIG", raising=False)
    result = CliRunner().invoke(app, ["--warehouse", str(tmp_path / "w.duckdb"), "plan"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "no suppliers loaded" in result.output and "no stock levels loaded" in result.output


def test_order_values_in_two_currencies_are_not_added_together(warehouse):
    rng = np.random.default_rng(3)
    usd = dict(_supplier("B", 5), currency="USD")
    demand_store(warehouse, {"A": rng.poisson(20, DAYS).astype(float),
                             "B": rng.poisson(20, DAYS).astype(float)},
                 suppliers=[_supplier("A", 5), usd], stock=[_stock("A", 0), _stock("B", 0)])
    forecast.forecast_demand(warehouse, horizon=28)
    plan = inventory.make_plan(warehouse, save=False)
    lines = plan.lines.set_index("product_id")
    assert lines.loc["A", "currency"] == "EUR" and lines.loc["B", "currency"] == "USD"
    assert lines.loc["B", "order_value"] > 0
    assert plan.order_value == pytest.approx(lines.loc["A", "order_value"])  # EUR only
    assert plan.order_values == {"EUR": pytest.approx(lines.loc["A", "order_value"]),
                                 "USD": pytest.approx(lines.loc["B", "order_value"])}
    assert any("suppliers quote in EUR, USD" in gap for gap in plan.gaps)
    with pytest.raises(inventory.PlanError, match="budget .* one currency"):
        inventory.make_plan(warehouse, inventory.PlanSettings(budget=100.0), save=False)



def test_a_sku_without_any_cost_does_not_count_as_a_second_currency(warehouse):
    rng = np.random.default_rng(3)
    demand_store(warehouse, {"A": rng.poisson(20, DAYS).astype(float),
                             "B": rng.poisson(20, DAYS).astype(float)},
                 suppliers=[_supplier("A", 5)], stock=[_stock("A", 0), _stock("B", 0)])
    warehouse.query("UPDATE products SET unit_cost = NULL, currency = 'BRL' WHERE product_id = 'B'")
    forecast.forecast_demand(warehouse, horizon=28)
    plan = inventory.make_plan(warehouse, inventory.PlanSettings(budget=10_000.0), save=False)
    assert list(plan.order_values) == ["EUR"]


def test_a_cancelled_order_does_not_make_steady_demand_look_erratic(warehouse):
    rng = np.random.default_rng(5)
    demand_store(warehouse, {"A": rng.poisson(20, DAYS).astype(float)},
                 suppliers=[_supplier("A", 5)], stock=[_stock("A", 100)])
    forecast.forecast_demand(warehouse, horizon=28)
    steady = inventory.make_plan(warehouse, save=False).lines["xyz"].iloc[0]
    warehouse.insert_df("orders", pd.DataFrame([{
        "order_id": "big", "status": "cancelled", "currency": "EUR", "channel": "web",
        "ordered_at": START + pd.Timedelta(days=DAYS - 10, hours=12)}]))
    warehouse.insert_df("order_lines", pd.DataFrame([{
        "order_id": "big", "line_number": 1, "product_id": "A", "quantity": 5000,
        "unit_price": 10.0, "line_amount": 50000.0, "currency": "EUR"}]))
    plan = inventory.make_plan(warehouse, save=False)
    assert steady != "Z" and plan.lines["xyz"].iloc[0] == steady  # ~20 a day, every week


def test_a_forecast_of_almost_nothing_has_no_order_by_date_and_does_not_crash(warehouse):
    """A long-faded SKU's ensemble can forecast a few billionths of a unit a day: its stock then
    lasts past any calendar (the demo's plan once stopped on the date overflow)."""
    rng = np.random.default_rng(3)
    demand_store(warehouse, {"A": rng.poisson(20, DAYS).astype(float),
                             "FADED": np.concatenate([[5.0, 3.0], np.zeros(DAYS - 2)])},
                 suppliers=[_supplier("A", 5), _supplier("FADED", 5)],
                 stock=[_stock("A", 0), _stock("FADED", 400)])
    forecast.forecast_demand(warehouse, horizon=28)
    warehouse.query("UPDATE forecasts SET yhat = 1e-9, lo_80 = 0, lo_95 = 0, hi_80 = 1e-9, "
                    "hi_95 = 1e-9 WHERE unique_id = 'FADED'")
    lines = inventory.make_plan(warehouse, save=False).lines.set_index("product_id")
    assert lines.loc["FADED", "suggested_qty"] == 0 and pd.isna(lines.loc["FADED", "order_by"])
    assert lines.loc["A", "suggested_qty"] > 0 and pd.notna(lines.loc["A", "order_by"])
