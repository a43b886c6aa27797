"""Forecasting: series building, demand classes, edge cases, selection, hierarchy, storage."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from shopkeeper import forecast
from tests.forecast_fixtures import START, demand_store

RNG = np.random.default_rng(7)


def _long(series: dict[str, np.ndarray]) -> pd.DataFrame:
    return pd.concat(
        pd.DataFrame({"unique_id": k, "ds": pd.date_range("2024-01-01", periods=len(v)), "y": v})
        for k, v in series.items()
    )


def test_demand_classes_on_constructed_series():
    n = 200
    smooth = 20 + RNG.normal(0, 2, n).round()
    erratic = RNG.choice([1, 5, 40], n).astype(float)
    intermittent = np.where(np.arange(n) % 4 == 0, 10.0, 0.0)
    lumpy = np.where(np.arange(n) % 4 == 0, RNG.choice([1.0, 30.0], n), 0.0)
    late = np.concatenate([np.zeros(150), 20 + RNG.normal(0, 1, 50).round()])
    classes = forecast.classify_demand(_long({
        "smooth": smooth, "erratic": erratic, "intermittent": intermittent, "lumpy": lumpy,
        "zeros": np.zeros(n), "late_launch": late,
    })).set_index("unique_id")
    assert classes.loc["smooth", "demand_class"] == "smooth"
    assert classes.loc["erratic", "demand_class"] == "erratic"
    assert classes.loc["intermittent", "demand_class"] == "intermittent"
    assert classes.loc["intermittent", "adi"] == pytest.approx(4.0, abs=0.05)
    assert classes.loc["lumpy", "demand_class"] == "lumpy"
    assert classes.loc["zeros", "demand_class"] == "no_demand"
    # zeros before the first sale are not intermittency
    assert classes.loc["late_launch", "demand_class"] == "smooth"


def test_edge_series_get_sensible_forecasts_not_crashes():
    weekly = np.tile([5, 6, 7, 8, 9, 20, 25], 30).astype(float)
    df = _long({"regular": weekly, "all_zero": np.zeros(210), "single": np.array([12.0]),
                "short": np.array([3.0, 0, 4, 5, 0])})
    result = forecast.AutoForecaster(14, n_windows=2).fit(df).result_
    fc = result.forecasts.set_index(["unique_id", "ds"]).sort_index()
    choices = result.choices.set_index("unique_id")
    assert set(fc.index.get_level_values(0)) == {"regular", "all_zero", "single", "short"}
    assert (fc.loc["all_zero", "yhat"] == 0).all()
    assert choices.loc["all_zero", "model"] == "zero"
    # one order of 12 is spread over four weeks, not repeated every day
    assert fc.loc["single", "yhat"].iloc[0] == pytest.approx(12 / 28)
    assert "too short to backtest: history 1 days" in choices.loc["single", "reason"]
    assert fc.loc["short", "yhat"].iloc[0] == pytest.approx(12 / 28)
    regular = fc.loc["regular"]
    assert len(regular) == 14 and np.isfinite(regular["yhat"]).all()
    # weekly pattern is kept: the weekend peak is forecast above the weekday level
    assert regular["yhat"].max() > 1.5 * regular["yhat"].min()
    assert (regular["lo_95"] <= regular["lo_80"]).all() and (regular["hi_80"] <= regular["hi_95"]).all()
    assert (fc["lo_95"] >= 0).all()


def test_gap_in_input_is_a_clear_error():
    df = _long({"a": np.array([1.0, np.nan, 3.0] * 20)})
    with pytest.raises(ValueError, match="series 'a' has no value on"):
        forecast.AutoForecaster(7).fit(df)


def test_unknown_model_is_named():
    with pytest.raises(ValueError, match="unknown model"):
        forecast.AutoForecaster(7, models=["prophet"]).fit(_long({"a": np.ones(100)}))


def test_build_series_fills_gaps_and_imputes_stockouts(warehouse):
    qty = np.array([5, 0, 5, 5, 5, 5, 5, 0, 0, 5] * 6, dtype=float)
    # days 30-34 the shelf was empty: zero sales there are censored demand
    snaps = [{"product_id": "A", "location": "main", "on_hand": 0 if 30 <= d <= 34 else 10,
              "snapshot_at": START + pd.Timedelta(days=d, hours=23)} for d in range(60)]
    qty[30:35] = 0
    demand_store(warehouse, {"A": qty, "B": np.array([0, 0, 2, 0, 3] + [0] * 55, float)},
                 snapshots=snaps)
    series = forecast.build_series(warehouse, level="sku", freq="D")
    df = series.df.set_index(["unique_id", "ds"])
    a = df.loc["A"]
    assert len(a) == 60 and a.index.is_monotonic_increasing  # every day present
    assert (a["y"].iloc[[1, 7, 8]] == 0).all()  # real zero-sale days stay zero
    assert a["stockout_days"].sum() == 5
    assert (a["y"].iloc[30:35] > 2).all()  # imputed at the recent in-stock rate (~3.5/day)
    b = df.loc["B"]
    assert b.index.min() == START.tz_localize(None) + pd.Timedelta(days=2)  # starts at first sale
    assert len(b) == 58 and b["y"].sum() == 5
    weekly = forecast.build_series(warehouse, level="total", freq="W", handle_stockouts=False)
    assert weekly.df["unique_id"].unique().tolist() == ["total"]
    assert (weekly.df["ds"].dt.dayofweek == 0).all()  # weeks start on Monday
    # only complete weeks: 60 days from a Monday = 8 full weeks + 4 days
    assert len(weekly.df) == 8


@pytest.mark.parametrize("level", ["sku", "sku_channel", "category", "total"])
def test_build_series_in_sku_batches_matches_one_statement(warehouse, monkeypatch, level):
    rng = np.random.default_rng(3)
    demand_store(warehouse, {f"S{i}": rng.poisson(1.5, 40).astype(float) for i in range(12)},
                 categories={f"S{i}": f"c{i % 3}" for i in range(12)})
    whole = forecast.build_series(warehouse, level=level, freq="D").df
    monkeypatch.setattr("shopkeeper.forecast.series.GRID_ROWS_PER_BATCH", 100)  # ~5 batches
    batched = forecast.build_series(warehouse, level=level, freq="D").df
    pd.testing.assert_frame_equal(batched, whole)
    assert len(whole) > 0


def test_release_memory_keeps_the_limit_and_the_data(warehouse):
    demand_store(warehouse, {"A": np.ones(30)})
    limit = warehouse.query("SELECT current_setting('memory_limit')")
    warehouse.release_memory()
    assert warehouse.query("SELECT current_setting('memory_limit')") == limit
    assert warehouse.query("SELECT sum(quantity) FROM order_lines") == [(30,)]


def test_build_series_without_orders_says_what_to_do(warehouse):
    with pytest.raises(forecast.ForecastError, match="no order lines"):
        forecast.build_series(warehouse)


def test_forecast_run_is_stored_and_hierarchy_adds_up(warehouse):
    n = 200  # enough history for the LightGBM features too
    t = np.arange(n)
    series = {
        "A": (10 + 5 * np.sin(2 * np.pi * t / 7) + RNG.normal(0, 1, n)).round().clip(0),
        "B": RNG.poisson(3, n).astype(float),
        "C": np.where(t % 5 == 0, RNG.poisson(8, n), 0).astype(float),
    }
    demand_store(warehouse, series, categories={"A": "toys", "B": "toys", "C": "garden"})
    run = forecast.forecast_demand(warehouse, horizon=14, hierarchy=True)
    fc = run.forecasts.pivot(index="ds", columns="unique_id", values="yhat")
    assert set(fc.columns) == {"total", "category:toys", "category:garden", "A", "B", "C"}
    np.testing.assert_allclose(fc["category:toys"], fc["A"] + fc["B"], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(fc["total"], fc["A"] + fc["B"] + fc["C"], rtol=1e-6, atol=1e-6)
    stored = warehouse.query(
        "SELECT count(*), count(DISTINCT unique_id) FROM forecasts WHERE run_id = ?",
        [run.run_id])
    assert stored == [(6 * 14, 6)]
    meta = warehouse.query("SELECT level, horizon, n_windows, cutoff FROM forecast_runs")
    assert meta == [("hierarchy", 14, 2, (START + pd.Timedelta(days=n - 1)).date())]
    scores = warehouse.query_df("SELECT * FROM backtest_scores WHERE run_id = ?", [run.run_id])
    assert {"auto_ets", "lightgbm", "ensemble", "tsb"} <= set(scores["model"])
    assert scores[["mae", "rmse"]].notna().all().all()
    choices = forecast.load_choices(warehouse, run.run_id)
    assert choices["reason"].str.len().gt(10).all()
    assert forecast.latest_run_id(warehouse, level="hierarchy") == run.run_id


def test_backtest_scores_match_hand_computation():
    y = np.tile([2.0, 4.0], 60)
    result = forecast.AutoForecaster(4, n_windows=2, models=["naive", "seasonal_naive"],
                                     season_length=2).fit(_long({"a": y})).result_
    scores = result.scores.set_index("model")
    # seasonal naive is perfect on a period-2 cycle; naive repeats the last value, so it is
    # right every other period and 2 off in between
    assert scores.loc["seasonal_naive", "mae"] == pytest.approx(0.0)
    assert scores.loc["naive", "mae"] == pytest.approx(1.0)
    assert scores.loc["naive", "rmse"] == pytest.approx(np.sqrt(2))
    assert scores.loc["naive", "rmsse"] == pytest.approx(np.sqrt(2) / 2)  # one-step naive error 2
    assert result.choices["model"].iloc[0] == "seasonal_naive"


def test_closed_weekdays_get_no_demand_and_keep_the_weekly_total(warehouse):
    days = 210
    dates = pd.date_range(START.tz_localize(None), periods=days)
    qty = np.where(dates.dayofweek == 6, 0, RNG.poisson(6, days)).astype(float)  # shut Sundays
    demand_store(warehouse, {"A": qty})
    run = forecast.forecast_demand(warehouse, horizon=14)
    assert run.params["closed_weekdays"] == [6]
    fc = run.forecasts.set_index("ds")
    sundays = fc.index.dayofweek == 6
    assert (fc.loc[sundays, ["yhat", "hi_95"]] == 0).all().all()
    assert (fc.loc[~sundays, "yhat"] > 0).all()
    base = run.result.candidates.set_index("ds")[run.result.choices["model"].iloc[0]]
    assert fc["yhat"].sum() == pytest.approx(base.clip(lower=0).sum(), rel=1e-9)


def test_mase_of_a_history_shorter_than_its_season_is_scaled_by_the_one_step_naive():
    """A year of weekly history has no seasonal naive error at season 52: MASE must fall back to
    the one-step scale instead of coming out NaN for every series (as the README's weekly
    backtest on the demo showed)."""
    from shopkeeper.forecast.metrics import score_backtest

    rng = np.random.default_rng(0)
    ds = pd.date_range("2024-01-07", periods=40, freq="W")
    history = pd.DataFrame({"unique_id": "A", "ds": ds[:36], "y": rng.poisson(5, 36)})
    backtest = pd.DataFrame({"unique_id": "A", "ds": ds[36:], "cutoff": ds[35],
                             "y": rng.poisson(5, 4).astype(float), "m": 5.0})
    scores = score_backtest(backtest, history, season_length=52, levels=())
    assert np.isfinite(scores["mase"]).all() and (scores["mase"] > 0).all()
    one_step = np.abs(np.diff(history["y"])).mean()
    expected = np.abs(backtest["y"] - 5.0).mean() / one_step
    assert scores["mase"].iloc[0] == pytest.approx(expected)


def test_auto_arima_joins_only_the_smooth_pool_of_monthly_data():
    """AutoARIMA is fitted per series and window: on every erratic and lumpy SKU of a store it
    turned the README's weekly backtest into an hour; the intermittent models cover those. With
    a 52-week season it takes about 25 s a series and fit, so weekly data goes without it."""
    monthly = forecast.AutoForecaster(horizon=6, freq="MS", season_length=12)._pools(
        pd.DataFrame())
    assert "auto_arima" in monthly["smooth"]
    assert all("auto_arima" not in monthly[c] for c in ("erratic", "intermittent", "lumpy"))
    weekly = forecast.AutoForecaster(horizon=4, freq="W-MON", season_length=52)._pools(
        pd.DataFrame())
    assert all("auto_arima" not in pool for pool in weekly.values())
    # summed to weeks, sparse items are candidates for AutoETS too; by day they are not
    assert "auto_ets_noseason" in weekly["intermittent"] and "auto_ets_noseason" in weekly["lumpy"]
    daily = forecast.AutoForecaster(horizon=28)._pools(pd.DataFrame())
    assert "auto_ets_noseason" not in daily["intermittent"]


def test_a_single_model_replaces_the_ensemble_only_when_it_wins_every_window():
    from shopkeeper.forecast.auto import AutoForecaster, _window_rmse

    cutoffs = pd.to_datetime(["2024-01-07", "2024-01-14"])
    backtest = pd.DataFrame({
        "unique_id": "a",
        "ds": pd.date_range("2024-01-08", periods=14),
        "cutoff": np.repeat(cutoffs, 7),
        "y": 10.0,
        # tsb is exact in the first window and far off in the second; ets is a little better
        # than the ensemble in both
        "tsb": [10.0] * 7 + [16.0] * 7,
        "auto_ets": [11.0] * 14,
        "ensemble": [12.0] * 7 + [12.5] * 7,
    })
    by_window = _window_rmse(backtest)
    assert by_window.loc[("a", cutoffs[1]), "tsb"] == pytest.approx(6.0)
    assert by_window.loc[("a", cutoffs[0]), "ensemble"] == pytest.approx(2.0)

    auto = AutoForecaster(14, switch_margin=0.1)  # 2 windows × 14 days: enough points
    pool, members = ["tsb", "auto_ets"], ["tsb", "auto_ets"]
    overall = pd.Series({"tsb": 0.5, "auto_ets": 1.0, "ensemble": 2.3})  # tsb best overall
    model, reason = auto._choose_one(overall, by_window.loc["a"], pool, members)
    assert model == "ensemble" and "every one of the 2 windows" in reason
    # a model that wins every window by the margin is chosen
    steady = backtest.assign(tsb=10.5)
    model, reason = auto._choose_one(overall, _window_rmse(steady).loc["a"], pool, members)
    assert model == "tsb" and "each of the 2 windows" in reason
    # nor are two windows of four weeks: 8 points (on M5 weeks, switching cost 3% RMSSE)
    weekly = AutoForecaster(4, freq="W-MON", season_length=52, switch_margin=0.1)
    model, reason = weekly._choose_one(overall, _window_rmse(steady).loc["a"], pool, members)
    assert model == "ensemble" and "8 backtest points" in reason
    # one window is not enough evidence to leave the ensemble
    model, reason = auto._choose_one(overall, by_window.loc["a"].iloc[:1], pool, members)
    assert model == "ensemble" and "one backtest window" in reason


def test_the_global_model_keeps_each_series_level_on_a_young_store():
    """200 days of two SKUs selling 1 and 8 a day: few training rows, yet LightGBM's backtest
    follows each SKU's own level, not the pooled mean (a tried tweedie model on raw counts did
    not: +1.9 a day on the slow one)."""
    rng = np.random.default_rng(5)
    days = pd.date_range("2024-01-01", periods=200, freq="D")
    df = pd.concat([pd.DataFrame({"unique_id": uid, "ds": days,
                                  "y": rng.poisson(rate, len(days)).astype(float)})
                    for uid, rate in (("slow", 1.0), ("fast", 8.0))])
    auto = forecast.AutoForecaster(14, models=["lightgbm", "auto_ets"], n_windows=2).fit(df)
    bt = auto.result_.backtest
    level = bt.groupby("unique_id")[["lightgbm", "y"]].mean()
    for uid in ("slow", "fast"):  # the pooled mean is about 4.5 a day
        assert level.loc[uid, "lightgbm"] == pytest.approx(level.loc[uid, "y"], rel=0.25)
    assert (auto.predict()["yhat"] >= 0).all()


def test_every_kind_of_reason_reads_in_chinese():
    """Reasons from real runs (steady, gappy, young, too short, weekly without the season) have
    no English left in Chinese but model names, RMSE and max()."""
    from shopkeeper.forecast.reasons import reason_zh

    rng = np.random.default_rng(3)
    frames = []
    for uid, n, rate in (("steady", 300, 6.0), ("young", 70, 2.0), ("tiny", 12, 1.0)):
        ds = pd.date_range("2024-01-01", periods=n, freq="D")
        frames.append(pd.DataFrame({"unique_id": uid, "ds": ds,
                                    "y": rng.poisson(rate, n).astype(float)}))
    daily = pd.concat(frames)
    daily = daily.drop(daily[(daily["unique_id"] == "steady")].index[100:103])  # a gap
    weekly = pd.DataFrame({"unique_id": "w", "ds": pd.date_range("2023-01-02", periods=80,
                                                                 freq="W-MON"),
                           "y": rng.poisson(40, 80).astype(float)})
    reasons = list(forecast.AutoForecaster(28).fit(daily).result_.choices["reason"])
    reasons += list(forecast.AutoForecaster(12, freq="W-MON", season_length=52)
                    .fit(weekly).result_.choices["reason"])
    allowed = set(forecast.ALL_MODELS) | {forecast.SHORT_HISTORY_MODEL, "RMSE", "LightGBM", "max"}
    for reason in reasons:
        zh = reason_zh(reason)
        left = set(re.findall(r"[A-Za-z_]+", zh)) - allowed
        assert not left, (reason, zh)
    assert len(set(reasons)) >= 4


def test_interval_scales_stretch_widths_that_covered_too_little_in_the_held_out_window():
    from shopkeeper.forecast.metrics import interval_scales

    rng = np.random.default_rng(0)
    cutoffs = pd.to_datetime(["2024-01-31", "2024-02-29", "2024-03-31"])

    def backtest(spreads):
        rows = []
        for uid in ("a", "b", "c"):
            for cutoff, spread in zip(cutoffs, spreads, strict=True):
                y = rng.normal(10, spread, 28)
                rows.append(pd.DataFrame({"unique_id": uid, "cutoff": cutoff, "y": y,
                                          "ds": cutoff + pd.to_timedelta(np.arange(1, 29), "D"),
                                          "m": 10.0}))
        return pd.concat(rows, ignore_index=True)

    chosen = pd.Series("m", index=["a", "b", "c"])
    # normal errors: the 80% and 95% half-widths are about 1.28 and 1.96 RMSEs
    steady = interval_scales(backtest([1.0, 1.0, 1.0]), chosen, (80, 95))
    assert 1.0 <= steady[80] <= 1.6 and 1.6 <= steady[95] <= 2.4
    # errors that grow window by window: the RMSEs of earlier windows are too small
    growing = interval_scales(backtest([0.5, 1.0, 2.0]), chosen, (80, 95))
    assert growing[80] > 1.3 * steady[80] and growing[95] > 1.3 * steady[95]
    one_window = backtest([1.0, 1.0, 1.0])
    one_window = one_window[one_window["cutoff"] == cutoffs[0]]
    alone = interval_scales(one_window, chosen, (80, 95))
    assert 1.0 <= alone[80] <= 1.6 and alone[95] > alone[80]
