"""Reading the event log (writing is :func:`dispatcher.store.repo.add_event`)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from dispatcher.store.tables import Event


def of_booking(s: Session, booking_id: str) -> list[Event]:
    """A booking's whole history, oldest first."""
    return list(s.exec(select(Event).where(Event.booking_id == booking_id)
                       .order_by(col(Event.id))))


def after(s: Session, after_id: int, *, types: Collection[str] | None = None,
          start: datetime | None = None, end: datetime | None = None,
          limit: int | None = None) -> list[Event]:
    """Events after ``after_id``, oldest first: of ``types`` when given, at ``start`` or later
    and before ``end`` when given, at most ``limit``."""
    q = select(Event).where(col(Event.id) > after_id)
    if types is not None:
        q = q.where(col(Event.type).in_(tuple(types)))
    if start is not None:
        q = q.where(Event.at >= start)
    if end is not None:
        q = q.where(Event.at < end)
    q = q.order_by(col(Event.id))
    if limit is not None:
        q = q.limit(limit)
    return list(s.exec(q))


def between(s: Session, start: datetime, end: datetime,
            types: Collection[str] | None = None) -> list[Event]:
    """Events in [start, end), oldest first (of ``types`` when given)."""
    q = select(Event).where(Event.at >= start, Event.at < end)
    if types is not None:
        q = q.where(col(Event.type).in_(tuple(types)))
    return list(s.exec(q.order_by(col(Event.id))))


def last_id(s: Session) -> int:
    """The id of the latest event (0 for an empty log)."""
    return int(s.exec(select(func.max(Event.id))).one() or 0)
