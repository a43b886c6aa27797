"""``memory_limit`` bounds the process, not only DuckDB's buffer pool (issue 25): the pool gets
what the interpreter, the libraries and DuckDB's allocations outside the pool leave, and a load
far larger than the pool stays under the limit."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from shopkeeper import store
from shopkeeper.store.config import buffer_pool_limit


@pytest.mark.parametrize(("limit", "pool"), [
    ("2GB", "1185MiB"),  # 2e9 B * 0.7 - 150 MiB
    ("4 GiB", "2717MiB"),
    ("1gb", "517MiB"),
    ("256MiB", "128MiB"),  # never less than half
    ("80%", "80%"),  # not a plain size: DuckDB reads it
])
def test_the_buffer_pool_gets_what_the_process_leaves(limit, pool):
    assert buffer_pool_limit(limit) == pool


def test_duckdb_runs_under_the_pool_limit_and_keeps_it_after_a_release(tmp_path):
    with store.Warehouse(tmp_path / "w.duckdb", memory_limit="1GB") as wh:
        set_to = wh.query("SELECT current_setting('memory_limit')")[0][0]
        assert set_to.startswith(("517", "516", "542")), set_to  # DuckDB prints MiB or MB
        wh.release_memory()
        assert wh.query("SELECT current_setting('memory_limit')")[0][0] == set_to


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(),
                    reason="reads the peak from Linux's /proc/self/status")
def test_a_load_larger_than_the_pool_stays_under_the_limit(tmp_path):
    """A 2-million-line CSV (about 170 MB on disk, several times that as staged rows) loads in
    a fresh process with memory_limit 600MB; the process's peak resident memory stays under."""
    from shopkeeper.store.generate import write_order_lines_csv

    csv = tmp_path / "order_lines.csv"
    lines = write_order_lines_csv(csv, 2_000_000, seed=0)
    # the peak is VmHWM, which starts afresh at exec (ru_maxrss keeps this test's own peak)
    child = textwrap.dedent(f"""
        from pathlib import Path
        from shopkeeper.store.ingest.loader import ingest
        from shopkeeper.store.warehouse import Warehouse
        with Warehouse({str(tmp_path / 'w.duckdb')!r}, memory_limit="600MB") as wh:
            report = ingest(wh, [{str(csv)!r}], preset="canonical", generated=True,
                            source_label="test")
        peak = next(line.split()[1] for line in Path("/proc/self/status").read_text().splitlines()
                    if line.startswith("VmHWM:"))
        print(report.rows_loaded, peak)
    """)
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    loaded, peak_kib = map(int, done.stdout.split()[-2:])
    assert loaded == lines
    assert peak_kib * 1024 < 600 * 10**6, f"peak {peak_kib / 1024:.0f} MiB"
