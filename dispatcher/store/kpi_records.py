"""The records the indicators are computed from (:mod:`dispatcher.kpis`), read from the store
and put on one basis: each booking, event and driven leg carries its ``service_day``.

The one place bookings and events become plain records: the operator's indicators
(:func:`load_kpi_records`) and the simulator's day log (:func:`load_day_log`, checked by
:mod:`dispatcher.sim.records`) read them alike.

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
from sqlmodel import Session

from dispatcher.kpis import KPI_EVENT_TYPES
from dispatcher.store import bookings as booking_store
from dispatcher.store import events as event_log
from dispatcher.store import fleet
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


def booking_record(r: BookingRow) -> dict[str, Any]:
    """A booking as the indicators and the log checks read it (times in epoch s)."""
    return {"id": r.id, "service_day": r.service_day.isoformat(), "status": r.status,
            "channel": r.channel, "vehicle_id": r.vehicle_id, "offer_id": r.offer_id,
            "persons": r.adults + r.children + r.infants + r.wheelchairs,
            "origin_stop_id": r.origin_stop_id,
            "destination_stop_id": r.destination_stop_id, "fare": r.fare,
            "payment_status": r.payment_status,
            "pickup_earliest_s": _sec(r.pickup_earliest_at),
            "pickup_latest_s": _sec(r.pickup_latest_at), "picked_up_s": _sec(r.picked_up_at),
            "dropped_off_s": _sec(r.dropped_off_at),
            "dropoff_latest_s": _sec(r.dropoff_latest_at), "max_ride_s": r.max_ride_s,
            "direct_s": r.direct_s}


def event_record(e: Event) -> dict[str, Any]:
    """An event as the indicators and the log checks read it (``at_s`` in epoch s)."""
    return {"id": e.id, "type": e.type, "at_s": _sec(e.at), "data": e.data,
            "booking_id": e.booking_id, "vehicle_id": e.vehicle_id}


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
        rows = booking_store.of_days(s, start, end)
        evs = event_log.between(s, lo, hi, KPI_EVENT_TYPES)
    bookings = [booking_record(r) for r in rows]
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
            events.append(event_record(e) | {"service_day": day})
    return KpiRecords(bookings, events, legs)


@dataclass(frozen=True, slots=True)
class DayLog:
    """Everything recorded over local days, for replaying the log (the simulator's checks):
    bookings of those service days, every event in order, the driven legs and each vehicle's
    capacity (seats, wheelchair spaces)."""

    bookings: list[dict[str, Any]]
    events: list[dict[str, Any]]
    legs: list[dict[str, Any]]
    capacity: dict[str, tuple[int, int]]


def load_day_log(db: DbEngine, tz: ZoneInfo, start: date, end: date) -> DayLog:
    """Read the bookings of the service days ``start``..``end`` and every event that happened
    on those local days."""
    lo = datetime.combine(start, time(0), tzinfo=tz)
    hi = datetime.combine(end + timedelta(days=1), time(0), tzinfo=tz)
    with Session(db, expire_on_commit=False) as s:
        rows = booking_store.of_days(s, start, end)
        evs = event_log.between(s, lo, hi)
        vehicles = fleet.vehicles(s)
    return DayLog([booking_record(r) for r in rows], [event_record(e) for e in evs],
                  [e.data | {"vehicle_id": e.vehicle_id} for e in evs if e.type == "leg"],
                  {v.id: (v.seats, v.wheelchair_spaces) for v in vehicles})
