"""Accounts: who may use the workspace and what they may do, and the record of what they did.

- users with a role (owner, analyst, operator, agent, viewer) and an argon2-hashed password;
- permissions per role (:data:`PERMISSIONS`, :func:`allowed`), which every API route, web page
  and MCP tool declares;
- API tokens (read or write scope, expiring, revocable, stored hashed, shown once);
- web sessions (a new random id per sign-in, a CSRF token, expiry, logout);
- the one-time setup link that creates the first owner;
- the audit log of every write, exportable to CSV or JSON Lines.

Every write runs in one ``wh.transaction()`` with its audit event. See ``docs/accounts.md``.
"""

from shopkeeper.accounts.audit import (
    AuditEvent,
    audit_count,
    audit_log,
    export_audit,
    record,
    scrub,
)
from shopkeeper.accounts.base import AccountError, AuthError
from shopkeeper.accounts.roles import (
    PERMISSIONS,
    ROLES,
    SCOPES,
    Permission,
    allowed,
    permissions_of,
)
from shopkeeper.accounts.sessions import (
    complete_setup,
    create_session,
    create_setup_secret,
    end_session,
    session_user,
)
from shopkeeper.accounts.tokens import (
    IssuedToken,
    TokenInfo,
    create_token,
    get_token,
    list_tokens,
    revoke_token,
    verify_token,
)
from shopkeeper.accounts.users import (
    LANGS,
    MIN_PASSWORD,
    User,
    add_user,
    authenticate,
    get_user,
    has_users,
    list_users,
    update_user,
)

__all__ = [
    "LANGS", "MIN_PASSWORD", "PERMISSIONS", "ROLES", "SCOPES", "AccountError", "AuditEvent",
    "AuthError", "IssuedToken", "Permission", "TokenInfo", "User", "add_user", "allowed",
    "audit_count", "audit_log", "authenticate", "complete_setup", "create_session",
    "create_setup_secret", "create_token", "end_session", "export_audit", "get_token",
    "get_user", "has_users", "list_tokens", "list_users", "permissions_of", "record",
    "revoke_token", "scrub", "session_user", "update_user", "verify_token",
]
