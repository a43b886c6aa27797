"""Several shopkeeper processes on one warehouse, as a merchant runs them: real processes, no mocks.

DuckDB lets one process write, or many read. So a command that only reads opens the file
read-only, an interactive session holds nothing while it waits for the next message, a long job
holds nothing while it computes, and a writer that finds the file taken waits (``lock_timeout``)
and then says who has it in one line.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from shopkeeper.store import Warehouse
from tests.service_fixtures import make_service_store

EXE = [sys.executable, "-m", "shopkeeper.cli"]
PRODUCTS_CSV = "product_id,title,price,currency\nP9,Green tea tin,4.50,GBP\n"
REVIEWS = [("R1", "P1", "Lovely mug, great quality", 5), ("R2", "P3", "Broke after a day", 1),
           ("R3", "P4", "质量很好，很喜欢", 5), ("R4", "P2", "Arrived late and dirty", 2)]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOPKEEPER_")}
    return {**env, **extra}


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    """A small shop on disk (customers, orders, policies, a knowledge index, reviews), closed."""
    path = tmp_path / "w.duckdb"
    with Warehouse(path) as wh:
        make_service_store(wh)
        reviews = pd.DataFrame(REVIEWS, columns=["review_id", "product_id", "body", "rating"])
        reviews["created_at"] = pd.Timestamp("2024-03-09 10:00", tz="UTC")
        with wh.transaction():
            wh.insert_df("reviews", reviews)
    (tmp_path / "products.csv").write_text(PRODUCTS_CSV)
    return path


def _cli(path: Path, *args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([*EXE, "-w", str(path), *args], cwd=path.parent, env=_env(**env),
                          capture_output=True, text=True, timeout=timeout)


def _reader(stream) -> queue.Queue:
    """Lines of a child's output, as they come, without blocking the test."""
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in iter(stream.readline, "")],
                     daemon=True).start()
    return lines


def _wait_for(lines: queue.Queue, text: str, timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            continue
        seen.append(line)
        if text in line:
            return line
    raise AssertionError(f"no {text!r} within {timeout}s; got {''.join(seen)!r}")


def _assert_reads_and_writes_work(path: Path) -> None:
    status = _cli(path, "status")
    assert status.returncode == 0, status.stderr
    assert "quarantined rows: 0" in status.stdout
    sql = _cli(path, "sql", "SELECT count(*) AS n FROM customers", "--csv")
    assert sql.returncode == 0, sql.stderr
    assert sql.stdout.splitlines() == ["n", "3"]
    ingest = _cli(path, "ingest", "products.csv", "--preset", "canonical_products")
    assert ingest.returncode == 0, ingest.stderr
    assert "rows read 1 = loaded 1 + quarantined 0" in ingest.stdout


def test_an_open_chat_blocks_no_other_command(store_path):
    chat = subprocess.Popen([*EXE, "-w", str(store_path), "chat", "--no-model", "--customer",
                             "c1", "--as-of", "2024-03-10"], cwd=store_path.parent, env=_env(),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        out = _reader(chat.stdout)
        chat.stdin.write("Hi!\n")
        chat.stdin.flush()
        _wait_for(out, "shop>")
        # the chat now waits for the customer: every other command must get through
        _assert_reads_and_writes_work(store_path)
        chat.stdin.write("How long does delivery take?\n")
        chat.stdin.flush()
        _wait_for(out, "shop>")
        assert chat.poll() is None, "the chat ended early"
        chat.stdin.write("quit\n")
        chat.stdin.flush()
        assert chat.wait(timeout=60) == 0
    finally:
        chat.kill()
    with Warehouse(store_path, read_only=True) as wh:
        assert wh.query("SELECT count(*) FROM service_messages") == [(4,)]  # both turns logged, each message and answer
        assert wh.count("products") == 6


SLOW_ANALYSIS = """
import sys, time
from pathlib import Path
import shopkeeper.reviews.analyze as analyze
from shopkeeper.cli import app

computing, go = Path(sys.argv[1]), Path(sys.argv[2])
real = analyze._model_scores

def held_scores(*args, **kwargs):
    # the compute phase of a long analysis: signal it, then wait until the test says go
    computing.touch()
    deadline = time.monotonic() + 120
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return real(*args, **kwargs)

analyze._model_scores = held_scores
app(["-w", sys.argv[3], "reviews", "analyze"])
"""


def test_a_long_review_analysis_blocks_no_other_command(store_path):
    computing, go = store_path.parent / "computing", store_path.parent / "go"
    job = subprocess.Popen([sys.executable, "-c", SLOW_ANALYSIS, str(computing), str(go),
                            str(store_path)], cwd=store_path.parent, env=_env(),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not computing.exists():
            assert job.poll() is None, job.communicate()
            assert time.monotonic() < deadline, "the analysis never reached its compute phase"
            time.sleep(0.1)
        _assert_reads_and_writes_work(store_path)
        assert job.poll() is None, "the analysis must still be computing"
        go.touch()
        stdout, stderr = job.communicate(timeout=120)
    finally:
        job.kill()
    assert job.returncode == 0, stderr
    assert "4 reviews analysed" in stdout
    with Warehouse(store_path, read_only=True) as wh:
        assert wh.query("SELECT count(*) FROM review_sentiment") == [(4,)]


HOLD_WRITER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
print("holding", flush=True)
sys.stdin.read()
con.close()
"""


def _hold_writer(path: Path) -> subprocess.Popen:
    holder = subprocess.Popen([sys.executable, "-c", HOLD_WRITER, str(path)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "holding"
    return holder


def test_a_blocked_writer_waits_for_the_other_to_finish(store_path):
    holder = _hold_writer(store_path)
    try:
        start = time.monotonic()
        writer = subprocess.Popen([*EXE, "-w", str(store_path), "ingest", "products.csv",
                                   "--preset", "canonical_products"], cwd=store_path.parent,
                                  env=_env(SHOPKEEPER_LOCK_TIMEOUT="60"),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(4)
        assert writer.poll() is None, writer.communicate()  # still waiting for the lock
        holder.stdin.close()  # the other writer finishes
        holder.wait(timeout=30)
        stdout, stderr = writer.communicate(timeout=120)
    finally:
        holder.kill()
    assert writer.returncode == 0, stderr
    assert "rows read 1 = loaded 1 + quarantined 0" in stdout
    assert time.monotonic() - start >= 4


def test_a_blocked_command_gives_up_after_lock_timeout_with_one_line(store_path):
    holder = _hold_writer(store_path)
    try:
        for args in (["ingest", "products.csv", "--preset", "canonical_products"], ["status"]):
            start = time.monotonic()
            proc = _cli(store_path, *args, SHOPKEEPER_LOCK_TIMEOUT="1.5")
            waited = time.monotonic() - start
            assert proc.returncode == 1, args
            assert "Traceback" not in proc.stderr
            lines = proc.stderr.strip().splitlines()
            assert len(lines) == 1, proc.stderr
            assert lines[0].startswith(f"Error: the warehouse {store_path} is in use by another "
                                       f"process (PID {holder.pid}")
            assert "try again when it finishes" in lines[0]
            assert waited >= 1.5
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
