"""Shared data of the ticket tests: a fixed "now" and reproducible keys."""

from __future__ import annotations

import hashlib
import random
from dataclasses import replace

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from dispatcher.tickets import (
    BASE45,
    SCHEME,
    SigningKey,
    Ticket,
    b45decode,
    b45encode,
    encode_payload,
    sign_ticket,
)

NOW = 1_800_000_000
"""The tests' "now" (2027-01-15 08:00 UTC), epoch seconds."""
DAY = 86_400


def fixed_key(key_id: str, *, valid_from: int, valid_until: int) -> SigningKey:
    """A signing key derived from its id, so that runs are reproducible."""
    seed = hashlib.sha256(f"noriai-test-{key_id}".encode()).digest()
    return SigningKey(key_id, Ed25519PrivateKey.from_private_bytes(seed), valid_from, valid_until)


def mutants(
    text: str, signed: bytes, ticket: Ticket, key: SigningKey, rng: random.Random, n: int
) -> list[str]:
    """``n`` texts derived from a genuine ticket by one random mutation each, none equal to it.

    Mutations: bit flips, byte swaps, insertions, deletions and truncations of the signed
    bytes; character edits and truncations of the text; wrong prefixes; random strings; a
    genuine signature over a payload with one field altered; a signature spliced from
    another ticket.
    """
    sig = signed[-64:]
    other = b45decode(
        sign_ticket(replace(ticket, booking_id="OTHER1"), key, now_s=NOW)[len(SCHEME) :]
    )
    field_changes = _field_changes(ticket)
    out: list[str] = []
    while len(out) < n:
        kind = rng.randrange(12)
        if kind <= 4:
            cand = SCHEME + b45encode(_mutated_bytes(kind, bytearray(signed), rng))
        elif kind <= 9:
            cand = _mutated_text(kind, text, rng)
        elif kind == 10:  # valid payload, altered field, genuine signature
            altered = replace(ticket, **rng.choice(field_changes))
            cand = SCHEME + b45encode(encode_payload(altered) + sig)
        else:  # payload of one ticket, signature of another
            cut = len(other) - 64
            cand = SCHEME + b45encode(signed[:-64] + other[cut:])
        if cand != text:
            out.append(cand)
    return out


def _field_changes(ticket: Ticket) -> list[dict[str, object]]:
    """One-field alterations of a ticket's payload."""
    return [
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


def _mutated_bytes(kind: int, data: bytearray, rng: random.Random) -> bytes:
    """Mutations 0-4 of the signed bytes."""
    if kind == 0:  # bit flips
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(data))
            data[i] ^= 1 << rng.randrange(8)
    elif kind == 1:  # byte swap
        i, j = rng.randrange(len(data)), rng.randrange(len(data))
        data[i], data[j] = data[j], data[i]
    elif kind == 2:  # insertion
        i = rng.randrange(len(data) + 1)
        data[i:i] = rng.randbytes(rng.randint(1, 4))
    elif kind == 3:  # deletion
        i = rng.randrange(len(data))
        del data[i : i + rng.randint(1, 4)]
    else:  # truncation of the bytes
        return bytes(data[: rng.randrange(len(data))])
    return bytes(data)


def _mutated_text(kind: int, text: str, rng: random.Random) -> str:
    """Mutations 5-9 of the text."""
    if kind == 5:  # character edit of the text
        i = rng.randrange(len(text))
        return text[:i] + rng.choice(BASE45 + "abc\n\x00é漢") + text[i + 1 :]
    if kind == 6:  # truncation or extension of the text
        return text[: rng.randrange(len(text))] if rng.random() < 0.7 else text + "0"
    if kind == 7:  # wrong prefix
        body = text[len(SCHEME) :]
        return rng.choice(["", "NR2:", "nr1:", "NR1", "HC1:", "NR1::", " NR1:"]) + body
    if kind == 8:  # random base45 after the prefix
        return SCHEME + "".join(rng.choice(BASE45) for _ in range(rng.randrange(300)))
    # random unicode
    return "".join(chr(rng.randrange(1, 0x3000)) for _ in range(rng.randrange(60)))
