"""The ticket codec: the version-1 ticket, its payload bytes, base45 text and base64url.

Ticket format, version 1
------------------------
The QR text is ``NR1:`` followed by RFC 9285 base45 of ``payload || signature``. Base45 uses
only the QR alphanumeric alphabet, so the whole text is encoded in the QR's alphanumeric mode
(5.5 bits per character) and the ``NR1:`` scheme is part of it. The payload is big-endian::

    u8   version (1)
    str  key_id            the signing key's id (key rotation)
    str  service_id
    str  booking_id
    u16  issue             issue counter: a reissued ticket carries a higher one
    str  rider_initial     first letter of the rider's name (may be empty)
    u8   n                 number of rider categories, then n x (str category, u8 count)
    str  pickup_stop_id
    u32  pickup_from_s     promised pickup window, epoch seconds
    u32  pickup_to_s
    3B   currency          ISO 4217, ASCII
    u32  fare              group total in minor units (yen)
    u32  not_before_s      validity, epoch seconds
    u32  not_after_s
    str  vehicle_id        empty when no vehicle is assigned yet

where ``str`` is a u8 byte length and UTF-8 bytes. The 64-byte Ed25519 signature covers
``b"noriai-ticket-v1\\x00" || payload`` (the context string keeps ticket signatures from
being valid for any other message the same key might sign). Decoding is strict: a text is
accepted only if it is exactly the canonical encoding of a well-formed ticket, so no two
texts carry the same signed ticket. A typical ticket is ~90 payload bytes, ~155 bytes signed,
~240 QR characters: QR version 9 at error correction M (53 x 53 modules).
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
from dataclasses import dataclass

from dispatcher.errors import InvalidInput

SCHEME = "NR1:"
VERSION = 1
SIGNATURE_CONTEXT = b"noriai-ticket-v1\x00"
SIGNATURE_BYTES = 64
U32_MAX = 2**32 - 1
MAX_ID_BYTES = 64
MAX_INITIAL_BYTES = 16
MAX_CATEGORIES = 8
ID_RE = re.compile(r"[A-Za-z0-9_.:-]+")

BASE45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_B45_INDEX = {c: i for i, c in enumerate(BASE45)}


class TicketFormatError(InvalidInput):
    """A ticket text or payload is not a well-formed version-1 ticket."""

    code = "bad_ticket_format"


def _bad(en: str, ja: str = "乗車券の形式が正しくありません") -> TicketFormatError:
    return TicketFormatError(ja, f"malformed ticket: {en}")


# --- base45 (RFC 9285) ------------------------------------------------------------------------


def b45encode(data: bytes) -> str:
    """Base45 text of ``data`` (RFC 9285): 3 characters per 2 bytes, 2 for a last odd byte."""
    out = []
    for i in range(0, len(data) - 1, 2):
        n = data[i] * 256 + data[i + 1]
        c, n = n % 45, n // 45
        d, e = n % 45, n // 45
        out += [BASE45[c], BASE45[d], BASE45[e]]
    if len(data) % 2:
        c, d = data[-1] % 45, data[-1] // 45
        out += [BASE45[c], BASE45[d]]
    return "".join(out)


def b45decode(text: str) -> bytes:
    """Bytes of canonical base45 ``text``; raises :class:`TicketFormatError` otherwise."""
    if len(text) % 3 == 1:
        raise _bad("base45 length")
    try:
        vals = [_B45_INDEX[ch] for ch in text]
    except KeyError:
        raise _bad("base45 alphabet") from None
    out = bytearray()
    for i in range(0, len(vals), 3):
        chunk = vals[i : i + 3]
        if len(chunk) == 3:
            n = chunk[0] + chunk[1] * 45 + chunk[2] * 2025
            if n > 0xFFFF:
                raise _bad("base45 value")
            out += n.to_bytes(2, "big")
        else:
            n = chunk[0] + chunk[1] * 45
            if n > 0xFF:
                raise _bad("base45 value")
            out.append(n)
    return bytes(out)


# --- the ticket -------------------------------------------------------------------------------


def check_id(name: str, value: str, *, allow_empty: bool = False) -> None:
    """Refuse ``value`` unless a ticket can carry it as an id (:class:`TicketFormatError`)."""
    if not isinstance(value, str):
        raise _bad(f"{name} is not text")
    if value == "" and allow_empty:
        return
    if not ID_RE.fullmatch(value) or len(value) > MAX_ID_BYTES:
        raise _bad(f"{name} must be 1-{MAX_ID_BYTES} characters of A-Z a-z 0-9 _ . : -")


def _check_int(name: str, value: int, hi: int, lo: int = 0) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise _bad(f"{name} must be a whole number in [{lo}, {hi}]")


@dataclass(frozen=True, slots=True)
class Ticket:
    """The signed content of an e-ticket; times are epoch seconds, the fare in minor units.

    Construction checks every field, so a :class:`Ticket` is always encodable; the decoder
    builds one too, so every decoded ticket passed the same checks.
    """

    key_id: str
    service_id: str
    booking_id: str
    issue: int
    rider_initial: str
    passengers: tuple[tuple[str, int], ...]
    pickup_stop_id: str
    pickup_from_s: int
    pickup_to_s: int
    currency: str
    fare: int
    not_before_s: int
    not_after_s: int
    vehicle_id: str = ""
    version: int = VERSION

    def __post_init__(self) -> None:
        """Refuse a field that version 1 cannot carry (raises :class:`TicketFormatError`)."""
        if self.version != VERSION:
            raise _bad(f"unsupported version {self.version}")
        for name in ("key_id", "service_id", "booking_id", "pickup_stop_id"):
            check_id(name, getattr(self, name))
        check_id("vehicle_id", self.vehicle_id, allow_empty=True)
        try:
            initial_len = len(self.rider_initial.encode("utf-8"))
        except (AttributeError, UnicodeEncodeError):
            raise _bad("rider_initial must be text") from None
        if initial_len > MAX_INITIAL_BYTES:
            raise _bad(f"rider_initial must be at most {MAX_INITIAL_BYTES} bytes")
        _check_int("issue", self.issue, 0xFFFF)
        for name in ("pickup_from_s", "pickup_to_s", "fare", "not_before_s", "not_after_s"):
            _check_int(name, getattr(self, name), U32_MAX)
        if self.pickup_from_s > self.pickup_to_s:
            raise _bad("pickup window ends before it starts")
        if self.not_before_s >= self.not_after_s:
            raise _bad("validity ends before it starts")
        if not (isinstance(self.currency, str) and re.fullmatch(r"[A-Z]{3}", self.currency)):
            raise _bad("currency must be three capital letters")
        if (
            not isinstance(self.passengers, tuple)
            or not 1 <= len(self.passengers) <= MAX_CATEGORIES
        ):
            raise _bad(f"1-{MAX_CATEGORIES} rider categories")
        seen = set()
        for item in self.passengers:
            if not isinstance(item, tuple) or len(item) != 2:
                raise _bad("passengers must be (category, count) pairs")
            category, count = item
            check_id("category", category)
            _check_int("rider count", count, 255, 1)
            if category in seen:
                raise _bad(f"category {category} twice")
            seen.add(category)

    @property
    def riders(self) -> int:
        """Number of riders on the ticket."""
        return sum(n for _, n in self.passengers)


def _put_str(out: bytearray, value: str) -> None:
    raw = value.encode("utf-8")
    out.append(len(raw))
    out += raw


def encode_payload(ticket: Ticket) -> bytes:
    """The canonical version-1 payload bytes of ``ticket`` (the part that is signed)."""
    out = bytearray([ticket.version])
    for s in (ticket.key_id, ticket.service_id, ticket.booking_id):
        _put_str(out, s)
    out += struct.pack(">H", ticket.issue)
    _put_str(out, ticket.rider_initial)
    out.append(len(ticket.passengers))
    for category, count in ticket.passengers:
        _put_str(out, category)
        out.append(count)
    _put_str(out, ticket.pickup_stop_id)
    out += struct.pack(">II", ticket.pickup_from_s, ticket.pickup_to_s)
    out += ticket.currency.encode("ascii")
    out += struct.pack(">III", ticket.fare, ticket.not_before_s, ticket.not_after_s)
    _put_str(out, ticket.vehicle_id)
    return bytes(out)


class _Reader:
    """Cursor over payload bytes; every read past the end is a format error."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise _bad("truncated")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def u8(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        return int(struct.unpack(">H", self.take(2))[0])

    def u32(self) -> int:
        return int(struct.unpack(">I", self.take(4))[0])

    def text(self) -> str:
        raw = self.take(self.u8())
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise _bad("text is not UTF-8") from None


