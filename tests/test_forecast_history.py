"""Forecasts on every history length, daily, weekly and monthly, with and without gaps.

Short histories are not expected to be forecast *well* here, only sanely: no exception, one
forecast per series and horizon step, finite non-negative values inside their intervals,
intervals with a width wherever the history varies, and a reason for every series.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shopkeeper import forecast
from tests.forecast_fixtures import demand_store

LENGTHS = [1, 2, 3, 5, 7, 8, 13, 14, 15, 27, 28, 29, 30, 31, 45, 56, 60, 61, 90, 91, 120, 182,
           364, 365, 366, 400]
# the pandas offset, season length and default horizon the warehouse path uses per frequency
FREQ = {"D": ("D", 7, 28), "W": ("W-MON", 52, 12), "M": ("MS", 12, 6)}
DAYS_PER_PERIOD = {"D": 1, "W": 7, "M": 30}
END = pd.Timestamp("2025-06-30")  # a Monday, and the start of no month: fine for every offset


def _periods(days: int, freq: str) -> int:
    return max(1, days // DAYS_PER_PERIOD[freq])


def _store(lengths: list[int], freq: str, *, gaps: bool, seed: int = 11) -> pd.DataFrame:
    """One Poisson(5) series per length (in periods), all ending on the same date, as a store
    of SKUs launched at different times; ``gaps`` drops about a tenth of the inner dates."""
    rng = np.random.default_rng(seed)
    offset = pd.tseries.frequencies.to_offset(FREQ[freq][0])
    end = offset.rollback(END)
    parts = []
    for n in lengths:
        ds = pd.date_range(end=end, periods=n, freq=offset)
        part = pd.DataFrame({"unique_id": f"{freq}{n:03d}", "ds": ds,
                             "y": rng.poisson(5, n).astype(float)})
        if gaps and n > 2:
            inner = part.index[1:-1]
            drop = rng.choice(inner, size=max(1, len(inner) // 10), replace=False)
            part = part.drop(index=drop)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def assert_sane(result: forecast.ForecastResult, history: pd.DataFrame, horizon: int,
                freq_alias: str) -> None:
    """The promises every forecast keeps, however short its history."""
    fc, choices = result.forecasts, result.choices
    ids = set(history["unique_id"])
    assert set(fc["unique_id"]) == ids
    assert fc.groupby("unique_id").size().eq(horizon).all()
    assert not fc.duplicated(["unique_id", "ds"]).any()
    offset = pd.tseries.frequencies.to_offset(freq_alias)
    first = fc.groupby("unique_id")["ds"].min()
    last_seen = history.groupby("unique_id")["ds"].max()
    assert (first == last_seen + offset).all(), "forecasts start the period after the history"
    cols = ["yhat", "lo_80", "hi_80", "lo_95", "hi_95"]
    values = fc[cols].to_numpy(dtype="float64")
    assert np.isfinite(values).all()
    assert (values >= 0).all()
    assert (fc["lo_95"] <= fc["lo_80"] + 1e-9).all() and (fc["lo_80"] <= fc["yhat"] + 1e-9).all()
    assert (fc["yhat"] <= fc["hi_80"] + 1e-9).all() and (fc["hi_80"] <= fc["hi_95"] + 1e-9).all()
    varies = history.groupby("unique_id")["y"].agg(lambda y: y.max() > y.min() or y.max() > 0)
    width = (fc["hi_95"] - fc["lo_95"]).groupby(fc["unique_id"]).min()
    flat = [uid for uid in varies.index[varies] if width[uid] <= 0]
    assert not flat, f"zero-width intervals for series with demand: {flat[:5]}"
    assert choices["unique_id"].is_unique and set(choices["unique_id"]) == ids
    assert choices["reason"].fillna("").str.len().gt(10).all()
    assert choices["model"].notna().all()


@pytest.mark.parametrize("gaps", [False, True], ids=["regular", "gaps"])
@pytest.mark.parametrize("freq", ["D", "W", "M"])
def test_a_store_mixing_every_history_length(freq, gaps):
    lengths = sorted({_periods(n, freq) for n in LENGTHS})
    alias, season, horizon = FREQ[freq]
    df = _store(lengths, freq, gaps=gaps)
    result = forecast.AutoForecaster(horizon, freq=alias, season_length=season,
                                     n_windows=2).fit(df).result_
    assert_sane(result, df, horizon, alias)


@pytest.mark.parametrize("n_windows", [1, 4])
@pytest.mark.parametrize("freq", ["D", "W", "M"])
@pytest.mark.parametrize("length", [1, 2, 8, 15, 30, 61, 91, 182])
def test_a_store_with_one_short_series(freq, length, n_windows):
    """No series long enough for a backtest window: the case that crashed."""
    alias, season, horizon = FREQ[freq]
    df = _store([_periods(length, freq)], freq, gaps=True)
    result = forecast.AutoForecaster(horizon, freq=alias, season_length=season,
                                     n_windows=n_windows).fit(df).result_
    assert_sane(result, df, horizon, alias)


def test_missing_dates_are_zero_demand_and_said_so():
    # sales every other day only: the missing days are days without sales, not absent days
    ds = pd.date_range("2024-01-01", periods=120, freq="2D")
    df = pd.DataFrame({"unique_id": "a", "ds": ds, "y": 10.0})
    result = forecast.AutoForecaster(7, models=["historic_average"]).fit(df).result_
    assert result.forecasts["yhat"].to_numpy() == pytest.approx(5.0, rel=0.02)
    assert "119 missing dates filled with 0" in result.choices["reason"].iloc[0]
    assert any("missing dates" in note for note in result.notes)


def test_gaps_with_lightgbm_do_not_raise():
    rng = np.random.default_rng(2)
    df = _store([300, 250], "D", gaps=True)
    df["y"] = rng.poisson(4, len(df)).astype(float)
    result = forecast.AutoForecaster(14, models=["lightgbm", "naive"]).fit(df).result_
    assert_sane(result, df, 14, "D")
    assert result.backtest["lightgbm"].notna().any()


def test_dates_off_the_calendar_are_a_clear_error():
    df = pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2024-01-03", periods=30, freq="7D"),
                       "y": 1.0})  # Wednesdays, for weeks that start on Monday
    with pytest.raises(forecast.ForecastError, match="series 'a'.*2024-01-03.*W-MON"):
        forecast.AutoForecaster(4, freq="W-MON", season_length=52).fit(df)
    noon = pd.DataFrame({"unique_id": "a", "ds": pd.to_datetime(["2024-01-01 12:00"]), "y": 1.0})
    with pytest.raises(forecast.ForecastError, match="2024-01-01 12:00:00 that is not on the D"):
        forecast.AutoForecaster(4).fit(noon)
    twice = pd.DataFrame({"unique_id": "a", "ds": pd.to_datetime(["2024-01-01"] * 2), "y": 1.0})
    with pytest.raises(forecast.ForecastError, match="series 'a' has 2 rows on 2024-01-01"):
        forecast.AutoForecaster(4).fit(twice)


def test_too_short_for_the_windows_asked_backtests_fewer_and_says_so():
    # 100 weeks: not two years of seasons plus 4 windows of 12 weeks, but enough for 4 windows
    # of a model without a yearly season
    df = _store([100], "W", gaps=False)
    result = forecast.AutoForecaster(12, freq="W-MON", season_length=52, n_windows=4,
                                     models=["auto_ets", "naive"]).fit(df).result_
    assert result.backtest["cutoff"].nunique() == 4
    assert "without the season of 52" in result.choices["reason"].iloc[0]
    # 40 weeks: only two windows fit
    df = _store([40], "W", gaps=False)
    result = forecast.AutoForecaster(12, freq="W-MON", season_length=52, n_windows=4,
                                     models=["auto_ets", "naive"]).fit(df).result_
    assert result.backtest["cutoff"].nunique() == 2
    assert "2 backtest windows of the 4 asked" in result.choices["reason"].iloc[0]
    assert any("fewer backtest windows" in note for note in result.notes)


def _warehouse_sweep(warehouse, days: int, freq: str, kind: str) -> None:
    rng = np.random.default_rng(days)
    qty = rng.poisson(3, days).astype(float)
    qty[rng.random(days) < 0.15] = 0  # days without an order: no row at all in the store
    qty[0] = qty[-1] = 2  # the store's first and last day
    young = np.where(np.arange(days) >= days - max(1, days // 3), qty, 0.0)  # a late launch
    demand_store(warehouse, {"A": qty, "B": young})
    if freq != "D" and days < 2 * DAYS_PER_PERIOD[freq]:
        # maybe not one complete week or month: that must be a clear error, not a crash
        try:
            forecast.build_series(warehouse, freq=freq)
        except forecast.ForecastError as exc:
            assert "no complete" in str(exc)
            with pytest.raises(forecast.ForecastError, match="no complete"):
                forecast.forecast_demand(warehouse, freq=freq, kind=kind)
            return
    run = forecast.forecast_demand(warehouse, freq=freq, kind=kind,
                                   n_windows=3 if kind == "backtest" else 2)
    series = run.series
    alias, _, horizon = FREQ[freq]
    assert_sane(run.result, series.df, horizon, alias)
    stored = warehouse.query("SELECT count(*) FROM model_choices WHERE run_id = ?",
                             [run.run_id])
    assert stored == [(series.n_series,)]


FAST_DAYS = [1, 8, 30, 60, 91, 400]


@pytest.mark.parametrize("kind", ["forecast", "backtest"])
@pytest.mark.parametrize("freq", ["D", "W", "M"])
@pytest.mark.parametrize("days", FAST_DAYS)
def test_warehouse_store_of_each_length(warehouse, days, freq, kind):
    _warehouse_sweep(warehouse, days, freq, kind)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["forecast", "backtest"])
@pytest.mark.parametrize("freq", ["D", "W", "M"])
@pytest.mark.parametrize("days", [d for d in LENGTHS if d not in FAST_DAYS])
def test_warehouse_store_of_every_listed_length(warehouse, days, freq, kind):
    _warehouse_sweep(warehouse, days, freq, kind)


@pytest.mark.slow
@pytest.mark.parametrize("gaps", [False, True], ids=["regular", "gaps"])
@pytest.mark.parametrize("freq", ["D", "W", "M"])
def test_every_length_from_1_to_400_days(freq, gaps):
    lengths = sorted({_periods(n, freq) for n in range(1, 401)})
    alias, season, horizon = FREQ[freq]
    df = _store(lengths, freq, gaps=gaps)
    # the lengths are the point here, not the models: the quick ones of each family (AutoETS
    # and AutoARIMA run on every listed length in the mixed-store test above)
    models = ["seasonal_naive", "window_average", "dynamic_theta", "tsb", "lightgbm", "ensemble"]
    result = forecast.AutoForecaster(horizon, freq=alias, season_length=season, n_windows=2,
                                     models=models).fit(df).result_
    assert_sane(result, df, horizon, alias)



def test_a_run_reports_every_step_with_counts(warehouse):
    rng = np.random.default_rng(4)
    demand_store(warehouse, {f"S{i:02d}": rng.poisson(4, 120).astype(float) for i in range(40)})
    phases: list[str] = []
    run = forecast.forecast_demand(warehouse, horizon=7, models=["naive", "window_average"],
                                   progress=lambda phase, fraction: phases.append(phase))
    assert phases[0] == "reading demand series from the warehouse"
    batches = [p for p in phases if p.startswith("forecasting ")]
    assert batches[0] == "forecasting 0/40 series (smooth)"
    assert batches[1] == "forecasting 8/40 series (smooth)"  # a small first batch, then sized
    for step in ("scoring the backtest of 40 series", "choosing a model for each of 40 series",
                 f"storing run {run.run_id}: 280 forecast rows"):
        assert step in phases
    assert phases[-1] == "done"


@pytest.mark.parametrize(("models", "freq"), [(["lightgbm"], "D"), (["mstl"], "W"),
                                              (["mstl", "lightgbm", "ensemble"], "W")])
def test_models_that_cannot_forecast_a_series_fall_back_to_its_mean(models, freq):
    alias, season, horizon = FREQ[freq]
    df = _store([_periods(400, freq), _periods(60, freq)], freq, gaps=True)
    result = forecast.AutoForecaster(horizon, freq=alias, season_length=season,
                                     models=models).fit(df).result_
    assert_sane(result, df, horizon, alias)
    fallback = result.choices[result.choices["reason"].str.contains("gives no forecast")]
    assert len(fallback) >= 1 and (fallback["model"] == forecast.SHORT_HISTORY_MODEL).all()
    assert (result.forecasts["yhat"] > 0).all()  # a selling SKU is never forecast zero by default


def test_an_ensemble_of_nothing_is_refused():
    with pytest.raises(forecast.ForecastError, match="name at least two besides it"):
        forecast.AutoForecaster(7, models=["ensemble"]).fit(_store([100], "D", gaps=False))
