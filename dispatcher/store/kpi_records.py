"""The records the indicators are computed from (:mod:`dispatcher.kpis`), read from the store
and put on one basis: each booking, event and driven leg carries its ``service_day``.

A booking's service day is its own. An event's is the day it names (``offered`` and
``refused`` events name the day asked for), else its booking's, else the local day it
happened (driven legs, and logs written before events named their day).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine as DbEngine
from sqlmodel import Session, col, select

from dispatcher.kpis import KPI_EVENT_TYPES
from dispatcher.store.tables import BookingRow, Event


@dataclass(frozen=True, slots=True)
class KpiRecords:
    """Bookings, events and driven legs as plain records (epoch s), each with ``service_day``."""

    bookings: list[dict[str, Any]]
    events: list[dict[str, Any]]
    legs: list[dict[str, Any]]

    def days(self) -> set[str]:
        """Service days (ISO) that have any record."""
        return {str(r["service_day"]) for part in (self.bookings, self.events, self.legs)
                for r in part}


def _sec(dt: datetime | None) -> int | None:
    return int(dt.timestamp()) if dt else None


def event_service_day(data: Mapping[str, Any] | None, booking_id: str | None, at: datetime,
                      booking_days: Mapping[str, str], tz: ZoneInfo) -> str | None:
    """The service day (ISO) an event counts for; None for an event of a booking outside the
    loaded bookings (it belongs to another day)."""
    named = (data or {}).get("service_day")
    if named:
        return str(named)
    if booking_id:
        return booking_days.get(booking_id)
    return at.astimezone(tz).date().isoformat()


def load_kpi_records(db: DbEngine, tz: ZoneInfo, start: date, end: date, *,
                     lookback_days: int = 8) -> KpiRecords:
    """Read the records of the service days ``start``..``end``.

    Events are read from ``lookback_days`` before ``start`` (requests for a day are made up to
    the booking horizon ahead) to the end of ``end``, of the types the indicators use only.
    """
    lo = datetime.combine(start - timedelta(days=lookback_days), time(0), tzinfo=tz)
    hi = datetime.combine(end + timedelta(days=1), time(0), tzinfo=tz)
    with Session(db, expire_on_commit=False) as s:
        rows = s.exec(select(BookingRow).where(BookingRow.service_day >= start,
                                               BookingRow.service_day <= end)).all()
        evs = s.exec(select(Event).where(Event.at >= lo, Event.at < hi,
                                         col(Event.type).in_(KPI_EVENT_TYPES))
                     .order_by(col(Event.id))).all()
    bookings = [{"id": r.id, "service_day": r.service_day.isoformat(), "status": r.status,
                 "channel": r.channel, "vehicle_id": r.vehicle_id, "offer_id": r.offer_id,
                 "seats": r.adults + r.children + r.infants + r.wheelchairs,
                 "origin_stop_id": r.origin_stop_id,
                 "destination_stop_id": r.destination_stop_id, "fare": r.fare,
                 "payment_status": r.payment_status,
                 "pickup_earliest_s": _sec(r.pickup_earliest_at),
                 "pickup_latest_s": _sec(r.pickup_latest_at), "picked_up_s": _sec(r.picked_up_at),
                 "dropped_off_s": _sec(r.dropped_off_at), "direct_s": r.direct_s} for r in rows]
    booking_days = {b["id"]: b["service_day"] for b in bookings}
    first, last = start.isoformat(), end.isoformat()
    events: list[dict[str, Any]] = []
    legs: list[dict[str, Any]] = []
    for e in evs:
        day = event_service_day(e.data, e.booking_id, e.at, booking_days, tz)
        if day is None or not first <= day <= last:
            continue
        if e.type == "leg":
            legs.append(e.data | {"vehicle_id": e.vehicle_id, "service_day": day})
        else:
            events.append({"type": e.type, "data": e.data, "booking_id": e.booking_id,
                           "service_day": day})
    return KpiRecords(bookings, events, legs)
