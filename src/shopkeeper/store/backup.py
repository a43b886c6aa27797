"""``shopkeeper backup`` and ``shopkeeper restore``: a consistent copy of a DuckDB warehouse and
its return, checked byte for byte.

A backup is one DuckDB file written by ``COPY FROM DATABASE``: a single read transaction, so
it is the warehouse as of one moment even while a server keeps writing (DuckDB's MVCC lets
that transaction read a snapshot). Next to it, ``<backup>.manifest.json`` records the file's
SHA-256, the schema version and each table's rows and content checksum.

A restore checks the backup against its manifest and with :func:`check_warehouse`, copies it
beside the warehouse, keeps the warehouse it replaces as ``<name>.before-restore-<time>`` and
then swaps the copy in with one rename, holding the warehouse's lock so no process is using
it (a warehouse too damaged to open has no user: it is replaced and kept the same way). Killed at any point, the old warehouse is still there under its own name, or the restored
one is. Afterwards the warehouse file's SHA-256 equals the backup's.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from shopkeeper import __version__
from shopkeeper.errors import WarehouseError, WarehouseLockedError
from shopkeeper.store.doctor import check_warehouse
from shopkeeper.store.ingest.loader import sha256_of
from shopkeeper.store.warehouse import Warehouse, open_waiting

MANIFEST_SUFFIX = ".manifest.json"


@dataclass(frozen=True)
class BackupManifest:
    backup: str
    source: str
    created_at: str
    schema_version: int
    sha256: str
    bytes: int
    tables: dict[str, int]  # rows per table
    checksums: dict[str, str]  # a checksum of each table's rows, in any order
    shopkeeper_version: str


@dataclass(frozen=True)
class RestoreReport:
    warehouse: str
    backup: str
    sha256: str
    replaced: str | None  # where the warehouse it replaced was kept


def manifest_path(backup: str | Path) -> Path:
    return Path(f"{backup}{MANIFEST_SUFFIX}")


def table_checksums(con: duckdb.DuckDBPyConnection, database: str | None = None,
                    ) -> tuple[dict[str, int], dict[str, str]]:
    """Rows and a content checksum per table of ``database`` (the connection's own if None):
    equal checksums mean equal rows, whatever their order or the file's layout."""
    database = database or con.execute("SELECT current_database()").fetchone()[0]
    rows: dict[str, int] = {}
    sums: dict[str, str] = {}
    for (table,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = ? "
            "AND schema_name = 'main' ORDER BY 1", [database]).fetchall():
        n, digest = con.execute(
            f'SELECT count(*), coalesce(sum(hash(t)), 0)::VARCHAR FROM "{database}".main."{table}" t'
        ).fetchone()
        rows[table], sums[table] = int(n), digest
    return rows, sums


def _fsync(path: Path) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def backup_warehouse(source: Warehouse | str | Path, out: str | Path, *,
                     lock_timeout: float = 0.0, overwrite: bool = False) -> BackupManifest:
    """Write a consistent copy of ``source`` to ``out`` and its manifest beside it.

    ``source`` is an open writable :class:`Warehouse` (a server's, which keeps serving
    meanwhile) or the path of a warehouse file, opened read-only (waiting up to
    ``lock_timeout`` seconds while another process writes to it)."""
    out = Path(out)
    if (out.exists() or manifest_path(out).exists()) and not overwrite:
        raise WarehouseError(f"{out} already exists: choose another name or pass --overwrite")
    if isinstance(source, Warehouse) and source.engine != "duckdb":
        raise WarehouseError(f"backup copies DuckDB warehouses; {source.engine} has its own "
                             "tools (pg_dump for PostgreSQL)")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    partial.unlink(missing_ok=True)
    alias = f"shopkeeper_backup_{uuid.uuid4().hex[:12]}"
    if isinstance(source, Warehouse) and not source.read_only:
        con, owned, database = source.connection, False, None
        source_path = str(source.path)
    else:
        source_path = str(source.path if isinstance(source, Warehouse) else source)
        if not Path(source_path).exists():
            raise WarehouseError(f"no warehouse at {source_path}")
        con, owned, database = duckdb.connect(), True, "shopkeeper_source"
        open_waiting(source_path, lambda: con.execute(
            f"ATTACH {_literal(source_path)} AS {database} (READ_ONLY)"), lock_timeout)
    try:
        database = database or con.execute("SELECT current_database()").fetchone()[0]
        con.execute(f"ATTACH {_literal(str(partial))} AS {alias}")
        try:
            con.execute(f"COPY FROM DATABASE {database} TO {alias}")
        finally:
            con.execute(f"DETACH {alias}")
    except duckdb.Error as exc:
        partial.unlink(missing_ok=True)
        raise WarehouseError(f"backup of {source_path} failed: {str(exc).splitlines()[0]}") from exc
    finally:
        if owned:
            con.close()
    _fsync(partial)
    manifest = _describe(partial, out, source_path)
    os.replace(partial, out)
    manifest_path(out).write_text(json.dumps(asdict(manifest), indent=2) + "\n", "utf-8")
    return manifest


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _describe(path: Path, out: Path, source: str) -> BackupManifest:
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows, sums = table_checksums(con)
        version = int(con.execute("SELECT coalesce(max(version), 0) FROM _migrations").fetchone()[0])
    finally:
        con.close()
    return BackupManifest(
        backup=str(out), source=source, created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        schema_version=version, sha256=sha256_of(path), bytes=path.stat().st_size,
        tables=rows, checksums=sums, shopkeeper_version=__version__)


def read_manifest(backup: str | Path) -> BackupManifest:
    path = manifest_path(backup)
    if not Path(backup).exists():
        raise WarehouseError(f"no backup at {backup}")
    try:
        return BackupManifest(**json.loads(path.read_text("utf-8")))
    except FileNotFoundError:
        raise WarehouseError(f"{backup} has no manifest ({path.name}): not a complete "
                             "Shopkeeper backup") from None
    except (ValueError, TypeError) as exc:
        raise WarehouseError(f"the manifest {path} is damaged: {exc}") from exc


def verify_backup(backup: str | Path) -> BackupManifest:
    """The backup's manifest, once the file matches it byte for byte and passes the doctor."""
    manifest = read_manifest(backup)
    if sha256_of(backup) != manifest.sha256:
        raise WarehouseError(f"the backup {backup} is damaged: its SHA-256 differs from the one "
                             "its manifest recorded")
    report = check_warehouse(backup)
    if not report.healthy:
        bad = next(f for f in report.findings if f.level == "fail")
        raise WarehouseError(f"the backup {backup} fails the check '{bad.check}': {bad.detail}")
    return manifest


def _keep_aside(target: Path, lock_timeout: float, held: contextlib.ExitStack) -> str:
    """Hold the warehouse's lock (so no process uses it while it is swapped; a file too
    damaged to open has no user) and keep it, with any log of its own, under another name."""
    try:
        old = open_waiting(target, lambda: duckdb.connect(str(target)), lock_timeout)
    except WarehouseLockedError:
        raise
    except WarehouseError:
        old = None
    if old is not None:
        held.callback(old.close)
        old.execute("CHECKPOINT")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = target.with_name(f"{target.name}.before-restore-{stamp}")
    try:
        os.link(target, aside)
    except OSError:
        shutil.copyfile(target, aside)
    wal = Path(f"{target}.wal")
    if wal.exists():
        os.replace(wal, f"{aside}.wal")
    return str(aside)


def restore_warehouse(backup: str | Path, target: str | Path, *,
                      lock_timeout: float = 0.0) -> RestoreReport:
    """Put ``backup`` in place of the warehouse at ``target``; see the module docstring."""
    backup, target = Path(backup), Path(target)
    manifest = verify_backup(backup)
    target.parent.mkdir(parents=True, exist_ok=True)
    incoming = target.with_name(f".{target.name}.restoring")
    replaced = None
    with contextlib.ExitStack() as held:
        # gone once swapped in; a copy cut short (a full disk) is removed, not left taking space
        held.callback(incoming.unlink, missing_ok=True)
        shutil.copyfile(backup, incoming)
        _fsync(incoming)
        if target.exists():
            replaced = _keep_aside(target, lock_timeout, held)
        os.replace(incoming, target)
    digest = sha256_of(target)
    if digest != manifest.sha256:
        raise WarehouseError(f"restored {target}, but its SHA-256 differs from the backup's; "
                             f"the previous warehouse is kept at {replaced}")
    return RestoreReport(str(target), str(backup), digest, replaced)
