"""Mapping between store rows / engine schedules and API bodies (the API's one translation point)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from dispatcher.api.schemas import BookingOut, LabelOut, OfferOut
from dispatcher.engine import Engine, VehicleDay
from dispatcher.feasibility import Late
from dispatcher.model import Booking, StopKind
from dispatcher.offer_rank import OfferTimes, Ranked, rank_offers
from dispatcher.store.tables import BookingRow, OfferRow


def local(dt: datetime, tz: ZoneInfo) -> datetime:
    """An aware datetime shown in the service's time zone."""
    return dt.astimezone(tz)


def offer_out(row: OfferRow, tz: ZoneInfo, ranked: Ranked | None = None) -> OfferOut:
    """API view of an offer (with its rank among the answer's offers when given)."""
    extra: dict[str, Any] = {}
    if ranked is not None:
        extra = {"rank": ranked.rank, "recommended": ranked.recommended,
                 "labels": [LabelOut(code=lb.code, text_ja=lb.text_ja, text_en=lb.text_en,
                                     minutes=lb.minutes) for lb in ranked.labels]}
    return OfferOut(
        id=row.id, vehicle_id=row.vehicle_id,
        pickup_window=(local(row.pickup_earliest_at, tz), local(row.pickup_latest_at, tz)),
        dropoff_expected=local(row.dropoff_expected_at, tz),
        dropoff_latest=local(row.dropoff_latest_at, tz), fare=row.fare, fare_lines=row.fare_lines,
        expires_at=local(row.expires_at, tz), kind=row.request.get("kind", "asked"),
        connection=row.connection, **extra,
    )


def rank_rows(rows: list[OfferRow]) -> list[Ranked]:
    """The rider's ranking of the offers of one answer (asked time and rule from the request)."""
    if not rows:
        return []
    req = rows[0].request
    times = [OfferTimes(int(r.pickup_earliest_at.timestamp()), int(r.pickup_latest_at.timestamp()),
                        int(r.dropoff_expected_at.timestamp()), int(r.dropoff_latest_at.timestamp()),
                        r.fare) for r in rows]
    return rank_offers(times, str(req.get("rule", "pickup_after")), int(req.get("time_s", 0)))


def booking_out(row: BookingRow, tz: ZoneInfo) -> BookingOut:
    """API view of a booking."""
    return BookingOut(
        id=row.id, status=row.status, rider_id=row.rider_id, rider_name=row.rider_name,
        channel=row.channel, service_day=row.service_day,
        origin_stop_id=row.origin_stop_id, destination_stop_id=row.destination_stop_id,
        origin=(row.origin_lat, row.origin_lon),
        destination=(row.destination_lat, row.destination_lon),
        adults=row.adults, children=row.children, infants=row.infants,
        wheelchairs=row.wheelchairs, rule=row.rule,
        requested_time=local(row.requested_at, tz),
        pickup_window=(local(row.pickup_earliest_at, tz), local(row.pickup_latest_at, tz)),
        dropoff_latest=local(row.dropoff_latest_at, tz), max_ride_s=row.max_ride_s,
        fare=row.fare, payment_status=row.payment_status, vehicle_id=row.vehicle_id,
        picked_up_at=local(row.picked_up_at, tz) if row.picked_up_at else None,
        dropped_off_at=local(row.dropped_off_at, tz) if row.dropped_off_at else None,
        connection=row.connection, notes=row.notes, created_at=local(row.created_at, tz),
    )


def _iso(seconds: int, tz: ZoneInfo) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).astimezone(tz).isoformat()


def _late_out(x: Late) -> dict[str, Any]:
    return {"booking_id": x.booking_id, "what": x.part.value, "by_s": x.by_s,
            "stop_index": x.stop_index}


