"""Readers: put one source file into a DuckDB temp table, keeping every row's number.

Every reader produces a table of the file's own columns plus a way to know each row's number as a
spreadsheet shows it (CSV and Excel: the header is row 1 unless it sits lower; Parquet and JSON
lines: the record or line number). Rows the parser itself cannot read (a CSV line with too many
fields, a broken JSON line) are returned as rejects so that nothing read is ever lost.

A UTF-8 CSV may instead be staged deferred: only its header is read, and the first statement
over it (``read_into``) reads the file itself, so a big file is not copied before it is typed.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import dataclasses
import json
import os
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from shopkeeper.errors import EmptyFileError, EncodingError, UnreadableFileError

FORMATS = {
    ".csv": "csv", ".tsv": "csv", ".txt": "csv",
    ".xlsx": "excel", ".xlsm": "excel", ".xls": "excel",
    ".parquet": "parquet", ".pq": "parquet",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
}
HEADER_SCAN_ROWS = 30
_CHUNK = 1 << 22

ProgressFn = Callable[[str, float | None], None]


@dataclass
class Reject:
    """A row the parser could not read at all."""

    row: int
    reason: str
    raw: str


@dataclass
class StagedFile:
    """A source file staged in DuckDB as ``table``; ``row_expr`` gives each row's number."""

    path: Path
    format: str
    table: str
    columns: list[str]
    types: dict[str, str]
    rows: int
    row_expr: str
    rejects: list[Reject] = field(default_factory=list)
    encoding: str | None = None
    # set while the file is not read yet: the SQL that reads it, for the first statement over
    # it (``read_into``), so a big file is parsed and typed in one pass instead of two
    source_sql: str | None = None
    first_row: int = 2  # the number of the first data row

    @property
    def deferred(self) -> bool:
        return self.source_sql is not None

    @property
    def source_columns_sql(self) -> str:
        """The file's own columns, without the row-number column some readers add."""
        return "* EXCLUDE (_row)" if self.row_expr == "_row" else "*"

    @property
    def rows_read(self) -> int:
        return self.rows + len(self.rejects)


def execute(con: duckdb.DuckDBPyConnection, sql: str, label: str,
            progress: ProgressFn | None) -> duckdb.DuckDBPyConnection:
    """Run one statement; while it runs, report DuckDB's own progress (0..1) under ``label``."""
    with watching(con, label, progress, heartbeat=False):
        return con.execute(sql)


@contextlib.contextmanager
def watching(con: duckdb.DuckDBPyConnection | None, label: str, progress: ProgressFn | None,
             *, heartbeat: bool = True) -> Iterator[None]:
    """While the block runs, report under ``label`` the progress (0..1) DuckDB gives for the
    statement running now on ``con``; with ``heartbeat``, the step is announced, and between
    statements, or for one DuckDB cannot measure (a commit), ``None`` is reported every second,
    so a step of many statements is never silent."""
    if progress is None:
        yield
        return
    if heartbeat:
        progress(label, None)
    done = threading.Event()

    def poll() -> None:
        quiet = 0.0
        while not done.wait(0.2):
            pct = con.query_progress() if con is not None else -1
            if pct >= 0:
                progress(label, min(pct, 100.0) / 100)
                quiet = 0.0
            elif heartbeat and (quiet := quiet + 0.2) >= 1.0:
                progress(label, None)
                quiet = 0.0

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()


def detect_format(path: Path, declared: str | None = None) -> str:
    if declared:
        return declared
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise UnreadableFileError(
            f"unknown file type {path.suffix!r}; use .csv, .xlsx, .parquet or .jsonl "
            "(or set source.format in a mapping)",
            path=path,
        )
    return fmt


def stage(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    name: str,
    fmt: str,
    encoding: str = "auto",
    delimiter: str | None = None,
    sheet: str | int | None = None,
    header_row: int | None = None,
    header_names: set[str] | None = None,
    progress: ProgressFn | None = None,
    defer: bool = False,
    not_utf8: bool = False,
) -> StagedFile:
    """Stage ``path`` as temp table ``name``. ``header_names`` helps find a header below a preamble.

    With ``defer``, a CSV file whose start is UTF-8 is not read yet: the result's
    ``source_sql`` reads it, and ``read_into`` runs the first statement over it. ``not_utf8``
    skips the optimistic UTF-8 read of a file already found not to be UTF-8."""
    if path.stat().st_size == 0:
        raise EmptyFileError("the file is empty (0 bytes); export it again", path=path)
    if fmt == "csv":
        return _stage_csv(con, path, name, encoding, delimiter, header_row, header_names or set(),
                          progress, defer=defer, not_utf8=not_utf8)
    if fmt == "excel":
        return _stage_excel(con, path, name, sheet, header_row, header_names or set())
    if fmt == "parquet":
        return _stage_parquet(con, path, name)
    if fmt == "jsonl":
        return _stage_jsonl(con, path, name, encoding)
    raise UnreadableFileError(f"unsupported format {fmt!r}", path=path)


