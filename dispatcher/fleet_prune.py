"""Candidate pruning of offers over a whole fleet: which vehicle-days can possibly serve a request.

A large fleet (hundreds of vehicle-days in one service area) makes an offer that prepares and
walks every route slow, although only a few vehicles near the pickup in space and time can serve
it, and only the cheapest of those matter. Preparing a route for insertion (its planning view,
:mod:`dispatcher.recovery`, and its index, :func:`dispatcher.route_index.index_route`) costs a
timing evaluation, and must be redone whenever the vehicle's state moves with the clock (an idle
vehicle is free "from now"). So the offer works in two stages:

1. **Vectorised over all vehicles, from the plans' nodes alone** (:class:`FleetNodes`, kept while
   the plans are the same): a *necessary* condition and a *lower bound* of the added cost.
   A vehicle can take the party (seats and wheelchair spaces) and some leg ``k`` open to
   insertion has ``max(free, earliest bound of the elements up to k) + t[k, origin] <=`` the
   latest pickup: the departure from element ``k`` is never earlier than when the vehicle is
   free nor than the earliest promised time of a stop before it (times along a route never
   decrease; loosening a late route only widens latest bounds). The added driving cost of any
   pair of positions is at least ``min(min_k add_both[k], min_k add_o[k] + min_j add_d[j])`` over
   those legs.
2. **Route by route, lazily, in the order of that bound**: a vehicle is prepared and its exact
   candidate positions priced (:func:`dispatcher.candidate_filter.pair_candidates`) only when no
   route already priced is cheaper than its bound; routes are yielded in the exact order
   (least added cost, then vehicle id) in which :func:`dispatcher.insertion.offers` ranks them
   without pruning. A consumer that stops after the few cheapest leaves the rest untouched.

One request is searched window after window (the asked time, then the alternatives when it
is full) by one :class:`OfferSearch`, which computes stage 1's window-independent arrays once and
prepares each vehicle at most once. The alternative windows share a pool of every vehicle that
can pick up by the latest of them, filtered at once per window (:meth:`OfferSearch.ranked_all`):
when the fleet is full, most windows find nothing, and each would otherwise prepare and filter
the same vehicles again.

A vehicle failing stage 1 would get no candidate position in stage 2 (the per-position filter
tests the same reach with exact times), and the order is exact, so pruning changes how many
routes are looked at, never the offers. Pure: no I/O; ``source`` prepares a route on demand.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np

from dispatcher.candidate_filter import Candidates
from dispatcher.flat_legs import FlatLegs, LegPool, flat_legs, ranked_candidates
from dispatcher.model import Booking, Fleet, Plan, Promise, Request, StopKind, Vehicle, VehicleState
from dispatcher.params import DispatchParams
from dispatcher.route_index import RouteIndex

#: The most vehicles prepared at once while no route has been priced (see :func:`ranked_routes`).
MAX_CHUNK = 64

#: After this many vehicles prepared with no route priced, a window is filtered over all of its
#: vehicles at once (:meth:`OfferSearch.ranked_all`).
POOL_AFTER = 2 * MAX_CHUNK - 1

RouteSource = Callable[[str], tuple[RouteIndex | None, Mapping[str, Booking]]]
"""A vehicle-day's route prepared for insertion (``None``: infeasible, no insertion) and the
bookings it was checked with, by vehicle id."""

Ranked = tuple[float, str, RouteIndex, Candidates, Mapping[str, Booking]]
"""A route with candidate positions: least added cost, vehicle id, index, candidates, bookings."""


class Overlay(Mapping[str, Booking]):
    """Bookings by id: ``top`` over ``base`` (a route's loosened or new bookings over all
    bookings, without copying them)."""

    def __init__(self, top: Mapping[str, Booking], base: Mapping[str, Booking]) -> None:
        self._top, self._base = top, base

    def __getitem__(self, key: str) -> Booking:
        got = self._top.get(key)
        return got if got is not None else self._base[key]

    def __iter__(self) -> Iterator[str]:
        yield from self._top
        yield from (k for k in self._base if k not in self._top)

    def __len__(self) -> int:
        return len(self._top) + sum(1 for k in self._base if k not in self._top)


@dataclass(frozen=True, slots=True)
class FleetNodes:
    """Every vehicle's legs open to insertion (from the locked prefix on), by nodes, flat.

    Vehicle ``k`` of ``vehicles`` owns legs ``bounds[k]:bounds[k + 1]`` (at least one: to the
    depot); leg ``l`` goes from node ``a[l]`` to ``b[l]``, and ``early[l]`` is a lower bound of
    the departure from its first element other than the vehicle's free time ``free[k]``.
    """

    vehicles: tuple[Vehicle, ...]
    bounds: np.ndarray
    a: np.ndarray
    b: np.ndarray
    early: np.ndarray
    free: np.ndarray
    seats: np.ndarray
    chairs: np.ndarray
    parts: dict[str, tuple[Plan, int, int, tuple[np.ndarray, ...]]] = field(
        default_factory=dict, repr=False)

    @property
    def starts(self) -> np.ndarray:
        """First leg of each vehicle."""
        return self.bounds[:-1]


def _vehicle_legs(vehicle: Vehicle, state: VehicleState, plan: Plan,
                  bookings: Mapping[str, Booking]) -> tuple[np.ndarray, ...]:
    """One vehicle's open legs: from and to nodes, and the earliest promised time of the stops
    up to each leg's first element (0 for none)."""
    stops = plan.stops
    nodes = np.asarray([state.node, *(s.node for s in stops), vehicle.depot], dtype=np.intp)
    lo = [0]
    for s in stops:
        pr = bookings[s.booking_id].promise
        lo.append(pr.pickup_earliest_s if s.kind is StopKind.PICKUP else pr.dropoff_earliest_s)
    early = np.maximum.accumulate(np.asarray(lo, dtype=np.int64))
    k, m = plan.locked, len(stops)
    return nodes[k:m + 1], nodes[k + 1:m + 2], early[k:m + 1]


