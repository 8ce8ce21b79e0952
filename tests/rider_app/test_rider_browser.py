"""The rider app in real chromium against a running service: sign up, book with a kana search,
the QR ticket, the live ETA while the vehicle is driven through the driver API, cancel, history;
family members, a point chosen on the map, English, 200% zoom; axe-core on every screen."""

from __future__ import annotations

import re
from datetime import time

import httpx

from dispatcher.units import at_local
from tests.api.conftest import DAY
from tests.rider_app.conftest import PHONE
from tests.rider_app.conftest import call_api as _api


def _token(live, **body) -> str:
    return _api(live, "POST", "/auth/login", json=body)["access_token"]


def _eta_text(page) -> str:
    page.wait_for_selector("#eta-time")
    return page.inner_text("#live")


def test_sign_up_book_ticket_live_eta_cancel(live, browser, screens):
    """A new rider signs up, finds 公立みつぎ総合病院 by typing 「びょういん」, books 10:00 to 本村,
    sees the QR ticket and short code; the ETA and the vehicle on the map move as the driver
    reports positions and events; the rider cancels (the rule is shown) and sees the history."""
    live.clock.set(time(8, 0))
    page = browser.new_page(viewport=PHONE, locale="ja-JP")
    page.goto(f"{live.url}/rider/?poll=300")
    page.wait_for_selector("#service-name:has-text('御調町 予約型乗合タクシー')")
    screens.check(page, "01-welcome")
    page.click("text=はじめて使う（登録）")
    page.fill("#name", "山田 花子")
    page.fill("#phone", "090-1234-0001")
    page.fill("#pin", "2580")
    screens.check(page, "02-signup")
    page.click("button:has-text('登録する')")
    page.wait_for_selector("text=山田 花子 さん、こんにちは")
    screens.check(page, "03-home")

    page.click("text=予約する")
    page.wait_for_selector("h2:has-text('どこから乗りますか？')")
    page.fill("#search", "びょういん")
    # The list narrows to the stops whose reading contains びょういん (the hospital first).
    page.wait_for_function("() => document.querySelectorAll('[data-stop]').length <= 3")
    assert page.get_attribute("[data-stop] >> nth=0", "data-stop") == "hospital"
    screens.check(page, "04-from-kana-search")
    page.click("[data-stop='hospital']")
    page.wait_for_selector("h2:has-text('どこまで行きますか？')")
    assert "公立みつぎ総合病院" in page.inner_text("main")
    page.fill("#search", "ほんむら")
    page.wait_for_function("() => document.querySelectorAll('[data-stop]').length <= 3")
    page.click("[data-stop='honmura']")
    page.wait_for_selector("#time")
    assert page.input_value("#day") == DAY.isoformat()
    page.fill("#time", "10:00")
    screens.check(page, "05-when")
    page.click("#next")
    page.wait_for_selector("#go")
    screens.check(page, "06-who")
    page.click("#go")
    page.wait_for_selector("[data-offer], #err .error")
    assert page.locator("#err .error").count() == 0, page.inner_text("#err")
    offers_text = page.inner_text("main")
    assert "10:00〜10:10" in offers_text and "300円" in offers_text, offers_text
    screens.check(page, "07-offers")
    page.click("[data-offer='0']")
    page.wait_for_selector("#ok")
    screens.check(page, "08-confirm")
    page.click("#ok")
    page.wait_for_selector("#short-code")
    booking_id = page.url.rsplit("/", 1)[1]
    code = page.inner_text("#short-code")
    assert re.fullmatch(r"[0-9A-Z]{5}-[0-9A-Z]{5}", code), code
    assert page.locator("#ticket svg").count() == 1
    assert "10:00〜10:10" in page.inner_text("#window")
    page.wait_for_selector("#eta-time")
    screens.check(page, "09-ticket")

    # The driver's day: another rider's 09:15 pickup goes on the same vehicle, before ours.
    rider_token = _token(live, phone="090-1234-0001", password="2580")
    mine = _api(live, "GET", f"/bookings/{booking_id}", rider_token)
    assert mine["status"] == "confirmed" and mine["origin_stop_id"] == "hospital"
    vehicle = mine["vehicle_id"]
    other = _api(live, "POST", "/auth/register",
                 json={"phone": "090-1234-0002", "pin": "1357", "name": "他の人"})["access_token"]
    offer = _api(live, "POST", "/offers", other, json={
        "origin": {"stop_id": "ichi_office"}, "destination": {"stop_id": "hospital"},
        "party": {"adults": 1}, "rule": "pickup_after", "time": f"{DAY.isoformat()}T09:15:00+09:00"},
    )["offers"][0]
    other_b = _api(live, "POST", "/bookings", other, json={"offer_id": offer["id"]})
    operator = _token(live, login="operator", password="operator-test")
    if other_b["vehicle_id"] != vehicle:
        _api(live, "POST", f"/operator/bookings/{other_b['id']}/move", operator,
             json={"vehicle_id": vehicle})
    page.wait_for_selector("#stops-before:has-text('2 か所')")
    driver = _token(live, login=vehicle, password="driver-test")

    live.clock.t = at_local(DAY, time(9, 20))
    _api(live, "POST", "/driver/position", driver, json={"lat": 34.5085, "lon": 133.1470})
    page.wait_for_selector("#vehicle")
    x1 = float(page.get_attribute("#vehicle", "cx"))
    _api(live, "POST", "/driver/events", driver, json={"type": "boarded", "booking_id": other_b["id"]})
    page.wait_for_selector("#stops-before:has-text('1 か所')")
    before = _eta_text(page)
    screens.check(page, "10-live-eta")
    _api(live, "POST", "/driver/position", driver, json={"lat": 34.5140, "lon": 133.1485})
    page.wait_for_function(f"() => document.querySelector('#vehicle') && "
                           f"Math.abs(document.querySelector('#vehicle').getAttribute('cx') - {x1}) > 1")
    live.clock.t = at_local(DAY, time(9, 50))
    _api(live, "POST", "/driver/events", driver, json={"type": "alighted", "booking_id": other_b["id"]})
    page.wait_for_selector("#stops-before:has-text('次はあなたの乗り場です')")
    after = _eta_text(page)
    assert before != after, (before, after)
    screens.check(page, "11-live-eta-next")

    assert "30分前までは無料で取り消せます" in page.inner_text("#cancel-rule")
    page.click("#cancel")
    page.wait_for_selector("#cancel-yes")
    screens.check(page, "12-cancel-confirm")
    page.click("#cancel-yes")
    page.wait_for_selector("#trip-status:has-text('取り消し')")
    assert _api(live, "GET", f"/bookings/{booking_id}", rider_token)["status"] == "cancelled"
    page.goto(f"{live.url}/rider/#/trips")
    page.wait_for_selector("h3:has-text('これまでの利用')")
    assert "取り消し" in page.inner_text("main")
    screens.check(page, "13-history")
    page.close()
    screens.assert_clean()


