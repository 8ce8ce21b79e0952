"""gtfs.connections: next departures at transfer points, from partial and full outside feeds."""

from __future__ import annotations

import filecmp
import io
import zipfile
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from dispatcher.errors import InvalidInput, NotFound
from dispatcher.services import load_service
from gtfs import connections as cx
from gtfs.connection_feeds import SHIPPED_DIR, feed_sources, import_feed, load_timetables

TOKYO = ZoneInfo("Asia/Tokyo")
RUN = "1_1374_54_1_102181_20251229"  # 御調高校前 08:25 -> 市出張所 08:29 -> 尾道駅前 09:09


@pytest.fixture(scope="module")
def chugoku():
    """The shipped partial 中国バス feed."""
    return cx.load_timetable(SHIPPED_DIR / "chugokubus", "chugokubus")


@pytest.fixture(scope="module")
def svc():
    """The shipped Mitsugi service."""
    return load_service("mitsugi")


def test_shipped_feeds_are_copies_of_the_shared_data(shared_gtfs):
    """The repo's shipped outside feeds are byte copies of the shared source files."""
    pairs = [
        ("chugokubus_subset", "chugokubus", ("stops.txt", "routes.txt", "feed_info.txt")),
        (
            "chugokubus_mitsugi_timetable",
            "chugokubus",
            ("trips.txt", "calendar.txt", "stop_times.txt"),
        ),
        ("onomichibus_subset", "onomichibus", ("stops.txt", "feed_info.txt")),
    ]
    for src, dst, names in pairs:
        for name in names:
            assert filecmp.cmp(shared_gtfs / src / name, SHIPPED_DIR / dst / name, shallow=False)


def test_partial_feeds_load(chugoku):
    """The partial feeds load: 108 trips, 24 calendars, 5 timed runs; おのみちバス stops only."""
    counts = chugoku.counts()
    assert counts["trips"] == 108 and counts["calendar"] == 24
    assert chugoku.stop_times["trip_id"].nunique() == 5
    ono = cx.load_timetable(SHIPPED_DIR / "onomichibus", "onomichibus")
    assert ono.counts()["stops"] == 355 and ono.counts()["trips"] == 0
    board = cx.next_departures(ono, ("1 1",), datetime(2026, 3, 2, 8, tzinfo=TOKYO))
    assert board.departures == ()


def test_weekday_departures_at_ichi_include_the_0829_run(chugoku, svc):
    """Monday 2026-01-05 after 08:00 at 市出張所: the 08:29 run of RUN first, then 10:50, 18:29."""
    board = cx.departures_at([chugoku], svc, "ichi_office", datetime(2026, 1, 5, 8, tzinfo=TOKYO))
    first = board.departures[0]
    assert first.trip_id == RUN and first.stop_id == "82_168"
    assert first.departure == datetime(2026, 1, 5, 8, 29, tzinfo=TOKYO)
    assert first.departure.utcoffset() == timedelta(hours=9)
    assert first.route_name == "尾道・新尾道・市・甲山線" and first.headsign == "尾道駅前"
    times = [d.departure.strftime("%H:%M") for d in board.departures]
    assert times == ["08:29", "10:50", "18:29"]
    assert len({d.trip_id for d in board.departures}) == len(board.departures)


def test_after_the_departure_it_is_gone_and_saturday_differs(chugoku, svc):
    """At 08:30 the 08:29 run is gone; on a Saturday only the Saturday run (09:3x) appears."""
    later = cx.departures_at(
        [chugoku], svc, "ichi_office", datetime(2026, 1, 5, 8, 30, tzinfo=TOKYO)
    )
    assert RUN not in {d.trip_id for d in later.departures}
    sat = cx.departures_at([chugoku], svc, "ichi_office", datetime(2026, 1, 10, 6, tzinfo=TOKYO))
    assert [d.trip_id for d in sat.departures] == ["1_1375_54_1_102196_20251229"]


def test_outside_the_calendar_there_is_nothing(chugoku, svc):
    """After the calendar's end (2026-05-28) no service is active, so no departures."""
    board = cx.departures_at([chugoku], svc, "ichi_office", datetime(2026, 6, 1, 6, tzinfo=TOKYO))
    assert board.departures == ()


def test_unknown_service_days_are_skipped_and_reported(chugoku, svc):
    """Service 3_1382 is in no calendar: its timed run is skipped and named, never guessed."""
    board = cx.departures_at([chugoku], svc, "ichi_office", datetime(2026, 1, 5, 6, tzinfo=TOKYO))
    assert "1_1382_54_1_102227_20251229" not in {d.trip_id for d in board.departures}
    assert "3_1382_20251229" in board.unknown_services
    assert any("days unknown" in n for n in board.notes)


def test_latest_dropoff_respects_the_buffer(chugoku, svc):
    """The arrive-by target is the departure minus the buffer, and names the bus it connects to."""
    dep = cx.departures_at(
        [chugoku], svc, "ichi_office", datetime(2026, 1, 5, 8, tzinfo=TOKYO)
    ).departures[0]
    for buffer_s in (0, 300, 600):
        latest = cx.latest_dropoff(dep, buffer_s)
        assert dep.departure - latest == timedelta(seconds=buffer_s)
    target = cx.arrive_by(dep, "ichi_office", 300)
    assert target.dropoff_before == datetime(2026, 1, 5, 8, 24, tzinfo=TOKYO)
    assert "08:29" in target.describe("ja") and "尾道駅前" in target.describe("en")
    with pytest.raises(InvalidInput):
        cx.latest_dropoff(dep, -60)


