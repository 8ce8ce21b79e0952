"""Neighbourhoods of a large fleet (dispatcher/neighbourhood.py) and re-optimising one of them."""

from __future__ import annotations

from collections import Counter

import numpy as np

from bench.synthetic import scenario
from dispatcher.feasibility import check_route
from dispatcher.model import Fleet, Plan, StopKind
from dispatcher.neighbourhood import nearest_routes, neighbourhood, pick_seed, sub_fleet
from dispatcher.optimize import ReoptStatus, reoptimize


def test_small_fleet_is_its_own_neighbourhood():
    sc = scenario(5, 2, seed=1, nodes=60)
    assert neighbourhood(sc.fleet, sc.time_s, 10, draw=3) is sc.fleet


def test_nearest_routes_are_the_nearest_in_space_and_time():
    """On a line, a vehicle's neighbours are the vehicles parked nearest to it at the same time."""
    sc = scenario(12, 0, seed=2, nodes=30)
    pos = np.arange(30)
    line = (60 * np.abs(pos[:, None] - pos[None, :])).astype(np.int64)
    vehicles = tuple(v.__class__(v.id, v.seats, v.wheelchair_spaces, 2 * k, v.shift_start_s,
                                 v.shift_end_s) for k, v in enumerate(sc.fleet.vehicles))
    fleet = Fleet(vehicles)
    got = nearest_routes(fleet, vehicles[5].id, line, 3)
    assert got == [vehicles[4].id, vehicles[5].id, vehicles[6].id]
    assert nearest_routes(fleet, vehicles[0].id, line, 3) == [v.id for v in vehicles[:3]]


def test_sub_fleet_holds_only_its_vehicles_bookings():
    sc = scenario(30, 3, seed=3, nodes=200)
    keys = [v.id for v in sc.fleet.vehicles[:4]]
    sub = sub_fleet(sc.fleet, keys)
    assert [v.id for v in sub.vehicles] == keys
    mine = {st.booking_id for k in keys for st in sc.fleet.plans[k].stops}
    assert set(sub.bookings) == mine and mine


def test_seed_is_a_late_vehicle_first_else_a_busy_one():
    sc = scenario(8, 1, seed=4, nodes=60)
    assert pick_seed(sc.fleet, ["v3"], draw=1) == "v3"
    busy = {v.id for v in sc.fleet.vehicles if sc.fleet.plan_of(v).stops}
    seeds = {pick_seed(sc.fleet, [], draw=d) for d in range(40)}
    assert seeds <= busy and len(seeds) > 1
    assert pick_seed(Fleet(sc.fleet.vehicles), [], draw=1) is None


def test_reoptimising_a_neighbourhood_keeps_every_promise_of_the_fleet():
    """A neighbourhood of a 60-vehicle fleet re-optimised and put back: every booking of the day
    is still planned exactly once, on a feasible route, and no plan outside moved."""
    sc = scenario(60, 3, seed=5, nodes=300)
    fleet = sc.fleet
    part = neighbourhood(fleet, sc.time_s, 12, draw=7)
    assert len(part.vehicles) == 12
    res = reoptimize(part, sc.time_s, sc.params, dist_m=sc.dist_m, iteration_limit=300,
                     use_ortools=False, seed=1)
    assert res.status in (ReoptStatus.IMPROVED, ReoptStatus.NOT_BETTER)
    assert set(res.plans) == {v.id for v in part.vehicles}
    plans: dict[str, Plan] = {**fleet.plans, **res.plans}
    count = Counter(st.booking_id for p in plans.values() for st in p.stops
                    if st.kind is StopKind.PICKUP)
    assert set(count) == set(fleet.bookings) and set(count.values()) == {1}
    for v in fleet.vehicles:
        check = check_route(v, fleet.state_of(v), plans[v.id].stops, fleet.bookings, sc.time_s,
                            sc.params)
        assert check.feasible, (v.id, check.violations)
    outside = [v.id for v in fleet.vehicles if v.id not in res.plans]
    assert all(plans[k] == fleet.plans[k] for k in outside)
