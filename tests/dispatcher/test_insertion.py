"""Instant insertion: offers, alternatives, locked prefixes and kept promises."""

from __future__ import annotations

import random

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.synthetic import random_request, scenario, with_progress
from dispatcher.feasibility import check_route
from dispatcher.insertion import asked_window_start, best_insertions, offers, promise_for
from dispatcher.model import (
    Booking,
    Fleet,
    Passengers,
    Plan,
    PlannedStop,
    Request,
    StopKind,
    TimeRule,
    Vehicle,
)
from dispatcher.params import DispatchParams

P = DispatchParams(dwell_base_s=0, dwell_per_passenger_s=10, dwell_per_wheelchair_s=0,
                   ride_offset_s=300, ride_factor=1.5)


def one_vehicle(line_matrix, end=100_000, start=0):
    return Fleet((Vehicle("v", 3, 1, 0, start, end),), {}, {}, {})


def test_offer_into_empty_vehicle(line_matrix):
    """An idle vehicle gets the asked window, an exact schedule and its added driving time."""
    req = Request("r", 2, 5, Passengers(1), TimeRule.PICKUP_AFTER, 1000)
    found = offers(one_vehicle(line_matrix), req, line_matrix, P, now_s=0)
    assert len(found) == 1
    off = found[0]
    assert (off.promise.pickup_earliest_s, off.promise.pickup_latest_s) == (1000, 1600)
    assert off.shift_s == 0
    assert off.expected_pickup_s == 1000
    assert off.expected_dropoff_s == 1000 + 10 + 180
    assert off.added_travel_s == 120 + 180 + 300
    assert [s.kind for s in off.plan.stops] == [StopKind.PICKUP, StopKind.DROPOFF]


def test_alternatives_when_asked_time_impossible(line_matrix):
    """If the shift starts after the asked time, the nearest later window is proposed instead."""
    fleet = one_vehicle(line_matrix, start=2000)
    req = Request("r", 2, 5, Passengers(1), TimeRule.PICKUP_AFTER, 1000)
    found = offers(fleet, req, line_matrix, P, now_s=0)
    assert [f.shift_s for f in found] == [600]
    assert found[0].promise.pickup_earliest_s == 1600
    assert found[0].expected_pickup_s == 2000 + 120


def test_alternatives_on_both_sides_nearest_first(line_matrix):
    """A busy slot yields the nearest feasible windows before and after it, nearest first."""
    veh = Vehicle("v", 1, 0, 0, 0, 100_000)
    req_a = Request("a", 1, 9, Passengers(1), TimeRule.PICKUP_AFTER, 3000)
    book_a = Booking(req_a, promise_for(req_a, 3000, line_matrix, P))
    stops = (PlannedStop("a", StopKind.PICKUP, 1), PlannedStop("a", StopKind.DROPOFF, 9))
    fleet = Fleet((veh,), {}, {"v": Plan("v", stops)}, {"a": book_a})
    params = DispatchParams(dwell_base_s=0, dwell_per_passenger_s=10, dwell_per_wheelchair_s=0,
                            ride_offset_s=0, ride_factor=1.0, alternatives_per_side=2)
    req = Request("r", 1, 9, Passengers(1), TimeRule.PICKUP_AFTER, 3000)
    found = offers(fleet, req, line_matrix, params, now_s=0)
    shifts = [f.shift_s for f in found]
    assert 0 not in shifts
    assert any(s < 0 for s in shifts) and any(s > 0 for s in shifts)
    assert shifts == sorted(shifts, key=lambda s: (abs(s), s))
    assert sum(s < 0 for s in shifts) == 2 and sum(s > 0 for s in shifts) == 2


def test_no_offer_when_party_too_large(line_matrix):
    """A party needing more wheelchair spaces than any vehicle has gets nothing."""
    req = Request("r", 2, 5, Passengers(0, 0, 2), TimeRule.PICKUP_AFTER, 1000)
    assert offers(one_vehicle(line_matrix), req, line_matrix, P, now_s=0) == []


def test_dropoff_before_arrives_in_time(line_matrix):
    """A drop-off-before request is promised a latest drop-off equal to the asked time."""
    req = Request("r", 1, 6, Passengers(2), TimeRule.DROPOFF_BEFORE, 5000)
    off = offers(one_vehicle(line_matrix), req, line_matrix, P, now_s=0)[0]
    assert off.promise.dropoff_latest_s == 5000
    assert off.expected_dropoff_s <= 5000


