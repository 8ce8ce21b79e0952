"""The bookings page under AppTest against the real API with a seeded day: finding a caller by
phone or kana and starting from their usual trip, the stop pickers' kana filter, form messages in
the chosen language, cancel and no-show asked to confirm, and a history in names, local times
and stop names."""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from tests.api.conftest import DAY, local
from tests.ops_console.seed import api
from tests.ops_console.signin import signed_in

VIEWS = Path(__file__).resolve().parents[2] / "ops_console" / "views"


def bookings_page(lang: str = "ja") -> AppTest:
    """The bookings page, run once."""
    at = AppTest.from_file(str(VIEWS / "bookings.py"), default_timeout=60)
    at.session_state["lang"] = lang
    return signed_in(at).run()


def no_exception(at: AppTest) -> None:
    """No Python exception on the page."""
    assert not at.exception, [e.value for e in at.exception]


def texts(at: AppTest, kind: str) -> list[str]:
    """The values of the page's elements of one kind (error, info, success, warning...)."""
    return [e.value for e in getattr(at, kind)]


@pytest.fixture(scope="module")
def kana_caller(seeded) -> dict[str, Any]:
    """A caller known with a kana reading (岡本 良江), who went to the hospital twice at 13:30."""
    caller = {"name": "岡本 良江", "name_kana": "おかもと よしえ", "phone": "0848-76-4001"}
    for at in (time(13, 30), time(13, 30)):
        trip = {"origin": {"stop_id": "shimosaburo"}, "destination": {"stop_id": "hospital"},
                "party": {"adults": 1}, "time": local(at), "caller": caller}
        found = api(seeded, "POST", "/api/v1/operator/offers", json=trip)
        offer = (found["offers"] or found["alternatives"])[0]
        api(seeded, "POST", "/api/v1/operator/bookings",
            json={"offer_id": offer["id"], "caller": caller})
    return caller


@pytest.mark.parametrize("q", ["0848-76-1002", "0848761002"])
def test_lookup_by_phone_prefills_the_usual_trip_and_books_it(console_env, q):
    """The operator types the caller's number with or without hyphens: 鈴木 花子 is found with
    her usual trip (岩井堂 → 市出張所, 09:10, two adults); one click fills the form, on the next
    day the trip can still be booked (now is 10:52), and booking it books that trip."""
    at = bookings_page()
    at.text_input(key="ph_lookup").input(q)
    at.button(key="ph_lookup_go").click().run()
    no_exception(at)
    assert not at.error
    match = at.session_state["ph_matches"]
    assert [m["name"] for m in match] == ["鈴木 花子"]
    assert any("岩井堂 → 市出張所" in m.value and "09:10" in m.value for m in at.markdown)
    at.button(key=f"ph_use_{match[0]['id']}").click().run()
    no_exception(at)
    state = at.session_state
    assert (state["ph_name"], state["ph_phone"]) == ("鈴木 花子", "0848761002")
    assert (state["ph_origin"], state["ph_dest"]) == ("iwaido", "ichi_office")
    assert at.selectbox(key="ph_origin").value == "iwaido"
    assert (state["ph_time"], state["ph_adults"], state["ph_children"]) == (time(9, 10), 2, 0)
    assert state["ph_date"] == DAY.replace(day=DAY.day + 1)
    assert any("鈴木 花子" in i.value for i in at.info)
    at.button(key="ph_find").click().run()
    no_exception(at)
    assert not at.error, texts(at, "error")
    at.button(key="ph_confirm").click().run()
    no_exception(at)
    booked = at.session_state["ph_booked"]
    assert (booked["origin_stop_id"], booked["destination_stop_id"], booked["adults"]) == (
        "iwaido", "ichi_office", 2)
    assert booked["service_day"] == DAY.replace(day=DAY.day + 1).isoformat()
    api(console_env, "POST", f"/api/v1/operator/bookings/{booked['id']}/cancel")


