"""The same store on DuckDB and on PostgreSQL: the copy, then every metric by each dimension on
both engines, side by side, with their ratio and a check that the answers are equal to the cent.

    .venv/bin/python bench/warehouse_engines.py                  # the store `make demo` built
    .venv/bin/python bench/warehouse_engines.py --warehouse other.duckdb --postgres URL

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
    args = parser.parse_args()
    path = args.warehouse or load_settings().warehouse
    if not Path(path).exists():
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
        names = list(metrics.METRICS)
        print(f"all {len(names)} metrics, median of {args.repeats}:")
        print(f"{'by':<20} {'rows':>6} {'DuckDB s':>9} {'PostgreSQL s':>13} {'ratio':>7}  same")
        ratios = []
        for dims in DIMENSIONS:
            d_s, d_res = timed(lambda: metrics.query(duck, names, by=dims), args.repeats)  # noqa: B023
            p_s, p_res = timed(lambda: metrics.query(pg, names, by=dims), args.repeats)  # noqa: B023
            assert_same(d_res.df, p_res.df, str(dims))
            ratios.append(p_s / d_s)
            print(f"{' × '.join(dims) or 'total':<20} {len(d_res.df):>6} {d_s:>9.3f} "
                  f"{p_s:>13.3f} {p_s / d_s:>6.1f}×  yes")
        print(f"\nPostgreSQL / DuckDB, geometric mean: "
              f"{statistics.geometric_mean(ratios):.1f}×")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
