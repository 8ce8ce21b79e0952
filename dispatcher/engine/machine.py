"""The dispatch state machine of one vehicle-day: what a driver's report does to its route.

``apply(report, route, drivable) -> Outcome`` is pure: it takes the vehicle-day's state, plan
and "driving to its first stop" flag, and returns the new ones with the effects the service
writes (the booking's new status, a driven leg to log, when the ride limit starts). The
service (:mod:`dispatcher.engine.driving`) owns the lock, the database and the events.

The rules:

* ``boarded`` (confirmed booking, pickup planned): the pickup leaves the plan; the vehicle is at
  that stop, busy for the party's dwell; the party is on board and its ride limit counts from
  the end of that dwell (as the planner's schedule does).
* ``alighted`` (booking on board, drop-off planned): the drop-off leaves the plan, the party
  leaves the vehicle, the booking is done.
* ``arrived`` / ``departed`` (with a booking: its next stop — the pickup until it is on
  board): the stop moves to the front of the plan and is locked so that no insertion or
  re-optimisation moves it; on arrival the vehicle is at the stop; on departure it is driving
  there (``en_route``) from now. Reality is what it is: a late vehicle is still where it says;
  only an order that cannot be driven at all (capacity, structure — ``drivable``) is refused,
  and then the route stays as it was.
* any report but ``departed`` ends ``en_route``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from dispatcher.errors import Conflict, InvalidInput
from dispatcher.model import Plan, StopKind, Vehicle, VehicleState
from dispatcher.statuses import BookingStatus, DriverReport


@dataclass(frozen=True)
class Route:
    """A vehicle-day's route as the state machine sees it."""

    state: VehicleState
    plan: Plan
    en_route: bool = False


@dataclass(frozen=True)
class Report:
    """A driver's report about one booking at ``now_s``; ``dwell_s`` is the time the booking's
    party takes to board or alight (:meth:`DispatchParams.dwell_s`)."""

    kind: DriverReport
    booking_id: str
    status: BookingStatus
    now_s: int
    dwell_s: int = 0


@dataclass(frozen=True)
class Leg:
    """A driven leg to log: from ``start`` (the state before) to place ``to_node``."""

    start: VehicleState
    to_node: int


@dataclass(frozen=True)
class Outcome:
    """The route after a report and what the service writes for it."""

    route: Route
    status: BookingStatus
    #: True when the booking leaves the live state (dropped off).
    done: bool = False
    leg: Leg | None = None
    #: ``boarded``: when the party's planned boarding ends (its ride limit counts from there).
    ride_from_s: int | None = None


#: Whether a (plan, state) can be driven at all (no capacity or structural violation).
Drivable = Callable[[Plan, VehicleState], bool]


def target_kind(report: Report) -> StopKind:
    """The stop of the booking a report is about: boarding its pickup, alighting its
    drop-off; arriving or departing its next one (the pickup until it is on board)."""
    if report.kind == DriverReport.BOARDED:
        return StopKind.PICKUP
    if report.kind == DriverReport.ALIGHTED:
        return StopKind.DROPOFF
    return StopKind.PICKUP if report.status == BookingStatus.CONFIRMED else StopKind.DROPOFF


def _without(plan: Plan, idx: int) -> Plan:
    stops = plan.stops[:idx] + plan.stops[idx + 1:]
    return Plan(plan.vehicle_id, stops, max(0, min(plan.locked - 1, len(stops))))


def _board(report: Report, route: Route, idx: int | None) -> Outcome:
    st, plan = route.state, route.plan
    if report.status != BookingStatus.CONFIRMED or idx is None:
        raise Conflict("この予約はすでに乗車済みか取消済みです",
                       "booking already on board, or cancelled")
    leave = report.now_s + report.dwell_s
    state = VehicleState(st.vehicle_id, plan.stops[idx].node, leave,
                         (*st.onboard, report.booking_id),
                         (*tuple(st.departed().get(b, report.now_s) for b in st.onboard), leave))
    return Outcome(Route(state, _without(plan, idx)), BookingStatus.ONBOARD, ride_from_s=leave)


def _alight(report: Report, route: Route, idx: int | None) -> Outcome:
    st, plan = route.state, route.plan
    if report.status != BookingStatus.ONBOARD or idx is None:
        raise Conflict("この予約は乗車中ではありません", "booking is not on board")
    keep = tuple(b for b in st.onboard if b != report.booking_id)
    dep = st.departed()
    state = VehicleState(st.vehicle_id, plan.stops[idx].node, report.now_s + report.dwell_s, keep,
                         tuple(dep.get(b, report.now_s) for b in keep))
    return Outcome(Route(state, _without(plan, idx)), BookingStatus.COMPLETED, done=True)


