"""Route elimination (dispatcher.fleetmin): fewer vehicles, every plan feasible, only when
vehicles cost something."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from bench.synthetic import scenario, with_progress
from dispatcher import fleetmin
from dispatcher.feasibility import check_route
from dispatcher.lns import Problem, Search
from dispatcher.model import (
    Booking,
    Fleet,
    Passengers,
    Plan,
    PlannedStop,
    Promise,
    Request,
    StopKind,
    TimeRule,
    Vehicle,
    VehicleState,
)
from dispatcher.optimize import _problem, reoptimize
from dispatcher.params import DispatchParams

T = 1_767_254_400
PARAMS = DispatchParams(weight_vehicle=100_000.0)


def _booking(bid: str, o: int, d: int, early: int, late: int, drop_late: int) -> Booking:
    req = Request(bid, o, d, Passengers(1), TimeRule.PICKUP_AFTER, early)
    return Booking(req, Promise(early, late, drop_late, 7200))


def _trip(bid: str, o: int, d: int) -> tuple[PlannedStop, PlannedStop]:
    return PlannedStop(bid, StopKind.PICKUP, o), PlannedStop(bid, StopKind.DROPOFF, d)


def _line_fleet(n_vehicles: int, seats: int, books: dict[str, Booking],
                plans: dict[str, tuple[PlannedStop, ...]]) -> Fleet:
    vehs = tuple(Vehicle(f"v{k}", seats, 0, 0, T, T + 8 * 3600) for k in range(n_vehicles))
    return Fleet(vehs, {v.id: VehicleState(v.id, 0, T) for v in vehs},
                 {vid: Plan(vid, st) for vid, st in plans.items()}, books)


def _start(fleet: Fleet, time_s: np.ndarray, params: DispatchParams, seed: int = 0):
    pb = _problem(fleet, (), time_s, None, params)
    search = Search(pb, seed)
    routes = {v.id: tuple(fleet.plan_of(v).stops) for v in fleet.vehicles}
    return pb, search, search.evaluate(routes, set(), full=True)


def _assert_feasible(pb: Problem, routes: dict[str, tuple[PlannedStop, ...]], time_s) -> None:
    served = set()
    for v in pb.vehicles:
        res = check_route(v, pb.states[v.id], routes[v.id], pb.bookings, time_s, pb.params)
        assert res.feasible, res.violations
        served |= {s.booking_id for s in routes[v.id]}
    assert served | {b for st in pb.states.values() for b in st.onboard} >= set(pb.bookings)


def test_spread_bookings_are_gathered_on_one_vehicle(line_matrix):
    """Three short trips, one per vehicle, fit one after the other on a single vehicle."""
    books = {
        "a": _booking("a", 1, 2, T + 600, T + 1200, T + 2400),
        "b": _booking("b", 3, 4, T + 1800, T + 2400, T + 3600),
        "c": _booking("c", 5, 6, T + 3000, T + 3600, T + 4800),
    }
    fleet = _line_fleet(3, 4, books, {"v0": _trip("a", 1, 2), "v1": _trip("b", 3, 4),
                                      "v2": _trip("c", 5, 6)})
    pb, search, start = _start(fleet, line_matrix, PARAMS)
    assert fleetmin.used_routes(start) == 3
    best, its = fleetmin.eliminate(search, start, deadline=float("inf"), iteration_limit=50)
    assert fleetmin.used_routes(best) == 1
    assert its <= 50
    _assert_feasible(pb, best.routes, line_matrix)
    assert best.cost < start.cost


def test_ejection_insertion_swaps_a_blocking_booking(line_matrix):
    """With one seat, a banked trip overlapping the route's only trip goes in by ejecting it."""
    books = {
        "a": _booking("a", 1, 3, T + 600, T + 700, T + 1500),
        "b": _booking("b", 2, 4, T + 660, T + 760, T + 1500),
    }
    fleet = _line_fleet(1, 1, books, {"v0": _trip("a", 1, 3)})
    pb, _, _ = _start(fleet, line_matrix, PARAMS)
    sub = Search(replace(pb, params=replace(PARAMS, weight_vehicle=0.0)), 0)
    sol = sub.evaluate({"v0": _trip("a", 1, 3)}, {"b"})
    assert sub.best_into(sol, "v0", "b") is None  # no room without ejecting "a"
    weight = {"a": 0.0}
    assert fleetmin._eject_insert(sub, sol, "b", weight)
    assert sol.unserved == {"a"}
    assert {s.booking_id for s in sol.routes["v0"]} == {"b"}
    assert weight["b"] == 1.0
    res = check_route(fleet.vehicles[0], pb.states["v0"], sol.routes["v0"], books, line_matrix,
                      PARAMS)
    assert res.feasible


