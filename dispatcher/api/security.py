"""Passwords (argon2id) and signed access tokens (JWT, HS256) with roles."""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

#: Roles a token may carry (a new role is added here and in deps' role checks).
ROLES = ("rider", "driver", "operator")
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


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: user id, role, and the vehicle of a driver."""

    user_id: str
    role: str
    vehicle_id: str | None = None
    name: str = ""
    #: The account's token version when the token was issued (see ``User.token_version``).
    version: int = 0


def issue_token(principal: Principal, secret: str, ttl_s: int, now: float | None = None) -> str:
    """A signed token for ``principal`` valid for ``ttl_s`` seconds."""
    issued = int(now if now is not None else time.time())
    claims = {
        "sub": principal.user_id,
        "role": principal.role,
        "veh": principal.vehicle_id,
        "name": principal.name,
        "ver": principal.version,
        "iat": issued,
        "exp": issued + ttl_s,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def read_token(token: str, secret: str) -> Principal | None:
    """The principal of a valid token, or None when invalid or expired."""
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["exp", "sub"]})
    except jwt.PyJWTError:
        return None
    if claims.get("role") not in ROLES:
        return None
    version = claims.get("ver", 0)
    if not isinstance(version, int) or isinstance(version, bool):
        return None
    return Principal(str(claims["sub"]), claims["role"], claims.get("veh"), claims.get("name", ""),
                     version)
