"""The driver's rules on the server (issue 15), on SQLite and PostgreSQL.

- A ticket boards only its own booking, and only at its own stop: the check-in refuses every
  other ticket with a reason (``other_stop``, ``wrong_vehicle``, ``wrong_day``,
  ``already_onboard``, ``cancelled``) and boards nobody; the offline verdict computed from the
  driver's sync and manifest (as the app does) agrees case by case.
- A no-show needs the driver's arrival at the pickup (besides the grace time), can be undone
  for a short time if the plan can still keep the promise, and the pickup's rider phone is in
  the manifest of that booking's vehicle only.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from dispatcher import tickets
from tests.api.conftest import DAY, TestClock, driver, local, register, trip

TOMORROW = DAY + timedelta(days=1)


def epoch(iso: str) -> int:
    """Epoch seconds of an ISO time."""
    return int(datetime.fromisoformat(iso).timestamp())


def book(client: TestClient, rider: dict[str, str], origin: str, dest: str, at: time,
         day: date = DAY, **party: int) -> dict[str, Any]:
    """The first offer of a trip, accepted."""
    body = {**trip(origin=origin, dest=dest, at=at, **party), "time": local(at, day)}
    r = client.post("/api/v1/offers", json=body, headers=rider)
    assert r.status_code == 200 and r.json()["offers"], r.text
    r = client.post("/api/v1/bookings", json={"offer_id": r.json()["offers"][0]["id"]},
                    headers=rider)
    assert r.status_code == 201, r.text
    return r.json()


def onto(client: TestClient, operator: dict[str, str], booking: dict, vehicle: str) -> dict:
    """The booking moved to ``vehicle`` by the operator (if it is not there already)."""
    if booking["vehicle_id"] != vehicle:
        r = client.post(f"/api/v1/operator/bookings/{booking['id']}/move",
                        json={"vehicle_id": vehicle}, headers=operator)
        assert r.status_code == 200, r.text
        return r.json()
    return booking


def other(vehicle: str) -> str:
    """A vehicle of the fleet other than ``vehicle``."""
    return "mitsugi-1" if vehicle != "mitsugi-1" else "mitsugi-2"


def event(client: TestClient, drv: dict[str, str], kind: str, booking_id: str | None):
    """POST a driver event; the response."""
    return client.post("/api/v1/driver/events", json={"type": kind, "booking_id": booking_id},
                       headers=drv)


def manifest(client: TestClient, drv: dict[str, str]) -> dict[str, Any]:
    """The driver's manifest of today."""
    r = client.get("/api/v1/driver/manifest", headers=drv)
    assert r.status_code == 200, r.text
    return r.json()


def ticket(client: TestClient, who: dict[str, str], booking_id: str) -> dict[str, Any]:
    """The booking's ticket (QR text and short code)."""
    r = client.get(f"/api/v1/bookings/{booking_id}/ticket", headers=who)
    assert r.status_code == 200, r.text
    return r.json()


def offline(client: TestClient, drv: dict[str, str], text: str, now_s: int) -> tickets.Verdict:
    """The driver app's offline verdict (tickets.js boardingContext) from the driver's sync and
    manifest: who boards at the next visit, each booking's vehicle and day, who is on board."""
    d = client.get("/api/v1/driver/sync", headers=drv).json()
    man = manifest(client, drv)
    first = [s for s in man["stops"] if s["visit"] == 0]
    here = {s["booking_id"] for s in first if s["kind"] == "pickup" and s["status"] == "confirmed"}
    vehicle_of = dict(d["vehicle_of"])
    vehicle_of.update({s["booking_id"]: d["vehicle_id"] for s in man["stops"]})
    return tickets.verify(
        text, keys=tickets.keyring_from_json(d["keyring"]), now_s=now_s,
        vehicle_id=d["vehicle_id"], service_id=d["service_id"], used=set(d["used"]),
        cancelled=set(d["cancelled"]), latest_issue=d["latest_issue"],
        on_manifest=set(d["on_manifest"]), vehicle_of=vehicle_of, service_day=man["day"],
        day_of=d["day_of"], onboard=set(d["onboard"]) | set(man["onboard"]), boarding_here=here)


def status_of(client: TestClient, operator: dict[str, str], booking_id: str) -> str:
    """A booking's status as the operator sees it."""
    return client.get(f"/api/v1/bookings/{booking_id}", headers=operator).json()["status"]


