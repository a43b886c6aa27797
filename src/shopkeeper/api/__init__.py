"""The REST API face (and the server that also carries the web workspace and MCP).

``create_app(settings)`` builds the ASGI app; ``shopkeeper serve`` runs it with uvicorn.
Routers live in ``shopkeeper.api.routers``, one per capability, mirroring ``shopkeeper.cli``.
"""

from shopkeeper.api.app import API_PREFIX, Server, create_app, warehouse
from shopkeeper.api.problems import Problem, ProblemError
from shopkeeper.api.security import PUBLIC, Principal, requires, route_declarations

__all__ = ["API_PREFIX", "PUBLIC", "Principal", "Problem", "ProblemError", "Server",
           "create_app", "requires", "route_declarations", "warehouse"]
