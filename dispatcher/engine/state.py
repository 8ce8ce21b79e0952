"""The live state the engine plans on, and the pure changes to it that bookings make.

No I/O: the service modules (:mod:`dispatcher.engine.offers`, ``bookings``, ``driving``, ...)
load and store it; these functions only change it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np

from dispatcher.engine.vehicle_day import VehicleDay
from dispatcher.model import Booking, Plan, Vehicle, VehicleState


@dataclass(frozen=True)
class DayView:
    """One vehicle-day as the shells see it: a snapshot of its vehicle (with that day's shift),
    where it is, its plan and plan revision, whether it is driving to its first stop or its
    driver ended the shift, and the bookings on its plan or on board."""

    vd: VehicleDay
    vehicle: Vehicle
    state: VehicleState
    plan: Plan
    revision: int
    en_route: bool
    ended: bool
    bookings: Mapping[str, Booking]


@dataclass
class Live:
    """Vehicles per service day (keyed by :attr:`VehicleDay.key`), their states and plans, and
    the open bookings with the vehicle-day each is planned on.

    ``revisions`` numbers each plan's versions (a new number for every change the driver app
    must show); ``en_route`` holds the vehicle-days driving to their first (locked) stop —
    reported departed, not yet there; ``ended`` those whose driver reported the shift over.
    """

    vehicles: dict[str, Vehicle] = field(default_factory=dict)
    states: dict[str, VehicleState] = field(default_factory=dict)
    plans: dict[str, Plan] = field(default_factory=dict)
    bookings: dict[str, Booking] = field(default_factory=dict)
    assigned: dict[str, str] = field(default_factory=dict)
    revisions: dict[str, int] = field(default_factory=dict)
    en_route: set[str] = field(default_factory=set)
    ended: set[str] = field(default_factory=set)
    #: How many plan revisions :meth:`revise` has given in all (a cheap "anything changed?").
    changes: int = 0
    #: The vehicle-days of each day and of each vehicle (kept by :meth:`add_vehicle_day` and
    #: :meth:`forget`): a large fleet's lookups need not walk every vehicle-day.
    by_day: dict[date, dict[str, VehicleDay]] = field(default_factory=dict)
    by_vehicle: dict[str, dict[str, VehicleDay]] = field(default_factory=dict)

    def view(self, vd: VehicleDay) -> DayView | None:
        """A snapshot of vehicle-day ``vd`` (None when it has no shift)."""
        key = vd.key
        if key not in self.vehicles:
            return None
        state, plan = self.states[key], self.plans[key]
        ids = {st.booking_id for st in plan.stops} | set(state.onboard)
        return DayView(vd, self.vehicles[key], state, plan, self.revisions.get(key, 0),
                       key in self.en_route, key in self.ended,
                       {b: self.bookings[b] for b in ids if b in self.bookings})

    def revise(self, *keys: str) -> None:
        """Give each vehicle-day's plan a new revision number."""
        for k in keys:
            self.revisions[k] = self.revisions.get(k, 0) + 1
        self.changes += len(keys)

    def add_vehicle_day(self, vehicle: Vehicle, *, ended: bool) -> None:
        """Add a vehicle-day (idle at its depot from the start of its shift) unless known."""
        key = vehicle.id
        if key in self.vehicles:
            return
        self.vehicles[key] = vehicle
        vd = VehicleDay.of(key)
        self.by_day.setdefault(vd.day, {})[key] = vd
        self.by_vehicle.setdefault(vd.vehicle_id, {})[key] = vd
        if ended:
            self.ended.add(key)
        self.states.setdefault(key, VehicleState(key, vehicle.depot, vehicle.shift_start_s))
        self.plans.setdefault(key, Plan(key))
        self.revisions.setdefault(key, 0)

    def forget(self, key: str) -> None:
        """Take a vehicle-day out (its shift, state, plan and revision) before a reload."""
        for table in (self.vehicles, self.states, self.plans, self.revisions):
            table.pop(key, None)
        self.en_route.discard(key)
        self.ended.discard(key)
        vd = VehicleDay.of(key)
        self.by_day.get(vd.day, {}).pop(key, None)
        self.by_vehicle.get(vd.vehicle_id, {}).pop(key, None)

    def vehicle_days(self, vehicle_id: str | None = None, day: date | None = None
                     ) -> list[VehicleDay]:
        """The vehicle-days with a shift, optionally of one vehicle or one day, by key."""
        if day is not None and vehicle_id is not None:
            vd = VehicleDay(vehicle_id, day)
            return [vd] if vd.key in self.vehicles else []
        if day is not None:
            found = self.by_day.get(day, {})
        elif vehicle_id is not None:
            found = self.by_vehicle.get(vehicle_id, {})
        else:
            return [VehicleDay.of(k) for k in sorted(self.vehicles)]
        return [vd for _, vd in sorted(found.items())]

    def place(self, booking: Booking, key: str, plan: Plan) -> None:
        """Put ``booking`` on vehicle-day ``key`` with that day's new ``plan``."""
        self.bookings[booking.id] = booking
        self.plans[key] = plan
        self.assigned[booking.id] = key

    def unplace(self, booking_id: str, key: str, old_plan: Plan | None) -> None:
        """Undo :meth:`place` (when the database refused the change)."""
        self.bookings.pop(booking_id, None)
        self.assigned.pop(booking_id, None)
        if old_plan is not None:
            self.plans[key] = old_plan

    def drop(self, booking_id: str, leg_s: np.ndarray) -> str | None:
        """Take a booking out of the live state and its plan; the vehicle-day it was on.

        When the vehicle is driving to a stop of that booking (:meth:`end_leg`), it is planned
        from the end of that leg from now on (``leg_s``: planning travel times).
        """
        key = self.assigned.pop(booking_id, None)
        self.bookings.pop(booking_id, None)
        if key is not None:
            plan = self.plans[key]
            if key in self.en_route and plan.locked and plan.stops[0].booking_id == booking_id:
                self.end_leg(key, leg_s)
            stops = tuple(st for st in plan.stops if st.booking_id != booking_id)
            removed_locked = sum(1 for st in plan.stops[: plan.locked]
                                 if st.booking_id == booking_id)
            self.plans[key] = Plan(key, stops, plan.locked - removed_locked)
        return key

    def end_leg(self, key: str, leg_s: np.ndarray) -> None:
        """A vehicle-day driving to its first stop, which is about to leave its plan: it is
        put where that leg ends, free when the leg's planning time (``leg_s``) from its
        departure is over, and no longer driving to a stop of its plan.

        The driver has left and is somewhere on that leg: planning from its start at "now"
        would let the next stop be planned from a place the vehicle has left (and its driver
        be told to leave for it too late). The end of the leg is a place the vehicle surely
        reaches by then; a driver who turns off earlier is no later (a shortest path from a
        point on the way is no longer than going on to the end and on from there).
        """
        st, stops = self.states[key], self.plans[key].stops
        target = stops[0].node
        self.states[key] = replace(st, node=target, time_s=st.time_s + int(leg_s[st.node, target]))
        self.en_route.discard(key)

    def now_state(self, key: str, now_s: int, time_s: np.ndarray) -> VehicleState:
        """Where and when a vehicle-day is next free, seen at ``now_s``: an idle vehicle no
        earlier than now; one driving to its first stop there no earlier than now (``time_s``:
        expected travel times over the place index)."""
        st = self.states[key]
        plan = self.plans[key]
        free = now_s
        if key in self.en_route and plan.locked and plan.stops:
            free = now_s - int(time_s[st.node, plan.stops[0].node])
        return replace(st, time_s=free) if st.time_s < free else st

    def in_service(self, key: str, now_s: int) -> bool:
        """True while a vehicle-day takes part in planning: it has riders or stops, or its
        shift has neither ended (reported by its driver) nor passed its end."""
        if self.plans[key].stops or self.states[key].onboard:
            return True
        return key not in self.ended and now_s < self.vehicles[key].shift_end_s

    def load(self, key: str) -> int:
        """Persons on board a vehicle-day now."""
        return sum(self.bookings[b].request.passengers.persons
                   for b in self.states[key].onboard if b in self.bookings)