@pytest.fixture
def riders(client: TestClient) -> dict[str, dict[str, str]]:
    """Five signed-in riders."""
    names = ["山田 花子", "佐藤 一郎", "鈴木 次郎", "田中 三枝", "高橋 四郎"]
    return {n: register(client, f"090-5555-{i:04d}", name=n) for i, n in enumerate(names)}


def test_a_ticket_boards_only_its_own_booking_at_its_own_stop(client, operator, riders,
                                                              clock: TestClock):
    """At 本村, where 山田 boards, every other valid ticket is refused with its reason and
    boards nobody: 佐藤's (same vehicle, boards later at 上三郎: other_stop, saying where and
    when), 鈴木's (another vehicle), 田中's (tomorrow), 高橋's (cancelled). 山田's own ticket
    boards her; shown again it is already_onboard. 佐藤's ticket boards him once his stop is
    next. The offline verdicts agree with the server in every case."""
    yamada = book(client, riders["山田 花子"], "honmura", "hospital", time(10, 0))
    vehicle = yamada["vehicle_id"]
    sato = onto(client, operator, book(client, riders["佐藤 一郎"], "kamisaburo",
                                       "crossroad_mitsugi", time(10, 30)), vehicle)
    suzuki = onto(client, operator, book(client, riders["鈴木 次郎"], "honmura", "hospital",
                                         time(10, 0)), other(vehicle))
    tanaka = onto(client, operator, book(client, riders["田中 三枝"], "honmura", "hospital",
                                         time(10, 0), day=TOMORROW), vehicle)
    takahashi = onto(client, operator, book(client, riders["高橋 四郎"], "honmura", "hospital",
                                            time(10, 5)), vehicle)
    texts = {b["id"]: ticket(client, riders[n], b["id"]) for n, b in (
        ("山田 花子", yamada), ("佐藤 一郎", sato), ("鈴木 次郎", suzuki),
        ("田中 三枝", tanaka), ("高橋 四郎", takahashi))}
    assert client.post(f"/api/v1/bookings/{takahashi['id']}/cancel",
                       headers=riders["高橋 四郎"]).status_code == 200
    clock.t = epoch(yamada["pickup_window"][0]) - 300
    drv = driver(client, vehicle)
    assert {s["booking_id"] for s in manifest(client, drv)["stops"] if s["visit"] == 0} == {
        yamada["id"]}

    def refused(booking: dict, reason: str) -> dict:
        for body in ({"ticket": texts[booking["id"]]["text"]}, {"code": texts[booking["id"]]["code"]}):
            r = client.post("/api/v1/driver/checkin", json=body, headers=drv)
            out = r.json()
            if "code" in body and reason in ("wrong_vehicle", "wrong_day"):
                # A short code is looked up among this vehicle's bookings of today and
                # tomorrow: another vehicle's is unknown here; tomorrow's is another day.
                reason_here = "unknown_code" if reason == "wrong_vehicle" else reason
            else:
                reason_here = reason
            assert (r.status_code, out["ok"], out["code"], out["reason"]) == (
                409, False, "ticket_refused", reason_here), (body, out)
            assert out["message_ja"] == tickets.MESSAGES[tickets.Reason(reason_here)][0]
            assert out["message_en"] == tickets.MESSAGES[tickets.Reason(reason_here)][1]
        assert offline(client, drv, texts[booking["id"]]["text"], clock.t).reason == reason
        return out

    out = refused(sato, "other_stop")
    assert out["detail_ja"].startswith("乗車: 上三郎 ") and out["detail_en"].startswith(
        "Boards at Kami-saburo ")
    a, b = (x[11:16] for x in sato["pickup_window"])
    assert out["detail_ja"] == f"乗車: 上三郎 {a}–{b}"
    refused(suzuki, "wrong_vehicle")
    out = refused(tanaka, "wrong_day")
    assert out["detail_ja"] == "予約日: 1月14日" and out["detail_en"] == "Booked for Thu 14 Jan"
    refused(takahashi, "cancelled")
    for b in (sato, suzuki, tanaka):
        assert status_of(client, operator, b["id"]) == "confirmed"
    events = client.get("/api/v1/operator/events", params={"type": "ticket_checked_in"},
                        headers=operator).json()
    assert events == []

    assert offline(client, drv, texts[yamada["id"]]["text"], clock.t).ok
    r = client.post("/api/v1/driver/checkin", json={"ticket": texts[yamada["id"]]["text"]},
                    headers=drv)
    assert r.status_code == 200 and r.json()["status"] == "onboard", r.text
    refused(yamada, "already_onboard")
    # 佐藤 boards once the vehicle's next stop is his (山田 is set down first if planned so).
    clock.t = epoch(sato["pickup_window"][0])
    first = manifest(client, drv)["stops"][0]
    if first["booking_id"] != sato["id"]:
        assert (first["booking_id"], first["kind"]) == (yamada["id"], "dropoff")
        assert event(client, drv, "alighted", yamada["id"]).status_code == 200
    assert offline(client, drv, texts[sato["id"]]["text"], clock.t).ok
    r = client.post("/api/v1/driver/checkin", json={"code": texts[sato["id"]]["code"]},
                    headers=drv)
    assert r.status_code == 200 and r.json()["booking_id"] == sato["id"], r.text