@pytest.mark.parametrize("q", ["オカモト", "おかもとよしえ", "ｵｶﾓﾄ"])
def test_lookup_by_name_in_kana(console_env, kana_caller, q):
    """Katakana, hiragana or half-width kana find the caller and her usual trip."""
    at = bookings_page()
    at.text_input(key="ph_lookup").input(q)
    at.button(key="ph_lookup_go").click().run()
    no_exception(at)
    found = at.session_state["ph_matches"]
    assert [m["name"] for m in found] == ["岡本 良江"]
    usual = found[0]["usual_trip"]
    assert (usual["origin_stop_id"], usual["time"]) == ("shimosaburo", "13:30")
    assert any("下三郎 → 公立みつぎ総合病院" in m.value and "直近2回中2回" in m.value
               for m in at.markdown)


@pytest.mark.parametrize(("lang", "q", "want"), [
    ("ja", "12", "4桁以上"), ("en", "12", "at least 4 digits"),
    ("ja", "や", "2文字以上"), ("en", "や", "at least 2 characters")])
def test_lookup_refuses_bad_searches_in_the_chosen_language(console_env, lang, q, want):
    """A too-short search is refused with the API's message in the page's language."""
    at = bookings_page(lang)
    at.text_input(key="ph_lookup").input(q)
    at.button(key="ph_lookup_go").click().run()
    no_exception(at)
    assert any(want in e for e in texts(at, "error")), texts(at, "error")


def test_lookup_without_match_says_so(console_env):
    """An unknown caller is reported as such (to be entered as a new rider)."""
    at = bookings_page()
    at.text_input(key="ph_lookup").input("すずきいちろう")
    at.button(key="ph_lookup_go").click().run()
    no_exception(at)
    assert any("該当するお客様はいません" in i for i in texts(at, "info"))


@pytest.mark.parametrize("q", ["びょういん", "ビョウイン", "病院"])
def test_stop_picker_filters_by_kana(console_env, q):
    """Typing a reading narrows the stop picker to the stops it names (kana or kanji)."""
    at = bookings_page()
    at.text_input(key="ph_origin_q").input(q).run()
    no_exception(at)
    options = at.selectbox(key="ph_origin").options
    assert sorted(options) == sorted(["公立みつぎ総合病院（こうりつみつぎそうごうびょういん）",
                                      "みつぎ総合病院入口（みつぎそうごうびょういんいりぐち）"])
    at.text_input(key="ph_origin_q").input("zzz").run()
    assert len(at.selectbox(key="ph_origin").options) > 20
    assert any("zzz" in c.value for c in at.caption)


@pytest.mark.parametrize(("lang", "field", "value", "want"), [
    ("ja", None, None, "お名前を入力してください"),
    ("en", None, None, "Enter the caller's name"),
    ("ja", "ph_name", "試験 太郎", "電話番号を数字で入力してください"),
    ("en", "ph_name", "Test Taro", "Enter the phone number"),
])
def test_phone_form_messages_in_the_chosen_language(console_env, lang, field, value, want):
    """A missing name or phone is said in the page's language, and nothing is asked of the API."""
    before = len(api(console_env, "GET", "/api/v1/operator/bookings"))
    at = bookings_page(lang)
    if field:
        at.text_input(key=field).input(value)
    at.text_input(key="ph_phone").input("12-ab" if field else "")
    at.button(key="ph_find").click().run()
    no_exception(at)
    assert any(want in e for e in texts(at, "error")), texts(at, "error")
    assert "ph_offers" not in at.session_state
    assert len(api(console_env, "GET", "/api/v1/operator/bookings")) == before


