"""Web sessions and the one-time setup link.

A session id is 256 random bits, new at every sign-in (so a planted id is never adopted), and
stored only as its SHA-256 hash, next to the session's CSRF token. Sessions expire, end at
logout, and end when their user is disabled or changes password.

A store with no users can be claimed once: :func:`create_setup_secret` makes a secret for the
link the server prints, and :func:`complete_setup` spends it on creating the owner.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from shopkeeper.accounts.audit import record
from shopkeeper.accounts.base import AccountError, AuthError, now, secret_hash
from shopkeeper.accounts.users import _USER_COLUMNS, User, _insert_user, _public, _user, has_users
from shopkeeper.store.warehouse import Warehouse

SESSION_TTL_S = 8 * 3600
KEEP_ENDED_DAYS = 7  # ended or expired sessions are deleted after this long
NO_SESSION = "not signed in, or the session has ended; sign in again"
BAD_SETUP = "this setup link is not valid: it was used, replaced by a newer one, or mistyped"


def create_session(wh: Warehouse, user_id: str, *, ttl_seconds: int = SESSION_TTL_S
                   ) -> tuple[str, str]:
    """Start a session for an enabled user: returns (session id for the cookie, CSRF token)."""
    rows = wh.query("SELECT disabled FROM users WHERE user_id = ?", [user_id])
    if not rows or rows[0][0]:
        raise AuthError(NO_SESSION)
    session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    moment = now()
    with wh.transaction():
        wh.query("DELETE FROM web_sessions WHERE expires_at < ?",
                 [moment - timedelta(days=KEEP_ENDED_DAYS)])
        wh.query(
            "INSERT INTO web_sessions (session_hash, user_id, csrf_token, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [secret_hash(session_id), user_id, csrf, moment,
             moment + timedelta(seconds=int(ttl_seconds))],
        )
    return session_id, csrf


def session_user(wh: Warehouse, session_id: str) -> tuple[User, str]:
    """The user signed in with this session id and the session's CSRF token; AuthError if the
    session is unknown, expired or ended, or the user is disabled."""
    if not session_id:
        raise AuthError(NO_SESSION)
    user_columns = ", ".join(f"u.{c.strip()}" for c in _USER_COLUMNS.split(","))
    rows = wh.query(
        f"SELECT s.csrf_token, s.expires_at, s.ended_at, {user_columns} FROM web_sessions s "
        "JOIN users u ON u.user_id = s.user_id WHERE s.session_hash = ?",
        [secret_hash(session_id)],
    )
    if not rows:
        raise AuthError(NO_SESSION)
    csrf, expires_at, ended_at = rows[0][:3]
    user = _user(rows[0][3:])
    if ended_at is not None or expires_at <= now() or user.disabled:
        raise AuthError(NO_SESSION)
    return user, csrf


def end_session(wh: Warehouse, session_id: str) -> None:
    """Log out: the session id stops working at once. Unknown ids are ignored."""
    if session_id:
        wh.query("UPDATE web_sessions SET ended_at = ? "
                 "WHERE session_hash = ? AND ended_at IS NULL", [now(), secret_hash(session_id)])


def create_setup_secret(wh: Warehouse) -> str:
    """A one-time secret for the setup link, only while the store has no users. Any earlier
    unused secret stops working: only the newest printed link is valid."""
    with wh.transaction():
        if has_users(wh):
            raise AccountError("the store already has users: sign in, or ask the owner to add you")
        moment = now()
        secret = secrets.token_urlsafe(32)
        wh.query("UPDATE setup_secrets SET used_at = ? WHERE used_at IS NULL", [moment])
        wh.query("INSERT INTO setup_secrets (secret_hash, created_at) VALUES (?, ?)",
                 [secret_hash(secret), moment])
    return secret


def complete_setup(
    wh: Warehouse,
    secret: str,
    username: str,
    password: str,
    *,
    display_name: str = "",
    lang: str = "en",
    via: str = "web",
) -> User:
    """Spend the setup secret on creating the store's first owner; audited as
    ``setup.complete``. A bad password leaves the secret usable; afterwards it never works."""
    with wh.transaction():
        rows = wh.query("SELECT secret_hash FROM setup_secrets WHERE secret_hash = ? "
                        "AND used_at IS NULL", [secret_hash(secret or "")])
        if not rows or has_users(wh):
            raise AuthError(BAD_SETUP)
        user = _insert_user(wh, username, password, "owner", display_name, lang)
        wh.query("UPDATE setup_secrets SET used_at = ? WHERE secret_hash = ?", [now(), rows[0][0]])
        record(wh, user.username, "setup.complete", f"user:{user.username}",
               after=_public(user), via=via)
    return user
