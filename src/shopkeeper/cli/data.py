"""Data commands: set up the warehouse, load and inspect data, the demo and generated stores."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from shopkeeper import store
from shopkeeper.cli._common import (
    _progress,
    _settings,
    app,
    console,
    handle_errors,
    state,
)
from shopkeeper.errors import ConfigError


@app.command()
@handle_errors
def init(
    force: Annotated[bool, typer.Option(help="Overwrite an existing shopkeeper.toml.")] = False,
) -> None:
    """Create shopkeeper.toml (every setting, commented) and an empty warehouse.

    Example: shopkeeper init && shopkeeper ingest orders.csv
    """
    path = state.config or Path(store.DEFAULT_CONFIG_NAME)
    if path.exists() and not force:
        console.print(f"{path} already exists (use --force to overwrite)")
    else:
        path.write_text(store.config_template(), encoding="utf-8")
        console.print(f"wrote {path}")
    settings = _settings()
    with store.Warehouse.from_settings(settings) as wh:
        console.print(f"warehouse ready at {wh.path} (schema version {store.latest_version()})")


@app.command()
@handle_errors
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to load.")],
    preset: Annotated[str | None, typer.Option("--preset", "-p", help="Preset or preset family "
                      "(see 'shopkeeper presets'); recognised from the columns if omitted.")] = None,
    mapping: Annotated[Path | None, typer.Option("--mapping", "-m",
                       help="A TOML/YAML mapping file for exports no preset knows.")] = None,
    encoding: Annotated[str | None, typer.Option("--encoding", "-e", help="File encoding: "
                        "auto (UTF-8, else GB18030), utf-8, gb18030, gbk, latin-1, …")] = None,
    force: Annotated[bool, typer.Option(help="Load files even if these exact bytes were "
                     "loaded before (rows with the same keys are replaced).")] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Load exports (CSV, Excel, Parquet, JSON lines) into the warehouse, all or nothing.

    Every rejected row is kept in the quarantine table with its file, row, column and reason.

    Example: shopkeeper ingest exports/olist/ --preset olist
    """
    settings = _settings()
    chosen = store.load_mapping(mapping) if mapping else None
    with store.Warehouse.from_settings(settings) as wh, _progress() as bar:
        report = store.ingest(wh, paths, preset=preset, mapping=chosen, encoding=encoding,
                              default_currency=settings.currency, force=force,
                              progress=bar)
    if json_output:
        console.print_json(json.dumps(_report_dict(report)))
        return
    table = Table(title=f"load {report.load_id or '(nothing new)'}")
    for col in ("file", "mapping", "read", "loaded", "quarantined", "tables"):
        table.add_column(col, justify="right" if col in {"read", "loaded", "quarantined"} else "left")
    for f in report.files:
        tables = f.skipped or ", ".join(f"{t} {n:,}" for t, n in f.table_rows.items())
        table.add_row(Path(f.path).name, f.mapping, f"{f.rows_read:,}", f"{f.rows_loaded:,}",
                      f"{f.rows_quarantined:,}", tables)
    console.print(table)
    if report.load_id is None:
        console.print("nothing changed: every file was loaded before (use --force to load again)")
        return
    console.print(f"rows read {report.rows_read:,} = loaded {report.rows_loaded:,} + "
                  f"quarantined {report.rows_quarantined:,}")
    for note in report.notes():
        console.print(note, markup=False)
    if report.rows_quarantined:
        console.print("see the rejected rows with: shopkeeper quarantine"
                      + (f" --load {report.load_id}" if report.load_id else ""))


def _report_dict(report: store.LoadReport) -> dict:
    return {
        "load_id": report.load_id,
        "rows_read": report.rows_read,
        "rows_loaded": report.rows_loaded,
        "rows_quarantined": report.rows_quarantined,
        "files": [f.__dict__ for f in report.files],
    }


@app.command()
@handle_errors
def status() -> None:
    """Tables with row counts and date ranges, and a summary of quarantined rows.

    Example: shopkeeper status
    """
    with store.Warehouse.from_settings(_settings(), read_only=True) as wh:
        st = wh.status()
    _print_status(st)


def _print_status(st: store.WarehouseStatus) -> None:
    table = Table(title=f"{st.path} (schema v{st.schema_version}, {st.loads} loads)")
    for col in ("table", "rows", "generated", "from", "to"):
        table.add_column(col, justify="right" if col in {"rows", "generated"} else "left")
    for t in st.tables:
        table.add_row(t.name, f"{t.rows:,}", f"{t.generated_rows:,}" if t.generated_rows else "",
                      str(t.first or "")[:10], str(t.last or "")[:10])
    console.print(table)
    console.print(f"time zone: {st.timezone[0]} ({st.timezone[1]})", markup=False)
    console.print(f"quarantined rows: {st.quarantined_rows:,}")
    if st.quarantine_by_reason:
        q = Table(title="most common rejections")
        for col in ("file", "reason", "rows"):
            q.add_column(col, justify="right" if col == "rows" else "left")
        for file, reason, n in st.quarantine_by_reason:
            q.add_row(Path(file).name, reason, f"{n:,}")
        console.print(q)


