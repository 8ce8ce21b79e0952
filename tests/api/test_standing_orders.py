"""Standing orders through the API and the placing pass (SQLite and PostgreSQL): created by a
rider (with family members) or by phone staff for a caller, booked day by day inside the
horizon exactly once — across repeated passes, two workers and a pass that stopped half way —
failures as notices and operator events, bad input answered with a clear 4xx."""

from __future__ import annotations

import threading
from datetime import date, datetime, time, timedelta

import pytest
from sqlmodel import Session, select

from dispatcher.api.runtime import Runtime
from dispatcher.standing_orders import LEASE_S, idempotency_key, trip_of
from dispatcher.store.tables import BookingRow, StandingOrder, StandingRun
from tests.api.conftest import DAY, local, login, register, trip

ORDER = {"origin": {"stop_id": "honmura"}, "destination": {"stop_id": "hospital"},
         "time": "08:30", "weekdays": ["mon", "wed", "fri"]}


def _bad(r, status: int = 422) -> dict:
    """A clear refusal with a code and messages in both languages."""
    assert r.status_code == status, r.text
    err = r.json()
    assert err["code"] and err["message_ja"] and err["message_en"]
    return err


def _bookings(client, order_id: str | None = None) -> list[BookingRow]:
    """Bookings placed by standing orders (of one order when given)."""
    with Session(client.app.state.runtime.db) as s:
        rows = s.exec(select(BookingRow).where(BookingRow.channel == "standing")).all()
    return [b for b in rows if order_id is None or (b.idempotency_key or "").startswith(
        f"standing:{order_id}:")]


def test_rider_creates_an_order_and_its_days_are_booked(client, rider, clock):
    """Wed 13 Jan 08:00: Mon/Wed/Fri 08:30 books Fri 15, Mon 18, Wed 20 at once (today's 08:30 is
    inside the notice); another pass books nothing more; on Fri 15 the pass books Fri 22."""
    r = client.post("/api/v1/standing-orders", json=ORDER, headers=rider)
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["active"] and order["weekdays"] == ["mon", "wed", "fri"] and order["time"] == "08:30"
    assert [(x["day"], x["status"]) for x in order["runs"]] == [
        ("2027-01-15", "booked"), ("2027-01-18", "booked"), ("2027-01-20", "booked")]
    assert order["runs"][0]["pickup_window"][0] == "2027-01-15T08:30:00+09:00"
    mine = {b["id"]: b for b in client.get("/api/v1/bookings", headers=rider).json()}
    assert {x["booking_id"] for x in order["runs"]} == set(mine)
    assert {b["channel"] for b in mine.values()} == {"standing"}
    runtime = client.app.state.runtime
    assert runtime.standing.place_due() == []
    assert len(_bookings(client)) == 3
    clock.set(time(7, 0), DAY + timedelta(days=2))
    placed = runtime.standing.place_due()
    assert [(p.day, p.status) for p in placed] == [(date(2027, 1, 22), "booked")]
    listed = client.get("/api/v1/standing-orders", headers=rider).json()
    assert [x["day"] for x in listed[0]["runs"]] == ["2027-01-15", "2027-01-18", "2027-01-20",
                                                      "2027-01-22"]


def test_family_members_travel_on_the_order(client, rider):
    """An order names registered family members (shown by name); another rider's member is refused."""
    kid = client.post("/api/v1/family", json={"name": "山田 さくら", "category": "child"},
                      headers=rider).json()
    body = {**ORDER, "party": {"adults": 1, "children": 1}, "family_member_ids": [kid["id"]]}
    order = client.post("/api/v1/standing-orders", json=body, headers=rider).json()
    assert order["family_names"] == ["山田 さくら"] and order["party"]["children"] == 1
    booked = client.get(f"/api/v1/bookings/{order['runs'][0]['booking_id']}", headers=rider).json()
    assert (booked["adults"], booked["children"], booked["fare"]) == (1, 1, 450)
    other = register(client, "090-7777-8888")
    _bad(client.post("/api/v1/standing-orders", json=body, headers=other))


