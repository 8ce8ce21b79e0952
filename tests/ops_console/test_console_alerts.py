"""The alerts panel on the live map, against the real API with a seeded day and events written
into the store as the engine writes them (promise_at_risk / promise_recovered, vehicle_late /
vehicle_on_time, no_show): only the current state of each booking and vehicle, newest first,
with riders', stops' and vehicles' names and local times."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from dispatcher.store import repo
from dispatcher.units import TOKYO, at_local
from tests.api.conftest import DAY

VIEWS = Path(__file__).resolve().parents[2] / "ops_console" / "views"


def at_time(hh: int, mm: int) -> datetime:
    """An aware datetime of the test day (local clock)."""
    return datetime.fromtimestamp(at_local(DAY, time(hh, mm)), tz=UTC)


@pytest.fixture(scope="module")
def alert_events(seeded, console_db_url) -> dict[str, Any]:
    """Events of promises and vehicles written into the store (as another part of the service
    writes them), on top of the seeded day's no-show."""
    by_name = {b["rider_name"]: b for b in seeded.booked}
    yamamoto, nakamura, sato = by_name["山本 勇"], by_name["中村 和子"], by_name["佐藤 一郎"]
    promised = int(datetime.fromisoformat(yamamoto["pickup_window"][1]).timestamp())
    engine = create_engine(console_db_url)
    with Session(engine) as s, s.begin():
        add = repo.add_event
        add(s, "promise_at_risk", booking_id=yamamoto["id"], vehicle_id=yamamoto["vehicle_id"],
            at=at_time(10, 45), what="pickup", level="at_risk", late_s=240,
            expected_at=promised + 240, promised_by=promised)
        add(s, "promise_at_risk", booking_id=nakamura["id"], vehicle_id=nakamura["vehicle_id"],
            at=at_time(10, 46), what="dropoff", level="at_risk", late_s=120,
            expected_at=promised, promised_by=promised)
        add(s, "promise_recovered", booking_id=nakamura["id"], vehicle_id=nakamura["vehicle_id"],
            at=at_time(10, 47))
        add(s, "promise_at_risk", booking_id=sato["id"], vehicle_id=sato["vehicle_id"],
            at=at_time(9, 15), what="dropoff", level="late", late_s=300,
            expected_at=promised, promised_by=promised)
        add(s, "vehicle_late", vehicle_id="mitsugi-2", at=at_time(10, 48), late_s=600)
        add(s, "vehicle_late", vehicle_id="mitsugi-3", at=at_time(10, 30), late_s=300)
        add(s, "vehicle_on_time", vehicle_id="mitsugi-3", at=at_time(10, 40))
        add(s, "promise_at_risk", booking_id=yamamoto["id"], vehicle_id=yamamoto["vehicle_id"],
            at=at_time(10, 50), what="pickup", level="late", late_s=420,
            expected_at=promised + 420, promised_by=promised)
    engine.dispose()
    return {"promised": promised, "yamamoto": yamamoto}


def map_page(lang: str) -> AppTest:
    """The live map page (auto-refresh off), run once."""
    at = AppTest.from_file(str(VIEWS / "map.py"), default_timeout=60)
    at.session_state["lang"] = lang
    at.session_state["map_refresh"] = 0
    return at.run()


def panel_lines(at: AppTest) -> list[str]:
    """The alert lines of the panel (markdown with a badge), top to bottom."""
    return [m.value for m in at.markdown if "-badge[" in m.value]


def test_alerts_panel_shows_the_current_state_newest_first(console_env, alert_events):
    """山本's pickup, first at risk then late, shows once as late by 7 minutes with its
    expected and promised times; みつぎ2号 is 10 minutes behind; 田中's no-show is listed.
    Cleared alerts (a recovered promise, a vehicle back on time, a finished trip) are not."""
    at = map_page("ja")
    assert not at.exception and not at.error
    lines = panel_lines(at)
    assert len(lines) == 3, lines
    promised = datetime.fromtimestamp(alert_events["promised"], tz=TOKYO).strftime("%H:%M")
    expected = datetime.fromtimestamp(alert_events["promised"] + 420, tz=TOKYO).strftime("%H:%M")
    assert lines[0].startswith(":red-badge[遅れ] 10:50") and "山本 勇" in lines[0]
    assert "（中三郎）" in lines[0] and "お迎え：遅れ 7分" in lines[0]
    assert f"見込み {expected}／約束 {promised}まで" in lines[0]
    assert {"mitsugi-1": "みつぎ1号", "mitsugi-2": "みつぎ2号", "mitsugi-3": "みつぎ福祉車両"}[
        alert_events["yamamoto"]["vehicle_id"]] in lines[0]
    assert lines[1].startswith(":violet-badge[車両の遅れ] 10:48") and "みつぎ2号" in lines[1]
    assert "10分の遅れ" in lines[1]
    assert lines[2].startswith(":gray-badge[無断不在]") and "田中 三枝" in lines[2]
    assert "（末政）" in lines[2]
    text = " ".join(lines)
    assert "中村 和子" not in text and "佐藤 一郎" not in text and "10:30" not in text
    assert "bk-" not in text and "mitsugi-" not in text
    assert any("アラート（3）" in m.value for m in at.markdown)


def test_alerts_panel_in_english(console_env, alert_events):
    """The same alerts read in English."""
    lines = panel_lines(map_page("en"))
    assert lines[0].startswith(":red-badge[Late] 10:50") and "pickup: late 7 min" in lines[0]
    assert lines[1].startswith(":violet-badge[Vehicle late]") and "behind the plan" in lines[1]
    assert lines[2].startswith(":gray-badge[No-show]") and "(Suemasa)" in lines[2]


def test_map_labels_vehicles_by_name_in_colours_apart_from_the_legend(console_env):
    """Each vehicle's label carries its name and load; vehicle colours are none of the legend's
    pickup, stop or road colours, and the legend names each vehicle in its colour."""
    import json

    at = map_page("ja")
    deck = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    layers = {layer["id"]: layer for layer in deck["layers"]}
    labels = [r["label"] for r in layers["vehicle-labels"]["data"]]
    assert sorted(label.split()[0] for label in labels) == ["みつぎ1号", "みつぎ2号", "みつぎ福祉車両"]
    assert layers["vehicle-labels"]["characterSet"] == "auto"
    colours = [tuple(r["colour"]) for r in layers["vehicles"]["data"]]
    assert len(set(colours)) == 3
    reserved = [(230, 30, 30), (255, 165, 0), (60, 60, 60), (150, 150, 150)]
    for c in colours:
        assert all(sum(abs(a - b) for a, b in zip(c, r, strict=True)) > 120 for r in reserved), c
    legend = " ".join(m.value for m in at.markdown)
    assert "みつぎ1号" in legend and "#1f77b4" in legend
