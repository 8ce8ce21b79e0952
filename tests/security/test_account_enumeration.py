"""Issue 16, finding 3 (enumeration): a wrong PIN took 114 ms and an unknown number 2 ms, and
``register`` answered a distinctive 409 "already registered", so anyone could tell which numbers
have accounts. Now an unknown account costs the same argon2 work as a wrong PIN, and sign-up on a
taken number either signs its owner in (same PIN) or gives a generic refusal that tells a real
rider what to do and counts as a failed try (so it is throttled like a sign-in)."""

from __future__ import annotations

import statistics
import time

import pytest

from tests.api.conftest import make_client, register


@pytest.fixture
def c(tmp_path, clock):
    with make_client(f"sqlite:///{tmp_path / 'e.db'}", tmp_path, clock) as client:
        yield client


def _ms(c, phone: str) -> float:
    t0 = time.perf_counter()
    r = c.post("/api/v1/auth/login", json={"phone": phone, "password": "7395"})
    assert r.status_code == 401
    return (time.perf_counter() - t0) * 1000


def test_unknown_and_known_numbers_take_the_same_time(c):
    known = [f"090-2000-{n:04d}" for n in range(5)]
    for phone in known:
        register(c, phone)
    _ms(c, "090-2999-0000")  # warm up
    unknown_ms, known_ms = [], []
    for n, phone in enumerate(known):
        unknown_ms.append(_ms(c, f"090-3000-{n:04d}"))
        known_ms.append(_ms(c, phone))
    ratio = statistics.median(unknown_ms) / statistics.median(known_ms)
    assert 0.5 < ratio < 2.0, (unknown_ms, known_ms)


def test_sign_up_on_a_taken_number_reveals_nothing_distinctive(c):
    register(c, "090-1313-2424", pin="2580")
    again = c.post("/api/v1/auth/register",
                   json={"phone": "090-1313-2424", "pin": "7395", "name": "他人"})
    assert again.status_code == 409
    body = again.json()
    assert body["code"] == "cannot_register"
    assert "already" not in body["message_en"] and "すでに登録" not in body["message_ja"]
    assert "sign in" in body["message_en"] and "ログイン" in body["message_ja"]
    # The owner signing up again with their own PIN simply gets in.
    own = c.post("/api/v1/auth/register",
                 json={"phone": "090-1313-2424", "pin": "2580", "name": "本人"})
    assert own.status_code == 201 and own.json()["access_token"]
    assert own.json()["name"] != "本人"  # the existing account, not a new one


def test_sign_up_cannot_be_used_to_guess_a_pin(c):
    register(c, "090-1414-2525", pin="2580")
    codes = [c.post("/api/v1/auth/register",
                    json={"phone": "090-1414-2525", "pin": f"{n}739", "name": "x"}).status_code
             for n in range(1, 9)]
    assert codes[-1] == 429 and codes.count(409) <= 5
    right = c.post("/api/v1/auth/register",
                   json={"phone": "090-1414-2525", "pin": "2580", "name": "x"})
    assert right.status_code == 429
