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
              cmat: np.ndarray, pool: LegPool | None = None) -> FlatLegs:
    """The open legs of ``routes`` whose vehicle can carry ``request``, flat, with what depends
    on the request but not on its window (gathered from ``pool`` when given)."""
    pool = pool if pool is not None else LegPool()
    pax = request.passengers
    usable = [ri for ri in routes if pax.seats <= ri.vehicle.seats
              and pax.wheelchairs <= ri.vehicle.wheelchair_spaces]
    o, d = request.origin, request.destination
    if not usable:
        none = np.zeros(0, dtype=np.int64)
        return FlatLegs([], np.zeros(1, dtype=np.int64), none, none, np.zeros(0, dtype=bool),
                        none, none, none, none, int(time_s[o, d]), np.zeros(0), np.zeros(0),
                        np.zeros(0))
    idx, bounds = pool.gather(usable)
    a, b = pool.a[idx], pool.b[idx]
    cap = ((pool.seats[idx] + pax.seats <= pool.seat_cap[idx])
           & (pool.chairs[idx] + pax.wheelchairs <= pool.chair_cap[idx]))
    base = pool.base(cmat)[idx]
    # Every lookup is to or from the origin or the destination: index their rows and columns
    # (small, contiguous) rather than the whole matrices at scattered places.
    t_to_o, t_to_d = time_s[:, o].copy(), time_s[:, d].copy()
    c_to_o, c_to_d = cmat[:, o].copy(), cmat[:, d].copy()
    c_ao, c_db = c_to_o[a], cmat[d][b]
    return FlatLegs(
        usable, bounds, pool.dep[idx], pool.late_next[idx], cap,
        t_to_o[a], time_s[o][b], t_to_d[a], time_s[d][b], int(time_s[o, d]),
        c_ao + cmat[o][b] - base, c_to_d[a] + c_db - base, c_ao + cmat[o, d] + c_db - base,
    )


class LegPool:
    """The open legs of prepared routes, concatenated once and kept across offers while each
    route is the same object (an engine prepares a route again only when it changed), so that
    the legs of any set of them are gathered with a few vectorised operations.

    A changed route is appended (its old legs stay until the pool is compacted, when more than
    half of it is stale; routes not gathered since the last compaction are dropped then).
    Not thread-safe: one per planner, used under its lock.
    """

    _FIELDS = ("a", "b", "dep", "late_next", "seats", "chairs", "seat_cap", "chair_cap")

    def __init__(self, compact_min: int = 1024) -> None:
        #: Legs below which the pool is never compacted.
        self.compact_min = compact_min
        self.compactions = 0
        self._slot: dict[str, tuple[RouteIndex, int, int]] = {}
        #: Vehicles gathered since the last compaction (the others are dropped by it: an old
        #: day's vehicle-days are not kept for ever).
        self._used: set[str] = set()
        self._size = 0
        self._base: tuple[object, int, np.ndarray] | None = None
        empty = np.zeros(0, dtype=np.int64)
        self.a = self.b = self.dep = self.late_next = empty
        self.seats = self.chairs = self.seat_cap = self.chair_cap = empty

    def base(self, cmat: np.ndarray) -> np.ndarray:
        """The cost of driving each leg of the pool as it is (``cmat[a, b]``), kept until the
        pool or the cost matrix changes."""
        got = self._base
        if got is None or got[0] is not cmat:
            got = (cmat, 0, np.zeros(0))
        if got[1] < self._size:  # appended since (a compaction starts it again)
            got = (cmat, self._size,
                   np.concatenate([got[2], cmat[self.a[got[1]:], self.b[got[1]:]]]))
        self._base = got
        return got[2]

    def gather(self, routes: Sequence[RouteIndex]) -> tuple[np.ndarray, np.ndarray]:
        """Positions in the pool of the legs of ``routes`` (in order) and each route's bounds
        within them (route ``k`` owns ``bounds[k]:bounds[k + 1]``)."""
        self._used.update(ri.vehicle.id for ri in routes)
        new = [ri for ri in routes
               if (hit := self._slot.get(ri.vehicle.id)) is None or hit[0] is not ri]
        if new:
            self._add(new)
        slots = self._slot
        starts = np.fromiter((slots[ri.vehicle.id][1] for ri in routes), np.int64, len(routes))
        sizes = np.fromiter((slots[ri.vehicle.id][2] for ri in routes), np.int64, len(routes))
        bounds = np.zeros(len(routes) + 1, dtype=np.int64)
        np.cumsum(sizes, out=bounds[1:])
        idx = np.repeat(starts - bounds[:-1], sizes) + np.arange(bounds[-1])
        return idx, bounds

    def _add(self, routes: list[RouteIndex]) -> None:
        live = sum(n for _, _, n in self._slot.values())
        if self._size > 2 * (live + sum(len(ri.open.a) for ri in routes)) + self.compact_min:
            self.compactions += 1
            # Mostly stale: start again from the routes still current.
            current = {vid: ri for vid, (ri, _, _) in self._slot.items() if vid in self._used}
            current.update((ri.vehicle.id, ri) for ri in routes)
            self._used = set()
            routes = list(current.values())
            self._slot.clear()
            self._size = 0
            self._base = None
            for name in self._FIELDS:
                setattr(self, name, np.zeros(0, dtype=np.int64))
        parts: dict[str, list[np.ndarray]] = {name: [getattr(self, name)] for name in self._FIELDS}
        at = self._size
        for ri in routes:
            lg, n = ri.open, len(ri.open.a)
            for name, arr in (("a", lg.a), ("b", lg.b), ("dep", lg.dep),
                              ("late_next", lg.late_next), ("seats", lg.seats),
                              ("chairs", lg.chairs)):
                parts[name].append(arr)
            parts["seat_cap"].append(np.full(n, ri.vehicle.seats, dtype=np.int64))
            parts["chair_cap"].append(np.full(n, ri.vehicle.wheelchair_spaces, dtype=np.int64))
            self._slot[ri.vehicle.id] = (ri, at, n)
            at += n
        for name in self._FIELDS:
            setattr(self, name, np.concatenate(parts[name]).astype(np.int64, copy=False))
        self._size = at


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
