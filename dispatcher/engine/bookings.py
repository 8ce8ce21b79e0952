"""Changes to confirmed bookings: cancel, no-show (and its undo), move to another vehicle.

Whether a change is allowed is :mod:`.lifecycle`'s (pure) decision. Each runs under the engine's lock in one transaction that writes the booking, the plans it
changes and their events; the live state changes only with it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from dispatcher.engine import lifecycle
from dispatcher.engine.vehicle_day import VehicleDay
from dispatcher.errors import Conflict, Infeasible, InvalidInput, NotFound
from dispatcher.model import StopKind, VehicleState
from dispatcher.statuses import BookingStatus, EventType
from dispatcher.store import bookings as booking_store
from dispatcher.store import fleet as fleet_store
from dispatcher.store import repo
from dispatcher.store.tables import BookingRow, Event
from dispatcher.store.types import to_dt, to_s
from dispatcher.trip import Place

if TYPE_CHECKING:
    from dispatcher.engine.core import Engine


def cancel(eng: Engine, booking_id: str, actor: Any, *, by_operator: bool) -> BookingRow:
    """Cancel a confirmed booking (riders: their own, before it is on board)."""
    now = eng.clock()
    with eng.writing(eng.day_of_booking(booking_id)), eng.unit_of_work() as s:
        row = booking_store.get_booking(s, booking_id)
        if row is None:
            raise NotFound("予約が見つかりません", "booking not found", booking_id=booking_id)
        done = lifecycle.cancel(booking_id, row.status, own=row.rider_id == actor.user_id,
                                by_operator=by_operator, now_s=now,
                                pickup_earliest_s=to_s(row.pickup_earliest_at),
                                notice_s=eng.service.booking.cancel_notice_s)
        key = eng.live.drop(booking_id, eng.planner.plan_s)
        row.status = done.status
        row.updated_at = to_dt(now)
        repo.add_event(s, EventType.CANCELLED, booking_id=booking_id, vehicle_id=row.vehicle_id,
                       actor_id=actor.user_id, at=to_dt(now), late=done.late, by=done.by)
        if key is not None:
            eng.live.revise(key)
            eng.save_plan(s, key)
            repo.add_event(s, EventType.PLANNED, vehicle_id=row.vehicle_id, at=to_dt(now),
                           vehicle_day=key, revision=eng.live.revisions[key], reason="cancel")
        eng.bump()
        return booking_store.detach(s, row)


def _may_record_no_show(eng: Engine, s: Session, row: BookingRow | None, booking_id: str,
                        vehicle_id: str | None, now: int) -> BookingRow:
    if row is None or (vehicle_id is not None and row.vehicle_id != vehicle_id):
        raise NotFound("予約が見つかりません", "booking not found", booking_id=booking_id)
    # where the vehicle is is asked only when the cheap checks allow it
    lifecycle.no_show(row.status, now_s=now, pickup_earliest_s=to_s(row.pickup_earliest_at),
                      grace_s=eng.service.booking.no_show_grace_s,
                      at_pickup=None if vehicle_id is None
                      else partial(_at_pickup, eng, s, row, vehicle_id))
    return row


def no_show(eng: Engine, booking_id: str, actor_id: str, vehicle_id: str | None = None
            ) -> BookingRow:
    """Record a no-show: only after the window's start plus the grace time (and, when the
    vehicle's driver records it, once the vehicle is at the pickup)."""
    now = eng.clock()
    live = eng.live
    with eng.writing(eng.day_of_booking(booking_id)), eng.unit_of_work() as s:
        row = _may_record_no_show(eng, s, booking_store.get_booking(s, booking_id), booking_id,
                                  vehicle_id, now)
        at = live.assigned.get(booking_id)
        pick = None
        if at is not None:
            pick = next((st.node for st in live.plans[at].stops
                         if st.booking_id == booking_id and st.kind == StopKind.PICKUP), None)
        key = live.drop(booking_id, eng.planner.plan_s)
        if key is not None and pick is not None and vehicle_id is not None:
            # Recorded by the vehicle's driver: the vehicle is at the pickup now.
            st = live.states[key]
            live.states[key] = VehicleState(key, pick, max(st.time_s, now), st.onboard,
                                            st.onboard_departed_s)
            live.en_route.discard(key)
        row.status = BookingStatus.NO_SHOW  # as lifecycle.no_show decided
        row.updated_at = to_dt(now)
        repo.add_event(s, EventType.NO_SHOW, booking_id=booking_id, vehicle_id=row.vehicle_id,
                       actor_id=actor_id, at=to_dt(now))
        if key is not None:
            live.revise(key)
            eng.save_plan(s, key)
        eng.bump()
        return booking_store.detach(s, row)


