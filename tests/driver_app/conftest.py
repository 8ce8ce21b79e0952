"""Driver-app fixtures: a real service (uvicorn in a thread, SQLite file, test clock) with a
seeded day, and headless Chromium at phone size signed in as nobody yet."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher

from dispatcher import passwords
from dispatcher.api.app import create_app
from dispatcher.settings import Settings
from dispatcher.units import at_local
from tests.api.conftest import DAY, TestClock, local, trip
from tests.api.live import serve

LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]
DRIVER_PASSWORD = "driver-test"
#: Phone viewports the layout must fit (action buttons on screen in both).
LANDSCAPE = {"width": 844, "height": 390}
PORTRAIT = {"width": 390, "height": 844}
AXE = Path(__file__).resolve().parents[1] / "rider_app" / "vendor" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True, "locale": "ja-JP", "timezone_id": "Asia/Tokyo"}


@dataclass
class Service:
    """A running service the test talks to over HTTP, with its clock."""

    url: str
    clock: TestClock
    http: httpx.Client
    operator: dict[str, str] = field(default_factory=dict)
    riders: int = 0

    def login(self, login: str, password: str) -> dict[str, str]:
        """Authorization header of a sign-in."""
        r = self.http.post("/api/v1/auth/login", json={"login": login, "password": password})
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    def rider(self, name: str) -> dict[str, str]:
        """Authorization header of a newly registered rider."""
        self.riders += 1
        r = self.http.post("/api/v1/auth/register",
                           json={"phone": f"090-0000-{self.riders:04d}", "pin": "2580", "name": name})
        assert r.status_code == 201, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    def book(self, rider: dict[str, str], **request: Any) -> dict[str, Any]:
        """Ask for offers as ``rider`` and accept the first; the booking (``day``: another
        day than the test day)."""
        notes = request.pop("notes", "")
        day = request.pop("day", None)
        body = {**trip(**request), "notes": notes}
        if day is not None:
            body["time"] = local(request.get("at", time(10, 0)), day)
        r = self.http.post("/api/v1/offers", json=body, headers=rider)
        assert r.status_code == 200 and r.json()["offers"], r.text
        offer = r.json()["offers"][0]
        r = self.http.post("/api/v1/bookings", json={"offer_id": offer["id"]}, headers=rider)
        assert r.status_code == 201, r.text
        return r.json()

    def move(self, booking_id: str, vehicle_id: str) -> bool:
        """Ask the operator to move a booking to a vehicle; True if it moved."""
        r = self.http.post(f"/api/v1/operator/bookings/{booking_id}/move",
                           json={"vehicle_id": vehicle_id}, headers=self.operator)
        return r.status_code == 200

    def events(self, type: str | None = None, booking_id: str | None = None) -> list[dict[str, Any]]:
        """The service's event log (operator API), filtered."""
        r = self.http.get("/api/v1/operator/events", params={"type": type} if type else {},
                          headers=self.operator)
        assert r.status_code == 200, r.text
        return [e for e in r.json() if booking_id is None or e["booking_id"] == booking_id]

    def booking(self, booking_id: str) -> dict[str, Any]:
        """A booking as the operator sees it."""
        r = self.http.get(f"/api/v1/bookings/{booking_id}", headers=self.operator)
        assert r.status_code == 200, r.text
        return r.json()


def cheap_hashing(mp: pytest.MonkeyPatch) -> None:
    """Hash passwords with argon2id at its lowest cost: the default (about 1 s a hash on this
    machine) would spend most of each test creating the seeded accounts."""
    mp.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture(scope="session")
def road_network():
    """The shipped Mitsugi road network, loaded once for all driver-app tests."""
    from routing.network import load_network

    return load_network("mitsugi")


@pytest.fixture
def service(tmp_path, road_network, monkeypatch) -> Iterator[Service]:
    """A real service on a fresh SQLite file, its clock at 08:00 of the test day (passwords
    hashed cheaply, see :func:`cheap_hashing`)."""
    cheap_hashing(monkeypatch)
    clock = TestClock(at_local(DAY, time(8, 0)))
    settings = Settings(db=f"sqlite:///{tmp_path / 'noriai.db'}", data_dir=tmp_path,
                        reopt_interval_s=0, secret_key="d" * 40,
                        operator_password="operator-test", driver_password=DRIVER_PASSWORD)
    app = create_app(settings, network=road_network, clock=clock, background=False)
    with serve(app) as url, httpx.Client(base_url=url, timeout=30) as http:
        svc = Service(url, clock, http)
        svc.operator = svc.login("operator", "operator-test")
        yield svc


