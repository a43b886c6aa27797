"""``Idempotency-Key``: a retried POST that creates something returns the first answer again.

The key, the caller and the first response are kept in the warehouse's ``idempotency_keys``
table for a day. The same key sent for another path is a client mistake (422).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from shopkeeper.api.problems import ProblemError
from shopkeeper.api.security import Principal

HEADER = "Idempotency-Key"
KEEP = timedelta(days=1)


def idempotent(request: Request, principal: Principal, create: Callable[[], Any], *,
               status_code: int = 201) -> JSONResponse:
    """Run ``create`` once per ``Idempotency-Key`` and caller; replay its response after."""
    key = request.headers.get(HEADER, "").strip()
    if not key:
        return JSONResponse(jsonable_encoder(create()), status_code=status_code)
    if len(key) > 200:
        raise ProblemError(422, f"{HEADER} is longer than 200 characters")
    server = request.app.state.server
    user_id = principal.user.user_id
    with server.session() as wh:
        wh.query("DELETE FROM idempotency_keys WHERE created_at < ?",
                 [datetime.now(UTC) - KEEP])
        rows = wh.query("SELECT method, path, status, body FROM idempotency_keys "
                        "WHERE key = ? AND user_id = ?", [key, user_id])
    if rows:
        method, path, status, body = rows[0]
        if (method, path) != (request.method, request.url.path):
            raise ProblemError(422, f"this {HEADER} was already used for {method} {path}")
        return JSONResponse(json.loads(body), status_code=status,
                            headers={"Idempotent-Replayed": "true"})
    body = jsonable_encoder(create())
    with server.session() as wh:
        wh.query("INSERT INTO idempotency_keys (key, user_id, method, path, status, body, "
                 "created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                 [key, user_id, request.method, request.url.path, status_code,
                  json.dumps(body), datetime.now(UTC)])
    return JSONResponse(body, status_code=status_code)
