"""The :class:`TicketService` façade: one entry point for the API and the CLI, owning the lock."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine as DbEngine
from sqlmodel import Session

from dispatcher import tickets
from dispatcher.errors import NotFound
from dispatcher.fares import Fare
from dispatcher.service_area import ServiceArea
from dispatcher.settings import Settings
from dispatcher.store import tickets as store
from dispatcher.store.tables import BookingRow
from dispatcher.ticket_service.checkin import DoorCheck, Verified
from dispatcher.ticket_service.common import Clock
from dispatcher.ticket_service.issuing import Issuer, fare_of
from dispatcher.ticket_service.keys import TicketKeys
from dispatcher.ticket_service.sync import driver_sync


@dataclass
class TicketService:
    """Tickets of one service over its database; ``clock`` is the engine's (epoch seconds).

    Create with :meth:`create`; every method opens its own transaction.
    """

    service: ServiceArea
    db: DbEngine
    clock: Clock
    keys: TicketKeys
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _issuer: Issuer = field(init=False)
    _door: DoorCheck = field(init=False)

    def __post_init__(self) -> None:
        self._issuer = Issuer(self.service, self.db, self.clock, self.keys)
        self._door = DoorCheck(self.service, self.db, self.clock, self.keys)

    @classmethod
    def create(cls, settings: Settings, service: ServiceArea, db: DbEngine,
               clock: Clock) -> TicketService:
        """Load (production) or create (development) the keys and the code secret.

        Raises
        ------
        TicketingConfigError
            In production, if ``NORIAI_TICKET_KEY`` or ``NORIAI_TICKET_CODE_KEY`` is missing
            or malformed.
        """
        return cls(service, db, clock, TicketKeys.load(settings, db, clock))

    @property
    def tz(self) -> ZoneInfo:
        """The service's time zone."""
        return ZoneInfo(self.service.timezone)

    # --- keys ---------------------------------------------------------------------------------

    def keyring(self) -> dict[str, tickets.KeyInfo]:
        """The public keyring: every active key (id -> public key and validity)."""
        return self.keys.keyring()

    def keyring_json(self) -> dict[str, Any]:
        """The public keyring as the driver app imports it (:func:`tickets.keyring_to_json`)."""
        return self.keys.keyring_json(self.service.id)

    def signing_keys(self) -> dict[str, tickets.SigningKey]:
        """Active keys whose private half this process holds (environment or dev table)."""
        return self.keys.signing_keys()

    def add_key(self, *, valid_from_s: int | None = None, days: int | None = None,
                key_id: str | None = None) -> tuple[tickets.SigningKey, str | None]:
        """Rotate: add a signing key (see :meth:`TicketKeys.add_key
        <dispatcher.ticket_service.keys.TicketKeys.add_key>`)."""
        return self.keys.add_key(valid_from_s=valid_from_s, days=days, key_id=key_id)

    def pick_key(self, now_s: int, not_after_s: int) -> tickets.SigningKey:
        """The key that signs a ticket valid until ``not_after_s`` (see :meth:`TicketKeys.pick_key
        <dispatcher.ticket_service.keys.TicketKeys.pick_key>`)."""
        return self.keys.pick_key(now_s, not_after_s)

    # --- tickets ------------------------------------------------------------------------------

    def booking(self, booking_id: str) -> BookingRow:
        """A booking row (raises NotFound)."""
        with Session(self.db, expire_on_commit=False) as s:
            row = store.booking(s, booking_id)
        if row is None:
            raise NotFound("予約が見つかりません", "booking not found", booking_id=booking_id)
        return row

    def fare_of(self, row: BookingRow) -> Fare:
        """The booking's fare: riders by category from the row, total as promised at booking."""
        return fare_of(self.service, row)

    def ticket_for(self, booking_id: str, *, actor_id: str = "system") -> tickets.IssuedTicket:
        """The booking's current ticket: the recorded one, or issued now on first request.

        Raises
        ------
        TicketUnavailable
            If the booking is cancelled, a no-show or completed.
        """
        with self._lock:
            self._issuer.prepare_key(booking_id)
            return self._issuer.ticket_for(booking_id, actor_id)

    def reissue(self, booking_id: str, actor_id: str) -> tickets.IssuedTicket:
        """Reissue a booking's ticket with ``issue + 1``; the old one becomes ``superseded``.

        Raises
        ------
        TicketUnavailable
            Unless the booking is still waiting for pickup (confirmed).
        """
        with self._lock:
            self._issuer.prepare_key(booking_id)
            return self._issuer.reissue(booking_id, actor_id)

    def ticket_json(self, booking_id: str, issued: tickets.IssuedTicket) -> dict[str, Any]:
        """The ticket as the API shows it (times ISO in the service's zone)."""
        return self._issuer.ticket_json(booking_id, issued)

    # --- drivers ------------------------------------------------------------------------------

    def sync(self, vehicle_id: str) -> dict[str, Any]:
        """What a driver's app needs to verify tickets offline (see
        :func:`~dispatcher.ticket_service.sync.driver_sync`)."""
        return driver_sync(self.service, self.db, self.clock, self.keys, vehicle_id)

    def verify_ticket(self, text: str, vehicle_id: str,
                      boarding_here: Collection[str] | None = None) -> Verified:
        """Verify a ticket's QR text against the live state (never raises for bad input)."""
        return self._door.verify_ticket(text, vehicle_id, boarding_here)

    def verify_short_code(self, code: str, vehicle_id: str,
                          boarding_here: Collection[str] | None = None) -> Verified:
        """Verify a typed short code against this vehicle's bookings of today and tomorrow."""
        return self._door.verify_short_code(code, vehicle_id, boarding_here)

    def refusal_detail(self, reason: tickets.Reason, row: BookingRow) -> dict[str, str]:
        """Where and when a refused rider's booking boards, or its day; empty otherwise."""
        return self._door.refusal_detail(reason, row)

    def checkin(self, vehicle_id: str, actor_id: str, *, ticket: str | None = None,
                code: str | None = None,
                board: Callable[[str], dict[str, Any]] | None = None,
                boarding_here: Collection[str] | None = None) -> dict[str, Any]:
        """Check a ticket or short code in at the door, once; board the rider when accepted.

        Parameters
        ----------
        vehicle_id, actor_id
            The driver's vehicle and user id.
        ticket, code
            Exactly one: the scanned QR text or the typed short code.
        board
            Called with the booking id when the booking is still ``confirmed`` (the engine's
            ``boarded`` event); if it raises, the check-in is undone.
        boarding_here
            The bookings that board at the vehicle's current stop now: a ticket of any other
            booking is refused (``other_stop``) and boards nobody. None: not checked.

        Returns
        -------
        dict
            ``ok``, ``reason``, ``message_ja``/``message_en``, ``booking_id`` and, when
            accepted, the booking's ``status``.
        """
        with self._lock:
            return self._door.checkin(vehicle_id, actor_id, ticket=ticket, code=code,
                                      board=board, boarding_here=boarding_here)
