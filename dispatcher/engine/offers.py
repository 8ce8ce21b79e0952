"""Offers and bookings made from them: the service's unit of work around the insertion core.

An offer is not binding: it is stored with its promise and expires. Accepting it re-checks,
under the engine's lock, that the promise still fits a plan (the offered vehicle first) and
writes the booking, the plan and their events in one transaction.
"""

from __future__ import annotations

import itertools
import threading
import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from dispatcher import insertion
from dispatcher.engine.results import OfferSet
from dispatcher.engine.vehicle_day import VehicleDay
from dispatcher.errors import Conflict, Infeasible, InvalidInput, NotFound, RuleViolation
from dispatcher.fares import Fare, fare_for
from dispatcher.model import Booking, Passengers, Promise, Request, TimeRule
from dispatcher.rules import check_party, check_request_time
from dispatcher.statuses import BookingStatus, EventType, OfferStatus
from dispatcher.store import bookings as booking_store
from dispatcher.store import repo
from dispatcher.store.tables import BookingRow, OfferRow
from dispatcher.store.types import to_dt, to_s
from dispatcher.trip import Place, TripInput

if TYPE_CHECKING:
    from dispatcher.engine.core import Engine


def make_offers(eng: Engine, rider_id: str, trip: TripInput) -> OfferSet:
    """Offers for a trip (best first) and alternatives when the asked time is full.

    Raises InvalidInput / RuleViolation with a person-readable reason; Infeasible when no
    vehicle can serve it at any nearby time. Refusals are logged as ``refused`` events.
    """
    try:
        return _make_offers(eng, rider_id, trip)
    except (RuleViolation, Infeasible) as exc:
        reason = str(exc.details.get("rule", exc.code))
        # The service day asked for: KPIs count every request on its service day.
        day = datetime.fromtimestamp(trip.time_s, tz=eng.tz).date().isoformat()
        with eng.unit_of_work() as s:
            repo.add_event(s, EventType.REFUSED, actor_id=rider_id, at=to_dt(eng.clock()),
                           reason=reason, message=exc.message_en, service_day=day)
        raise


def _within_hours(eng: Engine, epoch_s: int) -> bool:
    """True if a moment falls inside the service's operating periods (local time of day)."""
    local = datetime.fromtimestamp(epoch_s, tz=eng.tz)
    return eng.service.in_service_hours(local.hour * 3600 + local.minute * 60 + local.second)


