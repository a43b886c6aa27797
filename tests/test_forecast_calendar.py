"""The store's calendar in daily forecasts: closed days are zero ahead and missing behind,
holidays and promotions reach the global model, and a merchant loads it as a CSV."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shopkeeper import forecast, store
from tests.forecast_fixtures import START, demand_store

DAYS = 240


@pytest.fixture
def shop(warehouse):
    """Two SKUs selling about 10 and 3 a day; the store was shut for the last 10 days of its
    history but one (nothing sold), and promotions lift sales on a day a week."""
    rng = np.random.default_rng(11)
    promo = np.zeros(DAYS, dtype=bool)
    promo[::7] = True
    shut = np.zeros(DAYS, dtype=bool)
    shut[DAYS - 11:DAYS - 1] = True
    series = {}
    for sku, rate in (("A", 10.0), ("B", 3.0)):
        qty = rng.poisson(rate * np.where(promo, 2.0, 1.0)).astype(float)
        qty[shut] = 0
        series[sku] = qty
    demand_store(warehouse, series)
    return warehouse, promo, shut


def _calendar_csv(path, promo, shut, future_closed):
    day0 = START.date()
    rows = [{"日期": str(day0 + pd.Timedelta(days=i)), "闭店": "是" if shut[i] else "否",
             "活动": "周促" if promo[i] else ""} for i in range(DAYS)]
    rows += [{"日期": str(day), "闭店": "是", "活动": ""} for day in future_closed]
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_closed_days_are_zero_ahead_and_missing_behind(shop, tmp_path):
    wh, promo, shut = shop
    last = START.date() + pd.Timedelta(days=DAYS - 1)
    future_closed = [last + pd.Timedelta(days=3), last + pd.Timedelta(days=4)]
    before = forecast.forecast_demand(wh, horizon=14, save=False)
    report = store.ingest(wh, [_calendar_csv(tmp_path / "store_calendar_2024.csv", promo, shut,
                                             future_closed)])
    assert report.rows_loaded == DAYS + 2 and report.rows_quarantined == 0
    assert wh.query("SELECT count(*) FROM store_calendar WHERE closed")[0][0] == 12

    run = forecast.forecast_demand(wh, horizon=14, save=False)
    fc = run.forecasts
    shut_ahead = fc["ds"].dt.date.isin(future_closed)
    assert shut_ahead.sum() == 4  # two days × two SKUs
    assert (fc.loc[shut_ahead, ["yhat", "lo_80", "hi_80", "lo_95", "hi_95"]] == 0).all().all()
    assert any("planned closed day" in n for n in run.result.notes)
    assert any("10 closed day(s) in the history" in n for n in run.result.notes)
    assert run.params["calendar"] is True
    # the ten shut days no longer read as a collapse in demand: the open days ahead of A are
    # forecast near its usual level, where the forecast that took them for zero sales fell
    open_a = fc[(fc["unique_id"] == "A") & ~shut_ahead]["yhat"].mean()
    old_a = before.forecasts[before.forecasts["unique_id"] == "A"]["yhat"].mean()
    assert open_a > 9.0 and open_a > old_a + 2
    # the history the models saw: the shut days filled from the open days before them
    filled = run.series.df[run.series.df["unique_id"] == "A"].set_index("ds")["y"]
    shut_days = pd.DatetimeIndex([pd.Timestamp(START.date()) + pd.Timedelta(days=int(i))
                                  for i in np.flatnonzero(shut)])
    assert (filled.loc[shut_days] > 5).all()


def test_the_calendar_reaches_the_global_model_and_a_store_without_one_is_unchanged(shop,
                                                                                       tmp_path):
    wh, promo, _ = shop
    assert forecast.store_calendar(wh, START.date(), START.date()).empty
    run = forecast.forecast_demand(wh, horizon=14, save=False)
    assert run.params["calendar"] is False and not any("calendar" in n for n in run.result.notes)

    store.ingest(wh, [_calendar_csv(tmp_path / "calendar.csv", promo, np.zeros(DAYS, bool), [])])
    cal = forecast.store_calendar(wh, START.date(), START.date() + pd.Timedelta(days=DAYS + 13))
    assert len(cal) == DAYS + 14 and cal["promotion"].sum() == promo.sum()
    assert cal["closed"].sum() == 0
    auto = forecast.AutoForecaster(14, models=["lightgbm", "auto_ets"], n_windows=2)
    df = run.series.df[["unique_id", "ds", "y"]]
    with_calendar = auto.fit(df, exog=cal).result_.backtest
    bt = with_calendar.assign(promo=with_calendar["ds"].isin(cal.loc[cal["promotion"] > 0, "ds"]))
    # on promotion days the global model forecasts about twice as much as on other days
    lift = bt.groupby("promo")["lightgbm"].mean()
    assert lift[True] > 1.5 * lift[False]


@pytest.mark.parametrize("freq", ["D", "W", "M"])
def test_a_store_with_closures_a_new_and_a_discontinued_sku_forecasts_every_series(warehouse,
                                                                                   freq):
    """Two years and two months of history: a steady SKU, a gappy one, one launched ten days
    ago and one discontinued 300 days ago, and a calendar with closures behind and ahead."""
    rng = np.random.default_rng(2)
    n = 800
    new, gone = np.zeros(n), np.zeros(n)
    new[-10:] = rng.poisson(4, 10)
    gone[:500] = rng.poisson(3, 500)
    gappy = rng.poisson(2, n).astype(float)
    gappy[rng.random(n) < 0.3] = 0
    demand_store(warehouse, {"steady": rng.poisson(6, n).astype(float), "gappy": gappy,
                             "new": new, "gone": gone})
    last = START.date() + pd.Timedelta(days=n - 1)
    closed = [last - pd.Timedelta(days=k) for k in (40, 41, 42)] + [last + pd.Timedelta(days=5)]
    warehouse.insert_df("store_calendar", pd.DataFrame({"day": closed, "closed": True}))

    run = forecast.forecast_demand(warehouse, freq=freq, save=False)
    fc, choices = run.forecasts, run.result.choices.set_index("unique_id")
    # the new SKU's ten days lie in the unfinished last month, which monthly series leave out
    expected = {"steady", "gappy", "gone"} | ({"new"} if freq != "M" else set())
    assert set(fc["unique_id"]) == expected
    assert np.isfinite(fc[["yhat", "lo_80", "hi_80", "lo_95", "hi_95"]]).all().all()
    width = (fc["hi_80"] - fc["lo_80"]).groupby(fc["unique_id"]).mean()
    assert (width[["steady", "gappy"]] > 0).all()  # histories that vary have wide intervals
    assert choices.loc["steady", "model"] != forecast.SHORT_HISTORY_MODEL
    assert fc.loc[fc["unique_id"] == "gone", "yhat"].mean() < 0.5 * {"D": 1, "W": 7, "M": 30}[freq]
    assert all(isinstance(r, str) and r for r in choices["reason"])
    if freq == "D":
        assert choices.loc["new", "model"] == forecast.SHORT_HISTORY_MODEL
        shut = fc["ds"].dt.date == last + pd.Timedelta(days=5)
        assert shut.sum() == 4 and (fc.loc[shut, "yhat"] == 0).all()
        assert any("3 closed day(s) in the history" in note for note in run.result.notes)
