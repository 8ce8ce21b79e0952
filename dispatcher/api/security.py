"""Passwords (argon2id) and signed access tokens (JWT, HS256) with roles."""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

#: Every role a token may carry.
ROLES = ("rider", "driver", "operator", "supervisor")
#: The operations staff: both run the console; a supervisor also manages the staff accounts.
STAFF_ROLES = ("operator", "supervisor")
_hasher = PasswordHasher()


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


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: user id, role, and the vehicle of a driver."""

    user_id: str
    role: str
    vehicle_id: str | None = None
    name: str = ""


def issue_token(principal: Principal, secret: str, ttl_s: int, now: float | None = None) -> str:
    """A signed token for ``principal`` valid for ``ttl_s`` seconds."""
    issued = int(now if now is not None else time.time())
    claims = {
        "sub": principal.user_id,
        "role": principal.role,
        "veh": principal.vehicle_id,
        "name": principal.name,
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
    return Principal(str(claims["sub"]), claims["role"], claims.get("veh"), claims.get("name", ""))
