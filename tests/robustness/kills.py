"""Kill harness (issue 25): SIGKILL real ``shopkeeper`` processes at random moments and check
that the warehouse they leave is whole and is either the state before the command or the state
after it, never a mix.

For each operation (an ingest, a forecast run, a plan approval, a content approval, a
migration) a *before* warehouse is built once. The command is then run to the end twice from
copies of it: the first gives the *after* state; columns that differ between the two runs
(ids, timestamps, durations) are left out of every comparison, everything else (row counts,
every other column's values) must match exactly. Then, for each kill, a fresh copy is opened
by the real CLI in its own process group, and the group is SIGKILLed after a random delay:
half the delays are spread over the command's whole run, half around the moment it starts
writing (when its write-ahead log first appears), where a kill does most harm. The killed
file is then opened the way the next command would open it (DuckDB replays its log), checked
by :func:`shopkeeper.store.check_warehouse`, and compared.

A migration runs one transaction per schema version, so a killed migration may stop between
two versions: the file must then be exactly at one version (the doctor's schema check), with
every row of the data unchanged.

Used by ``tests/robustness/test_kills.py`` (a quick seeded subset in ``make test``, 204 kills
in the slow run) and ``bench/robustness.py --kills``.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from shopkeeper.store import check_warehouse, migrations

SHOPKEEPER = str(Path(sys.executable).with_name("shopkeeper"))
Fingerprint = dict[tuple[str, str], str]  # (table, column or "#rows") → value
ROWS = "#rows"


def cli(warehouse: Path, *args: str, cwd: Path, check: bool = True,
        ) -> subprocess.CompletedProcess:
    """Run the real CLI on ``warehouse``, with no configuration but the test's."""
    done = subprocess.run([SHOPKEEPER, "-w", str(warehouse), *args], cwd=cwd, env=cli_env(),
                          capture_output=True, text=True, timeout=600)
    if check and done.returncode:
        raise RuntimeError(f"shopkeeper {' '.join(args)} failed: {done.stderr.strip()[-2000:]}")
    return done


def cli_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOPKEEPER_")}
    env["SHOPKEEPER_LLM_PROVIDER"] = "builtin"  # the grounded paths: no server to wait for
    return env


def fingerprint(path: Path) -> Fingerprint:
    """Per table its row count and, per column, a hash of its values in any order."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        out: Fingerprint = {}
        columns: dict[str, list[str]] = {}
        for table, column in con.execute(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position").fetchall():
            columns.setdefault(table, []).append(column)
        for table, cols in columns.items():
            sums = ", ".join(f'coalesce(sum(hash("{c}")), 0)::VARCHAR' for c in cols)
            row = con.execute(f'SELECT count(*)::VARCHAR, {sums} FROM "{table}"').fetchone()
            out[(table, ROWS)] = row[0]
            out.update({(table, c): v for c, v in zip(cols, row[1:], strict=True)})
        return out
    finally:
        con.close()


def recover(path: Path) -> None:
    """Open the file for writing the way the next command would (DuckDB replays its log),
    without migrating it."""
    duckdb.connect(str(path)).close()


@dataclass
class Operation:
    name: str
    before: Path
    args: tuple[str, ...]
    migration: bool = False
    # filled by calibrate()
    after: Fingerprint = field(default_factory=dict)
    before_print: Fingerprint = field(default_factory=dict)
    volatile: set[tuple[str, str]] = field(default_factory=set)
    seconds: float = 0.0
    writes_at: float | None = None


@dataclass(frozen=True)
class Kill:
    operation: str
    delay: float
    outcome: str  # before, after, between (a migration stopped at a whole version), mixed,
    #               damaged
    detail: str = ""


@dataclass
class KillReport:
    kills: list[Kill] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def violations(self) -> list[Kill]:
        return [k for k in self.kills if k.outcome in {"mixed", "damaged"}]

    def counts(self) -> Counter:
        return Counter((k.operation, k.outcome) for k in self.kills)


def _timed_run(op: Operation, path: Path, cwd: Path) -> tuple[float, float | None]:
    """Run the command to the end; its wall time and when its log first appeared."""
    wal = Path(f"{path}.wal")
    start = time.monotonic()
    proc = subprocess.Popen([SHOPKEEPER, "-w", str(path), *op.args], cwd=cwd, env=cli_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    writes_at = None
    while proc.poll() is None:
        if writes_at is None and wal.exists():
            writes_at = time.monotonic() - start
        time.sleep(0.002)
    if proc.returncode:
        raise RuntimeError(f"{op.name}: shopkeeper {' '.join(op.args)} failed: "
                           f"{proc.stderr.read().decode()[-2000:]}")
    return time.monotonic() - start, writes_at


def calibrate(op: Operation, work: Path) -> None:
    """The after state, the columns that change from run to run, and the command's timing."""
    prints, times, writes = [], [], []
    for i in range(2):
        path = work / f"{op.name}-reference-{i}.duckdb"
        shutil.copyfile(op.before, path)
        seconds, writes_at = _timed_run(op, path, work)
        times.append(seconds)
        if writes_at is not None:
            writes.append(writes_at)
        prints.append(fingerprint(path))
    a, b = prints
    op.volatile = {k for k in a.keys() | b.keys() if a.get(k) != b.get(k)}
    op.after = _stable(a, op.volatile)
    op.before_print = _stable(fingerprint(op.before), op.volatile)
    op.seconds = max(times)
    op.writes_at = min(writes) if writes else None
    if op.after == op.before_print:
        raise RuntimeError(f"{op.name}: the command changed nothing the harness can see")


