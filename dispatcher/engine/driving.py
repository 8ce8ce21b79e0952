"""The driver's reports: stop progress (:mod:`dispatcher.engine.machine`), breaks, positions,
back at the depot and end of shift — each in one transaction with its events."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from dispatcher import recovery
from dispatcher.engine import machine
from dispatcher.engine.results import BreakResult, DepotResult, ReportResult
from dispatcher.engine.vehicle_day import VehicleDay
from dispatcher.errors import Conflict, InvalidInput, NotFound
from dispatcher.model import Plan, VehicleState
from dispatcher.statuses import BookingStatus, DriverReport, EventType
from dispatcher.store import bookings as booking_store
from dispatcher.store import fleet as fleet_store
from dispatcher.store import repo
from dispatcher.store.types import to_dt

if TYPE_CHECKING:
    from dispatcher.engine.core import Engine


def log_leg(eng: Engine, s: Session, vehicle_id: str, before: VehicleState, node: int,
            now: int, persons: int) -> None:
    """Record a driven leg (for vehicle hours, kilometres, empty kilometres, occupancy)."""
    drive = int(eng.places.time_s[before.node, node])
    repo.add_event(s, EventType.LEG, vehicle_id=vehicle_id, at=to_dt(now),
                   start_s=max(before.time_s, now - drive),
                   end_s=now, distance_m=int(eng.places.dist_m[before.node, node]),
                   drive_s=drive, load=persons)


def driver_event(eng: Engine, vehicle_id: str, kind: str, booking_id: str | None,
                 actor_id: str, lat: float | None = None, lon: float | None = None
                 ) -> ReportResult:
    """Apply a driver's report (arrived, boarded, alighted, departed) to plans and bookings
    (:func:`dispatcher.engine.machine.apply`)."""
    now = eng.clock()
    report_kind = machine.parse_report(kind)
    live = eng.live
    day = eng.day_of_booking(booking_id) if booking_id is not None else eng.today()
    with eng.writing(day), eng.unit_of_work() as s:
        if booking_id is None:
            if report_kind in (DriverReport.BOARDED, DriverReport.ALIGHTED):
                raise InvalidInput("予約IDが必要です", "booking_id is required")
            repo.add_event(s, report_kind, vehicle_id=vehicle_id, actor_id=actor_id,
                           at=to_dt(now), lat=lat, lon=lon)
            return {"ok": True}
        row = booking_store.get_booking(s, booking_id)
        key = live.assigned.get(booking_id)
        if row is None or row.vehicle_id != vehicle_id or key is None:
            raise NotFound("この車両の予約ではありません", "booking is not on this vehicle",
                           booking_id=booking_id)
        load_before = live.load(key)
        booking = live.bookings.get(booking_id)
        dwell = eng.params.dwell_s(booking.request.passengers) if booking is not None else 0
        report = machine.Report(report_kind, booking_id, BookingStatus(row.status), now, dwell)
        route = machine.Route(live.states[key], live.plans[key], key in live.en_route)

        def drivable(plan: Plan, state: VehicleState) -> bool:
            broken = eng.planner.check(key, plan, state).violations
            return not any(v.kind in recovery.STRUCTURAL for v in broken)

        out = machine.apply(report, route, drivable)
        live.states[key], live.plans[key] = out.route.state, out.route.plan
        if out.route.en_route:
            live.en_route.add(key)
        else:
            live.en_route.discard(key)
        if out.done:
            live.bookings.pop(booking_id, None)
            live.assigned.pop(booking_id, None)
        if out.leg is not None:
            log_leg(eng, s, vehicle_id, out.leg.start, out.leg.to_node, now, load_before)
        if out.status != row.status:
            row.status = out.status
            if out.status == BookingStatus.ONBOARD:
                row.picked_up_at = to_dt(now)
            elif out.status == BookingStatus.COMPLETED:
                row.dropped_off_at = to_dt(now)
        row.updated_at = to_dt(now)
        live.revise(key)
        eng.save_plan(s, key)
        extra: dict[str, Any] = {}
        if out.ride_from_s is not None:
            # When the party's planned boarding ends: its ride limit counts from there.
            extra["ride_from_s"] = out.ride_from_s
        repo.add_event(s, report_kind, booking_id=booking_id, vehicle_id=vehicle_id,
                       actor_id=actor_id, at=to_dt(now), lat=lat, lon=lon,
                       seats=row.adults + row.children, wheelchairs=row.wheelchairs, **extra)
        eng.bump()
        return {"ok": True, "status": row.status}


def break_taken(eng: Engine, vehicle_id: str, start_s: int, actor_id: str) -> BreakResult:
    """Record that a vehicle's driver starts a break now (at ``start_s``, epoch s).

    The break of that day's shift whose window holds ``start_s`` is taken off the vehicle's
    remaining breaks, and the vehicle is next free when the break ends — unless that would
    make a promise break (or, when already late, later than it is now).
    """
    live, planner = eng.live, eng.planner
    day = eng.day_at(start_s)
    with eng.writing(day):
        key = VehicleDay(vehicle_id, day).key
        vehicle = live.vehicles.get(key)
        if vehicle is None:
            raise NotFound("その日の勤務がありません", "no shift of this vehicle today",
                           vehicle_id=vehicle_id)
        st = live.states[key]
        rest, after, end = machine.take_break(vehicle, st, start_s)
        late_before = planner.late_s(key, st)
        live.vehicles[key] = rest
        ok = planner.check(key, live.plans[key], after).feasible
        if not ok and late_before:
            # Already late: the break may not make any promise later than it is now.
            ok = planner.late_s(key, after) <= late_before
        if not ok:
            # A promise made to a later rider would break: the break waits.
            live.vehicles[key] = vehicle
            raise Conflict(
                "今休憩すると、この後の予約の約束の時刻に間に合いません。予定の休憩時刻に"
                "開始してください。",
                "Taking the break now would make a later booking miss its promise; start it "
                "at the planned time.", rule="break_keeps_promises")
        live.states[key] = after
        live.revise(key)
        with eng.unit_of_work() as s:
            fleet_store.take_break(s, vehicle_id, day, to_dt(start_s))
            eng.save_plan(s, key)
            repo.add_event(s, EventType.BREAK, vehicle_id=vehicle_id, actor_id=actor_id,
                           at=to_dt(start_s), start_s=start_s, end_s=end)
        eng.bump()
        return {"ok": True, "start_s": start_s, "end_s": end}


def position(eng: Engine, vehicle_id: str, lat: float, lon: float, actor_id: str,
             heading: float | None = None) -> None:
    """Record a vehicle's reported position (kept on the vehicle row and in the event log)."""
    now = eng.clock()
    with eng.unit_of_work() as s:
        if not fleet_store.set_position(s, vehicle_id, lat, lon, heading, to_dt(now)):
            raise NotFound("車両が見つかりません", "vehicle not found", vehicle_id=vehicle_id)
        repo.add_event(s, EventType.POSITION, vehicle_id=vehicle_id, actor_id=actor_id,
                       at=to_dt(now), lat=lat, lon=lon)
    with eng.lock:
        eng.version += 1
        eng.changed.notify_all()


