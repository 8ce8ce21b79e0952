"""GTFS-Realtime VehiclePositions and TripUpdates from plain inputs (pure builders).

The live state (vehicles, their planned runs) is turned into ``FeedMessage`` protobufs with the
official bindings. Each vehicle's current run is published as a trip of the Flex route with
``schedule_relationship = NEW`` (experimental in the spec): every stop of the run, past ones
included, with ``stop_id``, ``stop_sequence``, arrival and departure (epoch seconds). Times are
whole epoch seconds (UTC); ``start_date``/``start_time`` are service-day values in the service's
time zone. No clock here: the feed timestamp is an argument.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from google.protobuf.json_format import MessageToDict
from google.transit import gtfs_realtime_pb2 as rt

from dispatcher.errors import InvalidInput
from dispatcher.units import gtfs_time, local_day, service_day_origin

GTFS_RT_VERSION = "2.0"
OCCUPANCY = dict(rt.VehiclePosition.OccupancyStatus.items())
STOP_STATUS = dict(rt.VehiclePosition.VehicleStopStatus.items())


@dataclass(frozen=True, slots=True)
class VehicleFix:
    """A vehicle's reported position (degrees), time (epoch s) and optional state."""

    vehicle_id: str
    lat: float
    lon: float
    timestamp: int
    occupancy: str | None = None
    label: str = ""
    bearing: float | None = None
    speed_mps: float | None = None
    trip_id: str = ""
    stop_id: str = ""
    current_status: str | None = None


@dataclass(frozen=True, slots=True)
class RunStop:
    """A stop of a vehicle run: stop id, sequence, arrival and departure (epoch s); ``served``
    for a stop already made (its actual time), else planned."""

    stop_id: str
    stop_sequence: int
    arrival: int
    departure: int
    served: bool = False


@dataclass(frozen=True, slots=True)
class VehicleRun:
    """A vehicle's run published as a NEW trip of the Flex route."""

    trip_id: str
    vehicle_id: str
    stops: tuple[RunStop, ...]
    label: str = ""


def occupancy_from_load(onboard: int, seats: int) -> str:
    """OccupancyStatus name of ``onboard`` riders in ``seats`` seats (whole vehicle)."""
    if seats <= 0:
        return "NO_DATA_AVAILABLE"
    if onboard <= 0:
        return "EMPTY"
    if onboard >= seats:
        return "FULL"
    return "MANY_SEATS_AVAILABLE" if onboard * 2 < seats else "FEW_SEATS_AVAILABLE"


def _message(timestamp: int) -> rt.FeedMessage:
    msg = rt.FeedMessage()
    msg.header.gtfs_realtime_version = GTFS_RT_VERSION
    msg.header.incrementality = rt.FeedHeader.FULL_DATASET
    msg.header.timestamp = int(timestamp)
    return msg


def vehicle_positions(
    fixes: Iterable[VehicleFix], timestamp: int, route_id: str = ""
) -> rt.FeedMessage:
    """A VehiclePositions ``FeedMessage``: one entity per vehicle (id ``vp-<vehicle>``).

    Parameters
    ----------
    fixes
        Latest fix per vehicle.
    timestamp
        Feed header time, epoch seconds.
    route_id
        Route of the trips the vehicles serve (the Flex route), set when a fix has a trip.
    """
    msg = _message(timestamp)
    for f in sorted(fixes, key=lambda x: x.vehicle_id):
        if not (-90 <= f.lat <= 90 and -180 <= f.lon <= 180):
            raise InvalidInput("位置が不正です", f"bad coordinates for {f.vehicle_id}")
        ent = msg.entity.add()
        ent.id = f"vp-{f.vehicle_id}"
        vp = ent.vehicle
        vp.vehicle.id = f.vehicle_id
        if f.label:
            vp.vehicle.label = f.label
        vp.position.latitude = f.lat
        vp.position.longitude = f.lon
        if f.bearing is not None:
            vp.position.bearing = f.bearing
        if f.speed_mps is not None:
            vp.position.speed = f.speed_mps
        vp.timestamp = int(f.timestamp)
        if f.occupancy is not None:
            if f.occupancy not in OCCUPANCY:
                raise InvalidInput("乗車率が不正です", f"unknown occupancy {f.occupancy!r}")
            vp.occupancy_status = OCCUPANCY[f.occupancy]
        if f.trip_id:
            vp.trip.trip_id = f.trip_id
            vp.trip.schedule_relationship = rt.TripDescriptor.NEW
            if route_id:
                vp.trip.route_id = route_id
        if f.stop_id:
            vp.stop_id = f.stop_id
        if f.current_status is not None:
            vp.current_status = STOP_STATUS[f.current_status]
    return msg


def _check_run(run: VehicleRun) -> None:
    if not run.stops:
        raise InvalidInput("停車地がありません", f"run {run.trip_id} has no stops")
    seqs = [s.stop_sequence for s in run.stops]
    if seqs != sorted(seqs) or len(set(seqs)) != len(seqs):
        raise InvalidInput("停車順が不正です", f"run {run.trip_id}: stop_sequence must increase")
    last = None
    for s in run.stops:
        if not s.stop_id:
            raise InvalidInput("停車地IDがありません", f"run {run.trip_id}: empty stop_id")
        if s.departure < s.arrival or (last is not None and s.arrival < last):
            raise InvalidInput("時刻の順序が不正です", f"run {run.trip_id}: times go backwards")
        last = s.departure


def service_start(first_departure: int, tz: ZoneInfo) -> tuple[str, str]:
    """``(start_date YYYYMMDD, start_time HH:MM:SS)`` of a trip first leaving at epoch s."""
    day: date = local_day(first_departure, tz)
    return day.strftime("%Y%m%d"), gtfs_time(first_departure - service_day_origin(day, tz))


def trip_updates(
    runs: Iterable[VehicleRun], route_id: str, timestamp: int, tz: ZoneInfo
) -> rt.FeedMessage:
    """A TripUpdates ``FeedMessage``: each run as a NEW trip of ``route_id`` with all its stops.

    Entity ids are ``tu-<trip_id>``; ``start_date``/``start_time`` come from the first stop's
    departure in ``tz``; every stop carries stop_id, stop_sequence, arrival and departure.
    """
    if not route_id:
        raise InvalidInput("路線IDがありません", "route_id is required for NEW trips")
    msg = _message(timestamp)
    for run in sorted(runs, key=lambda r: r.trip_id):
        _check_run(run)
        ent = msg.entity.add()
        ent.id = f"tu-{run.trip_id}"
        tu = ent.trip_update
        tu.trip.trip_id = run.trip_id
        tu.trip.route_id = route_id
        tu.trip.schedule_relationship = rt.TripDescriptor.NEW
        tu.trip.start_date, tu.trip.start_time = service_start(run.stops[0].departure, tz)
        tu.vehicle.id = run.vehicle_id
        if run.label:
            tu.vehicle.label = run.label
        tu.timestamp = int(timestamp)
        for s in run.stops:
            stu = tu.stop_time_update.add()
            stu.stop_sequence = s.stop_sequence
            stu.stop_id = s.stop_id
            stu.arrival.time = int(s.arrival)
            stu.departure.time = int(s.departure)
            stu.schedule_relationship = rt.TripUpdate.StopTimeUpdate.SCHEDULED
    return msg


def to_json(msg: rt.FeedMessage) -> dict[str, Any]:
    """The message as a JSON-ready dict (protobuf field names, enums as names)."""
    out: dict[str, Any] = MessageToDict(msg, preserving_proto_field_name=True)
    return out
