"""Candidate pruning of offers over a whole fleet: which vehicle-days can possibly serve a request.

A large fleet (hundreds of vehicle-days in one service area) makes an offer that walks every
route's legs in Python slow, although only the few vehicles near the pickup in space and time can
serve it. :class:`FleetLegs` lays out every leg open to insertion of every indexed route flat, once
per set of routes (the engine keeps it while no route changes); per promise,
:func:`ranked_routes` evaluates the one candidate filter (:func:`dispatcher.candidate_filter.leg_filter`)
over all legs of all vehicles in a few numpy operations and reduces it per route to a *necessary*
condition, before any per-route work:

* some leg ``k`` of the route has room for the party (seats and wheelchair spaces while driving
  from element ``k`` to ``k + 1``) and, leaving element ``k`` at its least departure time, the
  vehicle reaches the origin by the latest pickup and can still reach element ``k + 1`` by its
  latest feasible start (that bound carries the shift end and every later promise), and
* the drop-off fits on that same leg, or on some leg by the same test for the destination.

Inserting after element ``k`` leaves elements ``0..k`` unchanged, so the first test uses exact
departure times; the second is implied by every (pickup, drop-off) pair the per-route filter
(:func:`dispatcher.candidate_filter.allowed_pairs`) would allow. A route failing it would get no
candidate pair, hence no offer: pruning changes which routes are looked at, never the offers.
Only the survivors get per-route candidate pairs and the exact check. Pure: no I/O.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from dispatcher.candidate_filter import Candidates, allowed_pairs, leg_filter, ride_ok
from dispatcher.model import Promise, Request
from dispatcher.params import DispatchParams
from dispatcher.route_index import RouteIndex


@dataclass(frozen=True, slots=True)
class FleetLegs:
    """Every leg open to insertion (from the locked prefix on) of every route, flat.

    Route ``k`` of ``routes`` owns legs ``bounds[k]:bounds[k + 1]``; leg ``l`` goes from node
    ``a[l]`` (left at ``dep[l]``, its least departure) to node ``b[l]`` (latest feasible start
    ``late_next[l]``) with ``room_seats[l]`` / ``room_chairs[l]`` free on the way.
    """

    routes: tuple[RouteIndex, ...]
    bounds: np.ndarray
    starts: np.ndarray
    a: np.ndarray
    b: np.ndarray
    dep: np.ndarray
    late_next: np.ndarray
    room_seats: np.ndarray
    room_chairs: np.ndarray
    parts: dict[int, tuple[np.ndarray, ...]] = field(default_factory=dict, repr=False)


def _route_legs(ri: RouteIndex) -> tuple[np.ndarray, ...]:
    """One route's open legs: from/to nodes, departure, next latest start, room on board."""
    lo, hi = ri.locked, len(ri.stops) + 1
    return (ri.nodes[lo:hi], ri.nodes[lo + 1:hi + 1], ri.dep[lo:hi], ri.late[lo + 1:hi + 1],
            ri.vehicle.seats - ri.seats[lo:hi], ri.vehicle.wheelchair_spaces - ri.chairs[lo:hi])


def fleet_legs(routes: Sequence[RouteIndex], previous: FleetLegs | None = None) -> FleetLegs:
    """Lay out the legs of ``routes`` (indexed with :func:`dispatcher.route_index.index_route`),
    reusing the per-route parts of ``previous`` for the very same route indexes."""
    routes = tuple(routes)
    known = previous.parts if previous is not None else {}
    parts: dict[int, tuple[np.ndarray, ...]] = {}
    for ri in routes:
        hit = known.get(id(ri))
        # ``previous`` keeps its routes alive, so an id found there is that very route.
        parts[id(ri)] = hit if hit is not None else _route_legs(ri)
    cols = list(zip(*(parts[id(ri)] for ri in routes), strict=True)) if routes else []
    sizes = [len(ri.stops) + 1 - ri.locked for ri in routes]
    bounds = np.cumsum([0, *sizes]).astype(np.intp)

    def flat(k: int, dtype: type) -> np.ndarray:
        return np.concatenate(cols[k]).astype(dtype) if routes else np.zeros(0, dtype)

    return FleetLegs(routes, bounds, bounds[:-1].copy(), flat(0, np.intp), flat(1, np.intp),
                     flat(2, np.int64), flat(3, np.int64), flat(4, np.int64), flat(5, np.int64),
                     parts)


