"""The rider app of a second service area in real chromium: opened under /a/kinoshou/rider/ of a
deployment serving Mitsugi (root) and the example area Kinosho-Harada, it shows that area's
name and stops, books there and shows that area's vehicle; every request it makes stays under
/a/kinoshou/. Its sign-in is kept apart from the root app's: a rider signed in to both keeps
both, and each token goes only to its own area. The installed app, its service worker and cache
are the area's own."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from dispatcher.api.app import create_app
from dispatcher.settings import Settings
from dispatcher.units import at_local
from tests.api.conftest import DAY, TestClock
from tests.api.live import serve
from tests.rider_app.conftest import PHONE, Live

AREA = "/a/kinoshou"
STOPS_CSV = Path(__file__).resolve().parents[2] / "dispatcher" / "services" / "kinoshou" / "stops.csv"


def _stop_ids() -> set[str]:
    with STOPS_CSV.open(encoding="utf-8") as f:
        return {row["stop_id"] for row in csv.DictReader(f)}


@pytest.fixture(scope="module")
def two_areas(tmp_path_factory) -> Iterator[Live]:
    """Mitsugi at the root and under /a/mitsugi/, Kinosho-Harada under /a/kinoshou/ (SQLite);
    now = 08:00 on the test day."""
    tmp = tmp_path_factory.mktemp("rider-areas")
    clock = TestClock(at_local(DAY, time(8, 0)))
    settings = Settings(db=f"sqlite:///{tmp / 'noriai.db'}", data_dir=tmp, areas="kinoshou",
                        reopt_interval_s=0, standing_interval_s=0, secret_key="t" * 40,
                        operator_password="operator-test", driver_password="driver-test")
    app = create_app(settings, clock=clock, background=False)
    with serve(app) as url:
        yield Live(url, clock, app)


def _api(live: Live, method: str, path: str, token: str | None = None, **kw: Any) -> Any:
    """Call Kinosho-Harada's API (``/a/kinoshou/api/v1`` + ``path``)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    r = httpx.request(method, f"{live.url}{AREA}/api/v1{path}", headers=headers, timeout=30, **kw)
    assert r.status_code < 300, r.text
    return r.json() if r.content else None


def _sign_up(page: Any, name: str, phone: str) -> None:
    page.click("text=はじめて使う（登録）")
    page.fill("#name", name)
    page.fill("#phone", phone)
    page.fill("#pin", "2580")
    page.click("button:has-text('登録する')")
    page.wait_for_selector(f"text={name} さん、こんにちは")


def _pick(page: Any, kana: str, stop_id: str) -> None:
    page.fill("#search", kana)
    page.wait_for_selector(f"#results[data-q='{kana}'] [data-stop='{stop_id}']")
    page.click(f"[data-stop='{stop_id}']")


def test_the_app_of_a_second_area_stays_in_its_area(two_areas, browser, screens):
    live = two_areas
    live.clock.set(time(8, 0))
    ctx = browser.new_context(viewport=PHONE, locale="ja-JP")
    requests: list[str] = []
    ctx.on("request", lambda r: requests.append(r.url))
    page = ctx.new_page()
    page.goto(f"{live.url}{AREA}/rider/?poll=300")
    page.wait_for_selector("#service-name:has-text('【例】木ノ庄・原田 予約型乗合タクシー')")
    screens.check(page, "area-01-welcome")
    _sign_up(page, "木ノ庄 太郎", "090-5555-0001")

    # The stops offered are Kinosho-Harada's; the trip 枝上 → 三成 is booked there.
    page.click("text=予約する")
    page.wait_for_selector("h2:has-text('どこから乗りますか？')")
    shown = set(page.eval_on_selector_all("[data-stop]", "els => els.map(e => e.dataset.stop)"))
    assert shown and shown <= _stop_ids(), shown
    _pick(page, "えだかみ", "edakami")
    page.wait_for_selector("h2:has-text('どこまで行きますか？')")
    assert "枝上" in page.inner_text("main")
    _pick(page, "みなり", "minari")
    page.wait_for_selector("#time")
    page.fill("#time", "10:00")
    page.click("#next")
    page.wait_for_selector("#go")
    page.click("#go")
    page.wait_for_selector("[data-offer], #err .error")
    assert page.locator("#err .error").count() == 0, page.inner_text("#err")
    page.click("[data-offer='0']")
    page.wait_for_selector("#ok")
    page.click("#ok")
    page.wait_for_selector("#short-code")
    booking_id = page.url.rsplit("/", 1)[1]
    screens.check(page, "area-02-ticket")

    # The booking is Kinosho-Harada's, on one of its vehicles, which shows on the map once its
    # driver reports a position there.
    token = page.evaluate(f"() => localStorage.getItem('token@{AREA}')")
    assert token and page.evaluate("() => localStorage.getItem('token')") is None
    mine = _api(live, "GET", f"/bookings/{booking_id}", token)
    assert mine["origin_stop_id"] == "edakami" and mine["vehicle_id"].startswith("kinoshou-")
    driver = _api(live, "POST", "/auth/login",
                  json={"login": mine["vehicle_id"], "password": "driver-test"})["access_token"]
    live.clock.t = at_local(DAY, time(9, 30))
    _api(live, "POST", "/driver/position", driver, json={"lat": 34.4950, "lon": 133.2080})
    page.wait_for_selector("#vehicle")
    screens.check(page, "area-03-vehicle")

    # The installed app is the area's own: its manifest names it, its service worker's scope
    # is the area's folder and its cache is named after that scope.
    scope = page.evaluate("() => navigator.serviceWorker.ready.then((r) => r.scope)")
    assert scope == f"{live.url}{AREA}/rider/"
    manifest = httpx.get(f"{live.url}{AREA}/rider/manifest.webmanifest").json()
    assert manifest["name"].startswith("【例】木ノ庄・原田") and manifest["scope"] == "./"
    page.wait_for_function("() => caches.keys().then((k) => k.length > 0)")

    # Not one request left the area's prefix.
    outside = [u for u in requests if not u.startswith(f"{live.url}{AREA}/")]
    assert requests and outside == [], outside

    # The root app (Mitsugi) in the same browser: not signed in by the other area's token; a
    # sign-in there keeps the Kinosho-Harada one, and its own cache leaves the area's alone.
    root = ctx.new_page()
    root.goto(f"{live.url}/rider/?poll=300")
    root.wait_for_selector("#service-name:has-text('御調町 予約型乗合タクシー')")
    _sign_up(root, "御調 花子", "090-5555-0001")
    root.evaluate("() => navigator.serviceWorker.ready")
    root.wait_for_function("() => caches.keys().then((k) => k.length >= 2)")
    caches = root.evaluate("() => caches.keys()")
    assert sorted(caches) == ["noriai-rider-v3 /a/kinoshou/rider/", "noriai-rider-v3 /rider/"]
    root_token = root.evaluate("() => localStorage.getItem('token')")
    assert root_token and root_token != token
    page.reload()
    page.wait_for_selector("#short-code")
    assert page.evaluate(f"() => localStorage.getItem('token@{AREA}')") == token
    page.goto(f"{live.url}{AREA}/rider/#/home")
    page.wait_for_selector("text=木ノ庄 太郎 さん、こんにちは")
    ctx.close()
    screens.assert_clean()
