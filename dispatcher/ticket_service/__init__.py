"""The ticket service: the service's keyring, tickets of bookings, driver sync, check-in, payment.

Plugs the pure core (:mod:`dispatcher.tickets`, :mod:`dispatcher.fares`) into the store
(:mod:`dispatcher.store.tickets` holds its SQL); :class:`TicketService` is the one entry point.

- **Keys** (:mod:`.keys`). The public keyring lives in the ``ticket_keys`` table
  (:class:`~dispatcher.store.tables.KeyRow`). In development the private keys are stored there
  too and generated when needed; in production (``NORIAI_MODE=production``) they come only from
  ``NORIAI_TICKET_KEY`` (PKCS#8 PEM blocks or base64url 32-byte seeds, several allowed,
  separated by whitespace or commas) and the table holds their public halves. The short-code
  secret is ``NORIAI_TICKET_CODE_KEY`` (base64 of 32 bytes) in production and a ``settings``
  row in development.
- **Rotation.** :meth:`TicketService.add_key` (CLI: ``noriai tickets rotate``) adds a key that
  starts signing at its ``valid_from``; older keys stay in the keyring until their own end, so
  tickets they signed keep verifying. New tickets are signed by the newest key valid now whose
  end lies after the ticket's.
- **Tickets** (:mod:`.issuing`). Issued lazily from the booking row the first time anyone asks
  (rider, operator) and recorded as a ``ticket_issued`` event holding every signed field, so
  the same booking and issue counter always give the same text (Ed25519 signatures are
  deterministic). A reissue raises the booking's ``ticket_issue`` and records
  ``ticket_reissued``; the older ticket is then ``superseded`` on the server and, after their
  next sync, in the drivers' apps.
- **Driver sync** (:mod:`.sync`): the keyring, the vehicle's short-code hashes and the
  service's booking states for today and tomorrow.
- **Check-in** (:mod:`.checkin`). :meth:`TicketService.checkin` verifies a ticket or short code
  with the same core functions against the live state, records one check-in per booking and
  boards the rider through the engine.
- **Payment** (:mod:`.payment`). :func:`record_booking_payment` stores
  :func:`dispatcher.fares.record_payment`'s result on the booking with a ``payment`` event.
"""

from __future__ import annotations

from dispatcher.ticket_service.common import Clock
from dispatcher.ticket_service.errors import NoSigningKey, TicketingConfigError, TicketUnavailable
from dispatcher.ticket_service.keys import CLOCK_MARGIN_S, TicketKeys
from dispatcher.ticket_service.payment import record_booking_payment
from dispatcher.ticket_service.service import TicketService

__all__ = [
    "CLOCK_MARGIN_S",
    "Clock",
    "NoSigningKey",
    "TicketKeys",
    "TicketService",
    "TicketUnavailable",
    "TicketingConfigError",
    "record_booking_payment",
]
