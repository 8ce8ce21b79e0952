"""Tickets of bookings: issued lazily from the booking row and recorded as an event holding
every signed field, so that the same booking and issue counter always give the same text
(Ed25519 signatures are deterministic); reissues; the ticket as the API shows it."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine as DbEngine
from sqlmodel import Session

from dispatcher import tickets
from dispatcher.errors import Conflict, InvalidInput, NotFound
from dispatcher.fares import Fare, FareLine, fare_for
from dispatcher.service_area import ServiceArea
from dispatcher.statuses import BookingStatus
from dispatcher.store import tickets as store
from dispatcher.store.tables import BookingRow
from dispatcher.store.types import to_dt, to_s
from dispatcher.ticket_service.common import CLOSED_STATUSES, Clock
from dispatcher.ticket_service.errors import TicketUnavailable
from dispatcher.ticket_service.keys import TicketKeys


def _not_found(booking_id: str) -> NotFound:
    return NotFound("予約が見つかりません", "booking not found", booking_id=booking_id)


def fare_of(service: ServiceArea, row: BookingRow) -> Fare:
    """The booking's fare: riders by category from the row, total as promised at booking."""
    counts = {"adult": row.adults + row.wheelchairs - sum(row.concessions.values()),
              "child": row.children, "infant": row.infants, **row.concessions}
    try:
        fare = fare_for(service.fares, {k: v for k, v in counts.items() if v > 0})
    except InvalidInput:  # rules changed since booking: keep the booked total, adults only
        fare = Fare(service.fares.currency,
                    (FareLine("adult", max(1, row.adults), 0, row.fare),), row.fare)
    return Fare(fare.currency, fare.lines, row.fare)


def refuse_closed(row: BookingRow) -> None:
    """Raise :class:`TicketUnavailable` for a cancelled, no-show or completed booking."""
    if row.status in CLOSED_STATUSES:
        ja = {BookingStatus.CANCELLED: "取り消された予約", BookingStatus.NO_SHOW: "不乗車となった予約",
              BookingStatus.COMPLETED: "乗車が済んだ予約"}[BookingStatus(row.status)]
        raise TicketUnavailable(f"{ja}の乗車券は使えません",
                                f"a {row.status.replace('_', '-')} booking has no valid ticket",
                                booking_id=row.id, status=row.status)


