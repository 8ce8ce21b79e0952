"""The feeds the API publishes: the static GTFS-Flex zip (bytes, ETag, regeneration, status)
and GTFS-Realtime built from the live plans (decoded with gtfs-realtime-bindings)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, time

import pytest
from fastapi.testclient import TestClient
from google.transit import gtfs_realtime_pb2 as rt
from sqlmodel import Session

from dispatcher.store.tables import Setting
from dispatcher.units import TOKYO, at_local
from gtfs.cli import main as gtfs_cli
from gtfs.feed import read_with_gtfs_kit, read_zip_tables
from gtfs.flex import FeedIds
from gtfs.live import run_trip_id
from tests.api.conftest import DAY, driver, local, login, make_client, register
from tests.api.conftest import TestClock as Clock


@pytest.fixture
def clock() -> Clock:
    """Now = 08:00 on the API tests' day (a Wednesday the service runs)."""
    return Clock(at_local(DAY, time(8, 0)))


@pytest.fixture
def client(tmp_path, clock) -> Iterator[TestClient]:
    """The app on a fresh SQLite file."""
    with make_client(f"sqlite:///{tmp_path / 'noriai.db'}", tmp_path, clock) as c:
        yield c


def _zip_tables(data: bytes) -> dict[str, list[dict[str, str]]]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
    assert names == sorted(names)
    return read_zip_tables(io.BytesIO(data))[0]  # type: ignore[arg-type]


