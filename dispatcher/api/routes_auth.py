"""Sign-up (riders: phone + PIN), sign-in (riders, drivers, operators), credential changes and
sign-out.

Every credential check is throttled per account and per source (:mod:`dispatcher.api.throttle`)
and spends the same argon2 work whether or not the account exists, and no answer tells a
stranger whether a phone number has an account beyond what SECURITY.md accepts (a taken number
at registration answers with a generic refusal that counts as a failed try).
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response
from sqlmodel import Session

from dispatcher.api.deps import AccountDisabled, PrincipalDep, RuntimeDep, Unauthorized
from dispatcher.api.runtime import Runtime
from dispatcher.api.schemas import (
    LoginIn,
    MeOut,
    PasswordChangeIn,
    PinChangeIn,
    RegisterIn,
    TokenOut,
)
from dispatcher.api.security import (
    Principal,
    hash_password,
    issue_token,
    verify_or_dummy,
    verify_password,
)
from dispatcher.api.throttle import Key
from dispatcher.credentials import password_weakness, pin_weakness
from dispatcher.errors import Conflict, Forbidden, InvalidInput, NoriaiError
from dispatcher.store import repo, users
from dispatcher.store.tables import User

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class WrongCredential(NoriaiError):
    """The current password or PIN given to change it is wrong."""

    status = 400
    code = "wrong_credential"


class CannotRegister(Conflict):
    """A sign-up that cannot create an account (see SECURITY.md, account enumeration)."""

    code = "cannot_register"


def normalise_phone(phone: str) -> str:
    """Digits of a phone number (and a leading +), so 0848-00-0000 and 0848000000 match."""
    digits = "".join(c for c in phone if c.isdigit())
    return ("+" + digits) if phone.strip().startswith("+") else digits


def source_of(request: Request) -> Key:
    """The throttle key of the caller's address (the proxy's client when uvicorn trusts it)."""
    return ("ip", request.client.host if request.client else "unknown")


def account_key(*, phone: str | None = None, login: str | None = None) -> Key:
    """The throttle key of an account named by phone or login (whether it exists or not)."""
    return ("account", f"phone:{phone}") if phone else ("account", f"login:{login}")


def user_account_key(user: User) -> Key:
    """The throttle key of an existing account (the name it signs in with)."""
    return account_key(phone=user.phone) if user.phone and not user.login else \
        account_key(login=user.login)


def _token(runtime: Runtime, user: User) -> TokenOut:
    p = Principal(user.id, user.role, user.vehicle_id, user.name, user.token_version,
                  runtime.service.id)
    return TokenOut(access_token=issue_token(p, runtime.settings.secret_key,
                                             runtime.settings.token_ttl_s),
                    role=user.role, user_id=user.id, vehicle_id=user.vehicle_id, name=user.name)


def weak_pin(pin: str) -> None:
    """Refuse a weak PIN (422) as the LINE dialogue does."""
    weakness = pin_weakness(pin)
    if weakness is not None:
        raise InvalidInput(weakness.ja + "。別の暗証番号にしてください。", weakness.en, field="pin")


@router.post("/register", status_code=201)
def register(body: RegisterIn, request: Request, runtime: RuntimeDep) -> TokenOut:
    """Create a rider account with a phone number and a PIN.

    A number that already has an account is not re-created: with that account's PIN it simply
    signs in (a rider who signs up twice gets in); with another PIN the answer is a generic
    409 ``cannot_register`` that tells the rider to sign in or call the office, counted as a
    failed sign-in of that number.
    """
    phone = normalise_phone(body.phone)
    if len(phone) < 6:
        raise InvalidInput("電話番号が正しくありません", "the phone number is not valid")
    if body.home_stop_id and body.home_stop_id not in runtime.engine.stop_place:
        raise InvalidInput("不明な乗り場です", f"unknown stop: {body.home_stop_id}")
    weak_pin(body.pin)
    account, source = account_key(phone=phone), source_of(request)
    runtime.throttle.check(account, source)
    pin_hash = hash_password(body.pin)  # spent on both paths: the same time either way
    with Session(runtime.db, expire_on_commit=False) as s, s.begin():
        existing = users.by_phone(s, phone)
        if existing is None:
            user = User(id=f"r-{uuid.uuid4().hex[:12]}", role="rider", name=body.name,
                        name_kana=body.name_kana, phone=phone, lang=body.lang,
                        home_stop_id=body.home_stop_id, password_hash=pin_hash)
            s.add(user)
            repo.add_event(s, "rider_registered", actor_id=user.id, at=runtime.engine.now_dt())
            s.flush()
            s.expunge(user)
    if existing is not None:
        if existing.role != "rider" or not verify_password(body.pin, existing.password_hash):
            runtime.throttle.failed(account, source)
            raise CannotRegister(
                "この電話番号では新しく登録できません。登録済みの方は「ログイン」から電話番号と"
                "暗証番号でお入りください。暗証番号を忘れた場合は営業所にお電話ください。",
                "A new account cannot be made with this phone number. If you have signed up "
                "before, sign in with your phone number and PIN; if you forgot your PIN, call "
                "the office.")
        runtime.throttle.succeeded(account)
        return _token(runtime, existing)
    return _token(runtime, user)


@router.post("/login")
def login(body: LoginIn, request: Request, runtime: RuntimeDep) -> TokenOut:
    """Sign in; answers 401 with the same message (and after the same work) for an unknown
    account or a wrong secret, and 429 with Retry-After after repeated failures."""
    if body.phone:
        phone = normalise_phone(body.phone)
        account = account_key(phone=phone)
    elif body.login:
        account = account_key(login=body.login)
    else:
        raise InvalidInput("電話番号またはログインIDを入力してください", "give a phone or a login")
    source = source_of(request)
    runtime.throttle.check(account, source)
    with Session(runtime.db, expire_on_commit=False) as s:
        user = users.by_phone(s, phone) if body.phone else users.by_login(s, body.login or "")
    if not verify_or_dummy(body.password, user.password_hash if user else None) or user is None:
        runtime.throttle.failed(account, source)
        raise Unauthorized("電話番号（ID）または暗証番号が違います", "wrong phone/login or PIN/password")
    if user.disabled:
        raise AccountDisabled(*AccountDisabled.MESSAGE)
    runtime.throttle.succeeded(account)
    return _token(runtime, user)


def _change_secret(runtime: Runtime, request: Request, principal: Principal, current: str,
                   new_hash_of: str, event: str) -> None:
    """Check ``current`` (throttled) and store ``new_hash_of`` hashed, revoking every token."""
    with Session(runtime.db, expire_on_commit=False) as s:
        user = s.get(User, principal.user_id)
    if user is None:
        raise Unauthorized("アカウントが見つかりません", "account not found")
    account, source = user_account_key(user), source_of(request)
    runtime.throttle.check(account, source)
    if not verify_password(current, user.password_hash):
        runtime.throttle.failed(account, source)
        what = ("暗証番号", "PIN") if user.role == "rider" else ("パスワード", "password")
        raise WrongCredential(f"今の{what[0]}が違います", f"the current {what[1]} is wrong")
    runtime.throttle.succeeded(account)
    new_hash = hash_password(new_hash_of)
    with Session(runtime.db) as s, s.begin():
        row = s.get(User, user.id)
        if row is None:
            raise Unauthorized("アカウントが見つかりません", "account not found")
        row.password_hash = new_hash
        row.token_version += 1
        s.add(row)
        repo.add_event(s, event, actor_id=user.id, at=runtime.engine.now_dt(), channel="api")


@router.post("/password", status_code=204, response_class=Response)
def change_password(body: PasswordChangeIn, request: Request, principal: PrincipalDep,
                    runtime: RuntimeDep) -> Response:
    """Change one's own password (operators, drivers and other staff): 204, and every token of
    the account is revoked (sign in again). 400 for a wrong current password, 422 for a weak
    new one, 429 after repeated failures."""
    if principal.role == "rider":
        raise Forbidden("利用者の方は暗証番号の変更（/api/v1/auth/pin）をお使いください",
                        "riders change their PIN with /api/v1/auth/pin")
    with Session(runtime.db) as s:
        user = s.get(User, principal.user_id)
        login_name = (user.login or "") if user else ""
    weakness = password_weakness(body.new_password, names=(login_name, principal.user_id))
    if weakness is not None:
        raise InvalidInput(weakness.ja, weakness.en, field="new_password")
    if body.new_password == body.current_password:
        raise InvalidInput("新しいパスワードは今のものと変えてください",
                           "the new password must differ from the current one",
                           field="new_password")
    _change_secret(runtime, request, principal, body.current_password, body.new_password,
                   "password_changed")
    return Response(status_code=204)


@router.post("/pin", status_code=204, response_class=Response)
def change_pin(body: PinChangeIn, request: Request, principal: PrincipalDep,
               runtime: RuntimeDep) -> Response:
    """Change one's own PIN (riders): 204, and every token of the account is revoked (sign in
    again). 400 for a wrong current PIN, 422 for a weak new one, 429 after repeated failures."""
    if principal.role != "rider":
        raise Forbidden("暗証番号は利用者のアカウントだけにあります（/api/v1/auth/password をお使いください）",
                        "only riders have a PIN; use /api/v1/auth/password")
    weak_pin(body.new_pin)
    if body.new_pin == body.current_pin:
        raise InvalidInput("新しい暗証番号は今のものと変えてください",
                           "the new PIN must differ from the current one", field="pin")
    _change_secret(runtime, request, principal, body.current_pin, body.new_pin, "pin_changed")
    return Response(status_code=204)


@router.post("/logout", status_code=204, response_class=Response)
def logout(principal: PrincipalDep, runtime: RuntimeDep) -> Response:
    """Sign out: every token of the account is revoked (all devices)."""
    with Session(runtime.db) as s, s.begin():
        row = s.get(User, principal.user_id)
        if row is not None:
            row.token_version += 1
            s.add(row)
            repo.add_event(s, "signed_out", actor_id=row.id, at=runtime.engine.now_dt())
    return Response(status_code=204)


@router.get("/me")
def me(principal: PrincipalDep, runtime: RuntimeDep) -> MeOut:
    """Who am I."""
    with Session(runtime.db, expire_on_commit=False) as s:
        user = s.get(User, principal.user_id)
    if user is None:
        raise Unauthorized("アカウントが見つかりません", "account not found")
    return MeOut(id=user.id, role=user.role, name=user.name, phone=user.phone,
                 vehicle_id=user.vehicle_id, lang=user.lang, home_stop_id=user.home_stop_id)
