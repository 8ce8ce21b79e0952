"""Promises at risk and late vehicles: found from the timetables, told on changes only.

:func:`findings` reads the vehicle-days' timetables (pure); :class:`AlertMemory` remembers
what riders and operators were already told and :meth:`AlertMemory.changes` turns new
findings into the events to write (pure); :func:`watch` does both and writes them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from dispatcher.engine.vehicle_day import VehicleDay
from dispatcher.feasibility import RouteCheck
from dispatcher.statuses import EventType
from dispatcher.store import repo
from dispatcher.store.types import to_dt

if TYPE_CHECKING:
    from dispatcher.engine.core import Engine

#: A late vehicle is reported again when its lateness changes by this much (s).
LATE_REPORT_STEP_S = 120

Part = tuple[str, str]  # (what: pickup|dropoff|ride, level: late|at_risk)


@dataclass(frozen=True)
class Findings:
    """Per booking the promises found at risk (with the event data), per vehicle its worst
    lateness (s, 0 when on time)."""

    at_risk: dict[str, dict[Part, dict[str, Any]]]
    vehicle_late: dict[str, int]


@dataclass(frozen=True)
class Alert:
    """An event to write: type, booking and vehicle, data."""

    type: EventType
    booking_id: str | None
    vehicle_id: str | None
    data: dict[str, Any] = field(default_factory=dict)


def findings(checks: Iterable[tuple[str, RouteCheck]]) -> Findings:
    """What the timetables of vehicle-days (``(key, check)``) say about their promises."""
    found: dict[str, dict[Part, dict[str, Any]]] = {}
    vehicle_late: dict[str, int] = {}
    for key, check in checks:
        if not check.stops:
            continue
        vid = VehicleDay.of(key).vehicle_id
        worst = 0
        for level, items in (("late", check.late), ("at_risk", check.at_risk)):
            for x in items:
                found.setdefault(x.booking_id, {})[(x.part.value, level)] = {
                    "vehicle_id": vid, "what": x.part.value, "level": level,
                    "late_s": x.by_s, "expected_at": check.stops[x.stop_index].start_s,
                    "promised_by": check.stops[x.stop_index].start_s - x.by_s}
                if level == "late":
                    worst = max(worst, x.by_s)
        vehicle_late[vid] = worst
    return Findings(found, vehicle_late)


@dataclass
class AlertMemory:
    """What was told: per booking the promises reported at risk, per vehicle its lateness."""

    at_risk: dict[str, frozenset[Part]] = field(default_factory=dict)
    late_vehicles: dict[str, int] = field(default_factory=dict)

    def changes(self, found: Findings, looked: set[str], where: Callable[[str], str | None],
                done: Callable[[str], bool]) -> list[Alert]:
        """The alerts to send for ``found`` (and remember them): promises newly at risk,
        promises safe again (``kept``, or ``done`` when the booking left the plans) on the
        vehicle-days ``looked`` at, late vehicles and vehicles on time again. ``where`` gives
        a booking's vehicle-day key, ``done`` whether it left the plans."""
        out: list[Alert] = []
        for bid, parts in found.at_risk.items():
            before = self.at_risk.get(bid, frozenset())
            for part, data in parts.items():
                if part not in before:
                    rest = {k: v for k, v in data.items() if k != "vehicle_id"}
                    out.append(Alert(EventType.PROMISE_AT_RISK, bid, data["vehicle_id"], rest))
            self.at_risk[bid] = frozenset(parts)
        for bid in [b for b in self.at_risk if b not in found.at_risk]:
            key, gone = where(bid), done(bid)
            if not gone and key not in looked:
                continue  # on a vehicle not looked at this time
            out.append(Alert(EventType.PROMISE_RECOVERED, bid,
                             VehicleDay.of(key).vehicle_id if key else None,
                             {"reason": "done" if gone else "kept"}))
            del self.at_risk[bid]
        for vid, late_s in found.vehicle_late.items():
            was = self.late_vehicles.get(vid, 0)
            if late_s > 0 and (was == 0 or abs(late_s - was) >= LATE_REPORT_STEP_S):
                out.append(Alert(EventType.VEHICLE_LATE, None, vid, {"late_s": late_s}))
                self.late_vehicles[vid] = late_s
            elif late_s == 0 and was > 0:
                out.append(Alert(EventType.VEHICLE_ON_TIME, None, vid))
                self.late_vehicles.pop(vid, None)
        return out


def watch(eng: Engine, day: date | None = None, keys: list[str] | None = None) -> list[str]:
    """Tell riders and operators when a promise is at risk, and when it is safe again.

    Compares each vehicle-day's timetable (:meth:`Planner.schedule`) with the alerts already
    sent and writes the changes as events: ``promise_at_risk`` (data: ``what`` pickup|dropoff|
    ride, ``level`` late — broken under expected times — or at_risk — under planning times
    only, ``late_s``, ``expected_at``, ``promised_by``, epoch s), ``promise_recovered``
    (``reason`` kept|done), ``vehicle_late`` (``late_s``) and ``vehicle_on_time``. Returns
    the event types written. Call under the lock.
    """
    now = eng.clock()
    if keys is None:
        keys = eng.vehicle_day_keys(day=day or eng.today())
    live = eng.live
    found = findings((k, eng.planner.schedule(k)) for k in keys if live.in_service(k, now))
    alerts = eng.alerts.changes(found, set(keys), live.assigned.get,
                                lambda b: b not in live.bookings)
    with eng.unit_of_work() as s:
        for a in alerts:
            repo.add_event(s, a.type, booking_id=a.booking_id, vehicle_id=a.vehicle_id,
                           at=to_dt(now), **a.data)
    return [str(a.type) for a in alerts]


def watch_vehicle(eng: Engine, vehicle_id: str | None) -> None:
    """:func:`watch` the vehicle's days after a change (outside any transaction)."""
    if vehicle_id is None:
        return
    with eng.lock:
        keys = eng.vehicle_day_keys(vehicle_id)
        if keys:
            watch(eng, keys=keys)

