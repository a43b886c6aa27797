"""The staff side of customer service: the handoff queue and the conversation log."""

from __future__ import annotations

import pandas as pd

from shopkeeper.service.tools import ServiceError
from shopkeeper.store.warehouse import Warehouse


def handoffs(wh: Warehouse, status: str | None = "open") -> pd.DataFrame:
    """Conversations waiting for a person (``status`` None: all), oldest first."""
    where, params = ("WHERE status = ?", [status]) if status else ("", [])
    return wh.query_df(f"SELECT * FROM service_handoffs {where} ORDER BY created_at", params)


def close_handoff(wh: Warehouse, handoff_id: str, by: str) -> None:
    """Mark a handoff as dealt with by ``by``."""
    if not by.strip():
        raise ServiceError("say who closes it (--by NAME)")
    row = wh.query("SELECT status FROM service_handoffs WHERE handoff_id = ?", [handoff_id])
    if not row:
        raise ServiceError(f"no handoff {handoff_id!r}")
    if row[0][0] == "closed":  # open, or taken over by a person
        raise ServiceError(f"handoff {handoff_id} is already closed")
    with wh.transaction() as con:
        con.execute("UPDATE service_handoffs SET status = 'closed', closed_by = ?, "
                    "closed_at = current_timestamp WHERE handoff_id = ?", [by, handoff_id])


def conversation_log(wh: Warehouse, conversation_id: str | None = None,
                     limit: int = 200) -> pd.DataFrame:
    """Logged turns (PII-redacted), of one conversation or the latest ones."""
    where, params = ("WHERE conversation_id = ?", [conversation_id]) if conversation_id else ("", [])
    return wh.query_df(f"SELECT * FROM service_messages {where} "
                       f"ORDER BY created_at DESC, turn DESC LIMIT {int(limit)}", params)
