"""Real M5 demand: the automatic choice beats the seasonal naive baseline on held-out days."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.conftest import shared_file

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))


@pytest.fixture(scope="module")
def m5():
    folder = shared_file("demand/m5_foods3_tx3/sales_train_validation_afcs2025.csv").parent
    from forecast_m5 import load_m5

    train, test, exog = load_m5(folder)
    keep = train["unique_id"].drop_duplicates().head(60)
    return train[train["unique_id"].isin(keep)], test[test["unique_id"].isin(keep)], exog


def test_auto_beats_seasonal_naive_on_held_out_m5_days(m5):
    from forecast_m5 import score
    from statsforecast import StatsForecast
    from statsforecast.models import SeasonalNaive

    from shopkeeper.forecast import AutoForecaster

    train, test, exog = m5
    auto = AutoForecaster(28, n_windows=2, input_size=365, lgbm_input_size=400).fit(
        train, exog=exog)
    ours = score(test, train, auto.predict())
    naive = StatsForecast(models=[SeasonalNaive(7)], freq="D").forecast(df=train, h=28)
    baseline = score(test, train, naive.rename(columns={"SeasonalNaive": "yhat"}))
    assert ours["rmsse"] < 0.9 * baseline["rmsse"]
    assert ours["wape"] < baseline["wape"]
    fc = auto.predict().merge(test, on=["unique_id", "ds"])
    coverage = ((fc["y"] >= fc["lo_95"]) & (fc["y"] <= fc["hi_95"])).mean()
    assert 0.85 <= coverage <= 1.0  # conformal 95% intervals from the backtest errors
    reasons = auto.result_.choices["reason"]
    assert reasons.str.contains("backtest").all()