@dataclass
class Issuer:
    """Issues, records and reissues the tickets of one service's bookings.

    The callers (:class:`~dispatcher.ticket_service.TicketService`) hold the lock.
    """

    service: ServiceArea
    db: DbEngine
    clock: Clock
    keys: TicketKeys

    def _new_ticket(self, row: BookingRow, issue: int,
                    now_s: int) -> tuple[tickets.Ticket, tickets.SigningKey]:
        pick_from, pick_to = to_s(row.pickup_earliest_at), to_s(row.pickup_latest_at)
        not_before, not_after = tickets.default_validity(pick_from, pick_to)
        key = self.keys.pick_key(now_s, not_after)
        fare = fare_of(self.service, row)
        stop = row.origin_stop_id or f"pt:{row.origin_lat:.5f}:{row.origin_lon:.5f}"
        ticket = tickets.Ticket(
            key_id=key.key_id, service_id=self.service.id, booking_id=row.id, issue=issue,
            rider_initial=tickets.rider_initial(row.rider_name),
            passengers=tickets.passengers_tuple(fare.passengers()), pickup_stop_id=stop,
            pickup_from_s=pick_from, pickup_to_s=pick_to, currency=fare.currency,
            fare=fare.total, not_before_s=not_before, not_after_s=not_after,
            vehicle_id=row.vehicle_id or "")
        return ticket, key

    def _issued(self, data: dict[str, Any]) -> tickets.IssuedTicket | None:
        """Re-sign a recorded ticket (same text), or None if its key is gone."""
        t = dict(data["ticket"])
        t["passengers"] = tuple((c, n) for c, n in t["passengers"])
        ticket = tickets.Ticket(**t)
        key = self.keys.signing_keys().get(ticket.key_id)
        if key is None:
            return None
        return self._finish(ticket, key, int(data["issued_at_s"]))

    def _finish(self, ticket: tickets.Ticket, key: tickets.SigningKey,
                at_s: int) -> tickets.IssuedTicket:
        text = tickets.sign_ticket(ticket, key, now_s=at_s)
        sid, bid, issue, code_key = (ticket.service_id, ticket.booking_id, ticket.issue,
                                     self.keys.code_key)
        return tickets.IssuedTicket(
            ticket, text, tickets.short_code(code_key, service_id=sid, booking_id=bid, issue=issue),
            tickets.manifest_code(code_key, service_id=sid, booking_id=bid, issue=issue))

    def _issue(self, s: Session, row: BookingRow, issue: int, event: str,
               actor_id: str) -> tickets.IssuedTicket:
        now = self.clock()
        ticket, key = self._new_ticket(row, issue, now)
        issued = self._finish(ticket, key, now)
        data: dict[str, Any] = {
            "ticket": {f.name: getattr(ticket, f.name) for f in fields(ticket)},
            "issued_at_s": now}
        data["ticket"]["passengers"] = [list(p) for p in ticket.passengers]
        store.record_issue(s, event, row, actor_id=actor_id, at=to_dt(now), data=data)
        return issued

    def prepare_key(self, booking_id: str) -> None:
        """Let a development service add a fitting key before a write transaction opens
        (adding one writes too, and SQLite allows one writer at a time)."""
        if self.keys.production:
            return
        with Session(self.db, expire_on_commit=False) as s:
            row = store.booking(s, booking_id)
        if row is not None:
            _, not_after = tickets.default_validity(to_s(row.pickup_earliest_at),
                                                    to_s(row.pickup_latest_at))
            self.keys.pick_key(self.clock(), not_after)

    def ticket_for(self, booking_id: str, actor_id: str) -> tickets.IssuedTicket:
        """The booking's current ticket: the recorded one, or issued now on first request
        (after :meth:`prepare_key`).

        Raises
        ------
        TicketUnavailable
            If the booking is cancelled, a no-show or completed.
        """
        with Session(self.db, expire_on_commit=False) as s, s.begin():
            row = store.booking(s, booking_id)
            if row is None:
                raise _not_found(booking_id)
            refuse_closed(row)
            data = store.issue_record(s, booking_id, row.ticket_issue)
            if data is not None:
                issued = self._issued(data)
                if issued is not None:
                    return issued
            return self._issue(s, row, row.ticket_issue, "ticket_issued", actor_id)

    def reissue(self, booking_id: str, actor_id: str) -> tickets.IssuedTicket:
        """Reissue a booking's ticket with ``issue + 1`` (after :meth:`prepare_key`).

        Raises
        ------
        TicketUnavailable
            Unless the booking is still waiting for pickup (confirmed).
        """
        with Session(self.db, expire_on_commit=False) as s, s.begin():
            row = store.booking(s, booking_id, for_update=True)
            if row is None:
                raise _not_found(booking_id)
            refuse_closed(row)
            if row.status != BookingStatus.CONFIRMED:
                raise TicketUnavailable("乗車済みの予約の乗車券は再発行できません",
                                        "a booking on board cannot get a new ticket",
                                        booking_id=row.id, status=row.status)
            if row.ticket_issue >= 0xFFFF:
                raise Conflict("再発行の上限に達しました", "too many reissues")
            store.raise_issue(s, row, to_dt(self.clock()))
            return self._issue(s, row, row.ticket_issue, "ticket_reissued", actor_id)

    def ticket_json(self, booking_id: str, issued: tickets.IssuedTicket) -> dict[str, Any]:
        """The ticket as the API shows it (times ISO in the service's zone)."""
        t = issued.ticket
        with Session(self.db, expire_on_commit=False) as s:
            row = store.booking(s, booking_id)
            check = store.check_of(s, booking_id)
        tz = ZoneInfo(self.service.timezone)

        def iso(x: int) -> str:
            return to_dt(x).astimezone(tz).isoformat()

        return {
            "booking_id": t.booking_id, "issue": t.issue, "text": issued.text,
            "code": issued.code,
            "svg": tickets.qr_svg(issued.text, scale=4, title=f"乗車券 Ticket {t.booking_id}"),
            "key_id": t.key_id, "valid_from": iso(t.not_before_s),
            "valid_until": iso(t.not_after_s), "fare": t.fare, "currency": t.currency,
            "passengers": dict(t.passengers),
            "pickup_stop_id": row.origin_stop_id if row else t.pickup_stop_id,
            "pickup_window": [iso(t.pickup_from_s), iso(t.pickup_to_s)],
            "vehicle_id": t.vehicle_id or None, "rider_initial": t.rider_initial,
            "status": row.status if row else None, "checked_in": check is not None,
        }
