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
    result = invoke("forecast", "--horizon", "14")
    assert result.exit_code == 0, result.output
    assert "2 series, 28 forecast rows" in result.output
    result = invoke("forecast", "--chart", "A")
    assert result.exit_code == 0, result.output
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


def _runs(store_dir) -> list[tuple]:
    with Warehouse(store_dir / "shopkeeper-data" / "warehouse.duckdb", read_only=True) as wh:
        return wh.query("SELECT run_id, kind, n_series FROM forecast_runs ORDER BY created_at")


def test_chart_draws_from_the_stored_forecast_without_forecasting_again(store_dir):
    assert invoke("forecast", "--horizon", "14").exit_code == 0
    runs = _runs(store_dir)
    result = invoke("forecast", "--chart", "B", "--png")
    assert result.exit_code == 0, result.output
    assert f"from stored forecast run {runs[0][0]}" in result.output
    assert _runs(store_dir) == runs  # nothing was forecast again
    out = store_dir / "shopkeeper-data" / "out"
    assert (out / "chart-B.html").exists() and (out / "chart-B.png").exists()
    result = invoke("forecast", "--chart", "NOPE")
    assert result.exit_code == 1 and "no sales of NOPE" in result.output
    assert "Traceback" not in result.output


def test_chart_without_a_stored_forecast_forecasts_that_sku_alone(store_dir):
    result = invoke("forecast", "--chart", "A")
    assert result.exit_code == 0, result.output
    assert "no stored forecast of A: forecast A alone" in result.output
    [(run_id, kind, n_series)] = _runs(store_dir)
    assert (kind, n_series) == ("chart", 1)
    # the single-SKU run serves the next chart of A, and plans never read it
    result = invoke("forecast", "--chart", "A")
    assert f"from stored forecast run {run_id}" in result.output and len(_runs(store_dir)) == 1
    result = invoke("plan")
    assert result.exit_code == 1 and "run 'shopkeeper forecast' first" in result.output


@pytest.fixture
def short_store(tmp_path, monkeypatch, request):
    """A store with ``request.param`` days of sales of three SKUs, one launched late."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SHOPKEEPER_CONFIG", raising=False)
    rng = np.random.default_rng(8)
    days = request.param
    with Warehouse(tmp_path / "shopkeeper-data" / "warehouse.duckdb") as wh:
        demand_store(wh, {"A": rng.poisson(6, days).astype(float),
                          "B": rng.poisson(0.5, days).astype(float),
                          "C": np.where(np.arange(days) >= days - 10, 3.0, 0.0)})
    return tmp_path


@pytest.mark.parametrize("short_store", [30, 60], indirect=True)
def test_short_store_forecasts_and_backtests_with_reasons(short_store):
    result = invoke("forecast")
    assert result.exit_code == 0, result.output
    assert "3 series, 84 forecast rows" in result.output
    assert "too short to backtest" in result.output
    result = invoke("backtest", "--freq", "W", "--windows", "4")
    assert result.exit_code == 0, result.output
    assert "no series is long enough to backtest one 12-week window" in result.output
    assert "Traceback" not in result.output


def test_two_year_weekly_backtest_uses_the_windows_that_fit(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SHOPKEEPER_CONFIG", raising=False)
    rng = np.random.default_rng(9)
    with Warehouse(tmp_path / "shopkeeper-data" / "warehouse.duckdb") as wh:
        demand_store(wh, {"A": rng.poisson(6, 730).astype(float)})
    result = invoke("backtest", "--freq", "W", "--windows", "4", "--models", "auto_ets,naive")
    assert result.exit_code == 0, result.output
    assert "without the season of 52 weeks" in result.output
    with Warehouse(tmp_path / "shopkeeper-data" / "warehouse.duckdb", read_only=True) as wh:
        assert wh.query("SELECT count(DISTINCT model) FROM backtest_scores") == [(2,)]


def test_explain_shows_the_choice_and_its_candidates_in_both_languages(store_dir):
    result = invoke("forecast", "explain", "A")
    assert result.exit_code == 0 and "no stored forecast holds A yet" in result.output
    assert invoke("forecast", "--horizon", "14").exit_code == 0
    runs = _runs(store_dir)
    result = invoke("forecast", "explain", "A")
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"forecast run {runs[0][0]}" in out and "chosen:" in out and "why:" in out
    assert "candidates, by backtest RMSSE" in out and "✓" in out  # the chosen one is marked
    assert "auto_ets" in out  # a candidate's row (A sells steadily: the smooth pool)
    zh = invoke("forecast", "explain", "A", "--lang", "zh").output
    assert "选用方法" in zh and "候选模型" in zh and f"预测批次 {runs[0][0]}" in zh
    assert "回测" in zh.split("原因:")[1].splitlines()[0]  # the reason itself in Chinese
    assert _runs(store_dir) == runs  # explaining forecasts nothing
    result = invoke("forecast", "explain", "NOPE")
    assert result.exit_code == 1 and "no SKU 'NOPE'" in result.output
