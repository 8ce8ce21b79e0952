"""Issue 16, finding 6 (browsers): the shipped web apps work under the Content-Security-Policy
the API now sends (no inline script, no eval, 'self' only): the rider app signs in and shows
its home screen, the driver app signs in and draws its manifest, with no policy violation and
no page error. (The other browser tests bypass the policy for their own tooling only.)"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import time
from typing import Any

import httpx
import pytest

from dispatcher.api.app import create_app
from dispatcher.settings import Settings
from dispatcher.units import at_local
from tests.api.conftest import DAY, TestClock
from tests.api.live import serve
from tests.driver_app.conftest import LAUNCH_ARGS


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("csp")
    settings = Settings(db=f"sqlite:///{tmp / 'csp.db'}", data_dir=tmp, reopt_interval_s=0,
                        standing_interval_s=0, secret_key="t" * 40,
                        operator_password="operator-test", driver_password="driver-test")
    clock = TestClock(at_local(DAY, time(8, 0)))
    with serve(create_app(settings, clock=clock, background=False)) as url:
        yield url


@pytest.fixture
def page(chromium_path: str) -> Iterator[tuple[Any, list[str]]]:
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=LAUNCH_ARGS)
        ctx = browser.new_context(viewport={"width": 390, "height": 844},
                                  permissions=["geolocation"],
                                  geolocation={"latitude": 34.5125, "longitude": 133.1462})
        pg = ctx.new_page()
        problems: list[str] = []
        pg.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        pg.on("console", lambda m: problems.append(m.text)
              if "Content Security Policy" in m.text else None)
        pg.set_default_timeout(20_000)
        yield pg, problems
        browser.close()


def test_rider_app_works_under_the_policy(live, page):
    pg, problems = page
    r = httpx.post(f"{live}/api/v1/auth/register",
                   json={"phone": "090-5151-6262", "pin": "2580", "name": "方針 確認"})
    assert r.status_code == 201, r.text
    resp = pg.goto(f"{live}/rider/#/signin")
    assert "script-src 'self'" in resp.headers["content-security-policy"]
    pg.fill("#phone", "09051516262")
    pg.fill("#pin", "2580")
    pg.click("button[type=submit]")
    pg.wait_for_selector("text=方針 確認 さん")
    assert problems == []


def test_driver_app_works_under_the_policy(live, page):
    pg, problems = page
    resp = pg.goto(f"{live}/driver/")
    assert "frame-ancestors 'none'" in resp.headers["content-security-policy"]
    pg.fill("#login-id", "mitsugi-1")
    pg.fill("#login-pw", "driver-test")
    pg.click("#login-go")
    pg.wait_for_selector("#next-card, #manifest, main", state="attached")
    pg.wait_for_timeout(1500)  # the map and the sync run after sign-in
    assert problems == []
