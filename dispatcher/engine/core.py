"""The engine: the dispatch service of one service area over its database — clock injected.

It keeps the live state in memory (:class:`~dispatcher.engine.state.Live`: vehicles per
service day, their states and plans, the open bookings) and writes every change to the
database in one transaction together with its events, under one lock, so that concurrent
riders never over-book a vehicle. The work is done by the service modules of this package —
:mod:`.offers`, :mod:`.bookings`, :mod:`.driving`, :mod:`.reopt`, :mod:`.alerts`,
:mod:`.startup` — over the pure parts (:mod:`.state`, :mod:`.machine`, :mod:`.planning`,
:mod:`.rows`) and the store's repositories; :class:`Engine` is their one entry point.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Engine as DbEngine
from sqlmodel import Session

from dispatcher.engine import alerts, bookings, driving, offers, published, reopt, startup
from dispatcher.engine.planning import Clock, Planner
from dispatcher.engine.results import (
    BreakResult,
    DepotResult,
    OfferSet,
    ReoptResult,
    ReportResult,
)
from dispatcher.engine.rows import Rows
from dispatcher.engine.state import DayView, Live
from dispatcher.engine.vehicle_day import VehicleDay
from dispatcher.engine.workers import Workers
from dispatcher.errors import Forbidden
from dispatcher.feasibility import RouteCheck
from dispatcher.params import DispatchParams
from dispatcher.places import RoadNetwork
from dispatcher.service_area import ServiceArea
from dispatcher.store import bookings as booking_store
from dispatcher.store import fleet as fleet_store
from dispatcher.store.tables import BookingRow
from dispatcher.store.types import to_dt
from dispatcher.trip import TripInput
from gtfs.live import LiveVehicle


class Engine:
    """The dispatch service of one service area (see the module).

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
        #: Bumped on every change; :attr:`changed` is notified (the driver app's live view).
        self.version = 0
        self.changed = threading.Condition(self.lock)
        self.rows = Rows(service, network)
        self.places = self.rows.places
        self.stop_place = self.rows.stop_place
        self.planner = Planner(Live(), self.places, network, self.params, self.tz, clock)
        self.alerts = alerts.AlertMemory()
        #: The other workers on the same database (:mod:`.workers`).
        self.workers = Workers(db, service.id)
        #: The committed version of each service day this worker's live state holds.
        self.day_versions: dict[date, int] = {}
        self.offer_days = offers.OfferDays()
        self._held = threading.local()
        self._day_mutexes: dict[date, threading.Lock] = {}
        self._mutexes_lock = threading.Lock()

    # ------------------------------------------------------------------ state and units of work

    @property
    def live(self) -> Live:
        """The live state (replaced as a whole on :meth:`rebuild`)."""
        return self.planner.live

    @property
    def plan_s(self) -> np.ndarray:
        """Planning (pessimistic) travel times over the place index (:attr:`Planner.plan_s`)."""
        return self.planner.plan_s

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """A session in a transaction: committed when the block ends, rolled back on error.

        Inside :meth:`writing` the transaction also counts the change of the day being
        written, so that the other workers reload it (:mod:`.workers`)."""
        bumped: dict[date, int] = {}
        with Session(self.db, expire_on_commit=False) as s, s.begin():
            yield s
            for day in self._days_held():
                version = self.workers.bump(s, day)
                if version is not None:
                    bumped[day] = version
        self.day_versions.update(bumped)

    def _days_held(self) -> frozenset[date]:
        days: frozenset[date] = getattr(self._held, "days", frozenset())
        return days

    @contextmanager
    def writing(self, day: date) -> Iterator[None]:
        """The block may change ``day``'s plans: under the day's lock across workers and the
        engine's lock, on a live state that holds the day as committed (reloaded first when
        another worker changed it). Re-entrant."""
        held = self._days_held()
        if day in held:
            with self.lock:
                yield
            return
        # One thread per day and process waits for the database's lock: the others wait
        # here, holding no connection (the one that got it needs one more to write).
        with self._day_mutex(day), self.workers.day_lock(day) as version, self.lock:
            if version is not None and version != self.day_versions.get(day, 0):
                startup.refresh_day(self, day)
                self.day_versions[day] = version
            self._held.days = held | {day}
            before = self.live.changes
            try:
                yield
            except BaseException:
                if self.live.changes != before:
                    # A change that did not commit may have left the memory ahead of the
                    # database: the day is reloaded as stored.
                    startup.refresh_day(self, day, full=True)
                raise
            finally:
                self._held.days = held

    def _day_mutex(self, day: date) -> threading.Lock:
        with self._mutexes_lock:
            return self._day_mutexes.setdefault(day, threading.Lock())

    def day_changed(self, day: date | None, version: int) -> None:
        """Another worker committed a change of ``day`` (None: of any day): reload it."""
        if day is not None and version <= self.day_versions.get(day, 0):
            return  # already held (most often this worker's own change, notified back)
        with self.lock:
            if day is None:
                with self.reading() as s:
                    versions = self.workers.versions(s, self.today() - timedelta(days=1))
                for d, v in versions.items():
                    self.day_changed(d, v)
                return
            if version > self.day_versions.get(day, 0):
                startup.refresh_day(self, day)
                self.day_versions[day] = version

    def day_of_booking(self, booking_id: str) -> date:
        """The service day of a booking (today when it is unknown: the caller answers 404)."""
        key = self.live.assigned.get(booking_id)
        if key is not None:
            return VehicleDay.of(key).day
        with self.reading() as s:
            row = booking_store.get_booking(s, booking_id)
        return row.service_day if row is not None else self.today()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads (no transaction of its own)."""
        with Session(self.db, expire_on_commit=False) as s:
            yield s

    def save_plan(self, s: Session, key: str) -> None:
        """Store a vehicle-day's live plan and state in ``s``'s transaction."""
        fleet_store.save_plan(s, key, self.rows.plan_record(self.live, key, self.clock()))

    def bump(self) -> None:
        """Tell waiting views that the live state changed."""
        self.version += 1
        self.changed.notify_all()

    def now_dt(self) -> datetime:
        """The engine's "now" as an aware UTC datetime (for timestamps the shells write)."""
        return to_dt(self.clock())

    def day_at(self, epoch_s: int) -> date:
        """The local service day of a moment."""
        return datetime.fromtimestamp(epoch_s, tz=self.tz).date()

    def today(self) -> date:
        """The local service day of "now"."""
        return self.day_at(self.clock())

    # ------------------------------------------------------------------ start-up

    def start(self) -> None:
        """Seed an empty database, create shifts ahead, rebuild the live state."""
        startup.start(self)

    def ensure_day(self, day: date) -> None:
        """Make sure the shifts of ``day`` exist and are in the live state."""
        startup.ensure_day(self, day)

    def rebuild(self) -> None:
        """Rebuild vehicles, states, plans and open bookings from the database."""
        startup.rebuild(self)

    # ------------------------------------------------------------------ views of the plans

    def view(self, vd: VehicleDay) -> DayView | None:
        """A snapshot of a vehicle-day (None when it has no shift); take it under the lock
        together with :meth:`schedule` when both must agree."""
        with self.lock:
            return self.live.view(vd)

    def assigned(self, booking_id: str) -> VehicleDay | None:
        """The vehicle-day an open booking is planned on."""
        key = self.live.assigned.get(booking_id)
        return VehicleDay.of(key) if key is not None else None

    def en_route(self, vd: VehicleDay) -> bool:
        """True while a vehicle-day drives to its first planned stop (departed, not arrived)."""
        return vd.key in self.live.en_route

    def shift_ended(self, vd: VehicleDay) -> bool:
        """True when the driver of a vehicle-day reported the shift over."""
        return vd.key in self.live.ended

    def in_service(self, vd: VehicleDay, now_s: int) -> bool:
        """True while a vehicle-day takes part in planning (:meth:`Live.in_service`)."""
        return self.live.in_service(vd.key, now_s)

    def schedule(self, vd: VehicleDay) -> RouteCheck:
        """The timetable of a vehicle-day's plan from where it is now (:meth:`Planner.schedule`)."""
        return self.planner.schedule(vd.key)

    def live_times(self, vd: VehicleDay, position: tuple[float, float, int] | None
                   ) -> tuple[list[tuple[int, int]], str]:
        """Arrival and departure times of a vehicle-day's stops (:meth:`Planner.live_times`)."""
        return self.planner.live_times(vd.key, position)

    def live_vehicles(self, day: date, points: published.Points,
                      positions: dict[str, tuple[float, float, int]] | None = None
                      ) -> list[LiveVehicle]:
        """Every vehicle of ``day`` as the public feeds see it (:mod:`.published`)."""
        return published.live_vehicles(self, day, points, positions)

    def network_coords(self, node: int) -> tuple[float, float]:
        """(lat, lon) of a road node."""
        return self.network.node_coords(node)

    def vehicle_days(self, vehicle_id: str | None = None, day: date | None = None
                     ) -> list[VehicleDay]:
        """The vehicle-days with a shift, optionally of one vehicle or one day, in order."""
        return self.live.vehicle_days(vehicle_id, day)

    def vehicle_day_keys(self, vehicle_id: str | None = None, day: date | None = None
                         ) -> list[str]:
        """The core vehicle ids (``"V@D"``) of :meth:`vehicle_days`: for the engine's own
        modules, which index the live state by them."""
        return [vd.key for vd in self.vehicle_days(vehicle_id, day)]

    def forbid_unless(self, allowed: bool) -> None:
        """Raise Forbidden unless ``allowed``."""
        if not allowed:
            raise Forbidden("この操作は許可されていません", "you may not do this")

    # ------------------------------------------------------------------ offers and bookings

    def make_offers(self, rider_id: str, trip: TripInput) -> OfferSet:
        """Offers for a trip and alternatives (:func:`dispatcher.engine.offers.make_offers`)."""
        return offers.make_offers(self, rider_id, trip)

    def accept(self, rider_id: str, offer_id: str, idempotency_key: str | None,
               booked_by: str, channel: str = "app", rider_name: str = "",
               rider_phone: str = "") -> tuple[BookingRow, bool]:
        """Book an offer (:func:`dispatcher.engine.offers.accept`)."""
        return offers.accept(self, rider_id, offer_id, idempotency_key, booked_by, channel,
                             rider_name, rider_phone)

    def cancel(self, booking_id: str, actor: Any, *, by_operator: bool) -> BookingRow:
        """Cancel a confirmed booking (:func:`dispatcher.engine.bookings.cancel`)."""
        return bookings.cancel(self, booking_id, actor, by_operator=by_operator)

    def no_show(self, booking_id: str, actor_id: str, vehicle_id: str | None = None
                ) -> BookingRow:
        """Record a no-show (:func:`dispatcher.engine.bookings.no_show`)."""
        return bookings.no_show(self, booking_id, actor_id, vehicle_id)

    def undo_no_show(self, booking_id: str, actor_id: str, vehicle_id: str,
                     within_s: int) -> BookingRow:
        """Undo a driver's recent no-show (:func:`dispatcher.engine.bookings.undo_no_show`)."""
        return bookings.undo_no_show(self, booking_id, actor_id, vehicle_id, within_s)

    def boarding_here(self, vehicle_id: str) -> frozenset[str]:
        """Bookings boarding at the vehicle's current stop (:func:`.bookings.boarding_here`)."""
        return bookings.boarding_here(self, vehicle_id)

    def move(self, booking_id: str, vehicle_id: str, actor_id: str) -> BookingRow:
        """Move a booking to another vehicle (:func:`dispatcher.engine.bookings.move`)."""
        return bookings.move(self, booking_id, vehicle_id, actor_id)

    # ------------------------------------------------------------------ driving

    def driver_event(self, vehicle_id: str, kind: str, booking_id: str | None,
                     actor_id: str, lat: float | None = None, lon: float | None = None
                     ) -> ReportResult:
        """Apply a driver's report (:func:`dispatcher.engine.driving.driver_event`), then send
        the alerts it changes."""
        out = driving.driver_event(self, vehicle_id, kind, booking_id, actor_id, lat, lon)
        alerts.watch_vehicle(self, vehicle_id)
        return out

    def break_taken(self, vehicle_id: str, start_s: int, actor_id: str) -> BreakResult:
        """A driver starts a break (:func:`dispatcher.engine.driving.break_taken`)."""
        return driving.break_taken(self, vehicle_id, start_s, actor_id)

    def position(self, vehicle_id: str, lat: float, lon: float, actor_id: str,
                 heading: float | None = None) -> None:
        """A vehicle's reported position (:func:`dispatcher.engine.driving.position`)."""
        driving.position(self, vehicle_id, lat, lon, actor_id, heading)

    def back_at_depot(self, vehicle_id: str, actor_id: str, end_shift: bool = False
                      ) -> DepotResult:
        """Back at the depot / end of shift (:func:`dispatcher.engine.driving.back_at_depot`)."""
        return driving.back_at_depot(self, vehicle_id, actor_id, end_shift)

    # ------------------------------------------------------------------ re-optimisation, alerts

    def reoptimize(self, day: date | None = None, time_limit_s: float = 2.0,
                   seed: int = 0) -> ReoptResult:
        """One re-optimisation cycle (:func:`dispatcher.engine.reopt.reoptimize`)."""
        return reopt.reoptimize(self, day, time_limit_s, seed)

    def watch(self, day: date | None = None, keys: list[str] | None = None) -> list[str]:
        """Alerts on promises at risk and late vehicles (:func:`dispatcher.engine.alerts.watch`)."""
        return alerts.watch(self, day, keys)
