"""Tickets: the keyring's rows, the development short-code secret, issued tickets' records,
check-ins at the door and payments — the ticket service's reads and writes (callers own the
transaction)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import Session, col, select

from dispatcher.store import repo
from dispatcher.store.accounts import DEV_CODE_KEY_SETTING
from dispatcher.store.tables import BookingRow, Event, KeyRow, Setting, TicketCheck

#: The events that record an issued ticket (every signed field and the issuing time).
ISSUE_EVENTS = ("ticket_issued", "ticket_reissued")


def _dt(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


# --- the keyring ------------------------------------------------------------------------------


def active_keys(s: Session) -> list[KeyRow]:
    """The active keys of the keyring, oldest start first."""
    return list(s.exec(select(KeyRow).where(col(KeyRow.active))
                       .order_by(col(KeyRow.valid_from))))


def known_public_keys(s: Session) -> set[str]:
    """The public keys of every key the table holds (active or not)."""
    return {r.public_key for r in s.exec(select(KeyRow))}


def key_exists(s: Session, key_id: str) -> bool:
    """Whether the table holds a key with this id."""
    return s.get(KeyRow, key_id) is not None


def add_key(s: Session, key_id: str, public_b64: str, private_b64: str, *, valid_from_s: int,
            valid_until_s: int, at: datetime) -> None:
    """Add a key to the keyring (``private_b64`` empty in production) with its event."""
    s.add(KeyRow(key_id=key_id, public_key=public_b64, private_key=private_b64,
                 valid_from=_dt(valid_from_s), valid_until=_dt(valid_until_s)))
    repo.add_event(s, "ticket_key_added", actor_id="system", at=at, key_id=key_id,
                   valid_from=valid_from_s, valid_until=valid_until_s)


def dev_code_key(s: Session) -> str | None:
    """The development short-code secret (base64url), if one is stored."""
    row = s.get(Setting, DEV_CODE_KEY_SETTING)
    return None if row is None else str(row.value["b64"])


def save_dev_code_key(s: Session, b64: str) -> None:
    """Store the development short-code secret (base64url)."""
    s.add(Setting(key=DEV_CODE_KEY_SETTING, value={"b64": b64}))


# --- bookings and their tickets ---------------------------------------------------------------


def booking(s: Session, booking_id: str, *, for_update: bool = False) -> BookingRow | None:
    """A booking by id (locked for the transaction with ``for_update``)."""
    if for_update:
        return s.get(BookingRow, booking_id, with_for_update=True)
    return s.get(BookingRow, booking_id)


def bookings_of_days(s: Session, service_id: str, days: Iterable[date]) -> list[BookingRow]:
    """The service's bookings of the given service days."""
    return list(s.exec(select(BookingRow).where(BookingRow.service_id == service_id,
                                                col(BookingRow.service_day).in_(list(days)))))


def issue_record(s: Session, booking_id: str, issue: int) -> dict[str, Any] | None:
    """The newest recorded ticket of a booking's ``issue`` (the event's data), if any."""
    events = s.exec(select(Event).where(Event.booking_id == booking_id,
                                        col(Event.type).in_(ISSUE_EVENTS))
                    .order_by(col(Event.id).desc()))
    for e in events:
        if e.data.get("ticket", {}).get("issue") == issue:
            return e.data
    return None


def record_issue(s: Session, event: str, row: BookingRow, *, actor_id: str, at: datetime,
                 data: dict[str, Any]) -> None:
    """Record an issued ticket (``event`` is one of :data:`ISSUE_EVENTS`)."""
    repo.add_event(s, event, booking_id=row.id, vehicle_id=row.vehicle_id, actor_id=actor_id,
                   at=at, **data)


def raise_issue(s: Session, row: BookingRow, at: datetime) -> None:
    """Raise a booking's ticket issue counter by one (a reissue)."""
    row.ticket_issue += 1
    row.updated_at = at
    s.add(row)


# --- check-ins at the door --------------------------------------------------------------------


def check_of(s: Session, booking_id: str) -> TicketCheck | None:
    """The booking's check-in, if its ticket was checked in."""
    return s.get(TicketCheck, booking_id)


def checked_in(s: Session, booking_ids: list[str]) -> set[str]:
    """Those of ``booking_ids`` whose ticket was checked in."""
    if not booking_ids:
        return set()
    return {c.booking_id for c in s.exec(
        select(TicketCheck).where(col(TicketCheck.booking_id).in_(booking_ids)))}


def add_check(s: Session, booking_id: str, *, check_issue: int, vehicle_id: str, actor_id: str,
              at: datetime, method: str, issue: int | None) -> None:
    """Check a booking's ticket in, with its event.

    Raises
    ------
    sqlalchemy.exc.IntegrityError
        If the booking was checked in already (one check-in per booking).
    """
    s.add(TicketCheck(booking_id=booking_id, issue=check_issue, vehicle_id=vehicle_id,
                      checked_at=at))
    s.flush()
    repo.add_event(s, "ticket_checked_in", booking_id=booking_id, vehicle_id=vehicle_id,
                   actor_id=actor_id, at=at, method=method, issue=issue)


def remove_check(s: Session, booking_id: str) -> None:
    """Undo a booking's check-in (the boarding it was for failed)."""
    done = s.get(TicketCheck, booking_id)
    if done is not None:
        s.delete(done)


# --- payments ---------------------------------------------------------------------------------


def save_payment(s: Session, row: BookingRow, *, status: str, previous: str, recorded_by: str,
                 amount: int, actor_id: str, at: datetime) -> BookingRow:
    """Store a booking's new payment status with its ``payment`` event; hand the row out of
    the session."""
    row.payment_status = status
    row.updated_at = at
    s.add(row)
    repo.add_event(s, "payment", booking_id=row.id, vehicle_id=row.vehicle_id,
                   actor_id=actor_id, at=at, status=status, previous=previous,
                   recorded_by=recorded_by, amount=amount)
    s.flush()
    s.expunge(row)
    return row
