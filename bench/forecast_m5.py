"""Forecast benchmark on real M5 data: Shopkeeper's automatic choice against two baselines.

    .venv/bin/python bench/forecast_m5.py [--series N] [--windows 2] [--no-full-ets]

Data: ``../shared/data/demand/m5_foods3_tx3/`` (823 FOODS_3 items of Walmart store TX_3, daily,
62% zeros). Every method trains on d_1..d_1913 and forecasts the 28 days d_1914..d_1941 held in
``sales_test_validation``; nothing of the test period is seen by any method.

Methods, run side by side in one process on the same machine:

* ``seasonal_naive``: statsforecast SeasonalNaive(7);
* ``auto_ets_365``: statsforecast AutoETS(season_length=7) on the last 365 days (the history
  Shopkeeper's statistical models get);
* ``auto_ets_full``: AutoETS on all 1,913 days (skip with ``--no-full-ets``, ~100 s);
* ``shopkeeper``: ``AutoForecaster`` with ``models="auto"`` and ``forecast_demand``'s history
  defaults (365 days for the statistical models, 400 for LightGBM): demand classification, candidate
  pools per class, the global LightGBM model (with the calendar's SNAP days and events as
  known-in-advance inputs), rolling-origin backtest of ``--windows`` × 28 days, choice per
  series. Its time includes the backtest.

Metrics on the 28 test days, per series then averaged over series: MASE (seasonal naive scale,
m=7) and RMSSE (one-step naive scale), both scaled on the training history; WAPE is pooled over
all series (sum of absolute errors / sum of sales). The last line is the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import pandas as pd

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "demand" / "m5_foods3_tx3"
HORIZON = 28
TARGET_VS_SNAIVE = 0.15
TARGET_VS_ETS = 0.05
TARGET_SECONDS = 300


def load_m5(data: Path = DATA) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(train, test, calendar features) in long format with real dates."""
    if not data.exists():
        sys.exit(f"M5 data not found at {data}; see ../shared/data/README.md")
    calendar = pd.read_csv(data / "calendar_afcs2025.csv")
    calendar["ds"] = pd.to_datetime(calendar["date"], format="%m/%d/%Y")
    day = {f"d_{i + 1}": ds for i, ds in enumerate(calendar["ds"])}

    def long(path: Path) -> pd.DataFrame:
        wide = pd.read_csv(path)
        out = wide.melt(id_vars="id", var_name="d", value_name="y")
        out["ds"] = out["d"].map(day)
        out = out.rename(columns={"id": "unique_id"})[["unique_id", "ds", "y"]]
        out["y"] = out["y"].astype("float64")
        return out.sort_values(["unique_id", "ds"]).reset_index(drop=True)

    exog = pd.DataFrame({
        "ds": calendar["ds"],
        "snap": calendar["snap_TX"].astype("float64"),
        "event": calendar["event_name_1"].notna().astype("float64"),
    })
    return (long(data / "sales_train_validation_afcs2025.csv"),
            long(data / "sales_test_validation_afcs2025.csv"), exog)


def score(test: pd.DataFrame, train: pd.DataFrame, forecasts: pd.DataFrame) -> dict[str, float]:
    """Mean MASE and RMSSE over series, pooled WAPE; interval coverage where there are intervals."""
    from shopkeeper.forecast import accuracy

    frame = test.merge(forecasts, on=["unique_id", "ds"], how="left")
    per_series = accuracy(frame, train, season_length=7, models=["yhat"])
    abs_err = (frame["yhat"] - frame["y"]).abs().sum()
    coverage = {
        f"coverage_{level}": float(
            frame["y"].between(frame[f"lo_{level}"], frame[f"hi_{level}"]).mean())
        for level in (80, 95) if f"lo_{level}" in frame
    }
    return {
        "mase": float(per_series["mase"].mean()),
        "rmsse": float(per_series["rmsse"].mean()),
        "wape": float(abs_err / frame["y"].abs().sum()),
        **coverage,
    }