def test_a_day_that_cannot_be_placed_is_a_notice_and_an_operator_event(client, rider, operator):
    """The one wheelchair space is taken on Fri 15 at 10:00: a wheelchair user's Friday 10:00
    order fails that day with the reason (full, nearby free times); the rider sees a notice, the
    operators an event and the notice; dismissing hides it."""
    other = register(client, "090-2222-3333", name="先客")
    offers = client.post("/api/v1/offers", json={**trip(wheelchairs=1, adults=0),
                                                  "time": local(time(10, 0), DAY + timedelta(days=2))},
                         headers=other).json()
    assert client.post("/api/v1/bookings", json={"offer_id": offers["recommended_id"]},
                       headers=other).status_code == 201
    body = {**ORDER, "time": "10:00", "weekdays": ["fri"], "party": {"adults": 0, "wheelchairs": 1}}
    order = client.post("/api/v1/standing-orders", json=body, headers=rider).json()
    (run,) = order["runs"]
    assert (run["day"], run["status"], run["reason"]) == ("2027-01-15", "failed", "full")
    assert "満席" in run["message_ja"] and "full" in run["message_en"]
    notices = client.get("/api/v1/standing-orders/notices", headers=rider).json()
    assert [(n["day"], n["time"], n["order_id"]) for n in notices] == [
        ("2027-01-15", "10:00", order["id"])]
    events = client.get("/api/v1/operator/events", params={"type": "standing_order_failed"},
                        headers=operator).json()
    assert events[-1]["data"]["order_id"] == order["id"]
    assert events[-1]["data"]["rider_name"] == "山田 花子" and events[-1]["data"]["day"] == "2027-01-15"
    assert [n["id"] for n in client.get("/api/v1/operator/standing-orders/notices",
                                        headers=operator).json()] == [notices[0]["id"]]
    url = f"/api/v1/standing-orders/notices/{notices[0]['id']}/dismiss"
    _bad(client.post(url, headers=other), 404)
    assert client.post(url, headers=rider).status_code == 204
    assert client.get("/api/v1/standing-orders/notices", headers=rider).json() == []
    _bad(client.post(url, headers=rider), 404)
    _bad(client.post(f"/api/v1/standing-orders/notices/{2**70}/dismiss", headers=rider))
    # The failed day is not tried again by later passes.
    assert client.app.state.runtime.standing.place_due() == []


def test_stopping_keeps_booked_trips_and_books_no_more(client, rider, clock):
    """A stopped order books no new day; its booked trips stay confirmed."""
    order = client.post("/api/v1/standing-orders", json=ORDER, headers=rider).json()
    stopped = client.delete(f"/api/v1/standing-orders/{order['id']}", headers=rider).json()
    assert not stopped["active"] and stopped["pending"] == []
    clock.set(time(7, 0), DAY + timedelta(days=2))
    assert client.app.state.runtime.standing.place_due() == []
    statuses = {b["status"] for b in client.get("/api/v1/bookings", headers=rider).json()}
    assert statuses == {"confirmed"}


@pytest.mark.parametrize(("change", "words"), [
    ({"weekdays": []}, None),
    ({"weekdays": ["mon", "mon"]}, None),
    ({"weekdays": ["sat"]}, "土曜日"),
    ({"weekdays": ["someday"]}, None),
    ({"time": "8:30"}, None),
    ({"time": "18:00"}, "運行時間外"),
    ({"origin": {"stop_id": "nowhere"}}, "不明な乗り場"),
    ({"destination": {"stop_id": "honmura"}}, "同じ"),
    ({"origin": {"lat": 35.0, "lon": 139.0}}, None),
    ({"origin": {}}, None),
    ({"party": {"adults": 9}}, None),
    ({"party": {"adults": 0}}, None),
    ({"family_member_ids": [999999]}, "家族"),
    ({"family_member_ids": [2**70]}, None),
    ({"start_date": "2027-01-01"}, "過去"),
    ({"start_date": "2027-02-01", "end_date": "2027-01-20"}, None),
    ({"rule": "sometime"}, None),
    ({"extra": 1}, None),
])
def test_bad_orders_get_a_clear_answer(client, rider, change, words):
    """Every malformed or impossible order: 422 with ja/en messages; nothing is stored."""
    err = _bad(client.post("/api/v1/standing-orders", json={**ORDER, **change}, headers=rider))
    if words:
        assert words in err["message_ja"], err
    assert client.get("/api/v1/standing-orders", headers=rider).json() == []


