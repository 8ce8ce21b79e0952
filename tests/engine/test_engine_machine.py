"""The dispatch state machine (dispatcher.engine.machine), from tables: what each driver report
does to a vehicle-day's route, which reports are refused, and the depot/shift/break rules."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from dispatcher.engine.machine import (
    Leg,
    Report,
    Route,
    apply,
    at_depot,
    end_shift,
    parse_report,
    take_break,
    target_kind,
)
from dispatcher.errors import Conflict, InvalidInput
from dispatcher.model import Break, Plan, PlannedStop, StopKind, Vehicle, VehicleState
from dispatcher.statuses import BookingStatus, DriverReport

P, D = StopKind.PICKUP, StopKind.DROPOFF
B, A = DriverReport.BOARDED, DriverReport.ALIGHTED
ARR, DEP = DriverReport.ARRIVED, DriverReport.DEPARTED
CONF, ON, DONE = BookingStatus.CONFIRMED, BookingStatus.ONBOARD, BookingStatus.COMPLETED
NOW = 1_000


def _route(stops: str, onboard: tuple[str, ...] = (), locked: int = 0, node: int = 0,
           en_route: bool = False) -> Route:
    """A route from a compact text: "a+@1 b+@2 a-@3" is pickup a at node 1, pickup b at 2,
    drop-off a at 3 (booking ids are letters, + pickup, - drop-off)."""
    planned = []
    for tok in stops.split():
        bid, rest = tok[0], tok[1:]
        kind = P if rest[0] == "+" else D
        planned.append(PlannedStop(bid, kind, int(rest.split("@")[1])))
    state = VehicleState("v1", node, 900, onboard, tuple(800 for _ in onboard))
    return Route(state, Plan("v1", tuple(planned), locked), en_route)


def _text(route: Route) -> str:
    return " ".join(f"{s.booking_id}{'+' if s.kind == P else '-'}@{s.node}"
                    for s in route.plan.stops)


def _always(plan: Plan, state: VehicleState) -> bool:
    return True


def _never(plan: Plan, state: VehicleState) -> bool:
    return False


@dataclass(frozen=True)
class Case:
    name: str
    route: Route
    kind: DriverReport
    booking: str
    status: BookingStatus
    plan_after: str
    onboard_after: tuple[str, ...]
    node_after: int
    status_after: BookingStatus
    en_route_after: bool = False
    locked_after: int | None = None
    done: bool = False
    drivable: bool = True


CASES = [
    Case("board the first pickup", _route("a+@1 a-@3"), B, "a", CONF,
         "a-@3", ("a",), 1, ON),
    Case("board a later pickup (out of order)", _route("a+@1 b+@2 a-@3 b-@4"), B, "b", CONF,
         "a+@1 a-@3 b-@4", ("b",), 2, ON),
    Case("alight an on-board rider", _route("b+@2 a-@3", onboard=("a",)), A, "a", ON,
         "b+@2", (), 3, DONE, done=True),
    Case("arrive at a later stop: it moves to the front and is locked",
         _route("a+@1 b+@2 a-@3 b-@4"), ARR, "b", CONF,
         "b+@2 a+@1 a-@3 b-@4", (), 2, CONF, locked_after=1),
    Case("arrive at an on-board rider's drop-off", _route("b+@2 a-@3", onboard=("a",)),
         ARR, "a", ON, "a-@3 b+@2", ("a",), 3, ON, locked_after=1),
    Case("depart for a stop: driving there, still where it was",
         _route("a+@1 b+@2 a-@3 b-@4", node=7), DEP, "b", CONF,
         "b+@2 a+@1 a-@3 b-@4", (), 7, CONF, en_route_after=True, locked_after=1),
    Case("a lock already held stays", _route("a+@1 b+@2 a-@3 b-@4", locked=2), ARR, "a", CONF,
         "a+@1 b+@2 a-@3 b-@4", (), 1, CONF, locked_after=2),
    Case("an order that cannot be driven is refused: the route stays",
         _route("a+@1 b+@2 a-@3 b-@4", node=7), ARR, "b", CONF,
         "a+@1 b+@2 a-@3 b-@4", (), 7, CONF, locked_after=0, drivable=False),
    Case("arrival for a booking not planned on this vehicle changes nothing",
         _route("a+@1 a-@3"), ARR, "z", CONF, "a+@1 a-@3", (), 0, CONF, locked_after=0),
    Case("any report but departed ends en_route", _route("a+@1 a-@3", en_route=True), B, "a",
         CONF, "a-@3", ("a",), 1, ON, en_route_after=False),
    Case("departed for an unknown booking keeps en_route", _route("a+@1 a-@3", en_route=True),
         DEP, "z", CONF, "a+@1 a-@3", (), 0, CONF, en_route_after=True),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_reports(case: Case) -> None:
    report = Report(case.kind, case.booking, case.status, NOW, dwell_s=60)
    out = apply(report, case.route, _always if case.drivable else _never)
    assert _text(out.route) == case.plan_after
    assert out.route.state.onboard == case.onboard_after
    assert out.route.state.node == case.node_after
    assert out.status == case.status_after
    assert out.route.en_route == case.en_route_after
    assert out.done == case.done
    if case.locked_after is not None:
        assert out.route.plan.locked == case.locked_after
    # a leg is logged exactly when the vehicle changed place, from where it was
    if case.node_after != case.route.state.node:
        assert out.leg == Leg(case.route.state, case.node_after)
    else:
        assert out.leg is None


def test_boarding_starts_the_ride_limit_after_the_dwell_and_keeps_earlier_riders_times() -> None:
    route = _route("b+@2 a-@3 b-@4", onboard=("a",))
    out = apply(Report(B, "b", CONF, NOW, dwell_s=45), route, _always)
    assert out.ride_from_s == NOW + 45
    assert out.route.state.time_s == NOW + 45
    assert out.route.state.departed() == {"a": 800, "b": NOW + 45}


def test_alighting_keeps_the_others_on_board_with_their_times() -> None:
    route = _route("a-@3 b-@4", onboard=("a", "b"))
    out = apply(Report(A, "a", ON, NOW, dwell_s=30), route, _always)
    assert out.route.state.onboard == ("b",)
    assert out.route.state.departed() == {"b": 800}
    assert out.route.state.time_s == NOW + 30


def test_removing_a_locked_stop_shrinks_the_lock() -> None:
    out = apply(Report(B, "a", CONF, NOW), _route("a+@1 a-@3", locked=1), _always)
    assert out.route.plan.locked == 0


def test_a_late_arrival_keeps_the_later_clock() -> None:
    route = _route("a+@1 a-@3")
    out = apply(Report(ARR, "a", CONF, 500), route, _always)  # report older than the state
    assert out.route.state.time_s == route.state.time_s


@pytest.mark.parametrize(("kind", "status", "stops", "onboard"), [
    (B, ON, "a-@3", ("a",)),              # already on board
    (B, BookingStatus.CANCELLED, "", ()),  # cancelled
    (B, CONF, "b+@2 b-@4", ()),          # pickup not planned on this vehicle
    (A, CONF, "a+@1 a-@3", ()),          # not on board yet
    (A, ON, "b+@2 b-@4", ("a",)),        # drop-off not planned here
])
def test_refusals(kind: DriverReport, status: BookingStatus, stops: str,
                  onboard: tuple[str, ...]) -> None:
    route = _route(stops, onboard=onboard)
    with pytest.raises(Conflict):
        apply(Report(kind, "a", status, NOW), route, _always)


@pytest.mark.parametrize(("kind", "status", "want"), [
    (B, CONF, P), (A, ON, D), (ARR, CONF, P), (ARR, ON, D), (DEP, CONF, P), (DEP, ON, D)])
def test_target_kind(kind: DriverReport, status: BookingStatus, want: StopKind) -> None:
    assert target_kind(Report(kind, "a", status, NOW)) == want


def test_parse_report() -> None:
    assert parse_report("boarded") == B
    with pytest.raises(InvalidInput):
        parse_report("teleported")


def test_back_at_depot_idles_there_from_now() -> None:
    route = _route("a+@1 a-@3", node=5, en_route=True)
    back = at_depot(route, depot=9, now_s=NOW)
    assert (back.state.node, back.state.time_s, back.en_route) == (9, NOW, False)
    assert back.plan == route.plan
    with pytest.raises(Conflict) as err:
        at_depot(_route("a-@3", onboard=("a",)), 9, NOW)
    assert err.value.details["rule"] == "riders_on_board"


def test_end_shift_needs_an_empty_plan() -> None:
    assert end_shift(_route(""), 9, NOW).state.node == 9
    with pytest.raises(Conflict) as err:
        end_shift(_route("a+@1 a-@3 b+@2 b-@4"), 9, NOW)
    assert err.value.details["rule"] == "bookings_left"
    assert "2件" in err.value.message_ja
    with pytest.raises(Conflict) as err:
        end_shift(_route("a-@3", onboard=("a",)), 9, NOW)
    assert err.value.details["rule"] == "riders_on_board"


def _vehicle(*breaks: Break) -> Vehicle:
    return Vehicle("v1", seats=4, wheelchair_spaces=0, depot=0, shift_start_s=0,
                   shift_end_s=10_000, breaks=breaks)


def test_take_break_removes_the_due_break_and_moves_the_clock() -> None:
    lunch, late = Break(900, 2_000, 600), Break(5_000, 7_000, 600)
    state = VehicleState("v1", 4, 950)
    rest, after, end = take_break(_vehicle(lunch, late), state, NOW)
    assert rest.breaks == (late,)
    assert end == NOW + 600
    assert (after.node, after.time_s) == (4, NOW + 600)


@pytest.mark.parametrize(("start", "onboard"), [(3_000, ()), (1_000, ("a",))])
def test_take_break_refused(start: int, onboard: tuple[str, ...]) -> None:
    state = VehicleState("v1", 4, 950, onboard, tuple(800 for _ in onboard))
    with pytest.raises(Conflict):
        take_break(_vehicle(Break(900, 2_000, 600)), state, start)
