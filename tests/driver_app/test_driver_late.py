"""When to leave, a late vehicle, and the end of the day in the drivers' app (issue 14), in
headless Chromium against a running service.

Each test starts its own service (SQLite file, test clock at 08:00) with 山田 花子 (本村 → 病院,
10:00) and 佐藤 一郎 in a wheelchair (上三郎 → クロスロードみつぎ, 10:30) on one vehicle:

- the next-stop card says when to leave (「出発目安 HH:MM」) with a countdown that turns amber,
  then red, once the time has passed; each later stop shows its leave-by time;
- a vehicle made late for real (it reported leaving for 山田's pickup and is still not there
  a quarter of an hour after her window closed) shows 「約N分遅れ」 and badges on the late stops,
  and still every time;
- 帰庫 and 終業 reach the service only after confirmation; the service's refusal is shown in
  words; after 終業 the app says the shift is over;
- portrait (390 × 844) and landscape (844 × 390): the actions stay on screen, axe-core clean.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.driver_app.conftest import (
    DRIVER_PASSWORD,
    LANDSCAPE,
    PHONE,
    PORTRAIT,
    axe_problems,
    epoch,
    rider_row,
    sign_in,
    wait_until,
)

pytestmark = pytest.mark.browser

RED = "rgb(163, 18, 15)"  # app.css --red
AMBER = "rgb(255, 210, 63)"  # app.css --amber


def manifest(service, vehicle: str) -> dict[str, Any]:
    """The vehicle's manifest as its driver gets it from the API now."""
    r = service.http.get("/api/v1/driver/manifest",
                         headers=service.login(vehicle, DRIVER_PASSWORD))
    assert r.status_code == 200, r.text
    return r.json()


def hhmm(iso: str) -> str:
    return iso[11:16]


def make_late(service, day) -> dict[str, Any]:
    """The driver reports leaving for 山田's pickup ten minutes before her window opens and is
    still not there fifteen minutes after it closed (as tests/api/test_late_vehicle.py does);
    the vehicle's manifest then."""
    start, end = (epoch(x) for x in day.first["pickup_window"])
    service.clock.t = start - 600
    r = service.http.post("/api/v1/driver/events",
                          headers=service.login(day.vehicle, DRIVER_PASSWORD),
                          json={"type": "departed", "booking_id": day.first["id"]})
    assert r.status_code == 200, r.text
    service.clock.t = end + 900
    m = manifest(service, day.vehicle)
    assert m["late_s"] > 0 and m["promises_late"], m
    return m


def background(page, selector: str) -> str:
    return page.evaluate("(s) => getComputedStyle(document.querySelector(s)).backgroundColor",
                         selector)


def in_view(page, selector: str) -> bool:
    """Whether the element is entirely inside the viewport (no scrolling needed)."""
    return page.evaluate("""(sel) => {
        const el = document.querySelector(sel);
        if (!el) return false;
        const r = el.getBoundingClientRect();
        return r.width > 0 && r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight
            && r.right <= innerWidth;
    }""", selector)