def _find(eng: Engine, trip: TripInput, now: int
          ) -> tuple[list[insertion.Offer], dict[str, Any], Fare]:
    """The offers that fit the trip (each with its expected times), what every offer row
    repeats of the request, and the fare."""
    if trip.rule not in ("pickup_after", "dropoff_before"):
        raise InvalidInput("時刻の指定方法が不正です（pickup_after / dropoff_before）",
                           "rule must be pickup_after or dropoff_before")
    check_request_time(eng.service, trip.time_s, now)
    check_party(eng.service, trip.party.seats, trip.party.wheelchairs, trip.party.infants)
    o_idx, o_stop, o_lat, o_lon = eng.rows.place_index(trip.origin)
    d_idx, d_stop, d_lat, d_lon = eng.rows.place_index(trip.destination)
    if o_idx == d_idx:
        raise InvalidInput("乗る場所と降りる場所が同じです",
                           "origin and destination are the same place")
    fare = fare_for(eng.service.fares, trip.party.fare_categories())
    day = datetime.fromtimestamp(trip.time_s, tz=eng.tz).date()
    eng.ensure_day(day)
    request = Request(f"req-{uuid.uuid4().hex[:12]}", o_idx, d_idx,
                      Passengers(trip.party.adults, trip.party.children, trip.party.wheelchairs),
                      TimeRule(trip.rule), trip.time_s)
    planner = eng.planner
    with eng.lock:
        if eng.params.prune_offers:
            # Only the vehicle-days that can serve it, cheapest first, are prepared.
            fleet = planner.fleet(day, now, relax=False, lookups=True)
            found = insertion.offers(fleet, request, planner.plan_s, eng.params, now_s=now,
                                     dist_m=eng.places.dist_m, expected_s=eng.places.time_s,
                                     nodes=planner.nodes(fleet), source=planner.source(fleet),
                                     cmat=planner.cmat, pool=planner.legs)
            fleet = planner.view(fleet, [o.vehicle_id for o in found])
        else:
            fleet = planner.fleet(day, now)
            found = insertion.offers(fleet, request, planner.plan_s, eng.params, now_s=now,
                                     dist_m=eng.places.dist_m, indexed=planner.indexed(fleet),
                                     expected_s=eng.places.time_s, cmat=planner.cmat,
                                     pool=planner.legs)
        found = [planner.expected_offer(fleet, request, o) for o in found]
    if trip.connection is not None:
        # Only offers that arrive in time for the bus: no later alternatives.
        limit = int(trip.connection.get("latest_dropoff_s", trip.time_s))
        found = [o for o in found if o.promise.dropoff_latest_s <= limit]
    # Promise only trips inside the service hours: the pickup window must close, and the
    # latest drop-off fall, within the operating periods (a window may open up to its width
    # before the opening, while the vehicles' shifts have begun).
    found = [o for o in found if _within_hours(eng, o.promise.pickup_latest_s)
             and _within_hours(eng, o.promise.dropoff_latest_s)]
    base = {
        "origin": {"stop_id": o_stop, "lat": o_lat, "lon": o_lon},
        "destination": {"stop_id": d_stop, "lat": d_lat, "lon": d_lon},
        "party": {"adults": trip.party.adults, "children": trip.party.children,
                  "infants": trip.party.infants, "wheelchairs": trip.party.wheelchairs,
                  "concessions": dict(trip.party.concessions)},
        "rule": trip.rule, "time_s": trip.time_s, "notes": trip.notes,
        "direct_s": int(eng.places.time_s[o_idx, d_idx]),
    }
    return found, base, fare


def _offer_row(rider_id: str, off: insertion.Offer, request: dict[str, Any], fare: Fare,
               trip: TripInput, expires: int) -> OfferRow:
    return OfferRow(
        id=f"of-{uuid.uuid4().hex[:16]}", rider_id=rider_id, request=request,
        vehicle_id=VehicleDay.of(off.vehicle_id).vehicle_id,
        pickup_earliest_at=to_dt(off.promise.pickup_earliest_s),
        pickup_latest_at=to_dt(off.promise.pickup_latest_s),
        dropoff_expected_at=to_dt(off.expected_dropoff_s),
        dropoff_latest_at=to_dt(off.promise.dropoff_latest_s),
        max_ride_s=off.promise.max_ride_s, fare=fare.total,
        fare_lines=[{"category": ln.category, "label_ja": ln.label("ja"),
                     "label_en": ln.label("en"), "count": ln.count,
                     "unit": ln.unit, "amount": ln.amount} for ln in fare.lines],
        connection=trip.connection, expires_at=to_dt(expires),
    )


class OfferDays:
    """The service day of each offer this worker made lately: accepting one needs its day
    (for the day's lock) before reading the offer under that lock, and need not ask the
    database for it. Bounded; an offer made elsewhere or long ago is read from the store."""

    def __init__(self, capacity: int = 20_000) -> None:
        self.capacity = capacity
        self._days: dict[str, date] = {}
        self._lock = threading.Lock()

    def add(self, days: dict[str, date]) -> None:
        """Remember the days of new offers (forgetting the oldest beyond the capacity)."""
        with self._lock:
            self._days.update(days)
            for old in list(itertools.islice(self._days, max(0, len(self._days) - self.capacity))):
                del self._days[old]

    def pop(self, offer_id: str) -> date | None:
        """The day of an offer made here (and forget it), or None when not known."""
        with self._lock:
            return self._days.pop(offer_id, None)


