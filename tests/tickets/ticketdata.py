"""Shared data of the ticket tests: a fixed "now" and reproducible keys."""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from dispatcher.tickets import SigningKey

NOW = 1_800_000_000
"""The tests' "now" (2027-01-15 08:00 UTC), epoch seconds."""
DAY = 86_400


def fixed_key(key_id: str, *, valid_from: int, valid_until: int) -> SigningKey:
    """A signing key derived from its id, so that runs are reproducible."""
    seed = hashlib.sha256(f"noriai-test-{key_id}".encode()).digest()
    return SigningKey(key_id, Ed25519PrivateKey.from_private_bytes(seed), valid_from, valid_until)
