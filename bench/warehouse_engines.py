"""The same store on DuckDB and on PostgreSQL: the copy, the monthly finance report and every
metric by each dimension on both engines side by side with their ratio and a check that the
answers are equal, ingestion, and 20 writers with 50 readers on PostgreSQL at once.

    .venv/bin/python bench/warehouse_engines.py                  # the store `make demo` built
    .venv/bin/python bench/warehouse_engines.py --warehouse other.duckdb --postgres URL
    .venv/bin/python bench/warehouse_engines.py --order-lines 1000000,10000000  # generated

Without ``--postgres`` it starts a private PostgreSQL server (tests/postgres_server.py: Debian's
PostgreSQL, fsync off, as in the tests) and creates a fresh database on it.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import postgres_server  # noqa: E402
from tests.test_engine_conformance import assert_same  # noqa: E402

from shopkeeper import metrics  # noqa: E402
from shopkeeper.store import Warehouse, copy_warehouse, load_settings  # noqa: E402

DIMENSIONS = [(), ("month",), ("week",), ("country",), ("sku",), ("customer_type",),
              ("month", "country")]


def timed(fn, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warehouse", type=Path, default=None,
                        help="DuckDB warehouse (default: the settings' warehouse)")
    parser.add_argument("--postgres", default=None, help="an existing server's URL (a user "
                        "that may create databases); default: start a private one")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--writers", type=int, default=20)
    parser.add_argument("--readers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0,
                        help="how long the writers and readers run")
    parser.add_argument("--order-lines", default=None,
                        help="comma-separated sizes: generated stores of about this many order "
                        "lines (two years, seed 0) instead of the demo store; ingestion and "
                        "concurrency are left out")
    args = parser.parse_args()
    sizes = [int(float(n)) for n in args.order_lines.split(",")] if args.order_lines else []
    path = args.warehouse or load_settings().warehouse
    if not sizes and not Path(path).exists():
        print(f"no warehouse at {path}: run `make demo` first", file=sys.stderr)
        return 1
    with contextlib.ExitStack() as stack:
        if args.postgres:
            server = postgres_server.Server(args.postgres)
        else:
            reason = postgres_server.unavailable_reason()
            if reason:
                print(f"cannot start PostgreSQL: {reason}", file=sys.stderr)
                return 1
            server = stack.enter_context(postgres_server.start())
        if sizes:
            for lines in sizes:
                bench_store(generated_store(stack, lines), server, args.repeats)
            return 0
        bench_store(Path(path), server, args.repeats)
        bench_ingest(server, stack)
        bench_concurrency(server, stack, args.writers, args.readers, args.seconds)
    return 0


def generated_store(stack: contextlib.ExitStack, lines: int) -> Path:
    """A DuckDB warehouse of a generated two-year store with about ``lines`` order lines."""
    import tempfile

    from shopkeeper.store import generate_store, ingest

    folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
    started = time.perf_counter()
    orders = max(1, round(lines / 2.83))  # the generator writes about 2.83 lines an order
    generate_store(folder / "export", orders=orders, seed=0, fmt="parquet")
    with Warehouse(folder / "w.duckdb") as wh:
        ingest(wh, [folder / "export"])
    print(f"\ngenerated and loaded {orders:,} orders in {time.perf_counter() - started:.0f} s")
    return folder / "w.duckdb"


def same_facts(a, b) -> bool:
    """Two finance reports state the same facts (numbers to nine significant digits) and the
    same narrative."""
    import math

    def close(x, y) -> bool:
        if isinstance(x, int | float) and isinstance(y, int | float):
            return math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9) or (x != x and y != y)
        return x == y

    return (a.facts.keys() == b.facts.keys() and a.narrative.text == b.narrative.text
            and all(close(a.facts[k].value, b.facts[k].value) for k in a.facts))


def bench_store(path: Path, server: postgres_server.Server, repeats: int) -> None:
    """The copy, the monthly finance report and every metric by each dimension, on both
    engines; answers checked equal."""
    from shopkeeper import finance

    with contextlib.ExitStack() as stack:
        url = server.create_database("shopkeeper_bench")
        stack.callback(server.drop_database, url)
        duck = stack.enter_context(Warehouse(path, read_only=True))
        pg = stack.enter_context(Warehouse(url))
        lines = duck.count("order_lines")
        started = time.perf_counter()
        copied = copy_warehouse(duck, pg)
        copy_s = time.perf_counter() - started
        print(f"store: {path} ({lines:,} order lines, {sum(copied.values()):,} rows in "
              f"{len(copied)} tables)")
        print(f"copy DuckDB -> PostgreSQL: {copy_s:.1f} s "
              f"({sum(copied.values()) / copy_s:,.0f} rows/s)\n")
        d_s, d_report = timed(lambda: finance.build_report(duck, "month"), repeats)
        p_s, p_report = timed(lambda: finance.build_report(pg, "month"), repeats)
        same = same_facts(d_report, p_report)
        print(f"monthly finance report ({d_report.period.label}), median of {repeats}: "
              f"DuckDB {d_s:.2f} s, PostgreSQL {p_s:.2f} s, {p_s / d_s:.1f}×, "
              f"facts equal: {'yes' if same else 'NO'}\n")
        names = list(metrics.METRICS)
        print(f"all {len(names)} metrics, median of {repeats}:")
        print(f"{'by':<20} {'rows':>6} {'DuckDB s':>9} {'PostgreSQL s':>13} {'ratio':>7}  same")
        ratios = []
        for dims in DIMENSIONS:
            d_s, d_res = timed(lambda: metrics.query(duck, names, by=dims), repeats)  # noqa: B023
            p_s, p_res = timed(lambda: metrics.query(pg, names, by=dims), repeats)  # noqa: B023
            assert_same(d_res.df, p_res.df, str(dims))
            ratios.append(p_s / d_s)
            print(f"{' × '.join(dims) or 'total':<20} {len(d_res.df):>6} {d_s:>9.3f} "
                  f"{p_s:>13.3f} {p_s / d_s:>6.1f}×  yes")
        print(f"\nPostgreSQL / DuckDB, geometric mean: "
              f"{statistics.geometric_mean(ratios):.1f}×")


def bench_concurrency(server: postgres_server.Server, stack: contextlib.ExitStack,
                      writers: int, readers: int, seconds: float) -> None:
    """``writers`` threads each load small exports one after another while ``readers`` threads
    ask for metrics, every thread on its own connection, for ``seconds``: then every row
    written must be there exactly once, and no thread may have seen an error."""
    import tempfile
    import threading

    from shopkeeper.store import ingest

    folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
    url = server.create_database("shopkeeper_bench_concurrency")
    stack.callback(server.drop_database, url)
    Warehouse(url).close()  # migrated once, before the crowd arrives
    deadline = time.monotonic() + seconds
    errors: list[str] = []
    loaded = [0] * writers
    reads = [0] * readers
    rows_per_file = 50

    def writer(w: int) -> None:
        try:
            with Warehouse(url) as wh:
                n = 0
                while time.monotonic() < deadline:
                    path = folder / f"w{w}-{n}" / "order_lines.csv"
                    path.parent.mkdir()
                    path.write_text(
                        "order_id,line_number,product_id,quantity,unit_price,currency\n"
                        + "".join(f"W{w}-{n}-{i},1,SKU{i % 9},{1 + i % 3},{2 + i % 5}.50,USD\n"
                                  for i in range(rows_per_file)))
                    report = ingest(wh, [path], preset="canonical_order_lines")
                    loaded[w] += report.rows_loaded
                    n += 1
        except Exception as exc:  # noqa: BLE001 - counted and printed
            errors.append(f"writer {w}: {exc}")

    def reader(r: int) -> None:
        try:
            with Warehouse(url, read_only=True) as wh:
                while time.monotonic() < deadline:
                    lines = wh.count("order_lines")
                    if lines % rows_per_file:
                        errors.append(f"reader {r} saw half a load: {lines} lines")
                    reads[r] += 1
        except Exception as exc:  # noqa: BLE001
            errors.append(f"reader {r}: {exc}")

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(writers)]
    threads += [threading.Thread(target=reader, args=(r,)) for r in range(readers)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    with Warehouse(url, read_only=True) as wh:
        in_store = wh.count("order_lines")
        loads, recorded = wh.query("SELECT count(*), coalesce(sum(rows_loaded), 0) FROM loads")[0]
    print(f"\nconcurrency on PostgreSQL: {writers} writers, {readers} readers, {elapsed:.0f} s")
    print(f"  loads committed {loads:,} ({loads / elapsed:.1f}/s), rows written "
          f"{sum(loaded):,}, rows in the store {in_store:,}, recorded by the loads {recorded:,}")
    print(f"  reads {sum(reads):,} ({sum(reads) / elapsed:,.0f}/s); errors {len(errors)}; "
          f"lost rows {sum(loaded) - in_store:,}")
    for error in errors[:5]:
        print("  ", error)


def bench_ingest(server: postgres_server.Server, stack: contextlib.ExitStack) -> None:
    """The demo's Online Retail export in two halves that overlap by a month (the second
    restates May), then the second half again (same bytes: skipped), into a new store on each
    engine."""
    import tempfile

    import pandas as pd

    from shopkeeper.store import ingest
    from shopkeeper.store.demo import demo_data_files

    folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
    raw = pd.read_parquet(demo_data_files()[0])
    halves = [folder / "first" / "online_retail.parquet", folder / "second" / "online_retail.parquet"]
    for path, part in zip(halves, [raw[raw.InvoiceDate < "2011-06-01"],
                                   raw[raw.InvoiceDate >= "2011-05-01"]], strict=True):
        path.parent.mkdir()
        part.to_parquet(path)
    url = server.create_database("shopkeeper_bench_ingest")
    stack.callback(server.drop_database, url)
    duck = stack.enter_context(Warehouse(folder / "w.duckdb"))
    pg = stack.enter_context(Warehouse(url))
    print("\ningest (the Online Retail export in two overlapping halves):")
    print(f"{'file':<34} {'rows':>8} {'DuckDB s':>9} {'PostgreSQL s':>13} {'ratio':>7}")
    for label, path in [("first half (to May 2011)", halves[0]),
                        ("second half (from May: restates it)", halves[1]),
                        ("second half again (skipped)", halves[1])]:
        d_s, report = timed(lambda: ingest(duck, [path], preset="uci_online_retail",  # noqa: B023
                                           default_currency="GBP"), 1)
        p_s, _ = timed(lambda: ingest(pg, [path], preset="uci_online_retail",  # noqa: B023
                                      default_currency="GBP"), 1)
        print(f"{label:<34} {report.rows_read:>8,} {d_s:>9.2f} {p_s:>13.2f} "
              f"{p_s / d_s:>6.1f}×")
    assert_same(metrics.query(duck, list(metrics.METRICS), by="month").df,
                metrics.query(pg, list(metrics.METRICS), by="month").df, "after the loads")
    print(f"order lines: {duck.count('order_lines'):,} on DuckDB, "
          f"{pg.count('order_lines'):,} on PostgreSQL; every metric by month equal")


if __name__ == "__main__":
    raise SystemExit(main())
