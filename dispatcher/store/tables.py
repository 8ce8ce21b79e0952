"""SQLModel tables: the service's persistent state. The only place that defines SQL schema.

Event log + current tables are the truth: every change is written in one transaction together
with its :class:`Event`. Plans are stored per vehicle as their latest revision so that a
restart rebuilds the live state; the bookings' promises are kept on the booking rows.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from dispatcher.statuses import BookingStatus
from dispatcher.store.types import UTCDateTime, utcnow


class User(SQLModel, table=True):
    """A person with an account: rider, driver, operator or supervisor (``disabled``: may no
    longer sign in, and tokens already issued are refused)."""

    __tablename__ = "users"
    id: str = Field(primary_key=True, max_length=40)
    role: str = Field(index=True, max_length=16)
    name: str = Field(default="", max_length=120)
    name_kana: str = Field(default="", max_length=120)
    phone: str | None = Field(default=None, index=True, unique=True, max_length=32)
    login: str | None = Field(default=None, index=True, unique=True, max_length=64)
    password_hash: str = Field(default="", max_length=255)
    vehicle_id: str | None = Field(default=None, max_length=40)
    lang: str = Field(default="ja", max_length=8)
    home_stop_id: str | None = Field(default=None, max_length=64)
    notes: str = Field(default="", max_length=500)
    line_user_id: str | None = Field(default=None, index=True, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())
    disabled: bool = False
    #: Raised on every credential change and sign-out: tokens carrying an older one are void.
    token_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class FamilyMember(SQLModel, table=True):
    """A person who travels with a rider (registered once, picked when booking)."""

    __tablename__ = "family_members"
    id: int | None = Field(default=None, primary_key=True)
    rider_id: str = Field(index=True, foreign_key="users.id", max_length=40)
    name: str = Field(max_length=120)
    category: str = Field(default="adult", max_length=24)
    wheelchair: bool = False


class StopRow(SQLModel, table=True):
    """A pickup/drop-off point of a service."""

    __tablename__ = "stops"
    id: str = Field(primary_key=True, max_length=64)
    service_id: str = Field(index=True, max_length=40)
    name_ja: str = Field(max_length=120)
    name_en: str = Field(max_length=120)
    name_kana: str = Field(default="", max_length=120)
    lat: float
    lon: float
    kind: str = Field(default="bus_stop", max_length=24)
    wheelchair: bool = True
    weight: float = 1.0
    active: bool = True


class VehicleRow(SQLModel, table=True):
    """A vehicle of the fleet with its capacity and last known position."""

    __tablename__ = "vehicles"
    id: str = Field(primary_key=True, max_length=40)
    service_id: str = Field(index=True, max_length=40)
    name: str = Field(max_length=120)
    seats: int
    wheelchair_spaces: int = 0
    depot_stop_id: str = Field(max_length=64)
    active: bool = True
    lat: float | None = None
    lon: float | None = None
    heading: float | None = None
    position_at: datetime | None = Field(default=None, sa_type=UTCDateTime())


class ShiftRow(SQLModel, table=True):
    """A vehicle's shift on one day, with an optional break window."""

    __tablename__ = "shifts"
    id: int | None = Field(default=None, primary_key=True)
    vehicle_id: str = Field(index=True, foreign_key="vehicles.id", max_length=40)
    day: date = Field(index=True)
    start_at: datetime = Field(sa_type=UTCDateTime())
    end_at: datetime = Field(sa_type=UTCDateTime())
    break_earliest_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    break_latest_end_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    break_s: int = 0
    driver_id: str | None = Field(default=None, max_length=40)
    #: When the driver reported the shift over (back at the depot); the vehicle is then out of
    #: planning for the day.
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    #: When the driver started the shift's break (it is then no longer due).
    break_taken_at: datetime | None = Field(default=None, sa_type=UTCDateTime())