# -- CSV ------------------------------------------------------------------------------------
class NotUtf8(Exception):
    """The optimistic UTF-8 read met bytes that are not UTF-8."""


_UTF8_NAMES = {"auto", "utf-8", "utf8", "utf-8-sig"}


def _stage_csv(con, path, name, encoding, delimiter, header_row, header_names, progress, *,
               defer: bool = False, not_utf8: bool = False) -> StagedFile:
    if encoding.lower().replace("_", "-") in _UTF8_NAMES and not not_utf8:
        # Most files are UTF-8: let DuckDB's reader find out, and only scan in Python if not.
        try:
            return _stage_utf8_csv(con, path, path, "utf-8", name, delimiter, header_row,
                                   header_names, progress, defer=defer)
        except NotUtf8:
            pass
    used_encoding, utf8_path, cleanup = _as_utf8(path, encoding, progress)
    try:
        return _stage_utf8_csv(con, path, utf8_path, used_encoding, name, delimiter, header_row,
                               header_names, progress)
    finally:
        cleanup()


def _stage_utf8_csv(con, path, utf8_path, used_encoding, name, delimiter, header_row,
                    header_names, progress, *, defer: bool = False) -> StagedFile:
    try:
        head_lines = _head_lines(utf8_path)
    except UnicodeDecodeError:
        raise NotUtf8 from None
    if not any(line.strip() for line in head_lines):
        raise EmptyFileError("the file has no header row", path=path)
    delim = delimiter or _sniff_delimiter(head_lines)
    parsed = list(csv.reader(head_lines[:HEADER_SCAN_ROWS], delimiter=delim))
    header_idx = (header_row - 1) if header_row else _find_header(parsed, header_names)
    if header_idx >= len(parsed):
        raise EmptyFileError(f"no header at row {header_idx + 1}", path=path)
    columns = _clean_header(parsed[header_idx])
    col_types = "{" + ", ".join(f"'{_sql_str(c)}': 'VARCHAR'" for c in columns) + "}"
    source_sql = f"""read_csv(
                '{_sql_str(str(utf8_path))}', columns = {col_types}, auto_detect = false,
                header = false, skip = {header_idx + 1}, delim = '{_sql_str(delim)}',
                quote = '"', escape = '"', store_rejects = true,
                rejects_table = '{name}_rejects', rejects_scan = '{name}_scans',
                max_line_size = 16777216, encoding = 'utf-8'
            )"""
    staged = StagedFile(path, "csv", name, columns, dict.fromkeys(columns, "VARCHAR"), 0,
                        "CAST(NULL AS BIGINT)", [], used_encoding, source_sql, header_idx + 2)
    if defer:
        return staged
    with _reading_csv(path):
        execute(con, f'CREATE TEMP TABLE "{name}" AS SELECT * FROM {source_sql}',
                f"reading {path.name}", progress)
        return _numbered(con, staged, name, add=True)


def read_into(con: duckdb.DuckDBPyConnection, staged: StagedFile, select_sql: str, table: str,
              label: str, progress: ProgressFn | None = None) -> StagedFile:
    """Run ``select_sql``, a query over the deferred file (see ``stage``), into temp table
    ``table`` in the file's order, and set its ``_row`` column to each row's number. Returns
    the file as now read: its rows and the parser's rejects. Raises ``NotUtf8`` (and leaves
    no table) when the file turns out not to be UTF-8 past its start."""
    assert staged.deferred, "read_into needs a file staged with defer=True"
    con.execute("SET preserve_insertion_order = true")
    with _reading_csv(staged.path), watching(con, label, progress):
        con.execute(f'CREATE TEMP TABLE "{table}" AS {select_sql}')
        return _numbered(con, staged, table, add=False)


