"""E-tickets through the service (issue 6), on SQLite and PostgreSQL.

Every ticket here comes from the HTTP API of a real app; every offline check uses exactly what
a driver's app receives from ``GET /api/v1/driver/sync`` (keyring, lists, code hashes) with the
core's verifiers, so that the server's check-in and the offline verifier are compared on the
same tickets.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from dispatcher import tickets
from dispatcher.fares import fare_for
from dispatcher.services import load_service
from dispatcher.settings import Settings
from dispatcher.store.tables import KeyRow, TicketCheck
from dispatcher.ticket_service import TicketingConfigError
from dispatcher.tickets import key_id_of
from dispatcher.units import at_local
from tests.api.conftest import (
    DAY,
    driver,
    login,
    make_client,
    register,
    reset_postgres,
    trip,
)
from tests.api.conftest import (
    TestClock as ApiClock,
)

TEN = time(10, 0)


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The database under test: a SQLite file, and the PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'noriai.db'}"
    url = request.getfixturevalue("postgres_url")
    reset_postgres(url)
    return url


@pytest.fixture
def clock() -> ApiClock:
    """Now = 08:00 on the test day."""
    return ApiClock(at_local(DAY, time(8, 0)))


@pytest.fixture
def client(db_url: str, tmp_path: Path, clock: ApiClock) -> Iterator[TestClient]:
    """A running app on the database under test."""
    with make_client(db_url, tmp_path, clock) as c:
        yield c


@pytest.fixture
def rider(client: TestClient) -> dict[str, str]:
    """A signed-in rider."""
    return register(client, "090-1111-2222")


@pytest.fixture
def operator(client: TestClient) -> dict[str, str]:
    """The signed-in operator."""
    return login(client, login="operator", password="operator-test")


def book(client: TestClient, rider: dict[str, str], at: time = TEN, **party: Any) -> dict:
    """A confirmed booking of the first offer for a trip at ``at``."""
    r = client.post("/api/v1/offers", json=trip(at=at, **party), headers=rider)
    assert r.status_code == 200, r.text
    offer = r.json()["offers"][0]
    r = client.post("/api/v1/bookings", json={"offer_id": offer["id"]}, headers=rider)
    assert r.status_code == 201, r.text
    return r.json()


def ticket_of(client: TestClient, who: dict[str, str], booking_id: str) -> dict:
    """The booking's ticket JSON."""
    r = client.get(f"/api/v1/bookings/{booking_id}/ticket", headers=who)
    assert r.status_code == 200, r.text
    return r.json()


def sync(client: TestClient, drv: dict[str, str]) -> dict:
    """The driver's sync."""
    r = client.get("/api/v1/driver/sync", headers=drv)
    assert r.status_code == 200, r.text
    return r.json()


def offline(synced: dict, text: str, now_s: int | None = None) -> tickets.Verdict:
    """The driver app's offline verdict on a QR text, from nothing but the synced data."""
    return tickets.verify(
        text, keys=tickets.keyring_from_json(synced["keyring"]),
        now_s=synced["now_s"] if now_s is None else now_s, vehicle_id=synced["vehicle_id"],
        service_id=synced["service_id"], used=set(synced["used"]),
        cancelled=set(synced["cancelled"]), latest_issue=synced["latest_issue"],
        on_manifest=set(synced["on_manifest"]), vehicle_of=synced["vehicle_of"],
        service_day=synced["service_day"], day_of=synced["day_of"],
        onboard=set(synced["onboard"]))


def offline_code(synced: dict, code: str) -> tickets.Verdict:
    """The driver app's offline verdict on a typed short code, from the synced data."""
    manifest = [tickets.ManifestCode(m["booking_id"], m["issue"], m["code_hash"])
                for m in synced["manifest_codes"]]
    return tickets.verify_code(code, manifest=manifest, service_id=synced["service_id"],
                               used=set(synced["used"]), cancelled=set(synced["cancelled"]),
                               vehicle_id=synced["vehicle_id"], vehicle_of=synced["vehicle_of"],
                               service_day=synced["service_day"], day_of=synced["day_of"],
                               onboard=set(synced["onboard"]))


def checkin(client: TestClient, drv: dict[str, str], **body: str) -> tuple[int, dict]:
    """POST a check-in; status and body."""
    r = client.post("/api/v1/driver/checkin", json=body, headers=drv)
    return r.status_code, r.json()


