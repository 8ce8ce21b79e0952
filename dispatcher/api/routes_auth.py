"""Sign-up (riders: phone + PIN) and sign-in (riders, drivers, operators)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from sqlmodel import Session, select

from dispatcher.api.deps import AccountDisabled, PrincipalDep, RuntimeDep, Unauthorized
from dispatcher.api.schemas import LoginIn, RegisterIn, TokenOut
from dispatcher.api.security import Principal, hash_password, issue_token, verify_password
from dispatcher.errors import Conflict, InvalidInput
from dispatcher.store import repo
from dispatcher.store.tables import User

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


def normalise_phone(phone: str) -> str:
    """Digits of a phone number (and a leading +), so 0848-00-0000 and 0848000000 match."""
    digits = "".join(c for c in phone if c.isdigit())
    return ("+" + digits) if phone.strip().startswith("+") else digits


def _token(runtime: RuntimeDep, user: User) -> TokenOut:
    p = Principal(user.id, user.role, user.vehicle_id, user.name)
    return TokenOut(access_token=issue_token(p, runtime.settings.secret_key,
                                             runtime.settings.token_ttl_s),
                    role=user.role, user_id=user.id, vehicle_id=user.vehicle_id, name=user.name)


@router.post("/register", status_code=201)
def register(body: RegisterIn, runtime: RuntimeDep) -> TokenOut:
    """Create a rider account with a phone number and a PIN."""
    phone = normalise_phone(body.phone)
    if len(phone) < 6:
        raise InvalidInput("電話番号が正しくありません", "the phone number is not valid")
    if body.home_stop_id and body.home_stop_id not in runtime.engine.stop_place:
        raise InvalidInput("不明な乗り場です", f"unknown stop: {body.home_stop_id}")
    with Session(runtime.db, expire_on_commit=False) as s, s.begin():
        if s.exec(select(User).where(User.phone == phone)).first() is not None:
            raise Conflict("この電話番号はすでに登録されています", "this phone number is already registered")
        user = User(id=f"r-{uuid.uuid4().hex[:12]}", role="rider", name=body.name,
                    name_kana=body.name_kana, phone=phone, lang=body.lang,
                    home_stop_id=body.home_stop_id, password_hash=hash_password(body.pin))
        s.add(user)
        repo.add_event(s, "rider_registered", actor_id=user.id, at=runtime.engine.now_dt())
        s.flush()
        s.expunge(user)
    return _token(runtime, user)


@router.post("/login")
def login(body: LoginIn, runtime: RuntimeDep) -> TokenOut:
    """Sign in; answers 401 with the same message for an unknown account or a wrong secret."""
    with Session(runtime.db, expire_on_commit=False) as s:
        if body.phone:
            user = s.exec(select(User).where(User.phone == normalise_phone(body.phone))).first()
        elif body.login:
            user = s.exec(select(User).where(User.login == body.login)).first()
        else:
            raise InvalidInput("電話番号またはログインIDを入力してください", "give a phone or a login")
    if user is None or not verify_password(body.password, user.password_hash):
        raise Unauthorized("電話番号（ID）または暗証番号が違います", "wrong phone/login or PIN/password")
    if user.disabled:
        raise AccountDisabled(*AccountDisabled.MESSAGE)
    return _token(runtime, user)


@router.get("/me")
def me(principal: PrincipalDep, runtime: RuntimeDep) -> dict[str, object]:
    """Who am I."""
    with Session(runtime.db, expire_on_commit=False) as s:
        user = s.get(User, principal.user_id)
    if user is None:
        raise Unauthorized("アカウントが見つかりません", "account not found")
    return {"id": user.id, "role": user.role, "name": user.name, "phone": user.phone,
            "vehicle_id": user.vehicle_id, "lang": user.lang, "home_stop_id": user.home_stop_id}
