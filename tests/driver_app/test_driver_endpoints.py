"""The service side of the driver app: the app's files at /driver/, the route geometry endpoint
and the pure helper behind it."""

from __future__ import annotations

import json
from datetime import time

import pytest
from fastapi.testclient import TestClient

from dispatcher.api.app import create_app
from dispatcher.settings import Settings
from dispatcher.units import at_local
from driver_app.geometry import route_legs
from tests.api.conftest import DAY, trip
from tests.driver_app.conftest import cheap_hashing


def test_route_legs_follow_the_stops():
    """One leg per planned stop, each from the previous place; a stop where the vehicle already
    is gives a single point."""
    calls = []

    def line(a: int, b: int) -> list[tuple[float, float]]:
        calls.append((a, b))
        return [(float(a), 0.0), (float(b), 0.0)] if a != b else [(float(a), 0.0)]

    legs = route_legs(7, [(7, {"index": 0}), (9, {"index": 1}), (3, {"index": 2})], line)
    assert calls == [(7, 7), (7, 9), (9, 3)]
    assert [len(leg["coords"]) for leg in legs] == [1, 2, 2]
    assert [leg["index"] for leg in legs] == [0, 1, 2]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    """The API on a fresh SQLite file (clock at 08:00 of the test day), with a booking."""
    from routing.network import load_network

    tmp = tmp_path_factory.mktemp("driver-api")
    settings = Settings(db=f"sqlite:///{tmp / 'noriai.db'}", data_dir=tmp, reopt_interval_s=0,
                        secret_key="e" * 40, operator_password="operator-test",
                        driver_password="driver-test")
    now = at_local(DAY, time(8, 0))
    app = create_app(settings, network=load_network("mitsugi"), clock=lambda: now,
                     background=False)
    with pytest.MonkeyPatch.context() as mp:
        cheap_hashing(mp)
        with TestClient(app) as c:
            yield c


def _driver(client, vehicle: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/login", json={"login": vehicle, "password": "driver-test"})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_app_files_are_served(client):
    """/driver redirects to /driver/, which serves the app; the PWA manifest, service worker,
    icons and the shared ticket verifier are there too."""
    r = client.get("/driver", follow_redirects=False)
    assert r.status_code in (302, 307) and r.headers["location"] == "/driver/"
    page = client.get("/driver/")
    assert page.status_code == 200 and 'rel="manifest"' in page.text and "app.js" in page.text
    manifest = client.get("/driver/manifest.webmanifest").json()
    assert manifest["lang"] == "ja" and manifest["display"] == "standalone"
    for icon in manifest["icons"]:
        assert client.get(f"/driver/{icon['src']}").status_code == 200
    sw = client.get("/driver/sw.js").text
    for name in json.loads(sw.split("const SHELL = ")[1].split(";")[0].replace("\n", "").replace(",]", "]")):
        assert client.get(f"/driver/{name}").status_code == 200, name
    assert client.get("/driver/nothing.js").status_code == 404


def test_route_and_roads(client):
    """The route endpoint gives one road leg per planned stop, starting where the vehicle is and
    ending at each stop; the road layer covers the whole network and may be cached."""
    rider = client.post("/api/v1/auth/register",
                        json={"phone": "090-4444-5555", "pin": "2580", "name": "田中"}).json()
    h = {"Authorization": f"Bearer {rider['access_token']}"}
    offer = client.post("/api/v1/offers", json=trip(), headers=h).json()["offers"][0]
    booking = client.post("/api/v1/bookings", json={"offer_id": offer["id"]}, headers=h).json()
    d = _driver(client, booking["vehicle_id"])
    man = client.get("/api/v1/driver/manifest", headers=d).json()
    assert man["no_show_grace_s"] == 180 and man["now"] == at_local(DAY, time(8, 0))
    route = client.get("/api/v1/driver/route", headers=d).json()
    assert route["revision"] == man["revision"]
    assert [(x["booking_id"], x["kind"]) for x in route["legs"]] == [
        (s["booking_id"], s["kind"]) for s in man["stops"]]
    depot = (34.508976, 133.14758)  # ichi_office
    assert abs(route["start"][0] - depot[0]) < 0.002 and abs(route["start"][1] - depot[1]) < 0.002
    for leg, stop in zip(route["legs"], man["stops"], strict=True):
        end = leg["coords"][-1]
        assert abs(end[0] - stop["lat"]) < 0.003 and abs(end[1] - stop["lon"]) < 0.003
        assert len(leg["coords"]) > 2
    assert route["legs"][1]["coords"][0] == route["legs"][0]["coords"][-1]
    assert client.get("/api/v1/driver/route").status_code == 401
    # the road layer the app draws under the route (served for the rider app's map too)
    roads = client.get("/api/v1/map/roads")
    assert roads.status_code == 200 and "max-age" in roads.headers["cache-control"]
    g = roads.json()
    assert g["geometry"]["type"] == "MultiLineString"
    # every road once: chains between junctions are merged into lines of 2 or more points
    lines = g["geometry"]["coordinates"]
    assert sum(len(line) - 1 for line in lines) > 2000 and all(len(line) >= 2 for line in lines)
