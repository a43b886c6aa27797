"""The Data page: loads with their counts, uploads with preset detection, the quarantine."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from shopkeeper import accounts, metrics, store
from shopkeeper.api.app import warehouse
from shopkeeper.api.security import Principal, requires
from shopkeeper.web.render import render

router = APIRouter(include_in_schema=False)
P = accounts.Permission
Wh = Annotated[store.Warehouse, Depends(warehouse)]
QUARANTINE_ROWS = 500


@router.get("/data", response_class=HTMLResponse)
def data_page(request: Request, wh: Wh,
              load_id: Annotated[str | None, Query(max_length=100)] = None,
              source_file: Annotated[str | None, Query(max_length=500)] = None,
              principal: Principal = requires(P.DATA_READ, web=True)) -> HTMLResponse:
    total, loads = wh.loads(limit=200)
    status = metrics.warehouse_status(wh)  # scans every table: once per load
    columns, rows = wh.quarantine(load_id=load_id or None, source_file=source_file or None,
                                  limit=QUARANTINE_ROWS)
    return render(request, principal, "data/index.html", title="nav.data", loads=loads,
                  total_loads=total, status=status, q_columns=columns, q_rows=rows,
                  q_limit=QUARANTINE_ROWS, load_id=load_id or "", source_file=source_file or "",
                  presets=sorted(store.all_presets()),
                  can_write=principal.may(P.DATA_WRITE))