# errors in the SQL itself (a mapping's expression), not in the file being read: the SQL
# is wrong, or a value in it cannot convert
SQL_ERRORS = (duckdb.ParserException, duckdb.BinderException, duckdb.CatalogException,
              duckdb.ConversionException, duckdb.OutOfRangeException)


@contextlib.contextmanager
def _reading_csv(path: Path) -> Iterator[None]:
    try:
        yield
    except SQL_ERRORS:
        raise
    except duckdb.Error as exc:
        raise UnreadableFileError(f"cannot read as CSV: {str(exc).splitlines()[0]}",
                                  path=path) from exc


def _numbered(con, staged: StagedFile, table: str, *, add: bool) -> StagedFile:
    """Collect the parser's rejects of the read that filled ``table`` (in file order), and
    number its rows: as ``row_expr`` where ``add``, else in its ``_row`` column."""
    name = staged.table
    found = con.execute(
        f"SELECT line, first(error_message ORDER BY column_idx), first(csv_line), "
        f"bool_or(error_type IN ('INVALID UNICODE', 'INVALID ENCODING')) "  # DuckDB 1 / 2
        f"FROM {name}_rejects GROUP BY line ORDER BY line"
    ).fetchall()
    con.execute(f"DROP TABLE IF EXISTS {name}_rejects")
    con.execute(f"DROP TABLE IF EXISTS {name}_scans")
    if any(bad_unicode for *_, bad_unicode in found):
        con.execute(f'DROP TABLE "{table}"')
        raise NotUtf8
    rejects = [Reject(int(line), f"malformed CSV row: {msg}", raw) for line, msg, raw, _ in found]
    rows, base = _count_and_base(con, table)
    first = staged.first_row
    row_expr = f"(rowid - {base} + {first})"
    if rejects:
        row_expr = _number_rows_around_rejects(con, table, base, first,
                                               [r.row for r in rejects], add=add)
    elif not add:
        con.execute(f'UPDATE "{table}" SET _row = {row_expr}')
        row_expr = "_row"
    return dataclasses.replace(staged, rows=rows, row_expr=row_expr, rejects=rejects,
                               source_sql=None)


def _count_and_base(con, name: str) -> tuple[int, int]:
    """Row count and first rowid: rowids of a table created in an open transaction start high."""
    rows, base = con.execute(f'SELECT count(*), coalesce(min(rowid), 0) FROM "{name}"').fetchone()
    return int(rows), int(base)


def _number_rows_around_rejects(con, name: str, base: int, first: int, rejected: list[int], *,
                                add: bool = True) -> str:
    """Give each row its number when the parser skipped some: accepted rows fill the other slots.
    The number is a new ``_row`` column, or where not ``add`` replaces the one there."""
    gaps = sorted(r - first - i for i, r in enumerate(sorted(rejected)))
    values = ", ".join(f"({g}, {i + 1})" for i, g in enumerate(gaps))
    number = (f"s.rowid - {base} + {first} + (SELECT count(*) FROM (VALUES {values}) g(gap, n) "
              f"WHERE g.gap <= s.rowid - {base})")
    columns = f"s.*, {number} AS _row" if add else f"s.* REPLACE ({number} AS _row)"
    con.execute(
        f"""CREATE TEMP TABLE "{name}_numbered" AS
        SELECT {columns} FROM "{name}" s ORDER BY s.rowid"""
    )
    con.execute(f'DROP TABLE "{name}"')
    con.execute(f'ALTER TABLE "{name}_numbered" RENAME TO "{name}"')
    return "_row"


