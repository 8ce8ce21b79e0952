"""Many routes' legs laid flat: one window's candidate filter over all of them in a few numpy
operations, and the routes with candidate positions ranked from it.

The legs open to insertion of each route are kept with its index
(:class:`dispatcher.route_index.OpenLegs`); :func:`flat_legs` concatenates those of many routes
with what depends only on the request (travel times to and from its origin and destination,
added costs, capacity), and :func:`ranked_candidates` applies one window's promise to all legs
at once (:func:`dispatcher.candidate_filter.leg_filter`). A route is priced pair by pair
(:func:`dispatcher.candidate_filter.allowed_pairs`, as
:func:`dispatcher.candidate_filter.pair_candidates` does) only when some leg can take the
pickup with a seat free and some leg the drop-off, so a full fleet costs one pass, not one per
route. Used by the unpruned offers over the whole fleet and by the pruned ones over each chunk
of vehicles (:mod:`dispatcher.fleet_prune`). Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dispatcher.candidate_filter import Candidates, allowed_pairs, leg_filter, ride_ok
from dispatcher.model import Promise, Request
from dispatcher.params import DispatchParams
from dispatcher.route_index import RouteIndex

RankedRoute = tuple[float, str, RouteIndex, Candidates]
"""A route with candidate positions: least added driving cost, vehicle id, index, candidates."""


@dataclass(frozen=True, slots=True)
class FlatLegs:
    """Every leg open to insertion of the ``usable`` routes (those whose vehicle can carry the
    request at all), flat; route ``k`` owns legs ``bounds[k]:bounds[k + 1]`` (at least one)."""

    usable: list[RouteIndex]
    bounds: np.ndarray
    dep: np.ndarray
    late_next: np.ndarray
    cap: np.ndarray
    t_ao: np.ndarray
    t_ob: np.ndarray
    t_ad: np.ndarray
    t_db: np.ndarray
    t_od: int
    add_o: np.ndarray
    add_d: np.ndarray
    add_both: np.ndarray


def flat_legs(routes: Sequence[RouteIndex], request: Request, time_s: np.ndarray,
              cmat: np.ndarray) -> FlatLegs:
    """The open legs of ``routes`` whose vehicle can carry ``request``, flat, with what depends
    on the request but not on its window."""
    pax = request.passengers
    o, d = request.origin, request.destination
    usable = [ri for ri in routes if pax.seats <= ri.vehicle.seats
              and pax.wheelchairs <= ri.vehicle.wheelchair_spaces]
    legs = [ri.open for ri in usable]
    bounds = np.cumsum([0, *(len(lg.a) for lg in legs)])
    if not legs:
        none = np.zeros(0, dtype=np.int64)
        return FlatLegs([], bounds, none, none, np.zeros(0, dtype=bool), none, none, none,
                        none, int(time_s[o, d]), np.zeros(0), np.zeros(0), np.zeros(0))
    a = np.concatenate([lg.a for lg in legs])
    b = np.concatenate([lg.b for lg in legs])
    size = np.diff(bounds)
    seats_room = np.repeat([ri.vehicle.seats - pax.seats for ri in usable], size)
    chairs_room = np.repeat([ri.vehicle.wheelchair_spaces - pax.wheelchairs for ri in usable],
                            size)
    cap = ((np.concatenate([lg.seats for lg in legs]) <= seats_room)
           & (np.concatenate([lg.chairs for lg in legs]) <= chairs_room))
    base = cmat[a, b]
    c_ao, c_db = cmat[a, o], cmat[d, b]
    return FlatLegs(
        usable, bounds, np.concatenate([lg.dep for lg in legs]),
        np.concatenate([lg.late_next for lg in legs]), cap,
        time_s[a, o], time_s[o, b], time_s[a, d], time_s[d, b], int(time_s[o, d]),
        c_ao + cmat[o, b] - base, cmat[a, d] + c_db - base, c_ao + cmat[o, d] + c_db - base,
    )


def ranked_candidates(legs: FlatLegs, pr: Promise, dwell: int, params: DispatchParams,
                      ) -> list[RankedRoute]:
    """The routes with candidate positions for a window's promise, by least added driving cost
    (a lower bound of the exact one), then vehicle id; each route's candidates are exactly
    :func:`dispatcher.candidate_filter.pair_candidates`' for it."""
    if not legs.usable:
        return []
    f = leg_filter(legs.dep, legs.late_next, legs.t_ao, legs.t_ob, legs.t_ad, legs.t_db,
                   legs.t_od,
                   params.pickup_from_s(pr.pickup_earliest_s, pr.pickup_latest_s, dwell),
                   pr.pickup_latest_s, pr.dropoff_earliest_s, pr.dropoff_latest_s, dwell)
    ok_o, ok_d, ok_both, cap = f.pickup_ok, f.dropoff_ok, f.both_ok, legs.cap
    bounds = legs.bounds
    starts = bounds[:-1]
    # Necessary for some allowed pair (see allowed_pairs): pickup and drop-off on one leg with
    # a seat free there, or a pickup leg with a seat free and some drop-off leg.
    maybe = (np.logical_or.reduceat(ok_both & cap, starts)
             | (np.logical_or.reduceat(ok_o & cap, starts)
                & np.logical_or.reduceat(ok_d, starts)))
    ranked = []
    for k in np.flatnonzero(maybe).tolist():
        ri = legs.usable[k]
        lo, hi = bounds[k], bounds[k + 1]
        cand = allowed_pairs(ok_o[lo:hi], ok_d[lo:hi], ok_both[lo:hi], cap[lo:hi],
                             legs.add_o[lo:hi], legs.add_d[lo:hi], legs.add_both[lo:hi],
                             ri.locked,
                             ride_ok(f.dropoff_from[lo:hi], f.pickup_until[lo:hi], dwell,
                                     pr.max_ride_s))
        if cand[0].size:
            ranked.append((float(cand[2].min()), ri.vehicle.id, ri, cand))
    ranked.sort(key=lambda x: (x[0], x[1]))
    return ranked
