"""Feasibility: exact schedules of hand-built routes and one named violation per constraint."""

from __future__ import annotations

import numpy as np
import pytest

from dispatcher.errors import InvalidInput
from dispatcher.feasibility import StopTime, ViolationKind, check_route
from dispatcher.model import (
    Booking,
    Break,
    Passengers,
    PlannedStop,
    Promise,
    Request,
    StopKind,
    TimeRule,
    Vehicle,
    VehicleState,
)
from dispatcher.params import DispatchParams

P = DispatchParams(dwell_base_s=0, dwell_per_passenger_s=10, dwell_per_wheelchair_s=0)
PK, DR = StopKind.PICKUP, StopKind.DROPOFF


def booking(bid, o, d, window=(100, 700), latest=2000, ride=600, pax=None):
    """A booking from node o to d with the given promise."""
    req = Request(bid, o, d, pax or Passengers(1), TimeRule.PICKUP_AFTER, window[0])
    return Booking(req, Promise(window[0], window[1], latest, ride))


def vehicle(seats=2, chairs=1, end=10_000, breaks=()):
    """A vehicle with its depot at node 0."""
    return Vehicle("v", seats, chairs, 0, 0, end, tuple(breaks))


def route(*spec):
    """Stops from (booking, kind, node) triples."""
    return tuple(PlannedStop(b, k, n) for b, k, n in spec)


A = booking("A", 1, 3)
A4 = booking("A", 1, 4, window=(0, 1000))
B23 = booking("B", 2, 3, window=(500, 600))
ROUTE_A = route(("A", PK, 1), ("A", DR, 3))
ROUTE_AB = route(("A", PK, 1), ("B", PK, 2), ("B", DR, 3), ("A", DR, 4))
STATE = VehicleState("v", 0, 0)

SCHEDULES = [
    pytest.param(
        vehicle(), {"A": A}, ROUTE_A,
        40, [StopTime(100, 100, 110, 1, 0), StopTime(230, 230, 240, 0, 0)], 420, (),
        id="single-trip-waits-at-start",
    ),
    pytest.param(
        vehicle(), {"A": A4, "B": B23}, ROUTE_AB,
        370,
        [StopTime(430, 430, 440, 1, 0), StopTime(500, 500, 510, 2, 0),
         StopTime(570, 570, 580, 1, 0), StopTime(640, 640, 650, 0, 0)],
        890, (),
        id="waiting-placed-before-pickup-not-on-board",
    ),
    pytest.param(
        vehicle(breaks=[Break(0, 1000, 100)]), {"A": A}, ROUTE_A,
        0, [StopTime(160, 160, 170, 1, 0), StopTime(290, 290, 300, 0, 0)], 480, (0,),
        id="break-first-at-depot",
    ),
]


@pytest.mark.parametrize(("veh", "books", "stops", "start", "schedule", "end", "breaks"), SCHEDULES)
def test_exact_schedule(line_matrix, veh, books, stops, start, schedule, end, breaks):
    """A feasible route gets exactly the rider-friendly schedule (pickups late, drops early)."""
    res = check_route(veh, STATE, stops, books, line_matrix, P)
    assert res.feasible, res.violations
    assert res.start_s == start
    assert list(res.stops) == schedule
    assert res.end_s == end
    assert res.break_starts_s == breaks


def test_ride_time_and_cost(line_matrix):
    """Ride times, excess ride and the cost follow from the schedule and the weights."""
    params = DispatchParams(dwell_base_s=0, dwell_per_passenger_s=10, dwell_per_wheelchair_s=0,
                            weight_travel_time=1.0, weight_excess_ride=0.5)
    res = check_route(vehicle(), STATE, ROUTE_AB, {"A": A4, "B": B23}, line_matrix, params)
    assert res.ride_s == {"A": 200, "B": 60}
    assert res.excess_ride_s == 200 - 180
    assert res.travel_s == 60 + 60 + 60 + 60 + 240
    assert res.cost == pytest.approx(480 + 0.5 * 20)


GRACE = DispatchParams(dwell_base_s=0, dwell_per_passenger_s=10, dwell_per_wheelchair_s=0,
                       no_show_grace_s=100)


def test_no_show_grace_is_reserved_before_leaving_a_pickup(line_matrix):
    """With a 100 s no-show grace, boarding in B's window [500, 600] is planned from 590 on, so
    the vehicle leaves at 600 = window start + grace even if B does not come; A (on board)
    and the drop-offs move later accordingly."""
    res = check_route(vehicle(), STATE, ROUTE_AB, {"A": A4, "B": B23}, line_matrix, GRACE)
    assert res.feasible, res.violations
    assert list(res.stops) == [StopTime(520, 520, 530, 1, 0), StopTime(590, 590, 600, 2, 0),
                               StopTime(660, 660, 670, 1, 0), StopTime(730, 730, 740, 0, 0)]
    assert res.ride_s == {"A": 200, "B": 60}


def test_no_show_grace_can_break_a_later_window(line_matrix):
    """Waiting out A's grace (window opens at 100, grace 100) makes the vehicle leave node 1 at
    200 and reach B at 260, after B's window closed at 180: infeasible with the grace only."""
    books = {"A": booking("A", 1, 3, window=(100, 400)),
             "B": booking("B", 2, 3, window=(0, 180))}
    stops = route(("A", PK, 1), ("B", PK, 2), ("B", DR, 3), ("A", DR, 3))
    assert check_route(vehicle(seats=2), STATE, stops, books, line_matrix, P).feasible
    res = check_route(vehicle(seats=2), STATE, stops, books, line_matrix, GRACE)
    first = res.violations[0]
    assert (first.kind, first.stop_index, first.booking_id) == (ViolationKind.PICKUP_WINDOW, 1, "B")