def _duckdb_file(settings: store.Settings, command: str) -> Path:
    if not isinstance(settings.warehouse, Path):
        raise ConfigError(f"'shopkeeper {command}' works on a DuckDB warehouse file; this one is "
                          f"{settings.warehouse} (use the server's own tools, e.g. pg_dump)")
    return settings.warehouse


@app.command()
@handle_errors
def doctor(
    json_output: Annotated[bool, typer.Option("--json", help="Print the findings as JSON.")] = False,
) -> None:
    """Check the warehouse is whole, changing nothing: every table reads to its end, the
    schema version and columns, load records that add up, no orphan rows. Exits 1 when a
    check fails.

    Example: shopkeeper doctor
    """
    settings = _settings()
    report = store.check_warehouse(_duckdb_file(settings, "doctor"),
                                   lock_timeout=settings.lock_timeout)
    if json_output:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        table = Table(title=f"{report.path} (schema v{report.schema_version})")
        for col in ("check", "result", "detail"):
            table.add_column(col)
        colour = {"ok": "green", "warn": "yellow", "fail": "bold red"}
        for f in report.findings:
            table.add_row(f.check, f"[{colour[f.level]}]{f.level}[/]", f.detail)
        console.print(table)
        console.print("healthy" if report.healthy else "[bold red]damaged[/]: see the failed checks")
    if not report.healthy:
        raise typer.Exit(1)


@app.command()
@handle_errors
def backup(
    out: Annotated[Path, typer.Argument(help="The backup file to write (a DuckDB file; its "
                                        "manifest goes beside it).")],
    overwrite: Annotated[bool, typer.Option(help="Replace an existing backup.")] = False,
) -> None:
    """Copy the warehouse to one file as of one moment, with a manifest (SHA-256, rows per
    table). While 'shopkeeper serve' runs, back up through it: POST /api/v1/backups.

    Example: shopkeeper backup backups/2026-12-04.duckdb
    """
    settings = _settings()
    manifest = store.backup_warehouse(_duckdb_file(settings, "backup"), out,
                                      lock_timeout=settings.lock_timeout, overwrite=overwrite)
    console.print(f"backed up {sum(manifest.tables.values()):,} rows in {len(manifest.tables)} "
                  f"tables (schema v{manifest.schema_version}) to {out}, "
                  f"{manifest.bytes / 1e6:,.1f} MB, sha256 {manifest.sha256[:16]}…", markup=False)


@app.command()
@handle_errors
def restore(
    backup_file: Annotated[Path, typer.Argument(help="A file written by 'shopkeeper backup'.")],
) -> None:
    """Put a backup in place of the warehouse, byte for byte, after checking it against its
    manifest and with the doctor. The warehouse it replaces is kept beside it
    (<name>.before-restore-<time>). Stop the server first.

    Example: shopkeeper restore backups/2026-12-04.duckdb
    """
    settings = _settings()
    report = store.restore_warehouse(backup_file, _duckdb_file(settings, "restore"),
                                     lock_timeout=settings.lock_timeout)
    console.print(f"restored {report.warehouse} from {report.backup} "
                  f"(sha256 {report.sha256[:16]}…, identical to the backup)", markup=False)
    if report.replaced:
        console.print(f"the warehouse it replaced is kept at {report.replaced}", markup=False)


@app.command()
@handle_errors
def quarantine(
    load: Annotated[str | None, typer.Option("--load", help="Only rows of this load id.")] = None,
    file: Annotated[str | None, typer.Option("--file", help="Only rows whose file name "
                    "contains this text.")] = None,
    limit: Annotated[int, typer.Option(help="Rows to show.")] = 20,
    export: Annotated[Path | None, typer.Option("--export", help="Write all matching rows to "
                      "this .csv, .xlsx or .parquet file instead of showing them.")] = None,
) -> None:
    """List or export the rows that were rejected, with file, row, column and reason.

    Example: shopkeeper quarantine --export rejected.xlsx
    """
    with store.Warehouse.from_settings(_settings(), read_only=True) as wh:
        if export:
            n = wh.export_quarantine(export, load_id=load, source_file=file)
            console.print(f"wrote {n:,} rejected rows to {export}")
            return
        columns, rows = wh.quarantine(load_id=load, source_file=file, limit=limit)
    table = Table()
    for col in ("file", "row", "column", "reason", "value"):
        table.add_column(col)
    for r in rows:
        row = dict(zip(columns, r, strict=True))
        table.add_row(*(Text(str(v)) for v in (
            Path(row["source_file"]).name, row["source_row"], row["column_name"] or "",
            row["reason"], row["value"] or "")))
    console.print(table)
    if not rows:
        console.print("no rejected rows")


