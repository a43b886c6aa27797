"""A seeded mutation fuzzer for ingestion (issue 25).

Real exports (slices of the files under ``../shared/data/transactions/`` when present, and the
preset fixtures in ``tests/data/``) are mutated the ways real files go wrong: cut at a random
byte, re-encoded, columns swapped, dropped, doubled or renamed, delimiters, quotes, newlines
and NUL bytes inside fields, extreme and locale-formatted numbers, dates in every format and
impossible ones, repeated keys, huge fields, thousands of columns and spreadsheet formulas.

Each mutated file is loaded into a warehouse and must end one of two ways:

- a :class:`~shopkeeper.errors.ShopkeeperError` whose message is one line that names the
  file, with every table of the warehouse exactly as it was before; or
- a load where, for every file, rows read = rows loaded + rows quarantined, and the
  canonical tables grew by exactly the rows the load report counts.

Anything else (another exception, a message over several lines or without the file's name,
a count that does not add up, a changed warehouse after an error) is a violation.
``run(n, seed)`` is reproducible: the same seed gives the same files and the same verdicts.
"""

from __future__ import annotations

import csv
import io
import random
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "data"
SHARED = ROOT.parent / "shared" / "data" / "transactions"

EXTREME_NUMBERS = ["1e308", "-1e308", "-0", "NaN", "nan", "inf", "-inf", "1,234.56", "1.234,56",
                   "99999999999999999999999", "0x1F", "1_000", "", " ", "--5", "5-", "１２３",
                   "1.2.3", "$12.50", "¥12", "12,5", "-3", "0"]
ODD_DATES = ["2011-02-30", "2011-13-01", "31/12/2011", "12/31/2011 25:61", "2011年12月31日",
             "20111231", "0000-00-00", "9999-99-99", "1899-12-31", "2011-12-31T10:00:00Z",
             "2011-12-31 10:00:00+08:00", "Dec 31, 2011", "31.12.2011", "1323302400", "",
             "yesterday", "2011-12-31 24:00", "2011/1/1 0:00"]
INJECTIONS = [",", ";", "\t", '"', '""', "\n", "\r\n", "\x00", '"\n,"', "\\", "'", "\u2028"]
FORMULAS = ["=cmd|' /C calc'!A0", "+1+1", "-1+1", "@SUM(A1:A9)", "=HYPERLINK(\"http://x\")",
            "\t=1+1"]


@dataclass(frozen=True)
class Base:
    """One real export to mutate: its name, its bytes and the preset it loads with."""

    name: str
    data: bytes
    encoding: str
    preset: str | None


@dataclass
class Verdict:
    case: str
    mutations: tuple[str, ...]
    outcome: str  # "loaded", "error" or "violation"
    detail: str = ""


@dataclass
class FuzzReport:
    verdicts: list[Verdict] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def violations(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.outcome == "violation"]

    def counts(self) -> Counter:
        return Counter(v.outcome for v in self.verdicts)

    def error_kinds(self) -> Counter:
        return Counter(v.detail.split(":")[0] for v in self.verdicts if v.outcome == "error")


def bases(rows: int = 40) -> list[Base]:
    """The exports to mutate: the preset fixtures, and slices of the real data sets."""
    out = []
    for path, preset in ((FIXTURES / "online_retail_dates.csv", None),
                         (FIXTURES / "orders_export_0800.csv", "shopify"),
                         (FIXTURES / "orders_export_money.csv", None),
                         (FIXTURES / "taobao_closed_refunded.csv", None),
                         (FIXTURES / "olist" / "olist_orders_dataset.csv", None),
                         (FIXTURES / "olist" / "olist_order_items_dataset.csv", None)):
        if path.exists():
            enc = "gbk" if "taobao" in path.name else "utf-8"
            out.append(Base(path.name, path.read_bytes(), enc, preset))
    retail = SHARED / "online_retail" / "online_retail_I_first240k.parquet"
    if retail.exists():
        import pandas as pd

        df = pd.read_parquet(retail).iloc[5000:5000 + rows]
        out.append(Base("online_retail_slice.csv", df.to_csv(index=False).encode(), "utf-8",
                        "uci_online_retail"))
    olist = SHARED / "olist_sample_15k"
    for name in ("olist_orders_dataset.csv", "olist_order_items_dataset.csv",
                 "olist_order_payments_dataset.csv"):
        if (olist / name).exists():
            with open(olist / name, "rb") as f:
                head = b"".join(line for _, line in zip(range(rows + 1), f, strict=False))
            out.append(Base(f"shared_{name}", head, "utf-8", None))
    return out


def _table(data: bytes, encoding: str) -> list[list[str]] | None:
    try:
        return list(csv.reader(io.StringIO(data.decode(encoding))))
    except (UnicodeDecodeError, csv.Error):
        return None


def _csv(rows: list[list[str]], encoding: str) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue().encode(encoding, errors="replace")


def _cell(rng: random.Random, rows: list[list[str]]) -> tuple[int, int] | None:
    body = [i for i in range(1, len(rows)) if rows[i]]
    if not body:
        return None
    r = rng.choice(body)
    return r, rng.randrange(len(rows[r]))