def _make_offers(eng: Engine, rider_id: str, trip: TripInput) -> OfferSet:
    now = eng.clock()
    found, base, fare = _find(eng, trip, now)
    if not found:
        raise Infeasible(
            "ご希望の時間の前後に空いている車両がありません。別の時間をお試しください。",
            "No vehicle is free around that time; please try another time.",
        )
    expires = now + eng.service.booking.offer_ttl_s
    asked = [_offer_row(rider_id, o, {**base, "kind": "asked"}, fare, trip, expires)
             for o in found if o.shift_s == 0]
    alternatives = [_offer_row(rider_id, o, {**base, "kind": "alternative"}, fare, trip, expires)
                    for o in found if o.shift_s != 0]
    day = datetime.fromtimestamp(trip.time_s, tz=eng.tz).date()
    with eng.unit_of_work() as s:
        booking_store.add_offers(s, asked + alternatives)
        repo.add_event(s, EventType.OFFERED, actor_id=rider_id, at=to_dt(now),
                       offers=[r.id for r in asked + alternatives], asked=len(asked),
                       alternatives=len(alternatives), service_day=day.isoformat())
    eng.offer_days.add({r.id: eng.day_at(to_s(r.pickup_earliest_at)) for r in asked + alternatives})
    return {"offers": asked, "alternatives": alternatives}


def _open_offer(eng: Engine, rider_id: str, offer_id: str, idempotency_key: str | None,
                now: int) -> OfferRow | BookingRow:
    """The open offer to book, or the booking an idempotent retry already made."""
    with eng.reading() as s:
        if idempotency_key:
            existing = booking_store.by_idempotency_key(s, rider_id, idempotency_key)
            if existing is not None:
                if existing.offer_id != offer_id:
                    raise Conflict("この Idempotency-Key は別の予約に使われています",
                                   "this Idempotency-Key was used for another booking")
                return existing
        offer = booking_store.get_offer(s, offer_id)
    if offer is None or offer.rider_id != rider_id:
        raise NotFound("提案が見つかりません", "offer not found", offer_id=offer_id)
    if offer.status != OfferStatus.OPEN:
        raise Conflict("この提案はすでに使われています", "this offer has already been used",
                       offer_id=offer_id)
    if to_s(offer.expires_at) < now:
        raise Conflict("提案の有効期限が切れました。もう一度検索してください。",
                       "the offer has expired; please search again", offer_id=offer_id)
    return offer


def _offered_booking(eng: Engine, bid: str, offer: OfferRow) -> Booking:
    req = offer.request
    o_idx = eng.rows.place_index(Place(req["origin"]["stop_id"], req["origin"]["lat"],
                                       req["origin"]["lon"]))[0]
    d_idx = eng.rows.place_index(Place(req["destination"]["stop_id"], req["destination"]["lat"],
                                       req["destination"]["lon"]))[0]
    p = req["party"]
    request = Request(bid, o_idx, d_idx, Passengers(p["adults"], p["children"], p["wheelchairs"]),
                      TimeRule(req["rule"]), int(req["time_s"]))
    promise = Promise(to_s(offer.pickup_earliest_at), to_s(offer.pickup_latest_at),
                      to_s(offer.dropoff_latest_at), offer.max_ride_s)
    return Booking(request, promise)


def _lost(eng: Engine, offer_id: str, booked_by: str, day: date) -> Infeasible:
    with eng.unit_of_work() as s:
        o = booking_store.get_offer(s, offer_id)
        if o is not None:
            o.status = OfferStatus.LOST
        repo.add_event(s, EventType.REFUSED, actor_id=booked_by, offer_id=offer_id,
                       reason="no_longer_feasible", service_day=day.isoformat())
    return Infeasible(
        "申し訳ありません。この時間帯は直前に満席になりました。もう一度検索してください。",
        "Sorry, this time has just been taken; please search again.", offer_id=offer_id)


