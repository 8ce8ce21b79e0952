"""Verdicts: why a ticket or short code is accepted or refused, and the offline check of a
ticket's QR text against the synced state (:func:`verify`)."""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from cryptography.exceptions import InvalidSignature

from dispatcher.errors import InvalidInput
from dispatcher.tickets.codec import SIGNATURE_CONTEXT, Ticket, decode_text
from dispatcher.tickets.keys import KeyInfo

# --- reasons and verdicts ---------------------------------------------------------------------


class Reason(StrEnum):
    """Why a ticket or code was accepted or refused (stable names, shared with the JS verifier)."""

    OK = "ok"
    BAD_FORMAT = "bad_format"
    UNKNOWN_KEY = "unknown_key"
    BAD_SIGNATURE = "bad_signature"
    KEY_NOT_YET_VALID = "key_not_yet_valid"
    KEY_EXPIRED = "key_expired"
    WRONG_SERVICE = "wrong_service"
    CANCELLED = "cancelled"
    SUPERSEDED = "superseded"
    ALREADY_USED = "already_used"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    WRONG_VEHICLE = "wrong_vehicle"
    BAD_CODE = "bad_code"
    UNKNOWN_CODE = "unknown_code"
    WRONG_DAY = "wrong_day"
    ALREADY_ONBOARD = "already_onboard"
    OTHER_STOP = "other_stop"


MESSAGES: dict[Reason, tuple[str, str]] = {
    Reason.OK: ("有効な乗車券です", "Valid ticket"),
    Reason.BAD_FORMAT: ("乗車券として読み取れません", "Not a readable ticket"),
    Reason.UNKNOWN_KEY: (
        "不明な鍵で署名されています（鍵の同期が必要かもしれません）",
        "Signed with an unknown key (the keys may need syncing)",
    ),
    Reason.BAD_SIGNATURE: ("署名が正しくありません（改ざんの疑い）", "Bad signature (tampered?)"),
    Reason.KEY_NOT_YET_VALID: ("署名鍵がまだ有効ではありません", "Signing key not yet valid"),
    Reason.KEY_EXPIRED: ("署名鍵の有効期限が切れています", "Signing key has expired"),
    Reason.WRONG_SERVICE: ("別の運行の乗車券です", "Ticket for another service"),
    Reason.CANCELLED: ("この予約は取り消されています", "This booking was cancelled"),
    Reason.SUPERSEDED: (
        "再発行された古い乗車券です（新しい乗車券をご提示ください）",
        "Replaced by a reissued ticket (show the new one)",
    ),
    Reason.ALREADY_USED: ("この乗車券は使用済みです", "Ticket already used"),
    Reason.NOT_YET_VALID: ("乗車券の有効時間前です", "Ticket not valid yet"),
    Reason.EXPIRED: ("乗車券の有効期限が切れています", "Ticket has expired"),
    Reason.WRONG_VEHICLE: ("この車両の便の乗車券ではありません", "Not for this vehicle's trip"),
    Reason.BAD_CODE: (
        "番号が正しくありません（入力間違いの可能性）",
        "Invalid code (probably mistyped)",
    ),
    Reason.UNKNOWN_CODE: (
        "この便の予約に該当する番号がありません",
        "No booking on this trip has this code",
    ),
    Reason.WRONG_DAY: ("別の日の予約の乗車券です", "Ticket of a booking on another day"),
    Reason.ALREADY_ONBOARD: ("この方はすでに乗車中です", "This rider is already on board"),
    Reason.OTHER_STOP: (
        "この乗り場で乗る予約ではありません",
        "This booking does not board at this stop",
    ),
}
"""Japanese and English message of each reason, for the driver's screen."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of a verification: ``ok``, the reason, and the ticket once its signature holds.

    ``ticket`` is None unless the signature was verified (unverified content is never shown);
    ``booking_id`` names the booking once known (from a verified ticket or a matched code).
    """

    ok: bool
    reason: Reason
    ticket: Ticket | None = None
    booking_id: str | None = None
    detail: str = field(default="", compare=False)

    @property
    def message_ja(self) -> str:
        """The reason for people, in Japanese."""
        return MESSAGES[self.reason][0]

    @property
    def message_en(self) -> str:
        """The reason for people, in English."""
        return MESSAGES[self.reason][1]

    def message(self, lang: str = "ja") -> str:
        """The reason in ``lang`` ("ja" or "en")."""
        return self.message_en if lang == "en" else self.message_ja


def refuse(reason: Reason, ticket: Ticket | None = None, detail: str = "") -> Verdict:
    """A refusal for ``reason``, naming the ticket's booking once its signature holds."""
    return Verdict(False, reason, ticket, ticket.booking_id if ticket is not None else None, detail)


