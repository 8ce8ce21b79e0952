"""The driver app of a second service area in headless Chromium: a deployment serves Mitsugi (at
the root) and the example area Kinosho-Harada (under /a/kinoshou/); the driver of kinoshou-1
opens /a/kinoshou/driver, signs in, sees that vehicle's stops and route, reports a position and
an arrival there; every request the app makes stays under /a/kinoshou/, everything it keeps on
the phone is kept under that area's keys, and the root app of the same phone is not signed in
by it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import time

import httpx
import pytest

from dispatcher.api.app import create_app
from dispatcher.settings import Settings
from dispatcher.units import at_local
from tests.api.conftest import DAY, TestClock
from tests.api.live import serve
from tests.driver_app.conftest import (
    DRIVER_PASSWORD,
    PHONE,
    Service,
    cheap_hashing,
    epoch,
    wait_until,
)
from tests.driver_app.test_driver_app import NEXT_BLUE, count_pixels

pytestmark = pytest.mark.browser

AREA = "/a/kinoshou"
VEHICLE = "kinoshou-1"
#: Near 原田温泉, inside Kinosho-Harada.
HERE = {"latitude": 34.4953, "longitude": 133.2081}


@pytest.fixture
def kinoshou(tmp_path, road_network, monkeypatch) -> Iterator[Service]:
    """A deployment of two areas (SQLite, test clock at 08:00); the returned client talks to
    Kinosho-Harada's API (``/a/kinoshou/...``) as its operator."""
    cheap_hashing(monkeypatch)
    clock = TestClock(at_local(DAY, time(8, 0)))
    settings = Settings(db=f"sqlite:///{tmp_path / 'noriai.db'}", data_dir=tmp_path,
                        areas="kinoshou", reopt_interval_s=0, standing_interval_s=0,
                        secret_key="d" * 40, operator_password="operator-test",
                        driver_password=DRIVER_PASSWORD)
    app = create_app(settings, network=road_network, clock=clock, background=False)
    with serve(app) as url, httpx.Client(base_url=f"{url}{AREA}", timeout=30) as http:
        svc = Service(url, clock, http)
        svc.operator = svc.login("operator", "operator-test")
        yield svc


def test_the_driver_app_of_a_second_area_stays_in_its_area(browser, kinoshou, artifacts_dir):
    svc = kinoshou
    booking = svc.book(svc.rider("木ノ庄 太郎"), origin="edakami", dest="minari", at=time(10, 0))
    if booking["vehicle_id"] != VEHICLE:
        assert svc.move(booking["id"], VEHICLE)
    svc.clock.t = epoch(svc.booking(booking["id"])["pickup_window"][0])

    ctx = browser.new_context(**PHONE, permissions=["geolocation"], geolocation=HERE)
    requests: list[str] = []
    ctx.on("request", lambda r: requests.append(r.url))
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_default_timeout(float(os.environ.get("NORIAI_UI_TIMEOUT_MS", "15000")))
    page.goto(f"{svc.url}{AREA}/driver")  # redirected to the area's app, not the root's
    assert page.url == f"{svc.url}{AREA}/driver/"
    # The sign-in form's example is one of this area's vehicles, not another area's.
    page.wait_for_function("document.getElementById('login-id').placeholder !== ''")
    assert page.get_attribute("#login-id", "placeholder") == f"例: {VEHICLE}"
    page.fill("#login-id", VEHICLE)
    page.fill("#login-pw", DRIVER_PASSWORD)
    page.click("#login-go")
    page.wait_for_selector("#next-card")

    # The vehicle's own stops, the first one next, and its route drawn over the area's roads.
    card = page.locator("#next-card")
    assert card.get_attribute("data-stop") == "edakami" and "枝上" in card.inner_text()
    assert "木ノ庄 太郎" in card.inner_text()
    page.wait_for_function("window.noriaiDriver.state.routeRevision >= 0")
    page.wait_for_timeout(300)
    assert count_pixels(page, NEXT_BLUE) > 100
    page.wait_for_function("window.noriaiDriver.tickets.data !== null")
    page.screenshot(path=str(artifacts_dir / "driver_area_manifest.png"))

    # The phone's position and an arrival reach the area's service.
    def reported() -> bool:
        vehicles = svc.http.get("/api/v1/operator/vehicles", headers=svc.operator).json()
        v = next(v for v in vehicles if v["id"] == VEHICLE)
        return v["lat"] is not None and abs(v["lat"] - HERE["latitude"]) < 1e-6
    wait_until(page, reported)
    page.click("[data-action=arrived]")
    wait_until(page, lambda: len(svc.events("arrived", booking["id"])) == 1)

    # The service worker is the area's: scoped to its folder, caching into its own cache.
    scope = page.evaluate("() => navigator.serviceWorker.ready.then((r) => r.scope)")
    assert scope == f"{svc.url}{AREA}/driver/"
    page.wait_for_function("() => caches.keys().then((k) => k.length > 0)")
    assert page.evaluate("() => caches.keys()") == [f"noriai-driver-v2 {AREA}/driver/"]

    # Everything kept on the phone (but the language) is under the area's keys.
    keys = page.evaluate("() => Object.keys(localStorage)")
    kept = [k for k in keys if k != "noriai.driver.lang"]
    assert "noriai.driver.token@/a/kinoshou" in kept and "noriai.driver.sync@/a/kinoshou" in kept
    assert all(k.endswith(f"@{AREA}") for k in kept), keys

    # Not one request left the area's prefix.
    outside = [u for u in requests if not u.startswith(f"{svc.url}{AREA}/")]
    assert requests and outside == [], outside

    # The root app (Mitsugi) on the same phone is not signed in by this area's token.
    root = ctx.new_page()
    root.goto(f"{svc.url}/driver/")
    root.wait_for_selector("#login:not([hidden])")
    root.wait_for_function("document.getElementById('login-id').placeholder !== ''")
    assert root.get_attribute("#login-id", "placeholder") == "例: mitsugi-1"
    assert page.evaluate("() => localStorage.getItem('noriai.driver.token')") is None
    ctx.close()
    assert not errors, errors
