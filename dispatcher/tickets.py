"""Signed e-tickets (Ed25519) a driver verifies offline, and short codes for riders without phones.

Pure: keys, "now" (epoch seconds) and the synced lists are parameters; no clock, files or
network. Key generation draws from the operating system's randomness, like any key maker.

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

Short codes (riders without smartphones)
----------------------------------------
A signature does not fit in something one reads over the phone, so the short code is a
*secret*, not a signature: ``XXXXX-XXXXX``, ten Crockford base32 characters (no I, L, O, U;
typing is forgiving: lower case, O for 0, I/L for 1, spaces and hyphens are accepted). Nine
characters are the first 45 bits of HMAC-SHA256 under the service's *code key* (a 32-byte
secret kept by the server, separate from the signing key) of ``service_id, booking_id,
issue``; the tenth is a Luhn mod 32 check character, which catches every single mistyped
character and most swaps before anything else is looked at. The server never stores codes:
it recomputes them from the booking.

The driver verifies a code offline against the manifest the driver app synced: each booking
of the vehicle's manifest comes with ``code_hash``, PBKDF2-HMAC-SHA256 of the normalised code
salted with the service and booking ids (:data:`CODE_HASH_ITERATIONS` rounds). The app hashes
the typed code with each booking's salt and looks for a match. The device never holds the
codes nor the code key, so a lost phone does not give away codes: guessing one code from its
hash costs about 2**45 * 2000 HMACs, and online guessing at the door is limited by the driver
having to type each guess. A reissue raises ``issue`` and so changes the code; the manifest
lists only the newest code's hash, so an old code is ``unknown_code`` once synced.

How the shells use this
-----------------------
- Confirmation (API): :func:`issue_ticket` with the current signing key, the code key and
  the booking's :class:`~dispatcher.fares.Fare`; store the booking's ``issue`` counter and
  show :func:`qr_svg` / :func:`qr_png` of ``text`` and the short ``code`` to the rider.
- Reissue (operator): the same call with ``issue + 1``; the new counter reaches drivers with
  the next sync (``latest_issue``), after which the old ticket is ``superseded``.
- Sync (driver app, whenever online): the keyring (:func:`keyring_to_json`), the vehicle's
  manifest with :class:`ManifestCode` entries, and the service's cancelled, used and on-board
  booking ids, latest issue counters, and each booking's vehicle and service day.
- Boarding: a ticket boards only its own booking, and only at its own stop: with
  ``boarding_here`` (the pickups of the vehicle's next visit, from the live manifest) a
  valid ticket of any other booking is ``other_stop``; ``vehicle_of`` and ``day_of`` make a
  booking moved to another vehicle ``wrong_vehicle`` and one of another day ``wrong_day``.
- At the door, offline: :func:`verify` (or ``verifyTicket`` in ticket-verify.js) and
  :func:`verify_code`; an accepted booking is added to the device's local ``used`` set and
  checked in online once a connection exists (the server's check-in is the single truth:
  a second check-in of the same booking is a conflict there).
- Key rotation: add the next key to the keyring before it signs; sign with it from its
  ``valid_from``; keep the old key in the keyring until its ``valid_until``, which must lie
  after the end of every ticket it signed (:func:`sign_ticket` refuses otherwise).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import struct
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from io import BytesIO
from typing import Any

import segno
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from dispatcher.errors import InvalidInput
from dispatcher.fares import Fare

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

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_CONTEXT = b"noriai-code-v1\x00"
CODE_HASH_CONTEXT = b"noriai-code-hash-v1\x00"
CODE_HASH_ITERATIONS = 2000
CODE_DATA_CHARS = 9
_CODE_INDEX = {c: i for i, c in enumerate(CODE_ALPHABET)}
_CODE_ALIASES = {"O": "0", "I": "1", "L": "1"}


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


def _check_id(name: str, value: str, *, allow_empty: bool = False) -> None:
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
            _check_id(name, getattr(self, name))
        _check_id("vehicle_id", self.vehicle_id, allow_empty=True)
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
            _check_id("category", category)
            _check_int("rider count", count, 255, 1)
            if category in seen:
                raise _bad(f"category {category} twice")
            seen.add(category)

    @property
    def riders(self) -> int:
        """Number of riders on the ticket."""
        return sum(n for _, n in self.passengers)


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


# --- keys -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """A public key of the service's keyring and when it verifies tickets (epoch s, [from, until))."""

    public_key: Ed25519PublicKey
    valid_from: int
    valid_until: int


@dataclass(frozen=True, slots=True)
class SigningKey:
    """The service's private signing key with its id and validity (epoch s, [from, until))."""

    key_id: str
    private_key: Ed25519PrivateKey
    valid_from: int
    valid_until: int

    def info(self) -> KeyInfo:
        """The public half as the keyring lists it."""
        return KeyInfo(self.private_key.public_key(), self.valid_from, self.valid_until)


