"""Weekly forecasts of the demo store's SKUs (UCI Online Retail I summed to Monday weeks).

The demo's history is one year (2010-12-01 to 2011-12-09: 53 weeks), so no SKU has the two
seasons a 52-week season needs: SeasonalNaive(52) has nothing to repeat for a four-week window
and is left out, and every model runs without a yearly season. Three rolling windows of four
weeks (the last twelve complete weeks) compare, per window: Naive, WindowAverage(4), AutoETS
(no season) and Shopkeeper's choice (``AutoForecaster`` with ``forecast_demand``'s weekly
settings), on the SKUs with at least 8 weeks of history before the window. RMSSE is scaled by
the one-step naive error of each SKU's history. Prints a table per window and a JSON line.

    .venv/bin/python bench/forecast_demo_weekly.py [--skus N]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
MIN_WEEKS = 8


def main() -> None:
    from ask_eval import build_warehouse
    from forecast_m5 import score
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS, Naive, WindowAverage

    from shopkeeper.forecast import AutoForecaster
    from shopkeeper.forecast.runs import DEFAULT_INPUT_SIZE, DEFAULT_LGBM_INPUT_SIZE
    from shopkeeper.forecast.series import build_series
    from shopkeeper.store import Warehouse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skus", type=int, default=None, help="Only the N best sellers.")
    parser.add_argument("--warehouse", default="/tmp/shopkeeper-ask-eval/warehouse.duckdb")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    with Warehouse(build_warehouse(Path(args.warehouse)), read_only=True) as wh:
        series = build_series(wh, freq="W").df[["unique_id", "ds", "y"]]
    if args.skus:
        top = series.groupby("unique_id")["y"].sum().nlargest(args.skus).index
        series = series[series["unique_id"].isin(top)]
    weeks = sorted(series["ds"].unique())
    print(f"demo store by week: {series['unique_id'].nunique():,} SKUs, {len(weeks)} complete "
          f"weeks ({weeks[0].date()} to {weeks[-1].date()}); {args.jobs} jobs", flush=True)
    figures = {}
    for back in (12, 8, 4):
        start = weeks[-back]
        train = series[series["ds"] < start]
        test = series[(series["ds"] >= start) & (series["ds"] < start + pd.Timedelta(weeks=4))]
        # AutoETS needs a few points to fit ("tiny datasets" below about 8): every method is
        # scored on the SKUs with at least 8 weeks before the window
        keep = train.groupby("unique_id")["y"].transform("size") >= MIN_WEEKS
        train = train[keep]
        test = test[test["unique_id"].isin(train["unique_id"].unique())]
        label = f"{start.date()} + 4 weeks"
        print(f"\n{label}\n{'method':15s} {'MASE':>7s} {'RMSSE':>7s} {'WAPE':>7s} "
              f"{'seconds':>8s}  coverage 80/95", flush=True)

        def stats(model, train=train):
            return StatsForecast(models=[model], freq="W-MON", n_jobs=args.jobs).forecast(
                df=train, h=4).rename(columns={str(model): "yhat"})

        def shopkeeper(train=train):
            forecaster = AutoForecaster(4, freq="W-MON", season_length=52, n_windows=2,
                                        input_size=DEFAULT_INPUT_SIZE["W"],
                                        lgbm_input_size=DEFAULT_LGBM_INPUT_SIZE["W"],
                                        n_jobs=args.jobs)
            forecaster.fit(train)
            return forecaster.predict()

        methods = {"naive": lambda: stats(Naive()),
                   "window_average": lambda: stats(WindowAverage(window_size=4)),
                   "auto_ets": lambda: stats(AutoETS(season_length=1)),
                   "shopkeeper": shopkeeper}
        results = {}
        for name, fn in methods.items():
            t0 = time.perf_counter()
            fc = fn()
            results[name] = r = {**score(test, train, fc, 1),
                                 "seconds": time.perf_counter() - t0}
            cover = (f"  {r['coverage_80']:.1%} / {r['coverage_95']:.1%}"
                     if "coverage_80" in r else "")
            print(f"{name:15s} {r['mase']:7.4f} {r['rmsse']:7.4f} {r['wape']:7.4f} "
                  f"{r['seconds']:8.1f}{cover}", flush=True)
        gain = 1 - results["shopkeeper"]["rmsse"] / results["auto_ets"]["rmsse"]
        print(f"shopkeeper RMSSE vs AutoETS {gain:+.1%}", flush=True)
        figures[label] = results
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