def test_leave_by_countdown_and_the_times_in_the_list(phone, service, day, artifacts_dir):
    """An hour before 山田's leave-by time the card says 「出発目安 HH:MM あと1時間1分」; ten and a
    half minutes before, 「あと11分」 in plain colours (no banner, no badge: the slack is comfortable); every later
    stop shows its own leave-by time; English on the toggle. When the service's clock passes
    the leave-by time the countdown says 「出発時刻を過ぎています」 in amber while the stop's slack
    lasts, in red past it. Once arrived, the card counts down to leaving this place (the next
    place's leave-by); once the driver reports 出発, it says 「出発済み」 instead."""
    page = phone
    m = manifest(service, day.vehicle)
    first = m["stops"][0]
    assert first["booking_id"] == day.first["id"] and first["leave_by"]
    leave = epoch(first["leave_by"])
    service.clock.t = leave - 3630
    sign_in(page, service, day.vehicle)
    line = page.locator("#leave")
    assert line.inner_text() == f"出発目安 {hhmm(first['leave_by'])} あと1時間1分"
    service.clock.t = leave - 630  # the service's clock reaches the app with the live stream
    page.wait_for_function("document.getElementById('leave-left').textContent === 'あと11分'")
    assert line.get_attribute("data-state") == "ok"
    assert line.inner_text() == f"出発目安 {hhmm(first['leave_by'])} あと11分"
    assert page.locator("#late").is_hidden()
    assert page.locator(".badge").count() == 0
    assert background(page, "#leave-left") == "rgba(0, 0, 0, 0)"
    # each later place with its leave-by time (the first stop of each later visit)
    later = page.locator("#later li")
    assert later.count() >= 2
    shown = [later.nth(i).locator(".lb").inner_text() for i in range(later.count())]
    firsts, seen = [], set()
    for s in m["stops"]:
        if s["visit"] not in seen:
            seen.add(s["visit"])
            firsts.append(s)
    assert shown == [f"出発目安 {hhmm(s['leave_by'])}" for s in firsts[1:]]
    page.screenshot(path=str(artifacts_dir / "driver_leave_by.png"))
    assert axe_problems(page) == []
    page.click("#lang")
    assert line.inner_text() == f"Leave by {hhmm(first['leave_by'])} 11 min left"
    assert later.nth(0).locator(".lb").inner_text().startswith("Leave by ")
    page.click("#lang")

    service.clock.t = leave + 30  # the service's clock reaches the app with the live stream
    page.wait_for_function("document.getElementById('leave').dataset.state !== 'ok'")
    assert first["slack_s"] > 30  # the stop can still start later than planned
    assert line.get_attribute("data-state") == "passed"
    assert page.inner_text("#leave-left") == "出発時刻を過ぎています"
    assert background(page, "#leave-left") == AMBER
    # the longer text wraps inside the card (a phone widens its viewport to what overflows)
    assert page.evaluate("""() => {
        const r = document.getElementById('leave-left').getBoundingClientRect();
        const card = document.getElementById('next-card').getBoundingClientRect();
        return r.right <= card.right && innerWidth <= 390;
    }""")
    page.screenshot(path=str(artifacts_dir / "driver_leave_passed.png"))
    service.clock.t = leave + first["slack_s"] + 60
    page.wait_for_selector("#leave[data-state=late]")
    assert page.inner_text("#leave-left") == "出発時刻を過ぎています"
    assert background(page, "#leave-left") == RED
    assert f"出発目安 {hhmm(first['leave_by'])}" in line.inner_text()  # the time stays

    # arrived at 本村, the card tells when to leave here: the next place's leave-by
    page.click("[data-action=arrived]")
    page.wait_for_selector("#next-card [data-action=departed]")
    page.wait_for_function(f"document.getElementById('leave').dataset.index !== '{first['index']}'")
    shown = page.evaluate("window.noriaiDriver.state.manifest").get("stops")
    after = next(s for s in shown if s["visit"] != shown[0]["visit"])
    assert line.get_attribute("data-index") == str(after["index"])
    assert line.inner_text().startswith(f"出発目安 {hhmm(after['leave_by'])}")
    # once the driver reports leaving, no countdown: 出発済み
    page.click("[data-action=departed]")
    page.wait_for_selector("#leave[data-state=moving]")
    assert page.inner_text("#leave-left") == "出発済み"


def test_a_late_vehicle_shows_how_late_and_keeps_its_times(phone, service, day, artifacts_dir):
    """A late vehicle: a banner 「約N分遅れ」 (N from the manifest's lateness) with how many
    bookings are late; 山田's pickup row has the badge 「約M分遅れ」 (her stop's lateness); every
    stop the service names late or at risk has a badge and no other; the ETA and the leave-by
    times are still shown; English on the toggle; axe-core clean."""
    page = phone
    m = make_late(service, day)
    sign_in(page, service, day.vehicle)
    banner = page.locator("#late")
    banner.wait_for()
    assert banner.get_attribute("data-level") == "late"
    n = max(1, round(m["late_s"] / 60))
    text = banner.inner_text()
    assert text.startswith(f"⚠ 約{n}分遅れ"), text
    late_ids = {x["booking_id"] for x in m["promises_late"]}
    assert f"約束の時刻に遅れる見込みの予約 {len(late_ids)}件" in text
    assert background(page, "#late") == RED
    pickup = next(s for s in m["stops"] if s["booking_id"] == day.first["id"]
                  and s["kind"] == "pickup")
    assert pickup["late_s"] > 0
    badge = rider_row(page, day.first["id"]).locator(".badge")
    assert badge.inner_text() == f"約{max(1, round(pickup['late_s'] / 60))}分遅れ"
    # every stop: a badge exactly when the service says its promise is late or at risk
    for s in m["stops"]:
        where = (rider_row(page, s["booking_id"], s["kind"]) if s["visit"] == m["stops"][0]["visit"]
                 else page.locator(f"#later .p[data-booking='{s['booking_id']}'][data-kind='{s['kind']}']"))
        assert where.count() == 1, s
        badges = where.locator(".badge")
        if s["late_s"] > 0:
            assert badges.get_attribute("class") == "badge late", s
        elif s["at_risk"]:
            assert badges.inner_text() == "遅れの恐れ", s
        else:
            assert badges.count() == 0, s
    # times are never hidden
    card = page.inner_text("#next-times")
    assert f"到着予定 {hhmm(pickup['eta'])}" in card and f"出発目安 {hhmm(pickup['leave_by'])}" in card
    assert "--:--" not in page.inner_text("#run")
    for li in page.locator("#later li").all():
        assert re.fullmatch(r"\d\d:\d\d", li.locator(".t").inner_text())
        assert re.fullmatch(r"出発目安 \d\d:\d\d", li.locator(".lb").inner_text())
    page.screenshot(path=str(artifacts_dir / "driver_late.png"))
    assert axe_problems(page) == []
    page.click("#lang")
    assert banner.inner_text().startswith(f"⚠ About {n} min late")
    assert badge.inner_text() == f"~{max(1, round(pickup['late_s'] / 60))} min late"
    assert not re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", banner.inner_text())  # one language
    page.screenshot(path=str(artifacts_dir / "driver_late_en.png"))
    page.click("#lang")


