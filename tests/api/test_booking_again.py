"""Booking again through the API (SQLite and PostgreSQL): stops found by the words people say,
offers ranked with おすすめ, the usual trips and repeating one, the way back, the earliest
bookable time — for riders and for phone staff — and bad input answered with a clear 4xx."""

from __future__ import annotations

from datetime import date, time

import pytest

from tests.api.conftest import DAY, local, register, trip


def _book(client, headers, body=None, **kw) -> dict:
    """Book the recommended offer of a trip request."""
    r = client.post("/api/v1/offers", json=body or trip(**kw), headers=headers)
    assert r.status_code == 200, r.text
    offers = r.json()
    b = client.post("/api/v1/bookings", json={"offer_id": offers["recommended_id"]}, headers=headers)
    assert b.status_code == 201, b.text
    return b.json()


def _bad(r, status: int = 422) -> dict:
    """A clear refusal: the status, a code and a message in both languages (never a traceback)."""
    assert r.status_code == status, r.text
    err = r.json()
    assert err["code"] and err["message_ja"] and err["message_en"]
    assert "Traceback" not in r.text
    return err


@pytest.mark.parametrize(("q", "first", "matched"), [
    ("ﾔｸﾊﾞ", "ichi_office", "やくば"),
    ("みちの　えき", "crossroad_mitsugi", "みちのえき"),
    ("すうぱあ", "crossroad_mitsugi", "スーパー"),
    ("びょういん", "hospital", "びょういん"),
    ("ほんむら", "honmura", None),
])
def test_stop_picker_finds_what_people_say(client, q, first, matched):
    """GET /api/v1/stops?q= (the operators' stop picker and the rider app) finds stops by alias,
    however typed, best first, saying which alias found them."""
    found = client.get("/api/v1/stops", params={"q": q}).json()
    assert found[0]["id"] == first and found[0]["matched"] == matched
    if matched:
        assert found[0]["note_ja"] and found[0]["note_en"]


def test_stop_search_bad_input(client):
    """A query longer than 60 characters: 422 with ja/en; nothing found is an empty list."""
    _bad(client.get("/api/v1/stops", params={"q": "あ" * 61}))
    assert client.get("/api/v1/stops", params={"q": "ないところ"}).json() == []


def test_offers_are_ranked_and_one_is_recommended(client, rider):
    """Every offer has a rank; exactly one is recommended, named by recommended_id, with its
    reasons in Japanese and English."""
    body = client.post("/api/v1/offers", json=trip(), headers=rider).json()
    every = body["offers"] + body["alternatives"]
    assert sorted(o["rank"] for o in every) == list(range(len(every)))
    best = [o for o in every if o["recommended"]]
    assert len(best) == 1 and best[0]["id"] == body["recommended_id"] and best[0]["rank"] == 0
    codes = [lb["code"] for lb in best[0]["labels"]]
    assert codes[0] == "recommended" and "on_time" in codes
    assert all(lb["text_ja"] and lb["text_en"] for lb in best[0]["labels"])


def test_usual_trips_and_repeat(client, rider):
    """A trip booked today is my usual trip; repeating it offers the same trip tomorrow (today is
    taken); booking that makes it twice, and the next repeat goes to the day after."""
    first = _book(client, rider)
    usual = client.get("/api/v1/usual-trips", headers=rider).json()
    assert [(u["booking_id"], u["count"], u["time"], u["next_day"]) for u in usual] == [
        (first["id"], 1, "10:00", "2027-01-14")]
    assert usual[0]["origin_stop_id"] == "honmura" and usual[0]["party"]["adults"] == 1
    rep = client.post(f"/api/v1/bookings/{first['id']}/repeat-offers", json={}, headers=rider)
    assert rep.status_code == 200, rep.text
    rep = rep.json()
    assert rep["day"] == "2027-01-14" and rep["recommended_id"]
    best = next(o for o in rep["offers"] if o["recommended"])
    assert best["pickup_window"][0] == "2027-01-14T10:00:00+09:00"
    again = client.post("/api/v1/bookings", json={"offer_id": best["id"]}, headers=rider).json()
    assert (again["origin_stop_id"], again["destination_stop_id"]) == ("honmura", "hospital")
    usual = client.get("/api/v1/usual-trips", headers=rider).json()
    assert (usual[0]["count"], usual[0]["next_day"]) == (2, "2027-01-15")
    # A chosen day and time.
    rep = client.post(f"/api/v1/bookings/{first['id']}/repeat-offers",
                      json={"day": "2027-01-19", "time": "11:30"}, headers=rider).json()
    assert rep["day"] == "2027-01-19"
    assert any(o["pickup_window"][0] == "2027-01-19T11:30:00+09:00" for o in rep["offers"])


