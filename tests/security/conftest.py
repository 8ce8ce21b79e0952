"""Helpers of the security tests: strong production settings, and a client on a given database
file with the test clock."""

from __future__ import annotations

import base64
import secrets
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from dispatcher import tickets
from dispatcher.api.app import create_app
from dispatcher.settings import Settings
from tests.api.conftest import TestClock, clock  # noqa: F401 (the test clock fixture)

STRONG_SECRET = "Jq3vN8xR2mKf7LwT9bYc4HdZ6sPa1GeU5nXoQ"
OPERATOR_PW = "blue-ferry-41-kite"
DRIVER_PW = "quiet-lantern-73-moss"


def ticket_secrets() -> dict[str, str]:
    """A fresh random ticket signing key (PEM) and short-code secret."""
    key = tickets.generate_signing_key("k", valid_from=0, valid_until=1).private_key
    return {"ticket_key": tickets.private_key_to_pem(key).decode(),
            "ticket_code_key": base64.b64encode(secrets.token_bytes(32)).decode()}


def production(db: str, data_dir: Path, **over: Any) -> Settings:
    """Production settings with strong credentials (``over`` replaces any)."""
    values: dict[str, Any] = {"mode": "production", "db": db, "data_dir": data_dir,
                              "reopt_interval_s": 0, "standing_interval_s": 0,
                              "secret_key": STRONG_SECRET, "operator_password": OPERATOR_PW,
                              "driver_password": DRIVER_PW, **ticket_secrets()}
    values.update(over)
    return Settings(**values)


def development(db: str, data_dir: Path, **over: Any) -> Settings:
    """Development settings (passwords unset: the development defaults)."""
    values: dict[str, Any] = {"db": db, "data_dir": data_dir, "reopt_interval_s": 0,
                              "standing_interval_s": 0, **over}
    return Settings(**values)


def client(settings: Settings, test_clock: TestClock) -> TestClient:
    """A client of a new app (enter it to start the runtime)."""
    return TestClient(create_app(settings, clock=test_clock, background=False))
