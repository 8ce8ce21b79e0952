"""The planning view of the live state: fleets per day, timetables, insertions — no I/O.

:class:`Planner` holds the live state (:class:`~dispatcher.engine.state.Live`) with the road
data and parameters, and answers what the services ask of the pure core: the fleet of a day as
planning sees it now, a vehicle-day's timetable, the cheapest insertion of a promised booking.
It caches per route what depends only on the route (insertion index, loosened view, timetable).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date, datetime
from functools import partial
from types import MappingProxyType
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

import numpy as np

from dispatcher import flat_legs, fleet_prune, insertion, recovery, route_index
from dispatcher.engine.state import Live
from dispatcher.errors import NoriaiError
from dispatcher.eta import live_times
from dispatcher.feasibility import RouteCheck, check_route
from dispatcher.model import Booking, Fleet, Plan, Request, StopKind, Vehicle, VehicleState
from dispatcher.params import DispatchParams
from dispatcher.places import PlaceIndex, RoadNetwork
from dispatcher.timetable import timetable

#: A position report older than this (s) no longer moves the riders' ETAs.
POSITION_FRESH_S = 120

Clock = Callable[[], int]

T = TypeVar("T")


class RouteMemo(Generic[T]):
    """Per vehicle the last value computed from its route, reused while the vehicle, its state
    and its plan compare equal (a route's bookings change only with its plan)."""

    def __init__(self) -> None:
        self._memo: dict[str, tuple[Vehicle, VehicleState, Plan, T]] = {}

    def get(self, vehicle: Vehicle, state: VehicleState, plan: Plan, compute: Callable[[], T]) -> T:
        """The value for this route: the remembered one, else ``compute()`` (remembered)."""
        hit = self._memo.get(vehicle.id)
        if hit is not None and (hit[0] is vehicle or hit[0] == vehicle) and (
                hit[1] is state or hit[1] == state) and (hit[2] is plan or hit[2] == plan):
            return hit[3]
        value = compute()
        self._memo[vehicle.id] = (vehicle, state, plan, value)
        return value

class Planner:
    """The live state and the pure core's questions about it (see the module)."""

    def __init__(self, live: Live, places: PlaceIndex, network: RoadNetwork,
                 params: DispatchParams, tz: ZoneInfo, clock: Clock) -> None:
        self.live = live
        self.places = places
        self.network = network
        self.params = params
        self.tz = tz
        self.clock = clock
        self._schedules: dict[str, tuple[tuple[int, int, int], RouteCheck]] = {}
        #: Insertion index of each vehicle-day's route, reused between offers while the route
        #: (vehicle, state, plan) is unchanged: (vehicle, state, plan, index or None).
        self._route_index: RouteMemo[route_index.RouteIndex | None] = RouteMemo()
        #: Planning view of each vehicle-day's route (loosened when late, see
        #: dispatcher.recovery), reused while (vehicle, state, plan) are unchanged.
        self._relaxed: RouteMemo[recovery.Relaxed | None] = RouteMemo()
        self._plan_src: object = None
        self._plan_s = places.time_s
        self._cmat_src: object = None
        self._cmat = np.zeros((0, 0))
        #: The legs of the last offer's fleet by nodes, for pruning (:meth:`nodes`).
        self._nodes: fleet_prune.FleetNodes | None = None
        #: The open legs of the routes prepared for offers, kept while they are unchanged.
        self.legs = flat_legs.LegPool()

    @property
    def plan_s(self) -> np.ndarray:
        """Planning (pessimistic) travel times over the place index: promises are checked
        against these (:meth:`DispatchParams.planning_times`); expected times are
        ``places.time_s``."""
        src = self.places.time_s
        if src is not self._plan_src:
            self._plan_s = self.params.planning_times(src)
            self._plan_src = src
        return self._plan_s

    @property
    def cmat(self) -> np.ndarray:
        """The objective's cost of driving between places under planning times
        (:func:`dispatcher.route_index.cost_matrix`), kept while those are the same."""
        plan_s = self.plan_s
        if plan_s is not self._cmat_src:
            self._cmat = route_index.cost_matrix(plan_s, self.places.dist_m, self.params)
            self._cmat_src = plan_s
        return self._cmat

    def day_of(self, booking: Booking) -> date:
        """The service day of a booking (local date of its pickup window)."""
        return datetime.fromtimestamp(booking.promise.pickup_earliest_s, tz=self.tz).date()

    def now_state(self, key: str, now_s: int) -> VehicleState:
        """Where and when a vehicle-day is next free, seen at ``now_s`` (:meth:`Live.now_state`)."""
        return self.live.now_state(key, now_s, self.places.time_s)

    def fleet(self, day: date, now_s: int, relax: bool = True, lookups: bool = False) -> Fleet:
        """The fleet of one service day as planning sees it at ``now_s`` (:meth:`now_state`).

        Vehicles whose shift is over with nothing left to do are out. With ``relax``, late
        routes are loosened (:func:`dispatcher.recovery.relax_route`) so that offers and
        insertions work around them; the re-optimiser repairs from the view without.

        With ``lookups`` the fleet's bookings are a read-only view of every live booking (of
        every day): a superset that answers every lookup by id of the day's stops and riders
        exactly as the day's own would, without gathering them for each offer. Only for the
        offers and insertions, which look bookings up and never iterate them.
        """
        live = self.live
        keys = [k for k in live.by_day.get(day, {}) if live.in_service(k, now_s)]
        states = {k: self.now_state(k, now_s) for k in keys}
        bookings: Mapping[str, Booking]
        if lookups:
            bookings = MappingProxyType(live.bookings)
        else:
            used = {st.booking_id for k in keys for st in live.plans[k].stops}
            used |= {b for k in keys for b in states[k].onboard}
            bookings = {b: live.bookings[b] for b in used if b in live.bookings}
        fleet = Fleet(
            vehicles=tuple(self.planning_vehicle(k, states[k].time_s) for k in keys),
            states=states,
            plans={k: live.plans[k] for k in keys},
            bookings=bookings,
        )
        return self._relax(fleet) if relax else fleet

    def _relax(self, fleet: Fleet) -> Fleet:
        """The planning view of ``fleet``: late routes loosened (cached per route)."""
        relaxed: dict[str, recovery.Relaxed] = {}
        for v in fleet.vehicles:
            st, plan = fleet.state_of(v), fleet.plan_of(v)
            got = self._relaxed.get(v, st, plan, partial(
                recovery.relax_route, v, st, plan.stops, fleet.bookings, self.plan_s, self.params))
            if got is not None:
                relaxed[v.id] = got
        return recovery.apply_relaxed(fleet, relaxed)

    def late_keys(self, fleet: Fleet) -> list[str]:
        """The vehicle-days of ``fleet`` whose plan breaks a promise under planning times (the
        routes :meth:`fleet` loosens; cached per route). Only routes with riders or stops can."""
        out = []
        for v in fleet.vehicles:
            st, plan = fleet.state_of(v), fleet.plan_of(v)
            if (plan.stops or st.onboard) and self._relaxed.get(v, st, plan, partial(
                    recovery.relax_route, v, st, plan.stops, fleet.bookings, self.plan_s,
                    self.params)) is not None:
                out.append(v.id)
        return out

    def indexed(self, fleet: Fleet) -> list[route_index.RouteIndex]:
        """The fleet's feasible routes indexed for insertions, reusing unchanged ones.

        A route's index depends only on its vehicle, state, plan and the plan's bookings (which
        change only with the plan), so it is kept while those three compare equal.
        """
        out = []
        for v in fleet.vehicles:
            st, plan = fleet.state_of(v), fleet.plan_of(v)
            ri = self._route_index.get(v, st, plan, partial(
                route_index.index_route, v, st, plan.stops, plan.locked, fleet.bookings,
                self.plan_s, self.params, self.places.dist_m))
            if ri is not None:
                out.append(ri)
        return out

    def nodes(self, fleet: Fleet) -> fleet_prune.FleetNodes:
        """``fleet``'s legs by nodes for the offers' pruning (:mod:`dispatcher.fleet_prune`),
        reusing the parts of unchanged plans."""
        self._nodes = fleet_prune.fleet_nodes(fleet, self._nodes)
        return self._nodes

    def source(self, fleet: Fleet) -> fleet_prune.RouteSource:
        """One vehicle-day of ``fleet`` (as :meth:`fleet` gives it with ``relax=False``) prepared
        on demand as :meth:`fleet` and :meth:`indexed` would: its planning view (loosened when
        late) indexed for insertions, with the bookings it was checked with (cached per route)."""
        by_id = {v.id: v for v in fleet.vehicles}

        def prepare(vid: str) -> tuple[route_index.RouteIndex | None, Mapping[str, Booking]]:
            v = by_id[vid]
            st, plan = fleet.state_of(v), fleet.plan_of(v)
            got = self._relaxed.get(v, st, plan, partial(
                recovery.relax_route, v, st, plan.stops, fleet.bookings, self.plan_s,
                self.params))
            books: Mapping[str, Booking] = fleet.bookings
            if got is not None:
                v, books = got.vehicle, fleet_prune.Overlay(got.bookings, fleet.bookings)
            ri = self._route_index.get(v, st, plan, partial(
                route_index.index_route, v, st, plan.stops, plan.locked, books,
                self.plan_s, self.params, self.places.dist_m))
            return ri, books

        return prepare

    def view(self, fleet: Fleet, keys: list[str]) -> Fleet:
        """The planning view (:meth:`fleet` with ``relax``) of some vehicle-days of ``fleet``."""
        keep = set(keys)
        part = Fleet(tuple(v for v in fleet.vehicles if v.id in keep),
                     {k: s for k, s in fleet.states.items() if k in keep},
                     {k: p for k, p in fleet.plans.items() if k in keep}, fleet.bookings)
        return self._relax(part)

    def check(self, key: str, plan: Plan, state: VehicleState | None = None) -> RouteCheck:
        """A vehicle-day's ``plan`` from ``state`` (default: its live state) checked against
        planning times."""
        state = state or self.live.states[key]
        # A break whose latest start is past by now can no longer be taken (as in fleet).
        vehicle = self.planning_vehicle(key, max(state.time_s, self.clock()))
        return check_route(vehicle, state, plan.stops, self.live.bookings, self.plan_s,
                           self.params, self.places.dist_m)

    def planning_vehicle(self, key: str, time_s: int) -> Vehicle:
        """The vehicle as planned from ``time_s``: breaks that can no longer start are dropped.

        A break whose latest start has passed was missed (or taken without a report); keeping it
        would make every plan of the vehicle infeasible for the rest of the day.
        """
        vehicle = self.live.vehicles[key]
        keep = tuple(b for b in vehicle.breaks if b.latest_end_s - b.duration_s >= time_s)
        return vehicle if len(keep) == len(vehicle.breaks) else replace(vehicle, breaks=keep)

    def forget(self, keys: list[str] | None = None) -> None:
        """Drop what is remembered per plan revision of ``keys`` (their plans were reloaded;
        None: of every vehicle-day)."""
        if keys is None:
            self._schedules.clear()
        for k in keys or ():
            self._schedules.pop(k, None)

    def schedule(self, key: str) -> RouteCheck:
        """The timetable of a vehicle-day's plan from where it is now (:mod:`dispatcher.timetable`).

        Always timed unless the plan is structurally broken: expected times for the driver and
        the riders, ``leave_by`` and slack under planning times, and the promises the vehicle
        will break (``late``) or may break (``at_risk``) named. Cached per plan revision,
        possible breaks and the vehicle's free time.
        """
        st = self.now_state(key, self.clock())
        vehicle = self.planning_vehicle(key, st.time_s)
        rev = (self.live.revisions.get(key, 0), len(vehicle.breaks), st.time_s)
        cached = self._schedules.get(key)
        if cached and cached[0] == rev:
            return cached[1]
        check = timetable(vehicle, st, self.live.plans[key].stops, self.live.bookings,
                          self.plan_s, self.places.time_s, self.params, self.places.dist_m)
        self._schedules[key] = (rev, check)
        return check

    def live_times(self, key: str, position: tuple[float, float, int] | None
                   ) -> tuple[list[tuple[int, int]], str]:
        """Arrival and departure times (epoch s) of a vehicle-day's planned stops, and their source.

        From the vehicle's reported ``position`` ``(lat, lon, at_s)`` when it is driving to its
        next stop and the report is fresh (``"position"``), else as planned (``"plan"``).
        """
        check = self.schedule(key)
        planned = [(st.arrival_s, st.departure_s) for st in check.stops]
        plan = self.live.plans[key]
        if not planned or position is None or key not in self.live.en_route:
            return planned, "plan"
        lat, lon, at = position
        now = self.clock()
        if now - at > POSITION_FRESH_S or at < self.live.states[key].time_s:
            return planned, "plan"
        try:
            here = self.network.snap(lat, lon)
        except NoriaiError:
            return planned, "plan"
        t, _ = self.network.matrix([here], [self.places.node_of(plan.stops[0].node)])
        travel = int(t[0, 0])
        if not 0 <= travel <= 6 * 3600:  # unreachable from there
            return planned, "plan"
        return live_times(check.stops, now + travel), "position"

    def insert_promised(self, booking: Booking, day: date | None, prefer: str | None = None,
                        only: str | None = None) -> tuple[str, Plan] | None:
        """Cheapest feasible insertion of a booking with its promise fixed (preferred vehicle
        first: the offer showed its plan, so it is kept while the booking still fits). Each
        vehicle-day is prepared (:meth:`source`) only when tried."""
        fleet = self.fleet(day or self.day_of(booking), self.clock(), relax=False, lookups=True)
        prepare = self.source(fleet)
        keys = [only] if only else sorted(fleet.plans, key=lambda k: (k != prefer, k))
        cmat = self.cmat
        best: tuple[float, str, Plan] | None = None
        for key in keys:
            if key not in fleet.plans:
                continue
            ri, books = prepare(key)
            if ri is None:
                continue
            found = insertion.insertions_into(
                ri, fleet_prune.Overlay({booking.id: booking}, books), booking, self.plan_s,
                self.params, self.places.dist_m, cmat)
            if not found:
                continue
            ins = found[0]
            plan = Plan(key, ins.stops, ri.locked)
            if key == prefer:
                return key, plan
            if best is None or ins.added_cost < best[0]:
                best = (ins.added_cost, key, plan)
        return None if best is None else (best[1], best[2])

    def late_s(self, key: str, state: VehicleState) -> int:
        """Total lateness (s, planning times) of a vehicle-day's promises from ``state``."""
        vehicle = self.planning_vehicle(key, state.time_s)
        got = recovery.relax_route(vehicle, state, self.live.plans[key].stops,
                                   self.live.bookings, self.plan_s, self.params)
        return sum(x.by_s for x in got.late) if got else 0

    def expected_offer(self, fleet: Fleet, request: Request, offer: insertion.Offer
                       ) -> insertion.Offer:
        """The offer with the expected pickup and drop-off of its plan's timetable (what the
        rider is told; the promise was checked against planning times)."""
        vehicle = next(v for v in fleet.vehicles if v.id == offer.vehicle_id)
        books = fleet_prune.Overlay({request.id: offer.booking(request)}, fleet.bookings)
        tt = timetable(vehicle, fleet.state_of(vehicle), offer.plan.stops, books, self.plan_s,
                       self.places.time_s, self.params)
        if len(tt.stops) != len(offer.plan.stops):
            return offer
        at = {(st.booking_id, st.kind): tt.stops[i].start_s
              for i, st in enumerate(offer.plan.stops)}
        return replace(offer, expected_pickup_s=at[(request.id, StopKind.PICKUP)],
                       expected_dropoff_s=at[(request.id, StopKind.DROPOFF)])
