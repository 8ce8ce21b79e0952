"""Candidate pruning of offers (dispatcher/fleet_prune.py): never loses an offer, and prunes."""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.synthetic import random_request, scenario, with_progress
from dispatcher.fleet_prune import fleet_legs, ranked_routes
from dispatcher.insertion import asked_window_start, offers, promise_for
from dispatcher.model import Fleet, Passengers, Request, TimeRule
from dispatcher.params import DispatchParams
from dispatcher.route_index import cost_matrix, index_fleet


def _shorten_shifts(fleet: Fleet, rng: random.Random, now_s: int) -> Fleet:
    """Some vehicles end their shift soon (the shift end must prune, never wrongly)."""
    vehicles = tuple(replace(v, shift_end_s=now_s + rng.choice([1800, 3600, 36_000]))
                     if rng.random() < 0.4 else v for v in fleet.vehicles)
    return replace(fleet, vehicles=vehicles)


def _both(fleet: Fleet, req: Request, time_s: np.ndarray, dist_m: np.ndarray | None,
          params: DispatchParams, now_s: int) -> tuple[list, list]:
    on = offers(fleet, req, time_s, replace(params, prune_offers=True), now_s, dist_m)
    off = offers(fleet, req, time_s, replace(params, prune_offers=False), now_s, dist_m)
    return on, off


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), progress=st.booleans(), grace=st.sampled_from([0, 180]),
       slack=st.sampled_from([(1.0, 0), (1.15, 30)]), vehicles=st.integers(1, 12),
       metric=st.booleans())
def test_property_pruning_gives_the_same_offers(seed, progress, grace, slack, vehicles, metric):
    """On random fleets (some far away, some ending their shift, some with riders on board and a
    locked next stop; metric and non-metric matrices) offers with pruning are exactly the
    offers without it (same vehicles, plans, promises, costs, alternatives)."""
    params = DispatchParams(no_show_grace_s=grace, travel_factor=slack[0],
                            travel_margin_s=slack[1])
    sc = scenario(vehicles, 3, seed=seed, nodes=80, params=params)
    if progress:
        sc = with_progress(sc)
    rng = random.Random(seed)
    fleet = _shorten_shifts(sc.fleet, rng, sc.now_s)
    time_s = params.planning_times(sc.time_s)
    if not metric:  # break the triangle inequality on some legs: the claim must not need it
        noise = np.random.default_rng(seed).integers(0, 400, size=time_s.shape)
        time_s = time_s + np.where(np.eye(len(time_s), dtype=bool), 0, noise)
    for i in range(6):
        req = random_request(rng, f"new{i}", 80, sc.now_s)
        on, off = _both(fleet, req, time_s, sc.dist_m, params, sc.now_s)
        assert on == off


def test_pruning_keeps_offers_for_wheelchairs_and_large_parties():
    """Parties that fit few vehicles: the capacity part of the condition agrees with the
    per-position filter."""
    sc = scenario(15, 4, seed=11, nodes=120)
    rng = random.Random(5)
    for i in range(20):
        req = random_request(rng, f"w{i}", 120, sc.now_s)
        pax = Passengers(rng.choice([1, 3, 4]), 0, rng.choice([0, 1, 2]))
        req = Request(req.id, req.origin, req.destination, pax, req.rule, req.time_s)
        on, off = _both(sc.fleet, req, sc.time_s, sc.dist_m, sc.params, sc.now_s)
        assert on == off


def _large_fleet():
    """200 vehicles spread over a 15 km square with open bookings (synthetic, 400 places)."""
    return scenario(200, 3, seed=4, nodes=400)


def test_pruning_prunes_on_a_large_fleet():
    """On 200 vehicles, the necessary condition leaves only a small share of the routes for
    the per-route work, and the offers are still those without pruning."""
    sc = _large_fleet()
    routes = index_fleet(sc.fleet, sc.time_s, sc.params, sc.dist_m)
    legs = fleet_legs(routes)
    cmat = cost_matrix(sc.time_s, sc.dist_m, sc.params)
    rng = random.Random(9)
    shares, offered = [], 0
    for i in range(15):
        req = random_request(rng, f"big{i}", 400, sc.now_s)
        req = Request(req.id, req.origin, req.destination, req.passengers,
                      TimeRule.PICKUP_AFTER, req.time_s)
        start = max(asked_window_start(req, sc.time_s, sc.params), sc.now_s)
        pr = promise_for(req, start, sc.time_s, sc.params)
        ranked, survivors = ranked_routes(legs, req, pr, sc.params.dwell_s(req.passengers),
                                          sc.params, sc.time_s, cmat)
        assert len(list(ranked)) <= survivors <= len(routes)
        shares.append(survivors / len(routes))
        on, off = _both(sc.fleet, req, sc.time_s, sc.dist_m, sc.params, sc.now_s)
        assert on == off
        offered += bool(on)
    assert len(routes) >= 150
    assert offered >= 5
    assert float(np.median(shares)) < 0.5, shares


def test_legs_reuse_unchanged_routes():
    """Laid out again after one route changed, the legs are those laid out from scratch."""
    sc = scenario(20, 3, seed=6, nodes=150)
    routes = index_fleet(sc.fleet, sc.time_s, sc.params, sc.dist_m)
    first = fleet_legs(routes)
    again = index_fleet(replace(sc.fleet, vehicles=sc.fleet.vehicles[:1]), sc.time_s, sc.params,
                        sc.dist_m)
    changed = [again[0], *routes[1:]]
    reused, fresh = fleet_legs(changed, first), fleet_legs(changed)
    for name in ("bounds", "a", "b", "dep", "late_next", "room_seats", "room_chairs"):
        assert np.array_equal(getattr(reused, name), getattr(fresh, name)), name
    assert reused.parts[id(routes[1])] is first.parts[id(routes[1])]


def test_no_routes_no_offers():
    """An empty fleet: nothing to prune, nothing offered (either way)."""
    sc = scenario(1, 0, seed=1, nodes=20)
    empty = Fleet((), {}, {}, {})
    req = random_request(random.Random(1), "r", 20, sc.now_s)
    assert fleet_legs([]).a.size == 0
    assert _both(empty, req, sc.time_s, sc.dist_m, sc.params, sc.now_s) == ([], [])
