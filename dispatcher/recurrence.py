"""Standing orders as dated trips: which days of the booking horizon an order books (pure).

A standing order ("every Monday, Wednesday and Friday, leave at 08:30 for the hospital") is a
:class:`Recurrence`; :func:`expand` turns it into the dated trips that fall inside the service's
booking horizon as of "now", and the days it leaves out because the service does not run then
(a public holiday, the year-end break). Days whose time can no longer be booked (inside the
minimum notice, or past) are neither: they are simply not due any more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from dispatcher.errors import InvalidInput, RuleViolation
from dispatcher.rules import check_request_time
from dispatcher.service_area import WEEKDAYS, ServiceArea
from dispatcher.units import at_local, from_epoch

#: Rules under which a dated trip is simply no longer bookable (not a closed day).
_TOO_LATE = ("min_notice", "prior_day_deadline")


@dataclass(frozen=True, slots=True)
class Recurrence:
    """When a standing order travels.

    Attributes
    ----------
    weekdays
        Days of the week, 0 = Monday … 6 = Sunday.
    time_s
        Local clock time, seconds since midnight: leave at or after it (``pickup_after``) or
        arrive by it (``dropoff_before``).
    rule
        ``pickup_after`` or ``dropoff_before``.
    start, end
        First and last day the order may book (``end`` None: until stopped).
    """

    weekdays: frozenset[int]
    time_s: int
    rule: str
    start: date
    end: date | None = None

    def __post_init__(self) -> None:
        if not self.weekdays or not self.weekdays <= frozenset(range(7)):
            raise InvalidInput("曜日を1つ以上選んでください", "choose at least one day of the week")
        if not 0 <= self.time_s < 24 * 3600:
            raise InvalidInput("時刻が正しくありません", "the time of day is not valid")
        if self.rule not in ("pickup_after", "dropoff_before"):
            raise InvalidInput("時刻の指定方法が不正です", "rule must be pickup_after or dropoff_before")
        if self.end is not None and self.end < self.start:
            raise InvalidInput("終了日が開始日より前です", "the end date is before the start date")

    def weekday_codes(self) -> list[str]:
        """The weekdays as ``mon``…``sun``, Monday first."""
        return [WEEKDAYS[d] for d in sorted(self.weekdays)]


@dataclass(frozen=True, slots=True)
class DatedTrip:
    """One trip an order asks for: its service day and the asked time (epoch s)."""

    day: date
    time_s: int


@dataclass(frozen=True, slots=True)
class SkippedDay:
    """A day of the order the service does not run (or cannot take the order's time)."""

    day: date
    reason: str
    message_ja: str
    message_en: str


@dataclass(frozen=True, slots=True)
class Expansion:
    """The dated trips of an order inside the booking horizon, and the days it leaves out."""

    trips: tuple[DatedTrip, ...]
    skipped: tuple[SkippedDay, ...]


def _closed(service: ServiceArea, day: date) -> SkippedDay:
    """Why the service does not run on ``day`` (the day itself is the caller's to show)."""
    name_ja = service.calendar.holiday(day)
    if name_ja is not None:
        name_en = service.calendar.holiday(day, "en_US") or name_ja
        return SkippedDay(day, "holiday", f"祝日（{name_ja}）のため運休です",
                          f"No service: public holiday ({name_en}).")
    return SkippedDay(day, "closed", "運休日です", "No service on this day.")


def expand(order: Recurrence, service: ServiceArea, now_s: int) -> Expansion:
    """The dated trips of ``order`` that can be booked now, within the booking horizon.

    Parameters
    ----------
    order
        The standing order's days, time and rule.
    service
        The service: time zone, calendar, hours and booking rules (notice, horizon).
    now_s
        The current time, epoch s.

    Returns
    -------
    Expansion
        Trips on the order's weekdays from today to today + ``max_days_ahead`` (and within the
        order's start and end) whose time the booking rules accept now, in date order; and the
        days of the order the service does not run (holidays, closed days) or whose time falls
        outside the service hours, with the reason in Japanese and English.
    """
    tz = ZoneInfo(service.timezone)
    today = from_epoch(now_s, tz).date()
    clock = time(order.time_s // 3600, order.time_s % 3600 // 60, order.time_s % 60)
    trips: list[DatedTrip] = []
    skipped: list[SkippedDay] = []
    for k in range(service.booking.max_days_ahead + 1):
        day = today + timedelta(days=k)
        if day.weekday() not in order.weekdays or day < order.start:
            continue
        if order.end is not None and day > order.end:
            break
        if not service.calendar.runs_on(day):
            skipped.append(_closed(service, day))
            continue
        at = at_local(day, clock, tz)
        try:
            check_request_time(service, at, now_s)
        except InvalidInput:
            continue  # already past
        except RuleViolation as exc:
            if exc.details.get("rule") not in _TOO_LATE:
                skipped.append(SkippedDay(day, str(exc.details.get("rule", exc.code)),
                                          exc.message_ja, exc.message_en))
            continue
        trips.append(DatedTrip(day, at))
    return Expansion(tuple(trips), tuple(skipped))
