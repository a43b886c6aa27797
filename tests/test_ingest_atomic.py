"""A load is all or nothing (even when the process is killed) and loading twice changes nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from shopkeeper.store import Warehouse, ingest
from shopkeeper.store.ingest.loader import FAULT_ENV
from tests.conftest import shared_file

RAW = "transactions/online_retail/online_retail_I_first240k.parquet"
TABLES = ("orders", "order_lines", "refunds", "products", "customers", "quarantine", "loads",
          "load_files")


def snapshot(wh: Warehouse) -> dict[str, object]:
    """Row counts and a content hash of every table a load touches."""
    out = {}
    for t in TABLES:
        content = "sum(hash(COLUMNS(lambda c: c NOT IN ('_load_id', 'load_id', 'quarantined_at', "
        content += "'started_at', 'finished_at'))))"
        out[t] = wh.query(f"SELECT count(*), {content} FROM {t}")
    return out


def small_csv(tmp_path: Path, name: str = "small.csv", rows: int = 50) -> Path:
    lines = ["order_id,line_number,product_id,quantity,unit_price,currency"]
    lines += [f"O{i // 2},{i % 2 + 1},P{i % 7},{1 + i % 3},{2.5 + i},EUR" for i in range(rows)]
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def test_loading_the_same_file_twice_changes_nothing(warehouse, tmp_path):
    path = small_csv(tmp_path)
    first = ingest(warehouse, [path], preset="canonical")
    before = snapshot(warehouse)
    again = ingest(warehouse, [path], preset="canonical")
    assert again.load_id is None and again.files[0].skipped.startswith("already loaded by load")
    assert snapshot(warehouse) == before
    forced = ingest(warehouse, [path], preset="canonical", force=True)
    assert forced.rows_loaded == first.rows_loaded == 50
    assert warehouse.count("order_lines") == 50  # replaced by key, not duplicated


def test_overlapping_exports_replace_rows_by_key(warehouse, tmp_path):
    ingest(warehouse, [small_csv(tmp_path, "a.csv", 10)], preset="canonical")
    ingest(warehouse, [small_csv(tmp_path, "b.csv", 20)], preset="canonical")
    assert warehouse.count("order_lines") == 20


def test_error_mid_load_rolls_everything_back(warehouse, tmp_path, monkeypatch):
    ingest(warehouse, [small_csv(tmp_path, "a.csv", 10)], preset="canonical")
    before = snapshot(warehouse)
    monkeypatch.setenv(FAULT_ENV, "error-after-insert")
    with pytest.raises(RuntimeError, match="injected fault"):
        ingest(warehouse, [small_csv(tmp_path, "b.csv", 30)], preset="canonical")
    assert snapshot(warehouse) == before


@pytest.mark.slow
def test_killing_the_process_mid_load_leaves_the_warehouse_as_before(tmp_path):
    path = shared_file(RAW)
    db = tmp_path / "w.duckdb"
    with Warehouse(db) as wh:
        ingest(wh, [small_csv(tmp_path)], preset="canonical")
        before = snapshot(wh)
    script = (
        "import sys; from shopkeeper.store import Warehouse, ingest; "
        "wh = Warehouse(sys.argv[1]); ingest(wh, [sys.argv[2]], default_currency='GBP')"
    )
    env = {**os.environ, FAULT_ENV: "kill-before-commit"}
    proc = subprocess.run([sys.executable, "-c", script, str(db), str(path)], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == -9, proc.stderr  # SIGKILL after every table was written
    with Warehouse(db) as wh:
        assert snapshot(wh) == before
        # and the same file then loads normally
        report = ingest(wh, [path], default_currency="GBP")
        assert report.rows_read == 240_007