def serve_stops_before(client: TestClient, drv: dict[str, str], booking_id: str) -> None:
    """Report the vehicle's stops before ``booking_id``'s pickup as served (riders boarded or
    set down), so that its pickup is the vehicle's next stop: only there does its ticket
    board anyone."""
    for _ in range(20):
        stops = client.get("/api/v1/driver/manifest", headers=drv).json()["stops"]
        if any(s["visit"] == 0 and s["booking_id"] == booking_id and s["kind"] == "pickup"
               for s in stops):
            return
        kind = "boarded" if stops[0]["kind"] == "pickup" else "alighted"
        r = client.post("/api/v1/driver/events", headers=drv,
                        json={"type": kind, "booking_id": stops[0]["booking_id"]})
        assert r.status_code == 200, r.text
    raise AssertionError(f"{booking_id} never became the next stop")


def at_window(clock: ApiClock, booking: dict, minutes: int = -5) -> None:
    """Move the clock to ``minutes`` after the opening of the booking's pickup window."""
    clock.t = int(datetime.fromisoformat(booking["pickup_window"][0]).timestamp()) + 60 * minutes


def other_vehicle(vehicle_id: str) -> str:
    """A vehicle of the fleet other than ``vehicle_id``."""
    return "mitsugi-2" if vehicle_id != "mitsugi-2" else "mitsugi-1"


# --- issuing ----------------------------------------------------------------------------------


def test_confirmed_booking_has_a_ticket_that_verifies_offline(client, rider, operator):
    """A confirmed group booking's ticket carries the offer's fare and riders by category, is
    the same text every time it is asked for, verifies in Python with the synced keyring, and
    its short code matches the synced code hash; phone bookings get tickets too; other riders
    see nothing."""
    party = {"adults": 2, "children": 1, "concessions": {"elderly_pass": 1}}
    offer = client.post("/api/v1/offers", json=trip(**party), headers=rider).json()["offers"][0]
    expected = fare_for(load_service("mitsugi").fares,
                        {"adult": 1, "child": 1, "elderly_pass": 1})
    assert offer["fare"] == expected.total == 300 + 150 + 200
    assert [(x["category"], x["count"], x["amount"]) for x in offer["fare_lines"]] == [
        (ln.category, ln.count, ln.amount) for ln in expected.lines]
    b = client.post("/api/v1/bookings", json={"offer_id": offer["id"]}, headers=rider).json()
    t = ticket_of(client, rider, b["id"])
    assert t["booking_id"] == b["id"] and t["issue"] == 1
    assert t["fare"] == 650 and t["passengers"] == {"adult": 1, "child": 1, "elderly_pass": 1}
    assert t["pickup_stop_id"] == "honmura" and t["pickup_window"] == b["pickup_window"]
    assert t["valid_from"].endswith("+09:00") and t["valid_from"] < t["pickup_window"][0]
    assert t["svg"].startswith("<svg viewBox=") and t["text"] not in t["svg"]
    assert ticket_of(client, rider, b["id"])["text"] == t["text"]
    assert ticket_of(client, operator, b["id"])["text"] == t["text"]
    synced = sync(client, driver(client, b["vehicle_id"]))
    assert [k["kid"] for k in synced["keyring"]["keys"]] == [t["key_id"]]
    assert b["id"] in synced["on_manifest"] and synced["latest_issue"][b["id"]] == 1
    window_open = int(datetime.fromisoformat(b["pickup_window"][0]).timestamp())
    v = offline(synced, t["text"], now_s=window_open)
    assert (v.ok, v.reason) == (True, tickets.Reason.OK)
    assert v.ticket is not None and v.ticket.fare == 650 and v.ticket.rider_initial == "山"
    assert offline_code(synced, t["code"].lower()).booking_id == b["id"]
    svg = client.get(f"/api/v1/bookings/{b['id']}/ticket.svg", headers=rider)
    png = client.get(f"/api/v1/bookings/{b['id']}/ticket.png", headers=rider)
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.startswith("<?xml") and "<svg viewBox=" in svg.text
    assert png.headers["content-type"] == "image/png" and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    stranger = register(client, "090-5555-6666", name="別の人")
    for suffix in ("", ".svg", ".png"):
        assert client.get(f"/api/v1/bookings/{b['id']}/ticket{suffix}",
                          headers=stranger).status_code == 404
    caller = {"name": "佐藤 一郎", "phone": "0848-76-1234"}
    offer = client.post("/api/v1/operator/offers", json={**trip(at=time(11, 0)), "caller": caller},
                        headers=operator).json()["offers"][0]
    phone = client.post("/api/v1/operator/bookings", json={"offer_id": offer["id"],
                                                           "caller": caller}, headers=operator)
    assert ticket_of(client, operator, phone.json()["id"])["text"].startswith("NR1:")


