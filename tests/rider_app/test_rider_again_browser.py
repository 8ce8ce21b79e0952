"""The rider app's ways of booking again, in real chromium against a running service: stops found
by the words people say, a time inside the minimum notice caught on the time step, offers ranked
with おすすめ, the way back in the same flow, the usual trip in two taps, standing orders created,
listed, failing with a notice and stopped; the help line is a tel: link and English dates read
naturally. axe-core checks every screen."""

from __future__ import annotations

import re
from datetime import date, time, timedelta

from dispatcher.units import at_local
from tests.api.conftest import DAY
from tests.rider_app.conftest import PHONE
from tests.rider_app.conftest import call_api as _api

#: A Wednesday in July 2027 whose Monday after (19 Jul, 海の日) is a public holiday.
JULY = date(2027, 7, 14)


def _rider(live, phone: str, name: str, pin: str = "2580") -> str:
    return _api(live, "POST", "/auth/register", json={"phone": phone, "pin": pin, "name": name})["access_token"]


def _operator(live) -> str:
    return _api(live, "POST", "/auth/login", json={"login": "operator", "password": "operator-test"})["access_token"]


def _sign_in(browser, live, phone: str, name: str, pin: str = "2580"):
    page = browser.new_page(viewport=PHONE, locale="ja-JP")
    page.goto(f"{live.url}/rider/#/signin")
    page.fill("#phone", phone)
    page.fill("#pin", pin)
    page.click("button[type=submit]")
    page.wait_for_selector(f"text={name} さん、こんにちは")
    return page


def _search(page, text: str) -> list[str]:
    """Type into the stop search and wait for the answer; the stop ids listed, in order."""
    page.fill("#search", text)
    page.wait_for_function("""(t) => document.querySelector('#search').value === t
        && document.querySelector('#results').dataset.q === t""", arg=text)
    return page.eval_on_selector_all("[data-stop]", "els => els.map(e => e.dataset.stop)")


def _pick(page, text: str, stop: str) -> None:
    ids = _search(page, text)
    assert stop in ids, (text, ids)
    page.click(f"[data-stop='{stop}']")


def _searches(live) -> int:
    """Trip searches the service has seen (offers made or refused)."""
    op = _operator(live)
    return sum(len(_api(live, "GET", "/operator/events", op, params={"type": k}))
               for k in ("offered", "refused"))


def test_aliases_help_line_and_english_dates(live, browser, screens):
    """「ﾔｸﾊﾞ」「みちの　えき」「スーパー」「えき」 find the stops people mean, with the alias shown;
    the help line calls the service with one tap; English dates read "Today, Wed 13 Jan"."""
    live.clock.set(time(8, 0))
    _rider(live, "090-8000-0001", "木村 さち")
    page = _sign_in(browser, live, "090-8000-0001", "木村 さち")
    assert page.get_attribute("#help-call", "href") == "tel:0848000000"
    assert "0848-00-0000" in page.inner_text("#help-call")
    page.click("text=予約する")
    page.wait_for_selector("h2:has-text('どこから乗りますか？')")
    assert _search(page, "ﾔｸﾊﾞ")[0] == "ichi_office"
    assert "「やくば」" in page.inner_text("[data-stop='ichi_office']")
    screens.check(page, "30-alias-yakuba")
    assert _search(page, "みちの　えき")[0] == "crossroad_mitsugi"
    assert _search(page, "スーパー")[0] == "crossroad_mitsugi"
    assert _search(page, "えき")[:2] == ["ichi_office", "hospital_entrance"]
    assert "尾道駅" in page.inner_text("[data-stop='ichi_office']")
    screens.check(page, "31-alias-eki")
    page.click("[data-stop='ichi_office']")
    page.wait_for_selector("h2:has-text('どこまで行きますか？')")
    _pick(page, "びょういん", "hospital")
    page.wait_for_selector("#time")
    assert page.inner_text("#day option:checked").startswith("今日 1月13日（水）")
    page.click("#lang")
    page.wait_for_selector("html[lang=en]")
    options = page.eval_on_selector_all("#day option", "els => els.map(e => e.textContent)")
    assert options[:2] == ["Today, Wed 13 Jan", "Tomorrow, Thu 14 Jan"], options
    assert "Mon 18 Jan" in options
    screens.check(page, "32-when-english")
    page.click("#lang")
    page.close()
    screens.assert_clean()


