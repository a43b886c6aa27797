"""Who is asking, and may they: sessions, bearer tokens, CSRF, login throttling, declarations.

Every route declares what it needs with :func:`requires` (or :data:`PUBLIC`); :func:`check_routes`
refuses to build an app with a route that declares nothing. A request is authenticated by a
bearer token (``Authorization: Bearer sk_…``, for the API and MCP) or by the web session cookie.
A cookie-authenticated request that changes something must carry the session's CSRF token
(``X-CSRF-Token`` header or a ``csrf_token`` form field): a page on another site can make the
browser send the cookie, but it cannot read the token.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.routing import APIRoute
from itsdangerous import BadSignature, URLSafeSerializer

from shopkeeper import accounts
from shopkeeper.api.problems import ProblemError

SESSION_COOKIE = "sk_session"
LANG_COOKIE = "sk_lang"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_UNKNOWN = object()


@dataclass(frozen=True)
class Principal:
    """The caller of one request: a user, how they proved it, and what their credential allows."""

    user: accounts.User
    via: str  # "session" | "token"
    scope: str | None = None  # a token's scope; None for a web session (the role decides)
    csrf_token: str = ""
    session_id: str = ""

    @property
    def actor(self) -> str:
        return self.user.username

    def may(self, permission: accounts.Permission) -> bool:
        return accounts.allowed(self.user.role, permission, self.scope)


@dataclass(frozen=True)
class Requirement:
    """A route's declaration: the permission it needs (None: public)."""

    permission: accounts.Permission | None
    web: bool = False  # a page: a missing login redirects to /login instead of a 401

    def __call__(self, request: Request) -> Principal | None:
        if self.permission is None:  # public: a stale or bad credential is just no credential
            try:
                return authenticate(request)
            except ProblemError:
                return None
        principal = authenticate(request)
        if principal is None:
            if self.web:
                raise LoginRequired(str(request.url.path))
            raise ProblemError(401, "sign in, or send 'Authorization: Bearer <token>'",
                               headers={"WWW-Authenticate": "Bearer"})
        if not principal.may(self.permission):
            why = (f"a {principal.scope}-only token cannot {self.permission.value}"
                   if principal.scope == "read" and self.permission.writes
                   else f"the {principal.user.role} role does not include {self.permission.value}")
            raise ProblemError(403, why)
        if request.method not in SAFE_METHODS:
            check_csrf(principal, request.headers.get(CSRF_HEADER, ""))
        return principal


class LoginRequired(Exception):
    """A page was asked for without a session: the web face answers with a redirect."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def requires(permission: accounts.Permission, *, web: bool = False):
    """The dependency a route declares: ``user: Principal = requires(Permission.FINANCE_READ)``."""
    return Depends(Requirement(permission, web=web))


PUBLIC = Depends(Requirement(None))
PUBLIC_PAGE = Depends(Requirement(None, web=True))


def declared(route: APIRoute) -> Requirement | None:
    """The requirement a route declares, found anywhere in its dependency tree."""
    stack = [route.dependant]
    while stack:
        dep = stack.pop()
        if isinstance(dep.call, Requirement):
            return dep.call
        stack.extend(dep.dependencies)
    return None


def api_routes(app: FastAPI) -> Iterator[tuple[str, set[str], APIRoute]]:
    """(full path, methods, route) of every API route, included routers' ones too (FastAPI
    0.16x keeps those behind included-router entries of ``app.routes``)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI before included-router entries: app.routes is flat
        for route in app.routes:
            if isinstance(route, APIRoute):
                yield route.path, set(route.methods), route
        return
    for ctx in iter_route_contexts(app.routes):
        route = ctx.original_route
        if isinstance(route, APIRoute):
            yield ctx.path, set(ctx.methods or route.methods), route


def check_routes(app: FastAPI) -> None:
    """Refuse to start when a route declares neither a permission nor PUBLIC."""
    missing = [f"{','.join(sorted(methods))} {path}" for path, methods, route in api_routes(app)
               if declared(route) is None]
    if missing:
        raise RuntimeError("routes without a declared permission: " + "; ".join(missing))


def route_declarations(app: FastAPI) -> Iterator[tuple[str, str, Requirement]]:
    """(method, path, requirement) for every route: the authorisation matrix is built from it."""
    for path, methods, route in api_routes(app):
        req = declared(route)
        for method in sorted(methods - {"HEAD"}):
            yield method, path, req


