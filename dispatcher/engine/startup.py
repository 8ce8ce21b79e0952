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
from dispatcher.engine.state import Live
from dispatcher.engine.vehicle_day import VehicleDay
from dispatcher.model import Plan
from dispatcher.store import fleet as fleet_store
from dispatcher.store import repo
from dispatcher.store.tables import ShiftRow, VehicleRow

if TYPE_CHECKING:
    from dispatcher.engine.core import Engine

log = logging.getLogger("noriai.engine")


def start(eng: Engine) -> None:
    """Seed an empty database, create shifts ahead, and rebuild the live state."""
    horizon = [eng.today() + timedelta(days=k)
               for k in range(eng.service.booking.max_days_ahead + 1)]
    with eng.unit_of_work() as s:
        repo.seed_service(s, eng.service)
        s.flush()
        repo.ensure_shifts(s, eng.service, horizon)
    rebuild(eng)


def _add_vehicle_day(eng: Engine, live: Live, sh: ShiftRow, v: VehicleRow) -> None:
    if v.active:
        live.add_vehicle_day(eng.rows.vehicle(sh, v), ended=sh.ended_at is not None)


def ensure_day(eng: Engine, day: date) -> None:
    """Make sure the shifts of ``day`` exist and are in the live state."""
    if any(VehicleDay.of(k).day == day for k in eng.live.vehicles):
        return
    with eng.unit_of_work() as s:
        created = repo.ensure_shifts(s, eng.service, [day])
        shifts = fleet_store.shifts_of_day(s, day)
        vehicles = fleet_store.vehicles_by_id(s)
    if created or shifts:
        with eng.lock:
            for sh in shifts:
                _add_vehicle_day(eng, eng.live, sh, vehicles[sh.vehicle_id])


def rebuild(eng: Engine) -> None:
    """Rebuild vehicles, states, plans and open bookings from the database."""
    first = eng.today() - timedelta(days=1)
    with eng.reading() as s:
        vehicles = fleet_store.vehicles_by_id(s)
        shifts = repo.shifts_from(s, first)
        rows = repo.open_bookings(s)
        stored = repo.plan_rows(s)
    with eng.lock:
        live = Live()
        for sh in shifts:
            _add_vehicle_day(eng, live, sh, vehicles[sh.vehicle_id])
        for row in rows:
            live.bookings[row.id] = eng.rows.booking(row)
            if row.vehicle_id:
                live.assigned[row.id] = VehicleDay(row.vehicle_id, row.service_day).key
        for key, prow in stored.items():
            if key not in live.vehicles:
                continue
            live.revisions[key] = prow.revision
            live.states[key] = eng.rows.state(live.vehicles[key], prow, live.bookings)
            live.plans[key] = eng.rows.plan(key, prow, live.bookings)
        eng.planner.live = live
        _repair_after_restart(eng)
        eng.version += 1


def _repair_after_restart(eng: Engine) -> None:
    """Re-plan every day whose stored plans no longer hold or miss a booking.

    The re-optimiser's repair (:func:`dispatcher.recovery.repair`): a booking keeps its
    promise on any vehicle that can keep it, and one that none can keep any more is placed
    where it is least late — a confirmed booking is never dropped from the plans.
    """
    now = eng.clock()
    live, planner = eng.live, eng.planner
    for day in sorted({VehicleDay.of(k).day for k in live.vehicles}):
        fleet = planner.fleet(day, now, relax=False)
        keys = {v.id for v in fleet.vehicles}
        missing = {b: bk for b, bk in live.bookings.items()
                   if b not in fleet.bookings and (live.assigned.get(b) in keys or (
                       b not in live.assigned and planner.day_of(bk) == day))}
        if not fleet.vehicles or not (fleet.bookings or missing):
            continue
        fleet = replace(fleet, bookings={**fleet.bookings, **missing})
        late = [v.id for v in fleet.vehicles
                if not planner.check(v.id, fleet.plan_of(v), fleet.state_of(v)).feasible]
        if not late and not missing:
            continue
        log.warning("plans of %s re-planned after restart (late: %s, missing: %d)",
                    day, late, len(missing))
        rep = recovery.repair(fleet, planner.plan_s, eng.params, eng.places.dist_m)
        for vid, stops in rep.routes.items():
            old = live.plans[vid]
            if stops != old.stops:
                live.plans[vid] = Plan(vid, stops, min(old.locked, len(stops)))
            for st in stops:
                live.assigned[st.booking_id] = vid
        for bid, late_s in rep.late.items():
            log.error("booking %s re-planned after restart %d s late", bid, late_s)
