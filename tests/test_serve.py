"""`shopkeeper serve` as a merchant runs it: a real process on loopback, the setup link, the demo
login, Ctrl-C; and jobs that a stopped server left unfinished."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from shopkeeper import accounts, store
from tests.server_fixtures import make_workspace, serve

EXE = [sys.executable, "-m", "shopkeeper.cli"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(warehouse: Path, *args: str) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "SHOPKEEPER_CONFIG"}
    proc = subprocess.Popen([*EXE, "-w", str(warehouse), "serve", "--port", str(port), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**env, "COLUMNS": "200"}, cwd=warehouse.parent.parent)
    return proc, port


def _wait_up(proc: subprocess.Popen, port: int, timeout: float = 180) -> str:
    """What the server printed once it answers; fails with it if the server dies first."""
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")),
                     daemon=True).start()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail("serve exited: " + "".join(lines))
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2).status_code == 200:
                time.sleep(0.3)
                return "".join(lines)
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    pytest.fail("serve did not answer: " + "".join(lines))


def _stop(proc: subprocess.Popen) -> int:
    proc.send_signal(signal.SIGINT)  # Ctrl-C
    try:
        return proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_first_start_prints_a_one_time_setup_link_that_creates_the_owner(tmp_path):
    warehouse = tmp_path / "shopkeeper-data" / "warehouse.duckdb"
    proc, port = _start(warehouse)
    try:
        out = _wait_up(proc, port)
        link = re.search(r"/setup\?secret=(\S+)", out)
        assert link, out
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base) as client:
            r = client.post("/setup", data={"secret": link.group(1), "username": "mei",
                                            "password": "a long enough one", "lang": "zh"})
            assert r.status_code == 303 and r.headers["location"] == "/"
            assert client.get("/api/v1/me").json()["user"]["role"] == "owner"
            page = client.get("/")
            assert page.status_code == 200 and "概览" in page.text
        with httpx.Client(base_url=base) as other:  # the link works once
            again = other.post("/api/v1/setup", json={"secret": link.group(1), "username": "x",
                                                      "password": "another long one"})
            assert again.status_code == 409
    finally:
        assert _stop(proc) == 0
    with store.Warehouse(warehouse, read_only=True) as wh:  # Ctrl-C let the file go
        assert [u.username for u in accounts.list_users(wh)] == ["mei"]


def test_demo_login_is_printed_and_works(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    store.Warehouse(warehouse).close()
    proc, port = _start(warehouse, "--demo")
    try:
        out = _wait_up(proc, port)
        password = re.search(r"user demo, password (\S+)", out)
        assert password, out
        assert "setup?secret" not in out
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            r = client.post("/api/v1/session", json={"username": "demo",
                                                     "password": password.group(1)})
            assert r.status_code == 200 and r.json()["user"]["role"] == "owner"
    finally:
        assert _stop(proc) == 0


def test_a_cli_write_while_serving_says_the_server_has_the_file(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    store.Warehouse(warehouse).close()
    proc, port = _start(warehouse, "--demo")
    try:
        _wait_up(proc, port)
        env = {k: v for k, v in os.environ.items() if k != "SHOPKEEPER_CONFIG"}
        (tmp_path / "o.csv").write_text("order_id,ordered_at\n1,2024-01-01\n")
        r = subprocess.run([*EXE, "-w", str(warehouse), "ingest", str(tmp_path / "o.csv")],
                           capture_output=True, text=True, env={**env,
                           "SHOPKEEPER_LOCK_TIMEOUT": "0"}, timeout=120)
        assert r.returncode == 1
        assert "in use by" in r.stderr and "Traceback" not in r.stderr
    finally:
        _stop(proc)


def test_a_restart_marks_unfinished_jobs_failed_never_lost(tmp_path):
    ws = make_workspace(tmp_path / "w.duckdb")
    with store.Warehouse.from_settings(ws.settings) as wh:
        wh.query("INSERT INTO jobs (job_id, kind, status, created_by, created_at, started_at) "
                 "VALUES ('j1', 'forecast', 'running', 'owner', now(), now()), "
                 "('j2', 'ingest', 'queued', 'owner', now(), NULL), "
                 "('j3', 'plan', 'done', 'owner', now(), now())")
    with serve(ws) as client:
        headers = {"Authorization": f"Bearer {ws.read_tokens['owner']}"}
        jobs = {j["job_id"]: j for j in client.get("/api/v1/jobs", headers=headers).json()["items"]}
        assert jobs["j1"]["status"] == "failed" and "interrupted" in jobs["j1"]["error"]
        assert jobs["j2"]["status"] == "failed"
        assert jobs["j3"]["status"] == "done"
