"""Load files into the warehouse: stage, type, check, quarantine and write, all or nothing.

For every file: rows read = rows loaded + rows quarantined. A whole call (one file or a folder
of them) is one transaction, so an error or a kill mid-way leaves the warehouse as it was. A file
whose bytes and mapping were loaded before is skipped, so loading it again changes nothing.

Rows that read fine can still be wrong, and are quarantined with the reason: a line the file
repeats (a re-download appended to the export) or that another file loaded already, a date in
the future or before 1990, and the lines, payments and refunds of an order whose header was
rejected (lines, payments, refunds and shipments). Orders whose lines are all zero-priced (stock adjustments, notes) load but are counted
in the report. The first load that can tell the store's time zone records it.
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import json
import os
import signal
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from shopkeeper import __version__
from shopkeeper.errors import InvalidMappingError, SourceNotFound, UnknownPresetError
from shopkeeper.store.ingest import presets as preset_registry
from shopkeeper.store.ingest import readers
from shopkeeper.store.ingest.compile import SOURCE_ALIAS, Compiled, compile_mapping, lit, q
from shopkeeper.store.ingest.mapping import Mapping
from shopkeeper.store.timezone import record_timezone, zone_for_offset
from shopkeeper.store.warehouse import Warehouse

ProgressFn = Callable[[str, float | None], None]
FAULT_ENV = "SHOPKEEPER_TEST_FAULT"  # test hook: 'kill-before-commit' or 'error-after-insert'

QUARANTINE_COLUMNS = ("load_id, source_file, source_row, target_table, column_name, reason, "
                      "value, raw, quarantined_at")


@dataclass
class FileReport:
    path: str
    mapping: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    table_rows: dict[str, int] = field(default_factory=dict)
    encoding: str | None = None
    skipped: str | None = None  # why the file was not loaded again
    duplicates: int = 0  # rows quarantined as lines repeated in the file or loaded before
    orphans: int = 0  # rows quarantined because their order header was rejected
    zero_value_orders: int = 0  # orders whose lines are all zero-priced: loaded, not sales
    source_file: str | None = field(default=None, repr=False)  # as lineage columns name it
    detected_timezone: tuple[str, str] | None = field(default=None, repr=False)


@dataclass
class LoadReport:
    load_id: str | None
    files: list[FileReport]
    timezone: tuple[str, str] | None = None  # the store zone this load recorded, and whence

    @property
    def duplicates(self) -> int:
        return sum(f.duplicates for f in self.files)

    @property
    def orphans(self) -> int:
        return sum(f.orphans for f in self.files)

    @property
    def zero_value_orders(self) -> int:
        return sum(f.zero_value_orders for f in self.files)

    def notes(self) -> list[str]:
        """What the merchant should know about this load beyond its counts, one line each."""
        out = []
        if self.duplicates:
            out.append(f"{self.duplicates:,} rows repeat a line of the same file or of an earlier "
                       "load: quarantined, each line is loaded once")
        if self.orphans:
            out.append(f"{self.orphans:,} rows belong to an order whose header was rejected: "
                       "quarantined with it")
        if self.zero_value_orders:
            out.append(f"{self.zero_value_orders:,} orders have no value (every line priced 0): "
                       "kept, excluded from order counts")
        if self.timezone:
            out.append(f"the store's time zone is now {self.timezone[0]} ({self.timezone[1]}); "
                       "set timezone in shopkeeper.toml to choose another")
        return out

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)

    @property
    def table_rows(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for f in self.files:
            for t, n in f.table_rows.items():
                out[t] = out.get(t, 0) + n
        return out


def expand_sources(paths: Sequence[str | Path]) -> list[Path]:
    """Files to load: the given files, and the readable files inside given folders."""
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files += sorted(f for f in p.iterdir() if f.suffix.lower() in readers.FORMATS)
        elif p.is_file():
            files.append(p)
        else:
            raise SourceNotFound("no such file or folder", path=p)
    if not files:
        raise SourceNotFound(
            "no loadable files (.csv, .xlsx, .parquet, .jsonl) found",
            path=", ".join(map(str, paths)),
        )
    return files


def sha256_of(path: Path, hashed: list[int] | None = None) -> str:
    """The file's SHA-256; ``hashed[0]`` counts the bytes done, for a progress bar."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 22):
            h.update(chunk)
            if hashed is not None:
                hashed[0] += len(chunk)
    return h.hexdigest()