# --- check-in ---------------------------------------------------------------------------------


def test_checkin_boards_once_by_qr_or_code(client, rider, operator, clock):
    """A valid ticket checks in once and boards the rider in one step; a replay is refused as
    already used by the server and, after a sync, offline; a short code does the same; bad
    input is refused with its reason, never a 500."""
    first = book(client, rider)
    second = book(client, register(client, "090-3333-4444", name="田中"), at=time(10, 5))
    t1, t2 = ticket_of(client, rider, first["id"]), ticket_of(client, operator, second["id"])
    at_window(clock, first)
    d1 = driver(client, first["vehicle_id"])
    status, body = checkin(client, d1, ticket=t1["text"])
    assert status == 200, body
    assert body | {"message": ""} == {"ok": True, "booking_id": first["id"], "reason": "ok",
                                      "message": "", "message_ja": "有効な乗車券です",
                                      "message_en": "Valid ticket", "status": "onboard",
                                      "issue": 1}
    assert client.get(f"/api/v1/bookings/{first['id']}", headers=rider).json()["status"] == "onboard"
    status, body = checkin(client, d1, ticket=t1["text"])
    assert (status, body["ok"], body["reason"]) == (409, False, "already_onboard")
    assert body["message_ja"] == "この方はすでに乗車中です"
    synced = sync(client, d1)
    assert first["id"] in synced["used"] and first["id"] in synced["onboard"]
    assert offline(synced, t1["text"]).reason is tickets.Reason.ALREADY_ONBOARD
    events = client.get(f"/api/v1/operator/bookings/{first['id']}/events", headers=operator).json()
    assert [e["type"] for e in events].count("ticket_checked_in") == 1
    assert "boarded" in [e["type"] for e in events]

    d2 = driver(client, second["vehicle_id"])
    at_window(clock, second)
    assert offline_code(sync(client, d2), t2["code"]).ok
    status, body = checkin(client, d2, code=t2["code"].replace("-", " ").lower())
    assert (status, body["reason"], body["status"]) == (200, "ok", "onboard")
    status, body = checkin(client, d2, code=t2["code"])
    assert (status, body["reason"]) == (409, "already_onboard")
    assert offline_code(sync(client, d2), t2["code"]).reason is tickets.Reason.ALREADY_ONBOARD
    typo = t2["code"][:1] + ("0" if t2["code"][1] != "0" else "1") + t2["code"][2:]
    assert checkin(client, d2, code=typo)[1]["reason"] == "bad_code"
    assert checkin(client, d2, ticket="hello")[0] == 422
    assert checkin(client, d2, ticket="hello")[1]["reason"] == "bad_format"
    assert checkin(client, d2, ticket=t2["text"], code=t2["code"])[0] == 422
    assert checkin(client, d2)[0] == 422
    assert client.post("/api/v1/driver/checkin", json={"ticket": t2["text"]},
                       headers=rider).status_code == 403


