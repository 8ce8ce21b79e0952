"""The live service → the GTFS-Realtime builders' plain inputs (VehicleFix, VehicleRun).

Each vehicle's run of a service day is one NEW trip of the Flex route with a stable id
(:func:`run_trip_id`, ``run-<vehicle>-<YYYYMMDD>``) so that consumers can follow it while the
plan changes. Its stops are, in order, the stops already served that day (the boardings and
alightings recorded on the bookings, at their actual times) followed by the planned stops with
the times of ``engine.schedule(key)`` — the same times the driver's manifest shows.

Stop ids are those of the service's ``stops.txt``. A rider's own point (a trip from or to a
place that is not a stop) is published as the nearest stop of the service, not as an
experimental ``Stop`` entity with the exact coordinates: the feed is public, and the exact
point is usually a rider's home; most consumers ignore the experimental entity anyway.

Reads the engine's memory under its lock; no database access here (the API passes the rows).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from dispatcher.engine import Engine, split_vd
from dispatcher.model import StopKind
from dispatcher.service_area import ServiceArea
from gtfs.realtime import RunStop, VehicleFix, VehicleRun, occupancy_from_load
from routing.geo import haversine_m

#: Positions older than this (s) are not published: the vehicle is not live.
MAX_FIX_AGE_S = 3600


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


def planned_stops(engine: Engine, key: str,
                  points: dict[str, tuple[float, float, float, float]],
                  position: tuple[float, float, int] | None = None) -> list[RunStop]:
    """The planned stops of a vehicle-day with their arrival and departure times: the
    schedule's, or from the vehicle's fresh ``position`` ``(lat, lon, at_s)`` while it drives to
    its next stop (:meth:`Engine.live_times`, the riders' ETAs).

    ``points`` gives (origin lat, lon, destination lat, lon) per booking, for stops at a
    rider's own point. Call under ``engine.lock``. Empty when the plan cannot be timed.
    """
    plan = engine.live.plans[key]
    times, _ = engine.live_times(key, position)
    if not times:
        return []
    stop_of = {p: sid for sid, p in engine.stop_place.items()}
    out = []
    for i, (st, (arrival, departure)) in enumerate(zip(plan.stops, times, strict=True)):
        sid = stop_of.get(st.node)
        if sid is None:
            o_lat, o_lon, d_lat, d_lon = points.get(st.booking_id, (None, None, None, None))
            lat, lon = (o_lat, o_lon) if st.kind == StopKind.PICKUP else (d_lat, d_lon)
            if lat is None or lon is None:
                lat, lon = engine.network_coords(engine.places.node_of(st.node))
            sid = nearest_stop(engine.service, lat, lon)
        out.append(RunStop(sid, i, arrival, max(departure, arrival)))
    return out


def vehicle_runs(engine: Engine, day: date, served: dict[str, list[tuple[int, str]]],
                 points: dict[str, tuple[float, float, float, float]],
                 positions: dict[str, tuple[float, float, int]] | None = None) -> list[VehicleRun]:
    """Every vehicle's run of ``day``: served stops, then planned ones (sequence from 1).

    ``positions`` (vehicle id → lat, lon, at_s) moves the planned times of a vehicle on its way
    to its next stop. Vehicles with neither served nor planned stops have no run. Call under
    ``engine.lock``.
    """
    runs = []
    names = {v.id: v.name for v in engine.service.fleet}
    for key in engine.vehicle_day_keys(day=day):
        vid, _ = split_vd(key)
        done = [RunStop(sid, 0, t, t, served=True) for t, sid in served.get(vid, [])]
        todo = planned_stops(engine, key, points, (positions or {}).get(vid))
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
        runs.append(VehicleRun(run_trip_id(vid, day), vid, tuple(stops), names.get(vid, "")))
    return runs


def vehicle_fixes(engine: Engine, vehicles: Iterable[Any], day: date, now_s: int,
                  runs: Iterable[VehicleRun], max_age_s: int = MAX_FIX_AGE_S) -> list[VehicleFix]:
    """The latest reported position of each vehicle, with occupancy and its run.

    ``vehicles`` are vehicle rows (``id``, ``name``, ``seats``, ``lat``, ``lon``, ``heading``,
    ``position_at``); vehicles without a position, or with one older than ``max_age_s``, are
    left out. Occupancy counts the riders on board now. The stop is the run's next stop not yet
    served: ``IN_TRANSIT_TO`` it while the vehicle drives there, ``STOPPED_AT`` when it is
    there; no stop once nothing is left. Call under ``engine.lock``.
    """
    by_vehicle = {r.vehicle_id: r for r in runs}
    out = []
    for v in vehicles:
        if v.lat is None or v.lon is None or v.position_at is None:
            continue
        at = int(v.position_at.timestamp())
        if now_s - at > max_age_s:
            continue
        keys = engine.vehicle_day_keys(v.id, day)
        onboard = 0
        status = None
        if keys:
            state = engine.live.states[keys[0]]
            onboard = sum(engine.live.bookings[b].request.passengers.seats
                          for b in state.onboard if b in engine.live.bookings)
            plan = engine.live.plans[keys[0]]
            if plan.stops:
                status = ("STOPPED_AT" if state.node == plan.stops[0].node
                          and not engine.en_route(keys[0]) else "IN_TRANSIT_TO")
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
