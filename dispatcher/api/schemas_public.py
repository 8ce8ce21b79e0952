"""Response bodies of the public routes (:mod:`dispatcher.api.routes_public`): health, the
service description and its stops."""

from __future__ import annotations

from pydantic import BaseModel

from dispatcher.api.schemas_driver import Number


class AreaOut(BaseModel):
    """A service area of the deployment: its names, where its API and apps answer
    (``prefix``), whether it answers at the root too (``default``), and whether it is an
    example rather than a running service."""

    id: str
    name_ja: str
    name_en: str
    prefix: str
    default: bool
    example: bool


class HealthOut(BaseModel):
    """The service is ready: its id, the engine's plan version and clock (epoch s), and this
    worker's part: ``leader`` when it runs the area's background cycles (re-optimisation,
    standing orders), ``shared`` when other workers may share its database (PostgreSQL)."""

    status: str
    service: str
    version: int
    now: int
    worker: str = ""
    leader: bool = True
    shared: bool = False


class PeriodOut(BaseModel):
    """Service hours (seconds after local midnight)."""

    id: str
    start_s: int
    end_s: int


class BookingRulesOut(BaseModel):
    """How and when trips are booked."""

    type: str
    min_notice_min: int
    max_days_ahead: int
    cancel_notice_min: int
    phone: str
    message_ja: str
    message_en: str
    max_group: int


class FaresOut(BaseModel):
    """Flat fares per rider category (whole yen), and concession fares by category."""

    currency: str
    adult: int
    child: int
    infant: int
    concessions: dict[str, int]


class DistrictOut(BaseModel):
    """A district and its stops."""

    id: str
    name_ja: str
    name_en: str
    stops: list[str]


class ServiceOut(BaseModel):
    """The service: names, hours, calendar days, booking rules, fares, zone ([lat, lon])."""

    id: str
    name_ja: str
    name_en: str
    timezone: str
    periods: list[PeriodOut]
    days: list[str]
    booking: BookingRulesOut
    fares: FaresOut
    zone: list[list[Number]]
    transfer_stops: list[str]
    districts: list[DistrictOut]
    #: A driver login of this area (its first vehicle's id), the driver app's sign-in example.
    login_example: str


class StopOut(BaseModel):
    """A stop, with the alias that found it (and its note) and its district."""

    id: str
    name_ja: str
    name_en: str
    name_kana: str
    lat: Number
    lon: Number
    kind: str
    wheelchair: bool
    matched: str | None
    note_ja: str
    note_en: str
    district: str | None


class RoadsPropertiesOut(BaseModel):
    """Where the road network comes from, and whether it is an approximation."""

    service: str
    approximate: bool
    source: str


class RoadsGeometryOut(BaseModel):
    """Every road once, as GeoJSON lines (``[lon, lat]``)."""

    type: str
    coordinates: list[list[list[Number]]]


class RoadsOut(BaseModel):
    """The service's roads as one GeoJSON MultiLineString feature."""

    type: str
    properties: RoadsPropertiesOut
    geometry: RoadsGeometryOut
