"""The timed route: a vehicle's start, stops, break pseudo-stops and depot return as a system of
difference constraints, and the evaluations every search shares.

:func:`compile_route` turns a structurally sound route into a :class:`TimedRoute` (per element: node,
service time, lower and upper bound of its start, role, the plan stop it stands for; and the
ride-limit pairs). :func:`least_times` gives its least schedule or the first bound it breaks;
:func:`friendly_times` the rider-friendly one; :func:`place_breaks` puts the driver's breaks in.
:mod:`dispatcher.feasibility` (the single truth of "valid"), :mod:`dispatcher.timetable`,
:mod:`dispatcher.insertion` (incremental insertion tests on top of the same arrays),
:mod:`dispatcher.lns`, :mod:`dispatcher.recovery` and :mod:`dispatcher.fleetmin` all evaluate
routes through these functions, so there is one definition of a route's times.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from dispatcher.model import Booking, PlannedStop, StopKind, Vehicle, VehicleState
from dispatcher.params import DispatchParams

# element roles in a timed route
START, PICKUP, DROPOFF, BREAK, END = range(5)


@dataclass(slots=True)
class TimedRoute:
    """The timed sequence: start, stops (and break pseudo-stops), end."""

    nodes: list[int]
    service: list[int]
    lo: list[int]
    hi: list[int]
    role: list[int]
    stop_of: list[int]  # index into the plan's stops, -1 for start/break/end
    pairs: list[tuple[int, int, int]]  # (pickup elem, dropoff elem, max ride)


def least_times(seq: TimedRoute, legs: list[int]) -> tuple[list[int], tuple[str, int] | None]:
    """Least solution of the route's difference constraints, or the first bound it breaks.

    Returns the times and ``None``, or partial times and ``("window", element)`` when a window or
    shift bound is exceeded even without ride limits, ``("ride", pair index)`` when a ride limit
    cannot be kept.
    """
    n = len(seq.nodes)
    lo, hi, service = seq.lo, seq.hi, seq.service
    b = [0] * n
    b[0] = lo[0]
    for k in range(1, n):
        t = b[k - 1] + service[k - 1] + legs[k - 1]
        b[k] = t if t > lo[k] else lo[k]
        if b[k] > hi[k]:
            return b, ("window", k)
    if b[0] > hi[0]:
        return b, ("window", 0)
    failed = ride_limits(b, seq.pairs, service, legs, hi)
    return b, (None if failed is None else ("ride", failed))


def ride_limits(b: list[int], pairs: Sequence[tuple[int, int, int]], service: Sequence[int],
                legs: Sequence[int], hi: Sequence[int]) -> int | None:
    """Raise the least times ``b`` (in place) until every ride limit holds: a pickup too early
    for its drop-off moves later, and the stops after it with it. Returns the index of the
    pair whose limit pushed a stop past its upper bound, or ``None`` when all hold."""
    n = len(b)
    changed = True
    while changed:
        changed = False
        for idx, (p, q, limit) in enumerate(pairs):
            need = b[q] - service[p] - limit
            if b[p] >= need:
                continue
            changed = True
            b[p] = need
            if need > hi[p]:
                return idx
            for k in range(p + 1, n):
                t = b[k - 1] + service[k - 1] + legs[k - 1]
                if t <= b[k]:
                    break
                b[k] = t
                if t > hi[k]:
                    return idx
    return None


def friendly_times(seq: TimedRoute, legs: list[int], least: list[int], riders_at_start: bool) -> list[int]:
    """Pickups as late as possible with the end fixed at its earliest, the rest as early as possible."""
    n = len(seq.nodes)
    hi, service = seq.hi, seq.service
    late = list(hi)
    late[n - 1] = least[n - 1]
    for k in range(n - 2, -1, -1):
        t = late[k + 1] - service[k] - legs[k]
        if t < late[k]:
            late[k] = t
    changed = bool(seq.pairs)
    while changed:
        changed = False
        for p, q, limit in seq.pairs:
            cap = late[p] + service[p] + limit
            if late[q] > cap:
                changed = True
                late[q] = cap
                for k in range(q - 1, -1, -1):
                    t = late[k + 1] - service[k] - legs[k]
                    if t >= late[k]:
                        break
                    late[k] = t
    out = list(late)
    role, lo = seq.role, seq.lo
    if riders_at_start:
        out[0] = least[0]
    for k in range(1, n):
        if role[k] == PICKUP:
            continue
        t = out[k - 1] + service[k - 1] + legs[k - 1]
        out[k] = t if t > lo[k] else lo[k]
    return out


def route_cost(seq: TimedRoute, legs: Sequence[int], used: bool, params: DispatchParams,
                dist_m: np.ndarray | None, excess: int = 0) -> tuple[int, int, float]:
    """Driving time (s), distance (m) and objective cost of a timed route (``used``: it has
    stops, so the vehicle cost applies)."""
    travel = int(sum(legs))
    distance = 0
    if dist_m is not None:
        idx = np.asarray(seq.nodes, dtype=np.intp)
        distance = int(dist_m[idx[:-1], idx[1:]].sum())
    cost = (params.weight_travel_time * travel + params.weight_distance * distance
            + params.weight_excess_ride * excess + (params.weight_vehicle if used else 0.0))
    return travel, distance, cost


def compile_route(
    vehicle: Vehicle,
    state: VehicleState,
    stops: Sequence[PlannedStop],
    bookings: Mapping[str, Booking],
    params: DispatchParams,
) -> TimedRoute:
    """The timed sequence of a structurally valid route (no breaks)."""
    end_hi = vehicle.shift_end_s
    nodes = [state.node]
    service = [0]
    lo = [max(state.time_s, vehicle.shift_start_s)]
    hi = [end_hi]
    role = [START]
    stop_of = [-1]
    pick_elem: dict[str, int] = {}
    pairs: list[tuple[int, int, int]] = []
    departed = state.departed()
    for i, stop in enumerate(stops):
        booking = bookings[stop.booking_id]
        promise = booking.promise
        k = len(nodes)
        nodes.append(stop.node)
        dwell = params.dwell_s(booking.request.passengers)
        service.append(dwell)
        stop_of.append(i)
        if stop.kind is StopKind.PICKUP:
            lo.append(params.pickup_from_s(promise.pickup_earliest_s, promise.pickup_latest_s,
                                           dwell))
            hi.append(min(promise.pickup_latest_s, end_hi))
            role.append(PICKUP)
            pick_elem[stop.booking_id] = k
        else:
            lo.append(promise.dropoff_earliest_s)
            bound = min(promise.dropoff_latest_s, end_hi)
            if stop.booking_id in departed:
                bound = min(bound, departed[stop.booking_id] + promise.max_ride_s)
            hi.append(bound)
            role.append(DROPOFF)
            p = pick_elem.get(stop.booking_id)
            if p is not None:
                pairs.append((p, k, promise.max_ride_s))
    nodes.append(vehicle.depot)
    service.append(0)
    lo.append(0)
    hi.append(end_hi)
    role.append(END)
    stop_of.append(-1)
    return TimedRoute(nodes, service, lo, hi, role, stop_of, pairs)


def with_break(seq: TimedRoute, at: int, brk_lo: int, brk_hi: int, duration: int) -> TimedRoute:
    """A copy of ``seq`` with a break pseudo-stop inserted before element ``at``."""
    def ins(values: list[int], value: int) -> list[int]:
        return [*values[:at], value, *values[at:]]

    pairs = [(p + (p >= at), q + (q >= at), lim) for p, q, lim in seq.pairs]
    return TimedRoute(
        ins(seq.nodes, seq.nodes[at - 1]), ins(seq.service, duration), ins(seq.lo, brk_lo),
        ins(seq.hi, brk_hi), ins(seq.role, BREAK), ins(seq.stop_of, -1), pairs,
    )


def leg_times(seq: TimedRoute, time_s: np.ndarray) -> list[int]:
    """Travel time (s) of each leg between consecutive elements."""
    idx = np.asarray(seq.nodes, dtype=np.intp)
    legs: list[int] = time_s[idx[:-1], idx[1:]].tolist()
    return legs


def place_breaks(
    vehicle: Vehicle, seq: TimedRoute, loads: list[tuple[int, int]], onboard_at_start: bool,
    time_s: np.ndarray,
) -> tuple[TimedRoute, list[int], list[int]] | None:
    """Insert each break at the first empty-vehicle gap keeping the route feasible (earliest end)."""
    for brk in sorted(vehicle.breaks, key=lambda b: b.earliest_start_s):
        best: tuple[int, TimedRoute, list[int]] | None = None
        for at in range(1, len(seq.nodes)):
            k = at - 1
            role = seq.role[k]
            if role == START:
                empty = not onboard_at_start
            elif role in (PICKUP, DROPOFF):
                empty = loads[seq.stop_of[k]] == (0, 0)
            else:
                empty = False
            if not empty:
                continue
            cand = with_break(seq, at, brk.earliest_start_s, brk.latest_end_s - brk.duration_s,
                               brk.duration_s)
            legs = leg_times(cand, time_s)
            b, fail = least_times(cand, legs)
            if fail is None and (best is None or b[-1] < best[0]):
                best = (b[-1], cand, legs)
        if best is None:
            return None
        seq = best[1]
    legs = leg_times(seq, time_s)
    b, fail = least_times(seq, legs)
    return (seq, legs, b) if fail is None else None