def _as_utf8(path: Path, encoding: str, progress: ProgressFn | None):
    """Return (encoding used, a UTF-8 file to read, cleanup). Transcodes GBK & co. to a temp file."""
    enc = encoding.lower().replace("_", "-")
    if enc in {"auto", "utf-8", "utf8", "utf-8-sig"}:
        bad = _first_invalid(path, "utf-8")
        if bad is None:
            return "utf-8", path, lambda: None
        if enc != "auto":
            raise EncodingError(path=path, encoding="utf-8", line=bad[0], byte=bad[1])
        if _first_invalid(path, "gb18030") is None:
            enc = "gb18030"
        else:
            raise EncodingError(
                path=path, encoding="utf-8", line=bad[0], byte=bad[1],
                hint="it is not GB18030/GBK either; pass the right --encoding (e.g. latin-1, big5)",
            )
    try:
        codecs.lookup(enc)
    except LookupError:
        raise EncodingError(path=path, encoding=enc, line=0, byte=0,
                            hint=f"unknown encoding {encoding!r}") from None
    bad = _first_invalid(path, enc)
    if bad is not None:
        raise EncodingError(path=path, encoding=enc, line=bad[0], byte=bad[1],
                            hint="pass the right --encoding, or 'auto'")
    fd, tmp = tempfile.mkstemp(suffix=".csv", prefix="shopkeeper-")
    total = path.stat().st_size
    done = 0
    with open(path, "rb") as src, os.fdopen(fd, "wb") as dst:
        decoder = codecs.getincrementaldecoder(enc)()
        while chunk := src.read(_CHUNK):
            dst.write(decoder.decode(chunk).encode("utf-8"))
            done += len(chunk)
            if progress:
                progress(f"transcoding {enc}", done / total)
        dst.write(decoder.decode(b"", final=True).encode("utf-8"))
    return enc, Path(tmp), lambda: os.unlink(tmp)


