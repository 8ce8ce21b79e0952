"""The console's pure builders: road polylines, map fitting and labels, KPI formatting and
CSV, the Gantt rows, the feed status view, and the monthly report."""

from __future__ import annotations

import io
import re
from datetime import date
from itertools import pairwise

import numpy as np
import pandas as pd

from dispatcher.api.map_lines import road_lines
from ops_console.charts import gantt_rows
from ops_console.feed import combined_view, feed_view, size_text
from ops_console.mapview import fit_zoom, stack_labels
from ops_console.report import report_html, report_pdf
from ops_console.tables import kpi_csv, kpi_text, kpi_value


def csr(n: int, edges: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """CSR arrays of a directed edge list."""
    order = sorted(edges)
    indptr = np.zeros(n + 1, dtype=np.int64)
    for u, _ in order:
        indptr[u + 1] += 1
    return np.cumsum(indptr), np.array([v for _, v in order], dtype=np.int64)


def test_road_lines_cover_each_road_once():
    """Two-way roads become one line each; chains through degree-2 nodes merge; a loop is kept."""
    # A path 0-1-2-3 (two-way), a branch 1-4 (one-way), a triangle 5-6-7 (two-way).
    edges = [(0, 1), (1, 0), (1, 2), (2, 1), (2, 3), (3, 2), (1, 4), (5, 6), (6, 5), (6, 7),
             (7, 6), (7, 5), (5, 7)]
    indptr, indices = csr(8, edges)
    lat = np.arange(8, dtype=float)
    lines = road_lines(lat, lat * 2, indptr, indices)
    segments = {frozenset((round(a[0]), round(b[0]))) for line in lines
                for a, b in pairwise(line)}
    assert segments == {frozenset(e) for e in edges}
    assert sum(len(line) - 1 for line in lines) == len(segments)  # no road drawn twice
    assert [[2.0, 4.0], [3.0, 6.0]] in [line[-2:] for line in lines]  # 1-2-3 merged into one line


def test_fit_zoom_and_stacked_labels():
    """The fitted view shows the bounds; labels of vehicles at one place stack, never overlap."""
    z = fit_zoom((34.47, 34.55, 133.13, 133.20), 1000, 640)
    world_px = 512 * 2**z
    assert 0.08 / 360 * world_px / 0.824 <= 640 and 0.07 / 360 * world_px <= 1000
    rows = [{"position": [133.15, 34.51]}, {"position": [133.1501, 34.5101]},
            {"position": [133.19, 34.54]}]
    out = stack_labels(rows, near_deg=0.001)
    assert out[0]["label_position"] == out[1]["label_position"]
    assert out[0]["offset"] != out[1]["offset"]
    assert out[2]["offset"] == [18, 0]


def test_kpi_units_and_csv():
    """Indicators are shown in minutes, percent and km; the CSV keeps API units, per day and total."""
    assert kpi_value("wait_mean_s", 90) == 1.5 and kpi_text("wait_mean_s", 90) == "1.5分"
    assert kpi_text("on_time_rate", 0.875, "en") == "87.5%"
    day = {"start": "2027-01-13", "end": "2027-01-13", "requests": 3, "refused_reasons":
           {"service_hours": 1}, "by_channel": {"phone": 2}}
    frame = pd.read_csv(io.StringIO(kpi_csv([day], {**day, "end": "2027-01-14"})))
    assert list(frame["requests"]) == [3, 3]
    assert frame["refused_service_hours"].tolist() == [1, 1] and "channel_phone" in frame


def test_gantt_rows_flag_late_pickups():
    """A pickup whose ETA is after its promised window is flagged late; breaks use the shift's minutes."""
    plan = {"vehicle_id": "v1", "shift": ["2027-01-13T08:00:00+09:00", "2027-01-13T17:00:00+09:00"],
            "breaks": ["2027-01-13T12:00:00+09:00"], "stops": [
                {"booking_id": "b1", "kind": "pickup", "eta": "2027-01-13T09:15:00+09:00",
                 "window": ["2027-01-13T09:00:00+09:00", "2027-01-13T09:10:00+09:00"],
                 "name_ja": "本村", "name_en": "Honmura"},
                {"booking_id": "b1", "kind": "dropoff", "eta": "2027-01-13T09:30:00+09:00",
                 "latest": "2027-01-13T09:40:00+09:00", "name_ja": "病院", "name_en": "Hospital"}]}
    rows = gantt_rows([plan], [{"vehicle_id": "v1", "break_minutes": 45}])
    window = rows[rows["kind"] == "お迎え時間帯"].iloc[0]
    assert bool(window["late"]) and str(window["start"]) == "2027-01-13 09:00:00"
    brk = rows[rows["kind"] == "休憩"].iloc[0]
    assert (brk["end"] - brk["start"]).total_seconds() == 45 * 60
    assert not rows[rows["kind"] == "お送り（予定）"].iloc[0]["late"]


def test_gantt_rows_keep_the_past_under_vehicle_names():
    """What was driven stays on the timeline: legs, a finished ride with its actual pickup and
    drop-off, an on-board rider's ride up to the planned drop-off, a no-show; rows are named
    by vehicle name, never id."""
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Tokyo")
    t0 = int(pd.Timestamp("2027-01-13T09:00:00+09:00").timestamp())
    plan = {"vehicle_id": "v1", "shift": ["2027-01-13T08:00:00+09:00", "2027-01-13T17:00:00+09:00"],
            "breaks": [], "stops": [
                {"booking_id": "b2", "kind": "dropoff", "eta": "2027-01-13T10:20:00+09:00",
                 "latest": "2027-01-13T10:30:00+09:00", "name_ja": "病院", "name_en": "Hospital",
                 "rider_name": "鈴木"}]}
    bookings = [{"id": "b1", "vehicle_id": "v1", "rider_name": "佐藤",
                 "picked_up_at": "2027-01-13T09:02:00+09:00",
                 "dropped_off_at": "2027-01-13T09:20:00+09:00"},
                {"id": "b2", "vehicle_id": "v1", "rider_name": "鈴木",
                 "picked_up_at": "2027-01-13T10:01:00+09:00", "dropped_off_at": None},
                {"id": "b3", "vehicle_id": "v1", "rider_name": "田中"}]
    events = [{"type": "leg", "vehicle_id": "v1", "at": "2027-01-13T09:02:00+09:00",
               "data": {"start_s": t0 - 600, "end_s": t0 + 120, "distance_m": 4200, "load": 0}},
              {"type": "no_show", "vehicle_id": "v1", "booking_id": "b3",
               "at": "2027-01-13T09:45:00+09:00", "data": {}}]
    rows = gantt_rows([plan], [], bookings=bookings, events=events,
                      vehicle_names={"v1": "みつぎ1号"}, tz=tz)
    assert set(rows["vehicle"]) == {"みつぎ1号"}
    by = {k: rows[rows["kind"] == k] for k in set(rows["kind"])}
    leg = by["走行（実績）"].iloc[0]
    assert str(leg["start"]) == "2027-01-13 08:50:00" and "4.2 km" in leg["label"]
    done = by["乗車（実績）"].iloc[0]
    assert (str(done["start"]), str(done["end"])) == ("2027-01-13 09:02:00", "2027-01-13 09:20:00")
    assert len(by["お迎え（実績）"]) == 2 and len(by["お送り（実績）"]) == 1
    onboard = by["乗車（予定）"].iloc[0]  # from the actual pickup to the planned drop-off
    assert (str(onboard["start"]), str(onboard["end"])) == ("2027-01-13 10:01:00",
                                                            "2027-01-13 10:20:00")
    assert "田中" in by["無断不在"].iloc[0]["label"]


def test_gantt_chart_draws_a_now_line():
    """Given now, the chart has a red rule at that time; without, none."""

    from ops_console.charts import gantt_chart

    plan = {"vehicle_id": "v1", "shift": ["2027-01-13T08:00:00+09:00", "2027-01-13T17:00:00+09:00"],
            "breaks": [], "stops": []}
    rows = gantt_rows([plan], [], vehicle_names={"v1": "みつぎ1号"})
    now = pd.Timestamp("2027-01-13 10:52").to_pydatetime()
    spec = gantt_chart(rows, "ja", now=now).to_dict()
    rules = [layer for layer in spec["layer"] if layer["mark"].get("type") == "rule"]
    assert len(rules) == 1 and rules[0]["mark"]["color"] == "#d62728"
    values = next(v for k, v in spec["datasets"].items()
                  if v and "label" in v[0] and v[0]["label"].startswith("現在"))
    assert values[0]["label"] == "現在 10:52"
    assert not [la for la in gantt_chart(rows, "ja").to_dict()["layer"]
                if la["mark"].get("type") == "rule"]


def test_vehicle_colours_keep_away_from_the_legend():
    """No vehicle colour is near the waiting (red) or upcoming (orange) pickups, the stops or
    the roads; the legend lists each vehicle with the colour the map gives it."""
    from ops_console.mapview import PALETTE, ROAD, STOP, UPCOMING, WAITING, legend_items

    for c in PALETTE:
        for r in (WAITING, UPCOMING, STOP, ROAD):
            assert sum(abs(a - b) for a, b in zip(c, r, strict=True)) > 120, (c, r)
    items = legend_items([{"id": "mitsugi-2", "name": "みつぎ2号"},
                          {"id": "mitsugi-1", "name": "みつぎ1号"}])
    assert items == [("#1f77b4", "みつぎ1号"), ("#7538ab", "みつぎ2号")]


def test_alerts_clear_when_the_booking_moves_on():
    """A pickup at risk ends once the rider is on board; a drop-off at risk stays until the
    trip ends; an unknown booking still shows; a no-show undone leaves the list."""
    from zoneinfo import ZoneInfo

    from ops_console.alerts import current_alerts

    def ev(i: int, kind: str, bid: str | None, **data) -> dict:
        return {"id": i, "type": kind, "booking_id": bid, "vehicle_id": "v1",
                "at": f"2027-01-13T10:{i:02d}:00+09:00", "data": data}

    events = [ev(1, "promise_at_risk", "b1", what="pickup", level="late", late_s=300),
              ev(2, "promise_at_risk", "b2", what="dropoff", level="at_risk", late_s=60),
              ev(3, "promise_at_risk", "bx", what="ride", level="at_risk", late_s=90),
              ev(4, "no_show", "b3")]
    bookings = {"b1": {"status": "onboard", "rider_name": "A"},
                "b2": {"status": "onboard", "rider_name": "B", "destination_stop_id": "s"},
                "b3": {"status": "confirmed", "rider_name": "C"}}
    stops = {"s": {"name_ja": "病院", "name_en": "Hospital"}}
    alerts = current_alerts(events, bookings, {"v1": "1号"}, stops, ZoneInfo("Asia/Tokyo"))
    assert [(a.who, a.where, a.level) for a in alerts] == [("—", "", "at_risk"),
                                                           ("B", "病院", "at_risk")]


def test_history_names_who_acted_and_where():
    """History rows name the actor (a person, the rider, the optimiser, the system), the
    vehicles of a move, the stops of arrivals before and after boarding, payments in yen."""
    from zoneinfo import ZoneInfo

    from ops_console.tables import history_frame

    booking = {"rider_name": "佐藤 一郎", "origin_stop_id": "a", "destination_stop_id": "b"}
    stops = {"a": {"name_ja": "本村", "name_en": "Honmura"},
             "b": {"name_ja": "病院", "name_en": "Hospital"}}
    names = {"v1": "みつぎ1号", "v2": "みつぎ2号"}

    def ev(kind: str, actor: str | None, role: str | None = None, name: str | None = None,
           vehicle: str = "v1", **data) -> dict:
        return {"at": "2027-01-13T09:00:00+09:00", "type": kind, "vehicle_id": vehicle,
                "actor_id": actor, "actor_role": role, "actor_name": name, "data": data}

    events = [ev("moved", "optimizer", vehicle="v2", from_vehicle="v1"),
              ev("cancelled", "r-1", "rider", "佐藤 一郎", by="rider", late=True),
              ev("arrived", "driver-v2", "driver", "みつぎ2号 運転手", vehicle="v2"),
              ev("boarded", "driver-v2", "driver", "みつぎ2号 運転手", vehicle="v2"),
              ev("arrived", "driver-v2", "driver", "みつぎ2号 運転手", vehicle="v2"),
              ev("payment", None, status="paid_cash_onboard", amount=300),
              ev("something_new", None, value=1_800_000_000)]
    frame = history_frame(events, booking, stops, names, ZoneInfo("Asia/Tokyo"))
    rows = frame.values.tolist()
    assert rows[0][1:] == ["車両の変更", "みつぎ2号", "自動配車", "みつぎ1号 → みつぎ2号"]
    assert rows[1][3:] == ["佐藤 一郎（ご本人）", "ご本人から・直前の取消"]
    assert [r[4] for r in rows[2:5]] == ["本村", "本村で乗車", "病院"]
    assert rows[5][3:] == ["システム", "車内で現金 300円"]
    assert rows[6][1] == "その他の記録" and rows[6][4] == ""  # no raw codes or values shown


def test_hours_are_read_leniently_and_checked():
    """Service hours in half- or full-width, with 〜, become HH:MM-HH:MM; others are None."""
    from ops_console.tables import parse_hours

    assert parse_hours("8:30-17:00") == "08:30-17:00"
    assert parse_hours("０８：００〜１７：００") == "08:00-17:00"
    for bad in ("", "17:00-08:00", "08:00-25:00", "08:60-09:00", "8時-17時", "08:00"):
        assert parse_hours(bad) is None, bad


def test_feed_view_reads_both_shapes():
    """The feed status is read with findings at the top level or under ``validation``."""
    flat = feed_view({"exported_at": "2027-01-13T08:00:00+09:00", "sha256": "ab", "errors": [],
                      "warnings": [{"file": "stops.txt", "message": "far stop"}]})
    assert flat.valid and flat.warnings == ["stops.txt: far stop"]
    nested = feed_view({"last_export": "t", "validation": {"valid": False, "errors": ["bad"]}})
    assert not nested.valid and nested.errors == ["bad"] and nested.exported_at == "t"


def test_monthly_report():
    """The monthly report has the month's totals (with definitions), each operating day by
    date and weekday, fare revenue, refusals by reason with shares, use per district and per
    stop (unused places with 0), as HTML and as a PDF with a Japanese font embedded (the
    system's Noto Sans CJK, else the shipped IPAexGothic)."""
    days = [{"start": f"2027-01-{d:02d}", "end": f"2027-01-{d:02d}", "operating": True,
             "requests": d, "riders_carried": d + 1, "fare_revenue": 300 * d} for d in (12, 13)]
    total = {"requests": 25, "riders_carried": 27, "fare_revenue": 7500, "fare_collected": 600,
             "refused_reasons": {"service_hours": 2, "infeasible": 6},
             "boardings_by_district": {"centre": 20, "_point": 1},
             "alightings_by_district": {"centre": 7, "northeast": 20},
             "boardings_by_stop": {"hospital": 20}, "alightings_by_stop": {"honmura": 20}}
    names = {"stop_names": {"hospital": "公立みつぎ総合病院", "honmura": "本村", "hata": "畑"},
             "district_names": {"centre": "中心部", "northeast": "北東部", "south": "南部"}}
    html = report_html("御調町 予約型乗合タクシー", date(2027, 1, 1), days, total, **names)
    assert "運行実績報告（2027年1月）" in html and "<svg" in html
    assert "27人" in html and "1/12（火）" in html and "1/13（水）" in html and "運行日 2日" in html
    assert "<b>7,500円</b>" in html and "3,900" in html  # revenue; a day's fares
    assert "空車なし</th><td>6</td><td>75%" in html and "運行時間外</th><td>2</td><td>25%" in html
    assert "<th>中心部</th><td>20</td><td>7</td><td>27</td>" in html
    assert "<th>南部</th><td>0</td><td>0</td><td>0</td>" in html
    assert "<th>指定地点</th><td>1</td>" in html
    assert "<th>畑</th><td>0</td>" in html
    assert "1組あたりの人数に等しく" in html  # the definitions
    en = report_html("Mitsugi", date(2027, 1, 1), days, total, "en", **names)
    assert "Use per district" in en and "Jan 13 (Wed)" in en and "¥7,500" in en
    pdf = report_pdf("Mitsugi", date(2027, 1, 1), days, total, "ja", **names)
    assert pdf.startswith(b"%PDF")
    # summary and chart, operating days, refusals, districts, stops: one page each
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) == 5
    assert b"NotoSansCJK" in pdf or b"IPAexGothic" in pdf  # a Japanese font is embedded


