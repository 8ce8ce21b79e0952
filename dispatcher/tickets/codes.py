"""Short codes for riders without smartphones.

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
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from dispatcher.errors import InvalidInput
from dispatcher.tickets.codec import b64url_encode
from dispatcher.tickets.verdicts import Reason, Verdict, check_seen, refuse

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_CONTEXT = b"noriai-code-v1\x00"
CODE_HASH_CONTEXT = b"noriai-code-hash-v1\x00"
CODE_HASH_ITERATIONS = 2000
CODE_DATA_CHARS = 9
_CODE_INDEX = {c: i for i, c in enumerate(CODE_ALPHABET)}
_CODE_ALIASES = {"O": "0", "I": "1", "L": "1"}


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
    digest = hashlib.pbkdf2_hmac("sha256", norm.encode("ascii"), salt, CODE_HASH_ITERATIONS, 16)
    return b64url_encode(digest)


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
        return refuse(Reason.BAD_CODE)
    for entry in manifest:
        salt_hash = code_hash(norm, service_id=service_id, booking_id=entry.booking_id)
        if hmac.compare_digest(salt_hash, entry.code_hash):
            booking = entry.booking_id
            if booking in cancelled:
                return Verdict(False, Reason.CANCELLED, None, booking)
            seen = check_seen(booking, used=used, onboard=onboard, service_day=service_day,
                               day_of=day_of or {})
            if seen is not None:
                return Verdict(False, seen, None, booking)
            where = (vehicle_of or {}).get(booking, vehicle_id)
            if vehicle_id is not None and where != vehicle_id:
                return Verdict(False, Reason.WRONG_VEHICLE, None, booking)
            if boarding_here is not None and booking not in boarding_here:
                return Verdict(False, Reason.OTHER_STOP, None, booking)
            return Verdict(True, Reason.OK, None, booking)
    return refuse(Reason.UNKNOWN_CODE)
