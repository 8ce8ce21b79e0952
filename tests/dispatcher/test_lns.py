"""The ruin-and-recreate search (dispatcher.lns): ruins touch only movable bookings, rebuilds
keep every route feasible and account for every booking, the light check agrees with the full
one, and improvement never returns something worse than its start."""

from __future__ import annotations

import pytest

from bench.synthetic import scenario, with_progress
from dispatcher.feasibility import check_route
from dispatcher.lns import MISSING_COST, Search, improve
from dispatcher.optimize import _problem
from dispatcher.params import DispatchParams


def _search(seed: int, progress: bool, **kw: float) -> tuple[Search, dict]:
    """A search over a random fleet's problem, and the fleet's plans (routes by vehicle)."""
    sc = scenario(3, 4, seed=seed, nodes=40, params=DispatchParams(**kw))
    if progress:
        sc = with_progress(sc)
    plans = {v.id: tuple(sc.fleet.plan_of(v).stops) for v in sc.fleet.vehicles}
    return Search(_problem(sc.fleet, (), sc.time_s, sc.dist_m, sc.params), seed), plans


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("progress", [False, True])
def test_ruin_removes_only_movable_bookings_and_rebuild_restores_them(seed, progress) -> None:
    search, plans = _search(seed, progress)
    pb = search.pb
    sol = search.evaluate(plans, set(), full=True)
    assert all(c.feasible for c in sol.checks.values())
    for k in range(10):
        cand = sol.copy()
        removed = search.ruin(cand, 3 + k % 3)
        assert removed and set(removed) <= pb.movable
        left = {s.booking_id for st in cand.routes.values() for s in st}
        assert not set(removed) & left
        for vid, stops in cand.routes.items():  # locked prefixes stay put
            assert stops[: pb.locked[vid]] == plans[vid][: pb.locked[vid]]
        rebuild = search.recreate if k % 2 else search.greedy
        assert rebuild(cand, removed)
        served = {s.booking_id for st in cand.routes.values() for s in st}
        assert served | cand.unserved >= set(removed)
        for vid, stops in cand.routes.items():
            assert search.check(vid, stops).feasible
        assert cand.cost == pytest.approx(sum(c.cost for c in cand.checks.values())
                                          + pb.penalty(cand.unserved))


@pytest.mark.parametrize("seed", range(4))
def test_light_check_agrees_with_the_full_check(seed) -> None:
    """Feasibility and cost of the light check equal check_route's on every route the search
    builds (driving cost only, no breaks)."""
    search, plans = _search(seed, False, weight_excess_ride=0.0)
    pb = search.pb
    sol = search.evaluate(plans, set())
    for _ in range(6):
        cand = sol.copy()
        search.recreate(cand, search.ruin(cand, 4))
        for v in pb.vehicles:
            light = search.check(v.id, cand.routes[v.id])
            full = check_route(v, pb.states[v.id], cand.routes[v.id], pb.bookings, pb.time_s,
                               pb.params, pb.dist_m)
            assert light.feasible == full.feasible
            assert light.cost == pytest.approx(full.cost)


@pytest.mark.parametrize("seed", range(3))
def test_improve_never_returns_worse_and_counts_its_iterations(seed) -> None:
    search, plans = _search(seed, True)
    start = search.evaluate(plans, set())
    best, iterations = improve(search, start, deadline=float("inf"), iteration_limit=30)
    assert iterations == 30
    assert best.cost <= start.cost + 1e-6
    assert best.cost < MISSING_COST  # every confirmed booking still served
    assert all(c.feasible for c in best.checks.values())
