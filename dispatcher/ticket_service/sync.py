"""The driver's sync: everything a driver's app needs to verify tickets offline."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine as DbEngine
from sqlmodel import Session

from dispatcher import tickets
from dispatcher.service_area import ServiceArea
from dispatcher.statuses import OPEN_BOOKING_STATUSES, BookingStatus
from dispatcher.store import tickets as store
from dispatcher.store.types import to_dt
from dispatcher.ticket_service.common import REFUSED_STATUSES, RIDDEN_STATUSES, Clock, service_days
from dispatcher.ticket_service.keys import TicketKeys


def driver_sync(service: ServiceArea, db: DbEngine, clock: Clock, keys: TicketKeys,
                vehicle_id: str) -> dict[str, Any]:
    """What a driver's app needs to verify tickets offline for today and tomorrow.

    ``used`` lists bookings checked in (and those already on board or completed: their
    ticket has been used); ``onboard`` those on board now; ``cancelled`` the cancelled and
    no-show ones; ``latest_issue`` every booking's issue counter; ``vehicle_of`` and
    ``day_of`` the vehicle each booking is on now and its service day (so that a booking
    moved to another vehicle is refused offline too); ``service_day`` today;
    ``manifest_codes`` the short-code hashes of this vehicle's bookings.
    """
    tz = ZoneInfo(service.timezone)
    now = clock()
    with Session(db, expire_on_commit=False) as s:
        rows = store.bookings_of_days(s, service.id, service_days(clock(), tz))
        checked = store.checked_in(s, [r.id for r in rows])
    mine = [r for r in rows if r.vehicle_id == vehicle_id]
    return {
        "service_id": service.id, "vehicle_id": vehicle_id,
        "now": to_dt(now).astimezone(tz).isoformat(), "now_s": now,
        "keyring": keys.keyring_json(service.id),
        "manifest_codes": [tickets.manifest_code(keys.code_key, service_id=service.id,
                                                 booking_id=r.id,
                                                 issue=r.ticket_issue).as_json()
                           for r in mine],
        "on_manifest": [r.id for r in mine if r.status in OPEN_BOOKING_STATUSES],
        "cancelled": sorted(r.id for r in rows if r.status in REFUSED_STATUSES),
        "used": sorted(checked | {r.id for r in rows if r.status in RIDDEN_STATUSES}),
        "onboard": sorted(r.id for r in rows if r.status == BookingStatus.ONBOARD),
        "latest_issue": {r.id: r.ticket_issue for r in rows},
        "service_day": service_days(clock(), tz)[0].isoformat(),
        "vehicle_of": {r.id: r.vehicle_id or "" for r in rows},
        "day_of": {r.id: r.service_day.isoformat() for r in rows},
    }
