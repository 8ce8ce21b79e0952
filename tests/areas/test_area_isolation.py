"""Two service areas in one deployment never see each other's riders, bookings or vehicles.

The deployment serves Mitsugi (at the root and under ``/a/mitsugi/``) and the example area
Kinosho-Harada (under ``/a/kinoshou/``), on SQLite and on PostgreSQL. For every role (rider,
driver, operator, supervisor) of each area: every route that needs a sign-in refuses its token
in the other area (401 ``other_area``), whatever ids it is given; the lists of its own area hold
only that area's bookings, riders and vehicles; and the other area's booking, rider and
vehicle ids are unknown (404) to its staff.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import time

import pytest
from fastapi.testclient import TestClient

from dispatcher.api.app import create_app
from dispatcher.line.signature import sign
from dispatcher.settings import Settings
from dispatcher.units import at_local
from tests.api.conftest import DAY, TestClock, local, reset_postgres

A, B = "mitsugi", "kinoshou"
PREFIX = {A: "/a/mitsugi", B: "/a/kinoshou"}
#: A trip inside each area (stop ids of its stops.csv).
TRIPS = {A: ("honmura", "hospital"), B: ("edakami", "minari")}
DRIVER = {A: "mitsugi-1", B: "kinoshou-1"}
ROLES = ("rider", "driver", "operator", "supervisor")


@pytest.fixture(params=["sqlite", "postgres"])
def two_areas(request, tmp_path, monkeypatch) -> Iterator[TestClient]:
    clock = TestClock(at_local(DAY, time(8, 0)))
    # Each area its own LINE channel: the first the deployment's, the second its own.
    monkeypatch.setenv("NORIAI_KINOSHOU__LINE_CHANNEL_SECRET", "kinoshou-line-secret")
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'noriai.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
        reset_postgres(url)
    settings = Settings(db=url, data_dir=tmp_path, areas=B, reopt_interval_s=0,
                        line_channel_secret="mitsugi-line-secret",
                        standing_interval_s=0, secret_key="t" * 40,
                        operator_password="operator-test", driver_password="driver-test")
    with TestClient(create_app(settings, clock=clock, background=False)) as c:
        yield c


def _call(c: TestClient, method: str, path: str, headers: dict[str, str] | None = None,
          json: object = None):  # type: ignore[no-untyped-def]
    return c.request(method, path, headers=headers or {}, json=json)


def _sign_in(c: TestClient, area: str) -> dict[str, dict[str, str]]:
    """A token of every role in ``area``; the rider has booked a trip there."""
    p = PREFIX[area]
    out: dict[str, dict[str, str]] = {}
    r = c.post(f"{p}/api/v1/auth/register",
               json={"phone": "090-1111-2222", "pin": "2580", "name": f"利用者 {area}"})
    assert r.status_code == 201, r.text
    out["rider"] = {"Authorization": f"Bearer {r.json()['access_token']}"}
    for role, body in (("driver", {"login": DRIVER[area], "password": "driver-test"}),
                       ("supervisor", {"login": "operator", "password": "operator-test"})):
        r = c.post(f"{p}/api/v1/auth/login", json=body)
        assert r.status_code == 200, r.text
        out[role] = {"Authorization": f"Bearer {r.json()['access_token']}"}
    r = c.post(f"{p}/api/v1/operator/accounts", headers=out["supervisor"],
               json={"login": f"desk-{area}", "name": "受付", "role": "operator",
                     "password": "Kv7-rain-Monday-desk"})
    assert r.status_code in (200, 201), r.text
    r = c.post(f"{p}/api/v1/auth/login",
               json={"login": f"desk-{area}", "password": "Kv7-rain-Monday-desk"})
    assert r.status_code == 200, r.text
    out["operator"] = {"Authorization": f"Bearer {r.json()['access_token']}"}
    return out


def _book(c: TestClient, area: str, rider: dict[str, str]) -> dict:
    origin, dest = TRIPS[area]
    body = {"origin": {"stop_id": origin}, "destination": {"stop_id": dest},
            "party": {"adults": 1}, "rule": "pickup_after", "time": local(time(10, 0))}
    r = c.post(f"{PREFIX[area]}/api/v1/offers", json=body, headers=rider)
    assert r.status_code == 200, r.text
    offer = r.json()["offers"][0] if "offers" in r.json() else r.json()
    r = c.post(f"{PREFIX[area]}/api/v1/bookings", json={"offer_id": offer["id"]}, headers=rider)
    assert r.status_code in (200, 201), r.text
    return r.json()


def _authenticated_routes(c: TestClient) -> list[tuple[str, str]]:
    """(method, path) of every API route that refuses a caller without a token."""
    out = []
    for template, methods in c.app.openapi()["paths"].items():
        if template == "/api/v1/line/webhook":
            continue  # signed by the area's LINE channel, not by a token (test below)
        for method in sorted(m.upper() for m in methods):
            r = _call(c, method, PREFIX[A] + re.sub(r"\{[a-z_]+\}", "x", template))
            if r.status_code == 401:
                out.append((method, template))
    return out


def test_role_by_area_matrix(two_areas: TestClient) -> None:
    c = two_areas
    tokens = {area: _sign_in(c, area) for area in (A, B)}
    booked = {area: _book(c, area, tokens[area]["rider"]) for area in (A, B)}
    ids = {area: {"booking_id": booked[area]["id"], "vehicle_id": DRIVER[area]}
           for area in (A, B)}

    routes = _authenticated_routes(c)
    assert len(routes) > 40, routes  # the matrix covers the API, not a sample
    for own, other in ((A, B), (B, A)):
        for role in ROLES:
            for method, template in routes:
                # The other area's real ids where a route takes them, else a placeholder.
                path = re.sub(r"\{([a-z_]+)\}",
                              lambda m, known=ids[other]: known.get(m.group(1), "x"), template)
                r = _call(c, method, PREFIX[other] + path, tokens[own][role], json={})
                assert r.status_code == 401, (own, role, method, path, r.status_code, r.text)
                assert r.json()["code"] == "other_area", (own, role, method, path, r.text)
    # The root is the first area: its tokens work there, the second area's do not.
    assert c.get("/api/v1/bookings", headers=tokens[A]["rider"]).status_code == 200
    assert c.get("/api/v1/bookings", headers=tokens[B]["rider"]).status_code == 401


def test_each_area_sees_only_its_own(two_areas: TestClient) -> None:
    c = two_areas
    tokens = {area: _sign_in(c, area) for area in (A, B)}
    booked = {area: _book(c, area, tokens[area]["rider"]) for area in (A, B)}
    for own, other in ((A, B), (B, A)):
        p, op = PREFIX[own], tokens[own]["operator"]
        # Stops, vehicles, bookings and riders of the area only.
        stops = {s["id"] for s in c.get(f"{p}/api/v1/stops").json()}
        other_stops = {s["id"] for s in c.get(f"{PREFIX[other]}/api/v1/stops").json()}
        assert stops and not stops & other_stops
        vehicles = c.get(f"{p}/api/v1/operator/vehicles", headers=op)
        assert vehicles.status_code == 200, vehicles.text
        vids = {v["id"] for v in vehicles.json()}
        assert DRIVER[own] in vids and DRIVER[other] not in vids
        listed = c.get(f"{p}/api/v1/operator/bookings", headers=op)
        assert listed.status_code == 200, listed.text
        bids = {b["id"] for b in listed.json()}
        assert booked[own]["id"] in bids and booked[other]["id"] not in bids
        mine = c.get(f"{p}/api/v1/bookings", headers=tokens[own]["rider"]).json()
        assert [b["id"] for b in mine] == [booked[own]["id"]]
        # The other area's ids are unknown here.
        r = c.get(f"{p}/api/v1/operator/bookings/{booked[other]['id']}/events", headers=op)
        assert r.status_code == 404, r.text
        r = c.get(f"{p}/api/v1/operator/bookings/{booked[own]['id']}/events", headers=op)
        assert r.status_code == 200, r.text
        r = c.post(f"{p}/api/v1/operator/bookings/{booked[other]['id']}/cancel", headers=op,
                   json={})
        assert r.status_code == 404, r.text
        riders = c.get(f"{p}/api/v1/operator/riders", params={"q": "090-1111-2222"}, headers=op)
        assert riders.status_code == 200, riders.text
        assert {x["name"] for x in riders.json()} == {f"利用者 {own}"}
        r = c.get(f"{p}/api/v1/bookings/{booked[other]['id']}", headers=tokens[own]["rider"])
        assert r.status_code == 404, r.text
        # The driver's run sheet holds only the area's own booking.
        run = c.get(f"{p}/api/v1/driver/route", headers=tokens[own]["driver"])
        assert run.status_code == 200, run.text
        assert booked[other]["id"] not in run.text
        # Each area publishes its own feed and keyring.
        feed = c.get(f"{p}/gtfs/feed.zip")
        assert feed.status_code == 200
        assert feed.headers["content-disposition"].endswith(f'"{own}-gtfs.zip"')
    keys = [c.get(f"{PREFIX[a]}/api/v1/tickets/keyring", headers=tokens[a]["driver"]).json()
            for a in (A, B)]
    assert keys[0] != keys[1]


def test_areas_are_listed_and_unknown_areas_refused(two_areas: TestClient) -> None:
    c = two_areas
    listed = c.get("/a/kinoshou/api/v1/areas").json()
    assert [(a["id"], a["prefix"], a["default"], a["example"]) for a in listed] == [
        (A, "/a/mitsugi", True, False), (B, "/a/kinoshou", False, True)]
    assert c.get("/api/v1/service").json()["id"] == A
    assert c.get("/a/kinoshou/api/v1/service").json()["id"] == B
    # The driver app's sign-in example is a driver login of the area itself.
    assert [c.get(f"{PREFIX[a]}/api/v1/service").json()["login_example"] for a in (A, B)] == [
        DRIVER[A], DRIVER[B]]
    r = c.get("/a/nowhere/api/v1/service")
    assert r.status_code == 404 and r.json()["code"] == "unknown_area"
    assert "地域" in r.json()["message_ja"]
    # The apps answer under every area, so their relative API calls stay in the area.
    assert c.get("/a/kinoshou/rider/").status_code == 200
    assert c.get("/a/kinoshou/health").json()["service"] == B


def test_each_area_has_its_own_line_channel(two_areas: TestClient) -> None:
    c = two_areas
    body = b'{"destination": "U0", "events": []}'
    for area, secret in ((A, "mitsugi-line-secret"), (B, "kinoshou-line-secret")):
        other = B if area == A else A
        signature = {"X-Line-Signature": sign(body, secret),
                     "Content-Type": "application/json"}
        ok = c.post(f"{PREFIX[area]}/api/v1/line/webhook", content=body, headers=signature)
        assert ok.status_code == 200, ok.text
        refused = c.post(f"{PREFIX[other]}/api/v1/line/webhook", content=body, headers=signature)
        assert refused.status_code == 401, refused.text