def ingest(
    warehouse: Warehouse,
    paths: Sequence[str | Path],
    *,
    preset: str | None = None,
    mapping: Mapping | None = None,
    encoding: str | None = None,
    default_currency: str = "USD",
    force: bool = False,
    generated: bool = False,
    source_label: str | None = None,
    progress: ProgressFn | None = None,
) -> LoadReport:
    """Load files (or folders of files) into ``warehouse`` as one all-or-nothing load.

    ``mapping`` maps every file; otherwise ``preset`` names a preset or a family of presets
    (e.g. ``olist``), and without either each file's preset is recognised from its columns.
    ``generated`` marks the data as synthetic; ``source_label`` replaces the file path in
    lineage columns (the demo uses ``generated:…``).
    """
    if warehouse.engine != "duckdb":  # read and checked by DuckDB, then written to the server
        return warehouse.load_through_duckdb(lambda scratch: ingest(
            scratch, paths, preset=preset, mapping=mapping, encoding=encoding,
            default_currency=default_currency, force=force, generated=generated,
            source_label=source_label, progress=progress))
    files = expand_sources(paths)
    candidates = [mapping] if mapping else preset_registry.candidates(preset)
    load_id = "L" + uuid.uuid4().hex[:12]
    previous_timezone = warehouse.timezone
    reports: list[FileReport] = []
    options = _Options(candidates, encoding, default_currency, force, source_label, progress)
    started = datetime.now(UTC)
    detected: tuple[str, str] | None = None
    con = None
    try:
        # the commit writes the whole load: its own step, after the transaction's block
        committing = contextlib.ExitStack()
        # on demand, the transaction opens the writer and lets it go at the end: use its connection
        with committing, warehouse.transaction() as con:
            for n, path in enumerate(files):
                report = _load_file(warehouse, path, f"stg{n}_{load_id}", load_id, options)
                reports.append(report)
                if report.skipped is None and detected is None:
                    detected = _record_timezone(warehouse, report)
            loaded = [r for r in reports if r.skipped is None]
            if loaded:
                _quarantine_orphans(con, load_id, loaded)
                totals = LoadReport(load_id, loaded)
                notes = {"duplicates": totals.duplicates, "orphans": totals.orphans,
                         "zero_value_orders": totals.zero_value_orders}
                if detected:
                    notes["timezone"] = list(detected)
                con.execute(
                    "INSERT INTO loads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, current_timestamp, ?, ?)",
                    [
                        load_id,
                        source_label or ", ".join(map(str, paths)),
                        preset or (mapping.name if mapping else "auto"),
                        totals.rows_read,
                        totals.rows_loaded,
                        totals.rows_quarantined,
                        json.dumps(totals.table_rows),
                        generated,
                        started,
                        __version__,
                        json.dumps(notes),
                    ],
                )
            _fault("kill-before-commit")
            committing.enter_context(readers.watching(None, "saving the load", options.progress))
    except BaseException:
        if detected and not warehouse.configured_timezone:
            warehouse.timezone = previous_timezone  # the record was rolled back with the load
        raise
    finally:  # session settings are not transactional: restore them whatever happened
        with contextlib.suppress(duckdb.ConnectionException):  # closed with its transaction
            if con is not None:
                con.execute(f"SET TimeZone = {lit(warehouse.timezone)}")
                con.execute("RESET preserve_insertion_order")
    return LoadReport(load_id if any(r.skipped is None for r in reports) else None, reports,
                      detected)


def _fault(point: str) -> None:
    if os.environ.get(FAULT_ENV) == point:
        if point.startswith("kill"):
            os.kill(os.getpid(), signal.SIGKILL)
        raise RuntimeError(f"injected fault at {point}")


def _choose(
    staged: readers.StagedFile, candidates: list[Mapping]
) -> tuple[Mapping, dict[str, str]]:
    best = None
    near: list[tuple[int, str, list[str]]] = []
    for m in candidates:
        resolved, missing = m.resolve(staged.columns)
        pattern_hit = bool(
            m.source.file_pattern
            and fnmatch.fnmatch(staged.path.name.lower(), m.source.file_pattern.lower())
        )
        if missing:
            near.append((len(resolved), m.name, missing))
            continue
        if (
            m.family == "canonical"
            and not pattern_hit
            and len(resolved) < 0.8 * len(staged.columns)
        ):
            continue  # schema-named files are recognised by name, or by nearly all their columns
        score = (len(resolved) + (1000 if pattern_hit else 0), -len(m.all_columns()))
        if best is None or score > best[0]:
            best = (score, m, resolved)
    if best is not None:
        return best[1], best[2]
    if len(candidates) == 1:
        from shopkeeper.errors import MissingColumnsError

        raise MissingColumnsError(
            path=staged.path, missing=near[0][2], found=staged.columns, mapping=candidates[0].name
        )
    near.sort(reverse=True)
    hint = "; ".join(f"{name} lacks {missing[:4]}" for _, name, missing in near[:3])
    raise UnknownPresetError(
        f"no preset matches this file's columns {staged.columns[:10]} (closest: {hint}). "
        "Write a mapping file and pass --mapping (see docs/ingest.md)",
        path=staged.path,
    )


