"""Spreadsheet formula injection (issue 25): product titles, customer names, review texts and
rejected values that start with ``=``, ``+``, ``-`` or ``@`` are loaded through ingest and flow
into every CSV and XLSX export; not one exported cell may be a formula or text a spreadsheet
would run as one. Each payload must still reach an export (as inert text), so the test cannot
pass by exporting nothing."""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from shopkeeper.store.exports import FORMULA_STARTS, inert, inert_frame
from tests.robustness.kills import SHOPKEEPER, cli_env

PAYLOADS = ["=cmd|' /C calc'!A0", "+SUM(1+1)", "-2+3+cmd|' /C notepad'!A0", "@SUM(A1:A9)",
            '=HYPERLINK("http://evil.example","click")']


def _run(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([SHOPKEEPER, "-w", str(workdir / "w.duckdb"), *args], cwd=workdir,
                          env=cli_env(), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, (args, done.stderr[-2000:])
    return done


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> Path:
    """A generated store whose titles, names, reviews and one rejected value are payloads,
    and every export of it."""
    work = tmp_path_factory.mktemp("injection")
    _run(work, "generate", "--orders", "600", "--seed", "5", "--out", "store")
    store = work / "store"
    products = pd.read_csv(store / "products.csv", dtype=str, keep_default_na=False)
    products.loc[: len(PAYLOADS) - 1, "title"] = PAYLOADS
    products.to_csv(store / "products.csv", index=False)
    customers = pd.read_csv(store / "customers.csv", dtype=str, keep_default_na=False)
    customers.loc[: len(PAYLOADS) - 1, "name"] = PAYLOADS
    customers.to_csv(store / "customers.csv", index=False)
    reviews = pd.read_csv(store / "reviews.csv", dtype=str, keep_default_na=False)
    reviews.loc[: len(PAYLOADS) - 1, "body"] = PAYLOADS
    reviews.to_csv(store / "reviews.csv", index=False)
    lines = pd.read_csv(store / "order_lines.csv", dtype=str, keep_default_na=False)
    lines.loc[0, "quantity"] = "=1+1"  # rejected: its value goes to the quarantine
    lines.to_csv(store / "order_lines.csv", index=False)
    _run(work, "ingest", *sorted(str(p) for p in store.glob("*.csv")))

    out = work / "out"
    out.mkdir()
    for fmt in ("csv", "xlsx"):
        _run(work, "quarantine", "--export", str(out / f"quarantine.{fmt}"))
    skus = [arg for sku in products["product_id"][: len(PAYLOADS)] for arg in ("--sku", sku)]
    _run(work, "content", "generate", *skus, "--kind", "title", "--lang", "en")
    for fmt in ("csv", "xlsx"):
        _run(work, "content", "export", str(out / f"drafts.{fmt}"), "--status", "draft")
        _run(work, "recommend", "segments", "--export", str(out / f"audience.{fmt}"))
    _run(work, "ask", "revenue by product last year", "--csv", str(out / "answer.csv"),
         "--xlsx", str(out / "answer.xlsx"))
    _run(work, "report", "--format", "xlsx", "--out", str(out / "report"))
    return out


def _cells(path: Path) -> list[tuple[str, object, str]]:
    """(sheet, value, openpyxl data type) of every cell; CSV cells are text."""
    if path.suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as f:
            return [("csv", v, "s") for row in csv.reader(f) for v in row]
    book = openpyxl.load_workbook(path)
    return [(sheet.title, cell.value, cell.data_type) for sheet in book.worksheets
            for row in sheet.iter_rows() for cell in row if cell.value is not None]


def test_no_exported_cell_is_a_formula(exports):
    files = sorted(p for p in exports.rglob("*") if p.suffix in {".csv", ".xlsx"})
    assert {p.stem for p in files} >= {"quarantine", "drafts", "audience", "answer"}
    assert any(p.parent.name == "report" for p in files)
    live = [(p.name, sheet, value) for p in files for sheet, value, kind in _cells(p)
            if kind == "f" or (isinstance(value, str) and value.startswith(FORMULA_STARTS))]
    assert not live, live[:10]


@pytest.mark.parametrize(("export", "payload"), [
    ("quarantine.csv", "=1+1"), ("quarantine.xlsx", "=1+1"),
    ("drafts.csv", PAYLOADS[0]), ("drafts.xlsx", PAYLOADS[0]),
])
def test_the_payloads_reach_the_exports_as_plain_text(exports, export, payload):
    values = [str(v) for _, v, _ in _cells(exports / export)]
    assert any("'" + payload in v for v in values), (export, values[:40])


def test_inert_leaves_numbers_and_plain_text_alone():
    frame = pd.DataFrame({"n": [-3, 2], "t": ["-3", "plain"], "f": ["=1+1", None]})
    out = inert_frame(frame)
    assert out["n"].tolist() == [-3, 2]
    assert out["t"].tolist() == ["'-3", "plain"] and out["f"].tolist()[0] == "'=1+1"
    assert inert(12.5) == 12.5 and inert("") == ""