def test_repeat_bad_input(client, rider):
    """Someone else's booking: 404; a malformed time or an unknown field: 422; a Saturday: the
    calendar's rule (422 booking_rule); no token: 401."""
    mine = _book(client, rider)
    other = register(client, "090-3333-4444")
    _bad(client.post(f"/api/v1/bookings/{mine['id']}/repeat-offers", json={}, headers=other), 404)
    url = f"/api/v1/bookings/{mine['id']}/repeat-offers"
    _bad(client.post(url, json={"time": "25:00"}, headers=rider))
    _bad(client.post(url, json={"when": "tomorrow"}, headers=rider))
    assert _bad(client.post(url, json={"day": "2027-01-16"}, headers=rider))["code"] == "booking_rule"
    assert client.post(url, json={}).status_code == 401


def test_return_trip(client, rider):
    """帰りも予約: the way back swaps the places and keeps the party; a time before the outward
    trip arrives is refused with the arrival time in the message."""
    out = _book(client, rider, adults=2)
    url = f"/api/v1/bookings/{out['id']}/return-offers"
    err = _bad(client.post(url, json={"time": local(time(10, 5))}, headers=rider))
    assert "行きの到着" in err["message_ja"] and err["details"]["latest_arrival"]
    r = client.post(url, json={"time": local(time(13, 0))}, headers=rider)
    assert r.status_code == 200, r.text
    back = client.post("/api/v1/bookings", json={"offer_id": r.json()["recommended_id"]},
                       headers=rider).json()
    assert (back["origin_stop_id"], back["destination_stop_id"]) == ("hospital", "honmura")
    assert back["adults"] == 2 and back["service_day"] == DAY.isoformat()
    # No way back for a cancelled booking; a naive time or an unknown rule: 422.
    client.post(f"/api/v1/bookings/{back['id']}/cancel", headers=rider)
    _bad(client.post(f"/api/v1/bookings/{back['id']}/return-offers",
                     json={"time": local(time(15, 0))}, headers=rider))
    _bad(client.post(url, json={"time": "2027-01-13T13:00:00"}, headers=rider))
    _bad(client.post(url, json={"time": local(time(13, 0)), "rule": "soon"}, headers=rider))


def test_phone_staff_repeat_and_return_for_a_caller(client, operator):
    """Phone staff see a caller's usual trips by rider id, get repeat and return offers for the
    caller's booking and book them with the caller's name and phone."""
    caller = {"name": "佐藤 一郎", "phone": "0848-11-2222"}
    offers = client.post("/api/v1/operator/offers", json={**trip(), "caller": caller},
                         headers=operator).json()
    first = client.post("/api/v1/operator/bookings",
                        json={"offer_id": offers["recommended_id"], "caller": caller},
                        headers=operator).json()
    rider_id = first["rider_id"]
    usual = client.get(f"/api/v1/operator/riders/{rider_id}/usual-trips", headers=operator).json()
    assert usual[0]["booking_id"] == first["id"]
    rep = client.post(f"/api/v1/operator/bookings/{first['id']}/repeat-offers", json={},
                      headers=operator).json()
    again = client.post("/api/v1/operator/bookings",
                        json={"offer_id": rep["recommended_id"], "caller": caller}, headers=operator)
    assert again.status_code == 201 and again.json()["channel"] == "phone"
    assert again.json()["service_day"] == "2027-01-14"
    ret = client.post(f"/api/v1/operator/bookings/{first['id']}/return-offers",
                      json={"time": local(time(14, 0))}, headers=operator)
    assert ret.status_code == 200 and ret.json()["offers"]
    _bad(client.get("/api/v1/operator/riders/nobody/usual-trips", headers=operator), 404)
    _bad(client.get("/api/v1/operator/riders/bad%20id!/usual-trips", headers=operator))
    _bad(client.post("/api/v1/operator/bookings/bk-none/repeat-offers", json={},
                     headers=operator), 404)
    rider = register(client, "090-5555-6666")
    _bad(client.get(f"/api/v1/operator/riders/{rider_id}/usual-trips", headers=rider), 403)


def test_earliest_bookable_time(client, clock):
    """/service/earliest: now + the 60-minute notice on the 5-minute grid; after the last
    bookable moment of the day, the next operating day's opening."""
    e = client.get("/api/v1/service/earliest").json()
    assert (e["day"], e["time"], e["min_notice_min"]) == ("2027-01-13", "09:00", 60)
    clock.set(time(16, 30))
    e = client.get("/api/v1/service/earliest").json()
    assert (e["day"], e["time"]) == ("2027-01-14", "08:00")
    assert date.fromisoformat(e["day"]).weekday() < 5