def _first_invalid(path: Path, encoding: str) -> tuple[int, int] | None:
    """(row, byte offset) of the first byte sequence invalid in ``encoding``, or None."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset, newlines = 0, 0
    with open(path, "rb") as fh:
        while True:
            chunk = fh.read(_CHUNK)
            final = not chunk
            try:
                decoder.decode(chunk, final=final)
            except UnicodeDecodeError as exc:
                pos = max(exc.start, 0)
                return newlines + chunk[:pos].count(b"\n") + 1, offset + pos
            if final:
                return None
            offset += len(chunk)
            newlines += chunk.count(b"\n")


def _head_lines(path: Path) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        text = fh.read(1 << 16)
    lines = text.splitlines(keepends=True)
    if len(text) == 1 << 16 and len(lines) > 1:
        lines = lines[:-1]  # the last one may be cut
    return lines


def _sniff_delimiter(lines: list[str]) -> str:
    sample = "".join(lines[:HEADER_SCAN_ROWS])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",\t;|").delimiter
    except csv.Error:
        return ","


def _find_header(rows: list[list[str]], names: set[str]) -> int:
    """The row that names the most known columns; else the first row with two or more cells."""
    wanted = {n.strip().lower() for n in names}
    best, best_hits = None, 0
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        hits = sum(1 for cell in row if cell.strip().lstrip("\ufeff").lower() in wanted)
        if hits > best_hits:
            best, best_hits = i, hits
    if best is not None:
        return best
    for i, row in enumerate(rows):
        if sum(1 for cell in row if str(cell).strip()) >= 2:
            return i
    return 0


def _clean_header(cells: Iterable[object]) -> list[str]:
    out: list[str] = []
    for i, cell in enumerate(cells):
        name = ("" if cell is None else str(cell)).strip().lstrip("\ufeff").strip()
        name = name or f"column_{i + 1}"
        base, n = name, 2
        while name in out:
            name, n = f"{base}_{n}", n + 1
        out.append(name)
    return out


def _sql_str(value: str) -> str:
    return value.replace("'", "''")


# -- Excel ----------------------------------------------------------------------------------
def _stage_excel(con, path, name, sheet, header_row, header_names) -> StagedFile:
    import openpyxl

    if path.suffix.lower() == ".xls":
        raise UnreadableFileError(
            "legacy .xls files are not supported; save the sheet as .xlsx or .csv", path=path
        )
    _check_zip_expansion(path)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many unrelated types for corrupt files
        raise UnreadableFileError(f"cannot open as an Excel workbook: {exc}", path=path) from exc
    try:
        if sheet is None:
            ws = wb.worksheets[0]
        elif isinstance(sheet, int):
            ws = wb.worksheets[sheet]
        else:
            if sheet not in wb.sheetnames:
                raise UnreadableFileError(f"no sheet {sheet!r}; sheets are {wb.sheetnames}", path=path)
            ws = wb[sheet]
        rows = [[_excel_text(v) for v in r] for r in ws.iter_rows(values_only=True)]
    finally:
        wb.close()
    if not rows:
        raise EmptyFileError("the sheet is empty", path=path)
    as_text = [[c or "" for c in r] for r in rows[:HEADER_SCAN_ROWS]]
    header_idx = (header_row - 1) if header_row else _find_header(as_text, header_names)
    columns = _clean_header(rows[header_idx])
    data = rows[header_idx + 1 :]
    width = len(columns)
    numbers, body = [], []
    for i, r in enumerate(data, start=header_idx + 2):
        if not any(c not in (None, "") for c in r):
            continue  # blank spreadsheet rows are not records
        numbers.append(i)
        body.append((list(r) + [None] * width)[:width])
    arrays = {"_row": pa.array(numbers, pa.int64())}
    for j, col in enumerate(columns):
        arrays[col] = pa.array([r[j] for r in body], pa.string())
    return _register(con, path, "excel", name, pa.table(arrays), columns)


# An .xlsx is a zip: a small file can unpack to gigabytes (a zip bomb). Real workbooks compress
# text about 5-20x; refuse one that would unpack past both bounds before anything is unpacked.
MAX_XLSX_EXPANSION = 200
MAX_XLSX_UNPACKED = 2 * 1024**3


def _check_zip_expansion(path: Path) -> None:
    import zipfile

    try:
        with zipfile.ZipFile(path) as zf:
            unpacked = sum(info.file_size for info in zf.infolist())
    except zipfile.BadZipFile as exc:
        raise UnreadableFileError("not an Excel workbook (.xlsx files are zip archives; this "
                                  "one is not)", path=path) from exc
    packed = max(path.stat().st_size, 1)
    if unpacked > MAX_XLSX_UNPACKED or (unpacked > 64 * 1024**2
                                        and unpacked / packed > MAX_XLSX_EXPANSION):
        raise UnreadableFileError(
            f"the workbook would unpack to {unpacked:,} bytes from {packed:,} "
            f"({unpacked / packed:,.0f}x): refused as a likely zip bomb; export it as CSV",
            path=path)


def _excel_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
    text = str(value)
    return text if text.strip() else None


def _register(con, path, fmt, name, table: pa.Table, columns: list[str]) -> StagedFile:
    view = f"{name}_arrow"
    con.register(view, table)
    con.execute(f'CREATE TEMP TABLE "{name}" AS SELECT * FROM "{view}"')
    con.unregister(view)
    types = {c: "VARCHAR" for c in columns}
    return StagedFile(path, fmt, name, columns, types, table.num_rows, "_row")


# -- Parquet --------------------------------------------------------------------------------
def _stage_parquet(con, path, name) -> StagedFile:
    try:
        con.execute(
            f"CREATE TEMP TABLE \"{name}\" AS SELECT * FROM read_parquet('{_sql_str(str(path))}')"
        )
    except duckdb.Error as exc:
        raise UnreadableFileError(
            f"cannot read as Parquet (truncated or not Parquet?): {str(exc).splitlines()[0]}",
            path=path,
        ) from exc
    described = con.execute(f'DESCRIBE "{name}"').fetchall()
    columns = [r[0] for r in described]
    rows, base = _count_and_base(con, name)
    return StagedFile(path, "parquet", name, columns, {r[0]: r[1] for r in described}, rows,
                      f"(rowid - {base} + 1)")


# -- JSON lines -----------------------------------------------------------------------------
def _stage_jsonl(con, path, name, encoding) -> StagedFile:
    enc = "utf-8-sig" if encoding.lower() in {"auto", "utf-8", "utf8"} else encoding
    records: list[tuple[int, dict]] = []
    rejects: list[Reject] = []
    try:
        with open(path, encoding=enc, newline="") as fh:
            for lineno, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    rejects.append(Reject(lineno, f"malformed JSON: {exc.msg} at column {exc.colno}", line.rstrip("\n")))
                    continue
                if not isinstance(obj, dict):
                    rejects.append(Reject(lineno, "a JSON line must be an object", line.rstrip("\n")))
                    continue
                records.append((lineno, obj))
    except UnicodeDecodeError as exc:
        raise EncodingError(path=path, encoding=enc, line=0, byte=exc.start) from exc
    if not records and not rejects:
        raise EmptyFileError("the file has no JSON records", path=path)
    columns: list[str] = []
    for _, obj in records:
        columns += [k for k in obj if k not in columns]
    arrays = {"_row": pa.array([n for n, _ in records], pa.int64())}
    for col in columns:
        arrays[col] = pa.array([_json_text(obj.get(col)) for _, obj in records], pa.string())
    staged = _register(con, path, "jsonl", name, pa.table(arrays), columns)
    staged.rejects = rejects
    return staged


def _json_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