class OfferRow(SQLModel, table=True):
    """An offer made to a rider: not binding until accepted; expires."""

    __tablename__ = "offers"
    id: str = Field(primary_key=True, max_length=40)
    rider_id: str = Field(index=True, max_length=40)
    request: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    vehicle_id: str = Field(max_length=40)
    pickup_earliest_at: datetime = Field(sa_type=UTCDateTime())
    pickup_latest_at: datetime = Field(sa_type=UTCDateTime())
    dropoff_expected_at: datetime = Field(sa_type=UTCDateTime())
    dropoff_latest_at: datetime = Field(sa_type=UTCDateTime())
    max_ride_s: int
    fare: int
    fare_lines: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    connection: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())
    expires_at: datetime = Field(sa_type=UTCDateTime())
    status: str = Field(default="open", max_length=16)


class BookingRow(SQLModel, table=True):
    """A confirmed booking and its promise (hard from confirmation on)."""

    __tablename__ = "bookings"
    __table_args__ = (
        UniqueConstraint("rider_id", "idempotency_key", name="uq_booking_idempotency"),
        Index("ix_bookings_day_status", "service_day", "status"),
    )
    id: str = Field(primary_key=True, max_length=40)
    service_id: str = Field(max_length=40)
    rider_id: str = Field(index=True, max_length=40)
    booked_by: str = Field(max_length=40)
    channel: str = Field(default="app", max_length=16)
    offer_id: str | None = Field(default=None, max_length=40)
    idempotency_key: str | None = Field(default=None, max_length=128)
    status: str = Field(default=BookingStatus.CONFIRMED.value, index=True, max_length=16)
    service_day: date
    origin_stop_id: str | None = Field(default=None, max_length=64)
    destination_stop_id: str | None = Field(default=None, max_length=64)
    origin_lat: float
    origin_lon: float
    destination_lat: float
    destination_lon: float
    adults: int = 1
    children: int = 0
    infants: int = 0
    wheelchairs: int = 0
    concessions: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    rule: str = Field(max_length=16)
    requested_at: datetime = Field(sa_type=UTCDateTime())
    pickup_earliest_at: datetime = Field(sa_type=UTCDateTime())
    pickup_latest_at: datetime = Field(sa_type=UTCDateTime())
    dropoff_latest_at: datetime = Field(sa_type=UTCDateTime())
    max_ride_s: int
    direct_s: int = 0
    fare: int = 0
    payment_status: str = Field(default="unpaid", max_length=24)
    vehicle_id: str | None = Field(default=None, index=True, max_length=40)
    picked_up_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    dropped_off_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    ticket_issue: int = 1
    connection: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    notes: str = Field(default="", max_length=500)
    rider_name: str = Field(default="", max_length=120)
    rider_phone: str = Field(default="", max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())


class PlanRow(SQLModel, table=True):
    """The current plan of a vehicle: its pending stops in order, as a numbered revision."""

    __tablename__ = "plans"
    vehicle_id: str = Field(primary_key=True, max_length=40)
    revision: int = 0
    locked: int = 0
    stops: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    state_node_stop: str | None = Field(default=None, max_length=64)
    state_lat: float | None = None
    state_lon: float | None = None
    state_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    onboard: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    #: The vehicle drives to its first (locked) stop: reported departed, not yet there.
    en_route: bool = False
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())


class DayVersionRow(SQLModel, table=True):
    """A number that grows with every committed change to one service day's plans.

    Workers that share a database compare it with the version they planned on: a worker whose
    copy is older reloads the day before it changes anything (see
    :mod:`dispatcher.engine.workers`).
    """

    __tablename__ = "day_versions"
    service_id: str = Field(primary_key=True, max_length=40)
    day: date = Field(primary_key=True)
    version: int = 0


class Event(SQLModel, table=True):
    """Append-only record of every change (booked, planned, arrived, boarded, ...)."""

    __tablename__ = "events"
    id: int | None = Field(default=None, sa_column=Column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True))
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime(), index=True)
    type: str = Field(index=True, max_length=32)
    booking_id: str | None = Field(default=None, index=True, max_length=40)
    vehicle_id: str | None = Field(default=None, index=True, max_length=40)
    actor_id: str | None = Field(default=None, max_length=40)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class TicketCheck(SQLModel, table=True):
    """A ticket checked in at the door: makes every ticket usable once."""

    __tablename__ = "ticket_checks"
    booking_id: str = Field(primary_key=True, max_length=40)
    issue: int = 1
    vehicle_id: str | None = Field(default=None, max_length=40)
    checked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())


