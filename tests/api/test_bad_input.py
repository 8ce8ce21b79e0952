"""Bad input gets a clear 4xx in Japanese and English, never a 500, and changes nothing."""

from __future__ import annotations

from datetime import time

import pytest

from tests.api.conftest import DAY, local, trip


def _count(client, operator) -> int:
    return len(client.get("/api/v1/operator/bookings", headers=operator).json())


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (trip(origin="nowhere"), 422, "invalid_input"),
        ({**trip(), "origin": {"lat": 34.404, "lon": 133.193}}, 422, "outside_zone"),
        ({**trip(), "origin": {"lat": 35.0, "lon": 139.0}}, 422, "outside_zone"),
        (trip(at=time(7, 0)), 422, "invalid_input"),  # earlier than now (08:00)
        (trip(at=time(17, 30)), 422, "booking_rule"),
        (trip(at=time(19, 0)), 422, "booking_rule"),
        ({**trip(), "time": local(time(7, 30), DAY.replace(day=12))}, 422, "invalid_input"),
        ({**trip(), "time": "2027-01-13T10:00:00"}, 422, "invalid_input"),
        (trip(adults=0), 422, "invalid_input"),
        (trip(adults=9), 422, "booking_rule"),
        (trip(wheelchairs=3), 422, "booking_rule"),
        (trip(origin="honmura", dest="honmura"), 422, "invalid_input"),
        ({**trip(), "rule": "whenever"}, 422, "invalid_input"),
    ],
)
def test_bad_trip_requests(client, rider, operator, body, status, code):
    """Unknown stops, points outside the zone, past or off-hours times, impossible parties."""
    before = _count(client, operator)
    r = client.post("/api/v1/offers", json=body, headers=rider)
    assert r.status_code == status, r.text
    err = r.json()
    assert err["code"] == code
    assert err["message_ja"] and err["message_en"]
    assert _count(client, operator) == before


def test_malformed_json_and_missing_token(client, rider):
    """Malformed JSON is a 422 with a message; no token is a 401."""
    r = client.post("/api/v1/offers", content=b"{not json", headers={**rider,
                                                                      "Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["message_en"]
    assert client.post("/api/v1/offers", json=trip()).status_code == 401
    assert client.get("/api/v1/bookings", headers={"Authorization": "Bearer nonsense"}).status_code == 401


def test_expired_and_unknown_offer(client, rider, clock):
    """An expired offer is refused with 409; an unknown one with 404; nothing is booked."""
    offer = client.post("/api/v1/offers", json=trip(), headers=rider).json()["offers"][0]
    clock.t += 301
    r = client.post("/api/v1/bookings", json={"offer_id": offer["id"]}, headers=rider)
    assert r.status_code == 409 and "expired" in r.json()["message_en"]
    assert client.post("/api/v1/bookings", json={"offer_id": "of-missing"}, headers=rider).status_code == 404
    assert client.get("/api/v1/bookings", headers=rider).json() == []


def test_wrong_pin_and_duplicate_phone(client, rider):
    """A wrong PIN is a 401; registering the same phone twice is a 409."""
    r = client.post("/api/v1/auth/login", json={"phone": "09011112222", "password": "9999"})
    assert r.status_code == 401
    r = client.post("/api/v1/auth/register", json={"phone": "090-1111-2222", "pin": "5827", "name": "x"})
    assert r.status_code == 409