def manifest(engine: Engine, vd: VehicleDay, rows: dict[str, BookingRow]) -> dict[str, Any]:
    """A vehicle-day's manifest: ordered stops with times, who boards and alights, needs.

    Times are always given (also when the vehicle is late): ``eta`` and ``service_start`` the
    expected arrival and start of service, ``leave_by`` the latest departure from the previous
    place that keeps the planned start under planning travel times, ``slack_s`` how much later
    the stop may start before a promise is at risk, ``late_s`` how late (s) the stop's promise
    is expected to be and ``at_risk`` whether it may be broken. ``promises_late`` and
    ``promises_at_risk`` name them for the whole vehicle (:mod:`dispatcher.timetable`).
    ``visit`` numbers the places in order (consecutive stops at one place are one visit; the
    first visit is where the vehicle is or goes next); pickups carry the rider's phone.
    Call under ``engine.lock`` for a vehicle-day with a shift.
    """
    tz = engine.tz
    view = engine.view(vd)
    if view is None:
        raise KeyError(vd)
    plan, state = view.plan, view.state
    check = engine.schedule(vd)
    stop_of = {p: sid for sid, p in engine.stop_place.items()}
    late: dict[tuple[str, int], int] = {}
    for x in check.late:
        late[(x.booking_id, x.stop_index)] = max(late.get((x.booking_id, x.stop_index), 0), x.by_s)
    risk = {(x.booking_id, x.stop_index) for x in check.at_risk}
    stops: list[dict[str, Any]] = []
    visit = 0
    for i, st in enumerate(plan.stops):
        if i and st.node != plan.stops[i - 1].node:
            visit += 1
        row = rows.get(st.booking_id)
        sid = stop_of.get(st.node)
        info = engine.service.stop(sid) if sid else None
        timing = check.stops[i] if check.stops else None
        booking = view.bookings.get(st.booking_id)
        item: dict[str, Any] = {
            "index": i,
            "booking_id": st.booking_id,
            "kind": st.kind.value,
            "stop_id": sid,
            "name_ja": info.name_ja if info else "指定地点",
            "name_en": info.name_en if info else "Chosen point",
            "lat": info.lat if info else (row.origin_lat if row and st.kind == StopKind.PICKUP
                                          else row.destination_lat if row else None),
            "lon": info.lon if info else (row.origin_lon if row and st.kind == StopKind.PICKUP
                                          else row.destination_lon if row else None),
            "eta": _iso(timing.arrival_s, tz) if timing else None,
            "service_start": _iso(timing.start_s, tz) if timing else None,
            "leave_by": _iso(check.leave_by_s[i], tz) if check.leave_by_s else None,
            "slack_s": check.latest_s[i] - timing.start_s if timing and check.latest_s else None,
            "late_s": late.get((st.booking_id, i), 0),
            "at_risk": (st.booking_id, i) in risk,
            "locked": i < plan.locked,
            "visit": visit,
        }
        _add_promise_and_rider(item, st.kind, booking, row, tz)
        stops.append(item)
    return {
        "vehicle_id": vd.vehicle_id,
        "day": vd.day.isoformat(),
        "revision": view.revision,
        "onboard": list(state.onboard),
        "feasible": check.feasible,
        "late_s": max((x.by_s for x in check.late), default=0),
        "promises_late": [_late_out(x) for x in check.late],
        "promises_at_risk": [_late_out(x) for x in check.at_risk],
        "shift_overrun_s": check.shift_overrun_s,
        "shift_ended": view.ended,
        "stops": stops,
        "shift": [_iso(view.vehicle.shift_start_s, tz), _iso(view.vehicle.shift_end_s, tz)],
        "breaks": [_iso(b, tz) for b in check.break_starts_s],
    }


def _add_promise_and_rider(item: dict[str, Any], kind: StopKind, booking: Booking | None,
                           row: BookingRow | None, tz: ZoneInfo) -> None:
    """A manifest stop's promise (pickup window or latest drop-off) and its rider's party,
    notes and fare; a pickup carries the rider's phone."""
    if booking is not None and kind == StopKind.PICKUP:
        item["window"] = [_iso(booking.promise.pickup_earliest_s, tz),
                          _iso(booking.promise.pickup_latest_s, tz)]
    if booking is not None and kind == StopKind.DROPOFF:
        item["latest"] = _iso(booking.promise.dropoff_latest_s, tz)
    if row is not None:
        item.update(rider_name=row.rider_name, adults=row.adults, children=row.children,
                    infants=row.infants, wheelchairs=row.wheelchairs, notes=row.notes,
                    fare=row.fare, payment_status=row.payment_status, status=row.status)
        if kind == StopKind.PICKUP:
            # To call a rider who is not at the stop: only in manifests of its vehicle.
            item["rider_phone"] = row.rider_phone
