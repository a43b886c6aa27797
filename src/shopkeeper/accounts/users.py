"""Users: who can sign in, with which role, and their argon2-hashed password.

Usernames are case-insensitive (kept in lower case). The store always keeps at least one
enabled owner: the last one cannot be disabled or demoted. Every change is audited.
"""

from __future__ import annotations

import contextlib
import re
import secrets
from datetime import datetime
from typing import Any

import duckdb
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel

from shopkeeper.accounts.audit import record
from shopkeeper.accounts.base import AccountError, AuthError, now
from shopkeeper.accounts.roles import ROLES
from shopkeeper.errors import WarehouseError
from shopkeeper.store.warehouse import Warehouse

LANGS = ("en", "zh")
MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # argon2 hashes anything, but a megabyte "password" is an attack
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,63}$")
HASHER = PasswordHasher()  # argon2id with argon2-cffi's current recommended parameters
AUTH_FAILED = "wrong username or password"
_USER_COLUMNS = "user_id, username, display_name, role, disabled, lang, created_at"
_dummy_hash: str | None = None


class User(BaseModel):
    """A person who can sign in. Carries no password hash, so it is safe to return anywhere."""

    user_id: str
    username: str
    display_name: str
    role: str
    disabled: bool
    lang: str
    created_at: datetime

    @property
    def label(self) -> str:
        """The display name, else the username: how the workspace names the person."""
        return self.display_name or self.username


def _user(row: tuple) -> User:
    user_id, username, display_name, role, disabled, lang, created_at = row
    return User(user_id=user_id, username=username, display_name=display_name or "", role=role,
                disabled=bool(disabled), lang=lang or "en", created_at=created_at)


def _public(user: User) -> dict[str, Any]:
    """What the audit log keeps of a user."""
    return user.model_dump(include={"username", "display_name", "role", "disabled", "lang"})


# -- validation ---------------------------------------------------------------------------
def normalise_username(username: str) -> str:
    """The stored form of a username (trimmed, lower case); AccountError if it is not valid."""
    name = (username or "").strip().lower()
    if not USERNAME.match(name):
        raise AccountError(
            f"invalid username {username!r}: use 1 to 64 letters, digits, '.', '_', '@' or '-', "
            "starting with a letter or digit"
        )
    return name


