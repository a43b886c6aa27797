"""Aggregates computed once per load and invalidated by the next one, not once per request.

A dashboard served to many people asks the same questions of the same data over and over. The
answers change only when data is written, so they are kept in a small process-wide LRU keyed by
(warehouse file, :func:`data_version`, key). The version is read from the warehouse on every
call (a catalog lookup and the tiny ``loads`` table), so a load by this process or any other
invalidates every answer at once. Concurrent callers asking for the same missing key wait for
one computation instead of each running it.

A process that is the only writer of its warehouse (the server) can skip even that look:
:func:`hold_version` keeps the version it read for a few seconds, and :func:`forget_version`
(called when its own load finishes) drops it at once.

    from shopkeeper import metrics
    tiles = metrics.cached(wh, "finance.kpi_tiles:month", lambda: compute(wh))
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from shopkeeper.store import TABLES, Warehouse

T = TypeVar("T")
MAX_ENTRIES = 256

# the store's loaded tables (not results: a chat turn or a draft must not invalidate the KPIs)
_LOADED = tuple(t.name for t in TABLES)
# one statement: the loads, and the catalog's row counts of the loaded tables
_VERSION_SQL = ("SELECT count(*), epoch_us(max(finished_at)), arg_max(load_id, finished_at), "
                "{rows} FROM loads")


def data_version(wh: Warehouse) -> str:
    """A text that changes whenever loaded data changes: the loads (count, latest finish and
    load id, written in the same transaction as the load's rows: ingestion, the demo and the
    generator all go through it) plus the row counts the engine keeps in its catalog for the
    loaded tables (:meth:`Warehouse.estimated_rows_sql`), so rows inserted outside a load (a
    test, a script) count too. Cheap: no table is scanned."""
    n, finished, load_id, rows = wh.query(
        _VERSION_SQL.format(rows=wh.estimated_rows_sql(_LOADED)))[0]
    return f"{n}:{finished if finished is not None else '-'}:{load_id or '-'}:{rows}"


class _Cache:
    """A bounded LRU with one lock per key being computed."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._values: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[tuple, threading.Lock] = {}
        self.computed = 0  # how many times a value was computed (for tests and benchmarks)

    def get(self, key: tuple, compute: Callable[[], T]) -> T:
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
            key_lock = self._computing.setdefault(key, threading.Lock())
        with key_lock:  # one caller computes; the others wait here, then find the value
            with self._lock:
                if key in self._values:
                    self._values.move_to_end(key)
                    return self._values[key]
            try:
                value = compute()
            finally:
                with self._lock:
                    self._computing.pop(key, None)
            with self._lock:
                self.computed += 1
                self._values[key] = value
                self._values.move_to_end(key)
                while len(self._values) > self.max_entries:
                    self._values.popitem(last=False)
            return value

    def peek(self, key: tuple) -> Any | None:
        with self._lock:
            return self._values.get(key)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()

    def __len__(self) -> int:
        return len(self._values)


CACHE = _Cache()


_PINNED = threading.local()


@contextlib.contextmanager
def one_version(wh: Warehouse) -> Iterator[str]:
    """Within the block, every :func:`cached` call on ``wh``'s file in this thread uses the data
    version read once at its start: a page asking for several cached aggregates pays for one
    version check, not one each. Keep the block to one request."""
    path = str(Path(wh.path).resolve())
    before = getattr(_PINNED, "version", None)
    version = _version(wh, path)
    _PINNED.version = (path, version)
    try:
        yield version
    finally:
        _PINNED.version = before


# path -> seconds a version read from it is trusted; path -> (version, monotonic time read)
_HOLD_S: dict[str, float] = {}
_HELD: dict[str, tuple[str, float]] = {}


def hold_version(wh: Warehouse, seconds: float) -> None:
    """Trust a data version read from ``wh``'s file for ``seconds`` (0 stops it), instead of
    reading it on every cached call (3-17 ms each). Only for the process that is the file's
    only writer, which must call :func:`forget_version` when a load of its own finishes; the
    few seconds bound how long a write by any other path (a script, a test) goes unseen."""
    path = str(Path(wh.path).resolve())
    if seconds > 0:
        _HOLD_S[path] = float(seconds)
    else:
        _HOLD_S.pop(path, None)
    _HELD.pop(path, None)


def forget_version(wh: Warehouse) -> None:
    """Drop the held data version of ``wh``'s file: the next cached call reads it again (call
    it when a load finishes)."""
    _HELD.pop(str(Path(wh.path).resolve()), None)


def _version(wh: Warehouse, path: str) -> str:
    pinned = getattr(_PINNED, "version", None)
    if pinned is not None and pinned[0] == path:
        return pinned[1]
    hold = _HOLD_S.get(path)
    if hold is None:
        return data_version(wh)
    now = time.monotonic()
    held = _HELD.get(path)
    if held is not None and now - held[1] < hold:
        return held[0]
    version = data_version(wh)
    _HELD[path] = (version, now)
    return version


def cached(wh: Warehouse, key: str, compute: Callable[[], T]) -> T:
    """``compute()``'s value for ``key`` on this warehouse's current data, computed once per
    data version (see :func:`data_version`) and shared by every caller in the process; treat it
    as read-only. ``key`` must name everything the value depends on besides loaded data (the
    function, its arguments, and a stamp of any result table it reads)."""
    path = str(Path(wh.path).resolve())
    return CACHE.get((path, _version(wh, path), key), compute)


def peek(wh: Warehouse, key: str) -> Any | None:
    """The value :func:`cached` holds for ``key`` on the current data, or None when it has not
    been computed yet (a page can then start the work as a job instead of waiting for it)."""
    path = str(Path(wh.path).resolve())
    return CACHE.peek((path, _version(wh, path), key))


def warehouse_status(wh: Warehouse) -> Any:
    """``wh.status()`` (every table's row count and date span, the loads, the quarantine)
    once per data version: it scans every table (~70 ms on 10M order lines), and the data page
    shows it on every visit. Loads write the quarantine and the loads table, so the version
    covers all of it. Read-only: it is shared."""
    return cached(wh, "store.status", wh.status)


def clear_cache() -> None:
    """Forget every cached value and held data version (tests; memory)."""
    CACHE.clear()
    _HELD.clear()