def test_family_map_point_english_and_zoom(live, browser, screens):
    """A rider signs in, registers a child, picks a point on the road map as pickup, books with
    the child (fare 300 + 150); the English screens and a 200% zoom stay usable (no sideways
    scrolling) and accessible."""
    live.clock.set(time(8, 0))
    _api(live, "POST", "/auth/register", json={"phone": "090-1234-0003", "pin": "9182",
                                               "name": "鈴木 次郎", "home_stop_id": "ichi_office"})
    page = browser.new_page(viewport=PHONE, locale="ja-JP")
    page.goto(f"{live.url}/rider/#/signin")
    page.fill("#phone", "09012340003")
    page.fill("#pin", "1111")
    page.click("button[type=submit]")
    page.wait_for_selector("[role=alert]:has-text('暗証番号が違います')")
    page.fill("#pin", "9182")
    page.click("button[type=submit]")
    page.wait_for_selector("text=鈴木 次郎 さん、こんにちは")

    page.click("text=いっしょに乗る家族")
    page.fill("#fname", "鈴木 さくら")
    page.select_option("#fcat", "child")
    page.click("button[type=submit]")
    page.wait_for_selector("text=鈴木 さくら さんを削除")
    screens.check(page, "20-family")

    page.goto(f"{live.url}/rider/#/book")
    page.wait_for_selector("[data-stop]")
    assert page.get_attribute("[data-stop] >> nth=0", "data-stop") == "ichi_office"  # home first
    page.click("#map-btn")
    page.wait_for_selector("#map path")
    # Tap a little beside a drawn stop (a point on the roads near it, not the stop itself).
    box = page.locator("#map").bounding_box()
    rx, ry, vw = page.evaluate("""() => { const r = document.querySelectorAll('#map rect')[5];
        return [+r.getAttribute('x') + 12, +r.getAttribute('y') + 12,
                document.querySelector('#map').viewBox.baseVal.width]; }""")
    page.mouse.click(box["x"] + rx * box["width"] / vw, box["y"] + ry * box["width"] / vw)
    page.wait_for_selector("#use:not([disabled])")
    screens.check(page, "21-map-pick")
    page.click("#use")
    page.wait_for_selector("h2:has-text('どこまで行きますか？')")
    page.click("[data-stop='hospital']")
    page.fill("#time", "11:00")
    page.click("#next")
    page.check("[data-fam]")
    page.click("#go")
    page.wait_for_selector("[data-offer], #err .error")
    assert page.locator("#err .error").count() == 0, page.inner_text("#err")
    assert "450円" in page.inner_text("main")

    page.click("#lang")
    page.wait_for_selector("html[lang=en]")
    page.wait_for_selector("text=Choose this ride")
    assert "¥450" in page.inner_text("main")
    screens.check(page, "22-offers-english")
    page.click("[data-offer='0']")
    page.click("#ok")
    page.wait_for_selector("#short-code")
    screens.check(page, "23-ticket-english")
    page.click("#lang")

    zoomed = browser.new_page(viewport={"width": PHONE["width"] // 2, "height": PHONE["height"] // 2},
                              device_scale_factor=2, locale="ja-JP")
    zoomed.goto(f"{live.url}/rider/#/welcome")
    zoomed.wait_for_selector("text=ログイン")
    for name in ("welcome", "signup"):
        if name == "signup":
            zoomed.click("text=はじめて使う（登録）")
            zoomed.wait_for_selector("#pin")
        width = zoomed.evaluate("() => [document.documentElement.scrollWidth, "
                                "document.documentElement.clientWidth]")
        assert width[0] <= width[1], (name, width)
        screens.check(zoomed, f"24-zoom200-{name}")
    zoomed.close()
    page.close()
    screens.assert_clean()


def test_app_is_an_installable_pwa(live):
    """The app's manifest (named after the service), service worker and icons are served under
    /rider/, the folder being its start and scope."""
    m = httpx.get(f"{live.url}/rider/manifest.webmanifest").json()
    assert m["start_url"] == "./" and m["scope"] == "./" and m["display"] == "standalone"
    assert m["name"] == "御調町 予約型乗合タクシー / Mitsugi Shared Taxi (on demand)"
    for icon in m["icons"]:
        assert httpx.get(f"{live.url}/rider/{icon['src']}").status_code == 200
    sw = httpx.get(f"{live.url}/rider/sw.js")
    assert sw.status_code == 200 and "javascript" in sw.headers["content-type"]
    page = httpx.get(f"{live.url}/rider/")
    assert page.status_code == 200 and 'lang="ja"' in page.text
