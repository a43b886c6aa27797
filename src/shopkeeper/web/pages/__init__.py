"""Every page router of the workspace; ``PAGES`` is what ``web.install`` includes."""

from shopkeeper.web.pages import auth, data, settings, stock

PAGES = [auth.router, data.router, settings.router, stock.router]

from shopkeeper.web.pages import customers, service  # noqa: E402

PAGES += [service.router, customers.router]

from shopkeeper.web.pages import content, reviews  # noqa: E402

PAGES += [reviews.router, content.router]

from shopkeeper.web.pages import finance, metrics, overview  # noqa: E402

PAGES += [overview.router, finance.router, metrics.router]
