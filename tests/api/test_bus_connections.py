"""Connections to the buses through the API: departures at a transfer point, and a trip booked
to arrive in time for a real departure of the shipped 中国バス feed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, time, timedelta

import pytest
from fastapi.testclient import TestClient

from dispatcher.api.routes_feeds import timetables
from dispatcher.services import load_service
from dispatcher.units import TOKYO, at_local
from gtfs import transfer
from tests.api.conftest import TestClock as Clock
from tests.api.conftest import make_client, register

#: A Wednesday inside the shipped bus calendar (2025-12-31..2026-05-28) that the service runs.
BUS_DAY = date(2026, 1, 14)
TRIP = "1_1374_54_1_102181_20251229"  # 御調高校前 08:25 -> 市出張所 08:29 -> 尾道駅前 09:09
CONNECTION = f"{TRIP}@82_168@{BUS_DAY.isoformat()}"
DEPARTURE = datetime(2026, 1, 14, 8, 29, tzinfo=TOKYO)


def _clock() -> Clock:
    """Now = 07:00 on the bus day."""
    return Clock(at_local(BUS_DAY, time(7, 0)))


@pytest.fixture(scope="module")
def client(tmp_path_factory) -> Iterator[TestClient]:
    """One app on a fresh SQLite file, on the bus day, shared by the read-mostly tests."""
    folder = tmp_path_factory.mktemp("connections")
    with make_client(f"sqlite:///{folder / 'noriai.db'}", folder, _clock()) as c:
        yield c


@pytest.fixture
def any_db_client(db_url, tmp_path) -> Iterator[TestClient]:
    """A fresh app on the database under test (SQLite and PostgreSQL), on the bus day."""
    with make_client(db_url, tmp_path, _clock()) as c:
        yield c


@pytest.fixture
def rider(client, request) -> dict[str, str]:
    """A new signed-in rider (one per test)."""
    return register(client, f"090-5555-{abs(hash(request.node.name)) % 10000:04d}")


def _trip(dest: str = "ichi_office", origin: str = "honmura", **connection: str) -> dict:
    return {"origin": {"stop_id": origin}, "destination": {"stop_id": dest},
            "party": {"adults": 1}, "connection": connection or {"connection_id": CONNECTION}}


def test_bus_day_is_a_service_day():
    """The test day is one the taxi service runs (else every offer would be refused)."""
    assert load_service("mitsugi").calendar.runs_on(BUS_DAY)


def test_departures_at_the_transfer_point(client):
    """At 市出張所 after 07:00: the 08:29 run first, with its connection id, the latest
    drop-off 5 minutes (the service's buffer) before it; unknown stops are a 404, a time
    without offset a 422."""
    r = client.get("/api/v1/connections",
                   params={"stop_id": "ichi_office", "after": "2026-01-14T07:00:00+09:00", "n": 2})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["transfer_buffer_min"] == 5 and len(body["departures"]) == 2
    first = body["departures"][0]
    assert first["connection_id"] == CONNECTION
    assert datetime.fromisoformat(first["departure"]) == DEPARTURE
    assert datetime.fromisoformat(first["latest_dropoff"]) == DEPARTURE - timedelta(minutes=5)
    assert first["route_name"] == "尾道・新尾道・市・甲山線" and first["headsign"] == "尾道駅前"
    assert client.get("/api/v1/connections", params={"stop_id": "honmura"}).status_code == 404
    naive = client.get("/api/v1/connections",
                       params={"stop_id": "ichi_office", "after": "2026-01-14T07:00:00"})
    assert naive.status_code == 422 and naive.json()["message_en"]
    far = client.get("/api/v1/connections",
                     params={"stop_id": "ichi_office", "after": "0001-01-02T00:00:00+09:00"})
    assert far.status_code == 422


def test_book_a_connection_to_the_0829_bus(any_db_client):
    """A trip naming the 08:29 departure gets only offers whose latest drop-off is at least
    the buffer before it; the offer and the booking (SQLite and PostgreSQL) say which bus it
    connects to."""
    client = any_db_client
    rider = register(client, "090-5555-6666")
    r = client.post("/api/v1/offers", json=_trip(), headers=rider)
    assert r.status_code == 200, r.text
    offers = r.json()["offers"] + r.json()["alternatives"]
    assert offers
    for off in offers:
        latest = datetime.fromisoformat(off["dropoff_latest"])
        assert latest <= DEPARTURE - timedelta(minutes=5)
        assert datetime.fromisoformat(off["dropoff_expected"]) <= latest
    con = offers[0]["connection"]
    assert con["trip_id"] == TRIP and con["stop_id"] == "82_168" and con["stop_name"] == "市出張所"
    assert con["route_name"] == "尾道・新尾道・市・甲山線" and con["headsign"] == "尾道駅前"
    assert datetime.fromisoformat(con["departure"]) == DEPARTURE
    assert "08:29" in con["description_ja"] and "08:29" in con["description_en"]
    r = client.post("/api/v1/bookings", json={"offer_id": offers[0]["id"]}, headers=rider)
    assert r.status_code == 201, r.text
    booking = r.json()
    assert booking["connection"]["connection_id"] == CONNECTION
    assert booking["destination_stop_id"] == "ichi_office" and booking["rule"] == "dropoff_before"
    promised = datetime.fromisoformat(booking["dropoff_latest"])
    assert DEPARTURE - promised >= timedelta(minutes=5)
    again = client.get(f"/api/v1/bookings/{booking['id']}", headers=rider).json()
    assert again["connection"]["departure"] == con["departure"]


def test_connection_named_by_fields_and_buffer_from_the_configuration(client, rider):
    """trip_id, stop_id and date name the same departure; a longer transfer buffer in the
    service's booking rules moves the latest drop-off earlier."""
    runtime = client.app.state.runtime
    svc = runtime.service
    runtime.service = replace(svc, booking=replace(svc.booking, transfer_buffer_s=900))
    # From クロスロードみつぎ (a minute away): with a 15-minute buffer the trip from 本村 would
    # need a pickup before the 08:00 opening, which the service does not promise.
    body = _trip(origin="crossroad_mitsugi", trip_id=TRIP, stop_id="82_168",
                 date=BUS_DAY.isoformat())
    try:
        r = client.post("/api/v1/offers", json=body, headers=rider)
    finally:
        runtime.service = svc
    assert r.status_code == 200, r.text
    offers = r.json()["offers"] + r.json()["alternatives"]
    assert offers and offers[0]["connection"]["buffer_s"] == 900
    for off in offers:
        assert DEPARTURE - datetime.fromisoformat(off["dropoff_latest"]) >= timedelta(minutes=15)


def test_mismatches_are_refused_clearly(client, rider):
    """Wrong destination, a day the bus does not run, a malformed id, a leave-after rule, an
    incomplete reference and an absurd date are each a 422 with Japanese and English
    messages (never a 500)."""
    cases = [
        _trip(dest="hospital"),
        _trip(connection_id=f"{TRIP}@82_168@2026-01-17"),  # a Saturday: no such run
        _trip(connection_id="nonsense"),
        {**_trip(), "rule": "pickup_after", "time": "2026-01-14T08:00:00+09:00"},
        _trip(trip_id=TRIP),
        _trip(trip_id=TRIP, stop_id="82_168", date="0001-01-01"),
    ]
    for body in cases:
        r = client.post("/api/v1/offers", json=body, headers=rider)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["message_ja"] and r.json()["message_en"]
    wrong = client.post("/api/v1/offers", json=cases[0], headers=rider).json()
    assert wrong["details"]["transfer_stop"] == "ichi_office"



def test_walk_to_a_distant_pole_is_added_to_the_buffer(client):
    """The listed departures keep the buffer plus the walk to their pole (none at the office's
    own pole 82_168); a bus at 石原 (64_130, about 340 m away) needs a 10-minute walk more at an
    elderly rider's pace."""
    r = client.get("/api/v1/connections",
                   params={"stop_id": "ichi_office", "after": "2026-01-14T06:00:00+09:00", "n": 10})
    for d in r.json()["departures"]:
        gap = (datetime.fromisoformat(d["departure"])
               - datetime.fromisoformat(d["latest_dropoff"])).total_seconds()
        assert gap == d["buffer_s"] == 300 + d["walk_s"]
        assert (d["walk_s"] == 0) == (d["stop_id"] == "82_168"), d
    svc = client.app.state.runtime.service
    tts = timetables(client.app.state.runtime)
    assert transfer.walk_time_s(svc, "ichi_office", "64_130", tts) == 600
    assert transfer.walk_time_s(svc, "ichi_office", "no-such-pole", tts) == 0
    dep = transfer.find_departure(tts, TRIP, "82_168", BUS_DAY)
    rec = transfer.connection_record(dep, "ichi_office", 300, TOKYO, walk_s=600)
    assert datetime.fromisoformat(rec["latest_dropoff"]) == DEPARTURE - timedelta(minutes=15)
