"""Issuing: a ticket's content from a booking, its signature and QR text, and the ticket,
short code and manifest entry given out at confirmation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from dispatcher.errors import InvalidInput
from dispatcher.fares import Fare
from dispatcher.tickets.codec import (
    SCHEME,
    SIGNATURE_CONTEXT,
    Ticket,
    b45encode,
    encode_payload,
)
from dispatcher.tickets.codes import ManifestCode, manifest_code, short_code
from dispatcher.tickets.keys import SigningKey


def passengers_tuple(passengers: Mapping[str, int]) -> tuple[tuple[str, int], ...]:
    """Rider counts as a ticket carries them: ``(category, count)`` pairs without zeros."""
    return tuple((c, n) for c, n in passengers.items() if n)


def rider_initial(name: str) -> str:
    """The first letter of a rider's name, upper-cased ("" for an empty name)."""
    stripped = name.strip()
    return stripped[:1].upper()


def default_validity(pickup_from_s: int, pickup_to_s: int) -> tuple[int, int]:
    """Validity (epoch s) of a ticket: from 1 h before the pickup window to 3 h after it.

    The margins absorb early arrivals and delays; a service can pass its own instead.
    """
    return pickup_from_s - 3600, pickup_to_s + 3 * 3600


# --- issuing ----------------------------------------------------------------------------------


def sign_ticket(ticket: Ticket, key: SigningKey, *, now_s: int) -> str:
    """Sign ``ticket`` with ``key`` at ``now_s`` (epoch s) and return its QR text.

    The ticket's ``key_id`` is set to the key's. A reissue is the same call with ``issue``
    raised by one (and usually a new validity or vehicle).

    Raises
    ------
    InvalidInput
        If the key is outside its validity at ``now_s``, or the ticket would outlive the key
        (it could not be verified until its end).
    """
    if not key.valid_from <= now_s < key.valid_until:
        raise InvalidInput(
            "署名鍵の有効期間外です", f"signing key {key.key_id} is not valid at {now_s}"
        )
    if ticket.not_after_s > key.valid_until:
        raise InvalidInput(
            "乗車券の有効期限が署名鍵の期限を超えています",
            f"ticket valid until {ticket.not_after_s} outlives key {key.key_id} "
            f"(until {key.valid_until}): rotate keys earlier",
        )
    ticket = replace(ticket, key_id=key.key_id)
    payload = encode_payload(ticket)
    signature = key.private_key.sign(SIGNATURE_CONTEXT + payload)
    return SCHEME + b45encode(payload + signature)


# --- issuing at confirmation ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IssuedTicket:
    """Everything a confirmed booking's ticket gives out: the signed ticket, its QR text, the
    rider's short code and the driver manifest's entry for that code."""

    ticket: Ticket
    text: str
    code: str
    manifest: ManifestCode


def issue_ticket(
    key: SigningKey,
    code_key: bytes,
    *,
    now_s: int,
    service_id: str,
    booking_id: str,
    rider_name: str,
    fare: Fare,
    pickup_stop_id: str,
    pickup_from_s: int,
    pickup_to_s: int,
    vehicle_id: str = "",
    issue: int = 0,
    validity: tuple[int, int] | None = None,
) -> IssuedTicket:
    """Issue (or, with ``issue`` + 1, reissue) the ticket of a confirmed booking at ``now_s``.

    Parameters
    ----------
    key, code_key
        The service's current signing key and short-code secret.
    now_s
        Issuing time, epoch seconds (the key must be valid then).
    fare
        The booking's fare (:func:`dispatcher.fares.fare_for`): riders by category and total.
    pickup_from_s, pickup_to_s
        The promised pickup window, epoch seconds.
    validity
        ``(not_before_s, not_after_s)``; :func:`default_validity` of the window if None.

    Raises
    ------
    InvalidInput
        If a field cannot be carried (see :class:`Ticket`) or the key cannot sign it.
    """
    not_before, not_after = validity or default_validity(pickup_from_s, pickup_to_s)
    ticket = Ticket(
        key_id=key.key_id,
        service_id=service_id,
        booking_id=booking_id,
        issue=issue,
        rider_initial=rider_initial(rider_name),
        passengers=passengers_tuple(fare.passengers()),
        pickup_stop_id=pickup_stop_id,
        pickup_from_s=pickup_from_s,
        pickup_to_s=pickup_to_s,
        currency=fare.currency,
        fare=fare.total,
        not_before_s=not_before,
        not_after_s=not_after,
        vehicle_id=vehicle_id,
    )
    text = sign_ticket(ticket, key, now_s=now_s)
    return IssuedTicket(
        ticket=ticket,
        text=text,
        code=short_code(code_key, service_id=service_id, booking_id=booking_id, issue=issue),
        manifest=manifest_code(code_key, service_id=service_id, booking_id=booking_id,
                               issue=issue),
    )
