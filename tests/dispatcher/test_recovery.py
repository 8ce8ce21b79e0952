"""Recovery from lateness: loosen only what is late, hand over what others can keep on time,
place the rest least late; never give up on the fleet."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.synthetic import scenario, with_progress
from dispatcher import recovery
from dispatcher.feasibility import check_route
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
from dispatcher.params import DispatchParams

T = 1_800_000_000
TIME = np.array([[abs(i - j) * 600 for j in range(5)] for i in range(5)], dtype=np.int64)
P = DispatchParams(pickup_window_s=600, dwell_base_s=30, dwell_per_passenger_s=0)


def _booking(bid: str, o: int, d: int, earliest: int, dropoff_latest: int) -> Booking:
    req = Request(bid, o, d, Passengers(1), TimeRule.PICKUP_AFTER, earliest)
    return Booking(req, Promise(earliest, earliest + 600, dropoff_latest, 3600))


def _stops(*bookings: Booking) -> tuple[PlannedStop, ...]:
    out: list[PlannedStop] = []
    for b in bookings:
        out += [PlannedStop(b.id, StopKind.PICKUP, b.request.origin),
                PlannedStop(b.id, StopKind.DROPOFF, b.request.destination)]
    return tuple(out)


def test_relax_route_loosens_exactly_the_lateness_and_moves_nothing():
    """A vehicle free 300 s after a's window closed: a's pickup and drop-off are loosened by
    exactly their lateness; b, later and still reachable, is untouched."""
    v = Vehicle("v", 4, 0, 0, T - 3600, T + 8 * 3600)
    a = _booking("a", 1, 2, T, T + 1300)
    b = _booking("b", 3, 4, T + 3600, T + 7200)
    books = {"a": a, "b": b}
    state = VehicleState("v", 1, T + 900)
    stops = _stops(a, b)
    assert not check_route(v, state, stops, books, TIME, P).feasible
    got = recovery.relax_route(v, state, stops, books, TIME, P)
    assert got is not None and set(got.bookings) == {"a"}
    pr = got.bookings["a"].promise
    assert pr.pickup_latest_s == T + 900 and pr.dropoff_latest_s == T + 900 + 30 + 600
    assert check_route(got.vehicle, state, stops, {**books, **got.bookings}, TIME, P).feasible
    assert recovery.relax_route(v, VehicleState("v", 1, T), stops, books, TIME, P) is None


def test_a_vehicle_past_its_shift_is_loosened_not_failed():
    """A shift that ends while the vehicle still has a rider: the planning vehicle's shift runs
    over, the route stays plannable."""
    v = Vehicle("v", 4, 0, 0, T - 3600, T + 600)
    a = _booking("a", 1, 2, T, T + 3600)
    state = VehicleState("v", 2, T + 900, ("a",), (T,))
    stops = (PlannedStop("a", StopKind.DROPOFF, 2),)
    got = recovery.relax_route(v, state, stops, {"a": a}, TIME, P)
    assert got is not None and got.vehicle.shift_end_s >= T + 900 + 1200 and got.overrun_s > 0
    assert check_route(got.vehicle, state, stops, {"a": a, **got.bookings}, TIME, P).feasible


def test_repair_hands_over_on_time_and_places_the_rest_least_late():
    """Vehicle 1 is an hour late with a locked pickup (a) and two more bookings: b can be kept
    by vehicle 2 and is handed over; a stays (locked) and is loosened; c cannot be kept by
    anyone and goes where it is least late."""
    v1 = Vehicle("v1", 4, 0, 0, T - 3600, T + 8 * 3600)
    v2 = Vehicle("v2", 4, 0, 3, T - 3600, T + 8 * 3600)
    a = _booking("a", 1, 2, T, T + 1300)
    b = _booking("b", 3, 4, T + 1200, T + 3600)
    c = _booking("c", 0, 1, T - 1200, T + 600)
    books = {"a": a, "b": b, "c": c}
    fleet = Fleet((v1, v2), {"v1": VehicleState("v1", 1, T + 3600),
                             "v2": VehicleState("v2", 3, T)},
                  {"v1": Plan("v1", (*_stops(a), *_stops(b), *_stops(c)), 1),
                   "v2": Plan("v2", ())}, books)
    rep = recovery.repair(fleet, TIME, P)
    assert rep.moved[0] == "b" and "b" in {s.booking_id for s in rep.routes["v2"]}
    assert set(rep.moved) <= {"b", "c"}  # c changes vehicle only if it is less late there
    assert rep.routes["v1"][0] == PlannedStop("a", StopKind.PICKUP, 1)
    assert set(rep.late) == {"c"} and rep.late["c"] > 0
    for v in rep.fleet.vehicles:
        assert check_route(v, rep.fleet.state_of(v), rep.routes[v.id], rep.fleet.bookings, TIME,
                           P).feasible
    assert rep.fleet.bookings["b"] == b  # b keeps its promise as it is


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), late=st.integers(600, 5400), progress=st.booleans())
def test_property_repair_never_gives_up_and_keeps_every_other_promise(seed, late, progress):
    """Random fleets with one vehicle made late: every route of the repair is feasible in its
    planning fleet, every booking is planned once, on-board riders and locked prefixes stay,
    and every booking neither fixed to the late vehicle nor placed late keeps its promise."""
    params = DispatchParams(no_show_grace_s=120)
    sc = scenario(3, 4, seed=seed, nodes=40, params=params)
    if progress:
        sc = with_progress(sc)
    fleet = sc.fleet
    v0 = fleet.vehicles[0]
    st0 = fleet.state_of(v0)
    states = {**{v.id: fleet.state_of(v) for v in fleet.vehicles},
              v0.id: replace(st0, time_s=st0.time_s + late)}
    fleet = replace(fleet, states=states)
    rep = recovery.repair(fleet, sc.time_s, params, sc.dist_m)
    # the repair never makes a kept promise late, nor a late one later
    before = recovery.relax_route(v0, fleet.state_of(v0), fleet.plan_of(v0).stops,
                                  fleet.bookings, sc.time_s, params)
    late_before = recovery.late_by(before.late) if before is not None else {}
    assert set(rep.late) <= set(late_before)
    assert all(rep.late[b] <= late_before[b] for b in rep.late)
    seen: list[str] = []
    for v in rep.fleet.vehicles:
        state = rep.fleet.state_of(v)
        stops = rep.routes[v.id]
        assert check_route(v, state, stops, rep.fleet.bookings, sc.time_s, params).feasible
        plan = fleet.plan_of(v)
        assert stops[: plan.locked] == plan.stops[: plan.locked]
        assert set(state.onboard) <= {s.booking_id for s in stops}
        seen += [s.booking_id for s in stops if s.kind is StopKind.PICKUP]
    onboard = {b for v in fleet.vehicles for b in fleet.state_of(v).onboard}
    assert sorted(seen) == sorted(set(fleet.bookings) - onboard)
    fixed = set(st0.onboard) | {s.booking_id for s in fleet.plan_of(v0).stops[: fleet.plan_of(v0).locked]}
    for bid, booking in rep.fleet.bookings.items():
        if bid not in fixed and bid not in rep.late:
            assert booking == fleet.bookings[bid], bid
