"""Finding a caller (dispatcher.riders): phone with or without hyphens, names in kana either
script, bounded searches with clear refusals, and the usual trip."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from dispatcher.errors import InvalidInput
from dispatcher.riders import matches, parse_query, rank, usual_trip
from dispatcher.textfold import fold

TZ = ZoneInfo("Asia/Tokyo")
RIDER = {"name": "山田 花子", "name_kana": "ヤマダ ハナコ", "phone": "0848761001"}


@pytest.mark.parametrize("q", ["0848-76-1001", "0848761001", "０８４８－７６－１００１",
                               "(0848) 76 1001", "1001", "76-1001"])
def test_phone_with_or_without_hyphens(q):
    """Any way of writing the number (or its last digits) finds the rider."""
    query = parse_query(q)
    assert query.kind == "phone" and matches(query, RIDER)


@pytest.mark.parametrize("q", ["やまだ", "ヤマダ", "ﾔﾏﾀﾞ", "やまだ はなこ", "やまだはなこ", "山田", "はなこ"])
def test_name_in_kana_either_script_or_kanji(q):
    """Hiragana, katakana (full or half width), with or without the space, or the kanji."""
    query = parse_query(q)
    assert query.kind == "name" and matches(query, RIDER)


def test_no_match_and_ranking():
    """Other names and numbers do not match; the whole number ranks before a part of it."""
    assert not matches(parse_query("すずき"), RIDER)
    assert not matches(parse_query("0848-76-2001"), RIDER)
    assert rank(parse_query("0848-76-1001"), RIDER) == 0
    assert rank(parse_query("1001"), RIDER) == 1
    assert fold("ヤマダ　ハナコ") == "やまだはなこ"


@pytest.mark.parametrize(("q", "en"), [("", "type a phone number"), ("   ", "type a phone number"),
                                       ("12", "at least 4 digits"), ("0-1", "at least 4 digits"),
                                       ("や", "at least 2 characters"), ("あ" * 61, "too long")])
def test_bad_searches_are_refused_clearly(q, en):
    """Empty, too short or too long searches are refused with a message in both languages."""
    with pytest.raises(InvalidInput) as err:
        parse_query(q)
    assert en in err.value.message_en and err.value.message_ja


def trip(o: str, d: str, day: int, hhmm: str, *, adults: int = 1, children: int = 0,
         status: str = "completed", rule: str = "pickup_after") -> dict:
    """A booking record of January 2027."""
    h, m = (int(x) for x in hhmm.split(":"))
    at = datetime(2027, 1, day, h, m, tzinfo=TZ)
    return {"status": status, "origin_stop_id": o, "destination_stop_id": d,
            "requested_s": int(at.timestamp()), "rule": rule, "adults": adults,
            "children": children, "infants": 0, "wheelchairs": 0}


def test_usual_trip_is_the_most_frequent_recent_one():
    """Three trips to the hospital at 09:00 (one at 09:30) with a companion twice, against two
    shopping trips: the hospital trip at 09:00 for two adults; cancelled trips do not count."""
    bookings = [trip("honmura", "hospital", 4, "09:00", adults=2),
                trip("honmura", "hospital", 6, "09:30"),
                trip("honmura", "hospital", 8, "09:00", adults=2),
                trip("honmura", "hospital", 11, "09:00"),
                trip("honmura", "crossroad_mitsugi", 12, "13:00"),
                trip("honmura", "crossroad_mitsugi", 13, "13:00"),
                trip("hospital", "honmura", 14, "11:00", status="cancelled"),
                trip("hospital", "honmura", 15, "11:00", status="cancelled"),
                trip("hospital", "honmura", 15, "11:00", status="cancelled")]
    u = usual_trip(bookings, TZ)
    assert u is not None
    assert (u.origin_stop_id, u.destination_stop_id, u.time, u.rule) == (
        "honmura", "hospital", "09:00", "pickup_after")
    assert (u.adults, u.children, u.trips, u.recent) == (2, 0, 4, 6)


def test_usual_trip_ties_go_to_the_most_recent_and_only_recent_trips_count():
    """Equal counts: the more recent trip wins; only the ``recent`` latest trips are read."""
    bookings = [trip("iwaido", "ichi_office", 4, "10:00"), trip("hata", "hospital", 5, "08:30")]
    assert usual_trip(bookings, TZ).origin_stop_id == "hata"
    old = [trip("iwaido", "ichi_office", d, "10:00") for d in (4, 5, 6)]
    new = [trip("hata", "hospital", d, "08:30", rule="dropoff_before") for d in (12, 13)]
    u = usual_trip(old + new, TZ, recent=2)
    assert (u.origin_stop_id, u.rule, u.recent) == ("hata", "dropoff_before", 2)


def test_no_usual_trip_without_trips_between_stops():
    """Only chosen points or cancelled trips: no usual trip to offer."""
    point = trip("honmura", "hospital", 4, "09:00") | {"destination_stop_id": None}
    assert usual_trip([point, trip("a", "b", 5, "10:00", status="cancelled")], TZ) is None
    assert usual_trip([], TZ) is None
