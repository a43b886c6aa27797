"""What the accounts modules share: their errors, the clock, hashing of high-entropy secrets."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from shopkeeper.errors import ShopkeeperError


class AccountError(ShopkeeperError, ValueError):
    """Bad input to an account operation: a taken username, a weak password, an unknown role…"""


class AuthError(ShopkeeperError):
    """Authentication failed. The message never tells whether the user exists."""


def now() -> datetime:
    """The current time, in UTC, as stored in every TIMESTAMPTZ column here."""
    return datetime.now(UTC)


def secret_hash(secret: str) -> str:
    """SHA-256 of a random secret (token, session id, setup secret), as stored at rest.

    These secrets carry 256 random bits, so a fast hash is enough: there is nothing to guess.
    Passwords, which people choose, use argon2 instead (see ``users``)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
