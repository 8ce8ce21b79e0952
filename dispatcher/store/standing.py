"""Standing orders and their runs (one per order and day): reads, and the guarded updates
that claim a day and record its outcome (callers own the session and the transaction)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from dispatcher.store.tables import StandingOrder, StandingRun


def active_count(s: Session, rider_id: str) -> int:
    """How many active standing orders a rider has."""
    return len(s.exec(select(StandingOrder.id).where(
        StandingOrder.rider_id == rider_id, col(StandingOrder.active))).all())


def orders(s: Session, rider_id: str | None = None, active_only: bool = False
           ) -> list[StandingOrder]:
    """Orders, newest first (of one rider when given, only active ones when asked)."""
    q = select(StandingOrder)
    if rider_id is not None:
        q = q.where(StandingOrder.rider_id == rider_id)
    if active_only:
        q = q.where(col(StandingOrder.active))
    return list(s.exec(q.order_by(col(StandingOrder.created_at).desc())))


def runs(s: Session, order_ids: Iterable[str], since: date | None = None) -> list[StandingRun]:
    """Runs of the given orders (from ``since`` on), by day."""
    ids = list(order_ids)
    if not ids:
        return []
    q = select(StandingRun).where(col(StandingRun.order_id).in_(ids))
    if since is not None:
        q = q.where(StandingRun.service_day >= since)
    return list(s.exec(q.order_by(col(StandingRun.service_day))))


def failed_runs(s: Session, since: date, rider_id: str | None = None) -> list[StandingRun]:
    """Failed runs from ``since`` on that are not dismissed (of one rider when given), by day."""
    q = select(StandingRun).where(StandingRun.status == "failed",
                                  StandingRun.service_day >= since,
                                  col(StandingRun.dismissed).is_(False))
    if rider_id is not None:
        q = q.where(StandingRun.rider_id == rider_id)
    return list(s.exec(q.order_by(col(StandingRun.service_day))))


def run_of(s: Session, order_id: str, day: date) -> StandingRun | None:
    """The run of an order on a day, if any."""
    return s.exec(select(StandingRun).where(StandingRun.order_id == order_id,
                                            StandingRun.service_day == day)).first()


def take_over(s: Session, run: StandingRun, token: str, now: datetime) -> bool:
    """Take over an unfinished claim (only if it is still the one ``run`` holds); True if
    taken."""
    taken = s.execute(update(StandingRun)
                      .where(col(StandingRun.id) == run.id,
                             col(StandingRun.claim) == run.claim,
                             col(StandingRun.status) == "placing")
                      .values(claim=token, claimed_at=now, attempts=run.attempts + 1,
                              updated_at=now))
    return bool(taken.rowcount == 1)  # type: ignore[attr-defined]


def finish(s: Session, order_id: str, day: date, token: str, *, status: str,
           booking_id: str | None, reason: str, message_ja: str, message_en: str,
           now: datetime) -> bool:
    """Record the outcome of a claimed day (only while ``token`` holds the claim); True if
    recorded."""
    done = s.execute(update(StandingRun)
                     .where(col(StandingRun.order_id) == order_id,
                            col(StandingRun.service_day) == day,
                            col(StandingRun.claim) == token)
                     .values(status=status, booking_id=booking_id, reason=reason[:40],
                             message_ja=message_ja[:500], message_en=message_en[:500],
                             updated_at=now))
    return bool(done.rowcount == 1)  # type: ignore[attr-defined]
