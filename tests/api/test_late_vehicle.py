"""Live operations when a vehicle runs late (issue 14): the manifest keeps its times and names
the broken promises, re-optimisation repairs instead of giving up (other vehicles take over what
they can keep), riders and operators are told, a shift can end, and the driver knows when to
leave. Through the HTTP API with a clock the test moves; SQLite (and PostgreSQL where marked)."""

from __future__ import annotations

from datetime import datetime, time

import pytest

from tests.api.conftest import DAY, TestClock, driver, local, trip


def _book(client, headers, body):
    offers = client.post("/api/v1/offers", json=body, headers=headers)
    assert offers.status_code == 200, offers.text
    first = offers.json()["offers"][0]
    r = client.post("/api/v1/bookings", json={"offer_id": first["id"]}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def _manifest(client, vehicle):
    r = client.get("/api/v1/driver/manifest", headers=driver(client, vehicle))
    assert r.status_code == 200, r.text
    return r.json()


def _ts(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp())


@pytest.fixture
def late_day(client, clock: TestClock, rider):
    """Rider A (09:00 from honmura) on some vehicle; its driver leaves for the pickup at 08:50
    and is still not there at 09:25, ten minutes after the window closed."""
    a = _book(client, rider, trip("honmura", "hospital", time(9, 0)))
    vid = a["vehicle_id"]
    clock.set(time(8, 50))
    r = client.post("/api/v1/driver/events", headers=driver(client, vid),
                    json={"type": "departed", "booking_id": a["id"]})
    assert r.status_code == 200, r.text
    clock.set(time(9, 25))
    return a, vid


def test_a_late_vehicles_manifest_keeps_its_times_and_names_the_broken_promise(client, late_day):
    """The manifest of a late vehicle is timed (eta, service start, leave-by at every stop) and
    says which promise it breaks and by how much; before the fix eta/service_start were null."""
    a, vid = late_day
    m = _manifest(client, vid)
    assert m["feasible"] is False
    assert m["stops"] and all(s["eta"] and s["service_start"] and s["leave_by"]
                              for s in m["stops"])
    pickup = next(s for s in m["stops"] if s["booking_id"] == a["id"] and s["kind"] == "pickup")
    window_end = _ts(a["pickup_window"][1])
    assert _ts(pickup["service_start"]) > window_end
    assert pickup["late_s"] == _ts(pickup["service_start"]) - window_end > 0
    assert any(x["booking_id"] == a["id"] and x["what"] == "pickup"
               for x in m["promises_late"])
    assert m["late_s"] >= pickup["late_s"]


def test_riders_and_operators_are_told(client, late_day, rider, operator):
    """The rider's ETA says the pickup is late (ja/en); a promise_at_risk event (level late)
    reaches the operator's event log after the next cycle, and promise_recovered once done."""
    a, vid = late_day
    eta = client.get(f"/api/v1/bookings/{a['id']}/eta", headers=rider).json()
    assert eta["at_risk"]["level"] == "late" and eta["at_risk"]["what"] == "pickup"
    assert "遅れる見込み" in eta["at_risk"]["message_ja"] and "late" in eta["at_risk"]["message_en"]
    client.post("/api/v1/operator/reoptimize", headers=operator)
    ev = client.get("/api/v1/operator/events", params={"type": "promise_at_risk"},
                    headers=operator).json()
    mine = [e for e in ev if e["booking_id"] == a["id"]]
    assert mine and mine[0]["data"]["level"] == "late" and mine[0]["data"]["late_s"] > 0
    late_v = client.get("/api/v1/operator/events", params={"type": "vehicle_late"},
                        headers=operator).json()
    assert [e["vehicle_id"] for e in late_v] == [vid]
    d = driver(client, vid)
    for kind in ("arrived", "boarded"):
        assert client.post("/api/v1/driver/events", headers=d,
                           json={"type": kind, "booking_id": a["id"]}).status_code == 200


def test_reoptimisation_repairs_instead_of_failing_and_hands_over_bookings(
        client, clock, late_day, operator):
    """With a late vehicle the cycle does not answer no_feasible_solution for the fleet: a
    booking behind the late one that another vehicle can serve on time is handed over (a moved
    event by the optimizer) and keeps its promise there; the late booking stays (the vehicle is
    on its way to it) and is named late."""
    from tests.api.conftest import register

    a, vid = late_day
    clock.set(time(8, 0))
    other = register(client, "090-3333-4444", "佐藤 一郎")
    b = _book(client, other, trip("suemasa", "ichi_office", time(9, 40)))
    if b["vehicle_id"] != vid:
        r = client.post(f"/api/v1/operator/bookings/{b['id']}/move",
                        json={"vehicle_id": vid}, headers=operator)
        assert r.status_code == 200, r.text
    clock.set(time(9, 35))  # still not at A's pickup (window 09:00-09:10)
    res = client.post("/api/v1/operator/reoptimize", headers=operator).json()
    assert res["status"] == "repaired", res
    assert b["id"] in res["moved"] and a["id"] not in res["moved"]
    after = client.get(f"/api/v1/bookings/{b['id']}", headers=other).json()
    assert after["vehicle_id"] != vid
    m = _manifest(client, after["vehicle_id"])
    assert any(s["booking_id"] == b["id"] for s in m["stops"])
    assert not any(x["booking_id"] == b["id"] for x in m["promises_late"] + m["promises_at_risk"])
    late = _manifest(client, vid)
    assert any(x["booking_id"] == a["id"] for x in late["promises_late"])
    moved = client.get("/api/v1/operator/events", params={"type": "moved"},
                       headers=operator).json()
    assert any(e["booking_id"] == b["id"] and e["actor_id"] == "optimizer" for e in moved)


def test_the_driver_knows_when_to_leave(client, clock, rider):
    """Every stop has a leave-by time: for the first pickup of an idle vehicle it is the planned
    start minus the planning travel time (>= the expected one), and before the start."""
    a = _book(client, rider, trip("honmura", "hospital", time(10, 0)))
    m = _manifest(client, a["vehicle_id"])
    first = m["stops"][0]
    assert first["booking_id"] == a["id"] and first["kind"] == "pickup"
    start, leave, eta = (_ts(first[k]) for k in ("service_start", "leave_by", "eta"))
    assert leave < eta <= start
    window = [_ts(x) for x in a["pickup_window"]]
    assert window[0] <= start < window[1] - 60  # not planned at the last second of its window
    assert first["slack_s"] > 0


def test_shift_end_and_back_at_depot(client, clock, rider, operator):
    """A driver cannot end the shift with bookings planned or riders on board (409, ja/en);
    with nothing left it ends, the vehicle leaves planning, and a later cycle and new offers
    work without it. A vehicle past its shift end with nothing to do never fails a cycle."""
    a = _book(client, rider, trip("honmura", "hospital", time(10, 0)))
    vid = a["vehicle_id"]
    d = driver(client, vid)
    r = client.post("/api/v1/driver/shift/end", headers=d)
    assert r.status_code == 409 and r.json()["message_ja"] and r.json()["message_en"]
    idle = next(v for v in ("mitsugi-1", "mitsugi-2", "mitsugi-3") if v != vid)
    r = client.post("/api/v1/driver/shift/end", headers=driver(client, idle))
    assert r.status_code == 200, r.text
    assert _manifest(client, idle)["shift_ended"] is True
    assert client.post("/api/v1/driver/depot", headers=d).status_code == 200
    for _ in range(3):
        offers = client.post("/api/v1/offers", json=trip("ichi_office", "hospital", time(11, 0)),
                             headers=rider).json()
        assert all(o["vehicle_id"] != idle for o in offers["offers"] + offers["alternatives"])
    clock.set(time(17, 40))  # every shift is over; one vehicle still has its booking
    res = client.post("/api/v1/operator/reoptimize", headers=operator).json()
    assert res["status"] != "no_feasible_solution", res


def test_line_riders_get_a_push_when_late(client, clock, late_day, operator):
    """A rider whose account is linked to LINE gets a push message when the pickup is expected
    late (the notifier reads the promise_at_risk events)."""
    from sqlmodel import Session

    from dispatcher.api.notify import RiskNotifier
    from dispatcher.store.tables import BookingRow, User

    a, _ = late_day
    runtime = client.app.state.runtime
    sent: list[tuple[str, list]] = []

    class Stub:
        def push(self, to, messages):
            sent.append((to, messages))
            return True

    notifier = RiskNotifier(runtime.db, Stub())  # type: ignore[arg-type]
    with Session(runtime.db) as s, s.begin():
        rider = s.get(User, s.get(BookingRow, a["id"]).rider_id)
        rider.line_user_id = "U" + "1" * 32
    client.post("/api/v1/operator/reoptimize", headers=operator)
    assert notifier.run_once() == 1
    assert sent[0][0] == "U" + "1" * 32 and "遅れる見込み" in sent[0][1][0]["text"]
    assert notifier.run_once() == 0  # each event once


def test_a_restart_keeps_a_late_vehicles_bookings(db_url, tmp_path, clock):
    """After a restart with a late vehicle no confirmed booking is dropped from the plans."""
    from tests.api.conftest import make_client, register

    with make_client(db_url, tmp_path, clock) as c:
        rider = register(c, "090-5555-6666")
        a = _book(c, rider, trip("honmura", "hospital", time(9, 0)))
        b = _book(c, rider, trip("kaigahara", "ichi_office", time(9, 20)))
        clock.set(time(8, 50))
        c.post("/api/v1/driver/events", headers=driver(c, a["vehicle_id"]),
               json={"type": "departed", "booking_id": a["id"]})
    clock.set(time(9, 40))
    with make_client(db_url, tmp_path, clock) as c:
        planned = set()
        for v in ("mitsugi-1", "mitsugi-2", "mitsugi-3"):
            m = _manifest(c, v)
            assert all(s["eta"] for s in m["stops"])
            planned |= {s["booking_id"] for s in m["stops"]}
        assert {a["id"], b["id"]} <= planned


def test_times_are_local_iso(client, rider):
    """Manifest times are ISO with the service's offset (unchanged contract)."""
    a = _book(client, rider, trip("honmura", "hospital", time(10, 0)))
    first = _manifest(client, a["vehicle_id"])["stops"][0]
    assert first["leave_by"].endswith("+09:00") and DAY.isoformat() in first["leave_by"]
    assert local(time(10, 0)).endswith("+09:00")