# -- authentication ------------------------------------------------------------------------
def authenticate(request: Request) -> Principal | None:
    """The request's principal, from its bearer token or its session cookie; cached per request."""
    known = getattr(request.state, "principal", _UNKNOWN)
    if known is not _UNKNOWN:
        return known
    principal = _from_token(request) or _from_session(request)
    request.state.principal = principal
    return principal


def _from_token(request: Request) -> Principal | None:
    header = request.headers.get("authorization", "")
    if not header:
        return None
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise ProblemError(401, "the Authorization header must be 'Bearer <token>'",
                           headers={"WWW-Authenticate": "Bearer"})
    server = request.app.state.server
    with server.session() as wh:
        try:
            user, token = accounts.verify_token(wh, secret.strip())
        except accounts.AuthError as exc:
            raise ProblemError(401, str(exc), headers={
                "WWW-Authenticate": 'Bearer error="invalid_token"'}) from None
    return Principal(user=user, via="token", scope=token.scope)


def _from_session(request: Request) -> Principal | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    server = request.app.state.server
    try:
        session_id = server.signer.loads(cookie)
    except BadSignature:
        return None
    with server.session() as wh:
        try:
            user, csrf = accounts.session_user(wh, session_id)
        except accounts.AuthError:
            return None
    return Principal(user=user, via="session", csrf_token=csrf, session_id=session_id)


def check_csrf(principal: Principal | None, sent: str) -> None:
    """A change made with the session cookie must carry the session's CSRF token (a header, or
    a form field for the few plain HTML forms); bearer tokens are not sent by browsers unasked."""
    if principal is None or principal.via != "session":
        return
    if not sent or not secrets.compare_digest(sent, principal.csrf_token):
        raise ProblemError(403, "missing or wrong CSRF token: reload the page and try again",
                           kind="csrf")


def session_signer(data_dir: Path) -> URLSafeSerializer:
    """Signs session cookies with a key made once per data folder (kept beside the warehouse)."""
    key_file = data_dir / "server-secret"
    if not key_file.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return URLSafeSerializer(key_file.read_text().strip(), salt="shopkeeper-session")


# -- login throttling ----------------------------------------------------------------------
@dataclass
class LoginThrottle:
    """At most ``per_user`` failed logins per user name and ``per_client`` per address in
    ``window_s`` seconds; beyond that, logins are refused until the window moves on."""

    per_user: int = 5
    per_client: int = 20
    window_s: float = 300.0
    _failures: dict[str, deque] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def retry_after(self, username: str, client: str) -> int:
        """Seconds until a login may be tried again (0: now)."""
        now = time.monotonic()
        with self._lock:
            waits = []
            for key, limit in ((f"u:{username.lower()}", self.per_user),
                               (f"c:{client}", self.per_client)):
                q = self._failures.get(key)
                while q and now - q[0] > self.window_s:
                    q.popleft()
                if q and len(q) >= limit:
                    waits.append(int(self.window_s - (now - q[0])) + 1)
            return max(waits, default=0)

    def failed(self, username: str, client: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in (f"u:{username.lower()}", f"c:{client}"):
                self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(f"u:{username.lower()}", None)


def log_in(request: Request, username: str, password: str) -> tuple[Principal, str]:
    """Check a password (throttled) and open a new session; returns the new principal and the
    signed cookie value. A new session id every time, so a planted cookie is never promoted."""
    server = request.app.state.server
    client = request.client.host if request.client else "?"
    wait = server.throttle.retry_after(username, client)
    if wait:
        raise ProblemError(429, f"too many failed sign-ins: try again in {wait} s",
                           headers={"Retry-After": str(wait)})
    with server.session() as wh:
        try:
            user = accounts.authenticate(wh, username, password)
        except accounts.AuthError as exc:
            server.throttle.failed(username, client)
            raise ProblemError(401, str(exc)) from None
        server.throttle.succeeded(username)
        session_id, csrf = accounts.create_session(wh, user.user_id,
                                                    ttl_seconds=server.session_ttl)
        accounts.record(wh, user.username, "login", f"user:{user.username}", via="web")
    principal = Principal(user=user, via="session", csrf_token=csrf, session_id=session_id)
    return principal, server.signer.dumps(session_id)


def log_out(request: Request, principal: Principal | None) -> None:
    if principal is None or principal.via != "session":
        return
    with request.app.state.server.session() as wh:
        accounts.end_session(wh, principal.session_id)
        accounts.record(wh, principal.actor, "logout", f"user:{principal.actor}", via="web")

