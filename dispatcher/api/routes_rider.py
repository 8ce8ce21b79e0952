"""Riders: offers, bookings, cancellation, live ETA."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header
from sqlmodel import Session

from dispatcher.alerts import risk_text
from dispatcher.api.deps import RiderDep, RuntimeDep
from dispatcher.api.runtime import Runtime
from dispatcher.api.schemas import AcceptIn, BookingOut, EtaOut, OffersOut, RiskOut, TripIn
from dispatcher.api.security import STAFF_ROLES
from dispatcher.api.views import _iso, booking_out, offer_out, rank_rows
from dispatcher.engine.results import OfferSet
from dispatcher.errors import InvalidInput, NotFound
from dispatcher.feasibility import RouteCheck
from dispatcher.model import StopKind
from dispatcher.statuses import BookingStatus
from dispatcher.store import bookings as booking_store
from dispatcher.store.tables import BookingRow, User, VehicleRow
from dispatcher.trip import Party, Place, TripInput

router = APIRouter(prefix="/api/v1", tags=["rider"])

IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)]


def trip_from(body: TripIn, runtime: Runtime | None = None) -> TripInput:
    """The engine's trip input from the API body (a bus connection needs the runtime)."""
    if body.connection is not None:
        from dispatcher.api.routes_feeds import connecting_trip

        if runtime is None:
            raise InvalidInput("乗継の指定はここでは使えません", "connections are not accepted here")
        return connecting_trip(runtime, body)
    assert body.time is not None
    return TripInput(
        origin=Place(body.origin.stop_id, body.origin.lat, body.origin.lon),
        destination=Place(body.destination.stop_id, body.destination.lat, body.destination.lon),
        party=Party(body.party.adults, body.party.children, body.party.infants,
                    body.party.wheelchairs, dict(body.party.concessions)),
        rule=body.rule, time_s=int(body.time.timestamp()), notes=body.notes,
    )


def offers_out(runtime: RuntimeDep, result: OfferSet) -> OffersOut:
    """API view of offers and alternatives, ranked for the rider (おすすめ and why)."""
    tz = runtime.engine.tz
    rows = [*result["offers"], *result["alternatives"]]
    ranked = rank_rows(rows)
    views = [offer_out(r, tz, k) for r, k in zip(rows, ranked, strict=True)]
    n = len(result["offers"])
    best = next((v.id for v in views if v.recommended), None)
    return OffersOut(offers=views[:n], alternatives=views[n:], recommended_id=best)


@router.post("/offers")
def request_offers(body: TripIn, principal: RiderDep, runtime: RuntimeDep) -> OffersOut:
    """Ask for a trip: offers with a pickup window, expected drop-off and fare (not yet binding)."""
    return offers_out(runtime, runtime.engine.make_offers(principal.user_id, trip_from(body, runtime)))


@router.post("/bookings", status_code=201)
def accept_offer(body: AcceptIn, principal: RiderDep, runtime: RuntimeDep,
                 idempotency_key: IdempotencyKey = None) -> BookingOut:
    """Accept an offer: the booking and its promise. Retries with the same Idempotency-Key
    return the same booking."""
    with Session(runtime.db, expire_on_commit=False) as s:
        user = s.get(User, principal.user_id)
    row, _ = runtime.engine.accept(principal.user_id, body.offer_id, idempotency_key,
                                   booked_by=principal.user_id, channel="app",
                                   rider_name=user.name if user else "",
                                   rider_phone=(user.phone or "") if user else "")
    return booking_out(row, runtime.engine.tz)


@router.get("/bookings")
def my_bookings(principal: RiderDep, runtime: RuntimeDep, limit: int = 50) -> list[BookingOut]:
    """My bookings, newest first."""
    if not 1 <= limit <= 500:
        raise InvalidInput("件数は1〜500で指定してください", "limit must be 1..500")
    with Session(runtime.db, expire_on_commit=False) as s:
        rows = booking_store.of_rider(s, principal.user_id, limit)
    return [booking_out(r, runtime.engine.tz) for r in rows]


