"""Booking again: the usual trips (いつもの便), repeating one, the return trip (帰りも予約),
and the earliest time a booking can ask for — for riders and for phone staff booking a caller.

Offers made here belong to the booking's rider; they are accepted as any offer is
(``POST /api/v1/bookings``, or ``POST /api/v1/operator/bookings`` with the caller).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Literal

from fastapi import APIRouter
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlmodel import Session

from dispatcher.api.bounds import SaneDay
from dispatcher.api.deps import OperatorDep, RiderDep, RuntimeDep
from dispatcher.api.routes_rider import offers_out, own_booking
from dispatcher.api.runtime import Runtime
from dispatcher.api.schemas import OffersOut, PartyIn
from dispatcher.errors import InvalidInput, NotFound, RuleViolation
from dispatcher.rules import earliest_bookable
from dispatcher.statuses import OPEN_BOOKING_STATUSES, BookingStatus
from dispatcher.store import bookings as booking_store
from dispatcher.store.tables import BookingRow, User
from dispatcher.trip import Party, Place, TripInput
from dispatcher.units import at_local, clock_hhmm, from_epoch
from dispatcher.usual import PastTrip, UsualTrip, next_repeat_day, usual_trips

router = APIRouter(prefix="/api/v1", tags=["rider"])
operator_router = APIRouter(prefix="/api/v1/operator", tags=["operator"])

HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"
#: Bookings of a rider read to find their usual trips (the most recent ones).
HISTORY = 200


class RepeatIn(BaseModel):
    """Repeat a past trip: on ``day`` (default: the next day it can be booked and is not booked
    yet), at ``time`` (default: the same local time)."""

    model_config = ConfigDict(extra="forbid")
    day: SaneDay | None = None
    time: str | None = Field(default=None, pattern=HHMM, examples=["08:30"])


class ReturnIn(BaseModel):
    """The way back of a booked trip: leave at or after ``time`` (or arrive by it)."""

    model_config = ConfigDict(extra="forbid")
    time: AwareDatetime
    rule: Literal["pickup_after", "dropoff_before"] = "pickup_after"


class UsualTripOut(BaseModel):
    """A trip the rider has booked before, how often, and the day a repeat would book."""

    booking_id: str
    count: int
    last_day: date
    origin_stop_id: str | None
    destination_stop_id: str | None
    origin: tuple[float, float]
    destination: tuple[float, float]
    rule: str
    time: str
    party: PartyIn
    next_day: date | None


class RepeatOffersOut(OffersOut):
    """Offers for a repeated trip, and the day they are for."""

    day: date


class EarliestOut(BaseModel):
    """The earliest time a booking made now may ask for (None: nothing in the horizon)."""

    earliest: datetime | None
    day: date | None
    time: str | None
    min_notice_min: int


def _past(row: BookingRow, runtime: Runtime) -> PastTrip:
    tz = runtime.engine.tz
    at = row.requested_at.astimezone(tz)
    return PastTrip(row.id, row.status, row.service_day,
                    (row.origin_stop_id, row.origin_lat, row.origin_lon),
                    (row.destination_stop_id, row.destination_lat, row.destination_lon),
                    row.rule, at.hour * 3600 + at.minute * 60,
                    (row.adults, row.children, row.infants, row.wheelchairs),
                    int(row.created_at.timestamp()))


def _history(runtime: Runtime, rider_id: str) -> list[BookingRow]:
    with Session(runtime.db, expire_on_commit=False) as s:
        return booking_store.of_rider(s, rider_id, HISTORY)


def _same_trip(a: BookingRow, b: BookingRow) -> bool:
    def place(stop: str | None, lat: float, lon: float) -> tuple[object, ...]:
        return (stop,) if stop else (round(lat, 4), round(lon, 4))

    return (place(a.origin_stop_id, a.origin_lat, a.origin_lon)
            == place(b.origin_stop_id, b.origin_lat, b.origin_lon)
            and place(a.destination_stop_id, a.destination_lat, a.destination_lon)
            == place(b.destination_stop_id, b.destination_lat, b.destination_lon))


def _taken_days(history: list[BookingRow], row: BookingRow) -> set[date]:
    """Days the rider already has this trip booked (open bookings)."""
    return {b.service_day for b in history
            if b.status in OPEN_BOOKING_STATUSES and _same_trip(b, row)}


def _usual(runtime: Runtime, rider_id: str) -> list[UsualTripOut]:
    history = _history(runtime, rider_id)
    by_id = {b.id: b for b in history}
    now = runtime.engine.clock()
    out = []
    for u in usual_trips([_past(b, runtime) for b in history]):
        last = by_id[u.last.booking_id]
        out.append(_usual_out(u, next_repeat_day(runtime.service, u.last.time_s, u.last.rule,
                                                 now, _taken_days(history, last))))
    return out


def _usual_out(u: UsualTrip, next_day: date | None) -> UsualTripOut:
    t = u.last
    return UsualTripOut(
        booking_id=t.booking_id, count=u.count, last_day=t.day,
        origin_stop_id=t.origin[0], destination_stop_id=t.destination[0],
        origin=(t.origin[1], t.origin[2]), destination=(t.destination[1], t.destination[2]),
        rule=t.rule, time=clock_hhmm(t.time_s),
        party=PartyIn(adults=t.party[0], children=t.party[1], infants=t.party[2],
                      wheelchairs=t.party[3]),
        next_day=next_day)


def _trip_of(row: BookingRow, *, reverse: bool, rule: str, time_s: int) -> TripInput:
    o = Place(row.origin_stop_id, row.origin_lat, row.origin_lon)
    d = Place(row.destination_stop_id, row.destination_lat, row.destination_lon)
    if reverse:
        o, d = d, o
    return TripInput(origin=o, destination=d,
                     party=Party(row.adults, row.children, row.infants, row.wheelchairs,
                                 dict(row.concessions)),
                     rule=rule, time_s=time_s, notes=row.notes)


def _repeat(runtime: Runtime, row: BookingRow, body: RepeatIn) -> RepeatOffersOut:
    tz = runtime.engine.tz
    asked = row.requested_at.astimezone(tz)
    clock = time(asked.hour, asked.minute)
    if body.time is not None:
        h, m = (int(x) for x in body.time.split(":"))
        clock = time(h, m)
    day = body.day
    if day is None:
        history = _history(runtime, row.rider_id)
        day = next_repeat_day(runtime.service, clock.hour * 3600 + clock.minute * 60, row.rule,
                              runtime.engine.clock(), _taken_days(history, row))
        if day is None:
            ahead = runtime.service.booking.max_days_ahead
            raise RuleViolation(f"予約できる日が見つかりません（予約は{ahead}日先まで）",
                                "no day within the booking horizon can take this trip",
                                rule="max_days_ahead")
    trip = _trip_of(row, reverse=False, rule=row.rule, time_s=at_local(day, clock, tz))
    result = runtime.engine.make_offers(row.rider_id, trip)
    return RepeatOffersOut(day=day, **offers_out(runtime, result).model_dump())


def _return(runtime: Runtime, row: BookingRow, body: ReturnIn) -> OffersOut:
    if row.status not in (*OPEN_BOOKING_STATUSES, BookingStatus.COMPLETED):
        raise InvalidInput("この予約の帰りは予約できません（取り消し済みなど）",
                           f"no return trip for a booking that is {row.status}")
    back = int(body.time.timestamp())
    arrive = int(row.dropoff_latest_at.timestamp())
    if back < arrive:
        at = from_epoch(arrive, runtime.engine.tz).strftime("%H:%M")
        raise InvalidInput(f"帰りの時刻は、行きの到着（遅くとも{at}）より後にしてください",
                           f"the way back must be after the outward arrival (at the latest {at})",
                           latest_arrival=from_epoch(arrive, runtime.engine.tz).isoformat())
    trip = _trip_of(row, reverse=True, rule=body.rule, time_s=back)
    return offers_out(runtime, runtime.engine.make_offers(row.rider_id, trip))


# ---------------------------------------------------------------------- riders


@router.get("/service/earliest")
def earliest(runtime: RuntimeDep) -> EarliestOut:
    """The earliest trip time a booking made now may ask for (minimum notice, hours, days)."""
    found = earliest_bookable(runtime.service, runtime.engine.clock())
    notice = runtime.service.booking.min_notice_s // 60
    if found is None:
        return EarliestOut(earliest=None, day=None, time=None, min_notice_min=notice)
    at = from_epoch(found, runtime.engine.tz)
    return EarliestOut(earliest=at, day=at.date(), time=at.strftime("%H:%M"),
                       min_notice_min=notice)


@router.get("/usual-trips")
def my_usual_trips(principal: RiderDep, runtime: RuntimeDep) -> list[UsualTripOut]:
    """My usual trips (いつもの便): most often booked first, with the day a repeat would book."""
    return _usual(runtime, principal.user_id)


@router.post("/bookings/{booking_id}/repeat-offers")
def repeat_offers(booking_id: str, body: RepeatIn, principal: RiderDep,
                  runtime: RuntimeDep) -> RepeatOffersOut:
    """Offers for one of my past trips again (same places, party and time), on a new day."""
    return _repeat(runtime, own_booking(runtime, principal, booking_id), body)


@router.post("/bookings/{booking_id}/return-offers")
def return_offers(booking_id: str, body: ReturnIn, principal: RiderDep,
                  runtime: RuntimeDep) -> OffersOut:
    """Offers for the way back of one of my bookings (帰りも予約): same party, places swapped."""
    return _return(runtime, own_booking(runtime, principal, booking_id), body)


# ---------------------------------------------------------------------- phone staff


def _any_booking(runtime: Runtime, booking_id: str) -> BookingRow:
    with Session(runtime.db, expire_on_commit=False) as s:
        row = s.get(BookingRow, booking_id)
    if row is None:
        raise NotFound("予約が見つかりません", "booking not found", booking_id=booking_id)
    return row


@operator_router.get("/riders/{rider_id}/usual-trips")
def caller_usual_trips(rider_id: str, principal: OperatorDep,
                       runtime: RuntimeDep) -> list[UsualTripOut]:
    """A caller's usual trips, to pre-fill a phone booking."""
    if not re.fullmatch(r"[A-Za-z0-9_\-]{1,40}", rider_id):
        raise InvalidInput("利用者IDが正しくありません", "not a rider id")
    with Session(runtime.db) as s:
        user = s.get(User, rider_id)
    if user is None or user.role != "rider":
        raise NotFound("利用者が見つかりません", "rider not found", rider_id=rider_id)
    return _usual(runtime, rider_id)


@operator_router.post("/bookings/{booking_id}/repeat-offers")
def caller_repeat_offers(booking_id: str, body: RepeatIn, principal: OperatorDep,
                         runtime: RuntimeDep) -> RepeatOffersOut:
    """Offers repeating a caller's past trip (accept with the caller's name and phone)."""
    return _repeat(runtime, _any_booking(runtime, booking_id), body)


@operator_router.post("/bookings/{booking_id}/return-offers")
def caller_return_offers(booking_id: str, body: ReturnIn, principal: OperatorDep,
                         runtime: RuntimeDep) -> OffersOut:
    """Offers for the way back of a caller's booking."""
    return _return(runtime, _any_booking(runtime, booking_id), body)
