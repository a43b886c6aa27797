"""Forecast benchmark on real M5 data, window by window: Shopkeeper's choice against baselines.

    .venv/bin/python bench/forecast_m5.py [--series N] [--windows 2] [--only 1914,1830]
                                          [--full-ets] [--no-exog] [--jobs N]

Data: ``../shared/data/demand/m5_foods3_tx3/`` (823 FOODS_3 items of Walmart store TX_3, daily,
62% zeros). Four 28-day test windows, each forecast from everything before it and nothing after:
three rolling ones inside the training file (d_1830-1857, d_1858-1885, d_1886-1913), the windows
the method was developed on, and the **locked** window d_1914-1941 (``sales_test_validation``),
which no choice in the code was tuned on. A gain that lives in one window shows here.

Methods, side by side in one process on the same machine, per window:

* ``seasonal_naive``: statsforecast SeasonalNaive(7);
* ``auto_ets``: statsforecast AutoETS(season_length=7) on the last 365 days (the history
  Shopkeeper's statistical models get); ``--full-ets`` adds it on all days (~100 s a window);
* ``global_lgbm``: the global LightGBM model alone (Shopkeeper's catalogue, trained on the
  default 400 days, with the calendar's SNAP days and events), no backtest;
* ``shopkeeper``: ``AutoForecaster`` with ``models="auto"`` and ``forecast_demand``'s history
  defaults: demand classes, candidate pools, the global model, a rolling backtest of
  ``--windows`` × 28 days before the test window, the class ensembles chosen on all of them.
  Its time includes the backtest.

Metrics on each test window, per series then averaged over series: MASE (seasonal naive scale,
m=7) and RMSSE (one-step naive scale), both scaled on the training history; WAPE pooled over all
series; interval coverage where there are intervals. The last line is every figure as JSON.
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


def run_global_lgbm(train: pd.DataFrame, exog: pd.DataFrame | None, n_jobs: int) -> pd.DataFrame:
    """The catalogue's global LightGBM model alone, fitted once on the default history."""
    import warnings

    from shopkeeper.forecast.models import lightgbm_forecaster
    from shopkeeper.forecast.runs import DEFAULT_LGBM_INPUT_SIZE

    df = train.groupby("unique_id").tail(DEFAULT_LGBM_INPUT_SIZE["D"])
    ids = df["unique_id"].drop_duplicates().to_numpy()
    future = pd.DataFrame({
        "unique_id": ids.repeat(HORIZON),
        "ds": list(pd.date_range(df["ds"].max() + pd.Timedelta(days=1), periods=HORIZON)) * len(ids),
    })
    if exog is not None:
        df, future = df.merge(exog, on="ds", how="left"), future.merge(exog, on="ds", how="left")
    mlf = lightgbm_forecaster("D", 7, n_jobs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlf.fit(df, static_features=[])
        fc = mlf.predict(HORIZON, X_df=future if exog is not None else None)
    return fc.rename(columns={"lightgbm": "yhat"}).assign(yhat=lambda f: f["yhat"].clip(lower=0))


def evaluate_window(train: pd.DataFrame, test: pd.DataFrame, calendar: pd.DataFrame | None,
                    args: argparse.Namespace) -> tuple[dict[str, dict], pd.Series]:
    """Every method on one test window; prints a row per method as it finishes."""
    from statsforecast.models import AutoETS, SeasonalNaive

    from shopkeeper.forecast import AutoForecaster
    from shopkeeper.forecast.runs import DEFAULT_INPUT_SIZE, DEFAULT_LGBM_INPUT_SIZE

    recent = train.groupby("unique_id").tail(365)
    methods = {
        "seasonal_naive": lambda: run_statsforecast(SeasonalNaive(7), train, args.jobs),
        "auto_ets": lambda: run_statsforecast(AutoETS(season_length=7), recent, args.jobs),
    }
    if args.full_ets:
        methods["auto_ets_full"] = lambda: run_statsforecast(AutoETS(season_length=7), train,
                                                             args.jobs)
    methods["global_lgbm"] = lambda: run_global_lgbm(train, calendar, args.jobs)
    choices = {}

    def shopkeeper() -> pd.DataFrame:
        forecaster = AutoForecaster(HORIZON, freq="D", season_length=7,
                                    n_windows=args.windows,
                                    input_size=DEFAULT_INPUT_SIZE["D"],
                                    lgbm_input_size=DEFAULT_LGBM_INPUT_SIZE["D"],
                                    n_jobs=args.jobs)
        forecaster.fit(train, exog=calendar)
        choices["model"] = forecaster.result_.choices["model"]
        return forecaster.predict()

    methods["shopkeeper"] = shopkeeper
    results = {}
    for name, fn in methods.items():
        t0 = time.perf_counter()
        fc = fn()
        seconds = time.perf_counter() - t0
        results[name] = r = {**score(test, train, fc), "seconds": seconds}
        cover = (f"  {r['coverage_80']:.1%} / {r['coverage_95']:.1%}"
                 if "coverage_80" in r else "")
        print(f"{name:15s} {r['mase']:7.4f} {r['rmsse']:7.4f} {r['wape']:7.4f} "
              f"{seconds:8.1f}{cover}", flush=True)
    return results, choices["model"]


WINDOWS = {1830: "rolling", 1858: "rolling", 1886: "rolling", 1914: "locked"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--series", type=int, default=None, help="Only the first N series.")
    parser.add_argument("--windows", type=int, default=2, help="Backtest windows per test window.")
    parser.add_argument("--only", default=None,
                        help="Test windows by first day, e.g. 1914 (default: all four).")
    parser.add_argument("--full-ets", action="store_true", help="Add AutoETS on all days.")
    parser.add_argument("--no-exog", action="store_true", help="No calendar inputs for LightGBM.")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    train_file, test_file, exog = load_m5()
    full = pd.concat([train_file, test_file], ignore_index=True)
    if args.series:
        keep = full["unique_id"].drop_duplicates().sort_values().head(args.series)
        full = full[full["unique_id"].isin(keep)]
    days = sorted(full["ds"].unique())
    chosen_windows = [int(d) for d in args.only.split(",")] if args.only else list(WINDOWS)
    n = full["unique_id"].nunique()
    print(f"M5 FOODS_3 × TX_3: {n} series, {(full['y'] == 0).mean():.0%} zero days; "
          f"{len(chosen_windows)} test window(s) of {HORIZON} days; {args.jobs} jobs on "
          f"{os.cpu_count()} cores", flush=True)
    calendar = None if args.no_exog else exog

    figures: dict[str, dict] = {}
    for first in chosen_windows:
        cutoff = days[first - 2]
        train = full[full["ds"] <= cutoff]
        test = full[(full["ds"] > cutoff) & (full["ds"] <= cutoff + pd.Timedelta(days=HORIZON))]
        label = f"d_{first}-{first + HORIZON - 1} ({WINDOWS.get(first, 'extra')})"
        print(f"\n{label}\n{'method':15s} {'MASE':>7s} {'RMSSE':>7s} {'WAPE':>7s} {'seconds':>8s}"
              "  coverage 80/95", flush=True)
        results, chosen_models = evaluate_window(train, test, calendar, args)
        sk = results["shopkeeper"]
        ets = min((v for k, v in results.items() if k.startswith("auto_ets")),
                  key=lambda v: v["rmsse"])
        gains = {"vs_snaive": 1 - sk["rmsse"] / results["seasonal_naive"]["rmsse"],
                 "vs_ets": 1 - sk["rmsse"] / ets["rmsse"],
                 "vs_global": 1 - sk["rmsse"] / results["global_lgbm"]["rmsse"]}
        chosen = chosen_models.value_counts()
        print(f"shopkeeper RMSSE vs SeasonalNaive {gains['vs_snaive']:+.1%} (target "
              f"{TARGET_VS_SNAIVE:.0%}), vs AutoETS {gains['vs_ets']:+.1%} (target "
              f"{TARGET_VS_ETS:.0%}), vs the global model alone {gains['vs_global']:+.1%}; "
              "chosen: " + ", ".join(f"{m} {c}" for m, c in chosen.items()), flush=True)
        figures[label] = {"results": results, "gains": gains,
                          "chosen": {str(k): int(v) for k, v in chosen.items()}}

    print("\nsummary (RMSSE gain of shopkeeper's choice)")
    for label, f in figures.items():
        g = f["gains"]
        met = g["vs_snaive"] >= TARGET_VS_SNAIVE and g["vs_ets"] >= TARGET_VS_ETS
        print(f"  {label:28s} vs SeasonalNaive {g['vs_snaive']:+6.1%}  vs AutoETS "
              f"{g['vs_ets']:+6.1%}  {f['results']['shopkeeper']['seconds']:6.1f} s  "
              f"{'targets met' if met else 'targets NOT met'}")
    print(json.dumps({"series": n, "windows": figures}))


if __name__ == "__main__":
    main()
