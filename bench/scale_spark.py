"""Forecast + plan on Spark against the single-machine path, by store size.

    .venv/bin/python bench/scale_spark.py [--skus 10000,50000,100000,200000] [--quick]
                                          [--local-up-to 10000] [--orders-per-sku 100]
                                          [--previous LOG ...]

Data per size: the store of ``bench/forecast_scale.py`` (``generate_store``, seed 0, SKUs × 730
days, 100 orders per SKU, Zipf-like popularity; past 100k SKUs in parts of 100k, seeds 0, 1, …),
generated and ingested outside the timed span.

Measured per size and engine, each in a fresh child process (so peak memory is per run):

* ``spark``: ``forecast_demand(wh, engine="spark", partition_by="category")`` on ``local[2]``
  (series by Spark SQL, each partition fitted in a grouped pandas UDF), then
  ``make_plan(wh, engine="spark")``; the time includes starting Spark and handing it the tables;
* ``local``: the same forecast and plan on the single-machine path with the same partitions
  (``partition_by="category"``, ``n_jobs`` = all cores), whose results equal Spark's (the
  conformance tests check it); only up to ``--local-up-to`` SKUs, the size one machine holds.

Printed per run: time (forecast, plan, total), time per series, peak memory (the process tree's
proportional set size: the driver, Spark's JVM and its Python workers, or statsforecast's
pool); then Spark's overhead against the local path at each size both ran, and how Spark's time
per series grows against the smallest size (target: linear within 15% from 10k to 200k SKUs).
The last line is the figures as JSON.

A run of every size takes hours on two cores, so sizes can be measured in separate runs: each
``--previous LOG`` (the output of an earlier run, whose last line is its figures) adds that
run's results for the sizes and engines this run does not measure, each with the day it was
measured, to the table and the growth check.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from forecast_scale import DAYS, HORIZON, RESULT_TAG, _make_data, _TreeMemory  # noqa: E402

LINEAR_TOLERANCE = 0.15
LINEAR_FROM = 10_000


def run_one(skus: int, engine: str, orders_per_sku: int, data_dir: str) -> dict:
    from shopkeeper.forecast import forecast_demand
    from shopkeeper.inventory import make_plan
    from shopkeeper.store import Warehouse

    with Warehouse(Path(data_dir) / "warehouse.duckdb") as wh, _TreeMemory() as mem:
        try:
            t0 = time.perf_counter()
            run = forecast_demand(wh, level="sku", freq="D", horizon=HORIZON,
                                  partition_by="category", engine=engine,
                                  n_jobs=os.cpu_count() or 1)
            forecast_s = time.perf_counter() - t0
            mem.phase = "plan"
            t0 = time.perf_counter()
            plan = make_plan(wh, run_id=run.run_id, engine=engine)
            plan_s = time.perf_counter() - t0
        except Exception as exc:
            traceback.print_exc()
            return {"skus": skus, "engine": engine,
                    "error": f"{type(exc).__name__}: {exc}".splitlines()[0],
                    "tree_pss_mb": mem.peak_mb}
    series = int(len(run.result.choices))
    total = forecast_s + plan_s
    return {"skus": skus, "engine": engine, "measured": dt.date.today().isoformat(),
            "series": series,
            "partitions": run.params["partitions"],
            "forecast_s": forecast_s, "plan_s": plan_s, "total_s": total,
            "ms_per_series": 1000 * total / max(series, 1), "tree_pss_mb": mem.peak_mb,
            "max_procs": mem.max_procs, "plan_lines": int(len(plan.lines)),
            "forecast_sum": float(run.forecasts["yhat"].sum()),
            "plan_qty": float(plan.lines["suggested_qty"].sum())}


def _child(skus: int, engine: str, args: argparse.Namespace, data_dir: str) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--one", str(skus), "--engine",
           engine, "--data", data_dir, "--orders-per-sku", str(args.orders_per_sku)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    result = None
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith(RESULT_TAG):
            result = json.loads(line[len(RESULT_TAG):])
        else:
            print(line, end="", flush=True)
    if proc.wait() or result is None:
        return {"skus": skus, "engine": engine, "error": f"exit code {proc.returncode}"}
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skus", default="10000,50000,100000,200000",
                        help="comma-separated SKU counts (default 10000,50000,100000,200000)")
    parser.add_argument("--quick", action="store_true", help="1,000 and 2,000 SKUs only")
    parser.add_argument("--local-up-to", type=int, default=10_000,
                        help="run the single-machine path up to this size (default 10000)")
    parser.add_argument("--orders-per-sku", type=int, default=100)
    parser.add_argument("--previous", action="append", default=[], metavar="LOG",
                        help="an earlier run's output: its results join this run's")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--engine", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.one:
        print(RESULT_TAG + json.dumps(run_one(args.one, args.engine, args.orders_per_sku,
                                              args.data)), flush=True)
        return 0

    sizes = [1000, 2000] if args.quick else sorted({int(s) for s in args.skus.split(",")})
    earlier = _earlier_results(args.previous, args.orders_per_sku)  # read first: fail fast
    print(f"forecast + plan on Spark local[2] and on one machine: SKUs "
          f"{', '.join(f'{s:,}' for s in sizes)} × {DAYS} days, {args.orders_per_sku} orders per "
          f"SKU, horizon {HORIZON}; {os.cpu_count()} CPUs, Python {platform.python_version()}",
          flush=True)
    results = []
    for skus in sizes:
        with tempfile.TemporaryDirectory(prefix="shopkeeper-spark-bench-") as data_dir:
            print(f"\n{skus:,} SKUs", flush=True)
            data = _make_data(skus, args.orders_per_sku * skus, data_dir)
            in_parts = f" in {data['parts']} parts" if data["parts"] > 1 else ""
            print(f"  data: {data['order_lines']:,} order lines; generated{in_parts} in "
                  f"{data['generate_s']:.1f} s, ingested in {data['ingest_s']:.1f} s (not timed)",
                  flush=True)
            engines = ["spark", "local"] if skus <= args.local_up_to else ["spark"]
            for engine in engines:
                r = _child(skus, engine, args, data_dir)
                r["order_lines"] = data["order_lines"]
                results.append(r)
                if "error" in r:
                    print(f"  {engine}: FAILED: {r['error']}", flush=True)
                    continue
                print(f"  {engine}: {r['series']:,} series in {r['partitions']} partitions: "
                      f"forecast {r['forecast_s']:.1f} s, plan {r['plan_s']:.1f} s, total "
                      f"{r['total_s']:.1f} s, {r['ms_per_series']:.1f} ms per series; peak "
                      f"memory {r['tree_pss_mb']:,.0f} MB ({r['max_procs']} processes)",
                      flush=True)

    failed = [r for r in results if "error" in r]
    ok = [r for r in results if "error" not in r]
    have = {(r["skus"], r["engine"]) for r in ok}
    ok = sorted(ok + [r for r in earlier if (r["skus"], r["engine"]) not in have],
                key=lambda r: (r["skus"], r["engine"] != "spark"))
    print(f"\n{'skus':>8} {'engine':>6} {'series':>8} {'total_s':>8} {'ms/series':>9} "
          f"{'peak_mb':>8} {'spark/local':>11} {'measured':>10}")
    local = {r["skus"]: r for r in ok if r["engine"] == "local"}
    for r in ok:
        ratio = (f"{r['total_s'] / local[r['skus']]['total_s']:11.2f}"
                 if r["engine"] == "spark" and r["skus"] in local else f"{'':>11}")
        r["same_result"] = (r["engine"] != "spark" or r["skus"] not in local
                            or abs(r["forecast_sum"] - local[r["skus"]]["forecast_sum"])
                            <= 1e-6 * max(1.0, abs(r["forecast_sum"])))
        print(f"{r['skus']:8,} {r['engine']:>6} {r['series']:8,} {r['total_s']:8.1f} "
              f"{r['ms_per_series']:9.1f} {r['tree_pss_mb']:8,.0f} {ratio} "
              f"{r.get('measured', '?'):>10}")
    spark = [r for r in ok if r["engine"] == "spark"]
    growth = None
    if len(spark) > 1:
        base = spark[0]["ms_per_series"]
        print(f"\nSpark time per series against {spark[0]['skus']:,} SKUs: " + ", ".join(
            f"{r['skus']:,}: {r['ms_per_series'] / base:.2f}×" for r in spark[1:]))
    # the target: from 10k SKUs on, the time per series may not rise by more than 15% (falling,
    # as Spark's fixed start-up cost spreads over more series, is better than linear)
    large = [r for r in spark if r["skus"] >= LINEAR_FROM]
    if len(large) > 1:
        growth = max(r["ms_per_series"] / large[0]["ms_per_series"] - 1 for r in large[1:])
        print(f"time per series from {large[0]['skus']:,} SKUs up rises at most "
              f"{growth:+.0%} (target: at most {LINEAR_TOLERANCE:+.0%}: "
              f"{'met' if growth <= LINEAR_TOLERANCE else 'NOT met'})")
    else:
        print(f"linear growth from {LINEAR_FROM:,} SKUs: not measured (needs two sizes of at "
              f"least {LINEAR_FROM:,} in --skus)")
    mismatched = [r["skus"] for r in ok if not r["same_result"]]
    print("forecast totals equal on both engines" if not mismatched
          else f"forecast totals DIFFER at {mismatched}")
    print(json.dumps({"cpus": os.cpu_count(), "orders_per_sku": args.orders_per_sku,
                      "linear_growth": growth, "results": ok + failed}))
    return 1 if failed or mismatched else 0


def _earlier_results(logs: list[str], orders_per_sku: int) -> list[dict]:
    """The results of earlier runs (the JSON last line of each log), each with the day it was
    measured; a size and engine in two logs counts once, from the first."""
    found: dict[tuple[int, str], dict] = {}
    for log in logs:
        try:
            text = Path(log).read_text()
        except OSError as exc:
            raise SystemExit(f"{log}: {exc.strerror}") from None
        lines = [line for line in text.splitlines() if line.startswith("{")]
        if not lines:
            raise SystemExit(f"{log}: no figures (the JSON last line of a run) in it")
        figures = json.loads(lines[-1])
        if figures.get("orders_per_sku") != orders_per_sku:
            raise SystemExit(f"{log}: measured with {figures.get('orders_per_sku')} orders per "
                             f"SKU, not {orders_per_sku}")
        written = dt.date.fromtimestamp(Path(log).stat().st_mtime).isoformat()
        for r in figures["results"]:
            if "error" not in r:
                found.setdefault((r["skus"], r["engine"]), {"measured": written, **r})
    return list(found.values())


if __name__ == "__main__":
    sys.exit(main())
