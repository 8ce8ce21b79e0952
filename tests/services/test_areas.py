"""Every shipped service area loads, keeps to its zone, and shares no ids with another (issue 18:
one deployment, many areas); the second area is clearly an example."""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

import pytest
from shapely.geometry import Polygon

from dispatcher.service_area import BOOKING_TYPES
from dispatcher.services import load_service, shipped_services
from gtfs.connection_feeds import SHIPPED_DIR
from routing.geo import point_in_polygon
from routing.store import shipped_clip

AREAS = shipped_services()


def test_the_shipped_areas_are_mitsugi_and_the_kinoshou_example():
    """Two areas ship: Mitsugi, a real service plan, and Kinosho-Harada, an example."""
    assert {"mitsugi", "kinoshou"} <= set(AREAS)
    assert load_service("mitsugi").example is False
    assert load_service("kinoshou").example is True


def test_the_example_says_so_in_every_name():
    """An example area's rider-facing names carry 【例】/[Example]; its assumptions are listed."""
    for area in AREAS:
        svc = load_service(area)
        if not svc.example:
            continue
        for ja in (svc.name_ja, svc.short_name, svc.zone_name_ja, svc.office_name,
                   *(v.name for v in svc.fleet)):
            assert "【例】" in ja, ja
        for en in (svc.name_en, svc.zone_name_en):
            assert "[Example]" in en, en
        assert {"example", "zone", "fleet", "fares", "hours"} <= set(svc.to_confirm)


@pytest.mark.parametrize("area", AREAS)
def test_area_loads_with_its_stops_inside_its_zone(area):
    """The area's configuration is complete and every stop, depot and transfer stop lies in
    its zone (the product's own point-in-polygon test)."""
    svc = load_service(area)
    assert svc.id == area
    assert 15 <= len(svc.stops) <= 40
    assert svc.booking.type in BOOKING_TYPES and svc.periods and svc.fleet
    for s in svc.stops:
        assert s.name_ja and s.name_en and s.name_kana, s.id
        assert point_in_polygon(s.lat, s.lon, svc.zone), s.id
    stop_ids = set(svc.stop_ids())
    assert {v.depot for v in svc.fleet} <= stop_ids
    assert set(svc.transfer_stops) <= stop_ids
    assert set(dict(svc.connection_stop_ids)) == set(svc.transfer_stops)
    assert set(svc.routing.get("table_stops", ())) <= stop_ids
    in_districts = [s for d in svc.districts for s in d.stops]
    assert sorted(in_districts) == sorted(stop_ids)  # each stop in exactly one district


def test_areas_share_no_vehicle_stop_or_zone():
    """Vehicle ids (driver sign-in names) start with their area's id and never repeat across
    areas; stop ids never repeat either; the zones do not overlap, so a point is in one area."""
    vehicles = [v.id for a in AREAS for v in load_service(a).fleet]
    assert len(vehicles) == len(set(vehicles))
    for area in AREAS:
        assert all(v.id.startswith(f"{area}-") for v in load_service(area).fleet)
    stops = [s for a in AREAS for s in load_service(a).stop_ids()]
    assert len(stops) == len(set(stops)), sorted(s for s in stops if stops.count(s) > 1)
    for a, b in itertools.combinations(AREAS, 2):
        za = Polygon([(lon, lat) for lat, lon in load_service(a).zone])
        zb = Polygon([(lon, lat) for lat, lon in load_service(b).zone])
        assert za.is_valid and zb.is_valid
        assert not za.intersects(zb), (a, b)


def _feed_stops() -> dict[str, dict[str, str]]:
    """Rows of the shipped outside feeds' stops.txt, by stop id."""
    rows: dict[str, dict[str, str]] = {}
    for name in ("chugokubus", "onomichibus"):
        with (Path(SHIPPED_DIR) / name / "stops.txt").open(encoding="utf-8-sig", newline="") as fh:
            rows.update({r["stop_id"]: r for r in csv.DictReader(fh)})
    return rows


def test_kinoshou_stops_are_real_bus_stop_rows():
    """Each stop of the example area is a real 中国バス/おのみちバス stop: same name, same
    coordinates as the GTFS row it names; the connection stop ids exist in the feeds."""
    feed = _feed_stops()
    svc = load_service("kinoshou")
    for s in svc.stops:
        row = feed[s.gtfs_stop_id]
        assert row["stop_name"] == s.name_ja, s.id
        assert (float(row["stop_lat"]), float(row["stop_lon"])) == (s.lat, s.lon), s.id
    for stop, outside in svc.connection_stop_ids:
        assert set(outside) <= set(feed), stop
        assert svc.stop(stop).gtfs_stop_id == outside[0]


def test_kinoshou_transfer_stop_has_the_route_184_departures(tmp_path):
    """At 三成 the riders meet the real Route 184 bus towards Onomichi: the Monday 08:48 run of
    the shipped 中国バス timetable (trip 102181), at the pole towards the station."""
    from datetime import datetime

    from dispatcher.units import TOKYO
    from gtfs import connections as cx
    from gtfs.connection_feeds import load_timetables

    svc = load_service("kinoshou")
    board = cx.departures_at(load_timetables(tmp_path, ("chugokubus",)), svc, "minari",
                             datetime(2026, 1, 5, 8, 0, tzinfo=TOKYO))
    first = board.departures[0]
    assert first.stop_id == "1134_2337"
    assert first.departure.astimezone(TOKYO).strftime("%H:%M") == "08:48"
    assert "102181" in first.trip_id


@pytest.mark.parametrize("area", AREAS)
def test_the_shipped_clip_area_is_the_zone(area):
    """The network's clip file (routing knows no services) is the area's zone."""
    clip = shipped_clip(area)
    assert clip is not None and clip.polygon == load_service(area).zone