def own_booking(runtime: RuntimeDep, principal: RiderDep, booking_id: str) -> BookingRow:
    """A booking the caller may see (a rider: their own)."""
    with Session(runtime.db, expire_on_commit=False) as s:
        row = s.get(BookingRow, booking_id)
    if row is None or (principal.role == "rider" and row.rider_id != principal.user_id):
        raise NotFound("予約が見つかりません", "booking not found", booking_id=booking_id)
    return row


@router.get("/bookings/{booking_id}")
def get_booking(booking_id: str, principal: RiderDep, runtime: RuntimeDep) -> BookingOut:
    """One of my bookings."""
    return booking_out(own_booking(runtime, principal, booking_id), runtime.engine.tz)


@router.post("/bookings/{booking_id}/cancel")
def cancel_booking(booking_id: str, principal: RiderDep, runtime: RuntimeDep) -> BookingOut:
    """Cancel one of my bookings before pickup."""
    own_booking(runtime, principal, booking_id)
    row = runtime.engine.cancel(booking_id, principal, by_operator=principal.role in STAFF_ROLES)
    return booking_out(row, runtime.engine.tz)


@router.get("/bookings/{booking_id}/eta", response_model_exclude_unset=True)
def booking_eta(booking_id: str, principal: RiderDep, runtime: RuntimeDep) -> EtaOut:
    """Live ETA of my pickup (or drop-off when on board) and the vehicle's last position."""
    row = own_booking(runtime, principal, booking_id)
    engine = runtime.engine
    vd = engine.assigned(booking_id)
    out: dict[str, Any] = {"booking_id": booking_id, "status": row.status, "vehicle_id": row.vehicle_id,
                           "pickup_window": [row.pickup_earliest_at.astimezone(engine.tz).isoformat(),
                                             row.pickup_latest_at.astimezone(engine.tz).isoformat()]}
    with Session(runtime.db, expire_on_commit=False) as s:
        v = s.get(VehicleRow, row.vehicle_id) if row.vehicle_id else None
    position = None
    if v is not None and v.lat is not None:
        out["vehicle_position"] = {"lat": v.lat, "lon": v.lon,
                                   "at": v.position_at.astimezone(engine.tz).isoformat()
                                   if v.position_at else None}
        if v.position_at is not None:
            position = (v.lat, v.lon, int(v.position_at.timestamp()))
    if vd is None:
        return EtaOut.model_validate(out)
    with engine.lock:
        view = engine.view(vd)
        if view is None:
            return EtaOut.model_validate(out)
        times, source = engine.live_times(vd, position)
        plan = view.plan
        want = StopKind.PICKUP if row.status == BookingStatus.CONFIRMED else StopKind.DROPOFF
        for i, st in enumerate(plan.stops):
            if st.booking_id == booking_id and st.kind == want and times:
                out["eta"] = _iso(times[i][0], engine.tz)
                out["eta_source"] = source
                out["stops_before"] = i
                out["eta_kind"] = want.value
                break
        out["at_risk"] = _risk_of(engine.schedule(vd), booking_id, row.status)
    return EtaOut.model_validate(out)


def _risk_of(check: RouteCheck, booking_id: str, status: str) -> RiskOut | None:
    """The rider's promise at risk, if any: the worst part still ahead, worded (ja/en)."""
    ahead = {"pickup", "dropoff", "ride"} if status == BookingStatus.CONFIRMED else {"dropoff", "ride"}
    found = [(lvl, x) for lvl, items in (("late", check.late), ("at_risk", check.at_risk))
             for x in items if x.booking_id == booking_id and x.part.value in ahead]
    if not found:
        return None
    level, x = max(found, key=lambda f: (f[0] == "late", f[1].by_s))
    what = "pickup" if x.part.value == "pickup" else "dropoff"
    text = risk_text(what, level, x.by_s)
    return RiskOut(what=x.part.value, level=level, late_s=x.by_s if level == "late" else 0,
                   message_ja=text.ja, message_en=text.en)