class _Background:
    """Run ``fn(*args)`` in a thread; ``result()`` waits for it and re-raises its error."""

    def __init__(self, fn: Callable, *args: object) -> None:
        self._value: object = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(fn, args), daemon=True)
        self._thread.start()

    def _run(self, fn: Callable, args: tuple) -> None:
        try:
            self._value = fn(*args)
        except BaseException as exc:  # handed to the caller by result()
            self._error = exc

    def result(self, waiting: Callable[[], None] | None = None):
        """The value; while it is not ready, ``waiting()`` is called every 0.2 s."""
        while waiting is not None and self._thread.is_alive():
            waiting()
            self._thread.join(0.2)
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value


@dataclass(frozen=True)
class _Options:
    """What one ingest() call applies to each of its files."""

    candidates: list[Mapping]
    encoding: str | None
    default_currency: str
    force: bool
    source_label: str | None
    progress: ProgressFn | None


@contextlib.contextmanager
def _mapping_sql(con: duckdb.DuckDBPyConnection, compiled: Compiled,
                 staged: readers.StagedFile, mapping: Mapping) -> Iterator[None]:
    """Turn DuckDB's refusal of a mapping's own SQL (an ``expr``, a ``where``) into an
    ``InvalidMappingError`` naming the field at fault."""
    try:
        yield
    except readers.SQL_ERRORS as exc:
        culprit, reason, hint = "a field", str(exc).splitlines()[0], ""
        if isinstance(exc, duckdb.ConversionException | duckdb.OutOfRangeException):
            hint = "; an expression over values that may not convert needs TRY_CAST"
        else:  # it failed to bind, which leaves the transaction usable: try each alone
            culprit, reason = _unbindable(con, compiled, staged) or (culprit, reason)
        raise InvalidMappingError(
            f"mapping {mapping.name!r}: the SQL of {culprit} cannot run: {reason}{hint}",
            path=staged.path) from exc


def _unbindable(con: duckdb.DuckDBPyConnection, compiled: Compiled,
                staged: readers.StagedFile) -> tuple[str, str] | None:
    """The first of the mapping's own expressions that DuckDB cannot bind, and why."""
    source = q(staged.table)
    if staged.deferred:  # no table yet: an empty one with the file's columns and types
        source = "(SELECT " + ", ".join(
            f"CAST(NULL AS {staged.types.get(c, 'VARCHAR')}) AS {q(c)}"
            for c in staged.columns) + " WHERE false)"
    for what, sql in compiled.written:
        try:
            con.execute(f"SELECT ({sql}) FROM {source} AS {SOURCE_ALIAS} LIMIT 0")
        except duckdb.Error as exc:
            return what, str(exc).splitlines()[0]
    return None


