"""Fuzzing the Python verifier: random and mutated tickets are never accepted and never crash it."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ticketdata import NOW, fixed_key, mutants

from dispatcher.tickets import (
    SCHEME,
    Reason,
    Verdict,
    b45decode,
    b45encode,
    manifest_code,
    sign_ticket,
    verify,
    verify_code,
)

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
    for cand in mutants(text, signed, base_ticket, FUZZ_KEY, random.Random(20261125), 3000):
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