def check_password(password: str) -> None:
    """AccountError unless ``password`` is long enough to be worth hashing."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise AccountError(f"the password is too short: use at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"the password is too long: use at most {MAX_PASSWORD} characters")
    if not password.strip():
        raise AccountError("the password cannot be only spaces")


def check_role(role: str) -> str:
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
    return role


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise AccountError(f"unknown language {lang!r}; use one of {', '.join(LANGS)}")
    return lang


def _check_display_name(display_name: str) -> str:
    name = " ".join((display_name or "").split())
    if len(name) > 100:
        raise AccountError("the display name is too long: use at most 100 characters")
    return name


# -- reading ------------------------------------------------------------------------------
def has_users(wh: Warehouse) -> bool:
    """Whether anyone can sign in yet (if not, the first start offers the setup link)."""
    return bool(wh.query("SELECT count(*) FROM users")[0][0])


def list_users(wh: Warehouse) -> list[User]:
    """Every user, by username."""
    return [_user(r) for r in wh.query(f"SELECT {_USER_COLUMNS} FROM users ORDER BY username")]


def get_user(wh: Warehouse, username_or_id: str) -> User | None:
    """The user with this username (any case) or user id, else None."""
    key = (username_or_id or "").strip()
    rows = wh.query(
        f"SELECT {_USER_COLUMNS} FROM users WHERE user_id = ? OR username = lower(?)", [key, key]
    )
    return _user(rows[0]) if rows else None


def _require(wh: Warehouse, username: str) -> User:
    user = get_user(wh, username)
    if user is None:
        raise AccountError(f"no user called {username!r}; see 'shopkeeper users list'")
    return user


# -- writing ------------------------------------------------------------------------------
def _insert_user(
    wh: Warehouse, username: str, password: str, role: str, display_name: str, lang: str
) -> User:
    """Validate and insert a user; the caller holds the transaction and records the event."""
    name = normalise_username(username)
    check_role(role)
    check_lang(lang)
    check_password(password)
    display_name = _check_display_name(display_name)
    if wh.query("SELECT 1 FROM users WHERE username = ?", [name]):
        raise AccountError(f"the username {name!r} is taken")
    user = User(user_id="u_" + secrets.token_hex(8), username=name, display_name=display_name,
                role=role, disabled=False, lang=lang, created_at=now())
    wh.query(
        "INSERT INTO users (user_id, username, display_name, role, password_hash, disabled, "
        "lang, created_at) VALUES (?, ?, ?, ?, ?, false, ?, ?)",
        [user.user_id, name, display_name, role, HASHER.hash(password), lang, user.created_at],
    )
    return user


def add_user(
    wh: Warehouse,
    username: str,
    password: str,
    role: str,
    *,
    display_name: str = "",
    lang: str = "en",
    actor: str = "system",
    via: str = "cli",
) -> User:
    """Create a user with an argon2-hashed password; audited as ``user.add``."""
    with wh.transaction():
        user = _insert_user(wh, username, password, role, display_name, lang)
        record(wh, actor, "user.add", f"user:{user.username}", after=_public(user), via=via)
    return user


def _enabled_owners(wh: Warehouse) -> int:
    return int(wh.query(
        "SELECT count(*) FROM users WHERE role = 'owner' AND NOT disabled")[0][0])


def update_user(
    wh: Warehouse,
    username: str,
    *,
    role: str | None = None,
    disabled: bool | None = None,
    lang: str | None = None,
    display_name: str | None = None,
    password: str | None = None,
    actor: str,
    via: str,
) -> User:
    """Change a user's role, state, language, name or password; audited as ``user.update``
    with the fields that changed. Disabling a user or changing their password ends their web
    sessions. The last enabled owner can be neither disabled nor demoted."""
    with wh.transaction():
        user = _require(wh, username)
        changes: dict[str, Any] = {}
        if role is not None and check_role(role) != user.role:
            changes["role"] = role
        if disabled is not None and bool(disabled) != user.disabled:
            changes["disabled"] = bool(disabled)
        if lang is not None and check_lang(lang) != user.lang:
            changes["lang"] = lang
        if display_name is not None:
            name = _check_display_name(display_name)
            if name != user.display_name:
                changes["display_name"] = name
        if password is not None:
            check_password(password)
        loses_owner = user.role == "owner" and not user.disabled and (
            changes.get("role", "owner") != "owner" or changes.get("disabled", False))
        if loses_owner and _enabled_owners(wh) <= 1:
            raise AccountError(
                f"{user.username!r} is the only enabled owner: make someone else owner first"
            )
        if not changes and password is None:
            return user
        sets = [f"{column} = ?" for column in changes]
        values = list(changes.values())
        if password is not None:
            sets.append("password_hash = ?")
            values.append(HASHER.hash(password))
        wh.query(f"UPDATE users SET {', '.join(sets)} WHERE user_id = ?", [*values, user.user_id])
        if changes.get("disabled") or password is not None:
            wh.query("UPDATE web_sessions SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL",
                     [now(), user.user_id])
        before = {k: getattr(user, k) for k in changes}
        after = dict(changes)
        if password is not None:
            after["password_changed"] = True
        record(wh, actor, "user.update", f"user:{user.username}", before=before, after=after,
               via=via)
        return user.model_copy(update=changes)


def authenticate(wh: Warehouse, username: str, password: str) -> User:
    """The user whose password this is; AuthError otherwise.

    An unknown user and a wrong password give the same message and take the same time (a
    dummy hash is verified). A disabled user is refused even with the right password. A hash
    made with older argon2 parameters is upgraded on success."""
    global _dummy_hash
    try:
        name = normalise_username(username)
    except AccountError:
        name = ""
    rows = wh.query(f"SELECT {_USER_COLUMNS}, password_hash FROM users WHERE username = ?",
                    [name]) if name else []
    if not rows:
        if _dummy_hash is None:
            _dummy_hash = HASHER.hash(secrets.token_urlsafe(16))
        with contextlib.suppress(VerificationError):
            HASHER.verify(_dummy_hash, password or "")
        raise AuthError(AUTH_FAILED)
    user, stored = _user(rows[0][:-1]), rows[0][-1]
    try:
        HASHER.verify(stored, password or "")
    except (VerificationError, InvalidHashError):
        raise AuthError(AUTH_FAILED) from None
    if user.disabled:
        raise AuthError("this account is disabled; ask the store's owner")
    if HASHER.check_needs_rehash(stored):
        # read-only or busy: the hash is upgraded at the next sign-in instead
        with contextlib.suppress(duckdb.Error, WarehouseError):
            wh.query("UPDATE users SET password_hash = ? WHERE user_id = ?",
                     [HASHER.hash(password), user.user_id])
    return user