def test_tampered_foreign_and_misplaced_tickets_are_refused(client, rider, clock):
    """Every single-byte change of a genuine ticket, a ticket signed by another key under the
    service's key id, one from an unknown key, and a ticket shown to another vehicle's driver
    are refused by the server's check-in with the reason the offline verifier gives from the
    synced data; none boards anyone."""
    b = book(client, rider)
    t = ticket_of(client, rider, b["id"])
    at_window(clock, b)
    d = driver(client, b["vehicle_id"])
    synced = sync(client, d)
    signed = tickets.b45decode(t["text"][len(tickets.SCHEME):])
    reasons: dict[str, int] = {}
    for i in range(len(signed)):
        data = bytearray(signed)
        data[i] ^= 0x01 if i % 2 else 0x80
        text = tickets.SCHEME + tickets.b45encode(bytes(data))
        status, body = checkin(client, d, ticket=text)
        expected = offline(synced, text)
        assert not expected.ok
        assert (body["ok"], body["reason"]) == (False, str(expected.reason)), i
        assert status == (422 if expected.reason is tickets.Reason.BAD_FORMAT else 409)
        reasons[body["reason"]] = reasons.get(body["reason"], 0) + 1
    assert set(reasons) <= {"bad_format", "bad_signature", "unknown_key"}
    assert reasons["bad_signature"] > 100

    genuine, _, _ = tickets.decode_text(t["text"])
    ring = synced["keyring"]["keys"][0]
    impostor = tickets.generate_signing_key(genuine.key_id, valid_from=ring["valid_from"],
                                            valid_until=ring["valid_until"])
    stranger = tickets.generate_signing_key("k-stranger", valid_from=ring["valid_from"],
                                            valid_until=ring["valid_until"])
    for key, reason in ((impostor, "bad_signature"), (stranger, "unknown_key")):
        forged = tickets.sign_ticket(genuine, key, now_s=synced["now_s"])
        assert offline(synced, forged).reason == reason
        status, body = checkin(client, d, ticket=forged)
        assert (status, body["reason"]) == (409, reason)

    other = driver(client, other_vehicle(b["vehicle_id"]))
    assert offline(sync(client, other), t["text"]).reason is tickets.Reason.WRONG_VEHICLE
    status, body = checkin(client, other, ticket=t["text"])
    assert (status, body["reason"]) == (409, "wrong_vehicle")
    assert checkin(client, other, code=t["code"])[1]["reason"] == "unknown_code"
    assert client.get(f"/api/v1/bookings/{b['id']}", headers=rider).json()["status"] == "confirmed"
    assert checkin(client, d, ticket=t["text"])[0] == 200


def test_tickets_outside_their_validity_are_refused(client, rider, clock):
    """A ticket is refused as not yet valid before its window (1 h before pickup) and as
    expired after it, by the server and offline; the same ticket is accepted in between."""
    b = book(client, rider)
    t = ticket_of(client, rider, b["id"])
    d = driver(client, b["vehicle_id"])
    not_before = int(datetime.fromisoformat(t["valid_from"]).timestamp())
    not_after = int(datetime.fromisoformat(t["valid_until"]).timestamp())
    for now, reason in ((not_before - 1, "not_yet_valid"), (not_after, "expired")):
        clock.t = now
        assert offline(sync(client, d), t["text"]).reason == reason
        status, body = checkin(client, d, ticket=t["text"])
        assert (status, body["reason"]) == (409, reason)
        assert body["message_en"] in ("Ticket not valid yet", "Ticket has expired")
    clock.t = not_before
    assert checkin(client, d, code=t["code"])[1]["reason"] == "ok"


def test_cancelled_and_no_show_tickets_are_refused(client, rider, operator, clock):
    """Once a booking is cancelled its ticket and code are refused by the server and, after a
    sync, offline (before the sync the offline verifier cannot know); the ticket endpoint
    answers 409 in Japanese and English; a no-show booking's ticket likewise."""
    b = book(client, rider)
    t = ticket_of(client, rider, b["id"])
    d = driver(client, b["vehicle_id"])
    before = sync(client, d)
    assert client.post(f"/api/v1/bookings/{b['id']}/cancel", headers=rider).status_code == 200
    r = client.get(f"/api/v1/bookings/{b['id']}/ticket", headers=rider)
    assert r.status_code == 409 and r.json()["code"] == "ticket_unavailable"
    assert r.json()["message_ja"] and r.json()["message_en"]
    assert client.get(f"/api/v1/bookings/{b['id']}/ticket.png", headers=rider).status_code == 409
    at_window(clock, b)
    after = sync(client, d)
    assert b["id"] in after["cancelled"]
    assert offline(before, t["text"], now_s=clock.t).ok
    assert offline(after, t["text"]).reason is tickets.Reason.CANCELLED
    assert offline_code(after, t["code"]).reason is tickets.Reason.CANCELLED
    for body in ({"ticket": t["text"]}, {"code": t["code"]}):
        status, out = checkin(client, d, **body)
        assert (status, out["reason"], out["message_ja"]) == (409, "cancelled",
                                                              "この予約は取り消されています")
    assert client.post(f"/api/v1/operator/bookings/{b['id']}/ticket/reissue",
                       headers=operator).status_code == 409

    clock.set(time(8, 0))
    late = book(client, rider, at=time(11, 0))
    lt = ticket_of(client, rider, late["id"])
    at_window(clock, late, minutes=4)
    assert client.post(f"/api/v1/operator/bookings/{late['id']}/no-show",
                       headers=operator).status_code == 200
    assert client.get(f"/api/v1/bookings/{late['id']}/ticket", headers=rider).status_code == 409
    dl = driver(client, late["vehicle_id"])
    assert offline(sync(client, dl), lt["text"]).reason is tickets.Reason.CANCELLED
    assert checkin(client, dl, ticket=lt["text"])[1]["reason"] == "cancelled"