def test_end_shift_is_refused_while_bookings_are_left(phone, service, day, artifacts_dir):
    """With bookings left the menu offers 帰庫 and 終業. Going back from the confirmation sends
    nothing; confirming 終業 is refused by the service and its reason is shown in words;
    confirming 帰庫 records the vehicle back at its depot (the plan goes on)."""
    page = phone
    sign_in(page, service, day.vehicle)
    page.wait_for_selector("#menu:not([hidden])")
    page.click("#menu-shift-end")
    dialog = page.locator("#confirm")
    assert dialog.is_visible() and "今日の勤務を終えますか？" in dialog.inner_text()
    page.click("#confirm-back")
    page.wait_for_timeout(300)
    assert service.events("shift_ended") == []
    page.click("#menu-shift-end")
    page.click("#confirm-go")
    refusal = page.locator("#refusal[data-what=shift_end]")
    refusal.wait_for()
    text = refusal.inner_text()
    assert "終業できません" in text and "まだ2件の予約が残っています" in text, text
    assert in_view(page, "#refusal")
    assert service.events("shift_ended") == []
    assert manifest(service, day.vehicle)["shift_ended"] is False
    page.screenshot(path=str(artifacts_dir / "driver_shift_end_refused.png"))
    assert axe_problems(page) == []
    refusal.locator("button").click()
    page.wait_for_selector("#refusal", state="detached")

    page.click("#menu-depot")
    assert "車庫に戻ったことを記録しますか？" in dialog.inner_text()
    page.click("#confirm-go")
    wait_until(page, lambda: len(service.events("at_depot")) == 1)
    assert service.events("at_depot")[0]["vehicle_id"] == day.vehicle
    page.wait_for_function("document.getElementById('next').textContent.includes('帰庫を記録しました')")
    assert page.locator("#refusal").count() == 0
    assert rider_row(page, day.first["id"]).count() == 1  # the plan goes on


def test_depot_refused_with_a_rider_on_board(phone, service, day):
    """With 山田 on board (reported through the API), 帰庫 is refused and the app says why."""
    page = phone
    service.clock.t = epoch(day.first["pickup_window"][0])
    d = service.login(day.vehicle, DRIVER_PASSWORD)
    for kind in ("arrived", "boarded"):
        r = service.http.post("/api/v1/driver/events", headers=d,
                              json={"type": kind, "booking_id": day.first["id"]})
        assert r.status_code == 200, r.text
    sign_in(page, service, day.vehicle)
    page.click("#menu-depot")
    page.click("#confirm-go")
    page.wait_for_selector("#refusal[data-what=depot]")
    assert "乗客が乗車中です" in page.inner_text("#refusal")
    assert service.events("at_depot") == []


