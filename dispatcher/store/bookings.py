"""Bookings and offers: the engine's reads and writes of them (callers own the transaction)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlmodel import Session, col, select

from dispatcher.store.tables import BookingRow, OfferRow


def get_booking(s: Session, booking_id: str) -> BookingRow | None:
    """A booking by id."""
    return s.get(BookingRow, booking_id)


def by_idempotency_key(s: Session, rider_id: str, key: str) -> BookingRow | None:
    """The booking a rider made with this ``Idempotency-Key``, if any."""
    return s.exec(select(BookingRow).where(BookingRow.rider_id == rider_id,
                                           BookingRow.idempotency_key == key)).first()


def get_offer(s: Session, offer_id: str) -> OfferRow | None:
    """An offer by id."""
    return s.get(OfferRow, offer_id)


def add_offers(s: Session, rows: list[OfferRow]) -> None:
    """Store new offers."""
    for row in rows:
        s.add(row)


def detach(s: Session, row: BookingRow) -> BookingRow:
    """Write pending changes of ``row`` and hand it out of the session (for the shells)."""
    s.flush()
    s.expunge(row)
    return row


def of_rider(s: Session, rider_id: str, limit: int) -> list[BookingRow]:
    """A rider's bookings, newest first (at most ``limit``)."""
    return list(s.exec(select(BookingRow).where(BookingRow.rider_id == rider_id)
                       .order_by(col(BookingRow.created_at).desc()).limit(limit)))


def of_riders(s: Session, rider_ids: Iterable[str]) -> list[BookingRow]:
    """The bookings of several riders, most recently requested first."""
    ids = list(rider_ids)
    if not ids:
        return []
    return list(s.exec(select(BookingRow).where(col(BookingRow.rider_id).in_(ids))
                       .order_by(col(BookingRow.requested_at).desc())))


def by_ids(s: Session, ids: Iterable[str]) -> dict[str, BookingRow]:
    """Bookings by id (those that exist)."""
    wanted = list(ids)
    if not wanted:
        return {}
    return {b.id: b for b in s.exec(select(BookingRow).where(col(BookingRow.id).in_(wanted)))}


def of_day(s: Session, day: date, vehicle_id: str | None = None) -> list[BookingRow]:
    """The bookings of a service day (of one vehicle when given)."""
    q = select(BookingRow).where(BookingRow.service_day == day)
    if vehicle_id is not None:
        q = q.where(BookingRow.vehicle_id == vehicle_id)
    return list(s.exec(q))


def of_days(s: Session, start: date, end: date) -> list[BookingRow]:
    """The bookings of the service days ``start``..``end``."""
    return list(s.exec(select(BookingRow).where(BookingRow.service_day >= start,
                                                BookingRow.service_day <= end)))


def filtered(s: Session, *, day: date | None = None, status: str | None = None,
             vehicle_id: str | None = None, limit: int = 500) -> list[BookingRow]:
    """Bookings of a day, a status and a vehicle (each when given), by pickup time."""
    q = select(BookingRow)
    if day is not None:
        q = q.where(BookingRow.service_day == day)
    if status:
        q = q.where(BookingRow.status == status)
    if vehicle_id:
        q = q.where(BookingRow.vehicle_id == vehicle_id)
    return list(s.exec(q.order_by(col(BookingRow.pickup_earliest_at)).limit(limit)))
