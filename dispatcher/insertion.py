"""Instant offers: the cheapest feasible insertions of a new request into the current plans.

Every pickup/drop-off position pair of every vehicle is priced at once with numpy (added
driving cost) and pruned by necessary conditions (capacity along the ride, the earliest schedule
against the latest feasible times of the route); the survivors are checked exactly with
:func:`dispatcher.feasibility.check_route` cheapest first, and the first feasible one of each
vehicle is that vehicle's offer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dispatcher.feasibility import (
    RouteCheck,
    check_route,
    evaluate_route,
)
from dispatcher.model import (
    Booking,
    Fleet,
    Plan,
    PlannedStop,
    Promise,
    Request,
    StopKind,
    TimeRule,
    Vehicle,
    VehicleState,
)
from dispatcher.params import DispatchParams
from dispatcher.route_eval import (
    TimedRoute,
    least_times,
    ride_limits,
)


@dataclass(frozen=True, slots=True)
class Insertion:
    """A feasible insertion into one route: added cost, the new stops and their check.

    ``check`` is ``None`` only from ``insertions_into(..., lazy=True)``: then the route passed the
    exact timing and capacity tests but its full check is left to the caller.
    """

    added_cost: float
    stops: tuple[PlannedStop, ...]
    check: RouteCheck | None
    pickup_index: int
    dropoff_index: int


@dataclass(frozen=True, slots=True)
class Offer:
    """An offer for a request (epoch s; durations s). Not binding until booked.

    Parameters
    ----------
    vehicle_id
        The vehicle that would serve it.
    promise
        What would be promised: pickup window ``[a, a + width]``, latest drop-off, ride limit.
    expected_pickup_s, expected_dropoff_s
        Planned start of boarding and of alighting in the new plan.
    added_travel_s
        Extra driving time of the vehicle.
    added_cost
        Increase of the objective (parameters' weights).
    shift_s
        Offered pickup window start minus the asked one (0 for the asked time).
    plan
        The vehicle's new plan (same locked prefix).
    """

    vehicle_id: str
    promise: Promise
    expected_pickup_s: int
    expected_dropoff_s: int
    added_travel_s: int
    added_cost: float
    shift_s: int
    plan: Plan

    def booking(self, request: Request) -> Booking:
        """The booking made when ``request`` accepts this offer."""
        return Booking(request, self.promise)


def cost_matrix(time_s: np.ndarray, dist_m: np.ndarray | None, params: DispatchParams) -> np.ndarray:
    """Objective cost of driving each leg (weights × seconds and metres)."""
    cost = params.weight_travel_time * time_s.astype(float)
    if dist_m is not None and params.weight_distance:
        cost = cost + params.weight_distance * dist_m
    return cost


@dataclass(frozen=True, slots=True)
class RouteIndex:
    """Precomputed arrays of one feasible route, reused for every insertion tried into it.

    ``nodes`` are the route's elements (start, stops, depot); ``early`` their least service
    start times, ``late`` upper bounds on feasible service starts (windows and shift propagated
    backwards, ride limits ignored: a necessary condition), ``seats``/``chairs`` the load while
    driving from element k to k + 1.
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
    return RouteIndex(vehicle, state, stops, locked, check, np.asarray(seq.nodes, dtype=np.intp),
                      dep, late, seats, chairs, seq, list(legs), list(early))


def _times_feasible(ri: RouteIndex, new: Booking, dwell: int, i: int, j: int,
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


@dataclass(frozen=True, slots=True)
class LegFilter:
    """Necessary conditions for inserting one booking on route legs (arrays over legs; for many
    bookings at once, one row per booking). Leg k goes from route element k to k + 1.

    ``pickup_ok``: the pickup fits its window on the leg and the leg's next element can still be
    reached in time after it; ``dropoff_ok`` the same for the drop-off; ``both_ok``: pickup and
    drop-off both on the leg. ``dropoff_from`` is the earliest drop-off start on a leg and
    ``pickup_until`` the latest pickup start, which bound the ride (:func:`ride_ok`).
    """

    pickup_ok: np.ndarray
    dropoff_ok: np.ndarray
    both_ok: np.ndarray
    dropoff_from: np.ndarray
    pickup_until: np.ndarray


def leg_filter(dep: np.ndarray, late_next: np.ndarray, t_ao: np.ndarray, t_ob: np.ndarray,
               t_ad: np.ndarray, t_db: np.ndarray, t_od: np.ndarray | int, pickup_from: Any,
               pickup_latest: Any, dropoff_earliest: Any, dropoff_latest: Any,
               dwell: Any) -> LegFilter:
    """The one candidate filter of insertion (offers, single and batched insertions).

    ``dep`` is the departure from each leg's first element, ``late_next`` the latest feasible
    start of its next one; ``t_ao``/``t_ob`` travel from the leg's start to the origin and from
    the origin to the leg's end (``t_ad``/``t_db`` the same for the destination), ``t_od`` origin
    to destination. The promise bounds and the dwell broadcast against the legs (scalars for one
    booking, column vectors for many).
    """
    b_o = np.maximum(dep + t_ao, pickup_from)
    ok_o = b_o <= pickup_latest
    pickup_ok = ok_o & (b_o + dwell + t_ob <= late_next)
    b_d = np.maximum(dep + t_ad, dropoff_earliest)
    dropoff_ok = (b_d <= dropoff_latest) & (b_d + dwell + t_db <= late_next)
    b_d2 = np.maximum(b_o + dwell + t_od, dropoff_earliest)
    both_ok = ok_o & (b_d2 <= dropoff_latest) & (b_d2 + dwell + t_db <= late_next)
    pickup_until = np.minimum(pickup_latest, late_next - dwell - t_ob)
    return LegFilter(pickup_ok, dropoff_ok, both_ok, b_d, pickup_until)


def ride_ok(dropoff_from: np.ndarray, pickup_until: np.ndarray, dwell: Any,
            max_ride: Any) -> np.ndarray:
    """Ride-limit prune of (pickup leg, drop-off leg) pairs on different legs: the earliest
    drop-off after leg j minus the latest departure from a pickup on leg i must not exceed the
    limit (a necessary condition; ``[..., i, j]``)."""
    ride = np.asarray(max_ride)[..., None]
    ok: np.ndarray = (dropoff_from[..., None, :] - (pickup_until + dwell)[..., :, None]) <= ride
    return ok


def pickup_from(params: DispatchParams, earliest: Any, latest: Any, dwell: Any) -> Any:
    """:meth:`DispatchParams.pickup_from_s` over numpy arrays (per booking)."""
    return np.minimum(earliest + np.maximum(params.no_show_grace_s - dwell, 0), latest)


def _pair_candidates(
    ri: RouteIndex, new: Booking, dwell: int, time_s: np.ndarray, cmat: np.ndarray,
    params: DispatchParams,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions (pickup, drop-off) passing the necessary conditions, and their added cost."""
    req, pr = new.request, new.promise
    pax = req.passengers
    veh = ri.vehicle
    if pax.seats > veh.seats or pax.wheelchairs > veh.wheelchair_spaces:
        return _EMPTY
    m = len(ri.stops)
    o, d = req.origin, req.destination
    idx = np.arange(ri.locked, m + 1)
    r = ri.nodes
    a, b = r[idx], r[idx + 1]
    dep = ri.dep[idx]
    late_next = ri.late[idx + 1]
    f = leg_filter(dep, late_next, time_s[a, o], time_s[o, b], time_s[a, d], time_s[d, b],
                   int(time_s[o, d]),
                   params.pickup_from_s(pr.pickup_earliest_s, pr.pickup_latest_s, dwell),
                   pr.pickup_latest_s, pr.dropoff_earliest_s, pr.dropoff_latest_s, dwell)
    if not f.pickup_ok.any():
        return _EMPTY
    cap = ((ri.seats[idx] + pax.seats <= veh.seats)
           & (ri.chairs[idx] + pax.wheelchairs <= veh.wheelchair_spaces))
    base = cmat[a, b]
    return _pairs(f.pickup_ok, f.dropoff_ok, f.both_ok, cap, cmat[a, o] + cmat[o, b] - base,
                  cmat[a, d] + cmat[d, b] - base, cmat[a, o] + cmat[o, d] + cmat[d, b] - base,
                  ri.locked, ride_ok(f.dropoff_from, f.pickup_until, dwell, pr.max_ride_s))


_EMPTY = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0))


def _pairs(ok_o: np.ndarray, ok_d: np.ndarray, ok_both: np.ndarray, cap: np.ndarray,
           add_o: np.ndarray, add_d: np.ndarray, add_both: np.ndarray,
           offset: int, extra: np.ndarray | None = None,
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Allowed (pickup leg, drop-off leg) pairs of one route and their added cost."""
    n = len(ok_o)
    allowed = ok_o[:, None] & ok_d[None, :]
    if extra is not None:
        allowed &= extra
    allowed &= _UPPER[:n, :n] if n <= _UPPER.shape[0] else np.triu(np.ones((n, n), bool), 1)
    allowed[np.diag_indices(n)] = ok_both
    blocked = np.cumsum(~cap)
    allowed &= (blocked[None, :] - blocked[:, None] + (~cap)[:, None]) == 0
    ci, cj = np.nonzero(allowed)
    if ci.size == 0:
        return _EMPTY
    delta = np.where(ci == cj, add_both[ci], add_o[ci] + add_d[cj])
    return ci + offset, cj + offset, delta


_UPPER = np.triu(np.ones((64, 64), dtype=bool), 1)


def insertions_into(
    ri: RouteIndex,
    bookings: Mapping[str, Booking],
    new: Booking,
    time_s: np.ndarray,
    params: DispatchParams,
    dist_m: np.ndarray | None,
    cmat: np.ndarray,
    limit: int = 1,
    max_checks: int | None = None,
    candidates: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    lazy: bool = False,
) -> list[Insertion]:
    """Cheapest feasible insertions of ``new`` into an indexed route (``bookings`` holds it).

    With ``lazy`` and when the objective is driving cost only (no excess-ride weight) and the
    vehicle has no breaks, the full :func:`check_route` of the result is skipped (``check`` is
    ``None``; the added cost is exact).
    """
    req = new.request
    if candidates is None:
        candidates = _pair_candidates(ri, new, params.dwell_s(req.passengers), time_s, cmat,
                                      params)
    ci, cj, delta = candidates
    out: list[Insertion] = []
    if ci.size == 0:
        return out
    order = np.argsort(delta, kind="stable")
    if max_checks is not None:
        order = order[:max_checks]
    stops = ri.stops
    o, d = req.origin, req.destination
    fast = not ri.vehicle.breaks
    dwell = params.dwell_s(req.passengers)
    for t in order.tolist():
        p, q = int(ci[t]), int(cj[t])
        if fast and not _times_feasible(ri, new, dwell, p, q, time_s, params):
            continue
        new_stops = (
            *stops[:p], PlannedStop(req.id, StopKind.PICKUP, o), *stops[p:q],
            PlannedStop(req.id, StopKind.DROPOFF, d), *stops[q:],
        )
        if lazy and fast and not params.weight_excess_ride:
            opening = params.weight_vehicle if not stops else 0.0
            out.append(Insertion(float(delta[t]) + opening, new_stops, None, p, q + 1))
            if len(out) >= limit:
                break
            continue
        res = check_route(ri.vehicle, ri.state, new_stops, bookings, time_s, params, dist_m)
        if res.feasible:
            out.append(Insertion(res.cost - ri.check.cost, new_stops, res, p, q + 1))
            if len(out) >= limit:
                break
    return out


def best_insertions(
    vehicle: Vehicle,
    state: VehicleState,
    stops: Sequence[PlannedStop],
    locked: int,
    bookings: Mapping[str, Booking],
    new: Booking,
    time_s: np.ndarray,
    params: DispatchParams,
    dist_m: np.ndarray | None = None,
    limit: int = 1,
) -> list[Insertion]:
    """Cheapest feasible insertions (in driving-cost order) of ``new`` into one route.

    Parameters
    ----------
    vehicle, state, stops, locked
        The route; stops before index ``locked`` are committed and stay first.
    bookings
        Every booking of the route and ``new`` itself, by id.
    new
        The booking to insert (not yet in ``stops``).
    time_s, dist_m, params
        Matrices (s, m) and parameters.
    limit
        How many feasible insertions to return at most.

    Returns
    -------
    list[Insertion]
        Feasible insertions by increasing driving-cost estimate; each carries its exact added
        cost (objective including excess ride) and the checked new route.
    """
    others = {k: v for k, v in bookings.items() if k != new.id}
    ri = index_route(vehicle, state, stops, locked, others, time_s, params, dist_m)
    if ri is None:
        return []
    cmat = cost_matrix(time_s, dist_m, params)
    return insertions_into(ri, bookings, new, time_s, params, dist_m, cmat, limit)


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


def promise_for(request: Request, window_start_s: int, time_s: np.ndarray,
                params: DispatchParams) -> Promise:
    """The promise of a pickup window starting at ``window_start_s`` (epoch s).

    For ``pickup_after`` the latest drop-off follows from the ride limit; for
    ``dropoff_before`` it is the asked time moved by the same shift as the window.
    """
    direct = int(time_s[request.origin, request.destination])
    max_ride = params.max_ride_s(direct)
    dwell = params.dwell_s(request.passengers)
    w = params.pickup_window_s
    latest = window_start_s + w + dwell + max_ride
    if request.rule is TimeRule.DROPOFF_BEFORE:
        latest = window_start_s - asked_window_start(request, time_s, params) + request.time_s
    return Promise(window_start_s, window_start_s + w, latest, max_ride)


def asked_window_start(request: Request, time_s: np.ndarray, params: DispatchParams) -> int:
    """Pickup window start (epoch s) matching the asked time.

    ``pickup_after T`` → ``T``; ``dropoff_before T`` → ``T − width − dwell − direct − detour/2``
    with ``detour = max_ride − direct``, so that a pickup inside the window with half the allowed
    detour arrives by ``T``.
    """
    if request.rule is TimeRule.PICKUP_AFTER:
        return request.time_s
    direct = int(time_s[request.origin, request.destination])
    detour = params.max_ride_s(direct) - direct
    return (request.time_s - params.pickup_window_s - params.dwell_s(request.passengers)
            - direct - detour // 2)


def offers(
    fleet: Fleet,
    request: Request,
    time_s: np.ndarray,
    params: DispatchParams,
    now_s: int,
    dist_m: np.ndarray | None = None,
    indexed: Sequence[RouteIndex] | None = None,
    expected_s: np.ndarray | None = None,
) -> list[Offer]:
    """Best offers for ``request`` (cheapest first), or the nearest alternatives in time.

    Parameters
    ----------
    fleet
        Vehicles, their states and plans, and every confirmed booking.
    request
        The new trip request (its id must not be a booking yet).
    time_s, dist_m
        Square travel-time (s) and distance (m) matrices over the caller's node index.
    params
        Service parameters (window width, dwell, ride limit, alternatives, weights).
    now_s
        Current time (epoch s); no pickup window starts before it.
    indexed
        The fleet's routes already indexed with :func:`index_route` (an engine may keep them
        between offers while the plans do not change); computed when omitted.
    expected_s
        Expected travel times (s) when ``time_s`` are planning (pessimistic) ones: the direct
        time that sets the ride limit and the window of a ``dropoff_before`` request is the
        expected one (default: ``time_s``).

    Returns
    -------
    list[Offer]
        Up to ``params.max_offers`` offers (one per vehicle) for the asked time. When none is
        feasible: the nearest feasible windows before and after the asked time
        (``params.alternatives_per_side`` each, on a grid ``params.alternative_step_s`` apart,
        within ``params.max_shift_s``), nearest first. Empty when nothing is feasible.

    Examples
    --------
    >>> found = offers(fleet, request, time_s, params, now_s)      # doctest: +SKIP
    >>> booking = found[0].booking(request)                         # doctest: +SKIP
    """
    direct = time_s if expected_s is None else expected_s
    asked = asked_window_start(request, direct, params)
    cmat = cost_matrix(time_s, dist_m, params)
    if indexed is None:
        indexed = index_fleet(fleet, time_s, params, dist_m)
    routes = list(indexed)
    dwell = params.dwell_s(request.passengers)
    # every leg open to insertion of every route, flat, so that each window is a few numpy ops
    pax = request.passengers
    o, d = request.origin, request.destination
    usable = [ri for ri in routes if pax.seats <= ri.vehicle.seats
              and pax.wheelchairs <= ri.vehicle.wheelchair_spaces]
    legs_of = [np.arange(ri.locked, len(ri.stops) + 1) for ri in usable]
    bounds = np.cumsum([0] + [len(ix) for ix in legs_of])
    pairs_ = list(zip(usable, legs_of, strict=True))

    def flat(get: object, dtype: type) -> np.ndarray:
        parts = [get(ri, ix) for ri, ix in pairs_]  # type: ignore[operator]
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)

    fa = flat(lambda ri, ix: ri.nodes[ix], np.intp)
    fb = flat(lambda ri, ix: ri.nodes[ix + 1], np.intp)
    dep = flat(lambda ri, ix: ri.dep[ix], np.int64)
    late_next = flat(lambda ri, ix: ri.late[ix + 1], np.int64)
    cap = (flat(lambda ri, ix: ri.seats[ix] + pax.seats <= ri.vehicle.seats, bool)
           & flat(lambda ri, ix: ri.chairs[ix] + pax.wheelchairs <= ri.vehicle.wheelchair_spaces,
                  bool))
    t_ao, t_ob, t_ad, t_db = time_s[fa, o], time_s[o, fb], time_s[fa, d], time_s[d, fb]
    t_od = int(time_s[o, d])
    base = cmat[fa, fb]
    add_o = cmat[fa, o] + cmat[o, fb] - base
    add_d = cmat[fa, d] + cmat[d, fb] - base
    add_both = cmat[fa, o] + cmat[o, d] + cmat[d, fb] - base

    def try_window(start: int, shift: int, limit: int) -> list[Offer]:
        promise = promise_for(request, start, direct, params)
        booking = Booking(request, promise)
        books = dict(fleet.bookings)
        books[request.id] = booking
        pr = promise
        f = leg_filter(dep, late_next, t_ao, t_ob, t_ad, t_db, t_od,
                       params.pickup_from_s(pr.pickup_earliest_s, pr.pickup_latest_s, dwell),
                       pr.pickup_latest_s, pr.dropoff_earliest_s, pr.dropoff_latest_s, dwell)
        ok_oa, ok_d, ok_both = f.pickup_ok, f.dropoff_ok, f.both_ok
        ranked = []
        for k, ri in enumerate(usable):
            lo, hi = bounds[k], bounds[k + 1]
            if not (ok_both[lo:hi].any() or (ok_oa[lo:hi].any() and ok_d[lo:hi].any())):
                continue
            cand = _pairs(ok_oa[lo:hi], ok_d[lo:hi], ok_both[lo:hi], cap[lo:hi], add_o[lo:hi],
                          add_d[lo:hi], add_both[lo:hi], ri.locked,
                          ride_ok(f.dropoff_from[lo:hi], f.pickup_until[lo:hi], dwell,
                                  pr.max_ride_s))
            if cand[0].size:
                ranked.append((float(cand[2].min()), ri.vehicle.id, ri, cand))
        ranked.sort(key=lambda x: (x[0], x[1]))
        found: list[Offer] = []
        for bound, _, ri, cand in ranked:
            if len(found) >= limit and bound > max(f.added_cost for f in found):
                break
            ins = insertions_into(ri, books, booking, time_s, params, dist_m, cmat,
                                  candidates=cand)
            if not ins:
                continue
            best = ins[0]
            assert best.check is not None  # not lazy: every insertion is checked
            sched = best.check.stops
            found.append(Offer(
                ri.vehicle.id, promise, sched[best.pickup_index].start_s,
                sched[best.dropoff_index].start_s, best.check.travel_s - ri.check.travel_s,
                best.added_cost, shift, Plan(ri.vehicle.id, best.stops, ri.locked),
            ))
            found.sort(key=lambda f: (f.added_cost, f.vehicle_id))
            found = found[:limit]
        return found

    first = try_window(max(asked, now_s), max(asked, now_s) - asked, params.max_offers)
    return first or _alternatives(try_window, asked, now_s, params)


def _alternatives(try_window: Callable[[int, int, int], list[Offer]], asked: int, now_s: int,
                  params: DispatchParams) -> list[Offer]:
    """The nearest feasible windows before and after the asked start (``try_window(start,
    shift, limit)``), nearest first."""
    out: list[Offer] = []
    step, reach = params.alternative_step_s, params.max_shift_s
    for sign in (-1, 1):
        k, found_here = 1, 0
        while k * step <= reach and found_here < params.alternatives_per_side:
            start = asked + sign * k * step
            k += 1
            if start < now_s:
                if sign < 0:
                    break
                continue
            got = try_window(start, start - asked, 1)
            out.extend(got)
            found_here += len(got)
    out.sort(key=lambda f: (abs(f.shift_s), f.shift_s))
    return out


def candidates_many(
    ri: RouteIndex, news: Sequence[Booking], params: DispatchParams, time_s: np.ndarray,
    cmat: np.ndarray,
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """:func:`_pair_candidates` for many bookings into one route at once (one numpy pass).

    Returns, per booking, the allowed (pickup, drop-off) positions and their added driving cost.
    """
    q = len(news)
    if q == 0:
        return []
    veh = ri.vehicle
    m = len(ri.stops)
    idx = np.arange(ri.locked, m + 1)
    n = len(idx)
    a, b = ri.nodes[idx], ri.nodes[idx + 1]
    dep = ri.dep[idx][None, :]
    late_next = ri.late[idx + 1][None, :]
    reqs = [bk.request for bk in news]
    prs = [bk.promise for bk in news]
    o = np.fromiter((r.origin for r in reqs), np.intp, q)
    d = np.fromiter((r.destination for r in reqs), np.intp, q)

    def col(values: object) -> np.ndarray:
        out: np.ndarray = np.fromiter(values, np.int64, q)[:, None]  # type: ignore[call-overload]
        return out

    pe = col(p.pickup_earliest_s for p in prs)
    pl = col(p.pickup_latest_s for p in prs)
    de = col(p.dropoff_earliest_s for p in prs)
    dl = col(p.dropoff_latest_s for p in prs)
    ride = col(p.max_ride_s for p in prs)
    dw = col(params.dwell_s(r.passengers) for r in reqs)
    ps = col(r.passengers.seats for r in reqs)
    pw = col(r.passengers.wheelchairs for r in reqs)
    t_ob = time_s[np.ix_(o, b)]
    f = leg_filter(dep, late_next, time_s[np.ix_(a, o)].T, t_ob, time_s[np.ix_(a, d)].T,
                   time_s[np.ix_(d, b)], time_s[o, d][:, None], pickup_from(params, pe, pl, dw),
                   pl, de, dl, dw)
    cap = (ri.seats[idx][None, :] + ps <= veh.seats) & (
        ri.chairs[idx][None, :] + pw <= veh.wheelchair_spaces)
    upper = _UPPER[:n, :n] if n <= _UPPER.shape[0] else np.triu(np.ones((n, n), bool), 1)
    allowed = f.pickup_ok[:, :, None] & f.dropoff_ok[:, None, :] & upper[None, :, :]
    allowed &= ride_ok(f.dropoff_from, f.pickup_until, dw, ride)
    ok_both = f.both_ok
    diag = np.arange(n)
    allowed[:, diag, diag] = ok_both
    blocked = np.cumsum(~cap, axis=1)
    allowed &= (blocked[:, None, :] - blocked[:, :, None] + (~cap)[:, :, None]) == 0
    kk, ci, cj = np.nonzero(allowed)
    out: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = [_EMPTY] * q
    if kk.size == 0:
        return out
    base = cmat[a, b][None, :]
    c_ao = cmat[np.ix_(a, o)].T
    c_ob = cmat[np.ix_(o, b)]
    c_ad = cmat[np.ix_(a, d)].T
    c_db = cmat[np.ix_(d, b)]
    add_o = c_ao + c_ob - base
    add_d = c_ad + c_db - base
    add_both = c_ao + cmat[o, d][:, None] + c_db - base
    delta = np.where(ci == cj, add_both[kk, ci], add_o[kk, ci] + add_d[kk, cj])
    cut = np.searchsorted(kk, np.arange(q + 1))
    for k in range(q):
        lo, hi = cut[k], cut[k + 1]
        if hi > lo:
            out[k] = (ci[lo:hi] + ri.locked, cj[lo:hi] + ri.locked, delta[lo:hi])
    return out