def fleet_nodes(fleet: Fleet, previous: FleetNodes | None = None) -> FleetNodes:
    """Lay out ``fleet``'s legs, reusing ``previous``'s parts of the vehicles whose plan (the
    same object), position and depot are unchanged (a plan's bookings change only with it)."""
    known = previous.parts if previous is not None else {}
    parts: dict[str, tuple[Plan, int, int, tuple[np.ndarray, ...]]] = {}
    same = previous is not None and len(previous.vehicles) == len(fleet.vehicles)
    for k, v in enumerate(fleet.vehicles):
        st, plan = fleet.state_of(v), fleet.plan_of(v)
        hit = known.get(v.id)
        if hit is not None and hit[0] is plan and hit[1] == st.node and hit[2] == v.depot:
            parts[v.id] = hit
            same = same and previous is not None and previous.vehicles[k].id == v.id
        else:
            parts[v.id] = (plan, st.node, v.depot, _vehicle_legs(v, st, plan, fleet.bookings))
            same = False
    vehicles = tuple(fleet.vehicles)
    n = len(vehicles)
    free = np.fromiter((fleet.state_of(v).time_s for v in vehicles), np.int64, n)
    seats = np.fromiter((v.seats for v in vehicles), np.int64, n)
    chairs = np.fromiter((v.wheelchair_spaces for v in vehicles), np.int64, n)
    if same and previous is not None:
        # Every vehicle's legs as before, in the same order: only the free times moved.
        return FleetNodes(vehicles, previous.bounds, previous.a, previous.b, previous.early,
                          free, seats, chairs, parts)
    got = [parts[v.id][3] for v in vehicles]
    bounds = np.cumsum([0, *(len(p[0]) for p in got)]).astype(np.intp)

    def flat(k: int, dtype: type) -> np.ndarray:
        return np.concatenate([p[k] for p in got]).astype(dtype) if got else np.zeros(0, dtype)

    return FleetNodes(vehicles, bounds, flat(0, np.intp), flat(1, np.intp), flat(2, np.int64),
                      free, seats, chairs, parts)


