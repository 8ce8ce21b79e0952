"""gtfs.flex: the Flex tables follow the service configuration (hours, booking, days, zone)."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import date

import pytest
from shapely.geometry import Point, shape

from dispatcher.service_area import BookingRules, OperatingPeriod, clock_s
from dispatcher.services import load_service
from gtfs.flex import FeedIds, build_feed, feed_window

START = date(2026, 12, 1)


@pytest.fixture(scope="module")
def svc():
    """The shipped Mitsugi service."""
    return load_service("mitsugi")


def _rows(feed, name):
    return list(feed.table(name).rows)


def test_zone_geojson_is_rfc7946_lon_lat_counter_clockwise(svc):
    """The zone is a valid Polygon in lon/lat order, closed, exterior counter-clockwise."""
    feed = build_feed(svc, START, 30)
    (feature,) = feed.locations["features"]
    assert feature["id"] == FeedIds.of(svc).zone
    ring = feature["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1]
    assert all(133.0 < x < 133.3 and 34.4 < y < 34.7 for x, y in ring)
    area2 = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring))
    assert area2 > 0  # shoelace: positive = counter-clockwise
    poly = shape(feature["geometry"])
    assert poly.is_valid
    centre = svc.stop("ichi_office")
    assert poly.contains(Point(centre.lon, centre.lat))


def test_ids_are_unique_across_stops_locations_and_groups(svc):
    """stop_id, the locations.geojson id and location_group_id share one id space."""
    feed = build_feed(svc, START, 30)
    ids = feed.table("stops.txt").column("stop_id")
    ids += [f["id"] for f in feed.locations["features"]]
    ids += feed.table("location_groups.txt").column("location_group_id")
    assert len(ids) == len(set(ids))
    members = feed.table("location_group_stops.txt").column("stop_id")
    assert sorted(members) == sorted(svc.stop_ids())


def test_windows_follow_operating_periods(svc):
    """Two periods give two zone and two stop-group trips, each two rows with the period's window."""
    periods = (
        OperatingPeriod("am", clock_s("07:30"), clock_s("12:00")),
        OperatingPeriod("pm", clock_s("13:00"), clock_s("24:30")),
    )
    feed = build_feed(replace(svc, periods=periods), START, 30)
    trips = _rows(feed, "trips.txt")
    assert len(trips) == 4
    st = _rows(feed, "stop_times.txt")
    assert len(st) == 8
    by_trip: dict[str, list[dict]] = {}
    for r in st:
        by_trip.setdefault(r["trip_id"], []).append(r)
    windows = {}
    for trip_id, rows in by_trip.items():
        assert [r["stop_sequence"] for r in rows] == ["1", "2"]
        assert len({(r["location_id"], r["location_group_id"]) for r in rows}) == 1
        assert sum(bool(r["location_id"]) + bool(r["location_group_id"]) for r in rows) == 2
        assert rows[0]["pickup_type"] == "2" and rows[0]["drop_off_type"] == "1"
        assert rows[1]["pickup_type"] == "1" and rows[1]["drop_off_type"] == "2"
        assert rows[0]["pickup_booking_rule_id"] == FeedIds.of(svc).booking_rule
        assert rows[1]["drop_off_booking_rule_id"] == FeedIds.of(svc).booking_rule
        windows[trip_id] = {
            (r["start_pickup_drop_off_window"], r["end_pickup_drop_off_window"]) for r in rows
        }
    assert set().union(*windows.values()) == {("07:30:00", "12:00:00"), ("13:00:00", "24:30:00")}
    assert "arrival_time" not in feed.table("stop_times.txt").columns


def test_safe_duration_follows_max_ride_factor(svc):
    """trips carry safe_duration_factor/offset from the dispatch parameters' max ride time."""
    feed = build_feed(svc, START, 30)
    for t in _rows(feed, "trips.txt"):
        assert float(t["safe_duration_factor"]) == svc.dispatch["ride_factor"]
        assert int(t["safe_duration_offset"]) == svc.dispatch["ride_offset_s"]
        assert t["jp_office_id"] == svc.office_id


def test_same_day_booking_rule(svc):
    """same_day -> booking_type 1, notice in minutes, max from the days-ahead limit."""
    b = replace(svc.booking, type="same_day", min_notice_s=90 * 60, max_days_ahead=14)
    (row,) = _rows(build_feed(replace(svc, booking=b), START, 30), "booking_rules.txt")
    assert row["booking_type"] == "1"
    assert row["prior_notice_duration_min"] == "90"
    assert row["prior_notice_duration_max"] == str(14 * 1440)
    assert "prior_notice_last_day" not in row
    assert row["phone_number"] == b.phone and row["message"] == b.message_ja
    assert row["pickup_message"] == b.pickup_message_ja


