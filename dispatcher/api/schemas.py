"""Request and response bodies of the HTTP API (pydantic); times are ISO 8601 with offsets."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

Day = date  # a field named ``date`` below would shadow the type in its own annotation


class PlaceIn(BaseModel):
    """A stop of the service, or a point inside the zone."""

    model_config = ConfigDict(extra="forbid")
    stop_id: str | None = Field(default=None, max_length=64, examples=["ichi_office"])
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class PartyIn(BaseModel):
    """Who travels."""

    model_config = ConfigDict(extra="forbid")
    adults: int = Field(default=1, ge=0, le=20)
    children: int = Field(default=0, ge=0, le=20)
    infants: int = Field(default=0, ge=0, le=20)
    wheelchairs: int = Field(default=0, ge=0, le=10)
    concessions: dict[str, int] = Field(default_factory=dict)


class ConnectionIn(BaseModel):
    """A bus departure to connect to: its ``connection_id``, or trip id, bus stop id and day."""

    model_config = ConfigDict(extra="forbid")
    connection_id: str | None = Field(default=None, max_length=200,
                                      examples=["1_1374_54_1_102181_20251229@82_168@2026-01-14"])
    trip_id: str | None = Field(default=None, max_length=120)
    stop_id: str | None = Field(default=None, max_length=64)
    date: Day | None = None

    @model_validator(mode="after")
    def _complete(self) -> ConnectionIn:
        if self.connection_id is None and None in (self.trip_id, self.stop_id, self.date):
            raise ValueError("give connection_id, or trip_id, stop_id and date")
        return self


class TripIn(BaseModel):
    """A trip request: from, to, who, and either leave-after or arrive-by.

    With ``connection`` the trip arrives at the transfer stop in time for that bus (arrive-by,
    the service's transfer buffer before its departure); ``time`` may then be left out.
    """

    model_config = ConfigDict(extra="forbid")
    origin: PlaceIn
    destination: PlaceIn
    party: PartyIn = Field(default_factory=PartyIn)
    rule: Literal["pickup_after", "dropoff_before"] = "pickup_after"
    time: AwareDatetime | None = None
    notes: str = Field(default="", max_length=500)
    connection: ConnectionIn | None = None

    @model_validator(mode="after")
    def _time_or_connection(self) -> TripIn:
        if self.time is None and self.connection is None:
            raise ValueError("time is required (unless the trip connects to a bus)")
        return self


class CallerIn(BaseModel):
    """The person an operator books for (phone booking)."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=120)
    phone: str = Field(min_length=6, max_length=32, pattern=r"^[0-9+\-() ]+$")
    name_kana: str = Field(default="", max_length=120)


class OperatorTripIn(TripIn):
    """A phone booking's trip request with the caller."""

    caller: CallerIn


class AcceptIn(BaseModel):
    """Accept an offer."""

    model_config = ConfigDict(extra="forbid")
    offer_id: str = Field(min_length=1, max_length=40)


class OperatorAcceptIn(AcceptIn):
    """Accept an offer for a caller."""

    caller: CallerIn


class LabelOut(BaseModel):
    """Why an offer is recommended, or what sets it apart (``code`` stable, texts for people)."""

    code: str
    text_ja: str
    text_en: str
    minutes: int | None = None


class OfferOut(BaseModel):
    """An offer: not binding until accepted; expires.

    ``rank`` orders the offers of one answer for the rider (0 = best: keeps the asked
    condition, nearest the asked time, shortest ride, lowest fare); the best is
    ``recommended`` (おすすめ) and ``labels`` say why.
    """

    id: str
    vehicle_id: str
    pickup_window: tuple[datetime, datetime]
    dropoff_expected: datetime
    dropoff_latest: datetime
    fare: int
    fare_lines: list[dict[str, Any]]
    expires_at: datetime
    kind: Literal["asked", "alternative"]
    connection: dict[str, Any] | None = None
    rank: int = 0
    recommended: bool = False
    labels: list[LabelOut] = Field(default_factory=list)


class OffersOut(BaseModel):
    """Offers for the asked time and alternatives around it (each list in the engine's order;
    ``rank`` and ``recommended_id`` give the rider's order)."""

    offers: list[OfferOut]
    alternatives: list[OfferOut]
    recommended_id: str | None = None


class BookingOut(BaseModel):
    """A booking and its promise."""

    id: str
    status: str
    rider_id: str
    rider_name: str = ""
    channel: str
    service_day: date
    origin_stop_id: str | None
    destination_stop_id: str | None
    origin: tuple[float, float]
    destination: tuple[float, float]
    adults: int
    children: int
    infants: int
    wheelchairs: int
    rule: str
    requested_time: datetime
    pickup_window: tuple[datetime, datetime]
    dropoff_latest: datetime
    max_ride_s: int
    fare: int
    payment_status: str
    vehicle_id: str | None
    picked_up_at: datetime | None = None
    dropped_off_at: datetime | None = None
    connection: dict[str, Any] | None = None
    notes: str = ""
    created_at: datetime


class LoginIn(BaseModel):
    """Sign in with a phone number and PIN (riders) or a login and password (staff)."""

    model_config = ConfigDict(extra="forbid")
    phone: str | None = Field(default=None, max_length=32)
    login: str | None = Field(default=None, max_length=64)
    password: str = Field(min_length=1, max_length=128)


class RegisterIn(BaseModel):
    """Create a rider account."""

    model_config = ConfigDict(extra="forbid")
    phone: str = Field(min_length=6, max_length=32, pattern=r"^[0-9+\-() ]+$")
    pin: str = Field(min_length=4, max_length=12, pattern=r"^[0-9]+$")
    name: str = Field(min_length=1, max_length=120)
    name_kana: str = Field(default="", max_length=120)
    lang: Literal["ja", "en"] = "ja"
    home_stop_id: str | None = Field(default=None, max_length=64)


class PasswordChangeIn(BaseModel):
    """Change one's own password (staff): the current one and the new one."""

    model_config = ConfigDict(extra="forbid")
    current_password: str = Field(min_length=1, max_length=128)
    new_password: str = Field(min_length=1, max_length=128)


class PinChangeIn(BaseModel):
    """Change one's own PIN (riders): the current one and the new one."""

    model_config = ConfigDict(extra="forbid")
    current_pin: str = Field(min_length=1, max_length=12)
    new_pin: str = Field(min_length=1, max_length=12)


class TokenOut(BaseModel):
    """An access token."""

    access_token: str
    token_type: str = "bearer"
    role: str
    user_id: str
    vehicle_id: str | None = None
    name: str = ""


class DriverEventIn(BaseModel):
    """A driver's report."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["arrived", "boarded", "alighted", "departed", "no_show"]
    booking_id: str | None = Field(default=None, max_length=40)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    client_id: str | None = Field(default=None, max_length=64,
                                  description="the app's id of this action, for exactly-once delivery")


class PositionIn(BaseModel):
    """A vehicle position report."""

    model_config = ConfigDict(extra="forbid")
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    heading: float | None = Field(default=None, ge=0, le=360)


class MoveIn(BaseModel):
    """Move a booking to another vehicle."""

    model_config = ConfigDict(extra="forbid")
    vehicle_id: str = Field(min_length=1, max_length=40)


class VehicleIn(BaseModel):
    """Create or change a vehicle."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_\-]+$")
    name: str = Field(min_length=1, max_length=120)
    seats: int = Field(ge=1, le=60)
    wheelchair_spaces: int = Field(default=0, ge=0, le=10)
    depot_stop_id: str = Field(min_length=1, max_length=64)
    active: bool = True


