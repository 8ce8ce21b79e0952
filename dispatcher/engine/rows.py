"""Between stored rows and the core: places, bookings, vehicle-days and plans — no I/O.

The store keeps stop ids and coordinates; the core plans over the place index of the road
network (:class:`~dispatcher.places.PlaceIndex`). :class:`Rows` translates both ways.
"""

from __future__ import annotations

from typing import Any

from dispatcher.engine.state import Live
from dispatcher.engine.vehicle_day import VehicleDay
from dispatcher.errors import InvalidInput
from dispatcher.model import (
    Booking,
    Break,
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
from dispatcher.places import PlaceIndex, RoadNetwork, stop_nodes
from dispatcher.service_area import ServiceArea
from dispatcher.store.fleet import PlanRecord
from dispatcher.store.tables import BookingRow, PlanRow, ShiftRow, VehicleRow
from dispatcher.store.types import to_dt, to_s
from dispatcher.trip import Place


class Rows:
    """Translation between the store's rows and the core's values for one service area."""

    def __init__(self, service: ServiceArea, network: RoadNetwork) -> None:
        self.service = service
        self.network = network
        nodes = stop_nodes(service, network)
        self.places = PlaceIndex(network, list(nodes.values()))
        self.stop_place = {sid: self.places.index_of(n) for sid, n in nodes.items()}
        self._place_stop: dict[int, str] = {}
        for sid, p in self.stop_place.items():
            self._place_stop.setdefault(p, sid)  # the first stop of a shared place

    def stop_at(self, place: int) -> str | None:
        """The stop id at a place of the index (None for a free point)."""
        return self._place_stop.get(place)

    def place_index(self, place: Place) -> tuple[int, str | None, float, float]:
        """(place index, stop id, lat, lon) of a rider's place; InvalidInput for an unknown stop
        (a point outside the zone raises from the network's snap)."""
        if place.stop_id is not None:
            if place.stop_id not in self.stop_place:
                raise InvalidInput(f"不明な乗り場です: {place.stop_id}",
                                   f"unknown stop: {place.stop_id}", stop_id=place.stop_id)
            sp = self.service.stop(place.stop_id)
            return self.stop_place[place.stop_id], place.stop_id, sp.lat, sp.lon
        assert place.lat is not None and place.lon is not None
        node = self.network.snap(place.lat, place.lon, self.service.zone)
        return self.places.index_of(node), None, place.lat, place.lon

    def _point(self, stop_id: str | None, lat: float | None, lon: float | None) -> int:
        if stop_id:
            return self.stop_place[stop_id]
        assert lat is not None and lon is not None
        return self.places.index_of(self.network.snap(lat, lon))

    def booking(self, row: BookingRow) -> Booking:
        """The core booking of a stored one."""
        origin = self._point(row.origin_stop_id, row.origin_lat, row.origin_lon)
        dest = self._point(row.destination_stop_id, row.destination_lat, row.destination_lon)
        request = Request(row.id, origin, dest,
                          Passengers(row.adults, row.children, row.wheelchairs),
                          TimeRule(row.rule), to_s(row.requested_at))
        promise = Promise(to_s(row.pickup_earliest_at), to_s(row.pickup_latest_at),
                          to_s(row.dropoff_latest_at), row.max_ride_s)
        return Booking(request, promise)

    def vehicle(self, sh: ShiftRow, v: VehicleRow) -> Vehicle:
        """The core vehicle of a shift (a vehicle-day)."""
        breaks: tuple[Break, ...] = ()
        if (sh.break_s and sh.break_earliest_at and sh.break_latest_end_at
                and sh.break_taken_at is None):
            breaks = (Break(to_s(sh.break_earliest_at), to_s(sh.break_latest_end_at),
                            sh.break_s),)
        return Vehicle(VehicleDay(sh.vehicle_id, sh.day).key, v.seats, v.wheelchair_spaces,
                       self.stop_place[v.depot_stop_id], to_s(sh.start_at), to_s(sh.end_at),
                       breaks)

    def state(self, vehicle: Vehicle, prow: PlanRow, bookings: dict[str, Booking]
              ) -> VehicleState:
        """A vehicle-day's stored state (riders no longer open are left out)."""
        node = vehicle.depot
        if prow.state_lat is not None and prow.state_lon is not None:
            node = self.places.index_of(self.network.snap(prow.state_lat, prow.state_lon))
        elif prow.state_node_stop:
            node = self.stop_place.get(prow.state_node_stop, vehicle.depot)
        kept = [b for b in prow.onboard if b["booking_id"] in bookings]
        time_s = to_s(prow.state_at) if prow.state_at else vehicle.shift_start_s
        return VehicleState(vehicle.id, node, time_s, tuple(b["booking_id"] for b in kept),
                            tuple(int(b["departed_s"]) for b in kept))

    def plan(self, key: str, prow: PlanRow, bookings: dict[str, Booking]) -> Plan:
        """A vehicle-day's stored plan (stops of bookings no longer open are left out)."""
        stops = tuple(
            PlannedStop(st["booking_id"], StopKind(st["kind"]),
                        self._point(st.get("stop_id"), st.get("lat"), st.get("lon")))
            for st in prow.stops if st["booking_id"] in bookings)
        return Plan(key, stops, min(prow.locked, len(stops)))

    def _stops_json(self, plan: Plan) -> list[dict[str, Any]]:
        out = []
        for st in plan.stops:
            stop_id = self.stop_at(st.node)
            item: dict[str, Any] = {"booking_id": st.booking_id, "kind": st.kind.value,
                                    "stop_id": stop_id}
            if stop_id is None:
                lat, lon = self.network.node_coords(self.places.node_of(st.node))
                item.update(lat=lat, lon=lon)
            out.append(item)
        return out

    def plan_record(self, live: Live, key: str, now_s: int) -> PlanRecord:
        """What is stored of a vehicle-day's plan and state."""
        plan, st = live.plans[key], live.states[key]
        stop_id = self.stop_at(st.node)
        lat = lon = None
        if stop_id is None:
            lat, lon = self.network.node_coords(self.places.node_of(st.node))
        departed = st.departed()
        return PlanRecord(
            revision=live.revisions.get(key, 0), locked=plan.locked,
            stops=self._stops_json(plan), state_node_stop=stop_id, state_lat=lat,
            state_lon=lon, state_at=to_dt(st.time_s),
            onboard=[{"booking_id": b, "departed_s": departed.get(b, st.time_s)}
                     for b in st.onboard],
            updated_at=to_dt(now_s), en_route=key in live.en_route)
