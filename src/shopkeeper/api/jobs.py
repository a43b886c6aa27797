"""Long work as background jobs: forecasts, plans, reports, review analysis, ingestion.

huey (SQLite storage beside the warehouse) queues the jobs; its consumer runs as threads inside
the server process, so a job writes through the server's own open warehouse (its own cursor)
and no second process ever needs DuckDB's file lock. Each job's state, progress and outcome are
rows of the warehouse's ``jobs`` table, so they survive a page reload and are kept afterwards.
A job that was queued or running when the server stopped is marked failed at the next start,
never lost silently.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from huey import SqliteHuey
from huey.consumer import Consumer
from pydantic import BaseModel

from shopkeeper import accounts, metrics, store

log = logging.getLogger("shopkeeper.jobs")
Progress = Callable[[str, float | None], None]


@dataclass
class JobContext:
    """What a job function gets: its own warehouse handle, its parameters, a progress callback
    (the library's ``progress(phase, fraction)``), the server's settings and who started it."""

    wh: store.Warehouse
    params: dict[str, Any]
    progress: Progress
    settings: store.Settings
    actor: str


JobFunction = Callable[[JobContext], dict[str, Any]]
PROGRESS_EVERY_S = 0.5

KINDS: dict[str, tuple[JobFunction, Any]] = {}
# after a job of these kinds succeeds, the server (when it warms caches) starts a "warm" job:
# they change what the overview, the metrics explorer and the pages' cached aggregates show
WARM_AFTER = frozenset({"ingest", "plan", "reviews.analyze"})
WARM_KIND = "warm"
# checks the server runs every minute (huey periodic tasks): name -> fn(runner, now)
PERIODIC: dict[str, Callable[[JobRunner, datetime], None]] = {}


def job_kind(name: str, permission: Any) -> Callable[[JobFunction], JobFunction]:
    """Register a job: ``fn(ctx: JobContext) -> result dict`` (JSON-able) and the permission
    needed to start it."""

    def register(fn: JobFunction) -> JobFunction:
        KINDS[name] = (fn, permission)
        return fn

    return register


def periodic(name: str) -> Callable[[Callable[[JobRunner, datetime], None]],
                                    Callable[[JobRunner, datetime], None]]:
    """Register ``fn(runner, now)`` to run every minute in the server (e.g. start the jobs
    that are due); registered before the workers start."""

    def register(fn: Callable[[JobRunner, datetime], None]) -> Callable[[JobRunner, datetime],
                                                                          None]:
        PERIODIC[name] = fn
        return fn

    return register


class Job(BaseModel):
    """One piece of background work and what became of it."""

    job_id: str
    kind: str
    status: str  # queued | running | done | failed
    progress: float | None = None
    phase: str | None = None
    params: dict[str, Any] = {}
    result: dict[str, Any] | None = None
    error: str | None = None
    created_by: str
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None


_COLUMNS = ("job_id, kind, status, progress, phase, params, result, error, created_by, "
            "created_at, started_at, finished_at")


def _job(row: tuple) -> Job:
    values = dict(zip([c.strip() for c in _COLUMNS.split(",")], row, strict=True))
    for key in ("params", "result"):
        values[key] = json.loads(values[key]) if values[key] else ({} if key == "params" else None)
    return Job(**values)


STOP_WAIT_S = 5.0  # how long stopping the server waits for running jobs


class _QuietConsumer(Consumer):
    """huey's consumer without its signal handlers: the web server owns SIGINT and SIGTERM."""

    def _set_signal_handlers(self) -> None:
        pass


class JobRunner:
    """Queues jobs on huey and runs them on ``workers`` threads of this process."""

    def __init__(self, wh: store.Warehouse, settings: store.Settings, data_dir: Path, *,
                 workers: int = 2, warm: bool = False) -> None:
        self.wh = wh
        self.warm = warm  # start a "warm" job after jobs that change the cached aggregates
        self.settings = settings
        data_dir.mkdir(parents=True, exist_ok=True)
        self.huey = SqliteHuey(name="shopkeeper", filename=str(data_dir / "jobs.sqlite3"),
                               results=False)
        self.workers = workers
        self._run_task = self.huey.task(name="shopkeeper.job")(self._run)
        self._consumer: Consumer | None = None
        self._periodic: set[str] = set()

    # -- life --------------------------------------------------------------------------------
    def start(self) -> int:
        """Mark jobs a previous server left unfinished as failed, then start the workers.
        Returns how many were marked."""
        now = datetime.now(UTC)
        with self._session() as wh, wh.transaction() as con:
            stale = con.execute("SELECT count(*) FROM jobs WHERE status IN ('queued', 'running')"
                                ).fetchone()[0]
            con.execute("UPDATE jobs SET status = 'failed', finished_at = ?, error = "
                        "'interrupted: the server stopped before this job finished' "
                        "WHERE status IN ('queued', 'running')", [now])
        self.huey.flush()  # their queue entries went with them
        self._register_periodic()
        self._consumer = _QuietConsumer(self.huey, workers=self.workers, worker_type="thread",
                                        periodic=True, check_worker_health=False,
                                        initial_delay=0.05, max_delay=0.5,
                                        shutdown_timeout=STOP_WAIT_S)
        self._consumer.start()
        return int(stale)

    def _register_periodic(self) -> None:
        from huey import crontab

        for name, fn in PERIODIC.items():
            task_name = f"shopkeeper.periodic.{name}"
            if task_name in self._periodic:
                continue

            def run(fn: Callable[[JobRunner, datetime], None] = fn) -> None:
                fn(self, datetime.now(UTC))

            self.huey.periodic_task(crontab(), name=task_name)(run)
            self._periodic.add(task_name)

    def stop(self) -> None:
        """Stop taking jobs and give running ones ``STOP_WAIT_S`` to finish; one still running
        after that is marked failed at the next start (its thread ends with the process)."""
        if self._consumer is not None:
            self._consumer.stop(graceful=True)
            self._consumer = None

    def _session(self):
        from contextlib import closing

        return closing(self.wh.shared())

    # -- work --------------------------------------------------------------------------------
    def submit(self, kind: str, params: dict[str, Any], principal_name: str, *,
               audit: bool = True) -> Job:
        """Queue a job; ``audit=False`` for the server's own housekeeping (cache warming),
        which changes nothing a person would look for in the audit log."""
        if kind not in KINDS:
            raise ValueError(f"unknown job kind {kind!r}; known: {', '.join(sorted(KINDS))}")
        job_id = uuid.uuid4().hex[:16]
        now = datetime.now(UTC)
        with self._session() as wh:
            with wh.transaction() as con:
                con.execute(f"INSERT INTO jobs ({_COLUMNS}) VALUES (?, ?, 'queued', NULL, NULL, "
                            "?, NULL, NULL, ?, ?, NULL, NULL)",
                            [job_id, kind, json.dumps(params, default=str), principal_name, now])
            if audit:
                accounts.record(wh, principal_name, f"job.start:{kind}", f"job:{job_id}",
                                after=params, via="web")
        self._run_task(job_id)
        return self.get(job_id)

    def get(self, job_id: str) -> Job:
        with self._session() as wh:
            rows = wh.query(f"SELECT {_COLUMNS} FROM jobs WHERE job_id = ?", [job_id])
        if not rows:
            raise LookupError(f"no job {job_id}")
        return _job(rows[0])

    def list(self, *, limit: int = 50, offset: int = 0, kind: str | None = None,
             status: str | None = None) -> list[Job]:
        where, params = [], []
        if kind:
            where.append("kind = ?")
            params.append(kind)
        if status:
            where.append("status = ?")
            params.append(status)
        sql = (f"SELECT {_COLUMNS} FROM jobs" + (" WHERE " + " AND ".join(where) if where else "")
               + " ORDER BY created_at DESC LIMIT ? OFFSET ?")
        with self._session() as wh:
            return [_job(r) for r in wh.query(sql, [*params, limit, offset])]

    def active(self, kinds: list[str] | tuple[str, ...], *, limit: int = 10) -> list[Job]:
        """Queued and running jobs of these kinds, newest first, in one query (a page shows
        them on every visit)."""
        with self._session() as wh:
            rows = wh.query(f"SELECT {_COLUMNS} FROM jobs WHERE status IN ('queued', 'running') "
                            "AND kind IN (SELECT unnest(?)) ORDER BY created_at DESC LIMIT ?",
                            [list(kinds), int(limit)])
        return [_job(r) for r in rows]

    def wait(self, job_id: str, timeout: float = 60.0) -> Job:
        """Block until the job ends (for tests and scripts)."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.get(job_id)
            if job.status in ("done", "failed") or time.monotonic() > deadline:
                return job
            time.sleep(0.05)

    def _run(self, job_id: str) -> None:
        # the job's work and its status rows use two handles: the work may hold a transaction
        # open for minutes (a load), while progress must be written and seen meanwhile
        with self._session() as wh, self._session() as status:
            job = _job(status.query(f"SELECT {_COLUMNS} FROM jobs WHERE job_id = ?", [job_id])[0])
            if job.status != "queued":
                return
            fn, _ = KINDS[job.kind]
            self._update(status, job_id, status="running", started_at=datetime.now(UTC))
            last = [0.0]
            lock = threading.Lock()

            def progress(phase: str, fraction: float | None) -> None:
                now = time.monotonic()
                with lock:
                    if now - last[0] < PROGRESS_EVERY_S and fraction not in (0.0, 1.0):
                        return
                    last[0] = now
                    self._update(status, job_id, phase=phase[:200], progress=fraction)

            try:
                result = fn(JobContext(wh, job.params, progress, self.settings, job.created_by))
            except Exception as exc:  # a job's failure is its outcome, kept for the user
                metrics.forget_version(wh)
                log.exception("job %s (%s) failed", job_id, job.kind)
                with lock:
                    self._update(status, job_id, status="failed",
                                 error=str(exc).splitlines()[0][:500] if str(exc)
                                 else type(exc).__name__, finished_at=datetime.now(UTC))
                return
            metrics.forget_version(wh)  # a load changed the data: cached answers move on
            with lock:
                self._update(status, job_id, status="done", progress=1.0, phase="done",
                             result=json.dumps(result or {}, default=str),
                             finished_at=datetime.now(UTC))
        if self.warm and job.kind in WARM_AFTER and WARM_KIND in KINDS:
            self.submit(WARM_KIND, {"after": job.kind}, "server", audit=False)

    @staticmethod
    def _update(wh: store.Warehouse, job_id: str, **values: Any) -> None:
        sets = ", ".join(f"{k} = ?" for k in values)
        with wh.transaction() as con:
            con.execute(f"UPDATE jobs SET {sets} WHERE job_id = ?", [*values.values(), job_id])
