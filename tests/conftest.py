"""Shared fixtures: a fresh warehouse per test, and the real data sets beside the repo."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopkeeper.store.warehouse import Warehouse
from tests.money_fixtures import two_currency_shop  # noqa: F401  (two currencies, traps)
from tests.service_fixtures import service_store  # noqa: F401  (the customer-service shop)
from tests.shop_fixtures import shop  # noqa: F401  (the hand-checkable shop, for any test)

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


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
