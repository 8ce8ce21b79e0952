"""Domain errors of the core, each with a Japanese and an English message.

The API maps each family to an HTTP status (422 bad input, 404 unknown, 409 conflict or no
longer possible, 403 refused by rule); pure code raises these and nothing else for bad input.
"""

from __future__ import annotations

from typing import Any


class NoriaiError(Exception):
    """Base class: ``code`` is stable for programs, ``message_ja``/``message_en`` are for people."""

    status = 400
    code = "error"

    def __init__(self, message_ja: str, message_en: str, **details: Any) -> None:
        super().__init__(message_en)
        self.message_ja = message_ja
        self.message_en = message_en
        self.details = details

    def as_dict(self) -> dict[str, Any]:
        """The error as the API returns it."""
        return {
            "code": self.code,
            "message": self.message_ja,
            "message_ja": self.message_ja,
            "message_en": self.message_en,
            "details": self.details,
        }


class InvalidInput(NoriaiError, ValueError):
    """The input is malformed or out of range."""

    status = 422
    code = "invalid_input"


class OutsideZone(InvalidInput):
    """A point lies outside the service zone or too far from any road."""

    code = "outside_zone"


class NotFound(NoriaiError, LookupError):
    """An id names nothing that exists (or nothing the caller may see)."""

    status = 404
    code = "not_found"


class RuleViolation(NoriaiError):
    """The request breaks a booking rule of the service (hours, days, notice, group size)."""

    status = 422
    code = "booking_rule"


class Conflict(NoriaiError):
    """The state changed: an offer expired or was taken, a plan moved, a duplicate submission."""

    status = 409
    code = "conflict"


class Infeasible(Conflict):
    """No vehicle can serve the request while keeping every promise."""

    code = "infeasible"


class Forbidden(NoriaiError):
    """The caller's role may not do this."""

    status = 403
    code = "forbidden"