def test_back_at_depot_and_end_of_shift_when_nothing_is_left(phone, service, day, artifacts_dir):
    """An idle vehicle: the card says all is done and offers 帰庫 and 終業. Offline, 終業 is not
    queued but refused (it needs the service's decision); online, 帰庫 then 終業 reach the
    service after confirmation, and the app says the shift is over (no more buttons)."""
    page = phone
    idle = next(v for v in ("mitsugi-1", "mitsugi-2", "mitsugi-3") if v != day.vehicle)
    page.goto(f"{service.url}/driver/")
    page.fill("#login-id", idle)
    page.fill("#login-pw", DRIVER_PASSWORD)
    page.click("#login-go")
    card = page.locator("#end-card")
    card.wait_for()
    assert "今日の予定はすべて終わりました" in card.inner_text()
    assert page.locator("#menu").is_hidden()
    assert page.locator("#late").is_hidden()
    assert axe_problems(page) == []

    page.context.set_offline(True)
    page.wait_for_selector("#net[data-state=offline]")
    card.locator("[data-action=shift_end]").click()
    page.click("#confirm-go")
    page.wait_for_selector("#refusal[data-what=shift_end]")
    assert "オンライン接続が必要" in page.inner_text("#refusal")
    assert page.evaluate("window.noriaiDriver.outbox.size") == 0
    page.context.set_offline(False)
    page.wait_for_selector("#net[data-state=online]")
    assert service.events("shift_ended") == []

    card.locator("[data-action=depot]").click()
    page.click("#confirm-go")
    wait_until(page, lambda: len(service.events("at_depot")) == 1)
    card.locator("[data-action=shift_end]").click()
    assert "今日の勤務を終えますか？" in page.inner_text("#confirm")
    page.screenshot(path=str(artifacts_dir / "driver_shift_end_confirm.png"))
    page.click("#confirm-go")
    wait_until(page, lambda: len(service.events("shift_ended")) == 1)
    assert service.events("shift_ended")[0]["vehicle_id"] == idle
    page.wait_for_selector("#shift-over")
    assert "本日の勤務は終了しました" in page.inner_text("#shift-over")
    assert page.locator("[data-action=depot]:visible, [data-action=shift_end]:visible").count() == 0
    assert manifest(service, idle)["shift_ended"] is True
    page.reload()  # the service says so too, not only this page
    page.wait_for_selector("#shift-over")
    page.screenshot(path=str(artifacts_dir / "driver_shift_over.png"))
    assert axe_problems(page) == []


@pytest.mark.parametrize("name,viewport", [("portrait", PORTRAIT), ("landscape", LANDSCAPE)])
def test_late_layout_keeps_the_actions_on_screen(browser, service, day, artifacts_dir, name,
                                                 viewport):
    """Late and arrived at 山田's pickup: the banner, the leave-by line, 出発 and 山田's 乗車 /
    不乗車 / 電話 are on screen without scrolling (in landscape the banner lies over the map);
    an idle vehicle's 帰庫 / 終業 are on screen too. axe-core clean; screenshots kept."""
    ctx = browser.new_context(**{**PHONE, "viewport": viewport}, permissions=["geolocation"],
                              geolocation={"latitude": 34.5125, "longitude": 133.1462})
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        make_late(service, day)
        sign_in(page, service, day.vehicle)
        page.wait_for_function("window.noriaiDriver.state.routeRevision >= 0")
        page.click("[data-action=arrived]")
        page.wait_for_selector("#next-card [data-action=departed]")
        page.wait_for_selector("#leave")
        page.wait_for_timeout(300)
        page.screenshot(path=str(artifacts_dir / f"driver_late_{name}.png"))
        first = f"#next-card li.rider[data-booking='{day.first['id']}']"
        for sel in ("#late", "#leave", "#next-card [data-action=departed]",
                    f"{first} [data-action=board]", f"{first} [data-action=no_show]",
                    f"{first} [data-action=call]", f"{first} .badge", "#lang"):
            assert in_view(page, sel), (name, sel)
        # nothing overflows sideways (a phone would widen its viewport to show it)
        assert page.evaluate("innerWidth") == viewport["width"], name
        if name == "landscape":
            banner = page.locator("#late").bounding_box()
            card = page.locator("#next-card").bounding_box()
            assert banner["x"] + banner["width"] <= card["x"]  # over the map, not the card
            assert page.evaluate("document.scrollingElement.scrollHeight <= innerHeight + 1")
        assert axe_problems(page) == [], name
        # the leave-by time passes: the longer text still leaves the actions on screen
        service.clock.t += 600
        page.wait_for_selector("#leave[data-state=late]")
        page.screenshot(path=str(artifacts_dir / f"driver_late_passed_{name}.png"))
        for lang in ("ja", "en"):
            for sel in ("#late", "#leave-left", "#next-card [data-action=departed]",
                        f"{first} [data-action=board]", f"{first} [data-action=no_show]",
                        f"{first} [data-action=call]"):
                assert in_view(page, sel), (name, sel, lang)
            assert page.evaluate("innerWidth") == viewport["width"], (name, lang)
            page.click("#lang")
            page.wait_for_timeout(200)

        page.click("#signout")
        idle = next(v for v in ("mitsugi-1", "mitsugi-2", "mitsugi-3") if v != day.vehicle)
        page.fill("#login-id", idle)
        page.fill("#login-pw", DRIVER_PASSWORD)
        page.click("#login-go")
        page.wait_for_selector("#end-card")
        for sel in ("#end-card [data-action=depot]", "#end-card [data-action=shift_end]"):
            assert in_view(page, sel), (name, sel)
        page.screenshot(path=str(artifacts_dir / f"driver_end_of_day_{name}.png"))
        assert axe_problems(page) == [], name
    finally:
        ctx.close()
    assert not errors, errors

