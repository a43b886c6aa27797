"""Inventory benchmark on real M5 demand: Shopkeeper's plan against the naive reorder rule.

    .venv/bin/python bench/inventory_policies.py [--series N] [--lead-time 7] [--review 7]

Both policies replay the same 364 real days of M5 FOODS_3 × TX_3 sales (d_1550..d_1913, 823
items) in the vectorised simulator, with lost sales (a shopper who finds the shelf empty buys
nothing) and the same costs for both:

* unit cost 1, holding 25% a year (1/1460 per unit-day), shortage 0.5 per unit of lost sales
  (the margin), 1 per order placed; lead time ``--lead-time`` days for both.

Policies:

* ``naive``: every 28 days, order the units sold in the last 28 days (what many merchants do);
* ``shopkeeper``: every ``--review`` days, the plan's (R, s, S) policy: reorder point = forecast
  over lead time + review period + safety stock, order up to it. Re-planned every 28 days, each
  time from a forecast made with only the data before that day: the models are chosen once by
  ``AutoForecaster`` on the history before the simulation (d_1..d_1549), then the chosen models
  produce a fresh 28-day forecast at each of the 13 re-planning dates (a rolling-origin run,
  refit at every origin). Service levels come from ABC classes on the year before the
  simulation (A 98%, B 95%, C 90%, Shopkeeper's defaults); the daily error is the backtest RMSE.

Printed: total cost and its parts, fill rate, stock-out days and average stock for both, and
whether Shopkeeper's cost is lower at an equal or higher fill rate. The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import pandas as pd
from forecast_m5 import load_m5

SIM_DAYS = 364  # 13 re-planning blocks of 28 days
BLOCK = 28
HOLDING = 0.25 / 365
SHORTAGE = 0.5
ORDERING = 1.0


def shopkeeper_schedule(train: pd.DataFrame, review: int, lead: int, jobs: int):
    """Re-planned (R, s, S) policies: {day of the simulation: PolicyParams}."""
    from shopkeeper.forecast import SHORT_HISTORY_MODEL, AutoForecaster
    from shopkeeper.forecast.runs import DEFAULT_INPUT_SIZE, DEFAULT_LGBM_INPUT_SIZE

    INPUT, LGBM_INPUT = DEFAULT_INPUT_SIZE["D"], DEFAULT_LGBM_INPUT_SIZE["D"]  # noqa: N806
    from shopkeeper.inventory import (
        DEFAULT_SERVICE_LEVELS,
        PolicyParams,
        abc_classes,
        policy_levels,
    )

    days = np.sort(train["ds"].unique())
    start = days[-SIM_DAYS]
    before = train[train["ds"] < start]
    choose = AutoForecaster(BLOCK, n_windows=2, input_size=INPUT, lgbm_input_size=LGBM_INPUT,
                            n_jobs=jobs).fit(before).result_
    chosen = choose.choices.set_index("unique_id")["model"]
    rmse = choose.scores.set_index(["unique_id", "model"])["rmse"]
    sigma = np.array([rmse.get((u, m), np.nan) for u, m in chosen.items()])
    rolling = AutoForecaster(BLOCK, models=sorted({m for ms in choose.ensembles.values()
                                                   for m in ms} | set(chosen)
                                                  - {"ensemble", "zero", SHORT_HISTORY_MODEL}),
                             n_windows=SIM_DAYS // BLOCK, input_size=INPUT, lgbm_input_size=LGBM_INPUT,
                             n_jobs=jobs).fit(train).result_.backtest
    group = choose.choices.set_index("unique_id")["demand_class"]
    for cls, members in choose.ensembles.items():
        rows = rolling["unique_id"].map(group) == cls
        rolling.loc[rows, "ensemble"] = rolling.loc[rows, members].mean(axis=1)
    pick = rolling["unique_id"].map(chosen)
    cols = pd.Index(rolling.columns)
    values = rolling.to_numpy()
    rolling["yhat"] = [values[i, cols.get_loc(m)] if m in cols else 0.0
                       for i, m in enumerate(pick)]
    rolling["yhat"] = pd.to_numeric(rolling["yhat"]).fillna(0.0).clip(lower=0)

    last_year = before[before["ds"] >= before["ds"].max() - pd.Timedelta(days=364)]
    units = last_year.groupby("unique_id")["y"].sum().reindex(chosen.index).fillna(0)
    service = abc_classes(units).map(DEFAULT_SERVICE_LEVELS).to_numpy()
    sigma = np.where(np.isfinite(sigma), sigma, np.sqrt(units.to_numpy() / 365))
    schedule = {}
    for k, (_cutoff, block) in enumerate(rolling.groupby("cutoff", sort=True)):
        paths = block.set_index("unique_id").groupby(level=0, sort=False)["yhat"].apply(np.array)
        paths = paths.reindex(chosen.index)
        levels = policy_levels(list(paths), sigma, lead, review, service,
                               ordering_cost=ORDERING, holding_per_year=HOLDING * 365)
        schedule[k * BLOCK] = PolicyParams.ss(levels["reorder_point"].to_numpy(),
                                              levels["order_up_to"].to_numpy(),
                                              review_period=review)
    return chosen.index, schedule


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--series", type=int, default=None, help="Only the first N series.")
    parser.add_argument("--lead-time", type=int, default=7, help="Supplier lead time, days.")
    parser.add_argument("--review", type=int, default=7, help="Shopkeeper's review period.")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    from shopkeeper.inventory import PolicyParams, simulate

    train, _test, _exog = load_m5()
    if args.series:
        keep = train["unique_id"].drop_duplicates().head(args.series)
        train = train[train["unique_id"].isin(keep)]
    wide = train.pivot(index="unique_id", columns="ds", values="y").fillna(0.0)
    t0 = time.perf_counter()
    ids, schedule = shopkeeper_schedule(train, args.review, args.lead_time, args.jobs)
    plan_seconds = time.perf_counter() - t0
    wide = wide.reindex(ids)
    demand = wide.iloc[:, -SIM_DAYS:].to_numpy()
    history = wide.iloc[:, :-SIM_DAYS].to_numpy()
    costs = {"lead_time": args.lead_time, "holding_cost": HOLDING, "shortage_cost": SHORTAGE,
             "ordering_cost": ORDERING, "lost_sales": True}
    t0 = time.perf_counter()
    results = {
        "naive": simulate(demand, PolicyParams.naive(history=history, interval=BLOCK), **costs),
        "shopkeeper": simulate(demand, schedule, **costs),
    }
    sim_seconds = time.perf_counter() - t0
    print(f"M5 FOODS_3 × TX_3: {len(ids)} items × {SIM_DAYS} days, lead time {args.lead_time} d; "
          f"naive reviews every {BLOCK} d, Shopkeeper every {args.review} d "
          f"(re-planned every {BLOCK} d)")
    figures = {}
    for name, res in results.items():
        tot = res.totals()
        figures[name] = {k: float(v) for k, v in tot.items() if isinstance(v, int | float)}
        print(f"{name:11s} total cost {tot['total_cost']:10,.1f} = holding "
              f"{tot['holding_cost']:9,.1f} + shortage {tot['shortage_cost']:9,.1f} + ordering "
              f"{tot['ordering_cost']:7,.1f} | fill rate {tot['fill_rate']:.2%} | stock-out days "
              f"{int(tot['stockout_days']):,} | avg stock {tot['average_on_hand']:,.0f} units")
    ours, naive = figures["shopkeeper"], figures["naive"]
    met = ours["total_cost"] < naive["total_cost"] and ours["fill_rate"] >= naive["fill_rate"]
    print(f"cost {1 - ours['total_cost'] / naive['total_cost']:+.1%} vs naive at fill rate "
          f"{ours['fill_rate']:.2%} vs {naive['fill_rate']:.2%}: target "
          f"{'met' if met else 'NOT met'}")
    print(f"forecasting and planning {plan_seconds:.1f} s; both simulations {sim_seconds:.2f} s")
    print(json.dumps({"items": len(ids), "results": figures, "target_met": met,
                      "plan_seconds": plan_seconds, "simulation_seconds": sim_seconds}))


if __name__ == "__main__":
    main()
