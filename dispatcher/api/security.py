"""Signed access tokens (JWT, HS256) with roles; password hashing is :mod:`dispatcher.passwords`
(re-exported here for the API)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt

from dispatcher.passwords import hash_password, verify_or_dummy, verify_password

#: Every role a token may carry.
ROLES = ("rider", "driver", "operator", "supervisor")
#: The operations staff: both run the console; a supervisor also manages the staff accounts.
STAFF_ROLES = ("operator", "supervisor")

__all__ = ["ROLES", "STAFF_ROLES", "Principal", "hash_password", "issue_token", "read_token",
           "verify_or_dummy", "verify_password"]


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: user id, role, and the vehicle of a driver."""

    user_id: str
    role: str
    vehicle_id: str | None = None
    name: str = ""
    #: The account's token version when the token was issued (see ``User.token_version``).
    version: int = 0
    #: The service area the token was issued in ("" in tokens from before areas existed:
    #: the deployment's first area).
    area: str = ""


def issue_token(principal: Principal, secret: str, ttl_s: int, now: float | None = None) -> str:
    """A signed token for ``principal`` valid for ``ttl_s`` seconds."""
    issued = int(now if now is not None else time.time())
    claims = {
        "sub": principal.user_id,
        "role": principal.role,
        "veh": principal.vehicle_id,
        "name": principal.name,
        "ver": principal.version,
        "area": principal.area,
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
    area = claims.get("area", "")
    if not isinstance(area, str):
        return None
    return Principal(str(claims["sub"]), claims["role"], claims.get("veh"), claims.get("name", ""),
                     version, area)