def _load_file(
    warehouse: Warehouse, path: Path, name: str, load_id: str, options: _Options
) -> FileReport:
    candidates, progress = options.candidates, options.progress
    con = warehouse.connection
    hashed = [0]  # hashlib releases the GIL: overlap it with staging
    hashing = _Background(sha256_of, path, hashed)
    single = candidates[0] if len(candidates) == 1 else None
    opts = single.source if single else None
    fmt = readers.detect_format(path, opts.format if opts else None)
    header_names = set().union(*(m.known_names() for m in candidates))
    if progress:
        progress(f"reading {path.name}", None)

    def stage(**how) -> readers.StagedFile:
        con.execute("RESET preserve_insertion_order")  # staging numbers rows in file order
        return readers.stage(
            con,
            path,
            name=name,
            fmt=fmt,
            encoding=options.encoding or (opts.encoding if opts else "auto"),
            delimiter=opts.delimiter if opts else None,
            sheet=opts.sheet if opts else None,
            header_row=opts.header_row if opts else None,
            header_names=header_names,
            progress=progress,
            **how,
        )

    # a UTF-8 CSV is read by the statement that types it, not copied first
    staged = stage(defer=True)
    mapping, resolved = _choose(staged, candidates)
    if staged.deferred and mapping.reads_file_order():
        staged = stage()
    label = options.source_label
    source_file = f"{label}/{path.name}" if label else str(path.resolve())
    report = FileReport(str(path), mapping.name, encoding=staged.encoding, source_file=source_file)
    fingerprint = mapping.fingerprint()
    size = max(path.stat().st_size, 1)
    digest = hashing.result(progress and (
        lambda: progress(f"fingerprinting {path.name}", min(hashed[0] / size, 1.0))))
    previous = con.execute(
        "SELECT load_id FROM load_files WHERE sha256 = ? AND mapping_sha256 = ? LIMIT 1",
        [digest, fingerprint],
    ).fetchone()
    if previous and not options.force:
        report.skipped = f"already loaded by load {previous[0]} (use --force to load it again)"
        _drop(con, staged)
        return report
    con.execute("DELETE FROM quarantine WHERE source_file = ?", [source_file])
    con.execute("DELETE FROM rejected_orders WHERE source_file = ?", [source_file])

    if progress:
        progress(f"checking {path.name}", None)
    tz = mapping.source.timezone or warehouse.timezone
    con.execute(f"SET TimeZone = {lit(tz)}")
    compiled = compile_mapping(mapping, staged, resolved, options.default_currency)
    typed = f"{name}_typed"
    was_deferred = staged.deferred
    if was_deferred:
        try:
            with _mapping_sql(con, compiled, staged, mapping):
                staged = readers.read_into(con, staged, compiled.select_sql, typed,
                                           f"reading {path.name}", progress)
        except readers.NotUtf8:  # past its start the file is not UTF-8: transcode, then type
            staged = stage(not_utf8=True)
            report.encoding = staged.encoding
            compiled = compile_mapping(mapping, staged, resolved, options.default_currency)
            was_deferred = False
    # Rows carry their number in _row from here on, so DuckDB may reorder them freely.
    con.execute("SET preserve_insertion_order = false")
    if not was_deferred:
        with _mapping_sql(con, compiled, staged, mapping):
            readers.execute(
                con,
                f"CREATE TEMP TABLE {q(typed)} AS {compiled.select_sql}",
                f"checking {path.name}",
                progress,
            )
    con.execute(f"SET TimeZone = {lit(warehouse.timezone)}")
    with readers.watching(con, f"checking duplicates in {path.name}", progress):
        _record_rejected_orders(con, typed, compiled, load_id, source_file)
        _flag_duplicates(con, typed, compiled)
        report.duplicates = _flag_repeated_lines(con, typed, compiled)
        report.duplicates += _flag_loaded_lines(con, typed, compiled, source_file)
        report.zero_value_orders = _zero_value_orders(con, typed, compiled)
        report.detected_timezone = _detect_timezone(con, typed, compiled, mapping, path)

    for ct in compiled.tables:
        with readers.watching(con, f"loading {ct.table.name}", progress):
            report.table_rows[ct.table.name] = report.table_rows.get(ct.table.name, 0) + (
                _write_table(con, typed, ct, load_id, source_file))
        _fault("error-after-insert")

    bad = con.execute(f"SELECT count(*) FROM {q(typed)} WHERE _reason IS NOT NULL").fetchone()[0]
    if bad and was_deferred:
        # rows rejected while typing kept their source row; those flagged after it
        # (duplicates) are shown from a staged copy of the file, made only for them
        con.execute(
            f"""INSERT INTO quarantine ({QUARANTINE_COLUMNS})
        SELECT {lit(load_id)}, {lit(source_file)}, _row, NULL, _column, _reason, _value, _raw,
               current_timestamp
        FROM {q(typed)} WHERE _reason IS NOT NULL AND _raw IS NOT NULL"""
        )
        if con.execute(f"SELECT count(*) FROM {q(typed)} WHERE _reason IS NOT NULL "
                       "AND _raw IS NULL").fetchone()[0]:
            staged = stage()
            _quarantine_from_source(con, typed, staged, load_id, source_file, "t._raw IS NULL")
    elif bad:
        _quarantine_from_source(con, typed, staged, load_id, source_file, "true")
    for rej in staged.rejects:
        con.execute(
            f"INSERT INTO quarantine ({QUARANTINE_COLUMNS}) VALUES "
            "(?, ?, ?, NULL, NULL, ?, NULL, to_json(?::VARCHAR), current_timestamp)",
            [load_id, source_file, rej.row, rej.reason, rej.raw],
        )
    report.rows_quarantined = bad + len(staged.rejects)
    report.rows_read = staged.rows_read
    report.rows_loaded = staged.rows - bad
    con.execute(
        "INSERT INTO load_files VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            load_id,
            source_file,
            digest,
            mapping.name,
            fingerprint,
            report.rows_read,
            report.rows_loaded,
            report.rows_quarantined,
        ],
    )
    con.execute(f"DROP TABLE {q(typed)}")
    _drop(con, staged)
    return report


