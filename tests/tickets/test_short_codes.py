"""Short codes for riders without smartphones, verified offline against the synced manifest."""

from __future__ import annotations

import random

import pytest

from dispatcher.errors import InvalidInput
from dispatcher.tickets import (
    CODE_ALPHABET,
    Reason,
    code_hash,
    manifest_code,
    normalize_code,
    short_code,
    verify_code,
)

CODE_KEY = bytes(range(32))


def code(booking: str, issue: int = 0) -> str:
    """The short code of a test booking."""
    return short_code(CODE_KEY, service_id="mitsugi", booking_id=booking, issue=issue)


@pytest.fixture(scope="module")
def manifest():
    """A vehicle's manifest of 20 bookings, issue 0 except B5 (reissued twice)."""
    return [
        manifest_code(CODE_KEY, service_id="mitsugi", booking_id=f"B{i}", issue=2 if i == 5 else 0)
        for i in range(20)
    ]


def test_code_shape_and_determinism():
    """Codes are XXXXX-XXXXX in Crockford base32, stable per (booking, issue), else different."""
    c = code("B1")
    assert len(c) == 11 and c[5] == "-" and all(ch in CODE_ALPHABET for ch in c.replace("-", ""))
    assert c == code("B1")
    assert c != code("B1", issue=1) and c != code("B2")
    assert c != short_code(bytes(32), service_id="mitsugi", booking_id="B1", issue=0)


def test_check_character_catches_typing_errors():
    """Every single-character substitution is caught by the check character, and nearly all
    swaps of two neighbouring characters."""
    rng = random.Random(6)
    swaps_caught = swaps = 0
    for i in range(40):
        full = code(f"B{i}").replace("-", "")
        assert normalize_code(full) == full
        for pos in range(10):
            for ch in CODE_ALPHABET:
                if ch != full[pos]:
                    assert normalize_code(full[:pos] + ch + full[pos + 1 :]) is None
        for pos in range(9):
            if full[pos] != full[pos + 1]:
                swapped = full[:pos] + full[pos + 1] + full[pos] + full[pos + 2 :]
                swaps += 1
                swaps_caught += normalize_code(swapped) is None
        assert normalize_code(full[: rng.randrange(10)]) is None
    assert swaps_caught / swaps > 0.95


def test_forgiving_typing():
    """Lower case, spaces, and O/I/L for 0/1 are read as the intended code."""
    c = code("B3")
    typed = c.lower().replace("-", " ")
    assert normalize_code(typed) == c.replace("-", "")
    ambiguous = c.replace("0", "O").replace("1", "l")
    assert normalize_code(ambiguous) == c.replace("-", "")
    assert normalize_code("") is None and normalize_code("U" * 10) is None


def test_code_verifies_against_manifest(manifest):
    """A booking's current code is found offline; used and cancelled bookings are refused;
    an unknown or superseded code and a mistyped one are refused with their reasons."""
    v = verify_code(code("B7"), manifest=manifest, service_id="mitsugi")
    assert v.ok and v.booking_id == "B7" and v.ticket is None
    assert verify_code(code("B5", 2), manifest=manifest, service_id="mitsugi").ok
    assert verify_code(code("B5", 1), manifest=manifest, service_id="mitsugi").reason is (
        Reason.UNKNOWN_CODE
    )
    assert verify_code(code("B99"), manifest=manifest, service_id="mitsugi").reason is (
        Reason.UNKNOWN_CODE
    )
    used = verify_code(code("B7"), manifest=manifest, service_id="mitsugi", used={"B7"})
    assert used.reason is Reason.ALREADY_USED and used.booking_id == "B7"
    assert (
        verify_code(code("B7"), manifest=manifest, service_id="mitsugi", cancelled={"B7"}).reason
        is Reason.CANCELLED
    )
    wrong = code("B7").replace("-", "")
    wrong = wrong[:3] + ("0" if wrong[3] != "0" else "1") + wrong[4:]
    assert verify_code(wrong, manifest=manifest, service_id="mitsugi").reason is Reason.BAD_CODE
    other_service = verify_code(code("B7"), manifest=manifest, service_id="other")
    assert other_service.reason is Reason.UNKNOWN_CODE


def test_manifest_does_not_reveal_codes(manifest):
    """The manifest holds salted slow hashes only: no code, and equal codes of different
    bookings hash differently."""
    blob = repr([m.as_json() for m in manifest])
    for i in range(20):
        assert code(f"B{i}").replace("-", "") not in blob
    c = code("B1")
    assert code_hash(c, service_id="mitsugi", booking_id="B1") != code_hash(
        c, service_id="mitsugi", booking_id="B2"
    )
    with pytest.raises(InvalidInput):
        code_hash("nonsense", service_id="mitsugi", booking_id="B1")
