"""Typed response models (issue 17) answer the JSON the routes answered as plain mappings:
keys that do not apply stay left out (not ``null``), ``null`` stays ``null``, times keep the
offset they were formatted with, and whole numbers stay whole."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

from dispatcher.api.app import create_app
from dispatcher.settings import Settings
from tests.api.conftest import DAY, driver, trip


def _book(client, rider, at: time = time(10, 0)) -> dict:
    r = client.post("/api/v1/offers", json=trip(at=at), headers=rider)
    assert r.status_code == 200, r.text
    r = client.post("/api/v1/bookings", json={"offer_id": r.json()["offers"][0]["id"]},
                    headers=rider)
    assert r.status_code == 201, r.text
    return r.json()


def test_eta_keys_left_out_or_null_as_before(client, rider):
    b = _book(client, rider)
    eta = client.get(f"/api/v1/bookings/{b['id']}/eta", headers=rider).json()
    # no reported position yet: no vehicle_position key at all
    assert "vehicle_position" not in eta
    assert set(eta) >= {"booking_id", "status", "vehicle_id", "pickup_window", "eta",
                        "eta_source", "stops_before", "eta_kind", "at_risk"}
    assert eta["at_risk"] is None
    assert eta["pickup_window"][0].endswith("+09:00")


def test_manifest_optional_keys(client, rider):
    b = _book(client, rider)
    headers = driver(client, b["vehicle_id"])
    m = client.get("/api/v1/driver/manifest", headers=headers).json()
    assert "off_shift" not in m and m["stops"]
    pickup, dropoff = m["stops"][0], m["stops"][1]
    assert "window" in pickup and "latest" not in pickup and "rider_phone" in pickup
    assert "latest" in dropoff and "window" not in dropoff and "rider_phone" not in dropoff
    assert isinstance(m["now"], int) and isinstance(pickup["late_s"], int)
    saturday = date(2027, 1, 16)
    off = client.get(f"/api/v1/driver/manifest?day={saturday.isoformat()}",
                     headers=headers).json()
    assert off == {"vehicle_id": b["vehicle_id"], "day": saturday.isoformat(), "revision": 0,
                   "onboard": [], "stops": [], "off_shift": True, "now": m["now"],
                   "no_show_grace_s": m["no_show_grace_s"],
                   "no_show_undo_s": m["no_show_undo_s"]}


def test_operator_kpis_days_only_per_day(client, rider, operator):
    _book(client, rider)
    one = client.get("/api/v1/operator/kpis", headers=operator).json()
    assert "days" not in one and one["accepted"] == 1
    assert one["start"] == one["end"] == DAY.isoformat()
    per_day = client.get("/api/v1/operator/kpis?per_day=true", headers=operator).json()
    assert [d["start"] for d in per_day["days"]] == [DAY.isoformat()]
    assert list(per_day["days"][0])[:3] == ["start", "end", "operating"]
    assert {k: v for k, v in per_day.items() if k != "days"} == one


def test_operator_vehicles_and_events_keep_nulls(client, rider, operator):
    b = _book(client, rider)
    vehicles = client.get("/api/v1/operator/vehicles", headers=operator).json()
    assert vehicles[0]["lat"] is None and vehicles[0]["position_at"] is None
    client.post("/api/v1/driver/position", json={"lat": 34.5, "lon": 133.15},
                headers=driver(client, b["vehicle_id"]))
    moved = {v["id"]: v for v in client.get("/api/v1/operator/vehicles",
                                            headers=operator).json()}[b["vehicle_id"]]
    assert moved["position_at"].endswith("+00:00")  # as stored (UTC), not "Z"
    events = client.get(f"/api/v1/operator/bookings/{b['id']}/events", headers=operator).json()
    assert "booking_id" not in events[0] and events[0]["actor_login"] is None
    log = client.get("/api/v1/operator/events?type=service_seeded", headers=operator).json()
    assert log[0]["actor_id"] is None and log[0]["booking_id"] is None


def test_reoptimize_idle_has_only_status_and_day(client, operator):
    r = client.post("/api/v1/operator/reoptimize", headers=operator)
    assert r.json() == {"status": "idle", "day": DAY.isoformat()}


def test_ticket_routes_declare_response_models(tmp_path: Path):
    """The ticket routes document their typed bodies (issue 17): the e-ticket (also when
    reissued), the keyring with its keys, the driver's sync with its nested keyring and code
    hashes, and a check-in's success (200) and refusal (409) bodies."""
    settings = Settings(db=f"sqlite:///{tmp_path / 'noriai.db'}", data_dir=tmp_path,
                        secret_key="t" * 40, operator_password="operator-test",
                        driver_password="driver-test")
    spec = create_app(settings, clock=lambda: 0, background=False).openapi()

    def model(path: str, method: str, status: str = "200") -> str:
        body = spec["paths"][f"/api/v1{path}"][method]["responses"][status]["content"]
        return str(body["application/json"]["schema"]["$ref"]).rsplit("/", 1)[-1]

    assert model("/bookings/{booking_id}/ticket", "get") == "TicketOut"
    assert model("/operator/bookings/{booking_id}/ticket/reissue", "post") == "TicketOut"
    assert model("/tickets/keyring", "get") == "KeyringOut"
    assert model("/driver/sync", "get") == "DriverSyncOut"
    assert model("/driver/checkin", "post") == "CheckinOut"
    assert model("/driver/checkin", "post", "409") == "CheckinRefusedOut"
    schemas = spec["components"]["schemas"]
    sync = schemas["DriverSyncOut"]["properties"]
    assert sync["keyring"]["$ref"].endswith("/KeyringOut")
    assert sync["manifest_codes"]["items"]["$ref"].endswith("/ManifestCodeOut")
    assert sync["latest_issue"]["additionalProperties"] == {"type": "integer"}
    assert schemas["KeyringOut"]["properties"]["keys"]["items"]["$ref"].endswith("/KeyOut")
    assert schemas["TicketOut"]["properties"]["passengers"]["additionalProperties"] == {
        "type": "integer"}
    refused = schemas["CheckinRefusedOut"]
    assert {"detail_ja", "detail_en"} <= set(refused["properties"])
    assert not {"detail_ja", "detail_en"} & set(refused["required"])


