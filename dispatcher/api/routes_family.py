"""Riders' family members: people who travel with them, picked when booking (→ party counts)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from dispatcher.api.deps import RiderDep, RuntimeDep
from dispatcher.errors import InvalidInput, NotFound
from dispatcher.store import repo, users
from dispatcher.store.tables import FamilyMember

router = APIRouter(prefix="/api/v1/family", tags=["rider"])

#: Most family members a rider may register (the largest group the service takes is smaller).
MAX_MEMBERS = 12


class FamilyIn(BaseModel):
    """A family member to register."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=120)
    category: Literal["adult", "child", "infant"] = "adult"
    wheelchair: bool = False


class FamilyOut(BaseModel):
    """A registered family member."""

    id: int
    name: str
    category: str
    wheelchair: bool


def _out(m: FamilyMember) -> FamilyOut:
    assert m.id is not None
    return FamilyOut(id=m.id, name=m.name, category=m.category, wheelchair=m.wheelchair)


@router.get("")
def list_family(principal: RiderDep, runtime: RuntimeDep) -> list[FamilyOut]:
    """My family members, in the order I added them."""
    with Session(runtime.db, expire_on_commit=False) as s:
        rows = users.family_of(s, principal.user_id)
    return [_out(m) for m in rows]


@router.post("", status_code=201)
def add_family(body: FamilyIn, principal: RiderDep, runtime: RuntimeDep) -> FamilyOut:
    """Register a family member who travels with me."""
    name = body.name.strip()
    if not name:
        raise InvalidInput("名前を入力してください", "give a name")
    with Session(runtime.db, expire_on_commit=False) as s, s.begin():
        count = users.family_count(s, principal.user_id)
        if count >= MAX_MEMBERS:
            raise InvalidInput(f"登録できるのは{MAX_MEMBERS}人までです",
                               f"at most {MAX_MEMBERS} family members")
        m = FamilyMember(rider_id=principal.user_id, name=name, category=body.category,
                         wheelchair=body.wheelchair)
        s.add(m)
        repo.add_event(s, "family_added", actor_id=principal.user_id,
                       at=runtime.engine.now_dt(), category=body.category)
        s.flush()
        s.expunge(m)
    return _out(m)


@router.delete("/{member_id}", status_code=204)
def remove_family(member_id: Annotated[int, Path(ge=1, le=2_147_483_647)], principal: RiderDep,
                  runtime: RuntimeDep) -> None:
    """Remove one of my family members."""
    with Session(runtime.db, expire_on_commit=False) as s, s.begin():
        m = s.get(FamilyMember, member_id)
        if m is None or m.rider_id != principal.user_id:
            raise NotFound("登録が見つかりません", "family member not found", id=member_id)
        s.delete(m)
        repo.add_event(s, "family_removed", actor_id=principal.user_id, at=runtime.engine.now_dt())
