"""The Settings page: the store, the language model, users, tokens and the audit log."""

from __future__ import annotations

import zoneinfo
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from shopkeeper import accounts, store
from shopkeeper.api.app import settings as server_settings
from shopkeeper.api.app import warehouse
from shopkeeper.api.routers.settings import read_settings
from shopkeeper.api.security import Principal, requires
from shopkeeper.web.render import render

router = APIRouter(include_in_schema=False)
P = accounts.Permission
AUDIT_ROWS = 200


@router.get("/settings", response_class=HTMLResponse)
def settings_page(request: Request, wh: Annotated[store.Warehouse, Depends(warehouse)],
                  cfg: Annotated[store.Settings, Depends(server_settings)],
                  principal: Principal = requires(P.SETTINGS_READ, web=True)) -> HTMLResponse:
    manage = principal.may(P.USERS_MANAGE)
    return render(
        request, principal, "settings/index.html", title="nav.settings",
        cfg=read_settings(wh, cfg, principal), can_write=principal.may(P.SETTINGS_WRITE),
        manage=manage, users=accounts.list_users(wh) if manage else [],
        tokens=accounts.list_tokens(wh, None if manage else principal.actor),
        audit=accounts.audit_log(wh, limit=AUDIT_ROWS) if principal.may(P.AUDIT_READ) else [],
        zones=sorted(zoneinfo.available_timezones()), roles=accounts.ROLES)