def test_locked_prefix_stays_first(line_matrix):
    """Insertion never puts a stop before the committed prefix of a plan."""
    req_a = Request("a", 4, 1, Passengers(1), TimeRule.PICKUP_AFTER, 0)
    book_a = Booking(req_a, promise_for(req_a, 0, line_matrix, P))
    stops = (PlannedStop("a", StopKind.PICKUP, 4), PlannedStop("a", StopKind.DROPOFF, 1))
    veh = Vehicle("v", 3, 0, 0, 0, 100_000)
    fleet = Fleet((veh,), {}, {"v": Plan("v", stops, 1)}, {"a": book_a})
    req = Request("r", 1, 2, Passengers(1), TimeRule.PICKUP_AFTER, 0)
    found = offers(fleet, req, line_matrix, P, now_s=0)
    assert found and found[0].plan.stops[0] == stops[0] and found[0].plan.locked == 1
    unlocked = offers(Fleet((veh,), {}, {"v": Plan("v", stops, 0)}, {"a": book_a}), req,
                      line_matrix, P, now_s=0)
    assert unlocked[0].plan.stops[0].booking_id == "r"


def _assert_offer_keeps_everything(fleet: Fleet, req, off, time_s, params):
    """The offered plan is feasible with every promise, keeps locks and on-board riders."""
    veh = next(v for v in fleet.vehicles if v.id == off.vehicle_id)
    books = {**fleet.bookings, req.id: off.booking(req)}
    old = fleet.plan_of(veh)
    res = check_route(veh, fleet.state_of(veh), off.plan.stops, books, time_s, params)
    assert res.feasible, res.violations
    assert off.plan.stops[: old.locked] == old.stops[: old.locked]
    assert [s for s in off.plan.stops if s.booking_id != req.id] == list(old.stops)
    p0, p1 = off.promise.pickup_earliest_s, off.promise.pickup_latest_s
    assert p0 <= off.expected_pickup_s <= p1
    assert off.expected_dropoff_s <= off.promise.dropoff_latest_s


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), progress=st.booleans(), rule=st.sampled_from(list(TimeRule)),
       grace=st.sampled_from([0, 180]))
def test_property_offers_feasible_and_promises_kept(seed, progress, rule, grace):
    """Any offered plan passes feasibility with all earlier promises, locks and riders kept
    (with and without a no-show grace reserved at pickups)."""
    sc = scenario(4, 3, seed=seed, nodes=60, params=DispatchParams(no_show_grace_s=grace))
    if progress:
        sc = with_progress(sc)
    rng = random.Random(seed)
    req = random_request(rng, "new", 60, sc.now_s)
    req = Request(req.id, req.origin, req.destination, req.passengers, rule, req.time_s)
    found = offers(sc.fleet, req, sc.time_s, sc.params, sc.now_s, sc.dist_m)
    costs = [f.added_cost for f in found if f.shift_s == found[0].shift_s]
    assert costs == sorted(costs)
    for off in found:
        _assert_offer_keeps_everything(sc.fleet, req, off, sc.time_s, sc.params)


def test_best_insertion_is_cheapest_feasible_position():
    """best_insertions returns the position of least added cost among all feasible ones."""
    sc = scenario(1, 2, seed=3, nodes=50)
    veh = sc.fleet.vehicles[0]
    plan = sc.fleet.plan_of(veh)
    state = sc.fleet.state_of(veh)
    rng = random.Random(1)
    tried = 0
    for i in range(40):
        req = random_request(rng, f"x{i}", 50, sc.now_s)
        start = asked_window_start(req, sc.time_s, sc.params)
        book = Booking(req, promise_for(req, start, sc.time_s, sc.params))
        books = {**sc.fleet.bookings, req.id: book}
        brute = []
        m = len(plan.stops)
        for p in range(m + 1):
            for q in range(p, m + 1):
                stops = (*plan.stops[:p], PlannedStop(req.id, StopKind.PICKUP, req.origin),
                         *plan.stops[p:q], PlannedStop(req.id, StopKind.DROPOFF, req.destination),
                         *plan.stops[q:])
                res = check_route(veh, state, stops, books, sc.time_s, sc.params)
                if res.feasible:
                    brute.append(res.travel_s)
        got = best_insertions(veh, state, plan.stops, 0, books, book, sc.time_s, sc.params)
        assert bool(got) == bool(brute)
        if brute:
            tried += 1
            assert got[0].check.travel_s == min(brute)
    assert tried > 5


def test_offers_fast_enough_smoke():
    """Offers at 20 vehicles × 5 requests stay well under 100 ms each (loose CI guard)."""
    import time

    sc = scenario(20, 5, seed=2)
    rng = random.Random(3)
    worst = 0.0
    for i in range(10):
        req = random_request(rng, f"n{i}", 400, sc.now_s)
        t = time.perf_counter()
        offers(sc.fleet, req, sc.time_s, sc.params, sc.now_s, sc.dist_m)
        worst = max(worst, time.perf_counter() - t)
    assert worst < 0.1
    assert np.isfinite(worst)