def _min_per_vehicle(fn: FleetNodes, values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Per vehicle: the least of ``values`` over its legs where ``mask`` holds (inf if none)."""
    return np.minimum.reduceat(np.where(mask, values, np.inf), fn.starts)


class OfferSearch:
    """One request's search over a fleet, window after window (the asked time, then the
    alternatives; see the module). What does not depend on the window is computed once: stage
    1's travel times and added costs over every leg, and each vehicle is prepared at most once.
    """

    def __init__(self, fn: FleetNodes, request: Request, dwell: int, params: DispatchParams,
                 time_s: np.ndarray, cmat: np.ndarray, source: RouteSource,
                 pool: LegPool | None = None, until_s: int | None = None) -> None:
        self.fn, self.request, self.dwell, self.params = fn, request, dwell, params
        self.time_s, self.cmat, self.source = time_s, cmat, source
        #: Where prepared routes' legs are kept across offers (an engine's), and the latest
        #: pickup of any window this search will try (for :meth:`ranked_all`).
        self.legs = pool if pool is not None else LegPool()
        self.until_s = until_s
        o, d = request.origin, request.destination
        pax = request.passengers
        a, b = fn.a, fn.b
        # The departure from each leg's first element is never earlier than when the vehicle
        # is free nor than the earliest promised time of a stop up to it.
        self._reach_o = np.maximum(np.repeat(fn.free, np.diff(fn.bounds)), fn.early) + time_s[a, o]
        self._fits = (fn.seats >= pax.seats) & (fn.chairs >= pax.wheelchairs)
        base = cmat[a, b]
        c_ao, c_db = cmat[a, o], cmat[d, b]
        self._add_o = c_ao + cmat[o, b] - base
        self._add_both = c_ao + cmat[o, d] + c_db - base
        self._min_add_d = (_min_per_vehicle(fn, cmat[a, d] + c_db - base,
                                            np.ones(len(a), dtype=bool))
                           if fn.vehicles else np.zeros(0))
        self._prepared: dict[int, tuple[RouteIndex | None, Mapping[str, Booking]]] = {}
        #: Every vehicle that can pick up by ``_pool_until`` prepared, its legs flat (see
        #: :meth:`ranked_all`), and the bookings each route was checked with.
        self._pool: FlatLegs | None = None
        self._pool_until = 0
        self._pool_books: dict[str, Mapping[str, Booking]] = {}

    def stage_one(self, pr: Promise) -> tuple[np.ndarray, np.ndarray]:
        """The vehicles passing the necessary condition for a window's promise (positions in
        ``fn.vehicles``) and a lower bound of each one's added cost (see the module)."""
        fn = self.fn
        if not fn.vehicles:
            return np.zeros(0, dtype=np.intp), np.zeros(0)
        # max(lower bound of the departure + t[a, o], pickup_from) <= latest, and
        # pickup_from <= latest always.
        reach = self._reach_o <= pr.pickup_latest_s
        alive = self._fits & np.logical_or.reduceat(reach, fn.starts)
        bound = np.minimum(_min_per_vehicle(fn, self._add_both, reach),
                           _min_per_vehicle(fn, self._add_o, reach) + self._min_add_d)
        return np.flatnonzero(alive), bound

    def _prepare(self, k: int) -> tuple[RouteIndex | None, Mapping[str, Booking]]:
        got = self._prepared.get(k)
        if got is None:
            got = self._prepared[k] = self.source(self.fn.vehicles[k].id)
        return got

    def _expand(self, ks: list[int], new: Booking) -> list[Ranked]:
        """Prepare vehicles ``ks`` and price those with candidate positions for ``new``, all
        of their legs filtered at once (:mod:`dispatcher.flat_legs`)."""
        prepared = [self._prepare(k) for k in ks]
        books = {ri.vehicle.id: bk for ri, bk in prepared if ri is not None}
        legs = flat_legs([ri for ri, _ in prepared if ri is not None], self.request,
                         self.time_s, self.cmat, self.legs)
        return [(cost, vid, ri, cand, books[vid]) for cost, vid, ri, cand
                in ranked_candidates(legs, new.promise, self.dwell, self.params)]

    def ranked(self, new: Booking) -> tuple[Iterator[Ranked], int]:
        """The routes with candidate positions for ``new`` (this request with one window's
        promise), lazily, by least added driving cost then vehicle id, and how many vehicles
        passed stage 1 (see the module)."""
        fn = self.fn
        alive, bound = self.stage_one(new.promise)
        ids = [v.id for v in fn.vehicles]
        order = sorted(alive.tolist(), key=lambda k: (bound[k], ids[k]))

        until = self.until_s
        pooled = until is not None and new.promise.pickup_latest_s <= until

        def ranked() -> Iterator[Ranked]:
            heap: list[tuple[float, str, Ranked]] = []
            nxt, chunk, priced = 0, 1, False
            while heap or nxt < len(order):
                if pooled and not priced and nxt >= POOL_AFTER and until is not None:
                    # Nothing priced (nor yielded) after many vehicles: the time is full.
                    # Filter every remaining candidate at once (same routes, same order).
                    yield from self.ranked_all(new, until)
                    return
                # Prepare every vehicle that could still come before the best priced route:
                # its (bound, id) below that route's (cost, id) (a tie on cost goes to the
                # smaller id). While none is priced, in growing chunks: preparing a few more
                # than needed changes nothing yielded (the order stays exact), and when the
                # asked time is full (no vehicle has room) the chunks test many routes at once.
                while nxt < len(order) and (
                        not heap or (bound[order[nxt]], ids[order[nxt]]) < heap[0][:2]):
                    take = order[nxt:nxt + (chunk if not heap else 1)]
                    for got in self._expand(take, new):
                        heapq.heappush(heap, (got[0], got[1], got))
                        priced = True
                    nxt += len(take)
                    chunk = min(2 * chunk, MAX_CHUNK) if not heap else 1
                if heap:
                    yield heapq.heappop(heap)[2]

        return ranked(), int(alive.size)


    def ranked_all(self, new: Booking, until_s: int) -> Iterator[Ranked]:
        """:meth:`ranked` for a window whose pickup ends by ``until_s``, from every vehicle that
        can pick up by then, prepared once for all such windows of this request.

        For the alternative windows of a request the asked time could not take: when the fleet
        is full, most of them find no route, and each would prepare and filter every vehicle
        passing stage 1 again; with the pool each window is one filter over its legs. Stage 1
        is a necessary condition, so the routes yielded are the same as :meth:`ranked`'s.
        """
        if self._pool is None or until_s > self._pool_until:
            fn = self.fn
            reach = self._reach_o <= until_s
            alive = (np.flatnonzero(self._fits & np.logical_or.reduceat(reach, fn.starts))
                     if fn.vehicles else np.zeros(0, dtype=np.intp))
            prepared = [self._prepare(k) for k in alive.tolist()]
            routes = [ri for ri, _ in prepared if ri is not None]
            self._pool = flat_legs(routes, self.request, self.time_s, self.cmat, self.legs)
            self._pool_books = {ri.vehicle.id: bk for ri, bk in prepared if ri is not None}
            self._pool_until = until_s
        books = self._pool_books
        return iter([(cost, vid, ri, cand, books[vid]) for cost, vid, ri, cand
                     in ranked_candidates(self._pool, new.promise, self.dwell, self.params)])


def ranked_routes(fn: FleetNodes, new: Booking, dwell: int, params: DispatchParams,
                  time_s: np.ndarray, cmat: np.ndarray, source: RouteSource,
                  ) -> tuple[Iterator[Ranked], int]:
    """The routes with candidate positions for ``new`` (its promise fixed), lazily, by least
    added driving cost then vehicle id, and how many vehicles passed stage 1 (one window of
    :class:`OfferSearch`)."""
    return OfferSearch(fn, new.request, dwell, params, time_s, cmat, source).ranked(new)