def test_prior_day_booking_rule(svc):
    """prior_day -> booking_type 2 with the previous day's deadline, no duration fields."""
    b = replace(
        svc.booking, type="prior_day", prior_day_deadline_s=clock_s("16:30"), max_days_ahead=7
    )
    (row,) = _rows(build_feed(replace(svc, booking=b), START, 30), "booking_rules.txt")
    assert row["booking_type"] == "2"
    assert row["prior_notice_last_day"] == "1"
    assert row["prior_notice_last_time"] == "16:30:00"
    assert row["prior_notice_start_day"] == "7"
    assert "prior_notice_duration_min" not in row and "prior_notice_duration_max" not in row


def test_real_time_booking_rule(svc):
    """real_time -> booking_type 0 with no notice fields at all."""
    b = BookingRules(type="real_time", phone="0848-11-2222", message_ja="いつでも")
    (row,) = _rows(build_feed(replace(svc, booking=b), START, 30), "booking_rules.txt")
    assert row["booking_type"] == "0"
    assert not any(k.startswith("prior_notice") for k in row)
    assert row["phone_number"] == "0848-11-2222"


def test_calendar_follows_days_closures_and_window(svc):
    """calendar.txt has the weekdays and the window; closed ranges and dates are removals."""
    cal = replace(
        svc.calendar,
        days=frozenset({"mon", "wed", "sat"}),
        closed_dates=frozenset({date(2027, 2, 3), date(2028, 1, 5)}),
    )
    feed = build_feed(replace(svc, calendar=cal), START, 90)
    (row,) = _rows(feed, "calendar.txt")
    assert [
        row[d]
        for d in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    ] == ["1", "0", "1", "0", "0", "1", "0"]
    first, last = feed_window(START, 90)
    assert (row["start_date"], row["end_date"]) == (
        first.strftime("%Y%m%d"),
        last.strftime("%Y%m%d"),
    )
    removed = {r["date"] for r in _rows(feed, "calendar_dates.txt")}
    # Year-end break 12-29..01-03 on Mon/Wed/Sat: 12-30 (Wed), 01-02 (Sat); 2027-01-11 (Mon,
    # 成人の日, a national holiday); plus 2027-02-03 (Wed). 2028-01-05 lies outside the window.
    assert removed == {"20261230", "20270102", "20270111", "20270203"}
    assert all(r["exception_type"] == "2" for r in _rows(feed, "calendar_dates.txt"))
    running = list(cal.service_days(first, last))
    assert all(d.strftime("%Y%m%d") not in removed for d in running)


def test_fares_v1_adult_and_v2_categories(svc):
    """Fares v1 carries the adult fare on the route; Fares v2 products cover every category."""
    feed = build_feed(svc, START, 30)
    (fa,) = _rows(feed, "fare_attributes.txt")
    assert fa["price"] == str(svc.fares.adult) and fa["currency_type"] == "JPY"
    (fr,) = _rows(feed, "fare_rules.txt")
    assert fr["route_id"] == FeedIds.of(svc).route
    amounts = {p["rider_category_id"]: int(p["amount"]) for p in _rows(feed, "fare_products.txt")}
    assert amounts[f"{svc.id}_child"] == svc.fares.child
    assert amounts[f"{svc.id}_disability"] == svc.fares.concession("disability")
    defaults = [
        c for c in _rows(feed, "rider_categories.txt") if c["is_default_fare_category"] == "1"
    ]
    assert [c["rider_category_id"] for c in defaults] == [f"{svc.id}_adult"]


def test_translations_have_english_and_kana_for_every_stop(svc):
    """Every stop name has an English and a ja-Hrkt translation (GTFS-JP v2)."""
    feed = build_feed(svc, START, 30)
    rows = _rows(feed, "translations.txt")
    for s in svc.stops:
        got = {
            (r["language"], r["translation"])
            for r in rows
            if r["table_name"] == "stops" and r["record_id"] == s.id
        }
        assert got == {("en", s.name_en), ("ja-Hrkt", s.name_kana)}
    tables = {r["table_name"] for r in rows}
    assert {"agency", "routes", "booking_rules", "trips"} <= tables
    (info,) = _rows(feed, "feed_info.txt")
    assert info["feed_lang"] == "ja"


def test_feed_length_must_be_positive(svc):
    """A feed of zero days is refused rather than written with an inverted window."""
    with pytest.raises(ValueError):
        build_feed(svc, START, 0)