def _quarantine_from_source(con, typed: str, staged: readers.StagedFile, load_id: str,
                            source_file: str, where: str) -> None:
    """Quarantine the typed table's rejected rows (``where`` narrows them), each with its row
    as the staged file holds it."""
    con.execute(
        f"""INSERT INTO quarantine ({QUARANTINE_COLUMNS})
    SELECT {lit(load_id)}, {lit(source_file)}, t._row, NULL, t._column, t._reason, t._value,
           json_merge_patch(to_json(s), '{{"_row": null}}'), current_timestamp
    FROM {q(typed)} t JOIN (SELECT {staged.row_expr} AS _row, {staged.source_columns_sql}
                            FROM {q(staged.table)}) s USING (_row)
    WHERE t._reason IS NOT NULL AND {where}"""
    )


def _drop(con, staged: readers.StagedFile) -> None:
    con.execute(f"DROP TABLE IF EXISTS {q(staged.table)}")


def _key_sql(ct) -> list[str]:
    return [ct.values[k] for k in ct.table.key]


def _flag_duplicates(con, typed: str, compiled: Compiled) -> None:
    """Quarantine the second and later rows that repeat a key of a one-row-per-record table."""
    for ct in compiled.tables:
        if ct.mapping.grain != "row" or not ct.table.key:
            continue
        keys = _key_sql(ct)
        key_list = ", ".join(keys)
        if not _may_repeat(con, typed, key_list, ct.in_alias):
            continue
        dups = f"{typed}_dups"
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {q(dups)} AS
            SELECT {key_list}, min(_row) AS first_row FROM {q(typed)}
            WHERE _reason IS NULL AND {ct.in_alias} GROUP BY ALL HAVING count(*) > 1"""
        )
        if con.execute(f"SELECT count(*) FROM {q(dups)}").fetchone()[0]:
            shown = " || ', ' || ".join(f"CAST(t.{k} AS VARCHAR)" for k in keys)
            names = ", ".join(ct.table.key)
            join = " AND ".join(f"t.{k} = d.{k}" for k in keys)
            con.execute(
                f"""UPDATE {q(typed)} t SET
                    _reason = {lit(ct.table.name + ": duplicate key (" + names + ")")},
                    _value = '(' || {shown} || '), first at row ' || d.first_row,
                    _column = {lit(ct.table.key[0])}
                FROM {q(dups)} d
                WHERE {join} AND t._row <> d.first_row AND t._reason IS NULL AND t.{ct.in_alias}"""
            )
        con.execute(f"DROP TABLE {q(dups)}")


def _may_repeat(con, typed: str, values: str, in_alias: str) -> bool:
    """Whether two checked rows of ``in_alias`` may share ``values``: False proves they don't.
    One 64-bit hash per row is counted, which is much cheaper than the values themselves on
    a big file; a collision only sends the caller to its exact check."""
    return con.execute(
        f"SELECT count(*) > count(DISTINCT hash({values})) FROM {q(typed)} "
        f"WHERE _reason IS NULL AND {in_alias}").fetchone()[0]


def _write_table(con, typed: str, ct, load_id: str, source_file: str) -> int:
    cols = list(ct.values)
    target = q(ct.table.name)
    select = ", ".join(f"{ct.values[c]} AS {q(c)}" for c in cols)
    rows = f"SELECT {select}, _row FROM {q(typed)} WHERE _reason IS NULL AND {ct.in_alias}"
    if ct.mapping.grain == "dedupe":
        keys = ", ".join(q(k) for k in ct.table.key)
        rows += f" QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY _row) = 1"
    target_has_rows = con.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM {target} LIMIT 1)"
    ).fetchone()[0]
    if target_has_rows:
        new = f"{typed}_{ct.table.name}_new"
        con.execute(f"CREATE OR REPLACE TEMP TABLE {q(new)} AS {rows}")
        match = " AND ".join(f"{target}.{q(k)} = n.{q(k)}" for k in ct.table.key)
        if ct.on_conflict == "replace":
            con.execute(f"DELETE FROM {target} USING {q(new)} n WHERE {match}")
        else:
            con.execute(
                f"DELETE FROM {q(new)} n WHERE EXISTS (SELECT 1 FROM {target} WHERE {match})"
            )
        rows = f"SELECT * FROM {q(new)}"
    column_list = ", ".join(q(c) for c in cols) + ", _load_id, _source_file, _source_row"
    written = con.execute(
        f"INSERT INTO {target} ({column_list}) SELECT * EXCLUDE (_row), {lit(load_id)}, "
        f"{lit(source_file)}, _row FROM ({rows})"
    ).fetchone()[0]
    if target_has_rows:
        con.execute(f"DROP TABLE {q(new)}")
    return int(written)


def _table(compiled: Compiled, name: str):
    return next((ct for ct in compiled.tables if ct.table.name == name), None)


def _record_rejected_orders(con, typed: str, compiled: Compiled, load_id: str,
                            source_file: str) -> None:
    """Remember the orders whose header row was rejected, so their lines can follow them."""
    orders = _table(compiled, "orders")
    if orders is None:
        return
    order_id = orders.values["order_id"]
    con.execute(
        f"""INSERT INTO rejected_orders
        SELECT {order_id}, {lit(load_id)}, {lit(source_file)}, min(_row), arg_min(_reason, _row)
        FROM {q(typed)} WHERE _reason IS NOT NULL AND {orders.in_alias} AND {order_id} IS NOT NULL
        GROUP BY ALL"""
    )


def _flag_repeated_lines(con, typed: str, compiled: Compiled) -> int:
    """Quarantine the rows that repeat a line earlier in the same file; returns how many.

    Rows are compared within their order. A row with a line id (a sub-order number) repeats
    any earlier row with the same id. Without one, two equal lines in one run of the
    order's rows are two real lines (the same SKU twice); the k-th such line in a later run of
    that order (the file holds the order twice) repeats the k-th of the first run.
    """
    flagged = 0
    for ct in compiled.tables:
        if ct.lines is None:
            continue
        g, lid = ct.lines.group, ct.lines.line_id or "NULL"
        i = f"CASE WHEN {lid} IS NULL THEN {ct.lines.identity} ELSE hash({lid}) END"
        # a row repeats another only if both have the same order and line: when no pair does,
        # skip the windows below, which sort the whole file (most of a big load's time)
        if not _may_repeat(con, typed, f"{g}, {i}", ct.in_alias):
            continue
        nth = ("CASE WHEN lid THEN 1 ELSE "
               "row_number() OVER (PARTITION BY g, i, lid, run ORDER BY _row) END")
        dups = f"{typed}_repeats"
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {q(dups)} AS
            WITH rows AS (
                SELECT _row, {g} AS g, {i} AS i, {lid} IS NOT NULL AS lid,
                       CASE WHEN {g} IS DISTINCT FROM lag({g}) OVER (ORDER BY _row) THEN 1 ELSE 0
                       END AS starts
                FROM {q(typed)} WHERE _reason IS NULL AND {ct.in_alias}),
            runs AS (SELECT *, sum(starts) OVER (ORDER BY _row) AS run FROM rows),
            numbered AS (SELECT _row, g, i, lid, {nth} AS nth FROM runs)
            SELECT _row, first_row FROM (
                SELECT _row, min(_row) OVER (PARTITION BY g, i, lid, nth) AS first_row
                FROM numbered)
            WHERE _row <> first_row"""
        )
        n = con.execute(f"SELECT count(*) FROM {q(dups)}").fetchone()[0]
        if n:
            con.execute(
                f"""UPDATE {q(typed)} t SET
                    _reason = {lit(ct.table.name + ": repeats an earlier row of the same file")},
                    _value = 'row ' || d.first_row,
                    _column = NULL
                FROM {q(dups)} d WHERE t._row = d._row"""
            )
        con.execute(f"DROP TABLE {q(dups)}")
        flagged += n
    return flagged