def generate_signing_key(key_id: str, *, valid_from: int, valid_until: int) -> SigningKey:
    """A new Ed25519 signing key valid over ``[valid_from, valid_until)`` (epoch seconds).

    Raises
    ------
    InvalidInput
        If the key id is not an id or the validity is empty.
    """
    _check_id("key_id", key_id)
    if valid_from >= valid_until:
        raise InvalidInput("鍵の有効期間が正しくありません", "key validity ends before it starts")
    return SigningKey(key_id, Ed25519PrivateKey.generate(), valid_from, valid_until)


def new_code_key() -> bytes:
    """A new 32-byte secret for short codes (kept by the server only, never by the apps)."""
    return os.urandom(32)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise InvalidInput("base64 の形式が正しくありません", "not base64url") from None


def public_key_to_b64(key: Ed25519PublicKey) -> str:
    """The raw 32-byte public key as unpadded base64url (what the driver app imports)."""
    return _b64(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def public_key_from_b64(text: str) -> Ed25519PublicKey:
    """An Ed25519 public key from unpadded base64url of its 32 raw bytes."""
    raw = _unb64(text)
    if len(raw) != 32:
        raise InvalidInput("公開鍵の長さが正しくありません", "an Ed25519 public key is 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def private_key_to_b64(key: Ed25519PrivateKey) -> str:
    """The raw 32-byte private key (seed) as unpadded base64url, e.g. for a secret store."""
    return _b64(
        key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
    )


def private_key_from_b64(text: str) -> Ed25519PrivateKey:
    """An Ed25519 private key from unpadded base64url of its 32-byte seed."""
    raw = _unb64(text)
    if len(raw) != 32:
        raise InvalidInput("秘密鍵の長さが正しくありません", "an Ed25519 private key is 32 bytes")
    return Ed25519PrivateKey.from_private_bytes(raw)


def private_key_to_pem(key: Ed25519PrivateKey, password: bytes | None = None) -> bytes:
    """PKCS#8 PEM of a private key, encrypted with ``password`` when given."""
    enc: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)


def private_key_from_pem(data: bytes, password: bytes | None = None) -> Ed25519PrivateKey:
    """The Ed25519 private key in PKCS#8 PEM ``data``; other key types are refused."""
    try:
        key = serialization.load_pem_private_key(data, password=password)
    except (ValueError, TypeError):
        raise InvalidInput("秘密鍵を読めません", "cannot read the private key PEM") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidInput("Ed25519 の鍵ではありません", "not an Ed25519 private key")
    return key


def public_key_to_pem(key: Ed25519PublicKey) -> bytes:
    """SubjectPublicKeyInfo PEM of a public key."""
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def public_key_from_pem(data: bytes) -> Ed25519PublicKey:
    """The Ed25519 public key in PEM ``data``; other key types are refused."""
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        raise InvalidInput("公開鍵を読めません", "cannot read the public key PEM") from None
    if not isinstance(key, Ed25519PublicKey):
        raise InvalidInput("Ed25519 の鍵ではありません", "not an Ed25519 public key")
    return key


def keyring_to_json(service_id: str, keys: Mapping[str, KeyInfo]) -> dict[str, Any]:
    """The public keyring as JSON-ready data for the driver app (times in epoch seconds)."""
    return {
        "service_id": service_id,
        "keys": [
            {
                "kid": kid,
                "alg": "Ed25519",
                "public_key": public_key_to_b64(info.public_key),
                "valid_from": info.valid_from,
                "valid_until": info.valid_until,
            }
            for kid, info in keys.items()
        ],
    }


def keyring_from_json(data: Mapping[str, Any]) -> dict[str, KeyInfo]:
    """The keyring from :func:`keyring_to_json` data.

    Raises
    ------
    InvalidInput
        On a missing field, another algorithm, or a malformed key.
    """
    out: dict[str, KeyInfo] = {}
    try:
        for entry in data["keys"]:
            if entry["alg"] != "Ed25519":
                raise InvalidInput("未対応の鍵です", f"unsupported key algorithm {entry['alg']}")
            out[str(entry["kid"])] = KeyInfo(
                public_key_from_b64(entry["public_key"]),
                int(entry["valid_from"]),
                int(entry["valid_until"]),
            )
    except (KeyError, TypeError) as exc:
        raise InvalidInput("鍵束の形式が正しくありません", f"malformed keyring: {exc}") from None
    return out


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


# --- verifying --------------------------------------------------------------------------------


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


def _refuse(reason: Reason, ticket: Ticket | None = None, detail: str = "") -> Verdict:
    return Verdict(False, reason, ticket, ticket.booking_id if ticket is not None else None, detail)


def verify(
    ticket_text: str,
    *,
    keys: Mapping[str, KeyInfo],
    now_s: int,
    vehicle_id: str | None = None,
    service_id: str | None = None,
    used: Container[str] = (),
    cancelled: Container[str] = (),
    latest_issue: Mapping[str, int] | None = None,
    on_manifest: Container[str] = (),
    vehicle_of: Mapping[str, str] | None = None,
    service_day: str | None = None,
    day_of: Mapping[str, str] | None = None,
    onboard: Container[str] = (),
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
        return _refuse(Reason.BAD_FORMAT, detail=exc.message_en)
    info = keys.get(ticket.key_id)
    if info is None:
        return _refuse(Reason.UNKNOWN_KEY, detail=ticket.key_id)
    try:
        info.public_key.verify(signature, SIGNATURE_CONTEXT + payload)
    except InvalidSignature:
        return _refuse(Reason.BAD_SIGNATURE)
    if now_s < info.valid_from:
        return _refuse(Reason.KEY_NOT_YET_VALID, ticket)
    if now_s >= info.valid_until:
        return _refuse(Reason.KEY_EXPIRED, ticket)
    return _check_state(
        ticket,
        now_s=now_s,
        vehicle_id=vehicle_id,
        service_id=service_id,
        used=used,
        cancelled=cancelled,
        latest_issue=latest_issue or {},
        on_manifest=on_manifest,
        vehicle_of=vehicle_of or {},
        service_day=service_day,
        day_of=day_of or {},
        onboard=onboard,
        boarding_here=boarding_here,
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
        return _refuse(Reason.WRONG_SERVICE, ticket)
    if booking in cancelled:
        return _refuse(Reason.CANCELLED, ticket)
    if latest_issue.get(booking, ticket.issue) > ticket.issue:
        return _refuse(Reason.SUPERSEDED, ticket)
    seen = _check_seen(booking, used=used, onboard=onboard, service_day=service_day,
                       day_of=day_of)
    if seen is not None:
        return _refuse(seen, ticket)
    if now_s < ticket.not_before_s:
        return _refuse(Reason.NOT_YET_VALID, ticket)
    if now_s >= ticket.not_after_s:
        return _refuse(Reason.EXPIRED, ticket)
    if vehicle_id is not None:
        if booking in vehicle_of:
            elsewhere = vehicle_of[booking] != vehicle_id
        else:
            elsewhere = bool(ticket.vehicle_id) and ticket.vehicle_id != vehicle_id and (
                booking not in on_manifest)
        if elsewhere:
            return _refuse(Reason.WRONG_VEHICLE, ticket)
    if boarding_here is not None and booking not in boarding_here:
        return _refuse(Reason.OTHER_STOP, ticket)
    return Verdict(True, Reason.OK, ticket, booking)


def _check_seen(
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


# --- QR rendering -----------------------------------------------------------------------------


def qr_code(ticket_text: str) -> segno.QRCode:
    """The QR symbol of a ticket text: alphanumeric mode, error correction at least M."""
    return segno.make_qr(ticket_text, error="m", mode="alphanumeric", boost_error=True)


def qr_svg(ticket_text: str, *, scale: int = 4, title: str = "") -> str:
    """SVG document (text) of a ticket's QR code with a 4-module quiet zone."""
    buf = BytesIO()
    qr_code(ticket_text).save(buf, kind="svg", scale=scale, border=4, title=title or None)
    return buf.getvalue().decode("utf-8")


def qr_png(ticket_text: str, *, scale: int = 6) -> bytes:
    """PNG image (bytes) of a ticket's QR code with a 4-module quiet zone."""
    buf = BytesIO()
    qr_code(ticket_text).save(buf, kind="png", scale=scale, border=4)
    return buf.getvalue()


# --- short codes ------------------------------------------------------------------------------


def _luhn32(symbols: str) -> str:
    """Luhn mod 32 check character of Crockford base32 ``symbols``."""
    total, factor = 0, 2
    for ch in reversed(symbols):
        addend = factor * _CODE_INDEX[ch]
        total += addend // 32 + addend % 32
        factor = 1 if factor == 2 else 2
    return CODE_ALPHABET[(32 - total % 32) % 32]


def _luhn32_ok(symbols: str) -> bool:
    total, factor = 0, 1
    for ch in reversed(symbols):
        addend = factor * _CODE_INDEX[ch]
        total += addend // 32 + addend % 32
        factor = 1 if factor == 2 else 2
    return total % 32 == 0


def short_code(code_key: bytes, *, service_id: str, booking_id: str, issue: int) -> str:
    """The rider's short code ``XXXXX-XXXXX`` of a booking's ``issue`` under the code key."""
    msg = CODE_CONTEXT + f"{service_id}\x00{booking_id}\x00{issue}".encode()
    mac = int.from_bytes(hmac.new(code_key, msg, hashlib.sha256).digest()[:8], "big")
    bits = mac >> (64 - 5 * CODE_DATA_CHARS)
    data = "".join(
        CODE_ALPHABET[(bits >> (5 * (CODE_DATA_CHARS - 1 - i))) & 31]
        for i in range(CODE_DATA_CHARS)
    )
    full = data + _luhn32(data)
    return f"{full[:5]}-{full[5:]}"


def normalize_code(text: str) -> str | None:
    """The 10 canonical characters of a typed short code, or None if it is not one.

    Lower case, spaces and hyphens are accepted; O reads as 0 and I/L as 1. None means the
    length, the alphabet or the check character is wrong (most likely a typing mistake).
    """
    if not isinstance(text, str) or len(text) > 40:
        return None
    # Only ASCII letters are upper-cased, so that Python and the JS verifier read alike.
    upper = (chr(ord(c) - 32) if "a" <= c <= "z" else c for c in text)
    chars = [_CODE_ALIASES.get(c, c) for c in upper if c not in " -"]
    code = "".join(chars)
    if len(code) != CODE_DATA_CHARS + 1 or any(c not in _CODE_INDEX for c in code):
        return None
    return code if _luhn32_ok(code) else None


def code_hash(code: str, *, service_id: str, booking_id: str) -> str:
    """The manifest's hash of a short code (unpadded base64url of 16 bytes of PBKDF2).

    Raises
    ------
    InvalidInput
        If ``code`` is not a well-formed short code.
    """
    norm = normalize_code(code)
    if norm is None:
        raise InvalidInput("番号の形式が正しくありません", "not a short code")
    salt = CODE_HASH_CONTEXT + f"{service_id}\x00{booking_id}".encode()
    return _b64(hashlib.pbkdf2_hmac("sha256", norm.encode("ascii"), salt, CODE_HASH_ITERATIONS, 16))


@dataclass(frozen=True, slots=True)
class ManifestCode:
    """A booking's entry in the driver's synced manifest for short-code checks."""

    booking_id: str
    issue: int
    code_hash: str

    def as_json(self) -> dict[str, Any]:
        """The entry as the driver app receives it."""
        return {"booking_id": self.booking_id, "issue": self.issue, "code_hash": self.code_hash}


def manifest_code(code_key: bytes, *, service_id: str, booking_id: str, issue: int) -> ManifestCode:
    """The manifest entry of a booking's current short code (computed by the server)."""
    code = short_code(code_key, service_id=service_id, booking_id=booking_id, issue=issue)
    return ManifestCode(
        booking_id, issue, code_hash(code, service_id=service_id, booking_id=booking_id)
    )


def verify_code(
    code_text: str,
    *,
    manifest: Iterable[ManifestCode],
    service_id: str,
    used: Container[str] = (),
    cancelled: Container[str] = (),
    vehicle_id: str | None = None,
    vehicle_of: Mapping[str, str] | None = None,
    service_day: str | None = None,
    day_of: Mapping[str, str] | None = None,
    onboard: Container[str] = (),
    boarding_here: Container[str] | None = None,
) -> Verdict:
    """Verify a typed short code against the synced manifest, offline; never raises.

    ``vehicle_id``, ``vehicle_of``, ``service_day``, ``day_of``, ``onboard`` and
    ``boarding_here`` mean what they mean for :func:`verify`.

    Returns
    -------
    Verdict
        ``ok`` with the booking id, or ``bad_code`` (check character or form wrong),
        ``unknown_code`` (no manifest booking has it), or the first of ``cancelled``,
        ``already_onboard``, ``already_used``, ``wrong_day``, ``wrong_vehicle``,
        ``other_stop``.
    """
    norm = normalize_code(code_text) if isinstance(code_text, str) else None
    if norm is None:
        return _refuse(Reason.BAD_CODE)
    for entry in manifest:
        salt_hash = code_hash(norm, service_id=service_id, booking_id=entry.booking_id)
        if hmac.compare_digest(salt_hash, entry.code_hash):
            booking = entry.booking_id
            if booking in cancelled:
                return Verdict(False, Reason.CANCELLED, None, booking)
            seen = _check_seen(booking, used=used, onboard=onboard, service_day=service_day,
                               day_of=day_of or {})
            if seen is not None:
                return Verdict(False, seen, None, booking)
            where = (vehicle_of or {}).get(booking, vehicle_id)
            if vehicle_id is not None and where != vehicle_id:
                return Verdict(False, Reason.WRONG_VEHICLE, None, booking)
            if boarding_here is not None and booking not in boarding_here:
                return Verdict(False, Reason.OTHER_STOP, None, booking)
            return Verdict(True, Reason.OK, None, booking)
    return _refuse(Reason.UNKNOWN_CODE)


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
