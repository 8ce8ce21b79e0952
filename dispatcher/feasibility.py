"""Schedule of one vehicle's route and the check of every constraint: the single truth of "valid".

A route is the vehicle's start (its state: node and time, riders on board), its pending stops in
order, and the return to its depot. The times of a fixed route form a system of difference
constraints (travel and dwell between consecutive stops, windows, ride-time limits, shift), so the
route is feasible exactly when the least solution of that system, computed by label-correcting
propagation, stays below every upper bound.

The schedule reported for a feasible route is the rider-friendly one: the route ends as early as
possible; within that, every pickup is as late as possible (so waiting happens before a pickup,
not with riders seated) and every other stop as early as possible given those pickups. Breaks
are placed, with nobody on board, in the first gap where the route stays feasible.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from dispatcher.model import Booking, PlannedStop, StopKind, Vehicle, VehicleState
from dispatcher.params import DispatchParams


class ViolationKind(StrEnum):
    """Names of the constraints a route can break."""

    PICKUP_WINDOW = "pickup_window"
    DROPOFF_LATEST = "dropoff_latest"
    RIDE_TIME = "ride_time"
    SEATS = "seats"
    WHEELCHAIR_SPACES = "wheelchair_spaces"
    SHIFT_END = "shift_end"
    BREAK = "break"
    DEPOT_RETURN = "depot_return"
    PRECEDENCE = "precedence"
    ONBOARD_MISSING = "onboard_missing"
    UNKNOWN_BOOKING = "unknown_booking"
    DUPLICATE_STOP = "duplicate_stop"
    NODE_MISMATCH = "node_mismatch"


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken constraint: its kind, the stop index in the plan (if any) and the booking."""

    kind: ViolationKind
    stop_index: int | None = None
    booking_id: str | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class StopTime:
    """Schedule of one stop (epoch s) and the load on board after it (persons, wheelchairs).

    ``leave_s`` (in a timetable) is when the vehicle leaves the previous place for this stop:
    ``arrival_s - leave_s`` is the expected driving time of the leg (0: not given).
    """

    arrival_s: int
    start_s: int
    departure_s: int
    seats_after: int
    wheelchairs_after: int
    leave_s: int = 0


class PromisePart(StrEnum):
    """Which part of a booking's promise a schedule does not keep."""

    PICKUP = "pickup"
    DROPOFF = "dropoff"
    RIDE = "ride"


@dataclass(frozen=True, slots=True)
class Late:
    """A promise a schedule does not keep: the booking, which part, by how much (s) and the
    index of the stop in the plan where it shows."""

    booking_id: str
    part: PromisePart
    by_s: int
    stop_index: int


@dataclass(frozen=True, slots=True)
class RouteCheck:
    """The result of :func:`check_route` (times in epoch s, durations in s, distance in m).

    ``stops`` is parallel to the checked stops and empty when the route could not be timed.
    ``cost`` is the route's objective value under the parameters' weights.

    A timetable (:func:`dispatcher.timetable.timetable`) fills the rest: ``stops`` is then the
    driving schedule under expected travel times, present whenever the route is structurally
    sound (also when late); ``leave_by_s`` per stop the latest departure from the previous place
    that keeps the planned start under the planning (pessimistic) travel times; ``latest_s``
    per stop the latest start that still keeps every promise under planning times (its
    difference to the start is the stop's slack); ``late`` the promises broken under expected
    times, ``at_risk`` those broken under planning times only; ``shift_overrun_s`` how far
    the vehicle ends after its shift.
    """

    vehicle_id: str
    violations: tuple[Violation, ...]
    start_s: int = 0
    stops: tuple[StopTime, ...] = ()
    end_s: int = 0
    break_starts_s: tuple[int, ...] = ()
    travel_s: int = 0
    distance_m: int = 0
    ride_s: Mapping[str, int] = field(default_factory=dict)
    excess_ride_s: int = 0
    cost: float = 0.0
    leave_by_s: tuple[int, ...] = ()
    latest_s: tuple[int, ...] = ()
    late: tuple[Late, ...] = ()
    at_risk: tuple[Late, ...] = ()
    shift_overrun_s: int = 0

    @property
    def feasible(self) -> bool:
        """True when no constraint is broken."""
        return not self.violations

    @property
    def kinds(self) -> tuple[ViolationKind, ...]:
        """The kinds of the violations, in order."""
        return tuple(v.kind for v in self.violations)


# element roles in the timed sequence
_START, _PICK, _DROP, _BREAK, _END = range(5)


