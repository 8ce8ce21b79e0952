"""Operators: phone bookings, cancellation, no-show, reassignment, fleet and stops, events."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from typing import Annotated

from fastapi import APIRouter, Header, Query
from sqlmodel import Session

from dispatcher.api.bounds import INT64_MAX, SaneDay, horizon_day
from dispatcher.api.deps import OperatorDep, RuntimeDep
from dispatcher.api.routes_auth import normalise_phone
from dispatcher.api.routes_rider import offers_out, trip_from
from dispatcher.api.runtime import Runtime
from dispatcher.api.schemas import (
    BookingOut,
    CallerIn,
    MoveIn,
    OffersOut,
    OperatorAcceptIn,
    OperatorTripIn,
    PaymentIn,
    VehicleIn,
)
from dispatcher.api.schemas_driver import ManifestOut, manifest_out
from dispatcher.api.schemas_operator import (
    BookingEventOut,
    DriverOut,
    EventOut,
    KpiDayOut,
    KpisOut,
    MapRouteOut,
    ReoptimizeOut,
    RiderFoundOut,
    ShiftOut,
    VehicleOut,
)
from dispatcher.api.views import booking_out, manifest
from dispatcher.engine import VehicleDay
from dispatcher.errors import InvalidInput, NotFound
from dispatcher.fares import Recorder
from dispatcher.riders import MAX_QUERY_CHARS, RECENT_TRIPS, matches, parse_query, rank, usual_trip
from dispatcher.store import bookings as booking_store
from dispatcher.store import events as event_log
from dispatcher.store import fleet, repo, users
from dispatcher.store.tables import BookingRow, Event, User, VehicleRow
from dispatcher.ticket_service import record_booking_payment

router = APIRouter(prefix="/api/v1/operator", tags=["operator"])


def caller_account(runtime: RuntimeDep, caller: CallerIn, actor_id: str) -> User:
    """The rider account of a phone caller, created on first call (no PIN: operator-managed) by
    the staff account ``actor_id``."""
    phone = normalise_phone(caller.phone)
    with Session(runtime.db, expire_on_commit=False) as s, s.begin():
        user = users.by_phone(s, phone)
        if user is None:
            user = User(id=f"r-{uuid.uuid4().hex[:12]}", role="rider", name=caller.name,
                        name_kana=caller.name_kana, phone=phone)
            s.add(user)
            repo.add_event(s, "rider_registered", actor_id=actor_id, channel="phone",
                           at=runtime.engine.now_dt())
        s.flush()
        s.expunge(user)
    return user


def actors(s: Session, rows: Sequence[Event]) -> dict[str, User]:
    """The accounts that acted in ``rows``, by id."""
    return users.by_ids(s, (a for a in (e.actor_id for e in rows) if a))


def actor_fields(actor_id: str | None, people: dict[str, User]) -> dict[str, str | None]:
    """Who acted, for the audit log: the account's id, name, login (staff and drivers) and
    role; ``None`` for the service itself (the optimiser, the system)."""
    who = people.get(actor_id or "")
    return {"actor_id": actor_id, "actor_name": who.name if who else None,
            "actor_login": who.login if who and who.role != "rider" else None,
            "actor_role": who.role if who else None}


@router.post("/offers")
def phone_offers(body: OperatorTripIn, principal: OperatorDep, runtime: RuntimeDep) -> OffersOut:
    """Offers for a caller (phone booking)."""
    user = caller_account(runtime, body.caller, principal.user_id)
    return offers_out(runtime, runtime.engine.make_offers(user.id, trip_from(body, runtime)))


@router.post("/bookings", status_code=201)
def phone_book(body: OperatorAcceptIn, principal: OperatorDep, runtime: RuntimeDep,
               idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key",
                                                             max_length=128)] = None) -> BookingOut:
    """Book an offer for a caller."""
    user = caller_account(runtime, body.caller, principal.user_id)
    row, _ = runtime.engine.accept(user.id, body.offer_id, idempotency_key,
                                   booked_by=principal.user_id, channel="phone",
                                   rider_name=body.caller.name, rider_phone=user.phone or "")
    return booking_out(row, runtime.engine.tz)


@router.get("/bookings")
def list_bookings(principal: OperatorDep, runtime: RuntimeDep,
                  day: SaneDay | None = None,
                  status: str | None = Query(default=None, max_length=16),
                  vehicle_id: str | None = Query(default=None, max_length=40),
                  rider: str | None = Query(default=None, max_length=120),
                  limit: int = Query(default=500, ge=1, le=5000)) -> list[BookingOut]:
    """Bookings filtered by day, status, vehicle, rider (name or phone)."""
    with Session(runtime.db, expire_on_commit=False) as s:
        rows = booking_store.filtered(s, day=day, status=status, vehicle_id=vehicle_id,
                                      limit=limit)
    if rider:
        needle = rider.strip()
        rows = [r for r in rows if needle in r.rider_name or needle in r.rider_phone
                or needle == r.rider_id]
    return [booking_out(r, runtime.engine.tz) for r in rows]


@router.get("/riders")
def find_riders(principal: OperatorDep, runtime: RuntimeDep,
                q: str = Query(max_length=MAX_QUERY_CHARS,
                               description="phone number (hyphens optional, at least 4 digits) "
                                           "or name in kana or kanji (at least 2 characters)"),
                limit: int = Query(default=10, ge=1, le=20)) -> list[RiderFoundOut]:
    """Riders matching a phone number or a name, each with their usual trip (phone booking)."""
    query = parse_query(q)
    with Session(runtime.db, expire_on_commit=False) as s:
        riders = users.with_role(s, "rider")
        found = sorted((u for u in riders if matches(query, u.model_dump())),
                       key=lambda u: (rank(query, u.model_dump()), u.name_kana or u.name, u.id))
        found = found[:limit]
        rows = booking_store.of_riders(s, [u.id for u in found])
    tz = runtime.engine.tz
    by_rider: dict[str, list[BookingRow]] = {}
    for r in rows:
        by_rider.setdefault(r.rider_id, []).append(r)
    out = []
    for u in found:
        mine = by_rider.get(u.id, [])
        usual = usual_trip(({"status": r.status, "origin_stop_id": r.origin_stop_id,
                             "destination_stop_id": r.destination_stop_id,
                             "requested_s": int(r.requested_at.timestamp()), "rule": r.rule,
                             "adults": r.adults, "children": r.children, "infants": r.infants,
                             "wheelchairs": r.wheelchairs} for r in mine[:RECENT_TRIPS * 2]), tz)
        out.append(RiderFoundOut(
            id=u.id, name=u.name, name_kana=u.name_kana, phone=u.phone, bookings=len(mine),
            last_trip=mine[0].requested_at.astimezone(tz).isoformat() if mine else None,
            usual_trip=usual))
    return out


@router.get("/bookings/{booking_id}/events")
def booking_events(booking_id: str, principal: OperatorDep,
                   runtime: RuntimeDep) -> list[BookingEventOut]:
    """The full event history of a booking (404 for a booking this area does not hold)."""
    with Session(runtime.db, expire_on_commit=False) as s:
        if booking_store.get_booking(s, booking_id) is None:
            raise NotFound("予約が見つかりません", "booking not found", booking_id=booking_id)
        rows = event_log.of_booking(s, booking_id)
        people = actors(s, rows)
    return [BookingEventOut(id=e.id, at=e.at.astimezone(runtime.engine.tz).isoformat(),
                            type=e.type, vehicle_id=e.vehicle_id,
                            **actor_fields(e.actor_id, people), data=e.data) for e in rows]


@router.post("/bookings/{booking_id}/cancel")
def operator_cancel(booking_id: str, principal: OperatorDep, runtime: RuntimeDep) -> BookingOut:
    """Cancel any booking before pickup."""
    return booking_out(runtime.engine.cancel(booking_id, principal, by_operator=True),
                       runtime.engine.tz)


@router.post("/bookings/{booking_id}/no-show")
def operator_no_show(booking_id: str, principal: OperatorDep, runtime: RuntimeDep) -> BookingOut:
    """Mark a no-show (after the window opens plus the grace time)."""
    return booking_out(runtime.engine.no_show(booking_id, principal.user_id), runtime.engine.tz)


@router.post("/bookings/{booking_id}/move")
def operator_move(booking_id: str, body: MoveIn, principal: OperatorDep,
                  runtime: RuntimeDep) -> BookingOut:
    """Move a booking to another vehicle when it keeps the promise."""
    return booking_out(runtime.engine.move(booking_id, body.vehicle_id, principal.user_id),
                       runtime.engine.tz)


@router.post("/bookings/{booking_id}/payment")
def operator_payment(booking_id: str, body: PaymentIn, principal: OperatorDep,
                     runtime: RuntimeDep) -> BookingOut:
    """Record the payment status of a booking (transitions as dispatcher.fares allows)."""
    row = record_booking_payment(runtime.db, runtime.service, runtime.engine.clock, booking_id,
                                 body.status, by=Recorder.OPERATOR, actor_id=principal.user_id)
    return booking_out(row, runtime.engine.tz)


@router.get("/vehicles")
def vehicles(principal: OperatorDep, runtime: RuntimeDep) -> list[VehicleOut]:
    """Vehicles with their last position and today's load."""
    engine = runtime.engine
    with Session(runtime.db, expire_on_commit=False) as s:
        rows = fleet.vehicles(s)
    today = engine.today()
    out = []
    for v in rows:
        view = engine.view(VehicleDay(v.id, today))
        onboard = list(view.state.onboard) if view else []
        out.append(VehicleOut(
            id=v.id, name=v.name, seats=v.seats, wheelchair_spaces=v.wheelchair_spaces,
            depot_stop_id=v.depot_stop_id, active=v.active, lat=v.lat, lon=v.lon,
            position_at=v.position_at.isoformat() if v.position_at else None,
            onboard=onboard, on_shift_today=view is not None))
    return out


