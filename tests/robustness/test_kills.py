"""Crash safety with real signals (issue 25): SIGKILLed ingests, forecasts, approvals and
migrations leave a warehouse that opens, passes ``shopkeeper doctor`` and is the state before
or after the command, never a mix; a full disk and a read-only file give one-line errors and
change nothing; and kills on a full disk together (``full_disk.py``) leave a whole state too,
from which the command reruns to its end once space is freed. The quick run kills each command
once and runs six full-disk trials; the slow one 34 kills of each (204: the issue asks for at
least 200) and 30 full-disk trials. ``bench/robustness.py`` runs more (240 kills, 60 trials)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from shopkeeper.store import Warehouse, check_warehouse, migrations
from tests.robustness import full_disk, kills

KILLS_EACH = 34  # six commands: 204 kills, past the 200 the issue asks for


@pytest.fixture(scope="module")
def operations(tmp_path_factory) -> list[kills.Operation]:
    work = tmp_path_factory.mktemp("kills")
    ops = kills.build_operations(work)
    for op in ops:
        kills.calibrate(op, work)
    return ops


def _assert_no_violation(report: kills.KillReport, n: int) -> None:
    assert len(report.kills) == n
    shown = "\n".join(f"{k.operation} after {k.delay:.2f} s: {k.outcome} {k.detail}"
                      for k in report.violations[:10])
    assert not report.violations, f"{len(report.violations)} violations:\n{shown}"


def test_one_kill_of_each_command(operations, tmp_path):
    report = kills.run(operations, 1, seed=2502, work=tmp_path, calibrated=True)
    _assert_no_violation(report, len(operations))


@pytest.mark.slow
def test_thirty_four_kills_of_each_command(operations, tmp_path):
    """The CI run: 34 kills of each of the six commands (204), from a fixed seed."""
    report = kills.run(operations, KILLS_EACH, seed=25, work=tmp_path, calibrated=True)
    _assert_no_violation(report, KILLS_EACH * len(operations))
    # the kills landed on both sides of the commits (which side each lands on depends on the
    # machine's load, so this asks it of the run, not of every command)
    outcomes = Counter(k.outcome for k in report.kills)
    assert outcomes["before"] and outcomes["after"] + outcomes["between"] >= 5, report.counts()


def test_the_judge_catches_a_mix_and_damage(operations, tmp_path):
    """A state neither before nor after, rows whose load record is gone, and a file that does
    not open are each a violation."""
    ingest = next(op for op in operations if op.name == "ingest")
    after = tmp_path / "after.duckdb"
    shutil.copyfile(ingest.before, after)
    kills.cli(after, *ingest.args, cwd=tmp_path)

    mixed = tmp_path / "mixed.duckdb"
    shutil.copyfile(after, mixed)
    with duckdb.connect(str(mixed)) as con:  # the reviews of the load vanished, the rest stayed
        con.execute("DELETE FROM reviews WHERE _load_id = (SELECT max(load_id) FROM loads "
                    "WHERE started_at = (SELECT max(started_at) FROM loads))")
    assert kills._verdict(ingest, mixed, 0.0).outcome == "mixed"

    orphaned = tmp_path / "orphaned.duckdb"
    shutil.copyfile(after, orphaned)
    with duckdb.connect(str(orphaned)) as con:
        con.execute("DELETE FROM loads WHERE started_at = (SELECT max(started_at) FROM loads)")
    verdict = kills._verdict(ingest, orphaned, 0.0)
    assert verdict.outcome == "damaged" and "not recorded" in verdict.detail

    torn = tmp_path / "torn.duckdb"
    torn.write_bytes(after.read_bytes()[: after.stat().st_size // 3])
    assert kills._verdict(ingest, torn, 0.0).outcome == "damaged"


# -- a full disk and a read-only file ---------------------------------------------------------
@pytest.fixture
def small_disk(tmp_path):
    """Mount a tmpfs of the size asked for (needs root: skipped otherwise)."""
    mounted = []

    def mount(size_kb: int, *, read_only: bool = False) -> Path:
        point = tmp_path / f"disk{len(mounted)}"
        point.mkdir()
        options = f"size={size_kb}k"
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)],
                              capture_output=True, text=True)
        if done.returncode:
            pytest.skip(f"cannot mount a small tmpfs here (needs root): {done.stderr.strip()}")
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run(["umount", "-l", str(point)], check=False)


def _one_line_error(done: subprocess.CompletedProcess) -> None:
    lines = [line for line in done.stderr.splitlines() if line.strip()
             and not line.startswith("[")]  # the progress lines of a terminal-less run
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert len(lines) == 1 and lines[0].startswith("Error:"), done.stderr[-3000:]


@pytest.mark.parametrize("name", ["ingest", "forecast", "content approval", "migration",
                                  "restore"])
def test_a_full_disk_gives_one_line_and_loses_nothing(operations, small_disk, tmp_path, name):
    op = next(o for o in operations if o.name == name)
    disk = small_disk(op.before.stat().st_size // 1024 + 200)
    path = disk / "w.duckdb"
    shutil.copyfile(op.before, path)
    done = subprocess.run([kills.SHOPKEEPER, "-w", str(path), *op.args], cwd=tmp_path,
                          env=kills.cli_env(), capture_output=True, text=True, timeout=600)
    if done.returncode:
        _one_line_error(done)
        assert "No space left on device" in done.stderr
    saved = tmp_path / "saved.duckdb"  # judged on a disk with room, as after freeing space
    shutil.copyfile(path, saved)
    if Path(f"{path}.wal").exists():
        shutil.copyfile(f"{path}.wal", f"{saved}.wal")
    verdict = kills._verdict(op, saved, 0.0)
    assert verdict.outcome in {"before", "after"}, verdict
    assert done.returncode == 0 or verdict.outcome == "before"


# -- kills on a full disk ---------------------------------------------------------------------
def _full_disk_run(operations, names, per_operation, seed, work) -> full_disk.FullDiskReport:
    chosen = [op for op in operations if op.name in names]
    try:
        report = full_disk.run(chosen, per_operation, seed, work)
    except full_disk.CannotMount as exc:
        pytest.skip(str(exc))
    assert len(report.trials) == per_operation * len(chosen)
    shown = "\n".join(f"{t.operation} ({t.free:,} B free, killed after {t.delay}): {t.ended}, "
                      f"{t.outcome}: {'; '.join(t.problems)}" for t in report.violations[:10])
    assert not report.violations, f"{len(report.violations)} violations:\n{shown}"
    return report


def test_kills_on_a_full_disk(operations, tmp_path):
    """Two trials each of a load, a migration and a restore with the warehouse on a tmpfs that
    is nearly full or fills up: one SIGKILLed, one left to end (finished, or one line saying
    the disk is full). Each leaves the state before or after, the doctor passes on the full
    disk and after freeing space, and a command that did not get through reruns to the end."""
    _full_disk_run(operations, {"ingest", "migration", "restore"}, 2, 2503, tmp_path)


@pytest.mark.parametrize(("name", "free"), [("migration", 4096), ("restore", 4096),
                                           ("plan approval", 0), ("content approval", 0)])
def test_a_nearly_full_disk_fails_in_one_line_and_leaves_nothing_behind(
        operations, tmp_path, name, free):
    """With 4 KiB free, a migration used to end in "cannot rollback - no transaction is
    active" (the failed COMMIT's own reason lost) and a restore left its half-written copy
    taking the space; both now say the disk is full, leave the file as it was (a migration at a
    whole schema version), and rerun to the end once space is freed. The approvals need under
    4 KiB, so they meet ENOSPC here with none free (the random trials seldom leave them so)."""
    op = next(o for o in operations if o.name == name)
    try:
        # room, once the ballast goes, for a copy of the file beside it (a restore's)
        with full_disk.tmpfs(tmp_path / "disk", 3 * op.before.stat().st_size) as disk:
            trial = full_disk.trial(op, disk, tmp_path, free, None)
    except full_disk.CannotMount as exc:
        pytest.skip(str(exc))
    assert trial.ended == "failed" and not trial.problems, trial
    assert "No space left on device" in trial.error, trial
    # a migration commits each schema version alone: it may stop at a whole one
    assert trial.outcome in {"before", "between"} and trial.rerun == "after", trial


@pytest.mark.slow
def test_many_kills_on_a_full_disk(operations, tmp_path):
    """The CI run: 5 full-disk trials of each of the six commands, from a fixed seed."""
    report = _full_disk_run(operations, {op.name for op in operations}, 5, 25, tmp_path)
    ended = Counter(t.ended for t in report.trials)
    assert ended["killed"] and ended["failed"], ended  # both the signal and ENOSPC were met
    assert sum(t.rerun == "after" for t in report.trials) >= ended["failed"]


def test_the_full_disk_judge_wants_one_line():
    assert full_disk.one_line_error("[  1.0s] reading\nError: no space\n") == "Error: no space"
    assert full_disk.one_line_error("Traceback (most recent call last):\nError: x\n") is None
    assert full_disk.one_line_error("Error: could not\nsave\n") is None
    assert full_disk.one_line_error("") is None


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_read_only_warehouse_refuses_writes_in_one_line_and_still_reads(
        operations, small_disk, tmp_path):
    base = next(o for o in operations if o.name == "plan approval").before  # plans and drafts
    if os.geteuid() == 0:  # root writes through file modes: make the whole disk read-only
        disk = small_disk(base.stat().st_size // 1024 + 4096)
        path = disk / "w.duckdb"
        shutil.copyfile(base, path)
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
    else:
        path = tmp_path / "ro" / "w.duckdb"
        path.parent.mkdir()
        shutil.copyfile(base, path)
        path.chmod(0o444)
        path.parent.chmod(0o555)
    digest = _sha256(path)
    for op in (o for o in operations if o.name != "migration"):
        done = subprocess.run([kills.SHOPKEEPER, "-w", str(path), *op.args], cwd=tmp_path,
                              env=kills.cli_env(), capture_output=True, text=True, timeout=600)
        assert done.returncode == 1, (op.name, done.stdout[-2000:])
        _one_line_error(done)
    for reading in (("status",), ("doctor",), ("sql", "SELECT count(*) FROM orders")):
        done = kills.cli(path, *reading, cwd=tmp_path)
        assert done.returncode == 0
    assert _sha256(path) == digest


# -- upgrades from every earlier schema version ---------------------------------------------
@pytest.mark.parametrize("version", range(1, migrations.latest_version()))
def test_every_earlier_schema_version_migrates_without_loss(operations, tmp_path, version):
    """A warehouse as each earlier Shopkeeper left it, full of data, opens in this one: every
    row and value it held is still there, and the doctor finds the latest schema."""
    base = next(op for op in operations if op.name == "plan approval").before
    old = tmp_path / f"v{version}.duckdb"
    kills.build_at_version(base, old, version)
    held = kills.fingerprint(old)
    assert int(held[("_migrations", kills.ROWS)]) == version
    with Warehouse(old):  # opening it for writing migrates it
        pass
    now = kills.fingerprint(old)
    lost = {k: (v, now.get(k)) for k, v in held.items()
            if k[0] != "_migrations" and now.get(k) != v}
    assert not lost, lost
    report = check_warehouse(old)
    assert report.healthy and report.schema_version == migrations.latest_version(), report
