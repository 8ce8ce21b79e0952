"""A seeded service day for the console's tests, made through the HTTP API only.

Phone and app bookings, one refused request, then the clock moves through the morning while
drivers report boardings and drop-offs; one booking is cancelled and one is a no-show. Later
bookings stay open, so the map has routes and waiting pickups.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

import httpx

from tests.api.conftest import DAY, TestClock, local

#: (caller name, phone, origin, destination, asked pickup time, adults, children)
PHONE_TRIPS = [
    ("佐藤 一郎", "0848-76-1001", "honmura", "hospital", time(9, 0), 1, 0),
    ("鈴木 花子", "0848-76-1002", "iwaido", "ichi_office", time(9, 10), 2, 0),
    ("高橋 次郎", "0848-76-1003", "kamisaburo", "hospital_entrance", time(9, 20), 1, 1),
    ("田中 三枝", "0848-76-1004", "suemasa", "crossroad_mitsugi", time(9, 40), 1, 0),
    ("伊藤 健", "0848-76-1005", "sugitani", "hospital", time(10, 0), 1, 0),
    ("渡辺 正子", "0848-76-1006", "hata", "ichi_office", time(10, 50), 1, 0),
    ("山本 勇", "0848-76-1007", "nakasaburo", "hospital", time(11, 0), 2, 0),
    ("中村 和子", "0848-76-1008", "shimoyamada", "ichi_naka", time(13, 30), 1, 0),
]
APP_TRIPS = [("morohara", "hospital", time(9, 30)), ("honmura_kami", "ichi_office", time(14, 0))]


@dataclass
class SeededDay:
    """What the seed made: booking ids by fate, and the operator's headers."""

    url: str
    operator: dict[str, str]
    booked: list[dict[str, Any]] = field(default_factory=list)
    completed: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    no_show: list[str] = field(default_factory=list)


def _ok(r: httpx.Response, *codes: int) -> Any:
    assert r.status_code in (codes or (200,)), f"{r.request.method} {r.request.url}: {r.text}"
    return r.json() if r.content else None


def _ride(offer: dict[str, Any]) -> int:
    """The ride the offer expects (s): from the window's opening to the expected drop-off."""
    return int(datetime.fromisoformat(offer["dropoff_expected"]).timestamp()
               - datetime.fromisoformat(offer["pickup_window"][0]).timestamp())


def login(c: httpx.Client, login: str, password: str) -> dict[str, str]:
    """Authorization header of a staff sign-in."""
    body = _ok(c.post("/api/v1/auth/login", json={"login": login, "password": password}))
    return {"Authorization": f"Bearer {body['access_token']}"}


def seed_day(url: str, clock: TestClock, password: str = "operator-dev",
             driver_password: str = "driver-dev") -> SeededDay:
    """Book, drive and finish part of the test day through the API; leaves the clock at 10:52."""
    c = httpx.Client(base_url=url, timeout=30)
    op = login(c, "operator", password)
    out = SeededDay(url, op)
    ride_s: dict[str, int] = {}
    clock.set(time(7, 30))
    for name, phone, a, b, at, adults, children in PHONE_TRIPS:
        caller = {"name": name, "phone": phone}
        trip = {"origin": {"stop_id": a}, "destination": {"stop_id": b},
                "party": {"adults": adults, "children": children}, "time": local(at),
                "caller": caller}
        offers = _ok(c.post("/api/v1/operator/offers", json=trip, headers=op))
        offer = (offers["offers"] or offers["alternatives"])[0]
        out.booked.append(_ok(c.post("/api/v1/operator/bookings",
                                     json={"offer_id": offer["id"], "caller": caller},
                                     headers=op), 201))
        ride_s[out.booked[-1]["id"]] = _ride(offer)
    rider = _ok(c.post("/api/v1/auth/register",
                       json={"phone": "090-5555-0001", "pin": "2580", "name": "小林 さくら"}), 201)
    rh = {"Authorization": f"Bearer {rider['access_token']}"}
    for a, b, at in APP_TRIPS:
        trip = {"origin": {"stop_id": a}, "destination": {"stop_id": b}, "time": local(at)}
        offers = _ok(c.post("/api/v1/offers", json=trip, headers=rh))
        offer = (offers["offers"] or offers["alternatives"])[0]
        out.booked.append(_ok(c.post("/api/v1/bookings", json={"offer_id": offer["id"]},
                                     headers=rh), 201))
        ride_s[out.booked[-1]["id"]] = _ride(offer)
    late = {"origin": {"stop_id": "honmura"}, "destination": {"stop_id": "hospital"},
            "time": local(time(18, 30))}
    assert c.post("/api/v1/offers", json=late, headers=rh).status_code >= 400  # after hours
    # Cancel the 10:00 trip (伊藤) in good time; the 9:40 rider (田中) does not show up.
    by_name = {b["rider_name"]: b for b in out.booked}
    _ok(c.post(f"/api/v1/operator/bookings/{by_name['伊藤 健']['id']}/cancel", headers=op))
    out.cancelled.append(by_name["伊藤 健"]["id"])
    # Drive the morning: board the first four trips of the morning, drop them off.
    drive = [b for b in out.booked
             if b["rider_name"] in ("佐藤 一郎", "鈴木 花子", "高橋 次郎", "小林 さくら")
             and datetime.fromisoformat(b["pickup_window"][0]).time() < time(10, 0)]
    drivers = {v: login(c, v, driver_password) for v in {b["vehicle_id"] for b in drive}}
    steps = []
    for b in drive:
        start = int(datetime.fromisoformat(b["pickup_window"][0]).timestamp())
        steps.append((start + 60, "boarded", b))
        steps.append((start + 60 + ride_s[b["id"]], "alighted", b))
    no_show = by_name["田中 三枝"]
    steps.append((int(datetime.fromisoformat(no_show["pickup_window"][0]).timestamp()) + 200,
                  "no_show", no_show))
    for t, kind, b in sorted(steps, key=lambda s: s[0]):
        clock.t = max(clock.t, t)
        if kind == "no_show":
            _ok(c.post(f"/api/v1/operator/bookings/{b['id']}/no-show", headers=op))
            out.no_show.append(b["id"])
            continue
        _ok(c.post("/api/v1/driver/events", json={"type": kind, "booking_id": b["id"]},
                   headers=drivers[b["vehicle_id"]]))
        if kind == "alighted":
            out.completed.append(b["id"])
    clock.set(time(10, 52), DAY)
    for v, h in drivers.items():
        stop = {"mitsugi-1": (34.5159, 133.1502), "mitsugi-2": (34.5125, 133.1466)}.get(v)
        if stop:
            c.post("/api/v1/driver/position", json={"lat": stop[0], "lon": stop[1]}, headers=h)
    c.close()
    return out


def api(seeded: SeededDay, method: str, path: str, **kw: Any) -> Any:
    """Call the API as the operator (the test's own view of the truth)."""
    r = httpx.request(method, seeded.url + path, headers=seeded.operator, timeout=30, **kw)
    assert r.status_code < 400, r.text
    return r.json()
