"""A vehicle driving to its next stop keeps driving there when that stop leaves its plan.

Found on the single-fleet city benchmark (v308): the vehicle departed at 07:44 for a pickup
across the city, the rider cancelled at 08:00 while it drove, and the engine planned the
vehicle's next pickup from where the leg *started* (its depot) at "now" — while the vehicle
went on to the cancelled pickup, 30 minutes' drive further away. Its next two promises broke
although nothing was slower than planned ("broken_planned"). A driver who has departed is
somewhere on that leg: planning from its end is what the vehicle can surely keep (a driver who
turns back earlier is only earlier on the grid's shortest paths).
"""

from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from bench.city_scale import GridNetwork, zone_service
from dispatcher.engine import Engine, VehicleDay
from dispatcher.engine.state import Live
from dispatcher.model import Plan, PlannedStop, StopKind, VehicleState
from dispatcher.services import load_service
from dispatcher.sim.clock import SimClock
from dispatcher.store.db import make_engine, migrate
from dispatcher.trip import Party, Place, TripInput

DAY = date(2027, 1, 13)
SIDE = 25


@pytest.fixture
def grid_engine(tmp_path):
    """An engine on a 25 × 25 grid with one vehicle (based at the first transfer stop)."""
    base = load_service("mitsugi")
    service = zone_service(base, SIDE, 60, 1, np.random.default_rng(1))
    tz = ZoneInfo(service.timezone)
    clock = SimClock(int(datetime(DAY.year, DAY.month, DAY.day, 7, 0, tzinfo=tz).timestamp()))
    db = make_engine(f"sqlite:///{tmp_path / 'en-route.db'}")
    migrate(db)
    engine = Engine(service, db, GridNetwork(SIDE), clock, service.dispatch_params())
    engine.start()
    engine.ensure_day(DAY)
    yield engine, service, clock
    db.dispose()


def _hops(a, b) -> int:
    (ra, ca), (rb, cb) = divmod(a, SIDE), divmod(b, SIDE)
    return abs(ra - rb) + abs(ca - cb)


def _book(engine: Engine, rider: str, origin: str, destination: str, at_s: int) -> str:
    trip = TripInput(Place(origin), Place(destination), Party(1), "pickup_after", at_s)
    offers = engine.make_offers(rider, trip)["offers"]
    assert offers, f"no offer for {origin} -> {destination}"
    row, _ = engine.accept(rider, offers[0].id, None, booked_by=rider)
    return str(row.id)


def test_the_next_stop_is_planned_from_the_end_of_a_leg_whose_stop_was_cancelled(grid_engine):
    engine, service, clock = grid_engine
    net = GridNetwork(SIDE)
    node = {s.id: net.snap(s.lat, s.lon) for s in service.stops}
    vid = service.fleet[0].id
    depot = service.fleet[0].depot
    # A's pickup far from the depot; B's pickup near the depot and far from A's pickup.
    others = [s for s in node if s != depot]
    far = max(others, key=lambda s: _hops(node[depot], node[s]))
    near = min((s for s in others if _hops(node[s], node[far]) >= 20),
               key=lambda s: _hops(node[depot], node[s]))
    drop_a = min((s for s in others if s not in (far, near)),
                 key=lambda s: _hops(node[far], node[s]))
    drop_b = min((s for s in others if s not in (far, near, drop_a)),
                 key=lambda s: _hops(node[near], node[s]))
    now = clock()
    a = _book(engine, "rider-a", far, drop_a, now + 7200)
    b = _book(engine, "rider-b", near, drop_b, now + 7200 + 3600)
    vd = VehicleDay(vid, DAY)
    view = engine.view(vd)
    assert view is not None and view.plan.stops[0].booking_id == a

    # The driver leaves the depot for A's pickup; the rider cancels a few minutes later.
    leave = now + 7200 - _hops(node[depot], node[far]) * 48 - 600
    clock.set(leave)
    engine.driver_event(vid, "departed", a, f"driver-{vid}")
    clock.set(leave + 300)
    engine.cancel(a, SimpleNamespace(user_id="rider-a"), by_operator=False)

    view = engine.view(vd)
    assert view is not None and [st.booking_id for st in view.plan.stops] == [b, b]
    places = engine.places
    # The vehicle is planned from the end of the leg it is driving: A's pickup, not the depot.
    assert places.node_of(view.state.node) == node[far]
    # The driver is told to leave for B in time from there (the routing's time from A's
    # pickup), not from the depot — which is what made the benchmark's vehicle late.
    check = engine.schedule(vd)
    assert check.leave_by_s[0] + _hops(node[far], node[near]) * 48 <= check.stops[0].start_s
    assert check.stops[0].arrival_s >= leave + _hops(node[depot], node[far]) * 48
    # The same when a re-optimisation or a new offer plans the vehicle afresh.
    fleet = engine.planner.fleet(DAY, clock(), relax=False)
    assert places.node_of(fleet.states[vd.key].node) == node[far]
    assert fleet.states[vd.key].time_s >= leave + _hops(node[depot], node[far]) * 48


def test_a_departure_keeps_the_vehicle_on_its_leg_until_it_reports_again(grid_engine):
    """Before the cancellation nothing changes: the departed vehicle is planned from the start
    of its leg with the leg still to drive (the stop stays first, locked)."""
    engine, service, clock = grid_engine
    vid = service.fleet[0].id
    stops = [s.id for s in service.stops if s.id != service.fleet[0].depot]
    a = _book(engine, "rider-a", stops[10], stops[20], clock() + 7200)
    clock.set(clock() + 1800)
    engine.driver_event(vid, "departed", a, f"driver-{vid}")
    vd = VehicleDay(vid, DAY)
    view = engine.view(vd)
    assert view is not None and view.en_route and view.plan.locked == 1
    assert view.plan.stops[0].booking_id == a
    assert view.state.node == view.vehicle.depot


def test_live_drop_ends_the_leg_only_of_the_stop_being_driven_to():
    """Pure: dropping the booking of the en-route first stop puts the vehicle at that stop,
    free at its departure plus the planning time; dropping any other booking leaves it driving."""
    leg = np.array([[0, 100, 200], [100, 0, 100], [200, 100, 0]])
    P, D = StopKind.PICKUP, StopKind.DROPOFF

    def live() -> Live:
        out = Live()
        out.states["v"] = VehicleState("v", 0, 1_000)
        out.plans["v"] = Plan("v", (PlannedStop("a", P, 1), PlannedStop("b", P, 2),
                                    PlannedStop("a", D, 2), PlannedStop("b", D, 0)), 1)
        out.assigned.update(a="v", b="v")
        out.en_route.add("v")
        return out

    first = live()
    assert first.drop("a", leg) == "v"
    assert (first.states["v"].node, first.states["v"].time_s) == (1, 1_100)
    assert "v" not in first.en_route and first.plans["v"].locked == 0
    other = live()
    other.drop("b", leg)
    assert (other.states["v"].node, other.states["v"].time_s) == (0, 1_000)
    assert "v" in other.en_route and other.plans["v"].locked == 1
