"""The ticket service's errors (the API maps :class:`~dispatcher.errors.NoriaiError` to HTTP)."""

from __future__ import annotations

from dispatcher.errors import Conflict, NoriaiError


class TicketUnavailable(Conflict):
    """The booking has no usable ticket any more (cancelled, no-show or completed)."""

    code = "ticket_unavailable"


class NoSigningKey(NoriaiError):
    """No private key can sign this ticket now (production keys must be rotated)."""

    status = 503
    code = "no_signing_key"


class TicketingConfigError(RuntimeError):
    """The deployment's ticket keys are missing or malformed (the service refuses to start)."""
