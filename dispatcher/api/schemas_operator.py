"""Response bodies of the operators' routes (:mod:`dispatcher.api.routes_operator`).

The JSON is what the routes answered as plain mappings: times are ISO 8601 strings as the
routes format them (local time, or as stored for a vehicle's position), numbers keep their
kind (:data:`Number`), and a ``null`` stays a ``null``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from dispatcher.api.schemas_driver import Number
from dispatcher.riders import UsualTrip


class RiderFoundOut(BaseModel):
    """A rider found by phone or name, with their bookings count, last trip and usual trip."""

    id: str
    name: str
    name_kana: str | None
    phone: str | None
    bookings: int
    last_trip: str | None
    usual_trip: UsualTrip | None


class BookingEventOut(BaseModel):
    """An event of a booking's history, with who acted (``None`` for the service itself)."""

    id: int
    at: str
    type: str
    vehicle_id: str | None
    actor_id: str | None
    actor_name: str | None
    actor_login: str | None
    actor_role: str | None
    data: dict[str, Any]


class EventOut(BaseModel):
    """An event of the log, with who acted (``None`` for the service itself)."""

    id: int
    at: str
    type: str
    booking_id: str | None
    vehicle_id: str | None
    actor_id: str | None
    actor_name: str | None
    actor_login: str | None
    actor_role: str | None
    data: dict[str, Any]


class VehicleOut(BaseModel):
    """A vehicle with its last reported position and who is on board today."""

    id: str
    name: str
    seats: int
    wheelchair_spaces: int
    depot_stop_id: str
    active: bool
    lat: Number | None
    lon: Number | None
    position_at: str | None
    onboard: list[str]
    on_shift_today: bool


class ShiftOut(BaseModel):
    """A vehicle's shift of a day (local times) and its break."""

    id: int
    vehicle_id: str
    day: str
    start: str
    end: str
    break_earliest: str | None
    break_latest_end: str | None
    break_minutes: int
    driver_id: str | None


class DriverOut(BaseModel):
    """A driver's account and vehicle."""

    id: str
    name: str
    login: str | None
    vehicle_id: str | None
    phone: str | None


class MapRouteOut(BaseModel):
    """A vehicle's planned route of a day along the roads ([lat, lon] points) from where its
    plan has it (``at``, at ``at_time`` epoch s)."""

    vehicle_id: str
    day: str
    at: list[Number]
    at_time: int
    path: list[list[Number]]


class KpiFigures(BaseModel):
    """The indicators of :class:`dispatcher.kpis.Kpis` (same names, same meaning)."""

    requests: int
    offers_made: int
    accepted: int
    refused: int
    refused_reasons: dict[str, int]
    abandoned: int
    completed: int
    riders_carried: int
    shared_ride_rate: Number
    occupancy_mean: Number
    wait_mean_s: Number
    wait_p95_s: Number
    ride_mean_s: Number
    detour_mean: Number
    on_time_rate: Number
    no_shows: int
    cancellations: int
    late_cancellations: int
    vehicle_hours: Number
    vehicle_km: Number
    empty_km: Number
    passenger_km: Number
    fare_revenue: int
    fare_collected: int
    by_channel: dict[str, int]
    boardings_by_stop: dict[str, int]
    alightings_by_stop: dict[str, int]
    boardings_by_district: dict[str, int]
    alightings_by_district: dict[str, int]


class _RangeHead(BaseModel):
    start: str
    end: str


class _DayHead(_RangeHead):
    operating: bool


class KpiDayOut(KpiFigures, _DayHead):
    """One service day's indicators (``start`` = ``end`` = the day), and whether the calendar
    runs the service that day; the figures follow flat."""


class KpisOut(KpiFigures, _RangeHead):
    """The indicators of a range of service days; with ``per_day``, also each day's."""

    days: list[KpiDayOut] | None = None


class ReoptimizeOut(BaseModel):
    """What a re-optimisation cycle did (``idle``, ``stale``, ``unchanged``, a solver status…);
    when plans changed, which vehicles (of that day), the route costs, bookings handed over (``moved``)
    and those placed late (booking -> s). Keys of a cycle that changed nothing are left out."""

    status: str
    day: str
    vehicles: list[str] | None = None
    cost_before: Number | None = None
    cost_after: Number | None = None
    moved: list[str] | None = None
    late: dict[str, int] | None = None