def test_minimum_notice_on_the_time_step_and_ranked_offers(live, browser, screens):
    """At 08:00 an 08:30 pickup is caught on the time step, before any search, with 09:00 offered
    as one tap; an hour outside the service is refused there too; the offers that follow show
    おすすめ with the reason, in both languages."""
    live.clock.set(time(8, 0))
    _rider(live, "090-8000-0002", "林 よしこ")
    page = _sign_in(browser, live, "090-8000-0002", "林 よしこ")
    page.click("text=予約する")
    _pick(page, "ほんむら", "honmura")
    page.wait_for_selector("h2:has-text('どこまで行きますか？')")
    _pick(page, "びょういん", "hospital")
    page.wait_for_selector("#time")
    searches = _searches(live)
    page.fill("#time", "18:00")
    page.click("#next")
    page.wait_for_selector("#when-msg:has-text('運行時間外')")
    page.fill("#time", "08:30")
    page.click("#next")
    page.wait_for_selector("#use-earliest")
    msg = page.inner_text("#when-msg")
    assert "乗車の60分前" in msg and "09:00" in msg, msg
    assert page.inner_text("#use-earliest") == "今日 1月13日（水） 09:00 にする"
    assert page.locator("#go").count() == 0 and _searches(live) == searches
    screens.check(page, "33-min-notice")
    page.click("#use-earliest")
    page.wait_for_selector("#go")
    page.click("#go")
    page.wait_for_selector("[data-offer], #err .error")
    assert page.locator("#err .error").count() == 0, page.inner_text("#err")
    best = page.locator(".card.offer").first
    assert "recommended" in best.get_attribute("class")
    text = best.inner_text()
    assert "おすすめ" in text and "ご希望の時刻どおり" in text and "09:00〜09:10" in text, text
    screens.check(page, "34-offers-recommended")
    page.click("#lang")
    page.wait_for_selector("text=Recommended")
    assert "At the time you asked" in page.inner_text(".card.offer >> nth=0")
    page.click("#lang")
    page.close()
    screens.assert_clean()


def test_return_trip_in_the_same_flow(live, browser, screens):
    """After booking 本村 → 病院 at 10:00 the ticket page offers the way back; a time before the
    outward trip arrives is caught with the arrival as one tap; the party is not asked again; the
    return is booked with the places swapped and no further return is offered."""
    live.clock.set(time(8, 0))
    token = _rider(live, "090-8000-0003", "岡田 ふみ")
    page = _sign_in(browser, live, "090-8000-0003", "岡田 ふみ")
    page.click("text=予約する")
    _pick(page, "ほんむら", "honmura")
    page.wait_for_selector("h2:has-text('どこまで行きますか？')")
    _pick(page, "みつぎ びょういん", "hospital")
    page.fill("#time", "10:00")
    page.click("#next")
    page.click("#go")
    page.click("[data-offer='0']")
    page.click("#ok")
    page.wait_for_selector("#return-btn")
    assert "帰り：公立みつぎ総合病院 → 本村" in page.inner_text("#again")
    screens.check(page, "35-return-prompt")
    page.click("#return-btn")
    page.wait_for_selector("h2:has-text('帰りは何時に乗りますか？')")
    assert "行きと同じ 1人" in page.inner_text("main")
    page.fill("#time", "10:05")
    page.click("#next")
    page.wait_for_selector("#use-earliest")
    assert "行きの到着" in page.inner_text("#when-msg")
    screens.check(page, "36-return-too-early")
    page.click("#use-earliest")
    page.wait_for_selector("[data-offer], #err .error")
    assert page.locator("#err .error").count() == 0, page.inner_text("#err")
    assert "公立みつぎ総合病院 → 本村" in page.inner_text("main")
    screens.check(page, "37-return-offers")
    page.click("[data-offer='0']")
    page.click("#ok")
    page.wait_for_selector("#short-code")
    page.wait_for_timeout(300)
    assert page.locator("#return-btn").count() == 0
    trips = _api(live, "GET", "/bookings", token)
    assert sorted((b["origin_stop_id"], b["destination_stop_id"]) for b in trips) == [
        ("honmura", "hospital"), ("hospital", "honmura")]
    page.close()
    screens.assert_clean()


