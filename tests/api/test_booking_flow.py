"""The rider's and the operator's booking flows through the HTTP API, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, time

from tests.api.conftest import driver, register, trip


def test_health_docs_openapi(client):
    """/health answers when ready; /docs and /openapi.json describe the API."""
    assert client.get("/health").json()["status"] == "ok"
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/v1/offers" in paths and "/api/v1/bookings" in paths


def test_offer_book_view_cancel(client, rider):
    """Ask → offers with a 10-minute window → accept → my bookings → ETA → cancel."""
    r = client.post("/api/v1/offers", json=trip(), headers=rider)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["offers"], body
    offer = body["offers"][0]
    a, b = (datetime.fromisoformat(x) for x in offer["pickup_window"])
    assert (b - a).total_seconds() == 600
    assert a >= datetime.fromisoformat(trip()["time"])
    assert offer["fare"] == 300
    r = client.post("/api/v1/bookings", json={"offer_id": offer["id"]},
                    headers={**rider, "Idempotency-Key": "k1"})
    assert r.status_code == 201, r.text
    booking = r.json()
    assert booking["status"] == "confirmed"
    assert booking["pickup_window"] == offer["pickup_window"]
    mine = client.get("/api/v1/bookings", headers=rider).json()
    assert [x["id"] for x in mine] == [booking["id"]]
    eta = client.get(f"/api/v1/bookings/{booking['id']}/eta", headers=rider).json()
    assert eta["eta_kind"] == "pickup" and eta["eta"]
    r = client.post(f"/api/v1/bookings/{booking['id']}/cancel", headers=rider)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"


def test_idempotent_retry_returns_same_booking(client, rider):
    """The same Idempotency-Key returns the same booking; the offer cannot be used twice."""
    offer = client.post("/api/v1/offers", json=trip(), headers=rider).json()["offers"][0]
    h = {**rider, "Idempotency-Key": "retry-1"}
    first = client.post("/api/v1/bookings", json={"offer_id": offer["id"]}, headers=h)
    again = client.post("/api/v1/bookings", json={"offer_id": offer["id"]}, headers=h)
    assert first.status_code == 201 and again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    other = client.post("/api/v1/bookings", json={"offer_id": offer["id"]},
                        headers={**rider, "Idempotency-Key": "retry-2"})
    assert other.status_code == 409
    assert len(client.get("/api/v1/bookings", headers=rider).json()) == 1


def test_arrive_by_group_booking(client, rider):
    """An arrive-by group (2 adults, 1 child) is promised a drop-off before the asked time."""
    body = trip(at=time(11, 0), rule="dropoff_before", adults=2, children=1)
    offer = client.post("/api/v1/offers", json=body, headers=rider).json()["offers"][0]
    assert datetime.fromisoformat(offer["dropoff_latest"]) <= datetime.fromisoformat(body["time"])
    assert offer["fare"] == 300 * 2 + 150
    r = client.post("/api/v1/bookings", json={"offer_id": offer["id"]}, headers=rider)
    assert r.status_code == 201 and r.json()["children"] == 1


def test_riders_see_only_their_own(client, rider, operator):
    """Another rider gets 404 for my booking; a rider may not use operator endpoints."""
    offer = client.post("/api/v1/offers", json=trip(), headers=rider).json()["offers"][0]
    bid = client.post("/api/v1/bookings", json={"offer_id": offer["id"]}, headers=rider).json()["id"]
    other = register(client, "090-9999-0000", name="他の人")
    assert client.get(f"/api/v1/bookings/{bid}", headers=other).status_code == 404
    assert client.post(f"/api/v1/bookings/{bid}/cancel", headers=other).status_code == 404
    assert client.get("/api/v1/operator/bookings", headers=rider).status_code == 403
    assert client.get(f"/api/v1/bookings/{bid}", headers=operator).status_code == 200


def test_phone_booking_no_show_and_move(client, operator, clock):
    """An operator books for a caller, moves it to another vehicle, and records a no-show only
    after the window opens plus the grace time."""
    caller = {"name": "佐藤 一郎", "phone": "0848-76-1234"}
    body = {**trip(at=time(9, 30)), "caller": caller}
    r = client.post("/api/v1/operator/offers", json=body, headers=operator)
    assert r.status_code == 200, r.text
    offer = r.json()["offers"][0]
    r = client.post("/api/v1/operator/bookings", json={"offer_id": offer["id"], "caller": caller},
                    headers=operator)
    assert r.status_code == 201, r.text
    booking = r.json()
    assert booking["channel"] == "phone" and booking["rider_name"] == "佐藤 一郎"
    target = "mitsugi-2" if booking["vehicle_id"] != "mitsugi-2" else "mitsugi-1"
    moved = client.post(f"/api/v1/operator/bookings/{booking['id']}/move",
                        json={"vehicle_id": target}, headers=operator)
    assert moved.status_code == 200, moved.text
    assert moved.json()["vehicle_id"] == target
    early = client.post(f"/api/v1/operator/bookings/{booking['id']}/no-show", headers=operator)
    assert early.status_code == 422
    start = datetime.fromisoformat(booking["pickup_window"][0])
    clock.t = int(start.timestamp()) + 181
    r = client.post(f"/api/v1/operator/bookings/{booking['id']}/no-show", headers=operator)
    assert r.status_code == 200 and r.json()["status"] == "no_show"
    types = [e["type"] for e in client.get(f"/api/v1/operator/bookings/{booking['id']}/events",
                                           headers=operator).json()]
    assert types[:2] == ["booked", "moved"] and types[-1] == "no_show"


def test_driver_manifest_board_alight(client, rider, clock):
    """The driver sees the booking in the manifest, boards and drops off the rider; a repeated
    queued action (same client_id) is applied once."""
    offer = client.post("/api/v1/offers", json=trip(), headers=rider).json()["offers"][0]
    booking = client.post("/api/v1/bookings", json={"offer_id": offer["id"]}, headers=rider).json()
    d = driver(client, booking["vehicle_id"])
    man = client.get("/api/v1/driver/manifest", headers=d).json()
    kinds = [(s["booking_id"], s["kind"]) for s in man["stops"]]
    assert kinds == [(booking["id"], "pickup"), (booking["id"], "dropoff")]
    assert man["stops"][0]["name_ja"] == "本村" and man["stops"][0]["adults"] == 1
    clock.t = int(datetime.fromisoformat(booking["pickup_window"][0]).timestamp())
    ev = {"type": "boarded", "booking_id": booking["id"], "client_id": "act-1"}
    assert client.post("/api/v1/driver/events", json=ev, headers=d).json()["status"] == "onboard"
    again = client.post("/api/v1/driver/events", json=ev, headers=d).json()
    assert again["duplicate"] is True
    clock.t += 900
    r = client.post("/api/v1/driver/events",
                    json={"type": "alighted", "booking_id": booking["id"]}, headers=d)
    assert r.json()["status"] == "completed"
    assert client.get(f"/api/v1/bookings/{booking['id']}", headers=rider).json()["status"] == "completed"
    assert client.get("/api/v1/driver/manifest", headers=d).json()["stops"] == []


def test_kpis_follow_the_event_log(client, rider, operator, clock):
    """KPIs count the request, the completed trip, its wait against the promise and the legs."""
    offer = client.post("/api/v1/offers", json=trip(), headers=rider).json()["offers"][0]
    booking = client.post("/api/v1/bookings", json={"offer_id": offer["id"]}, headers=rider).json()
    d = driver(client, booking["vehicle_id"])
    start = int(datetime.fromisoformat(booking["pickup_window"][0]).timestamp())
    clock.t = start + 120
    client.post("/api/v1/driver/events", json={"type": "boarded", "booking_id": booking["id"]}, headers=d)
    clock.t += 600
    client.post("/api/v1/driver/events", json={"type": "alighted", "booking_id": booking["id"]}, headers=d)
    client.post("/api/v1/offers", json=trip(at=time(18, 0)), headers=rider)  # refused: after hours
    k = client.get("/api/v1/operator/kpis", headers=operator).json()
    assert k["requests"] == 2 and k["accepted"] == 1 and k["refused"] == 1
    assert k["refused_reasons"] == {"service_hours": 1}
    assert k["completed"] == 1 and k["riders_carried"] == 1
    assert k["wait_mean_s"] == 120 and k["on_time_rate"] == 1.0
    assert k["ride_mean_s"] == 600
    assert k["vehicle_km"] > 0 and k["empty_km"] > 0  # the drive to the pickup was empty


def test_offers_stay_inside_service_hours(client, rider, clock):
    """An arrive-by trip at 08:05 is never promised a pickup window that closes before the 08:00
    opening, nor a drop-off after closing time."""
    clock.t -= 3 * 3600  # 05:00, so that 08:05 has enough notice
    r = client.post("/api/v1/offers", json=trip(at=time(8, 5), rule="dropoff_before"), headers=rider)
    assert r.status_code in (200, 409), r.text
    body = r.json()
    for offer in body.get("offers", []) + body.get("alternatives", []):
        end = datetime.fromisoformat(offer["pickup_window"][1])
        assert (end.hour, end.minute) >= (8, 0)
        assert datetime.fromisoformat(offer["dropoff_latest"]).hour < 17


def test_driver_break_keeps_promises(client, rider, clock):
    """A driver starts the shift's break from the app: refused while it would make a booked
    pickup late, or outside the break's window; accepted on a vehicle whose plan allows it, and
    then gone from the manifest."""
    offer = client.post("/api/v1/offers", json=trip(at=time(12, 10)), headers=rider).json()["offers"][0]
    booking = client.post("/api/v1/bookings", json={"offer_id": offer["id"]}, headers=rider).json()
    busy = booking["vehicle_id"]
    free = next(v for v in ("mitsugi-1", "mitsugi-2", "mitsugi-3") if v != busy)
    clock.set(time(10, 0))
    r = client.post("/api/v1/driver/break", headers=driver(client, free))
    assert r.status_code == 409 and "休憩" in r.json()["message_ja"]  # not inside the window yet
    clock.set(time(12, 0))
    r = client.post("/api/v1/driver/break", headers=driver(client, busy))
    assert r.status_code == 409 and r.json()["details"]["rule"] == "break_keeps_promises", r.json()
    assert r.json()["message_en"]
    d = driver(client, free)
    assert client.get("/api/v1/driver/manifest", headers=d).json()["breaks"]
    r = client.post("/api/v1/driver/break", headers=d)
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["end_s"] - body["start_s"] == 45 * 60 and body["start"].endswith("+09:00")
    assert client.get("/api/v1/driver/manifest", headers=d).json()["breaks"] == []
    assert client.post("/api/v1/driver/break", headers=d).status_code == 409  # taken already
    # the booked vehicle's plan still keeps its promise
    man = client.get("/api/v1/driver/manifest", headers=driver(client, busy)).json()
    assert man["feasible"] and [s["booking_id"] for s in man["stops"]] == [booking["id"]] * 2


def test_eta_follows_the_vehicle_position(client, rider, clock):
    """Once the vehicle has left for the pickup, the rider's ETA comes from its reported position
    (now + travel time from there); a stale report falls back to the plan."""
    offer = client.post("/api/v1/offers", json=trip(), headers=rider).json()["offers"][0]
    booking = client.post("/api/v1/bookings", json={"offer_id": offer["id"]}, headers=rider).json()
    d = driver(client, booking["vehicle_id"])
    url = f"/api/v1/bookings/{booking['id']}/eta"
    planned = client.get(url, headers=rider).json()
    assert planned["eta_source"] == "plan"
    clock.t = int(datetime.fromisoformat(booking["pickup_window"][0]).timestamp()) - 1200
    r = client.post("/api/v1/driver/events", json={"type": "departed", "booking_id": booking["id"]},
                    headers=d)
    assert r.status_code == 200, r.text
    # at the pickup stop (本村) already: the ETA is now
    client.post("/api/v1/driver/position", json={"lat": 34.534153, "lon": 133.17508}, headers=d)
    near = client.get(url, headers=rider).json()
    assert near["eta_source"] == "position"
    assert abs(datetime.fromisoformat(near["eta"]).timestamp() - clock.t) <= 60
    # still at the hospital, a few km away: later by the drive from there
    client.post("/api/v1/driver/position", json={"lat": 34.51667, "lon": 133.14778}, headers=d)
    far = client.get(url, headers=rider).json()
    assert far["eta_source"] == "position"
    assert datetime.fromisoformat(far["eta"]).timestamp() - clock.t >= 240
    clock.t += 600  # no report for 10 minutes: back to the plan
    assert client.get(url, headers=rider).json()["eta_source"] == "plan"
