"""The real-time engine: offers, bookings, driver progress, re-optimisation — clock injected.

The engine keeps the live state in memory (vehicles per service day, their states and plans,
the open bookings) and writes every change to the database in one transaction together with
its events, under one lock, so that concurrent riders never over-book a vehicle. On start it
rebuilds the live state from the database (bookings keep their promises; stored plans are
re-checked and, where a plan no longer holds, its bookings are re-inserted with their promises).

Vehicles are planned per service day: the core vehicle id of vehicle ``V`` on day ``D`` is
``"V@D"`` (:func:`vd_key`), so that advance bookings live in their own day's plans.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Engine as DbEngine
from sqlmodel import Session, col, select

from dispatcher import insertion, optimize, recovery
from dispatcher.errors import (
    Conflict,
    Forbidden,
    Infeasible,
    InvalidInput,
    NoriaiError,
    NotFound,
    RuleViolation,
)
from dispatcher.eta import live_times
from dispatcher.fares import fare_for
from dispatcher.feasibility import RouteCheck, check_route
from dispatcher.model import (
    Booking,
    Break,
    Fleet,
    Passengers,
    Plan,
    PlannedStop,
    Promise,
    Request,
    StopKind,
    TimeRule,
    Vehicle,
    VehicleState,
)
from dispatcher.params import DispatchParams
from dispatcher.places import PlaceIndex, RoadNetwork
from dispatcher.rules import check_party, check_request_time
from dispatcher.service_area import ServiceArea
from dispatcher.store import repo
from dispatcher.store.tables import (
    BookingRow,
    Event,
    OfferRow,
    PlanRow,
    ShiftRow,
    StopRow,
    User,
    VehicleRow,
)
from dispatcher.timetable import timetable
from dispatcher.trip import Place, TripInput

log = logging.getLogger("noriai.engine")

#: A position report older than this (s) no longer moves the riders' ETAs.
POSITION_FRESH_S = 120

Clock = Callable[[], int]


def vd_key(vehicle_id: str, day: date) -> str:
    """Core vehicle id of a vehicle on a service day."""
    return f"{vehicle_id}@{day.isoformat()}"


def split_vd(key: str) -> tuple[str, date]:
    """Vehicle id and service day of a core vehicle id."""
    vid, _, day = key.rpartition("@")
    return vid, date.fromisoformat(day)


def _dt(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def _s(moment: datetime) -> int:
    return int(moment.timestamp())


@dataclass
class Live:
    """The in-memory state the engine plans on (rebuilt from the database on start)."""

    vehicles: dict[str, Vehicle]
    states: dict[str, VehicleState]
    plans: dict[str, Plan]
    bookings: dict[str, Booking]
    assigned: dict[str, str]
    revisions: dict[str, int]


class Engine:
    """The dispatch service's state machine over the database and the pure core.

    Parameters
    ----------
    service
        The service configuration.
    db
        SQLAlchemy engine of a migrated database.
    network
        The road network (snapping and travel times).
    clock
        Returns "now" in epoch seconds (wall clock, or an accelerated one in the demo).
    params
        Dispatch parameters (default: the service's ``[dispatch]`` table).
    """

    def __init__(self, service: ServiceArea, db: DbEngine, network: RoadNetwork,
                 clock: Clock, params: DispatchParams | None = None) -> None:
        self.service = service
        self.db = db
        self.network = network
        self.clock = clock
        self.params = params or service.dispatch_params()
        self.tz = ZoneInfo(service.timezone)
        self.lock = threading.RLock()
        self.version = 0
        self.changed = threading.Condition(self.lock)
        stop_nodes = [network.snap(s.lat, s.lon, service.zone) for s in service.stops]
        self.places = PlaceIndex(network, stop_nodes)
        self.stop_place = {s.id: self.places.index_of(n) for s, n in zip(service.stops, stop_nodes,
                                                                          strict=True)}
        self.live = Live({}, {}, {}, {}, {}, {})
        self._schedules: dict[str, tuple[tuple[int, int, int], RouteCheck]] = {}
        #: Vehicle-days driving to their first (locked) stop: reported departed, not yet there.
        self._en_route: set[str] = set()
        #: Insertion index of each vehicle-day's route, reused between offers while the route
        #: (vehicle, state, plan) is unchanged: (vehicle, state, plan, index or None).
        self._route_index: dict[str, tuple[Vehicle, VehicleState, Plan,
                                           insertion.RouteIndex | None]] = {}
        #: Planning view of each vehicle-day's route (loosened when late, see
        #: dispatcher.recovery), reused while (vehicle, state, plan) are unchanged.
        self._relaxed: dict[str, tuple[Vehicle, VehicleState, Plan,
                                       recovery.Relaxed | None]] = {}
        #: Vehicle-days whose driver reported the shift over (out of planning).
        self._ended: set[str] = set()
        #: Promises currently reported at risk, per booking: (part, level) pairs; and vehicles
        #: reported late, with their lateness (s) — so that alerts are sent on changes only.
        self._alerts: dict[str, frozenset[tuple[str, str]]] = {}
        self._late_vehicles: dict[str, int] = {}
        self._plan_src: object = None
        self._plan_s = self.places.time_s

    # ------------------------------------------------------------------ start-up and state

    def now_dt(self) -> datetime:
        """The engine's "now" as an aware UTC datetime (for timestamps the shells write)."""
        return _dt(self.clock())

    @property
    def plan_s(self) -> np.ndarray:
        """Planning (pessimistic) travel times over the place index: promises are checked
        against these (:meth:`DispatchParams.planning_times`); expected times are
        ``self.places.time_s``."""
        src = self.places.time_s
        if src is not self._plan_src:
            self._plan_s = self.params.planning_times(src)
            self._plan_src = src
        return self._plan_s

    def today(self) -> date:
        """The local service day of "now"."""
        return datetime.fromtimestamp(self.clock(), tz=self.tz).date()

    def start(self) -> None:
        """Seed an empty database, create shifts ahead, and rebuild the live state from the store."""
        horizon = [self.today() + timedelta(days=k)
                   for k in range(self.service.booking.max_days_ahead + 1)]
        with Session(self.db, expire_on_commit=False) as s, s.begin():
            repo.seed_service(s, self.service)
            s.flush()
            repo.ensure_shifts(s, self.service, horizon)
        self.rebuild()

    def ensure_day(self, day: date) -> None:
        """Make sure the shifts of ``day`` exist and are in the live state."""
        if any(split_vd(k)[1] == day for k in self.live.vehicles):
            return
        with Session(self.db, expire_on_commit=False) as s, s.begin():
            created = repo.ensure_shifts(s, self.service, [day])
            shifts = list(s.exec(select(ShiftRow).where(ShiftRow.day == day)))
            vehicles = {v.id: v for v in s.exec(select(VehicleRow))}
        if created or shifts:
            with self.lock:
                for sh in shifts:
                    self._add_vehicle_day(sh, vehicles[sh.vehicle_id])

    def _add_vehicle_day(self, sh: ShiftRow, v: VehicleRow) -> None:
        key = vd_key(sh.vehicle_id, sh.day)
        if key in self.live.vehicles or not v.active:
            return
        breaks: tuple[Break, ...] = ()
        if sh.break_s and sh.break_earliest_at and sh.break_latest_end_at:
            breaks = (Break(_s(sh.break_earliest_at), _s(sh.break_latest_end_at), sh.break_s),)
        depot = self.stop_place[v.depot_stop_id]
        vehicle = Vehicle(key, v.seats, v.wheelchair_spaces, depot, _s(sh.start_at),
                          _s(sh.end_at), breaks)
        self.live.vehicles[key] = vehicle
        if sh.ended_at is not None:
            self._ended.add(key)
        self.live.states.setdefault(key, VehicleState(key, depot, vehicle.shift_start_s))
        self.live.plans.setdefault(key, Plan(key))
        self.live.revisions.setdefault(key, 0)

    def rebuild(self) -> None:
        """Rebuild vehicles, states, plans and open bookings from the database."""
        first = self.today() - timedelta(days=1)
        with Session(self.db, expire_on_commit=False) as s:
            vehicles = {v.id: v for v in s.exec(select(VehicleRow))}
            shifts = repo.shifts_from(s, first)
            rows = repo.open_bookings(s)
            stored = repo.plan_rows(s)
        with self.lock:
            self.live = Live({}, {}, {}, {}, {}, {})
            for sh in shifts:
                self._add_vehicle_day(sh, vehicles[sh.vehicle_id])
            for row in rows:
                self.live.bookings[row.id] = self._core_booking(row)
                if row.vehicle_id:
                    self.live.assigned[row.id] = vd_key(row.vehicle_id, row.service_day)
            for key, prow in stored.items():
                if key not in self.live.vehicles:
                    continue
                self.live.revisions[key] = prow.revision
                self.live.states[key] = self._state_from_row(key, prow)
                stops = tuple(
                    PlannedStop(st["booking_id"], StopKind(st["kind"]), self._place_of_stop_json(st))
                    for st in prow.stops if st["booking_id"] in self.live.bookings
                )
                self.live.plans[key] = Plan(key, stops, min(prow.locked, len(stops)))
            self._repair_after_restart()
            self.version += 1

    def _state_from_row(self, key: str, prow: PlanRow) -> VehicleState:
        vehicle = self.live.vehicles[key]
        node = vehicle.depot
        if prow.state_lat is not None and prow.state_lon is not None:
            node = self.places.index_of(self.network.snap(prow.state_lat, prow.state_lon))
        elif prow.state_node_stop:
            node = self.stop_place.get(prow.state_node_stop, vehicle.depot)
        onboard = tuple(b["booking_id"] for b in prow.onboard if b["booking_id"] in self.live.bookings)
        departed = tuple(int(b["departed_s"]) for b in prow.onboard
                         if b["booking_id"] in self.live.bookings)
        time_s = _s(prow.state_at) if prow.state_at else vehicle.shift_start_s
        return VehicleState(key, node, time_s, onboard, departed)

    def _place_of_stop_json(self, st: dict[str, Any]) -> int:
        if st.get("stop_id"):
            return self.stop_place[st["stop_id"]]
        return self.places.index_of(self.network.snap(st["lat"], st["lon"]))

    def _repair_after_restart(self) -> None:
        """Re-plan every day whose stored plans no longer hold or miss a booking.

        The re-optimiser's repair (:func:`dispatcher.recovery.repair`): a booking keeps its
        promise on any vehicle that can keep it, and one that none can keep any more is placed
        where it is least late — a confirmed booking is never dropped from the plans.
        """
        now = self.clock()
        for day in sorted({split_vd(k)[1] for k in self.live.vehicles}):
            fleet = self._fleet(day, now, relax=False)
            keys = {v.id for v in fleet.vehicles}
            missing = {b: bk for b, bk in self.live.bookings.items()
                       if b not in fleet.bookings and (self.live.assigned.get(b) in keys or (
                           b not in self.live.assigned and self._day_of(bk) == day))}
            if not fleet.vehicles or not (fleet.bookings or missing):
                continue
            fleet = replace(fleet, bookings={**fleet.bookings, **missing})
            late = [v.id for v in fleet.vehicles if not self._check(v.id, fleet.plan_of(v),
                                                                    fleet.state_of(v)).feasible]
            if not late and not missing:
                continue
            log.warning("plans of %s re-planned after restart (late: %s, missing: %d)",
                        day, late, len(missing))
            rep = recovery.repair(fleet, self.plan_s, self.params, self.places.dist_m)
            for vid, stops in rep.routes.items():
                old = self.live.plans[vid]
                if stops != old.stops:
                    self.live.plans[vid] = Plan(vid, stops, min(old.locked, len(stops)))
                for st in stops:
                    self.live.assigned[st.booking_id] = vid
            for bid, late_s in rep.late.items():
                log.error("booking %s re-planned after restart %d s late", bid, late_s)

    def _day_of(self, booking: Booking) -> date:
        """The service day of a booking (local date of its pickup window)."""
        return datetime.fromtimestamp(booking.promise.pickup_earliest_s, tz=self.tz).date()

    def _core_booking(self, row: BookingRow) -> Booking:
        origin = (self.stop_place[row.origin_stop_id] if row.origin_stop_id
                  else self.places.index_of(self.network.snap(row.origin_lat, row.origin_lon)))
        dest = (self.stop_place[row.destination_stop_id] if row.destination_stop_id
                else self.places.index_of(self.network.snap(row.destination_lat,
                                                            row.destination_lon)))
        request = Request(row.id, origin, dest,
                          Passengers(row.adults, row.children, row.wheelchairs),
                          TimeRule(row.rule), _s(row.requested_at))
        promise = Promise(_s(row.pickup_earliest_at), _s(row.pickup_latest_at),
                          _s(row.dropoff_latest_at), row.max_ride_s)
        return Booking(request, promise)

    # ------------------------------------------------------------------ helpers over the core

    def _now_state(self, key: str, now_s: int) -> VehicleState:
        """Where and when a vehicle-day is next free, seen at ``now_s``: an idle vehicle no
        earlier than now; one driving to its first stop there no earlier than now."""
        st = self.live.states[key]
        plan = self.live.plans[key]
        free = now_s
        if key in self._en_route and plan.locked and plan.stops:
            free = now_s - int(self.places.time_s[st.node, plan.stops[0].node])
        return replace(st, time_s=free) if st.time_s < free else st

    def en_route(self, key: str) -> bool:
        """True while a vehicle-day drives to its first planned stop (departed, not arrived)."""
        return key in self._en_route

    def shift_ended(self, key: str) -> bool:
        """True when the driver of a vehicle-day reported the shift over."""
        return key in self._ended

    def in_service(self, key: str, now_s: int) -> bool:
        """True while a vehicle-day takes part in planning: it has riders or stops, or its
        shift has neither ended (reported by its driver) nor passed its end."""
        if self.live.plans[key].stops or self.live.states[key].onboard:
            return True
        return key not in self._ended and now_s < self.live.vehicles[key].shift_end_s

    def _fleet(self, day: date, now_s: int, relax: bool = True) -> Fleet:
        """The fleet of one service day as planning sees it at ``now_s`` (:meth:`_now_state`).

        Vehicles whose shift is over with nothing left to do are out. With ``relax``, late
        routes are loosened (:func:`dispatcher.recovery.relax_route`) so that offers and
        insertions work around them; the re-optimiser repairs from the view without.
        """
        keys = [k for k in self.live.vehicles
                if split_vd(k)[1] == day and self.in_service(k, now_s)]
        states = {k: self._now_state(k, now_s) for k in keys}
        used = {st.booking_id for k in keys for st in self.live.plans[k].stops}
        used |= {b for k in keys for b in states[k].onboard}
        fleet = Fleet(
            vehicles=tuple(self._planning_vehicle(k, states[k].time_s) for k in keys),
            states=states,
            plans={k: self.live.plans[k] for k in keys},
            bookings={b: self.live.bookings[b] for b in used if b in self.live.bookings},
        )
        return self._relax(fleet) if relax else fleet

    def _relax(self, fleet: Fleet) -> Fleet:
        """The planning view of ``fleet``: late routes loosened (cached per route)."""
        relaxed: dict[str, recovery.Relaxed] = {}
        for v in fleet.vehicles:
            st, plan = fleet.state_of(v), fleet.plan_of(v)
            hit = self._relaxed.get(v.id)
            if hit is not None and hit[0] == v and hit[1] == st and hit[2] == plan:
                got = hit[3]
            else:
                got = recovery.relax_route(v, st, plan.stops, fleet.bookings, self.plan_s,
                                           self.params)
                self._relaxed[v.id] = (v, st, plan, got)
            if got is not None:
                relaxed[v.id] = got
        return recovery.apply_relaxed(fleet, relaxed)

    def _indexed(self, fleet: Fleet) -> list[insertion.RouteIndex]:
        """The fleet's feasible routes indexed for insertions, reusing unchanged ones.

        A route's index depends only on its vehicle, state, plan and the plan's bookings (which
        change only with the plan), so it is kept while those three compare equal.
        """
        out = []
        for v in fleet.vehicles:
            st, plan = fleet.state_of(v), fleet.plan_of(v)
            hit = self._route_index.get(v.id)
            if hit is not None and hit[0] == v and hit[1] == st and hit[2] == plan:
                ri = hit[3]
            else:
                ri = insertion.index_route(v, st, plan.stops, plan.locked, fleet.bookings,
                                           self.plan_s, self.params, self.places.dist_m)
                self._route_index[v.id] = (v, st, plan, ri)
            if ri is not None:
                out.append(ri)
        return out

    def _check(self, key: str, plan: Plan, state: VehicleState | None = None,
               extra: dict[str, Booking] | None = None) -> RouteCheck:
        bookings = dict(self.live.bookings)
        if extra:
            bookings.update(extra)
        state = state or self.live.states[key]
        # A break whose latest start is past by now can no longer be taken (as in _fleet).
        vehicle = self._planning_vehicle(key, max(state.time_s, self.clock()))
        return check_route(vehicle, state, plan.stops,
                           bookings, self.plan_s, self.params, self.places.dist_m)

    def _planning_vehicle(self, key: str, time_s: int) -> Vehicle:
        """The vehicle as planned from ``time_s``: breaks that can no longer start are dropped.

        A break whose latest start has passed was missed (or taken without a report); keeping it
        would make every plan of the vehicle infeasible for the rest of the day.
        """
        vehicle = self.live.vehicles[key]
        keep = tuple(b for b in vehicle.breaks if b.latest_end_s - b.duration_s >= time_s)
        return vehicle if len(keep) == len(vehicle.breaks) else replace(vehicle, breaks=keep)

    def schedule(self, key: str) -> RouteCheck:
        """The timetable of a vehicle-day's plan from where it is now (:mod:`dispatcher.timetable`).

        Always timed unless the plan is structurally broken: expected times for the driver and
        the riders, ``leave_by`` and slack under planning times, and the promises the vehicle
        will break (``late``) or may break (``at_risk``) named. Cached per plan revision,
        possible breaks and the vehicle's free time.
        """
        st = self._now_state(key, self.clock())
        vehicle = self._planning_vehicle(key, st.time_s)
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
        if not planned or position is None or key not in self._en_route:
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

    def _insert_promised(self, booking: Booking, day: date | None, prefer: str | None = None,
                         only: str | None = None) -> tuple[str, Plan] | None:
        """Cheapest feasible insertion of a booking with its promise fixed (preferred vehicle first)."""
        if day is None:
            day = datetime.fromtimestamp(booking.promise.pickup_earliest_s, tz=self.tz).date()
        fleet = self._fleet(day, self.clock())
        bookings = {**fleet.bookings, booking.id: booking}
        keys = [only] if only else sorted(fleet.plans, key=lambda k: (k != prefer, k))
        best: tuple[float, str, Plan] | None = None
        for key in keys:
            if key not in fleet.plans:
                continue
            plan = fleet.plans[key]
            vehicle = next(v for v in fleet.vehicles if v.id == key)
            found = insertion.best_insertions(
                vehicle, fleet.states[key], plan.stops, plan.locked, bookings,
                booking, self.plan_s, self.params, self.places.dist_m)
            if not found:
                continue
            ins = found[0]
            if key == prefer:
                # Keep the offered vehicle when it still fits: the offer showed this plan.
                return key, Plan(key, ins.stops, plan.locked)
            if best is None or ins.added_cost < best[0]:
                best = (ins.added_cost, key, Plan(key, ins.stops, plan.locked))
        return None if best is None else (best[1], best[2])

    def _place_index(self, place: Place) -> tuple[int, str | None, float, float]:
        if place.stop_id is not None:
            if place.stop_id not in self.stop_place:
                raise InvalidInput(f"不明な乗り場です: {place.stop_id}",
                                   f"unknown stop: {place.stop_id}", stop_id=place.stop_id)
            sp = self.service.stop(place.stop_id)
            return self.stop_place[place.stop_id], place.stop_id, sp.lat, sp.lon
        assert place.lat is not None and place.lon is not None
        node = self.network.snap(place.lat, place.lon, self.service.zone)
        return self.places.index_of(node), None, place.lat, place.lon

    def _bump(self, keys: list[str]) -> None:
        for k in keys:
            self.live.revisions[k] = self.live.revisions.get(k, 0) + 1
        self.version += 1
        self.changed.notify_all()

    def _plan_json(self, plan: Plan) -> list[dict[str, Any]]:
        out = []
        for st in plan.stops:
            node = self.places.node_of(st.node)
            stop_id = next((sid for sid, p in self.stop_place.items() if p == st.node), None)
            item: dict[str, Any] = {"booking_id": st.booking_id, "kind": st.kind.value,
                                    "stop_id": stop_id}
            if stop_id is None:
                lat, lon = self.network_coords(node)
                item.update(lat=lat, lon=lon)
            out.append(item)
        return out

    def network_coords(self, node: int) -> tuple[float, float]:
        """(lat, lon) of a road node."""
        return self.network.node_coords(node)

    def _save_plan(self, s: Session, key: str) -> None:
        plan = self.live.plans[key]
        st = self.live.states[key]
        prow = s.get(PlanRow, key) or PlanRow(vehicle_id=key)
        prow.revision = self.live.revisions.get(key, 0)
        prow.locked = plan.locked
        prow.stops = self._plan_json(plan)
        stop_id = next((sid for sid, p in self.stop_place.items() if p == st.node), None)
        prow.state_node_stop = stop_id
        if stop_id is None:
            prow.state_lat, prow.state_lon = self.network_coords(self.places.node_of(st.node))
        else:
            prow.state_lat = prow.state_lon = None
        prow.state_at = _dt(st.time_s)
        departed = st.departed()
        prow.onboard = [{"booking_id": b, "departed_s": departed.get(b, st.time_s)}
                        for b in st.onboard]
        prow.updated_at = _dt(self.clock())
        s.add(prow)

    # ------------------------------------------------------------------ offers and bookings

    def make_offers(self, rider_id: str, trip: TripInput) -> dict[str, Any]:
        """Offers for a trip (best first) and alternatives when the asked time is full.

        Raises InvalidInput / RuleViolation with a person-readable reason; Infeasible when no
        vehicle can serve it at any nearby time. Refusals are logged as ``refused`` events.
        """
        try:
            return self._make_offers(rider_id, trip)
        except (RuleViolation, Infeasible) as exc:
            reason = str(exc.details.get("rule", exc.code))
            # The service day asked for: KPIs count every request on its service day.
            day = datetime.fromtimestamp(trip.time_s, tz=self.tz).date().isoformat()
            with Session(self.db, expire_on_commit=False) as s, s.begin():
                repo.add_event(s, "refused", actor_id=rider_id, at=_dt(self.clock()),
                               reason=reason, message=exc.message_en, service_day=day)
            raise

    def _expected_offer(self, fleet: Fleet, request: Request, offer: insertion.Offer
                        ) -> insertion.Offer:
        """The offer with the expected pickup and drop-off of its plan's timetable (what the
        rider is told; the promise was checked against planning times)."""
        vehicle = next(v for v in fleet.vehicles if v.id == offer.vehicle_id)
        books = {**fleet.bookings, request.id: offer.booking(request)}
        tt = timetable(vehicle, fleet.state_of(vehicle), offer.plan.stops, books, self.plan_s,
                       self.places.time_s, self.params)
        if len(tt.stops) != len(offer.plan.stops):
            return offer
        at = {(st.booking_id, st.kind): tt.stops[i].start_s
              for i, st in enumerate(offer.plan.stops)}
        return replace(offer, expected_pickup_s=at[(request.id, StopKind.PICKUP)],
                       expected_dropoff_s=at[(request.id, StopKind.DROPOFF)])

    def _within_hours(self, epoch_s: int) -> bool:
        """True if a moment falls inside the service's operating periods (local time of day)."""
        local = datetime.fromtimestamp(epoch_s, tz=self.tz)
        return self.service.in_service_hours(local.hour * 3600 + local.minute * 60 + local.second)

    def _make_offers(self, rider_id: str, trip: TripInput) -> dict[str, Any]:
        now = self.clock()
        if trip.rule not in ("pickup_after", "dropoff_before"):
            raise InvalidInput("時刻の指定方法が不正です（pickup_after / dropoff_before）",
                               "rule must be pickup_after or dropoff_before")
        check_request_time(self.service, trip.time_s, now)
        check_party(self.service, trip.party.seats, trip.party.wheelchairs, trip.party.infants)
        o_idx, o_stop, o_lat, o_lon = self._place_index(trip.origin)
        d_idx, d_stop, d_lat, d_lon = self._place_index(trip.destination)
        if o_idx == d_idx:
            raise InvalidInput("乗る場所と降りる場所が同じです", "origin and destination are the same place")
        fare = fare_for(self.service.fares, trip.party.fare_categories())
        day = datetime.fromtimestamp(trip.time_s, tz=self.tz).date()
        self.ensure_day(day)
        request = Request(f"req-{uuid.uuid4().hex[:12]}", o_idx, d_idx,
                          Passengers(trip.party.adults, trip.party.children, trip.party.wheelchairs),
                          TimeRule(trip.rule), trip.time_s)
        with self.lock:
            fleet = self._fleet(day, now)
            found = insertion.offers(fleet, request, self.plan_s, self.params, now_s=now,
                                     dist_m=self.places.dist_m, indexed=self._indexed(fleet),
                                     expected_s=self.places.time_s)
            found = [self._expected_offer(fleet, request, o) for o in found]
        if trip.connection is not None:
            # Only offers that arrive in time for the bus: no later alternatives.
            limit = int(trip.connection.get("latest_dropoff_s", trip.time_s))
            found = [o for o in found if o.promise.dropoff_latest_s <= limit]
        # Promise only trips inside the service hours: the pickup window must close, and the
        # latest drop-off fall, within the operating periods (a window may open up to its width
        # before the opening, while the vehicles' shifts have begun).
        found = [o for o in found if self._within_hours(o.promise.pickup_latest_s)
                 and self._within_hours(o.promise.dropoff_latest_s)]
        asked = [o for o in found if o.shift_s == 0]
        alternatives = [o for o in found if o.shift_s != 0]
        if not found:
            raise Infeasible(
                "ご希望の時間の前後に空いている車両がありません。別の時間をお試しください。",
                "No vehicle is free around that time; please try another time.",
            )
        expires = now + self.service.booking.offer_ttl_s
        base = {
            "origin": {"stop_id": o_stop, "lat": o_lat, "lon": o_lon},
            "destination": {"stop_id": d_stop, "lat": d_lat, "lon": d_lon},
            "party": {"adults": trip.party.adults, "children": trip.party.children,
                      "infants": trip.party.infants, "wheelchairs": trip.party.wheelchairs,
                      "concessions": dict(trip.party.concessions)},
            "rule": trip.rule, "time_s": trip.time_s, "notes": trip.notes,
            "direct_s": int(self.places.time_s[o_idx, d_idx]),
        }
        rows = []
        with Session(self.db, expire_on_commit=False) as s, s.begin():
            for kind, offers in (("asked", asked), ("alternative", alternatives)):
                for off in offers:
                    vid, _ = split_vd(off.vehicle_id)
                    row = OfferRow(
                        id=f"of-{uuid.uuid4().hex[:16]}", rider_id=rider_id,
                        request={**base, "kind": kind}, vehicle_id=vid,
                        pickup_earliest_at=_dt(off.promise.pickup_earliest_s),
                        pickup_latest_at=_dt(off.promise.pickup_latest_s),
                        dropoff_expected_at=_dt(off.expected_dropoff_s),
                        dropoff_latest_at=_dt(off.promise.dropoff_latest_s),
                        max_ride_s=off.promise.max_ride_s, fare=fare.total,
                        fare_lines=[{"category": ln.category, "label_ja": ln.label("ja"),
                                     "label_en": ln.label("en"), "count": ln.count,
                                     "unit": ln.unit, "amount": ln.amount} for ln in fare.lines],
                        connection=trip.connection, expires_at=_dt(expires),
                    )
                    s.add(row)
                    rows.append(row)
            repo.add_event(s, "offered", actor_id=rider_id, at=_dt(now), offers=[r.id for r in rows],
                           asked=len(asked), alternatives=len(alternatives),
                           service_day=day.isoformat())
        return {"offers": [r for r in rows if r.request["kind"] == "asked"],
                "alternatives": [r for r in rows if r.request["kind"] == "alternative"]}

    def accept(self, rider_id: str, offer_id: str, idempotency_key: str | None,
               booked_by: str, channel: str = "app", rider_name: str = "",
               rider_phone: str = "") -> tuple[BookingRow, bool]:
        """Turn an offer into a booking under the lock, re-checking feasibility.

        Returns the booking and whether it was created now (False for an idempotent retry).
        """
        now = self.clock()
        with self.lock:
            with Session(self.db, expire_on_commit=False) as s:
                if idempotency_key:
                    existing = s.exec(select(BookingRow).where(
                        BookingRow.rider_id == rider_id,
                        BookingRow.idempotency_key == idempotency_key)).first()
                    if existing is not None:
                        if existing.offer_id != offer_id:
                            raise Conflict("この Idempotency-Key は別の予約に使われています",
                                           "this Idempotency-Key was used for another booking")
                        return existing, False
                offer = s.get(OfferRow, offer_id)
            if offer is None or offer.rider_id != rider_id:
                raise NotFound("提案が見つかりません", "offer not found", offer_id=offer_id)
            if offer.status != "open":
                raise Conflict("この提案はすでに使われています", "this offer has already been used",
                               offer_id=offer_id)
            if _s(offer.expires_at) < now:
                raise Conflict("提案の有効期限が切れました。もう一度検索してください。",
                               "the offer has expired; please search again", offer_id=offer_id)
            req = offer.request
            bid = f"bk-{uuid.uuid4().hex[:12]}"
            o_place = Place(req["origin"]["stop_id"], req["origin"]["lat"], req["origin"]["lon"])
            d_place = Place(req["destination"]["stop_id"], req["destination"]["lat"],
                            req["destination"]["lon"])
            o_idx = self._place_index(o_place)[0]
            d_idx = self._place_index(d_place)[0]
            p = req["party"]
            request = Request(bid, o_idx, d_idx, Passengers(p["adults"], p["children"],
                                                            p["wheelchairs"]),
                              TimeRule(req["rule"]), int(req["time_s"]))
            promise = Promise(_s(offer.pickup_earliest_at), _s(offer.pickup_latest_at),
                              _s(offer.dropoff_latest_at), offer.max_ride_s)
            booking = Booking(request, promise)
            day = datetime.fromtimestamp(promise.pickup_earliest_s, tz=self.tz).date()
            placed = self._insert_promised(booking, day,
                                           prefer=vd_key(offer.vehicle_id, day))
            if placed is None:
                with Session(self.db, expire_on_commit=False) as s, s.begin():
                    o = s.get(OfferRow, offer_id)
                    if o is not None:
                        o.status = "lost"
                    repo.add_event(s, "refused", actor_id=booked_by, offer_id=offer_id,
                                   reason="no_longer_feasible", service_day=day.isoformat())
                raise Infeasible(
                    "申し訳ありません。この時間帯は直前に満席になりました。もう一度検索してください。",
                    "Sorry, this time has just been taken; please search again.",
                    offer_id=offer_id,
                )
            key, plan = placed
            vid, _ = split_vd(key)
            row = BookingRow(
                id=bid, service_id=self.service.id, rider_id=rider_id, booked_by=booked_by,
                channel=channel, offer_id=offer_id, idempotency_key=idempotency_key,
                status="confirmed", service_day=day,
                origin_stop_id=req["origin"]["stop_id"], destination_stop_id=req["destination"]["stop_id"],
                origin_lat=req["origin"]["lat"], origin_lon=req["origin"]["lon"],
                destination_lat=req["destination"]["lat"], destination_lon=req["destination"]["lon"],
                adults=p["adults"], children=p["children"], infants=p["infants"],
                wheelchairs=p["wheelchairs"], concessions=p.get("concessions", {}),
                rule=req["rule"], requested_at=_dt(int(req["time_s"])),
                pickup_earliest_at=offer.pickup_earliest_at, pickup_latest_at=offer.pickup_latest_at,
                dropoff_latest_at=offer.dropoff_latest_at, max_ride_s=offer.max_ride_s,
                direct_s=int(req.get("direct_s", 0)), fare=offer.fare, vehicle_id=vid,
                connection=offer.connection, notes=req.get("notes", ""),
                rider_name=rider_name, rider_phone=rider_phone,
                created_at=_dt(now), updated_at=_dt(now),
            )
            old_plan = self.live.plans.get(key)
            self.live.bookings[bid] = booking
            self.live.plans[key] = plan
            self.live.assigned[bid] = key
            self.live.revisions[key] = self.live.revisions.get(key, 0) + 1
            try:
                with Session(self.db, expire_on_commit=False) as s, s.begin():
                    o = s.get(OfferRow, offer_id)
                    if o is None or o.status != "open":
                        raise Conflict("この提案はすでに使われています",
                                       "this offer has already been used")
                    o.status = "taken"
                    s.add(row)
                    self._save_plan(s, key)
                    repo.add_event(s, "booked", booking_id=bid, vehicle_id=vid, actor_id=booked_by,
                                   at=_dt(now), channel=channel, offer_id=offer_id,
                                   pickup_window=[promise.pickup_earliest_s, promise.pickup_latest_s],
                                   dropoff_latest=promise.dropoff_latest_s,
                                   seats=request.passengers.seats,
                                   wheelchairs=request.passengers.wheelchairs)
                    repo.add_event(s, "planned", vehicle_id=vid, at=_dt(now), vehicle_day=key,
                                   revision=self.live.revisions[key], reason="booking",
                                   stops=len(plan.stops))
            except Exception:
                # Roll the memory back: the database is the truth.
                self.live.bookings.pop(bid, None)
                self.live.assigned.pop(bid, None)
                if old_plan is not None:
                    self.live.plans[key] = old_plan
                raise
            self._bump([])
            return row, True

    # ------------------------------------------------------------------ changes to bookings

    def _drop_booking(self, bid: str) -> str | None:
        key = self.live.assigned.pop(bid, None)
        self.live.bookings.pop(bid, None)
        if key is not None:
            plan = self.live.plans[key]
            stops = tuple(st for st in plan.stops if st.booking_id != bid)
            removed_locked = sum(1 for st in plan.stops[: plan.locked] if st.booking_id == bid)
            self.live.plans[key] = Plan(key, stops, plan.locked - removed_locked)
        return key

    def cancel(self, booking_id: str, actor: User | Any, *, by_operator: bool) -> BookingRow:
        """Cancel a confirmed booking (riders: their own, before it is on board)."""
        now = self.clock()
        with self.lock, Session(self.db, expire_on_commit=False) as s, s.begin():
            row = s.get(BookingRow, booking_id)
            if row is None or (not by_operator and row.rider_id != actor.user_id):
                raise NotFound("予約が見つかりません", "booking not found", booking_id=booking_id)
            if row.status != "confirmed":
                raise Conflict(f"この予約は取り消せません（状態: {row.status}）",
                               f"this booking cannot be cancelled (status: {row.status})")
            key = self._drop_booking(booking_id)
            row.status = "cancelled"
            row.updated_at = _dt(now)
            late = _s(row.pickup_earliest_at) - now < self.service.booking.cancel_notice_s
            repo.add_event(s, "cancelled", booking_id=booking_id, vehicle_id=row.vehicle_id,
                           actor_id=actor.user_id, at=_dt(now), late=late,
                           by="operator" if by_operator else "rider")
            if key is not None:
                self.live.revisions[key] = self.live.revisions.get(key, 0) + 1
                self._save_plan(s, key)
                repo.add_event(s, "planned", vehicle_id=row.vehicle_id, at=_dt(now),
                               vehicle_day=key, revision=self.live.revisions[key], reason="cancel")
            self._bump([])
            s.flush()
            s.expunge(row)
            return row

    def no_show(self, booking_id: str, actor_id: str, vehicle_id: str | None = None) -> BookingRow:
        """Record a no-show: only after the window's start plus the grace time."""
        now = self.clock()
        with self.lock, Session(self.db, expire_on_commit=False) as s, s.begin():
            row = s.get(BookingRow, booking_id)
            if row is None or (vehicle_id is not None and row.vehicle_id != vehicle_id):
                raise NotFound("予約が見つかりません", "booking not found", booking_id=booking_id)
            if row.status != "confirmed":
                raise Conflict(f"乗車前の予約ではありません（状態: {row.status}）",
                               f"booking is not waiting for pickup (status: {row.status})")
            allowed = _s(row.pickup_earliest_at) + self.service.booking.no_show_grace_s
            if now < allowed:
                wait = (allowed - now + 59) // 60
                raise RuleViolation(
                    f"不乗車の記録は迎車時間帯の開始から猶予時間後にできます（あと{wait}分）。",
                    f"A no-show can be recorded only after the window opens plus the grace time "
                    f"({wait} min to go).", rule="no_show_grace")
            if vehicle_id is not None and not self._at_pickup(s, row, vehicle_id):
                raise RuleViolation(
                    "不乗車を記録する前に、乗り場への「到着」を記録してください。",
                    "Report arrival at the pickup stop before recording a no-show.",
                    rule="no_show_arrival")
            at = self.live.assigned.get(booking_id)
            pick = None
            if at is not None:
                pick = next((st.node for st in self.live.plans[at].stops
                             if st.booking_id == booking_id and st.kind == StopKind.PICKUP), None)
            key = self._drop_booking(booking_id)
            if key is not None and pick is not None and vehicle_id is not None:
                # Recorded by the vehicle's driver: the vehicle is at the pickup now.
                st = self.live.states[key]
                self.live.states[key] = VehicleState(key, pick, max(st.time_s, now), st.onboard,
                                                     st.onboard_departed_s)
                self._en_route.discard(key)
            row.status = "no_show"
            row.updated_at = _dt(now)
            repo.add_event(s, "no_show", booking_id=booking_id, vehicle_id=row.vehicle_id,
                           actor_id=actor_id, at=_dt(now))
            if key is not None:
                self.live.revisions[key] = self.live.revisions.get(key, 0) + 1
                self._save_plan(s, key)
            self._bump([])
            s.flush()
            s.expunge(row)
            return row

    def _at_pickup(self, s: Session, row: BookingRow, vehicle_id: str) -> bool:
        """Whether the driver's reports put the vehicle at ``row``'s pickup now.

        The vehicle's latest arrival or departure report of the booking's day decides: an
        arrival at the pickup's place means there (an arrival names a booking: the place is
        that booking's pickup, or its drop-off once that rider was on board; without a booking,
        the reported position's place), a departure means not. With neither that day, the
        vehicle is where its live state puts it (its depot at the start of the shift, or where
        it last boarded or set down someone) unless it is driving.
        """
        pickup = self._place_index(Place(row.origin_stop_id, row.origin_lat, row.origin_lon))[0]
        start = datetime.combine(row.service_day, datetime.min.time(), tzinfo=self.tz)
        last = s.exec(select(Event).where(
            Event.vehicle_id == vehicle_id, col(Event.type).in_(("arrived", "departed")),
            col(Event.at) >= start, col(Event.at) < start + timedelta(days=1))
            .order_by(col(Event.id).desc()).limit(1)).first()
        if last is None:
            key = vd_key(vehicle_id, row.service_day)
            state = self.live.states.get(key)
            return state is not None and state.node == pickup and key not in self._en_route
        if last.type != "arrived":
            return False
        there = s.get(BookingRow, last.booking_id) if last.booking_id else None
        try:
            if there is None:
                lat, lon = last.data.get("lat"), last.data.get("lon")
                if lat is None or lon is None:
                    return False
                return self._place_index(Place(None, float(lat), float(lon)))[0] == pickup
            if there.picked_up_at is None or there.picked_up_at >= last.at:
                place = Place(there.origin_stop_id, there.origin_lat, there.origin_lon)
            else:
                place = Place(there.destination_stop_id, there.destination_lat,
                              there.destination_lon)
            return self._place_index(place)[0] == pickup
        except InvalidInput:  # a reported position outside the zone: not at the pickup
            return False

    def undo_no_show(self, booking_id: str, actor_id: str, vehicle_id: str,
                     within_s: int) -> BookingRow:
        """Undo a no-show the same driver recorded less than ``within_s`` seconds ago.

        The booking is put back into the vehicle's plan with its original promise (pickup
        window, latest drop-off, ride limit) if that plan can still keep it, and is confirmed
        again; a ``no_show_undone`` event records it.

        Raises
        ------
        NotFound
            Unless the booking is on ``vehicle_id``.
        Conflict
            If it is not a no-show, the no-show was recorded by someone else, or the undo time
            has passed.
        Infeasible
            If the vehicle's plan can no longer keep the booking's promise.
        """
        now = self.clock()
        with self.lock:
            with Session(self.db, expire_on_commit=False) as s:
                row = s.get(BookingRow, booking_id)
                mark = s.exec(select(Event).where(Event.booking_id == booking_id,
                                                  Event.type == "no_show")
                              .order_by(col(Event.id).desc()).limit(1)).first()
            if row is None or row.vehicle_id != vehicle_id:
                raise NotFound("この車両の予約ではありません", "booking is not on this vehicle",
                               booking_id=booking_id)
            if row.status != "no_show" or mark is None:
                raise Conflict(f"不乗車として記録された予約ではありません（状態: {row.status}）",
                               f"booking is not a no-show (status: {row.status})",
                               rule="no_show_undo")
            if mark.actor_id != actor_id:
                raise Conflict("この不乗車は運転手の記録ではないため、ここでは取り消せません",
                               "this no-show was not recorded by this driver", rule="no_show_undo")
            if now - _s(mark.at) > within_s:
                ja, en = ((f"{within_s // 60}分", f"{within_s // 60} min") if within_s % 60 == 0
                          else (f"{within_s}秒", f"{within_s} s"))
                raise Conflict(
                    f"不乗車の取り消しは記録から{ja}以内です。営業所へ連絡してください。",
                    f"A no-show can be undone only within {en} of recording it; call the office.",
                    rule="no_show_undo_expired")
            booking = self._core_booking(row)
            key = vd_key(vehicle_id, row.service_day)
            placed = self._insert_promised(booking, row.service_day, only=key)
            if placed is None:
                raise Infeasible("元の約束の時間帯ではもう迎えられないため、取り消せません",
                                 "the plan can no longer keep this booking's promise",
                                 rule="no_show_undo_infeasible")
            old_plan = self.live.plans[key]
            self.live.bookings[booking_id] = booking
            self.live.plans[key] = placed[1]
            self.live.assigned[booking_id] = key
            self.live.revisions[key] = self.live.revisions.get(key, 0) + 1
            try:
                with Session(self.db, expire_on_commit=False) as s, s.begin():
                    r = s.get(BookingRow, booking_id)
                    if r is None or r.status != "no_show":
                        raise Conflict("予約の状態が変わりました", "the booking changed meanwhile")
                    r.status = "confirmed"
                    r.updated_at = _dt(now)
                    self._save_plan(s, key)
                    repo.add_event(s, "no_show_undone", booking_id=booking_id,
                                   vehicle_id=vehicle_id, actor_id=actor_id, at=_dt(now),
                                   no_show_event=mark.id)
                    s.flush()
                    s.expunge(r)
            except Exception:
                # Roll the memory back: the database is the truth.
                self.live.bookings.pop(booking_id, None)
                self.live.assigned.pop(booking_id, None)
                self.live.plans[key] = old_plan
                raise
            self._bump([])
            return r

    def boarding_here(self, vehicle_id: str) -> frozenset[str]:
        """The bookings that board at the vehicle's current stop now: the pickups among the
        leading stops of today's plan at the place of its first stop (its next visit)."""
        with self.lock:
            plan = self.live.plans.get(vd_key(vehicle_id, self.today()))
            if plan is None or not plan.stops:
                return frozenset()
            node = plan.stops[0].node
            out = set()
            for st in plan.stops:
                if st.node != node:
                    break
                if st.kind == StopKind.PICKUP:
                    out.add(st.booking_id)
            return frozenset(out)

    def move(self, booking_id: str, vehicle_id: str, actor_id: str) -> BookingRow:
        """Move a confirmed booking to another vehicle of its day, keeping its promise."""
        now = self.clock()
        with self.lock:
            with Session(self.db, expire_on_commit=False) as s:
                row = s.get(BookingRow, booking_id)
            if row is None:
                raise NotFound("予約が見つかりません", "booking not found", booking_id=booking_id)
            if row.status != "confirmed":
                raise Conflict("乗車前の予約だけ移動できます", "only bookings awaiting pickup can move")
            target = vd_key(vehicle_id, row.service_day)
            if target not in self.live.vehicles:
                raise NotFound("その日にその車両の勤務がありません",
                               "that vehicle has no shift on the booking's day", vehicle_id=vehicle_id)
            booking = self.live.bookings[booking_id]
            source = self.live.assigned.get(booking_id)
            before = (self.live.plans.get(source) if source else None)
            self._drop_booking(booking_id)
            self.live.bookings[booking_id] = booking
            placed = self._insert_promised(booking, row.service_day, only=target)
            if placed is None:
                self.live.assigned[booking_id] = source or target
                if source and before is not None:
                    self.live.plans[source] = before
                raise Infeasible("その車両では約束の時間を守れません",
                                 "that vehicle cannot keep this booking's promise")
            key, plan = placed
            self.live.plans[key] = plan
            self.live.assigned[booking_id] = key
            changed = [k for k in {key, source} if k]
            for k in changed:
                self.live.revisions[k] = self.live.revisions.get(k, 0) + 1
            with Session(self.db, expire_on_commit=False) as s, s.begin():
                r = s.get(BookingRow, booking_id)
                assert r is not None
                r.vehicle_id = vehicle_id
                r.updated_at = _dt(now)
                for k in changed:
                    self._save_plan(s, k)
                repo.add_event(s, "moved", booking_id=booking_id, vehicle_id=vehicle_id,
                               actor_id=actor_id, at=_dt(now),
                               from_vehicle=split_vd(source)[0] if source else None)
                s.flush()
                s.expunge(r)
            self._bump([])
            return r

    # ------------------------------------------------------------------ driving

    def driver_event(self, vehicle_id: str, kind: str, booking_id: str | None,
                     actor_id: str, lat: float | None = None, lon: float | None = None) -> dict[str, Any]:
        """Apply a driver's report (arrived, boarded, alighted, departed) to plans and bookings,
        then send the alerts it changes (:meth:`watch`)."""
        out = self._driver_event(vehicle_id, kind, booking_id, actor_id, lat, lon)
        self._watch_vehicle(vehicle_id)
        return out

    def _driver_event(self, vehicle_id: str, kind: str, booking_id: str | None,  # noqa: C901 — to split (issue 17)
                      actor_id: str, lat: float | None = None, lon: float | None = None
                      ) -> dict[str, Any]:
        now = self.clock()
        if kind not in ("arrived", "boarded", "alighted", "departed"):
            raise InvalidInput("不明な操作です", f"unknown driver event: {kind}")
        with self.lock, Session(self.db, expire_on_commit=False) as s, s.begin():
            if booking_id is None:
                if kind in ("boarded", "alighted"):
                    raise InvalidInput("予約IDが必要です", "booking_id is required")
                repo.add_event(s, kind, vehicle_id=vehicle_id, actor_id=actor_id, at=_dt(now),
                               lat=lat, lon=lon)
                return {"ok": True}
            row = s.get(BookingRow, booking_id)
            key = self.live.assigned.get(booking_id)
            if row is None or row.vehicle_id != vehicle_id or key is None:
                raise NotFound("この車両の予約ではありません", "booking is not on this vehicle",
                               booking_id=booking_id)
            plan = self.live.plans[key]
            state = self.live.states[key]
            load_before = sum(self.live.bookings[b].request.passengers.count
                              for b in state.onboard if b in self.live.bookings)
            want = StopKind.PICKUP if kind == "boarded" else StopKind.DROPOFF
            if kind in ("departed", "arrived"):
                # Heading for / at the booking's next stop: its pickup until it is on board.
                want = StopKind.PICKUP if row.status == "confirmed" else StopKind.DROPOFF
            idx = next((i for i, st in enumerate(plan.stops)
                        if st.booking_id == booking_id and st.kind == want), None)
            if kind == "boarded":
                if row.status != "confirmed" or idx is None:
                    raise Conflict("この予約はすでに乗車済みか取消済みです",
                                   "booking already on board, or cancelled")
                stop = plan.stops[idx]
                stops = plan.stops[:idx] + plan.stops[idx + 1:]
                self.live.plans[key] = Plan(key, stops, max(0, min(plan.locked - 1, len(stops))))
                # The vehicle is busy boarding for the dwell the plan allowed for this party.
                # The ride limit counts from the end of that boarding (Promise.max_ride_s, as
                # the planner's schedule does): the party "leaves its pickup" at now + dwell.
                dwell = self.params.dwell_s(self.live.bookings[booking_id].request.passengers)
                self.live.states[key] = VehicleState(
                    key, stop.node, now + dwell, (*state.onboard, booking_id),
                    (*tuple(state.departed().get(b, now) for b in state.onboard), now + dwell))
                row.status = "onboard"
                row.picked_up_at = _dt(now)
            elif kind == "alighted":
                if row.status != "onboard" or idx is None:
                    raise Conflict("この予約は乗車中ではありません", "booking is not on board")
                stop = plan.stops[idx]
                stops = plan.stops[:idx] + plan.stops[idx + 1:]
                keep = tuple(b for b in state.onboard if b != booking_id)
                dep = state.departed()
                dwell = self.params.dwell_s(self.live.bookings[booking_id].request.passengers)
                self.live.plans[key] = Plan(key, stops, max(0, min(plan.locked - 1, len(stops))))
                self.live.states[key] = VehicleState(key, stop.node, now + dwell, keep,
                                                     tuple(dep.get(b, now) for b in keep))
                self.live.bookings.pop(booking_id, None)
                self.live.assigned.pop(booking_id, None)
                row.status = "completed"
                row.dropped_off_at = _dt(now)
            if kind != "departed":
                self._en_route.discard(key)
            if kind in ("arrived", "departed") and idx is not None:
                # Heading for (departed) or at (arrived) the stop: lock it first so that no
                # insertion or re-optimisation moves it; on arrival the vehicle is at its node.
                stops = plan.stops
                order = stops[idx:idx + 1] + stops[:idx] + stops[idx + 1:]
                cand = Plan(key, order, max(plan.locked, 1))
                here = state
                if kind == "departed":
                    # It leaves its node now (not earlier): the re-planning start while en route.
                    here = VehicleState(key, state.node, max(state.time_s, now), state.onboard,
                                        state.onboard_departed_s)
                if kind == "arrived":
                    here = VehicleState(key, stops[idx].node, max(state.time_s, now), state.onboard,
                                        state.onboard_departed_s)
                # Reality is what it is: a late vehicle is still where it says. Only an order
                # that cannot be driven at all (capacity, structure) is refused.
                broken = self._check(key, cand, here).violations
                if not any(v.kind in recovery.STRUCTURAL for v in broken):
                    self.live.plans[key] = cand
                    self.live.states[key] = here
                    if kind == "departed":
                        self._en_route.add(key)
                    if here.node != state.node:
                        self._log_leg(s, vehicle_id, state, here.node, now, load_before)
            row.updated_at = _dt(now)
            moved_to = self.live.states[key]
            if kind in ("boarded", "alighted") and moved_to.node != state.node:
                self._log_leg(s, vehicle_id, state, moved_to.node, now, load_before)
            self.live.revisions[key] = self.live.revisions.get(key, 0) + 1
            self._save_plan(s, key)
            extra: dict[str, Any] = {}
            if kind == "boarded":
                # When the party's planned boarding ends: its ride limit counts from there.
                extra["ride_from_s"] = self.live.states[key].onboard_departed_s[-1]
            repo.add_event(s, kind, booking_id=booking_id, vehicle_id=vehicle_id, actor_id=actor_id,
                           at=_dt(now), lat=lat, lon=lon,
                           seats=row.adults + row.children, wheelchairs=row.wheelchairs, **extra)
            self._bump([])
            return {"ok": True, "status": row.status}

    def _log_leg(self, s: Session, vehicle_id: str, before: VehicleState, node: int,
                 now: int, persons: int) -> None:
        """Record a driven leg (for vehicle hours, kilometres, empty kilometres, occupancy)."""
        drive = int(self.places.time_s[before.node, node])
        repo.add_event(s, "leg", vehicle_id=vehicle_id, at=_dt(now),
                       start_s=max(before.time_s, now - drive),
                       end_s=now, distance_m=int(self.places.dist_m[before.node, node]),
                       drive_s=drive, load=persons)

    def _late_s(self, key: str, state: VehicleState) -> int:
        """Total lateness (s, planning times) of a vehicle-day's promises from ``state``."""
        vehicle = self._planning_vehicle(key, state.time_s)
        got = recovery.relax_route(vehicle, state, self.live.plans[key].stops,
                                   self.live.bookings, self.plan_s, self.params)
        return sum(x.by_s for x in got.late) if got else 0

    def break_taken(self, vehicle_id: str, start_s: int, actor_id: str) -> dict[str, Any]:
        """Record that a vehicle's driver starts a break now (at ``start_s``, epoch s).

        The break of today's shift whose window holds ``start_s`` is taken off the vehicle's
        remaining breaks, and the vehicle is next free when the break ends.
        """
        with self.lock:
            day = datetime.fromtimestamp(start_s, tz=self.tz).date()
            key = vd_key(vehicle_id, day)
            vehicle = self.live.vehicles.get(key)
            if vehicle is None:
                raise NotFound("その日の勤務がありません", "no shift of this vehicle today",
                               vehicle_id=vehicle_id)
            brk = next((b for b in vehicle.breaks
                        if b.earliest_start_s <= start_s <= b.latest_end_s - b.duration_s), None)
            if brk is None:
                raise Conflict("今は休憩の時間帯ではありません", "no break is due now")
            if self.live.states[key].onboard:
                raise Conflict("乗客が乗車中は休憩できません", "a break needs an empty vehicle")
            st = self.live.states[key]
            end = start_s + brk.duration_s
            after = VehicleState(key, st.node, max(st.time_s, end), st.onboard,
                                 st.onboard_departed_s)
            rest = replace(vehicle, breaks=tuple(b for b in vehicle.breaks if b is not brk))
            late_before = self._late_s(key, st)
            self.live.vehicles[key] = rest
            ok = self._check(key, self.live.plans[key], after).feasible
            if not ok and late_before:
                # Already late: the break may not make any promise later than it is now.
                ok = self._late_s(key, after) <= late_before
            if not ok:
                # A promise made to a later rider would break: the break waits.
                self.live.vehicles[key] = vehicle
                raise Conflict(
                    "今休憩すると、この後の予約の約束の時刻に間に合いません。予定の休憩時刻に"
                    "開始してください。",
                    "Taking the break now would make a later booking miss its promise; start it "
                    "at the planned time.", rule="break_keeps_promises")
            self.live.states[key] = after
            self.live.revisions[key] = self.live.revisions.get(key, 0) + 1
            with Session(self.db, expire_on_commit=False) as s, s.begin():
                self._save_plan(s, key)
                repo.add_event(s, "break", vehicle_id=vehicle_id, actor_id=actor_id,
                               at=_dt(start_s), start_s=start_s, end_s=end)
            self._bump([])
            return {"ok": True, "start_s": start_s, "end_s": end}

    def position(self, vehicle_id: str, lat: float, lon: float, actor_id: str,
                 heading: float | None = None) -> None:
        """Record a vehicle's reported position (kept on the vehicle row and in the event log)."""
        now = self.clock()
        with Session(self.db, expire_on_commit=False) as s, s.begin():
            v = s.get(VehicleRow, vehicle_id)
            if v is None:
                raise NotFound("車両が見つかりません", "vehicle not found", vehicle_id=vehicle_id)
            v.lat, v.lon, v.heading, v.position_at = lat, lon, heading, _dt(now)
            repo.add_event(s, "position", vehicle_id=vehicle_id, actor_id=actor_id, at=_dt(now),
                           lat=lat, lon=lon)
        with self.lock:
            self.version += 1
            self.changed.notify_all()

    # ------------------------------------------------------------------ re-optimisation

    def reoptimize(self, day: date | None = None, time_limit_s: float = 2.0,
                   seed: int = 0) -> dict[str, Any]:
        """One background cycle: solve a snapshot, swap only if unchanged, feasible and better.

        A late vehicle never makes the cycle fail: its bookings that another vehicle can keep
        on time are handed over, the rest are placed where they are least late
        (:mod:`dispatcher.recovery`); status ``repaired``. Alerts follow (:meth:`watch`).
        """
        day = day or self.today()
        now = self.clock()
        with self.lock:
            version = self.version
            fleet = self._fleet(day, now, relax=False)
            if not fleet.vehicles or not fleet.bookings:
                self.watch(day)
                return {"status": "idle", "day": day.isoformat()}
            time_s, dist_m = self.plan_s, self.places.dist_m
        result = optimize.reoptimize(fleet, time_s, self.params, dist_m=dist_m,
                                     time_limit_s=time_limit_s, seed=seed)
        done = (optimize.ReoptStatus.IMPROVED, optimize.ReoptStatus.REPAIRED)
        out: dict[str, Any] = {"status": result.status.value, "day": day.isoformat()}
        with self.lock:
            if result.status not in done:
                self.watch(day)
                return out
            if self.version != version:
                return {"status": "stale", "day": day.isoformat()}
            changed = [k for k, p in result.plans.items() if p != self.live.plans.get(k)]
            if not changed:
                self.watch(day)
                return {"status": "unchanged", "day": day.isoformat()}
            for k in changed:
                self.live.plans[k] = result.plans[k]
                self.live.revisions[k] = self.live.revisions.get(k, 0) + 1
            for k, p in result.plans.items():
                for st in p.stops:
                    self.live.assigned[st.booking_id] = k
            with Session(self.db, expire_on_commit=False) as s, s.begin():
                for k in changed:
                    self._save_plan(s, k)
                for k in changed:
                    vid = split_vd(k)[0]
                    for st in result.plans[k].stops:
                        r = s.get(BookingRow, st.booking_id)
                        if r is not None and r.vehicle_id != vid:
                            repo.add_event(s, "moved", booking_id=r.id, vehicle_id=vid,
                                           actor_id="optimizer", at=_dt(now),
                                           from_vehicle=r.vehicle_id, reason=result.status.value)
                            r.vehicle_id = vid
                            r.updated_at = _dt(now)
                repo.add_event(s, "reoptimized", at=_dt(now), vehicles=changed,
                               cost_before=result.cost_before, cost_after=result.cost_after,
                               status=result.status.value, moved=list(result.moved),
                               late=result.late)
            self._bump([])
            self.watch(day)
            return {**out, "vehicles": changed, "cost_before": result.cost_before,
                    "cost_after": result.cost_after, "moved": list(result.moved),
                    "late": result.late}

    # ------------------------------------------------------------------ alerts

    def watch(self, day: date | None = None, keys: list[str] | None = None) -> list[str]:  # noqa: C901 — to split (issue 17)
        """Tell riders and operators when a promise is at risk, and when it is safe again.

        Compares each vehicle-day's timetable (:meth:`schedule`) with the alerts already sent
        and writes the changes as events: ``promise_at_risk`` (data: ``what`` pickup|dropoff|
        ride, ``level`` late — broken under expected times — or at_risk — under planning times
        only, ``late_s``, ``expected_at``, ``promised_by``, epoch s), ``promise_recovered``
        (``reason`` kept|done), ``vehicle_late`` (``late_s``) and ``vehicle_on_time``. Returns
        the event types written. Call under the lock.
        """
        now = self.clock()
        if keys is None:
            keys = self.vehicle_day_keys(day=day or self.today())
        found: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
        vehicle_late: dict[str, int] = {}
        for key in keys:
            if not self.in_service(key, now):
                continue
            check = self.schedule(key)
            if not check.stops:
                continue
            vid = split_vd(key)[0]
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
        written: list[str] = []
        with Session(self.db, expire_on_commit=False) as s, s.begin():
            for bid, parts in found.items():
                before = self._alerts.get(bid, frozenset())
                for part, data in parts.items():
                    if part not in before:
                        repo.add_event(s, "promise_at_risk", booking_id=bid,
                                       vehicle_id=data.pop("vehicle_id"), at=_dt(now), **data)
                        written.append("promise_at_risk")
                self._alerts[bid] = frozenset(parts)
            looked = set(keys)
            for bid in [b for b in self._alerts if b not in found]:
                key = self.live.assigned.get(bid)
                done = bid not in self.live.bookings
                if not done and key not in looked:
                    continue  # on a vehicle not looked at this time
                repo.add_event(s, "promise_recovered", booking_id=bid,
                               vehicle_id=split_vd(key)[0] if key else None, at=_dt(now),
                               reason="done" if done else "kept")
                written.append("promise_recovered")
                del self._alerts[bid]
            for vid, late_s in vehicle_late.items():
                was = self._late_vehicles.get(vid, 0)
                if late_s > 0 and (was == 0 or abs(late_s - was) >= 120):
                    repo.add_event(s, "vehicle_late", vehicle_id=vid, at=_dt(now), late_s=late_s)
                    written.append("vehicle_late")
                    self._late_vehicles[vid] = late_s
                elif late_s == 0 and was > 0:
                    repo.add_event(s, "vehicle_on_time", vehicle_id=vid, at=_dt(now))
                    written.append("vehicle_on_time")
                    self._late_vehicles.pop(vid, None)
        return written

    def _watch_vehicle(self, vehicle_id: str | None) -> None:
        """:meth:`watch` the vehicle's days after a change (outside any transaction)."""
        if vehicle_id is None:
            return
        with self.lock:
            keys = self.vehicle_day_keys(vehicle_id)
            if keys:
                self.watch(keys=keys)

    # ------------------------------------------------------------------ end of shift

    def back_at_depot(self, vehicle_id: str, actor_id: str, end_shift: bool = False
                      ) -> dict[str, Any]:
        """The driver reports the vehicle back at its depot (and, with ``end_shift``, the shift
        over). Refused while riders are on board; ending the shift is refused while bookings
        are still planned on the vehicle (the operator moves them first). An ended shift takes
        the vehicle out of planning for the day, so it never holds up anyone else's plans.
        """
        now = self.clock()
        with self.lock:
            day = self.today()
            key = vd_key(vehicle_id, day)
            if key not in self.live.vehicles:
                raise NotFound("今日の勤務がありません", "no shift of this vehicle today",
                               vehicle_id=vehicle_id)
            st = self.live.states[key]
            plan = self.live.plans[key]
            if st.onboard:
                raise Conflict("乗客が乗車中です。降車を記録してから帰庫してください。",
                               "Riders are on board: record their drop-off first.",
                               rule="riders_on_board")
            if end_shift and plan.stops:
                raise Conflict(
                    f"まだ{len({x.booking_id for x in plan.stops})}件の予約が残っています。"
                    "運行管理者に他の車両への移動を依頼してください。",
                    f"{len({x.booking_id for x in plan.stops})} booking(s) are still planned on "
                    "this vehicle; ask the operator to move them first.", rule="bookings_left")
            depot = self.live.vehicles[key].depot
            self.live.states[key] = VehicleState(key, depot, max(st.time_s, now))
            self._en_route.discard(key)
            if end_shift:
                self._ended.add(key)
            self.live.revisions[key] = self.live.revisions.get(key, 0) + 1
            with Session(self.db, expire_on_commit=False) as s, s.begin():
                if depot != st.node:
                    self._log_leg(s, vehicle_id, st, depot, now, 0)
                if end_shift:
                    for sh in s.exec(select(ShiftRow).where(ShiftRow.vehicle_id == vehicle_id,
                                                            ShiftRow.day == day)):
                        sh.ended_at = _dt(now)
                self._save_plan(s, key)
                repo.add_event(s, "shift_ended" if end_shift else "at_depot",
                               vehicle_id=vehicle_id, actor_id=actor_id, at=_dt(now))
            self._bump([])
            return {"ok": True, "at": now, "shift_ended": end_shift or key in self._ended}

    # ------------------------------------------------------------------ views

    def stop_lookup(self) -> dict[int, StopRow | None]:
        """Place index -> stop id (for views)."""
        return {p: sid for sid, p in self.stop_place.items()}  # type: ignore[misc]

    def vehicle_day_keys(self, vehicle_id: str | None = None, day: date | None = None) -> list[str]:
        """Vehicle-day keys, optionally of one vehicle or one day."""
        out = []
        for k in self.live.vehicles:
            vid, d = split_vd(k)
            if (vehicle_id is None or vid == vehicle_id) and (day is None or d == day):
                out.append(k)
        return sorted(out)

    def forbid_unless(self, allowed: bool) -> None:
        """Raise Forbidden unless ``allowed``."""
        if not allowed:
            raise Forbidden("この操作は許可されていません", "you may not do this")
