"""The audit log: who changed what, when, through which face, with the state before and after.

Every write in Shopkeeper records one event here (accounts do it themselves; the API, web and
MCP faces do it for the writes they make). Secrets never reach it: :func:`record` drops
passwords, hashes, token secrets and session ids from ``before``/``after`` whatever they are
called.
"""

from __future__ import annotations

import csv
import json
import re
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from shopkeeper.accounts.base import AccountError, now
from shopkeeper.store.exports import inert
from shopkeeper.store.warehouse import Warehouse

VIAS = ("cli", "web", "api", "mcp", "system")
EXPORT_FORMATS = ("csv", "jsonl")
REDACTED = "[redacted]"

_SECRET_KEYS = {"password", "secret", "token", "session_id", "csrf_token", "api_key", "csrf"}
_SECRET_SUFFIXES = ("_hash", "_secret", "password")
# values that are secrets whatever their key: argon2 hashes and API token secrets
_SECRET_VALUE = re.compile(r"^\$argon2|\bsk_[0-9a-f]{8,}_[A-Za-z0-9_-]{16,}")
_COLUMNS = ("event_id", "at", "actor", "action", "target", "before", "after", "via")


class AuditEvent(BaseModel):
    """One write: who (``actor``), what (``action`` on ``target``), when, and through which face
    (``via``: cli, web, api, mcp or system), with the state before and after."""

    event_id: str
    at: datetime
    actor: str
    action: str
    target: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    via: str


def scrub(value: Any) -> Any:
    """``value`` with every secret replaced by ``[redacted]``: keys named like a password, hash,
    token or session id, and strings that look like an argon2 hash or an API token."""
    if isinstance(value, dict):
        return {str(k): REDACTED if _is_secret_key(str(k)) else scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    if isinstance(value, str) and _SECRET_VALUE.search(value):
        return REDACTED
    return value


def _is_secret_key(key: str) -> bool:
    key = key.lower()
    return key in _SECRET_KEYS or key.endswith(_SECRET_SUFFIXES)


def record(
    wh: Warehouse,
    actor: str,
    action: str,
    target: str,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    via: str = "cli",
) -> None:
    """Append one event. Call it inside the write's own ``wh.transaction()`` so that the change
    and its record stand or fall together."""
    if not actor or not action:
        raise AccountError("an audit event needs an actor and an action")
    wh.query(
        'INSERT INTO audit_log (event_id, "at", actor, action, target, before, after, via) '
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [uuid.uuid4().hex, now(), actor, action, target or "", _json(before), _json(after),
         via],
    )


def _json(value: dict[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(scrub(value), default=str, ensure_ascii=False)


def _where(
    actor: str | None, action: str | None, since: datetime | None, target: str | None
) -> tuple[str, list[Any]]:
    clauses, params = [], []
    if actor:
        clauses.append("actor = ?")
        params.append(actor)
    if action:
        if action.endswith("*"):  # "user.*": every user action
            clauses.append("starts_with(action, ?)")
            params.append(action[:-1])
        else:
            clauses.append("action = ?")
            params.append(action)
    if target:
        clauses.append("target = ?")
        params.append(target)
    if since is not None:
        clauses.append('"at" >= ?')
        params.append(since)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def audit_log(
    wh: Warehouse,
    *,
    limit: int = 100,
    offset: int = 0,
    actor: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    target: str | None = None,
) -> list[AuditEvent]:
    """Events newest first, filtered by actor, action (``"user.*"`` for a prefix), target and
    time; ``limit``/``offset`` page through them."""
    where, params = _where(actor, action, since, target)
    rows = wh.query(
        f'SELECT {", ".join(_quoted(c) for c in _COLUMNS)} FROM audit_log{where} '
        'ORDER BY "at" DESC, event_id DESC LIMIT ? OFFSET ?',
        [*params, max(0, int(limit)), max(0, int(offset))],
    )
    return [_event(row) for row in rows]


def audit_count(
    wh: Warehouse,
    *,
    actor: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    target: str | None = None,
) -> int:
    """How many events match the same filters as :func:`audit_log` (for paging)."""
    where, params = _where(actor, action, since, target)
    return int(wh.query(f"SELECT count(*) FROM audit_log{where}", params)[0][0])


def export_audit(
    wh: Warehouse,
    path: str | Path,
    *,
    fmt: str = "csv",
    actor: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
) -> int:
    """Write the matching events, oldest first, to CSV or JSON Lines; returns the row count.

    CSV cells that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``) get a
    leading apostrophe, so an exported event can never execute anything."""
    if fmt not in EXPORT_FORMATS:
        raise AccountError(f"unknown export format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}")
    where, params = _where(actor, action, since, None)
    rows = wh.query(
        f'SELECT {", ".join(_quoted(c) for c in _COLUMNS)} FROM audit_log{where} '
        'ORDER BY "at", event_id',
        params,
    )
    events = [_event(row) for row in rows]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "jsonl":
        with path.open("w", encoding="utf-8") as out:
            for event in events:
                out.write(event.model_dump_json() + "\n")
    else:
        with path.open("w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(_COLUMNS)
            for e in events:
                writer.writerow([inert(v) for v in (
                    e.event_id, e.at.isoformat(), e.actor, e.action, e.target,
                    "" if e.before is None else json.dumps(e.before, ensure_ascii=False),
                    "" if e.after is None else json.dumps(e.after, ensure_ascii=False),
                    e.via,
                )])
    return len(events)


def _quoted(column: str) -> str:
    return f'"{column}"'


def _event(row: tuple) -> AuditEvent:
    event_id, at, actor, action, target, before, after, via = row
    return AuditEvent(
        event_id=event_id, at=at, actor=actor, action=action, target=target or "",
        before=None if before is None else json.loads(before),
        after=None if after is None else json.loads(after), via=via or "",
    )
