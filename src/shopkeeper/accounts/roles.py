"""Roles and permissions: which role may do what, and what a read-only token may never do.

The table is written out here once; the API, the web workspace and MCP declare a
:class:`Permission` on every route and tool and ask :func:`allowed`.
"""

from __future__ import annotations

from enum import StrEnum

ROLES: tuple[str, ...] = ("owner", "analyst", "operator", "agent", "viewer")
SCOPES: tuple[str, ...] = ("read", "write")


class Permission(StrEnum):
    """What a route or tool needs. ``.writes`` tells the ones a read-scoped token never gets."""

    OVERVIEW_READ = "overview.read"
    FINANCE_READ = "finance.read"
    METRICS_READ = "metrics.read"
    DATA_READ = "data.read"
    DATA_WRITE = "data.write"
    STOCK_READ = "stock.read"
    STOCK_APPROVE = "stock.approve"
    REVIEWS_READ = "reviews.read"
    REVIEWS_APPROVE = "reviews.approve"
    CONTENT_READ = "content.read"
    CONTENT_WRITE = "content.write"
    SERVICE_READ = "service.read"
    SERVICE_REPLY = "service.reply"
    SERVICE_APPROVE = "service.approve"
    CUSTOMERS_READ = "customers.read"
    AUDIT_READ = "audit.read"
    SETTINGS_READ = "settings.read"
    SETTINGS_WRITE = "settings.write"
    USERS_MANAGE = "users.manage"
    JOBS_READ = "jobs.read"
    ACCOUNT_SELF = "account.self"  # one's own language, password and API tokens

    @property
    def writes(self) -> bool:
        """Whether using it changes something (so a read-scoped token may not)."""
        return self in _WRITES


_WRITES = frozenset({
    Permission.DATA_WRITE, Permission.STOCK_APPROVE, Permission.REVIEWS_APPROVE,
    Permission.CONTENT_WRITE, Permission.SERVICE_REPLY, Permission.SERVICE_APPROVE,
    Permission.SETTINGS_WRITE, Permission.USERS_MANAGE, Permission.ACCOUNT_SELF,
})

_READERS = frozenset({"owner", "analyst", "operator", "viewer"})
_STAFF = frozenset({"owner", "analyst", "operator"})
_APPROVERS = frozenset({"owner", "operator"})

PERMISSIONS: dict[Permission, frozenset[str]] = {
    Permission.OVERVIEW_READ: _READERS,
    Permission.FINANCE_READ: _READERS,
    Permission.METRICS_READ: _READERS,
    Permission.DATA_READ: _STAFF,
    Permission.DATA_WRITE: _APPROVERS,
    Permission.STOCK_READ: _READERS,
    Permission.STOCK_APPROVE: _APPROVERS,
    Permission.REVIEWS_READ: _READERS,
    Permission.REVIEWS_APPROVE: _APPROVERS,
    Permission.CONTENT_READ: _STAFF,
    Permission.CONTENT_WRITE: _APPROVERS,
    Permission.SERVICE_READ: frozenset({"owner", "analyst", "operator", "agent"}),
    Permission.SERVICE_REPLY: frozenset({"owner", "operator", "agent"}),
    Permission.SERVICE_APPROVE: _APPROVERS,
    Permission.CUSTOMERS_READ: _STAFF,
    Permission.AUDIT_READ: frozenset({"owner", "analyst"}),
    Permission.SETTINGS_READ: frozenset({"owner", "analyst"}),
    Permission.SETTINGS_WRITE: frozenset({"owner"}),
    Permission.USERS_MANAGE: frozenset({"owner"}),
    Permission.JOBS_READ: frozenset(ROLES),
    Permission.ACCOUNT_SELF: frozenset(ROLES),
}


def allowed(role: str, permission: Permission | str, scope: str | None = None) -> bool:
    """Whether ``role`` holds ``permission``; with ``scope="read"`` (a read-only token) never one
    that writes. An unknown role, permission or scope is denied, never an error."""
    try:
        permission = Permission(permission)
    except ValueError:
        return False
    if scope is not None and scope not in SCOPES:
        return False
    if scope == "read" and permission.writes:
        return False
    return role in PERMISSIONS[permission]


def permissions_of(role: str, scope: str | None = None) -> list[Permission]:
    """Every permission ``role`` holds (under ``scope``), in declaration order: for display."""
    return [p for p in Permission if allowed(role, p, scope)]
