"""Ingestion under fuzzed input (issue 25): every mutated export either fails with a clear
one-line error naming the file and leaves the warehouse as it was, or loads with rows read =
loaded + quarantined. The quick run fuzzes 100 files; the slow one the 1,000 of a CI run."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from shopkeeper.errors import ShopkeeperError
from shopkeeper.store import Warehouse
from tests.robustness import fuzz


def _assert_clean(report: fuzz.FuzzReport, n: int) -> None:
    assert len(report.verdicts) == n
    shown = "\n".join(f"{v.case} {v.mutations}: {v.detail}" for v in report.violations[:10])
    assert not report.violations, f"{len(report.violations)} violations:\n{shown}"
    counts = report.counts()
    assert counts["loaded"] and counts["error"], counts  # both ends are exercised


def test_fuzzed_exports_quick():
    _assert_clean(fuzz.run(100, seed=2501), 100)


@pytest.mark.slow
def test_fuzzed_exports_ci_run():
    """The CI run: 1,000 mutated files from a fixed seed (reproducible)."""
    _assert_clean(fuzz.run(1000, seed=25), 1000)


def test_the_mutations_are_reproducible():
    first = [(name, data) for name, _, data, _ in fuzz.cases(30, seed=7)]
    again = [(name, data) for name, _, data, _ in fuzz.cases(30, seed=7)]
    assert first == again
    assert len({data for _, data in first}) == 30  # and they differ from each other


def test_every_mutation_changes_the_file():
    rng = random.Random(1)
    base = fuzz.bases()[0]
    for mutation in fuzz.TABLE_MUTATIONS:
        rows = fuzz._table(base.data, base.encoding)
        if mutation(rng, rows):
            assert fuzz._csv(rows, base.encoding) != base.data, mutation.__name__
    for mutation in fuzz.BYTE_MUTATIONS:
        data, encoding = mutation(random.Random(3), base.data, base.encoding)
        assert (data, encoding) != (base.data, base.encoding), mutation.__name__


def test_the_checker_catches_a_crash_and_a_half_written_load(tmp_path: Path, monkeypatch):
    """The judge can fail: a raw exception, a multi-line error and a load that leaves rows
    behind when it fails are each a violation."""
    import shopkeeper.store as store

    path = tmp_path / "orders.csv"
    path.write_bytes(fuzz.bases()[0].data)
    with Warehouse(tmp_path / "w.duckdb") as wh:
        monkeypatch.setattr(store, "ingest", lambda *a, **k: (_ for _ in ()).throw(
            KeyError("boom")))
        assert fuzz.check_one(wh, path, None)[0] == "violation"

        def multi_line(*a, **k):
            raise ShopkeeperError(f"{path.name}: first line\nsecond line")
        monkeypatch.setattr(store, "ingest", multi_line)
        assert fuzz.check_one(wh, path, None)[0] == "violation"

        def half_written(warehouse, *a, **k):
            with warehouse.transaction() as con:  # a write that escaped the load's transaction
                con.execute("INSERT INTO categories (category_id, name) VALUES ('x', 'x')")
            raise ShopkeeperError(f"{path.name}: failed")
        monkeypatch.setattr(store, "ingest", half_written)
        outcome, detail = fuzz.check_one(wh, path, None)
        assert outcome == "violation" and "changed" in detail
