"""Riders told through LINE when their promise is at risk (the outbox of ``promise_*`` events).

The engine writes ``promise_at_risk`` and ``promise_recovered`` events (:meth:`Engine.watch`).
:class:`RiskNotifier` reads the new ones after each background cycle and pushes a LINE message
to riders whose account is linked to LINE: when their pickup or arrival is expected to be late
(level ``late``; the milder ``at_risk`` is shown in the rider app and the console only), and
when it is on time again after such a message. Each event is handled once per process; events
from before the process started are not pushed again.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Engine as DbEngine
from sqlmodel import Session

from dispatcher.alerts import recovered_text, risk_text
from dispatcher.line.client import ReplyClient, text_message
from dispatcher.statuses import OPEN_BOOKING_STATUSES
from dispatcher.store import events as event_log
from dispatcher.store.tables import BookingRow, Event, User

log = logging.getLogger("noriai.notify")

KINDS = ("promise_at_risk", "promise_recovered")


class RiskNotifier:
    """Pushes riders' promise alerts to LINE.

    Parameters
    ----------
    db
        The service database.
    client
        The LINE client (``None``: LINE is not configured, nothing is pushed).
    """

    def __init__(self, db: DbEngine, client: ReplyClient | None) -> None:
        self.db = db
        self.client = client
        with Session(db) as s:
            self.last_id = event_log.last_id(s)
        #: Bookings whose rider was told of a delay (told again when it is over).
        self.told: set[str] = set()

    def run_once(self) -> int:
        """Push the alerts of the events written since the last call; returns messages sent.

        At most one message per booking: its pickup if that is late, else its arrival; a rider
        already told is told again only once the delay is over.
        """
        with Session(self.db, expire_on_commit=False) as s:
            events = event_log.after(s, self.last_id, types=KINDS)
            if events:
                self.last_id = int(events[-1].id or self.last_id)
            if self.client is None:
                return 0
            by_booking: dict[str, list[Event]] = {}
            for e in events:
                if e.booking_id:
                    by_booking.setdefault(e.booking_id, []).append(e)
            sent = 0
            for bid, evs in by_booking.items():
                msg = self._message(s, bid, evs)
                if msg is not None and self.client.push(msg[0], [text_message(msg[1])]):
                    sent += 1
            return sent

    def _message(self, s: Session, booking_id: str, events: list[Event]) -> tuple[str, str] | None:
        booking = s.get(BookingRow, booking_id)
        if booking is None:
            return None
        rider = s.get(User, booking.rider_id)
        if rider is None or not rider.line_user_id:
            return None
        late = [e.data or {} for e in events if e.type == "promise_at_risk"
                and (e.data or {}).get("level") == "late"]
        if late and booking.id not in self.told and booking.status in OPEN_BOOKING_STATUSES:
            data: dict[str, Any] = next((d for d in late if d.get("what") == "pickup"), late[0])
            what = "pickup" if data.get("what") == "pickup" else "dropoff"
            self.told.add(booking.id)
            text = risk_text(what, "late", int(data.get("late_s", 0)))
            return rider.line_user_id, text.get(rider.lang)
        kept = any(e.type == "promise_recovered" and (e.data or {}).get("reason") == "kept"
                   for e in events)
        if booking.id in self.told and kept and not late:
            self.told.discard(booking.id)
            return rider.line_user_id, recovered_text().get(rider.lang)
        return None