def back_at_depot(eng: Engine, vehicle_id: str, actor_id: str, end_shift: bool = False
                  ) -> DepotResult:
    """The driver reports the vehicle back at its depot (and, with ``end_shift``, the shift
    over). Refused while riders are on board; ending the shift is refused while bookings
    are still planned on the vehicle (the operator moves them first). An ended shift takes
    the vehicle out of planning for the day, so it never holds up anyone else's plans.
    """
    now = eng.clock()
    live = eng.live
    day = eng.day_at(now)
    with eng.writing(day):
        key = VehicleDay(vehicle_id, day).key
        if key not in live.vehicles:
            raise NotFound("今日の勤務がありません", "no shift of this vehicle today",
                           vehicle_id=vehicle_id)
        st = live.states[key]
        route = machine.Route(st, live.plans[key], key in live.en_route)
        depot = live.vehicles[key].depot
        after = (machine.end_shift(route, depot, now) if end_shift
                 else machine.at_depot(route, depot, now))
        live.states[key] = after.state
        live.en_route.discard(key)
        if end_shift:
            live.ended.add(key)
        live.revise(key)
        with eng.unit_of_work() as s:
            if depot != st.node:
                log_leg(eng, s, vehicle_id, st, depot, now, 0)
            if end_shift:
                fleet_store.end_shift(s, vehicle_id, day, to_dt(now))
            eng.save_plan(s, key)
            repo.add_event(s, EventType.SHIFT_ENDED if end_shift else EventType.AT_DEPOT,
                           vehicle_id=vehicle_id, actor_id=actor_id, at=to_dt(now))
        eng.bump()
        return {"ok": True, "at": now, "shift_ended": end_shift or key in live.ended}
