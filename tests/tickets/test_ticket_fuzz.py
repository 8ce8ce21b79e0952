"""Fuzzing the Python verifier: random and mutated tickets are never accepted and never crash it."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ticketdata import NOW, fixed_key

from dispatcher.tickets import (
    BASE45,
    SCHEME,
    Reason,
    Verdict,
    b45decode,
    b45encode,
    encode_payload,
    manifest_code,
    sign_ticket,
    verify,
    verify_code,
)


def mutants(text: str, signed: bytes, ticket, rng: random.Random, n: int) -> list[str]:
    """``n`` texts derived from a genuine ticket by one random mutation each, none equal to it.

    Mutations: bit flips, byte swaps, insertions, deletions and truncations of the signed
    bytes; character edits and truncations of the text; wrong prefixes; random strings; a
    genuine signature over a payload with one field altered; a signature spliced from
    another ticket.
    """
    sig = signed[-64:]
    other = b45decode(
        sign_ticket(replace(ticket, booking_id="OTHER1"), FUZZ_KEY, now_s=NOW)[len(SCHEME) :]
    )
    field_changes = [
        {"fare": 0},
        {"fare": ticket.fare + 1},
        {"issue": ticket.issue + 1},
        {"booking_id": "B7K3M9Q2XY"},
        {"vehicle_id": ""},
        {"vehicle_id": "v2"},
        {"not_after_s": ticket.not_after_s + 86_400},
        {"not_before_s": 0},
        {"passengers": (("adult", 2),)},
        {"passengers": (("elderly_pass", 1), ("adult", 1))},
        {"pickup_stop_id": "hospital"},
        {"rider_initial": "Z"},
        {"service_id": "mitsugj"},
    ]
    out: list[str] = []
    while len(out) < n:
        kind = rng.randrange(12)
        data = bytearray(signed)
        if kind == 0:  # bit flips
            for _ in range(rng.randint(1, 3)):
                i = rng.randrange(len(data))
                data[i] ^= 1 << rng.randrange(8)
            cand = SCHEME + b45encode(bytes(data))
        elif kind == 1:  # byte swap
            i, j = rng.randrange(len(data)), rng.randrange(len(data))
            data[i], data[j] = data[j], data[i]
            cand = SCHEME + b45encode(bytes(data))
        elif kind == 2:  # insertion
            i = rng.randrange(len(data) + 1)
            data[i:i] = rng.randbytes(rng.randint(1, 4))
            cand = SCHEME + b45encode(bytes(data))
        elif kind == 3:  # deletion
            i = rng.randrange(len(data))
            del data[i : i + rng.randint(1, 4)]
            cand = SCHEME + b45encode(bytes(data))
        elif kind == 4:  # truncation of the bytes
            cand = SCHEME + b45encode(bytes(data[: rng.randrange(len(data))]))
        elif kind == 5:  # character edit of the text
            i = rng.randrange(len(text))
            cand = text[:i] + rng.choice(BASE45 + "abc\n\x00é漢") + text[i + 1 :]
        elif kind == 6:  # truncation or extension of the text
            cand = text[: rng.randrange(len(text))] if rng.random() < 0.7 else text + "0"
        elif kind == 7:  # wrong prefix
            body = text[len(SCHEME) :]
            cand = rng.choice(["", "NR2:", "nr1:", "NR1", "HC1:", "NR1::", " NR1:"]) + body
        elif kind == 8:  # random base45 after the prefix
            cand = SCHEME + "".join(rng.choice(BASE45) for _ in range(rng.randrange(300)))
        elif kind == 9:  # random unicode
            cand = "".join(chr(rng.randrange(1, 0x3000)) for _ in range(rng.randrange(60)))
        elif kind == 10:  # valid payload, altered field, genuine signature
            altered = replace(ticket, **rng.choice(field_changes))
            cand = SCHEME + b45encode(encode_payload(altered) + sig)
        else:  # payload of one ticket, signature of another
            cut = len(other) - 64
            cand = SCHEME + b45encode(signed[:-64] + other[cut:])
        if cand != text:
            out.append(cand)
    return out


FUZZ_KEY = fixed_key("k2027a", valid_from=NOW - 30 * 86_400, valid_until=NOW + 30 * 86_400)


@pytest.fixture(scope="module")
def genuine(base_ticket):
    """The genuine ticket (text, signed bytes) the mutants derive from."""
    text = sign_ticket(base_ticket, FUZZ_KEY, now_s=NOW)
    return text, b45decode(text[len(SCHEME) :])


def test_three_thousand_mutants_refused(genuine, base_ticket):
    """3,000 seeded mutants of a genuine ticket: each yields a refusing Verdict, none raises."""
    text, signed = genuine
    keys = {FUZZ_KEY.key_id: FUZZ_KEY.info()}
    assert verify(text, keys=keys, now_s=NOW).ok
    reasons: dict[Reason, int] = {}
    for cand in mutants(text, signed, base_ticket, random.Random(20261125), 3000):
        v = verify(cand, keys=keys, now_s=NOW)
        assert isinstance(v, Verdict) and not v.ok, cand
        assert v.ticket is None
        reasons[v.reason] = reasons.get(v.reason, 0) + 1
    assert set(reasons) == {Reason.BAD_FORMAT, Reason.BAD_SIGNATURE, Reason.UNKNOWN_KEY}
    assert reasons[Reason.BAD_SIGNATURE] > 300


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=400))
def test_random_signed_bytes_refused(data):
    """Arbitrary bytes after the scheme never verify and never raise."""
    keys = {FUZZ_KEY.key_id: FUZZ_KEY.info()}
    v = verify(SCHEME + b45encode(data), keys=keys, now_s=NOW)
    assert isinstance(v, Verdict) and not v.ok


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_random_text_refused(text):
    """Arbitrary text (any Unicode) never verifies as a ticket nor as a short code."""
    keys = {FUZZ_KEY.key_id: FUZZ_KEY.info()}
    assert not verify(text, keys=keys, now_s=NOW).ok
    manifest = [manifest_code(b"k" * 32, service_id="mitsugi", booking_id="B1", issue=0)]
    assert not verify_code(text, manifest=manifest, service_id="mitsugi").ok
