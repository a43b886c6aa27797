"""Scheduled finance reports: which report to write, in which formats, and when.

A schedule writes the report of the last complete week, month or quarter at ``hour`` o'clock
(the store's time zone) on ``weekday`` (0 = Monday): every such day for weekly reports, the
first such day of each month for monthly ones, and of January, April, July and October for
quarterly ones. The server checks every minute which schedules are due (:func:`due_schedules`)
and starts one report job for each; :func:`mark_schedule_run` records it, so a schedule runs
once per slot however often it is checked, and a slot missed while the server was down runs
once when it is back.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo

from pydantic import BaseModel

from shopkeeper.errors import ShopkeeperError
from shopkeeper.finance.report import FORMATS, check_report_options
from shopkeeper.finance.statements import PERIODS
from shopkeeper.metrics import MetricError
from shopkeeper.store import Warehouse

_COLUMNS = ("schedule_id, period, lang, formats, weekday, hour, enabled, created_by, created_at, "
            "last_run_at, last_job_id")
_QUARTER_MONTHS = (1, 4, 7, 10)


class ScheduleNotFound(ShopkeeperError, LookupError):
    """No report schedule has that id."""


class ReportSchedule(BaseModel):
    """A standing order for a finance report (see the module for when it runs)."""

    schedule_id: str
    period: str  # week, month, quarter
    lang: str
    formats: list[str]
    weekday: int  # 0 = Monday … 6 = Sunday
    hour: int  # 0–23, the store's time zone
    enabled: bool
    created_by: str
    created_at: dt.datetime
    last_run_at: dt.datetime | None = None
    last_job_id: str | None = None
    next_run_at: dt.datetime | None = None


def _zone(wh: Warehouse) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(wh.timezone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _slot_day(period: str, weekday: int, day: dt.date) -> bool:
    if day.weekday() != weekday:
        return False
    if period == "week":
        return True
    if period == "month":
        return day.day <= 7
    return day.month in _QUARTER_MONTHS and day.day <= 7


def next_run(schedule: ReportSchedule, after: dt.datetime,
             zone: zoneinfo.ZoneInfo | None = None) -> dt.datetime:
    """The first time strictly after ``after`` at which ``schedule`` runs (aware, in ``zone``,
    default UTC)."""
    zone = zone or zoneinfo.ZoneInfo("UTC")
    local = after.astimezone(zone)
    day = local.date()
    for _ in range(400):
        if _slot_day(schedule.period, schedule.weekday, day):
            slot = dt.datetime.combine(day, dt.time(schedule.hour), tzinfo=zone)
            if slot > local:
                return slot
        day += dt.timedelta(days=1)
    raise MetricError(f"schedule {schedule.schedule_id} never runs")  # pragma: no cover


def _schedule(row: tuple, zone: zoneinfo.ZoneInfo) -> ReportSchedule:
    values = dict(zip([c.strip() for c in _COLUMNS.split(",")], row, strict=True))
    values["formats"] = [f for f in str(values["formats"] or "").split(",") if f]
    schedule = ReportSchedule(**values)
    since = schedule.last_run_at or schedule.created_at
    return schedule.model_copy(update={"next_run_at": next_run(schedule, since, zone)})


def list_schedules(wh: Warehouse) -> list[ReportSchedule]:
    """Every report schedule, oldest first, each with its next run."""
    zone = _zone(wh)
    return [_schedule(r, zone) for r in wh.query(
        f"SELECT {_COLUMNS} FROM report_schedules ORDER BY created_at, schedule_id")]


def get_schedule(wh: Warehouse, schedule_id: str) -> ReportSchedule:
    rows = wh.query(f"SELECT {_COLUMNS} FROM report_schedules WHERE schedule_id = ?",
                    [schedule_id])
    if not rows:
        raise ScheduleNotFound(f"no report schedule {schedule_id!r}")
    return _schedule(rows[0], _zone(wh))


def add_schedule(wh: Warehouse, *, period: str, formats: list[str] | tuple[str, ...],
                 weekday: int, hour: int, lang: str = "en", created_by: str,
                 now: dt.datetime | None = None) -> ReportSchedule:
    """Store a schedule (checked first: period, language, formats, weekday 0–6, hour 0–23)."""
    if period not in PERIODS:
        raise MetricError(f"period must be one of {', '.join(PERIODS)}")
    formats = [f for f in dict.fromkeys(formats) if f]
    if not formats:
        raise MetricError(f"choose at least one format of {', '.join(FORMATS)}")
    check_report_options(lang, tuple(formats))
    if not 0 <= int(weekday) <= 6:
        raise MetricError("weekday must be 0 (Monday) to 6 (Sunday)")
    if not 0 <= int(hour) <= 23:
        raise MetricError("hour must be 0 to 23")
    schedule_id = uuid.uuid4().hex[:12]
    with wh.transaction() as con:
        con.execute(f"INSERT INTO report_schedules ({_COLUMNS}) VALUES "
                    "(?, ?, ?, ?, ?, ?, true, ?, ?, NULL, NULL)",
                    [schedule_id, period, lang, ",".join(formats), int(weekday), int(hour),
                     created_by, now or dt.datetime.now(dt.UTC)])
    return get_schedule(wh, schedule_id)


def remove_schedule(wh: Warehouse, schedule_id: str) -> ReportSchedule:
    """Delete a schedule; returns what it was."""
    schedule = get_schedule(wh, schedule_id)
    with wh.transaction() as con:
        con.execute("DELETE FROM report_schedules WHERE schedule_id = ?", [schedule_id])
    return schedule


def due_schedules(wh: Warehouse, now: dt.datetime | None = None) -> list[ReportSchedule]:
    """The enabled schedules whose next run is at or before ``now`` (default: the clock)."""
    now = now or dt.datetime.now(dt.UTC)
    return [s for s in list_schedules(wh)
            if s.enabled and s.next_run_at is not None and s.next_run_at <= now]


def mark_schedule_run(wh: Warehouse, schedule_id: str, job_id: str,
                      when: dt.datetime | None = None) -> None:
    """Record that ``schedule_id`` started ``job_id`` at ``when``: it is not due again until
    its next slot."""
    with wh.transaction() as con:
        con.execute("UPDATE report_schedules SET last_run_at = ?, last_job_id = ? "
                    "WHERE schedule_id = ?", [when or dt.datetime.now(dt.UTC), job_id,
                                              schedule_id])