def test_orders_are_private_and_limited(client, rider):
    """Another rider can neither see nor stop my order (404); no token: 401; unknown: 404; at
    most ten active orders."""
    order = client.post("/api/v1/standing-orders", json=ORDER, headers=rider).json()
    other = register(client, "090-9999-0000")
    _bad(client.get(f"/api/v1/standing-orders/{order['id']}", headers=other), 404)
    _bad(client.delete(f"/api/v1/standing-orders/{order['id']}", headers=other), 404)
    _bad(client.get("/api/v1/standing-orders/so-none", headers=rider), 404)
    assert client.get("/api/v1/standing-orders").status_code == 401
    for k in range(9):
        r = client.post("/api/v1/standing-orders",
                        json={**ORDER, "weekdays": ["tue"], "time": f"1{k % 7}:00",
                              "start_date": "2027-03-01"}, headers=rider)
        assert r.status_code == 201, r.text
    _bad(client.post("/api/v1/standing-orders", json={**ORDER, "start_date": "2027-03-01"},
                     headers=rider))


def test_phone_staff_create_list_and_stop_for_a_caller(client, operator):
    """Phone staff create an order for a caller (account by phone), list it by rider and stop it;
    riders may not use the operator endpoints."""
    caller = {"name": "田中 ハナ", "phone": "0848-22-3333", "name_kana": "たなか はな"}
    r = client.post("/api/v1/operator/standing-orders", json={**ORDER, "caller": caller},
                    headers=operator)
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["channel"] == "phone" and order["rider_name"] == "田中 ハナ"
    assert len(order["runs"]) == 3
    with Session(client.app.state.runtime.db) as s:
        booked_by = {b.booked_by for b in s.exec(select(BookingRow))}
    assert booked_by == {"operator"}
    listed = client.get("/api/v1/operator/standing-orders", params={"rider_id": order["rider_id"]},
                        headers=operator).json()
    assert [o["id"] for o in listed] == [order["id"]]
    assert not client.delete(f"/api/v1/operator/standing-orders/{order['id']}",
                             headers=operator).json()["active"]
    assert client.post("/api/v1/operator/standing-orders/run", headers=operator).json() == []
    rider = register(client, "090-1212-3434")
    _bad(client.post("/api/v1/operator/standing-orders", json={**ORDER, "caller": caller},
                     headers=rider), 403)
    _bad(client.post("/api/v1/operator/standing-orders", json=ORDER, headers=operator))


def _stored_order(client, rider_headers) -> StandingOrder:
    """An order stored without placing its days (as a worker finds it)."""
    runtime = client.app.state.runtime
    me = client.get("/api/v1/auth/me", headers=rider_headers).json()
    return runtime.standing.create(StandingOrder(
        id="so-test", service_id="mitsugi", rider_id=me["id"], created_by=me["id"],
        origin_stop_id="honmura", origin_lat=34.534153, origin_lon=133.17508,
        destination_stop_id="hospital", destination_lat=34.51667, destination_lon=133.14778,
        rule="pickup_after", time_s=8 * 3600 + 1800, weekdays=["mon", "wed", "fri"],
        start_day=DAY))


