"""The shipped Mitsugi configuration loads and answers calendar and hours questions."""

from datetime import date

import pytest

from dispatcher.errors import InvalidInput
from dispatcher.service_area import clock_s
from dispatcher.services import load_service


@pytest.fixture(scope="module")
def mitsugi():
    """The shipped Mitsugi service."""
    return load_service("mitsugi")


def test_stops_have_names_in_three_scripts(mitsugi):
    """Every stop has Japanese, English and kana names (GTFS-JP needs the ja-Hrkt readings)."""
    assert len(mitsugi.stops) >= 25
    for s in mitsugi.stops:
        assert s.name_ja and s.name_en and s.name_kana
        assert 34.4 < s.lat < 34.7 and 133.0 < s.lon < 133.3
    assert {"ichi_office", "hospital_entrance", "hospital"} <= set(mitsugi.stop_ids())


def test_calendar_weekdays_and_year_end(mitsugi):
    """Runs Monday–Friday, not at weekends nor over the 12/29–1/3 year-end break."""
    cal = mitsugi.calendar
    assert cal.runs_on(date(2026, 11, 25))  # Wednesday
    assert not cal.runs_on(date(2026, 11, 28))  # Saturday
    assert not cal.runs_on(date(2026, 12, 30))
    assert not cal.runs_on(date(2027, 1, 1))
    assert cal.runs_on(date(2027, 1, 4))  # Monday after the break


def test_national_holidays_are_closed(mitsugi):
    """Japan's national holidays close the service, substitute holidays included; an open date
    overrides; the GTFS calendar removes them too."""
    from dataclasses import replace

    from gtfs.flex import calendar_tables

    cal = mitsugi.calendar
    assert cal.closed_on_holidays == "JP"
    assert not cal.runs_on(date(2026, 11, 23)) and cal.holiday(date(2026, 11, 23)) == "勤労感謝の日"
    assert not cal.runs_on(date(2027, 1, 11))  # 成人の日 (second Monday of January)
    assert not cal.runs_on(date(2027, 3, 22)) and cal.holiday(date(2027, 3, 22)) == "振替休日"
    assert cal.runs_on(date(2026, 11, 24)) and cal.holiday(date(2026, 11, 24)) is None
    opened = replace(cal, open_dates=frozenset({date(2026, 11, 23)}))
    assert opened.runs_on(date(2026, 11, 23))
    _, removed = calendar_tables(mitsugi, date(2026, 11, 1), date(2026, 11, 30))
    assert set(removed.column("date")) == {"20261103", "20261123"}


def test_hours_and_fleet(mitsugi):
    """Operating hours 08:00–17:00; every vehicle's depot is a stop of the service."""
    assert mitsugi.in_service_hours(clock_s("08:00"))
    assert not mitsugi.in_service_hours(clock_s("17:01"))
    assert len(mitsugi.fleet) == 3
    assert any(v.wheelchair_spaces > 0 for v in mitsugi.fleet)


@pytest.mark.parametrize("bad", ["8", "8:60", "ab:cd", "08:00:75"])
def test_clock_rejects_malformed(bad):
    """Malformed clock times are refused with a clear error, not silently misread."""
    with pytest.raises(InvalidInput):
        clock_s(bad)


def test_districts_group_the_stops(mitsugi):
    """The service's data groups every stop into exactly one district with a name in both
    languages; a district naming an unknown stop, or two districts sharing one, is refused."""
    from dispatcher.service_area import _districts

    assert len(mitsugi.districts) >= 2
    for s in mitsugi.stops:
        d = mitsugi.district_of(s.id)
        assert d is not None and d.name_ja and d.name_en
    assert mitsugi.district_of(None) is None
    ids = set(mitsugi.stop_ids())
    with pytest.raises(InvalidInput, match="unknown stop"):
        _districts([{"id": "x", "name_ja": "x", "stops": ["nowhere"]}], ids)
    with pytest.raises(InvalidInput, match="two districts"):
        _districts([{"id": "a", "name_ja": "a", "stops": ["hospital"]},
                    {"id": "b", "name_ja": "b", "stops": ["hospital"]}], ids)


def test_calendar_describes_itself_from_its_data(mitsugi):
    """The 'not an operating day' message comes from the calendar, not from Mitsugi's text."""
    from dispatcher.service_area import OperatingCalendar

    ja, en = mitsugi.calendar.describe()
    assert ja == "運行日: 月〜金。祝日運休。12/29〜1/3 運休"
    assert en == "it runs Mon–Fri; not on public holidays; closed 12/29–1/3"
    other = OperatingCalendar(frozenset({"mon", "wed", "fri"}))
    assert other.describe() == ("運行日: 月・水・金", "it runs Mon, Wed, Fri")
    weekend = OperatingCalendar(frozenset({"sat", "sun"}), closed_ranges=(((8, 13), (8, 16)),))
    assert weekend.describe() == ("運行日: 土・日。8/13〜8/16 運休", "it runs Sat, Sun; closed 8/13–8/16")


def test_a_closed_day_is_refused_with_the_services_own_calendar(mitsugi):
    from dataclasses import replace
    from datetime import time
    from zoneinfo import ZoneInfo

    from dispatcher.errors import RuleViolation
    from dispatcher.rules import check_request_time
    from dispatcher.service_area import OperatingCalendar
    from dispatcher.units import at_local

    tz = ZoneInfo(mitsugi.timezone)
    svc = replace(mitsugi, calendar=OperatingCalendar(frozenset({"mon", "wed", "fri"})))
    now = at_local(date(2027, 1, 11), time(8, 0), tz)  # a Monday
    tuesday = at_local(date(2027, 1, 12), time(10, 0), tz)
    with pytest.raises(RuleViolation) as err:
        check_request_time(svc, tuesday, now)
    body = err.value.as_dict()
    assert "月・水・金" in body["message_ja"] and "Mon, Wed, Fri" in body["message_en"]
    assert "New Year" not in body["message_en"]


def test_routing_table_places_come_from_the_configuration(mitsugi):
    from dispatcher.network_cli import table_points

    pts = table_points("mitsugi")
    inside = [p for p in pts if p[4]]
    outside = [p for p in pts if not p[4]]
    assert [p[0] for p in inside][:2] == ["市出張所", "みつぎ総合病院入口"]
    assert {p[1] for p in outside} == {"Shin-Onomichi Sta.", "Onomichi Sta."}
    assert len(inside) == len(mitsugi.routing["table_stops"])
