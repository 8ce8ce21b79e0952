"""Synthetic fleets for latency benchmarks and property tests (deterministic for a seed)."""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from dispatcher.insertion import asked_window_start, best_insertions, promise_for
from dispatcher.model import (
    Booking,
    Fleet,
    Passengers,
    Plan,
    Request,
    TimeRule,
    Vehicle,
    VehicleState,
)
from dispatcher.params import DispatchParams

T0 = 1_767_225_600  # 2026-01-01 00:00 UTC, a fixed reference day


@dataclass(frozen=True)
class Scenario:
    """A fleet with open bookings on a synthetic road matrix."""

    fleet: Fleet
    time_s: np.ndarray
    dist_m: np.ndarray
    params: DispatchParams
    now_s: int
    rng_seed: int


def synthetic_matrix(nodes: int, seed: int, side_m: float = 15_000.0,
                     speed_mps: float = 8.0) -> tuple[np.ndarray, np.ndarray]:
    """Times (s) and distances (m): random points in a square, road factor 1.3."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, side_m, size=(nodes, 2))
    dist = 1.3 * np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    return np.rint(dist / speed_mps).astype(np.int64), np.rint(dist).astype(np.int64)


def random_request(rng: random.Random, rid: str, nodes: int, now_s: int,
                   horizon_s: int = 7200) -> Request:
    """A random request: 1-3 passengers, sometimes a wheelchair, asked within the horizon."""
    o = rng.randrange(nodes)
    d = rng.randrange(nodes - 1)
    d += d >= o
    pax = Passengers(rng.choice([1, 1, 1, 2, 3]), 0, 1 if rng.random() < 0.1 else 0)
    rule = TimeRule.PICKUP_AFTER if rng.random() < 0.7 else TimeRule.DROPOFF_BEFORE
    t = now_s + rng.randrange(600, horizon_s)
    if rule is TimeRule.DROPOFF_BEFORE:
        t += 2400
    return Request(rid, o, d, pax, rule, t)


def scenario(vehicles: int, per_vehicle: int = 5, seed: int = 0, nodes: int = 400,
             params: DispatchParams | None = None) -> Scenario:
    """A fleet of ``vehicles`` each carrying ``per_vehicle`` open bookings (built by insertion)."""
    rng = random.Random(seed)
    params = params or DispatchParams()
    time_s, dist_m = synthetic_matrix(nodes, seed)
    now = T0 + 8 * 3600
    vehs = tuple(
        Vehicle(f"v{k}", 4, 1 if k % 3 == 0 else 0, rng.randrange(nodes), now - 3600,
                now + 10 * 3600)
        for k in range(vehicles)
    )
    bookings: dict[str, Booking] = {}
    plans: dict[str, Plan] = {}
    states = {v.id: VehicleState(v.id, v.depot, now) for v in vehs}
    count = 0
    for v in vehs:
        stops: tuple = ()
        placed = tries = 0
        while placed < per_vehicle and tries < 60:
            tries += 1
            req = random_request(rng, f"q{count}", nodes, now)
            count += 1
            book = Booking(req, promise_for(req, asked_window_start(req, time_s, params),
                                            time_s, params))
            books = {**bookings, req.id: book}
            ins = best_insertions(v, states[v.id], stops, 0, books, book, time_s, params, dist_m)
            if ins:
                stops = ins[0].stops
                bookings[req.id] = book
                placed += 1
        plans[v.id] = Plan(v.id, stops)
    fleet = Fleet(vehs, states, plans, bookings)
    return Scenario(fleet, time_s, dist_m, params, now, seed)


def with_progress(sc: Scenario) -> Scenario:
    """The scenario a little later: each vehicle whose plan starts with a pickup has executed it
    (that rider is on board, the vehicle waits at that stop) and its next stop is locked."""
    from dispatcher.feasibility import check_route
    from dispatcher.model import StopKind

    fleet = sc.fleet
    states = dict(fleet.states)
    plans = dict(fleet.plans)
    for v in fleet.vehicles:
        plan = fleet.plan_of(v)
        if not plan.stops or plan.stops[0].kind is not StopKind.PICKUP:
            continue
        res = check_route(v, fleet.state_of(v), plan.stops, fleet.bookings, sc.time_s, sc.params)
        first = plan.stops[0]
        left = res.stops[0].departure_s
        states[v.id] = VehicleState(v.id, first.node, left, (first.booking_id,), (left,))
        rest = plan.stops[1:]
        plans[v.id] = Plan(v.id, rest, min(1, len(rest)))
    return Scenario(Fleet(fleet.vehicles, states, plans, fleet.bookings), sc.time_s, sc.dist_m,
                    sc.params, sc.now_s, sc.rng_seed)
