"""Failed sign-in counters (:mod:`dispatcher.api.throttle`): the statements that bump, clear
and forget them atomically (callers own the transaction)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from dispatcher.store.tables import AuthThrottle


def forget_before(s: Session, before: datetime) -> None:
    """Delete the counters not touched since ``before``."""
    s.exec(delete(AuthThrottle).where(
        col(AuthThrottle.updated_at) < before))


def _bump(s: Session, key: str, now: datetime) -> int:
    bumped = s.exec(update(AuthThrottle).where(col(AuthThrottle.key) == key)
                    .values(failures=AuthThrottle.failures + 1, updated_at=now))
    return int(bumped.rowcount)


def count_failure(s: Session, key: str, now: datetime) -> AuthThrottle:
    """Add one failure to ``key``'s counter (created at 1 if missing, also when another worker
    creates it meanwhile); the counter as it now stands."""
    if _bump(s, key, now) == 0:
        try:
            with s.begin_nested():
                s.add(AuthThrottle(key=key, failures=1, updated_at=now))
        except IntegrityError:  # another worker inserted it meanwhile
            _bump(s, key, now)
    row = s.get(AuthThrottle, key, populate_existing=True)
    assert row is not None
    return row


def clear(s: Session, key: str) -> None:
    """Delete ``key``'s counter."""
    s.exec(delete(AuthThrottle).where(
        col(AuthThrottle.key) == key))
