"""Every console page under Streamlit's AppTest against the real API with a seeded day: the
pages render, a phone booking books a trip, cancel / move work, the KPIs shown match figures
computed here from the event log, publishing degrades to 未接続 without feed endpoints."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from statistics import mean
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from tests.api.conftest import DAY
from tests.ops_console.seed import api
from tests.ops_console.signin import signed_in

VIEWS = Path(__file__).resolve().parents[2] / "ops_console"
PAGES = ["map", "bookings", "fleet", "kpis", "publishing", "whatif"]


def page(name: str, lang: str = "ja") -> AppTest:
    """A console page, run once."""
    path = VIEWS / ("app.py" if name == "app" else f"views/{name}.py")
    at = AppTest.from_file(str(path), default_timeout=60)
    at.session_state["lang"] = lang
    return signed_in(at).run()


def chart_rows(chart: Any) -> list[dict[str, Any]]:
    """Every data row of a Vega-Lite chart element (Streamlit ships its datasets as Arrow)."""
    import pyarrow as pa

    return [r for ds in chart.proto.datasets
            for r in pa.ipc.open_stream(ds.data.data).read_all().to_pylist()]


def no_errors(at: AppTest) -> None:
    """No exception and no API error box on the page."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


@pytest.mark.parametrize("name", ["app", *PAGES])
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_pages_render(console_env, name, lang):
    """Each page (and the entry with its navigation) renders in both languages without an error."""
    at = page(name, lang)
    no_errors(at)
    titles = {"ja": "運行マップ", "en": "Live map"}
    if name in ("app", "map"):
        assert at.title[0].value == titles[lang]


def test_map_layers_hold_the_fleet(console_env):
    """The map's deck has the road network as its base layer, every vehicle with its occupancy,
    the planned routes, and the pickups still to come (one of them waiting, window open)."""
    at = page("map")
    no_errors(at)
    deck = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    layers = {layer["id"]: layer for layer in deck["layers"]}
    assert len(layers["roads"]["data"]) > 100
    vehicles = api(console_env, "GET", "/api/v1/operator/vehicles")
    assert sorted(v["id"] for v in layers["vehicles"]["data"]) == sorted(v["id"] for v in vehicles)
    assert all(len(r["path"]) >= 2 for r in layers["routes"]["data"])
    open_pickups = api(console_env, "GET", "/api/v1/operator/bookings",
                       params={"day": DAY.isoformat(), "status": "confirmed"})
    assert len(layers["pickups"]["data"]) == len(open_pickups)
    assert any(p["waiting"] for p in layers["pickups"]["data"])
    assert "mapStyle" in deck and "cartocdn" not in deck["mapStyle"]  # nothing from the web


def test_phone_booking_books_a_trip(console_env):
    """An operator types in a caller, looks for offers, picks one and confirms: the API then
    has the booking, by phone, for that caller, with the chosen offer's window."""
    at = page("bookings")
    at.text_input(key="ph_name").input("岡田 光子")
    at.text_input(key="ph_phone").input("0848-76-2001")
    at.selectbox(key="ph_origin").select("kumon_higashi")
    at.selectbox(key="ph_dest").select("hospital")
    at.date_input(key="ph_date").set_value(DAY)
    at.time_input(key="ph_time").set_value(datetime(2027, 1, 13, 14, 30).time())
    at.button(key="ph_find").click().run()
    no_errors(at)
    choice = at.radio(key="ph_choice")
    assert choice.options, "offers are listed"
    chosen = choice.value
    at.button(key="ph_confirm").click().run()
    no_errors(at)
    booked = at.session_state["ph_booked"]
    assert booked["id"] and any("岡田 光子" in s.value and "公文東" in s.value for s in at.success)
    rows = api(console_env, "GET", "/api/v1/operator/bookings", params={"rider": "岡田 光子"})
    assert [r["id"] for r in rows] == [booked["id"]]
    assert rows[0]["channel"] == "phone" and rows[0]["status"] == "confirmed"
    assert chosen  # the radio held an offer id that was booked
    events = api(console_env, "GET", f"/api/v1/operator/bookings/{booked['id']}/events")
    assert events[0]["type"] == "booked"


def test_cancel_and_move_from_details(console_env):
    """From a booking's details the operator moves it to another vehicle and then cancels it
    (after confirming); the API shows both, and the details show the event history."""
    target = next(b for b in console_env.booked if b["rider_name"] == "中村 和子")
    at = page("bookings")
    at.selectbox(key="sel_booking").select(target["id"]).run()
    no_errors(at)
    history = at.dataframe[1].value  # [0] is the bookings table
    assert "予約" in list(history.iloc[:, 1])
    dest = next(v for v in ("mitsugi-1", "mitsugi-2", "mitsugi-3") if v != target["vehicle_id"])
    at.selectbox(key="act_move_to").select(dest)
    at.button(key="act_move").click().run()
    no_errors(at)
    after = api(console_env, "GET", f"/api/v1/bookings/{target['id']}")
    assert after["vehicle_id"] == dest
    at.selectbox(key="sel_booking").select(target["id"]).run()
    at.button(key="act_cancel").click().run()
    at.button(key="confirm_yes").click().run()
    no_errors(at)
    assert api(console_env, "GET", f"/api/v1/bookings/{target['id']}")["status"] == "cancelled"
    types = [e["type"] for e in api(console_env, "GET",
                                    f"/api/v1/operator/bookings/{target['id']}/events")]
    assert "moved" in types and types[-1] == "cancelled"


