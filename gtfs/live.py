"""The live service → the GTFS-Realtime builders' plain inputs (VehicleFix, VehicleRun).

Each vehicle's run of a service day is one NEW trip of the Flex route with a stable id
(:func:`run_trip_id`, ``run-<vehicle>-<YYYYMMDD>``) so that consumers can follow it while the
plan changes. Its stops are, in order, the stops already served that day (the boardings and
alightings recorded on the bookings, at their actual times) followed by the planned stops with
the times of the engine's schedule — the same times the driver's manifest shows.

Stop ids are those of the service's ``stops.txt``. A rider's own point (a trip from or to a
place that is not a stop) is published as the nearest stop of the service, not as an
experimental ``Stop`` entity with the exact coordinates: the feed is public, and the exact
point is usually a rider's home; most consumers ignore the experimental entity anyway.

Pure: the engine hands its live state over as plain :class:`LiveVehicle` values
(:meth:`dispatcher.engine.Engine.live_vehicles`) and the API passes the rows; nothing here reads
the engine or the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from dispatcher.service_area import ServiceArea
from gtfs.realtime import RunStop, VehicleFix, VehicleRun, occupancy_from_load
from routing.geo import haversine_m

#: Positions older than this (s) are not published: the vehicle is not live.
MAX_FIX_AGE_S = 3600


@dataclass(frozen=True, slots=True)
class LiveStop:
    """A planned stop of a vehicle with its expected times (epoch s): the service's stop, or
    ``stop_id`` None and the point (a rider's own place, published as the nearest stop)."""

    stop_id: str | None
    lat: float
    lon: float
    arrival: int
    departure: int


@dataclass(frozen=True, slots=True)
class LiveVehicle:
    """One vehicle's live state on a service day, as the feeds need it.

    ``stops``: its planned stops in order with their times (empty when the plan cannot be
    timed); ``onboard``: riders on board now; ``has_next``: a stop is planned; ``at_next``: the
    vehicle is at that stop (not driving to it).
    """

    vehicle_id: str
    name: str
    stops: tuple[LiveStop, ...] = ()
    onboard: int = 0
    has_next: bool = False
    at_next: bool = False


def run_trip_id(vehicle_id: str, day: date) -> str:
    """Trip id of a vehicle's run on a service day (stable while the plan changes)."""
    return f"run-{vehicle_id}-{day:%Y%m%d}"


def nearest_stop(service: ServiceArea, lat: float, lon: float) -> str:
    """Id of the service's stop nearest to (lat, lon) (great-circle distance)."""

    return min(service.stops, key=lambda s: haversine_m(lat, lon, s.lat, s.lon)).id


def _stop_of(service: ServiceArea, stop_id: str | None, lat: float | None,
             lon: float | None) -> str:
    if stop_id:
        return stop_id
    assert lat is not None and lon is not None
    return nearest_stop(service, lat, lon)


def executed_stops(service: ServiceArea, rows: Iterable[Any]) -> dict[str, list[tuple[int, str]]]:
    """Served stops per vehicle: ``(epoch s, stop id)`` of each boarding and alighting.

    ``rows`` are booking rows (``vehicle_id``, ``picked_up_at``, ``dropped_off_at``, origin and
    destination stop ids or points) of one service day.
    """
    out: dict[str, list[tuple[int, str]]] = {}
    for r in rows:
        if not r.vehicle_id:
            continue
        if r.picked_up_at is not None:
            sid = _stop_of(service, r.origin_stop_id, r.origin_lat, r.origin_lon)
            out.setdefault(r.vehicle_id, []).append((int(r.picked_up_at.timestamp()), sid))
        if r.dropped_off_at is not None:
            sid = _stop_of(service, r.destination_stop_id, r.destination_lat, r.destination_lon)
            out.setdefault(r.vehicle_id, []).append((int(r.dropped_off_at.timestamp()), sid))
    for served in out.values():
        served.sort()
    return out


def planned_stops(service: ServiceArea, vehicle: LiveVehicle) -> list[RunStop]:
    """The planned stops of a vehicle as feed stops (sequence = position in the plan)."""
    return [RunStop(s.stop_id or nearest_stop(service, s.lat, s.lon), i, s.arrival,
                    max(s.departure, s.arrival))
            for i, s in enumerate(vehicle.stops)]


def vehicle_runs(service: ServiceArea, day: date, vehicles: Iterable[LiveVehicle],
                 served: dict[str, list[tuple[int, str]]]) -> list[VehicleRun]:
    """Every vehicle's run of ``day``: served stops, then planned ones (sequence from 1).

    Vehicles with neither served nor planned stops have no run.
    """
    runs = []
    for v in vehicles:
        done = [RunStop(sid, 0, t, t, served=True) for t, sid in served.get(v.vehicle_id, [])]
        todo = planned_stops(service, v)
        if not todo and not done:
            continue
        # A plan computed from an older vehicle state can start before the last served stop:
        # no stop is published earlier than the one before it (served stops keep their times).
        floor: int | None = None
        stops: list[RunStop] = []
        for seq, s in enumerate(done + todo, start=1):
            arr, dep = s.arrival, s.departure
            if floor is not None and arr < floor:
                arr, dep = floor, max(dep, floor)
            floor = dep
            stops.append(RunStop(s.stop_id, seq, arr, dep, s.served))
        runs.append(VehicleRun(run_trip_id(v.vehicle_id, day), v.vehicle_id, tuple(stops), v.name))
    return runs


def vehicle_fixes(vehicles: Iterable[Any], live: Mapping[str, LiveVehicle], now_s: int,
                  runs: Iterable[VehicleRun], max_age_s: int = MAX_FIX_AGE_S) -> list[VehicleFix]:
    """The latest reported position of each vehicle, with occupancy and its run.

    ``vehicles`` are vehicle rows (``id``, ``name``, ``seats``, ``lat``, ``lon``, ``heading``,
    ``position_at``); vehicles without a position, or with one older than ``max_age_s``, are
    left out. ``live`` gives each vehicle's live state of the day (riders on board, whether it
    is at its next stop). The stop is the run's next stop not yet served: ``IN_TRANSIT_TO`` it
    while the vehicle drives there, ``STOPPED_AT`` when it is there; no stop once nothing is
    left.
    """
    by_vehicle = {r.vehicle_id: r for r in runs}
    out = []
    for v in vehicles:
        if v.lat is None or v.lon is None or v.position_at is None:
            continue
        at = int(v.position_at.timestamp())
        if now_s - at > max_age_s:
            continue
        state = live.get(v.id)
        onboard = state.onboard if state else 0
        status = None
        if state is not None and state.has_next:
            status = "STOPPED_AT" if state.at_next else "IN_TRANSIT_TO"
        run = by_vehicle.get(v.id)
        upcoming = [s for s in run.stops if not s.served] if run else []
        out.append(VehicleFix(
            vehicle_id=v.id, lat=v.lat, lon=v.lon, timestamp=at,
            occupancy=occupancy_from_load(onboard, v.seats), label=v.name,
            bearing=v.heading, trip_id=run.trip_id if run else "",
            stop_id=upcoming[0].stop_id if upcoming else "",
            current_status=status if upcoming else None,
        ))
    return out
