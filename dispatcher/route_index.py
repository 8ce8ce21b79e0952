"""The route index of insertion: a feasible route's arrays, computed once and reused for every
insertion tried into it, and the exact incremental timing test of one insertion.

``RouteIndex`` holds the route's nodes, least service starts, latest feasible starts (windows and
shift propagated backwards) and loads per leg; :func:`times_feasible` checks the timing of a
(pickup, drop-off) position pair from those arrays without rebuilding the whole schedule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from dispatcher.feasibility import RouteCheck, evaluate_route
from dispatcher.model import (
    Booking,
    Fleet,
    PlannedStop,
    StopKind,
    Vehicle,
    VehicleState,
)
from dispatcher.params import DispatchParams
from dispatcher.route_eval import TimedRoute, least_times, ride_limits


def cost_matrix(time_s: np.ndarray, dist_m: np.ndarray | None, params: DispatchParams) -> np.ndarray:
    """Objective cost of driving each leg (weights × seconds and metres)."""
    cost = params.weight_travel_time * time_s.astype(float)
    if dist_m is not None and params.weight_distance:
        cost = cost + params.weight_distance * dist_m
    return cost


@dataclass(frozen=True, slots=True)
class OpenLegs:
    """A route's legs open to insertion, ``k = locked .. len(stops)`` (views of its arrays):
    leg k from node ``a`` to ``b``, departure ``dep`` from its first element, latest feasible
    start ``late_next`` of its next one, and the load ``seats``/``chairs`` driven on it."""

    a: np.ndarray
    b: np.ndarray
    dep: np.ndarray
    late_next: np.ndarray
    seats: np.ndarray
    chairs: np.ndarray

    @classmethod
    def of(cls, locked: int, m: int, nodes: np.ndarray, dep: np.ndarray, late: np.ndarray,
           seats: np.ndarray, chairs: np.ndarray) -> OpenLegs:
        """The open legs of the arrays of a route of ``m`` stops (over its elements: start,
        stops, depot; ``seats``/``chairs`` over its ``m + 1`` legs)."""
        return cls(nodes[locked:m + 1], nodes[locked + 1:m + 2], dep[locked:m + 1],
                   late[locked + 1:m + 2], seats[locked:m + 1], chairs[locked:m + 1])


@dataclass(frozen=True, slots=True)
class RouteIndex:
    """Precomputed arrays of one feasible route, reused for every insertion tried into it.

    ``nodes`` are the route's elements (start, stops, depot); ``early`` their least service
    start times, ``late`` upper bounds on feasible service starts (windows and shift propagated
    backwards, ride limits ignored: a necessary condition), ``seats``/``chairs`` the load while
    driving from element k to k + 1.

    ``open`` holds the same arrays over the legs open to insertion only (from the locked prefix
    on, :class:`OpenLegs`), kept with the index so that a candidate filter over many routes
    concatenates them instead of slicing every route again.
    """

    vehicle: Vehicle
    state: VehicleState
    stops: tuple[PlannedStop, ...]
    locked: int
    check: RouteCheck
    nodes: np.ndarray
    dep: np.ndarray
    late: np.ndarray
    seats: np.ndarray
    chairs: np.ndarray
    seq: TimedRoute
    legs: list[int]
    open: OpenLegs
    early: list[int] = field(default_factory=list)


def index_route(
    vehicle: Vehicle,
    state: VehicleState,
    stops: Sequence[PlannedStop],
    locked: int,
    bookings: Mapping[str, Booking],
    time_s: np.ndarray,
    params: DispatchParams,
    dist_m: np.ndarray | None = None,
    checked: tuple[RouteCheck, TimedRoute | None, list[int], list[int]] | None = None,
) -> RouteIndex | None:
    """Precompute a route for insertions; ``None`` when the route itself is infeasible.

    ``checked`` is the route's ``feasibility.evaluate_route`` result when the caller already has it.
    """
    stops = tuple(stops)
    if checked is None:
        checked = evaluate_route(vehicle, state, stops, bookings, time_s, params, dist_m)
    check, seq, legs, early = checked
    if not check.feasible or seq is None:
        return None
    m = len(stops)
    service = np.asarray(seq.service, dtype=np.int64)
    late = np.asarray(seq.hi, dtype=np.int64)
    legs_a = np.asarray(legs, dtype=np.int64)
    for k in range(m, -1, -1):
        late[k] = min(late[k], late[k + 1] - service[k] - legs_a[k])
    seats = np.zeros(m + 1, dtype=np.int64)
    chairs = np.zeros(m + 1, dtype=np.int64)
    s0 = sum(bookings[b].request.passengers.seats for b in state.onboard)
    c0 = sum(bookings[b].request.passengers.wheelchairs for b in state.onboard)
    seats[0], chairs[0] = s0, c0
    for k, stop in enumerate(stops):
        pax = bookings[stop.booking_id].request.passengers
        sign = 1 if stop.kind is StopKind.PICKUP else -1
        s0 += sign * pax.seats
        c0 += sign * pax.wheelchairs
        seats[k + 1], chairs[k + 1] = s0, c0
    dep = np.asarray(early, dtype=np.int64) + service
    nodes = np.asarray(seq.nodes, dtype=np.intp)
    return RouteIndex(vehicle, state, stops, locked, check, nodes, dep, late, seats, chairs, seq,
                      list(legs), OpenLegs.of(locked, m, nodes, dep, late, seats, chairs),
                      list(early))


def index_fleet(fleet: Fleet, time_s: np.ndarray, params: DispatchParams,
                dist_m: np.ndarray | None = None) -> list[RouteIndex]:
    """Index every feasible route of the fleet for insertions (infeasible routes are left out)."""
    out = []
    for v in fleet.vehicles:
        plan = fleet.plan_of(v)
        ri = index_route(v, fleet.state_of(v), plan.stops, plan.locked, fleet.bookings, time_s,
                         params, dist_m)
        if ri is not None:
            out.append(ri)
    return out


def times_feasible(ri: RouteIndex, new: Booking, dwell: int, i: int, j: int,
                    time_s: np.ndarray, params: DispatchParams) -> bool:
    """Exact timing test of inserting ``new`` after route elements ``i`` (pickup) and ``j``
    (drop-off, ``j >= i``), built incrementally from the route's sequence (no breaks).

    Computes the same least solution of the difference constraints as :func:`check_route`, but
    starts from the route's own least times (a lower bound of the new ones whenever the detours
    are no shorter than the legs they replace) and stops the forward pass as soon as it meets
    the old times again; with a shorter detour it recomputes from scratch. Capacity is already
    exact in the candidate filter.
    """
    seq, legs, early = ri.seq, ri.legs, ri.early
    req, pr = new.request, new.promise
    o, d = req.origin, req.destination
    end = ri.vehicle.shift_end_s
    n_, sv, lo, hi = seq.nodes, seq.service, seq.lo, seq.hi
    a1, b1 = i + 1, j + 1
    nodes = [*n_[:a1], o, *n_[a1:b1], d, *n_[b1:]]
    service = [*sv[:a1], dwell, *sv[a1:b1], dwell, *sv[b1:]]
    p_lo = params.pickup_from_s(pr.pickup_earliest_s, pr.pickup_latest_s, dwell)
    lows = [*lo[:a1], p_lo, *lo[a1:b1], pr.dropoff_earliest_s, *lo[b1:]]
    highs = [*hi[:a1], min(pr.pickup_latest_s, end), *hi[a1:b1], min(pr.dropoff_latest_s, end),
             *hi[b1:]]
    t = time_s
    if j == i:
        ins = [int(t[n_[i], o]), int(t[o, d]), int(t[d, n_[i + 1]])]
        new_legs = [*legs[:i], *ins, *legs[i + 1:]]
        monotone = ins[0] + dwell + ins[1] + dwell + ins[2] >= legs[i]
    else:
        l1, l2 = int(t[n_[i], o]), int(t[o, n_[i + 1]])
        l3, l4 = int(t[n_[j], d]), int(t[d, n_[j + 1]])
        new_legs = [*legs[:i], l1, l2, *legs[i + 1:j], l3, l4, *legs[j + 1:]]
        monotone = l1 + dwell + l2 >= legs[i] and l3 + dwell + l4 >= legs[j]
    pairs = [(p + (p >= a1) + (p >= b1), q + (q >= a1) + (q >= b1), lim)
             for p, q, lim in seq.pairs]
    pairs.append((a1, j + 2, pr.max_ride_s))
    if not monotone or len(early) != len(n_):
        _, fail = least_times(TimedRoute(nodes, service, lows, highs, [], [], pairs), new_legs)
        return fail is None
    n = len(nodes)
    b = early[:a1]
    b.extend([0] * (n - a1))
    k = a1
    while k < n:
        tt = b[k - 1] + service[k - 1] + new_legs[k - 1]
        v = tt if tt > lows[k] else lows[k]
        if k > a1 and k <= b1:  # an old element between the new pickup and drop-off
            old = early[k - 1]
            if v <= old:
                b[k:b1 + 1] = early[k - 1:b1]
                k = b1 + 1
                continue
        elif k > b1 + 1:  # an old element after the new drop-off
            old = early[k - 2]
            if v <= old:
                b[k:] = early[k - 2:]
                break
        if v > highs[k]:
            return False
        b[k] = v
        k += 1
    if b[0] > highs[0]:
        return False
    return ride_limits(b, pairs, service, new_legs, highs) is None
