"""One router per capability, mirroring the CLI's modules; ``ROUTERS`` is what the app mounts."""

from shopkeeper.api.routers import (
    admin,
    ask,
    auth,
    content,
    customers,
    data,
    finance,
    jobs,
    metrics,
    overview,
    reviews,
    service,
    settings,
    stock,
)

ROUTERS = [auth.router, admin.router, jobs.router, data.router, overview.router, metrics.router,
           ask.router, finance.router, stock.router, reviews.router, content.router,
           service.router, customers.router, settings.router]
