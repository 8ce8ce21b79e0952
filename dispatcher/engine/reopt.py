"""One background re-optimisation cycle: solve a snapshot, swap it in only if nothing changed
meanwhile and it keeps every promise (or repairs a late vehicle), then write the moves."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlmodel import Session

from dispatcher import neighbourhood, optimize
from dispatcher.engine.results import ReoptResult
from dispatcher.engine.vehicle_day import VehicleDay
from dispatcher.model import Plan
from dispatcher.statuses import EventType
from dispatcher.store import bookings as booking_store
from dispatcher.store import repo
from dispatcher.store.types import to_dt

if TYPE_CHECKING:
    from dispatcher.engine.core import Engine

_DONE = (optimize.ReoptStatus.IMPROVED, optimize.ReoptStatus.REPAIRED)


def reoptimize(eng: Engine, day: date | None = None, time_limit_s: float = 2.0,
               seed: int = 0) -> ReoptResult:
    """One background cycle: solve a snapshot, swap only if unchanged, feasible and better.

    A late vehicle never makes the cycle fail: its bookings that another vehicle can keep
    on time are handed over, the rest are placed where they are least late
    (:mod:`dispatcher.recovery`); status ``repaired``. Alerts follow (:func:`watch`).
    A day with more than ``params.search.neighbourhood_vehicles`` vehicles is worked on one
    neighbourhood per cycle (a late vehicle first, else a drawn one, with the routes nearest to
    it: :mod:`dispatcher.neighbourhood`).
    """
    day = day or eng.today()
    now = eng.clock()
    with eng.lock:
        version = eng.version
        fleet = eng.planner.fleet(day, now, relax=False)
        if not fleet.vehicles or not fleet.bookings:
            eng.watch(day)
            return {"status": "idle", "day": day.isoformat()}
        time_s, dist_m = eng.planner.plan_s, eng.places.dist_m
        size = eng.params.search.neighbourhood_vehicles
        if size and len(fleet.vehicles) > size:
            # A large day: this cycle works on one neighbourhood (dispatcher.neighbourhood);
            # the other plans stay as they are.
            fleet = neighbourhood.neighbourhood(fleet, time_s, size, seed * 1_000_003 + now,
                                                eng.planner.late_keys(fleet))
    result = optimize.reoptimize(fleet, time_s, eng.params, dist_m=dist_m,
                                 time_limit_s=time_limit_s, seed=seed)
    out: ReoptResult = {"status": result.status.value, "day": day.isoformat()}
    with eng.writing(day):
        if result.status not in _DONE:
            eng.watch(day)
            return out
        if eng.version != version:
            return {"status": "stale", "day": day.isoformat()}
        live = eng.live
        changed = [k for k, p in result.plans.items() if p != live.plans.get(k)]
        if not changed:
            eng.watch(day)
            return {"status": "unchanged", "day": day.isoformat()}
        for k in changed:
            live.plans[k] = result.plans[k]
        live.revise(*changed)
        for k, p in result.plans.items():
            for st in p.stops:
                live.assigned[st.booking_id] = k
        vehicles = [VehicleDay.of(k).vehicle_id for k in changed]
        with eng.unit_of_work() as s:
            for k in changed:
                eng.save_plan(s, k)
            write_moves(s, changed, result.plans, result.status.value, now)
            repo.add_event(s, EventType.REOPTIMIZED, at=to_dt(now), vehicles=vehicles,
                           cost_before=result.cost_before, cost_after=result.cost_after,
                           status=result.status.value, moved=list(result.moved),
                           late=result.late)
        eng.bump()
        eng.watch(day)
        return {**out, "vehicles": vehicles, "cost_before": result.cost_before,
                "cost_after": result.cost_after, "moved": list(result.moved),
                "late": result.late}


def write_moves(s: Session, changed: list[str], plans: dict[str, Plan], reason: str,
                now: int) -> None:
    """Put each booking of a changed plan on its new vehicle, with a ``moved`` event."""
    for k in changed:
        vid = VehicleDay.of(k).vehicle_id
        for st in plans[k].stops:
            r = booking_store.get_booking(s, st.booking_id)
            if r is not None and r.vehicle_id != vid:
                repo.add_event(s, EventType.MOVED, booking_id=r.id, vehicle_id=vid,
                               actor_id="optimizer", at=to_dt(now),
                               from_vehicle=r.vehicle_id, reason=reason)
                r.vehicle_id = vid
                r.updated_at = to_dt(now)
