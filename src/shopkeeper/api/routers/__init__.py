"""One router per capability, mirroring the CLI's modules; ``ROUTERS`` is what the app mounts."""

from shopkeeper.api.routers import admin, auth, data, jobs, metrics

ROUTERS = [auth.router, admin.router, jobs.router, data.router, metrics.router]