@dataclass(slots=True)
class _Seq:
    """The timed sequence: start, stops (and break pseudo-stops), end."""

    nodes: list[int]
    service: list[int]
    lo: list[int]
    hi: list[int]
    role: list[int]
    stop_of: list[int]  # index into the plan's stops, -1 for start/break/end
    pairs: list[tuple[int, int, int]]  # (pickup elem, dropoff elem, max ride)


def _least_times(seq: _Seq, legs: list[int]) -> tuple[list[int], tuple[str, int] | None]:
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
    changed = True
    while changed:
        changed = False
        for idx, (p, q, limit) in enumerate(seq.pairs):
            need = b[q] - service[p] - limit
            if b[p] >= need:
                continue
            changed = True
            b[p] = need
            if need > hi[p]:
                return b, ("ride", idx)
            for k in range(p + 1, n):
                t = b[k - 1] + service[k - 1] + legs[k - 1]
                if t <= b[k]:
                    break
                b[k] = t
                if t > hi[k]:
                    return b, ("ride", idx)
    return b, None


def _friendly_times(seq: _Seq, legs: list[int], least: list[int], riders_at_start: bool) -> list[int]:
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
        if role[k] == _PICK:
            continue
        t = out[k - 1] + service[k - 1] + legs[k - 1]
        out[k] = t if t > lo[k] else lo[k]
    return out


