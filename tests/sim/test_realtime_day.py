"""GTFS-Realtime stays right all day: after every stop a vehicle makes, its TripUpdate and its
VehiclePosition follow the stops it has made and the stops it has left (issue 14, point 4).

A Mitsugi morning is played through the engine with simulated drivers on a slower, noisy day
(so that vehicles run late and plans are repaired); after each report a driver makes at a stop
(arrived, boarded, alighted, no-show) the feed inputs are built exactly as the API builds them
(gtfs.live from the booking rows and the vehicles' reported positions) and checked against the
engine's plan and timetable.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, select

from dispatcher.engine import VehicleDay
from dispatcher.sim import agents
from dispatcher.sim.runner import Scenario, run_day
from dispatcher.store.tables import BookingRow, VehicleRow
from gtfs import live, realtime

DAY = date(2027, 1, 13)


def _feed_inputs(engine, day):
    """(runs, fixes) as dispatcher.api.routes_feeds builds them."""
    with Session(engine.db, expire_on_commit=False) as s:
        rows = list(s.exec(select(BookingRow).where(BookingRow.service_day == day)))
        vehicles = list(s.exec(select(VehicleRow).where(VehicleRow.active)))
    served = live.executed_stops(engine.service, rows)
    points = {r.id: (r.origin_lat, r.origin_lon, r.destination_lat, r.destination_lon)
              for r in rows}
    now = engine.live_vehicles(day, points, {})
    runs = live.vehicle_runs(engine.service, day, now, served)
    fixes = live.vehicle_fixes(vehicles, {v.vehicle_id: v for v in now}, engine.clock(), runs)
    return rows, runs, fixes


def _check_vehicle(engine, day, vid, rows, runs, fixes, problems):
    """The vehicle's run and position in the feed against the engine's plan and timetable."""
    vd = VehicleDay(vid, day)
    now = engine.clock()
    run = next((r for r in runs if r.vehicle_id == vid), None)
    plan = engine.view(vd).plan
    made = sorted([int(r.picked_up_at.timestamp()) for r in rows
                   if r.vehicle_id == vid and r.picked_up_at]
                  + [int(r.dropped_off_at.timestamp()) for r in rows
                     if r.vehicle_id == vid and r.dropped_off_at])
    if run is None:
        if plan.stops or made:
            problems.append(f"{vid} at {now}: no run though it has stops")
        return
    want_ids = _check_run_stops(engine, vd, vid, now, run, made, problems)
    fix = next((f for f in fixes if f.vehicle_id == vid), None)
    if fix is not None:
        _check_fix(engine, vd, vid, now, fix, want_ids, problems)


def _check_run_stops(engine, vd, vid, now, run, made, problems):
    """Served stops are the ones made, then the plan's stops with the timetable's times; returns
    the remaining stop ids."""
    plan = engine.view(vd).plan
    served = [s for s in run.stops if s.served]
    todo = [s for s in run.stops if not s.served]
    if [s.arrival for s in served] != made:
        problems.append(f"{vid} at {now}: served stops {[s.arrival for s in served]} != made {made}")
    if len(todo) != len(plan.stops):
        problems.append(f"{vid} at {now}: {len(todo)} planned stops in the feed, plan has "
                        f"{len(plan.stops)}")
    stop_of = {p: sid for sid, p in engine.stop_place.items()}
    want_ids = [stop_of[st.node] for st in plan.stops]
    if [s.stop_id for s in todo] != want_ids:
        problems.append(f"{vid} at {now}: planned stop ids differ from the plan")
    check = engine.schedule(vd)
    if plan.stops and len(check.stops) != len(plan.stops):
        problems.append(f"{vid} at {now}: the timetable has no times")
    for s, t in zip(todo, check.stops, strict=False):
        if s.arrival < now - 1:
            problems.append(f"{vid} at {now}: a planned stop arrives in the past ({s.arrival})")
        if s.arrival != max(t.arrival_s, served[-1].departure if served else 0):
            problems.append(f"{vid} at {now}: feed arrival {s.arrival} != timetable "
                            f"{t.arrival_s}")
    times = [x for s in run.stops for x in (s.arrival, s.departure)]
    if times != sorted(times):
        problems.append(f"{vid} at {now}: times go backwards")
    return want_ids


def _check_fix(engine, vd, vid, now, fix, want_ids, problems):
    """The VehiclePosition names the next remaining stop, stopped at it or in transit to it."""
    want = want_ids[0] if want_ids else ""
    if fix.stop_id != want:
        problems.append(f"{vid} at {now}: VehiclePosition stop {fix.stop_id!r} != next "
                        f"{want!r}")
    if not want_ids and fix.current_status is not None:
        problems.append(f"{vid} at {now}: status {fix.current_status} with nothing left")
    if want_ids:
        first = engine.view(vd).plan.stops[0]
        at_stop = engine.view(vd).state.node == first.node and not engine.en_route(vd)
        expect = "STOPPED_AT" if at_stop else "IN_TRANSIT_TO"
        if fix.current_status != expect:
            problems.append(f"{vid} at {now}: status {fix.current_status} != {expect}")


@pytest.fixture(scope="module")
def checked_day(mitsugi, network, tmp_path_factory):
    """A wet Mitsugi morning, the feed checked after every stop event of every vehicle."""
    problems: list[str] = []
    checks = {"n": 0, "messages": 0}
    orig_report, orig_no_show = agents.EngineGateway.report, agents.EngineGateway.no_show

    def after(gw, vehicle_id):
        rows, runs, fixes = _feed_inputs(gw.engine, gw.day)
        with gw.engine.lock:
            _check_vehicle(gw.engine, gw.day, vehicle_id, rows, runs, fixes, problems)
        tu = realtime.trip_updates(runs, "flex", gw.engine.clock(), gw.engine.tz)
        vp = realtime.vehicle_positions(fixes, gw.engine.clock(), "flex")
        checks["messages"] += len(tu.entity) + len(vp.entity)
        checks["n"] += 1

    def report(gw, vehicle_id, kind, booking_id, lat, lon):
        orig_report(gw, vehicle_id, kind, booking_id, lat, lon)
        if kind in ("arrived", "boarded", "alighted"):
            after(gw, vehicle_id)

    def no_show(gw, vehicle_id, booking_id):
        orig_no_show(gw, vehicle_id, booking_id)
        after(gw, vehicle_id)

    mp = pytest.MonkeyPatch()
    mp.setattr(agents.EngineGateway, "report", report)
    mp.setattr(agents.EngineGateway, "no_show", no_show)
    try:
        r = run_day(mitsugi, network, tmp_path_factory.mktemp("rt"), seed=5, day=DAY,
                    scenario=Scenario("wet", slower=1.12, leg_noise=0.2, dwell_noise=0.3,
                                      demand_scale=1.6),
                    until="12:00", positions=True, reopt_every_s=600, reopt_limit_s=0.2)
    finally:
        mp.undo()
    return r, problems, checks


def test_feed_follows_every_stop_all_day(checked_day):
    """After each stop: served stops with their actual times, then exactly the plan's remaining
    stops with the timetable's times, never in the past, never backwards; VehiclePositions
    names the next remaining stop (none once nothing is left)."""
    r, problems, checks = checked_day
    assert checks["n"] >= 60, checks
    assert r.check.boarded >= 15, r.row()
    assert problems == [], problems[:10]


def test_the_day_was_late_and_repaired(checked_day):
    """The checked day is one where reality was slower than the plan (so the feed was checked
    on late vehicles too), and no manifest was ever without times."""
    r, _, _ = checked_day
    assert sum(1 for v in r.records.events if v["type"] == "promise_at_risk") > 0
    assert r.untimed_views == 0 and r.reopt_failed == 0
