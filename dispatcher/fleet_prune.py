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

A vehicle failing stage 1 would get no candidate position in stage 2 (the per-position filter
tests the same reach with exact times), and the order is exact, so pruning changes how many
routes are looked at, never the offers. Pure: no I/O; ``source`` prepares a route on demand.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np

from dispatcher.candidate_filter import Candidates, pair_candidates, pickup_fits_any
from dispatcher.model import Booking, Fleet, Plan, StopKind, Vehicle, VehicleState
from dispatcher.params import DispatchParams
from dispatcher.route_index import RouteIndex

#: The most vehicles prepared at once while no route has been priced (see :func:`ranked_routes`).
MAX_CHUNK = 64

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
    for v in fleet.vehicles:
        st, plan = fleet.state_of(v), fleet.plan_of(v)
        hit = known.get(v.id)
        if hit is not None and hit[0] is plan and hit[1] == st.node and hit[2] == v.depot:
            parts[v.id] = hit
        else:
            parts[v.id] = (plan, st.node, v.depot, _vehicle_legs(v, st, plan, fleet.bookings))
    got = [parts[v.id][3] for v in fleet.vehicles]
    bounds = np.cumsum([0, *(len(p[0]) for p in got)]).astype(np.intp)

    def flat(k: int, dtype: type) -> np.ndarray:
        return np.concatenate([p[k] for p in got]).astype(dtype) if got else np.zeros(0, dtype)

    vehicles = tuple(fleet.vehicles)
    return FleetNodes(
        vehicles, bounds, flat(0, np.intp), flat(1, np.intp), flat(2, np.int64),
        np.fromiter((fleet.state_of(v).time_s for v in vehicles), np.int64, len(vehicles)),
        np.fromiter((v.seats for v in vehicles), np.int64, len(vehicles)),
        np.fromiter((v.wheelchair_spaces for v in vehicles), np.int64, len(vehicles)), parts)


def _min_per_vehicle(fn: FleetNodes, values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Per vehicle: the least of ``values`` over its legs where ``mask`` holds (inf if none)."""
    return np.minimum.reduceat(np.where(mask, values, np.inf), fn.starts)


def stage_one(fn: FleetNodes, new: Booking, dwell: int, params: DispatchParams,
              time_s: np.ndarray, cmat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The vehicles passing the necessary condition (positions in ``fn.vehicles``) and a lower
    bound of the added cost of each vehicle (see the module)."""
    if not fn.vehicles:
        return np.zeros(0, dtype=np.intp), np.zeros(0)
    req, pr = new.request, new.promise
    o, d = req.origin, req.destination
    pax = req.passengers
    a, b = fn.a, fn.b
    owner_free = np.repeat(fn.free, np.diff(fn.bounds))
    reach = (np.maximum(np.maximum(owner_free, fn.early) + time_s[a, o],
                        params.pickup_from_s(pr.pickup_earliest_s, pr.pickup_latest_s, dwell))
             <= pr.pickup_latest_s)
    fits = (fn.seats >= pax.seats) & (fn.chairs >= pax.wheelchairs)
    alive = fits & np.logical_or.reduceat(reach, fn.starts)
    base = cmat[a, b]
    c_ao, c_db = cmat[a, o], cmat[d, b]
    add_o = c_ao + cmat[o, b] - base
    add_d = cmat[a, d] + c_db - base
    add_both = c_ao + cmat[o, d] + c_db - base
    everywhere = np.ones(len(a), dtype=bool)
    bound = np.minimum(_min_per_vehicle(fn, add_both, reach),
                       _min_per_vehicle(fn, add_o, reach)
                       + _min_per_vehicle(fn, add_d, everywhere))
    return np.flatnonzero(alive), bound


def ranked_routes(fn: FleetNodes, new: Booking, dwell: int, params: DispatchParams,
                  time_s: np.ndarray, cmat: np.ndarray, source: RouteSource,
                  ) -> tuple[Iterator[Ranked], int]:
    """The routes with candidate positions for ``new`` (its promise fixed), lazily, by least
    added driving cost then vehicle id, and how many vehicles passed stage 1 (see the module).
    """
    alive, bound = stage_one(fn, new, dwell, params, time_s, cmat)
    order = sorted(alive.tolist(), key=lambda k: (bound[k], fn.vehicles[k].id))

    def expand(vid: str, ri: RouteIndex, books: Mapping[str, Booking]) -> Ranked | None:
        cand = pair_candidates(ri, new, dwell, time_s, cmat, params)
        return (float(cand[2].min()), vid, ri, cand, books) if cand[0].size else None

    def expand_many(ks: list[int]) -> list[Ranked]:
        """Prepare vehicles ``ks`` and price those with candidate positions (one vectorised
        pickup test first when there are several: most have none when the time is full)."""
        prepared = [(vid, *source(vid)) for vid in (fn.vehicles[k].id for k in ks)]
        ready = [(vid, ri, books) for vid, ri, books in prepared if ri is not None]
        if len(ready) > 1:
            fits = pickup_fits_any([ri for _, ri, _ in ready], new, dwell, time_s, params)
            ready = [r for r, ok in zip(ready, fits.tolist(), strict=True) if ok]
        return [got for got in (expand(*r) for r in ready) if got is not None]

    def ranked() -> Iterator[Ranked]:
        heap: list[tuple[float, str, Ranked]] = []
        nxt, chunk = 0, 1
        while heap or nxt < len(order):
            # Prepare every vehicle that could still come before the best priced route: its
            # (bound, id) below that route's (cost, id) (a tie on cost goes to the smaller id).
            # While none is priced, in growing chunks: preparing a few more than needed changes
            # nothing yielded (the order stays exact), and when the asked time is full (no
            # vehicle has room) the chunks test many routes at once.
            while nxt < len(order) and (
                    not heap or (bound[order[nxt]], fn.vehicles[order[nxt]].id) < heap[0][:2]):
                take = order[nxt:nxt + (chunk if not heap else 1)]
                for got in expand_many(take):
                    heapq.heappush(heap, (got[0], got[1], got))
                nxt += len(take)
                chunk = min(2 * chunk, MAX_CHUNK) if not heap else 1
            if heap:
                yield heapq.heappop(heap)[2]

    return ranked(), int(alive.size)

