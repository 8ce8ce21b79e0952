"""Bookings and offers: the engine's reads and writes of them (callers own the transaction)."""

from __future__ import annotations

from sqlmodel import Session, select

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