_LINE_CONTENT = ("order_id", "product_id", "quantity", "unit_price")


def _flag_loaded_lines(con, typed: str, compiled: Compiled, source_file: str) -> int:
    """Quarantine order lines that another file loaded already; returns how many.

    A line whose key (order, line number) is already in the warehouse replaces that row, as an
    updated export should. A line with a new key that equals (same product, quantity and unit
    price; the k-th such line of the order) a line another file loaded, which this file does
    not replace, would be the same line twice: it is quarantined naming where it came from.
    """
    ct = _table(compiled, "order_lines")
    if ct is None or not all(c in ct.values for c in (*_LINE_CONTENT, "line_number")):
        return 0
    if not con.execute("SELECT count(*) FROM (SELECT 1 FROM order_lines WHERE _source_file <> ? "
                       "LIMIT 1)", [source_file]).fetchone()[0]:
        return 0
    content = ", ".join(_LINE_CONTENT)
    new_cols = ", ".join(f"{ct.values[c]} AS {c}" for c in (*_LINE_CONTENT, "line_number"))
    found = f"{typed}_loaded"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {q(found)} AS
        WITH new AS (
            SELECT _row, {new_cols} FROM {q(typed)} WHERE _reason IS NULL AND {ct.in_alias}),
        old AS (
            SELECT l.* FROM order_lines l SEMI JOIN new USING (order_id)
            WHERE l._source_file <> {lit(source_file)}),
        kept AS (
            SELECT *, row_number() OVER (PARTITION BY {content}
                                         ORDER BY _source_file, _source_row) AS nth
            FROM old o WHERE NOT EXISTS (SELECT 1 FROM new n WHERE n.order_id = o.order_id
                                         AND n.line_number = o.line_number)),
        added AS (
            SELECT *, row_number() OVER (PARTITION BY {content} ORDER BY _row) AS nth
            FROM new n WHERE NOT EXISTS (SELECT 1 FROM old o WHERE o.order_id = n.order_id
                                         AND o.line_number = n.line_number))
        SELECT a._row, k._source_file, k._source_row
        FROM added a JOIN kept k USING ({content}, nth)"""
    )
    n = con.execute(f"SELECT count(*) FROM {q(found)}").fetchone()[0]
    if n:
        con.execute(
            f"""UPDATE {q(typed)} t SET
                _reason = 'order_lines: already loaded from another file',
                _value = f._source_file || ' row ' || f._source_row,
                _column = NULL
            FROM {q(found)} f WHERE t._row = f._row"""
        )
    con.execute(f"DROP TABLE {q(found)}")
    return int(n)


def _zero_value_orders(con, typed: str, compiled: Compiled) -> int:
    """Orders of this file whose loaded lines are all worth nothing (stock adjustments, notes).

    They load (the stock moved), but by the metrics' definition they are not sales."""
    ct = _table(compiled, "order_lines")
    if ct is None:
        return 0
    v = ct.values
    qty, price = v.get("quantity", "NULL"), v.get("unit_price", "NULL")
    amount = v.get("line_amount", "NULL")
    return int(con.execute(
        f"""SELECT count(*) FROM (
            SELECT {v['order_id']} FROM {q(typed)} WHERE _reason IS NULL AND {ct.in_alias}
            GROUP BY ALL HAVING sum(abs(coalesce({qty} * {price}, {amount}, 0))) = 0)"""
    ).fetchone()[0])


