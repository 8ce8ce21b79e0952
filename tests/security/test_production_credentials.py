"""Issue 16, finding 1: with NORIAI_MODE=production and no driver password, drivers signed in
with the development password; production accepted a weak operator password and a secret key
of 32 × "a". Now production refuses to start with any missing, development or weak credential
(every role's password, the token secret, the ticket keys), naming the setting."""

from __future__ import annotations

import base64

import pytest
from pydantic import ValidationError

from dispatcher.settings import Settings
from tests.api.conftest import login
from tests.security.conftest import (
    DRIVER_PW,
    OPERATOR_PW,
    STRONG_SECRET,
    client,
    production,
    ticket_secrets,
)


def _refusal(**values: object) -> str:
    base = {"mode": "production", "secret_key": STRONG_SECRET, "operator_password": OPERATOR_PW,
            "driver_password": DRIVER_PW, **ticket_secrets()}
    base.update(values)
    with pytest.raises(ValidationError) as err:
        Settings(**base)
    return str(err.value)


def test_missing_driver_password_is_refused_naming_it():
    assert "NORIAI_DRIVER_PASSWORD is not set" in _refusal(driver_password="")


@pytest.mark.parametrize("weak", ["short-pw", "aaaaaaaaaaaaaaaa", "operator-dev", "driver-dev",
                                  "Password123!", "abcdefghijklmnop", "123456789012",
                                  "abcabcabcabcabc", "operator2024"])
def test_weak_or_development_passwords_are_refused_for_every_role(weak):
    assert "NORIAI_OPERATOR_PASSWORD" in _refusal(operator_password=weak)
    assert "NORIAI_DRIVER_PASSWORD" in _refusal(driver_password=weak)


@pytest.mark.parametrize("weak", ["a" * 32, "a" * 64, "ab" * 24, "abcdefghijklmnopqrstuvwxyz0123456789",
                                  "dev-" + "Jq3vN8xR2mKf7LwT9bYc4HdZ6sPa1GeU5nXo", "s" * 40,
                                  "short"])
def test_weak_or_development_token_secrets_are_refused(weak):
    assert "NORIAI_SECRET_KEY" in _refusal(secret_key=weak)


def test_weak_ticket_keys_are_refused_naming_them():
    zeros = base64.urlsafe_b64encode(bytes(32)).decode()
    assert "NORIAI_TICKET_KEY" in _refusal(ticket_key=zeros)
    same = base64.b64encode(b"A" * 32).decode()
    assert "NORIAI_TICKET_CODE_KEY" in _refusal(ticket_code_key=same)
    seq = base64.b64encode(bytes(range(32))).decode()
    assert "NORIAI_TICKET_CODE_KEY" in _refusal(ticket_code_key=seq)


def test_the_same_password_for_operators_and_drivers_is_refused():
    assert "must differ" in _refusal(driver_password=OPERATOR_PW)


def test_every_problem_is_listed_at_once():
    text = _refusal(secret_key="a" * 32, operator_password="", driver_password="driver-dev")
    assert all(name in text for name in ("NORIAI_SECRET_KEY", "NORIAI_OPERATOR_PASSWORD",
                                         "NORIAI_DRIVER_PASSWORD"))


def test_strong_production_settings_start_and_drivers_have_no_development_password(tmp_path,
                                                                                   clock):
    """A production service with strong settings starts; the development driver password does
    not sign in, the configured one does."""
    settings = production(f"sqlite:///{tmp_path / 'p.db'}", tmp_path)
    with client(settings, clock) as c:
        r = c.post("/api/v1/auth/login", json={"login": "mitsugi-1", "password": "driver-dev"})
        assert r.status_code == 401
        login(c, login="mitsugi-1", password=DRIVER_PW)
        login(c, login="operator", password=OPERATOR_PW)