def test_combined_view_names_the_areas_and_links_the_deployments_root():
    """The combined feed's status: the areas by the console's names (an unknown id as it is),
    the link at the deployment's root, size and window; a status without a URL links to the
    API's combined feed path."""
    status = {"url": "/gtfs/combined/feed.zip", "areas": ["mitsugi", "kinoshou", "other"],
              "sha256": "c" * 64, "exported_at": "2027-01-13T08:00:00+09:00", "bytes": 48_213,
              "start": "2027-01-01", "end": "2027-12-31",
              "validation": {"ok": True, "errors": 0, "warnings": 2}}
    view = combined_view(status, "http://h:8000/", {"mitsugi": "御調 / Mitsugi",
                                                   "kinoshou": "木ノ庄 / Kinosho"})
    assert view.areas == ["御調 / Mitsugi", "木ノ庄 / Kinosho", "other"]
    assert view.url == "http://h:8000/gtfs/combined/feed.zip"
    assert view.feed.valid and view.feed.sha256 == "c" * 64
    assert (view.size_bytes, view.start, view.end) == (48_213, "2027-01-01", "2027-12-31")
    bare = combined_view({"validation": {"ok": False}}, "http://h:8000")
    assert bare.url == "http://h:8000/gtfs/combined/feed.zip" and not bare.feed.valid
    assert bare.areas == [] and bare.size_bytes is None
    assert [size_text(n) for n in (None, 999, 48_213, 2_500_000)] == [
        "—", "999 B", "48.2 kB", "2.5 MB"]