def _detect_timezone(con, typed: str, compiled: Compiled, mapping: Mapping,
                     path: Path) -> tuple[str, str] | None:
    """The store's time zone as this file tells it: its preset's zone, else the UTC offset most
    of its order times carry."""
    if mapping.source.timezone:
        return mapping.source.timezone, f"from preset {mapping.name} ({path.name})"
    if compiled.offset_alias is None:
        return None
    row = con.execute(
        f"SELECT {compiled.offset_alias}, count(*) AS n FROM {q(typed)} "
        f"WHERE _reason IS NULL AND {compiled.offset_alias} IS NOT NULL "
        "GROUP BY 1 ORDER BY n DESC, 1 LIMIT 1"
    ).fetchone()
    if row is None or (zone := zone_for_offset(row[0])) is None:
        return None
    offset = row[0] if row[0] in ("Z", "z") else f"{row[0][:3]}:{row[0][-2:]}"
    return zone, f"detected from {offset} offsets in {path.name}"


def _record_timezone(warehouse: Warehouse, report: FileReport) -> tuple[str, str] | None:
    """Make a detected zone the store's when none is recorded yet (a setting still wins)."""
    if report.detected_timezone is None:
        return None
    zone, source = report.detected_timezone
    if not record_timezone(warehouse.connection, zone, source):
        return None
    if not warehouse.configured_timezone:
        warehouse.timezone = zone
        warehouse.connection.execute(f"SET TimeZone = {lit(zone)}")
    return zone, source


_ORDER_CHILDREN = ("order_lines", "payments", "refunds", "shipments")


