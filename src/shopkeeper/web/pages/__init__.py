"""Every page router of the workspace, in navigation order; ``PAGES`` is what ``web.install``
includes."""

from shopkeeper.web.pages import (
    auth,
    content,
    customers,
    data,
    finance,
    metrics,
    overview,
    reviews,
    service,
    settings,
    stock,
)

PAGES = [auth.router, overview.router, data.router, finance.router, metrics.router,
         stock.router, reviews.router, content.router, service.router, customers.router,
         settings.router]
