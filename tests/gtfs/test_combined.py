"""gtfs.combined: the service areas' feeds merged into one (ids scoped by area, one feed_info,
translations kept), the combined zip validated and read back, and GTFS-Realtime scoped alike."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date

import pytest
from google.transit import gtfs_realtime_pb2 as rt

from dispatcher.services import load_service
from dispatcher.units import TOKYO
from gtfs.combined import (
    ID_COLUMNS,
    PRIMARY_KEYS,
    SEPARATOR,
    Publisher,
    merge_feeds,
    merge_realtime,
    scoped,
)
from gtfs.feed import feed_files, read_with_gtfs_kit, read_zip_tables, validate, zip_bytes
from gtfs.flex import FeedIds, build_feed
from gtfs.publish import build_combined, combined_hash, publish_combined
from gtfs.realtime import RunStop, VehicleFix, VehicleRun, trip_updates, vehicle_positions
from gtfs.tables import FlexFeed, Table

START = date(2027, 1, 1)
AREAS = ("mitsugi", "kinoshou")
AGENCY = "8000020342050"  # both shipped areas are published by 尾道市


@pytest.fixture(scope="module")
def services():
    return {a: load_service(a) for a in AREAS}


@pytest.fixture(scope="module")
def feeds(services) -> dict[str, FlexFeed]:
    return {a: build_feed(s, START, 365) for a, s in services.items()}


@pytest.fixture(scope="module")
def merged(feeds) -> FlexFeed:
    return merge_feeds(feeds)


def _unscope(value: str, area: str) -> str:
    prefix = f"{area}{SEPARATOR}"
    assert value.startswith(prefix), (value, area)
    return value[len(prefix):]


def _area_of(row: dict[str, str], name: str) -> str:
    """The area of a merged row: the scope of its first scoped id."""
    for col in ID_COLUMNS[name]:
        if col != "agency_id" and row.get(col):
            return row[col].split(SEPARATOR, 1)[0]
    raise AssertionError((name, row))


def test_every_area_row_comes_back_with_its_ids_scoped(feeds, merged):
    """Each merged row is exactly one area's row with its ids written <area>:<id> (agency
    ids kept: both areas publish the same agency), and every row of every area is there."""
    for name, table in merged.tables.items():
        if name in ("feed_info.txt", "translations.txt", "agency.txt", "agency_jp.txt"):
            continue
        ids = ID_COLUMNS[name]
        back: dict[str, list[dict[str, str]]] = {a: [] for a in AREAS}
        for row in table.rows:
            area = _area_of(row, name)
            back[area].append({c: (v if c == "agency_id" or c not in ids or not v
                                   else _unscope(v, area)) for c, v in row.items()})
        for area in AREAS:
            own = feeds[area].tables.get(name)
            expected = [] if own is None else [{c: r.get(c, "") for c in table.columns}
                                               for r in own.rows]
            assert back[area] == expected, (name, area)


def test_ids_are_unique_and_every_reference_resolves(merged):
    """No key repeats; trips, stop times, fares and the GTFS-JP office all point at rows of
    the merged feed, and stop, location and group ids share one id space without repeats."""
    t = dict(merged.tables)
    for name, key in PRIMARY_KEYS.items():
        if name in t:
            keys = [tuple(r.get(c, "") for c in key) for r in t[name].rows]
            assert len(keys) == len(set(keys)), name
    locations = {f["id"] for f in merged.locations["features"]}
    stops = set(t["stops.txt"].column("stop_id"))
    groups = set(t["location_groups.txt"].column("location_group_id"))
    assert len(locations) == 2 and not (locations & stops or locations & groups or stops & groups)
    assert set(t["trips.txt"].column("route_id")) == set(t["routes.txt"].column("route_id"))
    assert set(t["trips.txt"].column("service_id")) == set(t["calendar.txt"].column("service_id"))
    assert set(t["trips.txt"].column("jp_office_id")) == set(t["office_jp.txt"].column("office_id"))
    st = t["stop_times.txt"]
    assert set(filter(None, st.column("location_id"))) == locations
    assert set(filter(None, st.column("location_group_id"))) == groups
    rules = set(t["booking_rules.txt"].column("booking_rule_id"))
    assert set(filter(None, st.column("pickup_booking_rule_id"))) == rules
    assert set(st.column("trip_id")) == set(t["trips.txt"].column("trip_id"))
    assert set(t["location_group_stops.txt"].column("stop_id")) == stops
    assert set(t["fare_rules.txt"].column("route_id")) <= set(t["routes.txt"].column("route_id"))
    assert set(t["fare_products.txt"].column("rider_category_id")) == set(
        t["rider_categories.txt"].column("rider_category_id"))
    assert set(t["fare_leg_rules.txt"].column("network_id")) == set(
        t["routes.txt"].column("network_id"))
    assert t["agency.txt"].column("agency_id") == [AGENCY]
    assert set(t["routes.txt"].column("agency_id")) == {AGENCY}
    for area, svc_route in ((a, f"{a}_ondemand") for a in AREAS):
        assert scoped(area, svc_route) in t["routes.txt"].column("route_id")


def test_identical_ids_of_two_areas_stay_apart():
    """Two areas whose feeds use exactly the same ids (Mitsugi's configuration, once moved
    6 km south) give a merged feed without a repeated key, each area's trips on its own
    zone and stops, which the validator accepts."""
    mit = load_service("mitsugi")
    moved = replace(mit, stops=tuple(replace(s, lat=s.lat - 0.055) for s in mit.stops),
                    zone=tuple((lat - 0.055, lon) for lat, lon in mit.zone))
    north, south = build_feed(mit, START, 365), build_feed(moved, START, 365)
    assert north.table("stops.txt").column("stop_id") == south.table("stops.txt").column("stop_id")
    merged = merge_feeds({"north": north, "south": south})
    stops = merged.table("stops.txt").column("stop_id")
    assert len(stops) == 2 * len(north.table("stops.txt")) == len(set(stops))
    assert {s.split(SEPARATOR)[0] for s in stops} == {"north", "south"}
    for row in merged.table("stop_times.txt").rows:
        area = row["trip_id"].split(SEPARATOR)[0]
        where = row["location_id"] or row["location_group_id"]
        assert where.startswith(f"{area}{SEPARATOR}"), row
    result = validate(zip_bytes(feed_files(merged)), today=START)
    assert result.ok, result.summary()


def test_agencies_that_differ_are_scoped(feeds):
    """When the areas' agencies share an id but differ, each area's agency is scoped and its
    routes, fares, GTFS-JP row and translations follow it."""
    kin = load_service("kinoshou")
    other = replace(kin, agency=replace(kin.agency, name="木ノ庄交通", name_en="Kinosho Kotsu"))
    merged = merge_feeds({"mitsugi": feeds["mitsugi"], "kinoshou": build_feed(other, START)})
    agencies = merged.table("agency.txt")
    assert agencies.column("agency_id") == [f"mitsugi:{AGENCY}", f"kinoshou:{AGENCY}"]
    assert agencies.column("agency_name") == ["尾道市", "木ノ庄交通"]
    assert merged.table("agency_jp.txt").column("agency_id") == agencies.column("agency_id")
    routes = {r["route_id"]: r["agency_id"] for r in merged.table("routes.txt").rows}
    assert routes == {"mitsugi:mitsugi_ondemand": f"mitsugi:{AGENCY}",
                      "kinoshou:kinoshou_ondemand": f"kinoshou:{AGENCY}"}
    assert merged.table("fare_attributes.txt").column("agency_id") == agencies.column("agency_id")
    names = {r["record_id"]: r["translation"] for r in merged.table("translations.txt").rows
             if r["table_name"] == "agency" and r["language"] == "en"}
    assert names == {f"mitsugi:{AGENCY}": "Onomichi City", f"kinoshou:{AGENCY}": "Kinosho Kotsu"}


def test_one_feed_info_row_over_the_days_every_area_covers(feeds):
    """feed_info.txt has one row: the window every feed covers, the first area's publisher
    (or the given one), the common language; feeds without a common day are refused."""
    later = build_feed(load_service("kinoshou"), date(2027, 3, 1), 100)
    merged = merge_feeds({"mitsugi": feeds["mitsugi"], "kinoshou": later})
    [row] = merged.table("feed_info.txt").rows
    assert (row["feed_start_date"], row["feed_end_date"]) == ("20270301", "20270608")
    assert row["feed_publisher_name"] == "尾道市" and row["feed_lang"] == "ja"
    assert row["feed_version"] == "mitsugi:20270101 kinoshou:20270301"
    [same] = merge_feeds(feeds).table("feed_info.txt").rows
    assert (same["feed_start_date"], same["feed_end_date"], same["feed_version"]) == (
        "20270101", "20271231", "20270101")
    own = merge_feeds(feeds, Publisher("備後交通データ", "https://example.jp/", "a@example.jp"))
    [mine] = own.table("feed_info.txt").rows
    assert (mine["feed_publisher_name"], mine["feed_contact_email"]) == (
        "備後交通データ", "a@example.jp")
    apart = build_feed(load_service("kinoshou"), date(2028, 6, 1), 30)
    with pytest.raises(ValueError, match="no day in common"):
        merge_feeds({"mitsugi": feeds["mitsugi"], "kinoshou": apart})


def test_translations_are_kept_and_follow_their_records(feeds, merged):
    """Every area's translation is in the merged feed with its record scoped like the record
    (the shared agency's once), and each translated record exists."""
    rows = merged.table("translations.txt").rows
    keyed = {(r["table_name"], r["field_name"], r["language"], r["record_id"]) for r in rows}
    for area in AREAS:
        for r in feeds[area].table("translations.txt").rows:
            rid = r["record_id"] if r["table_name"] == "agency" else scoped(area, r["record_id"])
            assert (r["table_name"], r["field_name"], r["language"], rid) in keyed, r
    agency_rows = [r for r in rows if r["table_name"] == "agency"]
    assert len(agency_rows) == len([r for r in feeds["mitsugi"].table("translations.txt").rows
                                    if r["table_name"] == "agency"]) == 2
    assert len(rows) == sum(len(feeds[a].table("translations.txt")) for a in AREAS) - 2
    pk = {"stops": ("stops.txt", "stop_id"), "routes": ("routes.txt", "route_id"),
          "trips": ("trips.txt", "trip_id"), "agency": ("agency.txt", "agency_id"),
          "location_groups": ("location_groups.txt", "location_group_id"),
          "booking_rules": ("booking_rules.txt", "booking_rule_id"),
          "rider_categories": ("rider_categories.txt", "rider_category_id")}
    for r in rows:
        name, col = pk[r["table_name"]]
        assert r["record_id"] in merged.table(name).column(col), r
    kana = {r["record_id"]: r["translation"] for r in rows
            if r["table_name"] == "stops" and r["language"] == "ja-Hrkt"}
    assert kana["kinoshou:edakami"] == "えだかみ"


def test_what_cannot_be_scoped_is_refused(feeds):
    """An unknown file, an unknown id column or a translation of an unknown table would leave
    ids unscoped: the merge refuses them rather than publish possible collisions."""
    base = feeds["kinoshou"]
    odd = Table(("thing_id",), ({"thing_id": "x"},))
    with pytest.raises(ValueError, match=r"things\.txt"):
        merge_feeds({"mitsugi": feeds["mitsugi"],
                     "kinoshou": FlexFeed({**base.tables, "things.txt": odd}, base.locations)})
    stops = base.table("stops.txt")
    extra = Table((*stops.columns, "school_id"), tuple({**r, "school_id": "s"} for r in stops.rows))
    with pytest.raises(ValueError, match="school_id"):
        merge_feeds({"kinoshou": FlexFeed({**base.tables, "stops.txt": extra}, base.locations)})
    tr = base.table("translations.txt")
    bad = Table(tr.columns, (*tr.rows, {**tr.rows[0], "table_name": "vehicles"}))
    with pytest.raises(ValueError, match="vehicles"):
        merge_feeds({"kinoshou": FlexFeed({**base.tables, "translations.txt": bad},
                                          base.locations)})
    with pytest.raises(ValueError):
        merge_feeds({})


def test_combined_zip_validates_and_round_trips_through_gtfs_kit(services, tmp_path):
    """The combined zip of both shipped areas: zero validator errors, gtfs-kit loads both
    areas' routes, stops, trips and calendars; the bytes are deterministic."""
    data, sha = build_combined(list(services.values()), START, 365)
    assert build_combined(list(services.values()), START, 365) == (data, sha)
    result = validate(data, today=START)
    assert result.ok and result.status == "COMPLETE", result.summary()
    path = tmp_path / "combined.zip"
    path.write_bytes(data)
    feed = read_with_gtfs_kit(path)
    assert sorted(feed.routes["route_id"]) == ["kinoshou:kinoshou_ondemand",
                                               "mitsugi:mitsugi_ondemand"]
    n_stops = sum(len(s.stops) for s in services.values())
    assert len(feed.stops) == n_stops == feed.stops["stop_id"].nunique()
    assert len(feed.trips) == sum(2 * len(s.periods) for s in services.values())
    assert sorted(feed.calendar["service_id"]) == ["kinoshou:kinoshou_days", "mitsugi:mitsugi_days"]
    tables, locations = read_zip_tables(io.BytesIO(data))  # type: ignore[arg-type]
    assert len(tables["feed_info.txt"]) == 1
    assert {f["id"] for f in locations["features"]} == {"mitsugi:mitsugi_zone",
                                                        "kinoshou:kinoshou_zone"}


def test_the_combined_export_follows_every_area(services):
    """The combined hash (the ETag's input besides the window) changes when any one area's
    configuration does, and with the order of the areas."""
    mit, kin = services["mitsugi"], services["kinoshou"]
    base = combined_hash([mit, kin])
    assert combined_hash([mit, kin]) == base != combined_hash([kin, mit])
    changed = replace(kin, fares=replace(kin.fares, adult=kin.fares.adult + 100))
    assert combined_hash([mit, changed]) != base
    pub = publish_combined([mit, kin], date(2027, 1, 20), now=_now())
    assert (pub.start, pub.days, pub.config_hash) == (START, 365, base)
    assert pub.validation["ok"] and pub.validation["errors"] == 0, pub.validation
    kept = publish_combined([mit, kin], date(2027, 1, 21), now=_now(3600),
                            previous=pub.status())
    assert kept.exported_at == pub.exported_at and kept.sha256 == pub.sha256


def _now(offset_s: int = 0):  # type: ignore[no-untyped-def]
    from datetime import datetime, timedelta

    return datetime(2027, 1, 20, 9, 0, tzinfo=TOKYO) + timedelta(seconds=offset_s)


# --- GTFS-Realtime -----------------------------------------------------------------------


def _run(vehicle: str) -> VehicleRun:
    t = 1_800_000_000
    return VehicleRun("run-1-20270120", vehicle, (RunStop("honmura", 1, t, t + 60),
                                                    RunStop("hospital", 2, t + 900, t + 960)))


def test_realtime_ids_are_scoped_like_the_static_feed():
    """Two areas' messages with the same trip, stop and vehicle ids merge into one message in
    which every id is scoped: entity ids stay unique, the route and stops are the combined
    static feed's, the times and the rest are unchanged."""
    tus = {a: trip_updates([_run("1")], f"{a}_ondemand", 1_800_000_100, TOKYO) for a in AREAS}
    merged = merge_realtime(tus, 1_800_000_200)
    assert merged.header.timestamp == 1_800_000_200
    assert merged.header.incrementality == rt.FeedHeader.FULL_DATASET
    ids = [e.id for e in merged.entity]
    assert ids == ["mitsugi:tu-run-1-20270120", "kinoshou:tu-run-1-20270120"]
    for area, ent in zip(AREAS, merged.entity, strict=True):
        tu = ent.trip_update
        assert tu.trip.trip_id == f"{area}:run-1-20270120"
        assert tu.trip.route_id == scoped(area, f"{area}_ondemand")
        assert tu.vehicle.id == f"{area}:1"
        assert [u.stop_id for u in tu.stop_time_update] == [f"{area}:honmura", f"{area}:hospital"]
        assert [u.arrival.time for u in tu.stop_time_update] == [1_800_000_000, 1_800_000_900]
        assert tu.trip.schedule_relationship == rt.TripDescriptor.NEW
    fix = VehicleFix("1", 34.5, 133.1, 1_800_000_100, "EMPTY", trip_id="run-1-20270120",
                     stop_id="honmura")
    vps = {a: vehicle_positions([fix], 1_800_000_100, f"{a}_ondemand") for a in AREAS}
    merged = merge_realtime(vps, 1_800_000_200)
    vp = merged.entity[1].vehicle
    assert (merged.entity[1].id, vp.vehicle.id, vp.trip.trip_id, vp.trip.route_id,
            vp.stop_id) == ("kinoshou:vp-1", "kinoshou:1", "kinoshou:run-1-20270120",
                            "kinoshou:kinoshou_ondemand", "kinoshou:honmura")
    assert vp.position.latitude == pytest.approx(34.5)


def test_realtime_ids_resolve_in_the_combined_static_feed(merged):
    """The route of each area's runs (FeedIds) and its stops, scoped, are rows of the merged
    static feed."""
    routes = set(merged.table("routes.txt").column("route_id"))
    stops = set(merged.table("stops.txt").column("stop_id"))
    msgs = {"mitsugi": trip_updates([_run("1")], FeedIds.of(load_service("mitsugi")).route,
                                    1_800_000_100, TOKYO)}
    for ent in merge_realtime(msgs, 1_800_000_100).entity:
        assert ent.trip_update.trip.route_id in routes
        assert {u.stop_id for u in ent.trip_update.stop_time_update} <= stops


def test_realtime_merge_refuses_what_it_cannot_scope():
    msg = trip_updates([_run("1")], "r", 1_800_000_100, TOKYO)
    alert = rt.FeedMessage()
    alert.CopyFrom(msg)
    alert.entity.add(id="a1").alert.header_text.translation.add(text="運休")
    with pytest.raises(ValueError, match="alert"):
        merge_realtime({"mitsugi": alert}, 1)
    partial = rt.FeedMessage()
    partial.CopyFrom(msg)
    partial.header.incrementality = rt.FeedHeader.DIFFERENTIAL
    with pytest.raises(ValueError, match="full datasets"):
        merge_realtime({"mitsugi": partial}, 1)