def figures_from_log(seeded, day: date) -> dict[str, float]:
    """The day's indicators computed here from the event log and the bookings (not dispatcher.kpis)."""
    events = [e for e in api(seeded, "GET", "/api/v1/operator/events", params={"limit": 5000})
              if datetime.fromisoformat(e["at"]).date() == day]
    bookings = api(seeded, "GET", "/api/v1/operator/bookings", params={"day": day.isoformat()})
    by_id = {b["id"]: b for b in bookings}
    boarded = {e["booking_id"]: datetime.fromisoformat(e["at"]) for e in events if e["type"] == "boarded"}
    alighted = {e["booking_id"]: datetime.fromisoformat(e["at"]) for e in events
                if e["type"] == "alighted"}
    waits = [(t - datetime.fromisoformat(by_id[b]["pickup_window"][0])).total_seconds()
             for b, t in boarded.items()]
    on_time = [t <= datetime.fromisoformat(by_id[b]["pickup_window"][1]) for b, t in boarded.items()]
    rides = [(alighted[b] - boarded[b]).total_seconds() for b in alighted]
    legs = [e["data"] for e in events if e["type"] == "leg"]
    done = [by_id[b] for b in alighted]
    return {
        "requests": sum(1 for e in events if e["type"] in ("offered", "refused")),
        "accepted": len(bookings),
        "refused": sum(1 for e in events if e["type"] == "refused"),
        "completed": len(done),
        "riders_carried": sum(b["adults"] + b["children"] + b["infants"] + b["wheelchairs"]
                              for b in done),
        "no_shows": sum(1 for e in events if e["type"] == "no_show"),
        "cancellations": len({e["booking_id"] for e in events if e["type"] == "cancelled"}),
        "wait_mean_s": mean(waits),
        "on_time_rate": sum(on_time) / len(on_time),
        "ride_mean_s": mean(rides),
        "vehicle_km": sum(leg["distance_m"] for leg in legs) / 1000,
        "empty_km": sum(leg["distance_m"] for leg in legs if not leg["load"]) / 1000,
    }


def test_kpis_match_the_event_log(console_env):
    """The KPI page's numbers equal the figures this test computes from the event log: counts,
    riders carried, mean wait against the promise, on-time rate, ride time, kilometres."""
    at = page("kpis")
    no_errors(at)
    want = figures_from_log(console_env, DAY)
    assert want["completed"] >= 3 and want["refused"] >= 1 and want["vehicle_km"] > 0
    table = next(d.value for d in at.dataframe if d.value.index.name == "key")
    shown = table["値"]
    assert shown["requests"] == shown["accepted"] + shown["refused"] + shown["abandoned"]
    assert table.loc["occupancy_mean", "定義"] and table.loc["shared_ride_rate", "定義"]
    for key in ("requests", "accepted", "refused", "completed", "riders_carried", "no_shows",
                "cancellations"):
        assert shown[key] == want[key], key
    assert shown["wait_mean_s"] == pytest.approx(want["wait_mean_s"] / 60, abs=0.051)
    assert shown["ride_mean_s"] == pytest.approx(want["ride_mean_s"] / 60, abs=0.051)
    assert shown["on_time_rate"] == pytest.approx(100 * want["on_time_rate"], abs=0.051)
    assert shown["vehicle_km"] == pytest.approx(want["vehicle_km"], abs=0.051)
    assert shown["empty_km"] == pytest.approx(want["empty_km"], abs=0.051)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["輸送人員"] == f"{int(want['riders_carried'])}人"
    assert metrics["依頼数"] == f"{int(want['requests'])}件"


@pytest.mark.parametrize(("lang", "want"), [("ja", "期間が不正です"), ("en", "The range is not valid")])
def test_kpi_range_backwards_is_explained(console_env, lang, want):
    """An end before the start is a message in the chosen language, not a traceback."""
    at = page("kpis", lang)
    at.date_input(key="kpi_end").set_value(DAY.replace(day=DAY.day - 1)).run()
    assert not at.exception
    assert any(want in e.value for e in at.error), [e.value for e in at.error]
    assert not at.metric


