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

from collections.abc import Sequence
from dataclasses import dataclass

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


def fleet_legs(routes: Sequence[RouteIndex]) -> FleetLegs:
    """Lay out the legs of ``routes`` (indexed with :func:`dispatcher.route_index.index_route`)."""
    routes = tuple(routes)
    parts: list[list[np.ndarray]] = [[], [], [], [], [], []]
    for ri in routes:
        lo, hi = ri.locked, len(ri.stops) + 1
        for out, arr in zip(parts, (ri.nodes[lo:hi], ri.nodes[lo + 1:hi + 1], ri.dep[lo:hi],
                                    ri.late[lo + 1:hi + 1], ri.vehicle.seats - ri.seats[lo:hi],
                                    ri.vehicle.wheelchair_spaces - ri.chairs[lo:hi]),
                            strict=True):
            out.append(arr)
    sizes = [len(ri.stops) + 1 - ri.locked for ri in routes]
    bounds = np.cumsum([0, *sizes]).astype(np.intp)

    def flat(k: int, dtype: type) -> np.ndarray:
        return np.concatenate(parts[k]).astype(dtype) if routes else np.zeros(0, dtype)

    return FleetLegs(routes, bounds, bounds[:-1].copy(), flat(0, np.intp), flat(1, np.intp),
                     flat(2, np.int64), flat(3, np.int64), flat(4, np.int64), flat(5, np.int64))


def _any_per_route(fl: FleetLegs, mask: np.ndarray) -> np.ndarray:
    """Per route: whether ``mask`` holds on any of its legs (every route has at least one)."""
    if not len(fl.routes):
        return np.zeros(0, dtype=bool)
    return np.logical_or.reduceat(mask, fl.starts)


def ranked_routes(fl: FleetLegs, request: Request, pr: Promise, dwell: int,
                  params: DispatchParams, time_s: np.ndarray, cmat: np.ndarray,
                  ) -> tuple[list[tuple[float, str, RouteIndex, Candidates]], int]:
    """The routes with candidate positions for ``request`` under promise ``pr``, by least added
    driving cost then vehicle id (as :func:`dispatcher.insertion.offers` ranks them without
    pruning), and how many routes passed the necessary condition (see the module)."""
    o, d = request.origin, request.destination
    pax = request.passengers
    a, b = fl.a, fl.b
    t_ob, t_db = time_s[o, b], time_s[d, b]
    f = leg_filter(fl.dep, fl.late_next, time_s[a, o], t_ob, time_s[a, d], t_db,
                   int(time_s[o, d]),
                   params.pickup_from_s(pr.pickup_earliest_s, pr.pickup_latest_s, dwell),
                   pr.pickup_latest_s, pr.dropoff_earliest_s, pr.dropoff_latest_s, dwell)
    cap = (fl.room_seats >= pax.seats) & (fl.room_chairs >= pax.wheelchairs)
    can_pick = _any_per_route(fl, f.pickup_ok & cap)
    can_drop = _any_per_route(fl, (f.both_ok & cap) | f.dropoff_ok)
    survivors = np.flatnonzero(can_pick & can_drop)
    ranked = []
    for k in survivors.tolist():
        ri = fl.routes[k]
        lo, hi = int(fl.bounds[k]), int(fl.bounds[k + 1])
        ra, rb = a[lo:hi], b[lo:hi]
        base = cmat[ra, rb]
        c_ao, c_ob, c_ad, c_db = cmat[ra, o], cmat[o, rb], cmat[ra, d], cmat[d, rb]
        cand = allowed_pairs(f.pickup_ok[lo:hi], f.dropoff_ok[lo:hi], f.both_ok[lo:hi],
                             cap[lo:hi], c_ao + c_ob - base, c_ad + c_db - base,
                             c_ao + cmat[o, d] + c_db - base, ri.locked,
                             ride_ok(f.dropoff_from[lo:hi], f.pickup_until[lo:hi], dwell,
                                     pr.max_ride_s))
        if cand[0].size:
            ranked.append((float(cand[2].min()), ri.vehicle.id, ri, cand))
    ranked.sort(key=lambda x: (x[0], x[1]))
    return ranked, int(survivors.size)