@dataclass
class Day:
    """The seeded day: the driver's vehicle and its bookings."""

    vehicle: str
    first: dict[str, Any]
    second: dict[str, Any]
    riders: dict[str, dict[str, str]]

    def code(self, service: Service, booking: dict[str, Any]) -> str:
        """The short code on the rider's e-ticket of ``booking``."""
        r = service.http.get(f"/api/v1/bookings/{booking['id']}/ticket",
                             headers=self.riders[booking["id"]])
        assert r.status_code == 200, r.text
        return r.json()["code"]


@pytest.fixture
def day(service: Service) -> Day:
    """Two riders booked for the same vehicle: 山田 花子 (本村 → 病院, with a note) first,
    then 佐藤 一郎 in a wheelchair (上三郎 → クロスロードみつぎ)."""
    yamada, sato = service.rider("山田 花子"), service.rider("佐藤 一郎")
    first = service.book(yamada, origin="honmura", dest="hospital", at=time(10, 0),
                         notes="杖をお使いです")
    second = service.book(sato, origin="kamisaburo", dest="crossroad_mitsugi", at=time(10, 30),
                          adults=1, wheelchairs=1)
    if second["vehicle_id"] != first["vehicle_id"]:  # the wheelchair decides the vehicle
        assert service.move(first["id"], second["vehicle_id"])
        first = service.booking(first["id"])
    return Day(second["vehicle_id"], first, second, {first["id"]: yamada, second["id"]: sato})


def axe_problems(page: Any) -> list[dict[str, Any]]:
    """Serious and critical axe-core findings (WCAG 2.1 A/AA and best practice) on the page
    as it is now (the vendored axe-core of the rider app's tests)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate("""async (tags) => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
    }""", AXE_TAGS)
    return [v for v in found if v["impact"] in ("serious", "critical")]


def sign_in(page: Any, service: Service, vehicle: str) -> None:
    """Open the app and sign in as the driver of ``vehicle``; wait for the manifest."""
    page.goto(f"{service.url}/driver/")
    page.fill("#login-id", vehicle)
    page.fill("#login-pw", DRIVER_PASSWORD)
    page.click("#login-go")
    page.wait_for_selector("#next-card")


def rider_row(page: Any, booking_id: str, kind: str = "pickup") -> Any:
    """The next-stop card's row of one booking."""
    return page.locator(f"#next-card li.rider[data-booking='{booking_id}'][data-kind='{kind}']")


def wait_until(page: Any, predicate: Any, timeout_s: float = 15.0) -> None:
    """Poll ``predicate()`` (a Python check against the service) while the page keeps running."""
    for _ in range(int(timeout_s * 10)):
        if predicate():
            return
        page.wait_for_timeout(100)
    assert predicate()


def epoch(iso: str) -> int:
    """Epoch seconds of an ISO time."""
    return int(datetime.fromisoformat(iso).timestamp())


class ToolingBrowser:
    """The browser with the Content-Security-Policy bypassed for the tests' own tooling
    (Playwright's string predicates and injected axe-core are inline scripts the policy blocks);
    the apps under the real policy are checked in tests/security/test_csp_browser.py."""

    def __init__(self, browser: Any) -> None:
        self._browser = browser

    def new_page(self, **kwargs: Any) -> Any:
        """A page whose context bypasses the policy."""
        return self._browser.new_page(bypass_csp=True, **kwargs)

    def new_context(self, **kwargs: Any) -> Any:
        """A context that bypasses the policy."""
        return self._browser.new_context(bypass_csp=True, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._browser, name)


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright (one per module: Playwright's sync API
    keeps an event loop running while it is open, which would stop other modules' browsers)."""
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, args=LAUNCH_ARGS)
        yield ToolingBrowser(b)
        b.close()


@pytest.fixture
def phone(browser, service: Service) -> Iterator[Any]:
    """A fresh phone-sized browser context (geolocation allowed) with one page, collecting
    page errors; the test fails if the app threw any."""
    ctx = browser.new_context(**PHONE, permissions=["geolocation"],
                              geolocation={"latitude": 34.5125, "longitude": 133.1462})
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_default_timeout(float(os.environ.get("NORIAI_UI_TIMEOUT_MS", "15000")))
    yield page
    ctx.close()
    assert not errors, errors