def split_signed(data: bytes) -> tuple[Ticket, bytes, bytes]:
    """Parse ``payload || signature`` bytes into the ticket, the payload and the signature.

    Raises
    ------
    TicketFormatError
        On any deviation from the canonical version-1 layout (nothing is verified here).
    """
    r = _Reader(data)
    version = r.u8()
    if version != VERSION:
        raise _bad(f"unsupported version {version}")
    key_id, service_id, booking_id = r.text(), r.text(), r.text()
    issue = r.u16()
    initial = r.text()
    n = r.u8()
    passengers = tuple((r.text(), r.u8()) for _ in range(n))
    stop = r.text()
    pickup_from, pickup_to = r.u32(), r.u32()
    try:
        currency = r.take(3).decode("ascii")
    except UnicodeDecodeError:
        raise _bad("currency") from None
    fare, not_before, not_after = r.u32(), r.u32(), r.u32()
    vehicle = r.text()
    payload_len = r.pos
    signature = r.take(SIGNATURE_BYTES)
    if r.pos != len(data):
        raise _bad("trailing bytes")
    ticket = Ticket(
        key_id=key_id,
        service_id=service_id,
        booking_id=booking_id,
        issue=issue,
        rider_initial=initial,
        passengers=passengers,
        pickup_stop_id=stop,
        pickup_from_s=pickup_from,
        pickup_to_s=pickup_to,
        currency=currency,
        fare=fare,
        not_before_s=not_before,
        not_after_s=not_after,
        vehicle_id=vehicle,
    )
    return ticket, data[:payload_len], signature


def decode_text(text: str) -> tuple[Ticket, bytes, bytes]:
    """Parse a ticket's QR text (``NR1:`` + base45) without verifying it.

    Raises
    ------
    TicketFormatError
        If ``text`` is not exactly the canonical text of a well-formed ticket.
    """
    if not isinstance(text, str) or not text.startswith(SCHEME):
        raise _bad("missing NR1: prefix")
    return split_signed(b45decode(text[len(SCHEME) :]))


# --- base64url (the one helper for keys and code hashes) --------------------------------------


def b64url_encode(raw: bytes) -> str:
    """Unpadded base64url text of ``raw`` (keys, seeds and code hashes are exchanged so)."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Bytes of base64url ``text``, padded or not.

    Raises
    ------
    InvalidInput
        If the text is not base64url.
    """
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise InvalidInput("base64 の形式が正しくありません", "not base64url") from None