def _any_per_route(fl: FleetLegs, mask: np.ndarray) -> np.ndarray:
    """Per route: whether ``mask`` holds on any of its legs (every route has at least one)."""
    if not len(fl.routes):
        return np.zeros(0, dtype=bool)
    return np.logical_or.reduceat(mask, fl.starts)


def _min_per_route(fl: FleetLegs, values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Per route: the least of ``values`` over its legs where ``mask`` holds (inf if none)."""
    return np.minimum.reduceat(np.where(mask, values, np.inf), fl.starts)


def ranked_routes(fl: FleetLegs, request: Request, pr: Promise, dwell: int,
                  params: DispatchParams, time_s: np.ndarray, cmat: np.ndarray,
                  ) -> tuple[Iterator[tuple[float, str, RouteIndex, Candidates]], int]:
    """The routes with candidate positions for ``request`` under promise ``pr``, by least added
    driving cost then vehicle id (as :func:`dispatcher.insertion.offers` ranks them without
    pruning), and how many routes passed the necessary condition (see the module).

    The ranking is lazy: the survivors are expanded (candidate pairs and their least added
    cost) in the order of a vectorised lower bound of that cost, only as far as needed to yield
    the next route in exact order, so a consumer that stops early leaves most routes untouched.
    """
    o, d = request.origin, request.destination
    pax = request.passengers
    a, b = fl.a, fl.b
    t_ob, t_db = time_s[o, b], time_s[d, b]
    f = leg_filter(fl.dep, fl.late_next, time_s[a, o], t_ob, time_s[a, d], t_db,
                   int(time_s[o, d]),
                   params.pickup_from_s(pr.pickup_earliest_s, pr.pickup_latest_s, dwell),
                   pr.pickup_latest_s, pr.dropoff_earliest_s, pr.dropoff_latest_s, dwell)
    cap = (fl.room_seats >= pax.seats) & (fl.room_chairs >= pax.wheelchairs)
    pick, both = f.pickup_ok & cap, f.both_ok & cap
    survive = _any_per_route(fl, pick) & _any_per_route(fl, both | f.dropoff_ok)
    survivors = np.flatnonzero(survive)
    if not survivors.size:
        return iter(()), 0
    base = cmat[a, b]
    c_ao, c_ad, c_ob, c_db = cmat[a, o], cmat[a, d], cmat[o, b], cmat[d, b]
    add_o, add_d = c_ao + c_ob - base, c_ad + c_db - base
    add_both = c_ao + cmat[o, d] + c_db - base
    # A lower bound of each route's least added cost over the pairs allowed_pairs can allow.
    bound = np.minimum(_min_per_route(fl, add_both, both),
                       _min_per_route(fl, add_o, pick) + _min_per_route(fl, add_d, f.dropoff_ok))
    order = sorted(survivors.tolist(), key=lambda k: (bound[k], fl.routes[k].vehicle.id))

    def expand(k: int) -> tuple[float, str, RouteIndex, Candidates] | None:
        ri = fl.routes[k]
        lo, hi = int(fl.bounds[k]), int(fl.bounds[k + 1])
        cand = allowed_pairs(f.pickup_ok[lo:hi], f.dropoff_ok[lo:hi], f.both_ok[lo:hi],
                             cap[lo:hi], add_o[lo:hi], add_d[lo:hi], add_both[lo:hi], ri.locked,
                             ride_ok(f.dropoff_from[lo:hi], f.pickup_until[lo:hi], dwell,
                                     pr.max_ride_s))
        return (float(cand[2].min()), ri.vehicle.id, ri, cand) if cand[0].size else None

    def ranked() -> Iterator[tuple[float, str, RouteIndex, Candidates]]:
        heap: list[tuple[float, str, int, tuple[float, str, RouteIndex, Candidates]]] = []
        nxt = 0
        while heap or nxt < len(order):
            # Expand every route whose bound does not exceed the best expanded one (ties too:
            # an unexpanded route may share the least cost with a smaller vehicle id).
            while nxt < len(order) and (not heap or bound[order[nxt]] <= heap[0][0]):
                got = expand(order[nxt])
                if got is not None:
                    heapq.heappush(heap, (got[0], got[1], order[nxt], got))
                nxt += 1
            if heap:
                yield heapq.heappop(heap)[3]

    return ranked(), int(survivors.size)