def test_grace_longer_than_window_is_refused():
    """A grace longer than the pickup window would make the reservation impossible: refused."""
    with pytest.raises(InvalidInput):
        DispatchParams(pickup_window_s=120, no_show_grace_s=180)


VIOLATIONS = [
    pytest.param(vehicle(), {"A": booking("A", 1, 3, window=(0, 30))}, ROUTE_A, STATE,
                 ViolationKind.PICKUP_WINDOW, 0, "A", id="pickup_window"),
    pytest.param(vehicle(), {"A": booking("A", 1, 3, latest=200)}, ROUTE_A, STATE,
                 ViolationKind.DROPOFF_LATEST, 1, "A", id="dropoff_latest"),
    pytest.param(vehicle(), {"A": booking("A", 1, 4, window=(0, 1000), ride=150), "B": B23},
                 ROUTE_AB, STATE, ViolationKind.RIDE_TIME, 3, "A", id="ride_time"),
    pytest.param(vehicle(), {"A": booking("A", 1, 4, window=(0, 1000), pax=Passengers(2)),
                             "B": B23},
                 ROUTE_AB, STATE, ViolationKind.SEATS, 1, "B", id="seats"),
    pytest.param(vehicle(), {"A": booking("A", 1, 4, window=(0, 1000), pax=Passengers(0, 0, 1)),
                             "B": booking("B", 2, 3, window=(500, 600), pax=Passengers(0, 0, 1))},
                 ROUTE_AB, STATE, ViolationKind.WHEELCHAIR_SPACES, 1, "B", id="wheelchair_spaces"),
    pytest.param(vehicle(end=150), {"A": A}, ROUTE_A, STATE,
                 ViolationKind.SHIFT_END, 1, "A", id="shift_end"),
    pytest.param(vehicle(end=300), {"A": A}, ROUTE_A, STATE,
                 ViolationKind.DEPOT_RETURN, None, None, id="depot_return"),
    pytest.param(vehicle(breaks=[Break(0, 400, 300)]), {"A": booking("A", 1, 3, window=(100, 200))},
                 ROUTE_A, STATE, ViolationKind.BREAK, None, None, id="break"),
    pytest.param(vehicle(), {"A": A}, route(("A", DR, 3), ("A", PK, 1)), STATE,
                 ViolationKind.PRECEDENCE, 0, "A", id="precedence"),
    pytest.param(vehicle(), {"A": A, "B": B23}, ROUTE_A, VehicleState("v", 0, 0, ("B",)),
                 ViolationKind.ONBOARD_MISSING, None, "B", id="onboard_missing"),
    pytest.param(vehicle(), {"A": A}, route(("Z", PK, 1)), STATE,
                 ViolationKind.UNKNOWN_BOOKING, 0, "Z", id="unknown_booking"),
    pytest.param(vehicle(), {"A": A}, route(("A", PK, 1), ("A", PK, 1), ("A", DR, 3)), STATE,
                 ViolationKind.DUPLICATE_STOP, 1, "A", id="duplicate_stop"),
    pytest.param(vehicle(), {"A": A}, route(("A", PK, 2), ("A", DR, 3)), STATE,
                 ViolationKind.NODE_MISMATCH, 0, "A", id="node_mismatch"),
    pytest.param(vehicle(), {"A": A, "B": booking("B", 5, 2, latest=9000)},
                 route(("A", PK, 1), ("A", DR, 3), ("B", DR, 2)),
                 VehicleState("v", 5, 0, ("B",), (-300,)),
                 ViolationKind.RIDE_TIME, 2, "B", id="ride_time_onboard_rider"),
]


@pytest.mark.parametrize(("veh", "books", "stops", "state", "kind", "index", "bid"), VIOLATIONS)
def test_named_violation(line_matrix, veh, books, stops, state, kind, index, bid):
    """Each broken constraint is reported by name, stop index and booking."""
    res = check_route(veh, state, stops, books, line_matrix, P)
    assert not res.feasible
    first = res.violations[0]
    assert (first.kind, first.stop_index, first.booking_id) == (kind, index, bid)


def test_onboard_rider_dropped_first(line_matrix):
    """A vehicle with a rider on board leaves at once (no waiting with the rider seated)."""
    books = {"B": booking("B", 5, 2, latest=9000, ride=900)}
    state = VehicleState("v", 5, 1000, ("B",), (990,))
    res = check_route(vehicle(), state, route(("B", DR, 2)), books, line_matrix, P)
    assert res.feasible
    assert res.start_s == 1000
    assert res.stops[0] == StopTime(1180, 1180, 1190, 0, 0)
    assert res.ride_s == {"B": 190}


def test_empty_route_returns_to_depot(line_matrix):
    """An idle vehicle away from its depot still has to get back before its shift ends."""
    ok = check_route(vehicle(end=1000), VehicleState("v", 4, 700), (), {}, line_matrix, P)
    assert ok.feasible and ok.end_s == 940
    late = check_route(vehicle(end=1000), VehicleState("v", 4, 800), (), {}, line_matrix, P)
    assert late.kinds == (ViolationKind.DEPOT_RETURN,)


def test_matrix_is_not_symmetric_assumed():
    """Travel times are read in the driving direction (asymmetric matrices are respected)."""
    t = np.array([[0, 10, 10], [500, 0, 10], [10, 10, 0]])
    books = {"A": booking("A", 1, 2, window=(0, 100), latest=200)}
    res = check_route(vehicle(), STATE, route(("A", PK, 1), ("A", DR, 2)), books, t, P)
    assert res.feasible
    assert res.travel_s == 10 + 10 + 10
