"""Cache warming: the server computes what its pages read from loaded data before anyone asks.

The overview's tiles and alerts, the metrics explorer's default question, the finance report
(which forecasts its outlook), the review charts, the customer segments, the shopping guide's
embedded catalogue and the latest plan's lines are computed once per load (``metrics.cached``)
and shared by every request. On a large store the first computation takes seconds to tens of
seconds (the monthly report on 10M order lines: about 20 s on two cores), so the server does
it in a background job named ``warm``: at start (``create_app(warm=True)``, as ``shopkeeper
serve`` runs it) and after every job that changes what they show (a load, a plan, a review
analysis; see ``jobs.WARM_AFTER``). A visitor who comes first then finds the answers waiting
instead of waiting for them.

The job asks exactly the capability calls the pages ask, with the server's money settings, so
it fills the same cache entries. A part that cannot be computed (no orders loaded yet, no plan)
is skipped and named in the job's result. The job is not audited: it changes no data.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from shopkeeper import accounts, finance, inventory, metrics, recommend, reviews
from shopkeeper.api.jobs import WARM_KIND, JobContext, job_kind
from shopkeeper.api.routers.metrics import run_query
from shopkeeper.api.routers.overview import has_orders, overview_data
from shopkeeper.api.security import Principal
from shopkeeper.errors import ShopkeeperError

P = accounts.Permission
LANGS = ("en", "zh")
TILE_PERIODS = ("month", "week", "day", "quarter")
EXPLORER_DEFAULT = (["net_revenue", "orders"], ["month"])  # the metrics page's first question
STOCK_PAGE_ROWS = 200  # the Demand & stock page's plan and excess tables (its PLAN_ROWS)


def _server_principal() -> Principal:
    """An owner-shaped caller that sees every part of the overview (nothing is written)."""
    user = accounts.User(user_id="server", username="server", display_name="server",
                         role="owner", disabled=False, lang="en",
                         created_at=datetime.now(UTC))
    return Principal(user=user, via="server")


def steps(ctx: JobContext) -> list[tuple[str, Callable[[], Any]]]:
    """What to compute, in the order visitors need it: the overview first."""
    wh, settings = ctx.wh, ctx.settings
    money = {"report_currency": settings.report_currency, "fx_rates": settings.fx_rates}
    owner = _server_principal()
    out: list[tuple[str, Callable[[], Any]]] = []
    if has_orders(wh):
        out += [(f"overview ({period})", lambda p=period: overview_data(wh, settings, owner, p))
                for period in TILE_PERIODS]
        names, by = EXPLORER_DEFAULT
        out.append(("metrics explorer", lambda: run_query(wh, settings, names, by, {}, None,
                                                          None, None)))
        out += [(f"finance report ({lang})", lambda lang=lang: (
            finance.report_summary(wh, "month", lang=lang, **money),
            finance.report_charts(wh, "month", lang=lang, **money))) for lang in LANGS]
    out.append(("warehouse status", lambda: metrics.warehouse_status(wh)))
    out.append(("review insights", lambda: reviews.review_insights(wh)))
    out += [(f"review charts ({lang})", lambda lang=lang: reviews.insight_charts(wh, lang=lang))
            for lang in LANGS]
    out.append(("customer segments", lambda: recommend.segment_overview(wh)))
    if wh.query("SELECT count(*) FROM products")[0][0]:  # embedding it takes seconds
        out.append(("shopping guide catalogue",
                     lambda: recommend.guide_catalogue(wh, settings.model_dir)))
    out.append(("plan lines", lambda: inventory.plan_lines(wh, None, orders_only=True,
                                                           limit=STOCK_PAGE_ROWS)))
    out.append(("excess stock", lambda: inventory.excess_stock(wh, None,
                                                               limit=STOCK_PAGE_ROWS)))
    return out


@job_kind(WARM_KIND, P.DATA_WRITE)
def warm_job(ctx: JobContext) -> dict[str, Any]:
    """Compute the pages' cached aggregates; returns seconds per part and what was skipped."""
    todo = steps(ctx)
    seconds: dict[str, float] = {}
    skipped: dict[str, str] = {}
    for n, (name, compute) in enumerate(todo):
        ctx.progress(f"computing {name}", n / len(todo))
        t0 = time.perf_counter()
        try:
            compute()
        except ShopkeeperError as exc:  # nothing to show yet (no plan, no reviews…)
            skipped[name] = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            continue
        seconds[name] = round(time.perf_counter() - t0, 3)
    return {"after": ctx.params.get("after", "start"), "seconds": seconds, "skipped": skipped,
            "total_s": round(sum(seconds.values()), 3)}
