"""A rider's usual trips (いつもの便) from past bookings, and the next day to repeat one (pure)."""

from __future__ import annotations

from datetime import date, time

import pytest

from dispatcher.services import load_service
from dispatcher.units import at_local
from dispatcher.usual import PastTrip, next_repeat_day, usual_trips

HOME = ("honmura", 34.53, 133.17)
HOSP = ("hospital", 34.51, 133.14)
ONE = (1, 0, 0, 0)


def past(bid: str, day: int, origin=HOME, dest=HOSP, at=10 * 3600, status="completed", party=ONE,
         rule="pickup_after") -> PastTrip:
    """A past booking of January 2027 made on ``day``."""
    return PastTrip(bid, status, date(2027, 1, day), origin, dest, rule, at, party, day * 86400)


def test_most_frequent_first_then_most_recent():
    """Three hospital trips at 10:00 outrank two trips home; cancelled ones and no-shows do not
    count; the latest booking of each trip stands for it."""
    found = usual_trips([
        past("a", 4), past("b", 6), past("c", 8),
        past("d", 5, HOSP, HOME, 14 * 3600), past("e", 7, HOSP, HOME, 14 * 3600),
        past("x", 9, status="cancelled"), past("y", 9, HOSP, HOME, 14 * 3600, status="no_show"),
    ])
    assert [(u.last.booking_id, u.count) for u in found] == [("c", 3), ("e", 2)]


def test_another_time_party_or_rule_is_another_trip():
    """Same places but 11:00, or two people, or arrive-by: separate usual trips."""
    found = usual_trips([past("a", 4), past("b", 5, at=11 * 3600), past("c", 6, party=(2, 0, 0, 0)),
                         past("d", 7, rule="dropoff_before")], limit=10)
    assert len(found) == 4


def test_points_on_a_map_within_ten_metres_are_one_place():
    """A point picked on the map twice a few metres apart is the same usual trip."""
    here = (None, 34.520001, 133.150001)
    there = (None, 34.520004, 133.149998)
    found = usual_trips([past("a", 4, origin=here), past("b", 5, origin=there)])
    assert [(u.last.booking_id, u.count) for u in found] == [("b", 2)]


@pytest.mark.parametrize(("now", "taken", "expected"), [
    ((date(2027, 1, 13), time(8, 0)), set(), date(2027, 1, 13)),               # today still works
    ((date(2027, 1, 13), time(9, 30)), set(), date(2027, 1, 14)),              # inside the notice
    ((date(2027, 1, 13), time(8, 0)), {date(2027, 1, 13)}, date(2027, 1, 14)),  # already booked
    ((date(2027, 1, 8), time(12, 0)), set(), date(2027, 1, 12)),               # Fri → Tue (holiday Mon)
])
def test_next_repeat_day(now, taken, expected):
    """The next day a 10:00 trip can be booked and is not booked already."""
    service = load_service("mitsugi")
    assert next_repeat_day(service, 10 * 3600, "pickup_after", at_local(*now), taken) == expected