def _reported_place(eng: Engine, s: Session, last: Event) -> int | None:
    """The place of a vehicle's ``arrived`` report: the named booking's pickup, or its
    drop-off once that rider was on board; without a booking, the reported position's."""
    there = booking_store.get_booking(s, last.booking_id) if last.booking_id else None
    if there is None:
        lat, lon = last.data.get("lat"), last.data.get("lon")
        if lat is None or lon is None:
            return None
        place = Place(None, float(lat), float(lon))
    elif there.picked_up_at is None or there.picked_up_at >= last.at:
        place = Place(there.origin_stop_id, there.origin_lat, there.origin_lon)
    else:
        place = Place(there.destination_stop_id, there.destination_lat, there.destination_lon)
    try:
        return eng.rows.place_index(place)[0]
    except InvalidInput:  # a reported position outside the zone: not a place of the service
        return None


def _at_pickup(eng: Engine, s: Session, row: BookingRow, vehicle_id: str) -> bool:
    """Whether the driver's reports put the vehicle at ``row``'s pickup now.

    The vehicle's latest arrival or departure report of the booking's day decides: an
    arrival at the pickup's place means there, a departure means not. With neither that day,
    the vehicle is where its live state puts it (its depot at the start of the shift, or where
    it last boarded or set down someone) unless it is driving.
    """
    pickup = eng.rows.place_index(Place(row.origin_stop_id, row.origin_lat, row.origin_lon))[0]
    start = datetime.combine(row.service_day, datetime.min.time(), tzinfo=eng.tz)
    last = fleet_store.last_stop_report(s, vehicle_id, start, start + timedelta(days=1))
    if last is None:
        key = VehicleDay(vehicle_id, row.service_day).key
        state = eng.live.states.get(key)
        return state is not None and state.node == pickup and key not in eng.live.en_route
    if last.type != EventType.ARRIVED:
        return False
    return _reported_place(eng, s, last) == pickup


def _undoable_no_show(eng: Engine, booking_id: str, actor_id: str, vehicle_id: str,
                      within_s: int, now: int) -> tuple[BookingRow, Event]:
    with eng.reading() as s:
        row = booking_store.get_booking(s, booking_id)
        mark = fleet_store.last_event(s, booking_id, EventType.NO_SHOW)
    if row is None or row.vehicle_id != vehicle_id:
        raise NotFound("この車両の予約ではありません", "booking is not on this vehicle",
                       booking_id=booking_id)
    lifecycle.undo_no_show(row.status, recorded=mark is not None,
                           recorded_by=mark.actor_id if mark else None, actor=actor_id,
                           recorded_at_s=to_s(mark.at) if mark else 0, now_s=now,
                           within_s=within_s)
    assert mark is not None
    return row, mark