def _booking_row(eng: Engine, bid: str, offer: OfferRow, vid: str, day: date, now: int,
                 who: dict[str, Any]) -> BookingRow:
    req, p = offer.request, offer.request["party"]
    return BookingRow(
        id=bid, service_id=eng.service.id, status=BookingStatus.CONFIRMED, service_day=day,
        offer_id=offer.id, origin_stop_id=req["origin"]["stop_id"],
        destination_stop_id=req["destination"]["stop_id"],
        origin_lat=req["origin"]["lat"], origin_lon=req["origin"]["lon"],
        destination_lat=req["destination"]["lat"], destination_lon=req["destination"]["lon"],
        adults=p["adults"], children=p["children"], infants=p["infants"],
        wheelchairs=p["wheelchairs"], concessions=p.get("concessions", {}),
        rule=req["rule"], requested_at=to_dt(int(req["time_s"])),
        pickup_earliest_at=offer.pickup_earliest_at, pickup_latest_at=offer.pickup_latest_at,
        dropoff_latest_at=offer.dropoff_latest_at, max_ride_s=offer.max_ride_s,
        direct_s=int(req.get("direct_s", 0)), fare=offer.fare, vehicle_id=vid,
        connection=offer.connection, notes=req.get("notes", ""),
        created_at=to_dt(now), updated_at=to_dt(now), **who,
    )


def accept(eng: Engine, rider_id: str, offer_id: str, idempotency_key: str | None,
           booked_by: str, channel: str = "app", rider_name: str = "",
           rider_phone: str = "") -> tuple[BookingRow, bool]:
    """Turn an offer into a booking under the lock, re-checking feasibility.

    Returns the booking and whether it was created now (False for an idempotent retry).
    """
    now = eng.clock()
    day = eng.offer_days.pop(offer_id)
    if day is None:
        with eng.reading() as s:
            asked = booking_store.get_offer(s, offer_id)
        day = eng.day_at(to_s(asked.pickup_earliest_at)) if asked is not None else eng.today()
    with eng.writing(day):
        offer = _open_offer(eng, rider_id, offer_id, idempotency_key, now)
        if isinstance(offer, BookingRow):
            return offer, False
        bid = f"bk-{uuid.uuid4().hex[:12]}"
        booking = _offered_booking(eng, bid, offer)
        day = eng.planner.day_of(booking)
        placed = eng.planner.insert_promised(booking, day,
                                             prefer=VehicleDay(offer.vehicle_id, day).key)
        if placed is None:
            raise _lost(eng, offer_id, booked_by, day)
        key, plan = placed
        vid = VehicleDay.of(key).vehicle_id
        row = _booking_row(eng, bid, offer, vid, day, now, {
            "rider_id": rider_id, "booked_by": booked_by, "channel": channel,
            "idempotency_key": idempotency_key, "rider_name": rider_name,
            "rider_phone": rider_phone})
        live = eng.live
        old_plan = live.plans.get(key)
        live.place(booking, key, plan)
        live.revise(key)
        try:
            with eng.unit_of_work() as s:
                o = booking_store.get_offer(s, offer_id)
                if o is None or o.status != OfferStatus.OPEN:
                    raise Conflict("この提案はすでに使われています",
                                   "this offer has already been used")
                o.status = OfferStatus.TAKEN
                s.add(row)
                eng.save_plan(s, key)
                promise, request = booking.promise, booking.request
                repo.add_event(s, EventType.BOOKED, booking_id=bid, vehicle_id=vid,
                               actor_id=booked_by, at=to_dt(now), channel=channel,
                               offer_id=offer_id,
                               pickup_window=[promise.pickup_earliest_s, promise.pickup_latest_s],
                               dropoff_latest=promise.dropoff_latest_s,
                               seats=request.passengers.seats,
                               wheelchairs=request.passengers.wheelchairs)
                repo.add_event(s, EventType.PLANNED, vehicle_id=vid, at=to_dt(now),
                               vehicle_day=key, revision=live.revisions[key], reason="booking",
                               stops=len(plan.stops))
        except Exception:
            # Roll the memory back: the database is the truth.
            live.unplace(bid, key, old_plan)
            raise
        eng.bump()
        return row, True
