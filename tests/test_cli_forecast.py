"""forecast, backtest and plan from the command line, on a small store with known demand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from shopkeeper.cli import app
from shopkeeper.store import Warehouse
from tests.forecast_fixtures import START, demand_store

runner = CliRunner()


@pytest.fixture
def store_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SHOPKEEPER_CONFIG", raising=False)
    rng = np.random.default_rng(5)
    days = 200
    with Warehouse(tmp_path / "shopkeeper-data" / "warehouse.duckdb") as wh:
        demand_store(
            wh, {"A": rng.poisson(8, days).astype(float), "B": rng.poisson(1, days).astype(float)},
            suppliers=[{"product_id": p, "supplier_id": "S1", "unit_cost": 2.0, "currency": "EUR",
                        "lead_time_days": 5.0, "moq": 10, "order_multiple": 5} for p in "AB"],
            stock=[{"product_id": p, "location": "main", "on_hand": 3,
                    "snapshot_at": START + pd.Timedelta(days=days - 1, hours=23)} for p in "AB"],
        )
    return tmp_path


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_forecast_backtest_plan_approve(store_dir):
    result = invoke("forecast", "--horizon", "14", "--chart", "A")
    assert result.exit_code == 0, result.output
    assert "2 series, 28 forecast rows" in result.output
    assert (store_dir / "shopkeeper-data" / "out" / "chart-A.html").exists()

    result = invoke("backtest", "--horizon", "7", "--windows", "3", "--models", "naive,tsb")
    assert result.exit_code == 0, result.output
    assert "3 windows" in result.output and "tsb" in result.output

    result = invoke("plan", "--export", "plan.csv")
    assert result.exit_code == 0, result.output
    plan = pd.read_csv(store_dir / "plan.csv")
    assert set(plan["product_id"]) == {"A", "B"}
    assert (plan.loc[plan["suggested_qty"] > 0, "suggested_qty"] % 5 == 0).all()
    assert (plan.loc[plan["suggested_qty"] > 0, "suggested_qty"] >= 10).all()
    plan_id = result.output.split("--approve ")[1].split()[0]
    assert invoke("plan", "--approve", plan_id, "--by", "me").exit_code == 0


def test_bad_options_are_one_line_errors(store_dir):
    result = invoke("forecast", "--freq", "Q")
    assert result.exit_code == 1
    assert "unknown frequency 'Q'" in result.output and "Traceback" not in result.output
    result = invoke("plan")
    assert result.exit_code == 1 and "run 'shopkeeper forecast' first" in result.output
    assert invoke("forecast", "--horizon", "7", "--models", "naive").exit_code == 0
    result = invoke("plan", "--export", "plan.pdf")
    assert result.exit_code == 1 and "use a .csv or .xlsx file name" in result.output
    result = invoke("plan", "--service", "A=1.5")
    assert result.exit_code == 1 and "between 0 and 1" in result.output
