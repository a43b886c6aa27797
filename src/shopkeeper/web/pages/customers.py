"""Customers pages: segments (the RFM grid), lifetime value, audience and replenishment
downloads, and search; one customer's page with orders, segment, recommendations and what they
may buy again, with their reasons; the shopping guide as a chat."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from shopkeeper import accounts, recommend, store
from shopkeeper.api.app import warehouse
from shopkeeper.api.security import Principal, requires
from shopkeeper.errors import ShopkeeperError
from shopkeeper.web.i18n import translator
from shopkeeper.web.render import page_lang, render

router = APIRouter(include_in_schema=False)
P = accounts.Permission
Wh = Annotated[store.Warehouse, Depends(warehouse)]


@router.get("/customers", response_class=HTMLResponse)
def customers_page(request: Request, wh: Wh,
                   q: Annotated[str, Query(max_length=recommend.MAX_QUERY_CHARS)] = "",
                   segment: Annotated[str, Query(max_length=60)] = "",
                   principal: Principal = requires(P.CUSTOMERS_READ, web=True)) -> HTMLResponse:
    t = translator(page_lang(request, principal))
    try:
        overview = recommend.segment_overview(wh)
        problem = None
    except ShopkeeperError as exc:  # no customer orders yet: the page says what to do
        overview, problem = None, str(exc)
    figure = (recommend.rfm_figure(overview, recency=t("customers.recency_score"),
                                   value=t("customers.fm_score"),
                                   customers=t("customers.customers"),
                                   names={c.segment: t(f"customers.seg.{c.segment}")
                                          for c in overview.cells})
              if overview else None)
    hits, total, searched = [], 0, bool(q.strip() or segment)
    if searched and overview is not None:
        hits, total = recommend.search_customers(wh, q, segment=segment or None, limit=200)
    return render(request, principal, "customers/index.html", title="nav.customers",
                  overview=overview, problem=problem, figure=figure, q=q, segment=segment,
                  hits=hits, total=total, searched=searched)


@router.get("/customers/guide", response_class=HTMLResponse)
def guide_page(request: Request,
               customer_id: Annotated[str, Query(max_length=100)] = "",
               principal: Principal = requires(P.CUSTOMERS_READ, web=True)) -> HTMLResponse:
    return render(request, principal, "customers/guide.html", title="customers.guide",
                  customer_id=customer_id)


@router.get("/customers/{customer_id}", response_class=HTMLResponse)
def customer_page(request: Request, wh: Wh, customer_id: str,
                  principal: Principal = requires(P.CUSTOMERS_READ, web=True)) -> HTMLResponse:
    settings = request.app.state.server.settings
    profile = recommend.customer_profile(wh, customer_id, model_dir=settings.model_dir)
    try:
        again = recommend.buy_again(wh, customer_id, n=10,
                                    lang=page_lang(request, principal))
    except recommend.RecommendError:  # nothing bought yet (or only returned): nothing to list
        again = []
    return render(request, principal, "customers/detail.html", title="customers.customer",
                  c=profile, can_train=principal.may(P.DATA_WRITE), again=again)
