"""A vehicle's driving timetable under two clocks of travel, late or not (pure).

Promises are checked against *planning* travel times (pessimistic: the routing's times times a
service factor plus a margin per leg, :meth:`dispatcher.params.DispatchParams.planning_times`);
the driver's schedule and the riders' ETAs use the *expected* times (the routing's own). A
route that is feasible under planning times therefore keeps every promise with room to spare
when reality is close to the routing.

The timetable of a route (:func:`timetable`) is what the driver and the riders see:

- every stop is served as early as it can be under expected times (a pickup no earlier than
  its window allows, see :meth:`DispatchParams.pickup_from_s`), so the slack a plan has is
  kept in front of the vehicle, not spent by planning pickups at the end of their windows;
- an empty vehicle waits where it is (the depot, the last drop-off) and leaves by ``leave_by``:
  its start time at the next stop minus the planning travel time there;
- a late vehicle still gets times: the earliest it can be anywhere (:func:`soft_times`), with
  the promises it breaks named (``late`` under expected times, ``at_risk`` under planning
  times only).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from dispatcher.feasibility import (
    Late,
    PromisePart,
    RouteCheck,
    StopTime,
    Violation,
    ViolationKind,
    loads_after,
    structure_violations,
    timing_violation,
)
from dispatcher.model import Booking, PlannedStop, StopKind, Vehicle, VehicleState
from dispatcher.params import DispatchParams
from dispatcher.route_eval import (
    BREAK,
    DROPOFF,
    PICKUP,
    START,
    TimedRoute,
    compile_route,
    least_times,
    leg_times,
    place_breaks,
    route_cost,
)


def _forward(seq: TimedRoute, legs: Sequence[int], b: list[int], start: int) -> None:
    """Push times forward from element ``start`` (lower bounds and travel only), in place."""
    for k in range(start, len(b)):
        t = b[k - 1] + seq.service[k - 1] + legs[k - 1]
        if t <= b[k]:
            return
        b[k] = t


def soft_times(seq: TimedRoute, legs: Sequence[int]) -> list[int]:
    """The earliest service start at every element with windows and shift ignored.

    Lower bounds (a pickup not before its window allows) and travel are kept. A ride limit is
    kept by boarding later only where that makes no element later than both its bound and its
    time without the push (waiting that costs no one lateness). On a feasible route this is
    the least solution of :func:`dispatcher.feasibility.check_route`; on a late one it is the
    best schedule that exists: nothing can be earlier.
    """
    n = len(seq.nodes)
    b = [0] * n
    b[0] = seq.lo[0]
    for k in range(1, n):
        t = b[k - 1] + seq.service[k - 1] + legs[k - 1]
        b[k] = t if t > seq.lo[k] else seq.lo[k]
    for _ in range(len(seq.pairs) + 1):
        changed = False
        for p, q, limit in seq.pairs:
            need = b[q] - seq.service[p] - limit
            target = min(need, max(seq.hi[p], b[p]))
            if target <= b[p]:
                continue
            trial = list(b)
            trial[p] = target
            _forward(seq, legs, trial, p + 1)
            if any(trial[k] > max(seq.hi[k], b[k]) for k in range(p, n)):
                continue
            b = trial
            changed = True
        if not changed:
            break
    return b


def _ride_safe(seq: TimedRoute, plan_legs: Sequence[int]) -> TimedRoute:
    """``seq`` with pickups boarding no earlier than their ride limit allows under planning
    times when the vehicle must wait after them with the rider on board.

    The driving schedule serves stops as early as it can, but a rider boarded early and then
    driven to a later stop that cannot be served before its own window (a wait) rides longer:
    under planning times that ride may pass its limit although the plan kept it. For each ride
    the earliest the drop-off can be reached because of the lower bounds between pickup and
    drop-off (planning travel, whenever the pickup happens) bounds the pickup from below.
    """
    lo = list(seq.lo)
    changed = False
    for p, q, limit in seq.pairs:
        w = -(10 ** 12)
        for k in range(p + 1, q + 1):
            w = max(w + seq.service[k - 1] + plan_legs[k - 1], seq.lo[k])
        need = min(w - seq.service[p] - limit, seq.hi[p])
        if need > lo[p]:
            lo[p] = need
            changed = True
    return replace(seq, lo=lo) if changed else seq


def lateness(seq: TimedRoute, times: Sequence[int], stops: Sequence[PlannedStop],
             bookings: Mapping[str, Booking], state: VehicleState,
             vehicle: Vehicle) -> tuple[list[Late], int]:
    """The promises ``times`` break (pickup after its window, drop-off after its latest, ride
    over its limit; by how many seconds) and how far the route ends after the shift (s)."""
    out: list[Late] = []
    pick_at: dict[str, int] = {}
    departed = state.departed()
    for k in range(1, len(seq.nodes) - 1):
        role = seq.role[k]
        if role not in (PICKUP, DROPOFF):
            continue
        i = seq.stop_of[k]
        bid = stops[i].booking_id
        pr = bookings[bid].promise
        if role == PICKUP:
            pick_at[bid] = times[k] + seq.service[k]
            if times[k] > pr.pickup_latest_s:
                out.append(Late(bid, PromisePart.PICKUP, times[k] - pr.pickup_latest_s, i))
            continue
        if times[k] > pr.dropoff_latest_s:
            out.append(Late(bid, PromisePart.DROPOFF, times[k] - pr.dropoff_latest_s, i))
        left = pick_at.get(bid, departed.get(bid))
        if left is not None and times[k] - left > pr.max_ride_s:
            out.append(Late(bid, PromisePart.RIDE, times[k] - left - pr.max_ride_s, i))
    overrun = max(0, max(times) - vehicle.shift_end_s) if times else 0
    return out, overrun


def _latest(seq: TimedRoute, legs: Sequence[int], times: Sequence[int]) -> list[int]:
    """Latest start at each element that keeps every later bound under ``legs`` (ride limits
    counted from the pickups' ``times``)."""
    late = list(seq.hi)
    for p, q, limit in seq.pairs:
        late[q] = min(late[q], times[p] + seq.service[p] + limit)
    for k in range(len(late) - 2, -1, -1):
        t = late[k + 1] - seq.service[k] - legs[k]
        if t < late[k]:
            late[k] = t
    return late


def _empty_before(seq: TimedRoute, k: int, loads: Sequence[tuple[int, int]], onboard: bool) -> bool:
    """True when nobody is on board while driving from element ``k - 1`` to ``k``."""
    prev = seq.role[k - 1]
    if prev == START:
        return not onboard
    if prev == BREAK:
        return True
    return loads[seq.stop_of[k - 1]] == (0, 0)


def _driving_schedule(seq: TimedRoute, drive: list[int], plan_legs: list[int],
                      exp_legs: list[int], loads: Sequence[tuple[int, int]], onboard: bool,
                      latest: list[int]) -> tuple[list[StopTime], list[int], list[int], list[int]]:
    """The stops' times under the driving schedule ``drive``, their "leave by" and latest
    starts, and the break starts. An empty vehicle waits where it is and leaves by the planned
    start minus the planning travel time; with riders on board it leaves as soon as it is ready.
    """
    schedule: list[StopTime] = []
    leave_by: list[int] = []
    latest_s: list[int] = []
    breaks: list[int] = []
    for k in range(1, len(seq.nodes) - 1):
        if seq.role[k] == BREAK:
            breaks.append(drive[k])
            continue
        ready = drive[k - 1] + seq.service[k - 1]
        by = max(ready, drive[k] - plan_legs[k - 1])
        leave = by if _empty_before(seq, k, loads, onboard) else ready
        arrival = leave + exp_legs[k - 1]
        schedule.append(StopTime(arrival, drive[k], drive[k] + seq.service[k],
                                 *loads[seq.stop_of[k]], leave))
        leave_by.append(by)
        latest_s.append(latest[k])
    return schedule, leave_by, latest_s, breaks


def _rides(stops: Sequence[PlannedStop], schedule: list[StopTime], state: VehicleState,
           bookings: Mapping[str, Booking], expected_s: np.ndarray) -> tuple[dict[str, int], int]:
    """Each ride's time (s, from leaving the pickup to the drop-off's start) and the total
    excess over the expected direct times."""
    ride: dict[str, int] = {}
    excess = 0
    left = state.departed()
    for i, stop in enumerate(stops):
        if stop.kind is StopKind.PICKUP:
            left[stop.booking_id] = schedule[i].departure_s
        elif stop.booking_id in left:
            req = bookings[stop.booking_id].request
            ride[stop.booking_id] = schedule[i].start_s - left[stop.booking_id]
            excess += max(0, ride[stop.booking_id] - int(expected_s[req.origin, req.destination]))
    return ride, excess


def timetable(
    vehicle: Vehicle,
    state: VehicleState,
    stops: Sequence[PlannedStop],
    bookings: Mapping[str, Booking],
    plan_s: np.ndarray,
    expected_s: np.ndarray,
    params: DispatchParams,
    dist_m: np.ndarray | None = None,
) -> RouteCheck:
    """Check a route under planning times and give its driving timetable under expected times.

    Parameters
    ----------
    vehicle, state, stops, bookings
        The route, as for :func:`dispatcher.feasibility.check_route`.
    plan_s
        Planning (pessimistic) travel times (s): the promises are checked against these.
    expected_s
        Expected travel times (s): the schedule the driver follows and riders are told.
    params
        Dwell times and objective weights.
    dist_m
        Distances (m), for the route's cost.

    Returns
    -------
    RouteCheck
        ``violations`` under planning times (empty: every promise holds with the planning
        margin); ``stops`` the driving schedule, present unless the route is structurally
        broken; ``leave_by_s``, ``latest_s``, ``late``, ``at_risk`` and ``shift_overrun_s`` as
        described on :class:`dispatcher.feasibility.RouteCheck`.
    """
    structural = structure_violations(state, stops, bookings)
    if structural:
        return RouteCheck(vehicle.id, tuple(structural))
    loads, violations = loads_after(vehicle, state, stops, bookings)
    seq = compile_route(vehicle, state, stops, bookings, params)
    least, fail = least_times(seq, leg_times(seq, plan_s))
    onboard = bool(state.onboard)
    if fail is not None:
        violations.append(timing_violation(seq, fail, stops, vehicle, least, bookings))
    if vehicle.breaks:
        # Breaks where they fit (under planning times; on a late route under expected ones).
        placed = place_breaks(vehicle, seq, loads, onboard, plan_s if fail is None else expected_s)
        if placed is not None:
            seq = placed[0]
        elif fail is None:
            violations.append(Violation(ViolationKind.BREAK, None, None,
                                        "no empty gap fits the break"))
    exp_legs = leg_times(seq, expected_s)
    plan_legs = leg_times(seq, plan_s)
    drive, fail_e = least_times(_ride_safe(seq, plan_legs), exp_legs)
    if fail_e is not None:
        drive, fail_e = least_times(seq, exp_legs)
    if fail_e is not None:
        drive = soft_times(seq, exp_legs)
    pess, fail_p = least_times(seq, plan_legs)
    if fail_p is not None:
        pess = soft_times(seq, plan_legs)
    late, overrun = lateness(seq, drive, stops, bookings, state, vehicle)
    risky, _ = lateness(seq, pess, stops, bookings, state, vehicle)
    known = {(x.booking_id, x.part) for x in late}
    at_risk = tuple(x for x in risky if (x.booking_id, x.part) not in known)
    latest = _latest(seq, plan_legs, drive)
    schedule, leave_by, latest_s, breaks = _driving_schedule(seq, drive, plan_legs, exp_legs,
                                                             loads, onboard, latest)
    ride, excess = _rides(stops, schedule, state, bookings, expected_s)
    travel, distance, cost = route_cost(seq, exp_legs, bool(stops), params, dist_m, excess)
    return RouteCheck(
        vehicle.id, tuple(violations), drive[0], tuple(schedule), drive[-1], tuple(breaks),
        travel, distance, ride, excess, cost, tuple(leave_by), tuple(latest_s), tuple(late),
        at_risk, overrun,
    )
