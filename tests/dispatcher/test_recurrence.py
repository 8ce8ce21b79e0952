"""Standing orders as dated trips (pure): weekdays inside the booking horizon, holidays and closed
days skipped with the reason, days inside the minimum notice no longer due."""

from __future__ import annotations

from datetime import date, time

import pytest

from dispatcher.errors import InvalidInput
from dispatcher.recurrence import Recurrence, expand
from dispatcher.rules import earliest_bookable
from dispatcher.services import load_service
from dispatcher.units import TOKYO, at_local, from_epoch

MON, TUE, WED, THU, FRI = range(5)
H0830 = 8 * 3600 + 30 * 60


@pytest.fixture(scope="module")
def mitsugi():
    """The shipped Mitsugi service (weekdays, JP holidays closed, 12/29–1/3 closed, 7 days ahead,
    60 min notice, 08:00–17:00)."""
    return load_service("mitsugi")


def order(days: set[int], at: int = H0830, rule: str = "pickup_after", start: date = date(2027, 1, 1),
          end: date | None = None) -> Recurrence:
    """A standing order on ``days`` at local ``at`` seconds."""
    return Recurrence(frozenset(days), at, rule, start, end)


def test_mon_wed_fri_inside_the_horizon(mitsugi):
    """Wed 13 Jan 2027 at 07:00: the Mon/Wed/Fri 08:30 order books today, Fri 15, Mon 18 and
    Wed 20 (today + 7 days), at 08:30 local time, and nothing beyond."""
    now = at_local(date(2027, 1, 13), time(7, 0))
    exp = expand(order({MON, WED, FRI}), mitsugi, now)
    assert [t.day for t in exp.trips] == [date(2027, 1, 13), date(2027, 1, 15), date(2027, 1, 18),
                                          date(2027, 1, 20)]
    assert all(from_epoch(t.time_s, TOKYO).time() == time(8, 30) for t in exp.trips)
    assert exp.skipped == ()


def test_today_inside_the_minimum_notice_is_not_due(mitsugi):
    """At 07:45 the 08:30 trip of today is inside the 60-minute notice: not due, not a failure."""
    now = at_local(date(2027, 1, 13), time(7, 45))
    exp = expand(order({WED}), mitsugi, now)
    assert [t.day for t in exp.trips] == [date(2027, 1, 20)]
    assert exp.skipped == ()


@pytest.mark.parametrize(("now_day", "days", "holiday", "reason_ja", "reason_en"), [
    (date(2027, 2, 8), {THU}, date(2027, 2, 11), "建国記念の日", "Foundation Day"),
    (date(2027, 3, 19), {MON}, date(2027, 3, 22), "振替休日", "Substitute Holiday"),
    (date(2027, 1, 7), {MON}, date(2027, 1, 11), "成人の日", "Coming of Age Day"),
])
def test_holidays_are_skipped_with_their_name(mitsugi, now_day, days, holiday, reason_ja, reason_en):
    """A public holiday on the order's weekday (a substitute holiday too) is skipped with its name
    in Japanese and English; the following week's day is booked."""
    exp = expand(order(days), mitsugi, at_local(now_day, time(7, 0)))
    assert [k.day for k in exp.skipped] == [holiday]
    assert exp.skipped[0].reason == "holiday"
    assert reason_ja in exp.skipped[0].message_ja and reason_en in exp.skipped[0].message_en
    assert exp.skipped[0].message_en == f"No service: public holiday ({reason_en})."
    assert holiday not in [t.day for t in exp.trips]


def test_year_end_break_is_closed(mitsugi):
    """Mon 27 Dec 2027: the daily order books 27 and 28 Dec and Mon 3 Jan is closed too (break to
    1/3); 29–31 Dec are skipped as closed days, weekend days are simply not the order's."""
    exp = expand(order({MON, TUE, WED, THU, FRI}), mitsugi, at_local(date(2027, 12, 27), time(6, 0)))
    assert [t.day for t in exp.trips] == [date(2027, 12, 27), date(2027, 12, 28)]
    assert [(k.day, k.reason) for k in exp.skipped] == [
        (date(2027, 12, 29), "closed"), (date(2027, 12, 30), "closed"), (date(2027, 12, 31), "closed"),
        (date(2028, 1, 3), "closed")]


def test_start_and_end_dates_bound_the_order(mitsugi):
    """Days before the order's start or after its end are not booked."""
    now = at_local(date(2027, 1, 13), time(7, 0))
    exp = expand(order({MON, WED, FRI}, start=date(2027, 1, 15), end=date(2027, 1, 18)), mitsugi, now)
    assert [t.day for t in exp.trips] == [date(2027, 1, 15), date(2027, 1, 18)]


def test_arrive_by_and_a_time_outside_the_hours(mitsugi):
    """An arrive-by order keeps its rule; a time outside the hours is skipped with the reason."""
    now = at_local(date(2027, 1, 13), time(7, 0))
    arrive = expand(order({FRI}, rule="dropoff_before"), mitsugi, now)
    assert [t.day for t in arrive.trips] == [date(2027, 1, 15)]
    late = expand(order({FRI}, at=18 * 3600), mitsugi, now)
    assert late.trips == () and late.skipped[0].reason == "service_hours"


@pytest.mark.parametrize("bad", [
    {"weekdays": frozenset()}, {"weekdays": frozenset({7})}, {"time_s": 24 * 3600},
    {"rule": "whenever"}, {"end": date(2026, 12, 31)},
])
def test_bad_orders_are_refused(bad):
    """No weekday, an unknown weekday, a time past midnight, an unknown rule, an end before the
    start: InvalidInput with a message."""
    args = {"weekdays": frozenset({MON}), "time_s": H0830, "rule": "pickup_after",
            "start": date(2027, 1, 1), "end": None} | bad
    with pytest.raises(InvalidInput) as exc:
        Recurrence(**args)
    assert exc.value.message_ja and exc.value.message_en


@pytest.mark.parametrize(("now", "expected"), [
    ((date(2027, 1, 13), time(8, 0)), (date(2027, 1, 13), time(9, 0))),    # 60 min notice
    ((date(2027, 1, 13), time(8, 2)), (date(2027, 1, 13), time(9, 5))),    # onto the 5-min grid
    ((date(2027, 1, 13), time(6, 0)), (date(2027, 1, 13), time(8, 0))),    # opening time
    ((date(2027, 1, 13), time(16, 30)), (date(2027, 1, 14), time(8, 0))),  # after closing: tomorrow
    ((date(2027, 1, 8), time(16, 30)), (date(2027, 1, 12), time(8, 0))),   # Fri → Tue (Mon holiday)
])
def test_earliest_bookable(mitsugi, now, expected):
    """The earliest time a booking made now may ask for: notice, grid, hours, days, holidays."""
    got = earliest_bookable(mitsugi, at_local(*now))
    assert got == at_local(*expected)
