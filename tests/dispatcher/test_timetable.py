"""The driving timetable under two clocks of travel: planning times for promises, expected
times for the driver and riders; always timed, late or not; leave-by and slack."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.synthetic import scenario, with_progress
from dispatcher.feasibility import PromisePart, check_route
from dispatcher.model import (
    Booking,
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
from dispatcher.timetable import timetable

T = 1_800_000_000
#: A line of places 0..3, 600 s apart (routing times).
TIME = np.array([[abs(i - j) * 600 for j in range(4)] for i in range(4)], dtype=np.int64)
P = DispatchParams(pickup_window_s=600, dwell_base_s=30, dwell_per_passenger_s=0,
                   travel_factor=1.15, travel_margin_s=30)
PLAN = P.planning_times(TIME)


def _booking(bid: str, o: int, d: int, earliest: int, dropoff_latest: int,
             max_ride: int = 3600) -> Booking:
    req = Request(bid, o, d, Passengers(1), TimeRule.PICKUP_AFTER, earliest)
    return Booking(req, Promise(earliest, earliest + 600, dropoff_latest, max_ride))


def _route(b: Booking) -> tuple[PlannedStop, ...]:
    return (PlannedStop(b.id, StopKind.PICKUP, b.request.origin),
            PlannedStop(b.id, StopKind.DROPOFF, b.request.destination))


VEH = Vehicle("v", 4, 0, 0, T - 3600, T + 8 * 3600)


def test_planning_times_add_a_factor_and_a_margin_per_leg():
    """ceil(1.15 × t) + 30 off the diagonal, 0 on it; no factor/margin: the same array."""
    assert PLAN[0, 1] == 720 and PLAN[0, 3] == 2100 and PLAN[2, 2] == 0
    assert DispatchParams().planning_times(TIME) is TIME


def test_promises_are_checked_against_planning_times():
    """A drop-off promised 1 300 s after the window opens, two legs away: reachable at routing
    speed (1 200 s + 30 s dwell), not with the planning times (1 410 s) — so planning refuses
    it while the expected driving schedule would make it."""
    b = _booking("a", 1, 3, T, T + 1300)
    state = VehicleState("v", 1, T - 60)
    expected_ok = check_route(VEH, state, _route(b), {"a": b}, TIME, P)
    planned = check_route(VEH, state, _route(b), {"a": b}, PLAN, P)
    assert expected_ok.feasible and not planned.feasible
    assert planned.kinds[0].value == "dropoff_latest"


def test_timetable_serves_early_and_keeps_the_slack_in_front():
    """An idle vehicle at the depot, a pickup two legs away: the pickup is planned at the start
    of its window (not its last second), the vehicle leaves by start − planning time, arrives
    at start − (planning − expected), and the stop's slack is what planning times leave."""
    b = _booking("a", 2, 3, T, T + 3600)
    state = VehicleState("v", 0, T - 7200)
    tt = timetable(VEH, state, _route(b), {"a": b}, PLAN, TIME, P)
    assert tt.feasible and not tt.late and not tt.at_risk
    pick, drop = tt.stops
    assert pick.start_s == T  # window start (no grace configured)
    assert tt.leave_by_s[0] == T - int(PLAN[0, 2])
    assert pick.leave_s == tt.leave_by_s[0] and pick.arrival_s == pick.leave_s + int(TIME[0, 2])
    assert pick.arrival_s <= pick.start_s
    assert drop.start_s == pick.departure_s + int(TIME[2, 3])
    # latest start keeping every promise with planning times: the window's end
    assert tt.latest_s[0] == T + 600 and tt.latest_s[0] - pick.start_s == 600


def test_a_late_vehicle_still_has_times_and_its_broken_promises_are_named():
    """The vehicle is free only 900 s after the window closed: no plan keeps the pickup, yet
    the timetable is the earliest schedule that exists and names the pickup (and drop-off)
    as late by the exact amounts under expected times."""
    b = _booking("a", 1, 2, T, T + 1300)
    state = VehicleState("v", 1, T + 1500)
    tt = timetable(VEH, state, _route(b), {"a": b}, PLAN, TIME, P)
    assert not tt.feasible and len(tt.stops) == 2
    assert tt.stops[0].start_s == T + 1500
    late = {x.part: x.by_s for x in tt.late}
    assert late[PromisePart.PICKUP] == 1500 - 600
    assert late[PromisePart.DROPOFF] == (T + 1500 + 30 + 600) - (T + 1300)