def verify(
    ticket_text: str, *, keys: Mapping[str, KeyInfo], now_s: int,
    vehicle_id: str | None = None, service_id: str | None = None,
    used: Container[str] = (), cancelled: Container[str] = (),
    latest_issue: Mapping[str, int] | None = None, on_manifest: Container[str] = (),
    vehicle_of: Mapping[str, str] | None = None, service_day: str | None = None,
    day_of: Mapping[str, str] | None = None, onboard: Container[str] = (),
    boarding_here: Container[str] | None = None,
) -> Verdict:
    """Verify a ticket's QR text offline at ``now_s`` (epoch seconds); never raises.

    Parameters
    ----------
    ticket_text
        The scanned text (``NR1:...``).
    keys
        The service's keyring: key id -> :class:`KeyInfo` (public key and validity).
    now_s
        The verifier's current time, epoch seconds.
    vehicle_id
        The driver's vehicle; a ticket bound to another vehicle is ``wrong_vehicle`` unless
        its booking is on this vehicle's synced manifest (re-optimisation may move bookings).
    service_id
        The driver's service; a ticket of another service is ``wrong_service``.
    used, cancelled
        Booking ids checked in already / cancelled, as last synced (plus local check-ins).
    latest_issue
        Booking id -> newest issue counter known; an older ticket is ``superseded``.
    on_manifest
        Booking ids on this vehicle's synced manifest.
    vehicle_of
        Booking id -> the vehicle the booking is on now (synced). Where known it decides
        ``wrong_vehicle``, whatever vehicle the ticket was issued for: a booking moved away
        from this vehicle is refused even with a ticket naming this vehicle.
    service_day, day_of
        The verifier's service day and booking id -> the booking's service day (ISO dates);
        a booking of another day is ``wrong_day``.
    onboard
        Booking ids on board now: their ticket is ``already_onboard``.
    boarding_here
        Booking ids that board at this vehicle's current stop now (its next visit's
        pickups); any other booking is ``other_stop``. None: not checked (ticket validity
        only, e.g. the rider's own view).

    Returns
    -------
    Verdict
        ``ok`` with reason ``ok``, or the first refusal in this order: bad_format,
        unknown_key, bad_signature, key_not_yet_valid, key_expired, wrong_service, cancelled,
        superseded, already_onboard, already_used, wrong_day, not_yet_valid, expired,
        wrong_vehicle, other_stop.
    """
    try:
        ticket, payload, signature = decode_text(ticket_text)
    except InvalidInput as exc:
        return refuse(Reason.BAD_FORMAT, detail=exc.message_en)
    info = keys.get(ticket.key_id)
    if info is None:
        return refuse(Reason.UNKNOWN_KEY, detail=ticket.key_id)
    try:
        info.public_key.verify(signature, SIGNATURE_CONTEXT + payload)
    except InvalidSignature:
        return refuse(Reason.BAD_SIGNATURE)
    if now_s < info.valid_from:
        return refuse(Reason.KEY_NOT_YET_VALID, ticket)
    if now_s >= info.valid_until:
        return refuse(Reason.KEY_EXPIRED, ticket)
    return _check_state(
        ticket, now_s=now_s, vehicle_id=vehicle_id, service_id=service_id, used=used,
        cancelled=cancelled, latest_issue=latest_issue or {}, on_manifest=on_manifest,
        vehicle_of=vehicle_of or {}, service_day=service_day, day_of=day_of or {},
        onboard=onboard, boarding_here=boarding_here,
    )


def _check_state(
    ticket: Ticket,
    *,
    now_s: int,
    vehicle_id: str | None,
    service_id: str | None,
    used: Container[str],
    cancelled: Container[str],
    latest_issue: Mapping[str, int],
    on_manifest: Container[str],
    vehicle_of: Mapping[str, str],
    service_day: str | None,
    day_of: Mapping[str, str],
    onboard: Container[str],
    boarding_here: Container[str] | None,
) -> Verdict:
    """The checks after the signature holds: service, synced lists, day, time, vehicle, stop."""
    booking = ticket.booking_id
    if service_id is not None and ticket.service_id != service_id:
        return refuse(Reason.WRONG_SERVICE, ticket)
    if booking in cancelled:
        return refuse(Reason.CANCELLED, ticket)
    if latest_issue.get(booking, ticket.issue) > ticket.issue:
        return refuse(Reason.SUPERSEDED, ticket)
    seen = check_seen(booking, used=used, onboard=onboard, service_day=service_day,
                       day_of=day_of)
    if seen is not None:
        return refuse(seen, ticket)
    if now_s < ticket.not_before_s:
        return refuse(Reason.NOT_YET_VALID, ticket)
    if now_s >= ticket.not_after_s:
        return refuse(Reason.EXPIRED, ticket)
    if vehicle_id is not None:
        if booking in vehicle_of:
            elsewhere = vehicle_of[booking] != vehicle_id
        else:
            elsewhere = bool(ticket.vehicle_id) and ticket.vehicle_id != vehicle_id and (
                booking not in on_manifest)
        if elsewhere:
            return refuse(Reason.WRONG_VEHICLE, ticket)
    if boarding_here is not None and booking not in boarding_here:
        return refuse(Reason.OTHER_STOP, ticket)
    return Verdict(True, Reason.OK, ticket, booking)


def check_seen(
    booking: str,
    *,
    used: Container[str],
    onboard: Container[str],
    service_day: str | None,
    day_of: Mapping[str, str],
) -> Reason | None:
    """The refusals a ticket and a short code share after cancellation: on board already,
    used already, or a booking of another day."""
    if booking in onboard:
        return Reason.ALREADY_ONBOARD
    if booking in used:
        return Reason.ALREADY_USED
    if service_day is not None and day_of.get(booking, service_day) != service_day:
        return Reason.WRONG_DAY
    return None
