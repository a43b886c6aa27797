"""Kills on a full disk (issue 25): the kill harness's commands run with the warehouse on a small
tmpfs that is nearly full or fills up while the command writes, and are SIGKILLed at random
moments.

For each operation of :mod:`tests.robustness.kills` (already calibrated: its *after* state, its
volatile columns, its timing) the disk growth a run needs is measured once on a roomy tmpfs
(the peak of the file system's used bytes while it runs). The tmpfs is then sized to the
*before* file plus twice that growth, and for each trial:

1. the *before* file is copied onto the emptied tmpfs and a ballast file takes all the free
   space but a random amount (rounded down to whole 4 KiB pages): for half the trials the disk
   is nearly full (under 16 KiB free, none at all in a quarter of them), for the other half the free space is between nothing and 1.2 × the growth, so the disk
   fills up somewhere along the command's writes (or, now and then, has room enough);
2. the real CLI runs in its own process group and the group is SIGKILLed after a random delay
   (as in the kill harness: half over the whole run, half around the moment it starts
   writing), unless it ended first, finished or failed; every third run is not killed but left
   to end on its own, so that each command meets ENOSPC as well as the signal;
3. a command that failed on its own must have said so in one line (``Error: …``, no traceback)
   that says the disk is full, and must have left no file behind (a write-ahead log aside);
4. with the disk still full, the doctor opens the file read-only and must pass, and the file is
   opened for writing as the next command would (this may fail for want of space: that is
   allowed, damage is not);
5. then the ballast is deleted (space freed), and the file is opened, checked by the doctor and
   compared exactly as after a kill: before or after (or a migration stopped at a whole version),
   never a mix; a command that failed must have left the *before* state;
6. a file left at *before* (or between two versions) gets the command rerun to the end on the
   freed disk, which must succeed and reach the *after* state.

Mounting a tmpfs needs root; :func:`tmpfs` raises :class:`CannotMount` otherwise.

Used by ``tests/robustness/test_kills.py`` (a quick seeded subset in ``make test``, more in the
slow tier) and ``bench/robustness.py --full-disk``.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from shopkeeper.store import check_warehouse
from tests.robustness import kills

WAREHOUSE = "w.duckdb"
BALLAST = "ballast"
MiB = 1 << 20
NEARLY_FULL = 16 * 1024  # a nearly full disk: at most this much free


class CannotMount(RuntimeError):
    """No tmpfs could be mounted here (mounting needs root)."""


@contextlib.contextmanager
def tmpfs(point: Path, size: int) -> Iterator[Path]:
    """A tmpfs of ``size`` bytes mounted at ``point``, unmounted on the way out."""
    point.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={_kib(size)}k", "tmpfs",
                           str(point)], capture_output=True, text=True)
    if done.returncode:
        raise CannotMount(f"cannot mount a small tmpfs here (needs root): "
                          f"{done.stderr.strip()}")
    try:
        yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], capture_output=True, check=False)


def _kib(size: int) -> int:
    return max(64, -(-size // 1024))


def _resize(point: Path, size: int) -> None:
    subprocess.run(["mount", "-o", f"remount,size={_kib(size)}k", str(point)],
                   capture_output=True, text=True, check=True)


def _used(point: Path) -> int:
    st = os.statvfs(point)
    return (st.f_blocks - st.f_bfree) * st.f_frsize


def _free(point: Path) -> int:
    st = os.statvfs(point)
    return st.f_bavail * st.f_frsize


def _empty(point: Path) -> None:
    for entry in point.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


@dataclass(frozen=True)
class Trial:
    operation: str
    free: int  # bytes free on the disk when the command started
    delay: float | None  # None: not killed, left to end on its own
    ended: str  # killed, finished, failed (ended on its own with an error)
    outcome: str  # before, after, between, mixed, damaged
    error: str = ""  # a failed command's message
    rerun: str = ""  # after freeing space: "after", or what went wrong; "" when not rerun
    full_disk_open: str = "ok"  # opening for writing while the disk was still full
    problems: tuple[str, ...] = ()


@dataclass
class FullDiskReport:
    trials: list[Trial] = field(default_factory=list)
    growth: dict[str, int] = field(default_factory=dict)  # peak bytes a run needs, per operation
    seconds: float = 0.0

    @property
    def violations(self) -> list[Trial]:
        return [t for t in self.trials if t.problems]

    def counts(self) -> Counter:
        out: Counter = Counter()
        for t in self.trials:
            out[(t.operation, t.ended)] += 1
            out[(t.operation, t.outcome)] += 1
            if t.rerun == "after":
                out[(t.operation, "rerun after")] += 1
        return out


def measure_growth(op: kills.Operation, disk: Path, work: Path) -> int:
    """The most bytes of the disk one whole run of ``op`` takes beyond its *before* file."""
    _empty(disk)
    path = disk / WAREHOUSE
    shutil.copyfile(op.before, path)
    start = _used(disk)
    peak = start
    proc = subprocess.Popen([kills.SHOPKEEPER, "-w", str(path), *op.args], cwd=work,
                            env=kills.cli_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    while proc.poll() is None:
        peak = max(peak, _used(disk))
        time.sleep(0.001)
    peak = max(peak, _used(disk))
    if proc.returncode:
        raise RuntimeError(f"{op.name}: failed on a roomy tmpfs (exit {proc.returncode})")
    _empty(disk)
    return max(peak - start, 64 * 1024)


def one_line_error(stderr: str) -> str | None:
    """The one error line of a failed command, or None when it said more (or less)."""
    if "Traceback" in stderr:
        return None
    lines = [line for line in stderr.splitlines() if line.strip()
             and not line.startswith("[")]  # the progress lines of a terminal-less run
    if len(lines) == 1 and lines[0].startswith("Error:"):
        return lines[0]
    return None


def trial(op: kills.Operation, disk: Path, work: Path, free: int, delay: float | None,
          ) -> Trial:
    """One run of ``op`` on ``disk`` with ``free`` bytes left, SIGKILLed after ``delay`` s
    (``None``: left to end on its own)."""
    _empty(disk)
    path = disk / WAREHOUSE
    shutil.copyfile(op.before, path)
    ballast = disk / BALLAST
    with open(ballast, "wb") as f:
        room = _free(disk)  # the ballast in whole pages, so that under a page free is none
        size = min(room, max(0, -(-(room - free) // 4096) * 4096))
        if size:
            os.posix_fallocate(f.fileno(), 0, size)
    free = _free(disk)
    present = {p.name for p in disk.iterdir()}
    problems: list[str] = []
    stderr_file = work / "full-disk-stderr.txt"
    with open(stderr_file, "w+b") as err:
        proc = subprocess.Popen([kills.SHOPKEEPER, "-w", str(path), *op.args], cwd=work,
                                env=kills.cli_env(), stdout=subprocess.DEVNULL, stderr=err,
                                start_new_session=True)
        try:
            proc.wait(timeout=600 if delay is None else delay)
            ended = "finished" if proc.returncode == 0 else "failed"
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            ended = "killed"
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    error = ""
    if ended == "failed":
        line = one_line_error(stderr)
        if line is None:
            problems.append(f"not a one-line error: {stderr.strip()[-600:]!r}")
        else:
            error = line
            if "No space left on device" not in line:
                problems.append(f"the error does not say the disk is full: {line}")
        left = sorted(p.name for p in disk.iterdir() if p.name not in present
                      and p.name != f"{WAREHOUSE}.wal" and not _empty_dir(p))
        if left:
            problems.append(f"a failed command left files behind: {left}")
    # the disk still full: the doctor reads it, the next command opens it for writing
    try:
        report = check_warehouse(path)
        if not report.healthy:
            problems.append("the doctor fails on the full disk: " + "; ".join(
                f"{f.check}: {f.detail}" for f in report.findings if f.level == "fail"))
    except Exception as exc:  # noqa: BLE001 - any failure to open is the finding
        problems.append(f"does not open read-only on the full disk: "
                        f"{type(exc).__name__}: {str(exc)[:300]}")
    full_disk_open = "ok"
    try:
        kills.recover(path)
    except Exception as exc:  # noqa: BLE001 - allowed for want of space; judged below
        full_disk_open = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    ballast.unlink()  # space freed
    verdict = kills._verdict(op, path, -1.0 if delay is None else delay)
    if verdict.outcome in {"mixed", "damaged"}:
        problems.append(f"{verdict.outcome}: {verdict.detail}")
    elif ended == "failed" and verdict.outcome == "after":
        problems.append("the command failed, yet its change was kept")
    rerun = ""
    if verdict.outcome in {"before", "between"}:
        rerun = _rerun(op, path, work)
        if rerun != "after":
            problems.append(f"rerun after freeing space: {rerun}")
    return Trial(op.name, free, delay, ended, verdict.outcome, error, rerun, full_disk_open,
                 tuple(problems))


def _empty_dir(p: Path) -> bool:
    return p.is_dir() and not any(p.iterdir())


def _rerun(op: kills.Operation, path: Path, work: Path) -> str:
    done = kills.cli(path, *op.args, cwd=work, check=False)
    if done.returncode:
        return f"failed: {done.stderr.strip()[-400:]}"
    state = kills._stable(kills.fingerprint(path), op.volatile)
    if state != op.after:
        changed = sorted({t for (t, _c) in state.keys() | op.after.keys()
                          if state.get((t, _c)) != op.after.get((t, _c))})
        return f"not the after state: {changed[:5]}"
    return "after"


def run(operations: list[kills.Operation], trials_per_operation: int, seed: int, work: Path,
        progress: Callable[[int, int], None] | None = None) -> FullDiskReport:
    """``trials_per_operation`` full-disk trials of each (calibrated) operation."""
    rng = random.Random(seed)
    report = FullDiskReport()
    start = time.monotonic()
    total = trials_per_operation * len(operations)
    biggest = max(op.before.stat().st_size for op in operations)
    with tmpfs(work / "full-disk", 4 * biggest + 512 * MiB) as disk:
        for op in operations:
            _resize(disk, 4 * biggest + 512 * MiB)
            growth = report.growth[op.name] = measure_growth(op, disk, work)
            # room for the before file, twice the growth and the file system's own blocks
            _resize(disk, op.before.stat().st_size + 2 * growth + 4 * MiB)
            for i, delay in enumerate(kills.delays(op, trials_per_operation, rng)):
                # half the disks are nearly full (up to 16 KiB free), half fill up on the way
                top = min(NEARLY_FULL, growth) if i % 2 == 0 else 1.2 * growth
                free = int(rng.uniform(0, top))
                if i % 3 == 1:  # every third run is left to end on its own: done or ENOSPC
                    delay = None
                report.trials.append(trial(op, disk, work, free, delay))
                if progress:
                    progress(len(report.trials), total)
            _empty(disk)
    report.seconds = time.monotonic() - start
    return report