def test_unknown_transfer_point_is_refused(chugoku, svc):
    """A stop without connection_stop_ids is not a transfer point."""
    with pytest.raises(NotFound):
        cx.departures_at([chugoku], svc, "saburo_falls", datetime(2026, 1, 5, tzinfo=TOKYO))


def test_naive_time_is_refused(chugoku):
    """Departure searches need an aware time (no silent local-time guesses)."""
    with pytest.raises(InvalidInput):
        cx.next_departures(chugoku, ("82_168",), datetime(2026, 1, 5, 8))


def test_trips_past_midnight_belong_to_the_previous_service_day():
    """A 24:30:00 departure of Monday's service leaves at 00:30 on Tuesday."""
    tt = cx.Timetable(
        name="night",
        stops=pd.DataFrame({"stop_id": ["A", "B"], "stop_name": ["A駅", "B駅"]}),
        routes=pd.DataFrame(
            {"route_id": ["r"], "route_short_name": ["N1"], "route_long_name": [None]}
        ),
        trips=pd.DataFrame(
            {"route_id": ["r"], "service_id": ["mon"], "trip_id": ["t"], "trip_headsign": ["B駅"]}
        ),
        stop_times=pd.DataFrame(
            {
                "trip_id": ["t", "t"],
                "arrival_time": ["24:30:00", "24:50:00"],
                "departure_time": ["24:30:00", "24:50:00"],
                "stop_id": ["A", "B"],
                "stop_sequence": [1, 2],
            }
        ),
        calendar=pd.DataFrame(
            {
                "service_id": ["mon"],
                "monday": [1],
                "tuesday": [0],
                "wednesday": [0],
                "thursday": [0],
                "friday": [0],
                "saturday": [0],
                "sunday": [0],
                "start_date": ["20260101"],
                "end_date": ["20261231"],
            }
        ),
    )
    board = cx.next_departures(tt, ("A", "B"), datetime(2026, 1, 6, 0, 0, tzinfo=TOKYO))
    (dep,) = board.departures  # B is the last stop: not a departure
    assert dep.departure == datetime(2026, 1, 6, 0, 30, tzinfo=TOKYO)
    assert dep.service_day == date(2026, 1, 5) and dep.route_name == "N1"


def _full_feed_zip() -> bytes:
    """The shipped 中国バス files plus agency.txt and calendar_dates.txt, as a 'full' zip.

    calendar_dates: 2026-01-12 (成人の日) removes weekday service 3_1374 and adds 3_1382.
    """
    files = {p.name: p.read_bytes() for p in (SHIPPED_DIR / "chugokubus").glob("*.txt")}
    files["agency.txt"] = (
        "agency_id,agency_name,agency_url,agency_timezone,agency_lang\n"
        "1240001034773,中国バス,https://www.chugokubus.jp/,Asia/Tokyo,ja\n"
    ).encode()
    files["calendar_dates.txt"] = (
        b"service_id,date,exception_type\n3_1374_20251231,20260112,2\n3_1382_20251229,20260112,1\n"
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in sorted(files.items()):
            zf.writestr(name, data)
    return buf.getvalue()


def test_imported_full_feed_replaces_the_shipped_one_and_applies_calendar_dates(tmp_path, svc):
    """An imported feed named chugokubus replaces the shipped one; its holiday exceptions apply."""
    src = tmp_path / "chugokubus_full.zip"
    src.write_bytes(_full_feed_zip())
    report = import_feed(src, "chugokubus", tmp_path / "var")
    assert report.replaced_shipped and report.path.is_file()
    assert feed_sources(tmp_path / "var")["chugokubus"] == report.path
    (tt,) = load_timetables(tmp_path / "var", ("chugokubus",))
    holiday = cx.departures_at([tt], svc, "ichi_office", datetime(2026, 1, 12, 8, tzinfo=TOKYO))
    trips = [d.trip_id for d in holiday.departures]
    assert RUN not in trips
    assert "1_1382_54_1_102227_20251229" in trips
    assert "3_1382_20251229" not in holiday.unknown_services
    normal = cx.departures_at([tt], svc, "ichi_office", datetime(2026, 1, 13, 8, tzinfo=TOKYO))
    assert normal.departures[0].trip_id == RUN


def test_import_refuses_what_is_not_a_usable_feed(tmp_path):
    """A non-zip, or a feed without stop times, is refused before anything is stored."""
    bad = tmp_path / "bad.zip"
    bad.write_text("hello")
    with pytest.raises(InvalidInput):
        import_feed(bad, root=tmp_path / "var")
    stops_only = tmp_path / "stops_only.zip"
    with zipfile.ZipFile(stops_only, "w") as zf:
        zf.write(SHIPPED_DIR / "onomichibus" / "stops.txt", "stops.txt")
    with pytest.raises(InvalidInput):
        import_feed(stops_only, root=tmp_path / "var")
    assert not (tmp_path / "var" / "gtfs" / "connections" / "stops_only").exists()
