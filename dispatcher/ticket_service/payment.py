"""Payments: :func:`dispatcher.fares.record_payment`'s result stored on the booking."""

from __future__ import annotations

from sqlalchemy import Engine as DbEngine
from sqlmodel import Session

from dispatcher.errors import Conflict, NotFound
from dispatcher.fares import PaymentRecord, PaymentStatus, Recorder, record_payment
from dispatcher.service_area import ServiceArea
from dispatcher.store import tickets as store
from dispatcher.store.tables import BookingRow
from dispatcher.store.types import to_dt
from dispatcher.ticket_service.common import REFUSED_STATUSES, Clock


def record_booking_payment(db: DbEngine, service: ServiceArea, clock: Clock, booking_id: str,
                           status: str, *, by: Recorder, actor_id: str,
                           vehicle_id: str | None = None) -> BookingRow:
    """Record a payment status on a booking through :func:`dispatcher.fares.record_payment`.

    Parameters
    ----------
    vehicle_id
        For a driver: the booking must be on this vehicle.

    Raises
    ------
    NotFound, Conflict, Forbidden, RuleViolation
        As the core decides (unknown booking, impossible transition, role, payment method).
    """
    now = clock()
    with Session(db, expire_on_commit=False) as s, s.begin():
        row = store.booking(s, booking_id, for_update=True)
        if row is None or (vehicle_id is not None and row.vehicle_id != vehicle_id):
            raise NotFound("予約が見つかりません", "booking not found", booking_id=booking_id)
        if row.status in REFUSED_STATUSES and status != PaymentStatus.UNPAID:
            raise Conflict("取り消された予約の支払は記録できません",
                           "a cancelled or no-show booking cannot be paid")
        target = PaymentStatus(status)
        record = record_payment(PaymentRecord(status=PaymentStatus(row.payment_status)), target,
                                by=by, actor_id=actor_id, at_s=now,
                                amount=0 if target == PaymentStatus.UNPAID else row.fare,
                                rules=service.fares)
        return store.save_payment(s, row, status=str(record.status), previous=row.payment_status,
                                  recorded_by=str(record.recorded_by), amount=record.amount,
                                  actor_id=actor_id, at=to_dt(now))
