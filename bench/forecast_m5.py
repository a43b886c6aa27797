"""Forecast benchmark on real M5 data, window by window: Shopkeeper's choice against baselines.

    .venv/bin/python bench/forecast_m5.py [--freq D|W] [--series N] [--windows 2]
                                          [--only 1914,1830] [--full-ets] [--no-exog] [--jobs N]

Data: ``../shared/data/demand/m5_foods3_tx3/`` (823 FOODS_3 items of Walmart store TX_3, daily,
62% zeros). Four 28-day test windows, each forecast from everything before it and nothing after:
three rolling ones inside the training file (d_1830-1857, d_1858-1885, d_1886-1913), the windows
the method was developed on, and the **locked** window d_1914-1941 (``sales_test_validation``),
which no choice in the code was tuned on. A gain that lives in one window shows here.
``--freq W`` sums the days to Monday weeks and forecasts the same windows as four weeks each,
with a 52-week season (SeasonalNaive(52), AutoETS(52) on the last 156 weeks, Shopkeeper with
``forecast_demand``'s weekly defaults); the first, partial week is left out.

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
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "demand" / "m5_foods3_tx3"
HORIZON = 28
# the targets: RMSSE gain over SeasonalNaive and over AutoETS in every window (daily);
# weekly, at least as good as both
TARGETS = {"D": (0.15, 0.05), "W": (0.0, 0.0)}


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


def score(test: pd.DataFrame, train: pd.DataFrame, forecasts: pd.DataFrame,
          season_length: int = 7) -> dict[str, float]:
    """Mean MASE and RMSSE over series, pooled WAPE; interval coverage where there are intervals."""
    from shopkeeper.forecast import accuracy

    frame = test.merge(forecasts, on=["unique_id", "ds"], how="left")
    per_series = accuracy(frame, train, season_length=season_length, models=["yhat"])
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


@dataclass(frozen=True)
class Grid:
    """The calendar a run forecasts on: days or Monday weeks."""

    freq: str  # statsforecast / mlforecast frequency
    season: int
    horizon: int  # periods in a 28-day test window
    input_size: int  # history of the statistical models (forecast_demand's default)
    lgbm_input_size: int
    step: pd.Timedelta


def grid_for(freq: str) -> Grid:
    from shopkeeper.forecast.runs import DEFAULT_INPUT_SIZE, DEFAULT_LGBM_INPUT_SIZE

    if freq == "W":
        return Grid("W-MON", 52, HORIZON // 7, DEFAULT_INPUT_SIZE["W"],
                    DEFAULT_LGBM_INPUT_SIZE["W"], pd.Timedelta(weeks=1))
    return Grid("D", 7, HORIZON, DEFAULT_INPUT_SIZE["D"], DEFAULT_LGBM_INPUT_SIZE["D"],
                pd.Timedelta(days=1))


def to_weeks(daily: pd.DataFrame) -> pd.DataFrame:
    """Daily sales summed to Monday weeks; the first week, if partial, is left out."""
    week = daily["ds"] - pd.to_timedelta(daily["ds"].dt.dayofweek, unit="D")
    weekly = daily.assign(ds=week).groupby(["unique_id", "ds"], as_index=False)["y"].sum()
    first = daily["ds"].min()
    return weekly[weekly["ds"] >= first].reset_index(drop=True)


def run_statsforecast(model, train: pd.DataFrame, grid: Grid, n_jobs: int) -> pd.DataFrame:
    from statsforecast import StatsForecast

    fc = StatsForecast(models=[model], freq=grid.freq, n_jobs=n_jobs).forecast(
        df=train, h=grid.horizon)
    return fc.rename(columns={fc.columns[-1]: "yhat"})[["unique_id", "ds", "yhat"]]


def run_global_lgbm(train: pd.DataFrame, exog: pd.DataFrame | None, grid: Grid,
                    n_jobs: int) -> pd.DataFrame:
    """The catalogue's global LightGBM model alone, fitted once on the default history."""
    import warnings

    from shopkeeper.forecast.models import lightgbm_forecaster

    df = train.groupby("unique_id").tail(grid.lgbm_input_size)
    ids = df["unique_id"].drop_duplicates().to_numpy()
    days = pd.date_range(df["ds"].max() + grid.step, periods=grid.horizon, freq=grid.step)
    future = pd.DataFrame({"unique_id": ids.repeat(grid.horizon), "ds": list(days) * len(ids)})
    if exog is not None:
        df, future = df.merge(exog, on="ds", how="left"), future.merge(exog, on="ds", how="left")
    mlf = lightgbm_forecaster(grid.freq, grid.season, n_jobs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlf.fit(df, static_features=[])
        fc = mlf.predict(grid.horizon, X_df=future if exog is not None else None)
    return fc.rename(columns={"lightgbm": "yhat"}).assign(yhat=lambda f: f["yhat"].clip(lower=0))


def evaluate_window(train: pd.DataFrame, test: pd.DataFrame, calendar: pd.DataFrame | None,
                    grid: Grid, args: argparse.Namespace) -> tuple[dict[str, dict], pd.Series]:
    """Every method on one test window; prints a row per method as it finishes."""
    from statsforecast.models import AutoETS, SeasonalNaive

    from shopkeeper.forecast import AutoForecaster

    m, jobs = grid.season, args.jobs
    recent = train.groupby("unique_id").tail(grid.input_size)
    methods = {
        "seasonal_naive": lambda: run_statsforecast(SeasonalNaive(m), train, grid, jobs),
        "auto_ets": lambda: run_statsforecast(AutoETS(season_length=m), recent, grid, jobs),
    }
    if args.full_ets:
        methods["auto_ets_full"] = lambda: run_statsforecast(AutoETS(season_length=m), train,
                                                             grid, jobs)
    methods["global_lgbm"] = lambda: run_global_lgbm(train, calendar, grid, jobs)
    choices = {}

    def shopkeeper() -> pd.DataFrame:
        forecaster = AutoForecaster(grid.horizon, freq=grid.freq, season_length=m,
                                    n_windows=args.windows, input_size=grid.input_size,
                                    lgbm_input_size=grid.lgbm_input_size, n_jobs=jobs)
        forecaster.fit(train, exog=calendar)
        choices["model"] = forecaster.result_.choices["model"]
        return forecaster.predict()

    methods["shopkeeper"] = shopkeeper
    results = {}
    for name, fn in methods.items():
        t0 = time.perf_counter()
        fc = fn()
        seconds = time.perf_counter() - t0
        results[name] = r = {**score(test, train, fc, m), "seconds": seconds}
        cover = (f"  {r['coverage_80']:.1%} / {r['coverage_95']:.1%}"
                 if "coverage_80" in r else "")
        print(f"{name:15s} {r['mase']:7.4f} {r['rmsse']:7.4f} {r['wape']:7.4f} "
              f"{seconds:8.1f}{cover}", flush=True)
    return results, choices["model"]


WINDOWS = {1830: "rolling", 1858: "rolling", 1886: "rolling", 1914: "locked"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--freq", choices=("D", "W"), default="D",
                        help="Days, or Monday weeks (4 per window, a 52-week season).")
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
    grid = grid_for(args.freq)
    series = to_weeks(full) if args.freq == "W" else full
    chosen_windows = [int(d) for d in args.only.split(",")] if args.only else list(WINDOWS)
    n = full["unique_id"].nunique()
    print(f"M5 FOODS_3 × TX_3: {n} series, {(full['y'] == 0).mean():.0%} zero days; "
          f"{len(chosen_windows)} test window(s) of {grid.horizon} "
          f"{'weeks' if args.freq == 'W' else 'days'}; {args.jobs} jobs on "
          f"{os.cpu_count()} cores", flush=True)
    calendar = None if args.no_exog or args.freq == "W" else exog
    vs_snaive, vs_ets = TARGETS[args.freq]

    figures: dict[str, dict] = {}
    for first in chosen_windows:
        start = days[first - 1]  # d_<first>, a Monday: the windows are whole weeks too
        train = series[series["ds"] < start]
        test = series[(series["ds"] >= start) & (series["ds"] < start + pd.Timedelta(days=HORIZON))]
        label = f"d_{first}-{first + HORIZON - 1} ({WINDOWS.get(first, 'extra')})"
        print(f"\n{label}\n{'method':15s} {'MASE':>7s} {'RMSSE':>7s} {'WAPE':>7s} {'seconds':>8s}"
              "  coverage 80/95", flush=True)
        results, chosen_models = evaluate_window(train, test, calendar, grid, args)
        sk = results["shopkeeper"]
        ets = min((v for k, v in results.items() if k.startswith("auto_ets")),
                  key=lambda v: v["rmsse"])
        gains = {"vs_snaive": 1 - sk["rmsse"] / results["seasonal_naive"]["rmsse"],
                 "vs_ets": 1 - sk["rmsse"] / ets["rmsse"],
                 "vs_global": 1 - sk["rmsse"] / results["global_lgbm"]["rmsse"]}
        chosen = chosen_models.value_counts()
        print(f"shopkeeper RMSSE vs SeasonalNaive {gains['vs_snaive']:+.1%} (target "
              f"{vs_snaive:.0%}), vs AutoETS {gains['vs_ets']:+.1%} (target "
              f"{vs_ets:.0%}), vs the global model alone {gains['vs_global']:+.1%}; "
              "chosen: " + ", ".join(f"{m} {c}" for m, c in chosen.items()), flush=True)
        figures[label] = {"results": results, "gains": gains,
                          "chosen": {str(k): int(v) for k, v in chosen.items()}}

    print("\nsummary (RMSSE gain of shopkeeper's choice)")
    for label, f in figures.items():
        g = f["gains"]
        met = g["vs_snaive"] >= vs_snaive and g["vs_ets"] >= vs_ets
        print(f"  {label:28s} vs SeasonalNaive {g['vs_snaive']:+6.1%}  vs AutoETS "
              f"{g['vs_ets']:+6.1%}  {f['results']['shopkeeper']['seconds']:6.1f} s  "
              f"{'targets met' if met else 'targets NOT met'}")
    print(json.dumps({"series": n, "windows": figures}))


if __name__ == "__main__":
    main()