def test_two_workers_never_book_a_day_twice(client, rider, tmp_path, clock, db_url):
    """Two API processes (two runtimes, each with its own engine, on one database) and two threads
    of one of them place the same order at once: each day is booked exactly once."""
    runtime = client.app.state.runtime
    order = _stored_order(client, rider)
    second = Runtime.create(runtime.settings, network=runtime.engine.network, clock=clock)
    try:
        workers = [runtime.standing, runtime.standing, second.standing]
        barrier = threading.Barrier(len(workers))
        results: list[list] = [[] for _ in workers]

        def work(k: int) -> None:
            barrier.wait()
            results[k] = workers[k].place_due()

        threads = [threading.Thread(target=work, args=(k,)) for k in range(len(workers))]
        for th in threads:
            th.start()
        for th in threads:
            th.join(timeout=120)
        booked = [p for r in results for p in r if p.status == "booked"]
        assert sorted(p.day for p in booked) == [date(2027, 1, 15), date(2027, 1, 18),
                                                 date(2027, 1, 20)]
        assert [p for r in results for p in r if p.status != "booked"] == []
        rows = _bookings(client, order.id)
        assert sorted(b.service_day for b in rows) == sorted(p.day for p in booked)
        assert len({b.idempotency_key for b in rows}) == 3
        with Session(runtime.db) as s:
            runs = s.exec(select(StandingRun).where(StandingRun.order_id == order.id)).all()
        assert sorted((r.service_day, r.status, r.attempts) for r in runs) == [
            (p.day, "booked", 1) for p in sorted(booked, key=lambda p: p.day)]
    finally:
        second.stop()


def test_a_pass_that_stopped_half_way_is_finished_once(client, rider, clock):
    """A worker booked Fri 15 and stopped before recording it (a crash): while its claim is fresh
    nobody touches the day; after the lease the next pass finds the booking by its key and
    records it — no second booking."""
    runtime = client.app.state.runtime
    order = _stored_order(client, rider)
    day = date(2027, 1, 15)
    at = datetime.fromisoformat(local(time(8, 30), day))
    with Session(runtime.db) as s, s.begin():
        s.add(StandingRun(order_id=order.id, rider_id=order.rider_id, service_day=day,
                          requested_at=at, claim="crashed", claimed_at=runtime.engine.now_dt()))
    offers = runtime.engine.make_offers(order.rider_id, trip_of(order, int(at.timestamp())))
    made, _ = runtime.engine.accept(order.rider_id, offers["offers"][0].id,
                                    idempotency_key(order.id, day), booked_by=order.rider_id,
                                    channel="standing")
    first = runtime.standing.place_due()
    assert [p.day for p in first] == [date(2027, 1, 18), date(2027, 1, 20)]   # Fri 15 left alone
    clock.t += LEASE_S + 1
    later = runtime.standing.place_due()
    assert [(p.day, p.status, p.booking_id) for p in later] == [(day, "booked", made.id)]
    assert len([b for b in _bookings(client, order.id) if b.service_day == day]) == 1
    with Session(runtime.db) as s:
        run = s.exec(select(StandingRun).where(StandingRun.service_day == day)).one()
    assert (run.status, run.booking_id, run.attempts) == ("booked", made.id, 2)


def test_orders_survive_a_restart(tmp_path, clock):
    """An order created before a restart keeps being placed after it (from the store), without
    booking again the days placed before."""
    from tests.api.conftest import make_client

    url = f"sqlite:///{tmp_path / 'restart.db'}"
    with make_client(url, tmp_path, clock) as c:
        h = register(c, "090-4545-5656")
        order = c.post("/api/v1/standing-orders", json=ORDER, headers=h).json()
    clock.set(time(7, 0), DAY + timedelta(days=2))
    with make_client(url, tmp_path, clock) as c:
        op = login(c, login="operator", password="operator-test")
        placed = c.post("/api/v1/operator/standing-orders/run", headers=op).json()
        assert [(p["day"], p["order_id"]) for p in placed] == [("2027-01-22", order["id"])]
        assert len(_bookings(c, order["id"])) == 4
