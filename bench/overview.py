"""The overview page's data: cold against cached, and many users at once.

    .venv/bin/python bench/overview.py [--demo WAREHOUSE] [--lines 10000000] [--users 50]
                                       [--workdir DIR]

Stores: the demo store (``--demo``: its warehouse file; default ``shopkeeper-data/
warehouse.duckdb`` here, else one built by ``shopkeeper demo`` in a temporary folder), and with
``--lines N`` a generated store of about N order lines (``generate_store``, seed 0, parquet,
ingested into a fresh warehouse outside the timed span; kept under ``--workdir`` for reuse).

Timed per store:

* **cold**: ``finance.kpi_tiles`` (month, week, day) with an empty cache: the metric queries;
* **cached**: the same call again (the data version check and a dictionary lookup);
* **alerts cold**: ``finance.recent_anomalies``, ``reviews.recent_alerts`` and
  ``inventory.stockout_alerts`` with an empty cache;
* **page, N users**: N threads, each with its own warehouse handle (as a server gives each
  request its own cursor), each asking for everything the page shows 5 times (tiles, alerts,
  and the uncached waiting-for-you lists); p50 and p95 latency of one whole page, warm cache.

The last line of output is the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

LINES_PER_ORDER = 2.83  # what generate_store averages
PAGE_REPEAT = 5


def _timed(fn) -> tuple[float, object]:
    t0 = time.perf_counter()
    value = fn()
    return time.perf_counter() - t0, value


def _page(wh) -> None:
    """Everything the overview page asks for."""
    from shopkeeper import content, finance, inventory, reviews, service

    finance.kpi_tiles(wh, period="month")
    finance.recent_anomalies(wh)
    reviews.recent_alerts(wh)
    inventory.stockout_alerts(wh)
    content.pending_drafts(wh)
    reviews.pending_replies(wh)
    inventory.pending_plan_lines(wh)
    service.open_handoffs(wh)
    service.pending_returns(wh)


def run_store(name: str, db: Path, users: int) -> dict:
    from shopkeeper import finance, inventory, metrics, reviews
    from shopkeeper.store import Warehouse

    out: dict = {"store": name}
    with Warehouse(db, read_only=True) as wh:
        out["order_lines"] = wh.query("SELECT count(*) FROM order_lines")[0][0]
        out["currencies"] = metrics.currencies(wh)
        for period in ("month", "week", "day"):
            metrics.clear_cache()
            cold, tiles = _timed(lambda p=period: finance.kpi_tiles(wh, period=p))
            warm, again = _timed(lambda p=period: finance.kpi_tiles(wh, period=p))
            assert again is tiles
            out[f"tiles_{period}_cold_s"] = round(cold, 4)
            out[f"tiles_{period}_cached_s"] = round(warm, 5)
            print(f"{name}: kpi_tiles({period}) {tiles.label} "
                  f"[{', '.join(g.currency for g in tiles.groups)}]: cold {cold:.3f} s, "
                  f"cached {warm * 1000:.2f} ms")
        for label, fn in (("anomalies", lambda: finance.recent_anomalies(wh)),
                          ("review_alerts", lambda: reviews.recent_alerts(wh)),
                          ("stockout", lambda: inventory.stockout_alerts(wh))):
            cold, _ = _timed(fn)
            warm, _ = _timed(fn)
            out[f"{label}_cold_s"], out[f"{label}_cached_s"] = round(cold, 4), round(warm, 5)
            print(f"{name}: {label}: cold {cold:.3f} s, cached {warm * 1000:.2f} ms")
        _page(wh)  # warm every cached part
    latencies: list[float] = []
    errors: list[BaseException] = []
    start = threading.Barrier(users)

    def user() -> None:
        try:
            with Warehouse(db, read_only=True) as own:
                start.wait()
                for _ in range(PAGE_REPEAT):
                    latencies.append(_timed(lambda: _page(own))[0])
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=user) for _ in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    if errors:
        raise errors[0]
    q = statistics.quantiles(latencies, n=20)
    out.update({"users": users, "pages": len(latencies), "page_p50_s": round(q[9], 4),
                "page_p95_s": round(q[18], 4), "pages_per_s": round(len(latencies) / wall, 1)})
    print(f"{name}: {users} users × {PAGE_REPEAT} pages: p50 {q[9] * 1000:.1f} ms, "
          f"p95 {q[18] * 1000:.1f} ms, {len(latencies) / wall:.0f} pages/s")
    return out


def _demo_store(path: Path | None) -> Path:
    if path is not None:
        return path
    here = Path("shopkeeper-data/warehouse.duckdb")
    if here.exists():
        return here
    folder = Path(tempfile.mkdtemp(prefix="overview-demo-"))
    print(f"building the demo store in {folder} (minutes)…")
    exe = Path(sys.executable).with_name("shopkeeper")
    env = {k: v for k, v in os.environ.items() if k != "SHOPKEEPER_CONFIG"}
    subprocess.run([str(exe), "demo"], cwd=folder, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return folder / "shopkeeper-data" / "warehouse.duckdb"


def _generated_store(lines: int, workdir: Path) -> Path:
    from shopkeeper.store import Warehouse, ingest
    from shopkeeper.store.generate import generate_store

    db = workdir / "warehouse.duckdb"
    if db.exists():
        return db
    t0 = time.perf_counter()
    generate_store(workdir / "files", orders=int(lines / LINES_PER_ORDER), seed=0, fmt="parquet")
    t1 = time.perf_counter()
    with Warehouse(db) as wh:
        ingest(wh, [workdir / "files"], preset="canonical", generated=True,
               source_label="generated:bench")
    print(f"generated {lines:,} lines in {t1 - t0:.0f} s, ingested in "
          f"{time.perf_counter() - t1:.0f} s")
    return db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", type=Path, default=None, help="the demo store's warehouse")
    parser.add_argument("--no-demo", action="store_true", help="skip the demo store")
    parser.add_argument("--lines", type=int, default=0, help="also a generated store")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    results = []
    if not args.no_demo:
        results.append(run_store("demo", _demo_store(args.demo), args.users))
    if args.lines:
        workdir = (args.workdir or Path(tempfile.mkdtemp(prefix="overview-bench-"))) / (
            f"lines-{args.lines}")
        workdir.mkdir(parents=True, exist_ok=True)
        results.append(run_store(f"{args.lines:,} lines",
                                 _generated_store(args.lines, workdir), args.users))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
