"""A rider whose vehicle runs late is told so on the booking page, in their language (issue 14):
the live ETA carries the engine's promise-at-risk notice; axe-core stays clean."""

from __future__ import annotations

from datetime import time

from dispatcher.units import at_local
from tests.api.conftest import DAY
from tests.rider_app.conftest import PHONE
from tests.rider_app.conftest import call_api as _api


def test_a_late_pickup_is_said_plainly(live, browser, screens):
    """Booked for 11:00 at 本村; the driver leaves for it at 10:50 and is still not there at
    11:25: the booking page says the pickup is expected about N minutes late (ja), and in
    English after switching the language; the ETA shown is after the window, not inside it."""
    live.clock.t = at_local(DAY, time(8, 0))
    token = _api(live, "POST", "/auth/register",
                 json={"phone": "090-4444-0001", "pin": "2580", "name": "遅れ 確認"})["access_token"]
    offer = _api(live, "POST", "/offers", token, json={
        "origin": {"stop_id": "honmura"}, "destination": {"stop_id": "hospital"},
        "party": {"adults": 1}, "rule": "pickup_after", "time": f"{DAY.isoformat()}T11:00:00+09:00",
    })["offers"][0]
    booking = _api(live, "POST", "/bookings", token, json={"offer_id": offer["id"]})
    driver = _api(live, "POST", "/auth/login",
                  json={"login": booking["vehicle_id"], "password": "driver-test"})["access_token"]
    live.clock.t = at_local(DAY, time(10, 50))
    _api(live, "POST", "/driver/events", driver,
         json={"type": "departed", "booking_id": booking["id"]})
    live.clock.t = at_local(DAY, time(11, 25))

    page = browser.new_page(viewport=PHONE, locale="ja-JP")
    page.goto(f"{live.url}/rider/")
    page.evaluate(f"() => {{ localStorage.setItem('token', '{token}'); "
                  "localStorage.setItem('lang', 'ja'); }")
    page.goto(f"{live.url}/rider/?poll=300#/trip/{booking['id']}")
    page.wait_for_selector("#at-risk")
    text = page.inner_text("#at-risk")
    assert "お迎えが約" in text and "遅れる見込み" in text, text
    assert "late" in page.get_attribute("#at-risk", "class")
    eta = page.inner_text("#eta-time")
    assert eta > "11:10", eta  # honest: after the window, not inside it
    screens.check(page, "20-late-pickup")
    page.click("#lang")
    page.wait_for_selector("#at-risk:has-text('expected about')")
    assert "min late" in page.inner_text("#at-risk")
    screens.check(page, "21-late-pickup-en")
    page.close()
    screens.assert_clean()