def test_no_show_needs_arrival_at_the_pickup(client, operator, riders, clock: TestClock):
    """Past the grace time, a no-show is still refused (422, rule no_show_arrival, in Japanese
    and English) until the driver reports arrival at that booking's pickup stop: not before
    arrival, not after arriving somewhere else, not after departing; it is recorded once the
    vehicle has arrived there."""
    yamada = book(client, riders["山田 花子"], "honmura", "hospital", time(10, 0))
    vehicle = yamada["vehicle_id"]
    sato = onto(client, operator, book(client, riders["佐藤 一郎"], "kamisaburo",
                                       "crossroad_mitsugi", time(10, 30)), vehicle)
    suzuki = book(client, riders["鈴木 次郎"], "kamisaburo", "hospital", time(11, 0))
    back = onto(client, operator, book(client, riders["田中 三枝"], "crossroad_mitsugi",
                                       "honmura", time(10, 50)), vehicle)
    clock.t = epoch(yamada["pickup_window"][0]) + 200
    drv = driver(client, vehicle)

    def no_show() -> Any:
        return event(client, drv, "no_show", yamada["id"])

    r = no_show()
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == "booking_rule" and body["details"]["rule"] == "no_show_arrival"
    assert "到着" in body["message_ja"] and "arrival" in body["message_en"]
    assert event(client, drv, "arrived", sato["id"]).status_code == 200  # at 上三郎
    assert no_show().json()["details"]["rule"] == "no_show_arrival"
    assert event(client, drv, "arrived", yamada["id"]).status_code == 200  # at 本村
    assert event(client, drv, "departed", yamada["id"]).status_code == 200
    assert no_show().json()["details"]["rule"] == "no_show_arrival"
    assert event(client, drv, "arrived", yamada["id"]).status_code == 200
    r = no_show()
    assert r.status_code == 200 and r.json()["status"] == "no_show", r.text
    assert status_of(client, operator, yamada["id"]) == "no_show"
    # An arrival naming a rider on board is at that rider's drop-off: 佐藤 boards at 上三郎,
    # the vehicle reports arriving with him at クロスロードみつぎ, where 田中 is a no-show.
    assert event(client, drv, "arrived", sato["id"]).status_code == 200
    assert event(client, drv, "boarded", sato["id"]).status_code == 200
    assert event(client, drv, "departed", sato["id"]).status_code == 200
    clock.t = epoch(back["pickup_window"][0]) + 200
    r = event(client, drv, "no_show", back["id"])
    assert r.json()["details"]["rule"] == "no_show_arrival"
    assert event(client, drv, "arrived", sato["id"]).status_code == 200
    r = event(client, drv, "no_show", back["id"])
    assert r.status_code == 200, r.text
    # the operator's no-show (a call from the road) needs no arrival report
    clock.t = epoch(suzuki["pickup_window"][0]) + 200
    r = client.post(f"/api/v1/operator/bookings/{suzuki['id']}/no-show", headers=operator)
    assert r.status_code == 200, r.text


