"""Response bodies of the ticket routes (:mod:`dispatcher.api.routes_tickets`): the rider's
e-ticket, the public keyring, the driver's sync and the verdicts of a check-in at the door.

The fields follow the mappings the ticket service builds, key for key and in the same order
(:meth:`~dispatcher.ticket_service.issuing.Issuer.ticket_json`,
:func:`~dispatcher.tickets.keyring_to_json`, :func:`~dispatcher.ticket_service.sync.driver_sync`,
:meth:`~dispatcher.ticket_service.checkin.DoorCheck.checkin`), so the JSON stays as it was.
Times of the ticket are ISO 8601 strings in the service's time zone; keys and sync times are
epoch seconds. A refusal's ``detail_ja``/``detail_en`` are left out (not ``null``) when they do
not apply.
"""

from __future__ import annotations

from pydantic import BaseModel


class TicketOut(BaseModel):
    """A booking's e-ticket: QR text and SVG, short code, validity, fare and riders by
    category, the pickup (stop id, window) and the booking's status and check-in."""

    booking_id: str
    issue: int
    text: str
    code: str
    svg: str
    key_id: str
    valid_from: str
    valid_until: str
    fare: int
    currency: str
    passengers: dict[str, int]
    pickup_stop_id: str | None
    pickup_window: list[str]
    vehicle_id: str | None
    rider_initial: str
    status: str | None
    checked_in: bool


class KeyOut(BaseModel):
    """A public key of the keyring (base64url) and its validity (epoch s)."""

    kid: str
    alg: str
    public_key: str
    valid_from: int
    valid_until: int


class KeyringOut(BaseModel):
    """The service's public ticket keys, as the driver app imports them."""

    service_id: str
    keys: list[KeyOut]


class ManifestCodeOut(BaseModel):
    """A booking's short-code hash in the vehicle's synced manifest."""

    booking_id: str
    issue: int
    code_hash: str


class DriverSyncOut(BaseModel):
    """Everything a driver's app needs to check tickets offline for today and tomorrow: the
    keyring, the vehicle's short-code hashes and the service's booking states (see
    :func:`~dispatcher.ticket_service.sync.driver_sync`)."""

    service_id: str
    vehicle_id: str
    now: str
    now_s: int
    keyring: KeyringOut
    manifest_codes: list[ManifestCodeOut]
    on_manifest: list[str]
    cancelled: list[str]
    used: list[str]
    onboard: list[str]
    latest_issue: dict[str, int]
    service_day: str
    vehicle_of: dict[str, str]
    day_of: dict[str, str]


class CheckinOut(BaseModel):
    """A ticket or short code checked in: the verdict (``ok``), the booking, its new status
    (``onboard`` once boarded) and the ticket's issue counter."""

    ok: bool
    booking_id: str | None
    reason: str
    message: str
    message_ja: str
    message_en: str
    status: str
    issue: int | None


class CheckinRefusedOut(BaseModel):
    """A ticket or short code refused at the door (409; 422 when it is not a ticket at all):
    the reason and, where it helps, where and when (or on which day) the booking boards."""

    code: str
    ok: bool
    booking_id: str | None
    reason: str
    message: str
    message_ja: str
    message_en: str
    detail_ja: str | None = None
    detail_en: str | None = None