def _at_or_for(report: Report, route: Route, idx: int | None, drivable: Drivable) -> Outcome:
    st, plan = route.state, route.plan
    stay = Outcome(Route(st, plan, route.en_route and report.kind == DriverReport.DEPARTED),
                   report.status)
    if idx is None:
        return stay
    stops = plan.stops
    order = Plan(plan.vehicle_id, stops[idx:idx + 1] + stops[:idx] + stops[idx + 1:],
                 max(plan.locked, 1))
    node = stops[idx].node if report.kind == DriverReport.ARRIVED else st.node
    here = replace(st, node=node, time_s=max(st.time_s, report.now_s))
    if not drivable(order, here):
        return stay
    return Outcome(Route(here, order, report.kind == DriverReport.DEPARTED), report.status)


def apply(report: Report, route: Route, drivable: Drivable) -> Outcome:
    """The route after a driver's ``report`` (see the module's rules).

    Raises
    ------
    Conflict
        Boarding a booking that is not waiting (or whose pickup is not planned), alighting
        one that is not on board.
    """
    want = target_kind(report)
    idx = next((i for i, st in enumerate(route.plan.stops)
                if st.booking_id == report.booking_id and st.kind == want), None)
    if report.kind == DriverReport.BOARDED:
        out = _board(report, route, idx)
    elif report.kind == DriverReport.ALIGHTED:
        out = _alight(report, route, idx)
    elif report.kind in (DriverReport.ARRIVED, DriverReport.DEPARTED):
        out = _at_or_for(report, route, idx, drivable)
    else:  # pragma: no cover - StrEnum exhausts the kinds
        raise InvalidInput("不明な操作です", f"unknown driver event: {report.kind}")
    if out.route.state.node != route.state.node:
        out = replace(out, leg=Leg(route.state, out.route.state.node))
    return out


def parse_report(kind: str) -> DriverReport:
    """The report kind of a driver's request, or a clear 4xx."""
    try:
        return DriverReport(kind)
    except ValueError:
        raise InvalidInput("不明な操作です", f"unknown driver event: {kind}") from None


def at_depot(route: Route, depot: int, now_s: int) -> Route:
    """The route when the driver reports the vehicle back at its depot: idle there from now.

    Raises Conflict while riders are on board.
    """
    if route.state.onboard:
        raise Conflict("乗客が乗車中です。降車を記録してから帰庫してください。",
                       "Riders are on board: record their drop-off first.",
                       rule="riders_on_board")
    st = route.state
    return Route(VehicleState(st.vehicle_id, depot, max(st.time_s, now_s)), route.plan, False)


def end_shift(route: Route, depot: int, now_s: int) -> Route:
    """The route when the driver reports the shift over (back at the depot, nothing left).

    Raises Conflict while riders are on board or bookings are still planned on the vehicle
    (the operator moves them first).
    """
    left = len({x.booking_id for x in route.plan.stops})
    if left and not route.state.onboard:
        raise Conflict(
            f"まだ{left}件の予約が残っています。運行管理者に他の車両への移動を依頼してください。",
            f"{left} booking(s) are still planned on this vehicle; ask the operator to move them "
            "first.", rule="bookings_left")
    return at_depot(route, depot, now_s)


def take_break(vehicle: Vehicle, state: VehicleState, start_s: int
               ) -> tuple[Vehicle, VehicleState, int]:
    """The vehicle without the break due at ``start_s``, its state when that break ends, and
    the end (epoch s). Whether the promises still hold is the service's check.

    Raises Conflict when no break is due then, or riders are on board.
    """
    brk = next((b for b in vehicle.breaks
                if b.earliest_start_s <= start_s <= b.latest_end_s - b.duration_s), None)
    if brk is None:
        raise Conflict("今は休憩の時間帯ではありません", "no break is due now")
    if state.onboard:
        raise Conflict("乗客が乗車中は休憩できません", "a break needs an empty vehicle")
    end = start_s + brk.duration_s
    after = VehicleState(state.vehicle_id, state.node, max(state.time_s, end), state.onboard,
                         state.onboard_departed_s)
    rest = replace(vehicle, breaks=tuple(b for b in vehicle.breaks if b is not brk))
    return rest, after, end
