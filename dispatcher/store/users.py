"""Accounts and riders' family members: the look-ups of the API's routes (callers own the
session and the transaction)."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from sqlmodel import Session, col, select

from dispatcher.store.tables import FamilyMember, User


def by_phone(s: Session, phone: str, role: str | None = None) -> User | None:
    """The account with this (normalised) phone number (of ``role`` when given)."""
    q = select(User).where(User.phone == phone)
    if role is not None:
        q = q.where(User.role == role)
    return s.exec(q).first()


def by_login(s: Session, login: str) -> User | None:
    """The account with this login."""
    return s.exec(select(User).where(User.login == login)).first()


def rider_by_line_id(s: Session, line_user_id: str) -> User | None:
    """The rider account linked to a LINE user."""
    return s.exec(select(User).where(User.line_user_id == line_user_id,
                                     User.role == "rider")).first()


def by_ids(s: Session, ids: Iterable[str]) -> dict[str, User]:
    """Accounts by id (those that exist)."""
    wanted = set(ids)
    if not wanted:
        return {}
    return {u.id: u for u in s.exec(select(User).where(col(User.id).in_(wanted)))}


def with_role(s: Session, role: str) -> list[User]:
    """Every account of one role, by id."""
    return list(s.exec(select(User).where(User.role == role).order_by(col(User.id))))


def staff(s: Session, roles: Collection[str]) -> list[User]:
    """Staff accounts of the given roles, by login."""
    return list(s.exec(select(User).where(col(User.role).in_(tuple(roles)))
                       .order_by(col(User.login))))


def active_supervisors_locked(s: Session) -> list[User]:
    """The active supervisors, their rows locked for the transaction (PostgreSQL), so that two
    supervisors cannot demote each other at the same moment."""
    return list(s.exec(select(User).where(User.role == "supervisor",
                                          col(User.disabled).is_(False)).with_for_update()))


def family_of(s: Session, rider_id: str) -> list[FamilyMember]:
    """A rider's family members, in the order they were added."""
    return list(s.exec(select(FamilyMember).where(FamilyMember.rider_id == rider_id)
                       .order_by(col(FamilyMember.id))))


def family_count(s: Session, rider_id: str) -> int:
    """How many family members a rider has registered."""
    return len(s.exec(select(FamilyMember.id).where(FamilyMember.rider_id == rider_id)).all())


def family_by_ids(s: Session, ids: Iterable[int]) -> dict[int, FamilyMember]:
    """Family members by id (those that exist)."""
    wanted = set(ids)
    if not wanted:
        return {}
    out: dict[int, FamilyMember] = {}
    for m in s.exec(select(FamilyMember).where(col(FamilyMember.id).in_(wanted))):
        assert m.id is not None
        out[m.id] = m
    return out
