"""The simulated day's actors on the engine in process: the drivers' gateway (what the driver API
calls) and the riders, who book through the engine as the API does (offers, then accept), cancel,
or stay away.
"""

from __future__ import annotations

import time as wall
from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace

import numpy as np

from dispatcher.engine import Engine, VehicleDay
from dispatcher.errors import NoriaiError
from dispatcher.model import StopKind
from dispatcher.sim.demand import TripSpec
from dispatcher.sim.vehicles import StopView, VehicleView
from dispatcher.trip import Party, Place, TripInput


class EngineGateway:
    """The simulated drivers' window on the engine in process (what the driver API calls)."""

    def __init__(self, engine: Engine, day: date) -> None:
        self.engine = engine
        self.day = day
        self.network = engine.network
        self.infeasible_views = 0
        #: Views of a vehicle with pending stops but no times (a driver left without a schedule).
        self.untimed_views = 0

    def view(self, vehicle_id: str) -> VehicleView | None:
        """The vehicle's plan and the engine's schedule of it."""
        e = self.engine
        vd = VehicleDay(vehicle_id, self.day)
        with e.lock:
            day = e.view(vd)
            if day is None:
                return None
            plan = day.plan
            check = e.schedule(vd)
            if not check.feasible:
                self.infeasible_views += 1
            if plan.stops and not check.stops:
                self.untimed_views += 1
            stops = []
            for i, st in enumerate(plan.stops):
                b = day.bookings[st.booking_id]
                timing = check.stops[i] if check.stops else None
                stops.append(StopView(
                    st.booking_id, st.kind.value, e.places.node_of(st.node),
                    timing.arrival_s if timing else 0, timing.start_s if timing else 0,
                    b.promise.pickup_earliest_s if st.kind == StopKind.PICKUP else None,
                    e.params.dwell_s(b.request.passengers),
                    check.leave_by_s[i] if check.leave_by_s else None))
            return VehicleView(tuple(stops), tuple(check.break_starts_s), tuple(day.state.onboard))

    def report(self, vehicle_id: str, kind: str, booking_id: str | None,
               lat: float | None, lon: float | None) -> None:
        """A driver event through the engine."""
        self.engine.driver_event(vehicle_id, kind, booking_id, f"driver-{vehicle_id}", lat, lon)

    def no_show(self, vehicle_id: str, booking_id: str) -> None:
        """A driver's no-show through the engine."""
        self.engine.no_show(booking_id, f"driver-{vehicle_id}", vehicle_id=vehicle_id)

    def position(self, vehicle_id: str, lat: float, lon: float) -> None:
        """A position report through the engine."""
        self.engine.position(vehicle_id, lat, lon, f"driver-{vehicle_id}")

    def take_break(self, vehicle_id: str, start_s: int) -> int:
        """Start the due break."""
        return int(self.engine.break_taken(vehicle_id, start_s, f"driver-{vehicle_id}")["end_s"])

    def travel_s(self, a: int, b: int) -> int:
        """Planned travel time between road nodes (the engine's matrices)."""
        places = self.engine.places
        return int(places.time_s[places.index_of(a), places.index_of(b)])

    def polyline(self, a: int, b: int) -> list[tuple[float, float]]:
        """Road path between two nodes."""
        return self.network.polyline(a, b)  # type: ignore[attr-defined, no-any-return]

    def coords(self, node: int) -> tuple[float, float]:
        """(lat, lon) of a road node."""
        return self.network.node_coords(node)


@dataclass
class RiderLog:
    """What the simulated riders did: asked, refused, booked, cancelled (counts and ids)."""

    asked: int = 0
    refused: int = 0
    took_alternative: int = 0
    declined_alternative: int = 0
    booked: dict[str, TripSpec] = field(default_factory=dict)
    cancelled: int = 0
    offer_ms: list[float] = field(default_factory=list)


class Riders:
    """Simulated riders booking through the engine as the API does (offers, then accept)."""

    def __init__(self, engine: Engine, rng: np.random.Generator) -> None:
        self.engine = engine
        self.rng = rng
        self.log = RiderLog()
        self.booking_of: dict[str, str] = {}

    def book(self, spec: TripSpec) -> str | None:
        """Ask for offers and accept the asked one (or, if willing, the nearest alternative)."""
        e = self.engine
        rider = f"sim-rider-{spec.rider:04d}"
        trip = TripInput(Place(spec.origin), Place(spec.destination),
                         Party(spec.adults, spec.children, 0, spec.wheelchairs),
                         spec.rule, spec.time_s)
        self.log.asked += 1
        t0 = wall.perf_counter()
        try:
            found = e.make_offers(rider, trip)
        except NoriaiError:
            self.log.refused += 1
            return None
        finally:
            self.log.offer_ms.append((wall.perf_counter() - t0) * 1000)
        offers = found["offers"]
        if not offers:
            if not spec.accepts_alternative or not found["alternatives"]:
                self.log.declined_alternative += 1
                return None
            offers = sorted(found["alternatives"],
                            key=lambda o: abs(int(o.pickup_earliest_at.timestamp()) - spec.time_s))
            self.log.took_alternative += 1
        offer = offers[0]
        booked_by = "operator" if spec.channel == "phone" else rider
        try:
            row, _ = e.accept(rider, offer.id, f"sim-{spec.id}", booked_by=booked_by,
                              channel=spec.channel, rider_name=rider)
        except NoriaiError:
            self.log.refused += 1
            return None
        self.log.booked[row.id] = spec
        self.booking_of[spec.id] = row.id
        return str(row.id)

    def cancel(self, spec: TripSpec) -> None:
        """Cancel the trip's booking if it still waits for pickup."""
        bid = self.booking_of.get(spec.id)
        if bid is None or self.engine.assigned(bid) is None:
            return
        actor = SimpleNamespace(user_id=f"sim-rider-{spec.rider:04d}")
        try:
            self.engine.cancel(bid, actor, by_operator=spec.channel == "phone")
            self.log.cancelled += 1
        except NoriaiError:
            pass

    def no_show(self, booking_id: str) -> bool:
        """Whether the rider of a booking stays away."""
        spec = self.log.booked.get(booking_id)
        return bool(spec and spec.no_show)