def test_cancel_asks_first_and_can_be_called_off(console_env):
    """Cancel shows who and what will be cancelled and does nothing until confirmed; going
    back leaves the booking; confirming cancels it."""
    target = next(b for b in console_env.booked if b["rider_name"] == "山本 勇")
    at = bookings_page()
    at.selectbox(key="sel_booking").select(target["id"]).run()
    at.button(key="act_cancel").click().run()
    no_exception(at)
    warning = " ".join(texts(at, "warning"))
    assert "取り消しますか" in warning and "山本 勇" in warning and "中三郎" in warning
    assert api(console_env, "GET", f"/api/v1/bookings/{target['id']}")["status"] == "confirmed"
    at.button(key="confirm_back").click().run()
    assert not texts(at, "warning")
    assert api(console_env, "GET", f"/api/v1/bookings/{target['id']}")["status"] == "confirmed"
    at.button(key="act_cancel").click().run()
    at.button(key="confirm_yes").click().run()
    no_exception(at)
    assert api(console_env, "GET", f"/api/v1/bookings/{target['id']}")["status"] == "cancelled"
    assert any("取り消しました" in s for s in texts(at, "success"))


def test_no_show_asks_first_and_refusals_are_explained(console_env, live_api):
    """A no-show is asked to confirm; before the grace time the API's refusal is shown as a
    message; once the window has opened plus grace it is recorded."""
    _, clock = live_api
    target = next(b for b in console_env.booked if b["rider_name"] == "渡辺 正子")
    saved = clock.t
    try:
        from datetime import datetime

        clock.t = int(datetime.fromisoformat(target["pickup_window"][0]).timestamp()) + 60
        at = bookings_page("en")
        at.selectbox(key="sel_booking").select(target["id"]).run()
        at.button(key="act_no_show").click().run()
        assert any("Record this booking as a no-show?" in w for w in texts(at, "warning"))
        at.button(key="confirm_yes").click().run()
        no_exception(at)
        assert any("grace" in e for e in texts(at, "error")), texts(at, "error")
        assert api(console_env, "GET", f"/api/v1/bookings/{target['id']}")["status"] == "confirmed"
        clock.t += 300
        at = bookings_page("en")
        at.selectbox(key="sel_booking").select(target["id"]).run()
        at.button(key="act_no_show").click().run()
        at.button(key="confirm_yes").click().run()
        no_exception(at)
        assert api(console_env, "GET", f"/api/v1/bookings/{target['id']}")["status"] == "no_show"
    finally:
        clock.t = saved


RAW = re.compile(r"\b(bk|of|r)-[0-9a-f]{6,}|driver-|mitsugi-\d|\b\d{9,}\b|\b\d{2,3}\.\d{3,}\b|"
                 r"\b(booked|boarded|alighted|cancelled|no_show|ticket_\w+)\b")


def test_history_in_names_local_times_and_stop_names(console_env):
    """A driven booking's history reads as people read it: local times, what happened in
    Japanese, the vehicle's and people's names, the stops by name; no ids, epoch seconds,
    coordinates or event codes."""
    target = next(b for b in console_env.booked if b["rider_name"] == "佐藤 一郎")
    at = bookings_page()
    at.selectbox(key="sel_booking").select(target["id"]).run()
    no_exception(at)
    history = at.dataframe[1].value  # [0] is the bookings table
    cells = [str(c) for c in history.to_numpy().ravel()]
    assert not [c for c in cells if RAW.search(c)], [c for c in cells if RAW.search(c)]
    events = list(history["出来事"])
    assert events[:1] == ["予約"] and "乗車" in events and "降車" in events
    assert any(c.startswith("01/13 ") for c in history["時刻"])
    assert "本村で乗車" in list(history["内容"]) and "公立みつぎ総合病院で降車" in list(history["内容"])
    vehicle = {"mitsugi-1": "みつぎ1号", "mitsugi-2": "みつぎ2号", "mitsugi-3": "みつぎ福祉車両"}
    assert vehicle[target["vehicle_id"]] in list(history["車両"])
    assert "運行管理者" in list(history["操作者"])
    booked = history.iloc[0]["内容"]
    w = target["pickup_window"]
    assert f"お迎え {w[0][11:16]}〜{w[1][11:16]}" in booked and "電話" in booked
    table = at.dataframe[0].value
    assert not [c for c in map(str, table.to_numpy().ravel()) if RAW.search(c)]
