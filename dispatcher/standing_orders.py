"""Standing orders: store them, and place their trips through the engine as days come due.

The shell around :mod:`dispatcher.recurrence`. Every trip of an order inside the booking horizon
is placed with the engine's own ``make_offers`` and ``accept``, like a rider's booking, exactly
once: a day is first *claimed* by inserting its run row (unique per order and day), so a second
worker or a second pass finds it taken; the booking's idempotency key names the order and day,
so a pass that stopped between booking and recording (a crash, a restart) finds the booking
again instead of making another. A claim left unfinished for longer than a lease is taken over.

A day that cannot be placed (full, or against a rule) is recorded as failed with the reason in
Japanese and English; the rider sees it in the app's booking list and the operators get a
``standing_order_failed`` event.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine as DbEngine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from dispatcher.engine import Engine
from dispatcher.errors import Conflict, Infeasible, InvalidInput, NoriaiError, NotFound
from dispatcher.offer_rank import OfferTimes, rank_offers
from dispatcher.recurrence import DatedTrip, Expansion, Recurrence, expand
from dispatcher.rules import check_party
from dispatcher.service_area import WEEKDAYS
from dispatcher.store import bookings as booking_store
from dispatcher.store import repo
from dispatcher.store import standing as store
from dispatcher.store.tables import BookingRow, OfferRow, StandingOrder, StandingRun, User
from dispatcher.trip import Party, Place, TripInput
from dispatcher.units import clock_hhmm

log = logging.getLogger("noriai.standing")

#: A claim not finished within this time (s) is taken to be abandoned (its worker stopped).
LEASE_S = 600
#: Most active standing orders one rider may have.
MAX_ACTIVE_PER_RIDER = 10
#: Booking channel of trips placed by standing orders.
CHANNEL = "standing"


def _dt(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def recurrence_of(order: StandingOrder) -> Recurrence:
    """The order's days, time and rule as the pure core's :class:`Recurrence`."""
    return Recurrence(frozenset(WEEKDAYS.index(d) for d in order.weekdays), order.time_s,
                      order.rule, order.start_day, order.end_day)


def trip_of(order: StandingOrder, time_s: int) -> TripInput:
    """The trip request of an order at ``time_s`` (epoch s)."""
    return TripInput(
        origin=Place(order.origin_stop_id, order.origin_lat, order.origin_lon),
        destination=Place(order.destination_stop_id, order.destination_lat,
                          order.destination_lon),
        party=Party(order.adults, order.children, order.infants, order.wheelchairs,
                    dict(order.concessions)),
        rule=order.rule, time_s=time_s, notes=order.notes,
    )


def idempotency_key(order_id: str, day: date) -> str:
    """The booking idempotency key of an order's trip on ``day``."""
    return f"standing:{order_id}:{day.isoformat()}"


@dataclass(frozen=True, slots=True)
class Placed:
    """What a pass did with one day of an order."""

    order_id: str
    day: date
    status: str
    booking_id: str | None = None
    reason: str = ""