def test_kpi_exports(console_env):
    """The KPI page offers the CSV, and builds the monthly report as HTML and PDF: only the
    month's operating days (no weekends, 1/1–1/3, nor 成人の日 1/11), the fare revenue of the
    completed trips, refusals by reason, use per district and per stop (unused stops too)."""
    at = page("kpis")
    at.button(key="report_make").click().run()
    no_errors(at)
    report = at.session_state["report"]
    assert report["pdf"].startswith(b"%PDF")
    html = report["html"]
    assert "運行実績報告（2027年1月）" in html
    days = [d["start"] for d in report["days"]]
    assert len(days) == 19 and days[0] == "2027-01-04" and "2027-01-11" not in days
    assert not [d for d in days if date.fromisoformat(d).weekday() >= 5]
    assert "1/13（水）" in html and "1/11" not in html and "1/9（" not in html
    assert "運行日 19日" in html
    bookings = api(console_env, "GET", "/api/v1/operator/bookings", params={"day": DAY.isoformat()})
    fares = sum(b["fare"] for b in bookings if b["status"] == "completed")
    assert fares > 0 and f"<b>{fares:,}円</b>" in html
    assert "運行時間外" in html  # the seeded refusal, by reason
    assert "地区別の利用" in html and "中心部（市・病院周辺）" in html
    assert "乗り場別の利用" in html and "三郎の滝入口" in html  # an unused stop, listed with 0
    assert "相乗り率" in html and "別の予約のお客様が同乗" in html  # definitions printed
    csv_text = at.get("download_button")[0].proto
    assert csv_text is not None


def test_fleet_shows_plan_timeline(console_env):
    """The fleet page draws the day's timeline under the vehicles' names: what was driven this
    morning (rides done with their pickups and drop-offs, legs, the no-show) beside the plan,
    and a line at now; it lists shifts and drivers by vehicle name."""
    at = page("fleet")
    no_errors(at)
    charts = at.get("vega_lite_chart")
    assert charts, "the plan timeline"
    spec = json.loads(charts[0].proto.spec)
    assert len(spec["layer"]) == 7  # shift+break, driven, windows, rides, stops, no-show, now
    assert spec["layer"][-1]["mark"]["type"] == "rule"
    rows = chart_rows(charts[0])
    kinds = {r.get("kind") for r in rows}
    assert {"乗車（実績）", "お迎え（実績）", "お送り（実績）", "走行（実績）", "無断不在",
            "お迎え時間帯", "乗車（予定）"} <= kinds
    assert {r["vehicle"] for r in rows if "vehicle" in r} <= {"みつぎ1号", "みつぎ2号", "みつぎ福祉車両"}
    now = [r for r in rows if str(r.get("label", "")).startswith("現在")]
    assert now and now[0]["label"] == "現在 10:52"
    done = sum(1 for r in rows if r.get("kind") == "乗車（実績）")
    assert done == len(console_env.completed)
    shifts = at.dataframe[1].value  # vehicles, shifts, drivers
    assert len(shifts) == 3 and set(shifts.iloc[:, 0]) == {"みつぎ1号", "みつぎ2号", "みつぎ福祉車両"}
    drivers = at.dataframe[2].value
    assert "みつぎ1号 運転手" in list(drivers.iloc[:, 0])


def test_publishing_shows_the_feed_and_reexports(console_env):
    """The page shows the served feed's export (digest, zero validator errors) and re-exports it."""
    at = page("publishing")
    no_errors(at)
    assert not any("未接続" in i.value for i in at.info)
    assert any("sha256:" in c.value and len(c.value.split()[-1]) == 64 for c in at.code)
    assert not at.error
    button = at.button(key="feed_export")
    assert not button.disabled
    at = button.click().run()
    no_errors(at)
    assert any("sha256:" in c.value for c in at.code)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_publishing_shows_the_combined_feed(console_env, lang):
    """Below the area's feed, the deployment's combined feed: its heading, the areas it holds
    (here the one area), last export, a valid verdict, size, window, and the link to
    /gtfs/combined/feed.zip at the API's root, in the chosen language."""
    at = page("publishing", lang)
    no_errors(at)
    heading = {"ja": "統合フィード（全地域）", "en": "Combined feed (all areas)"}[lang]
    assert heading in [h.value for h in at.subheader]
    status = api(console_env, "GET", "/gtfs/combined/status")
    areas = {"ja": "**含まれる地域**（1）: 御調町", "en": "**Areas included** (1): 御調町"}[lang]
    assert any(m.value.startswith(areas) for m in at.markdown), [m.value for m in at.markdown]
    metrics = {m.label: m.value for m in at.metric}
    labels = {"ja": ("最終出力", "検証結果", "サイズ", "有効期間", "問題なし"),
              "en": ("Last export", "Validation", "Size", "Valid dates", "Valid")}[lang]
    assert metrics[labels[0]] == status["exported_at"]
    assert metrics[labels[1]] == labels[4]
    assert metrics[labels[2]].endswith("kB")
    assert metrics[labels[3]] == f"{status['start']} – {status['end']}"
    assert any(c.value == f"sha256: {status['sha256']}" for c in at.code)
    link = f"({console_env.url}/gtfs/combined/feed.zip)"
    assert any(link in m.value for m in at.markdown)