def _numeric_columns(rows: list[list[str]]) -> list[int]:
    cols = []
    for j in range(len(rows[0])):
        vals = [r[j] for r in rows[1:6] if j < len(r)]
        if vals and all(v.replace(".", "", 1).replace("-", "", 1).isdigit() for v in vals if v):
            cols.append(j)
    return cols


def _date_columns(rows: list[list[str]]) -> list[int]:
    return [j for j, name in enumerate(rows[0])
            if any(w in name.lower() for w in ("date", "time", "_at", "at", "时间"))]


# -- mutations on the parsed table ------------------------------------------------------------
def swap_columns(rng, rows):
    if len(rows[0]) < 2:
        return None
    a, b = rng.sample(range(len(rows[0])), 2)
    rows[0][a], rows[0][b] = rows[0][b], rows[0][a]
    return "swap_columns"


def drop_column(rng, rows):
    j = rng.randrange(len(rows[0]))
    for r in rows:
        if j < len(r):
            del r[j]
    return "drop_column"


def duplicate_column(rng, rows):
    j = rng.randrange(len(rows[0]))
    for r in rows:
        if j < len(r):
            r.append(r[j])
    return "duplicate_column"


def rename_column(rng, rows):
    j = rng.randrange(len(rows[0]))
    rows[0][j] = rng.choice(["", " ", "col", rows[0][j].upper(), rows[0][j] + " ", "名称", "?"])
    return "rename_column"


def inject_characters(rng, rows):
    for _ in range(rng.randint(1, 4)):
        at = _cell(rng, rows)
        if at:
            r, j = at
            s = rows[r][j]
            k = rng.randint(0, len(s))
            rows[r][j] = s[:k] + rng.choice(INJECTIONS) + s[k:]
    return "inject_characters"


def _overwrite(rng, rows, columns: list[int], values: list[str]) -> None:
    """Put one to five of ``values`` into random body cells of ``columns``."""
    for _ in range(rng.randint(1, 5)):
        r = rng.randrange(1, len(rows)) if len(rows) > 1 else None
        if r is None or not rows[r]:
            continue
        j = rng.choice(columns)
        if j < len(rows[r]):
            rows[r][j] = rng.choice(values)


def extreme_numbers(rng, rows):
    _overwrite(rng, rows, _numeric_columns(rows) or list(range(len(rows[0]))), EXTREME_NUMBERS)
    return "extreme_numbers"


def odd_dates(rng, rows):
    _overwrite(rng, rows, _date_columns(rows) or list(range(len(rows[0]))), ODD_DATES)
    return "odd_dates"


def duplicate_rows(rng, rows):
    if len(rows) < 2:
        return None
    for _ in range(rng.randint(1, 5)):
        rows.insert(rng.randrange(1, len(rows) + 1), list(rng.choice(rows[1:])))
    return "duplicate_rows"


def huge_field(rng, rows):
    at = _cell(rng, rows)
    if not at:
        return None
    r, j = at
    rows[r][j] = rng.choice(["x", "汉", "9"]) * rng.choice([70_000, 1_100_000])
    return "huge_field"


def many_columns(rng, rows):
    extra = rng.choice([300, 300, 1_000, 10_000])
    rows[0] += [f"extra_{i}" for i in range(extra)]
    for r in rows[1:]:
        r += [""] * extra
    return "many_columns"


def formula_cells(rng, rows):
    for _ in range(rng.randint(1, 4)):
        at = _cell(rng, rows)
        if at:
            rows[at[0]][at[1]] = rng.choice(FORMULAS)
    return "formula_cells"


def ragged_rows(rng, rows):
    for _ in range(rng.randint(1, 3)):
        r = rng.randrange(1, len(rows)) if len(rows) > 1 else 0
        if rng.random() < 0.5 and rows[r]:
            rows[r] = rows[r][:rng.randrange(len(rows[r]))]
        else:
            rows[r] = rows[r] + ["surplus"] * rng.randint(1, 3)
    return "ragged_rows"


TABLE_MUTATIONS: list[Callable] = [
    swap_columns, drop_column, duplicate_column, rename_column, inject_characters,
    extreme_numbers, odd_dates, duplicate_rows, huge_field, many_columns, formula_cells,
    ragged_rows]


# -- mutations on the bytes -------------------------------------------------------------------
def truncate(rng, data: bytes, encoding: str) -> tuple[bytes, str]:
    return data[:rng.randrange(len(data) + 1)], encoding


def reencode(rng, data: bytes, encoding: str) -> tuple[bytes, str]:
    target = rng.choice(["utf-8", "utf-8-sig", "gbk", "utf-16", "latin-1"])
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        return data, encoding
    return text.encode(target, errors="replace"), target


def mislabel(rng, data: bytes, encoding: str) -> tuple[bytes, str]:
    """Bytes of one encoding inside a file of another: a pasted GBK line in UTF-8."""
    k = rng.randrange(len(data) + 1)
    return data[:k] + "订单备注".encode(rng.choice(["gbk", "utf-16-le"])) + data[k:], encoding