class StandingOrders:
    """Standing orders over the database and the engine.

    Parameters
    ----------
    db
        SQLAlchemy engine of a migrated database.
    engine
        The dispatch engine (its clock is "now").
    lease_s
        Seconds after which an unfinished claim may be taken over.
    """

    def __init__(self, db: DbEngine, engine: Engine, lease_s: int = LEASE_S) -> None:
        self.db = db
        self.engine = engine
        self.service = engine.service
        self.tz = ZoneInfo(self.service.timezone)
        self.lease_s = lease_s

    # ------------------------------------------------------------------ orders

    def validate(self, order: StandingOrder) -> Recurrence:
        """Check an order before it is stored; raises InvalidInput or RuleViolation."""
        rec = recurrence_of(order)
        closed = [d for d in order.weekdays if d not in self.service.calendar.days]
        if closed:
            names = {"mon": "月", "tue": "火", "wed": "水", "thu": "木", "fri": "金",
                     "sat": "土", "sun": "日"}
            raise InvalidInput(
                "運行していない曜日が含まれています（"
                + "・".join(names[d] + "曜日" for d in closed) + "）",
                f"the service does not run on {', '.join(closed)}", weekdays=closed)
        if not self.service.in_service_hours(order.time_s):
            hours = "、".join(f"{clock_hhmm(p.start_s)}〜{clock_hhmm(p.end_s)}"
                             for p in self.service.periods)
            raise InvalidInput(f"その時刻は運行時間外です（運行時間: {hours}）",
                               "that time is outside the service hours")
        if order.start_day < self.engine.today():
            raise InvalidInput("開始日が過去です", "the start date is in the past")
        trip = trip_of(order, 0)
        check_party(self.service, trip.party.seats, trip.party.wheelchairs, trip.party.infants)
        for place in (trip.origin, trip.destination):
            if place.stop_id is not None:
                self.service.stop(place.stop_id)
            else:
                assert place.lat is not None and place.lon is not None
                self.engine.network.snap(place.lat, place.lon, self.service.zone)
        same_stop = order.origin_stop_id and order.origin_stop_id == order.destination_stop_id
        same_point = (not order.origin_stop_id and not order.destination_stop_id
                      and (order.origin_lat, order.origin_lon)
                      == (order.destination_lat, order.destination_lon))
        if same_stop or same_point:
            raise InvalidInput("乗る場所と降りる場所が同じです",
                               "origin and destination are the same place")
        return rec

    def create(self, order: StandingOrder) -> StandingOrder:
        """Store a new order (checked first) with its event."""
        self.validate(order)
        now = self.engine.now_dt()
        with Session(self.db, expire_on_commit=False) as s, s.begin():
            active = store.active_count(s, order.rider_id)
            if active >= MAX_ACTIVE_PER_RIDER:
                raise InvalidInput(f"定期予約は{MAX_ACTIVE_PER_RIDER}件までです",
                                   f"at most {MAX_ACTIVE_PER_RIDER} standing orders")
            order.created_at = order.updated_at = now
            s.add(order)
            repo.add_event(s, "standing_order_created", actor_id=order.created_by, at=now,
                           order_id=order.id, rider_id=order.rider_id, channel=order.channel,
                           weekdays=order.weekdays, time_s=order.time_s, rule=order.rule)
            s.flush()
            s.expunge(order)
        return order

    def get(self, order_id: str, rider_id: str | None = None) -> StandingOrder:
        """An order (of ``rider_id`` when given); NotFound otherwise."""
        with Session(self.db, expire_on_commit=False) as s:
            order = s.get(StandingOrder, order_id)
        if order is None or (rider_id is not None and order.rider_id != rider_id):
            raise NotFound("定期予約が見つかりません", "standing order not found", order_id=order_id)
        return order

    def stop(self, order_id: str, actor_id: str, rider_id: str | None = None) -> StandingOrder:
        """Stop an order: no more days are placed (trips already booked stay booked)."""
        self.get(order_id, rider_id)
        now = self.engine.now_dt()
        with Session(self.db, expire_on_commit=False) as s, s.begin():
            order = s.get(StandingOrder, order_id)
            assert order is not None
            if order.active:
                order.active = False
                order.stopped_at = order.updated_at = now
                repo.add_event(s, "standing_order_stopped", actor_id=actor_id, at=now,
                               order_id=order_id, rider_id=order.rider_id)
            s.flush()
            s.expunge(order)
        return order

    def orders(self, rider_id: str | None = None, active_only: bool = False) -> list[StandingOrder]:
        """Orders, newest first (of one rider when given)."""
        with Session(self.db, expire_on_commit=False) as s:
            return store.orders(s, rider_id, active_only)

    def runs(self, order_ids: list[str], since: date | None = None) -> list[StandingRun]:
        """Runs of the given orders (from ``since`` on), by day."""
        if not order_ids:
            return []
        with Session(self.db, expire_on_commit=False) as s:
            return store.runs(s, order_ids, since)

    def notices(self, rider_id: str | None = None) -> list[StandingRun]:
        """Failed days from today on, not dismissed: what the rider (or operators) must know."""
        today = self.engine.today()
        with Session(self.db, expire_on_commit=False) as s:
            return store.failed_runs(s, today, rider_id)

    def dismiss(self, run_id: int, actor_id: str, rider_id: str | None = None) -> None:
        """Hide a failure notice (the rider has read it)."""
        with Session(self.db, expire_on_commit=False) as s, s.begin():
            run = s.get(StandingRun, run_id)
            if (run is None or run.status != "failed" or run.dismissed
                    or (rider_id and run.rider_id != rider_id)):
                raise NotFound("お知らせが見つかりません", "notice not found", id=run_id)
            run.dismissed = True
            repo.add_event(s, "standing_notice_dismissed", actor_id=actor_id,
                           at=self.engine.now_dt(), order_id=run.order_id,
                           day=run.service_day.isoformat())

    def expansion(self, order: StandingOrder) -> Expansion:
        """The order's dated trips and skipped days inside the horizon as of now."""
        return expand(recurrence_of(order), self.service, self.engine.clock())

    # ------------------------------------------------------------------ placing

    def place_due(self, order_id: str | None = None) -> list[Placed]:
        """Place every due day of every active order (or of one order); each day once.

        Returns what was done with each day this pass claimed (days already booked, failed or
        being placed by another worker are left alone and not listed).
        """
        now = self.engine.clock()
        orders = [o for o in self.orders(active_only=True) if order_id in (None, o.id)]
        due: list[tuple[int, StandingOrder, DatedTrip]] = []
        for order in orders:
            for trip in expand(recurrence_of(order), self.service, now).trips:
                due.append((trip.time_s, order, trip))
        due.sort(key=lambda x: (x[0], x[1].id))
        known = {(r.order_id, r.service_day): r for r in self.runs([o.id for o in orders],
                                                                   since=self.engine.today())}
        out = []
        for _, order, trip in due:
            run = known.get((order.id, trip.day))
            if run is not None and run.status != "placing":
                continue
            token = self._claim(order, trip, run)
            if token is None:
                continue
            try:
                out.append(self._place(order, trip, token))
            except Exception:  # the claim stays; it is retried after the lease
                log.exception("standing order %s on %s could not be placed", order.id, trip.day)
        return out

    def _claim(self, order: StandingOrder, trip: DatedTrip, run: StandingRun | None) -> str | None:
        """Claim a day of an order; the claim token, or None if another worker has it."""
        token = uuid.uuid4().hex[:16]
        now = self.engine.now_dt()
        if run is None:
            try:
                with Session(self.db) as s, s.begin():
                    s.add(StandingRun(order_id=order.id, rider_id=order.rider_id,
                                      service_day=trip.day, requested_at=_dt(trip.time_s),
                                      claim=token, claimed_at=now, updated_at=now))
                return token
            except IntegrityError:
                with Session(self.db, expire_on_commit=False) as s:
                    run = store.run_of(s, order.id, trip.day)
                if run is None:
                    return None
        if run.status != "placing" or run.claimed_at > now - timedelta(seconds=self.lease_s):
            return None
        with Session(self.db) as s, s.begin():
            taken = store.take_over(s, run, token, now)
        return token if taken else None

    def _place(self, order: StandingOrder, trip: DatedTrip, token: str) -> Placed:
        """Book a claimed day (or find the booking an earlier attempt made) and record it."""
        key = idempotency_key(order.id, trip.day)
        with Session(self.db, expire_on_commit=False) as s:
            booked = booking_store.by_idempotency_key(s, order.rider_id, key)
            rider = s.get(User, order.rider_id)
        if booked is None:
            try:
                booked = self._book(order, trip, key, rider)
            except NoriaiError as exc:
                reason = str(exc.details.get("rule") or exc.code)
                return self._finish(order, trip, token, "failed", None, reason,
                                    exc.message_ja, exc.message_en, rider)
        return self._finish(order, trip, token, "booked", booked.id, "", "", "", rider)

    def _book(self, order: StandingOrder, trip: DatedTrip, key: str,
              rider: User | None) -> BookingRow:
        """Offers for the day's trip, and the best one at the asked time accepted."""
        last: NoriaiError | None = None
        for _ in range(2):  # an offer taken by someone else in between: ask once more
            found = self.engine.make_offers(order.rider_id, trip_of(order, trip.time_s))
            asked: list[OfferRow] = found["offers"]
            if not asked:
                times = [r.pickup_earliest_at.astimezone(self.tz).strftime("%H:%M")
                         for r in sorted(found["alternatives"], key=lambda r: r.pickup_earliest_at)]
                near_ja = f"（近い時間の空き：{'、'.join(times)}）" if times else ""
                near_en = f" (free nearby: {', '.join(times)})" if times else ""
                raise Infeasible(f"ご希望の時刻は満席でした{near_ja}",
                                 f"The time asked for was full{near_en}.", rule="full")
            ranked = rank_offers([OfferTimes(int(r.pickup_earliest_at.timestamp()),
                                             int(r.pickup_latest_at.timestamp()),
                                             int(r.dropoff_expected_at.timestamp()),
                                             int(r.dropoff_latest_at.timestamp()), r.fare)
                                  for r in asked], order.rule, trip.time_s)
            best = asked[min(ranked, key=lambda r: r.rank).index]
            try:
                row, _ = self.engine.accept(
                    order.rider_id, best.id, key, booked_by=order.created_by, channel=CHANNEL,
                    rider_name=rider.name if rider else "",
                    rider_phone=(rider.phone or "") if rider else "")
                return row
            except (Infeasible, Conflict) as exc:
                last = exc
        assert last is not None
        raise last

    def _finish(self, order: StandingOrder, trip: DatedTrip, token: str, status: str,
                booking_id: str | None, reason: str, message_ja: str, message_en: str,
                rider: User | None) -> Placed:
        """Record the outcome of a claimed day, with its event (only while the claim holds)."""
        now = self.engine.now_dt()
        with Session(self.db) as s, s.begin():
            done = store.finish(s, order.id, trip.day, token, status=status,
                                booking_id=booking_id, reason=reason, message_ja=message_ja,
                                message_en=message_en, now=now)
            if not done:
                return Placed(order.id, trip.day, "lost_claim", booking_id, reason)
            if status == "booked":
                repo.add_event(s, "standing_order_booked", booking_id=booking_id,
                               actor_id=order.created_by, at=now, order_id=order.id,
                               day=trip.day.isoformat())
            else:
                repo.add_event(s, "standing_order_failed", actor_id=order.created_by, at=now,
                               order_id=order.id, rider_id=order.rider_id,
                               rider_name=rider.name if rider else "",
                               rider_phone=(rider.phone or "") if rider else "",
                               day=trip.day.isoformat(), time=_dt(trip.time_s).astimezone(
                                   self.tz).strftime("%H:%M"),
                               reason=reason, message_ja=message_ja, message_en=message_en)
        return Placed(order.id, trip.day, status, booking_id, reason)