def test_usual_trip_in_two_taps(live, browser, screens):
    """A rider who went to the hospital at 10:00 today sees it as いつもの便 on the home screen;
    one tap shows tomorrow's ride (おすすめ), the second books it."""
    live.clock.set(time(8, 0))
    token = _rider(live, "090-8000-0004", "松本 しげる")
    offers = _api(live, "POST", "/offers", token, json={
        "origin": {"stop_id": "honmura"}, "destination": {"stop_id": "hospital"},
        "party": {"adults": 1}, "rule": "pickup_after", "time": f"{DAY.isoformat()}T10:00:00+09:00"})
    _api(live, "POST", "/bookings", token, json={"offer_id": offers["recommended_id"]})
    page = _sign_in(browser, live, "090-8000-0004", "松本 しげる")
    usual = page.inner_text("#usual")
    assert "本村 → 公立みつぎ総合病院" in usual and "10:00 以降に出発" in usual, usual
    assert "次は 明日 1月14日（木）" in usual
    screens.check(page, "38-home-usual")
    page.click("[data-usual]")                                   # tap 1
    page.wait_for_selector("h2:has-text('いつもの便を予約しますか？')")
    assert page.inner_text("#confirm-day") == "明日 1月14日（木）"
    assert page.inner_text("#confirm-window") == "10:00〜10:10"
    assert "おすすめ" in page.inner_text("main")
    screens.check(page, "39-usual-confirm")
    page.click("#ok")                                            # tap 2
    page.wait_for_selector("#short-code")
    days = sorted(b["service_day"] for b in _api(live, "GET", "/bookings", token))
    assert days == ["2027-01-13", "2027-01-14"]
    page.close()
    screens.assert_clean()