class ShiftIn(BaseModel):
    """Create a shift of a vehicle on a day."""

    model_config = ConfigDict(extra="forbid")
    vehicle_id: str = Field(min_length=1, max_length=40)
    start: AwareDatetime
    end: AwareDatetime
    break_earliest: AwareDatetime | None = None
    break_latest_end: AwareDatetime | None = None
    break_minutes: int = Field(default=0, ge=0, le=240)


class StopIn(BaseModel):
    """Create or change a stop."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")
    name_ja: str = Field(min_length=1, max_length=120)
    name_en: str = Field(min_length=1, max_length=120)
    name_kana: str = Field(default="", max_length=120)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    kind: str = Field(default="bus_stop", max_length=24)
    wheelchair: bool = True
    active: bool = True


class PaymentIn(BaseModel):
    """Record a payment."""

    model_config = ConfigDict(extra="forbid")
    status: Literal["paid_cash_onboard", "prepaid", "unpaid"]


class MeOut(BaseModel):
    """The signed-in account."""

    id: str
    role: str
    name: str
    phone: str | None
    vehicle_id: str | None
    lang: str
    home_stop_id: str | None


class PositionOut(BaseModel):
    """A vehicle's last reported position (``at`` in the service's time zone)."""

    lat: float | int
    lon: float | int
    at: str | None


class RiskOut(BaseModel):
    """A rider's promise at risk: the worst part still ahead, worded."""

    what: str
    level: str
    late_s: int
    message_ja: str
    message_en: str


class EtaOut(BaseModel):
    """Live ETA of a booking: its pickup (or drop-off when on board) and the vehicle's last
    position; the ETA keys are left out while the booking has no live plan (the route answers
    with ``response_model_exclude_unset``)."""

    booking_id: str
    status: str
    vehicle_id: str | None
    pickup_window: list[str]
    vehicle_position: PositionOut | None = None
    eta: str | None = None
    eta_source: str | None = None
    stops_before: int | None = None
    eta_kind: str | None = None
    at_risk: RiskOut | None = None
