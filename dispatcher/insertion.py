"""Instant offers: the cheapest feasible insertions of a new request into the current plans.

Every pickup/drop-off position pair of every vehicle is priced at once with numpy (added
driving cost) and pruned by necessary conditions (capacity along the ride, the earliest schedule
against the latest feasible times of the route); the survivors are checked exactly with
:func:`dispatcher.feasibility.check_route` cheapest first, and the first feasible one of each
vehicle is that vehicle's offer.

The route index lives in :mod:`dispatcher.route_index` and the candidate filter (the necessary
conditions) in :mod:`dispatcher.candidate_filter`; this module prices, checks and ranks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from dispatcher.candidate_filter import Candidates, pair_candidates
from dispatcher.feasibility import RouteCheck, check_route
from dispatcher.flat_legs import LegPool, flat_legs, ranked_candidates
from dispatcher.fleet_prune import (
    FleetNodes,
    OfferSearch,
    Overlay,
    Ranked,
    RouteSource,
    fleet_nodes,
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
from dispatcher.route_index import RouteIndex, cost_matrix, index_fleet, index_route, times_feasible


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
    candidates: Candidates | None = None,
    lazy: bool = False,
) -> list[Insertion]:
    """Cheapest feasible insertions of ``new`` into an indexed route (``bookings`` holds it).

    With ``lazy`` and when the objective is driving cost only (no excess-ride weight) and the
    vehicle has no breaks, the full :func:`check_route` of the result is skipped (``check`` is
    ``None``; the added cost is exact).
    """
    req = new.request
    if candidates is None:
        candidates = pair_candidates(ri, new, params.dwell_s(req.passengers), time_s, cmat,
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
        # Exact without breaks, and necessary with them: a route is checked with its breaks
        # only after its break-free least times hold (feasibility.evaluate_route).
        if not times_feasible(ri, new, dwell, p, q, time_s, params):
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
    nodes: FleetNodes | None = None,
    source: RouteSource | None = None,
    cmat: np.ndarray | None = None,
    pool: LegPool | None = None,
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
    nodes, source
        With ``params.prune_offers`` (:mod:`dispatcher.fleet_prune`): the fleet's legs by nodes
        (an engine may keep them while the plans do not change) and what prepares one route on
        demand (an engine's planning view; default: ``indexed``, else :func:`index_route` with
        ``fleet.bookings``). Only the vehicle-days passing a vectorised necessary condition, and
        of those only the cheapest, are prepared and checked; the offers are the same as without.
    cmat, pool
        :func:`cost_matrix` of ``time_s`` and ``dist_m``, and the prepared routes' legs
        (:class:`dispatcher.flat_legs.LegPool`), when the caller keeps them between offers.

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
    if cmat is None:
        cmat = cost_matrix(time_s, dist_m, params)
    dwell = params.dwell_s(request.passengers)
    rank = _ranker(fleet, request, (asked, now_s), dwell, time_s, params, dist_m, cmat, indexed,
                   nodes, source, pool)

    def try_window(start: int, shift: int, limit: int, alternative: bool = True) -> list[Offer]:
        booking = Booking(request, promise_for(request, start, direct, params))
        return _best_offers(rank(booking, alternative), booking, shift, limit, time_s, params,
                            dist_m, cmat)

    first = try_window(max(asked, now_s), max(asked, now_s) - asked, params.max_offers, False)
    return first or _alternatives(try_window, asked, now_s, params)


def _ranker(fleet: Fleet, request: Request, asked_now: tuple[int, int], dwell: int,
            time_s: np.ndarray, params: DispatchParams, dist_m: np.ndarray | None,
            cmat: np.ndarray, indexed: Sequence[RouteIndex] | None, nodes: FleetNodes | None,
            source: RouteSource | None, pool: LegPool | None,
            ) -> Callable[[Booking, bool], Iterable[Ranked]]:
    """What ranks the routes for one window's booking of ``request`` (the asked window start
    and now in ``asked_now``; the asked window, or an alternative one): pruned
    (:mod:`dispatcher.fleet_prune`) or over every route at once."""
    asked, now_s = asked_now
    if params.prune_offers:
        # The alternative windows (when the asked time is full) share one pool of every
        # vehicle that can pick up by the latest of them.
        until = max(asked + params.max_shift_s, now_s) + params.pickup_window_s
        search = OfferSearch(nodes if nodes is not None else fleet_nodes(fleet), request, dwell,
                             params, time_s, cmat,
                             source or _source(fleet, indexed, time_s, params, dist_m), pool,
                             until)

        def rank(new: Booking, alternative: bool) -> Iterable[Ranked]:
            return search.ranked_all(new, until) if alternative else search.ranked(new)[0]
    else:
        every = flat_legs(list(indexed if indexed is not None
                               else index_fleet(fleet, time_s, params, dist_m)),
                          request, time_s, cmat, pool)

        def rank(new: Booking, alternative: bool) -> Iterable[Ranked]:  # noqa: ARG001
            # Every route is indexed and filtered at once anyway: alike for every window.
            return ((*r, fleet.bookings) for r in ranked_candidates(every, new.promise, dwell,
                                                                     params))

    return rank


def _best_offers(ranked: Iterable[Ranked], booking: Booking, shift: int, limit: int,
                 time_s: np.ndarray, params: DispatchParams, dist_m: np.ndarray | None,
                 cmat: np.ndarray) -> list[Offer]:
    """Up to ``limit`` offers (one per vehicle, cheapest first) from the ranked routes (each with
    the bookings it is checked with), checked exactly until no remaining route's bound can beat
    the worst offer kept."""
    found: list[Offer] = []
    for bound, _, ri, cand, route_books in ranked:
        if len(found) >= limit and bound > max(f.added_cost for f in found):
            break
        books = Overlay({booking.request.id: booking}, route_books)
        ins = insertions_into(ri, books, booking, time_s, params, dist_m, cmat,
                              candidates=cand)
        if not ins:
            continue
        best = ins[0]
        assert best.check is not None  # not lazy: every insertion is checked
        sched = best.check.stops
        found.append(Offer(
            ri.vehicle.id, booking.promise, sched[best.pickup_index].start_s,
            sched[best.dropoff_index].start_s, best.check.travel_s - ri.check.travel_s,
            best.added_cost, shift, Plan(ri.vehicle.id, best.stops, ri.locked),
        ))
        found.sort(key=lambda f: (f.added_cost, f.vehicle_id))
        found = found[:limit]
    return found


def _source(fleet: Fleet, indexed: Sequence[RouteIndex] | None, time_s: np.ndarray,
            params: DispatchParams, dist_m: np.ndarray | None) -> RouteSource:
    """Routes prepared on demand for pruned offers: from ``indexed`` when given, else indexed
    with the fleet's bookings when first asked for."""
    known: dict[str, RouteIndex | None] = {}
    if indexed is not None:
        known = {ri.vehicle.id: ri for ri in indexed}
    by_id = {v.id: v for v in fleet.vehicles}

    def prepare(vid: str) -> tuple[RouteIndex | None, Mapping[str, Booking]]:
        if vid not in known and indexed is None:
            v = by_id[vid]
            plan = fleet.plan_of(v)
            known[vid] = index_route(v, fleet.state_of(v), plan.stops, plan.locked,
                                     fleet.bookings, time_s, params, dist_m)
        return known.get(vid), fleet.bookings

    return prepare


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
