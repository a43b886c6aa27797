"""Pages from Jinja2 templates: the layout, the navigation a role may see, words, numbers."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from shopkeeper import __version__, accounts
from shopkeeper.api.security import LANG_COOKIE, Principal
from shopkeeper.web.i18n import pick_lang, translator

TEMPLATES = Path(__file__).parent / "templates"
P = accounts.Permission


@dataclass(frozen=True)
class NavItem:
    path: str
    key: str
    icon: str
    permission: accounts.Permission


NAV = [
    NavItem("/", "nav.overview", "◎", P.OVERVIEW_READ),
    NavItem("/data", "nav.data", "⇪", P.DATA_READ),
    NavItem("/finance", "nav.finance", "¥", P.FINANCE_READ),
    NavItem("/metrics", "nav.metrics", "▦", P.METRICS_READ),
    NavItem("/stock", "nav.stock", "▤", P.STOCK_READ),
    NavItem("/reviews", "nav.reviews", "★", P.REVIEWS_READ),
    NavItem("/content", "nav.content", "✎", P.CONTENT_READ),
    NavItem("/service", "nav.service", "☏", P.SERVICE_READ),
    NavItem("/customers", "nav.customers", "☺", P.CUSTOMERS_READ),
    NavItem("/settings", "nav.settings", "⚙", P.SETTINGS_READ),
]


def safe_json(value: Any) -> Markup:
    """JSON for a ``<script type="application/json">`` block: ``<``, ``>`` and ``&`` escaped,
    so no data can close the script element."""
    text = json.dumps(value, default=str, ensure_ascii=False, allow_nan=False
                      ) if not _has_nan(value) else json.dumps(_no_nan(value), default=str,
                                                               ensure_ascii=False)
    return Markup(text.replace("&", "\\u0026").replace("<", "\\u003c")
                  .replace(">", "\\u003e").replace("\u2028", "\\u2028")
                  .replace("\u2029", "\\u2029"))


def _has_nan(value: Any) -> bool:
    try:
        json.dumps(value, default=str, allow_nan=False)
        return False
    except ValueError:
        return True


def _no_nan(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _no_nan(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_no_nan(v) for v in value]
    return value


def num(value: Any, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    try:
        return f"{float(value):,.{digits}f}"
    except (TypeError, ValueError):
        return str(value)


def money(value: Any, currency: str | None = None, digits: int = 2) -> str:
    text = num(value, digits)
    return f"{text} {currency}" if currency and text != "–" else text


def pct(value: Any, digits: int = 1, signed: bool = False) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{float(value) * 100:{'+' if signed else ''},.{digits}f}%"


templates = Jinja2Templates(directory=str(TEMPLATES))
templates.env.filters.update(num=num, money=money, pct=pct, safe_json=safe_json)
templates.env.globals.update(version=__version__)


def page_lang(request: Request, principal: Principal | None) -> str:
    return pick_lang(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE),
                     principal.user.lang if principal else None,
                     request.headers.get("accept-language"))


def render(request: Request, principal: Principal | None, template: str, *, title: str,
           status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page in the workspace layout, in the caller's language, with the navigation their role
    may use."""
    lang = page_lang(request, principal)
    t = translator(lang)
    nav = [item for item in NAV if principal is not None and principal.may(item.permission)]
    response = templates.TemplateResponse(request, template, {
        "t": t, "lang": lang, "title": t(title), "principal": principal, "nav": nav,
        "path": request.url.path, "csrf_token": principal.csrf_token if principal else "",
        "P": P, **context}, status_code=status_code)
    if request.query_params.get("lang") in ("en", "zh"):
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response
