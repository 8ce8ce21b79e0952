"""Feasibility against the proven-optimal Cordeau route sets and the independent float checker."""

from __future__ import annotations

import dataclasses
import json
import random

import pytest

from bench.darpcheck import _schedule, read_instance
from bench.darpmodel import booking_id, to_model
from dispatcher.feasibility import check_route
from dispatcher.model import PlannedStop, StopKind, VehicleState

NAMES = ["a2-16", "a3-30", "a5-50", "a8-96", "b2-24", "b6-60"]



def _load(shared, name):
    folder = "a" if name.startswith("a") else "b"
    inst = read_instance(shared / "bench/darp/instances" / folder / f"{name}.txt")
    ref = json.loads((shared / "bench/darp/reference_solutions" / f"{name}.json").read_text())
    return inst, ref, to_model(inst)


def _check(inst, model, k, nodes):
    n = inst.requests
    stops = tuple(
        PlannedStop(booking_id(v if v <= n else v - n),
                    StopKind.PICKUP if v <= n else StopKind.DROPOFF, v)
        for v in nodes
    )
    veh = model.vehicles[k]
    state = VehicleState(veh.id, veh.depot, veh.shift_start_s)
    return check_route(veh, state, stops, model.bookings, model.time_s, model.params, model.dist_m)


@pytest.mark.parametrize("name", NAMES)
def test_reference_solutions_are_feasible(shared_data, name):
    """Every route of a proven-optimal solution passes feasibility with integer-scaled times."""
    inst, ref, model = _load(shared_data, name)
    for k, route in enumerate(ref["routes"]):
        res = _check(inst, model, k, route)
        assert res.feasible, (k, res.violations)


@pytest.mark.parametrize("name", ["a2-16", "a4-24", "b2-16"])
def test_agrees_with_float_checker_on_mutations(shared_data, name):
    """On mutated reference routes, feasibility.py agrees with the float Bellman-Ford checker."""
    inst, ref, model = _load(shared_data, name)
    rng = random.Random(7)
    n = inst.requests
    disagreements = 0
    outcomes = set()
    for _ in range(150):
        k = rng.randrange(len(ref["routes"]))
        route = list(ref["routes"][k])
        i = rng.randrange(len(route) - 1)
        j = rng.randrange(i + 1, min(len(route), i + 4))
        route[i], route[j] = route[j], route[i]
        ours = _check(inst, model, k, route).feasible
        ordered = all(
            v > n or route.index(v + n) > route.index(v) for v in route
        )
        loads = [sum(inst.load[v] for v in route[: t + 1]) for t in range(len(route))]
        theirs = (ordered and max(loads) <= inst.capacity
                  and _schedule(inst, [0, *route, 0]) is not None)
        outcomes.add(theirs)
        disagreements += ours != theirs
    assert disagreements == 0
    assert outcomes == {True, False}


def test_search_recovers_when_construction_leaves_bookings_out(shared_data):
    """On a4-48 the first insertion pass cannot place every request; the search still serves
    all of them (left-out confirmed bookings are penalised, not fatal), feasibly."""
    from dispatcher.model import Fleet
    from dispatcher.optimize import ReoptStatus, reoptimize

    inst, _, model = _load(shared_data, "a4-48")
    states = {v.id: VehicleState(v.id, v.depot, v.shift_start_s) for v in model.vehicles}
    fleet = Fleet(model.vehicles, states, {}, model.bookings)
    kw = {"dist_m": model.dist_m, "time_limit_s": 60, "use_ortools": False}
    first = reoptimize(fleet, model.time_s, model.params, iteration_limit=0, **kw)
    assert first.status is ReoptStatus.NO_FEASIBLE_SOLUTION
    res = reoptimize(fleet, model.time_s, model.params, iteration_limit=60, **kw)
    assert res.status is ReoptStatus.IMPROVED
    for k, v in enumerate(model.vehicles):
        nodes = [s.node for s in res.plans[v.id].stops]
        assert _check(inst, model, k, nodes).feasible
    assert sum(len(p.stops) for p in res.plans.values()) == 2 * inst.requests


@pytest.mark.parametrize(("name", "grace"), [("a3-30", 0), ("a8-96", 0), ("a3-30", 120)])
def test_incremental_insertion_timing_agrees_with_full_check(shared_data, name, grace):
    """The incremental timing test of insertion (started from the route's least times) accepts
    exactly the positions whose full route check is feasible, on optimal routes with one
    booking taken out and put back at every pair of positions (also with a no-show grace)."""
    from dispatcher.route_index import index_route, times_feasible

    inst, ref, model = _load(shared_data, name)
    if grace:
        model = dataclasses.replace(model, params=dataclasses.replace(model.params,
                                                                      no_show_grace_s=grace))
    n = inst.requests
    rng = random.Random(7)
    tried = feasible = 0
    for k, route in enumerate(ref["routes"]):
        nodes = [v for v in route if v != 0]
        veh = model.vehicles[k]
        state = VehicleState(veh.id, veh.depot, veh.shift_start_s)
        for out in rng.sample(sorted({v for v in nodes if v <= n}), min(3, len(nodes) // 2)):
            rest = [v for v in nodes if v not in (out, out + n)]
            stops = tuple(PlannedStop(booking_id(v if v <= n else v - n),
                                      StopKind.PICKUP if v <= n else StopKind.DROPOFF, v)
                          for v in rest)
            ri = index_route(veh, state, stops, 0, model.bookings, model.time_s, model.params)
            if ri is None:  # the optimal route without the grace may not keep it
                assert grace
                continue
            new = model.bookings[booking_id(out)]
            dwell = model.params.dwell_s(new.request.passengers)
            for i in range(len(stops) + 1):
                for j in range(i, len(stops) + 1):
                    full = (*stops[:i], PlannedStop(new.request.id, StopKind.PICKUP, out),
                            *stops[i:j], PlannedStop(new.request.id, StopKind.DROPOFF, out + n),
                            *stops[j:])
                    want = not [v for v in check_route(veh, state, full, model.bookings,
                                                       model.time_s, model.params).violations
                                if v.kind.value not in ("seats", "wheelchair_spaces")]
                    got = times_feasible(ri, new, dwell, i, j, model.time_s, model.params)
                    assert got == want, (k, out, i, j)
                    tried += 1
                    feasible += want
    assert feasible > 0 and tried > feasible
