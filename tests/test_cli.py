"""The CLI, black-box: exit codes, exact messages and the rows that result."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from shopkeeper.cli import app
from shopkeeper.store import Warehouse

runner = CliRunner()

ORDERS = "order_id,line_number,product_id,quantity,unit_price\nO1,1,P1,2,3.5\nO1,2,P2,-1,3.5\n"


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SHOPKEEPER_CONFIG", raising=False)
    return tmp_path


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_every_command_has_help_with_an_example():
    result = invoke("--help")
    assert result.exit_code == 0
    for command in ("init", "ingest", "status", "quarantine", "demo", "generate", "sql", "presets",
                    "forecast", "backtest", "plan", "metrics", "report"):
        sub = invoke(command, "--help")
        assert sub.exit_code == 0, command
        assert "Example: shopkeeper" in sub.output, command


def test_init_ingest_status_quarantine_sql(workdir):
    assert invoke("init").exit_code == 0
    assert "warehouse = " in (workdir / "shopkeeper.toml").read_text()
    (workdir / "order_lines.csv").write_text(ORDERS)
    result = invoke("ingest", "order_lines.csv", "--preset", "canonical")
    assert result.exit_code == 0, result.output
    assert "rows read 2 = loaded 1 + quarantined 1" in result.output
    status = invoke("status")
    assert status.exit_code == 0 and "order_lines" in status.output
    assert "quarantined rows: 1" in status.output
    listed = invoke("quarantine")
    assert "order_lines.quantity must be more" in listed.output and "-1" in listed.output
    exported = invoke("quarantine", "--export", "rejected.csv")
    assert exported.exit_code == 0
    exported = (workdir / "rejected.csv").read_text(encoding="utf-8-sig")
    # the value -1 is text that a spreadsheet would run as a formula: written inert
    assert "reason,value" in exported.splitlines()[0] and ",'-1," in exported
    out = invoke("sql", "SELECT product_id, quantity FROM order_lines", "--csv")
    assert out.output.splitlines() == ["product_id,quantity", "P1,2"]


def test_errors_are_one_line_with_nonzero_exit(workdir):
    invoke("init")
    result = runner.invoke(app, ["ingest", "missing.csv"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == ["Error: missing.csv: no such file or folder"]
    result = runner.invoke(app, ["sql", "DELETE FROM orders"])
    assert result.exit_code == 1
    assert "only read-only queries are allowed here (got DELETE)" in result.output
    with Warehouse(workdir / "shopkeeper-data/warehouse.duckdb", read_only=True) as wh:
        assert wh.count("orders") == 0


def test_status_without_a_warehouse_says_what_to_run(workdir):
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 1
    assert "run 'shopkeeper init' or 'shopkeeper demo' first" in result.output


def test_bad_config_value_is_reported(workdir):
    (workdir / "shopkeeper.toml").write_text('timezone = "Mars/Olympus"\n')
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 1
    assert "invalid setting timezone" in result.output and "Mars/Olympus" in result.output


def test_environment_variable_overrides_config(workdir, monkeypatch):
    (workdir / "shopkeeper.toml").write_text('warehouse = "a.duckdb"\n')
    monkeypatch.setenv("SHOPKEEPER_WAREHOUSE", str(workdir / "b.duckdb"))
    assert invoke("init").exit_code == 0
    assert (workdir / "b.duckdb").exists() and not (workdir / "a.duckdb").exists()


def test_real_subprocess_prints_one_line_and_debug_prints_traceback(workdir):
    exe = [sys.executable, "-m", "shopkeeper.cli"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOPKEEPER_")}
    (workdir / "empty.csv").write_text("")
    subprocess.run(exe + ["init"], cwd=workdir, env=env, check=True, capture_output=True)
    proc = subprocess.run(exe + ["ingest", "empty.csv"], cwd=workdir, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stderr.strip() == "Error: empty.csv: the file is empty (0 bytes); export it again"
    proc = subprocess.run(exe + ["--debug", "ingest", "empty.csv"], cwd=workdir, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 1 and "Traceback" in proc.stderr and "EmptyFileError" in proc.stderr


@pytest.mark.slow
def test_demo_builds_the_store_and_is_repeatable(demo_store, monkeypatch):
    workdir, built = demo_store
    assert "warehouse: shopkeeper-data/warehouse.duckdb" in built.stdout
    assert (workdir / "shopkeeper-data/out/quarantine.csv").exists()
    with Warehouse(workdir / "shopkeeper-data/warehouse.duckdb", read_only=True) as wh:
        assert wh.count("order_lines") == 531_282
        assert wh.count("refunds") == 4_350
        generated = wh.query("SELECT count(*) FROM reviews WHERE _source_file LIKE 'generated:%'")
        assert generated[0][0] == wh.count("reviews") > 0
        assert wh.query("SELECT count(*) FROM loads WHERE is_generated")[0][0] == 1
        before = {t.name: t.rows for t in wh.status().tables}
    monkeypatch.chdir(workdir)
    monkeypatch.delenv("SHOPKEEPER_CONFIG", raising=False)
    again = invoke("demo")
    assert "already loaded (nothing changed)" in again.output
    with Warehouse(workdir / "shopkeeper-data/warehouse.duckdb", read_only=True) as wh:
        assert {t.name: t.rows for t in wh.status().tables} == before
