"""Re-optimisation: feasible, never worse, promises, locks and riders on board kept."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.synthetic import random_request, scenario, with_progress
from dispatcher.feasibility import check_route
from dispatcher.insertion import asked_window_start, promise_for
from dispatcher.lns import Problem
from dispatcher.model import Booking, Fleet, Passengers, Plan, Request, StopKind, TimeRule
from dispatcher.optimize import ReoptStatus, reoptimize
from dispatcher.ortools_model import solve_routing
from dispatcher.params import DispatchParams


def _assert_valid(fleet: Fleet, res, sc, extra=()):
    """Every plan feasible, every booking planned, locks and on-board riders unchanged."""
    books = {**fleet.bookings, **{b.id: b for b in extra}}
    planned = set()
    for v in fleet.vehicles:
        plan = res.plans[v.id]
        old = fleet.plan_of(v)
        state = fleet.state_of(v)
        check = check_route(v, state, plan.stops, books, sc.time_s, sc.params, sc.dist_m)
        assert check.feasible, check.violations
        assert plan.locked == old.locked
        assert plan.stops[: old.locked] == old.stops[: old.locked]
        drops = {s.booking_id for s in plan.stops if s.kind is StopKind.DROPOFF}
        assert set(state.onboard) <= drops
        planned |= {s.booking_id for s in plan.stops} | set(state.onboard)
    assert set(fleet.bookings) <= planned


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), progress=st.booleans(), grace=st.sampled_from([0, 180]))
def test_property_reoptimized_plans_feasible_and_not_worse(seed, progress, grace):
    """Any re-optimised plan set passes feasibility, keeps promises, locks and riders, costs less
    (with and without a no-show grace reserved at pickups)."""
    sc = scenario(3, 3, seed=seed, nodes=50, params=DispatchParams(no_show_grace_s=grace))
    if progress:
        sc = with_progress(sc)
    res = reoptimize(sc.fleet, sc.time_s, sc.params, dist_m=sc.dist_m, time_limit_s=5,
                     seed=seed, iteration_limit=15, use_ortools=False)
    assert res.status in (ReoptStatus.IMPROVED, ReoptStatus.NOT_BETTER)
    _assert_valid(sc.fleet, res, sc)
    assert res.cost_after <= res.cost_before + 1e-6
    if res.status is ReoptStatus.NOT_BETTER:
        assert res.plans == {v.id: sc.fleet.plan_of(v) for v in sc.fleet.vehicles}


def test_deterministic_for_seed_and_iteration_limit():
    """Same seed and iteration limit give the same plans."""
    sc = with_progress(scenario(4, 4, seed=11, nodes=80))
    runs = [reoptimize(sc.fleet, sc.time_s, sc.params, dist_m=sc.dist_m, time_limit_s=30,
                       seed=5, iteration_limit=25, use_ortools=False) for _ in range(2)]
    assert runs[0].plans == runs[1].plans
    assert runs[0].cost_after == runs[1].cost_after


def test_optional_requests_accepted_or_rejected():
    """A fitting optional request is served; an impossible one is rejected without harm."""
    sc = scenario(3, 2, seed=4, nodes=50)
    rng = random.Random(9)
    fits = None
    for i in range(30):
        req = random_request(rng, f"opt{i}", 50, sc.now_s)
        req = Request(req.id, req.origin, req.destination, Passengers(1), TimeRule.PICKUP_AFTER,
                      req.time_s)
        fits = Booking(req, promise_for(req, asked_window_start(req, sc.time_s, sc.params),
                                        sc.time_s, sc.params))
        res = reoptimize(sc.fleet, sc.time_s, sc.params, dist_m=sc.dist_m, optional=[fits],
                         time_limit_s=5, iteration_limit=5, use_ortools=False)
        if res.served_optional:
            break
    assert res.served_optional == (fits.id,)
    _assert_valid(sc.fleet, res, sc, extra=[fits])
    big = Request("big", 1, 2, Passengers(0, 0, 5), TimeRule.PICKUP_AFTER, sc.now_s + 600)
    never = Booking(big, promise_for(big, sc.now_s + 600, sc.time_s, sc.params))
    res = reoptimize(sc.fleet, sc.time_s, sc.params, dist_m=sc.dist_m, optional=[never],
                     time_limit_s=5, iteration_limit=5, use_ortools=False)
    assert "big" in res.rejected_optional
    _assert_valid(sc.fleet, res, sc)


def test_missing_confirmed_bookings_are_planned():
    """Confirmed bookings absent from every plan are inserted (objective: serve them all)."""
    sc = scenario(3, 3, seed=2, nodes=50)
    empty = Fleet(sc.fleet.vehicles, sc.fleet.states, {}, sc.fleet.bookings)
    res = reoptimize(empty, sc.time_s, sc.params, dist_m=sc.dist_m, time_limit_s=5,
                     iteration_limit=10, use_ortools=False)
    assert res.status is ReoptStatus.IMPROVED
    assert res.unserved_mandatory == (len(sc.fleet.bookings), 0)
    _assert_valid(empty, res, sc)


def test_ortools_model_keeps_locks_and_riders():
    """The OR-Tools model warm-started from current plans keeps locks and on-board riders."""
    sc = with_progress(scenario(3, 3, seed=21, nodes=50))
    fleet = sc.fleet
    res = reoptimize(fleet, sc.time_s, sc.params, dist_m=sc.dist_m, time_limit_s=1.0,
                     use_ortools=True, ortools_share=1.0)
    _assert_valid(fleet, res, sc)
    locked = {v.id: fleet.plan_of(v).locked for v in fleet.vehicles}
    assert any(locked.values())
    pb = Problem(fleet.vehicles, {v.id: fleet.state_of(v) for v in fleet.vehicles}, locked,
                 fleet.bookings, frozenset(), frozenset(), sc.time_s, sc.dist_m, sc.params)
    routes = solve_routing(pb, {v.id: fleet.plan_of(v).stops for v in fleet.vehicles}, 0.5,
                           first_solution=False)
    assert routes is not None
    as_result = type("R", (), {"plans": {v: Plan(v, r, locked[v]) for v, r in routes.items()}})
    _assert_valid(fleet, as_result, sc)


def test_infeasible_input_is_repaired_or_reported():
    """A plan made infeasible (a booking moved to a vehicle too late) is fixed by re-planning."""
    sc = scenario(3, 2, seed=8, nodes=50)
    fleet = sc.fleet
    v0, v1 = fleet.vehicles[0], fleet.vehicles[1]
    swapped = dict(fleet.plans)
    swapped[v0.id] = Plan(v0.id, fleet.plan_of(v1).stops + fleet.plan_of(v0).stops)
    swapped[v1.id] = Plan(v1.id, ())
    broken = Fleet(fleet.vehicles, fleet.states, swapped, fleet.bookings)
    res = reoptimize(broken, sc.time_s, sc.params, dist_m=sc.dist_m, time_limit_s=5,
                     iteration_limit=5, use_ortools=False)
    v = broken.vehicles[0]
    before = check_route(v, broken.state_of(v), swapped[v.id].stops, fleet.bookings, sc.time_s,
                         sc.params)
    assert not before.feasible
    assert res.status is ReoptStatus.REPAIRED
    _assert_valid(broken, res, sc)
    assert res.moved and not res.late  # handed over on time, nothing late


def test_a_promise_nothing_can_keep_is_placed_least_late_and_the_rest_kept():
    """When no plan set can keep one confirmed booking (here: a window no vehicle can reach in
    time), the fleet is not given up: that booking is placed where it is least late, named in
    ``late``, and every other booking keeps its promise (each route checked with the other
    bookings' promises as they are)."""
    sc = scenario(2, 2, seed=8, nodes=50)
    fleet = sc.fleet
    bid = next(iter(fleet.bookings))
    book = fleet.bookings[bid]
    pr = book.promise
    impossible = Booking(book.request, type(pr)(pr.pickup_earliest_s, pr.pickup_earliest_s,
                                                pr.pickup_earliest_s + 1, 1))
    books = {**fleet.bookings, bid: impossible}
    broken = Fleet(fleet.vehicles, fleet.states, fleet.plans, books)
    res = reoptimize(broken, sc.time_s, sc.params, dist_m=sc.dist_m, time_limit_s=5,
                     iteration_limit=3, use_ortools=False)
    assert res.status is ReoptStatus.REPAIRED
    assert set(res.late) == {bid} and res.late[bid] > 0
    others = {k: b for k, b in books.items() if k != bid}
    for v in broken.vehicles:
        stops = res.plans[v.id].stops
        check = check_route(v, broken.state_of(v), stops, books, sc.time_s, sc.params)
        assert {x.booking_id for x in check.violations} <= {bid}, check.violations
        rest = tuple(s for s in stops if s.booking_id != bid)
        assert check_route(v, broken.state_of(v), rest, others, sc.time_s, sc.params).feasible
    planned = {s.booking_id for p in res.plans.values() for s in p.stops}
    assert set(books) <= planned
