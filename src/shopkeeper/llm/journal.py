"""The model's memory on disk: a response cache and a usage log, in one SQLite file.

SQLite rather than the warehouse because model calls happen inside read-only commands (a report
reads the warehouse and still asks the model) and from several processes at once.

The cache key is a hash of everything that decides a reply: provider, model, messages, sampling
parameters and the JSON schema. A hit costs nothing and returns the same text, so a re-run is
free and reproducible. Every call, hit or not, is logged with its tokens, latency and estimated
cost; ``shopkeeper llm usage`` reads the log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported when used: the model worker process imports this package
    import pandas as pd

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY, provider TEXT, model TEXT, text TEXT,
    prompt_tokens INTEGER, completion_tokens INTEGER, created_at TEXT
);
CREATE TABLE IF NOT EXISTS calls (
    at TEXT, provider TEXT, model TEXT, task TEXT, prompt_version TEXT,
    prompt_tokens INTEGER, completion_tokens INTEGER, latency_s REAL, cost REAL,
    cached INTEGER, ok INTEGER, error TEXT
);
"""

USAGE_GROUPS = ("provider", "model", "task", "day")


@dataclass(frozen=True)
class CachedReply:
    text: str
    prompt_tokens: int
    completion_tokens: int


def cache_key(**parts: Any) -> str:
    """A stable hash of the parts that decide a reply."""
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class Journal:
    """The cache and the usage log of one Shopkeeper data folder."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / "llm.sqlite"
        with self._connect() as con:
            con.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=30)
        con.execute("PRAGMA journal_mode=WAL")
        return con

    def get(self, key: str) -> CachedReply | None:
        with self._connect() as con:
            row = con.execute(
                "SELECT text, prompt_tokens, completion_tokens FROM responses WHERE key = ?",
                (key,),
            ).fetchone()
        return CachedReply(*row) if row else None

    def put(self, key: str, provider: str, model: str, reply: CachedReply) -> None:
        with self._connect() as con:
            con.execute(
                "INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?, ?, ?, ?)",
                (key, provider, model, reply.text, reply.prompt_tokens, reply.completion_tokens,
                 _now()),
            )

    def log(self, *, provider: str, model: str, task: str, prompt_version: str,
            prompt_tokens: int, completion_tokens: int, latency_s: float, cost: float,
            cached: bool, ok: bool, error: str = "") -> None:
        with self._connect() as con:
            con.execute(
                "INSERT INTO calls VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (_now(), provider, model, task, prompt_version, prompt_tokens,
                 completion_tokens, latency_s, cost, int(cached), int(ok), error[:500]),
            )

    def usage(self, by: tuple[str, ...] = ("provider", "model", "task"),
              since: dt.date | None = None) -> pd.DataFrame:
        """Calls, cache hits, failures, tokens, latency and cost, grouped by ``by``."""
        unknown = set(by) - set(USAGE_GROUPS)
        if unknown:
            raise ValueError(f"cannot group usage by {sorted(unknown)}; use {USAGE_GROUPS}")
        columns = {g: ("substr(at, 1, 10)" if g == "day" else g) for g in by}
        select = ", ".join(f"{expr} AS {name}" for name, expr in columns.items())
        where, params = ("WHERE at >= ?", [since.isoformat()]) if since else ("", [])
        sql = f"""
            SELECT {select + ',' if select else ''}
                   count(*) AS calls, sum(cached) AS cache_hits, sum(1 - ok) AS failures,
                   sum(prompt_tokens) AS prompt_tokens,
                   sum(completion_tokens) AS completion_tokens,
                   avg(CASE WHEN cached = 0 THEN latency_s END) AS mean_latency_s,
                   sum(cost) AS cost
            FROM calls {where}
            {'GROUP BY ' + ', '.join(columns.values()) if by else ''}
            ORDER BY calls DESC"""
        import pandas as pd

        with self._connect() as con:
            return pd.read_sql_query(sql, con, params=params)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