def test_ticket_bodies_keep_their_keys_and_order(client, rider, clock):
    """The typed ticket bodies answer the keys the service built, in its order: a refusal
    without a detail leaves ``detail_ja``/``detail_en`` out; a check-in keeps its status and
    issue last."""
    b = _book(client, rider)
    ticket = client.get(f"/api/v1/bookings/{b['id']}/ticket", headers=rider).json()
    assert list(ticket) == ["booking_id", "issue", "text", "code", "svg", "key_id",
                            "valid_from", "valid_until", "fare", "currency", "passengers",
                            "pickup_stop_id", "pickup_window", "vehicle_id", "rider_initial",
                            "status", "checked_in"]
    assert isinstance(ticket["fare"], int) and ticket["checked_in"] is False
    keyring = client.get("/api/v1/tickets/keyring").json()
    assert list(keyring["keys"][0]) == ["kid", "alg", "public_key", "valid_from", "valid_until"]
    headers = driver(client, b["vehicle_id"])
    synced = client.get("/api/v1/driver/sync", headers=headers).json()
    assert list(synced)[:5] == ["service_id", "vehicle_id", "now", "now_s", "keyring"]
    assert synced["keyring"] == keyring and synced["latest_issue"] == {b["id"]: 1}
    r = client.post("/api/v1/driver/checkin", json={"ticket": "hello"}, headers=headers)
    assert r.status_code == 422
    assert list(r.json()) == ["code", "ok", "booking_id", "reason", "message", "message_ja",
                              "message_en"]
    assert r.json()["booking_id"] is None and r.json()["code"] == "ticket_refused"
    clock.t = int(datetime.fromisoformat(b["pickup_window"][0]).timestamp()) - 300
    r = client.post("/api/v1/driver/checkin", json={"ticket": ticket["text"]}, headers=headers)
    assert r.status_code == 200, r.text
    assert list(r.json()) == ["ok", "booking_id", "reason", "message", "message_ja",
                              "message_en", "status", "issue"]
    assert (r.json()["status"], r.json()["issue"]) == ("onboard", 1)