def _route_cost(seq: _Seq, legs: Sequence[int], used: bool, params: DispatchParams,
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


def _structure(
    state: VehicleState, stops: Sequence[PlannedStop], bookings: Mapping[str, Booking]
) -> list[Violation]:
    """Pairing, precedence, known bookings, nodes and on-board riders' drop-offs."""
    out: list[Violation] = []
    onboard = set(state.onboard)
    picked: set[str] = set()
    dropped: set[str] = set()
    for i, stop in enumerate(stops):
        bid = stop.booking_id
        booking = bookings.get(bid)
        if booking is None:
            out.append(Violation(ViolationKind.UNKNOWN_BOOKING, i, bid, "no such booking"))
            continue
        req = booking.request
        if stop.kind is StopKind.PICKUP:
            if bid in picked or bid in onboard:
                out.append(Violation(ViolationKind.DUPLICATE_STOP, i, bid, "picked up twice"))
            picked.add(bid)
            if stop.node != req.origin:
                out.append(Violation(ViolationKind.NODE_MISMATCH, i, bid, "pickup not at origin"))
        else:
            if bid in dropped:
                out.append(Violation(ViolationKind.DUPLICATE_STOP, i, bid, "dropped off twice"))
            elif bid not in picked and bid not in onboard:
                out.append(Violation(ViolationKind.PRECEDENCE, i, bid, "drop-off before pickup"))
            dropped.add(bid)
            if stop.node != req.destination:
                out.append(
                    Violation(ViolationKind.NODE_MISMATCH, i, bid, "drop-off not at destination")
                )
    for bid in sorted(picked - dropped):
        out.append(Violation(ViolationKind.PRECEDENCE, None, bid, "picked up but never dropped off"))
    for bid in state.onboard:
        if bid not in dropped:
            out.append(Violation(ViolationKind.ONBOARD_MISSING, None, bid, "rider on board has no drop-off"))
        if bid not in bookings:
            out.append(Violation(ViolationKind.UNKNOWN_BOOKING, None, bid, "rider on board unknown"))
    return out


def _loads(
    vehicle: Vehicle, state: VehicleState, stops: Sequence[PlannedStop], bookings: Mapping[str, Booking]
) -> tuple[list[tuple[int, int]], list[Violation]]:
    """Load after each stop (seats, wheelchairs) and the capacity violations (first per dimension)."""
    seats = sum(bookings[b].request.passengers.seats for b in state.onboard if b in bookings)
    chairs = sum(bookings[b].request.passengers.wheelchairs for b in state.onboard if b in bookings)
    loads: list[tuple[int, int]] = []
    out: list[Violation] = []
    seat_bad = chair_bad = False
    for i, stop in enumerate(stops):
        pax = bookings[stop.booking_id].request.passengers
        sign = 1 if stop.kind is StopKind.PICKUP else -1
        seats += sign * pax.seats
        chairs += sign * pax.wheelchairs
        loads.append((seats, chairs))
        if seats > vehicle.seats and not seat_bad:
            seat_bad = True
            out.append(Violation(ViolationKind.SEATS, i, stop.booking_id, f"{seats} > {vehicle.seats}"))
        if chairs > vehicle.wheelchair_spaces and not chair_bad:
            chair_bad = True
            out.append(
                Violation(
                    ViolationKind.WHEELCHAIR_SPACES, i, stop.booking_id,
                    f"{chairs} > {vehicle.wheelchair_spaces}",
                )
            )
    return loads, out


def _sequence(
    vehicle: Vehicle,
    state: VehicleState,
    stops: Sequence[PlannedStop],
    bookings: Mapping[str, Booking],
    params: DispatchParams,
) -> _Seq:
    """The timed sequence of a structurally valid route (no breaks)."""
    end_hi = vehicle.shift_end_s
    nodes = [state.node]
    service = [0]
    lo = [max(state.time_s, vehicle.shift_start_s)]
    hi = [end_hi]
    role = [_START]
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
            role.append(_PICK)
            pick_elem[stop.booking_id] = k
        else:
            lo.append(promise.dropoff_earliest_s)
            bound = min(promise.dropoff_latest_s, end_hi)
            if stop.booking_id in departed:
                bound = min(bound, departed[stop.booking_id] + promise.max_ride_s)
            hi.append(bound)
            role.append(_DROP)
            p = pick_elem.get(stop.booking_id)
            if p is not None:
                pairs.append((p, k, promise.max_ride_s))
    nodes.append(vehicle.depot)
    service.append(0)
    lo.append(0)
    hi.append(end_hi)
    role.append(_END)
    stop_of.append(-1)
    return _Seq(nodes, service, lo, hi, role, stop_of, pairs)


def _with_break(seq: _Seq, at: int, brk_lo: int, brk_hi: int, duration: int) -> _Seq:
    """A copy of ``seq`` with a break pseudo-stop inserted before element ``at``."""
    def ins(values: list[int], value: int) -> list[int]:
        return [*values[:at], value, *values[at:]]

    pairs = [(p + (p >= at), q + (q >= at), lim) for p, q, lim in seq.pairs]
    return _Seq(
        ins(seq.nodes, seq.nodes[at - 1]), ins(seq.service, duration), ins(seq.lo, brk_lo),
        ins(seq.hi, brk_hi), ins(seq.role, _BREAK), ins(seq.stop_of, -1), pairs,
    )


def _legs(seq: _Seq, time_s: np.ndarray) -> list[int]:
    idx = np.asarray(seq.nodes, dtype=np.intp)
    return time_s[idx[:-1], idx[1:]].tolist()


def _timing_violation(seq: _Seq, fail: tuple[str, int], stops: Sequence[PlannedStop],
                      vehicle: Vehicle, b: list[int], bookings: Mapping[str, Booking]) -> Violation:
    """Name the bound that the least schedule broke."""
    what, k = fail
    if what == "ride":
        _, q, limit = seq.pairs[k]
        i = seq.stop_of[q]
        return Violation(ViolationKind.RIDE_TIME, i, stops[i].booking_id, f"ride exceeds {limit} s")
    role = seq.role[k]
    if role == _START:
        return Violation(ViolationKind.SHIFT_END, None, None, "vehicle free only after shift end")
    if role == _END:
        return Violation(ViolationKind.DEPOT_RETURN, None, None,
                         f"back at depot {b[k]} > shift end {vehicle.shift_end_s}")
    if role == _BREAK:
        return Violation(ViolationKind.BREAK, None, None, "break cannot be taken in its window")
    i = seq.stop_of[k]
    bid = stops[i].booking_id
    if b[k] > vehicle.shift_end_s:
        return Violation(ViolationKind.SHIFT_END, i, bid, f"service at {b[k]} after shift end")
    if role == _PICK:
        return Violation(ViolationKind.PICKUP_WINDOW, i, bid, f"pickup at {b[k]} > {seq.hi[k]}")
    if b[k] <= bookings[bid].promise.dropoff_latest_s:
        return Violation(ViolationKind.RIDE_TIME, i, bid, "on-board rider's ride exceeds limit")
    return Violation(ViolationKind.DROPOFF_LATEST, i, bid, f"drop-off at {b[k]} > {seq.hi[k]}")


def _place_breaks(
    vehicle: Vehicle, seq: _Seq, loads: list[tuple[int, int]], onboard_at_start: bool,
    time_s: np.ndarray,
) -> tuple[_Seq, list[int], list[int]] | None:
    """Insert each break at the first empty-vehicle gap keeping the route feasible (earliest end)."""
    for brk in sorted(vehicle.breaks, key=lambda b: b.earliest_start_s):
        best: tuple[int, _Seq, list[int]] | None = None
        for at in range(1, len(seq.nodes)):
            k = at - 1
            role = seq.role[k]
            if role == _START:
                empty = not onboard_at_start
            elif role in (_PICK, _DROP):
                empty = loads[seq.stop_of[k]] == (0, 0)
            else:
                empty = False
            if not empty:
                continue
            cand = _with_break(seq, at, brk.earliest_start_s, brk.latest_end_s - brk.duration_s,
                               brk.duration_s)
            legs = _legs(cand, time_s)
            b, fail = _least_times(cand, legs)
            if fail is None and (best is None or b[-1] < best[0]):
                best = (b[-1], cand, legs)
        if best is None:
            return None
        seq = best[1]
    legs = _legs(seq, time_s)
    b, fail = _least_times(seq, legs)
    return (seq, legs, b) if fail is None else None


def check_route(
    vehicle: Vehicle,
    state: VehicleState,
    stops: Sequence[PlannedStop],
    bookings: Mapping[str, Booking],
    time_s: np.ndarray,
    params: DispatchParams,
    dist_m: np.ndarray | None = None,
) -> RouteCheck:
    """Schedule a vehicle's route (epoch s) and check every constraint.

    Parameters
    ----------
    vehicle
        The vehicle: capacities, depot, shift, breaks.
    state
        Where and when it is next free, and who is on board.
    stops
        Its pending stops in order (locked prefix included).
    bookings
        Every booking named by the stops or on board, by id.
    time_s, dist_m
        Square travel-time (s) and distance (m) matrices over the caller's node index.
    params
        Dwell times and objective weights.

    Returns
    -------
    RouteCheck
        The schedule (arrival, service start, departure, loads per stop; start, end, break
        starts), driving time and distance, ride times, objective cost, and the violations.
    """
    return _check(vehicle, state, stops, bookings, time_s, params, dist_m)[0]


def _check(
    vehicle: Vehicle,
    state: VehicleState,
    stops: Sequence[PlannedStop],
    bookings: Mapping[str, Booking],
    time_s: np.ndarray,
    params: DispatchParams,
    dist_m: np.ndarray | None = None,
) -> tuple[RouteCheck, _Seq | None, list[int], list[int]]:
    """:func:`check_route` plus the break-free sequence, its legs and least times (if timed)."""
    structural = _structure(state, stops, bookings)
    if structural:
        return RouteCheck(vehicle.id, tuple(structural)), None, [], []
    loads, capacity = _loads(vehicle, state, stops, bookings)
    seq = _sequence(vehicle, state, stops, bookings, params)
    legs = _legs(seq, time_s)
    b, fail = _least_times(seq, legs)
    violations = list(capacity)
    if fail is not None:
        violations.append(_timing_violation(seq, fail, stops, vehicle, b, bookings))
        return RouteCheck(vehicle.id, tuple(violations)), None, [], []
    base = (seq, legs, b)
    onboard = bool(state.onboard)
    if vehicle.breaks:
        placed = _place_breaks(vehicle, seq, loads, onboard, time_s)
        if placed is None:
            violations.append(Violation(ViolationKind.BREAK, None, None,
                                        "no empty gap fits the break"))
            return RouteCheck(vehicle.id, tuple(violations)), None, [], []
        seq, legs, b = placed
    times = _friendly_times(seq, legs, b, onboard)
    res = _result(vehicle, state, stops, bookings, time_s, params, dist_m, seq, legs, times,
                  loads, violations)
    return res, *base


def _result(vehicle: Vehicle, state: VehicleState, stops: Sequence[PlannedStop],
            bookings: Mapping[str, Booking], time_s: np.ndarray, params: DispatchParams,
            dist_m: np.ndarray | None, seq: _Seq, legs: list[int], times: list[int],
            loads: list[tuple[int, int]], violations: list[Violation]) -> RouteCheck:
    """Assemble the schedule, ride times and cost of a timed route."""
    schedule: list[StopTime] = []
    breaks: list[int] = []
    for k in range(1, len(seq.nodes) - 1):
        if seq.role[k] == _BREAK:
            breaks.append(times[k])
            continue
        i = seq.stop_of[k]
        arrival = times[k - 1] + seq.service[k - 1] + legs[k - 1]
        schedule.append(StopTime(arrival, times[k], times[k] + seq.service[k], *loads[i]))
    ride: dict[str, int] = {}
    excess = 0
    departed = state.departed()
    for i, stop in enumerate(stops):
        if stop.kind is StopKind.PICKUP:
            departed[stop.booking_id] = schedule[i].departure_s
    for i, stop in enumerate(stops):
        if stop.kind is StopKind.DROPOFF and stop.booking_id in departed:
            req = bookings[stop.booking_id].request
            r = schedule[i].start_s - departed[stop.booking_id]
            ride[stop.booking_id] = r
            excess += max(0, r - int(time_s[req.origin, req.destination]))
    travel, distance, cost = _route_cost(seq, legs, bool(stops), params, dist_m, excess)
    return RouteCheck(
        vehicle.id, tuple(violations), times[0], tuple(schedule),
        times[-1], tuple(breaks), travel, distance, ride, excess, cost,
    )
