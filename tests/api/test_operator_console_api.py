"""The operator routes the console needs: caller lookup with the usual trip, KPIs on the service
day with each day's figures, the event log filtered by types and day, booking histories with
the actors' names, and stops with their districts (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from tests.api.conftest import DAY, driver, local, trip

TOMORROW = DAY + timedelta(days=1)


def phone_book(client, operator, caller: dict, origin: str, dest: str, at: time,
               day: date = DAY, **party: int) -> dict:
    """Book a trip by phone for ``caller``; returns the booking."""
    body = {**trip(origin, dest, at, **party), "time": local(at, day), "caller": caller}
    offers = client.post("/api/v1/operator/offers", json=body, headers=operator)
    assert offers.status_code == 200, offers.text
    found = offers.json()
    offer = (found["offers"] or found["alternatives"])[0]
    r = client.post("/api/v1/operator/bookings", json={"offer_id": offer["id"], "caller": caller},
                    headers=operator)
    assert r.status_code == 201, r.text
    return r.json()


YAMADA = {"name": "山田 花子", "name_kana": "やまだ はなこ", "phone": "0848-76-3001"}
YAMAGUCHI = {"name": "山口 太郎", "name_kana": "ヤマグチ タロウ", "phone": "0848-76-3002"}


@pytest.fixture
def callers(client, operator) -> dict[str, list[dict]]:
    """Two callers: 山田 goes to the hospital at 10:00 with a companion on three days and once
    shops; 山口 has one trip."""
    yamada = [phone_book(client, operator, YAMADA, "honmura", "hospital", time(10, 0),
                         DAY + timedelta(days=d), adults=2) for d in (0, 1, 2)]
    yamada.append(phone_book(client, operator, YAMADA, "honmura", "crossroad_mitsugi",
                             time(14, 0), TOMORROW))
    yamaguchi = [phone_book(client, operator, YAMAGUCHI, "iwaido", "ichi_office", time(11, 0))]
    return {"yamada": yamada, "yamaguchi": yamaguchi}


@pytest.mark.parametrize("q", ["0848-76-3001", "0848763001", "3001", "ヤマダ", "やまだはなこ", "山田"])
def test_lookup_finds_the_caller_with_the_usual_trip(client, operator, callers, q):
    """By phone with or without hyphens, its last digits, or the name in kana or kanji: the
    caller comes back with their usual trip (stops, time, party) to pre-fill the booking."""
    r = client.get("/api/v1/operator/riders", params={"q": q}, headers=operator)
    assert r.status_code == 200, r.text
    found = r.json()
    assert [f["name"] for f in found] == ["山田 花子"]
    usual = found[0]["usual_trip"]
    assert (usual["origin_stop_id"], usual["destination_stop_id"], usual["time"]) == (
        "honmura", "hospital", "10:00")
    assert (usual["adults"], usual["children"], usual["trips"], usual["recent"]) == (2, 0, 3, 4)
    assert found[0]["phone"] == "0848763001" and found[0]["bookings"] == 4


def test_lookup_lists_every_match_exact_first(client, operator, callers):
    """A name part shared by two callers lists both; a caller with one trip has it as usual."""
    found = client.get("/api/v1/operator/riders", params={"q": "やま"}, headers=operator).json()
    assert sorted(f["name"] for f in found) == ["山口 太郎", "山田 花子"]
    yamaguchi = next(f for f in found if f["name"] == "山口 太郎")
    assert yamaguchi["usual_trip"]["origin_stop_id"] == "iwaido"
    exact = client.get("/api/v1/operator/riders", params={"q": "0848-76-3002"},
                       headers=operator).json()
    assert [f["name"] for f in exact] == ["山口 太郎"]
    none = client.get("/api/v1/operator/riders", params={"q": "すずき"}, headers=operator).json()
    assert none == []


@pytest.mark.parametrize(("params", "en"), [
    ({"q": "12"}, "at least 4 digits"),
    ({"q": "や"}, "at least 2 characters"),
    ({"q": "   "}, "type a phone number"),
    ({"q": "あ" * 61}, "not valid"),
    ({}, "not valid"),
    ({"q": "やまだ", "limit": 0}, "not valid"),
    ({"q": "やまだ", "limit": 21}, "not valid"),
])
def test_lookup_refuses_bad_searches_clearly(client, operator, params, en):
    """Too short, empty, too long or missing searches and out-of-range limits are 422s with a
    message in Japanese and English."""
    r = client.get("/api/v1/operator/riders", params=params, headers=operator)
    assert r.status_code == 422, r.text
    body = r.json()
    assert en in body["message_en"] and body["message_ja"]


def test_lookup_is_for_operators_only(client, rider):
    """Riders and anonymous callers cannot search riders."""
    assert client.get("/api/v1/operator/riders", params={"q": "やまだ"}).status_code == 401
    assert client.get("/api/v1/operator/riders", params={"q": "やまだ"},
                      headers=rider).status_code == 403


def test_kpis_count_on_the_service_day(client, rider, operator, clock):
    """Bookings and searches made today for tomorrow count tomorrow: requests = bookings +
    refusals + abandoned searches on each day, and the days add up to the range."""
    booked = client.post("/api/v1/offers", json={**trip(), "time": local(time(10, 0), TOMORROW)},
                         headers=rider).json()["offers"][0]
    assert client.post("/api/v1/bookings", json={"offer_id": booked["id"]},
                       headers=rider).status_code == 201
    late = client.post("/api/v1/offers", json={**trip(), "time": local(time(18, 0), TOMORROW)},
                       headers=rider)
    assert late.status_code == 422  # refused: after hours, tomorrow
    client.post("/api/v1/offers", json=trip(at=time(11, 0)), headers=rider)  # abandoned, today
    today = client.get("/api/v1/operator/kpis", headers=operator).json()
    assert (today["requests"], today["accepted"], today["refused"], today["abandoned"]) == (1, 0, 0, 1)
    tomorrow = client.get("/api/v1/operator/kpis", params={"start": TOMORROW.isoformat()},
                          headers=operator).json()
    assert (tomorrow["requests"], tomorrow["accepted"], tomorrow["refused"],
            tomorrow["abandoned"]) == (2, 1, 1, 0)
    assert tomorrow["refused_reasons"] == {"service_hours": 1}
    week = client.get("/api/v1/operator/kpis", headers=operator, params={
        "start": "2027-01-09", "end": "2027-01-17", "per_day": True}).json()
    # Saturday, Sunday and Monday 11th (成人の日) do not run; days with records are listed.
    assert [d["start"] for d in week["days"]] == ["2027-01-12", "2027-01-13", "2027-01-14",
                                                  "2027-01-15"]
    assert all(d["operating"] for d in week["days"])
    for key in ("requests", "accepted", "refused", "abandoned"):
        assert sum(d[key] for d in week["days"]) == week[key] == today[key] + tomorrow[key]


def test_kpis_use_per_stop_district_and_fares(client, rider, operator, clock):
    """A completed trip counts its persons at its stops and districts and its fare."""
    offer = client.post("/api/v1/offers", json=trip(adults=2), headers=rider).json()["offers"][0]
    b = client.post("/api/v1/bookings", json={"offer_id": offer["id"]}, headers=rider).json()
    d = driver(client, b["vehicle_id"])
    from datetime import datetime

    clock.t = int(datetime.fromisoformat(b["pickup_window"][0]).timestamp()) + 60
    for kind in ("boarded", "alighted"):
        r = client.post("/api/v1/driver/events", json={"type": kind, "booking_id": b["id"]},
                        headers=d)
        assert r.status_code == 200, r.text
        clock.t += 900
    k = client.get("/api/v1/operator/kpis", headers=operator).json()
    assert k["boardings_by_stop"] == {"honmura": 2} and k["alightings_by_stop"] == {"hospital": 2}
    assert k["boardings_by_district"] == {"northeast": 2}
    assert k["alightings_by_district"] == {"centre": 2}
    assert k["fare_revenue"] == b["fare"] == 600 and k["occupancy_mean"] == 2.0
    assert k["shared_ride_rate"] == 0.0


def test_events_filtered_by_types_and_day(client, rider, operator):
    """Several types at once, and the events of one local day only; bad types are a 422."""
    client.post("/api/v1/offers", json=trip(), headers=rider)
    client.post("/api/v1/offers", json=trip(at=time(19, 0)), headers=rider)
    both = client.get("/api/v1/operator/events", headers=operator,
                      params={"type": "offered,refused", "day": DAY.isoformat()}).json()
    assert sorted(e["type"] for e in both) == ["offered", "refused"]
    assert all(e["data"]["service_day"] == DAY.isoformat() for e in both)
    other_day = client.get("/api/v1/operator/events", headers=operator,
                           params={"type": "offered", "day": TOMORROW.isoformat()}).json()
    assert other_day == []
    bad = client.get("/api/v1/operator/events", headers=operator,
                     params={"type": ",".join(["x" * 33])})
    assert bad.status_code == 422 and bad.json()["message_ja"]


def test_booking_history_names_its_actors(client, operator, callers):
    """Each event of a booking's history says who did it by name and role (the seeded account
    is the first supervisor)."""
    bid = callers["yamaguchi"][0]["id"]
    assert client.post(f"/api/v1/operator/bookings/{bid}/cancel",
                       headers=operator).status_code == 200
    events = client.get(f"/api/v1/operator/bookings/{bid}/events", headers=operator).json()
    cancelled = next(e for e in events if e["type"] == "cancelled")
    assert (cancelled["actor_name"], cancelled["actor_role"]) == ("運行管理者", "supervisor")


def test_stops_and_service_carry_the_districts(client):
    """Every stop names its district; the service lists the districts with their names."""
    stops = client.get("/api/v1/stops").json()
    assert all(s["district"] for s in stops)
    svc = client.get("/api/v1/service").json()
    ids = {d["id"] for d in svc["districts"]}
    assert {s["district"] for s in stops} == ids and all(d["name_ja"] for d in svc["districts"])


@pytest.mark.parametrize("q", ["びょういん", "ビョウイン", "ﾋﾞｮｳｲﾝ", "病院", "Hospital"])
def test_stop_search_reads_kana_either_script(client, q):
    """The stop search finds the hospital stops by their reading in hiragana, katakana (full or
    half width), by kanji or English."""
    found = [s["id"] for s in client.get("/api/v1/stops", params={"q": q}).json()]
    assert sorted(found) == ["hospital", "hospital_entrance"]
