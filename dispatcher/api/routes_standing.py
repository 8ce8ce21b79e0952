"""Standing orders (定期予約: every Mon/Wed/Fri 08:30 to the hospital) for riders, with the
family members who travel, and for phone staff booking a caller.

Creating an order places its days inside the booking horizon at once; later days are placed by
the background pass as they come due (``Runtime.standing``). A day that cannot be placed is a
notice for the rider (``/standing-orders/notices``) and a ``standing_order_failed`` event for the
operators.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlmodel import Session

from dispatcher.api.bounds import SaneDay
from dispatcher.api.deps import OperatorDep, RiderDep, RuntimeDep
from dispatcher.api.routes_operator import caller_account
from dispatcher.api.runtime import Runtime
from dispatcher.api.schemas import CallerIn, PartyIn, PlaceIn
from dispatcher.errors import InvalidInput
from dispatcher.service_area import clock_s
from dispatcher.standing_orders import Placed
from dispatcher.store import bookings as booking_store
from dispatcher.store import repo, users
from dispatcher.store.tables import StandingOrder
from dispatcher.units import clock_hhmm, from_epoch

router = APIRouter(prefix="/api/v1/standing-orders", tags=["rider"])
operator_router = APIRouter(prefix="/api/v1/operator/standing-orders", tags=["operator"])

#: Largest row id of an integer key (a larger number names nothing and must not reach the database).
MAX_ROW_ID = 2_147_483_647
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_ORDER = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class StandingOrderIn(BaseModel):
    """A standing order: the trip, who travels, and when (weekdays and a local time)."""

    model_config = ConfigDict(extra="forbid")
    origin: PlaceIn
    destination: PlaceIn
    party: PartyIn = Field(default_factory=PartyIn)
    family_member_ids: list[Annotated[int, Field(ge=1, le=MAX_ROW_ID)]] = Field(
        default_factory=list, max_length=12,
                                         description="registered family members who travel")
    rule: Literal["pickup_after", "dropoff_before"] = "pickup_after"
    time: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", examples=["08:30"])
    weekdays: list[Weekday] = Field(min_length=1, max_length=7, examples=[["mon", "wed", "fri"]])
    start_date: SaneDay | None = None
    end_date: SaneDay | None = None
    notes: str = Field(default="", max_length=500)

    @field_validator("weekdays")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("each weekday at most once")
        return sorted(value, key=_ORDER.index)


class OperatorStandingOrderIn(StandingOrderIn):
    """A standing order for a caller (phone booking)."""

    caller: CallerIn


class StandingRunOut(BaseModel):
    """A day of an order: booked (with the booking) or failed (with the reason)."""

    id: int
    day: date
    status: str
    booking_id: str | None
    booking_status: str | None = None
    pickup_window: tuple[datetime, datetime] | None = None
    reason: str = ""
    message_ja: str = ""
    message_en: str = ""


class SkippedOut(BaseModel):
    """A day of the order the service does not run."""

    day: date
    reason: str
    message_ja: str
    message_en: str


class StandingOrderOut(BaseModel):
    """A standing order with its days: booked or failed runs, days still to come, days off."""

    id: str
    rider_id: str
    rider_name: str
    active: bool
    channel: str
    origin_stop_id: str | None
    destination_stop_id: str | None
    origin: tuple[float, float]
    destination: tuple[float, float]
    party: PartyIn
    family_member_ids: list[int]
    family_names: list[str]
    rule: str
    time: str
    weekdays: list[str]
    start_date: date
    end_date: date | None
    notes: str
    created_at: datetime
    runs: list[StandingRunOut]
    pending: list[date]
    skipped: list[SkippedOut]


class NoticeOut(BaseModel):
    """A day a standing order could not be booked: what the rider (and operators) must know."""

    id: int
    order_id: str
    rider_id: str
    rider_name: str
    day: date
    time: str
    origin_stop_id: str | None
    destination_stop_id: str | None
    reason: str
    message_ja: str
    message_en: str


class PlacedOut(BaseModel):
    """What a placing pass did with one day."""

    order_id: str
    day: date
    status: str
    booking_id: str | None
    reason: str


def _names(runtime: Runtime, rider_ids: set[str]) -> dict[str, str]:
    with Session(runtime.db) as s:
        return {u.id: u.name for u in users.by_ids(s, rider_ids).values()}


def _views(runtime: Runtime, orders: list[StandingOrder]) -> list[StandingOrderOut]:
    """API views of orders with their runs from today on, pending and skipped days."""
    so = runtime.standing
    tz = runtime.engine.tz
    runs = so.runs([o.id for o in orders], since=runtime.engine.today())
    with Session(runtime.db, expire_on_commit=False) as s:
        ids = [r.booking_id for r in runs if r.booking_id]
        bookings = booking_store.by_ids(s, ids)
        family = users.family_by_ids(s, {i for o in orders for i in o.family_member_ids})
    names = _names(runtime, {o.rider_id for o in orders})
    out = []
    for o in orders:
        mine = [r for r in runs if r.order_id == o.id]
        run_out = []
        for r in mine:
            b = bookings.get(r.booking_id or "")
            assert r.id is not None
            run_out.append(StandingRunOut(
                id=r.id, day=r.service_day, status=r.status, booking_id=r.booking_id,
                booking_status=b.status if b else None,
                pickup_window=(b.pickup_earliest_at.astimezone(tz), b.pickup_latest_at.astimezone(tz))
                if b else None, reason=r.reason, message_ja=r.message_ja,
                message_en=r.message_en))
        exp = so.expansion(o) if o.active else None
        done = {r.service_day for r in mine}
        out.append(StandingOrderOut(
            id=o.id, rider_id=o.rider_id, rider_name=names.get(o.rider_id, ""), active=o.active,
            channel=o.channel, origin_stop_id=o.origin_stop_id,
            destination_stop_id=o.destination_stop_id, origin=(o.origin_lat, o.origin_lon),
            destination=(o.destination_lat, o.destination_lon),
            party=PartyIn(adults=o.adults, children=o.children, infants=o.infants,
                          wheelchairs=o.wheelchairs, concessions=dict(o.concessions)),
            family_member_ids=list(o.family_member_ids),
            family_names=[family[i].name for i in o.family_member_ids
                          if i in family and family[i].rider_id == o.rider_id],
            rule=o.rule, time=clock_hhmm(o.time_s), weekdays=list(o.weekdays),
            start_date=o.start_day, end_date=o.end_day, notes=o.notes,
            created_at=o.created_at.astimezone(tz), runs=run_out,
            pending=[t.day for t in exp.trips if t.day not in done] if exp else [],
            skipped=[SkippedOut(day=k.day, reason=k.reason, message_ja=k.message_ja,
                                message_en=k.message_en) for k in exp.skipped] if exp else []))
    return out


def _notices(runtime: Runtime, rider_id: str | None) -> list[NoticeOut]:
    runs = runtime.standing.notices(rider_id)
    orders = {o.id: o for o in runtime.standing.orders(rider_id)}
    names = _names(runtime, {r.rider_id for r in runs})
    tz = runtime.engine.tz
    out = []
    for r in runs:
        o = orders.get(r.order_id)
        assert r.id is not None
        out.append(NoticeOut(
            id=r.id, order_id=r.order_id, rider_id=r.rider_id,
            rider_name=names.get(r.rider_id, ""), day=r.service_day,
            time=from_epoch(int(r.requested_at.timestamp()), tz).strftime("%H:%M"),
            origin_stop_id=o.origin_stop_id if o else None,
            destination_stop_id=o.destination_stop_id if o else None,
            reason=r.reason, message_ja=r.message_ja, message_en=r.message_en))
    return out


def _create(runtime: Runtime, body: StandingOrderIn, rider_id: str, created_by: str,
            channel: str) -> StandingOrderOut:
    """Store an order for ``rider_id`` and place its days inside the horizon now."""
    with Session(runtime.db) as s:
        mine = {m.id for m in users.family_of(s, rider_id)}
    unknown = [i for i in body.family_member_ids if i not in mine]
    if unknown:
        raise InvalidInput("登録されていない家族が含まれています",
                           "family member not registered for this rider", ids=unknown)
    svc = runtime.service

    def place(p: PlaceIn) -> tuple[str | None, float, float]:
        if p.stop_id is not None:
            stop = svc.stop(p.stop_id)
            return stop.id, stop.lat, stop.lon
        if p.lat is None or p.lon is None:
            raise InvalidInput("乗り場（stop_id）または地点（緯度・経度）を指定してください",
                               "give a stop_id or a point (lat and lon)")
        return None, p.lat, p.lon

    o_stop, o_lat, o_lon = place(body.origin)
    d_stop, d_lat, d_lon = place(body.destination)
    order = StandingOrder(
        id=f"so-{uuid.uuid4().hex[:12]}", service_id=svc.id, rider_id=rider_id,
        created_by=created_by, channel=channel, origin_stop_id=o_stop, origin_lat=o_lat,
        origin_lon=o_lon, destination_stop_id=d_stop, destination_lat=d_lat,
        destination_lon=d_lon, adults=body.party.adults, children=body.party.children,
        infants=body.party.infants, wheelchairs=body.party.wheelchairs,
        concessions=dict(body.party.concessions), family_member_ids=list(body.family_member_ids),
        rule=body.rule, time_s=clock_s(body.time), weekdays=list(body.weekdays),
        start_day=body.start_date or runtime.engine.today(), end_day=body.end_date,
        notes=body.notes)
    created = runtime.standing.create(order)
    runtime.standing.place_due(created.id)
    return _views(runtime, [runtime.standing.get(created.id)])[0]


def _placed(p: Placed) -> PlacedOut:
    return PlacedOut(order_id=p.order_id, day=p.day, status=p.status, booking_id=p.booking_id,
                     reason=p.reason)


# ---------------------------------------------------------------------- riders


@router.get("")
def my_standing_orders(principal: RiderDep, runtime: RuntimeDep) -> list[StandingOrderOut]:
    """My standing orders, newest first, with their booked and failed days."""
    return _views(runtime, runtime.standing.orders(principal.user_id))


@router.post("", status_code=201)
def create_standing_order(body: StandingOrderIn, principal: RiderDep,
                          runtime: RuntimeDep) -> StandingOrderOut:
    """Create a standing order; its days inside the booking horizon are booked at once."""
    return _create(runtime, body, principal.user_id, principal.user_id, "app")


@router.get("/notices")
def my_notices(principal: RiderDep, runtime: RuntimeDep) -> list[NoticeOut]:
    """Days of my standing orders that could not be booked (from today on, not dismissed)."""
    return _notices(runtime, principal.user_id)


@router.post("/notices/{notice_id}/dismiss", status_code=204)
def dismiss_notice(notice_id: Annotated[int, Path(ge=1, le=MAX_ROW_ID)], principal: RiderDep,
                   runtime: RuntimeDep) -> None:
    """Hide a notice I have read."""
    runtime.standing.dismiss(notice_id, principal.user_id, rider_id=principal.user_id)


@router.get("/{order_id}")
def my_standing_order(order_id: str, principal: RiderDep, runtime: RuntimeDep) -> StandingOrderOut:
    """One of my standing orders."""
    return _views(runtime, [runtime.standing.get(order_id, principal.user_id)])[0]


@router.delete("/{order_id}")
def stop_standing_order(order_id: str, principal: RiderDep,
                        runtime: RuntimeDep) -> StandingOrderOut:
    """Stop one of my standing orders (trips already booked stay booked)."""
    order = runtime.standing.stop(order_id, principal.user_id, rider_id=principal.user_id)
    return _views(runtime, [order])[0]


# ---------------------------------------------------------------------- phone staff


@operator_router.get("")
def standing_orders(principal: OperatorDep, runtime: RuntimeDep,
                    rider_id: str | None = Query(default=None, max_length=40),
                    active: bool | None = None) -> list[StandingOrderOut]:
    """Standing orders (of one rider when given), newest first."""
    orders = runtime.standing.orders(rider_id, active_only=bool(active))
    if active is False:
        orders = [o for o in orders if not o.active]
    return _views(runtime, orders)


@operator_router.post("", status_code=201)
def create_for_caller(body: OperatorStandingOrderIn, principal: OperatorDep,
                      runtime: RuntimeDep) -> StandingOrderOut:
    """Create a standing order for a caller (their account is found by phone, or created)."""
    user = caller_account(runtime, body.caller, principal.user_id)
    return _create(runtime, body, user.id, principal.user_id, "phone")


@operator_router.get("/notices")
def all_notices(principal: OperatorDep, runtime: RuntimeDep) -> list[NoticeOut]:
    """Days of every rider's standing orders that could not be booked (from today on)."""
    return _notices(runtime, None)


@operator_router.post("/run")
def run_now(principal: OperatorDep, runtime: RuntimeDep) -> list[PlacedOut]:
    """Place every standing order's due days now (the background pass does this regularly);
    the request is written to the log with who asked."""
    placed = [_placed(p) for p in runtime.standing.place_due()]
    with Session(runtime.db) as s, s.begin():
        repo.add_event(s, "standing_run_requested", actor_id=principal.user_id,
                       at=runtime.engine.now_dt(), placed=len(placed))
    return placed


@operator_router.delete("/{order_id}")
def stop_for_caller(order_id: str, principal: OperatorDep,
                    runtime: RuntimeDep) -> StandingOrderOut:
    """Stop a standing order (trips already booked stay booked)."""
    return _views(runtime, [runtime.standing.stop(order_id, principal.user_id)])[0]