def _quarantine_orphans(con, load_id: str, reports: list[FileReport]) -> None:
    """Move this load's lines, payments, refunds and shipments of orders whose header was rejected (in this
    load or an earlier one) and that have no header to quarantine, with the header's reason.

    The row goes to quarantine as the canonical values it loaded as; its file's counts move
    from loaded to quarantined."""
    header = """(SELECT order_id, arg_min(source_file, source_row) AS header_file,
                        min(source_row) AS header_row, arg_min(reason, source_row) AS reason
                 FROM rejected_orders GROUP BY order_id)"""
    parts = [
        f"""SELECT {lit(t)} AS tbl, x.order_id, x._source_file, x._source_row,
                   to_json(x) AS raw, h.header_file, h.header_row, h.reason
            FROM {t} x JOIN {header} h USING (order_id)
            WHERE x._load_id = {lit(load_id)}
              AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.order_id = x.order_id)"""
        for t in _ORDER_CHILDREN
    ]
    con.execute(f"CREATE OR REPLACE TEMP TABLE _orphans AS {' UNION ALL '.join(parts)}")
    if not con.execute("SELECT count(*) FROM _orphans").fetchone()[0]:
        con.execute("DROP TABLE _orphans")
        return
    con.execute(
        f"""INSERT INTO quarantine ({QUARANTINE_COLUMNS})
        SELECT {lit(load_id)}, _source_file, _source_row, first(tbl ORDER BY tbl), NULL,
               'order header rejected: ' || reason,
               order_id || ' (' || CASE WHEN header_file = _source_file THEN ''
                       ELSE regexp_extract(header_file, '[^/\\\\]+$') || ' ' END
               || 'row ' || header_row || ')',
               first(raw ORDER BY tbl), current_timestamp
        FROM _orphans GROUP BY _source_file, _source_row, order_id, header_file, header_row,
                               reason"""
    )
    by_file = {r.source_file: r for r in reports}
    for source_file, rows in con.execute(
        "SELECT _source_file, count(DISTINCT _source_row) FROM _orphans GROUP BY 1"
    ).fetchall():
        report = by_file[source_file]
        report.orphans += rows
        report.rows_loaded -= rows
        report.rows_quarantined += rows
        con.execute(
            "UPDATE load_files SET rows_loaded = ?, rows_quarantined = ? "
            "WHERE load_id = ? AND source_file = ?",
            [report.rows_loaded, report.rows_quarantined, load_id, source_file],
        )
    for table, source_file, rows in con.execute(
        "SELECT tbl, _source_file, count(*) FROM _orphans GROUP BY ALL"
    ).fetchall():
        by_file[source_file].table_rows[table] -= rows
        con.execute(
            f"DELETE FROM {table} x USING _orphans o WHERE o.tbl = {lit(table)} "
            "AND x._load_id = ? AND x._source_file = o._source_file "
            "AND x._source_row = o._source_row AND x.order_id = o.order_id",
            [load_id],
        )
    con.execute("DROP TABLE _orphans")


@dataclass
class FilePreview:
    """What loading a file would do, without loading it: the preset recognised, which of the
    file's columns feed which fields, and its first rows."""

    path: str
    mapping: str
    description: str
    encoding: str | None
    tables: list[str]
    columns: dict[str, str]  # the mapping's field → the file's column
    unused: list[str]  # the file's columns no field reads
    header: list[str]
    sample: list[list[object]]


def preview_file(path: str | Path, *, preset: str | None = None,
                 encoding: str | None = None, rows: int = 5) -> FilePreview:
    """Recognise ``path``'s preset and show how its columns map (nothing is written anywhere:
    the file is staged in a private in-memory database)."""
    path = Path(path)
    if not path.is_file():
        raise SourceNotFound("no such file", path=path)
    candidates = preset_registry.candidates(preset)
    single = candidates[0] if len(candidates) == 1 else None
    opts = single.source if single else None
    con = duckdb.connect()
    try:
        staged = readers.stage(
            con, path, name="_preview", fmt=readers.detect_format(path, opts.format if opts
                                                                  else None),
            encoding=encoding or (opts.encoding if opts else "auto"),
            delimiter=opts.delimiter if opts else None, sheet=opts.sheet if opts else None,
            header_row=opts.header_row if opts else None,
            header_names=set().union(*(m.known_names() for m in candidates)))
        mapping, resolved = _choose(staged, candidates)
        quoted = ", ".join(q(c) for c in staged.columns)
        sample = [list(r) for r in con.execute(
            f"SELECT {quoted} FROM {staged.table} LIMIT {int(rows)}").fetchall()]
    finally:
        con.close()
    used = set(resolved.values())
    return FilePreview(path.name, mapping.name, mapping.description, staged.encoding,
                       [t.table for t in mapping.tables], dict(resolved),
                       [c for c in staged.columns if c not in used], list(staged.columns),
                       sample)