def _stable(fp: Fingerprint, volatile: set[tuple[str, str]]) -> Fingerprint:
    return {k: v for k, v in fp.items() if k not in volatile}


def kill_once(op: Operation, work: Path, delay: float, index: int) -> Kill:
    path = work / f"{op.name}-kill-{index}.duckdb"
    shutil.copyfile(op.before, path)
    proc = subprocess.Popen([SHOPKEEPER, "-w", str(path), *op.args], cwd=work, env=cli_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        proc.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    try:
        return _verdict(op, path, delay)
    finally:  # the file, its log, and what a restore keeps aside or left half-copied
        for leftover in work.glob(f"*{path.name}*"):
            leftover.unlink(missing_ok=True)


def _verdict(op: Operation, path: Path, delay: float) -> Kill:
    try:
        recover(path)
        report = check_warehouse(path)
    except Exception as exc:  # noqa: BLE001 - any failure to open is the finding
        return Kill(op.name, delay, "damaged", f"{type(exc).__name__}: {exc}")
    if not report.healthy:
        bad = "; ".join(f"{f.check}: {f.detail}" for f in report.findings if f.level == "fail")
        return Kill(op.name, delay, "damaged", bad)
    state = _stable(fingerprint(path), op.volatile)
    before = op.before_print
    if state == before:
        return Kill(op.name, delay, "before")
    if state == op.after:
        return Kill(op.name, delay, "after")
    if op.migration:
        return _migration_verdict(op, state, before, report.schema_version, delay)
    changed = sorted({t for (t, _c) in state.keys() | op.after.keys()
                      if state.get((t, _c)) not in (before.get((t, _c)), op.after.get((t, _c)))})
    return Kill(op.name, delay, "mixed", f"tables neither before nor after: {changed[:5]}")


def _migration_verdict(op: Operation, state: Fingerprint, before: Fingerprint, version: int,
                       delay: float) -> Kill:
    """A migration stopped between versions: the data as before (the migration records aside),
    new tables empty."""
    changed = [k for k, v in before.items() if state.get(k) != v and k[0] != "_migrations"]
    grown = [t for (t, c), v in state.items() if c == ROWS and (t, c) not in before and v != "0"]
    if changed or grown:
        return Kill(op.name, delay, "mixed", f"data changed by a migration: {(changed + grown)[:5]}")
    return Kill(op.name, delay, "between", f"stopped at schema version {version}")


def delays(op: Operation, n: int, rng: random.Random) -> list[float]:
    """Half over the whole run, half within 0.3 s of the moment it starts writing."""
    out = []
    for i in range(n):
        if i % 2 == 0 or op.writes_at is None:
            out.append(rng.uniform(0.0, op.seconds))
        else:
            out.append(max(0.0, rng.uniform(op.writes_at - 0.3, op.writes_at + 0.3)))
    return out


def run(operations: list[Operation], kills_per_operation: int, seed: int, work: Path,
        progress: Callable[[int, int], None] | None = None, *,
        calibrated: bool = False) -> KillReport:
    """Kill each operation ``kills_per_operation`` times (calibrating it first unless done)."""
    rng = random.Random(seed)
    report = KillReport()
    start = time.monotonic()
    total = kills_per_operation * len(operations)
    for op in operations:
        if not calibrated:
            calibrate(op, work)
        for delay in delays(op, kills_per_operation, rng):
            report.kills.append(kill_once(op, work, delay, len(report.kills)))
            if progress:
                progress(len(report.kills), total)
    report.seconds = time.monotonic() - start
    return report


# -- the before states -------------------------------------------------------------------
def build_operations(work: Path, *, orders: int = 1500, seed: int = 3) -> list[Operation]:
    """A generated store loaded, forecast, planned and drafted; each operation's before file."""
    work.mkdir(parents=True, exist_ok=True)
    store = work / "store"
    base = work / "base.duckdb"
    cli(base, "generate", "--orders", str(orders), "--seed", str(seed), "--out", str(store),
        cwd=work)
    files = sorted(store.glob("*.csv"))
    late = [f for f in files if f.stem in {"orders", "order_lines", "refunds", "reviews"}]
    cli(base, "ingest", *map(str, [f for f in files if f not in late]), cwd=work)
    ingest_before = work / "before-ingest.duckdb"
    shutil.copyfile(base, ingest_before)
    cli(base, "ingest", *map(str, late), cwd=work)

    forecast_before = work / "before-forecast.duckdb"
    shutil.copyfile(base, forecast_before)
    cli(base, "forecast", "--windows", "1", "--horizon", "14", cwd=work)
    cli(base, "plan", cwd=work)
    cli(base, "content", "generate", "--all", "--limit", "12", "--kind", "title", cwd=work)
    con = duckdb.connect(str(base), read_only=True)
    try:
        plan_id = con.execute("SELECT plan_id FROM replenishment_plans "
                              "WHERE status = 'draft' ORDER BY created_at DESC").fetchone()[0]
        drafts = [r[0] for r in con.execute(
            "SELECT draft_id FROM content_drafts WHERE status = 'draft' ORDER BY draft_id"
        ).fetchall()]
    finally:
        con.close()
    migration_before = work / "before-migration.duckdb"
    build_at_version(base, migration_before, 1)
    # a restore puts the store as it was before the forecast back over the finished one
    backed_up = work / "backed-up.duckdb"
    shutil.copyfile(forecast_before, backed_up)
    backup = work / "backup.duckdb"
    cli(backed_up, "backup", str(backup), cwd=work)
    return [
        Operation("ingest", ingest_before, ("ingest", *map(str, late))),
        Operation("forecast", forecast_before, ("forecast", "--windows", "1", "--horizon", "14")),
        Operation("plan approval", base, ("plan", "--approve", plan_id, "--by", "kill-test")),
        Operation("content approval", base, ("content", "approve", *drafts, "--by", "kill-test")),
        # init opens the file for writing, which migrates it (its own config, not the others')
        Operation("migration", migration_before,
                  ("-c", str(work / "migration.toml"), "init"), migration=True),
        Operation("restore", base, ("restore", str(backup))),
    ]


def build_at_version(source: Path, out: Path, version: int) -> None:
    """A warehouse at schema ``version`` (the shipped migrations up to it), holding every row
    of ``source`` that its tables and columns can hold: a warehouse as an older Shopkeeper left
    it."""
    out.unlink(missing_ok=True)
    con = duckdb.connect(str(out))
    try:
        con.execute("CREATE TABLE _migrations (version INTEGER PRIMARY KEY, name VARCHAR, "
                    "applied_at TIMESTAMPTZ)")
        for m in migrations.MIGRATIONS:
            if m.version <= version:
                m.apply(con)
                con.execute("INSERT INTO _migrations VALUES (?, ?, current_timestamp)",
                            [m.version, m.name])
        con.execute(f"ATTACH '{source}' AS source (READ_ONLY)")
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
            "AND table_name <> '_migrations'").fetchall()]
        for table in tables:
            cols = [r[0] for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_catalog = "
                "current_database() AND table_name = ? ORDER BY ordinal_position", [table]).fetchall()]
            names = ", ".join(f'"{c}"' for c in cols)
            con.execute(f'INSERT INTO "{table}" ({names}) SELECT {names} FROM source."{table}"')
    finally:
        con.close()
