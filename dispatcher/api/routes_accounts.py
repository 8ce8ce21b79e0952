"""Staff accounts (operators and supervisors): list, create, change, disable, reset a password.

Supervisors only. Every change is written to the event log with the supervisor who made it;
passwords and their hashes never leave the store. The last active supervisor can be neither
disabled nor demoted, so that someone can always manage the accounts.
"""

from __future__ import annotations

import re
import threading
import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from dispatcher.api.deps import RuntimeDep, SupervisorDep
from dispatcher.api.security import STAFF_ROLES, hash_password
from dispatcher.credentials import password_weakness
from dispatcher.errors import Conflict, InvalidInput, NotFound
from dispatcher.store import repo, users
from dispatcher.store.tables import User

router = APIRouter(prefix="/api/v1/operator/accounts", tags=["accounts"])

#: Shortest password a staff account may have.
_LOGIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-]{2,31}")
#: Serialises account changes in this process (SQLite); PostgreSQL also locks the rows.
_lock = threading.Lock()

AccountId = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_\-]+$")]


class AccountOut(BaseModel):
    """A staff account as supervisors see it (never its password or hash)."""

    id: str
    login: str
    name: str
    role: str
    disabled: bool
    created_at: datetime


class AccountIn(BaseModel):
    """A new staff account."""

    model_config = ConfigDict(extra="forbid")
    login: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=120)
    role: Literal["operator", "supervisor"] = "operator"
    password: str = Field(min_length=1, max_length=128)


class AccountUpdate(BaseModel):
    """Changes to a staff account (fields left out stay as they are)."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=120)
    role: Literal["operator", "supervisor"] | None = None
    disabled: bool | None = None


class PasswordResetIn(BaseModel):
    """A new password set by a supervisor for another account."""

    model_config = ConfigDict(extra="forbid")
    password: str = Field(min_length=1, max_length=128)


def check_password(password: str, login: str = "") -> None:
    """Refuse a weak staff password by the one rule of :func:`dispatcher.credentials.
    password_weakness` (length, common and development passwords, the login, repeats and runs).

    Raises
    ------
    InvalidInput
        With a message that says what to change.
    """
    weak = password_weakness(password, names=(login,) if login else ())
    if weak is not None:
        raise InvalidInput(weak.ja, weak.en, field="password")


def _out(user: User) -> AccountOut:
    return AccountOut(id=user.id, login=user.login or "", name=user.name, role=user.role,
                      disabled=user.disabled, created_at=user.created_at)


def _staff(s: Session, account_id: str) -> User:
    user = s.get(User, account_id)
    if user is None or user.role not in STAFF_ROLES:
        raise NotFound("アカウントが見つかりません", "account not found", account_id=account_id)
    return user


def _name(name: str) -> str:
    name = name.strip()
    if not name:
        raise InvalidInput("氏名を入力してください", "give the person's name", field="name")
    return name


@router.get("")
def list_accounts(principal: SupervisorDep, runtime: RuntimeDep) -> list[AccountOut]:
    """Staff accounts (operators and supervisors), by login."""
    with Session(runtime.db) as s:
        return [_out(u) for u in users.staff(s, STAFF_ROLES)]


@router.post("", status_code=201)
def create_account(body: AccountIn, principal: SupervisorDep, runtime: RuntimeDep) -> AccountOut:
    """Create an operator's or a supervisor's account."""
    login = body.login.strip()
    if not _LOGIN.fullmatch(login):
        raise InvalidInput("ログインIDは英数字と . _ - の3〜32文字にしてください（先頭は英数字）",
                           "the login must be 3-32 letters, digits, '.', '_' or '-' "
                           "(starting with a letter or digit)", field="login")
    name = _name(body.name)
    check_password(body.password, login)
    with _lock, Session(runtime.db, expire_on_commit=False) as s, s.begin():
        if users.by_login(s, login) is not None:
            raise Conflict("このログインIDはすでに使われています", "this login is already taken",
                           login=login)
        user = User(id=f"op-{uuid.uuid4().hex[:12]}", role=body.role, name=name, login=login,
                    password_hash=hash_password(body.password))
        s.add(user)
        repo.add_event(s, "account_created", actor_id=principal.user_id,
                       at=runtime.engine.now_dt(), account_id=user.id, login=login,
                       role=body.role, name=name)
        s.flush()
        return _out(user)


@router.patch("/{account_id}")
def update_account(body: AccountUpdate, principal: SupervisorDep, runtime: RuntimeDep,
                   account_id: AccountId) -> AccountOut:
    """Change an account's name or role, or disable / enable it."""
    with _lock, Session(runtime.db, expire_on_commit=False) as s, s.begin():
        user = _staff(s, account_id)
        changes: dict[str, object] = {}
        if body.name is not None and _name(body.name) != user.name:
            changes["name"] = _name(body.name)
        if body.role is not None and body.role != user.role:
            changes["role"] = body.role
        if body.disabled is not None and body.disabled != user.disabled:
            changes["disabled"] = body.disabled
        loses_supervisor = user.role == "supervisor" and not user.disabled and (
            changes.get("role") == "operator" or changes.get("disabled") is True)
        if loses_supervisor:
            # Lock the active supervisors' rows (PostgreSQL) so that two supervisors cannot
            # demote each other at the same moment.
            active = users.active_supervisors_locked(s)
            if len(active) <= 1:
                raise Conflict(
                    "最後の有効なスーパーバイザーは無効にも降格にもできません。"
                    "先に別のアカウントをスーパーバイザーにしてください。",
                    "The last active supervisor cannot be disabled or demoted; make another "
                    "account a supervisor first.", account_id=account_id)
        if changes:
            for k, v in changes.items():
                setattr(user, k, v)
            s.add(user)
            repo.add_event(s, "account_updated", actor_id=principal.user_id,
                           at=runtime.engine.now_dt(), account_id=user.id, login=user.login,
                           changes=changes)
        s.flush()
        return _out(user)


@router.post("/{account_id}/password", status_code=204)
def reset_password(body: PasswordResetIn, principal: SupervisorDep, runtime: RuntimeDep,
                   account_id: AccountId) -> Response:
    """Set a new password for another staff account (one's own is changed with the current
    password at ``/api/v1/auth/password``)."""
    if account_id == principal.user_id:
        raise InvalidInput("ご自分のパスワードは「パスワード変更」で変えてください（現在のパスワードが必要です）",
                           "change your own password with 'Change password' (it asks for the "
                           "current one)")
    with _lock, Session(runtime.db) as s, s.begin():
        user = _staff(s, account_id)
        check_password(body.password, user.login or "")
        user.password_hash = hash_password(body.password)
        user.token_version += 1  # the old password's sessions end
        s.add(user)
        repo.add_event(s, "account_password_reset", actor_id=principal.user_id,
                       at=runtime.engine.now_dt(), account_id=user.id, login=user.login)
    return Response(status_code=204)
