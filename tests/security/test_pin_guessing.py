"""Issue 16, finding 3 (web): 300 wrong PINs at 11/s, then the right one, signed in; 4-digit
PINs like 0000 were accepted at registration; tokens issued before a PIN change stayed valid.
Now every credential check is throttled per account and per source with lockout and doubling
back-off (429, Retry-After, a message in Japanese and English), weak PINs are refused at
registration and change, and a PIN change or sign-out revokes the account's tokens."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from dispatcher.api.throttle import LIMITS
from dispatcher.store.tables import AuthThrottle
from tests.api.conftest import make_client, register


@pytest.fixture
def c(tmp_path, clock):
    with make_client(f"sqlite:///{tmp_path / 'g.db'}", tmp_path, clock) as client:
        t = {"now": 1_900_000_000.0}
        client.app.state.runtime.throttle.clock = lambda: t["now"]
        client.time = t  # type: ignore[attr-defined]
        yield client


def _login(c, phone: str, pin: str):
    return c.post("/api/v1/auth/login", json={"phone": phone, "password": pin})


def test_guessing_a_pin_is_locked_out_with_growing_waits(c):
    register(c, "090-1212-3434", pin="2580")
    free = LIMITS["account"].free
    for _ in range(free):
        assert _login(c, "090-1212-3434", "9999").status_code == 401
    locked = _login(c, "090-1212-3434", "2580")  # even the right PIN waits
    assert locked.status_code == 429
    body = locked.json()
    assert body["code"] == "too_many_attempts" and "分" in body["message_ja"]
    assert "try again" in body["message_en"]
    first_wait = int(locked.headers["Retry-After"])
    assert 0 < first_wait <= LIMITS["account"].base_s + 1
    c.time["now"] += first_wait
    assert _login(c, "090-1212-3434", "9999").status_code == 401  # one more wrong try...
    second_wait = int(_login(c, "090-1212-3434", "2580").headers["Retry-After"])
    assert second_wait > first_wait  # ...doubles the wait
    c.time["now"] += second_wait
    assert _login(c, "090-1212-3434", "2580").status_code == 200  # the owner gets in after it
    with Session(c.app.state.runtime.db) as s:  # and the account's count is cleared
        keys = [r.key for r in s.exec(select(AuthThrottle))]
    assert all("090" not in k for k in keys)  # keys are digests, never the number


def test_three_hundred_guesses_never_reach_the_right_pin(c):
    register(c, "090-5656-7878", pin="4827")
    answers = [_login(c, "090-5656-7878", f"{n:04d}").status_code for n in range(300)]
    answers.append(_login(c, "090-5656-7878", "4827").status_code)
    assert answers.count(401) <= LIMITS["account"].free and answers[-1] == 429
    assert 200 not in answers


def test_one_source_spraying_many_accounts_is_limited(c):
    free = LIMITS["ip"].free
    codes = [_login(c, f"0900000{n:04d}", "7391").status_code for n in range(free + 3)]
    assert codes[:free] == [401] * free and codes[-1] == 429


@pytest.mark.parametrize("pin", ["0000", "1111", "1234", "4321", "0123", "9876", "1212",
                                 "123456", "12", "abcd"])
def test_weak_pins_are_refused_at_registration(c, pin):
    r = c.post("/api/v1/auth/register", json={"phone": "090-9090-1212", "pin": pin, "name": "x"})
    assert r.status_code == 422 and r.json()["message_en"], r.text


def test_pin_change_refuses_weak_or_wrong_and_revokes_tokens(c):
    h = register(c, "090-3434-5656", pin="2580")
    r = c.post("/api/v1/auth/pin", headers=h, json={"current_pin": "2580", "new_pin": "0000"})
    assert r.status_code == 422 and "PIN" in r.json()["message_en"]
    r = c.post("/api/v1/auth/pin", headers=h, json={"current_pin": "1357", "new_pin": "7395"})
    assert r.status_code == 400 and r.json()["code"] == "wrong_credential"
    r = c.post("/api/v1/auth/pin", headers=h, json={"current_pin": "2580", "new_pin": "7395"})
    assert r.status_code == 204, r.text
    assert c.get("/api/v1/bookings", headers=h).status_code == 401  # the old token is void
    assert _login(c, "090-3434-5656", "2580").status_code == 401
    assert _login(c, "090-3434-5656", "7395").status_code == 200


def test_logout_revokes_the_token(c):
    h = register(c, "090-7878-9090", pin="2580")
    assert c.get("/api/v1/auth/me", headers=h).status_code == 200
    assert c.post("/api/v1/auth/logout", headers=h).status_code == 204
    assert c.get("/api/v1/auth/me", headers=h).status_code == 401
