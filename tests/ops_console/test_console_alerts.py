"""The alerts panel on the live map, against the real API with a seeded day and events written
into the store as the engine writes them (promise_at_risk / promise_recovered, vehicle_late /
vehicle_on_time, no_show): only the current state of each booking and vehicle, newest first,
with riders', stops' and vehicles' names and local times."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from streamlit.testing.v1 import AppTest

from dispatcher.units import TOKYO
from tests.ops_console.signin import signed_in

VIEWS = Path(__file__).resolve().parents[2] / "ops_console" / "views"


def map_page(lang: str) -> AppTest:
    """The live map page (auto-refresh off), run once."""
    at = AppTest.from_file(str(VIEWS / "map.py"), default_timeout=60)
    at.session_state["lang"] = lang
    at.session_state["map_refresh"] = 0
    return signed_in(at).run()


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
