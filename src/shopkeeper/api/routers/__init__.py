"""One router per capability, mirroring the CLI's modules; ``ROUTERS`` is what the app mounts."""

from shopkeeper.api.routers import admin, auth, data, jobs, metrics, settings, stock

ROUTERS = [auth.router, admin.router, jobs.router, data.router, metrics.router, settings.router,
           stock.router]

from shopkeeper.api.routers import content, reviews  # noqa: E402

ROUTERS += [reviews.router, content.router]

from shopkeeper.api.routers import customers, service  # noqa: E402

ROUTERS += [service.router, customers.router]

from shopkeeper.api.routers import finance, overview  # noqa: E402

ROUTERS += [overview.router, finance.router]