@router.put("/vehicles/{vehicle_id}")
def put_vehicle(vehicle_id: str, body: VehicleIn, principal: OperatorDep,
                runtime: RuntimeDep) -> VehicleIn:
    """Create or change a vehicle (capacity changes apply to shifts created afterwards)."""
    if body.id != vehicle_id:
        raise InvalidInput("車両IDが一致しません", "vehicle id in path and body differ")
    if body.depot_stop_id not in runtime.engine.stop_place:
        raise InvalidInput("車庫の乗り場が不明です", f"unknown depot stop: {body.depot_stop_id}")
    with Session(runtime.db, expire_on_commit=False) as s, s.begin():
        row = s.get(VehicleRow, vehicle_id) or VehicleRow(id=vehicle_id, service_id=runtime.service.id,
                                                          name=body.name, seats=body.seats,
                                                          depot_stop_id=body.depot_stop_id)
        for k, v in body.model_dump().items():
            setattr(row, k, v)
        s.add(row)
        repo.add_event(s, "vehicle_saved", vehicle_id=vehicle_id, actor_id=principal.user_id,
                       at=runtime.engine.now_dt(),
                       **body.model_dump())
    return body


def _horizon(runtime: Runtime, day: date) -> date:
    """``day`` if inside the schedule horizon (else 422)."""
    return horizon_day(day, runtime.engine.today(), runtime.service.booking.max_days_ahead)


