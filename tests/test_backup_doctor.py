"""``shopkeeper doctor``, ``backup`` and ``restore`` (issue 25): the doctor finds each kind of
damage; a backup taken while a server writes is one consistent moment; a restore is the backup
byte for byte and refuses a damaged backup or a warehouse in use."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from shopkeeper import store
from shopkeeper.cli import app
from shopkeeper.errors import WarehouseError, WarehouseLockedError
from shopkeeper.store.backup import manifest_path, table_checksums
from shopkeeper.store.ingest.loader import ingest, sha256_of
from tests.robustness.kills import build_at_version
from tests.server_fixtures import make_workspace, serve

DATA = Path(__file__).parent / "data"
runner = CliRunner()


@pytest.fixture
def loaded(tmp_path) -> Path:
    """A warehouse with two real loads (Shopify orders, Olist-free UCI lines) and a user."""
    path = tmp_path / "w.duckdb"
    with store.Warehouse(path) as wh:
        ingest(wh, [DATA / "orders_export_0800.csv"], preset="shopify_orders")
        ingest(wh, [DATA / "taobao_closed_refunded.csv"])
    return path


def _doctor(path: Path) -> dict[str, str]:
    report = store.check_warehouse(path)
    return {f.check: f.level for f in report.findings}


def _cli(path: Path, *args: str):
    return runner.invoke(app, ["-w", str(path), *args])


def test_a_healthy_warehouse_passes_every_check(loaded):
    report = store.check_warehouse(loaded)
    assert report.healthy, report.findings
    assert {f.check for f in report.findings} == {
        "storage", "schema version", "schema", "load records", "orphan rows"}
    assert report.schema_version == store.latest_version()
    assert report.rows["orders"] > 0
    result = _cli(loaded, "doctor", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["healthy"] is True


@pytest.mark.parametrize(("damage", "check", "words"), [
    ("DELETE FROM loads WHERE load_id = (SELECT min(load_id) FROM loads)", "orphan rows",
     "not recorded"),
    ("UPDATE load_files SET rows_loaded = rows_loaded + 1", "load records", "≠"),
    ("UPDATE loads SET table_counts = '{\"orders\": 0}'", "load records", "which wrote 0"),
    ("ALTER TABLE orders DROP COLUMN channel", "schema", "orders.channel is missing"),
    ("DELETE FROM _migrations WHERE version = 3", "schema version", "skip versions [3]"),
    ("INSERT INTO _migrations VALUES (999, 'from the future', now())", "schema version",
     "newer than this Shopkeeper"),
    ("INSERT INTO forecasts (run_id, unique_id) VALUES ('gone', 'x')", "orphan rows",
     "forecast_runs gone"),
])
def test_the_doctor_finds_each_kind_of_damage(loaded, damage, check, words):
    with duckdb.connect(str(loaded)) as con:
        con.execute(damage)
    report = store.check_warehouse(loaded)
    failed = {f.check: f.detail for f in report.findings if f.level == "fail"}
    assert check in failed and words in failed[check], report.findings
    result = _cli(loaded, "doctor")
    assert result.exit_code == 1 and "damaged" in result.output


def test_an_older_schema_is_a_warning_not_damage(loaded, tmp_path):
    old = tmp_path / "old.duckdb"
    build_at_version(loaded, old, store.latest_version() - 1)
    report = store.check_warehouse(old)
    assert report.healthy
    assert _doctor(old) == {"storage": "ok", "schema version": "warn", "schema": "ok",
                            "load records": "ok", "orphan rows": "ok"}


def test_a_torn_file_is_one_line(loaded, tmp_path):
    torn = tmp_path / "torn.duckdb"
    torn.write_bytes(loaded.read_bytes()[:50_000])
    result = _cli(torn, "doctor")
    assert result.exit_code == 1
    assert result.output.count("\n") <= 2 and "Error" in result.output


# -- backup and restore ------------------------------------------------------------------------
def test_backup_and_restore_byte_for_byte(loaded, tmp_path):
    with duckdb.connect(str(loaded), read_only=True) as con:
        rows, sums = table_checksums(con)
    out = tmp_path / "backups" / "b.duckdb"
    result = _cli(loaded, "backup", str(out))
    assert result.exit_code == 0, result.output
    manifest = json.loads(manifest_path(out).read_text())
    assert manifest["sha256"] == sha256_of(out) and manifest["tables"] == rows
    assert manifest["checksums"] == sums  # the backup holds exactly the warehouse's rows
    assert _cli(loaded, "backup", str(out)).exit_code == 1  # never overwritten silently

    with duckdb.connect(str(loaded)) as con:  # life goes on, then something goes wrong
        con.execute("DELETE FROM order_lines")
    result = _cli(loaded, "restore", str(out))
    assert result.exit_code == 0, result.output
    assert sha256_of(loaded) == manifest["sha256"]
    with duckdb.connect(str(loaded), read_only=True) as con:
        assert table_checksums(con) == (rows, sums)
    kept = list(tmp_path.glob("w.duckdb.before-restore-*"))
    assert len(kept) == 1  # the replaced warehouse is kept, not deleted
    with duckdb.connect(str(kept[0]), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM order_lines").fetchone()[0] == 0
    assert store.check_warehouse(loaded).healthy


def test_restore_over_a_warehouse_too_damaged_to_open(loaded, tmp_path):
    out = tmp_path / "b.duckdb"
    manifest = store.backup_warehouse(loaded, out)
    torn = loaded.read_bytes()[:50_000]
    loaded.write_bytes(torn)
    report = store.restore_warehouse(out, loaded)
    assert sha256_of(loaded) == manifest.sha256 and store.check_warehouse(loaded).healthy
    assert Path(report.replaced).read_bytes() == torn  # the damaged file is kept as it was


def test_restore_into_a_new_place(loaded, tmp_path):
    out = tmp_path / "b.duckdb"
    manifest = store.backup_warehouse(loaded, out)
    fresh = tmp_path / "elsewhere" / "w.duckdb"
    report = store.restore_warehouse(out, fresh)
    assert report.replaced is None and sha256_of(fresh) == manifest.sha256


def test_a_damaged_or_incomplete_backup_is_refused_and_changes_nothing(loaded, tmp_path):
    out = tmp_path / "b.duckdb"
    store.backup_warehouse(loaded, out)
    before = sha256_of(loaded)
    data = bytearray(out.read_bytes())
    data[len(data) // 2] ^= 0xFF
    out.write_bytes(bytes(data))
    with pytest.raises(WarehouseError, match="damaged"):
        store.restore_warehouse(out, loaded)
    manifest_path(out).unlink()
    result = _cli(loaded, "restore", str(out))
    assert result.exit_code == 1 and "no manifest" in result.output
    assert sha256_of(loaded) == before
    assert not list(tmp_path.glob("*.before-restore-*"))


def test_restore_waits_for_and_then_refuses_a_warehouse_in_use(loaded, tmp_path):
    out = tmp_path / "b.duckdb"
    store.backup_warehouse(loaded, out)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "print('held', flush=True); time.sleep(60)", str(loaded)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(WarehouseLockedError, match="in use by"):
            store.restore_warehouse(out, loaded, lock_timeout=0.5)
    finally:
        holder.kill()
        holder.wait()
    assert not list(tmp_path.glob("*.before-restore-*"))
    assert not list(tmp_path.glob(".*.restoring"))  # the copy it had made is gone


def test_a_backup_taken_while_writes_go_on_is_one_moment(tmp_path):
    """Writers add a pair of rows (an expense and its audit event) in one transaction; every
    backup taken meanwhile holds whole pairs only."""
    path = tmp_path / "w.duckdb"
    with store.Warehouse(path) as wh:
        stop = threading.Event()

        def write_pairs() -> None:
            n = 0
            with wh.shared() as mine:
                while not stop.is_set():
                    n += 1
                    with mine.transaction() as con:
                        con.execute("INSERT INTO expenses (expense_id, amount, currency) "
                                    "VALUES (?, 1, 'EUR')", [f"e{n}"])
                        con.execute("INSERT INTO audit_log (event_id, actor, action) "
                                    "VALUES (?, 'test', 'pair')", [f"a{n}"])

        writer = threading.Thread(target=write_pairs)
        writer.start()
        try:
            counts = []
            for i in range(4):
                with wh.shared() as mine:
                    m = store.backup_warehouse(mine, tmp_path / f"b{i}.duckdb")
                counts.append((m.tables["expenses"], m.tables["audit_log"]))
        finally:
            stop.set()
            writer.join()
    assert all(e == a for e, a in counts), counts
    assert counts[-1][0] > 0
    for i in range(4):
        assert store.verify_backup(tmp_path / f"b{i}.duckdb")


def test_the_server_backs_up_while_it_serves(tmp_path):
    ws = make_workspace(tmp_path / "w.duckdb")
    with serve(ws) as client:
        owner = {"Authorization": f"Bearer {ws.write_tokens['owner']}"}
        analyst = {"Authorization": f"Bearer {ws.write_tokens['analyst']}"}
        assert client.post("/api/v1/backups", headers=analyst).status_code == 403
        r = client.post("/api/v1/backups", headers=owner)
        assert r.status_code == 201, r.text
        body = r.json()
        assert client.get("/api/v1/overview", headers=owner).status_code in {200, 404}
    backup = Path(body["backup"])
    assert sha256_of(backup) == body["sha256"] and body["tables"]["users"] == 5
    manifest = store.verify_backup(backup)
    with duckdb.connect(str(ws.settings.warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM audit_log WHERE action = 'warehouse.backup'"
                           ).fetchone()[0] == 1
    restored = tmp_path / "restored.duckdb"
    store.restore_warehouse(backup, restored)
    assert sha256_of(restored) == manifest.sha256