def run_statsforecast(model, train: pd.DataFrame, n_jobs: int) -> pd.DataFrame:
    from statsforecast import StatsForecast

    fc = StatsForecast(models=[model], freq="D", n_jobs=n_jobs).forecast(df=train, h=HORIZON)
    return fc.rename(columns={fc.columns[-1]: "yhat"})[["unique_id", "ds", "yhat"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--series", type=int, default=None, help="Only the first N series.")
    parser.add_argument("--windows", type=int, default=2, help="Backtest windows.")
    parser.add_argument("--no-full-ets", action="store_true", help="Skip AutoETS on all days.")
    parser.add_argument("--no-exog", action="store_true", help="No calendar inputs for LightGBM.")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    from statsforecast.models import AutoETS, SeasonalNaive

    from shopkeeper.forecast import AutoForecaster
    from shopkeeper.forecast.runs import DEFAULT_INPUT_SIZE, DEFAULT_LGBM_INPUT_SIZE

    train, test, exog = load_m5()
    if args.series:
        keep = train["unique_id"].drop_duplicates().head(args.series)
        train, test = train[train["unique_id"].isin(keep)], test[test["unique_id"].isin(keep)]
    n = train["unique_id"].nunique()
    recent = train.groupby("unique_id").tail(365)
    print(f"M5 FOODS_3 × TX_3: {n} series × {train['ds'].nunique()} days, "
          f"{(train['y'] == 0).mean():.0%} zeros; forecasting {HORIZON} days; "
          f"{args.jobs} jobs on {os.cpu_count()} cores", flush=True)

    methods = {
        "seasonal_naive": lambda: run_statsforecast(SeasonalNaive(7), train, args.jobs),
        "auto_ets_365": lambda: run_statsforecast(AutoETS(season_length=7), recent, args.jobs),
    }
    if not args.no_full_ets:
        methods["auto_ets_full"] = lambda: run_statsforecast(AutoETS(season_length=7), train,
                                                             args.jobs)

    def shopkeeper() -> pd.DataFrame:
        forecaster = AutoForecaster(HORIZON, freq="D", season_length=7, n_windows=args.windows,
                                    input_size=DEFAULT_INPUT_SIZE["D"],
                                    lgbm_input_size=DEFAULT_LGBM_INPUT_SIZE["D"],
                                    n_jobs=args.jobs)
        forecaster.fit(train, exog=None if args.no_exog else exog)
        shopkeeper.choices = forecaster.result_.choices  # type: ignore[attr-defined]
        return forecaster.predict()

    methods["shopkeeper"] = shopkeeper
    results = {}
    for name, fn in methods.items():
        t0 = time.perf_counter()
        fc = fn()
        seconds = time.perf_counter() - t0
        results[name] = {**score(test, train, fc), "seconds": seconds, "series_per_s": n / seconds}
        r = results[name]
        print(f"{name:15s} MASE {r['mase']:.4f}  RMSSE {r['rmsse']:.4f}  WAPE {r['wape']:.4f}  "
              f"{seconds:7.1f} s  {r['series_per_s']:7.1f} series/s"
              + "".join(f"  {k.replace('_', ' ')}% {v:.1%}" for k, v in r.items()
                        if k.startswith("coverage")), flush=True)

    sk = results["shopkeeper"]
    ets = min((v for k, v in results.items() if k.startswith("auto_ets")), key=lambda v: v["rmsse"])
    vs_snaive = 1 - sk["rmsse"] / results["seasonal_naive"]["rmsse"]
    vs_ets = 1 - sk["rmsse"] / ets["rmsse"]
    chosen = shopkeeper.choices["model"].value_counts()  # type: ignore[attr-defined]
    print("\nchosen models: " + ", ".join(f"{m} {c}" for m, c in chosen.items()))
    print(f"RMSSE vs seasonal naive: {vs_snaive:+.1%} better (target {TARGET_VS_SNAIVE:.0%}): "
          f"{'met' if vs_snaive >= TARGET_VS_SNAIVE else 'NOT met'}")
    print(f"RMSSE vs best AutoETS:   {vs_ets:+.1%} better (target {TARGET_VS_ETS:.0%}): "
          f"{'met' if vs_ets >= TARGET_VS_ETS else 'NOT met'}")
    print(f"Shopkeeper time with backtest: {sk['seconds']:.1f} s for {n} series "
          f"(target {TARGET_SECONDS} s): {'met' if sk['seconds'] < TARGET_SECONDS else 'NOT met'}")
    print(json.dumps({"series": n, "results": results, "rmsse_gain_vs_snaive": vs_snaive,
                      "rmsse_gain_vs_ets": vs_ets,
                      "chosen": {str(k): int(v) for k, v in chosen.items()}}))


if __name__ == "__main__":
    main()