@router.get("/shifts")
def shifts(principal: OperatorDep, runtime: RuntimeDep, day: SaneDay) -> list[ShiftOut]:
    """Shifts of a day (inside the horizon: a month back to the last bookable day)."""
    day = _horizon(runtime, day)
    runtime.engine.ensure_day(day)
    tz = runtime.engine.tz
    with Session(runtime.db, expire_on_commit=False) as s:
        rows = fleet.shifts_of_day(s, day)
    def iso(at: datetime | None) -> str | None:
        return at.astimezone(tz).isoformat() if at else None

    out = []
    for r in rows:
        assert r.id is not None
        out.append(ShiftOut(id=r.id, vehicle_id=r.vehicle_id, day=r.day.isoformat(),
                            start=r.start_at.astimezone(tz).isoformat(),
                            end=r.end_at.astimezone(tz).isoformat(),
                            break_earliest=iso(r.break_earliest_at),
                            break_latest_end=iso(r.break_latest_end_at),
                            break_minutes=r.break_s // 60, driver_id=r.driver_id))
    return out


@router.get("/plans", response_model_exclude_unset=True)
def plans(principal: OperatorDep, runtime: RuntimeDep,
          day: SaneDay | None = None) -> list[ManifestOut]:
    """Every vehicle's manifest for a day (default today; inside the horizon)."""
    engine = runtime.engine
    day = _horizon(runtime, day or engine.today())
    engine.ensure_day(day)
    with Session(runtime.db, expire_on_commit=False) as s:
        rows = {r.id: r for r in booking_store.of_day(s, day)}
    with engine.lock:
        return [manifest_out(manifest(engine, vd, rows)) for vd in engine.vehicle_days(day=day)]


@router.get("/events")
def events(principal: OperatorDep, runtime: RuntimeDep,
           after_id: int = Query(default=0, ge=0, le=INT64_MAX),
           limit: int = Query(default=500, ge=1, le=5000),
           type: str | None = Query(default=None, max_length=200,
                                    description="an event type, or several separated by commas"),
           day: SaneDay | None = None) -> list[EventOut]:
    """The event log, oldest first, after ``after_id`` (``day``: of that local day only)."""
    kinds: list[str] | None = None
    if type:
        kinds = [k.strip() for k in type.split(",") if k.strip()]
        if len(kinds) > 20 or any(len(k) > 32 for k in kinds):
            raise InvalidInput("イベントの種類の指定が不正です（32文字以内を20種類まで）",
                               "invalid event types (at most 20, each at most 32 characters)")
    lo = hi = None
    if day is not None:
        lo = datetime.combine(day, time(0), tzinfo=runtime.engine.tz)
        hi = lo + timedelta(days=1)
    with Session(runtime.db, expire_on_commit=False) as s:
        rows = event_log.after(s, after_id, types=kinds, start=lo, end=hi, limit=limit)
        people = actors(s, rows)
    return [EventOut(id=e.id, at=e.at.astimezone(runtime.engine.tz).isoformat(), type=e.type,
                     booking_id=e.booking_id, vehicle_id=e.vehicle_id,
                     **actor_fields(e.actor_id, people), data=e.data) for e in rows]


@router.post("/reoptimize", response_model_exclude_unset=True)
def reoptimize(principal: OperatorDep, runtime: RuntimeDep, day: SaneDay | None = None,
               time_limit_s: float = Query(default=2.0, gt=0, le=10)) -> ReoptimizeOut:
    """Run one re-optimisation cycle now (of a day inside the horizon; the request is written to
    the log with who asked)."""
    if day is not None:
        day = _horizon(runtime, day)
    result = runtime.engine.reoptimize(day, time_limit_s=time_limit_s)
    with Session(runtime.db) as s, s.begin():
        repo.add_event(s, "reoptimize_requested", actor_id=principal.user_id,
                       at=runtime.engine.now_dt(), day=(day or runtime.engine.today()).isoformat(),
                       status=str(result.get("status", "")))
    return ReoptimizeOut.model_validate(result)


@router.get("/kpis", response_model_exclude_unset=True)
def kpis(principal: OperatorDep, runtime: RuntimeDep, start: SaneDay | None = None,
         end: SaneDay | None = None, per_day: bool = False) -> KpisOut:
    """Indicators of a day or a range of service days (default: today); with ``per_day``,
    also each day's: the operating days of the calendar and any other day with records."""
    from dispatcher.kpis import compute_kpis, kpis_by_day
    from dispatcher.store.kpi_records import load_kpi_records

    start = start or runtime.engine.today()
    end = end or start
    if end < start or (end - start).days > 366:
        raise InvalidInput("期間が不正です（最長1年）", "the range is invalid (at most one year)")
    svc = runtime.service
    rec = load_kpi_records(runtime.db, runtime.engine.tz, start, end,
                           lookback_days=svc.booking.max_days_ahead + 1)
    districts = {sid: d.id for d in svc.districts for sid in d.stops}
    out = KpisOut(start=start.isoformat(), end=end.isoformat(),
                  **compute_kpis(rec.bookings, rec.events, rec.legs,
                                 districts=districts).as_dict())
    if per_day:
        operating = {d.isoformat() for d in svc.calendar.service_days(start, end)}
        days = sorted(operating | rec.days())
        out.days = [KpiDayOut(start=d, end=d, operating=d in operating, **k.as_dict())
                    for d, k in kpis_by_day(rec.bookings, rec.events, rec.legs, days,
                                            districts=districts).items()]
    return out


@router.get("/drivers")
def drivers(principal: OperatorDep, runtime: RuntimeDep) -> list[DriverOut]:
    """Driver accounts with their vehicle."""
    with Session(runtime.db, expire_on_commit=False) as s:
        rows = users.with_role(s, "driver")
    return [DriverOut(id=u.id, name=u.name, login=u.login, vehicle_id=u.vehicle_id,
                      phone=u.phone) for u in rows]


@router.get("/map/routes")
def map_routes(principal: OperatorDep, runtime: RuntimeDep,
               day: SaneDay | None = None) -> list[MapRouteOut]:
    """Each vehicle's planned route of a day along the roads: from where it is through its
    pending stops, as ``[[lat, lon], ...]``, with the vehicle's plan position."""
    engine = runtime.engine
    day = _horizon(runtime, day or engine.today())
    engine.ensure_day(day)
    net = engine.network
    out = []
    with engine.lock:
        for vd in engine.vehicle_days(day=day):
            vid = vd.vehicle_id
            view = engine.view(vd)
            assert view is not None
            nodes = [engine.places.node_of(view.state.node)]
            nodes += [engine.places.node_of(st.node) for st in view.plan.stops]
            path: list[list[float]] = [list(net.node_coords(nodes[0]))]
            for a, b in pairwise(nodes):
                if a == b:
                    continue
                seg = net.polyline(a, b) if hasattr(net, "polyline") else [net.node_coords(b)]
                path += [[round(p[0], 6), round(p[1], 6)] for p in seg[1:] or [net.node_coords(b)]]
            lat, lon = net.node_coords(nodes[0])
            out.append(MapRouteOut(vehicle_id=vid, day=day.isoformat(), at=[lat, lon],
                                   at_time=view.state.time_s, path=path))
    return out
