"""API tokens: bearer secrets for the REST API and MCP, scoped read or write, revocable.

A token looks like ``sk_<token_id>_<43 random characters>``. Only its SHA-256 hash is stored,
so the secret is shown once, when it is created; the id in it finds the row, and the hash is
compared in constant time.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta

import duckdb
from pydantic import BaseModel

from shopkeeper.accounts.audit import record
from shopkeeper.accounts.base import AccountError, AuthError, now, secret_hash
from shopkeeper.accounts.roles import SCOPES
from shopkeeper.accounts.users import _USER_COLUMNS, User, _require, _user
from shopkeeper.errors import WarehouseError
from shopkeeper.store.warehouse import Warehouse

PREFIX = "sk_"
MAX_EXPIRES_DAYS = 3650
LAST_USED_EVERY_S = 60  # last_used_at is refreshed at most this often (a write per request is not)
INVALID = "invalid API token"
_INFO_COLUMNS = ("t.token_id, t.user_id, u.username, t.name, t.scope, t.created_at, t.expires_at, "
                 "t.revoked_at, t.last_used_at")


class IssuedToken(BaseModel):
    """A new token with its secret: the only time the secret is ever available."""

    token_id: str
    name: str
    scope: str
    secret: str
    expires_at: datetime | None


class TokenInfo(BaseModel):
    """A token as listed: everything but the secret."""

    token_id: str
    user_id: str
    username: str
    name: str
    scope: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    @property
    def active(self) -> bool:
        """Neither revoked nor expired."""
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now())


def _info(row: tuple) -> TokenInfo:
    keys = ("token_id", "user_id", "username", "name", "scope", "created_at", "expires_at",
            "revoked_at", "last_used_at")
    return TokenInfo(**dict(zip(keys, row, strict=True)))


def _public(info: TokenInfo | IssuedToken) -> dict:
    return info.model_dump(include={"token_id", "name", "scope", "expires_at", "username"})


def create_token(
    wh: Warehouse,
    username: str,
    name: str,
    *,
    scope: str = "read",
    expires_days: int | None = 90,
    actor: str,
    via: str,
) -> IssuedToken:
    """Issue a token for ``username``; the returned secret is never shown again. Audited as
    ``token.create`` (without the secret). ``expires_days=None``: it never expires."""
    if scope not in SCOPES:
        raise AccountError(f"unknown token scope {scope!r}; use one of {', '.join(SCOPES)}")
    name = " ".join((name or "").split())
    if not name or len(name) > 100:
        raise AccountError("give the token a name of 1 to 100 characters (what it is for)")
    if expires_days is not None and not 1 <= int(expires_days) <= MAX_EXPIRES_DAYS:
        raise AccountError(f"expires_days must be from 1 to {MAX_EXPIRES_DAYS} (or none)")
    with wh.transaction():
        user = _require(wh, username)
        if user.disabled:
            raise AccountError(f"{user.username!r} is disabled: enable them before issuing tokens")
        token_id = secrets.token_hex(6)
        secret = f"{PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
        created = now()
        expires = None if expires_days is None else created + timedelta(days=int(expires_days))
        wh.query(
            "INSERT INTO api_tokens (token_id, user_id, name, token_hash, scope, created_at, "
            "expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [token_id, user.user_id, name, secret_hash(secret), scope, created, expires],
        )
        issued = IssuedToken(token_id=token_id, name=name, scope=scope, secret=secret,
                             expires_at=expires)
        record(wh, actor, "token.create", f"token:{token_id}",
               after={**_public(issued), "username": user.username}, via=via)
    return issued


def verify_token(wh: Warehouse, secret: str) -> tuple[User, TokenInfo]:
    """The user and token behind a bearer secret; AuthError if it is unknown, mistyped,
    expired, revoked, or its user is disabled."""
    parts = (secret or "").strip().split("_", 2)
    if len(parts) != 3 or parts[0] + "_" != PREFIX or not parts[1] or not parts[2]:
        raise AuthError(INVALID)
    user_columns = ", ".join(f"u.{c.strip()}" for c in _USER_COLUMNS.split(","))
    rows = wh.query(
        f"SELECT {_INFO_COLUMNS}, t.token_hash, {user_columns} FROM api_tokens t "
        "JOIN users u ON u.user_id = t.user_id WHERE t.token_id = ?",
        [parts[1]],
    )
    # compare even when there is no row, so timing does not tell a real token id
    stored = rows[0][9] if rows else secret_hash(secrets.token_hex(16))
    if not hmac.compare_digest(stored, secret_hash(secret.strip())) or not rows:
        raise AuthError(INVALID)
    info, user = _info(rows[0][:9]), _user(rows[0][10:])
    moment = now()
    if info.revoked_at is not None:
        raise AuthError("this API token was revoked")
    if info.expires_at is not None and info.expires_at <= moment:
        raise AuthError("this API token has expired; create a new one")
    if user.disabled:
        raise AuthError("this account is disabled; ask the store's owner")
    if info.last_used_at is None or (moment - info.last_used_at).total_seconds() > LAST_USED_EVERY_S:
        try:
            wh.query("UPDATE api_tokens SET last_used_at = ? WHERE token_id = ?",
                     [moment, info.token_id])
            info = info.model_copy(update={"last_used_at": moment})
        except (duckdb.Error, WarehouseError):  # read-only, or another request got there first
            pass
    return user, info


def list_tokens(wh: Warehouse, username: str | None = None) -> list[TokenInfo]:
    """Tokens (all, or one user's), newest first, without their secrets."""
    where, params = "", []
    if username is not None:
        where, params = " WHERE t.user_id = ?", [_require(wh, username).user_id]
    rows = wh.query(
        f"SELECT {_INFO_COLUMNS} FROM api_tokens t JOIN users u ON u.user_id = t.user_id"
        f"{where} ORDER BY t.created_at DESC, t.token_id",
        params,
    )
    return [_info(r) for r in rows]


def get_token(wh: Warehouse, token_id: str) -> TokenInfo | None:
    """One token by id, else None."""
    rows = wh.query(f"SELECT {_INFO_COLUMNS} FROM api_tokens t JOIN users u "
                    "ON u.user_id = t.user_id WHERE t.token_id = ?", [token_id])
    return _info(rows[0]) if rows else None


def revoke_token(wh: Warehouse, token_id: str, *, actor: str, via: str) -> TokenInfo:
    """Revoke a token for good; audited as ``token.revoke``. Revoking one already revoked
    changes nothing."""
    with wh.transaction():
        info = get_token(wh, token_id)
        if info is None:
            raise AccountError(f"no API token {token_id!r}; see 'shopkeeper tokens list'")
        if info.revoked_at is not None:
            return info
        moment = now()
        wh.query("UPDATE api_tokens SET revoked_at = ? WHERE token_id = ?", [moment, token_id])
        record(wh, actor, "token.revoke", f"token:{token_id}", before={"revoked_at": None},
               after={**_public(info), "revoked_at": moment}, via=via)
    return info.model_copy(update={"revoked_at": moment})
