"""Forecast + replenishment plan at scale: time and memory from 1k to 10k SKUs.

    .venv/bin/python bench/forecast_scale.py [--skus 1000,2500,5000,10000] [--quick]
                                             [--orders-per-sku 100] [--jobs N]

Data per size: ``generate_store`` (seed 0) writes a synthetic store of ``--skus`` SKUs and
``--orders-per-sku`` × SKUs orders over 730 days (Zipf-like popularity, so a mix of smooth,
intermittent and lumpy SKUs; weekly and yearly cycles, promotions, seasonal categories, launches
and archivals; one supplier row per SKU with a lead time, 25% with a second supplier; one stock
count per SKU). ``ingest(..., preset="canonical")`` loads it into a fresh warehouse. Generation
and ingest run in a separate process and are timed apart, outside the measured span. A store of
more than 100,000 SKUs is generated and loaded in parts of at most 100,000 (seeds 0, 1, …; the
ids of part N prefixed ``SN-``), since the generator holds a whole store in memory.

Measured per size, in a fresh child process (``--one N``) so that peak memory is per size:

* forecast: ``forecast_demand(wh, level="sku", freq="D", horizon=28, n_jobs=--jobs)``: series
  from the warehouse, demand classes, statistical candidates and the global LightGBM model with a
  2 × 28-day rolling backtest, model choice per series, saving the run;
* plan: ``make_plan(wh)`` on that run, saved.

Memory: ``peak_rss_mb`` is the child's ``ru_maxrss`` (the Python process: interpreter, imports,
DuckDB, pandas, LightGBM threads); ``tree_pss_mb`` is the peak of the proportional set size summed
over the child and its worker processes (statsforecast's process pool), sampled every 0.2 s
during the measured span; the memory target is checked against the larger of the two.

Target: 10,000 SKUs in under 600 s and 4,096 MB on 2 cores. A size whose forecast or plan
raises is reported as FAILED (with the step and its traceback) and the others still run; the
exit code is then 1. The last line of output is the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import queue as queue_module
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

TARGET_SKUS = 10_000
TARGET_SECONDS = 600
TARGET_MB = 4096
HORIZON = 28
DAYS = 730
RESULT_TAG = "RESULT "


# -- memory ------------------------------------------------------------------------------------
def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _descendants(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except OSError:  # the process ended meanwhile
            continue
    return pids


def _pss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class _TreeMemory:
    """Samples the PSS of this process and all its descendants in a background thread."""

    def __init__(self, interval: float = 0.2) -> None:
        self.interval, self.peak_mb, self.max_procs = interval, 0.0, 1
        self.phase = ""
        self.phase_peak_mb: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            pids = _descendants(os.getpid())
            self.max_procs = max(self.max_procs, len(pids))
            mb = sum(_pss_mb(p) for p in pids)
            self.peak_mb = max(self.peak_mb, mb)
            self.phase_peak_mb[self.phase] = max(self.phase_peak_mb.get(self.phase, 0.0), mb)
            self._stop.wait(self.interval)

    def __enter__(self) -> _TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# -- data --------------------------------------------------------------------------------------
# The generator holds a whole store in memory (about 0.45 GB per million order lines: 25 GB for
# 200k SKUs at 100 orders each), so a bigger store is generated in parts of at most this many
# SKUs, each in its own process with its own seed, and loaded part after part. Each part's ids
# are prefixed so that parts never collide; the tables a store has once (categories, knowledge
# documents) come from the first part.
PART_SKUS = 100_000
_PART_KEYS = ("product_id", "order_id", "customer_id", "refund_id", "review_id", "event_id",
              "session_id", "supplier_id", "expense_id")
_ONCE_PER_STORE = ("categories", "knowledge_documents")


def _prefix_ids(folder: Path, prefix: str) -> None:
    """Rewrite a generated part's ids with ``prefix`` (nulls stay null) and drop the tables the
    first part already gave the store."""
    import duckdb

    for name in _ONCE_PER_STORE:
        (folder / f"{name}.parquet").unlink(missing_ok=True)
    con = duckdb.connect()
    try:
        for path in sorted(folder.glob("*.parquet")):
            columns = [r[0] for r in con.execute(
                "DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()]
            keys = [c for c in columns
                    if c in _PART_KEYS or (c == "parent_id" and path.stem == "products")]
            if not keys:
                continue
            replace = ", ".join(f"'{prefix}' || \"{c}\" AS \"{c}\"" for c in keys)
            rewritten = path.with_suffix(".rewritten")
            con.execute(f"COPY (SELECT * REPLACE ({replace}) FROM read_parquet('{path}')) "
                        f"TO '{rewritten}' (FORMAT parquet)")
            rewritten.replace(path)
    finally:
        con.close()


def _generate_child(skus: int, orders: int, workdir: str, out: mp.Queue, part: int = 0) -> None:
    import shutil

    from shopkeeper.store import Warehouse, ingest
    from shopkeeper.store.generate import generate_store

    files = Path(workdir) / f"files-{part}"
    t0 = time.perf_counter()
    counts = generate_store(files, orders=orders, skus=skus, days=DAYS, seed=part,
                            fmt="parquet")
    if part:
        _prefix_ids(files, f"S{part}-")
    gen_s = time.perf_counter() - t0
    with Warehouse(Path(workdir) / "warehouse.duckdb") as wh:
        t0 = time.perf_counter()
        report = ingest(wh, [files], preset="canonical", generated=True,
                        source_label=f"generated:bench part {part}")
        ingest_s = time.perf_counter() - t0
    shutil.rmtree(files)
    out.put({"generate_s": gen_s, "ingest_s": ingest_s, "order_lines": counts["order_lines"],
             "sku_suppliers": counts["sku_suppliers"],
             "inventory_snapshots": counts["inventory_snapshots"],
             "quarantined": report.rows_quarantined, "peak_rss_mb": _peak_rss_mb()})


def _generate_part(skus: int, orders: int, workdir: str, part: int) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_generate_child, args=(skus, orders, workdir, queue, part))
    proc.start()
    while True:  # never wait forever on a child that died before answering
        try:
            result = queue.get(timeout=1.0)
            break
        except queue_module.Empty:
            if not proc.is_alive():
                raise RuntimeError(
                    f"data generation failed with exit code {proc.exitcode}") from None
    proc.join()
    return result


def _make_data(skus: int, orders: int, workdir: str) -> dict:
    """A store of ``skus`` SKUs and ``orders`` orders in ``workdir/warehouse.duckdb``, in parts
    of at most ``PART_SKUS`` SKUs; the parts' figures summed (peak memory: the largest)."""
    parts = -(-skus // PART_SKUS)
    total: dict = {"parts": parts}
    for part in range(parts):
        r = _generate_part(skus // parts + (part < skus % parts),
                           orders // parts + (part < orders % parts), workdir, part)
        for key, value in r.items():
            total[key] = max(total.get(key, 0), value) if key == "peak_rss_mb" \
                else total.get(key, 0) + value
    return total


# -- one size, in a child process --------------------------------------------------------------
class _Phases:
    """Wall time per phase from ``forecast_demand``'s progress reports (and the phase's name
    for the memory sampler)."""

    def __init__(self, mem: _TreeMemory) -> None:
        self.mem = mem
        self.start = self.last = time.perf_counter()
        self.current = mem.phase = "building series from the warehouse"
        self.seconds: dict[str, float] = {}

    def report(self, phase: str, fraction: float | None) -> None:
        label = re.sub(r"forecasting [\d,]+/[\d,]+ series \((.*)\)", r"statistical models (\1)",
                       phase)
        label = re.sub(r"on [\d,]+ series", "", label).strip()
        if label == "done":
            label = "saving the run"
        self.close()
        self.current = self.mem.phase = label

    def close(self) -> None:
        now = time.perf_counter()
        self.seconds[self.current] = self.seconds.get(self.current, 0.0) + now - self.last
        self.last = now


def run_one(skus: int, orders_per_sku: int, jobs: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="shopkeeper-bench-") as workdir:
        data = _make_data(skus, orders_per_sku * skus, workdir)
        print(f"  data: {data['order_lines']:,} order lines, {data['sku_suppliers']:,} supplier "
              f"rows, {data['inventory_snapshots']:,} stock counts; generated in "
              f"{data['generate_s']:.1f} s, ingested in {data['ingest_s']:.1f} s "
              f"(not timed; peak RSS {data['peak_rss_mb']:,.0f} MB)", flush=True)

        from shopkeeper.forecast import forecast_demand
        from shopkeeper.inventory import make_plan
        from shopkeeper.store import Warehouse

        with Warehouse(Path(workdir) / "warehouse.duckdb") as wh, _TreeMemory() as mem:
            phases = _Phases(mem)
            t0 = time.perf_counter()
            try:
                run = forecast_demand(wh, level="sku", freq="D", horizon=HORIZON, n_jobs=jobs,
                                      progress=phases.report)
                forecast_s = time.perf_counter() - t0
                phases.close()
                mem.phase = "make_plan"
                t0 = time.perf_counter()
                plan = make_plan(wh)
                plan_s = time.perf_counter() - t0
            except Exception as exc:  # report the failure as a result, go on with other sizes
                traceback.print_exc()
                return {"skus": skus, "error": f"{type(exc).__name__}: {exc}".splitlines()[0],
                        "step": mem.phase, "step_s": time.perf_counter() - phases.last,
                        "elapsed_s": time.perf_counter() - phases.start,
                        "peak_rss_mb": _peak_rss_mb(), "tree_pss_mb": mem.peak_mb,
                        "phases_s": phases.seconds, "data": data}
        choices = run.result.choices
        return {
            "skus": skus, "series": int(len(choices)), "forecast_s": forecast_s,
            "plan_s": plan_s, "total_s": forecast_s + plan_s,
            "series_per_s": len(choices) / (forecast_s + plan_s),
            "peak_rss_mb": _peak_rss_mb(), "tree_pss_mb": mem.peak_mb,
            "max_procs": mem.max_procs, "phase_pss_mb": mem.phase_peak_mb,
            "models": {str(k): int(v) for k, v in choices["model"].value_counts().items()},
            "classes": {str(k): int(v)
                        for k, v in choices["demand_class"].value_counts().items()},
            "phases_s": phases.seconds, "plan_lines": int(len(plan.lines)),
            "plan_orders": int(len(plan.orders)), "data": data,
        }


def _run_child(skus: int, args: argparse.Namespace) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--one", str(skus),
           "--orders-per-sku", str(args.orders_per_sku), "--jobs", str(args.jobs)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    result = None
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith(RESULT_TAG):
            result = json.loads(line[len(RESULT_TAG):])
        else:
            print(line, end="", flush=True)
    if proc.wait() or result is None:
        raise RuntimeError(f"benchmark child for {skus} SKUs failed (exit code {proc.returncode})")
    return result


def _print_size(r: dict) -> None:
    if "error" in r:
        print(f"  FAILED in {r['step']!r} after {r['step_s']:.1f} s ({r['elapsed_s']:.1f} s "
              f"since the start of forecast_demand; peak RSS {r['peak_rss_mb']:,.0f} MB, "
              f"process-tree PSS {r['tree_pss_mb']:,.0f} MB): {r['error']}", flush=True)
        return
    print(f"  {r['series']:,} series: forecast {r['forecast_s']:.1f} s, plan {r['plan_s']:.1f} s, "
          f"total {r['total_s']:.1f} s, {r['series_per_s']:.1f} series/s; peak RSS "
          f"{r['peak_rss_mb']:,.0f} MB, process-tree PSS {r['tree_pss_mb']:,.0f} MB "
          f"({r['max_procs']} processes)")
    print("  forecast phases: " + ", ".join(f"{k} {v:.1f} s" for k, v in r["phases_s"].items()))
    print("  peak process-tree PSS per phase: "
          + ", ".join(f"{k} {v:,.0f} MB" for k, v in r["phase_pss_mb"].items()))
    print("  demand classes: " + ", ".join(f"{k} {v}" for k, v in r["classes"].items()))
    print("  models chosen: " + ", ".join(f"{k} {v}" for k, v in r["models"].items()))
    print(f"  plan: {r['plan_lines']:,} lines, {r['plan_orders']:,} ordering now", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skus", default="1000,2500,5000,10000",
                        help="comma-separated SKU counts (default 1000,2500,5000,10000)")
    parser.add_argument("--quick", action="store_true", help="only 1,000 SKUs")
    parser.add_argument("--orders-per-sku", type=int, default=100,
                        help="orders generated per SKU over the two years (default 100)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="n_jobs for forecast_demand (default: all cores)")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # child: one size
    args = parser.parse_args(argv)

    if args.one:
        result = run_one(args.one, args.orders_per_sku, args.jobs)
        print(RESULT_TAG + json.dumps(result), flush=True)
        return 0

    sizes = [1000] if args.quick else sorted({int(s) for s in args.skus.split(",") if s.strip()})
    print(f"forecast + plan scale benchmark: SKUs {', '.join(f'{s:,}' for s in sizes)} × {DAYS} "
          f"days, {args.orders_per_sku} orders per SKU, horizon {HORIZON}; {args.jobs} jobs on "
          f"{os.cpu_count()} CPUs, Python {platform.python_version()}", flush=True)
    results = []
    for skus in sizes:
        print(f"\n{skus:,} SKUs", flush=True)
        results.append(_run_child(skus, args))
        _print_size(results[-1])

    ok = [r for r in results if "error" not in r]
    base = ok[0] if ok else None
    print(f"\n{'skus':>7} {'series':>7} {'forecast_s':>10} {'plan_s':>7} {'total_s':>8} "
          f"{'series_per_s':>12} {'peak_rss_mb':>11} {'tree_pss_mb':>11} {'time_x':>7} "
          f"{'skus_x':>6}")
    for r in results:
        if "error" in r or base is None:
            print(f"{r['skus']:7,} FAILED in {r['step']!r}: {r['error'][:80]}")
            continue
        r["time_ratio"] = r["total_s"] / base["total_s"]
        r["size_ratio"] = r["skus"] / base["skus"]
        print(f"{r['skus']:7,} {r['series']:7,} {r['forecast_s']:10.1f} {r['plan_s']:7.1f} "
              f"{r['total_s']:8.1f} {r['series_per_s']:12.1f} {r['peak_rss_mb']:11,.0f} "
              f"{r['tree_pss_mb']:11,.0f} {r['time_ratio']:7.2f} {r['size_ratio']:6.1f}")
    print("(time_x: total time relative to the smallest size; skus_x: size relative to it)")

    target = next((r for r in results if r["skus"] == TARGET_SKUS), None)
    verdict = None
    if target is None:
        print(f"\n{TARGET_SKUS:,}-SKU target not measured (run with {TARGET_SKUS} in --skus)")
    elif "error" in target:
        verdict = False
        print(f"\n{TARGET_SKUS:,} SKUs: FAILED, target NOT met")
    else:
        memory = max(target["peak_rss_mb"], target["tree_pss_mb"])
        verdict = target["total_s"] < TARGET_SECONDS and memory < TARGET_MB
        print(f"\n{TARGET_SKUS:,} SKUs: {target['total_s']:.1f} s (target < {TARGET_SECONDS} s), "
              f"{memory:,.0f} MB (target < {TARGET_MB:,} MB): "
              f"{'met' if verdict else 'NOT met'}")
    print(json.dumps({"cpus": os.cpu_count(), "jobs": args.jobs,
                      "orders_per_sku": args.orders_per_sku, "target_met": verdict,
                      "results": results}))
    return 1 if len(ok) < len(results) else 0


if __name__ == "__main__":
    sys.exit(main())
