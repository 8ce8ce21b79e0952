"""Start-up: seed the database, create shifts ahead, rebuild the live state from the store.

On start the live state is rebuilt from the database (bookings keep their promises; stored
plans are re-checked and, where a plan no longer holds or misses a booking, the day is
repaired so that no confirmed booking is dropped).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date, timedelta
from typing import TYPE_CHECKING

from dispatcher import recovery
from dispatcher.engine import reopt
from dispatcher.engine.state import Live
from dispatcher.engine.vehicle_day import VehicleDay
from dispatcher.model import Plan
from dispatcher.store import bookings as booking_store
from dispatcher.store import fleet as fleet_store
from dispatcher.store import repo
from dispatcher.store.tables import BookingRow, PlanRow, ShiftRow, VehicleRow

if TYPE_CHECKING:
    from dispatcher.engine.core import Engine

log = logging.getLogger("noriai.engine")


def start(eng: Engine) -> None:
    """Seed an empty database, create shifts ahead, and rebuild the live state."""
    horizon = [eng.today() + timedelta(days=k)
               for k in range(eng.service.booking.max_days_ahead + 1)]
    with eng.workers.starting():
        with eng.unit_of_work() as s:
            repo.seed_service(s, eng.service)
            s.flush()
            repo.ensure_shifts(s, eng.service, horizon)
        rebuild(eng)


def _load(eng: Engine, live: Live, shifts: list[ShiftRow], vehicles: dict[str, VehicleRow],
          rows: list[BookingRow], stored: dict[str, PlanRow]) -> None:
    """Put stored shifts, open bookings and plans into ``live``."""
    for sh in shifts:
        if vehicles[sh.vehicle_id].active:
            live.add_vehicle_day(eng.rows.vehicle(sh, vehicles[sh.vehicle_id]),
                                 ended=sh.ended_at is not None)
    for row in rows:
        live.bookings[row.id] = eng.rows.booking(row)
        if row.vehicle_id:
            live.assigned[row.id] = VehicleDay(row.vehicle_id, row.service_day).key
    for key, prow in stored.items():
        if key not in live.vehicles:
            continue
        live.revisions[key] = prow.revision
        live.changes += 1  # a reloaded plan is a change for whoever watches the revisions
        live.states[key] = eng.rows.state(live.vehicles[key], prow, live.bookings)
        live.plans[key] = eng.rows.plan(key, prow, live.bookings)
        if prow.en_route:
            live.en_route.add(key)


def ensure_day(eng: Engine, day: date) -> None:
    """Make sure the shifts of ``day`` exist and are in the live state."""
    if eng.live.by_day.get(day):
        return
    with eng.writing(day):
        if eng.live.by_day.get(day):
            return  # another worker made them: the lock's check has loaded them
        with eng.unit_of_work() as s:
            created = repo.ensure_shifts(s, eng.service, [day])
            shifts = fleet_store.shifts_of_day(s, day)
            vehicles = fleet_store.vehicles_by_id(s)
        if created or shifts:
            _load(eng, eng.live, shifts, vehicles, [], {})
            eng.bump()


def refresh_day(eng: Engine, day: date, *, full: bool = False) -> None:
    """Bring one service day (vehicles, states, plans, open bookings) up to what the database
    holds, after another worker changed it or a change of this one failed. Call under the
    engine's lock.

    Incremental unless ``full``: a vehicle-day is reloaded when its stored plan revision
    differs from the live one (every change of a plan, its state or its shift gives the plan a
    new revision), and bookings are added and dropped by the ids open that day.
    """
    live, planner = eng.live, eng.planner
    keys = set(live.by_day.get(day, {}))
    with eng.reading() as s:
        revisions = fleet_store.plan_revisions_of_day(s, day)
        shifts = {sh.vehicle_id: sh for sh in fleet_store.shifts_of_day(s, day)}
        stale = {k for k in keys | set(revisions) | {VehicleDay(v, day).key for v in shifts}
                 if full or k not in live.vehicles or revisions.get(k, 0) != live.revisions.get(k)}
        vehicles = fleet_store.vehicles_by_id(s) if stale else {}
        stored = fleet_store.plans_by_keys(s, stale)
        open_ids = repo.open_booking_ids_of_day(s, day)
        rows = booking_store.by_ids(s, open_ids if full else open_ids - live.bookings.keys())
    for bid in [b for b, bk in live.bookings.items()
                if (live.assigned.get(b) in keys or (b not in live.assigned
                                                     and planner.day_of(bk) == day))
                and (full or b not in open_ids)]:
        live.bookings.pop(bid, None)
        live.assigned.pop(bid, None)
    for k in stale:
        live.forget(k)
    vids = {VehicleDay.of(k).vehicle_id for k in stale}
    _load(eng, live, [sh for v, sh in shifts.items() if v in vids], vehicles,
          list(rows.values()), {k: p for k, p in stored.items() if k in stale})
    for k in stale & live.vehicles.keys():  # bookings moved between vehicles meanwhile
        for b in (*(st.booking_id for st in live.plans[k].stops), *live.states[k].onboard):
            live.assigned[b] = k
    planner.forget(sorted(stale))
    eng.bump()


def rebuild(eng: Engine) -> None:
    """Rebuild vehicles, states, plans and open bookings from the database."""
    first = eng.today() - timedelta(days=1)
    with eng.reading() as s:
        versions = eng.workers.versions(s, first)
        vehicles = fleet_store.vehicles_by_id(s)
        shifts = repo.shifts_from(s, first)
        rows = repo.open_bookings(s)
        stored = repo.plan_rows(s)
    with eng.lock:
        live = Live()
        _load(eng, live, shifts, vehicles, rows, stored)
        eng.planner.live = live
        eng.planner.forget()
        eng.day_versions = versions
        eng.version += 1
    for day in sorted({VehicleDay.of(k).day for k in live.vehicles}):
        _repair_after_restart(eng, day)


def _repair_after_restart(eng: Engine, day: date) -> None:
    """Re-plan a day whose stored plans no longer hold or miss a booking, and store the result.

    The re-optimiser's repair (:func:`dispatcher.recovery.repair`): a booking keeps its
    promise on any vehicle that can keep it, and one that none can keep any more is placed
    where it is least late — a confirmed booking is never dropped from the plans.
    """
    with eng.writing(day):
        now = eng.clock()
        live, planner = eng.live, eng.planner
        fleet = planner.fleet(day, now, relax=False)
        keys = {v.id for v in fleet.vehicles}
        missing = {b: bk for b, bk in live.bookings.items()
                   if b not in fleet.bookings and (live.assigned.get(b) in keys or (
                       b not in live.assigned and planner.day_of(bk) == day))}
        if not fleet.vehicles or not (fleet.bookings or missing):
            return
        fleet = replace(fleet, bookings={**fleet.bookings, **missing})
        late = [v.id for v in fleet.vehicles
                if not planner.check(v.id, fleet.plan_of(v), fleet.state_of(v)).feasible]
        if not late and not missing:
            return
        log.warning("plans of %s re-planned after restart (late: %s, missing: %d)",
                    day, late, len(missing))
        rep = recovery.repair(fleet, planner.plan_s, eng.params, eng.places.dist_m)
        changed = []
        for vid, stops in rep.routes.items():
            old = live.plans[vid]
            if stops != old.stops:
                live.plans[vid] = Plan(vid, stops, min(old.locked, len(stops)))
                changed.append(vid)
            for st in stops:
                live.assigned[st.booking_id] = vid
        live.revise(*changed)
        with eng.unit_of_work() as s:
            for key in changed:
                eng.save_plan(s, key)
            reopt.write_moves(s, changed, live.plans, "repaired", now)
        for bid, late_s in rep.late.items():
            log.error("booking %s re-planned after restart %d s late", bid, late_s)
