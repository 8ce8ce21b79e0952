"""Candidate pruning of offers (dispatcher/fleet_prune.py): never loses an offer, and prunes."""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.synthetic import random_request, scenario, with_progress
from dispatcher.fleet_prune import fleet_nodes, ranked_routes
from dispatcher.insertion import asked_window_start, offers, promise_for
from dispatcher.model import Booking, Fleet, Passengers, Plan, Request, TimeRule
from dispatcher.params import DispatchParams
from dispatcher.route_index import cost_matrix, index_route


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
    """On 200 vehicles, the necessary condition drops vehicles that cannot reach the pickup in
    time, and of the survivors only a few are prepared and checked; the offers are still those
    without pruning."""
    sc = _large_fleet()
    fleet = sc.fleet
    nodes = fleet_nodes(fleet)
    cmat = cost_matrix(sc.time_s, sc.dist_m, sc.params)
    rng = random.Random(9)
    alive_share, prepared_share, offered = [], [], 0
    for i in range(15):
        req = random_request(rng, f"big{i}", 400, sc.now_s, horizon_s=1800)
        req = Request(req.id, req.origin, req.destination, req.passengers,
                      TimeRule.PICKUP_AFTER, req.time_s)
        start = max(asked_window_start(req, sc.time_s, sc.params), sc.now_s)
        new = Booking(req, promise_for(req, start, sc.time_s, sc.params))
        prepared: list[str] = []

        def source(vid, prepared=prepared):
            prepared.append(vid)
            v = next(x for x in fleet.vehicles if x.id == vid)
            plan = fleet.plan_of(v)
            return index_route(v, fleet.state_of(v), plan.stops, plan.locked, fleet.bookings,
                               sc.time_s, sc.params, sc.dist_m), fleet.bookings

        _, alive = ranked_routes(nodes, new, sc.params.dwell_s(req.passengers), sc.params,
                                 sc.time_s, cmat, source)
        alive_share.append(alive / len(fleet.vehicles))
        on = offers(fleet, req, sc.time_s, sc.params, sc.now_s, sc.dist_m, nodes=nodes,
                    source=source)
        prepared_share.append(len(set(prepared)) / len(fleet.vehicles))
        off = offers(fleet, req, sc.time_s, replace(sc.params, prune_offers=False), sc.now_s,
                     sc.dist_m)
        assert on == off
        offered += bool(on)
    assert offered >= 5
    assert float(np.median(alive_share)) < 0.9, alive_share
    assert float(np.median(prepared_share)) < 0.5, prepared_share


def test_nodes_reuse_unchanged_plans():
    """Laid out again after one plan changed, the legs are those laid out from scratch, and the
    unchanged plans' parts are reused."""
    sc = scenario(20, 3, seed=6, nodes=150)
    first = fleet_nodes(sc.fleet)
    v0 = sc.fleet.vehicles[0]
    plans = {**sc.fleet.plans, v0.id: Plan(v0.id, sc.fleet.plans[v0.id].stops[:0])}
    changed = replace(sc.fleet, plans=plans)
    reused, fresh = fleet_nodes(changed, first), fleet_nodes(changed)
    for name in ("bounds", "a", "b", "early", "free", "seats", "chairs"):
        assert np.array_equal(getattr(reused, name), getattr(fresh, name)), name
    v1 = sc.fleet.vehicles[1].id
    assert reused.parts[v1] is first.parts[v1]
    assert reused.parts[v0.id] is not first.parts[v0.id]


def test_nodes_unchanged_keep_their_arrays_and_follow_the_free_times():
    """Laid out again with every plan unchanged, the legs' arrays are kept as they are, while
    the vehicles' free times (which move with the clock for an idle vehicle) are new; a
    different order of the vehicles is laid out again."""
    sc = scenario(12, 3, seed=3, nodes=100)
    first = fleet_nodes(sc.fleet)
    later = {k: replace(st, time_s=st.time_s + 600) for k, st in sc.fleet.states.items()}
    moved = replace(sc.fleet, states=later)
    again, fresh = fleet_nodes(moved, first), fleet_nodes(moved)
    assert again.a is first.a and again.early is first.early
    for name in ("bounds", "a", "b", "early", "free", "seats", "chairs"):
        assert np.array_equal(getattr(again, name), getattr(fresh, name)), name
    assert (again.free == first.free + 600).all()
    shuffled = replace(sc.fleet, vehicles=tuple(reversed(sc.fleet.vehicles)))
    other, scratch = fleet_nodes(shuffled, first), fleet_nodes(shuffled)
    assert other.a is not first.a
    for name in ("bounds", "a", "b", "early", "free", "seats", "chairs"):
        assert np.array_equal(getattr(other, name), getattr(scratch, name)), name


def test_no_routes_no_offers():
    """An empty fleet: nothing to prune, nothing offered (either way)."""
    sc = scenario(1, 0, seed=1, nodes=20)
    empty = Fleet((), {}, {}, {})
    req = random_request(random.Random(1), "r", 20, sc.now_s)
    assert fleet_nodes(empty).a.size == 0
    assert _both(empty, req, sc.time_s, sc.dist_m, sc.params, sc.now_s) == ([], [])
