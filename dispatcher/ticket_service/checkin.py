"""Check-in at the door: a ticket or short code verified with the core's functions against the
live state, one check-in per booking, the rider boarded through the engine."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine as DbEngine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from dispatcher import tickets
from dispatcher.errors import InvalidInput
from dispatcher.service_area import ServiceArea
from dispatcher.statuses import BookingStatus
from dispatcher.store import tickets as store
from dispatcher.store.tables import BookingRow
from dispatcher.store.types import to_dt, to_s
from dispatcher.ticket_service.common import REFUSED_STATUSES, RIDDEN_STATUSES, Clock, service_days
from dispatcher.ticket_service.keys import TicketKeys

Verified = tuple[tickets.Verdict, BookingRow | None]


def booking_state(s: Session, row: BookingRow, vehicle_id: str) -> dict[str, Any]:
    """The synced lists :func:`tickets.verify` reads, for one booking as the database has it."""
    used = store.check_of(s, row.id) is not None or row.status in RIDDEN_STATUSES
    return {"used": {row.id} if used else set(),
            "cancelled": {row.id} if row.status in REFUSED_STATUSES else set(),
            "onboard": {row.id} if row.status == BookingStatus.ONBOARD else set(),
            "latest_issue": {row.id: row.ticket_issue},
            "on_manifest": {row.id} if row.vehicle_id == vehicle_id else set(),
            "vehicle_of": {row.id: row.vehicle_id or ""},
            "day_of": {row.id: row.service_day.isoformat()}}


def _verdict_json(verdict: tickets.Verdict) -> dict[str, Any]:
    return {"ok": verdict.ok, "booking_id": verdict.booking_id, "reason": str(verdict.reason),
            "message": verdict.message_ja, "message_ja": verdict.message_ja,
            "message_en": verdict.message_en}


@dataclass
class DoorCheck:
    """Verifies tickets and short codes at a vehicle's door and checks them in, once.

    The callers (:class:`~dispatcher.ticket_service.TicketService`) hold the lock.
    """

    service: ServiceArea
    db: DbEngine
    clock: Clock
    keys: TicketKeys

    def _today(self) -> str:
        return service_days(self.clock(), ZoneInfo(self.service.timezone))[0].isoformat()

    def verify_ticket(self, text: str, vehicle_id: str,
                      boarding_here: Collection[str] | None = None) -> Verified:
        """Verify a ticket's QR text against the live state (never raises for bad input).

        The booking's vehicle, day and status are the database's; ``boarding_here`` (the
        bookings that board at the vehicle's current stop now, from the engine's plan) makes
        any other booking ``other_stop`` (None: not checked).
        """
        now = self.clock()
        keys = self.keys.keyring()
        try:
            ticket, _, _ = tickets.decode_text(text)
        except InvalidInput:
            return tickets.verify(text, keys=keys, now_s=now), None
        with Session(self.db, expire_on_commit=False) as s:
            row = (store.booking(s, ticket.booking_id)
                   if ticket.service_id == self.service.id else None)
            state = booking_state(s, row, vehicle_id) if row is not None else {}
        verdict = tickets.verify(text, keys=keys, now_s=now, vehicle_id=vehicle_id,
                                 service_id=self.service.id, service_day=self._today(),
                                 boarding_here=boarding_here if row is not None else None, **state)
        if verdict.ok and row is None:
            return tickets.Verdict(False, tickets.Reason.UNKNOWN_CODE, verdict.ticket,
                                   ticket.booking_id, "no such booking"), None
        return verdict, row

    def verify_short_code(self, code: str, vehicle_id: str,
                          boarding_here: Collection[str] | None = None) -> Verified:
        """Verify a typed short code against this vehicle's bookings of today and tomorrow,
        then against the ticket's validity window (the server knows the booking's times);
        ``boarding_here`` as for :meth:`verify_ticket`."""
        now = self.clock()
        tz = ZoneInfo(self.service.timezone)
        with Session(self.db, expire_on_commit=False) as s:
            rows = [r for r in store.bookings_of_days(s, self.service.id,
                                                      service_days(self.clock(), tz))
                    if r.vehicle_id == vehicle_id]
            checked = store.checked_in(s, [r.id for r in rows])
        manifest = [tickets.manifest_code(self.keys.code_key, service_id=self.service.id,
                                          booking_id=r.id, issue=r.ticket_issue) for r in rows]
        verdict = tickets.verify_code(
            code, manifest=manifest, service_id=self.service.id,
            used=checked | {r.id for r in rows if r.status in RIDDEN_STATUSES},
            cancelled={r.id for r in rows if r.status in REFUSED_STATUSES},
            onboard={r.id for r in rows if r.status == BookingStatus.ONBOARD},
            service_day=self._today(),
            day_of={r.id: r.service_day.isoformat() for r in rows},
            boarding_here=boarding_here)
        row = next((r for r in rows if r.id == verdict.booking_id), None)
        if verdict.ok and row is not None:
            lo, hi = tickets.default_validity(to_s(row.pickup_earliest_at),
                                              to_s(row.pickup_latest_at))
            if now < lo:
                return tickets.Verdict(False, tickets.Reason.NOT_YET_VALID, None, row.id), row
            if now >= hi:
                return tickets.Verdict(False, tickets.Reason.EXPIRED, None, row.id), row
        return verdict, row

    def refusal_detail(self, reason: tickets.Reason, row: BookingRow) -> dict[str, str]:
        """What the driver needs to send a refused rider the right way: where and when the
        booking boards (another stop), or its day (another day); empty otherwise."""
        tz = ZoneInfo(self.service.timezone)
        if reason == tickets.Reason.OTHER_STOP:
            stop = (self.service.stop(row.origin_stop_id) if row.origin_stop_id
                    and row.origin_stop_id in self.service.stop_ids() else None)
            ja, en = (stop.name_ja, stop.name_en) if stop else ("指定地点", "the chosen point")
            a = row.pickup_earliest_at.astimezone(tz).strftime("%H:%M")
            b = row.pickup_latest_at.astimezone(tz).strftime("%H:%M")
            return {"detail_ja": f"乗車: {ja} {a}–{b}", "detail_en": f"Boards at {en} {a}–{b}"}
        if reason == tickets.Reason.WRONG_DAY:
            d = row.service_day
            return {"detail_ja": f"予約日: {d.month}月{d.day}日",
                    "detail_en": f"Booked for {d.strftime('%a %d %b')}"}
        return {}

    def checkin(self, vehicle_id: str, actor_id: str, *, ticket: str | None,
                code: str | None, board: Callable[[str], dict[str, Any]] | None,
                boarding_here: Collection[str] | None) -> dict[str, Any]:
        """Check a ticket or short code in at the door, once; board the rider when accepted
        (see :meth:`TicketService.checkin <dispatcher.ticket_service.TicketService.checkin>`).
        """
        if (ticket is None) == (code is None):
            raise InvalidInput("乗車券（ticket）か番号（code）のどちらか一つを送ってください",
                               "send exactly one of ticket or code")
        if ticket is not None:
            verdict, row = self.verify_ticket(ticket, vehicle_id, boarding_here)
            method, issue = "qr", verdict.ticket.issue if verdict.ticket else None
        else:
            verdict, row = self.verify_short_code(str(code), vehicle_id, boarding_here)
            method, issue = "code", row.ticket_issue if row else None
        out = _verdict_json(verdict)
        if not verdict.ok or row is None:
            out["ok"] = False
            if row is not None:
                out.update(self.refusal_detail(verdict.reason, row))
            return out
        if not self._check_in(row, vehicle_id, actor_id, method, issue):
            used = tickets.Verdict(False, tickets.Reason.ALREADY_USED, None, row.id)
            return out | {"ok": False, "reason": str(used.reason),
                          "message": used.message_ja, "message_ja": used.message_ja,
                          "message_en": used.message_en}
        status = row.status
        if status == BookingStatus.CONFIRMED and board is not None:
            try:
                status = str(board(row.id).get("status", BookingStatus.ONBOARD.value))
            except Exception:
                with Session(self.db) as s, s.begin():
                    store.remove_check(s, row.id)
                raise
        return out | {"status": status, "issue": issue}

    def _check_in(self, row: BookingRow, vehicle_id: str, actor_id: str, method: str,
                  issue: int | None) -> bool:
        """Record the check-in; False if the booking was checked in already."""
        now = self.clock()
        try:
            with Session(self.db) as s, s.begin():
                store.add_check(s, row.id, check_issue=issue or row.ticket_issue,
                                vehicle_id=vehicle_id, actor_id=actor_id, at=to_dt(now),
                                method=method, issue=issue)
        except IntegrityError:
            return False
        return True
