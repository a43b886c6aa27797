"""Shared fixtures: a fresh warehouse per test, and the real data sets beside the repo."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from shopkeeper.store.warehouse import Warehouse
from tests.money_fixtures import two_currency_shop  # noqa: F401  (two currencies, traps)
from tests.service_fixtures import service_store  # noqa: F401  (the customer-service shop)
from tests.shop_fixtures import shop  # noqa: F401  (the hand-checkable shop, for any test)

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
# The test session's embedding cache is a folder of its own: no test reads vectors that a
# developer's own runs left in ~/.cache, or writes there.
os.environ.setdefault("SHOPKEEPER_EMBED_CACHE", tempfile.mkdtemp(prefix="shopkeeper-embed-"))


def shared_file(relative: str) -> Path:
    """A file under ../shared/data, or skip the test naming the file it wanted."""
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"real data file {path} is not available")
    return path


@pytest.fixture
def warehouse(tmp_path: Path):
    with Warehouse(tmp_path / "w.duckdb") as wh:
        yield wh


@pytest.fixture
def warehouse_path(tmp_path: Path) -> Path:
    return tmp_path / "w.duckdb"


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """The demo store, built once per session by a real `shopkeeper demo` subprocess with no
    terminal: its folder and the finished process. Building it takes minutes, so the demo test
    and the README tour share it; the tour changes it (it loads more data), so it runs last."""
    folder = tmp_path_factory.mktemp("demo")
    exe = Path(sys.executable).with_name("shopkeeper")
    env = {k: v for k, v in os.environ.items() if k != "SHOPKEEPER_CONFIG"}
    built = subprocess.run([str(exe), "demo"], cwd=folder, env={**env, "COLUMNS": "120"},
                           capture_output=True, text=True, timeout=1800)
    assert built.returncode == 0, built.stderr[-3000:] + built.stdout[-3000:]
    return folder, built