def test_ejection_insertion_fails_when_nothing_can_make_room(line_matrix):
    """A banked trip whose window has passed cannot go in, whatever is ejected."""
    books = {
        "a": _booking("a", 1, 3, T + 600, T + 700, T + 1500),
        "late": _booking("late", 9, 8, T, T + 60, T + 200),
    }
    fleet = _line_fleet(1, 1, books, {"v0": _trip("a", 1, 3)})
    pb, _, _ = _start(fleet, line_matrix, PARAMS)
    sub = Search(replace(pb, params=replace(PARAMS, weight_vehicle=0.0)), 0)
    sol = sub.evaluate({"v0": _trip("a", 1, 3)}, {"late"})
    before = dict(sol.routes)
    assert not fleetmin._eject_insert(sub, sol, "late", {})
    assert sol.routes == before and sol.unserved == {"late"}


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("progress", [False, True])
def test_eliminate_on_random_fleets_keeps_every_plan_feasible(seed, progress):
    """Synthetic fleets: fewer vehicles, every route passes check_route, every booking planned;
    with riders on board and locked stops (every vehicle here) no route can be emptied, and
    locked prefixes stay."""
    sc = scenario(5, 2, seed=seed, nodes=60, params=DispatchParams(weight_vehicle=1e6))
    if progress:
        sc = with_progress(sc)
    pb, search, start = _start(sc.fleet, sc.time_s, sc.params, seed)
    best, _ = fleetmin.eliminate(search, start, deadline=float("inf"), iteration_limit=80)
    if progress:
        assert fleetmin.used_routes(best) == fleetmin.used_routes(start)
    else:
        assert fleetmin.used_routes(best) < fleetmin.used_routes(start)
    _assert_feasible(pb, best.routes, sc.time_s)
    for v in sc.fleet.vehicles:
        plan = sc.fleet.plan_of(v)
        assert best.routes[v.id][: plan.locked] == plan.stops[: plan.locked]
        assert set(sc.fleet.state_of(v).onboard) <= {s.booking_id for s in best.routes[v.id]}


def test_reoptimize_uses_fewer_vehicles_with_a_vehicle_cost():
    """reoptimize with a vehicle cost empties vehicles (deterministically for a seed)."""
    sc = scenario(5, 2, seed=7, nodes=60, params=DispatchParams(weight_vehicle=1e6))
    runs = [reoptimize(sc.fleet, sc.time_s, sc.params, dist_m=sc.dist_m, seed=3,
                       iteration_limit=120, use_ortools=False) for _ in range(2)]
    assert runs[0].plans == runs[1].plans
    used = sum(1 for p in runs[0].plans.values() if p.stops)
    assert used < sum(1 for v in sc.fleet.vehicles if sc.fleet.plan_of(v).stops)
    for v in sc.fleet.vehicles:
        res = check_route(v, sc.fleet.state_of(v), runs[0].plans[v.id].stops, sc.fleet.bookings,
                          sc.time_s, sc.params, sc.dist_m)
        assert res.feasible, res.violations


def test_no_elimination_without_a_vehicle_cost(monkeypatch):
    """weight_vehicle = 0 (the service, the DARP benchmark): the phase never runs."""
    def boom(*args, **kwargs):
        raise AssertionError("route elimination ran with weight_vehicle = 0")

    monkeypatch.setattr(fleetmin, "eliminate", boom)
    sc = scenario(3, 2, seed=4, nodes=40)
    res = reoptimize(sc.fleet, sc.time_s, sc.params, dist_m=sc.dist_m, seed=1,
                     iteration_limit=10, use_ortools=False)
    assert res.plans