def test_at_risk_is_what_only_planning_times_break():
    """Slower roads (planning times) would break the drop-off, expected times keep it: the
    promise is at risk, not late."""
    b = _booking("a", 1, 3, T, T + 1300)
    tt = timetable(VEH, VehicleState("v", 1, T - 60), _route(b), {"a": b}, PLAN, TIME, P)
    assert not tt.late
    assert [(x.booking_id, x.part) for x in tt.at_risk] == [("a", PromisePart.DROPOFF)]


def test_a_ride_is_kept_by_boarding_later_when_that_delays_no_one():
    """Rider a boards at 1; b's window at 2 opens much later; boarding a as early as its window
    opens would make a's ride too long, so a boards later (inside its window) and no one is
    late."""
    a = _booking("a", 1, 3, T, T + 7200, max_ride=1500)
    b = _booking("b", 2, 3, T + 1200, T + 7200)
    stops = (PlannedStop("a", StopKind.PICKUP, 1), PlannedStop("b", StopKind.PICKUP, 2),
             PlannedStop("a", StopKind.DROPOFF, 3), PlannedStop("b", StopKind.DROPOFF, 3))
    tt = timetable(VEH, VehicleState("v", 1, T - 60), stops, {"a": a, "b": b}, PLAN, TIME, P)
    assert tt.feasible and not tt.late
    assert tt.ride_s["a"] <= 1500 and tt.stops[0].start_s > T


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), delay=st.integers(0, 3600), progress=st.booleans())
def test_property_always_timed_and_consistent(seed, delay, progress):
    """On random fleets made late by up to an hour: every route gets times; when planning finds
    it feasible nothing is late or at risk and the timetable keeps every promise; expected
    lateness never exceeds planning lateness; service never starts before arrival; leave-by is
    never before the previous departure."""
    params = DispatchParams(travel_factor=1.15, travel_margin_s=20, no_show_grace_s=120)
    sc = scenario(3, 4, seed=seed, nodes=40, params=params)
    if progress:
        sc = with_progress(sc)
    plan_s = params.planning_times(sc.time_s)
    for v in sc.fleet.vehicles:
        st0 = sc.fleet.state_of(v)
        stv = VehicleState(st0.vehicle_id, st0.node, st0.time_s + delay, st0.onboard,
                           st0.onboard_departed_s)
        stops = sc.fleet.plan_of(v).stops
        tt = timetable(v, stv, stops, sc.fleet.bookings, plan_s, sc.time_s, params)
        assert len(tt.stops) == len(stops)
        if tt.feasible:
            assert not tt.late and not tt.at_risk
        if tt.late:
            assert not tt.feasible  # expected lateness is planning lateness too
        prev_dep = tt.start_s
        for k, t in enumerate(tt.stops):
            assert t.start_s >= t.arrival_s >= t.leave_s
            assert tt.leave_by_s[k] >= prev_dep
            prev_dep = t.departure_s


def test_a_rider_is_not_boarded_early_to_wait_on_board():
    """Rider a (place 0 → 2) is picked up first; the vehicle then waits at place 1 for rider
    b's window. Boarding a at the start of its window and waiting with a on board would make
    a's ride 1 850 s under planning times — over its 1 700 s limit although the plan keeps it.
    The timetable boards a later (no one rides while the vehicle waits) and nothing is at risk."""
    a = _booking("a", 0, 2, T, T + 7200, max_ride=1700)
    b = Booking(Request("b", 1, 2, Passengers(1), TimeRule.PICKUP_AFTER, T + 1200),
                Promise(T + 1200, T + 1800, T + 7200, 3600))
    stops = (PlannedStop("a", StopKind.PICKUP, 0), PlannedStop("b", StopKind.PICKUP, 1),
             PlannedStop("a", StopKind.DROPOFF, 2), PlannedStop("b", StopKind.DROPOFF, 2))
    books = {"a": a, "b": b}
    state = VehicleState("v", 0, T - 60)
    assert check_route(VEH, state, stops, books, PLAN, P).feasible
    tt = timetable(VEH, state, stops, books, PLAN, TIME, P)
    board_a, board_b, drop_a = tt.stops[0].start_s, tt.stops[1].start_s, tt.stops[2].start_s
    assert board_b == T + 1200
    assert board_a > T  # not at the window's start ...
    assert board_a <= a.promise.pickup_latest_s  # ... but inside it
    # from a's boarding, planning times reach its drop-off within its limit
    left = tt.stops[0].departure_s
    assert drop_a - left <= a.promise.max_ride_s
    assert board_b + 30 + PLAN[1, 2] - left <= a.promise.max_ride_s
    assert not tt.at_risk and not tt.late