def test_no_show_undo_restores_the_promise(client, operator, riders, clock: TestClock):
    """The driver undoes a no-show within 2 minutes: the booking is confirmed again with its
    original window, back in the manifest, its ticket usable; a second undo, a late one, one by
    another vehicle's driver, one of an operator's no-show, and one the plan can no longer keep
    are refused with the reason (409/404); bad ids get 404/422, never a 500."""
    yamada = book(client, riders["山田 花子"], "honmura", "hospital", time(10, 0))
    sato = book(client, riders["佐藤 一郎"], "kamisaburo", "hospital", time(11, 0))
    suzuki = book(client, riders["鈴木 次郎"], "honmura", "hospital", time(12, 0))
    vehicle = yamada["vehicle_id"]
    drv = driver(client, vehicle)
    start = epoch(yamada["pickup_window"][0])
    clock.t = start + 200
    assert event(client, drv, "arrived", yamada["id"]).status_code == 200
    assert event(client, drv, "no_show", yamada["id"]).status_code == 200
    assert manifest(client, drv)["no_show_undo_s"] == 120
    undo = f"/api/v1/driver/bookings/{yamada['id']}/no-show/undo"
    other_drv = driver(client, other(vehicle))
    r = client.post(undo, headers=other_drv)
    assert r.status_code == 404 and r.json()["message_ja"], r.text
    clock.t += 60
    r = client.post(undo, headers=drv)
    assert r.status_code == 200 and r.json()["status"] == "confirmed", r.text
    again = client.get(f"/api/v1/bookings/{yamada['id']}", headers=operator).json()
    assert again["status"] == "confirmed" and again["pickup_window"] == yamada["pickup_window"]
    assert again["dropoff_latest"] == yamada["dropoff_latest"]
    stops = [(s["booking_id"], s["kind"]) for s in manifest(client, drv)["stops"]]
    assert stops[0] == (yamada["id"], "pickup") and (yamada["id"], "dropoff") in stops
    ticket(client, riders["山田 花子"], yamada["id"])
    types = [e["type"] for e in client.get(f"/api/v1/operator/bookings/{yamada['id']}/events",
                                           headers=operator).json()]
    assert types.index("no_show_undone") > types.index("no_show")
    r = client.post(undo, headers=drv)
    assert r.status_code == 409 and r.json()["message_en"].startswith("booking is not a no-show")
    # too late: more than 2 minutes after the no-show
    assert event(client, drv, "no_show", yamada["id"]).status_code == 200
    clock.t += 121
    r = client.post(undo, headers=drv)
    assert r.status_code == 409 and r.json()["details"]["rule"] == "no_show_undo_expired"
    assert "2分以内" in r.json()["message_ja"]
    # the plan can no longer keep the promise: the window has closed
    d2 = driver(client, sato["vehicle_id"])
    s_end = epoch(sato["pickup_window"][1])
    clock.t = s_end - 20
    assert event(client, d2, "arrived", sato["id"]).status_code == 200
    assert event(client, d2, "no_show", sato["id"]).status_code == 200
    clock.t = s_end + 40
    r = client.post(f"/api/v1/driver/bookings/{sato['id']}/no-show/undo", headers=d2)
    assert r.status_code == 409 and r.json()["details"]["rule"] == "no_show_undo_infeasible", r.text
    assert r.json()["message_ja"] and status_of(client, operator, sato["id"]) == "no_show"
    # an operator's no-show is not the driver's to undo
    clock.t = epoch(suzuki["pickup_window"][0]) + 200
    assert client.post(f"/api/v1/operator/bookings/{suzuki['id']}/no-show",
                       headers=operator).status_code == 200
    r = client.post(f"/api/v1/driver/bookings/{suzuki['id']}/no-show/undo",
                    headers=driver(client, suzuki["vehicle_id"]))
    assert r.status_code == 409 and r.json()["message_ja"]
    # bad input
    r = client.post("/api/v1/driver/bookings/bk-nothing/no-show/undo", headers=drv)
    assert r.status_code == 404 and r.json()["message_ja"]
    assert client.post(f"/api/v1/driver/bookings/{'x' * 41}/no-show/undo",
                       headers=drv).status_code == 422
    assert client.post(undo, headers=riders["山田 花子"]).status_code == 403


def test_manifest_gives_the_riders_phone_to_its_driver_only(client, operator, riders):
    """The driver of a booking sees its rider's phone on the pickup (to call a rider who is
    not at the stop); the drop-off does not repeat it, and other vehicles' manifests do not
    hold the booking at all."""
    yamada = book(client, riders["山田 花子"], "honmura", "hospital", time(10, 0))
    man = manifest(client, driver(client, yamada["vehicle_id"]))
    stops = {s["kind"]: s for s in man["stops"] if s["booking_id"] == yamada["id"]}
    assert stops["pickup"]["rider_phone"] == "09055550000"
    assert "rider_phone" not in stops["dropoff"]
    assert stops["pickup"]["fare"] == 300 and stops["pickup"]["payment_status"] == "unpaid"
    elsewhere = manifest(client, driver(client, other(yamada["vehicle_id"])))
    assert yamada["id"] not in {s["booking_id"] for s in elsewhere["stops"]}
    assert "09055550000" not in str(elsewhere)
