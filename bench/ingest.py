"""Ingest benchmark: Shopkeeper's validated load against DuckDB's own CSV load of the same file.

    .venv/bin/python bench/ingest.py [--lines 1000000] [--repeat 3] [--threads N] [--profile]
    .venv/bin/python bench/ingest.py --lines 62000000 --repeat 1 --memory-limit 2GB  # ~5 GB

Writes a canonical ``order_lines.csv`` of ``--lines`` rows (synthetic, seed 0) to a temp folder,
then measures, best of ``--repeat`` runs each, every run in a fresh child process on a fresh
database file:

* duckdb: ``CREATE TABLE t AS SELECT * FROM read_csv('<file>')`` (type auto-detection, no checks);
* shopkeeper: ``ingest(warehouse, [file], preset="canonical")``: staging, typing, every schema
  check, quarantine, duplicate keys, lineage columns and load records, in one transaction.

The timed span is the load statement / ``ingest()`` call (opening the database and the schema
migrations are outside it; both commit inside it). Peak memory is the child's ``VmHWM`` (its
peak resident set since exec), so it includes DuckDB's native allocations and the Python
interpreter with its imports. Both loaders run under ``--memory-limit`` (DuckDB's
``memory_limit``; Shopkeeper's default is 2GB), and the
Shopkeeper run records its progress bar: how many updates it gave and the longest silence
between two (a live bar never goes quiet for long, whatever the file's size). ``--profile``
(automatic when the ratio is under the 0.5 target) times each SQL statement ``ingest()`` runs.
The last line of output is the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

TARGET_RATIO = 0.5


def _peak_rss_mb() -> float:
    """This process's peak resident memory. Linux's ``VmHWM`` starts afresh at exec;
    ``ru_maxrss`` keeps the peak of the parent it was forked from (the CSV writer here)."""
    try:
        status = Path("/proc/self/status").read_text()
        return int(next(line.split()[1] for line in status.splitlines()
                        if line.startswith("VmHWM:"))) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _duckdb_child(csv_path: str, workdir: str, threads: int, memory_limit: str,
                  out: mp.Queue) -> None:
    import duckdb

    config = {"threads": threads} if threads else {}
    config["memory_limit"] = memory_limit
    con = duckdb.connect(str(Path(workdir) / "duckdb.db"), config=config)
    t0 = time.perf_counter()
    con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{csv_path}')")
    elapsed = time.perf_counter() - t0
    rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
    con.close()
    out.put({"seconds": elapsed, "rows": rows, "peak_rss_mb": _peak_rss_mb()})


class _TimedConnection:
    """Delegates to a DuckDB connection, timing every ``execute``."""

    def __init__(self, con, log: list) -> None:
        self._con, self._log = con, log

    def execute(self, sql, *args, **kwargs):
        t0 = time.perf_counter()
        try:
            return self._con.execute(sql, *args, **kwargs)
        finally:
            self._log.append((time.perf_counter() - t0, " ".join(str(sql).split())))

    def __getattr__(self, name):
        return getattr(self._con, name)


def _shopkeeper_child(csv_path: str, workdir: str, threads: int, memory_limit: str,
                      profile: bool, out: mp.Queue) -> None:
    from shopkeeper.store.ingest.loader import ingest
    from shopkeeper.store.warehouse import Warehouse

    log: list[tuple[float, str]] = []
    if profile:
        real = Warehouse.connection.fget
        Warehouse.connection = property(lambda self: _TimedConnection(real(self), log))
    ticks: list[float] = []
    labels: list[str] = []

    def progress(label: str, _fraction: float | None) -> None:
        ticks.append(time.perf_counter())
        labels.append(label)

    with Warehouse(Path(workdir) / "warehouse.duckdb", threads=threads,
                   memory_limit=memory_limit) as wh:
        t0 = time.perf_counter()
        report = ingest(wh, [csv_path], preset="canonical", generated=True,
                        source_label="generated:bench", progress=progress)
        elapsed = time.perf_counter() - t0
    marks = [t0, *ticks, t0 + elapsed]
    gaps = [b - a for a, b in zip(marks, marks[1:], strict=False)]
    quietest = max(range(len(gaps)), key=gaps.__getitem__)
    steps = ["(start)", *labels, "(end)"]
    out.put({
        "seconds": elapsed, "rows": report.rows_loaded, "rows_read": report.rows_read,
        "quarantined": report.rows_quarantined, "peak_rss_mb": _peak_rss_mb(),
        "statements": log, "progress_updates": len(ticks),
        "longest_silence_s": gaps[quietest],
        "longest_silence_between": f"{steps[quietest]} / {steps[quietest + 1]}",
    })


def _run_child(target, *args) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    with tempfile.TemporaryDirectory(prefix="shopkeeper-bench-") as workdir:
        proc = ctx.Process(target=target, args=(*args[:1], workdir, *args[1:], queue))
        proc.start()
        result = queue.get()
        proc.join()
    if proc.exitcode:
        raise RuntimeError(f"benchmark child failed with exit code {proc.exitcode}")
    return result


def _best(results: list[dict]) -> dict:
    best = min(results, key=lambda r: r["seconds"])
    return {**best, "runs_s": [round(r["seconds"], 3) for r in results],
            "peak_rss_mb": max(r["peak_rss_mb"] for r in results)}


BLOCK = 1_000_000  # the generator builds a file in memory: bigger files repeat blocks of it


def _write_csv(path: Path, lines: int) -> int:
    """A canonical ``order_lines.csv`` of ``lines`` rows. Up to ``BLOCK`` rows it is the
    generator's own; past that, DuckDB repeats a generated block with each copy's order ids
    made unique (``B7-SO-0000001``), streaming to the file (``lines`` rounded up to whole
    blocks)."""
    from shopkeeper.store.generate import write_order_lines_csv

    if lines <= BLOCK:
        return write_order_lines_csv(path, lines, seed=0)
    import duckdb

    block = path.with_name("block.csv")
    write_order_lines_csv(block, BLOCK, seed=0)
    copies = -(-lines // BLOCK)
    con = duckdb.connect(config={"memory_limit": "1GB", "preserve_insertion_order": False})
    con.execute(f"""
        COPY (SELECT b.* REPLACE ('B' || c.k || '-' || b.order_id AS order_id)
              FROM range({copies}) c(k), read_csv('{block}', all_varchar = true) b)
        TO '{path}' (HEADER, QUOTE '"')""")
    con.close()
    block.unlink()
    return copies * BLOCK


def _print_profile(statements: list[tuple[float, str]], total: float) -> None:
    print(f"\nProfile of one ingest() ({total:.2f} s in total; SQL statements by time):")
    print(f"{'seconds':>8} {'share':>6}  statement")
    for seconds, sql in sorted(statements, key=lambda s: -s[0])[:12]:
        print(f"{seconds:8.3f} {seconds / total:6.1%}  {sql[:150]}")
    covered = sum(s for s, _ in statements)
    print(f"{covered:8.3f} {covered / total:6.1%}  (all {len(statements)} statements; the rest "
          "is Python: hashing, UTF-8 check, header sniffing)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="DuckDB threads (0 = all cores)")
    parser.add_argument("--profile", action="store_true", help="time every SQL statement")
    parser.add_argument("--no-profile", action="store_true",
                        help="never profile, even when the ratio misses the target")
    parser.add_argument("--keep", type=Path, help="also copy the CSV here")
    parser.add_argument("--memory-limit", default="2GB",
                        help="DuckDB memory_limit for both loaders (default: Shopkeeper's 2GB)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="shopkeeper-bench-") as tmp:
        csv_path = Path(tmp) / "order_lines.csv"
        t0 = time.perf_counter()
        rows = _write_csv(csv_path, args.lines)
        gen_s = time.perf_counter() - t0
        size_mb = csv_path.stat().st_size / 2**20
        if args.keep:
            args.keep.write_bytes(csv_path.read_bytes())
        print(f"order_lines.csv: {rows:,} rows, {size_mb:,.1f} MiB, generated in {gen_s:.2f} s "
              f"({os.cpu_count()} CPUs, Python {platform.python_version()})")

        limit = args.memory_limit
        duck = _best([_run_child(_duckdb_child, str(csv_path), args.threads, limit)
                      for _ in range(args.repeat)])
        shop = _best([_run_child(_shopkeeper_child, str(csv_path), args.threads, limit, False)
                      for _ in range(args.repeat)])
        if duck["rows"] != rows or shop["rows"] != rows or shop["quarantined"]:
            print(f"warning: row counts differ: file {rows}, duckdb {duck['rows']}, "
                  f"shopkeeper {shop['rows']} loaded / {shop['quarantined']} quarantined")
        ratio = duck["seconds"] / shop["seconds"]

        print()
        print(f"{'loader':<12} {'best s':>8} {'rows/s':>12} {'peak RSS MiB':>13}  runs (s)")
        for name, r in (("duckdb", duck), ("shopkeeper", shop)):
            print(f"{name:<12} {r['seconds']:8.3f} {rows / r['seconds']:12,.0f} "
                  f"{r['peak_rss_mb']:13,.0f}  {r['runs_s']}")
        print(f"memory_limit {limit}; shopkeeper's progress bar: {shop['progress_updates']:,} "
              f"updates, longest silence {shop['longest_silence_s']:.1f} s "
              f"({shop['longest_silence_between']})")
        verdict = "meets" if ratio >= TARGET_RATIO else "MISSES"
        print(f"\nshopkeeper/duckdb throughput ratio: {ratio:.2f} ({verdict} the "
              f"{TARGET_RATIO} target)")

        if args.profile or (ratio < TARGET_RATIO and not args.no_profile):
            prof = _run_child(_shopkeeper_child, str(csv_path), args.threads, limit, True)
            _print_profile(prof["statements"], prof["seconds"])

        figures = {
            "lines": rows, "csv_mib": round(size_mb, 1), "cpus": os.cpu_count(),
            "duckdb_s": round(duck["seconds"], 3),
            "duckdb_rows_per_s": round(rows / duck["seconds"]),
            "shopkeeper_s": round(shop["seconds"], 3),
            "shopkeeper_rows_per_s": round(rows / shop["seconds"]),
            "ratio": round(ratio, 3), "target": TARGET_RATIO,
            "duckdb_peak_rss_mib": round(duck["peak_rss_mb"]),
            "shopkeeper_peak_rss_mib": round(shop["peak_rss_mb"]),
            "quarantined": shop["quarantined"], "repeat": args.repeat,
            "memory_limit": limit, "progress_updates": shop["progress_updates"],
            "longest_silence_s": round(shop["longest_silence_s"], 1),
        }
        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
