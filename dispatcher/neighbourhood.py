"""Neighbourhoods of a large fleet for re-optimisation: a seed route and the routes nearest to it.

Re-optimising a day of hundreds of vehicles as one problem does not fit in a cycle's time
limit (every route is evaluated before the search even starts). A cycle instead works on a
*neighbourhood*: a seed vehicle and the vehicles whose routes come nearest to its route in space
and time. Only bookings of those vehicles may move, only between them; every other plan is left
as it is, so every promise outside the neighbourhood is kept trivially, and inside it the
re-optimiser keeps them as always (promises hard, locked prefixes and riders on board fixed).

The seed is a vehicle whose plan breaks a promise under planning times when there is one (it
needs the repair most), else drawn among the vehicles with pending stops, so that successive
cycles (different ``draw``) walk over the whole fleet. Pure: no I/O.
"""

from __future__ import annotations

import random
from collections.abc import Mapping

import numpy as np

from dispatcher.model import Booking, Fleet, StopKind


def _points(fleet: Fleet, bookings: Mapping[str, Booking]
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every vehicle's route as (place, time) points: where and when it is next free, and its
    planned stops at their promised times (pickup window start, latest drop-off); the owner
    (vehicle position in ``fleet.vehicles``) of each point."""
    nodes: list[int] = []
    times: list[int] = []
    owner: list[int] = []
    for k, v in enumerate(fleet.vehicles):
        st = fleet.state_of(v)
        nodes.append(st.node)
        times.append(st.time_s)
        owner.append(k)
        for stop in fleet.plan_of(v).stops:
            pr = bookings[stop.booking_id].promise
            nodes.append(stop.node)
            times.append(pr.pickup_earliest_s if stop.kind is StopKind.PICKUP
                         else pr.dropoff_latest_s)
            owner.append(k)
    return (np.asarray(nodes, dtype=np.intp), np.asarray(times, dtype=np.int64),
            np.asarray(owner, dtype=np.intp))


def nearest_routes(fleet: Fleet, seed: str, time_s: np.ndarray, size: int) -> list[str]:
    """The seed vehicle and the ``size - 1`` vehicles whose routes come nearest to its route:
    the distance of two routes is the least, over a point of each, of the travel time between
    them plus how far apart in time they are (s); ties by vehicle order."""
    ids = [v.id for v in fleet.vehicles]
    if len(ids) <= size:
        return ids
    nodes, times, owner = _points(fleet, fleet.bookings)
    k = ids.index(seed)
    mine = owner == k
    gap = (time_s[np.ix_(nodes[mine], nodes)]
           + np.abs(times[mine][:, None] - times[None, :])).min(axis=0)
    best = np.full(len(ids), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(best, owner, gap)
    best[k] = -1
    order = np.lexsort((np.arange(len(ids)), best))[:size]
    return [ids[i] for i in sorted(order.tolist())]


def sub_fleet(fleet: Fleet, keys: list[str]) -> Fleet:
    """The part of ``fleet`` made of the vehicles ``keys``: their states, plans, and the
    bookings in their plans or on board (no other booking is mandatory in it)."""
    keep = set(keys)
    vehicles = tuple(v for v in fleet.vehicles if v.id in keep)
    used = {st.booking_id for v in vehicles for st in fleet.plan_of(v).stops}
    used |= {b for v in vehicles for b in fleet.state_of(v).onboard}
    return Fleet(vehicles, {k: s for k, s in fleet.states.items() if k in keep},
                 {k: p for k, p in fleet.plans.items() if k in keep},
                 {b: fleet.bookings[b] for b in used if b in fleet.bookings})


def pick_seed(fleet: Fleet, late: list[str], draw: int) -> str | None:
    """The seed vehicle of a neighbourhood: the first late one, else one drawn (``draw`` seeds
    the choice) among the vehicles with pending stops; ``None`` when no vehicle has any."""
    if late:
        return late[0]
    busy = [v.id for v in fleet.vehicles if fleet.plan_of(v).stops]
    if not busy:
        return None
    return random.Random(draw).choice(busy)


def neighbourhood(fleet: Fleet, time_s: np.ndarray, size: int, draw: int,
                  late: list[str] | None = None) -> Fleet:
    """The neighbourhood one re-optimisation cycle works on (see the module): the whole fleet
    when it has at most ``size`` vehicles."""
    if len(fleet.vehicles) <= size:
        return fleet
    seed = pick_seed(fleet, late or [], draw)
    if seed is None:
        return fleet
    return sub_fleet(fleet, nearest_routes(fleet, seed, time_s, size))