def test_standing_order_create_list_notice_and_stop(live, browser, screens):
    """Wed 14 Jul 2027: a wheelchair user sets up every Mon/Wed/Fri 10:00 to the hospital. Today
    and Wed 21 are booked, Mon 19 (海の日) is skipped, Fri 16 fails because the wheelchair space
    is taken: the booking list shows the notice with a way to book that day at another time; the
    operators have the event; the notice can be dismissed and the order stopped."""
    live.clock.t = at_local(JULY, time(8, 0))
    blocker = _rider(live, "090-8000-0005", "先客 たろう")
    offers = _api(live, "POST", "/offers", blocker, json={
        "origin": {"stop_id": "honmura"}, "destination": {"stop_id": "hospital"},
        "party": {"adults": 0, "wheelchairs": 1}, "rule": "pickup_after",
        "time": f"{(JULY + timedelta(days=2)).isoformat()}T10:00:00+09:00"})
    _api(live, "POST", "/bookings", blocker, json={"offer_id": offers["recommended_id"]})
    _rider(live, "090-8000-0006", "石井 きよ")
    page = _sign_in(browser, live, "090-8000-0006", "石井 きよ")
    page.click("text=定期予約（毎週の予約）")
    page.wait_for_selector("text=定期予約はありません。")
    page.click("#new-order")
    _pick(page, "ほんむら", "honmura")
    page.wait_for_selector("h2:has-text('どこまで行きますか？')")
    _pick(page, "びょういん", "hospital")
    page.wait_for_selector("h2:has-text('何曜日に乗りますか？')")
    page.click("#next")
    page.wait_for_selector("#when-msg:has-text('曜日を1つ以上')")
    for day in ("mon", "wed", "fri"):
        page.check(f"input[name=wd][value={day}]")
    page.fill("#time", "10:00")
    screens.check(page, "40-standing-schedule")
    page.click("#next")
    page.check("#mewheel")
    page.click("#go")
    page.wait_for_selector("#flash")
    assert page.inner_text("#flash") == "定期予約を登録しました。2回分を予約しました（1回は予約できませんでした）。"
    card = page.inner_text("#orders")
    assert "毎週 月・水・金 10:00 以降に出発" in card and "本村 → 公立みつぎ総合病院" in card, card
    assert "今日 7月14日（水）" in card and "7月21日（水）" in card
    assert "7月16日（金）：ご希望の時刻は満席でした" in card
    assert "7月19日（月）：祝日（海の日）のため運休です" in card
    screens.check(page, "41-standing-list")

    page.goto(f"{live.url}/rider/#/home")
    page.wait_for_selector("#notice-link")
    assert page.inner_text("#notice-link") == "定期予約のお知らせが 1 件あります"
    page.click("#notice-link")
    page.wait_for_selector(".notices")
    notice = page.inner_text(".notices")
    assert "7月16日（金） 10:00 本村 → 公立みつぎ総合病院 の定期予約を入れられませんでした。" in notice
    assert page.locator("text=定期予約 >> nth=0").count() >= 1
    screens.check(page, "42-trips-notice")
    events = _api(live, "GET", "/operator/events", _operator(live),
                  params={"type": "standing_order_failed"})
    assert events[-1]["data"]["rider_name"] == "石井 きよ"
    assert events[-1]["data"]["day"] == "2027-07-16"
    page.click("text=この日を別の時間で予約する")
    page.wait_for_selector("#time")
    assert page.input_value("#day") == "2027-07-16" and page.input_value("#time") == "10:00"
    page.click("#next")
    page.wait_for_selector("[data-offer], #err .error")
    assert page.locator("#err .error").count() == 0, page.inner_text("#err")
    # 10:00 is full: the alternatives are ranked; the later one keeps "leave at or after".
    assert "ご希望の時間は満席です" in page.inner_text("h2")
    cards = page.locator(".card.offer")
    assert cards.count() == 2
    best, other = cards.nth(0).inner_text(), cards.nth(1).inner_text()
    later = re.search(r"ご希望より(\d+)分遅い", best)
    assert "おすすめ" in best and "ご希望の時刻より前には出発しません" in best and later, best
    shift = int(later.group(1))  # the next window that fits, after the planning slack
    assert shift % 10 == 0 and f"10:{shift:02d}〜10:{shift + 10:02d}" in best, best
    earlier = re.search(r"ご希望より(\d+)分早い", other)
    assert earlier and "おすすめ" not in other, other
    back = int(earlier.group(1))  # the latest earlier window that fits, also after the slack
    start = 10 * 60 - back
    assert back % 10 == 0 and f"{start // 60:02d}:{start % 60:02d}〜" in other, other
    screens.check(page, "43-offers-alternatives")
    page.click("#lang")
    page.wait_for_selector("text=Does not leave before the time you asked")
    assert f"{back} min earlier than asked" in page.locator(".card.offer").nth(1).inner_text()
    screens.check(page, "44-offers-alternatives-english")
    page.click("#lang")
    page.goto(f"{live.url}/rider/#/trips")
    page.wait_for_selector("[data-dismiss]")
    page.click("[data-dismiss]")
    page.wait_for_selector("h3:has-text('これからの予約')")
    page.wait_for_function("() => !document.querySelector('.notices')")

    page.goto(f"{live.url}/rider/#/standing")
    page.wait_for_selector("[data-stop-order]")
    page.click("[data-stop-order]")
    page.wait_for_selector("#stop-yes")
    screens.check(page, "45-standing-stop-confirm")
    page.click("#stop-yes")
    page.wait_for_selector("#flash:has-text('定期予約をやめました')")
    assert "停止中" in page.inner_text("#orders")
    page.click("#lang")
    page.wait_for_selector("#orders:has-text('Every Mon, Wed, Fri leave at 10:00 or later')")
    screens.check(page, "46-standing-english")
    page.click("#lang")
    page.close()
    live.clock.set(time(8, 0))
    screens.assert_clean()
