"""Injected dependencies: the runtime (engine, settings) and the calling principal."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from dispatcher.api.runtime import Runtime
from dispatcher.api.security import Principal, read_token
from dispatcher.errors import Forbidden, NoriaiError
from dispatcher.store.tables import User

_bearer = HTTPBearer(auto_error=False)


class Unauthorized(NoriaiError):
    """No valid token."""

    status = 401
    code = "unauthorized"


def get_runtime(request: Request) -> Runtime:
    """The application's runtime."""
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_principal(
    runtime: RuntimeDep,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller, from the bearer token."""
    if creds is None:
        raise Unauthorized("ログインしてください", "sign in first (bearer token missing)")
    principal = read_token(creds.credentials, runtime.settings.secret_key)
    if principal is not None:
        # A token is void once its account's credentials changed or it signed out (the
        # account's token_version moved on), or when the account is gone or changed role.
        with Session(runtime.db) as s:
            user = s.get(User, principal.user_id)
            if (user is None or user.token_version != principal.version
                    or user.role != principal.role or user.vehicle_id != principal.vehicle_id):
                principal = None
    if principal is None:
        raise Unauthorized("ログインの有効期限が切れました。もう一度ログインしてください。",
                           "the token is invalid or expired; sign in again")
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require(*roles: str):  # type: ignore[no-untyped-def]
    """Dependency that admits only the given roles."""

    def check(principal: PrincipalDep) -> Principal:
        if principal.role not in roles:
            raise Forbidden("この操作の権限がありません", "your role may not do this",
                            role=principal.role)
        return principal

    return check


RiderDep = Annotated[Principal, Depends(require("rider", "operator"))]
OperatorDep = Annotated[Principal, Depends(require("operator"))]
DriverDep = Annotated[Principal, Depends(require("driver"))]