@app.command()
@handle_errors
def sql(
    query: Annotated[str, typer.Argument(help="One read-only SQL statement.")],
    limit: Annotated[int, typer.Option(help="Rows to show.")] = 50,
    csv: Annotated[bool, typer.Option("--csv", help="Print CSV instead of a table.")] = False,
) -> None:
    """Run a read-only SQL query against the warehouse.

    Example: shopkeeper sql "SELECT status, count(*) FROM orders GROUP BY 1"
    """
    with store.Warehouse.from_settings(_settings(), read_only=True) as wh:
        columns, rows = wh.read_only_query(query, limit=limit)
    if csv:
        import csv as csvlib

        writer = csvlib.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(rows)
        return
    table = Table()
    for c in columns:
        table.add_column(c)
    for r in rows:
        table.add_row(*["" if v is None else str(v) for v in r])
    console.print(table)


@app.command("copy-to")
@handle_errors
def copy_to(
    target: Annotated[str, typer.Argument(help="A postgresql://user:password@host:5432/dbname "
                                          "URL (the database must exist and be empty), or a "
                                          "new DuckDB file.")],
) -> None:
    """Copy the whole store into another warehouse, all or nothing: every table, load record,
    rejected row, result and account.

    The way a team moves its store onto a PostgreSQL server it shares; then set
    warehouse = "postgresql://…" in shopkeeper.toml. The source is left as it was.

    Example: shopkeeper copy-to postgresql://ops@db.internal:5432/shop
    """
    settings = _settings()
    with store.Warehouse.from_settings(settings, read_only=True) as source, \
            store.Warehouse(target, timezone=settings.timezone) as copy, _progress() as bar:
        copied = store.copy_warehouse(
            source, copy, progress=lambda table, n: bar(f"copied {table} ({n:,} rows)", None))
        where = copy.path
    console.print(f"copied {sum(copied.values()):,} rows in {len(copied)} tables to {where}",
                  markup=False)
    console.print(f'work on it with: shopkeeper -w "{where}" status, or warehouse = '
                  f'"{where}" in shopkeeper.toml', markup=False)


@app.command()
@handle_errors
def presets() -> None:
    """List the built-in presets and the columns each one needs.

    Example: shopkeeper presets
    """
    table = Table()
    for col in ("preset", "family", "needs columns", "fills tables"):
        table.add_column(col)
    for m in store.all_presets().values():
        if m.family == "canonical":
            continue
        needed = ", ".join(m.spellings(c)[0] for c in m.required_columns())
        table.add_row(m.name, m.family or "", needed, ", ".join(t.table for t in m.tables))
    console.print(table)
    console.print("plus canonical_<table> for files whose columns are named like the schema "
                  "(family 'canonical', what 'shopkeeper generate' writes)")


@app.command()
@handle_errors
def demo() -> None:
    """Build the demo store (real UCI Online Retail data plus generated complements) and run
    every capability's demo step.

    Example: shopkeeper demo
    """
    settings = _settings()
    with _progress() as bar:
        report = store.run_demo(
            settings, progress=bar,
            on_step=lambda r: bar.note(f"[green]✓[/] {r.name} ({r.seconds:.1f}s): {r.summary}",
                                       step=r.name),
        )
    _print_status(report.status)
    console.print(f"\nwarehouse: {report.status.path}")
    for name, path in report.outputs.items():
        console.print(f"{name}: {path}")
    console.print("next: shopkeeper status · shopkeeper sql \"SELECT * FROM orders LIMIT 5\" · "
                  "shopkeeper quarantine")


@app.command()
@handle_errors
def generate(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the store into.")] = Path("generated-store"),
    orders: Annotated[int, typer.Option(help="Number of orders.")] = 10_000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same store.")] = 0,
    currencies: Annotated[str, typer.Option(help="Comma-separated currencies, e.g. USD,EUR,CNY.")] = "USD",
    fmt: Annotated[str, typer.Option("--format", help="csv or parquet.")] = "csv",
    load: Annotated[bool, typer.Option(help="Also ingest the store into the warehouse.")] = False,
) -> None:
    """Write a realistic synthetic store (seasonality, promotions, long tail, returns).

    Example: shopkeeper generate --orders 100000 --seed 7 --out big-store --load
    """
    with _progress() as bar:
        counts = store.generate_store(out, orders=orders, seed=seed,
                                      currencies=[c.strip().upper() for c in currencies.split(",")],
                                      fmt=fmt, progress=bar)
    for table_name, n in counts.items():
        console.print(f"{table_name}: {n:,} rows")
    console.print(f"wrote {out}")
    if load:
        settings = _settings()
        with store.Warehouse.from_settings(settings) as wh, _progress() as bar:
            report = store.ingest(wh, [out], preset="canonical", generated=True,
                                  default_currency=settings.currency, progress=bar)
        console.print(f"loaded: rows read {report.rows_read:,} = loaded {report.rows_loaded:,} + "
                      f"quarantined {report.rows_quarantined:,}")
