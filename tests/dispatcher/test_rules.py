"""Booking rules: days, hours, notice, horizon and party size, each refused with its reason."""

from datetime import date, time

import pytest

from dispatcher.errors import InvalidInput, RuleViolation
from dispatcher.rules import check_party, check_request_time
from dispatcher.services import load_service
from dispatcher.units import at_local

SVC = load_service("mitsugi")
NOW = at_local(date(2026, 11, 25), time(9, 0))  # a Wednesday


@pytest.mark.parametrize(
    ("day", "clock", "rule"),
    [
        (date(2026, 11, 28), time(10, 0), "operating_day"),  # Saturday
        (date(2026, 12, 30), time(10, 0), "operating_day"),  # year-end break
        (date(2026, 11, 26), time(7, 0), "service_hours"),
        (date(2026, 11, 26), time(18, 0), "service_hours"),
        (date(2026, 11, 25), time(9, 30), "min_notice"),
        (date(2026, 12, 7), time(10, 0), "max_days_ahead"),
    ],
)
def test_refusals_name_the_rule(day, clock, rule):
    """Each broken rule is named, with a Japanese and an English message."""
    with pytest.raises(RuleViolation) as err:
        check_request_time(SVC, at_local(day, clock), NOW)
    assert err.value.details["rule"] == rule
    assert err.value.message_ja and err.value.message_en


def test_holiday_refusal_names_the_holiday():
    """A national holiday on a weekday is refused with the holiday's name in both languages."""
    with pytest.raises(RuleViolation) as err:
        check_request_time(SVC, at_local(date(2026, 11, 23), time(10, 0)),
                           at_local(date(2026, 11, 18), time(9, 0)))
    assert err.value.details["rule"] == "operating_day"
    assert "勤労感謝の日" in err.value.message_ja and "Labor Thanksgiving" in err.value.message_en


def test_allowed_times_pass():
    """Within hours, with notice, inside the horizon: accepted silently."""
    check_request_time(SVC, at_local(date(2026, 11, 25), time(10, 0)), NOW)
    check_request_time(SVC, at_local(date(2026, 12, 2), time(16, 59)), NOW)


def test_past_is_bad_input():
    """A time in the past is bad input (422), not a rule question."""
    with pytest.raises(InvalidInput):
        check_request_time(SVC, NOW - 60, NOW)


def test_party_limits():
    """Groups above the limit or beyond every vehicle's capacity are refused."""
    check_party(SVC, seats=4, wheelchairs=0)
    check_party(SVC, seats=2, wheelchairs=1)
    with pytest.raises(RuleViolation):
        check_party(SVC, seats=7, wheelchairs=0)
    with pytest.raises(RuleViolation):
        check_party(SVC, seats=1, wheelchairs=2)
    with pytest.raises(RuleViolation):
        check_party(SVC, seats=6, wheelchairs=0)