# --- reissue and rotation ---------------------------------------------------------------------


def test_operator_reissue_supersedes_the_old_ticket(client, rider, operator, clock):
    """The operator reissues a ticket (issue + 1, new code, ticket_reissued event); the old
    ticket stays acceptable to a driver app that has not synced, is superseded once it has,
    and is refused by the server at once; the old code is unknown; the new ticket boards."""
    b = book(client, rider)
    old = ticket_of(client, rider, b["id"])
    d = driver(client, b["vehicle_id"])
    stale = sync(client, d)
    assert client.post(f"/api/v1/operator/bookings/{b['id']}/ticket/reissue",
                       headers=rider).status_code == 403
    r = client.post(f"/api/v1/operator/bookings/{b['id']}/ticket/reissue", headers=operator)
    assert r.status_code == 200, r.text
    new = r.json()
    assert new["issue"] == old["issue"] + 1 and new["text"] != old["text"]
    assert new["code"] != old["code"]
    assert ticket_of(client, rider, b["id"])["text"] == new["text"]
    types = [e["type"] for e in client.get(f"/api/v1/operator/bookings/{b['id']}/events",
                                           headers=operator).json()]
    assert "ticket_reissued" in types
    at_window(clock, b)
    fresh = sync(client, d)
    assert fresh["latest_issue"][b["id"]] == 2
    assert offline(stale, old["text"], now_s=clock.t).ok
    assert offline(fresh, old["text"]).reason is tickets.Reason.SUPERSEDED
    assert offline(fresh, new["text"]).ok
    assert offline_code(fresh, old["code"]).reason is tickets.Reason.UNKNOWN_CODE
    assert offline_code(fresh, new["code"]).ok
    status, body = checkin(client, d, ticket=old["text"])
    assert (status, body["reason"]) == (409, "superseded")
    assert checkin(client, d, code=old["code"])[1]["reason"] == "unknown_code"
    assert checkin(client, d, ticket=new["text"])[1]["status"] == "onboard"


def test_key_rotation_keeps_old_tickets_valid(client, rider, clock):
    """After a key is added through ticketing, tickets signed by the old key still verify
    (offline with the synced keyring, and at check-in) until their end, new tickets carry
    the new key id, and a key added for later does not sign before its start."""
    ticketing = client.app.state.ticketing
    b1 = book(client, rider)
    t1 = ticket_of(client, rider, b1["id"])
    later, _ = ticketing.add_key(valid_from_s=clock.t + 86_400, key_id="k-later")
    b2 = book(client, rider, at=time(10, 30))
    assert ticket_of(client, rider, b2["id"])["key_id"] == t1["key_id"]
    _new, seed = ticketing.add_key(key_id="k-next")
    assert seed is None  # development: the private key is kept in the database
    b3 = book(client, rider, at=time(11, 0))
    t3 = ticket_of(client, rider, b3["id"])
    assert t3["key_id"] == "k-next" != t1["key_id"]
    assert ticket_of(client, rider, b1["id"])["text"] == t1["text"]
    at_window(clock, b1)
    d = driver(client, b1["vehicle_id"])
    synced = sync(client, d)
    kids = {k["kid"]: k for k in synced["keyring"]["keys"]}
    assert set(kids) == {t1["key_id"], "k-next", "k-later"}
    assert kids[t1["key_id"]]["valid_until"] >= int(
        datetime.fromisoformat(t1["valid_until"]).timestamp())
    assert offline(synced, t1["text"]).ok
    assert checkin(client, d, ticket=t1["text"])[1]["reason"] == "ok"
    at_window(clock, b3)
    d3 = driver(client, b3["vehicle_id"])
    serve_stops_before(client, d3, b3["id"])
    assert offline(sync(client, d3), t3["text"]).ok
    assert checkin(client, d3, ticket=t3["text"])[1]["reason"] == "ok"
    assert ticketing.pick_key(clock.t, clock.t + 3600).key_id == "k-next" != later.key_id