def undo_no_show(eng: Engine, booking_id: str, actor_id: str, vehicle_id: str,
                 within_s: int) -> BookingRow:
    """Undo a no-show the same driver recorded less than ``within_s`` seconds ago.

    The booking is put back into the vehicle's plan with its original promise (pickup
    window, latest drop-off, ride limit) if that plan can still keep it, and is confirmed
    again; a ``no_show_undone`` event records it.

    Raises
    ------
    NotFound
        Unless the booking is on ``vehicle_id``.
    Conflict
        If it is not a no-show, the no-show was recorded by someone else, or the undo time
        has passed.
    Infeasible
        If the vehicle's plan can no longer keep the booking's promise.
    """
    now = eng.clock()
    live = eng.live
    with eng.writing(eng.day_of_booking(booking_id)):
        row, mark = _undoable_no_show(eng, booking_id, actor_id, vehicle_id, within_s, now)
        booking = eng.rows.booking(row)
        key = VehicleDay(vehicle_id, row.service_day).key
        placed = eng.planner.insert_promised(booking, row.service_day, only=key)
        if placed is None:
            raise Infeasible("元の約束の時間帯ではもう迎えられないため、取り消せません",
                             "the plan can no longer keep this booking's promise",
                             rule="no_show_undo_infeasible")
        old_plan = live.plans[key]
        live.place(booking, key, placed[1])
        live.revise(key)
        try:
            with eng.unit_of_work() as s:
                r = booking_store.get_booking(s, booking_id)
                if r is None or r.status != BookingStatus.NO_SHOW:
                    raise Conflict("予約の状態が変わりました", "the booking changed meanwhile")
                r.status = BookingStatus.CONFIRMED
                r.updated_at = to_dt(now)
                eng.save_plan(s, key)
                repo.add_event(s, EventType.NO_SHOW_UNDONE, booking_id=booking_id,
                               vehicle_id=vehicle_id, actor_id=actor_id, at=to_dt(now),
                               no_show_event=mark.id)
                booking_store.detach(s, r)
        except Exception:
            # Roll the memory back: the database is the truth.
            live.unplace(booking_id, key, old_plan)
            raise
        eng.bump()
        return r


def boarding_here(eng: Engine, vehicle_id: str) -> frozenset[str]:
    """The bookings that board at the vehicle's current stop now: the pickups among the
    leading stops of today's plan at the place of its first stop (its next visit)."""
    with eng.lock:
        plan = eng.live.plans.get(VehicleDay(vehicle_id, eng.today()).key)
        if plan is None or not plan.stops:
            return frozenset()
        node = plan.stops[0].node
        out = set()
        for st in plan.stops:
            if st.node != node:
                break
            if st.kind == StopKind.PICKUP:
                out.add(st.booking_id)
        return frozenset(out)


def move(eng: Engine, booking_id: str, vehicle_id: str, actor_id: str) -> BookingRow:
    """Move a confirmed booking to another vehicle of its day, keeping its promise."""
    now = eng.clock()
    live = eng.live
    with eng.writing(eng.day_of_booking(booking_id)):
        with eng.reading() as s:
            row = booking_store.get_booking(s, booking_id)
        if row is None:
            raise NotFound("予約が見つかりません", "booking not found", booking_id=booking_id)
        lifecycle.may_move(row.status)
        target = VehicleDay(vehicle_id, row.service_day).key
        if target not in live.vehicles:
            raise NotFound("その日にその車両の勤務がありません",
                           "that vehicle has no shift on the booking's day", vehicle_id=vehicle_id)
        booking = live.bookings[booking_id]
        source = live.assigned.get(booking_id)
        before = live.plans.get(source) if source else None
        state, en_route = (live.states[source], source in live.en_route) if source else (None, False)
        live.drop(booking_id, eng.planner.plan_s)
        live.bookings[booking_id] = booking
        placed = eng.planner.insert_promised(booking, row.service_day, only=target)
        if placed is None:
            live.assigned[booking_id] = source or target
            if source and before is not None and state is not None:
                live.plans[source], live.states[source] = before, state
                if en_route:
                    live.en_route.add(source)
            raise Infeasible("その車両では約束の時間を守れません",
                             "that vehicle cannot keep this booking's promise")
        key, plan = placed
        live.place(booking, key, plan)
        changed = [k for k in {key, source} if k]
        live.revise(*changed)
        with eng.unit_of_work() as s:
            r = booking_store.get_booking(s, booking_id)
            assert r is not None
            r.vehicle_id = vehicle_id
            r.updated_at = to_dt(now)
            for k in changed:
                eng.save_plan(s, k)
            repo.add_event(s, EventType.MOVED, booking_id=booking_id, vehicle_id=vehicle_id,
                           actor_id=actor_id, at=to_dt(now),
                           from_vehicle=VehicleDay.of(source).vehicle_id if source else None)
            booking_store.detach(s, r)
        eng.bump()
        return r
