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

The timed route itself (its arrays, least and friendly times, breaks) lives in
:mod:`dispatcher.route_eval`; :func:`evaluate_route` is the evaluator the searches build on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

import numpy as np

from dispatcher.model import Booking, PlannedStop, StopKind, Vehicle, VehicleState
from dispatcher.params import DispatchParams
from dispatcher.route_eval import (
    BREAK,
    END,
    PICKUP,
    START,
    TimedRoute,
    compile_route,
    friendly_times,
    least_times,
    leg_times,
    place_breaks,
    route_cost,
)


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


def structure_violations(
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


def loads_after(
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


def timing_violation(seq: TimedRoute, fail: tuple[str, int], stops: Sequence[PlannedStop],
                      vehicle: Vehicle, b: list[int], bookings: Mapping[str, Booking]) -> Violation:
    """Name the bound that the least schedule broke."""
    what, k = fail
    if what == "ride":
        _, q, limit = seq.pairs[k]
        i = seq.stop_of[q]
        return Violation(ViolationKind.RIDE_TIME, i, stops[i].booking_id, f"ride exceeds {limit} s")
    role = seq.role[k]
    if role == START:
        return Violation(ViolationKind.SHIFT_END, None, None, "vehicle free only after shift end")
    if role == END:
        return Violation(ViolationKind.DEPOT_RETURN, None, None,
                         f"back at depot {b[k]} > shift end {vehicle.shift_end_s}")
    if role == BREAK:
        return Violation(ViolationKind.BREAK, None, None, "break cannot be taken in its window")
    i = seq.stop_of[k]
    bid = stops[i].booking_id
    if b[k] > vehicle.shift_end_s:
        return Violation(ViolationKind.SHIFT_END, i, bid, f"service at {b[k]} after shift end")
    if role == PICKUP:
        return Violation(ViolationKind.PICKUP_WINDOW, i, bid, f"pickup at {b[k]} > {seq.hi[k]}")
    if b[k] <= bookings[bid].promise.dropoff_latest_s:
        return Violation(ViolationKind.RIDE_TIME, i, bid, "on-board rider's ride exceeds limit")
    return Violation(ViolationKind.DROPOFF_LATEST, i, bid, f"drop-off at {b[k]} > {seq.hi[k]}")


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
    return evaluate_route(vehicle, state, stops, bookings, time_s, params, dist_m).check


class Evaluation(NamedTuple):
    """A checked route with what the searches build on: the break-free timed route, its legs
    (s) and its least times (epoch s); ``route`` is ``None`` (and the lists empty) when the route
    could not be timed."""

    check: RouteCheck
    route: TimedRoute | None
    legs: list[int]
    least: list[int]


def evaluate_route(
    vehicle: Vehicle,
    state: VehicleState,
    stops: Sequence[PlannedStop],
    bookings: Mapping[str, Booking],
    time_s: np.ndarray,
    params: DispatchParams,
    dist_m: np.ndarray | None = None,
) -> Evaluation:
    """:func:`check_route` plus the break-free timed route, its legs and least times (if timed):
    the public route evaluator of the searches (:mod:`dispatcher.insertion`, :mod:`dispatcher.lns`)."""
    structural = structure_violations(state, stops, bookings)
    if structural:
        return Evaluation(RouteCheck(vehicle.id, tuple(structural)), None, [], [])
    loads, capacity = loads_after(vehicle, state, stops, bookings)
    seq = compile_route(vehicle, state, stops, bookings, params)
    legs = leg_times(seq, time_s)
    b, fail = least_times(seq, legs)
    violations = list(capacity)
    if fail is not None:
        violations.append(timing_violation(seq, fail, stops, vehicle, b, bookings))
        return Evaluation(RouteCheck(vehicle.id, tuple(violations)), None, [], [])
    base = (seq, legs, b)
    onboard = bool(state.onboard)
    if vehicle.breaks:
        placed = place_breaks(vehicle, seq, loads, onboard, time_s)
        if placed is None:
            violations.append(Violation(ViolationKind.BREAK, None, None,
                                        "no empty gap fits the break"))
            return Evaluation(RouteCheck(vehicle.id, tuple(violations)), None, [], [])
        seq, legs, b = placed
    times = friendly_times(seq, legs, b, onboard)
    res = _result(vehicle, state, stops, bookings, time_s, params, dist_m, seq, legs, times,
                  loads, violations)
    return Evaluation(res, *base)


def _result(vehicle: Vehicle, state: VehicleState, stops: Sequence[PlannedStop],
            bookings: Mapping[str, Booking], time_s: np.ndarray, params: DispatchParams,
            dist_m: np.ndarray | None, seq: TimedRoute, legs: list[int], times: list[int],
            loads: list[tuple[int, int]], violations: list[Violation]) -> RouteCheck:
    """Assemble the schedule, ride times and cost of a timed route."""
    schedule: list[StopTime] = []
    breaks: list[int] = []
    for k in range(1, len(seq.nodes) - 1):
        if seq.role[k] == BREAK:
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
    travel, distance, cost = route_cost(seq, legs, bool(stops), params, dist_m, excess)
    return RouteCheck(
        vehicle.id, tuple(violations), times[0], tuple(schedule),
        times[-1], tuple(breaks), travel, distance, ride, excess, cost,
    )