# --- payments ---------------------------------------------------------------------------------


def test_payments_go_through_the_fare_rules(client, rider, operator, clock):
    """Driver and operator record payments only as dispatcher.fares allows: the driver marks
    cash on board once and may not undo it or record a prepayment; the operator may correct;
    each change is stored on the booking with a payment event naming who recorded it."""
    b = book(client, rider, adults=2)
    d = driver(client, b["vehicle_id"])
    pay = "/api/v1/driver/payment"
    r = client.post(pay, json={"booking_id": b["id"], "status": "paid_cash_onboard"}, headers=d)
    assert r.status_code == 200 and r.json()["payment_status"] == "paid_cash_onboard"
    again = client.post(pay, json={"booking_id": b["id"], "status": "paid_cash_onboard"},
                        headers=d)
    assert again.status_code == 409 and again.json()["message_ja"]
    undo = client.post(pay, json={"booking_id": b["id"], "status": "unpaid"}, headers=d)
    assert undo.status_code == 403
    other = driver(client, other_vehicle(b["vehicle_id"]))
    assert client.post(pay, json={"booking_id": b["id"], "status": "unpaid"},
                       headers=other).status_code == 404
    op = f"/api/v1/operator/bookings/{b['id']}/payment"
    assert client.post(op, json={"status": "prepaid"}, headers=operator).status_code == 409
    assert client.post(op, json={"status": "unpaid"}, headers=operator).json()[
        "payment_status"] == "unpaid"
    assert client.post(op, json={"status": "prepaid"}, headers=operator).json()[
        "payment_status"] == "prepaid"
    r = client.post(pay, json={"booking_id": b["id"], "status": "paid_cash_onboard"}, headers=d)
    assert r.status_code == 409
    events = [e for e in client.get(f"/api/v1/operator/bookings/{b['id']}/events",
                                    headers=operator).json() if e["type"] == "payment"]
    assert [(e["data"]["status"], e["data"]["recorded_by"], e["data"]["amount"])
            for e in events] == [("paid_cash_onboard", "driver", 600), ("unpaid", "operator", 0),
                                 ("prepaid", "operator", 600)]


# --- production keys --------------------------------------------------------------------------


def test_production_keys_come_from_the_environment(tmp_path, clock):
    """In production the service refuses to start without ticket secrets; with them, the
    environment's key signs, the table holds only its public half, and tickets verify."""
    base = {"mode": "production", "db": f"sqlite:///{tmp_path / 'p.db'}", "data_dir": tmp_path,
            "reopt_interval_s": 0, "secret_key": "Jq3vN8xR2mKf7LwT9bYc4HdZ6sPa1GeU5nXoQ",
            "operator_password": "blue-ferry-41-kite", "driver_password": "quiet-lantern-73-moss"}
    from dispatcher.api.app import create_app

    with pytest.raises(TicketingConfigError), TestClient(create_app(Settings(**base),
                                                                    clock=clock,
                                                                    background=False)):
        pass
    seed = tickets.generate_signing_key("x", valid_from=0, valid_until=1).private_key
    pem = tickets.private_key_to_pem(seed).decode()
    code_key = "q5Vf0Zr8mJc2T+1wXyLh7N4sKbPdGa9eUoRiYtWnHs8="  # 32 random bytes, standard base64
    settings = Settings(**base, ticket_key=pem, ticket_code_key=code_key)
    with TestClient(create_app(settings, clock=clock, background=False)) as c:
        kid = key_id_of(tickets.public_key_to_b64(seed.public_key()))
        with Session(c.app.state.runtime.db) as s:
            rows = list(s.exec(select(KeyRow)))
        assert [(r.key_id, r.private_key) for r in rows] == [(kid, "")]
        rider = register(c, "090-7777-8888")
        b = book(c, rider)
        t = ticket_of(c, rider, b["id"])
        assert t["key_id"] == kid
        d = login(c, login=b["vehicle_id"], password="quiet-lantern-73-moss")
        at_window(clock, b)
        assert offline(sync(c, d), t["text"]).ok
        status, body = checkin(c, d, ticket=t["text"])
        assert status == 200, body
        with Session(c.app.state.runtime.db) as s:
            assert s.get(TicketCheck, b["id"]) is not None
