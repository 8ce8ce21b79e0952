"""Injected dependencies: the runtime (engine, settings) and the calling principal."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from dispatcher.api.deployment import SCOPE_KEY, Deployment
from dispatcher.api.runtime import Runtime
from dispatcher.api.security import STAFF_ROLES, Principal, read_token
from dispatcher.errors import Forbidden, NoriaiError
from dispatcher.store.tables import User

_bearer = HTTPBearer(auto_error=False)


class Unauthorized(NoriaiError):
    """No valid token."""

    status = 401
    code = "unauthorized"


class AccountDisabled(Unauthorized):
    """The account was disabled: it may not sign in, and its tokens are refused."""

    code = "account_disabled"
    MESSAGE = ("このアカウントは無効になっています。管理者（スーパーバイザー）にお問い合わせください。",
               "This account has been disabled; ask a supervisor.")


class OtherArea(Unauthorized):
    """The token was issued in another service area of the deployment."""

    code = "other_area"
    MESSAGE = ("このログインは別の地域のサービスのものです。この地域のサービスでログインしてください。",
               "This sign-in belongs to another service area; sign in to this area's service.")


def get_runtime(request: Request) -> Runtime:
    """The runtime of the service area the request is addressed to (``/a/<area>/...``; the
    deployment's first area at the root)."""
    deployment: Deployment = request.app.state.deployment
    return deployment.area(request.scope.get(SCOPE_KEY))


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_principal(
    request: Request,
    runtime: RuntimeDep,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller, from the bearer token, which must have been issued in this service area."""
    if creds is None:
        raise Unauthorized("ログインしてください", "sign in first (bearer token missing)")
    principal = read_token(creds.credentials, runtime.settings.secret_key)
    if principal is None:
        raise Unauthorized("ログインの有効期限が切れました。もう一度ログインしてください。",
                           "the token is invalid or expired; sign in again")
    issued_in = principal.area or request.app.state.deployment.default_id
    if issued_in != runtime.service.id:
        raise OtherArea(*OtherArea.MESSAGE)
    with Session(runtime.db) as s:
        user = s.get(User, principal.user_id)
    return current_account(principal, user)


def current_account(principal: Principal, user: User | None) -> Principal:
    """The principal as its account is now (one read per request).

    A token is void once its account's credentials changed or it signed out (the account's
    ``token_version`` moved on), or when the account is gone or changed vehicle or kind; a
    disabled account is refused with its own message. Staff get the role and name the account
    has now (a promotion or demotion between operator and supervisor counts at once).
    """
    if (user is None or user.token_version != principal.version
            or user.vehicle_id != principal.vehicle_id):
        raise Unauthorized("ログインの有効期限が切れました。もう一度ログインしてください。",
                           "the token is invalid or expired; sign in again")
    if user.disabled:
        raise AccountDisabled(*AccountDisabled.MESSAGE)
    if principal.role in STAFF_ROLES and user.role in STAFF_ROLES:
        return Principal(user.id, user.role, user.vehicle_id, user.name, principal.version,
                         principal.area)
    if user.role != principal.role:
        raise Unauthorized("ログインの有効期限が切れました。もう一度ログインしてください。",
                           "the account changed; sign in again")
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


RiderDep = Annotated[Principal, Depends(require("rider", *STAFF_ROLES))]
#: Every operator route: operators and supervisors.
OperatorDep = Annotated[Principal, Depends(require(*STAFF_ROLES))]
#: Staff account management: supervisors only.
SupervisorDep = Annotated[Principal, Depends(require("supervisor"))]
DriverDep = Annotated[Principal, Depends(require("driver"))]
