"""The store's time zone: where its days, weeks and months begin and end.

A Beijing order placed at 06:00 belongs to that day in Beijing, not to the previous day in UTC.
The zone is the ``timezone`` setting when one is configured; otherwise the first load that can
tell records it in the warehouse (``store_settings``): a preset's own zone (Taobao and Tmall
exports are China time) or the UTC offset its timestamps carry (Shopify's ``+0800``). The
warehouse connection then runs in that zone, so every ``CAST(ts AS DATE)`` and ``date_trunc``
over a ``TIMESTAMPTZ`` cuts days at the store's midnight.
"""

from __future__ import annotations

import re

import duckdb

TIMEZONE_KEY = "timezone"
DEFAULT_TIMEZONE = "UTC"

# Zones without daylight saving for offsets an offset alone cannot name (the day boundaries are
# the same as any other zone of that offset). Other whole hours become Etc/GMT±h.
_OFFSET_ZONES = {
    (0, 0): "UTC", (8, 0): "Asia/Shanghai", (9, 0): "Asia/Tokyo", (7, 0): "Asia/Bangkok",
    (5, 30): "Asia/Kolkata", (5, 45): "Asia/Kathmandu", (3, 30): "Asia/Tehran",
    (9, 30): "Australia/Darwin", (6, 30): "Asia/Yangon", (4, 30): "Asia/Kabul",
}
_OFFSET = re.compile(r"^(?P<sign>[+-])(?P<h>\d{2}):?(?P<m>\d{2})$")


def zone_for_offset(offset: str) -> str | None:
    """An IANA zone whose days begin at the same instant as those of a ``+0800``-style offset."""
    if offset in ("Z", "z"):
        return DEFAULT_TIMEZONE
    match = _OFFSET.match(offset.strip())
    if match is None:
        return None
    hours, minutes = int(match["h"]), int(match["m"])
    sign = -1 if match["sign"] == "-" else 1
    if (hours, minutes) in _OFFSET_ZONES and (sign > 0 or (hours, minutes) == (0, 0)):
        return _OFFSET_ZONES[(hours, minutes)]
    if minutes or hours > 14:
        return None
    return f"Etc/GMT{'-' if sign > 0 else '+'}{hours}"  # POSIX style: the sign is inverted


def stored_timezone(con: duckdb.DuckDBPyConnection) -> tuple[str, str] | None:
    """The zone recorded in the warehouse and where it came from, if any."""
    try:
        row = con.execute(
            "SELECT value, source FROM store_settings WHERE key = ?", [TIMEZONE_KEY]
        ).fetchone()
    except duckdb.CatalogException:  # a warehouse from before the store_settings table
        return None
    return (row[0], row[1]) if row else None


def record_timezone(con: duckdb.DuckDBPyConnection, zone: str, source: str) -> bool:
    """Record ``zone`` as the store's unless one is recorded already; True when recorded now."""
    if stored_timezone(con) is not None:
        return False
    con.execute(
        "INSERT INTO store_settings VALUES (?, ?, ?, current_timestamp)",
        [TIMEZONE_KEY, zone, source],
    )
    return True