def test_served_zip_equals_cli_export_and_validates(client, tmp_path):
    """/gtfs/feed.zip is byte-identical to `noriai gtfs export` for the window the status
    names, its ETag is the SHA-256, a matching If-None-Match gives 304, gtfs-kit reads it,
    and the validator's verdict (zero errors) is recorded in the settings table."""
    r = client.get("/gtfs/feed.zip")
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    status = client.get("/gtfs/status").json()
    assert status["start"] == "2027-01-01" and status["days"] == 365
    assert r.headers["etag"] == f'"{status["sha256"]}"'
    out = tmp_path / "cli.zip"
    code = gtfs_cli(["export", str(out), "--start", status["start"], "--days", "365"])
    assert code == 0
    assert out.read_bytes() == r.content
    assert status["validation"]["errors"] == 0 and status["validation"]["ok"], status
    feed = read_with_gtfs_kit(out)
    assert len(feed.trips) > 0 and feed.calendar["start_date"].tolist() == ["20270101"]
    again = client.get("/gtfs/feed.zip", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    with Session(client.app.state.runtime.db) as s:
        stored = s.get(Setting, "gtfs_feed")
    assert stored is not None and stored.value["sha256"] == status["sha256"]
    assert stored.value["exported_at"] == status["exported_at"]


def test_changed_configuration_regenerates_the_feed(client):
    """Changing the service configuration gives new bytes (new ETag) whose booking rules and
    calendar follow it; the status records the new export; the operator can re-export."""
    first = client.get("/gtfs/feed.zip")
    runtime = client.app.state.runtime
    svc = runtime.service
    runtime.service = replace(
        svc,
        booking=replace(svc.booking, type="prior_day", prior_day_deadline_s=16 * 3600,
                        message_ja="前日16時までにご予約ください。", phone="0848-11-2222"),
        calendar=replace(svc.calendar, days=svc.calendar.days | {"sat"}),
    )
    second = client.get("/gtfs/feed.zip")
    assert second.status_code == 200
    assert second.headers["etag"] != first.headers["etag"]
    tables = _zip_tables(second.content)
    rule = tables["booking_rules.txt"][0]
    assert rule["booking_type"] == "2" and rule["prior_notice_last_time"] == "16:00:00"
    assert rule["message"] == "前日16時までにご予約ください。"
    assert rule["phone_number"] == "0848-11-2222"
    assert tables["calendar.txt"][0]["saturday"] == "1"
    old = _zip_tables(first.content)
    assert old["booking_rules.txt"][0]["booking_type"] == "1"
    assert old["calendar.txt"][0]["saturday"] == "0"
    status = client.get("/gtfs/status").json()
    assert f'"{status["sha256"]}"' == second.headers["etag"]
    assert status["validation"]["errors"] == 0, status["validation"]
    assert client.post("/api/v1/operator/gtfs/export").status_code == 401
    op = login(client, login="operator", password="operator-test")
    redo = client.post("/api/v1/operator/gtfs/export", headers=op)
    assert redo.status_code == 200 and redo.json()["sha256"] == status["sha256"]


def test_export_record_survives_a_restart_and_the_window_follows_the_month(tmp_path):
    """The published window starts on the first day of the current local month; after a
    restart with an unchanged configuration the same bytes are served and the recorded export
    (time, verdict) is kept rather than redone."""
    clock = Clock(at_local(date(2027, 2, 20), time(9, 0), TOKYO))
    url = f"sqlite:///{tmp_path / 'noriai.db'}"
    with make_client(url, tmp_path, clock) as c:
        before = c.get("/gtfs/status").json()
    assert (before["start"], before["end"]) == ("2027-02-01", "2028-01-31")
    clock.t += 3600
    with make_client(url, tmp_path, clock) as c:
        after = c.get("/gtfs/status").json()
    assert after["sha256"] == before["sha256"]
    assert after["exported_at"] == before["exported_at"]


def _decode(content: bytes) -> rt.FeedMessage:
    msg = rt.FeedMessage()
    msg.ParseFromString(content)
    return msg


def _epoch(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp())


def _book(client: TestClient, rider: dict[str, str], origin: str, dest: str, at: time) -> dict:
    body = {"origin": {"stop_id": origin}, "destination": {"stop_id": dest},
            "party": {"adults": 1}, "rule": "pickup_after", "time": local(at)}
    offer = client.post("/api/v1/offers", json=body, headers=rider).json()["offers"][0]
    r = client.post("/api/v1/bookings", json={"offer_id": offer["id"]}, headers=rider)
    assert r.status_code == 201, r.text
    return r.json()


def test_realtime_feeds_agree_with_the_live_plans(client, clock):
    """Three bookings and a reported position: TripUpdates (protobuf) list, per vehicle, the
    manifest's stops with its times as a NEW trip of the Flex route; VehiclePositions carry
    the reported fix and the load; after a boarding the served stop stays first, with its
    actual time, and the rest follows the new manifest."""
    rider = register(client, "090-3333-4444")
    _book(client, rider, "honmura", "hospital", time(9, 30))
    _book(client, rider, "ichi_naka", "crossroad_mitsugi", time(9, 40))
    _book(client, rider, "hata", "hospital", time(10, 0))
    route = FeedIds.of(client.app.state.runtime.service).route

    def compare() -> dict[str, rt.TripUpdate]:
        r = client.get("/gtfs-rt/trip-updates")
        assert r.status_code == 200 and r.headers["content-type"] == "application/x-protobuf"
        msg = _decode(r.content)
        assert msg.header.timestamp == clock.t
        runs = {e.trip_update.vehicle.id: e.trip_update for e in msg.entity}
        assert runs, "no run published"
        for vid, tu in runs.items():
            assert tu.trip.trip_id == run_trip_id(vid, DAY)
            assert tu.trip.route_id == route
            assert tu.trip.schedule_relationship == rt.TripDescriptor.NEW
            assert tu.trip.start_date == DAY.strftime("%Y%m%d")
            man = client.get("/api/v1/driver/manifest", headers=driver(client, vid)).json()
            upcoming = list(tu.stop_time_update)[-len(man["stops"]):]
            assert [u.stop_id for u in upcoming] == [s["stop_id"] for s in man["stops"]]
            assert [u.arrival.time for u in upcoming] == [_epoch(s["eta"]) for s in man["stops"]]
            seqs = [u.stop_sequence for u in tu.stop_time_update]
            assert seqs == list(range(1, len(seqs) + 1))
            assert all(u.departure.time >= u.arrival.time for u in tu.stop_time_update)
        return runs

    runs = compare()
    assert sum(len(tu.stop_time_update) for tu in runs.values()) == 6
    vid = sorted(runs)[0]
    drv = driver(client, vid)
    assert client.post("/api/v1/driver/position", json={"lat": 34.515, "lon": 133.149},
                       headers=drv).status_code == 204
    pos = _decode(client.get("/gtfs-rt/vehicle-positions").content)
    [ent] = [e for e in pos.entity if e.vehicle.vehicle.id == vid]
    assert ent.vehicle.position.latitude == pytest.approx(34.515, abs=1e-5)
    assert ent.vehicle.position.longitude == pytest.approx(133.149, abs=1e-5)
    assert ent.vehicle.timestamp == clock.t
    assert ent.vehicle.occupancy_status == rt.VehiclePosition.EMPTY
    assert ent.vehicle.trip.trip_id == run_trip_id(vid, DAY)
    assert ent.vehicle.stop_id == runs[vid].stop_time_update[0].stop_id

    first = client.get("/api/v1/driver/manifest", headers=drv).json()["stops"][0]
    clock.t = _epoch(first["window"][0])
    r = client.post("/api/v1/driver/events", json={"type": "boarded",
                                                   "booking_id": first["booking_id"]}, headers=drv)
    assert r.status_code == 200, r.text
    runs = compare()
    served = runs[vid].stop_time_update[0]
    assert served.stop_id == first["stop_id"] and served.arrival.time == clock.t
    client.post("/api/v1/driver/position", json={"lat": 34.52, "lon": 133.15}, headers=drv)
    pos = _decode(client.get("/gtfs-rt/vehicle-positions", params={"format": "pb"}).content)
    [ent] = [e for e in pos.entity if e.vehicle.vehicle.id == vid]
    assert ent.vehicle.occupancy_status == rt.VehiclePosition.MANY_SEATS_AVAILABLE
    js = client.get("/gtfs-rt/trip-updates", params={"format": "json"})
    assert js.headers["content-type"].startswith("application/json")
    assert {e["trip_update"]["trip"]["schedule_relationship"] for e in js.json()["entity"]} == {"NEW"}
    assert client.get("/gtfs-rt/trip-updates", params={"format": "xml"}).status_code == 422


def test_old_positions_are_not_published(client, clock):
    """A vehicle whose last fix is more than an hour old is left out of VehiclePositions."""
    drv = driver(client, "mitsugi-2")
    client.post("/api/v1/driver/position", json={"lat": 34.51, "lon": 133.15}, headers=drv)
    ids = [e.vehicle.vehicle.id for e in _decode(client.get("/gtfs-rt/vehicle-positions").content).entity]
    assert ids == ["mitsugi-2"]
    clock.t += 3601
    assert list(_decode(client.get("/gtfs-rt/vehicle-positions").content).entity) == []


def test_trip_updates_follow_the_vehicle_like_the_riders_eta(client, clock):
    """A vehicle on its way to a pickup reports a position far from it: the TripUpdate of its run
    carries the same arrival as the rider's live ETA (now + the drive from there), later than
    the plan."""
    rider = register(client, "090-3333-5555")
    booking = _book(client, rider, "honmura", "hospital", time(10, 0))
    vid = booking["vehicle_id"]
    drv = driver(client, vid)
    clock.t = _epoch(booking["pickup_window"][0]) - 1200
    assert client.post("/api/v1/driver/events", json={"type": "departed",
                                                      "booking_id": booking["id"]},
                       headers=drv).status_code == 200
    client.post("/api/v1/driver/position", json={"lat": 34.51667, "lon": 133.14778}, headers=drv)
    eta = client.get(f"/api/v1/bookings/{booking['id']}/eta", headers=rider).json()
    assert eta["eta_source"] == "position"
    msg = _decode(client.get("/gtfs-rt/trip-updates").content)
    [tu] = [e.trip_update for e in msg.entity if e.trip_update.vehicle.id == vid]
    nxt = tu.stop_time_update[0]
    assert nxt.stop_id == "honmura" and nxt.arrival.time == _epoch(eta["eta"])
    assert nxt.arrival.time - clock.t >= 240