class KeyRow(SQLModel, table=True):
    """A signing key of the service's keyring (private part only in production secrets)."""

    __tablename__ = "ticket_keys"
    key_id: str = Field(primary_key=True, max_length=32)
    public_key: str = Field(max_length=128)
    private_key: str = Field(default="", max_length=256)
    valid_from: datetime = Field(sa_type=UTCDateTime())
    valid_until: datetime = Field(sa_type=UTCDateTime())
    active: bool = True


class Setting(SQLModel, table=True):
    """Small persistent key/value state (feed export status, service config version)."""

    __tablename__ = "settings"
    key: str = Field(primary_key=True, max_length=64)
    value: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class AuthThrottle(SQLModel, table=True):
    """Failed credential checks of one account or one source in a row, and until when further
    tries are refused (the key is a SHA-256 of ``kind:value``, never the phone number itself)."""

    __tablename__ = "auth_throttle"
    key: str = Field(primary_key=True, max_length=64)
    failures: int = 0
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime())
    updated_at: datetime = Field(default_factory=utcnow, index=True, sa_type=UTCDateTime())


class ClientAction(SQLModel, table=True):
    """An app action already applied (by the app's own id): a queued action applies once."""

    __tablename__ = "client_actions"
    client_id: str = Field(primary_key=True, max_length=64)
    actor_id: str = Field(max_length=40)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())
    result: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class StandingOrder(SQLModel, table=True):
    """A standing order: a trip booked automatically on given weekdays (every Mon/Wed/Fri,
    leave 08:30 for the hospital), placed day by day as the days enter the booking horizon."""

    __tablename__ = "standing_orders"
    id: str = Field(primary_key=True, max_length=40)
    service_id: str = Field(max_length=40)
    rider_id: str = Field(index=True, foreign_key="users.id", max_length=40)
    created_by: str = Field(max_length=40)
    channel: str = Field(default="app", max_length=16)
    active: bool = Field(default=True, index=True)
    origin_stop_id: str | None = Field(default=None, max_length=64)
    destination_stop_id: str | None = Field(default=None, max_length=64)
    origin_lat: float
    origin_lon: float
    destination_lat: float
    destination_lon: float
    adults: int = 1
    children: int = 0
    infants: int = 0
    wheelchairs: int = 0
    concessions: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    family_member_ids: list[int] = Field(default_factory=list,
                                         sa_column=Column(JSON, nullable=False))
    rule: str = Field(max_length=16)
    #: Local clock time of the trip, seconds since midnight.
    time_s: int
    #: Weekdays as ``mon``…``sun``.
    weekdays: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    start_day: date
    end_day: date | None = None
    notes: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())
    stopped_at: datetime | None = Field(default=None, sa_type=UTCDateTime())


class StandingRun(SQLModel, table=True):
    """One day of a standing order: claimed once (unique per order and day), then booked or
    failed. The claim makes placing idempotent across restarts and workers."""

    __tablename__ = "standing_order_runs"
    __table_args__ = (UniqueConstraint("order_id", "service_day", name="uq_standing_run_day"),)
    id: int | None = Field(default=None, primary_key=True)
    order_id: str = Field(index=True, foreign_key="standing_orders.id", max_length=40)
    rider_id: str = Field(index=True, max_length=40)
    service_day: date = Field(index=True)
    requested_at: datetime = Field(sa_type=UTCDateTime())
    #: placing (claimed, in progress) | booked | failed
    status: str = Field(default="placing", max_length=16)
    claim: str = Field(default="", max_length=40)
    claimed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())
    attempts: int = 1
    booking_id: str | None = Field(default=None, max_length=40)
    reason: str = Field(default="", max_length=40)
    message_ja: str = Field(default="", max_length=500)
    message_en: str = Field(default="", max_length=500)
    dismissed: bool = False
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())
