"""Two workers on one PostgreSQL database, in one process: each keeps its own live state and
still plans on what the database holds (issue 18: stateless workers)."""

from __future__ import annotations

import contextlib
import time as wall
from datetime import time

import pytest

from dispatcher.api.runtime import Runtime
from dispatcher.engine.vehicle_day import VehicleDay
from dispatcher.errors import Infeasible
from dispatcher.settings import Settings
from dispatcher.trip import Party, Place, TripInput
from dispatcher.units import at_local
from tests.api.conftest import DAY, TestClock, reset_postgres


def _trip(at: time, adults: int = 1) -> TripInput:
    return TripInput(Place("honmura"), Place("hospital"), Party(adults=adults), "pickup_after",
                     at_local(DAY, at))


@pytest.fixture
def two_workers(postgres_url, tmp_path):
    reset_postgres(postgres_url)
    clock = TestClock(at_local(DAY, time(8, 0)))
    settings = Settings(db=postgres_url, data_dir=tmp_path, reopt_interval_s=0,
                        secret_key="w" * 40, operator_password="operator-test",
                        driver_password="driver-test")
    a = Runtime.create(settings, clock=clock)
    b = Runtime.create(settings, clock=clock)
    try:
        yield a, b
    finally:
        a.stop()
        b.stop()


def _book(runtime: Runtime, at: time, adults: int = 1) -> str:
    engine = runtime.engine
    offers = engine.make_offers("rider-x", _trip(at, adults))["offers"]
    row, created = engine.accept("rider-x", offers[0].id, None, "rider-x")
    assert created
    return row.id


def _wait(pred, timeout_s: float = 5.0) -> bool:
    end = wall.monotonic() + timeout_s
    while wall.monotonic() < end:
        if pred():
            return True
        wall.sleep(0.02)
    return pred()


def test_a_change_on_one_worker_reaches_the_other(two_workers) -> None:
    """B hears of A's booking (LISTEN/NOTIFY) and shows it on the vehicle A planned it on."""
    a, b = two_workers
    bid = _book(a, time(10, 0))
    vd = a.engine.assigned(bid)
    assert vd is not None
    assert _wait(lambda: b.engine.assigned(bid) == vd), "worker B never saw the booking"
    view_a, view_b = a.engine.view(vd), b.engine.view(vd)
    assert view_a is not None and view_b is not None
    assert view_b.plan == view_a.plan and view_b.revision == view_a.revision


def test_a_worker_that_missed_a_change_reloads_before_writing(two_workers) -> None:
    """Without its listener, B still books on A's plans: the day's version under the lock
    tells it to reload first — so the vehicles fill up exactly as on one worker."""
    a, b = two_workers
    b.engine.workers.stop()  # B hears nothing from now on
    booked = [_book(a, time(10, 0), adults=3)]
    assert b.engine.assigned(booked[0]) is None  # B's copy is behind
    # Fill the slot alternately from both workers until no vehicle can take another group.
    full = False
    for i in range(40):
        w = (a, b)[i % 2]
        try:
            booked.append(_book(w, time(10, 0), adults=3))
        except Infeasible:
            full = True
            break
    assert full or len(booked) > 3
    for w in (a, b):
        with w.engine.writing(DAY):  # brings B up to date
            for bid in booked:
                assert w.engine.assigned(bid) is not None, bid
            for vd in w.engine.vehicle_days(day=DAY):
                check = w.engine.schedule(vd)
                assert check.feasible, check.violations
                seats = w.engine.view(vd).vehicle.seats
                assert all(st.seats_after <= seats for st in check.stops)
    # both workers hold the same plans
    for vd in a.engine.vehicle_days(day=DAY):
        assert a.engine.view(vd).plan == b.engine.view(vd).plan


def test_only_one_worker_leads(two_workers) -> None:
    """The area's background cycles belong to exactly one worker; when it stops, the other
    takes over."""
    a, b = two_workers
    first = [w for w in (a, b) if w.engine.workers.leads()]
    assert len(first) == 1
    leader = first[0]
    other = b if leader is a else a
    assert not other.engine.workers.leads()
    leader.engine.workers.stop()  # gives the leadership up (its connection closes)
    assert _wait(other.engine.workers.leads), "nobody took the leadership over"


def test_repair_after_restart_is_stored_for_every_worker(two_workers) -> None:
    """A day re-planned at start-up is written (with its version), not kept in one worker's
    memory: the other worker reloads exactly that plan."""
    a, b = two_workers
    bid = _book(a, time(10, 0))
    vd = a.engine.assigned(bid)
    assert isinstance(vd, VehicleDay)
    before = a.engine.day_versions.get(DAY, 0)
    a.engine.rebuild()  # nothing to repair: no new version
    assert a.engine.day_versions.get(DAY, 0) == before
    assert _wait(lambda: b.engine.assigned(bid) == vd)


def _day_state(runtime: Runtime) -> dict[str, object]:
    live = runtime.engine.live
    keys = {k for k in live.vehicles if VehicleDay.of(k).day == DAY}
    return {"vehicles": {k: live.vehicles[k] for k in keys},
            "states": {k: live.states[k] for k in keys},
            "plans": {k: live.plans[k] for k in keys},
            "revisions": {k: live.revisions[k] for k in keys},
            "en_route": live.en_route & keys, "ended": live.ended & keys,
            "assigned": {b: k for b, k in live.assigned.items() if k in keys},
            "bookings": sorted(b for b, k in live.assigned.items() if k in keys)}


def test_incremental_reload_equals_a_full_one(two_workers) -> None:
    """After bookings, a cancellation, a move and a driver's reports on A, B's incremental
    reloads hold the day exactly as a full reload from the database does."""
    a, b = two_workers
    ids = [_book(a, time(h, m)) for h, m in ((9, 30), (10, 0), (10, 30), (11, 0))]
    a.engine.cancel(ids[1], type("Op", (), {"user_id": "op"})(), by_operator=True)
    vd = a.engine.assigned(ids[2])
    other = next(v for v in a.engine.vehicle_days(day=DAY) if v != vd)
    with contextlib.suppress(Infeasible):
        a.engine.move(ids[2], other.vehicle_id, "op")
    first = a.engine.assigned(ids[0])
    a.engine.driver_event(first.vehicle_id, "departed", None, "drv")
    assert _wait(lambda: _day_state(b) == _day_state(a), 5), "B did not follow A"
    incremental = _day_state(b)
    with b.engine.lock:
        from dispatcher.engine import startup

        startup.refresh_day(b.engine, DAY, full=True)
    assert _day_state(b) == incremental
