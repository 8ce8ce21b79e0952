"""The console on a deployment of two service areas (Mitsugi at the root, the example area
Kinosho-Harada under /a/kinoshou/), under AppTest against the real API: the sign-in page lists
both areas (Japanese name first, the example marked), signing in to the second area shows its
name and only its vehicles and bookings, and every call goes to its prefix; switching area is a
sign-in there, and switching back does not ask again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from dispatcher.api.app import create_app
from dispatcher.settings import Settings
from dispatcher.units import at_local
from ops_console.areas import Area, area_at, area_label, parse_areas
from ops_console.auth import AREA_KEY, CLIENTS_KEY, SESSION_KEY
from tests.api.conftest import DAY, TestClock, local
from tests.api.live import serve

CONSOLE = Path(__file__).resolve().parents[2] / "ops_console"
MITSUGI = "御調町 予約型乗合タクシー / Mitsugi Shared Taxi (on demand)"
KINOSHOU = "【例】木ノ庄・原田 予約型乗合タクシー / [Example] Kinosho-Harada Shared Taxi (on demand)"
#: (prefix, caller, origin, destination) of one phone booking in each area.
TRIPS = {"mitsugi": ("/a/mitsugi", "御調 一郎", "honmura", "hospital"),
         "kinoshou": ("/a/kinoshou", "木ノ庄 花子", "edakami", "minari")}


@pytest.fixture(scope="module")
def deployment(tmp_path_factory) -> Iterator[dict[str, Any]]:
    """A running two-area API (SQLite, test clock at 08:00) with one phone booking per area."""
    tmp = tmp_path_factory.mktemp("console-areas")
    clock = TestClock(at_local(DAY, time(8, 0)))
    settings = Settings(db=f"sqlite:///{tmp / 'noriai.db'}", data_dir=tmp, areas="kinoshou",
                        reopt_interval_s=0, standing_interval_s=0, secret_key="c" * 40,
                        operator_password="operator-dev", driver_password="driver-dev")
    with serve(create_app(settings, clock=clock, background=False)) as url, \
            httpx.Client(base_url=url, timeout=30) as c:
        booked = {}
        for area, (prefix, name, origin, dest) in TRIPS.items():
            r = c.post(f"{prefix}/api/v1/auth/login",
                       json={"login": "operator", "password": "operator-dev"})
            op = {"Authorization": f"Bearer {r.json()['access_token']}"}
            caller = {"name": name, "phone": "0848-76-9001"}
            offers = c.post(f"{prefix}/api/v1/operator/offers", headers=op, json={
                "origin": {"stop_id": origin}, "destination": {"stop_id": dest},
                "party": {"adults": 1}, "time": local(time(10, 0)), "caller": caller}).json()
            offer = (offers["offers"] or offers["alternatives"])[0]
            r = c.post(f"{prefix}/api/v1/operator/bookings", headers=op,
                       json={"offer_id": offer["id"], "caller": caller})
            assert r.status_code == 201, r.text
            booked[area] = r.json()
        yield {"url": url, "booked": booked}


@pytest.fixture
def env(deployment, monkeypatch) -> dict[str, Any]:
    monkeypatch.setenv("NORIAI_API_URL", deployment["url"])
    return deployment


def console(lang: str = "ja") -> AppTest:
    at = AppTest.from_file(str(CONSOLE / "app.py"), default_timeout=60)
    at.session_state["lang"] = lang
    return at.run()


def sign_in(at: AppTest, login: str = "operator", password: str = "operator-dev") -> AppTest:
    at.text_input(key="si_login").input(login)
    at.text_input(key="si_password").input(password)
    return at.button[0].click().run()


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_labels_and_urls_of_areas():
    """Japanese name first, then English; an example says so in the console's language; each
    area's API is under its prefix, the root being the first area's."""
    areas = parse_areas([
        {"id": "mitsugi", "name_ja": "御調", "name_en": "Mitsugi", "prefix": "/a/mitsugi",
         "default": True, "example": False},
        {"id": "kinoshou", "name_ja": "木ノ庄", "name_en": "Kinosho", "prefix": "/a/kinoshou",
         "default": False, "example": True}])
    assert [area_label(a, "ja") for a in areas] == [
        "御調 / Mitsugi", "木ノ庄 / Kinosho（例示用の地域・実際の運行ではありません）"]
    assert area_label(areas[1], "en") == "木ノ庄 / Kinosho (example area, not a running service)"
    assert areas[1].url("http://h:8000/") == "http://h:8000/a/kinoshou"
    assert area_at(areas, "http://h:8000", "http://h:8000") == areas[0]
    assert area_at(areas, "http://h:8000", "http://h:8000/a/kinoshou") == areas[1]
    assert area_at(areas, "http://h:8000", "http://elsewhere") is None
    assert area_label(Area("x", "", ""), "ja") == "x"


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_sign_in_page_lists_both_areas(env, lang):
    at = console(lang)
    ok(at)
    picker = at.selectbox(key="si_area")
    note = "（例示用の地域・実際の運行ではありません）" if lang == "ja" \
        else " (example area, not a running service)"
    assert picker.options == [MITSUGI, KINOSHOU + note]
    assert picker.value == "mitsugi"  # the deployment's first area unless another is picked
    assert picker.label == ("サービス地域" if lang == "ja" else "Service area")
    assert SESSION_KEY not in at.session_state


def test_signed_in_to_the_second_area_it_sees_only_its_own(env):
    at = console()
    at.selectbox(key="si_area").select("kinoshou").run()
    sign_in(at)
    ok(at)
    assert at.title[0].value == "運行マップ"
    assert at.caption[0].value.startswith(f"サービス地域: {KINOSHOU}")
    client = at.session_state[SESSION_KEY]
    assert client.config.url == env["url"] + "/a/kinoshou"

    at.switch_page("views/fleet.py").run()
    ok(at)
    assert at.caption[0].value.startswith(f"サービス地域: {KINOSHOU}")
    vehicles = set(at.dataframe[0].value.iloc[:, 0])
    assert vehicles == {"kinoshou-1", "kinoshou-2"}

    at.switch_page("views/bookings.py").run()
    ok(at)
    table = at.dataframe[0].value
    assert list(table["利用者"]) == ["木ノ庄 花子"]
    assert set(table["乗車地"]) == {"枝上"}
    ids = at.selectbox(key="sel_booking").options
    assert len(ids) == 1 and env["booked"]["mitsugi"]["id"] not in str(ids)


def test_switching_area_signs_in_there_and_back_without_asking(env):
    at = console()
    at.selectbox(key="si_area").select("kinoshou").run()
    sign_in(at)
    ok(at)
    kinoshou_client = at.session_state[SESSION_KEY]

    # Another area: its own sign-in (the accounts are the area's), the first area's kept.
    at.sidebar.selectbox(key="area_switch").select("mitsugi").run()
    ok(at)
    assert at.title[0].value == "運行管理コンソール　ログイン"
    assert at.selectbox(key="si_area").value == "mitsugi"
    assert any("ログイン済み" in o for o in at.selectbox(key="si_area").options)
    sign_in(at)
    ok(at)
    assert at.session_state[SESSION_KEY].config.url == env["url"] + "/a/mitsugi"
    at.switch_page("views/fleet.py").run()
    ok(at)
    assert set(at.dataframe[0].value.iloc[:, 0]) == {"mitsugi-1", "mitsugi-2", "mitsugi-3"}
    assert at.caption[0].value.startswith(f"サービス地域: {MITSUGI}")

    # Back to Kinosho-Harada: no sign-in asked, its own client again.
    at.sidebar.selectbox(key="area_switch").select("kinoshou").run()
    ok(at)
    assert at.title[0].value != "運行管理コンソール　ログイン"
    assert at.session_state[SESSION_KEY] is kinoshou_client
    assert at.session_state[AREA_KEY] == "kinoshou"
    assert set(at.session_state[CLIENTS_KEY]) == {"mitsugi", "kinoshou"}
    assert set(at.dataframe[0].value.iloc[:, 0]) == {"kinoshou-1", "kinoshou-2"}

    # Signing out ends every area's sign-in.
    at.sidebar.button(key="sign_out").click().run()
    ok(at)
    assert SESSION_KEY not in at.session_state and not at.session_state[CLIENTS_KEY]


def test_publishing_in_an_area_shows_the_combined_feed_of_both(env):
    """Signed in to the second area, the publishing page shows that area's feed and then the
    deployment's combined feed: both areas (in the deployment's order, the example marked),
    a valid export and the link at the deployment's root, not under the area's prefix."""
    at = console()
    at.selectbox(key="si_area").select("kinoshou").run()
    sign_in(at)
    at.switch_page("views/publishing.py").run()
    ok(at)
    assert "統合フィード（全地域）" in [h.value for h in at.subheader]
    areas = next(m.value for m in at.markdown if m.value.startswith("**含まれる地域**"))
    assert areas == (f"**含まれる地域**（2）: {MITSUGI}、{KINOSHOU}"
                     "（例示用の地域・実際の運行ではありません）")
    status = httpx.get(env["url"] + "/gtfs/combined/status", timeout=30).json()
    assert status["areas"] == ["mitsugi", "kinoshou"]
    assert any(c.value == f"sha256: {status['sha256']}" for c in at.code)
    assert any(f"({env['url']}/gtfs/combined/feed.zip)" in m.value for m in at.markdown)
    assert not any("/a/kinoshou/gtfs/combined" in m.value for m in at.markdown)