def nul_bytes(rng, data: bytes, encoding: str) -> tuple[bytes, str]:
    k = rng.randrange(len(data) + 1)
    return data[:k] + b"\x00" * rng.randint(1, 8) + data[k:], encoding


BYTE_MUTATIONS: list[Callable] = [truncate, reencode, mislabel, nul_bytes]


def mutate(rng: random.Random, base: Base) -> tuple[bytes, tuple[str, ...]]:
    """One mutated file from ``base``: one to three mutations, table ones then byte ones."""
    names: list[str] = []
    data, encoding = base.data, base.encoding
    rows = _table(data, encoding)
    if rows and rows[0]:
        for fn in rng.sample(TABLE_MUTATIONS, rng.randint(0, 2)):
            done = fn(rng, rows)
            if done:
                names.append(done)
        data = _csv(rows, encoding)
    if not names or rng.random() < 0.4:
        fn = rng.choice(BYTE_MUTATIONS)
        data, encoding = fn(rng, data, encoding)
        names.append(fn.__name__)
    return data, tuple(names)


# -- the checks -------------------------------------------------------------------------------
def snapshot(warehouse) -> dict[str, int]:
    tables = [r[0] for r in warehouse.query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
        "AND table_type = 'BASE TABLE'")]
    return {t: warehouse.query(f'SELECT count(*) FROM "{t}"')[0][0] for t in tables}


def check_one(warehouse, path: Path, preset: str | None) -> tuple[str, str]:
    """Load one file and judge it: ("loaded" | "error" | "violation", detail)."""
    from shopkeeper.errors import ShopkeeperError
    from shopkeeper.store import ingest

    before = snapshot(warehouse)
    try:
        report = ingest(warehouse, [path], preset=preset, force=True)
    except ShopkeeperError as exc:
        message = str(exc)
        after = snapshot(warehouse)
        if after != before:
            changed = {t: (before.get(t), after.get(t)) for t in after
                       if after.get(t) != before.get(t)}
            return "violation", f"error left the warehouse changed {changed}: {message}"
        if "\n" in message.strip():
            return "violation", f"error over several lines: {message!r}"
        if path.name not in message:
            return "violation", f"error does not name the file: {message}"
        return "error", f"{type(exc).__name__}: {message}"
    except Exception as exc:  # anything else is a defect: a crash the user would see
        return "violation", f"{type(exc).__name__}: {str(exc)[:300]}"
    for f in report.files:
        if f.skipped is None and f.rows_read != f.rows_loaded + f.rows_quarantined:
            return "violation", (f"read {f.rows_read} != loaded {f.rows_loaded} + quarantined "
                                 f"{f.rows_quarantined}")
    if report.load_id is None:
        return "loaded", "skipped: loaded before"
    for table, n in report.table_rows.items():  # a row loaded again replaces the old one
        written = warehouse.query(f'SELECT count(*) FROM "{table}" WHERE _load_id = ?',
                                  [report.load_id])[0][0]
        if written != n:
            return "violation", f"{table} holds {written} rows of the load, the report says {n}"
    kept = warehouse.query("SELECT count(DISTINCT source_row) FROM quarantine WHERE load_id = ?",
                           [report.load_id])[0][0]
    if kept != report.rows_quarantined:
        return "violation", (f"quarantine keeps {kept} rows of the load, the report says "
                             f"{report.rows_quarantined}")
    return "loaded", f"{report.rows_read} read, {report.rows_quarantined} quarantined"


def cases(n: int, seed: int) -> Iterator[tuple[str, Base, bytes, tuple[str, ...]]]:
    rng = random.Random(seed)
    pool = bases()
    if not pool:
        raise RuntimeError("no export to mutate: tests/data/ is missing")
    for i in range(n):
        base = pool[i % len(pool)]
        data, names = mutate(rng, base)
        stem = base.name.rsplit(".", 1)[0]
        yield f"{i:04d}_{stem}.csv", base, data, names


def run(n: int = 1000, seed: int = 25, *, per_warehouse: int = 50,
        progress: Callable[[int, int], None] | None = None) -> FuzzReport:
    """Fuzz ``n`` mutated files (seeded): a fresh warehouse every ``per_warehouse`` files."""
    from shopkeeper.store import Warehouse

    report = FuzzReport()
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="shopkeeper-fuzz-"))
    warehouse = None
    try:
        for i, (name, base, data, names) in enumerate(cases(n, seed)):
            if i % per_warehouse == 0:
                if warehouse is not None:
                    warehouse.close()
                warehouse = Warehouse(work / f"w{i}.duckdb")
            path = work / name
            path.write_bytes(data)
            outcome, detail = check_one(warehouse, path, base.preset)
            report.verdicts.append(Verdict(name, names, outcome, detail))
            path.unlink()
            if progress:
                progress(i + 1, n)
    finally:
        if warehouse is not None:
            warehouse.close()
        shutil.rmtree(work, ignore_errors=True)
    report.seconds = time.perf_counter() - started
    return report
