"""Password and PIN hashing (argon2id): the one place credentials are hashed and checked, used by
the store (seeding, rotation) and the API (sign-in, changes)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
#: Verified against when an account does not exist, so that an unknown phone or login takes as
#: long to refuse as a wrong PIN (no account enumeration by timing).
_DUMMY_HASH = _hasher.hash("no account has this password")


def hash_password(secret: str) -> str:
    """Argon2id hash of a password or PIN."""
    return _hasher.hash(secret)


def verify_password(secret: str, hashed: str) -> bool:
    """True if ``secret`` matches ``hashed`` (never raises on a bad hash)."""
    if not hashed:
        return False
    try:
        return _hasher.verify(hashed, secret)
    except (VerificationError, InvalidHashError):
        return False


def verify_or_dummy(secret: str, hashed: str | None) -> bool:
    """Like :func:`verify_password`, but spends the same time when there is no account
    (``hashed`` None or empty) and then answers False."""
    if not hashed:
        verify_password(secret, _DUMMY_HASH)
        return False
    return verify_password(secret, hashed)
