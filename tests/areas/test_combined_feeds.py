"""The deployment's combined feeds on a two-area app (Mitsugi and the example area Kinosho):
one static GTFS-Flex zip holding both areas' service (validated, read back with gtfs-kit, ETag
and 304), and GTFS-Realtime vehicle positions and trip updates over both areas whose trip,
route and stop ids are those of the combined static feed. Each area's own feeds are unchanged.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace
from datetime import time

import pytest
from fastapi.testclient import TestClient
from google.transit import gtfs_realtime_pb2 as rt
from sqlmodel import Session

from dispatcher.api.app import create_app
from dispatcher.settings import Settings
from dispatcher.store.tables import Setting
from dispatcher.units import at_local
from gtfs.feed import read_with_gtfs_kit, read_zip_tables
from tests.api.conftest import DAY, TestClock, local

A, B = "mitsugi", "kinoshou"
AREAS = (A, B)
PREFIX = {A: "/a/mitsugi", B: "/a/kinoshou"}
TRIPS = {A: ("honmura", "hospital"), B: ("edakami", "minari")}
#: A reported position inside each area.
POSITION = {A: (34.515, 133.149), B: (34.5025, 133.1997)}


@pytest.fixture
def two_areas(tmp_path) -> Iterator[TestClient]:
    clock = TestClock(at_local(DAY, time(8, 0)))
    settings = Settings(db=f"sqlite:///{tmp_path / 'noriai.db'}", data_dir=tmp_path, areas=B,
                        reopt_interval_s=0, standing_interval_s=0, secret_key="t" * 40,
                        operator_password="operator-test", driver_password="driver-test")
    with TestClient(create_app(settings, clock=clock, background=False)) as c:
        yield c


def _book(c: TestClient, area: str) -> None:
    p = PREFIX[area]
    r = c.post(f"{p}/api/v1/auth/register",
               json={"phone": "090-1111-2222", "pin": "2580", "name": f"利用者 {area}"})
    assert r.status_code == 201, r.text
    rider = {"Authorization": f"Bearer {r.json()['access_token']}"}
    origin, dest = TRIPS[area]
    body = {"origin": {"stop_id": origin}, "destination": {"stop_id": dest},
            "party": {"adults": 1}, "rule": "pickup_after", "time": local(time(10, 0))}
    r = c.post(f"{p}/api/v1/offers", json=body, headers=rider)
    assert r.status_code == 200, r.text
    r = c.post(f"{p}/api/v1/bookings", json={"offer_id": r.json()["offers"][0]["id"]},
               headers=rider)
    assert r.status_code == 201, r.text


def _report_position(c: TestClient, area: str, vehicle: str) -> None:
    p = PREFIX[area]
    r = c.post(f"{p}/api/v1/auth/login", json={"login": vehicle, "password": "driver-test"})
    assert r.status_code == 200, r.text
    lat, lon = POSITION[area]
    r = c.post(f"{p}/api/v1/driver/position", json={"lat": lat, "lon": lon},
               headers={"Authorization": f"Bearer {r.json()['access_token']}"})
    assert r.status_code == 204, r.text


def _decode(content: bytes) -> rt.FeedMessage:
    msg = rt.FeedMessage()
    msg.ParseFromString(content)
    return msg


def _tables(data: bytes) -> dict[str, list[dict[str, str]]]:
    return read_zip_tables(io.BytesIO(data))[0]  # type: ignore[arg-type]


def test_combined_static_feed_holds_every_area(two_areas: TestClient, tmp_path) -> None:
    """/gtfs/combined/feed.zip: both areas' routes, stops, trips and zones under scoped ids,
    one feed_info row, zero validator errors (recorded in the deployment's database), gtfs-kit
    reads it; ETag is the SHA-256 and a matching If-None-Match gives 304; the same feed under
    an area prefix; the areas' own feeds keep their unscoped ids."""
    c = two_areas
    r = c.get("/gtfs/combined/feed.zip")
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    status = c.get("/gtfs/combined/status").json()
    assert status["areas"] == [A, B] and status["url"] == "/gtfs/combined/feed.zip"
    assert r.headers["etag"] == f'"{status["sha256"]}"' == status["etag"]
    assert status["validation"]["ok"] and status["validation"]["errors"] == 0, status
    assert (status["start"], status["end"]) == ("2027-01-01", "2027-12-31")
    tables = _tables(r.content)
    assert [x["route_id"] for x in tables["routes.txt"]] == [
        "mitsugi:mitsugi_ondemand", "kinoshou:kinoshou_ondemand"]
    stops = {x["stop_id"] for x in tables["stops.txt"]}
    for area in AREAS:
        own = {s["id"] for s in c.get(f"{PREFIX[area]}/api/v1/stops").json()}
        assert {f"{area}:{s}" for s in own} <= stops
    assert len(stops) == len(tables["stops.txt"])
    assert len(tables["feed_info.txt"]) == 1
    path = tmp_path / "combined.zip"
    path.write_bytes(r.content)
    feed = read_with_gtfs_kit(path)
    assert {t.split(":")[0] for t in feed.trips["trip_id"]} == {A, B}

    again = c.get("/gtfs/combined/feed.zip", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    under = c.get("/a/kinoshou/gtfs/combined/feed.zip")
    assert under.content == r.content
    with Session(c.app.state.deployment.db) as s:
        stored = s.get(Setting, "gtfs_feed_combined")
    assert stored is not None and stored.value["sha256"] == status["sha256"]
    for area in AREAS:
        own = _tables(c.get(f"{PREFIX[area]}/gtfs/feed.zip").content)
        assert [x["route_id"] for x in own["routes.txt"]] == [f"{area}_ondemand"]
        assert not any(":" in x["stop_id"] for x in own["stops.txt"])


def test_combined_feed_follows_a_change_in_any_area(two_areas: TestClient) -> None:
    """Changing the second area's configuration gives new combined bytes (new ETag), with the
    change in that area's rows only; the old ETag no longer answers 304."""
    c = two_areas
    first = c.get("/gtfs/combined/feed.zip")
    runtime = c.app.state.deployment.areas[B]
    svc = runtime.service
    runtime.service = replace(svc, fares=replace(svc.fares, adult=svc.fares.adult + 100))
    second = c.get("/gtfs/combined/feed.zip", headers={"If-None-Match": first.headers["etag"]})
    assert second.status_code == 200 and second.headers["etag"] != first.headers["etag"]
    prices = {x["fare_id"]: int(x["price"]) for x in _tables(second.content)["fare_attributes.txt"]}
    before = {x["fare_id"]: int(x["price"]) for x in _tables(first.content)["fare_attributes.txt"]}
    assert prices["kinoshou:kinoshou_adult"] == before["kinoshou:kinoshou_adult"] + 100
    assert prices["mitsugi:mitsugi_adult"] == before["mitsugi:mitsugi_adult"]
    assert c.get("/gtfs/combined/status").json()["etag"] == second.headers["etag"]


def test_combined_realtime_ids_resolve_in_the_combined_static_feed(two_areas: TestClient) -> None:
    """With a booking and a reported position in each area, the combined TripUpdates and
    VehiclePositions hold both areas' runs and vehicles; every route and stop id they name is
    a row of the combined static feed, each trip is its area's run under the scoped id with the
    same stops and times, and the positions point at those trips."""
    c = two_areas
    for area in AREAS:
        _book(c, area)
    static = _tables(c.get("/gtfs/combined/feed.zip").content)
    routes = {x["route_id"] for x in static["routes.txt"]}
    stops = {x["stop_id"] for x in static["stops.txt"]}

    tus = _decode(c.get("/gtfs-rt/combined/trip-updates").content)
    assert tus.header.incrementality == rt.FeedHeader.FULL_DATASET
    by_area: dict[str, list[rt.TripUpdate]] = {A: [], B: []}
    for ent in tus.entity:
        by_area[ent.id.split(":")[0]].append(ent.trip_update)
    assert all(by_area.values()), by_area
    for area, updates in by_area.items():
        own = _decode(c.get(f"{PREFIX[area]}/gtfs-rt/trip-updates").content)
        assert len(updates) == len(own.entity)
        for tu, mine in zip(updates, (e.trip_update for e in own.entity), strict=True):
            assert tu.trip.route_id in routes and tu.trip.route_id.startswith(f"{area}:")
            assert tu.trip.trip_id == f"{area}:{mine.trip.trip_id}"
            assert [u.stop_id for u in tu.stop_time_update] == [
                f"{area}:{u.stop_id}" for u in mine.stop_time_update]
            assert {u.stop_id for u in tu.stop_time_update} <= stops
            assert [u.arrival.time for u in tu.stop_time_update] == [
                u.arrival.time for u in mine.stop_time_update]

    # The driver of each area's run reports a position: the combined VehiclePositions carry
    # it under the scoped vehicle id, on the run's scoped trip, heading to a combined stop.
    runs = {area: ups[0] for area, ups in by_area.items()}
    for area, tu in runs.items():
        _report_position(c, area, tu.vehicle.id.split(":", 1)[1])
    vps = _decode(c.get("/gtfs-rt/combined/vehicle-positions").content)
    vehicles = {e.vehicle.vehicle.id: e.vehicle for e in vps.entity}
    for area, tu in runs.items():
        vp = vehicles[tu.vehicle.id]
        assert vp.position.latitude == pytest.approx(POSITION[area][0], abs=1e-5)
        assert vp.trip.trip_id == tu.trip.trip_id and vp.trip.route_id in routes
        assert vp.stop_id == tu.stop_time_update[0].stop_id and vp.stop_id in stops
    js = c.get("/gtfs-rt/combined/trip-updates", params={"format": "json"})
    assert js.headers["content-type"].startswith("application/json")
    assert {e["id"].split(":")[0] for e in js.json()["entity"]} == {A, B}


def test_cli_export_writes_the_served_combined_feed(two_areas: TestClient, tmp_path) -> None:
    """`noriai gtfs export --combined` of the deployment's areas for the published window writes
    the very bytes /gtfs/combined/feed.zip serves (same SHA-256, so the same ETag)."""
    from dispatcher.cli import main

    served = two_areas.get("/gtfs/combined/feed.zip")
    status = two_areas.get("/gtfs/combined/status").json()
    out = tmp_path / "cli-combined.zip"
    assert main(["gtfs", "export", "--combined", str(out), "--areas", ",".join(AREAS),
                 "--start", status["start"], "--days", str(status["days"])]) == 0
    assert out.read_bytes() == served.content
